//! Pod addresses: the cluster's pod CIDR is cut into one range per node
//! (`--pod-cidr`, `--node-cidr-mask-size`, as kube-controller-manager's
//! `--cluster-cidr` and `--node-cidr-mask-size`), and each node hands out the
//! addresses of its range to its pods, never one that a live pod holds.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use vnest_apiserver::allocation::Cidr;

/// The pod CIDR kube's tools use by default (flannel, kubeadm guides).
pub const DEFAULT_POD_CIDR: &str = "10.244.0.0/16";
/// kube-controller-manager's default node mask for IPv4.
pub const DEFAULT_NODE_MASK: u8 = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IpamError {
    #[error(
        "node CIDR mask /{mask} must be longer than the pod CIDR's /{cluster} and at most /30"
    )]
    Mask { mask: u8, cluster: u8 },
    #[error("pod CIDR {cidr} has room for {room} node ranges of /{mask}, not {nodes}")]
    TooManyNodes {
        cidr: String,
        room: u64,
        mask: u8,
        nodes: usize,
    },
}

/// The range of node `index`: the index-th /mask subnet of the cluster CIDR.
pub fn node_cidr(cluster: Cidr, mask: u8, index: usize) -> Option<Cidr> {
    if mask <= cluster.prefix || mask > 30 {
        return None;
    }
    let room = 1u64 << (mask - cluster.prefix);
    if index as u64 >= room {
        return None;
    }
    let step = 1u32 << (32 - mask);
    Some(Cidr {
        network: Ipv4Addr::from(u32::from(cluster.network) + step * index as u32),
        prefix: mask,
    })
}

/// Checks that `nodes` node ranges fit in the cluster CIDR.
pub fn check_layout(cluster: Cidr, mask: u8, nodes: usize) -> Result<(), IpamError> {
    if mask <= cluster.prefix || mask > 30 {
        return Err(IpamError::Mask {
            mask,
            cluster: cluster.prefix,
        });
    }
    let room = 1u64 << (mask - cluster.prefix);
    if nodes as u64 > room {
        return Err(IpamError::TooManyNodes {
            cidr: cluster.to_string_form(),
            room,
            mask,
            nodes,
        });
    }
    Ok(())
}

/// The addresses of one node's range, with those in use.
#[derive(Debug)]
pub struct PodIpPool {
    range: Cidr,
    used: BTreeSet<u32>,
    /// Offset to try first: addresses are handed out round-robin, so a freed address
    /// is not reused at once (a client may still be talking to the old pod).
    next: u32,
}

impl PodIpPool {
    pub fn new(range: Cidr) -> PodIpPool {
        PodIpPool {
            range,
            used: BTreeSet::new(),
            next: 1,
        }
    }

    fn size(&self) -> u32 {
        1u32 << (32 - self.range.prefix)
    }

    /// The next free address (not the network or broadcast address), if any is left.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        let usable = self.size().saturating_sub(2);
        for i in 0..usable {
            let off = (self.next - 1 + i) % usable + 1;
            if self.used.insert(off) {
                self.next = off % usable + 1;
                return Some(self.range.nth(off));
            }
        }
        None
    }

    /// Marks an address taken (a pod found running after a restart); false if it is
    /// not in this range or already taken.
    pub fn reserve(&mut self, ip: Ipv4Addr) -> bool {
        let off = u32::from(ip).wrapping_sub(u32::from(self.range.network));
        self.range.contains(ip) && off != 0 && off != self.size() - 1 && self.used.insert(off)
    }

    pub fn release(&mut self, ip: Ipv4Addr) {
        if self.range.contains(ip) {
            self.used
                .remove(&u32::from(ip).wrapping_sub(u32::from(self.range.network)));
        }
    }

    pub fn range(&self) -> Cidr {
        self.range
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_get_consecutive_subnets() {
        let cluster = Cidr::parse("10.244.0.0/16").unwrap();
        assert_eq!(
            node_cidr(cluster, 24, 0).unwrap().to_string_form(),
            "10.244.0.0/24"
        );
        assert_eq!(
            node_cidr(cluster, 24, 3).unwrap().to_string_form(),
            "10.244.3.0/24"
        );
        assert_eq!(
            node_cidr(cluster, 26, 5).unwrap().to_string_form(),
            "10.244.1.64/26"
        );
        assert!(node_cidr(cluster, 24, 256).is_none());
        assert!(node_cidr(cluster, 16, 0).is_none());
        assert!(check_layout(cluster, 24, 256).is_ok());
        assert!(matches!(
            check_layout(cluster, 24, 257),
            Err(IpamError::TooManyNodes { .. })
        ));
    }

    #[test]
    fn addresses_are_unique_round_robin_and_released() {
        let mut pool = PodIpPool::new(Cidr::parse("10.1.0.0/29").unwrap());
        let got: Vec<String> = (0..6)
            .map(|_| pool.allocate().unwrap().to_string())
            .collect();
        assert_eq!(
            got,
            ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"]
        );
        assert_eq!(pool.allocate(), None, "the range is full");
        pool.release("10.1.0.3".parse().unwrap());
        pool.release("10.1.0.5".parse().unwrap());
        assert_eq!(
            pool.allocate().map(|i| i.to_string()).as_deref(),
            Some("10.1.0.3")
        );
        assert_eq!(
            pool.allocate().map(|i| i.to_string()).as_deref(),
            Some("10.1.0.5")
        );
        let mut fresh = PodIpPool::new(Cidr::parse("10.1.0.0/29").unwrap());
        assert!(fresh.reserve("10.1.0.1".parse().unwrap()));
        assert!(!fresh.reserve("10.1.0.1".parse().unwrap()));
        assert!(!fresh.reserve("10.1.0.7".parse().unwrap()), "broadcast");
        assert_eq!(
            fresh.allocate().map(|i| i.to_string()).as_deref(),
            Some("10.1.0.2")
        );
    }
}

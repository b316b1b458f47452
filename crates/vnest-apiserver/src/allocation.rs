//! Service ClusterIP and NodePort allocation, as kube-apiserver does it since 1.33:
//! every allocated ClusterIP is an `IPAddress` object (networking.k8s.io/v1) named by
//! the address, so the store's create-if-absent makes allocation atomic and
//! duplicates impossible; node ports are claimed the same way under
//! `/registry/vnest/nodeports/<port>`. A follower releases both when a Service goes.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};
use vnest_api::status::ApiError;
use vnest_api::validation::FieldError;
use vnest_store::StoreError;

use crate::objects::{self, object_key, resource_prefix};
use crate::rest::{ResourceDef, Rest};

/// The service CIDR kube uses by default.
pub const DEFAULT_SERVICE_CIDR: &str = "10.96.0.0/12";
const NODE_PORT_PREFIX: &str = "/registry/vnest/nodeports/";
/// The label kube puts on IPAddress objects it allocates.
const MANAGED_BY: &str = "ipallocator.k8s.io";

/// An IPv4 range: network address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid CIDR {0:?}: expected an IPv4 network like 10.96.0.0/12")]
pub struct CidrError(pub String);

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let err = || CidrError(s.to_string());
        let (ip, len) = s.split_once('/').ok_or_else(err)?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| err())?;
        let prefix: u8 = len.parse().map_err(|_| err())?;
        if !(8..=30).contains(&prefix) {
            return Err(err());
        }
        let mask = u32::MAX << (32 - prefix);
        Ok(Cidr {
            network: Ipv4Addr::from(u32::from(ip) & mask),
            prefix,
        })
    }

    fn size(&self) -> u32 {
        1u32 << (32 - self.prefix)
    }

    /// The n-th address (0 is the network address).
    pub fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + n)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX << (32 - self.prefix);
        u32::from(ip) & mask == u32::from(self.network)
    }

    /// Addresses a Service may get: not the network or broadcast address.
    fn usable(&self, ip: Ipv4Addr) -> bool {
        let off = u32::from(ip).wrapping_sub(u32::from(self.network));
        self.contains(ip) && off != 0 && off != self.size() - 1
    }

    /// The address of the `kubernetes` Service: the first usable one.
    pub fn first(&self) -> Ipv4Addr {
        self.nth(1)
    }

    pub fn to_string_form(&self) -> String {
        format!("{}/{}", self.network, self.prefix)
    }
}

/// Where a virtual cluster's Services get their addresses: the host cluster, which
/// creates the host Service first and answers with what it allocated, so a Service
/// has the same ClusterIP (and node ports) in both clusters from its first moment.
#[async_trait::async_trait]
pub trait HostServices: Send + Sync {
    /// Creates (or adopts) the host Service for the virtual Service `svc` and returns
    /// the host's `spec` (clusterIP, clusterIPs, ports with their nodePorts).
    async fn reserve(&self, svc: &Value) -> Result<Value, ApiError>;
}

/// Allocation settings.
#[derive(Clone)]
pub struct Allocator {
    pub cidr: Cidr,
    pub node_ports: (u16, u16),
    /// In a virtual cluster, the host decides Service addresses.
    pub host: Option<std::sync::Arc<dyn HostServices>>,
}

impl std::fmt::Debug for Allocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Allocator")
            .field("cidr", &self.cidr)
            .field("node_ports", &self.node_ports)
            .field("host", &self.host.is_some())
            .finish()
    }
}

/// Copies the host's allocation into the virtual Service's spec.
pub fn adopt_host_addresses(svc: &mut Value, host_spec: &Value) {
    for field in ["clusterIP", "clusterIPs"] {
        if let Some(v) = host_spec.get(field) {
            svc["spec"][field] = v.clone();
        }
    }
    let host_ports = host_spec
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(ports) = svc.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
        for (p, h) in ports.iter_mut().zip(host_ports.iter()) {
            if let Some(np) = h.get("nodePort") {
                p["nodePort"] = np.clone();
            }
        }
    }
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator {
            cidr: Cidr::parse(DEFAULT_SERVICE_CIDR).unwrap_or(Cidr {
                network: Ipv4Addr::new(10, 96, 0, 0),
                prefix: 12,
            }),
            node_ports: (30000, 32767),
            host: None,
        }
    }
}

fn needs_cluster_ip(spec: &Value) -> bool {
    spec.get("type").and_then(Value::as_str) != Some("ExternalName")
        && spec.get("clusterIP").and_then(Value::as_str) != Some("None")
}

fn needs_node_ports(spec: &Value) -> bool {
    matches!(
        spec.get("type").and_then(Value::as_str),
        Some("NodePort" | "LoadBalancer")
    )
}

fn ip_key(ip: &str) -> String {
    object_key("networking.k8s.io", "ipaddresses", None, ip)
}

fn invalid(name: &str, field: &str, value: Value, detail: String) -> ApiError {
    let def = ResourceDef {
        group: String::new(),
        version: "v1".into(),
        kind: "Service".into(),
        resource: "services".into(),
        namespaced: true,
        verbs: vec![],
        subresources: vec![],
        custom: None,
    };
    crate::admission::invalid(&def, name, &[FieldError::invalid(field, value, detail)])
}

impl Allocator {
    /// Gives a Service being created (or updated from `old`) its ClusterIP and node
    /// ports. Claims are made in the store; a failed create leaves claims that the
    /// repair loop releases.
    pub async fn allocate(
        &self,
        rest: &Rest,
        old: Option<&Value>,
        svc: &mut Value,
        dry_run: bool,
    ) -> Result<(), ApiError> {
        let name = objects::meta_str(svc, "name").unwrap_or("").to_string();
        let ns = objects::meta_str(svc, "namespace")
            .unwrap_or("")
            .to_string();
        let spec = svc.get("spec").cloned().unwrap_or(json!({}));
        // A virtual cluster's Services take the host's addresses (all but its own
        // `kubernetes` Service, which pods reach through the host alias instead).
        if let Some(host) = self
            .host
            .as_ref()
            .filter(|_| !(ns == "default" && name == "kubernetes"))
        {
            if old.is_none() && !dry_run {
                let host_spec = host.reserve(svc).await?;
                adopt_host_addresses(svc, &host_spec);
            }
            return Ok(());
        }
        if old.is_none() && needs_cluster_ip(&spec) {
            let wanted = spec
                .get("clusterIP")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let ip = match wanted {
                Some(ip) => {
                    let parsed: Option<Ipv4Addr> = ip.parse().ok();
                    let fail = |why: &str| {
                        invalid(
                            &name,
                            "spec.clusterIPs",
                            json!([ip]),
                            format!("failed to allocate IP {ip}: {why}"),
                        )
                    };
                    match parsed {
                        Some(p) if self.cidr.usable(p) => {}
                        _ => {
                            return Err(fail(&format!(
                                "the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}",
                                self.cidr.to_string_form()
                            )))
                        }
                    }
                    if !dry_run && !self.claim_ip(rest, &ip, &ns, &name).await? {
                        return Err(fail("provided IP is already allocated"));
                    }
                    ip
                }
                None if dry_run => String::new(),
                None => self.claim_any_ip(rest, &ns, &name).await?,
            };
            if !ip.is_empty() {
                svc["spec"]["clusterIP"] = json!(ip);
                svc["spec"]["clusterIPs"] = json!([ip]);
            }
        }
        if needs_node_ports(&spec) {
            let already: HashSet<i64> = old
                .and_then(|o| o.pointer("/spec/ports"))
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| p.get("nodePort").and_then(Value::as_i64))
                        .collect()
                })
                .unwrap_or_default();
            let count = svc
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(0);
            for i in 0..count {
                let current = svc
                    .pointer(&format!("/spec/ports/{i}/nodePort"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if current != 0 {
                    if already.contains(&current) || dry_run {
                        continue;
                    }
                    if !self.claim_port(rest, current, &ns, &name).await? {
                        return Err(invalid(
                            &name,
                            &format!("spec.ports[{i}].nodePort"),
                            json!(current),
                            "provided port is already allocated".into(),
                        ));
                    }
                    continue;
                }
                if dry_run {
                    continue;
                }
                let port = self.claim_any_port(rest, &ns, &name).await?;
                svc["spec"]["ports"][i]["nodePort"] = json!(port);
            }
        }
        Ok(())
    }

    async fn claim_ip(
        &self,
        rest: &Rest,
        ip: &str,
        ns: &str,
        name: &str,
    ) -> Result<bool, ApiError> {
        let obj = json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IPAddress",
            "metadata": {
                "name": ip,
                "uid": uuid::Uuid::new_v4().to_string(),
                "creationTimestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "labels": {"ipaddress.kubernetes.io/ip-family": "IPv4", "ipaddress.kubernetes.io/managed-by": MANAGED_BY},
            },
            "spec": {"parentRef": {"group": "", "resource": "services", "namespace": ns, "name": name}},
        });
        match rest
            .store
            .create(&ip_key(ip), Bytes::from(objects::encode(&obj)))
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(ApiError::internal(e.to_string())),
        }
    }

    async fn claim_any_ip(&self, rest: &Rest, ns: &str, name: &str) -> Result<String, ApiError> {
        let size = self.cidr.size();
        // Random start, then linear probing, like kube's allocator.
        let start = (rand::random::<u32>() % (size - 2)) + 1;
        for step in 0..size - 2 {
            let off = ((start - 1 + step) % (size - 2)) + 1;
            let ip = self.cidr.nth(off);
            // The first address belongs to the `kubernetes` Service.
            if ip == self.cidr.first() && !(ns == "default" && name == "kubernetes") {
                continue;
            }
            let ip = ip.to_string();
            if rest.cache.get(&ip_key(&ip)).0.is_some() {
                continue;
            }
            if self.claim_ip(rest, &ip, ns, name).await? {
                return Ok(ip);
            }
        }
        Err(ApiError::internal(format!(
            "failed to allocate a serviceIP: range is full ({})",
            self.cidr.to_string_form()
        )))
    }

    async fn claim_port(
        &self,
        rest: &Rest,
        port: i64,
        ns: &str,
        name: &str,
    ) -> Result<bool, ApiError> {
        let key = format!("{NODE_PORT_PREFIX}{port}");
        let owner =
            json!({"namespace": ns, "name": name, "claimedAt": chrono::Utc::now().timestamp()});
        match rest
            .store
            .create(&key, Bytes::from(owner.to_string().into_bytes()))
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(ApiError::internal(e.to_string())),
        }
    }

    async fn claim_any_port(&self, rest: &Rest, ns: &str, name: &str) -> Result<i64, ApiError> {
        let (lo, hi) = (self.node_ports.0 as i64, self.node_ports.1 as i64);
        let span = hi - lo + 1;
        let start = (rand::random::<u32>() as i64) % span;
        for step in 0..span {
            let port = lo + (start + step) % span;
            if rest
                .cache
                .get(&format!("{NODE_PORT_PREFIX}{port}"))
                .0
                .is_some()
            {
                continue;
            }
            if self.claim_port(rest, port, ns, name).await? {
                return Ok(port);
            }
        }
        Err(ApiError::internal(
            "failed to allocate a nodePort: range is full",
        ))
    }
}

/// Releases the claims of Services that are gone (and of failed creates): follows
/// services, IP addresses and node-port claims, forever.
pub async fn run_repair(rest: Arc<Rest>) {
    let services = resource_prefix("", "services", None);
    let ips = resource_prefix("networking.k8s.io", "ipaddresses", None);
    let cache = rest.cache.clone();
    crate::background::on_change(
        cache,
        vec![services.clone(), NODE_PORT_PREFIX.into(), ips.clone()],
        || {
            let rest = rest.clone();
            let services = services.clone();
            let ips = ips.clone();
            async move {
                // Give creates in flight time to store their Service.
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                let (svcs, _) = rest.cache.list(&services);
                let mut used_ips = HashSet::new();
                let mut used_ports = HashSet::new();
                for (_, s) in &svcs {
                    for ip in s
                        .pointer("/spec/clusterIPs")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(ip) = ip.as_str() {
                            used_ips.insert(ip.to_string());
                        }
                    }
                    for p in s
                        .pointer("/spec/ports")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(n) = p.get("nodePort").and_then(Value::as_i64) {
                            used_ports.insert(n);
                        }
                    }
                }
                let (claimed, _) = rest.cache.list(&ips);
                for (key, obj) in claimed {
                    let ours = obj
                        .pointer("/metadata/labels/ipaddress.kubernetes.io~1managed-by")
                        .and_then(Value::as_str)
                        == Some(MANAGED_BY);
                    let ip = objects::meta_str(&obj, "name").unwrap_or("").to_string();
                    if ours && !used_ips.contains(&ip) && stale(&obj) {
                        let _ = rest.store.delete(&key, None).await;
                    }
                }
                let (ports, _) = rest.cache.list(NODE_PORT_PREFIX);
                let now = chrono::Utc::now().timestamp();
                for (key, claim) in ports {
                    let port: i64 = key
                        .strip_prefix(NODE_PORT_PREFIX)
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    let claimed_at = claim.get("claimedAt").and_then(Value::as_i64).unwrap_or(0);
                    if !used_ports.contains(&port) && now - claimed_at >= 2 {
                        let _ = rest.store.delete(&key, None).await;
                    }
                }
            }
        },
    )
    .await
}

/// Claims younger than a few seconds may belong to a create still in flight.
fn stale(obj: &Value) -> bool {
    objects::meta_str(obj, "creationTimestamp")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_none_or(|t| chrono::Utc::now().signed_duration_since(t).num_seconds() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing_and_ranges() {
        let c = Cidr::parse("10.96.0.0/12").unwrap();
        assert_eq!(c.first(), Ipv4Addr::new(10, 96, 0, 1));
        assert!(c.contains(Ipv4Addr::new(10, 111, 255, 254)));
        assert!(!c.contains(Ipv4Addr::new(10, 112, 0, 1)));
        assert!(!c.usable(Ipv4Addr::new(10, 96, 0, 0)));
        assert!(!c.usable(Ipv4Addr::new(10, 111, 255, 255)));
        assert_eq!(
            Cidr::parse("10.96.3.7/24").unwrap().network,
            Ipv4Addr::new(10, 96, 3, 0)
        );
        assert!(Cidr::parse("10.96.0.0").is_err());
        assert!(Cidr::parse("10.96.0.0/31").is_err());
        assert!(Cidr::parse("fd00::/108").is_err());
    }
}

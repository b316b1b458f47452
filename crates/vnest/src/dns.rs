//! The control plane's DNS server: flags, and starting it next to the API server
//! (the server, the zone watch, `<data-dir>/dns.addr`, the `kube-system/kube-dns`
//! Service and Endpoints).

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

#[derive(Args, Clone)]
pub(crate) struct DnsArgs {
    /// Address the virtual cluster's DNS server listens on, UDP and TCP (port 0 picks
    /// a free port; the bound address is written to <data-dir>/dns.addr).
    #[arg(long, default_value = "127.0.0.1:0")]
    dns_listen: SocketAddr,
    /// Resolver for names outside cluster.local, IP or IP:PORT (default: the first
    /// nameserver of /etc/resolv.conf).
    #[arg(long, value_parser = parse_upstream)]
    dns_upstream: Option<SocketAddr>,
    /// Address pods reach the DNS server at (the Endpoints of kube-system/kube-dns);
    /// default: the IP of --dns-listen, or the POD_IP environment variable when that
    /// is unspecified.
    #[arg(long)]
    dns_advertise_address: Option<IpAddr>,
}

fn parse_upstream(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is neither IP nor IP:PORT"))
}

/// The address the kube-dns Endpoints name.
fn advertise_address(args: &DnsArgs, pod_ip: Option<&str>) -> Option<IpAddr> {
    args.dns_advertise_address.or_else(|| {
        let ip = args.dns_listen.ip();
        if ip.is_unspecified() {
            pod_ip.and_then(|p| p.trim().parse().ok())
        } else {
            Some(ip)
        }
    })
}

/// The running DNS server's tasks (aborted on drop).
pub(crate) struct Running {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the DNS server and its zone watch, writes `dns.addr` and ensures the
/// kube-dns Service. A port already taken is logged, not fatal: the API server is
/// still worth serving.
pub(crate) async fn start(
    args: &DnsArgs,
    data_dir: &Path,
    client: &kube::Client,
) -> anyhow::Result<Option<Running>> {
    let upstream = args.dns_upstream.or_else(|| {
        std::fs::read_to_string("/etc/resolv.conf")
            .ok()
            .and_then(|t| vnest_dns::server::upstream_from_resolv_conf(&t))
    });
    let zone_cfg = vnest_dns::zone::ZoneConfig::default();
    let zone = vnest_dns::server::SharedZone::new(vnest_dns::zone::Zone::empty(&zone_cfg));
    let server_cfg = vnest_dns::server::ServerConfig {
        listen: args.dns_listen,
        upstream,
        upstream_timeout: Duration::from_secs(5),
    };
    let server = match vnest_dns::server::Server::bind(&server_cfg, zone.clone()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(listen = %args.dns_listen, error = %e, "cannot bind the DNS server; the virtual cluster has no DNS");
            return Ok(None);
        }
    };
    let addr = server.local_addr();
    let client = client.clone();
    let mut tasks = vec![tokio::spawn(server.run())];
    tasks.push(tokio::spawn(vnest_dns::watch::run(
        client.clone(),
        zone,
        zone_cfg,
    )));
    let running = Running { tasks };
    std::fs::write(data_dir.join("dns.addr"), format!("{addr}\n")).context("writing dns.addr")?;
    tracing::info!(%addr, upstream = ?upstream, "DNS server listening");
    let advertise = advertise_address(args, std::env::var("POD_IP").ok().as_deref());
    if advertise.is_none() {
        tracing::warn!(
            "no address for the kube-dns Endpoints: set --dns-advertise-address or POD_IP"
        );
    }
    // Before the syncer starts, so the first pods it syncs already get the nameserver.
    let mut attempt = 0;
    loop {
        match vnest_dns::kubedns::ensure(&client, addr.port(), advertise).await {
            Ok(()) => break,
            Err(e) if attempt < 20 => {
                tracing::debug!(error = %e, "ensuring kube-system/kube-dns; retrying");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot ensure the kube-system/kube-dns Service");
                break;
            }
        }
    }
    Ok(Some(running))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        dns: DnsArgs,
    }

    fn args(extra: &[&str]) -> DnsArgs {
        T::parse_from(std::iter::once("t").chain(extra.iter().copied())).dns
    }

    #[test]
    fn the_advertised_address_defaults_to_the_listen_ip_then_pod_ip() {
        let a = args(&[]);
        assert_eq!(a.dns_listen, "127.0.0.1:0".parse().expect("addr"));
        assert_eq!(advertise_address(&a, None), Some([127, 0, 0, 1].into()));
        let a = args(&["--dns-listen", "0.0.0.0:53"]);
        assert_eq!(advertise_address(&a, None), None);
        assert_eq!(
            advertise_address(&a, Some("10.0.0.9")),
            Some([10, 0, 0, 9].into())
        );
        let a = args(&[
            "--dns-listen",
            "0.0.0.0:53",
            "--dns-advertise-address",
            "10.1.1.1",
        ]);
        assert_eq!(
            advertise_address(&a, Some("10.0.0.9")),
            Some([10, 1, 1, 1].into())
        );
    }

    #[test]
    fn upstreams_take_a_port_or_default_to_53() {
        let a = args(&["--dns-upstream", "10.0.0.2"]);
        assert_eq!(a.dns_upstream, Some("10.0.0.2:53".parse().expect("addr")));
        let a = args(&["--dns-upstream", "127.0.0.1:5353"]);
        assert_eq!(
            a.dns_upstream,
            Some("127.0.0.1:5353".parse().expect("addr"))
        );
        assert!(parse_upstream("resolver").is_err());
    }
}

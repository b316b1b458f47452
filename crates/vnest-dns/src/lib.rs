//! The virtual cluster's DNS server, as CoreDNS's kubernetes plugin serves
//! `cluster.local`: an RFC 1035 codec ([`wire`]), the zone of Services and Endpoints
//! ([`zone`], pure), the UDP+TCP server with upstream forwarding ([`server`]), the
//! list+watch that keeps the zone current ([`watch`]) and the `kube-system/kube-dns`
//! Service that points pods at it ([`kubedns`]).

pub mod kubedns;
pub mod server;
pub mod watch;
pub mod wire;
pub mod zone;

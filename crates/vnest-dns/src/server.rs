//! The DNS server: one UDP socket and one TCP listener on the same address. Questions
//! in the cluster zone are answered from the current [`Zone`]; others are forwarded
//! to the upstream resolver over UDP (over TCP when the client asked over TCP and the
//! UDP answer was truncated), with a timeout; SERVFAIL when the upstream fails.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;

use crate::wire::{
    Header, Message, Record, RCODE_FORMERR, RCODE_NOTIMP, RCODE_SERVFAIL, UDP_LIMIT,
};
use crate::zone::Zone;

/// The zone the server answers from; the watch replaces it as the cluster changes.
#[derive(Clone)]
pub struct SharedZone(Arc<RwLock<Arc<Zone>>>);

impl SharedZone {
    pub fn new(zone: Zone) -> SharedZone {
        SharedZone(Arc::new(RwLock::new(Arc::new(zone))))
    }

    pub fn get(&self) -> Arc<Zone> {
        match self.0.read() {
            Ok(z) => z.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, zone: Zone) {
        let zone = Arc::new(zone);
        match self.0.write() {
            Ok(mut z) => *z = zone,
            Err(poisoned) => *poisoned.into_inner() = zone,
        }
    }
}

/// The largest UDP answer we send, whatever a client advertises.
const MAX_UDP_PAYLOAD: usize = 4096;
/// Questions being forwarded at once; beyond that UDP questions are dropped (the
/// client retries) and TCP connections wait.
const MAX_IN_FLIGHT: usize = 512;
const TCP_IDLE: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// What to do with a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Send this answer.
    Reply(Vec<u8>),
    /// Not ours: forward the packet upstream.
    Forward(Box<Message>),
    /// Not worth an answer (not a DNS query at all, or a response).
    Drop,
}

/// The UDP payload a query allows for its answer.
pub fn udp_limit(query: &Message) -> usize {
    query
        .edns_payload()
        .map(|p| usize::from(p).clamp(UDP_LIMIT, MAX_UDP_PAYLOAD))
        .unwrap_or(UDP_LIMIT)
}

/// An answer skeleton for `query`: same id, question and RD; RA set; EDNS0 echoed.
fn reply_to(query: &Message, rcode: u8) -> Message {
    Message {
        header: Header {
            id: query.header.id,
            response: true,
            opcode: query.header.opcode,
            recursion_desired: query.header.recursion_desired,
            recursion_available: true,
            checking_disabled: query.header.checking_disabled,
            rcode,
            ..Header::default()
        },
        questions: query.questions.clone(),
        additional: query
            .edns_payload()
            .map(|_| Record::opt(MAX_UDP_PAYLOAD as u16))
            .into_iter()
            .collect(),
        ..Message::default()
    }
}

fn encode(msg: &Message, limit: usize) -> Outcome {
    match msg.encode_within(limit) {
        Ok(b) => Outcome::Reply(b),
        Err(e) => {
            tracing::debug!(error = %e, "answer could not be encoded");
            Outcome::Drop
        }
    }
}

/// SERVFAIL for a query whose forwarding failed.
pub fn servfail(query: &Message) -> Vec<u8> {
    reply_to(query, RCODE_SERVFAIL)
        .encode_within(UDP_LIMIT)
        .unwrap_or_default()
}

/// Decides on one packet. Pure: the zone answers; everything else is the caller's.
pub fn respond(zone: &Zone, packet: &[u8], transport: Transport) -> Outcome {
    let limit = match transport {
        Transport::Udp => UDP_LIMIT,
        Transport::Tcp => usize::from(u16::MAX),
    };
    let query = match Message::parse(packet) {
        Ok(q) => q,
        Err(e) => {
            // Answer FORMERR when the header at least is readable and is a query.
            return match Header::parse(packet) {
                Ok((h, _)) if !h.response => {
                    tracing::debug!(error = %e, "malformed query");
                    let msg = Message {
                        header: Header {
                            id: h.id,
                            response: true,
                            opcode: h.opcode,
                            recursion_desired: h.recursion_desired,
                            rcode: RCODE_FORMERR,
                            ..Header::default()
                        },
                        ..Message::default()
                    };
                    encode(&msg, limit)
                }
                _ => Outcome::Drop,
            };
        }
    };
    if query.header.response {
        return Outcome::Drop;
    }
    let limit = match transport {
        Transport::Udp => udp_limit(&query),
        Transport::Tcp => limit,
    };
    if query.header.opcode != 0 {
        return encode(&reply_to(&query, RCODE_NOTIMP), limit);
    }
    let [q] = &query.questions[..] else {
        return encode(&reply_to(&query, RCODE_FORMERR), limit);
    };
    match zone.answer(q) {
        Some(a) => {
            let mut msg = reply_to(&query, a.rcode);
            msg.header.authoritative = a.authoritative;
            msg.answers = a.answers;
            msg.authority = a.authority;
            msg.additional.splice(0..0, a.additional);
            encode(&msg, limit)
        }
        None => Outcome::Forward(Box::new(query)),
    }
}

/// The first nameserver of a resolv.conf text, on port 53.
pub fn upstream_from_resolv_conf(text: &str) -> Option<SocketAddr> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            return None;
        }
        let addr = words.next()?;
        // A link-local IPv6 address may carry a zone ("fe80::1%eth0").
        let addr = addr.split('%').next()?;
        addr.parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

/// Whether forwarding to `upstream` would reach this very server at `local`.
pub fn is_self(upstream: SocketAddr, local: SocketAddr) -> bool {
    if upstream.port() != local.port() {
        return false;
    }
    upstream.ip() == local.ip()
        || (local.ip().is_unspecified()
            && (upstream.ip().is_loopback() || upstream.ip().is_unspecified()))
        || (local.ip().is_loopback() && upstream.ip().is_unspecified())
}

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where names outside the zone go; None answers them SERVFAIL.
    pub upstream: Option<SocketAddr>,
    pub upstream_timeout: Duration,
}

/// A bound server, not yet serving.
pub struct Server {
    udp: Arc<UdpSocket>,
    tcp: TcpListener,
    addr: SocketAddr,
    upstream: Option<SocketAddr>,
    timeout: Duration,
    zone: SharedZone,
}

/// Binds UDP and TCP on the same port (port 0: one both are free on).
async fn bind_pair(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    if addr.port() != 0 {
        let udp = UdpSocket::bind(addr).await?;
        let tcp = TcpListener::bind(addr).await?;
        return Ok((udp, tcp));
    }
    let mut last = None;
    for _ in 0..32 {
        let udp = UdpSocket::bind(addr).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind(SocketAddr::new(addr.ip(), port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port for UDP and TCP")))
}

impl Server {
    pub async fn bind(cfg: &ServerConfig, zone: SharedZone) -> std::io::Result<Server> {
        let (udp, tcp) = bind_pair(cfg.listen).await?;
        let addr = udp.local_addr()?;
        let upstream = match cfg.upstream {
            Some(u) if is_self(u, addr) => {
                tracing::warn!(upstream = %u, "the DNS upstream is this server; names outside the cluster get SERVFAIL");
                None
            }
            other => other,
        };
        Ok(Server {
            udp: Arc::new(udp),
            tcp,
            addr,
            upstream,
            timeout: cfg.upstream_timeout,
            zone,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the task is dropped.
    pub async fn run(self) {
        let forwards = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let tcp_task = tokio::spawn(serve_tcp(
            self.tcp,
            self.zone.clone(),
            self.upstream,
            self.timeout,
            forwards.clone(),
        ));
        let _abort_tcp = AbortOnDrop(tcp_task);
        let mut buf = vec![0u8; 65535];
        loop {
            let (n, peer) = match self.udp.recv_from(&mut buf).await {
                Ok(x) => x,
                Err(e) => {
                    // ICMP errors of earlier sends surface here on some systems.
                    tracing::debug!(error = %e, "DNS UDP receive failed");
                    continue;
                }
            };
            let packet = &buf[..n];
            match respond(&self.zone.get(), packet, Transport::Udp) {
                Outcome::Reply(answer) => {
                    let _ = self.udp.send_to(&answer, peer).await;
                }
                Outcome::Drop => {}
                Outcome::Forward(query) => {
                    let Ok(permit) = forwards.clone().try_acquire_owned() else {
                        tracing::debug!("too many DNS questions in flight; dropping one");
                        continue;
                    };
                    let packet = packet.to_vec();
                    let udp = self.udp.clone();
                    let (upstream, timeout) = (self.upstream, self.timeout);
                    tokio::spawn(async move {
                        let answer =
                            forward(upstream, timeout, &packet, &query, Transport::Udp).await;
                        let _ = udp.send_to(&answer, peer).await;
                        drop(permit);
                    });
                }
            }
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn serve_tcp(
    listener: TcpListener,
    zone: SharedZone,
    upstream: Option<SocketAddr>,
    timeout: Duration,
    forwards: Arc<Semaphore>,
) {
    let connections = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(error = %e, "DNS TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let zone = zone.clone();
        let forwards = forwards.clone();
        tokio::spawn(async move {
            let _ = tcp_connection(stream, zone, upstream, timeout, forwards).await;
            drop(permit);
        });
    }
}

/// Serves queries on one TCP connection until the client closes it or idles.
async fn tcp_connection(
    mut stream: TcpStream,
    zone: SharedZone,
    upstream: Option<SocketAddr>,
    timeout: Duration,
    forwards: Arc<Semaphore>,
) -> std::io::Result<()> {
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let mut packet = vec![0u8; usize::from(u16::from_be_bytes(len))];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut packet)).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let answer = match respond(&zone.get(), &packet, Transport::Tcp) {
            Outcome::Reply(a) => a,
            Outcome::Drop => return Ok(()),
            Outcome::Forward(query) => {
                let _permit = forwards.acquire().await;
                forward(upstream, timeout, &packet, &query, Transport::Tcp).await
            }
        };
        let Ok(n) = u16::try_from(answer.len()) else {
            return Ok(());
        };
        let mut out = Vec::with_capacity(answer.len() + 2);
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&answer);
        stream.write_all(&out).await?;
    }
}

/// Forwards `packet` (the client's query as it came) upstream; the upstream's answer,
/// or SERVFAIL.
async fn forward(
    upstream: Option<SocketAddr>,
    timeout: Duration,
    packet: &[u8],
    query: &Message,
    transport: Transport,
) -> Vec<u8> {
    let Some(upstream) = upstream else {
        return servfail(query);
    };
    match tokio::time::timeout(timeout, forward_udp(upstream, packet, query.header.id)).await {
        Ok(Ok(answer)) => {
            let truncated = Header::parse(&answer).is_ok_and(|(h, _)| h.truncated);
            if truncated && transport == Transport::Tcp {
                if let Ok(Ok(full)) =
                    tokio::time::timeout(timeout, forward_tcp(upstream, packet)).await
                {
                    return full;
                }
            }
            answer
        }
        Ok(Err(e)) => {
            tracing::debug!(%upstream, error = %e, "DNS upstream failed");
            servfail(query)
        }
        Err(_) => {
            tracing::debug!(%upstream, "DNS upstream timed out");
            servfail(query)
        }
    }
}

async fn forward_udp(upstream: SocketAddr, packet: &[u8], id: u16) -> std::io::Result<Vec<u8>> {
    let local: SocketAddr = if upstream.is_ipv4() {
        "0.0.0.0:0".parse().map_err(std::io::Error::other)?
    } else {
        "[::]:0".parse().map_err(std::io::Error::other)?
    };
    let sock = UdpSocket::bind(local).await?;
    sock.connect(upstream).await?;
    sock.send(packet).await?;
    let mut buf = vec![0u8; 65535];
    loop {
        let n = sock.recv(&mut buf).await?;
        // Only the answer to this question (connect filters the source).
        if let Ok((h, _)) = Header::parse(&buf[..n]) {
            if h.response && h.id == id {
                buf.truncate(n);
                return Ok(buf);
            }
        }
    }
}

async fn forward_tcp(upstream: SocketAddr, packet: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream).await?;
    let n = u16::try_from(packet.len()).map_err(std::io::Error::other)?;
    let mut out = n.to_be_bytes().to_vec();
    out.extend_from_slice(packet);
    stream.write_all(&out).await?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut answer).await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{query, Name, RData, RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_OPT};
    use crate::zone::ZoneConfig;
    use serde_json::json;
    use std::net::Ipv4Addr;

    fn zone() -> Zone {
        let services: Vec<k8s_openapi::api::core::v1::Service> = vec![
            serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "default"},
                "spec": {"clusterIP": "10.96.0.7"}}))
            .expect("svc"),
            serde_json::from_value(json!({"metadata": {"name": "many", "namespace": "default"},
                "spec": {"clusterIP": "None"}}))
            .expect("svc"),
        ];
        let addresses: Vec<serde_json::Value> = (0..60)
            .map(|i| json!({"ip": format!("10.1.0.{i}")}))
            .collect();
        let endpoints: Vec<k8s_openapi::api::core::v1::Endpoints> = vec![serde_json::from_value(
            json!({"metadata": {"name": "many", "namespace": "default"},
                "subsets": [{"addresses": addresses}]}),
        )
        .expect("eps")];
        Zone::build(&ZoneConfig::default(), 1, &services, &endpoints)
    }

    fn ask(name: &str) -> Message {
        query(77, Name::parse(name).expect("name"), TYPE_A)
    }

    fn reply(o: Outcome) -> Message {
        match o {
            Outcome::Reply(b) => Message::parse(&b).expect("answer parses"),
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn zone_questions_are_answered_authoritatively() {
        let q = ask("web.default.svc.cluster.local").encode().expect("q");
        let a = reply(respond(&zone(), &q, Transport::Udp));
        assert_eq!(a.header.id, 77);
        assert!(a.header.response && a.header.authoritative && a.header.recursion_desired);
        assert_eq!(a.header.rcode, RCODE_NOERROR);
        assert_eq!(a.answers[0].data, RData::A(Ipv4Addr::new(10, 96, 0, 7)));
        let q = ask("nope.default.svc.cluster.local").encode().expect("q");
        let a = reply(respond(&zone(), &q, Transport::Udp));
        assert_eq!(a.header.rcode, RCODE_NXDOMAIN);
        assert_eq!(a.authority.len(), 1);
    }

    #[test]
    fn other_names_are_forwarded() {
        let q = ask("example.com").encode().expect("q");
        assert!(matches!(
            respond(&zone(), &q, Transport::Udp),
            Outcome::Forward(_)
        ));
    }

    #[test]
    fn large_udp_answers_are_truncated_unless_edns_allows_them() {
        let q = ask("many.default.svc.cluster.local");
        let a = reply(respond(&zone(), &q.encode().expect("q"), Transport::Udp));
        assert!(a.header.truncated);
        assert!(a.answers.is_empty());
        let a = reply(respond(&zone(), &q.encode().expect("q"), Transport::Tcp));
        assert!(!a.header.truncated);
        assert_eq!(a.answers.len(), 60);
        let mut edns = q.clone();
        edns.additional.push(Record::opt(4096));
        let a = reply(respond(&zone(), &edns.encode().expect("q"), Transport::Udp));
        assert!(!a.header.truncated);
        assert_eq!(a.answers.len(), 60);
        assert!(a.additional.iter().any(|r| r.data.rtype() == TYPE_OPT));
    }

    #[test]
    fn malformed_packets_get_formerr_or_nothing() {
        let z = zone();
        assert_eq!(respond(&z, &[], Transport::Udp), Outcome::Drop);
        assert_eq!(respond(&z, &[1, 2, 3], Transport::Udp), Outcome::Drop);
        // A header announcing a question that is not there.
        let a = reply(respond(
            &z,
            &[0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
            Transport::Udp,
        ));
        assert_eq!((a.header.id, a.header.rcode), (9, RCODE_FORMERR));
        // A compression loop in the question.
        let a = reply(respond(
            &z,
            &[0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1],
            Transport::Tcp,
        ));
        assert_eq!(a.header.rcode, RCODE_FORMERR);
        // Responses are never answered (no reflection loops).
        let mut r = ask("web.default.svc.cluster.local");
        r.header.response = true;
        assert_eq!(
            respond(&z, &r.encode().expect("r"), Transport::Udp),
            Outcome::Drop
        );
        // Two questions, or another opcode.
        let mut two = ask("a.cluster.local");
        two.questions.push(two.questions[0].clone());
        let a = reply(respond(&z, &two.encode().expect("q"), Transport::Udp));
        assert_eq!(a.header.rcode, RCODE_FORMERR);
        let mut notify = ask("a.cluster.local");
        notify.header.opcode = 4;
        let a = reply(respond(&z, &notify.encode().expect("q"), Transport::Udp));
        assert_eq!(a.header.rcode, RCODE_NOTIMP);
    }

    #[test]
    fn the_upstream_comes_from_resolv_conf() {
        let text = "# generated\nsearch example.com\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n";
        assert_eq!(
            upstream_from_resolv_conf(text),
            Some("10.0.0.2:53".parse().expect("addr"))
        );
        assert_eq!(
            upstream_from_resolv_conf("nameserver fe80::1%eth0"),
            Some("[fe80::1]:53".parse().expect("addr"))
        );
        assert_eq!(upstream_from_resolv_conf("options ndots:5"), None);
    }

    #[test]
    fn forwarding_to_ourselves_is_recognised() {
        let a = |s: &str| s.parse::<SocketAddr>().expect("addr");
        assert!(is_self(a("127.0.0.1:53"), a("127.0.0.1:53")));
        assert!(is_self(a("127.0.0.1:53"), a("0.0.0.0:53")));
        assert!(!is_self(a("127.0.0.53:53"), a("127.0.0.1:1053")));
        assert!(!is_self(a("10.0.0.2:53"), a("0.0.0.0:53")));
    }

    async fn udp_ask(udp: &UdpSocket, addr: SocketAddr, name: &str) -> Message {
        udp.send_to(&ask(name).encode().expect("q"), addr)
            .await
            .expect("send");
        let mut buf = vec![0u8; 4096];
        let (n, _) = tokio::time::timeout(Duration::from_secs(10), udp.recv_from(&mut buf))
            .await
            .expect("an answer in time")
            .expect("recv");
        Message::parse(&buf[..n]).expect("answer")
    }

    #[tokio::test]
    async fn serves_udp_and_tcp_and_forwards_with_servfail_on_failure() {
        // A fake upstream that answers every question with 192.0.2.1.
        let up = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let up_addr = up.local_addr().expect("addr");
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while let Ok((n, peer)) = up.recv_from(&mut buf).await {
                let Ok(q) = Message::parse(&buf[..n]) else {
                    continue;
                };
                let mut a = reply_to(&q, RCODE_NOERROR);
                a.answers.push(Record::new(
                    q.questions[0].name.clone(),
                    60,
                    RData::A(Ipv4Addr::new(192, 0, 2, 1)),
                ));
                let _ = up.send_to(&a.encode().expect("a"), peer).await;
            }
        });
        let zone = SharedZone::new(zone());
        let cfg = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            upstream: Some(up_addr),
            upstream_timeout: Duration::from_secs(5),
        };
        let server = Server::bind(&cfg, zone.clone()).await.expect("bind");
        let addr = server.local_addr();
        let task = tokio::spawn(server.run());

        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("client");
        let mut buf = vec![0u8; 4096];
        let a = udp_ask(&udp, addr, "web.default.svc.cluster.local").await;
        assert_eq!(a.answers[0].data, RData::A(Ipv4Addr::new(10, 96, 0, 7)));
        let a = udp_ask(&udp, addr, "example.com").await;
        assert_eq!(a.answers[0].data, RData::A(Ipv4Addr::new(192, 0, 2, 1)));
        // Garbage does not stop the server.
        udp.send_to(&[0xff; 5], addr).await.expect("send");
        // The zone changes under the running server.
        zone.set(Zone::build(&ZoneConfig::default(), 2, &[], &[]));
        let a = udp_ask(&udp, addr, "web.default.svc.cluster.local").await;
        assert_eq!(a.header.rcode, RCODE_NXDOMAIN);

        // TCP, two questions on one connection.
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        for name in ["example.com", "nope.default.svc.cluster.local"] {
            let q = ask(name).encode().expect("q");
            let mut out = (q.len() as u16).to_be_bytes().to_vec();
            out.extend_from_slice(&q);
            tcp.write_all(&out).await.expect("write");
            let mut len = [0u8; 2];
            tcp.read_exact(&mut len).await.expect("len");
            let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
            tcp.read_exact(&mut body).await.expect("body");
            let a = Message::parse(&body).expect("answer");
            assert_eq!(a.header.id, 77);
        }
        task.abort();

        // An upstream that never answers: SERVFAIL after the timeout.
        let silent = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let cfg = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            upstream: Some(silent.local_addr().expect("addr")),
            upstream_timeout: Duration::from_millis(200),
        };
        let server = Server::bind(&cfg, SharedZone::new(zone.get().as_ref().clone()))
            .await
            .expect("bind");
        let addr = server.local_addr();
        let task = tokio::spawn(server.run());
        udp.send_to(&ask("example.com").encode().expect("q"), addr)
            .await
            .expect("send");
        let (n, _) = tokio::time::timeout(Duration::from_secs(10), udp.recv_from(&mut buf))
            .await
            .expect("an answer in time")
            .expect("recv");
        let a = Message::parse(&buf[..n]).expect("answer");
        assert_eq!(a.header.rcode, RCODE_SERVFAIL);
        task.abort();
    }
}

//! The virtual cluster's DNS server end to end: a real `vnest control-plane` with
//! `--dns-listen 127.0.0.1:0` and a fake upstream resolver on loopback (made with
//! vnest-dns's own codec), queried with hickory-resolver as a real client library.
//! Every wait polls with a generous deadline; no fixed sleep decides a result.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::Resolver;
use k8s_openapi::api::core::v1::{Endpoints, Namespace, Service};
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::json;
use vnest_dns::wire;

/// What the fake upstream answers for every name under `example.test`.
const UPSTREAM_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 53);

struct Env {
    cp: &'static common::Shared,
    dns: SocketAddr,
}

/// A resolver on loopback that answers `*.example.test` A with [`UPSTREAM_IP`] and
/// NXDOMAIN for everything else.
fn fake_upstream() -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind the fake upstream");
    let addr = sock.local_addr().expect("addr");
    std::thread::Builder::new()
        .name("fake-upstream".into())
        .spawn(move || {
            let mut buf = vec![0u8; 4096];
            while let Ok((n, peer)) = sock.recv_from(&mut buf) {
                let Ok(q) = wire::Message::parse(&buf[..n]) else {
                    continue;
                };
                let mut a = wire::Message {
                    header: wire::Header {
                        id: q.header.id,
                        response: true,
                        recursion_desired: q.header.recursion_desired,
                        recursion_available: true,
                        ..Default::default()
                    },
                    questions: q.questions.clone(),
                    ..Default::default()
                };
                let Some(question) = q.questions.first() else {
                    continue;
                };
                let ours = question
                    .name
                    .lower_labels()
                    .is_some_and(|l| l.ends_with(&["example".into(), "test".into()]));
                if ours && question.qtype == wire::TYPE_A {
                    a.answers.push(wire::Record::new(
                        question.name.clone(),
                        60,
                        wire::RData::A(UPSTREAM_IP),
                    ));
                } else if !ours {
                    a.header.rcode = wire::RCODE_NXDOMAIN;
                }
                if let Ok(bytes) = a.encode() {
                    let _ = sock.send_to(&bytes, peer);
                }
            }
        })
        .expect("upstream thread");
    addr
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let upstream = fake_upstream();
        let cp = common::shared_with(vec![
            "--dns-listen".into(),
            "127.0.0.1:0".into(),
            "--dns-upstream".into(),
            upstream.to_string(),
        ]);
        let file = cp.dir.join("dns.addr");
        let deadline = Instant::now() + Duration::from_secs(60);
        let dns = loop {
            if let Some(addr) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| t.trim().parse::<SocketAddr>().ok())
            {
                break addr;
            }
            assert!(
                Instant::now() < deadline,
                "no dns.addr written:\n{}",
                common::tail(&cp.log(), 30)
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(dns.ip().is_loopback());
        Env { cp, dns }
    })
}

/// A fresh resolver (no cache between polls) talking only to `dns`.
fn resolver(dns: SocketAddr, protocol: Protocol) -> Resolver<TokioConnectionProvider> {
    let mut cfg = ResolverConfig::new();
    cfg.add_name_server(NameServerConfig::new(dns, protocol));
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.timeout = Duration::from_secs(5);
    opts.attempts = 2;
    Resolver::builder_with_config(cfg, TokioConnectionProvider::default())
        .with_options(opts)
        .build()
}

/// What a lookup gave: the records' data, or NXDOMAIN, or another failure.
#[derive(Debug, PartialEq, Eq)]
enum Got {
    Records(Vec<String>),
    NxDomain,
    NoRecords,
    Failed(String),
}

async fn lookup(dns: SocketAddr, protocol: Protocol, name: &str, rtype: RecordType) -> Got {
    match resolver(dns, protocol).lookup(name, rtype).await {
        Ok(l) => {
            let mut out: Vec<String> = l
                .record_iter()
                .filter(|r| r.record_type() == rtype)
                .map(|r| match r.data() {
                    RData::A(a) => a.0.to_string(),
                    RData::AAAA(a) => a.0.to_string(),
                    RData::CNAME(c) => c.0.to_string(),
                    RData::SRV(s) => format!("{} {}", s.port(), s.target()),
                    other => format!("{other:?}"),
                })
                .collect();
            out.sort();
            Got::Records(out)
        }
        Err(e) if e.is_nx_domain() => Got::NxDomain,
        Err(e) if e.is_no_records_found() => Got::NoRecords,
        Err(e) => Got::Failed(e.to_string()),
    }
}

/// Polls `name` until the answer is `want` (60 s deadline).
async fn eventually(dns: SocketAddr, protocol: Protocol, name: &str, rtype: RecordType, want: Got) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = lookup(dns, protocol, name, rtype).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} {rtype}: still {got:?}, want {want:?}\n{}",
            common::tail(&env().cp.log(), 20)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn records(list: &[&str]) -> Got {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    Got::Records(v)
}

async fn namespace(client: &kube::Client, name: &str) {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).expect("ns");
    let _ = Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await;
}

async fn create_service(client: &kube::Client, ns: &str, body: serde_json::Value) -> Service {
    let svc: Service = serde_json::from_value(body).expect("service");
    Api::<Service>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &svc)
        .await
        .expect("create service")
}

fn cluster_ip(svc: &Service) -> String {
    svc.spec
        .as_ref()
        .and_then(|s| s.cluster_ip.clone())
        .expect("a ClusterIP")
}

#[tokio::test]
async fn cluster_ip_services_answer_a_over_udp_and_tcp_and_srv_for_named_ports() {
    let e = env();
    let client = e.cp.client().await;
    namespace(&client, "dns-a").await;
    let svc = create_service(
        &client,
        "dns-a",
        json!({"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}),
    )
    .await;
    let ip = cluster_ip(&svc);
    let name = "web.dns-a.svc.cluster.local.";
    eventually(e.dns, Protocol::Udp, name, RecordType::A, records(&[&ip])).await;
    assert_eq!(
        lookup(e.dns, Protocol::Tcp, name, RecordType::A).await,
        records(&[&ip]),
        "the same answer over TCP"
    );
    assert_eq!(
        lookup(
            e.dns,
            Protocol::Udp,
            "_http._tcp.web.dns-a.svc.cluster.local.",
            RecordType::SRV
        )
        .await,
        records(&["80 web.dns-a.svc.cluster.local."])
    );
    assert_eq!(
        lookup(
            e.dns,
            Protocol::Udp,
            "_nope._tcp.web.dns-a.svc.cluster.local.",
            RecordType::SRV
        )
        .await,
        Got::NxDomain
    );
}

#[tokio::test]
async fn headless_services_answer_their_endpoints() {
    let e = env();
    let client = e.cp.client().await;
    namespace(&client, "dns-b").await;
    create_service(
        &client,
        "dns-b",
        json!({"metadata": {"name": "db"}, "spec": {"clusterIP": "None",
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]}}),
    )
    .await;
    let eps: Endpoints = serde_json::from_value(json!({
        "metadata": {"name": "db", "namespace": "dns-b"},
        "subsets": [{
            "addresses": [{"ip": "10.1.0.1", "hostname": "db-0"}, {"ip": "10.1.0.2", "hostname": "db-1"}],
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
        }],
    }))
    .expect("endpoints");
    Api::<Endpoints>::namespaced(client.clone(), "dns-b")
        .create(&PostParams::default(), &eps)
        .await
        .expect("create endpoints");
    eventually(
        e.dns,
        Protocol::Udp,
        "db.dns-b.svc.cluster.local.",
        RecordType::A,
        records(&["10.1.0.1", "10.1.0.2"]),
    )
    .await;
    assert_eq!(
        lookup(
            e.dns,
            Protocol::Udp,
            "db-1.db.dns-b.svc.cluster.local.",
            RecordType::A
        )
        .await,
        records(&["10.1.0.2"])
    );
    assert_eq!(
        lookup(
            e.dns,
            Protocol::Tcp,
            "_pg._tcp.db.dns-b.svc.cluster.local.",
            RecordType::SRV
        )
        .await,
        records(&[
            "5432 db-0.db.dns-b.svc.cluster.local.",
            "5432 db-1.db.dns-b.svc.cluster.local."
        ])
    );
}

#[tokio::test]
async fn external_name_services_are_cnames() {
    let e = env();
    let client = e.cp.client().await;
    namespace(&client, "dns-c").await;
    create_service(
        &client,
        "dns-c",
        json!({"metadata": {"name": "ext"}, "spec": {"type": "ExternalName",
            "externalName": "db.example.test"}}),
    )
    .await;
    eventually(
        e.dns,
        Protocol::Udp,
        "ext.dns-c.svc.cluster.local.",
        RecordType::CNAME,
        records(&["db.example.test."]),
    )
    .await;
}

#[tokio::test]
async fn unknown_names_are_nxdomain_and_deleted_services_disappear() {
    let e = env();
    let client = e.cp.client().await;
    namespace(&client, "dns-d").await;
    create_service(
        &client,
        "dns-d",
        json!({"metadata": {"name": "gone"}, "spec": {"ports": [{"port": 80}]}}),
    )
    .await;
    let name = "gone.dns-d.svc.cluster.local.";
    eventually(e.dns, Protocol::Udp, name, RecordType::A, {
        let svc = Api::<Service>::namespaced(client.clone(), "dns-d")
            .get("gone")
            .await
            .expect("get");
        records(&[&cluster_ip(&svc)])
    })
    .await;
    // The zone is synced: unknown names in it are NXDOMAIN.
    assert_eq!(
        lookup(
            e.dns,
            Protocol::Udp,
            "nope.dns-d.svc.cluster.local.",
            RecordType::A
        )
        .await,
        Got::NxDomain
    );
    assert_eq!(
        lookup(e.dns, Protocol::Udp, "what.cluster.local.", RecordType::A).await,
        Got::NxDomain
    );
    Api::<Service>::namespaced(client.clone(), "dns-d")
        .delete("gone", &DeleteParams::default())
        .await
        .expect("delete");
    eventually(e.dns, Protocol::Udp, name, RecordType::A, Got::NxDomain).await;
}

#[tokio::test]
async fn pod_names_carry_their_address() {
    let e = env();
    eventually(
        e.dns,
        Protocol::Udp,
        "10-244-1-7.default.pod.cluster.local.",
        RecordType::A,
        records(&["10.244.1.7"]),
    )
    .await;
}

#[tokio::test]
async fn names_outside_the_cluster_go_to_the_upstream() {
    let e = env();
    assert_eq!(
        lookup(e.dns, Protocol::Udp, "www.example.test.", RecordType::A).await,
        records(&[&UPSTREAM_IP.to_string()])
    );
    assert_eq!(
        lookup(e.dns, Protocol::Tcp, "api.example.test.", RecordType::A).await,
        records(&[&UPSTREAM_IP.to_string()]),
        "a TCP question is forwarded too"
    );
    assert_eq!(
        lookup(e.dns, Protocol::Udp, "unknown.nowhere.", RecordType::A).await,
        Got::NxDomain,
        "the upstream's NXDOMAIN comes back"
    );
}

#[tokio::test]
async fn kube_dns_points_at_the_server() {
    let e = env();
    let client = e.cp.client().await;
    // The control plane writes dns.addr, then ensures the Service and its Endpoints.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (svc, eps) = loop {
        let svc = Api::<Service>::namespaced(client.clone(), "kube-system")
            .get_opt("kube-dns")
            .await;
        let eps = Api::<Endpoints>::namespaced(client.clone(), "kube-system")
            .get_opt("kube-dns")
            .await;
        if let (Ok(Some(s)), Ok(Some(e))) = (svc, eps) {
            break (s, e);
        }
        assert!(
            Instant::now() < deadline,
            "no kube-system/kube-dns Service and Endpoints"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let v = serde_json::to_value(&svc).expect("json");
    assert_eq!(v["metadata"]["labels"]["k8s-app"], "kube-dns");
    assert_eq!(v["metadata"]["labels"]["kubernetes.io/name"], "vnest-dns");
    let ports: BTreeSet<(String, i64, String, i64)> = v["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["port"].as_i64().unwrap_or_default(),
                p["protocol"].as_str().unwrap_or_default().to_string(),
                p["targetPort"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let port = i64::from(e.dns.port());
    assert_eq!(
        ports,
        BTreeSet::from([
            ("dns".to_string(), 53, "UDP".to_string(), port),
            ("dns-tcp".to_string(), 53, "TCP".to_string(), port),
        ])
    );
    assert!(v["spec"].get("selector").is_none_or(|s| s.is_null()));
    let ev = serde_json::to_value(&eps).expect("json");
    assert_eq!(ev["subsets"][0]["addresses"][0]["ip"], "127.0.0.1");
    assert_eq!(ev["subsets"][0]["ports"][0]["port"], port);
    // It answers for itself, and for the API server's Service.
    eventually(
        e.dns,
        Protocol::Udp,
        "kube-dns.kube-system.svc.cluster.local.",
        RecordType::A,
        records(&[&cluster_ip(&svc)]),
    )
    .await;
    let kubernetes = Api::<Service>::namespaced(client.clone(), "default")
        .get("kubernetes")
        .await
        .expect("kubernetes service");
    let ip: IpAddr = cluster_ip(&kubernetes).parse().expect("ip");
    assert_eq!(
        lookup(
            e.dns,
            Protocol::Udp,
            "kubernetes.default.svc.cluster.local.",
            RecordType::A
        )
        .await,
        records(&[&ip.to_string()])
    );
}

/// Polls kubectl's jsonpath output until `ok` accepts it (60 s deadline).
fn wait_jsonpath(
    cp: &common::Shared,
    args: &[&str],
    path: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let expr = format!("jsonpath={path}");
    let mut all = args.to_vec();
    all.extend(["-o", &expr]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = cp.kubectl(&all);
        let text = common::stdout(&out);
        if out.status.success() && ok(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "kubectl {}: {text:?} {}\n{}",
            all.join(" "),
            common::stderr(&out),
            common::tail(&cp.log(), 20)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Under a syncer, kube-dns gets a host ClusterIP, its Endpoints cross to the host,
/// and synced pods with dnsPolicy ClusterFirst use that ClusterIP as nameserver.
#[test]
fn synced_pods_use_the_virtual_cluster_dns() {
    let host = common::shared_host();
    let host_ns = "vc-dns";
    let _ = host.kubectl(&["create", "namespace", host_ns]);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-dns-virtual-{}", std::process::id()));
    let host_kubeconfig = host.kubeconfig.to_string_lossy().to_string();
    let vc = common::ControlPlane::start(
        &dir,
        &[
            "--name",
            "vdns",
            "--host-kubeconfig",
            &host_kubeconfig,
            "--host-namespace",
            host_ns,
            "--dns-listen",
            "127.0.0.1:0",
        ],
    );
    let dns_ip = wait_jsonpath(
        &vc,
        &["get", "service", "kube-dns", "-n", "kube-system"],
        "{.spec.clusterIP}",
        |ip| !ip.is_empty(),
    );
    let host_svc = "kube-dns-x-kube-system-x-vdns";
    wait_jsonpath(
        host,
        &["get", "service", host_svc, "-n", host_ns],
        "{.spec.clusterIP}",
        |ip| ip == dns_ip,
    );
    wait_jsonpath(
        host,
        &["get", "endpoints", host_svc, "-n", host_ns],
        "{.subsets[0].addresses[0].ip}",
        |ip| ip == "127.0.0.1",
    );
    let o = vc.kubectl(&["run", "dnsprobe", "--image=nginx"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let host_pod = ["get", "pod", "dnsprobe-x-default-x-vdns", "-n", host_ns];
    let got = wait_jsonpath(
        host,
        &host_pod,
        "{.spec.dnsPolicy} {.spec.dnsConfig.nameservers[0]} {.spec.dnsConfig.searches[0]}",
        |s| !s.trim().is_empty(),
    );
    assert_eq!(got, format!("None {dns_ip} default.svc.cluster.local"));
}

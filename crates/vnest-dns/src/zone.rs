//! The cluster zone, as CoreDNS's kubernetes plugin serves it: a snapshot of the
//! virtual cluster's Services and Endpoints, and the answer to one question. No I/O.
//!
//! - `<svc>.<ns>.svc.<domain>`: A/AAAA of the ClusterIPs; for headless services the
//!   ready endpoint addresses; ExternalName services a CNAME.
//! - `<host>.<svc>.<ns>.svc.<domain>`: an endpoint of a headless service, by its
//!   hostname or its dashed address (`10-1-2-3`).
//! - `_<port>._<proto>.<svc>.<ns>.svc.<domain>` (and `<svc>.<ns>.svc.<domain>`) SRV,
//!   with the targets' addresses in the additional section.
//! - `<a-b-c-d>.<ns>.pod.<domain>`: the address in the name ("pods insecure").
//! - PTR for ClusterIPs and named endpoints.
//!
//! Names in the zone that do not exist get NXDOMAIN, names that exist without records
//! of the asked type NOERROR; both with the zone's SOA in the authority section.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use k8s_openapi::api::core::v1::{Endpoints, Service};

use crate::wire::{
    Name, Question, RData, Record, Soa, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED,
    RCODE_SERVFAIL, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_CNAME, TYPE_PTR, TYPE_SOA, TYPE_SRV,
};

/// How the zone is named and how long its answers may be cached.
#[derive(Clone, Debug)]
pub struct ZoneConfig {
    pub domain: String,
    pub ttl: u32,
}

impl Default for ZoneConfig {
    fn default() -> Self {
        ZoneConfig {
            domain: "cluster.local".into(),
            ttl: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Port {
    name: String,
    /// Lower case: tcp, udp, sctp.
    protocol: String,
    port: u16,
}

#[derive(Clone, Debug)]
struct Endpoint {
    ip: IpAddr,
    hostname: Option<String>,
    ports: Vec<Port>,
}

impl Endpoint {
    /// The endpoint's label under its service: its hostname, or its dashed address.
    fn label(&self) -> String {
        match &self.hostname {
            Some(h) => h.clone(),
            None => dashed(self.ip),
        }
    }
}

#[derive(Clone, Debug)]
enum Kind {
    ClusterIp(Vec<IpAddr>),
    Headless,
    ExternalName(String),
}

#[derive(Clone, Debug)]
struct Svc {
    kind: Kind,
    ports: Vec<Port>,
    endpoints: Vec<Endpoint>,
}

/// The answer to one question in the zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub rcode: u8,
    pub authoritative: bool,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
}

/// A snapshot of the cluster's names.
#[derive(Clone, Debug)]
pub struct Zone {
    domain: Vec<String>,
    ttl: u32,
    serial: u32,
    /// False until the first complete list of services and endpoints: until then
    /// names in the zone get SERVFAIL, not a wrong NXDOMAIN.
    ready: bool,
    services: BTreeMap<(String, String), Svc>,
    namespaces: BTreeSet<String>,
    reverse: HashMap<IpAddr, Vec<Name>>,
}

fn dashed(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string().replace('.', "-"),
        IpAddr::V6(v6) => v6.to_string().replace(':', "-"),
    }
}

fn undashed(label: &str) -> Option<IpAddr> {
    if let Ok(v4) = label.replace('-', ".").parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(v4));
    }
    label
        .replace('-', ":")
        .parse::<Ipv6Addr>()
        .ok()
        .map(IpAddr::V6)
}

fn ports_of(list: impl Iterator<Item = (Option<String>, Option<String>, i32)>) -> Vec<Port> {
    list.filter_map(|(name, protocol, port)| {
        Some(Port {
            name: name.unwrap_or_default().to_ascii_lowercase(),
            protocol: protocol
                .unwrap_or_else(|| "TCP".into())
                .to_ascii_lowercase(),
            port: u16::try_from(port).ok()?,
        })
    })
    .collect()
}

impl Zone {
    /// An empty zone that is not ready yet.
    pub fn empty(cfg: &ZoneConfig) -> Zone {
        Zone {
            domain: cfg
                .domain
                .trim_end_matches('.')
                .split('.')
                .map(str::to_ascii_lowercase)
                .collect(),
            ttl: cfg.ttl,
            serial: 1,
            ready: false,
            services: BTreeMap::new(),
            namespaces: BTreeSet::new(),
            reverse: HashMap::new(),
        }
    }

    /// The zone of these services and endpoints. `serial` goes into the SOA.
    pub fn build<'a>(
        cfg: &ZoneConfig,
        serial: u32,
        services: impl IntoIterator<Item = &'a Service>,
        endpoints: impl IntoIterator<Item = &'a Endpoints>,
    ) -> Zone {
        let mut zone = Zone::empty(cfg);
        zone.serial = serial;
        zone.ready = true;
        let mut eps: HashMap<(String, String), &Endpoints> = HashMap::new();
        for e in endpoints {
            let key = (
                e.metadata.namespace.clone().unwrap_or_default(),
                e.metadata.name.clone().unwrap_or_default(),
            );
            eps.insert(key, e);
        }
        for s in services {
            let (Some(ns), Some(name)) = (&s.metadata.namespace, &s.metadata.name) else {
                continue;
            };
            let Some(spec) = &s.spec else { continue };
            let key = (ns.to_ascii_lowercase(), name.to_ascii_lowercase());
            let kind = if spec.type_.as_deref() == Some("ExternalName") {
                match &spec.external_name {
                    Some(n) if !n.is_empty() => Kind::ExternalName(n.clone()),
                    _ => continue,
                }
            } else if spec.cluster_ip.as_deref() == Some("None") {
                Kind::Headless
            } else {
                let ips: Vec<IpAddr> = spec
                    .cluster_ips
                    .iter()
                    .flatten()
                    .chain(spec.cluster_ip.iter())
                    .filter_map(|ip| ip.parse().ok())
                    .fold(Vec::new(), |mut acc, ip| {
                        if !acc.contains(&ip) {
                            acc.push(ip);
                        }
                        acc
                    });
                Kind::ClusterIp(ips)
            };
            let ports = ports_of(
                spec.ports
                    .iter()
                    .flatten()
                    .map(|p| (p.name.clone(), p.protocol.clone(), p.port)),
            );
            let publish_not_ready = spec.publish_not_ready_addresses == Some(true);
            let mut endpoints = Vec::new();
            if let Some(e) = eps.get(&(ns.clone(), name.clone())) {
                for subset in e.subsets.iter().flatten() {
                    let ports = ports_of(
                        subset
                            .ports
                            .iter()
                            .flatten()
                            .map(|p| (p.name.clone(), p.protocol.clone(), p.port)),
                    );
                    let not_ready = subset
                        .not_ready_addresses
                        .iter()
                        .flatten()
                        .filter(|_| publish_not_ready);
                    for a in subset.addresses.iter().flatten().chain(not_ready) {
                        let Ok(ip) = a.ip.parse::<IpAddr>() else {
                            continue;
                        };
                        let hostname = a
                            .hostname
                            .as_ref()
                            .filter(|h| !h.is_empty())
                            .map(|h| h.to_ascii_lowercase());
                        endpoints.push(Endpoint {
                            ip,
                            hostname,
                            ports: ports.clone(),
                        });
                    }
                }
            }
            let svc_name = zone.name_of(&[&key.1, &key.0, "svc"]);
            match (&kind, &svc_name) {
                (Kind::ClusterIp(ips), Some(n)) => {
                    for ip in ips {
                        zone.reverse.entry(*ip).or_default().push(n.clone());
                    }
                }
                (Kind::Headless, Some(_)) => {
                    for e in endpoints.iter().filter(|e| e.hostname.is_some()) {
                        let label = e.label();
                        if let Some(n) = zone.name_of(&[&label, &key.1, &key.0, "svc"]) {
                            zone.reverse.entry(e.ip).or_default().push(n);
                        }
                    }
                }
                _ => {}
            }
            zone.namespaces.insert(key.0.clone());
            zone.services.insert(
                key,
                Svc {
                    kind,
                    ports,
                    endpoints,
                },
            );
        }
        zone
    }

    /// `labels` followed by the zone's domain.
    fn name_of(&self, labels: &[&str]) -> Option<Name> {
        let all = labels
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .chain(self.domain.iter().map(|l| l.as_bytes().to_vec()))
            .collect();
        Name::from_labels(all).ok()
    }

    fn soa(&self) -> Record {
        let apex = self.name_of(&[]).unwrap_or_default();
        let mname = self.name_of(&["ns", "dns"]).unwrap_or_default();
        let rname = self.name_of(&["hostmaster"]).unwrap_or_default();
        Record::new(
            apex,
            self.ttl,
            RData::Soa(Soa {
                mname,
                rname,
                serial: self.serial,
                refresh: 7200,
                retry: 1800,
                expire: 86400,
                minimum: self.ttl,
            }),
        )
    }

    fn address(&self, name: &Name, ip: IpAddr) -> Record {
        let data = match ip {
            IpAddr::V4(v4) => RData::A(v4),
            IpAddr::V6(v6) => RData::Aaaa(v6),
        };
        Record::new(name.clone(), self.ttl, data)
    }

    fn empty_answer(&self, rcode: u8) -> Answer {
        Answer {
            rcode,
            authoritative: true,
            answers: Vec::new(),
            authority: vec![self.soa()],
            additional: Vec::new(),
        }
    }

    /// Records (answers, additional) or the SOA when there are none.
    fn records(&self, answers: Vec<Record>, additional: Vec<Record>) -> Answer {
        if answers.is_empty() {
            return self.empty_answer(RCODE_NOERROR);
        }
        Answer {
            rcode: RCODE_NOERROR,
            authoritative: true,
            answers,
            authority: Vec::new(),
            additional,
        }
    }

    /// Whether the zone is authoritative for `name` (inside the domain, or a reverse
    /// name of an address it knows).
    pub fn answer(&self, q: &Question) -> Option<Answer> {
        let labels = q.name.lower_labels();
        if let Some(labels) = &labels {
            if q.qtype == TYPE_PTR {
                if let Some(a) = self.reverse_answer(q, labels) {
                    return Some(a);
                }
            }
        }
        let raw = q.name.labels();
        let in_zone = raw.len() >= self.domain.len()
            && raw[raw.len() - self.domain.len()..]
                .iter()
                .zip(&self.domain)
                .all(|(a, b)| a.eq_ignore_ascii_case(b.as_bytes()));
        if !in_zone {
            return None;
        }
        if !self.ready {
            return Some(Answer {
                rcode: RCODE_SERVFAIL,
                authoritative: false,
                answers: Vec::new(),
                authority: Vec::new(),
                additional: Vec::new(),
            });
        }
        if q.qclass != crate::wire::CLASS_IN && q.qclass != crate::wire::CLASS_ANY {
            return Some(Answer {
                rcode: RCODE_REFUSED,
                authoritative: false,
                answers: Vec::new(),
                authority: Vec::new(),
                additional: Vec::new(),
            });
        }
        let Some(labels) = labels else {
            return Some(self.empty_answer(RCODE_NXDOMAIN));
        };
        let rest: Vec<&str> = labels[..labels.len() - self.domain.len()]
            .iter()
            .map(String::as_str)
            .collect();
        Some(match rest.as_slice() {
            [] => {
                if q.qtype == TYPE_SOA || q.qtype == TYPE_ANY {
                    self.records(vec![self.soa()], Vec::new())
                } else {
                    self.empty_answer(RCODE_NOERROR)
                }
            }
            ["svc"] | ["pod"] => self.empty_answer(RCODE_NOERROR),
            [ns, "svc"] | [ns, "pod"] => {
                let known = self.namespaces.contains(*ns);
                self.empty_answer(if known { RCODE_NOERROR } else { RCODE_NXDOMAIN })
            }
            [name, ns, "svc"] => self.service_answer(q, ns, name),
            [host, name, ns, "svc"] => self.endpoint_answer(q, ns, name, host),
            [port, proto, name, ns, "svc"] => {
                match (port.strip_prefix('_'), proto.strip_prefix('_')) {
                    (Some(port), Some(proto)) => self.srv_answer(q, ns, name, Some((port, proto))),
                    _ => self.empty_answer(RCODE_NXDOMAIN),
                }
            }
            [ip, _ns, "pod"] => match undashed(ip) {
                Some(addr) => {
                    let wanted = matches!(
                        (q.qtype, addr),
                        (TYPE_A | TYPE_ANY, IpAddr::V4(_)) | (TYPE_AAAA | TYPE_ANY, IpAddr::V6(_))
                    );
                    let answers = if wanted {
                        vec![self.address(&q.name, addr)]
                    } else {
                        Vec::new()
                    };
                    self.records(answers, Vec::new())
                }
                None => self.empty_answer(RCODE_NXDOMAIN),
            },
            _ => self.empty_answer(RCODE_NXDOMAIN),
        })
    }

    fn service(&self, ns: &str, name: &str) -> Option<&Svc> {
        self.services.get(&(ns.to_string(), name.to_string()))
    }

    fn service_answer(&self, q: &Question, ns: &str, name: &str) -> Answer {
        let Some(svc) = self.service(ns, name) else {
            return self.empty_answer(RCODE_NXDOMAIN);
        };
        if q.qtype == TYPE_SRV {
            return self.srv_answer(q, ns, name, None);
        }
        let ips: Vec<IpAddr> = match &svc.kind {
            Kind::ExternalName(target) => {
                let answers = match Name::parse(target) {
                    Ok(t) if matches!(q.qtype, TYPE_A | TYPE_AAAA | TYPE_CNAME | TYPE_ANY) => {
                        vec![Record::new(q.name.clone(), self.ttl, RData::Cname(t))]
                    }
                    _ => Vec::new(),
                };
                return self.records(answers, Vec::new());
            }
            Kind::ClusterIp(ips) => ips.clone(),
            Kind::Headless => {
                let mut ips: Vec<IpAddr> = Vec::new();
                for e in &svc.endpoints {
                    if !ips.contains(&e.ip) {
                        ips.push(e.ip);
                    }
                }
                ips
            }
        };
        let answers = ips
            .into_iter()
            .filter(|ip| match q.qtype {
                TYPE_A => ip.is_ipv4(),
                TYPE_AAAA => ip.is_ipv6(),
                TYPE_ANY => true,
                _ => false,
            })
            .map(|ip| self.address(&q.name, ip))
            .collect();
        self.records(answers, Vec::new())
    }

    fn endpoint_answer(&self, q: &Question, ns: &str, name: &str, host: &str) -> Answer {
        let Some(svc) = self.service(ns, name) else {
            return self.empty_answer(RCODE_NXDOMAIN);
        };
        if !matches!(svc.kind, Kind::Headless) {
            return self.empty_answer(RCODE_NXDOMAIN);
        }
        let matching: Vec<&Endpoint> = svc.endpoints.iter().filter(|e| e.label() == host).collect();
        if matching.is_empty() {
            return self.empty_answer(RCODE_NXDOMAIN);
        }
        let answers = matching
            .iter()
            .filter(|e| match q.qtype {
                TYPE_A => e.ip.is_ipv4(),
                TYPE_AAAA => e.ip.is_ipv6(),
                TYPE_ANY => true,
                _ => false,
            })
            .map(|e| self.address(&q.name, e.ip))
            .collect();
        self.records(answers, Vec::new())
    }

    /// SRV records of a service: of one named port (`port` = (name, protocol)), or
    /// of all its named ports.
    fn srv_answer(&self, q: &Question, ns: &str, name: &str, port: Option<(&str, &str)>) -> Answer {
        let Some(svc) = self.service(ns, name) else {
            return self.empty_answer(RCODE_NXDOMAIN);
        };
        let wanted = |p: &Port| {
            !p.name.is_empty() && port.is_none_or(|(n, proto)| p.name == n && p.protocol == proto)
        };
        // (target name, port, target addresses)
        let mut targets: Vec<(Name, u16, Vec<IpAddr>)> = Vec::new();
        match &svc.kind {
            Kind::ClusterIp(ips) => {
                let Some(target) = self.name_of(&[name, ns, "svc"]) else {
                    return self.empty_answer(RCODE_NXDOMAIN);
                };
                for p in svc.ports.iter().filter(|p| wanted(p)) {
                    targets.push((target.clone(), p.port, ips.clone()));
                }
            }
            Kind::Headless => {
                for e in &svc.endpoints {
                    let label = e.label();
                    let Some(target) = self.name_of(&[&label, name, ns, "svc"]) else {
                        continue;
                    };
                    for p in e.ports.iter().filter(|p| wanted(p)) {
                        targets.push((target.clone(), p.port, vec![e.ip]));
                    }
                }
            }
            Kind::ExternalName(ext) => {
                let Ok(target) = Name::parse(ext) else {
                    return self.empty_answer(RCODE_NXDOMAIN);
                };
                for p in svc.ports.iter().filter(|p| wanted(p)) {
                    targets.push((target.clone(), p.port, Vec::new()));
                }
            }
        }
        if targets.is_empty() {
            let named = svc.ports.iter().any(&wanted);
            return self.empty_answer(if port.is_some() && !named {
                RCODE_NXDOMAIN
            } else {
                RCODE_NOERROR
            });
        }
        if q.qtype != TYPE_SRV && q.qtype != TYPE_ANY {
            return self.empty_answer(RCODE_NOERROR);
        }
        let weight = (100 / targets.len()).max(1) as u16;
        let mut answers = Vec::new();
        let mut additional: Vec<Record> = Vec::new();
        for (target, port, ips) in targets {
            answers.push(Record::new(
                q.name.clone(),
                self.ttl,
                RData::Srv {
                    priority: 0,
                    weight,
                    port,
                    target: target.clone(),
                },
            ));
            for ip in ips {
                let r = self.address(&target, ip);
                if !additional.contains(&r) {
                    additional.push(r);
                }
            }
        }
        self.records(answers, additional)
    }

    fn reverse_answer(&self, q: &Question, labels: &[String]) -> Option<Answer> {
        let ip = reverse_ip(labels)?;
        let names = self.reverse.get(&ip)?;
        let answers = names
            .iter()
            .map(|n| Record::new(q.name.clone(), self.ttl, RData::Ptr(n.clone())))
            .collect();
        Some(self.records(answers, Vec::new()))
    }
}

/// The address of an `in-addr.arpa` or `ip6.arpa` name.
fn reverse_ip(labels: &[String]) -> Option<IpAddr> {
    match labels {
        [d, c, b, a, arpa, tail] if arpa == "in-addr" && tail == "arpa" => {
            let octet = |s: &String| s.parse::<u8>().ok();
            Some(IpAddr::V4(Ipv4Addr::new(
                octet(a)?,
                octet(b)?,
                octet(c)?,
                octet(d)?,
            )))
        }
        [nibbles @ .., ip6, tail] if ip6 == "ip6" && tail == "arpa" && nibbles.len() == 32 => {
            let mut bits: u128 = 0;
            for n in nibbles.iter().rev() {
                let v = u8::from_str_radix(n, 16).ok().filter(|_| n.len() == 1)?;
                bits = (bits << 4) | u128::from(v);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bits)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CLASS_IN, TYPE_TXT};
    use serde_json::json;

    fn svc(v: serde_json::Value) -> Service {
        serde_json::from_value(v).expect("service")
    }

    fn eps(v: serde_json::Value) -> Endpoints {
        serde_json::from_value(v).expect("endpoints")
    }

    fn zone() -> Zone {
        let services = [
            svc(json!({"metadata": {"name": "web", "namespace": "default"},
                "spec": {"clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7", "fd00::7"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP"},
                              {"name": "dns", "port": 53, "protocol": "UDP"}]}})),
            svc(json!({"metadata": {"name": "db", "namespace": "data"},
                "spec": {"clusterIP": "None",
                    "ports": [{"name": "pg", "port": 5432}]}})),
            svc(json!({"metadata": {"name": "ext", "namespace": "default"},
                "spec": {"type": "ExternalName", "externalName": "example.com"}})),
            svc(
                json!({"metadata": {"name": "v4only", "namespace": "default"},
                "spec": {"clusterIP": "10.96.0.8", "ports": [{"port": 80}]}}),
            ),
        ];
        let endpoints = [
            eps(json!({"metadata": {"name": "db", "namespace": "data"},
                "subsets": [{"addresses": [
                    {"ip": "10.1.0.1", "hostname": "db-0"},
                    {"ip": "10.1.0.2", "hostname": "db-1"},
                    {"ip": "10.1.0.3"}],
                  "notReadyAddresses": [{"ip": "10.1.0.9", "hostname": "db-9"}],
                  "ports": [{"name": "pg", "port": 15432, "protocol": "TCP"}]}]})),
            eps(json!({"metadata": {"name": "web", "namespace": "default"},
                "subsets": [{"addresses": [{"ip": "10.1.1.1"}],
                  "ports": [{"name": "http", "port": 8080}]}]})),
        ];
        Zone::build(&ZoneConfig::default(), 42, &services, &endpoints)
    }

    fn ask(z: &Zone, name: &str, qtype: u16) -> Option<Answer> {
        z.answer(&Question {
            name: Name::parse(name).expect("name"),
            qtype,
            qclass: CLASS_IN,
        })
    }

    fn data(a: &Answer) -> Vec<RData> {
        a.answers.iter().map(|r| r.data.clone()).collect()
    }

    fn v4(s: &str) -> RData {
        RData::A(s.parse().expect("ip"))
    }

    fn name(s: &str) -> Name {
        Name::parse(s).expect("name")
    }

    #[test]
    fn cluster_ip_services_answer_their_addresses() {
        let z = zone();
        let a = ask(&z, "web.default.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(a.rcode, RCODE_NOERROR);
        assert!(a.authoritative);
        assert_eq!(data(&a), vec![v4("10.96.0.7")]);
        assert_eq!(a.answers[0].ttl, 5);
        // Case-insensitive, and the answer carries the name as asked.
        let a = ask(&z, "WEB.Default.svc.cluster.local.", TYPE_A).expect("ours");
        assert_eq!(data(&a), vec![v4("10.96.0.7")]);
        assert_eq!(
            a.answers[0].name.to_string(),
            "WEB.Default.svc.cluster.local."
        );
        let a = ask(&z, "web.default.svc.cluster.local", TYPE_AAAA).expect("ours");
        assert_eq!(data(&a), vec![RData::Aaaa("fd00::7".parse().expect("ip"))]);
    }

    #[test]
    fn a_missing_type_is_nodata_and_a_missing_name_nxdomain_both_with_the_soa() {
        let z = zone();
        let a = ask(&z, "v4only.default.svc.cluster.local", TYPE_AAAA).expect("ours");
        assert_eq!(a.rcode, RCODE_NOERROR);
        assert!(a.answers.is_empty());
        assert_eq!(a.authority.len(), 1);
        let a = ask(&z, "web.default.svc.cluster.local", TYPE_TXT).expect("ours");
        assert_eq!((a.rcode, a.answers.len()), (RCODE_NOERROR, 0));
        for missing in [
            "nope.default.svc.cluster.local",
            "web.other.svc.cluster.local",
            "a.b.c.d.e.f.svc.cluster.local",
            "whatever.cluster.local",
            "x.web.default.svc.cluster.local",
        ] {
            let a = ask(&z, missing, TYPE_A).expect("ours");
            assert_eq!(a.rcode, RCODE_NXDOMAIN, "{missing}");
            assert!(a.authoritative);
            match &a.authority[..] {
                [Record {
                    data: RData::Soa(soa),
                    name: owner,
                    ..
                }] => {
                    assert_eq!(owner, &name("cluster.local"));
                    assert_eq!(soa.mname, name("ns.dns.cluster.local"));
                    assert_eq!(soa.rname, name("hostmaster.cluster.local"));
                    assert_eq!(soa.serial, 42);
                }
                other => panic!("{missing}: authority {other:?}"),
            }
        }
        // Existing namespaces and the apex are names without records.
        let a = ask(&z, "default.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(a.rcode, RCODE_NOERROR);
        let a = ask(&z, "cluster.local", TYPE_SOA).expect("ours");
        assert!(matches!(data(&a)[..], [RData::Soa(_)]));
    }

    #[test]
    fn names_outside_the_zone_are_not_ours() {
        let z = zone();
        assert!(ask(&z, "example.com", TYPE_A).is_none());
        assert!(ask(&z, "cluster.local.example.com", TYPE_A).is_none());
        assert!(ask(&z, "local", TYPE_A).is_none());
        assert!(ask(&z, "9.9.9.9.in-addr.arpa", TYPE_PTR).is_none());
    }

    #[test]
    fn a_zone_not_synced_yet_answers_servfail() {
        let z = Zone::empty(&ZoneConfig::default());
        let a = ask(&z, "web.default.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(a.rcode, RCODE_SERVFAIL);
        assert!(ask(&z, "example.com", TYPE_A).is_none());
    }

    #[test]
    fn headless_services_answer_ready_endpoints_and_their_hostnames() {
        let z = zone();
        let a = ask(&z, "db.data.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(
            data(&a),
            vec![v4("10.1.0.1"), v4("10.1.0.2"), v4("10.1.0.3")]
        );
        let a = ask(&z, "db-1.db.data.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(data(&a), vec![v4("10.1.0.2")]);
        let a = ask(&z, "10-1-0-3.db.data.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(data(&a), vec![v4("10.1.0.3")]);
        // Not ready, and not published.
        let a = ask(&z, "db-9.db.data.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(a.rcode, RCODE_NXDOMAIN);
        // Endpoint names exist for headless services only.
        let a = ask(&z, "10-1-1-1.web.default.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(a.rcode, RCODE_NXDOMAIN);
    }

    #[test]
    fn published_not_ready_addresses_count() {
        let services = [svc(json!({"metadata": {"name": "db", "namespace": "data"},
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": true}}))];
        let endpoints = [eps(json!({"metadata": {"name": "db", "namespace": "data"},
            "subsets": [{"notReadyAddresses": [{"ip": "10.1.0.9", "hostname": "db-9"}]}]}))];
        let z = Zone::build(&ZoneConfig::default(), 1, &services, &endpoints);
        let a = ask(&z, "db-9.db.data.svc.cluster.local", TYPE_A).expect("ours");
        assert_eq!(data(&a), vec![v4("10.1.0.9")]);
    }

    #[test]
    fn external_names_are_cnames() {
        let z = zone();
        for t in [TYPE_A, TYPE_AAAA, TYPE_CNAME] {
            let a = ask(&z, "ext.default.svc.cluster.local", t).expect("ours");
            assert_eq!(data(&a), vec![RData::Cname(name("example.com"))]);
        }
    }

    #[test]
    fn srv_of_named_ports_with_addresses_in_the_additional_section() {
        let z = zone();
        let a = ask(&z, "_http._tcp.web.default.svc.cluster.local", TYPE_SRV).expect("ours");
        assert_eq!(
            data(&a),
            vec![RData::Srv {
                priority: 0,
                weight: 100,
                port: 80,
                target: name("web.default.svc.cluster.local"),
            }]
        );
        let extra: Vec<RData> = a.additional.iter().map(|r| r.data.clone()).collect();
        assert_eq!(
            extra,
            vec![v4("10.96.0.7"), RData::Aaaa("fd00::7".parse().expect("ip"))]
        );
        // Protocol must match.
        let a = ask(&z, "_http._udp.web.default.svc.cluster.local", TYPE_SRV).expect("ours");
        assert_eq!(a.rcode, RCODE_NXDOMAIN);
        let a = ask(&z, "_dns._udp.web.default.svc.cluster.local", TYPE_SRV).expect("ours");
        assert_eq!(a.answers.len(), 1);
        // All named ports of the service.
        let a = ask(&z, "web.default.svc.cluster.local", TYPE_SRV).expect("ours");
        assert_eq!(a.answers.len(), 2);
        // Headless: one target per endpoint, with the endpoint's port.
        let a = ask(&z, "_pg._tcp.db.data.svc.cluster.local", TYPE_SRV).expect("ours");
        let targets: Vec<(String, u16)> = a
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Srv { target, port, .. } => Some((target.to_string(), *port)),
                _ => None,
            })
            .collect();
        assert_eq!(
            targets,
            vec![
                ("db-0.db.data.svc.cluster.local.".into(), 15432),
                ("db-1.db.data.svc.cluster.local.".into(), 15432),
                ("10-1-0-3.db.data.svc.cluster.local.".into(), 15432),
            ]
        );
        assert_eq!(a.additional.len(), 3);
        assert_eq!(a.additional[0].name, name("db-0.db.data.svc.cluster.local"));
    }

    #[test]
    fn pod_names_carry_their_address() {
        let z = zone();
        let a = ask(&z, "10-244-1-5.default.pod.cluster.local", TYPE_A).expect("ours");
        assert_eq!(data(&a), vec![v4("10.244.1.5")]);
        let a = ask(&z, "10-244-1-5.default.pod.cluster.local", TYPE_AAAA).expect("ours");
        assert_eq!((a.rcode, a.answers.len()), (RCODE_NOERROR, 0));
        let a = ask(&z, "10-244-1.default.pod.cluster.local", TYPE_A).expect("ours");
        assert_eq!(a.rcode, RCODE_NXDOMAIN);
        let a = ask(&z, "fd00--1.default.pod.cluster.local", TYPE_AAAA).expect("ours");
        assert_eq!(data(&a), vec![RData::Aaaa("fd00::1".parse().expect("ip"))]);
    }

    #[test]
    fn ptr_of_cluster_ips_and_named_endpoints() {
        let z = zone();
        let a = ask(&z, "7.0.96.10.in-addr.arpa", TYPE_PTR).expect("known address");
        assert_eq!(
            data(&a),
            vec![RData::Ptr(name("web.default.svc.cluster.local"))]
        );
        let a = ask(&z, "1.0.1.10.in-addr.arpa", TYPE_PTR).expect("known address");
        assert_eq!(
            data(&a),
            vec![RData::Ptr(name("db-0.db.data.svc.cluster.local"))]
        );
        let v6 = "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
        let a = ask(&z, v6, TYPE_PTR).expect("known address");
        assert_eq!(
            data(&a),
            vec![RData::Ptr(name("web.default.svc.cluster.local"))]
        );
    }

    #[test]
    fn other_domains_can_be_configured() {
        let cfg = ZoneConfig {
            domain: "vc.example.".into(),
            ttl: 30,
        };
        let services = [svc(
            json!({"metadata": {"name": "web", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.7"}}),
        )];
        let z = Zone::build(&cfg, 1, &services, &[]);
        let a = ask(&z, "web.default.svc.vc.example", TYPE_A).expect("ours");
        assert_eq!(data(&a), vec![v4("10.96.0.7")]);
        assert_eq!(a.answers[0].ttl, 30);
        assert!(ask(&z, "web.default.svc.cluster.local", TYPE_A).is_none());
    }
}

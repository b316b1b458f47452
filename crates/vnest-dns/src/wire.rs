//! DNS messages on the wire (RFC 1035, with SRV from RFC 2782, AAAA from RFC 3596 and
//! the EDNS0 OPT pseudo-record from RFC 6891): parsing with compression pointers
//! (bounded: a pointer must lead strictly before the name segment it ends, so chains
//! cannot loop), and encoding with name compression.
//!
//! No I/O. Input is untrusted: every read is bounds-checked and fails with
//! [`WireError`], never a panic.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_ANY: u16 = 255;

pub const CLASS_IN: u16 = 1;
pub const CLASS_ANY: u16 = 255;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_FORMERR: u8 = 1;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_NOTIMP: u8 = 4;
pub const RCODE_REFUSED: u8 = 5;

pub const HEADER_LEN: usize = 12;
pub const MAX_LABEL: usize = 63;
pub const MAX_NAME: usize = 255;
/// The classic UDP payload limit without EDNS0.
pub const UDP_LIMIT: usize = 512;
/// More pointers than this in one name is an attack, whatever the offsets.
const MAX_POINTERS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message truncated")]
    Truncated,
    #[error("label longer than 63 octets")]
    LabelTooLong,
    #[error("name longer than 255 octets")]
    NameTooLong,
    #[error("empty label inside a name")]
    EmptyLabel,
    #[error("compression pointer loop or forward pointer")]
    PointerLoop,
    #[error("reserved label type {0:#04x}")]
    BadLabelType(u8),
    #[error("record data of type {0} has the wrong length")]
    BadRdata(u16),
    #[error("message longer than 65535 octets")]
    TooLong,
}

/// A domain name: its labels, root excluded. Compared case-insensitively.
#[derive(Clone, Default)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

impl Name {
    pub fn root() -> Name {
        Name::default()
    }

    /// A name from its dotted text (a trailing dot is optional; no escapes).
    pub fn parse(text: &str) -> Result<Name, WireError> {
        let text = text.strip_suffix('.').unwrap_or(text);
        if text.is_empty() {
            return Ok(Name::root());
        }
        Name::from_labels(text.split('.').map(|l| l.as_bytes().to_vec()).collect())
    }

    pub fn from_labels(labels: Vec<Vec<u8>>) -> Result<Name, WireError> {
        let mut len = 1;
        for l in &labels {
            if l.is_empty() {
                return Err(WireError::EmptyLabel);
            }
            if l.len() > MAX_LABEL {
                return Err(WireError::LabelTooLong);
            }
            len += l.len() + 1;
        }
        if len > MAX_NAME {
            return Err(WireError::NameTooLong);
        }
        Ok(Name { labels })
    }

    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// The labels in lower case, if they are all UTF-8.
    pub fn lower_labels(&self) -> Option<Vec<String>> {
        self.labels
            .iter()
            .map(|l| String::from_utf8(l.to_ascii_lowercase()).ok())
            .collect()
    }

    fn lower_suffix(&self, from: usize) -> Vec<Vec<u8>> {
        self.labels[from..]
            .iter()
            .map(|l| l.to_ascii_lowercase())
            .collect()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl Eq for Name {}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return f.write_str(".");
        }
        for l in &self.labels {
            for &b in l {
                if b == b'.' || b == b'\\' {
                    write!(f, "\\{}", b as char)?;
                } else if b.is_ascii_graphic() {
                    write!(f, "{}", b as char)?;
                } else {
                    write!(f, "\\{b:03}")?;
                }
            }
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub recursion_desired: bool,
    pub recursion_available: bool,
    pub authentic_data: bool,
    pub checking_disabled: bool,
    pub rcode: u8,
}

impl Header {
    fn flags(&self) -> u16 {
        let mut f = (u16::from(self.opcode & 0x0f) << 11) | u16::from(self.rcode & 0x0f);
        for (bit, on) in [
            (15, self.response),
            (10, self.authoritative),
            (9, self.truncated),
            (8, self.recursion_desired),
            (7, self.recursion_available),
            (5, self.authentic_data),
            (4, self.checking_disabled),
        ] {
            if on {
                f |= 1 << bit;
            }
        }
        f
    }

    /// The header of a message (the first 12 octets), with its four counts.
    pub fn parse(buf: &[u8]) -> Result<(Header, [u16; 4]), WireError> {
        let b = buf.get(..HEADER_LEN).ok_or(WireError::Truncated)?;
        let word = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let f = word(2);
        let header = Header {
            id: word(0),
            response: f & (1 << 15) != 0,
            opcode: ((f >> 11) & 0x0f) as u8,
            authoritative: f & (1 << 10) != 0,
            truncated: f & (1 << 9) != 0,
            recursion_desired: f & (1 << 8) != 0,
            recursion_available: f & (1 << 7) != 0,
            authentic_data: f & (1 << 5) != 0,
            checking_disabled: f & (1 << 4) != 0,
            rcode: (f & 0x0f) as u8,
        };
        Ok((header, [word(4), word(6), word(8), word(10)]))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub qtype: u16,
    pub qclass: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Soa {
    pub mname: Name,
    pub rname: Name,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(Name),
    Ns(Name),
    Ptr(Name),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name,
    },
    Soa(Soa),
    /// EDNS0 options, uninterpreted.
    Opt(Vec<u8>),
    Other {
        rtype: u16,
        data: Vec<u8>,
    },
}

impl RData {
    pub fn rtype(&self) -> u16 {
        match self {
            RData::A(_) => TYPE_A,
            RData::Aaaa(_) => TYPE_AAAA,
            RData::Cname(_) => TYPE_CNAME,
            RData::Ns(_) => TYPE_NS,
            RData::Ptr(_) => TYPE_PTR,
            RData::Srv { .. } => TYPE_SRV,
            RData::Soa(_) => TYPE_SOA,
            RData::Opt(_) => TYPE_OPT,
            RData::Other { rtype, .. } => *rtype,
        }
    }
}

/// A resource record. For OPT, `class` is the sender's UDP payload size and `ttl`
/// the extended rcode, version and flags (RFC 6891).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: Name,
    pub class: u16,
    pub ttl: u32,
    pub data: RData,
}

impl Record {
    pub fn new(name: Name, ttl: u32, data: RData) -> Record {
        Record {
            name,
            class: CLASS_IN,
            ttl,
            data,
        }
    }

    /// An EDNS0 OPT record advertising `payload` octets over UDP.
    pub fn opt(payload: u16) -> Record {
        Record {
            name: Name::root(),
            class: payload,
            ttl: 0,
            data: RData::Opt(Vec::new()),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
}

impl Message {
    /// Parses a whole message.
    pub fn parse(buf: &[u8]) -> Result<Message, WireError> {
        let (header, [qd, an, ns, ar]) = Header::parse(buf)?;
        let mut r = Reader {
            buf,
            pos: HEADER_LEN,
        };
        let mut msg = Message {
            header,
            ..Message::default()
        };
        for _ in 0..qd {
            let name = r.name()?;
            let qtype = r.u16()?;
            let qclass = r.u16()?;
            msg.questions.push(Question {
                name,
                qtype,
                qclass,
            });
        }
        for (count, section) in [
            (an, &mut msg.answers),
            (ns, &mut msg.authority),
            (ar, &mut msg.additional),
        ] {
            for _ in 0..count {
                section.push(r.record()?);
            }
        }
        Ok(msg)
    }

    /// The EDNS0 UDP payload size the sender advertised, if it sent an OPT record.
    pub fn edns_payload(&self) -> Option<u16> {
        self.additional
            .iter()
            .find(|r| matches!(r.data, RData::Opt(_)))
            .map(|r| r.class)
    }

    /// Encodes the message, compressing names.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut w = Writer::default();
        let counts = [
            self.questions.len(),
            self.answers.len(),
            self.authority.len(),
            self.additional.len(),
        ];
        w.u16(self.header.id);
        w.u16(self.header.flags());
        for c in counts {
            w.u16(u16::try_from(c).map_err(|_| WireError::TooLong)?);
        }
        for q in &self.questions {
            w.name(&q.name, true);
            w.u16(q.qtype);
            w.u16(q.qclass);
        }
        for r in self
            .answers
            .iter()
            .chain(&self.authority)
            .chain(&self.additional)
        {
            w.record(r)?;
        }
        if w.buf.len() > usize::from(u16::MAX) {
            return Err(WireError::TooLong);
        }
        Ok(w.buf)
    }

    /// Encodes the message in at most `limit` octets: when it does not fit, the
    /// records are dropped (an OPT record stays) and TC is set, so the client retries
    /// over TCP.
    pub fn encode_within(&self, limit: usize) -> Result<Vec<u8>, WireError> {
        let full = self.encode()?;
        if full.len() <= limit {
            return Ok(full);
        }
        let mut cut = Message {
            header: self.header.clone(),
            questions: self.questions.clone(),
            answers: Vec::new(),
            authority: Vec::new(),
            additional: self
                .additional
                .iter()
                .filter(|r| matches!(r.data, RData::Opt(_)))
                .cloned()
                .collect(),
        };
        cut.header.truncated = true;
        cut.encode()
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let buf: &'a [u8] = self.buf;
        let end = self.pos.checked_add(n).ok_or(WireError::Truncated)?;
        let s = buf.get(self.pos..end).ok_or(WireError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn name(&mut self) -> Result<Name, WireError> {
        let (name, next) = read_name(self.buf, self.pos)?;
        self.pos = next;
        Ok(name)
    }

    fn record(&mut self) -> Result<Record, WireError> {
        let name = self.name()?;
        let rtype = self.u16()?;
        let class = self.u16()?;
        let ttl = self.u32()?;
        let len = usize::from(self.u16()?);
        let start = self.pos;
        let rdata = self.take(len)?;
        let end = self.pos;
        let fixed = |n: usize| {
            if len == n {
                Ok(())
            } else {
                Err(WireError::BadRdata(rtype))
            }
        };
        // Names inside RDATA may point anywhere earlier in the message.
        let buf: &'a [u8] = &self.buf[..end];
        let name_at = |pos: usize| read_name(buf, pos);
        let data = match rtype {
            TYPE_A => {
                fixed(4)?;
                RData::A(Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]))
            }
            TYPE_AAAA => {
                fixed(16)?;
                let mut o = [0u8; 16];
                o.copy_from_slice(rdata);
                RData::Aaaa(Ipv6Addr::from(o))
            }
            TYPE_CNAME | TYPE_NS | TYPE_PTR => {
                let (n, next) = name_at(start)?;
                if next != end {
                    return Err(WireError::BadRdata(rtype));
                }
                match rtype {
                    TYPE_CNAME => RData::Cname(n),
                    TYPE_NS => RData::Ns(n),
                    _ => RData::Ptr(n),
                }
            }
            TYPE_SRV => {
                if len < 7 {
                    return Err(WireError::BadRdata(rtype));
                }
                let word = |i: usize| u16::from_be_bytes([rdata[i], rdata[i + 1]]);
                let (target, next) = name_at(start + 6)?;
                if next != end {
                    return Err(WireError::BadRdata(rtype));
                }
                RData::Srv {
                    priority: word(0),
                    weight: word(2),
                    port: word(4),
                    target,
                }
            }
            TYPE_SOA => {
                let (mname, next) = name_at(start)?;
                let (rname, next) = name_at(next)?;
                let nums = buf
                    .get(next..)
                    .filter(|s| s.len() == 20)
                    .ok_or(WireError::BadRdata(rtype))?;
                let n =
                    |i: usize| u32::from_be_bytes([nums[i], nums[i + 1], nums[i + 2], nums[i + 3]]);
                RData::Soa(Soa {
                    mname,
                    rname,
                    serial: n(0),
                    refresh: n(4),
                    retry: n(8),
                    expire: n(12),
                    minimum: n(16),
                })
            }
            TYPE_OPT => RData::Opt(rdata.to_vec()),
            _ => RData::Other {
                rtype,
                data: rdata.to_vec(),
            },
        };
        Ok(Record {
            name,
            class,
            ttl,
            data,
        })
    }
}

/// Reads the name at `pos`; returns it and the position after it (after the first
/// pointer, if it was compressed).
fn read_name(buf: &[u8], pos: usize) -> Result<(Name, usize), WireError> {
    let mut labels = Vec::new();
    let mut len = 1; // the root
    let mut p = pos;
    // Where the current run of labels began: a pointer must lead before it.
    let mut segment_start = pos;
    let mut after: Option<usize> = None;
    let mut pointers = 0;
    loop {
        let b = *buf.get(p).ok_or(WireError::Truncated)?;
        match b & 0xc0 {
            0x00 => {
                if b == 0 {
                    p += 1;
                    break;
                }
                let n = usize::from(b);
                let label = buf.get(p + 1..p + 1 + n).ok_or(WireError::Truncated)?;
                len += n + 1;
                if len > MAX_NAME {
                    return Err(WireError::NameTooLong);
                }
                labels.push(label.to_vec());
                p += 1 + n;
            }
            0xc0 => {
                let low = *buf.get(p + 1).ok_or(WireError::Truncated)?;
                let target = (usize::from(b & 0x3f) << 8) | usize::from(low);
                pointers += 1;
                if target >= segment_start || pointers > MAX_POINTERS {
                    return Err(WireError::PointerLoop);
                }
                after.get_or_insert(p + 2);
                p = target;
                segment_start = target;
            }
            other => return Err(WireError::BadLabelType(other)),
        }
    }
    Ok((Name { labels }, after.unwrap_or(p)))
}

#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
    /// Offsets of names written so far, by lower-cased label suffix.
    names: HashMap<Vec<Vec<u8>>, u16>,
}

impl Writer {
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn name(&mut self, name: &Name, compress: bool) {
        for i in 0..name.labels.len() {
            let suffix = name.lower_suffix(i);
            if compress {
                if let Some(&off) = self.names.get(&suffix) {
                    self.u16(0xc000 | off);
                    return;
                }
            }
            if self.buf.len() < 0x3fff {
                self.names.entry(suffix).or_insert(self.buf.len() as u16);
            }
            let label = &name.labels[i];
            self.buf.push(label.len() as u8);
            self.buf.extend_from_slice(label);
        }
        self.buf.push(0);
    }

    fn record(&mut self, r: &Record) -> Result<(), WireError> {
        self.name(&r.name, true);
        self.u16(r.data.rtype());
        self.u16(r.class);
        self.u32(r.ttl);
        let at = self.buf.len();
        self.u16(0);
        match &r.data {
            RData::A(ip) => self.buf.extend_from_slice(&ip.octets()),
            RData::Aaaa(ip) => self.buf.extend_from_slice(&ip.octets()),
            RData::Cname(n) | RData::Ns(n) | RData::Ptr(n) => self.name(n, true),
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                self.u16(*priority);
                self.u16(*weight);
                self.u16(*port);
                // RFC 2782: the target is not compressed.
                self.name(target, false);
            }
            RData::Soa(s) => {
                self.name(&s.mname, true);
                self.name(&s.rname, true);
                for v in [s.serial, s.refresh, s.retry, s.expire, s.minimum] {
                    self.u32(v);
                }
            }
            RData::Opt(data) | RData::Other { data, .. } => self.buf.extend_from_slice(data),
        }
        let len = u16::try_from(self.buf.len() - at - 2).map_err(|_| WireError::TooLong)?;
        self.buf[at..at + 2].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}

/// A query for `name` (recursion desired), as a client sends it.
pub fn query(id: u16, name: Name, qtype: u16) -> Message {
    Message {
        header: Header {
            id,
            recursion_desired: true,
            ..Header::default()
        },
        questions: vec![Question {
            name,
            qtype,
            qclass: CLASS_IN,
        }],
        ..Message::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).expect("name")
    }

    fn sample() -> Message {
        let mut m = query(0x1234, n("web.default.svc.cluster.local"), TYPE_SRV);
        m.header.response = true;
        m.header.authoritative = true;
        m.header.recursion_available = true;
        m.header.rcode = RCODE_NXDOMAIN;
        m.answers = vec![
            Record::new(
                n("web.default.svc.cluster.local"),
                5,
                RData::Srv {
                    priority: 0,
                    weight: 100,
                    port: 80,
                    target: n("web.default.svc.cluster.local"),
                },
            ),
            Record::new(
                n("ext.default.svc.cluster.local"),
                5,
                RData::Cname(n("example.com")),
            ),
            Record::new(n("x.cluster.local"), 5, RData::Ptr(n("Web.Default.svc"))),
        ];
        m.authority = vec![Record::new(
            n("cluster.local"),
            5,
            RData::Soa(Soa {
                mname: n("ns.dns.cluster.local"),
                rname: n("hostmaster.cluster.local"),
                serial: 7,
                refresh: 7200,
                retry: 1800,
                expire: 86400,
                minimum: 5,
            }),
        )];
        m.additional = vec![
            Record::new(
                n("web.default.svc.cluster.local"),
                5,
                RData::A(Ipv4Addr::new(10, 96, 0, 7)),
            ),
            Record::new(
                n("web.default.svc.cluster.local"),
                5,
                RData::Aaaa("fd00::7".parse().expect("ip")),
            ),
            Record::new(
                n("t.example"),
                5,
                RData::Other {
                    rtype: TYPE_TXT,
                    data: b"\x02hi".to_vec(),
                },
            ),
            Record::opt(1232),
        ];
        m
    }

    #[test]
    fn messages_round_trip_with_compression() {
        let m = sample();
        let bytes = m.encode().expect("encode");
        let back = Message::parse(&bytes).expect("parse");
        assert_eq!(back, m);
        assert_eq!(back.edns_payload(), Some(1232));
        // The question's name is written once; later copies are 2-octet pointers.
        let needle = b"\x07cluster\x05local\x00";
        let count = bytes.windows(needle.len()).filter(|w| w == needle).count();
        assert_eq!(count, 2, "once in the question, once in the SRV target");
    }

    #[test]
    fn header_flags_round_trip() {
        let h = Header {
            id: 7,
            response: true,
            opcode: 2,
            authoritative: true,
            truncated: true,
            recursion_desired: true,
            recursion_available: true,
            authentic_data: true,
            checking_disabled: true,
            rcode: 5,
        };
        let bytes = Message {
            header: h.clone(),
            ..Message::default()
        }
        .encode()
        .expect("encode");
        assert_eq!(Header::parse(&bytes).expect("header").0, h);
    }

    #[test]
    fn names_compare_without_case_and_print_with_a_dot() {
        assert_eq!(n("A.b.C"), n("a.B.c."));
        assert_ne!(n("a.b"), n("a.b.c"));
        assert_eq!(n("a.b").to_string(), "a.b.");
        assert_eq!(Name::root().to_string(), ".");
        assert_eq!(
            n("My.Svc").lower_labels(),
            Some(vec!["my".into(), "svc".into()])
        );
    }

    #[test]
    fn invalid_names_are_refused() {
        assert_eq!(Name::parse("a..b"), Err(WireError::EmptyLabel));
        assert_eq!(Name::parse(&"x".repeat(64)), Err(WireError::LabelTooLong));
        let long = vec!["abcdefghi"; 26].join(".");
        assert_eq!(Name::parse(&long), Err(WireError::NameTooLong));
    }

    #[test]
    fn truncated_input_is_an_error_at_every_length() {
        let bytes = sample().encode().expect("encode");
        for len in 0..bytes.len() {
            assert!(
                Message::parse(&bytes[..len]).is_err(),
                "a message cut at {len} octets parsed"
            );
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap deterministic generator: every byte pattern class gets exercised.
        let mut x: u32 = 0x9e37_79b9;
        for round in 0..20_000 {
            let len = (round % 80) + 1;
            let mut buf = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                buf.push(x as u8);
            }
            // Plausible counts make the parser go further.
            if buf.len() > 12 {
                buf[4] = 0;
                buf[5] = 1;
                buf[6] = 0;
                buf[7] = (x % 3) as u8;
            }
            let _ = Message::parse(&buf);
        }
        // Bit flips of a valid message.
        let good = sample().encode().expect("encode");
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                let _ = Message::parse(&b);
            }
        }
    }

    fn with_question_name(name: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(name);
        b.extend_from_slice(&[0, 1, 0, 1]);
        b
    }

    #[test]
    fn compression_loops_are_refused() {
        // A pointer to itself.
        let b = with_question_name(&[0xc0, 12]);
        assert_eq!(Message::parse(&b), Err(WireError::PointerLoop));
        // A label, then a pointer back to that label.
        let b = with_question_name(&[1, b'a', 0xc0, 12]);
        assert_eq!(Message::parse(&b), Err(WireError::PointerLoop));
        // A forward pointer.
        let b = with_question_name(&[0xc0, 40]);
        assert_eq!(Message::parse(&b), Err(WireError::PointerLoop));
        // Two names pointing at each other: the answer's owner points at the
        // question, whose name is a pointer to the answer.
        let mut b = vec![0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        b.extend_from_slice(&[0xc0, 18, 0, 1, 0, 1]);
        b.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4]);
        assert_eq!(Message::parse(&b), Err(WireError::PointerLoop));
    }

    #[test]
    fn a_legal_pointer_chain_is_followed() {
        // "b.c" at 12 (question 1), "a" + pointer to 12 (question 2).
        let mut b = vec![0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[1, b'b', 1, b'c', 0, 0, 1, 0, 1]);
        b.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
        let m = Message::parse(&b).expect("parse");
        assert_eq!(m.questions[1].name, n("a.b.c"));
    }

    #[test]
    fn oversized_labels_and_names_are_refused() {
        // Label type 0x40 (extended) and 0x80 (reserved).
        let b = with_question_name(&[0x40, b'a', 0]);
        assert_eq!(Message::parse(&b), Err(WireError::BadLabelType(0x40)));
        let b = with_question_name(&[0x80, 0]);
        assert_eq!(Message::parse(&b), Err(WireError::BadLabelType(0x80)));
        // 5 labels of 63 octets: 320 octets, over the 255 limit.
        let mut name = Vec::new();
        for _ in 0..5 {
            name.push(63);
            name.extend_from_slice(&[b'x'; 63]);
        }
        name.push(0);
        assert_eq!(
            Message::parse(&with_question_name(&name)),
            Err(WireError::NameTooLong)
        );
        // A name built from pointers must respect the limit too.
        let mut b = vec![0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0];
        let mut offsets = vec![];
        for i in 0..4 {
            offsets.push(b.len());
            b.push(63);
            b.extend_from_slice(&[b'y'; 63]);
            if i == 0 {
                b.push(0);
            } else {
                let prev = offsets[i - 1];
                b.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
            }
            b.extend_from_slice(&[0, 1, 0, 1]);
        }
        assert_eq!(Message::parse(&b), Err(WireError::NameTooLong));
    }

    #[test]
    fn bad_record_lengths_are_refused() {
        let mut m = query(1, n("a"), TYPE_A);
        m.answers.push(Record::new(
            n("a"),
            5,
            RData::Other {
                rtype: TYPE_A,
                data: vec![1, 2, 3],
            },
        ));
        let b = m.encode().expect("encode");
        assert_eq!(Message::parse(&b), Err(WireError::BadRdata(TYPE_A)));
        // An rdlength past the end.
        let mut b = m.encode().expect("encode");
        let len = b.len();
        b[len - 5] = 0xff;
        assert!(Message::parse(&b).is_err());
    }

    #[test]
    fn oversized_answers_are_cut_with_tc() {
        let mut m = sample();
        for i in 0..100u8 {
            m.answers.push(Record::new(
                n("many.default.svc.cluster.local"),
                5,
                RData::A(Ipv4Addr::new(10, 0, 0, i)),
            ));
        }
        assert!(m.encode().expect("encode").len() > UDP_LIMIT);
        let cut = m.encode_within(UDP_LIMIT).expect("encode");
        assert!(cut.len() <= UDP_LIMIT);
        let back = Message::parse(&cut).expect("parse");
        assert!(back.header.truncated);
        assert!(back.answers.is_empty());
        assert_eq!(back.questions, m.questions);
        assert_eq!(back.edns_payload(), Some(1232));
        // It fits in a large enough limit unchanged.
        let whole = m.encode_within(65535).expect("encode");
        assert!(!Message::parse(&whole).expect("parse").header.truncated);
    }
}

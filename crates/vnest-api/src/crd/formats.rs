//! The string `format`s kube-apiserver checks in custom objects (the
//! supported set of apiextensions-apiserver; other formats such as `int32`
//! or `double` are stripped before validation and accept anything).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `s` is valid for `format`; unknown formats accept everything.
pub(crate) fn valid(format: &str, s: &str) -> bool {
    match format {
        "bsonobjectid" => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "uri" => uri(s),
        "email" => email(s),
        "hostname" => hostname(s),
        "ipv4" => s.contains('.') && s.parse::<IpAddr>().is_ok(),
        "ipv6" => s.contains(':') && s.parse::<Ipv6Addr>().is_ok(),
        "cidr" => cidr(s),
        "mac" => mac(s),
        "uuid" => uuid(s, None),
        "uuid3" => uuid(s, Some('3')),
        "uuid4" => uuid(s, Some('4')),
        "uuid5" => uuid(s, Some('5')),
        "isbn" => isbn10(s) || isbn13(s),
        "isbn10" => isbn10(s),
        "isbn13" => isbn13(s),
        "creditcard" => luhn(s),
        "ssn" => ssn(s),
        "hexcolor" => hexcolor(s),
        "rgbcolor" => rgbcolor(s),
        "byte" => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(s).is_ok()
        }
        "date" => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10,
        "date-time" | "datetime" => date_time(s),
        "duration" => duration(s),
        _ => true,
    }
}

fn uri(s: &str) -> bool {
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return false;
    }
    if s.starts_with('/') {
        return true;
    }
    match s.split_once(':') {
        Some((scheme, _)) => {
            let mut c = scheme.chars();
            c.next().is_some_and(|f| f.is_ascii_alphabetic())
                && c.all(|x| x.is_ascii_alphanumeric() || matches!(x, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn email(s: &str) -> bool {
    let addr = match (s.find('<'), s.ends_with('>')) {
        (Some(i), true) => &s[i + 1..s.len() - 1],
        _ => s,
    };
    match addr.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !addr.chars().any(char::is_whitespace)
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

fn hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    s.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fn cidr(s: &str) -> bool {
    let Some((ip, prefix)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = prefix.parse::<u8>() else {
        return false;
    };
    if prefix.len() > 1 && prefix.starts_with('0') {
        return false;
    }
    if ip.parse::<Ipv4Addr>().is_ok() {
        bits <= 32
    } else if ip.parse::<Ipv6Addr>().is_ok() {
        bits <= 128
    } else {
        false
    }
}

fn mac(s: &str) -> bool {
    let hex_groups = |sep: char, width: usize| -> Option<usize> {
        let groups: Vec<&str> = s.split(sep).collect();
        groups
            .iter()
            .all(|g| g.len() == width && g.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(groups.len())
    };
    if s.contains(':') {
        matches!(hex_groups(':', 2), Some(6 | 8 | 20))
    } else if s.contains('-') {
        matches!(hex_groups('-', 2), Some(6 | 8 | 20))
    } else if s.contains('.') {
        matches!(hex_groups('.', 4), Some(3 | 4 | 10))
    } else {
        false
    }
}

fn uuid(s: &str, version: Option<char>) -> bool {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let dashes = s.len() - hex.len();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    if dashes != 0 {
        // Dashes only at the canonical positions.
        let b = s.as_bytes();
        let ok_positions = [8usize, 13, 18, 23];
        if dashes != 4 || !ok_positions.iter().all(|&i| b.get(i) == Some(&b'-')) {
            return false;
        }
    }
    match version {
        None => true,
        Some(v) => {
            let variant_ok = |c: char| matches!(c.to_ascii_lowercase(), '8' | '9' | 'a' | 'b');
            let mut c = hex.chars().skip(12);
            let ver = c.next();
            let var = hex.chars().nth(16);
            ver == Some(v) && (v == '3' || var.is_some_and(variant_ok))
        }
    }
}

fn digits_only(s: &str) -> String {
    s.chars().filter(|c| *c != '-' && *c != ' ').collect()
}

fn isbn10(s: &str) -> bool {
    let d = digits_only(s);
    if d.len() != 10 {
        return false;
    }
    let mut sum = 0u32;
    for (i, c) in d.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'X' | 'x' if i == 9 => 10,
            _ => return false,
        };
        sum += (10 - i as u32) * v;
    }
    sum % 11 == 0
}

fn isbn13(s: &str) -> bool {
    let d = digits_only(s);
    if d.len() != 13 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = d
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    sum % 10 == 0
}

fn luhn(s: &str) -> bool {
    let d = digits_only(s);
    if d.len() < 12 || d.len() > 19 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = d
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                v
            }
        })
        .sum();
    sum % 10 == 0
}

fn ssn(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        9 => digits(b),
        10 => {
            (digits(&b[..3]) && matches!(b[3], b'-' | b' ') && digits(&b[4..]))
                || (digits(&b[..5]) && matches!(b[5], b'-' | b' ') && digits(&b[6..]))
        }
        11 => {
            digits(&b[..3])
                && matches!(b[3], b'-' | b' ')
                && digits(&b[4..6])
                && matches!(b[6], b'-' | b' ')
                && digits(&b[7..])
        }
        _ => false,
    }
}

fn hexcolor(s: &str) -> bool {
    let h = s.strip_prefix('#').unwrap_or(s);
    (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
}

fn rgbcolor(s: &str) -> bool {
    let Some(inner) = s.strip_prefix("rgb(").and_then(|r| r.strip_suffix(')')) else {
        return false;
    };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

fn date_time(s: &str) -> bool {
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return true;
    }
    // strfmt also takes a date-time without a zone.
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .any(|f| chrono::NaiveDateTime::parse_from_str(s, f).is_ok())
}

fn duration(s: &str) -> bool {
    if super::cel::parse_go_duration(s).is_some() {
        return true;
    }
    // strfmt's "22 ns" / "3 days" forms.
    let t = s.trim();
    let num_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if num_end == 0 {
        return false;
    }
    let unit = t[num_end..].trim();
    matches!(
        unit,
        "ns" | "us"
            | "µs"
            | "ms"
            | "s"
            | "m"
            | "h"
            | "d"
            | "w"
            | "nanosecond"
            | "nanoseconds"
            | "microsecond"
            | "microseconds"
            | "millisecond"
            | "milliseconds"
            | "second"
            | "seconds"
            | "sec"
            | "secs"
            | "minute"
            | "minutes"
            | "min"
            | "mins"
            | "hour"
            | "hours"
            | "hr"
            | "hrs"
            | "day"
            | "days"
            | "week"
            | "weeks"
    )
}

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn formats() {
        for (f, good, bad) in [
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
            (
                "uuid4",
                "123e4567-e89b-42d3-a456-426614174000",
                "123e4567-e89b-12d3-a456-426614174000",
            ),
            ("date", "2024-02-29", "2024-13-01"),
            ("date-time", "2024-01-02T03:04:05Z", "yesterday"),
            ("byte", "aGVsbG8=", "not base64!"),
            ("ipv4", "10.0.0.1", "10.0.0.256"),
            ("ipv6", "fd00::1", "10.0.0.1"),
            ("cidr", "10.0.0.0/8", "10.0.0.0/33"),
            ("mac", "00:1a:2b:3c:4d:5e", "00:1a:2b"),
            ("hostname", "a.example.com", "-bad-.com"),
            ("email", "a@example.com", "nope"),
            ("uri", "https://example.com/x", "example"),
            ("duration", "1h30m", "soon"),
            ("hexcolor", "#ffAA00", "#ggg"),
            ("rgbcolor", "rgb(1, 2, 255)", "rgb(256,0,0)"),
            ("isbn", "0321751043", "0321751044"),
            ("creditcard", "4111 1111 1111 1111", "4111 1111 1111 1112"),
            ("ssn", "123-45-6789", "12-345-6789"),
            ("bsonobjectid", "507f1f77bcf86cd799439011", "507f1f77"),
        ] {
            assert!(valid(f, good), "{f} {good}");
            assert!(!valid(f, bad), "{f} {bad}");
        }
        assert!(valid("int32", "anything"));
        assert!(valid("password", ""));
    }
}

//! JSON forms of metav1.Time, metav1.MicroTime and metav1.Duration.

use chrono::{DateTime, Datelike};

use super::wire::WireError;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A protobuf Timestamp as Go's JSON encoding of metav1.Time (RFC 3339, whole
/// seconds; current kube ignores the nanos of a Time) or metav1.MicroTime
/// (RFC 3339 with six fractional digits, truncated).
pub fn format(seconds: i64, nanos: i32, micro: bool) -> Result<String, WireError> {
    let (mut secs, mut nsec) = (seconds, 0i64);
    if micro {
        // time.Duration(nanos).Truncate(time.Microsecond), then time.Unix normalising
        let truncated = i64::from(nanos) - i64::from(nanos) % 1000;
        secs = secs
            .checked_add(truncated.div_euclid(NANOS_PER_SEC))
            .ok_or_else(out_of_range)?;
        nsec = truncated.rem_euclid(NANOS_PER_SEC);
    }
    let t = DateTime::from_timestamp(secs, 0).ok_or_else(out_of_range)?;
    if !(0..=9999).contains(&t.year()) {
        return Err(out_of_range());
    }
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    Ok(if micro {
        format!("{base}.{:06}Z", nsec / 1000)
    } else {
        format!("{base}Z")
    })
}

fn out_of_range() -> WireError {
    WireError::Invalid("Time.MarshalJSON: year outside of range [0,9999]".into())
}

/// Go's `time.Duration.String()`: "1h0m0s", "1.5s", "300ms", "0s", "-2m3s".
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // below one second: ns, µs or ms with a fraction
        let (unit, digits) = if u < 1_000 {
            ("ns", 0)
        } else if u < 1_000_000 {
            ("µs", 3)
        } else {
            ("ms", 6)
        };
        out.push_str(&fraction(u, digits));
        out.push_str(unit);
    } else {
        let secs_frac = fraction(u % 1_000_000_000, 9);
        u /= 1_000_000_000;
        let (h, m, s) = (u / 3600, (u / 60) % 60, u % 60);
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if u >= 60 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s.to_string());
        // secs_frac is "0" or "0.xxx": keep only the fractional part
        if let Some(frac) = secs_frac.strip_prefix('0') {
            out.push_str(frac);
        }
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// `v / 10^digits` printed with its fraction, trailing zeros removed.
fn fraction(v: u64, digits: u32) -> String {
    let scale = 10u64.pow(digits);
    let (int, frac) = (v / scale, v % scale);
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:0width$}", width = digits as usize);
    format!("{int}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            format(1704164705, 0, false).as_deref(),
            Ok("2024-01-02T03:05:05Z")
        );
        // nanos do not show in a Time
        assert_eq!(
            format(0, 999_999_999, false).as_deref(),
            Ok("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            format(1704164705, 123_456_789, true).as_deref(),
            Ok("2024-01-02T03:05:05.123456Z")
        );
        assert_eq!(
            format(10, -1000, true).as_deref(),
            Ok("1970-01-01T00:00:09.999999Z")
        );
        assert_eq!(
            format(-62135596800, 0, false).as_deref(),
            Ok("0001-01-01T00:00:00Z")
        );
        assert!(format(253402300800, 0, false).is_err()); // year 10000
        assert!(format(i64::MAX, 0, false).is_err());
        assert!(format(i64::MIN, -1_000_000_000, true).is_err());
    }

    #[test]
    fn durations() {
        let s = 1_000_000_000i64;
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(3600 * s), "1h0m0s");
        assert_eq!(go_duration(90 * s), "1m30s");
        assert_eq!(go_duration(s + s / 2), "1.5s");
        assert_eq!(go_duration(300_000_000), "300ms");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(42), "42ns");
        assert_eq!(go_duration(-(123 * s)), "-2m3s");
        assert_eq!(go_duration(i64::MIN), "-2562047h47m16.854775808s");
    }
}

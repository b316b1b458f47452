//! Just enough of `resource.Quantity` to compare and add quantities.

/// Parses a Kubernetes quantity (`100m`, `1.5Gi`, `2e3`, `512`) into
/// nano-units (value × 10⁹), rounding fractions of a nano-unit up.
/// Returns `None` for malformed input or values too large to represent.
pub fn parse_quantity_nanos(s: &str) -> Option<i128> {
    let s = s.trim();
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_len);
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    // value = digits × 10^(exp10 - frac_len) × 2^exp2
    let digits: String = format!("{int_part}{frac_part}");
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let (exp10, exp2): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        other => {
            let exp = other.strip_prefix(['e', 'E'])?;
            (exp.parse().ok()?, 0)
        }
    };
    let frac_len = i32::try_from(frac_part.len()).ok()?;
    // Scale to nano-units.
    let scale = exp10.checked_sub(frac_len)?.checked_add(9)?;
    let mut value = mantissa.checked_mul(1i128.checked_shl(exp2)?)?;
    if scale >= 0 {
        value = value.checked_mul(10i128.checked_pow(u32::try_from(scale).ok()?)?)?;
    } else {
        let divisor = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
        let rounded_up = value % divisor != 0;
        value = value / divisor + i128::from(rounded_up);
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(parse_quantity_nanos("1"), Some(1_000_000_000));
        assert_eq!(parse_quantity_nanos("100m"), Some(100_000_000));
        assert_eq!(parse_quantity_nanos("0.1"), Some(100_000_000));
        assert_eq!(parse_quantity_nanos("1Ki"), Some(1024 * 1_000_000_000));
        assert_eq!(parse_quantity_nanos("1Gi"), parse_quantity_nanos("1024Mi"));
        assert_eq!(parse_quantity_nanos("1k"), parse_quantity_nanos("1e3"));
        assert_eq!(parse_quantity_nanos("-2"), Some(-2_000_000_000));
        assert_eq!(parse_quantity_nanos("1n"), Some(1));
        assert_eq!(parse_quantity_nanos("0.5n"), Some(1));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_quantity_nanos(""), None);
        assert_eq!(parse_quantity_nanos("abc"), None);
        assert_eq!(parse_quantity_nanos("1Xi"), None);
        assert_eq!(parse_quantity_nanos("."), None);
        assert_eq!(parse_quantity_nanos("1e999"), None);
    }
}

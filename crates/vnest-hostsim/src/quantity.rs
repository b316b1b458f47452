//! Resource quantities (`100m`, `2`, `1Gi`, `1e3`) as exact milli-units, enough for
//! the scheduler's fit checks.

/// `s` in thousandths of its unit (`"100m"` → 100, `"2"` → 2000, `"1Ki"` → 1024000).
pub fn parse_milli(s: &str) -> Option<i128> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    if num.is_empty() {
        return None;
    }
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    let negative = int_part.starts_with('-');
    let int_digits = int_part.trim_start_matches(['+', '-']);
    // Value as an integer scaled by 10^-frac_len.
    let digits = format!("{int_digits}{frac_part}");
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let frac_len = frac_part.len() as u32;
    let (mul, div): (i128, i128) = match suffix {
        "" => (1000, 1),
        "m" => (1, 1),
        "u" => (1, 1000),
        "n" => (1, 1_000_000),
        "k" => (1_000_000, 1),
        "M" => (1_000_000_000, 1),
        "G" => (1_000_000_000_000, 1),
        "T" => (1_000_000_000_000_000, 1),
        "P" => (1_000_000_000_000_000_000, 1),
        "E" => (1_000_000_000_000_000_000_000, 1),
        "Ki" => (1024 * 1000, 1),
        "Mi" => (1024 * 1024 * 1000, 1),
        "Gi" => (1024_i128.pow(3) * 1000, 1),
        "Ti" => (1024_i128.pow(4) * 1000, 1),
        "Pi" => (1024_i128.pow(5) * 1000, 1),
        "Ei" => (1024_i128.pow(6) * 1000, 1),
        e if e.starts_with(['e', 'E']) => {
            let exp: i32 = e[1..].parse().ok()?;
            if exp >= 0 {
                (1000 * 10_i128.checked_pow(exp as u32)?, 1)
            } else {
                (1000, 10_i128.checked_pow((-exp) as u32)?)
            }
        }
        _ => return None,
    };
    let scale = 10_i128.checked_pow(frac_len)?;
    let v = mantissa.checked_mul(mul)? / scale / div;
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::parse_milli;

    #[test]
    fn units() {
        assert_eq!(parse_milli("100m"), Some(100));
        assert_eq!(parse_milli("2"), Some(2000));
        assert_eq!(parse_milli("0.5"), Some(500));
        assert_eq!(parse_milli("1Ki"), Some(1_024_000));
        assert_eq!(parse_milli("1Gi"), Some(1_073_741_824_000));
        assert_eq!(parse_milli("1e3"), Some(1_000_000));
        assert_eq!(parse_milli("1k"), Some(1_000_000));
        assert_eq!(parse_milli("x"), None);
        assert_eq!(parse_milli("5Q"), None);
    }
}

//! Cell formatting shared by the printers: ages, label selectors, JSON getters.

use serde_json::{Map, Value};

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Formats an elapsed time like kube's `duration.HumanDuration`: about two
/// significant units (`45s`, `2m3s`, `10m`, `3h4m`, `20h`, `2d3h`, `400d`,
/// `3y45d`, `10y`). Negative values up to one second count as `0s`; more
/// negative ones are `<invalid>` (clock skew).
pub fn human_duration(seconds: i64) -> String {
    human_duration_nanos(i128::from(seconds) * NANOS_PER_SECOND)
}

pub(super) fn human_duration_nanos(d: i128) -> String {
    let seconds = d / NANOS_PER_SECOND;
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Parses an RFC 3339 timestamp into nanoseconds since the Unix epoch.
pub(super) fn parse_time(v: Option<&Value>) -> Option<i128> {
    let s = v?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(i128::from(t.timestamp()) * NANOS_PER_SECOND + i128::from(t.timestamp_subsec_nanos()))
}

/// Formats a timestamp in the RFC 3339 form Go's `time.RFC3339` uses (UTC,
/// whole seconds); an unset time prints as Go's zero time.
pub(super) fn rfc3339(v: Option<&Value>) -> String {
    let nanos = parse_time(v).unwrap_or(ZERO_TIME_NANOS);
    let secs = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).unwrap_or(0);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "0001-01-01T00:00:00Z".into(),
    }
}

/// 0001-01-01T00:00:00Z, Go's zero `time.Time`.
const ZERO_TIME_NANOS: i128 = -62_135_596_800 * NANOS_PER_SECOND;

/// The age of a timestamp at `now`, or `<unknown>` when it is unset.
pub(super) fn since(v: Option<&Value>, now: i128) -> String {
    match parse_time(v) {
        Some(t) => human_duration_nanos(now - t),
        None => "<unknown>".into(),
    }
}

/// Walks `path` through nested objects.
pub(super) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.get(key))
}

/// The string at `path`, or "".
pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

/// The integer at `path`, or 0.
pub(super) fn int_at(v: &Value, path: &[&str]) -> i64 {
    at(v, path).and_then(Value::as_i64).unwrap_or(0)
}

/// The array at `path`, or an empty slice.
pub(super) fn list_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The object at `path`, if any.
pub(super) fn map_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    at(v, path).and_then(Value::as_object)
}

/// `true` when the field at `path` is present and not null.
pub(super) fn is_set(v: &Value, path: &[&str]) -> bool {
    at(v, path).is_some_and(|x| !x.is_null())
}

/// A string map as `k=v,k2=v2` sorted by key, or `<none>`.
pub(super) fn format_labels(labels: Option<&Value>) -> String {
    let mut pairs: Vec<String> = labels
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    if pairs.is_empty() {
        return "<none>".into();
    }
    pairs.sort();
    pairs.join(",")
}

/// A `metav1.LabelSelector` in selector syntax, requirements sorted by key.
/// A missing or empty selector gives "". `Err` for unknown operators.
pub(super) fn selector_string(selector: Option<&Value>) -> Result<String, ()> {
    let Some(sel) = selector.filter(|s| !s.is_null()) else {
        return Ok(String::new());
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
    }
    for expr in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or("");
        let mut values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let text = match expr.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return Err(()),
        };
        reqs.push((key.to_string(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(","))
}

/// `metav1.FormatLabelSelector`: `<none>` when empty, `<error>` when invalid.
pub(super) fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        Ok(s) if s.is_empty() => "<none>".into(),
        Ok(s) => s,
        Err(()) => "<error>".into(),
    }
}

/// Container names and images, each comma-joined.
pub(super) fn container_cells(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let images: Vec<&str> = containers
        .iter()
        .map(|c| c.get("image").and_then(Value::as_str).unwrap_or(""))
        .collect();
    (names.join(","), images.join(","))
}

/// An int-or-string value as Go's `IntOrString.String()` prints it.
pub(super) fn int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "0".into(),
    }
}

/// A `*resource.Quantity` as Go prints it (`<nil>` when unset).
pub(super) fn quantity(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "<nil>".into(),
    }
}

/// A list with at most `max` entries shown and `+ N more...` after them.
pub(super) fn list_with_more(list: &[String], total: usize, max: usize) -> String {
    let shown = list.iter().take(max).cloned().collect::<Vec<_>>().join(",");
    if total > max {
        format!("{shown} + {} more...", total - max)
    } else if shown.is_empty() {
        "<unset>".into()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn human_durations() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (123, "2m3s"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 4 * 60, "3h4m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 59 * 60, "47h"),
            (48 * 3600, "2d"),
            (51 * 3600, "2d3h"),
            (8 * 86400, "8d"),
            (400 * 86400, "400d"),
            (2 * 365 * 86400, "2y"),
            ((3 * 365 + 45) * 86400, "3y45d"),
            (10 * 365 * 86400, "10y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(secs), want, "{secs}s");
        }
    }

    #[test]
    fn fractional_seconds_truncate() {
        // 1.5 s before `now` is still 1s.
        assert_eq!(human_duration_nanos(1_500_000_000), "1s");
        assert_eq!(human_duration_nanos(-1_500_000_000), "0s");
    }

    #[test]
    fn timestamps() {
        let ts = json!("2024-02-29T12:00:00Z");
        let Some(t) = parse_time(Some(&ts)) else {
            panic!("unparsed");
        };
        assert_eq!(t, 1_709_208_000 * NANOS_PER_SECOND);
        assert_eq!(since(Some(&ts), t + 65 * NANOS_PER_SECOND), "65s");
        assert_eq!(since(None, t), "<unknown>");
        assert_eq!(since(Some(&json!(null)), t), "<unknown>");
        assert_eq!(
            rfc3339(Some(&json!("2024-02-29T13:00:00.5+01:00"))),
            "2024-02-29T12:00:00Z"
        );
        assert_eq!(rfc3339(None), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                 {"key": "tier", "operator": "DoesNotExist"}]});
        assert_eq!(
            selector_string(Some(&sel)),
            Ok("a=1,b=2,env in (dev,prod),!tier".to_string())
        );
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(format_label_selector(None), "<none>");
        let bad = json!({"matchExpressions": [{"key": "x", "operator": "Near"}]});
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
        assert_eq!(format_labels(Some(&json!({"z": "1", "a": "2"}))), "a=2,z=1");
        assert_eq!(format_labels(None), "<none>");
    }
}

//! Name acceptance: what kube's naming and establishing controllers write
//! into a CRD's `status` (`acceptedNames`, `NamesAccepted`, `Established`).

use serde_json::{json, Map, Value};

/// The outcome of [`accept_names`].
#[derive(Debug, Clone, PartialEq)]
pub struct NamesResult {
    /// `status.acceptedNames` (the requested names that do not conflict;
    /// conflicting ones keep their previously accepted value).
    pub accepted_names: Value,
    /// Whether every requested name was accepted.
    pub accepted: bool,
    /// The `NamesAccepted` condition reason: `NoConflicts`, or
    /// `PluralConflict`, `SingularConflict`, `ShortNamesConflict`,
    /// `KindConflict`, `ListKindConflict` (the last conflict found wins).
    pub reason: String,
    /// The condition message (`no conflicts found`, `"foos" is already in use`).
    pub message: String,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn fresh(requested: &str, accepted: &str, used: &[String]) -> Result<(), String> {
    if requested == accepted || !used.iter().any(|u| u == requested) {
        Ok(())
    } else {
        Err(format!("{requested:?} is already in use"))
    }
}

/// Computes the accepted names of `crd` like kube's naming controller:
/// requested names (`spec.names`) are checked against the accepted names
/// (`status.acceptedNames`) of `others` in the same group (resources:
/// plural, singular, short names; kinds: kind, listKind). `others` may
/// include `crd` itself and CRDs of other groups; they are skipped.
pub fn accept_names(crd: &Value, others: &[Value]) -> NamesResult {
    let empty = json!({});
    let spec = crd.get("spec").unwrap_or(&empty);
    let group = s(spec, "group");
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut resources: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for o in others {
        if o.pointer("/spec/group").and_then(Value::as_str) != Some(group)
            || o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
        {
            continue;
        }
        let an = o.pointer("/status/acceptedNames").unwrap_or(&empty);
        resources.push(s(an, "plural").to_string());
        resources.push(s(an, "singular").to_string());
        resources.extend(strings(an, "shortNames"));
        kinds.push(s(an, "kind").to_string());
        kinds.push(s(an, "listKind").to_string());
    }
    resources.retain(|r| !r.is_empty());
    kinds.retain(|k| !k.is_empty());

    let requested = spec.get("names").unwrap_or(&empty);
    let accepted = crd.pointer("/status/acceptedNames").unwrap_or(&empty);
    let mut new_names = match accepted {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let mut conflict: Option<(&str, String)> = None;
    for (field, reason, used) in [
        ("plural", "PluralConflict", &resources),
        ("singular", "SingularConflict", &resources),
    ] {
        match fresh(s(requested, field), s(accepted, field), used) {
            Ok(()) => {
                new_names.insert(field.into(), json!(s(requested, field)));
            }
            Err(m) => conflict = Some((reason, m)),
        }
    }
    let req_short = strings(requested, "shortNames");
    let acc_short = strings(accepted, "shortNames");
    if req_short != acc_short {
        let errs: Vec<String> = req_short
            .iter()
            .filter(|sn| !acc_short.contains(sn))
            .filter_map(|sn| fresh(sn, "", &resources).err())
            .collect();
        if errs.is_empty() {
            new_names.insert("shortNames".into(), json!(req_short));
        } else {
            // utilerrors.NewAggregate: one message, or "[a, b]".
            let msg = if errs.len() == 1 {
                errs[0].clone()
            } else {
                format!("[{}]", errs.join(", "))
            };
            conflict = Some(("ShortNamesConflict", msg));
        }
    }
    for (field, reason) in [("kind", "KindConflict"), ("listKind", "ListKindConflict")] {
        match fresh(s(requested, field), s(accepted, field), &kinds) {
            Ok(()) => {
                new_names.insert(field.into(), json!(s(requested, field)));
            }
            Err(m) => conflict = Some((reason, m)),
        }
    }
    new_names.insert("categories".into(), json!(strings(requested, "categories")));
    let (accepted_ok, reason, message) = match conflict {
        None => (
            true,
            "NoConflicts".to_string(),
            "no conflicts found".to_string(),
        ),
        Some((r, m)) => (false, r.to_string(), m),
    };
    NamesResult {
        accepted_names: canonical_names(&Value::Object(new_names)),
        accepted: accepted_ok,
        reason,
        message,
    }
}

/// `CustomResourceDefinitionNames` in Go field order with kube's omitempty.
fn canonical_names(n: &Value) -> Value {
    let mut m = Map::new();
    m.insert("plural".into(), json!(s(n, "plural")));
    if !s(n, "singular").is_empty() {
        m.insert("singular".into(), json!(s(n, "singular")));
    }
    let short = strings(n, "shortNames");
    if !short.is_empty() {
        m.insert("shortNames".into(), json!(short));
    }
    m.insert("kind".into(), json!(s(n, "kind")));
    if !s(n, "listKind").is_empty() {
        m.insert("listKind".into(), json!(s(n, "listKind")));
    }
    let cats = strings(n, "categories");
    if !cats.is_empty() {
        m.insert("categories".into(), json!(cats));
    }
    Value::Object(m)
}

/// Sets a condition like kube's `SetCRDCondition`: the transition time
/// changes only when the status does (or was never set).
fn set_condition(
    conditions: &mut Vec<Value>,
    ty: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
) {
    let existing = conditions.iter_mut().find(|c| s(c, "type") == ty);
    match existing {
        Some(c) => {
            let time = if s(c, "status") != status || s(c, "lastTransitionTime").is_empty() {
                now.to_string()
            } else {
                s(c, "lastTransitionTime").to_string()
            };
            *c = json!({"type": ty, "status": status, "lastTransitionTime": time, "reason": reason, "message": message});
        }
        None => conditions.push(json!({"type": ty, "status": status, "lastTransitionTime": now, "reason": reason, "message": message})),
    }
}

/// The full new `status` of `crd` after kube's naming and establishing
/// controllers ran: `acceptedNames`, the `NamesAccepted` condition, and
/// `Established` (`True`/`InitialNamesAccepted` once the names are
/// accepted; an established CRD stays established; otherwise
/// `False`/`NotAccepted`). Other conditions and `storedVersions` are kept;
/// `now` (RFC 3339) stamps conditions whose status changes.
pub fn names_status(crd: &Value, others: &[Value], now: &str) -> Value {
    let result = accept_names(crd, others);
    let old_status = crd.get("status").cloned().unwrap_or_else(|| json!({}));
    let mut conditions: Vec<Value> = old_status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let was_established = conditions
        .iter()
        .any(|c| s(c, "type") == "Established" && s(c, "status") == "True");
    let names_status = if result.accepted { "True" } else { "False" };
    set_condition(
        &mut conditions,
        "NamesAccepted",
        names_status,
        &result.reason,
        &result.message,
        now,
    );
    if result.accepted || was_established {
        if !was_established {
            set_condition(
                &mut conditions,
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
                now,
            );
        }
    } else {
        set_condition(
            &mut conditions,
            "Established",
            "False",
            "NotAccepted",
            "not all names are accepted",
            now,
        );
    }
    let mut status = Map::new();
    status.insert("conditions".into(), Value::Array(conditions));
    status.insert("acceptedNames".into(), result.accepted_names);
    status.insert(
        "storedVersions".into(),
        old_status
            .get("storedVersions")
            .cloned()
            .unwrap_or_else(|| json!([])),
    );
    Value::Object(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(name: &str, plural: &str, kind: &str, short: &[&str]) -> Value {
        json!({
            "metadata": {"name": format!("{name}.example.com")},
            "spec": {"group": "example.com", "names": {"plural": plural, "singular": plural.trim_end_matches('s'),
                     "kind": kind, "listKind": format!("{kind}List"), "shortNames": short}},
            "status": {"storedVersions": ["v1"]}
        })
    }

    fn accepted(mut c: Value) -> Value {
        let names = c["spec"]["names"].clone();
        c["status"]["acceptedNames"] = names;
        c
    }

    #[test]
    fn no_conflicts() {
        let c = crd("a", "apps", "App", &["ap"]);
        let st = names_status(&c, &[], "2024-01-01T00:00:00Z");
        assert_eq!(
            st,
            json!({
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z",
                     "reason": "NoConflicts", "message": "no conflicts found"},
                    {"type": "Established", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z",
                     "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
                ],
                "acceptedNames": {"plural": "apps", "singular": "app", "shortNames": ["ap"], "kind": "App", "listKind": "AppList"},
                "storedVersions": ["v1"]
            })
        );
        // Unchanged status keeps the transition times.
        let mut c2 = c.clone();
        c2["status"] = st.clone();
        let st2 = names_status(&c2, &[], "2025-01-01T00:00:00Z");
        assert_eq!(st2, st);
    }

    #[test]
    fn conflicts() {
        let other = accepted(crd("b", "widgets", "Widget", &["ap"]));
        // Same short name, different group: no conflict.
        let mut foreign = other.clone();
        foreign["spec"]["group"] = json!("other.com");
        let c = crd("a", "apps", "App", &["ap"]);
        assert!(accept_names(&c, &[foreign]).accepted);
        let r = accept_names(&c, std::slice::from_ref(&other));
        assert!(!r.accepted);
        assert_eq!(r.reason, "ShortNamesConflict");
        assert_eq!(r.message, "\"ap\" is already in use");
        assert_eq!(
            r.accepted_names,
            json!({"plural": "apps", "singular": "app", "kind": "App", "listKind": "AppList"})
        );
        let c = crd("a", "widgets", "Thing", &[]);
        let r = accept_names(&c, std::slice::from_ref(&other));
        assert_eq!(
            (r.reason.as_str(), r.message.as_str()),
            ("SingularConflict", "\"widget\" is already in use")
        );
        assert_eq!(r.accepted_names["plural"], json!(""));
        let c = crd("a", "things", "Widget", &[]);
        let r = accept_names(&c, std::slice::from_ref(&other));
        assert_eq!(
            (r.reason.as_str(), r.message.as_str()),
            ("ListKindConflict", "\"WidgetList\" is already in use")
        );
        let st = names_status(&c, std::slice::from_ref(&other), "t1");
        assert_eq!(st["conditions"][0]["status"], "False");
        assert_eq!(
            st["conditions"][1],
            json!({"type": "Established", "status": "False", "lastTransitionTime": "t1",
            "reason": "NotAccepted", "message": "not all names are accepted"})
        );
        // The CRD itself in `others` is ignored.
        let me = accepted(crd("a", "apps", "App", &["ap"]));
        assert!(accept_names(&me, std::slice::from_ref(&me)).accepted);
        // Names already accepted stay accepted.
        let r = accept_names(&me, &[other]);
        assert!(r.accepted, "{r:?}");
    }
}

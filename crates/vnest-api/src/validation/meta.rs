//! `metadata` validation (kube's `ValidateObjectMeta` / `ValidateObjectMetaUpdate`).

use serde_json::{Map, Value};

use super::field::{child, FieldError};
use super::names::{label_key_errors, label_value_errors, NameRule};

/// Total size limit of all annotation keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Validates a label map at `path` (keys as qualified names, values as label
/// values).
pub fn validate_labels(labels: &Map<String, Value>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels {
        for msg in label_key_errors(k) {
            errs.push(FieldError::invalid(path, k.as_str(), msg));
        }
        match v {
            Value::String(s) => {
                for msg in label_value_errors(s) {
                    errs.push(FieldError::invalid(path, s.as_str(), msg));
                }
            }
            Value::Null => {}
            other => errs.push(FieldError::invalid(path, other.clone(), "must be a string")),
        }
    }
    errs
}

/// Validates an optional label map value (absent or `null` is fine).
pub fn validate_labels_value(labels: Option<&Value>, path: &str) -> Vec<FieldError> {
    match labels {
        Some(Value::Object(m)) => validate_labels(m, path),
        _ => Vec::new(),
    }
}

/// Validates annotations: keys are qualified names (checked lower-cased) and
/// the total size of keys and values is at most 256 KiB.
pub fn validate_annotations(annotations: &Map<String, Value>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in annotations {
        for msg in label_key_errors(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k.as_str(), msg));
        }
        total += k.len() + v.as_str().map(str::len).unwrap_or(0);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

fn validate_owner_references(refs: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in refs {
        let api_version = str_of(r, "apiVersion");
        let kind = str_of(r, "kind");
        let name = str_of(r, "name");
        let uid = str_of(r, "uid");
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(
                &child(path, "apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                &child(path, "kind"),
                kind,
                "must not be empty",
            ));
        }
        if name.is_empty() {
            errs.push(FieldError::invalid(
                &child(path, "name"),
                name,
                "must not be empty",
            ));
        }
        if uid.is_empty() {
            errs.push(FieldError::invalid(
                &child(path, "uid"),
                uid,
                "must not be empty",
            ));
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            errs.push(FieldError::invalid(
                path,
                r.clone(),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid(
                    path,
                    Value::Array(refs.to_vec()),
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                    ),
                )),
                None => first_controller = Some(current),
            }
        }
    }
    errs
}

fn validate_finalizers(finalizers: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut orphan = false;
    let mut delete = false;
    for f in finalizers {
        let name = f.as_str().unwrap_or("");
        for msg in label_key_errors(name) {
            errs.push(FieldError::invalid(path, name, msg));
        }
        orphan |= name == "orphan";
        delete |= name == "foregroundDeletion";
    }
    if orphan && delete {
        errs.push(FieldError::invalid(
            path,
            Value::Array(finalizers.to_vec()),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// Validates the part of `metadata` that does not concern the name.
fn validate_meta_common(meta: &Value, namespaced: bool, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let namespace = str_of(meta, "namespace");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(&child(path, "namespace"), ""));
        } else {
            for msg in NameRule::DnsLabel.errors(namespace, false) {
                errs.push(FieldError::invalid(
                    &child(path, "namespace"),
                    namespace,
                    msg,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            &child(path, "namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(generation) = meta.get("generation").and_then(Value::as_i64) {
        if generation < 0 {
            errs.push(FieldError::invalid(
                &child(path, "generation"),
                generation,
                "must be greater than or equal to 0",
            ));
        }
    }
    errs.extend(validate_labels_value(
        meta.get("labels"),
        &child(path, "labels"),
    ));
    if let Some(Value::Object(a)) = meta.get("annotations") {
        errs.extend(validate_annotations(a, &child(path, "annotations")));
    }
    if let Some(Value::Array(refs)) = meta.get("ownerReferences") {
        errs.extend(validate_owner_references(
            refs,
            &child(path, "ownerReferences"),
        ));
    }
    if let Some(Value::Array(f)) = meta.get("finalizers") {
        errs.extend(validate_finalizers(f, &child(path, "finalizers")));
    }
    errs
}

/// Validates an object's `metadata` (kube's `ValidateObjectMeta` with the
/// given name rule): name or generateName required, name format, namespace
/// required or forbidden, labels, annotations (256 KiB total),
/// ownerReferences and finalizers. Paths start with `metadata`.
pub fn validate_object_meta(meta: &Value, namespaced: bool, rule: NameRule) -> Vec<FieldError> {
    validate_object_meta_at(meta, namespaced, rule, "metadata")
}

pub(crate) fn validate_object_meta_at(
    meta: &Value,
    namespaced: bool,
    rule: NameRule,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let generate_name = str_of(meta, "generateName");
    let name = str_of(meta, "name");
    if rule != NameRule::None {
        if !generate_name.is_empty() {
            for msg in rule.errors(generate_name, true) {
                errs.push(FieldError::invalid(
                    &child(path, "generateName"),
                    generate_name,
                    msg,
                ));
            }
        }
        if name.is_empty() {
            errs.push(FieldError::required(
                &child(path, "name"),
                "name or generateName is required",
            ));
        } else {
            for msg in rule.errors(name, false) {
                errs.push(FieldError::invalid(&child(path, "name"), name, msg));
            }
        }
    }
    errs.extend(validate_meta_common(meta, namespaced, path));
    errs
}

/// Validates pod-template style metadata (labels and annotations only).
pub(crate) fn validate_template_meta(meta: Option<&Value>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(meta) = meta {
        errs.extend(validate_labels_value(
            meta.get("labels"),
            &child(path, "labels"),
        ));
        if let Some(Value::Object(a)) = meta.get("annotations") {
            errs.extend(validate_annotations(a, &child(path, "annotations")));
        }
    }
    errs
}

fn immutable(new: &Value, old: &Value, key: &str, path: &str, errs: &mut Vec<FieldError>) {
    let n = new.get(key).cloned().unwrap_or(Value::Null);
    let o = old.get(key).cloned().unwrap_or(Value::Null);
    let empty = |v: &Value| v.is_null() || v.as_str() == Some("");
    if n != o && !(empty(&n) && empty(&o)) {
        errs.push(FieldError::invalid(
            &child(path, key),
            n,
            "field is immutable",
        ));
    }
}

/// Validates `metadata` on update (kube's `ValidateObjectMetaUpdate`): name,
/// namespace and uid (when sent) are immutable, generation may not decrease,
/// plus the label / annotation / ownerReference checks of create.
/// `metadata.resourceVersion` is not checked here (the store handles
/// unconditional updates).
pub fn validate_object_meta_update(new_meta: &Value, old_meta: &Value) -> Vec<FieldError> {
    let path = "metadata";
    let mut errs = Vec::new();
    if old_meta
        .get("deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        let names = |m: &Value| -> Vec<String> {
            m.get("finalizers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let old_f = names(old_meta);
        let mut extra: Vec<String> = names(new_meta)
            .into_iter()
            .filter(|f| !old_f.contains(f))
            .collect();
        extra.sort();
        extra.dedup();
        if !extra.is_empty() {
            let quoted: Vec<String> = extra.iter().map(|f| format!("{f:?}")).collect();
            errs.push(FieldError::forbidden(
                &child(path, "finalizers"),
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    quoted.join(", ")
                ),
            ));
        }
    }
    let new_gen = new_meta
        .get("generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let old_gen = old_meta
        .get("generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if new_meta.get("generation").is_some() && new_gen < old_gen {
        errs.push(FieldError::invalid(
            &child(path, "generation"),
            new_gen,
            "must not be decremented",
        ));
    }
    immutable(new_meta, old_meta, "name", path, &mut errs);
    immutable(new_meta, old_meta, "namespace", path, &mut errs);
    if !str_of(new_meta, "uid").is_empty() {
        immutable(new_meta, old_meta, "uid", path, &mut errs);
    }
    errs.extend(validate_labels_value(
        new_meta.get("labels"),
        &child(path, "labels"),
    ));
    if let Some(Value::Object(a)) = new_meta.get("annotations") {
        errs.extend(validate_annotations(a, &child(path, "annotations")));
    }
    if let Some(Value::Array(refs)) = new_meta.get("ownerReferences") {
        errs.extend(validate_owner_references(
            refs,
            &child(path, "ownerReferences"),
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(FieldError::message).collect()
    }

    #[test]
    fn name_namespace_rules() {
        let e = validate_object_meta(&json!({}), true, NameRule::DnsSubdomain);
        assert_eq!(
            msgs(&e),
            vec![
                "metadata.name: Required value: name or generateName is required",
                "metadata.namespace: Required value"
            ]
        );
        let e = validate_object_meta(
            &json!({"generateName": "x-", "namespace": "ns"}),
            true,
            NameRule::DnsSubdomain,
        );
        assert_eq!(
            msgs(&e),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        let e = validate_object_meta(
            &json!({"name": "a", "namespace": "ns"}),
            false,
            NameRule::DnsSubdomain,
        );
        assert_eq!(
            msgs(&e),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
        let e = validate_object_meta(
            &json!({"name": "a", "namespace": "Bad_NS"}),
            true,
            NameRule::DnsSubdomain,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, "metadata.namespace");
        assert!(
            validate_object_meta(&json!({"name": "Up/x"}), false, NameRule::PathSegment)
                .iter()
                .any(|e| e.detail == "may not contain '/'")
        );
    }

    #[test]
    fn labels_annotations_owners() {
        let meta = json!({
            "name": "a", "namespace": "n",
            "labels": {"ok": "v", "bad key": "v"},
            "annotations": {"big": "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT)},
            "ownerReferences": [{"apiVersion": "v1", "kind": "", "name": "o", "uid": "u"},
                                {"apiVersion": "", "kind": "K", "name": "", "uid": "u2", "controller": true},
                                {"apiVersion": "v1", "kind": "K", "name": "p", "uid": "u3", "controller": true}],
            "finalizers": ["orphan", "foregroundDeletion"]
        });
        let e = validate_object_meta(&meta, true, NameRule::DnsSubdomain);
        let m = msgs(&e);
        assert!(
            m[0].starts_with("metadata.labels: Invalid value: \"bad key\": name part must consist")
        );
        assert_eq!(
            m[1],
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(
            m[2],
            "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty"
        );
        assert_eq!(
            m[3],
            "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty"
        );
        assert_eq!(
            m[4],
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty"
        );
        assert!(m[5].ends_with("Only one reference can have Controller set to true. Found \"true\" in references for K/ and K/p"));
        assert!(m[6].ends_with("finalizer orphan and foregroundDeletion cannot be both set"));
        assert_eq!(m.len(), 7);
    }

    #[test]
    fn meta_update_rules() {
        let old = json!({"name": "a", "namespace": "n", "uid": "1", "generation": 3});
        assert!(
            validate_object_meta_update(&json!({"name": "a", "namespace": "n"}), &old).is_empty()
        );
        let e = validate_object_meta_update(
            &json!({"name": "b", "namespace": "n", "uid": "2", "generation": 2}),
            &old,
        );
        assert_eq!(
            msgs(&e),
            vec![
                "metadata.generation: Invalid value: 2: must not be decremented",
                "metadata.name: Invalid value: \"b\": field is immutable",
                "metadata.uid: Invalid value: \"2\": field is immutable"
            ]
        );
        let deleting = json!({"name": "a", "deletionTimestamp": "t", "finalizers": ["x"]});
        let e =
            validate_object_meta_update(&json!({"name": "a", "finalizers": ["x", "y"]}), &deleting);
        assert_eq!(
            msgs(&e),
            vec!["metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"y\"}"]
        );
    }
}

//! How API objects are kept in the store: key layout and encoding.
//!
//! Keys: `/registry/<group or "core">/<resource>/<namespace>/<name>` for namespaced
//! resources, `/registry/<group or "core">/<resource>/<name>` for cluster-scoped ones.
//! Values: the object as JSON without `metadata.resourceVersion`; the resourceVersion is
//! the store revision that last wrote the key and is put back on every read.

use serde_json::Value;
use vnest_store::Revision;

pub fn group_segment(group: &str) -> &str {
    if group.is_empty() {
        "core"
    } else {
        group
    }
}

/// Prefix of every object of a resource, or of one namespace of it.
pub fn resource_prefix(group: &str, resource: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("/registry/{}/{resource}/{ns}/", group_segment(group)),
        None => format!("/registry/{}/{resource}/", group_segment(group)),
    }
}

pub fn object_key(group: &str, resource: &str, namespace: Option<&str>, name: &str) -> String {
    format!("{}{name}", resource_prefix(group, resource, namespace))
}

/// Decodes a stored object and sets its resourceVersion.
pub fn decode(bytes: &[u8], revision: Revision) -> Result<Value, serde_json::Error> {
    let mut obj: Value = serde_json::from_slice(bytes)?;
    set_resource_version(&mut obj, revision);
    Ok(obj)
}

/// Encodes an object for storage (without its resourceVersion).
pub fn encode(obj: &Value) -> Vec<u8> {
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
        meta.remove("selfLink");
    }
    // Serializing a Value cannot fail: every key is a string.
    serde_json::to_vec(&obj).unwrap_or_default()
}

/// ObjectMeta's fields in the order kube-apiserver writes them.
const META_ORDER: [&str; 15] = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Sets metadata.resourceVersion, keeping metadata's fields in kube's order.
pub fn set_resource_version(obj: &mut Value, revision: Revision) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    meta.insert(
        "resourceVersion".into(),
        Value::String(revision.to_string()),
    );
    let mut ordered = serde_json::Map::new();
    for key in META_ORDER {
        if let Some(v) = meta.remove(key) {
            ordered.insert(key.to_string(), v);
        }
    }
    // Anything else (unknown to ObjectMeta) keeps its place after the known fields.
    for (k, v) in std::mem::take(meta) {
        ordered.insert(k, v);
    }
    *meta = ordered;
}

pub fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

pub fn resource_version(obj: &Value) -> Option<&str> {
    meta_str(obj, "resourceVersion").filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_separate_namespaces_and_groups() {
        assert_eq!(
            object_key("", "configmaps", Some("default"), "a"),
            "/registry/core/configmaps/default/a"
        );
        assert_eq!(
            object_key("rbac.authorization.k8s.io", "clusterroles", None, "admin"),
            "/registry/rbac.authorization.k8s.io/clusterroles/admin"
        );
        // A namespace prefix never matches a longer namespace name.
        assert!(
            !object_key("", "pods", Some("ab"), "x").starts_with(&resource_prefix(
                "",
                "pods",
                Some("a")
            ))
        );
    }

    #[test]
    fn resource_version_is_not_stored_but_restored() {
        let obj = json!({"metadata": {"name": "a", "resourceVersion": "5"}, "data": {}});
        let bytes = encode(&obj);
        assert!(!String::from_utf8_lossy(&bytes).contains("resourceVersion"));
        let back = decode(&bytes, 9).unwrap();
        assert_eq!(resource_version(&back), Some("9"));
    }
}

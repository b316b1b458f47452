//! Host names and markers (../shared/DESIGN.md, "Host naming").
//!
//! A virtual object `name` in virtual namespace `namespace` of virtual cluster
//! `vcluster` is `<name>-x-<namespace>-x-<vcluster>` on the host. Past 63 characters
//! (a DNS label, what pod hostnames and service names must be) it is the first 52
//! characters, `-`, and the first 10 hex digits of the SHA-256 of the full name: still
//! unique, since the hash covers all three parts. The separator `-x-` cannot make two
//! different triples collide in the unhashed form either: the parts are DNS labels
//! (no dots) and the vcluster name has no `-x-` (enforced by [`check_vcluster_name`]),
//! and the namespace is a DNS label, so the last two `-x-` split it back unambiguously.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// The longest host name kept as is.
pub const MAX_NAME: usize = 63;
/// Characters of the full name kept in front of the hash.
const KEPT: usize = 52;
/// Hex digits of the hash.
const HASH_DIGITS: usize = 10;

pub const MANAGED_BY: &str = "vnest.io/managed-by";
pub const NAMESPACE_LABEL: &str = "vnest.io/namespace";
pub const OBJECT_NAME: &str = "vnest.io/object-name";
pub const OBJECT_NAMESPACE: &str = "vnest.io/object-namespace";
pub const OBJECT_UID: &str = "vnest.io/object-uid";
pub const OBJECT_KIND: &str = "vnest.io/object-kind";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error(
        "virtual cluster name {0:?} must be a DNS label of at most 40 characters without \"-x-\""
    )]
    VclusterName(String),
}

/// Checks a virtual cluster's name: a DNS label short enough to leave room in host
/// names, without the `-x-` separator.
pub fn check_vcluster_name(name: &str) -> Result<(), NameError> {
    let label = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("-x-");
    if label {
        Ok(())
    } else {
        Err(NameError::VclusterName(name.to_string()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Host names of virtual objects.
pub struct HostName;

impl HostName {
    /// The host name of a namespaced virtual object.
    pub fn for_object(name: &str, namespace: &str, vcluster: &str) -> String {
        Self::shorten(format!("{name}-x-{namespace}-x-{vcluster}"))
    }

    /// The host name of a cluster-scoped virtual object that lives in the host
    /// namespace (for example the token secret of a virtual node): `<name>-x-<vcluster>`.
    pub fn for_cluster_object(name: &str, vcluster: &str) -> String {
        Self::shorten(format!("{name}-x-{vcluster}"))
    }

    fn shorten(full: String) -> String {
        if full.len() <= MAX_NAME {
            return full;
        }
        let digest = vnest_api::registry::sha256(full.as_bytes());
        let mut kept: String = full.chars().take(KEPT).collect();
        // A name part may end in a dot-free label's hyphen; keep the result a label.
        while kept.ends_with(['-', '.']) {
            kept.pop();
        }
        format!("{kept}-{}", &hex(&digest)[..HASH_DIGITS])
    }
}

/// What identifies the virtual object behind a host object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// The labels every host object of `vcluster` carries for an object of virtual
/// namespace `namespace` (selectors on the host use them to stay inside one virtual
/// namespace of one virtual cluster).
pub fn marker_labels(vcluster: &str, namespace: &str) -> BTreeMap<String, String> {
    [
        (MANAGED_BY.to_string(), vcluster.to_string()),
        (NAMESPACE_LABEL.to_string(), namespace.to_string()),
    ]
    .into()
}

/// Writes the markers into a host object's metadata.
pub fn mark(host: &mut Value, vcluster: &str, origin: &Origin) {
    let Some(root) = host.as_object_mut() else {
        return;
    };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(meta) = meta else { return };
    let labels = meta.entry("labels").or_insert_with(|| json!({}));
    if let Some(labels) = labels.as_object_mut() {
        for (k, v) in marker_labels(vcluster, &origin.namespace) {
            labels.insert(k, Value::String(v));
        }
    }
    let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
    if let Some(a) = annotations.as_object_mut() {
        a.insert(OBJECT_NAME.into(), json!(origin.name));
        a.insert(OBJECT_NAMESPACE.into(), json!(origin.namespace));
        a.insert(OBJECT_UID.into(), json!(origin.uid));
        a.insert(OBJECT_KIND.into(), json!(origin.kind));
    }
}

/// Gives a host object its owner reference, if there is one.
pub fn own(host: &mut Value, owner: Option<&Value>) {
    if let Some(owner) = owner {
        host["metadata"]["ownerReferences"] = Value::Array(vec![owner.clone()]);
    }
}

/// The owner reference naming a host Service (the control plane's) as owner.
pub fn service_owner(name: &str, uid: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "name": name, "uid": uid})
}

fn meta_map<'a>(obj: &'a Value, field: &str) -> Option<&'a Map<String, Value>> {
    obj.pointer(&format!("/metadata/{field}"))?.as_object()
}

/// Whether `vcluster` manages this host object (its own marker; anything else is
/// never touched).
pub fn is_managed_by(host: &Value, vcluster: &str) -> bool {
    meta_map(host, "labels")
        .and_then(|l| l.get(MANAGED_BY))
        .and_then(Value::as_str)
        == Some(vcluster)
}

/// The virtual object behind a host object, from its annotations.
pub fn origin_of(host: &Value) -> Option<Origin> {
    let a = meta_map(host, "annotations")?;
    let get = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Origin {
        kind: get(OBJECT_KIND)?,
        namespace: get(OBJECT_NAMESPACE).unwrap_or_default(),
        name: get(OBJECT_NAME)?,
        uid: get(OBJECT_UID).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept_whole() {
        assert_eq!(
            HostName::for_object("web", "default", "dev"),
            "web-x-default-x-dev"
        );
        let name = "a".repeat(63 - "-x-ns-x-vc".len());
        let exact = HostName::for_object(&name, "ns", "vc");
        assert_eq!(
            exact,
            format!("{name}-x-ns-x-vc"),
            "63 characters stay whole"
        );
        assert_eq!(exact.len(), 63);
    }

    #[test]
    fn long_names_are_hashed_to_63_characters() {
        // The case: a 60-character pod name in a 40-character namespace.
        let pod = "p".repeat(60);
        let ns = "n".repeat(40);
        let host = HostName::for_object(&pod, &ns, "dev");
        assert_eq!(host.len(), 63, "{host}");
        assert!(host.starts_with(&"p".repeat(52)));
        let (_, hash) = host.rsplit_once('-').unwrap();
        assert_eq!(hash.len(), 10);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(host, HostName::for_object(&pod, &ns, "dev"), "stable");
    }

    #[test]
    fn different_triples_never_share_a_host_name() {
        let triples = [
            ("web", "default", "a"),
            ("web", "default", "b"),
            ("web-x-default", "x", "a"),
            ("web", "default-x-a", "a"),
            (&*"q".repeat(60), "ns1", "a"),
            (&*"q".repeat(60), "ns2", "a"),
            (&*"q".repeat(60), "ns1", "b"),
        ];
        let names: std::collections::BTreeSet<String> = triples
            .iter()
            .map(|(n, ns, vc)| HostName::for_object(n, ns, vc))
            .collect();
        assert_eq!(names.len(), triples.len(), "{names:?}");
        // Long names that share their first 52 characters still differ.
        let a = HostName::for_object(&format!("{}a", "z".repeat(70)), "ns", "vc");
        let b = HostName::for_object(&format!("{}b", "z".repeat(70)), "ns", "vc");
        assert_ne!(a, b);
        assert_eq!(a[..52], b[..52]);
    }

    #[test]
    fn hashed_names_stay_dns_labels() {
        let host = HostName::for_object(
            &format!("{}-{}", "a".repeat(51), "b".repeat(20)),
            "ns",
            "vc",
        );
        assert!(!host.contains("--"), "{host}");
        assert!(host.len() <= MAX_NAME);
    }

    #[test]
    fn vcluster_names_are_checked() {
        assert!(check_vcluster_name("dev").is_ok());
        assert!(check_vcluster_name("ci-42").is_ok());
        for bad in ["", "Dev", "a-x-b", "-a", "a-", &"a".repeat(41), "a.b"] {
            assert!(check_vcluster_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn markers_round_trip_through_annotations() {
        let mut host =
            json!({"metadata": {"name": "web-x-default-x-dev", "labels": {"app": "web"}}});
        let origin = Origin {
            kind: "Pod".into(),
            namespace: "default".into(),
            name: "web".into(),
            uid: "u-1".into(),
        };
        mark(&mut host, "dev", &origin);
        assert!(is_managed_by(&host, "dev"));
        assert!(!is_managed_by(&host, "other"));
        assert_eq!(origin_of(&host), Some(origin));
        assert_eq!(host["metadata"]["labels"]["app"], "web");
        assert_eq!(host["metadata"]["labels"][NAMESPACE_LABEL], "default");
        assert!(!is_managed_by(&json!({"metadata": {}}), "dev"));
    }
}

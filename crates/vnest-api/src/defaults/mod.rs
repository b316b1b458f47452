//! Create-time defaulting of the built-in Kubernetes v1.33 types, as pure
//! functions over `serde_json::Value`.
//!
//! kube-apiserver fills in defaults in several layers; this module reproduces
//! the ones that do not need any other object or any allocator:
//!
//! * [`apply_defaults`]: the scheme defaulters (`SetDefaults_*` and the
//!   `+default` markers of the versioned types), the create-time parts of the
//!   registry strategies that need no lookups (pod `status.phase`/`qosClass`,
//!   namespace finalizer, job selector, daemonset template generation,
//!   service `clusterIPs` normalisation) and the zero values Go's JSON encoder
//!   writes for non-pointer structs (`status: {}`, `resources: {}`,
//!   `"firstTimestamp": null`, ...). It only ever fills in what is missing, so
//!   it is safe to run on updates as well.
//! * [`default_service_ip_families`]: `spec.ipFamilyPolicy` / `spec.ipFamilies`,
//!   which kube-apiserver decides together with ClusterIP allocation and
//!   which therefore depend on the cluster's service CIDR families.
//! * [`apply_admission_defaults`]: what the default mutating admission plugins
//!   add on create without reading other objects (ServiceAccount name,
//!   Priority for pods without a custom class, DefaultTolerationSeconds,
//!   StorageObjectInUseProtection finalizers).
//!
//! Not done here (other parts of the server own them): metadata system fields
//! (uid, resourceVersion, creationTimestamp, generation, managedFields),
//! ClusterIP / NodePort allocation, the service-account token volume, and
//! anything written by controllers. Resource quantities are kept as written
//! (kube would canonicalise e.g. `1000m` to `1`).

mod admission;
mod core;
mod pod;
mod quantity;
mod service;
mod workloads;

use serde_json::{Map, Value};

pub use admission::{apply_admission_defaults, set_pod_priority};
pub use pod::pod_qos_class;
pub use quantity::parse_quantity_nanos;
pub use service::{default_service_ip_families, IpFamily};

/// Errors reported by the defaulting helpers that can refuse an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefaultsError {
    /// `spec.ipFamilyPolicy: RequireDualStack` on a cluster with one service CIDR family.
    #[error("spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services")]
    DualStackNotConfigured,
    /// A requested IP family has no service CIDR in this cluster.
    #[error(
        "spec.ipFamilies[{index}]: Invalid value: \"{family}\": not configured on this cluster"
    )]
    FamilyNotConfigured {
        /// Index in `spec.ipFamilies`.
        index: usize,
        /// The requested family.
        family: String,
    },
    /// `spec.ipFamilies` holds something that is neither `IPv4` nor `IPv6`.
    #[error("spec.ipFamilies[{index}]: Unsupported value: \"{value}\": supported values: \"IPv4\", \"IPv6\"")]
    UnknownFamily {
        /// Index in `spec.ipFamilies`.
        index: usize,
        /// The value found there.
        value: String,
    },
    /// The cluster was described without any service CIDR family.
    #[error("no service IP family is configured for this cluster")]
    NoClusterFamilies,
}

/// Applies kube-apiserver's defaulting for `group`/`version`/`kind` to `obj`
/// in place. Unknown kinds and malformed parts of the object are left
/// untouched (validation reports them later).
///
/// For Jobs the generated selector uses `metadata.uid`; call this after the
/// uid has been assigned (without a uid no selector is generated).
/// The defaulting of an update, patch or apply body: as [`apply_defaults`], without
/// what kube-apiserver does only on create (a namespace's `kubernetes` finalizer,
/// which only the namespace controller's `/finalize` may remove).
pub fn apply_update_defaults(group: &str, version: &str, kind: &str, obj: &mut Value) {
    if let ("", "Namespace") = (group, kind) {
        if let Some(root) = obj.as_object_mut() {
            core::default_namespace_fields(root);
        }
        return;
    }
    apply_defaults(group, version, kind, obj);
}

pub fn apply_defaults(group: &str, version: &str, kind: &str, obj: &mut Value) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    match (group, kind) {
        ("", "Pod") => pod::default_pod(root),
        ("", "PodTemplate") => {
            if let Some(t) = child(root, "template") {
                pod::default_pod_template(t);
            }
        }
        ("", "ReplicationController") => workloads::default_replication_controller(root),
        ("apps", "Deployment") => workloads::default_deployment(root),
        ("apps", "ReplicaSet") => workloads::default_replica_set(root),
        ("apps", "StatefulSet") => workloads::default_stateful_set(root),
        ("apps", "DaemonSet") => workloads::default_daemon_set(root),
        ("batch", "Job") => workloads::default_job(root),
        ("batch", "CronJob") => workloads::default_cron_job(root),
        ("", "Service") => service::default_service(root),
        ("", "Endpoints") => core::default_endpoints(root),
        ("discovery.k8s.io", "EndpointSlice") => core::default_endpoint_slice(root),
        ("", "Secret") => core::default_secret(root),
        ("", "Namespace") => core::default_namespace(root),
        ("", "PersistentVolumeClaim") => core::default_pvc(root),
        ("", "PersistentVolume") => core::default_pv(root),
        ("", "Node") => core::default_node(root),
        ("", "LimitRange") => core::default_limit_range(root),
        ("", "ResourceQuota") => {
            child(root, "spec");
            child(root, "status");
        }
        ("", "Event") => core::default_core_event(root),
        ("events.k8s.io", "Event") => core::default_events_event(root),
        ("coordination.k8s.io", "Lease") => {
            child(root, "spec");
        }
        ("networking.k8s.io", "NetworkPolicy") => core::default_network_policy(root),
        ("networking.k8s.io", "Ingress") => {
            child(root, "spec");
            if let Some(status) = child(root, "status") {
                child(status, "loadBalancer");
            }
        }
        ("networking.k8s.io", "IngressClass") => core::default_ingress_class(root),
        ("autoscaling", "HorizontalPodAutoscaler") => core::default_hpa(version, root),
        ("policy", "PodDisruptionBudget") => core::default_pdb(root),
        ("scheduling.k8s.io", "PriorityClass") => {
            default_value(root, "value", Value::from(0));
            default_str(root, "preemptionPolicy", "PreemptLowerPriority");
        }
        ("storage.k8s.io", "StorageClass") => {
            default_str(root, "reclaimPolicy", "Delete");
            default_str(root, "volumeBindingMode", "Immediate");
        }
        ("storage.k8s.io", "CSIDriver") => core::default_csi_driver(root),
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => {
            default_value(root, "rules", Value::Null);
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            core::default_role_binding(root)
        }
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
        ) => core::default_webhook_configuration(kind, root),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Small helpers over JSON maps shared by the submodules.

/// A field that Go would see as nil: absent or JSON null.
fn is_unset(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// A string field that Go would see as "": absent, null or empty.
fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// An integer field that Go would see as 0: absent, null or zero.
fn is_zero_number(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// Sets `key` to `value` when it is absent or null.
fn default_value(m: &mut Map<String, Value>, key: &str, value: Value) {
    if is_unset(m.get(key)) {
        m.insert(key.to_string(), value);
    }
}

/// Sets the string `key` to `value` when it is absent, null or empty.
fn default_str(m: &mut Map<String, Value>, key: &str, value: &str) {
    if is_blank(m.get(key)) {
        m.insert(key.to_string(), Value::String(value.to_string()));
    }
}

/// The object under `key`, created empty when absent or null. `None` when the
/// field holds something other than an object.
fn child<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    if is_unset(m.get(key)) {
        m.insert(key.to_string(), Value::Object(Map::new()));
    }
    m.get_mut(key).and_then(Value::as_object_mut)
}

/// The object under `key` if there is one; nothing is created.
fn existing<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

/// The object elements of the array under `key` (none when absent).
fn items_mut<'a>(
    m: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    m.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// The string under `key`, or "" when absent or not a string.
fn str_of<'a>(m: &'a Map<String, Value>, key: &str) -> &'a str {
    m.get(key).and_then(Value::as_str).unwrap_or("")
}

/// True when the map under `key` is absent, null, or an empty object.
fn map_is_empty(m: &Map<String, Value>, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// True when the list under `key` is absent, null, or empty.
fn list_is_empty(m: &Map<String, Value>, key: &str) -> bool {
    match m.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn updates_keep_a_finalized_namespace_finalized() {
        let mut ns = serde_json::json!({"metadata": {"name": "gone"}, "spec": {"finalizers": []},
                                         "status": {"phase": "Terminating"}});
        super::apply_update_defaults("", "v1", "Namespace", &mut ns);
        assert_eq!(ns["spec"]["finalizers"], serde_json::json!([]));
        assert_eq!(
            ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "gone"
        );
        assert_eq!(ns["status"]["phase"], "Terminating");
        let mut created = serde_json::json!({"metadata": {"name": "new"}});
        super::apply_defaults("", "v1", "Namespace", &mut created);
        assert_eq!(
            created["spec"]["finalizers"],
            serde_json::json!(["kubernetes"])
        );
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_kind_is_left_alone() {
        let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {}});
        let before = obj.clone();
        apply_defaults("example.com", "v1", "Widget", &mut obj);
        assert_eq!(obj, before);
    }

    #[test]
    fn non_object_input_is_ignored() {
        let mut obj = json!([1, 2, 3]);
        apply_defaults("", "v1", "Pod", &mut obj);
        assert_eq!(obj, json!([1, 2, 3]));
    }

    #[test]
    fn defaulting_is_idempotent() {
        let mut obj = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}
        });
        apply_defaults("apps", "v1", "Deployment", &mut obj);
        let once = obj.clone();
        apply_defaults("apps", "v1", "Deployment", &mut obj);
        assert_eq!(obj, once);
        assert_eq!(
            obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
    }

    #[test]
    fn explicit_values_win() {
        let mut obj = json!({
            "kind": "Deployment",
            "spec": {"replicas": 3, "revisionHistoryLimit": 2,
                     "strategy": {"type": "Recreate"},
                     "template": {"spec": {"containers": []}}}
        });
        apply_defaults("apps", "v1", "Deployment", &mut obj);
        assert_eq!(obj["spec"]["replicas"], 3);
        assert_eq!(obj["spec"]["revisionHistoryLimit"], 2);
        assert_eq!(obj["spec"]["strategy"], json!({"type": "Recreate"}));
    }
}

//! Object validation with kube-apiserver's field errors and 422 `Status`.
//!
//! * [`field`]: the [`FieldError`] framework (messages, cause reasons, the
//!   422 Status body).
//! * [`names`]: name / key / label formats and [`name_rule`] per resource.
//! * [`meta`]: `metadata` validation for create and update.
//! * per-kind checks for the objects tenants create every day; entry points
//!   [`validate_create`] and [`validate_update`].
//!
//! Inputs are the JSON objects as the server holds them right before
//! validation: namespace filled in from the URL and, ideally, defaults
//! applied. Where kube validates a defaulted field (restartPolicy,
//! imagePullPolicy, protocol, strategy type, targetPort, ...) a missing value
//! is treated as its default, so un-defaulted input does not produce spurious
//! errors.

pub mod apps;
pub mod core;
pub mod field;
pub mod meta;
pub mod names;

use serde_json::Value;

pub use field::{invalid_message, invalid_status, qualified_kind, ErrorKind, FieldError};
pub use meta::{validate_object_meta, validate_object_meta_update};
pub use names::{name_rule, NameRule};

/// Server settings that change validation results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// `--allow-privileged` (kube-apiserver's default is false).
    pub allow_privileged: bool,
    /// `--service-node-port-range` (default 30000-32767).
    pub node_port_range: (u16, u16),
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            allow_privileged: false,
            node_port_range: (30000, 32767),
        }
    }
}

/// Built-in kinds of kube-apiserver v1.33: (group, kind, resource, namespaced).
const KINDS: &[(&str, &str, &str, bool)] = &[
    ("", "Binding", "bindings", true),
    ("", "ComponentStatus", "componentstatuses", false),
    ("", "ConfigMap", "configmaps", true),
    ("", "Endpoints", "endpoints", true),
    ("", "Event", "events", true),
    ("", "LimitRange", "limitranges", true),
    ("", "Namespace", "namespaces", false),
    ("", "Node", "nodes", false),
    ("", "PersistentVolume", "persistentvolumes", false),
    ("", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("", "Pod", "pods", true),
    ("", "PodTemplate", "podtemplates", true),
    ("", "ReplicationController", "replicationcontrollers", true),
    ("", "ResourceQuota", "resourcequotas", true),
    ("", "Secret", "secrets", true),
    ("", "Service", "services", true),
    ("", "ServiceAccount", "serviceaccounts", true),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        false,
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    ("apiregistration.k8s.io", "APIService", "apiservices", false),
    ("apps", "ControllerRevision", "controllerrevisions", true),
    ("apps", "DaemonSet", "daemonsets", true),
    ("apps", "Deployment", "deployments", true),
    ("apps", "ReplicaSet", "replicasets", true),
    ("apps", "StatefulSet", "statefulsets", true),
    (
        "authentication.k8s.io",
        "SelfSubjectReview",
        "selfsubjectreviews",
        false,
    ),
    (
        "authentication.k8s.io",
        "TokenReview",
        "tokenreviews",
        false,
    ),
    (
        "authorization.k8s.io",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        true,
    ),
    (
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        false,
    ),
    (
        "authorization.k8s.io",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        false,
    ),
    (
        "authorization.k8s.io",
        "SubjectAccessReview",
        "subjectaccessreviews",
        false,
    ),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    ("autoscaling", "Scale", "scale", true),
    ("batch", "CronJob", "cronjobs", true),
    ("batch", "Job", "jobs", true),
    (
        "certificates.k8s.io",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        false,
    ),
    ("coordination.k8s.io", "Lease", "leases", true),
    ("discovery.k8s.io", "EndpointSlice", "endpointslices", true),
    ("events.k8s.io", "Event", "events", true),
    (
        "flowcontrol.apiserver.k8s.io",
        "FlowSchema",
        "flowschemas",
        false,
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
        false,
    ),
    ("networking.k8s.io", "IPAddress", "ipaddresses", false),
    ("networking.k8s.io", "Ingress", "ingresses", true),
    ("networking.k8s.io", "IngressClass", "ingressclasses", false),
    (
        "networking.k8s.io",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    ("networking.k8s.io", "ServiceCIDR", "servicecidrs", false),
    ("node.k8s.io", "RuntimeClass", "runtimeclasses", false),
    ("policy", "Eviction", "evictions", true),
    (
        "policy",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
    ("rbac.authorization.k8s.io", "Role", "roles", true),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    (
        "scheduling.k8s.io",
        "PriorityClass",
        "priorityclasses",
        false,
    ),
    ("storage.k8s.io", "CSIDriver", "csidrivers", false),
    ("storage.k8s.io", "CSINode", "csinodes", false),
    (
        "storage.k8s.io",
        "CSIStorageCapacity",
        "csistoragecapacities",
        true,
    ),
    ("storage.k8s.io", "StorageClass", "storageclasses", false),
    (
        "storage.k8s.io",
        "VolumeAttachment",
        "volumeattachments",
        false,
    ),
];

/// `(resource, namespaced)` of a built-in kind, if known.
pub fn kind_info(group: &str, kind: &str) -> Option<(&'static str, bool)> {
    KINDS
        .iter()
        .find(|(g, k, _, _)| *g == group && *k == kind)
        .map(|(_, _, r, ns)| (*r, *ns))
}

fn scope_and_rule(group: &str, kind: &str, obj: &Value) -> (bool, NameRule) {
    match kind_info(group, kind) {
        Some((resource, namespaced)) => (namespaced, name_rule(group, resource)),
        None => {
            // Custom resources: scope follows the object, names are subdomains.
            let namespaced = obj
                .get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            (namespaced, NameRule::DnsSubdomain)
        }
    }
}

/// Create validation with default [`ValidationOptions`].
pub fn validate_create(group: &str, kind: &str, obj: &Value) -> Vec<FieldError> {
    validate_create_with(&ValidationOptions::default(), group, kind, obj)
}

/// Validates an object about to be created. An empty result means valid;
/// otherwise build the answer with [`invalid_status`].
pub fn validate_create_with(
    opts: &ValidationOptions,
    group: &str,
    kind: &str,
    obj: &Value,
) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let errs = match (group, kind) {
        ("", "ConfigMap") => core::validate_configmap(obj),
        ("", "Secret") => core::validate_secret(obj),
        ("", "Pod") => core::validate_pod(obj, opts),
        ("", "Service") => {
            // Node ports are allocated (and range-checked) before validation.
            let alloc = core::validate_service_node_ports(obj, opts);
            if !alloc.is_empty() {
                return alloc;
            }
            core::validate_service(obj)
        }
        ("", "Event") | ("events.k8s.io", "Event") => core::validate_event(group, obj),
        ("", "Namespace") => core::validate_namespace(obj),
        ("apps", "Deployment") => apps::validate_deployment(obj, opts),
        ("apps", "ReplicaSet") => apps::validate_replicaset(obj, opts),
        ("apps", "StatefulSet") => apps::validate_statefulset(obj, opts),
        ("apps", "DaemonSet") => apps::validate_daemonset(obj, opts),
        ("batch", "Job") => apps::validate_job(obj, opts),
        ("batch", "CronJob") => apps::validate_cronjob(obj, opts),
        ("autoscaling", "Scale") => apps::validate_scale(obj),
        _ => {
            let (namespaced, rule) = scope_and_rule(group, kind, obj);
            validate_object_meta(meta, namespaced, rule)
        }
    };
    if !errs.is_empty() {
        return errs;
    }
    // kube finishes with a generic metadata check (path-segment names).
    let (namespaced, rule) = scope_and_rule(group, kind, obj);
    if rule == NameRule::None {
        return Vec::new();
    }
    validate_object_meta(meta, namespaced, NameRule::PathSegment)
}

/// Update validation with default [`ValidationOptions`].
pub fn validate_update(group: &str, kind: &str, old: &Value, new: &Value) -> Vec<FieldError> {
    validate_update_with(&ValidationOptions::default(), group, kind, old, new)
}

fn without_metadata(errs: Vec<FieldError>) -> Vec<FieldError> {
    errs.into_iter()
        .filter(|e| e.path != "metadata" && !e.path.starts_with("metadata."))
        .collect()
}

/// Validates an update of `old` into `new` (metadata rules, the kind's
/// checks on the new object and its immutable fields).
pub fn validate_update_with(
    opts: &ValidationOptions,
    group: &str,
    kind: &str,
    old: &Value,
    new: &Value,
) -> Vec<FieldError> {
    let null = Value::Null;
    let new_meta = new.get("metadata").unwrap_or(&null);
    let old_meta = old.get("metadata").unwrap_or(&null);
    let meta_update = || validate_object_meta_update(new_meta, old_meta);
    match (group, kind) {
        ("", "ConfigMap") => {
            let mut errs = meta_update();
            errs.extend(core::validate_configmap_update(new, old));
            errs
        }
        ("", "Secret") => {
            let mut errs = meta_update();
            errs.extend(core::validate_secret_update(new, old));
            errs
        }
        ("", "Service") => {
            let mut errs = meta_update();
            errs.extend(core::validate_service_update(new, old));
            errs
        }
        ("", "Pod") => {
            let mut errs = core::validate_pod(new, opts);
            errs.extend(meta_update());
            errs.extend(core::validate_pod_update(new, old));
            errs
        }
        ("apps", "Deployment" | "ReplicaSet" | "DaemonSet") => {
            let mut errs = meta_update();
            let created = match kind {
                "Deployment" => apps::validate_deployment(new, opts),
                "ReplicaSet" => apps::validate_replicaset(new, opts),
                _ => apps::validate_daemonset(new, opts),
            };
            errs.extend(without_metadata(created));
            apps::validate_selector_immutable(new, old, &mut errs);
            errs
        }
        ("apps", "StatefulSet") => {
            let mut errs = meta_update();
            errs.extend(without_metadata(apps::validate_statefulset_update(
                new, old, opts,
            )));
            errs
        }
        ("batch", "Job") => {
            let mut errs = meta_update();
            errs.extend(without_metadata(apps::validate_job_update(new, old, opts)));
            errs
        }
        ("batch", "CronJob") => {
            let mut errs = meta_update();
            errs.extend(without_metadata(apps::validate_cronjob(new, opts)));
            errs
        }
        ("", "Event") | ("events.k8s.io", "Event") => {
            let mut errs = meta_update();
            errs.extend(without_metadata(core::validate_event(group, new)));
            errs
        }
        ("autoscaling", "Scale") => apps::validate_scale(new),
        _ => meta_update(),
    }
}

#[cfg(test)]
mod golden_tests;

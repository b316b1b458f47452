//! What kube-apiserver's default mutating admission plugins add on create
//! without looking at other objects.

use serde_json::{json, Map, Value};

use super::{child, default_str, default_value, str_of};

/// Applies, for a create of `group`/`version`/`kind`, the mutations of the
/// admission plugins enabled by default that need no lookups:
///
/// * ServiceAccount: `spec.serviceAccountName: default` for pods (the token
///   volume it also injects is not added here);
/// * Priority: `spec.priority` / `spec.preemptionPolicy` for pods without a
///   `priorityClassName` (assuming no global-default PriorityClass exists) or
///   with one of the two built-in system classes; other classes must be
///   resolved by the caller with [`set_pod_priority`];
/// * DefaultTolerationSeconds: 300 s NoExecute tolerations for the
///   `not-ready` and `unreachable` node taints;
/// * StorageObjectInUseProtection: the `kubernetes.io/pvc-protection` and
///   `kubernetes.io/pv-protection` finalizers.
///
/// Run it after [`super::apply_defaults`].
pub fn apply_admission_defaults(group: &str, _version: &str, kind: &str, obj: &mut Value) {
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    match (group, kind) {
        ("", "Pod") => admit_pod(root),
        ("", "PersistentVolumeClaim") => add_finalizer(root, "kubernetes.io/pvc-protection"),
        ("", "PersistentVolume") => add_finalizer(root, "kubernetes.io/pv-protection"),
        _ => {}
    }
}

/// Sets a pod's resolved priority (value of its PriorityClass) and, when the
/// pod has none yet, the class's preemption policy (default
/// `PreemptLowerPriority`).
pub fn set_pod_priority(pod: &mut Value, priority: i32, preemption_policy: Option<&str>) {
    let Some(spec) = pod.as_object_mut().and_then(|root| child(root, "spec")) else {
        return;
    };
    spec.insert("priority".into(), json!(priority));
    default_str(
        spec,
        "preemptionPolicy",
        preemption_policy.unwrap_or("PreemptLowerPriority"),
    );
}

fn admit_pod(root: &mut Map<String, Value>) {
    let Some(spec) = child(root, "spec") else {
        return;
    };
    // ServiceAccount.
    if str_of(spec, "serviceAccountName").is_empty() {
        spec.insert("serviceAccountName".into(), json!("default"));
        spec.insert("serviceAccount".into(), json!("default"));
    }
    // Priority.
    let priority = match str_of(spec, "priorityClassName") {
        "" => Some(0),
        "system-node-critical" => Some(2_000_001_000),
        "system-cluster-critical" => Some(2_000_000_000),
        _ => None,
    };
    if let Some(priority) = priority {
        default_value(spec, "priority", json!(priority));
        default_str(spec, "preemptionPolicy", "PreemptLowerPriority");
    }
    // DefaultTolerationSeconds.
    let tolerated = |key: &str, spec: &Map<String, Value>| {
        spec.get("tolerations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .any(|t| {
                let k = str_of(t, "key");
                let effect = str_of(t, "effect");
                (k == key || k.is_empty()) && (effect == "NoExecute" || effect.is_empty())
            })
    };
    let mut additions = Vec::new();
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerated(key, spec) {
            additions.push(
                json!({"key": key, "operator": "Exists", "effect": "NoExecute",
                                  "tolerationSeconds": 300}),
            );
        }
    }
    if !additions.is_empty() {
        if !matches!(spec.get("tolerations"), Some(Value::Array(_))) {
            spec.insert("tolerations".into(), json!([]));
        }
        if let Some(list) = spec.get_mut("tolerations").and_then(Value::as_array_mut) {
            list.extend(additions);
        }
    }
}

fn add_finalizer(root: &mut Map<String, Value>, finalizer: &str) {
    let Some(meta) = child(root, "metadata") else {
        return;
    };
    if !matches!(meta.get("finalizers"), Some(Value::Array(_))) {
        meta.insert("finalizers".into(), json!([]));
    }
    if let Some(list) = meta.get_mut("finalizers").and_then(Value::as_array_mut) {
        if !list.iter().any(|f| f == finalizer) {
            list.push(json!(finalizer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_admission() {
        let mut pod = json!({"spec": {"containers": [],
            "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists"}]}});
        apply_admission_defaults("", "v1", "Pod", &mut pod);
        assert_eq!(pod["spec"]["serviceAccountName"], "default");
        assert_eq!(pod["spec"]["priority"], 0);
        assert_eq!(pod["spec"]["preemptionPolicy"], "PreemptLowerPriority");
        let tolerations = pod["spec"]["tolerations"].as_array().map(Vec::len);
        assert_eq!(tolerations, Some(2));
        assert_eq!(
            pod["spec"]["tolerations"][1]["key"],
            "node.kubernetes.io/not-ready"
        );
    }

    #[test]
    fn custom_priority_class_is_left_to_the_caller() {
        let mut pod = json!({"spec": {"priorityClassName": "high", "containers": []}});
        apply_admission_defaults("", "v1", "Pod", &mut pod);
        assert!(pod["spec"].get("priority").is_none());
        set_pod_priority(&mut pod, 1000, Some("Never"));
        assert_eq!(pod["spec"]["priority"], 1000);
        assert_eq!(pod["spec"]["preemptionPolicy"], "Never");
    }

    #[test]
    fn pvc_protection() {
        let mut pvc = json!({"metadata": {"name": "c"}});
        apply_admission_defaults("", "v1", "PersistentVolumeClaim", &mut pvc);
        apply_admission_defaults("", "v1", "PersistentVolumeClaim", &mut pvc);
        assert_eq!(
            pvc["metadata"]["finalizers"],
            json!(["kubernetes.io/pvc-protection"])
        );
    }
}

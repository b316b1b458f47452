//! The remaining built-in kinds.

use serde_json::{json, Map, Value};

use super::pod::{default_persistent_sources, default_pvc_spec};
use super::{
    child, default_str, default_value, existing, is_unset, items_mut, list_is_empty, str_of,
};

pub(super) fn default_endpoints(root: &mut Map<String, Value>) {
    for subset in items_mut(root, "subsets") {
        for port in items_mut(subset, "ports") {
            default_str(port, "protocol", "TCP");
        }
    }
}

pub(super) fn default_endpoint_slice(root: &mut Map<String, Value>) {
    for endpoint in items_mut(root, "endpoints") {
        child(endpoint, "conditions");
    }
    for port in items_mut(root, "ports") {
        default_value(port, "name", json!(""));
        default_value(port, "protocol", json!("TCP"));
    }
}

/// `type: Opaque`, and `stringData` merged into `data` (base64) the way the
/// v1 conversion does: `stringData` wins over `data` and is dropped.
pub(super) fn default_secret(root: &mut Map<String, Value>) {
    default_str(root, "type", "Opaque");
    let string_data = match root.remove("stringData") {
        Some(Value::Object(m)) => m,
        Some(other) if !other.is_null() => {
            // Not a map: leave it for validation to report.
            root.insert("stringData".into(), other);
            return;
        }
        _ => return,
    };
    if string_data.is_empty() {
        return;
    }
    let mut merged: Vec<(String, Value)> = match root.remove("data") {
        Some(Value::Object(m)) => m.into_iter().collect(),
        _ => Vec::new(),
    };
    for (key, value) in string_data {
        let encoded = json!(base64_encode(value.as_str().unwrap_or("").as_bytes()));
        match merged.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = encoded,
            None => merged.push((key, encoded)),
        }
    }
    // Go writes map keys sorted.
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    root.insert("data".into(), Value::Object(merged.into_iter().collect()));
}

/// Standard base64 with padding.
fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// The `kubernetes.io/metadata.name` label, the `kubernetes` finalizer and
/// `status.phase: Active`.
pub(super) fn default_namespace(root: &mut Map<String, Value>) {
    namespace_name_label(root);
    if let Some(spec) = child(root, "spec") {
        if is_unset(spec.get("finalizers")) {
            spec.insert("finalizers".into(), json!([]));
        }
        if let Some(list) = spec.get_mut("finalizers").and_then(Value::as_array_mut) {
            if !list.iter().any(|f| f == "kubernetes") {
                list.push(json!("kubernetes"));
            }
        }
    }
    namespace_phase(root);
}

/// The namespace's defaults proper (create and update): the name label and the phase.
pub(super) fn default_namespace_fields(root: &mut Map<String, Value>) {
    namespace_name_label(root);
    namespace_phase(root);
}

fn namespace_name_label(root: &mut Map<String, Value>) {
    if let Some(meta) = child(root, "metadata") {
        let name = str_of(meta, "name").to_string();
        if !name.is_empty() {
            if let Some(labels) = child(meta, "labels") {
                labels.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
        }
    }
}

fn namespace_phase(root: &mut Map<String, Value>) {
    if let Some(status) = child(root, "status") {
        default_str(status, "phase", "Active");
    }
}

pub(super) fn default_pvc(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_pvc_spec(spec);
    }
    if let Some(status) = child(root, "status") {
        default_str(status, "phase", "Pending");
    }
}

pub(super) fn default_pv(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
        default_value(spec, "volumeMode", json!("Filesystem"));
        if let Some(h) = existing(spec, "hostPath") {
            default_value(h, "type", json!(""));
        }
        default_persistent_sources(spec);
    }
    if let Some(status) = child(root, "status") {
        default_str(status, "phase", "Pending");
    }
}

/// `allocatable` from `capacity`, and the structs Go always writes.
pub(super) fn default_node(root: &mut Map<String, Value>) {
    child(root, "spec");
    if let Some(status) = child(root, "status") {
        if is_unset(status.get("allocatable")) {
            if let Some(capacity) = status.get("capacity").filter(|c| c.is_object()).cloned() {
                status.insert("allocatable".into(), capacity);
            }
        }
        if let Some(endpoints) = child(status, "daemonEndpoints") {
            if let Some(kubelet) = child(endpoints, "kubeletEndpoint") {
                default_value(kubelet, "Port", json!(0));
            }
        }
        if let Some(info) = child(status, "nodeInfo") {
            for key in [
                "machineID",
                "systemUUID",
                "bootID",
                "kernelVersion",
                "osImage",
                "containerRuntimeVersion",
                "kubeletVersion",
                "kubeProxyVersion",
                "operatingSystem",
                "architecture",
            ] {
                default_value(info, key, json!(""));
            }
        }
    }
}

/// Container limits: `default` from `max`, `defaultRequest` from `default`
/// then from `min`.
pub(super) fn default_limit_range(root: &mut Map<String, Value>) {
    let Some(spec) = child(root, "spec") else {
        return;
    };
    for item in items_mut(spec, "limits") {
        if str_of(item, "type") != "Container" {
            continue;
        }
        let resources = |item: &Map<String, Value>, key: &str| -> Map<String, Value> {
            item.get(key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let mut default = resources(item, "default");
        for (name, q) in resources(item, "max") {
            default.entry(name).or_insert(q);
        }
        let mut default_request = resources(item, "defaultRequest");
        for (name, q) in default.iter() {
            default_request.entry(name.clone()).or_insert(q.clone());
        }
        for (name, q) in resources(item, "min") {
            default_request.entry(name).or_insert(q);
        }
        if !default.is_empty() {
            item.insert("default".into(), Value::Object(default));
        }
        if !default_request.is_empty() {
            item.insert("defaultRequest".into(), Value::Object(default_request));
        }
    }
}

/// core/v1 Event: the struct and timestamp fields Go writes even when unset.
pub(super) fn default_core_event(root: &mut Map<String, Value>) {
    child(root, "involvedObject");
    child(root, "source");
    for key in ["firstTimestamp", "lastTimestamp", "eventTime"] {
        root.entry(key).or_insert(Value::Null);
    }
    default_value(root, "reportingComponent", json!(""));
    default_value(root, "reportingInstance", json!(""));
}

/// events.k8s.io/v1 Event: the same zero values under their new names.
pub(super) fn default_events_event(root: &mut Map<String, Value>) {
    root.entry("eventTime").or_insert(Value::Null);
    child(root, "regarding");
    child(root, "deprecatedSource");
    for key in ["deprecatedFirstTimestamp", "deprecatedLastTimestamp"] {
        root.entry(key).or_insert(Value::Null);
    }
}

/// `policyTypes` (Ingress, plus Egress when egress rules exist) and TCP for
/// ports without a protocol.
pub(super) fn default_network_policy(root: &mut Map<String, Value>) {
    let Some(spec) = child(root, "spec") else {
        return;
    };
    child(spec, "podSelector");
    for direction in ["ingress", "egress"] {
        for rule in items_mut(spec, direction) {
            for port in items_mut(rule, "ports") {
                default_value(port, "protocol", json!("TCP"));
            }
        }
    }
    if list_is_empty(spec, "policyTypes") {
        let mut types = vec![json!("Ingress")];
        if !list_is_empty(spec, "egress") {
            types.push(json!("Egress"));
        }
        spec.insert("policyTypes".into(), Value::Array(types));
    }
}

pub(super) fn default_ingress_class(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        if let Some(params) = existing(spec, "parameters") {
            default_value(params, "scope", json!("Cluster"));
        }
    }
}

/// autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscaler.
pub(super) fn default_hpa(version: &str, root: &mut Map<String, Value>) {
    let v1 = version == "v1";
    if let Some(spec) = child(root, "spec") {
        child(spec, "scaleTargetRef");
        default_value(spec, "minReplicas", json!(1));
        if !v1 {
            if list_is_empty(spec, "metrics") {
                spec.insert(
                    "metrics".into(),
                    json!([{"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80}}}]),
                );
            }
            if let Some(behavior) = existing(spec, "behavior") {
                if let Some(rules) = child(behavior, "scaleUp") {
                    default_value(rules, "stabilizationWindowSeconds", json!(0));
                    default_value(rules, "selectPolicy", json!("Max"));
                    default_value(
                        rules,
                        "policies",
                        json!([{"type": "Pods", "value": 4, "periodSeconds": 15},
                               {"type": "Percent", "value": 100, "periodSeconds": 15}]),
                    );
                }
                if let Some(rules) = child(behavior, "scaleDown") {
                    // The window stays unset: the controller's
                    // --horizontal-pod-autoscaler-downscale-stabilization applies.
                    default_value(rules, "selectPolicy", json!("Max"));
                    default_value(
                        rules,
                        "policies",
                        json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
                    );
                }
            }
        }
    }
    if let Some(status) = child(root, "status") {
        if v1 {
            default_value(status, "currentReplicas", json!(0));
        } else {
            status.entry("currentMetrics").or_insert(Value::Null);
        }
        default_value(status, "desiredReplicas", json!(0));
    }
}

pub(super) fn default_pdb(root: &mut Map<String, Value>) {
    child(root, "spec");
    if let Some(status) = child(root, "status") {
        for key in [
            "disruptionsAllowed",
            "currentHealthy",
            "desiredHealthy",
            "expectedPods",
        ] {
            default_value(status, key, json!(0));
        }
    }
}

pub(super) fn default_csi_driver(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_value(spec, "attachRequired", json!(true));
        default_value(spec, "podInfoOnMount", json!(false));
        default_value(spec, "storageCapacity", json!(false));
        default_value(spec, "fsGroupPolicy", json!("ReadWriteOnceWithFSType"));
        default_value(spec, "requiresRepublish", json!(false));
        default_value(spec, "seLinuxMount", json!(false));
        if list_is_empty(spec, "volumeLifecycleModes") {
            spec.insert("volumeLifecycleModes".into(), json!(["Persistent"]));
        }
    }
}

/// `roleRef.apiGroup` and the API group of each subject.
pub(super) fn default_role_binding(root: &mut Map<String, Value>) {
    if let Some(role_ref) = child(root, "roleRef") {
        default_str(role_ref, "apiGroup", "rbac.authorization.k8s.io");
    }
    for subject in items_mut(root, "subjects") {
        // ServiceAccount subjects keep the empty group (omitted on the wire).
        if matches!(str_of(subject, "kind"), "User" | "Group") {
            default_str(subject, "apiGroup", "rbac.authorization.k8s.io");
        }
    }
}

/// admissionregistration/v1 webhook configurations.
pub(super) fn default_webhook_configuration(kind: &str, root: &mut Map<String, Value>) {
    let mutating = kind == "MutatingWebhookConfiguration";
    for hook in items_mut(root, "webhooks") {
        default_value(hook, "failurePolicy", json!("Fail"));
        default_value(hook, "matchPolicy", json!("Equivalent"));
        default_value(hook, "namespaceSelector", json!({}));
        default_value(hook, "objectSelector", json!({}));
        default_value(hook, "timeoutSeconds", json!(10));
        if mutating {
            default_value(hook, "reinvocationPolicy", json!("Never"));
        }
        for rule in items_mut(hook, "rules") {
            default_value(rule, "scope", json!("*"));
        }
        if let Some(service) = existing(hook, "clientConfig").and_then(|c| existing(c, "service")) {
            default_value(service, "port", json!(443));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_reference_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"admin"), "YWRtaW4=");
    }

    #[test]
    fn string_data_overrides_data() {
        let mut secret =
            json!({"data": {"a": "eA==", "z": "eg=="}, "stringData": {"a": "y", "b": "q"}});
        if let Some(root) = secret.as_object_mut() {
            default_secret(root);
        }
        assert_eq!(
            secret,
            json!({"type": "Opaque", "data": {"a": "eQ==", "b": "cQ==", "z": "eg=="}})
        );
        let keys: Vec<&String> = secret["data"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["a", "b", "z"]);
    }

    #[test]
    fn limit_range_defaults() {
        let mut lr = json!({"spec": {"limits": [
            {"type": "Container", "max": {"cpu": "2"}, "default": {"memory": "1Gi"}, "min": {"cpu": "100m", "ephemeral-storage": "1Gi"}},
            {"type": "Pod", "max": {"cpu": "4"}}]}});
        if let Some(root) = lr.as_object_mut() {
            default_limit_range(root);
        }
        assert_eq!(
            lr["spec"]["limits"][0]["default"],
            json!({"memory": "1Gi", "cpu": "2"})
        );
        assert_eq!(
            lr["spec"]["limits"][0]["defaultRequest"],
            json!({"memory": "1Gi", "cpu": "2", "ephemeral-storage": "1Gi"})
        );
        assert!(lr["spec"]["limits"][1].get("default").is_none());
    }

    #[test]
    fn network_policy_with_egress() {
        let mut np = json!({"spec": {"egress": [{"ports": [{"port": 53}]}]}});
        if let Some(root) = np.as_object_mut() {
            default_network_policy(root);
        }
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(np["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(np["spec"]["podSelector"], json!({}));
    }

    #[test]
    fn hpa_behavior_and_v1() {
        let mut hpa = json!({"spec": {"maxReplicas": 3, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}});
        if let Some(root) = hpa.as_object_mut() {
            default_hpa("v2", root);
        }
        assert_eq!(
            hpa["spec"]["behavior"]["scaleUp"]["policies"][0]["value"],
            4
        );
        assert_eq!(
            hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            60
        );
        assert_eq!(hpa["spec"]["behavior"]["scaleDown"]["selectPolicy"], "Max");
        let mut v1 = json!({"spec": {"maxReplicas": 3}});
        if let Some(root) = v1.as_object_mut() {
            default_hpa("v1", root);
        }
        assert_eq!(v1["spec"]["minReplicas"], 1);
        assert!(v1["spec"].get("metrics").is_none());
        assert_eq!(
            v1["status"],
            json!({"currentReplicas": 0, "desiredReplicas": 0})
        );
    }

    #[test]
    fn role_binding_subjects() {
        let mut rb = json!({"roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s", "namespace": "n"}]});
        if let Some(root) = rb.as_object_mut() {
            default_role_binding(root);
        }
        assert_eq!(rb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
        assert_eq!(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
        assert!(rb["subjects"][1].get("apiGroup").is_none());
    }

    #[test]
    fn namespace_finalizer_is_appended() {
        let mut ns = json!({"metadata": {"name": "n"}, "spec": {"finalizers": ["example.com/x"]}});
        if let Some(root) = ns.as_object_mut() {
            default_namespace(root);
        }
        assert_eq!(
            ns["spec"]["finalizers"],
            json!(["example.com/x", "kubernetes"])
        );
        assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "n");
    }
}

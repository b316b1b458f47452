//! Pods, pod templates, containers and volumes.

use serde_json::{json, Map, Value};

use super::quantity::parse_quantity_nanos;
use super::{
    child, default_str, default_value, existing, is_blank, is_unset, is_zero_number, items_mut,
    str_of,
};

/// A `Pod` object: template-level defaults plus the pod-only ones
/// (requests copied from limits, `enableServiceLinks`, host-network ports)
/// and the create-time status (`phase: Pending`, `qosClass`).
pub(super) fn default_pod(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_pod_spec(spec);
        for key in ["containers", "initContainers"] {
            for c in items_mut(spec, key) {
                requests_from_limits(c);
            }
        }
        default_value(spec, "enableServiceLinks", Value::Bool(true));
        if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
            for key in ["containers", "initContainers"] {
                for c in items_mut(spec, key) {
                    for p in items_mut(c, "ports") {
                        if is_zero_number(p.get("hostPort")) {
                            if let Some(cp) = p.get("containerPort").cloned() {
                                p.insert("hostPort".into(), cp);
                            }
                        }
                    }
                }
            }
        }
    }
    let qos = root
        .get("spec")
        .and_then(Value::as_object)
        .map(pod_qos_class_of_spec)
        .unwrap_or("BestEffort");
    if let Some(status) = child(root, "status") {
        default_str(status, "phase", "Pending");
        default_str(status, "qosClass", qos);
    }
}

/// A `PodTemplateSpec` (`template` of workloads): `metadata: {}` and the
/// pod spec defaults.
pub(super) fn default_pod_template(tpl: &mut Map<String, Value>) {
    child(tpl, "metadata");
    if let Some(spec) = child(tpl, "spec") {
        default_pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` and everything nested in a pod spec.
pub(super) fn default_pod_spec(spec: &mut Map<String, Value>) {
    default_str(spec, "dnsPolicy", "ClusterFirst");
    default_str(spec, "restartPolicy", "Always");
    default_value(spec, "securityContext", json!({}));
    default_value(spec, "terminationGracePeriodSeconds", json!(30));
    default_str(spec, "schedulerName", "default-scheduler");
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in items_mut(spec, key) {
            default_container(c);
        }
    }
    for v in items_mut(spec, "volumes") {
        default_volume(v);
    }
    mirror_service_account(spec);
}

/// `serviceAccount` is the deprecated alias of `serviceAccountName`; the
/// conversion code fills one from the other.
fn mirror_service_account(spec: &mut Map<String, Value>) {
    if is_blank(spec.get("serviceAccountName")) {
        if let Some(Value::String(s)) = spec.get("serviceAccount") {
            if !s.is_empty() {
                let s = s.clone();
                spec.insert("serviceAccountName".into(), Value::String(s));
            }
        }
    }
    match spec.get("serviceAccountName") {
        Some(Value::String(s)) if !s.is_empty() => {
            let s = s.clone();
            spec.insert("serviceAccount".into(), Value::String(s));
        }
        _ => {
            spec.remove("serviceAccount");
        }
    }
}

/// The image pull policy kube picks when none is given: `Always` for the
/// `latest` tag (or no tag at all), `IfNotPresent` otherwise.
pub(super) fn default_pull_policy(image: &str) -> &'static str {
    // kube ignores parse errors and then sees no tag: IfNotPresent. Empty
    // names and upper-case repositories are the common unparsable ones.
    let repository = image.split(['@', ':']).next().unwrap_or(image);
    if image.is_empty() || repository.chars().any(|c| c.is_ascii_uppercase()) {
        return "IfNotPresent";
    }
    // A digest pins the image; the tag (if any) sits before it.
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_segment = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let tag = last_segment.split_once(':').map(|(_, t)| t);
    let digest = image.contains('@');
    match tag {
        Some("latest") => "Always",
        Some(_) => "IfNotPresent",
        None if digest => "IfNotPresent",
        None => "Always",
    }
}

fn default_container(c: &mut Map<String, Value>) {
    if is_blank(c.get("imagePullPolicy")) {
        let policy = default_pull_policy(str_of(c, "image"));
        c.insert("imagePullPolicy".into(), Value::String(policy.into()));
    }
    default_str(c, "terminationMessagePath", "/dev/termination-log");
    default_str(c, "terminationMessagePolicy", "File");
    child(c, "resources");
    for p in items_mut(c, "ports") {
        default_str(p, "protocol", "TCP");
    }
    for e in items_mut(c, "env") {
        if let Some(from) = existing(e, "valueFrom") {
            default_field_refs(from);
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = existing(c, probe) {
            default_probe(p);
        }
    }
    if let Some(lc) = existing(c, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = existing(lc, hook) {
                default_handler(h);
            }
        }
    }
}

/// `fieldRef.apiVersion: v1` and `resourceFieldRef.divisor: "0"` (a
/// non-pointer Quantity is always written).
fn default_field_refs(m: &mut Map<String, Value>) {
    if let Some(f) = existing(m, "fieldRef") {
        default_str(f, "apiVersion", "v1");
    }
    if let Some(r) = existing(m, "resourceFieldRef") {
        default_value(r, "divisor", Value::String("0".into()));
    }
}

fn default_probe(p: &mut Map<String, Value>) {
    for (key, value) in [
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ] {
        if is_zero_number(p.get(key)) {
            p.insert(key.into(), Value::from(value));
        }
    }
    default_handler(p);
}

fn default_handler(h: &mut Map<String, Value>) {
    if let Some(get) = existing(h, "httpGet") {
        default_str(get, "path", "/");
        default_str(get, "scheme", "HTTP");
    }
}

const VOLUME_DEFAULT_MODE: i64 = 0o644;

fn default_volume(v: &mut Map<String, Value>) {
    let has_source = v.iter().any(|(k, val)| k != "name" && !val.is_null());
    if !has_source {
        v.insert("emptyDir".into(), json!({}));
        return;
    }
    for key in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(src) = existing(v, key) {
            default_value(src, "defaultMode", Value::from(VOLUME_DEFAULT_MODE));
        }
    }
    if let Some(d) = existing(v, "downwardAPI") {
        for item in items_mut(d, "items") {
            default_field_refs(item);
        }
    }
    if let Some(p) = existing(v, "projected") {
        for source in items_mut(p, "sources") {
            if let Some(t) = existing(source, "serviceAccountToken") {
                default_value(t, "expirationSeconds", Value::from(3600));
            }
            if let Some(d) = existing(source, "downwardAPI") {
                for item in items_mut(d, "items") {
                    default_field_refs(item);
                }
            }
        }
    }
    if let Some(h) = existing(v, "hostPath") {
        default_value(h, "type", Value::String(String::new()));
    }
    default_persistent_sources(v);
    if let Some(e) = existing(v, "ephemeral") {
        if let Some(t) = existing(e, "volumeClaimTemplate") {
            child(t, "metadata");
            if let Some(spec) = child(t, "spec") {
                default_pvc_spec(spec);
            }
        }
    }
}

/// Defaults of volume sources shared by pod volumes and persistent volumes.
pub(super) fn default_persistent_sources(v: &mut Map<String, Value>) {
    if let Some(i) = existing(v, "iscsi") {
        default_str(i, "iscsiInterface", "default");
    }
    if let Some(r) = existing(v, "rbd") {
        default_str(r, "pool", "rbd");
        default_str(r, "user", "admin");
        default_str(r, "keyring", "/etc/ceph/keyring");
    }
    if let Some(a) = existing(v, "azureDisk") {
        default_value(a, "cachingMode", json!("ReadWrite"));
        default_value(a, "kind", json!("Shared"));
        default_value(a, "fsType", json!("ext4"));
        default_value(a, "readOnly", json!(false));
    }
    if let Some(s) = existing(v, "scaleIO") {
        default_str(s, "storageMode", "ThinProvisioned");
        default_str(s, "fsType", "xfs");
    }
}

/// `PersistentVolumeClaimSpec` defaults (also used by StatefulSet claim
/// templates and ephemeral volumes).
pub(super) fn default_pvc_spec(spec: &mut Map<String, Value>) {
    default_value(spec, "volumeMode", json!("Filesystem"));
    child(spec, "resources");
}

/// Pods only: a resource with a limit but no request gets the limit as its
/// request.
fn requests_from_limits(c: &mut Map<String, Value>) {
    let Some(resources) = existing(c, "resources") else {
        return;
    };
    let limits = match resources.get("limits") {
        Some(Value::Object(l)) => l.clone(),
        _ => return,
    };
    if is_unset(resources.get("requests")) {
        resources.insert("requests".into(), Value::Object(Map::new()));
    }
    if let Some(requests) = resources.get_mut("requests").and_then(Value::as_object_mut) {
        for (name, q) in limits {
            requests.entry(name).or_insert(q);
        }
    }
}

/// The QoS class (`Guaranteed`, `Burstable` or `BestEffort`) of a pod, as
/// kube computes it after defaulting. Accepts a whole Pod or just its spec.
pub fn pod_qos_class(pod: &Value) -> &'static str {
    let spec = pod
        .get("spec")
        .and_then(Value::as_object)
        .or_else(|| pod.as_object());
    spec.map(pod_qos_class_of_spec).unwrap_or("BestEffort")
}

fn pod_qos_class_of_spec(spec: &Map<String, Value>) -> &'static str {
    use std::collections::BTreeMap;
    let mut requests: BTreeMap<&str, i128> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i128> = BTreeMap::new();
    let mut guaranteed = true;
    let containers = ["containers", "initContainers"]
        .into_iter()
        .filter_map(|k| spec.get(k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object);
    for c in containers {
        let resources = c.get("resources").and_then(Value::as_object);
        let list = |key: &str| {
            resources
                .and_then(|r| r.get(key))
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(name, _)| name.as_str() == "cpu" || name.as_str() == "memory")
                .filter_map(|(name, q)| {
                    let n = q.as_str().and_then(parse_quantity_nanos)?;
                    (n > 0).then_some((name.as_str(), n))
                })
                .collect::<Vec<_>>()
        };
        for (name, n) in list("requests") {
            *requests.entry(name).or_insert(0) += n;
        }
        let found = list("limits");
        let has = |r: &str| found.iter().any(|(n, _)| *n == r);
        if !(has("cpu") && has("memory")) {
            guaranteed = false;
        }
        for (name, n) in found {
            *limits.entry(name).or_insert(0) += n;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        guaranteed = requests
            .iter()
            .all(|(name, req)| limits.get(name) == Some(req));
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(default_pull_policy("registry:5000/team/app"), "Always");
        assert_eq!(
            default_pull_policy("registry:5000/team/app:v2"),
            "IfNotPresent"
        );
        assert_eq!(default_pull_policy("app@sha256:abcd"), "IfNotPresent");
        assert_eq!(default_pull_policy("app:latest@sha256:abcd"), "Always");
    }

    #[test]
    fn qos_classes() {
        let best = json!({"spec": {"containers": [{"name": "a"}]}});
        assert_eq!(pod_qos_class(&best), "BestEffort");
        let burst = json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "100m"}}}]}});
        assert_eq!(pod_qos_class(&burst), "Burstable");
        let guaranteed = json!({"spec": {"containers": [{"resources": {
            "limits": {"cpu": "1", "memory": "1Gi"},
            "requests": {"cpu": "1000m", "memory": "1024Mi"}}}]}});
        assert_eq!(pod_qos_class(&guaranteed), "Guaranteed");
        let unequal = json!({"spec": {"containers": [{"resources": {
            "limits": {"cpu": "2", "memory": "1Gi"},
            "requests": {"cpu": "1", "memory": "1Gi"}}}]}});
        assert_eq!(pod_qos_class(&unequal), "Burstable");
    }

    #[test]
    fn pod_limits_become_requests_and_qos_is_guaranteed() {
        let mut pod = json!({"spec": {"containers": [{"name": "a", "image": "x:1",
            "resources": {"limits": {"cpu": "1", "memory": "64Mi"}}}]}});
        if let Some(root) = pod.as_object_mut() {
            default_pod(root);
        }
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"],
            json!({"cpu": "1", "memory": "64Mi"})
        );
        assert_eq!(pod["status"]["qosClass"], "Guaranteed");
        assert_eq!(pod["status"]["phase"], "Pending");
    }

    #[test]
    fn volumes_and_probes() {
        let mut spec = json!({
            "containers": [{"name": "a", "image": "x",
                "ports": [{"containerPort": 80}],
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "readinessProbe": {"httpGet": {"port": 80}}}],
            "volumes": [{"name": "scratch"}, {"name": "s", "secret": {"secretName": "x"}},
                        {"name": "h", "hostPath": {"path": "/tmp"}}],
            "serviceAccount": "builder"
        });
        if let Some(m) = spec.as_object_mut() {
            default_pod_spec(m);
        }
        let c = &spec["containers"][0];
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
        assert_eq!(
            c["readinessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                   "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(spec["volumes"][0]["emptyDir"], json!({}));
        assert_eq!(spec["volumes"][1]["secret"]["defaultMode"], 420);
        assert_eq!(spec["volumes"][2]["hostPath"]["type"], "");
        assert_eq!(spec["serviceAccountName"], "builder");
        assert_eq!(spec["serviceAccount"], "builder");
    }

    #[test]
    fn host_network_ports() {
        let mut pod = json!({"spec": {"hostNetwork": true,
            "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 8080}]}]}});
        if let Some(root) = pod.as_object_mut() {
            default_pod(root);
        }
        assert_eq!(pod["spec"]["containers"][0]["ports"][0]["hostPort"], 8080);
    }
}

//! ResourceQuota and LimitRange, the pure part: what an object costs against a quota
//! (kube's quota evaluators), which quotas apply to it (scopes), kube's messages for a
//! refusal, the container defaults a LimitRange fills in and the bounds it enforces.
//! The API server's admission (`vnest_apiserver::quota`) and the quota controller
//! do the I/O around these functions.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::defaults::parse_quantity_nanos;

/// Resource name -> amount in nano-units.
pub type Amounts = BTreeMap<String, i128>;

const NANO: i128 = 1_000_000_000;

/// A quantity in kube's canonical form: the largest suffix that keeps it exact, binary
/// (`Ki`, `Mi`, ...) when `like` was written with one, decimal otherwise.
pub fn format_quantity(nanos: i128, like: &str) -> String {
    if nanos == 0 {
        return "0".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.abs();
    if n % NANO != 0 {
        for (div, suffix) in [(1_000_000, "m"), (1_000, "u"), (1, "n")] {
            if n % div == 0 {
                return format!("{sign}{}{suffix}", n / div);
            }
        }
    }
    let v = n / NANO;
    let binary = like.trim_end().ends_with('i');
    let steps: &[(i128, &str)] = if binary {
        &[
            (1 << 60, "Ei"),
            (1 << 50, "Pi"),
            (1 << 40, "Ti"),
            (1 << 30, "Gi"),
            (1 << 20, "Mi"),
            (1 << 10, "Ki"),
        ]
    } else {
        &[
            (1_000_000_000_000_000_000, "E"),
            (1_000_000_000_000_000, "P"),
            (1_000_000_000_000, "T"),
            (1_000_000_000, "G"),
            (1_000_000, "M"),
            (1_000, "k"),
        ]
    };
    for (div, suffix) in steps {
        if v % div == 0 {
            return format!("{sign}{}{suffix}", v / div);
        }
    }
    format!("{sign}{v}")
}

/// A resource list (`{"cpu": "100m"}`) as amounts; malformed quantities are skipped
/// (validation refuses them before admission runs).
pub fn amounts(list: Option<&Value>) -> Amounts {
    list.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), parse_quantity_nanos(v.as_str()?)?)))
        .collect()
}

fn add(into: &mut Amounts, from: &Amounts) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

fn containers<'a>(pod: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A sidecar: an init container that keeps running (restartPolicy Always).
fn is_sidecar(c: &Value) -> bool {
    c.get("restartPolicy").and_then(Value::as_str) == Some("Always")
}

/// The pod's effective requests or limits (`which`): the sum over containers and
/// sidecars, at least the largest single init container, plus the pod overhead.
pub fn pod_resources(pod: &Value, which: &str) -> Amounts {
    let of = |c: &Value| amounts(c.pointer(&format!("/resources/{which}")));
    let mut total = Amounts::new();
    for c in containers(pod, "containers") {
        add(&mut total, &of(c));
    }
    let mut sidecars = Amounts::new();
    for c in containers(pod, "initContainers") {
        if is_sidecar(c) {
            add(&mut sidecars, &of(c));
            continue;
        }
        // A plain init container runs alone, beside the sidecars started before it.
        let mut peak = sidecars.clone();
        add(&mut peak, &of(c));
        for (k, v) in peak {
            let have = total.entry(k).or_insert(0);
            *have = (*have).max(v);
        }
    }
    add(&mut total, &sidecars);
    add(&mut total, &amounts(pod.pointer("/spec/overhead")));
    total
}

/// Whether a pod still counts against compute quota (kube: not once it finished).
fn pod_is_live(pod: &Value) -> bool {
    !matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// The object-count name of a resource (`count/pods`, `count/deployments.apps`).
pub fn count_name(group: &str, resource: &str) -> String {
    if group.is_empty() {
        format!("count/{resource}")
    } else {
        format!("count/{resource}.{group}")
    }
}

/// What one stored object of `group`/`resource` costs against a quota.
pub fn usage(group: &str, resource: &str, obj: &Value) -> Amounts {
    let mut u = Amounts::new();
    u.insert(count_name(group, resource), NANO);
    if !group.is_empty() {
        return u;
    }
    match resource {
        "pods" => {
            if !pod_is_live(obj) {
                return u;
            }
            u.insert("pods".into(), NANO);
            let requests = pod_resources(obj, "requests");
            let limits = pod_resources(obj, "limits");
            for (name, v) in &requests {
                u.insert(format!("requests.{name}"), *v);
                if matches!(name.as_str(), "cpu" | "memory" | "ephemeral-storage") {
                    u.insert(name.clone(), *v);
                }
            }
            for (name, v) in &limits {
                u.insert(format!("limits.{name}"), *v);
            }
        }
        "services" => {
            u.insert("services".into(), NANO);
            let kind = obj
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            let ports = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map_or(0, Vec::len) as i128;
            let lb_node_ports = obj
                .pointer("/spec/allocateLoadBalancerNodePorts")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            match kind {
                "NodePort" => {
                    u.insert("services.nodeports".into(), ports * NANO);
                }
                "LoadBalancer" => {
                    u.insert("services.loadbalancers".into(), NANO);
                    if lb_node_ports {
                        u.insert("services.nodeports".into(), ports * NANO);
                    }
                }
                _ => {}
            }
        }
        "persistentvolumeclaims" => {
            u.insert("persistentvolumeclaims".into(), NANO);
            let storage = amounts(obj.pointer("/spec/resources/requests"))
                .get("storage")
                .copied()
                .unwrap_or(0);
            u.insert("requests.storage".into(), storage);
            if let Some(class) = obj
                .pointer("/spec/storageClassName")
                .and_then(Value::as_str)
            {
                let prefix = format!("{class}.storageclass.storage.k8s.io");
                u.insert(format!("{prefix}/persistentvolumeclaims"), NANO);
                u.insert(format!("{prefix}/requests.storage"), storage);
            }
        }
        "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas" => {
            u.insert(resource.into(), NANO);
        }
        _ => {}
    }
    u
}

/// The quota resource names a resource's objects can be charged for: whether a
/// quota's `hard` name concerns `group`/`resource`.
pub fn concerns(group: &str, resource: &str, hard_name: &str) -> bool {
    if hard_name == count_name(group, resource) {
        return true;
    }
    if !group.is_empty() {
        return false;
    }
    match resource {
        "pods" => {
            matches!(hard_name, "pods" | "cpu" | "memory" | "ephemeral-storage")
                || hard_name.starts_with("limits.")
                || (hard_name.starts_with("requests.") && hard_name != "requests.storage")
        }
        "services" => hard_name.starts_with("services"),
        "persistentvolumeclaims" => {
            hard_name == "persistentvolumeclaims"
                || hard_name == "requests.storage"
                || hard_name.contains(".storageclass.storage.k8s.io/")
        }
        "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas" => {
            hard_name == resource
        }
        _ => false,
    }
}

fn best_effort(pod: &Value) -> bool {
    containers(pod, "containers")
        .chain(containers(pod, "initContainers"))
        .all(|c| {
            ["requests", "limits"].iter().all(|k| {
                c.pointer(&format!("/resources/{k}"))
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty)
            })
        })
}

fn scope_matches(scope: &str, pod: &Value) -> bool {
    let terminating = pod
        .pointer("/spec/activeDeadlineSeconds")
        .is_some_and(|v| !v.is_null());
    match scope {
        "Terminating" => terminating,
        "NotTerminating" => !terminating,
        "BestEffort" => best_effort(pod),
        "NotBestEffort" => !best_effort(pod),
        _ => false,
    }
}

/// Whether a quota with these scopes applies to an object of `resource`: scoped
/// quotas only ever apply to pods.
pub fn quota_applies(quota: &Value, group: &str, resource: &str, obj: &Value) -> bool {
    let scopes: Vec<&str> = quota
        .pointer("/spec/scopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let selector: Vec<&Value> = quota
        .pointer("/spec/scopeSelector/matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if scopes.is_empty() && selector.is_empty() {
        return true;
    }
    if !(group.is_empty() && resource == "pods") {
        return false;
    }
    scopes.iter().all(|s| scope_matches(s, obj))
        && selector.iter().all(|e| {
            let scope = e.get("scopeName").and_then(Value::as_str).unwrap_or("");
            let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if scope == "PriorityClass" {
                let class = obj
                    .pointer("/spec/priorityClassName")
                    .and_then(Value::as_str);
                return match op {
                    "In" => class.is_some_and(|c| values.contains(&c)),
                    "NotIn" => !class.is_some_and(|c| values.contains(&c)),
                    "Exists" => class.is_some_and(|c| !c.is_empty()),
                    "DoesNotExist" => class.is_none_or(str::is_empty),
                    _ => false,
                };
            }
            op == "Exists" && scope_matches(scope, obj)
        })
}

/// kube's "must specify" rule: a quota on cpu or memory requires every container to
/// state that request or limit. Returns the text after `must specify `.
pub fn missing_requirements(hard: &[&str], pod: &Value) -> Option<String> {
    let mut missing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in containers(pod, "containers").chain(containers(pod, "initContainers")) {
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let has = |which: &str, res: &str| {
            c.pointer(&format!("/resources/{which}/{res}"))
                .is_some_and(|v| !v.is_null())
        };
        for req in hard {
            let ok = match *req {
                "cpu" | "requests.cpu" => has("requests", "cpu"),
                "memory" | "requests.memory" => has("requests", "memory"),
                "limits.cpu" => has("limits", "cpu"),
                "limits.memory" => has("limits", "memory"),
                _ => true,
            };
            if !ok {
                missing.entry(req).or_default().push(name.clone());
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    Some(
        missing
            .into_iter()
            .map(|(res, mut names)| {
                names.sort();
                names.dedup();
                format!("{res} for: {}", names.join(","))
            })
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// A quota's `spec.hard` or `status.used` as (amounts, written form by name).
pub fn quota_list(quota: &Value, pointer: &str) -> (Amounts, BTreeMap<String, String>) {
    let raw: BTreeMap<String, String> = quota
        .pointer(pointer)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    let parsed = raw
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), parse_quantity_nanos(v)?)))
        .collect();
    (parsed, raw)
}

/// Why charging `delta` to a quota fails, in kube's words, or the new `used`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charge {
    /// The new `status.used` (only the quota's own resources).
    Fits(Amounts),
    Refused(String),
}

/// Charges `delta` to `quota` named `name` (kube's quota admission for one quota).
pub fn charge(name: &str, quota: &Value, delta: &Amounts) -> Charge {
    let (hard, hard_raw) = quota_list(quota, "/spec/hard");
    let (used, _) = quota_list(quota, "/status/used");
    let mut next = used.clone();
    let mut exceeded = Vec::new();
    for (res, limit) in &hard {
        let Some(want) = delta.get(res).copied().filter(|w| *w != 0) else {
            continue;
        };
        let Some(have) = used.get(res).copied() else {
            return Charge::Refused(format!("status unknown for quota: {name}, resource: {res}"));
        };
        if have + want > *limit {
            exceeded.push(res.clone());
        }
        next.insert(res.clone(), have + want);
    }
    if exceeded.is_empty() {
        return Charge::Fits(next);
    }
    let like = |res: &String| hard_raw.get(res).map(String::as_str).unwrap_or("");
    let list = |f: &dyn Fn(&String) -> i128| {
        exceeded
            .iter()
            .map(|r| format!("{r}={}", format_quantity(f(r), like(r))))
            .collect::<Vec<_>>()
            .join(",")
    };
    Charge::Refused(format!(
        "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
        list(&|r| delta.get(r).copied().unwrap_or(0)),
        list(&|r| used.get(r).copied().unwrap_or(0)),
        list(&|r| hard.get(r).copied().unwrap_or(0)),
    ))
}

/// A `status.used` map in written form, the quantities shaped like the `hard` ones.
pub fn used_json(quota: &Value, used: &Amounts) -> Value {
    let (hard, hard_raw) = quota_list(quota, "/spec/hard");
    let mut out = Map::new();
    for res in hard.keys() {
        let v = used.get(res).copied().unwrap_or(0);
        let like = hard_raw.get(res).map(String::as_str).unwrap_or("");
        out.insert(res.clone(), Value::String(format_quantity(v, like)));
    }
    Value::Object(out)
}

/// The limits of `kind` (`Container`, `Pod`, `PersistentVolumeClaim`) in a set of
/// LimitRanges.
fn items<'a>(
    ranges: &'a [Value],
    kind: &'a str,
) -> impl Iterator<Item = &'a Map<String, Value>> + 'a {
    ranges
        .iter()
        .flat_map(|r| {
            r.pointer("/spec/limits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(Value::as_object)
        .filter(move |item| item.get("type").and_then(Value::as_str) == Some(kind))
}

/// Fills in container requests and limits from the LimitRanges' `defaultRequest` and
/// `default` (kube's LimitRanger); returns the annotation kube records, if any was set.
pub fn apply_limit_defaults(pod: &mut Value, ranges: &[Value]) -> Option<String> {
    let mut defaults: Map<String, Value> = Map::new();
    let mut default_requests: Map<String, Value> = Map::new();
    for item in items(ranges, "Container") {
        for (key, into) in [
            ("default", &mut defaults),
            ("defaultRequest", &mut default_requests),
        ] {
            if let Some(list) = item.get(key).and_then(Value::as_object) {
                for (k, v) in list {
                    into.entry(k.clone()).or_insert(v.clone());
                }
            }
        }
    }
    if defaults.is_empty() && default_requests.is_empty() {
        return None;
    }
    let mut notes = Vec::new();
    for (field, label) in [
        ("containers", "container"),
        ("initContainers", "init container"),
    ] {
        let Some(list) = pod
            .pointer_mut(&format!("/spec/{field}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for c in list.iter_mut().filter_map(Value::as_object_mut) {
            let name = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let resources = c
                .entry("resources")
                .or_insert_with(|| Value::Object(Map::new()));
            let Some(resources) = resources.as_object_mut() else {
                continue;
            };
            for (which, source, word) in [
                ("requests", &default_requests, "request"),
                ("limits", &defaults, "limit"),
            ] {
                let list = resources
                    .entry(which)
                    .or_insert_with(|| Value::Object(Map::new()));
                let Some(list) = list.as_object_mut() else {
                    continue;
                };
                let mut set = Vec::new();
                for (k, v) in source {
                    if !list.contains_key(k) {
                        list.insert(k.clone(), v.clone());
                        set.push(k.clone());
                    }
                }
                if list.is_empty() {
                    resources.remove(which);
                }
                if !set.is_empty() {
                    notes.push(format!("{} {word} for {label} {name}", set.join(", ")));
                }
            }
        }
    }
    (!notes.is_empty()).then(|| format!("LimitRanger plugin set: {}", notes.join("; ")))
}

fn canonical(raw: &str) -> String {
    parse_quantity_nanos(raw).map_or_else(|| raw.to_string(), |n| format_quantity(n, raw))
}

/// kube's min / max / maxLimitRequestRatio checks of one LimitRange item against
/// requests and limits, for objects of `kind`.
fn check_item(
    kind: &str,
    item: &Map<String, Value>,
    requests: &Map<String, Value>,
    limits: &Map<String, Value>,
    errors: &mut Vec<String>,
) {
    let q = |list: &Map<String, Value>, res: &str| {
        list.get(res)
            .and_then(Value::as_str)
            .and_then(|s| Some((s.to_string(), parse_quantity_nanos(s)?)))
    };
    let bounds = |key: &str| -> Vec<(String, String, i128)> {
        item.get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let s = v.as_str()?;
                Some((k.clone(), s.to_string(), parse_quantity_nanos(s)?))
            })
            .collect()
    };
    for (res, raw, min) in bounds("min") {
        let enforced = canonical(&raw);
        match (q(requests, &res), q(limits, &res)) {
            (None, _) => errors.push(format!(
                "minimum {res} usage per {kind} is {enforced}.  No request is specified"
            )),
            (Some((r, rv)), _) if rv < min => errors.push(format!(
                "minimum {res} usage per {kind} is {enforced}, but request is {}",
                canonical(&r)
            )),
            (_, Some((l, lv))) if lv < min => errors.push(format!(
                "minimum {res} usage per {kind} is {enforced}, but limit is {}",
                canonical(&l)
            )),
            _ => {}
        }
    }
    for (res, raw, max) in bounds("max") {
        let enforced = canonical(&raw);
        match (q(requests, &res), q(limits, &res)) {
            (_, None) => errors.push(format!(
                "maximum {res} usage per {kind} is {enforced}.  No limit is specified"
            )),
            (_, Some((l, lv))) if lv > max => errors.push(format!(
                "maximum {res} usage per {kind} is {enforced}, but limit is {}",
                canonical(&l)
            )),
            (Some((r, rv)), _) if rv > max => errors.push(format!(
                "maximum {res} usage per {kind} is {enforced}, but request is {}",
                canonical(&r)
            )),
            _ => {}
        }
    }
    for (res, raw, ratio) in bounds("maxLimitRequestRatio") {
        let enforced = canonical(&raw);
        match (q(requests, &res), q(limits, &res)) {
            (None, _) | (Some((_, 0)), _) => errors.push(format!(
                "{res} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"
            )),
            (_, None) | (_, Some((_, 0))) => errors.push(format!(
                "{res} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"
            )),
            (Some((_, rv)), Some((_, lv))) => {
                let observed = lv as f64 / rv as f64;
                if observed * NANO as f64 > ratio as f64 {
                    errors.push(format!(
                        "{res} max limit to request ratio per {kind} is {enforced}, but provided ratio is {observed:.6}"
                    ));
                }
            }
        }
    }
}

fn resource_map(c: &Value, which: &str) -> Map<String, Value> {
    c.pointer(&format!("/resources/{which}"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn as_map(amounts: &Amounts) -> Map<String, Value> {
    amounts
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(format_quantity(*v, ""))))
        .collect()
}

/// The LimitRange violations of a pod (Container and Pod limits), kube's messages.
pub fn pod_limit_violations(pod: &Value, ranges: &[Value]) -> Vec<String> {
    let mut errors = Vec::new();
    for item in items(ranges, "Container") {
        for c in containers(pod, "containers").chain(containers(pod, "initContainers")) {
            check_item(
                "Container",
                item,
                &resource_map(c, "requests"),
                &resource_map(c, "limits"),
                &mut errors,
            );
        }
    }
    for item in items(ranges, "Pod") {
        let requests = as_map(&pod_resources(pod, "requests"));
        let limits = as_map(&pod_resources(pod, "limits"));
        check_item("Pod", item, &requests, &limits, &mut errors);
    }
    errors
}

/// The LimitRange violations of a PersistentVolumeClaim's storage request.
pub fn claim_limit_violations(claim: &Value, ranges: &[Value]) -> Vec<String> {
    let mut errors = Vec::new();
    let requests = claim
        .pointer("/spec/resources/requests")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let limits = claim
        .pointer("/spec/resources/limits")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for item in items(ranges, "PersistentVolumeClaim") {
        // A claim has no limit: only min and max of the request are checked.
        let mut bounded = item.clone();
        bounded.remove("maxLimitRequestRatio");
        if let Some(max) = bounded.remove("max") {
            for (res, raw) in max.as_object().into_iter().flatten() {
                let (Some(enforced), Some(have)) = (
                    raw.as_str().and_then(parse_quantity_nanos),
                    requests.get(res).and_then(Value::as_str),
                ) else {
                    continue;
                };
                if parse_quantity_nanos(have).is_some_and(|h| h > enforced) {
                    errors.push(format!(
                        "maximum {res} usage per PersistentVolumeClaim is {}, but request is {}",
                        canonical(raw.as_str().unwrap_or("")),
                        canonical(have)
                    ));
                }
            }
        }
        check_item(
            "PersistentVolumeClaim",
            &bounded,
            &requests,
            &limits,
            &mut errors,
        );
    }
    errors
}

/// kube's aggregate of several errors: one as it is, more as `[a, b]`.
pub fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_print_canonically() {
        let n = |s: &str| parse_quantity_nanos(s).unwrap();
        assert_eq!(format_quantity(n("100m"), ""), "100m");
        assert_eq!(format_quantity(n("2"), ""), "2");
        assert_eq!(format_quantity(n("0.5"), ""), "500m");
        assert_eq!(format_quantity(n("1024Mi"), "1Gi"), "1Gi");
        assert_eq!(format_quantity(n("1536Mi"), "1Gi"), "1536Mi");
        assert_eq!(format_quantity(n("2000"), "10"), "2k");
        assert_eq!(format_quantity(0, "1Gi"), "0");
    }

    #[test]
    fn pods_cost_their_requests_limits_and_a_count() {
        let pod = json!({"spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1"}}},
                {"name": "b", "resources": {"requests": {"cpu": "200m"}}}],
            "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "500m"}}}]}});
        let u = usage("", "pods", &pod);
        assert_eq!(u["pods"], NANO);
        assert_eq!(u["count/pods"], NANO);
        assert_eq!(u["requests.cpu"], 500_000_000, "the init container's peak");
        assert_eq!(u["cpu"], 500_000_000);
        assert_eq!(u["requests.memory"], (64i128 << 20) * NANO);
        assert_eq!(u["limits.cpu"], NANO);
        let done = json!({"spec": pod["spec"], "status": {"phase": "Succeeded"}});
        let u = usage("", "pods", &done);
        assert_eq!(u.keys().collect::<Vec<_>>(), ["count/pods"]);
    }

    #[test]
    fn services_and_generic_counts() {
        let svc = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 443}]}});
        let u = usage("", "services", &svc);
        assert_eq!((u["services"], u["services.nodeports"]), (NANO, 2 * NANO));
        let d = usage("apps", "deployments", &json!({}));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["count/deployments.apps"]);
        assert!(concerns("apps", "deployments", "count/deployments.apps"));
        assert!(concerns("", "pods", "limits.memory"));
        assert!(!concerns("", "pods", "requests.storage"));
        assert!(concerns("", "persistentvolumeclaims", "requests.storage"));
        assert!(!concerns("", "configmaps", "secrets"));
    }

    #[test]
    fn charging_refuses_with_kubes_message() {
        let quota = json!({"spec": {"hard": {"services": "0", "pods": "2"}}, "status": {"used": {"services": "0", "pods": "1"}}});
        let svc = usage("", "services", &json!({"spec": {"ports": [{"port": 80}]}}));
        assert_eq!(
            charge("no-services", &quota, &svc),
            Charge::Refused("exceeded quota: no-services, requested: services=1, used: services=0, limited: services=0".into())
        );
        let pod = usage("", "pods", &json!({"spec": {"containers": []}}));
        let Charge::Fits(next) = charge("q", &quota, &pod) else {
            panic!("fits")
        };
        assert_eq!(
            used_json(&quota, &next),
            json!({"pods": "2", "services": "0"})
        );
        let unknown = json!({"spec": {"hard": {"pods": "2"}}});
        assert_eq!(
            charge("q", &unknown, &pod),
            Charge::Refused("status unknown for quota: q, resource: pods".into())
        );
    }

    #[test]
    fn scopes_and_requirements() {
        let scoped = json!({"spec": {"hard": {"pods": "1"}, "scopes": ["BestEffort"]}});
        let bare = json!({"spec": {"containers": [{"name": "c"}]}});
        let sized = json!({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}});
        assert!(quota_applies(&scoped, "", "pods", &bare));
        assert!(!quota_applies(&scoped, "", "pods", &sized));
        assert!(!quota_applies(&scoped, "", "services", &json!({})));
        assert_eq!(
            missing_requirements(&["limits.cpu", "requests.memory", "pods"], &sized).as_deref(),
            Some("limits.cpu for: c; requests.memory for: c")
        );
    }

    #[test]
    fn limit_ranges_default_and_bound_containers() {
        let ranges = [json!({"spec": {"limits": [{"type": "Container",
            "max": {"cpu": "100m"}, "default": {"cpu": "100m", "memory": "128Mi"}, "defaultRequest": {"cpu": "50m"}}]}})];
        let mut pod = json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "1Gi"}}}]}});
        let note = apply_limit_defaults(&mut pod, &ranges);
        assert_eq!(note.as_deref(), Some("LimitRanger plugin set: cpu request for container app; cpu limit for container app"));
        assert_eq!(
            pod.pointer("/spec/containers/0/resources/limits"),
            Some(&json!({"cpu": "100m", "memory": "1Gi"}))
        );
        assert!(pod_limit_violations(&pod, &ranges).is_empty());
        let greedy = json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}}]}});
        assert_eq!(
            pod_limit_violations(&greedy, &ranges),
            ["maximum cpu usage per Container is 100m, but limit is 2"]
        );
        let ratio = [
            json!({"spec": {"limits": [{"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}}]}}),
        ];
        let skewed = json!({"spec": {"containers": [{"name": "app", "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "250m"}}}]}});
        assert_eq!(
            pod_limit_violations(&skewed, &ratio),
            ["cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000"]
        );
        let claims = [
            json!({"spec": {"limits": [{"type": "PersistentVolumeClaim", "max": {"storage": "1Gi"}}]}}),
        ];
        let claim = json!({"spec": {"resources": {"requests": {"storage": "2Gi"}}}});
        assert_eq!(
            claim_limit_violations(&claim, &claims),
            ["maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi"]
        );
        assert_eq!(aggregate(&["a".into(), "b".into()]), "[a, b]");
    }
}

//! Which nodes a pod may go to: nodeSelector, required node affinity, and taints
//! against tolerations. Shared by the scheduler (vnest-hostsim) and the DaemonSet
//! controller, which must agree on where a pod can run.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, PodSpec, Taint, Toleration};
use kube::ResourceExt;

/// Whether a toleration tolerates a taint (kube's `ToleratesTaint`).
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = t.effect.as_deref().filter(|e| !e.is_empty()) {
        if effect != taint.effect {
            return false;
        }
    }
    match t.operator.as_deref() {
        Some("Exists") => t
            .key
            .as_deref()
            .is_none_or(|k| k.is_empty() || k == taint.key),
        _ => {
            t.key.as_deref() == Some(taint.key.as_str())
                && t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
    }
}

/// The first NoSchedule or NoExecute taint of `node` that `spec` does not tolerate.
pub fn untolerated_taint<'n>(spec: Option<&PodSpec>, node: &'n Node) -> Option<&'n Taint> {
    let tolerations = spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .filter(|taint| taint.effect != "PreferNoSchedule")
        .find(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
}

/// One node-selector requirement against a label map (kube's operators, Gt and Lt
/// comparing integers).
pub fn match_expression(
    labels: &BTreeMap<String, String>,
    key: &str,
    op: &str,
    values: &[String],
) -> bool {
    let have = labels.get(key);
    match op {
        "In" => have.is_some_and(|v| values.contains(v)),
        "NotIn" => !have.is_some_and(|v| values.contains(v)),
        "Exists" => have.is_some(),
        "DoesNotExist" => have.is_none(),
        "Gt" | "Lt" => {
            let (Some(h), Some(v)) = (
                have.and_then(|h| h.parse::<i64>().ok()),
                values.first().and_then(|v| v.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if op == "Gt" {
                h > v
            } else {
                h < v
            }
        }
        _ => false,
    }
}

/// Whether the pod's nodeSelector and required node affinity admit `node` (terms
/// ORed, requirements within a term ANDed; matchFields knows `metadata.name`).
pub fn selector_fits(spec: Option<&PodSpec>, node: &Node) -> bool {
    let Some(spec) = spec else {
        return true;
    };
    let labels = node.metadata.labels.clone().unwrap_or_default();
    if let Some(sel) = &spec.node_selector {
        if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            return false;
        }
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| {
            na.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let Some(req) = required else {
        return true;
    };
    let fields: BTreeMap<String, String> = [("metadata.name".to_string(), node.name_any())].into();
    req.node_selector_terms.iter().any(|term| {
        let exprs_ok = term.match_expressions.iter().flatten().all(|e| {
            match_expression(
                &labels,
                &e.key,
                &e.operator,
                e.values.as_deref().unwrap_or(&[]),
            )
        });
        let fields_ok = term.match_fields.iter().flatten().all(|e| {
            e.key == "metadata.name"
                && match_expression(
                    &fields,
                    &e.key,
                    &e.operator,
                    e.values.as_deref().unwrap_or(&[]),
                )
        });
        exprs_ok && fields_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(labels: serde_json::Value, taints: serde_json::Value) -> Node {
        serde_json::from_value(
            json!({"metadata": {"name": "n1", "labels": labels}, "spec": {"taints": taints}}),
        )
        .unwrap()
    }

    fn spec(v: serde_json::Value) -> PodSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn taints_need_a_matching_toleration() {
        let n = node(
            json!({}),
            json!([{"key": "gpu", "value": "yes", "effect": "NoSchedule"},
                                       {"key": "soft", "effect": "PreferNoSchedule"}]),
        );
        let none = spec(json!({"containers": []}));
        assert_eq!(
            untolerated_taint(Some(&none), &n).map(|t| t.key.as_str()),
            Some("gpu")
        );
        let exact =
            spec(json!({"containers": [], "tolerations": [{"key": "gpu", "value": "yes"}]}));
        assert!(untolerated_taint(Some(&exact), &n).is_none());
        let wrong = spec(json!({"containers": [], "tolerations": [{"key": "gpu", "value": "no"}]}));
        assert!(untolerated_taint(Some(&wrong), &n).is_some());
        let all = spec(json!({"containers": [], "tolerations": [{"operator": "Exists"}]}));
        assert!(untolerated_taint(Some(&all), &n).is_none());
        let other_effect = spec(
            json!({"containers": [], "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoExecute"}]}),
        );
        assert!(untolerated_taint(Some(&other_effect), &n).is_some());
    }

    #[test]
    fn selectors_and_affinity_terms() {
        let n = node(json!({"zone": "a", "size": "8"}), json!([]));
        let sel = spec(json!({"containers": [], "nodeSelector": {"zone": "b"}}));
        assert!(!selector_fits(Some(&sel), &n));
        let terms = spec(
            json!({"containers": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
            {"matchExpressions": [{"key": "size", "operator": "Gt", "values": ["4"]}],
             "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}}),
        );
        assert!(selector_fits(Some(&terms), &n));
        let other = spec(
            json!({"containers": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}}}),
        );
        assert!(!selector_fits(Some(&other), &n));
    }
}

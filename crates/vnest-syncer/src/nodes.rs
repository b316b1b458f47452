//! Virtual nodes: one for every host node that runs one of the virtual cluster's pods,
//! removed when no pod needs it any more. With read access to host nodes
//! (`--sync-host-nodes`) a virtual node mirrors its host node's labels, capacity,
//! conditions, addresses and node info; without, it is a plain Ready node that says
//! where the pods run. Pure: the syncer decides with these and writes.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

/// Label on the virtual nodes the syncer made (so it only ever removes its own).
pub const MADE_BY: &str = "vnest.io/node-of";
/// Label of a virtual node that only stands for a host node the syncer cannot read.
pub const FAKE: &str = "vnest.io/fake-node";

/// The nodes virtual pods are bound to, from their `spec.nodeName`s.
pub fn needed<'a>(node_names: impl IntoIterator<Item = Option<&'a str>>) -> BTreeSet<String> {
    node_names
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// The virtual node for host node `name`: mirrored from `host` when known.
pub fn virtual_node(name: &str, vcluster: &str, host: Option<&Value>) -> Value {
    let Some(host) = host else {
        return json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, FAKE: "true", MADE_BY: vcluster}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "the host node runs this virtual cluster's pods"}],
                       "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "nodeInfo": {"kubeletVersion": "v1.33.0", "kubeProxyVersion": "v1.33.0",
                                    "containerRuntimeVersion": "vnest://0.1.0", "operatingSystem": "linux",
                                    "architecture": "amd64", "osImage": "vnest virtual node",
                                    "kernelVersion": "", "machineID": "", "systemUUID": "", "bootID": ""}},
        });
    };
    let mut labels = host
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Markers of a host's own vnest are not the virtual cluster's.
    labels.retain(|k, _| !k.starts_with("vnest.io/"));
    labels.insert(MADE_BY.into(), json!(vcluster));
    let mut status = Map::new();
    for field in [
        "capacity",
        "allocatable",
        "conditions",
        "addresses",
        "nodeInfo",
        "daemonEndpoints",
    ] {
        if let Some(v) = host.pointer(&format!("/status/{field}")) {
            status.insert(field.into(), v.clone());
        }
    }
    let mut spec = Map::new();
    for field in ["taints", "unschedulable", "podCIDR", "podCIDRs"] {
        if let Some(v) = host.pointer(&format!("/spec/{field}")) {
            spec.insert(field.into(), v.clone());
        }
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": status,
    })
}

/// A condition as it matters: type, status, reason, message (times are not a change).
fn condition_core(c: &Value) -> Value {
    json!([
        c.get("type"),
        c.get("status"),
        c.get("reason"),
        c.get("message")
    ])
}

/// Whether `current` status already says what `wanted` says, field by field (fields
/// the API server adds, and heartbeat or transition times, do not count).
fn status_matches(current: Option<&Value>, wanted: Option<&Value>) -> bool {
    let Some(wanted) = wanted.and_then(Value::as_object) else {
        return true;
    };
    let current = current.cloned().unwrap_or(Value::Null);
    wanted.iter().all(|(field, want)| {
        let have = current.get(field).cloned().unwrap_or(Value::Null);
        if field == "conditions" {
            let core = |v: &Value| -> Vec<Value> {
                v.as_array()
                    .map(|a| a.iter().map(condition_core).collect())
                    .unwrap_or_default()
            };
            core(&have) == core(want)
        } else {
            &have == want
        }
    })
}

/// What to patch onto `current` so it matches `wanted`: labels and spec as one merge
/// patch, status as another; None when nothing but heartbeats differ.
pub fn updates(current: &Value, wanted: &Value) -> (Option<Value>, Option<Value>) {
    let cur_labels = current
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    let want_labels = wanted
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    let mut meta_patch = Map::new();
    if cur_labels != want_labels {
        // Merge patch: labels gone from the host are removed with null.
        let mut labels = want_labels.as_object().cloned().unwrap_or_default();
        if let Some(cur) = cur_labels.as_object() {
            for k in cur.keys() {
                if !labels.contains_key(k) {
                    labels.insert(k.clone(), Value::Null);
                }
            }
        }
        meta_patch.insert("metadata".into(), json!({"labels": labels}));
    }
    if let Some(spec) = wanted
        .get("spec")
        .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
    {
        let cur = current.get("spec").cloned().unwrap_or(json!({}));
        let differs = spec
            .as_object()
            .is_some_and(|m| m.iter().any(|(k, v)| cur.get(k) != Some(v)));
        if differs {
            meta_patch.insert("spec".into(), spec.clone());
        }
    }
    let status_patch = (!status_matches(current.get("status"), wanted.get("status")))
        .then(|| json!({"status": wanted.get("status").cloned().unwrap_or(json!({}))}));
    (
        (!meta_patch.is_empty()).then_some(Value::Object(meta_patch)),
        status_patch,
    )
}

/// Virtual nodes this syncer made that no pod needs any more.
pub fn unneeded<'a>(
    vnodes: impl IntoIterator<Item = &'a Value>,
    vcluster: &str,
    needed: &BTreeSet<String>,
) -> Vec<String> {
    vnodes
        .into_iter()
        .filter(|n| {
            n.pointer(&format!("/metadata/labels/{}", MADE_BY.replace('/', "~1")))
                .and_then(Value::as_str)
                == Some(vcluster)
        })
        .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str))
        .filter(|n| !needed.contains(*n))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_node() -> Value {
        json!({"metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1",
                "topology.kubernetes.io/zone": "a", "vnest.io/managed-by": "x"}},
               "spec": {"podCIDR": "10.244.1.0/24", "taints": [{"key": "k", "effect": "NoSchedule"}]},
               "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                          "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                          "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t1"}],
                          "addresses": [{"type": "InternalIP", "address": "192.0.2.1"}],
                          "nodeInfo": {"kubeletVersion": "v1.33.0"}}})
    }

    #[test]
    fn a_mirrored_node_carries_the_hosts_labels_capacity_and_conditions() {
        let v = virtual_node("n1", "dev", Some(&host_node()));
        assert_eq!(v["metadata"]["labels"]["topology.kubernetes.io/zone"], "a");
        assert_eq!(v["metadata"]["labels"][MADE_BY], "dev");
        assert!(v["metadata"]["labels"].get("vnest.io/managed-by").is_none());
        assert_eq!(v["status"]["capacity"]["cpu"], "4");
        assert_eq!(v["status"]["addresses"][0]["address"], "192.0.2.1");
        assert_eq!(v["spec"]["taints"][0]["key"], "k");
        let fake = virtual_node("n2", "dev", None);
        assert_eq!(fake["metadata"]["labels"][FAKE], "true");
        assert_eq!(fake["metadata"]["labels"][MADE_BY], "dev");
    }

    #[test]
    fn heartbeats_alone_are_no_update_but_real_changes_are() {
        let wanted = virtual_node("n1", "dev", Some(&host_node()));
        let mut current = wanted.clone();
        current["status"]["conditions"][0]["lastHeartbeatTime"] = json!("t0");
        current["status"]["conditions"][0]["lastTransitionTime"] = json!("t0");
        // Fields the API server fills in are no difference either.
        current["status"]["daemonEndpoints"] = json!({"kubeletEndpoint": {"Port": 0}});
        assert_eq!(updates(&current, &wanted), (None, None));
        current["status"]["conditions"][0]["status"] = json!("False");
        let (meta, status) = updates(&current, &wanted);
        assert!(meta.is_none());
        assert_eq!(status.unwrap()["status"]["conditions"][0]["status"], "True");
        current["metadata"]["labels"]["old"] = json!("x");
        let (meta, _) = updates(&current, &wanted);
        assert_eq!(meta.unwrap()["metadata"]["labels"]["old"], Value::Null);
    }

    #[test]
    fn only_own_nodes_without_pods_go() {
        let needed = needed([Some("n1"), Some(""), None, Some("n1")]);
        assert_eq!(needed.iter().collect::<Vec<_>>(), ["n1"]);
        let vnodes = [
            virtual_node("n1", "dev", None),
            virtual_node("n2", "dev", None),
            virtual_node("n3", "other", None),
            json!({"metadata": {"name": "n4"}}),
        ];
        assert_eq!(unneeded(vnodes.iter(), "dev", &needed), ["n2"]);
    }
}

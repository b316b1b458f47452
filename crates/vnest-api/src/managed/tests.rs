//! Updates, multiple managers and the entry list rules.

use serde_json::{json, Value};

use super::*;

const DEPLOYMENT: Option<&str> = Some("io.k8s.api.apps.v1.Deployment");
const CONFIGMAP: Option<&str> = Some("io.k8s.api.core.v1.ConfigMap");
const POD: Option<&str> = Some("io.k8s.api.core.v1.Pod");
const T1: &str = "2025-01-01T00:00:01Z";
const T2: &str = "2025-01-01T00:00:02Z";
const T3: &str = "2025-01-01T00:00:03Z";

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "1",
            "generation": 1, "creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "app", "image": "nginx", "env": [{"name": "A", "value": "1"}]},
                    {"name": "sidecar", "image": "busybox"}
                ]}
            }
        },
        "status": {"replicas": 1}
    })
}

/// Creates `obj` as `manager` and returns it with its managedFields.
fn create(obj: &Value, def: Option<&str>, manager: &str, status_sub: bool) -> Value {
    let mf = update_managed_fields(None, obj, def, manager, "apps/v1", None, status_sub, T1);
    with_managed(obj, mf)
}

fn with_managed(obj: &Value, mf: Value) -> Value {
    let mut out = obj.clone();
    out["metadata"]["managedFields"] = mf;
    out
}

fn entry<'v>(mf: &'v Value, manager: &str) -> Option<&'v Value> {
    mf.as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == "Update")
}

fn managers(mf: &Value) -> Vec<String> {
    mf.as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["manager"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn create_owns_every_set_field() {
    let obj = deployment();
    let mf = update_managed_fields(None, &obj, DEPLOYMENT, "kubectl", "apps/v1", None, true, T1);
    assert_eq!(
        mf,
        json!([{
            "manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                        "f:spec": {"f:containers": {
                            "k:{\"name\":\"app\"}": {
                                ".": {},
                                "f:env": {".": {}, "k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}},
                                "f:image": {}, "f:name": {}, "f:resources": {}
                            },
                            "k:{\"name\":\"sidecar\"}": {".": {}, "f:image": {}, "f:name": {}, "f:resources": {}}
                        }}
                    }
                }
            }
        }])
    );
    // without a status subresource, status is owned too
    let mf = update_managed_fields(
        None, &obj, DEPLOYMENT, "kubectl", "apps/v1", None, false, T1,
    );
    assert_eq!(mf[0]["fieldsV1"]["f:status"], json!({"f:replicas": {}}));
    // fields_v1 is the same set, status included
    let set = fields_v1(DEPLOYMENT, &obj);
    assert_eq!(set, mf[0]["fieldsV1"]);
}

#[test]
fn label_added_by_another_manager() {
    let old = create(&deployment(), DEPLOYMENT, "kubectl", true);
    let mut new = old.clone();
    new["metadata"]["labels"]["tier"] = json!("front");
    let mf = update_managed_fields(
        Some(&old),
        &new,
        DEPLOYMENT,
        "editor",
        "apps/v1",
        None,
        true,
        T2,
    );
    assert_eq!(managers(&mf), ["kubectl", "editor"]);
    assert_eq!(
        entry(&mf, "editor").map(|e| e["fieldsV1"].clone()),
        Some(json!({"f:metadata": {"f:labels": {"f:tier": {}}}}))
    );
    assert_eq!(
        entry(&mf, "editor").map(|e| e["time"].clone()),
        Some(json!(T2))
    );
    // kubectl keeps what it had, with its time
    assert_eq!(
        entry(&mf, "kubectl"),
        entry(&old["metadata"]["managedFields"], "kubectl")
    );
}

#[test]
fn env_var_changed_moves_ownership() {
    let old = create(&deployment(), DEPLOYMENT, "kubectl", true);
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = json!("2");
    let mf = update_managed_fields(
        Some(&old),
        &new,
        DEPLOYMENT,
        "tuner",
        "apps/v1",
        None,
        true,
        T2,
    );
    let env_a = |mf: &Value, m: &str| {
        entry(mf, m).map(|e| {
            e["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]
                ["f:env"]["k:{\"name\":\"A\"}"]
                .clone()
        })
    };
    assert_eq!(env_a(&mf, "tuner"), Some(json!({"f:value": {}})));
    assert_eq!(env_a(&mf, "kubectl"), Some(json!({".": {}, "f:name": {}})));
    // the same manager changing it back takes it again and merges
    let old2 = with_managed(&new, mf);
    let mut new2 = old2.clone();
    new2["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = json!("3");
    let mf2 = update_managed_fields(
        Some(&old2),
        &new2,
        DEPLOYMENT,
        "kubectl",
        "apps/v1",
        None,
        true,
        T3,
    );
    assert_eq!(managers(&mf2), ["kubectl"], "tuner lost its only field");
    assert_eq!(
        env_a(&mf2, "kubectl"),
        Some(json!({".": {}, "f:name": {}, "f:value": {}}))
    );
    assert_eq!(
        entry(&mf2, "kubectl").map(|e| e["time"].clone()),
        Some(json!(T3))
    );
}

#[test]
fn container_removed_everyone_loses_it() {
    let old = create(&deployment(), DEPLOYMENT, "kubectl", true);
    // a second manager owns the sidecar's image
    let mut mid = old.clone();
    mid["spec"]["template"]["spec"]["containers"][1]["image"] = json!("busybox:2");
    let mf = update_managed_fields(
        Some(&old),
        &mid,
        DEPLOYMENT,
        "bumper",
        "apps/v1",
        None,
        true,
        T2,
    );
    assert_eq!(managers(&mf), ["kubectl", "bumper"]);
    let mid = with_managed(&mid, mf);
    let mut new = mid.clone();
    if let Some(c) = new["spec"]["template"]["spec"]["containers"].as_array_mut() {
        c.pop();
    }
    let mf = update_managed_fields(
        Some(&mid),
        &new,
        DEPLOYMENT,
        "remover",
        "apps/v1",
        None,
        true,
        T3,
    );
    // only removals: the remover gets no entry, bumper loses its only field
    assert_eq!(managers(&mf), ["kubectl"]);
    let containers = entry(&mf, "kubectl")
        .map(|e| e["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"].clone());
    let keys: Vec<String> = containers
        .and_then(|c| c.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    assert_eq!(keys, ["k:{\"name\":\"app\"}"]);
    // kubectl's time is unchanged
    assert_eq!(
        entry(&mf, "kubectl").map(|e| e["time"].clone()),
        Some(json!(T1))
    );
}

#[test]
fn nothing_changed_keeps_the_list() {
    let old = create(&deployment(), DEPLOYMENT, "kubectl", true);
    let mut new = old.clone();
    new["metadata"]["resourceVersion"] = json!("7");
    new["metadata"]["generation"] = json!(2);
    let mf = update_managed_fields(
        Some(&old),
        &new,
        DEPLOYMENT,
        "other",
        "apps/v1",
        None,
        true,
        T2,
    );
    assert_eq!(mf, old["metadata"]["managedFields"]);
    // status changes on the main resource are not owned
    new["status"]["replicas"] = json!(3);
    let mf = update_managed_fields(
        Some(&old),
        &new,
        DEPLOYMENT,
        "other",
        "apps/v1",
        None,
        true,
        T2,
    );
    assert_eq!(mf, old["metadata"]["managedFields"]);
}

#[test]
fn status_subresource() {
    let old = create(&deployment(), DEPLOYMENT, "kubectl", true);
    let mut new = old.clone();
    new["status"]["replicas"] = json!(0);
    new["status"]["conditions"] = json!([{"type": "Available", "status": "True"}]);
    new["metadata"]["annotations"] = json!({"rev": "1"});
    new["spec"]["replicas"] = json!(5); // a status strategy would reset this
    let mf = update_managed_fields(
        Some(&old),
        &new,
        DEPLOYMENT,
        "controller",
        "apps/v1",
        Some("status"),
        true,
        T2,
    );
    // Go always writes the condition times (as null), so they are owned too
    let e = entry(&mf, "controller").cloned().unwrap_or_default();
    assert_eq!(e["subresource"], "status");
    assert_eq!(
        e["fieldsV1"],
        json!({
            "f:metadata": {"f:annotations": {".": {}, "f:rev": {}}},
            "f:status": {
                "f:conditions": {".": {}, "k:{\"type\":\"Available\"}": {
                    ".": {}, "f:lastTransitionTime": {}, "f:lastUpdateTime": {}, "f:status": {}, "f:type": {}
                }},
                "f:replicas": {}
            }
        })
    );
    // a later main-resource write by the same manager is a separate entry
    let old2 = with_managed(&new, mf);
    let mut new2 = old2.clone();
    new2["metadata"]["labels"]["x"] = json!("y");
    let mf2 = update_managed_fields(
        Some(&old2),
        &new2,
        DEPLOYMENT,
        "controller",
        "apps/v1",
        None,
        true,
        T3,
    );
    assert_eq!(managers(&mf2), ["kubectl", "controller", "controller"]);
    assert_eq!(mf2[1]["subresource"], "status");
    assert_eq!(mf2[2].get("subresource"), None);
}

#[test]
fn apply_entries_keep_untouched_fields() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1", "y": "2", "z": "3"}});
    let applied = json!([{
        "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T1,
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:x": {}, "f:y": {}, "f:z": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}
    }]);
    let old = with_managed(&cm, applied);
    let mut new = old.clone();
    new["data"]["y"] = json!("changed");
    if let Some(d) = new["data"].as_object_mut() {
        d.remove("z");
    }
    let mf = update_managed_fields(Some(&old), &new, CONFIGMAP, "editor", "v1", None, false, T2);
    assert_eq!(
        mf,
        json!([
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T1,
             "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {"f:x": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}},
            {"manager": "editor", "operation": "Update", "apiVersion": "v1", "time": T2,
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:y": {}}}}
        ])
    );
}

#[test]
fn managed_fields_in_the_request() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}});
    let old = create(&cm, CONFIGMAP, "first", false);
    // [] resets: only this write's changes are recorded
    let mut new = old.clone();
    new["metadata"]["managedFields"] = json!([]);
    new["data"]["y"] = json!("2");
    let mf = update_managed_fields(Some(&old), &new, CONFIGMAP, "second", "v1", None, false, T2);
    assert_eq!(managers(&mf), ["second"]);
    // a list brought along replaces the stored one
    let mut new = old.clone();
    new["metadata"]["managedFields"] = json!([{"manager": "someone", "operation": "Update",
        "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:x": {}}}}]);
    let mf = update_managed_fields(Some(&old), &new, CONFIGMAP, "second", "v1", None, false, T2);
    assert_eq!(managers(&mf), ["someone"]);
    // ... but not on a subresource, and not when it cannot be decoded
    let mf = update_managed_fields(
        Some(&old),
        &new,
        CONFIGMAP,
        "second",
        "v1",
        Some("status"),
        false,
        T2,
    );
    assert_eq!(managers(&mf), ["first"]);
    new["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Bogus"}]);
    let mf = update_managed_fields(Some(&old), &new, CONFIGMAP, "second", "v1", None, false, T2);
    assert_eq!(managers(&mf), ["first"]);
    // an unreadable stored list counts as none
    let mut broken = old.clone();
    broken["metadata"]["managedFields"] = json!("nope");
    let mut new = broken.clone();
    new["data"]["x"] = json!("9");
    let mf = update_managed_fields(
        Some(&broken),
        &new,
        CONFIGMAP,
        "second",
        "v1",
        None,
        false,
        T2,
    );
    assert_eq!(managers(&mf), ["second"]);
}

#[test]
fn update_managers_are_capped() {
    let mut obj =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}});
    for i in 0..12 {
        let mut new = obj.clone();
        new["data"][format!("k{i}")] = json!("v");
        let time = format!("2025-01-01T00:00:{i:02}Z");
        let mf = update_managed_fields(
            Some(&obj),
            &new,
            CONFIGMAP,
            &format!("m{i:02}"),
            "v1",
            None,
            false,
            &time,
        );
        obj = with_managed(&new, mf);
    }
    let mf = &obj["metadata"]["managedFields"];
    let names = managers(mf);
    assert_eq!(names.len(), 10);
    assert_eq!(names.first().map(String::as_str), Some("ancient-changes"));
    assert_eq!(
        mf[0]["fieldsV1"],
        json!({"f:data": {"f:k0": {}, "f:k1": {}, "f:k2": {}}})
    );
    assert_eq!(mf[0]["time"], "2025-01-01T00:00:02Z");
    assert_eq!(names.last().map(String::as_str), Some("m11"));
}

#[test]
fn entries_are_sorted_like_kube() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
    let old = with_managed(
        &cm,
        json!([
            {"manager": "z", "operation": "Update", "apiVersion": "v1", "time": T1, "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}},
            {"manager": "b", "operation": "Apply", "apiVersion": "v1", "time": T3, "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}}
        ]),
    );
    let mut new = old.clone();
    new["data"]["b"] = json!("2");
    let mf = update_managed_fields(Some(&old), &new, CONFIGMAP, "a", "v1", None, false, T1);
    assert_eq!(managers(&mf), ["b", "a", "z"]);
}

#[test]
fn pods_and_custom_resources() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "finalizers": ["x/y"]},
        "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "protocol": "TCP"}]}],
                 "tolerations": [{"key": "k", "operator": "Exists"}], "nodeSelector": {"a": "b"}}});
    assert_eq!(
        fields_v1(POD, &pod),
        json!({
            "f:metadata": {"f:finalizers": {".": {}, "v:\"x/y\"": {}}},
            "f:spec": {
                "f:containers": {"k:{\"name\":\"c\"}": {
                    ".": {}, "f:image": {}, "f:name": {},
                    "f:ports": {".": {}, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}}},
                    "f:resources": {}
                }},
                "f:nodeSelector": {},
                "f:tolerations": {}
            }
        })
    );
    let cr = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "labels": {"a": "b"}, "ownerReferences": [{"uid": "1", "name": "o", "kind": "K", "apiVersion": "v1"}]},
        "spec": {"size": 3, "items": [{"a": 1}], "nested": {"deep": true}}});
    assert_eq!(
        fields_v1(None, &cr),
        json!({
            "f:metadata": {
                "f:labels": {".": {}, "f:a": {}},
                "f:ownerReferences": {".": {}, "k:{\"uid\":\"1\"}": {}}
            },
            "f:spec": {".": {}, "f:items": {}, "f:nested": {".": {}, "f:deep": {}}, "f:size": {}}
        })
    );
}

#[test]
fn validation_of_lists() {
    assert!(validate_managed_fields(&json!([])).is_ok());
    assert_eq!(
        validate_managed_fields(&json!([{"operation": "Update", "apiVersion": "v1"}])),
        Err(ManagedFieldsError::MissingFieldsType(0))
    );
    assert_eq!(
        validate_managed_fields(
            &json!([{"operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"}])
        )
        .map_err(|e| e.to_string()),
        Err("invalid fieldsType \"FieldsV2\" in managed fields entry 0".to_string())
    );
    assert!(matches!(
        validate_managed_fields(
            &json!([{"operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"x": {}}}])
        ),
        Err(ManagedFieldsError::Fields(0, _))
    ));
    assert_eq!(
        validate_managed_fields(
            &json!([{"operation": "Get", "apiVersion": "v1", "fieldsType": "FieldsV1"}])
        ),
        Err(ManagedFieldsError::Operation)
    );
    assert_eq!(
        validate_managed_fields(&json!({})),
        Err(ManagedFieldsError::NotAList)
    );
}

#[test]
fn managers_from_user_agents() {
    assert_eq!(manager_from_user_agent("kube-rs/0.99"), "kube-rs");
    assert_eq!(
        manager_from_user_agent("kubectl/v1.33.0 (linux/amd64) kubernetes/abc"),
        "kubectl"
    );
    assert_eq!(manager_from_user_agent("curl"), "curl");
    assert_eq!(manager_from_user_agent(""), "");
    assert_eq!(manager_from_user_agent("a\tb\u{200b}c d/x"), "abc d");
    let long = "x".repeat(300);
    assert_eq!(manager_from_user_agent(&long).len(), 128);
    // the cut happens once 128 bytes are reached, so a last wide character stays whole
    let wide = format!("{}é", "x".repeat(127));
    assert_eq!(manager_from_user_agent(&wide).len(), 129);
}

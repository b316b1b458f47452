//! Checks against responses recorded from a real kube-apiserver
//! (entries copied from the reference corpus `errors.json` into
//! `testdata/golden_errors.json`).

use serde_json::{json, Value};

use super::*;
use crate::selector::{FieldSelector, LabelSelector};

const GOLDEN: &str = include_str!("testdata/golden_errors.json");

fn entries() -> Vec<Value> {
    match serde_json::from_str::<Value>(GOLDEN) {
        Ok(Value::Array(a)) => a,
        other => panic!("bad golden file: {other:?}"),
    }
}

fn entry(name: &str) -> Value {
    entries()
        .into_iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no golden entry {name}"))
}

/// (group, namespace, resource) from a request path.
fn route(path: &str) -> (String, Option<String>, String) {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", _v, rest @ ..] => (String::new(), rest.to_vec()),
        ["apis", g, _v, rest @ ..] => (g.to_string(), rest.to_vec()),
        _ => panic!("unexpected path {path}"),
    };
    match rest.as_slice() {
        ["namespaces", ns, resource, ..] => (group, Some(ns.to_string()), resource.to_string()),
        [resource, ..] => (group, None, resource.to_string()),
        _ => panic!("unexpected path {path}"),
    }
}

fn kind_for(group: &str, resource: &str, body: &Value) -> String {
    if let Some(k) = body.get("kind").and_then(Value::as_str) {
        return k.to_string();
    }
    KINDS
        .iter()
        .find(|(g, _, r, _)| *g == group && *r == resource)
        .map(|(_, k, _, _)| k.to_string())
        .unwrap_or_else(|| panic!("unknown resource {group}/{resource}"))
}

/// The request body as the server validates it (namespace from the URL).
fn request_object(e: &Value) -> (String, String, Value) {
    let path = e["path"].as_str().unwrap_or_default();
    let (group, ns, resource) = route(path);
    let mut body: Value = serde_json::from_str(e["body"].as_str().unwrap_or("null"))
        .unwrap_or_else(|err| panic!("{}: body is not JSON: {err}", e["name"]));
    let kind = kind_for(&group, &resource, &body);
    if let (Some(ns), Some(meta)) = (ns, body.get_mut("metadata").and_then(Value::as_object_mut)) {
        meta.insert("namespace".into(), json!(ns));
    }
    (group, kind, body)
}

fn name_of(obj: &Value) -> &str {
    obj.get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn assert_status(case: &str, group: &str, kind: &str, obj: &Value, errs: &[FieldError]) {
    let want = &entry(case)["response_body"];
    let got = invalid_status(group, kind, name_of(obj), errs);
    assert_eq!(&got, want, "{case}: status differs");
}

/// Every recorded POST that kube answered with a plain validation result.
#[test]
fn golden_create_cases() {
    let skip = [
        "annotations-too-large",
        "configmap-data-over-1MiB",
        "service-name-starting-with-digit",
    ];
    let mut checked = 0;
    for e in entries() {
        let name = e["name"].as_str().unwrap_or_default();
        if e["method"] != "POST" || skip.contains(&name) {
            continue;
        }
        let (group, kind, obj) = request_object(&e);
        let errs = validate_create(&group, &kind, &obj);
        let status = e["status"].as_u64().unwrap_or(0);
        if (200..300).contains(&status) {
            assert!(errs.is_empty(), "{name}: expected valid, got {errs:?}");
        } else {
            assert_eq!(status, 422, "{name}");
            assert_status(name, &group, &kind, &obj, &errs);
        }
        checked += 1;
    }
    assert_eq!(checked, 29, "create cases checked");
}

#[test]
fn golden_annotations_too_large() {
    let obj = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "bigann", "namespace": "refcorpus-errors",
                     "annotations": {"big": "x".repeat(262145)}}
    });
    let errs = validate_create("", "ConfigMap", &obj);
    assert_status("annotations-too-large", "", "ConfigMap", &obj, &errs);
}

#[test]
fn golden_configmap_over_1mib() {
    let obj = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "toobig", "namespace": "refcorpus-errors"},
        "data": {"big": "x".repeat(1258291)}
    });
    let errs = validate_create("", "ConfigMap", &obj);
    assert_status("configmap-data-over-1MiB", "", "ConfigMap", &obj, &errs);
}

/// The recorded server is newer than v1.33 and accepts this name; v1.33
/// still requires an RFC 1035 label for services.
#[test]
fn service_name_starting_with_digit_is_rejected_in_1_33() {
    let (group, kind, obj) = request_object(&entry("service-name-starting-with-digit"));
    let errs = validate_create(&group, &kind, &obj);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].message(),
        "metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    );
}

fn deployment(app: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "immut-deploy", "namespace": "refcorpus-errors", "resourceVersion": "5"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}},
                         "spec": {"containers": [{"name": "app", "image": "nginx"}]}}
        }
    })
}

#[test]
fn golden_immutable_deployment_selector() {
    let (group, kind, new) = request_object(&entry("immutable-deployment-selector"));
    let errs = validate_update(&group, &kind, &deployment("immut"), &new);
    assert_status("immutable-deployment-selector", &group, &kind, &new, &errs);
    // Same selector: no error.
    assert!(validate_update(&group, &kind, &deployment("changed"), &new).is_empty());
}

#[test]
fn golden_immutable_service_cluster_ip() {
    let (group, kind, new) = request_object(&entry("immutable-service-clusterip"));
    let old = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "immut-svc", "namespace": "refcorpus-errors"},
        "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.17", "clusterIPs": ["10.96.0.17"],
                 "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]}
    });
    let errs = validate_update(&group, &kind, &old, &new);
    assert_status("immutable-service-clusterip", &group, &kind, &new, &errs);
    // Omitting the IP keeps the allocated one.
    let mut same = new.clone();
    if let Some(spec) = same["spec"].as_object_mut() {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    assert!(validate_update(&group, &kind, &old, &same).is_empty());
}

fn immutable_configmap() -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "immutable-cm", "namespace": "refcorpus-errors"},
        "data": {"a": "1"}, "immutable": true
    })
}

#[test]
fn golden_immutable_configmap_data() {
    let (group, kind, new) = request_object(&entry("immutable-configmap-data"));
    let errs = validate_update(&group, &kind, &immutable_configmap(), &new);
    assert_status("immutable-configmap-data", &group, &kind, &new, &errs);
}

#[test]
fn golden_immutable_configmap_unset_immutable() {
    let old = immutable_configmap();
    let mut new = old.clone();
    new["immutable"] = json!(false); // the recorded merge patch {"immutable":false}
    let errs = validate_update("", "ConfigMap", &old, &new);
    assert_status(
        "immutable-configmap-unset-immutable",
        "",
        "ConfigMap",
        &new,
        &errs,
    );
}

#[test]
fn golden_scale_negative_replicas() {
    let e = entry("scale-subresource-negative-replicas");
    let new: Value =
        serde_json::from_str(e["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    let mut old = new.clone();
    old["spec"]["replicas"] = json!(1);
    let errs = validate_update("autoscaling", "Scale", &old, &new);
    assert_status(
        "scale-subresource-negative-replicas",
        "autoscaling",
        "Scale",
        &new,
        &errs,
    );
}

/// kube renders the internal Go structs in these two messages; vnest renders
/// the v1 JSON instead, so only the stable parts are compared.
#[test]
fn golden_immutable_job_template_partial() {
    let uid = "0f2c7e1a-1111-4222-8333-944455556666";
    let old = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "immut-job", "namespace": "refcorpus-errors"},
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
            "template": {
                "metadata": {"labels": {"job-name": "immut-job", "controller-uid": uid,
                    "batch.kubernetes.io/job-name": "immut-job",
                    "batch.kubernetes.io/controller-uid": uid}},
                "spec": {"restartPolicy": "Never",
                         "containers": [{"name": "app", "image": "busybox:1"}]}
            }
        }
    });
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("busybox:2");
    let errs = validate_update("batch", "Job", &old, &new);
    let got = invalid_status("batch", "Job", "immut-job", &errs);
    let want = entry("immutable-job-template")["response_body"].clone();
    assert_eq!(
        got["details"]["causes"][0]["field"],
        want["details"]["causes"][0]["field"]
    );
    assert_eq!(
        got["details"]["causes"][0]["reason"],
        want["details"]["causes"][0]["reason"]
    );
    assert_eq!(got["details"]["causes"].as_array().map(Vec::len), Some(1));
    let got_msg = got["message"]
        .as_str()
        .unwrap_or_default()
        .replace(uid, "<uid>");
    let want_msg = want["message"].as_str().unwrap_or_default();
    let head = want_msg.split("\"Spec\":").next().unwrap_or_default();
    assert!(got_msg.starts_with(head), "{got_msg}\n---\n{head}");
    assert!(got_msg.ends_with("}: field is immutable"));
    assert!(got_msg.contains("\"image\":\"busybox:2\""));
}

#[test]
fn golden_immutable_pod_spec_partial() {
    let old = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "immut-pod", "namespace": "refcorpus-errors"},
        "spec": {"restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                 "containers": [{"name": "app", "image": "nginx"}]}
    });
    let mut new = old.clone();
    new["spec"]["restartPolicy"] = json!("Never");
    let errs = validate_update("", "Pod", &old, &new);
    let got = invalid_status("", "Pod", "immut-pod", &errs);
    let want = entry("immutable-pod-spec-field")["response_body"].clone();
    let first_line = |v: &Value| {
        v["message"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .next()
            .map(String::from)
    };
    assert_eq!(first_line(&got), first_line(&want));
    assert_eq!(got["details"]["causes"][0]["field"], "spec");
    assert_eq!(got["details"]["causes"][0]["reason"], "FieldValueForbidden");
    let msg = got["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("\n-  \"restartPolicy\": \"Always\"")
            || msg.contains("- \"restartPolicy\": \"Always\""),
        "{msg}"
    );
    assert!(msg.contains("+ \"restartPolicy\": \"Never\""), "{msg}");
    // Changing only the image is allowed.
    let mut image_only = old.clone();
    image_only["spec"]["containers"][0]["image"] = json!("nginx:2");
    assert!(validate_update("", "Pod", &old, &image_only).is_empty());
}

fn query_param(path: &str, name: &str) -> String {
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or("");
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&raw[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn golden_selector_errors() {
    for case in ["invalid-label-selector", "invalid-label-selector-value"] {
        let e = entry(case);
        let sel = query_param(e["path"].as_str().unwrap_or_default(), "labelSelector");
        let err = LabelSelector::parse(&sel).expect_err(case);
        assert_eq!(err.to_string(), e["response_body"]["message"], "{case}");
        assert_eq!(e["response_body"]["code"], 400);
    }
    for case in [
        "unsupported-field-selector",
        "unsupported-field-selector-pods",
        "malformed-field-selector",
    ] {
        let e = entry(case);
        let path = e["path"].as_str().unwrap_or_default();
        let (group, _, resource) = route(path);
        let sel = query_param(path, "fieldSelector");
        let err = FieldSelector::parse(&sel)
            .and_then(|s| s.check_supported(&group, &resource))
            .expect_err(case);
        assert_eq!(err.to_string(), e["response_body"]["message"], "{case}");
    }
}

#[test]
fn update_paths_and_kinds() {
    // Secret type is immutable; data frozen when immutable.
    let old = json!({"kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
                     "type": "Opaque", "data": {"a": "MQ=="}, "immutable": true});
    let mut new = old.clone();
    new["type"] = json!("kubernetes.io/tls");
    new["data"] = json!({"tls.crt": "", "tls.key": ""});
    let msgs: Vec<String> = validate_update("", "Secret", &old, &new)
        .iter()
        .map(FieldError::message)
        .collect();
    assert_eq!(
        msgs,
        vec![
            "type: Invalid value: \"kubernetes.io/tls\": field is immutable",
            "data: Forbidden: field is immutable when `immutable` is set"
        ]
    );
    // StatefulSet: only some spec fields may change.
    let sts = json!({"metadata": {"name": "web", "namespace": "n"},
        "spec": {"serviceName": "a", "selector": {"matchLabels": {"app": "w"}},
                 "template": {"metadata": {"labels": {"app": "w"}},
                              "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let mut sts2 = sts.clone();
    sts2["spec"]["serviceName"] = json!("b");
    let errs = validate_update("apps", "StatefulSet", &sts, &sts2);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].path, "spec");
    let mut sts3 = sts.clone();
    sts3["spec"]["replicas"] = json!(3);
    assert!(validate_update("apps", "StatefulSet", &sts, &sts3).is_empty());
    // Namespace name immutable.
    let ns = json!({"metadata": {"name": "a"}});
    let errs = validate_update("", "Namespace", &ns, &json!({"metadata": {"name": "b"}}));
    assert_eq!(
        errs[0].message(),
        "metadata.name: Invalid value: \"b\": field is immutable"
    );
}

#[test]
fn more_create_checks() {
    let msgs = |g: &str, k: &str, o: Value| -> Vec<String> {
        validate_create(g, k, &o)
            .iter()
            .map(FieldError::message)
            .collect()
    };
    // Job templates need restartPolicy OnFailure or Never.
    let job = json!({"metadata": {"name": "j", "namespace": "n"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    assert_eq!(
        msgs("batch", "Job", job),
        vec!["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""]
    );
    // Pods: duplicate names, missing image, bad ports, bad restartPolicy.
    let pod = json!({"metadata": {"name": "p", "namespace": "n"},
        "spec": {"restartPolicy": "Sometimes", "containers": [
            {"name": "a", "image": "i", "ports": [{"containerPort": 70000}]},
            {"name": "a", "ports": [{"containerPort": 80, "protocol": "ICMP"}]}]}});
    assert_eq!(
        msgs("", "Pod", pod),
        vec![
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[1].image: Required value",
            "spec.containers[1].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[1].name: Duplicate value: \"a\"",
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
        ]
    );
    // Services: ports required unless headless or ExternalName.
    let svc = json!({"metadata": {"name": "s", "namespace": "n"}, "spec": {}});
    assert_eq!(msgs("", "Service", svc), vec!["spec.ports: Required value"]);
    let headless =
        json!({"metadata": {"name": "s", "namespace": "n"}, "spec": {"clusterIP": "None"}});
    assert!(msgs("", "Service", headless).is_empty());
    let ext =
        json!({"metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "ExternalName"}});
    assert_eq!(
        msgs("", "Service", ext),
        vec!["spec.externalName: Required value"]
    );
    let cip = json!({"metadata": {"name": "s", "namespace": "n"},
        "spec": {"ports": [{"port": 80, "nodePort": 30001}]}});
    assert_eq!(
        msgs("", "Service", cip),
        vec!["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]
    );
    // Deployment: bad rolling update values.
    let mut d = deployment("x");
    d["spec"]["strategy"] =
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}});
    assert_eq!(
        msgs("apps", "Deployment", d.clone()),
        vec!["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
    );
    d["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {}});
    assert_eq!(
        msgs("apps", "Deployment", d.clone()),
        vec!["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]
    );
    d["spec"]["strategy"] = json!({});
    d["spec"]["selector"] = json!({});
    assert_eq!(
        msgs("apps", "Deployment", d),
        vec!["spec.selector: Invalid value: {}: empty selector is invalid for deployment"]
    );
    // Events without a name still pass legacy validation but need a name.
    let ev = json!({"metadata": {"namespace": "n"}, "involvedObject": {"namespace": "n"}});
    assert_eq!(
        msgs("", "Event", ev),
        vec!["metadata.name: Required value: name or generateName is required"]
    );
    // Secrets of type TLS need both keys.
    let tls = json!({"metadata": {"name": "t", "namespace": "n"}, "type": "kubernetes.io/tls",
                     "stringData": {"tls.crt": "x"}});
    assert_eq!(
        msgs("", "Secret", tls),
        vec!["data[tls.key]: Required value"]
    );
    // Review objects carry no name.
    assert!(msgs(
        "authorization.k8s.io",
        "SelfSubjectAccessReview",
        json!({"spec": {}})
    )
    .is_empty());
    // Privileged pods are accepted when the server allows them.
    let privileged = json!({"metadata": {"name": "p", "namespace": "n"},
        "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}});
    let opts = ValidationOptions {
        allow_privileged: true,
        ..ValidationOptions::default()
    };
    assert!(validate_create_with(&opts, "", "Pod", &privileged).is_empty());
    assert_eq!(validate_create("", "Pod", &privileged).len(), 1);
}

//! Every case of golden/defaults: the POSTed `input`, defaulted here, must
//! equal kube-apiserver's `create_response` except for the paths that other
//! parts of the server fill in, which each test lists explicitly.

use serde_json::Value;
use vnest_api::defaults::{
    apply_admission_defaults, apply_defaults, default_service_ip_families, IpFamily,
};

/// Metadata the storage layer writes on every create.
const SYSTEM_METADATA: &[&str] = &[
    "metadata.uid",
    "metadata.resourceVersion",
    "metadata.creationTimestamp",
    "metadata.generation",
    "metadata.managedFields",
];

fn load(file: &str) -> Value {
    let path = format!(
        "{}/tests/golden/defaults/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Removes a dotted path (numbers index arrays); returns whether it existed.
fn remove_path(v: &mut Value, path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return false;
    };
    let mut cur = v;
    for p in parts {
        let next = match cur {
            Value::Object(m) => m.get_mut(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match cur {
        Value::Object(m) => m.remove(last).is_some(),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn check(file: &str, excluded: &[&str]) {
    let case = load(file);
    assert_eq!(
        case["create_status"], 201,
        "{file}: not a successful create"
    );
    let mut expected = case["create_response"].clone();
    let mut obj = case["input"].clone();

    // What the server knows before defaulting: the namespace from the URL
    // and the uid it assigned (the redacted "<uid>" stands in for it).
    if let Some(ns) = expected["metadata"]["namespace"].as_str() {
        obj["metadata"]["namespace"] = Value::String(ns.to_string());
    }
    obj["metadata"]["uid"] = Value::String("<uid>".into());

    let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
    let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();

    apply_defaults(group, version, &kind, &mut obj);
    apply_admission_defaults(group, version, &kind, &mut obj);
    if kind == "Service" {
        if let Err(e) = default_service_ip_families(&mut obj, &[IpFamily::IPv4]) {
            panic!("{file}: {e}");
        }
    }

    for path in SYSTEM_METADATA.iter().chain(excluded) {
        let was_expected = remove_path(&mut expected, path);
        remove_path(&mut obj, path);
        // Listed exclusions must be real, or they would hide nothing.
        if !path.starts_with("metadata.") || *path == "metadata.uid" {
            assert!(
                was_expected,
                "{file}: excluded path {path} is not in the response"
            );
        }
    }
    assert_eq!(
        obj, expected,
        "{file}: defaulted input differs from create_response\n got:      {}\n expected: {}",
        obj, expected
    );
}

macro_rules! golden {
    ($($name:ident: $file:literal, [$($path:literal),*];)*) => {
        $(
            #[test]
            fn $name() {
                check($file, &[$($path),*]);
            }
        )*
    };
}

golden! {
    clusterrole_minimal: "clusterrole-minimal.json", [];
    configmap_minimal: "configmap-minimal.json", [];
    cronjob_minimal: "cronjob-minimal.json", [];
    daemonset_minimal: "daemonset-minimal.json", [];
    deployment_minimal: "deployment-minimal.json", [];
    endpoints_minimal: "endpoints-minimal.json", [];
    endpointslice_minimal: "endpointslice-minimal.json", [];
    event_minimal: "event-minimal.json", [];
    horizontalpodautoscaler_minimal: "horizontalpodautoscaler-minimal.json", [];
    ingress_minimal: "ingress-minimal.json", [];
    job_minimal: "job-minimal.json", [];
    lease_minimal: "lease-minimal.json", [];
    limitrange_minimal: "limitrange-minimal.json", [];
    namespace_minimal: "namespace-minimal.json", [];
    networkpolicy_minimal: "networkpolicy-minimal.json", [];
    persistentvolumeclaim_minimal: "persistentvolumeclaim-minimal.json", [];
    // The ServiceAccount admission plugin's token volume (with the fork's
    // extra openshift-service-ca.crt source) and its mount.
    pod_minimal: "pod-minimal.json", ["spec.volumes", "spec.containers.0.volumeMounts"];
    poddisruptionbudget_minimal: "poddisruptionbudget-minimal.json", [];
    priorityclass_minimal: "priorityclass-minimal.json", [];
    replicaset_minimal: "replicaset-minimal.json", [];
    resourcequota_minimal: "resourcequota-minimal.json", [];
    role_minimal: "role-minimal.json", [];
    rolebinding_minimal: "rolebinding-minimal.json", [];
    secret_stringdata_minimal: "secret-stringdata-minimal.json", [];
    // Allocated by the ClusterIP allocator.
    service_clusterip_minimal: "service-clusterip-minimal.json", ["spec.clusterIP", "spec.clusterIPs"];
    service_externalname_minimal: "service-externalname-minimal.json", [];
    service_headless_minimal: "service-headless-minimal.json", [];
    // Allocated by the ClusterIP and NodePort allocators.
    service_nodeport_minimal: "service-nodeport-minimal.json", ["spec.clusterIP", "spec.clusterIPs", "spec.ports.0.nodePort"];
    serviceaccount_minimal: "serviceaccount-minimal.json", [];
    statefulset_minimal: "statefulset-minimal.json", [];
    storageclass_minimal: "storageclass-minimal.json", [];
}

#[test]
fn every_golden_case_has_a_test() {
    let dir = format!("{}/tests/golden/defaults", env!("CARGO_MANIFEST_DIR"));
    let count = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .count();
    assert_eq!(
        count, 31,
        "golden/defaults changed: add or remove tests above"
    );
}

//! Every case of golden/defaults with `stored_managedFields`: the managedFields entry
//! of the creating client (`refcorpus-probe`), computed from the POSTed `input` after
//! create-time defaulting, must equal what kube-apiserver recorded.
//!
//! kube-apiserver records the creator's fields after decoding and defaulting the
//! request body, but before admission plugins (service account volume, default
//! tolerations, priority, ...) and before the storage layer (allocated cluster IPs,
//! node ports, generated Job selectors) change the object, so admission defaults are
//! deliberately not applied here. Entries of other managers (controllers writing
//! status) are not reproducible from the input and are not compared.

use serde_json::Value;
use vnest_api::defaults::apply_defaults;
use vnest_api::managed::{fields_v1, update_managed_fields};
use vnest_api::patch::PatchSchema;
use vnest_api::registry::Registry;

const MANAGER: &str = "refcorpus-probe";

fn load(file: &str) -> Value {
    let path = format!(
        "{}/tests/golden/defaults/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Paths of the defaulted input that kube-apiserver fills in only after recording
/// the creator's fields (in the storage strategy or the REST storage), while vnest's
/// `apply_defaults` already sets them: they must not be owned by the creator.
const SET_AFTER_TRACKING: &[(&str, &[&[&str]], &str)] = &[
    (
        "job-minimal.json",
        &[
            &["spec", "selector"],
            &[
                "spec",
                "template",
                "metadata",
                "labels",
                "batch.kubernetes.io/controller-uid",
            ],
            &[
                "spec",
                "template",
                "metadata",
                "labels",
                "batch.kubernetes.io/job-name",
            ],
            &["spec", "template", "metadata", "labels", "controller-uid"],
            &["spec", "template", "metadata", "labels", "job-name"],
        ],
        "the Job strategy generates the selector and its pod labels in PrepareForCreate",
    ),
    (
        "namespace-minimal.json",
        &[&["spec", "finalizers"]],
        "the Namespace strategy adds the `kubernetes` finalizer in PrepareForCreate",
    ),
    (
        "service-headless-minimal.json",
        &[&["spec", "clusterIPs"]],
        "the Service REST storage fills clusterIPs when it allocates (here: None)",
    ),
];

fn remove_path(v: &mut Value, path: &[&str]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = &mut *v;
    for p in parents {
        match cur.get_mut(*p) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    let removed = cur.as_object_mut().and_then(|m| m.remove(*last)).is_some();
    let emptied = cur.as_object().is_some_and(|m| m.is_empty());
    if emptied && parents.last() == Some(&"labels") {
        // an emptied label map is absent, as it would be in kube's object
        let _ = remove_path(v, parents);
    }
    removed
}

struct Case {
    /// The defaulted input, as the server has it when it records the creator.
    obj: Value,
    definition: Option<&'static str>,
    api_version: String,
    status_sub: bool,
    /// The creator's entry kube recorded.
    recorded: Value,
    create_response: Value,
}

fn case(file: &str) -> Case {
    let case = load(file);
    let mut obj = case["input"].clone();
    if let Some(ns) = case["create_response"]["metadata"]["namespace"].as_str() {
        obj["metadata"]["namespace"] = Value::String(ns.to_string());
    }
    obj["metadata"]["uid"] = Value::String("<uid>".into());
    let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
    let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    apply_defaults(group, version, &kind, &mut obj);

    let definition = PatchSchema::builtin().definition_for(group, version, &kind);
    assert!(definition.is_some(), "{file}: no definition for {kind}");
    let registry = Registry::builtin();
    let info = registry
        .by_kind(group, version, &kind)
        .unwrap_or_else(|| panic!("{file}: {kind} not registered"));
    let recorded = case["stored_managedFields"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["manager"] == MANAGER))
        .cloned()
        .unwrap_or_else(|| panic!("{file}: no {MANAGER} entry"));
    Case {
        obj,
        definition,
        api_version,
        status_sub: info.subresource("status").is_some(),
        recorded,
        create_response: case["create_response"].clone(),
    }
}

fn create_entry(c: &Case, obj: &Value) -> Value {
    update_managed_fields(
        None,
        obj,
        c.definition,
        MANAGER,
        &c.api_version,
        None,
        c.status_sub,
        "<time>",
    )
}

fn files() -> Vec<String> {
    let dir = format!("{}/tests/golden/defaults", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 31, "golden/defaults cases");
    files
}

#[test]
fn create_entries_match_kube() {
    let mut mismatches = Vec::new();
    for file in files() {
        let c = case(&file);
        let mut obj = c.obj.clone();
        let exception = SET_AFTER_TRACKING.iter().find(|(f, _, _)| *f == file);
        if let Some((_, paths, why)) = exception {
            // as computed from the fully defaulted input the entry differs ...
            assert_ne!(
                create_entry(&c, &obj),
                Value::Array(vec![c.recorded.clone()]),
                "{file}: listed as differing ({why}) but matches"
            );
            for p in *paths {
                assert!(
                    remove_path(&mut obj, p),
                    "{file}: {p:?} not set by defaulting"
                );
            }
        }
        // ... and equals kube's once those fields are left out
        let computed = create_entry(&c, &obj);
        if computed != Value::Array(vec![c.recorded.clone()]) {
            mismatches.push(format!(
                "{file}:\n  computed {computed}\n  recorded {}",
                c.recorded
            ));
        }
        if !c.status_sub {
            assert_eq!(
                fields_v1(c.definition, &obj),
                computed[0]["fieldsV1"],
                "{file}: fields_v1 and the create entry differ"
            );
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Whether every path of FieldsV1 set `small` is in `big` (`".": {}` included).
fn subset(small: &Value, big: &Value) -> bool {
    match (small.as_object(), big.as_object()) {
        (Some(s), Some(b)) => s.iter().all(|(k, v)| {
            b.get(k).is_some_and(|bv| {
                // a leaf in `small` may be a node with "." in `big`
                let v_leaf = v.as_object().is_some_and(|m| m.is_empty());
                let b_member = bv
                    .as_object()
                    .is_some_and(|m| m.is_empty() || m.contains_key("."));
                (v_leaf && b_member) || subset(v, bv)
            })
        }),
        _ => false,
    }
}

/// From the create response (after admission and storage), the creator would own a
/// superset of what kube recorded: the extra paths are what admission plugins and
/// the storage layer added (the Pod's service account volume, tolerations and
/// priority, the PVC's protection finalizer, Service cluster IPs and node ports, the
/// Job selector, the Namespace finalizer).
#[test]
fn create_response_owns_a_superset() {
    let mut extra_cases = Vec::new();
    for file in files() {
        let c = case(&file);
        let computed = create_entry(&c, &c.create_response);
        let fields = &computed[0]["fieldsV1"];
        assert!(
            subset(&c.recorded["fieldsV1"], fields),
            "{file}: recorded {} not within {fields}",
            c.recorded["fieldsV1"]
        );
        if *fields != c.recorded["fieldsV1"] {
            extra_cases.push(file);
        }
    }
    assert_eq!(
        extra_cases,
        [
            "job-minimal.json",
            "namespace-minimal.json",
            "persistentvolumeclaim-minimal.json",
            "pod-minimal.json",
            "service-clusterip-minimal.json",
            "service-headless-minimal.json",
            "service-nodeport-minimal.json",
        ]
    );
}

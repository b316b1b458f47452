//! The `fieldValidation` cases of the golden corpus (golden/fields/errors.json, copied
//! from the reference errors.json): each request is replayed through
//! `vnest_api::fields` and the Status (message, reason, code, details, member order),
//! the warnings and the decoded object are compared with what kube-apiserver answered.

use serde_json::{json, Value};
use vnest_api::fields::{
    check_patched_with, decode_object, field_validation, merge_patch_text, strict_decoding_status,
    FieldsError,
};
use vnest_api::patch::{decode_merge_patch, json_merge_patch, PatchSchema};

fn cases() -> Vec<Value> {
    let path = format!(
        "{}/tests/golden/fields/errors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    match serde_json::from_str(&text) {
        Ok(Value::Array(cases)) => cases,
        other => panic!("{path}: not a list: {other:?}"),
    }
}

fn case(name: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no golden case {name}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

/// The `fieldValidation` query parameter of the request path, if any.
fn query_validation(path: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("fieldValidation="))
        .map(str::to_string)
}

/// Byte-for-byte comparison of two Status bodies (member order included).
fn assert_same_json(name: &str, got: &Value, want: &Value) {
    assert_eq!(got, want, "{name}");
    assert_eq!(
        serde_json::to_string(got).ok(),
        serde_json::to_string(want).ok(),
        "{name}: member order"
    );
}

/// The `Warning` header kube-apiserver sends for one warning.
fn warning_header(w: &str) -> String {
    format!("299 - \"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""))
}

fn definition_of(body: &Value) -> String {
    let api_version = s(body, "apiVersion");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    PatchSchema::builtin()
        .definition_for(group, version, s(body, "kind"))
        .unwrap_or_else(|| panic!("no definition for {body}"))
        .to_string()
}

/// Replays a create (POST) case.
fn replay_create(c: &Value) {
    let name = s(c, "name");
    let body = s(c, "body");
    let yaml = s(&c["headers"], "Content-Type").contains("yaml");
    let want_status = c["status"].as_u64();
    let want_body = &c["response_body"];
    let validation =
        match field_validation("CreateOptions", query_validation(s(c, "path")).as_deref()) {
            Ok(v) => v,
            Err(status) => {
                assert_eq!(want_status, Some(422), "{name}");
                assert_same_json(name, &status, want_body);
                return;
            }
        };
    let (kind, version, definition) = if yaml {
        // the YAML cases are ConfigMaps
        (
            "ConfigMap".to_string(),
            "v1".to_string(),
            "io.k8s.api.core.v1.ConfigMap".to_string(),
        )
    } else {
        let v: Value = serde_json::from_str(body).expect("JSON body");
        let version = s(&v, "apiVersion").rsplit('/').next().unwrap_or_default();
        (
            s(&v, "kind").to_string(),
            version.to_string(),
            definition_of(&v),
        )
    };
    check_create(
        c,
        body.as_bytes(),
        yaml,
        &kind,
        &version,
        &definition,
        validation,
    );
}

fn check_create(
    c: &Value,
    body: &[u8],
    yaml: bool,
    kind: &str,
    version: &str,
    definition: &str,
    validation: vnest_api::fields::FieldValidation,
) {
    let name = s(c, "name");
    let want_status = c["status"].as_u64();
    let want_body = &c["response_body"];
    match decode_object(body, yaml, Some(definition), validation) {
        Err(FieldsError::Strict(errors)) => {
            assert_eq!(want_status, Some(400), "{name}");
            assert_same_json(
                name,
                &strict_decoding_status(kind, version, &errors),
                want_body,
            );
        }
        Err(other) => panic!("{name}: unexpected error {other}"),
        Ok(decoded) => {
            assert_eq!(want_status, Some(201), "{name}");
            let headers: Vec<String> = decoded.warnings.iter().map(|w| warning_header(w)).collect();
            let want_headers: Vec<String> = c["response_headers"]["Warning"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(headers, want_headers, "{name}: warnings");
            // what was stored: the same members as the response, with the same data
            let obj = decoded.object.as_object().expect("object");
            let stored = want_body.as_object().expect("object");
            for k in obj.keys() {
                assert!(
                    stored.contains_key(k),
                    "{name}: {k} should have been pruned"
                );
            }
            assert_eq!(decoded.object["data"], want_body["data"], "{name}");
            assert_eq!(
                decoded.object["metadata"]["name"], want_body["metadata"]["name"],
                "{name}"
            );
        }
    }
}

#[test]
fn golden_corpus_has_the_cases() {
    let names: Vec<String> = cases().iter().map(|c| s(c, "name").to_string()).collect();
    assert_eq!(names.len(), 10, "{names:?}");
}

#[test]
fn unknown_field_strict() {
    replay_create(&case("unknown-field-strict"));
}

#[test]
fn unknown_field_warn() {
    replay_create(&case("unknown-field-warn"));
}

#[test]
fn unknown_field_ignore() {
    replay_create(&case("unknown-field-ignore"));
}

#[test]
fn unknown_field_default_validation_is_warn() {
    let c = case("unknown-field-default-validation");
    assert_eq!(query_validation(s(&c, "path")), None);
    replay_create(&c);
}

#[test]
fn unknown_nested_fields_strict() {
    let c = case("unknown-nested-fields-strict");
    assert!(s(&c["response_body"], "message").contains(
        r#"unknown field "spec.template.spec.containers[0].imagePullPolicyy", unknown field "spec.replicass""#
    ));
    replay_create(&c);
}

#[test]
fn duplicate_field_strict() {
    replay_create(&case("duplicate-field-strict"));
}

#[test]
fn duplicate_field_warn_merges_the_values() {
    let c = case("duplicate-field-warn");
    assert_eq!(c["response_body"]["data"], json!({"a": "1", "b": "2"}));
    replay_create(&c);
}

#[test]
fn duplicate_field_yaml_strict() {
    replay_create(&case("duplicate-field-yaml-strict"));
}

#[test]
fn invalid_fieldvalidation_value() {
    let c = case("invalid-fieldvalidation-value");
    replay_create(&c);
    // the same for the other verbs, with their options kind
    for kind in ["UpdateOptions", "PatchOptions"] {
        let status = field_validation(kind, Some("Loud")).expect_err("invalid");
        let want = serde_json::to_string(&c["response_body"])
            .expect("json")
            .replace("CreateOptions", kind);
        assert_eq!(serde_json::to_string(&status).ok(), Some(want));
    }
}

#[test]
fn unknown_field_strict_merge_patch() {
    let c = case("unknown-field-strict-merge-patch");
    assert_eq!(s(&c, "method"), "PATCH");
    let validation = field_validation("PatchOptions", query_validation(s(&c, "path")).as_deref())
        .expect("valid");
    // The stored ConfigMap, in the order kube-apiserver encodes it. The corpus has
    // redacted uid, resourceVersion and times after the fact (a real value has no
    // `<` to escape), so real-looking values go in and are redacted in the answer.
    const UID: &str = "0b4f2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b";
    const RV: &str = "987654321";
    const TIME: &str = "2025-01-01T00:00:00Z";
    let original = json!({
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {
            "name": "existing",
            "namespace": "refcorpus-errors",
            "uid": UID,
            "resourceVersion": RV,
            "creationTimestamp": TIME,
            "managedFields": [{
                "manager": "refcorpus-probe",
                "operation": "Update",
                "apiVersion": "v1",
                "time": TIME,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {".": {}, "f:a": {}}}
            }]
        },
        "data": {"a": "1"}
    });
    let (patch, patch_errors) =
        decode_merge_patch(s(&c, "body").as_bytes(), validation).expect("patch decodes");
    let mut patched = json_merge_patch(&original, &patch).expect("patch applies");
    let before = patched.clone();
    let err = check_patched_with(
        "io.k8s.api.core.v1.ConfigMap",
        &mut patched,
        validation,
        patch_errors,
    )
    .expect_err("strict");
    assert_eq!(patched, before, "left as it was");
    let status = err.to_status(&merge_patch_text(&original, &patch));
    let redacted = serde_json::to_string(&status)
        .expect("json")
        .replace(UID, "<uid>")
        .replace(RV, "<rv>")
        .replace(TIME, "<time>");
    let status: Value = serde_json::from_str(&redacted).expect("json");
    assert_eq!(c["status"].as_u64(), Some(422));
    assert_same_json(
        "unknown-field-strict-merge-patch",
        &status,
        &c["response_body"],
    );
}

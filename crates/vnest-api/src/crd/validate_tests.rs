//! Tests of CRD validation.

use serde_json::{json, Value};

use super::{prepare_for_create, prepare_for_update, validate_crd};
use crate::validation::field::FieldError;

fn crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "apps.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "apps", "singular": "app", "kind": "App", "listKind": "AppList",
                      "shortNames": ["ap"], "categories": ["all"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object",
                                 "x-kubernetes-validations": [{"rule": "self.replicas >= 0"}],
                                 "properties": {
                                     "replicas": {"type": "integer", "default": 1},
                                     "ports": {"type": "array", "x-kubernetes-list-type": "map",
                                               "x-kubernetes-list-map-keys": ["name"],
                                               "items": {"type": "object", "required": ["name"],
                                                         "properties": {"name": {"type": "string"}}}}}},
                        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}
                    }
                }},
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
                "additionalPrinterColumns": [{"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]
            }]
        }
    })
}

fn check(mut c: Value) -> Vec<String> {
    prepare_for_create(&mut c);
    validate_crd(&c, None)
        .iter()
        .map(FieldError::message)
        .collect()
}

fn with(mut c: Value, pointer: &str, v: Value) -> Value {
    if let Some(slot) = c.pointer_mut(pointer) {
        *slot = v;
    } else if let Some((parent, key)) = pointer.rsplit_once('/') {
        match c.pointer_mut(parent) {
            Some(Value::Object(m)) => {
                m.insert(key.to_string(), v);
            }
            Some(Value::Array(a)) => a.push(v),
            _ => {}
        }
    }
    c
}

const SCHEMA: &str = "/spec/versions/0/schema/openAPIV3Schema";
const P: &str = "spec.validation.openAPIV3Schema";

#[test]
fn valid_crd() {
    assert_eq!(check(crd()), Vec::<String>::new());
}

#[test]
fn names_group_scope() {
    let c = with(crd(), "/metadata/name", json!("foo.example.com"));
    assert_eq!(
        check(c),
        vec!["metadata.name: Invalid value: \"foo.example.com\": must be spec.names.plural+\".\"+spec.group"]
    );
    let c = with(
        with(crd(), "/spec/group", json!("example")),
        "/metadata/name",
        json!("apps.example"),
    );
    assert_eq!(
        check(c),
        vec!["spec.group: Invalid value: \"example\": should be a domain with at least one dot"]
    );
    let c = with(crd(), "/spec/scope", json!("Global"));
    assert_eq!(
        check(c),
        vec!["spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\""]
    );
    let c = with(crd(), "/spec/names/singular", json!("App"));
    assert_eq!(check(c)[0], "spec.names.singular: Invalid value: \"App\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
    let c = with(crd(), "/spec/names/listKind", json!("App"));
    assert_eq!(
        check(c),
        vec!["spec.names.listKind: Invalid value: \"App\": kind and listKind may not be the same"]
    );
    let c = with(crd(), "/spec/names/kind", json!(""));
    assert_eq!(check(c), vec!["spec.names.kind: Required value"]);
    let c = with(crd(), "/spec/names/shortNames", json!(["a_b"]));
    assert!(check(c)[0]
        .starts_with("spec.names.shortNames[0]: Invalid value: \"a_b\": a DNS-1035 label"));
    let c = with(
        with(crd(), "/spec/group", json!("x.k8s.io")),
        "/metadata/name",
        json!("apps.x.k8s.io"),
    );
    assert_eq!(check(c), vec!["metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111"]);
}

#[test]
fn versions() {
    let mut v2 = crd()["spec"]["versions"][0].clone();
    v2["name"] = json!("v2");
    let c = with(crd(), "/spec/versions/1", v2.clone());
    let got = check(c);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("spec.versions: Invalid value: [{\"name\":\"v1\""),
        "{}",
        got[0]
    );
    assert!(got[0].ends_with(": must have exactly one version marked as storage version"));
    assert_eq!(
        got[1],
        "status.storedVersions: Invalid value: [\"v1\"]: must have the storage version v2"
    );
    let c = with(crd(), "/spec/versions", json!([]));
    assert_eq!(
        check(c),
        vec![
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version",
            "status.storedVersions: Invalid value: []: must have at least one stored version",
        ]
    );
    let mut dup = v2.clone();
    dup["name"] = json!("v1");
    dup["storage"] = json!(false);
    let got = check(with(crd(), "/spec/versions/1", dup));
    assert!(
        got[0].ends_with(": must contain unique version names"),
        "{got:?}"
    );
    let mut bad = v2.clone();
    bad["name"] = json!("V2");
    bad["storage"] = json!(false);
    let got = check(with(crd(), "/spec/versions/1", bad));
    assert!(
        got[0].starts_with("spec.versions[1].name: Invalid value: \"V2\": a DNS-1035 label"),
        "{got:?}"
    );
    // Different schemas stay per version; a missing one is required.
    let c = with(
        with(crd(), "/spec/versions/1", v2),
        "/spec/versions/1/storage",
        json!(false),
    );
    let c = with(c, "/spec/versions/1/schema", Value::Null);
    assert_eq!(
        check(c),
        vec!["spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required"]
    );
}

#[test]
fn structural_schema() {
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/extra"),
        json!({"description": "no type"}),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].properties[extra].type: Required value: must not be empty for specified object fields")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/additionalProperties"),
        json!({"type": "string"}),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/metadata"),
        json!({"type": "object", "properties": {"labels": {"type": "object"}}}),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/metadata"),
        json!({"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}}),
    );
    assert_eq!(check(c), Vec::<String>::new());
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/ref"),
        json!({"$ref": "#/definitions/x"}),
    );
    assert_eq!(
        check(c),
        vec![
            format!("{P}.properties[spec].properties[ref].type: Required value: must not be empty for specified object fields"),
            format!("{P}.properties[spec].properties[ref].$ref: Forbidden: $ref is not supported"),
        ]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/list"),
        json!({"type": "array"}),
    );
    assert_eq!(
        check(c),
        vec![format!(
            "{P}.properties[spec].properties[list].items: Required value: must be specified"
        )]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/u"),
        json!({"type": "array", "uniqueItems": true, "items": {"type": "string"}}),
    );
    assert_eq!(check(c), vec![format!("{P}.properties[spec].properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic")]);
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/anyOf"),
        json!([{"type": "object", "properties": {"replicas": {"minimum": 1}}}]),
    );
    assert_eq!(
        check(c),
        vec![format!(
            "{P}.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural"
        )]
    );
    let c = with(crd(), &format!("{SCHEMA}/type"), json!("string"));
    let got = check(c);
    assert!(
        got.contains(&format!(
            "{P}.type: Invalid value: \"string\": must be object at the root"
        )),
        "{got:?}"
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/e"),
        json!({"x-kubernetes-embedded-resource": true}),
    );
    assert_eq!(
        check(c),
        vec![
            format!("{P}.properties[spec].properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"),
            format!("{P}.properties[spec].properties[e].type: Required value: must be object if x-kubernetes-embedded-resource is true"),
        ]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/x-kubernetes-preserve-unknown-fields"),
        json!(false),
    );
    assert_eq!(check(c), vec![format!("{P}.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined")]);
}

#[test]
fn list_types() {
    let ports = format!("{SCHEMA}/properties/spec/properties/ports");
    let c = with(crd(), &format!("{ports}/items/required"), json!([]));
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].properties[ports].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property")]
    );
    let c = with(
        crd(),
        &format!("{ports}/x-kubernetes-list-map-keys"),
        json!(["nope"]),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].properties[ports].x-kubernetes-list-map-keys: Invalid value: [\"nope\"]: entries must all be names of item properties")]
    );
    let c = with(
        crd(),
        &format!("{ports}/x-kubernetes-list-type"),
        json!("bag"),
    );
    let got = check(c);
    assert!(got.contains(&format!("{P}.properties[spec].properties[ports].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\"")), "{got:?}");
    let c = with(
        crd(),
        &format!("{ports}/x-kubernetes-list-type"),
        json!("set"),
    );
    let got = check(c);
    assert!(got.contains(&format!("{P}.properties[spec].properties[ports].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set")), "{got:?}");
}

#[test]
fn defaults_and_rules() {
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/replicas/default"),
        json!("one"),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].properties[replicas].default: Invalid value: \"string\": in body must be of type integer: \"string\"")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/default"),
        json!({"replicas": -1}),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].default: Invalid value: \"object\": failed rule: self.replicas >= 0")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/default"),
        json!({"unknown": 1, "replicas": 1}),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].default: Invalid value: {{\"unknown\":1,\"replicas\":1}}: must not have unknown fields")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/metadata"),
        json!({"type": "object", "default": {"name": "x"}}),
    );
    assert_eq!(
        check(c),
        vec![format!(
            "{P}.properties[metadata].default: Forbidden: must not be set in top-level metadata"
        )]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/x-kubernetes-validations"),
        json!([{"rule": "self.replicas >"}]),
    );
    let got = check(c);
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with(&format!("{P}.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {{\"rule\":\"self.replicas \\u003e\"}}: compilation failed: ERROR: <input>:1:16: Syntax error: ")),
        "{got:?}"
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/x-kubernetes-validations"),
        json!([{"rule": "self.x == y"}]),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].x-kubernetes-validations[0].rule: Invalid value: {{\"rule\":\"self.x == y\"}}: compilation failed: ERROR: <input>: undeclared reference to 'y' (in container '')")]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/x-kubernetes-validations"),
        json!([{"rule": " "}, {"rule": "true", "reason": "Bad"}, {"rule": "true", "fieldPath": ".nope"}]),
    );
    assert_eq!(
        check(c),
        vec![
            format!("{P}.properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified"),
            format!("{P}.properties[spec].x-kubernetes-validations[1].reason: Unsupported value: \"Bad\": supported values: \"FieldValueDuplicate\", \"FieldValueForbidden\", \"FieldValueInvalid\", \"FieldValueRequired\""),
            format!("{P}.properties[spec].x-kubernetes-validations[2].fieldPath: Invalid value: \".nope\": fieldPath must be a valid path"),
        ]
    );
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/ports/items/x-kubernetes-validations"),
        json!([{"rule": "self == oldSelf"}]),
    );
    assert_eq!(check(c), Vec::<String>::new());
    let c = with(
        crd(),
        &format!("{SCHEMA}/properties/spec/properties/tags"),
        json!({"type": "array", "items": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}),
    );
    assert_eq!(
        check(c),
        vec![format!("{P}.properties[spec].properties[tags].items.x-kubernetes-validations[0].rule: Invalid value: \"self == oldSelf\": oldSelf cannot be used on the uncorrelatable portion of the schema within {P}.properties[spec].properties[tags]")]
    );
}

#[test]
fn subresources_columns_conversion() {
    let c = with(
        crd(),
        "/spec/versions/0/subresources/scale/specReplicasPath",
        json!(".status.replicas"),
    );
    assert_eq!(check(c), vec!["spec.subresources.scale.specReplicasPath: Invalid value: \".status.replicas\": should be a json path under .spec"]);
    let c = with(
        crd(),
        "/spec/versions/0/subresources/scale/statusReplicasPath",
        json!("status.replicas"),
    );
    assert_eq!(check(c), vec!["spec.subresources.scale.statusReplicasPath: Invalid value: \"status.replicas\": must be a simple json path starting with ."]);
    let c = with(
        crd(),
        "/spec/versions/0/additionalPrinterColumns",
        json!([{"name": "", "type": "str", "format": "x", "jsonPath": "spec"}]),
    );
    assert_eq!(
        check(c),
        vec![
            "spec.additionalPrinterColumns[0].name: Required value",
            "spec.additionalPrinterColumns[0].type: Invalid value: \"str\": must be one of boolean,date,integer,number,string",
            "spec.additionalPrinterColumns[0].format: Invalid value: \"x\": must be one of byte,date,date-time,double,float,int32,int64,password",
            "spec.additionalPrinterColumns[0].JSONPath: Invalid value: \"spec\": must be a simple json path starting with .",
        ]
    );
    let c = with(crd(), "/spec/conversion", json!({"strategy": "Webhook"}));
    assert_eq!(
        check(c),
        vec![
            "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
            "spec.conversion.conversionReviewVersions: Required value",
        ]
    );
    let c = with(
        crd(),
        "/spec/conversion",
        json!({"strategy": "Webhook", "webhook": {"clientConfig": {"url": "http://x"}, "conversionReviewVersions": ["v2"]}}),
    );
    assert_eq!(
        check(c),
        vec![
            "spec.conversion.webhookClientConfig.url: Invalid value: \"http://x\": 'https' is the only allowed URL scheme",
            "spec.conversion.conversionReviewVersions: Invalid value: [\"v2\"]: must include at least one of v1, v1beta1",
        ]
    );
    let c = with(
        crd(),
        "/spec/conversion",
        json!({"strategy": "None", "webhook": {"clientConfig": {"url": "https://x"}}}),
    );
    assert_eq!(check(c), vec!["spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook"]);
    assert_eq!(
        check(with(crd(), "/spec/conversion", json!({"strategy": "None"}))),
        Vec::<String>::new()
    );
}

#[test]
fn updates() {
    let mut old = crd();
    prepare_for_create(&mut old);
    old["status"]["conditions"] = json!([{"type": "Established", "status": "True"}]);
    let upd = |new: Value| -> Vec<String> {
        let mut n = new;
        prepare_for_update(&mut n, &old);
        validate_crd(&n, Some(&old))
            .iter()
            .map(FieldError::message)
            .collect()
    };
    assert_eq!(upd(crd()), Vec::<String>::new());
    assert_eq!(
        upd(with(crd(), "/spec/scope", json!("Cluster"))),
        vec!["spec.scope: Invalid value: \"Cluster\": field is immutable"]
    );
    let got = upd(with(crd(), "/spec/names/plural", json!("things")));
    assert!(
        got.contains(
            &"spec.names.plural: Invalid value: \"things\": field is immutable".to_string()
        ),
        "{got:?}"
    );
    // Dropping a stored version from spec.versions.
    let mut v2 = crd()["spec"]["versions"][0].clone();
    v2["name"] = json!("v2");
    let mut n = with(crd(), "/spec/versions/0", v2);
    prepare_for_update(&mut n, &old);
    assert_eq!(n["status"]["storedVersions"], json!(["v1", "v2"]));
    let got: Vec<String> = validate_crd(&n, Some(&old))
        .iter()
        .map(FieldError::message)
        .collect();
    assert_eq!(got, vec!["status.storedVersions[0]: Invalid value: \"v1\": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions"]);
}

//! Tests of [`Schema`]: validation messages, CEL, defaults, pruning.

use serde_json::{json, Value};

use super::Schema;
use crate::validation::field::FieldError;

fn operator_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["image"],
                "x-kubernetes-validations": [
                    {"rule": "self.minReplicas <= self.replicas", "message": "replicas must be at least minReplicas"},
                    {"rule": "!has(self.paused) || !self.paused || self.replicas == 0",
                     "messageExpression": "'paused with ' + string(self.replicas) + ' replicas'",
                     "fieldPath": ".replicas", "reason": "FieldValueForbidden"}
                ],
                "properties": {
                    "image": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[a-z0-9./:-]+$"},
                    "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
                    "minReplicas": {"type": "integer", "default": 0},
                    "ratio": {"type": "number", "multipleOf": 0.5, "exclusiveMinimum": true, "minimum": 0},
                    "paused": {"type": "boolean"},
                    "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                    "port": {"x-kubernetes-int-or-string": true},
                    "id": {"type": "string", "format": "uuid"},
                    "when": {"type": "string", "format": "date-time"},
                    "size": {"type": "string", "x-kubernetes-validations": [
                        {"rule": "self == oldSelf", "message": "size is immutable"}
                    ]},
                    "tags": {"type": "array", "minItems": 1, "maxItems": 3,
                             "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map",
                              "x-kubernetes-list-map-keys": ["name"],
                              "items": {"type": "object", "required": ["name"],
                                        "properties": {"name": {"type": "string"},
                                                       "port": {"type": "integer", "default": 80},
                                                       "protocol": {"type": "string", "default": "TCP"}}}},
                    "labels": {"type": "object", "maxProperties": 2,
                               "additionalProperties": {"type": "string", "maxLength": 5}},
                    "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                               "properties": {"level": {"type": "integer"}}},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                 "x-kubernetes-preserve-unknown-fields": true},
                    "note": {"type": "string", "nullable": true},
                    "nested": {"type": "object", "default": {},
                               "properties": {"a": {"type": "string", "default": "x"},
                                              "b": {"type": "object", "properties": {"c": {"type": "integer", "default": 3}}}}}
                }
            },
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
        }
    })
}

fn schema() -> Schema {
    match Schema::compile(&operator_schema()) {
        Ok(s) => s,
        Err(e) => panic!("compile: {e}"),
    }
}

fn obj(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "App", "metadata": {"name": "a"}, "spec": spec})
}

fn msgs(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(FieldError::message).collect()
}

const BLOCKED: &str = "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

#[test]
fn valid_object_passes() {
    let s = schema();
    let o = obj(
        json!({"image": "nginx:1", "replicas": 2, "minReplicas": 1, "ratio": 1.5,
        "mode": "b", "port": "http", "tags": ["a", "b"], "labels": {"a": "x"},
        "ports": [{"name": "a"}, {"name": "b"}], "note": null,
        "id": "123e4567-e89b-12d3-a456-426614174000", "when": "2024-01-01T00:00:00Z",
        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}}),
    );
    assert_eq!(msgs(&s.validate(&o, None)), Vec::<String>::new());
}

#[test]
fn type_errors_block_cel() {
    let s = schema();
    let o = obj(json!({"image": "x", "replicas": "string", "minReplicas": 5}));
    assert_eq!(
        msgs(&s.validate(&o, None)),
        vec![
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"".to_string(),
            BLOCKED.to_string(),
        ]
    );
    let errs = s.validate(&o, None);
    assert_eq!(errs[0].cause_reason(), "FieldValueTypeInvalid");
    let o = obj(json!({"image": "x", "replicas": 1.5}));
    assert_eq!(
        msgs(&s.validate(&o, None))[0],
        "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\""
    );
    // 2.0 is an integer for kube.
    let o = obj(json!({"image": "x", "replicas": 2.0, "minReplicas": 0}));
    assert!(s.validate(&o, None).is_empty());
    let o = obj(json!({"image": "x", "port": true}));
    assert_eq!(
        msgs(&s.validate(&o, None))[0],
        "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""
    );
    let o = obj(json!({"image": null}));
    assert_eq!(
        msgs(&s.validate(&o, None))[0],
        "spec.image: Invalid value: \"null\": spec.image in body must be of type string: \"null\""
    );
}

#[test]
fn keyword_messages() {
    let s = schema();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"image": "x", "replicas": 12}), "spec.replicas: Invalid value: 12: spec.replicas in body should be less than or equal to 10"),
        (json!({"image": "x", "replicas": -1}), "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"),
        (json!({"image": "x", "ratio": 0}), "spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"),
        (json!({"image": "x", "ratio": 0.7}), "spec.ratio: Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5"),
        (json!({"image": ""}), "spec.image: Invalid value: \"\": spec.image in body should be at least 1 chars long"),
        (json!({"image": "a-very-long-image-name-indeed"}), "spec.image: Too long: may not be more than 20 bytes"),
        (json!({"image": "UPPER"}), "spec.image: Invalid value: \"UPPER\": spec.image in body should match '^[a-z0-9./:-]+$'"),
        (json!({"image": "x", "mode": "c"}), "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\""),
        (json!({"image": "x", "tags": []}), "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"),
        (json!({"image": "x", "tags": ["a", "b", "c", "d"]}), "spec.tags: Too many: 4: must have at most 3 items"),
        (json!({"image": "x", "labels": {"a": "1", "b": "2", "c": "3"}}), "spec.labels: Too many: 3: must have at most 2 items"),
        (json!({"image": "x", "labels": {"a": "toolong"}}), "spec.labels.a: Too long: may not be more than 5 bytes"),
        (json!({"image": "x", "id": "nope"}), "spec.id: Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\""),
        (json!({"image": "x", "when": "later"}), "spec.when: Invalid value: \"later\": spec.when in body must be of type date-time: \"later\""),
        (json!({"replicas": 1}), "spec.image: Required value"),
        (json!({"image": "x", "ports": [{"port": 1}]}), "spec.ports[0].name: Required value"),
        (json!({"image": "x", "config": {"level": "high"}}), "spec.config.level: Invalid value: \"string\": spec.config.level in body must be of type integer: \"string\""),
    ];
    for (spec, want) in cases {
        let got = msgs(&s.validate(&obj(spec.clone()), None));
        assert_eq!(got.first().map(String::as_str), Some(want), "{spec}");
    }
}

#[test]
fn list_types_and_embedded() {
    let s = schema();
    let o = obj(
        json!({"image": "x", "replicas": 1, "minReplicas": 0, "tags": ["a", "b", "a"],
        "ports": [{"name": "a"}, {"name": "b"}, {"name": "a", "port": 2}]}),
    );
    assert_eq!(
        msgs(&s.validate(&o, None)),
        vec![
            "spec.tags[2]: Duplicate value: \"a\"",
            "spec.ports[2]: Duplicate value: {\"name\":\"a\"}",
        ]
    );
    let o = obj(
        json!({"image": "x", "template": {"metadata": {"name": "Bad_Name", "labels": {"a": "b c"}}}}),
    );
    let got = msgs(&s.validate(&o, None));
    assert_eq!(
        got[0],
        "spec.template.apiVersion: Required value: must not be empty"
    );
    assert_eq!(
        got[1],
        "spec.template.kind: Required value: must not be empty"
    );
    assert!(got[2].starts_with("spec.template.metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"), "{}", got[2]);
    assert!(
        got[3].starts_with("spec.template.metadata.labels: Invalid value: \"b c\""),
        "{}",
        got[3]
    );
    assert_eq!(got[4], BLOCKED);
    let o = obj(json!({"image": "x", "replicas": 1, "minReplicas": 0,
        "template": {"apiVersion": "a/b/c", "kind": "my_kind"}}));
    assert_eq!(
        msgs(&s.validate(&o, None)),
        vec![
            "spec.template.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c".to_string(),
            "spec.template.kind: Invalid value: \"my_kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".to_string(),
        ]
    );
}

#[test]
fn cel_rules_and_messages() {
    let s = schema();
    let o = obj(json!({"image": "x", "replicas": 1, "minReplicas": 3}));
    assert_eq!(
        msgs(&s.validate(&o, None)),
        vec!["spec: Invalid value: \"object\": replicas must be at least minReplicas"]
    );
    let o = obj(json!({"image": "x", "replicas": 2, "minReplicas": 0, "paused": true}));
    let errs = s.validate(&o, None);
    assert_eq!(
        msgs(&errs),
        vec!["spec.replicas: Forbidden: paused with 2 replicas"]
    );
    assert_eq!(errs[0].cause_reason(), "FieldValueForbidden");
    // A missing field is a runtime error, reported with the rule.
    let o = obj(json!({"image": "x", "replicas": 1}));
    assert_eq!(
        msgs(&s.validate(&o, None)),
        vec!["spec: Invalid value: \"object\": no such key: minReplicas evaluating rule: replicas must be at least minReplicas"]
    );
}

#[test]
fn transition_rules_and_ratcheting() {
    let s = schema();
    let old = obj(json!({"image": "x", "replicas": 1, "minReplicas": 0, "size": "small"}));
    let new = obj(json!({"image": "x", "replicas": 1, "minReplicas": 0, "size": "large"}));
    // Create: oldSelf rules are not evaluated.
    assert!(s.validate(&new, None).is_empty());
    assert_eq!(
        msgs(&s.validate(&new, Some(&old))),
        vec!["spec.size: Invalid value: \"string\": size is immutable"]
    );
    assert!(s.validate(&old, Some(&old)).is_empty());
    // An invalid value stored earlier is tolerated while unchanged.
    let stored = obj(json!({"image": "x", "replicas": 50, "minReplicas": 0}));
    let update = obj(json!({"image": "y", "replicas": 50, "minReplicas": 0}));
    assert!(s.validate(&update, Some(&stored)).is_empty());
    assert!(!s.validate(&update, None).is_empty());
}

#[test]
fn message_expression_falls_back() {
    let s = Schema::compile(
        &json!({"type": "object", "properties": {"spec": {"type": "object",
        "x-kubernetes-validations": [
            {"rule": "false", "messageExpression": "''", "message": "fallback"},
            {"rule": "false", "messageExpression": "self.nope"},
            {"rule": "1", "message": "m"}
        ]}}}),
    );
    let s = match s {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        msgs(&s.validate(&json!({"spec": {}}), None)),
        vec![
            "spec: Invalid value: \"object\": fallback",
            "spec: Invalid value: \"object\": failed rule: false",
            "spec: Invalid value: \"object\": rule did not evaluate to a bool (got int) evaluating rule: m",
        ]
    );
}

#[test]
fn compile_errors() {
    let e = Schema::compile(
        &json!({"type": "object", "properties": {"spec": {"type": "object",
        "x-kubernetes-validations": [{"rule": "self.a >"}]}}}),
    );
    match e {
        Err(super::SchemaError::Rule { path, index, .. }) => {
            assert_eq!(path, "properties[spec]");
            assert_eq!(index, 0);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Schema::compile(
            &json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}})
        ),
        Err(super::SchemaError::Pattern { .. })
    ));
    assert!(matches!(
        Schema::compile(&json!([])),
        Err(super::SchemaError::NotAnObject { .. })
    ));
    let mut deep = json!({"type": "string"});
    for _ in 0..150 {
        deep = json!({"type": "object", "properties": {"a": deep}});
    }
    assert!(matches!(
        Schema::compile(&deep),
        Err(super::SchemaError::TooDeep { .. })
    ));
}

#[test]
fn deep_objects_do_not_overflow() {
    let s = Schema::compile(
        &json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
        "x-kubernetes-validations": [{"rule": "true"}]}),
    );
    let s = match s {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut v = json!(1);
    for _ in 0..120 {
        v = json!({ "a": v });
    }
    let _ = s.validate(&v, None);
    let mut w = v.clone();
    s.default(&mut w);
    assert!(s.prune(&mut w).is_empty());
}

#[test]
fn defaults() {
    let s = schema();
    let mut o = obj(
        json!({"image": "x", "ports": [{"name": "a"}, {"name": "b", "port": 8080}],
        "replicas": null, "note": null, "tags": null}),
    );
    s.default(&mut o);
    assert_eq!(
        o["spec"],
        json!({"image": "x", "ports": [{"name": "a", "port": 80, "protocol": "TCP"},
            {"name": "b", "port": 8080, "protocol": "TCP"}],
            "replicas": 1, "note": null,
            "minReplicas": 0, "mode": "a", "nested": {"a": "x"}})
    );
    let mut o = obj(json!({"image": "x", "nested": {"b": {}}}));
    s.default(&mut o);
    assert_eq!(o["spec"]["nested"], json!({"b": {"c": 3}, "a": "x"}));
    // The root gets no spec unless the schema defaults it.
    let mut o = json!({"apiVersion": "v", "kind": "K", "metadata": {}});
    s.default(&mut o);
    assert!(o.get("spec").is_none());
}

#[test]
fn pruning() {
    let s = schema();
    let mut o = json!({"apiVersion": "example.com/v1", "kind": "App",
        "metadata": {"name": "a", "labels": {"x": "y"}},
        "extra": 1,
        "spec": {"image": "x", "foo": {"bar": 1},
                 "ports": [{"name": "a", "junk": true}],
                 "labels": {"any": "kept"},
                 "config": {"level": 1, "free": {"form": [1]}},
                 "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}}},
        "status": {"ready": true, "other": "x"}});
    let removed = s.prune(&mut o);
    assert_eq!(
        removed,
        vec!["extra", "spec.foo", "spec.ports[0].junk", "status.other"]
    );
    assert_eq!(o["spec"]["config"]["free"], json!({"form": [1]}));
    assert_eq!(o["spec"]["template"]["spec"], json!({"x": 1}));
    assert_eq!(o["metadata"]["labels"], json!({"x": "y"}));
    assert!(o["spec"].get("foo").is_none());
    // Embedded resource without preserve-unknown keeps apiVersion/kind/metadata.
    let s = match Schema::compile(
        &json!({"type": "object", "properties": {"t": {"type": "object",
        "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}}}}),
    ) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut o =
        json!({"t": {"apiVersion": "v1", "kind": "X", "metadata": {}, "spec": {"a": 1}, "z": 2}});
    assert_eq!(s.prune(&mut o), vec!["t.spec.a", "t.z"]);
    assert_eq!(
        o,
        json!({"t": {"apiVersion": "v1", "kind": "X", "metadata": {}, "spec": {}}})
    );
}

#[test]
fn cel_typing() {
    let s = match Schema::compile(
        &json!({"type": "object", "properties": {"spec": {"type": "object",
        "x-kubernetes-validations": [
            {"rule": "self.timeout > duration('1m')", "message": "timeout"},
            {"rule": "self.at < timestamp('2030-01-01T00:00:00Z')", "message": "at"},
            {"rule": "self.weight > 0.5", "message": "weight"},
            {"rule": "self.items.all(i, i.name.startsWith('x'))", "message": "items"},
            {"rule": "self.limits.exists(k, self.limits[k] > 5)", "message": "limits"},
            {"rule": "type(self.port) == int || self.port.matches('^[a-z]+$')", "message": "port"}
        ],
        "properties": {
            "timeout": {"type": "string", "format": "duration"},
            "at": {"type": "string", "format": "date-time"},
            "weight": {"type": "number"},
            "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "limits": {"type": "object", "additionalProperties": {"type": "integer"}},
            "port": {"x-kubernetes-int-or-string": true}
        }}}}),
    ) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let good = json!({"spec": {"timeout": "5m", "at": "2025-01-01T00:00:00Z", "weight": 1,
        "items": [{"name": "xa"}], "limits": {"a": 6}, "port": 80}});
    assert_eq!(msgs(&s.validate(&good, None)), Vec::<String>::new());
    let bad = json!({"spec": {"timeout": "30s", "at": "2031-01-01T00:00:00Z", "weight": 0.1,
        "items": [{"name": "ya"}], "limits": {"a": 1}, "port": "80"}});
    let got: Vec<String> = s
        .validate(&bad, None)
        .iter()
        .map(|e| e.detail.clone())
        .collect();
    assert_eq!(
        got,
        vec!["timeout", "at", "weight", "items", "limits", "port"]
    );
}

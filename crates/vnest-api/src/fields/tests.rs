use serde_json::json;

use super::*;

const DEPLOYMENT: &str = "io.k8s.api.apps.v1.Deployment";
const CONFIGMAP: &str = "io.k8s.api.core.v1.ConfigMap";
const POD: &str = "io.k8s.api.core.v1.Pod";

fn strict(body: &str, definition: &str) -> Vec<String> {
    match decode_object(
        body.as_bytes(),
        false,
        Some(definition),
        FieldValidation::Strict,
    ) {
        Ok(d) => panic!("expected a strict error, got {:?}", d.object),
        Err(e) => e.strict_errors().to_vec(),
    }
}

fn warn(body: &str, definition: Option<&str>) -> Decoded {
    decode_object(body.as_bytes(), false, definition, FieldValidation::Warn).expect("decodes")
}

#[test]
fn prune_reports_paths_in_document_order() {
    let mut obj = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "foo": 1, "labels": {"any": "thing"}},
        "spec": {
            "zzz": true,
            "selector": {"matchLabels": {"app": "x"}, "bogus": []},
            "template": {"spec": {"containers": [
                {"name": "a", "image": "i"},
                {"name": "b", "image": "i", "imagePullPolicyy": "Always",
                 "ports": [{"containerPort": 80, "hostPortt": 1}]}
            ]}},
            "replicass": 2
        },
        "extra": {"deep": {"x": 1}}
    });
    let paths = prune_unknown(DEPLOYMENT, &mut obj);
    assert_eq!(
        paths,
        [
            "metadata.foo",
            "spec.zzz",
            "spec.selector.bogus",
            "spec.template.spec.containers[1].imagePullPolicyy",
            "spec.template.spec.containers[1].ports[0].hostPortt",
            "spec.replicass",
            "extra",
        ]
    );
    assert_eq!(
        obj,
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"any": "thing"}},
            "spec": {
                "selector": {"matchLabels": {"app": "x"}},
                "template": {"spec": {"containers": [
                    {"name": "a", "image": "i"},
                    {"name": "b", "image": "i", "ports": [{"containerPort": 80}]}
                ]}}
            }
        })
    );
    // the order of the remaining members is kept
    let keys: Vec<&String> = obj.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
    // a clean object is left as it was
    let before = obj.clone();
    assert!(prune_unknown(DEPLOYMENT, &mut obj).is_empty());
    assert_eq!(obj, before);
}

#[test]
fn free_form_fields_are_never_reported() {
    let mut cm = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "labels": {"weird.key/x": "1", "spec": "2"},
            "annotations": {"anything": "{\"a\":1}"},
            "managedFields": [{
                "manager": "m", "operation": "Update", "apiVersion": "v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {".": {}, "f:a": {}}, "f:whatever": {"k:{\"x\":1}": {}}}
            }]
        },
        "data": {"unknownField": "x", "replicass": "y"},
        "binaryData": {"k": "AA=="}
    });
    let before = cm.clone();
    assert!(prune_unknown(CONFIGMAP, &mut cm).is_empty());
    assert_eq!(cm, before);

    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {
            "nodeSelector": {"disk": "ssd"},
            "containers": [{
                "name": "c", "image": "i",
                "resources": {"limits": {"cpu": "1", "example.com/gpu": 2},
                              "requests": {"memory": "1Gi"}},
                "ports": [{"containerPort": "http-as-int-or-string?"}],
                "livenessProbe": {"httpGet": {"port": "http", "path": "/"}}
            }],
            "overhead": {"cpu": "100m"}
        }
    });
    let before = pod.clone();
    assert!(prune_unknown(POD, &mut pod).is_empty());
    assert_eq!(pod, before);

    // RawExtension (ControllerRevision.data) is taken whole
    let mut rev = json!({
        "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
        "revision": 1, "data": {"spec": {"anything": {"goes": [1, 2]}}}
    });
    let before = rev.clone();
    assert!(prune_unknown("io.k8s.api.apps.v1.ControllerRevision", &mut rev).is_empty());
    assert_eq!(rev, before);
}

#[test]
fn unknown_definitions_are_left_alone() {
    let mut obj = json!({"spec": {"anything": 1}});
    assert!(prune_unknown("com.example.v1.Widget", &mut obj).is_empty());
    assert_eq!(obj, json!({"spec": {"anything": 1}}));
}

#[test]
fn object_meta_unknown_fields() {
    let errors = strict(
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","foo":"bar","labels":{"a":"b"}}}"#,
        CONFIGMAP,
    );
    assert_eq!(errors, [r#"unknown field "metadata.foo""#]);
}

#[test]
fn empty_struct_has_no_fields() {
    let mut crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "w"},
        "spec": {"versions": [{"name": "v1", "subresources": {"status": {"x": 1}}}]}
    });
    assert_eq!(
        prune_unknown(
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
            &mut crd
        ),
        ["spec.versions[0].subresources.status.x"]
    );
}

#[test]
fn duplicates_merge_like_go() {
    // struct fields: the second value is decoded into the first
    let d = warn(
        r#"{"kind":"ConfigMap","metadata":{"name":"a","labels":{"x":"1"}},"metadata":{"namespace":"n","labels":{"y":"2"}}}"#,
        Some(CONFIGMAP),
    );
    assert_eq!(d.warnings, [r#"duplicate field "metadata""#]);
    assert_eq!(
        d.object,
        json!({"kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1", "y": "2"}, "namespace": "n"}})
    );
    // map keys: replaced, path includes the key
    let d = warn(
        r#"{"metadata":{"labels":{"a":"1","b":"2","a":"3"}}}"#,
        Some(CONFIGMAP),
    );
    assert_eq!(d.warnings, [r#"duplicate field "metadata.labels.a""#]);
    assert_eq!(
        d.object,
        json!({"metadata": {"labels": {"a": "3", "b": "2"}}})
    );
    // scalars: replaced
    let d = warn(r#"{"metadata":{"name":"a","name":"b"}}"#, Some(CONFIGMAP));
    assert_eq!(d.warnings, [r#"duplicate field "metadata.name""#]);
    assert_eq!(d.object["metadata"]["name"], "b");
    // lists: Go decodes into the elements already there, then truncates
    let d = warn(
        r#"{"spec":{"containers":[{"name":"a","image":"i"},{"name":"b"}],"containers":[{"name":"c"}]}}"#,
        Some(POD),
    );
    assert_eq!(d.warnings, [r#"duplicate field "spec.containers""#]);
    assert_eq!(
        d.object,
        json!({"spec": {"containers": [{"name": "c", "image": "i"}]}})
    );
}

#[test]
fn strict_errors_interleave_in_document_order() {
    let errors = strict(
        r#"{"apiVersion":"v1","kind":"ConfigMap","bogus":1,"data":{"a":"1"},"metadata":{"x":1},"data":{"b":"2"},"bogus":2,"zzz":{"a":1,"a":2}}"#,
        CONFIGMAP,
    );
    assert_eq!(
        errors,
        [
            r#"unknown field "bogus""#,
            r#"unknown field "metadata.x""#,
            r#"duplicate field "data""#,
            r#"unknown field "zzz""#,
        ],
        "deduplicated, and nothing is looked at inside unknown fields"
    );
    // duplicates inside free-form values are not looked at either
    let d = warn(
        r#"{"metadata":{"managedFields":[{"fieldsV1":{"f:a":{},"f:a":{"x":{}}}}]}}"#,
        Some(CONFIGMAP),
    );
    assert!(d.warnings.is_empty());
    assert_eq!(
        d.object["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:a": {"x": {}}})
    );
    // a path that needs quoting is quoted like Go's %q
    let errors = strict(r#"{"metadata":{"x\"y":1}}"#, CONFIGMAP);
    assert_eq!(errors, [r#"unknown field "metadata.x\"y""#]);
}

#[test]
fn at_most_100_strict_errors() {
    let members: Vec<String> = (0..150).map(|i| format!("\"f{i}\":1")).collect();
    let body = format!("{{{}}}", members.join(","));
    let errors = strict(&body, CONFIGMAP);
    assert_eq!(errors.len(), 100);
    assert_eq!(errors[99], r#"unknown field "f99""#);
}

#[test]
fn validation_modes() {
    let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"1"},"unknownField":true}"#;
    let clean = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}});
    let ignored =
        decode_object(body, false, Some(CONFIGMAP), FieldValidation::Ignore).expect("ignore");
    assert_eq!(ignored.object, clean);
    assert!(ignored.warnings.is_empty());
    let warned =
        decode_object(body, false, Some(CONFIGMAP), FieldValidation::default()).expect("warn");
    assert_eq!(warned.object, clean);
    assert_eq!(warned.warnings, [r#"unknown field "unknownField""#]);
    let err =
        decode_object(body, false, Some(CONFIGMAP), FieldValidation::Strict).expect_err("strict");
    assert_eq!(
        err.to_string(),
        r#"strict decoding error: unknown field "unknownField""#
    );
    // a clean body is fine in strict mode
    let ok = decode_object(
        serde_json::to_string(&clean).expect("json").as_bytes(),
        false,
        Some(CONFIGMAP),
        FieldValidation::Strict,
    )
    .expect("clean");
    assert_eq!(ok.object, clean);
}

#[test]
fn without_a_definition_only_duplicates_count() {
    let d = warn(
        r#"{"apiVersion":"example.com/v1","kind":"Widget","spec":{"size":1,"size":2,"anything":true}}"#,
        None,
    );
    assert_eq!(d.warnings, [r#"duplicate field "spec.size""#]);
    assert_eq!(d.object["spec"], json!({"size": 2, "anything": true}));
    let d = warn(r#"{"spec":{"x":1}}"#, Some("com.example.v1.Widget"));
    assert!(d.warnings.is_empty());
}

#[test]
fn bad_bodies() {
    let e = decode_object(b"{\"a\":", false, Some(CONFIGMAP), FieldValidation::Strict)
        .expect_err("syntax");
    assert_eq!(
        e,
        FieldsError::Syntax("unexpected end of JSON input".into())
    );
    let e =
        decode_object(b"[1]", false, Some(CONFIGMAP), FieldValidation::Warn).expect_err("array");
    assert_eq!(e, FieldsError::NotObject("array"));
    assert!(e.strict_errors().is_empty());
    let e = decode_object(b"- 1\n", true, None, FieldValidation::Warn).expect_err("yaml list");
    assert_eq!(e, FieldsError::NotObject("array"));
    assert!(matches!(
        decode_object(b"a: [1\n", true, None, FieldValidation::Warn),
        Err(FieldsError::Syntax(_))
    ));
}

#[test]
fn scalars_decode_like_go() {
    let d = warn(
        r#"{"metadata":{"name":"caf\u00e9 \ud800","generation":9223372036854775808,"uid":"\"x\""}}"#,
        Some(CONFIGMAP),
    );
    assert_eq!(d.object["metadata"]["name"], "café \u{FFFD}");
    assert!(d.object["metadata"]["generation"].is_f64());
    assert_eq!(d.object["metadata"]["uid"], "\"x\"");
}

#[test]
fn yaml_bodies() {
    let body = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        imagePullPolicyy: Always\n  replicass: 2\n";
    let d = decode_object(body, true, Some(DEPLOYMENT), FieldValidation::Warn).expect("yaml");
    // YAMLToJSON sorts keys, so spec.replicass is met before the template
    assert_eq!(
        d.warnings,
        [
            r#"unknown field "spec.replicass""#,
            r#"unknown field "spec.template.spec.containers[0].imagePullPolicyy""#,
        ]
    );
    assert_eq!(
        d.object,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}})
    );
    // duplicates first, as one error, then unknown fields
    let body = b"kind: ConfigMap\ndata:\n  a: \"1\"\n  a: \"2\"\nbogus: 1\n";
    let e =
        decode_object(body, true, Some(CONFIGMAP), FieldValidation::Strict).expect_err("strict");
    assert_eq!(
        e.strict_errors(),
        [
            "yaml: unmarshal errors:\n  line 4: key \"a\" already set in map".to_string(),
            r#"unknown field "bogus""#.to_string(),
        ]
    );
    let d = decode_object(body, true, Some(CONFIGMAP), FieldValidation::Ignore).expect("ignore");
    assert_eq!(d.object, json!({"data": {"a": "2"}, "kind": "ConfigMap"}));
    assert!(d.warnings.is_empty());
}

#[test]
fn status_helpers() {
    assert_eq!(
        strict_decoding_status("Deployment", "v1", &["a".into(), "b".into()]),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: a, b",
               "reason": "BadRequest", "code": 400})
    );
    assert_eq!(
        field_validation("CreateOptions", None),
        Ok(FieldValidation::Warn)
    );
    assert_eq!(
        field_validation("CreateOptions", Some("")),
        Ok(FieldValidation::Warn)
    );
    assert_eq!(
        field_validation("UpdateOptions", Some("Ignore")),
        Ok(FieldValidation::Ignore)
    );
    let status = field_validation("PatchOptions", Some("strict")).expect_err("case-sensitive");
    assert_eq!(
        status["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"strict\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""
    );
    assert_eq!(status["details"]["kind"], "PatchOptions");
    assert_eq!(status["code"], 422);
}

#[test]
fn patched_objects() {
    let patched = json!({
        "kind": "ConfigMap", "apiVersion": "v1",
        "metadata": {"name": "x", "labels": {"free": "form"}, "zz": 1},
        "data": {"a": "9"}, "bogus": 1
    });
    // Strict: error, object untouched; sorted order; patch complaints first
    let mut obj = patched.clone();
    let err = check_patched_with(
        CONFIGMAP,
        &mut obj,
        FieldValidation::Strict,
        vec![r#"duplicate field "data""#.into()],
    )
    .expect_err("strict");
    assert_eq!(
        err.errors,
        [
            r#"duplicate field "data""#,
            r#"unknown field "bogus""#,
            r#"unknown field "metadata.zz""#
        ]
    );
    assert_eq!(obj, patched);
    // Warn: pruned, warnings
    let warnings = check_patched(CONFIGMAP, &mut obj, FieldValidation::Warn).expect("warn");
    assert_eq!(
        warnings,
        [r#"unknown field "bogus""#, r#"unknown field "metadata.zz""#]
    );
    let clean = json!({"kind": "ConfigMap", "apiVersion": "v1",
                       "metadata": {"name": "x", "labels": {"free": "form"}}, "data": {"a": "9"}});
    assert_eq!(obj, clean);
    // Ignore: pruned silently
    let mut obj = patched.clone();
    assert_eq!(
        check_patched(CONFIGMAP, &mut obj, FieldValidation::Ignore),
        Ok(vec![])
    );
    assert_eq!(obj, clean);
    // a clean result, and patch complaints alone
    let mut obj = clean.clone();
    assert_eq!(
        check_patched(CONFIGMAP, &mut obj, FieldValidation::Strict),
        Ok(vec![])
    );
    let err = check_patched_with(
        CONFIGMAP,
        &mut obj,
        FieldValidation::Strict,
        vec!["duplicate field \"a\"".into()],
    )
    .expect_err("patch complaint");
    assert_eq!(
        err.to_string(),
        "strict decoding error: duplicate field \"a\""
    );
    // unknown definitions: only the patch complaints
    let mut obj = json!({"spec": {"x": 1}});
    assert_eq!(
        check_patched_with(
            "com.example.v1.Widget",
            &mut obj,
            FieldValidation::Warn,
            vec!["duplicate field \"a\"".into()]
        ),
        Ok(vec!["duplicate field \"a\"".to_string()])
    );
}

#[test]
fn patched_error_status() {
    let err = PatchedError {
        errors: vec![r#"unknown field "bogus""#.into()],
    };
    let text = strategic_patch_text(&json!({"bogus": 1, "data": {"a": "9"}}));
    assert_eq!(text, "map[bogus:1 data:map[a:9]]");
    let status = err.to_status(&text);
    assert_eq!(
        status,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": " \"\" is invalid: patch: Invalid value: \"map[bogus:1 data:map[a:9]]\": strict decoding error: unknown field \"bogus\"",
               "reason": "Invalid",
               "details": {"causes": [{"reason": "FieldValueInvalid",
                   "message": "Invalid value: \"map[bogus:1 data:map[a:9]]\": strict decoding error: unknown field \"bogus\"",
                   "field": "patch"}]},
               "code": 422})
    );
    assert_eq!(
        patched_text(&json!({"kind": "X", "apiVersion": "v1", "b": {"z": 1, "a": 2}})),
        r#"{"apiVersion":"v1","b":{"z":1,"a":2},"kind":"X"}"#
    );
}

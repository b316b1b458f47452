use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::catalog::{Catalog, Flavor};
use super::describe::humanize;
use super::*;

const RESOURCES_TSV: &str = include_str!("../../data/resources.tsv");

/// The recorded resource table as group-version specs.
fn builtin_group_versions() -> Vec<GroupVersionSpec> {
    let mut gvs: BTreeMap<(String, String), GroupVersionSpec> = BTreeMap::new();
    let rows: Vec<Vec<&str>> = RESOURCES_TSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    let col = |row: &Vec<&str>, i: usize| row.get(i).copied().unwrap_or("").to_string();
    let verbs = |s: String| -> Vec<String> {
        s.split(',')
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    };
    for row in rows.iter().filter(|r| !col(r, 3).contains('/')) {
        let key = (col(row, 0), col(row, 1));
        let gv = gvs.entry(key.clone()).or_insert_with(|| GroupVersionSpec {
            group: key.0.clone(),
            version: key.1.clone(),
            resources: Vec::new(),
        });
        gv.resources.push(ResourceSpec {
            kind: col(row, 2),
            plural: col(row, 3),
            namespaced: col(row, 4) == "true",
            verbs: verbs(col(row, 5)),
            subresources: Vec::new(),
            schema: None,
        });
    }
    for row in rows.iter().filter(|r| col(r, 3).contains('/')) {
        let resource = col(row, 3);
        let Some((parent, sub)) = resource.split_once('/') else {
            continue;
        };
        let Some(gv) = gvs.get_mut(&(col(row, 0), col(row, 1))) else {
            continue;
        };
        let Some(parent) = gv.resources.iter_mut().find(|r| r.plural == parent) else {
            continue;
        };
        let opt = |s: String| if s.is_empty() { None } else { Some(s) };
        parent.subresources.push(SubresourceSpec {
            name: sub.to_string(),
            kind: if col(row, 11).is_empty() {
                col(row, 2)
            } else {
                col(row, 11)
            },
            group: opt(col(row, 9)),
            version: opt(col(row, 10)),
            verbs: verbs(col(row, 5)),
        });
    }
    gvs.into_values().collect()
}

fn resources_of(group: &str, version: &str) -> Vec<ResourceSpec> {
    builtin_group_versions()
        .into_iter()
        .find(|gv| gv.group == group && gv.version == version)
        .map(|gv| gv.resources)
        .unwrap_or_default()
}

fn apps_v1() -> Value {
    v3_document("apps", "v1", &resources_of("apps", "v1")).unwrap_or(Value::Null)
}

fn core_v1() -> Value {
    v3_document("", "v1", &resources_of("", "v1")).unwrap_or(Value::Null)
}

/// Every `$ref` string in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Value::String(s) = v {
                        out.push(s.clone());
                    }
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn assert_refs_resolve(doc: &Value, prefix: &str, table: &Value) {
    let mut all = Vec::new();
    refs(doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("ref {r} does not start with {prefix}"));
        assert!(table.get(name).is_some(), "dangling ref {r}");
    }
}

#[test]
fn embedded_metadata_loads() {
    let catalog = Catalog::load().unwrap_or_default();
    assert!(catalog.len() >= 578, "only {} definitions", catalog.len());
    assert_eq!(
        catalog.by_gvk("apps", "v1", "Deployment"),
        Some("io.k8s.api.apps.v1.Deployment")
    );
    assert!(catalog
        .by_gvk("apiregistration.k8s.io", "v1", "APIServiceList")
        .is_some());
    assert!(Catalog::parse(&["[1]"]).is_err());
    assert!(Catalog::parse(&[r#"{"a": 1}"#]).is_err());
}

#[test]
fn every_v3_ref_resolves_inside_its_document() {
    let gvs = builtin_group_versions();
    assert!(gvs.len() > 15);
    for gv in &gvs {
        let doc = v3_document(&gv.group, &gv.version, &gv.resources)
            .unwrap_or_else(|| panic!("no document for {}/{}", gv.group, gv.version));
        let text = serde_json::to_string(&doc).unwrap_or_default();
        let reparsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(reparsed, doc);
        assert_eq!(doc["openapi"], "3.0.0");
        assert_eq!(doc["info"]["title"], "Kubernetes");
        assert_refs_resolve(&doc, "#/components/schemas/", &doc["components"]["schemas"]);
    }
}

#[test]
fn every_v2_ref_resolves() {
    let doc = v2_document(&builtin_group_versions());
    assert_eq!(doc["swagger"], "2.0");
    assert_refs_resolve(&doc, "#/definitions/", &doc["definitions"]);
    assert!(doc["definitions"]["io.k8s.api.apps.v1.Deployment"].is_object());
    assert!(doc["definitions"]["io.k8s.api.core.v1.ConfigMap"].is_object());
}

#[test]
fn empty_group_version_has_no_document() {
    assert!(v3_document("apps", "v1", &[]).is_none());
}

/// kubectl's check (cli-runtime's query param verifier): a PATCH operation whose
/// `x-kubernetes-group-version-kind` is the kind, with a `fieldValidation` query
/// parameter.
fn supports_field_validation(doc: &Value, group: &str, version: &str, kind: &str) -> bool {
    let want = json!({ "group": group, "kind": kind, "version": version });
    let Some(paths) = doc["paths"].as_object() else {
        return false;
    };
    for item in paths.values() {
        let patch = &item["patch"];
        if patch["x-kubernetes-group-version-kind"] != want {
            continue;
        }
        return patch["parameters"].as_array().is_some_and(|params| {
            params
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
        });
    }
    false
}

#[test]
fn patch_operations_advertise_field_validation() {
    let apps = apps_v1();
    for kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
        assert!(
            supports_field_validation(&apps, "apps", "v1", kind),
            "{kind}"
        );
    }
    let core = core_v1();
    for kind in ["ConfigMap", "Secret", "Service", "Pod", "Namespace"] {
        assert!(supports_field_validation(&core, "", "v1", kind), "{kind}");
    }
    assert!(!supports_field_validation(&apps, "apps", "v1", "Nothing"));

    let patch = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    let content = patch["requestBody"]["content"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let types: Vec<&str> = content.keys().map(String::as_str).collect();
    assert_eq!(
        types,
        [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/apply-patch+yaml",
        ]
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    let names: Vec<&str> = patch["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["dryRun", "fieldManager", "fieldValidation", "force"]
    );
    // POST and PUT take it too.
    for (path, method) in [
        ("/apis/apps/v1/namespaces/{namespace}/deployments", "post"),
        (
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
            "put",
        ),
    ] {
        let params = apps["paths"][path][method]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            params.iter().any(|p| p["name"] == "fieldValidation"),
            "{method}"
        );
    }
}

#[test]
fn paths_follow_scope_and_verbs() {
    let apps = apps_v1();
    let paths = &apps["paths"];
    let list = &paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"];
    assert_eq!(list["x-kubernetes-action"], "list");
    assert_eq!(list["operationId"], "listAppsV1NamespacedDeployment");
    assert_eq!(
        list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentList"
    );
    assert_eq!(
        paths["/apis/apps/v1/deployments"]["get"]["operationId"],
        "listAppsV1DeploymentForAllNamespaces"
    );
    let scale = &paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["patch"]["x-kubernetes-group-version-kind"],
        json!({"group": "autoscaling", "kind": "Scale", "version": "v1"})
    );
    assert!(apps["components"]["schemas"]["io.k8s.api.autoscaling.v1.Scale"].is_object());
    assert!(
        paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]["put"].is_object()
    );

    let core = core_v1();
    let paths = &core["paths"];
    // Cluster-scoped.
    assert!(paths["/api/v1/nodes/{name}"]["get"].is_object());
    assert!(paths["/api/v1/namespaces/{namespace}/nodes"].is_null());
    // Create-only resources have no item path.
    assert!(paths["/api/v1/namespaces/{namespace}/bindings"]["post"].is_object());
    assert!(paths["/api/v1/namespaces/{namespace}/bindings/{name}"].is_null());
    // Subresources of other groups and connect subresources.
    let eviction = &paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"];
    assert_eq!(
        eviction["x-kubernetes-group-version-kind"],
        json!({"group": "policy", "kind": "Eviction", "version": "v1"})
    );
    assert!(core["components"]["schemas"]["io.k8s.api.policy.v1.Eviction"].is_object());
    let exec = &paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"];
    assert_eq!(exec["post"]["x-kubernetes-action"], "connect");
    assert_eq!(
        exec["get"]["operationId"],
        "connectCoreV1GetNamespacedPodExec"
    );
    assert!(paths["/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}"]["get"].is_object());
    assert_eq!(
        paths["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]["responses"]["200"]
            ["content"]["*/*"]["schema"]["type"],
        "string"
    );
    // A get-only resource has no write operations.
    let cs = &paths["/api/v1/componentstatuses/{name}"];
    assert!(cs["get"].is_object());
    assert!(cs["patch"].is_null() && cs["put"].is_null() && cs["delete"].is_null());
}

#[test]
fn kind_schemas_carry_gvk_and_list_extensions() {
    let apps = apps_v1();
    let schemas = &apps["components"]["schemas"];
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["type"], "array");
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(
        containers["items"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.Container"
    );
    let ports = &schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"];
    assert_eq!(
        ports["x-kubernetes-list-map-keys"],
        json!(["containerPort", "protocol"])
    );
    assert_eq!(ports["x-kubernetes-patch-merge-key"], "containerPort");
    assert_eq!(
        schemas["io.k8s.api.core.v1.Container"]["required"],
        json!(["name"])
    );
    // References with siblings are wrapped in allOf.
    assert_eq!(
        schemas["io.k8s.api.apps.v1.Deployment"]["properties"]["spec"]["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
    );
    assert_eq!(
        schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"],
        json!({
            "description": schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["description"],
            "type": "string",
            "format": "date-time",
        })
    );
    let int_or_string = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!(int_or_string["format"], "int-or-string");
    assert_eq!(
        int_or_string["oneOf"],
        json!([{"type": "integer"}, {"type": "string"}])
    );
    assert!(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"].is_array());
    for meta in [
        "ObjectMeta",
        "ListMeta",
        "Status",
        "DeleteOptions",
        "Patch",
        "WatchEvent",
    ] {
        let name = format!("io.k8s.apimachinery.pkg.apis.meta.v1.{meta}");
        assert!(schemas[&name].is_object(), "{name}");
    }
    // Unreachable definitions stay out of a group-version's document.
    assert!(schemas["io.k8s.api.rbac.v1.Role"].is_null());

    let v2 = v2_document(&builtin_group_versions());
    let defs = &v2["definitions"];
    assert_eq!(
        defs["io.k8s.api.apps.v1.Deployment"]["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    );
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
        "int-or-string"
    );
    assert_eq!(
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"],
        "string"
    );
}

#[test]
fn v2_patch_operations_match_kubectl_expectations() {
    let v2 = v2_document(&builtin_group_versions());
    let patch = &v2["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    let consumes = patch["consumes"].as_array().cloned().unwrap_or_default();
    assert!(consumes.contains(&json!("application/strategic-merge-patch+json")));
    let params = patch["parameters"].as_array().cloned().unwrap_or_default();
    assert!(params
        .iter()
        .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"));
    assert!(params.iter().any(|p| p["in"] == "body"
        && p["schema"]["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"));
    assert!(v2["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"].is_object());
}

#[test]
fn index_lists_group_versions_with_content_hashes() {
    let gvs = builtin_group_versions();
    let docs = OpenApiDocuments::build(&gvs);
    let index = docs.v3_index();
    let core = index["paths"]["api/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_default();
    let apps = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap_or_default();
    assert!(core.starts_with("/openapi/v3/api/v1?hash="), "{core}");
    assert!(apps.starts_with("/openapi/v3/apis/apps/v1?hash="), "{apps}");
    let apps_doc = docs.v3("apis/apps/v1").map(|d| d.value.clone());
    assert_eq!(apps_doc, Some(apps_v1()));
    let hash = document_hash(&apps_v1());
    assert_eq!(hash.len(), 32);
    assert!(hash
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert!(apps.ends_with(&format!("hash={hash}")));
    assert_eq!(
        docs.v3("/apis/apps/v1/").map(|d| d.hash.as_str()),
        Some(hash.as_str())
    );
    assert!(docs.v3("apis/nothing/v1").is_none());
    assert_eq!(docs.v3_paths().count(), gvs.len());
    assert!(docs.v3_paths().any(|p| p == "api/v1"));
    assert_eq!(
        serde_json::from_str::<Value>(docs.v3_index_json())
            .ok()
            .as_ref(),
        Some(index)
    );
    // Same input, same index; the free function agrees.
    assert_eq!(&v3_index(&gvs), index);

    // Changing a group-version's content changes its hash only.
    let mut changed = gvs.clone();
    for gv in changed.iter_mut().filter(|gv| gv.group == "apps") {
        for r in gv.resources.iter_mut().filter(|r| r.kind == "Deployment") {
            r.verbs.retain(|v| v != "patch");
        }
    }
    let changed_index = v3_index(&changed);
    assert_ne!(
        changed_index["paths"]["apis/apps/v1"],
        index["paths"]["apis/apps/v1"]
    );
    assert_eq!(changed_index["paths"]["api/v1"], index["paths"]["api/v1"]);
    assert_ne!(
        document_hash(&json!({"a": 1})),
        document_hash(&json!({"a": 2}))
    );
    assert!(docs.v2().json.starts_with('{'));
    assert_eq!(docs.v2().hash, document_hash(&docs.v2().value));
}

/// A small structural validator in the spirit of kubectl's client-side validation:
/// unknown fields, wrong primitive types, missing required fields.
fn validate(doc: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "dangling {r}");
        validate(doc, target, value, path, errors);
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for sub in all {
            validate(doc, sub, value, path, errors);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema[key].as_array() {
            let ok = alternatives.iter().any(|alt| {
                let mut sub = Vec::new();
                validate(doc, alt, value, path, &mut sub);
                sub.is_empty()
            });
            if !ok {
                errors.push(format!("{path}: matches none of {key}"));
            }
        }
    }
    let type_ok = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(_) => false,
    };
    if !type_ok {
        errors.push(format!("{path}: expected {}", schema["type"]));
        return;
    }
    if let Some(object) = value.as_object() {
        let properties = schema["properties"].as_object();
        let additional = &schema["additionalProperties"];
        let preserve = schema["x-kubernetes-preserve-unknown-fields"] == json!(true);
        for (key, child) in object {
            let child_path = format!("{path}.{key}");
            if let Some(prop) = properties.and_then(|p| p.get(key)) {
                validate(doc, prop, child, &child_path, errors);
            } else if additional.is_object() {
                validate(doc, additional, child, &child_path, errors);
            } else if properties.is_some() && !preserve {
                errors.push(format!(
                    "unknown field \"{}\"",
                    child_path.trim_start_matches('.')
                ));
            }
        }
        if let Some(required) = schema["required"].as_array() {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    errors.push(format!("{path}: missing required field {name}"));
                }
            }
        }
    }
    if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(doc, schema_items, item, &format!("{path}[{i}]"), errors);
        }
    }
}

/// Validates `object` against the schema of its kind in `doc`.
fn validate_object(doc: &Value, object: &Value) -> Vec<String> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let want = json!([{ "group": group, "kind": object["kind"], "version": version }]);
    let schema = doc["components"]["schemas"]
        .as_object()
        .and_then(|schemas| {
            schemas
                .values()
                .find(|s| s["x-kubernetes-group-version-kind"] == want)
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert!(schema.is_object(), "no schema for {want}");
    let mut errors = Vec::new();
    validate(doc, &schema, object, "", &mut errors);
    errors
}

fn sample_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "annotations": {"note": "x"},
            "creationTimestamp": null,
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "c",
                        "image": "nginx:1.27",
                        "args": ["--port", "8080"],
                        "ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}],
                        "env": [{"name": "A", "value": "1"},
                                {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": 0.1}},
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                    }],
                    "terminationGracePeriodSeconds": 30,
                },
            },
        },
    })
}

#[test]
fn client_side_validation_accepts_normal_objects() {
    let apps = apps_v1();
    let core = core_v1();
    let mut deployment = sample_deployment();
    // `creationTimestamp: null` is what `kubectl create --dry-run -o yaml` prints;
    // kubectl drops nulls before validating, so do the same here.
    if let Some(meta) = deployment["metadata"].as_object_mut() {
        meta.remove("creationTimestamp");
    }
    assert_eq!(validate_object(&apps, &deployment), Vec::<String>::new());
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"type": "ClusterIP", "selector": {"app": "web"},
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
    });
    assert_eq!(validate_object(&core, &service), Vec::<String>::new());
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cfg"}, "data": {"a": "1"}, "binaryData": {"b": "AAE="},
    });
    assert_eq!(validate_object(&core, &config_map), Vec::<String>::new());
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "s"}, "data": {"a": "MQ=="}, "stringData": {"b": "2"},
    });
    assert_eq!(validate_object(&core, &secret), Vec::<String>::new());
}

#[test]
fn client_side_validation_finds_unknown_and_mistyped_fields() {
    let apps = apps_v1();
    let mut deployment = sample_deployment();
    if let Some(meta) = deployment["metadata"].as_object_mut() {
        meta.remove("creationTimestamp");
    }
    deployment["spec"]["replicasx"] = json!(3);
    assert_eq!(
        validate_object(&apps, &deployment),
        vec!["unknown field \"spec.replicasx\"".to_string()]
    );

    let mut deployment = sample_deployment();
    if let Some(meta) = deployment["metadata"].as_object_mut() {
        meta.remove("creationTimestamp");
    }
    deployment["spec"]["template"]["spec"]["containers"][0]["imagex"] = json!("a");
    deployment["spec"]["replicas"] = json!("two");
    let errors = validate_object(&apps, &deployment);
    assert!(
        errors.contains(&"unknown field \"spec.template.spec.containers[0].imagex\"".to_string())
    );
    assert!(errors
        .iter()
        .any(|e| e.starts_with(".spec.replicas: expected")));

    let mut deployment = sample_deployment();
    if let Some(meta) = deployment["metadata"].as_object_mut() {
        meta.remove("creationTimestamp");
    }
    if let Some(container) = deployment["spec"]["template"]["spec"]["containers"][0].as_object_mut()
    {
        container.remove("name");
    }
    let errors = validate_object(&apps, &deployment);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("missing required field name")),
        "{errors:?}"
    );
}

/// Follows a field path the way `kubectl explain`'s template does (properties,
/// `allOf`, `$ref`, `items`), returning the schemas visited.
fn explain_walk(doc: &Value, root: &Value, fields: &[&str]) -> Vec<Value> {
    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
            None => schema,
        }
    }
    fn descend<'a>(doc: &'a Value, schema: &'a Value, field: &str) -> Option<&'a Value> {
        let resolved = resolve(doc, schema);
        if let Some(p) = resolved["properties"].get(field) {
            return Some(p);
        }
        if let Some(items) = resolved.get("items") {
            return descend(doc, items, field);
        }
        resolved["allOf"]
            .as_array()?
            .iter()
            .find_map(|s| descend(doc, s, field))
    }
    let mut out = Vec::new();
    let mut current = root;
    for field in fields {
        match descend(doc, current, field) {
            Some(next) => {
                out.push(next.clone());
                current = next;
            }
            None => break,
        }
    }
    out
}

#[test]
fn explain_can_walk_and_describe_deployment_containers() {
    let apps = apps_v1();
    // The template finds the GVK on an operation of the resource's paths...
    let gvk = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]
        ["x-kubernetes-group-version-kind"];
    assert_eq!(
        gvk,
        &json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    // ...then the schema whose GVK list contains exactly that map.
    let root = apps["components"]["schemas"]
        .as_object()
        .and_then(|schemas| {
            schemas.values().find(|s| {
                s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .is_some_and(|list| list.contains(gvk))
            })
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert!(root["description"].as_str().is_some_and(|d| !d.is_empty()));
    let walked = explain_walk(&apps, &root, &["spec", "template", "spec", "containers"]);
    assert_eq!(walked.len(), 4);
    for schema in &walked {
        assert!(schema["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(
        walked[3]["items"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.Container"
    );
    let deeper = explain_walk(
        &apps,
        &root,
        &["spec", "template", "spec", "containers", "image"],
    );
    assert_eq!(deeper.len(), 5);
    assert_eq!(deeper[4]["type"], "string");
}

#[test]
fn every_definition_and_property_is_described() {
    let v2 = v2_document(&builtin_group_versions());
    let defs = v2["definitions"].as_object().cloned().unwrap_or_default();
    assert!(defs.len() > 500);
    for (name, def) in &defs {
        assert!(
            def["description"].as_str().is_some_and(|d| d.len() > 10),
            "{name}"
        );
        for (prop, schema) in def["properties"].as_object().into_iter().flatten() {
            assert!(
                schema["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{name}.{prop}"
            );
        }
    }
    assert_eq!(
        defs["io.k8s.api.apps.v1.Deployment"]["description"],
        "Deployment is an apps/v1 API object."
    );
    assert_eq!(
        defs["io.k8s.api.batch.v1.Job"]["description"],
        "Job is a batch/v1 API object."
    );
    assert_eq!(
        defs["io.k8s.api.core.v1.Pod"]["description"],
        "Pod is a v1 API object."
    );
    assert_eq!(
        defs["io.k8s.api.core.v1.ConfigMapList"]["description"],
        "ConfigMapList is a list of ConfigMap objects (v1)."
    );
}

#[test]
fn humanize_splits_camel_case() {
    assert_eq!(
        humanize("terminationGracePeriodSeconds"),
        "Termination grace period seconds"
    );
    assert_eq!(humanize("podIP"), "Pod IP");
    assert_eq!(humanize("hostIPC"), "Host IPC");
    assert_eq!(humanize("externalIPs"), "External IPs");
    assert_eq!(humanize("x-kubernetes-list-type"), "X kubernetes list type");
    assert_eq!(humanize("podCIDRs"), "Pod CIDRs");
    assert_eq!(humanize("$ref"), "$ref");
}

#[test]
fn custom_resources_get_schemas_without_strategic_merge() {
    let widget = ResourceSpec {
        kind: "Widget".into(),
        plural: "widgets".into(),
        namespaced: true,
        verbs: [
            "get", "list", "watch", "create", "update", "patch", "delete",
        ]
        .map(String::from)
        .to_vec(),
        subresources: vec![SubresourceSpec {
            name: "status".into(),
            kind: "Widget".into(),
            group: None,
            version: None,
            verbs: vec!["get".into(), "patch".into(), "update".into()],
        }],
        schema: Some(json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
        })),
    };
    let doc =
        v3_document("example.com", "v1", std::slice::from_ref(&widget)).unwrap_or(Value::Null);
    assert!(supports_field_validation(
        &doc,
        "example.com",
        "v1",
        "Widget"
    ));
    let item = &doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"];
    let content = item["patch"]["requestBody"]["content"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(content.contains_key("application/merge-patch+json"));
    assert!(!content.contains_key("application/strategic-merge-patch+json"));
    let schema = &doc["components"]["schemas"]["com.example.v1.Widget"];
    assert_eq!(
        schema["x-kubernetes-group-version-kind"],
        json!([{"group": "example.com", "kind": "Widget", "version": "v1"}])
    );
    assert_refs_resolve(&doc, "#/components/schemas/", &doc["components"]["schemas"]);
    let good = json!({"apiVersion": "example.com/v1", "kind": "Widget",
                      "metadata": {"name": "w"}, "spec": {"size": 1}});
    assert!(validate_object(&doc, &good).is_empty());
    let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget",
                     "metadata": {"name": "w"}, "spec": {"sizex": 1}});
    assert_eq!(
        validate_object(&doc, &bad),
        vec!["unknown field \"spec.sizex\"".to_string()]
    );

    // Without a schema anything goes; v2 is permissive too.
    let open = ResourceSpec {
        schema: None,
        ..widget
    };
    let doc = v3_document("example.com", "v1", std::slice::from_ref(&open)).unwrap_or(Value::Null);
    assert!(validate_object(&doc, &bad).is_empty());
    let v2 = v2_document(&[GroupVersionSpec {
        group: "example.com".into(),
        version: "v1".into(),
        resources: vec![open],
    }]);
    assert_eq!(
        v2["definitions"]["com.example.v1.Widget"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    assert!(v2["definitions"]["com.example.v1.WidgetList"].is_object());
    assert_refs_resolve(&v2, "#/definitions/", &v2["definitions"]);
}

#[test]
fn flavors_use_their_own_ref_prefixes() {
    assert_eq!(
        Flavor::V2.reference("X"),
        json!({"$ref": "#/definitions/X"})
    );
    assert_eq!(
        Flavor::V3.reference("X"),
        json!({"$ref": "#/components/schemas/X"})
    );
    assert_eq!(gv_path("", "v1"), "api/v1");
    assert_eq!(gv_path("apps", "v1"), "apis/apps/v1");
}

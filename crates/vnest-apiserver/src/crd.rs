//! Serving CustomResourceDefinitions: the CRD controller inside the API server (names
//! acceptance, Established, the registry and discovery of served versions, cleanup of
//! a deleted CRD's objects) and the per-request hooks for custom objects (decoding
//! with pruning, defaulting, schema and CEL validation, printer columns, `/scale`).
//! The schema machinery itself is pure code in `vnest_api::crd`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{json, Map, Value};
use vnest_api::crd::Schema;
use vnest_api::registry::{ResourceInfo, SubresourceInfo};
use vnest_api::status::ApiError;
use vnest_api::validation::FieldError;

use crate::objects::{self, resource_prefix};
use crate::rest::{ResourceDef, Rest, WriteMeta};

/// The finalizer that holds a deleted CRD until its objects are gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";
pub const GROUP: &str = "apiextensions.k8s.io";
pub const RESOURCE: &str = "customresourcedefinitions";

/// One served version of a CRD, as the request path needs it.
#[derive(Debug)]
pub struct CustomResource {
    pub crd_name: String,
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// The CRD's `spec.versions[i]` entry (schema, printer columns, subresources).
    pub version_spec: Value,
    /// Compiled `openAPIV3Schema`; `None` when the version has none.
    pub schema: Option<Schema>,
    pub status_subresource: bool,
    pub scale: Option<ScalePaths>,
    /// Type information for managed fields and server-side apply.
    pub managed_types: Option<vnest_api::managed::CustomTypes>,
    /// The CRD is being deleted: no new objects.
    pub terminating: bool,
}

/// `subresources.scale` of a CRD version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// Whether `def` is the CustomResourceDefinition resource itself.
pub fn is_crd_def(def: &ResourceDef) -> bool {
    def.group == GROUP && def.resource == RESOURCE
}

fn condition<'a>(crd: &'a Value, kind: &str) -> Option<&'a Value> {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        })
}

fn condition_true(crd: &Value, kind: &str) -> bool {
    condition(crd, kind)
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True")
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The registry entries and serving data of an established CRD, one per served
/// version, under its accepted names.
pub fn served_versions(crd: &Value) -> Vec<(ResourceInfo, Arc<CustomResource>)> {
    if !condition_true(crd, "Established") {
        return Vec::new();
    }
    let names = match crd.pointer("/status/acceptedNames") {
        Some(n) if n.get("plural").and_then(Value::as_str).is_some() => n,
        _ => return Vec::new(),
    };
    let group = str_at(crd, "/spec/group").to_string();
    let plural = str_at(names, "/plural").to_string();
    let kind = str_at(names, "/kind").to_string();
    let singular = match str_at(names, "/singular") {
        "" => kind.to_ascii_lowercase(),
        s => s.to_string(),
    };
    let namespaced = str_at(crd, "/spec/scope") != "Cluster";
    let terminating = crd.pointer("/metadata/deletionTimestamp").is_some();
    let crd_name = str_at(crd, "/metadata/name").to_string();
    let mut out = Vec::new();
    for v in crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if v.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let version = str_at(v, "/name").to_string();
        let raw_schema = v.pointer("/schema/openAPIV3Schema");
        let schema = raw_schema.and_then(|s| match Schema::compile(s) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(crd = %crd_name, %version, error = %e, "schema does not compile");
                None
            }
        });
        let managed_types = raw_schema.map(vnest_api::managed::CustomTypes::from_openapi_v3);
        let status_subresource = v.pointer("/subresources/status").is_some();
        let scale = v.pointer("/subresources/scale").map(|s| ScalePaths {
            spec_replicas: str_at(s, "/specReplicasPath").to_string(),
            status_replicas: str_at(s, "/statusReplicasPath").to_string(),
            label_selector: s
                .get("labelSelectorPath")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
        let mut subresources = Vec::new();
        let mut sub_names = Vec::new();
        if status_subresource {
            subresources.push(SubresourceInfo {
                name: "status".into(),
                kind: kind.clone(),
                response_group: None,
                response_version: None,
                verbs: vec!["get".into(), "patch".into(), "update".into()],
            });
            sub_names.push("status".to_string());
        }
        if scale.is_some() {
            subresources.push(SubresourceInfo {
                name: "scale".into(),
                kind: "Scale".into(),
                response_group: Some("autoscaling".into()),
                response_version: Some("v1".into()),
                verbs: vec!["get".into(), "patch".into(), "update".into()],
            });
            sub_names.push("scale".to_string());
        }
        let info = ResourceInfo {
            group: group.clone(),
            version: version.clone(),
            kind: kind.clone(),
            resource: plural.clone(),
            singular: singular.clone(),
            namespaced,
            verbs: [
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "create",
                "update",
                "watch",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            short_names: strings(names.get("shortNames")),
            categories: strings(names.get("categories")),
            storage_version_hash: Some(storage_version_hash(&group, &version, &kind)),
            response_group: None,
            response_version: None,
            subresources,
        };
        let cr = CustomResource {
            crd_name: crd_name.clone(),
            group: group.clone(),
            version,
            kind: kind.clone(),
            plural: plural.clone(),
            namespaced,
            version_spec: v.clone(),
            schema,
            status_subresource,
            scale,
            managed_types,
            terminating,
        };
        out.push((info, Arc::new(cr)));
    }
    out
}

/// kube's storageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind").
fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    use base64::Engine;
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{group}/{version}/{kind}").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(&d.as_ref()[..8])
}

/// The status a CRD should have given every other CRD: accepted names, NamesAccepted,
/// Established, Terminating, storedVersions.
fn desired_status(crd: &Value, others: &[Value], now: &str) -> Value {
    let mut status = vnest_api::crd::names_status(crd, others, now);
    if crd.pointer("/metadata/deletionTimestamp").is_some() {
        set_condition(
            &mut status,
            "Terminating",
            "True",
            "InstanceDeletionInProgress",
            "CustomResource deletion is in progress",
            now,
        );
    }
    status
}

fn set_condition(
    status: &mut Value,
    kind: &str,
    value: &str,
    reason: &str,
    message: &str,
    now: &str,
) {
    let conditions = status
        .as_object_mut()
        .map(|m| m.entry("conditions").or_insert_with(|| json!([])));
    let Some(Value::Array(list)) = conditions else {
        return;
    };
    if let Some(c) = list
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    {
        if c.get("status").and_then(Value::as_str) != Some(value) {
            c["lastTransitionTime"] = json!(now);
        }
        c["status"] = json!(value);
        c["reason"] = json!(reason);
        c["message"] = json!(message);
    } else {
        list.push(json!({"type": kind, "status": value, "lastTransitionTime": now, "reason": reason, "message": message}));
    }
}

fn crd_def() -> ResourceDef {
    ResourceDef {
        group: GROUP.into(),
        version: "v1".into(),
        kind: "CustomResourceDefinition".into(),
        resource: RESOURCE.into(),
        namespaced: false,
        verbs: vec![],
        subresources: vec!["status".into()],
        custom: None,
    }
}

/// The CRD controller: runs forever inside the API server.
pub async fn run(rest: Arc<Rest>) {
    let prefix = resource_prefix(GROUP, RESOURCE, None);
    let cache = rest.cache.clone();
    let cleaning: Arc<std::sync::Mutex<std::collections::HashSet<String>>> = Arc::default();
    crate::background::on_change(cache, vec![prefix.clone()], || {
        let rest = rest.clone();
        let prefix = prefix.clone();
        let cleaning = cleaning.clone();
        async move {
            let (items, _) = rest.cache.list(&prefix);
            let crds: Vec<Value> = items.iter().map(|(_, v)| (**v).clone()).collect();
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            for (i, crd) in crds.iter().enumerate() {
                let others: Vec<Value> = crds
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| c.clone())
                    .collect();
                let want = desired_status(crd, &others, &now);
                if !same_status(crd.get("status"), &want) {
                    write_status(&rest, crd, want).await;
                }
            }
            publish(&rest, &crds);
            for crd in &crds {
                let uid = str_at(crd, "/metadata/uid").to_string();
                let finalizing = strings(crd.pointer("/metadata/finalizers"))
                    .iter()
                    .any(|f| f == CLEANUP_FINALIZER);
                if crd.pointer("/metadata/deletionTimestamp").is_some() && finalizing {
                    let mut running = cleaning.lock().unwrap_or_else(|p| p.into_inner());
                    if running.insert(uid.clone()) {
                        let rest = rest.clone();
                        let crd = crd.clone();
                        let cleaning = cleaning.clone();
                        tokio::spawn(async move {
                            cleanup(rest, crd).await;
                            cleaning
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .remove(&uid);
                        });
                    }
                }
            }
        }
    })
    .await
}

/// Status equality that ignores condition timestamps.
fn same_status(have: Option<&Value>, want: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(Value::Array(cs)) = v.get_mut("conditions") {
            for c in cs {
                if let Some(m) = c.as_object_mut() {
                    m.remove("lastTransitionTime");
                }
            }
        }
        v
    };
    have.map(strip) == Some(strip(want))
}

async fn write_status(rest: &Rest, crd: &Value, want: Value) {
    let name = str_at(crd, "/metadata/name");
    let uid = str_at(crd, "/metadata/uid").to_string();
    let write = WriteMeta {
        manager: "kube-apiserver",
        subresource: Some("status"),
        apply: false,
    };
    let result = rest
        .guaranteed_update(&crd_def(), None, name, None, false, write, |current| {
            if str_at(current, "/metadata/uid") != uid {
                return Err(ApiError::new(409, "Conflict", "the CRD was replaced"));
            }
            let mut next = current.clone();
            next["status"] = want.clone();
            Ok(next)
        })
        .await;
    if let Err(e) = result {
        if e.code != 404 && e.code != 409 {
            tracing::warn!(crd = %name, error = %e.message, "writing CRD status failed");
        }
    }
}

/// Puts the served versions of every established CRD into discovery and routing.
fn publish(rest: &Rest, crds: &[Value]) {
    let mut served: BTreeMap<(String, String, String), (ResourceInfo, Arc<CustomResource>)> =
        BTreeMap::new();
    for crd in crds {
        for (info, cr) in served_versions(crd) {
            served.insert(
                (
                    info.group.clone(),
                    info.version.clone(),
                    info.resource.clone(),
                ),
                (info, cr),
            );
        }
    }
    rest.discovery
        .set_custom_resources(served.into_values().collect());
}

/// A deleted CRD: delete its objects (waiting for those held by finalizers), then
/// drop the cleanup finalizer so the CRD goes.
async fn cleanup(rest: Arc<Rest>, crd: Value) {
    let group = str_at(&crd, "/spec/group");
    let plural = match str_at(&crd, "/status/acceptedNames/plural") {
        "" => str_at(&crd, "/spec/names/plural"),
        p => p,
    };
    let prefix = resource_prefix(group, plural, None);
    let def = served_def(&crd);
    let name = str_at(&crd, "/metadata/name").to_string();
    loop {
        let (items, _) = rest.cache.list(&prefix);
        if items.is_empty() {
            break;
        }
        for (_, obj) in &items {
            if obj.pointer("/metadata/deletionTimestamp").is_some() {
                continue;
            }
            let ns = objects::meta_str(obj, "namespace");
            let obj_name = objects::meta_str(obj, "name").unwrap_or("");
            if let Err(e) = rest.delete(&def, ns, obj_name, b"", &HashMap::new()).await {
                if e.code != 404 {
                    tracing::warn!(name = %obj_name, error = %e.message, "deleting a custom object failed");
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        // Still the same CRD, still being deleted?
        let current = rest
            .cache
            .get(&objects::object_key(GROUP, RESOURCE, None, &name))
            .0;
        if current.is_none_or(|c| str_at(&c, "/metadata/uid") != str_at(&crd, "/metadata/uid")) {
            return;
        }
    }
    let write = WriteMeta {
        manager: "kube-apiserver",
        subresource: None,
        apply: false,
    };
    let result = rest
        .guaranteed_update(&crd_def(), None, &name, None, false, write, |current| {
            let mut next = current.clone();
            if let Some(Value::Array(fs)) = next.pointer_mut("/metadata/finalizers") {
                fs.retain(|f| f.as_str() != Some(CLEANUP_FINALIZER));
            }
            Ok(next)
        })
        .await;
    if let Err(e) = result {
        if e.code != 404 {
            tracing::warn!(crd = %name, error = %e.message, "finalizing a CRD failed");
        }
    }
}

/// A ResourceDef for a CRD's objects at its storage version (for cleanup).
fn served_def(crd: &Value) -> ResourceDef {
    let group = str_at(crd, "/spec/group").to_string();
    let version = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        })
        .map(|v| str_at(v, "/name").to_string())
        .unwrap_or_default();
    ResourceDef {
        group,
        version,
        kind: str_at(crd, "/spec/names/kind").to_string(),
        resource: match str_at(crd, "/status/acceptedNames/plural") {
            "" => str_at(crd, "/spec/names/plural").to_string(),
            p => p.to_string(),
        },
        namespaced: str_at(crd, "/spec/scope") != "Cluster",
        verbs: vec![],
        subresources: vec![],
        custom: None,
    }
}

// ---- request hooks for custom objects ----

/// Prunes unknown fields; returns kube's `unknown field "..."` findings.
pub fn prune(cr: &CustomResource, obj: &mut Value) -> Vec<String> {
    match &cr.schema {
        Some(s) => s
            .prune(obj)
            .into_iter()
            .map(|p| format!("unknown field \"{p}\""))
            .collect(),
        None => Vec::new(),
    }
}

/// Defaults from the schema.
pub fn default(cr: &CustomResource, obj: &mut Value) {
    if let Some(s) = &cr.schema {
        s.default(obj);
    }
}

/// Schema and CEL validation of a custom object (`old` on update).
pub fn validate(cr: &CustomResource, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    match &cr.schema {
        Some(s) => s.validate(obj, old),
        None => Vec::new(),
    }
}

/// Table columns and cells for custom objects.
pub fn table(
    cr: &CustomResource,
    objects: &[Value],
    list_meta: Value,
    include: vnest_api::table::IncludeObject,
) -> Value {
    let columns = vnest_api::crd::printer_columns(&cr.version_spec);
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = Map::new();
            row.insert(
                "cells".into(),
                json!(vnest_api::crd::printer_cells(
                    &cr.version_spec,
                    o,
                    chrono::Utc::now().timestamp()
                )),
            );
            let object = match include {
                vnest_api::table::IncludeObject::None => Value::Null,
                vnest_api::table::IncludeObject::Object => o.clone(),
                vnest_api::table::IncludeObject::Metadata => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o.get("metadata").cloned().unwrap_or(json!({})),
                }),
            };
            row.insert("object".into(), object);
            Value::Object(row)
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn path_pointer(path: &str) -> String {
    path.trim_start_matches('.')
        .split('.')
        .map(|s| format!("/{s}"))
        .collect()
}

/// The autoscaling/v1 Scale of a custom object.
pub fn scale_of(cr: &CustomResource, obj: &Value) -> Option<Value> {
    let paths = cr.scale.as_ref()?;
    let mut meta = Map::new();
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = obj.pointer(&format!("/metadata/{k}")) {
            meta.insert(k.into(), v.clone());
        }
    }
    let replicas = obj
        .pointer(&path_pointer(&paths.spec_replicas))
        .cloned()
        .unwrap_or(json!(0));
    let status_replicas = obj
        .pointer(&path_pointer(&paths.status_replicas))
        .cloned()
        .unwrap_or(json!(0));
    let mut status = json!({"replicas": status_replicas});
    if let Some(sel) = paths
        .label_selector
        .as_deref()
        .and_then(|p| obj.pointer(&path_pointer(p)))
        .and_then(Value::as_str)
    {
        status["selector"] = json!(sel);
    }
    Some(json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": Value::Object(meta),
        "spec": {"replicas": replicas},
        "status": status,
    }))
}

/// Writes `replicas` at the spec replicas path.
pub fn set_replicas(cr: &CustomResource, obj: &mut Value, replicas: i64) {
    let Some(paths) = &cr.scale else { return };
    let mut cur = obj;
    let parts: Vec<&str> = paths
        .spec_replicas
        .trim_start_matches('.')
        .split('.')
        .collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let Some(m) = cur.as_object_mut() else { return };
        if i + 1 == parts.len() {
            m.insert(part.to_string(), json!(replicas));
            return;
        }
        cur = m.entry(part.to_string()).or_insert_with(|| json!({}));
    }
}

/// kube's v1 defaults of a CRD spec: singular and listKind from the kind, conversion
/// strategy None.
pub fn default_crd(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.get("conversion").is_none_or(Value::is_null) {
        spec.insert("conversion".into(), json!({"strategy": "None"}));
    }
    if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
        let kind = names
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !kind.is_empty() {
            if names
                .get("singular")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                names.insert("singular".into(), json!(kind.to_ascii_lowercase()));
            }
            if names
                .get("listKind")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                names.insert("listKind".into(), json!(format!("{kind}List")));
            }
        }
    }
}

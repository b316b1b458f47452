//! Server-side apply (structured-merge-diff): merging an applied configuration into
//! the live object by the type tree, the applier's field set, conflicts with other
//! managers, and removal of fields an applier stops applying.

use serde_json::{json, Map, Value};

use super::compare::item_element;
use super::schema::{ListRel, Ty, Types};
use super::set::{values_equal, PathElement, Set};
use super::{cap_update_managers, decode, managed_fields_of, sort_entries, strip_set, Entry};
use crate::status::ApiError;

/// Nesting beyond this is not walked (objects that deep fail validation anyway).
const MAX_DEPTH: usize = 128;

/// A field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager, as kube prints it (`"kubectl-edit" using v1`).
    pub manager: String,
    /// The field, in structured-merge-diff's path form (`.spec.replicas`).
    pub path: String,
}

/// Why an apply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("apply conflicts: {0:?}")]
    Conflicts(Vec<Conflict>),
}

impl ApplyError {
    /// kube-apiserver's answer: 409 with one FieldManagerConflict cause per field.
    pub fn to_api_error(&self) -> ApiError {
        let ApplyError::Conflicts(conflicts) = self;
        let message = if let [only] = conflicts.as_slice() {
            format!(
                "Apply failed with 1 conflict: conflict with {}: {}",
                only.manager, only.path
            )
        } else {
            let mut managers: Vec<&String> = conflicts.iter().map(|c| &c.manager).collect();
            managers.sort();
            managers.dedup();
            let mut lines = Vec::new();
            for m in managers {
                lines.push(format!("conflicts with {m}:"));
                for c in conflicts.iter().filter(|c| &c.manager == m) {
                    lines.push(format!("- {}", c.path));
                }
            }
            format!(
                "Apply failed with {} conflicts: {}",
                conflicts.len(),
                lines.join("\n")
            )
        };
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|c| {
                json!({
                    "reason": "FieldManagerConflict",
                    "message": format!("conflict with {}", c.manager),
                    "field": c.path,
                })
            })
            .collect();
        ApiError::new(409, "Conflict", message).with_details(json!({"causes": causes}))
    }
}

/// structured-merge-diff's text form of a path: `.spec.containers[name="web"].image`.
fn path_string(path: &[PathElement]) -> String {
    let mut out = String::new();
    for pe in path {
        match pe {
            PathElement::Field(name) => {
                out.push('.');
                out.push_str(name);
            }
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", v)).collect();
                out.push('[');
                out.push_str(&parts.join(","));
                out.push(']');
            }
            PathElement::Value(v) => {
                out.push_str("[=");
                out.push_str(&v.to_string());
                out.push(']');
            }
            PathElement::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// How kube names a manager in conflicts.
fn manager_text(e: &Entry) -> String {
    let mut s = format!("{:?}", e.manager);
    if !e.subresource.is_empty() {
        s = format!("{s} with subresource {:?}", e.subresource);
    }
    if e.operation == "Update" {
        s = format!("{s} using {}", e.api_version);
    }
    s
}

/// The set of fields an applied configuration specifies (structured-merge-diff's
/// `ToFieldSet`): leaves, atomic values, empty containers and keyed list items.
pub(crate) fn applied_set<'t>(types: &'t Types, ty: Ty<'t>, v: &Value) -> Set {
    let mut out = Set::default();
    collect(types, ty, v, &mut Vec::new(), &mut out, 0);
    out
}

fn collect<'t>(
    types: &'t Types,
    ty: Ty<'t>,
    v: &Value,
    path: &mut Vec<PathElement>,
    out: &mut Set,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        out.insert(path);
        return;
    }
    let granular_object =
        |out: &mut Set, path: &mut Vec<PathElement>, member: &dyn Fn(&str) -> Ty<'t>| {
            let Some(m) = v.as_object() else {
                out.insert(path);
                return;
            };
            if m.is_empty() {
                out.insert(path);
            }
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                collect(types, member(k), child, path, out, depth + 1);
                path.pop();
            }
        };
    match ty {
        Ty::Scalar => out.insert(path),
        Ty::Struct(def) if def.atomic => out.insert(path),
        Ty::Map(_, true) => out.insert(path),
        Ty::Struct(_) | Ty::Custom => granular_object(out, path, &|k| types.member(ty, k)),
        Ty::Map(value, false) => granular_object(out, path, &|_| types.ty(value)),
        Ty::Free => granular_object(out, path, &|_| Ty::Free),
        Ty::List(item, rel) => {
            let Some(items) = v.as_array() else {
                out.insert(path);
                return;
            };
            match rel {
                ListRel::Atomic => out.insert(path),
                ListRel::Set | ListRel::Map(_) => {
                    if items.is_empty() {
                        out.insert(path);
                    }
                    let item_ty = types.ty(item);
                    for it in items {
                        let Some(pe) = item_element(rel, it) else {
                            continue;
                        };
                        path.push(pe);
                        out.insert(path);
                        if matches!(rel, ListRel::Map(_)) {
                            if let Some(m) = it.as_object() {
                                for (k, child) in m {
                                    path.push(PathElement::Field(k.clone()));
                                    collect(
                                        types,
                                        types.member(item_ty, k),
                                        child,
                                        path,
                                        out,
                                        depth + 1,
                                    );
                                    path.pop();
                                }
                            }
                        }
                        path.pop();
                    }
                }
            }
        }
    }
}

/// Merges `applied` into `live` by the type tree.
pub(crate) fn merge<'t>(
    types: &'t Types,
    ty: Ty<'t>,
    live: Option<&Value>,
    applied: &Value,
    depth: usize,
) -> Value {
    if depth > MAX_DEPTH {
        return applied.clone();
    }
    let merge_object = |member: &dyn Fn(&str) -> Ty<'t>| -> Value {
        let Some(a) = applied.as_object() else {
            return applied.clone();
        };
        let mut out: Map<String, Value> =
            live.and_then(Value::as_object).cloned().unwrap_or_default();
        for (k, av) in a {
            let merged = merge(types, member(k), out.get(k), av, depth + 1);
            out.insert(k.clone(), merged);
        }
        Value::Object(out)
    };
    match ty {
        Ty::Scalar | Ty::Map(_, true) => applied.clone(),
        Ty::Struct(def) if def.atomic => applied.clone(),
        Ty::Struct(_) | Ty::Custom => merge_object(&|k| types.member(ty, k)),
        Ty::Map(value, false) => merge_object(&|_| types.ty(value)),
        Ty::Free => merge_object(&|_| Ty::Free),
        Ty::List(item, rel) => {
            let (Some(a), Some(l)) = (applied.as_array(), live.and_then(Value::as_array)) else {
                return applied.clone();
            };
            match rel {
                ListRel::Atomic => applied.clone(),
                ListRel::Set => {
                    let mut out = l.clone();
                    for v in a {
                        if !out.iter().any(|x| values_equal(x, v)) {
                            out.push(v.clone());
                        }
                    }
                    Value::Array(out)
                }
                ListRel::Map(_) => {
                    let item_ty = types.ty(item);
                    let mut out = l.clone();
                    for ai in a {
                        let key = item_element(rel, ai);
                        let pos = key.as_ref().and_then(|k| {
                            out.iter()
                                .position(|li| item_element(rel, li).as_ref() == Some(k))
                        });
                        match pos {
                            Some(i) => {
                                let merged = merge(types, item_ty, out.get(i), ai, depth + 1);
                                out[i] = merged;
                            }
                            None => out.push(ai.clone()),
                        }
                    }
                    Value::Array(out)
                }
            }
        }
    }
}

fn step<'v>(v: &'v Value, pe: &PathElement) -> Option<&'v Value> {
    match pe {
        PathElement::Field(k) => v.as_object()?.get(k),
        PathElement::Key(fields) => v.as_array()?.iter().find(|it| {
            fields.iter().all(|(k, want)| match it.get(k) {
                Some(have) => values_equal(have, want),
                None => k == "protocol" && want == "TCP",
            })
        }),
        PathElement::Value(want) => v.as_array()?.iter().find(|x| values_equal(x, want)),
        PathElement::Index(i) => v.as_array()?.get(usize::try_from(*i).ok()?),
    }
}

/// The value at `path`, if the object has it.
pub(crate) fn lookup<'v>(v: &'v Value, path: &[PathElement]) -> Option<&'v Value> {
    path.iter().try_fold(v, |cur, pe| step(cur, pe))
}

fn step_mut<'v>(v: &'v mut Value, pe: &PathElement) -> Option<&'v mut Value> {
    match pe {
        PathElement::Field(k) => v.as_object_mut()?.get_mut(k),
        PathElement::Index(i) => v.as_array_mut()?.get_mut(usize::try_from(*i).ok()?),
        other => {
            let arr = v.as_array_mut()?;
            let pos = arr
                .iter()
                .position(|it| step(&Value::Array(vec![it.clone()]), other).is_some())?;
            arr.get_mut(pos)
        }
    }
}

/// Removes the field, map entry or list item at `path`.
fn remove_path(v: &mut Value, path: &[PathElement]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for pe in parents {
        match step_mut(cur, pe) {
            Some(next) => cur = next,
            None => return,
        }
    }
    match last {
        PathElement::Field(k) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(k);
            }
        }
        PathElement::Index(i) => {
            if let (Some(a), Ok(i)) = (cur.as_array_mut(), usize::try_from(*i)) {
                if i < a.len() {
                    a.remove(i);
                }
            }
        }
        other => {
            if let Some(a) = cur.as_array_mut() {
                a.retain(|it| step(&Value::Array(vec![it.clone()]), other).is_none());
            }
        }
    }
}

/// The type at `path`.
fn ty_at<'t>(types: &'t Types, mut ty: Ty<'t>, path: &[PathElement]) -> Ty<'t> {
    for pe in path {
        ty = match (pe, ty) {
            (PathElement::Field(k), t) => types.member(t, k),
            (_, Ty::List(item, _)) => types.ty(item),
            _ => Ty::Free,
        };
    }
    ty
}

/// Whether a value of this type is owned as a whole (its changes can conflict).
fn is_leaf(ty: Ty<'_>, v: Option<&Value>) -> bool {
    match ty {
        Ty::Scalar | Ty::Map(_, true) => true,
        Ty::Struct(def) => def.atomic,
        Ty::List(_, ListRel::Atomic) => true,
        Ty::Free => !v.is_some_and(Value::is_object),
        _ => false,
    }
}

/// Everything one apply needs.
pub struct ApplyRequest<'a> {
    /// The stored object; `None` when the apply creates it.
    pub live: Option<&'a Value>,
    /// The applied configuration (decoded from YAML, unknown fields already refused).
    pub applied: &'a Value,
    pub types: super::TypeSource<'a>,
    pub manager: &'a str,
    /// apiVersion of the request (`v1`, `apps/v1`).
    pub api_version: &'a str,
    /// `Some("status")` for an apply to `/status`.
    pub subresource: Option<&'a str>,
    pub status_is_subresource: bool,
    /// Take fields from other managers instead of failing with conflicts.
    pub force: bool,
    /// RFC 3339, seconds.
    pub time: &'a str,
}

/// Applies a configuration: the new object, with its `metadata.managedFields`.
pub fn apply(req: ApplyRequest<'_>) -> Result<Value, ApplyError> {
    let (types, ty) = req.types.resolve();
    let mut applied = req.applied.clone();
    if let Some(meta) = applied.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    // The status/main split of resources with a status subresource.
    if req.status_is_subresource {
        if let Some(m) = applied.as_object_mut() {
            if req.subresource == Some("status") {
                m.retain(|k, _| {
                    matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status")
                });
            } else {
                m.remove("status");
            }
        }
    }
    let mut live = req.live.cloned().unwrap_or_else(|| json!({}));
    if let Some(meta) = live.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    let mut new_set = applied_set(types, ty, &applied);
    new_set.difference(&strip_set());
    let mut entries = decode(managed_fields_of(req.live)).unwrap_or_default();
    let mine = Entry {
        manager: req.manager.to_string(),
        operation: "Apply".to_string(),
        api_version: req.api_version.to_string(),
        subresource: req.subresource.unwrap_or_default().to_string(),
        time: Some(Value::String(req.time.to_string())),
        set: Set::default(),
    };
    let my_id = mine.identity();
    let previous = entries
        .iter()
        .find(|e| e.identity() == my_id)
        .map(|e| e.set.clone())
        .unwrap_or_default();
    let mut merged = merge(types, ty, Some(&live), &applied, 0);

    // Conflicts: fields this apply changes that another manager owns.
    let mut conflicts = Vec::new();
    let mut taken = Set::default();
    for path in new_set.members() {
        let before = lookup(&live, &path);
        let after = lookup(&merged, &path);
        let changed = match (before, after) {
            (Some(b), Some(a)) => !values_equal(b, a),
            _ => false,
        };
        if !changed || !is_leaf(ty_at(types, ty, &path), after) {
            continue;
        }
        for e in entries.iter().filter(|e| e.identity() != my_id) {
            if e.set.contains(&path) {
                conflicts.push(Conflict {
                    manager: manager_text(e),
                    path: path_string(&path),
                });
                taken.insert(&path);
            }
        }
    }
    if !conflicts.is_empty() && !req.force {
        return Err(ApplyError::Conflicts(conflicts));
    }
    for e in entries.iter_mut().filter(|e| e.identity() != my_id) {
        e.set.difference(&taken);
    }

    // Fields this manager no longer applies go, unless someone else owns them.
    let mut dropped = previous;
    dropped.difference(&new_set);
    // Shallowest first; what lies below a removed path goes with it.
    let mut dropped_paths = dropped.members();
    dropped_paths.sort_by_key(Vec::len);
    let mut removed: Vec<Vec<PathElement>> = Vec::new();
    for path in dropped_paths {
        if removed.iter().any(|r| path.starts_with(r)) {
            continue;
        }
        let owned_elsewhere = entries
            .iter()
            .filter(|e| e.identity() != my_id)
            .any(|e| e.set.contains(&path) || has_below(&e.set, &path));
        if !owned_elsewhere && !has_below(&new_set, &path) {
            remove_path(&mut merged, &path);
            removed.push(path);
        }
    }

    // Record ownership; entries forget what no longer exists.
    entries.retain(|e| e.identity() != my_id);
    entries.push(Entry {
        set: new_set,
        ..mine
    });
    for e in &mut entries {
        let gone: Vec<Vec<PathElement>> = e
            .set
            .members()
            .into_iter()
            .filter(|p| lookup(&merged, p).is_none())
            .collect();
        let mut gone_set = Set::default();
        for p in &gone {
            gone_set.insert(p);
        }
        e.set.difference(&gone_set);
    }
    entries.retain(|e| !e.set.is_empty() || e.identity() == my_id);
    cap_update_managers(&mut entries);
    sort_entries(&mut entries);
    if let Some(meta) = merged.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert(
            "managedFields".into(),
            Value::Array(entries.iter().map(Entry::encode).collect()),
        );
    } else if let Some(m) = merged.as_object_mut() {
        m.insert(
            "metadata".into(),
            json!({"managedFields": entries.iter().map(Entry::encode).collect::<Vec<_>>()}),
        );
    }
    Ok(merged)
}

/// Whether `set` has a path strictly below `path` (then `path` must stay).
fn has_below(set: &Set, path: &[PathElement]) -> bool {
    set.members()
        .iter()
        .any(|p| p.len() > path.len() && p.starts_with(path))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::managed::{CustomTypes, TypeSource};

    const CM: Option<&str> = Some("io.k8s.api.core.v1.ConfigMap");
    const DEPLOY: Option<&str> = Some("io.k8s.api.apps.v1.Deployment");
    const T: &str = "2026-01-01T00:00:00Z";

    fn run(
        def: Option<&str>,
        live: Option<&Value>,
        applied: Value,
        manager: &str,
        force: bool,
    ) -> Result<Value, ApplyError> {
        apply(ApplyRequest {
            live,
            applied: &applied,
            types: TypeSource::Builtin(def),
            manager,
            api_version: "v1",
            subresource: None,
            status_is_subresource: false,
            force,
            time: T,
        })
    }

    fn entry<'v>(obj: &'v Value, manager: &str) -> Option<&'v Value> {
        obj["metadata"]["managedFields"]
            .as_array()?
            .iter()
            .find(|e| e["manager"] == manager)
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
    }

    #[test]
    fn create_then_reapply_owns_exactly_the_applied_fields() {
        let obj = run(CM, None, cm(json!({"a": "1"})), "m1", false).unwrap();
        assert_eq!(obj["data"], json!({"a": "1"}));
        let e = entry(&obj, "m1").unwrap();
        assert_eq!(e["operation"], "Apply");
        assert_eq!(e["fieldsV1"], json!({"f:data": {"f:a": {}}}));
        let again = run(CM, Some(&obj), cm(json!({"a": "1"})), "m1", false).unwrap();
        assert_eq!(again["data"], obj["data"]);
        assert_eq!(
            again["metadata"]["managedFields"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn shared_values_conflicts_force_and_removal() {
        let obj = run(CM, None, cm(json!({"a": "1", "b": "2"})), "m1", false).unwrap();
        // m2 agrees on a: shared ownership, no conflict.
        let obj = run(CM, Some(&obj), cm(json!({"a": "1"})), "m2", false).unwrap();
        // m2 changing b, owned by m1, conflicts.
        let err = run(CM, Some(&obj), cm(json!({"b": "3"})), "m2", false).unwrap_err();
        let api = err.to_api_error();
        assert_eq!(api.code, 409);
        assert_eq!(
            api.message,
            "Apply failed with 1 conflict: conflict with \"m1\": .data.b"
        );
        assert_eq!(
            api.details,
            Some(
                json!({"causes": [{"reason": "FieldManagerConflict", "message": "conflict with \"m1\"", "field": ".data.b"}]})
            )
        );
        // Forced: m2 takes b from m1.
        let obj = run(CM, Some(&obj), cm(json!({"a": "1", "b": "3"})), "m2", true).unwrap();
        assert_eq!(obj["data"]["b"], "3");
        assert_eq!(
            entry(&obj, "m1").unwrap()["fieldsV1"],
            json!({"f:data": {"f:a": {}}})
        );
        // m1 stops applying a: m2 still owns it, it stays.
        let obj = run(CM, Some(&obj), cm(json!({"z": "0"})), "m1", false).unwrap();
        assert_eq!(obj["data"], json!({"a": "1", "b": "3", "z": "0"}));
        // m2 stops applying b: nobody owns it, it goes.
        let obj = run(CM, Some(&obj), cm(json!({"a": "1"})), "m2", false).unwrap();
        assert_eq!(obj["data"], json!({"a": "1", "z": "0"}));
    }

    #[test]
    fn conflicts_with_update_managers_name_their_version() {
        let mut live = cm(json!({"a": "1"}));
        live["metadata"]["managedFields"] = json!([{
            "manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": T,
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:a": {}}},
        }]);
        let err = run(CM, Some(&live), cm(json!({"a": "2"})), "m1", false).unwrap_err();
        assert_eq!(
            err.to_api_error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.a"
        );
        // Adding a new key to a map someone else created is no conflict.
        let ok = run(CM, Some(&live), cm(json!({"b": "2"})), "m1", false).unwrap();
        assert_eq!(ok["data"], json!({"a": "1", "b": "2"}));
    }

    fn deploy(containers: Value, replicas: i64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}},
        })
    }

    #[test]
    fn keyed_lists_merge_by_key() {
        let c1 = json!([{"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]}]);
        let obj = run(DEPLOY, None, deploy(c1, 2), "m1", false).unwrap();
        let set = &entry(&obj, "m1").unwrap()["fieldsV1"];
        assert_eq!(set["f:spec"]["f:selector"], json!({}));
        assert_eq!(
            set["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"a\"}"]["f:ports"],
            json!({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}})
        );
        // Another manager adds a container: both stay.
        let c2 = json!([{"name": "b", "image": "b:1"}]);
        let obj = run(DEPLOY, Some(&obj), deploy(c2, 2), "m2", false).unwrap();
        let names: Vec<&Value> = obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["name"])
            .collect();
        assert_eq!(names, vec![&json!("a"), &json!("b")]);
        // m2 changing a's image conflicts at the keyed path.
        let c3 = json!([{"name": "a", "image": "a:2"}]);
        let err = run(DEPLOY, Some(&obj), deploy(c3.clone(), 2), "m2", false).unwrap_err();
        assert_eq!(
            err.to_api_error().message,
            "Apply failed with 1 conflict: conflict with \"m1\": .spec.template.spec.containers[name=\"a\"].image"
        );
        // m1 drops its container: it goes, b stays.
        let obj = run(DEPLOY, Some(&obj), deploy(json!([]), 2), "m1", false).unwrap();
        let names: Vec<&Value> = obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["name"])
            .collect();
        assert_eq!(names, vec![&json!("b")]);
    }

    #[test]
    fn sets_and_status_rules() {
        let with_finalizers = |f: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": f}});
        let obj = run(CM, None, with_finalizers(json!(["x/a"])), "m1", false).unwrap();
        let obj = run(CM, Some(&obj), with_finalizers(json!(["x/b"])), "m2", false).unwrap();
        assert_eq!(obj["metadata"]["finalizers"], json!(["x/a", "x/b"]));
        assert_eq!(
            entry(&obj, "m2").unwrap()["fieldsV1"],
            json!({"f:metadata": {"f:finalizers": {"v:\"x/b\"": {}}}})
        );
        // Status is not taken through the main resource of a type with /status.
        let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                             "spec": {"replicas": 1}, "status": {"replicas": 9}});
        let obj = apply(ApplyRequest {
            live: None,
            applied: &applied,
            types: TypeSource::Builtin(DEPLOY),
            manager: "m",
            api_version: "apps/v1",
            subresource: None,
            status_is_subresource: true,
            force: false,
            time: T,
        })
        .unwrap();
        assert!(obj.get("status").is_none());
        let obj = apply(ApplyRequest {
            live: Some(&obj),
            applied: &applied,
            types: TypeSource::Builtin(DEPLOY),
            manager: "m",
            api_version: "apps/v1",
            subresource: Some("status"),
            status_is_subresource: true,
            force: false,
            time: T,
        })
        .unwrap();
        assert_eq!(obj["status"]["replicas"], 9);
        assert_eq!(obj["spec"]["replicas"], 1);
        let status_entry = obj["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["subresource"] == "status")
            .unwrap();
        assert_eq!(
            status_entry["fieldsV1"],
            json!({"f:status": {"f:replicas": {}}})
        );
    }

    #[test]
    fn custom_resource_schemas_drive_list_merging() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "users": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "properties": {"name": {"type": "string"}, "role": {"type": "string"}}}},
            "tags": {"type": "array", "items": {"type": "string"}},
        }}}});
        let types = CustomTypes::from_openapi_v3(&schema);
        let go = |live: Option<&Value>, spec: Value, m: &str| {
            let applied = json!({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec});
            apply(ApplyRequest {
                live,
                applied: &applied,
                types: TypeSource::Custom(&types),
                manager: m,
                api_version: "x.io/v1",
                subresource: None,
                status_is_subresource: false,
                force: false,
                time: T,
            })
        };
        let obj = go(
            None,
            json!({"users": [{"name": "a", "role": "r"}], "tags": ["x"]}),
            "m1",
        )
        .unwrap();
        let obj = go(Some(&obj), json!({"users": [{"name": "b"}]}), "m2").unwrap();
        assert_eq!(
            obj["spec"]["users"],
            json!([{"name": "a", "role": "r"}, {"name": "b"}])
        );
        // Atomic list (no list type): replacing it conflicts with its owner.
        let err = go(Some(&obj), json!({"tags": ["y"]}), "m2").unwrap_err();
        assert_eq!(
            err.to_api_error().message,
            "Apply failed with 1 conflict: conflict with \"m1\": .spec.tags"
        );
    }
}

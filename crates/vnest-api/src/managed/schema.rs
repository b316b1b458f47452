//! The type tree structured-merge-diff builds from kube-apiserver's OpenAPI document,
//! as field ownership needs it: which properties are structs, which lists are atomic,
//! sets of scalars or maps keyed by some of their items' fields, and which maps and
//! structs are atomic.
//!
//! The data is the same `data/patch-metadata.json` the patch code embeds. The rules
//! for lists follow kube's conversion: `x-kubernetes-list-type` wins; without it a
//! `merge` patch strategy makes the list associative (keyed by the patch merge key,
//! or a set when there is none); anything else is atomic.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

static METADATA_JSON: &str = include_str!("../../data/patch-metadata.json");

/// `metav1.ObjectMeta`, used for `metadata` of objects without a known definition.
pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// Empty Go structs that still are structs (every other definition without
/// properties is a scalar or a free-form value).
const EMPTY_STRUCTS: &[&str] =
    &["io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus"];

/// How the items of a list are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListRel {
    /// The list is owned as a whole.
    Atomic,
    /// A set of scalars: items are identified by their value (`v:`).
    Set,
    /// Items are identified by these fields (`k:`).
    Map(Vec<String>),
}

/// What a property holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Scalar,
    /// No type information: maps are granular, lists atomic.
    Free,
    Ref(String),
    List(Box<Shape>, ListRel),
    /// A map with free-form keys; `true` when it is atomic.
    Map(Box<Shape>, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefKind {
    Struct,
    Free,
    Scalar,
}

/// One definition.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) name: String,
    kind: DefKind,
    /// `x-kubernetes-map-type: atomic` (`+structType=atomic`).
    pub(crate) atomic: bool,
    props: HashMap<String, Shape>,
}

/// All definitions, keyed by OpenAPI name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Types {
    defs: HashMap<String, Def>,
    /// Where definitions this set lacks come from (the built-in types, for the
    /// `ObjectMeta` of custom resources).
    fallback: Option<&'static Types>,
}

/// A position in the type tree.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty<'s> {
    Scalar,
    Free,
    Struct(&'s Def),
    /// The top level of an object without a known definition (custom resources):
    /// `metadata` is an `ObjectMeta`, everything else is free-form.
    Custom,
    List(&'s Shape, &'s ListRel),
    Map(&'s Shape, bool),
}

fn list_rel(prop: &Map<String, Value>) -> ListRel {
    let s = |k: &str| prop.get(k).and_then(Value::as_str);
    match s("listType") {
        Some("atomic") => return ListRel::Atomic,
        Some("set") => return ListRel::Set,
        Some("map") => {
            let keys: Vec<String> = prop
                .get("listMapKeys")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if !keys.is_empty() {
                return ListRel::Map(keys);
            }
            return match s("patchMergeKey") {
                Some(k) => ListRel::Map(vec![k.to_string()]),
                None => ListRel::Atomic,
            };
        }
        _ => {}
    }
    match s("patchStrategy") {
        Some("merge" | "merge,retainKeys") => match s("patchMergeKey") {
            Some(k) if !k.is_empty() => ListRel::Map(vec![k.to_string()]),
            _ => ListRel::Set,
        },
        _ => ListRel::Atomic,
    }
}

fn item_shape(r: Option<&str>, t: Option<&str>) -> Shape {
    match (r, t) {
        (Some(r), _) => Shape::Ref(r.to_string()),
        (None, Some("object" | "array")) | (None, None) => Shape::Free,
        (None, Some(_)) => Shape::Scalar,
    }
}

fn shape(prop: &Map<String, Value>) -> Shape {
    let s = |k: &str| prop.get(k).and_then(Value::as_str);
    if let Some(r) = s("ref") {
        return Shape::Ref(r.to_string());
    }
    match s("type") {
        Some("array") => Shape::List(
            Box::new(item_shape(s("items_ref"), s("items_type"))),
            list_rel(prop),
        ),
        Some("object") => {
            let atomic = s("mapType") == Some("atomic");
            let value = match (
                s("additionalProperties_ref"),
                s("additionalProperties_type"),
            ) {
                (Some(r), _) => Shape::Ref(r.to_string()),
                (None, Some("array")) => Shape::List(
                    Box::new(item_shape(None, s("additionalProperties_items_type"))),
                    ListRel::Atomic,
                ),
                (None, Some("object")) => Shape::Free,
                (None, Some(_)) => Shape::Scalar,
                (None, None) => return Shape::Free,
            };
            Shape::Map(Box::new(value), atomic)
        }
        Some(_) => Shape::Scalar,
        None => Shape::Free,
    }
}

/// Name of the root definition of a CRD's type tree.
const CRD_ROOT: &str = "crd#";
/// Deeper schemas are treated as free-form (the CRD validation caps depth anyway).
const MAX_SCHEMA_DEPTH: usize = 64;

/// A struct definition for an object schema node, registering nested structs.
fn struct_def(types: &mut Types, node: &Value, name: &str, depth: usize) -> Def {
    let mut def = Def {
        name: name.to_string(),
        kind: DefKind::Struct,
        atomic: node.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic"),
        props: HashMap::new(),
    };
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let shape = schema_shape(types, v, &format!("{name}.{k}"), depth + 1);
            def.props.insert(k.clone(), shape);
        }
    }
    if node
        .get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        == Some(true)
    {
        def.props
            .insert("metadata".into(), Shape::Ref(OBJECT_META.to_string()));
        def.props.insert("apiVersion".into(), Shape::Scalar);
        def.props.insert("kind".into(), Shape::Scalar);
    }
    def
}

/// The shape of one schema node of a CRD.
fn schema_shape(types: &mut Types, node: &Value, name: &str, depth: usize) -> Shape {
    if depth > MAX_SCHEMA_DEPTH {
        return Shape::Free;
    }
    let flag = |k: &str| node.get(k).and_then(Value::as_bool) == Some(true);
    if flag("x-kubernetes-int-or-string") {
        return Shape::Scalar;
    }
    let has_props = node
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    match node.get("type").and_then(Value::as_str) {
        Some("object") | None if has_props || flag("x-kubernetes-embedded-resource") => {
            let def = struct_def(types, node, name, depth);
            types.defs.insert(name.to_string(), def);
            Shape::Ref(name.to_string())
        }
        Some("object") => match node.get("additionalProperties") {
            Some(add) if add.is_object() => {
                let atomic =
                    node.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic");
                let value = schema_shape(types, add, &format!("{name}[]"), depth + 1);
                Shape::Map(Box::new(value), atomic)
            }
            _ => Shape::Free,
        },
        Some("array") => {
            let item = match node.get("items") {
                Some(items) => schema_shape(types, items, &format!("{name}[]"), depth + 1),
                None => Shape::Free,
            };
            let rel = match node.get("x-kubernetes-list-type").and_then(Value::as_str) {
                Some("set") => ListRel::Set,
                Some("map") => {
                    let keys: Vec<String> = node
                        .get("x-kubernetes-list-map-keys")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    if keys.is_empty() {
                        ListRel::Atomic
                    } else {
                        ListRel::Map(keys)
                    }
                }
                _ => ListRel::Atomic,
            };
            Shape::List(Box::new(item), rel)
        }
        None if flag("x-kubernetes-preserve-unknown-fields") => Shape::Free,
        None => Shape::Free,
        Some(_) => Shape::Scalar,
    }
}

impl Types {
    /// The built-in types, parsed on first use. An unreadable embedded file (checked
    /// by the tests) would leave every definition unknown: everything is free-form.
    pub(crate) fn builtin() -> &'static Types {
        static BUILTIN: OnceLock<Types> = OnceLock::new();
        BUILTIN.get_or_init(|| Types::from_json(METADATA_JSON).unwrap_or_default())
    }

    /// Parses metadata in the `patch-metadata.json` format.
    pub(crate) fn from_json(text: &str) -> Result<Types, serde_json::Error> {
        let root: Map<String, Value> = serde_json::from_str(text)?;
        let mut types = Types::default();
        for (name, props) in root {
            let Value::Object(props) = props else {
                continue;
            };
            let mut def = Def {
                name: name.clone(),
                kind: DefKind::Struct,
                atomic: false,
                props: HashMap::new(),
            };
            let mut def_type = None;
            for (pname, p) in &props {
                let Value::Object(p) = p else { continue };
                if pname == "__definition__" {
                    def.atomic = p.get("mapType").and_then(Value::as_str) == Some("atomic");
                    def_type = p.get("type").and_then(Value::as_str).map(str::to_string);
                    continue;
                }
                def.props.insert(pname.clone(), shape(p));
            }
            if def.props.is_empty() && !EMPTY_STRUCTS.contains(&name.as_str()) {
                def.kind = match def_type.as_deref() {
                    Some("object") | None => DefKind::Free,
                    Some(_) => DefKind::Scalar,
                };
            }
            types.defs.insert(name, def);
        }
        Ok(types)
    }

    fn def(&self, name: &str) -> Option<&Def> {
        self.defs
            .get(name)
            .or_else(|| self.fallback.and_then(|f| f.defs.get(name)))
    }

    /// The type tree of a CRD version's `openAPIV3Schema`, as structured-merge-diff
    /// derives it: objects with properties are structs (atomic with
    /// `x-kubernetes-map-type: atomic`), `additionalProperties` make maps, arrays are
    /// atomic unless `x-kubernetes-list-type` says `set` or `map` (keyed by
    /// `x-kubernetes-list-map-keys`), int-or-string is a scalar, preserve-unknown
    /// nodes without properties are free-form, embedded resources get `ObjectMeta`.
    /// Returns the types and the name of the root definition.
    pub(crate) fn from_openapi_v3(schema: &Value) -> (Types, String) {
        let mut types = Types {
            defs: HashMap::new(),
            fallback: Some(Types::builtin()),
        };
        let root = CRD_ROOT.to_string();
        let mut def = struct_def(&mut types, schema, &root, 0);
        def.props
            .insert("metadata".into(), Shape::Ref(OBJECT_META.to_string()));
        def.props.insert("apiVersion".into(), Shape::Scalar);
        def.props.insert("kind".into(), Shape::Scalar);
        types.defs.insert(root.clone(), def);
        (types, root)
    }

    /// Whether the definition is known.
    #[cfg(test)]
    pub(crate) fn contains(&self, definition: &str) -> bool {
        self.defs.contains_key(definition)
    }

    /// The type of a top-level object; unknown definitions are custom resources.
    pub(crate) fn root(&self, definition: Option<&str>) -> Ty<'_> {
        match definition.and_then(|d| self.def(d)) {
            Some(def) => self.def_ty(def),
            None => Ty::Custom,
        }
    }

    fn def_ty<'s>(&'s self, def: &'s Def) -> Ty<'s> {
        match def.kind {
            DefKind::Struct => Ty::Struct(def),
            DefKind::Free => Ty::Free,
            DefKind::Scalar => Ty::Scalar,
        }
    }

    /// The type a [`Shape`] stands for.
    pub(crate) fn ty<'s>(&'s self, shape: &'s Shape) -> Ty<'s> {
        match shape {
            Shape::Scalar => Ty::Scalar,
            Shape::Free => Ty::Free,
            Shape::Ref(name) => match self.def(name) {
                Some(def) => self.def_ty(def),
                None => Ty::Free,
            },
            Shape::List(item, rel) => Ty::List(item, rel),
            Shape::Map(value, atomic) => Ty::Map(value, *atomic),
        }
    }

    /// The type of member `key` of a struct-like node (unknown members are free-form).
    pub(crate) fn member<'s>(&'s self, parent: Ty<'s>, key: &str) -> Ty<'s> {
        match parent {
            Ty::Struct(def) => match def.props.get(key) {
                Some(shape) => self.ty(shape),
                None => Ty::Free,
            },
            Ty::Custom => match key {
                "metadata" => match self.def(OBJECT_META) {
                    Some(def) => self.def_ty(def),
                    None => Ty::Free,
                },
                "apiVersion" | "kind" => Ty::Scalar,
                _ => Ty::Free,
            },
            Ty::Map(value, _) => self.ty(value),
            Ty::List(..) | Ty::Scalar | Ty::Free => Ty::Free,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop<'s>(t: &'s Types, def: &str, path: &[&str]) -> Ty<'s> {
        let mut ty = t.root(Some(def));
        for p in path {
            ty = match ty {
                Ty::List(item, _) => t.member(t.ty(item), p),
                other => t.member(other, p),
            };
        }
        ty
    }

    #[test]
    fn builtin_types_load() {
        let t = Types::builtin();
        assert!(t.contains("io.k8s.api.apps.v1.Deployment"));
        assert!(matches!(t.root(Some("com.example.v1.Widget")), Ty::Custom));
        assert!(matches!(t.root(None), Ty::Custom));
        assert!(matches!(
            t.root(Some("io.k8s.apimachinery.pkg.api.resource.Quantity")),
            Ty::Scalar
        ));
        assert!(matches!(
            t.root(Some("io.k8s.apimachinery.pkg.runtime.RawExtension")),
            Ty::Free
        ));
    }

    #[test]
    fn list_and_map_kinds() {
        let t = Types::builtin();
        let pod = "io.k8s.api.core.v1.Pod";
        assert!(matches!(
            prop(t, pod, &["spec", "containers"]),
            Ty::List(_, ListRel::Map(k)) if k == &["name".to_string()]
        ));
        assert!(matches!(
            prop(t, pod, &["spec", "containers", "ports"]),
            Ty::List(_, ListRel::Map(k)) if k == &["containerPort".to_string(), "protocol".to_string()]
        ));
        assert!(matches!(
            prop(t, pod, &["spec", "tolerations"]),
            Ty::List(_, ListRel::Atomic)
        ));
        assert!(matches!(
            prop(t, pod, &["metadata", "finalizers"]),
            Ty::List(_, ListRel::Set)
        ));
        assert!(matches!(
            prop(t, pod, &["spec", "nodeSelector"]),
            Ty::Map(_, true)
        ));
        assert!(matches!(
            prop(t, pod, &["metadata", "labels"]),
            Ty::Map(_, false)
        ));
        assert!(matches!(
            prop(t, "io.k8s.api.apps.v1.Deployment", &["spec", "selector"]),
            Ty::Struct(d) if d.atomic
        ));
        assert!(matches!(prop(t, pod, &["spec", "bogus"]), Ty::Free));
    }

    #[test]
    fn list_rel_rules() {
        let rel = |v: Value| match v {
            Value::Object(m) => list_rel(&m),
            _ => ListRel::Atomic,
        };
        assert_eq!(
            rel(serde_json::json!({"patchStrategy": "merge", "patchMergeKey": "ip"})),
            ListRel::Map(vec!["ip".into()])
        );
        assert_eq!(
            rel(serde_json::json!({"patchStrategy": "merge"})),
            ListRel::Set
        );
        assert_eq!(
            rel(
                serde_json::json!({"listType": "atomic", "patchStrategy": "merge", "patchMergeKey": "x"})
            ),
            ListRel::Atomic
        );
        assert_eq!(rel(serde_json::json!({})), ListRel::Atomic);
        assert_eq!(
            rel(serde_json::json!({"patchStrategy": "replace"})),
            ListRel::Atomic
        );
    }

    #[test]
    fn malformed_metadata_is_an_error() {
        assert!(Types::from_json("[1]").is_err());
    }
}

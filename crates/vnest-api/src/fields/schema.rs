//! The field tree of the built-in types, as strict decoding needs it: which JSON
//! properties a Go struct has, and what each one holds (another struct, a list, a map
//! with free-form keys, a scalar, or something decoded by its own `UnmarshalJSON` that
//! takes any JSON, such as `RawExtension` or `FieldsV1`).
//!
//! The data is the same `data/patch-metadata.json` the patch code embeds (see the golden
//! corpus README for its shape), parsed once into a smaller tree.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

static METADATA_JSON: &str = include_str!("../../data/patch-metadata.json");

/// `metav1.ObjectMeta`, which every top-level object has under `metadata`.
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// Definitions without properties are free-form (their Go types implement
/// `UnmarshalJSON`: `RawExtension`, `FieldsV1`, `JSON`, `Quantity`, `IntOrString`, ...),
/// except these, which are empty Go structs: every key in them is unknown.
const EMPTY_STRUCTS: &[&str] =
    &["io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus"];

/// What a property holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A string, number or boolean.
    Scalar,
    /// Any JSON at all (no type information, or a type with its own decoder).
    Free,
    /// Another definition.
    Ref(String),
    /// A list.
    Array(Box<Shape>),
    /// A map with free-form keys (`additionalProperties`).
    Map(Box<Shape>),
}

/// One definition: a struct with known properties, or a free-form type.
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeDef {
    free_form: bool,
    properties: HashMap<String, Shape>,
}

/// All definitions, keyed by OpenAPI name (`io.k8s.api.apps.v1.Deployment`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Types {
    defs: HashMap<String, TypeDef>,
}

/// A position in the type tree while walking an object.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty<'s> {
    /// A struct; `root` is true for the top-level object, where `apiVersion`, `kind`
    /// and `metadata` are always known.
    Struct {
        def: &'s TypeDef,
        root: bool,
    },
    Map(&'s Shape),
    Array(&'s Shape),
    Scalar,
    Free,
}

fn shape(prop: &Map<String, Value>) -> Shape {
    let s = |k: &str| prop.get(k).and_then(Value::as_str);
    if let Some(r) = s("ref") {
        return Shape::Ref(r.to_string());
    }
    match s("type") {
        Some("array") => {
            let item = match (s("items_ref"), s("items_type")) {
                (Some(r), _) => Shape::Ref(r.to_string()),
                (None, Some("object" | "array")) | (None, None) => Shape::Free,
                (None, Some(_)) => Shape::Scalar,
            };
            Shape::Array(Box::new(item))
        }
        Some("object") => {
            let value = match (
                s("additionalProperties_ref"),
                s("additionalProperties_type"),
            ) {
                (Some(r), _) => Shape::Ref(r.to_string()),
                (None, Some("array")) => {
                    Shape::Array(Box::new(match s("additionalProperties_items_type") {
                        Some("object" | "array") | None => Shape::Free,
                        Some(_) => Shape::Scalar,
                    }))
                }
                (None, Some("object")) => Shape::Free,
                (None, Some(_)) => Shape::Scalar,
                (None, None) => return Shape::Free,
            };
            Shape::Map(Box::new(value))
        }
        Some(_) => Shape::Scalar,
        None => Shape::Free,
    }
}

impl Types {
    /// The built-in types, parsed on first use. An unreadable embedded file (checked
    /// by the tests) would leave every definition unknown, so nothing is pruned.
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
            let mut def = TypeDef::default();
            for (pname, p) in &props {
                if pname == "__definition__" {
                    continue;
                }
                if let Value::Object(p) = p {
                    def.properties.insert(pname.clone(), shape(p));
                }
            }
            def.free_form = def.properties.is_empty() && !EMPTY_STRUCTS.contains(&name.as_str());
            types.defs.insert(name, def);
        }
        Ok(types)
    }

    /// Whether the definition is known.
    #[cfg(test)]
    pub(crate) fn contains(&self, definition: &str) -> bool {
        self.defs.contains_key(definition)
    }

    /// Number of definitions.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.defs.len()
    }

    /// The type of a top-level object of this definition.
    pub(crate) fn root(&self, definition: &str) -> Option<Ty<'_>> {
        self.defs.get(definition).map(|def| self.def_ty(def, true))
    }

    fn def_ty<'s>(&'s self, def: &'s TypeDef, root: bool) -> Ty<'s> {
        if def.free_form {
            Ty::Free
        } else {
            Ty::Struct { def, root }
        }
    }

    /// The type a [`Shape`] stands for.
    pub(crate) fn ty<'s>(&'s self, shape: &'s Shape) -> Ty<'s> {
        match shape {
            Shape::Scalar => Ty::Scalar,
            Shape::Free => Ty::Free,
            Shape::Ref(name) => match self.defs.get(name) {
                Some(def) => self.def_ty(def, false),
                None => Ty::Free,
            },
            Shape::Array(item) => Ty::Array(item),
            Shape::Map(value) => Ty::Map(value),
        }
    }

    /// The type of property `key` of a struct, `None` when the struct has no such field.
    pub(crate) fn field<'s>(&'s self, def: &'s TypeDef, root: bool, key: &str) -> Option<Ty<'s>> {
        if let Some(shape) = def.properties.get(key) {
            return Some(self.ty(shape));
        }
        if !root {
            return None;
        }
        match key {
            "apiVersion" | "kind" => Some(Ty::Scalar),
            "metadata" => Some(match self.defs.get(OBJECT_META) {
                Some(def) => self.def_ty(def, false),
                None => Ty::Free,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_load() {
        let t = Types::builtin();
        assert_eq!(t.len(), 578);
        assert!(t.contains("io.k8s.api.core.v1.ConfigMap"));
        assert!(!t.contains("com.example.v1.Widget"));
        assert!(matches!(
            t.root("io.k8s.api.apps.v1.Deployment"),
            Some(Ty::Struct { root: true, .. })
        ));
    }

    #[test]
    fn shapes() {
        let t = Types::builtin();
        let Some(Ty::Struct { def, root }) = t.root("io.k8s.api.core.v1.Pod") else {
            panic!("Pod is a struct");
        };
        let Some(Ty::Struct { def: spec, .. }) = t.field(def, root, "spec") else {
            panic!("spec is a struct");
        };
        assert!(
            matches!(t.field(spec, false, "containers"), Some(Ty::Array(Shape::Ref(r))) if r == "io.k8s.api.core.v1.Container")
        );
        assert!(matches!(
            t.field(spec, false, "nodeSelector"),
            Some(Ty::Map(Shape::Scalar))
        ));
        assert!(matches!(t.field(spec, false, "nodeName"), Some(Ty::Scalar)));
        assert!(t.field(spec, false, "bogus").is_none());
        assert!(
            t.field(spec, false, "kind").is_none(),
            "only the root has TypeMeta"
        );
        // free-form definitions
        let Some(Ty::Struct { def: cr, .. }) = t.root("io.k8s.api.apps.v1.ControllerRevision")
        else {
            panic!("ControllerRevision is a struct");
        };
        assert!(matches!(t.field(cr, true, "data"), Some(Ty::Free)));
        assert!(matches!(
            t.ty(&Shape::Ref(
                "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1".into()
            )),
            Ty::Free
        ));
        assert!(matches!(
            t.ty(&Shape::Ref(
                "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus".into()
            )),
            Ty::Struct { .. }
        ));
        assert!(matches!(t.ty(&Shape::Ref("no.such.Type".into())), Ty::Free));
    }

    #[test]
    fn malformed_metadata_is_an_error() {
        assert!(Types::from_json("[1]").is_err());
        assert_eq!(Types::from_json("{}").map(|t| t.len()).ok(), Some(0));
    }
}

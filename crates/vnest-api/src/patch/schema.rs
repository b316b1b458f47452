//! The patch metadata of the built-in types (`x-kubernetes-patch-strategy` and
//! `x-kubernetes-patch-merge-key` from kube-apiserver's OpenAPI v2), as strategic merge
//! patch needs it.
//!
//! kube-apiserver reads these from the Go struct tags of the typed object; the OpenAPI
//! document is generated from the same tags, so walking it gives the same answers.
//! The data is `data/patch-metadata.json` (see the golden corpus README for its shape).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::PatchError;

static BUILTIN_JSON: &str = include_str!("../../data/patch-metadata.json");

/// What a property holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldType {
    /// A string, number, boolean or anything we know nothing more about.
    Scalar,
    /// Another definition.
    Ref(String),
    /// A list.
    Array(Box<FieldType>),
    /// A map with free-form keys (`additionalProperties`).
    Map(Box<FieldType>),
}

#[derive(Debug, Clone)]
struct Property {
    ty: FieldType,
    /// `patchStrategy` split at commas: `["merge"]`, `["merge", "retainKeys"]`, ...
    strategies: Vec<String>,
    merge_key: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Definition {
    /// The Go type name kube's errors use (`RawExtension`, `DeploymentSpec`).
    go_name: String,
    properties: HashMap<String, Property>,
}

/// Patch metadata for a set of type definitions, keyed by OpenAPI definition name
/// (`io.k8s.api.apps.v1.Deployment`). Parsed once; share it by reference.
#[derive(Debug, Clone, Default)]
pub struct PatchSchema {
    definitions: HashMap<String, Definition>,
    by_gvk: HashMap<(String, String, String), String>,
}

/// Patch strategy and merge key of one field.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PatchMeta<'s> {
    pub strategies: &'s [String],
    pub merge_key: &'s str,
}

/// A position in the type tree while walking an object.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node<'s> {
    /// No type information: maps merge, lists are replaced.
    Free,
    Def(&'s Definition),
    MapOf(&'s FieldType),
    ArrayOf(&'s FieldType),
    Scalar,
}

impl Node<'_> {
    /// Go's `reflect.Kind` name of the type, as `Name()` reports it in errors.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Node::Free => "interface",
            Node::Def(_) => "struct",
            Node::MapOf(_) => "map",
            Node::ArrayOf(_) => "slice",
            Node::Scalar => "string",
        }
    }
}

fn field_type(prop: &serde_json::Map<String, Value>) -> FieldType {
    let s = |k: &str| prop.get(k).and_then(Value::as_str);
    if let Some(r) = s("ref") {
        return FieldType::Ref(r.to_string());
    }
    match s("type") {
        Some("array") => {
            let item = if let Some(r) = s("items_ref") {
                FieldType::Ref(r.to_string())
            } else {
                FieldType::Scalar
            };
            FieldType::Array(Box::new(item))
        }
        Some("object") => {
            let value = if let Some(r) = s("additionalProperties_ref") {
                FieldType::Ref(r.to_string())
            } else if s("additionalProperties_type") == Some("array") {
                FieldType::Array(Box::new(FieldType::Scalar))
            } else {
                FieldType::Scalar
            };
            FieldType::Map(Box::new(value))
        }
        _ => FieldType::Scalar,
    }
}

impl PatchSchema {
    /// The metadata of the built-in types of Kubernetes (v1.33 and the fields newer
    /// servers add), embedded in the binary and parsed on first use.
    pub fn builtin() -> &'static PatchSchema {
        static BUILTIN: OnceLock<PatchSchema> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The embedded file is checked by the tests; an unreadable one would leave
            // every definition unknown (the server then answers 415 to strategic patches).
            PatchSchema::from_json(BUILTIN_JSON).unwrap_or_default()
        })
    }

    /// Parses metadata in the `patch-metadata.json` format.
    pub fn from_json(text: &str) -> Result<PatchSchema, PatchError> {
        let root: Value = serde_json::from_str(text)
            .map_err(|e| PatchError::Internal(format!("invalid patch metadata: {e}")))?;
        let Value::Object(root) = root else {
            return Err(PatchError::Internal(
                "invalid patch metadata: not an object".to_string(),
            ));
        };
        let mut schema = PatchSchema::default();
        for (name, props) in &root {
            let Value::Object(props) = props else {
                continue;
            };
            let mut def = Definition {
                go_name: name.rsplit('.').next().unwrap_or(name).to_string(),
                properties: HashMap::new(),
            };
            for (pname, p) in props {
                let Value::Object(p) = p else { continue };
                if pname == "__definition__" {
                    for gvk in p.get("gvk").and_then(Value::as_array).into_iter().flatten() {
                        let part = |k: &str| {
                            gvk.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        schema
                            .by_gvk
                            .entry((part("group"), part("version"), part("kind")))
                            .or_insert_with(|| name.clone());
                    }
                    continue;
                }
                let strategies = p
                    .get("patchStrategy")
                    .and_then(Value::as_str)
                    .map(|s| s.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                let merge_key = p
                    .get("patchMergeKey")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                def.properties.insert(
                    pname.clone(),
                    Property {
                        ty: field_type(p),
                        strategies,
                        merge_key,
                    },
                );
            }
            schema.definitions.insert(name.clone(), def);
        }
        Ok(schema)
    }

    /// Whether strategic merge patch can be applied to objects of this definition.
    /// Custom resources are not in here: kube-apiserver answers 415 for them.
    pub fn contains(&self, definition: &str) -> bool {
        self.definitions.contains_key(definition)
    }

    /// The definition of a top-level kind (`("apps", "v1", "Deployment")` gives
    /// `io.k8s.api.apps.v1.Deployment`); the core group is `""`.
    pub fn definition_for(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        self.by_gvk
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .map(String::as_str)
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// Whether there is no definition at all.
    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }

    pub(crate) fn root(&self, definition: &str) -> Option<Node<'_>> {
        self.definitions.get(definition).map(Node::Def)
    }

    fn node<'s>(&'s self, ty: &'s FieldType) -> Node<'s> {
        match ty {
            FieldType::Scalar => Node::Scalar,
            FieldType::Ref(name) => match self.definitions.get(name) {
                Some(d) => Node::Def(d),
                None => Node::Free,
            },
            FieldType::Array(item) => Node::ArrayOf(item),
            FieldType::Map(value) => Node::MapOf(value),
        }
    }

    /// The type and patch metadata of field `key` of a map-like node
    /// (`LookupPatchMetadataForStruct`).
    pub(crate) fn lookup_struct<'s>(
        &'s self,
        node: Node<'s>,
        key: &str,
    ) -> Result<(Node<'s>, PatchMeta<'s>), PatchError> {
        match node {
            Node::Free => Ok((Node::Free, PatchMeta::default())),
            Node::Def(def) => match def.properties.get(key) {
                Some(p) => Ok((
                    self.node(&p.ty),
                    PatchMeta {
                        strategies: &p.strategies,
                        merge_key: &p.merge_key,
                    },
                )),
                None => Err(PatchError::Internal(format!(
                    "unable to find api field in struct {} for the json field \"{}\"",
                    def.go_name, key
                ))),
            },
            Node::MapOf(value) => Ok((self.node(value), PatchMeta::default())),
            Node::ArrayOf(_) | Node::Scalar => Err(PatchError::Internal(format!(
                "merging an object in json but data type is not map or struct, instead is: {}",
                node.kind_name()
            ))),
        }
    }

    /// The element type and patch metadata of list field `key`
    /// (`LookupPatchMetadataForSlice`).
    pub(crate) fn lookup_slice<'s>(
        &'s self,
        node: Node<'s>,
        key: &str,
    ) -> Result<(Node<'s>, PatchMeta<'s>), PatchError> {
        let (field, meta) = self.lookup_struct(node, key)?;
        match field {
            Node::ArrayOf(item) => match item {
                FieldType::Array(_) => Err(PatchError::Internal(
                    "unexpected slice of slice".to_string(),
                )),
                _ => Ok((self.node(item), meta)),
            },
            Node::Free => Ok((Node::Free, meta)),
            _ => Err(PatchError::Internal(format!(
                "expected slice or array type, but got: {}",
                node.kind_name()
            ))),
        }
    }
}

/// Splits a field's strategies into (has retainKeys, the other strategy)
/// (`extractRetainKeysPatchStrategy`).
pub(crate) fn retain_keys_strategy(strategies: &[String]) -> Result<(bool, &str), PatchError> {
    const RETAIN: &str = "retainKeys";
    match strategies {
        [] => Ok((false, "")),
        [one] if one == RETAIN => Ok((true, "")),
        [one] => Ok((false, one.as_str())),
        [a, b] if a == RETAIN => Ok((true, b.as_str())),
        [a, b] if b == RETAIN => Ok((true, a.as_str())),
        _ => Err(PatchError::Internal(format!(
            "unexpected patch strategy: [{}]",
            strategies.join(" ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_metadata_loads() {
        let s = PatchSchema::builtin();
        assert_eq!(s.len(), 578);
        assert!(s.contains("io.k8s.api.apps.v1.Deployment"));
        assert!(!s.contains("com.example.v1.Widget"));
        assert_eq!(
            s.definition_for("apps", "v1", "Deployment"),
            Some("io.k8s.api.apps.v1.Deployment")
        );
        assert_eq!(
            s.definition_for("", "v1", "ConfigMap"),
            Some("io.k8s.api.core.v1.ConfigMap")
        );
        assert_eq!(s.definition_for("example.com", "v1", "Widget"), None);
    }

    #[test]
    fn walks_refs_items_and_maps() {
        let s = PatchSchema::builtin();
        let dep = s.root("io.k8s.api.apps.v1.Deployment").expect("known");
        let (spec, _) = s.lookup_struct(dep, "spec").expect("spec");
        let (strategy, meta) = s.lookup_struct(spec, "strategy").expect("strategy");
        assert_eq!(meta.strategies, ["retainKeys".to_string()]);
        assert!(matches!(strategy, Node::Def(d) if d.go_name == "DeploymentStrategy"));
        let (template, _) = s.lookup_struct(spec, "template").expect("template");
        let (pod, _) = s.lookup_struct(template, "spec").expect("pod spec");
        let (container, meta) = s.lookup_slice(pod, "containers").expect("containers");
        assert_eq!(meta.merge_key, "name");
        assert_eq!(meta.strategies, ["merge".to_string()]);
        let (_, meta) = s.lookup_slice(container, "ports").expect("ports");
        assert_eq!(meta.merge_key, "containerPort");
        let (_, meta) = s.lookup_slice(pod, "volumes").expect("volumes");
        assert_eq!(
            retain_keys_strategy(meta.strategies).expect("valid"),
            (true, "merge")
        );
        let (_, meta) = s.lookup_slice(pod, "tolerations").expect("tolerations");
        assert!(meta.strategies.is_empty());
        // map values: ResourceRequirements.limits is map[string]Quantity
        let (res, _) = s.lookup_struct(container, "resources").expect("resources");
        let (limits, _) = s.lookup_struct(res, "limits").expect("limits");
        assert!(matches!(limits, Node::MapOf(_)));
        // unknown fields and opaque types fail like Go's struct lookup
        let err = s.lookup_struct(pod, "bogus").expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unable to find api field in struct PodSpec for the json field \"bogus\""
        );
        let err = s.lookup_slice(pod, "nodeName").expect_err("not a list");
        assert_eq!(
            err.to_string(),
            "expected slice or array type, but got: struct"
        );
    }

    #[test]
    fn strategies() {
        let r = |v: &[&str]| {
            let owned: Vec<String> = v.iter().map(|s| s.to_string()).collect();
            retain_keys_strategy(&owned).map(|(a, b)| (a, b.to_string()))
        };
        assert_eq!(r(&[]).expect("ok"), (false, String::new()));
        assert_eq!(r(&["merge"]).expect("ok"), (false, "merge".to_string()));
        assert_eq!(r(&["retainKeys"]).expect("ok"), (true, String::new()));
        assert_eq!(
            r(&["merge", "retainKeys"]).expect("ok"),
            (true, "merge".to_string())
        );
        assert_eq!(
            r(&["merge", "replace"]).expect_err("bad").to_string(),
            "unexpected patch strategy: [merge replace]"
        );
    }
}

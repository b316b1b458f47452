//! The built-in type definitions (from the embedded `patch-metadata.json`) and their
//! rendering into OpenAPI v2 (`#/definitions/...`) or v3 (`#/components/schemas/...`)
//! schemas.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::describe;
use super::{Gvk, OpenApiError};

/// Per-definition, per-property structural metadata recorded from kube-apiserver's
/// `/openapi/v2` (no descriptions).
const PATCH_METADATA: &str = include_str!("../../data/patch-metadata.json");

/// Definitions kube-apiserver serves that the recorded metadata does not contain:
/// the kube-aggregator's `APIService` types. Same shape as `patch-metadata.json`.
const EXTRA_METADATA: &str = r#"{
"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService": {
  "__definition__": {"type": "object", "gvk": [{"group": "apiregistration.k8s.io", "kind": "APIService", "version": "v1"}]},
  "apiVersion": {"type": "string"},
  "kind": {"type": "string"},
  "metadata": {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
  "spec": {"ref": "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec"},
  "status": {"ref": "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus"}
},
"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceList": {
  "__definition__": {"type": "object", "required": ["items"], "gvk": [{"group": "apiregistration.k8s.io", "kind": "APIServiceList", "version": "v1"}]},
  "apiVersion": {"type": "string"},
  "items": {"type": "array", "items_ref": "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService"},
  "kind": {"type": "string"},
  "metadata": {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"}
},
"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec": {
  "__definition__": {"type": "object", "required": ["groupPriorityMinimum", "versionPriority"]},
  "caBundle": {"type": "string", "format": "byte", "listType": "atomic"},
  "group": {"type": "string"},
  "groupPriorityMinimum": {"type": "integer", "format": "int32"},
  "insecureSkipTLSVerify": {"type": "boolean"},
  "service": {"ref": "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.ServiceReference"},
  "version": {"type": "string"},
  "versionPriority": {"type": "integer", "format": "int32"}
},
"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus": {
  "__definition__": {"type": "object"},
  "conditions": {"type": "array", "items_ref": "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceCondition", "listType": "map", "listMapKeys": ["type"], "patchMergeKey": "type", "patchStrategy": "merge"}
},
"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceCondition": {
  "__definition__": {"type": "object", "required": ["type", "status"]},
  "lastTransitionTime": {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.Time"},
  "message": {"type": "string"},
  "reason": {"type": "string"},
  "status": {"type": "string"},
  "type": {"type": "string"}
},
"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.ServiceReference": {
  "__definition__": {"type": "object"},
  "name": {"type": "string"},
  "namespace": {"type": "string"},
  "port": {"type": "integer", "format": "int32"}
}
}"#;

/// Name of the pseudo-property that carries definition-level metadata.
const DEFINITION_KEY: &str = "__definition__";

pub(crate) const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
pub(crate) const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
pub(crate) const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(crate) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";

/// Structural metadata of one property.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct PropMeta {
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub format: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub items_ref: Option<String>,
    pub items_type: Option<String>,
    pub items_format: Option<String>,
    #[serde(rename = "additionalProperties_ref")]
    pub additional_ref: Option<String>,
    #[serde(rename = "additionalProperties_type")]
    pub additional_type: Option<String>,
    #[serde(rename = "additionalProperties_items_type")]
    pub additional_items_type: Option<String>,
    #[serde(rename = "patchStrategy")]
    pub patch_strategy: Option<String>,
    #[serde(rename = "patchMergeKey")]
    pub patch_merge_key: Option<String>,
    #[serde(rename = "listType")]
    pub list_type: Option<String>,
    #[serde(rename = "listMapKeys")]
    pub list_map_keys: Option<Vec<String>>,
    #[serde(rename = "mapType")]
    pub map_type: Option<String>,
}

impl PropMeta {
    /// Every definition this property points at.
    fn references(&self) -> impl Iterator<Item = &str> {
        [&self.reference, &self.items_ref, &self.additional_ref]
            .into_iter()
            .filter_map(|r| r.as_deref())
    }
}

/// Definition-level metadata.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct DefMeta {
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub format: Option<String>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub gvk: Vec<Gvk>,
    #[serde(rename = "mapType")]
    pub map_type: Option<String>,
    pub unions: Option<Value>,
}

/// One built-in type definition.
#[derive(Clone, Debug, Default)]
pub(crate) struct Definition {
    pub meta: DefMeta,
    /// Properties in the order of the metadata file (sorted by name).
    pub properties: Vec<(String, PropMeta)>,
}

/// Which OpenAPI flavour a schema is rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Swagger 2.0: `#/definitions/<name>`, `$ref` with sibling keys.
    V2,
    /// OpenAPI 3.0: `#/components/schemas/<name>`, `$ref` wrapped in `allOf` when it
    /// has siblings.
    V3,
}

impl Flavor {
    pub fn ref_prefix(self) -> &'static str {
        match self {
            Flavor::V2 => "#/definitions/",
            Flavor::V3 => "#/components/schemas/",
        }
    }

    /// `{"$ref": "<prefix><name>"}`.
    pub fn reference(self, name: &str) -> Value {
        json!({ "$ref": format!("{}{}", self.ref_prefix(), name) })
    }
}

/// All built-in definitions, indexed by name and by group-version-kind.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    definitions: BTreeMap<String, Definition>,
    by_gvk: HashMap<Gvk, String>,
}

impl Catalog {
    /// Parses documents in the `patch-metadata.json` format; later documents add to
    /// (and override) earlier ones.
    pub fn parse(texts: &[&str]) -> Result<Catalog, OpenApiError> {
        let mut catalog = Catalog::default();
        for text in texts {
            let root: Map<String, Value> = serde_json::from_str(text)?;
            for (name, body) in root {
                let Value::Object(body) = body else {
                    return Err(OpenApiError::Metadata {
                        definition: name,
                        reason: "not an object".to_string(),
                    });
                };
                let mut definition = Definition::default();
                for (key, value) in body {
                    if key == DEFINITION_KEY {
                        definition.meta = serde_json::from_value(value)?;
                    } else {
                        definition
                            .properties
                            .push((key, serde_json::from_value(value)?));
                    }
                }
                catalog.definitions.insert(name, definition);
            }
        }
        for (name, definition) in &catalog.definitions {
            for gvk in &definition.meta.gvk {
                catalog.by_gvk.insert(gvk.clone(), name.clone());
            }
        }
        Ok(catalog)
    }

    /// The embedded metadata plus the hand-written supplements.
    pub fn load() -> Result<Catalog, OpenApiError> {
        Catalog::parse(&[PATCH_METADATA, EXTRA_METADATA])
    }

    /// The process-wide catalog. Should the embedded data ever fail to parse (the
    /// tests make sure it does not) this is an empty catalog, never a panic.
    pub fn global() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::load().unwrap_or_default())
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// The definition whose `x-kubernetes-group-version-kind` lists `gvk`.
    pub fn by_gvk(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        let key = Gvk::new(group, version, kind);
        self.by_gvk.get(&key).map(String::as_str)
    }

    /// `roots` and every definition reachable from them (only names that exist).
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = roots.into_iter().map(str::to_string).collect();
        while let Some(name) = stack.pop() {
            let Some(definition) = self.definitions.get(&name) else {
                continue;
            };
            if !seen.insert(name) {
                continue;
            }
            for (_, prop) in &definition.properties {
                for target in prop.references() {
                    if !seen.contains(target) {
                        stack.push(target.to_string());
                    }
                }
            }
        }
        seen
    }

    /// The schema of definition `name`, or `None` if there is no such definition.
    pub fn render(&self, name: &str, flavor: Flavor) -> Option<Value> {
        let definition = self.definitions.get(name)?;
        let mut out = Map::new();
        out.insert(
            "description".into(),
            Value::String(describe::definition(name, definition)),
        );
        match (name, flavor) {
            (QUANTITY, Flavor::V3) => {
                out.insert(
                    "oneOf".into(),
                    json!([{ "type": "string" }, { "type": "number" }]),
                );
                return Some(Value::Object(out));
            }
            (INT_OR_STRING, Flavor::V3) => {
                out.insert("format".into(), json!("int-or-string"));
                out.insert(
                    "oneOf".into(),
                    json!([{ "type": "integer" }, { "type": "string" }]),
                );
                return Some(Value::Object(out));
            }
            _ => {}
        }
        let meta = &definition.meta;
        if let Some(ty) = &meta.ty {
            out.insert("type".into(), Value::String(ty.clone()));
        }
        if let Some(format) = &meta.format {
            out.insert("format".into(), Value::String(format.clone()));
        }
        if !meta.required.is_empty() {
            out.insert("required".into(), json!(meta.required));
        }
        if !definition.properties.is_empty() {
            let parent = short_name(name);
            let properties: Map<String, Value> = definition
                .properties
                .iter()
                .map(|(prop_name, prop)| {
                    (
                        prop_name.clone(),
                        render_property(parent, prop_name, prop, flavor),
                    )
                })
                .collect();
            out.insert("properties".into(), Value::Object(properties));
        }
        if !meta.gvk.is_empty() {
            let gvks: Vec<Value> = meta.gvk.iter().map(Gvk::to_value).collect();
            out.insert("x-kubernetes-group-version-kind".into(), Value::Array(gvks));
        }
        if let Some(map_type) = &meta.map_type {
            out.insert("x-kubernetes-map-type".into(), json!(map_type));
        }
        if let Some(unions) = &meta.unions {
            out.insert("x-kubernetes-unions".into(), unions.clone());
        }
        Some(Value::Object(out))
    }
}

/// The last dotted segment of a definition name: `Deployment` for
/// `io.k8s.api.apps.v1.Deployment`.
pub(crate) fn short_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The schema of one property.
fn render_property(parent: &str, name: &str, prop: &PropMeta, flavor: Flavor) -> Value {
    let mut out = Map::new();
    if let Some(target) = &prop.reference {
        match flavor {
            Flavor::V3 => {
                out.insert("allOf".into(), Value::Array(vec![flavor.reference(target)]));
            }
            Flavor::V2 => {
                out.insert(
                    "$ref".into(),
                    Value::String(format!("{}{}", flavor.ref_prefix(), target)),
                );
            }
        }
    } else {
        if let Some(ty) = &prop.ty {
            out.insert("type".into(), Value::String(ty.clone()));
        }
        if let Some(format) = &prop.format {
            out.insert("format".into(), Value::String(format.clone()));
        }
        if let Some(target) = &prop.items_ref {
            out.insert("items".into(), flavor.reference(target));
        } else if let Some(ty) = &prop.items_type {
            let mut items = Map::new();
            items.insert("type".into(), Value::String(ty.clone()));
            if let Some(format) = &prop.items_format {
                items.insert("format".into(), Value::String(format.clone()));
            }
            out.insert("items".into(), Value::Object(items));
        } else if prop.ty.as_deref() == Some("array") {
            // An array without item metadata: accept anything inside.
            out.insert("items".into(), json!({}));
        }
        if let Some(target) = &prop.additional_ref {
            out.insert("additionalProperties".into(), flavor.reference(target));
        } else if let Some(ty) = &prop.additional_type {
            let mut values = Map::new();
            values.insert("type".into(), Value::String(ty.clone()));
            if let Some(item_ty) = &prop.additional_items_type {
                values.insert("items".into(), json!({ "type": item_ty }));
            }
            out.insert("additionalProperties".into(), Value::Object(values));
        }
    }
    out.insert(
        "description".into(),
        Value::String(describe::property(parent, name, prop)),
    );
    if let Some(keys) = &prop.list_map_keys {
        out.insert("x-kubernetes-list-map-keys".into(), json!(keys));
    }
    if let Some(list_type) = &prop.list_type {
        out.insert("x-kubernetes-list-type".into(), json!(list_type));
    }
    if let Some(map_type) = &prop.map_type {
        out.insert("x-kubernetes-map-type".into(), json!(map_type));
    }
    if let Some(key) = &prop.patch_merge_key {
        out.insert("x-kubernetes-patch-merge-key".into(), json!(key));
    }
    if let Some(strategy) = &prop.patch_strategy {
        out.insert("x-kubernetes-patch-strategy".into(), json!(strategy));
    }
    Value::Object(out)
}

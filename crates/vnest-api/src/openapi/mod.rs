//! The OpenAPI documents kube-apiserver serves, built from the embedded type metadata:
//!
//! - `/openapi/v3`: an index of group-versions ([`v3_index`]), each pointing at
//!   `/openapi/v3/<api/v1 | apis/group/version>?hash=<HASH>`;
//! - `/openapi/v3/apis/<group>/<version>`: an OpenAPI 3.0 document per group-version
//!   ([`v3_document`]) with every operation and every schema its kinds need;
//! - `/openapi/v2`: one Swagger 2.0 document for everything ([`v2_document`]).
//!
//! What clients take from them: `kubectl apply`/`create` look for the `fieldValidation`
//! query parameter on the PATCH operation of a kind (then leave field validation to
//! the server) and compute strategic merge patches from the `x-kubernetes-patch-*`
//! extensions; `kubectl explain` finds the kind through the operations'
//! `x-kubernetes-group-version-kind` and walks `components.schemas`, printing the
//! descriptions (vnest writes its own, see `describe`).
//!
//! [`OpenApiDocuments`] builds everything once, with the JSON text and hashes, for a
//! server to serve.

mod catalog;
mod describe;
mod paths;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use catalog::{Catalog, Flavor};

/// `info.version` of the documents.
pub const OPENAPI_INFO_VERSION: &str = "v1.33.0";

/// Errors loading the embedded type metadata.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    #[error("invalid schema metadata: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid schema metadata for {definition}: {reason}")]
    Metadata { definition: String, reason: String },
}

/// A group, version and kind, serialized as kube does in
/// `x-kubernetes-group-version-kind` (`{"group", "kind", "version"}`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn new(group: &str, version: &str, kind: &str) -> Gvk {
        Gvk {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        }
    }

    /// `{"group": .., "kind": .., "version": ..}` (exactly these keys: kubectl
    /// compares the maps for equality).
    pub fn to_value(&self) -> Value {
        json!({ "group": self.group, "kind": self.kind, "version": self.version })
    }
}

/// A subresource of a [`ResourceSpec`] (`status`, `scale`, `exec`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubresourceSpec {
    /// The part after the slash: `status`, `scale`, `log`, `exec`...
    pub name: String,
    /// The kind it takes and returns (`Scale`, `Eviction`, `Deployment`,
    /// `PodExecOptions`...).
    pub kind: String,
    /// Group of `kind`; `None` means the parent's group.
    pub group: Option<String>,
    /// Version of `kind`; `None` means the parent's version.
    pub version: Option<String>,
    /// `get`, `update`, `patch`, `create`, `delete`.
    pub verbs: Vec<String>,
}

/// A resource served in a group-version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceSpec {
    pub kind: String,
    /// Plural name as in the URL.
    pub plural: String,
    pub namespaced: bool,
    /// Discovery verbs: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`.
    pub verbs: Vec<String>,
    pub subresources: Vec<SubresourceSpec>,
    /// For custom resources: the OpenAPI v3 schema of the kind (a CRD version's
    /// `openAPIV3Schema`), published as-is in v3 (v2 gets a permissive object).
    /// Kinds without a schema that are not built-in accept any fields.
    pub schema: Option<Value>,
}

/// The resources of one group-version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupVersionSpec {
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub resources: Vec<ResourceSpec>,
}

/// `api/v1` for the core group, `apis/<group>/<version>` otherwise: the key of the
/// `/openapi/v3` index and the path after `/openapi/v3/`.
pub fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable hash of a document: 128-bit FNV-1a over its compact JSON text, as 32
/// upper-case hex digits. Changes whenever the content changes.
pub fn document_hash(document: &Value) -> String {
    hash_text(&document.to_string())
}

fn hash_text(text: &str) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let hash = text.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u128::from(byte)).wrapping_mul(PRIME)
    });
    format!("{hash:032X}")
}

fn info() -> Value {
    json!({ "title": "Kubernetes", "version": OPENAPI_INFO_VERSION })
}

fn bearer_token_scheme() -> Value {
    json!({
        "type": "apiKey",
        "description": "Bearer token authentication (Authorization: Bearer <token>).",
        "name": "authorization",
        "in": "header",
    })
}

/// Renders the built-in definitions in `names` (plus nothing else) for `flavor`.
fn render_definitions<'a>(
    catalog: &Catalog,
    names: impl IntoIterator<Item = &'a String>,
    flavor: Flavor,
    into: &mut Map<String, Value>,
) {
    for name in names {
        if let Some(schema) = catalog.render(name, flavor) {
            into.insert(name.clone(), schema);
        }
    }
}

/// The OpenAPI 3.0 document of one group-version: every operation of `resources`
/// and every schema they reach. `None` when `resources` is empty (kube serves no
/// document for a group-version without resources).
pub fn v3_document(group: &str, version: &str, resources: &[ResourceSpec]) -> Option<Value> {
    if resources.is_empty() {
        return None;
    }
    let catalog = Catalog::global();
    let model = paths::build(catalog, group, version, resources);
    let mut path_map = Map::new();
    model.render_paths(Flavor::V3, &mut path_map);
    let mut schemas = Map::new();
    let reachable = catalog.closure(model.roots.iter().map(String::as_str));
    render_definitions(catalog, &reachable, Flavor::V3, &mut schemas);
    for custom in &model.custom {
        schemas.insert(custom.name.clone(), custom.v3.clone());
    }
    sort_map(&mut schemas);
    Some(json!({
        "openapi": "3.0.0",
        "info": info(),
        "paths": path_map,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "BearerToken": bearer_token_scheme() },
        },
    }))
}

/// The Swagger 2.0 document for all `group_versions` (served at `/openapi/v2`).
pub fn v2_document(group_versions: &[GroupVersionSpec]) -> Value {
    let catalog = Catalog::global();
    let mut path_map = Map::new();
    let mut roots = std::collections::BTreeSet::new();
    let mut definitions = Map::new();
    let mut custom = Vec::new();
    for gv in group_versions.iter().filter(|gv| !gv.resources.is_empty()) {
        let model = paths::build(catalog, &gv.group, &gv.version, &gv.resources);
        model.render_paths(Flavor::V2, &mut path_map);
        roots.extend(model.roots.iter().cloned());
        custom.extend(model.custom);
    }
    let reachable = catalog.closure(roots.iter().map(String::as_str));
    render_definitions(catalog, &reachable, Flavor::V2, &mut definitions);
    for def in custom {
        definitions.insert(def.name, def.v2);
    }
    sort_map(&mut definitions);
    json!({
        "swagger": "2.0",
        "info": info(),
        "paths": path_map,
        "definitions": definitions,
        "securityDefinitions": { "BearerToken": bearer_token_scheme() },
        "security": [{ "BearerToken": [] }],
    })
}

/// Sorts a JSON object's keys (definitions are listed by name, as kube does).
fn sort_map(map: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    map.extend(entries);
}

/// The `/openapi/v3` index from `(group, version, hash)` triples.
pub fn v3_index_from_hashes(entries: &[(String, String, String)]) -> Value {
    let mut paths = Map::new();
    let mut sorted: Vec<&(String, String, String)> = entries.iter().collect();
    sorted.sort_by_key(|(group, version, _)| gv_path(group, version));
    for (group, version, hash) in sorted {
        let path = gv_path(group, version);
        paths.insert(
            path.clone(),
            json!({ "serverRelativeURL": format!("/openapi/v3/{path}?hash={hash}") }),
        );
    }
    json!({ "paths": paths })
}

/// The `/openapi/v3` index for `group_versions`: builds each group-version's document
/// to hash it. Use [`OpenApiDocuments`] to keep the documents as well.
pub fn v3_index(group_versions: &[GroupVersionSpec]) -> Value {
    OpenApiDocuments::build(group_versions).v3_index().clone()
}

/// One rendered document: value, compact JSON text and hash.
#[derive(Clone, Debug)]
pub struct RenderedDocument {
    pub value: Value,
    pub json: String,
    pub hash: String,
}

impl RenderedDocument {
    fn new(value: Value) -> RenderedDocument {
        let json = value.to_string();
        let hash = hash_text(&json);
        RenderedDocument { value, json, hash }
    }
}

/// All OpenAPI documents of a server, built once. The v2 document (large, rarely
/// fetched) is rendered on first use.
#[derive(Debug)]
pub struct OpenApiDocuments {
    group_versions: Vec<GroupVersionSpec>,
    index: RenderedDocument,
    /// Keyed by [`gv_path`].
    v3: BTreeMap<String, RenderedDocument>,
    v2: OnceLock<RenderedDocument>,
}

impl OpenApiDocuments {
    pub fn build(group_versions: &[GroupVersionSpec]) -> OpenApiDocuments {
        let mut v3 = BTreeMap::new();
        let mut hashes = Vec::new();
        for gv in group_versions {
            if let Some(doc) = v3_document(&gv.group, &gv.version, &gv.resources) {
                let rendered = RenderedDocument::new(doc);
                hashes.push((gv.group.clone(), gv.version.clone(), rendered.hash.clone()));
                v3.insert(gv_path(&gv.group, &gv.version), rendered);
            }
        }
        OpenApiDocuments {
            group_versions: group_versions.to_vec(),
            index: RenderedDocument::new(v3_index_from_hashes(&hashes)),
            v3,
            v2: OnceLock::new(),
        }
    }

    /// The `/openapi/v3` index.
    pub fn v3_index(&self) -> &Value {
        &self.index.value
    }

    /// The `/openapi/v3` index as JSON text.
    pub fn v3_index_json(&self) -> &str {
        &self.index.json
    }

    /// The document for the path after `/openapi/v3/` (`api/v1`, `apis/apps/v1`;
    /// a leading or trailing slash is tolerated).
    pub fn v3(&self, path: &str) -> Option<&RenderedDocument> {
        self.v3.get(path.trim_matches('/'))
    }

    /// The keys of the index (`api/v1`, `apis/apps/v1`, ...).
    pub fn v3_paths(&self) -> impl Iterator<Item = &str> {
        self.v3.keys().map(String::as_str)
    }

    /// The `/openapi/v2` document.
    pub fn v2(&self) -> &RenderedDocument {
        self.v2
            .get_or_init(|| RenderedDocument::new(v2_document(&self.group_versions)))
    }
}

//! Discovery and OpenAPI endpoints, and resource resolution for routing. The documents
//! themselves are built by `vnest-api` from the registry; this module negotiates the
//! representation (legacy vs aggregated v2/v2beta1), ETags and 304s.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use vnest_api::discovery::{self as docs, AggregatedVersion};
use vnest_api::openapi::{GroupVersionSpec, OpenApiDocuments, ResourceSpec, SubresourceSpec};
use vnest_api::registry::{Registry, ResourceInfo};
use vnest_api::status::ApiError;

use crate::crd::CustomResource;
use crate::request::Endpoint;
use crate::rest::ResourceDef;

type Body = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

pub struct Discovery {
    registry: RwLock<Registry>,
    /// The built-in resources, to rebuild the registry from when CRDs change.
    builtin: Registry,
    /// Served versions of established CRDs, by (group, version, plural).
    custom: RwLock<HashMap<(String, String, String), Arc<CustomResource>>>,
    server_address: String,
    /// Built on first use (they take a moment), rebuilt when the registry changes.
    openapi: RwLock<Option<Arc<OpenApiDocuments>>>,
}

fn openapi_specs(
    reg: &Registry,
    custom: &HashMap<(String, String, String), Arc<CustomResource>>,
) -> Vec<GroupVersionSpec> {
    let mut gvs: Vec<(String, String)> = vec![(String::new(), "v1".to_string())];
    for g in reg.groups() {
        for v in g.versions {
            gvs.push((g.name.clone(), v));
        }
    }
    gvs.into_iter()
        .map(|(group, version)| {
            let resources = reg
                .resources_in(&group, &version)
                .into_iter()
                .map(|r| ResourceSpec {
                    kind: r.kind.clone(),
                    plural: r.resource.clone(),
                    namespaced: r.namespaced,
                    verbs: r.verbs.clone(),
                    subresources: r
                        .subresources
                        .iter()
                        .map(|s| SubresourceSpec {
                            name: s.name.clone(),
                            kind: s.kind.clone(),
                            group: s.response_group.clone(),
                            version: s.response_version.clone(),
                            verbs: s.verbs.clone(),
                        })
                        .collect(),
                    schema: custom
                        .get(&(r.group.clone(), r.version.clone(), r.resource.clone()))
                        .and_then(|c| c.version_spec.pointer("/schema/openAPIV3Schema"))
                        .cloned(),
                })
                .collect();
            GroupVersionSpec {
                group,
                version,
                resources,
            }
        })
        .collect()
}

fn etag_of(bytes: &[u8]) -> String {
    // FNV-1a is enough for a cache validator of a document we produce ourselves.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016X}\"")
}

fn respond(status: u16, content_type: &str, body: Vec<u8>, etag: Option<&str>) -> Response<Body> {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-cache, private")
        .header("vary", "Accept");
    if let Some(e) = etag {
        b = b.header("etag", e);
    }
    b.body(Full::new(Bytes::from(body)).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
}

fn json(status: u16, v: &Value) -> Response<Body> {
    respond(
        status,
        "application/json",
        serde_json::to_vec(v).unwrap_or_default(),
        None,
    )
}

/// The aggregated discovery version the client asked for, if any.
fn wants_aggregated(headers: &HeaderMap) -> Option<AggregatedVersion> {
    let accept = headers.get("accept")?.to_str().ok()?;
    for part in accept.split(',') {
        let p: Vec<&str> = part.split(';').map(str::trim).collect();
        let has = |kv: &str| p.iter().any(|x| x.eq_ignore_ascii_case(kv));
        if p.first() == Some(&"application/json")
            && has("g=apidiscovery.k8s.io")
            && has("as=APIGroupDiscoveryList")
        {
            if has("v=v2") {
                return Some(AggregatedVersion::V2);
            }
            if has("v=v2beta1") {
                return Some(AggregatedVersion::V2Beta1);
            }
        }
        if p.first() == Some(&"application/json") && p.len() == 1 {
            return None;
        }
    }
    None
}

impl Discovery {
    pub fn new(addr: SocketAddr) -> Self {
        let builtin = Registry::builtin();
        Discovery {
            registry: RwLock::new(builtin.clone()),
            builtin,
            custom: RwLock::new(HashMap::new()),
            server_address: addr.to_string(),
            openapi: RwLock::new(None),
        }
    }

    fn registry(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn version(&self) -> Value {
        docs::version_info()
    }

    /// Replaces the served custom resources (the CRD controller calls this).
    pub fn set_custom_resources(&self, served: Vec<(ResourceInfo, Arc<CustomResource>)>) {
        let mut reg = self.builtin.clone();
        let mut custom = HashMap::new();
        for (info, cr) in served {
            // A CRD never shadows a built-in resource.
            if self
                .builtin
                .get(&info.group, &info.version, &info.resource)
                .is_some()
            {
                continue;
            }
            custom.insert(
                (
                    info.group.clone(),
                    info.version.clone(),
                    info.resource.clone(),
                ),
                cr,
            );
            reg.add(info);
        }
        let changed = *self.registry() != reg;
        *self.custom.write().unwrap_or_else(|p| p.into_inner()) = custom;
        if changed {
            *self.registry.write().unwrap_or_else(|p| p.into_inner()) = reg;
        }
        // Schemas may have changed even when the registry did not.
        *self.openapi.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The served custom resource behind a group/version/plural, if any.
    pub fn custom_resource(
        &self,
        group: &str,
        version: &str,
        resource: &str,
    ) -> Option<Arc<CustomResource>> {
        self.custom
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(group.to_string(), version.to_string(), resource.to_string()))
            .cloned()
    }

    pub fn resolve(&self, group: &str, version: &str, resource: &str) -> Option<ResourceDef> {
        let reg = self.registry();
        let info = reg.get(group, version, resource)?;
        let custom = self.custom_resource(&info.group, &info.version, &info.resource);
        Some(ResourceDef {
            group: info.group.clone(),
            version: info.version.clone(),
            kind: info.kind.clone(),
            resource: info.resource.clone(),
            namespaced: info.namespaced,
            verbs: info.verbs.clone(),
            subresources: info.subresources.iter().map(|s| s.name.clone()).collect(),
            custom,
        })
    }

    /// Whether a kind is served at `apiVersion` (`v1`, `apps/v1`).
    pub fn kind_known(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.registry().by_kind(group, version, kind).is_some()
    }

    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.registry().has_group_version(group, version)
    }

    pub fn serve(&self, endpoint: &Endpoint, headers: &HeaderMap) -> Response<Body> {
        let reg = self.registry();
        match endpoint {
            Endpoint::CoreRoot | Endpoint::GroupsRoot => {
                let core = matches!(endpoint, Endpoint::CoreRoot);
                if let Some(v) = wants_aggregated(headers) {
                    let doc = docs::aggregated(&reg, core, v);
                    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
                    let etag = etag_of(&bytes);
                    let ct = match v {
                        AggregatedVersion::V2 => "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
                        AggregatedVersion::V2Beta1 => "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
                    };
                    let not_modified = headers
                        .get("if-none-match")
                        .and_then(|h| h.to_str().ok())
                        .is_some_and(|h| h == etag);
                    if not_modified {
                        return respond(304, ct, Vec::new(), Some(&etag));
                    }
                    return respond(200, ct, bytes, Some(&etag));
                }
                if core {
                    json(200, &docs::api_versions(&self.server_address))
                } else {
                    json(200, &docs::api_group_list(&reg))
                }
            }
            Endpoint::Group(group) => match docs::api_group(&reg, group) {
                Some(g) => json(200, &g),
                None => respond(
                    404,
                    "text/plain; charset=utf-8",
                    b"404 page not found\n".to_vec(),
                    None,
                ),
            },
            Endpoint::GroupVersion { group, version } => {
                match docs::api_resource_list(&reg, group, version) {
                    Some(doc) => json(200, &doc),
                    // A known group answers a Status; an unknown one is the mux's 404.
                    None if reg.group(group).is_some() => {
                        json(404, &ApiError::resource_not_found().to_status())
                    }
                    None => respond(
                        404,
                        "text/plain; charset=utf-8",
                        b"404 page not found\n".to_vec(),
                        None,
                    ),
                }
            }
            Endpoint::OpenApiV2 | Endpoint::OpenApiV3Index | Endpoint::OpenApiV3(_) => {
                drop(reg);
                self.serve_openapi(endpoint, headers)
            }
            _ => json(404, &ApiError::resource_not_found().to_status()),
        }
    }
}

impl Discovery {
    fn openapi_documents(&self) -> Arc<OpenApiDocuments> {
        if let Some(docs) = self
            .openapi
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return docs.clone();
        }
        let specs = {
            let custom = self.custom.read().unwrap_or_else(|p| p.into_inner());
            openapi_specs(&self.registry(), &custom)
        };
        let built = Arc::new(OpenApiDocuments::build(&specs));
        *self.openapi.write().unwrap_or_else(|p| p.into_inner()) = Some(built.clone());
        built
    }

    fn serve_openapi(&self, endpoint: &Endpoint, headers: &HeaderMap) -> Response<Body> {
        let docs = self.openapi_documents();
        match endpoint {
            Endpoint::OpenApiV3Index => respond(
                200,
                "application/json",
                docs.v3_index_json().as_bytes().to_vec(),
                None,
            ),
            Endpoint::OpenApiV3(path) => match docs.v3(path) {
                Some(doc) => {
                    let etag = format!("\"{}\"", doc.hash);
                    respond(
                        200,
                        "application/json",
                        doc.json.as_bytes().to_vec(),
                        Some(&etag),
                    )
                }
                None => respond(
                    404,
                    "text/plain; charset=utf-8",
                    b"404 page not found\n".to_vec(),
                    None,
                ),
            },
            _ => {
                // kube serves v2 as JSON to clients that accept it; the protobuf form
                // is not available here.
                let accept = headers
                    .get("accept")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                let json_ok = accept.is_empty()
                    || accept.split(',').any(|p| {
                        let m = p.split(';').next().unwrap_or("").trim();
                        m == "application/json" || m == "*/*" || m == "application/*"
                    });
                if !json_ok {
                    return json(406, &ApiError::not_acceptable().to_status());
                }
                let doc = docs.v2();
                let etag = format!("\"{}\"", doc.hash);
                respond(
                    200,
                    "application/json",
                    doc.json.as_bytes().to_vec(),
                    Some(&etag),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_is_chosen_by_accept() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
                .parse()
                .unwrap(),
        );
        assert_eq!(wants_aggregated(&h), Some(AggregatedVersion::V2));
        h.insert("accept", "application/json, */*".parse().unwrap());
        assert_eq!(wants_aggregated(&h), None);
    }
}

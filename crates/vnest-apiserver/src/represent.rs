//! Alternative representations of read results: server-side printed Tables (kubectl
//! get) and PartialObjectMetadata(List).

use serde_json::{json, Map, Value};
use vnest_api::status::ApiError;
use vnest_api::table::{self, IncludeObject};

use crate::rest::{Reply, ResourceDef};
use crate::server::Representation;

fn metadata_only(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

/// Converts a get or list reply into the representation the client asked for.
pub fn represent(
    result: Result<Reply, ApiError>,
    def: &ResourceDef,
    repr: Representation,
    include_object: Option<&str>,
) -> Result<Reply, ApiError> {
    let reply = result?;
    let Reply::Json {
        status,
        body,
        warnings,
    } = reply
    else {
        return Ok(reply);
    };
    let is_list = body.get("items").is_some_and(Value::is_array);
    let body = match repr {
        Representation::Json => body,
        Representation::Metadata => {
            if is_list {
                let items: Vec<Value> = body["items"]
                    .as_array()
                    .map(|a| a.iter().map(metadata_only).collect())
                    .unwrap_or_default();
                json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": body.get("metadata").cloned().unwrap_or(json!({})),
                    "items": items,
                })
            } else {
                metadata_only(&body)
            }
        }
        Representation::Table => {
            let include = match include_object {
                Some("None") => IncludeObject::None,
                Some("Object") => IncludeObject::Object,
                _ => IncludeObject::Metadata,
            };
            let (objects, list_meta) = if is_list {
                let items = body["items"].as_array().cloned().unwrap_or_default();
                // Items of a list are stored without kind; rows carry full objects.
                let items = items
                    .into_iter()
                    .map(|mut o| {
                        if let Some(m) = o.as_object_mut() {
                            m.insert("kind".into(), json!(def.kind));
                            m.insert("apiVersion".into(), json!(def.api_version()));
                        }
                        o
                    })
                    .collect::<Vec<_>>();
                (items, body.get("metadata").cloned().unwrap_or(json!({})))
            } else {
                let mut meta = Map::new();
                if let Some(rv) = body.pointer("/metadata/resourceVersion") {
                    meta.insert("resourceVersion".into(), rv.clone());
                }
                (vec![body], Value::Object(meta))
            };
            if let Some(cr) = &def.custom {
                crate::crd::table(cr, &objects, list_meta, include)
            } else {
                table::table(
                    &def.group,
                    &def.resource,
                    &objects,
                    chrono::Utc::now().timestamp(),
                    include,
                    list_meta,
                )
            }
        }
    };
    Ok(Reply::Json {
        status,
        body,
        warnings,
    })
}

//! PATCH: JSON patch, JSON merge patch and strategic merge patch (the engines live in
//! `vnest_api::patch`), applied in a compare-and-swap loop.

use std::collections::HashMap;

use serde_json::Value;
use vnest_api::patch::{self, PatchSchema};
use vnest_api::status::ApiError;

use crate::body::MediaType;
use crate::objects;
use crate::rest::{Reply, ResourceDef, Rest};

fn patch_error(e: patch::PatchError) -> ApiError {
    let (code, reason) = e.status();
    ApiError::new(code, reason, e.to_string())
}

fn unsupported(def: &ResourceDef) -> ApiError {
    let strategic = PatchSchema::builtin()
        .definition_for(&def.group, &def.version, &def.kind)
        .is_some();
    let types = if strategic {
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
    } else {
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    };
    ApiError::unsupported_media_type(format!(
        "the body of the request was in an unknown format - accepted media types include: {types}"
    ))
}

/// Applies one patch document to `current`.
pub fn apply_patch(def: &ResourceDef, media: MediaType, current: &Value, body: &[u8]) -> Result<Value, ApiError> {
    let patch_doc: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "error decoding patch: {}",
            if e.is_eof() { "unexpected end of JSON input".to_string() } else { e.to_string() }
        ))
    })?;
    match media {
        MediaType::JsonPatch => patch::json_patch(current, &patch_doc).map_err(patch_error),
        MediaType::MergePatch => patch::merge_patch(current, &patch_doc).map_err(patch_error),
        MediaType::StrategicMergePatch => {
            let schema = PatchSchema::builtin();
            let Some(definition) = schema.definition_for(&def.group, &def.version, &def.kind) else {
                return Err(unsupported(def));
            };
            patch::strategic_merge(current, &patch_doc, schema, definition).map_err(patch_error)
        }
        _ => Err(unsupported(def)),
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn patch(
    rest: &Rest,
    def: &ResourceDef,
    ns: Option<&str>,
    name: &str,
    sub: Option<&str>,
    body: &[u8],
    media: MediaType,
    query: &HashMap<String, String>,
) -> Result<Reply, ApiError> {
    if !matches!(
        media,
        MediaType::JsonPatch | MediaType::MergePatch | MediaType::StrategicMergePatch
    ) {
        return Err(unsupported(def));
    }
    let dry_run = match query.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!("PatchOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{{\"{other}\"}}: supported values: \"All\""),
            ))
        }
    };
    let status_only = sub == Some("status");
    let has_status_sub = def.subresources.iter().any(|s| s == "status");
    let obj = rest
        .guaranteed_update(def, ns, name, None, dry_run, |current| {
            let mut patched = apply_patch(def, media, current, body)?;
            // A resourceVersion in the patch is a precondition.
            if let (Some(want), Some(have)) = (
                objects::resource_version(&patched),
                objects::resource_version(current),
            ) {
                if want != have {
                    return Err(ApiError::modified_conflict(vnest_api::status::Target {
                        group: &def.group,
                        resource: &def.resource,
                        name,
                    }));
                }
            }
            if has_status_sub {
                if status_only {
                    let mut next = current.clone();
                    match patched.get("status") {
                        Some(s) => next["status"] = s.clone(),
                        None => {
                            if let Some(m) = next.as_object_mut() {
                                m.remove("status");
                            }
                        }
                    }
                    if let Some(meta) = patched.get("metadata") {
                        next["metadata"] = meta.clone();
                    }
                    patched = next;
                } else {
                    match current.get("status") {
                        Some(s) => patched["status"] = s.clone(),
                        None => {
                            if let Some(m) = patched.as_object_mut() {
                                m.remove("status");
                            }
                        }
                    }
                }
            }
            Ok(patched)
        })
        .await?;
    Ok(Reply::Json {
        status: 200,
        body: obj,
        warnings: Vec::new(),
    })
}

//! PATCH: JSON patch, JSON merge patch and strategic merge patch (the engines live in
//! `vnest_api::patch`), applied in a compare-and-swap loop.

use std::collections::HashMap;

use serde_json::Value;
use vnest_api::fields;
use vnest_api::patch::{self, FieldValidation, PatchSchema, PatchType};
use vnest_api::status::ApiError;

use crate::body::MediaType;
use crate::objects;
use crate::rest::{Reply, ResourceDef, Rest};

fn patch_error(e: patch::PatchError) -> ApiError {
    let (code, reason) = e.status();
    let mut err = ApiError::new(code, reason, e.to_string());
    err.details = e.details();
    err
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

fn patch_type(media: MediaType) -> Option<PatchType> {
    match media {
        MediaType::JsonPatch => Some(PatchType::Json),
        MediaType::MergePatch => Some(PatchType::Merge),
        MediaType::StrategicMergePatch => Some(PatchType::StrategicMerge),
        _ => None,
    }
}

/// Applies one patch document to `current`; returns the result and the strict-decoding
/// findings (duplicate or unknown fields in the patch).
pub fn apply_patch(
    def: &ResourceDef,
    media: MediaType,
    current: &Value,
    body: &[u8],
    validation: FieldValidation,
) -> Result<(Value, Vec<String>), ApiError> {
    let Some(kind) = patch_type(media) else {
        return Err(unsupported(def));
    };
    let schema = PatchSchema::builtin();
    let definition = schema.definition_for(&def.group, &def.version, &def.kind);
    if kind == PatchType::StrategicMerge && definition.is_none() {
        return Err(unsupported(def));
    }
    let patched = patch::apply_patch(kind, current, body, validation, schema, definition)
        .map_err(patch_error)?;
    Ok((patched.object, patched.strict_errors))
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
    manager: &str,
) -> Result<Reply, ApiError> {
    if patch_type(media).is_none() {
        if media == MediaType::ApplyPatch {
            return Err(unsupported(def));
        }
        return Err(ApiError::unsupported_media_type(
            "415: Unsupported Media Type",
        ));
    }
    let validation = crate::rest::field_validation(query, "PatchOptions")?;
    let definition = PatchSchema::builtin().definition_for(&def.group, &def.version, &def.kind);
    let mut warnings: Vec<String> = Vec::new();
    let dry_run = match query.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!("PatchOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"{other}\"]: supported values: \"All\""),
            ))
        }
    };
    let status_only = sub == Some("status");
    let has_status_sub = def.subresources.iter().any(|s| s == "status");
    let obj = rest
        .guaranteed_update(
            def,
            ns,
            name,
            None,
            dry_run,
            crate::rest::WriteMeta {
                manager,
                subresource: sub,
            },
            |current| {
                let (mut patched, findings) = apply_patch(def, media, current, body, validation)?;
                // kube decodes the patch result into the type: unknown fields go, and are
                // reported per fieldValidation (Strict: 422 quoting the patched object).
                if let Some(definition) = definition {
                    match fields::check_patched_with(definition, &mut patched, validation, findings)
                    {
                        Ok(w) => warnings = w,
                        Err(e) => {
                            let patch_doc: Value =
                                serde_json::from_slice(body).unwrap_or(Value::Null);
                            let quoted = match media {
                                MediaType::MergePatch => {
                                    fields::merge_patch_text(current, &patch_doc)
                                }
                                MediaType::StrategicMergePatch => {
                                    fields::strategic_patch_text(&patch_doc)
                                }
                                _ => fields::patched_text(&patched),
                            };
                            let status = e.to_status(&quoted);
                            let mut err = ApiError::new(
                                422,
                                "Invalid",
                                status
                                    .get("message")
                                    .and_then(Value::as_str)
                                    .unwrap_or("invalid patch")
                                    .to_string(),
                            );
                            err.details = status.get("details").cloned();
                            return Err(err);
                        }
                    }
                } else if validation == FieldValidation::Strict && !findings.is_empty() {
                    return Err(ApiError::bad_request(format!(
                        "error decoding patch: strict decoding error: {}",
                        findings.join(", ")
                    )));
                } else if validation == FieldValidation::Warn {
                    warnings = findings;
                }
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
            },
        )
        .await?;
    Ok(Reply::Json {
        status: 200,
        body: obj,
        warnings,
    })
}

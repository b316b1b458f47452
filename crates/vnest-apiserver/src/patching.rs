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
    if media == MediaType::ApplyPatch {
        return apply(rest, def, ns, name, sub, body, query).await;
    }
    if query.contains_key("force") {
        return Err(patch_options_invalid(
            "force",
            "FieldValueForbidden",
            "Forbidden: may not be specified for non-apply patch",
        ));
    }
    if patch_type(media).is_none() {
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
                apply: false,
            },
            |current| {
                let (mut patched, mut findings) =
                    apply_patch(def, media, current, body, validation)?;
                if let Some(cr) = &def.custom {
                    findings.extend(crate::crd::prune(cr, &mut patched));
                    crate::crd::default(cr, &mut patched);
                }
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

/// 422 for invalid PatchOptions, in kube's words.
fn patch_options_invalid(field: &str, reason: &str, message: &str) -> ApiError {
    ApiError::new(
        422,
        "Invalid",
        format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {message}"),
    )
    .with_details(serde_json::json!({
        "group": "meta.k8s.io",
        "kind": "PatchOptions",
        "causes": [{"reason": reason, "message": message, "field": field}],
    }))
}

/// `group/version` as kube prints it in `invalid object type: /v1, Kind=Secret`.
fn gvk_text(api_version: &str, kind: &str) -> String {
    let gv = if api_version.contains('/') || api_version.is_empty() {
        api_version.to_string()
    } else {
        format!("/{api_version}")
    };
    format!("{gv}, Kind={kind}")
}

/// Server-side apply: `PATCH` with `application/apply-patch+yaml`. Creates the object
/// when it does not exist.
async fn apply(
    rest: &Rest,
    def: &ResourceDef,
    ns: Option<&str>,
    name: &str,
    sub: Option<&str>,
    body: &[u8],
    query: &HashMap<String, String>,
) -> Result<Reply, ApiError> {
    let Some(manager) = query.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(patch_options_invalid(
            "fieldManager",
            "FieldValueRequired",
            "Required value: is required for apply patch",
        ));
    };
    let force = query
        .get("force")
        .is_some_and(|v| crate::request::go_bool(v));
    let dry_run = match query.get("dryRun").map(String::as_str) {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return Err(patch_options_invalid(
                "dryRun",
                "FieldValueNotSupported",
                &format!("Unsupported value: [\"{other}\"]: supported values: \"All\""),
            ))
        }
    };
    let mut applied = crate::body::decode_object(body, MediaType::Yaml, &def.kind)?;
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = applied
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if api_version != def.api_version() || kind != def.kind {
        return Err(ApiError::bad_request(format!(
            "invalid object type: {}",
            gvk_text(&api_version, &kind)
        )));
    }
    if let Some(body_name) = objects::meta_str(&applied, "name").filter(|n| !n.is_empty()) {
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
    }
    if let (Some(body_ns), Some(path_ns)) = (objects::meta_str(&applied, "namespace"), ns) {
        if !body_ns.is_empty() && body_ns != path_ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    // Apply configurations must only name fields the type has.
    let unknown: Vec<String> = match &def.custom {
        Some(cr) => cr
            .schema
            .as_ref()
            .map(|schema| schema.prune(&mut applied))
            .unwrap_or_default(),
        None => PatchSchema::builtin()
            .definition_for(&def.group, &def.version, &def.kind)
            .map(|d| fields::prune_unknown(d, &mut applied))
            .unwrap_or_default(),
    };
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown
            .iter()
            .map(|path| format!(".{path}: field not declared in schema"))
            .collect();
        return Err(ApiError::bad_request(format!(
            "failed to create typed patch object ({}): {}",
            gvk_text(&def.api_version(), &def.kind),
            listed.join(", ")
        )));
    }
    let write = crate::rest::WriteMeta {
        manager,
        subresource: sub,
        apply: true,
    };
    let exists = match rest.load(def, ns, name).await {
        Ok(_) => true,
        Err(e) if e.code == 404 => false,
        Err(e) => return Err(e),
    };
    if !exists {
        if sub.is_some() {
            return Err(ApiError::not_found(vnest_api::status::Target {
                group: &def.group,
                resource: &def.resource,
                name,
            }));
        }
        let mut obj = ssa_merge(def, None, &applied, manager, sub, force)?;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("name".into(), Value::String(name.to_string()));
            if let (true, Some(ns)) = (def.namespaced, ns) {
                meta.insert("namespace".into(), Value::String(ns.to_string()));
            }
        }
        if let Some(cr) = &def.custom {
            crate::crd::default(cr, &mut obj);
        }
        return rest
            .create_object(def, ns, obj, Vec::new(), dry_run, write)
            .await;
    }
    let obj = rest
        .guaranteed_update(def, ns, name, None, dry_run, write, |current| {
            let mut next = ssa_merge(def, Some(current), &applied, manager, sub, force)?;
            if let Some(cr) = &def.custom {
                crate::crd::default(cr, &mut next);
            }
            Ok(next)
        })
        .await?;
    Ok(Reply::Json {
        status: 200,
        body: obj,
        warnings: Vec::new(),
    })
}

/// The structured-merge-diff merge of an applied configuration into `live`.
fn ssa_merge(
    def: &ResourceDef,
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    sub: Option<&str>,
    force: bool,
) -> Result<Value, ApiError> {
    use vnest_api::managed::{apply, ApplyRequest, TypeSource};
    let definition = PatchSchema::builtin().definition_for(&def.group, &def.version, &def.kind);
    let types = match def.custom.as_ref().and_then(|c| c.managed_types.as_ref()) {
        Some(t) => TypeSource::Custom(t),
        None => TypeSource::Builtin(definition),
    };
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    apply(ApplyRequest {
        live,
        applied,
        types,
        manager,
        api_version: &def.api_version(),
        subresource: sub,
        status_is_subresource: def.subresources.iter().any(|s| s == "status"),
        force,
        time: &time,
    })
    .map_err(|e| e.to_api_error())
}

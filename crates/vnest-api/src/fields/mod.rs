//! Unknown and duplicate fields: what kube-apiserver does when it decodes a JSON or
//! YAML body into a typed object, per the `fieldValidation` query parameter.
//!
//! kube-apiserver decodes request bodies with `sigs.k8s.io/json`, which drops the
//! fields the Go type does not have and, when asked to be strict (`Warn` and
//! `Strict`), reports them (`unknown field "spec.replicass"`) together with fields
//! given twice (`duplicate field "data"`), in the order the decoder meets them, i.e.
//! document order: `spec.template.spec.containers[0].imagePullPolicyy` comes before
//! `spec.replicass` when the template comes first in the body. With `Strict` they make
//! a 400 (`<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding
//! error: <errors>`), with `Warn` (the default) each becomes a `Warning` header, with
//! `Ignore` they are dropped silently. YAML bodies are converted to JSON first (keys
//! come out sorted) and their duplicate keys are reported by the YAML decoder, with
//! line numbers.
//!
//! - [`prune_unknown`]: removes the fields a type does not have, returning their paths.
//! - [`decode_object`]: decodes a create/update body per `fieldValidation`.
//! - [`check_patched`] / [`check_patched_with`]: the same check on the result of a
//!   patch, whose strict failure is a 422 quoting the patched object (see
//!   [`merge_patch_text`], [`strategic_patch_text`], [`patched_text`]).
//! - [`field_validation`] / [`invalid_field_validation`]: the query parameter and the
//!   422 for a bad value.
//!
//! Free-form values are never looked into: map values (`data`, `labels`,
//! `annotations`, `resources.limits`) and types with their own decoder (`RawExtension`,
//! `FieldsV1`, `JSON`, `IntOrString`, `Quantity`, times).

pub(crate) mod render;
mod schema;
mod walk;
mod yaml;

#[cfg(test)]
mod tests;

use serde_json::{json, Value};

use crate::patch::gojson;
pub use crate::patch::FieldValidation;
use crate::selector::go_quote;
use crate::validation::{invalid_status, FieldError};
use schema::Types;
use walk::{Raw, StrictKind, Walker};

/// A decoded object body.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The object, without the fields its type does not have.
    pub object: Value,
    /// With `fieldValidation=Warn`: the strict-decoding complaints, one `Warning`
    /// header each (`unknown field "x"`, `duplicate field "data"`).
    pub warnings: Vec<String>,
}

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldsError {
    /// Not JSON (or YAML): the decoder's message, e.g. `unexpected end of JSON input`.
    #[error("{0}")]
    Syntax(String),
    /// Valid, but not an object: the JSON kind it is (`array`, `string`, `null`, ...).
    #[error("the body is a JSON {0}, not an object")]
    NotObject(&'static str),
    /// `fieldValidation=Strict` and the body has unknown or duplicate fields; `Display`
    /// is `strict decoding error: <errors joined with ", ">`.
    #[error("strict decoding error: {}", .0.join(", "))]
    Strict(Vec<String>),
}

impl FieldsError {
    /// The strict-decoding errors (empty for the other variants).
    pub fn strict_errors(&self) -> &[String] {
        match self {
            FieldsError::Strict(errors) => errors,
            _ => &[],
        }
    }
}

/// Removes every property of `obj` that its type (`definition`, e.g.
/// `io.k8s.api.apps.v1.Deployment`) does not have, at any depth, and returns their
/// paths in document order (`spec.replicass`,
/// `spec.template.spec.containers[0].imagePullPolicyy`, `metadata.foo`). At the top
/// level `apiVersion`, `kind` and `metadata` are always known. An unknown definition
/// leaves `obj` alone.
pub fn prune_unknown(definition: &str, obj: &mut Value) -> Vec<String> {
    let types = Types::builtin();
    let Some(ty) = types.root(definition) else {
        return Vec::new();
    };
    let mut w = Walker::new(types);
    let raw = Raw::from_value(std::mem::take(obj));
    *obj = w.walk(raw, ty, None);
    w.into_errors()
        .into_iter()
        .filter(|e| e.kind == StrictKind::Unknown)
        .map(|e| e.path)
        .collect()
}

/// Decodes a create/update body (JSON, or YAML when `yaml`) into an object of type
/// `definition` as kube-apiserver does, pruning unknown fields and applying
/// `validation`: `Strict` fails on any unknown or duplicate field, `Warn` returns them
/// as warnings, `Ignore` drops them silently.
///
/// With `definition` `None` (or not a built-in type) nothing is pruned and only
/// duplicates are reported, as for custom resources.
///
/// JSON duplicates merge as in Go: `"data":{"a":"1"},"data":{"b":"2"}` gives both keys.
/// In YAML the last duplicate wins and all duplicates make one error
/// (`yaml: unmarshal errors:\n  line 7: key "a" already set in map`), reported before
/// the unknown fields.
pub fn decode_object(
    body: &[u8],
    yaml: bool,
    definition: Option<&str>,
    validation: FieldValidation,
) -> Result<Decoded, FieldsError> {
    let types = Types::builtin();
    let root = definition.and_then(|d| types.root(d));
    let (object, errors) = if yaml {
        let doc = yaml::parse(body).map_err(FieldsError::Syntax)?;
        if !doc.value.is_object() {
            return Err(FieldsError::NotObject(gojson::json_kind(&doc.value)));
        }
        let mut errors: Vec<String> = doc.duplicates.into_iter().collect();
        let object = match root {
            Some(ty) => {
                let mut w = Walker::new(types);
                let object = w.walk(Raw::from_value(doc.value), ty, None);
                errors.extend(w.into_errors().iter().map(walk::StrictError::message));
                object
            }
            None => doc.value,
        };
        (object, errors)
    } else {
        let parsed = gojson::parse(body).map_err(FieldsError::Syntax)?;
        if !parsed.value.is_object() {
            return Err(FieldsError::NotObject(gojson::json_kind(&parsed.value)));
        }
        match root {
            Some(ty) => {
                let raw = walk::tokenize(body).map_err(FieldsError::Syntax)?;
                let mut w = Walker::new(types);
                let object = w.walk(raw, ty, None);
                let errors = w
                    .into_errors()
                    .iter()
                    .map(walk::StrictError::message)
                    .collect();
                (object, errors)
            }
            None => (parsed.value, parsed.strict_errors),
        }
    };
    match validation {
        FieldValidation::Ignore => Ok(Decoded {
            object,
            warnings: Vec::new(),
        }),
        FieldValidation::Warn => Ok(Decoded {
            object,
            warnings: errors,
        }),
        FieldValidation::Strict if errors.is_empty() => Ok(Decoded {
            object,
            warnings: Vec::new(),
        }),
        FieldValidation::Strict => Err(FieldsError::Strict(errors)),
    }
}

/// The 400 message for a body that failed strict decoding:
/// `ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error:
/// unknown field "x", duplicate field "data"` (`version` without the group).
pub fn strict_decoding_message(kind: &str, version: &str, errors: &[String]) -> String {
    format!(
        "{kind} in version {} cannot be handled as a {kind}: strict decoding error: {}",
        go_quote(version),
        errors.join(", ")
    )
}

/// The full 400 `BadRequest` Status for [`strict_decoding_message`].
pub fn strict_decoding_status(kind: &str, version: &str, errors: &[String]) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": strict_decoding_message(kind, version, errors),
        "reason": "BadRequest",
        "code": 400
    })
}

/// The values `fieldValidation` accepts, as kube lists them.
const SUPPORTED_VALIDATION: &[&str] = &["", "Ignore", "Strict", "Warn"];

/// The 422 kube-apiserver answers for an unsupported `fieldValidation` value;
/// `options_kind` is `CreateOptions`, `UpdateOptions` or `PatchOptions` per verb.
pub fn invalid_field_validation(options_kind: &str, value: &str) -> Value {
    invalid_status(
        "meta.k8s.io",
        options_kind,
        "",
        &[FieldError::not_supported(
            "fieldValidation",
            value,
            SUPPORTED_VALIDATION,
        )],
    )
}

/// The `fieldValidation` query parameter: absent or empty is `Warn`; an unsupported
/// value is the 422 Status of [`invalid_field_validation`].
pub fn field_validation(options_kind: &str, value: Option<&str>) -> Result<FieldValidation, Value> {
    let value = value.unwrap_or_default();
    FieldValidation::parse(value).ok_or_else(|| invalid_field_validation(options_kind, value))
}

/// A patch result that failed strict decoding (`fieldValidation=Strict`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("strict decoding error: {}", .errors.join(", "))]
pub struct PatchedError {
    /// The complaints about the patch body, then the unknown fields of the result.
    pub errors: Vec<String>,
}

impl PatchedError {
    /// The 422 message, quoting `invalid_value` (the patched object for JSON and merge
    /// patches, see [`merge_patch_text`]; the patch map for strategic ones, see
    /// [`strategic_patch_text`]): ` "" is invalid: patch: Invalid value: "...":
    /// strict decoding error: unknown field "bogus"`.
    pub fn message(&self, invalid_value: &str) -> String {
        format!(
            " \"\" is invalid: patch: {}",
            self.cause_message(invalid_value)
        )
    }

    fn cause_message(&self, invalid_value: &str) -> String {
        format!("Invalid value: {}: {self}", go_quote(invalid_value))
    }

    /// The full 422 `Invalid` Status (no kind, name or group in its details).
    pub fn to_status(&self, invalid_value: &str) -> Value {
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message(invalid_value),
            "reason": "Invalid",
            "details": {
                "causes": [{
                    "reason": "FieldValueInvalid",
                    "message": self.cause_message(invalid_value),
                    "field": "patch"
                }]
            },
            "code": 422
        })
    }
}

/// [`check_patched_with`] without complaints about the patch body.
pub fn check_patched(
    definition: &str,
    patched: &mut Value,
    validation: FieldValidation,
) -> Result<Vec<String>, PatchedError> {
    check_patched_with(definition, patched, validation, Vec::new())
}

/// What kube-apiserver does with the result of a JSON, merge or strategic merge patch:
/// it decodes it into the type, so unknown fields are dropped and, per `validation`,
/// reported. `patch_errors` are the strict complaints about the patch body itself
/// (duplicate fields, see [`crate::patch::Patched::strict_errors`]); they come first.
///
/// - `Ignore`: unknown fields pruned, `Ok(vec![])`.
/// - `Warn`: unknown fields pruned, `Ok(warnings)`.
/// - `Strict`: with any complaint, `Err` and `patched` is left as it was (the 422
///   quotes it, see [`PatchedError::to_status`]); otherwise `Ok(vec![])`.
///
/// The unknown fields are listed in sorted key order: kube decodes the patch result
/// after it went through Go maps (the order differs from kube's only for several
/// unknown fields inside one value a JSON patch added).
pub fn check_patched_with(
    definition: &str,
    patched: &mut Value,
    validation: FieldValidation,
    patch_errors: Vec<String>,
) -> Result<Vec<String>, PatchedError> {
    let types = Types::builtin();
    let Some(ty) = types.root(definition) else {
        return finish(validation, patch_errors);
    };
    // the complaints, in the order a decoder of the marshalled result meets them
    let mut w = Walker::new(types).sorted();
    w.walk(Raw::from_value(patched.clone()), ty, None);
    let unknown: Vec<String> = w
        .into_errors()
        .iter()
        .map(walk::StrictError::message)
        .collect();
    if !unknown.is_empty() && validation != FieldValidation::Strict {
        prune_unknown(definition, patched);
    }
    let mut errors = patch_errors;
    errors.extend(unknown);
    finish(validation, errors)
}

fn finish(validation: FieldValidation, errors: Vec<String>) -> Result<Vec<String>, PatchedError> {
    match validation {
        FieldValidation::Ignore => Ok(Vec::new()),
        FieldValidation::Warn => Ok(errors),
        FieldValidation::Strict if errors.is_empty() => Ok(Vec::new()),
        FieldValidation::Strict => Err(PatchedError { errors }),
    }
}

/// The patched object as kube-apiserver quotes it in the 422 for a merge patch: the
/// text `evanphx/json-patch` produces, where the top level, the objects the patch
/// merged into and the values it inserted have sorted keys, and the rest keeps the
/// stored object's order.
pub fn merge_patch_text(original: &Value, patch: &Value) -> String {
    render::merge_patch_text(original, patch)
}

/// What kube-apiserver quotes in the 422 for a strategic merge patch: Go's `%+v` of
/// the decoded patch (`map[bogus:1 data:map[a:9]]`).
pub fn strategic_patch_text(patch: &Value) -> String {
    render::go_map_text(patch)
}

/// The patched object as Go marshals a map: top-level keys sorted, the rest in the
/// object's order. This is what kube quotes for a JSON patch whose operations touch
/// only top-level members.
pub fn patched_text(patched: &Value) -> String {
    render::sorted_top_level_text(patched)
}

//! The three PATCH formats of kube-apiserver, as pure functions over
//! [`serde_json::Value`]:
//!
//! - [JSON patch](json) (RFC 6902, `application/json-patch+json`),
//! - [JSON merge patch](merge) (RFC 7386, `application/merge-patch+json`),
//! - [strategic merge patch](strategic) (`application/strategic-merge-patch+json`),
//!   driven by the patch metadata of the built-in types ([`PatchSchema`]).
//!
//! Each format has a `decode_*` function that reads the request body with the Go
//! decoder's rules and messages, and an apply function. [`apply_patch`] does both for a
//! content type. Errors are [`PatchError`]s whose `Display` is the `Status.message`
//! kube-apiserver sends, with [`PatchError::code`] and [`PatchError::reason`] for the
//! rest of the Status.
//!
//! What is left to the caller, as in kube-apiserver's handler: decoding the result into
//! the type (unknown fields become warnings or errors per `fieldValidation`, which also
//! turns the returned strict-decoding complaints into warnings or a 422), checking that
//! name and namespace did not change, defaulting and validation.

pub(crate) mod gojson;
pub mod json;
pub mod merge;
mod schema;
pub mod strategic;

use serde_json::{json, Value};

pub use json::{
    apply_json_patch, decode_json_patch, json_patch, JsonPatch, MAX_JSON_PATCH_OPERATIONS,
};
pub use merge::{decode_merge_patch, json_merge_patch, merge_patch, INVALID_MERGE_PATCH};
pub use schema::PatchSchema;
pub use strategic::{decode_strategic_merge_patch, strategic_merge, UNSUPPORTED_MESSAGE};

/// The generic message kube-apiserver puts in a 422 it answers for a patch that could
/// not be applied.
pub const REJECTED_MESSAGE: &str = "the server rejected our request due to an error in our request";

/// Why a patch could not be decoded or applied. `Display` gives `Status.message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// 400 `BadRequest`: the body could not be decoded, or a directive is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 422 `Invalid` with kube's generic message and empty `details`; the string says
    /// what actually failed (kube does not send it).
    #[error("the server rejected our request due to an error in our request")]
    Rejected(String),
    /// 413 `RequestEntityTooLarge`.
    #[error("Request entity too large: {0}")]
    TooLarge(String),
    /// 415 `UnsupportedMediaType` (strategic merge patch on a type without metadata).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 500 with no reason: what kube-apiserver sends for the other strategic merge
    /// patch failures (for example an unknown `$patch` directive).
    #[error("{0}")]
    Internal(String),
}

impl PatchError {
    /// HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            PatchError::BadRequest(_) => 400,
            PatchError::Rejected(_) => 422,
            PatchError::TooLarge(_) => 413,
            PatchError::UnsupportedMediaType(_) => 415,
            PatchError::Internal(_) => 500,
        }
    }

    /// `Status.reason`; empty when kube sends none.
    pub fn reason(&self) -> &'static str {
        match self {
            PatchError::BadRequest(_) => "BadRequest",
            PatchError::Rejected(_) => "Invalid",
            PatchError::TooLarge(_) => "RequestEntityTooLarge",
            PatchError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            PatchError::Internal(_) => "",
        }
    }

    /// `(code, reason)`.
    pub fn status(&self) -> (u16, &'static str) {
        (self.code(), self.reason())
    }

    /// `Status.details` when kube sends one (`{}` for the generic 422).
    pub fn details(&self) -> Option<Value> {
        match self {
            PatchError::Rejected(_) => Some(json!({})),
            _ => None,
        }
    }

    /// The underlying reason, for logs (for the generic 422 this is not sent).
    pub fn detail(&self) -> &str {
        match self {
            PatchError::BadRequest(s)
            | PatchError::Rejected(s)
            | PatchError::TooLarge(s)
            | PatchError::UnsupportedMediaType(s)
            | PatchError::Internal(s) => s,
        }
    }

    /// The complete `metav1.Status` body kube-apiserver sends for this error.
    pub fn to_status(&self) -> Value {
        let mut s = serde_json::Map::new();
        s.insert("kind".into(), json!("Status"));
        s.insert("apiVersion".into(), json!("v1"));
        s.insert("metadata".into(), json!({}));
        s.insert("status".into(), json!("Failure"));
        s.insert("message".into(), json!(self.to_string()));
        if !self.reason().is_empty() {
            s.insert("reason".into(), json!(self.reason()));
        }
        if let Some(d) = self.details() {
            s.insert("details".into(), d);
        }
        s.insert("code".into(), json!(self.code()));
        Value::Object(s)
    }
}

/// The `fieldValidation` query parameter (kube's default, when absent, is `Warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Ignore,
    #[default]
    Warn,
    Strict,
}

impl FieldValidation {
    /// The value of the `fieldValidation` query parameter: `""` means the default
    /// (`Warn`); anything but `Ignore`, `Warn` and `Strict` is `None` (kube answers 422
    /// `Unsupported value`).
    pub fn parse(value: &str) -> Option<FieldValidation> {
        match value {
            "" | "Warn" => Some(FieldValidation::Warn),
            "Ignore" => Some(FieldValidation::Ignore),
            "Strict" => Some(FieldValidation::Strict),
            _ => None,
        }
    }

    /// Whether bodies are decoded strictly (duplicate and unknown fields reported).
    pub fn reports_strict_errors(self) -> bool {
        matches!(self, FieldValidation::Warn | FieldValidation::Strict)
    }
}

/// The PATCH body formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
}

impl PatchType {
    /// The patch type of a `Content-Type` header (parameters such as `charset` are
    /// ignored). Server-side apply and anything else give `None`.
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            _ => None,
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
        }
    }
}

/// A patched object and the strict-decoding complaints about the patch body
/// (`duplicate field "a"`, `json patch unknown field "[0].x"`), empty with
/// `fieldValidation=Ignore`. With `Warn` kube turns each into a warning header, with
/// `Strict` into a 422 (together with the unknown fields of the result).
#[derive(Debug, Clone, PartialEq)]
pub struct Patched {
    pub object: Value,
    pub strict_errors: Vec<String>,
}

/// Decodes `body` as `patch_type` and applies it to `original`.
///
/// `definition` is the OpenAPI definition of the object's type (see
/// [`PatchSchema::definition_for`]); strategic merge patch needs it and answers 415
/// when it is `None` or unknown, like kube-apiserver does for custom resources.
pub fn apply_patch(
    patch_type: PatchType,
    original: &Value,
    body: &[u8],
    validation: FieldValidation,
    schema: &PatchSchema,
    definition: Option<&str>,
) -> Result<Patched, PatchError> {
    match patch_type {
        PatchType::Json => {
            let (patch, strict_errors) = decode_json_patch(body, validation)?;
            Ok(Patched {
                object: apply_json_patch(original, &patch)?,
                strict_errors,
            })
        }
        PatchType::Merge => {
            let (patch, strict_errors) = decode_merge_patch(body, validation)?;
            Ok(Patched {
                object: json_merge_patch(original, &patch)?,
                strict_errors,
            })
        }
        PatchType::StrategicMerge => {
            let definition = definition
                .filter(|d| schema.contains(d))
                .ok_or_else(|| PatchError::UnsupportedMediaType(UNSUPPORTED_MESSAGE.to_string()))?;
            let (patch, strict_errors) = decode_strategic_merge_patch(body, validation)?;
            Ok(Patched {
                object: strategic_merge(original, &patch, schema, definition)?,
                strict_errors,
            })
        }
    }
}

#[cfg(test)]
mod kubectl_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_validation_values() {
        assert_eq!(FieldValidation::parse(""), Some(FieldValidation::Warn));
        assert_eq!(
            FieldValidation::parse("Strict"),
            Some(FieldValidation::Strict)
        );
        assert_eq!(
            FieldValidation::parse("Ignore"),
            Some(FieldValidation::Ignore)
        );
        assert_eq!(FieldValidation::parse("Warn"), Some(FieldValidation::Warn));
        assert_eq!(FieldValidation::parse("Loud"), None);
        assert_eq!(FieldValidation::parse("strict"), None);
        assert!(!FieldValidation::Ignore.reports_strict_errors());
        assert!(FieldValidation::default().reports_strict_errors());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(
            PatchType::from_content_type("application/json-patch+json"),
            Some(PatchType::Json)
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            None
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
        for t in [PatchType::Json, PatchType::Merge, PatchType::StrategicMerge] {
            assert_eq!(PatchType::from_content_type(t.content_type()), Some(t));
        }
    }

    #[test]
    fn status_bodies_match_the_recorded_ones() {
        let e = PatchError::Rejected("Unexpected kind: frobnicate".into());
        assert_eq!(
            e.to_status(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": REJECTED_MESSAGE, "reason": "Invalid", "details": {}, "code": 422})
        );
        let e = PatchError::Internal(
            "unknown patch type: frobnicate in map: map[$patch:frobnicate]".into(),
        );
        assert_eq!(
            e.to_status(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "unknown patch type: frobnicate in map: map[$patch:frobnicate]", "code": 500})
        );
        let e = PatchError::BadRequest("error decoding patch: unexpected end of JSON input".into());
        assert_eq!(
            e.to_status(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "error decoding patch: unexpected end of JSON input", "reason": "BadRequest", "code": 400})
        );
    }

    #[test]
    fn strategic_patch_on_unknown_types_is_415() {
        let err = apply_patch(
            PatchType::StrategicMerge,
            &json!({"spec": {"size": 1}}),
            br#"{"spec":{"size":3}}"#,
            FieldValidation::Warn,
            PatchSchema::builtin(),
            None,
        )
        .expect_err("no metadata");
        assert_eq!(
            err.to_status(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                   "reason": "UnsupportedMediaType", "code": 415})
        );
    }
}

//! Field errors in the style of `k8s.io/apimachinery/pkg/util/validation/field`
//! and the 422 `Status` kube-apiserver builds from them.

use serde_json::{json, Map, Value};

use crate::selector::{aggregate_messages, go_quote};

/// The kind of a field error (kube's `field.ErrorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `FieldValueNotFound` ("Not found")
    NotFound,
    /// `FieldValueRequired` ("Required value")
    Required,
    /// `FieldValueDuplicate` ("Duplicate value")
    Duplicate,
    /// `FieldValueInvalid` ("Invalid value")
    Invalid,
    /// `FieldValueTypeInvalid` ("Invalid value"; kube's `field.TypeInvalid`)
    TypeInvalid,
    /// `FieldValueNotSupported` ("Unsupported value")
    NotSupported,
    /// `FieldValueForbidden` ("Forbidden")
    Forbidden,
    /// `FieldValueTooLong` ("Too long")
    TooLong,
    /// `FieldValueTooMany` ("Too many")
    TooMany,
    /// `InternalError` ("Internal error")
    Internal,
}

impl ErrorKind {
    /// The `StatusCause.reason` string.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "FieldValueNotFound",
            ErrorKind::Required => "FieldValueRequired",
            ErrorKind::Duplicate => "FieldValueDuplicate",
            ErrorKind::Invalid => "FieldValueInvalid",
            ErrorKind::TypeInvalid => "FieldValueTypeInvalid",
            ErrorKind::NotSupported => "FieldValueNotSupported",
            ErrorKind::Forbidden => "FieldValueForbidden",
            ErrorKind::TooLong => "FieldValueTooLong",
            ErrorKind::TooMany => "FieldValueTooMany",
            ErrorKind::Internal => "InternalError",
        }
    }

    /// The human-readable prefix of the error body.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "Not found",
            ErrorKind::Required => "Required value",
            ErrorKind::Duplicate => "Duplicate value",
            ErrorKind::Invalid | ErrorKind::TypeInvalid => "Invalid value",
            ErrorKind::NotSupported => "Unsupported value",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::TooLong => "Too long",
            ErrorKind::TooMany => "Too many",
            ErrorKind::Internal => "Internal error",
        }
    }
}

/// One validation error on one field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The error kind.
    pub kind: ErrorKind,
    /// The field path, e.g. `spec.containers[0].image` or `data[key]`.
    pub path: String,
    /// The offending value (`None` when kube omits it from the message).
    pub value: Option<Value>,
    /// Extra detail appended after the value.
    pub detail: String,
}

impl FieldError {
    fn new(kind: ErrorKind, path: &str, value: Option<Value>, detail: impl Into<String>) -> Self {
        FieldError {
            kind,
            path: path.to_string(),
            value,
            detail: detail.into(),
        }
    }

    /// `Required value[: detail]`
    pub fn required(path: &str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Required, path, None, detail)
    }

    /// `Invalid value: <value>: detail`
    pub fn invalid(path: &str, value: impl Into<Value>, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, path, Some(value.into()), detail)
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`
    pub fn not_supported(path: &str, value: impl Into<Value>, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorKind::NotSupported, path, Some(value.into()), detail)
    }

    /// `Duplicate value: <value>`
    pub fn duplicate(path: &str, value: impl Into<Value>) -> Self {
        Self::new(ErrorKind::Duplicate, path, Some(value.into()), "")
    }

    /// `Not found: <value>`
    pub fn not_found(path: &str, value: impl Into<Value>) -> Self {
        Self::new(ErrorKind::NotFound, path, Some(value.into()), "")
    }

    /// `Forbidden: detail`
    pub fn forbidden(path: &str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, path, None, detail)
    }

    /// `Too long: may not be more than <max> bytes`
    pub fn too_long(path: &str, max_bytes: usize) -> Self {
        Self::new(
            ErrorKind::TooLong,
            path,
            None,
            format!("may not be more than {max_bytes} bytes"),
        )
    }

    /// `Too many: <actual>: must have at most <max> items`
    pub fn too_many(path: &str, actual: usize, max: usize) -> Self {
        Self::new(
            ErrorKind::TooMany,
            path,
            Some(json!(actual)),
            format!("must have at most {max} items"),
        )
    }

    /// `Internal error: detail`
    pub fn internal(path: &str, detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, path, None, detail)
    }

    /// The `StatusCause.reason` (e.g. `FieldValueInvalid`).
    pub fn cause_reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// The message without the field path (kube's `ErrorBody`, used as
    /// `StatusCause.message`).
    pub fn body(&self) -> String {
        let mut s = String::from(self.kind.label());
        let shows_value = !matches!(
            self.kind,
            ErrorKind::Required | ErrorKind::Forbidden | ErrorKind::TooLong | ErrorKind::Internal
        );
        if shows_value {
            if let Some(v) = &self.value {
                s.push_str(": ");
                s.push_str(&render_value(v));
            }
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }

    /// The full message: `<path>: <body>`.
    pub fn message(&self) -> String {
        format!("{}: {}", self.path, self.body())
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Renders a bad value like kube does in error messages: strings quoted
/// (Go `%q`), numbers and booleans bare, anything else as compact JSON
/// (Go `json.Marshal`, with its HTML escaping).
pub fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => go_json(other),
    }
}

/// Compact JSON as Go's `encoding/json` writes it (object keys in the order
/// given; `<`, `>`, `&`, U+2028 and U+2029 escaped).
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    crate::fields::render::write_value(v, &mut out);
    out
}

/// Returns a copy of a JSON map with its keys sorted (Go marshals maps sorted).
pub fn sorted_map(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(val) = m.get(k) {
                    out.insert(k.clone(), val.clone());
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// `parent.child` (or `child` when `parent` is empty).
pub fn child(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent[i]`
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// `parent[key]`
pub fn key(parent: &str, k: &str) -> String {
    format!("{parent}[{k}]")
}

/// `Kind` for the core group, `Kind.group` otherwise (kube's `GroupKind.String`).
pub fn qualified_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// The `Status.message` of a 422: `<Kind[.group]> "<name>" is invalid: <errors>`,
/// several errors joined as `[a, b]` with duplicates dropped.
pub fn invalid_message(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> String {
    let head = format!(
        "{} {} is invalid",
        qualified_kind(group, kind),
        go_quote(name)
    );
    if errors.is_empty() {
        return head;
    }
    let msgs: Vec<String> = errors.iter().map(FieldError::message).collect();
    format!("{head}: {}", aggregate_messages(&msgs))
}

/// The full 422 `Status` object kube-apiserver returns for validation errors
/// (`details.group` and `details.name` are omitted when empty).
pub fn invalid_status(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Value {
    let causes: Vec<Value> = errors
        .iter()
        .map(|e| {
            let mut c = Map::new();
            c.insert("reason".into(), json!(e.cause_reason()));
            c.insert("message".into(), json!(e.body()));
            if !e.path.is_empty() {
                c.insert("field".into(), json!(e.path));
            }
            Value::Object(c)
        })
        .collect();
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), json!(name));
    }
    if !group.is_empty() {
        details.insert("group".into(), json!(group));
    }
    details.insert("kind".into(), json!(kind));
    if !causes.is_empty() {
        details.insert("causes".into(), Value::Array(causes));
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": invalid_message(group, kind, name, errors),
        "reason": "Invalid",
        "details": Value::Object(details),
        "code": 422
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_render_like_kube() {
        assert_eq!(
            FieldError::invalid("metadata.name", "Foo", "bad").message(),
            "metadata.name: Invalid value: \"Foo\": bad"
        );
        assert_eq!(
            FieldError::required("spec.containers", "").message(),
            "spec.containers: Required value"
        );
        assert_eq!(
            FieldError::not_supported("spec.strategy.type", "Foo", &["Recreate", "RollingUpdate"])
                .message(),
            "spec.strategy.type: Unsupported value: \"Foo\": supported values: \"Recreate\", \"RollingUpdate\""
        );
        assert_eq!(
            FieldError::too_long("metadata.annotations", 262144).message(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(
            FieldError::too_many("spec.x", 5, 3).message(),
            "spec.x: Too many: 5: must have at most 3 items"
        );
        assert_eq!(
            FieldError::invalid("a", -1, "neg").body(),
            "Invalid value: -1: neg"
        );
        assert_eq!(
            FieldError::invalid("a", true, "b").body(),
            "Invalid value: true: b"
        );
        assert_eq!(
            FieldError::invalid("a", json!({"k": "<x>"}), "d").body(),
            "Invalid value: {\"k\":\"\\u003cx\\u003e\"}: d"
        );
        assert_eq!(
            FieldError::invalid("a", Value::Null, "d").body(),
            "Invalid value: null: d"
        );
        assert_eq!(
            FieldError::duplicate("a", "x").body(),
            "Duplicate value: \"x\""
        );
        assert_eq!(FieldError::forbidden("a", "no").body(), "Forbidden: no");
        assert_eq!(
            FieldError::internal("a", "boom").cause_reason(),
            "InternalError"
        );
        assert_eq!(
            FieldError::not_found("a", "v").cause_reason(),
            "FieldValueNotFound"
        );
        assert_eq!(
            FieldError::invalid("a", "a\"\n", "").body(),
            "Invalid value: \"a\\\"\\n\""
        );
    }

    #[test]
    fn status_shape_and_aggregation() {
        let one = vec![FieldError::required("spec.containers", "")];
        let st = invalid_status("", "Pod", "p", &one);
        assert_eq!(
            st["message"],
            "Pod \"p\" is invalid: spec.containers: Required value"
        );
        assert!(st["details"].get("group").is_none());
        assert_eq!(st["details"]["causes"][0]["reason"], "FieldValueRequired");
        assert_eq!(st["code"], 422);
        let two = vec![
            FieldError::required("spec.selector", ""),
            FieldError::required("spec.selector", ""),
            FieldError::invalid("spec.replicas", -1, "must be greater than or equal to 0"),
        ];
        let st = invalid_status("apps", "Deployment", "d", &two);
        assert_eq!(
            st["message"],
            "Deployment.apps \"d\" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]"
        );
        assert_eq!(st["details"]["group"], "apps");
        assert_eq!(st["details"]["causes"].as_array().map(Vec::len), Some(3));
        let st = invalid_status("", "ConfigMap", "", &[]);
        assert_eq!(st["message"], "ConfigMap \"\" is invalid");
        assert!(st["details"].get("name").is_none());
    }

    #[test]
    fn paths() {
        assert_eq!(child("", "spec"), "spec");
        assert_eq!(index(&child("spec", "ports"), 1), "spec.ports[1]");
        assert_eq!(key("data", "a b"), "data[a b]");
        assert_eq!(
            go_json(&sorted_map(&json!({"b": 1, "a": 2}))),
            "{\"a\":2,\"b\":1}"
        );
    }
}

//! Request body decoding: JSON, YAML, and the errors kube-apiserver gives for bodies it
//! cannot read.

use serde_json::Value;
use vnest_api::status::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    Json,
    Yaml,
    Protobuf,
    JsonPatch,
    MergePatch,
    StrategicMergePatch,
    ApplyPatch,
    Other,
}

pub fn media_type(content_type: Option<&str>) -> MediaType {
    let Some(ct) = content_type else {
        return MediaType::Json;
    };
    let base = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "" | "application/json" => MediaType::Json,
        "application/yaml" | "application/x-yaml" | "text/yaml" => MediaType::Yaml,
        "application/vnd.kubernetes.protobuf" => MediaType::Protobuf,
        "application/json-patch+json" => MediaType::JsonPatch,
        "application/merge-patch+json" => MediaType::MergePatch,
        "application/strategic-merge-patch+json" => MediaType::StrategicMergePatch,
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => MediaType::ApplyPatch,
        _ => MediaType::Other,
    }
}

/// The first bytes of a body, as kube quotes them in decoding errors.
fn preview_text(body: &[u8]) -> String {
    if body.is_empty() {
        return "<empty>".into();
    }
    let text = String::from_utf8_lossy(body);
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(30).collect();
    if chars.next().is_some() {
        format!("{head} ...")
    } else {
        head
    }
}

fn preview_hex(body: &[u8]) -> String {
    let head: String = body.iter().take(30).map(|b| format!("{b:02x}")).collect();
    if body.len() > 30 {
        format!("{head} ...")
    } else {
        head
    }
}

/// Go's encoding/json wording for the common serde_json failures.
fn go_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "unexpected end of JSON input".into(),
        Category::Syntax => {
            let msg = e.to_string();
            if msg.contains("trailing characters") {
                "invalid character after top-level value".into()
            } else {
                format!("invalid character looking for beginning of value ({msg})")
            }
        }
        Category::Data => e.to_string(),
        Category::Io => e.to_string(),
    }
}

/// go-yaml's wording, `line N: <problem>`, from libyaml's `<problem> at line L column
/// C, while parsing <context> at line N column M` (go-yaml names the context's line).
fn go_yaml_error(msg: &str) -> String {
    let line_of = |s: &str| -> Option<u64> {
        let at = s.rfind(" at line ")?;
        s[at + 9..].split_whitespace().next()?.parse().ok()
    };
    let (problem, context) = match msg.split_once(", while ") {
        Some((p, c)) => (p, Some(c)),
        None => (msg, None),
    };
    let line = context.and_then(line_of).or_else(|| line_of(problem));
    let problem = match problem.rfind(" at line ") {
        Some(at) => &problem[..at],
        None => problem,
    };
    match line {
        Some(n) => format!("line {n}: {problem}"),
        None => problem.to_string(),
    }
}

/// Decodes a Kubernetes protobuf body (the `k8s\0` envelope) for a resource of `kind`
/// at `api_version` into its JSON form.
pub fn decode_protobuf(body: &[u8], api_version: &str, kind: &str) -> Result<Value, ApiError> {
    use vnest_api::protobuf::{decode_request_with_default, ProtobufError};
    match decode_request_with_default(body, Some((api_version, kind))) {
        Ok(decoded) => Ok(decoded.object),
        Err(ProtobufError::Schema(e)) => Err(ApiError::internal(format!(
            "the protobuf schema of this server is broken: {e}"
        ))),
        Err(e) => Err(ApiError::bad_request(e.bad_request_message(kind, body))),
    }
}

/// Decodes an object body (JSON or YAML) for a resource of `kind`.
pub fn decode_object(body: &[u8], media: MediaType, kind: &str) -> Result<Value, ApiError> {
    let unrecognized = |detail: String| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {kind}): {detail}"
        ))
    };
    let value: Value = match media {
        MediaType::Yaml => {
            let v: Value = serde_yaml_ng::from_slice(body).map_err(|e| {
                unrecognized(format!(
                    "yaml: {} ({})",
                    go_yaml_error(&e.to_string()),
                    preview_hex(body)
                ))
            })?;
            v
        }
        _ => serde_json::from_slice(body).map_err(|e| {
            unrecognized(format!(
                "couldn't get version/kind; json parse error: {} ({})",
                go_json_error(&e),
                preview_text(body)
            ))
        })?,
    };
    if !value.is_object() {
        let what = match value {
            Value::Array(_) => "array",
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "bool",
            _ => "null",
        };
        let shown = if media == MediaType::Yaml {
            preview_hex(body)
        } else {
            preview_text(body)
        };
        return Err(unrecognized(format!(
            "couldn't get version/kind; json parse error: json: cannot unmarshal {what} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }} ({shown})"
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_quotes_the_body_like_kube() {
        let body = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x""#;
        let e = decode_object(body, MediaType::Json, "ConfigMap").unwrap_err();
        assert_eq!(
            e.message,
            "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input ({\"apiVersion\":\"v1\",\"kind\":\"Con ...)"
        );
        let e = decode_object(b"", MediaType::Json, "ConfigMap").unwrap_err();
        assert!(e
            .message
            .ends_with("unexpected end of JSON input (<empty>)"));
    }

    #[test]
    fn yaml_list_is_not_an_object() {
        let e = decode_object(b"- a\n- b\n", MediaType::Yaml, "ConfigMap").unwrap_err();
        assert!(
            e.message.contains("cannot unmarshal array"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("(2d20610a2d20620a)"), "{}", e.message);
    }

    #[test]
    fn yaml_errors_read_like_go_yaml() {
        assert_eq!(
            go_yaml_error("did not find expected ',' or ']' at line 5 column 1, while parsing a flow sequence at line 4 column 9"),
            "line 4: did not find expected ',' or ']'"
        );
        assert_eq!(
            go_yaml_error("mapping values are not allowed in this context at line 2 column 6"),
            "line 2: mapping values are not allowed in this context"
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            media_type(Some("application/json; charset=utf-8")),
            MediaType::Json
        );
        assert_eq!(
            media_type(Some("application/strategic-merge-patch+json")),
            MediaType::StrategicMergePatch
        );
        assert_eq!(media_type(Some("text/plain")), MediaType::Other);
    }
}

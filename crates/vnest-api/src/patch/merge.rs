//! JSON merge patch (RFC 7386, `application/merge-patch+json`) as kube-apiserver
//! applies it (evanphx/json-patch v4 `MergePatch`).
//!
//! Objects merge recursively and `null` deletes a member. A value that replaces a
//! non-object (or fills a missing or `null` member) is taken with the `null` members
//! of its objects removed, also inside arrays; an array or scalar that replaces an
//! object is taken as is.

use serde_json::{Map, Value};

use super::gojson::{self, json_kind};
use super::{FieldValidation, PatchError};

/// What kube-apiserver answers (400) to a merge patch that is `null` or not an object.
pub const INVALID_MERGE_PATCH: &str = "Invalid JSON Patch";

/// Decodes a merge-patch body as kube-apiserver does.
///
/// With `Warn`/`Strict` validation the body must decode into a Go map: errors are 400
/// `error decoding patch: ...` and duplicate members are reported. With `Ignore` a
/// body that is not JSON is 400 `Invalid JSON Patch`; a top-level array is accepted
/// here (kube then fails to decode the result into the object).
pub fn decode_merge_patch(
    body: &[u8],
    validation: FieldValidation,
) -> Result<(Value, Vec<String>), PatchError> {
    if validation.reports_strict_errors() {
        let parsed = gojson::parse(body)
            .map_err(|e| PatchError::BadRequest(format!("error decoding patch: {e}")))?;
        match &parsed.value {
            Value::Object(_) => Ok((parsed.value, parsed.strict_errors)),
            Value::Null => Err(PatchError::BadRequest(INVALID_MERGE_PATCH.to_string())),
            other => Err(PatchError::BadRequest(format!(
                "error decoding patch: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(other)
            ))),
        }
    } else {
        let parsed = gojson::parse(body)
            .map_err(|_| PatchError::BadRequest(INVALID_MERGE_PATCH.to_string()))?;
        match parsed.value {
            v @ (Value::Object(_) | Value::Array(_)) => Ok((v, Vec::new())),
            _ => Err(PatchError::BadRequest(INVALID_MERGE_PATCH.to_string())),
        }
    }
}

/// Applies a merge patch given as an already decoded document, with the default
/// `fieldValidation` (`Warn`) checks: it must be an object. Prefer
/// [`decode_merge_patch`] on the raw body: only it reproduces kube's messages for
/// malformed JSON and reports duplicates.
pub fn merge_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    match patch {
        Value::Object(_) => json_merge_patch(original, patch),
        Value::Null => Err(PatchError::BadRequest(INVALID_MERGE_PATCH.to_string())),
        other => Err(PatchError::BadRequest(format!(
            "error decoding patch: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(other)
        ))),
    }
}

/// Applies a JSON merge patch to `original`.
///
/// `patch` must be an object (or, as kube tolerates with `fieldValidation=Ignore`, an
/// array, which becomes the result); anything else is 400 `Invalid JSON Patch`.
pub fn json_merge_patch(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    match patch {
        Value::Object(p) => match original {
            Value::Object(doc) => {
                let mut doc = doc.clone();
                merge_docs(&mut doc, p);
                Ok(Value::Object(doc))
            }
            _ => {
                let mut v = patch.clone();
                prune_nulls(&mut v);
                Ok(v)
            }
        },
        Value::Array(_) => {
            let mut v = patch.clone();
            prune_nulls(&mut v);
            Ok(v)
        }
        _ => Err(PatchError::BadRequest(INVALID_MERGE_PATCH.to_string())),
    }
}

fn merge_docs(doc: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        if v.is_null() {
            doc.shift_remove(k);
            continue;
        }
        match doc.get_mut(k) {
            Some(Value::Object(cur)) => match v {
                Value::Object(p) => merge_docs(cur, p),
                other => {
                    doc.insert(k.clone(), other.clone());
                }
            },
            Some(slot) => {
                let mut v = v.clone();
                prune_nulls(&mut v);
                *slot = v;
            }
            None => {
                let mut v = v.clone();
                prune_nulls(&mut v);
                doc.insert(k.clone(), v);
            }
        }
    }
}

/// Removes `null` object members at every depth (array elements stay, even `null`).
fn prune_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7386_examples() {
        // The examples of RFC 7386 appendix A that apply to an object target.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (doc, patch, want) in cases {
            assert_eq!(
                json_merge_patch(&doc, &patch).expect("ok"),
                want,
                "{doc} + {patch}"
            );
        }
    }

    #[test]
    fn null_pruning_follows_the_go_library() {
        // nulls inside objects inside arrays are pruned when the value is new...
        let out =
            json_merge_patch(&json!({}), &json!({"a": [{"x": null, "y": 1}, null]})).expect("ok");
        assert_eq!(out, json!({"a": [{"y": 1}, null]}));
        // ...but an array replacing an object is taken as is
        let out =
            json_merge_patch(&json!({"a": {"k": 1}}), &json!({"a": [{"x": null}]})).expect("ok");
        assert_eq!(out, json!({"a": [{"x": null}]}));
        // a null member of the document counts as missing
        let out =
            json_merge_patch(&json!({"a": null}), &json!({"a": {"b": null, "c": 1}})).expect("ok");
        assert_eq!(out, json!({"a": {"c": 1}}));
        // key order: existing keys keep their place, new ones are appended
        let out = json_merge_patch(&json!({"b": 1, "a": 2}), &json!({"c": 3, "b": 4})).expect("ok");
        assert_eq!(
            serde_json::to_string(&out).expect("serializes"),
            r#"{"b":4,"a":2,"c":3}"#
        );
    }

    #[test]
    fn errors_json_merge_patch_malformed_json() {
        // recorded: PATCH with body `{"data":` and no fieldValidation (kube's default is Warn)
        let err = decode_merge_patch(br#"{"data":"#, FieldValidation::Warn).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "error decoding patch: unexpected end of JSON input"
        );
        assert_eq!((err.code(), err.reason()), (400, "BadRequest"));
        let err = decode_merge_patch(br#"{"data":"#, FieldValidation::Ignore).expect_err("bad");
        assert_eq!(err.to_string(), INVALID_MERGE_PATCH);
    }

    #[test]
    fn value_entry_point_checks_like_warn() {
        assert_eq!(
            merge_patch(&json!({"a": 1}), &json!({"b": 2})).expect("ok"),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(
            merge_patch(&json!({}), &json!([1])).expect_err("array").to_string(),
            "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(
            merge_patch(&json!({}), &Value::Null)
                .expect_err("null")
                .to_string(),
            INVALID_MERGE_PATCH
        );
    }

    #[test]
    fn decoding() {
        let (p, strict) = decode_merge_patch(
            br#"{"data":{"a":"1"},"data":{"b":"2"}}"#,
            FieldValidation::Warn,
        )
        .expect("ok");
        assert_eq!(p, json!({"data": {"b": "2"}}));
        assert_eq!(strict, vec!["duplicate field \"data\"".to_string()]);
        let err = decode_merge_patch(b"[1]", FieldValidation::Strict).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        let err = decode_merge_patch(b"null", FieldValidation::Warn).expect_err("bad");
        assert_eq!(err.to_string(), INVALID_MERGE_PATCH);
        let err = decode_merge_patch(b"\"x\"", FieldValidation::Ignore).expect_err("bad");
        assert_eq!(err.to_string(), INVALID_MERGE_PATCH);
        let (p, _) = decode_merge_patch(b"[{\"a\":null}]", FieldValidation::Ignore).expect("ok");
        assert_eq!(
            json_merge_patch(&json!({"x": 1}), &p).expect("ok"),
            json!([{}])
        );
        assert_eq!(
            json_merge_patch(&json!({"x": 1}), &json!(3))
                .expect_err("bad")
                .to_string(),
            INVALID_MERGE_PATCH
        );
    }
}

//! JSON patch (RFC 6902, `application/json-patch+json`) as kube-apiserver applies it
//! (evanphx/json-patch v4, which it vendors), including its deviations from the RFC:
//!
//! - a path is split at `/` and its first segment is ignored, so `data/b` means `/b`;
//! - `replace` of a missing object member adds it;
//! - negative array indices count from the end (`-1` is the last element; for `add`,
//!   `-1` appends);
//! - indices are parsed like Go's `strconv.Atoi` (`+1` and `01` are accepted);
//! - an intermediate `null` counts as missing; `test` of a missing member against
//!   `null` passes; `copy` from a missing member copies `null`;
//! - `replace` of the whole document (`""`) with a non-container value does nothing;
//! - an operation without `value` uses `null`.
//!
//! Every failure while applying is answered with the same 422 "the server rejected our
//! request due to an error in our request"; [`PatchError::detail`] keeps what failed.

use serde_json::{Map, Value};

use super::gojson::{self, json_kind};
use super::{FieldValidation, PatchError};

/// kube-apiserver refuses JSON patches with more operations than this (413).
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10000;

/// A decoded JSON patch: the operations as sent (each a JSON object; unknown members
/// are kept and ignored, like the Go library does).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonPatch {
    ops: Vec<Map<String, Value>>,
}

impl JsonPatch {
    /// Builds a patch from a JSON array of operation objects (`null` items are kept as
    /// empty operations, which fail when applied, like kube's).
    pub fn from_value(v: &Value) -> Result<JsonPatch, PatchError> {
        match v {
            Value::Null => Ok(JsonPatch::default()),
            Value::Array(items) => {
                let mut ops = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::Object(m) => ops.push(m.clone()),
                        Value::Null => ops.push(Map::new()),
                        other => {
                            return Err(PatchError::BadRequest(format!(
                            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                            json_kind(other)
                        )))
                        }
                    }
                }
                Ok(JsonPatch { ops })
            }
            other => Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                json_kind(other)
            ))),
        }
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the patch has no operation.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

const OP_FIELDS: [&str; 4] = ["op", "path", "from", "value"];

/// Decodes a JSON patch body as kube-apiserver does.
///
/// With `Warn`/`Strict` validation the body is first decoded strictly into kube's
/// operation struct: errors are 400 `error decoding patch: ...` and the returned
/// complaints read `json patch unknown field "[0].foo"` / `json patch duplicate field
/// "[0].op"`. More than [`MAX_JSON_PATCH_OPERATIONS`] operations is a 413.
pub fn decode_json_patch(
    body: &[u8],
    validation: FieldValidation,
) -> Result<(JsonPatch, Vec<String>), PatchError> {
    let parsed = match gojson::parse(body) {
        Ok(p) => p,
        Err(e) if validation.reports_strict_errors() => {
            return Err(PatchError::BadRequest(format!("error decoding patch: {e}")))
        }
        Err(e) => return Err(PatchError::BadRequest(e)),
    };
    let (patch, mut complaints) = JsonPatch::from_document(&parsed.value, validation)?;
    if validation.reports_strict_errors() {
        // duplicates come from the parser, before the unknown fields found afterwards
        let mut all: Vec<String> = parsed
            .strict_errors
            .iter()
            .map(|c| format!("json patch {c}"))
            .collect();
        for c in complaints.drain(..) {
            if !all.contains(&c) {
                all.push(c);
            }
        }
        complaints = all;
    }
    Ok((patch, complaints))
}

impl JsonPatch {
    /// Builds a patch from an already decoded body, with the checks
    /// [`decode_json_patch`] makes (strict type checks for `Warn`/`Strict`, the
    /// operation limit). Returns the unknown-field complaints.
    pub fn from_document(
        doc: &Value,
        validation: FieldValidation,
    ) -> Result<(JsonPatch, Vec<String>), PatchError> {
        let mut complaints = Vec::new();
        if validation.reports_strict_errors() {
            let type_error =
                |e: String| PatchError::BadRequest(format!("error decoding patch: {e}"));
            match doc {
                Value::Null => {}
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Value::Null => {}
                            Value::Object(m) => {
                                for (k, v) in m {
                                    if !OP_FIELDS.contains(&k.as_str()) {
                                        let c = format!(
                                            "json patch unknown field {}",
                                            gojson::go_quote(&format!("[{i}].{k}"))
                                        );
                                        if !complaints.contains(&c) {
                                            complaints.push(c);
                                        }
                                    } else if k != "value"
                                        && !matches!(v, Value::String(_) | Value::Null)
                                    {
                                        return Err(type_error(format!(
                                            "json: cannot unmarshal {} into Go struct field jsonPatchOp.{k} of type string",
                                            json_kind(v)
                                        )));
                                    }
                                }
                            }
                            other => {
                                return Err(type_error(format!(
                                "json: cannot unmarshal {} into Go value of type handlers.jsonPatchOp",
                                json_kind(other)
                            )))
                            }
                        }
                    }
                }
                other => {
                    return Err(type_error(format!(
                        "json: cannot unmarshal {} into Go value of type []handlers.jsonPatchOp",
                        json_kind(other)
                    )))
                }
            }
        }
        let patch = JsonPatch::from_value(doc)?;
        if patch.len() > MAX_JSON_PATCH_OPERATIONS {
            return Err(PatchError::TooLarge(format!(
                "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
                patch.len()
            )));
        }
        Ok((patch, complaints))
    }
}

/// Applies a JSON patch given as an already decoded document, with the default
/// `fieldValidation` (`Warn`) checks. Prefer [`decode_json_patch`] on the raw body:
/// only it reproduces kube's messages for malformed JSON and reports duplicates.
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    let (patch, _) = JsonPatch::from_document(patch, FieldValidation::Warn)?;
    apply_json_patch(doc, &patch)
}

fn rejected(detail: impl Into<String>) -> PatchError {
    PatchError::Rejected(detail.into())
}

/// Go's `strconv.Atoi` (64-bit).
fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse::<i64>().ok()
}

/// RFC 6901 unescaping (`~1` then `~0`, in one left-to-right pass).
fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.peek() {
                Some('1') => {
                    chars.next();
                    out.push('/');
                    continue;
                }
                Some('0') => {
                    chars.next();
                    out.push('~');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// An index for reading, replacing or removing: in bounds, negatives from the end.
fn existing_index(len: usize, key: &str) -> Result<usize, PatchError> {
    let idx = atoi(key).ok_or_else(|| rejected(format!("invalid array index {key:?}")))?;
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let idx = if idx < 0 { idx + len_i } else { idx };
    if idx < 0 || idx >= len_i {
        return Err(rejected(format!(
            "Unable to access invalid index: {idx}: invalid index referenced"
        )));
    }
    usize::try_from(idx).map_err(|_| rejected("invalid index referenced"))
}

/// An index for inserting: `-` appends, `len` appends, negatives count from the end of
/// the grown list.
fn insert_index(len: usize, key: &str) -> Result<usize, PatchError> {
    if key == "-" {
        return Ok(len);
    }
    let idx = atoi(key)
        .ok_or_else(|| rejected(format!("value was not a proper array index: '{key}'")))?;
    let size = i64::try_from(len).unwrap_or(i64::MAX).saturating_add(1);
    if idx >= size {
        return Err(rejected(format!(
            "Unable to access invalid index: {idx}: invalid index referenced"
        )));
    }
    let idx = if idx < 0 { idx + size } else { idx };
    if idx < 0 {
        return Err(rejected(format!(
            "Unable to access invalid index: {idx}: invalid index referenced"
        )));
    }
    usize::try_from(idx).map_err(|_| rejected("invalid index referenced"))
}

/// The container holding the last segment of `path`, and that (unescaped) segment.
/// The first segment of the path is skipped, whatever it is.
fn find_parent<'a>(root: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() < 2 {
        return None;
    }
    let last = segments.len() - 1;
    let mut cur = root;
    for part in &segments[1..last] {
        let part = unescape(part);
        let next = match cur {
            Value::Object(m) => m.get_mut(&part),
            Value::Array(items) => {
                let i = existing_index(items.len(), &part).ok()?;
                items.get_mut(i)
            }
            _ => None,
        }?;
        if !(next.is_object() || next.is_array()) {
            return None;
        }
        cur = next;
    }
    Some((cur, unescape(segments[last])))
}

/// Reads a member (`None` for missing or `null`, as the Go library sees it).
fn get(container: &Value, key: &str) -> Result<Option<Value>, PatchError> {
    match container {
        Value::Object(m) => Ok(m.get(key).filter(|v| !v.is_null()).cloned()),
        Value::Array(items) => {
            let i = existing_index(items.len(), key)?;
            Ok(items.get(i).filter(|v| !v.is_null()).cloned())
        }
        _ => Err(rejected("not a container")),
    }
}

fn add(container: &mut Value, key: &str, value: Value) -> Result<(), PatchError> {
    match container {
        Value::Object(m) => {
            m.insert(key.to_string(), value);
            Ok(())
        }
        Value::Array(items) => {
            let i = insert_index(items.len(), key)?;
            items.insert(i, value);
            Ok(())
        }
        _ => Err(rejected("not a container")),
    }
}

fn remove(container: &mut Value, key: &str) -> Result<Value, PatchError> {
    match container {
        Value::Object(m) => m.shift_remove(key).ok_or_else(|| {
            rejected(format!(
                "Unable to remove nonexistent key: {key}: missing value"
            ))
        }),
        Value::Array(items) => {
            let i = existing_index(items.len(), key)?;
            Ok(items.remove(i))
        }
        _ => Err(rejected("not a container")),
    }
}

fn string_field(op: &Map<String, Value>, name: &str, what: &str) -> Result<String, PatchError> {
    match op.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) | None => {
            Err(rejected(format!("{what} operation, missing {name} field")))
        }
        Some(other) => Err(rejected(format!(
            "{what} operation: json: cannot unmarshal {} into Go value of type string",
            json_kind(other)
        ))),
    }
}

fn missing_path(what: &str, path: &str) -> PatchError {
    rejected(format!(
        "{what} operation does not apply: doc is missing path: \"{path}\": missing value"
    ))
}

/// Applies a JSON patch to a document (normally the stored object).
pub fn apply_json_patch(doc: &Value, patch: &JsonPatch) -> Result<Value, PatchError> {
    let mut root = doc.clone();
    for op in &patch.ops {
        let kind = match op.get("op") {
            Some(Value::String(s)) => s.as_str(),
            _ => "unknown",
        };
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        match kind {
            "add" => {
                let path = string_field(op, "path", "add")?;
                let (parent, key) =
                    find_parent(&mut root, &path).ok_or_else(|| missing_path("add", &path))?;
                add(parent, &key, value)?;
            }
            "remove" => {
                let path = string_field(op, "path", "remove")?;
                let (parent, key) =
                    find_parent(&mut root, &path).ok_or_else(|| missing_path("remove", &path))?;
                remove(parent, &key)?;
            }
            "replace" => {
                let path = string_field(op, "path", "replace")?;
                if path.is_empty() {
                    if value.is_object() || value.is_array() {
                        root = value;
                    }
                    continue;
                }
                let (parent, key) =
                    find_parent(&mut root, &path).ok_or_else(|| missing_path("replace", &path))?;
                get(parent, &key)?;
                match parent {
                    Value::Object(m) => {
                        m.insert(key, value);
                    }
                    Value::Array(items) => {
                        let i = existing_index(items.len(), &key)?;
                        items[i] = value;
                    }
                    _ => return Err(rejected("not a container")),
                }
            }
            "move" => {
                let from = string_field(op, "from", "move")?;
                let (parent, key) = find_parent(&mut root, &from).ok_or_else(|| {
                    rejected(format!(
                        "move operation does not apply: doc is missing from path: {from}"
                    ))
                })?;
                get(parent, &key)?;
                let moved = remove(parent, &key)?;
                let path = string_field(op, "path", "move")?;
                let (parent, key) = find_parent(&mut root, &path).ok_or_else(|| {
                    rejected(format!(
                        "move operation does not apply: doc is missing destination path: {path}"
                    ))
                })?;
                add(parent, &key, moved)?;
            }
            "copy" => {
                let from = string_field(op, "from", "copy")?;
                let (parent, key) = find_parent(&mut root, &from).ok_or_else(|| {
                    rejected(format!(
                        "copy operation does not apply: doc is missing from path: {from}"
                    ))
                })?;
                let copied = get(parent, &key)?.unwrap_or(Value::Null);
                let path = string_field(op, "path", "copy")?;
                let (parent, key) = find_parent(&mut root, &path).ok_or_else(|| {
                    rejected(format!(
                        "copy operation does not apply: doc is missing destination path: {path}"
                    ))
                })?;
                add(parent, &key, copied)?;
            }
            "test" => {
                let path = string_field(op, "path", "test")?;
                let failed = || rejected(format!("testing value {path} failed: test failed"));
                let has_value = op.contains_key("value");
                if path.is_empty() {
                    if !has_value || root != value {
                        return Err(failed());
                    }
                    continue;
                }
                let (parent, key) = find_parent(&mut root, &path).ok_or_else(|| {
                    rejected(format!(
                        "test operation does not apply: is missing path: {path}"
                    ))
                })?;
                match get(parent, &key)? {
                    None if value.is_null() && has_value => {}
                    Some(current) if has_value && current == value => {}
                    _ => return Err(failed()),
                }
            }
            other => return Err(rejected(format!("Unexpected kind: {other}"))),
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm() -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "existing"}, "data": {"a": "1"}})
    }

    fn apply(doc: Value, ops: Value) -> Result<Value, PatchError> {
        let patch = JsonPatch::from_value(&ops)?;
        apply_json_patch(&doc, &patch)
    }

    fn rejected_generic(r: Result<Value, PatchError>) {
        match r {
            Ok(v) => panic!("expected a 422, got {v}"),
            Err(e) => {
                assert_eq!((e.code(), e.reason()), (422, "Invalid"), "{e:?}");
                assert_eq!(
                    e.to_string(),
                    "the server rejected our request due to an error in our request"
                );
            }
        }
    }

    #[test]
    fn errors_json_cases() {
        // json-patch-bad-op
        rejected_generic(apply(
            cm(),
            json!([{"op": "frobnicate", "path": "/data/a", "value": "2"}]),
        ));
        // json-patch-replace-missing-key: accepted, the key is added
        let out = apply(
            cm(),
            json!([{"op": "replace", "path": "/data/missing", "value": "2"}]),
        )
        .expect("accepted");
        assert_eq!(out["data"], json!({"a": "1", "missing": "2"}));
        // json-patch-bad-path-missing-parent
        rejected_generic(apply(
            cm(),
            json!([{"op": "add", "path": "/spec/nothing/deeper", "value": "2"}]),
        ));
        // json-patch-path-without-leading-slash: `data/b` adds `b` at the top level
        let out = apply(cm(), json!([{"op": "add", "path": "data/b", "value": "2"}])).expect("ok");
        assert_eq!(out["b"], json!("2"));
        assert_eq!(out["data"], json!({"a": "1"}));
        // json-patch-remove-missing
        rejected_generic(apply(
            cm(),
            json!([{"op": "remove", "path": "/spec/nothing"}]),
        ));
        // json-patch-test-failed
        rejected_generic(apply(
            cm(),
            json!([{"op": "test", "path": "/data/a", "value": "nope"}]),
        ));
        // json-patch-not-an-array
        let err = decode_json_patch(
            br#"{"op":"replace","path":"/data/a","value":"2"}"#,
            FieldValidation::Warn,
        )
        .expect_err("not an array");
        assert_eq!(
            err.to_string(),
            "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
        );
        assert_eq!((err.code(), err.reason()), (400, "BadRequest"));
        // the same through the value entry point
        let err = json_patch(
            &cm(),
            &json!({"op": "replace", "path": "/data/a", "value": "2"}),
        )
        .expect_err("not an array");
        assert_eq!(
            err.to_string(),
            "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
        );
        let out = json_patch(
            &cm(),
            &json!([{"op": "replace", "path": "/data/a", "value": "2"}]),
        )
        .expect("ok");
        assert_eq!(out["data"], json!({"a": "2"}));
    }

    #[test]
    fn rfc6902_operations() {
        let doc = json!({"a": {"b": [1, 2, 3]}, "x": "y"});
        let out = apply(
            doc.clone(),
            json!([
                {"op": "add", "path": "/a/b/1", "value": 9},
                {"op": "add", "path": "/a/b/-", "value": 10},
                {"op": "remove", "path": "/a/b/0"},
                {"op": "replace", "path": "/x", "value": {"z": true}},
                {"op": "copy", "from": "/x", "path": "/a/c"},
                {"op": "move", "from": "/a/b", "path": "/list"},
                {"op": "test", "path": "/list", "value": [9, 2, 3, 10]},
                {"op": "test", "path": "/a/c/z", "value": true}
            ]),
        )
        .expect("ok");
        assert_eq!(
            out,
            json!({"a": {"c": {"z": true}}, "x": {"z": true}, "list": [9, 2, 3, 10]})
        );
        // append at len, error past it
        assert_eq!(
            apply(
                json!({"l": [1]}),
                json!([{"op": "add", "path": "/l/1", "value": 2}])
            )
            .expect("ok"),
            json!({"l": [1, 2]})
        );
        rejected_generic(apply(
            json!({"l": [1]}),
            json!([{"op": "add", "path": "/l/3", "value": 2}]),
        ));
        rejected_generic(apply(
            json!({"l": [1]}),
            json!([{"op": "replace", "path": "/l/1", "value": 2}]),
        ));
        rejected_generic(apply(
            json!({"l": [1]}),
            json!([{"op": "remove", "path": "/l/1"}]),
        ));
        rejected_generic(apply(
            json!({"l": [1]}),
            json!([{"op": "replace", "path": "/l/-", "value": 2}]),
        ));
        // a failing operation leaves nothing applied
        rejected_generic(apply(
            json!({"a": 1}),
            json!([{"op": "add", "path": "/b", "value": 2}, {"op": "test", "path": "/a", "value": 2}]),
        ));
    }

    #[test]
    fn pointer_escaping() {
        let doc = json!({"metadata": {"annotations": {"a/b": "1", "c~d": "2"}}});
        let out = apply(
            doc,
            json!([
                {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "x"},
                {"op": "remove", "path": "/metadata/annotations/c~0d"},
                {"op": "add", "path": "/metadata/annotations/~01", "value": "y"}
            ]),
        )
        .expect("ok");
        assert_eq!(
            out,
            json!({"metadata": {"annotations": {"a/b": "x", "~1": "y"}}})
        );
    }

    #[test]
    fn go_library_quirks() {
        // negative indices
        let out = apply(
            json!({"l": [1, 2, 3]}),
            json!([{"op": "remove", "path": "/l/-1"}, {"op": "add", "path": "/l/-1", "value": 9}]),
        )
        .expect("ok");
        assert_eq!(out, json!({"l": [1, 2, 9]}));
        // Atoi accepts a sign and leading zeros
        let out = apply(
            json!({"l": [1, 2]}),
            json!([{"op": "replace", "path": "/l/+01", "value": 5}]),
        )
        .expect("ok");
        assert_eq!(out, json!({"l": [1, 5]}));
        // missing value means null
        let out = apply(json!({}), json!([{"op": "add", "path": "/a"}])).expect("ok");
        assert_eq!(out, json!({"a": null}));
        // test of a missing member against null passes
        apply(
            json!({}),
            json!([{"op": "test", "path": "/nope", "value": null}]),
        )
        .expect("ok");
        // copy from a missing member copies null
        let out = apply(
            json!({}),
            json!([{"op": "copy", "from": "/nope", "path": "/a"}]),
        )
        .expect("ok");
        assert_eq!(out, json!({"a": null}));
        // null in the middle of a path is missing
        rejected_generic(apply(
            json!({"a": null}),
            json!([{"op": "add", "path": "/a/b", "value": 1}]),
        ));
        // scalars in the middle of a path are missing
        rejected_generic(apply(
            json!({"a": "s"}),
            json!([{"op": "add", "path": "/a/b", "value": 1}]),
        ));
        // whole-document replace with a scalar is ignored, with an object replaces
        assert_eq!(
            apply(
                json!({"a": 1}),
                json!([{"op": "replace", "path": "", "value": 3}])
            )
            .expect("ok"),
            json!({"a": 1})
        );
        assert_eq!(
            apply(
                json!({"a": 1}),
                json!([{"op": "replace", "path": "", "value": {"b": 2}}])
            )
            .expect("ok"),
            json!({"b": 2})
        );
        // a path without any slash is missing
        rejected_generic(apply(
            json!({"a": 1}),
            json!([{"op": "add", "path": "a", "value": 1}]),
        ));
        // the whole document can be tested
        apply(
            json!({"a": 1}),
            json!([{"op": "test", "path": "", "value": {"a": 1}}]),
        )
        .expect("ok");
        // numbers compare by representation, as raw JSON bytes do in Go
        rejected_generic(apply(
            json!({"a": 1}),
            json!([{"op": "test", "path": "/a", "value": 1.0}]),
        ));
        // missing op / path
        rejected_generic(apply(json!({}), json!([{"path": "/a", "value": 1}])));
        rejected_generic(apply(json!({}), json!([{"op": "add", "value": 1}])));
        rejected_generic(apply(json!({}), json!([null])));
        // move from a missing member fails
        rejected_generic(apply(
            json!({}),
            json!([{"op": "move", "from": "/x", "path": "/y"}]),
        ));
    }

    #[test]
    fn decoding() {
        let (p, c) = decode_json_patch(b"null", FieldValidation::Strict).expect("ok");
        assert!(p.is_empty() && c.is_empty());
        let (p, c) = decode_json_patch(
            br#"[{"op":"add","path":"/a","value":1,"Op":"x","op":"add"}]"#,
            FieldValidation::Warn,
        )
        .expect("ok");
        assert_eq!(p.len(), 1);
        assert_eq!(
            c,
            vec![
                "json patch duplicate field \"[0].op\"".to_string(),
                "json patch unknown field \"[0].Op\"".to_string()
            ]
        );
        let (_, c) = decode_json_patch(
            br#"[{"op":"add","path":"/a","x":1}]"#,
            FieldValidation::Ignore,
        )
        .expect("ok");
        assert!(c.is_empty());
        let err = decode_json_patch(br#"[{"op":1}]"#, FieldValidation::Warn).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"
        );
        let err = decode_json_patch(b"[1]", FieldValidation::Strict).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"
        );
        let err = decode_json_patch(b"[1]", FieldValidation::Ignore).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal number into Go value of type jsonpatch.Operation"
        );
        let err = decode_json_patch(b"{}", FieldValidation::Ignore).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
        let err = decode_json_patch(b"[", FieldValidation::Warn).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "error decoding patch: unexpected end of JSON input"
        );
        let err = decode_json_patch(b"[", FieldValidation::Ignore).expect_err("bad");
        assert_eq!(err.to_string(), "unexpected end of JSON input");
        let many = format!("[{}]", vec!["{}"; MAX_JSON_PATCH_OPERATIONS + 1].join(","));
        let err = decode_json_patch(many.as_bytes(), FieldValidation::Warn).expect_err("too many");
        assert_eq!((err.code(), err.reason()), (413, "RequestEntityTooLarge"));
        assert_eq!(
            err.to_string(),
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
        let exactly = format!("[{}]", vec!["{}"; MAX_JSON_PATCH_OPERATIONS].join(","));
        assert!(decode_json_patch(exactly.as_bytes(), FieldValidation::Warn).is_ok());
    }

    #[test]
    fn atoi_like_go() {
        assert_eq!(atoi("0"), Some(0));
        assert_eq!(atoi("-3"), Some(-3));
        assert_eq!(atoi("+7"), Some(7));
        assert_eq!(atoi("007"), Some(7));
        assert_eq!(atoi(""), None);
        assert_eq!(atoi("-"), None);
        assert_eq!(atoi("1a"), None);
        assert_eq!(atoi(" 1"), None);
        assert_eq!(atoi("99999999999999999999"), None);
    }
}

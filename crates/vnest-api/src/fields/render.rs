//! The text of a patched object as kube-apiserver shows it in the 422 it answers when
//! strict decoding of a patch result fails (`patch: Invalid value: "<text>": ...`).
//!
//! For JSON and merge patches the text is what `evanphx/json-patch` (v4) marshalled:
//! it keeps each JSON object it did not need to look into as the raw bytes it was given
//! (the stored object's own key order), and re-marshals the ones it parsed as Go maps,
//! with sorted keys: the top level always, the objects a merge patch merged into, and
//! the values a merge patch inserted (after removing their `null` members).

use serde_json::{Map, Value};

use crate::patch::gojson;

/// A node of the merge result: raw (written in its own order) or parsed (sorted).
enum Lazy<'a> {
    Raw(&'a Value),
    Doc(Vec<(&'a str, Lazy<'a>)>),
    Ary(Vec<Lazy<'a>>),
}

impl<'a> Lazy<'a> {
    /// `intoDoc`: the members of an object node, parsing a raw one.
    fn into_doc(self) -> Result<Vec<(&'a str, Lazy<'a>)>, Lazy<'a>> {
        match self {
            Lazy::Raw(Value::Object(m)) => Ok(raw_members(m)),
            Lazy::Doc(members) => Ok(members),
            other => Err(other),
        }
    }

    fn is_object(&self) -> bool {
        matches!(self, Lazy::Raw(Value::Object(_)) | Lazy::Doc(_))
    }

    fn is_null(&self) -> bool {
        matches!(self, Lazy::Raw(Value::Null))
    }
}

fn raw_members(m: &Map<String, Value>) -> Vec<(&str, Lazy<'_>)> {
    m.iter().map(|(k, v)| (k.as_str(), Lazy::Raw(v))).collect()
}

/// `pruneNulls`: parses objects and arrays all the way down, dropping `null` members.
fn prune_nulls(node: Lazy<'_>) -> Lazy<'_> {
    match node {
        Lazy::Raw(Value::Object(m)) => prune_doc(raw_members(m)),
        Lazy::Doc(members) => prune_doc(members),
        Lazy::Raw(Value::Array(items)) => Lazy::Ary(
            items
                .iter()
                .map(|v| {
                    if v.is_null() {
                        Lazy::Raw(v)
                    } else {
                        prune_nulls(Lazy::Raw(v))
                    }
                })
                .collect(),
        ),
        Lazy::Ary(items) => Lazy::Ary(items.into_iter().map(prune_nulls).collect()),
        scalar => scalar,
    }
}

fn prune_doc<'a>(members: Vec<(&'a str, Lazy<'a>)>) -> Lazy<'a> {
    Lazy::Doc(
        members
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, prune_nulls(v)))
            .collect(),
    )
}

/// `mergeDocs` with `mergeMerge == false`.
fn merge_docs<'a>(doc: &mut Vec<(&'a str, Lazy<'a>)>, patch: &'a Map<String, Value>) {
    for (k, v) in patch {
        let pos = doc.iter().position(|(name, _)| *name == k.as_str());
        if v.is_null() {
            if let Some(i) = pos {
                doc.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) if !doc[i].1.is_null() => {
                let cur = std::mem::replace(&mut doc[i].1, Lazy::Raw(&Value::Null));
                doc[i].1 = merge(cur, v);
            }
            Some(i) => doc[i].1 = prune_nulls(Lazy::Raw(v)),
            None => doc.push((k.as_str(), prune_nulls(Lazy::Raw(v)))),
        }
    }
}

/// `merge`: objects merge, anything else is replaced by the patch value.
fn merge<'a>(cur: Lazy<'a>, patch: &'a Value) -> Lazy<'a> {
    if !cur.is_object() {
        return prune_nulls(Lazy::Raw(patch));
    }
    let Value::Object(p) = patch else {
        return Lazy::Raw(patch);
    };
    match cur.into_doc() {
        Ok(mut members) => {
            merge_docs(&mut members, p);
            Lazy::Doc(members)
        }
        Err(other) => other,
    }
}

/// The text `jsonpatch.MergePatch(original, patch)` produces, which kube-apiserver
/// quotes in the 422 for a merge patch whose result has unknown fields.
pub(crate) fn merge_patch_text(original: &Value, patch: &Value) -> String {
    let result = match (original, patch) {
        (Value::Object(doc), Value::Object(p)) => {
            let mut members = raw_members(doc);
            merge_docs(&mut members, p);
            Lazy::Doc(members)
        }
        // not a document: the result is the patch, pruned
        _ => prune_nulls(Lazy::Raw(patch)),
    };
    let mut out = String::new();
    write_lazy(&result, &mut out);
    out
}

/// The object as a Go map marshals: top-level keys sorted, the rest in their order.
pub(crate) fn sorted_top_level_text(v: &Value) -> String {
    let node = match v {
        Value::Object(m) => Lazy::Doc(raw_members(m)),
        other => Lazy::Raw(other),
    };
    let mut out = String::new();
    write_lazy(&node, &mut out);
    out
}

/// Go's `%+v` of the decoded patch map (what a strategic merge patch 422 shows).
pub(crate) fn go_map_text(patch: &Value) -> String {
    gojson::go_v(patch)
}

fn write_lazy(node: &Lazy<'_>, out: &mut String) {
    match node {
        Lazy::Raw(v) => write_value(v, out),
        Lazy::Ary(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_lazy(item, out);
            }
            out.push(']');
        }
        Lazy::Doc(members) => {
            let mut sorted: Vec<&(&str, Lazy<'_>)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_lazy(v, out);
            }
            out.push('}');
        }
    }
}

/// Compact JSON as Go's `encoding/json` writes it, object members in the given order.
pub(crate) fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (None, Some(u), _) => out.push_str(&u.to_string()),
            (None, None, Some(f)) => out.push_str(&go_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// A float64 as `encoding/json` writes it: shortest digits, exponent only below 1e-6
/// or from 1e21 on (`1e-7`, `1e+21`), and no `.0` on whole numbers.
pub(crate) fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

/// A JSON string as Go writes it, with its HTML escaping.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value) -> String {
        let mut out = String::new();
        write_value(v, &mut out);
        out
    }

    #[test]
    fn go_encoding() {
        assert_eq!(
            text(&json!({"b": "<a&b>", "a": [1, -2, 1.5, 2.0, 1e21, 1e-7, 0.000001, null, true]})),
            r#"{"b":"\u003ca\u0026b\u003e","a":[1,-2,1.5,2,1e+21,1e-7,0.000001,null,true]}"#
        );
        assert_eq!(
            text(&json!("\u{8}\u{c}\u{1}\u{2028}")),
            r#""\b\f\u0001\u2028""#
        );
        assert_eq!(text(&json!(u64::MAX)), "18446744073709551615");
    }

    #[test]
    fn merge_patch_sorts_only_what_it_parsed() {
        let original = json!({
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "x", "namespace": "ns", "labels": {"z": "1", "a": "2"}},
            "data": {"b": "1", "a": "2"},
            "binaryData": {"z": "AA==", "y": "AA=="}
        });
        let patch = json!({"data": {"c": "3", "a": null}, "metadata": {"labels": {"m": "0"}},
                           "new": {"z": 1, "a": {"q": null, "p": 2}}, "bogus": [ {"y": 1, "x": null} ]});
        assert_eq!(
            merge_patch_text(&original, &patch),
            concat!(
                r#"{"apiVersion":"v1","binaryData":{"z":"AA==","y":"AA=="},"bogus":[{"y":1}],"#,
                r#""data":{"b":"1","c":"3"},"kind":"ConfigMap","#,
                r#""metadata":{"labels":{"a":"2","m":"0","z":"1"},"name":"x","namespace":"ns"},"#,
                r#""new":{"a":{"p":2},"z":1}}"#
            )
        );
        // a non-object patch value replaces an object as is
        assert_eq!(
            merge_patch_text(
                &json!({"a": {"y": 1}}),
                &json!({"a": [{"z": null, "b": 1}]})
            ),
            r#"{"a":[{"z":null,"b":1}]}"#
        );
        // a document that is not an object becomes the pruned patch
        assert_eq!(
            merge_patch_text(&json!([1]), &json!({"b": 1, "a": null})),
            r#"{"b":1}"#
        );
    }

    #[test]
    fn other_texts() {
        assert_eq!(
            sorted_top_level_text(
                &json!({"kind": "X", "apiVersion": "v1", "metadata": {"name": "n", "b": 1}})
            ),
            r#"{"apiVersion":"v1","kind":"X","metadata":{"name":"n","b":1}}"#
        );
        assert_eq!(
            go_map_text(&json!({"data": {"a": "9"}, "bogus": 1})),
            "map[bogus:1 data:map[a:9]]"
        );
    }
}

//! Sets of field paths and their `FieldsV1` JSON form.
//!
//! A path is a list of path elements: `f:<name>` (a struct field or map key),
//! `k:{"name":"web"}` (the item of a keyed list, by its key fields sorted by name),
//! `v:<json>` (the item of a set, by value) and `i:<n>` (a list index). In the JSON
//! form each element is an object key; a path that is itself in the set and also
//! has longer paths below it carries `".": {}`; a path with nothing below it is `{}`.
//! Siblings are written in structured-merge-diff's order: fields by name, then keys,
//! values and indexes, each by value.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::ManagedFieldsError;

/// One step of a field path.
#[derive(Debug, Clone)]
pub(crate) enum PathElement {
    Field(String),
    /// Key fields of a list item, sorted by name.
    Key(Vec<(String, Value)>),
    Value(Value),
    Index(i64),
}

impl PathElement {
    /// Parses an element from its `FieldsV1` key (`f:name`, `k:{...}`, `v:...`, `i:0`).
    pub(crate) fn parse(s: &str) -> Result<PathElement, ManagedFieldsError> {
        let bad = || ManagedFieldsError::PathElement(s.to_string());
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "f" => Ok(PathElement::Field(rest.to_string())),
            "v" => serde_json::from_str(rest)
                .map(PathElement::Value)
                .map_err(|_| bad()),
            "k" => match serde_json::from_str::<Value>(rest) {
                Ok(Value::Object(m)) => {
                    let mut fields: Vec<(String, Value)> = m.into_iter().collect();
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                    Ok(PathElement::Key(fields))
                }
                _ => Err(bad()),
            },
            "i" => rest.parse().map(PathElement::Index).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// The element's `FieldsV1` key.
    pub(crate) fn key_string(&self) -> String {
        let mut out = String::new();
        match self {
            PathElement::Field(name) => {
                out.push_str("f:");
                out.push_str(name);
            }
            PathElement::Key(fields) => {
                out.push_str("k:{");
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go_string(name, &mut out);
                    out.push(':');
                    go_json(value, &mut out);
                }
                out.push('}');
            }
            PathElement::Value(v) => {
                out.push_str("v:");
                go_json(v, &mut out);
            }
            PathElement::Index(i) => {
                out.push_str("i:");
                out.push_str(&i.to_string());
            }
        }
        out
    }

    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.as_bytes().cmp(b.as_bytes()),
            (PathElement::Key(a), PathElement::Key(b)) => compare_fields(a, b),
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

fn compare_fields(a: &[(String, Value)], b: &[(String, Value)]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let c = x.0.as_bytes().cmp(y.0.as_bytes());
        if c != Ordering::Equal {
            return c;
        }
        let c = compare_values(&x.1, &y.1);
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

/// A JSON number as Go decodes it into `interface{}` for structured-merge-diff:
/// an int64 when it is an integer that fits, a float64 otherwise.
enum Num {
    Int(i64),
    Float(f64),
}

fn num(n: &Number) -> Num {
    match n.as_i64() {
        Some(i) => Num::Int(i),
        None => Num::Float(n.as_f64().unwrap_or(0.0)),
    }
}

fn rank(v: &Value) -> u8 {
    match v {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// structured-merge-diff's total order of values: numbers (ints and floats compared
/// numerically), strings, booleans, lists, maps, null.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (num(x), num(y)) {
            (Num::Int(x), Num::Int(y)) => x.cmp(&y),
            (Num::Int(x), Num::Float(y)) => (x as f64).total_cmp(&y),
            (Num::Float(x), Num::Int(y)) => x.total_cmp(&(y as f64)),
            (Num::Float(x), Num::Float(y)) => x.total_cmp(&y),
        },
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let c = compare_values(p, q);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => compare_maps(x, y),
        (Value::Null, Value::Null) => Ordering::Equal,
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Maps compare key by key in sorted key order; a key missing on one side makes
/// that side greater, running out of keys makes it smaller.
fn compare_maps(x: &Map<String, Value>, y: &Map<String, Value>) -> Ordering {
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    keys.dedup();
    for (i, k) in keys.iter().enumerate() {
        if i == x.len() && i == y.len() {
            break;
        }
        if i == x.len() {
            return Ordering::Less;
        }
        if i == y.len() {
            return Ordering::Greater;
        }
        let c = match (x.get(*k), y.get(*k)) {
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
            (Some(p), Some(q)) => compare_values(p, q),
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    x.len().cmp(&y.len())
}

/// Whether two values are equal as structured-merge-diff sees them.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    compare_values(a, b) == Ordering::Equal
}

/// A string as Go's `encoding/json` writes it (shared with the fields module).
fn go_string(s: &str, out: &mut String) {
    crate::fields::render::write_string(s, out);
}

/// A float64 as Go's `encoding/json` writes it.
fn go_float(f: f64, out: &mut String) {
    out.push_str(&crate::fields::render::go_float(f));
}

/// A value as Go's `encoding/json` writes it (compact, map keys sorted).
pub(crate) fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match num(n) {
            Num::Int(i) => out.push_str(&i.to_string()),
            Num::Float(f) => go_float(f, out),
        },
        Value::String(s) => go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                if let Some(v) = m.get(k) {
                    go_json(v, out);
                }
            }
            out.push('}');
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Node {
    /// Whether the path ending here is in the set.
    member: bool,
    children: Set,
}

impl Node {
    fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }
}

/// A set of field paths.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Set {
    nodes: BTreeMap<PathElement, Node>,
}

impl Set {
    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Adds a path (the empty path, the object itself, is never recorded).
    pub(crate) fn insert(&mut self, path: &[PathElement]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let node = self.nodes.entry(first.clone()).or_default();
        if rest.is_empty() {
            node.member = true;
        } else {
            node.children.insert(rest);
        }
    }

    /// Every path in the set, parents before children.
    pub(crate) fn members(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        self.collect_members(&mut Vec::new(), &mut out);
        out
    }

    fn collect_members(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        for (pe, node) in &self.nodes {
            prefix.push(pe.clone());
            if node.member {
                out.push(prefix.clone());
            }
            node.children.collect_members(prefix, out);
            prefix.pop();
        }
    }

    /// Whether the path is in the set.
    pub(crate) fn contains(&self, path: &[PathElement]) -> bool {
        let Some((first, rest)) = path.split_first() else {
            return false;
        };
        match self.nodes.get(first) {
            Some(node) if rest.is_empty() => node.member,
            Some(node) => node.children.contains(rest),
            None => false,
        }
    }

    /// Adds every path of `other`.
    pub(crate) fn union_with(&mut self, other: &Set) {
        for (pe, onode) in &other.nodes {
            let node = self.nodes.entry(pe.clone()).or_default();
            node.member |= onode.member;
            node.children.union_with(&onode.children);
        }
    }

    /// Removes the paths of `other` (exactly those, not what is below them).
    pub(crate) fn difference(&mut self, other: &Set) {
        for (pe, onode) in &other.nodes {
            let Some(node) = self.nodes.get_mut(pe) else {
                continue;
            };
            if onode.member {
                node.member = false;
            }
            node.children.difference(&onode.children);
            if node.is_empty() {
                self.nodes.remove(pe);
            }
        }
    }

    /// Removes the paths of `other` and everything below them.
    pub(crate) fn recursive_difference(&mut self, other: &Set) {
        for (pe, onode) in &other.nodes {
            if onode.member {
                self.nodes.remove(pe);
                continue;
            }
            let Some(node) = self.nodes.get_mut(pe) else {
                continue;
            };
            node.children.recursive_difference(&onode.children);
            if node.is_empty() {
                self.nodes.remove(pe);
            }
        }
    }

    /// The `FieldsV1` JSON form.
    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.emit())
    }

    fn emit(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (pe, node) in &self.nodes {
            let mut inner = Map::new();
            if !node.children.is_empty() {
                if node.member {
                    inner.insert(".".to_string(), Value::Object(Map::new()));
                }
                inner.extend(node.children.emit());
            }
            out.insert(pe.key_string(), Value::Object(inner));
        }
        out
    }

    /// Parses the `FieldsV1` JSON form.
    pub(crate) fn from_json(v: &Value) -> Result<Set, ManagedFieldsError> {
        Set::parse(v, 0).map(|(set, _)| set)
    }

    /// The set below a node and whether the node itself is a member (`"."`).
    fn parse(v: &Value, depth: usize) -> Result<(Set, bool), ManagedFieldsError> {
        const MAX_DEPTH: usize = 512;
        if depth > MAX_DEPTH {
            return Err(ManagedFieldsError::TooDeep);
        }
        let Value::Object(m) = v else {
            return Err(ManagedFieldsError::NotAnObject);
        };
        let mut set = Set::default();
        let mut member = false;
        for (k, child) in m {
            if k == "." {
                member = true;
                continue;
            }
            let pe = PathElement::parse(k)?;
            let node = match child {
                Value::Object(c) if c.is_empty() => Node {
                    member: true,
                    children: Set::default(),
                },
                _ => {
                    let (children, member) = Set::parse(child, depth + 1)?;
                    Node { member, children }
                }
            };
            if !node.is_empty() {
                set.nodes.entry(pe).or_default().merge(node);
            }
        }
        Ok((set, member))
    }
}

impl Node {
    fn merge(&mut self, other: Node) {
        self.member |= other.member;
        self.children.union_with(&other.children);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(name: &str) -> PathElement {
        PathElement::Field(name.to_string())
    }

    #[test]
    fn path_element_strings() {
        let k = PathElement::Key(vec![
            ("containerPort".into(), json!(80)),
            ("protocol".into(), json!("TCP")),
        ]);
        assert_eq!(k.key_string(), r#"k:{"containerPort":80,"protocol":"TCP"}"#);
        assert_eq!(
            PathElement::Value(json!("a<b")).key_string(),
            r#"v:"a\u003cb""#
        );
        assert_eq!(PathElement::Index(3).key_string(), "i:3");
        assert_eq!(f("x").key_string(), "f:x");
        for s in [
            r#"k:{"containerPort":80,"protocol":"TCP"}"#,
            r#"v:"foo""#,
            "v:1.5",
            "i:0",
            "f:a:b",
        ] {
            assert_eq!(
                PathElement::parse(s)
                    .map(|p| p.key_string())
                    .ok()
                    .as_deref(),
                Some(s)
            );
        }
        // keys are put in kube's order
        assert_eq!(
            PathElement::parse(r#"k:{"protocol":"TCP","containerPort":80}"#)
                .map(|p| p.key_string())
                .ok()
                .as_deref(),
            Some(r#"k:{"containerPort":80,"protocol":"TCP"}"#)
        );
        for bad in ["x", "q:1", "k:[1]", "v:{", "i:x"] {
            assert!(PathElement::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn floats_like_go() {
        let s = |f: f64| {
            let mut out = String::new();
            go_float(f, &mut out);
            out
        };
        assert_eq!(s(1.5), "1.5");
        assert_eq!(s(3.0), "3");
        assert_eq!(s(1e21), "1e+21");
        assert_eq!(s(1e-7), "1e-7");
        assert_eq!(s(0.000001), "0.000001");
    }

    #[test]
    fn ordering_of_siblings() {
        let mut set = Set::default();
        set.insert(&[PathElement::Index(0)]);
        set.insert(&[PathElement::Value(json!("b"))]);
        set.insert(&[PathElement::Value(json!(10))]);
        set.insert(&[PathElement::Key(vec![("port".into(), json!(443))])]);
        set.insert(&[PathElement::Key(vec![("port".into(), json!(80))])]);
        set.insert(&[f("z")]);
        set.insert(&[f("a")]);
        let keys: Vec<String> = match set.to_json() {
            Value::Object(m) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        assert_eq!(
            keys,
            [
                "f:a",
                "f:z",
                r#"k:{"port":80}"#,
                r#"k:{"port":443}"#,
                "v:10",
                r#"v:"b""#,
                "i:0"
            ]
        );
    }

    #[test]
    fn dot_and_roundtrip() {
        let mut set = Set::default();
        set.insert(&[f("metadata"), f("labels")]);
        set.insert(&[f("metadata"), f("labels"), f("app")]);
        set.insert(&[f("spec"), f("replicas")]);
        let j = set.to_json();
        assert_eq!(
            j,
            json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}}})
        );
        assert_eq!(Set::from_json(&j).ok(), Some(set.clone()));
        assert!(set.contains(&[f("metadata"), f("labels")]));
        assert!(!set.contains(&[f("metadata")]));
        // "." alone is the same as {}
        let alone = Set::from_json(&json!({"f:a": {".": {}}})).ok();
        assert_eq!(alone.map(|s| s.to_json()), Some(json!({"f:a": {}})));
        assert!(Set::from_json(&json!({"f:a": 1})).is_err());
        assert!(Set::from_json(&json!([])).is_err());
        assert!(Set::from_json(&json!({"zz": {}})).is_err());
    }

    #[test]
    fn set_operations() {
        let parse = |v: Value| Set::from_json(&v).unwrap_or_default();
        let mut a = parse(json!({"f:a": {".": {}, "f:b": {}, "f:c": {}}, "f:d": {}}));
        let b = parse(json!({"f:a": {}, "f:d": {}}));
        let mut exact = a.clone();
        exact.difference(&b);
        assert_eq!(exact.to_json(), json!({"f:a": {"f:b": {}, "f:c": {}}}));
        a.recursive_difference(&b);
        assert!(a.is_empty());
        let mut u = parse(json!({"f:a": {"f:b": {}}}));
        u.union_with(&parse(json!({"f:a": {}, "f:x": {}})));
        assert_eq!(u.to_json(), json!({"f:a": {".": {}, "f:b": {}}, "f:x": {}}));
    }

    #[test]
    fn value_order_and_equality() {
        assert!(values_equal(&json!(1), &json!(1.0)));
        assert!(!values_equal(&json!("1"), &json!(1)));
        assert_eq!(compare_values(&json!(2), &json!("a")), Ordering::Less);
        assert_eq!(compare_values(&json!(null), &json!({})), Ordering::Greater);
        assert_eq!(
            compare_values(&json!({"a": 1}), &json!({"a": 1, "b": 2})),
            Ordering::Less
        );
        assert_eq!(
            compare_values(&json!({"b": 1}), &json!({"a": 1})),
            Ordering::Greater
        );
        assert!(values_equal(
            &json!({"a": [1, {"b": null}]}),
            &json!({"a": [1, {"b": null}]})
        ));
    }
}

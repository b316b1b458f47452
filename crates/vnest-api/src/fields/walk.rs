//! Decoding a JSON document into a typed object the way Go's `encoding/json` (in the
//! `sigs.k8s.io/json` fork kube-apiserver uses) does it, over the type tree of
//! [`super::schema`]:
//!
//! - fields a struct does not have are dropped and, in strict mode, reported as
//!   `unknown field "<path>"`; what is inside them is skipped, not looked at;
//! - a field seen twice in one struct, or a key seen twice in one map, is reported as
//!   `duplicate field "<path>"`; the second value is decoded *into* the first one, so
//!   objects merge (`"data":{"a":"1"},"data":{"b":"2"}` gives both keys), a struct
//!   inside a list element merges with the element at the same index, while map
//!   values and scalars are replaced;
//! - free-form values (`RawExtension`, `FieldsV1`, `IntOrString`, ...) are taken whole
//!   (the last of duplicate keys inside them wins) and nothing inside is reported;
//! - errors come in the order the decoder meets them (document order), deduplicated,
//!   at most 100, with paths like `spec.template.spec.containers[0].imagePullPolicyy`.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::schema::{Ty, Types};
use crate::patch::gojson;
use crate::selector::go_quote;

/// `sigs.k8s.io/json` stops collecting strict errors after this many.
const MAX_STRICT_ERRORS: usize = 100;

/// What a strict-decoding error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrictKind {
    Unknown,
    Duplicate,
}

/// One strict-decoding error: `unknown field "<path>"` or `duplicate field "<path>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StrictError {
    pub kind: StrictKind,
    pub path: String,
}

impl StrictError {
    /// The message `sigs.k8s.io/json` gives it.
    pub(crate) fn message(&self) -> String {
        let what = match self.kind {
            StrictKind::Unknown => "unknown field",
            StrictKind::Duplicate => "duplicate field",
        };
        format!("{what} {}", go_quote(&self.path))
    }
}

/// A JSON document with every member kept, duplicates included, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw {
    Scalar(Value),
    Object(Vec<(String, Raw)>),
    Array(Vec<Raw>),
}

impl Raw {
    /// Wraps a decoded value (which has no duplicates).
    pub(crate) fn from_value(v: Value) -> Raw {
        match v {
            Value::Object(m) => Raw::Object(
                m.into_iter()
                    .map(|(k, v)| (k, Raw::from_value(v)))
                    .collect(),
            ),
            Value::Array(items) => Raw::Array(items.into_iter().map(Raw::from_value).collect()),
            scalar => Raw::Scalar(scalar),
        }
    }

    /// The value Go decodes into `interface{}`: the last of duplicate keys wins.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Raw::Scalar(v) => v,
            Raw::Array(items) => Value::Array(items.into_iter().map(Raw::into_value).collect()),
            Raw::Object(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k, v.into_value());
                }
                Value::Object(m)
            }
        }
    }
}

/// Reads a document that [`gojson::parse`] has already accepted into a [`Raw`]. The
/// scalars are decoded by `gojson` itself, so strings and numbers come out exactly as
/// Go sees them.
pub(crate) fn tokenize(body: &[u8]) -> Result<Raw, String> {
    let mut t = Tokens { b: body, i: 0 };
    let raw = t.value()?;
    t.ws();
    if t.i != body.len() {
        return Err("invalid character after top-level value".to_string());
    }
    Ok(raw)
}

struct Tokens<'a> {
    b: &'a [u8],
    i: usize,
}

const BROKEN: &str = "unexpected end of JSON input";

impl Tokens<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(BROKEN.to_string())
        }
    }

    fn scalar(&mut self, start: usize) -> Result<Value, String> {
        let span = self
            .b
            .get(start..self.i)
            .ok_or_else(|| BROKEN.to_string())?;
        gojson::parse(span).map(|p| p.value)
    }

    fn string(&mut self) -> Result<Value, String> {
        let start = self.i;
        self.i += 1; // opening quote
        loop {
            match self.b.get(self.i) {
                None => return Err(BROKEN.to_string()),
                Some(b'\\') => self.i += 2,
                Some(b'"') => {
                    self.i += 1;
                    return self.scalar(start);
                }
                Some(_) => self.i += 1,
            }
        }
    }

    fn value(&mut self) -> Result<Raw, String> {
        self.ws();
        match self.b.get(self.i) {
            None => Err(BROKEN.to_string()),
            Some(b'{') => {
                self.i += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Raw::Object(entries));
                }
                loop {
                    self.ws();
                    let key = match self.string()? {
                        Value::String(s) => s,
                        _ => return Err(BROKEN.to_string()),
                    };
                    self.expect(b':')?;
                    let v = self.value()?;
                    entries.push((key, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Raw::Object(entries));
                        }
                        _ => return Err(BROKEN.to_string()),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Raw::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Raw::Array(items));
                        }
                        _ => return Err(BROKEN.to_string()),
                    }
                }
            }
            Some(b'"') => Ok(Raw::Scalar(self.string()?)),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.i += 1;
                }
                Ok(Raw::Scalar(self.scalar(start)?))
            }
        }
    }
}

/// Walks a [`Raw`] document against the type tree, building the decoded value and
/// collecting strict-decoding errors.
pub(crate) struct Walker<'s> {
    types: &'s Types,
    /// The current path, as `sigs.k8s.io/json` builds it (`a.b[0].c`).
    path: String,
    errors: Vec<StrictError>,
    /// Visit object members in sorted key order (as when the document went through a
    /// Go map) rather than in document order.
    sorted: bool,
}

impl<'s> Walker<'s> {
    pub(crate) fn new(types: &'s Types) -> Walker<'s> {
        Walker {
            types,
            path: String::new(),
            errors: Vec::new(),
            sorted: false,
        }
    }

    /// Visits object members in sorted key order.
    pub(crate) fn sorted(mut self) -> Walker<'s> {
        self.sorted = true;
        self
    }

    /// The strict-decoding errors found so far, in the order they were met.
    pub(crate) fn into_errors(self) -> Vec<StrictError> {
        self.errors
    }

    fn error(&mut self, kind: StrictKind, field: &str) {
        if self.errors.len() >= MAX_STRICT_ERRORS {
            return;
        }
        let path = if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{}", self.path, field)
        };
        let e = StrictError { kind, path };
        if !self.errors.contains(&e) {
            self.errors.push(e);
        }
    }

    fn push_key(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        len
    }

    fn push_index(&mut self, i: usize) -> usize {
        let len = self.path.len();
        self.path.push('[');
        self.path.push_str(&i.to_string());
        self.path.push(']');
        len
    }

    fn order(&self, mut entries: Vec<(String, Raw)>) -> Vec<(String, Raw)> {
        if self.sorted {
            // stable: duplicates keep their relative order
            entries.sort_by(|a, b| a.0.cmp(&b.0));
        }
        entries
    }

    /// Decodes `raw` as type `ty`, into `old` (the value already decoded for the same
    /// field when the field is a duplicate), like Go decodes into an existing value.
    pub(crate) fn walk(&mut self, raw: Raw, ty: Ty<'s>, old: Option<Value>) -> Value {
        match (ty, raw) {
            (Ty::Struct { def, root }, Raw::Object(entries)) => {
                let mut map = match old {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let mut seen: HashSet<String> = HashSet::new();
                for (k, v) in self.order(entries) {
                    let Some(field_ty) = self.types.field(def, root, &k) else {
                        self.error(StrictKind::Unknown, &k);
                        continue;
                    };
                    if !seen.insert(k.clone()) {
                        self.error(StrictKind::Duplicate, &k);
                    }
                    let len = self.push_key(&k);
                    let prev = map.get_mut(&k).map(std::mem::take);
                    let new = self.walk(v, field_ty, prev);
                    self.path.truncate(len);
                    map.insert(k, new);
                }
                Value::Object(map)
            }
            (Ty::Map(value_shape), Raw::Object(entries)) => {
                let value_ty = self.types.ty(value_shape);
                let mut map = match old {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let mut seen: HashSet<String> = HashSet::new();
                for (k, v) in self.order(entries) {
                    if !seen.insert(k.clone()) {
                        self.error(StrictKind::Duplicate, &k);
                    }
                    let len = self.push_key(&k);
                    // a map value is decoded afresh: duplicates replace
                    let new = self.walk(v, value_ty, None);
                    self.path.truncate(len);
                    map.insert(k, new);
                }
                Value::Object(map)
            }
            (Ty::Array(item_shape), Raw::Array(items)) => {
                let item_ty = self.types.ty(item_shape);
                let mut old_items = match old {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let len = self.push_index(i);
                    // Go reuses the elements of the slice it decodes into
                    let prev = old_items.get_mut(i).map(std::mem::take);
                    out.push(self.walk(item, item_ty, prev));
                    self.path.truncate(len);
                }
                Value::Array(out)
            }
            // scalars, free-form values, null, and values of the wrong JSON type
            (_, raw) => raw.into_value(),
        }
    }
}

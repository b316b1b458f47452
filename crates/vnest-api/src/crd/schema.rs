//! A compiled `openAPIV3Schema` of one CRD version: validation of custom
//! objects (kube-openapi's messages, list-type and embedded-resource checks,
//! `x-kubernetes-validations` CEL rules with ratcheting on update), defaulting
//! and pruning.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::cel::{node_count, to_cel, CelKind, CelTyping, Expr};
use super::MAX_DEPTH;
use crate::validation::field::{ErrorKind, FieldError};
use crate::validation::meta::{validate_annotations, validate_labels_value};
use crate::validation::names::{dns1035_label_errors, NameRule};

/// Why a schema could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// A schema node (or the whole schema) is not a JSON object.
    #[error("{path}: must be a JSON object")]
    NotAnObject {
        /// Path of the node, kube style (`properties[spec].items`).
        path: String,
    },
    /// The schema nests deeper than [`MAX_DEPTH`].
    #[error("{path}: nests deeper than {max} levels")]
    TooDeep {
        /// Path of the first node too deep.
        path: String,
        /// The limit.
        max: usize,
    },
    /// `pattern` is not a valid regular expression.
    #[error("{path}.pattern: must be a valid regular expression, but isn't: {message}")]
    Pattern {
        /// Path of the node.
        path: String,
        /// The pattern.
        pattern: String,
        /// The regex compiler's message.
        message: String,
    },
    /// An `x-kubernetes-validations` rule does not compile.
    #[error("{path}.x-kubernetes-validations[{index}].rule: compilation failed: {message}")]
    Rule {
        /// Path of the node holding the rule.
        path: String,
        /// Index of the rule.
        index: usize,
        /// The compiler's message.
        message: String,
    },
    /// A `messageExpression` does not compile.
    #[error("{path}.x-kubernetes-validations[{index}].messageExpression: messageExpression compilation failed: {message}")]
    MessageExpression {
        /// Path of the node holding the rule.
        path: String,
        /// Index of the rule.
        index: usize,
        /// The compiler's message.
        message: String,
    },
}

#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) text: String,
    pub(crate) expr: Expr,
    pub(crate) message: String,
    pub(crate) message_expression: Option<Expr>,
    pub(crate) reason: Option<String>,
    pub(crate) field_path: String,
}

#[derive(Debug, Default)]
pub(crate) enum Additional {
    /// Not specified.
    #[default]
    None,
    /// `additionalProperties: true|false`.
    Allowed(bool),
    /// `additionalProperties: {schema}`.
    Schema(Box<Node>),
}

/// One compiled schema node.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) ty: String,
    pub(crate) nullable: bool,
    pub(crate) format: String,
    pub(crate) enumeration: Option<Vec<Value>>,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_maximum: bool,
    pub(crate) minimum: Option<f64>,
    pub(crate) exclusive_minimum: bool,
    pub(crate) multiple_of: Option<f64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) min_length: Option<u64>,
    pub(crate) pattern: Option<(String, Regex)>,
    pub(crate) max_items: Option<u64>,
    pub(crate) min_items: Option<u64>,
    pub(crate) unique_items: bool,
    pub(crate) max_properties: Option<u64>,
    pub(crate) min_properties: Option<u64>,
    pub(crate) required: Vec<String>,
    pub(crate) properties: Vec<(String, Node)>,
    pub(crate) index: HashMap<String, usize>,
    pub(crate) additional: Additional,
    pub(crate) items: Option<Box<Node>>,
    pub(crate) all_of: Vec<Node>,
    pub(crate) any_of: Vec<Node>,
    pub(crate) one_of: Vec<Node>,
    pub(crate) not: Option<Box<Node>>,
    pub(crate) default: Option<Value>,
    pub(crate) int_or_string: bool,
    pub(crate) preserve_unknown: bool,
    pub(crate) embedded: bool,
    pub(crate) list_type: String,
    pub(crate) list_map_keys: Vec<String>,
    pub(crate) map_type: String,
    pub(crate) rules: Vec<Rule>,
}

impl Node {
    pub(crate) fn property(&self, k: &str) -> Option<&Node> {
        self.index
            .get(k)
            .and_then(|&i| self.properties.get(i))
            .map(|(_, n)| n)
    }

    fn additional_schema(&self) -> Option<&Node> {
        match &self.additional {
            Additional::Schema(n) => Some(n),
            _ => None,
        }
    }

    /// The schema applying to the value of key `k` of an object.
    fn child(&self, k: &str) -> Option<&Node> {
        self.property(k).or_else(|| self.additional_schema())
    }
}

impl CelTyping for Node {
    fn cel_kind(&self) -> CelKind {
        if self.int_or_string {
            return CelKind::Dynamic;
        }
        match self.ty.as_str() {
            "integer" => CelKind::Int,
            "number" => CelKind::Double,
            "string" => match self.format.as_str() {
                "byte" => CelKind::Bytes,
                "duration" => CelKind::Duration,
                "date" | "date-time" => CelKind::Timestamp,
                _ => CelKind::String,
            },
            "" => CelKind::Dynamic,
            _ => CelKind::Structural,
        }
    }

    fn child(&self, key: &str) -> Option<&Self> {
        Node::child(self, key)
    }

    fn items(&self) -> Option<&Self> {
        self.items.as_deref()
    }
}

fn opt_u64(m: &Map<String, Value>, k: &str) -> Option<u64> {
    m.get(k).and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    })
}

fn opt_str(m: &Map<String, Value>, k: &str) -> String {
    m.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn opt_bool(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// Compiles one node, collecting every error.
pub(crate) fn compile_node(
    v: &Value,
    path: &str,
    depth: usize,
    errs: &mut Vec<SchemaError>,
) -> Node {
    let Some(m) = v.as_object() else {
        errs.push(SchemaError::NotAnObject {
            path: path.to_string(),
        });
        return Node::default();
    };
    if depth > MAX_DEPTH {
        errs.push(SchemaError::TooDeep {
            path: path.to_string(),
            max: MAX_DEPTH,
        });
        return Node::default();
    }
    let sub = |name: &str| -> String {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let mut n = Node {
        ty: opt_str(m, "type"),
        nullable: opt_bool(m, "nullable"),
        format: opt_str(m, "format"),
        enumeration: m.get("enum").and_then(Value::as_array).cloned(),
        maximum: m.get("maximum").and_then(Value::as_f64),
        exclusive_maximum: opt_bool(m, "exclusiveMaximum"),
        minimum: m.get("minimum").and_then(Value::as_f64),
        exclusive_minimum: opt_bool(m, "exclusiveMinimum"),
        multiple_of: m.get("multipleOf").and_then(Value::as_f64),
        max_length: opt_u64(m, "maxLength"),
        min_length: opt_u64(m, "minLength"),
        max_items: opt_u64(m, "maxItems"),
        min_items: opt_u64(m, "minItems"),
        unique_items: opt_bool(m, "uniqueItems"),
        max_properties: opt_u64(m, "maxProperties"),
        min_properties: opt_u64(m, "minProperties"),
        required: m
            .get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        default: m.get("default").cloned(),
        int_or_string: opt_bool(m, "x-kubernetes-int-or-string"),
        preserve_unknown: opt_bool(m, "x-kubernetes-preserve-unknown-fields"),
        embedded: opt_bool(m, "x-kubernetes-embedded-resource"),
        list_type: opt_str(m, "x-kubernetes-list-type"),
        list_map_keys: m
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        map_type: opt_str(m, "x-kubernetes-map-type"),
        ..Node::default()
    };
    if let Some(p) = m.get("pattern").and_then(Value::as_str) {
        match Regex::new(p) {
            Ok(re) => n.pattern = Some((p.to_string(), re)),
            Err(e) => errs.push(SchemaError::Pattern {
                path: path.to_string(),
                pattern: p.to_string(),
                message: e.to_string(),
            }),
        }
    }
    if let Some(Value::Object(props)) = m.get("properties") {
        for (k, pv) in props {
            let child = compile_node(pv, &sub(&format!("properties[{k}]")), depth + 1, errs);
            n.index.insert(k.clone(), n.properties.len());
            n.properties.push((k.clone(), child));
        }
    }
    match m.get("additionalProperties") {
        Some(Value::Bool(b)) => n.additional = Additional::Allowed(*b),
        Some(a @ Value::Object(_)) => {
            n.additional = Additional::Schema(Box::new(compile_node(
                a,
                &sub("additionalProperties"),
                depth + 1,
                errs,
            )))
        }
        _ => {}
    }
    if let Some(it) = m.get("items") {
        if it.is_object() {
            n.items = Some(Box::new(compile_node(it, &sub("items"), depth + 1, errs)));
        }
    }
    for (key, dst) in [
        ("allOf", &mut n.all_of),
        ("anyOf", &mut n.any_of),
        ("oneOf", &mut n.one_of),
    ] {
        if let Some(Value::Array(list)) = m.get(key) {
            for (i, x) in list.iter().enumerate() {
                dst.push(compile_node(
                    x,
                    &sub(&format!("{key}[{i}]")),
                    depth + 1,
                    errs,
                ));
            }
        }
    }
    if let Some(x) = m.get("not") {
        n.not = Some(Box::new(compile_node(x, &sub("not"), depth + 1, errs)));
    }
    if let Some(Value::Array(rules)) = m.get("x-kubernetes-validations") {
        for (i, r) in rules.iter().enumerate() {
            let text = r.get("rule").and_then(Value::as_str).unwrap_or("");
            if text.trim().is_empty() {
                // Reported by CRD validation ("rule is not specified").
                continue;
            }
            let expr = match Expr::compile(text) {
                Ok(e) => e,
                Err(message) => {
                    errs.push(SchemaError::Rule {
                        path: path.to_string(),
                        index: i,
                        message,
                    });
                    continue;
                }
            };
            let msg_expr = r
                .get("messageExpression")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty());
            let message_expression = match msg_expr {
                Some(src) => match Expr::compile(src) {
                    Ok(e) => Some(e),
                    Err(message) => {
                        errs.push(SchemaError::MessageExpression {
                            path: path.to_string(),
                            index: i,
                            message,
                        });
                        continue;
                    }
                },
                None => None,
            };
            n.rules.push(Rule {
                text: text.to_string(),
                expr,
                message: r
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                message_expression,
                reason: r.get("reason").and_then(Value::as_str).map(String::from),
                field_path: r
                    .get("fieldPath")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            });
        }
    }
    n
}

/// A compiled structural schema (one CRD version's `openAPIV3Schema`).
///
/// Compiling checks what is needed to run it (node shapes, depth, regular
/// expressions, CEL rules); the structural-schema rules of CRD validation
/// are checked by [`super::validate_crd`].
#[derive(Debug)]
pub struct Schema {
    pub(crate) root: Node,
}

impl Schema {
    /// Compiles an `openAPIV3Schema`. Fails on the first problem found.
    pub fn compile(schema: &Value) -> Result<Schema, SchemaError> {
        let (s, mut errs) = Schema::compile_all(schema, "");
        match (s, errs.is_empty()) {
            (Some(s), true) => Ok(s),
            _ => Err(errs.remove(0)),
        }
    }

    /// Compiles, returning every problem (paths start with `prefix`).
    pub(crate) fn compile_all(schema: &Value, prefix: &str) -> (Option<Schema>, Vec<SchemaError>) {
        let mut errs = Vec::new();
        let root = compile_node(schema, prefix, 0, &mut errs);
        if errs.is_empty() {
            (Some(Schema { root }), errs)
        } else {
            (None, errs)
        }
    }

    /// Validates a custom object (`old`: the stored object on update) like
    /// kube-apiserver: OpenAPI value validations, list-type set/map
    /// uniqueness, embedded resources (apiVersion, kind, metadata), then
    /// the CEL rules unless an earlier error blocks them. On update, values
    /// that did not change are not re-validated (kube's ratcheting).
    ///
    /// `apiVersion`, `kind` and `metadata` at the root are left to the
    /// caller (ObjectMeta validation); only `metadata.name` /
    /// `metadata.generateName` restrictions of the schema are applied.
    pub fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        let mut errs = Vec::new();
        validate_value(&self.root, obj, old, "", true, 0, &mut errs);
        list_types(&self.root, obj, "", 0, &mut errs);
        embedded(&self.root, obj, "", true, 0, &mut errs);
        let blocking = errs.iter().any(|e| {
            matches!(
                e.kind,
                ErrorKind::NotSupported
                    | ErrorKind::Required
                    | ErrorKind::TooLong
                    | ErrorKind::TooMany
                    | ErrorKind::TypeInvalid
            )
        });
        if blocking {
            errs.push(FieldError::invalid(
                "<nil>",
                Value::Null,
                "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ));
        } else {
            cel_walk(&self.root, obj, old, "", true, 0, &mut errs);
        }
        errs
    }

    /// Validates a value against the schema without the resource-root
    /// special cases (used for `default`s). Message names are relative to
    /// the value (`in body ...` at its top).
    pub(crate) fn validate_plain(node: &Node, v: &Value, errs: &mut Vec<FieldError>, path: &str) {
        let mut inner = Vec::new();
        validate_value(node, v, None, "", false, 0, &mut inner);
        list_types(node, v, "", 0, &mut inner);
        let blocking = !inner.is_empty();
        if !blocking {
            cel_walk(node, v, None, "", false, 0, &mut inner);
        }
        for mut e in inner {
            e.path = if e.path.is_empty() {
                path.to_string()
            } else if e.path.starts_with('[') {
                format!("{path}{}", e.path)
            } else {
                format!("{path}.{}", e.path)
            };
            errs.push(e);
        }
    }

    /// Applies `default`s (kube's structural defaulting): missing
    /// properties get their default, recursively, including inside array
    /// items and additionalProperties; a `null` where the schema is not
    /// nullable gets the default, or is dropped when there is none.
    pub fn default(&self, obj: &mut Value) {
        default_value(&self.root, obj, 0);
    }

    /// Drops the fields the schema does not specify (keeping what
    /// `x-kubernetes-preserve-unknown-fields` preserves, and `apiVersion`,
    /// `kind`, `metadata` at the root and in embedded resources). Returns the
    /// dotted paths removed (`spec.foo`, `spec.items[0].bar`), sorted, for
    /// strict field validation's `unknown field "spec.foo"`.
    pub fn prune(&self, obj: &mut Value) -> Vec<String> {
        let mut removed = Vec::new();
        prune_value(Some(&self.root), obj, "", true, 0, &mut removed);
        removed.sort();
        removed
    }

    /// Whether a value at `path` (dotted, e.g. `.spec.replicas`) is an
    /// integer field of the schema (scale subresource checks).
    pub fn node_type(&self, json_path: &str) -> Option<&str> {
        let mut node = &self.root;
        for seg in json_path.trim_start_matches('.').split('.') {
            if seg.is_empty() {
                continue;
            }
            node = node.child(seg)?;
        }
        Some(node.ty.as_str())
    }
}

// ---------------------------------------------------------------------------
// OpenAPI value validation (kube-openapi's validate package messages)

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// kube-openapi's `<name> in body` prefix.
fn in_body(name: &str) -> String {
    if name.is_empty() {
        "in body".to_string()
    } else {
        format!("{name} in body")
    }
}

/// The JSON type name kube-openapi reports for a value.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                "integer"
            } else {
                "number"
            }
        }
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => true,
    }
}

/// Formats a float like Go's `%v`.
pub(crate) fn go_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{}", f as i128)
    } else {
        let s = format!("{f}");
        if f.abs() >= 1e21 || (f != 0.0 && f.abs() < 1e-4) {
            let e = format!("{f:e}");
            // Go writes e+21 / e-05.
            match e.split_once('e') {
                Some((m, exp)) => {
                    let (sign, digits) = match exp.strip_prefix('-') {
                        Some(d) => ('-', d),
                        None => ('+', exp),
                    };
                    format!("{m}e{sign}{digits:0>2}")
                }
                None => s,
            }
        } else {
            s
        }
    }
}

/// Numeric-aware JSON equality (1 == 1.0).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

fn num_eq(x: &Number, y: &Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    x.as_f64() == y.as_f64()
}

fn validate_value(
    node: &Node,
    v: &Value,
    old: Option<&Value>,
    name: &str,
    root: bool,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    if depth > MAX_DEPTH {
        errs.push(FieldError::invalid(
            name,
            "",
            format!("{} nests deeper than {MAX_DEPTH} levels", in_body(name)),
        ));
        return;
    }
    // Ratcheting: an unchanged value is not re-validated on update.
    if old.is_some_and(|o| o == v) {
        return;
    }
    if v.is_null() {
        if node.nullable || (node.ty.is_empty() && !node.int_or_string) {
            return;
        }
        let expected = if node.int_or_string {
            "integer,string".to_string()
        } else {
            node.ty.clone()
        };
        errs.push(type_error(name, &expected, "null"));
        return;
    }
    if node.int_or_string {
        if !(type_matches("integer", v) || v.is_string()) {
            errs.push(type_error(name, "integer,string", json_type(v)));
            return;
        }
    } else if !node.ty.is_empty() && !type_matches(&node.ty, v) {
        errs.push(type_error(name, &node.ty, json_type(v)));
        return;
    }
    if let Some(values) = &node.enumeration {
        if !values.iter().any(|e| json_eq(e, v)) {
            let supported: Vec<String> = values
                .iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    other => crate::validation::field::go_json(other),
                })
                .collect();
            let refs: Vec<&str> = supported.iter().map(String::as_str).collect();
            errs.push(FieldError::not_supported(name, v.clone(), &refs));
        }
    }
    match v {
        Value::String(s) => validate_string(node, s, name, errs),
        Value::Number(n) => validate_number(node, n, name, errs),
        Value::Array(items) => {
            let len = items.len() as u64;
            if let Some(min) = node.min_items {
                if len < min {
                    errs.push(FieldError::invalid(
                        name,
                        len,
                        format!("{} should have at least {min} items", in_body(name)),
                    ));
                }
            }
            if let Some(max) = node.max_items {
                if len > max {
                    errs.push(FieldError::too_many(name, items.len(), max as usize));
                }
            }
            if node.unique_items {
                let dup = items
                    .iter()
                    .enumerate()
                    .any(|(i, a)| items[..i].iter().any(|b| json_eq(a, b)));
                if dup {
                    errs.push(FieldError::invalid(
                        name,
                        "",
                        format!("{} shouldn't contain duplicates", in_body(name)),
                    ));
                }
            }
            if let Some(it) = &node.items {
                let old_items = old.and_then(Value::as_array);
                for (i, x) in items.iter().enumerate() {
                    let o = old_items.and_then(|oi| correlate_item(node, x, oi));
                    validate_value(it, x, o, &format!("{name}[{i}]"), false, depth + 1, errs);
                }
            }
        }
        Value::Object(m) => validate_object(node, m, old, name, root, depth, errs),
        _ => {}
    }
    for sub in &node.all_of {
        validate_value(sub, v, None, name, false, depth + 1, errs);
    }
    if !node.any_of.is_empty() {
        let ok = node.any_of.iter().any(|sub| {
            let mut e = Vec::new();
            validate_value(sub, v, None, name, false, depth + 1, &mut e);
            e.is_empty()
        });
        if !ok {
            errs.push(FieldError::invalid(
                name,
                "",
                format!(
                    "{} must validate at least one schema (anyOf)",
                    in_body(name)
                ),
            ));
        }
    }
    if !node.one_of.is_empty() {
        let passing = node
            .one_of
            .iter()
            .filter(|sub| {
                let mut e = Vec::new();
                validate_value(sub, v, None, name, false, depth + 1, &mut e);
                e.is_empty()
            })
            .count();
        if passing != 1 {
            errs.push(FieldError::invalid(
                name,
                "",
                format!(
                    "{} must validate one and only one schema (oneOf)",
                    in_body(name)
                ),
            ));
        }
    }
    if let Some(not) = &node.not {
        let mut e = Vec::new();
        validate_value(not, v, None, name, false, depth + 1, &mut e);
        if e.is_empty() {
            errs.push(FieldError::invalid(
                name,
                "",
                format!("{} must not validate the schema (not)", in_body(name)),
            ));
        }
    }
}

fn type_error(name: &str, expected: &str, actual: &str) -> FieldError {
    let mut e = FieldError::invalid(
        name,
        actual,
        format!(
            "{} must be of type {expected}: {}",
            in_body(name),
            crate::selector::go_quote(actual)
        ),
    );
    e.kind = ErrorKind::TypeInvalid;
    e
}

fn validate_string(node: &Node, s: &str, name: &str, errs: &mut Vec<FieldError>) {
    if !node.format.is_empty() && !super::formats::valid(&node.format, s) {
        let mut e = FieldError::invalid(
            name,
            s,
            format!(
                "{} must be of type {}: {}",
                in_body(name),
                node.format,
                crate::selector::go_quote(s)
            ),
        );
        e.kind = ErrorKind::TypeInvalid;
        errs.push(e);
    }
    let chars = s.chars().count() as u64;
    if let Some(max) = node.max_length {
        if chars > max {
            let unit = if max == 1 { "byte" } else { "bytes" };
            errs.push(FieldError {
                kind: ErrorKind::TooLong,
                path: name.to_string(),
                value: Some(Value::String(s.to_string())),
                detail: format!("may not be more than {max} {unit}"),
            });
        }
    }
    if let Some(min) = node.min_length {
        if chars < min {
            errs.push(FieldError::invalid(
                name,
                s,
                format!("{} should be at least {min} chars long", in_body(name)),
            ));
        }
    }
    if let Some((p, re)) = &node.pattern {
        if !re.is_match(s) {
            errs.push(FieldError::invalid(
                name,
                s,
                format!("{} should match '{p}'", in_body(name)),
            ));
        }
    }
}

fn validate_number(node: &Node, n: &Number, name: &str, errs: &mut Vec<FieldError>) {
    let f = n.as_f64().unwrap_or(0.0);
    if let Some(m) = node.multiple_of {
        if m > 0.0 {
            let q = f / m;
            if (q - q.round()).abs() > 1e-9 {
                errs.push(FieldError::invalid(
                    name,
                    Value::Number(n.clone()),
                    format!("{} should be a multiple of {}", in_body(name), go_float(m)),
                ));
            }
        }
    }
    if let Some(max) = node.maximum {
        let bad = if node.exclusive_maximum {
            f >= max
        } else {
            f > max
        };
        if bad {
            let rel = if node.exclusive_maximum {
                "less than"
            } else {
                "less than or equal to"
            };
            errs.push(FieldError::invalid(
                name,
                Value::Number(n.clone()),
                format!("{} should be {rel} {}", in_body(name), go_float(max)),
            ));
        }
    }
    if let Some(min) = node.minimum {
        let bad = if node.exclusive_minimum {
            f <= min
        } else {
            f < min
        };
        if bad {
            let rel = if node.exclusive_minimum {
                "greater than"
            } else {
                "greater than or equal to"
            };
            errs.push(FieldError::invalid(
                name,
                Value::Number(n.clone()),
                format!("{} should be {rel} {}", in_body(name), go_float(min)),
            ));
        }
    }
}

fn validate_object(
    node: &Node,
    m: &Map<String, Value>,
    old: Option<&Value>,
    name: &str,
    root: bool,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    let count = m.len() as u64;
    if let Some(max) = node.max_properties {
        if count > max {
            errs.push(FieldError::too_many(name, m.len(), max as usize));
        }
    }
    if let Some(min) = node.min_properties {
        if count < min {
            errs.push(FieldError::invalid(
                name,
                count,
                format!("{} should have at least {min} properties", in_body(name)),
            ));
        }
    }
    for r in &node.required {
        if root && matches!(r.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if !m.contains_key(r) {
            errs.push(FieldError::required(&join(name, r), ""));
        }
    }
    let old_map = old.and_then(Value::as_object);
    for (k, x) in m {
        let o = old_map.and_then(|om| om.get(k));
        if root && (k == "apiVersion" || k == "kind") {
            continue;
        }
        if root && k == "metadata" {
            // Only name / generateName restrictions apply at the root.
            if let (Some(meta_schema), Some(meta)) = (node.property(k), x.as_object()) {
                for f in ["name", "generateName"] {
                    if let (Some(fs), Some(fv)) = (meta_schema.property(f), meta.get(f)) {
                        let fo = o.and_then(|o| o.get(f));
                        validate_value(
                            fs,
                            fv,
                            fo,
                            &format!("metadata.{f}"),
                            false,
                            depth + 1,
                            errs,
                        );
                    }
                }
            }
            continue;
        }
        if let Some(p) = node.property(k) {
            validate_value(p, x, o, &join(name, k), false, depth + 1, errs);
        } else if let Some(a) = node.additional_schema() {
            validate_value(a, x, o, &join(name, k), false, depth + 1, errs);
        }
    }
}

/// The old array item matching `x` (list-type map: same keys; set: same
/// value), for ratcheting and transition rules.
fn correlate_item<'a>(node: &Node, x: &Value, old: &'a [Value]) -> Option<&'a Value> {
    match node.list_type.as_str() {
        "map" => {
            let keys = map_keys(node, x)?;
            old.iter()
                .find(|o| map_keys(node, o).is_some_and(|k| k == keys))
        }
        "set" => old.iter().find(|o| json_eq(o, x)),
        _ => None,
    }
}

/// The key values of a list-type map item (defaults filled in).
fn map_keys(node: &Node, x: &Value) -> Option<Vec<Value>> {
    let m = x.as_object()?;
    let items = node.items.as_deref();
    Some(
        node.list_map_keys
            .iter()
            .map(|k| {
                m.get(k).cloned().unwrap_or_else(|| {
                    items
                        .and_then(|it| it.property(k))
                        .and_then(|p| p.default.clone())
                        .unwrap_or(Value::Null)
                })
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// list-type set / map uniqueness (kube's structurallisttype)

fn list_types(node: &Node, v: &Value, fpath: &str, depth: usize, errs: &mut Vec<FieldError>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => {
            match node.list_type.as_str() {
                "set" => {
                    for (i, x) in items.iter().enumerate() {
                        if items[..i].iter().any(|y| json_eq(x, y)) {
                            errs.push(FieldError::duplicate(&format!("{fpath}[{i}]"), x.clone()));
                        }
                    }
                }
                "map" => {
                    let mut seen: Vec<Vec<Value>> = Vec::new();
                    for (i, x) in items.iter().enumerate() {
                        if x.is_null() {
                            continue;
                        }
                        if !x.is_object() {
                            errs.push(FieldError::invalid(
                                &format!("{fpath}[{i}]"),
                                x.clone(),
                                "must be an object for an array of list-type map",
                            ));
                            continue;
                        }
                        let Some(keys) = map_keys(node, x) else {
                            continue;
                        };
                        if seen
                            .iter()
                            .any(|s| s.iter().zip(&keys).all(|(a, b)| json_eq(a, b)))
                        {
                            let mut km = Map::new();
                            for (k, val) in node.list_map_keys.iter().zip(&keys) {
                                km.insert(k.clone(), val.clone());
                            }
                            errs.push(FieldError::duplicate(
                                &format!("{fpath}[{i}]"),
                                crate::validation::field::sorted_map(&Value::Object(km)),
                            ));
                        } else {
                            seen.push(keys);
                        }
                    }
                }
                _ => {}
            }
            if let Some(it) = &node.items {
                for (i, x) in items.iter().enumerate() {
                    list_types(it, x, &format!("{fpath}[{i}]"), depth + 1, errs);
                }
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                if let Some(p) = node.property(k) {
                    list_types(p, x, &join(fpath, k), depth + 1, errs);
                } else if let Some(a) = node.additional_schema() {
                    list_types(a, x, &format!("{fpath}[{k}]"), depth + 1, errs);
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// embedded resources (kube's schema objectmeta validation)

fn embedded(
    node: &Node,
    v: &Value,
    fpath: &str,
    root: bool,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            if node.embedded && !root {
                embedded_resource(m, fpath, errs);
            }
            for (k, x) in m {
                if (root || node.embedded)
                    && matches!(k.as_str(), "apiVersion" | "kind" | "metadata")
                {
                    continue;
                }
                if let Some(p) = node.property(k) {
                    embedded(p, x, &join(fpath, k), false, depth + 1, errs);
                } else if let Some(a) = node.additional_schema() {
                    embedded(a, x, &format!("{fpath}[{k}]"), false, depth + 1, errs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(it) = &node.items {
                for (i, x) in items.iter().enumerate() {
                    embedded(it, x, &format!("{fpath}[{i}]"), false, depth + 1, errs);
                }
            }
        }
        _ => {}
    }
}

fn embedded_resource(m: &Map<String, Value>, path: &str, errs: &mut Vec<FieldError>) {
    if !m.contains_key("apiVersion") {
        errs.push(FieldError::required(
            &join(path, "apiVersion"),
            "must not be empty",
        ));
    }
    if !m.contains_key("kind") {
        errs.push(FieldError::required(
            &join(path, "kind"),
            "must not be empty",
        ));
    }
    if let Some(av) = m.get("apiVersion") {
        let p = join(path, "apiVersion");
        match av.as_str() {
            None => errs.push(FieldError::invalid(&p, av.clone(), "must be a string")),
            Some("") => errs.push(FieldError::invalid(&p, "", "must not be empty")),
            Some(s) => {
                if s.matches('/').count() > 1 || s.starts_with('/') || s.ends_with('/') {
                    errs.push(FieldError::invalid(
                        &p,
                        s,
                        format!("unexpected GroupVersion string: {s}"),
                    ));
                }
            }
        }
    }
    if let Some(kv) = m.get("kind") {
        let p = join(path, "kind");
        match kv.as_str() {
            None => errs.push(FieldError::invalid(&p, kv.clone(), "must be a string")),
            Some("") => errs.push(FieldError::invalid(&p, "", "must not be empty")),
            Some(s) => {
                let e = dns1035_label_errors(&s.to_lowercase());
                if !e.is_empty() {
                    errs.push(FieldError::invalid(
                        &p,
                        s,
                        format!(
                            "may have mixed case, but should otherwise match: {}",
                            e.join(",")
                        ),
                    ));
                }
            }
        }
    }
    if let Some(meta) = m.get("metadata") {
        let mp = join(path, "metadata");
        match meta {
            Value::Object(mm) => {
                for f in ["name", "generateName"] {
                    if let Some(Value::String(s)) = mm.get(f) {
                        if !s.is_empty() {
                            for msg in NameRule::DnsSubdomain.errors(s, f == "generateName") {
                                errs.push(FieldError::invalid(&join(&mp, f), s.as_str(), msg));
                            }
                        }
                    }
                }
                errs.extend(validate_labels_value(
                    mm.get("labels"),
                    &join(&mp, "labels"),
                ));
                if let Some(Value::Object(a)) = mm.get("annotations") {
                    errs.extend(validate_annotations(a, &join(&mp, "annotations")));
                }
            }
            Value::Null => {}
            other => errs.push(FieldError::invalid(&mp, other.clone(), "must be an object")),
        }
    }
}

// ---------------------------------------------------------------------------
// CEL rules

fn cel_walk(
    node: &Node,
    v: &Value,
    old: Option<&Value>,
    fpath: &str,
    root: bool,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    if depth > MAX_DEPTH || v.is_null() {
        return;
    }
    // Ratcheting: rules on unchanged values are not re-run.
    if old.is_some_and(|o| o == v) {
        return;
    }
    if !node.rules.is_empty() {
        run_rules(node, v, old, fpath, errs);
    }
    match v {
        Value::Object(m) => {
            let old_map = old.and_then(Value::as_object);
            for (k, x) in m {
                if root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let o = old_map.and_then(|om| om.get(k));
                if let Some(p) = node.property(k) {
                    cel_walk(p, x, o, &join(fpath, k), false, depth + 1, errs);
                } else if let Some(a) = node.additional_schema() {
                    let o = if node.map_type == "atomic" { None } else { o };
                    cel_walk(a, x, o, &format!("{fpath}[{k}]"), false, depth + 1, errs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(it) = &node.items {
                let old_items = old.and_then(Value::as_array);
                for (i, x) in items.iter().enumerate() {
                    let o = if node.list_type == "map" {
                        old_items.and_then(|oi| correlate_item(node, x, oi))
                    } else {
                        None
                    };
                    cel_walk(it, x, o, &format!("{fpath}[{i}]"), false, depth + 1, errs);
                }
            }
        }
        _ => {}
    }
}

fn run_rules(node: &Node, v: &Value, old: Option<&Value>, fpath: &str, errs: &mut Vec<FieldError>) {
    let size = node_count(v, 10_000_000);
    let this = to_cel(v, Some(node), 0);
    let old_cel = old.map(|o| to_cel(o, Some(node), 0));
    let type_value = Value::String(if node.int_or_string {
        String::new()
    } else {
        node.ty.clone()
    });
    for rule in &node.rules {
        if rule.expr.uses_old_self() && old_cel.is_none() {
            continue;
        }
        let rule_text = if rule.message.trim().is_empty() {
            rule.text.trim().to_string()
        } else {
            rule.message.trim().to_string()
        };
        match rule.expr.eval(&this, old_cel.as_ref(), size) {
            Ok(cel::Value::Bool(true)) => {}
            Ok(cel::Value::Bool(false)) => {
                let path = rule_path(fpath, &rule.field_path);
                let default_msg = if rule.message.trim().is_empty() {
                    format!("failed rule: {rule_text}")
                } else {
                    rule.message.trim().to_string()
                };
                let detail = rule
                    .message_expression
                    .as_ref()
                    .and_then(|me| match me.eval(&this, old_cel.as_ref(), size) {
                        Ok(cel::Value::String(s)) => {
                            let s = s.trim();
                            (!s.is_empty() && !s.contains(['\n', '\r'])).then(|| s.to_string())
                        }
                        _ => None,
                    })
                    .unwrap_or(default_msg);
                errs.push(error_for_reason(
                    &path,
                    type_value.clone(),
                    detail,
                    rule.reason.as_deref(),
                ));
            }
            Ok(other) => errs.push(FieldError::invalid(
                fpath,
                type_value.clone(),
                format!(
                    "rule did not evaluate to a bool (got {}) evaluating rule: {rule_text}",
                    other.type_of()
                ),
            )),
            Err(e) => errs.push(FieldError::invalid(
                fpath,
                type_value.clone(),
                format!("{e} evaluating rule: {rule_text}"),
            )),
        }
    }
}

fn error_for_reason(path: &str, value: Value, detail: String, reason: Option<&str>) -> FieldError {
    match reason {
        Some("FieldValueForbidden") => FieldError::forbidden(path, detail),
        Some("FieldValueRequired") => FieldError::required(path, detail),
        Some("FieldValueDuplicate") => FieldError::duplicate(path, value),
        _ => FieldError::invalid(path, value, detail),
    }
}

/// Appends a rule's `fieldPath` (`.a.b`, `['a.b']`, `[0]`) to `base`.
fn rule_path(base: &str, field_path: &str) -> String {
    let mut out = base.to_string();
    let mut rest = field_path.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out = join(&out, &r[..end]);
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { break };
            let inner = r[..end].trim_matches(|c| c == '\'' || c == '"');
            if inner.parse::<usize>().is_ok() {
                out = format!("{out}[{inner}]");
            } else {
                out = join(&out, inner);
            }
            rest = &r[end + 1..];
        } else {
            break;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// defaulting and pruning

fn default_value(node: &Node, v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, p) in &node.properties {
                if let Some(d) = &p.default {
                    let missing = match m.get(k) {
                        None => true,
                        Some(Value::Null) => !p.nullable,
                        Some(_) => false,
                    };
                    if missing {
                        m.insert(k.clone(), d.clone());
                    }
                }
            }
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let Some(child) = node.child(&k) else {
                    continue;
                };
                let is_null = m.get(&k).is_some_and(Value::is_null);
                if is_null && !child.nullable {
                    match &child.default {
                        Some(d) => {
                            m.insert(k.clone(), d.clone());
                        }
                        None => {
                            m.remove(&k);
                            continue;
                        }
                    }
                }
                if let Some(x) = m.get_mut(&k) {
                    default_value(child, x, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(it) = &node.items {
                for x in items.iter_mut() {
                    if x.is_null() && !it.nullable {
                        if let Some(d) = &it.default {
                            *x = d.clone();
                        }
                    }
                    default_value(it, x, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn prune_value(
    node: Option<&Node>,
    v: &mut Value,
    path: &str,
    root: bool,
    depth: usize,
    removed: &mut Vec<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let preserve = node.is_some_and(|n| n.preserve_unknown);
    match v {
        Value::Object(m) => {
            let meta_level = root || node.is_some_and(|n| n.embedded);
            let mut drop = Vec::new();
            for (k, x) in m.iter_mut() {
                if meta_level && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let child = node.and_then(|n| n.property(k));
                let child_path = join(path, k);
                match (child, node) {
                    (Some(c), _) => prune_value(Some(c), x, &child_path, false, depth + 1, removed),
                    (None, Some(n)) => match &n.additional {
                        Additional::Schema(a) => {
                            prune_value(Some(a), x, &child_path, false, depth + 1, removed)
                        }
                        Additional::Allowed(true) => {}
                        _ if preserve => {
                            prune_value(None, x, &child_path, false, depth + 1, removed)
                        }
                        _ => drop.push(k.clone()),
                    },
                    (None, None) => {}
                }
            }
            for k in drop {
                m.remove(&k);
                removed.push(join(path, &k));
            }
        }
        Value::Array(items) => {
            if let Some(it) = node.and_then(|n| n.items.as_deref()) {
                for (i, x) in items.iter_mut().enumerate() {
                    prune_value(
                        Some(it),
                        x,
                        &format!("{path}[{i}]"),
                        false,
                        depth + 1,
                        removed,
                    );
                }
            }
        }
        _ => {}
    }
}

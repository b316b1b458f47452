//! YAML request bodies, as kube-apiserver reads them with `sigs.k8s.io/yaml`.
//!
//! The object is `YAMLToJSON` of the body: the YAML is decoded into Go maps (the last
//! of duplicate keys wins) and marshalled to JSON, so object keys come out sorted.
//! With strict validation the body also goes through `YAMLToJSONStrict`, whose
//! `gopkg.in/yaml.v2` decoder reports every duplicate key, in every mapping, as
//! `line <n>: key "<k>" already set in map` (the line of the duplicate's *value*);
//! kube-apiserver reports them all as one strict error:
//! `yaml: unmarshal errors:\n  line 7: key "a" already set in map`.
//!
//! Our YAML parser (`serde_yaml_ng`) does not tell where a node is, except in the
//! location of an error. So the duplicates are found in one pass, and the line of each
//! is found by a second pass that fails on purpose at that node.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::selector::go_quote;

/// Finding a line costs a parse of the whole body: at most this many duplicates are
/// listed (yaml.v2 lists them all).
const MAX_DUPLICATES: usize = 100;

/// The message of the error the probing pass raises.
const PROBE: &str = "vnest probe";

/// A map key as Go's yaml.v2 decodes it into `interface{}`; keys are equal when both
/// type and value are.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    /// A sequence or mapping used as a key (rejected when converting to JSON).
    Complex,
}

impl Key {
    /// Go's `%#v` of the key.
    fn go_sharp_v(&self) -> String {
        match self {
            Key::Null => "<nil>".to_string(),
            Key::Bool(b) => b.to_string(),
            Key::Int(i) => i.to_string(),
            Key::Float(f) => f.to_string(),
            Key::Str(s) => go_quote(s),
            Key::Complex => "map[interface {}]interface {}{}".to_string(),
        }
    }

    /// The JSON member name `sigs.k8s.io/yaml` gives the key.
    fn json_name(&self) -> Result<String, String> {
        match self {
            Key::Str(s) => Ok(s.clone()),
            Key::Int(i) => Ok(i.to_string()),
            Key::Bool(b) => Ok(b.to_string()),
            Key::Float(f) => Ok(f.to_string()),
            Key::Null | Key::Complex => Err(format!(
                "unsupported map key of type: {}",
                self.go_sharp_v()
            )),
        }
    }
}

/// A decoded YAML node.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

fn key_of(node: Node) -> Key {
    match node {
        Node::Null => Key::Null,
        Node::Bool(b) => Key::Bool(b),
        Node::Int(i) => Key::Int(i),
        Node::Float(f) => Key::Float(f),
        Node::Str(s) => Key::Str(s),
        Node::Seq(_) | Node::Map(_) => Key::Complex,
    }
}

/// State shared by all the nodes of one pass.
#[derive(Default)]
struct Pass {
    /// Nodes numbered so far, in document order.
    counter: usize,
    /// Fail when reaching this node.
    probe: Option<usize>,
    /// Duplicate keys: the number of the duplicate's value node, and the key.
    duplicates: Vec<(usize, Key)>,
}

struct NodeSeed<'p> {
    pass: &'p mut Pass,
}

struct NodeVisitor<'p> {
    pass: &'p mut Pass,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        let index = self.pass.counter;
        self.pass.counter += 1;
        d.deserialize_any(NodeVisitor {
            pass: self.pass,
            index,
        })
    }
}

impl NodeVisitor<'_> {
    fn check<E: de::Error>(&self) -> Result<(), E> {
        if self.pass.probe == Some(self.index) {
            Err(E::custom(PROBE))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Int(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        self.check()?;
        Ok(match i128::try_from(v) {
            Ok(i) => Node::Int(i),
            Err(_) => Node::Float(v as f64),
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        self.check()?;
        Ok(Node::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        self.check()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed {
            pass: &mut *self.pass,
        })? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        self.check()?;
        let mut entries: Vec<(Key, Node)> = Vec::new();
        while let Some(k) = map.next_key_seed(NodeSeed {
            pass: &mut *self.pass,
        })? {
            let key = key_of(k);
            let value_index = self.pass.counter;
            let value = map.next_value_seed(NodeSeed {
                pass: &mut *self.pass,
            })?;
            // yaml.v2 decodes the value first, then finds the key already set
            if entries.iter().any(|(seen, _)| *seen == key) {
                self.pass.duplicates.push((value_index, key.clone()));
            }
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Node, A::Error> {
        Err(de::Error::custom("YAML tags are not supported"))
    }
}

fn run(body: &[u8], pass: &mut Pass) -> Result<Node, serde_yaml_ng::Error> {
    NodeSeed { pass }.deserialize(serde_yaml_ng::Deserializer::from_slice(body))
}

/// The (1-based) line of node number `index`, found by failing there.
fn line_of(body: &[u8], index: usize) -> Option<usize> {
    let mut pass = Pass {
        probe: Some(index),
        ..Pass::default()
    };
    match run(body, &mut pass) {
        // the message is prefixed with the node's path (`data.a: vnest probe at ...`)
        Err(e) if e.to_string().contains(PROBE) => e.location().map(|l| l.line()),
        _ => None,
    }
}

/// A YAML body converted to the JSON object kube-apiserver decodes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlDocument {
    pub value: Value,
    /// `YAMLToJSONStrict`'s error (`yaml: unmarshal errors:\n  line 7: ...`), when
    /// the body has duplicate keys.
    pub duplicates: Option<String>,
}

/// Parses a YAML body. The error is the parser's message.
pub(crate) fn parse(body: &[u8]) -> Result<YamlDocument, String> {
    let mut pass = Pass::default();
    let node = run(body, &mut pass).map_err(|e| format!("yaml: {e}"))?;
    let value = to_json(node)?;
    let duplicates = if pass.duplicates.is_empty() {
        None
    } else {
        let lines: Vec<String> = pass
            .duplicates
            .iter()
            .take(MAX_DUPLICATES)
            .map(|(index, key)| {
                let line = line_of(body, *index)
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "?".to_string());
                format!("line {line}: key {} already set in map", key.go_sharp_v())
            })
            .collect();
        Some(format!("yaml: unmarshal errors:\n  {}", lines.join("\n  ")))
    };
    Ok(YamlDocument { value, duplicates })
}

/// `json.Marshal` of the Go value and back: maps get sorted keys, whole floats become
/// integers, the last of duplicate keys wins.
fn to_json(node: Node) -> Result<Value, String> {
    Ok(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Str(s) => Value::String(s),
        Node::Int(i) => match i64::try_from(i) {
            Ok(i) => Value::Number(Number::from(i)),
            Err(_) => float(i as f64)?,
        },
        Node::Float(f) => float(f)?,
        Node::Seq(items) => Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        Node::Map(entries) => {
            let mut members: Vec<(String, Value)> = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let name = k.json_name()?;
                let v = to_json(v)?;
                match members.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = v,
                    None => members.push((name, v)),
                }
            }
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members.into_iter().collect::<Map<String, Value>>())
        }
    })
}

fn float(f: f64) -> Result<Value, String> {
    if f.is_nan() {
        return Err("json: unsupported value: NaN".to_string());
    }
    if f.is_infinite() {
        let sign = if f > 0.0 { "+" } else { "-" };
        return Err(format!("json: unsupported value: {sign}Inf"));
    }
    // Go prints whole floats without a fraction, which then decode as integers
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        return Ok(Value::Number(Number::from(f as i64)));
    }
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| format!("json: unsupported value: {f}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_like_yaml_to_json() {
        let d = parse(b"b: 1\na: [x, 2.5, 3.0, true, ~]\nc: {z: 1, y: 2}\n").expect("valid");
        assert_eq!(
            d.value,
            json!({"a": ["x", 2.5, 3, true, null], "b": 1, "c": {"y": 2, "z": 1}})
        );
        let keys: Vec<&String> = d.value.as_object().expect("map").keys().collect();
        assert_eq!(keys, ["a", "b", "c"], "sorted like a Go map");
        assert!(d.value["a"][2].is_i64());
        assert_eq!(d.duplicates, None);
        assert_eq!(
            parse(b"1: a\ntrue: b\n").expect("valid").value,
            json!({"1": "a", "true": "b"})
        );
        assert_eq!(parse(b"").expect("empty").value, Value::Null);
    }

    #[test]
    fn duplicates_are_reported_with_the_line_of_their_value() {
        let body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup-yaml\ndata:\n  a: \"1\"\n  a: \"2\"\n";
        let d = parse(body).expect("valid");
        assert_eq!(
            d.duplicates.as_deref(),
            Some("yaml: unmarshal errors:\n  line 7: key \"a\" already set in map")
        );
        // the last value wins in the object
        assert_eq!(d.value["data"], json!({"a": "2"}));

        // several, nested first, block values on the next line
        let body = b"data:\n  x: 1\n  x: 2\nspec:\n  a: 1\nspec:\n  b: 1\n  b: 2\n";
        let d = parse(body).expect("valid");
        assert_eq!(
            d.duplicates.as_deref(),
            Some("yaml: unmarshal errors:\n  line 3: key \"x\" already set in map\n  line 8: key \"b\" already set in map\n  line 7: key \"spec\" already set in map")
        );
        assert_eq!(d.value, json!({"data": {"x": 2}, "spec": {"b": 2}}));

        // keys of different types are different keys
        let d = parse(b"1: a\n\"1\": b\n").expect("valid");
        assert_eq!(d.duplicates, None);
        let d = parse(b"- {a: 1, a: 2}\n").expect("valid");
        assert_eq!(
            d.duplicates.as_deref(),
            Some("yaml: unmarshal errors:\n  line 1: key \"a\" already set in map")
        );
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(parse(b"a: [1, 2\n").is_err());
        assert!(parse(b"a: .nan\n")
            .expect_err("NaN")
            .contains("unsupported value: NaN"));
        assert!(parse(b"? [1, 2]\n: x\n").is_err());
    }
}

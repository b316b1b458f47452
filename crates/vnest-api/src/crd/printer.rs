//! Server-side printing of custom resources: the Table columns kube builds
//! from a CRD version's `additionalPrinterColumns` and the cells it
//! computes with their JSONPath.

use serde_json::{json, Value};

use crate::table::human_duration;

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATION_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// The printer columns of a version: its `additionalPrinterColumns`, or
/// kube's default `Age` column (`.metadata.creationTimestamp`) when it has
/// none.
fn columns(version: &Value) -> Vec<Value> {
    let cols = version
        .get("additionalPrinterColumns")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if cols.is_empty() {
        vec![
            json!({"name": "Age", "type": "date", "description": CREATION_DESCRIPTION,
                    "jsonPath": ".metadata.creationTimestamp"}),
        ]
    } else {
        cols
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The Table `columnDefinitions` kube-apiserver serves for a CRD version
/// (`version` is one entry of `spec.versions`): `Name` first, then the
/// printer columns (or `Age` when there are none).
pub fn printer_columns(version: &Value) -> Vec<Value> {
    let mut out = vec![json!({"name": "Name", "type": "string", "format": "name",
                              "description": NAME_DESCRIPTION, "priority": 0})];
    for c in columns(version) {
        let jp = s(&c, "jsonPath");
        let description = match s(&c, "description") {
            "" => format!("Custom resource definition column (in JSONPath format): {jp}"),
            d => d.to_string(),
        };
        out.push(json!({
            "name": s(&c, "name"),
            "type": s(&c, "type"),
            "format": s(&c, "format"),
            "description": description,
            "priority": c.get("priority").and_then(Value::as_i64).unwrap_or(0),
        }));
    }
    out
}

/// The cells of one object's row: the name, then each column's value
/// (`null` when the path finds nothing). `integer`/`number`/`boolean`
/// cells are JSON values of that type (or `null` on a type mismatch),
/// `string` cells print the value like kubectl's JSONPath (`map[a:1]` for
/// objects), `date` cells are ages against `now_unix_seconds` (`5m`,
/// `<invalid>` for unparsable times).
pub fn printer_cells(version: &Value, obj: &Value, now_unix_seconds: i64) -> Vec<Value> {
    let mut cells = vec![json!(obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or(""))];
    for c in columns(version) {
        let found = match parse(s(&c, "jsonPath")) {
            Some(path) => eval(&path, obj).into_iter().next(),
            None => None,
        };
        let cell = match found {
            None | Some(Value::Null) => Value::Null,
            Some(v) => cell(s(&c, "type"), v, now_unix_seconds),
        };
        cells.push(cell);
    }
    cells
}

fn cell(ty: &str, v: &Value, now: i64) -> Value {
    match ty {
        "integer" => match v {
            Value::Number(n) => n
                .as_i64()
                .map(Value::from)
                .or_else(|| n.as_f64().map(|f| json!(f as i64)))
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "number" => match v {
            Value::Number(n) => n.as_f64().map(Value::from).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        "boolean" => match v {
            Value::Bool(b) => json!(b),
            _ => Value::Null,
        },
        "date" => match v {
            Value::String(t) => match chrono::DateTime::parse_from_rfc3339(t) {
                Ok(at) => json!(human_duration(now - at.timestamp())),
                Err(_) => json!("<invalid>"),
            },
            _ => Value::Null,
        },
        _ => json!(go_print(v)),
    }
}

/// Prints a JSON value like Go's `fmt.Print` of the decoded value.
fn go_print(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n
                .as_u64()
                .map(|u| u.to_string())
                .unwrap_or_else(|| super::schema::go_float(n.as_f64().unwrap_or(0.0))),
        },
        Value::Array(a) => format!("[{}]", a.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", m.get(k).map(go_print).unwrap_or_default()))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// One step of the supported JSONPath subset.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    All,
    /// `[?(@.a.b=="x")]` (also `!=`), or `[?(@.a)]` (exists).
    Filter(Vec<String>, Option<(bool, Value)>),
}

/// Parses `.a.b`, `.a[0]`, `.a[-1]`, `.a[*].b`, `.a['k.x']`,
/// `.a[?(@.type=="Ready")].status` (optionally wrapped in `{}`).
fn parse(path: &str) -> Option<Vec<Step>> {
    let mut p = path.trim();
    if let Some(inner) = p.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
        p = inner.trim();
    }
    p = p.strip_prefix('$').unwrap_or(p);
    let mut steps = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end > 0 {
                steps.push(Step::Field(r[..end].to_string()));
            }
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("[?(") {
            let end = r.find(")]")?;
            let expr = r[..end].trim();
            rest = &r[end + 2..];
            let (lhs, cmp) = match expr.find("==").or_else(|| expr.find("!=")) {
                Some(i) => {
                    let eq = &expr[i..i + 2] == "==";
                    let rhs = expr[i + 2..].trim();
                    let val = if let Some(q) = rhs
                        .strip_prefix('"')
                        .and_then(|x| x.strip_suffix('"'))
                        .or_else(|| rhs.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                    {
                        json!(q)
                    } else {
                        serde_json::from_str(rhs).ok()?
                    };
                    (expr[..i].trim(), Some((eq, val)))
                }
                None => (expr, None),
            };
            let field_path = lhs.strip_prefix('@')?;
            let fields: Vec<String> = field_path
                .split('.')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect();
            steps.push(Step::Filter(fields, cmp));
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            rest = &r[end + 1..];
            if inner == "*" {
                steps.push(Step::All);
            } else if let Some(k) = inner
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
            {
                steps.push(Step::Field(k.to_string()));
            } else {
                steps.push(Step::Index(inner.parse().ok()?));
            }
        } else {
            return None;
        }
    }
    Some(steps)
}

fn eval<'a>(steps: &[Step], root: &'a Value) -> Vec<&'a Value> {
    let mut cur = vec![root];
    for step in steps {
        let mut next = Vec::new();
        for v in cur {
            match step {
                Step::Field(f) => {
                    if let Some(x) = v.get(f) {
                        next.push(x);
                    }
                }
                Step::Index(i) => {
                    if let Value::Array(a) = v {
                        let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                        if let Some(x) = usize::try_from(idx).ok().and_then(|u| a.get(u)) {
                            next.push(x);
                        }
                    }
                }
                Step::All => match v {
                    Value::Array(a) => next.extend(a.iter()),
                    Value::Object(m) => next.extend(m.values()),
                    _ => {}
                },
                Step::Filter(fields, cmp) => {
                    if let Value::Array(a) = v {
                        for item in a {
                            let mut x = Some(item);
                            for f in fields {
                                x = x.and_then(|y| y.get(f));
                            }
                            let keep = match (x, cmp) {
                                (Some(found), Some((true, want))) => found == want,
                                (Some(found), Some((false, want))) => found != want,
                                (None, Some((false, _))) => true,
                                (Some(_), None) => true,
                                _ => false,
                            };
                            if keep {
                                next.push(item);
                            }
                        }
                    }
                }
            }
        }
        cur = next;
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version() -> Value {
        json!({"name": "v1", "additionalPrinterColumns": [
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio", "priority": 1},
            {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status",
             "description": "Readiness"},
            {"name": "First", "type": "string", "jsonPath": ".spec.items[0].name"},
            {"name": "All", "type": "string", "jsonPath": ".spec.items[*].name"},
            {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"},
            {"name": "Selector", "type": "string", "jsonPath": ".spec.selector"},
            {"name": "Started", "type": "date", "jsonPath": ".status.startTime"},
            {"name": "Missing", "type": "string", "jsonPath": ".spec.nope"}
        ]})
    }

    #[test]
    fn columns_like_kube() {
        let cols = printer_columns(&version());
        assert_eq!(cols.len(), 10);
        assert_eq!(cols[0]["name"], "Name");
        assert_eq!(cols[0]["format"], "name");
        assert_eq!(
            cols[1],
            json!({"name": "Replicas", "type": "integer", "format": "",
            "description": "Custom resource definition column (in JSONPath format): .spec.replicas", "priority": 0})
        );
        assert_eq!(cols[2]["priority"], 1);
        assert_eq!(cols[3]["description"], "Readiness");
        let def = printer_columns(&json!({"name": "v1"}));
        assert_eq!(def.len(), 2);
        assert_eq!(def[1]["name"], "Age");
        assert_eq!(def[1]["type"], "date");
    }

    #[test]
    fn cells_like_kube() {
        let obj = json!({"metadata": {"name": "a", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"replicas": 3, "ratio": 2, "paused": "yes", "items": [{"name": "x"}, {"name": "y"}],
                     "selector": {"matchLabels": {"app": "a"}}},
            "status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}],
                       "startTime": "2024-01-01T00:00:00Z"}});
        let now = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:05:00Z")
            .map(|t| t.timestamp())
            .unwrap_or(0);
        assert_eq!(
            printer_cells(&version(), &obj, now),
            vec![
                json!("a"),
                json!(3),
                json!(2.0),
                json!("True"),
                json!("x"),
                json!("x"),
                Value::Null,
                json!("map[matchLabels:map[app:a]]"),
                json!("5m"),
                Value::Null
            ]
        );
        assert_eq!(
            printer_cells(&json!({}), &obj, now),
            vec![json!("a"), json!("5m")]
        );
        let bad = json!({"metadata": {"name": "b", "creationTimestamp": "nope"}});
        assert_eq!(
            printer_cells(&json!({}), &bad, now),
            vec![json!("b"), json!("<invalid>")]
        );
    }

    #[test]
    fn jsonpath_subset() {
        let v = json!({"a": {"b.c": [1, 2, 3]}});
        assert_eq!(
            eval(&parse(".a['b.c'][-1]").unwrap_or_default(), &v),
            vec![&json!(3)]
        );
        assert_eq!(eval(&parse("{.a.*}").unwrap_or_default(), &v).len(), 0);
        assert_eq!(parse(".a[x]"), None);
        assert_eq!(parse("a.b"), None);
    }
}

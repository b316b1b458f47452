//! The CEL side of `x-kubernetes-validations`: compiling rules with the
//! `cel` crate, binding `self` / `oldSelf` to JSON values typed by their
//! schema node, and a coarse cost guard.
//!
//! The `cel` crate is an interpreter without cel-go's type checker, so
//! compile errors are syntax errors and references to unknown variables;
//! type errors surface when a rule runs (as kube's runtime errors do).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::objects::{Key, Map as CelMap};
use cel::{Context, Env, ExecutionError, Program, Value as CelValue};
use serde_json::Value;

/// Longest rule or message expression accepted (characters).
pub const MAX_EXPRESSION_LEN: usize = 10_000;
/// Deepest nesting of brackets accepted in an expression.
pub const MAX_EXPRESSION_32ING: usize = 32;
/// Most binary operators accepted in one expression (the parser and the
/// interpreter recurse along operator chains).
pub const MAX_EXPRESSION_OPERATORS: usize = 500;
/// Stack given to the CEL parser and interpreter (both recurse deeply,
/// far more than a thread's default stack allows in debug builds).
const CEL_STACK: usize = 64 * 1024 * 1024;

/// Runs `f` on a fresh stack of [`CEL_STACK`] bytes (reserved lazily).
fn on_big_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::grow(CEL_STACK, f)
}

/// Estimated work above which a rule is not run (elements visited, to the
/// power of the number of nested comprehensions).
pub const MAX_ESTIMATED_COST: u128 = 10_000_000;

/// One compiled expression.
#[derive(Debug)]
pub(crate) struct Expr {
    program: Program,
    /// Comprehension macros in the expression (cost estimate exponent).
    comprehensions: u32,
    uses_old_self: bool,
}

fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Registering the strings extension on a fresh stdlib cannot
        // conflict; if it ever did, the functions are just missing.
        let _ = env.add_extension(cel::extensions::strings);
        env.set_error_on_duplicate_map_keys(false);
        Arc::new(env)
    })
    .clone()
}

/// Checks the size limits that keep the parser and the interpreter from
/// recursing too deep.
fn check_shape(src: &str) -> Result<(), String> {
    if src.chars().count() > MAX_EXPRESSION_LEN {
        return Err(format!(
            "expression is longer than {MAX_EXPRESSION_LEN} characters"
        ));
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut operators = 0usize;
    let mut prev = ' ';
    let mut quote: Option<char> = None;
    for c in src.chars() {
        if let Some(q) = quote {
            if c == q && prev != '\\' {
                quote = None;
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '%' | '<' | '>' | '=' | '&' | '|' | '?' | '!' | '.' | ',' => {
                operators += 1
            }
            _ => {}
        }
        prev = c;
    }
    if max_depth > MAX_EXPRESSION_32ING {
        return Err(format!(
            "expression nests deeper than {MAX_EXPRESSION_32ING} levels"
        ));
    }
    if operators > MAX_EXPRESSION_OPERATORS {
        return Err(format!(
            "expression has more than {MAX_EXPRESSION_OPERATORS} operators"
        ));
    }
    Ok(())
}

fn count_comprehensions(src: &str) -> u32 {
    let mut n = 0u32;
    for m in [".all(", ".exists(", ".exists_one(", ".map(", ".filter("] {
        n = n.saturating_add(u32::try_from(src.matches(m).count()).unwrap_or(u32::MAX));
    }
    n
}

/// The iteration variables the comprehension macros of `src` bind.
fn comprehension_vars(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for m in [".all(", ".exists(", ".exists_one(", ".map(", ".filter("] {
        for (i, _) in src.match_indices(m) {
            let rest = &src[i + m.len()..];
            for part in rest.split(',').take(2) {
                let ident = part.trim();
                if !ident.is_empty() && ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    out.push(ident.to_string());
                } else {
                    break;
                }
            }
        }
    }
    out
}

impl Expr {
    /// Compiles `src`; the error is the text kube puts after
    /// `compilation failed: `.
    pub(crate) fn compile(src: &str) -> Result<Expr, String> {
        check_shape(src)?;
        let program = on_big_stack(|| env().compile(src)).map_err(|e| {
            let msg = e.to_string();
            if msg.starts_with("ERROR: ") {
                msg
            } else {
                format!("ERROR: {msg}")
            }
        })?;
        let refs = program.references();
        let uses_old_self = refs.has_variable("oldSelf");
        let bound = comprehension_vars(src);
        let mut unknown: Vec<&str> = refs
            .variables()
            .into_iter()
            .filter(|v| {
                !matches!(
                    *v,
                    "self"
                        | "oldSelf"
                        | "int"
                        | "uint"
                        | "double"
                        | "bool"
                        | "string"
                        | "bytes"
                        | "list"
                        | "map"
                        | "null_type"
                        | "type"
                        | "dyn"
                ) && !bound.iter().any(|b| b == v)
            })
            .collect();
        unknown.sort_unstable();
        if let Some(v) = unknown.first() {
            return Err(format!(
                "ERROR: <input>: undeclared reference to '{v}' (in container '')"
            ));
        }
        Ok(Expr {
            comprehensions: count_comprehensions(src),
            uses_old_self,
            program,
        })
    }

    /// Whether the expression mentions `oldSelf` (a transition rule).
    pub(crate) fn uses_old_self(&self) -> bool {
        self.uses_old_self
    }

    /// Runs the expression with `self` (and `oldSelf`) bound. `size` is the
    /// number of JSON nodes in `self`, for the cost guard.
    pub(crate) fn eval(
        &self,
        this: &CelValue,
        old: Option<&CelValue>,
        size: usize,
    ) -> Result<CelValue, String> {
        let size = size.max(1) as u128;
        let mut cost: u128 = 1;
        for _ in 0..self.comprehensions {
            cost = cost.saturating_mul(size);
            if cost > MAX_ESTIMATED_COST {
                return Err("operation cancelled: actual cost limit exceeded".into());
            }
        }
        let mut ctx = Context::with_env(env());
        ctx.add_variable_from_value("self", this.clone());
        if let Some(old) = old {
            ctx.add_variable_from_value("oldSelf", old.clone());
        }
        on_big_stack(|| self.program.execute(&ctx).map_err(|e| exec_error(&e)))
    }
}

/// Renders an execution error roughly as cel-go words it.
fn exec_error(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        ExecutionError::UndeclaredReference(r) => format!("undeclared reference to '{r}'"),
        ExecutionError::DivisionByZero(_) => "division by zero".into(),
        ExecutionError::RemainderByZero(_) => "modulus by zero".into(),
        ExecutionError::IndexOutOfBounds(i) => format!("index out of bounds: {}", plain(i)),
        other => other.to_string(),
    }
}

fn plain(v: &CelValue) -> String {
    match v {
        CelValue::Int(i) => i.to_string(),
        CelValue::UInt(u) => u.to_string(),
        CelValue::String(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// How a JSON node is typed for CEL, from its schema node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CelKind {
    /// Whatever the JSON says (preserve-unknown-fields, no type).
    Dynamic,
    /// `type: integer`
    Int,
    /// `type: number` (always a double)
    Double,
    /// `type: string`, no special format
    String,
    /// `format: byte`
    Bytes,
    /// `format: duration`
    Duration,
    /// `format: date-time` / `date`
    Timestamp,
    /// anything else: structure from the value
    Structural,
}

/// Converts JSON to a CEL value. `kind_of` gives the kind of a child path
/// segment; the conversion of children is guided by `typed`.
pub(crate) trait CelTyping {
    /// The kind of this node.
    fn cel_kind(&self) -> CelKind;
    /// The typing of property / map value `key`.
    fn child(&self, key: &str) -> Option<&Self>;
    /// The typing of array items.
    fn items(&self) -> Option<&Self>;
}

/// Converts `v` to a CEL value with the typing of `t` (None: dynamic).
pub(crate) fn to_cel<T: CelTyping>(v: &Value, t: Option<&T>, depth: usize) -> CelValue {
    if depth > super::MAX_DEPTH {
        return CelValue::Null;
    }
    let kind = t.map(CelTyping::cel_kind).unwrap_or(CelKind::Dynamic);
    match v {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => match kind {
            CelKind::Double => CelValue::Float(n.as_f64().unwrap_or(0.0)),
            _ => {
                if let Some(i) = n.as_i64() {
                    CelValue::Int(i)
                } else if let Some(u) = n.as_u64() {
                    CelValue::UInt(u)
                } else {
                    let f = n.as_f64().unwrap_or(0.0);
                    if kind == CelKind::Int && f.fract() == 0.0 && f.abs() < 9.0e18 {
                        CelValue::Int(f as i64)
                    } else {
                        CelValue::Float(f)
                    }
                }
            }
        },
        Value::String(s) => match kind {
            CelKind::Bytes => {
                use base64::Engine;
                match base64::engine::general_purpose::STANDARD.decode(s) {
                    Ok(b) => CelValue::Bytes(Arc::new(b)),
                    Err(_) => CelValue::String(Arc::new(s.clone())),
                }
            }
            CelKind::Duration => match parse_go_duration(s) {
                Some(d) => CelValue::Duration(d),
                None => CelValue::String(Arc::new(s.clone())),
            },
            CelKind::Timestamp => match parse_timestamp(s) {
                Some(t) => CelValue::Timestamp(t),
                None => CelValue::String(Arc::new(s.clone())),
            },
            _ => CelValue::String(Arc::new(s.clone())),
        },
        Value::Array(items) => {
            let it = t.and_then(CelTyping::items);
            CelValue::List(Arc::new(
                items.iter().map(|x| to_cel(x, it, depth + 1)).collect(),
            ))
        }
        Value::Object(m) => {
            let mut out: HashMap<Key, CelValue> = HashMap::with_capacity(m.len());
            for (k, x) in m {
                let ct = t.and_then(|t| t.child(k));
                out.insert(Key::String(Arc::new(k.clone())), to_cel(x, ct, depth + 1));
            }
            CelValue::Map(CelMap { map: Arc::new(out) })
        }
    }
}

/// Number of JSON nodes in `v` (bounded by `cap`).
pub(crate) fn node_count(v: &Value, cap: usize) -> usize {
    let mut n = 0usize;
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        n += 1;
        if n >= cap {
            return cap;
        }
        match x {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    n
}

fn parse_timestamp(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let dt = d.and_hms_opt(0, 0, 0)?;
    Some(dt.and_utc().fixed_offset())
}

/// Parses a Go duration string (`1h30m`, `10s`, `1.5h`, `300ms`, `-2m`).
pub(crate) fn parse_go_duration(s: &str) -> Option<chrono::Duration> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(chrono::Duration::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let num: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total_nanos += num * scale;
    }
    if !total_nanos.is_finite() || total_nanos > 9.2e18 {
        return None;
    }
    let d = chrono::Duration::nanoseconds(total_nanos as i64);
    Some(if neg { -d } else { d })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dynamic;
    impl CelTyping for Dynamic {
        fn cel_kind(&self) -> CelKind {
            CelKind::Dynamic
        }
        fn child(&self, _: &str) -> Option<&Self> {
            None
        }
        fn items(&self) -> Option<&Self> {
            None
        }
    }

    fn run(rule: &str, v: Value) -> Result<CelValue, String> {
        let e = Expr::compile(rule)?;
        let c = to_cel::<Dynamic>(&v, None, 0);
        e.eval(&c, None, node_count(&v, 1_000_000))
    }

    #[test]
    fn kube_style_expressions() {
        let obj = serde_json::json!({"a": 1, "name": "Foo-bar", "items": [1, 2, 3]});
        for rule in [
            "self.a == 1",
            "has(self.name) && !has(self.missing)",
            "self.items.all(x, x > 0)",
            "self.items.exists(x, x == 2)",
            "self.items.exists_one(x, x == 3)",
            "self.items.map(x, x * 2) == [2, 4, 6]",
            "self.items.filter(x, x > 1).size() == 2",
            "size(self.items) == 3",
            "2 in self.items",
            "'a' in self",
            "self.name.startsWith('Foo') && self.name.endsWith('bar') && self.name.contains('-')",
            "self.name.matches('^[A-Za-z-]+$')",
            "self.name.lowerAscii() == 'foo-bar' && self.name.upperAscii() == 'FOO-BAR'",
            "self.name.split('-') == ['Foo', 'bar']",
            "['a', 'b'].join('-') == 'a-b'",
            "duration('1h') > duration('30m')",
            "timestamp('2024-01-01T00:00:00Z') < timestamp('2024-06-01T00:00:00Z')",
        ] {
            assert_eq!(run(rule, obj.clone()), Ok(CelValue::Bool(true)), "{rule}");
        }
        assert_eq!(
            run("self.missing == 1", obj.clone()),
            Err("no such key: missing".into())
        );
        assert!(Expr::compile("self.a ==").is_err());
        assert_eq!(
            Expr::compile("self.a == foo").err(),
            Some("ERROR: <input>: undeclared reference to 'foo' (in container '')".into())
        );
        assert!(Expr::compile("self.m.all(k, v, k == v)").is_ok());
        assert!(Expr::compile("self.a == 1").is_ok_and(|e| !e.uses_old_self()));
        assert!(Expr::compile("self == oldSelf").is_ok_and(|e| e.uses_old_self()));
    }

    #[test]
    fn limits() {
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(Expr::compile(&deep).is_err());
        let long = vec!["1"; 2000].join("+");
        assert!(Expr::compile(&long).is_err());
        // At the limits, parsing and evaluating stay within the stack.
        let nested = format!("{}1{} == 1", "(".repeat(32), ")".repeat(32));
        assert_eq!(run(&nested, Value::Null), Ok(CelValue::Bool(true)));
        let chain = format!("{} == 250", vec!["1"; 250].join(" + "));
        assert_eq!(run(&chain, Value::Null), Ok(CelValue::Bool(true)));
        let chain = format!("{} == 495", vec!["1"; 495].join("+"));
        assert_eq!(run(&chain, Value::Null), Ok(CelValue::Bool(true)));
        let mixed = format!("{}true{}", "[(".repeat(16), ")]".repeat(16));
        assert!(run(&mixed, Value::Null).is_ok());
        let items: Vec<Value> = (0..5000).map(Value::from).collect();
        let v = Value::Array(items);
        let err = run("self.all(x, self.all(y, x + y >= 0))", v).unwrap_err();
        assert!(err.contains("cost"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_go_duration("1h30m"),
            Some(chrono::Duration::minutes(90))
        );
        assert_eq!(
            parse_go_duration("1.5s"),
            Some(chrono::Duration::milliseconds(1500))
        );
        assert_eq!(
            parse_go_duration("-2m"),
            Some(-chrono::Duration::minutes(2))
        );
        assert_eq!(parse_go_duration("abc"), None);
        assert_eq!(parse_go_duration(""), None);
    }
}

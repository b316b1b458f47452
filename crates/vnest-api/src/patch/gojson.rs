//! Request-body decoding and value formatting that reproduce what kube-apiserver's Go
//! code says, so patch errors carry the same text.
//!
//! kube-apiserver decodes patch bodies with `sigs.k8s.io/json` (Go's `encoding/json`
//! with case-sensitive field names, integers kept as int64, and optional "strict"
//! reporting of duplicate/unknown fields). Its error texts leak into `Status.message`,
//! e.g. `unexpected end of JSON input` or
//! `json: cannot unmarshal array into Go value of type map[string]interface {}`.
//! [`parse`] validates a body with the same grammar and messages, builds a
//! [`serde_json::Value`] the way Go would see it (ints that fit int64 stay ints, other
//! numbers are float64, invalid UTF-8 and lone surrogates become U+FFFD, a duplicate key
//! keeps its last value) and collects the duplicate-field paths strict decoding reports.
//!
//! The second half formats values like Go's `fmt` verbs `%v` and `%s`, which the
//! strategic-merge-patch errors use to print maps and lists.

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

/// Go refuses documents nested deeper than 10000 levels; we stop at 512 so the
/// recursive merge code (and `Value`'s recursive clone and drop) stays well within a
/// 2 MiB thread stack even in debug builds (see the `deep_documents` test).
/// Real Kubernetes objects are a few dozen levels deep.
pub(crate) const MAX_DEPTH: usize = 512;

/// Go's `encoding/json` stops collecting strict errors after this many.
const MAX_STRICT_ERRORS: usize = 100;

/// A body decoded as Go would decode it into `interface{}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub value: Value,
    /// Strict-decoding complaints (`duplicate field "a.b"`), in document order, deduplicated.
    pub strict_errors: Vec<String>,
}

/// The text Go's decoder reports for a body that is not valid JSON, or whose numbers
/// do not fit a float64.
pub(crate) type DecodeError = String;

/// One open container while parsing.
enum Frame {
    Object {
        map: Map<String, Value>,
        seen: HashSet<String>,
        /// The key whose value is being parsed.
        key: Option<String>,
    },
    Array {
        items: Vec<Value>,
    },
}

/// What the parser expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (top level, after `:` or after `,` in an array).
    Value,
    /// First key of an object, or `}`.
    FirstKey,
    /// A key after `,` in an object.
    Key,
    /// The `:` after a key.
    Colon,
    /// First element of an array, or `]`.
    FirstElement,
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    stack: Vec<Frame>,
    /// Path segments for strict-error paths: `a`, `.b`, `[0]`.
    path: Vec<String>,
    strict_errors: Vec<String>,
    /// A number that does not fit a float64; Go reports it only if the syntax is valid.
    number_error: Option<String>,
}

/// Go's `quoteChar`: how the scanner shows the offending byte.
fn quote_byte(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            // strconv.Quote(string(rune(c))) without its double quotes
            let inner = match c {
                b'\\' => "\\\\".to_string(),
                0x07 => "\\a".to_string(),
                0x08 => "\\b".to_string(),
                0x0c => "\\f".to_string(),
                b'\n' => "\\n".to_string(),
                b'\r' => "\\r".to_string(),
                b'\t' => "\\t".to_string(),
                0x0b => "\\v".to_string(),
                0x00..=0x1f | 0x7f => format!("\\x{c:02x}"),
                0x80..=0xa0 | 0xad => format!("\\u{:04x}", u32::from(c)),
                _ => char::from(c).to_string(),
            };
            format!("'{inner}'")
        }
    }
}

fn syntax(c: u8, context: &str) -> DecodeError {
    format!("invalid character {} {}", quote_byte(c), context)
}

const UNEXPECTED_END: &str = "unexpected end of JSON input";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'a> Parser<'a> {
    fn skip_space(&mut self) {
        while self.i < self.b.len() && is_space(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next_or_eof(&mut self) -> Result<u8, DecodeError> {
        match self.peek() {
            Some(c) => {
                self.i += 1;
                Ok(c)
            }
            None => Err(UNEXPECTED_END.to_string()),
        }
    }

    fn strict_error(&mut self, message: String) {
        if self.strict_errors.len() >= MAX_STRICT_ERRORS || self.strict_errors.contains(&message) {
            return;
        }
        self.strict_errors.push(message);
    }

    fn push(&mut self, frame: Frame, c: u8) -> Result<(), DecodeError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(syntax(c, "exceeded max depth"));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Parses a string literal whose opening quote is at `self.i`.
    fn string(&mut self) -> Result<String, DecodeError> {
        self.i += 1; // opening quote
                     // Raw runs between escapes are copied with invalid UTF-8 repaired.
        let mut chunk_start = self.i;
        let mut decoded = String::new();
        loop {
            let c = self.next_or_eof()?;
            match c {
                b'"' => {
                    push_lossy(&mut decoded, &self.b[chunk_start..self.i - 1]);
                    return Ok(decoded);
                }
                b'\\' => {
                    push_lossy(&mut decoded, &self.b[chunk_start..self.i - 1]);
                    let e = self.next_or_eof()?;
                    match e {
                        b'"' => decoded.push('"'),
                        b'\\' => decoded.push('\\'),
                        b'/' => decoded.push('/'),
                        b'b' => decoded.push('\u{8}'),
                        b'f' => decoded.push('\u{c}'),
                        b'n' => decoded.push('\n'),
                        b'r' => decoded.push('\r'),
                        b't' => decoded.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            decoded.push(self.finish_escape(first)?);
                        }
                        other => return Err(syntax(other, "in string escape code")),
                    }
                    chunk_start = self.i;
                }
                0x00..=0x1f => return Err(syntax(c, "in string literal")),
                _ => {}
            }
        }
    }

    /// Reads the four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let mut v: u32 = 0;
        for _ in 0..4 {
            let c = self.next_or_eof()?;
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(syntax(c, "in \\u hexadecimal character escape")),
            };
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    /// Turns a `\u` escape into a char, pairing surrogates like Go (a lone surrogate
    /// becomes U+FFFD and the following escape is read on its own).
    fn finish_escape(&mut self, first: u32) -> Result<char, DecodeError> {
        if (0xD800..0xDC00).contains(&first) {
            // A high surrogate: look for `\uDC00`-`\uDFFF` right after it.
            let rest = &self.b[self.i..];
            if rest.len() >= 6 && rest[0] == b'\\' && rest[1] == b'u' {
                let save = self.i;
                self.i += 2;
                match self.hex4() {
                    Ok(second) if (0xDC00..0xE000).contains(&second) => {
                        let cp = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        return Ok(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    }
                    _ => self.i = save,
                }
            }
            return Ok('\u{FFFD}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }

    /// Parses a number starting at `self.i` (which holds `-` or a digit).
    fn number(&mut self) -> Result<Value, DecodeError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let c = self.next_or_eof()?;
        match c {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return Err(syntax(c, "in numeric literal")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.i += 1;
            let c = self.next_or_eof()?;
            if !c.is_ascii_digit() {
                return Err(syntax(c, "after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let c = self.next_or_eof()?;
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in exponent of numeric literal"));
            }
            self.digits();
        }
        // The slice is ASCII by construction.
        let text = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
        if !float {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Value::Number(Number::from(n)));
            }
        }
        match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => {
                if self.number_error.is_none() {
                    self.number_error = Some(format!(
                        "json: cannot unmarshal number {text} into Go value of type float64"
                    ));
                }
                Ok(Value::Null)
            }
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, DecodeError> {
        self.i += 1; // first letter, already checked
        for expected in word.bytes().skip(1) {
            let c = self.next_or_eof()?;
            if c != expected {
                return Err(syntax(
                    c,
                    &format!("in literal {word} (expecting '{}')", char::from(expected)),
                ));
            }
        }
        Ok(value)
    }

    /// Parses a scalar or opens a container. Returns the finished scalar, if any.
    fn value(&mut self) -> Result<Option<Value>, DecodeError> {
        self.skip_space();
        let c = self.peek().ok_or_else(|| UNEXPECTED_END.to_string())?;
        match c {
            b'{' => {
                self.push(
                    Frame::Object {
                        map: Map::new(),
                        seen: HashSet::new(),
                        key: None,
                    },
                    c,
                )?;
                self.i += 1;
                Ok(None)
            }
            b'[' => {
                self.push(Frame::Array { items: Vec::new() }, c)?;
                self.i += 1;
                Ok(None)
            }
            b'"' => Ok(Some(Value::String(self.string()?))),
            b'-' | b'0'..=b'9' => Ok(Some(self.number()?)),
            b't' => Ok(Some(self.literal("true", Value::Bool(true))?)),
            b'f' => Ok(Some(self.literal("false", Value::Bool(false))?)),
            b'n' => Ok(Some(self.literal("null", Value::Null)?)),
            _ => Err(syntax(c, "looking for beginning of value")),
        }
    }

    fn strict_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path.concat(), key)
        }
    }

    /// Reads an object key (the opening quote is next) and the colon after it.
    fn key(&mut self) -> Result<(), DecodeError> {
        let key = self.string()?;
        let duplicate = match self.stack.last() {
            Some(Frame::Object { seen, .. }) => seen.contains(&key),
            _ => false,
        };
        if duplicate {
            let path = self.strict_path(&key);
            self.strict_error(format!("duplicate field {}", go_quote(&path)));
        }
        self.skip_space();
        match self.peek() {
            None => return Err(UNEXPECTED_END.to_string()),
            Some(b':') => self.i += 1,
            Some(c) => return Err(syntax(c, "after object key")),
        }
        let segment = if self.path.is_empty() {
            key.clone()
        } else {
            format!(".{key}")
        };
        self.path.push(segment);
        if let Some(Frame::Object {
            seen, key: slot, ..
        }) = self.stack.last_mut()
        {
            seen.insert(key.clone());
            *slot = Some(key);
        }
        Ok(())
    }

    fn run(mut self) -> Result<Parsed, DecodeError> {
        let mut expect = Expect::Value;
        loop {
            // Produce the next complete value, or open a container and loop.
            let finished: Value = match expect {
                Expect::Value => match self.value()? {
                    Some(v) => v,
                    None => {
                        expect = match self.stack.last() {
                            Some(Frame::Object { .. }) => Expect::FirstKey,
                            _ => Expect::FirstElement,
                        };
                        continue;
                    }
                },
                Expect::FirstKey | Expect::Key => {
                    self.skip_space();
                    let c = self.peek().ok_or_else(|| UNEXPECTED_END.to_string())?;
                    if c == b'}' && expect == Expect::FirstKey {
                        self.i += 1;
                        self.pop()?
                    } else if c == b'"' {
                        expect = Expect::Colon;
                        continue;
                    } else {
                        return Err(syntax(c, "looking for beginning of object key string"));
                    }
                }
                Expect::Colon => {
                    self.key()?;
                    expect = Expect::Value;
                    continue;
                }
                Expect::FirstElement => {
                    self.skip_space();
                    let c = self.peek().ok_or_else(|| UNEXPECTED_END.to_string())?;
                    if c == b']' {
                        self.i += 1;
                        self.pop()?
                    } else {
                        if let Some(Frame::Array { items }) = self.stack.last() {
                            let idx = items.len();
                            self.path.push(format!("[{idx}]"));
                        }
                        expect = Expect::Value;
                        continue;
                    }
                }
            };
            // Attach the finished value to its parent and decide what comes next.
            let mut current = finished;
            loop {
                match self.stack.last_mut() {
                    None => {
                        self.skip_space();
                        if let Some(c) = self.peek() {
                            return Err(syntax(c, "after top-level value"));
                        }
                        if let Some(e) = self.number_error {
                            return Err(e);
                        }
                        return Ok(Parsed {
                            value: current,
                            strict_errors: self.strict_errors,
                        });
                    }
                    Some(Frame::Object { map, key, .. }) => {
                        if let Some(k) = key.take() {
                            map.insert(k, current);
                        }
                        self.path.pop();
                        self.skip_space();
                        let c = self.peek().ok_or_else(|| UNEXPECTED_END.to_string())?;
                        self.i += 1;
                        match c {
                            b',' => {
                                expect = Expect::Key;
                                break;
                            }
                            b'}' => current = self.pop()?,
                            _ => return Err(syntax(c, "after object key:value pair")),
                        }
                    }
                    Some(Frame::Array { items }) => {
                        items.push(current);
                        self.path.pop();
                        self.skip_space();
                        let c = self.peek().ok_or_else(|| UNEXPECTED_END.to_string())?;
                        self.i += 1;
                        match c {
                            b',' => {
                                let idx = match self.stack.last() {
                                    Some(Frame::Array { items }) => items.len(),
                                    _ => 0,
                                };
                                self.path.push(format!("[{idx}]"));
                                expect = Expect::Value;
                                break;
                            }
                            b']' => current = self.pop()?,
                            _ => return Err(syntax(c, "after array element")),
                        }
                    }
                }
            }
        }
    }

    fn pop(&mut self) -> Result<Value, DecodeError> {
        match self.stack.pop() {
            Some(Frame::Object { map, .. }) => Ok(Value::Object(map)),
            Some(Frame::Array { items }) => Ok(Value::Array(items)),
            None => Err(UNEXPECTED_END.to_string()),
        }
    }
}

/// Appends bytes as UTF-8, turning each invalid byte into U+FFFD like Go.
fn push_lossy(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('\u{FFFD}');
        }
    }
}

/// Parses a request body like Go's `json.Unmarshal` into `interface{}`.
pub(crate) fn parse(body: &[u8]) -> Result<Parsed, DecodeError> {
    Parser {
        b: body,
        i: 0,
        stack: Vec::new(),
        path: Vec::new(),
        strict_errors: Vec::new(),
        number_error: None,
    }
    .run()
}

/// The name Go's decoder gives a JSON value in "cannot unmarshal X into ..." errors.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's `strconv.Quote` for the strings that appear in error paths.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// Go `fmt` formatting of decoded JSON values (map[string]interface{} and friends)
// ---------------------------------------------------------------------------

/// The Go dynamic type of a decoded value, as the strategic merge code compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GoType {
    Nil,
    Bool,
    Int64,
    Float64,
    String,
    Slice,
    Map,
}

pub(crate) fn go_type(v: &Value) -> GoType {
    match v {
        Value::Null => GoType::Nil,
        Value::Bool(_) => GoType::Bool,
        Value::Number(n) if n.is_i64() => GoType::Int64,
        Value::Number(_) => GoType::Float64,
        Value::String(_) => GoType::String,
        Value::Array(_) => GoType::Slice,
        Value::Object(_) => GoType::Map,
    }
}

/// `reflect.TypeOf(v).String()`, or what `%s` prints for a nil type.
pub(crate) fn go_type_name(v: &Value) -> &'static str {
    match go_type(v) {
        GoType::Nil => "%!s(<nil>)",
        GoType::Bool => "bool",
        GoType::Int64 => "int64",
        GoType::Float64 => "float64",
        GoType::String => "string",
        GoType::Slice => "[]interface {}",
        GoType::Map => "map[string]interface {}",
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)` with %v's exponent rule).
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Shortest round-trip digits from Rust, then Go's layout.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    // %v uses the shortest digits and switches to %e when the exponent is < -4 or >= 6
    if !(-4..6).contains(&exp) {
        // %e form: d.ddde±XX
        let mut out = String::from(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        return out;
    }
    // %f form with exactly the significant digits.
    let dp = exp + 1; // position of the decimal point relative to the digits
    let mut out = String::from(sign);
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let dp = dp as usize;
        if digits.len() <= dp {
            out.push_str(&digits);
            for _ in digits.len()..dp {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..dp]);
            out.push('.');
            out.push_str(&digits[dp..]);
        }
    }
    out
}

fn go_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(f) = n.as_f64() {
        go_float(f)
    } else {
        n.to_string()
    }
}

/// Go's `%v` of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>`, ...
pub(crate) fn go_v(v: &Value) -> String {
    let mut out = String::new();
    write_go(&mut out, v, false);
    out
}

/// Go's `%s` of a decoded JSON value: like `%v` for strings, maps and slices, but
/// non-string scalars come out as `%!s(int64=1)`.
pub(crate) fn go_s(v: &Value) -> String {
    let mut out = String::new();
    write_go(&mut out, v, true);
    out
}

fn write_go(out: &mut String, v: &Value, verb_s: bool) {
    match v {
        Value::Null => out.push_str(if verb_s { "%!s(<nil>)" } else { "<nil>" }),
        Value::Bool(b) => {
            if verb_s {
                out.push_str(&format!("%!s(bool={b})"));
            } else {
                out.push_str(if *b { "true" } else { "false" });
            }
        }
        Value::Number(n) => {
            if verb_s {
                let t = if n.is_i64() { "int64" } else { "float64" };
                out.push_str(&format!("%!s({t}={})", go_number(n)));
            } else {
                out.push_str(&go_number(n));
            }
        }
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_go(out, item, verb_s);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                if let Some(val) = map.get(k.as_str()) {
                    write_go(out, val, verb_s);
                }
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(body: &str) -> String {
        match parse(body.as_bytes()) {
            Ok(p) => panic!("expected an error for {body:?}, got {:?}", p.value),
            Err(e) => e,
        }
    }

    #[test]
    fn valid_documents_decode_like_go() {
        let p = parse(br#" {"a": [1, -2, 3.5, 1e3, true, null, "x\u00e9\n"], "b": {}} "#)
            .expect("valid");
        assert_eq!(
            p.value,
            json!({"a": [1, -2, 3.5, 1000.0, true, null, "x\u{e9}\n"], "b": {}})
        );
        assert!(p.value["a"][0].is_i64());
        assert!(p.value["a"][3].is_f64(), "an exponent makes a float64");
        assert!(p.strict_errors.is_empty());
        assert_eq!(parse(b"null").expect("null").value, Value::Null);
        assert_eq!(parse(b"[]").expect("[]").value, json!([]));
        // ints beyond int64 fall back to float64
        assert!(parse(b"9223372036854775808").expect("big").value.is_f64());
    }

    #[test]
    fn syntax_errors_use_go_messages() {
        assert_eq!(err(r#"{"data":"#), "unexpected end of JSON input");
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("   "), "unexpected end of JSON input");
        assert_eq!(err("[1,2"), "unexpected end of JSON input");
        assert_eq!(
            err("{'a':1}"),
            "invalid character '\\'' looking for beginning of object key string"
        );
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(err(r#"{"a" 1}"#), "invalid character '1' after object key");
        assert_eq!(
            err(r#"{"a":1 "b":2}"#),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("{} {}"), "invalid character '{' after top-level value");
        assert_eq!(err("01"), "invalid character '1' after top-level value");
        assert_eq!(err("-x"), "invalid character 'x' in numeric literal");
        assert_eq!(
            err("1.x"),
            "invalid character 'x' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1ex"),
            "invalid character 'x' in exponent of numeric literal"
        );
        assert_eq!(
            err("tru "),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(err("nul"), "unexpected end of JSON input");
        assert_eq!(err("\"a\nb\""), "invalid character '\\n' in string literal");
        assert_eq!(
            err(r#""\x""#),
            "invalid character 'x' in string escape code"
        );
        assert_eq!(
            err(r#""\u12g4""#),
            "invalid character 'g' in \\u hexadecimal character escape"
        );
        assert_eq!(
            err("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{,}"),
            "invalid character ',' looking for beginning of object key string"
        );
        assert_eq!(
            err("\u{e9}"),
            "invalid character '\u{c3}' looking for beginning of value"
        );
    }

    #[test]
    fn syntax_errors_win_over_number_range_errors() {
        assert_eq!(
            err("[1e400]"),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
        assert_eq!(err("[1e400,"), "unexpected end of JSON input");
    }

    #[test]
    fn too_deep_documents_are_refused() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn duplicate_fields_are_reported_with_paths() {
        let p = parse(br#"{"data":{"a":"1"},"data":{"b":"2","b":"3"},"l":[{"x":1,"x":2}]}"#)
            .expect("valid");
        assert_eq!(
            p.strict_errors,
            vec![
                "duplicate field \"data\"".to_string(),
                "duplicate field \"data.b\"".to_string(),
                "duplicate field \"l[0].x\"".to_string(),
            ]
        );
        // the last value wins, as in Go's map decoding
        assert_eq!(p.value["data"], json!({"b": "3"}));
        assert_eq!(p.value["l"], json!([{"x": 2}]));
    }

    #[test]
    fn strings_are_repaired_like_go() {
        let p = parse(b"\"a\xffb\"").expect("valid");
        assert_eq!(p.value, json!("a\u{FFFD}b"));
        let p = parse(br#""\ud83d\ude00 \ud800x""#).expect("valid");
        assert_eq!(p.value, json!("\u{1F600} \u{FFFD}x"));
    }

    #[test]
    fn go_formatting() {
        let v = json!({"b": [1, "x", null], "a": {"c": true}, "f": 1.5, "g": 1e21, "h": 0.00001});
        assert_eq!(
            go_v(&v),
            "map[a:map[c:true] b:[1 x <nil>] f:1.5 g:1e+21 h:1e-05]"
        );
        assert_eq!(
            go_s(&json!({"$patch": "frobnicate"})),
            "map[$patch:frobnicate]"
        );
        assert_eq!(go_s(&json!(5)), "%!s(int64=5)");
        assert_eq!(go_s(&Value::Null), "%!s(<nil>)");
        assert_eq!(go_float(100000.0), "100000");
        assert_eq!(go_float(1000000.0), "1e+06");
        assert_eq!(go_float(123456789.0), "1.23456789e+08");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(-2.5), "-2.5");
        assert_eq!(go_quote("a\"b"), "\"a\\\"b\"");
    }
}

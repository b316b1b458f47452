//! Label and field selectors with the syntax, matching rules and error texts of
//! kube-apiserver.
//!
//! * [`LabelSelector`] parses the `labelSelector` query parameter syntax
//!   (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`)
//!   and converts `metav1.LabelSelector` objects (`matchLabels` /
//!   `matchExpressions`).
//! * [`FieldSelector`] parses the `fieldSelector` query parameter syntax
//!   (`f=v`, `f==v`, `f!=v`, with `\,` `\=` `\\` escapes), checks which fields a
//!   built-in resource supports and evaluates the selector against an object the
//!   way kube's per-type field sets render values.
//!
//! Every error message is the text kube-apiserver puts into `Status.message` of
//! its 400 BadRequest answer, so a server can return it verbatim.

use std::fmt;

use serde_json::{Map, Value};

/// An error from parsing or checking a selector. `Display` gives the exact
/// `Status.message` text kube-apiserver answers with (HTTP 400, reason BadRequest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The label selector string could not be parsed or holds invalid keys/values.
    #[error("{0}")]
    InvalidLabelSelector(String),
    /// The field selector string could not be parsed.
    #[error("{0}")]
    InvalidFieldSelector(String),
    /// The field selector names a field the resource does not support.
    #[error("{0}")]
    UnsupportedField(String),
}

impl SelectorError {
    /// The message text (same as `Display`).
    pub fn message(&self) -> &str {
        match self {
            SelectorError::InvalidLabelSelector(m)
            | SelectorError::InvalidFieldSelector(m)
            | SelectorError::UnsupportedField(m) => m,
        }
    }
}

// ---------------------------------------------------------------------------
// Shared syntax checks (label keys and values), with kube's messages.
// ---------------------------------------------------------------------------

const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/// Builds kube's "<msg> (e.g. 'a',  or 'b', regex used for validation is '<re>')" text.
pub(crate) fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    let mut out = String::from(msg);
    if examples.is_empty() {
        out.push_str(" (regex used for validation is '");
    } else {
        out.push_str(" (e.g. ");
        for (i, ex) in examples.iter().enumerate() {
            if i > 0 {
                out.push_str(" or ");
            }
            out.push('\'');
            out.push_str(ex);
            out.push_str("', ");
        }
        out.push_str("regex used for validation is '");
    }
    out.push_str(re);
    out.push_str("')");
    out
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
pub(crate) fn matches_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            is_alnum(f)
                && is_alnum(l)
                && b.iter()
                    .all(|&c| is_alnum(c) || c == b'-' || c == b'_' || c == b'.')
        }
        _ => false,
    }
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
pub(crate) fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            is_lower_alnum(f)
                && is_lower_alnum(l)
                && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
        }
        _ => false,
    }
}

/// DNS-1123 labels joined by dots.
pub(crate) fn matches_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(matches_dns1123_label)
}

/// Label-key prefix check (kube's content.IsDNS1123Subdomain, "bytes" wording).
fn label_key_prefix_errors(prefix: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if prefix.len() > 253 {
        errs.push("prefix part must be no more than 253 bytes".to_string());
    }
    if !matches_dns1123_subdomain(prefix) {
        errs.push(format!(
            "prefix part {}",
            regex_error(
                DNS1123_SUBDOMAIN_ERR,
                DNS1123_SUBDOMAIN_FMT,
                &["example.com"]
            )
        ));
    }
    errs
}

/// Validates a label key / qualified name (`[prefix/]name`); returns kube's
/// messages (empty when valid).
pub fn label_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = key.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(label_key_prefix_errors(prefix));
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 bytes".to_string());
    }
    if !matches_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Validates a label value; returns kube's messages (empty when valid).
pub fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 bytes".to_string());
    }
    if !value.is_empty() && !matches_qualified_name_part(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Go's `strconv.Quote` for the strings that appear in selector errors.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let v = c as u32;
                if v <= 0xffff {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Joins error messages the way an apimachinery aggregate prints them:
/// duplicates dropped, one message bare, several inside `[...]` joined by ", ".
pub(crate) fn aggregate_messages(msgs: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for m in msgs {
        if !seen.contains(&m.as_str()) {
            seen.push(m);
        }
    }
    match seen.len() {
        0 => String::new(),
        1 => seen[0].to_string(),
        _ => format!("[{}]", seen.join(", ")),
    }
}

// ---------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------

/// A label selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `a=b`
    Equals,
    /// `a==b`
    DoubleEquals,
    /// `a!=b`
    NotEquals,
    /// `a in (x,y)`
    In,
    /// `a notin (x,y)`
    NotIn,
    /// `a`
    Exists,
    /// `!a`
    DoesNotExist,
    /// `a>1`
    GreaterThan,
    /// `a<1`
    LessThan,
}

/// One requirement of a label selector (`key op values`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds a requirement, validating it like kube's `labels.NewRequirement`
    /// (error text = the aggregated field errors, paths relative to the requirement).
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        let mut errs: Vec<String> = Vec::new();
        let key_errs = label_key_errors(key);
        if !key_errs.is_empty() {
            errs.push(format!(
                "key: Invalid value: {}: {}",
                go_quote(key),
                key_errs.join("; ")
            ));
        }
        // Go marshals an empty (nil) value slice as `null`.
        let values_json = || {
            if values.is_empty() {
                "null".to_string()
            } else {
                serde_json::to_string(&values).unwrap_or_else(|_| "null".to_string())
            }
        };
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                        values_json()
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: exact-match compatibility requires one single value",
                        values_json()
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: values set must be empty for exists and does not exist",
                        values_json()
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                        values_json()
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(format!(
                            "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            go_quote(v)
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let msgs = label_value_errors(v);
            if !msgs.is_empty() {
                errs.push(format!(
                    "values[{i}][{key}]: Invalid value: {}: {}",
                    go_quote(v),
                    msgs.join("; ")
                ));
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::InvalidLabelSelector(aggregate_messages(
                &errs,
            )))
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values (sorted and de-duplicated when parsed from a string).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether the labels satisfy this requirement (kube semantics: `!=` and
    /// `notin` match objects without the key).
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        let current = labels.get(&self.key).and_then(Value::as_str);
        let has = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => current.is_some_and(has),
            Operator::NotIn | Operator::NotEquals => !current.is_some_and(has),
            Operator::Exists => current.is_some(),
            Operator::DoesNotExist => current.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(cur) = current.and_then(|c| c.parse::<i64>().ok()) else {
                    return false;
                };
                let [want] = self.values.as_slice() else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    cur > want
                } else {
                    cur < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        let mut vals = self.values.clone();
        vals.sort();
        f.write_str(&vals.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A parsed label selector: the AND of its requirements. The empty selector
/// matches everything; [`LabelSelector::nothing`] matches nothing (what kube
/// makes of a missing `metav1.LabelSelector`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
    Error,
}

fn keyword_token(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits a selector string into kube's token stream (always ending with
/// `EndOfString`).
fn lex(input: &str) -> Vec<(Token, String)> {
    let bytes = input.as_bytes();
    let mut pos = 0usize;
    let mut out = Vec::new();
    loop {
        while pos < bytes.len() && is_ws(bytes[pos]) {
            pos += 1;
        }
        if pos >= bytes.len() {
            out.push((Token::EndOfString, String::new()));
            return out;
        }
        if is_special(bytes[pos]) {
            // Longest run of special characters that still forms a token.
            let start = pos;
            let mut end = pos;
            let mut best: Option<(Token, usize)> = None;
            while end < bytes.len() && is_special(bytes[end]) {
                end += 1;
                match keyword_token(&input[start..end]) {
                    Some(t) => best = Some((t, end)),
                    None if best.is_some() => break,
                    None => {}
                }
            }
            match best {
                Some((tok, stop)) => {
                    out.push((tok, input[start..stop].to_string()));
                    pos = stop;
                }
                None => {
                    out.push((
                        Token::Error,
                        format!("error expected: keyword found '{}'", &input[start..end]),
                    ));
                    pos = end;
                }
            }
        } else {
            let start = pos;
            while pos < bytes.len() && !is_special(bytes[pos]) && !is_ws(bytes[pos]) {
                pos += 1;
            }
            let word = &input[start..pos];
            let tok = keyword_token(word).unwrap_or(Token::Identifier);
            out.push((tok, word.to_string()));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    pos: usize,
}

impl Parser {
    fn item(&self, idx: usize, ctx: Ctx) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(idx)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        let tok = match (ctx, tok) {
            (Ctx::Values, Token::In | Token::NotIn) => Token::Identifier,
            (_, t) => t,
        };
        (tok, lit)
    }

    fn lookahead(&self, ctx: Ctx) -> (Token, String) {
        self.item(self.pos, ctx)
    }

    fn consume(&mut self, ctx: Ctx) -> (Token, String) {
        let it = self.item(self.pos, ctx);
        if self.pos < self.items.len() {
            self.pos += 1;
        }
        it
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Ctx::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    reqs.push(r);
                    let (t, l) = self.consume(Ctx::Values);
                    match t {
                        Token::EndOfString => return Ok(reqs),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Ctx::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(reqs),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, op) = self.parse_key_and_infer_operator()?;
        if let Some(op @ (Operator::Exists | Operator::DoesNotExist)) = op {
            return Requirement::new(&key, op, Vec::new()).map_err(|e| e.message().to_string());
        }
        let op = self.parse_operator()?;
        let mut values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        values.sort();
        values.dedup();
        Requirement::new(&key, op, values).map_err(|e| e.message().to_string())
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut op = None;
        let (mut tok, mut lit) = self.consume(Ctx::Values);
        if tok == Token::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Ctx::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        let key_errs = label_key_errors(&lit);
        if !key_errs.is_empty() {
            return Err(format!(
                "<nil>: Invalid value: {}: {}",
                go_quote(&lit),
                key_errs.join("; ")
            ));
        }
        let (next, _) = self.lookahead(Ctx::Values);
        if (next == Token::EndOfString || next == Token::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((lit, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Ctx::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            }
        })
    }

    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (tok, lit) = self.consume(Ctx::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Ctx::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (closing, _) = self.consume(Ctx::Values);
                if closing != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Ctx::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut set: Vec<String> = Vec::new();
        loop {
            let (tok, lit) = self.consume(Ctx::Values);
            match tok {
                Token::Identifier => {
                    set.push(lit);
                    let (t2, l2) = self.lookahead(Ctx::Values);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.push(String::new());
                    }
                    let (t2, _) = self.lookahead(Ctx::Values);
                    if t2 == Token::ClosedPar {
                        set.push(String::new());
                        return Ok(set);
                    }
                    if t2 == Token::Comma {
                        self.consume(Ctx::Values);
                        set.push(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (tok, _) = self.lookahead(Ctx::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(vec![String::new()]);
        }
        let (tok, lit) = self.consume(Ctx::Values);
        if tok == Token::Identifier {
            Ok(vec![lit])
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

impl LabelSelector {
    /// The selector that matches everything (same as an empty selector string).
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    /// The selector that matches nothing (kube's value for a missing
    /// `metav1.LabelSelector`). Its string form is empty.
    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Parses the `labelSelector` query-parameter syntax. Errors carry the
    /// exact kube-apiserver message.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut parser = Parser {
            items: lex(input),
            pos: 0,
        };
        let mut requirements = parser
            .parse()
            .map_err(SelectorError::InvalidLabelSelector)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// Builds a selector from requirements (sorted by key like kube does).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector {
            requirements,
            nothing: false,
        }
    }

    /// Converts a `metav1.LabelSelector` JSON object (`matchLabels`,
    /// `matchExpressions`) like kube's `LabelSelectorAsSelector`: `null` gives
    /// [`LabelSelector::nothing`], `{}` gives everything.
    pub fn from_json(value: &Value) -> Result<Self, SelectorError> {
        let obj = match value {
            Value::Null => return Ok(LabelSelector::nothing()),
            Value::Object(o) => o,
            other => {
                return Err(SelectorError::InvalidLabelSelector(format!(
                    "label selector must be an object, got {other}"
                )))
            }
        };
        let mut reqs = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(ml)) => {
                for (k, v) in ml {
                    let v = v.as_str().ok_or_else(|| {
                        SelectorError::InvalidLabelSelector(format!(
                            "matchLabels[{k}] must be a string"
                        ))
                    })?;
                    let r = Requirement::new(k, Operator::Equals, vec![v.to_string()])?;
                    reqs.push(r);
                }
            }
            Some(_) => {
                return Err(SelectorError::InvalidLabelSelector(
                    "matchLabels must be an object".to_string(),
                ))
            }
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for expr in exprs {
                    let key = expr.get("key").and_then(Value::as_str).unwrap_or("");
                    let op_str = expr.get("operator").and_then(Value::as_str).unwrap_or("");
                    let op = match op_str {
                        "In" => Operator::In,
                        "NotIn" => Operator::NotIn,
                        "Exists" => Operator::Exists,
                        "DoesNotExist" => Operator::DoesNotExist,
                        other => {
                            return Err(SelectorError::InvalidLabelSelector(format!(
                                "{} is not a valid label selector operator",
                                go_quote(other)
                            )))
                        }
                    };
                    let values: Vec<String> = match expr.get("values") {
                        Some(Value::Array(vs)) => vs
                            .iter()
                            .map(|v| v.as_str().unwrap_or_default().to_string())
                            .collect(),
                        _ => Vec::new(),
                    };
                    let r = Requirement::new(key, op, values)?;
                    reqs.push(r);
                }
            }
            Some(_) => {
                return Err(SelectorError::InvalidLabelSelector(
                    "matchExpressions must be an array".to_string(),
                ))
            }
        }
        Ok(LabelSelector::from_requirements(reqs))
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// True when the selector has no requirement and matches everything.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// True for the selector that matches nothing.
    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    /// Whether a label map satisfies every requirement.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Whether an object's `metadata.labels` satisfy the selector (a missing
    /// label map counts as empty).
    pub fn matches_object(&self, obj: &Value) -> bool {
        let empty = Map::new();
        let labels = obj
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        self.matches(labels)
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------

/// A field selector comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    /// `f=v` or `f==v`
    Equals,
    /// `f!=v`
    NotEquals,
}

/// One `field op value` term of a field selector (value unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The field label, e.g. `metadata.name`.
    pub field: String,
    /// The comparison.
    pub operator: FieldOperator,
    /// The (unescaped) value.
    pub value: String,
}

/// A parsed field selector: the AND of its terms. Empty matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

/// Escapes `\`, `,` and `=` in a field selector value.
pub fn escape_field_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn unescape_field_value(v: &str) -> Result<String, SelectorError> {
    if !v.contains(['\\', ',', '=']) {
        return Ok(v.to_string());
    }
    let mut out = String::with_capacity(v.len());
    let mut in_slash = false;
    for c in v.chars() {
        if in_slash {
            if matches!(c, '\\' | ',' | '=') {
                out.push(c);
            } else {
                return Err(SelectorError::InvalidFieldSelector(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                )));
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => {
                return Err(SelectorError::InvalidFieldSelector(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )))
            }
            c => out.push(c),
        }
    }
    if in_slash {
        return Err(SelectorError::InvalidFieldSelector(
            "invalid field selector: invalid escape sequence: \\".to_string(),
        ));
    }
    Ok(out)
}

/// Splits on unescaped commas.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Finds the first operator occurrence (checking `!=`, `==`, `=` at each position).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

/// How a resource checks field labels.
enum FieldSupport {
    /// A registered conversion function: allowed labels (label -> internal
    /// label) and the error format.
    Listed {
        allowed: &'static [(&'static str, &'static str)],
        error: fn(&str) -> String,
    },
    /// Only metadata.name / metadata.namespace (kube's default conversion).
    Default,
}

fn not_supported_plain(label: &str) -> String {
    format!("field label not supported: {label}")
}

fn not_supported_job(label: &str) -> String {
    format!(
        "field label {} not supported for batchv1.Job",
        go_quote(label)
    )
}

const POD_FIELDS: &[(&str, &str)] = &[
    ("metadata.name", "metadata.name"),
    ("metadata.namespace", "metadata.namespace"),
    ("spec.nodeName", "spec.nodeName"),
    ("spec.restartPolicy", "spec.restartPolicy"),
    ("spec.schedulerName", "spec.schedulerName"),
    ("spec.serviceAccountName", "spec.serviceAccountName"),
    ("spec.hostNetwork", "spec.hostNetwork"),
    ("status.phase", "status.phase"),
    ("status.podIP", "status.podIP"),
    ("status.podIPs", "status.podIPs"),
    ("status.nominatedNodeName", "status.nominatedNodeName"),
    ("spec.host", "spec.nodeName"),
];
const NODE_FIELDS: &[(&str, &str)] = &[
    ("metadata.name", "metadata.name"),
    ("spec.unschedulable", "spec.unschedulable"),
];
const RC_FIELDS: &[(&str, &str)] = &[
    ("metadata.name", "metadata.name"),
    ("metadata.namespace", "metadata.namespace"),
    ("status.replicas", "status.replicas"),
];
const CORE_EVENT_FIELDS: &[(&str, &str)] = &[
    ("involvedObject.kind", "involvedObject.kind"),
    ("involvedObject.namespace", "involvedObject.namespace"),
    ("involvedObject.name", "involvedObject.name"),
    ("involvedObject.uid", "involvedObject.uid"),
    ("involvedObject.apiVersion", "involvedObject.apiVersion"),
    (
        "involvedObject.resourceVersion",
        "involvedObject.resourceVersion",
    ),
    ("involvedObject.fieldPath", "involvedObject.fieldPath"),
    ("reason", "reason"),
    ("reportingComponent", "reportingComponent"),
    ("source", "source"),
    ("type", "type"),
    ("metadata.namespace", "metadata.namespace"),
    ("metadata.name", "metadata.name"),
];
const EVENTS_V1_FIELDS: &[(&str, &str)] = &[
    ("reason", "reason"),
    ("regarding.kind", "involvedObject.kind"),
    ("regarding.namespace", "involvedObject.namespace"),
    ("regarding.name", "involvedObject.name"),
    ("regarding.uid", "involvedObject.uid"),
    ("regarding.apiVersion", "involvedObject.apiVersion"),
    (
        "regarding.resourceVersion",
        "involvedObject.resourceVersion",
    ),
    ("regarding.fieldPath", "involvedObject.fieldPath"),
    ("reportingController", "reportingComponent"),
    ("source", "source"),
    ("type", "type"),
    ("metadata.namespace", "metadata.namespace"),
    ("metadata.name", "metadata.name"),
];
const NAMESPACE_FIELDS: &[(&str, &str)] = &[
    ("status.phase", "status.phase"),
    ("metadata.name", "metadata.name"),
];
const SECRET_FIELDS: &[(&str, &str)] = &[
    ("type", "type"),
    ("metadata.namespace", "metadata.namespace"),
    ("metadata.name", "metadata.name"),
];
const SERVICE_FIELDS: &[(&str, &str)] = &[
    ("metadata.namespace", "metadata.namespace"),
    ("metadata.name", "metadata.name"),
    ("spec.clusterIP", "spec.clusterIP"),
    ("spec.type", "spec.type"),
];
const JOB_FIELDS: &[(&str, &str)] = &[
    ("metadata.name", "metadata.name"),
    ("metadata.namespace", "metadata.namespace"),
    ("status.successful", "status.successful"),
];
const SIGNER_FIELDS: &[(&str, &str)] = &[
    ("metadata.name", "metadata.name"),
    ("spec.signerName", "spec.signerName"),
];

fn field_support(group: &str, resource: &str) -> FieldSupport {
    let listed = |allowed, error| FieldSupport::Listed { allowed, error };
    match (group, resource) {
        ("", "pods") => listed(POD_FIELDS, not_supported_plain),
        ("", "nodes") => listed(NODE_FIELDS, not_supported_plain),
        ("", "replicationcontrollers") => listed(RC_FIELDS, not_supported_plain),
        ("", "events") => listed(CORE_EVENT_FIELDS, not_supported_plain),
        ("", "namespaces") => listed(NAMESPACE_FIELDS, not_supported_plain),
        ("", "secrets") => listed(SECRET_FIELDS, not_supported_plain),
        ("", "services") => listed(SERVICE_FIELDS, not_supported_plain),
        ("batch", "jobs") => listed(JOB_FIELDS, not_supported_job),
        ("certificates.k8s.io", "certificatesigningrequests" | "clustertrustbundles") => {
            listed(SIGNER_FIELDS, not_supported_plain)
        }
        ("events.k8s.io", "events") => listed(EVENTS_V1_FIELDS, not_supported_plain),
        _ => FieldSupport::Default,
    }
}

/// Reads a dotted path (`a.b.c`) from an object.
fn lookup<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(obj, |cur, part| cur.get(part))
}

fn scalar_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first_string(obj: &Value, paths: &[&str]) -> String {
    paths
        .iter()
        .find_map(|p| scalar_string(lookup(obj, p)).filter(|s| !s.is_empty()))
        .unwrap_or_default()
}

/// The value kube's field set holds for `field` (missing fields render as "",
/// booleans as "true"/"false", counters default to "0").
pub fn field_value(obj: &Value, field: &str) -> String {
    match field {
        "spec.hostNetwork" | "spec.unschedulable" => {
            scalar_string(lookup(obj, field)).unwrap_or_else(|| "false".to_string())
        }
        "status.replicas" => scalar_string(lookup(obj, field)).unwrap_or_else(|| "0".to_string()),
        "status.successful" => {
            scalar_string(lookup(obj, "status.succeeded")).unwrap_or_else(|| "0".to_string())
        }
        "status.podIP" => {
            let from_list = obj
                .get("status")
                .and_then(|s| s.get("podIPs"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|p| p.get("ip"))
                .and_then(Value::as_str)
                .map(str::to_string);
            from_list
                .or_else(|| scalar_string(lookup(obj, "status.podIP")))
                .unwrap_or_default()
        }
        "reportingComponent" | "reportingController" => {
            first_string(obj, &["reportingComponent", "reportingController"])
        }
        "source" => first_string(
            obj,
            &[
                "source.component",
                "deprecatedSource.component",
                "reportingComponent",
                "reportingController",
            ],
        ),
        f => {
            if let Some(sub) = f
                .strip_prefix("involvedObject.")
                .or_else(|| f.strip_prefix("regarding."))
            {
                let a = format!("involvedObject.{sub}");
                let b = format!("regarding.{sub}");
                first_string(obj, &[a.as_str(), b.as_str()])
            } else {
                scalar_string(lookup(obj, f)).unwrap_or_default()
            }
        }
    }
}

impl FieldSelector {
    /// The selector matching everything.
    pub fn everything() -> Self {
        FieldSelector::default()
    }

    /// Parses the `fieldSelector` query-parameter syntax like kube's
    /// `fields.ParseSelector` (terms sorted, `\`-escapes in values).
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(input);
        parts.sort_unstable();
        let mut requirements = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((lhs, op, rhs)) = split_term(part) else {
                return Err(SelectorError::InvalidFieldSelector(format!(
                    "invalid selector: '{input}'; can't understand '{part}'"
                )));
            };
            let value = unescape_field_value(rhs)?;
            requirements.push(FieldRequirement {
                field: lhs.to_string(),
                operator: op,
                value,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// The terms in kube's order.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// True when there is no term.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The value of an `=`/`==` term on `field`, if any (useful to narrow a
    /// list, e.g. `metadata.name`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator == FieldOperator::Equals)
            .map(|r| r.value.as_str())
    }

    /// Checks every field label against what kube-apiserver v1.33 accepts for
    /// the resource; the error carries kube's exact message.
    pub fn check_supported(&self, group: &str, resource: &str) -> Result<(), SelectorError> {
        self.transform(group, resource).map(|_| ())
    }

    /// Like [`FieldSelector::check_supported`], returning the selector with labels
    /// converted to the names the matcher uses (`spec.host` -> `spec.nodeName`,
    /// `regarding.kind` -> `involvedObject.kind`, ...).
    pub fn transform(&self, group: &str, resource: &str) -> Result<FieldSelector, SelectorError> {
        let support = field_support(group, resource);
        let mut out = Vec::with_capacity(self.requirements.len());
        for r in &self.requirements {
            let field = match &support {
                FieldSupport::Listed { allowed, error } => {
                    match allowed.iter().find(|(label, _)| *label == r.field) {
                        Some((_, internal)) => (*internal).to_string(),
                        None => return Err(SelectorError::UnsupportedField(error(&r.field))),
                    }
                }
                FieldSupport::Default => {
                    if r.field == "metadata.name" || r.field == "metadata.namespace" {
                        r.field.clone()
                    } else {
                        return Err(SelectorError::UnsupportedField(format!(
                            "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
                            go_quote(&r.field)
                        )));
                    }
                }
            };
            out.push(FieldRequirement {
                field,
                operator: r.operator,
                value: r.value.clone(),
            });
        }
        Ok(FieldSelector { requirements: out })
    }

    /// Whether the object satisfies every term (values compared as kube's field
    /// sets render them, see [`field_value`]).
    pub fn matches(&self, obj: &Value) -> bool {
        self.requirements.iter().all(|r| {
            let v = field_value(obj, &r.field);
            match r.operator {
                FieldOperator::Equals => v == r.value,
                FieldOperator::NotEquals => v != r.value,
            }
        })
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match r.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{}{}", r.field, op, escape_field_value(&r.value))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn err(s: &str) -> String {
        match LabelSelector::parse(s) {
            Ok(sel) => panic!("expected error for {s:?}, got {sel}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn golden_invalid_label_selector() {
        // errors.json invalid-label-selector: labelSelector=a in (
        assert_eq!(
            err("a in ("),
            "unable to parse requirement: found '', expected: ',', ')' or identifier"
        );
        // errors.json invalid-label-selector-value: labelSelector=a=b c
        assert_eq!(err("a=b c"), "found 'c', expected: ',' or 'end of string'");
    }

    #[test]
    fn parse_all_forms_and_canonical_string() {
        let s = LabelSelector::parse(" tier in (b, a) , app = web,!gone, env!=prod,has,x==y")
            .expect("valid");
        assert_eq!(
            s.to_string(),
            "app=web,env!=prod,!gone,has,tier in (a,b),x==y"
        );
        let s = LabelSelector::parse("a notin (x),n>3,m<5").expect("valid");
        assert_eq!(s.to_string(), "a notin (x),m<5,n>3");
        assert!(LabelSelector::parse("").expect("empty").is_empty());
        assert!(LabelSelector::parse("   ").expect("blank").is_empty());
        assert_eq!(
            LabelSelector::parse("a=").expect("empty value").to_string(),
            "a="
        );
        assert_eq!(
            LabelSelector::parse("a in (,x)")
                .expect("empty member")
                .to_string(),
            "a in (,x)"
        );
        assert_eq!(
            LabelSelector::parse("a in ()").expect("()").to_string(),
            "a in ()"
        );
        // "in" is a value in value position.
        assert_eq!(
            LabelSelector::parse("a=in").expect("kw value").to_string(),
            "a=in"
        );
    }

    #[test]
    fn parse_errors_match_kube() {
        assert_eq!(err("a,"), "found '', expected: identifier after ','");
        assert_eq!(
            err(",a"),
            "found ',', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(
            err("a b"),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            err("a in x"),
            "unable to parse requirement: found 'x' expected: '('"
        );
        assert_eq!(
            err("a in (x y)"),
            "unable to parse requirement: found 'y', expected: ',' or ')'"
        );
        assert_eq!(
            err("a=(b"),
            "unable to parse requirement: found '(', expected: identifier"
        );
        assert_eq!(
            err("!"),
            "unable to parse requirement: found '', expected: identifier"
        );
        assert_eq!(
            err("a>x"),
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        assert_eq!(
            err("a=b@"),
            "unable to parse requirement: values[0][a]: Invalid value: \"b@\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        assert_eq!(
            err("-a=b"),
            "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        assert!(err("a/b/c").contains("a valid label key must consist"));
        // '!' is an operator character, so it ends the value.
        assert_eq!(err("a=b!"), "found '!', expected: ',' or 'end of string'");
    }

    #[test]
    fn matching_semantics() {
        let l = labels(json!({"app": "web", "tier": "a", "n": "7"}));
        let m = |s: &str| LabelSelector::parse(s).expect("valid").matches(&l);
        assert!(m("app=web"));
        assert!(m("app==web,tier in (a,b)"));
        assert!(!m("app=db"));
        assert!(m("missing!=x"), "!= matches objects without the key");
        assert!(m("missing notin (x)"));
        assert!(!m("missing in (x)"));
        assert!(m("app") && m("!missing") && !m("!app") && !m("missing"));
        assert!(m("n>6") && !m("n>7") && m("n<8") && !m("app>1") && !m("missing<9"));
        assert!(m(""));
        let empty = Map::new();
        assert!(LabelSelector::parse("!a").expect("ok").matches(&empty));
        assert!(!LabelSelector::parse("a").expect("ok").matches(&empty));
        assert!(!LabelSelector::nothing().matches(&empty));
        let obj = json!({"metadata": {"name": "x"}});
        assert!(LabelSelector::parse("a!=b")
            .expect("ok")
            .matches_object(&obj));
        assert!(!LabelSelector::parse("a=b")
            .expect("ok")
            .matches_object(&obj));
    }

    #[test]
    fn from_json_selector() {
        let s = LabelSelector::from_json(&json!({
            "matchLabels": {"tier": "x", "app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["b", "a"]},
                {"key": "gone", "operator": "DoesNotExist"}
            ]
        }))
        .expect("valid");
        assert_eq!(s.to_string(), "app=web,env in (a,b),!gone,tier=x");
        assert!(s.matches(&labels(json!({"app": "web", "tier": "x", "env": "a"}))));
        assert!(!s.matches(&labels(json!({"app": "web", "tier": "x", "env": "c"}))));
        assert!(LabelSelector::from_json(&json!({}))
            .expect("empty")
            .is_empty());
        assert!(LabelSelector::from_json(&Value::Null)
            .expect("nil")
            .matches_nothing());
        let e = LabelSelector::from_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]}),
        )
        .expect_err("bad op");
        assert_eq!(
            e.to_string(),
            "\"Foo\" is not a valid label selector operator"
        );
        let e = LabelSelector::from_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
        )
        .expect_err("no values");
        assert_eq!(
            e.to_string(),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
        );
        let e =
            LabelSelector::from_json(&json!({"matchLabels": {"a": "b c"}})).expect_err("bad value");
        assert!(e
            .to_string()
            .starts_with("values[0][a]: Invalid value: \"b c\": a valid label"));
    }

    #[test]
    fn golden_field_selector_errors() {
        // errors.json unsupported-field-selector (configmaps)
        let s = FieldSelector::parse("spec.foo=bar").expect("parses");
        assert_eq!(
            s.check_supported("", "configmaps").expect_err("unsupported").to_string(),
            "\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
        // errors.json unsupported-field-selector-pods
        let s = FieldSelector::parse("spec.containers=x").expect("parses");
        assert_eq!(
            s.check_supported("", "pods")
                .expect_err("unsupported")
                .to_string(),
            "field label not supported: spec.containers"
        );
        // errors.json malformed-field-selector
        assert_eq!(
            FieldSelector::parse("metadata.name")
                .expect_err("malformed")
                .to_string(),
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
        );
    }

    #[test]
    fn field_selector_support_table() {
        let ok = |sel: &str, g: &str, r: &str| {
            FieldSelector::parse(sel)
                .expect("parse")
                .check_supported(g, r)
                .is_ok()
        };
        assert!(ok("spec.nodeName=n1,status.phase!=Running", "", "pods"));
        assert!(ok("spec.host=n1", "", "pods"));
        assert!(ok("type=kubernetes.io/tls", "", "secrets"));
        assert!(ok("status.phase=Active,metadata.name=x", "", "namespaces"));
        assert!(!ok("metadata.namespace=x", "", "namespaces"));
        assert!(ok("spec.unschedulable=true", "", "nodes"));
        assert!(ok("status.successful=1", "batch", "jobs"));
        assert!(ok(
            "spec.signerName=x",
            "certificates.k8s.io",
            "certificatesigningrequests"
        ));
        assert!(ok(
            "regarding.name=x,reportingController=y",
            "events.k8s.io",
            "events"
        ));
        assert!(ok("involvedObject.name=x,source=kubelet", "", "events"));
        assert!(ok("spec.type=NodePort,spec.clusterIP=None", "", "services"));
        assert!(!ok("status.replicas=1", "apps", "replicasets"));
        assert!(ok("status.replicas=1", "", "replicationcontrollers"));
        let e = FieldSelector::parse("status.active=1")
            .expect("parse")
            .check_supported("batch", "jobs")
            .expect_err("job");
        assert_eq!(
            e.to_string(),
            "field label \"status.active\" not supported for batchv1.Job"
        );
    }

    #[test]
    fn field_selector_parse_escape_and_display() {
        let s = FieldSelector::parse("b==x\\,y,a!=p\\=q\\\\").expect("valid");
        assert_eq!(s.requirements().len(), 2);
        assert_eq!(s.requirements()[0].field, "a");
        assert_eq!(s.requirements()[0].value, "p=q\\");
        assert_eq!(s.requirements()[1].value, "x,y");
        assert_eq!(s.to_string(), "a!=p\\=q\\\\,b=x\\,y");
        assert_eq!(s.requires_exact_match("b"), Some("x,y"));
        assert!(FieldSelector::parse("").expect("empty").is_empty());
        assert!(FieldSelector::parse(",").expect("commas only").is_empty());
        assert_eq!(
            FieldSelector::parse("a=b\\c")
                .expect_err("escape")
                .to_string(),
            "invalid field selector: invalid escape sequence: \\c"
        );
        assert_eq!(
            FieldSelector::parse("a=b=c")
                .expect_err("unescaped")
                .to_string(),
            "invalid field selector: unescaped character in value: 61"
        );
        assert_eq!(
            FieldSelector::parse("a=b\\")
                .expect_err("trailing")
                .to_string(),
            "invalid field selector: invalid escape sequence: \\"
        );
    }

    #[test]
    fn field_selector_matching() {
        let pod = json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"restartPolicy": "Always"},
            "status": {"phase": "Pending", "podIPs": [{"ip": "10.0.0.1"}]}
        });
        let m = |s: &str| FieldSelector::parse(s).expect("parse").matches(&pod);
        assert!(m("metadata.name=p,metadata.namespace=ns"));
        assert!(m("spec.nodeName="), "missing nodeName is the empty string");
        assert!(m("spec.hostNetwork=false"));
        assert!(!m("spec.hostNetwork=true"));
        assert!(m("status.phase!=Running"));
        assert!(m("status.podIP=10.0.0.1"));
        assert!(!m("metadata.name!=p"));
        let ev = json!({
            "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "p"},
            "reportingController": "ctl"
        });
        let sel = FieldSelector::parse("regarding.kind=Pod,reportingController=ctl")
            .expect("parse")
            .transform("events.k8s.io", "events")
            .expect("supported");
        assert_eq!(
            sel.to_string(),
            "involvedObject.kind=Pod,reportingComponent=ctl"
        );
        assert!(sel.matches(&ev));
        assert!(FieldSelector::parse("source=ctl")
            .expect("parse")
            .matches(&ev));
        let job = json!({"status": {"succeeded": 2}});
        assert!(FieldSelector::parse("status.successful=2")
            .expect("parse")
            .matches(&job));
        assert!(FieldSelector::parse("status.successful=0")
            .expect("parse")
            .matches(&json!({})));
    }
}

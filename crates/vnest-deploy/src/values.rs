//! The chart's values: a typed mirror of `deploy/chart/values.yaml`, the defaults from
//! that file, a user's values file merged over them (Helm's coalescing: maps merge key
//! by key, anything else replaces, `null` removes) and Helm-style `--set` overrides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::render::chart_file;

/// Everything `values.yaml` holds. Unknown keys are refused, so a typo in a values
/// file is an error instead of a silently ignored setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Values {
    pub image: Image,
    pub store: Store,
    pub control_plane: ControlPlane,
    pub sync: Sync,
    pub isolation: Isolation,
}

/// What the syncer copies to the host besides pods and what they use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sync {
    /// Every configmap (`--sync-all-configmaps`).
    pub all_config_maps: bool,
    /// Every secret, service-account tokens excepted (`--sync-all-secrets`).
    pub all_secrets: bool,
}

/// The control plane's container image; an empty tag means the chart's appVersion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    pub repository: String,
    pub tag: String,
    pub pull_policy: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreType {
    /// Embedded sqlite on the StatefulSet's PersistentVolumeClaim `data`.
    Sqlite,
    /// An existing etcd.
    Etcd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Store {
    #[serde(rename = "type")]
    pub kind: StoreType,
    pub sqlite: Sqlite,
    pub etcd: Etcd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sqlite {
    /// Size of the claim, a quantity (`5Gi`).
    pub size: String,
    /// Empty: the host's default StorageClass.
    pub storage_class: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Etcd {
    pub endpoints: Vec<String>,
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlPlane {
    /// A container's `resources` (requests, limits), passed through; `null` in a
    /// values file removes the defaults.
    #[serde(default)]
    pub resources: Map<String, Value>,
    /// privileged, baseline or restricted.
    pub pod_security_level: String,
    pub tls_sans: Vec<String>,
    pub extra_args: Vec<String>,
    pub node_selector: BTreeMap<String, String>,
    /// Pod tolerations, passed through.
    pub tolerations: Vec<Value>,
    pub pod_labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Isolation {
    /// Off by default; on, each of the three parts below is on unless switched off.
    pub enabled: bool,
    pub resource_quota: ResourceQuota,
    pub limit_range: LimitRange,
    pub network_policy: NetworkPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceQuota {
    pub enabled: bool,
    /// `spec.hard` of the ResourceQuota (quantities as strings or numbers).
    pub hard: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitRange {
    pub enabled: bool,
    pub default: BTreeMap<String, Value>,
    pub default_request: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    pub enabled: bool,
    pub outgoing: Outgoing,
}

/// Where the virtual cluster's pods may connect outside their namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Outgoing {
    pub cidr: String,
    pub except: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    #[error("values file: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("values file: the top level must be a map")]
    NotAMap,
    #[error(transparent)]
    Set(#[from] SetError),
    #[error("invalid values: {0}")]
    Invalid(String),
}

/// The chart's `values.yaml` as JSON.
pub fn default_values_json() -> Value {
    // The embedded file is checked by the tests, so this cannot fail at run time.
    serde_yaml_ng::from_str(chart_file("values.yaml")).unwrap_or(Value::Null)
}

impl Default for Values {
    /// The chart's `values.yaml`.
    fn default() -> Self {
        serde_json::from_value(default_values_json())
            .expect("deploy/chart/values.yaml matches the Values type (tested)")
    }
}

impl Values {
    /// Checks what the types cannot say.
    pub fn validate(&self) -> Result<(), ValuesError> {
        let bad = |m: String| Err(ValuesError::Invalid(m));
        if self.image.repository.is_empty() {
            return bad("image.repository must not be empty".into());
        }
        if self.store.kind == StoreType::Etcd && self.store.etcd.endpoints.is_empty() {
            return bad("store.etcd.endpoints must not be empty with store.type etcd".into());
        }
        if self.store.kind == StoreType::Sqlite && self.store.sqlite.size.is_empty() {
            return bad("store.sqlite.size must not be empty with store.type sqlite".into());
        }
        if !["privileged", "baseline", "restricted"]
            .contains(&self.control_plane.pod_security_level.as_str())
        {
            return bad(format!(
                "controlPlane.podSecurityLevel {:?} is not one of privileged, baseline, restricted",
                self.control_plane.pod_security_level
            ));
        }
        Ok(())
    }
}

/// The values `vnest create -f FILE --set ...` means: the chart's defaults, the YAML
/// text of `file` merged over them, then each `--set` expression in order.
pub fn values_from(file: Option<&str>, sets: &[impl AsRef<str>]) -> Result<Values, ValuesError> {
    let mut values = default_values_json();
    if let Some(text) = file {
        let overlay: Value = serde_yaml_ng::from_str(text)?;
        match overlay {
            Value::Null => {}
            Value::Object(_) => merge_values(&mut values, overlay),
            _ => return Err(ValuesError::NotAMap),
        }
    }
    for set in sets {
        apply_set(&mut values, set.as_ref())?;
    }
    let values: Values =
        serde_json::from_value(values).map_err(|e| ValuesError::Invalid(e.to_string()))?;
    values.validate()?;
    Ok(values)
}

/// Merges `overlay` into `base` as Helm coalesces a values file over the chart's:
/// maps merge key by key, anything else replaces, `null` removes the key.
pub fn merge_values(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                } else if let Some(slot) = b.get_mut(&k) {
                    merge_values(slot, v);
                } else {
                    b.insert(k, v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetError {
    #[error("--set {0:?}: expected key=value")]
    NoValue(String),
    #[error("--set {0:?}: empty key")]
    EmptyKey(String),
    #[error("--set {0:?}: invalid list index")]
    BadIndex(String),
    #[error("--set {0:?}: list index {1} is too large")]
    IndexTooLarge(String, usize),
    #[error("--set {0:?}: {1} is not a map")]
    NotAMap(String, String),
    #[error("--set {0:?}: {1} is not a list")]
    NotAList(String, String),
}

/// The largest list index `--set` accepts (Helm has a limit too).
const MAX_INDEX: usize = 65_536;

/// One segment of a `--set` path.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Applies Helm-style `--set` assignments to a values tree: `a.b.c=v`, several
/// separated by commas (`a=1,b=2`), list elements `a[0].b=v` (a list grows with nulls
/// as needed), `{x,y}` lists, `\.`, `\,`, `\=` and `\\` escapes. Values are typed as
/// Helm types them: `true`/`false` booleans, `null` (removes the key), integers
/// without leading zeros as numbers, everything else a string.
pub fn apply_set(root: &mut Value, expr: &str) -> Result<(), SetError> {
    for assignment in split_unescaped(expr, ',', true) {
        if assignment.is_empty() {
            continue;
        }
        let (key, value) =
            split_key_value(&assignment).ok_or_else(|| SetError::NoValue(assignment.clone()))?;
        let path = parse_path(&key, &assignment)?;
        set_path(root, &path, typed_value(&value), &assignment)?;
    }
    Ok(())
}

/// Splits at unescaped `sep`; with `braces`, not inside `{...}` (list values).
fn split_unescaped(s: &str, sep: char, braces: bool) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let cur = parts.last_mut().expect("never empty");
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '{' if braces => {
                depth += 1;
                cur.push(c);
            }
            '}' if braces => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            c if c == sep && depth == 0 => parts.push(String::new()),
            c => cur.push(c),
        }
    }
    parts
}

/// `key=value` at the first unescaped `=`; the key keeps its escapes.
fn split_key_value(s: &str) -> Option<(String, String)> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '=' => return Some((s[..i].to_string(), s[i + 1..].to_string())),
            _ => {}
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_path(key: &str, whole: &str) -> Result<Vec<Seg>, SetError> {
    let mut path = Vec::new();
    for part in split_unescaped(key, '.', false) {
        // `name[1][2]`: a key, then indexes.
        let (name, mut rest) = match find_unescaped(&part, '[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part.as_str(), ""),
        };
        if name.is_empty() {
            return Err(SetError::EmptyKey(whole.to_string()));
        }
        path.push(Seg::Key(unescape(name)));
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .filter(|_| rest.starts_with('['))
                .ok_or_else(|| SetError::BadIndex(whole.to_string()))?;
            let index: usize = rest[1..close]
                .parse()
                .map_err(|_| SetError::BadIndex(whole.to_string()))?;
            if index > MAX_INDEX {
                return Err(SetError::IndexTooLarge(whole.to_string(), index));
            }
            path.push(Seg::Index(index));
            rest = &rest[close + 1..];
        }
    }
    Ok(path)
}

fn find_unescaped(s: &str, target: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == target => return Some(i),
            _ => {}
        }
    }
    None
}

/// Helm's typing of a `--set` value.
fn typed_value(raw: &str) -> Value {
    if raw.len() >= 2 && raw.starts_with('{') && raw.ends_with('}') {
        let inner = &raw[1..raw.len() - 1];
        if inner.is_empty() {
            return Value::Array(Vec::new());
        }
        return Value::Array(
            split_unescaped(inner, ',', true)
                .iter()
                .map(|s| typed_value(s))
                .collect(),
        );
    }
    let s = unescape(raw);
    match s.as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    let digits = s.strip_prefix('-').unwrap_or(&s);
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !leading_zero {
        if let Ok(n) = s.parse::<i64>() {
            return Value::from(n);
        }
    }
    Value::String(s)
}

fn describe(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn set_path(root: &mut Value, path: &[Seg], value: Value, whole: &str) -> Result<(), SetError> {
    let mut cur = root;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Map::new());
                }
                let map = cur
                    .as_object_mut()
                    .ok_or_else(|| SetError::NotAMap(whole.to_string(), describe(&path[..i])))?;
                if last {
                    if value.is_null() {
                        map.remove(k);
                    } else {
                        map.insert(k.clone(), value);
                    }
                    return Ok(());
                }
                cur = map.entry(k.clone()).or_insert(Value::Null);
            }
            Seg::Index(n) => {
                if cur.is_null() {
                    *cur = Value::Array(Vec::new());
                }
                let list = cur
                    .as_array_mut()
                    .ok_or_else(|| SetError::NotAList(whole.to_string(), describe(&path[..i])))?;
                if list.len() <= *n {
                    list.resize(n + 1, Value::Null);
                }
                if last {
                    list[*n] = value;
                    return Ok(());
                }
                cur = &mut list[*n];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(root: Value, expr: &str) -> Value {
        let mut v = root;
        apply_set(&mut v, expr).expect(expr);
        v
    }

    #[test]
    fn defaults_parse_into_the_typed_values() {
        let v = Values::default();
        assert_eq!(v.store.kind, StoreType::Sqlite);
        assert!(!v.isolation.enabled);
        // The typed values serialize back to exactly values.yaml: nothing is lost.
        assert_eq!(
            serde_json::to_value(&v).expect("serialize"),
            default_values_json()
        );
    }

    #[test]
    fn set_types_values_like_helm() {
        assert_eq!(set(json!({}), "a=1"), json!({"a": 1}));
        assert_eq!(set(json!({}), "a=-12"), json!({"a": -12}));
        assert_eq!(set(json!({}), "a=007"), json!({"a": "007"}));
        assert_eq!(set(json!({}), "a=1.5"), json!({"a": "1.5"}));
        assert_eq!(
            set(json!({}), "a=true,b=false"),
            json!({"a": true, "b": false})
        );
        assert_eq!(set(json!({}), "a="), json!({"a": ""}));
        assert_eq!(set(json!({}), "a=x=y"), json!({"a": "x=y"}));
        assert_eq!(set(json!({"a": 1, "b": 2}), "a=null"), json!({"b": 2}));
        assert_eq!(set(json!({}), "a={x,2,true}"), json!({"a": ["x", 2, true]}));
        assert_eq!(set(json!({}), "a={}"), json!({"a": []}));
    }

    #[test]
    fn set_follows_dotted_paths_and_list_indexes() {
        assert_eq!(
            set(json!({"a": {"keep": 1}}), "a.b.c=v"),
            json!({"a": {"keep": 1, "b": {"c": "v"}}})
        );
        assert_eq!(set(json!({}), "a[1].b=x"), json!({"a": [null, {"b": "x"}]}));
        assert_eq!(
            set(json!({"a": [{"b": 1, "c": 2}]}), "a[0].b=3"),
            json!({"a": [{"b": 3, "c": 2}]})
        );
        assert_eq!(set(json!({}), "m[0][1]=z"), json!({"m": [[null, "z"]]}));
        assert_eq!(
            set(json!({}), r"labels.app\.kubernetes\.io/name=x\,y"),
            json!({"labels": {"app.kubernetes.io/name": "x,y"}})
        );
        assert_eq!(set(json!({}), "a=1,b.c=2"), json!({"a": 1, "b": {"c": 2}}));
    }

    #[test]
    fn set_refuses_what_it_cannot_mean() {
        let mut v = json!({"a": "s", "l": [1]});
        assert!(matches!(apply_set(&mut v, "a"), Err(SetError::NoValue(_))));
        assert!(matches!(
            apply_set(&mut v, ".x=1"),
            Err(SetError::EmptyKey(_))
        ));
        assert!(matches!(
            apply_set(&mut v, "a.b=1"),
            Err(SetError::NotAMap(_, _))
        ));
        assert!(matches!(
            apply_set(&mut v, "a[0]=1"),
            Err(SetError::NotAList(_, _))
        ));
        assert!(matches!(
            apply_set(&mut v, "l[x]=1"),
            Err(SetError::BadIndex(_))
        ));
        assert!(matches!(
            apply_set(&mut v, "l[0=1"),
            Err(SetError::BadIndex(_))
        ));
        assert!(matches!(
            apply_set(&mut v, "l[99999999]=1"),
            Err(SetError::IndexTooLarge(_, _))
        ));
    }

    #[test]
    fn merge_is_helm_coalescing() {
        let mut base = json!({"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": 2});
        merge_values(
            &mut base,
            json!({"a": {"c": [3]}, "d": null, "f": {"g": 1}}),
        );
        assert_eq!(
            base,
            json!({"a": {"b": 1, "c": [3]}, "e": 2, "f": {"g": 1}})
        );
    }

    #[test]
    fn values_from_file_and_sets() {
        let v = values_from(
            Some("store:\n  type: etcd\n  etcd:\n    endpoints: [http://e:2379]\n"),
            &[
                "isolation.enabled=true",
                "controlPlane.tlsSans[0]=vc.example.com",
            ],
        )
        .expect("values");
        assert_eq!(v.store.kind, StoreType::Etcd);
        assert_eq!(v.store.etcd.endpoints, vec!["http://e:2379"]);
        assert_eq!(v.store.etcd.prefix, "/vnest");
        assert!(v.isolation.enabled);
        assert_eq!(v.control_plane.tls_sans, vec!["vc.example.com"]);
        assert!(values_from(None, &["" as &str]).is_ok());
        assert!(matches!(
            values_from(Some("nope: 1\n"), &[] as &[&str]),
            Err(ValuesError::Invalid(_))
        ));
        assert!(matches!(
            values_from(Some("- a\n"), &[] as &[&str]),
            Err(ValuesError::NotAMap)
        ));
        assert!(matches!(
            values_from(None, &["store.type=etcd", "store.etcd.endpoints=null"]),
            Err(ValuesError::Invalid(_))
        ));
        assert!(matches!(
            values_from(None, &["controlPlane.podSecurityLevel=lax"]),
            Err(ValuesError::Invalid(_))
        ));
    }
}

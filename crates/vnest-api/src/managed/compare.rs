//! Comparing two versions of an object into the field paths that were added,
//! modified and removed, the way structured-merge-diff compares typed values:
//!
//! - scalars, atomic lists/maps/structs and lists or maps empty (or null) on both
//!   sides are leaves: a leaf only on the new side is added, only on the old side
//!   removed, on both sides with different values modified;
//! - any other node (struct, granular map, keyed list or set) is walked member by
//!   member; the node's own path is added when the old side did not have it and
//!   removed when the new side does not (but not when it only became `null`);
//! - free-form values (no type information) are granular maps when both sides are
//!   objects, leaves otherwise.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::schema::{ListRel, Ty, Types};
use super::set::{values_equal, PathElement, Set};

/// Nodes deeper than this are compared as leaves (bounds the recursion).
const MAX_DEPTH: usize = 256;

/// What changed between two objects.
#[derive(Debug, Clone, Default)]
pub(crate) struct Comparison {
    pub(crate) added: Set,
    pub(crate) modified: Set,
    pub(crate) removed: Set,
}

impl Comparison {
    /// Drops the paths of `fields` and everything below them.
    pub(crate) fn exclude(&mut self, fields: &Set) {
        self.added.recursive_difference(fields);
        self.modified.recursive_difference(fields);
        self.removed.recursive_difference(fields);
    }
}

/// Compares `lhs` (old) with `rhs` (new), both of type `ty`.
pub(crate) fn compare(types: &Types, ty: Ty<'_>, lhs: &Value, rhs: &Value) -> Comparison {
    let mut w = Walker {
        types,
        path: Vec::new(),
        cmp: Comparison::default(),
    };
    w.node(ty, Some(lhs), Some(rhs));
    w.cmp
}

struct Walker<'t> {
    types: &'t Types,
    path: Vec<PathElement>,
    cmp: Comparison,
}

/// The shape a free-form value has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Map,
    Other,
}

fn atom(v: &Value) -> Atom {
    if v.is_object() {
        Atom::Map
    } else {
        Atom::Other
    }
}

fn empty_map(m: Option<&Map<String, Value>>) -> bool {
    m.is_none_or(Map::is_empty)
}

/// A list item's path element, `None` when it cannot have one.
pub(crate) fn item_element(rel: &ListRel, item: &Value) -> Option<PathElement> {
    match rel {
        ListRel::Atomic => None,
        ListRel::Set => match item {
            Value::Object(_) | Value::Array(_) => None,
            v => Some(PathElement::Value(v.clone())),
        },
        ListRel::Map(keys) => {
            let obj = item.as_object()?;
            let mut fields = Vec::with_capacity(keys.len());
            for k in keys {
                let v = match obj.get(k) {
                    Some(v) => v.clone(),
                    // The only key field of the built-in types with a default.
                    None if k == "protocol" => Value::String("TCP".to_string()),
                    None => return None,
                };
                fields.push((k.clone(), v));
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            Some(PathElement::Key(fields))
        }
    }
}

/// The items of one list grouped by path element (duplicates kept together).
type Grouped<'v> = BTreeMap<PathElement, (Vec<&'v Value>, Vec<&'v Value>)>;

fn group<'v>(rel: &ListRel, lhs: &'v [Value], rhs: &'v [Value]) -> Option<Grouped<'v>> {
    let mut out: Grouped<'v> = BTreeMap::new();
    for item in lhs {
        out.entry(item_element(rel, item)?)
            .or_default()
            .0
            .push(item);
    }
    for item in rhs {
        out.entry(item_element(rel, item)?)
            .or_default()
            .1
            .push(item);
    }
    Some(out)
}

impl Walker<'_> {
    fn leaf(&mut self, lhs: Option<&Value>, rhs: Option<&Value>) {
        match (lhs, rhs) {
            (None, Some(_)) => self.cmp.added.insert(&self.path),
            (Some(_), None) => self.cmp.removed.insert(&self.path),
            (Some(l), Some(r)) if !values_equal(l, r) => self.cmp.modified.insert(&self.path),
            _ => {}
        }
    }

    /// Compares one node; `lhs`/`rhs` are `None` when that side does not have it.
    fn node(&mut self, ty: Ty<'_>, lhs: Option<&Value>, rhs: Option<&Value>) {
        let as_leaf = if self.path.len() > MAX_DEPTH {
            self.leaf(lhs, rhs);
            true
        } else {
            match ty {
                Ty::Scalar => {
                    self.leaf(lhs, rhs);
                    true
                }
                Ty::Struct(def) if def.atomic => {
                    self.leaf(lhs, rhs);
                    true
                }
                Ty::Map(_, true) => {
                    self.leaf(lhs, rhs);
                    true
                }
                Ty::Struct(_) | Ty::Custom | Ty::Map(_, false) => self.map(ty, lhs, rhs),
                Ty::List(item, rel) => self.list(self.types.ty(item), rel, lhs, rhs),
                Ty::Free => self.free(lhs, rhs),
            }
        };
        if !as_leaf {
            match (lhs, rhs) {
                (None, Some(_)) => self.cmp.added.insert(&self.path),
                (Some(_), None) => self.cmp.removed.insert(&self.path),
                _ => {}
            }
        }
    }

    fn free(&mut self, lhs: Option<&Value>, rhs: Option<&Value>) -> bool {
        let (la, ra) = (lhs.map(atom), rhs.map(atom));
        match (la, ra) {
            (Some(l), Some(r)) if l != r => {
                // The value changed shape: it is modified, and what was (or now is)
                // inside the map side is removed (or added).
                self.leaf(lhs, rhs);
                let (lm, rm) = (
                    lhs.and_then(Value::as_object),
                    rhs.and_then(Value::as_object),
                );
                self.members(Ty::Free, lm, rm);
                true
            }
            (Some(Atom::Map), _) | (_, Some(Atom::Map)) => self.map(Ty::Free, lhs, rhs),
            _ => {
                self.leaf(lhs, rhs);
                true
            }
        }
    }

    /// A struct or granular map; returns whether it was compared as a leaf.
    fn map(&mut self, ty: Ty<'_>, lhs: Option<&Value>, rhs: Option<&Value>) -> bool {
        let lm = lhs.and_then(Value::as_object);
        let rm = rhs.and_then(Value::as_object);
        if empty_map(lm) && empty_map(rm) {
            self.leaf(lhs, rhs);
            return true;
        }
        self.members(ty, lm, rm);
        false
    }

    fn members(
        &mut self,
        ty: Ty<'_>,
        lm: Option<&Map<String, Value>>,
        rm: Option<&Map<String, Value>>,
    ) {
        let types = self.types;
        if let Some(lm) = lm {
            for (k, lv) in lm {
                self.path.push(PathElement::Field(k.clone()));
                self.node(types.member(ty, k), Some(lv), rm.and_then(|m| m.get(k)));
                self.path.pop();
            }
        }
        if let Some(rm) = rm {
            for (k, rv) in rm {
                if lm.is_some_and(|m| m.contains_key(k)) {
                    continue;
                }
                self.path.push(PathElement::Field(k.clone()));
                self.node(types.member(ty, k), None, Some(rv));
                self.path.pop();
            }
        }
    }

    /// A list; returns whether it was compared as a leaf.
    fn list(
        &mut self,
        item_ty: Ty<'_>,
        rel: &ListRel,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
    ) -> bool {
        let ll = lhs.and_then(Value::as_array).map(Vec::as_slice);
        let rl = rhs.and_then(Value::as_array).map(Vec::as_slice);
        let empty = |l: Option<&[Value]>| l.is_none_or(<[Value]>::is_empty);
        if *rel == ListRel::Atomic || (empty(ll) && empty(rl)) {
            self.leaf(lhs, rhs);
            return true;
        }
        // Items without a usable key (which kube would refuse) make the list atomic.
        let Some(groups) = group(rel, ll.unwrap_or(&[]), rl.unwrap_or(&[])) else {
            self.leaf(lhs, rhs);
            return true;
        };
        for (pe, (l, r)) in groups {
            self.path.push(pe);
            match (l.as_slice(), r.as_slice()) {
                (l, r) if l.len() <= 1 && r.len() <= 1 => {
                    self.node(item_ty, l.first().copied(), r.first().copied());
                }
                (l, r) if l.len() >= 2 && r.len() >= 2 => {
                    let same =
                        l.len() == r.len() && l.iter().zip(r).all(|(a, b)| values_equal(a, b));
                    if !same {
                        self.cmp.modified.insert(&self.path);
                    }
                }
                (l, r) if l.len() >= 2 => {
                    if let Some(first) = r.first() {
                        self.node(item_ty, None, Some(first));
                    }
                    self.cmp.removed.insert(&self.path);
                }
                (l, _) => {
                    if let Some(first) = l.first() {
                        self.node(item_ty, Some(first), None);
                    }
                    self.cmp.added.insert(&self.path);
                }
            }
            self.path.pop();
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(def: Option<&str>, l: Value, r: Value) -> (Value, Value, Value) {
        let types = Types::builtin();
        let c = compare(types, types.root(def), &l, &r);
        (c.added.to_json(), c.modified.to_json(), c.removed.to_json())
    }

    #[test]
    fn leaves_and_nodes() {
        let (a, m, r) = cmp(
            Some("io.k8s.api.core.v1.ConfigMap"),
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "data": {"x": "1"}}),
            json!({"metadata": {"labels": {"a": "9"}, "annotations": {"n": "v"}}, "data": {"x": "1"}}),
        );
        assert_eq!(
            a,
            json!({"f:metadata": {"f:annotations": {".": {}, "f:n": {}}}})
        );
        assert_eq!(m, json!({"f:metadata": {"f:labels": {"f:a": {}}}}));
        assert_eq!(r, json!({"f:metadata": {"f:labels": {"f:b": {}}}}));
    }

    #[test]
    fn keyed_lists_sets_and_atomics() {
        let pod = Some("io.k8s.api.core.v1.Pod");
        let (a, m, r) = cmp(
            pod,
            json!({"metadata": {"finalizers": ["a"]}, "spec": {"containers": [{"name": "c", "image": "x"}, {"name": "d"}], "tolerations": [{"key": "k"}]}}),
            json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"containers": [{"name": "c", "image": "y"}], "tolerations": [{"key": "k2"}]}}),
        );
        assert_eq!(a, json!({"f:metadata": {"f:finalizers": {r#"v:"b""#: {}}}}));
        assert_eq!(
            m,
            json!({"f:spec": {"f:containers": {r#"k:{"name":"c"}"#: {"f:image": {}}}, "f:tolerations": {}}})
        );
        assert_eq!(
            r,
            json!({"f:spec": {"f:containers": {r#"k:{"name":"d"}"#: {".": {}, "f:name": {}}}}})
        );
    }

    #[test]
    fn null_and_empty() {
        let dep = Some("io.k8s.api.apps.v1.Deployment");
        // null -> {} is a modified leaf; {} -> {} nothing
        let (a, m, r) = cmp(
            dep,
            json!({"spec": {"template": {"spec": {"securityContext": null}}, "strategy": {}}}),
            json!({"spec": {"template": {"spec": {"securityContext": {}}}, "strategy": {}}}),
        );
        assert_eq!(a, json!({}));
        assert_eq!(
            m,
            json!({"f:spec": {"f:template": {"f:spec": {"f:securityContext": {}}}}})
        );
        assert_eq!(r, json!({}));
        // a struct becoming null loses its members but is not removed itself
        let (_, _, r) = cmp(
            dep,
            json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1}}}}),
            json!({"spec": {"strategy": {"rollingUpdate": null}}}),
        );
        assert_eq!(
            r,
            json!({"f:spec": {"f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}}}}})
        );
    }

    #[test]
    fn free_form_values() {
        let (a, m, r) = cmp(
            None,
            json!({"spec": {"a": {"b": 1}, "l": [1], "s": "x"}}),
            json!({"spec": {"a": "flat", "l": [1, 2], "s": {"t": 1}}}),
        );
        assert_eq!(a, json!({"f:spec": {"f:s": {"f:t": {}}}}));
        assert_eq!(m, json!({"f:spec": {"f:a": {}, "f:l": {}, "f:s": {}}}));
        assert_eq!(r, json!({"f:spec": {"f:a": {"f:b": {}}}}));
    }

    #[test]
    fn duplicates_and_missing_keys() {
        let pod = Some("io.k8s.api.core.v1.Pod");
        let (a, _, r) = cmp(
            pod,
            json!({"spec": {"containers": [{"name": "c"}]}}),
            json!({"spec": {"containers": [{"name": "c"}, {"name": "c", "image": "i"}]}}),
        );
        assert_eq!(
            a,
            json!({"f:spec": {"f:containers": {r#"k:{"name":"c"}"#: {}}}})
        );
        assert_eq!(
            r,
            json!({"f:spec": {"f:containers": {r#"k:{"name":"c"}"#: {".": {}, "f:name": {}}}}})
        );
        // an item without its key: the list is owned whole
        let (_, m, _) = cmp(
            pod,
            json!({"spec": {"containers": [{"name": "c"}]}}),
            json!({"spec": {"containers": [{"image": "i"}]}}),
        );
        assert_eq!(m, json!({"f:spec": {"f:containers": {}}}));
        // protocol defaults to TCP in port keys
        let (a, _, _) = cmp(
            pod,
            json!({}),
            json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}}),
        );
        assert!(a
            .to_string()
            .contains(r#"k:{\"containerPort\":80,\"protocol\":\"TCP\"}"#));
    }
}

//! Makes an object look like kube-apiserver's typed Go object converted back to JSON.
//!
//! kube-apiserver computes field ownership on typed objects: a field that is a
//! non-pointer struct is always there (as `{}` when unset), and a field whose JSON tag
//! has no `omitempty` is always written, as `null`, `""`, `0` or `false`. Whether a
//! struct or list existed before an update decides whether its path is "added", and
//! so whether the updater owns it (`".": {}`). Stored JSON may omit such fields, so
//! both sides of a comparison are filled in here first.

use serde_json::{Map, Value};

use super::schema::{Ty, Types};
use super::zero::ALWAYS_WRITTEN;

/// Deeper than this, objects are left as they are (real objects are a few dozen
/// levels deep; this bounds the recursion).
const MAX_DEPTH: usize = 256;

/// What Go writes for an unset field that it always writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zero {
    /// A non-pointer struct: `{}`, itself filled in.
    Struct,
    /// A nil pointer, slice or map, or a zero `metav1.Time`/`RawExtension`: `null`.
    Null,
    Str,
    /// A number, or a zero `IntOrString`.
    Int,
    Bool,
    /// A zero `resource.Quantity`: `"0"`.
    Quantity,
}

impl Zero {
    fn value(self) -> Value {
        match self {
            Zero::Struct => Value::Object(Map::new()),
            Zero::Null => Value::Null,
            Zero::Str => Value::String(String::new()),
            Zero::Int => Value::from(0),
            Zero::Bool => Value::Bool(false),
            Zero::Quantity => Value::String("0".to_string()),
        }
    }
}

/// The fields Go always writes for a definition.
fn always_written(definition: &str) -> &'static [(&'static str, Zero)] {
    match ALWAYS_WRITTEN.binary_search_by(|(name, _)| (*name).cmp(definition)) {
        Ok(i) => ALWAYS_WRITTEN.get(i).map(|(_, f)| *f).unwrap_or(&[]),
        Err(_) => &[],
    }
}

/// Fills in, recursively, the fields Go would write for `v` of type `ty`.
pub(crate) fn fill(types: &Types, ty: Ty<'_>, v: &mut Value) {
    fill_at(types, ty, v, 0);
}

fn fill_at(types: &Types, ty: Ty<'_>, v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match ty {
        Ty::Struct(def) => {
            let Value::Object(obj) = v else { return };
            for (name, zero) in always_written(&def.name) {
                if !obj.contains_key(*name) {
                    obj.insert((*name).to_string(), zero.value());
                }
            }
            for (k, child) in obj.iter_mut() {
                fill_at(types, types.member(ty, k), child, depth + 1);
            }
        }
        Ty::Custom => {
            if let Some(meta) = v.get_mut("metadata") {
                fill_at(types, types.member(ty, "metadata"), meta, depth + 1);
            }
        }
        Ty::List(item, _) => {
            let Value::Array(items) = v else { return };
            let item_ty = types.ty(item);
            for child in items {
                fill_at(types, item_ty, child, depth + 1);
            }
        }
        Ty::Map(value, _) => {
            let Value::Object(obj) = v else { return };
            let value_ty = types.ty(value);
            for child in obj.values_mut() {
                fill_at(types, value_ty, child, depth + 1);
            }
        }
        Ty::Scalar | Ty::Free => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_is_sorted_and_known() {
        let types = Types::builtin();
        for pair in ALWAYS_WRITTEN.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (name, _) in ALWAYS_WRITTEN {
            assert!(types.contains(name), "{name}");
        }
    }

    #[test]
    fn deployment_zero_object() {
        let types = Types::builtin();
        let ty = types.root(Some("io.k8s.api.apps.v1.Deployment"));
        let mut v = json!({});
        fill(types, ty, &mut v);
        assert_eq!(
            v,
            json!({
                "metadata": {"creationTimestamp": null},
                "spec": {
                    "selector": null,
                    "strategy": {},
                    "template": {
                        "metadata": {"creationTimestamp": null},
                        "spec": {"containers": null}
                    }
                },
                "status": {}
            })
        );
    }

    #[test]
    fn fills_list_items_and_keeps_values() {
        let types = Types::builtin();
        let ty = types.root(Some("io.k8s.api.core.v1.Pod"));
        let mut v = json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}}}],
            "securityContext": null}});
        fill(types, ty, &mut v);
        assert_eq!(
            v["spec"]["containers"][0]["resources"],
            json!({"limits": {"cpu": "1"}})
        );
        assert_eq!(v["spec"]["securityContext"], Value::Null);
        let mut v =
            json!({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}});
        fill(types, ty, &mut v);
        assert_eq!(v["spec"]["containers"][0]["resources"], json!({}));
        let mut v = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        fill(types, ty, &mut v);
        assert_eq!(v["status"]["conditions"][0]["lastProbeTime"], Value::Null);
        // custom resources: only metadata is typed
        let mut v = json!({"metadata": {"name": "x"}, "spec": {}});
        fill(types, Ty::Custom, &mut v);
        assert_eq!(
            v,
            json!({"metadata": {"name": "x", "creationTimestamp": null}, "spec": {}})
        );
    }
}

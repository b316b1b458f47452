//! Strategic merge patch (`application/strategic-merge-patch+json`) as kube-apiserver
//! applies it (apimachinery `strategicpatch.StrategicMergeMapPatch` with
//! `MergeParallelList` and `IgnoreUnmatchedNulls`).
//!
//! Maps merge key by key and `null` deletes a key. Lists whose field has
//! `patchStrategy: merge` merge: lists of objects by their `patchMergeKey`, lists of
//! scalars as sets; every other list is replaced. Directives:
//! - `$patch: replace | delete` on a map (and `$patch: delete | replace` as a list item),
//! - `$retainKeys: [...]` drops the keys of the live map that are not listed,
//! - `$setElementOrder/<list>: [...]` orders the merged list,
//! - `$deleteFromPrimitiveList/<list>: [...]` removes scalars from a list.
//!
//! The result is what the Go code builds before decoding it into the typed object, with
//! two clean-ups that decoding would have done anyway: `null` map values taken over
//! verbatim from the patch are dropped, and empty live lists are tolerated where Go
//! would never have them. Unknown fields (including directives left inside values that
//! were taken over whole, which Go leaves in and the typed decode then drops or reports)
//! are the caller's business, exactly as for the other patch types.

use serde_json::{Map, Value};

use super::gojson::{self, go_s, go_type, go_type_name, go_v, GoType};
use super::schema::{retain_keys_strategy, Node, PatchSchema};
use super::{FieldValidation, PatchError};

const DIRECTIVE: &str = "$patch";
const DELETE: &str = "delete";
const REPLACE: &str = "replace";
const MERGE: &str = "merge";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

const MAP_TYPE: &str = "map[string]interface {}";
const SLICE_TYPE: &str = "[]interface {}";

/// The 415 kube-apiserver gives for a strategic merge patch on a type it has no patch
/// metadata for (custom resources).
pub const UNSUPPORTED_MESSAGE: &str = "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

/// Decodes a strategic-merge-patch body as kube-apiserver does.
///
/// Returns the patch (always an object; `null` becomes `{}`) and, when `validation` is
/// `Warn` or `Strict`, the strict-decoding complaints (`duplicate field "a"`).
/// Errors are 400s whose text is the bare Go decoder message.
pub fn decode_strategic_merge_patch(
    body: &[u8],
    validation: FieldValidation,
) -> Result<(Value, Vec<String>), PatchError> {
    let parsed = gojson::parse(body).map_err(PatchError::BadRequest)?;
    let strict_errors = if validation.reports_strict_errors() {
        parsed.strict_errors
    } else {
        Vec::new()
    };
    match parsed.value {
        Value::Object(m) => Ok((Value::Object(m), strict_errors)),
        Value::Null => Ok((Value::Object(Map::new()), strict_errors)),
        other => Err(PatchError::BadRequest(format!(
            "json: cannot unmarshal {} into Go value of type {MAP_TYPE}",
            gojson::json_kind(&other)
        ))),
    }
}

/// Applies strategic merge patch `patch` to `original`, an object of OpenAPI
/// definition `definition` (e.g. `io.k8s.api.apps.v1.Deployment`).
///
/// A definition the schema does not know gives the 415 kube-apiserver sends for custom
/// resources; check [`PatchSchema::contains`] first to answer before reading the body.
pub fn strategic_merge(
    original: &Value,
    patch: &Value,
    schema: &PatchSchema,
    definition: &str,
) -> Result<Value, PatchError> {
    let Some(root) = schema.root(definition) else {
        return Err(PatchError::UnsupportedMediaType(
            UNSUPPORTED_MESSAGE.to_string(),
        ));
    };
    let original = match original {
        Value::Object(m) => m.clone(),
        other => {
            return Err(PatchError::Internal(bad_arg_type(MAP_TYPE, other)));
        }
    };
    let patch = match patch {
        Value::Object(m) => m.clone(),
        Value::Null => return Ok(Value::Object(original)),
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type {MAP_TYPE}",
                gojson::json_kind(other)
            )))
        }
    };
    let merger = Merger { schema };
    merger.merge_map(original, patch, root).map(Value::Object)
}

// --- errors with apimachinery's texts --------------------------------------------

fn bad_arg_type(expected: &str, actual: &Value) -> String {
    format!(
        "expected a {expected}, but received a {}",
        go_type_name(actual)
    )
}

fn no_merge_key(m: &Value, key: &str) -> PatchError {
    PatchError::Internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_v(m)
    ))
}

fn bad_patch_type(directive: &Value, m: &Value) -> PatchError {
    PatchError::Internal(format!(
        "unknown patch type: {} in map: {}",
        go_s(directive),
        go_v(m)
    ))
}

fn bad_primitive_list() -> PatchError {
    PatchError::BadRequest("invalid patch format of primitive list".to_string())
}

fn bad_retain_keys() -> PatchError {
    PatchError::BadRequest("invalid patch format of retainKeys".to_string())
}

fn bad_set_element_order() -> PatchError {
    PatchError::BadRequest("invalid patch format of setElementOrder list".to_string())
}

fn not_a_map_at(index: usize) -> PatchError {
    PatchError::Internal(format!("value for key {index} is not a map."))
}

// --- value helpers ------------------------------------------------------------------

/// Go's `==` on two decoded values (only scalars are comparable; maps and slices
/// would make Go panic, here they never match).
fn go_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => false,
        _ => go_type(a) == go_type(b) && a == b,
    }
}

/// `discardNullValuesFromPatch`: drops `null` map entries at every level.
fn discard_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => discard_nulls_map(m),
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

fn discard_nulls_map(m: &mut Map<String, Value>) {
    m.retain(|_, v| !v.is_null());
    m.values_mut().for_each(discard_nulls);
}

/// `removeDirectives`: maps holding `$patch` disappear (`None` = drop the field/item).
fn remove_directives(v: Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(DIRECTIVE) {
                return None;
            }
            let mut out = Map::new();
            for (k, child) in m {
                if let Some(c) = remove_directives(child) {
                    out.insert(k, c);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// A patch value taken over whole: nulls dropped, `$patch` maps removed.
fn take_patch_value(mut v: Value) -> Option<Value> {
    discard_nulls(&mut v);
    remove_directives(v)
}

/// Splits `$prefix/field` into `field` (`extractKey`).
fn extract_key<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    match key.split_once('/') {
        Some((p, rest)) if p == prefix => Some(rest),
        _ => None,
    }
}

fn has_directive(v: &Value, directive: &str) -> bool {
    v.get(DIRECTIVE).and_then(Value::as_str) == Some(directive)
}

/// `sliceElementType`: the common Go type of all elements.
fn slice_element_type(lists: &[&[Value]]) -> Result<GoType, PatchError> {
    let mut prev: Option<GoType> = None;
    for v in lists.iter().flat_map(|l| l.iter()) {
        let t = go_type(v);
        match prev {
            None => {
                if t == GoType::Slice {
                    return Err(PatchError::Rejected(
                        "lists of lists are not supported".to_string(),
                    ));
                }
                prev = Some(t);
            }
            Some(p) if p != t => {
                let all = Value::Array(lists.iter().map(|l| Value::Array(l.to_vec())).collect());
                return Err(PatchError::Internal(format!(
                    "list element types are not identical: {}",
                    go_v(&all)
                )));
            }
            Some(_) => {}
        }
    }
    prev.ok_or_else(|| PatchError::Internal("no elements in any of the given slices".to_string()))
}

/// The merge-key value of a list item; `None` when it has none (Go's nil).
fn merge_value<'v>(item: &'v Value, key: &str, kind: GoType) -> Option<&'v Value> {
    if kind == GoType::Map {
        item.as_object().and_then(|m| m.get(key))
    } else {
        Some(item)
    }
}

/// `index`: position of `item` in `list`, comparing merge-key values for maps.
fn index_in(list: &[Value], item: &Value, key: &str, kind: GoType) -> Option<usize> {
    let want = merge_value(item, key, kind);
    list.iter().position(|v| {
        let got = merge_value(v, key, kind);
        match (want, got) {
            (None, None) => true,
            (Some(a), Some(b)) => go_eq(a, b),
            _ => false,
        }
    })
}

/// Finds the map in `list` whose `key` equals `value` (`findMapInSliceBasedOnKeyValue`).
fn find_by_key(list: &[Value], key: &str, value: &Value) -> Result<Option<usize>, PatchError> {
    for (i, v) in list.iter().enumerate() {
        let Some(m) = v.as_object() else {
            return Err(not_a_map_at(i));
        };
        if m.get(key).is_some_and(|x| go_eq(x, value)) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// `validateMergeKeyInLists`
fn validate_merge_keys(key: &str, lists: &[&[Value]]) -> Result<(), PatchError> {
    for item in lists.iter().flat_map(|l| l.iter()) {
        let Some(m) = item.as_object() else {
            return Err(PatchError::Internal(bad_arg_type(MAP_TYPE, item)));
        };
        if !m.contains_key(key) {
            return Err(no_merge_key(item, key));
        }
    }
    Ok(())
}

/// `extractToDeleteItems`: splits off the `$patch: delete` items.
fn split_delete_items(list: Vec<Value>) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut keep = Vec::new();
    let mut delete = Vec::new();
    for v in list {
        if !v.is_object() {
            return Err(PatchError::Internal(bad_arg_type(MAP_TYPE, &v)));
        }
        if has_directive(&v, DELETE) {
            delete.push(v);
        } else {
            keep.push(v);
        }
    }
    Ok((keep, delete))
}

/// Go's `sort.SliceStable` with the ordering function of `normalizeSliceOrder`, which
/// treats "not found in `order`" as smaller than anything. When every item is found
/// this is a plain stable sort by position.
fn sort_by_order(items: Vec<Value>, order: &[Value], key: &str, kind: GoType) -> Vec<Value> {
    let mut keyed: Vec<(Option<usize>, Value)> = items
        .into_iter()
        .map(|v| (index_in(order, &v, key, kind), v))
        .collect();
    if keyed.iter().all(|(i, _)| i.is_some()) {
        keyed.sort_by_key(|(i, _)| *i);
    } else {
        // Go's insertion sort (what SliceStable does for up to 20 items).
        for i in 1..keyed.len() {
            let mut j = i;
            while j > 0 {
                let less = match (keyed[j].0, keyed[j - 1].0) {
                    (Some(a), Some(b)) => a < b,
                    _ => true,
                };
                if !less {
                    break;
                }
                keyed.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// `normalizeSliceOrder`
fn normalize_slice_order(
    items: Vec<Value>,
    order: &[Value],
    key: &str,
    kind: GoType,
) -> Result<Vec<Value>, PatchError> {
    let (items, deletes) = if kind == GoType::Map {
        validate_merge_keys(key, &[&items, order])?;
        split_delete_items(items)?
    } else {
        (items, Vec::new())
    };
    let mut sorted = sort_by_order(items, order, key, kind);
    sorted.extend(deletes);
    Ok(sorted)
}

/// `mergeSortedSlice`: interleaves server-only items (`left`) into the patch items
/// (`right`) using their positions in the live list.
fn merge_sorted(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: &str,
    kind: GoType,
) -> Vec<Value> {
    let left_idx: Vec<Option<usize>> = left
        .iter()
        .map(|v| index_in(server_order, v, key, kind))
        .collect();
    let right_idx: Vec<Option<usize>> = right
        .iter()
        .map(|v| index_in(server_order, v, key, kind))
        .collect();
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().zip(left_idx).peekable();
    let mut right = right.into_iter().zip(right_idx).peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((_, Some(l))), Some((_, Some(r)))) => l < r,
            _ => false,
        };
        let next = if take_left { left.next() } else { right.next() };
        if let Some((v, _)) = next {
            out.push(v);
        }
    }
    out
}

/// `normalizeElementOrder`
fn normalize_element_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: &str,
    kind: GoType,
) -> Result<Vec<Value>, PatchError> {
    let patch_items = normalize_slice_order(patch_items, patch_order, key, kind)?;
    let server_only = normalize_slice_order(server_only, server_order, key, kind)?;
    Ok(merge_sorted(
        server_only,
        patch_items,
        server_order,
        key,
        kind,
    ))
}

/// `partitionPrimitivesByPresentInList`
fn partition_primitives(merged: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    merged
        .into_iter()
        .partition(|v| by.iter().any(|b| go_eq(v, b)))
}

/// `partitionMapsByPresentInList`
fn partition_maps(
    merged: Vec<Value>,
    by: &[Value],
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut in_patch = Vec::new();
    let mut server_only = Vec::new();
    for v in merged {
        let Some(m) = v.as_object() else {
            return Err(PatchError::Internal(bad_arg_type(MAP_TYPE, &v)));
        };
        let Some(mv) = m.get(key) else {
            return Err(no_merge_key(&v, key));
        };
        if find_by_key(by, key, mv)?.is_some() {
            in_patch.push(v);
        } else {
            server_only.push(v);
        }
    }
    Ok((in_patch, server_only))
}

fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    if key.is_empty() {
        Ok(partition_primitives(merged, by))
    } else {
        partition_maps(merged, by, key)
    }
}

/// `mergeKeyValueEqual`
fn merge_key_value_equal(left: &Value, right: &Value, key: &str) -> Result<bool, PatchError> {
    if key.is_empty() {
        return Ok(go_eq(left, right));
    }
    let (Some(l), Some(r)) = (left.as_object(), right.as_object()) else {
        let bad = if left.is_object() { right } else { left };
        return Err(PatchError::Internal(bad_arg_type(MAP_TYPE, bad)));
    };
    let Some(lv) = l.get(key) else {
        return Err(no_merge_key(left, key));
    };
    let Some(rv) = r.get(key) else {
        return Err(no_merge_key(right, key));
    };
    Ok(go_eq(lv, rv))
}

/// `validatePatchWithSetOrderList`: the patch list must follow the order given by
/// `$setElementOrder` and hold no item missing from it.
fn validate_against_set_order(
    patch_list: &[Value],
    set_order: &[Value],
    key: &str,
) -> Result<(), PatchError> {
    if set_order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let non_delete = if key.is_empty() {
        patch_list.to_vec()
    } else {
        split_delete_items(patch_list.to_vec())?.0
    };
    let (mut pi, mut si) = (0, 0);
    while pi < non_delete.len() && si < set_order.len() {
        if non_delete[pi].get(DIRECTIVE).is_some() && non_delete[pi].is_object() {
            pi += 1;
            continue;
        }
        if merge_key_value_equal(&non_delete[pi], &set_order[si], key)? {
            pi += 1;
        }
        si += 1;
    }
    if pi < non_delete.len() && si >= set_order.len() {
        return Err(PatchError::Internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_v(&Value::Array(patch_list.to_vec())),
            go_v(&Value::Array(set_order.to_vec()))
        )));
    }
    Ok(())
}

/// `applyRetainKeysDirective`
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(bad_retain_keys());
    };
    let listed = |k: &str| retain.iter().any(|v| v.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null()
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || k.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !listed(k) {
            return Err(bad_retain_keys());
        }
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// `handleDirectiveInMergeMap`
fn handle_map_directive(
    directive: &Value,
    mut patch: Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    match directive.as_str() {
        Some(REPLACE) => {
            patch.shift_remove(DIRECTIVE);
            discard_nulls_map(&mut patch);
            Ok(patch)
        }
        Some(DELETE) => Ok(Map::new()),
        _ => Err(bad_patch_type(directive, &Value::Object(patch))),
    }
}

struct Merger<'s> {
    schema: &'s PatchSchema,
}

impl<'s> Merger<'s> {
    /// `mergeMap`
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        node: Node<'s>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(DIRECTIVE).cloned() {
            return handle_map_directive(&directive, patch);
        }
        apply_retain_keys(&mut original, &mut patch)?;
        self.apply_set_element_order(&mut original, &mut patch, node)?;

        for (raw_key, patch_v) in patch {
            let (key, is_delete_list) = if raw_key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
                match extract_key(&raw_key, DELETE_FROM_PRIMITIVE_LIST) {
                    Some(k) => (k.to_string(), true),
                    None => return Err(bad_primitive_list()),
                }
            } else {
                (raw_key, false)
            };

            if patch_v.is_null() {
                original.shift_remove(&key);
                continue;
            }
            let Some(orig_v) = original.get_mut(&key) else {
                if !is_delete_list {
                    if let Some(v) = take_patch_value(patch_v) {
                        original.insert(key, v);
                    }
                }
                continue;
            };

            match (orig_v, patch_v) {
                (Value::Object(o), Value::Object(p)) => {
                    let (sub, meta) = self.schema.lookup_struct(node, &key)?;
                    let (_, strategy) = retain_keys_strategy(meta.strategies)?;
                    let merged = if strategy == REPLACE {
                        let mut p = p;
                        discard_nulls_map(&mut p);
                        p
                    } else {
                        self.merge_map(std::mem::take(o), p, sub)?
                    };
                    *o = merged;
                }
                (Value::Array(o), Value::Array(p)) => {
                    let (sub, meta) = self.schema.lookup_slice(node, &key)?;
                    let (_, strategy) = retain_keys_strategy(meta.strategies)?;
                    let merged = self.merge_slice_handler(
                        std::mem::take(o),
                        p,
                        sub,
                        strategy,
                        meta.merge_key,
                        is_delete_list,
                    )?;
                    *o = merged;
                }
                (o, p) => {
                    if go_type(o) != go_type(&p) && is_delete_list {
                        continue;
                    }
                    match take_patch_value(p) {
                        Some(v) => *o = v,
                        None => {
                            original.shift_remove(&key);
                        }
                    }
                }
            }
        }
        Ok(original)
    }

    /// `mergePatchIntoOriginal`: merges every list that has a `$setElementOrder`
    /// directive and orders it.
    fn apply_set_element_order(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        node: Node<'s>,
    ) -> Result<(), PatchError> {
        let order_keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for order_key in order_keys {
            let Some(order) = patch.shift_remove(&order_key) else {
                continue;
            };
            let Value::Array(order) = order else {
                return Err(PatchError::Internal(bad_arg_type(SLICE_TYPE, &order)));
            };
            let field = extract_key(&order_key, SET_ELEMENT_ORDER)
                .ok_or_else(bad_set_element_order)?
                .to_string();
            let original_list = match original.get(&field) {
                None => None,
                Some(Value::Array(l)) => Some(l.clone()),
                Some(other) => return Err(PatchError::Internal(bad_arg_type(SLICE_TYPE, other))),
            };
            let patch_list = match patch.get(&field) {
                None => None,
                Some(Value::Array(l)) => Some(l.clone()),
                Some(other) => return Err(PatchError::Internal(bad_arg_type(SLICE_TYPE, other))),
            };
            let (sub, meta) = self.schema.lookup_slice(node, &field)?;
            let (_, strategy) = retain_keys_strategy(meta.strategies)?;
            let key = meta.merge_key;
            validate_against_set_order(patch_list.as_deref().unwrap_or_default(), &order, key)?;

            let original_items = original_list.clone().unwrap_or_default();
            let patch_items_raw = patch_list.clone().unwrap_or_default();
            let merged = match (original_list, patch_list) {
                (Some(o), None) => o,
                (None, Some(p)) => {
                    let mut v = Value::Array(p);
                    discard_nulls(&mut v);
                    match remove_directives(v) {
                        Some(Value::Array(items)) => items,
                        _ => continue,
                    }
                }
                (Some(o), Some(p)) => self.merge_slice_handler(o, p, sub, strategy, key, false)?,
                (None, None) => continue,
            };

            if original_items.is_empty() && patch_items_raw.is_empty() {
                // Go only ever sees absent lists here (empty ones are omitted when it
                // converts the live object); keep whatever is there.
                original.insert(field.clone(), Value::Array(merged));
                patch.shift_remove(&field);
                continue;
            }
            let (in_order, server_only) = partition(merged, &order, key)?;
            let kind = slice_element_type(&[&original_items, &patch_items_raw])?;
            let ordered =
                normalize_element_order(in_order, server_only, &order, &original_items, key, kind)?;
            original.insert(field.clone(), Value::Array(ordered));
            patch.shift_remove(&field);
        }
        Ok(())
    }

    /// `mergeSliceHandler`
    fn merge_slice_handler(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        elem: Node<'s>,
        strategy: &str,
        merge_key: &str,
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        if strategy == MERGE || is_delete_list {
            self.merge_slice(original, patch, elem, merge_key, is_delete_list)
        } else {
            let mut v = Value::Array(patch);
            discard_nulls(&mut v);
            match v {
                Value::Array(items) => Ok(items),
                _ => Ok(Vec::new()),
            }
        }
    }

    /// `mergeSlice`
    fn merge_slice(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        elem: Node<'s>,
        key: &str,
        is_delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let kind = slice_element_type(&[&original, &patch])?;
        let (original, patch, merged) = if kind != GoType::Map {
            if is_delete_list {
                return Ok(original
                    .into_iter()
                    .filter(|v| !patch.iter().any(|d| go_eq(v, d)))
                    .collect());
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for v in original.iter().chain(patch.iter()) {
                if !merged.iter().any(|m| go_eq(m, v)) {
                    merged.push(v.clone());
                }
            }
            (original, patch, merged)
        } else {
            if key.is_empty() {
                return Err(PatchError::Internal(format!(
                    "cannot merge lists without merge key for {}",
                    elem.kind_name()
                )));
            }
            let (original, patch) = merge_special_elements(original, patch, key)?;
            let merged = self.merge_by_key(original.clone(), &patch, key, elem)?;
            (original, patch, merged)
        };
        let (in_patch, server_only) = partition(merged, &patch, key)?;
        normalize_element_order(in_patch, server_only, &patch, &original, key, kind)
    }

    /// `mergeSliceWithoutSpecialElements`
    fn merge_by_key(
        &self,
        mut original: Vec<Value>,
        patch: &[Value],
        key: &str,
        elem: Node<'s>,
    ) -> Result<Vec<Value>, PatchError> {
        for v in patch {
            let Some(pm) = v.as_object() else {
                return Err(PatchError::Internal(bad_arg_type(MAP_TYPE, v)));
            };
            let Some(mv) = pm.get(key) else {
                return Err(no_merge_key(v, key));
            };
            match find_by_key(&original, key, mv)? {
                Some(i) => {
                    let current = match std::mem::take(&mut original[i]) {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    };
                    original[i] = Value::Object(self.merge_map(current, pm.clone(), elem)?);
                }
                None => {
                    let mut item = v.clone();
                    discard_nulls(&mut item);
                    original.push(item);
                }
            }
        }
        Ok(original)
    }
}

/// `mergeSliceWithSpecialElements`: applies `$patch: delete` items, notices
/// `$patch: replace`, and returns the live list and the remaining patch items.
fn merge_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for v in patch {
        let Some(directive) = v.get(DIRECTIVE) else {
            plain.push(v);
            continue;
        };
        match directive.as_str() {
            Some(DELETE) => {
                let Some(mv) = v.get(key) else {
                    return Err(no_merge_key(&v, key));
                };
                while let Some(i) = find_by_key(&original, key, mv)? {
                    original.remove(i);
                }
            }
            Some(REPLACE) => replace = true,
            Some(MERGE) => {
                return Err(PatchError::Internal(
                    "merging lists cannot yet be specified in the patch".to_string(),
                ))
            }
            _ => return Err(bad_patch_type(directive, &v)),
        }
    }
    if replace {
        Ok((plain, Vec::new()))
    } else {
        Ok((original, plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POD: &str = "io.k8s.api.core.v1.Pod";
    const DEPLOYMENT: &str = "io.k8s.api.apps.v1.Deployment";
    const CONFIGMAP: &str = "io.k8s.api.core.v1.ConfigMap";

    fn smp(original: Value, patch: Value, def: &str) -> Result<Value, PatchError> {
        strategic_merge(&original, &patch, PatchSchema::builtin(), def)
    }

    fn ok(original: Value, patch: Value, def: &str) -> Value {
        match smp(original, patch, def) {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    fn pod(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        let cm =
            json!({"metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"x": "1"}});
        let out = ok(
            cm,
            json!({"metadata": {"labels": {"b": null, "c": "3"}}, "data": {"y": "2"}, "binaryData": null}),
            CONFIGMAP,
        );
        assert_eq!(
            out,
            json!({"metadata": {"name": "c", "labels": {"a": "1", "c": "3"}}, "data": {"x": "1", "y": "2"}})
        );
    }

    #[test]
    fn new_values_drop_nulls_and_patch_directives() {
        let out = ok(
            json!({"metadata": {"name": "c"}}),
            json!({"metadata": {"labels": {"a": "1", "gone": null}, "annotations": {"$patch": "delete"}}}),
            CONFIGMAP,
        );
        assert_eq!(
            out,
            json!({"metadata": {"name": "c", "labels": {"a": "1"}}})
        );
    }

    #[test]
    fn containers_merge_by_name_new_items_first() {
        let original = pod(json!({"containers": [
            {"name": "a", "image": "a:1"},
            {"name": "b", "image": "b:1"}
        ]}));
        // Without $setElementOrder, items are placed by their position in the live list;
        // a new item (no position) goes before the server-only item it is compared with.
        let out = ok(
            original.clone(),
            json!({"spec": {"containers": [{"name": "c", "image": "c:1"}, {"name": "b", "image": "b:2"}]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["containers"],
            json!([
                {"name": "c", "image": "c:1"},
                {"name": "a", "image": "a:1"},
                {"name": "b", "image": "b:2"}
            ])
        );
    }

    #[test]
    fn ports_merge_by_container_port() {
        let original = pod(json!({"containers": [{"name": "a", "image": "x", "ports": [
            {"containerPort": 80, "protocol": "TCP", "name": "http"},
            {"containerPort": 443, "protocol": "TCP"}
        ]}]}));
        let out = ok(
            original,
            json!({"spec": {"containers": [{"name": "a", "ports": [
                {"containerPort": 80, "name": "web"},
                {"containerPort": 443, "$patch": "delete"},
                {"containerPort": 8080}
            ]}]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([
                {"containerPort": 80, "protocol": "TCP", "name": "web"},
                {"containerPort": 8080}
            ])
        );
    }

    #[test]
    fn volumes_merge_by_name_with_retain_keys() {
        let original = pod(json!({"containers": [{"name": "a"}], "volumes": [
            {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420}},
            {"name": "tmp", "emptyDir": {}}
        ]}));
        let out = ok(
            original,
            json!({"spec": {"volumes": [
                {"$retainKeys": ["name", "secret"], "name": "cfg", "secret": {"secretName": "s"}}
            ]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["volumes"],
            json!([
                {"name": "cfg", "secret": {"secretName": "s"}},
                {"name": "tmp", "emptyDir": {}}
            ])
        );
    }

    #[test]
    fn retain_keys_must_cover_the_patch() {
        let original = json!({"spec": {"strategy": {"type": "RollingUpdate"}}});
        let err = smp(
            original,
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": {}}}}),
            DEPLOYMENT,
        )
        .expect_err("rollingUpdate is not retained");
        assert_eq!(
            err,
            PatchError::BadRequest("invalid patch format of retainKeys".into())
        );
        assert_eq!(err.code(), 400);
        let err = smp(
            json!({"spec": {}}),
            json!({"spec": {"strategy": {"$retainKeys": "type"}}}),
            DEPLOYMENT,
        );
        // the live object has no strategy: the patch value is taken over whole
        assert!(err.is_ok());
        let err = smp(
            json!({"spec": {"strategy": {"type": "Recreate"}}}),
            json!({"spec": {"strategy": {"$retainKeys": "type"}}}),
            DEPLOYMENT,
        )
        .expect_err("not a list");
        assert_eq!(err.to_string(), "invalid patch format of retainKeys");
    }

    #[test]
    fn tolerations_have_no_merge_key_and_are_replaced() {
        let original = pod(json!({"containers": [{"name": "a"}], "tolerations": [
            {"key": "a", "operator": "Exists"},
            {"key": "b", "operator": "Exists"}
        ]}));
        let out = ok(
            original,
            json!({"spec": {"tolerations": [{"key": "c", "operator": "Equal", "value": "x", "effect": null}]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["tolerations"],
            json!([{"key": "c", "operator": "Equal", "value": "x"}])
        );
    }

    #[test]
    fn finalizers_are_a_merged_set() {
        let cm = json!({"metadata": {"name": "c", "finalizers": ["a", "b"]}});
        let out = ok(
            cm.clone(),
            json!({"metadata": {"finalizers": ["b", "c"]}}),
            CONFIGMAP,
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
        let out = ok(
            cm.clone(),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "zzz"]}}),
            CONFIGMAP,
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
        // deleting from an absent list does not create it
        let out = ok(
            json!({"metadata": {"name": "c"}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
            CONFIGMAP,
        );
        assert_eq!(out, json!({"metadata": {"name": "c"}}));
        // kubectl's form: order, deletions and additions together
        let out = ok(
            json!({"metadata": {"name": "c", "finalizers": ["a", "b", "x"]}}),
            json!({"metadata": {
                "$setElementOrder/finalizers": ["c", "a"],
                "$deleteFromPrimitiveList/finalizers": ["b"],
                "finalizers": ["c"]
            }}),
            CONFIGMAP,
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "a", "x"]));
    }

    #[test]
    fn delete_from_primitive_list_works_on_lists_without_merge_strategy() {
        let original = pod(json!({"containers": [{"name": "a", "args": ["x", "y", "z"]}]}));
        let out = ok(
            original,
            json!({"spec": {"containers": [{"name": "a", "$deleteFromPrimitiveList/args": ["y"]}]}}),
            POD,
        );
        assert_eq!(out["spec"]["containers"][0]["args"], json!(["x", "z"]));
    }

    #[test]
    fn patch_replace_and_delete_on_maps_and_lists() {
        let original = pod(json!({
            "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}],
            "nodeSelector": {"k1": "v1", "k2": "v2"}
        }));
        let out = ok(
            original.clone(),
            json!({"spec": {"nodeSelector": {"$patch": "replace", "k3": "v3"}}}),
            POD,
        );
        assert_eq!(out["spec"]["nodeSelector"], json!({"k3": "v3"}));
        let out = ok(
            original.clone(),
            json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "z", "image": "z"}]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "z", "image": "z"}])
        );
        let out = ok(
            original.clone(),
            json!({"spec": {"containers": [{"$patch": "delete", "name": "a"}]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "b", "image": "y"}])
        );
        let out = ok(
            original,
            json!({"spec": {"nodeSelector": {"$patch": "delete"}}}),
            POD,
        );
        assert_eq!(out["spec"]["nodeSelector"], json!({}));
    }

    #[test]
    fn patch_strategy_replace_on_a_map_field() {
        // PodDisruptionBudgetSpec.selector has patchStrategy "replace"
        let pdb = json!({"spec": {"selector": {"matchLabels": {"a": "1"}}, "minAvailable": 1}});
        let out = ok(
            pdb,
            json!({"spec": {"selector": {"matchExpressions": [{"key": "b", "operator": "Exists"}]}}}),
            "io.k8s.api.policy.v1.PodDisruptionBudget",
        );
        assert_eq!(
            out["spec"]["selector"],
            json!({"matchExpressions": [{"key": "b", "operator": "Exists"}]})
        );
    }

    #[test]
    fn bad_directives_give_kube_errors() {
        let cm = json!({"metadata": {"name": "c"}, "data": {"a": "1"}});
        let err = smp(cm.clone(), json!({"$patch": "frobnicate"}), CONFIGMAP).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "unknown patch type: frobnicate in map: map[$patch:frobnicate]"
        );
        assert_eq!((err.code(), err.reason()), (500, ""));
        let err =
            smp(cm.clone(), json!({"data": {"$patch": "merge"}}), CONFIGMAP).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "unknown patch type: merge in map: map[$patch:merge]"
        );
        let original = pod(json!({"containers": [{"name": "a"}]}));
        let err = smp(
            original.clone(),
            json!({"spec": {"containers": [{"$patch": "merge", "name": "a"}]}}),
            POD,
        )
        .expect_err("bad");
        assert_eq!(
            err.to_string(),
            "merging lists cannot yet be specified in the patch"
        );
        let err = smp(
            original.clone(),
            json!({"spec": {"containers": [{"image": "x"}]}}),
            POD,
        )
        .expect_err("no merge key");
        assert_eq!(
            err.to_string(),
            "map: map[image:x] does not contain declared merge key: name"
        );
        let err = smp(
            original.clone(),
            json!({"spec": {"containers": [{"$patch": "delete"}]}}),
            POD,
        )
        .expect_err("no merge key");
        assert_eq!(
            err.to_string(),
            "map: map[$patch:delete] does not contain declared merge key: name"
        );
        let err = smp(
            cm.clone(),
            json!({"metadata": {"$deleteFromPrimitiveList": ["a"]}}),
            CONFIGMAP,
        )
        .expect_err("bad key");
        assert_eq!(
            err,
            PatchError::BadRequest("invalid patch format of primitive list".into())
        );
        let err = smp(
            original.clone(),
            json!({"spec": {"$setElementOrder": []}}),
            POD,
        )
        .expect_err("bad key");
        assert_eq!(
            err.to_string(),
            "invalid patch format of setElementOrder list"
        );
        let err = smp(
            original,
            json!({"spec": {"$setElementOrder/containers": "a"}}),
            POD,
        )
        .expect_err("not a list");
        assert_eq!(
            err.to_string(),
            "expected a []interface {}, but received a string"
        );
    }

    #[test]
    fn set_element_order_must_match_the_patch_list() {
        let original = pod(json!({"containers": [{"name": "a"}, {"name": "b"}]}));
        let err = smp(
            original.clone(),
            json!({"spec": {
                "$setElementOrder/containers": [{"name": "a"}],
                "containers": [{"name": "b", "image": "x"}]
            }}),
            POD,
        )
        .expect_err("b is not in the order list");
        assert_eq!(
            err.to_string(),
            "The order in patch list:\n[map[image:x name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n"
        );
        // reordering only
        let out = ok(
            original,
            json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "b"}, {"name": "a"}])
        );
    }

    #[test]
    fn set_element_order_for_a_list_new_to_the_object() {
        let original = pod(json!({"containers": [{"name": "a", "image": "x"}]}));
        let out = ok(
            original,
            json!({"spec": {"containers": [{"name": "a",
                "$setElementOrder/env": [{"name": "B"}, {"name": "A"}],
                "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]
            }]}}),
            POD,
        );
        assert_eq!(
            out["spec"]["containers"][0]["env"],
            json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}])
        );
    }

    #[test]
    fn lists_of_mixed_types_and_lists_of_lists() {
        let cm = json!({"metadata": {"name": "c", "finalizers": ["a"]}});
        let err = smp(cm, json!({"metadata": {"finalizers": [1]}}), CONFIGMAP).expect_err("mixed");
        assert_eq!(
            err.to_string(),
            "list element types are not identical: [[a] [1]]"
        );
        let cm = json!({"metadata": {"name": "c", "finalizers": ["a"]}});
        let err =
            smp(cm, json!({"metadata": {"finalizers": [["x"]]}}), CONFIGMAP).expect_err("nested");
        assert_eq!(err.code(), 500);
        let cm = json!({"metadata": {"name": "c", "finalizers": [["a"]]}});
        let err =
            smp(cm, json!({"metadata": {"finalizers": [["x"]]}}), CONFIGMAP).expect_err("nested");
        assert_eq!(
            (err.code(), err.reason(), err.detail()),
            (422, "Invalid", "lists of lists are not supported")
        );
    }

    #[test]
    fn unknown_definitions_and_bad_inputs() {
        let err = smp(json!({}), json!({}), "com.example.v1.Widget").expect_err("unknown");
        assert_eq!((err.code(), err.reason()), (415, "UnsupportedMediaType"));
        assert_eq!(err.to_string(), UNSUPPORTED_MESSAGE);
        let err = smp(json!({}), json!([1]), CONFIGMAP).expect_err("array");
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(ok(json!({"a": 1}), Value::Null, CONFIGMAP), json!({"a": 1}));
        // a field unknown to the type, present on both sides as maps
        let err = smp(
            json!({"spec": {"bogus": {"a": 1}}}),
            json!({"spec": {"bogus": {"b": 2}}}),
            DEPLOYMENT,
        )
        .expect_err("unknown field");
        assert_eq!(
            err.to_string(),
            "unable to find api field in struct DeploymentSpec for the json field \"bogus\""
        );
    }

    #[test]
    fn scalars_and_type_changes_take_the_patch_value() {
        let original = json!({"spec": {"replicas": 1, "paused": false, "template": {"metadata": {"labels": {"a": "b"}}}}});
        let out = ok(
            original,
            json!({"spec": {"replicas": 3, "paused": true, "template": {"metadata": {"labels": "x"}}}}),
            DEPLOYMENT,
        );
        assert_eq!(
            out,
            json!({"spec": {"replicas": 3, "paused": true, "template": {"metadata": {"labels": "x"}}}})
        );
    }

    /// The deepest body the decoder accepts, merged into an equally deep object, must
    /// fit a 2 MiB stack (tokio's default) even unoptimised.
    #[test]
    fn deep_documents() {
        fn nested(levels: usize, leaf: Value) -> Value {
            let mut v = leaf;
            for _ in 0..levels {
                v = json!({"properties": {"x": v}});
            }
            v
        }
        fn crd(schema: Value) -> Value {
            json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": schema}}]}})
        }
        let worker = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                // 5 levels of CRD, 2 per schema level and the leaf: exactly the limit
                let levels = (gojson::MAX_DEPTH - 6) / 2;
                let original = crd(nested(levels, json!({"type": "string"})));
                let body = crd(nested(levels, json!({"type": "integer"}))).to_string();
                let (patch, _) = decode_strategic_merge_patch(body.as_bytes(), FieldValidation::Warn)
                    .map_err(|e| e.to_string())?;
                let out = strategic_merge(
                    &original,
                    &patch,
                    PatchSchema::builtin(),
                    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
                )
                .map_err(|e| e.to_string())?;
                let deeper = crd(nested(levels + 1, json!({}))).to_string();
                let refused = decode_strategic_merge_patch(deeper.as_bytes(), FieldValidation::Warn);
                Ok::<_, String>((out == patch, refused.is_err()))
            });
        let result = worker.map(|h| h.join());
        match result {
            Ok(Ok(Ok((merged, refused)))) => {
                assert!(merged, "the deep leaf was not replaced");
                assert!(refused, "a body past the depth limit was accepted");
            }
            other => panic!("deep merge failed: {other:?}"),
        }
    }

    #[test]
    fn decode_rules() {
        let (p, strict) =
            decode_strategic_merge_patch(br#"{"a":1,"a":2}"#, FieldValidation::Warn).expect("ok");
        assert_eq!(p, json!({"a": 2}));
        assert_eq!(strict, vec!["duplicate field \"a\"".to_string()]);
        let (_, strict) =
            decode_strategic_merge_patch(br#"{"a":1,"a":2}"#, FieldValidation::Ignore).expect("ok");
        assert!(strict.is_empty());
        let (p, _) = decode_strategic_merge_patch(b"null", FieldValidation::Strict).expect("ok");
        assert_eq!(p, json!({}));
        let err =
            decode_strategic_merge_patch(br#"{"data":"#, FieldValidation::Warn).expect_err("bad");
        assert_eq!(
            err,
            PatchError::BadRequest("unexpected end of JSON input".into())
        );
        let err = decode_strategic_merge_patch(b"[]", FieldValidation::Ignore).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
    }
}

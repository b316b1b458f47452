//! LimitRanger and ResourceQuota admission, as kube-apiserver runs them on create:
//! LimitRange defaults fill in container requests and limits (mutating, before
//! validation), LimitRange bounds are checked, then every quota of the namespace that
//! the object concerns is charged. A charge is a compare-and-swap of the quota's
//! `status.used`, so concurrent creates cannot overcommit; the quota controller later
//! recomputes `used` from what is stored (releasing what deletes and failed creates
//! left behind). The pure rules live in [`vnest_api::quota`].

use bytes::Bytes;
use serde_json::{json, Value};
use vnest_api::quota::{self as rules, Charge};
use vnest_api::status::ApiError;
use vnest_store::{Revision, StoreError};

use crate::objects::{self, resource_prefix};
use crate::rest::{ResourceDef, Rest};

/// Charging retries this often when the quota changes under it.
const CHARGE_ATTEMPTS: usize = 8;

/// Every object of a core resource in `ns` as the watch cache has it, with its key and
/// the revision it was written at.
fn core_objects(rest: &Rest, resource: &str, ns: &str) -> Vec<(String, Value, Revision)> {
    let prefix = resource_prefix("", resource, Some(ns));
    rest.cache
        .list(&prefix)
        .0
        .into_iter()
        .map(|(key, obj)| {
            let revision = objects::resource_version(&obj)
                .and_then(|rv| rv.parse().ok())
                .unwrap_or(0);
            (key, (*obj).clone(), revision)
        })
        .collect()
}

fn limit_ranges(rest: &Rest, ns: &str) -> Vec<Value> {
    core_objects(rest, "limitranges", ns)
        .into_iter()
        .map(|(_, v, _)| v)
        .collect()
}

fn limited(def: &ResourceDef) -> bool {
    def.group.is_empty() && matches!(def.resource.as_str(), "pods" | "persistentvolumeclaims")
}

/// LimitRanger's mutating half: container defaults for a new pod.
pub async fn default_limits(
    rest: &Rest,
    def: &ResourceDef,
    ns: &str,
    obj: &mut Value,
) -> Result<(), ApiError> {
    if !(def.group.is_empty() && def.resource == "pods") {
        return Ok(());
    }
    let ranges = limit_ranges(rest, ns);
    if ranges.is_empty() {
        return Ok(());
    }
    if let Some(note) = rules::apply_limit_defaults(obj, &ranges) {
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            if let Some(a) = annotations.as_object_mut() {
                a.insert("kubernetes.io/limit-ranger".into(), json!(note));
            }
        }
    }
    Ok(())
}

/// LimitRanger's validating half.
pub async fn check_limits(
    rest: &Rest,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    obj: &Value,
) -> Result<(), ApiError> {
    if !limited(def) {
        return Ok(());
    }
    let ranges = limit_ranges(rest, ns);
    if ranges.is_empty() {
        return Ok(());
    }
    let errors = if def.resource == "pods" {
        rules::pod_limit_violations(obj, &ranges)
    } else {
        rules::claim_limit_violations(obj, &ranges)
    };
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::forbidden(
        def.target(name),
        &rules::aggregate(&errors),
    ))
}

/// ResourceQuota admission for a create: refuses what would exceed a quota, else
/// charges every concerned quota (not on dry runs).
pub async fn charge(
    rest: &Rest,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    obj: &Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let delta = rules::usage(&def.group, &def.resource, obj);
    for attempt in 0..CHARGE_ATTEMPTS {
        if attempt > 0 {
            // The cache was behind the quota we lost the race on: catch up first.
            rest.cache
                .sync()
                .await
                .map_err(|e| ApiError::internal(format!("{e:?}")))?;
        }
        let quotas = core_objects(rest, "resourcequotas", ns);
        let mut updates = Vec::new();
        let mut failures = Vec::new();
        for (key, quota, revision) in &quotas {
            if !rules::quota_applies(quota, &def.group, &def.resource, obj) {
                continue;
            }
            let quota_name = objects::meta_str(quota, "name").unwrap_or("").to_string();
            let hard: Vec<&str> = quota
                .pointer("/spec/hard")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| k.as_str())
                .filter(|k| rules::concerns(&def.group, &def.resource, k))
                .collect();
            if hard.is_empty() {
                continue;
            }
            if def.group.is_empty() && def.resource == "pods" {
                if let Some(missing) = rules::missing_requirements(&hard, obj) {
                    failures.push(format!(
                        "failed quota: {quota_name}: must specify {missing}"
                    ));
                    continue;
                }
            }
            match rules::charge(&quota_name, quota, &delta) {
                Charge::Refused(why) => failures.push(why),
                Charge::Fits(next) => {
                    let before = rules::quota_list(quota, "/status/used").0;
                    if next != before {
                        updates.push((key.clone(), quota.clone(), *revision, next));
                    }
                }
            }
        }
        if !failures.is_empty() {
            return Err(ApiError::forbidden(def.target(name), &failures.join("; ")));
        }
        if dry_run || updates.is_empty() {
            return Ok(());
        }
        match write_usage(rest, updates).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(ApiError::internal(e.to_string())),
        }
    }
    Err(ApiError::new(
        409,
        "Conflict",
        "Operation cannot be fulfilled on resourcequotas: the quota changed too often while charging it, please retry",
    ))
}

/// Writes the new `status.used` of each quota, each conditional on the revision read.
/// A conflict on a later quota leaves earlier ones charged; the quota controller's
/// recount releases such an over-charge.
async fn write_usage(
    rest: &Rest,
    updates: Vec<(String, Value, Revision, rules::Amounts)>,
) -> Result<(), StoreError> {
    for (key, mut quota, revision, used) in updates {
        let used_json = rules::used_json(&quota, &used);
        if let Some(obj) = quota.as_object_mut() {
            let status = obj.entry("status").or_insert_with(|| json!({}));
            if let Some(st) = status.as_object_mut() {
                st.insert("used".into(), used_json);
            }
        }
        rest.store
            .update(&key, Bytes::from(objects::encode(&quota)), revision)
            .await?;
    }
    Ok(())
}

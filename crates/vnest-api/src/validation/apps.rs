//! Validation of workload kinds: Deployment, ReplicaSet, StatefulSet,
//! DaemonSet (apps/v1), Job and CronJob (batch/v1) and Scale.

use serde_json::{json, Map, Value};

use super::core::{
    get_arr, get_i64, labels_value, nonnegative, validate_pod_spec, validate_pod_template,
};
use super::field::{child, index, FieldError};
use super::meta::{str_of, validate_labels, validate_object_meta, validate_template_meta};
use super::names::{label_key_errors, label_value_errors, NameRule};
use super::ValidationOptions;
use crate::selector::LabelSelector;

/// `metav1` `ValidateLabelSelector` (strict label values) at `path`.
pub fn validate_label_selector(sel: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(Value::Object(ml)) = sel.get("matchLabels") {
        errs.extend(validate_labels(ml, &child(path, "matchLabels")));
    }
    for (i, expr) in get_arr(sel, "matchExpressions").iter().enumerate() {
        let p = index(&child(path, "matchExpressions"), i);
        let op = str_of(expr, "operator");
        let values = get_arr(expr, "values");
        match op {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        &child(&p, "values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        &child(&p, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                &child(&p, "operator"),
                op,
                "not a valid selector operator",
            )),
        }
        let k = str_of(expr, "key");
        for msg in label_key_errors(k) {
            errs.push(FieldError::invalid(&child(&p, "key"), k, msg));
        }
        for (vi, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or("");
            for msg in label_value_errors(v) {
                errs.push(FieldError::invalid(
                    &index(&child(&p, "values"), vi),
                    v,
                    msg,
                ));
            }
        }
    }
    errs
}

fn selector_is_empty(sel: &Value) -> bool {
    let n_labels = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .map_or(0, Map::len);
    n_labels + get_arr(sel, "matchExpressions").len() == 0
}

/// The selector in kube's rendering (matchLabels sorted, empty parts omitted).
fn selector_value(sel: &Value) -> Value {
    let mut out = Map::new();
    if let Some(ml) = sel
        .get("matchLabels")
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
    {
        out.insert("matchLabels".into(), labels_value(Some(ml)));
    }
    let exprs = get_arr(sel, "matchExpressions");
    if !exprs.is_empty() {
        out.insert("matchExpressions".into(), Value::Array(exprs.to_vec()));
    }
    Value::Object(out)
}

fn template_labels_map(template: &Value) -> Map<String, Value> {
    template
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn template_labels_value(template: &Value) -> Value {
    labels_value(template.get("metadata").and_then(|m| m.get("labels")))
}

/// Checks the parsed selector against the template labels (kube skips the
/// check for an empty selector; a missing selector matches nothing).
fn check_template_match(
    selector: &LabelSelector,
    template: &Value,
    labels_path: &str,
    errs: &mut Vec<FieldError>,
) {
    if !selector.is_empty() && !selector.matches(&template_labels_map(template)) {
        errs.push(FieldError::invalid(
            labels_path,
            template_labels_value(template),
            "`selector` does not match template `labels`",
        ));
    }
}

fn template_restart_policy(template: &Value) -> &str {
    template
        .get("spec")
        .and_then(|s| s.get("restartPolicy"))
        .and_then(Value::as_str)
        .unwrap_or("Always")
}

/// Shared part of Deployment / ReplicaSet: selector + template for a
/// replicated pod controller.
fn validate_replicated(
    spec: &Value,
    what: &str,
    opts: &ValidationOptions,
    errs: &mut Vec<FieldError>,
) {
    let null = Value::Null;
    let sel = spec.get("selector").unwrap_or(&null);
    if sel.is_null() {
        errs.push(FieldError::required("spec.selector", ""));
    } else {
        errs.extend(validate_label_selector(sel, "spec.selector"));
        if selector_is_empty(sel) {
            errs.push(FieldError::invalid(
                "spec.selector",
                selector_value(sel),
                format!("empty selector is invalid for {what}"),
            ));
        }
    }
    let template = spec.get("template").unwrap_or(&null);
    match LabelSelector::from_json(sel) {
        Err(_) => errs.push(FieldError::invalid(
            "spec.selector",
            selector_value(sel),
            "invalid label selector",
        )),
        Ok(selector) => {
            check_template_match(&selector, template, "spec.template.metadata.labels", errs);
            errs.extend(validate_pod_template(template, "spec.template", opts));
            let rp = template_restart_policy(template);
            if rp != "Always" {
                errs.push(FieldError::not_supported(
                    "spec.template.spec.restartPolicy",
                    rp,
                    &["Always"],
                ));
            }
            if template
                .get("spec")
                .and_then(|s| s.get("activeDeadlineSeconds"))
                .is_some_and(|v| !v.is_null())
            {
                errs.push(FieldError::forbidden(
                    "spec.template.spec.activeDeadlineSeconds",
                    "activeDeadlineSeconds in ReplicaSet is not Supported",
                ));
            }
        }
    }
}

fn int_or_string_value(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => json!(s),
        Some(Value::Number(n)) => Value::Number(n.clone()),
        _ => json!(0),
    }
}

fn int_or_percent(v: &Value, path: &str, errs: &mut Vec<FieldError>) -> Option<i64> {
    match v {
        Value::String(s) => {
            let digits = s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
            match digits.and_then(|d| d.parse::<i64>().ok()) {
                Some(p) => {
                    if p > 100 {
                        errs.push(FieldError::invalid(
                            path,
                            s.as_str(),
                            "must not be greater than 100%",
                        ));
                    }
                    Some(p)
                }
                None => {
                    errs.push(FieldError::invalid(
                        path,
                        s.as_str(),
                        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                    ));
                    None
                }
            }
        }
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            if n < 0 {
                errs.push(FieldError::invalid(
                    path,
                    n,
                    "must be greater than or equal to 0",
                ));
            }
            Some(n)
        }
        _ => None,
    }
}

fn validate_deployment_strategy(spec: &Value, errs: &mut Vec<FieldError>) {
    let null = Value::Null;
    let strategy = spec.get("strategy").unwrap_or(&null);
    let ty = strategy
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate");
    let ru = strategy.get("rollingUpdate").filter(|v| !v.is_null());
    match ty {
        "Recreate" => {
            if ru.is_some() {
                errs.push(FieldError::forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => {
            let default = json!("25%");
            let mu = ru
                .and_then(|r| r.get("maxUnavailable"))
                .filter(|v| !v.is_null())
                .unwrap_or(&default);
            let ms = ru
                .and_then(|r| r.get("maxSurge"))
                .filter(|v| !v.is_null())
                .unwrap_or(&default);
            let mu_path = "spec.strategy.rollingUpdate.maxUnavailable";
            let mut local = Vec::new();
            let u = int_or_percent(mu, mu_path, &mut local);
            let s = int_or_percent(ms, "spec.strategy.rollingUpdate.maxSurge", &mut local);
            // kube reports the "not more than 100%" error after the zero check.
            let (over, other): (Vec<FieldError>, Vec<FieldError>) = local
                .into_iter()
                .partition(|e| e.detail == "must not be greater than 100%" && e.path == mu_path);
            errs.extend(other);
            if u == Some(0) && s == Some(0) {
                errs.push(FieldError::invalid(
                    mu_path,
                    mu.clone(),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
            errs.extend(over);
        }
        _ => {
            let ru_value = ru.map(|r| {
                json!({
                    "MaxUnavailable": int_or_string_value(r.get("maxUnavailable")),
                    "MaxSurge": int_or_string_value(r.get("maxSurge"))
                })
            });
            errs.push(FieldError::not_supported(
                "spec.strategy",
                json!({"Type": ty, "RollingUpdate": ru_value.unwrap_or(Value::Null)}),
                &["Recreate", "RollingUpdate"],
            ));
        }
    }
}

/// `ValidateDeployment`.
pub fn validate_deployment(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let spec = obj.get("spec").unwrap_or(&null);
    nonnegative(spec, "replicas", "spec", &mut errs);
    validate_replicated(spec, "deployment", opts, &mut errs);
    validate_deployment_strategy(spec, &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    nonnegative(spec, "revisionHistoryLimit", "spec", &mut errs);
    if let Some(pds) = get_i64(spec, "progressDeadlineSeconds") {
        if pds < 0 {
            errs.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                pds,
                "must be greater than or equal to 0",
            ));
        } else if pds <= get_i64(spec, "minReadySeconds").unwrap_or(0) {
            errs.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                pds,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// `ValidateReplicaSet`.
pub fn validate_replicaset(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let spec = obj.get("spec").unwrap_or(&null);
    nonnegative(spec, "replicas", "spec", &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    validate_replicated(spec, "deployment", opts, &mut errs);
    errs
}

/// `ValidateStatefulSet`.
pub fn validate_statefulset(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsLabel);
    let spec = obj.get("spec").unwrap_or(&null);
    if let Some(pmp) = spec.get("podManagementPolicy").and_then(Value::as_str) {
        if pmp != "OrderedReady" && pmp != "Parallel" {
            errs.push(FieldError::invalid(
                "spec.podManagementPolicy",
                pmp,
                "must be 'OrderedReady' or 'Parallel'",
            ));
        }
    }
    if let Some(us) = spec.get("updateStrategy").filter(|v| !v.is_null()) {
        let ty = us
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("RollingUpdate");
        let ru = us.get("rollingUpdate").filter(|v| !v.is_null());
        match ty {
            "RollingUpdate" => {}
            "OnDelete" => {
                if let Some(ru) = ru {
                    errs.push(FieldError::invalid(
                        "spec.updateStrategy.rollingUpdate",
                        ru.clone(),
                        "only allowed for updateStrategy 'RollingUpdate'",
                    ));
                }
            }
            _ => errs.push(FieldError::invalid(
                "spec.updateStrategy",
                json!({"Type": ty, "RollingUpdate": ru.cloned().unwrap_or(Value::Null)}),
                "must be 'RollingUpdate' or 'OnDelete'",
            )),
        }
    }
    nonnegative(spec, "replicas", "spec", &mut errs);
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    let sel = spec.get("selector").unwrap_or(&null);
    if sel.is_null() {
        errs.push(FieldError::required("spec.selector", ""));
    } else {
        errs.extend(validate_label_selector(sel, "spec.selector"));
        if selector_is_empty(sel) {
            errs.push(FieldError::invalid(
                "spec.selector",
                selector_value(sel),
                "empty selector is invalid for statefulset",
            ));
        }
    }
    let template = spec.get("template").unwrap_or(&null);
    match LabelSelector::from_json(sel) {
        Err(_) => errs.push(FieldError::invalid(
            "spec.selector",
            selector_value(sel),
            "",
        )),
        Ok(selector) => {
            check_template_match(
                &selector,
                template,
                "spec.template.metadata.labels",
                &mut errs,
            );
            // kube checks a statefulset template's labels at `spec.template.labels`.
            let tmeta = template.get("metadata").cloned().unwrap_or(Value::Null);
            errs.extend(validate_template_meta(Some(&tmeta), "spec.template"));
            let mut tspec = template.get("spec").cloned().unwrap_or(Value::Null);
            // Volumes may come from volumeClaimTemplates.
            let claims: Vec<Value> = get_arr(spec, "volumeClaimTemplates")
                .iter()
                .filter_map(|c| c.get("metadata").and_then(|m| m.get("name")).cloned())
                .map(|n| json!({"name": n}))
                .collect();
            if let Some(t) = tspec.as_object_mut() {
                if !claims.is_empty() {
                    let mut vols = t
                        .get("volumes")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    vols.extend(claims);
                    t.insert("volumes".into(), Value::Array(vols));
                }
            }
            errs.extend(validate_pod_spec(&tspec, "spec.template.spec", opts));
        }
    }
    let rp = template_restart_policy(template);
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            rp,
            &["Always"],
        ));
    }
    if template
        .get("spec")
        .and_then(|s| s.get("activeDeadlineSeconds"))
        .is_some_and(|v| !v.is_null())
    {
        errs.push(FieldError::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
    errs
}

/// `ValidateDaemonSet`.
pub fn validate_daemonset(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let spec = obj.get("spec").unwrap_or(&null);
    let sel = spec.get("selector").unwrap_or(&null);
    if !sel.is_null() {
        errs.extend(validate_label_selector(sel, "spec.selector"));
    }
    let template = spec.get("template").unwrap_or(&null);
    if let Ok(selector) = LabelSelector::from_json(sel) {
        if !selector.matches(&template_labels_map(template)) {
            errs.push(FieldError::invalid(
                "spec.template.metadata.labels",
                template_labels_value(template),
                "`selector` does not match template `labels`",
            ));
        }
    }
    if !sel.is_null() && selector_is_empty(sel) {
        errs.push(FieldError::invalid(
            "spec.selector",
            selector_value(sel),
            "empty selector is invalid for daemonset",
        ));
    }
    errs.extend(validate_pod_template(template, "spec.template", opts));
    let rp = template_restart_policy(template);
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            rp,
            &["Always"],
        ));
    }
    if let Some(ads) = template
        .get("spec")
        .and_then(|s| s.get("activeDeadlineSeconds"))
        .filter(|v| !v.is_null())
    {
        errs.push(FieldError::invalid(
            "spec.template.spec.activeDeadlineSeconds",
            ads.clone(),
            "activeDeadlineSeconds must be nil for daemonset",
        ));
    }
    nonnegative(spec, "minReadySeconds", "spec", &mut errs);
    if let Some(us) = spec.get("updateStrategy").filter(|v| !v.is_null()) {
        let ty = us
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("RollingUpdate");
        if ty != "RollingUpdate" && ty != "OnDelete" {
            let ru = us.get("rollingUpdate").filter(|v| !v.is_null()).map(|r| {
                json!({
                    "MaxUnavailable": int_or_string_value(r.get("maxUnavailable")),
                    "MaxSurge": int_or_string_value(r.get("maxSurge"))
                })
            });
            errs.push(FieldError::not_supported(
                "spec.updateStrategy",
                json!({"Type": ty, "RollingUpdate": ru.unwrap_or(Value::Null)}),
                &["RollingUpdate", "OnDelete"],
            ));
        }
    }
    nonnegative(spec, "revisionHistoryLimit", "spec", &mut errs);
    errs
}

fn validate_job_spec(
    spec: &Value,
    path: &str,
    opts: &ValidationOptions,
    errs: &mut Vec<FieldError>,
) {
    for k in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ] {
        nonnegative(spec, k, path, errs);
    }
    if let Some(mode) = spec.get("completionMode").and_then(Value::as_str) {
        if mode != "NonIndexed" && mode != "Indexed" {
            errs.push(FieldError::not_supported(
                &child(path, "completionMode"),
                mode,
                &["NonIndexed", "Indexed"],
            ));
        }
    }
    let null = Value::Null;
    let template = spec.get("template").unwrap_or(&null);
    let tpath = child(path, "template");
    errs.extend(validate_pod_template(template, &tpath, opts));
    let rp_path = child(&tpath, "spec.restartPolicy");
    match template_restart_policy(template) {
        "Always" | "" => errs.push(FieldError::required(
            &rp_path,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        "OnFailure" | "Never" => {}
        other => errs.push(FieldError::not_supported(
            &rp_path,
            other,
            &["OnFailure", "Never"],
        )),
    }
    // The selector is usually generated by the server; when present it must
    // select the template.
    let sel = spec.get("selector").unwrap_or(&null);
    if !sel.is_null() {
        errs.extend(validate_label_selector(sel, &child(path, "selector")));
        if let Ok(selector) = LabelSelector::from_json(sel) {
            if !selector.matches(&template_labels_map(template)) {
                errs.push(FieldError::invalid(
                    &child(&tpath, "metadata.labels"),
                    template_labels_value(template),
                    "`selector` does not match template `labels`",
                ));
            }
        }
    } else if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        errs.push(FieldError::required(&child(path, "selector"), ""));
    }
}

/// `ValidateJob`.
pub fn validate_job(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    validate_job_spec(obj.get("spec").unwrap_or(&null), "spec", opts, &mut errs);
    errs
}

/// `ValidateCronJob` (name length, schedule, concurrencyPolicy, job template).
pub fn validate_cronjob(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let name = str_of(meta, "name");
    if name.len() > 52 {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            "must be no more than 52 characters",
        ));
    }
    let spec = obj.get("spec").unwrap_or(&null);
    if str_of(spec, "schedule").is_empty() {
        errs.push(FieldError::required("spec.schedule", ""));
    }
    if let Some(cp) = spec.get("concurrencyPolicy").and_then(Value::as_str) {
        if !["Allow", "Forbid", "Replace"].contains(&cp) {
            errs.push(FieldError::not_supported(
                "spec.concurrencyPolicy",
                cp,
                &["Allow", "Forbid", "Replace"],
            ));
        }
    }
    nonnegative(spec, "startingDeadlineSeconds", "spec", &mut errs);
    nonnegative(spec, "successfulJobsHistoryLimit", "spec", &mut errs);
    nonnegative(spec, "failedJobsHistoryLimit", "spec", &mut errs);
    let jt = spec.get("jobTemplate").unwrap_or(&null);
    errs.extend(validate_template_meta(
        jt.get("metadata"),
        "spec.jobTemplate.metadata",
    ));
    validate_job_spec(
        jt.get("spec").unwrap_or(&null),
        "spec.jobTemplate.spec",
        opts,
        &mut errs,
    );
    errs
}

/// `ValidateScale` (the scale subresource).
pub fn validate_scale(obj: &Value) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    nonnegative(
        obj.get("spec").unwrap_or(&null),
        "replicas",
        "spec",
        &mut errs,
    );
    errs
}

/// Reports `<path>.<k>: Invalid value: <new>: field is immutable` when the
/// value changed; with `missing_is_unchanged` an absent new value counts as
/// the old one (it would be defaulted or generated from it).
fn immutable_field(
    new: &Value,
    old: &Value,
    k: &str,
    path: &str,
    render: fn(&Value) -> Value,
    missing_is_unchanged: bool,
    errs: &mut Vec<FieldError>,
) {
    let o = old.get(k).cloned().unwrap_or(Value::Null);
    let n = match new.get(k) {
        None if missing_is_unchanged => o.clone(),
        other => other.cloned().unwrap_or(Value::Null),
    };
    if n != o {
        errs.push(FieldError::invalid(
            &child(path, k),
            render(&n),
            "field is immutable",
        ));
    }
}

fn spec_of(v: &Value) -> &Value {
    v.get("spec").unwrap_or(&Value::Null)
}

/// Deployment / ReplicaSet / DaemonSet update: the create checks plus an
/// immutable `spec.selector`.
pub fn validate_selector_immutable(new: &Value, old: &Value, errs: &mut Vec<FieldError>) {
    let render = |v: &Value| {
        if v.is_null() {
            Value::Null
        } else {
            selector_value(v)
        }
    };
    immutable_field(
        spec_of(new),
        spec_of(old),
        "selector",
        "spec",
        render,
        false,
        errs,
    );
}

/// StatefulSet update: only replicas, ordinals, template, updateStrategy,
/// persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
pub fn validate_statefulset_update(
    new: &Value,
    old: &Value,
    opts: &ValidationOptions,
) -> Vec<FieldError> {
    let mut errs = validate_statefulset(new, opts);
    let strip = |v: &Value| -> Value {
        let mut s = spec_of(v).clone();
        if let Some(m) = s.as_object_mut() {
            for k in [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ] {
                m.remove(k);
            }
        }
        s
    };
    if strip(new) != strip(old) {
        errs.push(FieldError::forbidden(
            "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
    errs
}

/// The pod template in kube's internal rendering: template metadata fields
/// inline, then `Spec`.
fn template_value(t: &Value) -> Value {
    let mut out = Map::new();
    if let Some(Value::Object(meta)) = t.get("metadata") {
        for (k, v) in meta {
            let v = if k == "labels" || k == "annotations" {
                labels_value(Some(v))
            } else {
                v.clone()
            };
            out.insert(k.clone(), v);
        }
    }
    out.insert("Spec".into(), t.get("spec").cloned().unwrap_or(Value::Null));
    Value::Object(out)
}

/// Job update: completions, selector, template and completionMode are
/// immutable.
pub fn validate_job_update(new: &Value, old: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let mut errs = validate_job(new, opts);
    let (ns, os) = (spec_of(new), spec_of(old));
    immutable_field(ns, os, "completions", "spec", Value::clone, true, &mut errs);
    let render_sel = |v: &Value| {
        if v.is_null() {
            Value::Null
        } else {
            selector_value(v)
        }
    };
    immutable_field(ns, os, "selector", "spec", render_sel, true, &mut errs);
    immutable_field(ns, os, "template", "spec", template_value, false, &mut errs);
    immutable_field(
        ns,
        os,
        "completionMode",
        "spec",
        Value::clone,
        true,
        &mut errs,
    );
    immutable_field(
        ns,
        os,
        "podFailurePolicy",
        "spec",
        Value::clone,
        true,
        &mut errs,
    );
    errs
}

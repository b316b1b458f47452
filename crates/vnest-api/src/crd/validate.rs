//! `CustomResourceDefinition` (apiextensions.k8s.io/v1) validation with
//! kube-apiserver's paths and messages, plus the create/update preparation
//! of `status` kube's strategy does before validating.

use serde_json::{json, Map, Value};

use super::schema::{compile_node, Node, Schema, SchemaError};
use super::MAX_DEPTH;
use crate::validation::field::FieldError;
use crate::validation::meta::{validate_object_meta_at, validate_object_meta_update};
use crate::validation::names::{dns1035_label_errors, dns1123_subdomain_errors, NameRule};

const DNS_VALUES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];
const PRINTER_TYPES: &str = "boolean,date,integer,number,string";
const PRINTER_FORMATS: &str = "byte,date,date-time,double,float,int32,int64,password";
const APPROVAL: &str = "api-approved.kubernetes.io";

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn join(p: &str, c: &str) -> String {
    format!("{p}.{c}")
}

/// The version marked `storage: true` (the first one, if several are).
pub fn storage_version(crd: &Value) -> Option<&str> {
    crd.get("spec")
        .map(|sp| arr(sp, "versions"))
        .unwrap_or(&[])
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
}

/// What kube's CRD strategy does on create before validation: the status
/// is reset to `{storedVersions: [<storage version>]}` (plus
/// `acceptedNames: {plural: "", kind: ""}`, as kube serialises empty
/// names).
pub fn prepare_for_create(crd: &mut Value) {
    let stored: Vec<Value> = storage_version(crd)
        .map(|v| vec![json!(v)])
        .unwrap_or_default();
    if let Some(m) = crd.as_object_mut() {
        m.insert(
            "status".into(),
            json!({"acceptedNames": {"plural": "", "kind": ""}, "storedVersions": stored}),
        );
    }
}

/// What kube's CRD strategy does on update before validation: the status is
/// the stored one (status is only written through `/status`), and the
/// new storage version is added to `status.storedVersions`.
pub fn prepare_for_update(new: &mut Value, old: &Value) {
    let mut status = old.get("status").cloned().unwrap_or_else(|| json!({}));
    if let Some(v) = storage_version(new).map(String::from) {
        if let Some(st) = status.as_object_mut() {
            let list = st
                .entry("storedVersions")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Some(a) = list.as_array_mut() {
                if !a.iter().any(|x| x.as_str() == Some(v.as_str())) {
                    a.push(json!(v));
                }
            }
        }
    }
    if let Some(m) = new.as_object_mut() {
        m.insert("status".into(), status);
    }
}

fn condition_true(crd: &Value, ty: &str) -> bool {
    crd.get("status")
        .map(|st| arr(st, "conditions"))
        .unwrap_or(&[])
        .iter()
        .any(|c| s(c, "type") == ty && s(c, "status") == "True")
}

/// Validates a CRD (`old`: the stored one on update) like kube-apiserver:
/// metadata (the name must be `<spec.names.plural>.<spec.group>`), group,
/// scope, names, versions (unique DNS-1035 names, exactly one storage
/// version, a schema for each), the structural-schema rules, defaults
/// against their schema, `x-kubernetes-validations` (rule checks and CEL
/// compilation), list/map type extensions, scale subresource paths, printer
/// columns, conversion, `status.acceptedNames` and `status.storedVersions`,
/// and on update the immutable group, plural (and scope and kind once
/// Established).
///
/// Like kube, per-version schemas, subresources and printer columns that
/// are identical in every version are reported at the top-level paths
/// (`spec.validation.openAPIV3Schema...`, `spec.subresources...`,
/// `spec.additionalPrinterColumns[i]...`), as kube converts them so.
///
/// Call [`prepare_for_create`] / [`prepare_for_update`] first: the status
/// is validated as given.
pub fn validate_crd(new: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let empty = json!({});
    let spec = new.get("spec").unwrap_or(&empty);
    let meta = new.get("metadata").unwrap_or(&empty);
    let group = s(spec, "group");
    let names = spec.get("names").unwrap_or(&empty);
    let plural = s(names, "plural");

    match old {
        None => {
            let required = format!("{plural}.{group}");
            let generate_name = s(meta, "generateName");
            if !generate_name.is_empty() {
                let mut msgs = NameRule::DnsSubdomain.errors(generate_name, true);
                if generate_name != required {
                    msgs.push("must be spec.names.plural+\".\"+spec.group".into());
                }
                for m in msgs {
                    errs.push(FieldError::invalid(
                        "metadata.generateName",
                        generate_name,
                        m,
                    ));
                }
            }
            let name = s(meta, "name");
            if name.is_empty() {
                errs.push(FieldError::required(
                    "metadata.name",
                    "name or generateName is required",
                ));
            } else {
                let mut msgs = NameRule::DnsSubdomain.errors(name, false);
                if name != required {
                    msgs.push("must be spec.names.plural+\".\"+spec.group".into());
                }
                for m in msgs {
                    errs.push(FieldError::invalid("metadata.name", name, m));
                }
            }
            errs.extend(validate_object_meta_at(
                meta,
                false,
                NameRule::None,
                "metadata",
            ));
        }
        Some(o) => {
            let old_meta = o.get("metadata").unwrap_or(&empty);
            errs.extend(validate_object_meta_update(meta, old_meta));
        }
    }

    validate_spec(spec, old, &mut errs);

    if let Some(o) = old {
        let old_spec = o.get("spec").unwrap_or(&empty);
        if condition_true(o, "Established") {
            immutable(spec, old_spec, "scope", "spec.scope", &mut errs);
            let (nk, ok) = (
                spec.pointer("/names/kind").cloned().unwrap_or(json!("")),
                old_spec
                    .pointer("/names/kind")
                    .cloned()
                    .unwrap_or(json!("")),
            );
            if nk != ok {
                errs.push(FieldError::invalid(
                    "spec.names.kind",
                    nk,
                    "field is immutable",
                ));
            }
        }
        immutable(spec, old_spec, "group", "spec.group", &mut errs);
        let (np, op) = (
            spec.pointer("/names/plural").cloned().unwrap_or(json!("")),
            old_spec
                .pointer("/names/plural")
                .cloned()
                .unwrap_or(json!("")),
        );
        if np != op {
            errs.push(FieldError::invalid(
                "spec.names.plural",
                np,
                "field is immutable",
            ));
        }
    }

    // status
    let status = new.get("status").unwrap_or(&empty);
    if let Some(an) = status.get("acceptedNames") {
        validate_names(an, "status.acceptedNames", &mut errs);
    }
    let stored: Vec<&str> = arr(status, "storedVersions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let stored_json = Value::Array(stored.iter().map(|v| json!(v)).collect());
    if stored.is_empty() {
        errs.push(FieldError::invalid(
            "status.storedVersions",
            stored_json,
            "must have at least one stored version",
        ));
    } else {
        let versions = arr(spec, "versions");
        let mut left: Vec<(usize, &str)> = stored.iter().copied().enumerate().collect();
        for v in versions {
            let name = s(v, "name");
            let pos = left.iter().position(|(_, x)| *x == name);
            if v.get("storage").and_then(Value::as_bool) == Some(true) && pos.is_none() {
                errs.push(FieldError::invalid(
                    "status.storedVersions",
                    stored_json.clone(),
                    format!("must have the storage version {name}"),
                ));
            }
            if let Some(p) = pos {
                left.remove(p);
            }
        }
        for (i, v) in left {
            errs.push(FieldError::invalid(
                &format!("status.storedVersions[{i}]"),
                v,
                format!("missing from spec.versions; {v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {v} and removes {v} from status.storedVersions"),
            ));
        }
    }

    // API approval for protected groups.
    let protected = group == "k8s.io"
        || group == "kubernetes.io"
        || group.ends_with(".k8s.io")
        || group.ends_with(".kubernetes.io");
    let approved = |m: &Value| {
        m.get("annotations")
            .and_then(|a| a.get(APPROVAL))
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    let old_unapproved = old.is_some_and(|o| !approved(o.get("metadata").unwrap_or(&empty)));
    if protected && !approved(meta) && !old_unapproved {
        errs.push(FieldError::required(
            &format!("metadata.annotations[{APPROVAL}]"),
            format!("protected groups must have approval annotation {APPROVAL:?}, see https://github.com/kubernetes/enhancements/pull/1111"),
        ));
    }

    // preserveUnknownFields: true is only kept where it already was.
    if spec.get("preserveUnknownFields").and_then(Value::as_bool) == Some(true) {
        let was = old.is_some_and(|o| {
            o.pointer("/spec/preserveUnknownFields")
                .and_then(Value::as_bool)
                == Some(true)
        });
        if !was {
            errs.push(FieldError::invalid(
                "spec.preserveUnknownFields",
                true,
                "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
            ));
        }
    }
    errs
}

fn immutable(new: &Value, old: &Value, key: &str, path: &str, errs: &mut Vec<FieldError>) {
    let n = new.get(key).cloned().unwrap_or(json!(""));
    let o = old.get(key).cloned().unwrap_or(json!(""));
    if n != o {
        errs.push(FieldError::invalid(path, n, "field is immutable"));
    }
}

/// All versions carry the same non-null value at `key` (kube then moves it
/// to the top level).
fn identical<'a>(versions: &'a [Value], key: &str) -> Option<&'a Value> {
    let first = versions.first()?.get(key)?;
    if first.is_null()
        || (key == "additionalPrinterColumns" && first.as_array().is_none_or(Vec::is_empty))
    {
        return None;
    }
    versions
        .iter()
        .all(|v| v.get(key) == Some(first))
        .then_some(first)
}

fn validate_spec(spec: &Value, old: Option<&Value>, errs: &mut Vec<FieldError>) {
    let group = s(spec, "group");
    if group.is_empty() {
        errs.push(FieldError::required("spec.group", ""));
    } else {
        let e = dns1123_subdomain_errors(group);
        if !e.is_empty() {
            errs.push(FieldError::invalid("spec.group", group, e.join(",")));
        } else if group.split('.').count() < 2 {
            errs.push(FieldError::invalid(
                "spec.group",
                group,
                "should be a domain with at least one dot",
            ));
        }
    }
    let scope = s(spec, "scope");
    if scope.is_empty() {
        errs.push(FieldError::required("spec.scope", ""));
    } else if scope != "Cluster" && scope != "Namespaced" {
        errs.push(FieldError::not_supported(
            "spec.scope",
            scope,
            &["Cluster", "Namespaced"],
        ));
    }

    let versions = arr(spec, "versions");
    let top_schema = identical(versions, "schema");
    let top_subresources = identical(versions, "subresources");
    let top_columns = identical(versions, "additionalPrinterColumns");
    let any_status = versions.iter().any(|v| {
        v.pointer("/subresources/status")
            .is_some_and(|x| !x.is_null())
    });

    // Schemas are required (unless an existing CRD already lacked them).
    let old_all_schemas = old.is_none_or(|o| {
        o.pointer("/spec/versions")
            .and_then(Value::as_array)
            .is_none_or(|vs| {
                vs.iter()
                    .all(|v| v.pointer("/schema/openAPIV3Schema").is_some())
            })
    });
    if top_schema.is_none() && old_all_schemas {
        for (i, v) in versions.iter().enumerate() {
            if v.pointer("/schema/openAPIV3Schema")
                .is_none_or(Value::is_null)
            {
                errs.push(FieldError::required(
                    &format!("spec.versions[{i}].schema.openAPIV3Schema"),
                    "schemas are required",
                ));
            }
        }
    }

    let mut storage = 0;
    let mut seen: Vec<&str> = Vec::new();
    let mut unique = true;
    for (i, v) in versions.iter().enumerate() {
        let vp = format!("spec.versions[{i}]");
        let name = s(v, "name");
        if v.get("storage").and_then(Value::as_bool) == Some(true) {
            storage += 1;
        }
        if seen.contains(&name) {
            unique = false;
        } else {
            seen.push(name);
        }
        let e = dns1035_label_errors(name);
        if !e.is_empty() {
            errs.push(FieldError::invalid(&join(&vp, "name"), name, e.join(",")));
        }
        deprecation_warning(v, &vp, errs);
        let status_enabled = v
            .pointer("/subresources/status")
            .is_some_and(|x| !x.is_null());
        if top_schema.is_none() {
            if let Some(sch) = v.get("schema").filter(|x| !x.is_null()) {
                validate_validation(sch, status_enabled, &join(&vp, "schema"), errs);
            }
        }
        if top_subresources.is_none() {
            if let Some(sr) = v.get("subresources") {
                validate_subresources(sr, &join(&vp, "subresources"), errs);
            }
        }
        if top_columns.is_none() {
            for (j, c) in arr(v, "additionalPrinterColumns").iter().enumerate() {
                validate_column(c, &format!("{vp}.additionalPrinterColumns[{j}]"), errs);
            }
        }
    }
    if !unique {
        errs.push(FieldError::invalid(
            "spec.versions",
            Value::Array(versions.to_vec()),
            "must contain unique version names",
        ));
    }
    if storage != 1 {
        let mut e = FieldError::invalid(
            "spec.versions",
            Value::Array(versions.to_vec()),
            "must have exactly one version marked as storage version",
        );
        if versions.is_empty() {
            // kube prints the (internal, empty) Go slice.
            e.value = None;
            e.detail = format!(
                "[]apiextensions.CustomResourceDefinitionVersion(nil): {}",
                e.detail
            );
        }
        errs.push(e);
    }

    let names = spec.get("names").cloned().unwrap_or_else(|| json!({}));
    for k in ["plural", "singular", "kind", "listKind"] {
        if s(&names, k).is_empty() {
            errs.push(FieldError::required(&format!("spec.names.{k}"), ""));
        }
    }
    validate_names(&names, "spec.names", errs);

    if let Some(sch) = top_schema {
        validate_validation(sch, any_status, "spec.validation", errs);
    }
    if let Some(sr) = top_subresources {
        validate_subresources(sr, "spec.subresources", errs);
    }
    if let Some(cols) = top_columns {
        for (j, c) in cols
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            validate_column(c, &format!("spec.additionalPrinterColumns[{j}]"), errs);
        }
    }
    if let Some(conv) = spec.get("conversion").filter(|c| !c.is_null()) {
        validate_conversion(conv, errs);
    }
}

fn deprecation_warning(v: &Value, vp: &str, errs: &mut Vec<FieldError>) {
    let Some(w) = v.get("deprecationWarning").and_then(Value::as_str) else {
        return;
    };
    let path = join(vp, "deprecationWarning");
    if v.get("deprecated").and_then(Value::as_bool) != Some(true) {
        errs.push(FieldError::invalid(
            &path,
            w,
            "can only be set for deprecated versions",
        ));
        return;
    }
    if w.len() > 256 {
        errs.push(FieldError::invalid(
            &path,
            w,
            "must be <= 256 characters long",
        ));
    }
    if w.is_empty() {
        errs.push(FieldError::invalid(&path, w, "must not be an empty string"));
    }
    if let Some((i, _)) = w.char_indices().find(|(_, c)| c.is_control()) {
        errs.push(FieldError::invalid(
            &path,
            w,
            format!("must only contain printable UTF-8 characters; control character found at index {i}"),
        ));
    }
}

/// kube's `ValidateCustomResourceDefinitionNames`.
fn validate_names(names: &Value, path: &str, errs: &mut Vec<FieldError>) {
    for k in ["plural", "singular"] {
        let v = s(names, k);
        let e = dns1035_label_errors(v);
        if !v.is_empty() && !e.is_empty() {
            errs.push(FieldError::invalid(&join(path, k), v, e.join(",")));
        }
    }
    for k in ["kind", "listKind"] {
        let v = s(names, k);
        let e = dns1035_label_errors(&v.to_lowercase());
        if !v.is_empty() && !e.is_empty() {
            errs.push(FieldError::invalid(
                &join(path, k),
                v,
                format!(
                    "may have mixed case, but should otherwise match: {}",
                    e.join(",")
                ),
            ));
        }
    }
    for (i, sn) in arr(names, "shortNames").iter().enumerate() {
        let v = sn.as_str().unwrap_or("");
        let e = dns1035_label_errors(v);
        if !e.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{path}.shortNames[{i}]"),
                v,
                e.join(","),
            ));
        }
    }
    let kind = s(names, "kind");
    if !kind.is_empty() && kind == s(names, "listKind") {
        errs.push(FieldError::invalid(
            &join(path, "listKind"),
            kind,
            "kind and listKind may not be the same",
        ));
    }
    for (i, c) in arr(names, "categories").iter().enumerate() {
        let v = c.as_str().unwrap_or("");
        let e = dns1035_label_errors(v);
        if !e.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{path}.categories[{i}]"),
                v,
                e.join(","),
            ));
        }
    }
}

fn simple_json_path(p: &str, path: &str) -> Option<FieldError> {
    if p.is_empty() {
        Some(FieldError::invalid(path, p, "must not be empty"))
    } else if !p.starts_with('.') {
        Some(FieldError::invalid(
            path,
            p,
            "must be a simple json path starting with .",
        ))
    } else {
        None
    }
}

fn validate_subresources(sr: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let Some(scale) = sr.get("scale").filter(|x| !x.is_null()) else {
        return;
    };
    for (key, prefix, under) in [
        ("specReplicasPath", ".spec.", ".spec"),
        ("statusReplicasPath", ".status.", ".status"),
    ] {
        let p = format!("{path}.scale.{key}");
        let v = s(scale, key);
        if v.is_empty() {
            errs.push(FieldError::required(&p, ""));
        } else if let Some(e) = simple_json_path(v, &p) {
            errs.push(e);
        } else if !v.starts_with(prefix) {
            errs.push(FieldError::invalid(
                &p,
                v,
                format!("should be a json path under {under}"),
            ));
        }
    }
    let sel = s(scale, "labelSelectorPath");
    if !sel.is_empty() {
        let p = format!("{path}.scale.labelSelectorPath");
        if let Some(e) = simple_json_path(sel, &p) {
            errs.push(e);
        } else if !sel.starts_with(".spec.") && !sel.starts_with(".status.") {
            errs.push(FieldError::invalid(
                &p,
                sel,
                "should be a json path under either .spec or .status",
            ));
        }
    }
}

fn validate_column(c: &Value, path: &str, errs: &mut Vec<FieldError>) {
    if s(c, "name").is_empty() {
        errs.push(FieldError::required(&join(path, "name"), ""));
    }
    let ty = s(c, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            &join(path, "type"),
            format!("must be one of {PRINTER_TYPES}"),
        ));
    } else if !PRINTER_TYPES.split(',').any(|t| t == ty) {
        errs.push(FieldError::invalid(
            &join(path, "type"),
            ty,
            format!("must be one of {PRINTER_TYPES}"),
        ));
    }
    let format = s(c, "format");
    if !format.is_empty() && !PRINTER_FORMATS.split(',').any(|f| f == format) {
        errs.push(FieldError::invalid(
            &join(path, "format"),
            format,
            format!("must be one of {PRINTER_FORMATS}"),
        ));
    }
    let jp = s(c, "jsonPath");
    if jp.is_empty() {
        errs.push(FieldError::required(&join(path, "JSONPath"), ""));
    } else if let Some(e) = simple_json_path(jp, &join(path, "JSONPath")) {
        errs.push(e);
    }
}

fn validate_conversion(conv: &Value, errs: &mut Vec<FieldError>) {
    let strategy = s(conv, "strategy");
    if strategy.is_empty() {
        errs.push(FieldError::required("spec.conversion.strategy", ""));
    } else if strategy != "None" && strategy != "Webhook" {
        errs.push(FieldError::not_supported(
            "spec.conversion.strategy",
            strategy,
            &["None", "Webhook"],
        ));
    }
    let webhook = conv.get("webhook").filter(|w| !w.is_null());
    let client = webhook
        .and_then(|w| w.get("clientConfig"))
        .filter(|c| !c.is_null());
    let review: &[Value] = webhook
        .map(|w| arr(w, "conversionReviewVersions"))
        .unwrap_or(&[]);
    let cc_path = "spec.conversion.webhookClientConfig";
    let rv_path = "spec.conversion.conversionReviewVersions";
    if strategy == "Webhook" {
        match client {
            None => errs.push(FieldError::required(
                cc_path,
                "required when strategy is set to Webhook",
            )),
            Some(cc) => {
                let url = cc.get("url").and_then(Value::as_str);
                let svc = cc.get("service").filter(|x| !x.is_null());
                match (url, svc) {
                    (Some(_), Some(_)) | (None, None) => errs.push(FieldError::required(
                        cc_path,
                        "exactly one of url or service is required",
                    )),
                    (Some(u), None) => {
                        let p = join(cc_path, "url");
                        if !u.starts_with("https://") {
                            errs.push(FieldError::invalid(
                                &p,
                                u,
                                "'https' is the only allowed URL scheme",
                            ));
                        } else if u["https://".len()..]
                            .split(['/', '?', '#'])
                            .next()
                            .unwrap_or("")
                            .is_empty()
                        {
                            errs.push(FieldError::invalid(&p, u, "host must be specified"));
                        }
                    }
                    (None, Some(sv)) => {
                        let p = join(cc_path, "service");
                        if s(sv, "name").is_empty() {
                            errs.push(FieldError::required(
                                &join(&p, "name"),
                                "service name is required",
                            ));
                        }
                        if s(sv, "namespace").is_empty() {
                            errs.push(FieldError::required(
                                &join(&p, "namespace"),
                                "service namespace is required",
                            ));
                        }
                        if let Some(port) = sv.get("port").and_then(Value::as_i64) {
                            if !(1..=65535).contains(&port) {
                                errs.push(FieldError::invalid(
                                    &join(&p, "port"),
                                    port,
                                    "port is not valid: must be between 1 and 65535, inclusive",
                                ));
                            }
                        }
                    }
                }
            }
        }
        if review.is_empty() {
            errs.push(FieldError::required(rv_path, ""));
        } else {
            let mut seen: Vec<&str> = Vec::new();
            let mut accepted = false;
            for (i, v) in review.iter().enumerate() {
                let v = v.as_str().unwrap_or("");
                let p = format!("{rv_path}[{i}]");
                if seen.contains(&v) {
                    errs.push(FieldError::invalid(&p, v, "duplicate version"));
                    continue;
                }
                seen.push(v);
                for m in dns1035_label_errors(v) {
                    errs.push(FieldError::invalid(&p, v, m));
                }
                accepted |= v == "v1" || v == "v1beta1";
            }
            if !accepted {
                errs.push(FieldError::invalid(
                    rv_path,
                    Value::Array(review.to_vec()),
                    "must include at least one of v1, v1beta1",
                ));
            }
        }
    } else {
        if client.is_some() {
            errs.push(FieldError::forbidden(
                cc_path,
                "should not be set when strategy is not set to Webhook",
            ));
        }
        if !review.is_empty() {
            errs.push(FieldError::forbidden(
                rv_path,
                "should not be set when strategy is not set to Webhook",
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// schema validation

/// kube's `validateCustomResourceDefinitionValidation` for one
/// `schema` (`path` ends in `.schema` or is `spec.validation`).
fn validate_validation(
    validation: &Value,
    status_enabled: bool,
    path: &str,
    errs: &mut Vec<FieldError>,
) {
    let Some(schema) = validation.get("openAPIV3Schema").filter(|x| !x.is_null()) else {
        return;
    };
    let p = join(path, "openAPIV3Schema");
    if !schema.is_object() {
        errs.push(FieldError::invalid(&p, "", "must be an object"));
        return;
    }
    let mut local = Vec::new();
    if status_enabled {
        let ty = s(schema, "type");
        if !ty.is_empty() && ty != "object" {
            local.push(FieldError::invalid(
                &join(&p, "type"),
                ty,
                "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled",
            ));
        }
    }
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        local.push(FieldError::forbidden(
            &join(&p, "nullable"),
            "nullable cannot be true at the root",
        ));
    }
    let mut structural = Vec::new();
    structural_invariants(schema, Level::Root, &p, 0, &mut structural);
    structural.sort_by_key(FieldError::message);
    let structural_ok = structural.is_empty();
    local.extend(structural);

    // Compile once: patterns, CEL rules.
    let (compiled, compile_errs) = Schema::compile_all(schema, &p);
    if structural_ok {
        if let Some(c) = &compiled {
            validate_defaults(&c.root, schema, &p, true, 0, &mut local);
        }
    }
    let mut standard = Vec::new();
    standard_validate(
        schema,
        &p,
        &Ctx {
            root: true,
            ..Ctx::default()
        },
        0,
        &mut standard,
    );
    let clean = local.is_empty() && standard.is_empty();
    local.extend(standard);
    if clean && structural_ok {
        for e in compile_errs {
            if let Some(fe) = cel_compile_error(schema, &p, e) {
                local.push(fe);
            }
        }
    }
    errs.extend(local);
}

fn cel_compile_error(schema: &Value, root_path: &str, e: SchemaError) -> Option<FieldError> {
    let (path, index, message, field) = match e {
        SchemaError::Rule {
            path,
            index,
            message,
        } => (path, index, message, "rule"),
        SchemaError::MessageExpression {
            path,
            index,
            message,
        } => (path, index, message, "messageExpression"),
        _ => return None,
    };
    let rule = node_at(schema, root_path, &path)
        .and_then(|n| n.get("x-kubernetes-validations"))
        .and_then(|r| r.get(index))
        .cloned()
        .unwrap_or(Value::Null);
    let detail = if field == "rule" {
        format!("compilation failed: {message}")
    } else {
        format!("messageExpression compilation failed: {message}")
    };
    Some(FieldError::invalid(
        &format!("{path}.x-kubernetes-validations[{index}].{field}"),
        rule_json(&rule),
        detail,
    ))
}

/// The rule as kube's internal ValidationRule marshals (field order, omitempty).
fn rule_json(r: &Value) -> Value {
    let mut m = Map::new();
    m.insert("rule".into(), json!(s(r, "rule")));
    for k in ["message", "messageExpression", "reason", "fieldPath"] {
        let v = s(r, k);
        if !v.is_empty() {
            m.insert(k.into(), json!(v));
        }
    }
    if let Some(b) = r.get("optionalOldSelf").and_then(Value::as_bool) {
        m.insert("optionalOldSelf".into(), json!(b));
    }
    Value::Object(m)
}

/// Follows a kube-style schema path (`<root>.properties[a].items`) back to the node.
fn node_at<'a>(schema: &'a Value, root_path: &str, path: &str) -> Option<&'a Value> {
    let mut rest = path.strip_prefix(root_path)?;
    let mut node = schema;
    while let Some(r) = rest.strip_prefix('.') {
        if let Some(after) = r.strip_prefix("properties[") {
            let end = after.find(']')?;
            node = node.get("properties")?.get(&after[..end])?;
            rest = &after[end + 1..];
        } else {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            let mut next = &r[end..];
            node = node.get(key)?;
            if let Some(idx) = next.strip_prefix('[') {
                let close = idx.find(']')?;
                node = node.get(idx[..close].parse::<usize>().ok()?)?;
                next = &idx[close + 1..];
            }
            rest = next;
        }
    }
    Some(node)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Item,
    Field,
}

fn ty(v: &Value) -> &str {
    s(v, "type")
}

fn flag(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool) == Some(true)
}

fn props(v: &Value) -> Option<&Map<String, Value>> {
    v.get("properties").and_then(Value::as_object)
}

/// kube's `validateStructuralInvariants` (over the raw schema).
fn structural_invariants(v: &Value, lvl: Level, p: &str, depth: usize, errs: &mut Vec<FieldError>) {
    if depth > MAX_DEPTH || !v.is_object() {
        return;
    }
    if ty(v) == "array" && v.get("items").is_none() {
        errs.push(FieldError::required(&join(p, "items"), "must be specified"));
    }
    if let Some(items) = v.get("items").filter(|i| i.is_object()) {
        structural_invariants(items, Level::Item, &join(p, "items"), depth + 1, errs);
    }
    if let Some(ps) = props(v) {
        for (k, pv) in ps {
            structural_invariants(
                pv,
                Level::Field,
                &format!("{p}.properties[{k}]"),
                depth + 1,
                errs,
            );
        }
    }
    if let Some(ap) = v.get("additionalProperties") {
        if lvl == Level::Root {
            errs.push(FieldError::forbidden(
                &join(p, "additionalProperties"),
                "must not be used at the root",
            ));
        }
        if ap.is_object() {
            structural_invariants(
                ap,
                Level::Field,
                &join(p, "additionalProperties"),
                depth + 1,
                errs,
            );
        }
    }
    let ios = flag(v, "x-kubernetes-int-or-string");
    let pu = flag(v, "x-kubernetes-preserve-unknown-fields");
    let emb = flag(v, "x-kubernetes-embedded-resource");
    if ios && pu {
        errs.push(FieldError::invalid(
            &join(p, "x-kubernetes-preserve-unknown-fields"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if ios && emb {
        errs.push(FieldError::invalid(
            &join(p, "x-kubernetes-embedded-resource"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    value_validation(v, ios, p, depth, errs);
    let t = ty(v);
    if emb && t != "object" {
        if t.is_empty() {
            errs.push(FieldError::required(
                &join(p, "type"),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        } else {
            errs.push(FieldError::invalid(
                &join(p, "type"),
                t,
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        }
    } else if t.is_empty() && !ios && !pu {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(FieldError::required(&join(p, "type"), detail));
    }
    if emb && v.get("additionalProperties").is_some() {
        errs.push(FieldError::forbidden(
            &join(p, "additionalProperties"),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if lvl == Level::Root && !t.is_empty() && t != "object" {
        errs.push(FieldError::invalid(
            &join(p, "type"),
            t,
            "must be object at the root",
        ));
    }
    let check_meta = lvl == Level::Root || emb;
    if let Some(ps) = props(v).filter(|_| check_meta) {
        for (k, want) in [
            ("kind", "string"),
            ("apiVersion", "string"),
            ("metadata", "object"),
        ] {
            if let Some(x) = ps.get(k) {
                if ty(x) != want {
                    errs.push(FieldError::invalid(
                        &format!("{p}.properties[{k}].type"),
                        ty(x),
                        format!("must be {want}"),
                    ));
                }
            }
        }
    }
    if let (Level::Root, Some(meta)) = (lvl, props(v).and_then(|ps| ps.get("metadata"))) {
        let ok = meta.as_object().is_some_and(|m| {
            m.iter().all(|(k, x)| match k.as_str() {
                "type" | "default" => true,
                "properties" => x.as_object().is_some_and(|pm| {
                    !pm.is_empty() && pm.keys().all(|n| n == "name" || n == "generateName")
                }),
                _ => false,
            })
        });
        if !ok {
            errs.push(FieldError::forbidden(
                &format!("{p}.properties[metadata]"),
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
    if emb && !pu && props(v).is_none_or(Map::is_empty) {
        errs.push(FieldError::required(
            &join(p, "properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

fn is_int_or_string_pair(list: Option<&Value>) -> bool {
    let Some(a) = list.and_then(Value::as_array) else {
        return false;
    };
    a.len() == 2 && a[0] == json!({"type": "integer"}) && a[1] == json!({"type": "string"})
}

/// kube's `validateValueValidation` (the logic junctors and pattern).
fn value_validation(v: &Value, ios: bool, p: &str, depth: usize, errs: &mut Vec<FieldError>) {
    let skip_any_of = ios && is_int_or_string_pair(v.get("anyOf"));
    let skip_first_all_of = ios
        && v.get("allOf")
            .and_then(|a| a.get(0))
            .is_some_and(|f| is_int_or_string_pair(f.get("anyOf")));
    if !skip_any_of {
        for (i, x) in arr(v, "anyOf").iter().enumerate() {
            nested(x, false, &format!("{p}.anyOf[{i}]"), depth + 1, errs);
        }
    }
    for (i, x) in arr(v, "allOf").iter().enumerate() {
        nested(
            x,
            skip_first_all_of && i == 0,
            &format!("{p}.allOf[{i}]"),
            depth + 1,
            errs,
        );
    }
    for (i, x) in arr(v, "oneOf").iter().enumerate() {
        nested(x, false, &format!("{p}.oneOf[{i}]"), depth + 1, errs);
    }
    if let Some(x) = v.get("not") {
        nested(x, false, &join(p, "not"), depth + 1, errs);
    }
    if let Some(pat) = v.get("pattern").and_then(Value::as_str) {
        if let Err(e) = regex::Regex::new(pat) {
            errs.push(FieldError::invalid(
                &join(p, "pattern"),
                pat,
                format!("must be a valid regular expression, but isn't: {e}"),
            ));
        }
    }
}

/// kube's `validateNestedValueValidation`.
fn nested(v: &Value, skip_any_of: bool, p: &str, depth: usize, errs: &mut Vec<FieldError>) {
    if depth > MAX_DEPTH || !v.is_object() {
        return;
    }
    if !skip_any_of {
        for (i, x) in arr(v, "anyOf").iter().enumerate() {
            nested(x, false, &format!("{p}.anyOf[{i}]"), depth + 1, errs);
        }
    }
    for (i, x) in arr(v, "allOf").iter().enumerate() {
        nested(x, false, &format!("{p}.allOf[{i}]"), depth + 1, errs);
    }
    for (i, x) in arr(v, "oneOf").iter().enumerate() {
        nested(x, false, &format!("{p}.oneOf[{i}]"), depth + 1, errs);
    }
    if let Some(x) = v.get("not") {
        nested(x, false, &join(p, "not"), depth + 1, errs);
    }
    if let Some(pat) = v.get("pattern").and_then(Value::as_str) {
        if let Err(e) = regex::Regex::new(pat) {
            errs.push(FieldError::invalid(
                &join(p, "pattern"),
                pat,
                format!("must be a valid regular expression, but isn't: {e}"),
            ));
        }
    }
    if let Some(x) = v.get("items").filter(|i| i.is_object()) {
        nested(x, false, &join(p, "items"), depth + 1, errs);
    }
    if let Some(ps) = props(v) {
        for (k, x) in ps {
            nested(x, false, &format!("{p}.properties[{k}]"), depth + 1, errs);
        }
    }
    let forbid = |errs: &mut Vec<FieldError>, key: &str, detail: &str| {
        errs.push(FieldError::forbidden(&join(p, key), detail));
    };
    if !ty(v).is_empty() {
        forbid(errs, "type", "must be empty to be structural");
    }
    if v.get("additionalProperties").is_some() {
        forbid(
            errs,
            "additionalProperties",
            "must be undefined to be structural",
        );
    }
    if v.get("default").is_some() {
        forbid(errs, "default", "must be undefined to be structural");
    }
    if !s(v, "title").is_empty() {
        forbid(errs, "title", "must be empty to be structural");
    }
    if !s(v, "description").is_empty() {
        forbid(errs, "description", "must be empty to be structural");
    }
    if flag(v, "nullable") {
        forbid(errs, "nullable", "must be false to be structural");
    }
    if flag(v, "x-kubernetes-preserve-unknown-fields") {
        forbid(
            errs,
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        );
    }
    if flag(v, "x-kubernetes-embedded-resource") {
        forbid(
            errs,
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        );
    }
    if flag(v, "x-kubernetes-int-or-string") {
        forbid(
            errs,
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        );
    }
    if !arr(v, "x-kubernetes-list-map-keys").is_empty() {
        forbid(
            errs,
            "x-kubernetes-list-map-keys",
            "must be empty to be structural",
        );
    }
    if v.get("x-kubernetes-list-type").is_some() {
        forbid(
            errs,
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        );
    }
    if props(v).is_some_and(|ps| ps.contains_key("metadata")) {
        errs.push(FieldError::forbidden(
            &format!("{p}.properties[metadata]"),
            "must not be specified in a nested context",
        ));
    }
}

/// kube's `ValidateDefaults`: every default validates against its node
/// (OpenAPI, then CEL rules, list types) and has no unknown fields.
fn validate_defaults(
    node: &Node,
    raw: &Value,
    p: &str,
    root: bool,
    depth: usize,
    errs: &mut Vec<FieldError>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(d) = &node.default {
        let dp = join(p, "default");
        let before = errs.len();
        Schema::validate_plain(node, d, errs, &dp);
        if errs.len() == before {
            let mut pruned = d.clone();
            let tmp = Schema {
                root: compile_node(raw, "", 0, &mut Vec::new()),
            };
            if !tmp.prune(&mut pruned).is_empty() {
                errs.push(FieldError::invalid(
                    &dp,
                    d.clone(),
                    "must not have unknown fields",
                ));
            }
        }
    }
    for (k, child) in &node.properties {
        if root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(craw) = raw.get("properties").and_then(|ps| ps.get(k)) {
            validate_defaults(
                child,
                craw,
                &format!("{p}.properties[{k}]"),
                false,
                depth + 1,
                errs,
            );
        }
    }
    if let (Some(it), Some(iraw)) = (&node.items, raw.get("items")) {
        validate_defaults(it, iraw, &join(p, "items"), false, depth + 1, errs);
    }
    if let (super::schema::Additional::Schema(a), Some(araw)) =
        (&node.additional, raw.get("additionalProperties"))
    {
        validate_defaults(
            a,
            araw,
            &join(p, "additionalProperties"),
            false,
            depth + 1,
            errs,
        );
    }
}

#[derive(Clone, Default)]
struct Ctx {
    root: bool,
    inside_meta: bool,
    forbid_defaults: Option<String>,
    uncorrelatable: Option<String>,
}

/// kube's `ValidateCustomResourceDefinitionOpenAPISchema` (without the
/// CEL compilation, done afterwards).
fn standard_validate(v: &Value, p: &str, ctx: &Ctx, depth: usize, errs: &mut Vec<FieldError>) {
    if depth > MAX_DEPTH || !v.is_object() {
        return;
    }
    let t = ty(v);
    if !t.is_empty() && !DNS_VALUES.contains(&t) {
        errs.push(FieldError::not_supported(&join(p, "type"), t, &DNS_VALUES));
    }
    if v.get("default").is_some() {
        if let Some(reason) = &ctx.forbid_defaults {
            errs.push(FieldError::forbidden(
                &join(p, "default"),
                format!("must not be set {reason}"),
            ));
        }
    }
    for (k, msg) in [
        ("id", "id is not supported"),
        ("additionalItems", "additionalItems is not supported"),
        ("patternProperties", "patternProperties is not supported"),
        ("definitions", "definitions is not supported"),
        ("dependencies", "dependencies is not supported"),
        ("$ref", "$ref is not supported"),
    ] {
        let present = match v.get(k) {
            None | Some(Value::Null) => false,
            Some(Value::String(x)) => !x.is_empty(),
            Some(Value::Object(m)) => {
                !m.is_empty() || k == "additionalItems" || k == "dependencies"
            }
            Some(_) => true,
        };
        if present {
            errs.push(FieldError::forbidden(&join(p, k), msg));
        }
    }
    if t == "null" {
        errs.push(FieldError::forbidden(
            &join(p, "type"),
            "type cannot be set to null, use nullable as an alternative",
        ));
    }
    if v.get("items").is_some_and(Value::is_array) {
        errs.push(FieldError::forbidden(
            &join(p, "items"),
            "items must be a schema object and not an array",
        ));
    }
    if ctx.inside_meta && flag(v, "x-kubernetes-embedded-resource") {
        errs.push(FieldError::forbidden(
            &join(p, "x-kubernetes-embedded-resource"),
            "must not be used inside of resource meta",
        ));
    }
    if flag(v, "uniqueItems") {
        errs.push(FieldError::forbidden(
            &join(p, "uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    let has_props = props(v).is_some_and(|m| !m.is_empty());
    if let Some(ap) = v.get("additionalProperties") {
        if has_props && (ap == &Value::Bool(false) || ap.is_object()) {
            errs.push(FieldError::forbidden(
                &join(p, "additionalProperties"),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        if ap.is_object() {
            let mut sub = ctx.clone();
            sub.root = false;
            if ctx.inside_meta {
                sub.forbid_defaults =
                    Some("inside additionalProperties applying to object metadata".into());
            }
            standard_validate(ap, &join(p, "additionalProperties"), &sub, depth + 1, errs);
        }
    }
    if let Some(ps) = props(v) {
        for (k, pv) in ps {
            let mut sub = ctx.clone();
            sub.root = false;
            if s(v, "x-kubernetes-map-type") == "atomic" && sub.uncorrelatable.is_none() {
                sub.uncorrelatable = Some(p.to_string());
            }
            if (ctx.root || flag(v, "x-kubernetes-embedded-resource"))
                && matches!(k.as_str(), "metadata" | "kind" | "apiVersion")
            {
                sub.inside_meta = true;
                if ctx.root {
                    sub.forbid_defaults = Some(format!("in top-level {k}"));
                }
            }
            standard_validate(pv, &format!("{p}.properties[{k}]"), &sub, depth + 1, errs);
        }
    }
    let mut plain = ctx.clone();
    plain.root = false;
    if let Some(x) = v.get("not") {
        standard_validate(x, &join(p, "not"), &plain, depth + 1, errs);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, x) in arr(v, key).iter().enumerate() {
            standard_validate(x, &format!("{p}.{key}[{i}]"), &plain, depth + 1, errs);
        }
    }
    let list_type = v.get("x-kubernetes-list-type").and_then(Value::as_str);
    if let Some(items) = v.get("items").filter(|i| i.is_object()) {
        let mut sub = plain.clone();
        if list_type != Some("map") && sub.uncorrelatable.is_none() {
            sub.uncorrelatable = Some(p.to_string());
        }
        standard_validate(items, &join(p, "items"), &sub, depth + 1, errs);
    }
    if v.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
        errs.push(FieldError::invalid(
            &join(p, "x-kubernetes-preserve-unknown-fields"),
            false,
            "must be true or undefined",
        ));
    }
    if let Some(mt) = v.get("x-kubernetes-map-type").and_then(Value::as_str) {
        if t != "object" {
            if t.is_empty() {
                errs.push(FieldError::required(
                    &join(p, "type"),
                    "must be object if x-kubernetes-map-type is specified",
                ));
            } else {
                errs.push(FieldError::invalid(
                    &join(p, "type"),
                    t,
                    "must be object if x-kubernetes-map-type is specified",
                ));
            }
        }
        if mt != "atomic" && mt != "granular" {
            errs.push(FieldError::not_supported(
                &join(p, "x-kubernetes-map-type"),
                mt,
                &["atomic", "granular"],
            ));
        }
    }
    let items = v.get("items").filter(|i| i.is_object());
    if let Some(lt) = list_type {
        if t != "array" {
            if t.is_empty() {
                errs.push(FieldError::required(
                    &join(p, "type"),
                    "must be array if x-kubernetes-list-type is specified",
                ));
            } else {
                errs.push(FieldError::invalid(
                    &join(p, "type"),
                    t,
                    "must be array if x-kubernetes-list-type is specified",
                ));
            }
        } else if lt == "set" {
            if let Some(is) = items {
                match ty(is) {
                    "array" => {
                        let ilt = s(is, "x-kubernetes-list-type");
                        if !ilt.is_empty() && ilt != "atomic" {
                            errs.push(FieldError::invalid(
                                &format!("{p}.items.x-kubernetes-list-type"),
                                ilt,
                                "must be atomic as item of a list with x-kubernetes-list-type=set",
                            ));
                        }
                    }
                    "object" if s(is, "x-kubernetes-map-type") != "atomic" => {
                        errs.push(FieldError::invalid(
                            &format!("{p}.items.x-kubernetes-map-type"),
                            Value::Null,
                            "must be atomic as item of a list with x-kubernetes-list-type=set",
                        ));
                    }
                    _ => {}
                }
            }
        }
        if !matches!(lt, "atomic" | "set" | "map") {
            errs.push(FieldError::not_supported(
                &join(p, "x-kubernetes-list-type"),
                lt,
                &["atomic", "set", "map"],
            ));
        }
    }
    let map_keys: Vec<&str> = arr(v, "x-kubernetes-list-map-keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let keys_json = Value::Array(map_keys.iter().map(|k| json!(k)).collect());
    if !map_keys.is_empty() {
        match list_type {
            None => errs.push(FieldError::required(
                &join(p, "x-kubernetes-list-type"),
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
            Some("map") => {}
            Some(other) => errs.push(FieldError::invalid(
                &join(p, "x-kubernetes-list-type"),
                other,
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
        }
    }
    if list_type == Some("map") {
        if map_keys.is_empty() {
            errs.push(FieldError::required(
                &join(p, "x-kubernetes-list-map-keys"),
                "must not be empty if x-kubernetes-list-type is map",
            ));
        }
        match items {
            None => errs.push(FieldError::required(
                &join(p, "items"),
                "must have a schema if x-kubernetes-list-type is map",
            )),
            Some(is) if ty(is) != "object" => errs.push(FieldError::invalid(
                &format!("{p}.items.type"),
                ty(is),
                "must be object if parent array's x-kubernetes-list-type is map",
            )),
            Some(is) => {
                let mut seen: Vec<&str> = Vec::new();
                for k in &map_keys {
                    match props(is).and_then(|ps| ps.get(*k)) {
                        Some(kp) => {
                            if matches!(ty(kp), "array" | "object") {
                                errs.push(FieldError::invalid(
                                    &format!("{p}.items.properties[{k}].type"),
                                    ty(is),
                                    "must be a scalar type if parent array's x-kubernetes-list-type is map",
                                ));
                            }
                        }
                        None => errs.push(FieldError::invalid(
                            &join(p, "x-kubernetes-list-map-keys"),
                            keys_json.clone(),
                            "entries must all be names of item properties",
                        )),
                    }
                    if seen.contains(k) {
                        errs.push(FieldError::invalid(
                            &join(p, "x-kubernetes-list-map-keys"),
                            keys_json.clone(),
                            "must not contain duplicate entries",
                        ));
                    }
                    seen.push(k);
                }
            }
        }
    }
    // validateMapListKeysMapSet
    if let (Some(lt @ ("set" | "map")), Some(is)) = (list_type, items) {
        if flag(is, "nullable") {
            errs.push(FieldError::forbidden(
                &format!("{p}.items.nullable"),
                format!("cannot be nullable when x-kubernetes-list-type is {lt}"),
            ));
        }
        if lt == "map" {
            let required: Vec<&str> = arr(is, "required")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for k in &map_keys {
                let Some(kp) = props(is).and_then(|ps| ps.get(*k)) else {
                    continue;
                };
                if !required.contains(k) && kp.get("default").is_none() {
                    errs.push(FieldError::required(
                        &format!("{p}.items.properties[{k}].default"),
                        "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                    ));
                }
                if flag(kp, "nullable") {
                    errs.push(FieldError::forbidden(
                        &format!("{p}.items.properties[{k}].nullable"),
                        "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                    ));
                }
            }
        }
    }
    for (i, r) in arr(v, "x-kubernetes-validations").iter().enumerate() {
        let rp = format!("{p}.x-kubernetes-validations[{i}]");
        let rule = s(r, "rule");
        let msg = s(r, "message");
        let msg_expr = s(r, "messageExpression");
        let has_newline = |x: &str| x.contains(['\n', '\r']);
        if rule.trim().is_empty() {
            errs.push(FieldError::required(
                &join(&rp, "rule"),
                "rule is not specified",
            ));
        } else if !msg.is_empty() && msg.trim().is_empty() {
            errs.push(FieldError::invalid(
                &join(&rp, "message"),
                msg,
                "message must be non-empty if specified",
            ));
        } else if has_newline(msg.trim()) {
            errs.push(FieldError::invalid(
                &join(&rp, "message"),
                msg,
                "message must not contain line breaks",
            ));
        } else if has_newline(rule.trim()) && msg.trim().is_empty() {
            errs.push(FieldError::required(
                &join(&rp, "message"),
                "message must be specified if rule contains line breaks",
            ));
        }
        if !msg_expr.is_empty() && msg_expr.trim().is_empty() {
            errs.push(FieldError::required(
                &join(&rp, "messageExpression"),
                "messageExpression must be non-empty if specified",
            ));
        }
        if let Some(reason) = r.get("reason").and_then(Value::as_str) {
            let ok = [
                "FieldValueDuplicate",
                "FieldValueForbidden",
                "FieldValueInvalid",
                "FieldValueRequired",
            ];
            if !ok.contains(&reason) {
                errs.push(FieldError::not_supported(&join(&rp, "reason"), reason, &ok));
            }
        }
        let fp = s(r, "fieldPath");
        if !fp.is_empty() && fp.trim().is_empty() {
            errs.push(FieldError::invalid(
                &join(&rp, "fieldPath"),
                fp,
                "fieldPath must be non-empty if specified",
            ));
        }
        if has_newline(fp) {
            errs.push(FieldError::invalid(
                &join(&rp, "fieldPath"),
                fp,
                "fieldPath must not contain line breaks",
            ));
        }
        if !fp.trim().is_empty() && !field_path_valid(v, fp) {
            errs.push(FieldError::invalid(
                &join(&rp, "fieldPath"),
                fp,
                "fieldPath must be a valid path",
            ));
        }
        if let Some(base) = &ctx.uncorrelatable {
            if rule.contains("oldSelf")
                && super::cel::Expr::compile(rule).is_ok_and(|e| e.uses_old_self())
            {
                errs.push(FieldError::invalid(
                    &join(&rp, "rule"),
                    rule,
                    format!("oldSelf cannot be used on the uncorrelatable portion of the schema within {base}"),
                ));
            }
        }
    }
}

/// Whether a rule's `fieldPath` names a field of the schema node.
fn field_path_valid(schema: &Value, fp: &str) -> bool {
    let mut node = schema;
    let mut rest = fp.trim();
    if !rest.starts_with('.') && !rest.starts_with('[') {
        return false;
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            let next = props(node)
                .and_then(|ps| ps.get(key))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
            match next {
                Some(n) if !key.is_empty() => node = n,
                _ => return false,
            }
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { return false };
            let inner = &r[..end];
            if let Some(key) = inner.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
                let next = props(node)
                    .and_then(|ps| ps.get(key))
                    .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
                match next {
                    Some(n) => node = n,
                    None => return false,
                }
            } else if inner.parse::<usize>().is_ok() {
                match node.get("items") {
                    Some(n) => node = n,
                    None => return false,
                }
            } else {
                return false;
            }
            rest = &r[end + 1..];
        } else {
            return false;
        }
    }
    true
}

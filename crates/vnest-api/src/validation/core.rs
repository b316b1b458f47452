//! Validation of core/v1 kinds: ConfigMap, Secret, Pod (and pod templates),
//! Service, Event, Namespace.

use serde_json::{json, Map, Value};

use super::field::{child, go_json, index, key, sorted_map, FieldError};
use super::meta::{str_of, validate_labels_value, validate_object_meta, validate_template_meta};
use super::names::{
    config_key_errors, dns1123_label_errors, dns1123_subdomain_errors, label_key_errors,
    port_name_errors, NameRule,
};
use super::ValidationOptions;

/// Limit for the summed size of ConfigMap / Secret data (1 MiB).
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

pub(crate) fn get_i64(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

pub(crate) fn get_arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(crate) fn get_obj<'a>(v: &'a Value, k: &str) -> Option<&'a Map<String, Value>> {
    v.get(k).and_then(Value::as_object)
}

pub(crate) fn nonnegative(v: &Value, k: &str, path: &str, errs: &mut Vec<FieldError>) {
    if let Some(n) = get_i64(v, k) {
        if n < 0 {
            errs.push(FieldError::invalid(
                &child(path, k),
                n,
                "must be greater than or equal to 0",
            ));
        }
    }
}

fn dns_label_field(value: &str, path: &str, errs: &mut Vec<FieldError>) {
    for msg in dns1123_label_errors(value) {
        errs.push(FieldError::invalid(path, value, msg));
    }
}

fn port_range_errors(port: i64) -> Option<&'static str> {
    if (1..=65535).contains(&port) {
        None
    } else {
        Some("must be between 1 and 65535, inclusive")
    }
}

/// Decoded size of a base64 string (as stored for `binaryData` / secret `data`).
fn base64_decoded_len(s: &str) -> usize {
    let trimmed = s.trim_end_matches('=');
    trimmed.len() * 3 / 4
}

/// Treats absent, `null` and `{}` the same (the stored form of an empty map).
fn normalized_map(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) if !m.is_empty() => Value::Object(m.clone()),
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------- ConfigMap

/// `ValidateConfigMap`.
pub fn validate_configmap(obj: &Value) -> Vec<FieldError> {
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let mut total = 0usize;
    let binary = get_obj(obj, "binaryData");
    if let Some(data) = get_obj(obj, "data") {
        for (k, v) in data {
            let p = key("data", k);
            for msg in config_key_errors(k) {
                errs.push(FieldError::invalid(&p, k.as_str(), msg));
            }
            if binary.is_some_and(|b| b.contains_key(k)) {
                errs.push(FieldError::invalid(
                    &p,
                    k.as_str(),
                    "duplicate of key present in binaryData",
                ));
            }
            total += v.as_str().map(str::len).unwrap_or(0);
        }
    }
    if let Some(b) = binary {
        for (k, v) in b {
            for msg in config_key_errors(k) {
                errs.push(FieldError::invalid(&key("binaryData", k), k.as_str(), msg));
            }
            total += v.as_str().map(base64_decoded_len).unwrap_or(0);
        }
    }
    if total > MAX_SECRET_SIZE {
        // kube reports the whole object with the path `[]`.
        errs.push(FieldError::too_long("[]", MAX_SECRET_SIZE));
    }
    errs
}

fn immutable_data_checks(new: &Value, old: &Value, keys: &[&str], errs: &mut Vec<FieldError>) {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    const MSG: &str = "field is immutable when `immutable` is set";
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        errs.push(FieldError::forbidden("immutable", MSG));
    }
    for k in keys {
        if normalized_map(new.get(*k)) != normalized_map(old.get(*k)) {
            errs.push(FieldError::forbidden(k, MSG));
        }
    }
}

/// `ValidateConfigMapUpdate` (without the metadata part).
pub fn validate_configmap_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    immutable_data_checks(new, old, &["data", "binaryData"], &mut errs);
    errs.extend(validate_configmap(new));
    errs
}

// ---------------------------------------------------------------- Secret

/// `ValidateSecret` (`stringData` counts as data, as kube merges it first).
pub fn validate_secret(obj: &Value) -> Vec<FieldError> {
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let mut sizes: Vec<(String, usize)> = Vec::new();
    if let Some(data) = get_obj(obj, "data") {
        for (k, v) in data {
            sizes.push((k.clone(), v.as_str().map(base64_decoded_len).unwrap_or(0)));
        }
    }
    if let Some(sd) = get_obj(obj, "stringData") {
        for (k, v) in sd {
            let len = v.as_str().map(str::len).unwrap_or(0);
            match sizes.iter_mut().find(|(name, _)| name == k) {
                Some(entry) => entry.1 = len,
                None => sizes.push((k.clone(), len)),
            }
        }
    }
    let mut total = 0;
    for (k, len) in &sizes {
        for msg in config_key_errors(k) {
            errs.push(FieldError::invalid(&key("data", k), k.as_str(), msg));
        }
        total += len;
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long("data", MAX_SECRET_SIZE));
    }
    let has = |k: &str| sizes.iter().any(|(name, _)| name == k);
    let non_empty = |k: &str| sizes.iter().any(|(name, len)| name == k && *len > 0);
    match str_of(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let sa = meta
                .get("annotations")
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if sa.is_empty() {
                errs.push(FieldError::required(
                    &key("metadata.annotations", "kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => {
            errs.push(FieldError::required(&key("data", ".dockercfg"), ""));
        }
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            errs.push(FieldError::required(&key("data", ".dockerconfigjson"), ""));
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.push(FieldError::required(&key("data", "username"), ""));
            errs.push(FieldError::required(&key("data", "password"), ""));
        }
        "kubernetes.io/ssh-auth" if !non_empty("ssh-privatekey") => {
            errs.push(FieldError::required(&key("data", "ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            if !has("tls.crt") {
                errs.push(FieldError::required(&key("data", "tls.crt"), ""));
            }
            if !has("tls.key") {
                errs.push(FieldError::required(&key("data", "tls.key"), ""));
            }
        }
        _ => {}
    }
    errs
}

/// `ValidateSecretUpdate` (without the metadata part): type immutable, data
/// frozen when `immutable` was set.
pub fn validate_secret_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let new_type = str_of(new, "type");
    let old_type = str_of(old, "type");
    let effective = |t: &str| if t.is_empty() { "Opaque" } else { t }.to_string();
    if effective(new_type) != effective(old_type) {
        errs.push(FieldError::invalid("type", new_type, "field is immutable"));
    }
    immutable_data_checks(new, old, &["data"], &mut errs);
    errs.extend(validate_secret(new));
    errs
}

// ---------------------------------------------------------------- Pods

const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
const RESTART_POLICIES: &[&str] = &["Always", "OnFailure", "Never"];
const DNS_POLICIES: &[&str] = &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

fn validate_container_ports(ports: &[Value], path: &str, errs: &mut Vec<FieldError>) {
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let p = index(path, i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            let msgs = port_name_errors(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    errs.push(FieldError::invalid(&child(&p, "name"), name, msg));
                }
            } else if names.contains(&name) {
                errs.push(FieldError::duplicate(&child(&p, "name"), name));
            } else {
                names.push(name);
            }
        }
        match get_i64(port, "containerPort").unwrap_or(0) {
            0 => errs.push(FieldError::required(&child(&p, "containerPort"), "")),
            n => {
                if let Some(msg) = port_range_errors(n) {
                    errs.push(FieldError::invalid(&child(&p, "containerPort"), n, msg));
                }
            }
        }
        if let Some(host) = get_i64(port, "hostPort").filter(|h| *h != 0) {
            if let Some(msg) = port_range_errors(host) {
                errs.push(FieldError::invalid(&child(&p, "hostPort"), host, msg));
            }
        }
        if let Some(proto) = port.get("protocol").and_then(Value::as_str) {
            if !PROTOCOLS.contains(&proto) {
                errs.push(FieldError::not_supported(
                    &child(&p, "protocol"),
                    proto,
                    PROTOCOLS,
                ));
            }
        }
    }
}

fn validate_env(env: &[Value], path: &str, errs: &mut Vec<FieldError>) {
    for (i, ev) in env.iter().enumerate() {
        let p = child(&index(path, i), "name");
        let name = str_of(ev, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&p, ""));
        } else if name.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
            errs.push(FieldError::invalid(
                &p,
                name,
                "a valid environment variable name must consist only of printable ASCII characters other than '='",
            ));
        }
    }
}

fn validate_container(
    ctr: &Value,
    volumes: &[&str],
    path: &str,
    opts: &ValidationOptions,
    errs: &mut Vec<FieldError>,
) {
    let name = str_of(ctr, "name");
    let name_path = child(path, "name");
    if name.is_empty() {
        errs.push(FieldError::required(&name_path, ""));
    } else {
        dns_label_field(name, &name_path, errs);
    }
    if str_of(ctr, "image").is_empty() {
        errs.push(FieldError::required(&child(path, "image"), ""));
    }
    if let Some(tmp) = ctr.get("terminationMessagePolicy").and_then(Value::as_str) {
        if tmp != "File" && tmp != "FallbackToLogsOnError" {
            errs.push(FieldError::not_supported(
                &child(path, "terminationMessagePolicy"),
                tmp,
                &["File", "FallbackToLogsOnError"],
            ));
        }
    }
    validate_container_ports(get_arr(ctr, "ports"), &child(path, "ports"), errs);
    validate_env(get_arr(ctr, "env"), &child(path, "env"), errs);
    for (i, m) in get_arr(ctr, "volumeMounts").iter().enumerate() {
        let p = index(&child(path, "volumeMounts"), i);
        let mname = str_of(m, "name");
        if mname.is_empty() {
            errs.push(FieldError::required(&child(&p, "name"), ""));
        } else if !volumes.contains(&mname) {
            errs.push(FieldError::not_found(&child(&p, "name"), mname));
        }
        if str_of(m, "mountPath").is_empty() {
            errs.push(FieldError::required(&child(&p, "mountPath"), ""));
        }
    }
    if let Some(policy) = ctr.get("imagePullPolicy").and_then(Value::as_str) {
        if policy.is_empty() {
            errs.push(FieldError::required(&child(path, "imagePullPolicy"), ""));
        } else if !PULL_POLICIES.contains(&policy) {
            errs.push(FieldError::not_supported(
                &child(path, "imagePullPolicy"),
                policy,
                PULL_POLICIES,
            ));
        }
    }
    let privileged = ctr
        .get("securityContext")
        .and_then(|s| s.get("privileged"))
        .and_then(Value::as_bool);
    if privileged == Some(true) && !opts.allow_privileged {
        errs.push(FieldError::forbidden(
            &child(path, "securityContext.privileged"),
            "disallowed by cluster policy",
        ));
    }
}

/// `ValidatePodSpec` (the checks tenants commonly hit) at `path`.
pub fn validate_pod_spec(spec: &Value, path: &str, opts: &ValidationOptions) -> Vec<FieldError> {
    let mut errs = Vec::new();
    // Volumes.
    let mut volumes: Vec<&str> = Vec::new();
    for (i, vol) in get_arr(spec, "volumes").iter().enumerate() {
        let p = child(&index(&child(path, "volumes"), i), "name");
        let name = str_of(vol, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&p, ""));
        } else {
            dns_label_field(name, &p, &mut errs);
            if volumes.contains(&name) {
                errs.push(FieldError::duplicate(&p, name));
            } else {
                volumes.push(name);
            }
        }
    }
    // Containers.
    let containers = get_arr(spec, "containers");
    let cpath = child(path, "containers");
    let mut names: Vec<&str> = Vec::new();
    if containers.is_empty() {
        errs.push(FieldError::required(&cpath, ""));
    } else {
        for (i, ctr) in containers.iter().enumerate() {
            let p = index(&cpath, i);
            validate_container(ctr, &volumes, &p, opts, &mut errs);
            let name = str_of(ctr, "name");
            if names.contains(&name) {
                errs.push(FieldError::duplicate(&child(&p, "name"), name));
            } else {
                names.push(name);
            }
            if ctr.get("restartPolicy").is_some_and(|v| !v.is_null()) {
                errs.push(FieldError::forbidden(
                    &child(&p, "restartPolicy"),
                    "may not be set for non-init containers",
                ));
            }
        }
    }
    let ipath = child(path, "initContainers");
    for (i, ctr) in get_arr(spec, "initContainers").iter().enumerate() {
        let p = index(&ipath, i);
        validate_container(ctr, &volumes, &p, opts, &mut errs);
        let name = str_of(ctr, "name");
        if !name.is_empty() && names.contains(&name) {
            errs.push(FieldError::duplicate(&child(&p, "name"), name));
        } else {
            names.push(name);
        }
        if let Some(rp) = ctr.get("restartPolicy").and_then(Value::as_str) {
            if rp != "Always" {
                errs.push(FieldError::not_supported(
                    &child(&p, "restartPolicy"),
                    rp,
                    &["Always"],
                ));
            }
        }
    }
    if let Some(rp) = spec.get("restartPolicy").and_then(Value::as_str) {
        if rp.is_empty() {
            errs.push(FieldError::required(&child(path, "restartPolicy"), ""));
        } else if !RESTART_POLICIES.contains(&rp) {
            errs.push(FieldError::not_supported(
                &child(path, "restartPolicy"),
                rp,
                RESTART_POLICIES,
            ));
        }
    }
    if let Some(dp) = spec.get("dnsPolicy").and_then(Value::as_str) {
        if !DNS_POLICIES.contains(&dp) {
            errs.push(FieldError::not_supported(
                &child(path, "dnsPolicy"),
                dp,
                DNS_POLICIES,
            ));
        }
    }
    errs.extend(validate_labels_value(
        spec.get("nodeSelector"),
        &child(path, "nodeSelector"),
    ));
    for field in ["serviceAccountName", "nodeName"] {
        let v = str_of(spec, field);
        if !v.is_empty() {
            for msg in dns1123_subdomain_errors(v) {
                errs.push(FieldError::invalid(&child(path, field), v, msg));
            }
        }
    }
    if let Some(ads) = get_i64(spec, "activeDeadlineSeconds") {
        if !(1..=i64::from(i32::MAX)).contains(&ads) {
            errs.push(FieldError::invalid(
                &child(path, "activeDeadlineSeconds"),
                ads,
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    for field in ["hostname", "subdomain"] {
        let v = str_of(spec, field);
        if !v.is_empty() {
            dns_label_field(v, &child(path, field), &mut errs);
        }
    }
    errs
}

/// `ValidatePodTemplateSpec`: template labels/annotations and the pod spec.
pub fn validate_pod_template(
    template: &Value,
    path: &str,
    opts: &ValidationOptions,
) -> Vec<FieldError> {
    let mut errs = validate_template_meta(template.get("metadata"), &child(path, "metadata"));
    let spec = template.get("spec").unwrap_or(&Value::Null);
    errs.extend(validate_pod_spec(spec, &child(path, "spec"), opts));
    errs
}

/// `ValidatePodCreate`.
pub fn validate_pod(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    let mut errs = validate_object_meta(meta, true, NameRule::DnsSubdomain);
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    errs.extend(validate_pod_spec(spec, "spec", opts));
    errs
}

const POD_UPDATABLE: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

fn copy_images(munged: &mut Value, old: &Value, list: &str) {
    let old_list = get_arr(old, list);
    if let Some(Value::Array(items)) = munged.get_mut(list) {
        if items.len() == old_list.len() {
            for (item, o) in items.iter_mut().zip(old_list) {
                if let (Some(obj), Some(img)) = (item.as_object_mut(), o.get("image")) {
                    obj.insert("image".into(), img.clone());
                }
            }
        }
    }
}

/// A small unified diff of two texts (whole-line, 3 lines of context).
fn unified_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Common prefix and suffix are context; only the middle needs an LCS.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    // Edit script: (tag, old_line_index, new_line_index, text)
    let mut ops: Vec<(char, usize, usize, &str)> = Vec::new();
    for (n, line) in a[..prefix].iter().enumerate() {
        ops.push((' ', n, n, line));
    }
    if ma.len().saturating_mul(mb.len()) <= 4_000_000 {
        // Longest common subsequence table of the middle part.
        let mut lcs = vec![vec![0usize; mb.len() + 1]; ma.len() + 1];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i][j] = if ma[i] == mb[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < ma.len() || j < mb.len() {
            if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
                ops.push((' ', prefix + i, prefix + j, ma[i]));
                i += 1;
                j += 1;
            } else if i < ma.len() && (j == mb.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(('-', prefix + i, prefix + j, ma[i]));
                i += 1;
            } else if j < mb.len() {
                ops.push(('+', prefix + i, prefix + j, mb[j]));
                j += 1;
            }
        }
    } else {
        // Too large to align line by line: replace the whole middle block.
        for (n, line) in ma.iter().enumerate() {
            ops.push(('-', prefix + n, prefix, line));
        }
        for (n, line) in mb.iter().enumerate() {
            ops.push(('+', prefix + ma.len(), prefix + n, line));
        }
    }
    for n in 0..suffix {
        let (ia, ib) = (a.len() - suffix + n, b.len() - suffix + n);
        ops.push((' ', ia, ib, a[ia]));
    }
    let mut out = String::new();
    let mut k = 0;
    while k < ops.len() {
        if ops[k].0 == ' ' {
            k += 1;
            continue;
        }
        let start = k.saturating_sub(3);
        let mut end = k;
        while end < ops.len() {
            if ops[end].0 != ' ' {
                end += 1;
                continue;
            }
            let run = ops[end..].iter().take_while(|o| o.0 == ' ').count();
            if end + run < ops.len() && run <= 6 {
                end += run;
            } else {
                end = (end + run.min(3)).min(ops.len());
                break;
            }
        }
        let hunk = &ops[start..end];
        let old_count = hunk.iter().filter(|o| o.0 != '+').count();
        let new_count = hunk.iter().filter(|o| o.0 != '-').count();
        let (os, ns) = (hunk[0].1 + 1, hunk[0].2 + 1);
        out.push_str(&format!("@@ -{os},{old_count} +{ns},{new_count} @@\n"));
        for (tag, _, _, text) in hunk {
            out.push(*tag);
            out.push_str(text);
            out.push('\n');
        }
        k = end;
    }
    out
}

fn pretty(v: &Value) -> String {
    // One-space indentation, like kube's diff of the pod spec.
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    match serde::Serialize::serialize(v, &mut ser) {
        Ok(()) => String::from_utf8(buf).unwrap_or_default(),
        Err(_) => go_json(v),
    }
}

/// `ValidatePodUpdate` (without the metadata part): only images,
/// activeDeadlineSeconds, added tolerations and a negative-to-1
/// terminationGracePeriodSeconds may change.
/// Returns only the spec-mutation error; the full pod checks are run by the
/// caller (kube validates the new pod as on create first).
pub fn validate_pod_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let null = Value::Null;
    let new_spec = new.get("spec").unwrap_or(&null);
    let old_spec = old.get("spec").unwrap_or(&null);
    let mut errs = Vec::new();
    let mut munged = new_spec.clone();
    copy_images(&mut munged, old_spec, "containers");
    copy_images(&mut munged, old_spec, "initContainers");
    if let Some(m) = munged.as_object_mut() {
        // activeDeadlineSeconds may be set or lowered (never unset / raised).
        let new_ads = get_i64(new_spec, "activeDeadlineSeconds");
        let old_ads = get_i64(old_spec, "activeDeadlineSeconds");
        let ads_ok = match (old_ads, new_ads) {
            (None, _) => true,
            (Some(o), Some(n)) => n <= o,
            (Some(_), None) => false,
        };
        if ads_ok {
            match old_spec.get("activeDeadlineSeconds") {
                Some(v) => m.insert("activeDeadlineSeconds".into(), v.clone()),
                None => m.remove("activeDeadlineSeconds"),
            };
        }
        // Tolerations: additions only.
        let old_tol = get_arr(old_spec, "tolerations");
        let new_tol = get_arr(new_spec, "tolerations");
        if old_tol.iter().all(|t| new_tol.contains(t)) {
            match old_spec.get("tolerations") {
                Some(v) => m.insert("tolerations".into(), v.clone()),
                None => m.remove("tolerations"),
            };
        }
        let old_tgps = get_i64(old_spec, "terminationGracePeriodSeconds");
        let new_tgps = get_i64(new_spec, "terminationGracePeriodSeconds");
        if old_tgps.is_some_and(|o| o < 0) && new_tgps == Some(1) {
            if let Some(v) = old_spec.get("terminationGracePeriodSeconds") {
                m.insert("terminationGracePeriodSeconds".into(), v.clone());
            }
        }
    }
    if &munged != old_spec {
        let diff = unified_diff(&pretty(old_spec), &pretty(&munged));
        errs.push(FieldError::forbidden(
            "spec",
            format!("pod updates may not change fields other than {POD_UPDATABLE}\n{diff}"),
        ));
    }
    errs
}

// ---------------------------------------------------------------- Services

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

fn service_type(obj: &Value) -> &str {
    obj.get("spec")
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
}

fn is_headless(spec: &Value) -> bool {
    str_of(spec, "clusterIP") == "None"
}

/// The node-port allocation check kube performs before validation on create:
/// the first port whose nodePort lies outside the range is reported.
pub fn validate_service_node_ports(obj: &Value, opts: &ValidationOptions) -> Vec<FieldError> {
    let ty = service_type(obj);
    if ty != "NodePort" && ty != "LoadBalancer" {
        return Vec::new();
    }
    let null = Value::Null;
    let spec = obj.get("spec").unwrap_or(&null);
    let (lo, hi) = opts.node_port_range;
    for (i, port) in get_arr(spec, "ports").iter().enumerate() {
        let np = get_i64(port, "nodePort").unwrap_or(0);
        if np != 0 && !(i64::from(lo)..=i64::from(hi)).contains(&np) {
            return vec![FieldError::invalid(
                &child(&index("spec.ports", i), "nodePort"),
                np,
                format!(
                    "provided port is not in the valid range. The range of valid ports is {lo}-{hi}"
                ),
            )];
        }
    }
    Vec::new()
}

/// `ValidateService` (ports, type, nodePorts, selector, sessionAffinity,
/// externalName).
pub fn validate_service(obj: &Value) -> Vec<FieldError> {
    let null = Value::Null;
    let meta = obj.get("metadata").unwrap_or(&null);
    let mut errs = validate_object_meta(meta, true, NameRule::Rfc1035Label);
    let spec = obj.get("spec").unwrap_or(&null);
    let ty = service_type(obj);
    let ports = get_arr(spec, "ports");
    let headless = is_headless(spec);
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required("spec.ports", ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => errs.push(FieldError::invalid(
            "spec.clusterIP",
            "None",
            format!("may not be set to 'None' for {ty} services"),
        )),
        "LoadBalancer" => {
            for (i, p) in ports.iter().enumerate() {
                if get_i64(p, "port") == Some(10250) {
                    errs.push(FieldError::invalid(
                        &index("spec.ports", i),
                        10250,
                        "may not expose port 10250 externally since it is used by kubelet",
                    ));
                }
            }
        }
        "ExternalName" => {
            if get_arr(spec, "clusterIPs")
                .iter()
                .any(|v| v.as_str() != Some(""))
                || !str_of(spec, "clusterIP").is_empty()
            {
                errs.push(FieldError::forbidden(
                    "spec.clusterIPs",
                    "may not be set for ExternalName services",
                ));
            }
            let cname = str_of(spec, "externalName");
            let cname = cname.strip_suffix('.').unwrap_or(cname);
            if cname.is_empty() {
                errs.push(FieldError::required("spec.externalName", ""));
            } else {
                for msg in dns1123_subdomain_errors(cname) {
                    errs.push(FieldError::invalid("spec.externalName", cname, msg));
                }
            }
        }
        _ => {}
    }
    let require_name = ports.len() > 1;
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = index("spec.ports", i);
        let name = str_of(p, "name");
        if require_name && name.is_empty() {
            errs.push(FieldError::required(&child(&pp, "name"), ""));
        } else if !name.is_empty() {
            dns_label_field(name, &child(&pp, "name"), &mut errs);
            if names.contains(&name) {
                errs.push(FieldError::duplicate(&child(&pp, "name"), name));
            } else {
                names.push(name);
            }
        }
        let port = get_i64(p, "port").unwrap_or(0);
        if let Some(msg) = port_range_errors(port) {
            errs.push(FieldError::invalid(&child(&pp, "port"), port, msg));
        }
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        if !PROTOCOLS.contains(&proto) {
            errs.push(FieldError::not_supported(
                &child(&pp, "protocol"),
                proto,
                PROTOCOLS,
            ));
        }
        match p.get("targetPort") {
            Some(Value::String(s)) => {
                if s.is_empty() {
                    errs.push(FieldError::required(&child(&pp, "targetPort"), ""));
                }
                for msg in port_name_errors(s) {
                    errs.push(FieldError::invalid(
                        &child(&pp, "targetPort"),
                        s.as_str(),
                        msg,
                    ));
                }
            }
            other => {
                let tp = other
                    .and_then(Value::as_i64)
                    .filter(|t| *t != 0)
                    .unwrap_or(port);
                if let Some(msg) = port_range_errors(tp) {
                    errs.push(FieldError::invalid(&child(&pp, "targetPort"), tp, msg));
                }
            }
        }
    }
    errs.extend(validate_labels_value(spec.get("selector"), "spec.selector"));
    if let Some(sa) = spec.get("sessionAffinity").and_then(Value::as_str) {
        if sa != "ClientIP" && sa != "None" {
            errs.push(FieldError::not_supported(
                "spec.sessionAffinity",
                sa,
                &["ClientIP", "None"],
            ));
        }
    }
    if !SERVICE_TYPES.contains(&ty) {
        errs.push(FieldError::not_supported("spec.type", ty, SERVICE_TYPES));
    }
    if ty == "ClusterIP" {
        for (i, p) in ports.iter().enumerate() {
            if get_i64(p, "nodePort").unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    &child(&index("spec.ports", i), "nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut seen_node_ports: Vec<(&str, i64)> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let np = get_i64(p, "nodePort").unwrap_or(0);
        if np == 0 {
            continue;
        }
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        if seen_node_ports.contains(&(proto, np)) {
            errs.push(FieldError::duplicate(
                &child(&index("spec.ports", i), "nodePort"),
                np,
            ));
        } else {
            seen_node_ports.push((proto, np));
        }
    }
    let mut seen_ports: Vec<(&str, i64)> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        let port = get_i64(p, "port").unwrap_or(0);
        if seen_ports.contains(&(proto, port)) {
            // kube renders the internal ServicePort key struct.
            let key_value = json!({
                "Name": "", "Protocol": proto, "AppProtocol": null,
                "Port": port, "TargetPort": 0, "NodePort": 0
            });
            errs.push(FieldError::duplicate(&index("spec.ports", i), key_value));
        } else {
            seen_ports.push((proto, port));
        }
    }
    errs
}

fn cluster_ips(spec: &Value) -> Option<Vec<String>> {
    let list: Vec<String> = get_arr(spec, "clusterIPs")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    if !list.is_empty() {
        return Some(list);
    }
    let single = str_of(spec, "clusterIP");
    if single.is_empty() {
        None
    } else {
        Some(vec![single.to_string()])
    }
}

/// `ValidateServiceUpdate` (without the metadata part): clusterIPs may not
/// change once set (unless ExternalName is involved); omitted IPs are taken
/// from the old object as kube's strategy does.
pub fn validate_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = cluster_ip_update_errors(new, old);
    errs.extend(validate_service(new));
    errs
}

fn cluster_ip_update_errors(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let null = Value::Null;
    let new_spec = new.get("spec").unwrap_or(&null);
    let old_spec = old.get("spec").unwrap_or(&null);
    if service_type(new) == "ExternalName" || service_type(old) == "ExternalName" {
        return errs;
    }
    if is_headless(new_spec) && is_headless(old_spec) {
        return errs;
    }
    let old_ips = cluster_ips(old_spec).unwrap_or_default();
    let new_ips = cluster_ips(new_spec).unwrap_or_else(|| old_ips.clone());
    let value = || Value::Array(new_ips.iter().map(|s| json!(s)).collect());
    if old_ips.len() == new_ips.len() {
        for (i, ip) in old_ips.iter().enumerate() {
            if new_ips.get(i) != Some(ip) {
                errs.push(FieldError::invalid(
                    &index("spec.clusterIPs", i),
                    value(),
                    "may not change once set",
                ));
            }
        }
    } else if !old_ips.is_empty() && !new_ips.is_empty() && old_ips[0] != new_ips[0] {
        errs.push(FieldError::invalid(
            "spec.clusterIPs[0]",
            value(),
            "may not change once set",
        ));
    }
    errs
}

// ---------------------------------------------------------------- Events

struct EventView<'a> {
    namespace: &'a str,
    involved_namespace: &'a str,
    event_time_set: bool,
    reporting_controller: &'a str,
    reporting_instance: &'a str,
    action: &'a str,
    reason: &'a str,
    note_len: usize,
    ty: &'a str,
}

fn event_view(obj: &Value) -> EventView<'_> {
    let involved = obj
        .get("involvedObject")
        .or_else(|| obj.get("regarding"))
        .unwrap_or(&Value::Null);
    let first = |keys: &[&str]| -> &str {
        keys.iter()
            .map(|k| str_of(obj, k))
            .find(|s| !s.is_empty())
            .unwrap_or("")
    };
    EventView {
        namespace: obj
            .get("metadata")
            .map(|m| str_of(m, "namespace"))
            .unwrap_or(""),
        involved_namespace: str_of(involved, "namespace"),
        event_time_set: obj.get("eventTime").is_some_and(|v| !v.is_null()),
        reporting_controller: first(&["reportingController", "reportingComponent"]),
        reporting_instance: str_of(obj, "reportingInstance"),
        action: str_of(obj, "action"),
        reason: str_of(obj, "reason"),
        note_len: first(&["note", "message"]).len(),
        ty: str_of(obj, "type"),
    }
}

fn legacy_event_checks(obj: &Value, reporting_field: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ev = event_view(obj);
    let ns_mismatch = FieldError::invalid(
        "involvedObject.namespace",
        ev.involved_namespace,
        "does not match event.namespace",
    );
    if !ev.event_time_set {
        if ev.involved_namespace.is_empty() {
            if !ev.namespace.is_empty() && ev.namespace != "default" {
                errs.push(ns_mismatch);
            }
        } else if ev.namespace != ev.involved_namespace {
            errs.push(ns_mismatch);
        }
    } else {
        if ev.involved_namespace.is_empty()
            && ev.namespace != "default"
            && ev.namespace != "kube-system"
        {
            errs.push(ns_mismatch);
        }
        if ev.reporting_controller.is_empty() {
            errs.push(FieldError::required(reporting_field, ""));
        }
        for msg in label_key_errors(ev.reporting_controller) {
            errs.push(FieldError::invalid(
                reporting_field,
                ev.reporting_controller,
                msg,
            ));
        }
        let limited = [
            ("reportingInstance", ev.reporting_instance.len(), 128, true),
            ("action", ev.action.len(), 128, true),
            ("reason", ev.reason.len(), 128, true),
            ("message", ev.note_len, 1024, false),
        ];
        for (field, len, limit, required) in limited {
            if required && len == 0 {
                errs.push(FieldError::required(field, ""));
            }
            if len > limit {
                errs.push(FieldError::invalid(
                    field,
                    "",
                    format!("can have at most {limit} characters"),
                ));
            }
        }
    }
    for msg in dns1123_subdomain_errors(ev.namespace) {
        errs.push(FieldError::invalid("namespace", ev.namespace, msg));
    }
    errs
}

/// Event create validation: core/v1 (`group == ""`) gets kube's legacy checks
/// only; events.k8s.io/v1 additionally the strict ones.
pub fn validate_event(group: &str, obj: &Value) -> Vec<FieldError> {
    if group.is_empty() {
        return legacy_event_checks(obj, "reportingComponent");
    }
    let mut errs = legacy_event_checks(obj, "reportingController");
    let meta = obj.get("metadata").unwrap_or(&Value::Null);
    errs.extend(validate_object_meta(meta, true, NameRule::DnsSubdomain));
    let ev = event_view(obj);
    if !ev.event_time_set {
        errs.push(FieldError::required("eventTime", ""));
    }
    if ev.ty != "Normal" && ev.ty != "Warning" {
        errs.push(FieldError::invalid(
            "type",
            "",
            format!("has invalid value: {}", ev.ty),
        ));
    }
    for (field, legacy) in [
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
    ] {
        if obj
            .get(field)
            .or_else(|| obj.get(legacy))
            .is_some_and(|v| !v.is_null())
        {
            errs.push(FieldError::invalid(legacy, "", "needs to be unset"));
        }
    }
    let count = get_i64(obj, "deprecatedCount").or_else(|| get_i64(obj, "count"));
    if count.is_some_and(|c| c != 0) {
        errs.push(FieldError::invalid("count", "", "needs to be unset"));
    }
    let source = obj.get("deprecatedSource").or_else(|| obj.get("source"));
    if source.is_some_and(|s| !str_of(s, "component").is_empty() || !str_of(s, "host").is_empty()) {
        errs.push(FieldError::invalid("source", "", "needs to be unset"));
    }
    errs
}

// ---------------------------------------------------------------- Namespaces

/// `ValidateNamespace`. kube's namespace strategy labels every namespace with
/// `kubernetes.io/metadata.name=<name>` before validating; the same label is
/// checked here even when the caller has not added it yet.
pub fn validate_namespace(obj: &Value) -> Vec<FieldError> {
    let mut meta = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let name = str_of(&meta, "name").to_string();
    if !name.is_empty() {
        if let Some(m) = meta.as_object_mut() {
            let labels = m.entry("labels").or_insert_with(|| json!({}));
            if !labels.is_object() {
                *labels = json!({});
            }
            if let Some(l) = labels.as_object_mut() {
                l.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
        }
    }
    let mut errs = validate_object_meta(&meta, false, NameRule::DnsLabel);
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    for (i, f) in get_arr(spec, "finalizers").iter().enumerate() {
        let f = f.as_str().unwrap_or("");
        let p = index("spec.finalizers", i);
        let msgs = label_key_errors(f);
        if !msgs.is_empty() {
            for msg in msgs {
                errs.push(FieldError::invalid(&p, f, msg));
            }
        } else if !f.contains('/') && f != "kubernetes" {
            errs.push(FieldError::invalid(
                &p,
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

/// Sorted copy of a label map value (`{}` for a missing map), for rendering.
pub(crate) fn labels_value(v: Option<&Value>) -> Value {
    match v {
        Some(o @ Value::Object(_)) => sorted_map(o),
        Some(Value::Null) | None => Value::Null,
        Some(other) => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_hunks() {
        assert_eq!(
            unified_diff("a\nb\nc", "a\nx\nc"),
            "@@ -1,3 +1,3 @@\n a\n-b\n+x\n c\n"
        );
        assert_eq!(unified_diff("a\nb", "a\nb"), "");
        let old: Vec<String> = (0..20).map(|i| format!("l{i}")).collect();
        let mut new = old.clone();
        new[10] = "changed".into();
        let d = unified_diff(&old.join("\n"), &new.join("\n"));
        assert_eq!(
            d,
            "@@ -8,7 +8,7 @@\n l7\n l8\n l9\n-l10\n+changed\n l11\n l12\n l13\n"
        );
        // Huge inputs fall back to a block replacement instead of an
        // n*m table.
        let big_a: Vec<String> = (0..3000).map(|i| format!("a{i}")).collect();
        let big_b: Vec<String> = (0..3000).map(|i| format!("b{i}")).collect();
        let d = unified_diff(&big_a.join("\n"), &big_b.join("\n"));
        assert!(d.starts_with("@@ -1,3000 +1,3000 @@\n-a0\n"));
    }

    #[test]
    fn base64_sizes() {
        assert_eq!(base64_decoded_len("MQ=="), 1);
        assert_eq!(base64_decoded_len("YWI="), 2);
        assert_eq!(base64_decoded_len("YWJj"), 3);
        assert_eq!(base64_decoded_len(""), 0);
    }
}

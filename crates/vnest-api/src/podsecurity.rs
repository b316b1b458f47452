//! Pod Security Standards: the `privileged`, `baseline` and `restricted` policies as the
//! PodSecurity admission plugin of Kubernetes v1.33 evaluates them, on pods and on the
//! pod templates of workloads, with the plugin's reasons, details and messages.
//!
//! Each check yields at most one [`Violation`] (a reason such as `host namespaces`
//! and a detail such as `hostNetwork=true`). Checks run in the plugin's order: the
//! baseline checks by id, then the restricted ones; at `restricted`, three baseline
//! checks are replaced by stricter versions (capabilities, hostPath volumes, seccomp).
//! Policy versions (`v1.N`) select the rules as they were in that release; `latest`
//! and anything newer than v1.33 get the v1.33 rules.
//!
//! Namespaces choose their policy with the `pod-security.kubernetes.io/*` labels
//! ([`policy_from_labels`]); invalid values are reported as kube-apiserver's field
//! errors and otherwise resolved the way the plugin does: an invalid enforce level
//! enforces `restricted` (fail closed), an invalid warn or audit level means
//! `privileged` (fail open), an invalid version means `latest`.
//!
//! No I/O: everything works on `serde_json::Value` objects as the API server stores them.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::selector::go_quote;
use crate::validation::FieldError;

/// The newest rules this module knows: Kubernetes v1.33.
pub const MAX_MINOR: u32 = 33;

/// Label prefix of the namespace policy labels.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";
pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";
pub const AUDIT_LABEL: &str = "pod-security.kubernetes.io/audit";
pub const AUDIT_VERSION_LABEL: &str = "pod-security.kubernetes.io/audit-version";
pub const WARN_LABEL: &str = "pod-security.kubernetes.io/warn";
pub const WARN_VERSION_LABEL: &str = "pod-security.kubernetes.io/warn-version";

/// A Pod Security Standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    /// `privileged`, `baseline` or `restricted`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy version: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Latest,
    V1(u32),
}

impl Version {
    /// `latest` or `v1.N` (N without leading zeros); anything else is `None`.
    pub fn parse(s: &str) -> Option<Version> {
        if s == "latest" {
            return Some(Version::Latest);
        }
        let digits = s.strip_prefix("v1.")?;
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return None;
        }
        digits.parse().ok().map(Version::V1)
    }

    /// The minor release whose rules apply.
    fn rules(self) -> u32 {
        match self {
            Version::Latest => MAX_MINOR,
            Version::V1(m) => m.min(MAX_MINOR),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::V1(m) => write!(f, "v1.{m}"),
        }
    }
}

/// A level at a version, printed `baseline:latest` as in kube's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub const fn latest(level: Level) -> Self {
        LevelVersion {
            level,
            version: Version::Latest,
        }
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// A namespace's policy: one level per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

impl Default for Policy {
    /// kube-apiserver's default configuration: `privileged:latest` in every mode.
    fn default() -> Self {
        let p = LevelVersion::latest(Level::Privileged);
        Policy {
            enforce: p,
            audit: p,
            warn: p,
        }
    }
}

impl Policy {
    pub fn fully_privileged(&self) -> bool {
        self.enforce.level == Level::Privileged
            && self.audit.level == Level::Privileged
            && self.warn.level == Level::Privileged
    }
}

/// One failed check: kube's forbidden reason and (possibly empty) detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub reason: String,
    pub detail: String,
}

impl Violation {
    fn new(reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Violation {
            reason: reason.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} ({})", self.reason, self.detail)
        }
    }
}

/// The namespace policy from its labels, starting from `defaults`, with the field
/// errors kube reports for invalid values (`metadata.labels[...]`). Without an explicit
/// warn label, warn is raised to the enforce level (and version).
pub fn policy_from_labels(
    labels: Option<&Map<String, Value>>,
    defaults: Policy,
) -> (Policy, Vec<FieldError>) {
    let mut p = defaults;
    let mut errs = Vec::new();
    let Some(labels) = labels.filter(|l| !l.is_empty()) else {
        return (p, errs);
    };
    let get = |k: &str| labels.get(k).map(|v| v.as_str().unwrap_or(""));
    let level_err = |errs: &mut Vec<FieldError>, key: &str, value: &str| {
        errs.push(FieldError::invalid(
            &format!("metadata.labels[{key}]"),
            value,
            "must be one of privileged, baseline, restricted",
        ));
    };
    let version_err = |errs: &mut Vec<FieldError>, key: &str, value: &str| {
        errs.push(FieldError::invalid(
            &format!("metadata.labels[{key}]"),
            value,
            r#"must be "latest" or "v1.x""#,
        ));
    };
    let mut has_enforce_level = false;
    if let Some(v) = get(ENFORCE_LABEL) {
        match Level::parse(v) {
            Some(l) => {
                p.enforce.level = l;
                has_enforce_level = true;
            }
            None => {
                // Fail closed.
                p.enforce.level = Level::Restricted;
                level_err(&mut errs, ENFORCE_LABEL, v);
            }
        }
    }
    if let Some(v) = get(ENFORCE_VERSION_LABEL) {
        p.enforce.version = Version::parse(v).unwrap_or_else(|| {
            version_err(&mut errs, ENFORCE_VERSION_LABEL, v);
            Version::Latest
        });
    }
    if let Some(v) = get(AUDIT_LABEL) {
        p.audit.level = Level::parse(v).unwrap_or_else(|| {
            level_err(&mut errs, AUDIT_LABEL, v);
            Level::Privileged
        });
    }
    if let Some(v) = get(AUDIT_VERSION_LABEL) {
        p.audit.version = Version::parse(v).unwrap_or_else(|| {
            version_err(&mut errs, AUDIT_VERSION_LABEL, v);
            Version::Latest
        });
    }
    let has_warn_level = get(WARN_LABEL).is_some();
    if let Some(v) = get(WARN_LABEL) {
        p.warn.level = Level::parse(v).unwrap_or_else(|| {
            level_err(&mut errs, WARN_LABEL, v);
            Level::Privileged
        });
    }
    let has_warn_version = get(WARN_VERSION_LABEL).is_some();
    if let Some(v) = get(WARN_VERSION_LABEL) {
        p.warn.version = Version::parse(v).unwrap_or_else(|| {
            version_err(&mut errs, WARN_VERSION_LABEL, v);
            Version::Latest
        });
    }
    if !has_warn_level && has_enforce_level && p.enforce.level > p.warn.level {
        p.warn.level = p.enforce.level;
        if !has_warn_version {
            p.warn.version = p.enforce.version;
        }
    }
    (p, errs)
}

/// Checks a pod (`{metadata, spec}`) against `lv`.
pub fn check_pod(lv: LevelVersion, pod: &Value) -> Vec<Violation> {
    check(
        lv,
        pod.get("metadata").unwrap_or(&Value::Null),
        pod.get("spec").unwrap_or(&Value::Null),
    )
}

/// Checks pod metadata and spec against `lv`: every failed check, in kube's order.
pub fn check(lv: LevelVersion, metadata: &Value, spec: &Value) -> Vec<Violation> {
    if lv.level == Level::Privileged {
        return Vec::new();
    }
    let minor = lv.version.rules();
    let restricted = lv.level == Level::Restricted;
    let pod = Pod { metadata, spec };
    let mut out = Vec::new();
    let mut run = |v: Option<Violation>| out.extend(v);
    // Baseline checks, ordered by kube's check ids.
    run(pod.app_armor());
    // Restricted replaces the baseline capabilities check from v1.22.
    if !(restricted && minor >= 22) {
        run(pod.capabilities_baseline());
    }
    run(pod.host_namespaces());
    if !restricted {
        run(pod.host_path_volumes());
    }
    run(pod.host_ports());
    run(pod.privileged());
    run(pod.proc_mount());
    run(pod.se_linux(minor));
    // Restricted replaces the baseline seccomp check from v1.19.
    if !(restricted && minor >= 19) {
        run(pod.seccomp_baseline(minor));
    }
    run(pod.sysctls(minor));
    run(pod.windows_host_process());
    if restricted {
        if minor >= 8 {
            run(pod.allow_privilege_escalation(minor));
        }
        if minor >= 22 {
            run(pod.capabilities_restricted(minor));
        }
        run(pod.restricted_volumes());
        run(pod.run_as_non_root());
        if minor >= 23 {
            run(pod.run_as_user());
        }
        if minor >= 19 {
            run(pod.seccomp_restricted(minor));
        }
    }
    out
}

/// The violations joined as kube prints them: `reason (detail), reason (detail)`.
pub fn detail(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(Violation::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The enforce refusal: `violates PodSecurity "baseline:latest": ...`.
pub fn message(lv: LevelVersion, violations: &[Violation]) -> String {
    format!(
        "violates PodSecurity {}: {}",
        go_quote(&lv.to_string()),
        detail(violations)
    )
}

/// The warn (and audit) text: `would violate PodSecurity "restricted:latest": ...`.
pub fn warning(lv: LevelVersion, violations: &[Violation]) -> String {
    format!(
        "would violate PodSecurity {}: {}",
        go_quote(&lv.to_string()),
        detail(violations)
    )
}

/// What the plugin decides for one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// The enforce refusal message (to be wrapped in `pods "NAME" is forbidden: ...`).
    pub forbidden: Option<String>,
    /// Warnings for the client (only when not forbidden).
    pub warnings: Vec<String>,
    /// The audit annotation text, when the audit level is violated.
    pub audit: Option<String>,
}

/// Evaluates a pod (`enforce` true) or a workload's pod template (`enforce` false:
/// warnings and audit only) under a namespace policy.
pub fn evaluate(policy: &Policy, metadata: &Value, spec: &Value, enforce: bool) -> Decision {
    let mut d = Decision::default();
    if enforce {
        let v = check(policy.enforce, metadata, spec);
        if !v.is_empty() {
            d.forbidden = Some(message(policy.enforce, &v));
        }
    }
    let audit = check(policy.audit, metadata, spec);
    if !audit.is_empty() {
        d.audit = Some(warning(policy.audit, &audit));
    }
    if d.forbidden.is_none() {
        let v = check(policy.warn, metadata, spec);
        if !v.is_empty() {
            d.warnings.push(warning(policy.warn, &v));
        }
    }
    d
}

/// Whether objects of a resource carry a pod template the plugin checks (pods are
/// checked themselves, not through this).
pub fn has_pod_template(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        ("", "podtemplates" | "replicationcontrollers")
            | (
                "apps",
                "deployments" | "replicasets" | "statefulsets" | "daemonsets"
            )
            | ("batch", "jobs" | "cronjobs")
    )
}

/// The pod template (metadata, spec) of an object whose resource carries one, as the
/// plugin extracts it; `None` for resources without a template, or a replication
/// controller without one.
pub fn pod_template<'a>(
    group: &str,
    resource: &str,
    obj: &'a Value,
) -> Option<(&'a Value, &'a Value)> {
    const NULL: &Value = &Value::Null;
    let template = match (group, resource) {
        ("", "podtemplates") => obj.get("template").unwrap_or(NULL),
        ("", "replicationcontrollers") => obj.pointer("/spec/template").filter(|t| !t.is_null())?,
        ("apps", "deployments" | "replicasets" | "statefulsets" | "daemonsets")
        | ("batch", "jobs") => obj.pointer("/spec/template").unwrap_or(NULL),
        ("batch", "cronjobs") => obj
            .pointer("/spec/jobTemplate/spec/template")
            .unwrap_or(NULL),
        _ => return None,
    };
    Some((
        template.get("metadata").unwrap_or(NULL),
        template.get("spec").unwrap_or(NULL),
    ))
}

/// Whether a pod update is worth a new evaluation, as the plugin decides: a container
/// added or removed, an image changed, or an ephemeral container added or changed.
pub fn is_significant_pod_update(new: &Value, old: &Value) -> bool {
    let list = |pod: &Value, key: &str| -> Vec<Value> {
        pod.pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let image = |c: &Value| {
        c.get("image")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    for key in ["containers", "initContainers"] {
        let (n, o) = (list(new, key), list(old, key));
        if n.len() != o.len() || n.iter().zip(&o).any(|(a, b)| image(a) != image(b)) {
            return true;
        }
    }
    let old_eph = list(old, "ephemeralContainers");
    list(new, "ephemeralContainers").iter().any(|c| {
        let name = c.get("name");
        match old_eph.iter().find(|o| o.get("name") == name) {
            None => true,
            Some(o) => image(o) != image(c),
        }
    })
}

// ---------------------------------------------------------------------------------
// The checks.

const CAPABILITIES_BASELINE: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

fn sysctl_allowed(name: &str, minor: u32) -> bool {
    SYSCTLS_1_0.contains(&name)
        || (minor >= 27 && SYSCTLS_1_27.contains(&name))
        || (minor >= 29 && SYSCTLS_1_29.contains(&name))
        || (minor >= 32 && SYSCTLS_1_32.contains(&name))
}

/// Volume sources the restricted policy allows.
const ALLOWED_VOLUME_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// The restricted volume sources kube names, in the order it looks for them.
const NAMED_VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// `"a", "b"` (kube's joinQuote: plain double quotes, no escaping).
fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("\"{}\"", inner.join("\", \""))
}

fn pluralize<'a>(singular: &'a str, plural: &'a str, n: usize) -> &'a str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// `container "a"` / `containers "a", "b"`.
fn containers_phrase(names: &[String]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        join_quote(names)
    )
}

/// A field that is set (present and not null), as a Go pointer that is not nil.
fn set<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn bool_of(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

fn strings_of<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|x| x.as_str().unwrap_or(""))
}

struct Pod<'a> {
    metadata: &'a Value,
    spec: &'a Value,
}

impl<'a> Pod<'a> {
    /// Init containers, containers, then ephemeral containers.
    fn containers(&self) -> impl Iterator<Item = &'a Value> {
        let spec = self.spec;
        ["initContainers", "containers", "ephemeralContainers"]
            .into_iter()
            .flat_map(move |k| spec.get(k).and_then(Value::as_array).into_iter().flatten())
    }

    fn pod_sc(&self) -> Option<&'a Value> {
        set(self.spec, "securityContext")
    }

    fn annotations(&self) -> impl Iterator<Item = (&'a String, &'a str)> {
        self.metadata
            .get("annotations")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k, v.as_str().unwrap_or("")))
    }

    fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata
            .get("annotations")
            .and_then(|a| a.get(key))
            .map(|v| v.as_str().unwrap_or(""))
    }

    fn windows(&self) -> bool {
        self.spec.pointer("/os/name").and_then(Value::as_str) == Some("windows")
    }

    /// Containers whose securityContext field `key` satisfies `bad`.
    fn containers_where(&self, bad: impl Fn(Option<&'a Value>) -> bool) -> Vec<String> {
        self.containers()
            .filter(|c| bad(set(c, "securityContext")))
            .map(|c| str_of(c, "name").to_string())
            .collect()
    }

    fn app_armor(&self) -> Option<Violation> {
        let allowed_type = |t: &str| matches!(t, "RuntimeDefault" | "Localhost");
        let mut setters = Vec::new();
        let mut bad_values = BTreeSet::new();
        if let Some(p) = self.pod_sc().and_then(|sc| set(sc, "appArmorProfile")) {
            let t = str_of(p, "type");
            if !allowed_type(t) {
                setters.push("pod".to_string());
                bad_values.insert(t.to_string());
            }
        }
        let mut bad_containers = Vec::new();
        for c in self.containers() {
            if let Some(p) = set(c, "securityContext").and_then(|sc| set(sc, "appArmorProfile")) {
                let t = str_of(p, "type");
                if !allowed_type(t) {
                    bad_containers.push(str_of(c, "name").to_string());
                    bad_values.insert(t.to_string());
                }
            }
        }
        if !bad_containers.is_empty() {
            setters.push(containers_phrase(&bad_containers));
        }
        let mut bad: Vec<String> = bad_values.into_iter().collect();
        let mut annotations: Vec<String> = self
            .annotations()
            .filter(|(k, v)| {
                k.starts_with(APPARMOR_ANNOTATION_PREFIX)
                    && !(v.is_empty() || *v == "runtime/default" || v.starts_with("localhost/"))
            })
            .map(|(k, v)| format!("{k}={}", go_quote(v)))
            .collect();
        if !annotations.is_empty() {
            annotations.sort();
            setters.push(pluralize("annotation", "annotations", annotations.len()).to_string());
            bad.extend(annotations);
        }
        if setters.is_empty() {
            return None;
        }
        Some(Violation::new(
            pluralize(
                "forbidden AppArmor profile",
                "forbidden AppArmor profiles",
                bad.len(),
            ),
            format!(
                "{} must not set AppArmor profile type to {}",
                setters.join(" and "),
                join_quote(&bad)
            ),
        ))
    }

    fn capabilities_baseline(&self) -> Option<Violation> {
        let mut bad_containers = Vec::new();
        let mut caps = BTreeSet::new();
        for c in self.containers() {
            let Some(cap) = set(c, "securityContext").and_then(|sc| set(sc, "capabilities")) else {
                continue;
            };
            let mut valid = true;
            for a in strings_of(cap, "add") {
                if !CAPABILITIES_BASELINE.contains(&a) {
                    valid = false;
                    caps.insert(a.to_string());
                }
            }
            if !valid {
                bad_containers.push(str_of(c, "name").to_string());
            }
        }
        if bad_containers.is_empty() {
            return None;
        }
        let caps: Vec<String> = caps.into_iter().collect();
        Some(Violation::new(
            "non-default capabilities",
            format!(
                "{} must not include {} in securityContext.capabilities.add",
                containers_phrase(&bad_containers),
                join_quote(&caps)
            ),
        ))
    }

    fn host_namespaces(&self) -> Option<Violation> {
        let used: Vec<&str> = [
            ("hostNetwork", "hostNetwork=true"),
            ("hostPID", "hostPID=true"),
            ("hostIPC", "hostIPC=true"),
        ]
        .into_iter()
        .filter(|(k, _)| bool_of(self.spec, k) == Some(true))
        .map(|(_, s)| s)
        .collect();
        if used.is_empty() {
            return None;
        }
        Some(Violation::new("host namespaces", used.join(", ")))
    }

    fn volumes(&self) -> impl Iterator<Item = &'a Value> {
        self.spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }

    fn host_path_volumes(&self) -> Option<Violation> {
        let names: Vec<String> = self
            .volumes()
            .filter(|v| set(v, "hostPath").is_some())
            .map(|v| str_of(v, "name").to_string())
            .collect();
        if names.is_empty() {
            return None;
        }
        Some(Violation::new(
            "hostPath volumes",
            format!(
                "{} {}",
                pluralize("volume", "volumes", names.len()),
                join_quote(&names)
            ),
        ))
    }

    fn host_ports(&self) -> Option<Violation> {
        let mut bad_containers = Vec::new();
        // A set of decimal strings: kube sorts them as strings.
        let mut ports = BTreeSet::new();
        for c in self.containers() {
            let mut valid = true;
            for p in c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let hp = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
                if hp != 0 {
                    valid = false;
                    ports.insert(hp.to_string());
                }
            }
            if !valid {
                bad_containers.push(str_of(c, "name").to_string());
            }
        }
        if bad_containers.is_empty() {
            return None;
        }
        let ports: Vec<String> = ports.into_iter().collect();
        Some(Violation::new(
            "hostPort",
            format!(
                "{} {} {} {}",
                containers_phrase(&bad_containers),
                pluralize("uses", "use", bad_containers.len()),
                pluralize("hostPort", "hostPorts", ports.len()),
                ports.join(", ")
            ),
        ))
    }

    fn privileged(&self) -> Option<Violation> {
        let bad =
            self.containers_where(|sc| sc.and_then(|sc| bool_of(sc, "privileged")) == Some(true));
        if bad.is_empty() {
            return None;
        }
        Some(Violation::new(
            "privileged",
            format!(
                "{} must not set securityContext.privileged=true",
                containers_phrase(&bad)
            ),
        ))
    }

    fn proc_mount(&self) -> Option<Violation> {
        let mut bad = Vec::new();
        let mut types = BTreeSet::new();
        for c in self.containers() {
            if let Some(pm) = set(c, "securityContext").and_then(|sc| set(sc, "procMount")) {
                let t = pm.as_str().unwrap_or("");
                if t != "Default" {
                    bad.push(str_of(c, "name").to_string());
                    types.insert(t.to_string());
                }
            }
        }
        if bad.is_empty() {
            return None;
        }
        let types: Vec<String> = types.into_iter().collect();
        Some(Violation::new(
            "procMount",
            format!(
                "{} must not set securityContext.procMount to {}",
                containers_phrase(&bad),
                join_quote(&types)
            ),
        ))
    }

    fn se_linux(&self, minor: u32) -> Option<Violation> {
        let allowed = |t: &str| {
            matches!(
                t,
                "" | "container_t" | "container_init_t" | "container_kvm_t"
            ) || (minor >= 31 && t == "container_engine_t")
        };
        let mut bad_types = BTreeSet::new();
        let (mut user, mut role) = (false, false);
        let mut valid = |o: &Value| {
            let mut ok = true;
            let t = str_of(o, "type");
            if !allowed(t) {
                ok = false;
                bad_types.insert(t.to_string());
            }
            if !str_of(o, "user").is_empty() {
                ok = false;
                user = true;
            }
            if !str_of(o, "role").is_empty() {
                ok = false;
                role = true;
            }
            ok
        };
        let mut setters = Vec::new();
        if let Some(o) = self.pod_sc().and_then(|sc| set(sc, "seLinuxOptions")) {
            if !valid(o) {
                setters.push("pod".to_string());
            }
        }
        let mut bad_containers = Vec::new();
        for c in self.containers() {
            if let Some(o) = set(c, "securityContext").and_then(|sc| set(sc, "seLinuxOptions")) {
                if !valid(o) {
                    bad_containers.push(str_of(c, "name").to_string());
                }
            }
        }
        if !bad_containers.is_empty() {
            setters.push(containers_phrase(&bad_containers));
        }
        if setters.is_empty() {
            return None;
        }
        let mut data = Vec::new();
        if !bad_types.is_empty() {
            let types: Vec<String> = bad_types.into_iter().collect();
            data.push(format!(
                "{} {}",
                pluralize("type", "types", types.len()),
                join_quote(&types)
            ));
        }
        if user {
            data.push("user may not be set".to_string());
        }
        if role {
            data.push("role may not be set".to_string());
        }
        Some(Violation::new(
            "seLinuxOptions",
            format!(
                "{} set forbidden securityContext.seLinuxOptions: {}",
                setters.join(" and "),
                data.join("; ")
            ),
        ))
    }

    fn seccomp_baseline(&self, minor: u32) -> Option<Violation> {
        if minor < 19 {
            return self.seccomp_annotations();
        }
        self.seccomp_fields(false)
    }

    /// Before v1.19 seccomp profiles were annotations.
    fn seccomp_annotations(&self) -> Option<Violation> {
        let valid = |v: &str| {
            v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
        };
        let mut forbidden = BTreeSet::new();
        if let Some(v) = self.annotation(SECCOMP_POD_ANNOTATION) {
            if !valid(v) {
                forbidden.insert(format!("{SECCOMP_POD_ANNOTATION}={}", go_quote(v)));
            }
        }
        for c in self.containers() {
            let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", str_of(c, "name"));
            if let Some(v) = self.annotation(&key) {
                if !valid(v) {
                    forbidden.insert(format!("{key}={}", go_quote(v)));
                }
            }
        }
        if forbidden.is_empty() {
            return None;
        }
        let list: Vec<String> = forbidden.into_iter().collect();
        Some(Violation::new(
            "seccompProfile",
            format!(
                "forbidden {} {}",
                pluralize("annotation", "annotations", list.len()),
                list.join(", ")
            ),
        ))
    }

    /// The seccompProfile field checks; `required` (restricted) also refuses
    /// containers that end up without a profile.
    fn seccomp_fields(&self, required: bool) -> Option<Violation> {
        let valid = |p: &Value| matches!(str_of(p, "type"), "RuntimeDefault" | "Localhost");
        let mut setters = Vec::new();
        let mut bad_values = BTreeSet::new();
        let mut pod_set = false;
        if let Some(p) = self.pod_sc().and_then(|sc| set(sc, "seccompProfile")) {
            if valid(p) {
                pod_set = true;
            } else {
                setters.push("pod".to_string());
                bad_values.insert(str_of(p, "type").to_string());
            }
        }
        let mut explicit = Vec::new();
        let mut implicit = Vec::new();
        for c in self.containers() {
            match set(c, "securityContext").and_then(|sc| set(sc, "seccompProfile")) {
                Some(p) => {
                    if !valid(p) {
                        explicit.push(str_of(c, "name").to_string());
                        bad_values.insert(str_of(p, "type").to_string());
                    }
                }
                None => {
                    if !pod_set {
                        implicit.push(str_of(c, "name").to_string());
                    }
                }
            }
        }
        if !explicit.is_empty() {
            setters.push(containers_phrase(&explicit));
        }
        if !setters.is_empty() {
            let values: Vec<String> = bad_values.into_iter().collect();
            return Some(Violation::new(
                "seccompProfile",
                format!(
                    "{} must not set securityContext.seccompProfile.type to {}",
                    setters.join(" and "),
                    join_quote(&values)
                ),
            ));
        }
        if required && !implicit.is_empty() {
            return Some(Violation::new(
                "seccompProfile",
                format!(
                    r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
                    containers_phrase(&implicit)
                ),
            ));
        }
        None
    }

    fn sysctls(&self, minor: u32) -> Option<Violation> {
        let bad: Vec<&str> = self
            .pod_sc()
            .and_then(|sc| sc.get("sysctls"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| str_of(s, "name"))
            .filter(|n| !sysctl_allowed(n, minor))
            .collect();
        if bad.is_empty() {
            return None;
        }
        Some(Violation::new("forbidden sysctls", bad.join(", ")))
    }

    fn windows_host_process(&self) -> Option<Violation> {
        let host_process = |sc: &Value| {
            sc.pointer("/windowsOptions/hostProcess")
                .and_then(Value::as_bool)
                == Some(true)
        };
        let mut setters = Vec::new();
        if self.pod_sc().is_some_and(host_process) {
            setters.push("pod".to_string());
        }
        let bad = self.containers_where(|sc| sc.is_some_and(host_process));
        if !bad.is_empty() {
            setters.push(containers_phrase(&bad));
        }
        if setters.is_empty() {
            return None;
        }
        Some(Violation::new(
            "hostProcess",
            format!(
                "{} must not set securityContext.windowsOptions.hostProcess=true",
                setters.join(" and ")
            ),
        ))
    }

    fn allow_privilege_escalation(&self, minor: u32) -> Option<Violation> {
        if minor >= 25 && self.windows() {
            return None;
        }
        let bad = self.containers_where(|sc| {
            sc.and_then(|sc| bool_of(sc, "allowPrivilegeEscalation")) != Some(false)
        });
        if bad.is_empty() {
            return None;
        }
        Some(Violation::new(
            "allowPrivilegeEscalation != false",
            format!(
                "{} must set securityContext.allowPrivilegeEscalation=false",
                containers_phrase(&bad)
            ),
        ))
    }

    fn capabilities_restricted(&self, minor: u32) -> Option<Violation> {
        if minor >= 25 && self.windows() {
            return None;
        }
        let mut missing_drop = Vec::new();
        let mut adding = Vec::new();
        let mut forbidden = BTreeSet::new();
        for c in self.containers() {
            let name = str_of(c, "name").to_string();
            let Some(cap) = set(c, "securityContext").and_then(|sc| set(sc, "capabilities")) else {
                missing_drop.push(name);
                continue;
            };
            if !strings_of(cap, "drop").any(|d| d == "ALL") {
                missing_drop.push(name.clone());
            }
            let mut added_forbidden = false;
            for a in strings_of(cap, "add") {
                if a != "NET_BIND_SERVICE" {
                    added_forbidden = true;
                    forbidden.insert(a.to_string());
                }
            }
            if added_forbidden {
                adding.push(name);
            }
        }
        let mut details = Vec::new();
        if !missing_drop.is_empty() {
            details.push(format!(
                r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
                containers_phrase(&missing_drop)
            ));
        }
        if !adding.is_empty() {
            let caps: Vec<String> = forbidden.into_iter().collect();
            details.push(format!(
                "{} must not include {} in securityContext.capabilities.add",
                containers_phrase(&adding),
                join_quote(&caps)
            ));
        }
        if details.is_empty() {
            return None;
        }
        Some(Violation::new(
            "unrestricted capabilities",
            details.join("; "),
        ))
    }

    fn restricted_volumes(&self) -> Option<Violation> {
        let mut bad = Vec::new();
        let mut types = BTreeSet::new();
        for v in self.volumes() {
            if ALLOWED_VOLUME_SOURCES.iter().any(|k| set(v, k).is_some()) {
                continue;
            }
            bad.push(str_of(v, "name").to_string());
            let t = NAMED_VOLUME_SOURCES
                .iter()
                .find(|k| set(v, k).is_some())
                .copied()
                .unwrap_or("unknown");
            types.insert(t.to_string());
        }
        if bad.is_empty() {
            return None;
        }
        let types: Vec<String> = types.into_iter().collect();
        Some(Violation::new(
            "restricted volume types",
            format!(
                "{} {} {} {} {}",
                pluralize("volume", "volumes", bad.len()),
                join_quote(&bad),
                pluralize("uses", "use", bad.len()),
                pluralize(
                    "restricted volume type",
                    "restricted volume types",
                    types.len()
                ),
                join_quote(&types)
            ),
        ))
    }

    fn run_as_non_root(&self) -> Option<Violation> {
        let mut setters = Vec::new();
        let mut pod_non_root = false;
        match self.pod_sc().and_then(|sc| bool_of(sc, "runAsNonRoot")) {
            Some(false) => setters.push("pod".to_string()),
            Some(true) => pod_non_root = true,
            None => {}
        }
        let mut explicit = Vec::new();
        let mut implicit = Vec::new();
        for c in self.containers() {
            match set(c, "securityContext").and_then(|sc| bool_of(sc, "runAsNonRoot")) {
                Some(false) => explicit.push(str_of(c, "name").to_string()),
                Some(true) => {}
                None => {
                    if !pod_non_root {
                        implicit.push(str_of(c, "name").to_string());
                    }
                }
            }
        }
        if !explicit.is_empty() {
            setters.push(containers_phrase(&explicit));
        }
        if !setters.is_empty() {
            return Some(Violation::new(
                "runAsNonRoot != true",
                format!(
                    "{} must not set securityContext.runAsNonRoot=false",
                    setters.join(" and ")
                ),
            ));
        }
        if !implicit.is_empty() {
            return Some(Violation::new(
                "runAsNonRoot != true",
                format!(
                    "pod or {} must set securityContext.runAsNonRoot=true",
                    containers_phrase(&implicit)
                ),
            ));
        }
        None
    }

    fn run_as_user(&self) -> Option<Violation> {
        let root = |sc: &Value| sc.get("runAsUser").and_then(Value::as_i64) == Some(0);
        let mut setters = Vec::new();
        if self.pod_sc().is_some_and(root) {
            setters.push("pod".to_string());
        }
        let bad = self.containers_where(|sc| sc.is_some_and(root));
        if !bad.is_empty() {
            setters.push(containers_phrase(&bad));
        }
        if setters.is_empty() {
            return None;
        }
        Some(Violation::new(
            "runAsUser=0",
            format!("{} must not set runAsUser=0", setters.join(" and ")),
        ))
    }

    fn seccomp_restricted(&self, minor: u32) -> Option<Violation> {
        if minor >= 25 && self.windows() {
            return None;
        }
        self.seccomp_fields(true)
    }
}

#[cfg(test)]
mod tests;

//! PodSecurity admission, as kube-apiserver runs its built-in plugin with the default
//! configuration (every mode `privileged:latest`, no exemptions). A namespace picks
//! its policy with the `pod-security.kubernetes.io/{enforce,warn,audit}[-version]`
//! labels:
//!
//! - pods (create, and updates that change an image or add an ephemeral container):
//!   an enforce violation is a 403 (`pods "NAME" is forbidden: violates PodSecurity
//!   "LEVEL:VERSION": ...`); otherwise a warn violation is a `Warning` header;
//! - workloads with a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
//!   Job, CronJob, ReplicationController, PodTemplate) are never refused: a violation of
//!   the warn level (which follows the enforce level when not set) is a warning;
//! - namespaces: invalid label values are refused on create and on updates that
//!   introduce them (422, as kube); where they are already stored, the plugin's
//!   fallbacks apply (enforce `restricted`, warn/audit `privileged`, version `latest`).
//!
//! The rules themselves are pure code in [`vnest_api::podsecurity`]. Audit annotations
//! are computed but not recorded: there is no audit log.

use serde_json::Value;
use vnest_api::podsecurity::{self as pss, Policy};
use vnest_api::status::ApiError;

use crate::rest::{ResourceDef, Rest};

/// Pod subresources the plugin does not look at.
const IGNORED_POD_SUBRESOURCES: &[&str] = &[
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

fn is_pods(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.resource == "pods"
}

fn is_namespaces(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.resource == "namespaces" && def.custom.is_none()
}

fn has_template(def: &ResourceDef) -> bool {
    def.custom.is_none() && pss::has_pod_template(&def.group, &def.resource)
}

/// The policy a namespace object's labels select.
pub fn namespace_policy(namespace: &Value) -> Policy {
    let labels = namespace
        .pointer("/metadata/labels")
        .and_then(Value::as_object);
    pss::policy_from_labels(labels, Policy::default()).0
}

/// Admission of a namespaced create, given the (existing) namespace object: the
/// warnings to send, or the 403 of an enforce violation.
pub fn admit_create(
    def: &ResourceDef,
    namespace: &Value,
    name: &str,
    obj: &Value,
) -> Result<Vec<String>, ApiError> {
    if def.custom.is_some() {
        return Ok(Vec::new());
    }
    if is_pods(def) {
        let policy = namespace_policy(namespace);
        if policy.fully_privileged() {
            return Ok(Vec::new());
        }
        return decide(def, name, &policy, obj, true);
    }
    if has_template(def) {
        let policy = namespace_policy(namespace);
        return admit_template(def, &policy, obj);
    }
    Ok(Vec::new())
}

fn admit_template(
    def: &ResourceDef,
    policy: &Policy,
    obj: &Value,
) -> Result<Vec<String>, ApiError> {
    if policy.warn.level == pss::Level::Privileged && policy.audit.level == pss::Level::Privileged {
        return Ok(Vec::new());
    }
    let Some((metadata, spec)) = pss::pod_template(&def.group, &def.resource, obj) else {
        return Ok(Vec::new());
    };
    Ok(pss::evaluate(policy, metadata, spec, false).warnings)
}

fn decide(
    def: &ResourceDef,
    name: &str,
    policy: &Policy,
    pod: &Value,
    enforce: bool,
) -> Result<Vec<String>, ApiError> {
    let null = Value::Null;
    let d = pss::evaluate(
        policy,
        pod.get("metadata").unwrap_or(&null),
        pod.get("spec").unwrap_or(&null),
        enforce,
    );
    match d.forbidden {
        Some(why) => Err(ApiError::forbidden(def.target(name), &why)),
        None => Ok(d.warnings),
    }
}

/// Namespace label validation on create (`old` none) or update: kube refuses invalid
/// `pod-security.kubernetes.io/*` values, on update only when they are new.
pub fn validate_namespace(
    def: &ResourceDef,
    name: &str,
    new: &Value,
    old: Option<&Value>,
    subresource: Option<&str>,
) -> Result<(), ApiError> {
    if !is_namespaces(def) || subresource.is_some() {
        return Ok(());
    }
    let errors = |ns: &Value| {
        let labels = ns.pointer("/metadata/labels").and_then(Value::as_object);
        pss::policy_from_labels(labels, Policy::default()).1
    };
    let new_errs = errors(new);
    if new_errs.is_empty() {
        return Ok(());
    }
    if let Some(old) = old {
        let old_errs = errors(old);
        let same = old_errs.len() == new_errs.len()
            && old_errs
                .iter()
                .zip(&new_errs)
                .all(|(a, b)| a.to_string() == b.to_string());
        if !old_errs.is_empty() && same {
            return Ok(());
        }
    }
    Err(crate::admission::invalid(def, name, &new_errs))
}

/// Admission of an update. Namespaces: label validation. Pods: an update that changes
/// an image or adds an ephemeral container is evaluated again and refused on an enforce
/// violation (update warnings are not sent: update replies carry decode warnings only).
pub async fn admit_update(
    rest: &Rest,
    def: &ResourceDef,
    ns: Option<&str>,
    name: &str,
    current: &Value,
    next: &Value,
    subresource: Option<&str>,
) -> Result<(), ApiError> {
    if is_namespaces(def) {
        return validate_namespace(def, name, next, Some(current), subresource);
    }
    if !is_pods(def) || subresource.is_some_and(|s| IGNORED_POD_SUBRESOURCES.contains(&s)) {
        return Ok(());
    }
    let Some(ns) = ns else {
        return Ok(());
    };
    if !pss::is_significant_pod_update(next, current) {
        return Ok(());
    }
    let namespace = load_namespace(rest, ns).await?;
    let policy = namespace_policy(&namespace);
    if policy.enforce.level == pss::Level::Privileged {
        return Ok(());
    }
    decide(def, name, &policy, next, true).map(|_| ())
}

async fn load_namespace(rest: &Rest, ns: &str) -> Result<Value, ApiError> {
    let lookup_failed = || {
        ApiError::internal(format!(
            "Internal error occurred: failed to lookup namespace \"{ns}\""
        ))
    };
    rest.namespace_object(ns)
        .await
        .map_err(|_| lookup_failed())?
        .ok_or_else(lookup_failed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn def(group: &str, kind: &str, resource: &str, namespaced: bool) -> ResourceDef {
        ResourceDef {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            resource: resource.into(),
            namespaced,
            verbs: Vec::new(),
            subresources: Vec::new(),
            custom: None,
        }
    }

    fn namespace(labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "labels": labels}})
    }

    fn psa_namespace() -> Value {
        namespace(json!({
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted"
        }))
    }

    fn plain_pod(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
    }

    #[test]
    fn enforce_refuses_with_kube_status() {
        let pods = def("", "Pod", "pods", true);
        let mut pod = plain_pod("hostnet");
        pod["spec"]["hostNetwork"] = json!(true);
        let err = admit_create(&pods, &psa_namespace(), "hostnet", &pod).unwrap_err();
        assert_eq!(err.code, 403);
        let status = err.to_status();
        assert_eq!(status["reason"], "Forbidden");
        assert_eq!(
            status["message"],
            r#"pods "hostnet" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#
        );
        assert_eq!(
            status["details"],
            json!({"name": "hostnet", "kind": "pods"})
        );
    }

    #[test]
    fn warn_level_gives_the_recorded_warning() {
        let pods = def("", "Pod", "pods", true);
        let warnings =
            admit_create(&pods, &psa_namespace(), "plain", &plain_pod("plain")).expect("admitted");
        assert_eq!(
            warnings,
            [concat!(
                r#"would violate PodSecurity "restricted:latest": "#,
                r#"allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), "#,
                r#"unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), "#,
                r#"runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), "#,
                r#"seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
            )]
        );
    }

    #[test]
    fn unlabelled_namespaces_admit_everything() {
        let pods = def("", "Pod", "pods", true);
        let mut pod = plain_pod("p");
        pod["spec"]["hostPID"] = json!(true);
        let ns = json!({"metadata": {"name": "ns"}});
        assert_eq!(
            admit_create(&pods, &ns, "p", &pod).expect("ok"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn workloads_only_warn_even_under_enforce() {
        let deployments = def("apps", "Deployment", "deployments", true);
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"hostNetwork": true, "containers": [{"name": "app", "image": "nginx"}]}}}});
        // Enforce only: warn follows enforce.
        let ns = namespace(json!({"pod-security.kubernetes.io/enforce": "baseline"}));
        assert_eq!(
            admit_create(&deployments, &ns, "d", &d).expect("never refused"),
            [r#"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#]
        );
        // Explicit warn=privileged: nothing.
        let ns = namespace(json!({
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "privileged"
        }));
        assert!(admit_create(&deployments, &ns, "d", &d)
            .expect("ok")
            .is_empty());
        // Resources without a template are not looked at.
        let cms = def("", "ConfigMap", "configmaps", true);
        assert!(admit_create(&cms, &psa_namespace(), "c", &json!({}))
            .expect("ok")
            .is_empty());
    }

    #[test]
    fn invalid_enforce_label_fails_closed() {
        let pods = def("", "Pod", "pods", true);
        let ns = namespace(json!({"pod-security.kubernetes.io/enforce": "bogus"}));
        let err = admit_create(&pods, &ns, "plain", &plain_pod("plain")).unwrap_err();
        assert!(
            err.message
                .contains(r#"violates PodSecurity "restricted:latest""#),
            "{}",
            err.message
        );
        // An invalid warn label warns about nothing.
        let ns = namespace(json!({"pod-security.kubernetes.io/warn": "loud"}));
        assert!(admit_create(&pods, &ns, "plain", &plain_pod("plain"))
            .expect("ok")
            .is_empty());
    }

    #[test]
    fn namespace_labels_are_validated() {
        let namespaces = def("", "Namespace", "namespaces", false);
        let bad = namespace(json!({"pod-security.kubernetes.io/enforce": "bogus"}));
        let err = validate_namespace(&namespaces, "ns", &bad, None, None).unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            r#"Namespace "ns" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus": must be one of privileged, baseline, restricted"#
        );
        // Updates that keep the same invalid value pass; new errors do not.
        assert!(validate_namespace(&namespaces, "ns", &bad, Some(&bad), None).is_ok());
        let good = psa_namespace();
        assert!(validate_namespace(&namespaces, "ns", &bad, Some(&good), None).is_err());
        assert!(validate_namespace(&namespaces, "ns", &good, None, None).is_ok());
        // Subresources (status, finalize) are not looked at.
        assert!(validate_namespace(&namespaces, "ns", &bad, None, Some("finalize")).is_ok());
    }
}

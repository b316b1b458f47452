//! apps/v1, batch/v1 and core/v1 ReplicationController.

use serde_json::{json, Map, Value};

use super::pod::{default_pod_template, default_pvc_spec};
use super::{child, default_str, default_value, existing, is_unset, map_is_empty, str_of};

pub(super) fn default_deployment(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_value(spec, "replicas", json!(1));
        if let Some(strategy) = child(spec, "strategy") {
            default_str(strategy, "type", "RollingUpdate");
            if str_of(strategy, "type") == "RollingUpdate" {
                if let Some(ru) = child(strategy, "rollingUpdate") {
                    default_value(ru, "maxUnavailable", json!("25%"));
                    default_value(ru, "maxSurge", json!("25%"));
                }
            }
        }
        default_value(spec, "revisionHistoryLimit", json!(10));
        default_value(spec, "progressDeadlineSeconds", json!(600));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
    }
    child(root, "status");
}

pub(super) fn default_replica_set(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_value(spec, "replicas", json!(1));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
    }
    if let Some(status) = child(root, "status") {
        default_value(status, "replicas", json!(0));
    }
}

pub(super) fn default_replication_controller(root: &mut Map<String, Value>) {
    let template_labels = root
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = template_labels {
        if let Some(spec) = child(root, "spec") {
            if map_is_empty(spec, "selector") {
                spec.insert("selector".into(), labels.clone());
            }
        }
        if let Some(meta) = child(root, "metadata") {
            if map_is_empty(meta, "labels") {
                meta.insert("labels".into(), labels);
            }
        }
    }
    if let Some(spec) = child(root, "spec") {
        default_value(spec, "replicas", json!(1));
        if let Some(t) = existing(spec, "template") {
            default_pod_template(t);
        }
    }
    if let Some(status) = child(root, "status") {
        default_value(status, "replicas", json!(0));
    }
}

pub(super) fn default_stateful_set(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_value(spec, "replicas", json!(1));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
        for claim in spec
            .get_mut("volumeClaimTemplates")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
        {
            default_str(claim, "kind", "PersistentVolumeClaim");
            default_str(claim, "apiVersion", "v1");
            child(claim, "metadata");
            if let Some(s) = child(claim, "spec") {
                default_pvc_spec(s);
            }
            if let Some(status) = child(claim, "status") {
                default_str(status, "phase", "Pending");
            }
        }
        default_value(spec, "serviceName", json!(""));
        default_str(spec, "podManagementPolicy", "OrderedReady");
        if let Some(strategy) = child(spec, "updateStrategy") {
            if str_of(strategy, "type").is_empty() {
                strategy.insert("type".into(), json!("RollingUpdate"));
                default_value(strategy, "rollingUpdate", json!({}));
            }
            if str_of(strategy, "type") == "RollingUpdate" {
                if let Some(ru) = existing(strategy, "rollingUpdate") {
                    default_value(ru, "partition", json!(0));
                }
            }
        }
        default_value(spec, "revisionHistoryLimit", json!(10));
        if let Some(policy) = child(spec, "persistentVolumeClaimRetentionPolicy") {
            default_str(policy, "whenDeleted", "Retain");
            default_str(policy, "whenScaled", "Retain");
        }
    }
    if let Some(status) = child(root, "status") {
        default_value(status, "replicas", json!(0));
        default_value(status, "availableReplicas", json!(0));
    }
}

pub(super) fn default_daemon_set(root: &mut Map<String, Value>) {
    // The registry strategy starts every DaemonSet at template generation 1.
    if let Some(meta) = child(root, "metadata") {
        if let Some(ann) = child(meta, "annotations") {
            default_value(ann, "deprecated.daemonset.template.generation", json!("1"));
        }
    }
    if let Some(spec) = child(root, "spec") {
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
        if let Some(strategy) = child(spec, "updateStrategy") {
            default_str(strategy, "type", "RollingUpdate");
            if str_of(strategy, "type") == "RollingUpdate" {
                if let Some(ru) = child(strategy, "rollingUpdate") {
                    default_value(ru, "maxUnavailable", json!(1));
                    default_value(ru, "maxSurge", json!(0));
                }
            }
        }
        default_value(spec, "revisionHistoryLimit", json!(10));
    }
    if let Some(status) = child(root, "status") {
        for key in [
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady",
        ] {
            default_value(status, key, json!(0));
        }
    }
}

/// `SetDefaults_Job` without the pod template (shared with nothing: CronJob
/// job templates are not defaulted at this level).
pub(super) fn default_job(root: &mut Map<String, Value>) {
    let name = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let uid = root
        .get("metadata")
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    let template_labels = root
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = template_labels {
        if let Some(meta) = child(root, "metadata") {
            if map_is_empty(meta, "labels") {
                meta.insert("labels".into(), labels);
            }
        }
    }
    let Some(spec) = child(root, "spec") else {
        return;
    };
    if is_unset(spec.get("completions")) && is_unset(spec.get("parallelism")) {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    default_value(spec, "parallelism", json!(1));
    if is_unset(spec.get("backoffLimit")) {
        let limit = if is_unset(spec.get("backoffLimitPerIndex")) {
            6
        } else {
            i64::from(i32::MAX)
        };
        spec.insert("backoffLimit".into(), json!(limit));
    }
    default_value(spec, "completionMode", json!("NonIndexed"));
    default_value(spec, "suspend", json!(false));
    let has_failure_policy = !is_unset(spec.get("podFailurePolicy"));
    if let Some(pfp) = existing(spec, "podFailurePolicy") {
        for rule in super::items_mut(pfp, "rules") {
            for pattern in super::items_mut(rule, "onPodConditions") {
                default_str(pattern, "status", "True");
            }
        }
    }
    let replacement = if has_failure_policy {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default_value(spec, "podReplacementPolicy", json!(replacement));
    default_value(spec, "manualSelector", json!(false));
    if let Some(t) = child(spec, "template") {
        default_pod_template(t);
    }
    if spec.get("manualSelector").and_then(Value::as_bool) != Some(true) {
        if let Some(uid) = uid {
            generate_job_selector(spec, &name, &uid);
        }
    }
    child(root, "status");
}

/// The selector and pod labels the Job strategy generates when
/// `manualSelector` is not true.
fn generate_job_selector(spec: &mut Map<String, Value>, name: &str, uid: &str) {
    if let Some(labels) = child(spec, "template")
        .and_then(|t| child(t, "metadata"))
        .and_then(|m| child(m, "labels"))
    {
        for key in ["job-name", "batch.kubernetes.io/job-name"] {
            labels.entry(key).or_insert_with(|| json!(name));
        }
        for key in ["controller-uid", "batch.kubernetes.io/controller-uid"] {
            labels.entry(key).or_insert_with(|| json!(uid));
        }
    }
    if let Some(match_labels) = child(spec, "selector").and_then(|s| child(s, "matchLabels")) {
        match_labels
            .entry("batch.kubernetes.io/controller-uid")
            .or_insert_with(|| json!(uid));
    }
}

pub(super) fn default_cron_job(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_str(spec, "concurrencyPolicy", "Allow");
        default_value(spec, "suspend", json!(false));
        default_value(spec, "successfulJobsHistoryLimit", json!(3));
        default_value(spec, "failedJobsHistoryLimit", json!(1));
        if let Some(jt) = child(spec, "jobTemplate") {
            child(jt, "metadata");
            if let Some(job_spec) = child(jt, "spec") {
                if let Some(t) = child(job_spec, "template") {
                    default_pod_template(t);
                }
            }
        }
    }
    child(root, "status");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_selector_needs_a_uid() {
        let mut job = json!({"metadata": {"name": "j"},
            "spec": {"template": {"spec": {"containers": [], "restartPolicy": "Never"}}}});
        if let Some(root) = job.as_object_mut() {
            default_job(root);
        }
        assert!(job["spec"].get("selector").is_none());
        let mut job = json!({"metadata": {"name": "j", "uid": "u-1"},
            "spec": {"template": {"spec": {"containers": [], "restartPolicy": "Never"}}}});
        if let Some(root) = job.as_object_mut() {
            default_job(root);
        }
        assert_eq!(
            job["spec"]["selector"],
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}})
        );
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["job-name"],
            "j"
        );
    }

    #[test]
    fn manual_selector_is_respected() {
        let mut job = json!({"metadata": {"name": "j", "uid": "u"},
            "spec": {"manualSelector": true, "selector": {"matchLabels": {"a": "b"}},
                     "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                     "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}});
        if let Some(root) = job.as_object_mut() {
            default_job(root);
        }
        assert_eq!(job["spec"]["selector"], json!({"matchLabels": {"a": "b"}}));
        assert_eq!(job["spec"]["podReplacementPolicy"], "Failed");
        assert_eq!(
            job["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"],
            "True"
        );
        // Job labels come from the template when the job has none.
        assert_eq!(job["metadata"]["labels"], json!({"a": "b"}));
    }

    #[test]
    fn replication_controller_selector_from_template() {
        let mut rc = json!({"metadata": {"name": "rc"},
            "spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": []}}}});
        if let Some(root) = rc.as_object_mut() {
            default_replication_controller(root);
        }
        assert_eq!(rc["spec"]["selector"], json!({"app": "x"}));
        assert_eq!(rc["metadata"]["labels"], json!({"app": "x"}));
        assert_eq!(rc["spec"]["replicas"], 1);
    }
}

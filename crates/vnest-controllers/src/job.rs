//! The Job controller: pods from the template up to `parallelism` until
//! `completions` pods succeeded; failures counted against `backoffLimit`;
//! `activeDeadlineSeconds`; `suspend`; status (active, ready, succeeded, failed,
//! startTime, completionTime) and the conditions of kube 1.33 (SuccessCriteriaMet
//! then Complete; FailureTarget then Failed); `ttlSecondsAfterFinished` deletes
//! finished jobs.

use std::collections::BTreeSet;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};

use crate::informer::{controller_uid, is_status, key_of, watch_channel, Change, Key, Store};
use crate::pods::{is_active, is_ready};

const MANAGER: &str = "job-controller";

/// What the pods of a job add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub active: i32,
    pub ready: i32,
    pub succeeded: i32,
    pub failed: i32,
}

/// The controller's decision for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Create this many pods.
    Create(i32),
    /// Delete this many active pods (parallelism lowered).
    Trim(i32),
    Complete,
    Fail {
        reason: &'static str,
        message: &'static str,
    },
    Wait,
}

/// Decides what a job needs from its counts (pure; see the module doc).
pub fn plan(job: &Job, counts: Counts, now: Timestamp) -> Plan {
    let spec = job.spec.clone().unwrap_or_default();
    let parallelism = spec.parallelism.unwrap_or(1).max(0);
    let completions = spec.completions;
    let backoff = spec.backoff_limit.unwrap_or(6);
    if counts.failed > backoff {
        return Plan::Fail {
            reason: "BackoffLimitExceeded",
            message: "Job has reached the specified backoff limit",
        };
    }
    if let (Some(ads), Some(start)) = (
        spec.active_deadline_seconds,
        job.status.as_ref().and_then(|s| s.start_time.as_ref()),
    ) {
        if now.duration_since(start.0).as_secs() >= ads {
            return Plan::Fail {
                reason: "DeadlineExceeded",
                message: "Job was active longer than specified deadline",
            };
        }
    }
    match completions {
        Some(c) if counts.succeeded >= c => return Plan::Complete,
        // Work-queue jobs: done once one pod succeeded and none runs.
        None if counts.succeeded > 0 && counts.active == 0 => return Plan::Complete,
        _ => {}
    }
    if spec.suspend == Some(true) {
        return if counts.active > 0 {
            Plan::Trim(counts.active)
        } else {
            Plan::Wait
        };
    }
    let want = match completions {
        Some(c) => parallelism.min(c - counts.succeeded),
        // A work queue with a success lets the running pods finish.
        None if counts.succeeded > 0 => return Plan::Wait,
        None => parallelism,
    };
    if counts.active < want {
        Plan::Create(want - counts.active)
    } else if counts.active > want {
        Plan::Trim(counts.active - want)
    } else {
        Plan::Wait
    }
}

fn finished(job: &Job) -> Option<Timestamp> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref().map(|t| t.0))
}

fn pod_for(job: &Job) -> Option<Pod> {
    let template = job.spec.as_ref()?.template.clone();
    let uid = job.uid()?;
    let mut meta = template.metadata.clone().unwrap_or_default();
    let labels = meta.labels.get_or_insert_with(Default::default);
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", uid.clone()),
        ("batch.kubernetes.io/job-name", job.name_any()),
        ("controller-uid", uid.clone()),
        ("job-name", job.name_any()),
    ] {
        labels.entry(k.to_string()).or_insert(v);
    }
    Some(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", job.name_any())),
            namespace: job.namespace(),
            labels: meta.labels,
            annotations: meta.annotations,
            owner_references: Some(vec![OwnerReference {
                api_version: "batch/v1".into(),
                kind: "Job".into(),
                name: job.name_any(),
                uid,
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    })
}

struct Controller {
    client: Client,
    jobs: Store<Job>,
    pods: Store<Pod>,
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

impl Controller {
    fn owned(&self, job: &Job) -> Vec<Pod> {
        let uid = job.uid().unwrap_or_default();
        let ns = job.namespace().unwrap_or_default();
        self.pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((n, _), _)| *n == ns)
            .map(|(_, p)| p)
            .filter(|p| controller_uid(*p, "Job").as_deref() == Some(uid.as_str()))
            .cloned()
            .collect()
    }

    fn owner_of(&self, pod: &Pod) -> Option<Key> {
        let uid = controller_uid(pod, "Job")?;
        self.jobs
            .objects
            .iter()
            .find(|(_, j)| j.uid().as_deref() == Some(uid.as_str()))
            .map(|(k, _)| k.clone())
    }

    async fn reconcile(&mut self, key: &Key) {
        let Some(job) = self.jobs.get(&key.0, &key.1).cloned() else {
            return;
        };
        if job.metadata.deletion_timestamp.is_some() {
            return;
        }
        let ns = key.0.clone();
        let jobs: Api<Job> = Api::namespaced(self.client.clone(), &ns);
        let now = Timestamp::now();
        if let Some(done) = finished(&job) {
            if let Some(ttl) = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished) {
                if now.duration_since(done).as_secs() >= i64::from(ttl) {
                    match jobs.delete(&key.1, &DeleteParams::background()).await {
                        Ok(_) => self.jobs.remove(&ns, &key.1),
                        Err(e) if is_status(&e, 404) => self.jobs.remove(&ns, &key.1),
                        Err(e) => tracing::warn!(job = %key.1, error = %e, "ttl delete failed"),
                    }
                }
            }
            return;
        }
        let pods = self.owned(&job);
        let counts = Counts {
            active: pods.iter().filter(|p| is_active(p)).count() as i32,
            ready: pods.iter().filter(|p| is_active(p) && is_ready(p)).count() as i32,
            succeeded: pods
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded"))
                .count() as i32,
            failed: pods
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed"))
                .count() as i32,
        };
        let pods_api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        let ts = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut status = json!({
            "active": counts.active, "ready": counts.ready,
            "succeeded": counts.succeeded, "failed": counts.failed,
            "terminating": 0, "uncountedTerminatedPods": {},
        });
        let start = job
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| ts.clone());
        status["startTime"] = json!(start);
        let decision = plan(&job, counts, now);
        let condition = |kind: &str, reason: &str, message: &str| {
            json!({"type": kind, "status": "True", "reason": reason, "message": message,
                   "lastProbeTime": ts, "lastTransitionTime": ts})
        };
        match decision {
            Plan::Create(n) => {
                if let Some(pod) = pod_for(&job) {
                    let creates = (0..n).map(|_| {
                        let api = pods_api.clone();
                        let pod = pod.clone();
                        async move {
                            let pp = PostParams {
                                field_manager: Some(MANAGER.into()),
                                ..Default::default()
                            };
                            api.create(&pp, &pod).await
                        }
                    });
                    for r in futures::future::join_all(creates).await {
                        match r {
                            Ok(p) => self.pods.put(p),
                            Err(e) => {
                                tracing::warn!(job = %key.1, error = %e, "creating a job pod failed")
                            }
                        }
                    }
                    status["active"] = json!(counts.active + n);
                }
            }
            Plan::Trim(n) => self.delete_active(&pods, n as usize, &pods_api).await,
            Plan::Complete => {
                status["conditions"] = json!([
                    condition(
                        "SuccessCriteriaMet",
                        "CompletionsReached",
                        "Reached expected number of succeeded pods"
                    ),
                    condition(
                        "Complete",
                        "CompletionsReached",
                        "Reached expected number of succeeded pods"
                    ),
                ]);
                status["completionTime"] = json!(ts);
                status["active"] = json!(0);
            }
            Plan::Fail { reason, message } => {
                self.delete_active(&pods, usize::MAX, &pods_api).await;
                status["conditions"] = json!([
                    condition("FailureTarget", reason, message),
                    condition("Failed", reason, message),
                ]);
                status["active"] = json!(0);
            }
            Plan::Wait => {}
        }
        if let Some(conds) = job.status.as_ref().and_then(|s| s.conditions.as_ref()) {
            if status.get("conditions").is_none() && !conds.is_empty() {
                status["conditions"] = serde_json::to_value(conds).unwrap_or(Value::Null);
            }
        }
        let current =
            serde_json::to_value(job.status.clone().unwrap_or_default()).unwrap_or(Value::Null);
        let changed = [
            "active",
            "ready",
            "succeeded",
            "failed",
            "startTime",
            "conditions",
            "completionTime",
        ]
        .iter()
        .any(|k| {
            let have = current.get(*k).filter(|v| !v.is_null() && *v != &json!(0));
            let want = status.get(*k).filter(|v| !v.is_null() && *v != &json!(0));
            have != want
        });
        if changed {
            match jobs
                .patch_status(&key.1, &params(), &Patch::Merge(&json!({"status": status})))
                .await
            {
                Ok(j) => self.jobs.put(j),
                Err(e) if is_status(&e, 404) => {}
                Err(e) => tracing::warn!(job = %key.1, error = %e, "job status failed"),
            }
        }
    }

    async fn delete_active(&mut self, pods: &[Pod], n: usize, api: &Api<Pod>) {
        for p in pods.iter().filter(|p| is_active(p)).take(n) {
            match api.delete(&p.name_any(), &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if is_status(&e, 404) => {}
                Err(e) => {
                    tracing::warn!(pod = %p.name_any(), error = %e, "deleting a job pod failed")
                }
            }
        }
    }
}

/// Runs forever; a tick handles deadlines and TTLs.
pub async fn run(client: Client) {
    let mut jobs = watch_channel(Api::<Job>::all(client.clone()));
    let mut pods = watch_channel(Api::<Pod>::all(client.clone()));
    let mut c = Controller {
        client,
        jobs: Store::default(),
        pods: Store::default(),
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let mut dirty: BTreeSet<Key> = BTreeSet::new();
        tokio::select! {
            Some(ev) = jobs.recv() => {
                if let Change::Touched(objs) = c.jobs.apply(ev) {
                    dirty.extend(objs.iter().filter(|(_, gone)| !gone).map(|(o, _)| key_of(o)));
                }
            }
            Some(ev) = pods.recv() => {
                if let Change::Touched(objs) = c.pods.apply(ev) {
                    dirty.extend(objs.iter().filter_map(|(p, _)| c.owner_of(p)));
                }
            }
            _ = tick.tick() => {
                dirty.extend(c.jobs.objects.iter().filter(|(_, j)| {
                    j.spec.as_ref().is_some_and(|s| s.active_deadline_seconds.is_some() || s.ttl_seconds_after_finished.is_some())
                }).map(|(k, _)| k.clone()));
            }
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = pods.try_recv() {
            if let Change::Touched(objs) = c.pods.apply(ev) {
                dirty.extend(objs.iter().filter_map(|(p, _)| c.owner_of(p)));
            }
        }
        for key in dirty {
            c.reconcile(&key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(spec: Value) -> Job {
        serde_json::from_value(json!({"metadata": {"name": "j", "uid": "u"}, "spec": spec}))
            .unwrap()
    }

    fn c(active: i32, succeeded: i32, failed: i32) -> Counts {
        Counts {
            active,
            ready: 0,
            succeeded,
            failed,
        }
    }

    #[test]
    fn plans() {
        let now = Timestamp::now();
        let t = json!({"spec": {"containers": []}});
        let simple = job(json!({"template": t}));
        assert_eq!(plan(&simple, c(0, 0, 0), now), Plan::Create(1));
        assert_eq!(plan(&simple, c(1, 0, 0), now), Plan::Wait);
        assert_eq!(plan(&simple, c(0, 1, 0), now), Plan::Complete);
        let par =
            job(json!({"template": t, "completions": 5, "parallelism": 2, "backoffLimit": 1}));
        assert_eq!(plan(&par, c(0, 0, 0), now), Plan::Create(2));
        assert_eq!(plan(&par, c(1, 4, 0), now), Plan::Wait);
        assert_eq!(plan(&par, c(0, 4, 1), now), Plan::Create(1));
        assert!(matches!(
            plan(&par, c(0, 0, 2), now),
            Plan::Fail {
                reason: "BackoffLimitExceeded",
                ..
            }
        ));
        let queue = job(json!({"template": t, "parallelism": 3}));
        assert_eq!(plan(&queue, c(0, 0, 0), now), Plan::Create(3));
        assert_eq!(plan(&queue, c(2, 1, 0), now), Plan::Wait);
        assert_eq!(plan(&queue, c(0, 1, 0), now), Plan::Complete);
        let suspended = job(json!({"template": t, "suspend": true}));
        assert_eq!(plan(&suspended, c(1, 0, 0), now), Plan::Trim(1));
    }
}

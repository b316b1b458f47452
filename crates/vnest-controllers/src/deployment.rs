//! The Deployment controller: one ReplicaSet per pod template (named
//! `<deployment>-<pod-template-hash>`), rolled out with RollingUpdate (maxSurge,
//! maxUnavailable) or Recreate, revision annotations for `kubectl rollout
//! history|undo`, pause, history limit, and the status and conditions `kubectl
//! rollout status` reads (Progressing with its reasons and the progress deadline,
//! Available).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::informer::{controller_uid, is_status, key_of, watch_channel, Change, Key, Store};

const MANAGER: &str = "deployment-controller";
pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

/// The pod-template-hash of a template (FNV-32a of its canonical JSON and the
/// collision count), encoded like kube's `SafeEncodeString`.
pub fn template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut t = template.clone();
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(HASH_LABEL);
    }
    let text = serde_json::to_string(&t).unwrap_or_default();
    crate::revision::safe_hash(&text, collision_count)
}

/// Templates equal apart from the pod-template-hash label.
fn same_template(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(meta) = t.metadata.as_mut() {
            if let Some(labels) = meta.labels.as_mut() {
                labels.remove(HASH_LABEL);
                if labels.is_empty() {
                    meta.labels = None;
                }
            }
        }
        serde_json::to_value(&t).unwrap_or_default()
    };
    strip(a) == strip(b)
}

/// maxSurge and maxUnavailable as numbers for `replicas` (surge rounds up,
/// unavailability down; both zero means one may be unavailable).
pub fn resolve_surge(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    replicas: i32,
) -> (i32, i32) {
    let value = |v: Option<&IntOrString>, default: &str, round_up: bool| -> i32 {
        let v = v.cloned().unwrap_or(IntOrString::String(default.into()));
        match v {
            IntOrString::Int(i) => i,
            IntOrString::String(s) => {
                let pct: f64 = s.trim_end_matches('%').parse().unwrap_or(0.0);
                let raw = pct * f64::from(replicas) / 100.0;
                if round_up {
                    raw.ceil() as i32
                } else {
                    raw.floor() as i32
                }
            }
        }
    };
    let surge = value(max_surge, "25%", true);
    let mut unavailable = value(max_unavailable, "25%", false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

fn revision_of(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

fn status_replicas(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map(|s| s.replicas).unwrap_or(0)
}

/// One scaling decision: set ReplicaSet `name` to `replicas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    pub name: String,
    pub replicas: i32,
}

/// The rolling-update step kube's controller takes: scale the new ReplicaSet up
/// within maxSurge, old ones down within maxUnavailable (unavailable pods first).
pub fn rolling_step(
    desired: i32,
    surge: i32,
    unavailable: i32,
    new: &ReplicaSet,
    old: &[&ReplicaSet],
) -> Vec<Scale> {
    let mut out = Vec::new();
    let total: i32 = spec_replicas(new) + old.iter().map(|r| spec_replicas(r)).sum::<i32>();
    let new_replicas = spec_replicas(new);
    if new_replicas < desired {
        let up = (desired + surge - total).min(desired - new_replicas);
        if up > 0 {
            out.push(Scale {
                name: new.name_any(),
                replicas: new_replicas + up,
            });
            return out;
        }
    } else if new_replicas > desired {
        out.push(Scale {
            name: new.name_any(),
            replicas: desired,
        });
        return out;
    }
    let min_available = desired - unavailable;
    let new_unavailable = (spec_replicas(new) - available(new)).max(0);
    let mut max_down = total - min_available - new_unavailable;
    if max_down <= 0 {
        return out;
    }
    let mut olds: Vec<&ReplicaSet> = old.to_vec();
    olds.sort_by_key(|r| {
        (
            revision_of(r),
            r.metadata.creation_timestamp.clone().map(|t| t.0),
        )
    });
    let mut planned: BTreeMap<String, i32> = BTreeMap::new();
    // Unhealthy old replicas go first.
    for rs in &olds {
        if max_down <= 0 {
            break;
        }
        let unhealthy = (spec_replicas(rs) - available(rs)).max(0).min(max_down);
        if unhealthy > 0 {
            planned.insert(rs.name_any(), spec_replicas(rs) - unhealthy);
            max_down -= unhealthy;
        }
    }
    let all_available: i32 = available(new) + olds.iter().map(|r| available(r)).sum::<i32>();
    let mut total_down = (all_available - min_available).min(max_down);
    for rs in &olds {
        if total_down <= 0 {
            break;
        }
        let current = planned
            .get(&rs.name_any())
            .copied()
            .unwrap_or(spec_replicas(rs));
        let down = current.min(total_down);
        if down > 0 {
            planned.insert(rs.name_any(), current - down);
            total_down -= down;
        }
    }
    for (name, replicas) in planned {
        out.push(Scale { name, replicas });
    }
    out
}

fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: kind.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

/// Replaces a condition, keeping lastTransitionTime while the status holds (and
/// lastUpdateTime while nothing changes).
fn set_condition(list: &mut Vec<DeploymentCondition>, mut c: DeploymentCondition) {
    if let Some(old) = list.iter_mut().find(|o| o.type_ == c.type_) {
        if old.status == c.status {
            c.last_transition_time = old.last_transition_time.clone();
            if old.reason == c.reason && old.message == c.message {
                c.last_update_time = old.last_update_time.clone();
            }
        }
        *old = c;
    } else {
        list.push(c);
    }
}

struct Controller {
    client: Client,
    deployments: Store<Deployment>,
    sets: Store<ReplicaSet>,
}

impl Controller {
    fn owned(&self, d: &Deployment) -> Vec<ReplicaSet> {
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let ns = d.namespace().unwrap_or_default();
        self.sets
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((n, _), _)| *n == ns)
            .map(|(_, r)| r)
            .filter(|r| controller_uid(*r, "Deployment").as_deref() == Some(uid.as_str()))
            .filter(|r| r.metadata.deletion_timestamp.is_none())
            .cloned()
            .collect()
    }

    fn owner_of(&self, rs: &ReplicaSet) -> Option<Key> {
        let uid = controller_uid(rs, "Deployment")?;
        self.deployments
            .objects
            .iter()
            .find(|(_, d)| d.metadata.uid.as_deref() == Some(uid.as_str()))
            .map(|(k, _)| k.clone())
    }

    fn params() -> PatchParams {
        PatchParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        }
    }

    async fn scale(&mut self, ns: &str, name: &str, replicas: i32, annotations: &[(&str, String)]) {
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), ns);
        let mut ann = serde_json::Map::new();
        for (k, v) in annotations {
            ann.insert(k.to_string(), json!(v));
        }
        let patch = json!({"metadata": {"annotations": ann}, "spec": {"replicas": replicas}});
        match api
            .patch(name, &Self::params(), &Patch::Merge(&patch))
            .await
        {
            Ok(rs) => self.sets.put(rs),
            Err(e) if is_status(&e, 404) => {}
            Err(e) => tracing::warn!(rs = %name, error = %e, "scaling failed"),
        }
    }

    async fn reconcile(&mut self, key: &Key) {
        let Some(d) = self.deployments.get(&key.0, &key.1).cloned() else {
            return;
        };
        if d.metadata.deletion_timestamp.is_some() {
            return;
        }
        let Some(spec) = d.spec.clone() else { return };
        let ns = key.0.clone();
        let desired = spec.replicas.unwrap_or(1).max(0);
        let now = Timestamp::now();
        let owned = self.owned(&d);
        let collision = d.status.as_ref().and_then(|s| s.collision_count);
        let max_revision = owned.iter().map(revision_of).max().unwrap_or(0);
        let paused = spec.paused == Some(true);
        let mut created_new = false;
        let mut new_rs: Option<ReplicaSet> = owned
            .iter()
            .find(|r| {
                r.spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .is_some_and(|t| same_template(t, &spec.template))
            })
            .cloned();
        let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
        let (surge, unavailable) = if recreate {
            (0, desired)
        } else {
            let ru = spec
                .strategy
                .as_ref()
                .and_then(|s| s.rolling_update.as_ref());
            resolve_surge(
                ru.and_then(|r| r.max_surge.as_ref()),
                ru.and_then(|r| r.max_unavailable.as_ref()),
                desired,
            )
        };
        if !paused {
            match &new_rs {
                // A rollback to an older template: it becomes the newest revision.
                Some(rs) if revision_of(rs) < max_revision => {
                    let name = rs.name_any();
                    let replicas = spec_replicas(rs);
                    self.scale(
                        &ns,
                        &name,
                        replicas,
                        &[(REVISION, (max_revision + 1).to_string())],
                    )
                    .await;
                    new_rs = self.sets.get(&ns, &name).cloned();
                }
                Some(_) => {}
                None => {
                    new_rs = self
                        .create_new_rs(
                            &d,
                            &spec.template,
                            collision,
                            max_revision + 1,
                            desired,
                            surge,
                            &owned,
                        )
                        .await;
                    created_new = new_rs.is_some();
                }
            }
        }
        let owned = self.owned(&d);
        let new_name = new_rs.as_ref().map(|r| r.name_any());
        let old: Vec<&ReplicaSet> = owned
            .iter()
            .filter(|r| Some(r.name_any()) != new_name)
            .collect();
        if let Some(new) = new_rs.clone() {
            let new = self.sets.get(&ns, &new.name_any()).cloned().unwrap_or(new);
            let plan = if paused {
                // Paused: only scaling follows spec.replicas.
                if spec_replicas(&new) != desired && old.iter().all(|r| spec_replicas(r) == 0) {
                    vec![Scale {
                        name: new.name_any(),
                        replicas: desired,
                    }]
                } else {
                    Vec::new()
                }
            } else if recreate {
                let old_running: i32 = old.iter().map(|r| status_replicas(r)).sum();
                let mut p: Vec<Scale> = old
                    .iter()
                    .filter(|r| spec_replicas(r) > 0)
                    .map(|r| Scale {
                        name: r.name_any(),
                        replicas: 0,
                    })
                    .collect();
                if p.is_empty() && old_running == 0 && spec_replicas(&new) != desired {
                    p.push(Scale {
                        name: new.name_any(),
                        replicas: desired,
                    });
                }
                p
            } else {
                rolling_step(desired, surge, unavailable, &new, &old)
            };
            for s in plan {
                let ann = [
                    (DESIRED, desired.to_string()),
                    (MAX_REPLICAS, (desired + surge).to_string()),
                ];
                self.scale(&ns, &s.name, s.replicas, &ann).await;
            }
        }
        self.cleanup_history(&d).await;
        self.update_status(
            &d,
            new_name.as_deref(),
            created_new,
            desired,
            unavailable,
            now,
        )
        .await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_new_rs(
        &mut self,
        d: &Deployment,
        template: &PodTemplateSpec,
        collision: Option<i32>,
        revision: i64,
        desired: i32,
        surge: i32,
        owned: &[ReplicaSet],
    ) -> Option<ReplicaSet> {
        let ns = d.namespace().unwrap_or_default();
        let hash = template_hash(template, collision);
        let mut t = template.clone();
        let meta = t.metadata.get_or_insert_with(Default::default);
        meta.labels
            .get_or_insert_with(Default::default)
            .insert(HASH_LABEL.into(), hash.clone());
        let mut selector = d.spec.as_ref()?.selector.clone();
        selector
            .match_labels
            .get_or_insert_with(Default::default)
            .insert(HASH_LABEL.into(), hash.clone());
        let total: i32 = owned.iter().map(spec_replicas).sum();
        let replicas = if owned.iter().all(|r| spec_replicas(r) == 0) {
            desired
        } else {
            (desired + surge - total).clamp(0, desired)
        };
        let mut labels = t
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        labels.insert(HASH_LABEL.into(), hash.clone());
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(format!("{}-{hash}", d.name_any())),
                namespace: Some(ns.clone()),
                labels: Some(labels),
                annotations: Some(
                    [
                        (REVISION.to_string(), revision.to_string()),
                        (DESIRED.to_string(), desired.to_string()),
                        (MAX_REPLICAS.to_string(), (desired + surge).to_string()),
                    ]
                    .into(),
                ),
                owner_references: Some(vec![OwnerReference {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    name: d.name_any(),
                    uid: d.metadata.uid.clone()?,
                    controller: Some(true),
                    block_owner_deletion: Some(true),
                }]),
                ..Default::default()
            },
            spec: Some(k8s_openapi::api::apps::v1::ReplicaSetSpec {
                replicas: Some(replicas),
                min_ready_seconds: d.spec.as_ref().and_then(|s| s.min_ready_seconds),
                selector,
                template: Some(t),
            }),
            status: None,
        };
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
        let pp = PostParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        match api.create(&pp, &rs).await {
            Ok(created) => {
                self.sets.put(created.clone());
                Some(created)
            }
            Err(e) if is_status(&e, 409) => {
                // Same name, different template: a hash collision. Count it so the
                // next hash differs.
                let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), &ns);
                let next = collision.unwrap_or(0) + 1;
                let patch = json!({"status": {"collisionCount": next}});
                if let Ok(d) = deployments
                    .patch_status(&d.name_any(), &Self::params(), &Patch::Merge(&patch))
                    .await
                {
                    self.deployments.put(d);
                }
                None
            }
            Err(e) => {
                tracing::warn!(deployment = %d.name_any(), error = %e, "creating a replica set failed");
                None
            }
        }
    }

    /// Deletes old, empty ReplicaSets beyond revisionHistoryLimit.
    async fn cleanup_history(&mut self, d: &Deployment) {
        let limit = d
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10)
            .max(0) as usize;
        let mut owned = self.owned(d);
        let newest = owned.iter().map(revision_of).max().unwrap_or(0);
        owned.retain(|r| revision_of(r) != newest);
        let mut empty: Vec<&ReplicaSet> = owned
            .iter()
            .filter(|r| spec_replicas(r) == 0 && status_replicas(r) == 0)
            .collect();
        if empty.len() <= limit {
            return;
        }
        empty.sort_by_key(|r| revision_of(r));
        let ns = d.namespace().unwrap_or_default();
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
        let n = empty.len() - limit;
        let names: Vec<String> = empty.iter().take(n).map(|r| r.name_any()).collect();
        for name in names {
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => self.sets.remove(&ns, &name),
                Err(e) if is_status(&e, 404) => self.sets.remove(&ns, &name),
                Err(e) => {
                    tracing::warn!(rs = %name, error = %e, "deleting an old replica set failed")
                }
            }
        }
    }

    async fn update_status(
        &mut self,
        d: &Deployment,
        new_name: Option<&str>,
        created_new: bool,
        desired: i32,
        max_unavailable: i32,
        now: Timestamp,
    ) {
        let owned = self.owned(d);
        let ns = d.namespace().unwrap_or_default();
        let new = new_name.and_then(|n| owned.iter().find(|r| r.name_any() == n));
        let sum = |f: &dyn Fn(&ReplicaSet) -> i32| owned.iter().map(f).sum::<i32>();
        let replicas = sum(&status_replicas);
        let ready = sum(&|r| {
            r.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0)
        });
        let avail = sum(&available);
        let updated = new.map(status_replicas).unwrap_or(0);
        let old = d.status.clone().unwrap_or_default();
        let mut conditions = old.conditions.clone().unwrap_or_default();
        let min_available = desired - max_unavailable;
        set_condition(
            &mut conditions,
            if avail >= min_available {
                condition(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.".into(),
                    now,
                )
            } else {
                condition(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.".into(),
                    now,
                )
            },
        );
        let spec = d.spec.clone().unwrap_or_default();
        let complete = updated == desired && replicas == desired && avail == desired;
        let progressing = if spec.paused == Some(true) {
            Some(condition(
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused".into(),
                now,
            ))
        } else if let Some(name) = new_name {
            if complete {
                Some(condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    format!("ReplicaSet \"{name}\" has successfully progressed."),
                    now,
                ))
            } else if created_new {
                Some(condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    format!("Created new replica set \"{name}\""),
                    now,
                ))
            } else {
                let previous = old.replicas.unwrap_or(0) != replicas
                    || old.updated_replicas.unwrap_or(0) != updated
                    || old.available_replicas.unwrap_or(0) != avail
                    || old.ready_replicas.unwrap_or(0) != ready;
                let current = conditions
                    .iter()
                    .find(|c| c.type_ == "Progressing")
                    .cloned();
                let deadline = spec.progress_deadline_seconds.unwrap_or(600);
                let stale = current
                    .as_ref()
                    .and_then(|c| c.last_update_time.as_ref())
                    .is_some_and(|t| now.duration_since(t.0).as_secs() > i64::from(deadline));
                if previous {
                    Some(condition(
                        "Progressing",
                        "True",
                        "ReplicaSetUpdated",
                        format!("ReplicaSet \"{name}\" is progressing."),
                        now,
                    ))
                } else if stale
                    && current.as_ref().and_then(|c| c.reason.as_deref())
                        != Some("NewReplicaSetAvailable")
                {
                    Some(condition(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        format!("ReplicaSet \"{name}\" has timed out progressing."),
                        now,
                    ))
                } else if current.is_none() {
                    Some(condition(
                        "Progressing",
                        "True",
                        "FoundNewReplicaSet",
                        format!("Found new replica set \"{name}\""),
                        now,
                    ))
                } else {
                    None
                }
            }
        } else {
            None
        };
        if let Some(p) = progressing {
            set_condition(&mut conditions, p);
        }
        let status = DeploymentStatus {
            observed_generation: d.metadata.generation,
            replicas: Some(replicas),
            updated_replicas: Some(updated),
            ready_replicas: Some(ready),
            available_replicas: Some(avail),
            unavailable_replicas: Some((desired.max(replicas) - avail).max(0)),
            conditions: Some(conditions),
            collision_count: old.collision_count,
            terminating_replicas: None,
        };
        // Timestamps alone do not make a write.
        let strip = |s: &DeploymentStatus| {
            let mut s = s.clone();
            for c in s.conditions.iter_mut().flatten() {
                c.last_update_time = None;
                c.last_transition_time = None;
            }
            s
        };
        let revision = new.map(revision_of).unwrap_or(0);
        let current_revision = d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .cloned();
        let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), &ns);
        if revision > 0 && current_revision != Some(revision.to_string()) {
            let patch = json!({"metadata": {"annotations": {REVISION: revision.to_string()}}});
            match deployments
                .patch(&d.name_any(), &Self::params(), &Patch::Merge(&patch))
                .await
            {
                Ok(nd) => self.deployments.put(nd),
                Err(e) => tracing::debug!(error = %e, "revision annotation"),
            }
        }
        if strip(&status) != strip(&old) {
            let patch = json!({"status": status});
            match deployments
                .patch_status(&d.name_any(), &Self::params(), &Patch::Merge(&patch))
                .await
            {
                Ok(nd) => self.deployments.put(nd),
                Err(e) if is_status(&e, 404) => {}
                Err(e) => {
                    tracing::warn!(deployment = %d.name_any(), error = %e, "status update failed")
                }
            }
        }
    }
}

/// Runs forever. A tick re-checks progress deadlines.
pub async fn run(client: Client) {
    let mut deployments = watch_channel(Api::<Deployment>::all(client.clone()));
    let mut sets = watch_channel(Api::<ReplicaSet>::all(client.clone()));
    let mut c = Controller {
        client,
        deployments: Store::default(),
        sets: Store::default(),
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        let mut dirty: BTreeSet<Key> = BTreeSet::new();
        tokio::select! {
            Some(ev) = deployments.recv() => {
                if let Change::Touched(objs) = c.deployments.apply(ev) {
                    dirty.extend(objs.iter().filter(|(_, gone)| !gone).map(|(o, _)| key_of(o)));
                }
            }
            Some(ev) = sets.recv() => {
                if let Change::Touched(objs) = c.sets.apply(ev) {
                    dirty.extend(objs.iter().filter_map(|(r, _)| c.owner_of(r)));
                }
            }
            _ = tick.tick() => {
                dirty.extend(c.deployments.objects.keys().cloned());
            }
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = deployments.try_recv() {
            if let Change::Touched(objs) = c.deployments.apply(ev) {
                dirty.extend(
                    objs.iter()
                        .filter(|(_, gone)| !gone)
                        .map(|(o, _)| key_of(o)),
                );
            }
        }
        while let Ok(ev) = sets.try_recv() {
            if let Change::Touched(objs) = c.sets.apply(ev) {
                dirty.extend(objs.iter().filter_map(|(r, _)| c.owner_of(r)));
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

    fn rs(name: &str, spec: i32, avail: i32, revision: i64) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": {REVISION: revision.to_string()}},
            "spec": {"replicas": spec, "selector": {}},
            "status": {"replicas": spec, "availableReplicas": avail},
        }))
        .unwrap()
    }

    #[test]
    fn surge_and_unavailable_round_like_kube() {
        let p = |s: &str| IntOrString::String(s.into());
        assert_eq!(resolve_surge(None, None, 4), (1, 1));
        assert_eq!(resolve_surge(None, None, 10), (3, 2));
        assert_eq!(
            resolve_surge(Some(&IntOrString::Int(0)), Some(&IntOrString::Int(0)), 3),
            (0, 1)
        );
        assert_eq!(resolve_surge(Some(&p("50%")), Some(&p("0%")), 3), (2, 0));
    }

    #[test]
    fn rolling_update_respects_surge_and_unavailability() {
        // 3 replicas, surge 1, unavailable 0: new goes to 1 first.
        let new = rs("new", 0, 0, 2);
        let old = rs("old", 3, 3, 1);
        assert_eq!(
            rolling_step(3, 1, 0, &new, &[&old]),
            vec![Scale {
                name: "new".into(),
                replicas: 1
            }]
        );
        // New has 1 available: one old pod may go.
        let new = rs("new", 1, 1, 2);
        assert_eq!(
            rolling_step(3, 1, 0, &new, &[&old]),
            vec![Scale {
                name: "old".into(),
                replicas: 2
            }]
        );
        // New not yet available: nothing more may go down, surge is used up.
        let new = rs("new", 1, 0, 2);
        assert_eq!(rolling_step(3, 1, 0, &new, &[&old]), vec![]);
        // Done: new at 3, old at 0.
        let new = rs("new", 3, 3, 2);
        let old = rs("old", 0, 0, 1);
        assert_eq!(rolling_step(3, 1, 0, &new, &[&old]), vec![]);
    }

    #[test]
    fn hashes_are_stable_and_safe() {
        let t: PodTemplateSpec = serde_json::from_value(json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}})).unwrap();
        let h1 = template_hash(&t, None);
        assert_eq!(h1, template_hash(&t, None));
        assert_ne!(h1, template_hash(&t, Some(1)));
        assert!(h1.bytes().all(|b| crate::revision::ALPHANUMS.contains(&b)));
        let mut labelled = t.clone();
        labelled
            .metadata
            .as_mut()
            .unwrap()
            .labels
            .as_mut()
            .unwrap()
            .insert(HASH_LABEL.into(), h1.clone());
        assert!(same_template(&t, &labelled));
    }
}

//! The StatefulSet controller: pods with stable names `<set>-<ordinal>` (hostname and
//! subdomain set for the governing service), created in order and each waiting for the
//! one before to be Running and Ready (OrderedReady) or all at once (Parallel), removed
//! from the highest ordinal down; a PersistentVolumeClaim per volumeClaimTemplate and
//! ordinal, kept or deleted by `persistentVolumeClaimRetentionPolicy`; RollingUpdate
//! from the highest ordinal down to `partition`, or OnDelete; template history as
//! ControllerRevisions; the status `kubectl rollout status` reads.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::informer::{
    controller_uid, is_status, key_of, watch_channel, write_status, Change, Key, Store,
};
use crate::pods::{is_available, is_ready, selector_matches};
use crate::revision::{self, REVISION_LABEL};

const MANAGER: &str = "statefulset-controller";
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

fn write_params() -> PatchParams {
    PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

fn create_params() -> PostParams {
    PostParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

/// The ordinal of `pod` if it is named like a pod of the set `set`.
pub fn ordinal_of(set: &str, pod: &str) -> Option<i32> {
    let rest = pod.strip_prefix(set)?.strip_prefix('-')?;
    if rest.is_empty() || (rest.len() > 1 && rest.starts_with('0')) {
        return None;
    }
    rest.parse::<i32>().ok().filter(|n| *n >= 0)
}

fn start_ordinal(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.ordinals.as_ref())
        .and_then(|o| o.start)
        .unwrap_or(0)
        .max(0)
}

fn replicas(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1)
        .max(0)
}

fn is_parallel(set: &StatefulSet) -> bool {
    set.spec
        .as_ref()
        .and_then(|s| s.pod_management_policy.as_deref())
        == Some("Parallel")
}

fn is_on_delete(set: &StatefulSet) -> bool {
    set.spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.type_.as_deref())
        == Some("OnDelete")
}

fn partition(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0)
        .max(0)
}

fn min_ready_seconds(set: &StatefulSet) -> i32 {
    set.spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0)
}

fn terminating(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_some()
}

fn finished(p: &Pod) -> bool {
    matches!(
        p.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// Running and Ready, and not on its way out: what OrderedReady waits for.
pub fn healthy(p: &Pod) -> bool {
    !terminating(p)
        && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
        && is_ready(p)
}

fn revision_of(p: &Pod) -> Option<&str> {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(REVISION_LABEL))
        .map(String::as_str)
}

/// One step the controller takes for a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the pod of this ordinal (from the current revision when `current`,
    /// else from the update revision).
    Create { ordinal: i32, current: bool },
    /// Delete this pod (failed, condemned by a scale-down, or out of date).
    Delete { name: String, condemned: bool },
}

/// What a set needs now, given its pods by ordinal and the revision hash pods should
/// be updated to (pure: kube's `updateStatefulSet` ordering rules). OrderedReady stops
/// at the first pod it must wait for; Parallel does everything it can at once.
pub fn plan(set: &StatefulSet, pods: &BTreeMap<i32, &Pod>, update_hash: &str) -> Vec<Step> {
    let start = start_ordinal(set);
    let end = start + replicas(set);
    let monotonic = !is_parallel(set);
    let rolling = !is_on_delete(set);
    let partition = partition(set);
    let mut steps = Vec::new();
    for ord in start..end {
        let current = rolling && ord < start + partition;
        match pods.get(&ord) {
            None => {
                steps.push(Step::Create {
                    ordinal: ord,
                    current,
                });
                if monotonic {
                    return steps;
                }
            }
            Some(p) if finished(p) && !terminating(p) => {
                steps.push(Step::Delete {
                    name: p.name_any(),
                    condemned: false,
                });
                if monotonic {
                    return steps;
                }
            }
            Some(p) => {
                if monotonic && !healthy(p) {
                    return steps;
                }
            }
        }
    }
    let mut condemned: Vec<&&Pod> = pods
        .iter()
        .filter(|(ord, _)| **ord < start || **ord >= end)
        .map(|(_, p)| p)
        .collect();
    condemned.sort_by_key(|p| std::cmp::Reverse(ordinal_of_pod(p)));
    for p in condemned {
        if terminating(p) {
            if monotonic {
                return steps;
            }
            continue;
        }
        steps.push(Step::Delete {
            name: p.name_any(),
            condemned: true,
        });
        if monotonic {
            return steps;
        }
    }
    if !rolling || !steps.is_empty() {
        return steps;
    }
    // A rolling update takes one pod at a time, from the highest ordinal down to the
    // partition, each only once the ones above it are healthy again.
    for ord in (start + partition..end).rev() {
        let Some(p) = pods.get(&ord) else { continue };
        if revision_of(p) != Some(update_hash) && !terminating(p) {
            steps.push(Step::Delete {
                name: p.name_any(),
                condemned: false,
            });
            return steps;
        }
        if !healthy(p) {
            return steps;
        }
    }
    steps
}

fn ordinal_of_pod(p: &Pod) -> i32 {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(POD_INDEX_LABEL))
        .and_then(|v| v.parse().ok())
        .or_else(|| {
            let name = p.name_any();
            let (_, n) = name.rsplit_once('-')?;
            n.parse().ok()
        })
        .unwrap_or(-1)
}

/// The name of the claim for `template` of `set` at `ordinal`.
pub fn claim_name(template: &str, set: &str, ordinal: i32) -> String {
    format!("{template}-{set}-{ordinal}")
}

fn owner_ref(set: &StatefulSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "StatefulSet".into(),
        name: set.name_any(),
        uid: set.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

fn retention(set: &StatefulSet) -> (bool, bool) {
    let policy = set
        .spec
        .as_ref()
        .and_then(|s| s.persistent_volume_claim_retention_policy.as_ref());
    let delete = |v: Option<&String>| v.map(String::as_str) == Some("Delete");
    (
        delete(policy.and_then(|p| p.when_deleted.as_ref())),
        delete(policy.and_then(|p| p.when_scaled.as_ref())),
    )
}

/// The claims the pod of `ordinal` mounts, as they would be created.
pub fn claims_for(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    let (delete_with_set, _) = retention(set);
    let selector_labels = set
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    set.spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|mut claim| {
            let template = claim.name_any();
            let mut labels = claim.metadata.labels.take().unwrap_or_default();
            labels.extend(selector_labels.clone());
            claim.metadata = ObjectMeta {
                name: Some(claim_name(&template, &set.name_any(), ordinal)),
                namespace: set.namespace(),
                labels: Some(labels),
                annotations: claim.metadata.annotations.take(),
                owner_references: delete_with_set.then(|| vec![owner_ref(set)]),
                ..Default::default()
            };
            claim.status = None;
            claim
        })
        .collect()
}

/// The pod of `ordinal`, made from `template` of revision `hash`.
pub fn pod_for(set: &StatefulSet, template: &PodTemplateSpec, hash: &str, ordinal: i32) -> Pod {
    let name = format!("{}-{ordinal}", set.name_any());
    let tmeta = template.metadata.clone().unwrap_or_default();
    let mut labels = tmeta.labels.unwrap_or_default();
    labels.insert(REVISION_LABEL.into(), hash.into());
    labels.insert(POD_NAME_LABEL.into(), name.clone());
    labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.hostname = Some(name.clone());
    if let Some(service) = set
        .spec
        .as_ref()
        .and_then(|s| s.service_name.clone())
        .filter(|s| !s.is_empty())
    {
        spec.subdomain = Some(service);
    }
    for claim in set
        .spec
        .as_ref()
        .and_then(|s| s.volume_claim_templates.as_ref())
        .into_iter()
        .flatten()
    {
        let template_name = claim.name_any();
        let volume = Volume {
            name: template_name.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(&template_name, &set.name_any(), ordinal),
                read_only: None,
            }),
            ..Default::default()
        };
        let volumes = spec.volumes.get_or_insert_with(Vec::new);
        volumes.retain(|v| v.name != template_name);
        volumes.push(volume);
    }
    Pod {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: set.namespace(),
            labels: Some(labels),
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![owner_ref(set)]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

/// The status of a set with these pods (kube's, including the switch of
/// currentRevision once a rolling update has reached every pod).
pub fn status_for(
    set: &StatefulSet,
    pods: &[&Pod],
    current_hash: &str,
    update_hash: &str,
    collision_count: Option<i32>,
) -> StatefulSetStatus {
    let now = k8s_openapi::jiff::Timestamp::now();
    let min_ready = min_ready_seconds(set);
    let count = |f: &dyn Fn(&Pod) -> bool| pods.iter().filter(|p| f(p)).count() as i32;
    let replicas = count(&|_| true);
    let ready = count(&|p| healthy(p));
    let available = count(&|p| healthy(p) && is_available(p, min_ready, now));
    let mut current_replicas = count(&|p| revision_of(p) == Some(current_hash));
    let updated = count(&|p| revision_of(p) == Some(update_hash));
    let name = |hash: &str| format!("{}-{hash}", set.name_any());
    let mut current_revision = name(current_hash);
    if !is_on_delete(set) && updated == replicas && ready == replicas {
        current_replicas = updated;
        current_revision = name(update_hash);
    }
    StatefulSetStatus {
        replicas,
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        current_replicas: Some(current_replicas),
        updated_replicas: Some(updated),
        current_revision: Some(current_revision),
        update_revision: Some(name(update_hash)),
        observed_generation: set.metadata.generation,
        collision_count,
        conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
    }
}

struct Controller {
    client: Client,
    sets: Store<StatefulSet>,
    pods: Store<Pod>,
    claims: Store<PersistentVolumeClaim>,
    revisions: Store<ControllerRevision>,
}

impl Controller {
    fn owned_pods(&self, set: &StatefulSet) -> BTreeMap<i32, &Pod> {
        let uid = set.metadata.uid.clone().unwrap_or_default();
        let ns = set.namespace().unwrap_or_default();
        let name = set.name_any();
        self.pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((pns, _), _)| *pns == ns)
            .filter(|(_, p)| controller_uid(*p, "StatefulSet").as_deref() == Some(uid.as_str()))
            .filter_map(|((_, pname), p)| Some((ordinal_of(&name, pname)?, p)))
            .collect()
    }

    /// The sets a pod, claim or revision event concerns.
    fn owner_of<K: kube::Resource>(&self, obj: &K) -> Option<Key> {
        let uid = controller_uid(obj, "StatefulSet")?;
        let ns = obj.meta().namespace.clone().unwrap_or_default();
        self.sets
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((sns, _), _)| *sns == ns)
            .find(|(_, s)| s.metadata.uid.as_deref() == Some(uid.as_str()))
            .map(|(k, _)| k.clone())
    }

    /// Orphan pods named and labelled like the set's become its own.
    fn orphans_for(&self, pod: &Pod) -> Vec<Key> {
        if controller_uid(pod, "StatefulSet").is_some()
            || pod
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| o.iter().any(|r| r.controller == Some(true)))
        {
            return Vec::new();
        }
        let ns = pod.namespace().unwrap_or_default();
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        self.sets
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((sns, _), _)| *sns == ns)
            .filter(|(_, s)| {
                ordinal_of(&s.name_any(), &pod.name_any()).is_some()
                    && s.spec
                        .as_ref()
                        .is_some_and(|sp| selector_matches(&sp.selector, &labels))
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn history(&mut self) -> revision::History<'_> {
        revision::History {
            client: &self.client,
            revisions: &mut self.revisions,
            manager: MANAGER,
        }
    }

    async fn ensure_claims(&mut self, set: &StatefulSet, ordinal: i32) -> bool {
        let ns = set.namespace().unwrap_or_default();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &ns);
        let mut ok = true;
        for claim in claims_for(set, ordinal) {
            if self.claims.get(&ns, &claim.name_any()).is_some() {
                continue;
            }
            match api.create(&create_params(), &claim).await {
                Ok(c) => self.claims.put(c),
                Err(e) if is_status(&e, 409) => {}
                Err(e) => {
                    tracing::warn!(claim = %claim.name_any(), error = %e, "creating a claim failed");
                    ok = false;
                }
            }
        }
        ok
    }

    /// With `whenScaled: Delete`, a condemned pod's claims become the pod's, so the
    /// garbage collector removes them with it.
    async fn hand_claims_to(&mut self, set: &StatefulSet, pod: &Pod) {
        let ns = set.namespace().unwrap_or_default();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &ns);
        let ordinal = ordinal_of(&set.name_any(), &pod.name_any()).unwrap_or(-1);
        for claim in claims_for(set, ordinal) {
            let patch = json!({"metadata": {"ownerReferences": [{
                "apiVersion": "v1", "kind": "Pod", "name": pod.name_any(),
                "uid": pod.metadata.uid.clone().unwrap_or_default(),
            }]}});
            match api
                .patch(&claim.name_any(), &write_params(), &Patch::Merge(&patch))
                .await
            {
                Ok(c) => self.claims.put(c),
                Err(e) if is_status(&e, 404) => {}
                Err(e) => {
                    tracing::warn!(claim = %claim.name_any(), error = %e, "handing a claim to its pod failed")
                }
            }
        }
    }

    async fn adopt(&mut self, set: &StatefulSet) {
        let ns = set.namespace().unwrap_or_default();
        let orphans: Vec<String> = self
            .pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((pns, _), _)| *pns == ns)
            .filter(|(_, p)| !terminating(p) && !self.orphans_for(p).is_empty())
            .filter(|(_, p)| self.orphans_for(p).contains(&(ns.clone(), set.name_any())))
            .map(|(_, p)| p.name_any())
            .collect();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        for name in orphans {
            let patch = json!({"metadata": {"ownerReferences": [owner_ref(set)]}});
            match api
                .patch(&name, &write_params(), &Patch::Merge(&patch))
                .await
            {
                Ok(p) => self.pods.put(p),
                Err(e) => tracing::debug!(pod = %name, error = %e, "adoption failed"),
            }
        }
    }

    async fn reconcile(&mut self, key: &Key) {
        let Some(set) = self.sets.get(&key.0, &key.1).cloned() else {
            return;
        };
        if set.metadata.deletion_timestamp.is_some() {
            return;
        }
        self.adopt(&set).await;
        let template = set
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let collision = set.status.as_ref().and_then(|s| s.collision_count);
        let Some(update_hash) = self.history().record(&set, &template, collision).await else {
            return;
        };
        let history = self.history().of(&set);
        let name = set.name_any();
        let current = set
            .status
            .as_ref()
            .and_then(|s| s.current_revision.clone())
            .and_then(|c| history.iter().find(|r| r.name_any() == c).cloned());
        let current_hash = current
            .as_ref()
            .map(revision::hash_of)
            .unwrap_or_else(|| update_hash.clone());
        let current_template = current
            .as_ref()
            .and_then(revision::template_of)
            .or_else(|| set.spec.as_ref().map(|s| s.template.clone()))
            .unwrap_or_default();
        let update_template = set
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();

        let pods: BTreeMap<i32, Pod> = self
            .owned_pods(&set)
            .into_iter()
            .map(|(k, p)| (k, p.clone()))
            .collect();
        let by_ordinal: BTreeMap<i32, &Pod> = pods.iter().map(|(k, p)| (*k, p)).collect();
        let steps = plan(&set, &by_ordinal, &update_hash);
        let ns = key.0.clone();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        let (_, delete_when_scaled) = retention(&set);
        for step in steps {
            match step {
                Step::Create { ordinal, current } => {
                    if !self.ensure_claims(&set, ordinal).await {
                        continue;
                    }
                    let pod = if current {
                        pod_for(&set, &current_template, &current_hash, ordinal)
                    } else {
                        pod_for(&set, &update_template, &update_hash, ordinal)
                    };
                    match api.create(&create_params(), &pod).await {
                        Ok(p) => self.pods.put(p),
                        Err(e) if is_status(&e, 409) => {}
                        Err(e) => {
                            tracing::warn!(set = %name, ordinal, error = %e, "creating a pod failed")
                        }
                    }
                }
                Step::Delete {
                    name: pod,
                    condemned,
                } => {
                    if condemned && delete_when_scaled {
                        if let Some(p) = pods.values().find(|p| p.name_any() == pod) {
                            self.hand_claims_to(&set, p).await;
                        }
                    }
                    let answer = api.delete(&pod, &DeleteParams::default()).await;
                    if let Err(e) = self.pods.record_delete(&ns, &pod, answer) {
                        tracing::warn!(pod = %pod, error = %e, "deleting a pod failed");
                    }
                }
            }
        }

        let now_pods: Vec<&Pod> = self.owned_pods(&set).into_values().collect();
        let collision = set.status.as_ref().and_then(|s| s.collision_count);
        let status = status_for(&set, &now_pods, &current_hash, &update_hash, collision);
        let live: BTreeSet<String> = now_pods
            .iter()
            .filter_map(|p| revision_of(p).map(str::to_string))
            .collect();
        self.prune_history(&set, live, &status).await;
        let sets: Api<StatefulSet> = Api::namespaced(self.client.clone(), &ns);
        write_status(
            &sets,
            &mut self.sets,
            &name,
            MANAGER,
            set.status.as_ref(),
            &status,
        )
        .await;
    }

    async fn prune_history(
        &mut self,
        set: &StatefulSet,
        mut live: BTreeSet<String>,
        status: &StatefulSetStatus,
    ) {
        let limit = set
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10)
            .max(0) as usize;
        live.extend(status.current_revision.clone());
        live.extend(status.update_revision.clone());
        self.history().prune(set, &live, limit).await;
    }

    fn pod_touched(&self, p: &Pod, dirty: &mut BTreeSet<Key>) {
        dirty.extend(self.owner_of(p));
        dirty.extend(self.orphans_for(p));
    }
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut sets = watch_channel(Api::<StatefulSet>::all(client.clone()));
    let mut pods = watch_channel(Api::<Pod>::all(client.clone()));
    let mut claims = watch_channel(Api::<PersistentVolumeClaim>::all(client.clone()));
    let mut revisions = watch_channel(Api::<ControllerRevision>::all(client.clone()));
    let mut c = Controller {
        client,
        sets: Store::default(),
        pods: Store::default(),
        claims: Store::default(),
        revisions: Store::default(),
    };
    // Readiness that only time brings (minReadySeconds) is noticed by a slow tick.
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        let mut dirty: BTreeSet<Key> = BTreeSet::new();
        tokio::select! {
            Some(ev) = sets.recv() => {
                if let Change::Touched(objs) = c.sets.apply(ev) {
                    dirty.extend(objs.iter().filter(|(_, gone)| !gone).map(|(o, _)| key_of(o)));
                }
            }
            Some(ev) = pods.recv() => {
                if let Change::Touched(objs) = c.pods.apply(ev) {
                    for (p, _) in &objs { c.pod_touched(p, &mut dirty); }
                }
            }
            Some(ev) = claims.recv() => { c.claims.apply(ev); }
            Some(ev) = revisions.recv() => {
                if let Change::Touched(objs) = c.revisions.apply(ev) {
                    dirty.extend(objs.iter().filter_map(|(r, _)| c.owner_of(r)));
                }
            }
            _ = tick.tick() => {
                dirty.extend(c.sets.objects.keys().cloned());
            }
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = sets.try_recv() {
            if let Change::Touched(objs) = c.sets.apply(ev) {
                dirty.extend(
                    objs.iter()
                        .filter(|(_, gone)| !gone)
                        .map(|(o, _)| key_of(o)),
                );
            }
        }
        while let Ok(ev) = pods.try_recv() {
            if let Change::Touched(objs) = c.pods.apply(ev) {
                for (p, _) in &objs {
                    c.pod_touched(p, &mut dirty);
                }
            }
        }
        while let Ok(ev) = claims.try_recv() {
            c.claims.apply(ev);
        }
        while let Ok(ev) = revisions.try_recv() {
            c.revisions.apply(ev);
        }
        for key in dirty {
            c.reconcile(&key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(extra: serde_json::Value) -> StatefulSet {
        let mut v = json!({
            "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "generation": 2},
            "spec": {"replicas": 3, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]},
        });
        if let (Some(spec), Some(extra)) = (v["spec"].as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        serde_json::from_value(v).unwrap()
    }

    fn pod(ord: i32, hash: &str, healthy: bool) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": format!("web-{ord}"), "labels": {REVISION_LABEL: hash, POD_INDEX_LABEL: ord.to_string()}},
            "spec": {"containers": []},
            "status": {"phase": if healthy {"Running"} else {"Pending"},
                       "conditions": [{"type": "Ready", "status": if healthy {"True"} else {"False"}}]},
        }))
        .unwrap()
    }

    fn by_ordinal(pods: &[Pod]) -> BTreeMap<i32, &Pod> {
        pods.iter()
            .map(|p| (ordinal_of("web", &p.name_any()).unwrap(), p))
            .collect()
    }

    #[test]
    fn ordinals_parse_only_the_sets_own_names() {
        assert_eq!(ordinal_of("web", "web-0"), Some(0));
        assert_eq!(ordinal_of("web", "web-12"), Some(12));
        assert_eq!(ordinal_of("web", "web-01"), None);
        assert_eq!(ordinal_of("web", "web-x"), None);
        assert_eq!(ordinal_of("web", "webby-1"), None);
        assert_eq!(ordinal_of("web", "web-db-1"), None);
    }

    #[test]
    fn ordered_ready_creates_one_at_a_time() {
        let s = set(json!({}));
        assert_eq!(
            plan(&s, &BTreeMap::new(), "h"),
            [Step::Create {
                ordinal: 0,
                current: false
            }]
        );
        let pods = [pod(0, "h", false)];
        assert!(
            plan(&s, &by_ordinal(&pods), "h").is_empty(),
            "waits for web-0"
        );
        let pods = [pod(0, "h", true)];
        assert_eq!(
            plan(&s, &by_ordinal(&pods), "h"),
            [Step::Create {
                ordinal: 1,
                current: false
            }]
        );
        let parallel = set(json!({"podManagementPolicy": "Parallel"}));
        assert_eq!(plan(&parallel, &BTreeMap::new(), "h").len(), 3);
    }

    #[test]
    fn scale_down_goes_from_the_highest_ordinal() {
        let s = set(json!({"replicas": 1}));
        let pods = [pod(0, "h", true), pod(1, "h", true), pod(2, "h", true)];
        assert_eq!(
            plan(&s, &by_ordinal(&pods), "h"),
            [Step::Delete {
                name: "web-2".into(),
                condemned: true
            }]
        );
        let parallel = set(json!({"replicas": 1, "podManagementPolicy": "Parallel"}));
        assert_eq!(plan(&parallel, &by_ordinal(&pods), "h").len(), 2);
    }

    #[test]
    fn rolling_update_stops_at_the_partition_and_waits_for_health() {
        let s = set(
            json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}}),
        );
        let pods = [
            pod(0, "old", true),
            pod(1, "old", true),
            pod(2, "old", true),
        ];
        assert_eq!(
            plan(&s, &by_ordinal(&pods), "new"),
            [Step::Delete {
                name: "web-2".into(),
                condemned: false
            }]
        );
        let pods = [
            pod(0, "old", true),
            pod(1, "old", true),
            pod(2, "new", false),
        ];
        assert!(
            plan(&s, &by_ordinal(&pods), "new").is_empty(),
            "waits for web-2"
        );
        let pods = [
            pod(0, "old", true),
            pod(1, "old", true),
            pod(2, "new", true),
        ];
        assert_eq!(
            plan(&s, &by_ordinal(&pods), "new"),
            [Step::Delete {
                name: "web-1".into(),
                condemned: false
            }]
        );
        let pods = [
            pod(0, "old", true),
            pod(1, "new", true),
            pod(2, "new", true),
        ];
        assert!(
            plan(&s, &by_ordinal(&pods), "new").is_empty(),
            "web-0 is below the partition"
        );
        // Recreating below the partition uses the current revision.
        let pods = [pod(1, "new", true), pod(2, "new", true)];
        assert_eq!(
            plan(&s, &by_ordinal(&pods), "new"),
            [Step::Create {
                ordinal: 0,
                current: true
            }]
        );
        let on_delete = set(json!({"updateStrategy": {"type": "OnDelete"}}));
        let pods = [
            pod(0, "old", true),
            pod(1, "old", true),
            pod(2, "old", true),
        ];
        assert!(plan(&on_delete, &by_ordinal(&pods), "new").is_empty());
    }

    #[test]
    fn pods_and_claims_have_stable_identities() {
        let s = set(json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}));
        let p = pod_for(&s, &s.spec.as_ref().unwrap().template, "h1", 2);
        assert_eq!(p.metadata.name.as_deref(), Some("web-2"));
        let spec = p.spec.as_ref().unwrap();
        assert_eq!(
            (spec.hostname.as_deref(), spec.subdomain.as_deref()),
            (Some("web-2"), Some("web"))
        );
        let vol = &spec.volumes.as_ref().unwrap()[0];
        assert_eq!(
            vol.persistent_volume_claim.as_ref().unwrap().claim_name,
            "data-web-2"
        );
        let labels = p.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[REVISION_LABEL], "h1");
        assert_eq!(labels[POD_NAME_LABEL], "web-2");
        assert_eq!(labels[POD_INDEX_LABEL], "2");
        let claims = claims_for(&s, 2);
        assert_eq!(claims[0].metadata.name.as_deref(), Some("data-web-2"));
        assert_eq!(claims[0].metadata.labels.as_ref().unwrap()["app"], "web");
        assert!(
            claims[0].metadata.owner_references.is_some(),
            "whenDeleted: Delete"
        );
        assert!(claims_for(&set(json!({})), 0)[0]
            .metadata
            .owner_references
            .is_none());
    }

    #[test]
    fn status_switches_the_current_revision_when_the_rollout_is_done() {
        let s = set(json!({}));
        let pods = [
            pod(0, "new", true),
            pod(1, "old", true),
            pod(2, "new", true),
        ];
        let refs: Vec<&Pod> = pods.iter().collect();
        let st = status_for(&s, &refs, "old", "new", None);
        assert_eq!(
            (st.replicas, st.ready_replicas, st.updated_replicas),
            (3, Some(3), Some(2))
        );
        assert_eq!(st.current_revision.as_deref(), Some("web-old"));
        assert_eq!(st.update_revision.as_deref(), Some("web-new"));
        let pods = [
            pod(0, "new", true),
            pod(1, "new", true),
            pod(2, "new", true),
        ];
        let refs: Vec<&Pod> = pods.iter().collect();
        let st = status_for(&s, &refs, "old", "new", None);
        assert_eq!(st.current_revision.as_deref(), Some("web-new"));
        assert_eq!(st.current_replicas, Some(3));
        assert_eq!(st.observed_generation, Some(2));
    }
}

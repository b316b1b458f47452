//! The ReplicaSet controller: keeps `spec.replicas` pods of the template, owned by the
//! ReplicaSet (controller reference, blockOwnerDeletion), adopts matching orphans,
//! deletes the least valuable pods first when scaling down, and reports status
//! (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
//! observedGeneration, ReplicaFailure).

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::informer::{controller_uid, key_of, watch_channel, write_status, Change, Key, Store};
use crate::pods::{is_active, is_available, is_ready, selector_matches};

const MANAGER: &str = "replicaset-controller";
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

/// Pods created or deleted per reconcile at most (kube's burst of 500).
const BURST: usize = 500;

/// Which pods to delete when scaling down: unscheduled before scheduled, pending
/// before running, not ready before ready, newer before older (kube's ranking).
pub fn deletion_order(pods: &mut [&Pod]) {
    fn rank(p: &Pod) -> (u8, u8, u8, std::cmp::Reverse<String>) {
        let scheduled = p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_ref())
            .is_some_and(|n| !n.is_empty());
        let phase = match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Pending") | None => 0,
            Some("Unknown") => 1,
            _ => 2,
        };
        let created = p
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string())
            .unwrap_or_default();
        (
            u8::from(scheduled),
            phase,
            u8::from(is_ready(p)),
            std::cmp::Reverse(created),
        )
    }
    pods.sort_by_key(|p| rank(p));
}

/// The pod a ReplicaSet creates.
pub fn pod_from_template(rs: &ReplicaSet) -> Option<Pod> {
    let template = rs.spec.as_ref()?.template.as_ref()?;
    let tmeta = template.metadata.clone().unwrap_or_default();
    let owner = OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: rs.name_any(),
        uid: rs.metadata.uid.clone()?,
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    Some(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", rs.name_any())),
            namespace: rs.metadata.namespace.clone(),
            labels: tmeta.labels,
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    })
}

/// The status a ReplicaSet should report for its active pods.
pub fn status_for(rs: &ReplicaSet, pods: &[&Pod], failure: Option<String>) -> ReplicaSetStatus {
    let min_ready = rs
        .spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0);
    let template_labels = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let fully = pods
        .iter()
        .filter(|p| {
            let labels = p.metadata.labels.clone().unwrap_or_default();
            template_labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v))
        })
        .count();
    let now = k8s_openapi::jiff::Timestamp::now();
    let mut conditions = rs
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    conditions.retain(|c| c.type_ != "ReplicaFailure");
    if let Some(message) = failure {
        conditions.push(ReplicaSetCondition {
            type_: "ReplicaFailure".into(),
            status: "True".into(),
            reason: Some("FailedCreate".into()),
            message: Some(message),
            last_transition_time: Some(Time(now)),
        });
    }
    ReplicaSetStatus {
        replicas: pods.len() as i32,
        fully_labeled_replicas: Some(fully as i32),
        ready_replicas: Some(pods.iter().filter(|p| is_ready(p)).count() as i32),
        available_replicas: Some(
            pods.iter()
                .filter(|p| is_available(p, min_ready, now))
                .count() as i32,
        ),
        observed_generation: rs.metadata.generation,
        conditions: if conditions.is_empty() {
            None
        } else {
            Some(conditions)
        },
        terminating_replicas: None,
    }
}

struct Controller {
    client: Client,
    sets: Store<ReplicaSet>,
    pods: Store<Pod>,
}

impl Controller {
    fn owned<'a>(&'a self, rs: &ReplicaSet) -> Vec<&'a Pod> {
        let uid = rs.metadata.uid.clone().unwrap_or_default();
        let ns = rs.namespace().unwrap_or_default();
        self.pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((pns, _), _)| *pns == ns)
            .map(|(_, p)| p)
            .filter(|p| controller_uid(*p, "ReplicaSet").as_deref() == Some(uid.as_str()))
            .collect()
    }

    /// ReplicaSets that might want a pod (its owner, or one whose selector matches
    /// an orphan).
    fn interested(&self, pod: &Pod) -> Vec<Key> {
        let ns = pod.namespace().unwrap_or_default();
        if let Some(uid) = controller_uid(pod, "ReplicaSet") {
            return self
                .sets
                .objects
                .iter()
                .filter(|(_, rs)| rs.metadata.uid.as_deref() == Some(uid.as_str()))
                .map(|(k, _)| k.clone())
                .collect();
        }
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        self.sets
            .objects
            .iter()
            .filter(|((rns, _), rs)| {
                *rns == ns
                    && rs
                        .spec
                        .as_ref()
                        .is_some_and(|s| selector_matches(&s.selector, &labels))
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    async fn reconcile(&mut self, key: &Key) {
        let Some(rs) = self.sets.get(&key.0, &key.1).cloned() else {
            return;
        };
        if rs.metadata.deletion_timestamp.is_some() {
            return;
        }
        let ns = key.0.clone();
        let pods_api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        self.adopt_orphans(&rs, &pods_api).await;
        let desired = rs
            .spec
            .as_ref()
            .and_then(|s| s.replicas)
            .unwrap_or(1)
            .max(0) as usize;
        let active: Vec<Pod> = self
            .owned(&rs)
            .into_iter()
            .filter(|p| is_active(p))
            .cloned()
            .collect();
        let mut failure = None;
        if active.len() < desired {
            let Some(template) = pod_from_template(&rs) else {
                return;
            };
            let n = (desired - active.len()).min(BURST);
            let creates = (0..n).map(|_| {
                let api = pods_api.clone();
                let pod = template.clone();
                async move { api.create(&create_params(), &pod).await }
            });
            for r in futures::future::join_all(creates).await {
                match r {
                    Ok(p) => self.pods.put(p),
                    Err(e) => {
                        tracing::warn!(rs = %key.1, error = %e, "creating a pod failed");
                        failure = Some(e.to_string());
                    }
                }
            }
        } else if active.len() > desired {
            let mut victims: Vec<&Pod> = active.iter().collect();
            deletion_order(&mut victims);
            let names: Vec<String> = victims
                .iter()
                .take((active.len() - desired).min(BURST))
                .map(|p| p.name_any())
                .collect();
            let deletes = names.iter().map(|name| {
                let api = pods_api.clone();
                async move { (name, api.delete(name, &DeleteParams::default()).await) }
            });
            for (name, r) in futures::future::join_all(deletes).await {
                if let Err(e) = self.pods.record_delete(&ns, name, r) {
                    tracing::warn!(pod = %name, error = %e, "deleting a pod failed");
                }
            }
        }
        let active: Vec<&Pod> = self
            .owned(&rs)
            .into_iter()
            .filter(|p| is_active(p))
            .collect();
        let status = status_for(&rs, &active, failure);
        let sets: Api<ReplicaSet> = Api::namespaced(self.client.clone(), &ns);
        write_status(
            &sets,
            &mut self.sets,
            &key.1,
            MANAGER,
            rs.status.as_ref(),
            &status,
        )
        .await;
    }

    /// Takes pods that match the selector and have no controller.
    async fn adopt_orphans(&mut self, rs: &ReplicaSet, pods_api: &Api<Pod>) {
        let Some(spec) = rs.spec.as_ref() else { return };
        let Some(uid) = rs.metadata.uid.clone() else {
            return;
        };
        let ns = rs.namespace().unwrap_or_default();
        let orphans: Vec<String> = self
            .pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((pns, _), _)| *pns == ns)
            .filter(|(_, p)| {
                p.metadata.deletion_timestamp.is_none()
                    && !p
                        .metadata
                        .owner_references
                        .as_ref()
                        .is_some_and(|o| o.iter().any(|r| r.controller == Some(true)))
                    && selector_matches(
                        &spec.selector,
                        &p.metadata.labels.clone().unwrap_or_default(),
                    )
            })
            .map(|(_, p)| p.name_any())
            .collect();
        for name in orphans {
            let patch = json!({"metadata": {"ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs.name_any(), "uid": uid,
                "controller": true, "blockOwnerDeletion": true,
            }]}});
            match pods_api
                .patch(&name, &write_params(), &Patch::Merge(&patch))
                .await
            {
                Ok(p) => self.pods.put(p),
                Err(e) => tracing::debug!(pod = %name, error = %e, "adoption failed"),
            }
        }
    }
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut sets = watch_channel(Api::<ReplicaSet>::all(client.clone()));
    let mut pods = watch_channel(Api::<Pod>::all(client.clone()));
    let mut c = Controller {
        client,
        sets: Store::default(),
        pods: Store::default(),
    };
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
                    for (p, _) in &objs {
                        dirty.extend(c.interested(p));
                    }
                }
            }
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        // Take whatever else is already waiting before reconciling.
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
                    dirty.extend(c.interested(p));
                }
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

    fn pod(name: &str, node: Option<&str>, phase: &str, ready: bool, created: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": created},
            "spec": {"nodeName": node, "containers": []},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]},
        }))
        .unwrap()
    }

    #[test]
    fn scale_down_takes_the_least_valuable_first() {
        let a = pod(
            "unscheduled",
            None,
            "Pending",
            false,
            "2026-01-01T00:00:00Z",
        );
        let b = pod(
            "pending",
            Some("n1"),
            "Pending",
            false,
            "2026-01-01T00:00:00Z",
        );
        let c = pod(
            "running-old",
            Some("n1"),
            "Running",
            true,
            "2026-01-01T00:00:00Z",
        );
        let d = pod(
            "running-new",
            Some("n1"),
            "Running",
            true,
            "2026-01-02T00:00:00Z",
        );
        let e = pod(
            "not-ready",
            Some("n1"),
            "Running",
            false,
            "2026-01-01T00:00:00Z",
        );
        let mut v = vec![&c, &d, &e, &b, &a];
        deletion_order(&mut v);
        let names: Vec<String> = v.iter().map(|p| p.name_any()).collect();
        assert_eq!(
            names,
            [
                "unscheduled",
                "pending",
                "not-ready",
                "running-new",
                "running-old"
            ]
        );
    }

    #[test]
    fn template_pods_are_owned_and_status_counts() {
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "web-abc", "namespace": "ns", "uid": "u1", "generation": 3},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
        }))
        .unwrap();
        let p = pod_from_template(&rs).unwrap();
        assert_eq!(p.metadata.generate_name.as_deref(), Some("web-abc-"));
        let owner = &p.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!((owner.uid.as_str(), owner.controller), ("u1", Some(true)));
        let ready = pod("a", Some("n"), "Running", true, "2026-01-01T00:00:00Z");
        let mut labelled = ready.clone();
        labelled.metadata.labels = Some([("app".to_string(), "web".to_string())].into());
        let st = status_for(&rs, &[&labelled, &ready], None);
        assert_eq!(st.replicas, 2);
        assert_eq!(st.ready_replicas, Some(2));
        assert_eq!(st.fully_labeled_replicas, Some(1));
        assert_eq!(st.observed_generation, Some(3));
    }
}

//! Storage object in-use protection, the other half of the API server's admission
//! (which puts `kubernetes.io/pvc-protection` on every claim and
//! `kubernetes.io/pv-protection` on every volume): a claim being deleted loses its
//! finalizer once no running pod mounts it, a volume once no claim is bound to it.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::informer::{key_of, watch_channel, Change, Key, Store};

pub const PVC_FINALIZER: &str = "kubernetes.io/pvc-protection";
pub const PV_FINALIZER: &str = "kubernetes.io/pv-protection";

/// Whether a pod still needs the claim `claim` of its namespace: it mounts it and has
/// not finished.
pub fn pod_uses_claim(pod: &Pod, claim: &str) -> bool {
    let finished = matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    );
    !finished
        && pod
            .spec
            .as_ref()
            .and_then(|s| s.volumes.as_ref())
            .into_iter()
            .flatten()
            .any(|v| {
                v.persistent_volume_claim
                    .as_ref()
                    .is_some_and(|c| c.claim_name == claim)
            })
}

/// Whether a volume is still bound to a claim that exists.
pub fn volume_in_use(pv: &PersistentVolume, claims: &Store<PersistentVolumeClaim>) -> bool {
    let Some(r) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else {
        return false;
    };
    let (ns, name) = (
        r.namespace.clone().unwrap_or_default(),
        r.name.clone().unwrap_or_default(),
    );
    claims.get(&ns, &name).is_some_and(|c| {
        c.spec.as_ref().and_then(|s| s.volume_name.as_deref()) == Some(pv.name_any().as_str())
    })
}

fn without(finalizers: &[String], f: &str) -> Vec<String> {
    finalizers.iter().filter(|x| *x != f).cloned().collect()
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut claims_w = watch_channel(Api::<PersistentVolumeClaim>::all(client.clone()));
    let mut volumes_w = watch_channel(Api::<PersistentVolume>::all(client.clone()));
    let mut pods_w = watch_channel(Api::<Pod>::all(client.clone()));
    let mut claims: Store<PersistentVolumeClaim> = Store::default();
    let mut volumes: Store<PersistentVolume> = Store::default();
    let mut pods: Store<Pod> = Store::default();
    let pp = PatchParams {
        field_manager: Some("pvc-protection-controller".into()),
        ..Default::default()
    };
    loop {
        let mut look = false;
        tokio::select! {
            Some(ev) = claims_w.recv() => look |= matches!(claims.apply(ev), Change::Touched(_)),
            Some(ev) = volumes_w.recv() => look |= matches!(volumes.apply(ev), Change::Touched(_)),
            Some(ev) = pods_w.recv() => look |= matches!(pods.apply(ev), Change::Touched(_)),
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = claims_w.try_recv() {
            claims.apply(ev);
        }
        while let Ok(ev) = volumes_w.try_recv() {
            volumes.apply(ev);
        }
        while let Ok(ev) = pods_w.try_recv() {
            pods.apply(ev);
        }
        if !look {
            continue;
        }
        let releasable: Vec<(Key, Vec<String>)> = claims
            .objects
            .values()
            .filter(|c| {
                c.metadata.deletion_timestamp.is_some()
                    && c.finalizers().iter().any(|f| f == PVC_FINALIZER)
            })
            .filter(|c| {
                let (ns, name) = key_of(*c);
                !pods
                    .objects
                    .range((ns.clone(), String::new())..)
                    .take_while(|((pns, _), _)| *pns == ns)
                    .any(|(_, p)| pod_uses_claim(p, &name))
            })
            .map(|c| (key_of(c), without(c.finalizers(), PVC_FINALIZER)))
            .collect();
        for ((ns, name), finalizers) in releasable {
            let api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
            let patch = json!({"metadata": {"finalizers": finalizers}});
            if let Err(e) = api.patch(&name, &pp, &Patch::Merge(&patch)).await {
                tracing::debug!(claim = %name, error = %e, "releasing a claim failed");
            }
        }
        let free: BTreeSet<(String, Vec<String>)> = volumes
            .objects
            .values()
            .filter(|v| {
                v.metadata.deletion_timestamp.is_some()
                    && v.finalizers().iter().any(|f| f == PV_FINALIZER)
            })
            .filter(|v| !volume_in_use(v, &claims))
            .map(|v| (v.name_any(), without(v.finalizers(), PV_FINALIZER)))
            .collect();
        let api: Api<PersistentVolume> = Api::all(client.clone());
        for (name, finalizers) in free {
            let patch = json!({"metadata": {"finalizers": finalizers}});
            if let Err(e) = api.patch(&name, &pp, &Patch::Merge(&patch)).await {
                tracing::debug!(volume = %name, error = %e, "releasing a volume failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_pods_hold_their_claims() {
        let pod = |phase: &str| -> Pod {
            serde_json::from_value(json!({"metadata": {"name": "p"},
                "spec": {"containers": [], "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]},
                "status": {"phase": phase}}))
            .unwrap()
        };
        assert!(pod_uses_claim(&pod("Running"), "data"));
        assert!(!pod_uses_claim(&pod("Running"), "other"));
        assert!(!pod_uses_claim(&pod("Succeeded"), "data"));
        assert_eq!(
            without(&["a".into(), PVC_FINALIZER.into()], PVC_FINALIZER),
            ["a"]
        );
    }
}

//! ControllerRevisions: the template history of StatefulSets and DaemonSets (what
//! `kubectl rollout history` and `rollout undo` read), and the hashes that name them
//! and label the pods made from each revision (`controller-revision-hash`).

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use std::collections::BTreeSet;

use kube::{Resource, ResourceExt};
use serde_json::{json, Value};

/// The label on pods naming the revision they were made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// kube's alphabet for generated name suffixes (no vowels, no confusable digits).
pub(crate) const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// FNV-32a of `text` and the collision count, encoded like kube's `SafeEncodeString`.
pub fn safe_hash(text: &str, collision_count: Option<i32>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let mut feed = |b: u8| {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    };
    text.bytes().for_each(&mut feed);
    if let Some(c) = collision_count {
        c.to_le_bytes().into_iter().for_each(&mut feed);
    }
    h.to_string()
        .bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// What a revision records of a workload: its pod template, as the strategic-merge
/// patch kube stores (`{"spec":{"template":{...,"$patch":"replace"}}}`).
pub fn revision_data(template: &PodTemplateSpec) -> Value {
    let mut t = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Some(obj) = t.as_object_mut() {
        obj.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": t}})
}

/// The template a revision recorded.
pub fn template_of(rev: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut t = rev.data.as_ref()?.0.get("spec")?.get("template")?.clone();
    if let Some(obj) = t.as_object_mut() {
        obj.remove("$patch");
    }
    serde_json::from_value(t).ok()
}

/// The revision `owner` would record for `template`, named `<owner>-<hash>`.
pub fn new_revision<K: Resource<DynamicType = ()>>(
    owner: &K,
    template: &PodTemplateSpec,
    selector_labels: std::collections::BTreeMap<String, String>,
    number: i64,
    collision_count: Option<i32>,
) -> ControllerRevision {
    let data = revision_data(template);
    let hash = safe_hash(&data.to_string(), collision_count);
    let mut labels = selector_labels;
    labels.insert(REVISION_LABEL.into(), hash.clone());
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(format!("{}-{hash}", owner.name_any())),
            namespace: owner.namespace(),
            labels: Some(labels),
            owner_references: Some(vec![OwnerReference {
                api_version: K::api_version(&()).into_owned(),
                kind: K::kind(&()).into_owned(),
                name: owner.name_any(),
                uid: owner.meta().uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        data: Some(RawExtension(data)),
        revision: number,
    }
}

/// The hash part of a revision's name (what pods carry in [`REVISION_LABEL`]).
pub fn hash_of(rev: &ControllerRevision) -> String {
    rev.labels()
        .get(REVISION_LABEL)
        .cloned()
        .unwrap_or_else(|| rev.name_any())
}

/// Whether two revisions record the same template.
pub fn same_data(a: &ControllerRevision, b: &ControllerRevision) -> bool {
    a.data == b.data
}

/// Which of `history` (sorted by revision number) may go: the oldest beyond `limit`
/// that no live pod or status still names.
pub fn prunable<'a>(
    history: &[&'a ControllerRevision],
    live: &BTreeSet<String>,
    limit: usize,
) -> Vec<&'a ControllerRevision> {
    let dead: Vec<&ControllerRevision> = history
        .iter()
        .copied()
        .filter(|r| !live.contains(&r.name_any()) && !live.contains(&hash_of(r)))
        .collect();
    let excess = dead.len().saturating_sub(limit);
    dead.into_iter().take(excess).collect()
}

/// The revision history of one owner (its ControllerRevisions, by revision number),
/// kept in a controller's map and written through the API.
pub struct History<'a> {
    pub client: &'a kube::Client,
    pub revisions: &'a mut crate::informer::Store<ControllerRevision>,
    /// The field manager of the controller's writes.
    pub manager: &'a str,
}

impl History<'_> {
    /// The owner's revisions, oldest first.
    pub fn of<K: Resource<DynamicType = ()>>(&self, owner: &K) -> Vec<ControllerRevision> {
        let uid = owner.meta().uid.clone().unwrap_or_default();
        let ns = owner.meta().namespace.clone().unwrap_or_default();
        let mut revs: Vec<ControllerRevision> = self
            .revisions
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((rns, _), _)| *rns == ns)
            .map(|(_, r)| r)
            .filter(|r| {
                crate::informer::controller_uid(*r, &K::kind(&())).as_deref() == Some(uid.as_str())
            })
            .cloned()
            .collect();
        revs.sort_by_key(|r| r.revision);
        revs
    }

    /// Makes sure `template` is the owner's newest revision (creating it, or
    /// renumbering an older equal one after a rollback); its hash, or `None` when a
    /// name collision was counted in the owner's `status.collisionCount` (the next
    /// attempt hashes differently).
    pub async fn record<K>(
        &mut self,
        owner: &K,
        template: &PodTemplateSpec,
        collision_count: Option<i32>,
    ) -> Option<String>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        use kube::api::{Api, Patch, PatchParams, PostParams};
        let labels = template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let history = self.of(owner);
        let next = history.last().map(|r| r.revision).unwrap_or(0) + 1;
        let wanted = new_revision(owner, template, labels, next, collision_count);
        let ns = owner.namespace().unwrap_or_default();
        let api: Api<ControllerRevision> = Api::namespaced(self.client.clone(), &ns);
        let patch_params = PatchParams {
            field_manager: Some(self.manager.into()),
            ..Default::default()
        };
        if let Some(same) = history.iter().find(|r| same_data(r, &wanted)) {
            if Some(same.revision) != history.last().map(|r| r.revision) {
                // A rollback to an older template makes it the newest revision again.
                let patch = json!({"revision": next});
                match api
                    .patch(&same.name_any(), &patch_params, &Patch::Merge(&patch))
                    .await
                {
                    Ok(r) => self.revisions.put(r),
                    Err(e) => tracing::warn!(error = %e, "renumbering a revision failed"),
                }
            }
            return Some(hash_of(same));
        }
        let post = PostParams {
            field_manager: Some(self.manager.into()),
            ..Default::default()
        };
        let kind = K::kind(&());
        match api.create(&post, &wanted).await {
            Ok(r) => {
                let hash = hash_of(&r);
                self.revisions.put(r);
                Some(hash)
            }
            Err(e) if crate::informer::is_status(&e, 409) => {
                match api.get(&wanted.name_any()).await {
                    Ok(existing)
                        if same_data(&existing, &wanted)
                            && crate::informer::controller_uid(&existing, &kind)
                                == owner.meta().uid =>
                    {
                        let hash = hash_of(&existing);
                        self.revisions.put(existing);
                        Some(hash)
                    }
                    _ => {
                        // Someone else's revision has our name: count the collision.
                        let owners: Api<K> = Api::namespaced(self.client.clone(), &ns);
                        let patch =
                            json!({"status": {"collisionCount": collision_count.unwrap_or(0) + 1}});
                        if let Err(e) = owners
                            .patch_status(&owner.name_any(), &patch_params, &Patch::Merge(&patch))
                            .await
                        {
                            tracing::warn!(error = %e, "counting a revision name collision failed");
                        }
                        None
                    }
                }
            }
            Err(e) => {
                tracing::warn!(owner = %owner.name_any(), error = %e, "recording a revision failed");
                None
            }
        }
    }

    /// Deletes the oldest revisions beyond `limit` that nothing `live` names.
    pub async fn prune<K: Resource<DynamicType = ()>>(
        &mut self,
        owner: &K,
        live: &BTreeSet<String>,
        limit: usize,
    ) {
        use kube::api::{Api, DeleteParams};
        let history = self.of(owner);
        let refs: Vec<&ControllerRevision> = history.iter().collect();
        let doomed: Vec<String> = prunable(&refs, live, limit)
            .iter()
            .map(|r| r.name_any())
            .collect();
        let ns = owner.meta().namespace.clone().unwrap_or_default();
        let api: Api<ControllerRevision> = Api::namespaced(self.client.clone(), &ns);
        for name in doomed {
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => self.revisions.remove(&ns, &name),
                Err(e) if crate::informer::is_status(&e, 404) => self.revisions.remove(&ns, &name),
                Err(e) => tracing::warn!(revision = %name, error = %e, "pruning history failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::StatefulSet;

    fn template(image: &str) -> PodTemplateSpec {
        serde_json::from_value(json!({"metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "c", "image": image}]}}))
        .unwrap()
    }

    #[test]
    fn revisions_name_hash_and_round_trip_their_template() {
        let set: StatefulSet = serde_json::from_value(
            json!({"metadata": {"name": "db", "namespace": "ns", "uid": "u"}}),
        )
        .unwrap();
        let r1 = new_revision(
            &set,
            &template("a"),
            [("app".to_string(), "db".to_string())].into(),
            1,
            None,
        );
        let again = new_revision(&set, &template("a"), Default::default(), 2, None);
        let r2 = new_revision(&set, &template("b"), Default::default(), 2, None);
        assert_eq!(r1.metadata.name, again.metadata.name);
        assert!(same_data(&r1, &again));
        assert_ne!(r1.metadata.name, r2.metadata.name);
        assert_eq!(r1.name_any(), format!("db-{}", hash_of(&r1)));
        assert_eq!(template_of(&r1), Some(template("a")));
        let owner = &r1.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.api_version.as_str()),
            ("StatefulSet", "apps/v1")
        );
        let collided = new_revision(&set, &template("a"), Default::default(), 1, Some(1));
        assert_ne!(collided.metadata.name, r1.metadata.name);
    }

    #[test]
    fn pruning_keeps_live_and_recent_revisions() {
        let set: StatefulSet =
            serde_json::from_value(json!({"metadata": {"name": "db", "uid": "u"}})).unwrap();
        let revs: Vec<ControllerRevision> = (1..=5)
            .map(|i| {
                new_revision(
                    &set,
                    &template(&format!("img{i}")),
                    Default::default(),
                    i,
                    None,
                )
            })
            .collect();
        let history: Vec<&ControllerRevision> = revs.iter().collect();
        let live = [revs[0].name_any(), revs[4].name_any()].into();
        let gone: Vec<i64> = prunable(&history, &live, 2)
            .iter()
            .map(|r| r.revision)
            .collect();
        assert_eq!(gone, [2]);
        assert!(prunable(&history, &live, 10).is_empty());
    }
}

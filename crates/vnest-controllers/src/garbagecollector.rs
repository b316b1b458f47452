//! The garbage collector: ownerReferences across every resource discovery lists
//! (built-in and custom; discovery runs again when CRDs change). Dependents whose
//! owners are all gone are deleted (background propagation); an owner being deleted
//! with the `foregroundDeletion` finalizer loses it once its dependents are gone; one
//! with the `orphan` finalizer has its dependents released first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::discovery::{verbs, Discovery, Scope};
use kube::runtime::watcher;
use kube::Client;
use serde_json::json;

use crate::informer::{is_status, watch_all};

const MANAGER: &str = "generic-garbage-collector";
const FOREGROUND: &str = "foregroundDeletion";
const ORPHAN: &str = "orphan";

/// What the collector knows about one object.
#[derive(Debug, Clone)]
struct Node {
    resource: usize,
    namespace: Option<String>,
    name: String,
    owners: Vec<OwnerReference>,
    deleting: bool,
    finalizers: Vec<String>,
}

/// An owner's decision, pure: which dependents to delete or release, and whether its
/// finalizer can go.
#[derive(Debug, PartialEq, Eq)]
pub enum OwnerAction {
    /// Delete these dependents (foreground: they block the owner).
    DeleteDependents(Vec<String>),
    /// Remove the owner's reference from these dependents.
    Release(Vec<String>),
    /// Nothing blocks the owner any more: drop this finalizer.
    DropFinalizer(&'static str),
    Nothing,
}

/// What an owner being deleted with `finalizers` needs, given its dependents
/// (uid, being deleted, blocks the owner).
pub fn owner_action(
    deleting: bool,
    finalizers: &[String],
    dependents: &[(String, bool, bool)],
) -> OwnerAction {
    if !deleting {
        return OwnerAction::Nothing;
    }
    if finalizers.iter().any(|f| f == ORPHAN) {
        if dependents.is_empty() {
            return OwnerAction::DropFinalizer(ORPHAN);
        }
        return OwnerAction::Release(dependents.iter().map(|d| d.0.clone()).collect());
    }
    if finalizers.iter().any(|f| f == FOREGROUND) {
        let to_delete: Vec<String> = dependents
            .iter()
            .filter(|(_, deleting, _)| !deleting)
            .map(|(uid, _, _)| uid.clone())
            .collect();
        if !to_delete.is_empty() {
            return OwnerAction::DeleteDependents(to_delete);
        }
        if dependents.iter().all(|(_, _, blocks)| !blocks) {
            return OwnerAction::DropFinalizer(FOREGROUND);
        }
    }
    OwnerAction::Nothing
}

struct Collector {
    client: Client,
    resources: Vec<ApiResource>,
    namespaced: Vec<bool>,
    /// (apiVersion, kind) -> index into `resources`.
    by_kind: HashMap<(String, String), usize>,
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, HashSet<String>>,
    /// Resources whose initial list has been seen.
    synced: HashSet<usize>,
}

impl Collector {
    fn api(&self, resource: usize, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = &self.resources[resource];
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, ar),
            None => Api::all_with(self.client.clone(), ar),
        }
    }

    /// Records an object; returns its uid and the uids of owners it no longer has.
    fn insert(&mut self, resource: usize, obj: &DynamicObject) -> Option<(String, Vec<String>)> {
        let uid = obj.metadata.uid.clone()?;
        let mut former = Vec::new();
        if let Some(old) = self.nodes.get(&uid) {
            for o in &old.owners {
                if let Some(set) = self.dependents.get_mut(&o.uid) {
                    set.remove(&uid);
                }
                former.push(o.uid.clone());
            }
        }
        let owners = obj.metadata.owner_references.clone().unwrap_or_default();
        for o in &owners {
            self.dependents
                .entry(o.uid.clone())
                .or_default()
                .insert(uid.clone());
        }
        self.nodes.insert(
            uid.clone(),
            Node {
                resource,
                namespace: obj.metadata.namespace.clone(),
                name: obj.metadata.name.clone().unwrap_or_default(),
                owners,
                deleting: obj.metadata.deletion_timestamp.is_some(),
                finalizers: obj.metadata.finalizers.clone().unwrap_or_default(),
            },
        );
        Some((uid, former))
    }

    fn remove(&mut self, obj: &DynamicObject) -> Option<String> {
        let uid = obj.metadata.uid.clone()?;
        if let Some(old) = self.nodes.remove(&uid) {
            for o in &old.owners {
                if let Some(set) = self.dependents.get_mut(&o.uid) {
                    set.remove(&uid);
                }
            }
        }
        Some(uid)
    }

    fn all_synced(&self) -> bool {
        self.synced.len() >= self.resources.len()
    }

    /// Whether an owner reference points at an object that exists.
    async fn owner_exists(&self, o: &OwnerReference, namespace: Option<&str>) -> bool {
        if self.nodes.contains_key(&o.uid) {
            return true;
        }
        let Some(&idx) = self.by_kind.get(&(o.api_version.clone(), o.kind.clone())) else {
            // A kind nobody serves: kube treats the owner as absent.
            return false;
        };
        let ns = if self.namespaced[idx] {
            namespace
        } else {
            None
        };
        let api = self.api(idx, ns);
        match api.get_opt(&o.name).await {
            Ok(Some(found)) => found.metadata.uid.as_deref() == Some(o.uid.as_str()),
            Ok(None) => false,
            Err(_) => true,
        }
    }

    async fn delete(&self, uid: &str, policy: DeleteParams) {
        let Some(n) = self.nodes.get(uid) else { return };
        let api = self.api(n.resource, n.namespace.as_deref());
        let mut dp = policy;
        dp.preconditions = Some(kube::api::Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        });
        match api.delete(&n.name, &dp).await {
            Ok(_) => {}
            Err(e) if is_status(&e, 404) || is_status(&e, 409) => {}
            Err(e) => {
                tracing::warn!(name = %n.name, error = %e, "garbage collection delete failed")
            }
        }
    }

    /// A dependent whose owners may be gone.
    async fn check_dependent(&self, uid: &str) {
        let Some(n) = self.nodes.get(uid) else { return };
        if n.owners.is_empty() || n.deleting || !self.all_synced() {
            return;
        }
        for o in &n.owners {
            if self.owner_exists(o, n.namespace.as_deref()).await {
                return;
            }
        }
        self.delete(uid, DeleteParams::background()).await;
    }

    async fn check_owner(&self, uid: &str) {
        let Some(n) = self.nodes.get(uid).cloned() else {
            return;
        };
        let deps: Vec<(String, bool, bool)> = self
            .dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let dn = self.nodes.get(d)?;
                let blocks = dn
                    .owners
                    .iter()
                    .any(|o| o.uid == uid && o.block_owner_deletion == Some(true));
                Some((d.clone(), dn.deleting, blocks))
            })
            .collect();
        match owner_action(n.deleting, &n.finalizers, &deps) {
            OwnerAction::Nothing => {}
            OwnerAction::DeleteDependents(list) => {
                for d in list {
                    self.delete(&d, DeleteParams::foreground()).await;
                }
            }
            OwnerAction::Release(list) => {
                for d in list {
                    let Some(dn) = self.nodes.get(&d) else {
                        continue;
                    };
                    let kept: Vec<&OwnerReference> =
                        dn.owners.iter().filter(|o| o.uid != uid).collect();
                    // An empty list goes away entirely, as Go's omitempty writes it.
                    let refs = if kept.is_empty() {
                        json!(null)
                    } else {
                        json!(kept)
                    };
                    let patch = json!({"metadata": {"ownerReferences": refs}});
                    let api = self.api(dn.resource, dn.namespace.as_deref());
                    if let Err(e) = api.patch(&dn.name, &params(), &Patch::Merge(&patch)).await {
                        tracing::warn!(name = %dn.name, error = %e, "releasing a dependent failed");
                    }
                }
            }
            OwnerAction::DropFinalizer(f) => {
                let kept: Vec<&String> = n.finalizers.iter().filter(|x| *x != f).collect();
                let patch = json!({"metadata": {"finalizers": kept}});
                let api = self.api(n.resource, n.namespace.as_deref());
                match api.patch(&n.name, &params(), &Patch::Merge(&patch)).await {
                    Ok(_) => {}
                    Err(e) if is_status(&e, 404) => {}
                    Err(e) => {
                        tracing::warn!(name = %n.name, error = %e, "dropping a finalizer failed")
                    }
                }
            }
        }
    }
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

/// Every resource that can be watched and deleted.
async fn discover(client: &Client) -> Vec<(ApiResource, bool)> {
    let Ok(d) = Discovery::new(client.clone()).run().await else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in d.groups() {
        for (ar, caps) in group.recommended_resources() {
            if caps.supports_operation(verbs::WATCH)
                && caps.supports_operation(verbs::DELETE)
                && caps.supports_operation(verbs::LIST)
                && ar.plural != "events"
            {
                out.push((ar, caps.scope == Scope::Namespaced));
            }
        }
    }
    out
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut c = Collector {
        client: client.clone(),
        resources: Vec::new(),
        namespaced: Vec::new(),
        by_kind: HashMap::new(),
        nodes: HashMap::new(),
        dependents: HashMap::new(),
        synced: HashSet::new(),
    };
    let (events_tx, mut events) =
        tokio::sync::mpsc::unbounded_channel::<(usize, watcher::Event<DynamicObject>)>();
    let mut crds = watch_all(Api::<CustomResourceDefinition>::all(client.clone()));
    let mut rediscover = true;
    loop {
        if rediscover {
            rediscover = false;
            for (ar, namespaced) in discover(&client).await {
                let key = (ar.api_version.clone(), ar.kind.clone());
                if c.by_kind.contains_key(&key) {
                    continue;
                }
                let idx = c.resources.len();
                c.by_kind.insert(key, idx);
                c.resources.push(ar.clone());
                c.namespaced.push(namespaced);
                let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
                let mut stream = watcher(api, watcher::Config::default())
                    .filter_map(move |r| async move { r.ok().map(|e| (idx, e)) })
                    .boxed();
                let tx = events_tx.clone();
                tokio::spawn(async move {
                    while let Some(ev) = stream.next().await {
                        if tx.send(ev).is_err() {
                            return;
                        }
                    }
                });
            }
        }
        let mut touched: Vec<(String, bool)> = Vec::new();
        tokio::select! {
            Some((idx, ev)) = events.recv() => collect(&mut c, idx, ev, &mut touched),
            Some(_) = crds.next() => {
                rediscover = true;
                // Let a burst of CRD changes settle before asking discovery.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            else => return,
        }
        while let Ok((idx, ev)) = events.try_recv() {
            collect(&mut c, idx, ev, &mut touched);
        }
        let mut owners: BTreeMap<String, ()> = BTreeMap::new();
        let mut dependents: BTreeMap<String, ()> = BTreeMap::new();
        for (uid, gone) in touched {
            if gone {
                // Its dependents may now be orphans.
                for d in c.dependents.get(&uid).cloned().unwrap_or_default() {
                    dependents.insert(d, ());
                }
            } else {
                owners.insert(uid.clone(), ());
                dependents.insert(uid.clone(), ());
                if let Some(n) = c.nodes.get(&uid) {
                    for o in &n.owners {
                        owners.insert(o.uid.clone(), ());
                    }
                }
            }
        }
        for uid in owners.keys() {
            c.check_owner(uid).await;
        }
        for uid in dependents.keys() {
            c.check_dependent(uid).await;
        }
    }
}

fn collect(
    c: &mut Collector,
    idx: usize,
    ev: watcher::Event<DynamicObject>,
    touched: &mut Vec<(String, bool)>,
) {
    match ev {
        watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
            if let Some((uid, former)) = c.insert(idx, &o) {
                touched.push((uid, false));
                // Owners it left (released orphans) may be done waiting.
                touched.extend(former.into_iter().map(|f| (f, false)));
            }
        }
        watcher::Event::Delete(o) => {
            // Its owners may now be free of it (foreground deletion waits for this).
            for owner in o.metadata.owner_references.iter().flatten() {
                touched.push((owner.uid.clone(), false));
            }
            if let Some(uid) = c.remove(&o) {
                touched.push((uid, true));
            }
        }
        watcher::Event::Init => {}
        watcher::Event::InitDone => {
            c.synced.insert(idx);
            if c.all_synced() {
                // Everything listed once: look at every dependent.
                let all: Vec<String> = c
                    .nodes
                    .iter()
                    .filter(|(_, n)| !n.owners.is_empty() || n.deleting)
                    .map(|(u, _)| u.clone())
                    .collect();
                touched.extend(all.into_iter().map(|u| (u, false)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn owners_being_deleted() {
        assert_eq!(
            owner_action(false, &f(&[FOREGROUND]), &[]),
            OwnerAction::Nothing
        );
        let deps = vec![
            ("a".to_string(), false, true),
            ("b".to_string(), true, true),
        ];
        assert_eq!(
            owner_action(true, &f(&[FOREGROUND]), &deps),
            OwnerAction::DeleteDependents(vec!["a".into()])
        );
        let deps = vec![("b".to_string(), true, true)];
        assert_eq!(
            owner_action(true, &f(&[FOREGROUND]), &deps),
            OwnerAction::Nothing
        );
        let deps = vec![("b".to_string(), true, false)];
        assert_eq!(
            owner_action(true, &f(&[FOREGROUND]), &deps),
            OwnerAction::DropFinalizer(FOREGROUND)
        );
        assert_eq!(
            owner_action(true, &f(&[ORPHAN]), &[("a".to_string(), false, true)]),
            OwnerAction::Release(vec!["a".into()])
        );
        assert_eq!(
            owner_action(true, &f(&[ORPHAN]), &[]),
            OwnerAction::DropFinalizer(ORPHAN)
        );
    }
}

//! A controller's view of the cluster: watch streams folded into in-memory maps.
//! Controllers own their maps and update them both from watch events and from the
//! responses of their own writes, so a reconcile never acts twice on a state the
//! watch has not caught up with yet (kube's "expectations", made structural).

use std::collections::BTreeMap;
use std::fmt::Debug;

use futures::stream::BoxStream;
use futures::StreamExt;
use kube::api::Api;
use kube::runtime::{watcher, WatchStreamExt};
use kube::Resource;
use serde::de::DeserializeOwned;

/// Namespace and name.
pub type Key = (String, String);

pub fn key_of<K: Resource>(obj: &K) -> Key {
    (
        obj.meta().namespace.clone().unwrap_or_default(),
        obj.meta().name.clone().unwrap_or_default(),
    )
}

/// Objects of one kind, as last seen.
#[derive(Debug)]
pub struct Store<K> {
    pub objects: BTreeMap<Key, K>,
    initializing: Option<BTreeMap<Key, K>>,
    listed: bool,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store {
            objects: BTreeMap::new(),
            initializing: None,
            listed: false,
        }
    }
}

/// What a watch event changed.
pub enum Change<K> {
    /// Objects added or modified (the new state), or removed (the last state).
    Touched(Vec<(K, bool)>),
    Nothing,
}

impl<K: Resource + Clone> Store<K> {
    /// Folds one watch event in; returns what changed (a relist reports every object
    /// that appeared, changed or disappeared).
    pub fn apply(&mut self, ev: watcher::Event<K>) -> Change<K> {
        match ev {
            watcher::Event::Apply(obj) => {
                self.objects.insert(key_of(&obj), obj.clone());
                Change::Touched(vec![(obj, false)])
            }
            watcher::Event::Delete(obj) => {
                self.objects.remove(&key_of(&obj));
                Change::Touched(vec![(obj, true)])
            }
            watcher::Event::Init => {
                self.initializing = Some(BTreeMap::new());
                Change::Nothing
            }
            watcher::Event::InitApply(obj) => {
                if let Some(init) = self.initializing.as_mut() {
                    init.insert(key_of(&obj), obj);
                }
                Change::Nothing
            }
            watcher::Event::InitDone => {
                let fresh = self.initializing.take().unwrap_or_default();
                let mut touched: Vec<(K, bool)> = Vec::new();
                for (k, old) in &self.objects {
                    if !fresh.contains_key(k) {
                        touched.push((old.clone(), true));
                    }
                }
                for obj in fresh.values() {
                    touched.push((obj.clone(), false));
                }
                self.objects = fresh;
                self.listed = true;
                Change::Touched(touched)
            }
        }
    }

    /// Whether a complete list has been folded in: before that, an object missing
    /// from the store may merely not be listed yet.
    pub fn listed(&self) -> bool {
        self.listed
    }

    /// Records the result of our own write before the watch reports it.
    pub fn put(&mut self, obj: K) {
        self.objects.insert(key_of(&obj), obj);
    }

    pub fn get(&self, ns: &str, name: &str) -> Option<&K> {
        self.objects.get(&(ns.to_string(), name.to_string()))
    }

    pub fn remove(&mut self, ns: &str, name: &str) {
        self.objects.remove(&(ns.to_string(), name.to_string()));
    }

    /// Records what a delete of `ns/name` answered: the object while it terminates,
    /// nothing once it is gone (or already was). Other errors are returned.
    pub fn record_delete(
        &mut self,
        ns: &str,
        name: &str,
        answer: Result<either::Either<K, kube::core::Status>, kube::Error>,
    ) -> Result<(), kube::Error> {
        match answer {
            Ok(either::Either::Left(obj)) => self.put(obj),
            Ok(either::Either::Right(_)) => self.remove(ns, name),
            Err(e) if is_status(&e, 404) => self.remove(ns, name),
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// Writes `status` to an object whose current status differs (a merge patch by
/// `manager`) and records the result; an object deleted meanwhile is no error.
pub async fn write_status<K, S>(
    api: &Api<K>,
    store: &mut Store<K>,
    name: &str,
    manager: &str,
    current: Option<&S>,
    status: &S,
) where
    K: Resource + Clone + DeserializeOwned + Debug,
    S: PartialEq + serde::Serialize,
{
    if current == Some(status) {
        return;
    }
    let patch = serde_json::json!({"status": status});
    let params = kube::api::PatchParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    };
    match api
        .patch_status(name, &params, &kube::api::Patch::Merge(&patch))
        .await
    {
        Ok(updated) => store.put(updated),
        Err(e) if is_status(&e, 404) => {}
        Err(e) => tracing::warn!(object = %name, error = %e, "updating status failed"),
    }
}

/// A restarting watch of every object of a kind, delivered through a channel: a
/// controller drains everything that arrived with `try_recv` (a stream polled once
/// may say Pending while events are on their way).
pub fn watch_channel<K>(api: Api<K>) -> tokio::sync::mpsc::UnboundedReceiver<watcher::Event<K>>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut stream = watch_all(api);
    tokio::spawn(async move {
        while let Some(ev) = stream.next().await {
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
    rx
}

/// [`watch_channel`] of the objects matching a label selector.
pub fn watch_channel_with<K>(
    api: Api<K>,
    labels: &str,
) -> tokio::sync::mpsc::UnboundedReceiver<watcher::Event<K>>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut stream = watcher(api, watcher::Config::default().labels(labels))
        .default_backoff()
        .filter_map(|r| async move { r.ok() })
        .boxed();
    tokio::spawn(async move {
        while let Some(ev) = stream.next().await {
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
    rx
}

/// A restarting watch of every object of a kind.
pub fn watch_all<K>(api: Api<K>) -> BoxStream<'static, watcher::Event<K>>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    watcher(api, watcher::Config::default())
        .default_backoff()
        .filter_map(|r| async move { r.ok() })
        .boxed()
}

/// The uid of the controlling owner of `kind`, if any.
pub fn controller_uid<K: Resource>(obj: &K, kind: &str) -> Option<String> {
    obj.meta()
        .owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true) && o.kind == kind)
        .map(|o| o.uid.clone())
}

/// Whether kube would treat a 404 / 409 answer as "already done".
pub fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

/// How long a controller lets a burst of events gather before it reconciles: one
/// reconcile then covers many changes (kube's work queue deduplicates the same way).
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(25);

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    #[test]
    fn a_store_is_listed_after_its_first_complete_list() {
        let cm: ConfigMap = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "a", "namespace": "n"}}),
        )
        .expect("configmap");
        let mut store: Store<ConfigMap> = Store::default();
        assert!(!store.listed());
        store.apply(watcher::Event::Init);
        store.apply(watcher::Event::InitApply(cm.clone()));
        assert!(!store.listed(), "a list in progress is not complete");
        store.put(cm.clone());
        assert!(!store.listed(), "own writes are not a list");
        store.apply(watcher::Event::InitDone);
        assert!(store.listed());
        store.apply(watcher::Event::Delete(cm));
        assert!(store.listed());
        assert!(store.objects.is_empty());
    }
}

//! The watch cache: every stored object, decoded, in memory, fed by one store watch on
//! the whole registry, like kube-apiserver's cacher. Lists and watches are served from
//! here; writes go to the store and come back through the watch.
//!
//! Invariants:
//! - `revision` is the store revision the cache reflects: every event up to it has been
//!   applied, none after it.
//! - `history` holds the events in `(oldest, revision]`, in order; a watch from a
//!   revision in that window replays from it, an older one is refused as too old (the
//!   client gets 410 and relists).
//! - A watcher whose queue is full is dropped (its stream ends, the client re-watches
//!   from its last revision); writers and other watchers never wait for it.
//! - When the store watch fails (compaction, a slow cache), the cache relists and every
//!   watcher is ended, as kube's cacher does.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use vnest_store::{EventKind, RangeRequest, Revision, Store, StoreError};

use crate::objects;

/// Root of every key the API server stores.
pub const REGISTRY_PREFIX: &str = "/registry/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// One change, decoded. For deletes `object` is the last state with the delete's
/// resourceVersion, as kube sends it.
#[derive(Debug)]
pub struct CacheEvent {
    pub revision: Revision,
    pub key: String,
    pub kind: WatchEventType,
    pub object: Arc<Value>,
    pub prev: Option<Arc<Value>>,
    /// `object` as JSON with its kind and apiVersion, encoded once for every watcher
    /// of that apiVersion (with the apiVersion it was encoded for).
    pub encoded: std::sync::OnceLock<(String, bytes::Bytes)>,
}

impl CacheEvent {
    pub fn new(
        revision: Revision,
        key: String,
        kind: WatchEventType,
        object: Arc<Value>,
        prev: Option<Arc<Value>>,
    ) -> CacheEvent {
        CacheEvent {
            revision,
            key,
            kind,
            object,
            prev,
            encoded: std::sync::OnceLock::new(),
        }
    }

    /// The object as JSON for `api_version`, from the shared encoding when the first
    /// watcher to ask wanted the same apiVersion.
    pub fn encoded_for(
        &self,
        api_version: &str,
        encode: impl Fn() -> bytes::Bytes,
    ) -> bytes::Bytes {
        let (version, bytes) = self
            .encoded
            .get_or_init(|| (api_version.to_string(), encode()));
        if version == api_version {
            bytes.clone()
        } else {
            // Another served version of a custom resource: encoded on its own.
            encode()
        }
    }
}

struct Subscriber {
    prefix: String,
    tx: mpsc::Sender<Arc<CacheEvent>>,
}

struct State {
    revision: Revision,
    oldest: Revision,
    objects: BTreeMap<String, Arc<Value>>,
    history: VecDeque<Arc<CacheEvent>>,
    subscribers: Vec<Subscriber>,
    /// Bumped at every relist; watchers of an older generation are gone.
    ready: bool,
}

pub struct WatchCache {
    state: RwLock<State>,
    revision_tx: tokio::sync::watch::Sender<Revision>,
    store: Arc<dyn Store>,
    history_limit: usize,
    watch_queue: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("too old resource version: {requested} ({oldest})")]
    TooOld {
        requested: Revision,
        oldest: Revision,
    },
    #[error("Too large resource version: {requested}, current: {current}")]
    TooNew {
        requested: Revision,
        current: Revision,
    },
    #[error("the watch cache is not ready")]
    NotReady,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Subscription {
    /// Events after the requested revision that were already in the cache.
    pub replay: Vec<Arc<CacheEvent>>,
    pub live: mpsc::Receiver<Arc<CacheEvent>>,
}

impl WatchCache {
    pub fn new(store: Arc<dyn Store>, history_limit: usize, watch_queue: usize) -> Arc<Self> {
        let (revision_tx, _) = tokio::sync::watch::channel(0);
        Arc::new(WatchCache {
            state: RwLock::new(State {
                revision: 0,
                oldest: 0,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                subscribers: Vec::new(),
                ready: false,
            }),
            revision_tx,
            store,
            history_limit,
            watch_queue,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Keeps the cache in sync with the store until the task is dropped.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = cache.relist_and_follow().await {
                    tracing::warn!(error = %e, "watch cache lost the store watch; relisting");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    }

    async fn relist_and_follow(&self) -> Result<(), StoreError> {
        let mut objects = BTreeMap::new();
        let mut start_after = None;
        let mut revision = None;
        loop {
            let page = self
                .store
                .range(RangeRequest {
                    prefix: REGISTRY_PREFIX.into(),
                    start_after: start_after.clone(),
                    limit: Some(10_000),
                    revision,
                })
                .await?;
            revision = Some(page.revision);
            for kv in &page.kvs {
                match objects::decode(&kv.value, kv.mod_revision) {
                    Ok(obj) => {
                        objects.insert(kv.key.clone(), Arc::new(obj));
                    }
                    Err(e) => {
                        tracing::error!(key = %kv.key, error = %e, "undecodable stored object")
                    }
                }
            }
            if !page.more {
                break;
            }
            start_after = page.kvs.last().map(|kv| kv.key.clone());
        }
        let revision = revision.unwrap_or(0);
        {
            let mut state = self.write();
            state.revision = revision;
            state.oldest = revision;
            state.objects = objects;
            state.history.clear();
            // Watchers of the previous generation may have missed events: end them.
            state.subscribers.clear();
            state.ready = true;
        }
        self.revision_tx.send_replace(revision);
        let mut watch = self.store.watch(REGISTRY_PREFIX, revision).await?;
        while let Some(ev) = watch.next().await {
            let ev = ev?;
            self.apply(ev);
        }
        Err(StoreError::Closed)
    }

    fn apply(&self, ev: vnest_store::Event) {
        let rev = ev.revision();
        let key = ev.kv.key.clone();
        let mut state = self.write();
        let prev = state.objects.get(&key).cloned();
        let event = match ev.kind {
            EventKind::Put => match objects::decode(&ev.kv.value, rev) {
                Ok(obj) => {
                    let obj = Arc::new(obj);
                    state.objects.insert(key.clone(), obj.clone());
                    let kind = if prev.is_some() {
                        WatchEventType::Modified
                    } else {
                        WatchEventType::Added
                    };
                    CacheEvent::new(rev, key, kind, obj, prev)
                }
                Err(e) => {
                    tracing::error!(key = %key, error = %e, "undecodable stored object");
                    state.revision = rev;
                    return;
                }
            },
            EventKind::Delete => {
                state.objects.remove(&key);
                let last = prev.clone().or_else(|| {
                    ev.prev
                        .as_ref()
                        .and_then(|p| objects::decode(&p.value, p.mod_revision).ok())
                        .map(Arc::new)
                });
                let Some(last) = last else {
                    state.revision = rev;
                    return;
                };
                let mut obj = (*last).clone();
                objects::set_resource_version(&mut obj, rev);
                CacheEvent::new(rev, key, WatchEventType::Deleted, Arc::new(obj), prev)
            }
        };
        let event = Arc::new(event);
        state.history.push_back(event.clone());
        while state.history.len() > self.history_limit {
            if let Some(old) = state.history.pop_front() {
                state.oldest = old.revision;
            }
        }
        state.subscribers.retain(|s| {
            if !event.key.starts_with(&s.prefix) {
                return !s.tx.is_closed();
            }
            match s.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(prefix = %s.prefix, "watcher too slow; ending it");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        state.revision = rev;
        drop(state);
        self.revision_tx.send_replace(rev);
    }

    pub fn revision(&self) -> Revision {
        self.read().revision
    }

    /// Waits until the cache has applied `rev` (or fails after `timeout`).
    pub async fn wait_for(&self, rev: Revision, timeout: Duration) -> Result<(), CacheError> {
        let mut rx = self.revision_tx.subscribe();
        let wait = async {
            loop {
                let ready = self.read().ready;
                if ready && *rx.borrow_and_update() >= rev {
                    return Ok(());
                }
                if rx.changed().await.is_err() {
                    return Err(CacheError::NotReady);
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r,
            Err(_) => Err(CacheError::TooNew {
                requested: rev,
                current: self.revision(),
            }),
        }
    }

    /// Waits until the cache reflects every write acknowledged before this call: a
    /// consistent read, as kube-apiserver serves from its cache since 1.31.
    pub async fn sync(&self) -> Result<Revision, CacheError> {
        let rev = self.store.current_revision().await?;
        self.wait_for(rev, Duration::from_secs(10)).await?;
        Ok(rev.max(self.revision()))
    }

    /// Every object under `prefix` (key order) and the revision they reflect.
    pub fn list(&self, prefix: &str) -> (Vec<(String, Arc<Value>)>, Revision) {
        let state = self.read();
        let items = state
            .objects
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (items, state.revision)
    }

    pub fn get(&self, key: &str) -> (Option<Arc<Value>>, Revision) {
        let state = self.read();
        (state.objects.get(key).cloned(), state.revision)
    }

    /// Subscribes to changes under `prefix` after revision `after`.
    pub fn subscribe(&self, prefix: &str, after: Revision) -> Result<Subscription, CacheError> {
        let mut state = self.write();
        if !state.ready {
            return Err(CacheError::NotReady);
        }
        if after < state.oldest {
            return Err(CacheError::TooOld {
                requested: after,
                oldest: state.oldest,
            });
        }
        let replay = state
            .history
            .iter()
            .filter(|e| e.revision > after && e.key.starts_with(prefix))
            .cloned()
            .collect();
        let (tx, rx) = mpsc::channel(self.watch_queue);
        state.subscribers.push(Subscriber {
            prefix: prefix.to_string(),
            tx,
        });
        Ok(Subscription { replay, live: rx })
    }

    pub fn watcher_count(&self) -> usize {
        self.read().subscribers.len()
    }

    pub fn object_count(&self) -> usize {
        self.read().objects.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;
    use vnest_store::MemoryStore;

    fn obj(name: &str, v: &str) -> Bytes {
        Bytes::from(json!({"metadata": {"name": name}, "data": {"v": v}}).to_string())
    }

    async fn started(history: usize) -> (Arc<dyn Store>, Arc<WatchCache>) {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let cache = WatchCache::new(store.clone(), history, 64);
        cache.spawn();
        cache.sync().await.expect("cache ready");
        (store, cache)
    }

    #[tokio::test]
    async fn consistent_reads_see_acknowledged_writes() {
        let (store, cache) = started(100).await;
        let kv = store
            .create("/registry/core/configmaps/ns/a", obj("a", "1"))
            .await
            .unwrap();
        let rev = cache.sync().await.unwrap();
        assert!(rev >= kv.mod_revision);
        let (items, at) = cache.list("/registry/core/configmaps/ns/");
        assert_eq!(items.len(), 1);
        assert_eq!(at, kv.mod_revision);
        assert_eq!(
            items[0]
                .1
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str),
            Some(kv.mod_revision.to_string().as_str())
        );
    }

    #[tokio::test]
    async fn watch_replays_history_then_goes_live_and_old_revisions_expire() {
        let (store, cache) = started(3).await;
        let first = store
            .create("/registry/core/configmaps/ns/a", obj("a", "1"))
            .await
            .unwrap();
        let second = store
            .update(
                "/registry/core/configmaps/ns/a",
                obj("a", "2"),
                first.mod_revision,
            )
            .await
            .unwrap();
        cache.sync().await.unwrap();
        let mut sub = cache
            .subscribe("/registry/core/configmaps/", first.mod_revision)
            .unwrap();
        assert_eq!(sub.replay.len(), 1);
        assert_eq!(sub.replay[0].kind, WatchEventType::Modified);
        assert_eq!(sub.replay[0].revision, second.mod_revision);
        let (_, del_rev) = store
            .delete("/registry/core/configmaps/ns/a", None)
            .await
            .unwrap();
        let ev = tokio::time::timeout(Duration::from_secs(5), sub.live.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ev.kind, WatchEventType::Deleted);
        assert_eq!(ev.revision, del_rev);
        // The deleted object carries the delete's resourceVersion, like kube's.
        assert_eq!(
            ev.object
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str),
            Some(del_rev.to_string().as_str())
        );
        // Push the first events out of the 3-event history.
        for i in 0..5 {
            store
                .create(&format!("/registry/core/configmaps/ns/x{i}"), obj("x", "0"))
                .await
                .unwrap();
        }
        cache.sync().await.unwrap();
        assert!(matches!(
            cache.subscribe("/registry/core/configmaps/", first.mod_revision),
            Err(CacheError::TooOld { .. })
        ));
    }

    #[tokio::test]
    async fn a_watcher_that_does_not_read_is_dropped() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let cache = WatchCache::new(store.clone(), 1000, 4);
        cache.spawn();
        cache.sync().await.unwrap();
        let rev = cache.revision();
        let _slow = cache.subscribe("/registry/", rev).unwrap();
        for i in 0..10 {
            store
                .create(&format!("/registry/core/configmaps/ns/s{i}"), obj("s", "0"))
                .await
                .unwrap();
        }
        cache.sync().await.unwrap();
        assert_eq!(cache.watcher_count(), 0, "the stuck watcher was ended");
    }
}

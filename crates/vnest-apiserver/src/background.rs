//! Loops inside the API server that follow the watch cache: the RBAC snapshot, the
//! CRD registry, the legacy token controller. They see every change in order (a list,
//! then the events after it), and start over from a fresh list when their
//! subscription ends (slow consumer or cache relist).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::cache::{CacheEvent, WatchCache, WatchEventType};

/// Calls `handle` for every object under `prefix` (as `deleted: false`), then for
/// every later change, forever. After a lost subscription everything is handed over
/// again, so handlers must be idempotent.
pub async fn follow<F, Fut>(cache: Arc<WatchCache>, prefix: String, mut handle: F)
where
    F: FnMut(Vec<(String, Arc<Value>, bool)>) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let (items, rev) = cache.list(&prefix);
        let mut sub = match cache.subscribe(&prefix, rev) {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, %prefix, "follower waiting for the cache");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        handle(items.into_iter().map(|(k, v)| (k, v, false)).collect()).await;
        let replay: Vec<Arc<CacheEvent>> = std::mem::take(&mut sub.replay);
        if !replay.is_empty() {
            handle(replay.iter().map(as_change).collect()).await;
        }
        while let Some(ev) = sub.live.recv().await {
            // Take whatever else is waiting, so bursts are handled together.
            let mut batch = vec![as_change(&ev)];
            while let Ok(more) = sub.live.try_recv() {
                batch.push(as_change(&more));
            }
            handle(batch).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn as_change(ev: &Arc<CacheEvent>) -> (String, Arc<Value>, bool) {
    (
        ev.key.clone(),
        ev.object.clone(),
        ev.kind == WatchEventType::Deleted,
    )
}

/// Calls `recompute` once now and again after every burst of changes under any of
/// `prefixes` (for state derived from a whole collection, like the RBAC snapshot).
pub async fn on_change<F, Fut>(cache: Arc<WatchCache>, prefixes: Vec<String>, mut recompute: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let rev = cache.revision();
        let mut subs = Vec::new();
        for p in &prefixes {
            match cache.subscribe(p, rev) {
                Ok(s) => subs.push(s),
                Err(_) => break,
            }
        }
        if subs.len() != prefixes.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        recompute().await;
        // Changes between `rev` and the recompute are in the replays: go again if any.
        if subs.iter().any(|s| !s.replay.is_empty()) {
            continue;
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bool>(1);
        let mut waiters = Vec::new();
        for mut s in subs {
            let tx = tx.clone();
            waiters.push(tokio::spawn(async move {
                let alive = s.live.recv().await.is_some();
                let _ = tx.send(alive).await;
            }));
        }
        drop(tx);
        let _ = rx.recv().await;
        for w in waiters {
            w.abort();
        }
    }
}

//! One conformance suite, the same test functions, run against every backend: memory,
//! sqlite (a temp file) and etcd (a real etcd process started by the harness).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use vnest_store::{
    Event, EventKind, RangeRequest, Revision, Store, StoreError, WatchStream,
    DEFAULT_MAX_VALUE_BYTES,
};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

async fn next_event(w: &mut WatchStream) -> Event {
    match tokio::time::timeout(Duration::from_secs(10), w.next()).await {
        Ok(Some(Ok(ev))) => ev,
        Ok(Some(Err(e))) => panic!("watch failed: {e}"),
        Ok(None) => panic!("watch ended"),
        Err(_) => panic!("no event within 10s"),
    }
}

async fn expect_quiet(w: &mut WatchStream) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(200), w.next()).await {
        panic!("expected no event, got {item:?}");
    }
}

pub async fn revisions_increase_and_history_is_readable(s: Arc<dyn Store>) {
    let start = s.current_revision().await.unwrap();
    let a1 = s.create("/r/a", b("1")).await.unwrap();
    assert!(a1.mod_revision > start);
    assert_eq!(a1.create_revision, a1.mod_revision);
    let a2 = s.update("/r/a", b("2"), a1.mod_revision).await.unwrap();
    assert!(a2.mod_revision > a1.mod_revision);
    assert_eq!(a2.create_revision, a1.create_revision);
    let c = s.create("/r/c", b("c")).await.unwrap();
    assert!(c.mod_revision > a2.mod_revision);
    assert_eq!(s.current_revision().await.unwrap(), c.mod_revision);

    // Latest and historical reads.
    let (now, rev) = s.get("/r/a", None).await.unwrap();
    assert_eq!(now.unwrap().value, b("2"));
    assert_eq!(rev, c.mod_revision);
    let (old, rev) = s.get("/r/a", Some(a1.mod_revision)).await.unwrap();
    assert_eq!(old.unwrap(), a1);
    assert_eq!(rev, a1.mod_revision);
    let (before, _) = s.get("/r/c", Some(a2.mod_revision)).await.unwrap();
    assert!(before.is_none(), "c did not exist yet");

    // Delete, then recreate: a new incarnation with a new create_revision.
    let (deleted, del_rev) = s.delete("/r/a", None).await.unwrap();
    assert_eq!(deleted, a2);
    assert!(del_rev > c.mod_revision);
    assert!(s.get("/r/a", None).await.unwrap().0.is_none());
    let (at_a2, _) = s.get("/r/a", Some(a2.mod_revision)).await.unwrap();
    assert_eq!(at_a2.unwrap().value, b("2"));
    let again = s.create("/r/a", b("3")).await.unwrap();
    assert_eq!(again.create_revision, again.mod_revision);
    assert!(again.mod_revision > del_rev);

    // A read past the current revision is refused.
    let future = s.current_revision().await.unwrap() + 1000;
    assert!(matches!(
        s.get("/r/a", Some(future)).await,
        Err(StoreError::FutureRevision { .. })
    ));
}

pub async fn cas_conflicts(s: Arc<dyn Store>) {
    let v1 = s.create("/cas/k", b("1")).await.unwrap();
    assert!(matches!(
        s.create("/cas/k", b("x")).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let v2 = s.update("/cas/k", b("2"), v1.mod_revision).await.unwrap();
    // A stale update carries the current object.
    match s.update("/cas/k", b("stale"), v1.mod_revision).await {
        Err(StoreError::Conflict {
            key,
            expected,
            current,
        }) => {
            assert_eq!(key, "/cas/k");
            assert_eq!(expected, v1.mod_revision);
            assert_eq!(*current.expect("current object"), v2);
        }
        other => panic!("expected conflict, got {other:?}"),
    }
    // A stale delete too.
    assert!(matches!(
        s.delete("/cas/k", Some(v1.mod_revision)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(s.get("/cas/k", None).await.unwrap().0.unwrap(), v2);
    // Missing keys.
    assert!(matches!(
        s.update("/cas/missing", b("x"), v2.mod_revision).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.update("/cas/missing", b("x"), 0).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.delete("/cas/missing", None).await,
        Err(StoreError::NotFound { .. })
    ));
    // Refused writes made no revision.
    assert_eq!(s.current_revision().await.unwrap(), v2.mod_revision);
    s.delete("/cas/k", Some(v2.mod_revision)).await.unwrap();
}

pub async fn range_limit_count_and_prefix_isolation(s: Arc<dyn Store>) {
    for i in 0..10 {
        s.create(&format!("/p/a/{i:02}"), b("v")).await.unwrap();
    }
    s.create("/p/ab", b("not under /p/a/")).await.unwrap();
    s.create("/p/b/1", b("other")).await.unwrap();
    let all = s
        .range(RangeRequest {
            prefix: "/p/a/".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.kvs.len(), 10);
    assert!(!all.more);
    assert!(all.kvs.windows(2).all(|w| w[0].key < w[1].key));
    let first = s
        .range(RangeRequest {
            prefix: "/p/a/".into(),
            limit: Some(4),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.kvs.len(), 4);
    assert!(first.more);
    let rest = s
        .range(RangeRequest {
            prefix: "/p/a/".into(),
            start_after: Some(first.kvs[3].key.clone()),
            revision: Some(first.revision),
            limit: Some(6),
        })
        .await
        .unwrap();
    assert_eq!(rest.kvs.len(), 6);
    assert!(!rest.more, "exactly the last page");
    assert_eq!(rest.kvs[0].key, "/p/a/04");
    assert_eq!(s.count("/p/a/").await.unwrap().0, 10);
    assert_eq!(s.count("/p/").await.unwrap().0, 12);
    s.delete("/p/a/03", None).await.unwrap();
    assert_eq!(s.count("/p/a/").await.unwrap().0, 9);
}

pub async fn paging_at_fixed_revision_while_writes_continue(s: Arc<dyn Store>) {
    for i in 0..40 {
        s.create(&format!("/page/{i:03}"), b(&format!("v{i}")))
            .await
            .unwrap();
    }
    let snapshot: BTreeMap<String, Bytes> = s
        .range(RangeRequest {
            prefix: "/page/".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .kvs
        .into_iter()
        .map(|kv| (kv.key, kv.value))
        .collect();
    let mut pages = BTreeMap::new();
    let mut start_after = None;
    let mut revision = None;
    let mut n = 0;
    loop {
        let page = s
            .range(RangeRequest {
                prefix: "/page/".into(),
                start_after: start_after.clone(),
                limit: Some(7),
                revision,
            })
            .await
            .unwrap();
        revision = Some(page.revision);
        for kv in &page.kvs {
            pages.insert(kv.key.clone(), kv.value.clone());
        }
        // Writes between pages: updates, deletes and new keys inside the range.
        let (cur, _) = s.get(&format!("/page/{:03}", 39 - n), None).await.unwrap();
        let cur = cur.unwrap();
        s.update(&cur.key, b("changed"), cur.mod_revision)
            .await
            .unwrap();
        s.delete(&format!("/page/{:03}", n * 2), None).await.ok();
        s.create(&format!("/page/{n:03}-new"), b("new"))
            .await
            .unwrap();
        n += 1;
        if !page.more {
            break;
        }
        start_after = page.kvs.last().map(|kv| kv.key.clone());
    }
    assert_eq!(pages, snapshot, "all pages show the first page's revision");
}

pub async fn watch_replays_from_a_past_revision_then_goes_live(s: Arc<dyn Store>) {
    let base = s.current_revision().await.unwrap();
    let mut written = vec![];
    for i in 0..20 {
        written.push(s.create(&format!("/w/{i}"), b("x")).await.unwrap());
    }
    let from = written[9].mod_revision;
    let mut w = s.watch("/w/", from).await.unwrap();
    for kv in &written[10..] {
        let ev = next_event(&mut w).await;
        assert_eq!(ev.kind, EventKind::Put);
        assert_eq!(&ev.kv, kv);
        assert!(ev.prev.is_none());
    }
    // Now live, with previous values on updates.
    let upd = s
        .update("/w/3", b("y"), written[3].mod_revision)
        .await
        .unwrap();
    let ev = next_event(&mut w).await;
    assert_eq!(ev.kv, upd);
    assert_eq!(ev.prev.as_ref().unwrap(), &written[3]);
    expect_quiet(&mut w).await;

    // A watch from the start sees everything, in order, without gaps or duplicates.
    let mut all = s.watch("/w/", base).await.unwrap();
    let mut last = base;
    for _ in 0..21 {
        let ev = next_event(&mut all).await;
        assert!(ev.revision() > last, "in order, no duplicates");
        last = ev.revision();
    }
    assert_eq!(last, upd.mod_revision);
    expect_quiet(&mut all).await;
}

pub async fn concurrent_writes_reach_watchers_in_order(s: Arc<dyn Store>) {
    let base = s.current_revision().await.unwrap();
    let mut w = s.watch("/cw/", base).await.unwrap();
    let mut tasks = vec![];
    for t in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = vec![];
            for i in 0..50 {
                revs.push(
                    s.create(&format!("/cw/{t}/{i}"), b("v"))
                        .await
                        .unwrap()
                        .mod_revision,
                );
            }
            revs
        }));
    }
    let mut acked = vec![];
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    acked.sort();
    let mut seen = vec![];
    for _ in 0..acked.len() {
        seen.push(next_event(&mut w).await.revision());
    }
    assert_eq!(seen, acked, "every write once, in revision order");
}

pub async fn deletes_reach_watchers_with_previous_value(s: Arc<dyn Store>) {
    let kv = s.create("/d/k", b("last words")).await.unwrap();
    let mut w = s.watch("/d/", kv.mod_revision).await.unwrap();
    let (_, del_rev) = s.delete("/d/k", Some(kv.mod_revision)).await.unwrap();
    let ev = next_event(&mut w).await;
    assert_eq!(ev.kind, EventKind::Delete);
    assert_eq!(ev.kv.key, "/d/k");
    assert_eq!(ev.kv.mod_revision, del_rev);
    assert_eq!(ev.prev.unwrap(), kv);
    // Replay shows the same delete with its previous value.
    let mut replay = s.watch("/d/", kv.mod_revision).await.unwrap();
    let ev = next_event(&mut replay).await;
    assert_eq!(ev.kind, EventKind::Delete);
    assert_eq!(ev.prev.unwrap().value, b("last words"));
}

async fn expect_compacted_watch(s: &Arc<dyn Store>, prefix: &str, after: Revision) {
    match s.watch(prefix, after).await {
        Err(StoreError::Compacted { .. }) => {}
        Err(e) => panic!("expected Compacted, got {e}"),
        Ok(mut w) => match tokio::time::timeout(Duration::from_secs(10), w.next()).await {
            Ok(Some(Err(StoreError::Compacted { .. }))) => {}
            other => panic!("expected an in-stream Compacted error, got {other:?}"),
        },
    }
}

pub async fn compaction_then_compacted_errors(s: Arc<dyn Store>) {
    let first = s.create("/c/k", b("1")).await.unwrap();
    let mut last = first.clone();
    for i in 2..=10 {
        last = s
            .update("/c/k", b(&i.to_string()), last.mod_revision)
            .await
            .unwrap();
    }
    let gone = s.create("/c/gone", b("x")).await.unwrap();
    s.delete("/c/gone", None).await.unwrap();
    let kept = s.create("/c/kept", b("x")).await.unwrap();
    let at = s.current_revision().await.unwrap();
    let after = s.update("/c/k", b("11"), last.mod_revision).await.unwrap();

    s.compact(at).await.unwrap();
    assert!(s.compacted_revision().await.unwrap() >= at);
    // Compacting to an older revision again is a no-op.
    s.compact(first.mod_revision).await.unwrap();

    // Older reads and watches fail as compacted.
    assert!(matches!(
        s.get("/c/k", Some(first.mod_revision)).await,
        Err(StoreError::Compacted { .. })
    ));
    assert!(matches!(
        s.range(RangeRequest {
            prefix: "/c/".into(),
            revision: Some(at - 1),
            ..Default::default()
        })
        .await,
        Err(StoreError::Compacted { .. })
    ));
    expect_compacted_watch(&s, "/c/", first.mod_revision).await;

    // The state at the compaction revision stays readable.
    let (k_at, _) = s.get("/c/k", Some(at)).await.unwrap();
    assert_eq!(k_at.unwrap().value, b("10"));
    let (g, _) = s.get("/c/gone", Some(at)).await.unwrap();
    assert!(
        g.is_none(),
        "{gone:?} was deleted before the compaction point"
    );
    let listed = s
        .range(RangeRequest {
            prefix: "/c/".into(),
            revision: Some(at),
            ..Default::default()
        })
        .await
        .unwrap();
    let keys: Vec<_> = listed.kvs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["/c/k", "/c/kept"]);
    assert_eq!(listed.kvs[1], kept);

    // A watch from the compaction revision gets what came after, with prev values.
    let mut w = s.watch("/c/", at).await.unwrap();
    let ev = next_event(&mut w).await;
    assert_eq!(ev.kv, after);
    assert_eq!(ev.prev.unwrap().value, b("10"));

    // The store goes on working.
    let next = s.update("/c/k", b("12"), after.mod_revision).await.unwrap();
    assert_eq!(next_event(&mut w).await.kv, next);
}

pub async fn one_winner_per_round_among_64_writers(s: Arc<dyn Store>) {
    let mut current = s.create("/race/k", b("0")).await.unwrap();
    for round in 0..10 {
        let expected = current.mod_revision;
        let mut tasks = vec![];
        for writer in 0..64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.update("/race/k", b(&format!("{round}-{writer}")), expected)
                    .await
            }));
        }
        let mut winners = vec![];
        for t in tasks {
            match t.await.unwrap() {
                Ok(kv) => winners.push(kv),
                Err(StoreError::Conflict { current, .. }) => {
                    assert!(current.is_some(), "a conflict carries the current object")
                }
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one winner");
        let (stored, _) = s.get("/race/k", None).await.unwrap();
        assert_eq!(stored.unwrap(), winners[0]);
        current = winners.pop().unwrap();
    }
}

pub async fn oversized_values_are_refused_before_writing(s: Arc<dyn Store>) {
    let before = s.current_revision().await.unwrap();
    let big = Bytes::from(vec![b'x'; DEFAULT_MAX_VALUE_BYTES + 1]);
    let err = s.create("/big/k", big.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::ValueTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("/big/k"), "{err}");
    let small = s.create("/big/k", b("small")).await.unwrap();
    assert!(matches!(
        s.update("/big/k", big, small.mod_revision).await,
        Err(StoreError::ValueTooLarge { .. })
    ));
    assert_eq!(s.current_revision().await.unwrap(), before + 1);
    // Exactly at the limit is fine.
    let max = Bytes::from(vec![b'y'; DEFAULT_MAX_VALUE_BYTES]);
    s.update("/big/k", max.clone(), small.mod_revision)
        .await
        .unwrap();
    assert_eq!(s.get("/big/k", None).await.unwrap().0.unwrap().value, max);
}

/// A watcher that never reads must not hold up writers or other watchers. Backends
/// with their own queues end it with `WatcherTooSlow`.
pub async fn slow_watcher_does_not_block_others(s: Arc<dyn Store>, ends_slow: bool) {
    let base = s.current_revision().await.unwrap();
    let mut slow = s.watch("/slow/", base).await.unwrap();
    let mut fast = s.watch("/slow/", base).await.unwrap();
    // The fast watcher is kept within 16 events of the writers; the queue holds 64.
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = {
        let seen = seen.clone();
        tokio::spawn(async move {
            for _ in 0..300 {
                next_event(&mut fast).await;
                seen.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
            seen.load(std::sync::atomic::Ordering::Acquire)
        })
    };
    let writes = async {
        for i in 0..300 {
            s.create(&format!("/slow/{i}"), b("v")).await.unwrap();
            if i % 16 == 15 {
                while seen.load(std::sync::atomic::Ordering::Acquire) < i + 1 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), writes)
        .await
        .expect("writers were blocked by a slow watcher");
    assert_eq!(reader.await.unwrap(), 300);
    if ends_slow {
        let mut got = 0;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), slow.next()).await {
                Ok(Some(Ok(_))) => got += 1,
                Ok(Some(Err(StoreError::WatcherTooSlow { .. }))) => break,
                other => panic!("expected WatcherTooSlow after {got} events, got {other:?}"),
            }
        }
        assert!(got < 300, "the slow watcher was ended early ({got} events)");
    }
}

/// The suite, instantiated per backend. `$make` builds a fresh backend with the given
/// watch queue size.
macro_rules! conformance_suite {
    ($name:ident, $make:path) => {
        mod $name {
            use super::*;

            async fn store() -> (Arc<dyn Store>, common::Backend) {
                let backend = $make(vnest_store::DEFAULT_WATCH_QUEUE).await;
                (backend.store.clone(), backend)
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn revisions_increase_and_history_is_readable() {
                let (s, _b) = store().await;
                super::revisions_increase_and_history_is_readable(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cas_conflicts() {
                let (s, _b) = store().await;
                super::cas_conflicts(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn range_limit_count_and_prefix_isolation() {
                let (s, _b) = store().await;
                super::range_limit_count_and_prefix_isolation(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn paging_at_fixed_revision_while_writes_continue() {
                let (s, _b) = store().await;
                super::paging_at_fixed_revision_while_writes_continue(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn watch_replays_from_a_past_revision_then_goes_live() {
                let (s, _b) = store().await;
                super::watch_replays_from_a_past_revision_then_goes_live(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_writes_reach_watchers_in_order() {
                let (s, _b) = store().await;
                super::concurrent_writes_reach_watchers_in_order(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn deletes_reach_watchers_with_previous_value() {
                let (s, _b) = store().await;
                super::deletes_reach_watchers_with_previous_value(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn compaction_then_compacted_errors() {
                let (s, _b) = store().await;
                super::compaction_then_compacted_errors(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn one_winner_per_round_among_64_writers() {
                let (s, _b) = store().await;
                super::one_winner_per_round_among_64_writers(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn oversized_values_are_refused_before_writing() {
                let (s, _b) = store().await;
                super::oversized_values_are_refused_before_writing(s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn slow_watcher_does_not_block_others() {
                let backend = $make(64).await;
                let ends = backend.ends_slow_watchers;
                super::slow_watcher_does_not_block_others(backend.store.clone(), ends).await;
            }
        }
    };
}

async fn memory(queue: usize) -> common::Backend {
    common::memory(queue)
}

conformance_suite!(memory, memory);
conformance_suite!(sqlite, common::sqlite);
conformance_suite!(etcd, common::etcd);

//! Watch fan-out for the backends that own their write path (sqlite, memory).
//!
//! The single writer publishes each committed batch, in revision order, to every
//! subscriber whose prefix matches. Each subscriber has a bounded queue; publishing never
//! waits: a subscriber whose queue is full is dropped and flagged, and its stream ends
//! with [`StoreError::WatcherTooSlow`]. A new watch registers first (learning the last
//! published revision `R`), then replays history `(after, R]` from the backend, then
//! drains its live queue, which starts right after `R`: nothing is missed or repeated.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::{Event, Revision, StoreError, WatchStream};

struct Subscriber {
    id: u64,
    prefix: String,
    tx: mpsc::Sender<Event>,
    overflowed: Arc<AtomicBool>,
}

struct HubState {
    last_published: Revision,
    next_id: u64,
    subscribers: Vec<Subscriber>,
}

pub(crate) struct WatchHub {
    state: Mutex<HubState>,
    queue: usize,
}

pub(crate) struct Subscription {
    /// Live events start right after this revision.
    pub(crate) from: Revision,
    rx: mpsc::Receiver<Event>,
    overflowed: Arc<AtomicBool>,
}

impl WatchHub {
    pub(crate) fn new(last_published: Revision, queue: usize) -> Self {
        WatchHub {
            state: Mutex::new(HubState {
                last_published,
                next_id: 0,
                subscribers: Vec::new(),
            }),
            queue: queue.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        // A panic while holding this lock cannot leave the state half-updated in a way
        // that matters (worst case a subscriber misses being removed), so keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes committed events. Callers publish batches in revision order.
    pub(crate) fn publish(&self, events: &[Event]) {
        let Some(last) = events.last() else { return };
        let mut state = self.lock();
        let queue = self.queue;
        let mut dropped = Vec::new();
        for sub in state.subscribers.iter() {
            for ev in events {
                if !ev.kv.key.starts_with(&sub.prefix) {
                    continue;
                }
                match sub.tx.try_send(ev.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        sub.overflowed.store(true, Ordering::Release);
                        tracing::warn!(prefix = %sub.prefix, queue, "watcher too slow, ending it");
                        dropped.push(sub.id);
                        break;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        dropped.push(sub.id);
                        break;
                    }
                }
            }
        }
        if !dropped.is_empty() {
            state.subscribers.retain(|s| !dropped.contains(&s.id));
        }
        state.last_published = last.revision();
    }

    pub(crate) fn subscribe(&self, prefix: &str) -> Subscription {
        let (tx, rx) = mpsc::channel(self.queue);
        let overflowed = Arc::new(AtomicBool::new(false));
        let mut state = self.lock();
        // Drop subscribers whose streams are gone so idle watch churn does not leak.
        state.subscribers.retain(|s| !s.tx.is_closed());
        let id = state.next_id;
        state.next_id += 1;
        state.subscribers.push(Subscriber {
            id,
            prefix: prefix.to_string(),
            tx,
            overflowed: overflowed.clone(),
        });
        Subscription {
            from: state.last_published,
            rx,
            overflowed,
        }
    }

    pub(crate) fn queue(&self) -> usize {
        self.queue
    }

    #[cfg(test)]
    pub(crate) fn subscriber_count(&self) -> usize {
        self.lock().subscribers.len()
    }
}

/// Page size used when replaying history into a new watch.
pub(crate) const REPLAY_PAGE: usize = 1000;

/// Builds the stream of a watch: history `(after, sub.from]` fetched page by page with
/// `fetch(after, upto, limit)`, then the live queue.
pub(crate) fn watch_stream<F, Fut>(
    sub: Subscription,
    after: Revision,
    queue: usize,
    fetch: F,
) -> WatchStream
where
    F: Fn(Revision, Revision, usize) -> Fut + Send + 'static,
    Fut: Future<Output = crate::Result<Vec<Event>>> + Send,
{
    let Subscription {
        from,
        mut rx,
        overflowed,
    } = sub;
    Box::pin(async_stream::stream! {
        let mut last = after;
        while last < from {
            match fetch(last, from, REPLAY_PAGE).await {
                Ok(events) => {
                    if events.is_empty() {
                        break;
                    }
                    for ev in events {
                        last = ev.revision();
                        yield Ok(ev);
                    }
                }
                Err(e) => {
                    yield Err(e);
                    return;
                }
            }
        }
        last = last.max(from);
        loop {
            match rx.recv().await {
                Some(ev) => {
                    // A reader may have seen revisions the hub had not published yet
                    // when this watch registered; never hand those out twice.
                    if ev.revision() > last {
                        last = ev.revision();
                        yield Ok(ev);
                    }
                }
                None => {
                    if overflowed.load(Ordering::Acquire) {
                        yield Err(StoreError::WatcherTooSlow { queue });
                    } else {
                        yield Err(StoreError::Closed);
                    }
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, KeyValue};
    use futures::StreamExt;

    fn ev(key: &str, rev: Revision) -> Event {
        Event {
            kind: EventKind::Put,
            kv: KeyValue {
                key: key.into(),
                value: bytes::Bytes::from_static(b"v"),
                create_revision: rev,
                mod_revision: rev,
            },
            prev: None,
        }
    }

    #[tokio::test]
    async fn slow_subscriber_is_dropped_without_blocking_others() {
        let hub = WatchHub::new(0, 2);
        let slow = hub.subscribe("/a");
        let fast = hub.subscribe("/a");
        let mut fast_stream = watch_stream(fast, 0, 2, |_, _, _| async { Ok(vec![]) });
        let mut slow_stream = watch_stream(slow, 0, 2, |_, _, _| async { Ok(vec![]) });
        hub.publish(&[ev("/a/1", 1)]);
        assert_eq!(fast_stream.next().await.unwrap().unwrap().revision(), 1);
        hub.publish(&[ev("/a/2", 2)]);
        hub.publish(&[ev("/a/3", 3)]);
        // The slow one has 1, 2 queued (capacity 2); 3 overflows it.
        assert_eq!(hub.subscriber_count(), 1);
        assert_eq!(fast_stream.next().await.unwrap().unwrap().revision(), 2);
        assert_eq!(fast_stream.next().await.unwrap().unwrap().revision(), 3);
        let mut got = vec![];
        while let Some(item) = slow_stream.next().await {
            got.push(item);
        }
        assert_eq!(got.len(), 3);
        assert!(matches!(got[2], Err(StoreError::WatcherTooSlow { .. })));
    }

    #[tokio::test]
    async fn prefix_filters_and_duplicates_are_skipped() {
        let hub = WatchHub::new(5, 16);
        let sub = hub.subscribe("/a/");
        // The watcher already saw up to 6 (read ahead of the hub).
        let mut s = watch_stream(sub, 6, 16, |_, _, _| async { Ok(vec![]) });
        hub.publish(&[ev("/a/x", 6), ev("/b/x", 7), ev("/a/y", 8)]);
        assert_eq!(s.next().await.unwrap().unwrap().revision(), 8);
    }
}

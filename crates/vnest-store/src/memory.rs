//! In-memory backend with the same semantics as the durable ones. For tests of higher
//! layers: nothing survives the process.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;

use crate::hub::{watch_stream, WatchHub};
use crate::{
    check_value_size, Event, EventKind, KeyValue, RangeRequest, RangeResponse, Result, Revision,
    Store, StoreError, WatchStream, DEFAULT_MAX_VALUE_BYTES, DEFAULT_WATCH_QUEUE,
};

/// One version of a key. `value: None` is a tombstone.
#[derive(Clone, Debug)]
struct Version {
    revision: Revision,
    create_revision: Revision,
    value: Option<Bytes>,
}

#[derive(Default)]
struct State {
    revision: Revision,
    compacted: Revision,
    keys: BTreeMap<String, Vec<Version>>,
    /// Every event after `compacted`, for watch replay.
    log: VecDeque<Event>,
}

impl State {
    fn check_read_revision(&self, rev: Option<Revision>) -> Result<Revision> {
        let rev = rev.unwrap_or(self.revision);
        if rev < self.compacted {
            return Err(StoreError::Compacted {
                requested: rev,
                compacted: self.compacted,
            });
        }
        if rev > self.revision {
            return Err(StoreError::FutureRevision {
                requested: rev,
                current: self.revision,
            });
        }
        Ok(rev)
    }

    fn value_at(&self, key: &str, versions: &[Version], rev: Revision) -> Option<KeyValue> {
        let v = versions.iter().rev().find(|v| v.revision <= rev)?;
        Some(KeyValue {
            key: key.to_string(),
            value: v.value.clone()?,
            create_revision: v.create_revision,
            mod_revision: v.revision,
        })
    }

    fn latest(&self, key: &str) -> Option<KeyValue> {
        let versions = self.keys.get(key)?;
        self.value_at(key, versions, self.revision)
    }
}

pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    hub: Arc<WatchHub>,
    max_value_bytes: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_VALUE_BYTES, DEFAULT_WATCH_QUEUE)
    }

    pub fn with_limits(max_value_bytes: usize, watch_queue: usize) -> Self {
        MemoryStore {
            state: Arc::new(Mutex::new(State::default())),
            hub: Arc::new(WatchHub::new(0, watch_queue)),
            max_value_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies one write under the lock and publishes its event before unlocking, so
    /// events reach the hub in revision order.
    fn commit(&self, mut state: MutexGuard<'_, State>, event: Event) {
        let key = event.kv.key.clone();
        let version = Version {
            revision: event.kv.mod_revision,
            create_revision: event.kv.create_revision,
            value: match event.kind {
                EventKind::Put => Some(event.kv.value.clone()),
                EventKind::Delete => None,
            },
        };
        state.revision = event.kv.mod_revision;
        state.keys.entry(key).or_default().push(version);
        state.log.push_back(event.clone());
        self.hub.publish(std::slice::from_ref(&event));
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.lock().revision)
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        Ok(self.lock().compacted)
    }

    async fn get(
        &self,
        key: &str,
        revision: Option<Revision>,
    ) -> Result<(Option<KeyValue>, Revision)> {
        let state = self.lock();
        let rev = state.check_read_revision(revision)?;
        let kv = state
            .keys
            .get(key)
            .and_then(|versions| state.value_at(key, versions, rev));
        Ok((kv, rev))
    }

    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        let state = self.lock();
        let rev = state.check_read_revision(req.revision)?;
        let limit = req.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let mut kvs = Vec::new();
        let mut more = false;
        let start = req
            .start_after
            .clone()
            .unwrap_or_else(|| req.prefix.clone());
        for (key, versions) in state.keys.range(start..) {
            if !key.starts_with(&req.prefix) {
                break;
            }
            if req.start_after.as_deref() == Some(key.as_str()) {
                continue;
            }
            if let Some(kv) = state.value_at(key, versions, rev) {
                if kvs.len() == limit {
                    more = true;
                    break;
                }
                kvs.push(kv);
            }
        }
        Ok(RangeResponse {
            kvs,
            more,
            revision: rev,
        })
    }

    async fn count(&self, prefix: &str) -> Result<(u64, Revision)> {
        let state = self.lock();
        let n = state
            .keys
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, v)| v.last().is_some_and(|v| v.value.is_some()))
            .count();
        Ok((n as u64, state.revision))
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        check_value_size(key, &value, self.max_value_bytes)?;
        let state = self.lock();
        if state.latest(key).is_some() {
            return Err(StoreError::AlreadyExists { key: key.into() });
        }
        let rev = state.revision + 1;
        let kv = KeyValue {
            key: key.into(),
            value,
            create_revision: rev,
            mod_revision: rev,
        };
        let event = Event {
            kind: EventKind::Put,
            kv: kv.clone(),
            prev: None,
        };
        self.commit(state, event);
        Ok(kv)
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        check_value_size(key, &value, self.max_value_bytes)?;
        let state = self.lock();
        let Some(current) = state.latest(key) else {
            return Err(StoreError::NotFound { key: key.into() });
        };
        if current.mod_revision != expected {
            return Err(StoreError::Conflict {
                key: key.into(),
                expected,
                current: Some(Box::new(current)),
            });
        }
        let rev = state.revision + 1;
        let kv = KeyValue {
            key: key.into(),
            value,
            create_revision: current.create_revision,
            mod_revision: rev,
        };
        let event = Event {
            kind: EventKind::Put,
            kv: kv.clone(),
            prev: Some(current),
        };
        self.commit(state, event);
        Ok(kv)
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision)> {
        let state = self.lock();
        let Some(current) = state.latest(key) else {
            return Err(StoreError::NotFound { key: key.into() });
        };
        if let Some(expected) = expected {
            if current.mod_revision != expected {
                return Err(StoreError::Conflict {
                    key: key.into(),
                    expected,
                    current: Some(Box::new(current)),
                });
            }
        }
        let rev = state.revision + 1;
        let event = Event {
            kind: EventKind::Delete,
            kv: KeyValue {
                key: key.into(),
                value: Bytes::new(),
                create_revision: current.create_revision,
                mod_revision: rev,
            },
            prev: Some(current.clone()),
        };
        self.commit(state, event);
        Ok((current, rev))
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        {
            let state = self.lock();
            if after < state.compacted {
                return Err(StoreError::Compacted {
                    requested: after,
                    compacted: state.compacted,
                });
            }
        }
        let sub = self.hub.subscribe(prefix);
        let state = self.state.clone();
        let prefix = prefix.to_string();
        Ok(watch_stream(
            sub,
            after,
            self.hub.queue(),
            move |after, upto, limit| {
                let state = state.clone();
                let prefix = prefix.clone();
                async move {
                    let state = state.lock().unwrap_or_else(|p| p.into_inner());
                    if after < state.compacted {
                        return Err(StoreError::Compacted {
                            requested: after,
                            compacted: state.compacted,
                        });
                    }
                    let start = state.log.partition_point(|e| e.revision() <= after);
                    Ok(state
                        .log
                        .range(start..)
                        .take_while(|e| e.revision() <= upto)
                        .filter(|e| e.kv.key.starts_with(&prefix))
                        .take(limit)
                        .cloned()
                        .collect())
                }
            },
        ))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let mut state = self.lock();
        if revision <= state.compacted {
            return Ok(());
        }
        if revision > state.revision {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: state.revision,
            });
        }
        state.compacted = revision;
        state.keys.retain(|_, versions| {
            // Keep the newest version at or below the compaction point (unless it is a
            // tombstone) and everything after it.
            let keep_from = versions
                .iter()
                .rposition(|v| v.revision <= revision)
                .unwrap_or(0);
            let head_is_tombstone = versions
                .get(keep_from)
                .is_some_and(|v| v.revision <= revision && v.value.is_none());
            let drop = if head_is_tombstone {
                keep_from + 1
            } else {
                keep_from
            };
            versions.drain(..drop);
            !versions.is_empty()
        });
        while state.log.front().is_some_and(|e| e.revision() <= revision) {
            state.log.pop_front();
        }
        Ok(())
    }
}

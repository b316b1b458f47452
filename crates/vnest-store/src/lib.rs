//! `vnest-store`: a revisioned key-value store with etcd's semantics.
//!
//! Every write (create, update, delete) takes the next value of one global revision
//! counter. Each key remembers the revision that created it and the revision that last
//! modified it; updates and deletes are compare-and-swap on that modification revision.
//! Watches stream every change under a prefix, in revision order, from any revision
//! that has not been compacted away.
//!
//! The [`Store`] trait is the only thing higher layers see. Backends:
//! - [`SqliteStore`]: the embedded default, a kine-style log table in one SQLite file,
//!   with group commit (many writers share one fsync).
//! - [`EtcdStore`]: etcd v3, for HA setups.
//! - [`MemoryStore`]: the same semantics in memory, for tests of higher layers.
//!
//! Invariants every backend keeps (checked by `tests/conformance.rs`):
//! - revisions are strictly increasing and never reused, also across restarts;
//! - a watch from revision `N` yields exactly the events with revision `> N` under its
//!   prefix, in order, without gaps or duplicates, then continues live;
//! - a read or watch that needs history older than the compacted revision fails with
//!   [`StoreError::Compacted`];
//! - a watcher that cannot keep up is ended with [`StoreError::WatcherTooSlow`] instead
//!   of slowing writers or other watchers down.

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

mod compactor;
pub mod etcd;
pub mod etcd_server;
mod hub;
pub mod memory;
pub mod sqlite;

pub use compactor::{compaction_target, spawn_compactor, CompactionPolicy};
pub use etcd::{EtcdConfig, EtcdStore};
pub use memory::MemoryStore;
pub use sqlite::{SqliteConfig, SqliteStore};

/// A position in the store's history. Revision 0 means "before anything was written".
pub type Revision = u64;

/// Default largest value a store accepts: 1.5 MiB, etcd's default request limit.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 1536 * 1024;

/// Default number of events a watcher may have queued before it is ended as too slow.
pub const DEFAULT_WATCH_QUEUE: usize = 8192;

/// One key at one revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// Revision of the write that created this incarnation of the key.
    pub create_revision: Revision,
    /// Revision of the write that produced this value.
    pub mod_revision: Revision,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// A change seen by a watcher.
///
/// For [`EventKind::Put`], `kv` is the new value and `prev` the value it replaced (none
/// for a create). For [`EventKind::Delete`], `kv` carries the key, an empty value and the
/// revision of the delete as `mod_revision`; `prev` is the deleted value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub kv: KeyValue,
    pub prev: Option<KeyValue>,
}

impl Event {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// A list request: every live key under `prefix`, in key order.
#[derive(Clone, Debug, Default)]
pub struct RangeRequest {
    pub prefix: String,
    /// Continue after this key (exclusive): the last key of the previous page.
    pub start_after: Option<String>,
    /// At most this many keys; `None` for all of them.
    pub limit: Option<usize>,
    /// Read at this revision; `None` for the latest. Pages of one list pass the
    /// `revision` of the first page so that all pages show one consistent state.
    pub revision: Option<Revision>,
}

#[derive(Clone, Debug)]
pub struct RangeResponse {
    pub kvs: Vec<KeyValue>,
    /// More keys follow the last one returned.
    pub more: bool,
    /// The revision the range was read at.
    pub revision: Revision,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key {key:?} already exists")]
    AlreadyExists { key: String },
    #[error("key {key:?} not found")]
    NotFound { key: String },
    /// The expected mod_revision did not match. `current` is the object as stored now
    /// (`None` when the key no longer exists).
    #[error("conflict on key {key:?}: expected mod_revision {expected}, found {}", current.as_ref().map(|c| c.mod_revision.to_string()).unwrap_or_else(|| "no key".into()))]
    Conflict {
        key: String,
        expected: Revision,
        current: Option<Box<KeyValue>>,
    },
    #[error("revision {requested} has been compacted (oldest available revision is {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },
    #[error("revision {requested} is newer than the current revision {current}")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },
    #[error("value for key {key:?} is {size} bytes, larger than the limit of {limit} bytes")]
    ValueTooLarge {
        key: String,
        size: usize,
        limit: usize,
    },
    #[error("watcher fell more than {queue} events behind and was ended; relist and watch again")]
    WatcherTooSlow { queue: usize },
    #[error("{path}: not a vnest store: {reason}")]
    NotAStore { path: String, reason: String },
    #[error("{path}: cannot open store: {reason}")]
    Open { path: String, reason: String },
    #[error("store backend error: {0}")]
    Backend(String),
    #[error("store is closed")]
    Closed,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The events of one watch, in revision order. Ends with an error item when the watch
/// cannot go on (compaction, a slow consumer, a backend failure).
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Event>> + Send>>;

/// A revisioned key-value store with etcd semantics. See the crate documentation for
/// the invariants.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Short backend name for logs and metrics: "sqlite", "etcd", "memory".
    fn backend(&self) -> &'static str;

    /// The revision of the newest acknowledged write.
    async fn current_revision(&self) -> Result<Revision>;

    /// The oldest revision that can still be read. Watches must start at or after it.
    async fn compacted_revision(&self) -> Result<Revision>;

    /// The value of `key` at `revision` (latest when `None`), and the revision read at.
    async fn get(
        &self,
        key: &str,
        revision: Option<Revision>,
    ) -> Result<(Option<KeyValue>, Revision)>;

    /// Live keys under a prefix, paged. See [`RangeRequest`].
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse>;

    /// Number of live keys under `prefix`, and the revision counted at.
    async fn count(&self, prefix: &str) -> Result<(u64, Revision)>;

    /// Creates `key`; fails with [`StoreError::AlreadyExists`] when it is live.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue>;

    /// Replaces the value of `key` if its mod_revision is still `expected`.
    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue>;

    /// Deletes `key`, guarded by its mod_revision when `expected` is given. Returns the
    /// deleted value and the revision of the delete.
    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision)>;

    /// Every change under `prefix` with a revision greater than `after`, then live ones.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream>;

    /// Forgets history older than `revision`: the state at `revision` stays readable,
    /// reads at older revisions and watches from before it fail with `Compacted`.
    async fn compact(&self, revision: Revision) -> Result<()>;
}

/// The smallest string greater than every string that starts with `prefix`, or `None`
/// when there is none (empty prefix, or a prefix of only `0xff` bytes).
pub fn prefix_end(prefix: &str) -> Option<Vec<u8>> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

pub(crate) fn check_value_size(key: &str, value: &[u8], limit: usize) -> Result<()> {
    if value.len() > limit {
        return Err(StoreError::ValueTooLarge {
            key: key.to_string(),
            size: value.len(),
            limit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(prefix_end("/a/b/"), Some(b"/a/b0".to_vec()));
        assert_eq!(prefix_end("a"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn value_size_limit_is_inclusive() {
        assert!(check_value_size("k", &[0; 10], 10).is_ok());
        let err = check_value_size("k", &[0; 11], 10).unwrap_err();
        assert!(err.to_string().contains("11 bytes"), "{err}");
    }
}

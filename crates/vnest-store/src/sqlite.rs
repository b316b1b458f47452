//! The embedded default backend: one SQLite file holding a log table, where every write
//! appends a row and the row id is the revision (the model kine uses under k3s).
//!
//! - One writer thread owns all writes. It takes every request that is waiting (up to
//!   `max_batch`), applies them in one transaction and commits once, so concurrent
//!   writers share one fsync (group commit). The transaction is acknowledged only after
//!   COMMIT returns; WAL mode with `synchronous=FULL` makes that durable.
//! - Readers use a small pool of read-only connections (WAL lets them run beside the
//!   writer) and never see past the last acknowledged revision.
//! - Compaction deletes the rows that a newer row at or below the compaction revision
//!   supersedes, plus tombstones at or below it: the state at that revision stays
//!   readable, and every event after it keeps its previous value.
//! - An exclusive `flock` on `<file>.lock` keeps two processes from writing one store.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::hub::{watch_stream, WatchHub};
use crate::{
    check_value_size, prefix_end, Event, EventKind, KeyValue, RangeRequest, RangeResponse, Result,
    Revision, Store, StoreError, WatchStream, DEFAULT_MAX_VALUE_BYTES, DEFAULT_WATCH_QUEUE,
};

const FORMAT: &str = "vnest-store/1";

const SCHEMA: &str = "
CREATE TABLE kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name BLOB NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX kv_name_id ON kv (name, id);
CREATE TABLE vnest_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// Rows per compaction transaction, so compaction never holds the write lock for long.
const COMPACT_CHUNK: u64 = 10_000;

#[derive(Clone, Debug)]
pub struct SqliteConfig {
    /// The database file; created (with its directory) when missing.
    pub path: PathBuf,
    pub max_value_bytes: usize,
    pub watch_queue: usize,
    /// Most writes applied in one transaction.
    pub max_batch: usize,
    /// Read connections kept open.
    pub read_connections: usize,
}

impl SqliteConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteConfig {
            path: path.into(),
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            watch_queue: DEFAULT_WATCH_QUEUE,
            max_batch: 1024,
            read_connections: 4,
        }
    }
}

enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
}

enum Request {
    Write(WriteOp, oneshot::Sender<Result<Event>>),
    Compact(Revision, oneshot::Sender<Result<()>>),
}

/// State shared by the writer thread and the async side.
struct Shared {
    path: String,
    committed: AtomicU64,
    compacted: AtomicU64,
    hub: WatchHub,
    readers: Mutex<Vec<Connection>>,
    read_connections: usize,
}

struct Inner {
    shared: Arc<Shared>,
    writer: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    max_value_bytes: usize,
    _lock: File,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel stops the writer after it finishes what it holds; joining
        // it means the file is closed (and the lock released) when the store is dropped.
        self.writer.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sqlite backend. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

fn backend_err(path: &str, e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("{path}: {e}"))
}

fn open_err(path: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        path: path.to_string(),
        reason: e.to_string(),
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase)
}

fn lock_file(path: &Path, display: &str) -> Result<File> {
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| open_err(display, format!("cannot open lock file: {e}")))?;
    // SAFETY: flock on a file descriptor we own; no memory is shared with the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(open_err(
            display,
            "the store is in use by another process (lock file is held)",
        ));
    }
    Ok(file)
}

fn open_connection(path: &Path, display: &str, read_only: bool) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_err(display, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| open_err(display, e))?;
    Ok(conn)
}

/// Checks (or creates) the schema on the writer connection. Returns the current and
/// compacted revisions.
fn init_schema(conn: &Connection, display: &str) -> Result<(Revision, Revision)> {
    let not_a_store = |reason: String| StoreError::NotAStore {
        path: display.to_string(),
        reason,
    };
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .map_err(|e| {
            if is_not_a_database(&e) {
                not_a_store("the file is not an SQLite database".into())
            } else {
                open_err(display, e)
            }
        })?;
    let journal: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| open_err(display, e))?;
    if !journal.eq_ignore_ascii_case("wal") {
        return Err(open_err(
            display,
            format!("cannot switch to WAL mode (journal mode is {journal})"),
        ));
    }
    conn.execute_batch("PRAGMA synchronous = FULL;")
        .map_err(|e| open_err(display, e))?;

    if tables.is_empty() {
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} INSERT INTO vnest_meta (key, value) VALUES ('format', '{FORMAT}'), ('compacted', '0'); COMMIT;"
        ))
        .map_err(|e| open_err(display, e))?;
        return Ok((0, 0));
    }
    if !tables.iter().any(|t| t == "vnest_meta") || !tables.iter().any(|t| t == "kv") {
        return Err(not_a_store(format!(
            "the database has tables ({}) but no vnest store metadata",
            tables.join(", ")
        )));
    }
    let format: Option<String> = conn
        .query_row(
            "SELECT value FROM vnest_meta WHERE key = 'format'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| open_err(display, e))?;
    if format.as_deref() != Some(FORMAT) {
        return Err(not_a_store(format!(
            "unknown store format {:?}, expected {FORMAT:?}",
            format.unwrap_or_default()
        )));
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| open_err(display, format!("database is corrupt: {e}")))?;
    if check != "ok" {
        return Err(open_err(display, format!("database is corrupt: {check}")));
    }
    let current: Revision = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'kv'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(|e| open_err(display, e))?
        .unwrap_or(0) as Revision;
    let compacted: Revision = conn
        .query_row(
            "SELECT value FROM vnest_meta WHERE key = 'compacted'",
            [],
            |r| r.get::<_, String>(0),
        )
        .map_err(|e| open_err(display, e))?
        .parse()
        .map_err(|e| open_err(display, format!("bad compacted revision: {e}")))?;
    Ok((current, compacted))
}

impl SqliteStore {
    /// Opens (or creates) the store. Fails with an error naming the file when it is not
    /// a vnest store, is corrupt, or is held by another process.
    pub async fn open(cfg: SqliteConfig) -> Result<Self> {
        tokio::task::spawn_blocking(move || Self::open_blocking(cfg))
            .await
            .map_err(|e| StoreError::Backend(format!("open task failed: {e}")))?
    }

    pub fn open_blocking(cfg: SqliteConfig) -> Result<Self> {
        let display = cfg.path.display().to_string();
        if let Some(dir) = cfg.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_err(&display, format!("cannot create directory: {e}")))?;
        }
        let lock = lock_file(&cfg.path, &display)?;
        let conn = open_connection(&cfg.path, &display, false)?;
        let (current, compacted) = init_schema(&conn, &display)?;
        let shared = Arc::new(Shared {
            path: display.clone(),
            committed: AtomicU64::new(current),
            compacted: AtomicU64::new(compacted),
            hub: WatchHub::new(current, cfg.watch_queue),
            readers: Mutex::new(Vec::new()),
            read_connections: cfg.read_connections.max(1),
        });
        let (tx, rx) = mpsc::channel(cfg.max_batch.max(1) * 4);
        let writer = Writer {
            conn,
            shared: shared.clone(),
            revision: current,
            max_batch: cfg.max_batch.max(1),
        };
        let thread = std::thread::Builder::new()
            .name("vnest-store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| open_err(&display, format!("cannot start writer thread: {e}")))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                shared,
                writer: Some(tx),
                thread: Some(thread),
                max_value_bytes: cfg.max_value_bytes,
                _lock: lock,
            }),
        })
    }

    pub fn path(&self) -> &str {
        &self.inner.shared.path
    }

    async fn send_write(&self, op: WriteOp) -> Result<Event> {
        let (tx, rx) = oneshot::channel();
        let writer = self.inner.writer.as_ref().ok_or(StoreError::Closed)?;
        writer
            .send(Request::Write(op, tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Shared) -> Result<T> + Send + 'static,
    {
        let shared = self.inner.shared.clone();
        tokio::task::spawn_blocking(move || shared.with_reader(|conn| f(conn, &shared)))
            .await
            .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }
}

impl Shared {
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = open_connection(Path::new(&self.path), &self.path, true)?;
                c.execute_batch("PRAGMA query_only = 1;")
                    .map_err(|e| backend_err(&self.path, e))?;
                c
            }
        };
        let result = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < self.read_connections {
            pool.push(conn);
        }
        result
    }

    /// The revision a read runs at, checked against the compacted and current ones.
    fn read_revision(&self, requested: Option<Revision>) -> Result<Revision> {
        let current = self.committed.load(Ordering::Acquire);
        let rev = requested.unwrap_or(current);
        self.check_not_compacted(rev)?;
        if rev > current {
            return Err(StoreError::FutureRevision {
                requested: rev,
                current,
            });
        }
        Ok(rev)
    }

    fn check_not_compacted(&self, rev: Revision) -> Result<()> {
        let compacted = self.compacted.load(Ordering::Acquire);
        if rev < compacted {
            return Err(StoreError::Compacted {
                requested: rev,
                compacted,
            });
        }
        Ok(())
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        backend_err(&self.path, e)
    }
}

fn key_from_blob(path: &str, name: Vec<u8>) -> Result<String> {
    String::from_utf8(name)
        .map_err(|_| StoreError::Backend(format!("{path}: stored key is not UTF-8")))
}

/// The newest row of a key: (id, create_revision, deleted, value).
type LatestRow = (i64, i64, bool, Vec<u8>);

struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    revision: Revision,
    max_batch: usize,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut pending: Vec<(WriteOp, oneshot::Sender<Result<Event>>)> = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            let mut next = Some(first);
            while let Some(req) = next.take() {
                match req {
                    Request::Write(op, reply) => pending.push((op, reply)),
                    Request::Compact(rev, reply) => {
                        self.commit_batch(&mut pending);
                        let _ = reply.send(self.compact(rev));
                    }
                }
                if pending.len() < self.max_batch {
                    next = rx.try_recv().ok();
                }
            }
            self.commit_batch(&mut pending);
        }
    }

    fn commit_batch(&mut self, pending: &mut Vec<(WriteOp, oneshot::Sender<Result<Event>>)>) {
        if pending.is_empty() {
            return;
        }
        let start_revision = self.revision;
        let mut results: Vec<Result<Event>> = Vec::with_capacity(pending.len());
        let outcome = (|| -> rusqlite::Result<()> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            for (op, _) in pending.iter() {
                let result = apply(&tx, op, self.revision + 1);
                match result {
                    Ok(Ok(event)) => {
                        self.revision = event.revision();
                        results.push(Ok(event));
                    }
                    Ok(Err(refused)) => results.push(Err(refused)),
                    Err(e) => return Err(e),
                }
            }
            tx.commit()
        })();
        if let Err(e) = outcome {
            // Nothing of this batch was committed: every writer in it gets the error and
            // the revisions it would have used are handed out again.
            tracing::error!(path = %self.shared.path, error = %e, "store commit failed");
            self.revision = start_revision;
            let message = format!("{}: commit failed: {e}", self.shared.path);
            for (_, reply) in pending.drain(..) {
                let _ = reply.send(Err(StoreError::Backend(message.clone())));
            }
            return;
        }
        self.shared
            .committed
            .store(self.revision, Ordering::Release);
        let events: Vec<Event> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        self.shared.hub.publish(&events);
        for ((_, reply), result) in pending.drain(..).zip(results) {
            let _ = reply.send(result);
        }
    }

    fn compact(&mut self, revision: Revision) -> Result<()> {
        let shared = self.shared.clone();
        let previous = shared.compacted.load(Ordering::Acquire);
        if revision <= previous {
            return Ok(());
        }
        if revision > self.revision {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: self.revision,
            });
        }
        // Announce first: reads racing with the deletes below fail as compacted rather
        // than return a state with rows missing.
        shared.compacted.store(revision, Ordering::Release);
        let mut lo = previous;
        while lo < revision {
            let hi = (lo + COMPACT_CHUNK).min(revision);
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| shared.err(e))?;
            tx.execute(
                "DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ?1 AND id <= ?2 AND prev_revision > 0)",
                params![lo as i64, hi as i64],
            )
            .map_err(|e| shared.err(e))?;
            tx.execute(
                "DELETE FROM kv WHERE id > ?1 AND id <= ?2 AND deleted = 1",
                params![lo as i64, hi as i64],
            )
            .map_err(|e| shared.err(e))?;
            tx.execute(
                "UPDATE vnest_meta SET value = ?1 WHERE key = 'compacted'",
                params![hi.to_string()],
            )
            .map_err(|e| shared.err(e))?;
            tx.commit().map_err(|e| shared.err(e))?;
            lo = hi;
        }
        tracing::debug!(path = %shared.path, revision, "compacted");
        Ok(())
    }
}

fn latest_row(tx: &Connection, key: &str) -> rusqlite::Result<Option<LatestRow>> {
    tx.prepare_cached(
        "SELECT id, create_revision, deleted, value FROM kv WHERE name = ?1 ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![key.as_bytes()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?))
    })
    .optional()
}

fn live_kv(key: &str, row: &LatestRow) -> Option<KeyValue> {
    let (id, create_revision, deleted, value) = row;
    (!deleted).then(|| KeyValue {
        key: key.to_string(),
        value: Bytes::copy_from_slice(value),
        create_revision: *create_revision as Revision,
        mod_revision: *id as Revision,
    })
}

/// Applies one write inside the batch transaction. The outer error aborts the batch
/// (SQLite failure); the inner one refuses just this write (conflict, missing key).
fn apply(tx: &Connection, op: &WriteOp, rev: Revision) -> rusqlite::Result<Result<Event>> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    match op {
        WriteOp::Create { key, value } => {
            let latest = latest_row(tx, key)?;
            if latest.as_ref().is_some_and(|row| !row.2) {
                return Ok(Err(StoreError::AlreadyExists { key: key.clone() }));
            }
            let prev_id = latest.map(|row| row.0).unwrap_or(0);
            insert.execute(params![
                rev as i64,
                key.as_bytes(),
                1,
                0,
                rev as i64,
                prev_id,
                value.as_ref()
            ])?;
            Ok(Ok(Event {
                kind: EventKind::Put,
                kv: KeyValue {
                    key: key.clone(),
                    value: value.clone(),
                    create_revision: rev,
                    mod_revision: rev,
                },
                prev: None,
            }))
        }
        WriteOp::Update {
            key,
            value,
            expected,
        } => {
            let Some(current) = latest_row(tx, key)?.and_then(|row| live_kv(key, &row)) else {
                return Ok(Err(StoreError::NotFound { key: key.clone() }));
            };
            if current.mod_revision != *expected {
                return Ok(Err(StoreError::Conflict {
                    key: key.clone(),
                    expected: *expected,
                    current: Some(Box::new(current)),
                }));
            }
            insert.execute(params![
                rev as i64,
                key.as_bytes(),
                0,
                0,
                current.create_revision as i64,
                current.mod_revision as i64,
                value.as_ref()
            ])?;
            Ok(Ok(Event {
                kind: EventKind::Put,
                kv: KeyValue {
                    key: key.clone(),
                    value: value.clone(),
                    create_revision: current.create_revision,
                    mod_revision: rev,
                },
                prev: Some(current),
            }))
        }
        WriteOp::Delete { key, expected } => {
            let Some(current) = latest_row(tx, key)?.and_then(|row| live_kv(key, &row)) else {
                return Ok(Err(StoreError::NotFound { key: key.clone() }));
            };
            if let Some(expected) = expected {
                if current.mod_revision != *expected {
                    return Ok(Err(StoreError::Conflict {
                        key: key.clone(),
                        expected: *expected,
                        current: Some(Box::new(current)),
                    }));
                }
            }
            insert.execute(params![
                rev as i64,
                key.as_bytes(),
                0,
                1,
                current.create_revision as i64,
                current.mod_revision as i64,
                &[] as &[u8]
            ])?;
            Ok(Ok(Event {
                kind: EventKind::Delete,
                kv: KeyValue {
                    key: key.clone(),
                    value: Bytes::new(),
                    create_revision: current.create_revision,
                    mod_revision: rev,
                },
                prev: Some(current),
            }))
        }
    }
}

/// SQL bounds of a prefix: `name >= prefix AND name < end` (no upper bound when the
/// prefix has no end).
fn prefix_bounds(prefix: &str) -> (Vec<u8>, Vec<u8>) {
    // An upper bound no key reaches: keys are UTF-8, which never contains 0xff.
    let end = prefix_end(prefix).unwrap_or_else(|| vec![0xff]);
    (prefix.as_bytes().to_vec(), end)
}

/// Events in `(after, upto]` under a prefix, with previous values.
fn history(
    conn: &Connection,
    shared: &Shared,
    prefix: &str,
    after: Revision,
    upto: Revision,
    limit: usize,
) -> Result<Vec<Event>> {
    shared.check_not_compacted(after)?;
    let (start, end) = prefix_bounds(prefix);
    let mut st = conn
        .prepare_cached(
            "SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.value, \
                    p.id, p.create_revision, p.deleted, p.value \
             FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision \
             WHERE k.id > ?1 AND k.id <= ?2 AND k.name >= ?3 AND k.name < ?4 \
             ORDER BY k.id LIMIT ?5",
        )
        .map_err(|e| shared.err(e))?;
    let rows = st
        .query_map(
            params![after as i64, upto as i64, start, end, limit as i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)? != 0,
                    r.get::<_, i64>(3)? != 0,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<Vec<u8>>>(9)?,
                ))
            },
        )
        .map_err(|e| shared.err(e))?;
    let mut events = Vec::new();
    for row in rows {
        let (id, name, created, deleted, create_rev, value, p_id, p_create, p_deleted, p_value) =
            row.map_err(|e| shared.err(e))?;
        let key = key_from_blob(&shared.path, name)?;
        let prev = match (created, p_id, p_create, p_deleted, p_value) {
            (false, Some(p_id), Some(p_create), Some(0), Some(p_value)) => Some(KeyValue {
                key: key.clone(),
                value: Bytes::from(p_value),
                create_revision: p_create as Revision,
                mod_revision: p_id as Revision,
            }),
            _ => None,
        };
        if !created && prev.is_none() {
            return Err(StoreError::Backend(format!(
                "{}: history is missing the previous value of revision {id}",
                shared.path
            )));
        }
        events.push(Event {
            kind: if deleted {
                EventKind::Delete
            } else {
                EventKind::Put
            },
            kv: KeyValue {
                key,
                value: Bytes::from(value),
                create_revision: create_rev as Revision,
                mod_revision: id as Revision,
            },
            prev,
        });
    }
    // Compaction may have run while we read: if it passed `after`, rows may be gone.
    shared.check_not_compacted(after)?;
    Ok(events)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.inner.shared.committed.load(Ordering::Acquire))
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        Ok(self.inner.shared.compacted.load(Ordering::Acquire))
    }

    async fn get(
        &self,
        key: &str,
        revision: Option<Revision>,
    ) -> Result<(Option<KeyValue>, Revision)> {
        let key = key.to_string();
        self.read(move |conn, shared| {
            let rev = shared.read_revision(revision)?;
            let row: Option<LatestRow> = conn
                .prepare_cached(
                    "SELECT id, create_revision, deleted, value FROM kv \
                     WHERE name = ?1 AND id <= ?2 ORDER BY id DESC LIMIT 1",
                )
                .and_then(|mut st| {
                    st.query_row(params![key.as_bytes(), rev as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?))
                    })
                    .optional()
                })
                .map_err(|e| shared.err(e))?;
            shared.check_not_compacted(rev)?;
            Ok((row.and_then(|row| live_kv(&key, &row)), rev))
        })
        .await
    }

    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        self.read(move |conn, shared| {
            let rev = shared.read_revision(req.revision)?;
            let (prefix_start, end) = prefix_bounds(&req.prefix);
            let (lower_op, lower) = match &req.start_after {
                Some(after) if after.as_bytes() >= prefix_start.as_slice() => {
                    (">", after.as_bytes().to_vec())
                }
                _ => (">=", prefix_start),
            };
            let limit = req.limit.filter(|l| *l > 0);
            let sql = format!(
                "SELECT k.id, k.name, k.create_revision, k.value FROM kv k \
                 WHERE k.name {lower_op} ?1 AND k.name < ?2 AND k.id <= ?3 AND k.deleted = 0 \
                 AND NOT EXISTS (SELECT 1 FROM kv n WHERE n.name = k.name AND n.id > k.id AND n.id <= ?3) \
                 ORDER BY k.name LIMIT ?4"
            );
            let fetch = limit.map(|l| l as i64 + 1).unwrap_or(-1);
            let mut st = conn.prepare_cached(&sql).map_err(|e| shared.err(e))?;
            let rows = st
                .query_map(params![lower, end, rev as i64, fetch], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                })
                .map_err(|e| shared.err(e))?;
            let mut kvs = Vec::new();
            for row in rows {
                let (id, name, create, value) = row.map_err(|e| shared.err(e))?;
                kvs.push(KeyValue {
                    key: key_from_blob(&shared.path, name)?,
                    value: Bytes::from(value),
                    create_revision: create as Revision,
                    mod_revision: id as Revision,
                });
            }
            let more = limit.is_some_and(|l| kvs.len() > l);
            if let Some(l) = limit {
                kvs.truncate(l);
            }
            shared.check_not_compacted(rev)?;
            Ok(RangeResponse {
                kvs,
                more,
                revision: rev,
            })
        })
        .await
    }

    async fn count(&self, prefix: &str) -> Result<(u64, Revision)> {
        let prefix = prefix.to_string();
        self.read(move |conn, shared| {
            let rev = shared.read_revision(None)?;
            let (start, end) = prefix_bounds(&prefix);
            let n: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM kv k \
                     WHERE k.name >= ?1 AND k.name < ?2 AND k.id <= ?3 AND k.deleted = 0 \
                     AND NOT EXISTS (SELECT 1 FROM kv n WHERE n.name = k.name AND n.id > k.id AND n.id <= ?3)",
                )
                .and_then(|mut st| st.query_row(params![start, end, rev as i64], |r| r.get(0)))
                .map_err(|e| shared.err(e))?;
            Ok((n as u64, rev))
        })
        .await
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        check_value_size(key, &value, self.inner.max_value_bytes)?;
        let ev = self
            .send_write(WriteOp::Create {
                key: key.to_string(),
                value,
            })
            .await?;
        Ok(ev.kv)
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        check_value_size(key, &value, self.inner.max_value_bytes)?;
        let ev = self
            .send_write(WriteOp::Update {
                key: key.to_string(),
                value,
                expected,
            })
            .await?;
        Ok(ev.kv)
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision)> {
        let ev = self
            .send_write(WriteOp::Delete {
                key: key.to_string(),
                expected,
            })
            .await?;
        let rev = ev.revision();
        let prev = ev
            .prev
            .ok_or_else(|| StoreError::Backend("delete event without previous value".into()))?;
        Ok((prev, rev))
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        let shared = self.inner.shared.clone();
        shared.check_not_compacted(after)?;
        let sub = shared.hub.subscribe(prefix);
        let queue = shared.hub.queue();
        let prefix = prefix.to_string();
        Ok(watch_stream(
            sub,
            after,
            queue,
            move |after, upto, limit| {
                let shared = shared.clone();
                let prefix = prefix.clone();
                async move {
                    tokio::task::spawn_blocking(move || {
                        shared
                            .with_reader(|conn| history(conn, &shared, &prefix, after, upto, limit))
                    })
                    .await
                    .map_err(|e| StoreError::Backend(format!("watch replay failed: {e}")))?
                }
            },
        ))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        let writer = self.inner.writer.as_ref().ok_or(StoreError::Closed)?;
        writer
            .send(Request::Compact(revision, tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_file_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let err = SqliteStore::open_blocking(SqliteConfig::new(&path))
            .err()
            .expect("garbage must not open");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(matches!(err, StoreError::NotAStore { .. }), "{msg}");
    }

    #[test]
    fn foreign_sqlite_database_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER);")
            .unwrap();
        drop(conn);
        let err = SqliteStore::open_blocking(SqliteConfig::new(&path))
            .err()
            .expect("foreign database must not open");
        assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
        assert!(err.to_string().contains("users"), "{err}");
    }

    #[test]
    fn second_process_is_locked_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let _first = SqliteStore::open_blocking(SqliteConfig::new(&path)).unwrap();
        let err = SqliteStore::open_blocking(SqliteConfig::new(&path))
            .err()
            .expect("second open must fail");
        assert!(err.to_string().contains("in use"), "{err}");
    }

    #[test]
    fn corrupt_pages_fail_to_open_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        {
            let store = SqliteStore::open_blocking(SqliteConfig::new(&path)).unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async {
                for i in 0..500 {
                    store
                        .create(&format!("/k/{i:05}"), Bytes::from(vec![b'x'; 300]))
                        .await
                        .unwrap();
                }
            });
        }
        // Fold the WAL into the main file, then scribble over the middle of it.
        let conn = Connection::open(&path).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 8192] {
            *b = 0xa5;
        }
        std::fs::write(&path, bytes).unwrap();
        let err = SqliteStore::open_blocking(SqliteConfig::new(&path))
            .err()
            .expect("corrupt database must not open");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
}

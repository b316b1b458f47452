//! Test harness: backends to run the conformance suite on, and one real etcd process
//! per test binary.

#![allow(dead_code)]

use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use vnest_store::etcd_server::EtcdServer;
use vnest_store::{EtcdConfig, EtcdStore, MemoryStore, SqliteConfig, SqliteStore, Store};

pub struct Backend {
    pub store: Arc<dyn Store>,
    /// The backend ends watchers that fall behind its queue (sqlite, memory). etcd
    /// buffers slow watchers on the server instead.
    pub ends_slow_watchers: bool,
    _guard: Box<dyn Any + Send>,
}

pub fn memory(watch_queue: usize) -> Backend {
    Backend {
        store: Arc::new(MemoryStore::with_limits(
            vnest_store::DEFAULT_MAX_VALUE_BYTES,
            watch_queue,
        )),
        ends_slow_watchers: true,
        _guard: Box::new(()),
    }
}

pub async fn sqlite(watch_queue: usize) -> Backend {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = SqliteConfig::new(dir.path().join("store.db"));
    cfg.watch_queue = watch_queue;
    let store = SqliteStore::open(cfg).await.expect("open sqlite store");
    Backend {
        store: Arc::new(store),
        ends_slow_watchers: true,
        _guard: Box::new(dir),
    }
}

fn etcd_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // Remove the data dirs of earlier runs whose process is gone.
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(pid) = name.strip_prefix("etcd-test-") {
                if !PathBuf::from(format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    root.join(format!("etcd-test-{}", std::process::id()))
}

/// The client URL of this test binary's etcd, started on first use. The server runs on
/// a thread that never ends, so it lives (and dies) with the test process.
pub fn etcd_endpoint() -> String {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("etcd-keeper".into())
                .spawn(
                    move || match EtcdServer::start(&etcd_dir(), Duration::from_secs(30)) {
                        Ok(server) => {
                            let _ = tx.send(Ok(server.endpoint.clone()));
                            loop {
                                std::thread::park();
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e.to_string()));
                        }
                    },
                )
                .expect("spawn etcd keeper");
            rx.recv()
                .expect("etcd keeper thread")
                .unwrap_or_else(|e| panic!("cannot start etcd: {e}"))
        })
        .clone()
}

pub async fn etcd(_watch_queue: usize) -> Backend {
    // All etcd tests share one server and its one global revision; a compaction in one
    // test would break reads at old revisions in another, so they take turns.
    static TURN: OnceLock<Arc<tokio::sync::Mutex<()>>> = OnceLock::new();
    let turn = TURN
        .get_or_init(|| Arc::new(tokio::sync::Mutex::new(())))
        .clone()
        .lock_owned()
        .await;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let prefix = format!(
        "/vnest-test/{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let store = EtcdStore::connect(EtcdConfig::new(vec![etcd_endpoint()], prefix))
        .await
        .expect("connect to etcd");
    Backend {
        store: Arc::new(store),
        ends_slow_watchers: false,
        _guard: Box::new(turn),
    }
}

//! Crash test for the sqlite backend (a plain `main`, no libtest harness).
//!
//! The parent runs 20 rounds. Each round starts this same binary as a child that writes
//! with 8 concurrent writers as fast as it can and prints one line per acknowledged
//! write; the parent kills it with SIGKILL at a random moment, reopens the store and
//! checks that every acknowledged write is there with its revision, that the log
//! replays them in revision order, and that the store takes new writes.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use rand::Rng;
use vnest_store::{SqliteConfig, SqliteStore, Store};

const CHILD_ENV: &str = "VNEST_CRASH_CHILD_DB";
const ROUNDS: usize = 20;
const WRITERS: usize = 8;

fn main() {
    if let Some(db) = std::env::var_os(CHILD_ENV) {
        child(PathBuf::from(db));
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    // `cargo test -- --list` and filters: behave like a harness with one test.
    if args.iter().any(|a| a == "--list") {
        println!("sqlite_survives_sigkill: test");
        return;
    }
    let filters: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|f| "sqlite_survives_sigkill".contains(f.as_str()))
    {
        println!("test result: ok. 0 passed; 0 failed; 1 filtered out");
        return;
    }
    let started = Instant::now();
    let mut total_acked = 0;
    for round in 0..ROUNDS {
        total_acked += parent_round(round);
    }
    println!(
        "sqlite crash test: {ROUNDS} SIGKILL rounds, {total_acked} acknowledged writes all recovered ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    println!("test sqlite_survives_sigkill ... ok");
    println!("test result: ok. 1 passed; 0 failed; 0 ignored");
}

fn child(db: PathBuf) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let store = SqliteStore::open(SqliteConfig::new(db))
            .await
            .expect("open");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for w in 0..WRITERS {
            let store = store.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0u64.. {
                    let kv = store
                        .create(
                            &format!("/crash/{w}/{i:08}"),
                            Bytes::from(format!("{w}-{i}")),
                        )
                        .await
                        .expect("write");
                    if tx
                        .send(format!("ACK {w} {i} {}\n", kv.mod_revision))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let stdout = std::io::stdout();
        while let Some(line) = rx.recv().await {
            let mut out = stdout.lock();
            // The parent only counts complete lines, so a line cut by the kill is
            // simply not an acknowledgment.
            if out
                .write_all(line.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return;
            }
        }
    });
}

struct Ack {
    writer: usize,
    index: u64,
    revision: u64,
}

fn parent_round(round: usize) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("store.db");
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .env(CHILD_ENV, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    // Wait for the first acknowledgment, then let it write for a random while.
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("child acknowledged nothing");
    let delay = rand::rng().random_range(10..400);
    std::thread::sleep(Duration::from_millis(delay));
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let status = child.wait().expect("wait child");
    assert!(!status.success(), "round {round}: the child was not killed");
    reader.join().expect("reader thread");
    let mut lines = vec![first];
    lines.extend(rx.try_iter());
    let acks: Vec<Ack> = lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("ACK ")?.split(' ');
            Some(Ack {
                writer: parts.next()?.parse().ok()?,
                index: parts.next()?.parse().ok()?,
                revision: parts.next()?.parse().ok()?,
            })
        })
        .collect();
    assert!(!acks.is_empty());
    verify(round, &db, &acks);
    acks.len()
}

fn verify(round: usize, db: &Path, acks: &[Ack]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = SqliteStore::open(SqliteConfig::new(db))
            .await
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        let max_acked = acks.iter().map(|a| a.revision).max().unwrap_or(0);
        let current = store.current_revision().await.unwrap();
        assert!(
            current >= max_acked,
            "round {round}: current revision {current} below acknowledged {max_acked}"
        );
        for a in acks {
            let key = format!("/crash/{}/{:08}", a.writer, a.index);
            let (kv, _) = store.get(&key, None).await.unwrap();
            let kv = kv.unwrap_or_else(|| panic!("round {round}: acknowledged {key} is lost"));
            assert_eq!(kv.mod_revision, a.revision, "round {round}: {key}");
            assert_eq!(kv.value, Bytes::from(format!("{}-{}", a.writer, a.index)));
        }
        // Each writer's acknowledged writes form a prefix of its sequence, in order.
        for w in 0..WRITERS {
            let mine: Vec<&Ack> = acks.iter().filter(|a| a.writer == w).collect();
            for (n, a) in mine.iter().enumerate() {
                assert_eq!(a.index, n as u64, "round {round}: writer {w} acks in order");
            }
            assert!(mine.windows(2).all(|p| p[0].revision < p[1].revision));
        }
        // The log replays every surviving write in revision order, without gaps.
        let mut watch = store.watch("/crash/", 0).await.unwrap();
        let mut expected = 1;
        while expected <= current {
            let ev = tokio::time::timeout(Duration::from_secs(10), watch.next())
                .await
                .expect("replay stalled")
                .expect("replay ended")
                .expect("replay failed");
            assert_eq!(ev.revision(), expected, "round {round}: replay gap");
            expected += 1;
        }
        // And the store goes on.
        let kv = store
            .create("/crash/after", Bytes::from_static(b"ok"))
            .await
            .unwrap();
        assert_eq!(kv.mod_revision, current + 1);
    });
}

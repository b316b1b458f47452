//! `cargo bench -p vnest-store`: the same workload on sqlite and on a real local etcd,
//! printed side by side. Not a test: nothing here passes or fails on speed.
//!
//! Workload (durable commits on both: sqlite synchronous=FULL, etcd's default fsync):
//! - writes/s with 1, 16 and 64 concurrent writers, 1 KiB values, for a fixed time;
//! - get latency p50/p99 over 10,000 keys, and the latency of one 10,000-key range;
//! - watch delivery latency p50/p99 (write acknowledged -> event received, and write
//!   issued -> event received) while 16 writers write.
//!
//! `VNEST_BENCH_SECS` sets the seconds per write phase (default 3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use hdrhistogram::Histogram;
use rand::Rng;
use vnest_store::etcd_server::EtcdServer;
use vnest_store::{EtcdConfig, EtcdStore, RangeRequest, SqliteConfig, SqliteStore, Store};

const KEYS: usize = 10_000;

#[derive(Default)]
struct Report {
    writes: Vec<(usize, f64)>,
    get_p50_us: u64,
    get_p99_us: u64,
    range_p50_ms: f64,
    range_p99_ms: f64,
    watch_p50_us: u64,
    watch_p99_us: u64,
    e2e_p50_us: u64,
    e2e_p99_us: u64,
    watch_events: u64,
}

fn value() -> Bytes {
    Bytes::from(vec![b'v'; 1024])
}

async fn write_phase(store: Arc<dyn Store>, writers: usize, secs: f64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = vec![];
    let run = format!("{}", rand::rng().random::<u32>());
    for w in 0..writers {
        let (store, stop, count, run) = (store.clone(), stop.clone(), count.clone(), run.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                store
                    .create(&format!("/bench/w/{run}/{w}/{i}"), value())
                    .await
                    .expect("write");
                count.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("writer");
    }
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn load_keys(store: &Arc<dyn Store>) {
    let mut tasks = vec![];
    for w in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..KEYS).step_by(16) {
                store
                    .create(&format!("/bench/keys/{i:06}"), value())
                    .await
                    .expect("load");
            }
        }));
    }
    for t in tasks {
        t.await.expect("loader");
    }
}

async fn read_phase(store: &Arc<dyn Store>, report: &mut Report) {
    let mut gets = Histogram::<u64>::new(3).expect("histogram");
    for _ in 0..5_000 {
        let i = rand::rng().random_range(0..KEYS);
        let t = Instant::now();
        let (kv, _) = store
            .get(&format!("/bench/keys/{i:06}"), None)
            .await
            .expect("get");
        gets.record(t.elapsed().as_micros() as u64).ok();
        assert!(kv.is_some());
    }
    report.get_p50_us = gets.value_at_quantile(0.5);
    report.get_p99_us = gets.value_at_quantile(0.99);
    let mut ranges = Histogram::<u64>::new(3).expect("histogram");
    for _ in 0..20 {
        let t = Instant::now();
        let r = store
            .range(RangeRequest {
                prefix: "/bench/keys/".into(),
                ..Default::default()
            })
            .await
            .expect("range");
        ranges.record(t.elapsed().as_micros() as u64).ok();
        assert_eq!(r.kvs.len(), KEYS);
    }
    report.range_p50_ms = ranges.value_at_quantile(0.5) as f64 / 1000.0;
    report.range_p99_ms = ranges.value_at_quantile(0.99) as f64 / 1000.0;
}

async fn watch_phase(store: Arc<dyn Store>, secs: f64, report: &mut Report) {
    // revision -> (write issued, write acknowledged)
    let acked: Arc<Mutex<HashMap<u64, (Instant, Instant)>>> = Arc::default();
    let received: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let start_rev = store.current_revision().await.expect("revision");
    let mut watch = store
        .watch("/bench/watch/", start_rev)
        .await
        .expect("watch");
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let received = received.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            loop {
                match tokio::time::timeout(Duration::from_millis(500), watch.next()).await {
                    Ok(Some(Ok(ev))) => {
                        let now = Instant::now();
                        received.lock().expect("lock").insert(ev.revision(), now);
                    }
                    Ok(Some(Err(e))) => panic!("watch failed: {e}"),
                    Ok(None) => return,
                    Err(_) if stop.load(Ordering::Relaxed) => return,
                    Err(_) => {}
                }
            }
        })
    };
    let mut tasks = vec![];
    for w in 0..16 {
        let (store, stop, acked) = (store.clone(), stop.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let issued = Instant::now();
                let kv = store
                    .create(&format!("/bench/watch/{w}/{i}"), value())
                    .await
                    .expect("write");
                acked
                    .lock()
                    .expect("lock")
                    .insert(kv.mod_revision, (issued, Instant::now()));
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("writer");
    }
    watcher.await.expect("watcher");
    let acked = acked.lock().expect("lock");
    let received = received.lock().expect("lock");
    let mut hist = Histogram::<u64>::new(3).expect("histogram");
    let mut e2e = Histogram::<u64>::new(3).expect("histogram");
    for (rev, (issued, at)) in acked.iter() {
        let got = received
            .get(rev)
            .unwrap_or_else(|| panic!("event {rev} never delivered"));
        // An event can beat the acknowledgment to its reader: that is zero latency.
        hist.record(got.saturating_duration_since(*at).as_micros() as u64)
            .ok();
        e2e.record(got.saturating_duration_since(*issued).as_micros() as u64)
            .ok();
    }
    report.e2e_p50_us = e2e.value_at_quantile(0.5);
    report.e2e_p99_us = e2e.value_at_quantile(0.99);
    report.watch_p50_us = hist.value_at_quantile(0.5);
    report.watch_p99_us = hist.value_at_quantile(0.99);
    report.watch_events = hist.len();
}

async fn run(store: Arc<dyn Store>, secs: f64) -> Report {
    let mut report = Report::default();
    for writers in [1, 16, 64] {
        let rate = write_phase(store.clone(), writers, secs).await;
        eprintln!(
            "  {:>6}: {writers:>2} writers: {rate:>8.0} writes/s",
            store.backend()
        );
        report.writes.push((writers, rate));
    }
    load_keys(&store).await;
    read_phase(&store, &mut report).await;
    eprintln!("  {:>6}: reads done", store.backend());
    watch_phase(store.clone(), secs, &mut report).await;
    eprintln!("  {:>6}: watch done", store.backend());
    report
}

fn main() {
    let secs: f64 = std::env::var("VNEST_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let work = std::env::temp_dir().join(format!("vnest-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("bench dir");
    let etcd = EtcdServer::start(&work.join("etcd"), Duration::from_secs(30))
        .expect("start etcd (hack/install-etcd.sh installs it)");
    let (sqlite, etcd_report) = rt.block_on(async {
        eprintln!("sqlite: {}", work.join("store.db").display());
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(SqliteConfig::new(work.join("store.db")))
                .await
                .expect("open sqlite"),
        );
        let sqlite = run(store, secs).await;
        eprintln!("etcd: {}", etcd.endpoint);
        let store: Arc<dyn Store> = Arc::new(
            EtcdStore::connect(EtcdConfig::new(vec![etcd.endpoint.clone()], "/vnest"))
                .await
                .expect("connect etcd"),
        );
        let etcd_report = run(store, secs).await;
        (sqlite, etcd_report)
    });
    drop(etcd);
    let _ = std::fs::remove_dir_all(&work);

    println!();
    println!("vnest-store benchmark ({secs} s per write phase, 1 KiB values, durable commits)");
    println!(
        "{:<34} {:>14} {:>14} {:>8}",
        "metric", "sqlite", "etcd", "ratio"
    );
    for ((w, s), (_, e)) in sqlite.writes.iter().zip(etcd_report.writes.iter()) {
        println!(
            "{:<34} {:>14.0} {:>14.0} {:>7.1}x",
            format!("writes/s, {w} writers"),
            s,
            e,
            s / e
        );
    }
    let row = |name: &str, s: String, e: String| println!("{name:<34} {s:>14} {e:>14}");
    row(
        "get p50 / p99 (us)",
        format!("{} / {}", sqlite.get_p50_us, sqlite.get_p99_us),
        format!("{} / {}", etcd_report.get_p50_us, etcd_report.get_p99_us),
    );
    row(
        "range 10,000 keys p50 / p99 (ms)",
        format!("{:.1} / {:.1}", sqlite.range_p50_ms, sqlite.range_p99_ms),
        format!(
            "{:.1} / {:.1}",
            etcd_report.range_p50_ms, etcd_report.range_p99_ms
        ),
    );
    row(
        "watch delivery p50 / p99 (us)",
        format!("{} / {}", sqlite.watch_p50_us, sqlite.watch_p99_us),
        format!(
            "{} / {}",
            etcd_report.watch_p50_us, etcd_report.watch_p99_us
        ),
    );
    row(
        "write issued -> event p50 / p99 (us)",
        format!("{} / {}", sqlite.e2e_p50_us, sqlite.e2e_p99_us),
        format!("{} / {}", etcd_report.e2e_p50_us, etcd_report.e2e_p99_us),
    );
    row(
        "watch events measured",
        sqlite.watch_events.to_string(),
        etcd_report.watch_events.to_string(),
    );
}

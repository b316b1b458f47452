//! Prometheus text metrics: requests by verb, resource and code with latency
//! histograms, open watches, and store operation latencies (through [`MeteredStore`]).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use vnest_store::{KeyValue, RangeRequest, RangeResponse, Revision, Store, WatchStream};

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels},le=\"{b}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// What is known of the requests of one (verb, resource).
#[derive(Default)]
struct RequestStats {
    by_code: BTreeMap<u16, u64>,
    latency: Histogram,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String), RequestStats>>,
    store_ops: Mutex<BTreeMap<&'static str, Histogram>>,
    pub watches: AtomicI64,
}

impl Metrics {
    pub fn record_request(&self, verb: &str, resource: &str, code: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let key = (verb.to_string(), resource.to_string());
        let stats = requests.entry(key).or_default();
        *stats.by_code.entry(code).or_default() += 1;
        stats.latency.observe(elapsed.as_secs_f64());
    }

    fn record_store(&self, op: &'static str, elapsed: Duration) {
        let mut s = self.store_ops.lock().unwrap_or_else(|p| p.into_inner());
        s.entry(op).or_default().observe(elapsed.as_secs_f64());
    }

    pub fn render(&self, cached_objects: usize) -> String {
        let mut out = String::new();
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP apiserver_request_total Requests by verb, resource and HTTP code.\n");
        out.push_str("# TYPE apiserver_request_total counter\n");
        for ((verb, resource), stats) in requests.iter() {
            for (code, n) in &stats.by_code {
                let _ = writeln!(
                    out,
                    "apiserver_request_total{{verb=\"{verb}\",resource=\"{resource}\",code=\"{code}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP apiserver_request_duration_seconds Request latency by verb and resource.\n",
        );
        out.push_str("# TYPE apiserver_request_duration_seconds histogram\n");
        for ((verb, resource), stats) in requests.iter() {
            stats.latency.render(
                &mut out,
                "apiserver_request_duration_seconds",
                &format!("verb=\"{verb}\",resource=\"{resource}\""),
            );
        }
        drop(requests);
        out.push_str("# HELP apiserver_registered_watchers Open watch requests.\n");
        out.push_str("# TYPE apiserver_registered_watchers gauge\n");
        let _ = writeln!(
            out,
            "apiserver_registered_watchers {}",
            self.watches.load(Ordering::Relaxed)
        );
        out.push_str("# HELP vnest_watch_cache_objects Objects held by the watch cache.\n");
        out.push_str("# TYPE vnest_watch_cache_objects gauge\n");
        let _ = writeln!(out, "vnest_watch_cache_objects {cached_objects}");
        out.push_str("# HELP vnest_store_operation_duration_seconds Store latency by operation.\n");
        out.push_str("# TYPE vnest_store_operation_duration_seconds histogram\n");
        for (op, h) in self
            .store_ops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            h.render(
                &mut out,
                "vnest_store_operation_duration_seconds",
                &format!("operation=\"{op}\""),
            );
        }
        out
    }
}

/// A [`Store`] that times every operation into [`Metrics`].
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> Self {
        MeteredStore { inner, metrics }
    }
}

macro_rules! timed {
    ($self:ident, $op:literal, $call:expr) => {{
        let start = Instant::now();
        let result = $call.await;
        $self.metrics.record_store($op, start.elapsed());
        result
    }};
}

#[async_trait]
impl Store for MeteredStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn current_revision(&self) -> vnest_store::Result<Revision> {
        self.inner.current_revision().await
    }
    async fn compacted_revision(&self) -> vnest_store::Result<Revision> {
        self.inner.compacted_revision().await
    }
    async fn get(
        &self,
        key: &str,
        revision: Option<Revision>,
    ) -> vnest_store::Result<(Option<KeyValue>, Revision)> {
        timed!(self, "get", self.inner.get(key, revision))
    }
    async fn range(&self, req: RangeRequest) -> vnest_store::Result<RangeResponse> {
        timed!(self, "range", self.inner.range(req))
    }
    async fn count(&self, prefix: &str) -> vnest_store::Result<(u64, Revision)> {
        timed!(self, "count", self.inner.count(prefix))
    }
    async fn create(&self, key: &str, value: Bytes) -> vnest_store::Result<KeyValue> {
        timed!(self, "create", self.inner.create(key, value))
    }
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> vnest_store::Result<KeyValue> {
        timed!(self, "update", self.inner.update(key, value, expected))
    }
    async fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
    ) -> vnest_store::Result<(KeyValue, Revision)> {
        timed!(self, "delete", self.inner.delete(key, expected))
    }
    async fn watch(&self, prefix: &str, after: Revision) -> vnest_store::Result<WatchStream> {
        self.inner.watch(prefix, after).await
    }
    async fn compact(&self, revision: Revision) -> vnest_store::Result<()> {
        timed!(self, "compact", self.inner.compact(revision))
    }
}

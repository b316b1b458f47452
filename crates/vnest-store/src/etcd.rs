//! etcd v3 backend, for HA control planes. Keys live under a configurable prefix.
//!
//! etcd already has the semantics the [`Store`] trait describes; this module maps them:
//! compare-and-swap writes are transactions comparing `mod_revision`, a watch "after N"
//! is an etcd watch with `start_revision = N + 1` and `prev_kv`, compaction is etcd's.
//! etcd does not report its compacted revision, so the store learns it at connect time
//! (a watch from revision 1 is refused with the compacted revision) and from every
//! compaction it does or is told about.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, Identity,
    KvClient, PutOptions, TlsOptions, Txn, TxnOp, TxnOpResponse, WatchClient, WatchOptions,
};
use futures::StreamExt;

use crate::{
    check_value_size, prefix_end, Event, EventKind, KeyValue, RangeRequest, RangeResponse, Result,
    Revision, Store, StoreError, WatchStream, DEFAULT_MAX_VALUE_BYTES,
};

/// Largest response accepted from etcd (a list of every object of a big cluster).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

#[derive(Clone, Debug)]
pub struct EtcdConfig {
    /// Client URLs, e.g. `http://127.0.0.1:2379` (or `https://` with TLS files).
    pub endpoints: Vec<String>,
    /// Every key is stored under this prefix.
    pub prefix: String,
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub max_value_bytes: usize,
    pub timeout: Duration,
}

impl EtcdConfig {
    pub fn new(endpoints: Vec<String>, prefix: impl Into<String>) -> Self {
        EtcdConfig {
            endpoints,
            prefix: prefix.into(),
            ca_file: None,
            cert_file: None,
            key_file: None,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct EtcdStore {
    kv: KvClient,
    watcher: WatchClient,
    prefix: Arc<str>,
    max_value_bytes: usize,
    compacted: Arc<AtomicU64>,
}

fn etcd_err(e: etcd_client::Error) -> StoreError {
    StoreError::Backend(format!("etcd: {e}"))
}

/// A write error, with etcd's own size limit reported like ours.
fn write_err(e: etcd_client::Error, key: &str, size: usize) -> StoreError {
    if e.to_string().contains("request is too large") {
        return StoreError::ValueTooLarge {
            key: key.to_string(),
            size,
            limit: size.saturating_sub(1),
        };
    }
    etcd_err(e)
}

fn is_compacted(e: &etcd_client::Error) -> bool {
    e.to_string()
        .contains("required revision has been compacted")
}

fn is_future(e: &etcd_client::Error) -> bool {
    e.to_string()
        .contains("required revision is a future revision")
}

fn read_file(path: &PathBuf, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| StoreError::Open {
        path: path.display().to_string(),
        reason: format!("cannot read etcd {what}: {e}"),
    })
}

impl EtcdStore {
    pub async fn connect(cfg: EtcdConfig) -> Result<Self> {
        let endpoints = cfg.endpoints.join(",");
        let mut opts = ConnectOptions::new()
            .with_connect_timeout(cfg.timeout)
            .with_timeout(cfg.timeout)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        if cfg.ca_file.is_some() || cfg.cert_file.is_some() {
            let mut tls = TlsOptions::new();
            if let Some(ca) = &cfg.ca_file {
                tls = tls.ca_certificate(Certificate::from_pem(read_file(ca, "CA")?));
            }
            match (&cfg.cert_file, &cfg.key_file) {
                (Some(cert), Some(key)) => {
                    tls = tls.identity(Identity::from_pem(
                        read_file(cert, "client certificate")?,
                        read_file(key, "client key")?,
                    ));
                }
                (None, None) => {}
                _ => {
                    return Err(StoreError::Open {
                        path: endpoints,
                        reason: "etcd client certificate and key must be given together".into(),
                    })
                }
            }
            opts = opts.with_tls(tls);
        }
        let client = Client::connect(&cfg.endpoints, Some(opts))
            .await
            .map_err(|e| StoreError::Open {
                path: endpoints.clone(),
                reason: format!("cannot connect to etcd: {e}"),
            })?;
        // Lists of thousands of objects exceed tonic's 4 MiB default message size.
        let kv = client
            .kv_client()
            .max_decoding_message_size(MAX_MESSAGE_BYTES);
        let watcher = client
            .watch_client()
            .max_decoding_message_size(MAX_MESSAGE_BYTES);
        let store = EtcdStore {
            kv,
            watcher,
            prefix: Arc::from(cfg.prefix.as_str()),
            max_value_bytes: cfg.max_value_bytes,
            compacted: Arc::new(AtomicU64::new(0)),
        };
        // One round trip proves the endpoint answers, and teaches us the compacted
        // revision.
        let learned = store
            .probe_compacted()
            .await
            .map_err(|e| StoreError::Open {
                path: endpoints,
                reason: e.to_string(),
            })?;
        store.compacted.store(learned, Ordering::Release);
        Ok(store)
    }

    fn full(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn strip(&self, key: &[u8]) -> Result<String> {
        let key = std::str::from_utf8(key)
            .map_err(|_| StoreError::Backend("etcd: key is not UTF-8".into()))?;
        key.strip_prefix(&*self.prefix)
            .map(str::to_string)
            .ok_or_else(|| StoreError::Backend(format!("etcd: key {key:?} outside the prefix")))
    }

    fn kv(&self, kv: &etcd_client::KeyValue) -> Result<KeyValue> {
        Ok(KeyValue {
            key: self.strip(kv.key())?,
            value: Bytes::copy_from_slice(kv.value()),
            create_revision: kv.create_revision() as Revision,
            mod_revision: kv.mod_revision() as Revision,
        })
    }

    /// etcd refuses a watch from revision 1 with its compacted revision, or accepts it
    /// when nothing was compacted.
    async fn probe_compacted(&self) -> Result<Revision> {
        let mut client = self.watcher.clone();
        let probe_key = self.full("\u{0}vnest-compaction-probe");
        let mut stream = client
            .watch(probe_key, Some(WatchOptions::new().with_start_revision(1)))
            .await
            .map_err(etcd_err)?;
        let resp = stream.message().await.map_err(etcd_err)?;
        Ok(resp
            .map(|r| r.compact_revision().max(0) as Revision)
            .unwrap_or(0))
    }

    fn compacted_err(&self, requested: Revision) -> StoreError {
        StoreError::Compacted {
            requested,
            compacted: self.compacted.load(Ordering::Acquire),
        }
    }

    fn check_not_compacted(&self, rev: Revision) -> Result<()> {
        if rev < self.compacted.load(Ordering::Acquire) {
            return Err(self.compacted_err(rev));
        }
        Ok(())
    }

    fn map_read_err(&self, e: etcd_client::Error, requested: Revision) -> StoreError {
        if is_compacted(&e) {
            return self.compacted_err(requested);
        }
        if is_future(&e) {
            return StoreError::FutureRevision {
                requested,
                current: 0,
            };
        }
        etcd_err(e)
    }

    fn header_revision(header: Option<&etcd_client::ResponseHeader>) -> Result<Revision> {
        header
            .map(|h| h.revision() as Revision)
            .ok_or_else(|| StoreError::Backend("etcd: response without header".into()))
    }

    /// The current value after a refused transaction (its `or_else` get).
    fn refused_current(&self, resp: &etcd_client::TxnResponse) -> Result<Option<KeyValue>> {
        for op in resp.op_responses() {
            if let TxnOpResponse::Get(get) = op {
                return get.kvs().first().map(|kv| self.kv(kv)).transpose();
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl Store for EtcdStore {
    fn backend(&self) -> &'static str {
        "etcd"
    }

    async fn current_revision(&self) -> Result<Revision> {
        let resp = self
            .kv
            .clone()
            .get(
                self.prefix.as_bytes(),
                Some(GetOptions::new().with_count_only()),
            )
            .await
            .map_err(etcd_err)?;
        Self::header_revision(resp.header())
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        Ok(self.compacted.load(Ordering::Acquire))
    }

    async fn get(
        &self,
        key: &str,
        revision: Option<Revision>,
    ) -> Result<(Option<KeyValue>, Revision)> {
        let mut opts = GetOptions::new();
        if let Some(rev) = revision {
            self.check_not_compacted(rev)?;
            opts = opts.with_revision(rev as i64);
        }
        let resp = self
            .kv
            .clone()
            .get(self.full(key), Some(opts))
            .await
            .map_err(|e| self.map_read_err(e, revision.unwrap_or(0)))?;
        let rev = match revision {
            Some(r) => r,
            None => Self::header_revision(resp.header())?,
        };
        let kv = resp.kvs().first().map(|kv| self.kv(kv)).transpose()?;
        Ok((kv, rev))
    }

    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        let full_prefix = self.full(&req.prefix);
        let end = prefix_end(&full_prefix).unwrap_or_else(|| vec![0]);
        let start = match &req.start_after {
            Some(after) if *after >= req.prefix => {
                let mut k = self.full(after).into_bytes();
                k.push(0);
                k
            }
            _ => full_prefix.into_bytes(),
        };
        let mut opts = GetOptions::new().with_range(end);
        if let Some(limit) = req.limit.filter(|l| *l > 0) {
            opts = opts.with_limit(limit as i64);
        }
        if let Some(rev) = req.revision {
            self.check_not_compacted(rev)?;
            opts = opts.with_revision(rev as i64);
        }
        let resp = self
            .kv
            .clone()
            .get(start, Some(opts))
            .await
            .map_err(|e| self.map_read_err(e, req.revision.unwrap_or(0)))?;
        let revision = match req.revision {
            Some(r) => r,
            None => Self::header_revision(resp.header())?,
        };
        let kvs = resp
            .kvs()
            .iter()
            .map(|kv| self.kv(kv))
            .collect::<Result<Vec<_>>>()?;
        Ok(RangeResponse {
            kvs,
            more: resp.more(),
            revision,
        })
    }

    async fn count(&self, prefix: &str) -> Result<(u64, Revision)> {
        let full_prefix = self.full(prefix);
        let end = prefix_end(&full_prefix).unwrap_or_else(|| vec![0]);
        let resp = self
            .kv
            .clone()
            .get(
                full_prefix,
                Some(GetOptions::new().with_range(end).with_count_only()),
            )
            .await
            .map_err(etcd_err)?;
        Ok((resp.count() as u64, Self::header_revision(resp.header())?))
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        check_value_size(key, &value, self.max_value_bytes)?;
        let full = self.full(key);
        let txn = Txn::new()
            .when([Compare::create_revision(full.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(full.clone(), value.to_vec(), None)])
            .or_else([TxnOp::get(full, None)]);
        let size = value.len();
        let resp = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(|e| write_err(e, key, size))?;
        if !resp.succeeded() {
            return Err(StoreError::AlreadyExists { key: key.into() });
        }
        let rev = Self::header_revision(resp.header())?;
        Ok(KeyValue {
            key: key.into(),
            value,
            create_revision: rev,
            mod_revision: rev,
        })
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        check_value_size(key, &value, self.max_value_bytes)?;
        let full = self.full(key);
        let txn = Txn::new()
            .when([
                Compare::version(full.clone(), CompareOp::Greater, 0),
                Compare::mod_revision(full.clone(), CompareOp::Equal, expected as i64),
            ])
            .and_then([TxnOp::put(
                full.clone(),
                value.to_vec(),
                Some(PutOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(full, None)]);
        let size = value.len();
        let resp = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(|e| write_err(e, key, size))?;
        if !resp.succeeded() {
            return match self.refused_current(&resp)? {
                None => Err(StoreError::NotFound { key: key.into() }),
                Some(current) => Err(StoreError::Conflict {
                    key: key.into(),
                    expected,
                    current: Some(Box::new(current)),
                }),
            };
        }
        let rev = Self::header_revision(resp.header())?;
        let create_revision = resp
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Put(put) => put.prev_key().map(|kv| kv.create_revision()),
                _ => None,
            })
            .ok_or_else(|| StoreError::Backend("etcd: update without previous value".into()))?;
        Ok(KeyValue {
            key: key.into(),
            value,
            create_revision: create_revision as Revision,
            mod_revision: rev,
        })
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision)> {
        let full = self.full(key);
        let mut compares = vec![Compare::version(full.clone(), CompareOp::Greater, 0)];
        if let Some(expected) = expected {
            compares.push(Compare::mod_revision(
                full.clone(),
                CompareOp::Equal,
                expected as i64,
            ));
        }
        let txn = Txn::new()
            .when(compares)
            .and_then([TxnOp::delete(
                full.clone(),
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(full, None)]);
        let resp = self.kv.clone().txn(txn).await.map_err(etcd_err)?;
        if !resp.succeeded() {
            return match (self.refused_current(&resp)?, expected) {
                (None, _) | (Some(_), None) => Err(StoreError::NotFound { key: key.into() }),
                (Some(current), Some(expected)) => Err(StoreError::Conflict {
                    key: key.into(),
                    expected,
                    current: Some(Box::new(current)),
                }),
            };
        }
        let rev = Self::header_revision(resp.header())?;
        let prev = resp
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Delete(del) => del.prev_kvs().first().cloned(),
                _ => None,
            })
            .ok_or_else(|| StoreError::Backend("etcd: delete without previous value".into()))?;
        Ok((self.kv(&prev)?, rev))
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        self.check_not_compacted(after)?;
        let full_prefix = self.full(prefix);
        let opts = WatchOptions::new()
            .with_prefix()
            .with_prev_key()
            .with_start_revision(after as i64 + 1);
        let mut stream = self
            .watcher
            .clone()
            .watch(full_prefix, Some(opts))
            .await
            .map_err(etcd_err)?;
        let store = self.clone();
        Ok(Box::pin(async_stream::stream! {
            loop {
                let resp = match stream.next().await {
                    Some(Ok(resp)) => resp,
                    Some(Err(e)) => {
                        if is_compacted(&e) {
                            yield Err(store.compacted_err(after));
                        } else {
                            yield Err(etcd_err(e));
                        }
                        return;
                    }
                    None => {
                        yield Err(StoreError::Backend("etcd: watch stream ended".into()));
                        return;
                    }
                };
                if resp.canceled() {
                    let compact = resp.compact_revision();
                    if compact > 0 {
                        store.compacted.fetch_max(compact as Revision, Ordering::AcqRel);
                        yield Err(store.compacted_err(after));
                    } else {
                        yield Err(StoreError::Backend(format!(
                            "etcd: watch canceled: {}",
                            resp.cancel_reason()
                        )));
                    }
                    return;
                }
                for ev in resp.events() {
                    let Some(kv) = ev.kv() else { continue };
                    let prev = match ev.prev_kv().map(|p| store.kv(p)).transpose() {
                        Ok(p) => p,
                        Err(e) => {
                            yield Err(e);
                            return;
                        }
                    };
                    let mut kv = match store.kv(kv) {
                        Ok(kv) => kv,
                        Err(e) => {
                            yield Err(e);
                            return;
                        }
                    };
                    let kind = match ev.event_type() {
                        etcd_client::EventType::Put => EventKind::Put,
                        etcd_client::EventType::Delete => EventKind::Delete,
                    };
                    if kind == EventKind::Delete {
                        kv.create_revision = prev.as_ref().map(|p| p.create_revision).unwrap_or(0);
                    }
                    yield Ok(Event { kind, kv, prev });
                }
            }
        }))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        if revision <= self.compacted.load(Ordering::Acquire) {
            return Ok(());
        }
        match self
            .kv
            .clone()
            .compact(
                revision as i64,
                Some(etcd_client::CompactionOptions::new().with_physical()),
            )
            .await
        {
            Ok(_) => {}
            // Somebody compacted further already: that is what we wanted.
            Err(e) if is_compacted(&e) => {}
            Err(e) if is_future(&e) => {
                return Err(StoreError::FutureRevision {
                    requested: revision,
                    current: self.current_revision().await.unwrap_or(0),
                })
            }
            Err(e) => return Err(etcd_err(e)),
        }
        self.compacted.fetch_max(revision, Ordering::AcqRel);
        Ok(())
    }
}

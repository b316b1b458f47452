//! The REST verbs on stored resources: get, list, watch, create, update, patch, delete,
//! deletecollection, and the status and scale subresources.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use vnest_api::status::{success_status, ApiError, Target};
use vnest_api::validation::FieldError;
use vnest_store::{RangeRequest, Revision, Store, StoreError};

use crate::body::{decode_object, MediaType};
use crate::cache::{CacheError, CacheEvent, WatchCache, WatchEventType};
use crate::objects::{self, object_key, resource_prefix};
use crate::request::{ListOptions, RvMatch};
use crate::selection::Selection;

/// A resource as the REST layer needs to know it.
#[derive(Clone, Debug)]
pub struct ResourceDef {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub resource: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub subresources: Vec<String>,
    /// Set for custom resources (CRDs): schema, printer columns, subresources.
    pub custom: Option<Arc<crate::crd::CustomResource>>,
}

impl ResourceDef {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub(crate) fn target<'a>(&'a self, name: &'a str) -> Target<'a> {
        Target {
            group: &self.group,
            resource: &self.resource,
            name,
        }
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// Resources whose spec changes bump metadata.generation.
    fn tracks_generation(&self) -> bool {
        self.custom.is_some()
            || matches!(
                (self.group.as_str(), self.resource.as_str()),
                ("apps", _)
                    | ("batch", _)
                    | ("", "pods")
                    | ("", "replicationcontrollers")
                    | ("discovery.k8s.io", "endpointslices")
                    | ("networking.k8s.io", "ingresses")
                    | ("networking.k8s.io", "networkpolicies")
                    | ("policy", "poddisruptionbudgets")
                    | ("scheduling.k8s.io", "priorityclasses")
                    | ("apiextensions.k8s.io", "customresourcedefinitions")
                    | ("admissionregistration.k8s.io", _)
            )
    }

    fn has_status_subresource(&self) -> bool {
        self.subresources.iter().any(|s| s == "status")
    }
}

/// Who writes, for metadata.managedFields: the field manager and the subresource
/// written through.
#[derive(Clone, Copy, Debug)]
pub struct WriteMeta<'a> {
    pub manager: &'a str,
    pub subresource: Option<&'a str>,
    /// A server-side apply: the merge already wrote managedFields.
    pub apply: bool,
}

/// What a handler answers.
pub enum Reply {
    Json {
        status: u16,
        body: Value,
        warnings: Vec<String>,
    },
    /// A watch: newline-delimited JSON event lines, one frame each.
    Watch(mpsc::Receiver<Bytes>),
    /// Plain text, streamed (container logs).
    Text(futures::stream::BoxStream<'static, Bytes>),
    /// A finished response (`101 Switching Protocols` of exec, attach, portforward).
    Response(http::Response<http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>>),
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply::Json {
            status,
            body,
            warnings: Vec::new(),
        }
    }
}

/// Largest request body accepted (kube-apiserver's default: 3 MiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Namespaces that can never be deleted.
const PROTECTED_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

pub struct Rest {
    pub store: Arc<dyn Store>,
    pub cache: Arc<WatchCache>,
    pub discovery: Arc<crate::discovery::Discovery>,
    pub authn: Arc<crate::auth::Authenticator>,
    pub authz: Arc<crate::authz::Authz>,
    /// ClusterIP and NodePort allocation for Services.
    pub services: crate::allocation::Allocator,
    /// Where container logs come from (none: the cluster has no node agents).
    pub pod_logs: Option<Arc<dyn crate::podlogs::PodLogs>>,
    pub pod_streams: Option<Arc<dyn crate::streams::PodStreams>>,
}

fn store_err(def: &ResourceDef, name: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::not_found(def.target(name)),
        StoreError::AlreadyExists { .. } => ApiError::already_exists(def.target(name)),
        StoreError::Conflict { .. } => ApiError::modified_conflict(def.target(name)),
        StoreError::ValueTooLarge { .. } => ApiError::request_entity_too_large(MAX_BODY_BYTES),
        StoreError::Compacted { .. } => {
            ApiError::expired("The resourceVersion for the provided list is too old.")
        }
        other => ApiError::internal(other.to_string()),
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn random_suffix(n: usize) -> String {
    // kube's generateName alphabet: no vowels, no confusable characters.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    (0..n)
        .map(|i| ALPHABET[bytes[i % 16] as usize % ALPHABET.len()] as char)
        .collect()
}

/// The metadata map of an object body, created when missing. Bodies are objects
/// (decode_object guarantees it), so this only fails for non-object values.
fn meta_mut(obj: &mut Value) -> Result<&mut Map<String, Value>, ApiError> {
    let root = obj
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the object provided is not a JSON object"))?;
    let meta = root.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    meta.as_object_mut()
        .ok_or_else(|| ApiError::bad_request("metadata must be an object"))
}

fn spec_of(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("kind");
        m.remove("apiVersion");
    }
    o
}

/// Lists are encoded without per-item kind/apiVersion, as kube's typed lists are.
fn list_item(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("kind");
        m.remove("apiVersion");
    }
    o
}

fn with_type(def: &ResourceDef, obj: &Value) -> Value {
    let mut out = Map::new();
    out.insert("kind".into(), json!(def.kind));
    out.insert("apiVersion".into(), json!(def.api_version()));
    if let Some(m) = obj.as_object() {
        for (k, v) in m {
            if k != "kind" && k != "apiVersion" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// Continue tokens: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key suffix>\u0000"}`
/// like kube's, so clients that inspect them are not surprised.
fn encode_continue(rv: Revision, start_after: &str) -> String {
    use base64::Engine;
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{start_after}\u{0}")});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<(Revision, String), ApiError> {
    use base64::Engine;
    let invalid = |why: String| ApiError::bad_request(format!("invalid continue token: {why}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|e| {
            invalid(format!(
                "continue key is not valid: illegal base64 data at input byte {}",
                base64_error_offset(&e, token)
            ))
        })?;
    let v: Value = serde_json::from_slice(&raw)
        .map_err(|_| invalid("continue key is not valid: invalid JSON".into()))?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(|| {
        invalid("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into())
    })?;
    let start = v
        .get("start")
        .and_then(Value::as_str)
        .map(|s| s.trim_end_matches('\u{0}').to_string())
        .ok_or_else(|| invalid("continue key is not valid: missing start".into()))?;
    if start.contains("..") || start.starts_with('/') {
        return Err(invalid("continue key is not valid: path traversal".into()));
    }
    Ok((rv, start))
}

/// Where Go's base64 decoder reports a failure (a lone trailing character is an error
/// at its own position).
fn base64_error_offset(e: &base64::DecodeError, input: &str) -> usize {
    match e {
        base64::DecodeError::InvalidByte(offset, _) => *offset,
        base64::DecodeError::InvalidLastSymbol(offset, _) => *offset,
        _ => input.len().saturating_sub(1),
    }
}

fn parse_rv(rv: &str) -> Result<Revision, ApiError> {
    rv.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid resource version: resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": invalid syntax"
        ))
    })
}

fn cache_err(e: CacheError) -> ApiError {
    match e {
        CacheError::TooOld { requested, oldest } => {
            ApiError::expired(format!("too old resource version: {requested} ({oldest})"))
        }
        CacheError::TooNew { requested, current } => ApiError::timeout(format!(
            "Too large resource version: {requested}, current: {current}"
        ))
        .with_details(json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1})),
        CacheError::NotReady => ApiError::new(503, "ServiceUnavailable", "the watch cache is not ready"),
        CacheError::Store(e) => ApiError::internal(e.to_string()),
    }
}

impl Rest {
    fn key(&self, def: &ResourceDef, ns: Option<&str>, name: &str) -> String {
        object_key(
            &def.group,
            &def.resource,
            ns.filter(|_| def.namespaced),
            name,
        )
    }

    pub async fn load(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
    ) -> Result<(Value, Revision), ApiError> {
        let key = self.key(def, ns, name);
        let (kv, _) = self
            .store
            .get(&key, None)
            .await
            .map_err(|e| store_err(def, name, e))?;
        let kv = kv.ok_or_else(|| ApiError::not_found(def.target(name)))?;
        let obj = objects::decode(&kv.value, kv.mod_revision)
            .map_err(|e| ApiError::internal(format!("stored object is corrupt: {e}")))?;
        Ok((obj, kv.mod_revision))
    }

    /// The stored object, with its resourceVersion.
    pub async fn get_object(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        Ok(self.load(def, ns, name).await?.0)
    }

    pub async fn get(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Reply, ApiError> {
        let (obj, _) = self.load(def, ns, name).await?;
        Ok(Reply::json(200, with_type(def, &obj)))
    }

    /// Selected objects of a list request, the revision they reflect, and the key of the
    /// last one when the page is not the end.
    pub async fn list(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> Result<Reply, ApiError> {
        let selection = Selection::parse(def, opts)?;
        let prefix = resource_prefix(&def.group, &def.resource, ns.filter(|_| def.namespaced));
        let limit = opts.limit;
        let (items, revision, next) = if let Some(token) = &opts.continue_token {
            let (rv, start) = decode_continue(token)?;
            self.list_from_store(def, &prefix, Some(format!("{prefix}{start}")), rv, limit, &selection)
                .await
                .map_err(|e| match e.code {
                    410 => ApiError::expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to get a consistent list result."),
                    _ => e,
                })?
        } else {
            let rv = opts.resource_version.as_deref().map(parse_rv).transpose()?;
            match (rv, opts.rv_match, limit) {
                // An exact revision, or a paged list at a given revision: read the store
                // at that revision.
                (Some(rv), Some(RvMatch::Exact), _) | (Some(rv), None, Some(_)) if rv > 0 => {
                    self.list_from_store(def, &prefix, None, rv, limit, &selection)
                        .await?
                }
                _ => {
                    // Make the cache at least as new as the request needs: "0" takes
                    // whatever it has, N waits for N, unset waits for the store's
                    // current revision (a consistent read).
                    match rv {
                        Some(0) => {}
                        Some(rv) => self
                            .cache
                            .wait_for(rv, Duration::from_secs(3))
                            .await
                            .map_err(cache_err)?,
                        None => {
                            self.cache.sync().await.map_err(cache_err)?;
                        }
                    }
                    let (all, revision) = self.cache.list(&prefix);
                    let mut items = Vec::new();
                    let mut next = None;
                    let paged = limit.filter(|_| rv != Some(0));
                    for (key, obj) in all {
                        if !selection.matches(&obj) {
                            continue;
                        }
                        if paged.is_some_and(|l| items.len() == l) {
                            next = Some(key_suffix(&prefix, &items_last_key(&items)));
                            break;
                        }
                        items.push((key, obj));
                    }
                    (items, revision, next)
                }
            }
        };
        let mut metadata = Map::new();
        metadata.insert("resourceVersion".into(), json!(revision.to_string()));
        if let Some(next) = next {
            metadata.insert("continue".into(), json!(encode_continue(revision, &next)));
        }
        let list = json!({
            "kind": format!("{}List", def.kind),
            "apiVersion": def.api_version(),
            "metadata": Value::Object(metadata),
            "items": items
                .iter()
                .map(|(_, o)| if def.custom.is_some() { with_type(def, o) } else { list_item(o) })
                .collect::<Vec<_>>(),
        });
        Ok(Reply::json(200, list))
    }

    async fn list_from_store(
        &self,
        def: &ResourceDef,
        prefix: &str,
        start_after: Option<String>,
        rv: Revision,
        limit: Option<usize>,
        selection: &Selection,
    ) -> Result<(Vec<(String, Arc<Value>)>, Revision, Option<String>), ApiError> {
        let mut items = Vec::new();
        let mut start_after = start_after;
        loop {
            let page = self
                .store
                .range(RangeRequest {
                    prefix: prefix.to_string(),
                    start_after: start_after.clone(),
                    limit: Some(limit.map(|l| l + 1).unwrap_or(1000).max(2)),
                    revision: Some(rv),
                })
                .await
                .map_err(|e| match e {
                    StoreError::Compacted { .. } => {
                        ApiError::expired("The resourceVersion for the provided list is too old.")
                    }
                    StoreError::FutureRevision { requested, current } => {
                        cache_err(CacheError::TooNew { requested, current })
                    }
                    other => store_err(def, "", other),
                })?;
            for kv in &page.kvs {
                let obj = objects::decode(&kv.value, kv.mod_revision)
                    .map_err(|e| ApiError::internal(format!("stored object is corrupt: {e}")))?;
                if !selection.matches(&obj) {
                    continue;
                }
                if limit.is_some_and(|l| items.len() == l) {
                    let last = items_last_key(&items);
                    return Ok((items, rv, Some(key_suffix(prefix, &last))));
                }
                items.push((kv.key.clone(), Arc::new(obj)));
            }
            if !page.more {
                return Ok((items, rv, None));
            }
            start_after = page.kvs.last().map(|kv| kv.key.clone());
        }
    }

    pub async fn watch(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: Option<&str>,
        opts: &ListOptions,
    ) -> Result<Reply, ApiError> {
        let mut selection = Selection::parse(def, opts)?;
        if let Some(name) = name {
            selection.require_name(name);
        }
        let prefix = resource_prefix(&def.group, &def.resource, ns.filter(|_| def.namespaced));
        let rv = opts.resource_version.as_deref().map(parse_rv).transpose()?;
        let initial = opts.send_initial_events == Some(true) || matches!(rv, None | Some(0));
        let (tx, rx) = mpsc::channel::<Bytes>(256);
        // Which revision live events start after, and the initial state if asked for.
        let (start, snapshot) = if initial {
            if rv.is_none() {
                self.cache.sync().await.map_err(cache_err)?;
            } else if let Some(rv) = rv.filter(|r| *r > 0) {
                self.cache
                    .wait_for(rv, Duration::from_secs(3))
                    .await
                    .map_err(cache_err)?;
            }
            let (items, revision) = self.cache.list(&prefix);
            (revision, Some(items))
        } else {
            let rv = rv.unwrap_or(0);
            if let Err(e) = self.cache.wait_for(rv, Duration::from_secs(3)).await {
                return Err(cache_err(e));
            }
            (rv, None)
        };
        let sub = match self.cache.subscribe(&prefix, start) {
            Ok(sub) => sub,
            Err(CacheError::TooOld { requested, oldest }) => {
                // kube answers 200 and ends the stream with an ERROR event.
                let status = cache_err(CacheError::TooOld { requested, oldest }).to_status();
                let line = json!({"type": "ERROR", "object": status});
                let _ = tx.try_send(Bytes::from(format!("{line}\n")));
                return Ok(Reply::Watch(rx));
            }
            Err(e) => return Err(cache_err(e)),
        };
        let def = def.clone();
        let send_bookmarks = opts.allow_bookmarks;
        let initial_end_bookmark = opts.send_initial_events == Some(true);
        let timeout = Duration::from_secs(opts.timeout_seconds.unwrap_or(1800).max(1));
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + timeout;
            let mut last_rev = start;
            let send = |tx: &mpsc::Sender<Bytes>, kind: &str, obj: Value| {
                let line = json!({"type": kind, "object": obj});
                let tx = tx.clone();
                async move { tx.send(Bytes::from(format!("{line}\n"))).await.is_ok() }
            };
            if let Some(items) = snapshot {
                for (_, obj) in items {
                    if selection.matches(&obj) && !send(&tx, "ADDED", with_type(&def, &obj)).await {
                        return;
                    }
                }
                if initial_end_bookmark {
                    let bm = bookmark(&def, start, true);
                    if !send(&tx, "BOOKMARK", bm).await {
                        return;
                    }
                }
            }
            for ev in sub.replay {
                if let Some(line) = event_line(&def, &selection, &ev) {
                    last_rev = ev.revision;
                    if tx.send(line).await.is_err() {
                        return;
                    }
                }
            }
            let mut live = sub.live;
            let bookmark_every = Duration::from_secs(30);
            // A last bookmark shortly before the timeout, as kube does.
            let final_bookmark_at = deadline.checked_sub(Duration::from_secs(1));
            let mut next_bookmark = tokio::time::Instant::now() + bookmark_every;
            if let Some(f) = final_bookmark_at {
                next_bookmark = next_bookmark.min(f);
            }
            loop {
                tokio::select! {
                    ev = live.recv() => {
                        let Some(ev) = ev else { return };
                        last_rev = last_rev.max(ev.revision);
                        if let Some(line) = event_line(&def, &selection, &ev) {
                            if tx.send(line).await.is_err() {
                                return;
                            }
                        }
                    }
                    _ = tokio::time::sleep_until(next_bookmark) => {
                        if send_bookmarks && !send(&tx, "BOOKMARK", bookmark(&def, last_rev, false)).await {
                            return;
                        }
                        next_bookmark = (tokio::time::Instant::now() + bookmark_every).min(deadline + Duration::from_secs(60));
                        if final_bookmark_at.is_some_and(|f| tokio::time::Instant::now() >= f) {
                            next_bookmark = deadline + Duration::from_secs(60);
                        }
                    }
                    _ = tokio::time::sleep_until(deadline) => return,
                    _ = tx.closed() => return,
                }
            }
        });
        Ok(Reply::Watch(rx))
    }

    /// A namespace as the watch cache has it, or from the store when the cache has not
    /// seen it yet (just created): kube's NamespaceLifecycle reads its informer the
    /// same way, with a live lookup as the fallback.
    pub(crate) async fn namespace_object(&self, ns: &str) -> Result<Option<Value>, ApiError> {
        let key = object_key("", "namespaces", None, ns);
        if let (Some(obj), _) = self.cache.get(&key) {
            return Ok(Some((*obj).clone()));
        }
        let (kv, _) = self
            .store
            .get(&key, None)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        kv.map(|kv| objects::decode(&kv.value, kv.mod_revision))
            .transpose()
            .map_err(|e| ApiError::internal(format!("stored namespace is corrupt: {e}")))
    }

    async fn check_namespace_for_create(
        &self,
        def: &ResourceDef,
        ns: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        let ns_def = Target {
            group: "",
            resource: "namespaces",
            name: ns,
        };
        let obj = self
            .namespace_object(ns)
            .await?
            .ok_or_else(|| ApiError::not_found(ns_def))?;
        let terminating = obj.pointer("/metadata/deletionTimestamp").is_some()
            || obj.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating");
        if terminating {
            return Err(ApiError::forbidden(
                def.target(name),
                &format!("unable to create new content in namespace {ns} because it is being terminated"),
            )
            .with_details(json!({
                "name": name,
                "kind": def.resource,
                "causes": [{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}],
            })));
        }
        Ok(obj)
    }

    /// Checks kind/apiVersion and namespace of a body against the request, filling in
    /// what the body leaves out.
    fn check_body_type(
        &self,
        def: &ResourceDef,
        obj: &mut Value,
        ns: Option<&str>,
    ) -> Result<(), ApiError> {
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if (!kind.is_empty() && kind != def.kind)
            || (!api_version.is_empty() && api_version != def.api_version())
        {
            let shown_version = if api_version.is_empty() {
                def.api_version()
            } else {
                api_version.clone()
            };
            let v = shown_version.rsplit('/').next().unwrap_or(&shown_version);
            let body_kind = if kind.is_empty() {
                def.kind.clone()
            } else {
                kind.clone()
            };
            let why = if self.discovery.kind_known(&shown_version, &body_kind) {
                let internal_group = if def.group.is_empty() {
                    "core"
                } else {
                    def.group.split('.').next().unwrap_or("")
                };
                format!(
                    "converting ({v}.{body_kind}) to ({internal_group}.{}): unknown conversion",
                    def.kind
                )
            } else {
                format!("no kind \"{body_kind}\" is registered for version \"{shown_version}\" in scheme \"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30\"")
            };
            return Err(ApiError::bad_request(format!(
                "{body_kind} in version \"{v}\" cannot be handled as a {}: {why}",
                def.kind
            )));
        }
        obj["kind"] = json!(def.kind);
        obj["apiVersion"] = json!(def.api_version());
        let meta = meta_mut(obj)?;
        if def.namespaced {
            match (meta.get("namespace").and_then(Value::as_str), ns) {
                (Some(body_ns), Some(path_ns)) if !body_ns.is_empty() && body_ns != path_ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ))
                }
                _ => {}
            }
            if let Some(ns) = ns {
                meta.insert("namespace".into(), json!(ns));
            }
        } else {
            meta.remove("namespace");
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        body: &[u8],
        media: MediaType,
        query: &HashMap<String, String>,
        user: Option<&crate::auth::UserInfo>,
        manager: &str,
    ) -> Result<Reply, ApiError> {
        let validation = field_validation(query, "CreateOptions")?;
        let (mut obj, warnings) = decode_typed(def, body, media, validation)?;
        self.check_body_type(def, &mut obj, ns)?;
        check_typed_decode(def, &obj)?;
        if let Some(answer) = crate::admission::review(self, def, &obj, user) {
            return Ok(Reply::json(201, answer));
        }
        let dry_run = dry_run(query)?;
        let write = WriteMeta {
            manager,
            subresource: None,
            apply: false,
        };
        self.create_object(def, ns, obj, warnings, dry_run, write)
            .await
    }

    /// Stores a new decoded object: server-set metadata, defaults, admission,
    /// allocation, managed fields (unless a server-side apply already wrote them).
    pub async fn create_object(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        mut obj: Value,
        mut warnings: Vec<String>,
        dry_run: bool,
        write: WriteMeta<'_>,
    ) -> Result<Reply, ApiError> {
        {
            let meta = meta_mut(&mut obj)?;
            if meta
                .get("resourceVersion")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
            {
                return Err(ApiError::new(
                    500,
                    "",
                    "resourceVersion should not be set on objects to be created",
                ));
            }
            let name = meta
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if name.is_empty() {
                if let Some(prefix) = meta
                    .get("generateName")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                {
                    let generated = format!("{prefix}{}", random_suffix(5));
                    meta.insert("name".into(), json!(generated));
                }
            }
            meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
            meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
            meta.remove("deletionTimestamp");
            meta.remove("deletionGracePeriodSeconds");
            if def.tracks_generation() {
                meta.insert("generation".into(), json!(1));
            } else {
                meta.remove("generation");
            }
        }
        let name = objects::meta_str(&obj, "name").unwrap_or("").to_string();
        if name.is_empty() {
            return Err(crate::admission::name_required(def));
        }
        if def.custom.as_ref().is_some_and(|c| c.terminating) {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                "create not allowed while custom resource definition is terminating",
            ));
        }
        crate::admission::prepare_create(def, &mut obj)?;
        if let Some(ns) = ns.filter(|_| def.namespaced) {
            crate::quota::default_limits(self, def, ns, &mut obj).await?;
        }
        crate::admission::validate_create(def, &obj)?;
        crate::podsecurity::validate_namespace(def, &name, &obj, None, None)?;
        self.authz.check_rbac_write(def, &obj)?;
        if def.namespaced {
            let ns = ns.ok_or_else(ApiError::method_not_allowed)?;
            let namespace = self.check_namespace_for_create(def, ns, &name).await?;
            crate::quota::check_limits(self, def, ns, &name, &obj).await?;
            warnings.extend(crate::podsecurity::admit_create(
                def, &namespace, &name, &obj,
            )?);
            crate::quota::charge(self, def, ns, &name, &obj, dry_run).await?;
        }
        if is_service(def) {
            self.services
                .allocate(self, None, &mut obj, dry_run)
                .await?;
        }
        record_managed_fields(def, None, &mut obj, write)?;
        if dry_run {
            return Ok(Reply::Json {
                status: 201,
                body: obj,
                warnings,
            });
        }
        let key = self.key(def, ns, &name);
        let kv = self
            .store
            .create(&key, Bytes::from(objects::encode(&obj)))
            .await
            .map_err(|e| store_err(def, &name, e))?;
        objects::set_resource_version(&mut obj, kv.mod_revision);
        Ok(Reply::Json {
            status: 201,
            body: obj,
            warnings,
        })
    }

    /// Replaces an object (PUT), or its status (PUT .../status).
    #[allow(clippy::too_many_arguments)]
    pub async fn update(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
        subresource: Option<&str>,
        body: &[u8],
        media: MediaType,
        query: &HashMap<String, String>,
        manager: &str,
    ) -> Result<Reply, ApiError> {
        let validation = field_validation(query, "UpdateOptions")?;
        let (mut obj, warnings) = decode_typed(def, body, media, validation)?;
        self.check_body_type(def, &mut obj, ns)?;
        check_typed_decode(def, &obj)?;
        let body_name = objects::meta_str(&obj, "name").unwrap_or("").to_string();
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        meta_mut(&mut obj)?.insert("name".into(), json!(name));
        let precondition = objects::resource_version(&obj).map(str::to_string);
        if def.custom.is_some() && precondition.is_none() {
            // Custom resources do not allow unconditional updates.
            return Err(crate::admission::invalid(
                def,
                name,
                &[FieldError::invalid(
                    "metadata.resourceVersion",
                    json!(0),
                    "must be specified for an update",
                )],
            ));
        }
        let dry_run = dry_run(query)?;
        let write = WriteMeta {
            manager,
            subresource,
            apply: false,
        };
        self.guaranteed_update(
            def,
            ns,
            name,
            precondition.as_deref(),
            dry_run,
            write,
            |current| Ok(merge_for_update(def, current, obj.clone(), subresource)),
        )
        .await
        .map(|o| Reply::Json {
            status: 200,
            body: o,
            warnings,
        })
    }

    /// Read-modify-write with compare-and-swap, retried on conflicts when the caller
    /// did not pin a resourceVersion.
    #[allow(clippy::too_many_arguments)]
    pub async fn guaranteed_update<F>(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
        precondition: Option<&str>,
        dry_run: bool,
        write: WriteMeta<'_>,
        mut mutate: F,
    ) -> Result<Value, ApiError>
    where
        F: FnMut(&Value) -> Result<Value, ApiError>,
    {
        let key = self.key(def, ns, name);
        for _ in 0..16 {
            let (current, rev) = self.load(def, ns, name).await?;
            if let Some(pre) = precondition {
                if pre != rev.to_string() {
                    return Err(ApiError::modified_conflict(def.target(name)));
                }
            }
            let mut next = mutate(&current)?;
            // Defaulting runs on every decoded object, as in kube-apiserver: an update
            // or apply that omits a defaulted field (a claim template's apiVersion, a
            // port's protocol) must not read as a change of it.
            if def.custom.is_none() {
                if crate::crd::is_crd_def(def) {
                    crate::crd::default_crd(&mut next);
                }
                vnest_api::defaults::apply_update_defaults(
                    &def.group,
                    &def.version,
                    &def.kind,
                    &mut next,
                );
            }
            if is_service(def) {
                self.services
                    .allocate(self, Some(&current), &mut next, dry_run)
                    .await?;
            }
            let next_name = objects::meta_str(&next, "name").unwrap_or("").to_string();
            if next_name != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({next_name}) does not match the name on the URL ({name})"
                )));
            }
            finish_update(def, &current, &mut next)?;
            record_managed_fields(def, Some(&current), &mut next, write)?;
            // A binding only sets the node (the one spec change pods allow it).
            if write.subresource != Some("binding") {
                crate::admission::validate_update(def, &current, &next)?;
            }
            crate::podsecurity::admit_update(
                self,
                def,
                ns,
                name,
                &current,
                &next,
                write.subresource,
            )
            .await?;
            if next != current {
                self.authz.check_rbac_write(def, &next)?;
            }
            if next == current || changes_only_managed_times(&current, &next) {
                // No-op updates do not write (kube keeps the resourceVersion and the
                // managedFields times).
                return Ok(with_type(def, &current));
            }
            if dry_run {
                return Ok(with_type(def, &next));
            }
            // Finalizers gone from an object being deleted: it goes now.
            if ready_to_go(def, &next) {
                return match self.store.delete(&key, Some(rev)).await {
                    Ok((_, del_rev)) => {
                        objects::set_resource_version(&mut next, del_rev);
                        Ok(with_type(def, &next))
                    }
                    Err(StoreError::Conflict { .. }) if precondition.is_none() => continue,
                    Err(e) => Err(store_err(def, name, e)),
                };
            }
            match self
                .store
                .update(&key, Bytes::from(objects::encode(&next)), rev)
                .await
            {
                Ok(kv) => {
                    objects::set_resource_version(&mut next, kv.mod_revision);
                    return Ok(with_type(def, &next));
                }
                Err(StoreError::Conflict { .. }) if precondition.is_none() => continue,
                Err(e) => return Err(store_err(def, name, e)),
            }
        }
        Err(ApiError::modified_conflict(def.target(name)))
    }

    pub async fn delete(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
        body: &[u8],
        query: &HashMap<String, String>,
    ) -> Result<Reply, ApiError> {
        let options: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!("the body of the request could not be decoded: {e}"))
            })?
        };
        let dry_run = dry_run(query)?
            || options
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v == "All"));
        let propagation = query.get("propagationPolicy").cloned().or_else(|| {
            options
                .get("propagationPolicy")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if let Some(p) = &propagation {
            if !matches!(p.as_str(), "Orphan" | "Background" | "Foreground") {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    format!("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""),
                )
                .with_details(json!({"group": "meta.k8s.io", "kind": "DeleteOptions", "causes": [{"reason": "FieldValueNotSupported", "message": format!("Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""), "field": "propagationPolicy"}]})));
            }
        }
        if def.group.is_empty()
            && def.resource == "namespaces"
            && PROTECTED_NAMESPACES.contains(&name)
        {
            return Err(ApiError::forbidden(
                def.target(name),
                "this namespace may not be deleted",
            ));
        }
        let key = self.key(def, ns, name);
        for _ in 0..16 {
            let (current, rev) = self.load(def, ns, name).await?;
            if let Some(pre) = options.get("preconditions") {
                if let Some(uid) = pre.get("uid").and_then(Value::as_str) {
                    let actual = objects::meta_str(&current, "uid").unwrap_or("");
                    if uid != actual {
                        return Err(ApiError::new(
                            409,
                            "Conflict",
                            format!("Operation cannot be fulfilled on {} \"{name}\": the UID in the precondition ({uid}) does not match the UID in record ({actual}). The object might have been deleted and then recreated", def.kind),
                        )
                        .with_details(json!({"name": name, "group": def.group, "kind": def.kind})));
                    }
                }
                if let Some(prv) = pre.get("resourceVersion").and_then(Value::as_str) {
                    if prv != rev.to_string() {
                        return Err(ApiError::new(
                            409,
                            "Conflict",
                            format!("Operation cannot be fulfilled on {} \"{name}\": the ResourceVersion in the precondition ({prv}) does not match the ResourceVersion in record ({rev}). The object might have been modified", def.kind),
                        )
                        .with_details(json!({"name": name, "group": def.group, "kind": def.kind})));
                    }
                }
            }
            // Graceful paths: keep the object, mark it, let finalizers or controllers
            // finish the job.
            let mut marked = current.clone();
            let mut graceful = !finalizers(&current).is_empty();
            let mut add_finalizer = None;
            if propagation.as_deref() == Some("Foreground") {
                add_finalizer = Some("foregroundDeletion");
            } else if propagation.as_deref() == Some("Orphan") {
                add_finalizer = Some("orphan");
            }
            if crate::crd::is_crd_def(def) && !is_being_deleted(&current) {
                add_finalizer = Some(crate::crd::CLEANUP_FINALIZER);
            }
            if add_finalizer.is_some() {
                graceful = true;
            }
            let is_namespace = def.group.is_empty() && def.resource == "namespaces";
            if is_namespace {
                graceful = true;
            }
            // A pod on a node gets its grace period: the node stops it, then deletes
            // it. One that never reached a node goes at once, as in kube.
            let pod_grace = pod_grace_period(def, &current, &options);
            if pod_grace > 0 {
                graceful = true;
            }
            if !graceful {
                if dry_run {
                    return Ok(Reply::json(
                        200,
                        success_status(def.target(name), objects::meta_str(&current, "uid")),
                    ));
                }
                match self.store.delete(&key, Some(rev)).await {
                    Ok((_, del_rev)) => {
                        let mut last = with_type(def, &current);
                        objects::set_resource_version(&mut last, del_rev);
                        return Ok(Reply::json(200, deleted_reply(def, name, &current, last)));
                    }
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(store_err(def, name, e)),
                }
            }
            {
                let meta = meta_mut(&mut marked)?;
                if !meta.contains_key("deletionTimestamp") {
                    let at = chrono::Utc::now() + chrono::Duration::seconds(pod_grace);
                    meta.insert(
                        "deletionTimestamp".into(),
                        json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    );
                    meta.insert("deletionGracePeriodSeconds".into(), json!(pod_grace));
                }
                if let Some(f) = add_finalizer {
                    let list = meta.entry("finalizers").or_insert_with(|| json!([]));
                    if let Some(arr) = list.as_array_mut() {
                        if !arr.iter().any(|v| v == f) {
                            arr.push(json!(f));
                        }
                    }
                }
            }
            if is_namespace {
                marked["status"] = json!({"phase": "Terminating"});
            }
            if dry_run {
                return Ok(Reply::json(200, with_type(def, &marked)));
            }
            if marked == current {
                return Ok(Reply::json(200, with_type(def, &current)));
            }
            match self
                .store
                .update(&key, Bytes::from(objects::encode(&marked)), rev)
                .await
            {
                Ok(kv) => {
                    objects::set_resource_version(&mut marked, kv.mod_revision);
                    // kube answers 202 Accepted when the object is only marked for
                    // deletion, except for namespaces (200, recorded).
                    let status = if is_namespace { 200 } else { 202 };
                    return Ok(Reply::json(status, with_type(def, &marked)));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(store_err(def, name, e)),
            }
        }
        Err(ApiError::modified_conflict(def.target(name)))
    }

    pub async fn delete_collection(
        &self,
        def: &ResourceDef,
        ns: Option<&str>,
        opts: &ListOptions,
        body: &[u8],
        query: &HashMap<String, String>,
    ) -> Result<Reply, ApiError> {
        let selection = Selection::parse(def, opts)?;
        let prefix = resource_prefix(&def.group, &def.resource, ns.filter(|_| def.namespaced));
        self.cache.sync().await.map_err(cache_err)?;
        let (items, revision) = self.cache.list(&prefix);
        let mut deleted = Vec::new();
        for (_, obj) in items {
            if !selection.matches(&obj) {
                continue;
            }
            let name = objects::meta_str(&obj, "name").unwrap_or("").to_string();
            let obj_ns = objects::meta_str(&obj, "namespace").map(str::to_string);
            match self
                .delete(def, obj_ns.as_deref(), &name, body, query)
                .await
            {
                Ok(_) => deleted.push(list_item(&obj)),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Reply::json(
            200,
            json!({
                "kind": format!("{}List", def.kind),
                "apiVersion": def.api_version(),
                "metadata": {"resourceVersion": revision.to_string()},
                "items": deleted,
            }),
        ))
    }

    /// GET/PUT/PATCH of `/scale`: an autoscaling/v1 Scale view of spec.replicas.
    pub fn scale_of(obj: &Value) -> Value {
        let selector = obj
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .map(|m| {
                let mut pairs: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect();
                pairs.sort();
                pairs.join(",")
            })
            .or_else(|| {
                obj.pointer("/spec/selector")
                    .and_then(Value::as_object)
                    .map(|m| {
                        let mut pairs: Vec<String> = m
                            .iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                            .collect();
                        pairs.sort();
                        pairs.join(",")
                    })
            })
            .unwrap_or_default();
        let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
        let mut scale_meta = Map::new();
        for k in [
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "creationTimestamp",
        ] {
            if let Some(v) = meta.get(k) {
                scale_meta.insert(k.into(), v.clone());
            }
        }
        json!({
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": Value::Object(scale_meta),
            "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
            "status": {
                "replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
                "selector": selector,
            },
        })
    }
}

fn is_service(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.resource == "services"
}

fn items_last_key(items: &[(String, Arc<Value>)]) -> String {
    items.last().map(|(k, _)| k.clone()).unwrap_or_default()
}

fn key_suffix(prefix: &str, key: &str) -> String {
    key.strip_prefix(prefix).unwrap_or(key).to_string()
}

fn bookmark(def: &ResourceDef, rev: Revision, initial_events_end: bool) -> Value {
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(rev.to_string()));
    if initial_events_end {
        meta.insert(
            "annotations".into(),
            json!({"k8s.io/initial-events-end": "true"}),
        );
    }
    json!({"kind": def.kind, "apiVersion": def.api_version(), "metadata": Value::Object(meta)})
}

/// Decodes a create/update body the way kube's typed decoder does: syntax errors with
/// kube's wording, duplicate and unknown fields per `fieldValidation` (Strict: 400,
/// Warn: warnings), unknown fields dropped. Returns the object and the warnings.
fn decode_typed(
    def: &ResourceDef,
    body: &[u8],
    media: MediaType,
    validation: vnest_api::patch::FieldValidation,
) -> Result<(Value, Vec<String>), ApiError> {
    use vnest_api::fields::{self, FieldsError};
    if let Some(cr) = &def.custom {
        return decode_custom(def, cr, body, media, validation);
    }
    let definition = vnest_api::patch::PatchSchema::builtin().definition_for(
        &def.group,
        &def.version,
        &def.kind,
    );
    match media {
        MediaType::Protobuf => {
            let mut obj = crate::body::decode_protobuf(body, &def.api_version(), &def.kind)?;
            if let Some(d) = definition {
                fields::prune_unknown(d, &mut obj);
            }
            Ok((obj, Vec::new()))
        }
        _ => match fields::decode_object(body, media == MediaType::Yaml, definition, validation) {
            Ok(decoded) => Ok((decoded.object, decoded.warnings)),
            Err(FieldsError::Strict(errors)) => {
                let body_kind = serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| def.kind.clone());
                Err(ApiError::bad_request(fields::strict_decoding_message(
                    &body_kind,
                    &def.version,
                    &errors,
                )))
            }
            // Syntax errors: kube's decoder wording comes from our own decoder.
            Err(_) => decode_object(body, media, &def.kind).map(|v| (v, Vec::new())),
        },
    }
}

/// Custom objects: JSON or YAML only; unknown fields are pruned by the schema and
/// reported per `fieldValidation`; schema defaults are applied.
fn decode_custom(
    def: &ResourceDef,
    cr: &crate::crd::CustomResource,
    body: &[u8],
    media: MediaType,
    validation: vnest_api::patch::FieldValidation,
) -> Result<(Value, Vec<String>), ApiError> {
    use vnest_api::fields::{self, FieldsError};
    use vnest_api::patch::FieldValidation;
    if media == MediaType::Protobuf {
        return Err(ApiError::unsupported_media_type(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
        ));
    }
    let (mut obj, mut warnings) =
        match fields::decode_object(body, media == MediaType::Yaml, None, validation) {
            Ok(decoded) => (decoded.object, decoded.warnings),
            Err(FieldsError::Strict(errors)) => {
                return Err(ApiError::bad_request(fields::strict_decoding_message(
                    &def.kind,
                    &def.version,
                    &errors,
                )))
            }
            Err(_) => (decode_object(body, media, &def.kind)?, Vec::new()),
        };
    let findings = crate::crd::prune(cr, &mut obj);
    match validation {
        FieldValidation::Strict if !findings.is_empty() => {
            return Err(ApiError::bad_request(fields::strict_decoding_message(
                &def.kind,
                &def.version,
                &findings,
            )))
        }
        FieldValidation::Warn => warnings.extend(findings),
        _ => {}
    }
    crate::crd::default(cr, &mut obj);
    Ok((obj, warnings))
}

/// The `fieldValidation` query parameter (unset means Warn, as in kube-apiserver).
pub fn field_validation(
    query: &HashMap<String, String>,
    options_kind: &str,
) -> Result<vnest_api::patch::FieldValidation, ApiError> {
    use vnest_api::patch::FieldValidation;
    match query.get("fieldValidation").map(String::as_str) {
        None | Some("") => Ok(FieldValidation::Warn),
        Some(v) => FieldValidation::parse(v).ok_or_else(|| {
            let msg = format!("Unsupported value: \"{v}\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
            ApiError::new(
                422,
                "Invalid",
                format!("{options_kind}.meta.k8s.io \"\" is invalid: fieldValidation: {msg}"),
            )
            .with_details(json!({"group": "meta.k8s.io", "kind": options_kind, "causes": [{"reason": "FieldValueNotSupported", "message": msg, "field": "fieldValidation"}]}))
        }),
    }
}

/// Decoding checks that kube's typed decoder makes and a JSON value does not: Secret
/// data must be base64.
fn check_typed_decode(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    use base64::Engine;
    if def.group.is_empty() && def.kind == "Secret" {
        if let Some(data) = obj.get("data").and_then(Value::as_object) {
            for v in data.values() {
                if let Some(text) = v.as_str() {
                    if let Err(e) = base64::engine::general_purpose::STANDARD.decode(text) {
                        return Err(ApiError::bad_request(format!(
                            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte {}",
                            base64_error_offset(&e, text)
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

fn dry_run(query: &HashMap<String, String>) -> Result<bool, ApiError> {
    match query.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::new(
            422,
            "Invalid",
            format!("CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"{other}\"]: supported values: \"All\""),
        )),
    }
}

/// `dryRun=All` (invalid values are caught by the verbs that parse it strictly).
pub fn is_dry_run(query: &HashMap<String, String>) -> bool {
    query.get("dryRun").is_some_and(|v| v == "All")
}

/// The grace period a pod deletion waits for, 0 for an immediate delete: the
/// DeleteOptions' gracePeriodSeconds, else the pod's terminationGracePeriodSeconds
/// (default 30); always 0 for pods that are not on a node.
fn pod_grace_period(def: &ResourceDef, pod: &Value, options: &Value) -> i64 {
    if !(def.group.is_empty() && def.resource == "pods") {
        return 0;
    }
    let on_node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let finished = matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    if !on_node || finished {
        return 0;
    }
    options
        .get("gracePeriodSeconds")
        .and_then(Value::as_i64)
        .or_else(|| {
            pod.pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
        })
        .unwrap_or(30)
        .max(0)
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_being_deleted(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp").is_some()
}

/// An object being deleted goes once no finalizer holds it; a namespace also waits
/// for its spec.finalizers (the namespace controller's "kubernetes").
fn ready_to_go(def: &ResourceDef, obj: &Value) -> bool {
    let spec_finalizers_done = !(def.group.is_empty() && def.resource == "namespaces")
        || obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty());
    is_being_deleted(obj) && finalizers(obj).is_empty() && spec_finalizers_done
}

/// The reply to a delete that removed the object: kube returns the object for most
/// resources and a Success Status for the rest.
fn deleted_reply(def: &ResourceDef, name: &str, current: &Value, last: Value) -> Value {
    let returns_status = matches!(
        (def.group.as_str(), def.resource.as_str()),
        ("", "configmaps")
            | ("", "secrets")
            | ("", "endpoints")
            | ("", "events")
            | ("", "serviceaccounts")
            | ("", "limitranges")
            | ("", "podtemplates")
    );
    if returns_status {
        success_status(def.target(name), objects::meta_str(current, "uid"))
    } else {
        last
    }
}

/// Builds the object an update stores: the body, with server-owned metadata kept from
/// the current object, and the status/spec split of resources with a status
/// subresource.
fn merge_for_update(
    def: &ResourceDef,
    current: &Value,
    mut body: Value,
    subresource: Option<&str>,
) -> Value {
    if crate::crd::is_crd_def(def) && subresource.is_none() {
        crate::crd::default_crd(&mut body);
        vnest_api::crd::prepare_for_update(&mut body, current);
    }
    if def.has_status_subresource() {
        match subresource {
            Some("status") => {
                // Only status changes through /status.
                let mut next = current.clone();
                next["status"] = body.get("status").cloned().unwrap_or(Value::Null);
                if next["status"].is_null() {
                    if let Some(m) = next.as_object_mut() {
                        m.remove("status");
                    }
                }
                // Labels/annotations may change through status too; kube keeps meta from
                // the body for those.
                return next;
            }
            _ => match current.get("status") {
                Some(s) => body["status"] = s.clone(),
                None => {
                    if let Some(m) = body.as_object_mut() {
                        m.remove("status");
                    }
                }
            },
        }
    }
    body
}

/// Records the write in metadata.managedFields (operation Update), as kube does.
/// Whether `next` differs from `current` in nothing but the `time` of managedFields
/// entries: what an apply or update that changes nothing produces a second later.
fn changes_only_managed_times(current: &Value, next: &Value) -> bool {
    fn same_except(
        a: &Value,
        b: &Value,
        skip: &dyn Fn(&str, &Value, &Value) -> Option<bool>,
    ) -> bool {
        match (a.as_object(), b.as_object()) {
            (Some(a), Some(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, av)| {
                        b.get(k)
                            .is_some_and(|bv| skip(k, av, bv).unwrap_or(av == bv))
                    })
            }
            _ => a == b,
        }
    }
    let entry = |k: &str, a: &Value, b: &Value| Some(k == "time" || a == b);
    let managed = |k: &str, a: &Value, b: &Value| {
        (k == "managedFields").then(|| match (a.as_array(), b.as_array()) {
            (Some(a), Some(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_except(x, y, &entry))
            }
            _ => a == b,
        })
    };
    let metadata =
        |k: &str, a: &Value, b: &Value| (k == "metadata").then(|| same_except(a, b, &managed));
    same_except(current, next, &metadata)
}

fn record_managed_fields(
    def: &ResourceDef,
    old: Option<&Value>,
    new: &mut Value,
    write: WriteMeta<'_>,
) -> Result<(), ApiError> {
    if write.apply {
        return Ok(());
    }
    let definition = vnest_api::patch::PatchSchema::builtin().definition_for(
        &def.group,
        &def.version,
        &def.kind,
    );
    let source = match def.custom.as_ref().and_then(|c| c.managed_types.as_ref()) {
        Some(t) => vnest_api::managed::TypeSource::Custom(t),
        None => vnest_api::managed::TypeSource::Builtin(definition),
    };
    let entries = vnest_api::managed::update_managed_fields_typed(
        old,
        new,
        source,
        write.manager,
        &def.api_version(),
        write.subresource,
        def.has_status_subresource(),
        &now_rfc3339(),
    );
    let meta = meta_mut(new)?;
    match entries {
        Value::Array(list) if list.is_empty() => {
            meta.remove("managedFields");
        }
        list => {
            meta.insert("managedFields".into(), list);
        }
    }
    Ok(())
}

/// Server-owned metadata survives any update; generation follows spec changes.
fn finish_update(def: &ResourceDef, current: &Value, next: &mut Value) -> Result<(), ApiError> {
    let cur_meta = current.get("metadata").cloned().unwrap_or(json!({}));
    let spec_changed = if def.custom.as_ref().is_some_and(|c| !c.status_subresource) {
        // Without a status subresource every non-metadata change is a new generation.
        let body = |o: &Value| {
            let mut o = o.clone();
            if let Some(m) = o.as_object_mut() {
                m.remove("metadata");
            }
            o
        };
        body(current) != body(next)
    } else {
        spec_of(current) != spec_of(next)
    };
    let meta = meta_mut(next)?;
    for k in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "namespace",
    ] {
        match cur_meta.get(k) {
            Some(v) => {
                meta.insert(k.into(), v.clone());
            }
            None => {
                meta.remove(k);
            }
        }
    }
    meta.remove("resourceVersion");
    if let Some(rv) = cur_meta.get("resourceVersion") {
        meta.insert("resourceVersion".into(), rv.clone());
    }
    if def.tracks_generation() {
        let g = cur_meta
            .get("generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        meta.insert(
            "generation".into(),
            json!(if spec_changed { g + 1 } else { g }),
        );
    } else {
        meta.remove("generation");
    }
    if meta.get("managedFields").is_none() {
        if let Some(mf) = cur_meta.get("managedFields") {
            meta.insert("managedFields".into(), mf.clone());
        }
    }
    Ok(())
}

/// Watch events as a selection-aware client sees them (kube's filtered watch):
/// an object that stops matching is DELETED, one that starts matching is ADDED.
/// The watch event type a watcher with `selection` sees for `ev`, and whether it
/// carries the event's own object (else [`translate_event`] builds it).
pub fn event_kind(selection: &Selection, ev: &CacheEvent) -> Option<(&'static str, bool)> {
    let now = selection.matches(&ev.object);
    let before = ev.prev.as_ref().is_some_and(|p| selection.matches(p));
    match ev.kind {
        WatchEventType::Added if now => Some(("ADDED", true)),
        WatchEventType::Modified if now && before => Some(("MODIFIED", true)),
        WatchEventType::Modified if now => Some(("ADDED", true)),
        WatchEventType::Modified if before => Some(("DELETED", false)),
        WatchEventType::Deleted if now || before => Some(("DELETED", true)),
        _ => None,
    }
}

/// One line of a watch stream: `{"type":KIND,"object":OBJECT}` and a newline, the
/// object already encoded.
pub fn watch_line(kind: &str, object: &[u8]) -> Bytes {
    let mut line = Vec::with_capacity(object.len() + 32);
    line.extend_from_slice(b"{\"type\":\"");
    line.extend_from_slice(kind.as_bytes());
    line.extend_from_slice(b"\",\"object\":");
    line.extend_from_slice(object);
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

/// The watch line for `ev` as a watcher with `selection` sees it, the object encoded
/// once for all watchers of the same apiVersion.
pub fn event_line(def: &ResourceDef, selection: &Selection, ev: &CacheEvent) -> Option<Bytes> {
    let (kind, own) = event_kind(selection, ev)?;
    if own {
        let encoded = ev.encoded_for(&def.api_version(), || {
            Bytes::from(serde_json::to_vec(&with_type(def, &ev.object)).unwrap_or_default())
        });
        return Some(watch_line(kind, &encoded));
    }
    let (kind, obj) = translate_event(selection, ev)?;
    let encoded = serde_json::to_vec(&with_type(def, &obj)).unwrap_or_default();
    Some(watch_line(kind, &encoded))
}

pub fn translate_event(selection: &Selection, ev: &CacheEvent) -> Option<(&'static str, Value)> {
    let now = selection.matches(&ev.object);
    let before = ev.prev.as_ref().is_some_and(|p| selection.matches(p));
    match ev.kind {
        WatchEventType::Added if now => Some(("ADDED", (*ev.object).clone())),
        WatchEventType::Modified if now && before => Some(("MODIFIED", (*ev.object).clone())),
        WatchEventType::Modified if now => Some(("ADDED", (*ev.object).clone())),
        WatchEventType::Modified if before => {
            // Left the selection: the last object that matched is reported deleted,
            // carrying the new resourceVersion.
            let mut obj = (*ev.object).clone();
            objects::set_resource_version(&mut obj, ev.revision);
            Some(("DELETED", obj))
        }
        WatchEventType::Deleted if now || before => Some(("DELETED", (*ev.object).clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_update_that_only_moves_managed_times_is_no_change() {
        let at = |t: &str, label: &str| {
            json!({"kind": "ServiceAccount", "metadata": {"name": "a", "labels": {"x": label},
                "managedFields": [{"manager": "vnest", "operation": "Apply", "time": t,
                                   "fieldsV1": {"f:metadata": {}}}]}})
        };
        assert!(super::changes_only_managed_times(
            &at("t1", "1"),
            &at("t2", "1")
        ));
        assert!(!super::changes_only_managed_times(
            &at("t1", "1"),
            &at("t2", "2")
        ));
        let mut other_manager = at("t1", "1");
        other_manager["metadata"]["managedFields"][0]["manager"] = json!("kubectl");
        assert!(!super::changes_only_managed_times(
            &at("t1", "1"),
            &other_manager
        ));
        let mut more = at("t1", "1");
        more["spec"] = json!({});
        assert!(!super::changes_only_managed_times(&at("t1", "1"), &more));
    }

    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let t = encode_continue(42, "default/web");
        assert_eq!(
            decode_continue(&t).unwrap(),
            (42, "default/web".to_string())
        );
        let e = decode_continue("not-a-valid-token").unwrap_err();
        assert_eq!(e.code, 400);
        assert!(
            e.message
                .starts_with("invalid continue token: continue key is not valid"),
            "{}",
            e.message
        );
    }

    fn cm_def() -> ResourceDef {
        ResourceDef {
            group: String::new(),
            version: "v1".into(),
            kind: "ConfigMap".into(),
            resource: "configmaps".into(),
            namespaced: true,
            verbs: vec!["list".into(), "watch".into()],
            subresources: vec![],
            custom: None,
        }
    }

    fn event(kind: WatchEventType, prev_tier: Option<&str>, tier: &str) -> CacheEvent {
        let obj = |t: &str| Arc::new(json!({"metadata": {"name": "c", "labels": {"tier": t}}}));
        CacheEvent::new(
            7,
            "/registry/core/configmaps/ns/c".into(),
            kind,
            obj(tier),
            prev_tier.map(obj),
        )
    }

    #[test]
    fn selector_transitions_become_added_and_deleted() {
        let opts = ListOptions {
            label_selector: Some("tier=web".into()),
            ..Default::default()
        };
        let sel = Selection::parse(&cm_def(), &opts).unwrap();
        let kind = |ev: CacheEvent| translate_event(&sel, &ev).map(|(k, _)| k);
        assert_eq!(
            kind(event(WatchEventType::Added, None, "web")),
            Some("ADDED")
        );
        assert_eq!(kind(event(WatchEventType::Added, None, "db")), None);
        assert_eq!(
            kind(event(WatchEventType::Modified, Some("web"), "web")),
            Some("MODIFIED")
        );
        // Entering the selection is an ADDED, leaving it a DELETED.
        assert_eq!(
            kind(event(WatchEventType::Modified, Some("db"), "web")),
            Some("ADDED")
        );
        assert_eq!(
            kind(event(WatchEventType::Modified, Some("web"), "db")),
            Some("DELETED")
        );
        assert_eq!(
            kind(event(WatchEventType::Modified, Some("db"), "db")),
            None
        );
        assert_eq!(
            kind(event(WatchEventType::Deleted, Some("web"), "web")),
            Some("DELETED")
        );
    }

    #[test]
    fn watch_lines_share_one_encoding_and_agree_with_the_translation() {
        let def = cm_def();
        let all = Selection::parse(&def, &ListOptions::default()).unwrap();
        let web = Selection::parse(
            &def,
            &ListOptions {
                label_selector: Some("tier=web".into()),
                ..Default::default()
            },
        )
        .unwrap();
        for (ev_kind, prev, now) in [
            (WatchEventType::Added, None, "web"),
            (WatchEventType::Modified, Some("web"), "web"),
            (WatchEventType::Modified, Some("web"), "db"),
            (WatchEventType::Modified, Some("db"), "web"),
            (WatchEventType::Deleted, Some("web"), "web"),
        ] {
            let ev = event(ev_kind, prev, now);
            for sel in [&all, &web] {
                let line = event_line(&def, sel, &ev);
                let want = translate_event(sel, &ev)
                    .map(|(k, o)| json!({"type": k, "object": with_type(&def, &o)}));
                let got = line.map(|l| {
                    assert!(l.ends_with(b"\n"));
                    serde_json::from_slice::<Value>(&l).unwrap()
                });
                assert_eq!(got, want);
            }
        }
        let ev = event(WatchEventType::Added, None, "web");
        let a = event_line(&def, &all, &ev).unwrap();
        let b = event_line(&def, &web, &ev).unwrap();
        assert_eq!(a, b);
        assert!(
            ev.encoded.get().is_some(),
            "encoded once, kept on the event"
        );
    }

    #[test]
    fn generate_name_suffix_uses_kube_alphabet() {
        let s = random_suffix(5);
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }
}

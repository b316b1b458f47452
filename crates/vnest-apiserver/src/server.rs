//! Process wiring and the HTTP edge: PKI, store, watch cache, TLS listener, request
//! dispatch, responses.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use vnest_api::status::ApiError;
use vnest_store::{SqliteConfig, SqliteStore, Store};

use crate::auth::{self, UserInfo};
use crate::body::{media_type, MediaType};
use crate::cache::WatchCache;
use crate::discovery::Discovery;
use crate::metrics::{MeteredStore, Metrics};
use crate::pki::Pki;
use crate::request::{classify, parse_query, Endpoint, ListOptions};
use crate::rest::{Reply, ResourceDef, Rest, MAX_BODY_BYTES};
use crate::{ServerConfig, StoreChoice};

type Body = BoxBody<Bytes, Infallible>;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("certificates: {0}")]
    Pki(#[from] crate::pki::PkiError),
    #[error("store: {0}")]
    Store(#[from] vnest_store::StoreError),
    #[error("token file: {0}")]
    Tokens(#[from] auth::TokenFileError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// A started server: its address and admin kubeconfig; stops when dropped or on
/// [`RunningServer::shutdown`].
pub struct RunningServer {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    api: Arc<ApiServer>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    _background: Vec<tokio::task::JoinHandle<()>>,
}

/// The user of in-process clients (controllers, the syncer, the dev host's nodes),
/// like kube-apiserver's loopback client: a cluster admin.
pub const LOOPBACK_USER: &str = "system:apiserver";

impl RunningServer {
    /// A connection to this server for a client in the same process: an in-memory
    /// pipe served as HTTP/1.1 or HTTP/2 (by the client's preface), without TLS,
    /// authenticated as [`LOOPBACK_USER`] in `system:masters`. One HTTP/2 connection
    /// carries every watch and request of the process's controllers, where TLS over
    /// loopback cost a connection (and its buffers on both ends) per watch.
    pub fn loopback_connection(&self) -> tokio::io::DuplexStream {
        let (client, server) = tokio::io::duplex(256 * 1024);
        let api = self.api.clone();
        let user = ClientCert::User(UserInfo::authenticated(
            LOOPBACK_USER.to_string(),
            String::new(),
            vec!["system:masters".to_string()],
        ));
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let api = api.clone();
                let user = user.clone();
                async move { Ok::<_, Infallible>(api.handle(req, user).await) }
            });
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            builder
                .http2()
                .max_concurrent_streams(None)
                .initial_connection_window_size(8 * 1024 * 1024)
                .initial_stream_window_size(2 * 1024 * 1024);
            if let Err(e) = builder
                .serve_connection(hyper_util::rt::TokioIo::new(server), service)
                .await
            {
                tracing::debug!(error = %e, "loopback connection ended with an error");
            }
        });
        client
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Runs until the listener fails or shutdown is requested.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self._background {
            t.abort();
        }
    }
}

pub struct ApiServer {
    pub rest: Arc<Rest>,
    pub discovery: Arc<Discovery>,
    pub metrics: Arc<Metrics>,
    ready: std::sync::atomic::AtomicBool,
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StartError {
    let what = what.into();
    move |source| StartError::Io { what, source }
}

fn tls_config(pki: &Pki) -> Result<(rustls::ServerConfig, Arc<AnyClientCert>), StartError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pki.serving_cert.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| StartError::Tls(format!("serving certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(pki.serving_key.as_bytes())
        .map_err(|e| StartError::Tls(format!("serving key: {e}")))?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(pki.ca_cert.as_bytes()) {
        let ca = ca.map_err(|e| StartError::Tls(format!("CA: {e}")))?;
        roots
            .add(ca)
            .map_err(|e| StartError::Tls(format!("CA: {e}")))?;
    }
    let inner = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(|e| StartError::Tls(e.to_string()))?;
    let verifier = Arc::new(AnyClientCert { inner });
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| StartError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier.clone())
        .with_single_cert(certs, key)
        .map_err(|e| StartError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((cfg, verifier))
}

/// Accepts any client certificate whose holder proves possession of its key (the
/// handshake signature is still checked), so that a certificate from another CA gets
/// kube-apiserver's 401 on the request instead of a failed handshake. The chain is
/// verified after the handshake with [`AnyClientCert::trusted`].
#[derive(Debug)]
struct AnyClientCert {
    inner: Arc<dyn rustls::server::danger::ClientCertVerifier>,
}

impl AnyClientCert {
    /// Whether the cluster CA issued this certificate chain.
    fn trusted(&self, chain: &[CertificateDer<'static>]) -> bool {
        let Some((end, intermediates)) = chain.split_first() else {
            return false;
        };
        self.inner
            .verify_client_cert(end, intermediates, rustls::pki_types::UnixTime::now())
            .is_ok()
    }
}

impl rustls::server::danger::ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The admin kubeconfig for a server reachable at `server_url`.
pub fn admin_kubeconfig(pki: &Pki, server_url: &str, cluster: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster:\n    server: {server_url}\n    certificate-authority-data: {ca}\nusers:\n- name: {cluster}-admin\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\ncontexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: {cluster}-admin\ncurrent-context: {cluster}\npreferences: {{}}\n",
        ca = b64(&pki.ca_cert),
        cert = b64(&pki.admin_cert),
        key = b64(&pki.admin_key),
    )
}

/// Starts a server: PKI, store, cache, bootstrap objects, listener.
pub async fn run(config: ServerConfig) -> Result<RunningServer, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(io_err(format!("{}", config.data_dir.display())))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(io_err(format!("listen on {}", config.listen)))?;
    let addr = listener.local_addr().map_err(io_err("listener address"))?;
    let mut sans = config.tls_sans.clone();
    sans.push(addr.ip().to_string());
    let pki = Pki::load_or_create(&config.data_dir.join("pki"), &sans)?;
    let metrics = Arc::new(Metrics::default());
    let backend: Arc<dyn Store> = match &config.store {
        StoreChoice::Sqlite => {
            Arc::new(SqliteStore::open(SqliteConfig::new(config.data_dir.join("store.db"))).await?)
        }
        StoreChoice::Etcd(cfg) => Arc::new(vnest_store::EtcdStore::connect(cfg.clone()).await?),
    };
    let store: Arc<dyn Store> = Arc::new(MeteredStore::new(backend, metrics.clone()));
    let compactor = vnest_store::spawn_compactor(store.clone(), config.compaction.clone());
    let cache = WatchCache::new(store.clone(), config.watch_cache_events.max(1), 4096);
    let feeder = cache.spawn();
    cache
        .sync()
        .await
        .map_err(|e| StartError::Tls(format!("watch cache did not start: {e}")))?;
    let tokens = match &config.token_auth_file {
        Some(p) => auth::load_token_file(p)?,
        None => HashMap::new(),
    };
    let discovery = Arc::new(Discovery::new(addr));
    let signer = crate::satoken::TokenSigner::from_pem(&pki.service_account_key)
        .map_err(|e| StartError::Tls(e.to_string()))?;
    let authn = Arc::new(auth::Authenticator {
        static_tokens: tokens,
        signer,
        cache: cache.clone(),
        audiences: vec![crate::satoken::ISSUER.to_string()],
    });
    let api = Arc::new(ApiServer {
        rest: Arc::new(Rest {
            store,
            cache,
            discovery: discovery.clone(),
            authn,
            authz: Arc::new(crate::authz::Authz::default()),
            services: crate::allocation::Allocator {
                cidr: config.service_cidr,
                node_ports: config.node_port_range,
                host: config.host_services.clone(),
            },
            pod_logs: config.pod_logs.clone(),
            pod_streams: config.pod_streams.clone(),
        }),
        discovery,
        metrics,
        ready: std::sync::atomic::AtomicBool::new(false),
    });
    crate::admission::bootstrap(&api.rest)
        .await
        .map_err(|e| StartError::Tls(format!("bootstrap objects: {e}")))?;
    crate::admission::bootstrap_rbac(&api.rest)
        .await
        .map_err(|e| StartError::Tls(format!("bootstrap RBAC policy: {e}")))?;
    // Serve nothing before the RBAC snapshot reflects the bootstrap policy.
    api.rest
        .cache
        .sync()
        .await
        .map_err(|e| StartError::Tls(format!("watch cache: {e}")))?;
    api.rest.authz.rebuild(&api.rest.cache);
    crate::admission::bootstrap_kubernetes_service(&api.rest, addr)
        .await
        .map_err(|e| StartError::Tls(format!("the kubernetes service: {e}")))?;
    // Listening on every address (in a pod: 0.0.0.0): the kubeconfig, which the
    // controllers use too, names loopback, which the serving certificate carries.
    let host = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "localhost".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let kubeconfig = config.data_dir.join("admin.kubeconfig");
    let text = admin_kubeconfig(
        &pki,
        &format!("https://{host}:{}", addr.port()),
        &config.cluster_name,
    );
    write_private(&kubeconfig, &text)?;
    let (tls, client_certs) = tls_config(&pki)?;
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let crd_controller = tokio::spawn(crate::crd::run(api.rest.clone()));
    let rbac_loop = tokio::spawn(crate::authz::run(api.rest.clone()));
    let ip_repair = tokio::spawn(crate::allocation::run_repair(api.rest.clone()));
    let token_controller = tokio::spawn(crate::tokencontroller::run(
        api.rest.clone(),
        pki.ca_cert.clone(),
    ));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    api.ready.store(true, Ordering::Release);
    let task = tokio::spawn(accept_loop(
        listener,
        acceptor,
        client_certs,
        api.clone(),
        stop_rx,
    ));
    Ok(RunningServer {
        addr,
        kubeconfig,
        api,
        stop,
        task: Some(task),
        _background: vec![
            compactor,
            feeder,
            token_controller,
            crd_controller,
            rbac_loop,
            ip_repair,
        ],
    })
}

fn write_private(path: &std::path::Path, text: &str) -> Result<(), StartError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_err(tmp.display().to_string()))?;
    f.write_all(text.as_bytes())
        .map_err(io_err(tmp.display().to_string()))?;
    std::fs::rename(&tmp, path).map_err(io_err(path.display().to_string()))
}

/// What the client certificate of a connection says.
#[derive(Clone, Debug)]
pub enum ClientCert {
    None,
    User(UserInfo),
    /// Not issued by the cluster CA (or unreadable): requests get 401 unless a bearer
    /// token authenticates them.
    Untrusted,
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    client_certs: Arc<AnyClientCert>,
    api: Arc<ApiServer>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let api = api.clone();
        let client_certs = client_certs.clone();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                };
            let user = match tls.get_ref().1.peer_certificates() {
                None | Some([]) => ClientCert::None,
                Some(chain) if client_certs.trusted(chain) => {
                    match auth::user_from_certificate(chain[0].as_ref()) {
                        Some(u) => ClientCert::User(u),
                        None => ClientCert::Untrusted,
                    }
                }
                Some(_) => ClientCert::Untrusted,
            };
            let service = hyper::service::service_fn(move |req| {
                let api = api.clone();
                let user = user.clone();
                async move { Ok::<_, Infallible>(api.handle(req, user).await) }
            });
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

fn json_response(status: u16, body: &Value, warnings: &[String]) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private");
    for w in warnings {
        resp = resp.header(
            "warning",
            format!("299 - {}", serde_json::Value::String(w.clone())),
        );
    }
    resp.body(Full::new(Bytes::from(bytes)).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
}

fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status(), &[])
}

fn text_response(status: u16, content_type: &str, text: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", content_type)
        .body(Full::new(text.into()).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What the client accepts, as far as vnest can answer: JSON objects, or a Table /
/// PartialObjectMetadata conversion of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Representation {
    Json,
    Table,
    Metadata,
}

fn negotiate(accept: Option<&str>) -> Result<Representation, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Representation::Json);
    };
    for part in accept.split(',') {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<(String, String)> = params
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            })
            .collect();
        let get = |k: &str| {
            params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
        };
        if !matches!(media.as_str(), "application/json" | "*/*" | "application/*") {
            continue;
        }
        match get("as") {
            None => return Ok(Representation::Json),
            Some("Table")
                if get("g") == Some("meta.k8s.io")
                    && matches!(get("v"), Some("v1") | Some("v1beta1")) =>
            {
                return Ok(Representation::Table)
            }
            Some("Table") if get("v").is_none() || get("g").is_none() => {
                return Err(ApiError::new(
                    406,
                    "NotAcceptable",
                    "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
                )
                .with_details(serde_json::json!({})))
            }
            Some("PartialObjectMetadata") | Some("PartialObjectMetadataList")
                if get("g") == Some("meta.k8s.io")
                    && matches!(get("v"), Some("v1") | Some("v1beta1")) =>
            {
                return Ok(Representation::Metadata)
            }
            _ => continue,
        }
    }
    Err(ApiError::not_acceptable())
}

impl ApiServer {
    pub async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        cert: ClientCert,
    ) -> Response<Body> {
        let start = Instant::now();
        let path = req.uri().path().to_string();
        let endpoint = classify(&path);
        // Authentication in kube's order: a client certificate from the cluster CA
        // wins; otherwise a bearer token must be valid (a bad one fails even on
        // public paths); no credentials at all is the anonymous user.
        let bearer = header(req.headers(), "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        let user = match (cert, bearer) {
            (ClientCert::User(u), _) => Some(u),
            (_, Some(token)) => match self.rest.authn.authenticate_token(token, None) {
                Ok(u) => Some(u),
                Err(e) => {
                    tracing::debug!(error = %e, "bearer token refused");
                    return error_response(&ApiError::unauthorized());
                }
            },
            (ClientCert::Untrusted, None) => return error_response(&ApiError::unauthorized()),
            (ClientCert::None, None) => None,
        };
        let user = user.unwrap_or_else(UserInfo::anonymous);
        let user = match crate::authz::impersonate(&self.rest.authz, &user, req.headers()) {
            Ok(Some(target)) => target,
            Ok(None) => user,
            Err(e) => return error_response(&e),
        };
        let query = parse_query(req.uri().query());
        let attrs = crate::authz::attributes(req.method(), &path, &endpoint, &query);
        if let Err(e) = self.rest.authz.check(&user, &attrs) {
            self.metrics.record_request("", "", e.code, start.elapsed());
            return error_response(&e);
        }
        let (verb, resource, response) = crate::authz::REQUEST_USER
            .scope(user.clone(), self.dispatch(req, endpoint, Some(&user)))
            .await;
        let code = response.status().as_u16();
        self.metrics
            .record_request(verb, &resource, code, start.elapsed());
        response
    }

    async fn dispatch(
        &self,
        req: Request<Incoming>,
        endpoint: Endpoint,
        user: Option<&UserInfo>,
    ) -> (&'static str, String, Response<Body>) {
        let method = req.method().clone();
        match endpoint {
            Endpoint::Version => (
                "get",
                String::new(),
                json_response(200, &self.discovery.version(), &[]),
            ),
            Endpoint::Health => {
                let ok = self.ready.load(Ordering::Acquire);
                (
                    "get",
                    String::new(),
                    if ok {
                        text_response(200, "text/plain; charset=utf-8", "ok")
                    } else {
                        text_response(500, "text/plain; charset=utf-8", "not ready")
                    },
                )
            }
            Endpoint::Metrics => (
                "get",
                String::new(),
                text_response(
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    self.metrics.render(self.rest.cache.object_count()),
                ),
            ),
            Endpoint::CoreRoot
            | Endpoint::GroupsRoot
            | Endpoint::Group(_)
            | Endpoint::GroupVersion { .. } => {
                let resp = self.discovery.serve(&endpoint, req.headers());
                ("get", String::new(), resp)
            }
            Endpoint::OpenApiV2 | Endpoint::OpenApiV3Index | Endpoint::OpenApiV3(_) => (
                "get",
                String::new(),
                self.discovery.serve(&endpoint, req.headers()),
            ),
            Endpoint::NotFound => (
                "get",
                String::new(),
                text_response(404, "text/plain; charset=utf-8", "404 page not found\n"),
            ),
            Endpoint::Resource(rp) => {
                let Some(def) = self.discovery.resolve(&rp.group, &rp.version, &rp.resource) else {
                    // Unknown group or version: a plain 404 like kube's mux; unknown
                    // resource in a known group-version: a Status.
                    let resp = if self.discovery.has_group_version(&rp.group, &rp.version) {
                        error_response(&ApiError::resource_not_found())
                    } else {
                        text_response(404, "text/plain; charset=utf-8", "404 page not found\n")
                    };
                    return ("", rp.resource.clone(), resp);
                };
                let resource = def.resource.clone();
                let query = parse_query(req.uri().query());
                let (verb, result) = self
                    .resource_request(req, &method, &def, &rp, query, user)
                    .await;
                let resp = match result {
                    Ok(Reply::Json {
                        status,
                        body,
                        warnings,
                    }) => json_response(status, &body, &warnings),
                    Ok(Reply::Watch(rx)) => {
                        self.metrics.watches.fetch_add(1, Ordering::Relaxed);
                        let metrics = self.metrics.clone();
                        let guard = WatchGuard(metrics);
                        let stream =
                            tokio_stream::wrappers::ReceiverStream::new(rx).map(move |b| {
                                let _ = &guard;
                                Ok::<_, Infallible>(Frame::data(b))
                            });
                        Response::builder()
                            .status(200)
                            .header("content-type", "application/json")
                            .header("cache-control", "no-cache, private")
                            .body(BodyExt::boxed(StreamBody::new(stream)))
                            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
                    }
                    Ok(Reply::Text(mut stream)) => {
                        // Through a channel: the body must be Sync, the source need not be.
                        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
                        tokio::spawn(async move {
                            while let Some(chunk) = stream.next().await {
                                if tx.send(chunk).await.is_err() {
                                    return;
                                }
                            }
                        });
                        let stream = tokio_stream::wrappers::ReceiverStream::new(rx)
                            .map(|b| Ok::<_, Infallible>(Frame::data(b)));
                        Response::builder()
                            .status(200)
                            .header("content-type", "text/plain")
                            .header("cache-control", "no-cache, private")
                            .body(BodyExt::boxed(StreamBody::new(stream)))
                            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
                    }
                    Ok(Reply::Response(resp)) => resp,
                    Err(e) => error_response(&e),
                };
                (verb, resource, resp)
            }
        }
    }

    async fn resource_request(
        &self,
        req: Request<Incoming>,
        method: &Method,
        def: &ResourceDef,
        rp: &crate::request::ResourcePath,
        query: HashMap<String, String>,
        user: Option<&UserInfo>,
    ) -> (&'static str, Result<Reply, ApiError>) {
        let ns = rp.namespace.as_deref();
        let name = rp.name.as_deref();
        let sub = rp.subresource.as_deref();
        // A cluster-scoped resource under a namespace path does not exist.
        if ns.is_some() && !def.namespaced {
            return ("", Err(ApiError::resource_not_found()));
        }
        if let Some(sub) = sub {
            if !def.subresources.iter().any(|s| s == sub) {
                return ("", Err(ApiError::resource_not_found()));
            }
        }
        if crate::streams::is_stream_subresource(def, sub) {
            if let (Some(streams), Some(ns), Some(name), Some(sub)) =
                (self.rest.pod_streams.clone(), ns, name, sub)
            {
                let r = crate::streams::handle(&self.rest, streams, req, def, ns, name, sub).await;
                return ("create", r.map(Reply::Response));
            }
        }
        let representation = match negotiate(header(req.headers(), "accept")) {
            Ok(r) => r,
            Err(e) => return ("", Err(e)),
        };
        let content_type = header(req.headers(), "content-type").map(str::to_string);
        // The field manager of writes: ?fieldManager=, else the client's user agent.
        let manager = query
            .get("fieldManager")
            .filter(|m| !m.is_empty())
            .cloned()
            .unwrap_or_else(|| {
                vnest_api::managed::manager_from_user_agent(
                    header(req.headers(), "user-agent").unwrap_or("unknown"),
                )
            });
        let body = match read_body(req).await {
            Ok(b) => b,
            Err(e) => return ("", Err(e)),
        };
        let media = media_type(content_type.as_deref());
        let verb: &'static str;
        // Verbs a resource does not serve (list on tokenreviews, get on reviews).
        let needed = match (method, name, sub) {
            (&Method::GET, None, None)
                if query
                    .get("watch")
                    .is_some_and(|w| crate::request::go_bool(w)) =>
            {
                Some("watch")
            }
            (&Method::GET, None, None) => Some("list"),
            (&Method::GET, Some(_), None) => Some("get"),
            (&Method::PUT, Some(_), None) => Some("update"),
            (&Method::PATCH, Some(_), None) => Some("patch"),
            (&Method::DELETE, Some(_), None) => Some("delete"),
            _ => None,
        };
        if let Some(v) = needed {
            if !def.verbs.is_empty() && !def.has_verb(v) {
                return ("", Err(ApiError::method_not_allowed()));
            }
        }
        let result = match (method, name, sub) {
            (&Method::GET, None, None) => {
                let opts = match ListOptions::parse(&query) {
                    Ok(o) => o,
                    Err(e) => return ("list", Err(e)),
                };
                if opts.watch {
                    verb = "watch";
                    self.rest.watch(def, ns, None, &opts).await
                } else {
                    verb = "list";
                    let r = self.rest.list(def, ns, &opts).await;
                    crate::represent::represent(
                        r,
                        def,
                        representation,
                        query.get("includeObject").map(String::as_str),
                    )
                }
            }
            (&Method::GET, Some(name), None) => {
                let opts = match ListOptions::parse(&query) {
                    Ok(o) => o,
                    Err(e) => return ("get", Err(e)),
                };
                if opts.watch {
                    verb = "watch";
                    self.rest.watch(def, ns, Some(name), &opts).await
                } else {
                    verb = "get";
                    let r = self.rest.get(def, ns, name).await;
                    crate::represent::represent(
                        r,
                        def,
                        representation,
                        query.get("includeObject").map(String::as_str),
                    )
                }
            }
            (&Method::POST, None, None) => {
                verb = "create";
                if (ns.is_none() && def.namespaced) || !def.has_verb("create") {
                    Err(ApiError::method_not_allowed())
                } else {
                    match check_object_media(media) {
                        Err(e) => Err(e),
                        Ok(()) => {
                            self.rest
                                .create(def, ns, &body, media, &query, user, &manager)
                                .await
                        }
                    }
                }
            }
            (&Method::PUT, Some(name), None | Some("status")) => {
                verb = "update";
                match check_object_media(media) {
                    Err(e) => Err(e),
                    Ok(()) => {
                        self.rest
                            .update(def, ns, name, sub, &body, media, &query, &manager)
                            .await
                    }
                }
            }
            (&Method::PATCH, Some(name), None | Some("status")) => {
                verb = "patch";
                crate::patching::patch(
                    &self.rest, def, ns, name, sub, &body, media, &query, &manager,
                )
                .await
            }
            (&Method::DELETE, Some(name), None) => {
                verb = "delete";
                self.rest.delete(def, ns, name, &body, &query).await
            }
            (&Method::DELETE, None, None) => {
                verb = "deletecollection";
                if !def.has_verb("deletecollection") {
                    Err(ApiError::method_not_allowed())
                } else {
                    match ListOptions::parse(&query) {
                        Ok(opts) => {
                            self.rest
                                .delete_collection(def, ns, &opts, &body, &query)
                                .await
                        }
                        Err(e) => Err(e),
                    }
                }
            }
            (&Method::GET, Some(name), Some("status")) => {
                verb = "get";
                self.rest.get(def, ns, name).await
            }
            (_, Some(name), Some(sub)) => {
                verb = "";
                crate::subresources::subresource(
                    &self.rest, method, def, ns, name, sub, &body, media, &query, &manager,
                )
                .await
            }
            _ => {
                verb = "";
                Err(ApiError::method_not_allowed())
            }
        };
        (verb, result)
    }
}

fn check_object_media(media: MediaType) -> Result<(), ApiError> {
    match media {
        MediaType::Json | MediaType::Yaml | MediaType::Protobuf => Ok(()),
        _ => Err(ApiError::unsupported_media_type(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        )),
    }
}

struct WatchGuard(Arc<Metrics>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.watches.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Bodies larger than this are not even drained: the connection is dropped instead.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Reads a request body up to [`MAX_BODY_BYTES`]. An oversized body is still read
/// (up to [`DRAIN_LIMIT`]) and thrown away, so that the client gets its 413 instead of
/// a reset connection while it is still sending.
async fn read_body(req: Request<Incoming>) -> Result<Bytes, ApiError> {
    use hyper::body::Body as _;
    let mut body = req.into_body();
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) =
        futures::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("error reading request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen <= MAX_BODY_BYTES {
                buf.extend_from_slice(&data);
            } else if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(ApiError::request_entity_too_large(MAX_BODY_BYTES));
    }
    Ok(buf.freeze())
}

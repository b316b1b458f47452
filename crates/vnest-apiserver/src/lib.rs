//! `vnest-apiserver`: the HTTP shell of a vnest cluster. TLS (rustls) and HTTP/1.1 +
//! HTTP/2 (hyper), authentication, routing, and the REST verbs over a
//! [`vnest_store::Store`], with reads and watches served from the [`cache::WatchCache`].
//! The API machinery itself (registry, discovery documents, selectors, validation,
//! patching) is pure code in `vnest-api`.

pub mod admission;
pub mod allocation;
pub mod auth;
pub mod authz;
pub mod background;
pub mod body;
pub mod cache;
pub mod crd;
pub mod discovery;
pub mod metrics;
pub mod objects;
pub mod patching;
pub mod pki;
pub mod podlogs;
pub mod podsecurity;
pub mod quota;
pub mod represent;
pub mod request;
pub mod rest;
pub mod satoken;
pub mod selection;
pub mod server;
pub mod streams;
pub mod subresources;
pub mod tokencontroller;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use server::{run, RunningServer};

/// Which store backs the cluster.
#[derive(Clone, Debug)]
pub enum StoreChoice {
    /// `<data-dir>/store.db`.
    Sqlite,
    Etcd(vnest_store::EtcdConfig),
}

#[derive(Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Extra names for the serving certificate.
    pub tls_sans: Vec<String>,
    pub store: StoreChoice,
    pub token_auth_file: Option<PathBuf>,
    /// Name of the cluster in the admin kubeconfig.
    pub cluster_name: String,
    /// How much store history automatic compaction keeps.
    pub compaction: vnest_store::CompactionPolicy,
    /// Events the watch cache keeps for watches that resume from a past revision.
    pub watch_cache_events: usize,
    /// Where Service ClusterIPs come from.
    pub service_cidr: allocation::Cidr,
    /// Where NodePorts come from.
    pub node_port_range: (u16, u16),
    /// Where `pods/log` reads from (the dev host's nodes); none answers 503.
    pub pod_logs: Option<std::sync::Arc<dyn podlogs::PodLogs>>,
    /// In a virtual cluster: the host, which gives Services their addresses.
    pub host_services: Option<std::sync::Arc<dyn allocation::HostServices>>,
    /// Where `pods/exec`, `pods/attach` and `pods/portforward` connect to; none
    /// answers 503.
    pub pod_streams: Option<std::sync::Arc<dyn streams::PodStreams>>,
}

impl ServerConfig {
    pub fn new(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            listen,
            tls_sans: Vec::new(),
            store: StoreChoice::Sqlite,
            token_auth_file: None,
            cluster_name: "vnest".into(),
            compaction: vnest_store::CompactionPolicy::default(),
            watch_cache_events: 20_000,
            service_cidr: allocation::Allocator::default().cidr,
            node_port_range: (30000, 32767),
            pod_logs: None,
            host_services: None,
            pod_streams: None,
        }
    }
}

//! `vnest-controllers`: the controllers a cluster needs beside its API server. Each is
//! an API client (kube-runtime), as in Kubernetes: none reaches into the store.
//!
//! - [`namespace`]: namespace lifecycle. A deleted namespace is emptied of every
//!   namespaced resource found through discovery, then finalized.
//! - [`serviceaccount`]: the `default` ServiceAccount and the `kube-root-ca.crt`
//!   ConfigMap in every namespace.

pub mod namespace;
pub mod serviceaccount;

use std::collections::BTreeSet;

/// Controllers by name, so that each can be switched off.
pub const ALL: &[&str] = &["namespace", "serviceaccount"];

/// What the controllers need to know about the cluster.
pub struct ClusterInfo {
    /// The cluster CA, PEM, published in every namespace.
    pub ca_pem: String,
}

/// Starts the enabled controllers; they run until the returned tasks are aborted.
pub fn spawn_all(
    client: kube::Client,
    cluster: ClusterInfo,
    disabled: &BTreeSet<String>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if !disabled.contains("namespace") {
        tasks.push(tokio::spawn(namespace::run(client.clone())));
    }
    if !disabled.contains("serviceaccount") {
        tasks.push(tokio::spawn(serviceaccount::run(client, cluster.ca_pem)));
    }
    tasks
}

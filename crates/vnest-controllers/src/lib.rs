//! `vnest-controllers`: the controllers a cluster needs beside its API server. Each is
//! an API client (kube-runtime), as in Kubernetes: none reaches into the store.
//!
//! - [`namespace`]: namespace lifecycle. A deleted namespace is emptied of every
//!   namespaced resource found through discovery, then finalized.
//! - [`serviceaccount`]: the `default` ServiceAccount and the `kube-root-ca.crt`
//!   ConfigMap in every namespace.
//! - [`garbagecollector`]: ownerReferences (background, foreground, orphan).
//! - [`replicaset`], [`deployment`], [`statefulset`], [`daemonset`], [`job`],
//!   [`cronjob`]: workloads; [`revision`] holds the ControllerRevision history the
//!   StatefulSet and DaemonSet controllers share.
//! - [`endpoints`]: Endpoints and EndpointSlices of services with selectors.
//! - [`resourcequota`]: ResourceQuota status (`hard`, and `used` recounted).
//! - [`volumeprotection`]: releases deleted claims and volumes nothing uses.
//! - [`informer`], [`pods`], [`nodes`]: the watch-fed maps, pod predicates and node
//!   placement rules (selectors, affinity, taints) they share.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod garbagecollector;
pub mod informer;
pub mod job;
pub mod namespace;
pub mod nodes;
pub mod pods;
pub mod replicaset;
pub mod resourcequota;
pub mod revision;
pub mod serviceaccount;
pub mod statefulset;
pub mod volumeprotection;

use std::collections::BTreeSet;

/// Controllers by name, so that each can be switched off.
pub const ALL: &[&str] = &[
    "namespace",
    "serviceaccount",
    "garbagecollector",
    "replicaset",
    "deployment",
    "statefulset",
    "daemonset",
    "job",
    "cronjob",
    "endpoints",
    "resourcequota",
    "volumeprotection",
];

/// What the controllers need to know about the cluster.
pub struct ClusterInfo {
    /// The cluster CA, PEM, published in every namespace.
    pub ca_pem: String,
}

/// Starts the enabled controllers; they run until the returned tasks are aborted.
///
/// The controllers share one client: separate clients cost about a MiB of idle memory
/// each and measured no faster. In a control plane it is an in-process HTTP/2 client
/// of the API server, which carries all their watches on one connection.
pub fn spawn_all(
    shared: &kube::Client,
    cluster: ClusterInfo,
    disabled: &BTreeSet<String>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, kube::Error> {
    let new_client = || Ok::<_, kube::Error>(shared.clone());
    let mut tasks = Vec::new();
    if !disabled.contains("namespace") {
        tasks.push(tokio::spawn(namespace::run(new_client()?)));
    }
    if !disabled.contains("serviceaccount") {
        tasks.push(tokio::spawn(serviceaccount::run(
            new_client()?,
            cluster.ca_pem,
        )));
    }
    if !disabled.contains("garbagecollector") {
        tasks.push(tokio::spawn(garbagecollector::run(new_client()?)));
    }
    if !disabled.contains("replicaset") {
        tasks.push(tokio::spawn(replicaset::run(new_client()?)));
    }
    if !disabled.contains("deployment") {
        tasks.push(tokio::spawn(deployment::run(new_client()?)));
    }
    if !disabled.contains("statefulset") {
        tasks.push(tokio::spawn(statefulset::run(new_client()?)));
    }
    if !disabled.contains("daemonset") {
        tasks.push(tokio::spawn(daemonset::run(new_client()?)));
    }
    if !disabled.contains("job") {
        tasks.push(tokio::spawn(job::run(new_client()?)));
    }
    if !disabled.contains("cronjob") {
        tasks.push(tokio::spawn(cronjob::run(new_client()?)));
    }
    if !disabled.contains("endpoints") {
        tasks.push(tokio::spawn(endpoints::run(new_client()?)));
    }
    if !disabled.contains("resourcequota") {
        tasks.push(tokio::spawn(resourcequota::run(new_client()?)));
    }
    if !disabled.contains("volumeprotection") {
        tasks.push(tokio::spawn(volumeprotection::run(new_client()?)));
    }
    Ok(tasks)
}

//! `vnest-controllers`: the controllers a cluster needs beside its API server. Each is
//! an API client (kube-runtime), as in Kubernetes: none reaches into the store.
//!
//! - [`namespace`]: namespace lifecycle. A deleted namespace is emptied of every
//!   namespaced resource found through discovery, then finalized.

pub mod namespace;

use std::collections::BTreeSet;

/// Controllers by name, so that each can be switched off.
pub const ALL: &[&str] = &["namespace"];

/// Starts the enabled controllers; they run until the returned tasks are aborted.
pub fn spawn_all(
    client: kube::Client,
    disabled: &BTreeSet<String>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if !disabled.contains("namespace") {
        tasks.push(tokio::spawn(namespace::run(client)));
    }
    tasks
}

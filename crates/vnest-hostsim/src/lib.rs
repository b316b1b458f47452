//! `vnest-hostsim`: what turns the API server into the dev host, a small Kubernetes
//! whose nodes are simulated: a scheduler ([`scheduler`]), kubelet-like node agents
//! ([`node`]) that run containers' commands as local processes, and the container
//! logs they write ([`logs`]), served through the API server's `pods/log`.

pub mod events;
pub mod ipam;
pub mod logs;
pub mod node;
pub mod quantity;
pub mod scheduler;
pub mod streams;

use std::path::PathBuf;

/// How the simulated part of a dev host is set up.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub nodes: usize,
    pub data_dir: PathBuf,
    /// Run containers' commands as local processes (`--no-exec` turns it off).
    pub exec: bool,
    /// The cluster's pod addresses, cut into one range per node.
    pub pod_cidr: vnest_apiserver::allocation::Cidr,
    /// The prefix length of each node's range.
    pub node_cidr_mask: u8,
    /// The containers the nodes run, shared with [`pod_streams`].
    pub containers: std::sync::Arc<streams::Containers>,
}

/// Why the simulated part cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error(transparent)]
    Client(#[from] kube::Error),
    #[error(transparent)]
    Addresses(#[from] ipam::IpamError),
}

/// Starts the scheduler and the nodes (sharing one client); they run until the tasks
/// are aborted.
pub fn spawn(
    shared: &kube::Client,
    cfg: &HostConfig,
) -> Result<Vec<tokio::task::JoinHandle<()>>, SpawnError> {
    ipam::check_layout(cfg.pod_cidr, cfg.node_cidr_mask, cfg.nodes)?;
    let new_client = || Ok::<_, kube::Error>(shared.clone());
    let mut tasks = vec![tokio::spawn(scheduler::run(new_client()?))];
    for (i, name) in node::node_names(cfg.nodes).into_iter().enumerate() {
        let Some(pod_cidr) = ipam::node_cidr(cfg.pod_cidr, cfg.node_cidr_mask, i) else {
            break;
        };
        let node = node::NodeConfig {
            name,
            index: u8::try_from(i).unwrap_or(u8::MAX),
            data_dir: cfg.data_dir.clone(),
            exec: cfg.exec,
            pod_cidr,
            containers: cfg.containers.clone(),
        };
        tasks.push(tokio::spawn(node::run(new_client()?, node)));
    }
    Ok(tasks)
}

/// The `pods/log` source of a dev host with this data dir.
pub fn pod_logs(data_dir: PathBuf) -> std::sync::Arc<dyn vnest_apiserver::podlogs::PodLogs> {
    std::sync::Arc::new(logs::FileLogs { root: data_dir })
}

/// The `pods/exec`, `pods/attach` and `pods/portforward` side of a dev host.
pub fn pod_streams(cfg: &HostConfig) -> std::sync::Arc<dyn vnest_apiserver::streams::PodStreams> {
    std::sync::Arc::new(streams::ProcessStreams {
        containers: cfg.containers.clone(),
        exec: cfg.exec,
    })
}

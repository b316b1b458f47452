//! What the CLI remembers about the virtual clusters it made: one directory per
//! cluster under `~/.vnest` (or `$VNEST_HOME`) holding `cluster.json`, and for the
//! process driver the control plane's pid, log and data.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The root of the CLI's state: `$VNEST_HOME`, else `~/.vnest`.
pub fn home() -> PathBuf {
    std::env::var_os("VNEST_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::kubeconfig::home_dir().join(".vnest"))
}

/// The embedded dev host's data dir. `_` cannot start a cluster name, so it never
/// collides with a cluster's directory.
pub fn dev_host_dir() -> PathBuf {
    home().join("_host")
}

pub fn cluster_dir(name: &str) -> PathBuf {
    home().join(name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// The control plane runs in the host cluster (StatefulSet from deploy/chart).
    Kubernetes,
    /// The control plane runs as a background process on this machine.
    Process,
}

impl std::fmt::Display for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Driver::Kubernetes => "kubernetes",
            Driver::Process => "process",
        })
    }
}

/// One virtual cluster as the CLI made it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRecord {
    pub name: String,
    pub host_namespace: String,
    pub driver: Driver,
    /// sqlite or etcd.
    pub store: String,
    /// RFC 3339.
    pub created: String,
    /// A kubeconfig reaching the host with one context (the host's credentials).
    pub host_kubeconfig: PathBuf,
    /// The host's context name in the user's kubeconfig (part of the context name).
    pub host_context: String,
    /// True when the host is the embedded dev host started by the CLI.
    #[serde(default)]
    pub embedded_host: bool,
    /// True when `create` made the host namespace (so `delete` removes it).
    pub created_namespace: bool,
    /// Port of the API server on this machine (process driver; stays across resume).
    #[serde(default)]
    pub api_port: Option<u16>,
    /// The context added to the user's kubeconfig.
    pub context: String,
    /// The kubeconfig file the context was added to, if connected.
    #[serde(default)]
    pub connected_file: Option<PathBuf>,
    /// The context that was current before connecting (for disconnect).
    #[serde(default)]
    pub previous_context: Option<String>,
    /// The cluster deletes itself this many seconds after creation.
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
    /// Served on every interface (process driver) or by a LoadBalancer (kubernetes).
    #[serde(default)]
    pub exposed: bool,
    #[serde(default)]
    pub paused: bool,
    /// Extra `vnest control-plane` flags (process driver), from -f/--set.
    #[serde(default)]
    pub control_plane_args: Vec<String>,
}

impl ClusterRecord {
    pub fn dir(&self) -> PathBuf {
        cluster_dir(&self.name)
    }
    /// The virtual cluster's admin kubeconfig (context named as in the user's file).
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir().join("kubeconfig")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.dir().join("data")
    }
    pub fn pid_file(&self) -> PathBuf {
        self.dir().join("control-plane.pid")
    }
    pub fn log_file(&self) -> PathBuf {
        self.dir().join("control-plane.log")
    }
    pub fn pid(&self) -> Option<i32> {
        crate::background::running_pid(&self.pid_file())
    }
    pub fn save(&self) -> anyhow::Result<()> {
        let dir = self.dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("cluster.json");
        let tmp = dir.join("cluster.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
    }
}

pub fn load(name: &str) -> anyhow::Result<Option<ClusterRecord>> {
    load_file(&cluster_dir(name).join("cluster.json"))
}

fn load_file(path: &Path) -> anyhow::Result<Option<ClusterRecord>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(
            serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Every cluster on record, by name.
pub fn all() -> Vec<ClusterRecord> {
    let mut out: Vec<ClusterRecord> = std::fs::read_dir(home())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| load_file(&e.path().join("cluster.json")).ok().flatten())
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The record whose context is `context`, if any (to find a virtual cluster's host
/// when the user's current context is that virtual cluster).
pub fn by_context(context: &str) -> Option<ClusterRecord> {
    all().into_iter().find(|r| r.context == context)
}

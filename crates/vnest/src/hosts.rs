//! The host a virtual cluster goes to: the user's kubeconfig context if it answers,
//! the host of a vnest cluster when that context is one, or the embedded dev host
//! (`~/.vnest/_host`, started on demand under a file lock); and what `create` asks of
//! it first (is it a dev host, make the namespace).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams, PostParams};
use kube::Client;
use serde_json::{json, Value};

use crate::clusters::{exit, failure, step, HostSelection};
use crate::kubeconfig;
use crate::state;

/// The host a cluster goes to: one context's kubeconfig, and whether it is the
/// embedded dev host.
pub(crate) struct Host {
    pub kubeconfig: Value,
    pub context: String,
    pub embedded: bool,
}

pub(crate) async fn client_for(config: &Value) -> anyhow::Result<Client> {
    let kc: kube::config::Kubeconfig =
        serde_json::from_value(config.clone()).context("parsing a kubeconfig")?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    Ok(Client::try_from(cfg)?)
}

pub(crate) async fn client_for_file(path: &Path) -> anyhow::Result<Client> {
    client_for(&kubeconfig::read(path)?).await
}

/// A client of the cluster this kubeconfig names, if it answers within 3 s.
pub(crate) async fn reachable(config: &Value) -> Option<Client> {
    let client = client_for(config).await.ok()?;
    matches!(
        tokio::time::timeout(Duration::from_secs(3), client.apiserver_version()).await,
        Ok(Ok(_))
    )
    .then_some(client)
}

/// Finds the host: the chosen (or current) context of the user's kubeconfig if it
/// answers; the host of a vnest cluster when that context is one; else the embedded
/// dev host, started if needed.
pub(crate) async fn resolve_host(sel: &HostSelection) -> anyhow::Result<Host> {
    let explicit = sel.kube_config.is_some() || sel.context.is_some();
    let file = sel
        .kube_config
        .clone()
        .unwrap_or_else(kubeconfig::user_file);
    let user = kubeconfig::read(&file)?;
    let wanted = sel
        .context
        .clone()
        .or_else(|| kubeconfig::current_context(&user).map(str::to_string));
    if let Some(ctx) = wanted {
        if let Some(record) = state::by_context(&ctx) {
            // The current context is a virtual cluster: its host is the host.
            let config = kubeconfig::read(&record.host_kubeconfig)?;
            if record.embedded_host {
                ensure_dev_host().await?;
            }
            return Ok(Host {
                kubeconfig: config,
                context: record.host_context,
                embedded: record.embedded_host,
            });
        }
        match kubeconfig::single_context(&user, &ctx) {
            Some(config) if reachable(&config).await.is_some() => {
                return Ok(Host {
                    kubeconfig: config,
                    context: ctx,
                    embedded: false,
                })
            }
            _ if explicit => {
                return Err(failure(
                    exit::HOST_REFUSED,
                    format!(
                        "the host context {ctx:?} of {} does not answer",
                        file.display()
                    ),
                ))
            }
            _ => step(format!(
                "the current context {ctx:?} does not answer; using the local dev host"
            )),
        }
    } else if explicit {
        return Err(failure(
            exit::HOST_REFUSED,
            format!("{} has no current context", file.display()),
        ));
    } else {
        step("no kubeconfig context: using the local dev host (vnest host up)");
    }
    let kubeconfig = ensure_dev_host().await?;
    let context = kubeconfig::current_context(&kubeconfig)
        .unwrap_or("dev-host")
        .to_string();
    Ok(Host {
        kubeconfig,
        context,
        embedded: true,
    })
}

/// The embedded dev host's address: `$VNEST_DEV_HOST_LISTEN`, else 127.0.0.1:6443.
fn dev_host_listen() -> String {
    std::env::var("VNEST_DEV_HOST_LISTEN").unwrap_or_else(|_| "127.0.0.1:6443".into())
}

/// Starts the embedded dev host unless it runs; returns its admin kubeconfig.
pub(crate) async fn ensure_dev_host() -> anyhow::Result<Value> {
    let dir = state::dev_host_dir();
    std::fs::create_dir_all(&dir)?;
    let lock = FileLock::acquire(&dir.join("lock"))?;
    let status = tokio::task::spawn_blocking(move || {
        Command::new(std::env::current_exe()?)
            .args(["host", "--name", "dev-host", "--data-dir"])
            .arg(&dir)
            .args(["--listen", &dev_host_listen(), "up", "-o", "json"])
            .stdout(std::process::Stdio::null())
            .status()
    })
    .await??;
    drop(lock);
    if !status.success() {
        return Err(failure(
            exit::HOST_REFUSED,
            format!(
                "the local dev host did not start; see {}",
                state::dev_host_dir().join("host.log").display()
            ),
        ));
    }
    kubeconfig::read(&state::dev_host_dir().join("admin.kubeconfig"))
}

/// An exclusive lock on a file, released on drop (so parallel creates start one dev
/// host, not several).
struct FileLock(std::fs::File);

impl FileLock {
    fn acquire(path: &Path) -> anyhow::Result<Self> {
        use std::os::fd::AsRawFd;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            bail!("locking {}", path.display());
        }
        Ok(FileLock(f))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: as in acquire.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

/// Whether the host's nodes are a vnest dev host's simulated ones (which run commands,
/// not images). Without the right to read nodes: assumed real.
pub(crate) async fn simulated_nodes(client: &Client) -> bool {
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client.clone());
    let lp = ListParams::default()
        .labels("type=vnest-simulated")
        .limit(1);
    matches!(
        tokio::time::timeout(Duration::from_secs(3), nodes.list_metadata(&lp)).await,
        Ok(Ok(list)) if !list.items.is_empty()
    )
}

/// Makes the host namespace if missing; true if this call made it.
pub(crate) async fn ensure_namespace(client: &Client, namespace: &str) -> anyhow::Result<bool> {
    let api: Api<Namespace> = Api::all(client.clone());
    let refused = |e: kube::Error, what: &str| {
        failure(
            exit::HOST_REFUSED,
            format!("the host refused to {what} namespace {namespace}: {e}"),
        )
    };
    match api.get_opt(namespace).await {
        Ok(Some(ns)) => {
            if ns.metadata.deletion_timestamp.is_some() {
                return Err(failure(
                    exit::HOST_REFUSED,
                    format!("host namespace {namespace} is being deleted; try again shortly"),
                ));
            }
            Ok(false)
        }
        Ok(None) => {
            let ns: Namespace = serde_json::from_value(json!({
                "metadata": {"name": namespace, "labels": {"vnest.io/namespace-of": "vnest"}}
            }))?;
            match api.create(&PostParams::default(), &ns).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(refused(e, "create")),
            }
        }
        // Without the right to read namespaces the namespace may still be usable.
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(false),
        Err(e) => Err(refused(e, "read")),
    }
}

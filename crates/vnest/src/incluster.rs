//! The kubernetes driver: the control plane runs in the host namespace as the chart's
//! StatefulSet (deploy/chart, rendered and applied with server-side apply by
//! `vnest-deploy`), and this machine reaches it through a port-forward that the CLI
//! keeps open in a background process (`vnest forward NAME`), on the same local port
//! for the cluster's whole life.

use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::{json, Value};

use crate::background;
use crate::kubeconfig;
use crate::state::ClusterRecord;

/// The API port of the control plane's container.
const API_PORT: u16 = 8443;

fn step(msg: impl AsRef<str>) {
    eprintln!("  {}", msg.as_ref());
}

/// Renders the chart for this cluster and applies it.
pub async fn install(
    client: &Client,
    record: &ClusterRecord,
    values: &vnest_deploy::Values,
    expose: bool,
) -> anyhow::Result<()> {
    let release = vnest_deploy::Release::new(&record.name, &record.host_namespace);
    let mut objects = vnest_deploy::render(&release, values)?;
    if expose {
        for o in &mut objects {
            if o["kind"] == "Service" && o["metadata"]["name"] == record.name.as_str() {
                o["spec"]["type"] = json!("LoadBalancer");
            }
        }
    }
    vnest_deploy::apply(client, &objects, vnest_deploy::FIELD_MANAGER)
        .await
        .map_err(|e| match &e {
            vnest_deploy::ApplyError::Apply {
                source: kube::Error::Api(s),
                ..
            } if s.code == 403 => crate::clusters::failure(
                crate::clusters::exit::HOST_REFUSED,
                format!("the host refused the control plane's objects: {e}"),
            ),
            _ => anyhow::Error::from(e),
        })?;
    step(format!(
        "{} objects applied to host namespace {} (server-side apply)",
        objects.len(),
        record.host_namespace
    ));
    Ok(())
}

fn pod_name(record: &ClusterRecord) -> String {
    format!("{}-0", record.name)
}

/// Copies connections on a local listener to the control plane pod's API port.
async fn forward(client: Client, record: ClusterRecord, listener: tokio::net::TcpListener) {
    let pods: Api<Pod> = Api::namespaced(client, &record.host_namespace);
    let pod = pod_name(&record);
    loop {
        let Ok((mut tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let pods = pods.clone();
        let pod = pod.clone();
        tokio::spawn(async move {
            let mut pf = match pods.portforward(&pod, &[API_PORT]).await {
                Ok(pf) => pf,
                Err(e) => {
                    tracing::warn!(%pod, error = %e, "port-forward failed");
                    return;
                }
            };
            let Some(mut upstream) = pf.take_stream(API_PORT) else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
            drop(upstream);
            let _ = pf.join().await;
        });
    }
}

/// The kubeconfig the control plane published in Secret `vc-NAME`, pointed at this
/// machine's forwarded port, written as the cluster's kubeconfig.
async fn fetch_kubeconfig(client: &Client, record: &ClusterRecord) -> anyhow::Result<bool> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &record.host_namespace);
    let Some(secret) = secrets
        .get_opt(&vnest_deploy::secret_name(&record.name))
        .await?
    else {
        return Ok(false);
    };
    let Some(data) = secret
        .data
        .as_ref()
        .and_then(|d| d.get(vnest_deploy::KUBECONFIG_KEY))
    else {
        return Ok(false);
    };
    let published: Value =
        serde_yaml_ng::from_slice(&data.0).context("the published kubeconfig")?;
    let mut out = kubeconfig::empty();
    kubeconfig::add_context(&mut out, &record.context, &published)?;
    kubeconfig::set_current(&mut out, &record.context);
    let port = record.api_port.context("no local port")?;
    kubeconfig::set_server(&mut out, &format!("https://localhost:{port}"));
    kubeconfig::write(&record.kubeconfig(), &out)?;
    Ok(true)
}

/// Waits until the control plane answers /readyz through a port-forward.
pub async fn wait_ready(
    client: &Client,
    record: &ClusterRecord,
    timeout: Duration,
) -> anyhow::Result<()> {
    let port = record.api_port.context("no local port")?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let forwarder = tokio::spawn(forward(client.clone(), record.clone(), listener));
    let started = Instant::now();
    let mut said = 0;
    let result = loop {
        if fetch_kubeconfig(client, record).await.unwrap_or(false) {
            if let Ok(config) = kubeconfig::read(&record.kubeconfig()) {
                if crate::clusters::answers_readyz(&config).await {
                    step(format!(
                        "virtual API ready in {:.1} s",
                        started.elapsed().as_secs_f64()
                    ));
                    break Ok(());
                }
            }
        }
        if started.elapsed() > timeout {
            break Err(crate::clusters::failure(
                crate::clusters::exit::TIMEOUT,
                format!(
                    "the control plane pod {}/{} did not answer within {} s",
                    record.host_namespace,
                    pod_name(record),
                    timeout.as_secs()
                ),
            ));
        }
        let secs = started.elapsed().as_secs();
        if secs >= said + 5 {
            said = secs;
            step(format!("waiting for the control plane pod ({secs} s)"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    forwarder.abort();
    result
}

fn forward_pid_file(record: &ClusterRecord) -> std::path::PathBuf {
    record.dir().join("forward.pid")
}

/// Starts `vnest forward NAME` in the background and waits until it listens.
pub fn start_forwarder(record: &ClusterRecord) -> anyhow::Result<()> {
    stop_forwarder(record);
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args(["forward", &record.name])
        .env("VNEST_HOME", crate::state::home());
    let pid = background::spawn(
        cmd,
        &record.dir().join("forward.log"),
        &forward_pid_file(record),
    )?;
    let port = record.api_port.context("no local port")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || !background::alive(pid) {
            anyhow::bail!(
                "the port-forward did not start; see {}",
                record.dir().join("forward.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    step(format!(
        "port-forward to the control plane on localhost:{port} (pid {pid})"
    ));
    Ok(())
}

pub fn stop_forwarder(record: &ClusterRecord) {
    if let Some(pid) = background::running_pid(&forward_pid_file(record)) {
        background::stop(pid, Duration::from_secs(5));
    }
}

pub fn forwarder_running(record: &ClusterRecord) -> bool {
    background::running_pid(&forward_pid_file(record)).is_some()
}

/// `vnest forward NAME`: keeps the port-forward open until stopped.
pub async fn run_forwarder(name: &str) -> anyhow::Result<()> {
    let record = crate::state::load(name)?.context("no such cluster")?;
    let client = crate::hosts::client_for(&kubeconfig::read(&record.host_kubeconfig)?).await?;
    let port = record.api_port.context("no local port")?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    forward(client, record, listener).await;
    Ok(())
}

/// Scales the control plane's StatefulSet (pause: 0, resume: 1). On resume the
/// control plane brings back the pods pause removed from the host.
pub async fn scale(client: &Client, record: &ClusterRecord, replicas: i32) -> anyhow::Result<()> {
    let sets: Api<k8s_openapi::api::apps::v1::StatefulSet> =
        Api::namespaced(client.clone(), &record.host_namespace);
    let recreate = if replicas > 0 { "true" } else { "false" };
    let patch = json!({"spec": {"replicas": replicas, "template": {"spec": {"containers": [
        {"name": "control-plane", "env": [{"name": "VNEST_RECREATE_MISSING_PODS", "value": recreate}]}
    ]}}}});
    sets.patch(
        &record.name,
        &PatchParams::default(),
        &Patch::Strategic(&patch),
    )
    .await
    .with_context(|| format!("scaling statefulset {}", record.name))?;
    Ok(())
}

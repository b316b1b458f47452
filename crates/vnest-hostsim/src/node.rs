//! A simulated node: its Node object and lease heartbeats, and a kubelet-like
//! lifecycle for the pods bound to it. Containers that give a command run as local
//! child processes (own process group, killed with the host), in a working directory
//! under the data dir, with the pod's environment; their output is the container log
//! and their exit code the container state. Containers without a command are
//! simulated as running. Readiness probes pass after their initial delay; deletion
//! honours the grace period.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Container, Node, Pod, Secret};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Mutex};

use crate::logs::{container_dir, exit_marker, log_file};

const MANAGER: &str = "kubelet";

/// How one node is set up.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub name: String,
    /// Index of the node (its addresses and pod IP range derive from it).
    pub index: u8,
    pub data_dir: PathBuf,
    /// Run containers' commands as local processes.
    pub exec: bool,
    /// The range this node's pods get their addresses from.
    pub pod_cidr: vnest_apiserver::allocation::Cidr,
    /// Where exec and attach find the containers this node runs.
    pub containers: Arc<crate::streams::Containers>,
}

/// The pod's hostname as kubelet sets it: `spec.hostname` when given, else the
/// pod's name.
pub fn pod_hostname(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.hostname.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| pod.name_any())
}

/// RFC 3339 in seconds, as kube writes status times.
fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The Node object of a simulated node.
pub fn node_object(cfg: &NodeConfig) -> Value {
    let ip = format!("127.0.1.{}", u16::from(cfg.index) + 1);
    let resources =
        json!({"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"});
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": cfg.name, "labels": {
            "kubernetes.io/hostname": cfg.name, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64", "type": "vnest-simulated",
        }},
        "spec": {"podCIDR": cfg.pod_cidr.to_string_form(), "podCIDRs": [cfg.pod_cidr.to_string_form()]},
        "status": {
            "capacity": resources, "allocatable": resources,
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": cfg.name}],
            "conditions": node_conditions(),
            "nodeInfo": {
                "kubeletVersion": "v1.33.0", "kubeProxyVersion": "v1.33.0",
                "containerRuntimeVersion": "vnest://0.1.0", "operatingSystem": "linux",
                "architecture": "amd64", "osImage": "vnest simulated node", "kernelVersion": "",
                "machineID": "", "systemUUID": "", "bootID": "",
            },
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        },
    })
}

fn node_conditions() -> Value {
    let t = now();
    let c = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": t, "lastTransitionTime": t})
    };
    json!([
        c(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        c(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        c(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        c(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status"
        ),
    ])
}

/// What a pod's supervisor hears.
enum PodSignal {
    Delete { grace: i64 },
}

struct Agent {
    client: Client,
    cfg: NodeConfig,
    addresses: std::sync::Mutex<crate::ipam::PodIpPool>,
}

/// Runs a node forever.
pub async fn run(client: Client, cfg: NodeConfig) {
    let agent = Arc::new(Agent {
        client: client.clone(),
        cfg: cfg.clone(),
        addresses: std::sync::Mutex::new(crate::ipam::PodIpPool::new(cfg.pod_cidr)),
    });
    register(&client, &cfg).await;
    tokio::spawn(heartbeat(client.clone(), cfg.clone()));
    let pods: Api<Pod> = Api::all(client.clone());
    let wc = watcher::Config::default().fields(&format!("spec.nodeName={}", cfg.name));
    let mut stream = watcher(pods, wc)
        .default_backoff()
        .applied_objects()
        .boxed();
    let mut running: HashMap<String, mpsc::UnboundedSender<PodSignal>> = HashMap::new();
    while let Some(ev) = stream.next().await {
        let Ok(pod) = ev else { continue };
        let Some(uid) = pod.uid() else { continue };
        let terminal = matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        );
        if let Some(grace) = pod
            .metadata
            .deletion_grace_period_seconds
            .filter(|_| pod.metadata.deletion_timestamp.is_some())
        {
            match running.get(&uid) {
                Some(tx) => {
                    let _ = tx.send(PodSignal::Delete { grace });
                }
                None => {
                    // Nothing runs for it (finished, or from before a restart).
                    let agent = agent.clone();
                    tokio::spawn(async move { agent.finish_delete(&pod).await });
                }
            }
            continue;
        }
        if running.contains_key(&uid) || terminal {
            continue;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        running.insert(uid, tx);
        let agent = agent.clone();
        tokio::spawn(async move { agent.run_pod(pod, rx).await });
        running.retain(|_, tx| !tx.is_closed());
    }
}

async fn register(client: &Client, cfg: &NodeConfig) {
    let nodes: Api<Node> = Api::all(client.clone());
    let obj: Node = match serde_json::from_value(node_object(cfg)) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "node object");
            return;
        }
    };
    for _ in 0..50 {
        match nodes.create(&PostParams::default(), &obj).await {
            Ok(_) => break,
            Err(kube::Error::Api(s)) if s.code == 409 => break,
            Err(e) => {
                tracing::debug!(error = %e, "registering the node");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let status = json!({"status": node_object(cfg)["status"]});
    let _ = nodes
        .patch_status(&cfg.name, &params(), &Patch::Merge(&status))
        .await;
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

/// Lease renewal every 10 s and a Ready heartbeat every 40 s, as the kubelet does.
async fn heartbeat(client: Client, cfg: NodeConfig) {
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), "kube-node-lease");
    let nodes: Api<Node> = Api::all(client.clone());
    let mut tick: u64 = 0;
    loop {
        let uid = nodes
            .get(&cfg.name)
            .await
            .ok()
            .and_then(|n| n.uid())
            .unwrap_or_default();
        let lease = json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": cfg.name, "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": cfg.name, "uid": uid}]},
            "spec": {"holderIdentity": cfg.name, "leaseDurationSeconds": 40,
                     "renewTime": Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()},
        });
        let _ = leases
            .patch(
                &cfg.name,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(&lease),
            )
            .await;
        if tick % 4 == 0 {
            let status = json!({"status": {"conditions": node_conditions()}});
            let _ = nodes
                .patch_status(&cfg.name, &params(), &Patch::Strategic(&status))
                .await;
        }
        tick += 1;
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// The state of one container, as the status reports it.
#[derive(Debug, Clone)]
enum State {
    Waiting(&'static str),
    Running {
        since: String,
        ready: bool,
    },
    Terminated {
        code: i32,
        started: String,
        finished: String,
    },
}

#[derive(Debug, Clone)]
struct ContainerRun {
    name: String,
    image: String,
    state: State,
    restarts: i32,
    last: Option<State>,
}

fn container_status(c: &ContainerRun) -> Value {
    let state = |s: &State| match s {
        State::Waiting(reason) => json!({"waiting": {"reason": reason}}),
        State::Running { since, .. } => json!({"running": {"startedAt": since}}),
        State::Terminated {
            code,
            started,
            finished,
        } => json!({"terminated": {
            "exitCode": code, "reason": if *code == 0 { "Completed" } else { "Error" },
            "startedAt": started, "finishedAt": finished}}),
    };
    let ready = matches!(c.state, State::Running { ready: true, .. });
    let mut v = json!({
        "name": c.name, "image": c.image, "imageID": format!("vnest://{}", c.image),
        "containerID": format!("vnest://{}-{}", c.name, c.restarts),
        "ready": ready, "restartCount": c.restarts,
        "started": matches!(c.state, State::Running { .. }),
        "state": state(&c.state),
    });
    if let Some(l) = &c.last {
        v["lastState"] = state(l);
    } else {
        v["lastState"] = json!({});
    }
    v
}

impl Agent {
    /// The pod's address: the one it already had when the node restarted, else the
    /// next free one of the node's range (None while the range is full).
    fn allocate_ip(&self, pod: &Pod) -> Option<Ipv4Addr> {
        let mut pool = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        let had = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.as_deref())
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok());
        if let Some(ip) = had.filter(|ip| pool.reserve(*ip)) {
            return Some(ip);
        }
        pool.allocate()
    }

    fn release_ip(&self, ip: Ipv4Addr) {
        self.addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .release(ip);
    }

    async fn write_status(&self, pod: &Pod, status: Value) -> bool {
        let api: Api<Pod> =
            Api::namespaced(self.client.clone(), &pod.namespace().unwrap_or_default());
        match api
            .patch_status(
                &pod.name_any(),
                &params(),
                &Patch::Merge(&json!({"status": status})),
            )
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::debug!(pod = %pod.name_any(), error = %e, "pod status");
                false
            }
        }
    }

    /// The pod's status from its containers.
    fn pod_status(&self, ip: &str, started: &str, runs: &[ContainerRun], restart: &str) -> Value {
        let all_ready = runs
            .iter()
            .all(|c| matches!(c.state, State::Running { ready: true, .. }));
        let all_done = runs
            .iter()
            .all(|c| matches!(c.state, State::Terminated { .. }));
        let any_failed = runs
            .iter()
            .any(|c| matches!(c.state, State::Terminated { code, .. } if code != 0));
        let phase = if all_done && (restart == "Never" || (restart == "OnFailure" && !any_failed)) {
            if any_failed {
                "Failed"
            } else {
                "Succeeded"
            }
        } else if runs.iter().any(|c| matches!(c.state, State::Waiting(_)))
            && !runs
                .iter()
                .any(|c| matches!(c.state, State::Running { .. } | State::Terminated { .. }))
        {
            "Pending"
        } else {
            "Running"
        };
        let t = now();
        let ready = if all_ready && phase == "Running" {
            "True"
        } else {
            "False"
        };
        let mut conditions = vec![
            json!({"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": started}),
            json!({"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": started}),
            json!({"type": "Ready", "status": ready, "lastProbeTime": null, "lastTransitionTime": t}),
            json!({"type": "ContainersReady", "status": ready, "lastProbeTime": null, "lastTransitionTime": t}),
            json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": started}),
        ];
        if ready == "False" {
            for c in conditions
                .iter_mut()
                .filter(|c| c["type"] == "Ready" || c["type"] == "ContainersReady")
            {
                c["reason"] = json!(if phase == "Succeeded" || phase == "Failed" {
                    "PodCompleted"
                } else {
                    "ContainersNotReady"
                });
            }
        }
        let host_ip = format!("127.0.1.{}", u16::from(self.cfg.index) + 1);
        json!({
            "phase": phase,
            "conditions": conditions,
            "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "podIP": ip, "podIPs": [{"ip": ip}],
            "startTime": started,
            "containerStatuses": runs.iter().map(container_status).collect::<Vec<_>>(),
            "qosClass": "BestEffort",
        })
    }

    /// Supervises one pod until it is deleted.
    async fn run_pod(self: Arc<Self>, pod: Pod, mut signals: mpsc::UnboundedReceiver<PodSignal>) {
        let spec = pod.spec.clone().unwrap_or_default();
        let restart = spec
            .restart_policy
            .clone()
            .unwrap_or_else(|| "Always".into());
        // The address the pod holds from the node's range, given back when the pod
        // is gone or has finished for good (as a kubelet tears down the sandbox).
        let mut held: Option<Ipv4Addr> = None;
        let ip = if spec.host_network == Some(true) {
            format!("127.0.1.{}", u16::from(self.cfg.index) + 1)
        } else {
            let mut warned = false;
            loop {
                if let Some(ip) = self.allocate_ip(&pod) {
                    held = Some(ip);
                    break ip.to_string();
                }
                if !warned {
                    warned = true;
                    let why = format!(
                        "Failed to create pod sandbox: no free address in the node's pod range {}",
                        self.cfg.pod_cidr.to_string_form()
                    );
                    crate::events::record(
                        &self.client,
                        &pod,
                        "Warning",
                        "FailedCreatePodSandBox",
                        &why,
                        MANAGER,
                    )
                    .await;
                }
                match tokio::time::timeout(Duration::from_secs(1), signals.recv()).await {
                    Ok(Some(PodSignal::Delete { .. })) => {
                        self.finish_delete(&pod).await;
                        return;
                    }
                    Ok(None) => return,
                    Err(_) => continue,
                }
            }
        };
        let started = pod
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0.to_string())
            .unwrap_or_else(now);
        let mut runs: Vec<ContainerRun> = spec
            .containers
            .iter()
            .map(|c| ContainerRun {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                state: State::Waiting("ContainerCreating"),
                restarts: 0,
                last: None,
            })
            .collect();
        self.write_status(&pod, self.pod_status(&ip, &started, &runs, &restart))
            .await;
        crate::events::record(
            &self.client,
            &pod,
            "Normal",
            "Pulled",
            "Container image is simulated by vnest",
            MANAGER,
        )
        .await;
        let env = self.environment(&pod, &ip).await;
        let (exit_tx, mut exit_rx) = mpsc::unbounded_channel::<(usize, i32)>();
        let mut children: Vec<Option<u32>> = vec![None; runs.len()];
        for (i, c) in spec.containers.iter().enumerate() {
            children[i] = self
                .start_container(&pod, c, &runs[i], &env, i, exit_tx.clone())
                .await;
            runs[i].state = State::Running {
                since: now(),
                ready: c.readiness_probe.is_none() || probe_delay(c) == 0,
            };
            crate::events::record(
                &self.client,
                &pod,
                "Normal",
                "Started",
                &format!("Started container {}", c.name),
                MANAGER,
            )
            .await;
        }
        self.write_status(&pod, self.pod_status(&ip, &started, &runs, &restart))
            .await;
        // Readiness after the probes' initial delay.
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<usize>();
        for (i, c) in spec.containers.iter().enumerate() {
            let delay = probe_delay(c);
            if c.readiness_probe.is_some() && delay > 0 {
                let tx = ready_tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(delay)).await;
                    let _ = tx.send(i);
                });
            }
        }
        loop {
            tokio::select! {
                Some(i) = ready_rx.recv() => {
                    if let State::Running { since, .. } = runs[i].state.clone() {
                        runs[i].state = State::Running { since, ready: true };
                        self.write_status(&pod, self.pod_status(&ip, &started, &runs, &restart)).await;
                    }
                }
                Some((i, code)) = exit_rx.recv() => {
                    let began = match &runs[i].state { State::Running { since, .. } => since.clone(), _ => now() };
                    runs[i].state = State::Terminated { code, started: began, finished: now() };
                    children[i] = None;
                    let again = restart == "Always" || (restart == "OnFailure" && code != 0);
                    let done = !again && runs.iter().all(|r| matches!(r.state, State::Terminated { .. }));
                    if done {
                        if let Some(ip) = held.take() {
                            self.release_ip(ip);
                        }
                    }
                    if again {
                        self.write_status(&pod, self.pod_status(&ip, &started, &runs, &restart)).await;
                        // kube's crash-loop back-off starts at 10 s; a short one keeps tests quick.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        runs[i].last = Some(runs[i].state.clone());
                        runs[i].restarts += 1;
                        let c = &spec.containers[i];
                        children[i] = self.start_container(&pod, c, &runs[i], &env, i, exit_tx.clone()).await;
                        runs[i].state = State::Running { since: now(), ready: c.readiness_probe.is_none() || probe_delay(c) == 0 };
                    }
                    self.write_status(&pod, self.pod_status(&ip, &started, &runs, &restart)).await;
                }
                sig = signals.recv() => {
                    let grace = match sig { Some(PodSignal::Delete { grace }) => grace, None => 0 };
                    stop_all(&children, grace).await;
                    for c in &runs {
                        let _ = std::fs::write(exit_marker(&self.cfg.data_dir, &pod, &c.name, c.restarts), b"137");
                    }
                    if let Some(ip) = held.take() {
                        self.release_ip(ip);
                    }
                    self.cfg.containers.remove_pod(&pod.uid().unwrap_or_default());
                    self.finish_delete(&pod).await;
                    return;
                }
            }
        }
    }

    async fn finish_delete(&self, pod: &Pod) {
        let api: Api<Pod> =
            Api::namespaced(self.client.clone(), &pod.namespace().unwrap_or_default());
        let dp = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: pod.uid(),
                resource_version: None,
            }),
            ..Default::default()
        };
        if let Err(e) = api.delete(&pod.name_any(), &dp).await {
            tracing::debug!(pod = %pod.name_any(), error = %e, "final delete");
        }
    }

    /// The environment of the pod's containers: `env` (values, configmap and secret
    /// keys, downward API fields) and `envFrom`, plus HOSTNAME.
    async fn environment(&self, pod: &Pod, ip: &str) -> Vec<Vec<(String, String)>> {
        let ns = pod.namespace().unwrap_or_default();
        let cms: Api<ConfigMap> = Api::namespaced(self.client.clone(), &ns);
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &ns);
        let mut out = Vec::new();
        for c in pod
            .spec
            .as_ref()
            .map(|s| s.containers.clone())
            .unwrap_or_default()
        {
            let mut env: Vec<(String, String)> = vec![("HOSTNAME".into(), pod_hostname(pod))];
            for from in c.env_from.iter().flatten() {
                let prefix = from.prefix.clone().unwrap_or_default();
                if let Some(r) = &from.config_map_ref {
                    if let Ok(cm) = cms.get(&r.name).await {
                        for (k, v) in cm.data.unwrap_or_default() {
                            env.push((format!("{prefix}{k}"), v));
                        }
                    }
                }
                if let Some(r) = &from.secret_ref {
                    if let Ok(s) = secrets.get(&r.name).await {
                        for (k, v) in s.data.unwrap_or_default() {
                            env.push((
                                format!("{prefix}{k}"),
                                String::from_utf8_lossy(&v.0).into_owned(),
                            ));
                        }
                    }
                }
            }
            for e in c.env.iter().flatten() {
                let value = if let Some(v) = &e.value {
                    Some(v.clone())
                } else if let Some(from) = &e.value_from {
                    if let Some(r) = &from.config_map_key_ref {
                        cms.get(&r.name)
                            .await
                            .ok()
                            .and_then(|cm| cm.data?.get(&r.key).cloned())
                    } else if let Some(r) = &from.secret_key_ref {
                        secrets.get(&r.name).await.ok().and_then(|s| {
                            s.data?
                                .get(&r.key)
                                .map(|b| String::from_utf8_lossy(&b.0).into_owned())
                        })
                    } else if let Some(f) = &from.field_ref {
                        match f.field_path.as_str() {
                            "metadata.name" => Some(pod.name_any()),
                            "metadata.namespace" => Some(ns.clone()),
                            "metadata.uid" => pod.uid(),
                            "spec.nodeName" => Some(self.cfg.name.clone()),
                            "spec.serviceAccountName" => pod
                                .spec
                                .as_ref()
                                .and_then(|s| s.service_account_name.clone()),
                            "status.podIP" => Some(ip.to_string()),
                            "status.hostIP" => {
                                Some(format!("127.0.1.{}", u16::from(self.cfg.index) + 1))
                            }
                            _ => None,
                        }
                    } else {
                        None
                    }
                } else {
                    None
                };
                if let Some(v) = value {
                    env.push((e.name.clone(), v));
                }
            }
            out.push(env);
        }
        out
    }

    /// Starts one container; returns the process id of a real process.
    async fn start_container(
        &self,
        pod: &Pod,
        c: &Container,
        run: &ContainerRun,
        env: &[Vec<(String, String)>],
        index: usize,
        exited: mpsc::UnboundedSender<(usize, i32)>,
    ) -> Option<u32> {
        let dir = container_dir(&self.cfg.data_dir, pod, &c.name);
        let _ = tokio::fs::create_dir_all(&dir).await;
        let log = log_file(&self.cfg.data_dir, pod, &c.name, run.restarts);
        let marker = exit_marker(&self.cfg.data_dir, pod, &c.name, run.restarts);
        let _ = tokio::fs::remove_file(&marker).await;
        let workdir = dir.join("root");
        let cwd = c
            .working_dir
            .as_deref()
            .map(Path::new)
            .filter(|p| p.starts_with(&workdir))
            .unwrap_or(&workdir)
            .to_path_buf();
        let uid = pod.uid().unwrap_or_default();
        let container_env = env.get(index).cloned().unwrap_or_default();
        let register = |process| {
            self.cfg.containers.register(
                &uid,
                &c.name,
                crate::streams::Live {
                    workdir: cwd.clone(),
                    env: container_env.clone(),
                    process,
                },
            )
        };
        let command: Vec<String> = c
            .command
            .iter()
            .flatten()
            .chain(c.args.iter().flatten())
            .cloned()
            .collect();
        if !self.cfg.exec || c.command.as_ref().is_none_or(|v| v.is_empty()) {
            let line = format!(
                "{} stdout F vnest: container {} (image {}) has no command to run here; simulated as running\n",
                Timestamp::now(),
                c.name,
                c.image.clone().unwrap_or_default()
            );
            let _ = tokio::fs::write(&log, line).await;
            register(None);
            return None;
        }
        crate::streams::prepare_workdir(&workdir, &pod_hostname(pod)).await;
        let wants_stdin = c.stdin == Some(true);
        let mut cmd = tokio::process::Command::new(&command[0]);
        cmd.args(&command[1..])
            .current_dir(&cwd)
            .env_clear()
            .env(
                "PATH",
                std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
            )
            .envs(container_env.clone())
            .stdin(if wants_stdin {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = match cmd.spawn() {
            Ok(ch) => ch,
            Err(e) => {
                let _ = std::fs::write(
                    &log,
                    format!(
                        "{} stderr F vnest: cannot start {:?}: {e}\n",
                        Timestamp::now(),
                        command[0]
                    ),
                );
                let _ = std::fs::write(&marker, b"128");
                let _ = exited.send((index, 128));
                return None;
            }
        };
        let pid = child.id();
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .await
            .ok();
        let file = Arc::new(Mutex::new(file));
        // Output goes to the log and to attached clients; attached clients' input to
        // the container's stdin.
        let (output, _) = tokio::sync::broadcast::channel::<(bool, bytes::Bytes)>(256);
        let (exited_tx, exited_rx) = tokio::sync::watch::channel::<Option<i32>>(None);
        let stdin = child.stdin.take().map(|mut w| {
            let (tx, mut rx) = mpsc::channel::<bytes::Bytes>(16);
            tokio::spawn(async move {
                while let Some(b) = rx.recv().await {
                    if w.write_all(&b).await.is_err() || w.flush().await.is_err() {
                        return;
                    }
                }
            });
            tx
        });
        register(Some(crate::streams::Attachable {
            stdin,
            output: output.clone(),
            exited: exited_rx,
        }));
        let mut pumps = Vec::new();
        if let Some(out) = child.stdout.take() {
            pumps.push(tokio::spawn(pump(
                out,
                "stdout",
                file.clone(),
                output.clone(),
            )));
        }
        if let Some(err) = child.stderr.take() {
            pumps.push(tokio::spawn(pump(err, "stderr", file.clone(), output)));
        }
        tokio::spawn(async move {
            let code = match child.wait().await {
                Ok(st) => st.code().unwrap_or_else(|| {
                    use std::os::unix::process::ExitStatusExt;
                    128 + st.signal().unwrap_or(9)
                }),
                Err(_) => 128,
            };
            for p in pumps {
                let _ = p.await;
            }
            let _ = std::fs::write(&marker, code.to_string());
            let _ = exited_tx.send(Some(code));
            let _ = exited.send((index, code));
        });
        pid
    }
}

fn probe_delay(c: &Container) -> u64 {
    c.readiness_probe
        .as_ref()
        .and_then(|p| p.initial_delay_seconds)
        .unwrap_or(0)
        .max(0) as u64
}

/// Longest line kept whole in the log; longer ones are split.
const MAX_LOG_LINE: usize = 16 * 1024;

/// Copies one output stream to attached clients as it comes, and into the log in the
/// CRI format kubelets write, line by line.
async fn pump<R: tokio::io::AsyncRead + Unpin>(
    mut r: R,
    stream: &'static str,
    file: Arc<Mutex<Option<tokio::fs::File>>>,
    attached: tokio::sync::broadcast::Sender<(bool, bytes::Bytes)>,
) {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // No attached client is not an error.
        let _ = attached.send((stream == "stderr", bytes::Bytes::copy_from_slice(&buf[..n])));
        pending.extend_from_slice(&buf[..n]);
        while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            log_line(&file, stream, &line[..pos]).await;
        }
        if pending.len() > MAX_LOG_LINE {
            log_line(&file, stream, &pending).await;
            pending.clear();
        }
    }
    if !pending.is_empty() {
        log_line(&file, stream, &pending).await;
    }
}

async fn log_line(file: &Mutex<Option<tokio::fs::File>>, stream: &str, line: &[u8]) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let entry = format!(
        "{} {stream} F {}\n",
        Timestamp::now(),
        String::from_utf8_lossy(line)
    );
    if let Some(f) = file.lock().await.as_mut() {
        let _ = f.write_all(entry.as_bytes()).await;
        let _ = f.flush().await;
    }
}

/// SIGTERM to every process group, SIGKILL after the grace period.
async fn stop_all(children: &[Option<u32>], grace: i64) {
    let pids: Vec<i32> = children.iter().flatten().map(|p| *p as i32).collect();
    for pid in &pids {
        // SAFETY: signalling a process group we created.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(grace.clamp(0, 300) as u64);
    loop {
        let alive: Vec<&i32> = pids
            .iter()
            // SAFETY: signal 0 only checks for existence.
            .filter(|p| unsafe { libc::kill(**p, 0) } == 0)
            .collect();
        if alive.is_empty() || tokio::time::Instant::now() >= deadline {
            for pid in alive {
                // SAFETY: as above.
                unsafe {
                    libc::kill(-*pid, libc::SIGKILL);
                }
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Node names of a dev host with `n` nodes.
pub fn node_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("vnest-node-{i}")).collect()
}

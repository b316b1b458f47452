//! `vnest bench api`: measures a real `vnest control-plane` process on loopback with
//! kube-rs clients. Not a test: it reports numbers, it does not judge them.
//!
//! Figures: process start to the first 200 on /readyz; idle RSS; RSS with 10,000
//! configmaps; creates/s with 16 and 64 concurrent clients; latency of listing 10,000
//! configmaps; event delivery latency p50/p99 to 100 watchers of one namespace while
//! objects are created; creates/s of a custom resource whose CRD has a 50-field
//! schema; request latency of a user authorized by RBAC among 1,000 roles and 1,000
//! bindings against the same request by a system:masters user.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use kube::{Client, Config};
use serde_json::json;

pub struct ApiBenchOptions {
    pub objects: usize,
    pub watchers: usize,
    pub json: bool,
}

struct ServerProcess {
    child: Child,
    dir: PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    crate::background::rss_bytes(pid as i32)
        .map(|b| b / 1024)
        .context("no VmRSS")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn progress(msg: &str) {
    eprintln!("bench: {msg}");
}

async fn client_for(kubeconfig: &Path) -> anyhow::Result<Client> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let cfg = Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    Ok(Client::try_from(cfg)?)
}

fn configmap(name: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"bench": "yes"}},
        "data": {"sent": now_micros().to_string(), "payload": "x".repeat(200)},
    }))
    .unwrap_or_default()
}

fn now_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

/// Creates `count` configmaps named `<prefix>-<i>` with `clients` concurrent clients;
/// returns creates per second.
async fn create_many(
    clients: &[Client],
    ns: &str,
    prefix: &str,
    count: usize,
) -> anyhow::Result<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in clients {
        let api: Api<ConfigMap> = Api::namespaced(c.clone(), ns);
        let next = next.clone();
        let prefix = prefix.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, kube::Error>(());
                }
                api.create(&PostParams::default(), &configmap(&format!("{prefix}-{i}")))
                    .await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

pub async fn run_api(opts: ApiBenchOptions) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let dir = std::env::temp_dir().join(format!("vnest-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    progress("starting vnest control-plane");
    let started = Instant::now();
    let tokens =
        std::env::temp_dir().join(format!("vnest-bench-tokens-{}.csv", std::process::id()));
    std::fs::write(&tokens, format!("{BENCH_TOKEN},bench-user,2001\n"))?;
    let child = Command::new(&exe)
        .args(["control-plane", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--token-auth-file")
        .arg(&tokens)
        .env("VNEST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start control plane")?;
    let server = ServerProcess {
        child,
        dir: dir.clone(),
    };
    let pid = server.child.id();
    let kubeconfig = dir.join("admin.kubeconfig");
    // Ready: the first 200 on /readyz.
    let ready = loop {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("control plane not ready after 30 s");
        }
        if kubeconfig.exists() {
            if let Ok(c) = client_for(&kubeconfig).await {
                let req = http::Request::get("/readyz").body(Vec::new())?;
                if c.request_text(req).await.is_ok() {
                    break started.elapsed();
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(pid)?;
    progress(&format!("ready in {:?}, idle RSS {} KiB", ready, idle_rss));

    let admin = client_for(&kubeconfig).await?;
    let ns_api: Api<Namespace> = Api::all(admin.clone());
    for ns in ["bench", "bench-watch"] {
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
        ns_api.create(&PostParams::default(), &ns).await?;
    }
    let mut clients = Vec::new();
    for _ in 0..64 {
        clients.push(client_for(&kubeconfig).await?);
    }
    progress(&format!(
        "creating {} configmaps with 16 clients",
        opts.objects / 2
    ));
    let rate16 = create_many(&clients[..16], "bench", "c16", opts.objects / 2).await?;
    progress(&format!(
        "creating {} configmaps with 64 clients",
        opts.objects - opts.objects / 2
    ));
    let rate64 = create_many(&clients, "bench", "c64", opts.objects - opts.objects / 2).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded_rss = rss_kib(pid)?;

    progress("listing");
    let cms: Api<ConfigMap> = Api::namespaced(admin.clone(), "bench");
    let mut list_ms = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        // Only the benchmark's objects (every namespace also has kube-root-ca.crt).
        let list = cms.list(&ListParams::default().labels("bench=yes")).await?;
        list_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if list.items.len() != opts.objects {
            bail!("listed {} of {} objects", list.items.len(), opts.objects);
        }
    }
    list_ms.sort_by(|a, b| a.total_cmp(b));

    progress(&format!(
        "{} watchers, creating while they watch",
        opts.watchers
    ));
    let watch_ns: Api<ConfigMap> = Api::namespaced(admin.clone(), "bench-watch");
    let rv = watch_ns
        .list(&ListParams::default())
        .await?
        .metadata
        .resource_version
        .unwrap_or_default();
    let writes = 500usize;
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let mut watchers = Vec::new();
    for w in 0..opts.watchers {
        let api: Api<ConfigMap> =
            Api::namespaced(clients[w % clients.len()].clone(), "bench-watch");
        let stream = api.watch(&WatchParams::default().timeout(120), &rv).await?;
        let latencies = latencies.clone();
        watchers.push(tokio::spawn(async move {
            let mut stream = stream.boxed();
            let mut seen = 0;
            while seen < writes {
                match stream.try_next().await {
                    Ok(Some(WatchEvent::Added(cm))) => {
                        let now = now_micros();
                        if let Some(sent) = cm
                            .data
                            .as_ref()
                            .and_then(|d| d.get("sent"))
                            .and_then(|s| s.parse::<u128>().ok())
                        {
                            let ms = now.saturating_sub(sent) as f64 / 1000.0;
                            latencies.lock().map(|mut l| l.push(ms)).ok();
                        }
                        seen += 1;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            seen
        }));
    }
    let writer_api: Api<ConfigMap> = Api::namespaced(admin.clone(), "bench-watch");
    for i in 0..writes {
        writer_api
            .create(&PostParams::default(), &configmap(&format!("w-{i}")))
            .await?;
        // About 500 events/s: delivery latency under load, not a flood.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut delivered = 0;
    for w in watchers {
        delivered += tokio::time::timeout(Duration::from_secs(60), w).await??;
    }
    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_by(|a, b| a.total_cmp(b));

    progress("custom resources: a CRD with a 50-field schema");
    let crd_rate = crd_creates(&clients[..16], &admin, opts.objects / 5).await?;
    progress("RBAC: 1,000 roles and 1,000 bindings");
    let (rbac_p50, rbac_p99, masters_p50, masters_p99) = rbac_overhead(&admin, &kubeconfig).await?;
    let _ = std::fs::remove_file(&tokens);
    drop(server);

    let report = json!({
        "ready_ms": ready.as_secs_f64() * 1000.0,
        "idle_rss_mib": idle_rss as f64 / 1024.0,
        "rss_with_objects_mib": loaded_rss as f64 / 1024.0,
        "objects": opts.objects,
        "creates_per_sec_16_clients": rate16,
        "creates_per_sec_64_clients": rate64,
        "list_ms_p50": percentile(&list_ms, 0.5),
        "list_ms_p99": percentile(&list_ms, 0.99),
        "watchers": opts.watchers,
        "watch_events_delivered": delivered,
        "watch_delivery_ms_p50": percentile(&lat, 0.5),
        "watch_delivery_ms_p99": percentile(&lat, 0.99),
        "crd_objects": opts.objects / 5,
        "crd_creates_per_sec_16_clients": crd_rate,
        "get_ms_p50_rbac_user": rbac_p50,
        "get_ms_p99_rbac_user": rbac_p99,
        "get_ms_p50_system_masters": masters_p50,
        "get_ms_p99_system_masters": masters_p99,
    });
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("vnest bench api (sqlite store, loopback, kube-rs clients)");
        println!(
            "  process start -> first 200 on /readyz   {:>10.1} ms",
            ready.as_secs_f64() * 1000.0
        );
        println!(
            "  idle RSS                                 {:>10.1} MiB",
            idle_rss as f64 / 1024.0
        );
        println!(
            "  RSS with {:>6} configmaps               {:>10.1} MiB",
            opts.objects,
            loaded_rss as f64 / 1024.0
        );
        println!(
            "  creates/s, 16 clients                    {:>10.0}",
            rate16
        );
        println!(
            "  creates/s, 64 clients                    {:>10.0}",
            rate64
        );
        println!(
            "  list {:>6} configmaps p50 / p99        {:>6.1} / {:.1} ms",
            opts.objects,
            percentile(&list_ms, 0.5),
            percentile(&list_ms, 0.99)
        );
        println!(
            "  {} watchers: delivery p50 / p99          {:>6.2} / {:.2} ms ({} events)",
            opts.watchers,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            delivered
        );
        println!(
            "  creates/s of a 50-field custom resource  {:>10.0} ({} objects, 16 clients)",
            crd_rate,
            opts.objects / 5
        );
        println!(
            "  GET p50 / p99, RBAC user (1k roles)    {:>6.2} / {:.2} ms",
            rbac_p50, rbac_p99
        );
        println!(
            "  GET p50 / p99, system:masters          {:>6.2} / {:.2} ms",
            masters_p50, masters_p99
        );
    }
    Ok(())
}

const BENCH_TOKEN: &str = "vnest-bench-user-token";
const WIDE_FIELDS: usize = 50;

/// A CRD whose spec has 50 typed fields (strings with patterns, bounded integers,
/// booleans, enums), and creates/s of its objects.
async fn crd_creates(clients: &[Client], admin: &Client, count: usize) -> anyhow::Result<f64> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let mut props = serde_json::Map::new();
    for i in 0..WIDE_FIELDS {
        let schema = match i % 4 {
            0 => json!({"type": "string", "maxLength": 64, "pattern": "^[a-z0-9-]*$"}),
            1 => json!({"type": "integer", "minimum": 0, "maximum": 1000000}),
            2 => json!({"type": "boolean"}),
            _ => json!({"type": "string", "enum": ["a", "b", "c"]}),
        };
        props.insert(format!("field{i}"), schema);
    }
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "wides.bench.example.com"},
        "spec": {
            "group": "bench.example.com",
            "scope": "Namespaced",
            "names": {"plural": "wides", "singular": "wide", "kind": "Wide", "listKind": "WideList"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": props}},
            }}}],
        },
    }))?;
    let crds: Api<CustomResourceDefinition> = Api::all(admin.clone());
    crds.create(&PostParams::default(), &crd).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = crds.get("wides.bench.example.com").await?;
        let established = c
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True");
        if established {
            break;
        }
        if Instant::now() > deadline {
            bail!("the benchmark CRD was not established in 30 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("bench.example.com", "v1", "Wide"),
        "wides",
    );
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in clients {
        let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), "bench", &ar);
        let next = next.clone();
        let ar = ar.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                let mut spec = serde_json::Map::new();
                for f in 0..WIDE_FIELDS {
                    let v = match f % 4 {
                        0 => json!(format!("value-{i}-{f}")),
                        1 => json!(i * f),
                        2 => json!(i % 2 == 0),
                        _ => json!("b"),
                    };
                    spec.insert(format!("field{f}"), v);
                }
                let mut obj = DynamicObject::new(&format!("wide-{i}"), &ar);
                obj.data = json!({"spec": spec});
                api.create(&PostParams::default(), &obj).await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// 1,000 Roles and 1,000 RoleBindings across 100 namespaces for 1,000 other users,
/// then GET latency of one configmap by a user the last binding authorizes, against
/// the same GET by the system:masters admin. Returns (rbac p50, p99, masters p50, p99).
async fn rbac_overhead(admin: &Client, kubeconfig: &Path) -> anyhow::Result<(f64, f64, f64, f64)> {
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    let ns_api: Api<Namespace> = Api::all(admin.clone());
    for n in 0..100 {
        let ns: Namespace =
            serde_json::from_value(json!({"metadata": {"name": format!("rbac-{n}")}}))?;
        ns_api.create(&PostParams::default(), &ns).await?;
    }
    for i in 0..1000 {
        let ns = format!("rbac-{}", i % 100);
        let roles: Api<Role> = Api::namespaced(admin.clone(), &ns);
        let role: Role = serde_json::from_value(json!({
            "metadata": {"name": format!("role-{i}")},
            "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list"], "resourceNames": [format!("cm-{i}")]},
                      {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}],
        }))?;
        roles.create(&PostParams::default(), &role).await?;
        let bindings: Api<RoleBinding> = Api::namespaced(admin.clone(), &ns);
        let user = if i == 999 {
            "bench-user".to_string()
        } else {
            format!("user-{i}")
        };
        let binding: RoleBinding = serde_json::from_value(json!({
            "metadata": {"name": format!("binding-{i}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("role-{i}")},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        }))?;
        bindings.create(&PostParams::default(), &binding).await?;
    }
    let cms: Api<ConfigMap> = Api::namespaced(admin.clone(), "rbac-99");
    cms.create(&PostParams::default(), &configmap("cm-999"))
        .await?;
    // The user's client: the admin kubeconfig's server and CA, the static token.
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let mut cfg = Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    cfg.auth_info = kube::config::AuthInfo {
        token: Some(BENCH_TOKEN.to_string().into()),
        ..Default::default()
    };
    let user = Client::try_from(cfg)?;
    let user_cms: Api<ConfigMap> = Api::namespaced(user, "rbac-99");
    // The binding takes effect once the snapshot is rebuilt.
    let deadline = Instant::now() + Duration::from_secs(30);
    while user_cms.get("cm-999").await.is_err() {
        if Instant::now() > deadline {
            bail!("the benchmark user was never authorized");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let measure = |api: Api<ConfigMap>| async move {
        let mut ms = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            api.get("cm-999").await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        Ok::<_, anyhow::Error>(ms)
    };
    let rbac = measure(user_cms).await?;
    let masters = measure(cms).await?;
    Ok((
        percentile(&rbac, 0.5),
        percentile(&rbac, 0.99),
        percentile(&masters, 0.5),
        percentile(&masters, 0.99),
    ))
}

/// `vnest bench host`: a dev host with `nodes` simulated nodes; `pods` pods created
/// through one Deployment. Reports the time from the create to every pod bound and
/// to every pod Running (and the Deployment available), and the scheduler's binds/s.
/// A client of a server this benchmark started, once its kubeconfig is written and
/// /readyz answers (30 s at most).
async fn wait_ready(kubeconfig: &Path, what: &str) -> anyhow::Result<Client> {
    let started = Instant::now();
    loop {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("{what} not ready after 30 s");
        }
        if kubeconfig.exists() {
            if let Ok(c) = client_for(kubeconfig).await {
                let req = http::Request::get("/readyz").body(Vec::new())?;
                if c.request_text(req).await.is_ok() {
                    return Ok(c);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts a fresh dev host with `nodes` nodes and waits until its nodes are registered.
async fn start_dev_host(nodes: usize) -> anyhow::Result<(ServerProcess, Client)> {
    let exe = std::env::current_exe()?;
    let dir = std::env::temp_dir().join(format!(
        "vnest-bench-host-{}-{}",
        std::process::id(),
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    progress(&format!("starting vnest host with {nodes} nodes"));
    let child = Command::new(&exe)
        .args(["host", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--nodes", &nodes.to_string()])
        .env("VNEST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start the dev host")?;
    let server = ServerProcess {
        child,
        dir: dir.clone(),
    };
    let client = wait_ready(&dir.join("admin.kubeconfig"), "dev host").await?;
    let node_api: Api<k8s_openapi::api::core::v1::Node> = Api::all(client.clone());
    while node_api.list(&ListParams::default()).await?.items.len() < nodes {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((server, client))
}

/// Scheduler throughput on its own (kube's scheduler_perf SchedulingThroughput):
/// `pods` bare pods created as fast as 64 concurrent clients can, bound by the
/// scheduler as they arrive; the rate is pods over the time from the first create to
/// the last binding. No controller is involved.
async fn scheduler_throughput(pods: usize, nodes: usize) -> anyhow::Result<(f64, Duration)> {
    use k8s_openapi::api::core::v1::Pod;
    let (_server, client) = start_dev_host(nodes).await?;
    let pod_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut events = kube::runtime::watcher(
        pod_api.clone(),
        kube::runtime::watcher::Config::default().labels("app=sched"),
    )
    .boxed();
    // The watch is running before the first create.
    match events.next().await {
        Some(Ok(_)) => {}
        other => bail!("the pod watch did not start: {other:?}"),
    }
    let template: Pod = serde_json::from_value(json!({
        "metadata": {"labels": {"app": "sched"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }))?;
    progress(&format!("creating {pods} bare pods"));
    let t0 = Instant::now();
    let creates = tokio::spawn(async move {
        futures::stream::iter(0..pods)
            .map(|i| {
                let api = pod_api.clone();
                let mut pod = template.clone();
                pod.metadata.name = Some(format!("sched-{i}"));
                async move { api.create(&PostParams::default(), &pod).await }
            })
            .buffer_unordered(64)
            .try_collect::<Vec<_>>()
            .await
    });
    let mut bound: std::collections::HashSet<String> = Default::default();
    let deadline = Instant::now() + Duration::from_secs(300);
    while bound.len() < pods {
        let ev = match tokio::time::timeout_at(deadline.into(), events.next()).await {
            Err(_) => bail!("only {} of {pods} pods bound after 300 s", bound.len()),
            Ok(None) => bail!("the pod watch ended"),
            Ok(Some(Err(e))) => {
                progress(&format!("watch error: {e}"));
                continue;
            }
            Ok(Some(Ok(ev))) => ev,
        };
        if let kube::runtime::watcher::Event::Apply(p)
        | kube::runtime::watcher::Event::InitApply(p) = ev
        {
            if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some() {
                bound.insert(p.metadata.name.clone().unwrap_or_default());
            }
        }
    }
    let took = t0.elapsed();
    creates.await??;
    Ok((pods as f64 / took.as_secs_f64().max(0.001), took))
}

/// The scheduler's binding rate on a ready backlog: `pods` pods wait, unschedulable,
/// for a node label; every node gets it at once (concurrent patches) and the time
/// until all are bound is measured. Creation is not in this figure.
async fn scheduler_backlog(pods: usize, nodes: usize) -> anyhow::Result<(f64, Duration)> {
    use k8s_openapi::api::core::v1::{Node, Pod};
    use kube::api::{Patch, PatchParams};
    let (_server, client) = start_dev_host(nodes).await?;
    let pod_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    progress(&format!("creating {pods} pods that wait for a node label"));
    let template: Pod = serde_json::from_value(json!({
        "metadata": {"labels": {"app": "backlog"}},
        "spec": {"nodeSelector": {"vnest.dev/bench": "go"},
                 "containers": [{"name": "c", "image": "nginx"}]},
    }))?;
    futures::stream::iter(0..pods)
        .map(|i| {
            let api = pod_api.clone();
            let mut pod = template.clone();
            pod.metadata.name = Some(format!("backlog-{i}"));
            async move { api.create(&PostParams::default(), &pod).await }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<_>>()
        .await?;
    // Every pod has been tried and refused once, and its back-off has run out.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let list = pod_api
            .list(&ListParams::default().labels("app=backlog"))
            .await?;
        let refused = list
            .items
            .iter()
            .filter(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| {
                        c.iter()
                            .any(|c| c.type_ == "PodScheduled" && c.status == "False")
                    })
            })
            .count();
        if refused >= pods {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {refused} of {pods} pods were marked unschedulable");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut events = kube::runtime::watcher(
        pod_api.clone(),
        kube::runtime::watcher::Config::default().labels("app=backlog"),
    )
    .boxed();
    let mut bound: std::collections::HashSet<String> = Default::default();
    // Drain the initial list before the clock starts.
    loop {
        match events.next().await {
            Some(Ok(kube::runtime::watcher::Event::InitDone)) => break,
            Some(Ok(_)) => {}
            other => bail!("the pod watch did not start: {other:?}"),
        }
    }
    let node_api: Api<Node> = Api::all(client.clone());
    let names: Vec<String> = node_api
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    progress("labelling every node at once: the backlog becomes schedulable");
    let t0 = Instant::now();
    let patch = json!({"metadata": {"labels": {"vnest.dev/bench": "go"}}});
    futures::future::try_join_all(names.iter().map(|n| {
        let api = node_api.clone();
        let patch = patch.clone();
        async move {
            api.patch(n, &PatchParams::default(), &Patch::Merge(&patch))
                .await
        }
    }))
    .await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while bound.len() < pods {
        let ev = match tokio::time::timeout_at(deadline.into(), events.next()).await {
            Err(_) => bail!("only {} of {pods} pods bound after 300 s", bound.len()),
            Ok(None) => bail!("the pod watch ended"),
            Ok(Some(Err(e))) => {
                progress(&format!("watch error: {e}"));
                continue;
            }
            Ok(Some(Ok(ev))) => ev,
        };
        if let kube::runtime::watcher::Event::Apply(p) = ev {
            if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some() {
                bound.insert(p.metadata.name.clone().unwrap_or_default());
            }
        }
    }
    let took = t0.elapsed();
    Ok((pods as f64 / took.as_secs_f64().max(0.001), took))
}

pub async fn run_host(pods: usize, nodes: usize, json_out: bool) -> anyhow::Result<()> {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    let (backlog_rate, backlog_took) = scheduler_backlog(pods, nodes).await?;
    let (sched_rate, sched_took) = scheduler_throughput(pods, nodes).await?;
    let (server, client) = start_dev_host(nodes).await?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "bench"},
        "spec": {"replicas": pods, "selector": {"matchLabels": {"app": "bench"}},
                 "template": {"metadata": {"labels": {"app": "bench"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }))?;
    progress(&format!("creating a deployment of {pods} pods"));
    let t0 = Instant::now();
    deployments.create(&PostParams::default(), &d).await?;
    // One watch follows the pods (polling full lists would load the server more than
    // the work being measured).
    let pod_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut events = kube::runtime::watcher(
        pod_api,
        kube::runtime::watcher::Config::default().labels("app=bench"),
    )
    .boxed();
    let mut seen: std::collections::HashMap<String, (bool, bool)> = Default::default();
    let mut all_bound = None;
    let mut first_created: Option<Duration> = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    let running = loop {
        let next = tokio::time::timeout_at(deadline.into(), events.next()).await;
        let ev = match next {
            Err(_) => bail!("pods not running after 300 s"),
            Ok(None) => bail!("the pod watch ended"),
            Ok(Some(Err(e))) => {
                progress(&format!("watch error: {e}"));
                continue;
            }
            Ok(Some(Ok(ev))) => ev,
        };
        let pods_seen: Vec<Pod> = match ev {
            kube::runtime::watcher::Event::Apply(p)
            | kube::runtime::watcher::Event::InitApply(p) => vec![p],
            _ => Vec::new(),
        };
        for p in pods_seen {
            if first_created.is_none() {
                first_created = Some(t0.elapsed());
            }
            let bound = p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
            let run = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
            seen.insert(p.metadata.name.clone().unwrap_or_default(), (bound, run));
        }
        if all_bound.is_none() && seen.values().filter(|(b, _)| *b).count() >= pods {
            all_bound = Some(t0.elapsed());
        }
        if seen.values().filter(|(_, r)| *r).count() >= pods {
            break t0.elapsed();
        }
    };
    let available = loop {
        let d = deployments.get("bench").await?;
        let avail = d.status.and_then(|s| s.available_replicas).unwrap_or(0) as usize;
        if avail >= pods || Instant::now() > deadline {
            break t0.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let rss = rss_kib(server.child.id())? as f64 / 1024.0;
    drop(server);
    let bound = all_bound.unwrap_or(running);
    let first = first_created.unwrap_or_default();
    let bind_window = bound.saturating_sub(first).as_secs_f64().max(0.001);
    let report = json!({
        "pods": pods,
        "nodes": nodes,
        "all_bound_s": bound.as_secs_f64(),
        "all_running_s": running.as_secs_f64(),
        "deployment_available_s": available.as_secs_f64(),
        "pods_bound_per_sec": pods as f64 / bind_window,
        "scheduler_bare_pods_bound_s": sched_took.as_secs_f64(),
        "scheduler_pods_bound_per_sec": sched_rate,
        "scheduler_backlog_bound_s": backlog_took.as_secs_f64(),
        "scheduler_backlog_pods_bound_per_sec": backlog_rate,
        "pods_running_per_sec": pods as f64 / running.as_secs_f64().max(0.001),
        "host_rss_mib": rss,
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("vnest bench host ({nodes} simulated nodes, {pods} pods through one Deployment)");
        println!(
            "  create -> all bound          {:>8.2} s",
            bound.as_secs_f64()
        );
        println!(
            "  create -> all Running        {:>8.2} s",
            running.as_secs_f64()
        );
        println!(
            "  create -> Deployment available {:>6.2} s",
            available.as_secs_f64()
        );
        println!(
            "  pods bound/s during rollout  {:>8.0}",
            pods as f64 / bind_window
        );
        println!(
            "  scheduler: {pods} bare pods created and bound in {:.2} s = {:.0} pods/s",
            sched_took.as_secs_f64(),
            sched_rate
        );
        println!(
            "  scheduler: waiting backlog of {pods} bound in {:.2} s = {:.0} pods/s",
            backlog_took.as_secs_f64(),
            backlog_rate
        );
        println!("  dev host RSS at the end      {:>8.1} MiB", rss);
    }
    Ok(())
}

/// The syncer: a virtual control plane (a local process) on a fresh dev host;
/// `pods` virtual pods through one Deployment to Running in the virtual cluster (wall
/// time), the latency of each pod from virtual create to host create and from host
/// Running to virtual Running (both sides watched by this process, one clock), then the
/// same latency for pods created one at a time on an idle syncer.
pub async fn run_syncer(pods: usize, nodes: usize, json_out: bool) -> anyhow::Result<()> {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    use std::collections::HashMap;
    let (_host, host_client) = start_dev_host(nodes).await?;
    let host_dir = _host.dir.clone();
    let ns_api: Api<Namespace> = Api::all(host_client.clone());
    ns_api
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "bench-vc"}}))?,
        )
        .await?;
    let vdir = host_dir.join("virtual");
    std::fs::create_dir_all(&vdir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    progress("starting the virtual control plane with its syncer");
    let child = Command::new(std::env::current_exe()?)
        .args(["control-plane", "--name", "bench", "--data-dir"])
        .arg(&vdir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--host-kubeconfig")
        .arg(host_dir.join("admin.kubeconfig"))
        .args(["--host-namespace", "bench-vc"])
        .env("VNEST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start the virtual control plane")?;
    let virtual_server = ServerProcess {
        child,
        dir: vdir.clone(),
    };
    let vclient = wait_ready(&vdir.join("admin.kubeconfig"), "virtual control plane").await?;
    // Both sides watched from here: name -> when first seen, when seen Running.
    #[derive(Default)]
    struct Seen {
        created: HashMap<String, Instant>,
        running: HashMap<String, Instant>,
    }
    let follow = |api: Api<Pod>, labels: &'static str, host_side: bool| {
        let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
        let out = seen.clone();
        tokio::spawn(async move {
            let mut events = kube::runtime::watcher(
                api,
                kube::runtime::watcher::Config::default().labels(labels),
            )
            .boxed();
            while let Some(ev) = events.next().await {
                let Ok(
                    kube::runtime::watcher::Event::Apply(p)
                    | kube::runtime::watcher::Event::InitApply(p),
                ) = ev
                else {
                    continue;
                };
                let name = if host_side {
                    p.metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get("vnest.io/object-name").cloned())
                } else {
                    p.metadata.name.clone()
                };
                let Some(name) = name else { continue };
                let now = Instant::now();
                let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
                let mut s = out.lock().unwrap_or_else(|e| e.into_inner());
                s.created.entry(name.clone()).or_insert(now);
                if running {
                    s.running.entry(name).or_insert(now);
                }
            }
        });
        seen
    };
    let vseen = follow(
        Api::namespaced(vclient.clone(), "default"),
        "bench in (bulk,idle)",
        false,
    );
    let hseen = follow(
        Api::namespaced(host_client.clone(), "bench-vc"),
        "vnest.io/managed-by=bench",
        true,
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let deployments: Api<Deployment> = Api::namespaced(vclient.clone(), "default");
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "bulk"},
        "spec": {"replicas": pods, "selector": {"matchLabels": {"bench": "bulk"}},
                 "template": {"metadata": {"labels": {"bench": "bulk"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }))?;
    progress(&format!("creating a virtual deployment of {pods} pods"));
    let t0 = Instant::now();
    deployments.create(&PostParams::default(), &d).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    let all_running = loop {
        let n = vseen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .running
            .len();
        if n >= pods {
            break t0.elapsed();
        }
        if Instant::now() > deadline {
            bail!("only {n} of {pods} virtual pods Running after 600 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let latencies = |names: &[String]| -> (Vec<f64>, Vec<f64>) {
        let v = vseen.lock().unwrap_or_else(|e| e.into_inner());
        let h = hseen.lock().unwrap_or_else(|e| e.into_inner());
        let mut down = Vec::new();
        let mut up = Vec::new();
        for n in names {
            if let (Some(vc), Some(hc)) = (v.created.get(n), h.created.get(n)) {
                down.push(hc.saturating_duration_since(*vc).as_secs_f64() * 1000.0);
            }
            if let (Some(hr), Some(vr)) = (h.running.get(n), v.running.get(n)) {
                up.push(vr.saturating_duration_since(*hr).as_secs_f64() * 1000.0);
            }
        }
        down.sort_by(f64::total_cmp);
        up.sort_by(f64::total_cmp);
        (down, up)
    };
    let bulk_names: Vec<String> = vseen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .running
        .keys()
        .cloned()
        .collect();
    let (bulk_down, bulk_up) = latencies(&bulk_names);

    // Idle: single pods, one at a time.
    progress("creating 50 single pods one at a time on an idle syncer");
    let pod_api: Api<Pod> = Api::namespaced(vclient.clone(), "default");
    let mut idle_names = Vec::new();
    for i in 0..50 {
        let name = format!("idle-{i}");
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"bench": "idle"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        }))?;
        pod_api.create(&PostParams::default(), &pod).await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !vseen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .running
            .contains_key(&name)
        {
            if Instant::now() > deadline {
                bail!("{name} not Running after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        idle_names.push(name);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (idle_down, idle_up) = latencies(&idle_names);
    let rss = rss_kib(virtual_server.child.id())? as f64 / 1024.0;
    let report = json!({
        "pods": pods, "nodes": nodes,
        "all_virtual_running_s": all_running.as_secs_f64(),
        "bulk_virtual_to_host_create_ms_p50": percentile(&bulk_down, 0.5),
        "bulk_virtual_to_host_create_ms_p99": percentile(&bulk_down, 0.99),
        "bulk_host_to_virtual_running_ms_p50": percentile(&bulk_up, 0.5),
        "bulk_host_to_virtual_running_ms_p99": percentile(&bulk_up, 0.99),
        "idle_virtual_to_host_create_ms_p50": percentile(&idle_down, 0.5),
        "idle_virtual_to_host_create_ms_p99": percentile(&idle_down, 0.99),
        "idle_host_to_virtual_running_ms_p50": percentile(&idle_up, 0.5),
        "idle_host_to_virtual_running_ms_p99": percentile(&idle_up, 0.99),
        "virtual_control_plane_rss_mib": rss,
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("vnest bench syncer ({pods} virtual pods through one Deployment, dev host with {nodes} nodes)");
        println!(
            "  virtual create -> all {pods} Running in the virtual cluster  {:>8.2} s",
            all_running.as_secs_f64()
        );
        println!(
            "  bulk: virtual create -> host create   p50 {:>7.1} ms  p99 {:>7.1} ms",
            percentile(&bulk_down, 0.5),
            percentile(&bulk_down, 0.99)
        );
        println!(
            "  bulk: host Running -> virtual Running p50 {:>7.1} ms  p99 {:>7.1} ms",
            percentile(&bulk_up, 0.5),
            percentile(&bulk_up, 0.99)
        );
        println!(
            "  idle: virtual create -> host create   p50 {:>7.1} ms  p99 {:>7.1} ms",
            percentile(&idle_down, 0.5),
            percentile(&idle_down, 0.99)
        );
        println!(
            "  idle: host Running -> virtual Running p50 {:>7.1} ms  p99 {:>7.1} ms",
            percentile(&idle_up, 0.5),
            percentile(&idle_up, 0.99)
        );
        println!("  virtual control plane RSS at the end {rss:.1} MiB");
    }
    drop(virtual_server);
    Ok(())
}

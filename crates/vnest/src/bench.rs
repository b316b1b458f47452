//! `vnest bench api`: measures a real `vnest control-plane` process on loopback with
//! kube-rs clients. Not a test: it reports numbers, it does not judge them.
//!
//! Figures: process start to the first 200 on /readyz; idle RSS; RSS with 10,000
//! configmaps; creates/s with 16 and 64 concurrent clients; latency of listing 10,000
//! configmaps; event delivery latency p50/p99 to 100 watchers of one namespace while
//! objects are created.

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
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
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
    let child = Command::new(&exe)
        .args(["control-plane", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
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
    }
    Ok(())
}

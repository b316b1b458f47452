//! `vnest bench clusters`: what a user of the CLI feels and what a machine holds.
//! Time from `vnest create` to the first successful `kubectl get ns` (process driver,
//! warm binary, dev host already up), memory of an idle control plane holding 100
//! objects, and how many idle virtual clusters one machine carries at once. Every
//! step runs the real CLI and kubectl as subprocesses, in a throwaway VNEST_HOME.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

/// A throwaway CLI home with its own kubeconfig and dev host.
struct Sandbox {
    home: PathBuf,
    listen: String,
}

impl Sandbox {
    fn new() -> anyhow::Result<Sandbox> {
        let home =
            std::env::temp_dir().join(format!("vnest-bench-clusters-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        Ok(Sandbox {
            home,
            listen: format!("127.0.0.1:{port}"),
        })
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("VNEST_HOME", &self.home)
            .env("KUBECONFIG", self.home.join("user.kubeconfig"))
            .env("VNEST_DEV_HOST_LISTEN", &self.listen)
            .stdin(Stdio::null());
        cmd
    }

    fn vnest(&self, args: &[&str]) -> anyhow::Result<Output> {
        let out = self
            .command(std::env::current_exe()?)
            .args(args)
            .output()
            .context("running vnest")?;
        if !out.status.success() {
            bail!(
                "vnest {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(out)
    }

    fn cluster_kubeconfig(&self, name: &str) -> PathBuf {
        self.home.join(name).join("kubeconfig")
    }

    fn kubectl(&self, name: &str, args: &[&str]) -> bool {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", self.cluster_kubeconfig(name))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn pid(&self, name: &str) -> Option<i32> {
        crate::background::running_pid(&self.home.join(name).join("control-plane.pid"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Whatever is left (an interrupted run): stop it and remove the sandbox.
        for r in std::fs::read_dir(&self.home)
            .into_iter()
            .flatten()
            .flatten()
        {
            let pid_file = r.path().join("control-plane.pid");
            if let Some(pid) = crate::background::running_pid(&pid_file) {
                crate::background::stop(pid, Duration::from_secs(2));
            }
        }
        if let Some(pid) = crate::background::running_pid(&self.home.join("_host").join("host.pid"))
        {
            crate::background::stop(pid, Duration::from_secs(5));
        }
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Proportional set size in bytes (shared pages divided among their users).
fn pss_bytes(pid: i32) -> Option<u64> {
    crate::background::proc_bytes(pid, "smaps_rollup", "Pss:")
}

fn anon_bytes(pid: i32) -> Option<u64> {
    crate::background::proc_bytes(pid, "status", "RssAnon:")
}

fn mem_available() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

const MIB: f64 = 1024.0 * 1024.0;

/// Fills a cluster with `objects` objects: configmaps, secrets, services and one
/// two-replica deployment (which adds its replica set, pods and endpoints).
fn fill(sb: &Sandbox, name: &str, objects: usize) -> anyhow::Result<()> {
    let mut manifest = String::new();
    let made_by_deployment = 5; // deployment, replica set, 2 pods, endpoints
    let rest = objects.saturating_sub(made_by_deployment);
    let services = rest / 20;
    let secrets = rest / 10;
    let configmaps = rest - services - secrets;
    for i in 0..configmaps {
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\ndata: {{key: value-{i}}}\n"
        ));
    }
    for i in 0..secrets {
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: s-{i}}}\nstringData: {{password: p-{i}}}\n"
        ));
    }
    for i in 0..services {
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i}}}\nspec: {{ports: [{{port: 80}}], selector: {{app: x{i}}}}}\n"
        ));
    }
    manifest.push_str(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: busybox, command: [sleep, '3600']}]}\n",
    );
    let file = sb.home.join(format!("{name}-objects.yaml"));
    std::fs::write(&file, manifest)?;
    let ok = Command::new("kubectl")
        .args(["apply", "--validate=false", "-f"])
        .arg(&file)
        .env("KUBECONFIG", sb.cluster_kubeconfig(name))
        .stdout(Stdio::null())
        .status()?
        .success();
    if !ok {
        bail!("kubectl apply of {objects} objects failed");
    }
    Ok(())
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        if Instant::now() > deadline {
            bail!("timed out after {secs} s waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

pub async fn run(
    count: usize,
    objects: usize,
    idle_secs: u64,
    json_out: bool,
) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || run_blocking(count, objects, idle_secs, json_out)).await?
}

fn progress(msg: &str) {
    eprintln!("  {msg}");
}

fn run_blocking(
    count: usize,
    objects: usize,
    idle_secs: u64,
    json_out: bool,
) -> anyhow::Result<()> {
    let sb = Sandbox::new()?;
    progress("starting the dev host");
    sb.vnest(&[
        "host",
        "--data-dir",
        &sb.home.join("_host").to_string_lossy(),
        "--listen",
        &sb.listen,
        "up",
    ])?;
    let host_pid = crate::background::running_pid(&sb.home.join("_host").join("host.pid"))
        .context("dev host pid")?;

    // 1. An idle control plane holding `objects` objects.
    progress(&format!("an idle cluster with {objects} objects"));
    sb.vnest(&["create", "idle", "--connect=false"])?;
    fill(&sb, "idle", objects)?;
    wait_until("the deployment's pods to run", 120, || {
        sb.kubectl(
            "idle",
            &["rollout", "status", "deployment/web", "--timeout=5s"],
        )
    })?;
    std::thread::sleep(Duration::from_secs(idle_secs));
    let idle_pid = sb.pid("idle").context("idle cluster pid")?;
    let idle_rss = crate::background::rss_bytes(idle_pid).unwrap_or(0);
    let idle_pss = pss_bytes(idle_pid).unwrap_or(0);
    let idle_anon = anon_bytes(idle_pid).unwrap_or(0);

    // 2. create -> first successful `kubectl get ns`, five times.
    let mut create_times = Vec::new();
    for i in 0..5 {
        let name = format!("quick{i}");
        let t0 = Instant::now();
        sb.vnest(&["create", &name, "--connect=false"])?;
        wait_until("kubectl get ns", 60, || sb.kubectl(&name, &["get", "ns"]))?;
        create_times.push(t0.elapsed().as_secs_f64());
        sb.vnest(&["delete", &name])?;
    }
    progress(&format!("create -> kubectl get ns: {create_times:.2?} s"));

    // 3. Many idle clusters at once.
    let avail_before = mem_available();
    let t0 = Instant::now();
    let names: Vec<String> = (0..count).map(|i| format!("many{i}")).collect();
    for (i, chunk) in names.chunks(4).enumerate() {
        std::thread::scope(|s| -> anyhow::Result<()> {
            let handles: Vec<_> = chunk
                .iter()
                .map(|n| s.spawn(|| sb.vnest(&["create", n, "--connect=false"])))
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| anyhow::anyhow!("create thread panicked"))??;
            }
            Ok(())
        })?;
        if (i * 4) % 20 == 0 {
            progress(&format!(
                "{} clusters up after {:.0} s",
                (i + 1) * 4,
                t0.elapsed().as_secs_f64()
            ));
        }
    }
    let create_all = t0.elapsed().as_secs_f64();
    progress(&format!(
        "{count} clusters up in {create_all:.0} s; idling {idle_secs} s"
    ));
    std::thread::sleep(Duration::from_secs(idle_secs));
    let healthy = names
        .iter()
        .filter(|n| sb.kubectl(n, &["get", "--raw", "/readyz"]))
        .count();
    let pids: Vec<i32> = names.iter().filter_map(|n| sb.pid(n)).collect();
    let sum = |f: fn(i32) -> Option<u64>| pids.iter().filter_map(|p| f(*p)).sum::<u64>();
    let total_rss = sum(crate::background::rss_bytes);
    let total_pss = sum(pss_bytes);
    let total_anon = sum(anon_bytes);
    let avail_after = mem_available();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let host_rss = crate::background::rss_bytes(host_pid).unwrap_or(0);
    progress("deleting them");
    for chunk in names.chunks(8) {
        std::thread::scope(|s| {
            for n in chunk {
                s.spawn(|| sb.vnest(&["delete", n]));
            }
        });
    }
    sb.vnest(&["delete", "idle"])?;

    let mut sorted = create_times.clone();
    sorted.sort_by(f64::total_cmp);
    let report = json!({
        "createToGetNsSeconds": {"runs": create_times, "median": sorted[sorted.len() / 2]},
        "idleWithObjects": {"objects": objects, "idleSeconds": idle_secs,
            "rssMiB": idle_rss as f64 / MIB, "pssMiB": idle_pss as f64 / MIB,
            "anonMiB": idle_anon as f64 / MIB},
        "manyIdle": {"clusters": count, "healthy": healthy, "createSeconds": create_all,
            "perClusterRssMiB": total_rss as f64 / MIB / pids.len().max(1) as f64,
            "perClusterPssMiB": total_pss as f64 / MIB / pids.len().max(1) as f64,
            "perClusterAnonMiB": total_anon as f64 / MIB / pids.len().max(1) as f64,
            "memAvailableDropMiB": (avail_before.saturating_sub(avail_after)) as f64 / MIB,
            "devHostRssMiB": host_rss as f64 / MIB,
            "loadavg": load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")},
    });
    if json_out {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let r = &report;
        let build = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        println!("vnest bench clusters (process driver, dev host, {build} binary)");
        println!(
            "  create -> first kubectl get ns: median {:.2} s (runs {:.2?})",
            r["createToGetNsSeconds"]["median"].as_f64().unwrap_or(0.0),
            create_times
        );
        println!(
            "  idle control plane with {objects} objects after {idle_secs} s: RSS {:.1} MiB, PSS {:.1} MiB, anonymous {:.1} MiB",
            idle_rss as f64 / MIB,
            idle_pss as f64 / MIB,
            idle_anon as f64 / MIB
        );
        println!(
            "  {count} idle clusters: {healthy} healthy, created in {create_all:.0} s; per cluster RSS {:.1} MiB, PSS {:.1} MiB, anonymous {:.1} MiB; MemAvailable dropped {:.0} MiB; dev host RSS {:.0} MiB; load {}",
            r["manyIdle"]["perClusterRssMiB"].as_f64().unwrap_or(0.0),
            r["manyIdle"]["perClusterPssMiB"].as_f64().unwrap_or(0.0),
            r["manyIdle"]["perClusterAnonMiB"].as_f64().unwrap_or(0.0),
            r["manyIdle"]["memAvailableDropMiB"].as_f64().unwrap_or(0.0),
            host_rss as f64 / MIB,
            r["manyIdle"]["loadavg"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

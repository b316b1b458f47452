//! `vnest host`: the dev host in the foreground, or managed in the background with
//! `up`, `down` and `status` (pid and log in the data dir).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::{ControlPlaneArgs, OutputFormat};

#[derive(Args)]
pub struct HostArgs {
    #[command(subcommand)]
    action: Option<HostAction>,
    #[command(flatten)]
    server: ControlPlaneArgs,
    /// Simulated nodes.
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Do not run containers' commands as local processes (simulate them all).
    #[arg(long)]
    no_exec: bool,
    /// IPv4 range pod addresses come from, cut into one range per node.
    #[arg(long, default_value = vnest_hostsim::ipam::DEFAULT_POD_CIDR)]
    pod_cidr: String,
    /// Prefix length of each node's share of the pod range.
    #[arg(long, default_value_t = vnest_hostsim::ipam::DEFAULT_NODE_MASK)]
    node_cidr_mask_size: u8,
}

#[derive(Subcommand, Clone, Copy)]
enum HostAction {
    /// Start the dev host in the background and wait until it answers.
    Up {
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// Stop a background dev host.
    Down,
    /// Whether a background dev host runs, and where.
    Status {
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
}

fn pid_file(dir: &Path) -> PathBuf {
    dir.join("host.pid")
}

fn running_pid(dir: &Path) -> Option<i32> {
    crate::background::running_pid(&pid_file(dir))
}

fn report(output: OutputFormat, running: bool, pid: Option<i32>, dir: &Path, server: &str) {
    let kubeconfig = dir.join("admin.kubeconfig");
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "running": running, "pid": pid, "server": server,
                "dataDir": dir, "kubeconfig": kubeconfig, "log": dir.join("host.log"),
            })
        ),
        OutputFormat::Text => {
            if running {
                println!(
                    "dev host running (pid {}) on {server}\nkubeconfig: {}",
                    pid.unwrap_or(0),
                    kubeconfig.display()
                );
            } else {
                println!("dev host not running (data dir {})", dir.display());
            }
        }
    }
}

fn up(args: &HostArgs) -> anyhow::Result<(i32, String)> {
    let dir = &args.server.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let server = format!("https://{}", args.server.listen);
    if let Some(pid) = running_pid(dir) {
        return Ok((pid, server));
    }
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("host")
        .arg("--name")
        .arg(&args.server.name)
        .arg("--data-dir")
        .arg(dir)
        .arg("--listen")
        .arg(args.server.listen.to_string())
        .arg("--nodes")
        .arg(args.nodes.to_string())
        .arg("--pod-cidr")
        .arg(&args.pod_cidr)
        .arg("--node-cidr-mask-size")
        .arg(args.node_cidr_mask_size.to_string())
        .arg("--service-cidr")
        .arg(&args.server.service_cidr)
        .arg("--service-node-port-range")
        .arg(&args.server.service_node_port_range);
    if args.no_exec {
        cmd.arg("--no-exec");
    }
    if let Some(t) = &args.server.token_auth_file {
        cmd.arg("--token-auth-file").arg(t);
    }
    let pid = crate::background::spawn(cmd, &dir.join("host.log"), &pid_file(dir))
        .context("starting the dev host")?;
    let started = Instant::now();
    eprint!("starting the dev host");
    let kubeconfig = dir.join("admin.kubeconfig");
    loop {
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "the dev host did not become ready in 60 s; see {}",
                dir.join("host.log").display()
            );
        }
        if !crate::background::alive(pid) {
            bail!(
                "the dev host exited; see {}",
                dir.join("host.log").display()
            );
        }
        if kubeconfig.exists() {
            let ok = Command::new("kubectl")
                .args(["get", "--raw", "/readyz", "--kubeconfig"])
                .arg(&kubeconfig)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                break;
            }
        }
        eprint!(".");
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(" ready");
    Ok((pid, server))
}

fn down(dir: &Path) -> anyhow::Result<bool> {
    let was =
        running_pid(dir).is_some_and(|pid| crate::background::stop(pid, Duration::from_secs(10)));
    let _ = std::fs::remove_file(pid_file(dir));
    Ok(was)
}

pub fn main(args: HostArgs) -> ExitCode {
    let dir = args.server.data_dir.clone();
    let result = match args.action {
        Some(HostAction::Up { output }) => up(&args).map(|(pid, server)| {
            report(output, true, Some(pid), &dir, &server);
        }),
        Some(HostAction::Down) => down(&dir).map(|was| {
            if was {
                println!("dev host stopped");
            } else {
                println!("dev host was not running");
            }
        }),
        Some(HostAction::Status { output }) => {
            let pid = running_pid(&dir);
            report(
                output,
                pid.is_some(),
                pid,
                &dir,
                &format!("https://{}", args.server.listen),
            );
            if pid.is_some() {
                Ok(())
            } else {
                return ExitCode::from(3);
            }
        }
        None => {
            crate::init_logging();
            match vnest_apiserver::allocation::Cidr::parse(&args.pod_cidr) {
                Err(e) => Err(anyhow::anyhow!("--pod-cidr: {e}")),
                Ok(pod_cidr) => {
                    let host = vnest_hostsim::HostConfig {
                        nodes: args.nodes,
                        data_dir: dir.clone(),
                        exec: !args.no_exec,
                        pod_cidr,
                        node_cidr_mask: args.node_cidr_mask_size,
                        containers: Default::default(),
                    };
                    match tokio::runtime::Runtime::new() {
                        Ok(rt) => rt.block_on(crate::serve(Box::new(args.server), Some(host))),
                        Err(e) => Err(e.into()),
                    }
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

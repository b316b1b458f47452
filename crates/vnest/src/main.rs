//! `vnest`: virtual Kubernetes clusters in one binary. This is the CLI edge: argument
//! parsing, logging setup and exit codes; the work lives in the library crates.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

mod bench;
mod dns;
mod host;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "vnest",
    version,
    about = "Virtual Kubernetes clusters in one small binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the vnest version.
    Version {
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// Run a cluster's control plane (API server and store) in the foreground.
    ControlPlane(Box<ControlPlaneArgs>),
    /// The dev host: a standalone lightweight Kubernetes with simulated nodes (the
    /// API server, controllers, a scheduler and nodes that run pods' commands as local
    /// processes). Without a subcommand it runs in the foreground.
    Host(Box<host::HostArgs>),
    /// Benchmarks against real processes on loopback (numbers, not pass/fail).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The dev host: pods through a Deployment to Running, scheduler binds/s.
    Host {
        /// Pods (replicas of one Deployment).
        #[arg(long, default_value_t = 1000)]
        pods: usize,
        /// Simulated nodes (each takes 110 pods, as a kubelet's default).
        #[arg(long, default_value_t = 10)]
        nodes: usize,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// The syncer: virtual pods through a Deployment to Running, sync latencies.
    Syncer {
        /// Virtual pods (replicas of one Deployment).
        #[arg(long, default_value_t = 1000)]
        pods: usize,
        /// Simulated nodes of the dev host underneath.
        #[arg(long, default_value_t = 10)]
        nodes: usize,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
    /// The API server: readiness, memory, creates/s, list and watch latency.
    Api {
        /// Configmaps to create (half with 16 clients, half with 64).
        #[arg(long, default_value_t = 10_000)]
        objects: usize,
        /// Concurrent watchers of one namespace.
        #[arg(long, default_value_t = 100)]
        watchers: usize,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        output: OutputFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum StoreKind {
    Sqlite,
    Etcd,
}

#[derive(Args, Clone)]
pub(crate) struct ControlPlaneArgs {
    /// Directory for certificates, the store and admin.kubeconfig (created if missing).
    #[arg(long, default_value = "./vnest-data")]
    data_dir: PathBuf,
    /// Address to serve HTTPS on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Extra DNS name or IP for the serving certificate (repeatable).
    #[arg(long = "tls-san")]
    tls_san: Vec<String>,
    /// Where objects are stored.
    #[arg(long, value_enum, default_value = "sqlite")]
    store: StoreKind,
    /// etcd client URLs, comma separated (with --store etcd).
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:2379")]
    etcd_endpoints: Vec<String>,
    /// Key prefix in etcd (with --store etcd).
    #[arg(long, default_value = "/vnest")]
    etcd_prefix: String,
    /// CA bundle for etcd's TLS.
    #[arg(long)]
    etcd_cafile: Option<PathBuf>,
    /// Client certificate for etcd.
    #[arg(long)]
    etcd_certfile: Option<PathBuf>,
    /// Client key for etcd.
    #[arg(long)]
    etcd_keyfile: Option<PathBuf>,
    /// Static bearer tokens, kube's CSV format: token,user,uid,"group1,group2".
    #[arg(long)]
    token_auth_file: Option<PathBuf>,
    /// Cluster name used in the admin kubeconfig.
    #[arg(long, default_value = "vnest")]
    name: String,
    /// Store history kept by automatic compaction: at least this many revisions...
    #[arg(long, default_value_t = 10_000)]
    history_revisions: u64,
    /// ...and at least this many seconds.
    #[arg(long, default_value_t = 300)]
    history_seconds: u64,
    /// Seconds between automatic compactions.
    #[arg(long, default_value_t = 30)]
    compaction_interval_seconds: u64,
    /// Events the watch cache keeps for watches resuming from a past resourceVersion.
    #[arg(long, default_value_t = 20_000)]
    watch_cache_events: usize,
    /// Kubeconfig of the host cluster: starts the syncer, which runs this virtual
    /// cluster's pods there (named `<pod>-x-<namespace>-x-<name>`).
    #[arg(long, requires = "host_namespace")]
    host_kubeconfig: Option<PathBuf>,
    /// The host namespace the syncer keeps this virtual cluster's objects in (it needs
    /// only a Role there).
    #[arg(long, requires = "host_kubeconfig")]
    host_namespace: Option<String>,
    /// Address at which pods on the host reach this API server (`kubernetes.default.svc`
    /// in their /etc/hosts).
    #[arg(long)]
    api_server_host_ip: Option<String>,
    /// Pod Security Standards level a pod must meet to be synced to the host:
    /// privileged, baseline or restricted.
    #[arg(long, default_value = "baseline", value_parser = parse_pss_level)]
    pod_security_level: vnest_api::podsecurity::Level,
    /// Controllers not to run, comma separated: namespace, serviceaccount,
    /// garbagecollector, replicaset, deployment, statefulset, daemonset, job, cronjob,
    /// endpoints, resourcequota, volumeprotection.
    #[arg(long, value_delimiter = ',')]
    disable_controllers: Vec<String>,
    /// IPv4 range Service ClusterIPs are allocated from.
    #[arg(long, default_value = vnest_apiserver::allocation::DEFAULT_SERVICE_CIDR)]
    service_cidr: String,
    /// Range NodePorts are allocated from, `FIRST-LAST`.
    #[arg(long, default_value = "30000-32767")]
    service_node_port_range: String,
    /// The virtual cluster's DNS server (cluster.local).
    #[command(flatten)]
    dns: dns::DnsArgs,
}

fn parse_pss_level(s: &str) -> Result<vnest_api::podsecurity::Level, String> {
    vnest_api::podsecurity::Level::parse(s)
        .ok_or_else(|| format!("{s:?} is not one of privileged, baseline, restricted"))
}

/// Parses `FIRST-LAST` port ranges.
fn port_range(s: &str) -> anyhow::Result<(u16, u16)> {
    let (lo, hi) = s
        .split_once('-')
        .with_context(|| format!("invalid port range {s:?}: expected FIRST-LAST"))?;
    let (lo, hi): (u16, u16) = (lo.trim().parse()?, hi.trim().parse()?);
    if lo == 0 || lo > hi {
        anyhow::bail!("invalid port range {s:?}");
    }
    Ok((lo, hi))
}

pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VNEST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn control_plane(args: Box<ControlPlaneArgs>) -> anyhow::Result<()> {
    serve(args, None).await
}

/// Runs a control plane, and with `host` the dev host's scheduler and nodes too.
pub(crate) async fn serve(
    args: Box<ControlPlaneArgs>,
    host: Option<vnest_hostsim::HostConfig>,
) -> anyhow::Result<()> {
    let mut cfg = vnest_apiserver::ServerConfig::new(&args.data_dir, args.listen);
    cfg.tls_sans = args.tls_san;
    cfg.token_auth_file = args.token_auth_file;
    cfg.cluster_name = args.name.clone();
    cfg.compaction = vnest_store::CompactionPolicy {
        keep_revisions: args.history_revisions,
        keep_for: std::time::Duration::from_secs(args.history_seconds),
        interval: std::time::Duration::from_secs(args.compaction_interval_seconds.max(1)),
    };
    cfg.watch_cache_events = args.watch_cache_events;
    cfg.service_cidr = vnest_apiserver::allocation::Cidr::parse(&args.service_cidr)?;
    cfg.node_port_range = port_range(&args.service_node_port_range)?;
    if let Some(h) = &host {
        cfg.pod_logs = Some(vnest_hostsim::pod_logs(args.data_dir.clone()));
        cfg.pod_streams = Some(vnest_hostsim::pod_streams(h));
    }
    // A virtual cluster: its pods run on the host, and their logs come from there.
    let host_client = match (&args.host_kubeconfig, &args.host_namespace) {
        (Some(file), Some(namespace)) => {
            vnest_syncer::names::check_vcluster_name(&args.name)?;
            let host_kc = kube::config::Kubeconfig::read_from(file)
                .with_context(|| format!("reading the host kubeconfig {}", file.display()))?;
            let host_config =
                kube::Config::from_custom_kubeconfig(host_kc, &Default::default()).await?;
            let client = kube::Client::try_from(host_config)?;
            cfg.pod_logs = Some(std::sync::Arc::new(vnest_syncer::proxy::HostPodLogs {
                host: client.clone(),
                host_namespace: namespace.clone(),
                vcluster: args.name.clone(),
            }));
            cfg.pod_streams = Some(std::sync::Arc::new(vnest_syncer::proxy::HostPodStreams {
                host: client.clone(),
                host_namespace: namespace.clone(),
                vcluster: args.name.clone(),
            }));
            cfg.host_services = Some(std::sync::Arc::new(
                vnest_syncer::services::HostServiceAddresses {
                    host: client.clone(),
                    host_namespace: namespace.clone(),
                    vcluster: args.name.clone(),
                },
            ));
            Some((client, namespace.clone()))
        }
        _ => None,
    };
    if args.store == StoreKind::Etcd {
        let mut etcd = vnest_store::EtcdConfig::new(args.etcd_endpoints, args.etcd_prefix);
        etcd.ca_file = args.etcd_cafile;
        etcd.cert_file = args.etcd_certfile;
        etcd.key_file = args.etcd_keyfile;
        cfg.store = vnest_apiserver::StoreChoice::Etcd(etcd);
    }
    let started = std::time::Instant::now();
    let server = vnest_apiserver::run(cfg)
        .await
        .context("starting the control plane")?;
    tracing::info!(
        addr = %server.addr,
        kubeconfig = %server.kubeconfig.display(),
        ready_ms = started.elapsed().as_millis() as u64,
        "control plane ready"
    );
    for name in &args.disable_controllers {
        if !vnest_controllers::ALL.contains(&name.as_str()) {
            anyhow::bail!(
                "unknown controller {name:?} in --disable-controllers (known: {})",
                vnest_controllers::ALL.join(", ")
            );
        }
    }
    // Controllers are clients of this very API server, with the admin credentials.
    let kubeconfig = kube::config::Kubeconfig::read_from(&server.kubeconfig)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let disabled = args.disable_controllers.iter().cloned().collect();
    let ca_pem = std::fs::read_to_string(args.data_dir.join("pki").join("ca.crt"))
        .context("reading the cluster CA")?;
    let _controllers = vnest_controllers::spawn_all(
        &config,
        vnest_controllers::ClusterInfo { ca_pem },
        &disabled,
    )?;
    let _nodes = match &host {
        Some(h) => Some(vnest_hostsim::spawn(&config, h)?),
        None => None,
    };
    let _dns = dns::start(&args.dns, &args.data_dir, &config).await?;
    let _syncer = match host_client {
        Some((host_client, namespace)) => {
            let cfg = vnest_syncer::sync::SyncerConfig {
                vcluster: args.name.clone(),
                host_namespace: namespace.clone(),
                virtual_client: kube::Client::try_from(config.clone())?,
                host_client,
                api_server_ip: args.api_server_host_ip.clone(),
                pod_security: args.pod_security_level,
            };
            tracing::info!(vcluster = %args.name, host_namespace = %namespace, "syncer started");
            Some(tokio::spawn(vnest_syncer::sync::run(cfg)))
        }
        None => None,
    };
    eprintln!(
        "vnest control plane serving on https://{}\nkubeconfig: {}",
        server.addr,
        server.kubeconfig.display()
    );
    tokio::select! {
        _ = server.wait() => anyhow::bail!("the server stopped"),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    // glibc gives every thread that allocates its own arena; with the store's reader
    // threads and the runtime's workers that is several MiB of idle, fragmented heap.
    // Two arenas are plenty for a process whose hot paths are async.
    // SAFETY: called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Version { output } => {
            let version = env!("CARGO_PKG_VERSION");
            match output {
                OutputFormat::Text => println!("vnest {version}"),
                OutputFormat::Json => println!("{}", serde_json::json!({"version": version})),
            }
            ExitCode::SUCCESS
        }
        Command::Bench(BenchCommand::Api {
            objects,
            watchers,
            output,
        }) => block_on(bench::run_api(bench::ApiBenchOptions {
            objects,
            watchers,
            json: matches!(output, OutputFormat::Json),
        })),
        Command::Host(args) => host::main(*args),
        Command::Bench(BenchCommand::Syncer {
            pods,
            nodes,
            output,
        }) => block_on(bench::run_syncer(
            pods,
            nodes,
            matches!(output, OutputFormat::Json),
        )),
        Command::Bench(BenchCommand::Host {
            pods,
            nodes,
            output,
        }) => block_on(bench::run_host(
            pods,
            nodes,
            matches!(output, OutputFormat::Json),
        )),
        Command::ControlPlane(args) => {
            init_logging();
            block_on(control_plane(args))
        }
    }
}

/// Runs a command's future on a fresh runtime; its error, if any, on stderr and as
/// exit code 1.
fn block_on(job: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(job) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn help_names_every_controller_that_can_be_switched_off() {
        let mut cli = super::Cli::command();
        let help = cli
            .find_subcommand_mut("control-plane")
            .expect("control-plane")
            .render_long_help()
            .to_string();
        for name in vnest_controllers::ALL {
            assert!(
                help.contains(name),
                "--disable-controllers help lacks {name}"
            );
        }
    }
}

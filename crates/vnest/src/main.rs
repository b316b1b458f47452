//! `vnest`: virtual Kubernetes clusters in one binary. This is the CLI edge: argument
//! parsing, logging setup and exit codes; the work lives in the library crates.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

mod background;
mod bench;
mod bench_clusters;
mod clusters;
mod dns;
mod host;
mod hosts;
mod incluster;
mod kubeconfig;
mod loopback;
mod state;

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
    /// Create a virtual cluster: host namespace, control plane, kubeconfig context.
    /// With no kubeconfig that reaches a cluster, on a local dev host (started if
    /// needed).
    Create(Box<clusters::CreateArgs>),
    /// Point kubectl at a virtual cluster, print or write its kubeconfig, or run a
    /// command against it.
    Connect(clusters::ConnectArgs),
    /// Switch kubectl back to the context that was current before `vnest connect`.
    Disconnect,
    /// List virtual clusters.
    List(clusters::ListArgs),
    /// Show a virtual cluster's configuration, endpoints, object counts and resource use.
    Describe(clusters::DescribeArgs),
    /// Delete a virtual cluster: control plane, every host object it synced, its
    /// kubeconfig context and local state. Deleting one that does not exist succeeds.
    Delete(clusters::DeleteArgs),
    /// Stop a virtual cluster's control plane and its pods on the host; every virtual
    /// object is kept.
    Pause {
        /// The virtual cluster.
        name: String,
    },
    /// Start a paused virtual cluster again; its workloads come back.
    Resume {
        /// The virtual cluster.
        name: String,
        /// Seconds to wait for the virtual API to answer.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Keep the port-forward to an in-cluster control plane open (started in the
    /// background by create, connect and resume with the kubernetes driver).
    #[command(hide = true)]
    Forward {
        /// The virtual cluster.
        name: String,
    },
    /// Create a virtual cluster, run a command with KUBECONFIG pointing at it, delete
    /// the cluster whatever the outcome, and exit with the command's status.
    Run(Box<clusters::RunArgs>),
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
    /// The CLI and density: `vnest create` to the first `kubectl get ns`, an idle
    /// control plane's memory with objects in it, many idle clusters on one machine.
    Clusters {
        /// Idle virtual clusters to run at once.
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// Objects in the cluster whose idle memory is measured.
        #[arg(long, default_value_t = 100)]
        objects: usize,
        /// Seconds to let clusters idle before measuring.
        #[arg(long, default_value_t = 20)]
        idle_seconds: u64,
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum StoreKind {
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
    /// only a Role there). Needs --host-kubeconfig or --in-cluster; in a pod it
    /// defaults to $POD_NAMESPACE.
    #[arg(long)]
    host_namespace: Option<String>,
    /// Run inside a pod of the host cluster (deploy/chart): the host client comes from
    /// the pod's service account, and the admin kubeconfig is written to the Secret
    /// `vc-<name>` in the host namespace. Implied when KUBERNETES_SERVICE_HOST is set,
    /// --host-namespace is given and --host-kubeconfig is not.
    #[arg(long, conflicts_with = "host_kubeconfig")]
    in_cluster: bool,
    /// Address at which pods on the host reach this API server (`kubernetes.default.svc`
    /// in their /etc/hosts).
    #[arg(long)]
    api_server_host_ip: Option<String>,
    /// Pod Security Standards level a pod must meet to be synced to the host:
    /// privileged, baseline or restricted.
    #[arg(long, default_value = "baseline", value_parser = parse_pss_level)]
    pod_security_level: vnest_api::podsecurity::Level,
    /// After a restart (`vnest resume`): a pod whose host pod went away while the
    /// control plane was stopped gets a new host pod instead of failing.
    #[arg(long, env = "VNEST_RECREATE_MISSING_PODS")]
    recreate_missing_pods: bool,
    /// Virtual nodes mirror the host nodes their pods run on (labels, capacity,
    /// conditions, addresses). Needs get/list/watch on host nodes
    /// (deploy/syncer-nodes-clusterrole.yaml); without it virtual nodes are stand-ins.
    #[arg(long)]
    sync_host_nodes: bool,
    /// Every configmap of the virtual cluster goes to the host, not only those pods use.
    #[arg(long)]
    sync_all_configmaps: bool,
    /// Every secret of the virtual cluster goes to the host (service-account token
    /// secrets excepted), not only those pods use.
    #[arg(long)]
    sync_all_secrets: bool,
    /// Host Service that owns every host object the syncer makes, so that deleting it
    /// removes them (default in a pod: the control plane's own Service, NAME).
    #[arg(long)]
    host_owner_service: Option<String>,
    /// Unix time at which this virtual cluster deletes itself (`vnest create --ttl`):
    /// it runs `vnest delete NAME`, which stops this process and removes its host
    /// objects and local state.
    #[arg(long)]
    expire_at: Option<i64>,
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
    let in_cluster = in_cluster_mode(&args);
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
    let host_namespace = match (&args.host_namespace, in_cluster) {
        (Some(ns), _) => Some(ns.clone()),
        (None, true) => Some(std::env::var("POD_NAMESPACE").context(
            "--in-cluster needs --host-namespace or the POD_NAMESPACE environment variable",
        )?),
        (None, false) => None,
    };
    if host_namespace.is_some() && args.host_kubeconfig.is_none() && !in_cluster {
        anyhow::bail!("--host-namespace needs --host-kubeconfig or --in-cluster");
    }
    let host_config = match (&args.host_kubeconfig, in_cluster) {
        (Some(file), _) => {
            let host_kc = kube::config::Kubeconfig::read_from(file)
                .with_context(|| format!("reading the host kubeconfig {}", file.display()))?;
            Some(kube::Config::from_custom_kubeconfig(host_kc, &Default::default()).await?)
        }
        (None, true) => Some(
            kube::Config::incluster().context("--in-cluster: reading the pod's service account")?,
        ),
        (None, false) => None,
    };
    let mut api_server_ip = args.api_server_host_ip.clone();
    let mut host_owner = None;
    let host_client = match (host_config, &host_namespace) {
        (Some(host_config), Some(namespace)) => {
            vnest_syncer::names::check_vcluster_name(&args.name)?;
            let client = kube::Client::try_from(host_config)?;
            if in_cluster && api_server_ip.is_none() {
                api_server_ip = own_service_ip(&client, namespace, &args.name).await;
            }
            host_owner = match (&args.host_owner_service, in_cluster) {
                (Some(svc), _) => Some(
                    service_owner(&client, namespace, svc)
                        .await
                        .with_context(|| format!("--host-owner-service {svc}"))?,
                ),
                (None, true) => service_owner(&client, namespace, &args.name).await.ok(),
                (None, false) => None,
            };
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
                    owner: host_owner.clone(),
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
    // Controllers, nodes and the syncer's virtual side are clients of this very API
    // server, through one in-process connection.
    let local = loopback::client(&server).await?;
    let disabled = args.disable_controllers.iter().cloned().collect();
    let ca_pem = std::fs::read_to_string(args.data_dir.join("pki").join("ca.crt"))
        .context("reading the cluster CA")?;
    let _controllers =
        vnest_controllers::spawn_all(&local, vnest_controllers::ClusterInfo { ca_pem }, &disabled)?;
    let _nodes = match &host {
        Some(h) => Some(vnest_hostsim::spawn(&local, h)?),
        None => None,
    };
    // In a pod, the admin kubeconfig goes where `vnest connect` finds it.
    let _kubeconfig_secret = match (&host_client, in_cluster) {
        (Some((host_client, namespace)), true) => Some(tokio::spawn(publish_kubeconfig(
            host_client.clone(),
            namespace.clone(),
            args.name.clone(),
            server.kubeconfig.clone(),
        ))),
        _ => None,
    };
    let _dns = dns::start(&args.dns, &args.data_dir, &local).await?;
    let _syncer = match host_client {
        Some((host_client, namespace)) => {
            let cfg = vnest_syncer::sync::SyncerConfig {
                vcluster: args.name.clone(),
                host_namespace: namespace.clone(),
                virtual_client: local.clone(),
                host_client,
                api_server_ip: api_server_ip.clone(),
                pod_security: args.pod_security_level,
                recreate_missing_pods: args.recreate_missing_pods,
                sync_host_nodes: args.sync_host_nodes,
                sync_all_configmaps: args.sync_all_configmaps,
                sync_all_secrets: args.sync_all_secrets,
                host_owner: host_owner.clone(),
            };
            tracing::info!(vcluster = %args.name, host_namespace = %namespace, "syncer started");
            Some(tokio::spawn(vnest_syncer::sync::run(cfg)))
        }
        None => None,
    };
    let expiry = expiry(args.expire_at, args.name.clone());
    eprintln!(
        "vnest control plane serving on https://{}\nkubeconfig: {}",
        server.addr,
        server.kubeconfig.display()
    );
    tokio::select! {
        _ = server.wait() => anyhow::bail!("the server stopped"),
        r = expiry => r,
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}

/// Resolves when the cluster's time is up, after starting its deletion.
async fn expiry(at: Option<i64>, name: String) -> anyhow::Result<()> {
    let Some(at) = at else {
        return std::future::pending().await;
    };
    let left = (at - chrono::Utc::now().timestamp()).max(0) as u64;
    tokio::time::sleep(std::time::Duration::from_secs(left)).await;
    tracing::info!(vcluster = %name, "time to live is over: deleting this virtual cluster");
    clusters::expire(&name)?;
    // `vnest delete` stops this process; keep serving until it does.
    std::future::pending().await
}

/// Whether the control plane runs in a pod of its host cluster: `--in-cluster`, or a
/// host namespace without a host kubeconfig inside a pod.
fn in_cluster_mode(args: &ControlPlaneArgs) -> bool {
    args.in_cluster
        || (args.host_kubeconfig.is_none()
            && args.host_namespace.is_some()
            && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some())
}

/// The owner reference naming host Service `name` (the control plane's).
async fn service_owner(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> anyhow::Result<serde_json::Value> {
    let api: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), namespace);
    let svc = api.get(name).await?;
    let uid = svc.metadata.uid.unwrap_or_default();
    Ok(vnest_syncer::names::service_owner(name, &uid))
}

/// The ClusterIP of the chart's Service `name`: where host pods reach this API server.
async fn own_service_ip(client: &kube::Client, namespace: &str, name: &str) -> Option<String> {
    let api: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), namespace);
    match api.get(name).await {
        Ok(svc) => svc
            .spec
            .and_then(|s| s.cluster_ip)
            .filter(|ip| !ip.is_empty() && ip != "None"),
        Err(e) => {
            tracing::warn!(%namespace, %name, error = %e, "no Service for this control plane; pods get no kubernetes.default.svc address");
            None
        }
    }
}

/// Writes the admin kubeconfig to the Secret `vc-<name>`, retrying until it succeeds.
async fn publish_kubeconfig(
    client: kube::Client,
    namespace: String,
    name: String,
    kubeconfig: PathBuf,
) {
    let mut delay = std::time::Duration::from_secs(1);
    loop {
        let result = match std::fs::read_to_string(&kubeconfig) {
            Ok(text) => vnest_deploy::write_kubeconfig_secret(&client, &namespace, &name, &text)
                .await
                .map_err(anyhow::Error::from),
            Err(e) => Err(anyhow::Error::from(e)),
        };
        match result {
            Ok(()) => {
                tracing::info!(%namespace, secret = %vnest_deploy::secret_name(&name), "admin kubeconfig written");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "writing the kubeconfig Secret; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(30));
            }
        }
    }
}

fn main() -> ExitCode {
    // glibc gives every thread that allocates its own arena; with the store's reader
    // threads and the runtime's workers that is several MiB of idle, fragmented heap.
    // Two arenas are plenty for a process whose hot paths are async. (musl, the
    // container image's static build, has no arenas and no mallopt.)
    // SAFETY: called before any other thread exists.
    #[cfg(target_env = "gnu")]
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
        }) => run_cli(bench::run_api(bench::ApiBenchOptions {
            objects,
            watchers,
            json: matches!(output, OutputFormat::Json),
        })),
        Command::Host(args) => host::main(*args),
        Command::Bench(BenchCommand::Clusters {
            count,
            objects,
            idle_seconds,
            output,
        }) => run_cli(bench_clusters::run(
            count,
            objects,
            idle_seconds,
            output == OutputFormat::Json,
        )),
        Command::Bench(BenchCommand::Syncer {
            pods,
            nodes,
            output,
        }) => run_cli(bench::run_syncer(
            pods,
            nodes,
            matches!(output, OutputFormat::Json),
        )),
        Command::Bench(BenchCommand::Host {
            pods,
            nodes,
            output,
        }) => run_cli(bench::run_host(
            pods,
            nodes,
            matches!(output, OutputFormat::Json),
        )),
        Command::ControlPlane(args) => {
            init_logging();
            run_cli(control_plane(args))
        }
        Command::Create(args) => run_cli(clusters::create(*args)),
        Command::Connect(args) => run_cli_code(clusters::connect(args)),
        Command::Disconnect => run_cli(async { clusters::disconnect() }),
        Command::List(args) => run_cli(async { clusters::list(args) }),
        Command::Describe(args) => run_cli(clusters::describe(args)),
        Command::Delete(args) => run_cli(clusters::delete(args)),
        Command::Pause { name } => run_cli(clusters::pause(&name)),
        Command::Resume { name, timeout } => run_cli(clusters::resume(
            &name,
            std::time::Duration::from_secs(timeout),
        )),
        Command::Run(args) => run_cli_code(clusters::run(*args)),
        Command::Forward { name } => {
            init_logging();
            run_cli(incluster::run_forwarder(&name))
        }
    }
}

/// Runs a cluster command; its error on stderr with the command's documented exit code.
fn run_cli(job: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    run_cli_code(async { job.await.map(|()| ExitCode::SUCCESS) })
}

fn run_cli_code(job: impl std::future::Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(job) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            clusters::exit_code(&e)
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

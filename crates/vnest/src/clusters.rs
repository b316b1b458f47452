//! The commands users touch first: `create`, `connect`, `disconnect`, `list`,
//! `describe`, `delete`, `pause`, `resume` and `run`.
//!
//! A virtual cluster is a control plane (`vnest control-plane` with a syncer) whose
//! host objects live in one host namespace. The process driver runs the control plane
//! as a background process of this machine (pid, log and data in `~/.vnest/NAME`);
//! with no usable kubeconfig the host is the embedded dev host (`vnest host up`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams};
use kube::discovery::ApiResource;
use kube::Client;
use serde_json::{json, Value};

use crate::background;
use crate::hosts::{
    client_for, client_for_file, ensure_dev_host, ensure_namespace, reachable, resolve_host,
    simulated_nodes,
};
use crate::kubeconfig;
use crate::state::{self, ClusterRecord, Driver};

/// Exit codes scripts can rely on (besides 0, 1 for other errors and 2 for usage).
pub mod exit {
    /// The named virtual cluster does not exist.
    pub const NOT_FOUND: u8 = 3;
    /// A virtual cluster of that name already exists.
    pub const EXISTS: u8 = 4;
    /// The host refused (no permission, quota) or cannot be reached.
    pub const HOST_REFUSED: u8 = 5;
    /// The control plane did not become ready in time.
    pub const TIMEOUT: u8 = 6;
}

/// An error with a documented exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

pub(crate) fn failure(code: u8, message: impl Into<String>) -> anyhow::Error {
    Failure {
        code,
        message: message.into(),
    }
    .into()
}

/// The exit code of an error: its documented code, else 1.
pub fn exit_code(e: &anyhow::Error) -> ExitCode {
    ExitCode::from(e.downcast_ref::<Failure>().map_or(1, |f| f.code))
}

/// How printed data looks.
#[derive(Clone, Copy, ValueEnum, Default)]
pub enum DataFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

/// The label every host object a syncer writes carries.
const MANAGED_BY: &str = "vnest.io/managed-by";

/// The host kinds a syncer writes, deleted with the cluster.
const SYNCED_KINDS: [(&str, &str, &str); 6] = [
    ("", "v1", "pods"),
    ("", "v1", "services"),
    ("", "v1", "endpoints"),
    ("", "v1", "configmaps"),
    ("", "v1", "secrets"),
    ("", "v1", "persistentvolumeclaims"),
];

#[derive(Args, Clone)]
pub struct HostSelection {
    /// Kubeconfig of the host cluster (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long = "kube-config")]
    pub kube_config: Option<PathBuf>,
    /// Context of the host cluster in that kubeconfig (default: the current one).
    #[arg(long)]
    pub context: Option<String>,
}

#[derive(Args)]
pub struct CreateArgs {
    /// The virtual cluster's name (a DNS label of at most 40 characters).
    pub name: String,
    /// Host namespace for the control plane and the synced objects (default:
    /// vnest-NAME); made if missing.
    #[arg(short = 'n', long = "namespace")]
    pub namespace: Option<String>,
    /// Add the context `vnest_NAME_HOSTNS_HOSTCTX` to your kubeconfig and switch to
    /// it (default: on when a terminal is attached).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub connect: Option<bool>,
    /// Where the control plane runs (default: process; the dev host when no
    /// kubeconfig reaches a cluster).
    #[arg(long, value_enum)]
    pub driver: Option<Driver>,
    /// The virtual cluster's datastore.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub store: crate::StoreKind,
    /// etcd client URLs, comma separated (with --store etcd).
    #[arg(long, value_delimiter = ',')]
    pub etcd_endpoints: Vec<String>,
    /// Values file (the chart's values.yaml shape): store, control plane, isolation.
    #[arg(short = 'f', long = "values")]
    pub values: Option<PathBuf>,
    /// Override one value, Helm style (`store.type=etcd`, `controlPlane.extraArgs={a,b}`);
    /// repeatable.
    #[arg(long = "set")]
    pub set: Vec<String>,
    /// The cluster deletes itself after this long (e.g. 90s, 30m, 2h), even when this
    /// CLI is gone.
    #[arg(long, value_parser = parse_duration)]
    pub ttl: Option<Duration>,
    /// Reachable from other machines: the process driver serves the API on every
    /// interface (not only loopback); the kubernetes driver makes the control plane's
    /// Service a LoadBalancer.
    #[arg(long)]
    pub expose: bool,
    /// On an existing cluster: restart its control plane with this binary.
    #[arg(long)]
    pub upgrade: bool,
    /// Seconds to wait for the virtual API to answer.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    #[command(flatten)]
    pub host: HostSelection,
    /// Output format of the summary.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: DataFormat,
}

/// Parses `90s`, `30m`, `2h`, `1d`, `1h30m` or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {s:?}: expected e.g. 90s, 30m, 2h or 1h30m");
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        total = total
            .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Progress on stderr: one line per step.
pub(crate) fn step(msg: impl AsRef<str>) {
    eprintln!("  {}", msg.as_ref());
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `vnest create`.
pub async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let record = create_cluster(&args).await?;
    let connect = args
        .connect
        .unwrap_or_else(|| std::io::stdout().is_terminal());
    let record = if connect {
        connect_user_kubeconfig(record, &kubeconfig::user_file())?
    } else {
        record
    };
    print_summary(&record, args.output)
}

fn print_summary(record: &ClusterRecord, format: DataFormat) -> anyhow::Result<()> {
    let view = describe_local(record);
    match format {
        DataFormat::Json => println!("{}", serde_json::to_string_pretty(&view)?),
        DataFormat::Yaml => print!("{}", serde_yaml_ng::to_string(&view)?),
        DataFormat::Table => {
            println!(
                "virtual cluster {} is ready (host namespace {}, API {})",
                record.name,
                record.host_namespace,
                view["server"].as_str().unwrap_or("?")
            );
            if record.connected_file.is_some() {
                println!("kubectl now uses context {}", record.context);
            } else {
                println!(
                    "use it with: export KUBECONFIG={}   (or: vnest connect {})",
                    record.kubeconfig().display(),
                    record.name
                );
            }
        }
    }
    Ok(())
}

/// Makes the cluster (everything but connecting the user's kubeconfig); on failure
/// removes what it made.
async fn create_cluster(args: &CreateArgs) -> anyhow::Result<ClusterRecord> {
    let name = args.name.as_str();
    vnest_syncer::names::check_vcluster_name(name)
        .map_err(|e| failure(2, format!("invalid cluster name: {e}")))?;
    if let Some(existing) = state::load(name)? {
        if args.upgrade {
            return upgrade(existing, Duration::from_secs(args.timeout)).await;
        }
        return Err(failure(
            exit::EXISTS,
            format!(
                "virtual cluster {name} already exists (host namespace {}); \
                 `vnest create {name} --upgrade` restarts it with this binary",
                existing.host_namespace
            ),
        ));
    }
    eprintln!("creating virtual cluster {name}");
    let values = values_of(args)?;
    let host = resolve_host(&args.host).await?;
    let client = client_for(&host.kubeconfig).await?;
    // A real cluster runs the control plane itself; a dev host's simulated nodes cannot
    // run a container image, so there it runs as a local process.
    let driver = match args.driver {
        Some(d) => d,
        None if host.embedded || simulated_nodes(&client).await => Driver::Process,
        None => Driver::Kubernetes,
    };
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| format!("vnest-{name}"));
    let created_namespace = ensure_namespace(&client, &namespace).await?;
    let mut record = ClusterRecord {
        name: name.to_string(),
        host_namespace: namespace.clone(),
        driver,
        store: match values.store.kind {
            vnest_deploy::StoreType::Sqlite => "sqlite".into(),
            vnest_deploy::StoreType::Etcd => "etcd".into(),
        },
        created: now_rfc3339(),
        host_kubeconfig: state::cluster_dir(name).join("host.kubeconfig"),
        host_context: host.context.clone(),
        embedded_host: host.embedded,
        created_namespace,
        api_port: None,
        context: context_name(name, &namespace, &host.context),
        connected_file: None,
        previous_context: None,
        ttl_seconds: args.ttl.map(|d| d.as_secs()),
        exposed: args.expose,
        paused: false,
        control_plane_args: process_args(name, &values),
    };
    let made = async {
        if let Some(other) = foreign_cluster(&client, &namespace, name).await? {
            return Err(failure(
                exit::EXISTS,
                format!(
                    "host namespace {namespace} already holds objects of a virtual cluster \
                     named {name} ({other}) that this machine did not make"
                ),
            ));
        }
        std::fs::create_dir_all(record.dir())?;
        kubeconfig::write(&record.host_kubeconfig, &host.kubeconfig)?;
        record.api_port = Some(free_port()?);
        match driver {
            Driver::Process => {
                record.save()?;
                start_control_plane(&record, false)?;
                wait_ready(&record, Duration::from_secs(args.timeout)).await?;
                write_cluster_kubeconfig(&record)?;
            }
            Driver::Kubernetes => {
                record.save()?;
                crate::incluster::install(&client, &record, &values, args.expose).await?;
                crate::incluster::wait_ready(&client, &record, Duration::from_secs(args.timeout))
                    .await?;
                crate::incluster::start_forwarder(&record)?;
            }
        }
        record.save()?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = made {
        step("creation failed; removing what was made");
        if let Some(pid) = record.pid() {
            background::stop(pid, Duration::from_secs(5));
        }
        if driver == Driver::Kubernetes {
            crate::incluster::stop_forwarder(&record);
            let _ = vnest_deploy::delete(&client, &namespace, name).await;
        }
        let _ = delete_host_objects(&client, &record, false).await;
        if created_namespace {
            let _ = Api::<Namespace>::all(client.clone())
                .delete(&namespace, &DeleteParams::default())
                .await;
        }
        let log = background::log_tail(&record.log_file(), 15);
        let _ = std::fs::remove_dir_all(record.dir());
        if log.is_empty() {
            return Err(e);
        }
        return Err(e.context(format!("control plane log (last lines):\n{log}")));
    }
    Ok(record)
}

/// The chart values of a create: `-f`, then `--set`, then the shorthand flags.
fn values_of(args: &CreateArgs) -> anyhow::Result<vnest_deploy::Values> {
    let text = match &args.values {
        Some(f) => {
            Some(std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?)
        }
        None => None,
    };
    let mut sets = args.set.clone();
    if args.store == crate::StoreKind::Etcd {
        sets.push("store.type=etcd".into());
    }
    if !args.etcd_endpoints.is_empty() {
        sets.push(format!(
            "store.etcd.endpoints={{{}}}",
            args.etcd_endpoints.join(",")
        ));
    }
    vnest_deploy::values_from(text.as_deref(), &sets)
        .map_err(|e| failure(2, format!("invalid values: {e}")))
}

/// Flags for `vnest control-plane` (process driver) that follow from the values.
fn process_args(name: &str, values: &vnest_deploy::Values) -> Vec<String> {
    let mut out = Vec::new();
    if values.store.kind == vnest_deploy::StoreType::Etcd {
        out.push("--store".into());
        out.push("etcd".into());
        out.push("--etcd-endpoints".into());
        out.push(values.store.etcd.endpoints.join(","));
        out.push("--etcd-prefix".into());
        out.push(format!(
            "{}/{name}",
            values.store.etcd.prefix.trim_end_matches('/')
        ));
    }
    if !values.control_plane.pod_security_level.is_empty() {
        out.push("--pod-security-level".into());
        out.push(values.control_plane.pod_security_level.clone());
    }
    for san in &values.control_plane.tls_sans {
        out.push("--tls-san".into());
        out.push(san.clone());
    }
    if values.sync.all_config_maps {
        out.push("--sync-all-configmaps".into());
    }
    if values.sync.all_secrets {
        out.push("--sync-all-secrets".into());
    }
    out.extend(values.control_plane.extra_args.iter().cloned());
    out
}

pub fn context_name(name: &str, namespace: &str, host_context: &str) -> String {
    format!("vnest_{name}_{namespace}_{host_context}")
}

/// A host object carrying this cluster's marker, when this machine has no record of
/// the cluster: the name is taken by someone else's virtual cluster.
async fn foreign_cluster(
    client: &Client,
    namespace: &str,
    name: &str,
) -> anyhow::Result<Option<String>> {
    let lp = ListParams::default()
        .labels(&format!("{MANAGED_BY}={name}"))
        .limit(1);
    for (group, version, plural) in [("", "v1", "services"), ("", "v1", "pods")] {
        let api = dynamic_api(client, namespace, group, version, plural);
        match api.list(&lp).await {
            Ok(list) => {
                if let Some(o) = list.items.first() {
                    return Ok(Some(format!(
                        "{plural}/{}",
                        o.metadata.name.clone().unwrap_or_default()
                    )));
                }
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => {
                return Err(failure(
                    exit::HOST_REFUSED,
                    format!("the host refused to list {plural} in {namespace}: {e}"),
                ))
            }
        }
    }
    Ok(None)
}

/// The resource `plural` of `group/version`, for dynamic calls.
fn api_resource(group: &str, version: &str, plural: &str) -> ApiResource {
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version,
        kind: String::new(),
        plural: plural.into(),
    }
}

fn dynamic_api(
    client: &Client,
    namespace: &str,
    group: &str,
    version: &str,
    plural: &str,
) -> Api<DynamicObject> {
    Api::namespaced_with(
        client.clone(),
        namespace,
        &api_resource(group, version, plural),
    )
}

/// Starts the process driver's control plane in the background.
fn start_control_plane(record: &ClusterRecord, recreate_missing_pods: bool) -> anyhow::Result<()> {
    let port = record.api_port.context("the record has no API port")?;
    let mut cmd = Command::new(std::env::current_exe()?);
    // The kubeconfig names 127.0.0.1 either way; exposed, other machines use this
    // machine's address (in the serving certificate too).
    let listen = listen_address(record.exposed, port);
    if record.exposed {
        if let Some(host) = hostname() {
            cmd.args(["--tls-san", &host]);
        }
    }
    cmd.arg("control-plane")
        .args(["--name", &record.name, "--data-dir"])
        .arg(record.data_dir())
        .args(["--listen", &listen, "--host-kubeconfig"])
        .arg(&record.host_kubeconfig)
        .args(["--host-namespace", &record.host_namespace])
        .args(["--api-server-host-ip", "127.0.0.1"])
        .args(&record.control_plane_args);
    if recreate_missing_pods {
        cmd.arg("--recreate-missing-pods");
    }
    if let Some(ttl) = record.ttl_seconds {
        let created = chrono::DateTime::parse_from_rfc3339(&record.created)
            .map(|t| t.timestamp())
            .unwrap_or_else(|_| chrono::Utc::now().timestamp());
        cmd.args(["--expire-at", &(created + ttl as i64).to_string()]);
    }
    // The control plane finds this cluster's record (for --expire-at) where we do.
    cmd.env("VNEST_HOME", state::home());
    let pid = background::spawn(cmd, &record.log_file(), &record.pid_file())?;
    step(format!(
        "control plane started (pid {pid}, log {})",
        record.log_file().display()
    ));
    Ok(())
}

/// Where a process-driver control plane listens: loopback, or every interface.
fn listen_address(exposed: bool, port: u16) -> String {
    let ip = if exposed { "0.0.0.0" } else { "127.0.0.1" };
    format!("{ip}:{port}")
}

/// This machine's host name, for the serving certificate of an exposed cluster.
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).to_string();
    (!name.is_empty()).then_some(name)
}

/// Whether the API server of this kubeconfig answers `/readyz` with ok (within 3 s).
pub(crate) async fn answers_readyz(config: &Value) -> bool {
    let Ok(client) = client_for(config).await else {
        return false;
    };
    let Ok(req) = http::Request::get("/readyz").body(Vec::new()) else {
        return false;
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(3), client.request_text(req)).await,
        Ok(Ok(text)) if text.trim() == "ok"
    )
}

/// Waits until the control plane's API answers /readyz.
async fn wait_ready(record: &ClusterRecord, timeout: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let admin = record.data_dir().join("admin.kubeconfig");
    let port = record.api_port.unwrap_or(0);
    let tty = std::io::stderr().is_terminal();
    let mut shown = 0u64;
    loop {
        let Some(pid) = record.pid() else {
            bail!("the control plane exited");
        };
        if admin.exists() {
            if let Ok(config) = kubeconfig::read(&admin) {
                // A kubeconfig left by an earlier run names the same port: /readyz
                // tells whether this run answers.
                if kubeconfig::server(&config).is_some_and(|s| s.ends_with(&format!(":{port}")))
                    && answers_readyz(&config).await
                {
                    if tty {
                        eprintln!();
                    }
                    step(format!(
                        "virtual API ready in {:.1} s",
                        started.elapsed().as_secs_f64()
                    ));
                    return Ok(());
                }
            }
        }
        if started.elapsed() > timeout {
            background::stop(pid, Duration::from_secs(5));
            return Err(failure(
                exit::TIMEOUT,
                format!(
                    "the control plane did not answer within {} s",
                    timeout.as_secs()
                ),
            ));
        }
        let secs = started.elapsed().as_secs();
        if secs > shown {
            shown = secs;
            if tty {
                eprint!("\r  waiting for the virtual API ({secs} s)");
            } else if secs % 5 == 0 {
                step(format!("still waiting for the virtual API ({secs} s)"));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The cluster's kubeconfig in its state dir, everything named after its context.
fn write_cluster_kubeconfig(record: &ClusterRecord) -> anyhow::Result<()> {
    let admin = kubeconfig::read(&record.data_dir().join("admin.kubeconfig"))?;
    let mut out = kubeconfig::empty();
    kubeconfig::add_context(&mut out, &record.context, &admin)?;
    kubeconfig::set_current(&mut out, &record.context);
    kubeconfig::write(&record.kubeconfig(), &out)
}

/// Adds the cluster's context to `file` and makes it current.
fn connect_user_kubeconfig(
    mut record: ClusterRecord,
    file: &Path,
) -> anyhow::Result<ClusterRecord> {
    let mut user = kubeconfig::read(file)?;
    let ours = kubeconfig::read(&record.kubeconfig())?;
    kubeconfig::add_context(&mut user, &record.context, &ours)?;
    let previous = kubeconfig::current_context(&user).map(str::to_string);
    if previous.as_deref() != Some(record.context.as_str()) {
        record.previous_context = previous;
    }
    kubeconfig::set_current(&mut user, &record.context);
    kubeconfig::write(file, &user)?;
    record.connected_file = Some(file.to_path_buf());
    record.save()?;
    Ok(record)
}

/// Deletes every host object carrying this cluster's marker in its host namespace.
/// With `wait`, until they are gone.
async fn delete_host_objects(
    client: &Client,
    record: &ClusterRecord,
    wait: bool,
) -> anyhow::Result<usize> {
    let lp = ListParams::default().labels(&format!("{MANAGED_BY}={}", record.name));
    let mut deleted = 0;
    for (group, version, plural) in SYNCED_KINDS {
        let api = dynamic_api(client, &record.host_namespace, group, version, plural);
        let list = match api.list(&lp).await {
            Ok(l) => l,
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            Err(e) => return Err(e).with_context(|| format!("listing host {plural}")),
        };
        for o in list.items {
            let Some(n) = o.metadata.name.as_deref() else {
                continue;
            };
            match api.delete(n, &DeleteParams::default()).await {
                Ok(_) => deleted += 1,
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e).with_context(|| format!("deleting host {plural}/{n}")),
            }
        }
    }
    if wait {
        let deadline = Instant::now() + Duration::from_secs(120);
        'kinds: for (group, version, plural) in SYNCED_KINDS {
            let api = dynamic_api(client, &record.host_namespace, group, version, plural);
            loop {
                match api.list(&lp).await {
                    Ok(l) if l.items.is_empty() => continue 'kinds,
                    Err(kube::Error::Api(s)) if s.code == 404 => continue 'kinds,
                    _ if Instant::now() > deadline => {
                        bail!(
                            "host {plural} of {} are still there after 120 s",
                            record.name
                        )
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
    }
    Ok(deleted)
}

#[derive(Args)]
pub struct DeleteArgs {
    /// The virtual cluster.
    pub name: String,
    /// Wait until every host object is gone.
    #[arg(long)]
    pub wait: bool,
    /// Keep the host namespace even when create made it.
    #[arg(long)]
    pub keep_namespace: bool,
}

/// `vnest delete`: idempotent; a cluster not on record is already deleted.
pub async fn delete(args: DeleteArgs) -> anyhow::Result<()> {
    let Some(record) = state::load(&args.name)? else {
        println!(
            "virtual cluster {} does not exist; nothing to delete",
            args.name
        );
        return Ok(());
    };
    eprintln!("deleting virtual cluster {}", record.name);
    delete_record(&record, args.wait, args.keep_namespace).await?;
    println!("virtual cluster {} deleted", record.name);
    Ok(())
}

async fn delete_record(
    record: &ClusterRecord,
    wait: bool,
    keep_namespace: bool,
) -> anyhow::Result<()> {
    if let Some(pid) = record.pid() {
        background::stop(pid, Duration::from_secs(10));
        step(format!("control plane stopped (pid {pid})"));
    }
    let host = match kubeconfig::read(&record.host_kubeconfig) {
        Ok(c)
            if c.get("clusters")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty()) =>
        {
            Some(c)
        }
        _ => None,
    };
    let host_client = match &host {
        Some(c) => reachable(c).await,
        None => None,
    };
    if record.driver == Driver::Kubernetes {
        crate::incluster::stop_forwarder(record);
    }
    if let Some(client) = host_client {
        if record.driver == Driver::Kubernetes {
            vnest_deploy::delete(&client, &record.host_namespace, &record.name)
                .await
                .context("deleting the control plane's objects")?;
            step("control plane objects deleted");
        }
        let n = delete_host_objects(&client, record, wait).await?;
        step(format!("{n} host objects deleted"));
        if record.created_namespace && !keep_namespace {
            let api: Api<Namespace> = Api::all(client.clone());
            match api
                .delete(&record.host_namespace, &DeleteParams::default())
                .await
            {
                Ok(_) => step(format!("host namespace {} deleted", record.host_namespace)),
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("deleting host namespace {}", record.host_namespace)
                    })
                }
            }
            if wait {
                let deadline = Instant::now() + Duration::from_secs(120);
                while api.get_opt(&record.host_namespace).await?.is_some() {
                    if Instant::now() > deadline {
                        bail!(
                            "host namespace {} is still there after 120 s",
                            record.host_namespace
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    } else if !record.embedded_host {
        step("the host does not answer: its objects are left there");
    }
    disconnect_record(record)?;
    std::fs::remove_dir_all(record.dir())
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        })
        .with_context(|| format!("removing {}", record.dir().display()))?;
    if record.embedded_host && !state::all().iter().any(|r| r.embedded_host) {
        let dir = state::dev_host_dir();
        if let Some(pid) = background::running_pid(&dir.join("host.pid")) {
            background::stop(pid, Duration::from_secs(10));
            let _ = std::fs::remove_file(dir.join("host.pid"));
            step("local dev host stopped (no virtual cluster uses it any more)");
        }
    }
    Ok(())
}

/// Removes the cluster's context from the kubeconfig it was added to, switching back
/// to the previous context when it was current.
fn disconnect_record(record: &ClusterRecord) -> anyhow::Result<()> {
    let Some(file) = &record.connected_file else {
        return Ok(());
    };
    let mut user = kubeconfig::read(file)?;
    if kubeconfig::remove_context(
        &mut user,
        &record.context,
        record.previous_context.as_deref(),
    ) {
        kubeconfig::write(file, &user)?;
        step(format!(
            "context {} removed from {}",
            record.context,
            file.display()
        ));
    }
    Ok(())
}

fn must_load(name: &str) -> anyhow::Result<ClusterRecord> {
    state::load(name)?.ok_or_else(|| {
        failure(
            exit::NOT_FOUND,
            format!("virtual cluster {name} not found (see `vnest list`)"),
        )
    })
}

#[derive(Args)]
pub struct ConnectArgs {
    /// The virtual cluster.
    pub name: String,
    /// Print the kubeconfig instead of changing yours.
    #[arg(long)]
    pub print: bool,
    /// Write the kubeconfig to this file instead of changing yours.
    #[arg(long = "kube-config")]
    pub kube_config: Option<PathBuf>,
    /// Server URL to put in the kubeconfig (e.g. an exposed address).
    #[arg(long)]
    pub server: Option<String>,
    /// Run this command with KUBECONFIG pointing at the cluster, and exit with its status.
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// `vnest connect`.
pub async fn connect(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let record = must_load(&args.name)?;
    if record.driver == Driver::Kubernetes
        && args.server.is_none()
        && !args.print
        && !record.paused
        && !crate::incluster::forwarder_running(&record)
    {
        crate::incluster::start_forwarder(&record)?;
    }
    let mut config = kubeconfig::read(&record.kubeconfig())?;
    if let Some(server) = &args.server {
        kubeconfig::set_server(&mut config, server);
    }
    if !args.command.is_empty() {
        let file = if args.server.is_some() {
            let f = record.dir().join("connect.kubeconfig");
            kubeconfig::write(&f, &config)?;
            f
        } else {
            record.kubeconfig()
        };
        return run_with_kubeconfig(&args.command, &file);
    }
    if args.print {
        print!("{}", serde_yaml_ng::to_string(&config)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(file) = &args.kube_config {
        kubeconfig::write(file, &config)?;
        println!(
            "kubeconfig for {} written to {}",
            record.name,
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.server.is_some() {
        let f = record.dir().join("kubeconfig");
        kubeconfig::write(&f, &config)?;
    }
    let record = connect_user_kubeconfig(record, &kubeconfig::user_file())?;
    println!("kubectl now uses context {}", record.context);
    Ok(ExitCode::SUCCESS)
}

fn run_with_kubeconfig(command: &[String], file: &Path) -> anyhow::Result<ExitCode> {
    let status = Command::new(&command[0])
        .args(&command[1..])
        .env("KUBECONFIG", file)
        .status()
        .with_context(|| format!("running {}", command[0]))?;
    Ok(ExitCode::from(status_code(status)))
}

fn status_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c.clamp(0, 255) as u8,
        (None, Some(sig)) => (128 + sig).clamp(0, 255) as u8,
        _ => 1,
    }
}

/// `vnest disconnect`: back to the context that was current before connecting.
pub fn disconnect() -> anyhow::Result<()> {
    let file = kubeconfig::user_file();
    let mut user = kubeconfig::read(&file)?;
    let Some(current) = kubeconfig::current_context(&user).map(str::to_string) else {
        println!("no current context; nothing to do");
        return Ok(());
    };
    let Some(record) = state::by_context(&current) else {
        println!("the current context {current} is not a vnest cluster; nothing to do");
        return Ok(());
    };
    let back = record
        .previous_context
        .clone()
        .filter(|p| kubeconfig::has_context(&user, p))
        .or_else(|| {
            kubeconfig::has_context(&user, &record.host_context)
                .then(|| record.host_context.clone())
        });
    match back {
        Some(ctx) => {
            kubeconfig::set_current(&mut user, &ctx);
            kubeconfig::write(&file, &user)?;
            println!("switched back to context {ctx}");
        }
        None => {
            kubeconfig::set_current(&mut user, "");
            kubeconfig::write(&file, &user)?;
            println!("left context {current}; no previous context to go back to");
        }
    }
    Ok(())
}

fn status_of(record: &ClusterRecord) -> &'static str {
    if record.paused {
        "Paused"
    } else if record.driver == Driver::Kubernetes {
        if crate::incluster::forwarder_running(record) {
            "Running"
        } else {
            "Disconnected"
        }
    } else if record.pid().is_some() {
        "Running"
    } else {
        "Stopped"
    }
}

fn age(created: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(created) else {
        return "?".into();
    };
    let secs = (chrono::Utc::now().timestamp() - t.timestamp()).max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// What `list` and `describe` show of a cluster without asking it anything.
fn describe_local(record: &ClusterRecord) -> Value {
    let current = kubeconfig::read(&kubeconfig::user_file())
        .ok()
        .and_then(|c| kubeconfig::current_context(&c).map(str::to_string));
    let server = kubeconfig::read(&record.kubeconfig())
        .ok()
        .and_then(|c| kubeconfig::server(&c).map(str::to_string));
    json!({
        "name": record.name,
        "hostNamespace": record.host_namespace,
        "status": status_of(record),
        "driver": record.driver.to_string(),
        "store": record.store,
        "created": record.created,
        "age": age(&record.created),
        "connected": current.as_deref() == Some(record.context.as_str()),
        "context": record.context,
        "hostContext": record.host_context,
        "embeddedHost": record.embedded_host,
        "server": server,
        // The DNS server's local address (process driver), as the control plane wrote it.
        "dns": std::fs::read_to_string(record.data_dir().join("dns.addr"))
            .ok()
            .map(|a| a.trim().to_string()),
        "kubeconfig": record.kubeconfig(),
        "pid": record.pid(),
        "ttlSeconds": record.ttl_seconds,
    })
}

#[derive(Args)]
pub struct ListArgs {
    /// Every cluster on record, whatever host it is on (default: the clusters on the
    /// current host context, or all when it is not one of them).
    #[arg(short = 'A', long = "all")]
    pub all: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: DataFormat,
}

/// `vnest list`.
pub fn list(args: ListArgs) -> anyhow::Result<()> {
    let records = state::all();
    let current = kubeconfig::read(&kubeconfig::user_file())
        .ok()
        .and_then(|c| kubeconfig::current_context(&c).map(str::to_string));
    // The host the user is on: the current context, or the host of the current
    // virtual cluster.
    let host_ctx = current.as_deref().map(|c| {
        state::by_context(c)
            .map(|r| r.host_context)
            .unwrap_or_else(|| c.to_string())
    });
    let on_host: Vec<&ClusterRecord> = records
        .iter()
        .filter(|r| args.all || host_ctx.as_deref().is_none_or(|h| r.host_context == h))
        .collect();
    let shown = if on_host.is_empty() && !args.all {
        records.iter().collect()
    } else {
        on_host
    };
    let rows: Vec<Value> = shown.into_iter().map(describe_local).collect();
    match args.output {
        DataFormat::Json => println!("{}", serde_json::to_string_pretty(&json!({"items": rows}))?),
        DataFormat::Yaml => print!("{}", serde_yaml_ng::to_string(&json!({"items": rows}))?),
        DataFormat::Table => {
            if rows.is_empty() {
                println!("no virtual clusters (make one with `vnest create NAME`)");
                return Ok(());
            }
            let table: Vec<[String; 6]> = rows
                .iter()
                .map(|r| {
                    let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                    [
                        s("name"),
                        s("hostNamespace"),
                        s("status"),
                        s("driver"),
                        s("age"),
                        r["connected"].as_bool().unwrap_or(false).to_string(),
                    ]
                })
                .collect();
            print_table(
                [
                    "NAME",
                    "HOST NAMESPACE",
                    "STATUS",
                    "DRIVER",
                    "AGE",
                    "CONNECTED",
                ],
                &table,
            );
        }
    }
    Ok(())
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}   "));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

#[derive(Args)]
pub struct DescribeArgs {
    /// The virtual cluster.
    pub name: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: DataFormat,
}

/// Kinds counted by `describe` in the virtual cluster.
const COUNTED: [(&str, &str, &str); 8] = [
    ("", "v1", "namespaces"),
    ("", "v1", "pods"),
    ("", "v1", "services"),
    ("", "v1", "configmaps"),
    ("", "v1", "secrets"),
    ("", "v1", "persistentvolumeclaims"),
    ("apps", "v1", "deployments"),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions"),
];

/// `vnest describe`.
pub async fn describe(args: DescribeArgs) -> anyhow::Result<()> {
    let record = must_load(&args.name)?;
    let mut view = describe_local(&record);
    if record.pid().is_some() {
        let client = client_for_file(&record.kubeconfig()).await?;
        let mut counts = serde_json::Map::new();
        for (group, version, plural) in COUNTED {
            // Namespaced kinds are counted across all namespaces.
            let api: Api<DynamicObject> =
                Api::all_with(client.clone(), &api_resource(group, version, plural));
            if let Ok(list) = api.list_metadata(&ListParams::default()).await {
                counts.insert(plural.into(), json!(list.items.len()));
            }
        }
        view["objects"] = Value::Object(counts);
    }
    if let Some(pid) = record.pid() {
        view["resources"] = json!({
            "rssBytes": background::rss_bytes(pid),
            "dataDirBytes": dir_size(&record.data_dir()),
        });
    }
    if let Ok(host) = kubeconfig::read(&record.host_kubeconfig) {
        if let Ok(client) = client_for(&host).await {
            let api = dynamic_api(&client, &record.host_namespace, "", "v1", "pods");
            let lp = ListParams::default().labels(&format!("{MANAGED_BY}={}", record.name));
            if let Ok(Ok(list)) =
                tokio::time::timeout(Duration::from_secs(3), api.list_metadata(&lp)).await
            {
                view["hostPods"] = json!(list.items.len());
            }
        }
    }
    match args.output {
        DataFormat::Json => println!("{}", serde_json::to_string_pretty(&view)?),
        DataFormat::Yaml | DataFormat::Table => print!("{}", serde_yaml_ng::to_string(&view)?),
    }
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// `vnest pause`: stops the control plane and deletes the cluster's host pods; every
/// virtual object stays in the store.
pub async fn pause(name: &str) -> anyhow::Result<()> {
    let mut record = must_load(name)?;
    if record.paused {
        println!("virtual cluster {name} is already paused");
        return Ok(());
    }
    let client = client_for_file(&record.host_kubeconfig).await?;
    if let Some(pid) = record.pid() {
        background::stop(pid, Duration::from_secs(10));
        step(format!("control plane stopped (pid {pid})"));
    }
    if record.driver == Driver::Kubernetes {
        crate::incluster::stop_forwarder(&record);
        crate::incluster::scale(&client, &record, 0).await?;
        step("control plane scaled to 0");
    }
    let api = dynamic_api(&client, &record.host_namespace, "", "v1", "pods");
    let lp = ListParams::default().labels(&format!("{MANAGED_BY}={name}"));
    let pods = api.list_metadata(&lp).await?;
    for p in &pods.items {
        if let Some(n) = p.metadata.name.as_deref() {
            match api.delete(n, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e).with_context(|| format!("deleting host pod {n}")),
            }
        }
    }
    step(format!("{} host pods deleted", pods.items.len()));
    record.paused = true;
    record.save()?;
    println!("virtual cluster {name} paused");
    Ok(())
}

/// `vnest resume`: starts the control plane again; the syncer brings the pods back.
pub async fn resume(name: &str, timeout: Duration) -> anyhow::Result<()> {
    let mut record = must_load(name)?;
    if !record.paused && record.pid().is_some() {
        println!("virtual cluster {name} is running");
        return Ok(());
    }
    if record.embedded_host {
        ensure_dev_host().await?;
    }
    match record.driver {
        Driver::Process => {
            start_control_plane(&record, true)?;
            wait_ready(&record, timeout).await?;
        }
        Driver::Kubernetes => {
            let client = client_for_file(&record.host_kubeconfig).await?;
            crate::incluster::scale(&client, &record, 1).await?;
            crate::incluster::wait_ready(&client, &record, timeout).await?;
            crate::incluster::start_forwarder(&record)?;
        }
    }
    record.paused = false;
    record.save()?;
    println!("virtual cluster {name} resumed");
    Ok(())
}

/// `create --upgrade` on an existing cluster: restart its control plane with this
/// binary.
async fn upgrade(mut record: ClusterRecord, timeout: Duration) -> anyhow::Result<ClusterRecord> {
    if record.driver == Driver::Kubernetes {
        return Err(failure(
            2,
            "--upgrade of a kubernetes-driver cluster: apply the chart with the new image \
             (`--set image.tag=...`) instead",
        ));
    }
    eprintln!(
        "restarting the control plane of {} with this binary",
        record.name
    );
    if let Some(pid) = record.pid() {
        background::stop(pid, Duration::from_secs(10));
    }
    if record.embedded_host {
        ensure_dev_host().await?;
    }
    start_control_plane(&record, record.paused)?;
    wait_ready(&record, timeout).await?;
    write_cluster_kubeconfig(&record)?;
    record.paused = false;
    record.save()?;
    Ok(record)
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub create: CreateArgs,
    /// The command to run with KUBECONFIG set to the new cluster.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// `vnest run NAME -- CMD`: create, run CMD, delete whatever the outcome; exits with
/// CMD's status.
pub async fn run(mut args: RunArgs) -> anyhow::Result<ExitCode> {
    args.create.connect = Some(false);
    let record = create_cluster(&args.create).await?;
    step(format!("running {}", args.command.join(" ")));
    let command = args.command.clone();
    let file = record.kubeconfig();
    // Ctrl-C reaches the command (same terminal); this process waits to clean up.
    let result = tokio::select! {
        r = tokio::task::spawn_blocking(move || run_with_kubeconfig(&command, &file)) => r?,
        _ = tokio::signal::ctrl_c() => Ok(ExitCode::from(130)),
    };
    eprintln!("deleting virtual cluster {}", record.name);
    // Gone for good when run returns: the next run may reuse the name.
    delete_record(&record, true, false).await?;
    result
}

/// Called by a control plane started with `--expire-at`: deletes its own cluster via
/// `vnest delete`, in a process of its own (it stops this one).
pub fn expire(name: &str) -> anyhow::Result<()> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["delete", name]);
    // Outside the cluster's directory, which the delete removes.
    let dir = state::home().join("_expired");
    std::fs::create_dir_all(&dir)?;
    let log = dir.join(format!("{name}.log"));
    let pid_file = dir.join(format!("{name}.pid"));
    background::spawn(cmd, &log, &pid_file)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl_ones() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        for bad in ["", "h", "5x", "10m5", "0s", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_an_exposed_cluster_listens_beyond_loopback() {
        assert_eq!(listen_address(false, 7000), "127.0.0.1:7000");
        assert_eq!(listen_address(true, 7000), "0.0.0.0:7000");
        assert!(hostname().is_some_and(|h| !h.is_empty()));
    }

    #[test]
    fn values_become_control_plane_flags_for_the_process_driver() {
        let values = vnest_deploy::values_from(
            None,
            &[
                "store.type=etcd",
                "store.etcd.endpoints={http://a:2379,http://b:2379}",
                "sync.allSecrets=true",
                "controlPlane.extraArgs={--sync-host-nodes}",
            ],
        )
        .expect("values");
        let args = process_args("dev", &values);
        let text = args.join(" ");
        assert!(text.contains("--store etcd"), "{text}");
        assert!(
            text.contains("--etcd-endpoints http://a:2379,http://b:2379"),
            "{text}"
        );
        assert!(text.contains("--etcd-prefix /vnest/dev"), "{text}");
        assert!(text.contains("--pod-security-level baseline"), "{text}");
        assert!(text.contains("--sync-all-secrets"), "{text}");
        assert!(!text.contains("--sync-all-configmaps"), "{text}");
        assert_eq!(args.last().map(String::as_str), Some("--sync-host-nodes"));
    }

    #[test]
    fn context_names_follow_the_design() {
        assert_eq!(
            context_name("dev", "vnest-dev", "kind-kind"),
            "vnest_dev_vnest-dev_kind-kind"
        );
    }

    #[test]
    fn exit_codes_come_from_failures() {
        let e = failure(exit::NOT_FOUND, "x");
        assert_eq!(exit_code(&e), ExitCode::from(exit::NOT_FOUND));
        assert_eq!(exit_code(&anyhow::anyhow!("y")), ExitCode::from(1));
        let wrapped = failure(exit::EXISTS, "z").context("outer");
        assert_eq!(exit_code(&wrapped), ExitCode::from(exit::EXISTS));
    }
}

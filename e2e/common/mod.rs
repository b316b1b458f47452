//! Shared harness of the end-to-end tests: one real `vnest control-plane` process per
//! test binary on a free loopback port, and kubectl pointed at it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A control plane process owned by the test that started it (killed on drop).
pub struct ControlPlane {
    child: Child,
    handle: Shared,
}

impl std::ops::Deref for ControlPlane {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.handle
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn vnest_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vnest"))
}

impl ControlPlane {
    /// Starts a control plane with a fresh data dir and waits until /readyz answers.
    pub fn start(dir: &Path, extra: &[&str]) -> ControlPlane {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("data dir");
        Self::launch(dir, free_port(), extra)
    }

    /// Starts again on an existing data dir (and the port its kubeconfig names).
    pub fn restart(dir: &Path, port: u16, extra: &[&str]) -> ControlPlane {
        Self::launch(dir, port, extra)
    }

    /// Starts a dev host (`vnest host`: control plane, scheduler, simulated nodes)
    /// with a fresh data dir.
    pub fn start_host(dir: &Path, extra: &[&str]) -> ControlPlane {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("data dir");
        Self::launch_as("host", dir, free_port(), extra)
    }

    fn launch(dir: &Path, port: u16, extra: &[&str]) -> ControlPlane {
        Self::launch_as("control-plane", dir, port, extra)
    }

    fn launch_as(subcommand: &str, dir: &Path, port: u16, extra: &[&str]) -> ControlPlane {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("control-plane.log"))
            .expect("log file");
        let mut cmd = Command::new(vnest_binary());
        // The server dies with the thread that started it (see `shared`), so no test
        // run leaves a process behind.
        // SAFETY: prctl only affects the child being spawned.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .arg(subcommand)
            .arg("--data-dir")
            .arg(dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start vnest control-plane");
        let cp = ControlPlane {
            child,
            handle: Shared {
                dir: dir.to_path_buf(),
                kubeconfig: dir.join("admin.kubeconfig"),
                port,
            },
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if cp.kubeconfig.exists() {
                let out = cp.kubectl(&["get", "--raw", "/readyz"]);
                if out.status.success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "control plane did not become ready:\n{}",
                std::fs::read_to_string(dir.join("control-plane.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cp
    }
}

/// A handle on the shared control plane: where it is, not the process (which belongs
/// to a keeper thread that lives as long as the test binary).
pub struct Shared {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub port: u16,
}

impl Shared {
    pub fn kubectl_with(&self, binary: &str, args: &[&str]) -> Output {
        Command::new(binary)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .expect("run kubectl")
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with("kubectl", args)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("control-plane.log")).unwrap_or_default()
    }

    /// A kube-rs client with the admin credentials.
    pub async fn client(&self) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .expect("config");
        kube::Client::try_from(config).expect("client")
    }
}

/// The one dev host of this test binary (tests use their own namespaces).
pub fn shared_host() -> &'static Shared {
    static HOST: OnceLock<Shared> = OnceLock::new();
    HOST.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("e2e-host-{}", std::process::id()));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("host-keeper".into())
            .spawn(move || {
                let cp = ControlPlane::start_host(&dir, &["--nodes", "3"]);
                let _ = tx.send(Shared {
                    dir: cp.dir.clone(),
                    kubeconfig: cp.kubeconfig.clone(),
                    port: cp.port,
                });
                loop {
                    std::thread::park();
                }
            })
            .expect("keeper thread");
        rx.recv().expect("dev host started")
    })
}

/// The one control plane of this test binary (tests use their own namespaces).
pub fn shared() -> &'static Shared {
    shared_with(Vec::new())
}

/// The one control plane of this test binary, started with `extra` flags by whichever
/// test asks first (a binary must always pass the same flags).
pub fn shared_with(extra: Vec<String>) -> &'static Shared {
    static CP: OnceLock<Shared> = OnceLock::new();
    CP.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // Data dirs of earlier runs whose process is gone.
        if let Ok(entries) = std::fs::read_dir(&root) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(pid) = name.rsplit('-').next().filter(|_| name.starts_with("e2e-")) {
                    if !Path::new(&format!("/proc/{pid}")).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = root.join(format!("e2e-{}", std::process::id()));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("control-plane-keeper".into())
            .spawn(move || {
                let args: Vec<&str> = extra.iter().map(String::as_str).collect();
                let cp = ControlPlane::start(&dir, &args);
                let _ = tx.send(Shared {
                    dir: cp.dir.clone(),
                    kubeconfig: cp.kubeconfig.clone(),
                    port: cp.port,
                });
                // Keep the process (and its pdeathsig thread) alive for the binary.
                loop {
                    std::thread::park();
                }
            })
            .expect("keeper thread");
        rx.recv().expect("control plane started")
    })
}

/// A kubeconfig for `cp` that authenticates with `token` only (no client
/// certificate: with one, the certificate's user would win, as in kube).
pub fn token_kubeconfig(cp: &Shared, name: &str, token: &str) -> PathBuf {
    let admin = std::fs::read_to_string(&cp.kubeconfig).expect("admin kubeconfig");
    let field = |key: &str| {
        admin
            .lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_default()
    };
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n",
        field("server:"),
        field("certificate-authority-data:"),
    );
    let path = cp.dir.join(format!("{name}.kubeconfig"));
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

/// Runs kubectl with another kubeconfig.
pub fn kubectl_with_kubeconfig(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .expect("run kubectl")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs kubectl and asserts success, returning stdout.
/// Polls `f` until it holds, for at most 60 s.
pub fn eventually(what: &str, f: impl FnMut() -> bool) {
    eventually_within(what, 60, f);
}

/// Polls `f` every 200 ms until it holds; fails the test after `secs` seconds.
pub fn eventually_within(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn ok(cp: &Shared, args: &[&str]) -> String {
    let o = cp.kubectl(args);
    assert!(
        o.status.success(),
        "kubectl {} failed:\n{}\n--- server log tail ---\n{}",
        args.join(" "),
        stderr(&o),
        tail(&cp.log(), 30)
    );
    stdout(&o)
}

pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Waits until the pod's server listens (pods' processes share the host loopback).
/// kubectl port-forward gives up on the first connection the pod refuses, as it does
/// against kube.
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET /path` over HTTP/1.0 through a local port, retried while the server starts.
pub fn http_get(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut s = TcpStream::connect(("127.0.0.1", port))?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        })();
        match attempt {
            Ok(body) if body.starts_with("HTTP/1.0 200") => return body,
            other => {
                assert!(
                    Instant::now() < deadline,
                    "GET {path} through port {port}: {other:?}"
                );
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
}

/// Runs `kubectl port-forward` until dropped (its stdout stays open: it writes a line
/// per connection, and a closed pipe would kill it).
pub struct PortForward(
    pub std::process::Child,
    #[allow(dead_code)] pub std::process::ChildStdout,
);

impl Drop for PortForward {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn port_forward(
    cp: &Shared,
    bin: &str,
    env: &[(&str, &str)],
    ns: &str,
    pod: &str,
    remote: u16,
) -> (PortForward, u16) {
    let local = free_port();
    let mut child = Command::new(bin)
        .args([
            "port-forward",
            "-n",
            ns,
            &format!("pod/{pod}"),
            &format!("{local}:{remote}"),
        ])
        .env("KUBECONFIG", &cp.kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl port-forward");
    let mut out = child.stdout.take().expect("stdout");
    // Wait for "Forwarding from 127.0.0.1:LOCAL -> REMOTE".
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("Forwarding from") {
        match out.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => {
                let _ = child.kill();
                panic!(
                    "{bin} port-forward ended: {}",
                    String::from_utf8_lossy(&seen)
                )
            }
        }
    }
    (PortForward(child, out), local)
}

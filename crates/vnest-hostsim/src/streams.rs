//! `pods/exec`, `pods/attach` and `pods/portforward` on the dev host, behind the API
//! server's [`PodStreams`]:
//!
//! - exec starts the command as a new local process in the container's working
//!   directory with the container's environment (own process group, killed when the
//!   client goes away or vnest dies);
//! - attach joins the container's main process: its output is fanned out to every
//!   attached client as well as to the log file, and the client's input goes to its
//!   stdin when the container has `stdin: true`;
//! - portforward dials `127.0.0.1:PORT`: pods' processes share the host's loopback.
//!
//! There are no terminals: `tty=true` runs the command on pipes, with stderr merged
//! into stdout as a terminal would show it; resize events are ignored.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::FutureExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, watch};
use vnest_apiserver::streams::{
    BoxRead, BoxWrite, Duplex, Exit, PodStreams, Session, StreamOptions,
};

/// The main process of a running container, as attach sees it.
pub struct Attachable {
    /// Its stdin, when the container asked for one (`stdin: true`).
    pub stdin: Option<mpsc::Sender<Bytes>>,
    /// Its output: (is stderr, bytes).
    pub output: broadcast::Sender<(bool, Bytes)>,
    /// Its exit code, once it has exited and its output is drained.
    pub exited: watch::Receiver<Option<i32>>,
}

/// A container the node started: where and how commands run in it.
pub struct Live {
    pub workdir: PathBuf,
    pub env: Vec<(String, String)>,
    /// None for a container simulated without a process.
    pub process: Option<Attachable>,
}

/// The containers the nodes of this dev host run, by pod uid and container name.
#[derive(Default)]
pub struct Containers {
    inner: Mutex<HashMap<(String, String), Arc<Live>>>,
}

impl std::fmt::Debug for Containers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Containers").field("live", &n).finish()
    }
}

impl Containers {
    pub fn register(&self, uid: &str, container: &str, live: Live) {
        if let Ok(mut m) = self.inner.lock() {
            m.insert((uid.to_string(), container.to_string()), Arc::new(live));
        }
    }

    pub fn remove_pod(&self, uid: &str) {
        if let Ok(mut m) = self.inner.lock() {
            m.retain(|(u, _), _| u != uid);
        }
    }

    pub fn get(&self, uid: &str, container: &str) -> Option<Arc<Live>> {
        self.inner
            .lock()
            .ok()?
            .get(&(uid.to_string(), container.to_string()))
            .cloned()
    }
}

/// [`PodStreams`] for pods whose containers are local processes.
pub struct ProcessStreams {
    pub containers: Arc<Containers>,
    /// Containers' commands run (`vnest host --no-exec` turns it off).
    pub exec: bool,
}

fn not_found(container: &str) -> String {
    format!("container not found ({container:?})")
}

fn uid(pod: &Value) -> &str {
    pod.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether the pod's status shows the container running.
fn running(pod: &Value, container: &str) -> bool {
    pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running")
        && pod
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["name"] == container))
            .is_some_and(|c| c.pointer("/state/running").is_some())
}

/// Kills the process group of an exec'd command unless it has exited.
struct GroupGuard {
    pid: Option<i32>,
}

impl GroupGuard {
    fn disarm(&mut self) {
        self.pid = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            // SAFETY: signalling the process group this module created.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

/// Where attach sends a chunk of the container's output: `Some(true)` the client's
/// stderr, `Some(false)` its stdout (stderr too when it asked for a terminal).
fn route(opts: &StreamOptions, is_err: bool) -> Option<bool> {
    match (is_err, opts.stdout, opts.stderr) {
        (false, true, _) => Some(false),
        (true, _, true) => Some(true),
        (true, true, false) if opts.tty => Some(false),
        _ => None,
    }
}

/// stdout and stderr as one stream (what a terminal shows).
fn merged(out: BoxRead, err: BoxRead) -> BoxRead {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let b = Arc::new(tokio::sync::Mutex::new(b));
    for mut src in [out, err] {
        let b = b.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match src.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if b.lock().await.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
    Box::new(a)
}

#[async_trait::async_trait]
impl PodStreams for ProcessStreams {
    async fn check(&self, pod: &Value, container: &str) -> Result<(), String> {
        if !self.exec {
            return Err(format!(
                "{}: this dev host runs no processes (--no-exec)",
                not_found(container)
            ));
        }
        if !running(pod, container) || self.containers.get(uid(pod), container).is_none() {
            return Err(not_found(container));
        }
        Ok(())
    }

    async fn exec(&self, pod: &Value, opts: &StreamOptions) -> Result<Session, String> {
        let live = self
            .containers
            .get(uid(pod), &opts.container)
            .ok_or_else(|| not_found(&opts.container))?;
        if !live.workdir.exists() {
            // Simulated containers get their working dir when first exec'd into.
            let name = pod
                .pointer("/spec/hostname")
                .and_then(Value::as_str)
                .filter(|h| !h.is_empty())
                .or_else(|| pod.pointer("/metadata/name").and_then(Value::as_str))
                .unwrap_or_default();
            prepare_workdir(&live.workdir, name).await;
        }
        let Some((program, args)) = opts.command.split_first() else {
            return Err("no command".into());
        };
        let pipe = |on: bool| {
            if on {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            }
        };
        // Without a terminal, a tty session still shows what the command writes to
        // stderr, in its stdout.
        let merge = opts.tty && opts.stdout && !opts.stderr;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .current_dir(&live.workdir)
            .env_clear()
            .env(
                "PATH",
                std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
            )
            .envs(live.env.iter().cloned())
            .stdin(pipe(opts.stdin))
            .stdout(pipe(opts.stdout))
            .stderr(pipe(opts.stderr || merge))
            .kill_on_drop(true);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| {
            format!(
                "error executing command in container: failed to exec in container: {program:?}: {e}"
            )
        })?;
        tracing::debug!(command = ?opts.command, pid = ?child.id(), "exec");
        let stdin: Option<BoxWrite> = child.stdin.take().map(|w| Box::new(w) as BoxWrite);
        let out: Option<BoxRead> = child.stdout.take().map(|r| Box::new(r) as BoxRead);
        let err: Option<BoxRead> = child.stderr.take().map(|r| Box::new(r) as BoxRead);
        let (stdout, stderr) = match (out, err) {
            (Some(o), Some(e)) if merge => (Some(merged(o, e)), None),
            (o, e) => (o, e),
        };
        let guard = GroupGuard {
            pid: child.id().map(|p| p as i32),
        };
        let done = async move {
            // Owned by the future: dropping it before the command ends kills the group.
            let mut guard = guard;
            let status = child.wait().await;
            guard.disarm();
            match status {
                Ok(st) => Exit::Code(st.code().unwrap_or_else(|| {
                    use std::os::unix::process::ExitStatusExt;
                    128 + st.signal().unwrap_or(9)
                })),
                Err(e) => Exit::Error(e.to_string()),
            }
        }
        .boxed();
        Ok(Session {
            stdin,
            stdout,
            stderr,
            done,
        })
    }

    async fn attach(&self, pod: &Value, opts: &StreamOptions) -> Result<Session, String> {
        let live = self
            .containers
            .get(uid(pod), &opts.container)
            .ok_or_else(|| not_found(&opts.container))?;
        let process = live
            .process
            .as_ref()
            .ok_or_else(|| format!("{}: it runs no process here", not_found(&opts.container)))?;
        let mut output = process.output.subscribe();
        let mut exited = process.exited.clone();
        let (out_r, mut out_w) = tokio::io::duplex(64 * 1024);
        let (err_r, mut err_w) = tokio::io::duplex(64 * 1024);
        let o = opts.clone();
        tokio::spawn(async move {
            let mut deliver = async |is_err: bool, b: Bytes| -> bool {
                match route(&o, is_err) {
                    Some(true) => err_w.write_all(&b).await.is_ok(),
                    Some(false) => out_w.write_all(&b).await.is_ok(),
                    None => true,
                }
            };
            loop {
                tokio::select! {
                    msg = output.recv() => match msg {
                        Ok((is_err, b)) => if !deliver(is_err, b).await { return },
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::debug!(skipped = n, "attach client fell behind");
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    changed = exited.changed() => {
                        if changed.is_err() || exited.borrow().is_some() {
                            // The output was drained before the exit was announced.
                            while let Ok((is_err, b)) = output.try_recv() {
                                if !deliver(is_err, b).await { return }
                            }
                            break;
                        }
                    }
                }
            }
        });
        let stdin: Option<BoxWrite> = match (&process.stdin, opts.stdin) {
            (Some(tx), true) => {
                let tx = tx.clone();
                let (r, w) = tokio::io::duplex(64 * 1024);
                tokio::spawn(async move {
                    let mut r = r;
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        match r.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if tx.send(Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
                Some(Box::new(w))
            }
            _ => None,
        };
        let mut exited = process.exited.clone();
        let done = async move {
            while exited.borrow().is_none() {
                if exited.changed().await.is_err() {
                    break;
                }
            }
            Exit::Code(0)
        }
        .boxed();
        Ok(Session {
            stdin,
            stdout: opts.stdout.then(|| Box::new(out_r) as BoxRead),
            stderr: opts.stderr.then(|| Box::new(err_r) as BoxRead),
            done,
        })
    }

    async fn portforward(&self, _pod: &Value, port: u16) -> Result<Box<dyn Duplex>, String> {
        let conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("dial tcp4 127.0.0.1:{port}: {e}"))?;
        let _ = conn.set_nodelay(true);
        Ok(Box::new(conn))
    }
}

/// A container's working dir with the pod's `hostname` file in it.
pub(crate) async fn prepare_workdir(workdir: &std::path::Path, pod_name: &str) {
    let _ = tokio::fs::create_dir_all(workdir).await;
    let _ = tokio::fs::write(workdir.join("hostname"), pod_name).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn running_reads_the_pod_status() {
        let pod = json!({"status": {"phase": "Running", "containerStatuses": [
            {"name": "a", "state": {"running": {"startedAt": "x"}}},
            {"name": "b", "state": {"terminated": {"exitCode": 0}}},
        ]}});
        assert!(running(&pod, "a"));
        assert!(!running(&pod, "b"));
        assert!(!running(&pod, "c"));
        assert_eq!(not_found("web"), "container not found (\"web\")");
    }

    #[test]
    fn attach_routes_output_like_a_terminal_would() {
        let opts = |stdout, stderr, tty| StreamOptions {
            stdout,
            stderr,
            tty,
            ..StreamOptions::default()
        };
        assert_eq!(route(&opts(true, true, false), false), Some(false));
        assert_eq!(route(&opts(true, true, false), true), Some(true));
        assert_eq!(route(&opts(true, false, false), true), None);
        assert_eq!(route(&opts(true, false, true), true), Some(false));
        assert_eq!(route(&opts(false, false, false), false), None);
    }
}

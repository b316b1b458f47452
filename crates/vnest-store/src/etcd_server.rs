//! A local etcd process on loopback, for tests, benchmarks and single-machine setups.
//!
//! The child gets `PR_SET_PDEATHSIG`, so it dies with the thread that started it (the
//! kernel ties the signal to the spawning thread): start it from a thread that lives as
//! long as you need the server, or keep the [`EtcdServer`] value, which kills the
//! process on drop.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct EtcdServer {
    child: Child,
    /// Client URL, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub data_dir: PathBuf,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The etcd binary: `$VNEST_ETCD_BIN`, else `etcd` on PATH.
pub fn etcd_binary() -> PathBuf {
    std::env::var_os("VNEST_ETCD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("etcd"))
}

impl EtcdServer {
    /// Starts etcd with a fresh data dir (whatever `data_dir` held is removed) on random
    /// loopback ports, and waits until it reports healthy.
    pub fn start(data_dir: &Path, timeout: Duration) -> std::io::Result<Self> {
        if data_dir.exists() {
            std::fs::remove_dir_all(data_dir)?;
        }
        std::fs::create_dir_all(data_dir)?;
        let client_port = free_port()?;
        let peer_port = free_port()?;
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let log = std::fs::File::create(data_dir.join("etcd.log"))?;
        let mut cmd = Command::new(etcd_binary());
        cmd.arg("--name")
            .arg("vnest")
            .arg("--data-dir")
            .arg(data_dir.join("data"))
            .arg("--listen-client-urls")
            .arg(&client_url)
            .arg("--advertise-client-urls")
            .arg(&client_url)
            .arg("--listen-peer-urls")
            .arg(&peer_url)
            .arg("--initial-advertise-peer-urls")
            .arg(&peer_url)
            .arg("--initial-cluster")
            .arg(format!("vnest={peer_url}"))
            // Room for a full-size value (DEFAULT_MAX_VALUE_BYTES) plus key and
            // transaction overhead; etcd's own default is exactly 1.5 MiB in all.
            .arg("--max-request-bytes")
            .arg("2097152")
            .arg("--logger")
            .arg("zap")
            .arg("--log-level")
            .arg("warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // SAFETY: prctl only affects the new child process; no allocation happens here.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot start {} (install it with hack/install-etcd.sh): {e}",
                    etcd_binary().display()
                ),
            )
        })?;
        let mut server = EtcdServer {
            child,
            endpoint: client_url,
            data_dir: data_dir.to_path_buf(),
        };
        server.wait_healthy(([127, 0, 0, 1], client_port).into(), timeout)?;
        Ok(server)
    }

    fn wait_healthy(&mut self, addr: SocketAddr, timeout: Duration) -> std::io::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log =
                    std::fs::read_to_string(self.data_dir.join("etcd.log")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "etcd exited with {status} before it was ready:\n{log}"
                )));
            }
            if health_ok(addr) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "etcd did not become healthy in time",
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn health_ok(addr: SocketAddr) -> bool {
    let Ok(mut conn) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
    if conn
        .write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut body = String::new();
    let _ = conn.read_to_string(&mut body);
    body.contains("\"health\":\"true\"")
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

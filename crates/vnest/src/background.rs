//! Processes the CLI leaves running after it exits (the dev host, control planes of
//! the process driver): started in their own process group with output to a log
//! file, tracked by a pid file, stopped with SIGTERM and, after a grace period,
//! SIGKILL.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// Whether a process with this id exists.
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only probes for the process.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0 && !zombie(pid)
}

/// A child that exited but was not reaped still answers signal 0.
fn zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st == "Z"))
        })
        .unwrap_or(false)
}

/// The live process recorded in a pid file, if any.
pub fn running_pid(pid_file: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    alive(pid).then_some(pid)
}

/// Starts `cmd` detached from the caller's terminal (own process group, stdin from
/// /dev/null, stdout and stderr appended to `log`) and records its pid.
pub fn spawn(mut cmd: Command, log: &Path, pid_file: &Path) -> anyhow::Result<i32> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0)
        .spawn()
        .context("starting a background process")?;
    let pid = child.id() as i32;
    std::fs::write(pid_file, pid.to_string())
        .with_context(|| format!("writing {}", pid_file.display()))?;
    // The child is not waited for here: it outlives this process. Reap it if it dies
    // while we still run, so `alive` does not see a zombie.
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(pid)
}

/// Stops a process: SIGTERM, then SIGKILL after `grace`. True if it was running.
pub fn stop(pid: i32, grace: Duration) -> bool {
    if !alive(pid) {
        return false;
    }
    // SAFETY: signalling a process we started.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while alive(pid) {
        if Instant::now() > deadline {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            let hard = Instant::now() + Duration::from_secs(5);
            while alive(pid) && Instant::now() < hard {
                std::thread::sleep(Duration::from_millis(20));
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A `kB` figure of a /proc file of a process, in bytes (`status` with `VmRSS:` or
/// `RssAnon:`, `smaps_rollup` with `Pss:`).
pub fn proc_bytes(pid: i32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The resident set size of a process in bytes.
pub fn rss_bytes(pid: i32) -> Option<u64> {
    proc_bytes(pid, "status", "VmRSS:")
}

/// The last `n` lines of a log file, for error messages.
pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

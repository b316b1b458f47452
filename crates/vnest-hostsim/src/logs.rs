//! Container logs of the simulated nodes: files in the CRI format kubelets write
//! (`<RFC 3339 time> <stream> F <line>`), one per container start, and the reader
//! behind `pods/log` (follow, tailLines, sinceSeconds/sinceTime, timestamps,
//! previous, limitBytes).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use serde_json::Value;
use vnest_api::status::ApiError;
use vnest_apiserver::podlogs::{LogOptions, PodLogs};

/// Where a pod's containers live on disk.
pub fn pod_dir(root: &Path, ns: &str, name: &str, uid: &str) -> PathBuf {
    root.join("pods").join(format!("{ns}_{name}_{uid}"))
}

pub fn container_dir(root: &Path, pod: &Pod, container: &str) -> PathBuf {
    pod_dir(
        root,
        &pod.namespace().unwrap_or_default(),
        &pod.name_any(),
        &pod.uid().unwrap_or_default(),
    )
    .join(container)
}

pub fn log_file(root: &Path, pod: &Pod, container: &str, restart: i32) -> PathBuf {
    container_dir(root, pod, container).join(format!("{restart}.log"))
}

/// Written with the exit code when a container start ends.
pub fn exit_marker(root: &Path, pod: &Pod, container: &str, restart: i32) -> PathBuf {
    container_dir(root, pod, container).join(format!("{restart}.exit"))
}

/// One parsed log line: time, and the line as shown with and without timestamps.
fn parse_line(line: &str) -> Option<(Timestamp, String, String)> {
    let mut parts = line.splitn(4, ' ');
    let ts = parts.next()?;
    let _stream = parts.next()?;
    let _tag = parts.next()?;
    let content = parts.next().unwrap_or("");
    let t: Timestamp = ts.parse().ok()?;
    Some((t, format!("{content}\n"), format!("{ts} {content}\n")))
}

/// Renders the lines of a log file the options select.
pub fn render(text: &str, opts: &LogOptions, now: Timestamp) -> String {
    let mut lines: Vec<(Timestamp, String, String)> = text.lines().filter_map(parse_line).collect();
    if let Some(secs) = opts.since_seconds {
        lines.retain(|(t, _, _)| now.duration_since(*t).as_secs() <= secs);
    }
    if let Some(since) = &opts.since_time {
        if let Ok(since) = since.parse::<Timestamp>() {
            lines.retain(|(t, _, _)| *t >= since);
        }
    }
    if let Some(n) = opts.tail_lines {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    let mut out = String::new();
    for (_, plain, stamped) in lines {
        out.push_str(if opts.timestamps { &stamped } else { &plain });
    }
    if let Some(limit) = opts.limit_bytes {
        if out.len() > limit {
            let mut cut = limit;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
        }
    }
    out
}

/// Reads the log files under a dev host's data dir.
pub struct FileLogs {
    pub root: PathBuf,
}

fn restart_count(pod: &Value, container: &str) -> i32 {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == container))
        .and_then(|c| c["restartCount"].as_i64())
        .unwrap_or(0) as i32
}

#[async_trait::async_trait]
impl PodLogs for FileLogs {
    async fn open(
        &self,
        pod: &Value,
        container: &str,
        opts: &LogOptions,
    ) -> Result<BoxStream<'static, Bytes>, ApiError> {
        let s = |p: &str| {
            pod.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (ns, name, uid) = (
            s("/metadata/namespace"),
            s("/metadata/name"),
            s("/metadata/uid"),
        );
        let mut restart = restart_count(pod, container);
        if opts.previous {
            if restart == 0 {
                return Err(ApiError::bad_request(format!(
                    "previous terminated container \"{container}\" in pod \"{name}\" not found"
                )));
            }
            restart -= 1;
        }
        let dir = pod_dir(&self.root, &ns, &name, &uid).join(container);
        let file = dir.join(format!("{restart}.log"));
        let marker = dir.join(format!("{restart}.exit"));
        let text = tokio::fs::read_to_string(&file).await.unwrap_or_default();
        let first = render(&text, opts, Timestamp::now());
        if !opts.follow || opts.previous {
            return Ok(futures::stream::once(async move { Bytes::from(first) }).boxed());
        }
        let mut offset = text.len();
        let timestamps = opts.timestamps;
        let stream = async_stream(first, move |tx| async move {
            loop {
                let done = marker.exists();
                let now_text = tokio::fs::read_to_string(&file).await.unwrap_or_default();
                if now_text.len() > offset {
                    let fresh = &now_text[offset..];
                    // Only whole lines.
                    if let Some(end) = fresh.rfind('\n') {
                        let chunk = &fresh[..=end];
                        offset += chunk.len();
                        let chunk_opts = LogOptions {
                            timestamps,
                            ..LogOptions::default()
                        };
                        let rendered = render(chunk, &chunk_opts, Timestamp::now());
                        if tx.send(Bytes::from(rendered)).await.is_err() {
                            return;
                        }
                        continue;
                    }
                }
                if done || !file.parent().is_some_and(Path::exists) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Ok(stream)
    }
}

/// A stream that yields `first`, then what `producer` sends.
fn async_stream<F, Fut>(first: String, producer: F) -> BoxStream<'static, Bytes>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Bytes>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        if !first.is_empty() && tx.send(Bytes::from(first)).await.is_err() {
            return;
        }
        producer(tx).await;
    });
    tokio_stream_from(rx)
}

fn tokio_stream_from(mut rx: tokio::sync::mpsc::Receiver<Bytes>) -> BoxStream<'static, Bytes> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_timestamps_and_limits() {
        let text = "2026-01-01T00:00:00Z stdout F one\n2026-01-01T00:00:01Z stderr F two\n2026-01-01T00:00:02Z stdout F three\n";
        let now: Timestamp = "2026-01-01T00:00:03Z".parse().unwrap();
        assert_eq!(
            render(text, &LogOptions::default(), now),
            "one\ntwo\nthree\n"
        );
        let tail = LogOptions {
            tail_lines: Some(1),
            ..LogOptions::default()
        };
        assert_eq!(render(text, &tail, now), "three\n");
        let ts = LogOptions {
            timestamps: true,
            tail_lines: Some(1),
            ..LogOptions::default()
        };
        assert_eq!(render(text, &ts, now), "2026-01-01T00:00:02Z three\n");
        let since = LogOptions {
            since_seconds: Some(2),
            ..LogOptions::default()
        };
        assert_eq!(render(text, &since, now), "two\nthree\n");
        let limit = LogOptions {
            limit_bytes: Some(5),
            ..LogOptions::default()
        };
        assert_eq!(render(text, &limit, now), "one\nt");
    }
}

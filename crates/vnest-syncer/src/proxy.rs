//! `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward` of a virtual pod,
//! served from its host pod: the virtual API server has already authorized the tenant
//! (and upgraded the tenant's connection); the request goes on with the syncer's host
//! credentials to the host pod's name, and the host's answer (or refusal) comes back.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{AsyncReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::Client;
use serde_json::Value;
use vnest_api::status::ApiError;
use vnest_apiserver::podlogs::{LogOptions, PodLogs};
use vnest_apiserver::streams::{
    BoxRead, BoxWrite, Duplex, Exit, PodStreams, Session, StreamOptions,
};

use crate::names::HostName;

/// Container logs of virtual pods, read from their host pods.
pub struct HostPodLogs {
    pub host: Client,
    pub host_namespace: String,
    pub vcluster: String,
}

/// The host's refusal as the virtual API server's answer.
fn api_error(e: kube::Error) -> ApiError {
    match e {
        kube::Error::Api(s) => {
            let reason = [
                "BadRequest",
                "NotFound",
                "Forbidden",
                "Unauthorized",
                "Conflict",
                "Gone",
                "Invalid",
                "TooManyRequests",
                "ServiceUnavailable",
                "Timeout",
                "InternalError",
            ]
            .into_iter()
            .find(|r| *r == s.reason)
            .unwrap_or("");
            ApiError::new(s.code, reason, s.message)
        }
        other => ApiError::internal(format!("reading the host pod's log: {other}")),
    }
}

/// kube's log options as the host request's parameters.
pub fn log_params(container: &str, opts: &LogOptions) -> LogParams {
    LogParams {
        container: Some(container.to_string()),
        follow: opts.follow,
        previous: opts.previous,
        timestamps: opts.timestamps,
        tail_lines: opts.tail_lines.map(|t| t as i64),
        since_seconds: opts.since_seconds,
        since_time: opts
            .since_time
            .as_deref()
            .and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok()),
        limit_bytes: opts.limit_bytes.map(|l| l as i64),
        pretty: false,
    }
}

#[async_trait::async_trait]
impl PodLogs for HostPodLogs {
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
        let host_name = HostName::for_object(
            &s("/metadata/name"),
            &s("/metadata/namespace"),
            &self.vcluster,
        );
        let api: Api<Pod> = Api::namespaced(self.host.clone(), &self.host_namespace);
        let reader = api
            .log_stream(&host_name, &log_params(container, opts))
            .await
            .map_err(api_error)?;
        let chunks = futures::stream::unfold(Box::pin(reader), |mut r| async move {
            let mut buf = vec![0u8; 16 * 1024];
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Bytes::from(buf), r))
                }
            }
        });
        Ok(chunks.boxed())
    }
}

/// Exec, attach and port-forward of virtual pods, through their host pods.
pub struct HostPodStreams {
    pub host: Client,
    pub host_namespace: String,
    pub vcluster: String,
}

impl HostPodStreams {
    fn api(&self) -> Api<Pod> {
        Api::namespaced(self.host.clone(), &self.host_namespace)
    }

    fn host_name(&self, pod: &Value) -> String {
        let s = |p: &str| {
            pod.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        HostName::for_object(
            &s("/metadata/name"),
            &s("/metadata/namespace"),
            &self.vcluster,
        )
    }
}

fn attach_params(opts: &StreamOptions) -> kube::api::AttachParams {
    kube::api::AttachParams {
        container: Some(opts.container.clone()),
        stdin: opts.stdin,
        stdout: opts.stdout,
        // kube's rule: no separate stderr with a terminal.
        stderr: opts.stderr && !opts.tty,
        tty: opts.tty,
        max_stdin_buf_size: None,
        max_stdout_buf_size: None,
        max_stderr_buf_size: None,
    }
}

/// How a remote command ended, from the Status on the host's error channel.
pub fn exit_of(status: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>) -> Exit {
    let Some(st) = status else {
        return Exit::Code(0);
    };
    if st.status.as_deref() == Some("Success") {
        return Exit::Code(0);
    }
    let code = st
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|c| c.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
        .and_then(|c| c.message.as_deref()?.parse().ok());
    match code {
        Some(code) => Exit::Code(code),
        None => Exit::Error(st.message.clone().unwrap_or_default()),
    }
}

fn session(mut process: kube::api::AttachedProcess) -> Session {
    let stdin = process.stdin().map(|w| Box::new(w) as BoxWrite);
    let stdout = process.stdout().map(|r| Box::new(r) as BoxRead);
    let stderr = process.stderr().map(|r| Box::new(r) as BoxRead);
    let status = process.take_status();
    let done = async move {
        let exit = match status {
            Some(status) => exit_of(status.await.as_ref()),
            None => Exit::Code(0),
        };
        let _ = process.join().await;
        exit
    };
    Session {
        stdin,
        stdout,
        stderr,
        done: Box::pin(done),
    }
}

#[async_trait::async_trait]
impl PodStreams for HostPodStreams {
    async fn check(&self, pod: &Value, container: &str) -> Result<(), String> {
        let host = self
            .api()
            .get_opt(&self.host_name(pod))
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("container not found ({container:?})"))?;
        let running = host
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.name == container && c.state.as_ref().is_some_and(|s| s.running.is_some())
                })
            });
        if running {
            Ok(())
        } else {
            Err(format!("container not found ({container:?})"))
        }
    }

    async fn exec(&self, pod: &Value, opts: &StreamOptions) -> Result<Session, String> {
        let process = self
            .api()
            .exec(
                &self.host_name(pod),
                opts.command.clone(),
                &attach_params(opts),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(session(process))
    }

    async fn attach(&self, pod: &Value, opts: &StreamOptions) -> Result<Session, String> {
        let process = self
            .api()
            .attach(&self.host_name(pod), &attach_params(opts))
            .await
            .map_err(|e| e.to_string())?;
        Ok(session(process))
    }

    async fn portforward(&self, pod: &Value, port: u16) -> Result<Box<dyn Duplex>, String> {
        let mut forwarder = self
            .api()
            .portforward(&self.host_name(pod), &[port])
            .await
            .map_err(|e| e.to_string())?;
        let stream = forwarder
            .take_stream(port)
            .ok_or_else(|| format!("no stream for port {port}"))?;
        // The forwarder drives the connection; it lives as long as the stream is used.
        tokio::spawn(async move {
            let _ = forwarder.join().await;
        });
        Ok(Box::new(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_come_from_the_status_causes() {
        let st: k8s_openapi::apimachinery::pkg::apis::meta::v1::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "reason": "NonZeroExitCode", "message": "command terminated with non-zero exit code",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}))
        .unwrap();
        assert_eq!(exit_of(Some(&st)), Exit::Code(3));
        let ok: k8s_openapi::apimachinery::pkg::apis::meta::v1::Status =
            serde_json::from_value(serde_json::json!({"status": "Success"})).unwrap();
        assert_eq!(exit_of(Some(&ok)), Exit::Code(0));
        let broken: k8s_openapi::apimachinery::pkg::apis::meta::v1::Status =
            serde_json::from_value(
                serde_json::json!({"status": "Failure", "message": "no such file"}),
            )
            .unwrap();
        assert_eq!(exit_of(Some(&broken)), Exit::Error("no such file".into()));
    }

    #[test]
    fn options_carry_over_to_the_host_request() {
        let opts = LogOptions {
            follow: true,
            previous: false,
            timestamps: true,
            tail_lines: Some(10),
            since_seconds: Some(60),
            since_time: None,
            limit_bytes: Some(4096),
        };
        let p = log_params("web", &opts);
        assert_eq!(p.container.as_deref(), Some("web"));
        assert!(p.follow && p.timestamps && !p.previous);
        assert_eq!(
            (p.tail_lines, p.since_seconds, p.limit_bytes),
            (Some(10), Some(60), Some(4096))
        );
    }
}

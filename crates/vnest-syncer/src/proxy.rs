//! `pods/log` of a virtual pod, served from its host pod: the virtual API server has
//! already authorized the tenant; the request goes on with the syncer's host
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

#[cfg(test)]
mod tests {
    use super::*;

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

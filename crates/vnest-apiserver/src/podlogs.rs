//! `pods/log`: the API server checks the request against the pod and hands it to
//! whatever runs the pod (the dev host's simulated nodes, or a syncer proxying to a
//! host cluster) through [`PodLogs`].

use std::collections::HashMap;

use bytes::Bytes;
use futures::stream::BoxStream;
use serde_json::Value;
use vnest_api::status::ApiError;

/// The options of a log request (kube's PodLogOptions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<usize>,
    pub since_seconds: Option<i64>,
    pub since_time: Option<String>,
    pub limit_bytes: Option<usize>,
}

impl LogOptions {
    /// From the query string, with kube's validation errors.
    pub fn parse(query: &HashMap<String, String>) -> Result<LogOptions, ApiError> {
        let flag = |k: &str| query.get(k).is_some_and(|v| crate::request::go_bool(v));
        let number = |k: &str| -> Result<Option<i64>, ApiError> {
            match query.get(k) {
                None => Ok(None),
                Some(v) => v
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| ApiError::bad_request(format!("invalid value for {k}: {v:?}"))),
            }
        };
        let tail = number("tailLines")?;
        let since = number("sinceSeconds")?;
        let limit = number("limitBytes")?;
        if since.is_some_and(|s| s < 1) {
            return Err(ApiError::new(422, "Invalid", "PodLogOptions \"\" is invalid: sinceSeconds: Invalid value: must be greater than 0"));
        }
        if since.is_some() && query.contains_key("sinceTime") {
            return Err(ApiError::new(422, "Invalid", "PodLogOptions \"\" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"));
        }
        Ok(LogOptions {
            follow: flag("follow"),
            previous: flag("previous"),
            timestamps: flag("timestamps"),
            tail_lines: tail.map(|t| t.max(0) as usize),
            since_seconds: since,
            since_time: query.get("sinceTime").cloned(),
            limit_bytes: limit.map(|l| l.max(0) as usize),
        })
    }
}

/// Where container logs come from.
#[async_trait::async_trait]
pub trait PodLogs: Send + Sync {
    /// The log of `container` of `pod` (the stored object) as text.
    async fn open(
        &self,
        pod: &Value,
        container: &str,
        opts: &LogOptions,
    ) -> Result<BoxStream<'static, Bytes>, ApiError>;
}

//! Events about pods, as the scheduler and the kubelet record them.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;

/// Records an event on `pod` (failures are only logged: events are best effort).
pub async fn record(
    client: &Client,
    pod: &Pod,
    kind: &str,
    reason: &str,
    message: &str,
    source: &str,
) {
    let ns = pod.namespace().unwrap_or_default();
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    let ev = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"generateName": format!("{}.", pod.name_any()), "namespace": ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": pod.name_any(), "namespace": ns,
                           "uid": pod.uid().unwrap_or_default(), "resourceVersion": pod.resource_version().unwrap_or_default()},
        "reason": reason, "message": message, "type": kind,
        "source": {"component": source},
        "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        "reportingComponent": source,
    });
    let api: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), &ns);
    match serde_json::from_value(ev) {
        Ok(e) => {
            if let Err(err) = api.create(&PostParams::default(), &e).await {
                tracing::debug!(error = %err, "recording an event failed");
            }
        }
        Err(err) => tracing::debug!(error = %err, "event"),
    }
}

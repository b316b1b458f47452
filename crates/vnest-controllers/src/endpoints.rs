//! Endpoints and EndpointSlices for Services with a selector: the pods the selector
//! picks, ready ones as addresses and the others as not-ready addresses, ports with
//! named target ports resolved per pod. Services without a selector are left alone.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};

use crate::informer::{is_status, key_of, watch_channel, Change, Key, Store};
use crate::pods::is_ready;

const MANAGER: &str = "endpoint-controller";
const SLICE_MANAGER: &str = "endpointslice-controller.k8s.io";

/// The port a service port reaches on `pod`: a number, or a named container port.
fn target_port(svc_port: &k8s_openapi::api::core::v1::ServicePort, pod: &Pod) -> Option<i32> {
    match &svc_port.target_port {
        None => Some(svc_port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => pod
            .spec
            .as_ref()?
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.container_port),
    }
}

/// Resolved ports of a pod: (name, number, protocol).
type PortSet = Vec<(Option<String>, i32, String)>;

/// The Endpoints `subsets` and the EndpointSlice `endpoints`/`ports` for a service
/// and the pods its selector picks (pure).
pub fn endpoints_for(svc: &Service, pods: &[&Pod]) -> (Value, Value, Value) {
    let ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    // Group pods by the port numbers they expose (named ports may differ per pod).
    let mut subsets: BTreeMap<PortSet, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    let mut slice_endpoints = Vec::new();
    let mut slice_ports: Vec<Value> = Vec::new();
    for pod in pods {
        let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.clone()) else {
            continue;
        };
        let resolved: PortSet = ports
            .iter()
            .filter_map(|p| {
                Some((
                    p.name.clone(),
                    target_port(p, pod)?,
                    p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                ))
            })
            .collect();
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let address = json!({
            "ip": ip, "nodeName": node,
            "targetRef": {"kind": "Pod", "namespace": pod.namespace(), "name": pod.name_any(), "uid": pod.uid()},
        });
        let entry = subsets.entry(resolved.clone()).or_default();
        let ready = is_ready(pod);
        if ready {
            entry.0.push(address);
        } else {
            entry.1.push(address);
        }
        slice_endpoints.push(json!({
            "addresses": [ip],
            "conditions": {"ready": ready, "serving": ready, "terminating": false},
            "nodeName": node,
            "targetRef": {"kind": "Pod", "namespace": pod.namespace(), "name": pod.name_any(), "uid": pod.uid()},
        }));
        if slice_ports.is_empty() {
            slice_ports = resolved
                .iter()
                .map(|(name, port, proto)| json!({"name": name.clone().unwrap_or_default(), "port": port, "protocol": proto}))
                .collect();
        }
    }
    let subsets: Vec<Value> = subsets
        .into_iter()
        .map(|(ports, (ready, not_ready))| {
            let mut s = json!({
                "ports": ports.iter().map(|(name, port, proto)| {
                    let mut p = json!({"port": port, "protocol": proto});
                    if let Some(n) = name { p["name"] = json!(n); }
                    p
                }).collect::<Vec<_>>(),
            });
            if !ready.is_empty() {
                s["addresses"] = json!(ready);
            }
            if !not_ready.is_empty() {
                s["notReadyAddresses"] = json!(not_ready);
            }
            s
        })
        .collect();
    (json!(subsets), json!(slice_endpoints), json!(slice_ports))
}

struct Controller {
    client: Client,
    services: Store<Service>,
    pods: Store<Pod>,
}

fn selects(svc: &Service, pod: &Pod) -> bool {
    let Some(sel) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        return false;
    };
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

impl Controller {
    fn services_of(&self, pod: &Pod) -> Vec<Key> {
        let ns = pod.namespace().unwrap_or_default();
        self.services
            .objects
            .iter()
            .filter(|((sns, _), s)| *sns == ns && selects(s, pod))
            .map(|(k, _)| k.clone())
            .collect()
    }

    async fn reconcile(&mut self, key: &Key, deleted: bool) {
        let (ns, name) = key;
        let eps: Api<k8s_openapi::api::core::v1::Endpoints> =
            Api::namespaced(self.client.clone(), ns);
        let slices: Api<k8s_openapi::api::discovery::v1::EndpointSlice> =
            Api::namespaced(self.client.clone(), ns);
        let slice_name = format!("{name}-vnest");
        let svc = self.services.get(ns, name).cloned();
        let selected = svc.as_ref().is_some_and(|s| {
            s.spec
                .as_ref()
                .and_then(|sp| sp.selector.as_ref())
                .is_some_and(|m| !m.is_empty())
        });
        if deleted || svc.is_none() || !selected {
            if deleted || svc.is_none() {
                for r in [
                    eps.delete(name, &DeleteParams::default()).await.map(|_| ()),
                    slices
                        .delete(&slice_name, &DeleteParams::default())
                        .await
                        .map(|_| ()),
                ] {
                    if let Err(e) = r {
                        if !is_status(&e, 404) {
                            tracing::debug!(error = %e, "endpoints cleanup");
                        }
                    }
                }
            }
            return;
        }
        let Some(svc) = svc else { return };
        let pods: Vec<&Pod> = self
            .pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((pns, _), _)| pns == ns)
            .map(|(_, p)| p)
            .filter(|p| p.metadata.deletion_timestamp.is_none() && selects(&svc, p))
            .filter(|p| {
                !matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                )
            })
            .collect();
        let (subsets, endpoints, ports) = endpoints_for(&svc, &pods);
        let labels = svc.metadata.labels.clone().unwrap_or_default();
        let ep = json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "subsets": subsets,
        });
        let pp = PatchParams::apply(MANAGER).force();
        if let Err(e) = eps.patch(name, &pp, &Patch::Apply(&ep)).await {
            tracing::debug!(service = %name, error = %e, "endpoints");
        }
        let mut slice_labels: BTreeMap<String, String> = labels;
        slice_labels.insert("kubernetes.io/service-name".into(), name.clone());
        slice_labels.insert(
            "endpointslice.kubernetes.io/managed-by".into(),
            SLICE_MANAGER.into(),
        );
        let slice = json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": slice_name, "namespace": ns, "labels": slice_labels,
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name,
                                              "uid": svc.uid(), "controller": true, "blockOwnerDeletion": true}]},
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        });
        let pp = PatchParams::apply(SLICE_MANAGER).force();
        if let Err(e) = slices.patch(&slice_name, &pp, &Patch::Apply(&slice)).await {
            tracing::debug!(service = %name, error = %e, "endpointslice");
        }
    }
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut services = watch_channel(Api::<Service>::all(client.clone()));
    let mut pods = watch_channel(Api::<Pod>::all(client.clone()));
    let mut c = Controller {
        client,
        services: Store::default(),
        pods: Store::default(),
    };
    loop {
        let mut dirty: BTreeMap<Key, bool> = BTreeMap::new();
        let mut pod_changes: Vec<Pod> = Vec::new();
        tokio::select! {
            Some(ev) = services.recv() => {
                if let Change::Touched(objs) = c.services.apply(ev) {
                    for (s, gone) in objs {
                        dirty.insert(key_of(&s), gone);
                    }
                }
            }
            Some(ev) = pods.recv() => {
                if let Change::Touched(objs) = c.pods.apply(ev) {
                    pod_changes.extend(objs.into_iter().map(|(p, _)| p));
                }
            }
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = pods.try_recv() {
            if let Change::Touched(objs) = c.pods.apply(ev) {
                pod_changes.extend(objs.into_iter().map(|(p, _)| p));
            }
        }
        let mut from_pods: BTreeSet<Key> = BTreeSet::new();
        for p in &pod_changes {
            from_pods.extend(c.services_of(p));
        }
        for k in from_pods {
            dirty.entry(k).or_insert(false);
        }
        for (key, gone) in dirty {
            // The apiserver owns the `kubernetes` service's endpoints.
            if key.0 == "default" && key.1 == "kubernetes" {
                continue;
            }
            c.reconcile(&key, gone).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_and_not_ready_with_named_ports() {
        let svc: Service = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "web"}]},
        }))
        .unwrap();
        let pod = |name: &str, ip: &str, ready: bool| -> Pod {
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "ns", "uid": name, "labels": {"app": "web"}},
                "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": [{"name": "web", "containerPort": 8080}]}]},
                "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]},
            }))
            .unwrap()
        };
        let (a, b) = (pod("a", "10.0.0.1", true), pod("b", "10.0.0.2", false));
        let (subsets, slice, ports) = endpoints_for(&svc, &[&a, &b]);
        assert_eq!(subsets[0]["addresses"][0]["ip"], "10.0.0.1");
        assert_eq!(subsets[0]["notReadyAddresses"][0]["ip"], "10.0.0.2");
        assert_eq!(
            subsets[0]["ports"],
            json!([{"port": 8080, "protocol": "TCP", "name": "http"}])
        );
        assert_eq!(slice.as_array().map(Vec::len), Some(2));
        assert_eq!(ports[0]["port"], 8080);
    }
}

//! Services: the host Service is created first, while the virtual API server is
//! still answering the tenant's create, so the virtual Service is stored with the
//! host's ClusterIP and node ports ([`HostServiceAddresses`], the API server's
//! `HostServices`); afterwards the sync loop keeps the host Service's spec following
//! the virtual one ([`host_spec_update`]) and brings node ports and load-balancer
//! status back.

use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, PostParams};
use kube::Client;
use serde_json::{json, Value};
use vnest_api::status::ApiError;
use vnest_apiserver::allocation::HostServices;

use crate::names::{self, HostName};
use crate::translate::{self, Context};

/// The host side of Service address allocation for one virtual cluster.
pub struct HostServiceAddresses {
    pub host: Client,
    pub host_namespace: String,
    pub vcluster: String,
    /// The owner reference of every host object (see [`crate::sync::SyncerConfig`]).
    pub owner: Option<Value>,
}

/// Whether a virtual Service is synced (the virtual cluster's own `kubernetes`
/// Service is not: pods reach the API server through a host alias).
pub fn is_synced(namespace: &str, name: &str) -> bool {
    !(namespace == "default" && name == "kubernetes")
}

/// The virtual cluster's DNS Service (vnest-dns keeps it).
pub const CLUSTER_DNS: (&str, &str) = ("kube-system", "kube-dns");

/// The nameserver of synced pods with dnsPolicy ClusterFirst: the ClusterIP of the
/// virtual `kube-system/kube-dns` (a host address under the syncer), once it has one.
pub fn cluster_dns_ip(kube_dns: Option<&Service>) -> Option<String> {
    let ip = kube_dns?.spec.as_ref()?.cluster_ip.as_deref()?;
    (!ip.is_empty() && ip != "None").then(|| ip.to_string())
}

fn host_error(e: kube::Error) -> ApiError {
    match e {
        kube::Error::Api(s) if s.code == 422 || s.code == 403 => ApiError::new(
            s.code,
            if s.code == 422 {
                "Invalid"
            } else {
                "Forbidden"
            },
            format!("the host cluster refused the service: {}", s.message),
        ),
        other => ApiError::internal(format!("creating the host service: {other}")),
    }
}

#[async_trait::async_trait]
impl HostServices for HostServiceAddresses {
    async fn reserve(&self, svc: &Value) -> Result<Value, ApiError> {
        let ctx = Context {
            vcluster: self.vcluster.clone(),
            host_namespace: self.host_namespace.clone(),
            owner: self.owner.clone(),
            ..Default::default()
        };
        let host =
            translate::service_to_host(svc, &ctx).map_err(|e| ApiError::internal(e.to_string()))?;
        let service: Service =
            serde_json::from_value(host).map_err(|e| ApiError::internal(e.to_string()))?;
        let api: Api<Service> = Api::namespaced(self.host.clone(), &self.host_namespace);
        match api.create(&PostParams::default(), &service).await {
            Ok(created) => Ok(serde_json::to_value(&created.spec).unwrap_or(Value::Null)),
            Err(kube::Error::Api(s)) if s.code == 409 => {
                // Left from an earlier virtual Service of the same name (a restart, a
                // delete the syncer has not finished): ours to take over; anyone
                // else's is a conflict.
                let name = service.metadata.name.clone().unwrap_or_default();
                let existing = api.get(&name).await.map_err(host_error)?;
                let value = serde_json::to_value(&existing).unwrap_or(Value::Null);
                if !names::is_managed_by(&value, &self.vcluster) {
                    return Err(ApiError::new(
                        409,
                        "AlreadyExists",
                        format!("the host namespace already has a service {name:?} that this virtual cluster does not manage"),
                    ));
                }
                let patch = json!({"metadata": {"annotations": {
                    names::OBJECT_UID: svc.pointer("/metadata/uid").cloned().unwrap_or(Value::Null)}}});
                let adopted = api
                    .patch(&name, &Default::default(), &kube::api::Patch::Merge(&patch))
                    .await
                    .map_err(host_error)?;
                Ok(serde_json::to_value(&adopted.spec).unwrap_or(Value::Null))
            }
            Err(e) => Err(host_error(e)),
        }
    }
}

/// The host Service's spec brought to the virtual Service's, keeping what the host
/// allocated (ClusterIPs, node ports); `None` when nothing differs.
pub fn host_spec_update(host: &Value, virtual_svc: &Value, ctx: &Context) -> Option<Value> {
    let wanted = translate::service_to_host(virtual_svc, ctx).ok()?;
    let mut spec = wanted.get("spec").cloned().unwrap_or_else(|| json!({}));
    let current = host.get("spec").cloned().unwrap_or_else(|| json!({}));
    for keep in [
        "clusterIP",
        "clusterIPs",
        "ipFamilies",
        "ipFamilyPolicy",
        "healthCheckNodePort",
    ] {
        match current.get(keep) {
            Some(v) => spec[keep] = v.clone(),
            None => {
                if let Some(o) = spec.as_object_mut() {
                    o.remove(keep);
                }
            }
        }
    }
    let host_ports = current
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for (p, h) in ports.iter_mut().zip(host_ports.iter()) {
            if let Some(np) = h.get("nodePort") {
                p["nodePort"] = np.clone();
            }
        }
    }
    // Compare only what the tenant controls (the host's defaults fill in the rest).
    let fields = [
        "selector",
        "ports",
        "type",
        "externalName",
        "sessionAffinity",
        "publishNotReadyAddresses",
    ];
    let differs = fields.iter().any(|f| {
        let w = spec.get(*f);
        let c = current.get(*f);
        match (w, c) {
            (Some(w), Some(c)) if *f == "ports" => !ports_match(w, c),
            (Some(w), Some(c)) => w != c,
            (None, None) => false,
            (Some(Value::Null), None) | (None, Some(Value::Null)) => false,
            (Some(_), None) => true,
            (None, Some(_)) => {
                !matches!(*f, "sessionAffinity" | "type" | "publishNotReadyAddresses")
            }
        }
    });
    if !differs {
        return None;
    }
    let mut next = host.clone();
    for f in fields {
        match spec.get(f) {
            Some(v) => next["spec"][f] = v.clone(),
            None => {
                if let Some(o) = next.get_mut("spec").and_then(Value::as_object_mut) {
                    o.remove(f);
                }
            }
        }
    }
    Some(next)
}

/// Ports equal in what the tenant wrote (port, targetPort, protocol, name, nodePort
/// when given).
fn ports_match(wanted: &Value, current: &Value) -> bool {
    let (Some(w), Some(c)) = (wanted.as_array(), current.as_array()) else {
        return wanted == current;
    };
    w.len() == c.len()
        && w.iter().zip(c).all(|(w, c)| {
            ["port", "name", "nodePort", "targetPort", "protocol"]
                .iter()
                .all(|k| match w.get(*k) {
                    None => true,
                    Some(v) => c.get(*k) == Some(v) || (*k == "targetPort" && c.get(*k).is_none()),
                })
        })
}

/// The host name of a virtual Service.
pub fn host_name(namespace: &str, name: &str, vcluster: &str) -> String {
    HostName::for_object(name, namespace, vcluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            vcluster: "a".into(),
            host_namespace: "h".into(),
            ..Default::default()
        }
    }

    #[test]
    fn synced_pods_use_the_cluster_ip_of_kube_dns_once_it_has_one() {
        let kube_dns = |ip: Option<&str>| -> Service {
            serde_json::from_value(json!({
                "metadata": {"name": CLUSTER_DNS.1, "namespace": CLUSTER_DNS.0},
                "spec": {"clusterIP": ip, "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}]},
            }))
            .expect("service")
        };
        assert_eq!(cluster_dns_ip(None), None);
        assert_eq!(cluster_dns_ip(Some(&kube_dns(None))), None);
        assert_eq!(cluster_dns_ip(Some(&kube_dns(Some("None")))), None);
        let svc = kube_dns(Some("10.43.0.10"));
        let ctx = Context {
            dns_ip: cluster_dns_ip(Some(&svc)),
            ..ctx()
        };
        let pod = json!({"metadata": {"name": "p", "namespace": "ns1", "uid": "u"},
            "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let host = translate::pod_to_host(&pod, &ctx).expect("translate");
        assert_eq!(host["spec"]["dnsPolicy"], "None");
        assert_eq!(
            host["spec"]["dnsConfig"]["nameservers"],
            json!(["10.43.0.10"])
        );
        assert_eq!(
            host["spec"]["dnsConfig"]["searches"][0],
            "ns1.svc.cluster.local"
        );
    }

    #[test]
    fn a_changed_selector_or_port_updates_the_host_but_keeps_its_addresses() {
        let virtual_svc = json!({"metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"app": "web2"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "type": "ClusterIP", "clusterIP": "10.96.0.9"}});
        let host = json!({"metadata": {"name": "web-x-default-x-a"},
            "spec": {"selector": {"app": "web", "vnest.io/managed-by": "a", "vnest.io/namespace": "default"},
                     "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "type": "ClusterIP",
                     "clusterIP": "10.96.0.9", "clusterIPs": ["10.96.0.9"], "sessionAffinity": "None"}});
        let next = host_spec_update(&host, &virtual_svc, &ctx()).expect("the selector changed");
        assert_eq!(next["spec"]["selector"]["app"], "web2");
        assert_eq!(next["spec"]["clusterIP"], "10.96.0.9");
        let mut same = virtual_svc.clone();
        same["spec"]["selector"]["app"] = json!("web");
        assert_eq!(
            host_spec_update(&host, &same, &ctx()),
            None,
            "nothing to do"
        );
    }

    #[test]
    fn the_api_servers_own_service_is_not_synced() {
        assert!(!is_synced("default", "kubernetes"));
        assert!(is_synced("other", "kubernetes"));
        assert!(is_synced("default", "web"));
    }
}

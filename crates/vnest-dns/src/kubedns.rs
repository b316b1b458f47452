//! The `kube-system/kube-dns` Service of the virtual cluster: no selector, ports
//! `dns` 53/UDP and `dns-tcp` 53/TCP to the DNS server's port, and hand-written
//! Endpoints at the address pods reach the server at. Under a syncer the Service gets
//! a host ClusterIP and its Endpoints cross to the host like any selector-less
//! Service's, and that ClusterIP becomes the nameserver of synced pods.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::Client;

pub const NAMESPACE: &str = "kube-system";
pub const NAME: &str = "kube-dns";
const MANAGER: &str = "vnest-dns";

fn labels() -> std::collections::BTreeMap<String, String> {
    [("k8s-app", "kube-dns"), ("kubernetes.io/name", "vnest-dns")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn meta() -> ObjectMeta {
    ObjectMeta {
        name: Some(NAME.into()),
        namespace: Some(NAMESPACE.into()),
        labels: Some(labels()),
        ..Default::default()
    }
}

fn service_ports(port: u16) -> Vec<ServicePort> {
    [("dns", "UDP"), ("dns-tcp", "TCP")]
        .into_iter()
        .map(|(name, protocol)| ServicePort {
            name: Some(name.into()),
            port: 53,
            protocol: Some(protocol.into()),
            target_port: Some(IntOrString::Int(i32::from(port))),
            ..Default::default()
        })
        .collect()
}

fn ports(port: u16) -> serde_json::Value {
    serde_json::to_value(service_ports(port)).unwrap_or_default()
}

/// The Service, for a server listening on `port`.
pub fn service(port: u16) -> Service {
    Service {
        metadata: meta(),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            ports: Some(service_ports(port)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The Endpoints: the server at `ip:port`.
pub fn endpoints(ip: IpAddr, port: u16) -> Endpoints {
    let ports = [("dns", "UDP"), ("dns-tcp", "TCP")]
        .into_iter()
        .map(|(name, protocol)| EndpointPort {
            name: Some(name.into()),
            port: i32::from(port),
            protocol: Some(protocol.into()),
            ..Default::default()
        })
        .collect();
    Endpoints {
        metadata: meta(),
        subsets: Some(vec![EndpointSubset {
            addresses: Some(vec![EndpointAddress {
                ip: ip.to_string(),
                ..Default::default()
            }]),
            ports: Some(ports),
            ..Default::default()
        }]),
    }
}

/// The merge patch that points an existing Service at `port`, if it needs one.
pub fn service_patch(current: &Service, port: u16) -> Option<serde_json::Value> {
    let want = service(port);
    let strip = |s: &Service| {
        s.spec
            .as_ref()
            .and_then(|s| s.ports.clone())
            .map(|mut ports| {
                for p in &mut ports {
                    p.node_port = None;
                    p.app_protocol = None;
                }
                ports
            })
    };
    let labels_ok = want
        .metadata
        .labels
        .iter()
        .flatten()
        .all(|(k, v)| current.metadata.labels.as_ref().and_then(|l| l.get(k)) == Some(v));
    let selector_free = current
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_none_or(|s| s.is_empty());
    if strip(current) == strip(&want) && labels_ok && selector_free {
        return None;
    }
    Some(serde_json::json!({
        "metadata": {"labels": want.metadata.labels},
        "spec": {"ports": ports(port), "selector": null},
    }))
}

/// Creates or updates the Service and (with an address) its Endpoints.
pub async fn ensure(
    client: &Client,
    port: u16,
    advertise: Option<IpAddr>,
) -> Result<(), kube::Error> {
    let services: Api<Service> = Api::namespaced(client.clone(), NAMESPACE);
    let post = PostParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    };
    match services.get_opt(NAME).await? {
        None => {
            services.create(&post, &service(port)).await?;
        }
        Some(current) => {
            if let Some(patch) = service_patch(&current, port) {
                let params = PatchParams {
                    field_manager: Some(MANAGER.into()),
                    ..Default::default()
                };
                services.patch(NAME, &params, &Patch::Merge(&patch)).await?;
            }
        }
    }
    let Some(ip) = advertise else {
        return Ok(());
    };
    let api: Api<Endpoints> = Api::namespaced(client.clone(), NAMESPACE);
    let mut want = endpoints(ip, port);
    match api.get_opt(NAME).await? {
        None => {
            api.create(&post, &want).await?;
        }
        Some(current) if current.subsets != want.subsets => {
            want.metadata.resource_version = current.metadata.resource_version;
            api.replace(NAME, &post, &want).await?;
        }
        Some(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_has_kube_dns_labels_and_ports_and_no_selector() {
        let s = serde_json::to_value(service(1053)).expect("json");
        assert_eq!(s["metadata"]["labels"]["k8s-app"], "kube-dns");
        assert_eq!(s["metadata"]["labels"]["kubernetes.io/name"], "vnest-dns");
        assert_eq!(s["spec"]["ports"][0]["name"], "dns");
        assert_eq!(s["spec"]["ports"][0]["protocol"], "UDP");
        assert_eq!(s["spec"]["ports"][0]["port"], 53);
        assert_eq!(s["spec"]["ports"][0]["targetPort"], 1053);
        assert_eq!(s["spec"]["ports"][1]["name"], "dns-tcp");
        assert_eq!(s["spec"]["ports"][1]["protocol"], "TCP");
        assert!(s["spec"].get("selector").is_none());
        let e =
            serde_json::to_value(endpoints("10.0.0.5".parse().expect("ip"), 1053)).expect("json");
        assert_eq!(e["subsets"][0]["addresses"][0]["ip"], "10.0.0.5");
        assert_eq!(e["subsets"][0]["ports"][1]["port"], 1053);
    }

    #[test]
    fn an_existing_service_is_patched_only_when_it_points_elsewhere() {
        let mut current = service(1053);
        // Fields the API server or the host fill in do not count.
        if let Some(spec) = current.spec.as_mut() {
            spec.cluster_ip = Some("10.96.0.10".into());
            for p in spec.ports.iter_mut().flatten() {
                p.node_port = Some(30053);
            }
        }
        assert_eq!(service_patch(&current, 1053), None);
        let patch = service_patch(&current, 2053).expect("a new port");
        assert_eq!(patch["spec"]["ports"][0]["targetPort"], 2053);
    }
}

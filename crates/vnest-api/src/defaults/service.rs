//! core/v1 Service.

use serde_json::{json, Map, Value};

use super::{child, default_str, default_value, existing, is_blank, is_unset, items_mut, str_of};
use super::{list_is_empty, map_is_empty, DefaultsError};

/// An IP family of the cluster's service CIDRs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// `IPv4`
    IPv4,
    /// `IPv6`
    IPv6,
}

impl IpFamily {
    /// The API spelling (`IPv4` / `IPv6`).
    pub fn as_str(self) -> &'static str {
        match self {
            IpFamily::IPv4 => "IPv4",
            IpFamily::IPv6 => "IPv6",
        }
    }

    fn other(self) -> IpFamily {
        match self {
            IpFamily::IPv4 => IpFamily::IPv6,
            IpFamily::IPv6 => IpFamily::IPv4,
        }
    }

    fn parse(s: &str) -> Option<IpFamily> {
        match s {
            "IPv4" => Some(IpFamily::IPv4),
            "IPv6" => Some(IpFamily::IPv6),
            _ => None,
        }
    }

    fn of_ip(ip: &str) -> IpFamily {
        if ip.contains(':') {
            IpFamily::IPv6
        } else {
            IpFamily::IPv4
        }
    }
}

/// `SetDefaults_Service`, plus the `clusterIP`/`clusterIPs` normalisation of
/// the service REST storage and the always-written `status.loadBalancer`.
pub(super) fn default_service(root: &mut Map<String, Value>) {
    if let Some(spec) = child(root, "spec") {
        default_str(spec, "sessionAffinity", "None");
        match str_of(spec, "sessionAffinity") {
            "None" => {
                spec.remove("sessionAffinityConfig");
            }
            "ClientIP" => {
                let has_timeout = spec
                    .get("sessionAffinityConfig")
                    .and_then(|c| c.get("clientIP"))
                    .and_then(|c| c.get("timeoutSeconds"))
                    .is_some_and(|t| !t.is_null());
                if !has_timeout {
                    spec.insert(
                        "sessionAffinityConfig".into(),
                        json!({"clientIP": {"timeoutSeconds": 10800}}),
                    );
                }
            }
            _ => {}
        }
        default_str(spec, "type", "ClusterIP");
        for port in items_mut(spec, "ports") {
            default_str(port, "protocol", "TCP");
            let unset_target = match port.get("targetPort") {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(Value::Number(n)) => n.as_f64() == Some(0.0),
                _ => false,
            };
            if unset_target {
                if let Some(p) = port.get("port").cloned() {
                    port.insert("targetPort".into(), p);
                }
            }
        }
        let service_type = str_of(spec, "type").to_string();
        let externally_accessible = service_type == "LoadBalancer"
            || service_type == "NodePort"
            || (service_type == "ClusterIP" && !list_is_empty(spec, "externalIPs"));
        if externally_accessible {
            default_str(spec, "externalTrafficPolicy", "Cluster");
        }
        if matches!(
            service_type.as_str(),
            "ClusterIP" | "NodePort" | "LoadBalancer"
        ) {
            default_value(spec, "internalTrafficPolicy", json!("Cluster"));
        }
        if service_type == "LoadBalancer" {
            default_value(spec, "allocateLoadBalancerNodePorts", json!(true));
        }
        if service_type != "ExternalName" {
            normalize_cluster_ips(spec);
        }
        let lb = service_type == "LoadBalancer";
        if let Some(status) = child(root, "status") {
            if let Some(balancer) = child(status, "loadBalancer") {
                if lb {
                    for ingress in items_mut(balancer, "ingress") {
                        if !is_blank(ingress.get("ip")) {
                            default_value(ingress, "ipMode", json!("VIP"));
                        }
                    }
                }
            }
        }
    } else if let Some(status) = child(root, "status") {
        child(status, "loadBalancer");
    }
}

/// `clusterIPs[0]` and `clusterIP` always agree after create.
fn normalize_cluster_ips(spec: &mut Map<String, Value>) {
    let ip = str_of(spec, "clusterIP").to_string();
    if list_is_empty(spec, "clusterIPs") {
        if !ip.is_empty() {
            spec.insert("clusterIPs".into(), json!([ip]));
        }
    } else if ip.is_empty() {
        let first = spec
            .get("clusterIPs")
            .and_then(|l| l.get(0))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(first) = first {
            spec.insert("clusterIP".into(), json!(first));
        }
    }
}

/// Fills `spec.ipFamilyPolicy` and `spec.ipFamilies` of a Service the way
/// kube-apiserver does while allocating its cluster IPs.
/// `cluster_families` lists the families of the service CIDRs, primary
/// first (`[IPv4]` for a single-stack IPv4 cluster).
///
/// ExternalName services are left alone. Headless services without a
/// selector default to `RequireDualStack` with both families, whatever the
/// cluster has. Errors are the ones kube reports for impossible requests.
/// Call after [`super::apply_defaults`], before allocating the IPs.
pub fn default_service_ip_families(
    svc: &mut Value,
    cluster_families: &[IpFamily],
) -> Result<(), DefaultsError> {
    let primary = *cluster_families
        .first()
        .ok_or(DefaultsError::NoClusterFamilies)?;
    let dual_stack_cluster = cluster_families.iter().any(|f| *f != primary);
    let Some(spec) = svc.as_object_mut().and_then(|root| existing(root, "spec")) else {
        return Ok(());
    };
    if str_of(spec, "type") == "ExternalName" {
        return Ok(());
    }
    let headless = str_of(spec, "clusterIP") == "None";
    let selectorless = map_is_empty(spec, "selector");
    let cluster_ips: Vec<String> = spec
        .get("clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|ip| !ip.is_empty() && *ip != "None")
        .map(str::to_string)
        .collect();

    let mut families = Vec::new();
    for (index, v) in spec
        .get("ipFamilies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let s = v.as_str().unwrap_or("");
        let family = IpFamily::parse(s).ok_or_else(|| DefaultsError::UnknownFamily {
            index,
            value: s.to_string(),
        })?;
        families.push(family);
    }

    if is_unset(spec.get("ipFamilyPolicy")) {
        let policy = if families.len() > 1 || cluster_ips.len() > 1 || (headless && selectorless) {
            "RequireDualStack"
        } else {
            "SingleStack"
        };
        spec.insert("ipFamilyPolicy".into(), json!(policy));
    }
    let policy = str_of(spec, "ipFamilyPolicy").to_string();

    if families.is_empty() {
        families.extend(cluster_ips.iter().map(|ip| IpFamily::of_ip(ip)));
    }

    if headless && selectorless {
        // Headless services without a selector may carry any family.
        if families.is_empty() {
            families.push(primary);
        }
        if policy != "SingleStack" && families.len() < 2 {
            families.push(families[0].other());
        }
    } else {
        if policy == "RequireDualStack" && !dual_stack_cluster {
            return Err(DefaultsError::DualStackNotConfigured);
        }
        for (index, family) in families.iter().enumerate() {
            if !cluster_families.contains(family) {
                return Err(DefaultsError::FamilyNotConfigured {
                    index,
                    family: family.as_str().to_string(),
                });
            }
        }
        if families.is_empty() {
            families.push(primary);
        }
        if policy != "SingleStack" && dual_stack_cluster && families.len() < 2 {
            families.push(families[0].other());
        }
    }
    let list: Vec<Value> = families.iter().map(|f| json!(f.as_str())).collect();
    spec.insert("ipFamilies".into(), Value::Array(list));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaulted(spec: Value) -> Value {
        let mut svc = json!({"kind": "Service", "spec": spec});
        if let Some(root) = svc.as_object_mut() {
            default_service(root);
        }
        svc
    }

    #[test]
    fn ports_and_policies() {
        let svc = defaulted(
            json!({"type": "LoadBalancer", "ports": [{"port": 443, "targetPort": "https"}, {"port": 80}]}),
        );
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], "https");
        assert_eq!(svc["spec"]["ports"][1]["targetPort"], 80);
        assert_eq!(svc["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(svc["spec"]["allocateLoadBalancerNodePorts"], true);
        assert_eq!(svc["status"], json!({"loadBalancer": {}}));
        let svc = defaulted(json!({"sessionAffinity": "ClientIP"}));
        assert_eq!(
            svc["spec"]["sessionAffinityConfig"],
            json!({"clientIP": {"timeoutSeconds": 10800}})
        );
        let svc = defaulted(json!({"externalIPs": ["1.2.3.4"]}));
        assert_eq!(svc["spec"]["externalTrafficPolicy"], "Cluster");
        let svc = defaulted(json!({"type": "ExternalName", "externalName": "x"}));
        assert!(svc["spec"].get("internalTrafficPolicy").is_none());
    }

    #[test]
    fn ip_families() {
        let mut svc = defaulted(json!({"ports": [{"port": 80}]}));
        assert!(default_service_ip_families(&mut svc, &[IpFamily::IPv4]).is_ok());
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(svc["spec"]["ipFamilyPolicy"], "SingleStack");

        let mut svc = defaulted(json!({"ipFamilyPolicy": "PreferDualStack"}));
        assert!(default_service_ip_families(&mut svc, &[IpFamily::IPv6, IpFamily::IPv4]).is_ok());
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv6", "IPv4"]));

        let mut svc = defaulted(json!({"ipFamilyPolicy": "RequireDualStack"}));
        assert_eq!(
            default_service_ip_families(&mut svc, &[IpFamily::IPv4]),
            Err(DefaultsError::DualStackNotConfigured)
        );

        let mut svc = defaulted(json!({"clusterIP": "None", "selector": {"a": "b"}}));
        assert!(default_service_ip_families(&mut svc, &[IpFamily::IPv4]).is_ok());
        assert_eq!(svc["spec"]["ipFamilyPolicy"], "SingleStack");

        let mut svc = defaulted(json!({"ipFamilies": ["IPv6"]}));
        assert!(matches!(
            default_service_ip_families(&mut svc, &[IpFamily::IPv4]),
            Err(DefaultsError::FamilyNotConfigured { index: 0, .. })
        ));

        let mut svc = defaulted(json!({"clusterIP": "fd00::10"}));
        assert!(default_service_ip_families(&mut svc, &[IpFamily::IPv4, IpFamily::IPv6]).is_ok());
        assert_eq!(svc["spec"]["ipFamilies"], json!(["IPv6"]));
        assert_eq!(svc["spec"]["clusterIPs"], json!(["fd00::10"]));
    }
}

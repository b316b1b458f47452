//! Server-side apply of rendered objects to the host, and deleting a release.

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::Client;
use serde_json::Value;

/// The field manager `vnest create` applies with.
pub const FIELD_MANAGER: &str = "vnest";

/// The kinds the chart renders, in the order they are applied: identity and
/// permissions first, then the namespace's defaults and network rules, the workload,
/// and the ResourceQuota last: until the host's quota controller has computed a new
/// quota's usage, kube refuses every create the quota covers ("status unknown for
/// quota"), which would hold up the Service.
const KINDS: &[(&str, &str, &str)] = &[
    // (apiVersion, kind, plural)
    ("v1", "ServiceAccount", "serviceaccounts"),
    ("rbac.authorization.k8s.io/v1", "Role", "roles"),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        "rolebindings",
    ),
    ("v1", "LimitRange", "limitranges"),
    ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
    ("v1", "Secret", "secrets"),
    ("v1", "ConfigMap", "configmaps"),
    ("v1", "Service", "services"),
    ("apps/v1", "StatefulSet", "statefulsets"),
    ("v1", "ResourceQuota", "resourcequotas"),
];

/// How long a create refused for a quota whose usage is not computed yet is retried.
const QUOTA_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// kube's refusal while a ResourceQuota's usage is unknown (a fresh quota).
fn is_quota_pending(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 403 && s.message.contains("status unknown for quota"))
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("object {index}: {message}")]
    Invalid { index: usize, message: String },
    #[error("{kind} {name} is not a kind vnest applies")]
    UnknownKind { kind: String, name: String },
    #[error("applying {kind} {namespace}/{name}: {source}")]
    Apply {
        kind: String,
        namespace: String,
        name: String,
        source: kube::Error,
    },
    #[error("deleting {what}: {source}")]
    Delete { what: String, source: kube::Error },
}

fn api_resource(api_version: &str, kind: &str) -> Option<(usize, ApiResource)> {
    let rank = KINDS
        .iter()
        .position(|(v, k, _)| *v == api_version && *k == kind)?;
    let (_, _, plural) = KINDS[rank];
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    Some((rank, ApiResource::from_gvk_with_plural(&gvk, plural)))
}

/// Applies `objects` (as [`crate::render`] returns them) with server-side apply,
/// forcing conflicts, as `field_manager`; ServiceAccount, Role and RoleBinding go before
/// the Service and the StatefulSet. Returns the objects as the server stored them, in
/// apply order. Applying the same objects again changes nothing.
pub async fn apply(
    client: &Client,
    objects: &[Value],
    field_manager: &str,
) -> Result<Vec<DynamicObject>, ApplyError> {
    let mut plan = Vec::with_capacity(objects.len());
    for (index, obj) in objects.iter().enumerate() {
        let field = |p: &str| obj.pointer(p).and_then(Value::as_str);
        let invalid = |m: &str| ApplyError::Invalid {
            index,
            message: m.to_string(),
        };
        let api_version = field("/apiVersion").ok_or_else(|| invalid("no apiVersion"))?;
        let kind = field("/kind").ok_or_else(|| invalid("no kind"))?;
        let name = field("/metadata/name").ok_or_else(|| invalid("no metadata.name"))?;
        let namespace = field("/metadata/namespace").ok_or_else(|| {
            invalid("no metadata.namespace (vnest applies only namespaced objects)")
        })?;
        let (rank, ar) =
            api_resource(api_version, kind).ok_or_else(|| ApplyError::UnknownKind {
                kind: kind.to_string(),
                name: name.to_string(),
            })?;
        plan.push((rank, index, ar, namespace, name, kind, obj));
    }
    // Stable: the chart's order within one kind.
    plan.sort_by_key(|p| (p.0, p.1));
    let params = PatchParams::apply(field_manager).force();
    let mut applied = Vec::with_capacity(plan.len());
    for (_, _, ar, namespace, name, kind, obj) in plan {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
        let deadline = std::time::Instant::now() + QUOTA_WAIT;
        let stored = loop {
            match api.patch(name, &params, &Patch::Apply(obj)).await {
                Ok(stored) => break stored,
                Err(e) if is_quota_pending(&e) && std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(source) => {
                    return Err(ApplyError::Apply {
                        kind: kind.to_string(),
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                        source,
                    })
                }
            }
        };
        tracing::debug!(%kind, %namespace, %name, "applied");
        applied.push(stored);
    }
    Ok(applied)
}

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

async fn delete_one(api: &Api<DynamicObject>, kind: &str, name: &str) -> Result<(), ApplyError> {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(source) => Err(ApplyError::Delete {
            what: format!("{kind} {name}"),
            source,
        }),
    }
}

fn resource(api_version: &str, kind: &str, plural: &str) -> ApiResource {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Deletes the virtual cluster `release` from `namespace`: every object the chart can
/// render (whatever the values were), the StatefulSet's claims (`data-<release>-N`),
/// the kubeconfig Secret `vc-<release>`, and the host objects its syncer made (label
/// `vnest.io/managed-by=<release>`). The reverse of the apply order: the StatefulSet
/// goes first, so its pod stops syncing. Objects already gone are fine, so deleting
/// twice succeeds. Returns once the deletes are accepted, not when pods have ended.
pub async fn delete(client: &Client, namespace: &str, release: &str) -> Result<(), ApplyError> {
    let vc = crate::kubeconfig::secret_name(release);
    let named: Vec<(&str, String)> = vec![
        ("StatefulSet", release.to_string()),
        ("Service", release.to_string()),
        ("NetworkPolicy", format!("{vc}-workloads")),
        ("NetworkPolicy", format!("{vc}-control-plane")),
        ("LimitRange", vc.clone()),
        ("ResourceQuota", vc.clone()),
        ("Secret", vc.clone()),
        ("RoleBinding", vc.clone()),
        ("Role", vc.clone()),
        ("ServiceAccount", vc.clone()),
    ];
    for (kind, name) in &named {
        let Some(&(api_version, _, plural)) = KINDS.iter().find(|(_, k, _)| k == kind) else {
            continue;
        };
        let api = Api::namespaced_with(
            client.clone(),
            namespace,
            &resource(api_version, kind, plural),
        );
        delete_one(&api, kind, name).await?;
    }

    // The StatefulSet's claims: named after the claim template and the pod.
    let claims = resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims");
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &claims);
    let selector = format!("app.kubernetes.io/name=vnest,vnest.io/vcluster={release}");
    let prefix = format!("data-{release}-");
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|source| ApplyError::Delete {
            what: format!("claims of {release} (list)"),
            source,
        })?;
    for claim in list.items {
        let name = claim.metadata.name.unwrap_or_default();
        let ordinal = name.strip_prefix(&prefix).unwrap_or("");
        if !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit()) {
            delete_one(&api, "PersistentVolumeClaim", &name).await?;
        }
    }

    // What the syncer created for the virtual cluster's objects.
    let selector = format!("vnest.io/managed-by={release}");
    for (api_version, kind, plural) in [
        ("v1", "Pod", "pods"),
        ("v1", "Service", "services"),
        ("v1", "Endpoints", "endpoints"),
        ("v1", "ConfigMap", "configmaps"),
        ("v1", "Secret", "secrets"),
        ("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ] {
        let api: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            namespace,
            &resource(api_version, kind, plural),
        );
        let list = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|source| ApplyError::Delete {
                what: format!("{kind} of {release} (list)"),
                source,
            })?;
        for obj in list.items {
            if let Some(name) = obj.metadata.name {
                delete_one(&api, kind, &name).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{render, Release, Values};

    #[test]
    fn every_rendered_kind_is_known_and_identity_goes_first() {
        let v = crate::values_from(None, &["isolation.enabled=true"]).expect("values");
        let objects = render(&Release::new("demo", "ns"), &v).expect("render");
        let mut ranks = Vec::new();
        for o in &objects {
            let (rank, ar) = api_resource(
                o["apiVersion"].as_str().unwrap_or(""),
                o["kind"].as_str().unwrap_or(""),
            )
            .unwrap_or_else(|| panic!("unknown kind in {o}"));
            assert!(!ar.plural.is_empty());
            ranks.push((rank, o["kind"].as_str().unwrap_or("").to_string()));
        }
        ranks.sort();
        let order: Vec<&str> = ranks.iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(&order[..3], ["ServiceAccount", "Role", "RoleBinding"]);
        assert_eq!(order.last(), Some(&"ResourceQuota"));
        let position = |kind: &str| order.iter().position(|k| *k == kind);
        assert!(position("StatefulSet") > position("Service"));
        let _ = Values::default();
    }

    #[test]
    fn api_resources_have_group_and_version() {
        let (_, ar) = api_resource("rbac.authorization.k8s.io/v1", "Role").expect("role");
        assert_eq!(
            (ar.group.as_str(), ar.version.as_str()),
            ("rbac.authorization.k8s.io", "v1")
        );
        let (_, ar) = api_resource("v1", "Service").expect("service");
        assert_eq!(
            (ar.group.as_str(), ar.version.as_str(), ar.plural.as_str()),
            ("", "v1", "services")
        );
        assert!(api_resource("v1", "Namespace").is_none());
    }
}

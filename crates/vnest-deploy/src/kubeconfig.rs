//! The `vc-<name>` Secret: the virtual cluster's admin kubeconfig, which the control
//! plane writes into its host namespace when it runs in a pod, so `vnest connect` (or
//! anyone with read access to the namespace's secrets) can reach the virtual cluster
//! through a port-forward.

use base64::Engine;
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::{json, Value};

/// The Secret's key that holds the kubeconfig.
pub const KUBECONFIG_KEY: &str = "config";

/// The server URL in the Secret's kubeconfig: a port-forward to the Service's 443 or
/// the pod's 8443 (`kubectl port-forward svc/NAME 8443:443`) makes it reachable, and the
/// serving certificate always names localhost.
pub const LOCAL_SERVER: &str = "https://localhost:8443";

/// The field manager the control plane writes the Secret with.
pub const SECRET_FIELD_MANAGER: &str = "vnest-control-plane";

/// The Secret's name for virtual cluster `vcluster`.
pub fn secret_name(vcluster: &str) -> String {
    format!("vc-{vcluster}")
}

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error("the admin kubeconfig is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("the admin kubeconfig has no clusters")]
    NoClusters,
    #[error("writing Secret {namespace}/{name}: {source}")]
    Write {
        namespace: String,
        name: String,
        source: kube::Error,
    },
}

/// `kubeconfig` (YAML) with every cluster's server set to `server`.
pub fn with_server(kubeconfig: &str, server: &str) -> Result<String, KubeconfigError> {
    let mut doc: Value = serde_yaml_ng::from_str(kubeconfig)?;
    let clusters = doc
        .get_mut("clusters")
        .and_then(Value::as_array_mut)
        .filter(|c| !c.is_empty())
        .ok_or(KubeconfigError::NoClusters)?;
    for c in clusters {
        if let Some(cluster) = c.get_mut("cluster").and_then(Value::as_object_mut) {
            cluster.insert("server".into(), Value::String(server.into()));
        }
    }
    Ok(serde_yaml_ng::to_string(&doc)?)
}

/// Creates or updates (server-side apply) the Secret `vc-<vcluster>` in `namespace`
/// with `admin_kubeconfig` under key [`KUBECONFIG_KEY`], its server rewritten to
/// [`LOCAL_SERVER`]. Needs `patch` on secrets in `namespace` (the chart's Role has it).
pub async fn write_kubeconfig_secret(
    client: &Client,
    namespace: &str,
    vcluster: &str,
    admin_kubeconfig: &str,
) -> Result<(), KubeconfigError> {
    let config = with_server(admin_kubeconfig, LOCAL_SERVER)?;
    let name = secret_name(vcluster);
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": "vnest",
                "app.kubernetes.io/instance": vcluster,
                "vnest.io/vcluster": vcluster,
            },
        },
        "type": "Opaque",
        "data": {
            KUBECONFIG_KEY: base64::engine::general_purpose::STANDARD.encode(config),
        },
    });
    let api: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), namespace);
    api.patch(
        &name,
        &PatchParams::apply(SECRET_FIELD_MANAGER).force(),
        &Patch::Apply(&secret),
    )
    .await
    .map_err(|source| KubeconfigError::Write {
        namespace: namespace.to_string(),
        name: name.clone(),
        source,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_is_rewritten_everywhere() {
        let kc = "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: https://0.0.0.0:8443\n    certificate-authority-data: Q0E=\nusers: []\n";
        let out = with_server(kc, LOCAL_SERVER).expect("rewrite");
        let doc: Value = serde_yaml_ng::from_str(&out).expect("yaml");
        assert_eq!(doc["clusters"][0]["cluster"]["server"], LOCAL_SERVER);
        assert_eq!(
            doc["clusters"][0]["cluster"]["certificate-authority-data"],
            "Q0E="
        );
        assert!(matches!(
            with_server("clusters: []\n", LOCAL_SERVER),
            Err(KubeconfigError::NoClusters)
        ));
        assert!(with_server(": : :\n- x", LOCAL_SERVER).is_err());
    }
}

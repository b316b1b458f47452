//! Every namespace has a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap
//! (the cluster CA, for in-cluster clients), recreated when deleted, as kube's
//! service-account and root-CA publisher controllers do.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;

pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";

/// Creates what a namespace must have; existing objects are left alone (the CA
/// configmap is brought back to the current CA).
pub async fn ensure(client: &Client, namespace: &str, ca_pem: &str) -> Result<(), kube::Error> {
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    if sas.get_opt(DEFAULT_SERVICE_ACCOUNT).await?.is_none() {
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(DEFAULT_SERVICE_ACCOUNT.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        match sas.create(&PostParams::default(), &sa).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let want: BTreeMap<String, String> = [("ca.crt".to_string(), ca_pem.to_string())].into();
    match cms.get_opt(ROOT_CA_CONFIGMAP).await? {
        Some(cm) if cm.data.as_ref() == Some(&want) => {}
        Some(mut cm) => {
            cm.data = Some(want);
            cms.replace(ROOT_CA_CONFIGMAP, &PostParams::default(), &cm)
                .await?;
        }
        None => {
            let cm = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(ROOT_CA_CONFIGMAP.into()),
                    annotations: Some(
                        [(
                            "kubernetes.io/description".to_string(),
                            "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.".to_string(),
                        )]
                        .into(),
                    ),
                    ..Default::default()
                },
                data: Some(want),
                ..Default::default()
            };
            match cms.create(&PostParams::default(), &cm).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 409 => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Watches namespaces, and the two objects in them, forever.
pub async fn run(client: Client, ca_pem: String) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let sas: Api<ServiceAccount> = Api::all(client.clone());
    let cms: Api<ConfigMap> = Api::all(client.clone());
    // Any change to a namespace, or a delete of one of the objects, re-checks it.
    let ns_events = watcher(namespaces, watcher::Config::default())
        .applied_objects()
        .filter_map(|r| async move { r.ok().and_then(|ns| ns.metadata.name) });
    let sa_events = watcher(
        sas,
        watcher::Config::default().fields(&format!("metadata.name={DEFAULT_SERVICE_ACCOUNT}")),
    )
    .touched_objects()
    .filter_map(|r| async move { r.ok().and_then(|o| o.metadata.namespace) });
    let cm_events = watcher(
        cms,
        watcher::Config::default().fields(&format!("metadata.name={ROOT_CA_CONFIGMAP}")),
    )
    .touched_objects()
    .filter_map(|r| async move { r.ok().and_then(|o| o.metadata.namespace) });
    let mut events = Box::pin(futures::stream::select(
        ns_events,
        futures::stream::select(sa_events, cm_events),
    ));
    while let Some(ns) = events.next().await {
        let api: Api<Namespace> = Api::all(client.clone());
        let Ok(Some(current)) = api.get_opt(&ns).await else {
            continue;
        };
        if current.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let mut delay = Duration::from_millis(100);
        for _ in 0..5 {
            match ensure(&client, &ns, &ca_pem).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::debug!(namespace = %ns, error = %e, "service account setup failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    }
}

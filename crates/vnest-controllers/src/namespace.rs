//! Namespace lifecycle: when a namespace is deleted (it is then Terminating, with the
//! `kubernetes` finalizer in spec.finalizers), delete everything in it with
//! deletecollection on every namespaced resource that discovery lists, wait until it is
//! all gone, then remove the finalizer through `/finalize`, upon which the API server
//! deletes the namespace.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::discovery::{verbs, Discovery, Scope};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;

/// The finalizer this controller owns.
pub const FINALIZER: &str = "kubernetes";

#[derive(Debug, thiserror::Error)]
pub enum NamespaceError {
    #[error("{0}")]
    Kube(#[from] kube::Error),
    #[error("namespace {0} still has content")]
    NotEmpty(String),
}

fn needs_finalizing(ns: &Namespace) -> bool {
    ns.metadata.deletion_timestamp.is_some()
        && ns
            .spec
            .as_ref()
            .and_then(|s| s.finalizers.as_ref())
            .is_some_and(|f| f.iter().any(|x| x == FINALIZER))
}

/// Watches namespaces forever, finalizing each deleted one once.
pub async fn run(client: Client) {
    let in_progress: Arc<Mutex<HashSet<String>>> = Arc::default();
    let api: Api<Namespace> = Api::all(client.clone());
    let mut stream = Box::pin(watcher(api, watcher::Config::default()).applied_objects());
    while let Some(item) = stream.next().await {
        let ns = match item {
            Ok(ns) => ns,
            Err(e) => {
                tracing::debug!(error = %e, "namespace watch interrupted; it resumes");
                continue;
            }
        };
        if !needs_finalizing(&ns) {
            continue;
        }
        let Some(name) = ns.metadata.name.clone() else {
            continue;
        };
        let fresh = in_progress
            .lock()
            .map(|mut set| set.insert(name.clone()))
            .unwrap_or(false);
        if !fresh {
            continue;
        }
        let client = client.clone();
        let in_progress = in_progress.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(100);
            // Discovery is asked once per namespace, not on every retry; an API error
            // (a resource that went away, say) asks again.
            let mut resources: Option<Vec<ApiResource>> = None;
            loop {
                let pass = match &resources {
                    Some(r) => finalize(&client, &name, r).await,
                    None => match deletable_resources(&client).await {
                        Ok(r) => finalize(&client, &name, resources.insert(r)).await,
                        Err(e) => Err(e.into()),
                    },
                };
                match pass {
                    Ok(()) => break,
                    Err(e) => {
                        if matches!(e, NamespaceError::Kube(_)) {
                            resources = None;
                        }
                        tracing::debug!(namespace = %name, error = %e, "namespace not finalized yet");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
            if let Ok(mut set) = in_progress.lock() {
                set.remove(&name);
            }
        });
    }
}

/// The namespaced resources that can be listed and deleted by collection.
pub async fn deletable_resources(client: &Client) -> Result<Vec<ApiResource>, kube::Error> {
    let discovery = Discovery::new(client.clone()).run().await?;
    let mut out = Vec::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if matches!(caps.scope, Scope::Namespaced)
                && caps.supports_operation(verbs::DELETE_COLLECTION)
                && caps.supports_operation(verbs::LIST)
            {
                out.push(ar);
            }
        }
    }
    Ok(out)
}

/// One pass: delete what is left of `resources` in the namespace, and finalize when
/// nothing is.
pub async fn finalize(
    client: &Client,
    name: &str,
    resources: &[ApiResource],
) -> Result<(), NamespaceError> {
    let mut remaining = 0usize;
    for ar in resources {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), name, ar);
        let left = api.list(&ListParams::default().limit(1)).await?;
        if left.items.is_empty() {
            continue;
        }
        remaining += 1;
        api.delete_collection(&DeleteParams::background(), &ListParams::default())
            .await?;
    }
    if remaining > 0 {
        return Err(NamespaceError::NotEmpty(name.to_string()));
    }
    let api: Api<Namespace> = Api::all(client.clone());
    let mut ns = api.get(name).await?;
    if let Some(spec) = ns.spec.as_mut() {
        if let Some(f) = spec.finalizers.as_mut() {
            f.retain(|x| x != FINALIZER);
        }
    }
    match api
        .replace_subresource("finalize", name, &PostParams::default(), &ns)
        .await
    {
        Ok(_) => {
            tracing::info!(namespace = name, "namespace finalized");
            Ok(())
        }
        // Already gone: done.
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

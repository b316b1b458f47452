//! A small operator written with kube-rs against vnest: a `#[derive(CustomResource)]`
//! type whose CRD kube-rs generates, installed with server-side apply; a kube-runtime
//! `Controller` that puts a finalizer on each object, creates a ConfigMap it owns,
//! reports status with server-side apply on `/status`, and cleans up on deletion.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{finalizer, Event};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, CustomResource, CustomResourceExt, Resource, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "ops.example.com",
    version = "v1",
    kind = "Cache",
    namespaced,
    status = "CacheStatus",
    shortname = "cache",
    printcolumn = r#"{"name":"Size","type":"integer","jsonPath":".spec.size"}"#,
    printcolumn = r#"{"name":"Ready","type":"boolean","jsonPath":".status.ready"}"#
)]
pub struct CacheSpec {
    pub size: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheStatus {
    pub ready: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

const FINALIZER: &str = "ops.example.com/cleanup";
const MANAGER: &str = "cache-operator";

#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(String),
}

fn configmap_name(cache: &Cache) -> String {
    format!("{}-data", cache.name_any())
}

async fn reconcile(cache: Arc<Cache>, client: Arc<Client>) -> Result<Action, ReconcileError> {
    let ns = cache.namespace().unwrap_or_default();
    let caches: Api<Cache> = Api::namespaced((*client).clone(), &ns);
    let client = (*client).clone();
    let status_api = caches.clone();
    finalizer(&caches, FINALIZER, cache, |event| async move {
        let caches = status_api;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
        match event {
            Event::Apply(cache) => {
                let owner = cache.controller_owner_ref(&()).ok_or_else(|| {
                    kube::Error::Discovery(kube::error::DiscoveryError::MissingResource(
                        "owner".into(),
                    ))
                })?;
                let cm = json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": configmap_name(&cache), "ownerReferences": [owner]},
                    "data": {"size": cache.spec.size.to_string()},
                });
                cms.patch(
                    &configmap_name(&cache),
                    &PatchParams::apply(MANAGER).force(),
                    &Patch::Apply(&cm),
                )
                .await?;
                let status = json!({
                    "apiVersion": "ops.example.com/v1", "kind": "Cache",
                    "status": {"ready": true, "observedGeneration": cache.metadata.generation},
                });
                caches
                    .patch_status(
                        &cache.name_any(),
                        &PatchParams::apply(MANAGER).force(),
                        &Patch::Apply(&status),
                    )
                    .await?;
                Ok::<_, kube::Error>(Action::await_change())
            }
            Event::Cleanup(cache) => {
                match cms
                    .delete(&configmap_name(&cache), &DeleteParams::default())
                    .await
                {
                    Ok(_) => {}
                    Err(kube::Error::Api(status)) if status.code == 404 => {}
                    Err(e) => return Err(e),
                }
                Ok(Action::await_change())
            }
        }
    })
    .await
    .map_err(|e| ReconcileError::Finalizer(e.to_string()))
}

fn error_policy(_: Arc<Cache>, _: &ReconcileError, _: Arc<Client>) -> Action {
    Action::requeue(Duration::from_millis(200))
}

async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn operator_reconciles_with_finalizers_and_status_apply() {
    let client = common::shared().client().await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.patch(
        "caches.ops.example.com",
        &PatchParams::apply("operator-test").force(),
        &Patch::Apply(Cache::crd()),
    )
    .await
    .expect("apply the CRD");
    tokio::time::timeout(
        Duration::from_secs(30),
        await_condition(
            crds.clone(),
            "caches.ops.example.com",
            conditions::is_crd_established(),
        ),
    )
    .await
    .expect("CRD established in time")
    .expect("watch CRD");

    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "operator"}})).expect("ns");
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("namespace");
    let caches: Api<Cache> = Api::namespaced(client.clone(), "operator");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "operator");

    let controller = tokio::spawn(
        Controller::new(caches.clone(), Default::default())
            .owns(cms.clone(), Default::default())
            .run(reconcile, error_policy, Arc::new(client.clone()))
            .for_each(|_| async {}),
    );

    // Create with a typed object; the operator adds its finalizer, a ConfigMap and status.
    let cache = Cache::new(
        "alpha",
        CacheSpec {
            size: 3,
            color: None,
        },
    );
    caches
        .create(&PostParams::default(), &cache)
        .await
        .expect("create cache");
    eventually("status ready and the configmap", || async {
        let c = caches.get("alpha").await.ok();
        let ready = c
            .as_ref()
            .and_then(|c| c.status.as_ref())
            .is_some_and(|s| s.ready && s.observed_generation == Some(1));
        let has_finalizer = c
            .as_ref()
            .is_some_and(|c| c.finalizers().iter().any(|f| f == FINALIZER));
        ready && has_finalizer && cms.get("alpha-data").await.is_ok()
    })
    .await;
    let cm = cms.get("alpha-data").await.expect("configmap");
    assert_eq!(cm.owner_references()[0].kind, "Cache");

    // A spec change by another manager through server-side apply (forced: the
    // creator owns spec.size, a plain apply would conflict): reconciled again.
    let patch = json!({"apiVersion": "ops.example.com/v1", "kind": "Cache", "spec": {"size": 5, "color": "blue"}});
    caches
        .patch(
            "alpha",
            &PatchParams::apply("tester").force(),
            &Patch::Apply(&patch),
        )
        .await
        .expect("apply spec");
    eventually("the new generation to be observed", || async {
        let Ok(c) = caches.get("alpha").await else {
            return false;
        };
        let Ok(cm) = cms.get("alpha-data").await else {
            return false;
        };
        c.status.as_ref().and_then(|s| s.observed_generation) == Some(2)
            && cm
                .data
                .as_ref()
                .and_then(|d| d.get("size"))
                .map(String::as_str)
                == Some("5")
    })
    .await;
    // Field ownership is split as kube splits it.
    let c = caches.get("alpha").await.expect("get");
    let managers: Vec<(String, String, String)> = c
        .managed_fields()
        .iter()
        .map(|m| {
            (
                m.manager.clone().unwrap_or_default(),
                m.operation.clone().unwrap_or_default(),
                m.subresource.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        managers.contains(&("tester".into(), "Apply".into(), String::new())),
        "{managers:?}"
    );
    assert!(
        managers.contains(&(MANAGER.into(), "Apply".into(), "status".into())),
        "{managers:?}"
    );
    let listed = caches.list(&ListParams::default()).await.expect("list");
    assert_eq!(listed.items.len(), 1);

    // Deletion waits for the operator's cleanup, then the object goes.
    caches
        .delete("alpha", &DeleteParams::default())
        .await
        .expect("delete");
    eventually("cleanup and deletion", || async {
        caches.get_opt("alpha").await.ok().flatten().is_none()
            && cms.get_opt("alpha-data").await.ok().flatten().is_none()
    })
    .await;
    controller.abort();
}

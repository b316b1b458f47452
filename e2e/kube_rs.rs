//! kube-rs (typed and dynamic APIs, paging, watcher) against a real
//! `vnest control-plane` process on loopback.

mod common;

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;

async fn client() -> Client {
    common::shared().client().await
}

async fn namespace(client: &Client, name: &str) {
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

fn configmap(name: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    }
}

#[tokio::test]
async fn typed_api_round_trip() {
    let client = client().await;
    namespace(&client, "kr-typed").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kr-typed");
    let created = cms
        .create(&PostParams::default(), &configmap("one", &[("a", "1")]))
        .await
        .expect("create");
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.resource_version.is_some());
    match cms
        .create(&PostParams::default(), &configmap("one", &[]))
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 409);
            assert_eq!(s.reason, "AlreadyExists");
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let patched = cms
        .patch(
            "one",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {"b": "2"}})),
        )
        .await
        .expect("merge patch");
    let data = patched.data.expect("data");
    assert_eq!(data.get("a").map(String::as_str), Some("1"));
    assert_eq!(data.get("b").map(String::as_str), Some("2"));
    // A replace with the old resourceVersion conflicts.
    let mut stale = created.clone();
    stale.data = Some(BTreeMap::from([("c".to_string(), "3".to_string())]));
    match cms.replace("one", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 409),
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Only ours: every namespace also has the kube-root-ca.crt configmap.
    let listed = cms
        .list(&ListParams::default().fields("metadata.name=one"))
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    cms.delete("one", &DeleteParams::default())
        .await
        .expect("delete");
    match cms.get("one").await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 404),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn dynamic_api_on_deployments() {
    let client = client().await;
    namespace(&client, "kr-dynamic").await;
    let gvk = GroupVersionKind::gvk("apps", "v1", "Deployment");
    let ar = ApiResource::from_gvk(&gvk);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "kr-dynamic", &ar);
    let obj: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "dyn"},
        "spec": {
            "selector": {"matchLabels": {"app": "dyn"}},
            "template": {
                "metadata": {"labels": {"app": "dyn"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}
            }
        }
    }))
    .expect("object");
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create");
    // The typed view of the same object has kube's defaults.
    let typed: Api<Deployment> = Api::namespaced(client.clone(), "kr-dynamic");
    let d = typed.get("dyn").await.expect("get typed");
    let spec = d.spec.expect("spec");
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.revision_history_limit, Some(10));
    assert_eq!(spec.progress_deadline_seconds, Some(600));
    let names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(names, ["dyn"]);
}

#[tokio::test]
async fn paging_with_limit_one_is_consistent_while_writes_continue() {
    let client = client().await;
    namespace(&client, "kr-paging").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kr-paging");
    for i in 0..100 {
        cms.create(
            &PostParams::default(),
            &configmap(&format!("cm-{i:03}"), &[("v", "0")]),
        )
        .await
        .expect("create");
    }
    // Writers change the namespace while the pages are read.
    let writer = {
        let cms = cms.clone();
        tokio::spawn(async move {
            for i in 0..60 {
                let _ = cms
                    .create(
                        &PostParams::default(),
                        &configmap(&format!("late-{i:03}"), &[]),
                    )
                    .await;
                let _ = cms
                    .patch(
                        &format!("cm-{:03}", i),
                        &PatchParams::default(),
                        &Patch::Merge(serde_json::json!({"data": {"v": "1"}})),
                    )
                    .await;
            }
        })
    };
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut params = ListParams::default().limit(1);
    let mut first_rv = None;
    loop {
        let page = cms.list(&params).await.expect("page");
        let rv = page.metadata.resource_version.clone();
        if first_rv.is_none() {
            first_rv = rv.clone();
        }
        assert_eq!(
            rv, first_rv,
            "every page reports the first page's resourceVersion"
        );
        for cm in page.items {
            names.push(cm.metadata.name.unwrap_or_default());
            values.push(
                cm.data
                    .and_then(|d| d.get("v").cloned())
                    .unwrap_or_default(),
            );
        }
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    writer.await.expect("writer");
    // The pages together are exactly the list at the first page's revision (read
    // again now, with resourceVersionMatch=Exact), although writes went on meanwhile.
    let rv = first_rv.expect("first page revision");
    let exact = cms
        .list(
            &ListParams::default()
                .at(&rv)
                .matching(kube::api::VersionMatch::Exact),
        )
        .await
        .expect("exact list");
    let exact_names: Vec<String> = exact
        .items
        .iter()
        .map(|c| c.metadata.name.clone().unwrap_or_default())
        .collect();
    let exact_values: Vec<String> = exact
        .items
        .iter()
        .map(|c| {
            c.data
                .as_ref()
                .and_then(|d| d.get("v").cloned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(names, exact_names, "pages = the snapshot at {rv}");
    assert_eq!(values, exact_values, "values as of the snapshot");
    for i in 0..100 {
        assert!(names.contains(&format!("cm-{i:03}")), "cm-{i:03} missing");
    }
    let now = cms.list(&ListParams::default()).await.expect("list");
    let ours = now
        .items
        .iter()
        .filter(|c| c.metadata.name.as_deref() != Some("kube-root-ca.crt"))
        .count();
    assert_eq!(ours, 160, "the writes did happen");
}

#[tokio::test]
async fn watcher_sees_adds_updates_and_deletes() {
    let client = client().await;
    namespace(&client, "kr-watch").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kr-watch");
    let stream = watcher(cms.clone(), watcher::Config::default()).applied_objects();
    let mut stream = Box::pin(stream);
    let writer = {
        let cms = cms.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            cms.create(&PostParams::default(), &configmap("w1", &[("a", "1")]))
                .await
                .expect("create");
            cms.patch(
                "w1",
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({"data": {"a": "2"}})),
            )
            .await
            .expect("patch");
        })
    };
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while let Ok(Some(cm)) = tokio::time::timeout_at(deadline, stream.try_next())
        .await
        .map(|r| r.expect("watch error"))
    {
        let v = cm
            .data
            .and_then(|d| d.get("a").cloned())
            .unwrap_or_default();
        seen.push(v.clone());
        if v == "2" {
            break;
        }
    }
    writer.await.expect("writer");
    assert_eq!(seen.last().map(String::as_str), Some("2"), "saw {seen:?}");
}

/// With a tiny history (compaction every second keeping 5 revisions, a 10-event watch
/// cache) and watches the server ends every second, a kube-rs watcher resumes from a
/// revision that is gone, receives the in-stream 410, relists and carries on.
#[tokio::test]
async fn watcher_survives_compaction_by_relisting() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-compaction-{}", std::process::id()));
    let cp = common::ControlPlane::start(
        &dir,
        &[
            "--history-revisions",
            "5",
            "--history-seconds",
            "0",
            "--compaction-interval-seconds",
            "1",
            "--watch-cache-events",
            "10",
        ],
    );
    let client = cp.client().await;
    namespace(&client, "compact").await;
    namespace(&client, "noise").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "compact");
    let noise: Api<ConfigMap> = Api::namespaced(client.clone(), "noise");
    let events = watcher(cms.clone(), watcher::Config::default().timeout(1));
    let mut events = Box::pin(events);
    let writer = tokio::spawn(async move {
        for round in 0..4 {
            cms.create(
                &PostParams::default(),
                &configmap(&format!("c-{round}"), &[]),
            )
            .await
            .expect("create");
            // Roll the history far past the watcher's revision, then give the
            // compactor and the watch timeout time to act.
            for i in 0..30 {
                let name = format!("n-{round}-{i}");
                noise
                    .create(&PostParams::default(), &configmap(&name, &[]))
                    .await
                    .expect("noise");
            }
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        }
    });
    let mut inits = 0;
    let mut known = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(40);
    while known.len() < 4 || inits < 2 {
        let ev = match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(Ok(ev))) => ev,
            Ok(Some(Err(e))) => {
                // kube-rs reports the 410 and then relists by itself.
                let _ = e;
                continue;
            }
            Ok(None) => panic!("watcher ended"),
            Err(_) => panic!("timed out: {inits} relists, objects {known:?}"),
        };
        match ev {
            watcher::Event::Init => {
                inits += 1;
                known.clear();
            }
            watcher::Event::InitApply(cm) | watcher::Event::Apply(cm) => {
                let name = cm.metadata.name.unwrap_or_default();
                if name.starts_with("c-") {
                    known.insert(name);
                }
            }
            watcher::Event::Delete(cm) => {
                known.remove(&cm.metadata.name.unwrap_or_default());
            }
            watcher::Event::InitDone => {}
        }
    }
    writer.await.expect("writer");
    assert!(
        inits >= 2,
        "the watcher relisted after its revision was compacted"
    );
    let expected: std::collections::BTreeSet<String> = (0..4).map(|r| format!("c-{r}")).collect();
    assert_eq!(known, expected);
    let metrics = cp.kubectl(&["get", "--raw", "/metrics"]);
    let text = common::stdout(&metrics);
    assert!(
        text.lines().any(|l| l
            .starts_with("vnest_store_operation_duration_seconds_count{operation=\"compact\"}")),
        "the store was compacted"
    );
}

/// client-go 1.35 and kube-rs with streaming lists start with a watch-list request
/// (sendInitialEvents=true): initial ADDED events, then the bookmark annotated
/// `k8s.io/initial-events-end`, then live events.
#[tokio::test]
async fn streaming_list_watch() {
    let client = client().await;
    namespace(&client, "kr-stream").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kr-stream");
    for i in 0..3 {
        cms.create(&PostParams::default(), &configmap(&format!("pre-{i}"), &[]))
            .await
            .expect("create");
    }
    let mut events = Box::pin(watcher(
        cms.clone(),
        watcher::Config::default().streaming_lists(),
    ));
    let mut initial = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(Ok(watcher::Event::InitApply(cm)))) => {
                // Every namespace also has kube-root-ca.crt; only ours count.
                let name = cm.metadata.name.unwrap_or_default();
                if name.starts_with("pre-") {
                    initial.push(name);
                }
            }
            Ok(Some(Ok(watcher::Event::InitDone))) => break,
            Ok(Some(Ok(_))) => {}
            other => panic!("streaming list did not complete: {other:?}"),
        }
    }
    initial.sort();
    assert_eq!(initial, ["pre-0", "pre-1", "pre-2"]);
    cms.create(&PostParams::default(), &configmap("live", &[]))
        .await
        .expect("create");
    loop {
        match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(Ok(watcher::Event::Apply(cm))))
                if cm.metadata.name.as_deref() == Some("live") =>
            {
                break
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no live event after the initial list: {other:?}"),
        }
    }
}

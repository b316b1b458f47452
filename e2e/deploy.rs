//! The in-cluster deployment against the dev host (`vnest host`): the chart rendered
//! by vnest-deploy is applied with server-side apply, every object is stored as
//! rendered, nothing cluster-scoped appears, the ServiceAccount's rights end at its
//! namespace, applying again changes nothing, the control plane's kubeconfig Secret can
//! be written with those rights, and delete removes everything, twice.
//!
//! The dev host runs a pod's command as a local process without volumes or images, so
//! the control-plane pod is not expected to become Ready here.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde_json::Value;
use vnest_deploy::{apply, delete, render, values_from, Release, Values, FIELD_MANAGER};

fn resource(api_version: &str, kind: &str) -> ApiResource {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let plural = match kind {
        "NetworkPolicy" => "networkpolicies".to_string(),
        "StorageClass" => "storageclasses".to_string(),
        k => format!("{}s", k.to_lowercase()),
    };
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), &plural)
}

fn api(client: &kube::Client, ns: &str, api_version: &str, kind: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &resource(api_version, kind))
}

/// Every field of `want` is in `got` with the same value (lists element by element);
/// `got` may have more (defaults, status, metadata the server adds).
fn assert_contains(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g.get(k).unwrap_or(&Value::Null);
                assert_contains(gv, wv, &format!("{at}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(
                g.len(),
                w.len(),
                "{at}: list lengths differ: {got} vs {want}"
            );
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                assert_contains(gv, wv, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

async fn names(client: &kube::Client, api_version: &str, kind: &str) -> BTreeSet<String> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource(api_version, kind));
    api.list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("list {kind}: {e}"))
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect()
}

/// Names of the cluster-scoped objects a deployment could create by mistake.
async fn cluster_scoped(client: &kube::Client) -> Vec<BTreeSet<String>> {
    vec![
        names(client, "rbac.authorization.k8s.io/v1", "ClusterRole").await,
        names(client, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding").await,
        names(client, "v1", "Namespace").await,
        names(client, "v1", "PersistentVolume").await,
        names(client, "storage.k8s.io/v1", "StorageClass").await,
    ]
}

async fn get(client: &kube::Client, obj: &Value) -> Option<DynamicObject> {
    let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
    api(
        client,
        s("/metadata/namespace"),
        s("/apiVersion"),
        s("/kind"),
    )
    .get_opt(s("/metadata/name"))
    .await
    .unwrap_or_else(|e| panic!("get {obj}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_applies_to_a_namespace_and_deletes_cleanly() {
    let host = common::shared_host();
    let ns = "vc-deploy";
    common::ok(host, &["create", "namespace", ns]);
    let client = host.client().await;
    let before = cluster_scoped(&client).await;

    let objects = render(&Release::new("demo", ns), &Values::default()).expect("render");
    let stored = apply(&client, &objects, FIELD_MANAGER)
        .await
        .expect("apply");
    assert_eq!(stored.len(), objects.len());
    // Identity before the workload.
    let kinds: Vec<&str> = stored
        .iter()
        .filter_map(|o| o.types.as_ref().map(|t| t.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Service",
            "StatefulSet"
        ]
    );

    // Every object is there as rendered, in the namespace.
    let mut versions = Vec::new();
    for obj in &objects {
        let got = get(&client, obj)
            .await
            .unwrap_or_else(|| panic!("missing {obj}"));
        let got = serde_json::to_value(&got).expect("json");
        assert_eq!(got["metadata"]["namespace"], ns);
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        assert_contains(&got, obj, &format!("{}/{name}", obj["kind"]));
        versions.push((obj.clone(), got["metadata"]["resourceVersion"].clone()));
    }

    // The Role speaks of namespaced resources only, and nothing cluster-wide appeared.
    let role = objects.iter().find(|o| o["kind"] == "Role").expect("role");
    let namespaced = [
        "pods",
        "pods/log",
        "pods/exec",
        "pods/attach",
        "pods/portforward",
        "configmaps",
        "secrets",
        "services",
        "endpoints",
        "persistentvolumeclaims",
        "events",
    ];
    for rule in role["rules"].as_array().expect("rules") {
        assert!(rule.get("nonResourceURLs").is_none(), "{rule}");
        for r in rule["resources"].as_array().expect("resources") {
            assert!(
                namespaced.contains(&r.as_str().unwrap_or("")),
                "{r} in {rule}"
            );
        }
    }
    assert_eq!(
        cluster_scoped(&client).await,
        before,
        "cluster-scoped objects changed"
    );

    // The ServiceAccount's rights end at its namespace.
    let token = common::ok(
        host,
        &["create", "token", "vc-demo", "-n", ns, "--duration=1h"],
    );
    let sa_kubeconfig = common::token_kubeconfig(host, "vc-demo", token.trim());
    for (args, allowed) in [
        (vec!["auth", "can-i", "create", "pods", "-n", ns], true),
        (vec!["auth", "can-i", "patch", "secrets", "-n", ns], true),
        (
            vec!["auth", "can-i", "list", "pods", "-n", "default"],
            false,
        ),
        (vec!["auth", "can-i", "list", "nodes"], false),
        (vec!["auth", "can-i", "create", "namespaces"], false),
        (vec!["auth", "can-i", "list", "clusterroles"], false),
    ] {
        let o = common::kubectl_with_kubeconfig(&sa_kubeconfig, &args);
        let answer = common::stdout(&o).trim().to_string();
        assert_eq!(
            answer == "yes",
            allowed,
            "kubectl {}: {answer}",
            args.join(" ")
        );
    }

    // Applying again is a no-op: no errors (the StatefulSet's claim template is
    // defaulted on apply as on create, so it is no forbidden change), and the objects
    // keep their version; the StatefulSet's changes with the status its controller
    // writes.
    apply(&client, &objects, FIELD_MANAGER)
        .await
        .expect("apply again");
    for (obj, rv) in &versions {
        if obj["kind"] == "StatefulSet" {
            continue;
        }
        let got = get(&client, obj).await.expect("still there");
        assert_eq!(
            got.metadata.resource_version.as_deref(),
            rv.as_str(),
            "{} {} changed on re-apply: {:?}",
            obj["kind"],
            obj["metadata"]["name"],
            got.metadata.managed_fields
        );
    }

    // The kubeconfig Secret, written with the ServiceAccount's own rights (created,
    // then updated).
    let sa_client = {
        let kc = kube::config::Kubeconfig::read_from(&sa_kubeconfig).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .expect("config");
        kube::Client::try_from(config).expect("client")
    };
    let admin = std::fs::read_to_string(&host.kubeconfig).expect("admin kubeconfig");
    for _ in 0..2 {
        vnest_deploy::write_kubeconfig_secret(&sa_client, ns, "demo", &admin)
            .await
            .expect("write the kubeconfig secret");
    }
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), ns);
    let secret = secrets.get("vc-demo").await.expect("secret vc-demo");
    let data = secret.data.expect("data");
    let config = data.get(vnest_deploy::KUBECONFIG_KEY).expect("key config");
    let text = String::from_utf8(config.0.clone()).expect("utf-8");
    assert!(text.contains("server: https://localhost:8443"), "{text}");
    // A kubeconfig kube's own types read (as `vnest connect` will).
    let parsed = kube::config::Kubeconfig::from_yaml(&text).expect("a valid kubeconfig");
    assert_eq!(parsed.clusters.len(), 1);

    // Delete removes everything, and deleting again is fine.
    delete(&client, ns, "demo").await.expect("delete");
    let deadline = Instant::now() + Duration::from_secs(60);
    for obj in &objects {
        while get(&client, obj).await.is_some() {
            assert!(
                Instant::now() < deadline,
                "{} {} not deleted",
                obj["kind"],
                obj["metadata"]["name"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert!(secrets.get_opt("vc-demo").await.expect("get").is_none());
    // The claim goes once no pod uses it (the pod is garbage collected after the
    // StatefulSet); deleted, it is gone or terminating.
    let claims = api(&client, ns, "v1", "PersistentVolumeClaim");
    if let Some(claim) = claims.get_opt("data-demo-0").await.expect("get claim") {
        assert!(
            claim.metadata.deletion_timestamp.is_some(),
            "data-demo-0 not deleted"
        );
    }
    delete(&client, ns, "demo").await.expect("delete again");
    assert_eq!(cluster_scoped(&client).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_objects_are_accepted_by_the_api() {
    let host = common::shared_host();
    let ns = "vc-deploy-isolated";
    common::ok(host, &["create", "namespace", ns]);
    let client = host.client().await;
    let values = values_from(None, &["isolation.enabled=true", "store.type=etcd"]).expect("values");
    let objects = render(&Release::new("iso", ns), &values).expect("render");
    apply(&client, &objects, FIELD_MANAGER)
        .await
        .expect("apply");
    for obj in &objects {
        assert!(get(&client, obj).await.is_some(), "missing {obj}");
    }
    delete(&client, ns, "iso").await.expect("delete");
    for obj in &objects {
        let deadline = Instant::now() + Duration::from_secs(60);
        while get(&client, obj).await.is_some() {
            assert!(
                Instant::now() < deadline,
                "{} not deleted",
                obj["metadata"]["name"]
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

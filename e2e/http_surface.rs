//! The HTTP surface around the REST verbs, checked with curl and kube-rs against a real
//! `vnest control-plane`: HTTP/2 and HTTP/1.1 by ALPN, TLS versions, health endpoints,
//! /metrics, aggregated discovery with ETag/304, OpenAPI v2/v3, PartialObjectMetadata,
//! malformed protobuf, tokens, and that the data survives a restart.

mod common;

use std::process::Command;

use http_body_util::BodyExt;
use serde_json::Value;

fn curl(extra: &[&str], path: &str) -> (u16, String, String) {
    let cp = common::shared();
    let pki = cp.dir.join("pki");
    let url = format!("https://127.0.0.1:{}{path}", cp.port);
    let out = Command::new("curl")
        .args([
            "-sS",
            "-D",
            "-",
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{http_version}",
        ])
        .arg("--cacert")
        .arg(pki.join("ca.crt"))
        .arg("--cert")
        .arg(pki.join("admin.crt"))
        .arg("--key")
        .arg(pki.join("admin.key"))
        .args(extra)
        .arg(&url)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, last) = text.rsplit_once('\n').unwrap_or((&text, ""));
    let mut parts = last.split_whitespace();
    let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let version = parts.next().unwrap_or("").to_string();
    (code, version, body.to_string())
}

#[test]
fn http2_and_http1_by_alpn() {
    let (code, version, _) = curl(&["--http2"], "/version");
    assert_eq!((code, version.as_str()), (200, "2"));
    let (code, version, _) = curl(&["--http1.1"], "/version");
    assert_eq!((code, version.as_str()), (200, "1.1"));
    let (code, _, _) = curl(&["--tlsv1.2", "--tls-max", "1.2"], "/version");
    assert_eq!(code, 200, "TLS 1.2 is accepted");
}

#[test]
fn health_metrics_and_anonymous_access() {
    for path in ["/healthz", "/livez", "/readyz"] {
        let (code, _, body) = curl(&[], path);
        assert_eq!(code, 200, "{path}");
        assert!(body.ends_with("ok"), "{path}: {body}");
    }
    let cp = common::shared();
    // Without a client certificate: health and version answer, the API does not.
    let anon = |path: &str| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(cp.dir.join("pki").join("ca.crt"))
            .arg(format!("https://127.0.0.1:{}{path}", cp.port))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(anon("/healthz"), "200");
    assert_eq!(anon("/version"), "200");
    // Anonymous requests reach RBAC, which allows only public info.
    assert_eq!(anon("/api"), "403");
    assert_eq!(anon("/api/v1/namespaces"), "403");
    common::ok(cp, &["get", "namespaces"]);
    let (code, _, metrics) = curl(&[], "/metrics");
    assert_eq!(code, 200);
    for needle in [
        "apiserver_request_total{verb=\"list\",resource=\"namespaces\",code=\"200\"}",
        "apiserver_request_duration_seconds_bucket{verb=\"list\",resource=\"namespaces\",le=\"+Inf\"}",
        "apiserver_registered_watchers",
        "vnest_store_operation_duration_seconds_count{operation=\"get\"}",
    ] {
        assert!(metrics.contains(needle), "{needle} missing from /metrics");
    }
}

#[test]
fn aggregated_discovery_with_etag_and_304() {
    let accept = "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    let (code, _, text) = curl(&["-H", accept], "/apis");
    assert_eq!(code, 200);
    let headers = text.to_ascii_lowercase();
    assert!(
        headers.contains(
            "content-type: application/json;g=apidiscovery.k8s.io;v=v2;as=apigroupdiscoverylist"
        ),
        "{text}"
    );
    let etag = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .expect("etag header")
        .trim()
        .to_string();
    let (code, _, _) = curl(
        &["-H", accept, "-H", &format!("If-None-Match: {etag}")],
        "/apis",
    );
    assert_eq!(code, 304);
    let accept_beta =
        "Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
    let (code, _, text) = curl(&["-H", accept_beta], "/api");
    assert_eq!(code, 200);
    assert!(text.contains("apidiscovery.k8s.io/v2beta1"), "{text}");
}

async fn raw(client: &kube::Client, path: &str, accept: &str) -> (u16, Value) {
    let req = http::Request::get(path)
        .header("accept", accept)
        .body(kube::client::Body::from(Vec::new()))
        .expect("request");
    let resp = client.send(req).await.expect("send");
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn openapi_and_partial_object_metadata() {
    let client = common::shared().client().await;
    let (code, index) = raw(&client, "/openapi/v3", "application/json").await;
    assert_eq!(code, 200);
    let apps = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .expect("apps/v1 in the index")
        .to_string();
    let (code, doc) = raw(&client, &apps, "application/json").await;
    assert_eq!(code, 200);
    assert!(doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"].is_object());
    let (code, v2) = raw(&client, "/openapi/v2", "application/json").await;
    assert_eq!(code, 200);
    assert_eq!(v2["swagger"], "2.0");
    let (code, _) = raw(
        &client,
        "/openapi/v2",
        "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    )
    .await;
    assert_eq!(code, 406, "protobuf OpenAPI is not served, JSON is");
    let (code, list) = raw(
        &client,
        "/api/v1/namespaces",
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert!(list["items"][0]["metadata"]["name"].is_string());
    assert!(list["items"][0].get("spec").is_none());
}

#[tokio::test]
async fn malformed_protobuf_is_a_bad_request() {
    let client = common::shared().client().await;
    for (label, body) in [
        ("no magic", b"not protobuf at all".to_vec()),
        (
            "truncated",
            b"k8s\x00\n\x0f\n\x02v1\x12\tConfigMap\x12\x1c\n\x12\n\x02c1".to_vec(),
        ),
        ("empty", Vec::new()),
    ] {
        let req = http::Request::post("/api/v1/namespaces/default/configmaps")
            .header("content-type", "application/vnd.kubernetes.protobuf")
            .body(kube::client::Body::from(body))
            .expect("request");
        let resp = client.send(req).await.expect("send");
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(status, 400, "{label}: {v}");
        assert_eq!(v["reason"], "BadRequest", "{label}");
    }
    let (code, list) = raw(
        &client,
        "/api/v1/namespaces/default/configmaps",
        "application/json",
    )
    .await;
    assert_eq!(code, 200);
    assert!(list["items"]
        .as_array()
        .is_some_and(|a| a.iter().all(|c| c["metadata"]["name"] != "c1")));
}

#[test]
fn static_tokens_and_restart_keep_everything() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-restart-{}", std::process::id()));
    let tokens = std::env::temp_dir().join(format!("vnest-tokens-{}.csv", std::process::id()));
    std::fs::write(&tokens, "s3cret,alice,1001,\"dev,ops\"\n").expect("token file");
    let args = ["--token-auth-file", tokens.to_str().unwrap_or_default()];
    let first = common::ControlPlane::start(&dir, &args);
    common::ok(&first, &["create", "namespace", "keep"]);
    common::ok(
        &first,
        &[
            "create",
            "configmap",
            "-n",
            "keep",
            "kept",
            "--from-literal=a=b",
        ],
    );
    let ca_before = std::fs::read(dir.join("pki").join("ca.crt")).expect("ca");
    let port = first.port;
    let alice = common::token_kubeconfig(&first, "alice", "s3cret");
    let authed = common::kubectl_with_kubeconfig(&alice, &["auth", "whoami", "-o", "json"]);
    assert!(authed.status.success(), "{}", common::stderr(&authed));
    let who = common::stdout(&authed);
    assert!(who.contains("\"alice\"") && who.contains("ops"), "{who}");
    let wrong = common::token_kubeconfig(&first, "wrong", "wrong");
    let bad = common::kubectl_with_kubeconfig(&wrong, &["get", "--raw", "/api/v1/namespaces"]);
    assert!(
        common::stderr(&bad).contains("Unauthorized"),
        "{}",
        common::stderr(&bad)
    );
    drop(first);
    // Same data dir again: same CA, same objects.
    let second = common::ControlPlane::restart(&dir, port, &args);
    let cm = common::ok(
        &second,
        &[
            "get",
            "configmap",
            "-n",
            "keep",
            "kept",
            "-o",
            "jsonpath={.data.a}",
        ],
    );
    assert_eq!(cm, "b");
    assert_eq!(
        std::fs::read(dir.join("pki").join("ca.crt")).expect("ca"),
        ca_before
    );
    let _ = std::fs::remove_file(&tokens);
}

/// The same API on the etcd backend: a real etcd 3.4 on loopback, started here.
#[test]
fn control_plane_on_etcd() {
    let root = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let etcd = vnest_store::etcd_server::EtcdServer::start(
        &root.join(format!("e2e-etcd-{}", std::process::id())),
        std::time::Duration::from_secs(30),
    )
    .expect("start etcd (hack/install-etcd.sh installs it)");
    let dir = root.join(format!("e2e-on-etcd-{}", std::process::id()));
    let cp = common::ControlPlane::start(
        &dir,
        &[
            "--store",
            "etcd",
            "--etcd-endpoints",
            &etcd.endpoint,
            "--etcd-prefix",
            "/vnest-e2e",
        ],
    );
    common::ok(&cp, &["create", "namespace", "on-etcd"]);
    common::ok(
        &cp,
        &[
            "create",
            "configmap",
            "-n",
            "on-etcd",
            "c",
            "--from-literal=a=b",
        ],
    );
    let v = common::ok(
        &cp,
        &[
            "get",
            "configmap",
            "-n",
            "on-etcd",
            "c",
            "-o",
            "jsonpath={.data.a}",
        ],
    );
    assert_eq!(v, "b");
    common::ok(&cp, &["delete", "namespace", "on-etcd", "--timeout=60s"]);
    drop(cp);
    let _ = std::fs::remove_dir_all(&dir);
}

//! Authentication and authorization end to end: service-account tokens (TokenRequest,
//! bound and legacy tokens, TokenReview), static tokens, foreign certificates,
//! anonymous requests, RBAC decisions and their 403s, escalation prevention,
//! impersonation, and `kubectl auth can-i` / `whoami` across kubectl versions.
//!
//! Review objects are created with `--validate=false`: kubectl validates kinds without
//! a PATCH operation against OpenAPI v2 in protobuf, which vnest does not serve (it
//! serves v2 as JSON and v3).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{ok, stderr, stdout, token_kubeconfig, Shared};
use serde_json::{json, Value};

const KUBECTLS: &[&str] = &[
    "/usr/lib/google-cloud-sdk/bin/kubectl.1.31",
    "/usr/lib/google-cloud-sdk/bin/kubectl.1.32",
    "/usr/lib/google-cloud-sdk/bin/kubectl.1.33",
];

/// Static users: alice (nothing granted by default), bob (made a namespace admin),
/// carol (for impersonation tests).
fn cp() -> &'static Shared {
    let tokens = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("auth-tokens-{}.csv", std::process::id()));
    if !tokens.exists() {
        std::fs::write(
            &tokens,
            "alice-token,alice,1001\nbob-token,bob,1002,\"team-b\"\ncarol-token,carol,1003\n",
        )
        .expect("token file");
    }
    common::shared_with(vec![
        "--token-auth-file".into(),
        tokens.display().to_string(),
    ])
}

fn kubectl_as(kubeconfig: &PathBuf, args: &[&str]) -> Output {
    kubectl_bin_as("kubectl", kubeconfig, args)
}

fn kubectl_bin_as(bin: &str, kubeconfig: &PathBuf, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .expect("run kubectl")
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn server_url(cp: &Shared) -> String {
    format!("https://127.0.0.1:{}", cp.port)
}

fn curl(cp: &Shared, extra: &[&str], path: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(cp.dir.join("pki/ca.crt"))
        .args(extra)
        .args(["-w", "\n%{http_code}"])
        .arg(format!("{}{path}", server_url(cp)))
        .output()
        .expect("curl");
    let text = stdout(&out);
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[test]
fn token_request_bound_tokens_and_token_review() {
    let cp = cp();
    ok(cp, &["create", "namespace", "tokens"]);
    ok(cp, &["create", "serviceaccount", "robot", "-n", "tokens"]);
    let token = ok(cp, &["create", "token", "robot", "-n", "tokens"]);
    let token = token.trim();
    let kc = token_kubeconfig(cp, "robot", token);
    let who = kubectl_as(&kc, &["auth", "whoami", "-o", "json"]);
    assert!(who.status.success(), "{}", stderr(&who));
    let who: Value = serde_json::from_slice(&who.stdout).expect("whoami json");
    assert_eq!(
        who["status"]["userInfo"]["username"],
        "system:serviceaccount:tokens:robot"
    );
    let groups = who["status"]["userInfo"]["groups"].to_string();
    assert!(groups.contains("system:serviceaccounts:tokens"), "{groups}");

    // TokenReview (as an authenticating proxy would ask).
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}});
    let path = cp.dir.join("review.json");
    std::fs::write(&path, review.to_string()).expect("write review");
    let out = ok(
        cp,
        &[
            "create",
            "--validate=false",
            "-f",
            path.to_str().unwrap_or(""),
            "-o",
            "json",
        ],
    );
    let answer: Value = serde_json::from_str(&out).expect("review json");
    assert_eq!(answer["status"]["authenticated"], true, "{answer}");
    assert_eq!(
        answer["status"]["user"]["username"],
        "system:serviceaccount:tokens:robot"
    );
    let bad = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"}});
    std::fs::write(&path, bad.to_string()).expect("write review");
    let out = ok(
        cp,
        &[
            "create",
            "--validate=false",
            "-f",
            path.to_str().unwrap_or(""),
            "-o",
            "json",
        ],
    );
    let answer: Value = serde_json::from_str(&out).expect("review json");
    assert_ne!(answer["status"]["authenticated"], true, "{answer}");

    // Durations below kube's minimum are refused.
    let short = cp.kubectl(&["create", "token", "robot", "-n", "tokens", "--duration=1m"]);
    assert!(!short.status.success());
    assert!(
        stderr(&short).contains("may not specify a duration less than 10 minutes"),
        "{}",
        stderr(&short)
    );

    // A token bound to a pod dies with the pod.
    ok(
        cp,
        &[
            "run",
            "holder",
            "-n",
            "tokens",
            "--image=busybox",
            "--restart=Never",
        ],
    );
    let bound = ok(
        cp,
        &[
            "create",
            "token",
            "robot",
            "-n",
            "tokens",
            "--bound-object-kind=Pod",
            "--bound-object-name=holder",
        ],
    );
    let bound_kc = token_kubeconfig(cp, "robot-bound", bound.trim());
    assert!(kubectl_as(&bound_kc, &["auth", "whoami"]).status.success());
    ok(cp, &["delete", "pod", "holder", "-n", "tokens", "--wait"]);
    wait_until("the pod-bound token to be refused", || {
        let o = kubectl_as(&bound_kc, &["auth", "whoami"]);
        !o.status.success() && stderr(&o).contains("Unauthorized")
    });

    // Deleting the service account ends its tokens.
    ok(cp, &["delete", "serviceaccount", "robot", "-n", "tokens"]);
    wait_until("the token to be refused", || {
        let o = kubectl_as(&kc, &["auth", "whoami"]);
        !o.status.success() && stderr(&o).contains("Unauthorized")
    });
    // A new account with the same name has a new uid: the old token stays dead.
    ok(cp, &["create", "serviceaccount", "robot", "-n", "tokens"]);
    let o = kubectl_as(&kc, &["auth", "whoami"]);
    assert!(!o.status.success(), "{}", stdout(&o));
}

#[test]
fn tokens_expire() {
    use vnest_apiserver::satoken::{BoundClaims, TokenSigner, ISSUER};
    let cp = cp();
    ok(cp, &["create", "namespace", "expiry"]);
    ok(
        cp,
        &["create", "serviceaccount", "shortlived", "-n", "expiry"],
    );
    let uid = ok(
        cp,
        &[
            "get",
            "sa",
            "shortlived",
            "-n",
            "expiry",
            "-o",
            "jsonpath={.metadata.uid}",
        ],
    );
    // kube refuses TokenRequests under 10 minutes, so sign a short token with the
    // cluster's own key the way TokenRequest does.
    let key = std::fs::read_to_string(cp.dir.join("pki/service-account.key")).expect("sa key");
    let signer = TokenSigner::from_pem(&key).expect("signer");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let claims = BoundClaims {
        namespace: "expiry".into(),
        service_account: "shortlived".into(),
        service_account_uid: uid.trim().into(),
        audiences: vec![ISSUER.into()],
        issued_at: now,
        expires_at: now + 3,
        bound: None,
        node: None,
        id: "test".into(),
    };
    let token = signer.sign(&claims.to_claims()).expect("sign");
    let kc = token_kubeconfig(cp, "shortlived", &token);
    assert!(kubectl_as(&kc, &["auth", "whoami"]).status.success());
    std::thread::sleep(Duration::from_secs(4));
    let o = kubectl_as(&kc, &["auth", "whoami"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Unauthorized"), "{}", stderr(&o));
    // The wrong audience is refused too.
    let mut other = claims.clone();
    other.expires_at = now + 600;
    other.audiences = vec!["https://elsewhere".into()];
    let kc = token_kubeconfig(
        cp,
        "elsewhere",
        &signer.sign(&other.to_claims()).expect("sign"),
    );
    assert!(!kubectl_as(&kc, &["auth", "whoami"]).status.success());
}

#[test]
fn legacy_token_secrets_are_filled_and_work() {
    let cp = cp();
    ok(cp, &["create", "namespace", "legacy"]);
    ok(cp, &["create", "serviceaccount", "old", "-n", "legacy"]);
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "old-token", "namespace": "legacy", "annotations": {"kubernetes.io/service-account.name": "old"}},
    });
    let path = cp.dir.join("legacy-secret.json");
    std::fs::write(&path, secret.to_string()).expect("write secret");
    ok(cp, &["create", "-f", path.to_str().unwrap_or("")]);
    let mut token = String::new();
    wait_until("the token controller to fill the secret", || {
        let o = cp.kubectl(&[
            "get",
            "secret",
            "old-token",
            "-n",
            "legacy",
            "-o",
            "jsonpath={.data.token}",
        ]);
        token = stdout(&o);
        !token.trim().is_empty()
    });
    let ca = ok(
        cp,
        &[
            "get",
            "secret",
            "old-token",
            "-n",
            "legacy",
            "-o",
            "jsonpath={.data.ca\\.crt}",
        ],
    );
    assert!(!ca.trim().is_empty());
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .expect("base64 token");
    let token = String::from_utf8(token).expect("utf8 token");
    let kc = token_kubeconfig(cp, "legacy", &token);
    let who = stdout(&kubectl_as(&kc, &["auth", "whoami", "-o", "json"]));
    assert!(who.contains("system:serviceaccount:legacy:old"), "{who}");
    ok(cp, &["delete", "serviceaccount", "old", "-n", "legacy"]);
    wait_until("the stale token secret to go", || {
        !cp.kubectl(&["get", "secret", "old-token", "-n", "legacy"])
            .status
            .success()
    });
    assert!(!kubectl_as(&kc, &["auth", "whoami"]).status.success());
}

#[test]
fn bad_credentials_get_401_and_anonymous_gets_public_info_only() {
    let cp = cp();
    // A forged token.
    let (code, body) = curl(
        cp,
        &[
            "-H",
            "Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA",
        ],
        "/api",
    );
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("\"reason\":\"Unauthorized\""), "{body}");
    let (code, _) = curl(cp, &["-H", "Authorization: Bearer nope"], "/healthz");
    assert_eq!(code, 401);
    // A client certificate from another CA.
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mallory");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "system:masters");
    let cert = params.signed_by(&key, &issuer).expect("cert");
    let _ = ca;
    let cert_path = cp.dir.join("foreign.crt");
    let key_path = cp.dir.join("foreign.key");
    std::fs::write(&cert_path, cert.pem()).expect("cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("key");
    let (code, body) = curl(
        cp,
        &[
            "--cert",
            cert_path.to_str().unwrap_or(""),
            "--key",
            key_path.to_str().unwrap_or(""),
        ],
        "/api/v1/namespaces",
    );
    assert_eq!(code, 401, "{body}");
    // Anonymous: public info yes, the API no (kube's 403 wording).
    for path in ["/version", "/healthz", "/readyz", "/livez"] {
        let (code, body) = curl(cp, &[], path);
        assert_eq!(code, 200, "{path}: {body}");
    }
    let (code, body) = curl(cp, &[], "/api");
    assert_eq!(code, 403, "{body}");
    let status: Value = serde_json::from_str(&body).expect("status");
    assert_eq!(
        status["message"],
        "forbidden: User \"system:anonymous\" cannot get path \"/api\""
    );
    let (code, body) = curl(cp, &[], "/api/v1/namespaces/default/configmaps");
    assert_eq!(code, 403);
    let status: Value = serde_json::from_str(&body).expect("status");
    assert_eq!(
        status["message"],
        "configmaps is forbidden: User \"system:anonymous\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
    );
}

#[test]
fn rbac_view_edit_admin_and_escalation() {
    let cp = cp();
    let alice = token_kubeconfig(cp, "alice", "alice-token");
    let bob = token_kubeconfig(cp, "bob", "bob-token");
    ok(cp, &["create", "namespace", "team-a"]);
    ok(cp, &["create", "namespace", "team-b"]);
    ok(
        cp,
        &[
            "create",
            "configmap",
            "settings",
            "-n",
            "team-a",
            "--from-literal=k=v",
        ],
    );

    // Nothing granted yet.
    let o = kubectl_as(&alice, &["get", "configmaps", "-n", "team-a"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"team-a\""),
        "{}",
        stderr(&o)
    );
    // view in team-a: read yes, write no.
    ok(
        cp,
        &[
            "create",
            "rolebinding",
            "alice-view",
            "-n",
            "team-a",
            "--clusterrole=view",
            "--user=alice",
        ],
    );
    wait_until("alice to be able to list", || {
        kubectl_as(&alice, &["get", "configmaps", "-n", "team-a"])
            .status
            .success()
    });
    let o = kubectl_as(&alice, &["create", "configmap", "x", "-n", "team-a"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("User \"alice\" cannot create resource \"configmaps\""),
        "{}",
        stderr(&o)
    );
    // view does not include secrets.
    assert!(!kubectl_as(&alice, &["get", "secrets", "-n", "team-a"])
        .status
        .success());
    // Nothing in another namespace.
    assert!(!kubectl_as(&alice, &["get", "configmaps", "-n", "team-b"])
        .status
        .success());

    // bob is admin of team-b through his group.
    ok(
        cp,
        &[
            "create",
            "rolebinding",
            "team-b-admin",
            "-n",
            "team-b",
            "--clusterrole=admin",
            "--group=team-b",
        ],
    );
    wait_until("bob to be able to create", || {
        kubectl_as(&bob, &["create", "configmap", "mine", "-n", "team-b"])
            .status
            .success()
    });
    assert!(kubectl_as(&bob, &["get", "secrets", "-n", "team-b"])
        .status
        .success());
    assert!(!kubectl_as(&bob, &["get", "configmaps", "-n", "team-a"])
        .status
        .success());
    // A namespace admin may hand out what he holds, in his namespace.
    let o = kubectl_as(
        &bob,
        &[
            "create",
            "rolebinding",
            "alice-edit",
            "-n",
            "team-b",
            "--clusterrole=edit",
            "--user=alice",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // ...but not cluster-admin, and not a role with rights he lacks.
    let o = kubectl_as(
        &bob,
        &[
            "create",
            "rolebinding",
            "bob-root",
            "-n",
            "team-b",
            "--clusterrole=cluster-admin",
            "--user=bob",
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is attempting to grant RBAC permissions not currently held"),
        "{}",
        stderr(&o)
    );
    let o = kubectl_as(
        &bob,
        &[
            "create",
            "role",
            "node-reader",
            "-n",
            "team-b",
            "--verb=get",
            "--resource=nodes",
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is attempting to grant RBAC permissions not currently held"),
        "{}",
        stderr(&o)
    );
    let o = kubectl_as(
        &bob,
        &[
            "create",
            "clusterrolebinding",
            "bob-root",
            "--clusterrole=cluster-admin",
            "--user=bob",
        ],
    );
    assert!(!o.status.success());
    // A role within his rights is fine.
    let o = kubectl_as(
        &bob,
        &[
            "create",
            "role",
            "cm-reader",
            "-n",
            "team-b",
            "--verb=get",
            "--resource=configmaps",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn can_i_whoami_and_impersonation_across_kubectl_versions() {
    let cp = cp();
    ok(cp, &["create", "namespace", "canis"]);
    ok(
        cp,
        &[
            "create",
            "rolebinding",
            "carol-edit",
            "-n",
            "canis",
            "--clusterrole=edit",
            "--user=carol",
        ],
    );
    let carol = token_kubeconfig(cp, "carol", "carol-token");
    wait_until("carol's binding", || {
        stdout(&kubectl_as(
            &carol,
            &["auth", "can-i", "create", "deployments", "-n", "canis"],
        ))
        .trim()
            == "yes"
    });
    for bin in KUBECTLS {
        let run = |kc: &PathBuf, args: &[&str]| kubectl_bin_as(bin, kc, args);
        let answer = |kc: &PathBuf, args: &[&str]| stdout(&run(kc, args)).trim().to_string();
        assert_eq!(
            answer(
                &carol,
                &["auth", "can-i", "create", "deployments", "-n", "canis"]
            ),
            "yes",
            "{bin}"
        );
        assert_eq!(
            answer(&carol, &["auth", "can-i", "create", "roles", "-n", "canis"]),
            "no",
            "{bin}"
        );
        assert_eq!(
            answer(&carol, &["auth", "can-i", "list", "pods", "-n", "default"]),
            "no",
            "{bin}"
        );
        let list = stdout(&run(&carol, &["auth", "can-i", "--list", "-n", "canis"]));
        assert!(list.contains("deployments.apps"), "{bin}: {list}");
        assert!(list.contains("selfsubjectaccessreviews"), "{bin}: {list}");
        // Admin impersonating carol.
        let o = Command::new(bin)
            .args([
                "auth",
                "can-i",
                "delete",
                "pods",
                "-n",
                "canis",
                "--as=carol",
            ])
            .env("KUBECONFIG", &cp.kubeconfig)
            .output()
            .expect("kubectl");
        assert_eq!(stdout(&o).trim(), "yes", "{bin}");
        let o = Command::new(bin)
            .args(["auth", "can-i", "delete", "nodes", "--as=carol"])
            .env("KUBECONFIG", &cp.kubeconfig)
            .output()
            .expect("kubectl");
        assert_eq!(stdout(&o).trim(), "no", "{bin}");
        let who = stdout(&run(&carol, &["auth", "whoami", "-o", "json"]));
        assert!(who.contains("\"username\": \"carol\""), "{bin}: {who}");
        let o = Command::new(bin)
            .args([
                "auth",
                "whoami",
                "-o",
                "json",
                "--as=carol",
                "--as-group=devs",
            ])
            .env("KUBECONFIG", &cp.kubeconfig)
            .output()
            .expect("kubectl");
        let who = stdout(&o);
        assert!(
            who.contains("\"carol\"") && who.contains("devs"),
            "{bin}: {who}"
        );
    }
    // Impersonation needs the impersonate verb.
    let o = kubectl_as(&carol, &["get", "pods", "-n", "canis", "--as=alice"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("users \"alice\" is forbidden: User \"carol\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"),
        "{}",
        stderr(&o)
    );
    // An impersonated user is authorized as that user.
    let o = cp.kubectl(&["get", "configmaps", "-n", "canis", "--as=nobody"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("User \"nobody\" cannot list resource \"configmaps\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn subject_access_reviews() {
    let cp = cp();
    ok(cp, &["create", "namespace", "sar"]);
    ok(
        cp,
        &[
            "create",
            "rolebinding",
            "alice-view",
            "-n",
            "sar",
            "--clusterrole=view",
            "--user=alice",
        ],
    );
    let review = |kind: &str, ns: Option<&str>, verb: &str| -> bool {
        let mut meta = json!({});
        if let Some(ns) = ns {
            meta["namespace"] = json!(ns);
        }
        let body = json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "spec": {"user": "alice", "resourceAttributes": {"namespace": "sar", "verb": verb, "resource": "pods"}},
        });
        let path = cp.dir.join(format!("{kind}.json"));
        std::fs::write(&path, body.to_string()).expect("write");
        let out = ok(
            cp,
            &[
                "create",
                "--validate=false",
                "-f",
                path.to_str().unwrap_or(""),
                "-o",
                "json",
            ],
        );
        let v: Value = serde_json::from_str(&out).expect("json");
        v["status"]["allowed"] == true
    };
    wait_until("the binding to count", || {
        review("SubjectAccessReview", None, "list")
    });
    assert!(!review("SubjectAccessReview", None, "create"));
    assert!(review("LocalSubjectAccessReview", Some("sar"), "get"));
    assert!(!review("LocalSubjectAccessReview", Some("sar"), "delete"));
}

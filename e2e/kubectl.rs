//! kubectl against a real `vnest control-plane` process on loopback.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{shared, stderr, stdout};
use serde_json::Value;

/// The kubectl binaries every scenario runs with: the dispatcher (which picks the
/// server's minor) and the pinned 1.31, 1.32 and 1.33.
fn kubectls() -> Vec<(&'static str, String)> {
    let dir = "/usr/lib/google-cloud-sdk/bin";
    let mut out = vec![("dispatcher", "kubectl".to_string())];
    for (label, v) in [("k131", "1.31"), ("k132", "1.32"), ("k133", "1.33")] {
        let pinned = format!("{dir}/kubectl.{v}");
        let path = if std::path::Path::new(&pinned).exists() {
            pinned
        } else {
            format!("kubectl.{v}")
        };
        out.push((label, path));
    }
    out
}

fn run(bin: &str, args: &[&str]) -> std::process::Output {
    let cp = shared();
    Command::new(bin)
        .args(args)
        .env("KUBECONFIG", &cp.kubeconfig)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
}

fn ok_with(bin: &str, args: &[&str]) -> String {
    let o = run(bin, args);
    assert!(
        o.status.success(),
        "{bin} {} failed:\n{}\n--- server log tail ---\n{}",
        args.join(" "),
        stderr(&o),
        common::tail(&shared().log(), 30)
    );
    stdout(&o)
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn apply_stdin(bin: &str, args: &[&str], manifest: &str) -> std::process::Output {
    let cp = shared();
    let mut child = Command::new(bin)
        .args(args)
        .env("KUBECONFIG", &cp.kubeconfig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(manifest.as_bytes())
        .expect("write manifest");
    child.wait_with_output().expect("kubectl output")
}

#[test]
fn version_and_discovery() {
    for (label, k) in kubectls() {
        let v = json_of(&ok_with(&k, &["version", "-o", "json"]));
        assert_eq!(v["serverVersion"]["major"], "1", "{label}");
        assert_eq!(v["serverVersion"]["minor"], "33", "{label}");
        let resources = ok_with(&k, &["api-resources"]);
        for needle in ["deployments", "configmaps", "namespaces", "clusterroles"] {
            assert!(
                resources.contains(needle),
                "{label}: {needle} missing:\n{resources}"
            );
        }
        let ns = ok_with(&k, &["get", "namespaces", "-o", "name"]);
        for n in [
            "namespace/default",
            "namespace/kube-system",
            "namespace/kube-public",
        ] {
            assert!(ns.contains(n), "{label}: {ns}");
        }
        let table = ok_with(&k, &["get", "namespaces"]);
        assert!(
            table.starts_with("NAME"),
            "{label}: server-side table:\n{table}"
        );
        assert!(table.contains("Active"), "{label}: {table}");
        let explain = ok_with(&k, &["explain", "deployment.spec.template.spec.containers"]);
        assert!(explain.contains("FIELD: containers"), "{label}: {explain}");
        assert!(explain.contains("image"), "{label}: {explain}");
    }
}

#[test]
fn configmap_lifecycle_with_labels_annotations_and_patches() {
    for (label, k) in kubectls() {
        let ns = format!("cm-life-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        let out = apply_stdin(
            &k,
            &["apply", "-n", ns, "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    app: web\ndata:\n  mode: fast\n",
        );
        assert!(out.status.success(), "{label}: {}", stderr(&out));
        ok_with(
            &k,
            &["label", "-n", ns, "configmap", "settings", "tier=backend"],
        );
        ok_with(
            &k,
            &[
                "annotate",
                "-n",
                ns,
                "configmap",
                "settings",
                "owner=team-a",
            ],
        );
        ok_with(
            &k,
            &[
                "patch",
                "-n",
                ns,
                "configmap",
                "settings",
                "--type",
                "merge",
                "-p",
                r#"{"data":{"size":"3"}}"#,
            ],
        );
        ok_with(
            &k,
            &[
                "patch",
                "-n",
                ns,
                "configmap",
                "settings",
                "--type",
                "json",
                "-p",
                r#"[{"op":"replace","path":"/data/mode","value":"slow"}]"#,
            ],
        );
        ok_with(
            &k,
            &[
                "patch",
                "-n",
                ns,
                "configmap",
                "settings",
                "--type",
                "strategic",
                "-p",
                r#"{"data":{"extra":"yes"}}"#,
            ],
        );
        let cm = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "configmap", "settings", "-o", "json"],
        ));
        assert_eq!(cm["metadata"]["labels"]["tier"], "backend", "{label}");
        assert_eq!(cm["metadata"]["labels"]["app"], "web", "{label}");
        assert_eq!(cm["metadata"]["annotations"]["owner"], "team-a", "{label}");
        assert_eq!(cm["data"]["mode"], "slow", "{label}");
        assert_eq!(cm["data"]["size"], "3", "{label}");
        assert_eq!(cm["data"]["extra"], "yes", "{label}");
        let yaml = ok_with(
            &k,
            &["get", "-n", ns, "configmap", "settings", "-o", "yaml"],
        );
        assert!(yaml.contains("mode: slow"), "{label}: {yaml}");
        let by_label = ok_with(
            &k,
            &[
                "get",
                "-n",
                ns,
                "configmaps",
                "-l",
                "tier=backend",
                "-o",
                "name",
            ],
        );
        assert_eq!(by_label.trim(), "configmap/settings", "{label}");
        let none = ok_with(
            &k,
            &[
                "get",
                "-n",
                ns,
                "configmaps",
                "-l",
                "tier!=backend",
                "-o",
                "name",
            ],
        );
        assert!(!none.contains("settings"), "{label}: {none}");
        let described = ok_with(&k, &["describe", "-n", ns, "configmap", "settings"]);
        assert!(
            described.contains("owner: team-a") || described.contains("owner=team-a"),
            "{label}: {described}"
        );
        ok_with(&k, &["delete", "-n", ns, "configmap", "settings", "--wait"]);
        let gone = run(&k, &["get", "-n", ns, "configmap", "settings"]);
        assert!(!gone.status.success(), "{label}");
        assert!(
            stderr(&gone).contains("not found"),
            "{label}: {}",
            stderr(&gone)
        );
    }
}

const APP_V1: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    stage: beta
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: fast
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  key: value
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
stringData:
  password: hunter2
"#;

#[test]
fn apply_then_reapply_with_changes() {
    for (label, k) in kubectls() {
        let ns = format!("apply-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        let out = apply_stdin(&k, &["apply", "-n", ns, "-f", "-"], APP_V1);
        assert!(
            out.status.success(),
            "{label}: first apply: {}",
            stderr(&out)
        );
        let changed = APP_V1
            .replace("image: nginx:1.25", "image: nginx:1.27")
            .replace(
                "          value: fast\n",
                "          value: fast\n        - name: LEVEL\n          value: debug\n",
            )
            .replace("    stage: beta\n", "");
        let out = apply_stdin(&k, &["apply", "-n", ns, "-f", "-"], &changed);
        assert!(out.status.success(), "{label}: re-apply: {}", stderr(&out));
        let d = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "deployment", "web", "-o", "json"],
        ));
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], "nginx:1.27", "{label}");
        let env: Vec<(String, String)> = c["env"]
            .as_array()
            .expect("env")
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap_or("").into(),
                    e["value"].as_str().unwrap_or("").into(),
                )
            })
            .collect();
        assert_eq!(
            env,
            [
                ("MODE".into(), "fast".into()),
                ("LEVEL".into(), "debug".into())
            ],
            "{label}"
        );
        assert_eq!(
            d["metadata"]["labels"].get("stage"),
            None,
            "{label}: removed label is gone"
        );
        assert_eq!(d["metadata"]["labels"]["app"], "web", "{label}");
        assert_eq!(d["spec"]["replicas"], 2, "{label}");
        assert_eq!(d["metadata"]["generation"], 2, "{label}: spec changed once");
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate", "{label}");
        assert_eq!(d["spec"]["revisionHistoryLimit"], 10, "{label}");
        let s = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "secret", "web-secret", "-o", "json"],
        ));
        assert_eq!(s["data"]["password"], "aHVudGVyMg==", "{label}");
        let names = ok_with(&k, &["get", "-n", ns, "deploy,svc,cm,secret", "-o", "name"]);
        for n in [
            "deployment.apps/web",
            "service/web",
            "configmap/web-config",
            "secret/web-secret",
        ] {
            assert!(names.contains(n), "{label}: {n} missing in\n{names}");
        }
        let wide = ok_with(&k, &["get", "-n", ns, "deployment", "web", "-o", "wide"]);
        assert!(
            wide.contains("nginx:1.27") && wide.contains("app=web"),
            "{label}: {wide}"
        );
        // Server-side dry run changes nothing.
        let out = apply_stdin(
            &k,
            &["apply", "--dry-run=server", "-n", ns, "-f", "-"],
            &changed.replace("replicas: 2", "replicas: 5"),
        );
        assert!(out.status.success(), "{label}: {}", stderr(&out));
        let d = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "deployment", "web", "-o", "json"],
        ));
        assert_eq!(d["spec"]["replicas"], 2, "{label}: dry run persisted");
        ok_with(
            &k,
            &["scale", "-n", ns, "deployment", "web", "--replicas=4"],
        );
        let d = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "deployment", "web", "-o", "json"],
        ));
        assert_eq!(d["spec"]["replicas"], 4, "{label}: scaled");
    }
}

#[test]
fn create_generators_use_protobuf_bodies() {
    for (label, k) in kubectls() {
        let ns = format!("gen-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        ok_with(
            &k,
            &["create", "configmap", "-n", ns, "c", "--from-literal=a=b"],
        );
        ok_with(
            &k,
            &[
                "create",
                "secret",
                "generic",
                "-n",
                ns,
                "s",
                "--from-literal=p=q",
            ],
        );
        ok_with(
            &k,
            &[
                "create",
                "deployment",
                "-n",
                ns,
                "d",
                "--image=nginx",
                "--replicas=2",
            ],
        );
        let cm = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "configmap", "c", "-o", "json"],
        ));
        assert_eq!(cm["data"]["a"], "b", "{label}");
        let s = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "secret", "s", "-o", "json"],
        ));
        assert_eq!(s["data"]["p"], "cQ==", "{label}");
        let d = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "deployment", "d", "-o", "json"],
        ));
        assert_eq!(d["spec"]["replicas"], 2, "{label}");
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx",
            "{label}"
        );
    }
}

#[test]
fn replace_with_stale_resource_version_conflicts() {
    for (label, k) in kubectls() {
        let ns = format!("stale-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        ok_with(
            &k,
            &["create", "configmap", "-n", ns, "c", "--from-literal=a=1"],
        );
        let old = ok_with(&k, &["get", "-n", ns, "configmap", "c", "-o", "json"]);
        ok_with(
            &k,
            &[
                "patch",
                "-n",
                ns,
                "configmap",
                "c",
                "--type",
                "merge",
                "-p",
                r#"{"data":{"a":"2"}}"#,
            ],
        );
        let path = shared().dir.join(format!("stale-cm-{label}.json"));
        std::fs::write(&path, &old).expect("write");
        let out = run(&k, &["replace", "-f", path.to_str().unwrap_or_default()]);
        assert!(!out.status.success(), "{label}: a stale replace must fail");
        let err = stderr(&out);
        assert!(
            err.contains("the object has been modified; please apply your changes to the latest version and try again"),
            "{label}: {err}"
        );
    }
}

#[test]
fn edit_with_a_scripted_editor() {
    for (label, k) in kubectls() {
        let ns = format!("edit-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        ok_with(
            &k,
            &[
                "create",
                "configmap",
                "-n",
                ns,
                "e",
                "--from-literal=mode=fast",
            ],
        );
        let cp = shared();
        let out = Command::new(&k)
            .args(["edit", "-n", ns, "configmap", "e"])
            .env("KUBECONFIG", &cp.kubeconfig)
            .env("KUBE_EDITOR", "sed -i s/mode:\\ fast/mode:\\ edited/")
            .output()
            .expect("kubectl edit");
        assert!(out.status.success(), "{label}: {}", stderr(&out));
        let cm = json_of(&ok_with(
            &k,
            &["get", "-n", ns, "configmap", "e", "-o", "json"],
        ));
        assert_eq!(cm["data"]["mode"], "edited", "{label}");
    }
}

#[test]
fn field_validation_failure_is_reported() {
    for (label, k) in kubectls() {
        let ns = format!("fv-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        let out = apply_stdin(
            &k,
            &["create", "-n", ns, "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndataa:\n  a: b\n",
        );
        assert!(
            !out.status.success(),
            "{label}: an unknown field must fail strict validation"
        );
        assert!(
            stderr(&out).contains("unknown field \"dataa\""),
            "{label}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn get_watch_sees_new_objects() {
    for (label, k) in kubectls() {
        let ns = format!("watching-{label}");
        let ns = ns.as_str();
        ok_with(&k, &["create", "namespace", ns]);
        let cp = shared();
        let mut child = Command::new(&k)
            .args(["get", "configmaps", "-n", ns, "-w", "-o", "name"])
            .env("KUBECONFIG", &cp.kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl get -w");
        std::thread::sleep(Duration::from_millis(500));
        ok_with(
            &k,
            &[
                "create",
                "configmap",
                "-n",
                ns,
                "seen-live",
                "--from-literal=a=b",
            ],
        );
        let stdout_pipe = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout_pipe)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut found = false;
        let mut seen = Vec::new();
        while Instant::now() < deadline && !found {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                found = line.contains("seen-live");
                seen.push(line);
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            found,
            "{label}: watch never showed the new configmap; saw {seen:?}"
        );
    }
}

#[test]
fn pod_deletion_waits_for_the_node_unless_forced() {
    let k = "kubectl";
    ok_with(k, &["create", "namespace", "pod-grace"]);
    let pod = |name: &str, node: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  nodeName: \"{node}\"\n  containers:\n  - name: c\n    image: busybox\n"
        )
    };
    // Never scheduled: gone at once.
    let out = apply_stdin(
        k,
        &["create", "-n", "pod-grace", "-f", "-"],
        &pod("loose", ""),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    ok_with(
        k,
        &["delete", "-n", "pod-grace", "pod", "loose", "--wait=false"],
    );
    assert!(!run(k, &["get", "-n", "pod-grace", "pod", "loose"])
        .status
        .success());
    // On a node: marked with its grace period, kept until the node (or --force) ends it.
    let out = apply_stdin(
        k,
        &["create", "-n", "pod-grace", "-f", "-"],
        &pod("placed", "node-1"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    ok_with(
        k,
        &["delete", "-n", "pod-grace", "pod", "placed", "--wait=false"],
    );
    let p = json_of(&ok_with(
        k,
        &["get", "-n", "pod-grace", "pod", "placed", "-o", "json"],
    ));
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    assert!(p["metadata"]["deletionTimestamp"].is_string());
    ok_with(
        k,
        &[
            "delete",
            "-n",
            "pod-grace",
            "pod",
            "placed",
            "--grace-period=0",
            "--force",
        ],
    );
    assert!(!run(k, &["get", "-n", "pod-grace", "pod", "placed"])
        .status
        .success());
}

#[test]
fn deleting_a_namespace_empties_and_removes_it() {
    let k = "kubectl";
    ok_with(k, &["create", "namespace", "doomed"]);
    ok_with(
        k,
        &[
            "create",
            "configmap",
            "-n",
            "doomed",
            "a",
            "--from-literal=x=y",
        ],
    );
    ok_with(
        k,
        &["create", "deployment", "-n", "doomed", "d", "--image=nginx"],
    );
    ok_with(
        k,
        &[
            "create",
            "secret",
            "generic",
            "-n",
            "doomed",
            "s",
            "--from-literal=p=q",
        ],
    );
    // kubectl waits for the namespace to be gone.
    ok_with(k, &["delete", "namespace", "doomed", "--timeout=60s"]);
    let gone = run(k, &["get", "namespace", "doomed"]);
    assert!(
        !gone.status.success(),
        "namespace still there: {}",
        stdout(&gone)
    );
    // Its content went with it (a namespace of the same name starts empty).
    ok_with(k, &["create", "namespace", "doomed"]);
    let left = ok_with(
        k,
        &[
            "get",
            "configmaps,deployments,secrets",
            "-n",
            "doomed",
            "-o",
            "name",
        ],
    );
    // Only what the serviceaccount controller puts into every new namespace.
    let left: Vec<&str> = left
        .lines()
        .filter(|l| *l != "configmap/kube-root-ca.crt")
        .collect();
    assert!(left.is_empty(), "leftovers: {left:?}");
    // The protected namespaces stay.
    let denied = run(k, &["delete", "namespace", "kube-system"]);
    assert!(!denied.status.success());
    assert!(
        stderr(&denied).contains("this namespace may not be deleted"),
        "{}",
        stderr(&denied)
    );
}

#[test]
fn every_namespace_gets_its_service_account_and_root_ca() {
    let k = "kubectl";
    ok_with(k, &["create", "namespace", "sa-check"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let sa = run(
            k,
            &[
                "get",
                "serviceaccount",
                "default",
                "-n",
                "sa-check",
                "-o",
                "name",
            ],
        );
        let ca = run(
            k,
            &[
                "get",
                "configmap",
                "kube-root-ca.crt",
                "-n",
                "sa-check",
                "-o",
                "jsonpath={.data.ca\\.crt}",
            ],
        );
        if sa.status.success() && stdout(&ca).contains("BEGIN CERTIFICATE") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no default service account / root CA in the namespace"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Deleted, it comes back.
    ok_with(
        k,
        &["delete", "serviceaccount", "default", "-n", "sa-check"],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !run(k, &["get", "serviceaccount", "default", "-n", "sa-check"])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "default service account not recreated"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

//! kubectl against a real `vnest control-plane` process on loopback.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ok, shared, stderr, stdout};
use serde_json::Value;

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn apply_stdin(args: &[&str], manifest: &str) -> std::process::Output {
    let cp = shared();
    let mut child = Command::new("kubectl")
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
    let cp = shared();
    let v = json_of(&ok(cp, &["version", "-o", "json"]));
    assert_eq!(v["serverVersion"]["major"], "1");
    assert_eq!(v["serverVersion"]["minor"], "33");
    let resources = ok(cp, &["api-resources"]);
    for needle in ["deployments", "configmaps", "namespaces", "clusterroles"] {
        assert!(resources.contains(needle), "{needle} missing:\n{resources}");
    }
    let ns = ok(cp, &["get", "namespaces", "-o", "name"]);
    for n in [
        "namespace/default",
        "namespace/kube-system",
        "namespace/kube-public",
    ] {
        assert!(ns.contains(n), "{ns}");
    }
}

#[test]
fn configmap_lifecycle_with_labels_annotations_and_patches() {
    let cp = shared();
    ok(cp, &["create", "namespace", "cm-life"]);
    let out = apply_stdin(
        &["apply", "-n", "cm-life", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    app: web\ndata:\n  mode: fast\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    ok(
        cp,
        &[
            "label",
            "-n",
            "cm-life",
            "configmap",
            "settings",
            "tier=backend",
        ],
    );
    ok(
        cp,
        &[
            "annotate",
            "-n",
            "cm-life",
            "configmap",
            "settings",
            "owner=team-a",
        ],
    );
    ok(
        cp,
        &[
            "patch",
            "-n",
            "cm-life",
            "configmap",
            "settings",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"size":"3"}}"#,
        ],
    );
    ok(
        cp,
        &[
            "patch",
            "-n",
            "cm-life",
            "configmap",
            "settings",
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/data/mode","value":"slow"}]"#,
        ],
    );
    ok(
        cp,
        &[
            "patch",
            "-n",
            "cm-life",
            "configmap",
            "settings",
            "-p",
            r#"{"data":{"extra":"yes"}}"#,
        ],
    );
    let cm = json_of(&ok(
        cp,
        &[
            "get",
            "-n",
            "cm-life",
            "configmap",
            "settings",
            "-o",
            "json",
        ],
    ));
    assert_eq!(cm["metadata"]["labels"]["tier"], "backend");
    assert_eq!(cm["metadata"]["labels"]["app"], "web");
    assert_eq!(cm["metadata"]["annotations"]["owner"], "team-a");
    assert_eq!(cm["data"]["mode"], "slow");
    assert_eq!(cm["data"]["size"], "3");
    assert_eq!(cm["data"]["extra"], "yes");
    let by_label = ok(
        cp,
        &[
            "get",
            "-n",
            "cm-life",
            "configmaps",
            "-l",
            "tier=backend",
            "-o",
            "name",
        ],
    );
    assert_eq!(by_label.trim(), "configmap/settings");
    let none = ok(
        cp,
        &[
            "get",
            "-n",
            "cm-life",
            "configmaps",
            "-l",
            "tier!=backend",
            "-o",
            "name",
        ],
    );
    assert!(!none.contains("settings"), "{none}");
    ok(cp, &["delete", "-n", "cm-life", "configmap", "settings"]);
    let gone = cp.kubectl(&["get", "-n", "cm-life", "configmap", "settings"]);
    assert!(!gone.status.success());
    assert!(
        stderr(&gone).contains("NotFound") || stderr(&gone).contains("not found"),
        "{}",
        stderr(&gone)
    );
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
    let cp = shared();
    ok(cp, &["create", "namespace", "apply-test"]);
    let out = apply_stdin(&["apply", "-n", "apply-test", "-f", "-"], APP_V1);
    assert!(out.status.success(), "first apply: {}", stderr(&out));
    let changed = APP_V1
        .replace("image: nginx:1.25", "image: nginx:1.27")
        .replace(
            "          value: fast\n",
            "          value: fast\n        - name: LEVEL\n          value: debug\n",
        )
        .replace("    stage: beta\n", "");
    let out = apply_stdin(&["apply", "-n", "apply-test", "-f", "-"], &changed);
    assert!(out.status.success(), "re-apply: {}", stderr(&out));
    let d = json_of(&ok(
        cp,
        &["get", "-n", "apply-test", "deployment", "web", "-o", "json"],
    ));
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "nginx:1.27");
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
        ]
    );
    assert_eq!(
        d["metadata"]["labels"].get("stage"),
        None,
        "removed label is gone"
    );
    assert_eq!(d["metadata"]["labels"]["app"], "web");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["metadata"]["generation"], 2, "spec changed once");
    // Defaults kube applies are there.
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    let s = json_of(&ok(
        cp,
        &[
            "get",
            "-n",
            "apply-test",
            "secret",
            "web-secret",
            "-o",
            "json",
        ],
    ));
    assert_eq!(s["data"]["password"], "aHVudGVyMg==");
    let names = ok(
        cp,
        &[
            "get",
            "-n",
            "apply-test",
            "deploy,svc,cm,secret",
            "-o",
            "name",
        ],
    );
    for n in [
        "deployment.apps/web",
        "service/web",
        "configmap/web-config",
        "secret/web-secret",
    ] {
        assert!(names.contains(n), "{n} missing in\n{names}");
    }
}

#[test]
fn replace_with_stale_resource_version_conflicts() {
    let cp = shared();
    ok(cp, &["create", "namespace", "stale"]);
    ok(
        cp,
        &[
            "create",
            "configmap",
            "-n",
            "stale",
            "c",
            "--from-literal=a=1",
        ],
    );
    let old = ok(cp, &["get", "-n", "stale", "configmap", "c", "-o", "json"]);
    ok(
        cp,
        &[
            "patch",
            "-n",
            "stale",
            "configmap",
            "c",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"a":"2"}}"#,
        ],
    );
    let path = cp.dir.join("stale-cm.json");
    std::fs::write(&path, &old).expect("write");
    let out = cp.kubectl(&["replace", "-f", path.to_str().unwrap_or_default()]);
    assert!(!out.status.success(), "a stale replace must fail");
    let err = stderr(&out);
    assert!(
        err.contains("the object has been modified; please apply your changes to the latest version and try again"),
        "{err}"
    );
}

#[test]
fn get_watch_sees_new_objects() {
    let cp = shared();
    ok(cp, &["create", "namespace", "watching"]);
    let mut child = Command::new("kubectl")
        .args(["get", "configmaps", "-n", "watching", "-w", "-o", "name"])
        .env("KUBECONFIG", &cp.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl get -w");
    std::thread::sleep(Duration::from_millis(500));
    ok(
        cp,
        &[
            "create",
            "configmap",
            "-n",
            "watching",
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
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if line.contains("seen-live") {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            seen.push(line);
        }
    }
    let _ = child.kill();
    panic!("watch never showed the new configmap; saw {seen:?}");
}

#[test]
fn server_side_dry_run_and_delete_wait() {
    let cp = shared();
    ok(cp, &["create", "namespace", "dry"]);
    let out = apply_stdin(
        &["apply", "--dry-run=server", "-n", "dry", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ghost\ndata:\n  a: b\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let gone = cp.kubectl(&["get", "-n", "dry", "configmap", "ghost"]);
    assert!(
        !gone.status.success(),
        "dry-run must not persist: {}",
        stdout(&gone)
    );
    ok(
        cp,
        &[
            "create",
            "configmap",
            "-n",
            "dry",
            "real",
            "--from-literal=a=b",
        ],
    );
    ok(cp, &["delete", "-n", "dry", "configmap", "real", "--wait"]);
}

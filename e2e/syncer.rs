//! The syncer end to end: virtual control planes (local `vnest control-plane`
//! processes) whose pods run on the dev host (`vnest host`), each syncer holding only
//! a Role in the shared host namespace. Deployments run as renamed host pods; status,
//! addresses and nodes come back; configmaps and secrets follow; two virtual clusters
//! share one host namespace without collisions; long names are hashed; deleting a
//! virtual namespace removes its host objects.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    eventually, free_port, http_get, ok, port_forward, stderr, stdout, wait_listening,
    ControlPlane, Shared,
};

const HOST_NS: &str = "vc-e2e";

/// A host kubeconfig for a service account that holds only a Role in `HOST_NS`.
fn namespace_only_credentials(host: &Shared) -> PathBuf {
    credentials_for(host, HOST_NS)
}

/// A host kubeconfig for the service account of deploy/syncer-role.yaml, which holds
/// only a Role in `ns`.
fn credentials_for(host: &Shared, ns: &str) -> PathBuf {
    let _ = host.kubectl(&["create", "namespace", ns]);
    // The Role shipped in deploy/, for this namespace.
    let role = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/syncer-role.yaml"
    ))
    .expect("deploy/syncer-role.yaml")
    .replace("NAMESPACE", ns);
    let path = host.dir.join(format!("syncer-role-{ns}.yaml"));
    std::fs::write(&path, role).expect("role manifest");
    ok(host, &["apply", "-f", path.to_str().unwrap_or_default()]);
    let token = ok(
        host,
        &["create", "token", "vnest-syncer", "-n", ns, "--duration=2h"],
    );
    let kc = common::token_kubeconfig(host, &format!("syncer-{ns}"), token.trim());
    // The credentials really are confined to the namespace.
    let o = common::kubectl_with_kubeconfig(&kc, &["get", "pods", "-n", "default"]);
    assert!(
        !o.status.success(),
        "the syncer must not read other namespaces"
    );
    kc
}

fn virtual_args<'a>(
    name: &'a str,
    host_kubeconfig: &'a std::path::Path,
    host_ns: &'a str,
) -> Vec<&'a str> {
    vec![
        "--name",
        name,
        "--host-kubeconfig",
        host_kubeconfig.to_str().unwrap_or_default(),
        "--host-namespace",
        host_ns,
    ]
}

fn start_virtual(name: &str, host_kubeconfig: &std::path::Path) -> ControlPlane {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-syncer-{name}-{}", std::process::id()));
    ControlPlane::start(&dir, &virtual_args(name, host_kubeconfig, HOST_NS))
}

/// The host pods of one virtual namespace, by the marker label, as `pod/NAME` lines.
fn host_pods_of(host: &Shared, virtual_ns: &str) -> String {
    let selector = format!("vnest.io/namespace={virtual_ns}");
    ok(
        host,
        &["get", "pods", "-n", HOST_NS, "-l", &selector, "-o", "name"],
    )
}

fn jsonpath(cp: &Shared, args: &[&str], path: &str) -> String {
    let expr = format!("jsonpath={path}");
    let mut all = args.to_vec();
    all.extend(["-o", &expr]);
    ok(cp, &all)
}

#[test]
fn virtual_workloads_run_on_the_host_renamed_confined_and_in_sync() {
    let host = common::shared_host();
    let creds = namespace_only_credentials(host);
    let a = start_virtual("a", &creds);
    let b = start_virtual("b", &creds);

    // A deployment using a configmap and a secret.
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: hi\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: s3cret\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        envFrom:\n        - configMapRef:\n            name: settings\n        volumeMounts:\n        - name: creds\n          mountPath: /creds\n      volumes:\n      - name: creds\n        secret:\n          secretName: creds\n";
    let path = a.dir.join("web.yaml");
    std::fs::write(&path, manifest).expect("manifest");
    ok(&a, &["apply", "-f", path.to_str().unwrap_or_default()]);
    ok(
        &a,
        &["rollout", "status", "deployment/web", "--timeout=90s"],
    );

    let virtual_pods = ok(&a, &["get", "pods", "-l", "app=web", "-o", "name"]);
    let virtual_pods: Vec<String> = virtual_pods
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    assert_eq!(virtual_pods.len(), 3);
    for vpod in &virtual_pods {
        let hname = format!("{vpod}-x-default-x-a");
        let hpod = ["get", "pod", &hname, "-n", HOST_NS];
        eventually("the virtual pod to carry the host pod's address", || {
            jsonpath(&a, &["get", "pod", vpod], "{.status.podIP}")
                == jsonpath(host, &hpod, "{.status.podIP}")
        });
        assert_eq!(
            jsonpath(host, &hpod, "{.metadata.labels.vnest\\.io/managed-by} {.metadata.labels.vnest\\.io/namespace} {.metadata.labels.app}"),
            "a default web"
        );
        assert_eq!(
            jsonpath(
                host,
                &hpod,
                "{.metadata.annotations.vnest\\.io/object-name}"
            ),
            *vpod
        );
        assert_eq!(
            jsonpath(host, &hpod, "{.metadata.annotations.vnest\\.io/object-uid}"),
            jsonpath(&a, &["get", "pod", vpod], "{.metadata.uid}")
        );
        assert_eq!(
            jsonpath(
                host,
                &hpod,
                "{.spec.automountServiceAccountToken} {.spec.enableServiceLinks}"
            ),
            "false false"
        );
        assert_eq!(
            jsonpath(&a, &["get", "pod", vpod], "{.spec.nodeName}"),
            jsonpath(host, &hpod, "{.spec.nodeName}")
        );
        assert_eq!(
            jsonpath(&a, &["get", "pod", vpod], "{.status.phase}"),
            "Running"
        );
    }
    // What the host's scheduler and kubelet said about a pod shows on the virtual pod.
    let first = &virtual_pods[0];
    eventually("the host events on the virtual pod", || {
        let reasons = jsonpath(
            &a,
            &[
                "get",
                "events",
                "--field-selector",
                &format!("involvedObject.name={first}"),
            ],
            "{.items[*].reason}",
        );
        reasons.contains("Scheduled") && reasons.contains("Started")
    });
    let described = ok(&a, &["describe", "pod", first]);
    assert!(
        described.contains(&format!("Successfully assigned default/{first} to ")),
        "{described}"
    );
    // The nodes those pods run on exist in the virtual cluster.
    let nodes = ok(&a, &["get", "nodes", "-o", "name"]);
    assert!(!nodes.trim().is_empty());

    // A service has one ClusterIP in both clusters, and both list the pods.
    ok(
        &a,
        &[
            "expose",
            "deployment",
            "web",
            "--port=80",
            "--target-port=8080",
        ],
    );
    let virtual_ip = jsonpath(&a, &["get", "service", "web"], "{.spec.clusterIP}");
    let host_svc = ["get", "service", "web-x-default-x-a", "-n", HOST_NS];
    assert_eq!(jsonpath(host, &host_svc, "{.spec.clusterIP}"), virtual_ip);
    assert_eq!(
        jsonpath(
            host,
            &host_svc,
            "{.spec.selector.app} {.spec.selector.vnest\\.io/managed-by}"
        ),
        "web a"
    );
    let mut pod_ips: Vec<String> = virtual_pods
        .iter()
        .map(|p| jsonpath(&a, &["get", "pod", p], "{.status.podIP}"))
        .collect();
    pod_ips.sort();
    let virtual_side: &Shared = &a;
    for (cp, args) in [
        (virtual_side, vec!["get", "endpoints", "web"]),
        (
            host,
            vec!["get", "endpoints", "web-x-default-x-a", "-n", HOST_NS],
        ),
    ] {
        eventually("endpoints listing the pods", || {
            let mut ips: Vec<String> = jsonpath(cp, &args, "{.subsets[*].addresses[*].ip}")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            ips.sort();
            ips == pod_ips
        });
    }
    // A selector change follows to the host; the address stays.
    ok(
        &a,
        &[
            "patch",
            "service",
            "web",
            "-p",
            r#"{"spec":{"selector":{"app":"web","tier":"front"}}}"#,
        ],
    );
    eventually("the host selector to follow", || {
        jsonpath(host, &host_svc, "{.spec.selector.tier}") == "front"
    });
    assert_eq!(jsonpath(host, &host_svc, "{.spec.clusterIP}"), virtual_ip);

    // A service without a selector: its hand-written endpoints cross too, and go
    // with it.
    let manual = "apiVersion: v1\nkind: Service\nmetadata:\n  name: ext\nspec:\n  ports:\n  - port: 5432\n---\napiVersion: v1\nkind: Endpoints\nmetadata:\n  name: ext\nsubsets:\n- addresses:\n  - ip: 192.0.2.10\n  ports:\n  - port: 5432\n";
    let path = a.dir.join("ext.yaml");
    std::fs::write(&path, manual).expect("manifest");
    ok(&a, &["apply", "-f", path.to_str().unwrap_or_default()]);
    let host_ep = ["get", "endpoints", "ext-x-default-x-a", "-n", HOST_NS];
    eventually("the hand-written endpoints on the host", || {
        host.kubectl(&host_ep).status.success()
            && jsonpath(host, &host_ep, "{.subsets[0].addresses[0].ip}") == "192.0.2.10"
    });
    ok(&a, &["delete", "service", "ext"]);
    eventually("the host endpoints to go with the service", || {
        !host.kubectl(&host_ep).status.success()
    });

    // Configmap and secret cross renamed, and follow updates.
    let cm = ["get", "configmap", "settings-x-default-x-a", "-n", HOST_NS];
    assert_eq!(jsonpath(host, &cm, "{.data.greeting}"), "hi");
    let secret = ["get", "secret", "creds-x-default-x-a", "-n", HOST_NS];
    assert!(!jsonpath(host, &secret, "{.data.password}").is_empty());
    ok(
        &a,
        &[
            "patch",
            "configmap",
            "settings",
            "-p",
            r#"{"data":{"greeting":"hello"}}"#,
        ],
    );
    eventually("the host copy to follow the update", || {
        jsonpath(host, &cm, "{.data.greeting}") == "hello"
    });

    // Two virtual clusters, one host namespace, the same pod name: no collision.
    for cp in [&a, &b] {
        ok(cp, &["run", "same", "--image=nginx"]);
    }
    for vc in ["a", "b"] {
        let hpod = format!("same-x-default-x-{vc}");
        eventually("both host pods", || {
            host.kubectl(&["get", "pod", &hpod, "-n", HOST_NS])
                .status
                .success()
        });
    }
    // Service links come from the virtual namespace's services.
    let env = jsonpath(
        host,
        &["get", "pod", "same-x-default-x-a", "-n", HOST_NS],
        r#"{.spec.containers[0].env[?(@.name=="WEB_SERVICE_HOST")].value}"#,
    );
    assert_eq!(env, virtual_ip);
    // Someone edits a host pod's labels: they are put back.
    ok(
        host,
        &[
            "label",
            "pod",
            "same-x-default-x-a",
            "-n",
            HOST_NS,
            "run=hacked",
            "--overwrite",
        ],
    );
    eventually("the host label to be reconciled back", || {
        jsonpath(
            host,
            &["get", "pod", "same-x-default-x-a", "-n", HOST_NS],
            "{.metadata.labels.run}",
        ) == "same"
    });
    // A label added in the virtual cluster reaches the host pod.
    ok(&a, &["label", "pod", "same", "tier=edge"]);
    eventually("the new label on the host pod", || {
        jsonpath(
            host,
            &["get", "pod", "same-x-default-x-a", "-n", HOST_NS],
            "{.metadata.labels.tier}",
        ) == "edge"
    });
    // A 60-character pod name in a 40-character namespace: a hashed 63-character host name.
    let long_ns = "n".repeat(40);
    let long_pod = "p".repeat(60);
    ok(&a, &["create", "namespace", &long_ns]);
    ok(&a, &["run", &long_pod, "--image=nginx", "-n", &long_ns]);
    eventually("the long-named pod to run", || {
        jsonpath(
            &a,
            &["get", "pod", &long_pod, "-n", &long_ns],
            "{.status.phase}",
        ) == "Running"
    });
    let hosted = host_pods_of(host, &long_ns);
    let hosted = hosted.trim().trim_start_matches("pod/");
    assert_eq!(hosted.len(), 63, "{hosted}");
    assert!(hosted.starts_with(&"p".repeat(52)), "{hosted}");

    // A statefulset's claims cross to the host; the claim goes with its virtual one.
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  replicas: 1\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n      - name: db\n        image: postgres\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n";
    let path = a.dir.join("db.yaml");
    std::fs::write(&path, sts).expect("manifest");
    ok(&a, &["apply", "-f", path.to_str().unwrap_or_default()]);
    let host_claim = ["get", "pvc", "data-db-0-x-default-x-a", "-n", HOST_NS];
    eventually("the host claim", || {
        host.kubectl(&host_claim).status.success()
    });
    assert_eq!(
        jsonpath(host, &host_claim, "{.spec.resources.requests.storage}"),
        "1Gi"
    );
    eventually("the db pod to run", || {
        jsonpath(&a, &["get", "pod", "db-0"], "{.status.phase}") == "Running"
    });
    assert_eq!(
        jsonpath(
            host,
            &["get", "pod", "db-0-x-default-x-a", "-n", HOST_NS],
            "{.spec.volumes[?(@.name==\"data\")].persistentVolumeClaim.claimName}"
        ),
        "data-db-0-x-default-x-a"
    );
    ok(&a, &["delete", "statefulset", "db"]);
    ok(&a, &["delete", "pvc", "data-db-0", "--wait=false"]);
    eventually("the host claim to go with the virtual one", || {
        !host.kubectl(&host_claim).status.success()
    });

    // Logs through the virtual cluster come from the host pod's process.
    ok(
        &a,
        &[
            "run",
            "talker",
            "--image=busybox",
            "--command",
            "--",
            "sh",
            "-c",
            "echo hello from the host; sleep 120",
        ],
    );
    eventually("the talker's log through the virtual cluster", || {
        a.kubectl(&["logs", "talker"]).status.success()
            && stdout(&a.kubectl(&["logs", "talker"])).contains("hello from the host")
    });
    let followed = std::process::Command::new("timeout")
        .args(["3", "kubectl", "logs", "-f", "talker", "--timestamps"])
        .env("KUBECONFIG", &a.kubeconfig)
        .output()
        .expect("kubectl logs -f");
    assert!(
        stdout(&followed).contains("Z hello from the host"),
        "{}",
        stdout(&followed)
    );
    let missing = a.kubectl(&["logs", "talker", "-c", "nope"]);
    assert!(!missing.status.success());

    // A privileged pod is refused by the virtual API server itself (kube-apiserver's
    // --allow-privileged=false); a pod the API admits but the baseline Pod Security
    // level does not (host network) is refused by the syncer, visibly, and never
    // reaches the host.
    let privileged = a.kubectl(&[
        "run",
        "priv",
        "--image=nginx",
        "--overrides",
        r#"{"spec":{"containers":[{"name":"priv","image":"nginx","securityContext":{"privileged":true}}]}}"#,
    ]);
    assert!(!privileged.status.success());
    assert!(
        stderr(&privileged).contains("disallowed by cluster policy"),
        "{}",
        stderr(&privileged)
    );
    ok(
        &a,
        &[
            "run",
            "hostnet",
            "--image=nginx",
            "--overrides",
            r#"{"spec":{"hostNetwork":true}}"#,
        ],
    );
    let scheduled = |field: &str| {
        jsonpath(
            &a,
            &["get", "pod", "hostnet"],
            &format!(r#"{{.status.conditions[?(@.type=="PodScheduled")].{field}}}"#),
        )
    };
    eventually("the refusal on the virtual pod", || {
        scheduled("reason") == "PodSecurity"
    });
    let message = scheduled("message");
    assert!(
        message.contains(
            "violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)"
        ),
        "{message}"
    );
    eventually("the SyncRefused event", || {
        jsonpath(
            &a,
            &[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=hostnet",
            ],
            "{.items[*].reason}",
        )
        .contains("SyncRefused")
    });
    assert!(!host
        .kubectl(&["get", "pod", "hostnet-x-default-x-a", "-n", HOST_NS])
        .status
        .success());

    // Deleting the virtual namespace removes its host objects.
    ok(&a, &["delete", "namespace", &long_ns, "--timeout=60s"]);
    eventually("the host pod of the deleted namespace to go", || {
        host_pods_of(host, &long_ns).trim().is_empty()
    });
    // Deleting the virtual service removes the host one.
    ok(&a, &["delete", "service", "web"]);
    eventually("the host service to go", || {
        !host.kubectl(&host_svc).status.success()
    });
    // Deleting the deployment removes its host pods; unused copies go too.
    ok(&a, &["delete", "deployment", "web", "--timeout=60s"]);
    eventually("the deployment's host pods and data copies to go", || {
        let left = ok(
            host,
            &[
                "get",
                "pods,configmaps,secrets",
                "-n",
                HOST_NS,
                "-o",
                "name",
            ],
        );
        !left.lines().any(|l| {
            l.contains("/web-")
                || l.contains("/settings-x-default-x-a")
                || l.contains("/creds-x-default-x-a")
        })
    });
}

#[test]
fn after_a_kill_the_syncer_converges_without_duplicates_or_leftovers() {
    const NS: &str = "vc-restart";
    let host = common::shared_host();
    let creds = credentials_for(host, NS);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-syncer-restart-{}", std::process::id()));
    let args = virtual_args("r", &creds, NS);
    let cp = ControlPlane::start(&dir, &args);
    let port = cp.port;
    ok(
        &cp,
        &[
            "create",
            "deployment",
            "churn",
            "--image=nginx",
            "--replicas=4",
        ],
    );
    ok(
        &cp,
        &["rollout", "status", "deployment/churn", "--timeout=90s"],
    );
    // Scale up and kill the control plane (SIGKILL) while the new pods are on their way.
    ok(&cp, &["scale", "deployment/churn", "--replicas=8"]);
    std::thread::sleep(Duration::from_millis(150));
    drop(cp);

    // While it is down, the host changes: one of its pods is deleted, a stray pod
    // carrying its marker appears, and a pod of someone else's appears.
    let ours = ok(
        host,
        &[
            "get",
            "pods",
            "-n",
            NS,
            "-l",
            "vnest.io/managed-by=r",
            "-o",
            "name",
        ],
    );
    let victim = ours.lines().next().expect("a host pod").to_string();
    ok(host, &["delete", &victim, "-n", NS, "--wait=false"]);
    let strays = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ghost-x-default-x-r\n  namespace: {NS}\n  labels:\n    vnest.io/managed-by: r\n    vnest.io/namespace: default\n  annotations:\n    vnest.io/object-kind: Pod\n    vnest.io/object-name: ghost\n    vnest.io/object-namespace: default\n    vnest.io/object-uid: gone\nspec:\n  containers:\n  - name: c\n    image: nginx\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bystander\n  namespace: {NS}\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
    );
    let path = host.dir.join("strays.yaml");
    std::fs::write(&path, strays).expect("strays");
    ok(host, &["apply", "-f", path.to_str().unwrap_or_default()]);

    let cp = ControlPlane::restart(&dir, port, &args);
    ok(
        &cp,
        &["rollout", "status", "deployment/churn", "--timeout=90s"],
    );
    eventually("the host to hold exactly the virtual pods", || {
        let mut want: Vec<String> = ok(&cp, &["get", "pods", "-l", "app=churn", "-o", "name"])
            .lines()
            .map(|l| format!("{l}-x-default-x-r"))
            .collect();
        want.sort();
        let mut have: Vec<String> = ok(
            host,
            &[
                "get",
                "pods",
                "-n",
                NS,
                "-l",
                "vnest.io/managed-by=r",
                "-o",
                "name",
            ],
        )
        .lines()
        .map(str::to_string)
        .collect();
        have.sort();
        want.len() == 8 && have == want
    });
    assert!(
        host.kubectl(&["get", "pod", "bystander", "-n", NS])
            .status
            .success(),
        "a pod without the marker is never touched"
    );
    let phases = ok(
        &cp,
        &[
            "get",
            "pods",
            "-l",
            "app=churn",
            "-o",
            "jsonpath={.items[*].status.phase}",
        ],
    );
    assert!(
        phases.split_whitespace().all(|p| p == "Running"),
        "{phases}"
    );
}

#[test]
fn exec_and_port_forward_reach_the_host_pod_through_the_virtual_cluster() {
    const NS: &str = "vc-streams";
    let host = common::shared_host();
    let creds = credentials_for(host, NS);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-syncer-streams-{}", std::process::id()));
    let cp = ControlPlane::start(&dir, &virtual_args("s", &creds, NS));
    let port = free_port();
    ok(
        &cp,
        &[
            "run",
            "srv",
            "--image=python",
            "--command",
            "--",
            "python3",
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ],
    );
    eventually("the server pod to run", || {
        jsonpath(&cp, &["get", "pod", "srv"], "{.status.phase}") == "Running"
    });
    // The pod's process listens on the host loopback once it has started.
    wait_listening(port);
    let runs: [(&str, Vec<(&str, &str)>); 3] = [
        ("kubectl", vec![]),
        ("/usr/lib/google-cloud-sdk/bin/kubectl.1.31", vec![]),
        (
            "kubectl",
            vec![
                ("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"),
                ("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"),
            ],
        ),
    ];
    for (bin, env) in &runs {
        let o = Command::new(bin)
            .args([
                "exec",
                "srv",
                "--",
                "sh",
                "-c",
                "echo inside $HOSTNAME; exit 3",
            ])
            .env("KUBECONFIG", &cp.kubeconfig)
            .envs(env.iter().copied())
            .output()
            .expect("kubectl exec");
        assert_eq!(stdout(&o), "inside srv\n", "{bin} {env:?}: {}", stderr(&o));
        assert_eq!(
            o.status.code(),
            Some(3),
            "{bin} {env:?}: the exit code comes through"
        );
        let input = Command::new(bin)
            .args(["exec", "-i", "srv", "--", "cat"])
            .env("KUBECONFIG", &cp.kubeconfig)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin
                    .take()
                    .expect("stdin")
                    .write_all(b"through two clusters\n")?;
                c.wait_with_output()
            })
            .expect("kubectl exec -i");
        assert_eq!(stdout(&input), "through two clusters\n", "{bin} {env:?}");

        let (_forward, local) = port_forward(&cp, bin, env, "default", "srv", port);
        let page = http_get(local, "/");
        assert!(page.contains("Directory listing"), "{bin} {env:?}: {page}");
    }
}

#[test]
fn options_mirror_host_nodes_sync_all_data_and_give_host_objects_an_owner() {
    let host = common::shared_host();
    let ns = "vc-e2e-opts";
    let creds = credentials_for(host, ns);
    // Reading host nodes is the one cluster-wide right --sync-host-nodes needs.
    let rbac = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/syncer-nodes-clusterrole.yaml"
    ))
    .expect("deploy/syncer-nodes-clusterrole.yaml")
    .replace("NAMESPACE", ns);
    let rbac_path = host.dir.join("syncer-nodes-rbac.yaml");
    std::fs::write(&rbac_path, rbac).expect("rbac manifest");
    ok(
        host,
        &["apply", "-f", rbac_path.to_str().unwrap_or_default()],
    );
    // A host Service standing for the control plane, owner of the synced objects.
    ok(
        host,
        &[
            "create",
            "service",
            "clusterip",
            "opts-owner",
            "--tcp=443:8443",
            "-n",
            ns,
        ],
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-syncer-opts-{}", std::process::id()));
    let mut args = virtual_args("opts", &creds, ns);
    args.extend([
        "--sync-host-nodes",
        "--sync-all-configmaps",
        "--sync-all-secrets",
        "--host-owner-service",
        "opts-owner",
    ]);
    let vc = ControlPlane::start(&dir, &args);

    // Objects no pod uses cross too.
    ok(&vc, &["create", "configmap", "loose", "--from-literal=a=b"]);
    ok(
        &vc,
        &[
            "create",
            "secret",
            "generic",
            "loose-secret",
            "--from-literal=p=q",
        ],
    );
    let host_has = |what: &[&str]| {
        let mut all = vec!["get"];
        all.extend_from_slice(what);
        all.extend(["-n", ns]);
        host.kubectl(&all).status.success()
    };
    eventually("the unused configmap and secret on the host", || {
        host_has(&["configmap", "loose-x-default-x-opts"])
            && host_has(&["secret", "loose-secret-x-default-x-opts"])
    });

    // A pod: its virtual node mirrors the host node; its host pod has the owner.
    ok(
        &vc,
        &["run", "solo", "--image=busybox", "--", "sleep", "3600"],
    );
    eventually("the pod to run", || {
        jsonpath(&vc, &["get", "pod", "solo"], "{.status.phase}") == "Running"
    });
    let node = jsonpath(&vc, &["get", "pod", "solo"], "{.spec.nodeName}");
    assert!(!node.is_empty());
    eventually("the virtual node to mirror the host node", || {
        vc.kubectl(&["get", "node", &node]).status.success()
            && jsonpath(&vc, &["get", "node", &node], "{.metadata.labels.type}")
                == "vnest-simulated"
    });
    for field in [
        "{.status.capacity.cpu}",
        "{.status.nodeInfo.osImage}",
        "{.spec.podCIDR}",
    ] {
        assert_eq!(
            jsonpath(&vc, &["get", "node", &node], field),
            jsonpath(host, &["get", "node", &node], field),
            "{field}"
        );
    }
    let owner_uid = jsonpath(
        host,
        &["get", "service", "opts-owner", "-n", ns],
        "{.metadata.uid}",
    );
    for obj in [
        ["pod", "solo-x-default-x-opts"],
        ["configmap", "loose-x-default-x-opts"],
    ] {
        let mut q = vec!["get"];
        q.extend(obj);
        q.extend(["-n", ns]);
        assert_eq!(
            jsonpath(host, &q, "{.metadata.ownerReferences[0].uid}"),
            owner_uid,
            "{obj:?} is owned by the control plane's Service"
        );
    }
    // No pod on the node any more: its virtual node goes.
    ok(&vc, &["delete", "pod", "solo", "--wait=false"]);
    eventually("the unneeded virtual node to go", || {
        !vc.kubectl(&["get", "node", &node]).status.success()
    });

    // The control plane gone and its Service deleted, the host's garbage collector
    // removes what the syncer made.
    ok(
        &vc,
        &["run", "again", "--image=busybox", "--", "sleep", "3600"],
    );
    eventually("the second host pod", || {
        host_has(&["pod", "again-x-default-x-opts"])
    });
    drop(vc);
    ok(host, &["delete", "service", "opts-owner", "-n", ns]);
    eventually("owned host objects to go", || {
        !host_has(&["configmap", "loose-x-default-x-opts"])
            && !host_has(&["secret", "loose-secret-x-default-x-opts"])
            && !host_has(&["pod", "again-x-default-x-opts"])
    });
}

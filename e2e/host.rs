//! The dev host end to end (`vnest host`: API server, controllers, scheduler and
//! simulated nodes running pods' commands as local processes), driven by kubectl
//! 1.33 and 1.31: deployments roll out, update, roll back, scale and are collected;
//! jobs complete or fail for real; logs stream; services get endpoints; a pod that
//! fits nowhere stays Pending with kube's event; deleting a namespace empties it.

mod common;

use std::time::{Duration, Instant};

use common::{eventually, stderr, stdout, Shared};

const KUBECTLS: &[(&str, &str)] = &[
    ("133", "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"),
    ("131", "/usr/lib/google-cloud-sdk/bin/kubectl.1.31"),
];

fn ok(cp: &Shared, bin: &str, args: &[&str]) -> String {
    let o = cp.kubectl_with(bin, args);
    assert!(
        o.status.success(),
        "{bin} {} failed:\n{}\n--- host log ---\n{}",
        args.join(" "),
        stderr(&o),
        common::tail(&cp.log(), 30)
    );
    stdout(&o)
}

#[test]
fn deployments_roll_out_update_undo_scale_and_are_collected() {
    let cp = common::shared_host();
    for (tag, bin) in KUBECTLS {
        let ns = format!("deploy-{tag}");
        ok(cp, bin, &["create", "namespace", &ns]);
        ok(
            cp,
            bin,
            &[
                "create",
                "deployment",
                "web",
                "--image=nginx:1.26",
                "--replicas=3",
                "-n",
                &ns,
            ],
        );
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "deployment/web",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        let pods = ok(cp, bin, &["get", "pods", "-n", &ns, "-o", "wide"]);
        assert_eq!(pods.matches("Running").count(), 3, "{pods}");
        // A new image rolls out without going below 3 - maxUnavailable (25% of 3 = 0).
        ok(
            cp,
            bin,
            &[
                "set",
                "image",
                "deployment/web",
                "nginx=nginx:1.27",
                "-n",
                &ns,
            ],
        );
        let watch_ns = ns.clone();
        let min_seen = std::thread::spawn({
            let kubeconfig = cp.kubeconfig.clone();
            move || {
                let mut min = i64::MAX;
                let deadline = Instant::now() + Duration::from_secs(20);
                while Instant::now() < deadline {
                    let o = std::process::Command::new("kubectl")
                        .args(["get", "deployment", "web", "-n", &watch_ns, "-o", "jsonpath={.status.availableReplicas}/{.status.updatedReplicas}/{.status.replicas}"])
                        .env("KUBECONFIG", &kubeconfig)
                        .output();
                    let Ok(o) = o else { break };
                    let text = String::from_utf8_lossy(&o.stdout).to_string();
                    let parts: Vec<i64> = text.split('/').map(|p| p.parse().unwrap_or(0)).collect();
                    if let Some(avail) = parts.first() {
                        min = min.min(*avail);
                    }
                    if parts.get(1) == Some(&3)
                        && parts.get(2) == Some(&3)
                        && parts.first() == Some(&3)
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                min
            }
        });
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "deployment/web",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        let min = min_seen.join().unwrap_or(0);
        assert!(min >= 3, "availability dropped to {min} during the rollout");
        let rs = ok(cp, bin, &["get", "rs", "-n", &ns]);
        assert_eq!(rs.lines().count(), 3, "{rs}");
        let history = ok(
            cp,
            bin,
            &["rollout", "history", "deployment/web", "-n", &ns],
        );
        assert!(history.contains('1') && history.contains('2'), "{history}");
        // Undo brings the first template (and its ReplicaSet) back.
        ok(cp, bin, &["rollout", "undo", "deployment/web", "-n", &ns]);
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "deployment/web",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        let image = ok(
            cp,
            bin,
            &[
                "get",
                "deployment",
                "web",
                "-n",
                &ns,
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ],
        );
        assert_eq!(image, "nginx:1.26");
        let rs = ok(cp, bin, &["get", "rs", "-n", &ns]);
        assert_eq!(
            rs.lines().count(),
            3,
            "undo reuses the old ReplicaSet: {rs}"
        );
        ok(
            cp,
            bin,
            &["scale", "deployment/web", "--replicas=5", "-n", &ns],
        );
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "deployment/web",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        eventually("5 running pods", || {
            ok(cp, bin, &["get", "pods", "-n", &ns])
                .matches("Running")
                .count()
                == 5
        });
        // Deleting the deployment collects its ReplicaSets and pods.
        ok(cp, bin, &["delete", "deployment", "web", "-n", &ns]);
        eventually("the replica sets and pods to go", || {
            ok(cp, bin, &["get", "rs,pods", "-n", &ns, "-o", "name"])
                .trim()
                .is_empty()
        });
    }
}

#[test]
fn foreground_and_orphan_deletion() {
    let cp = common::shared_host();
    let k = "kubectl";
    ok(cp, k, &["create", "namespace", "gc"]);
    ok(
        cp,
        k,
        &[
            "create",
            "deployment",
            "fg",
            "--image=nginx",
            "--replicas=2",
            "-n",
            "gc",
        ],
    );
    ok(
        cp,
        k,
        &[
            "create",
            "deployment",
            "orphan",
            "--image=nginx",
            "--replicas=2",
            "-n",
            "gc",
        ],
    );
    ok(
        cp,
        k,
        &[
            "rollout",
            "status",
            "deployment/fg",
            "-n",
            "gc",
            "--timeout=60s",
        ],
    );
    ok(
        cp,
        k,
        &[
            "rollout",
            "status",
            "deployment/orphan",
            "-n",
            "gc",
            "--timeout=60s",
        ],
    );
    ok(
        cp,
        k,
        &[
            "delete",
            "deployment",
            "fg",
            "-n",
            "gc",
            "--cascade=foreground",
            "--timeout=60s",
        ],
    );
    let left = ok(
        cp,
        k,
        &["get", "rs,pods", "-n", "gc", "-l", "app=fg", "-o", "name"],
    );
    assert!(left.trim().is_empty(), "foreground deletion left {left}");
    ok(
        cp,
        k,
        &[
            "delete",
            "deployment",
            "orphan",
            "-n",
            "gc",
            "--cascade=orphan",
        ],
    );
    eventually("the orphaned replica set to lose its owner", || {
        let owners = ok(
            cp,
            k,
            &[
                "get",
                "rs",
                "-n",
                "gc",
                "-l",
                "app=orphan",
                "-o",
                "jsonpath={.items[*].metadata.ownerReferences}",
            ],
        );
        owners.trim().is_empty()
            && !ok(
                cp,
                k,
                &["get", "rs", "-n", "gc", "-l", "app=orphan", "-o", "name"],
            )
            .trim()
            .is_empty()
    });
    let pods = ok(
        cp,
        k,
        &["get", "pods", "-n", "gc", "-l", "app=orphan", "-o", "name"],
    );
    assert_eq!(pods.lines().count(), 2, "{pods}");
}

#[test]
fn jobs_run_their_commands_and_logs_stream() {
    let cp = common::shared_host();
    for (tag, bin) in KUBECTLS {
        let ns = format!("jobs-{tag}");
        ok(cp, bin, &["create", "namespace", &ns]);
        ok(
            cp,
            bin,
            &[
                "create",
                "job",
                "hello",
                "--image=busybox",
                "-n",
                &ns,
                "--",
                "sh",
                "-c",
                "echo hello; exit 0",
            ],
        );
        ok(
            cp,
            bin,
            &[
                "wait",
                "--for=condition=complete",
                "job/hello",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        assert_eq!(
            ok(cp, bin, &["logs", "job/hello", "-n", &ns]).trim(),
            "hello"
        );
        let manifest = format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: boom\n  namespace: {ns}\nspec:\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n        command: [sh, -c, 'echo failing; exit 1']\n"
        );
        let path = cp.dir.join(format!("boom-{tag}.yaml"));
        std::fs::write(&path, manifest).expect("manifest");
        ok(cp, bin, &["apply", "-f", path.to_str().unwrap_or("")]);
        ok(
            cp,
            bin,
            &[
                "wait",
                "--for=condition=failed",
                "job/boom",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        let reason = ok(
            cp,
            bin,
            &[
                "get",
                "job",
                "boom",
                "-n",
                &ns,
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}",
            ],
        );
        assert_eq!(reason, "BackoffLimitExceeded");
        assert_eq!(
            ok(
                cp,
                bin,
                &[
                    "get",
                    "job",
                    "boom",
                    "-n",
                    &ns,
                    "-o",
                    "jsonpath={.status.failed}"
                ]
            ),
            "2"
        );
    }
    // A long-running pod: follow its log while it writes, with timestamps and tail.
    for (tag, k) in KUBECTLS {
        let k = *k;
        let ns = format!("logs-{tag}");
        ok(cp, k, &["create", "namespace", &ns]);
        ok(
            cp,
            k,
            &[
                "run",
                "ticker",
                "--image=busybox",
                "-n",
                &ns,
                "--command",
                "--",
                "sh",
                "-c",
                "for i in 1 2 3 4; do echo tick $i; sleep 0.3; done; sleep 60",
            ],
        );
        eventually("the ticker to run", || {
            ok(
                cp,
                k,
                &[
                    "get",
                    "pod",
                    "ticker",
                    "-n",
                    &ns,
                    "-o",
                    "jsonpath={.status.phase}",
                ],
            ) == "Running"
        });
        let o = std::process::Command::new("timeout")
            .args(["5", k, "logs", "-f", "ticker", "-n", &ns])
            .env("KUBECONFIG", &cp.kubeconfig)
            .output()
            .expect("kubectl logs -f");
        let followed = stdout(&o);
        assert!(
            followed.contains("tick 1") && followed.contains("tick 4"),
            "{followed}"
        );
        assert_eq!(
            ok(cp, k, &["logs", "ticker", "-n", &ns, "--tail=1"]).trim(),
            "tick 4"
        );
        let stamped = ok(
            cp,
            k,
            &["logs", "ticker", "-n", &ns, "--timestamps", "--tail=1"],
        );
        assert!(stamped.contains("Z tick 4"), "{stamped}");
        // Graceful deletion stops the process.
        ok(
            cp,
            k,
            &[
                "delete",
                "pod",
                "ticker",
                "-n",
                &ns,
                "--grace-period=1",
                "--timeout=30s",
            ],
        );
    }
    let k = "kubectl";
    ok(cp, k, &["create", "namespace", "logs"]);
    // The pod's working directory and environment.
    ok(
        cp,
        k,
        &[
            "run",
            "env",
            "--image=busybox",
            "--restart=Never",
            "-n",
            "logs",
            "--env=GREETING=hi",
            "--command",
            "--",
            "sh",
            "-c",
            "echo $GREETING from $HOSTNAME; cat hostname",
        ],
    );
    eventually("the env pod to finish", || {
        ok(
            cp,
            k,
            &[
                "get",
                "pod",
                "env",
                "-n",
                "logs",
                "-o",
                "jsonpath={.status.phase}",
            ],
        ) == "Succeeded"
    });
    assert_eq!(
        ok(cp, k, &["logs", "env", "-n", "logs"]),
        "hi from env\nenv\n"
    );
}

#[test]
fn services_get_endpoints_of_ready_pods() {
    let cp = common::shared_host();
    let k = "kubectl";
    ok(cp, k, &["create", "namespace", "svc"]);
    ok(
        cp,
        k,
        &[
            "create",
            "deployment",
            "api",
            "--image=nginx",
            "--replicas=2",
            "--port=80",
            "-n",
            "svc",
        ],
    );
    ok(
        cp,
        k,
        &[
            "expose",
            "deployment",
            "api",
            "--port=8080",
            "--target-port=80",
            "-n",
            "svc",
        ],
    );
    ok(
        cp,
        k,
        &[
            "rollout",
            "status",
            "deployment/api",
            "-n",
            "svc",
            "--timeout=60s",
        ],
    );
    eventually("two endpoints", || {
        let ips = ok(
            cp,
            k,
            &[
                "get",
                "endpoints",
                "api",
                "-n",
                "svc",
                "-o",
                "jsonpath={.subsets[*].addresses[*].ip}",
            ],
        );
        ips.split_whitespace().count() == 2
    });
    let slice = ok(
        cp,
        k,
        &[
            "get",
            "endpointslices",
            "-n",
            "svc",
            "-l",
            "kubernetes.io/service-name=api",
            "-o",
            "jsonpath={.items[0].ports[0].port}",
        ],
    );
    assert_eq!(slice, "80");
    let ip = ok(
        cp,
        k,
        &[
            "get",
            "svc",
            "api",
            "-n",
            "svc",
            "-o",
            "jsonpath={.spec.clusterIP}",
        ],
    );
    // From the default service range, 10.96.0.0/12.
    let second: u8 = ip
        .split('.')
        .nth(1)
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    assert!(
        ip.starts_with("10.") && (96..=111).contains(&second),
        "{ip}"
    );
}

#[test]
fn unschedulable_pods_stay_pending_with_an_event() {
    let cp = common::shared_host();
    for (tag, k) in KUBECTLS {
        let ns = format!("sched-{tag}");
        ok(cp, k, &["create", "namespace", &ns]);
        ok(
            cp,
            k,
            &[
                "run",
                "nowhere",
                "--image=nginx",
                "-n",
                &ns,
                "--overrides",
                r#"{"spec":{"nodeSelector":{"zone":"mars"}}}"#,
            ],
        );
        eventually("the FailedScheduling event", || {
            jsonpath(
                cp,
                k,
                &ns,
                &[
                    "get",
                    "events",
                    "--field-selector",
                    "involvedObject.name=nowhere",
                ],
                "{.items[*].reason}",
            )
            .contains("FailedScheduling")
        });
        let msg = jsonpath(
            cp,
            k,
            &ns,
            &["get", "pod", "nowhere"],
            r#"{.status.conditions[?(@.type=="PodScheduled")].message}"#,
        );
        assert_eq!(
            msg,
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        assert_eq!(
            jsonpath(cp, k, &ns, &["get", "pod", "nowhere"], "{.status.phase}"),
            "Pending"
        );
        let described = ok(cp, k, &["describe", "pod", "nowhere", "-n", &ns]);
        assert!(described.contains("FailedScheduling"), "{described}");
    }
    let nodes = ok(cp, "kubectl", &["get", "nodes", "-o", "name"]);
    assert_eq!(nodes.lines().count(), 3, "{nodes}");
}

#[test]
fn deleting_a_namespace_removes_everything_in_it() {
    let cp = common::shared_host();
    let crd = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../e2e/testdata/databases-crd.yaml"
    );
    ok(cp, "kubectl", &["apply", "--server-side", "-f", crd]);
    ok(
        cp,
        "kubectl",
        &[
            "wait",
            "--for=condition=established",
            "crd/databases.db.example.com",
            "--timeout=30s",
        ],
    );
    for (tag, k) in KUBECTLS {
        let ns = format!("doomed-{tag}");
        ok(cp, k, &["create", "namespace", &ns]);
        ok(
            cp,
            k,
            &[
                "create",
                "deployment",
                "d",
                "--image=nginx",
                "--replicas=2",
                "-n",
                &ns,
            ],
        );
        ok(
            cp,
            k,
            &["create", "configmap", "c", "-n", &ns, "--from-literal=a=b"],
        );
        apply(
            cp,
            k,
            &format!("doomed-db-{tag}"),
            &format!("apiVersion: db.example.com/v1\nkind: Database\nmetadata:\n  name: orders\n  namespace: {ns}\nspec:\n  version: v16\n  storage:\n    size: 1Gi\n"),
        );
        ok(
            cp,
            k,
            &[
                "rollout",
                "status",
                "deployment/d",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        ok(cp, k, &["delete", "namespace", &ns, "--timeout=60s"]);
        let o = cp.kubectl_with(k, &["get", "namespace", &ns]);
        assert!(!o.status.success());
        let left = ok(
            cp,
            k,
            &[
                "get",
                "databases,pods,replicasets,configmaps",
                "-A",
                "-o",
                "jsonpath={.items[*].metadata.namespace}",
            ],
        );
        assert!(!left.split_whitespace().any(|n| n == ns), "{left}");
    }
}

#[test]
fn a_cronjob_fires_and_its_job_runs() {
    let cp = common::shared_host();
    // One cronjob per kubectl: they fire at the same minute boundary.
    for (tag, k) in KUBECTLS {
        let ns = format!("cron-{tag}");
        ok(cp, k, &["create", "namespace", &ns]);
        ok(
            cp,
            k,
            &[
                "create",
                "cronjob",
                "tick",
                "--image=busybox",
                "--schedule=* * * * *",
                "-n",
                &ns,
                "--",
                "sh",
                "-c",
                "echo tick",
            ],
        );
    }
    // The next minute boundary is at most 60 s away.
    let deadline = Instant::now() + Duration::from_secs(90);
    for (tag, k) in KUBECTLS {
        let ns = format!("cron-{tag}");
        let job = loop {
            let name = jsonpath(cp, k, &ns, &["get", "jobs"], "{.items[*].metadata.name}");
            if let Some(first) = name.split_whitespace().next() {
                break first.to_string();
            }
            assert!(Instant::now() < deadline, "the cronjob never fired");
            std::thread::sleep(Duration::from_millis(500));
        };
        assert!(job.starts_with("tick-"), "{job}");
        ok(
            cp,
            k,
            &[
                "wait",
                "--for=condition=complete",
                &format!("job/{job}"),
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        assert_eq!(
            ok(cp, k, &["logs", &format!("job/{job}"), "-n", &ns]).trim(),
            "tick"
        );
        eventually("lastScheduleTime", || {
            !jsonpath(
                cp,
                k,
                &ns,
                &["get", "cronjob", "tick"],
                "{.status.lastScheduleTime}",
            )
            .is_empty()
        });
        ok(cp, k, &["delete", "cronjob", "tick", "-n", &ns]);
    }
}

fn apply(cp: &Shared, bin: &str, name: &str, manifest: &str) {
    let path = cp.dir.join(format!("{name}.yaml"));
    std::fs::write(&path, manifest).expect("manifest");
    ok(cp, bin, &["apply", "-f", path.to_str().unwrap_or("")]);
}

fn jsonpath(cp: &Shared, bin: &str, ns: &str, args: &[&str], path: &str) -> String {
    let mut all: Vec<&str> = args.to_vec();
    let expr = format!("jsonpath={path}");
    all.extend(["-n", ns, "-o", &expr]);
    ok(cp, bin, &all)
}

#[test]
fn a_statefulset_comes_up_in_order_updates_rolls_back_and_scales_down() {
    let cp = common::shared_host();
    for (tag, bin) in KUBECTLS {
        let ns = format!("sts-{tag}");
        ok(cp, bin, &["create", "namespace", &ns]);
        // The readiness delay makes the order visible: web-1 may only be created once
        // web-0 is Ready, a second or more after web-0 was created.
        apply(
            cp,
            bin,
            &format!("sts-{tag}"),
            &format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  clusterIP: None\n  selector:\n    app: web\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  serviceName: web\n  replicas: 3\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.26\n        readinessProbe:\n          initialDelaySeconds: 1\n          httpGet:\n            path: /\n            port: 80\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n"
            ),
        );
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "statefulset/web",
                "-n",
                &ns,
                "--timeout=90s",
            ],
        );
        let created: Vec<String> = (0..3)
            .map(|i| {
                jsonpath(
                    cp,
                    bin,
                    &ns,
                    &["get", "pod", &format!("web-{i}")],
                    "{.metadata.creationTimestamp}",
                )
            })
            .collect();
        let ready0 = jsonpath(
            cp,
            bin,
            &ns,
            &["get", "pod", "web-0"],
            r#"{.status.conditions[?(@.type=="Ready")].lastTransitionTime}"#,
        );
        assert!(
            created[0] < created[1] && created[1] < created[2],
            "pods created in order: {created:?}"
        );
        assert!(
            ready0 <= created[1],
            "web-1 ({}) waited for web-0 to be Ready ({ready0})",
            created[1]
        );
        assert_eq!(
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "pod", "web-2"],
                "{.spec.hostname}.{.spec.subdomain}"
            ),
            "web-2.web"
        );
        let claims = ok(cp, bin, &["get", "pvc", "-n", &ns, "-o", "name"]);
        assert_eq!(
            claims.lines().collect::<Vec<_>>(),
            [
                "persistentvolumeclaim/data-web-0",
                "persistentvolumeclaim/data-web-1",
                "persistentvolumeclaim/data-web-2"
            ]
        );
        assert_eq!(
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "pod", "web-1"],
                "{.spec.volumes[?(@.name==\"data\")].persistentVolumeClaim.claimName}"
            ),
            "data-web-1"
        );

        // A rolling update replaces every pod, highest ordinal first.
        ok(
            cp,
            bin,
            &[
                "set",
                "image",
                "statefulset/web",
                "nginx=nginx:1.27",
                "-n",
                &ns,
            ],
        );
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "statefulset/web",
                "-n",
                &ns,
                "--timeout=90s",
            ],
        );
        let images = jsonpath(
            cp,
            bin,
            &ns,
            &["get", "pods"],
            "{.items[*].spec.containers[0].image}",
        );
        assert_eq!(images, "nginx:1.27 nginx:1.27 nginx:1.27");
        let history = ok(
            cp,
            bin,
            &["rollout", "history", "statefulset/web", "-n", &ns],
        );
        assert_eq!(
            history
                .lines()
                .filter(|l| l.trim_start().starts_with(char::is_numeric))
                .count(),
            2,
            "{history}"
        );

        ok(cp, bin, &["rollout", "undo", "statefulset/web", "-n", &ns]);
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "statefulset/web",
                "-n",
                &ns,
                "--timeout=90s",
            ],
        );
        eventually("the rollback to reach every pod", || {
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "pods"],
                "{.items[*].spec.containers[0].image}",
            ) == "nginx:1.26 nginx:1.26 nginx:1.26"
        });
        let (current, update) = (
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "sts", "web"],
                "{.status.currentRevision}",
            ),
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "sts", "web"],
                "{.status.updateRevision}",
            ),
        );
        assert_eq!(current, update);

        // Scaling down removes the highest ordinals; the claims stay (Retain).
        ok(
            cp,
            bin,
            &["scale", "statefulset/web", "--replicas=1", "-n", &ns],
        );
        eventually("web-1 and web-2 to go", || {
            ok(cp, bin, &["get", "pods", "-n", &ns, "-o", "name"]).trim() == "pod/web-0"
        });
        assert_eq!(
            ok(cp, bin, &["get", "pvc", "-n", &ns, "-o", "name"])
                .lines()
                .count(),
            3
        );
        ok(cp, bin, &["delete", "namespace", &ns, "--wait=false"]);
    }
}

#[test]
fn a_daemonset_runs_one_pod_per_eligible_node_and_rolls_out() {
    let cp = common::shared_host();
    let nodes = ok(
        cp,
        "kubectl",
        &["get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"],
    );
    let node_names: Vec<&str> = nodes.split_whitespace().collect();
    assert_eq!(node_names.len(), 3);
    for (tag, bin) in KUBECTLS {
        let ns = format!("ds-{tag}");
        ok(cp, bin, &["create", "namespace", &ns]);
        apply(
            cp,
            bin,
            &format!("ds-{tag}"),
            &format!(
                "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels:\n      app: agent\n  template:\n    metadata:\n      labels:\n        app: agent\n    spec:\n      containers:\n      - name: agent\n        image: busybox\n"
            ),
        );
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "daemonset/agent",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        let placed = jsonpath(cp, bin, &ns, &["get", "pods"], "{.items[*].spec.nodeName}");
        let mut placed: Vec<&str> = placed.split_whitespace().collect();
        placed.sort();
        assert_eq!(placed, node_names, "one pod per node");

        ok(
            cp,
            bin,
            &[
                "set",
                "image",
                "daemonset/agent",
                "agent=busybox:1.37",
                "-n",
                &ns,
            ],
        );
        ok(
            cp,
            bin,
            &[
                "rollout",
                "status",
                "daemonset/agent",
                "-n",
                &ns,
                "--timeout=60s",
            ],
        );
        eventually("the old pods to go", || {
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "pods"],
                "{.items[*].spec.containers[0].image}",
            ) == "busybox:1.37 busybox:1.37 busybox:1.37"
        });
        ok(cp, bin, &["delete", "namespace", &ns, "--wait=false"]);
    }

    // A node selector narrows the set to the nodes that carry the label, and follows
    // the label as it comes and goes.
    let k = "kubectl";
    let chosen = node_names[1];
    ok(cp, k, &["create", "namespace", "ds-edge"]);
    ok(cp, k, &["label", "node", chosen, "vnest.dev/e2e-edge=yes"]);
    apply(
        cp,
        k,
        "ds-edge",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: edge\n  namespace: ds-edge\nspec:\n  selector:\n    matchLabels:\n      app: edge\n  template:\n    metadata:\n      labels:\n        app: edge\n    spec:\n      nodeSelector:\n        vnest.dev/e2e-edge: \"yes\"\n      containers:\n      - name: edge\n        image: busybox\n",
    );
    ok(
        cp,
        k,
        &[
            "rollout",
            "status",
            "daemonset/edge",
            "-n",
            "ds-edge",
            "--timeout=60s",
        ],
    );
    assert_eq!(
        jsonpath(
            cp,
            k,
            "ds-edge",
            &["get", "pods"],
            "{.items[*].spec.nodeName}"
        ),
        chosen
    );
    assert_eq!(
        jsonpath(
            cp,
            k,
            "ds-edge",
            &["get", "ds", "edge"],
            "{.status.desiredNumberScheduled}"
        ),
        "1"
    );
    ok(cp, k, &["label", "node", chosen, "vnest.dev/e2e-edge-"]);
    eventually("the daemon pod to leave the unlabelled node", || {
        jsonpath(
            cp,
            k,
            "ds-edge",
            &["get", "pods"],
            "{.items[*].metadata.name}",
        )
        .is_empty()
    });
    ok(cp, k, &["delete", "namespace", "ds-edge", "--wait=false"]);
}

#[test]
fn quotas_cap_what_a_namespace_holds_and_limit_ranges_fill_in_defaults() {
    let cp = common::shared_host();
    for (tag, bin) in KUBECTLS {
        let ns = format!("quota-{tag}");
        ok(cp, bin, &["create", "namespace", &ns]);
        ok(
            cp,
            bin,
            &[
                "create",
                "quota",
                "small",
                "--hard=pods=2,services=1,requests.cpu=1",
                "-n",
                &ns,
            ],
        );
        apply(
            cp,
            bin,
            &format!("limits-{tag}"),
            &format!("apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: {ns}\nspec:\n  limits:\n  - type: Container\n    max:\n      cpu: 500m\n    default:\n      cpu: 200m\n      memory: 64Mi\n    defaultRequest:\n      cpu: 100m\n"),
        );
        eventually("the quota to be counted", || {
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "quota", "small"],
                "{.status.used.pods}",
            ) == "0"
        });
        ok(
            cp,
            bin,
            &[
                "create",
                "deployment",
                "web",
                "--image=nginx",
                "--replicas=3",
                "-n",
                &ns,
            ],
        );
        eventually("the replicaset to report the quota", || {
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "rs"],
                r#"{.items[0].status.conditions[?(@.type=="ReplicaFailure")].message}"#,
            )
            .contains("exceeded quota: small, requested: pods=1, used: pods=2, limited: pods=2")
        });
        let pods = ok(cp, bin, &["get", "pods", "-n", &ns, "-o", "name"]);
        assert_eq!(pods.lines().count(), 2, "{pods}");
        // The LimitRange filled in what the template left out.
        let resources = jsonpath(
            cp,
            bin,
            &ns,
            &["get", "pods"],
            "{.items[0].spec.containers[0].resources}",
        );
        let resources: serde_json::Value = serde_json::from_str(&resources).expect("resources");
        assert_eq!(
            resources,
            serde_json::json!({"limits": {"cpu": "200m", "memory": "64Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}})
        );
        let note = jsonpath(
            cp,
            bin,
            &ns,
            &["get", "pods"],
            r#"{.items[0].metadata.annotations.kubernetes\.io/limit-ranger}"#,
        );
        assert_eq!(note, "LimitRanger plugin set: cpu, memory request for container nginx; cpu, memory limit for container nginx");
        eventually("the quota to show what is used", || {
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "quota", "small"],
                "{.status.used.pods} {.status.used.requests\\.cpu}",
            ) == "2 200m"
        });
        // Beyond the LimitRange's max: refused with kube's message.
        let o = cp.kubectl_with(
            bin,
            &["run", "greedy", "--image=nginx", "-n", &ns, "--overrides", r#"{"spec":{"containers":[{"name":"greedy","image":"nginx","resources":{"limits":{"cpu":"2"}}}]}}"#],
        );
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("pods \"greedy\" is forbidden: maximum cpu usage per Container is 500m, but limit is 2"),
            "{}",
            stderr(&o)
        );
        // Freeing a pod's worth of quota lets the deployment complete... once scaled to fit.
        ok(
            cp,
            bin,
            &["scale", "deployment/web", "--replicas=1", "-n", &ns],
        );
        eventually("the quota to give back what the scale-down freed", || {
            jsonpath(
                cp,
                bin,
                &ns,
                &["get", "quota", "small"],
                "{.status.used.pods}",
            ) == "1"
        });
        ok(
            cp,
            bin,
            &[
                "create",
                "service",
                "clusterip",
                "one",
                "--tcp=80",
                "-n",
                &ns,
            ],
        );
        let o = cp.kubectl_with(
            bin,
            &[
                "create",
                "service",
                "clusterip",
                "two",
                "--tcp=80",
                "-n",
                &ns,
            ],
        );
        assert!(
            stderr(&o).contains("exceeded quota: small, requested: services=1, used: services=1, limited: services=1"),
            "{}",
            stderr(&o)
        );
        ok(cp, bin, &["delete", "namespace", &ns, "--wait=false"]);
    }
}

#[test]
fn pod_addresses_come_from_the_configured_pod_cidr_one_range_per_node() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-podcidr-{}", std::process::id()));
    let host = common::ControlPlane::start_host(
        &dir,
        &[
            "--nodes",
            "2",
            "--pod-cidr",
            "10.55.0.0/16",
            "--node-cidr-mask-size",
            "28",
            "--no-exec",
        ],
    );
    let cp: &Shared = &host;
    let k = "kubectl";
    let ranges = ok(
        cp,
        k,
        &["get", "nodes", "-o", "jsonpath={.items[*].spec.podCIDR}"],
    );
    assert_eq!(ranges, "10.55.0.0/28 10.55.0.16/28");
    // 20 pods in two ranges of 14 usable addresses each.
    ok(
        cp,
        k,
        &[
            "create",
            "deployment",
            "many",
            "--image=nginx",
            "--replicas=20",
        ],
    );
    ok(
        cp,
        k,
        &["rollout", "status", "deployment/many", "--timeout=60s"],
    );
    let pairs = ok(
        cp,
        k,
        &[
            "get",
            "pods",
            "-o",
            r#"jsonpath={range .items[*]}{.spec.nodeName} {.status.podIP}{"\n"}{end}"#,
        ],
    );
    let node_ranges = ok(
        cp,
        k,
        &[
            "get",
            "nodes",
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR}{"\n"}{end}"#,
        ],
    );
    let base_of: std::collections::BTreeMap<&str, u8> = node_ranges
        .lines()
        .filter_map(|l| {
            let (node, cidr) = l.split_once(' ')?;
            let net = cidr.strip_suffix("/28")?.rsplit('.').next()?.parse().ok()?;
            Some((node, net))
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for line in pairs.lines() {
        let (node, ip) = line.split_once(' ').expect("node and ip");
        assert!(seen.insert(ip.to_string()), "duplicate pod IP {ip}");
        assert!(ip.starts_with("10.55.0."), "{ip}");
        let last: u8 = ip
            .rsplit('.')
            .next()
            .and_then(|o| o.parse().ok())
            .expect("octet");
        let base = base_of[node];
        assert!(
            last > base && last < base + 15,
            "{ip} on {node} is outside its usable range {base}+1..{base}+14"
        );
    }
    assert_eq!(seen.len(), 20);
    // A layout that cannot hold the nodes is refused at start.
    let out = std::process::Command::new(common::vnest_binary())
        .args([
            "host",
            "--nodes",
            "3",
            "--pod-cidr",
            "10.0.0.0/24",
            "--node-cidr-mask-size",
            "25",
        ])
        .arg("--data-dir")
        .arg(dir.join("refused"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .expect("vnest host");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("has room for 2 node ranges of /25, not 3"),
        "{}",
        stderr(&out)
    );
}

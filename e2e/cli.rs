//! The CLI end to end: `vnest create/connect/list/describe/pause/resume/delete/run`
//! as a user runs them, each test with its own fresh HOME. One test has no kubeconfig
//! at all (the embedded dev host); the others find the shared dev host through the
//! kubeconfig in their HOME. Control planes run as background processes of the
//! process driver; every test deletes what it made, and a guard removes leftovers if
//! a test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{eventually_within as eventually, stderr, stdout, Shared};
use serde_json::Value;

/// A user's fresh HOME. Dropping it deletes every cluster it still has on record and
/// stops its embedded dev host, so a failing test leaves no process behind.
struct Home {
    dir: PathBuf,
    dev_host_listen: Option<String>,
}

impl Home {
    fn fresh(name: &str) -> Home {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("home");
        Home {
            dir,
            dev_host_listen: None,
        }
    }

    /// A HOME whose ~/.kube/config reaches `host` (as an admin).
    fn on_host(name: &str, host: &Shared) -> Home {
        let home = Home::fresh(name);
        std::fs::create_dir_all(home.dir.join(".kube")).expect(".kube");
        std::fs::copy(&host.kubeconfig, home.kubeconfig()).expect("kubeconfig");
        home
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.join(".kube").join("config")
    }

    fn vnest_dir(&self) -> PathBuf {
        self.dir.join(".vnest")
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("HOME", &self.dir)
            .env_remove("KUBECONFIG")
            .env_remove("VNEST_HOME")
            .env_remove("KUBERNETES_SERVICE_HOST");
        if let Some(l) = &self.dev_host_listen {
            cmd.env("VNEST_DEV_HOST_LISTEN", l);
        }
        cmd
    }

    fn vnest(&self, args: &[&str]) -> Output {
        self.command(common::vnest_binary())
            .args(args)
            .output()
            .expect("run vnest")
    }

    fn vnest_ok(&self, args: &[&str]) -> String {
        let o = self.vnest(args);
        assert!(
            o.status.success(),
            "vnest {} failed ({:?}):\n{}{}",
            args.join(" "),
            o.status,
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    }

    /// kubectl with the HOME's own kubeconfig (whatever context is current).
    fn kubectl(&self, args: &[&str]) -> Output {
        self.command("kubectl")
            .args(args)
            .output()
            .expect("kubectl")
    }

    fn kubectl_ok(&self, args: &[&str]) -> String {
        let o = self.kubectl(args);
        assert!(
            o.status.success(),
            "kubectl {} failed:\n{}",
            args.join(" "),
            stderr(&o)
        );
        stdout(&o)
    }

    /// kubectl against one virtual cluster through `vnest connect NAME -- kubectl`.
    fn vkubectl(&self, name: &str, args: &[&str]) -> Output {
        let mut all = vec!["connect", name, "--", "kubectl"];
        all.extend_from_slice(args);
        self.vnest(&all)
    }

    fn list(&self) -> Vec<Value> {
        let out = self.vnest_ok(&["list", "-A", "-o", "json"]);
        let v: Value = serde_json::from_str(&out).expect("list -o json");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    fn record(&self, name: &str) -> Option<Value> {
        let text = std::fs::read(self.vnest_dir().join(name).join("cluster.json")).ok()?;
        serde_json::from_slice(&text).ok()
    }

    fn pid(&self, name: &str) -> Option<i32> {
        read_pid(&self.vnest_dir().join(name).join("control-plane.pid"))
    }
}

fn read_pid(file: &Path) -> Option<i32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty()
        && stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().next())
            .is_some_and(|s| s != "Z")
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Ok(entries) = std::fs::read_dir(self.vnest_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if !name.starts_with('_') && e.path().join("cluster.json").exists() {
                    let _ = self.vnest(&["delete", &name]);
                }
            }
        }
        if let Some(pid) = read_pid(&self.vnest_dir().join("_host").join("host.pid")) {
            if alive(pid) {
                // SAFETY: signalling the dev host this test's CLI started.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
}

fn host_has_namespace(host: &Shared, ns: &str) -> bool {
    host.kubectl(&["get", "namespace", ns]).status.success()
}

fn host_objects_of(host: &Shared, ns: &str, vcluster: &str) -> String {
    let o = host.kubectl(&[
        "get",
        "pods,services,endpoints,configmaps,secrets,persistentvolumeclaims",
        "-n",
        ns,
        "-l",
        &format!("vnest.io/managed-by={vcluster}"),
        "-o",
        "name",
    ]);
    stdout(&o)
}

#[test]
fn on_a_fresh_machine_create_starts_a_dev_host_and_delete_leaves_nothing() {
    let mut home = Home::fresh("embedded");
    home.dev_host_listen = Some(format!("127.0.0.1:{}", common::free_port()));
    let out = home.vnest(&["create", "demo", "--connect"]);
    assert!(out.status.success(), "create: {}", stderr(&out));
    assert!(
        stderr(&out).contains("local dev host"),
        "create says it uses the dev host: {}",
        stderr(&out)
    );
    // kubectl through the new (current) context.
    let ns = home.kubectl_ok(&["get", "ns", "-o", "name"]);
    for want in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(ns.contains(&format!("namespace/{want}")), "{ns}");
    }
    let current = home.kubectl_ok(&["config", "current-context"]);
    assert_eq!(current.trim(), "vnest_demo_vnest-demo_dev-host");
    let items = home.list();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["name"], "demo");
    assert_eq!(items[0]["status"], "Running");
    assert_eq!(items[0]["driver"], "process");
    assert_eq!(items[0]["connected"], true);
    let table = home.vnest_ok(&["list"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("demo"), "{table}");

    // A second cluster keeps the dev host up while the first is deleted, so the test
    // can look at what the first left on the host.
    home.vnest_ok(&["create", "keep"]);
    let host_kubeconfig = home.vnest_dir().join("_host").join("admin.kubeconfig");
    let host = Shared {
        dir: home.vnest_dir().join("_host"),
        kubeconfig: host_kubeconfig,
        port: 0,
    };
    assert!(host_has_namespace(&host, "vnest-demo"));
    home.kubectl_ok(&["create", "configmap", "c1", "--from-literal=a=b"]);
    let pid = home.pid("demo").expect("pid of demo's control plane");
    assert!(alive(pid));

    home.vnest_ok(&["delete", "demo", "--wait"]);
    assert!(!alive(pid), "the control plane process is gone");
    assert!(!home.vnest_dir().join("demo").exists(), "no local state");
    assert!(
        !host_has_namespace(&host, "vnest-demo"),
        "no host namespace"
    );
    let contexts = home.kubectl_ok(&["config", "get-contexts", "-o", "name"]);
    assert!(!contexts.contains("vnest_demo_"), "no context: {contexts}");
    // Deleting again succeeds and says so.
    let again = home.vnest_ok(&["delete", "demo"]);
    assert!(again.contains("does not exist"), "{again}");

    // The last cluster gone, the dev host the CLI started stops too.
    let host_pid = read_pid(&home.vnest_dir().join("_host").join("host.pid")).expect("host pid");
    home.vnest_ok(&["delete", "keep", "--wait"]);
    eventually("the dev host to stop", 30, || !alive(host_pid));
    assert!(home.list().is_empty());
}

#[test]
fn run_creates_runs_and_deletes_whatever_the_outcome() {
    let host = common::shared_host();
    let home = Home::on_host("run", host);
    let out = home.vnest(&[
        "run",
        "ci",
        "--",
        "sh",
        "-c",
        "kubectl create ns t && kubectl get ns t",
    ]);
    assert!(out.status.success(), "run: {}", stderr(&out));
    assert!(stdout(&out).contains("t "), "{}", stdout(&out));
    assert!(home.list().is_empty());
    assert!(!host_has_namespace(host, "vnest-ci"));

    let out = home.vnest(&["run", "ci-fail", "--", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(home.list().is_empty());
    assert!(!host_has_namespace(host, "vnest-ci-fail"));
    // The user's kubeconfig is as it was: run never connects.
    let contexts = home.kubectl_ok(&["config", "get-contexts", "-o", "name"]);
    assert!(!contexts.contains("vnest_"), "{contexts}");
}

#[test]
fn a_cluster_with_a_ttl_deletes_itself() {
    let host = common::shared_host();
    let home = Home::on_host("ttl", host);
    home.vnest_ok(&["create", "short", "--ttl", "5s"]);
    let pid = home.pid("short").expect("pid");
    assert!(host_has_namespace(host, "vnest-short"));
    eventually("the cluster to delete itself", 90, || {
        home.record("short").is_none() && !alive(pid) && !host_has_namespace(host, "vnest-short")
    });
    assert!(home.list().is_empty());
}

#[test]
fn pause_and_resume_keep_every_virtual_object_and_bring_pods_back() {
    let host = common::shared_host();
    let home = Home::on_host("pause", host);
    home.vnest_ok(&["create", "paused", "--connect=false"]);
    let k = |args: &[&str]| {
        let o = home.vkubectl("paused", args);
        assert!(o.status.success(), "kubectl {args:?}: {}", stderr(&o));
        stdout(&o)
    };
    k(&["create", "configmap", "settings", "--from-literal=mode=on"]);
    k(&[
        "create",
        "deployment",
        "web",
        "--image=busybox",
        "--replicas=2",
        "--",
        "sleep",
        "3600",
    ]);
    k(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let pods_before = k(&["get", "pods", "-o", "name"]);
    eventually("2 host pods", 60, || {
        host_objects_of(host, "vnest-paused", "paused")
            .lines()
            .filter(|l| l.starts_with("pod/"))
            .count()
            == 2
    });

    home.vnest_ok(&["pause", "paused"]);
    assert_eq!(home.list()[0]["status"], "Paused");
    eventually("no host pods while paused", 60, || {
        !host_objects_of(host, "vnest-paused", "paused").contains("pod/")
    });

    home.vnest_ok(&["resume", "paused"]);
    assert_eq!(home.list()[0]["status"], "Running");
    assert!(k(&[
        "get",
        "configmap",
        "settings",
        "-o",
        "jsonpath={.data.mode}"
    ])
    .contains("on"));
    assert_eq!(
        k(&["get", "pods", "-o", "name"]),
        pods_before,
        "the same pods"
    );
    eventually("the pods back on the host", 60, || {
        host_objects_of(host, "vnest-paused", "paused")
            .lines()
            .filter(|l| l.starts_with("pod/"))
            .count()
            == 2
    });
    k(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    home.vnest_ok(&["delete", "paused", "--wait"]);
    assert!(!host_has_namespace(host, "vnest-paused"));
}

#[test]
fn ten_clusters_created_in_parallel_are_healthy_and_isolated() {
    let host = common::shared_host();
    let home = Home::on_host("ten", host);
    let names: Vec<String> = (0..10).map(|i| format!("par{i}")).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .map(|n| s.spawn(|| home.vnest(&["create", n, "--connect=false"])))
            .collect();
        for (h, n) in handles.into_iter().zip(&names) {
            let o = h.join().expect("create thread");
            assert!(o.status.success(), "create {n}: {}", stderr(&o));
        }
    });
    assert_eq!(home.list().len(), 10);
    for n in &names {
        let o = home.vkubectl(n, &["create", "configmap", &format!("own-{n}")]);
        assert!(o.status.success(), "{n}: {}", stderr(&o));
    }
    for n in &names {
        let o = home.vkubectl(n, &["get", "configmaps", "-o", "name"]);
        let text = stdout(&o);
        let own: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("configmap/own-"))
            .collect();
        assert_eq!(own, [n.as_str()], "{n} sees only its own configmap");
        assert!(host_has_namespace(host, &format!("vnest-{n}")));
    }
    std::thread::scope(|s| {
        for n in &names {
            let home = &home;
            s.spawn(move || home.vnest_ok(&["delete", n, "--wait"]));
        }
    });
    assert!(home.list().is_empty());
    for n in &names {
        assert!(!host_has_namespace(host, &format!("vnest-{n}")), "{n}");
    }
}

#[test]
fn create_fails_clearly_and_leaves_nothing_half_made() {
    let host = common::shared_host();
    let home = Home::on_host("refuse", host);
    // A bad name is a usage error.
    let o = home.vnest(&["create", "Bad_Name"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A name already taken.
    home.vnest_ok(&["create", "taken", "--connect=false"]);
    let o = home.vnest(&["create", "taken"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    // describe and connect of unknown clusters: exit code 3.
    assert_eq!(home.vnest(&["describe", "nope"]).status.code(), Some(3));
    assert_eq!(
        home.vnest(&["connect", "nope", "--print"]).status.code(),
        Some(3)
    );
    let described: Value =
        serde_json::from_str(&home.vnest_ok(&["describe", "taken", "-o", "json"])).expect("json");
    assert_eq!(described["objects"]["namespaces"], 4, "{described}");
    assert!(described["resources"]["rssBytes"].as_u64().unwrap_or(0) > 0);
    home.vnest_ok(&["delete", "taken", "--wait"]);

    // A host user without the right to make namespaces: refused, exit 5, nothing left.
    let sa_ns = "cli-norights";
    let _ = host.kubectl(&["create", "namespace", sa_ns]);
    let _ = host.kubectl(&["create", "serviceaccount", "nobody", "-n", sa_ns]);
    let token = stdout(&host.kubectl(&["create", "token", "nobody", "-n", sa_ns]));
    let limited = common::token_kubeconfig(host, "cli-nobody", token.trim());
    std::fs::copy(&limited, home.kubeconfig()).expect("kubeconfig");
    let o = home.vnest(&["create", "denied"]);
    assert_eq!(o.status.code(), Some(5), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("refused"), "{}", stderr(&o));
    assert!(home.record("denied").is_none());
    assert!(!home.vnest_dir().join("denied").exists());
    assert!(!host_has_namespace(host, "vnest-denied"));
}

#[test]
fn the_kubernetes_driver_installs_the_chart_and_removes_it_when_the_pod_never_answers() {
    // The dev host's simulated nodes run commands, not images: the control plane pod
    // cannot come up, so create applies the chart, waits, times out (exit 6) and
    // removes every object it applied.
    let host = common::shared_host();
    let home = Home::on_host("kdriver", host);
    let watcher = std::thread::spawn({
        let kubeconfig = host.kubeconfig.clone();
        move || {
            // While create waits, the chart's objects are on the host.
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                let o = common::kubectl_with_kubeconfig(
                    &kubeconfig,
                    &[
                        "get",
                        "statefulset,service,serviceaccount,role,rolebinding",
                        "-n",
                        "vnest-kd",
                        "-o",
                        "name",
                    ],
                );
                let text = stdout(&o);
                if text.contains("statefulset.apps/kd")
                    && text.contains("role.rbac.authorization.k8s.io/vc-kd")
                {
                    return text;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            String::new()
        }
    });
    let o = home.vnest(&[
        "create",
        "kd",
        "--driver",
        "kubernetes",
        "--timeout",
        "8",
        "--connect=false",
    ]);
    assert_eq!(o.status.code(), Some(6), "{}{}", stdout(&o), stderr(&o));
    let seen = watcher.join().expect("watcher");
    assert!(seen.contains("service/kd"), "the chart was applied: {seen}");
    assert!(home.record("kd").is_none());
    eventually("the host namespace to go", 60, || {
        !host_has_namespace(host, "vnest-kd")
    });
}

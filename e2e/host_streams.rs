//! `pods/exec`, `pods/attach` and `pods/portforward` on the dev host, end to end:
//! kubectl 1.33 (WebSocket v5 for exec/attach, SPDY tunnelled in WebSocket for
//! port-forward), kubectl 1.31, kubectl forced onto the SPDY/3.1 fallback, and kube-rs
//! (WebSocket channels for both).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, http_get, port_forward, stderr, stdout, wait_listening, Shared};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const K131: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.31";

/// Extra environment of a kubectl run.
type Env = Vec<(&'static str, &'static str)>;

/// (tag, kubectl binary, extra environment).
fn kubectls() -> Vec<(&'static str, &'static str, Env)> {
    vec![
        ("dispatch", "kubectl", vec![]),
        ("k131", K131, vec![]),
        (
            "spdy",
            "kubectl",
            vec![
                ("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"),
                ("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"),
            ],
        ),
    ]
}

fn kubectl(
    cp: &Shared,
    bin: &str,
    env: &[(&str, &str)],
    input: Option<&str>,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("KUBECONFIG", &cp.kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .envs(env.iter().copied())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run kubectl");
    if let Some(text) = input {
        let mut w = child.stdin.take().expect("stdin");
        w.write_all(text.as_bytes()).expect("write stdin");
    }
    // A stuck session must fail the test, not hang it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{bin} {} timed out:\n{}\n{}\n--- host log ---\n{}",
                args.join(" "),
                stdout(&out),
                stderr(&out),
                common::tail(&cp.log(), 30)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn ok(cp: &Shared, args: &[&str]) -> String {
    common::ok(cp, args)
}

fn pod_yaml(name: &str, command: &[&str], stdin: bool, restart: &str) -> String {
    let cmd: Vec<String> = command
        .iter()
        .map(|c| serde_json::Value::String(c.to_string()).to_string())
        .collect();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  restartPolicy: {restart}\n  containers:\n  - name: main\n    image: python:3\n    stdin: {stdin}\n    command: [{}]\n",
        cmd.join(", ")
    )
}

fn apply(cp: &Shared, ns: &str, yaml: &str) {
    let path = cp.dir.join(format!("{ns}-{}.yaml", yaml.len()));
    std::fs::write(&path, yaml).expect("write manifest");
    ok(
        cp,
        &["apply", "-n", ns, "-f", path.to_str().unwrap_or_default()],
    );
}

fn wait_running(cp: &Shared, ns: &str, pod: &str) {
    ok(
        cp,
        &[
            "wait",
            "-n",
            ns,
            "--for=jsonpath={.status.phase}=Running",
            &format!("pod/{pod}"),
            "--timeout=60s",
        ],
    );
}

#[test]
fn kubectl_exec_attach_and_port_forward() {
    let cp = common::shared_host();
    for (tag, bin, env) in kubectls() {
        let ns = format!("streams-{tag}");
        ok(cp, &["create", "namespace", &ns]);
        let port = free_port();
        let port_s = port.to_string();
        apply(
            cp,
            &ns,
            &pod_yaml(
                "web",
                &[
                    "python3",
                    "-m",
                    "http.server",
                    &port_s,
                    "--bind",
                    "127.0.0.1",
                ],
                false,
                "Always",
            ),
        );
        wait_running(cp, &ns, "web");
        wait_listening(port);

        // exec: output, working directory, exit codes.
        let o = kubectl(
            cp,
            bin,
            &env,
            None,
            &["exec", "-n", &ns, "web", "--", "sh", "-c", "echo hi; pwd"],
        );
        assert!(o.status.success(), "{tag}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.starts_with("hi\n"), "{tag}: {text}");
        assert!(text.trim_end().ends_with("/main/root"), "{tag}: {text}");
        let o = kubectl(
            cp,
            bin,
            &env,
            None,
            &[
                "exec",
                "-n",
                &ns,
                "web",
                "--",
                "sh",
                "-c",
                "echo out; echo err >&2; exit 3",
            ],
        );
        assert_eq!(o.status.code(), Some(3), "{tag}: {}", stderr(&o));
        assert_eq!(stdout(&o), "out\n", "{tag}");
        assert!(stderr(&o).contains("err\n"), "{tag}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("command terminated with exit code 3"),
            "{tag}: {}",
            stderr(&o)
        );
        // The container's environment.
        let o = kubectl(
            cp,
            bin,
            &env,
            None,
            &["exec", "-n", &ns, "web", "--", "sh", "-c", "echo $HOSTNAME"],
        );
        assert_eq!(stdout(&o), "web\n", "{tag}: {}", stderr(&o));

        // exec -i: stdin reaches the command and its end closes it.
        let o = kubectl(
            cp,
            bin,
            &env,
            Some("hello\nworld\n"),
            &["exec", "-i", "-n", &ns, "web", "--", "cat"],
        );
        assert!(o.status.success(), "{tag}: {}", stderr(&o));
        assert_eq!(stdout(&o), "hello\nworld\n", "{tag}");

        // Checks before the upgrade.
        let o = kubectl(
            cp,
            bin,
            &env,
            None,
            &["exec", "-n", &ns, "web", "-c", "nope", "--", "true"],
        );
        assert!(
            stderr(&o).contains("container nope is not valid for pod web"),
            "{tag}: {}",
            stderr(&o)
        );
        let o = kubectl(
            cp,
            bin,
            &env,
            None,
            &["exec", "-n", &ns, "missing", "--", "true"],
        );
        assert!(
            stderr(&o).contains("pods \"missing\" not found"),
            "{tag}: {}",
            stderr(&o)
        );

        // port-forward, then HTTP through it (the server lists the pod's working dir,
        // where `hostname` holds the pod name).
        {
            let (_pf, local) = port_forward(cp, bin, &env, &ns, "web", port);
            let body = http_get(local, "/hostname");
            assert!(body.ends_with("\r\n\r\nweb"), "{tag}: {body}");
            // A second connection through the same forward.
            let body = http_get(local, "/");
            assert!(body.contains("hostname"), "{tag}: {body}");
        }

        // attach -i: the client's input reaches the container's stdin, its output
        // comes back.
        apply(
            cp,
            &ns,
            &pod_yaml(
                "reader",
                &["sh", "-c", "echo ready; read l; echo \"got $l\""],
                true,
                "Never",
            ),
        );
        wait_running(cp, &ns, "reader");
        let o = kubectl(
            cp,
            bin,
            &env,
            Some("hello\n"),
            &["attach", "-i", "-n", &ns, "reader", "-c", "main"],
        );
        assert!(
            stdout(&o).contains("got hello"),
            "{tag}: {}\n{}",
            stdout(&o),
            stderr(&o)
        );
        ok(cp, &["delete", "namespace", &ns, "--wait=false"]);
    }
}

#[tokio::test]
async fn kube_rs_exec_and_portforward() {
    let cp = common::shared_host();
    let ns = "streams-kube-rs";
    ok(cp, &["create", "namespace", ns]);
    let port = free_port();
    let port_s = port.to_string();
    apply(
        cp,
        ns,
        &pod_yaml(
            "web",
            &[
                "python3",
                "-m",
                "http.server",
                &port_s,
                "--bind",
                "127.0.0.1",
            ],
            false,
            "Always",
        ),
    );
    wait_running(cp, ns, "web");
    wait_listening(port);
    let client = cp.client().await;
    let pods: Api<Pod> = Api::namespaced(client, ns);

    // exec with output and a Success status.
    let mut p = pods
        .exec(
            "web",
            ["sh", "-c", "echo hi; pwd"],
            &AttachParams::default().stderr(false),
        )
        .await
        .expect("exec");
    let mut out = String::new();
    p.stdout()
        .expect("stdout")
        .read_to_string(&mut out)
        .await
        .expect("read stdout");
    let status = p.take_status().expect("status").await.expect("a status");
    assert_eq!(status.status.as_deref(), Some("Success"), "{status:?}");
    assert!(
        out.starts_with("hi\n") && out.trim_end().ends_with("/main/root"),
        "{out}"
    );
    p.join().await.expect("join");

    // A non-zero exit comes back as NonZeroExitCode with the code as its cause.
    let mut p = pods
        .exec(
            "web",
            ["sh", "-c", "exit 7"],
            &AttachParams::default().stderr(false),
        )
        .await
        .expect("exec");
    let status = p.take_status().expect("status").await.expect("a status");
    assert_eq!(
        status.reason.as_deref(),
        Some("NonZeroExitCode"),
        "{status:?}"
    );
    let causes = status.details.and_then(|d| d.causes).unwrap_or_default();
    assert_eq!(causes[0].reason.as_deref(), Some("ExitCode"));
    assert_eq!(causes[0].message.as_deref(), Some("7"));

    // stdin, closed with the v5 close signal.
    let mut p = pods
        .exec(
            "web",
            ["cat"],
            &AttachParams::default().stdin(true).stderr(false),
        )
        .await
        .expect("exec");
    let mut stdin = p.stdin().expect("stdin");
    stdin.write_all(b"from kube-rs\n").await.expect("write");
    stdin.shutdown().await.expect("close stdin");
    drop(stdin);
    let mut out = String::new();
    p.stdout()
        .expect("stdout")
        .read_to_string(&mut out)
        .await
        .expect("read");
    assert_eq!(out, "from kube-rs\n");
    let status = p.take_status().expect("status").await.expect("a status");
    assert_eq!(status.status.as_deref(), Some("Success"), "{status:?}");

    // port-forward over WebSocket channels, with a retry while the server starts.
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let mut pf = pods.portforward("web", &[port]).await.expect("portforward");
        let mut s = pf.take_stream(port).expect("stream");
        s.write_all(b"GET /hostname HTTP/1.0\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut body = String::new();
        let _ = s.read_to_string(&mut body).await;
        drop(s);
        let _ = pf.join().await;
        if body.starts_with("HTTP/1.0 200") {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "no answer through port-forward: {body:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(body.ends_with("\r\n\r\nweb"), "{body}");

    // A port nothing listens on: the error channel says so.
    let closed = free_port();
    let mut pf = pods
        .portforward("web", &[closed])
        .await
        .expect("portforward");
    let err = pf.take_error(closed).expect("error channel").await;
    let err = err.unwrap_or_default();
    assert!(
        err.contains(&format!("error forwarding port {closed} to pod web")),
        "{err}"
    );
    ok(cp, &["delete", "namespace", ns, "--wait=false"]);
}

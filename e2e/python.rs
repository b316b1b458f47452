//! The Python `kubernetes` client (installed by hack/install-deps.sh) against a real
//! `vnest control-plane` process: list, create, patch, watch, scale, delete.

mod common;

#[test]
fn python_kubernetes_client() {
    let cp = common::shared();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../e2e/python_client.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&cp.kubeconfig)
        .arg("py-client")
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python client failed:\n{}\n{}\n--- server log ---\n{}",
        common::stdout(&out),
        common::stderr(&out),
        common::tail(&cp.log(), 30)
    );
}

//! The renderer against the engine Helm uses: the chart rendered by vnest-deploy and by
//! hack/helm-template (Go's text/template with sprig, built from Debian packages by
//! hack/install-go-template.sh) for several values files must give the same objects.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vnest_deploy::{render, values_from, Release};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds (if needed) and returns the Go renderer.
fn helm_template() -> PathBuf {
    let out = Command::new(repo().join("hack/install-go-template.sh"))
        .output()
        .expect("run hack/install-go-template.sh");
    assert!(
        out.status.success(),
        "hack/install-go-template.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(stdout.lines().last().expect("the binary's path").trim())
}

fn sorted(mut objects: Vec<Value>) -> Vec<Value> {
    let key = |o: &Value| format!("{}/{}", o["kind"], o["metadata"]["name"]);
    objects.sort_by_key(key);
    objects
}

fn compare(go: &Path, values_file: Option<&str>, name: &str, namespace: &str) {
    let mut cmd = Command::new(go);
    cmd.arg("-chart").arg(repo().join("deploy/chart")).args([
        "-name",
        name,
        "-namespace",
        namespace,
        "-service",
        "vnest",
    ]);
    let text = values_file.map(|f| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/values")
            .join(f);
        cmd.arg("-f").arg(&path);
        std::fs::read_to_string(&path).expect("values file")
    });
    let out = cmd.output().expect("run helm-template");
    assert!(
        out.status.success(),
        "helm-template {values_file:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let helm: Vec<Value> = serde_json::from_slice(&out.stdout).expect("helm-template JSON");
    let values = values_from(text.as_deref(), &[] as &[&str]).expect("values");
    let ours = render(&Release::new(name, namespace), &values).expect("render");
    assert!(!ours.is_empty());
    let (helm, ours) = (sorted(helm), sorted(ours));
    let names = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|o| format!("{}/{}", o["kind"], o["metadata"]["name"]))
            .collect()
    };
    assert_eq!(
        names(&ours),
        names(&helm),
        "{values_file:?}: object lists differ"
    );
    for (o, h) in ours.iter().zip(&helm) {
        assert_eq!(
            o,
            h,
            "{values_file:?}: {} differs\nours: {}\nhelm: {}",
            names(std::slice::from_ref(o))[0],
            serde_json::to_string_pretty(o).unwrap_or_default(),
            serde_json::to_string_pretty(h).unwrap_or_default()
        );
    }
}

#[test]
fn renders_like_go_templates_with_sprig() {
    let go = helm_template();
    compare(&go, None, "demo", "vc-demo");
    compare(&go, None, "a-much-longer-name-1", "team-a");
    for file in [
        "isolated-etcd.yaml",
        "sqlite-custom.yaml",
        "isolation-partial.yaml",
    ] {
        compare(&go, Some(file), "demo", "vc-demo");
    }
}

//! CustomResourceDefinitions and server-side apply with kubectl 1.31-1.33: an
//! operator-style CRD set installed with `kubectl apply --server-side`, discovery,
//! OpenAPI (`kubectl explain`), printer columns, categories, several versions, schema
//! and CEL validation, pruning, defaulting, /status and /scale, generation, apply
//! conflicts, name conflicts, and deletion of a CRD with its objects.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{stderr, stdout, Shared};

const KUBECTLS: &[(&str, &str)] = &[
    ("131", "/usr/lib/google-cloud-sdk/bin/kubectl.1.31"),
    ("132", "/usr/lib/google-cloud-sdk/bin/kubectl.1.32"),
    ("133", "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"),
];

fn testdata(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../e2e/testdata")
        .join(name)
        .display()
        .to_string()
}

struct Kubectl<'a> {
    cp: &'a Shared,
    bin: &'a str,
}

impl Kubectl<'_> {
    fn run(&self, args: &[&str]) -> Output {
        self.cp.kubectl_with(self.bin, args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{} {} failed:\n{}\n--- server log ---\n{}",
            self.bin,
            args.join(" "),
            stderr(&o),
            common::tail(&self.cp.log(), 20)
        );
        stdout(&o)
    }

    /// Runs and expects failure; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            !o.status.success(),
            "{} {} should have failed:\n{}",
            self.bin,
            args.join(" "),
            stdout(&o)
        );
        stderr(&o)
    }

    /// Writes `yaml` to a file and runs `kubectl <verb> -f file <extra>`.
    fn with_file(&self, name: &str, yaml: &str, args: &[&str]) -> Output {
        let path = self.cp.dir.join(format!("{name}.yaml"));
        std::fs::write(&path, yaml).expect("write manifest");
        let p = path.display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.push("-f");
        all.push(&p);
        self.run(&all)
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn database(name: &str, version: &str, replicas: i64, class: &str) -> String {
    format!(
        "apiVersion: db.example.com/v1\nkind: Database\nmetadata:\n  name: {name}\nspec:\n  version: {version}\n  replicas: {replicas}\n  storage:\n    size: 10Gi\n    class: {class}\n  users:\n  - name: app\n  - name: ops\n    role: admin\n  config:\n    max_connections: \"100\"\n  backup:\n    schedule: \"0 3 * * *\"\n    retentionDays: 7\n  template:\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: seed\n    data:\n      a: b\n"
    )
}

fn install_crds(k: &Kubectl<'_>) {
    k.ok(&[
        "apply",
        "--server-side",
        "-f",
        &testdata("databases-crd.yaml"),
    ]);
    for crd in [
        "crd/databases.db.example.com",
        "crd/clusterissuers.certs.example.com",
    ] {
        k.ok(&["wait", "--for=condition=Established", crd, "--timeout=30s"]);
    }
}

fn scenario(k: &Kubectl<'_>, tag: &str) {
    install_crds(k);
    let ns = format!("crd-{tag}");
    k.ok(&["create", "namespace", &ns]);
    let resources = k.ok(&["api-resources", "--api-group=db.example.com"]);
    assert!(
        resources.contains("databases") && resources.contains("db"),
        "{resources}"
    );
    let explained = k.ok(&["explain", "database.spec.storage"]);
    assert!(explained.contains("class"), "{explained}");

    // Create; defaults are applied.
    let o = k.with_file(
        &format!("db-{tag}"),
        &database("main", "v15", 2, "fast"),
        &["apply", "-n", &ns],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let users = k.ok(&[
        "get",
        "db",
        "main",
        "-n",
        &ns,
        "-o",
        "jsonpath={.spec.users[0].role}",
    ]);
    assert_eq!(users, "reader");

    // Printer columns, categories, the other version.
    let table = k.ok(&["get", "db", "-n", &ns]);
    for col in ["NAME", "VERSION", "REPLICAS", "READY", "AGE"] {
        assert!(table.contains(col), "{table}");
    }
    assert!(table.contains("v15"), "{table}");
    let all = k.ok(&["get", "all", "-n", &ns]);
    assert!(all.contains("database.db.example.com/main"), "{all}");
    let alpha = k.ok(&[
        "get",
        "databases.v1alpha1.db.example.com",
        "main",
        "-n",
        &ns,
        "-o",
        "jsonpath={.apiVersion}",
    ]);
    assert_eq!(alpha, "db.example.com/v1alpha1");

    // Schema and CEL validation.
    let bad = |name: &str, yaml: String, needle: &str| {
        let o = k.with_file(&format!("bad-{name}-{tag}"), &yaml, &["create", "-n", &ns]);
        assert!(!o.status.success(), "{name} was accepted");
        assert!(stderr(&o).contains(needle), "{name}: {}", stderr(&o));
    };
    bad(
        "max",
        database("too-many", "v15", 20, "fast"),
        "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10",
    );
    bad(
        "enum",
        database("old", "v13", 1, "fast"),
        "spec.version: Unsupported value: \"v13\": supported values: \"v14\", \"v15\", \"v16\"",
    );
    bad(
        "cel",
        database("big14", "v14", 6, "fast"),
        "v14 supports at most 5 replicas",
    );
    bad(
        "pattern",
        database("badname", "v15", 1, "fast").replace("- name: app", "- name: App"),
        "spec.users[0].name: Invalid value: \"App\"",
    );
    bad(
        "required",
        "apiVersion: db.example.com/v1\nkind: Database\nmetadata:\n  name: nostorage\nspec:\n  version: v15\n"
            .to_string(),
        "spec.storage: Required value",
    );
    // Transition rule on update.
    let err = k.fails(&[
        "patch",
        "db",
        "main",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"storage":{"class":"slow"}}}"#,
    ]);
    assert!(err.contains("storage class is immutable"), "{err}");

    // Unknown fields: refused by kubectl's default strict validation, pruned with a
    // warning otherwise.
    let unknown =
        database("extra", "v15", 1, "fast").replace("  version: v15", "  version: v15\n  bogus: 1");
    let o = k.with_file(&format!("unknown-{tag}"), &unknown, &["create", "-n", &ns]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unknown field \"spec.bogus\""),
        "{}",
        stderr(&o)
    );
    let o = k.with_file(
        &format!("unknown-warn-{tag}"),
        &unknown,
        &["create", "--validate=warn", "-n", &ns],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown field \"spec.bogus\""),
        "{}",
        stderr(&o)
    );
    let spec = k.ok(&["get", "db", "extra", "-n", &ns, "-o", "jsonpath={.spec}"]);
    assert!(!spec.contains("bogus"), "{spec}");

    // Strategic merge patch is refused for custom resources; merge patch works.
    let err = k.fails(&[
        "patch",
        "db",
        "main",
        "-n",
        &ns,
        "-p",
        r#"{"spec":{"replicas":3}}"#,
    ]);
    assert!(
        err.contains("application/strategic-merge-patch+json is not supported"),
        "{err}"
    );
    let gen = |k: &Kubectl<'_>| {
        k.ok(&[
            "get",
            "db",
            "main",
            "-n",
            &ns,
            "-o",
            "jsonpath={.metadata.generation}",
        ])
    };
    let g1 = gen(k);
    k.ok(&[
        "patch",
        "db",
        "main",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":3}}"#,
    ]);
    let g2 = gen(k);
    assert_ne!(g1, g2);
    // /scale and /status.
    k.ok(&["scale", "db/main", "-n", &ns, "--replicas=4"]);
    assert_eq!(
        k.ok(&[
            "get",
            "db",
            "main",
            "-n",
            &ns,
            "-o",
            "jsonpath={.spec.replicas}"
        ]),
        "4"
    );
    let g3 = gen(k);
    k.ok(&[
        "patch",
        "db",
        "main",
        "-n",
        &ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":4,"selector":"app=main","conditions":[{"type":"Ready","status":"True"}]}}"#,
    ]);
    assert_eq!(gen(k), g3, "status writes must not bump the generation");
    let table = k.ok(&["get", "db", "main", "-n", &ns]);
    assert!(table.contains("True"), "{table}");
    let scale = k.ok(&[
        "get",
        "--raw",
        &format!("/apis/db.example.com/v1/namespaces/{ns}/databases/main/scale"),
    ]);
    assert!(scale.contains("\"selector\":\"app=main\""), "{scale}");
    // Status through the main endpoint is ignored.
    k.ok(&[
        "patch",
        "db",
        "main",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":99}}"#,
    ]);
    assert_eq!(
        k.ok(&[
            "get",
            "db",
            "main",
            "-n",
            &ns,
            "-o",
            "jsonpath={.status.replicas}"
        ]),
        "4"
    );

    // Server-side apply: two managers, a conflict, then force.
    let applied = database("shared", "v15", 2, "fast");
    let o = k.with_file(
        &format!("ssa-a-{tag}"),
        &applied,
        &[
            "apply",
            "--server-side",
            "--field-manager=team-a",
            "-n",
            &ns,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let theirs = applied.replace("replicas: 2", "replicas: 3");
    let o = k.with_file(
        &format!("ssa-b-{tag}"),
        &theirs,
        &[
            "apply",
            "--server-side",
            "--field-manager=team-b",
            "-n",
            &ns,
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("conflict with \"team-a\"") && stderr(&o).contains(".spec.replicas"),
        "{}",
        stderr(&o)
    );
    let o = k.with_file(
        &format!("ssa-b-force-{tag}"),
        &theirs,
        &[
            "apply",
            "--server-side",
            "--field-manager=team-b",
            "--force-conflicts",
            "-n",
            &ns,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let managed = k.ok(&[
        "get",
        "db",
        "shared",
        "-n",
        &ns,
        "--show-managed-fields",
        "-o",
        "json",
    ]);
    assert!(
        managed.contains("team-b") && managed.contains("k:{\\\"name\\\":\\\"app\\\"}"),
        "{managed}"
    );

    // Cluster-scoped custom resources.
    let o = k.with_file(
        &format!("issuer-{tag}"),
        &format!("apiVersion: certs.example.com/v1\nkind: ClusterIssuer\nmetadata:\n  name: self-{tag}\nspec:\n  kind: selfSigned\n"),
        &["apply", "--server-side"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let issuers = k.ok(&["get", "ciss"]);
    assert!(
        issuers.contains(&format!("self-{tag}")) && issuers.contains("selfSigned"),
        "{issuers}"
    );
}

#[test]
fn crds_with_kubectl_versions() {
    let cp = common::shared();
    for (tag, bin) in KUBECTLS {
        scenario(&Kubectl { cp, bin }, tag);
    }
}

#[test]
fn name_conflicts_and_deleting_a_crd_with_its_objects() {
    let cp = common::shared();
    let k = Kubectl { cp, bin: "kubectl" };
    let crd = |plural: &str, kind: &str, short: &str| {
        format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.clash.example.com\nspec:\n  group: clash.example.com\n  scope: Namespaced\n  names:\n    plural: {plural}\n    kind: {kind}\n    shortNames: [{short}]\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n"
        )
    };
    assert!(k
        .with_file("clash-1", &crd("gizmos", "Gizmo", "gz"), &["create"])
        .status
        .success());
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/gizmos.clash.example.com",
        "--timeout=30s",
    ]);
    assert!(k
        .with_file("clash-2", &crd("gadgets", "Gadget", "gz"), &["create"])
        .status
        .success());
    wait_for("the NamesAccepted condition", || {
        let cond = k.ok(&[
            "get",
            "crd",
            "gadgets.clash.example.com",
            "-o",
            r#"jsonpath={.status.conditions[?(@.type=="NamesAccepted")].status}/{.status.conditions[?(@.type=="NamesAccepted")].reason}"#,
        ]);
        cond == "False/ShortNamesConflict"
    });

    // Deleting a CRD deletes its objects first.
    k.ok(&["create", "namespace", "crd-delete"]);
    for i in 0..3 {
        let o = k.with_file(
            &format!("gizmo-{i}"),
            &format!("apiVersion: clash.example.com/v1\nkind: Gizmo\nmetadata:\n  name: g{i}\n  namespace: crd-delete\n"),
            &["create"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    k.ok(&["delete", "crd", "gizmos.clash.example.com", "--timeout=30s"]);
    let gone = k.run(&["get", "crd", "gizmos.clash.example.com"]);
    assert!(!gone.status.success());
    let raw = k.run(&[
        "get",
        "--raw",
        "/apis/clash.example.com/v1/namespaces/crd-delete/gizmos",
    ]);
    assert!(!raw.status.success(), "{}", stdout(&raw));
    // Recreating it starts empty.
    assert!(k
        .with_file("clash-3", &crd("gizmos", "Gizmo", "gzz"), &["create"])
        .status
        .success());
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/gizmos.clash.example.com",
        "--timeout=30s",
    ]);
    let list = k.ok(&["get", "gizmos", "-n", "crd-delete", "-o", "name"]);
    assert_eq!(list.trim(), "");
}

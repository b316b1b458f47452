//! The chart, embedded, rendered as `helm template` renders it: Go template semantics
//! (the `gtmpl` crate) plus the few Helm/sprig functions the chart uses (`include`,
//! `toYaml`, `nindent`, `indent`, `quote`, `default`, `b64enc`), then the output split
//! into YAML documents and parsed into JSON objects.
//!
//! The templates stay within a small common subset of Helm on purpose (see
//! `deploy/chart/`); `tests/helm_parity.rs` renders the same chart with Go's
//! text/template and sprig and compares the objects.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use gtmpl::{Context, Func, FuncError, Template, Value as TValue};
use serde_json::Value;

use crate::values::Values;

macro_rules! chart_files {
    ($($path:literal),* $(,)?) => {
        /// The chart's files (path relative to `deploy/chart/`, contents), embedded at
        /// build time. A test checks this list against the directory.
        pub const CHART_FILES: &[(&str, &str)] = &[
            $(($path, include_str!(concat!("../../../deploy/chart/", $path))),)*
        ];
    };
}

chart_files!(
    "Chart.yaml",
    "values.yaml",
    "templates/_helpers.tpl",
    "templates/NOTES.txt",
    "templates/rbac.yaml",
    "templates/service.yaml",
    "templates/statefulset.yaml",
    "templates/isolation.yaml",
);

/// The contents of one embedded chart file ("" if there is no such file).
pub fn chart_file(path: &str) -> &'static str {
    CHART_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
        .unwrap_or("")
}

/// A release: one virtual cluster called `name` in the host namespace `namespace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The virtual cluster's name: the Service and StatefulSet are called this, the
    /// ServiceAccount, Role, RoleBinding and kubeconfig Secret `vc-<name>`.
    pub name: String,
    /// The host namespace every object goes to.
    pub namespace: String,
    /// `.Release.Service`, the `app.kubernetes.io/managed-by` label ("vnest"; Helm
    /// itself says "Helm").
    pub service: String,
}

impl Release {
    pub fn new(name: impl Into<String>, namespace: impl Into<String>) -> Release {
        Release {
            name: name.into(),
            namespace: namespace.into(),
            service: "vnest".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("invalid virtual cluster name {0:?}: {1}")]
    InvalidName(String, String),
    #[error("invalid namespace {0:?}: {1}")]
    InvalidNamespace(String, String),
    #[error(transparent)]
    Values(#[from] crate::values::ValuesError),
    #[error("chart template {file}: {message}")]
    Template { file: String, message: String },
    #[error("chart template {file} rendered invalid YAML: {source}")]
    Yaml {
        file: String,
        source: serde_yaml_ng::Error,
    },
    #[error("chart template {file} rendered {kind} {name} outside namespace {namespace}")]
    Namespace {
        file: String,
        kind: String,
        name: String,
        namespace: String,
    },
}

/// The longest virtual cluster name: the StatefulSet's pods carry a
/// `controller-revision-hash` label `<name>-<10 chars>`, which must fit in 63.
pub const MAX_NAME_LEN: usize = 52;

/// Checks a release name: a DNS-1035 label (it names a Service) of at most
/// [`MAX_NAME_LEN`] characters.
pub fn check_name(name: &str) -> Result<(), RenderError> {
    let err = |m: &str| Err(RenderError::InvalidName(name.to_string(), m.to_string()));
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return err("must be 1 to 52 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return err("must start with a lowercase letter");
    }
    if name.ends_with('-') {
        return err("must end with a lowercase letter or digit");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return err("must consist of lowercase letters, digits and '-'");
    }
    Ok(())
}

fn check_namespace(ns: &str) -> Result<(), RenderError> {
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(RenderError::InvalidNamespace(
            ns.to_string(),
            "must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)".into(),
        ))
    }
}

/// Renders the chart for `release` with `values` into the objects to apply, in the
/// order the templates produce them (use [`crate::apply`] for the apply order).
/// Every object is in `release.namespace`.
pub fn render(release: &Release, values: &Values) -> Result<Vec<Value>, RenderError> {
    values.validate()?;
    let json = serde_json::to_value(values)
        .map_err(|e| crate::values::ValuesError::Invalid(e.to_string()))?;
    render_with(release, &json)
}

/// Renders the chart with untyped values (as a values tree, e.g. from
/// [`crate::values::default_values_json`] plus [`crate::apply_set`]), unchecked
/// against [`Values`]: what `helm template` would do with them.
pub fn render_with(release: &Release, values: &Value) -> Result<Vec<Value>, RenderError> {
    check_name(&release.name)?;
    check_namespace(&release.namespace)?;
    let chart: Value =
        serde_yaml_ng::from_str(chart_file("Chart.yaml")).map_err(|e| RenderError::Yaml {
            file: "Chart.yaml".into(),
            source: e,
        })?;
    let meta = |k: &str| chart.get(k).cloned().unwrap_or(Value::Null);
    let top = serde_json::json!({
        "Values": values,
        "Release": {
            "Name": release.name,
            "Namespace": release.namespace,
            "Service": release.service,
            "IsInstall": true,
            "IsUpgrade": false,
        },
        "Chart": {
            "Name": meta("name"),
            "Version": meta("version"),
            "AppVersion": meta("appVersion"),
        },
    });
    let context = Context::from(to_template(&top));
    let mut objects = Vec::new();
    for (path, _) in CHART_FILES {
        let Some(file) = path.strip_prefix("templates/") else {
            continue;
        };
        if file.starts_with('_') || file == "NOTES.txt" {
            continue;
        }
        let text = execute(file, &context).map_err(|message| RenderError::Template {
            file: path.to_string(),
            message,
        })?;
        // Helm's post-processing of missing keys rendered with missingkey=zero.
        let text = text.replace("<no value>", "");
        for doc in split_documents(&text) {
            let obj: Value = serde_yaml_ng::from_str(&doc).map_err(|e| RenderError::Yaml {
                file: path.to_string(),
                source: e,
            })?;
            if obj.is_null() {
                continue;
            }
            let field = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
            if field("/metadata/namespace") != release.namespace {
                return Err(RenderError::Namespace {
                    file: path.to_string(),
                    kind: field("/kind").to_string(),
                    name: field("/metadata/name").to_string(),
                    namespace: release.namespace.clone(),
                });
            }
            objects.push(obj);
        }
    }
    Ok(objects)
}

/// Splits rendered text into YAML documents at `---` lines.
fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        let is_separator = line.starts_with("---") && line[3..].chars().all(|c| c.is_whitespace());
        if is_separator {
            docs.push(String::new());
        } else {
            let cur = docs.last_mut().expect("never empty");
            cur.push_str(line);
            cur.push('\n');
        }
    }
    docs.retain(|d| !d.trim().is_empty());
    docs
}

/// The functions the chart may use besides Go's builtins.
const FUNCS: &[(&str, Func)] = &[
    ("include", include as Func),
    ("toYaml", to_yaml as Func),
    ("nindent", nindent as Func),
    ("indent", indent as Func),
    ("quote", quote as Func),
    ("default", default as Func),
    ("b64enc", b64enc as Func),
];

/// Executes the named template (a file under templates/ or a `define`) with every
/// template file parsed, so `define`s from any file are known.
fn execute(name: &str, context: &Context) -> Result<String, String> {
    let mut tmpl = Template::with_name(name);
    tmpl.add_funcs(FUNCS);
    for (path, text) in CHART_FILES {
        if let Some(file) = path.strip_prefix("templates/") {
            tmpl.add_template(file, *text)
                .map_err(|e| format!("{file}: {e}"))?;
        }
    }
    if !tmpl.tree_set.contains_key(name) {
        return Err(format!("no template {name:?}"));
    }
    tmpl.render(context).map_err(|e| e.to_string())
}

fn generic(m: impl Into<String>) -> FuncError {
    FuncError::Generic(m.into())
}

/// `include NAME DATA`: the output of a defined template, as a string for pipelines.
fn include(args: &[TValue]) -> Result<TValue, FuncError> {
    let [TValue::String(name), data] = args else {
        return Err(FuncError::ExactlyXArgs("include".into(), 2));
    };
    execute(name, &Context::from(data.clone()))
        .map(TValue::String)
        .map_err(|e| generic(format!("include {name:?}: {e}")))
}

/// What Go's `fmt.Sprint` prints for a value (strings as they are, no value empty).
fn text_of(v: &TValue) -> String {
    match v {
        TValue::String(s) => s.clone(),
        TValue::NoValue | TValue::Nil => String::new(),
        other => other.to_string(),
    }
}

/// `toYaml V`: YAML without the final newline, as Helm's.
fn to_yaml(args: &[TValue]) -> Result<TValue, FuncError> {
    let [v] = args else {
        return Err(FuncError::ExactlyXArgs("toYaml".into(), 1));
    };
    let yaml =
        serde_yaml_ng::to_string(&from_template(v)).map_err(|e| generic(format!("toYaml: {e}")))?;
    Ok(TValue::String(yaml.trim_end_matches('\n').to_string()))
}

fn indent_by(args: &[TValue], name: &str) -> Result<String, FuncError> {
    let [TValue::Number(n), s] = args else {
        return Err(FuncError::ExactlyXArgs(name.into(), 2));
    };
    let n = n
        .as_u64()
        .ok_or_else(|| generic(format!("{name}: the width must be a count")))?;
    let pad = " ".repeat(n as usize);
    Ok(format!(
        "{pad}{}",
        text_of(s).replace('\n', &format!("\n{pad}"))
    ))
}

/// `indent N S`: every line of S indented by N spaces.
fn indent(args: &[TValue]) -> Result<TValue, FuncError> {
    indent_by(args, "indent").map(TValue::String)
}

/// `nindent N S`: a newline, then `indent N S`.
fn nindent(args: &[TValue]) -> Result<TValue, FuncError> {
    indent_by(args, "nindent").map(|s| TValue::String(format!("\n{s}")))
}

/// `quote V...`: each value as a double-quoted string, space separated.
fn quote(args: &[TValue]) -> Result<TValue, FuncError> {
    let quoted: Vec<String> = args
        .iter()
        .filter(|v| !matches!(v, TValue::Nil | TValue::NoValue))
        .map(|v| Value::String(text_of(v)).to_string())
        .collect();
    Ok(TValue::String(quoted.join(" ")))
}

/// Whether sprig's `empty` holds for a value.
fn is_empty(v: &TValue) -> bool {
    match v {
        TValue::NoValue | TValue::Nil => true,
        TValue::Bool(b) => !b,
        TValue::String(s) => s.is_empty(),
        TValue::Array(a) => a.is_empty(),
        TValue::Map(m) | TValue::Object(m) => m.is_empty(),
        TValue::Number(n) => n.as_f64() == Some(0.0),
        TValue::Function(_) => false,
    }
}

/// `default D V`: V unless it is empty, then D.
fn default(args: &[TValue]) -> Result<TValue, FuncError> {
    match args {
        [d] => Ok(d.clone()),
        [d, v] => Ok(if is_empty(v) { d.clone() } else { v.clone() }),
        _ => Err(FuncError::AtLeastXArgs("default".into(), 1)),
    }
}

/// `b64enc S`: standard base64.
fn b64enc(args: &[TValue]) -> Result<TValue, FuncError> {
    let [v] = args else {
        return Err(FuncError::ExactlyXArgs("b64enc".into(), 1));
    };
    Ok(TValue::String(
        base64::engine::general_purpose::STANDARD.encode(text_of(v)),
    ))
}

/// JSON to the template engine's values.
fn to_template(v: &Value) -> TValue {
    match v {
        Value::Null => TValue::Nil,
        Value::Bool(b) => TValue::Bool(*b),
        Value::String(s) => TValue::String(s.clone()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                TValue::from(i)
            } else if let Some(u) = n.as_u64() {
                TValue::from(u)
            } else {
                TValue::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::Array(a) => TValue::Array(a.iter().map(to_template).collect()),
        Value::Object(m) => TValue::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), to_template(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// The template engine's values to JSON (maps with sorted keys, as Go's YAML writer).
fn from_template(v: &TValue) -> Value {
    match v {
        TValue::NoValue | TValue::Nil | TValue::Function(_) => Value::Null,
        TValue::Bool(b) => Value::Bool(*b),
        TValue::String(s) => Value::String(s.clone()),
        TValue::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        TValue::Array(a) => Value::Array(a.iter().map(from_template).collect()),
        TValue::Map(m) | TValue::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), from_template(v)))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{values_from, StoreType};

    fn demo(values: &Values) -> Vec<Value> {
        render(&Release::new("demo", "vc-demo"), values).expect("render")
    }

    fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
        objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    }

    fn kinds(objects: &[Value]) -> Vec<String> {
        let mut k: Vec<String> = objects
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap_or(""),
                    o["metadata"]["name"].as_str().unwrap_or("")
                )
            })
            .collect();
        k.sort();
        k
    }

    #[test]
    fn the_embedded_file_list_is_the_chart_directory() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/chart");
        let mut on_disk = Vec::new();
        for dir in ["", "templates/"] {
            for e in std::fs::read_dir(format!("{root}/{dir}")).expect("chart dir") {
                let e = e.expect("entry");
                if e.file_type().expect("type").is_file() {
                    on_disk.push(format!("{dir}{}", e.file_name().to_string_lossy()));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = CHART_FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk, "update chart_files!() in render.rs");
    }

    #[test]
    fn defaults_render_the_control_plane_and_its_identity() {
        let objects = demo(&Values::default());
        assert_eq!(
            kinds(&objects),
            [
                "Role/vc-demo",
                "RoleBinding/vc-demo",
                "Service/demo",
                "ServiceAccount/vc-demo",
                "StatefulSet/demo"
            ]
        );
        for o in &objects {
            assert_eq!(o["metadata"]["namespace"], "vc-demo", "{o}");
            let labels = &o["metadata"]["labels"];
            assert_eq!(labels["app.kubernetes.io/name"], "vnest");
            assert_eq!(labels["app.kubernetes.io/instance"], "demo");
            assert_eq!(labels["app.kubernetes.io/managed-by"], "vnest");
            assert_eq!(labels["vnest.io/vcluster"], "demo");
        }
        let sts = find(&objects, "StatefulSet", "demo").expect("statefulset");
        assert_eq!(sts["spec"]["replicas"], 1);
        assert_eq!(sts["spec"]["serviceName"], "demo");
        let pod = &sts["spec"]["template"]["spec"];
        assert_eq!(pod["serviceAccountName"], "vc-demo");
        let c = &pod["containers"][0];
        assert_eq!(c["image"], "ghcr.io/vnest/vnest:0.1.0");
        let args: Vec<&str> = c["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for want in [
            "control-plane",
            "--name=demo",
            "--listen=0.0.0.0:8443",
            "--dns-listen=0.0.0.0:1053",
            "--data-dir=/data",
            "--in-cluster",
            "--host-namespace=vc-demo",
            "--tls-san=demo.vc-demo.svc",
            "--tls-san=demo.vc-demo.svc.cluster.local",
            "--store=sqlite",
        ] {
            assert!(args.contains(&want), "{want} missing from {args:?}");
        }
        assert!(!args.contains(&"--sync-all-configmaps"));
        assert!(!args.contains(&"--sync-all-secrets"));
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert_eq!(c["readinessProbe"]["httpGet"]["scheme"], "HTTPS");
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            c["env"][2]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.namespace"
        );
        assert_eq!(c["resources"]["requests"]["cpu"], "100m");
        let claim = &sts["spec"]["volumeClaimTemplates"][0];
        assert_eq!(claim["metadata"]["name"], "data");
        assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "5Gi");
        assert!(claim["spec"].get("storageClassName").is_none());

        let svc = find(&objects, "Service", "demo").expect("service");
        let ports = svc["spec"]["ports"].as_array().expect("ports");
        assert_eq!(ports.len(), 3);
        assert_eq!(ports[0]["port"], 443);
        assert_eq!(ports[0]["targetPort"], 8443);
        assert_eq!(ports[1]["protocol"], "UDP");
        assert_eq!(ports[2]["name"], "dns-tcp");
        assert_eq!(svc["spec"]["selector"]["vnest.io/vcluster"], "demo");

        let role = find(&objects, "Role", "vc-demo").expect("role");
        let syncer: Value =
            serde_yaml_ng::Deserializer::from_str(include_str!("../../../deploy/syncer-role.yaml"))
                .map(|d| serde::Deserialize::deserialize(d).expect("syncer-role.yaml"))
                .find(|o: &Value| o["kind"] == "Role")
                .expect("the syncer's Role");
        assert_eq!(
            role["rules"], syncer["rules"],
            "the syncer's rules, no more"
        );
    }

    #[test]
    fn sqlite_and_etcd_stores() {
        let mut v = Values::default();
        v.store.sqlite.storage_class = "fast".into();
        v.store.sqlite.size = "20Gi".into();
        let objects = demo(&v);
        let sts = find(&objects, "StatefulSet", "demo").expect("statefulset");
        let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
        assert_eq!(claim["storageClassName"], "fast");
        assert_eq!(claim["resources"]["requests"]["storage"], "20Gi");

        let v = values_from(
            None,
            &[
                "store.type=etcd",
                "store.etcd.endpoints={http://a:2379,http://b:2379}",
                "store.etcd.prefix=/x",
            ],
        )
        .expect("values");
        assert_eq!(v.store.kind, StoreType::Etcd);
        let objects = demo(&v);
        let sts = find(&objects, "StatefulSet", "demo").expect("statefulset");
        assert!(sts["spec"].get("volumeClaimTemplates").is_none());
        let args = &sts["spec"]["template"]["spec"]["containers"][0]["args"];
        let args: Vec<&str> = args
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(args.contains(&"--store=etcd"));
        assert!(args.contains(&"--etcd-endpoints=http://a:2379,http://b:2379"));
        assert!(args.contains(&"--etcd-prefix=/x"));
        assert!(!args.contains(&"--store=sqlite"));
        let volumes = &sts["spec"]["template"]["spec"]["volumes"];
        assert!(volumes
            .as_array()
            .expect("volumes")
            .iter()
            .any(|v| v["name"] == "data" && v.get("emptyDir").is_some()));
    }

    #[test]
    fn sync_values_become_syncer_flags() {
        let v = values_from(None, &["sync.allConfigMaps=true", "sync.allSecrets=true"])
            .expect("values");
        let objects = demo(&v);
        let sts = find(&objects, "StatefulSet", "demo").expect("statefulset");
        let args = &sts["spec"]["template"]["spec"]["containers"][0]["args"];
        let args: Vec<&str> = args
            .as_array()
            .expect("args")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(args.contains(&"--sync-all-configmaps"), "{args:?}");
        assert!(args.contains(&"--sync-all-secrets"), "{args:?}");
    }

    #[test]
    fn isolation_adds_quota_limits_and_network_policies() {
        let v = values_from(None, &["isolation.enabled=true"]).expect("values");
        let objects = demo(&v);
        let quota = find(&objects, "ResourceQuota", "vc-demo").expect("quota");
        assert_eq!(quota["spec"]["hard"]["pods"], "50");
        assert_eq!(quota["spec"]["hard"]["requests.cpu"], "10");
        let limits = find(&objects, "LimitRange", "vc-demo").expect("limitrange");
        assert_eq!(
            limits["spec"]["limits"][0]["defaultRequest"]["memory"],
            "128Mi"
        );
        let np = find(&objects, "NetworkPolicy", "vc-demo-workloads").expect("policy");
        assert_eq!(
            np["spec"]["podSelector"]["matchLabels"]["vnest.io/managed-by"],
            "demo"
        );
        assert_eq!(
            np["spec"]["egress"][1]["to"][0]["ipBlock"]["except"][0],
            "10.0.0.0/8"
        );
        assert!(find(&objects, "NetworkPolicy", "vc-demo-control-plane").is_some());
        for o in &objects {
            assert_eq!(o["metadata"]["namespace"], "vc-demo");
        }

        // Each part can be switched off on its own.
        let v = values_from(
            None,
            &["isolation.enabled=true,isolation.resourceQuota.enabled=false,isolation.networkPolicy.enabled=false"],
        )
        .expect("values");
        let objects = demo(&v);
        assert!(find(&objects, "ResourceQuota", "vc-demo").is_none());
        assert!(find(&objects, "LimitRange", "vc-demo").is_some());
        assert_eq!(objects.len(), 6);
    }

    #[test]
    fn values_reach_the_pod() {
        let v = values_from(
            Some(
                "image: {repository: reg.example/vnest, tag: dev, pullPolicy: Always}\n\
                 controlPlane:\n  tlsSans: [vc.example.com]\n  extraArgs: ['--history-seconds=60']\n  \
                 nodeSelector: {disk: ssd}\n  podLabels: {team: a}\n  podAnnotations: {note: 'x: y'}\n  \
                 tolerations: [{key: k, operator: Exists}]\n  resources: null\n",
            ),
            &[] as &[&str],
        )
        .expect("values");
        let objects = demo(&v);
        let sts = find(&objects, "StatefulSet", "demo").expect("statefulset");
        let tpl = &sts["spec"]["template"];
        assert_eq!(tpl["metadata"]["labels"]["team"], "a");
        assert_eq!(tpl["metadata"]["labels"]["vnest.io/vcluster"], "demo");
        assert_eq!(tpl["metadata"]["annotations"]["note"], "x: y");
        assert_eq!(tpl["spec"]["nodeSelector"]["disk"], "ssd");
        assert_eq!(tpl["spec"]["tolerations"][0]["operator"], "Exists");
        let c = &tpl["spec"]["containers"][0];
        assert_eq!(c["image"], "reg.example/vnest:dev");
        assert_eq!(c["imagePullPolicy"], "Always");
        assert!(c.get("resources").is_none());
        let args = c["args"].as_array().expect("args");
        assert!(args.contains(&Value::from("--tls-san=vc.example.com")));
        assert!(args.contains(&Value::from("--history-seconds=60")));
    }

    #[test]
    fn bad_names_are_refused() {
        let v = Values::default();
        for name in ["", "Demo", "1abc", "a_b", "abc-", &"a".repeat(53)] {
            assert!(
                matches!(
                    render(&Release::new(name, "ns"), &v),
                    Err(RenderError::InvalidName(..))
                ),
                "{name:?}"
            );
        }
        assert!(matches!(
            render(&Release::new("ok", "Bad_NS"), &v),
            Err(RenderError::InvalidNamespace(..))
        ));
    }

    #[test]
    fn helm_functions() {
        let s = |v: &str| TValue::String(v.into());
        assert_eq!(
            nindent(&[TValue::from(2u64), s("a\nb")]).expect("nindent"),
            s("\n  a\n  b")
        );
        assert_eq!(
            indent(&[TValue::from(1u64), s("a")]).expect("indent"),
            s(" a")
        );
        assert_eq!(quote(&[s("a\"b")]).expect("quote"), s("\"a\\\"b\""));
        assert_eq!(
            quote(&[TValue::from(8443u64)]).expect("quote"),
            s("\"8443\"")
        );
        assert_eq!(default(&[s("d"), s("")]).expect("default"), s("d"));
        assert_eq!(default(&[s("d"), s("v")]).expect("default"), s("v"));
        assert_eq!(default(&[s("d")]).expect("default"), s("d"));
        assert_eq!(b64enc(&[s("hi")]).expect("b64enc"), s("aGk="));
        assert_eq!(
            to_yaml(&[to_template(&serde_json::json!({"b": [1], "a": "x"}))]).expect("toYaml"),
            s("a: x\nb:\n- 1")
        );
    }
}

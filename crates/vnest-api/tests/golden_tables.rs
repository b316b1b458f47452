//! Every golden/tables file is rebuilt from the objects it was listed from
//! (the `stored` objects of golden/defaults, plus a few bootstrap objects
//! re-created from the row metadata) and compared column by column and cell
//! by cell. Redacted cells: `<age>` must be a human duration, `<time>` an
//! RFC 3339 timestamp; other placeholders pass through from the objects.

use serde_json::{json, Value};
use vnest_api::table::{table, IncludeObject};

/// Stand-in for every redacted `<time>` in the objects.
const T0: &str = "2025-01-01T00:00:00Z";
const T0_UNIX: i64 = 1_735_689_600;
/// Listing time: 1h2m5s after T0.
const NOW: i64 = T0_UNIX + 3725;
/// Stand-in for the redacted `<nodePort>`.
const NODE_PORT: i64 = 30080;

fn golden_dir() -> String {
    format!("{}/tests/golden", env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (group, resource) of the kinds in golden/defaults.
fn resource_of(api_version: &str, kind: &str) -> (String, String) {
    let group = api_version
        .rsplit_once('/')
        .map_or("", |(g, _)| g)
        .to_string();
    let resource = match kind {
        "Endpoints" => "endpoints".to_string(),
        "NetworkPolicy" => "networkpolicies".to_string(),
        "PriorityClass" | "StorageClass" => format!("{}es", kind.to_lowercase()),
        "Ingress" => "ingresses".to_string(),
        other => format!("{}s", other.to_lowercase()),
    };
    (group, resource)
}

/// Replaces redaction placeholders by concrete values.
fn concretize(v: &mut Value) {
    match v {
        Value::String(s) if s == "<time>" => *s = T0.to_string(),
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k == "nodePort" && val == "<nodePort>" {
                    *val = json!(NODE_PORT);
                } else {
                    concretize(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(concretize),
        _ => {}
    }
}

/// Puts `<time>` back where [`concretize`] put T0.
fn redact(v: &mut Value) {
    match v {
        Value::String(s) if s == T0 => *s = "<time>".to_string(),
        Value::Object(m) => m.values_mut().for_each(redact),
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The events.k8s.io/v1 form of a core/v1 Event.
fn as_events_v1(core: &Value) -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": core["metadata"],
        "eventTime": core["eventTime"],
        "reportingController": core["reportingComponent"],
        "reportingInstance": core["reportingInstance"],
        "regarding": core["involvedObject"],
        "deprecatedSource": core["source"],
        "deprecatedFirstTimestamp": core["firstTimestamp"],
        "deprecatedLastTimestamp": core["lastTimestamp"],
    })
}

/// Bodies of the bootstrap objects some tables select; their metadata comes
/// from the golden row itself.
fn bootstrap_body(resource: &str, name: &str) -> Option<Value> {
    let body = match (resource, name) {
        ("namespaces", _) => json!({"kind": "Namespace", "apiVersion": "v1",
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        ("apiservices", "v1.apps") => {
            json!({"kind": "APIService", "apiVersion": "apiregistration.k8s.io/v1",
            "spec": {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800, "versionPriority": 15},
            "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local",
                                       "message": "Local APIServices are always available"}]}})
        }
        ("componentstatuses", "etcd-0") => json!({"kind": "ComponentStatus", "apiVersion": "v1",
            "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]}),
        ("flowschemas", "exempt") => {
            json!({"kind": "FlowSchema", "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
            "spec": {"priorityLevelConfiguration": {"name": "exempt"}, "matchingPrecedence": 1,
                     "rules": [{"subjects": [{"kind": "Group", "group": {"name": "system:masters"}}],
                                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                   "clusterScope": true, "namespaces": ["*"]}]}]},
            "status": {"conditions": [{"type": "Dangling", "status": "False", "reason": "Found"}]}})
        }
        ("prioritylevelconfigurations", "exempt") => json!({"kind": "PriorityLevelConfiguration",
            "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
            "spec": {"type": "Exempt", "exempt": {"nominalConcurrencyShares": 0, "lendablePercent": 0}}}),
        ("ipaddresses", "10.96.0.1") => {
            json!({"kind": "IPAddress", "apiVersion": "networking.k8s.io/v1",
            "spec": {"parentRef": {"group": "", "resource": "services", "namespace": "default", "name": "kubernetes"}}})
        }
        ("servicecidrs", "kubernetes") => {
            json!({"kind": "ServiceCIDR", "apiVersion": "networking.k8s.io/v1",
            "spec": {"cidrs": ["10.96.0.0/16"]}})
        }
        ("clusterrolebindings", "cluster-admin") => json!({"kind": "ClusterRoleBinding",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]}),
        _ => return None,
    };
    Some(body)
}

fn is_human_duration(s: &str) -> bool {
    let mut digits = false;
    let mut units = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits = true;
        } else if "ydhms".contains(c) && digits {
            digits = false;
            units += 1;
        } else {
            return false;
        }
    }
    !digits && units > 0
}

fn stored_objects() -> Vec<Value> {
    let dir = format!("{}/defaults", golden_dir());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| read_json(&p.to_string_lossy())["stored"].clone())
        .collect()
}

fn check_table(file_name: &str) {
    let golden = read_json(&format!("{}/tables/{file_name}", golden_dir()));
    let stem = file_name.trim_end_matches(".json");
    let mut parts: Vec<&str> = stem.split('.').collect();
    let resource = parts.pop().unwrap_or_default().to_string();
    let _version = parts.pop();
    let group = match parts.join(".").as_str() {
        "core" => String::new(),
        g => g.to_string(),
    };

    // The objects the rows were printed from, in list (name) order.
    let mut objects: Vec<Value> = stored_objects()
        .into_iter()
        .filter(|o| {
            let (g, r) = resource_of(
                o["apiVersion"].as_str().unwrap_or(""),
                o["kind"].as_str().unwrap_or(""),
            );
            (g.as_str(), r.as_str()) == (group.as_str(), resource.as_str())
                || (group == "events.k8s.io" && resource == "events" && r == "events")
                || (group == "autoscaling" && r == resource && g == "autoscaling")
        })
        .map(|o| {
            if group == "events.k8s.io" {
                as_events_v1(&o)
            } else {
                o
            }
        })
        .collect();
    let golden_rows = golden["rows"].as_array().cloned().unwrap_or_default();
    for row in &golden_rows {
        let name = row["object"]["metadata"]["name"]
            .as_str()
            .unwrap_or_default();
        if objects.iter().any(|o| o["metadata"]["name"] == name) {
            continue;
        }
        let mut body = bootstrap_body(&resource, name)
            .unwrap_or_else(|| panic!("{file_name}: no object for row {name}"));
        body["metadata"] = row["object"]["metadata"].clone();
        objects.push(body);
    }
    objects.sort_by(|a, b| {
        let key = |o: &Value| {
            (
                o["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                o["metadata"]["name"].as_str().unwrap_or("").to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    objects.iter_mut().for_each(concretize);

    let mut expected = golden.clone();
    // Kubernetes 1.33 still prints the service account's Secrets count; the
    // recorded 1.36 server no longer does (removed in 1.34).
    if group.is_empty() && resource == "serviceaccounts" {
        if let Some(cols) = expected["columnDefinitions"].as_array_mut() {
            cols.insert(
                1,
                json!({"name": "Secrets", "type": "string", "format": "", "priority": 0}),
            );
        }
        for row in expected["rows"].as_array_mut().into_iter().flatten() {
            if let Some(cells) = row["cells"].as_array_mut() {
                cells.insert(1, json!(0));
            }
        }
    }

    let got = table(
        &group,
        &resource,
        &objects,
        NOW,
        IncludeObject::Metadata,
        golden["metadata"].clone(),
    );
    assert_eq!(got["kind"], "Table", "{file_name}");
    assert_eq!(got["apiVersion"], "meta.k8s.io/v1", "{file_name}");
    assert_eq!(
        got["metadata"], expected["metadata"],
        "{file_name}: metadata"
    );

    // Columns.
    let got_cols = got["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let want_cols = expected["columnDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let strip = |c: &Value| json!([c["name"], c["type"], c["format"], c["priority"]]);
    assert_eq!(
        got_cols.iter().map(strip).collect::<Vec<_>>(),
        want_cols.iter().map(strip).collect::<Vec<_>>(),
        "{file_name}: columns"
    );
    for c in &got_cols {
        let d = c["description"].as_str().unwrap_or("");
        assert!(
            !d.is_empty(),
            "{file_name}: column {} has no description",
            c["name"]
        );
    }

    // Rows (null stays null: the generic convertor's empty list).
    if expected["rows"].is_null() {
        assert_eq!(got["rows"], Value::Null, "{file_name}: rows");
        return;
    }
    let got_rows = got["rows"].as_array().cloned().unwrap_or_default();
    let want_rows = expected["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(got_rows.len(), want_rows.len(), "{file_name}: row count");
    for (i, (g, w)) in got_rows.iter().zip(&want_rows).enumerate() {
        let gc = g["cells"].as_array().cloned().unwrap_or_default();
        let wc = w["cells"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            gc.len(),
            wc.len(),
            "{file_name} row {i}: cell count\n got {gc:?}\n want {wc:?}"
        );
        for (j, (gcell, wcell)) in gc.iter().zip(&wc).enumerate() {
            match wcell.as_str() {
                Some("<age>") => {
                    let s = gcell.as_str().unwrap_or("");
                    assert!(
                        is_human_duration(s),
                        "{file_name} row {i} cell {j}: {gcell} is not an age"
                    );
                }
                Some("<time>") => {
                    assert_eq!(gcell, T0, "{file_name} row {i} cell {j}");
                }
                Some(s) if s.contains("<nodePort>") => {
                    let want = s.replace("<nodePort>", &NODE_PORT.to_string());
                    assert_eq!(gcell, &json!(want), "{file_name} row {i} cell {j}");
                }
                _ => assert_eq!(gcell, wcell, "{file_name} row {i} cell {j}"),
            }
        }
        assert_eq!(
            g.get("conditions"),
            w.get("conditions"),
            "{file_name} row {i}: conditions"
        );
        let mut object = g["object"].clone();
        redact(&mut object);
        assert_eq!(object, w["object"], "{file_name} row {i}: object");
    }
}

#[test]
fn every_golden_table() {
    let dir = format!("{}/tables", golden_dir());
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 61, "golden/tables changed");
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = std::panic::catch_unwind(|| check_table(f)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{f}: {msg}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} tables differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pod_status_reasons() {
    let base = |status: Value| {
        json!({"metadata": {"name": "p", "creationTimestamp": T0},
               "spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": status})
    };
    let cells = |pod: Value| {
        table("", "pods", &[pod], NOW, IncludeObject::None, Value::Null)["rows"][0].clone()
    };
    let running = |name: &str, ready: bool| {
        json!({"name": name, "ready": ready, "restartCount": 0,
                                                  "state": {"running": {"startedAt": T0}}})
    };

    let row = cells(base(json!({"phase": "Pending", "containerStatuses": [
        {"name": "a", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}},
        {"name": "b", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]})));
    assert_eq!(row["cells"][1], "0/2");
    assert_eq!(row["cells"][2], "ContainerCreating");

    let row = cells(base(
        json!({"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
        "containerStatuses": [running("a", true), running("b", true)]}),
    ));
    assert_eq!(row["cells"][1], "2/2");
    assert_eq!(row["cells"][2], "Running");
    assert_eq!(row["cells"][5], "10.0.0.5");

    // CrashLoopBackOff with the time of the last restart.
    let row = cells(base(json!({"phase": "Running", "containerStatuses": [
        running("a", true),
        {"name": "b", "ready": false, "restartCount": 4,
         "state": {"waiting": {"reason": "CrashLoopBackOff"}},
         "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                      "finishedAt": "2025-01-01T01:01:05Z"}}}]})));
    assert_eq!(row["cells"][1], "1/2");
    assert_eq!(row["cells"][2], "CrashLoopBackOff");
    assert_eq!(row["cells"][3], "4 (60s ago)");

    let row = cells(base(json!({"phase": "Succeeded", "containerStatuses": [
        {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "b", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]})));
    assert_eq!(row["cells"][2], "Completed");
    assert_eq!(row["conditions"][0]["reason"], "Succeeded");

    let row = cells(base(json!({"phase": "Running", "containerStatuses": [
        {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 137, "signal": 9}}},
        running("b", true)]})));
    assert_eq!(row["cells"][2], "Signal:9");

    let mut terminating = base(
        json!({"phase": "Running", "containerStatuses": [running("a", true), running("b", true)]}),
    );
    terminating["metadata"]["deletionTimestamp"] = json!(T0);
    assert_eq!(cells(terminating)["cells"][2], "Terminating");

    // Init containers: the second of three is waiting.
    let mut init = base(json!({"phase": "Pending",
        "initContainerStatuses": [
            {"name": "i1", "ready": true, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
            {"name": "i2", "ready": false, "restartCount": 0, "state": {"running": {}}}]}));
    init["spec"]["initContainers"] = json!([{"name": "i1"}, {"name": "i2"}, {"name": "i3"}]);
    assert_eq!(cells(init)["cells"][2], "Init:1/3");

    let gated = base(json!({"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}));
    assert_eq!(cells(gated)["cells"][2], "SchedulingGated");

    let mut gates = base(
        json!({"phase": "Running", "conditions": [{"type": "example.com/ready", "status": "True"}]}),
    );
    gates["spec"]["readinessGates"] =
        json!([{"conditionType": "example.com/ready"}, {"conditionType": "other"}]);
    assert_eq!(cells(gates)["cells"][8], "1/2");
}

#[test]
fn service_cells() {
    let svc = |spec: Value, status: Value| {
        json!({"metadata": {"name": "s", "creationTimestamp": T0},
                                                 "spec": spec, "status": status})
    };
    let row = |s: Value| {
        table("", "services", &[s], NOW, IncludeObject::None, Value::Null)["rows"][0]["cells"]
            .clone()
    };
    let lb = row(svc(
        json!({"type": "LoadBalancer", "clusterIPs": ["10.0.0.1"],
        "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30001}, {"port": 53, "protocol": "UDP", "nodePort": 30002}],
        "selector": {"b": "2", "a": "1"}}),
        json!({"loadBalancer": {}}),
    ));
    assert_eq!(lb[3], "<pending>");
    assert_eq!(lb[4], "80:30001/TCP,53:30002/UDP");
    assert_eq!(lb[6], "a=1,b=2");
    let lb = row(svc(
        json!({"type": "LoadBalancer", "externalIPs": ["9.9.9.9"]}),
        json!({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"hostname": "lb.example.com"}]}}),
    ));
    assert_eq!(lb[2], "<none>");
    assert_eq!(lb[3], "1.2.3.4,lb.example.com,9.9.9.9");
    assert_eq!(lb[4], "<none>");
}

#[test]
fn hpa_v1_shape_and_many_metrics() {
    let v1 = json!({"metadata": {"name": "h", "creationTimestamp": T0},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "minReplicas": 2, "maxReplicas": 5,
                 "targetCPUUtilizationPercentage": 70},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 41}});
    let t = table(
        "autoscaling",
        "horizontalpodautoscalers",
        &[v1],
        NOW,
        IncludeObject::None,
        Value::Null,
    );
    assert_eq!(
        t["rows"][0]["cells"],
        json!(["h", "Deployment/d", "cpu: 41%/70%", "2", 5, 3, "62m"])
    );
    let v2 = json!({"metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 5, "metrics": [
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
            {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
            {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "30"}}}]},
        "status": {"currentMetrics": [{"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "50Mi"}}}]}});
    let t = table(
        "autoscaling",
        "horizontalpodautoscalers",
        &[v2],
        NOW,
        IncludeObject::None,
        Value::Null,
    );
    assert_eq!(
        t["rows"][0]["cells"][2],
        "memory: 50Mi/100Mi, <unknown>/10 + 1 more..."
    );
    assert_eq!(t["rows"][0]["cells"][3], "<unset>");
    assert_eq!(t["rows"][0]["cells"][6], "<unknown>");
}

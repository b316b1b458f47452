use serde_json::{json, Value};

use super::*;

const BASELINE: LevelVersion = LevelVersion::latest(Level::Baseline);
const RESTRICTED: LevelVersion = LevelVersion::latest(Level::Restricted);

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
}

fn one_container(sc: Value) -> Value {
    pod(json!({"containers": [{"name": "app", "image": "nginx", "securityContext": sc}]}))
}

/// A pod that passes `restricted`.
fn restricted_ok() -> Value {
    pod(json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "nginx", "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
        }}],
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}]
    }))
}

fn texts(lv: LevelVersion, p: &Value) -> Vec<String> {
    check_pod(lv, p).iter().map(ToString::to_string).collect()
}

#[test]
fn golden_enforce_baseline_host_network() {
    let p = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"hostnet"},
        "spec":{"hostNetwork":true,"containers":[{"name":"app","image":"nginx"}]}});
    let v = check_pod(BASELINE, &p);
    assert_eq!(
        message(BASELINE, &v),
        r#"violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#
    );
}

#[test]
fn golden_warn_restricted_plain_pod() {
    let p = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain"},
        "spec":{"containers":[{"name":"app","image":"nginx"}]}});
    let v = check_pod(RESTRICTED, &p);
    assert_eq!(
        warning(RESTRICTED, &v),
        concat!(
            r#"would violate PodSecurity "restricted:latest": "#,
            r#"allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), "#,
            r#"unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), "#,
            r#"runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), "#,
            r#"seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
        )
    );
    // The same pod passes baseline.
    assert!(check_pod(BASELINE, &p).is_empty());
}

#[test]
fn golden_privileged_pod_fails_baseline() {
    // The recording refused it in validation (--allow-privileged=false); with
    // privileged containers allowed, baseline enforcement refuses it.
    let p = one_container(json!({"privileged": true}));
    assert_eq!(
        texts(BASELINE, &p),
        [r#"privileged (container "app" must not set securityContext.privileged=true)"#]
    );
}

#[test]
fn privileged_level_allows_everything() {
    let p = pod(json!({"hostNetwork": true, "hostPID": true,
        "containers": [{"name": "a", "securityContext": {"privileged": true}}]}));
    assert!(check_pod(LevelVersion::latest(Level::Privileged), &p).is_empty());
}

#[test]
fn restricted_pod_passes_both_levels() {
    let p = restricted_ok();
    assert_eq!(texts(RESTRICTED, &p), Vec::<String>::new());
    assert_eq!(texts(BASELINE, &p), Vec::<String>::new());
}

#[test]
fn host_namespaces_listed_in_order() {
    let p = pod(
        json!({"hostIPC": true, "hostPID": true, "hostNetwork": true,
        "containers": [{"name": "a"}]}),
    );
    assert_eq!(
        texts(BASELINE, &p),
        ["host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"]
    );
    let p = pod(json!({"hostNetwork": false, "containers": [{"name": "a"}]}));
    assert!(check_pod(BASELINE, &p).is_empty());
}

#[test]
fn privileged_plural_over_all_container_kinds() {
    let p = pod(json!({
        "initContainers": [{"name": "init", "securityContext": {"privileged": true}}],
        "containers": [{"name": "a", "securityContext": {"privileged": true}},
                       {"name": "b", "securityContext": {"privileged": false}}],
        "ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}]
    }));
    assert_eq!(
        texts(BASELINE, &p),
        [
            r#"privileged (containers "init", "a", "debug" must not set securityContext.privileged=true)"#
        ]
    );
}

#[test]
fn baseline_capabilities() {
    let p = pod(json!({"containers": [
        {"name": "a", "securityContext": {"capabilities": {"add": ["NET_ADMIN", "CHOWN", "SYS_ADMIN"]}}},
        {"name": "b", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}},
        {"name": "c", "securityContext": {"capabilities": {"add": ["KILL"]}}}
    ]}));
    assert_eq!(
        texts(BASELINE, &p),
        [
            r#"non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)"#
        ]
    );
}

#[test]
fn host_path_volumes() {
    let p = pod(json!({"containers": [{"name": "a"}],
        "volumes": [{"name": "x", "hostPath": {"path": "/"}}, {"name": "e", "emptyDir": {}}]}));
    assert_eq!(texts(BASELINE, &p), [r#"hostPath volumes (volume "x")"#]);
    let p = pod(json!({"containers": [{"name": "a"}],
        "volumes": [{"name": "x", "hostPath": {"path": "/"}}, {"name": "y", "hostPath": {"path": "/tmp"}}]}));
    assert_eq!(
        texts(BASELINE, &p),
        [r#"hostPath volumes (volumes "x", "y")"#]
    );
}

#[test]
fn host_ports_sorted_as_strings() {
    let p = pod(json!({"containers": [
        {"name": "a", "ports": [{"containerPort": 80}]},
        {"name": "b", "ports": [{"containerPort": 80, "hostPort": 20}]}
    ]}));
    assert_eq!(
        texts(BASELINE, &p),
        [r#"hostPort (container "b" uses hostPort 20)"#]
    );
    let p = pod(json!({"containers": [
        {"name": "b", "ports": [{"hostPort": 20}, {"hostPort": 10}]},
        {"name": "c", "ports": [{"hostPort": 30}, {"hostPort": 9}]}
    ]}));
    assert_eq!(
        texts(BASELINE, &p),
        [r#"hostPort (containers "b", "c" use hostPorts 10, 20, 30, 9)"#]
    );
}

#[test]
fn app_armor_fields_and_annotations() {
    let p = pod(
        json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
        "containers": [{"name": "a"}]}),
    );
    assert_eq!(
        texts(BASELINE, &p),
        [r#"forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")"#]
    );
    let p = pod(json!({"containers": [
        {"name": "a", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}},
        {"name": "b", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}
    ]}));
    assert_eq!(
        texts(BASELINE, &p),
        [
            r#"forbidden AppArmor profile (container "b" must not set AppArmor profile type to "Unconfined")"#
        ]
    );
    let p = json!({"metadata": {"annotations": {
        "container.apparmor.security.beta.kubernetes.io/": "bogus",
        "container.apparmor.security.beta.kubernetes.io/a": "",
        "container.apparmor.security.beta.kubernetes.io/b": "runtime/default",
        "container.apparmor.security.beta.kubernetes.io/c": "localhost/",
        "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
        "container.apparmor.security.beta.kubernetes.io/f": "unknown"
    }}, "spec": {"containers": [{"name": "a"}]}});
    assert_eq!(
        texts(BASELINE, &p),
        [concat!(
            "forbidden AppArmor profiles (annotations must not set AppArmor profile type to ",
            r#""container.apparmor.security.beta.kubernetes.io/="bogus"", "#,
            r#""container.apparmor.security.beta.kubernetes.io/e="unconfined"", "#,
            r#""container.apparmor.security.beta.kubernetes.io/f="unknown"")"#
        )]
    );
}

#[test]
fn se_linux_options() {
    let p = pod(
        json!({"securityContext": {"seLinuxOptions": {"type": "spc_t", "user": "root"}},
        "containers": [
            {"name": "a", "securityContext": {"seLinuxOptions": {"type": "container_t"}}},
            {"name": "b", "securityContext": {"seLinuxOptions": {"role": "sysadm_r", "type": "foo_t"}}}
        ]}),
    );
    assert_eq!(
        texts(BASELINE, &p),
        [
            r#"seLinuxOptions (pod and container "b" set forbidden securityContext.seLinuxOptions: types "foo_t", "spc_t"; user may not be set; role may not be set)"#
        ]
    );
    // container_engine_t is allowed from v1.31.
    let p = one_container(json!({"seLinuxOptions": {"type": "container_engine_t"}}));
    assert!(check_pod(BASELINE, &p).is_empty());
    let old = LevelVersion {
        level: Level::Baseline,
        version: Version::V1(30),
    };
    assert_eq!(
        texts(old, &p),
        [
            r#"seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "container_engine_t")"#
        ]
    );
}

#[test]
fn proc_mount() {
    let p = one_container(json!({"procMount": "Unmasked"}));
    assert_eq!(
        texts(BASELINE, &p),
        [r#"procMount (container "app" must not set securityContext.procMount to "Unmasked")"#]
    );
    let p = one_container(json!({"procMount": "Default"}));
    assert!(check_pod(BASELINE, &p).is_empty());
}

#[test]
fn seccomp_unconfined_at_baseline() {
    let p = pod(
        json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
                       {"name": "b", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
                       {"name": "c"}]}),
    );
    assert_eq!(
        texts(BASELINE, &p),
        [
            r#"seccompProfile (pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")"#
        ]
    );
}

#[test]
fn seccomp_annotations_before_1_19() {
    let lv = LevelVersion {
        level: Level::Baseline,
        version: Version::V1(18),
    };
    let p = json!({"metadata": {"annotations": {
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
        "container.seccomp.security.alpha.kubernetes.io/a": "docker/default",
        "container.seccomp.security.alpha.kubernetes.io/b": "unconfined"
    }}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
    assert_eq!(
        texts(lv, &p),
        [concat!(
            "seccompProfile (forbidden annotations ",
            r#"container.seccomp.security.alpha.kubernetes.io/b="unconfined", "#,
            r#"seccomp.security.alpha.kubernetes.io/pod="unconfined")"#
        )]
    );
    // From v1.19 the annotations are not looked at.
    assert!(check_pod(BASELINE, &p).is_empty());
}

#[test]
fn sysctls_by_version() {
    let p = pod(json!({"securityContext": {"sysctls": [
        {"name": "net.ipv4.tcp_rmem", "value": "1"},
        {"name": "kernel.msgmax", "value": "1"},
        {"name": "net.ipv4.tcp_syncookies", "value": "1"},
        {"name": "net.ipv4.tcp_keepalive_time", "value": "1"}
    ]}, "containers": [{"name": "a"}]}));
    assert_eq!(texts(BASELINE, &p), ["forbidden sysctls (kernel.msgmax)"]);
    let v1_28 = LevelVersion {
        level: Level::Baseline,
        version: Version::V1(28),
    };
    assert_eq!(
        texts(v1_28, &p),
        ["forbidden sysctls (net.ipv4.tcp_rmem, kernel.msgmax, net.ipv4.tcp_keepalive_time)"]
    );
}

#[test]
fn windows_host_process() {
    let p = pod(
        json!({"securityContext": {"windowsOptions": {"hostProcess": true}},
        "containers": [{"name": "a", "securityContext": {"windowsOptions": {"hostProcess": true}}},
                       {"name": "b"}]}),
    );
    assert_eq!(
        texts(BASELINE, &p),
        [
            r#"hostProcess (pod and container "a" must not set securityContext.windowsOptions.hostProcess=true)"#
        ]
    );
}

#[test]
fn restricted_volume_types() {
    let p = pod(json!({"containers": [{"name": "a"}], "volumes": [
        {"name": "ok1", "emptyDir": {}}, {"name": "ok2", "secret": {"secretName": "s"}},
        {"name": "ok3", "persistentVolumeClaim": {"claimName": "c"}}, {"name": "ok4", "projected": {}},
        {"name": "ok5", "csi": {"driver": "d"}}, {"name": "ok6", "ephemeral": {}},
        {"name": "ok7", "image": {"reference": "x"}}, {"name": "ok8", "downwardAPI": {}},
        {"name": "h", "hostPath": {"path": "/"}}, {"name": "n", "nfs": {"server": "s", "path": "/"}},
        {"name": "u"}
    ]}));
    let v = check_pod(RESTRICTED, &p);
    // hostPath is reported by the restricted volume check, not the baseline one.
    assert!(v.iter().all(|v| v.reason != "hostPath volumes"));
    assert!(v.contains(&Violation::new(
        "restricted volume types",
        r#"volumes "h", "n", "u" use restricted volume types "hostPath", "nfs", "unknown""#
    )));
    let p = pod(json!({"containers": [{"name": "a"}], "volumes": [{"name": "g", "gitRepo": {}}]}));
    assert!(check_pod(RESTRICTED, &p).contains(&Violation::new(
        "restricted volume types",
        r#"volume "g" uses restricted volume type "gitRepo""#
    )));
}

#[test]
fn restricted_capabilities() {
    let p = pod(json!({"containers": [
        {"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}},
        {"name": "b", "securityContext": {"capabilities": {"drop": ["NET_RAW"], "add": ["CHOWN", "NET_ADMIN"]}}},
        {"name": "c", "securityContext": {}}
    ]}));
    let v = check_pod(RESTRICTED, &p);
    assert!(v.contains(&Violation::new(
        "unrestricted capabilities",
        r#"containers "b", "c" must set securityContext.capabilities.drop=["ALL"]; container "b" must not include "CHOWN", "NET_ADMIN" in securityContext.capabilities.add"#
    )));
    // The baseline capability check is replaced at restricted.
    assert!(v.iter().all(|v| v.reason != "non-default capabilities"));
}

#[test]
fn run_as_non_root_explicit_and_implicit() {
    let p = pod(json!({"securityContext": {"runAsNonRoot": false},
        "containers": [{"name": "a", "securityContext": {"runAsNonRoot": false}},
                       {"name": "b", "securityContext": {"runAsNonRoot": true}},
                       {"name": "c"}]}));
    let v = check_pod(RESTRICTED, &p);
    assert!(v.contains(&Violation::new(
        "runAsNonRoot != true",
        r#"pod and container "a" must not set securityContext.runAsNonRoot=false"#
    )));
    // Pod-level true covers containers that say nothing.
    let p = pod(json!({"securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": false}}]}));
    assert!(check_pod(RESTRICTED, &p).contains(&Violation::new(
        "runAsNonRoot != true",
        r#"container "b" must not set securityContext.runAsNonRoot=false"#
    )));
}

#[test]
fn run_as_user_zero() {
    let mut p = restricted_ok();
    p["spec"]["securityContext"]["runAsUser"] = json!(0);
    p["spec"]["containers"][0]["securityContext"]["runAsUser"] = json!(0);
    assert_eq!(
        texts(RESTRICTED, &p),
        ["runAsUser=0 (pod and container \"app\" must not set runAsUser=0)"]
    );
    p["spec"]["securityContext"]["runAsUser"] = json!(1000);
    p["spec"]["containers"][0]["securityContext"]["runAsUser"] = json!(1000);
    assert!(check_pod(RESTRICTED, &p).is_empty());
    // Not part of restricted before v1.23.
    p["spec"]["securityContext"]["runAsUser"] = json!(0);
    let v1_22 = LevelVersion {
        level: Level::Restricted,
        version: Version::V1(22),
    };
    assert!(check_pod(v1_22, &p).is_empty());
}

#[test]
fn restricted_seccomp_explicit_beats_implicit() {
    let p = pod(json!({"containers": [
        {"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}},
        {"name": "b"}
    ]}));
    assert!(check_pod(RESTRICTED, &p).contains(&Violation::new(
        "seccompProfile",
        r#"container "a" must not set securityContext.seccompProfile.type to "Unconfined""#
    )));
    let p = pod(json!({"containers": [
        {"name": "a", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "x"}}},
        {"name": "b"}
    ]}));
    assert!(check_pod(RESTRICTED, &p).contains(&Violation::new(
        "seccompProfile",
        r#"pod or container "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#
    )));
}

#[test]
fn windows_pods_skip_linux_only_checks() {
    let p = pod(json!({"os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a"}]}));
    assert!(check_pod(RESTRICTED, &p).is_empty());
    // Before v1.25 the exemption did not exist.
    let v1_24 = LevelVersion {
        level: Level::Restricted,
        version: Version::V1(24),
    };
    let reasons: Vec<String> = check_pod(v1_24, &p).into_iter().map(|v| v.reason).collect();
    assert_eq!(
        reasons,
        [
            "allowPrivilegeEscalation != false",
            "unrestricted capabilities",
            "seccompProfile"
        ]
    );
}

#[test]
fn old_versions_select_old_rules() {
    // Before v1.22 restricted used the baseline capability check.
    let p = one_container(json!({"capabilities": {"add": ["NET_ADMIN"]}}));
    let v1_21 = LevelVersion {
        level: Level::Restricted,
        version: Version::V1(21),
    };
    let reasons: Vec<String> = check_pod(v1_21, &p).into_iter().map(|v| v.reason).collect();
    assert!(reasons.contains(&"non-default capabilities".to_string()));
    assert!(!reasons.contains(&"unrestricted capabilities".to_string()));
    // Versions newer than v1.33 get the v1.33 rules.
    let future = LevelVersion {
        level: Level::Restricted,
        version: Version::V1(99),
    };
    assert_eq!(check_pod(future, &p), check_pod(RESTRICTED, &p));
}

#[test]
fn baseline_order_and_join() {
    let p = pod(json!({
        "hostNetwork": true,
        "securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]},
        "containers": [{"name": "app", "ports": [{"containerPort": 80, "hostPort": 80}],
            "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}],
        "volumes": [{"name": "x", "hostPath": {"path": "/"}}]
    }));
    let v = check_pod(BASELINE, &p);
    assert_eq!(
        message(BASELINE, &v),
        concat!(
            r#"violates PodSecurity "baseline:latest": "#,
            r#"non-default capabilities (container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add), "#,
            "host namespaces (hostNetwork=true), ",
            r#"hostPath volumes (volume "x"), "#,
            r#"hostPort (container "app" uses hostPort 80), "#,
            r#"privileged (container "app" must not set securityContext.privileged=true), "#,
            "forbidden sysctls (kernel.msgmax)"
        )
    );
}

#[test]
fn versions_parse_and_print() {
    assert_eq!(Version::parse("latest"), Some(Version::Latest));
    assert_eq!(Version::parse("v1.25"), Some(Version::V1(25)));
    assert_eq!(Version::parse("v1.0"), Some(Version::V1(0)));
    for bad in ["v1.025", "1.25", "v2.1", "v1.", "v1.x", "Latest", ""] {
        assert_eq!(Version::parse(bad), None, "{bad}");
    }
    let lv = LevelVersion {
        level: Level::Restricted,
        version: Version::V1(25),
    };
    assert_eq!(lv.to_string(), "restricted:v1.25");
}

fn labels(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn policy_from_namespace_labels() {
    let (p, errs) = policy_from_labels(None, Policy::default());
    assert!(errs.is_empty());
    assert!(p.fully_privileged());

    let l = labels(json!({ENFORCE_LABEL: "baseline", WARN_LABEL: "restricted"}));
    let (p, errs) = policy_from_labels(Some(&l), Policy::default());
    assert!(errs.is_empty());
    assert_eq!(p.enforce, BASELINE);
    assert_eq!(p.warn, RESTRICTED);
    assert_eq!(p.audit, LevelVersion::latest(Level::Privileged));

    // Warn follows enforce (level and version) when not set.
    let l = labels(json!({ENFORCE_LABEL: "restricted", ENFORCE_VERSION_LABEL: "v1.24"}));
    let (p, _) = policy_from_labels(Some(&l), Policy::default());
    let v124 = LevelVersion {
        level: Level::Restricted,
        version: Version::V1(24),
    };
    assert_eq!(p.enforce, v124);
    assert_eq!(p.warn, v124);
    // ... but not when warn has its own version.
    let l = labels(json!({ENFORCE_LABEL: "baseline", WARN_VERSION_LABEL: "v1.30"}));
    let (p, _) = policy_from_labels(Some(&l), Policy::default());
    assert_eq!(
        p.warn,
        LevelVersion {
            level: Level::Baseline,
            version: Version::V1(30)
        }
    );
}

#[test]
fn invalid_labels_fail_closed_for_enforce_open_for_warn() {
    let l = labels(json!({
        ENFORCE_LABEL: "strict", ENFORCE_VERSION_LABEL: "1.25",
        WARN_LABEL: "loud", AUDIT_LABEL: "everything"
    }));
    let (p, errs) = policy_from_labels(Some(&l), Policy::default());
    assert_eq!(p.enforce, RESTRICTED);
    assert_eq!(p.warn.level, Level::Privileged);
    assert_eq!(p.audit.level, Level::Privileged);
    let rendered: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        rendered,
        [
            r#"metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#,
            r#"metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.25": must be "latest" or "v1.x""#,
            r#"metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "everything": must be one of privileged, baseline, restricted"#,
            r#"metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "loud": must be one of privileged, baseline, restricted"#,
        ]
    );
}

#[test]
fn evaluate_pod_and_template() {
    let policy = Policy {
        enforce: BASELINE,
        warn: RESTRICTED,
        audit: LevelVersion::latest(Level::Privileged),
    };
    let plain = json!({"metadata": {"name": "plain"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
    let d = evaluate(&policy, &plain["metadata"], &plain["spec"], true);
    assert_eq!(d.forbidden, None);
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].starts_with(r#"would violate PodSecurity "restricted:latest": "#));

    let hostnet = json!({"metadata": {"name": "h"},
        "spec": {"hostNetwork": true, "containers": [{"name": "app", "image": "nginx"}]}});
    let d = evaluate(&policy, &hostnet["metadata"], &hostnet["spec"], true);
    assert_eq!(
        d.forbidden.as_deref(),
        Some(r#"violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#)
    );
    // Refused pods get no warning.
    assert!(d.warnings.is_empty());
    // Templates are never refused, only warned about.
    let d = evaluate(&policy, &hostnet["metadata"], &hostnet["spec"], false);
    assert_eq!(d.forbidden, None);
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].contains("host namespaces (hostNetwork=true)"));
}

#[test]
fn pod_templates_of_workloads() {
    let spec = json!({"containers": [{"name": "app", "image": "nginx"}]});
    let deploy = json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": spec}}});
    let (m, s) = pod_template("apps", "deployments", &deploy).expect("template");
    assert_eq!(m["labels"]["a"], "b");
    assert_eq!(s, &spec);
    let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}});
    assert_eq!(
        pod_template("batch", "cronjobs", &cj).map(|t| t.1),
        Some(&spec)
    );
    let pt = json!({"template": {"spec": spec}});
    assert_eq!(
        pod_template("", "podtemplates", &pt).map(|t| t.1),
        Some(&spec)
    );
    assert!(pod_template("", "replicationcontrollers", &json!({"spec": {}})).is_none());
    assert!(pod_template("", "configmaps", &json!({})).is_none());
    assert!(pod_template("", "pods", &json!({})).is_none());
    assert!(has_pod_template("", "replicationcontrollers"));
    assert!(has_pod_template("batch", "cronjobs"));
    assert!(!has_pod_template("", "pods"));
    assert!(!has_pod_template("", "configmaps"));
    for (g, r) in [
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
    ] {
        assert_eq!(pod_template(g, r, &deploy).map(|t| t.1), Some(&spec), "{r}");
    }
}

#[test]
fn significant_pod_updates() {
    let old = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
    let mut new = old.clone();
    new["metadata"] = json!({"labels": {"l": "v"}});
    assert!(!is_significant_pod_update(&new, &old));
    new["spec"]["containers"][0]["image"] = json!("y");
    assert!(is_significant_pod_update(&new, &old));
    let mut eph = old.clone();
    eph["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox"}]);
    assert!(is_significant_pod_update(&eph, &old));
    assert!(!is_significant_pod_update(&eph, &eph));
}

#[test]
fn malformed_input_does_not_panic() {
    for spec in [
        json!(null),
        json!("spec"),
        json!({"containers": "x", "volumes": 3, "securityContext": []}),
        json!({"containers": [null, 1, {"securityContext": "x"}], "volumes": [null]}),
    ] {
        let p = pod(spec);
        let _ = check_pod(RESTRICTED, &p);
        let _ = check_pod(BASELINE, &p);
    }
}

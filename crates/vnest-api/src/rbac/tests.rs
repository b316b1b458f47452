use serde_json::{json, Value};

use super::*;

fn user(name: &str, groups: &[&str]) -> UserInfo {
    UserInfo {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..UserInfo::default()
    }
}

fn cluster_role(name: &str, rules: Value) -> Value {
    json!({"kind": "ClusterRole", "metadata": {"name": name}, "rules": rules})
}

fn role(ns: &str, name: &str, rules: Value) -> Value {
    json!({"kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": rules})
}

fn binding(ns: Option<&str>, name: &str, role_kind: &str, role: &str, subjects: Value) -> Value {
    let mut meta = json!({"name": name});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({
        "kind": if ns.is_some() { "RoleBinding" } else { "ClusterRoleBinding" },
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    })
}

fn get(ns: &str, resource: &str, name: &str) -> Attributes {
    Attributes::resource("get", "", "v1", resource, "", ns, name)
}

fn with_bootstrap(extra_bindings: Vec<Value>, extra_role_bindings: Vec<Value>) -> Authorizer {
    // Aggregate the bootstrap roles once, the way the server's loop converges.
    let mut roles = bootstrap::cluster_roles();
    for _ in 0..3 {
        let snapshot = roles.clone();
        for r in roles.iter_mut() {
            if let Some(rules) = aggregated_rules(r, &snapshot) {
                r["rules"] = json!(rules);
            }
        }
    }
    let mut crbs = bootstrap::cluster_role_bindings();
    crbs.extend(extra_bindings);
    let mut rbs = bootstrap::role_bindings();
    rbs.extend(extra_role_bindings);
    Authorizer::new(&roles, &bootstrap::roles(), &crbs, &rbs)
}

#[test]
fn rule_matching_follows_kube() {
    let r = PolicyRule::from_json(&json!({
        "apiGroups": ["", "apps"], "resources": ["pods", "deployments/scale", "*/status"],
        "verbs": ["get", "list"], "resourceNames": ["a"],
    }));
    assert!(r.allows(&get("ns", "pods", "a")));
    assert!(!r.allows(&get("ns", "pods", "b")));
    // resourceNames never match a request without a name (list).
    assert!(!r.allows(&Attributes::resource(
        "list", "", "v1", "pods", "", "ns", ""
    )));
    assert!(r.allows(&Attributes::resource(
        "get",
        "apps",
        "v1",
        "deployments",
        "scale",
        "ns",
        "a"
    )));
    assert!(!r.allows(&Attributes::resource(
        "get",
        "apps",
        "v1",
        "deployments",
        "",
        "ns",
        "a"
    )));
    assert!(r.allows(&Attributes::resource(
        "get", "", "v1", "nodes", "status", "", "a"
    )));
    assert!(!r.allows(&Attributes::resource(
        "get", "batch", "v1", "jobs", "status", "ns", "a"
    )));
    let all = PolicyRule::resource(&["*"], &["*"], &["*"]);
    assert!(all.allows(&Attributes::resource(
        "escalate", "x.io", "v1", "things", "sub", "", "n"
    )));
    assert!(!all.allows(&Attributes::non_resource("get", "/healthz")));
    let urls = PolicyRule::non_resource(&["/healthz", "/apis/*"], &["get"]);
    assert!(urls.allows(&Attributes::non_resource("get", "/healthz")));
    assert!(urls.allows(&Attributes::non_resource("get", "/apis/apps/v1")));
    assert!(!urls.allows(&Attributes::non_resource("get", "/api")));
    assert!(!urls.allows(&Attributes::non_resource("post", "/healthz")));
}

#[test]
fn bindings_grant_by_user_group_and_service_account() {
    let a = Authorizer::new(
        &[cluster_role(
            "reader",
            json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]),
        )],
        &[role(
            "ns1",
            "writer",
            json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]}]),
        )],
        &[binding(
            None,
            "all-readers",
            "ClusterRole",
            "reader",
            json!([{"kind": "Group", "name": "readers"}]),
        )],
        &[
            binding(
                Some("ns1"),
                "w",
                "Role",
                "writer",
                json!([{"kind": "User", "name": "alice"}]),
            ),
            binding(
                Some("ns2"),
                "r",
                "ClusterRole",
                "reader",
                json!([{"kind": "ServiceAccount", "name": "bot"}]),
            ),
        ],
    );
    let alice = user("alice", &["system:authenticated"]);
    let create = Attributes::resource("create", "", "v1", "configmaps", "", "ns1", "");
    assert_eq!(a.authorize(&alice, &create), Decision::Allow);
    let create2 = Attributes::resource("create", "", "v1", "configmaps", "", "ns2", "");
    assert_eq!(a.authorize(&alice, &create2), Decision::Deny(String::new()));
    assert_eq!(
        a.authorize(&alice, &get("ns1", "configmaps", "x")),
        Decision::Deny(String::new())
    );
    let reader = user("bob", &["readers"]);
    assert_eq!(
        a.authorize(&reader, &get("anywhere", "configmaps", "x")),
        Decision::Allow
    );
    // A RoleBinding to a ClusterRole grants only in its namespace; the SA subject's
    // namespace defaults to the binding's.
    let bot = user("system:serviceaccount:ns2:bot", &["system:serviceaccounts"]);
    assert_eq!(
        a.authorize(&bot, &get("ns2", "configmaps", "x")),
        Decision::Allow
    );
    assert_ne!(
        a.authorize(&bot, &get("ns1", "configmaps", "x")),
        Decision::Allow
    );
    // Masters need no binding.
    let root = user("root", &[MASTERS]);
    assert_eq!(a.authorize(&root, &get("", "nodes", "n")), Decision::Allow);
}

#[test]
fn missing_roles_are_the_deny_reason() {
    let a = Authorizer::new(
        &[],
        &[],
        &[],
        &[binding(
            Some("ns"),
            "b",
            "Role",
            "gone",
            json!([{"kind": "User", "name": "u"}]),
        )],
    );
    assert_eq!(
        a.authorize(&user("u", &[]), &get("ns", "pods", "p")),
        Decision::Deny("RBAC: role.rbac.authorization.k8s.io \"gone\" not found".into())
    );
}

#[test]
fn forbidden_messages_match_kube() {
    // errors.json: rbac-forbidden-impersonated-user
    let u = user("refcorpus-nobody", &["system:authenticated"]);
    let e = forbidden(
        &u,
        &Attributes::resource("list", "", "v1", "configmaps", "", "refcorpus-errors", ""),
        "",
    );
    assert_eq!(e.code, 403);
    assert_eq!(e.reason, "Forbidden");
    assert_eq!(
        e.message,
        "configmaps is forbidden: User \"refcorpus-nobody\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"refcorpus-errors\""
    );
    assert_eq!(e.details, Some(json!({"kind": "configmaps"})));
    // errors.json: anonymous-api
    let anon = user("system:anonymous", &["system:unauthenticated"]);
    let e = forbidden(&anon, &Attributes::non_resource("get", "/api"), "");
    assert_eq!(
        e.message,
        "forbidden: User \"system:anonymous\" cannot get path \"/api\""
    );
    assert_eq!(e.details, Some(json!({})));
    let e = forbidden(
        &u,
        &Attributes::resource("impersonate", "", "", "users", "", "", "bob"),
        "",
    );
    assert_eq!(
        e.message,
        "users \"bob\" is forbidden: User \"refcorpus-nobody\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
    );
    let e = forbidden(
        &u,
        &Attributes::resource("get", "apps", "v1", "deployments", "scale", "ns", "web"),
        "RBAC: x",
    );
    assert_eq!(
        e.message,
        "deployments.apps \"web\" is forbidden: User \"refcorpus-nobody\" cannot get resource \"deployments/scale\" in API group \"apps\" in the namespace \"ns\": RBAC: x"
    );
    assert_eq!(
        e.details,
        Some(json!({"name": "web", "group": "apps", "kind": "deployments"}))
    );
}

#[test]
fn bootstrap_policy_gives_kube_defaults() {
    let a = with_bootstrap(
        vec![],
        vec![
            binding(
                Some("t"),
                "v",
                "ClusterRole",
                "view",
                json!([{"kind": "User", "name": "viewer"}]),
            ),
            binding(
                Some("t"),
                "e",
                "ClusterRole",
                "edit",
                json!([{"kind": "User", "name": "editor"}]),
            ),
            binding(
                Some("t"),
                "a",
                "ClusterRole",
                "admin",
                json!([{"kind": "User", "name": "admin"}]),
            ),
        ],
    );
    let authed = |n: &str| user(n, &["system:authenticated"]);
    let can = |u: &UserInfo, verb: &str, group: &str, res: &str| {
        a.authorize(
            u,
            &Attributes::resource(verb, group, "v1", res, "", "t", ""),
        ) == Decision::Allow
    };
    let viewer = authed("viewer");
    assert!(can(&viewer, "list", "", "pods"));
    assert!(can(&viewer, "watch", "apps", "deployments"));
    assert!(!can(&viewer, "create", "", "pods"));
    assert!(!can(&viewer, "get", "", "secrets"));
    let editor = authed("editor");
    assert!(can(&editor, "create", "apps", "deployments"));
    assert!(can(&editor, "get", "", "secrets"));
    assert!(!can(
        &editor,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings"
    ));
    let admin = authed("admin");
    assert!(can(
        &admin,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings"
    ));
    assert!(can(&admin, "list", "", "pods"));
    // Everyone authenticated: discovery and self reviews; anonymous: health only.
    let nobody = authed("nobody");
    assert_eq!(
        a.authorize(&nobody, &Attributes::non_resource("get", "/apis/apps/v1")),
        Decision::Allow
    );
    assert_eq!(
        a.authorize(
            &nobody,
            &Attributes::resource(
                "create",
                "authorization.k8s.io",
                "v1",
                "selfsubjectaccessreviews",
                "",
                "",
                ""
            )
        ),
        Decision::Allow
    );
    let anon = user("system:anonymous", &["system:unauthenticated"]);
    assert_eq!(
        a.authorize(&anon, &Attributes::non_resource("get", "/healthz")),
        Decision::Allow
    );
    assert_eq!(
        a.authorize(&anon, &Attributes::non_resource("get", "/version")),
        Decision::Allow
    );
    assert_ne!(
        a.authorize(&anon, &Attributes::non_resource("get", "/api")),
        Decision::Allow
    );
    // Every bootstrap object is marked as kube marks it.
    for o in bootstrap::cluster_roles()
        .iter()
        .chain(bootstrap::role_bindings().iter())
    {
        assert_eq!(
            o["metadata"]["labels"]["kubernetes.io/bootstrapping"],
            "rbac-defaults"
        );
        assert_eq!(
            o["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"],
            "true"
        );
    }
}

#[test]
fn aggregation_follows_labels() {
    let target = json!({"metadata": {"name": "agg"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}});
    let a = json!({"metadata": {"name": "a", "labels": {"x": "y"}}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]});
    let b = json!({"metadata": {"name": "b", "labels": {"x": "y"}}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}, {"nonResourceURLs": ["/x"], "verbs": ["get"]}]});
    let c = json!({"metadata": {"name": "c"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]});
    let rules = aggregated_rules(&target, &[target.clone(), a, b, c]).unwrap();
    assert_eq!(
        rules,
        vec![
            json!({"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}),
            json!({"verbs": ["get"], "nonResourceURLs": ["/x"]}),
        ]
    );
    assert_eq!(
        aggregated_rules(&json!({"metadata": {"name": "plain"}}), &[]),
        None
    );
}

#[test]
fn escalation_is_refused_unless_held_or_allowed() {
    let a = Authorizer::new(
        &[
            cluster_role(
                "cm-edit",
                json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create"]}]),
            ),
            cluster_role(
                "rbac-edit",
                json!([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["create", "get", "list", "update"]}]),
            ),
            cluster_role(
                "root",
                json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
            ),
            cluster_role(
                "binder",
                json!([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["root"]}]),
            ),
        ],
        &[],
        &[],
        &[
            binding(
                Some("ns"),
                "b1",
                "ClusterRole",
                "cm-edit",
                json!([{"kind": "User", "name": "bob"}]),
            ),
            binding(
                Some("ns"),
                "b2",
                "ClusterRole",
                "rbac-edit",
                json!([{"kind": "User", "name": "bob"}]),
            ),
            binding(
                Some("ns"),
                "b3",
                "ClusterRole",
                "binder",
                json!([{"kind": "User", "name": "carol"}]),
            ),
        ],
    );
    let bob = user("bob", &["team", "system:authenticated"]);
    let held = role(
        "ns",
        "ok",
        json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]),
    );
    assert!(check_rbac_write(&a, &bob, &held).is_ok());
    let more = role(
        "ns",
        "more",
        json!([{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list"]}]),
    );
    let e = check_rbac_write(&a, &bob, &more).unwrap_err();
    assert_eq!(e.code, 403);
    assert_eq!(
        e.message,
        "roles.rbac.authorization.k8s.io \"more\" is forbidden: user \"bob\" (groups=[\"team\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"list\"]}\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}"
    );
    let bind_root = binding(
        Some("ns"),
        "x",
        "ClusterRole",
        "root",
        json!([{"kind": "User", "name": "bob"}]),
    );
    assert!(check_rbac_write(&a, &bob, &bind_root).is_err());
    let bind_held = binding(
        Some("ns"),
        "x",
        "ClusterRole",
        "cm-edit",
        json!([{"kind": "User", "name": "eve"}]),
    );
    assert!(check_rbac_write(&a, &bob, &bind_held).is_ok());
    // carol may bind `root` by name without holding it.
    let carol = user("carol", &[]);
    assert!(check_rbac_write(&a, &carol, &bind_root).is_ok());
    // Masters may do anything.
    assert!(check_rbac_write(&a, &user("admin", &[MASTERS]), &bind_root).is_ok());
}

#[test]
fn rules_review_lists_what_is_held() {
    let a = with_bootstrap(
        vec![],
        vec![binding(
            Some("t"),
            "e",
            "ClusterRole",
            "edit",
            json!([{"kind": "User", "name": "carol"}]),
        )],
    );
    let st = a.rules_for(&user("carol", &["system:authenticated"]), "t");
    let text = st.to_string();
    assert!(text.contains("selfsubjectaccessreviews"), "{text}");
    assert!(text.contains("deployments"), "{text}");
    assert_eq!(st["incomplete"], false);
    let masters = a.rules_for(&user("admin", &[MASTERS]), "t");
    assert!(masters["resourceRules"].to_string().contains("\"*\""));
}

//! RBAC authorization, as kube-apiserver's RBAC authorizer decides: Roles,
//! ClusterRoles, RoleBindings and ClusterRoleBindings evaluated against request
//! attributes, kube's 403 messages, the rules a user holds (SelfSubjectRulesReview),
//! escalation prevention on role and binding writes, the bootstrap policy
//! ([`bootstrap`]) and ClusterRole aggregation ([`aggregated_rules`]).
//!
//! An [`Authorizer`] is an immutable snapshot built from the four object lists; the
//! server rebuilds it when one of them changes. Bindings are indexed by subject (user
//! name, group, service account), so a decision looks only at the bindings of the
//! requesting user's subjects, never at all of them.

pub mod bootstrap;
mod rules;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

use crate::selector::LabelSelector;
use crate::status::ApiError;

pub use rules::PolicyRule;

/// The group whose members may do anything (kube's privileged group).
pub const MASTERS: &str = "system:masters";

/// Who makes a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

/// The user of requests without credentials.
pub const ANONYMOUS: &str = "system:anonymous";

impl UserInfo {
    /// An authenticated user (the `system:authenticated` group is added).
    pub fn authenticated(name: String, uid: String, mut groups: Vec<String>) -> UserInfo {
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        UserInfo {
            name,
            uid,
            groups,
            extra: BTreeMap::new(),
        }
    }

    /// The user of requests without credentials.
    pub fn anonymous() -> UserInfo {
        UserInfo {
            name: ANONYMOUS.into(),
            uid: String::new(),
            groups: vec!["system:unauthenticated".into()],
            extra: BTreeMap::new(),
        }
    }

    /// The user of a service account's tokens.
    pub fn service_account(namespace: &str, name: &str, uid: &str) -> UserInfo {
        UserInfo::authenticated(
            format!("system:serviceaccount:{namespace}:{name}"),
            uid.to_string(),
            vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
            ],
        )
    }

    pub fn is_anonymous(&self) -> bool {
        self.name == ANONYMOUS
    }

    /// `userInfo` as TokenReview and SelfSubjectReview print it.
    pub fn to_json(&self) -> Value {
        let mut info = json!({"username": self.name, "groups": self.groups});
        if !self.uid.is_empty() {
            info["uid"] = json!(self.uid);
        }
        if !self.extra.is_empty() {
            info["extra"] = json!(self.extra);
        }
        info
    }
}

/// What a request does, as kube's RequestInfo describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    verb: String,
    resource_request: bool,
    api_group: String,
    api_version: String,
    resource: String,
    subresource: String,
    namespace: String,
    name: String,
    path: String,
}

impl Attributes {
    /// A request on a resource (`namespace` empty at the cluster scope).
    pub fn resource(
        verb: &str,
        api_group: &str,
        api_version: &str,
        resource: &str,
        subresource: &str,
        namespace: &str,
        name: &str,
    ) -> Attributes {
        Attributes {
            verb: verb.to_string(),
            resource_request: true,
            api_group: api_group.to_string(),
            api_version: api_version.to_string(),
            resource: resource.to_string(),
            subresource: subresource.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            path: String::new(),
        }
    }

    /// A request on a path outside the resource tree (`/healthz`, `/apis`).
    pub fn non_resource(verb: &str, path: &str) -> Attributes {
        Attributes {
            verb: verb.to_string(),
            resource_request: false,
            api_group: String::new(),
            api_version: String::new(),
            resource: String::new(),
            subresource: String::new(),
            namespace: String::new(),
            name: String::new(),
            path: path.to_string(),
        }
    }

    pub fn verb(&self) -> &str {
        &self.verb
    }
    pub fn is_resource_request(&self) -> bool {
        self.resource_request
    }
    pub fn api_group(&self) -> &str {
        &self.api_group
    }
    pub fn resource_name(&self) -> &str {
        &self.resource
    }
    pub fn subresource(&self) -> &str {
        &self.subresource
    }
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The outcome of an authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Denied; the reason kube appends to the 403 message (empty for a plain deny).
    Deny(String),
}

/// A binding's subject, as the index keys it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Subject {
    User(String),
    Group(String),
}

/// What a binding grants: a Role (in the binding's namespace) or a ClusterRole.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RoleRef {
    cluster_role: bool,
    name: String,
    /// "ClusterRoleBinding \"x\"" / "RoleBinding \"x/y\"" for allow reasons.
    binding: String,
}

/// An immutable RBAC snapshot.
#[derive(Debug, Default)]
pub struct Authorizer {
    cluster_roles: HashMap<String, Vec<PolicyRule>>,
    roles: HashMap<(String, String), Vec<PolicyRule>>,
    cluster_bindings: HashMap<Subject, Vec<RoleRef>>,
    namespace_bindings: HashMap<(String, Subject), Vec<RoleRef>>,
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn rules_of(role: &Value) -> Vec<PolicyRule> {
    role.get("rules")
        .and_then(Value::as_array)
        .map(|rs| rs.iter().map(PolicyRule::from_json).collect())
        .unwrap_or_default()
}

/// The index keys of a binding's subjects. A ServiceAccount subject is the user
/// `system:serviceaccount:<ns>:<name>` (its namespace defaults to the binding's).
fn subjects_of(binding: &Value) -> Vec<Subject> {
    let binding_ns = str_at(binding, "/metadata/namespace");
    binding
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let name = s.get("name").and_then(Value::as_str)?.to_string();
            match s.get("kind").and_then(Value::as_str)? {
                "User" => Some(Subject::User(name)),
                "Group" => Some(Subject::Group(name)),
                "ServiceAccount" => {
                    let ns = match s.get("namespace").and_then(Value::as_str) {
                        Some(ns) if !ns.is_empty() => ns,
                        _ => binding_ns,
                    };
                    Some(Subject::User(format!("system:serviceaccount:{ns}:{name}")))
                }
                _ => None,
            }
        })
        .collect()
}

fn user_subjects(user: &UserInfo) -> Vec<Subject> {
    let mut out = vec![Subject::User(user.name.clone())];
    out.extend(user.groups.iter().cloned().map(Subject::Group));
    out
}

impl Authorizer {
    /// A snapshot of the four lists of objects (as stored).
    pub fn new(
        cluster_roles: &[Value],
        roles: &[Value],
        cluster_role_bindings: &[Value],
        role_bindings: &[Value],
    ) -> Authorizer {
        let mut a = Authorizer::default();
        for r in cluster_roles {
            a.cluster_roles
                .insert(str_at(r, "/metadata/name").to_string(), rules_of(r));
        }
        for r in roles {
            a.roles.insert(
                (
                    str_at(r, "/metadata/namespace").to_string(),
                    str_at(r, "/metadata/name").to_string(),
                ),
                rules_of(r),
            );
        }
        for b in cluster_role_bindings {
            if str_at(b, "/roleRef/kind") != "ClusterRole" {
                continue;
            }
            let role = RoleRef {
                cluster_role: true,
                name: str_at(b, "/roleRef/name").to_string(),
                binding: format!("ClusterRoleBinding \"{}\"", str_at(b, "/metadata/name")),
            };
            for s in subjects_of(b) {
                a.cluster_bindings.entry(s).or_default().push(role.clone());
            }
        }
        for b in role_bindings {
            let ns = str_at(b, "/metadata/namespace").to_string();
            let role = RoleRef {
                cluster_role: str_at(b, "/roleRef/kind") == "ClusterRole",
                name: str_at(b, "/roleRef/name").to_string(),
                binding: format!("RoleBinding \"{}/{}\"", ns, str_at(b, "/metadata/name")),
            };
            for s in subjects_of(b) {
                a.namespace_bindings
                    .entry((ns.clone(), s))
                    .or_default()
                    .push(role.clone());
            }
        }
        a
    }

    fn role_rules(&self, namespace: &str, role: &RoleRef) -> Result<&[PolicyRule], String> {
        if role.cluster_role {
            self.cluster_roles
                .get(&role.name)
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    format!(
                        "clusterrole.rbac.authorization.k8s.io \"{}\" not found",
                        role.name
                    )
                })
        } else {
            self.roles
                .get(&(namespace.to_string(), role.name.clone()))
                .map(Vec::as_slice)
                .ok_or_else(|| {
                    format!("role.rbac.authorization.k8s.io \"{}\" not found", role.name)
                })
        }
    }

    /// Every (role reference, namespace) that applies to `user` in `namespace`
    /// (cluster bindings first).
    fn grants<'a>(&'a self, user: &UserInfo, namespace: &'a str) -> Vec<(&'a RoleRef, &'a str)> {
        let subjects = user_subjects(user);
        let mut out = Vec::new();
        for s in &subjects {
            if let Some(refs) = self.cluster_bindings.get(s) {
                out.extend(refs.iter().map(|r| (r, "")));
            }
        }
        if !namespace.is_empty() {
            for s in subjects {
                if let Some(refs) = self.namespace_bindings.get(&(namespace.to_string(), s)) {
                    out.extend(refs.iter().map(|r| (r, namespace)));
                }
            }
        }
        out
    }

    /// kube's decision for `attrs` by `user`.
    pub fn authorize(&self, user: &UserInfo, attrs: &Attributes) -> Decision {
        if user.groups.iter().any(|g| g == MASTERS) {
            return Decision::Allow;
        }
        let mut errors = Vec::new();
        for (role, ns) in self.grants(user, &attrs.namespace) {
            match self.role_rules(ns, role) {
                Ok(rules) => {
                    if rules.iter().any(|r| r.allows(attrs)) {
                        return Decision::Allow;
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Decision::Deny(String::new())
        } else {
            Decision::Deny(format!("RBAC: {}", errors.join(", ")))
        }
    }

    /// Every rule `user` holds in `namespace` (cluster-wide ones included), and
    /// whether some referenced role was missing.
    pub fn rules_held(&self, user: &UserInfo, namespace: &str) -> (Vec<PolicyRule>, Vec<String>) {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (role, ns) in self.grants(user, namespace) {
            match self.role_rules(ns, role) {
                Ok(rs) => rules.extend(rs.iter().cloned()),
                Err(e) => errors.push(e),
            }
        }
        (rules, errors)
    }

    /// The `status` of a SelfSubjectRulesReview for `user` in `namespace`.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Value {
        let (mut rules, errors) = self.rules_held(user, namespace);
        if user.groups.iter().any(|g| g == MASTERS) && rules.is_empty() {
            rules = vec![
                PolicyRule::resource(&["*"], &["*"], &["*"]),
                PolicyRule::non_resource(&["*"], &["*"]),
            ];
        }
        let mut resource_rules = Vec::new();
        let mut non_resource_rules = Vec::new();
        for r in &rules {
            if !r.resources.is_empty() {
                let mut rr =
                    json!({"verbs": r.verbs, "apiGroups": r.api_groups, "resources": r.resources});
                if !r.resource_names.is_empty() {
                    rr["resourceNames"] = json!(r.resource_names);
                }
                resource_rules.push(rr);
            }
            if !r.non_resource_urls.is_empty() {
                non_resource_rules
                    .push(json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}));
            }
        }
        let mut status = json!({
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": !errors.is_empty(),
        });
        if !errors.is_empty() {
            status["evaluationError"] = json!(errors.join(", "));
        }
        status
    }
}

/// kube-apiserver's 403 for a refused request.
pub fn forbidden(user: &UserInfo, attrs: &Attributes, reason: &str) -> ApiError {
    let mut message = if !attrs.resource_request {
        format!(
            "forbidden: User \"{}\" cannot {} path \"{}\"",
            user.name, attrs.verb, attrs.path
        )
    } else {
        let resource = if attrs.subresource.is_empty() {
            attrs.resource.clone()
        } else {
            format!("{}/{}", attrs.resource, attrs.subresource)
        };
        let scope = if attrs.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{}\"", attrs.namespace)
        };
        let why = format!(
            "User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
            user.name, attrs.verb, attrs.api_group
        );
        let qualified = if attrs.api_group.is_empty() {
            attrs.resource.clone()
        } else {
            format!("{}.{}", attrs.resource, attrs.api_group)
        };
        if attrs.name.is_empty() {
            format!("{qualified} is forbidden: {why}")
        } else {
            format!("{qualified} \"{}\" is forbidden: {why}", attrs.name)
        }
    };
    if !reason.is_empty() {
        message = format!("{message}: {reason}");
    }
    let mut details = serde_json::Map::new();
    if attrs.resource_request {
        if !attrs.name.is_empty() {
            details.insert("name".into(), json!(attrs.name));
        }
        if !attrs.api_group.is_empty() {
            details.insert("group".into(), json!(attrs.api_group));
        }
        details.insert("kind".into(), json!(attrs.resource));
    }
    ApiError::new(403, "Forbidden", message).with_details(Value::Object(details))
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Go's `%q` of a string slice: `["a" "b"]`.
fn go_quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
    format!("[{}]", quoted.join(" "))
}

/// Escalation prevention for a write of a Role, ClusterRole, RoleBinding or
/// ClusterRoleBinding (`obj`) by `user`, as kube's RBAC REST storage checks it: a role
/// may only grant what its author holds (or the author has `escalate` on it); a
/// binding may only bind a role whose rules its author holds (or the author has
/// `bind` on that role).
pub fn check_rbac_write(
    authorizer: &Authorizer,
    user: &UserInfo,
    obj: &Value,
) -> Result<(), ApiError> {
    if user.groups.iter().any(|g| g == MASTERS) {
        return Ok(());
    }
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = str_at(obj, "/metadata/name");
    let namespace = str_at(obj, "/metadata/namespace");
    let allowed = |verb: &str, resource: &str, object: &str| {
        authorizer.authorize(
            user,
            &Attributes::resource(verb, RBAC_GROUP, "", resource, "", namespace, object),
        ) == Decision::Allow
    };
    let (resource, requested) = match kind {
        "Role" | "ClusterRole" => {
            let resource = if kind == "Role" {
                "roles"
            } else {
                "clusterroles"
            };
            if allowed("escalate", resource, name) {
                return Ok(());
            }
            (resource, rules_of(obj))
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let resource = if kind == "RoleBinding" {
                "rolebindings"
            } else {
                "clusterrolebindings"
            };
            let role_kind = str_at(obj, "/roleRef/kind");
            let role_name = str_at(obj, "/roleRef/name");
            let role_resource = if role_kind == "Role" {
                "roles"
            } else {
                "clusterroles"
            };
            if allowed("bind", role_resource, role_name) {
                return Ok(());
            }
            let role = RoleRef {
                cluster_role: role_kind != "Role",
                name: role_name.to_string(),
                binding: String::new(),
            };
            let rules = authorizer.role_rules(namespace, &role).map_err(|e| {
                ApiError::new(
                    403,
                    "Forbidden",
                    format!("{resource}.{RBAC_GROUP} \"{name}\" is forbidden: {e}"),
                )
                .with_details(json!({"name": name, "group": RBAC_GROUP, "kind": resource}))
            })?;
            (resource, rules.to_vec())
        }
        _ => return Ok(()),
    };
    let (held, errors) = authorizer.rules_held(user, namespace);
    let missing = rules::uncovered(&held, &requested);
    if missing.is_empty() {
        return Ok(());
    }
    let descriptions: BTreeSet<String> = rules::compact(missing)
        .iter()
        .map(PolicyRule::compact_string)
        .collect();
    let mut msg = format!(
        "user \"{}\" (groups={}) is attempting to grant RBAC permissions not currently held:\n{}",
        user.name,
        go_quoted_list(&user.groups),
        descriptions.into_iter().collect::<Vec<_>>().join("\n")
    );
    if !errors.is_empty() {
        msg = format!("{msg}; resolution errors: [{}]", errors.join(" "));
    }
    Err(ApiError::new(
        403,
        "Forbidden",
        format!("{resource}.{RBAC_GROUP} \"{name}\" is forbidden: {msg}"),
    )
    .with_details(json!({"name": name, "group": RBAC_GROUP, "kind": resource})))
}

/// The rules an aggregated ClusterRole should carry: the union, in order and without
/// duplicates, of the rules of every ClusterRole its `aggregationRule` selects (the
/// role itself excluded). `None` for roles without an aggregation rule.
pub fn aggregated_rules(target: &Value, all_cluster_roles: &[Value]) -> Option<Vec<Value>> {
    let selectors: Vec<LabelSelector> = target
        .pointer("/aggregationRule/clusterRoleSelectors")?
        .as_array()?
        .iter()
        .filter_map(|s| LabelSelector::from_json(s).ok())
        .collect();
    let own_name = str_at(target, "/metadata/name");
    let mut sources: Vec<&Value> = all_cluster_roles
        .iter()
        .filter(|r| str_at(r, "/metadata/name") != own_name)
        .filter(|r| {
            let labels = r
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            selectors
                .iter()
                .any(|s| !s.is_empty() && s.matches(&labels))
        })
        .collect();
    sources.sort_by_key(|r| str_at(r, "/metadata/name").to_string());
    let mut out: Vec<Value> = Vec::new();
    for r in sources {
        for rule in r
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let normalized = PolicyRule::from_json(rule).to_json();
            if !out.contains(&normalized) {
                out.push(normalized);
            }
        }
    }
    Some(out)
}

//! Authorization of every request: kube's RequestInfo (verb, resource, namespace,
//! name, or a non-resource path) derived from the request, impersonation, and the RBAC
//! decision against a snapshot of the cluster's roles and bindings, rebuilt whenever
//! one of them changes. ClusterRole aggregation runs in the same loop.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use http::{HeaderMap, Method};
use serde_json::{json, Value};
use vnest_api::rbac::{self, Attributes, Authorizer, Decision};
use vnest_api::status::ApiError;

use crate::auth::UserInfo;
use crate::cache::WatchCache;
use crate::objects::resource_prefix;
use crate::request::{Endpoint, ResourcePath};
use crate::rest::{ResourceDef, Rest, WriteMeta};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

tokio::task_local! {
    /// The user a request runs as, for checks deep in the write path (RBAC
    /// escalation). Writes made by the server's own loops run outside any request and
    /// are not checked.
    pub static REQUEST_USER: UserInfo;
}

/// The requesting user, inside a request.
pub fn request_user() -> Option<UserInfo> {
    REQUEST_USER.try_with(|u| u.clone()).ok()
}

/// kube's RequestInfo verb for a resource request.
pub fn resource_verb(
    method: &Method,
    rp: &ResourcePath,
    query: &HashMap<String, String>,
) -> String {
    let watch = query
        .get("watch")
        .is_some_and(|v| crate::request::go_bool(v));
    // Connecting to a pod (exec, attach, portforward) needs `create` whatever the
    // method: WebSocket clients upgrade with GET (kube 1.30+ checks create too).
    if rp.group.is_empty()
        && rp.resource == "pods"
        && matches!(
            rp.subresource.as_deref(),
            Some("exec" | "attach" | "portforward")
        )
    {
        return "create".to_string();
    }
    match *method {
        Method::POST => "create",
        Method::GET | Method::HEAD => match (&rp.name, watch) {
            (_, true) => "watch",
            (None, false) => "list",
            (Some(_), false) => "get",
        },
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => {
            if rp.name.is_none() {
                "deletecollection"
            } else {
                "delete"
            }
        }
        _ => "",
    }
    .to_string()
}

/// The attributes RBAC decides on for a request.
pub fn attributes(
    method: &Method,
    path: &str,
    endpoint: &Endpoint,
    query: &HashMap<String, String>,
) -> Attributes {
    match endpoint {
        Endpoint::Resource(rp) => {
            let verb = resource_verb(method, rp, query);
            // A list or watch narrowed to one name by field selector names it, as
            // kube's RequestInfo does.
            let name = rp.name.clone().or_else(|| {
                if verb == "list" || verb == "watch" {
                    query.get("fieldSelector").and_then(|fs| {
                        fs.split(',').find_map(|part| {
                            part.strip_prefix("metadata.name=")
                                .or_else(|| part.strip_prefix("metadata.name=="))
                                .map(str::to_string)
                        })
                    })
                } else {
                    None
                }
            });
            // `namespaces/NAME` is the namespace itself: its name is the namespace.
            let namespace = if rp.group.is_empty() && rp.resource == "namespaces" {
                rp.name.clone().unwrap_or_default()
            } else {
                rp.namespace.clone().unwrap_or_default()
            };
            Attributes::resource(
                &verb,
                &rp.group,
                &rp.version,
                &rp.resource,
                rp.subresource.as_deref().unwrap_or(""),
                &namespace,
                name.as_deref().unwrap_or(""),
            )
        }
        _ => {
            let verb = method.as_str().to_ascii_lowercase();
            let verb = if verb == "head" {
                "get".to_string()
            } else {
                verb
            };
            Attributes::non_resource(&verb, path.trim_end_matches('/').max("/"))
        }
    }
}

/// The current RBAC snapshot.
#[derive(Default)]
pub struct Authz {
    snapshot: RwLock<Arc<Authorizer>>,
}

impl Authz {
    pub fn current(&self) -> Arc<Authorizer> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Rebuilds the snapshot from the cache; returns the cluster roles it saw.
    pub fn rebuild(&self, cache: &WatchCache) -> Vec<Value> {
        let list = |resource: &str| -> Vec<Value> {
            cache
                .list(&resource_prefix(RBAC_GROUP, resource, None))
                .0
                .into_iter()
                .map(|(_, v)| (*v).clone())
                .collect()
        };
        let cluster_roles = list("clusterroles");
        let authorizer = Authorizer::new(
            &cluster_roles,
            &list("roles"),
            &list("clusterrolebindings"),
            &list("rolebindings"),
        );
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(authorizer);
        cluster_roles
    }

    /// Allows or refuses `attrs` for `user` with kube's 403.
    pub fn check(&self, user: &UserInfo, attrs: &Attributes) -> Result<(), ApiError> {
        let authorizer = self.current();
        match authorizer.authorize(user, attrs) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(rbac::forbidden(user, attrs, &reason)),
        }
    }
}

impl Authz {
    /// Escalation prevention for writes of roles and bindings by the current request's
    /// user (kube's RBAC REST storage checks).
    pub fn check_rbac_write(&self, def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
        if def.group != RBAC_GROUP {
            return Ok(());
        }
        let Some(user) = request_user() else {
            return Ok(());
        };
        rbac::check_rbac_write(&self.current(), &user, obj)
    }

    /// The `status` of a SelfSubjectAccessReview / SubjectAccessReview /
    /// LocalSubjectAccessReview for `user`.
    pub fn access_review_status(
        &self,
        user: &UserInfo,
        spec: &Value,
        namespace: Option<&str>,
    ) -> Value {
        let attrs = if let Some(ra) = spec.get("resourceAttributes") {
            let s = |k: &str| ra.get(k).and_then(Value::as_str).unwrap_or("");
            let ns = namespace.unwrap_or_else(|| s("namespace"));
            Attributes::resource(
                s("verb"),
                s("group"),
                s("version"),
                s("resource"),
                s("subresource"),
                ns,
                s("name"),
            )
        } else if let Some(na) = spec.get("nonResourceAttributes") {
            let s = |k: &str| na.get(k).and_then(Value::as_str).unwrap_or("");
            Attributes::non_resource(s("verb"), s("path"))
        } else {
            return json!({"allowed": false, "evaluationError": "spec.resourceAttributes or spec.nonResourceAttributes is required"});
        };
        match self.current().authorize(user, &attrs) {
            Decision::Allow => json!({"allowed": true}),
            Decision::Deny(reason) if reason.is_empty() => json!({"allowed": false}),
            Decision::Deny(reason) => json!({"allowed": false, "reason": reason}),
        }
    }

    /// The `status` of a SelfSubjectRulesReview.
    pub fn rules_review_status(&self, user: &UserInfo, namespace: &str) -> Value {
        self.current().rules_for(user, namespace)
    }
}

/// Applies `Impersonate-*` headers: the requester needs the `impersonate` verb on
/// each thing it asks to be. Returns the user to act as.
pub fn impersonate(
    authz: &Authz,
    requester: &UserInfo,
    headers: &HeaderMap,
) -> Result<Option<UserInfo>, ApiError> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let users = values("impersonate-user");
    let groups = values("impersonate-group");
    let uids = values("impersonate-uid");
    let mut extra: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, value) in headers {
        if let Some(key) = name.as_str().strip_prefix("impersonate-extra-") {
            let key = crate::request::percent_decode(key);
            if let Ok(v) = value.to_str() {
                extra.entry(key).or_default().push(v.to_string());
            }
        }
    }
    if users.is_empty() && groups.is_empty() && uids.is_empty() && extra.is_empty() {
        return Ok(None);
    }
    let Some(user) = users.first().filter(|_| users.len() == 1) else {
        return Err(ApiError::internal(
            "requested impersonation of groups, uid or extra without a user",
        ));
    };
    let check = |attrs: Attributes| authz.check(requester, &attrs);
    let mut target = if let Some(rest) = user.strip_prefix("system:serviceaccount:") {
        let (ns, name) = rest.split_once(':').unwrap_or(("", rest));
        check(Attributes::resource(
            "impersonate",
            "",
            "",
            "serviceaccounts",
            "",
            ns,
            name,
        ))?;
        let mut u = UserInfo::service_account(ns, name, "");
        if !groups.is_empty() {
            u.groups.clear();
        }
        u
    } else {
        check(Attributes::resource(
            "impersonate",
            "",
            "",
            "users",
            "",
            "",
            user,
        ))?;
        if user == crate::auth::ANONYMOUS {
            UserInfo::anonymous()
        } else {
            UserInfo::authenticated(user.clone(), String::new(), Vec::new())
        }
    };
    for g in &groups {
        check(Attributes::resource(
            "impersonate",
            "",
            "",
            "groups",
            "",
            "",
            g,
        ))?;
        if !target.groups.contains(g) {
            target.groups.push(g.clone());
        }
    }
    if !target.is_anonymous() && !target.groups.iter().any(|g| g == "system:authenticated") {
        target.groups.push("system:authenticated".into());
    }
    if let Some(uid) = uids.first() {
        check(Attributes::resource(
            "impersonate",
            "authentication.k8s.io",
            "",
            "uids",
            "",
            "",
            uid,
        ))?;
        target.uid = uid.clone();
    }
    for (key, vals) in &extra {
        for v in vals {
            check(Attributes::resource(
                "impersonate",
                "authentication.k8s.io",
                "",
                "userextras",
                key,
                "",
                v,
            ))?;
        }
    }
    target.extra = extra;
    Ok(Some(target))
}

/// Keeps the RBAC snapshot current and aggregated ClusterRoles up to date; forever.
pub async fn run(rest: Arc<Rest>) {
    let prefix = format!("/registry/{RBAC_GROUP}/");
    let cache = rest.cache.clone();
    crate::background::on_change(cache, vec![prefix], || {
        let rest = rest.clone();
        async move {
            let cluster_roles = rest.authz.rebuild(&rest.cache);
            aggregate(&rest, &cluster_roles).await;
        }
    })
    .await
}

fn cluster_role_def() -> ResourceDef {
    ResourceDef {
        group: RBAC_GROUP.into(),
        version: "v1".into(),
        kind: "ClusterRole".into(),
        resource: "clusterroles".into(),
        namespaced: false,
        verbs: vec![],
        subresources: vec![],
        custom: None,
    }
}

/// The ClusterRole aggregation controller's job: a role with an aggregationRule gets
/// the rules of every ClusterRole its selectors match.
async fn aggregate(rest: &Rest, cluster_roles: &[Value]) {
    for role in cluster_roles {
        let Some(rules) = rbac::aggregated_rules(role, cluster_roles) else {
            continue;
        };
        let current = role.get("rules").cloned().unwrap_or(json!([]));
        let wanted = json!(rules);
        if current == wanted || (current.is_null() && rules.is_empty()) {
            continue;
        }
        let name = role
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let write = WriteMeta {
            manager: "clusterrole-aggregation-controller",
            subresource: None,
            apply: false,
        };
        let result = rest
            .guaranteed_update(&cluster_role_def(), None, name, None, false, write, |cur| {
                let mut next = cur.clone();
                next["rules"] = wanted.clone();
                Ok(next)
            })
            .await;
        if let Err(e) = result {
            if e.code != 404 {
                tracing::warn!(role = %name, error = %e.message, "aggregating a cluster role failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::classify;

    fn attrs(method: Method, path_and_query: &str) -> Attributes {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let q = crate::request::parse_query(Some(query));
        attributes(&method, path, &classify(path), &q)
    }

    #[test]
    fn verbs_follow_kube_request_info() {
        let a = attrs(Method::GET, "/api/v1/namespaces/ns/pods");
        assert_eq!((a.verb(), a.resource_name()), ("list", "pods"));
        let a = attrs(Method::GET, "/api/v1/namespaces/ns/pods?watch=true");
        assert_eq!(a.verb(), "watch");
        let a = attrs(
            Method::GET,
            "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dx",
        );
        assert_eq!((a.verb(), a.name()), ("list", "x"));
        let a = attrs(Method::DELETE, "/apis/apps/v1/namespaces/ns/deployments");
        assert_eq!(a.verb(), "deletecollection");
        let a = attrs(Method::GET, "/api/v1/namespaces/ns/pods/p/log");
        assert_eq!((a.verb(), a.subresource(), a.name()), ("get", "log", "p"));
        let a = attrs(Method::GET, "/api/v1/namespaces/ns");
        assert_eq!((a.verb(), a.namespace()), ("get", "ns"));
        let a = attrs(Method::GET, "/apis");
        assert_eq!((a.verb(), a.path()), ("get", "/apis"));
        let a = attrs(Method::GET, "/healthz");
        assert_eq!(a.path(), "/healthz");
    }
}

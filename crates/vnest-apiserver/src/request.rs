//! Request classification: which endpoint a path names (like kube's RequestInfo), and
//! the query parameters of list/watch/write requests. Pure; unit-tested.

use std::collections::HashMap;

use vnest_api::status::ApiError;

/// What a path addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Version,
    /// /healthz, /livez, /readyz and their per-check paths.
    Health,
    Metrics,
    OpenApiV2,
    OpenApiV3Index,
    OpenApiV3(String),
    /// `/api`
    CoreRoot,
    /// `/apis`
    GroupsRoot,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`
    GroupVersion {
        group: String,
        version: String,
    },
    Resource(ResourcePath),
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Classifies a request path (without the query string).
pub fn classify(path: &str) -> Endpoint {
    let trimmed = path.trim_end_matches('/');
    match trimmed {
        "/version" => return Endpoint::Version,
        "/healthz" => return Endpoint::Health,
        "/livez" => return Endpoint::Health,
        "/readyz" => return Endpoint::Health,
        "/metrics" => return Endpoint::Metrics,
        "/openapi/v2" => return Endpoint::OpenApiV2,
        "/openapi/v3" => return Endpoint::OpenApiV3Index,
        "/api" => return Endpoint::CoreRoot,
        "/apis" => return Endpoint::GroupsRoot,
        _ => {}
    }
    if let Some(rest) = trimmed.strip_prefix("/openapi/v3/") {
        return Endpoint::OpenApiV3(rest.to_string());
    }
    if trimmed.starts_with("/healthz/")
        || trimmed.starts_with("/livez/")
        || trimmed.starts_with("/readyz/")
    {
        return Endpoint::Health;
    }
    let parts: Vec<&str> = trimmed.split('/').skip(1).collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group] => return Endpoint::Group((*group).to_string()),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Endpoint::NotFound,
    };
    if rest.is_empty() {
        return Endpoint::GroupVersion {
            group: group.to_string(),
            version: version.to_string(),
        };
    }
    if rest.iter().any(|p| p.is_empty()) {
        return Endpoint::NotFound;
    }
    let (namespace, rest): (Option<String>, &[&str]) = match rest {
        // `namespaces/<name>/status|finalize` are subresources of the namespace itself.
        ["namespaces", _, sub] if *sub == "status" || *sub == "finalize" => (None, rest),
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some((*ns).to_string()), tail),
        _ => (None, rest),
    };
    let (resource, name, subresource) = match rest {
        [r] => (*r, None, None),
        [r, n] => (*r, Some(*n), None),
        [r, n, s] => (*r, Some(*n), Some(*s)),
        _ => return Endpoint::NotFound,
    };
    Endpoint::Resource(ResourcePath {
        group: group.to_string(),
        version: version.to_string(),
        namespace,
        resource: resource.to_string(),
        name: name.map(percent_decode),
        subresource: subresource.map(str::to_string),
    })
}

/// Decodes %XX escapes in a path segment (object names may be escaped by clients).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters, decoded (`+` and %XX), last value wins like Go's `Get`.
pub fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(q) = query else { return out };
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(&k.replace('+', " "));
        let v = percent_decode(&v.replace('+', " "));
        out.entry(k).or_insert(v);
    }
    out
}

/// Booleans in query parameters, read like Go's strconv.ParseBool (clients send
/// `true`, `True`, `1`...).
pub fn go_bool(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// `resourceVersionMatch` of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RvMatch {
    Unset,
    NotOlderThan,
    Exact,
}

/// The list/watch options kube-apiserver reads from the query.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub resource_version: Option<String>,
    pub rv_match: Option<RvMatch>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub watch: bool,
    pub allow_bookmarks: bool,
    pub send_initial_events: Option<bool>,
    pub timeout_seconds: Option<u64>,
}

impl ListOptions {
    pub fn parse(q: &HashMap<String, String>) -> Result<ListOptions, ApiError> {
        let mut o = ListOptions {
            resource_version: q.get("resourceVersion").filter(|s| !s.is_empty()).cloned(),
            continue_token: q.get("continue").filter(|s| !s.is_empty()).cloned(),
            label_selector: q.get("labelSelector").filter(|s| !s.is_empty()).cloned(),
            field_selector: q.get("fieldSelector").filter(|s| !s.is_empty()).cloned(),
            watch: q.get("watch").is_some_and(|v| go_bool(v)),
            allow_bookmarks: q.get("allowWatchBookmarks").is_some_and(|v| go_bool(v)),
            ..Default::default()
        };
        if let Some(rv) = &o.resource_version {
            if rv.parse::<u64>().is_err() {
                return Err(ApiError::bad_request(format!(
                    "invalid resource version: resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": invalid syntax"
                )));
            }
        }
        if let Some(l) = q.get("limit").filter(|s| !s.is_empty()) {
            let n: i64 = l.parse().map_err(|_| {
                ApiError::bad_request(format!(
                    "invalid limit: strconv.ParseInt: parsing \"{l}\": invalid syntax"
                ))
            })?;
            if n > 0 {
                o.limit = Some(n as usize);
            }
        }
        if let Some(t) = q.get("timeoutSeconds").filter(|s| !s.is_empty()) {
            let n: i64 = t.parse().map_err(|_| {
                ApiError::bad_request(format!("strconv.ParseInt: parsing \"{t}\": invalid syntax"))
            })?;
            o.timeout_seconds = Some(n.max(0) as u64);
        }
        if let Some(s) = q.get("sendInitialEvents").filter(|s| !s.is_empty()) {
            o.send_initial_events = Some(go_bool(s));
        }
        // (cause reason, field, message) like kube's field.ErrorList for ListOptions.
        let mut errs: Vec<(&str, &str, String)> = Vec::new();
        match q.get("resourceVersionMatch").map(String::as_str) {
            None | Some("") => {}
            Some("NotOlderThan") => o.rv_match = Some(RvMatch::NotOlderThan),
            Some("Exact") => o.rv_match = Some(RvMatch::Exact),
            Some(other) => errs.push((
                "FieldValueNotSupported",
                "resourceVersionMatch",
                format!("Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
            )),
        }
        let streaming = o.watch && o.send_initial_events == Some(true);
        if o.rv_match.is_some() && o.resource_version.is_none() && !streaming {
            errs.push((
                "FieldValueForbidden",
                "resourceVersionMatch",
                "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
                    .into(),
            ));
        }
        if o.send_initial_events.is_some() && !o.watch {
            errs.push((
                "FieldValueForbidden",
                "sendInitialEvents",
                "Forbidden: sendInitialEvents is forbidden for list".into(),
            ));
        }
        if streaming && o.rv_match != Some(RvMatch::NotOlderThan) {
            errs.push((
                "FieldValueForbidden",
                "resourceVersionMatch",
                "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan".into(),
            ));
        }
        if !errs.is_empty() {
            let rendered: Vec<String> = errs.iter().map(|(_, f, m)| format!("{f}: {m}")).collect();
            let joined = if rendered.len() == 1 {
                rendered[0].clone()
            } else {
                format!("[{}]", rendered.join(", "))
            };
            let causes: Vec<serde_json::Value> = errs
                .iter()
                .map(|(r, f, m)| serde_json::json!({"reason": r, "message": m, "field": f}))
                .collect();
            return Err(ApiError::new(
                422,
                "Invalid",
                format!("ListOptions.meta.k8s.io \"\" is invalid: {joined}"),
            )
            .with_details(serde_json::json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes})));
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match classify(path) {
            Endpoint::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn classifies_resource_paths() {
        let r = res("/api/v1/namespaces/default/pods/web/log");
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.resource, "pods");
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(r.subresource.as_deref(), Some("log"));
        // The namespaces resource itself.
        let r = res("/api/v1/namespaces/default");
        assert_eq!(r.resource, "namespaces");
        assert_eq!(r.name.as_deref(), Some("default"));
        assert_eq!(r.namespace, None);
        let r = res("/api/v1/namespaces/default/status");
        assert_eq!(r.resource, "namespaces");
        assert_eq!(r.name.as_deref(), Some("default"));
        assert_eq!(r.subresource.as_deref(), Some("status"));
        let r = res("/apis/apps/v1/deployments");
        assert_eq!((r.group.as_str(), r.version.as_str()), ("apps", "v1"));
        assert_eq!(classify("/apis/apps"), Endpoint::Group("apps".into()));
        assert_eq!(
            classify("/api/v1"),
            Endpoint::GroupVersion {
                group: String::new(),
                version: "v1".into()
            }
        );
        assert_eq!(classify("/foo"), Endpoint::NotFound);
    }

    #[test]
    fn list_options_errors_match_kube() {
        let q = parse_query(Some("resourceVersion=abc"));
        let e = ListOptions::parse(&q).unwrap_err();
        assert_eq!(e.code, 400);
        assert!(e.message.contains("strconv.ParseUint: parsing \"abc\""));
        let q = parse_query(Some("labelSelector=app%3Dweb&limit=5&watch=true"));
        let o = ListOptions::parse(&q).unwrap();
        assert_eq!(o.label_selector.as_deref(), Some("app=web"));
        assert_eq!(o.limit, Some(5));
        assert!(o.watch);
    }
}

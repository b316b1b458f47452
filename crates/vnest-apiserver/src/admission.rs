//! What happens to an object between decoding and storage: defaulting, validation, and
//! the bootstrap objects every cluster has from its first start.

use bytes::Bytes;
use serde_json::{json, Value};
use vnest_api::status::ApiError;
use vnest_api::validation::{self, FieldError};

use crate::objects;
use crate::rest::{ResourceDef, Rest};

/// Namespaces that exist from the first start.
pub const BOOTSTRAP_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// 422 Invalid with kube's message and causes.
pub fn invalid(def: &ResourceDef, name: &str, errors: &[FieldError]) -> ApiError {
    // Custom resources are named by their plural, as kube's CR handler does.
    let kind = if def.custom.is_some() {
        &def.resource
    } else {
        &def.kind
    };
    let status = validation::invalid_status(&def.group, kind, name, errors);
    let message = status
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("invalid object")
        .to_string();
    let mut e = ApiError::new(422, "Invalid", message);
    e.details = status.get("details").cloned();
    e
}

pub fn name_required(def: &ResourceDef) -> ApiError {
    invalid(
        def,
        "",
        &[FieldError::required(
            "metadata.name",
            "name or generateName is required",
        )],
    )
}

/// Defaults applied on create, as kube-apiserver's defaulting and the admission steps
/// vnest implements do.
pub fn prepare_create(def: &ResourceDef, obj: &mut Value) -> Result<(), ApiError> {
    use vnest_api::defaults;
    if let Some(cr) = &def.custom {
        // The status of a resource with a status subresource starts empty.
        if cr.status_subresource {
            if let Some(m) = obj.as_object_mut() {
                m.remove("status");
            }
        }
        return Ok(());
    }
    if crate::crd::is_crd_def(def) {
        crate::crd::default_crd(obj);
        vnest_api::crd::prepare_for_create(obj);
    }
    defaults::apply_defaults(&def.group, &def.version, &def.kind, obj);
    defaults::apply_admission_defaults(&def.group, &def.version, &def.kind, obj);
    if def.group.is_empty() && def.kind == "Service" {
        let name = objects::meta_str(obj, "name").unwrap_or("").to_string();
        defaults::default_service_ip_families(obj, &[defaults::IpFamily::IPv4]).map_err(|e| {
            invalid(
                def,
                &name,
                &[FieldError::invalid(
                    "spec.ipFamilyPolicy",
                    obj.pointer("/spec/ipFamilyPolicy").cloned(),
                    e.to_string(),
                )],
            )
        })?;
    }
    if def.group.is_empty() && def.resource == "namespaces" {
        let name = objects::meta_str(obj, "name").unwrap_or("").to_string();
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            let labels = meta.entry("labels").or_insert_with(|| json!({}));
            if let Some(l) = labels.as_object_mut() {
                l.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
        }
    }
    Ok(())
}

pub fn validate_create(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    let name = objects::meta_str(obj, "name").unwrap_or("");
    let mut errors = validation::validate_object_meta(
        obj.get("metadata").unwrap_or(&Value::Null),
        def.namespaced,
        validation::name_rule(&def.group, &def.resource),
    );
    match &def.custom {
        Some(cr) => errors.extend(crate::crd::validate(cr, obj, None)),
        None if crate::crd::is_crd_def(def) => {
            errors.extend(vnest_api::crd::validate_crd(obj, None))
        }
        None => errors.extend(validation::validate_create(&def.group, &def.kind, obj)),
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(def, name, &errors))
    }
}

pub fn validate_update(def: &ResourceDef, old: &Value, new: &Value) -> Result<(), ApiError> {
    let name = objects::meta_str(new, "name").unwrap_or("");
    let mut errors = validation::validate_object_meta(
        new.get("metadata").unwrap_or(&Value::Null),
        def.namespaced,
        validation::name_rule(&def.group, &def.resource),
    );
    match &def.custom {
        Some(cr) => errors.extend(crate::crd::validate(cr, new, Some(old))),
        None if crate::crd::is_crd_def(def) => {
            errors.extend(vnest_api::crd::validate_crd(new, Some(old)))
        }
        None => errors.extend(validation::validate_update(&def.group, &def.kind, old, new)),
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(def, name, &errors))
    }
}

/// Creates the bootstrap namespaces that are missing.
pub async fn bootstrap(rest: &Rest) -> Result<(), ApiError> {
    let def = ResourceDef {
        group: String::new(),
        version: "v1".into(),
        kind: "Namespace".into(),
        resource: "namespaces".into(),
        namespaced: false,
        verbs: vec![],
        subresources: vec!["status".into(), "finalize".into()],
        custom: None,
    };
    for ns in BOOTSTRAP_NAMESPACES {
        let key = objects::object_key("", "namespaces", None, ns);
        let (existing, _) = rest
            .store
            .get(&key, None)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if existing.is_some() {
            continue;
        }
        let mut obj = json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": ns,
                "uid": uuid::Uuid::new_v4().to_string(),
                "creationTimestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
        });
        prepare_create(&def, &mut obj)?;
        match rest
            .store
            .create(&key, Bytes::from(objects::encode(&obj)))
            .await
        {
            Ok(_) | Err(vnest_store::StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(ApiError::internal(e.to_string())),
        }
    }
    Ok(())
}

/// Creates the RBAC policy kube-apiserver bootstraps (roles, cluster roles and their
/// bindings) where missing. Existing objects are left as the cluster's owners made them.
pub async fn bootstrap_rbac(rest: &Rest) -> Result<(), ApiError> {
    use vnest_api::rbac::bootstrap;
    let groups: [(&str, Vec<Value>); 4] = [
        ("clusterroles", bootstrap::cluster_roles()),
        ("clusterrolebindings", bootstrap::cluster_role_bindings()),
        ("roles", bootstrap::roles()),
        ("rolebindings", bootstrap::role_bindings()),
    ];
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (resource, objects_of_kind) in groups {
        for mut obj in objects_of_kind {
            let name = objects::meta_str(&obj, "name").unwrap_or("").to_string();
            let ns = objects::meta_str(&obj, "namespace").map(str::to_string);
            let key =
                objects::object_key("rbac.authorization.k8s.io", resource, ns.as_deref(), &name);
            let (existing, _) = rest
                .store
                .get(&key, None)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            if existing.is_some() {
                continue;
            }
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
                meta.insert("creationTimestamp".into(), json!(now));
            }
            match rest
                .store
                .create(&key, Bytes::from(objects::encode(&obj)))
                .await
            {
                Ok(_) | Err(vnest_store::StoreError::AlreadyExists { .. }) => {}
                Err(e) => return Err(ApiError::internal(e.to_string())),
            }
        }
    }
    Ok(())
}

/// The `kubernetes` Service in `default` (the first ClusterIP of the service range)
/// and its Endpoints and EndpointSlice pointing at this server.
pub async fn bootstrap_kubernetes_service(
    rest: &Rest,
    addr: std::net::SocketAddr,
) -> Result<(), ApiError> {
    use std::collections::HashMap;
    let ip = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        ip => ip.to_string(),
    };
    let port = addr.port();
    let first = rest.services.cidr.first().to_string();
    let resolve = |group: &str, version: &str, resource: &str| {
        rest.discovery
            .resolve(group, version, resource)
            .ok_or_else(|| ApiError::internal(format!("{resource} are not served")))
    };
    let manager = "kube-apiserver";
    let none = HashMap::new();
    let svc_def = resolve("", "v1", "services")?;
    if rest
        .get_object(&svc_def, Some("default"), "kubernetes")
        .await
        .is_err()
    {
        let svc = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"type": "ClusterIP", "clusterIP": first, "sessionAffinity": "None",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]},
        });
        rest.create(
            &svc_def,
            Some("default"),
            svc.to_string().as_bytes(),
            crate::body::MediaType::Json,
            &none,
            None,
            manager,
        )
        .await?;
    }
    let ep_def = resolve("", "v1", "endpoints")?;
    let ep = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
    });
    ensure_fields(rest, &ep_def, ep, &["subsets"], manager).await?;
    let slice_def = resolve("discovery.k8s.io", "v1", "endpointslices")?;
    let slice = json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": true}}],
        "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
    });
    ensure_fields(rest, &slice_def, slice, &["endpoints", "ports"], manager).await?;
    Ok(())
}

/// Creates `wanted` (in `default`) or brings `fields` of the existing object to it.
async fn ensure_fields(
    rest: &Rest,
    def: &ResourceDef,
    wanted: Value,
    fields: &[&str],
    manager: &str,
) -> Result<(), ApiError> {
    let name = objects::meta_str(&wanted, "name").unwrap_or("").to_string();
    match rest.get_object(def, Some("default"), &name).await {
        Ok(current) if fields.iter().all(|f| current.get(*f) == wanted.get(*f)) => Ok(()),
        Ok(_) => {
            let write = crate::rest::WriteMeta {
                manager,
                subresource: None,
                apply: false,
            };
            rest.guaranteed_update(def, Some("default"), &name, None, false, write, |cur| {
                let mut next = cur.clone();
                for f in fields {
                    next[*f] = wanted.get(*f).cloned().unwrap_or(Value::Null);
                }
                Ok(next)
            })
            .await
            .map(|_| ())
        }
        Err(_) => rest
            .create(
                def,
                Some("default"),
                wanted.to_string().as_bytes(),
                crate::body::MediaType::Json,
                &std::collections::HashMap::new(),
                None,
                manager,
            )
            .await
            .map(|_| ()),
    }
}

/// Reviews are answered, never stored: token reviews by the authenticator, access
/// and rules reviews by the RBAC snapshot, SelfSubjectReview from the request's user.
pub fn review(
    rest: &Rest,
    def: &ResourceDef,
    obj: &Value,
    user: Option<&crate::auth::UserInfo>,
) -> Option<Value> {
    let mut answer = obj.clone();
    match (def.group.as_str(), def.kind.as_str()) {
        ("authentication.k8s.io", "TokenReview") => {
            let token = obj
                .pointer("/spec/token")
                .and_then(Value::as_str)
                .unwrap_or("");
            let audiences: Option<Vec<String>> = obj
                .pointer("/spec/audiences")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .filter(|a: &Vec<String>| !a.is_empty());
            answer["status"] = match rest
                .authn
                .authenticate_token(token.trim(), audiences.as_deref())
            {
                Ok(u) => {
                    let mut st = json!({"authenticated": true, "user": u.to_json()});
                    st["audiences"] =
                        json!(audiences.unwrap_or_else(|| rest.authn.audiences.clone()));
                    st
                }
                Err(e) => json!({"user": {}, "error": e.to_string()}),
            };
        }
        ("authorization.k8s.io", "SelfSubjectAccessReview") => {
            let u = user?;
            let spec = obj.get("spec").cloned().unwrap_or(json!({}));
            answer["status"] = rest.authz.access_review_status(u, &spec, None);
        }
        ("authorization.k8s.io", "SubjectAccessReview" | "LocalSubjectAccessReview") => {
            let spec = obj.get("spec").cloned().unwrap_or(json!({}));
            let subject = crate::auth::UserInfo {
                name: spec
                    .get("user")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                uid: spec
                    .get("uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                groups: spec
                    .get("groups")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|g| g.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                extra: spec
                    .get("extra")
                    .and_then(|e| serde_json::from_value(e.clone()).ok())
                    .unwrap_or_default(),
            };
            let ns = if def.kind == "LocalSubjectAccessReview" {
                obj.pointer("/metadata/namespace").and_then(Value::as_str)
            } else {
                None
            };
            answer["status"] = rest.authz.access_review_status(&subject, &spec, ns);
        }
        ("authorization.k8s.io", "SelfSubjectRulesReview") => {
            let u = user?;
            let ns = obj
                .pointer("/spec/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            answer["status"] = rest.authz.rules_review_status(u, ns);
        }
        ("authentication.k8s.io", "SelfSubjectReview") => {
            let u = user?;
            answer["status"] = json!({"userInfo": u.to_json()});
        }
        _ => return None,
    }
    if let Some(meta) = answer.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("creationTimestamp".into(), Value::Null);
    }
    Some(answer)
}

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
    let status = validation::invalid_status(&def.group, &def.kind, name, errors);
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
    errors.extend(validation::validate_create(&def.group, &def.kind, obj));
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
    errors.extend(validation::validate_update(&def.group, &def.kind, old, new));
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

/// Reviews are answered, never stored. Authorization allows every authenticated user
/// until RBAC lands, and the answers say so.
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
        (
            "authorization.k8s.io",
            "SelfSubjectAccessReview" | "SubjectAccessReview" | "LocalSubjectAccessReview",
        ) => {
            answer["status"] = json!({"allowed": true, "reason": "vnest allows every authenticated user (no RBAC yet)"});
        }
        ("authorization.k8s.io", "SelfSubjectRulesReview") => {
            answer["status"] = json!({
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": false,
            });
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

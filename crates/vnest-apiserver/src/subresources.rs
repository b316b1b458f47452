//! Subresources other than status: `/scale` (autoscaling/v1 Scale), namespace
//! `/finalize`, and the pod streaming endpoints (`log`, `exec`, `attach`,
//! `portforward`), which need a node to talk to.

use std::collections::HashMap;

use http::Method;
use serde_json::{json, Value};
use vnest_api::status::ApiError;

use crate::body::MediaType;
use crate::rest::{Reply, ResourceDef, Rest};

fn json_reply(status: u16, body: Value) -> Reply {
    Reply::Json {
        status,
        body,
        warnings: Vec::new(),
    }
}

fn scale_def(def: &ResourceDef) -> ResourceDef {
    ResourceDef {
        group: "autoscaling".into(),
        version: "v1".into(),
        kind: "Scale".into(),
        resource: def.resource.clone(),
        namespaced: def.namespaced,
        verbs: vec![],
        subresources: vec![],
        custom: None,
    }
}

fn scale_of(def: &ResourceDef, obj: &Value) -> Value {
    def.custom
        .as_ref()
        .and_then(|cr| crate::crd::scale_of(cr, obj))
        .unwrap_or_else(|| Rest::scale_of(obj))
}

#[allow(clippy::too_many_arguments)]
pub async fn subresource(
    rest: &Rest,
    method: &Method,
    def: &ResourceDef,
    ns: Option<&str>,
    name: &str,
    sub: &str,
    body: &[u8],
    media: MediaType,
    query: &HashMap<String, String>,
    manager: &str,
) -> Result<Reply, ApiError> {
    let write = crate::rest::WriteMeta {
        manager,
        subresource: Some(sub),
        apply: false,
    };
    match (sub, method) {
        ("scale", &Method::GET) => {
            let current = rest.get_object(def, ns, name).await?;
            Ok(json_reply(200, scale_of(def, &current)))
        }
        ("scale", &Method::PUT) | ("scale", &Method::PATCH) => {
            let is_patch = method == Method::PATCH;
            let obj = rest
                .guaranteed_update(def, ns, name, None, false, write, |current| {
                    let scale = scale_of(def, current);
                    let wanted = if is_patch {
                        crate::patching::apply_patch(&scale_def(def), media, &scale, body, vnest_api::patch::FieldValidation::Ignore)?.0
                    } else {
                        crate::body::decode_object(body, media, "Scale")?
                    };
                    let replicas = wanted.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
                    if replicas < 0 {
                        return Err(ApiError::new(
                            422,
                            "Invalid",
                            format!("Scale.autoscaling \"{name}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0"),
                        )
                        .with_details(json!({"name": name, "group": "autoscaling", "kind": "Scale", "causes": [{"reason": "FieldValueInvalid", "message": format!("Invalid value: {replicas}: must be greater than or equal to 0"), "field": "spec.replicas"}]})));
                    }
                    let mut next = current.clone();
                    match &def.custom {
                        Some(cr) => crate::crd::set_replicas(cr, &mut next, replicas),
                        None => next["spec"]["replicas"] = json!(replicas),
                    }
                    Ok(next)
                })
                .await?;
            Ok(json_reply(200, scale_of(def, &obj)))
        }
        ("finalize", &Method::PUT) if def.resource == "namespaces" => {
            let wanted = crate::body::decode_object(body, media, &def.kind)?;
            let finalizers = wanted
                .pointer("/spec/finalizers")
                .cloned()
                .unwrap_or(json!([]));
            let obj = rest
                .guaranteed_update(
                    def,
                    ns,
                    name,
                    None,
                    crate::rest::is_dry_run(query),
                    write,
                    |current| {
                        let mut next = current.clone();
                        next["spec"]["finalizers"] = finalizers.clone();
                        Ok(next)
                    },
                )
                .await?;
            Ok(json_reply(200, obj))
        }
        ("token", &Method::POST) if def.group.is_empty() && def.resource == "serviceaccounts" => {
            let request = match media {
                MediaType::Protobuf => {
                    crate::body::decode_protobuf(body, "authentication.k8s.io/v1", "TokenRequest")?
                }
                _ => crate::body::decode_object(body, media, "TokenRequest")?,
            };
            let ns = ns.ok_or_else(ApiError::method_not_allowed)?;
            token_request(rest, ns, name, request, crate::rest::is_dry_run(query)).await
        }
        ("binding", &Method::POST) if def.group.is_empty() && def.resource == "pods" => {
            let binding = match media {
                MediaType::Protobuf => crate::body::decode_protobuf(body, "v1", "Binding")?,
                _ => crate::body::decode_object(body, media, "Binding")?,
            };
            let node = binding
                .pointer("/target/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if node.is_empty() {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    format!("Binding \"{name}\" is invalid: target.name: Required value"),
                ));
            }
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            rest.guaranteed_update(def, ns, name, None, crate::rest::is_dry_run(query), write, |current| {
                if let Some(existing) = current
                    .pointer("/spec/nodeName")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                {
                    return Err(ApiError::new(
                        409,
                        "Conflict",
                        format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{existing}\""),
                    ));
                }
                if current.pointer("/metadata/deletionTimestamp").is_some() {
                    return Err(ApiError::new(
                        409,
                        "Conflict",
                        format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host"),
                    ));
                }
                let mut next = current.clone();
                next["spec"]["nodeName"] = json!(node);
                let conditions = next["status"]
                    .as_object_mut()
                    .map(|s| s.entry("conditions").or_insert_with(|| json!([])));
                if let Some(Value::Array(list)) = conditions {
                    list.retain(|c| c["type"] != "PodScheduled");
                    list.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}));
                }
                Ok(next)
            })
            .await?;
            Ok(json_reply(
                201,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
            ))
        }
        ("log", &Method::GET) if def.resource == "pods" && rest.pod_logs.is_some() => {
            let pod = rest.get_object(def, ns, name).await?;
            pod_stream_target(name, &pod, sub, query)?;
            let container = match query.get("container").filter(|c| !c.is_empty()) {
                Some(c) => c.clone(),
                None => pod
                    .pointer("/spec/containers/0/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
            let opts = crate::podlogs::LogOptions::parse(query)?;
            let logs = rest
                .pod_logs
                .as_ref()
                .ok_or_else(ApiError::method_not_allowed)?;
            Ok(Reply::Text(logs.open(&pod, &container, &opts).await?))
        }
        ("log" | "exec" | "attach" | "portforward", _) if def.resource == "pods" => {
            let pod = rest.get_object(def, ns, name).await?;
            pod_stream_target(name, &pod, sub, query)?;
            let node = pod
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .unwrap_or("");
            Err(ApiError::new(
                503,
                "ServiceUnavailable",
                format!("no connection to node {node}: this cluster has no node agents"),
            ))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Checks a streaming request against the pod the way kube does before it dials the
/// kubelet: the pod must be on a node, and the container must be known.
pub(crate) fn pod_stream_target(
    name: &str,
    pod: &Value,
    sub: &str,
    query: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let containers: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if sub != "portforward" {
        match query.get("container").filter(|c| !c.is_empty()) {
            Some(c) if !containers.contains(c) => {
                let init: Vec<String> = pod
                    .pointer("/spec/initContainers")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| {
                                c.get("name").and_then(Value::as_str).map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if !init.contains(c) {
                    return Err(ApiError::bad_request(format!(
                        "container {c} is not valid for pod {name}"
                    )));
                }
            }
            None if containers.len() > 1 => {
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    containers.join(" ")
                )));
            }
            _ => {}
        }
    }
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node.is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    Ok(())
}

fn token_request_invalid(name: &str, field: &str, value: Value, detail: &str) -> ApiError {
    let shown = match &value {
        Value::String(s) => format!("{s:?}"),
        v => v.to_string(),
    };
    let msg = format!("Invalid value: {shown}: {detail}");
    ApiError::new(
        422,
        "Invalid",
        format!("TokenRequest.authentication.k8s.io \"{name}\" is invalid: {field}: {msg}"),
    )
    .with_details(json!({
        "name": name,
        "group": "authentication.k8s.io",
        "kind": "TokenRequest",
        "causes": [{"reason": "FieldValueInvalid", "message": msg, "field": field}],
    }))
}

/// `POST .../serviceaccounts/NAME/token`: a bound token for the service account, as
/// kube-apiserver's TokenRequest answers it.
async fn token_request(
    rest: &Rest,
    ns: &str,
    name: &str,
    mut request: Value,
    dry_run: bool,
) -> Result<Reply, ApiError> {
    use crate::satoken::{
        BoundClaims, BoundObject, DEFAULT_EXPIRATION_SECONDS, MAX_EXPIRATION_SECONDS,
        MIN_EXPIRATION_SECONDS,
    };
    let sa_def = ResourceDef {
        group: String::new(),
        version: "v1".into(),
        kind: "ServiceAccount".into(),
        resource: "serviceaccounts".into(),
        namespaced: true,
        verbs: vec![],
        subresources: vec![],
        custom: None,
    };
    let sa = rest.get_object(&sa_def, Some(ns), name).await?;
    let sa_uid = sa
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let spec = request.get("spec").cloned().unwrap_or(json!({}));
    let expiration = match spec.get("expirationSeconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRATION_SECONDS,
        Some(v) => v
            .as_i64()
            .ok_or_else(|| ApiError::bad_request("spec.expirationSeconds must be an integer"))?,
    };
    if expiration < MIN_EXPIRATION_SECONDS {
        return Err(token_request_invalid(
            name,
            "spec.expirationSeconds",
            json!(expiration),
            "may not specify a duration less than 10 minutes",
        ));
    }
    if expiration > MAX_EXPIRATION_SECONDS {
        return Err(token_request_invalid(
            name,
            "spec.expirationSeconds",
            json!(expiration),
            "may not specify a duration larger than 2^32 seconds",
        ));
    }
    let mut audiences: Vec<String> = spec
        .get("audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if audiences.is_empty() {
        audiences = rest.authn.audiences.clone();
    }
    let mut bound = None;
    let mut node = None;
    if let Some(r) = spec.get("boundObjectRef").filter(|r| !r.is_null()) {
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("");
        let api_version = r.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let obj_name = r.get("name").and_then(Value::as_str).unwrap_or("");
        let resource = match (api_version, kind) {
            ("v1", "Pod") => "pods",
            ("v1", "Secret") => "secrets",
            _ => {
                return Err(token_request_invalid(
                    name,
                    "spec.boundObjectRef.kind",
                    json!(kind),
                    "must be one of Pod, Secret",
                ))
            }
        };
        let def = ResourceDef {
            group: String::new(),
            version: "v1".into(),
            kind: kind.to_string(),
            resource: resource.into(),
            namespaced: true,
            verbs: vec![],
            subresources: vec![],
            custom: None,
        };
        let obj = rest.get_object(&def, Some(ns), obj_name).await?;
        let uid = obj
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(want) = r
            .get("uid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
        {
            if want != uid {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!("Operation cannot be fulfilled on {resource} \"{obj_name}\": the UID in the bound object reference ({want}) does not match the UID in record. The object might have been deleted and then recreated"),
                ));
            }
        }
        if kind == "Pod" {
            if let Some(node_name) = obj
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                let node_key = crate::objects::object_key("", "nodes", None, node_name);
                if let Some(n) = rest.cache.get(&node_key).0 {
                    let node_uid = n
                        .pointer("/metadata/uid")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    node = Some((node_name.to_string(), node_uid));
                }
            }
        }
        request["spec"]["boundObjectRef"]["uid"] = json!(uid);
        bound = Some(BoundObject {
            kind: kind.to_string(),
            name: obj_name.to_string(),
            uid,
        });
    }
    let now = chrono::Utc::now();
    let claims = BoundClaims {
        namespace: ns.to_string(),
        service_account: name.to_string(),
        service_account_uid: sa_uid,
        audiences: audiences.clone(),
        issued_at: now.timestamp(),
        expires_at: now.timestamp() + expiration,
        bound,
        node,
        id: uuid::Uuid::new_v4().to_string(),
    };
    let token = if dry_run {
        String::new()
    } else {
        rest.authn
            .signer
            .sign(&claims.to_claims())
            .map_err(|e| ApiError::internal(e.to_string()))?
    };
    let expires = (now + chrono::Duration::seconds(expiration))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut answer = json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": null},
        "spec": request.get("spec").cloned().unwrap_or(json!({})),
        "status": {"token": token, "expirationTimestamp": expires},
    });
    answer["spec"]["audiences"] = json!(audiences);
    answer["spec"]["expirationSeconds"] = json!(expiration);
    if answer["spec"].get("boundObjectRef").is_none() {
        answer["spec"]["boundObjectRef"] = Value::Null;
    }
    Ok(json_reply(201, answer))
}

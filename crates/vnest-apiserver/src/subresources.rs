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
    }
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
    };
    match (sub, method) {
        ("scale", &Method::GET) => {
            let current = rest.get_object(def, ns, name).await?;
            Ok(json_reply(200, Rest::scale_of(&current)))
        }
        ("scale", &Method::PUT) | ("scale", &Method::PATCH) => {
            let is_patch = method == Method::PATCH;
            let obj = rest
                .guaranteed_update(def, ns, name, None, false, write, |current| {
                    let scale = Rest::scale_of(current);
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
                    next["spec"]["replicas"] = json!(replicas);
                    Ok(next)
                })
                .await?;
            Ok(json_reply(200, Rest::scale_of(&obj)))
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
fn pod_stream_target(
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

//! The legacy token controller: secrets of type `kubernetes.io/service-account-token`
//! that name a service account get a signed token, the cluster CA and the namespace
//! filled in; they are deleted when their service account is gone (or was replaced by
//! one with another uid). It runs inside the API server because it signs with the
//! service-account key, as kube-controller-manager's token controller does.

use std::collections::HashMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::background::follow;
use crate::objects::{object_key, resource_prefix};
use crate::rest::{ResourceDef, Rest, WriteMeta};
use crate::satoken::legacy_claims;

const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const SA_NAME: &str = "kubernetes.io/service-account.name";
const SA_UID: &str = "kubernetes.io/service-account.uid";

fn secret_def() -> ResourceDef {
    ResourceDef {
        group: String::new(),
        version: "v1".into(),
        kind: "Secret".into(),
        resource: "secrets".into(),
        namespaced: true,
        verbs: vec![],
        subresources: vec![],
        custom: None,
    }
}

fn meta<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// What to do with one token secret, given its service account's uid (None: gone).
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Nothing,
    Fill { sa_uid: String },
    Delete,
}

fn decide(secret: &Value, sa_uid: Option<&str>) -> Action {
    if secret.get("type").and_then(Value::as_str) != Some(TOKEN_TYPE)
        || secret.pointer("/metadata/deletionTimestamp").is_some()
    {
        return Action::Nothing;
    }
    let Some(_) = annotation(secret, SA_NAME).filter(|n| !n.is_empty()) else {
        return Action::Nothing;
    };
    let Some(sa_uid) = sa_uid else {
        return Action::Delete;
    };
    match annotation(secret, SA_UID) {
        Some(u) if !u.is_empty() && u != sa_uid => Action::Delete,
        _ => {
            let has_token = secret
                .pointer("/data/token")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty());
            if has_token && annotation(secret, SA_UID).is_some() {
                Action::Nothing
            } else {
                Action::Fill {
                    sa_uid: sa_uid.to_string(),
                }
            }
        }
    }
}

/// Runs forever.
pub async fn run(rest: Arc<Rest>, ca_pem: String) {
    let cache = rest.cache.clone();
    let secrets_prefix = resource_prefix("", "secrets", None);
    let sa_prefix = resource_prefix("", "serviceaccounts", None);
    let prefix = common_prefix(&secrets_prefix, &sa_prefix);
    follow(cache.clone(), prefix, |batch| {
        let rest = rest.clone();
        let ca_pem = ca_pem.clone();
        let secrets_prefix = secrets_prefix.clone();
        let sa_prefix = sa_prefix.clone();
        async move {
            // Secrets to look at: the changed ones, and those of changed service accounts.
            let mut todo: HashMap<String, Arc<Value>> = HashMap::new();
            for (key, obj, _) in &batch {
                if key.starts_with(&secrets_prefix) {
                    if let Some(current) = rest.cache.get(key).0 {
                        todo.insert(key.clone(), current);
                    }
                } else if key.starts_with(&sa_prefix) {
                    let ns = meta(obj, "namespace");
                    let (secrets, _) = rest.cache.list(&resource_prefix("", "secrets", Some(ns)));
                    for (k, s) in secrets {
                        if annotation(&s, SA_NAME) == Some(meta(obj, "name")) {
                            todo.insert(k, s);
                        }
                    }
                }
            }
            for secret in todo.values() {
                reconcile(&rest, &ca_pem, secret).await;
            }
        }
    })
    .await
}

/// The longest common prefix of two keys (both under `/registry/core/`).
fn common_prefix(a: &str, b: &str) -> String {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    a[..n].to_string()
}

async fn reconcile(rest: &Rest, ca_pem: &str, secret: &Value) {
    let ns = meta(secret, "namespace");
    let name = meta(secret, "name");
    let sa_name = annotation(secret, SA_NAME).unwrap_or("");
    let sa = rest
        .cache
        .get(&object_key("", "serviceaccounts", Some(ns), sa_name))
        .0;
    let sa_uid = sa.as_ref().map(|s| meta(s, "uid").to_string());
    let def = secret_def();
    match decide(secret, sa_uid.as_deref()) {
        Action::Nothing => {}
        Action::Delete => {
            if let Err(e) = rest
                .delete(&def, Some(ns), name, b"", &HashMap::new())
                .await
            {
                if e.code != 404 {
                    tracing::warn!(%ns, %name, error = %e.message, "deleting a stale token secret failed");
                }
            }
        }
        Action::Fill { sa_uid } => {
            let token = match rest
                .authn
                .signer
                .sign(&legacy_claims(ns, name, sa_name, &sa_uid))
            {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(error = %e, "cannot sign a legacy token");
                    return;
                }
            };
            let write = WriteMeta {
                manager: "kube-controller-manager",
                subresource: None,
                apply: false,
            };
            let result = rest
                .guaranteed_update(&def, Some(ns), name, None, false, write, |current| {
                    let mut next = current.clone();
                    next["metadata"]["annotations"][SA_UID] = json!(sa_uid);
                    let data = next
                        .as_object_mut()
                        .map(|m| m.entry("data").or_insert_with(|| json!({})));
                    if let Some(Value::Object(data)) = data {
                        data.insert("token".into(), json!(STANDARD.encode(&token)));
                        data.insert("ca.crt".into(), json!(STANDARD.encode(ca_pem)));
                        data.insert("namespace".into(), json!(STANDARD.encode(ns)));
                    }
                    Ok(next)
                })
                .await;
            if let Err(e) = result {
                if e.code != 404 {
                    tracing::warn!(%ns, %name, error = %e.message, "filling a token secret failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(annotations: Value, data: Value) -> Value {
        json!({"type": TOKEN_TYPE, "metadata": {"name": "s", "namespace": "n", "annotations": annotations}, "data": data})
    }

    #[test]
    fn fills_deletes_or_leaves_alone() {
        let empty = secret(json!({SA_NAME: "sa"}), json!({}));
        assert_eq!(
            decide(&empty, Some("u1")),
            Action::Fill {
                sa_uid: "u1".into()
            }
        );
        assert_eq!(decide(&empty, None), Action::Delete);
        let filled = secret(
            json!({SA_NAME: "sa", SA_UID: "u1"}),
            json!({"token": "eA=="}),
        );
        assert_eq!(decide(&filled, Some("u1")), Action::Nothing);
        assert_eq!(decide(&filled, Some("u2")), Action::Delete);
        let unnamed = secret(json!({}), json!({}));
        assert_eq!(decide(&unnamed, None), Action::Nothing);
        let mut opaque = empty.clone();
        opaque["type"] = json!("Opaque");
        assert_eq!(decide(&opaque, None), Action::Nothing);
    }
}

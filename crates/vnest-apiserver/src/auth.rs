//! Authentication: client certificates issued by the cluster CA (CN = user, O = groups),
//! bearer tokens from a static token file (kube's `--token-auth-file` CSV format:
//! `token,user,uid,"group1,group2"`), and service-account tokens (bound tokens from
//! TokenRequest and legacy secret tokens), checked against the watch cache on every
//! request: the service account and the object a token is bound to must still exist
//! with the uid the token names.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::cache::WatchCache;
use crate::objects::object_key;
use crate::satoken::{self, TokenSigner, TokenSubject};

pub use vnest_api::rbac::{UserInfo, ANONYMOUS};

/// Turns bearer tokens into users.
pub struct Authenticator {
    pub static_tokens: HashMap<String, UserInfo>,
    pub signer: TokenSigner,
    pub cache: Arc<WatchCache>,
    /// Audiences the API server accepts (kube's `--api-audiences`, default the issuer).
    pub audiences: Vec<String>,
}

/// Why a service-account token was refused (TokenReview reports it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenRejected {
    #[error("invalid bearer token")]
    Invalid,
    #[error("{0}")]
    Jwt(#[from] satoken::TokenError),
    #[error("token audiences {0:?} is invalid for the target audiences {1:?}")]
    Audience(Vec<String>, Vec<String>),
    #[error("{0}")]
    Gone(String),
}

impl Authenticator {
    fn cached(&self, group: &str, resource: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.cache
            .get(&object_key(group, resource, Some(ns), name))
            .0
    }

    /// The user a bearer token stands for. `audiences` overrides the API's own (for
    /// TokenReview's spec.audiences).
    pub fn authenticate_token(
        &self,
        token: &str,
        audiences: Option<&[String]>,
    ) -> Result<UserInfo, TokenRejected> {
        if let Some(u) = self.static_tokens.get(token) {
            return Ok(u.clone());
        }
        if !satoken::looks_like_jwt(token) {
            return Err(TokenRejected::Invalid);
        }
        let now = chrono::Utc::now().timestamp();
        let claims = self.signer.verify(token, now)?;
        let subject = satoken::subject(&claims).ok_or(TokenRejected::Invalid)?;
        let uid_of = |o: &Value| {
            o.pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match subject {
            TokenSubject::Bound {
                namespace,
                name,
                uid,
                audiences: token_audiences,
                bound,
                node,
                id,
            } => {
                let wanted = audiences.unwrap_or(&self.audiences);
                if !token_audiences.iter().any(|a| wanted.contains(a)) {
                    return Err(TokenRejected::Audience(token_audiences, wanted.to_vec()));
                }
                let sa = self
                    .cached("", "serviceaccounts", &namespace, &name)
                    .ok_or_else(|| {
                        TokenRejected::Gone(format!("serviceaccounts \"{name}\" not found"))
                    })?;
                if uid_of(&sa) != uid {
                    return Err(TokenRejected::Gone(format!(
                        "service account UID ({uid}) does not match claim ({})",
                        uid_of(&sa)
                    )));
                }
                let mut user = UserInfo::service_account(&namespace, &name, &uid);
                if let Some(b) = bound {
                    let resource = match b.kind.as_str() {
                        "Pod" => "pods",
                        "Secret" => "secrets",
                        _ => "",
                    };
                    if !resource.is_empty() {
                        let obj =
                            self.cached("", resource, &namespace, &b.name)
                                .ok_or_else(|| {
                                    TokenRejected::Gone(format!(
                                        "{resource} \"{}\" not found",
                                        b.name
                                    ))
                                })?;
                        if uid_of(&obj) != b.uid {
                            return Err(TokenRejected::Gone(format!(
                                "{} UID ({}) does not match claim ({})",
                                b.kind,
                                uid_of(&obj),
                                b.uid
                            )));
                        }
                        if b.kind == "Pod" && obj.pointer("/metadata/deletionTimestamp").is_some() {
                            return Err(TokenRejected::Gone(format!(
                                "pod \"{}\" is being deleted",
                                b.name
                            )));
                        }
                    }
                    if b.kind == "Pod" {
                        user.extra.insert(
                            "authentication.kubernetes.io/pod-name".into(),
                            vec![b.name.clone()],
                        );
                        user.extra
                            .insert("authentication.kubernetes.io/pod-uid".into(), vec![b.uid]);
                    }
                }
                if let Some((node_name, node_uid)) = node {
                    user.extra.insert(
                        "authentication.kubernetes.io/node-name".into(),
                        vec![node_name],
                    );
                    user.extra.insert(
                        "authentication.kubernetes.io/node-uid".into(),
                        vec![node_uid],
                    );
                }
                if !id.is_empty() {
                    user.extra.insert(
                        "authentication.kubernetes.io/credential-id".into(),
                        vec![format!("JTI={id}")],
                    );
                }
                Ok(user)
            }
            TokenSubject::Legacy {
                namespace,
                name,
                uid,
                secret,
            } => {
                let sec = self
                    .cached("", "secrets", &namespace, &secret)
                    .ok_or_else(|| {
                        TokenRejected::Gone(format!("secrets \"{secret}\" not found"))
                    })?;
                let stored = sec
                    .pointer("/data/token")
                    .and_then(Value::as_str)
                    .and_then(|t| {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD.decode(t).ok()
                    });
                if stored.as_deref() != Some(token.as_bytes()) {
                    return Err(TokenRejected::Gone(format!(
                        "token does not match the one in secret {secret}"
                    )));
                }
                let sa = self
                    .cached("", "serviceaccounts", &namespace, &name)
                    .ok_or_else(|| {
                        TokenRejected::Gone(format!("serviceaccounts \"{name}\" not found"))
                    })?;
                if uid_of(&sa) != uid {
                    return Err(TokenRejected::Gone(format!(
                        "service account UID ({uid}) does not match claim ({})",
                        uid_of(&sa)
                    )));
                }
                Ok(UserInfo::service_account(&namespace, &name, &uid))
            }
        }
    }
}

/// The user named by a verified client certificate (DER).
pub fn user_from_certificate(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let name = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())?
        .to_string();
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_string))
        .collect();
    Some(UserInfo::authenticated(name, String::new(), groups))
}

#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Format {
        path: String,
        line: usize,
        reason: String,
    },
}

/// Parses a static token file.
pub fn parse_token_file(
    text: &str,
    path: &str,
) -> Result<HashMap<String, UserInfo>, TokenFileError> {
    let mut tokens = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_csv(line);
        if fields.len() < 3 {
            return Err(TokenFileError::Format {
                path: path.into(),
                line: i + 1,
                reason: "expected at least 3 columns: token,user,uid".into(),
            });
        }
        if fields[0].is_empty() || fields[1].is_empty() {
            return Err(TokenFileError::Format {
                path: path.into(),
                line: i + 1,
                reason: "token and user must not be empty".into(),
            });
        }
        let groups = fields
            .get(3)
            .map(|g| {
                g.split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        tokens.insert(
            fields[0].clone(),
            UserInfo::authenticated(fields[1].clone(), fields[2].clone(), groups),
        );
    }
    Ok(tokens)
}

pub fn load_token_file(path: &Path) -> Result<HashMap<String, UserInfo>, TokenFileError> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Io {
        path: display.clone(),
        source,
    })?;
    parse_token_file(&text, &display)
}

/// Splits one CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_with_quoted_groups() {
        let t = parse_token_file(
            "# comment\nabc,alice,1001,\"dev,ops\"\nxyz,bob,1002\n",
            "tokens.csv",
        )
        .unwrap();
        let alice = &t["abc"];
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.groups, ["dev", "ops", "system:authenticated"]);
        assert_eq!(t["xyz"].groups, ["system:authenticated"]);
        assert!(parse_token_file("onlytoken\n", "f").is_err());
    }
}

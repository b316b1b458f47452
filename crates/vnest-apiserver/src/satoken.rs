//! Service-account tokens: JWTs signed with the cluster's service-account key
//! (ECDSA P-256, `ES256`), as kube-apiserver issues them for TokenRequest (bound
//! tokens) and as the token controller writes them into legacy
//! `kubernetes.io/service-account-token` secrets.
//!
//! This module only signs, verifies signatures and reads claims; whether the service
//! account and the bound object still exist is checked by the caller against the
//! watch cache (see `auth.rs`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivatePkcs8KeyDer;
use serde_json::{json, Map, Value};

/// The issuer of bound tokens (kube's `--service-account-issuer` in most clusters).
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// The issuer kube writes into legacy secret-based tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";
/// kube's default TokenRequest lifetime.
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// kube refuses shorter lifetimes.
pub const MIN_EXPIRATION_SECONDS: i64 = 600;
/// kube's cap: tokens never live longer than this (2^32 seconds).
pub const MAX_EXPIRATION_SECONDS: i64 = 1 << 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("service-account key: {0}")]
    Key(String),
    #[error("token is malformed")]
    Malformed,
    #[error("token signature is invalid")]
    Signature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
}

/// Signs and verifies service-account tokens.
pub struct TokenSigner {
    key: EcdsaKeyPair,
    key_id: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl TokenSigner {
    /// From the PKCS#8 PEM the PKI keeps (`sa.key`).
    pub fn from_pem(pem: &str) -> Result<TokenSigner, TokenError> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| TokenError::Key(e.to_string()))?;
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der.secret_pkcs8_der(),
            &rng,
        )
        .map_err(|e| TokenError::Key(e.to_string()))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
        let key_id = URL_SAFE_NO_PAD.encode(digest.as_ref());
        Ok(TokenSigner { key, key_id, rng })
    }

    /// The `kid` header of the tokens this key signs.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A compact JWS of `claims`.
    pub fn sign(&self, claims: &Value) -> Result<String, TokenError> {
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| TokenError::Key("signing failed".into()))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sig.as_ref())
        ))
    }

    /// The claims of a token this key signed, if the signature holds and `now`
    /// (unix seconds) lies within its validity. Tokens of other keys or algorithms
    /// are `Signature` errors; anything that is not a JWS is `Malformed`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Value = URL_SAFE_NO_PAD
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("ES256") {
            return Err(TokenError::Signature);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| TokenError::Malformed)?;
        let public = UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            self.key.public_key().as_ref(),
        );
        let signing_input = &token[..h.len() + 1 + c.len()];
        public
            .verify(signing_input.as_bytes(), &sig)
            .map_err(|_| TokenError::Signature)?;
        let claims: Value = URL_SAFE_NO_PAD
            .decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        if !claims.is_object() {
            return Err(TokenError::Malformed);
        }
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
            if now >= exp {
                return Err(TokenError::Expired);
            }
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64) {
            if now < nbf {
                return Err(TokenError::NotYetValid);
            }
        }
        Ok(claims)
    }
}

/// An object a bound token is tied to: (kind, name, uid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundObject {
    pub kind: String,
    pub name: String,
    pub uid: String,
}

/// What a bound token says, as kube-apiserver writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundClaims {
    pub namespace: String,
    pub service_account: String,
    pub service_account_uid: String,
    pub audiences: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub bound: Option<BoundObject>,
    /// Node name a bound pod runs on, recorded as kube does.
    pub node: Option<(String, String)>,
    pub id: String,
}

impl BoundClaims {
    /// The JWT claims.
    pub fn to_claims(&self) -> Value {
        let mut k8s = Map::new();
        k8s.insert("namespace".into(), json!(self.namespace));
        k8s.insert(
            "serviceaccount".into(),
            json!({"name": self.service_account, "uid": self.service_account_uid}),
        );
        if let Some(b) = &self.bound {
            let key = match b.kind.as_str() {
                "Pod" => "pod",
                "Secret" => "secret",
                "Node" => "node",
                _ => "object",
            };
            k8s.insert(key.into(), json!({"name": b.name, "uid": b.uid}));
        }
        if let Some((name, uid)) = &self.node {
            k8s.insert("node".into(), json!({"name": name, "uid": uid}));
        }
        json!({
            "aud": self.audiences,
            "exp": self.expires_at,
            "iat": self.issued_at,
            "iss": ISSUER,
            "jti": self.id,
            "kubernetes.io": Value::Object(k8s),
            "nbf": self.issued_at,
            "sub": format!("system:serviceaccount:{}:{}", self.namespace, self.service_account),
        })
    }
}

/// The claims of a legacy token kept in a `kubernetes.io/service-account-token`
/// secret (no expiry, no audience).
pub fn legacy_claims(namespace: &str, secret: &str, sa_name: &str, sa_uid: &str) -> Value {
    json!({
        "iss": LEGACY_ISSUER,
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": secret,
        "kubernetes.io/serviceaccount/service-account.name": sa_name,
        "kubernetes.io/serviceaccount/service-account.uid": sa_uid,
        "sub": format!("system:serviceaccount:{namespace}:{sa_name}"),
    })
}

/// Who a verified token claims to be, before the existence checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSubject {
    Bound {
        namespace: String,
        name: String,
        uid: String,
        audiences: Vec<String>,
        bound: Option<BoundObject>,
        node: Option<(String, String)>,
        id: String,
    },
    Legacy {
        namespace: String,
        name: String,
        uid: String,
        secret: String,
    },
}

/// Reads verified claims. `None` when the issuer is not ours or a claim is missing.
pub fn subject(claims: &Value) -> Option<TokenSubject> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    match claims.get("iss").and_then(Value::as_str)? {
        ISSUER => {
            let k8s = claims.get("kubernetes.io")?;
            let sa = k8s.get("serviceaccount")?;
            let audiences = match claims.get("aud") {
                Some(Value::String(a)) => vec![a.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            let bound = [("pod", "Pod"), ("secret", "Secret"), ("node", "Node")]
                .iter()
                .find_map(|(key, kind)| {
                    let o = k8s.get(*key)?;
                    if *key == "node" && k8s.get("pod").is_some() {
                        return None;
                    }
                    Some(BoundObject {
                        kind: kind.to_string(),
                        name: s(o, "name")?,
                        uid: s(o, "uid")?,
                    })
                });
            let node = if k8s.get("pod").is_some() {
                k8s.get("node")
                    .and_then(|n| Some((s(n, "name")?, s(n, "uid")?)))
            } else {
                None
            };
            Some(TokenSubject::Bound {
                namespace: s(k8s, "namespace")?,
                name: s(sa, "name")?,
                uid: s(sa, "uid")?,
                audiences,
                bound,
                node,
                id: s(claims, "jti").unwrap_or_default(),
            })
        }
        LEGACY_ISSUER => Some(TokenSubject::Legacy {
            namespace: s(claims, "kubernetes.io/serviceaccount/namespace")?,
            name: s(claims, "kubernetes.io/serviceaccount/service-account.name")?,
            uid: s(claims, "kubernetes.io/serviceaccount/service-account.uid")?,
            secret: s(claims, "kubernetes.io/serviceaccount/secret.name")?,
        }),
        _ => None,
    }
}

/// Whether a string looks like a JWT at all (three dot-separated parts); other
/// bearer tokens go to the static token file.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("ey")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> TokenSigner {
        let key = rcgen::KeyPair::generate().unwrap();
        TokenSigner::from_pem(&key.serialize_pem()).unwrap()
    }

    fn claims(exp: i64) -> BoundClaims {
        BoundClaims {
            namespace: "ns".into(),
            service_account: "sa".into(),
            service_account_uid: "u1".into(),
            audiences: vec![ISSUER.into()],
            issued_at: 1000,
            expires_at: exp,
            bound: Some(BoundObject {
                kind: "Pod".into(),
                name: "p".into(),
                uid: "pu".into(),
            }),
            node: None,
            id: "j1".into(),
        }
    }

    #[test]
    fn sign_verify_round_trip_and_subject() {
        let s = signer();
        let t = s.sign(&claims(5000).to_claims()).unwrap();
        assert!(looks_like_jwt(&t));
        let c = s.verify(&t, 2000).unwrap();
        let TokenSubject::Bound {
            namespace,
            name,
            uid,
            bound,
            audiences,
            ..
        } = subject(&c).unwrap()
        else {
            panic!("not bound")
        };
        assert_eq!(
            (namespace.as_str(), name.as_str(), uid.as_str()),
            ("ns", "sa", "u1")
        );
        assert_eq!(bound.unwrap().name, "p");
        assert_eq!(audiences, vec![ISSUER.to_string()]);
    }

    #[test]
    fn expired_forged_and_foreign_tokens_fail() {
        let s = signer();
        let t = s.sign(&claims(5000).to_claims()).unwrap();
        assert_eq!(s.verify(&t, 5000), Err(TokenError::Expired));
        assert_eq!(s.verify(&t, 500), Err(TokenError::NotYetValid));
        // Tampered claims.
        let parts: Vec<&str> = t.split('.').collect();
        let mut forged_claims = claims(9_999_999).to_claims();
        forged_claims["kubernetes.io"]["serviceaccount"]["name"] = json!("admin");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(forged_claims.to_string()),
            parts[2]
        );
        assert_eq!(s.verify(&forged, 2000), Err(TokenError::Signature));
        // Another key.
        let other = signer();
        assert_eq!(other.verify(&t, 2000), Err(TokenError::Signature));
        // alg none.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(s.verify(&none, 2000), Err(TokenError::Signature));
        assert_eq!(s.verify("abc", 2000), Err(TokenError::Malformed));
        assert_eq!(s.verify("a.b.c", 2000), Err(TokenError::Malformed));
    }

    #[test]
    fn legacy_tokens_read_back() {
        let s = signer();
        let t = s.sign(&legacy_claims("ns", "sec", "sa", "u")).unwrap();
        let c = s.verify(&t, 10).unwrap();
        assert_eq!(
            subject(&c),
            Some(TokenSubject::Legacy {
                namespace: "ns".into(),
                name: "sa".into(),
                uid: "u".into(),
                secret: "sec".into()
            })
        );
        // Unknown issuers are not ours.
        let t = s.sign(&json!({"iss": "someone", "sub": "x"})).unwrap();
        assert_eq!(subject(&s.verify(&t, 10).unwrap()), None);
    }
}

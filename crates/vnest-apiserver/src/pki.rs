//! The cluster's certificates: a CA, the serving certificate, the admin client
//! certificate (group system:masters) and the service-account signing key. Created on
//! first start in the data dir and reused afterwards; the serving certificate is
//! re-issued (by the same CA) when a requested name is missing from it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Cert {
        what: &'static str,
        source: rcgen::Error,
    },
}

/// PEM material of one cluster.
#[derive(Clone)]
pub struct Pki {
    pub ca_cert: String,
    pub serving_cert: String,
    pub serving_key: String,
    pub admin_cert: String,
    pub admin_key: String,
    pub service_account_key: String,
}

const CA_CERT: &str = "ca.crt";
const CA_KEY: &str = "ca.key";
const SERVING_CERT: &str = "serving.crt";
const SERVING_KEY: &str = "serving.key";
const SERVING_NAMES: &str = "serving.names";
const ADMIN_CERT: &str = "admin.crt";
const ADMIN_KEY: &str = "admin.key";
const SA_KEY: &str = "service-account.key";

fn read(dir: &Path, name: &str) -> Result<Option<String>, PkiError> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PkiError::Io { path, source }),
    }
}

fn write(dir: &Path, name: &str, contents: &str, private: bool) -> Result<(), PkiError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let io = |source| PkiError::Io {
        path: path.clone(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(&tmp)
        .map_err(io)?;
    f.write_all(contents.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)
}

fn cert_err(what: &'static str) -> impl FnOnce(rcgen::Error) -> PkiError {
    move |source| PkiError::Cert { what, source }
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(days);
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "vnest-ca");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut params, 3650);
    params
}

/// The names the serving certificate must carry: localhost, 127.0.0.1, plus extras.
pub fn serving_names(extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    for n in extra {
        if !n.is_empty() && !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

fn issue_serving(
    names: &[String],
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(String, String), PkiError> {
    let key = KeyPair::generate().map_err(cert_err("serving key"))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "vnest-apiserver");
    params.distinguished_name = dn;
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .map_err(cert_err("serving certificate name")),
        })
        .collect::<Result<_, _>>()?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut params, 825);
    let cert = params
        .signed_by(&key, issuer)
        .map_err(cert_err("serving certificate"))?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Issues a client certificate for `user` in `groups` (CN and O, as Kubernetes reads
/// them).
pub fn issue_client(
    user: &str,
    groups: &[&str],
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(String, String), PkiError> {
    let key = KeyPair::generate().map_err(cert_err("client key"))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, user);
    for g in groups {
        dn.push(DnType::OrganizationName, *g);
    }
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    validity(&mut params, 825);
    let cert = params
        .signed_by(&key, issuer)
        .map_err(cert_err("client certificate"))?;
    Ok((cert.pem(), key.serialize_pem()))
}

impl Pki {
    /// Loads the cluster's PKI from `dir`, creating whatever is missing.
    pub fn load_or_create(dir: &Path, extra_names: &[String]) -> Result<Pki, PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let (ca_cert, ca_key_pem) = match (read(dir, CA_CERT)?, read(dir, CA_KEY)?) {
            (Some(c), Some(k)) => (c, k),
            _ => {
                let key = KeyPair::generate().map_err(cert_err("CA key"))?;
                let cert = ca_params().self_signed(&key).map_err(cert_err("CA"))?;
                let (c, k) = (cert.pem(), key.serialize_pem());
                write(dir, CA_KEY, &k, true)?;
                write(dir, CA_CERT, &c, false)?;
                // A new CA invalidates everything it signed before.
                for stale in [
                    SERVING_CERT,
                    SERVING_KEY,
                    ADMIN_CERT,
                    ADMIN_KEY,
                    SERVING_NAMES,
                ] {
                    let _ = std::fs::remove_file(dir.join(stale));
                }
                (c, k)
            }
        };
        let ca_key = KeyPair::from_pem(&ca_key_pem).map_err(cert_err("CA key"))?;
        let issuer = Issuer::from_ca_cert_pem(&ca_cert, ca_key).map_err(cert_err("CA"))?;

        let names = serving_names(extra_names);
        let recorded: Vec<String> = read(dir, SERVING_NAMES)?
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default();
        let (serving_cert, serving_key) = match (read(dir, SERVING_CERT)?, read(dir, SERVING_KEY)?)
        {
            (Some(c), Some(k)) if names.iter().all(|n| recorded.contains(n)) => (c, k),
            _ => {
                let mut all = recorded.clone();
                for n in &names {
                    if !all.contains(n) {
                        all.push(n.clone());
                    }
                }
                let (c, k) = issue_serving(&all, &issuer)?;
                write(dir, SERVING_KEY, &k, true)?;
                write(dir, SERVING_CERT, &c, false)?;
                write(dir, SERVING_NAMES, &all.join("\n"), false)?;
                (c, k)
            }
        };
        let (admin_cert, admin_key) = match (read(dir, ADMIN_CERT)?, read(dir, ADMIN_KEY)?) {
            (Some(c), Some(k)) => (c, k),
            _ => {
                let (c, k) = issue_client("vnest-admin", &["system:masters"], &issuer)?;
                write(dir, ADMIN_KEY, &k, true)?;
                write(dir, ADMIN_CERT, &c, false)?;
                (c, k)
            }
        };
        let service_account_key = match read(dir, SA_KEY)? {
            Some(k) => k,
            None => {
                let key = KeyPair::generate().map_err(cert_err("service-account key"))?;
                let k = key.serialize_pem();
                write(dir, SA_KEY, &k, true)?;
                k
            }
        };
        Ok(Pki {
            ca_cert,
            serving_cert,
            serving_key,
            admin_cert,
            admin_key,
            service_account_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused_and_extended() {
        let dir = tempfile::tempdir().unwrap();
        let first = Pki::load_or_create(dir.path(), &[]).unwrap();
        let again = Pki::load_or_create(dir.path(), &[]).unwrap();
        assert_eq!(first.ca_cert, again.ca_cert);
        assert_eq!(first.serving_cert, again.serving_cert);
        assert_eq!(first.admin_cert, again.admin_cert);
        let extended = Pki::load_or_create(dir.path(), &["vc.example".into()]).unwrap();
        assert_eq!(first.ca_cert, extended.ca_cert, "same CA");
        assert_ne!(
            first.serving_cert, extended.serving_cert,
            "re-issued for the new name"
        );
    }
}

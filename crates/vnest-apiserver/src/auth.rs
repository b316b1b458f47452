//! Authentication: client certificates issued by the cluster CA (CN = user, O = groups)
//! and bearer tokens from a static token file (kube's `--token-auth-file` CSV format:
//! `token,user,uid,"group1,group2"`).

use std::collections::HashMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn authenticated(name: String, uid: String, mut groups: Vec<String>) -> UserInfo {
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        UserInfo { name, uid, groups }
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

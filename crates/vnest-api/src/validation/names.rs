//! Object-name and string-format rules with kube-apiserver's messages.

use crate::selector::{matches_dns1123_label, matches_dns1123_subdomain, regex_error};

pub use crate::selector::{label_key_errors, label_value_errors};

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_ERR: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

fn max_len_chars(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// RFC 1123 label (max 63): kube's `IsDNS1123Label` messages.
pub fn dns1123_label_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_chars(63));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// RFC 1123 subdomain (max 253): kube's `IsDNS1123Subdomain` messages.
pub fn dns1123_subdomain_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_chars(253));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

fn matches_dns1035_label(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            f.is_ascii_lowercase()
                && (l.is_ascii_lowercase() || l.is_ascii_digit())
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        }
        _ => false,
    }
}

/// RFC 1035 label (max 63): kube's `IsDNS1035Label` messages.
pub fn dns1035_label_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_chars(63));
    }
    if !matches_dns1035_label(value) {
        errs.push(regex_error(
            DNS1035_LABEL_ERR,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// Path-segment names: not `.`/`..`, no `/` or `%` (prefix mode only checks
/// the characters).
pub fn path_segment_errors(name: &str, prefix: bool) -> Vec<String> {
    if !prefix {
        for bad in [".", ".."] {
            if name == bad {
                return vec![format!("may not be '{bad}'")];
            }
        }
    }
    let mut errs = Vec::new();
    for bad in ["/", "%"] {
        if name.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// ConfigMap / Secret data keys: kube's `IsConfigMapKey` messages.
pub fn config_key_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push(max_len_chars(253));
    }
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    if !ok {
        errs.push(regex_error(
            CONFIG_KEY_ERR,
            CONFIG_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if value == "." {
        errs.push("must not be '.'".to_string());
    } else if value == ".." {
        errs.push("must not be '..'".to_string());
    } else if value.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

/// Port names (IANA service names): kube's `IsValidPortName` messages.
pub fn port_name_errors(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_chars(15));
    }
    let charset_ok = !port.is_empty()
        && port
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    if !charset_ok {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !port.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

/// The rule a resource applies to `metadata.name` (and `generateName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// RFC 1123 subdomain (most resources).
    DnsSubdomain,
    /// RFC 1123 label (namespaces, statefulsets).
    DnsLabel,
    /// RFC 1035 label (services in v1.33).
    Rfc1035Label,
    /// Path segment only (RBAC objects, events, certificate signing requests,
    /// IP addresses): uppercase allowed, but not `/`, `%`, `.` or `..`.
    PathSegment,
    /// The object carries no meaningful name (review resources).
    None,
}

impl NameRule {
    /// Messages for a name (or, with `prefix`, a `generateName` whose trailing
    /// dash is tolerated).
    pub fn errors(self, name: &str, prefix: bool) -> Vec<String> {
        // kube masks one trailing dash of a generateName prefix.
        let masked;
        let value = if prefix && name.len() > 1 && name.ends_with('-') {
            masked = format!("{}a", &name[..name.len() - 1]);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::DnsSubdomain => dns1123_subdomain_errors(value),
            NameRule::DnsLabel => dns1123_label_errors(value),
            NameRule::Rfc1035Label => dns1035_label_errors(value),
            NameRule::PathSegment => path_segment_errors(name, prefix),
            NameRule::None => Vec::new(),
        }
    }
}

/// The name rule kube-apiserver v1.33 applies to a built-in resource
/// (plural resource name); unknown resources (custom resources) get DNS
/// subdomains.
pub fn name_rule(group: &str, resource: &str) -> NameRule {
    match (group, resource) {
        ("", "namespaces") => NameRule::DnsLabel,
        ("", "services") => NameRule::Rfc1035Label,
        ("", "events" | "bindings" | "componentstatuses") => NameRule::PathSegment,
        ("apps", "statefulsets") => NameRule::DnsLabel,
        (
            "rbac.authorization.k8s.io",
            "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings",
        ) => NameRule::PathSegment,
        ("certificates.k8s.io", "certificatesigningrequests") => NameRule::PathSegment,
        ("networking.k8s.io", "ipaddresses") => NameRule::PathSegment,
        ("authentication.k8s.io", "tokenreviews" | "selfsubjectreviews")
        | (
            "authorization.k8s.io",
            "subjectaccessreviews"
            | "selfsubjectaccessreviews"
            | "localsubjectaccessreviews"
            | "selfsubjectrulesreviews",
        ) => NameRule::None,
        _ => NameRule::DnsSubdomain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules_table() {
        assert_eq!(name_rule("", "namespaces"), NameRule::DnsLabel);
        assert_eq!(name_rule("", "services"), NameRule::Rfc1035Label);
        assert_eq!(name_rule("", "configmaps"), NameRule::DnsSubdomain);
        assert_eq!(name_rule("", "events"), NameRule::PathSegment);
        assert_eq!(name_rule("events.k8s.io", "events"), NameRule::DnsSubdomain);
        assert_eq!(
            name_rule("rbac.authorization.k8s.io", "clusterroles"),
            NameRule::PathSegment
        );
        assert_eq!(name_rule("apps", "statefulsets"), NameRule::DnsLabel);
        assert_eq!(name_rule("apps", "deployments"), NameRule::DnsSubdomain);
        assert_eq!(
            name_rule("scheduling.k8s.io", "priorityclasses"),
            NameRule::DnsSubdomain
        );
        assert_eq!(name_rule("example.com", "widgets"), NameRule::DnsSubdomain);
    }

    #[test]
    fn rule_messages() {
        assert!(NameRule::DnsSubdomain.errors("a.b-c", false).is_empty());
        assert_eq!(
            NameRule::DnsLabel.errors("a.b", false),
            vec!["must not contain dots"]
        );
        assert!(NameRule::Rfc1035Label.errors("1svc", false)[0].starts_with("a DNS-1035 label"));
        assert!(NameRule::Rfc1035Label.errors("svc-1", false).is_empty());
        assert_eq!(NameRule::PathSegment.errors("a/b%", false).len(), 2);
        assert_eq!(
            NameRule::PathSegment.errors("..", false),
            vec!["may not be '..'"]
        );
        assert!(NameRule::PathSegment.errors("..", true).is_empty());
        assert!(NameRule::PathSegment.errors("Upper-Case", false).is_empty());
        assert!(NameRule::DnsSubdomain.errors("gen-", true).is_empty());
        assert!(!NameRule::DnsSubdomain.errors("gen-", false).is_empty());
        assert_eq!(
            NameRule::DnsSubdomain.errors(&"a".repeat(254), false),
            vec!["must be no more than 253 characters"]
        );
        assert!(NameRule::None.errors("", false).is_empty());
    }

    #[test]
    fn key_and_port_formats() {
        assert!(config_key_errors("a.B_c-1").is_empty());
        assert_eq!(config_key_errors("..x"), vec!["must not start with '..'"]);
        assert_eq!(config_key_errors(".").len(), 1);
        assert_eq!(config_key_errors("a b").len(), 1);
        assert!(port_name_errors("http").is_empty());
        assert_eq!(
            port_name_errors("123"),
            vec!["must contain at least one letter (a-z)"]
        );
        assert_eq!(
            port_name_errors("a--b"),
            vec!["must not contain consecutive hyphens"]
        );
        assert!(label_key_errors("example.com/app").is_empty());
        assert_eq!(
            label_key_errors("/app"),
            vec!["prefix part must be non-empty"]
        );
        assert!(label_value_errors("").is_empty());
        assert_eq!(
            label_value_errors(&"v".repeat(64)),
            vec!["must be no more than 63 bytes"]
        );
    }
}

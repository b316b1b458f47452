//! Policy rules: matching a request, and one set of rules covering another (kube's
//! `Covers`, used against privilege escalation).

use serde_json::{json, Value};

use super::Attributes;

/// One `rules[]` entry of a Role or ClusterRole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

const ALL: &str = "*";

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl PolicyRule {
    pub fn from_json(v: &Value) -> PolicyRule {
        PolicyRule {
            verbs: strings(v, "verbs"),
            api_groups: strings(v, "apiGroups"),
            resources: strings(v, "resources"),
            resource_names: strings(v, "resourceNames"),
            non_resource_urls: strings(v, "nonResourceURLs"),
        }
    }

    /// A rule on resources.
    pub fn resource(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: owned(verbs),
            api_groups: owned(groups),
            resources: owned(resources),
            ..PolicyRule::default()
        }
    }

    /// A rule on non-resource URLs.
    pub fn non_resource(urls: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: owned(verbs),
            non_resource_urls: owned(urls),
            ..PolicyRule::default()
        }
    }

    /// The rule in the API's JSON form (empty lists left out, as kube serializes).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("verbs".into(), json!(self.verbs));
        if !self.api_groups.is_empty() {
            m.insert("apiGroups".into(), json!(self.api_groups));
        }
        if !self.resources.is_empty() {
            m.insert("resources".into(), json!(self.resources));
        }
        if !self.resource_names.is_empty() {
            m.insert("resourceNames".into(), json!(self.resource_names));
        }
        if !self.non_resource_urls.is_empty() {
            m.insert("nonResourceURLs".into(), json!(self.non_resource_urls));
        }
        Value::Object(m)
    }

    fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == ALL || v == verb)
    }

    fn group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == ALL || g == group)
    }

    fn resource_matches(&self, resource: &str, subresource: &str) -> bool {
        let combined = if subresource.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}/{subresource}")
        };
        self.resources.iter().any(|r| {
            r == ALL
                || *r == combined
                || (!subresource.is_empty()
                    && r.strip_prefix("*/").is_some_and(|s| s == subresource))
        })
    }

    fn name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name)
    }

    fn url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == ALL
                || u == path
                || u.strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix))
        })
    }

    /// Whether this rule allows the request (kube's `RuleAllows`).
    pub fn allows(&self, a: &Attributes) -> bool {
        if !self.verb_matches(a.verb()) {
            return false;
        }
        if a.is_resource_request() {
            self.group_matches(a.api_group())
                && self.resource_matches(a.resource_name(), a.subresource())
                && self.name_matches(a.name())
        } else {
            self.url_matches(a.path())
        }
    }

    /// kube's `CompactString`: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
    pub fn compact_string(&self) -> String {
        let q = |items: &[String]| {
            let quoted: Vec<String> = items
                .iter()
                .map(|s| serde_json::to_string(s).unwrap_or_default())
                .collect();
            format!("[{}]", quoted.join(" "))
        };
        let mut parts = Vec::new();
        if !self.api_groups.is_empty() {
            parts.push(format!("APIGroups:{}", q(&self.api_groups)));
        }
        if !self.resources.is_empty() {
            parts.push(format!("Resources:{}", q(&self.resources)));
        }
        if !self.non_resource_urls.is_empty() {
            parts.push(format!("NonResourceURLs:{}", q(&self.non_resource_urls)));
        }
        if !self.resource_names.is_empty() {
            parts.push(format!("ResourceNames:{}", q(&self.resource_names)));
        }
        if !self.verbs.is_empty() {
            parts.push(format!("Verbs:{}", q(&self.verbs)));
        }
        format!("{{{}}}", parts.join(", "))
    }

    /// One rule per (group, resource, name, verb) or (url, verb): kube's
    /// `BreakdownRule`.
    fn breakdown(&self) -> Vec<PolicyRule> {
        let mut out = Vec::new();
        for group in &self.api_groups {
            for resource in &self.resources {
                for verb in &self.verbs {
                    if self.resource_names.is_empty() {
                        out.push(PolicyRule {
                            verbs: vec![verb.clone()],
                            api_groups: vec![group.clone()],
                            resources: vec![resource.clone()],
                            ..PolicyRule::default()
                        });
                    }
                    for name in &self.resource_names {
                        out.push(PolicyRule {
                            verbs: vec![verb.clone()],
                            api_groups: vec![group.clone()],
                            resources: vec![resource.clone()],
                            resource_names: vec![name.clone()],
                            ..PolicyRule::default()
                        });
                    }
                }
            }
        }
        for url in &self.non_resource_urls {
            for verb in &self.verbs {
                out.push(PolicyRule {
                    verbs: vec![verb.clone()],
                    non_resource_urls: vec![url.clone()],
                    ..PolicyRule::default()
                });
            }
        }
        out
    }

    /// Whether this (owner) rule covers `sub`, a broken-down rule (kube's
    /// `ruleCovers`).
    fn covers(&self, sub: &PolicyRule) -> bool {
        let has_all = |set: &[String], want: &[String]| {
            set.iter().any(|s| s == ALL) || want.iter().all(|w| set.contains(w))
        };
        let verbs = has_all(&self.verbs, &sub.verbs);
        let urls = has_all_urls(&self.non_resource_urls, &sub.non_resource_urls);
        let groups = has_all(&self.api_groups, &sub.api_groups);
        let resources = sub.resources.iter().all(|r| {
            self.resources.iter().any(|o| {
                o == ALL
                    || o == r
                    || r.split_once('/').is_some_and(|(_, subres)| {
                        o.strip_prefix("*/").is_some_and(|s| s == subres)
                    })
            })
        });
        let names = self.resource_names.is_empty()
            || has_all(&self.resource_names, &sub.resource_names) && !sub.resource_names.is_empty();
        verbs && urls && groups && resources && names
    }
}

fn has_all_urls(owner: &[String], want: &[String]) -> bool {
    want.iter().all(|w| {
        owner.iter().any(|o| {
            o == ALL || o == w || (o.ends_with('*') && w.starts_with(o.trim_end_matches('*')))
        })
    })
}

/// The broken-down pieces of `requested` that no rule of `owner` covers.
pub fn uncovered(owner: &[PolicyRule], requested: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut missing = Vec::new();
    for r in requested {
        for piece in r.breakdown() {
            if !owner.iter().any(|o| o.covers(&piece)) {
                missing.push(piece);
            }
        }
    }
    missing
}

/// Merges single-verb rules that differ only in their verb (kube's `CompactRules`).
pub fn compact(rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let mut out: Vec<PolicyRule> = Vec::new();
    for r in rules {
        let simple = r.non_resource_urls.is_empty()
            && r.api_groups.len() == 1
            && r.resources.len() == 1
            && r.resource_names.len() <= 1;
        if simple {
            if let Some(existing) = out.iter_mut().find(|o| {
                o.non_resource_urls.is_empty()
                    && o.api_groups == r.api_groups
                    && o.resources == r.resources
                    && o.resource_names == r.resource_names
            }) {
                for v in r.verbs {
                    if !existing.verbs.contains(&v) {
                        existing.verbs.push(v);
                    }
                }
                continue;
            }
        }
        out.push(r);
    }
    out
}

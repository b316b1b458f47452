//! The discovery documents of kube-apiserver v1.33, built from a [`Registry`]:
//!
//! - `GET /version`: [`version_info`]
//! - `GET /api`: [`api_versions`] (`APIVersions`)
//! - `GET /apis`: [`api_group_list`] (`APIGroupList`); `GET /apis/<group>`: [`api_group`]
//! - `GET /api/v1`, `GET /apis/<group>/<version>`: [`api_resource_list`]
//! - `GET /api` and `GET /apis` asking for `as=APIGroupDiscoveryList`: [`aggregated`]
//!
//! Documents are `serde_json::Value`s whose keys are inserted in the order kube-apiserver
//! writes them (the crate enables serde_json's `preserve_order`), so serialising one
//! compactly gives the bytes kube sends.

use serde_json::{json, Map, Value};

use crate::registry::{group_version, Registry, ResourceInfo, SubresourceInfo, CORE_GROUP};

/// `major` of `/version`.
pub const KUBE_MAJOR: &str = "1";
/// `minor` of `/version`.
pub const KUBE_MINOR: &str = "33";
/// `gitVersion` of `/version`. The vnest marker is semver build metadata rather than a
/// pre-release suffix, so clients comparing versions (e.g. Helm's `kubeVersion`
/// constraints such as `>=1.30.0`) still treat the server as v1.33.0.
pub const GIT_VERSION: &str = "v1.33.0+vnest";
/// The oldest minor release a v1.33 server stays compatible with (`minCompatibility*`).
pub const MIN_COMPATIBILITY_MINOR: &str = "32";

/// Which aggregated discovery API version to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregatedVersion {
    /// `apidiscovery.k8s.io/v2`
    V2,
    /// `apidiscovery.k8s.io/v2beta1` (same shape, older name; still served by v1.33)
    V2Beta1,
}

impl AggregatedVersion {
    /// The `apiVersion` of the document.
    pub fn api_version(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => "apidiscovery.k8s.io/v2",
            AggregatedVersion::V2Beta1 => "apidiscovery.k8s.io/v2beta1",
        }
    }

    /// The `v=` parameter of the Accept media type (`v2`, `v2beta1`).
    pub fn from_version_param(v: &str) -> Option<AggregatedVersion> {
        match v {
            "v2" => Some(AggregatedVersion::V2),
            "v2beta1" => Some(AggregatedVersion::V2Beta1),
            _ => None,
        }
    }

    /// The value of the `v=` parameter.
    pub fn version_param(self) -> &'static str {
        match self {
            AggregatedVersion::V2 => "v2",
            AggregatedVersion::V2Beta1 => "v2beta1",
        }
    }
}

/// `GET /version`. Fields as kube-apiserver v1.33 reports them. vnest is not built with
/// Go, but `goVersion`/`compiler` carry values of the kind a v1.33 build reports (a Go
/// release of that period and `gc`) for clients that print or parse them; and
/// `gitCommit`/`gitTreeState`/`buildDate` come from the `VNEST_GIT_COMMIT`,
/// `VNEST_GIT_TREE_STATE` and `VNEST_BUILD_DATE` environment variables at compile time
/// when set.
pub fn version_info() -> Value {
    json!({
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "emulationMajor": KUBE_MAJOR,
        "emulationMinor": KUBE_MINOR,
        "minCompatibilityMajor": KUBE_MAJOR,
        "minCompatibilityMinor": MIN_COMPATIBILITY_MINOR,
        "gitVersion": GIT_VERSION,
        "gitCommit": option_env!("VNEST_GIT_COMMIT").unwrap_or(""),
        "gitTreeState": option_env!("VNEST_GIT_TREE_STATE").unwrap_or(""),
        "buildDate": option_env!("VNEST_BUILD_DATE").unwrap_or("1970-01-01T00:00:00Z"),
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": platform(),
    })
}

/// `linux/amd64` style, with Go's architecture names.
fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    };
    format!("{os}/{arch}")
}

/// `GET /api`: the legacy group's versions and the address clients should use.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    })
}

fn group_version_entry(group: &str, version: &str) -> Value {
    json!({"groupVersion": group_version(group, version), "version": version})
}

/// The `APIGroup` of one group, without `kind`/`apiVersion` (as inside `APIGroupList`).
fn group_body(registry: &Registry, group: &str) -> Option<Map<String, Value>> {
    let info = registry.group(group)?;
    let mut body = Map::new();
    body.insert("name".into(), Value::String(info.name.clone()));
    body.insert(
        "versions".into(),
        Value::Array(
            info.versions
                .iter()
                .map(|v| group_version_entry(&info.name, v))
                .collect(),
        ),
    );
    body.insert(
        "preferredVersion".into(),
        group_version_entry(&info.name, &info.preferred_version),
    );
    Some(body)
}

/// `GET /apis`: every named group, in kube-aggregator's order.
pub fn api_group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .groups()
        .iter()
        .filter_map(|g| group_body(registry, &g.name))
        .map(Value::Object)
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`; `None` when the group is not served (or is the core group,
/// which has no such document).
pub fn api_group(registry: &Registry, group: &str) -> Option<Value> {
    if group == CORE_GROUP {
        return None;
    }
    let body = group_body(registry, group)?;
    let mut doc = Map::new();
    doc.insert("kind".into(), json!("APIGroup"));
    doc.insert("apiVersion".into(), json!("v1"));
    doc.extend(body);
    Some(Value::Object(doc))
}

fn strings(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}

/// One `APIResource` entry for a resource.
fn legacy_resource(info: &ResourceInfo) -> (String, Value) {
    let mut entry = Map::new();
    entry.insert("name".into(), json!(info.resource));
    entry.insert("singularName".into(), json!(info.singular));
    entry.insert("namespaced".into(), json!(info.namespaced));
    entry.insert("kind".into(), json!(info.kind));
    entry.insert("verbs".into(), strings(&info.verbs));
    if !info.short_names.is_empty() {
        entry.insert("shortNames".into(), strings(&info.short_names));
    }
    if !info.categories.is_empty() {
        entry.insert("categories".into(), strings(&info.categories));
    }
    if let Some(hash) = &info.storage_version_hash {
        entry.insert("storageVersionHash".into(), json!(hash));
    }
    (info.resource.clone(), Value::Object(entry))
}

/// One `APIResource` entry for a subresource (`pods/status`). `group`/`version` are
/// only written when the subresource's kind lives elsewhere than its parent.
fn legacy_subresource(parent: &ResourceInfo, sub: &SubresourceInfo) -> (String, Value) {
    let name = format!("{}/{}", parent.resource, sub.name);
    let group = sub.response_group.as_deref().unwrap_or(&parent.group);
    let version = sub.response_version.as_deref().unwrap_or(&parent.version);
    let mut entry = Map::new();
    entry.insert("name".into(), json!(name));
    entry.insert("singularName".into(), json!(""));
    entry.insert("namespaced".into(), json!(parent.namespaced));
    if group != parent.group || version != parent.version {
        entry.insert("group".into(), json!(group));
        entry.insert("version".into(), json!(version));
    }
    entry.insert("kind".into(), json!(sub.kind));
    entry.insert("verbs".into(), strings(&sub.verbs));
    (name, Value::Object(entry))
}

/// `GET /api/v1` or `GET /apis/<group>/<version>` (`APIResourceList`, subresources as
/// their own `pods/status` entries, sorted by name as kube does). `None` when nothing is
/// served in that group-version.
pub fn api_resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let resources = registry.resources_in(group, version);
    if resources.is_empty() {
        return None;
    }
    let mut entries: Vec<(String, Value)> = Vec::new();
    for info in resources {
        entries.push(legacy_resource(info));
        entries.extend(
            info.subresources
                .iter()
                .map(|s| legacy_subresource(info, s)),
        );
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let mut doc = Map::new();
    doc.insert("kind".into(), json!("APIResourceList"));
    // kube-apiserver leaves apiVersion out of the legacy group's list.
    if group != CORE_GROUP {
        doc.insert("apiVersion".into(), json!("v1"));
    }
    doc.insert("groupVersion".into(), json!(group_version(group, version)));
    doc.insert(
        "resources".into(),
        Value::Array(entries.into_iter().map(|(_, v)| v).collect()),
    );
    Some(Value::Object(doc))
}

fn response_kind(group: Option<&str>, version: Option<&str>, kind: &str) -> Value {
    json!({
        "group": group.unwrap_or(""),
        "version": version.unwrap_or(""),
        "kind": kind,
    })
}

/// One `APIResourceDiscovery`.
fn aggregated_resource(info: &ResourceInfo) -> Value {
    let mut entry = Map::new();
    entry.insert("resource".into(), json!(info.resource));
    entry.insert(
        "responseKind".into(),
        response_kind(
            info.response_group.as_deref(),
            info.response_version.as_deref(),
            &info.kind,
        ),
    );
    entry.insert(
        "scope".into(),
        json!(if info.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        }),
    );
    entry.insert("singularResource".into(), json!(info.singular));
    entry.insert("verbs".into(), strings(&info.verbs));
    if !info.short_names.is_empty() {
        entry.insert("shortNames".into(), strings(&info.short_names));
    }
    if !info.categories.is_empty() {
        entry.insert("categories".into(), strings(&info.categories));
    }
    if !info.subresources.is_empty() {
        let mut subs: Vec<&SubresourceInfo> = info.subresources.iter().collect();
        subs.sort_by(|a, b| a.name.cmp(&b.name));
        let subs: Vec<Value> = subs
            .into_iter()
            .map(|sub| {
                json!({
                    "subresource": sub.name,
                    "responseKind": response_kind(
                        sub.response_group.as_deref(),
                        sub.response_version.as_deref(),
                        &sub.kind,
                    ),
                    "verbs": strings(&sub.verbs),
                })
            })
            .collect();
        entry.insert("subresources".into(), Value::Array(subs));
    }
    Value::Object(entry)
}

/// One `APIGroupDiscovery`: the group's versions (preferred first) with their resources.
fn aggregated_group(registry: &Registry, group: &str) -> Value {
    let mut metadata = Map::new();
    if !group.is_empty() {
        metadata.insert("name".into(), json!(group));
    }
    let versions: Vec<Value> = registry
        .versions_of(group)
        .iter()
        .map(|version| {
            let resources: Vec<Value> = registry
                .resources_in(group, version)
                .into_iter()
                .map(aggregated_resource)
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": metadata, "versions": versions})
}

/// Aggregated discovery (`APIGroupDiscoveryList`): for `GET /api` when `legacy_core`
/// (the core group only), otherwise for `GET /apis` (every named group, in `/apis`
/// order).
pub fn aggregated(registry: &Registry, legacy_core: bool, version: AggregatedVersion) -> Value {
    let items: Vec<Value> = if legacy_core {
        if registry.group(CORE_GROUP).is_some() {
            vec![aggregated_group(registry, CORE_GROUP)]
        } else {
            Vec::new()
        }
    } else {
        registry
            .groups()
            .iter()
            .map(|g| aggregated_group(registry, &g.name))
            .collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": version.api_version(),
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    //! The documents are compared with the ones recorded from a real kube-apiserver
    //! (tests/golden/discovery, see the corpus README). That server was v1.36, so before
    //! comparing, the golden side is brought back to v1.33 by the explicit edits below.
    use super::*;

    /// (group, version, resource or None for the whole group-version, why): entries of
    /// the golden documents that a v1.33 server does not have.
    const NEWER_THAN_1_33: &[(&str, &str, Option<&str>, &str)] = &[
        (
            "resource.k8s.io",
            "v1",
            None,
            "resource.k8s.io/v1 (dynamic resource allocation) is GA in v1.34",
        ),
        (
            "admissionregistration.k8s.io",
            "v1",
            Some("mutatingadmissionpolicies"),
            "MutatingAdmissionPolicy is v1alpha1 (off by default) in v1.33",
        ),
        (
            "admissionregistration.k8s.io",
            "v1",
            Some("mutatingadmissionpolicybindings"),
            "MutatingAdmissionPolicyBinding is v1alpha1 (off by default) in v1.33",
        ),
        (
            "storage.k8s.io",
            "v1",
            Some("volumeattributesclasses"),
            "VolumeAttributesClass is v1beta1 (off by default) in v1.33, GA in v1.34",
        ),
    ];

    /// (group, version, resource, v1.33 storageVersionHash): v1.33 stores these kinds in
    /// networking.k8s.io/v1beta1 (their v1 types were introduced in v1.33, and storage
    /// stays readable by v1.32), so the hash is that of the v1beta1 kind.
    const STORAGE_HASH_1_33: &[(&str, &str, &str, &str)] = &[
        ("networking.k8s.io", "v1", "ipaddresses", "O4H8VxQhW5Y="),
        ("networking.k8s.io", "v1", "servicecidrs", "8ufAXOnr3Yg="),
    ];

    /// Every recorded `/api/v1` and `/apis/<group>/<version>` document.
    const LEGACY_LISTS: &[(&str, &str, &str)] = &[
        (
            "",
            "v1",
            include_str!("../tests/golden/discovery/legacy/api_v1.json"),
        ),
        (
            "admissionregistration.k8s.io",
            "v1",
            include_str!(
                "../tests/golden/discovery/legacy/apis_admissionregistration.k8s.io_v1.json"
            ),
        ),
        (
            "apiextensions.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_apiextensions.k8s.io_v1.json"),
        ),
        (
            "apiregistration.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_apiregistration.k8s.io_v1.json"),
        ),
        (
            "apps",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_apps_v1.json"),
        ),
        (
            "authentication.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_authentication.k8s.io_v1.json"),
        ),
        (
            "authorization.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_authorization.k8s.io_v1.json"),
        ),
        (
            "autoscaling",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_autoscaling_v1.json"),
        ),
        (
            "autoscaling",
            "v2",
            include_str!("../tests/golden/discovery/legacy/apis_autoscaling_v2.json"),
        ),
        (
            "batch",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_batch_v1.json"),
        ),
        (
            "certificates.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_certificates.k8s.io_v1.json"),
        ),
        (
            "coordination.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_coordination.k8s.io_v1.json"),
        ),
        (
            "discovery.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_discovery.k8s.io_v1.json"),
        ),
        (
            "events.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_events.k8s.io_v1.json"),
        ),
        (
            "flowcontrol.apiserver.k8s.io",
            "v1",
            include_str!(
                "../tests/golden/discovery/legacy/apis_flowcontrol.apiserver.k8s.io_v1.json"
            ),
        ),
        (
            "networking.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_networking.k8s.io_v1.json"),
        ),
        (
            "node.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_node.k8s.io_v1.json"),
        ),
        (
            "policy",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_policy_v1.json"),
        ),
        (
            "rbac.authorization.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_rbac.authorization.k8s.io_v1.json"),
        ),
        (
            "resource.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_resource.k8s.io_v1.json"),
        ),
        (
            "scheduling.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_scheduling.k8s.io_v1.json"),
        ),
        (
            "storage.k8s.io",
            "v1",
            include_str!("../tests/golden/discovery/legacy/apis_storage.k8s.io_v1.json"),
        ),
    ];

    const API: &str = include_str!("../tests/golden/discovery/legacy/api.json");
    const APIS: &str = include_str!("../tests/golden/discovery/legacy/apis.json");
    const API_V2: &str = include_str!("../tests/golden/discovery/api-v2.json");
    const APIS_V2: &str = include_str!("../tests/golden/discovery/apis-v2.json");
    const VERSION: &str = include_str!("../tests/golden/discovery/version.json");

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("golden JSON")
    }

    /// Compact serialisation: equal strings mean equal values with equal key order.
    fn compact(value: &Value) -> String {
        serde_json::to_string(value).expect("serialise")
    }

    fn whole_group_version_dropped(group: &str, version: &str) -> bool {
        NEWER_THAN_1_33
            .iter()
            .any(|(g, v, r, _)| *g == group && *v == version && r.is_none())
    }

    fn resource_dropped(group: &str, version: &str, resource: &str) -> bool {
        NEWER_THAN_1_33
            .iter()
            .any(|(g, v, r, _)| *g == group && *v == version && r.is_none_or(|r| r == resource))
    }

    fn hash_1_33(group: &str, version: &str, resource: &str) -> Option<&'static str> {
        STORAGE_HASH_1_33
            .iter()
            .find(|(g, v, r, _)| *g == group && *v == version && *r == resource)
            .map(|(_, _, _, hash)| *hash)
    }

    /// Removes post-1.33 entries from an `APIResourceList` (a subresource goes with its
    /// parent) and puts the v1.33 storage hashes in. Returns whether anything changed.
    fn to_1_33_resource_list(group: &str, version: &str, doc: &mut Value) -> bool {
        let mut changed = false;
        let Some(resources) = doc.get_mut("resources").and_then(Value::as_array_mut) else {
            return false;
        };
        let before = resources.len();
        resources.retain(|entry| {
            let name = entry["name"].as_str().unwrap_or("");
            let parent = name.split('/').next().unwrap_or(name);
            !resource_dropped(group, version, parent)
        });
        changed |= resources.len() != before;
        for entry in resources.iter_mut() {
            let name = entry["name"].as_str().unwrap_or("").to_string();
            if let Some(hash) = hash_1_33(group, version, &name) {
                entry["storageVersionHash"] = json!(hash);
                changed = true;
            }
        }
        changed
    }

    /// Same for an `APIGroupDiscoveryList`: drops group-versions, resources, and groups
    /// left without versions.
    fn to_1_33_aggregated(doc: &mut Value) {
        let Some(items) = doc.get_mut("items").and_then(Value::as_array_mut) else {
            return;
        };
        for item in items.iter_mut() {
            let group = item["metadata"]["name"].as_str().unwrap_or("").to_string();
            let Some(versions) = item.get_mut("versions").and_then(Value::as_array_mut) else {
                continue;
            };
            versions.retain(|v| {
                !whole_group_version_dropped(&group, v["version"].as_str().unwrap_or(""))
            });
            for v in versions.iter_mut() {
                let version = v["version"].as_str().unwrap_or("").to_string();
                if let Some(resources) = v.get_mut("resources").and_then(Value::as_array_mut) {
                    resources.retain(|r| {
                        !resource_dropped(&group, &version, r["resource"].as_str().unwrap_or(""))
                    });
                }
            }
        }
        items.retain(|item| item["versions"].as_array().is_some_and(|v| !v.is_empty()));
    }

    #[test]
    fn api_versions_matches_golden_bytes() {
        let ours = api_versions("127.0.0.1:6443");
        assert_eq!(compact(&ours), API.trim_end());
    }

    #[test]
    fn api_group_list_matches_golden() {
        let mut golden = parse(APIS);
        let groups = golden["groups"].as_array_mut().expect("groups");
        for group in groups.iter_mut() {
            let name = group["name"].as_str().unwrap_or("").to_string();
            if let Some(versions) = group["versions"].as_array_mut() {
                versions.retain(|v| {
                    !whole_group_version_dropped(&name, v["version"].as_str().unwrap_or(""))
                });
            }
        }
        groups.retain(|g| g["versions"].as_array().is_some_and(|v| !v.is_empty()));
        assert_eq!(groups.len(), 19);

        let ours = api_group_list(&Registry::builtin());
        assert_eq!(compact(&ours), compact(&golden));
    }

    #[test]
    fn api_group_matches_group_list_entries() {
        let registry = Registry::builtin();
        let list = api_group_list(&registry);
        for entry in list["groups"].as_array().expect("groups") {
            let name = entry["name"].as_str().expect("name");
            let mut expected = Map::new();
            expected.insert("kind".into(), json!("APIGroup"));
            expected.insert("apiVersion".into(), json!("v1"));
            expected.extend(entry.as_object().expect("object").clone());
            let ours = api_group(&registry, name).expect("served group");
            assert_eq!(compact(&ours), compact(&Value::Object(expected)));
        }
        assert_eq!(api_group(&registry, ""), None);
        assert_eq!(api_group(&registry, "resource.k8s.io"), None);
        assert_eq!(api_group(&registry, "nope.example.com"), None);
    }

    #[test]
    fn resource_lists_match_golden() {
        let registry = Registry::builtin();
        for (group, version, raw) in LEGACY_LISTS {
            let ours = api_resource_list(&registry, group, version);
            if whole_group_version_dropped(group, version) {
                assert_eq!(ours, None, "{group}/{version} is not served by v1.33");
                continue;
            }
            let ours = ours.unwrap_or_else(|| panic!("{group}/{version} missing"));
            let mut golden = parse(raw);
            if to_1_33_resource_list(group, version, &mut golden) {
                assert_eq!(compact(&ours), compact(&golden), "{group}/{version}");
            } else {
                // Untouched documents must match the served bytes exactly.
                assert_eq!(compact(&ours), raw.trim_end(), "{group}/{version}");
            }
        }
        // Every served group-version was compared.
        let mut served = vec![("".to_string(), "v1".to_string())];
        for g in registry.groups() {
            served.extend(g.versions.iter().map(|v| (g.name.clone(), v.clone())));
        }
        for (g, v) in &served {
            assert!(
                LEGACY_LISTS.iter().any(|(lg, lv, _)| lg == g && lv == v),
                "{g}/{v} has no golden document"
            );
        }
        assert_eq!(api_resource_list(&registry, "", "v2"), None);
        assert_eq!(api_resource_list(&registry, "apps", "v1beta1"), None);
    }

    #[test]
    fn dropped_entries_are_really_in_the_golden_documents() {
        // Guards the filters above: each exclusion must remove something.
        for (group, version, resource, why) in NEWER_THAN_1_33 {
            let (_, _, raw) = LEGACY_LISTS
                .iter()
                .find(|(g, v, _)| g == group && v == version)
                .unwrap_or_else(|| panic!("no golden document for {group}/{version}"));
            let golden = parse(raw);
            let names: Vec<&str> = golden["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .filter_map(|r| r["name"].as_str())
                .collect();
            match resource {
                Some(resource) => assert!(names.contains(resource), "{why}"),
                None => assert!(!names.is_empty(), "{why}"),
            }
        }
    }

    #[test]
    fn aggregated_core_matches_golden_bytes() {
        let registry = Registry::builtin();
        let ours = aggregated(&registry, true, AggregatedVersion::V2);
        assert_eq!(compact(&ours), API_V2.trim_end());
    }

    #[test]
    fn aggregated_apis_matches_golden() {
        let registry = Registry::builtin();
        let mut golden = parse(APIS_V2);
        to_1_33_aggregated(&mut golden);
        let ours = aggregated(&registry, false, AggregatedVersion::V2);
        assert_eq!(compact(&ours), compact(&golden));
    }

    #[test]
    fn aggregated_v2beta1_has_the_same_shape() {
        let registry = Registry::builtin();
        for legacy_core in [true, false] {
            let mut expected = aggregated(&registry, legacy_core, AggregatedVersion::V2);
            expected["apiVersion"] = json!("apidiscovery.k8s.io/v2beta1");
            let ours = aggregated(&registry, legacy_core, AggregatedVersion::V2Beta1);
            assert_eq!(compact(&ours), compact(&expected));
        }
        assert_eq!(
            AggregatedVersion::from_version_param("v2beta1"),
            Some(AggregatedVersion::V2Beta1)
        );
        assert_eq!(AggregatedVersion::from_version_param("v3"), None);
        assert_eq!(AggregatedVersion::V2.version_param(), "v2");
    }

    #[test]
    fn custom_resources_render_like_kube() {
        // Custom resources: responseKind carries their group and version, subresources of
        // their own kind are not repeated with group/version in the legacy list.
        let mut registry = Registry::new();
        registry.add(ResourceInfo {
            group: "stable.example.com".into(),
            version: "v1".into(),
            kind: "CronTab".into(),
            resource: "crontabs".into(),
            singular: "crontab".into(),
            namespaced: true,
            verbs: vec!["get".into(), "list".into()],
            short_names: vec!["ct".into()],
            categories: vec![],
            storage_version_hash: Some("abc=".into()),
            response_group: Some("stable.example.com".into()),
            response_version: Some("v1".into()),
            subresources: vec![
                SubresourceInfo {
                    name: "status".into(),
                    kind: "CronTab".into(),
                    response_group: Some("stable.example.com".into()),
                    response_version: Some("v1".into()),
                    verbs: vec!["get".into()],
                },
                SubresourceInfo {
                    name: "scale".into(),
                    kind: "Scale".into(),
                    response_group: Some("autoscaling".into()),
                    response_version: Some("v1".into()),
                    verbs: vec!["get".into()],
                },
            ],
        });
        let legacy = api_resource_list(&registry, "stable.example.com", "v1").expect("list");
        assert_eq!(
            compact(&legacy),
            concat!(
                r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"stable.example.com/v1","resources":["#,
                r#"{"name":"crontabs","singularName":"crontab","namespaced":true,"kind":"CronTab","verbs":["get","list"],"shortNames":["ct"],"storageVersionHash":"abc="},"#,
                r#"{"name":"crontabs/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get"]},"#,
                r#"{"name":"crontabs/status","singularName":"","namespaced":true,"kind":"CronTab","verbs":["get"]}]}"#
            )
        );
        let agg = aggregated(&registry, false, AggregatedVersion::V2);
        assert_eq!(
            compact(&agg),
            concat!(
                r#"{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[{"metadata":{"name":"stable.example.com"},"versions":[{"version":"v1","resources":["#,
                r#"{"resource":"crontabs","responseKind":{"group":"stable.example.com","version":"v1","kind":"CronTab"},"scope":"Namespaced","singularResource":"crontab","verbs":["get","list"],"shortNames":["ct"],"subresources":["#,
                r#"{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":["get"]},"#,
                r#"{"subresource":"status","responseKind":{"group":"stable.example.com","version":"v1","kind":"CronTab"},"verbs":["get"]}]}],"freshness":"Current"}]}]}"#
            )
        );
        // No core group registered: /api's aggregated list is empty.
        let core = aggregated(&registry, true, AggregatedVersion::V2);
        assert_eq!(core["items"], json!([]));
    }

    #[test]
    fn version_info_has_the_golden_shape() {
        let golden = parse(VERSION);
        let ours = version_info();
        let keys =
            |v: &Value| -> Vec<String> { v.as_object().expect("object").keys().cloned().collect() };
        assert_eq!(keys(&ours), keys(&golden));
        assert_eq!(ours["major"], "1");
        assert_eq!(ours["minor"], "33");
        assert_eq!(ours["emulationMajor"], "1");
        assert_eq!(ours["emulationMinor"], "33");
        assert_eq!(ours["minCompatibilityMajor"], "1");
        assert_eq!(ours["minCompatibilityMinor"], "32");
        assert!(ours["gitVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("v1.33.")));
        assert_eq!(ours["compiler"], "gc");
        let platform = ours["platform"].as_str().expect("platform");
        assert!(platform.contains('/') && !platform.contains("x86_64"));
        assert!(ours
            .as_object()
            .expect("object")
            .values()
            .all(Value::is_string));
    }
}

//! The resources a Kubernetes v1.33 kube-apiserver serves by default, plus whatever is
//! registered at runtime (custom resources).
//!
//! # Where the built-in table comes from
//!
//! `data/resources.tsv` was derived from the discovery documents of a real
//! kube-apiserver **v1.36**. vnest emulates **v1.33**, so [`Registry::builtin`] parses
//! that table and then applies the two v1.33 corrections below, each listed with its
//! reason so the decisions stay reviewable:
//!
//! - [`NOT_SERVED_BY_1_33`]: rows v1.33 does not serve by default. Since v1.24 new beta
//!   APIs are off by default, and v1.33 no longer has any "legacy beta" API enabled by
//!   default (the last ones, `flowcontrol.apiserver.k8s.io/v1beta3`, stopped being
//!   served in v1.32). So a v1.33 server with default flags serves only GA
//!   group-versions; everything in the v1.36 table that reached GA after v1.33 goes.
//! - [`STORAGE_VERSIONS_1_33`]: resources whose storage version (and therefore
//!   `storageVersionHash`) differs in v1.33. kube-apiserver stores an object in the
//!   newest version its previous minor release can read, so a kind that became GA in
//!   v1.33 is still persisted in its beta version there.
//!
//! Everything else in the table (verbs, short names, categories, subresources) was
//! checked against what v1.33 serves and kept as recorded, in particular:
//! `networking.k8s.io/v1` ServiceCIDR/IPAddress (GA in v1.33), `pods/resize` (v1.33
//! moved in-place resize to this subresource; the InPlacePodVerticalScaling gate is beta
//! and on by default), `authentication.k8s.io/v1` SelfSubjectReview (GA in v1.28),
//! `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy(Binding) (GA in v1.30),
//! `flowcontrol.apiserver.k8s.io/v1` (GA in v1.29) and `apiregistration.k8s.io/v1`.
//!
//! # Ordering
//!
//! [`Registry::groups`] lists groups the way kube-aggregator does for `/apis`: the
//! built-in groups in their fixed priority order ([`BUILTIN_GROUP_ORDER`]), then the
//! other groups (CRDs all share one priority) ordered by their APIService names
//! (`<version>.<group>`, smallest first). Versions inside a group are ordered by
//! [`compare_kube_versions`] (GA before beta before alpha, higher numbers first), which
//! is also how kube orders CRD versions; the first one is the preferred version.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The recorded table (group, version, kind, resource, namespaced, verbs, short names,
/// categories, singular name, response group/version/kind, storageVersionHash).
const BUILTIN_TSV: &str = include_str!("../data/resources.tsv");

/// Columns of `resources.tsv`, in order.
const TSV_COLUMNS: [&str; 13] = [
    "group",
    "version",
    "kind",
    "resource",
    "namespaced",
    "verbs",
    "shortNames",
    "categories",
    "singularName",
    "responseGroup",
    "responseVersion",
    "responseKind",
    "storageVersionHash",
];

/// The legacy ("core") group: served under `/api`, not listed in `/apis`.
pub const CORE_GROUP: &str = "";

/// A row of the recorded table that v1.33 does not serve by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub group: &'static str,
    pub version: &'static str,
    /// `None` drops the whole group-version.
    pub resource: Option<&'static str>,
    pub reason: &'static str,
}

/// What [`Registry::builtin`] leaves out of the recorded (v1.36) table. Subresources of a
/// dropped resource go with it.
pub const NOT_SERVED_BY_1_33: &[Dropped] = &[
    Dropped {
        group: "resource.k8s.io",
        version: "v1",
        resource: None,
        reason: "dynamic resource allocation reached GA (resource.k8s.io/v1) in v1.34; \
                 v1.33 only has v1alpha3, v1beta1 and v1beta2, all off by default",
    },
    Dropped {
        group: "admissionregistration.k8s.io",
        version: "v1",
        resource: Some("mutatingadmissionpolicies"),
        reason: "MutatingAdmissionPolicy is alpha (v1alpha1, off by default) in v1.33; \
                 the v1 API is newer than v1.33",
    },
    Dropped {
        group: "admissionregistration.k8s.io",
        version: "v1",
        resource: Some("mutatingadmissionpolicybindings"),
        reason: "MutatingAdmissionPolicyBinding is alpha (v1alpha1, off by default) in \
                 v1.33; the v1 API is newer than v1.33",
    },
    Dropped {
        group: "storage.k8s.io",
        version: "v1",
        resource: Some("volumeattributesclasses"),
        reason: "VolumeAttributesClass is storage.k8s.io/v1beta1 in v1.33 (beta APIs are \
                 off by default); storage.k8s.io/v1 VolumeAttributesClass is GA in v1.34",
    },
];

/// A resource whose v1.33 storage version differs from the recorded table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageVersion {
    pub group: &'static str,
    pub resource: &'static str,
    /// The version objects are persisted in (and hashed into `storageVersionHash`).
    pub version: &'static str,
    pub kind: &'static str,
    pub reason: &'static str,
}

/// Storage versions v1.33 uses where v1.36 uses another one. The v1 types of these kinds
/// are marked as introduced in v1.33, and kube-apiserver only stores in a version its
/// minimum compatibility version (v1.32) can read, so v1.33 keeps writing v1beta1.
pub const STORAGE_VERSIONS_1_33: &[StorageVersion] = &[
    StorageVersion {
        group: "networking.k8s.io",
        resource: "ipaddresses",
        version: "v1beta1",
        kind: "IPAddress",
        reason: "networking.k8s.io/v1 IPAddress was introduced in v1.33",
    },
    StorageVersion {
        group: "networking.k8s.io",
        resource: "servicecidrs",
        version: "v1beta1",
        kind: "ServiceCIDR",
        reason: "networking.k8s.io/v1 ServiceCIDR was introduced in v1.33",
    },
];

/// The built-in API groups in the order kube-apiserver v1.33 lists them in `/apis`
/// (`apiregistration.k8s.io` always comes first; the rest follow their group
/// priorities). `resource.k8s.io` keeps its slot for when one of its versions is
/// enabled, although none is by default.
pub const BUILTIN_GROUP_ORDER: &[&str] = &[
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "resource.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

/// Errors reading a resource table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("resource table is empty (no header line)")]
    MissingHeader,
    #[error("resource table header does not match the expected columns: {found:?}")]
    BadHeader { found: String },
    #[error(
        "resource table line {line}: expected {expected} tab-separated columns, found {found}"
    )]
    Columns {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("resource table line {line}: namespaced must be true or false, found {value:?}")]
    Namespaced { line: usize, value: String },
    #[error("resource table line {line}: {field} must not be empty")]
    Empty { line: usize, field: &'static str },
    #[error("resource table line {line}: duplicate entry {name:?} in {group_version}")]
    Duplicate {
        line: usize,
        group_version: String,
        name: String,
    },
    #[error("resource table line {line}: subresource {name:?} has no parent resource in {group_version}")]
    OrphanSubresource {
        line: usize,
        group_version: String,
        name: String,
    },
}

/// A subresource (`pods/status`, `deployments/scale`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubresourceInfo {
    /// The part after the slash: `status`, `scale`, `log`...
    pub name: String,
    /// The kind the subresource takes and returns (`Scale`, `Eviction`, `Pod`...).
    pub kind: String,
    /// The group of `kind`; `None` means the parent resource's group.
    pub response_group: Option<String>,
    /// The version of `kind`; `None` means the parent resource's version.
    pub response_version: Option<String>,
    pub verbs: Vec<String>,
}

/// A resource served in one group-version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Plural name, as in the URL.
    pub resource: String,
    pub singular: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// `storageVersionHash` of legacy discovery; `None` for resources that are not
    /// stored (reviews, bindings, component statuses).
    pub storage_version_hash: Option<String>,
    /// Group reported in aggregated discovery's `responseKind`. Built-ins leave it
    /// `None` (rendered as an empty string, as kube does); custom resources set it.
    pub response_group: Option<String>,
    /// Version reported in aggregated discovery's `responseKind`, like `response_group`.
    pub response_version: Option<String>,
    pub subresources: Vec<SubresourceInfo>,
}

impl ResourceInfo {
    /// `v1` for the core group, `apps/v1` otherwise.
    pub fn group_version(&self) -> String {
        group_version(&self.group, &self.version)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    pub fn subresource(&self, name: &str) -> Option<&SubresourceInfo> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// Whether `name` (case-insensitive) is this resource's plural, singular or short
    /// name.
    pub fn answers_to(&self, name: &str) -> bool {
        self.resource.eq_ignore_ascii_case(name)
            || self.singular.eq_ignore_ascii_case(name)
            || self
                .short_names
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name))
    }
}

/// One group as listed in `/apis`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    /// Served versions, preferred first.
    pub versions: Vec<String>,
    pub preferred_version: String,
}

/// `v1` for the core group, `group/version` otherwise.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The set of served resources, indexed by group, version and plural name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    groups: BTreeMap<String, BTreeMap<String, BTreeMap<String, ResourceInfo>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The resources kube-apiserver v1.33 serves with default flags (see the module
    /// documentation). The embedded table is checked by the tests; should it ever fail
    /// to parse, this returns an empty registry rather than panicking.
    pub fn builtin() -> Registry {
        Registry::try_builtin().unwrap_or_default()
    }

    /// [`Registry::builtin`], reporting a malformed embedded table.
    pub fn try_builtin() -> Result<Registry, RegistryError> {
        let mut registry = Registry::from_tsv(BUILTIN_TSV)?;
        for dropped in NOT_SERVED_BY_1_33 {
            match dropped.resource {
                Some(resource) => {
                    registry.remove(dropped.group, dropped.version, resource);
                }
                None => {
                    if let Some(versions) = registry.groups.get_mut(dropped.group) {
                        versions.remove(dropped.version);
                        if versions.is_empty() {
                            registry.groups.remove(dropped.group);
                        }
                    }
                }
            }
        }
        for storage in STORAGE_VERSIONS_1_33 {
            if let Some(versions) = registry.groups.get_mut(storage.group) {
                for resources in versions.values_mut() {
                    if let Some(info) = resources.get_mut(storage.resource) {
                        info.storage_version_hash = Some(storage_version_hash(
                            storage.group,
                            storage.version,
                            storage.kind,
                        ));
                    }
                }
            }
        }
        Ok(registry)
    }

    /// Reads a table in the format of `resources.tsv`: a header line, then one row per
    /// resource and per subresource (`pods/status`). Subresource rows carry the parent's
    /// kind in `kind` and their own in `responseKind`.
    pub fn from_tsv(text: &str) -> Result<Registry, RegistryError> {
        let mut lines = text.lines().enumerate();
        let header = loop {
            match lines.next() {
                Some((_, line)) if line.trim().is_empty() => continue,
                Some((_, line)) => break line,
                None => return Err(RegistryError::MissingHeader),
            }
        };
        if header.split('\t').ne(TSV_COLUMNS.iter().copied()) {
            return Err(RegistryError::BadHeader {
                found: header.to_string(),
            });
        }

        let mut registry = Registry::new();
        // Subresource rows are attached once every parent has been read.
        let mut subresource_rows = Vec::new();
        for (index, line) in lines {
            let line_no = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != TSV_COLUMNS.len() {
                return Err(RegistryError::Columns {
                    line: line_no,
                    expected: TSV_COLUMNS.len(),
                    found: cols.len(),
                });
            }
            let row = Row::parse(line_no, &cols)?;
            if row.resource.contains('/') {
                subresource_rows.push(row);
                continue;
            }
            let info = row.into_resource();
            if registry
                .get(&info.group, &info.version, &info.resource)
                .is_some()
            {
                return Err(RegistryError::Duplicate {
                    line: line_no,
                    group_version: info.group_version(),
                    name: info.resource,
                });
            }
            registry.add(info);
        }

        for row in subresource_rows {
            let (parent, name) = row.resource.split_once('/').unwrap_or((&row.resource, ""));
            let group_version = group_version(&row.group, &row.version);
            let line = row.line;
            let parent_info = registry
                .groups
                .get_mut(&row.group)
                .and_then(|versions| versions.get_mut(&row.version))
                .and_then(|resources| resources.get_mut(parent));
            let Some(parent_info) = parent_info else {
                return Err(RegistryError::OrphanSubresource {
                    line,
                    group_version,
                    name: row.resource.clone(),
                });
            };
            if name.is_empty() {
                return Err(RegistryError::Empty {
                    line,
                    field: "subresource name",
                });
            }
            if parent_info.subresource(name).is_some() {
                return Err(RegistryError::Duplicate {
                    line,
                    group_version,
                    name: row.resource.clone(),
                });
            }
            parent_info.subresources.push(SubresourceInfo {
                name: name.to_string(),
                kind: row.response_kind.clone(),
                response_group: row.response_group.clone(),
                response_version: row.response_version.clone(),
                verbs: row.verbs.clone(),
            });
        }
        for info in registry.iter_mut() {
            info.subresources.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(registry)
    }

    /// Adds or replaces a resource (keyed by group, version and plural). Returns the one
    /// it replaced.
    pub fn add(&mut self, info: ResourceInfo) -> Option<ResourceInfo> {
        self.groups
            .entry(info.group.clone())
            .or_default()
            .entry(info.version.clone())
            .or_default()
            .insert(info.resource.clone(), info)
    }

    /// Removes a resource; a group-version (or group) left empty disappears from
    /// discovery.
    pub fn remove(&mut self, group: &str, version: &str, resource: &str) -> Option<ResourceInfo> {
        let versions = self.groups.get_mut(group)?;
        let resources = versions.get_mut(version)?;
        let removed = resources.remove(resource);
        if resources.is_empty() {
            versions.remove(version);
        }
        if versions.is_empty() {
            self.groups.remove(group);
        }
        removed
    }

    pub fn get(&self, group: &str, version: &str, resource: &str) -> Option<&ResourceInfo> {
        self.groups.get(group)?.get(version)?.get(resource)
    }

    /// The resource serving `kind` in a group-version.
    pub fn by_kind(&self, group: &str, version: &str, kind: &str) -> Option<&ResourceInfo> {
        self.groups
            .get(group)?
            .get(version)?
            .values()
            .find(|info| info.kind == kind)
    }

    /// Whether anything is served in this group-version.
    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|versions| versions.contains_key(version))
    }

    /// The resources of a group-version, sorted by plural name (empty if not served).
    pub fn resources_in(&self, group: &str, version: &str) -> Vec<&ResourceInfo> {
        self.groups
            .get(group)
            .and_then(|versions| versions.get(version))
            .map(|resources| resources.values().collect())
            .unwrap_or_default()
    }

    /// Every resource, in an unspecified but stable order.
    pub fn iter(&self) -> impl Iterator<Item = &ResourceInfo> {
        self.groups
            .values()
            .flat_map(|versions| versions.values())
            .flat_map(|resources| resources.values())
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut ResourceInfo> {
        self.groups
            .values_mut()
            .flat_map(|versions| versions.values_mut())
            .flat_map(|resources| resources.values_mut())
    }

    /// The served versions of a group, preferred first (kube's priority order).
    pub fn versions_of(&self, group: &str) -> Vec<String> {
        let mut versions: Vec<String> = self
            .groups
            .get(group)
            .map(|versions| versions.keys().cloned().collect())
            .unwrap_or_default();
        versions.sort_by(|a, b| compare_kube_versions(b, a));
        versions
    }

    /// The preferred version of a group, if it is served.
    pub fn preferred_version(&self, group: &str) -> Option<String> {
        self.versions_of(group).into_iter().next()
    }

    /// One group (also works for the core group, `""`).
    pub fn group(&self, name: &str) -> Option<GroupInfo> {
        let versions = self.versions_of(name);
        let preferred_version = versions.first()?.clone();
        Some(GroupInfo {
            name: name.to_string(),
            versions,
            preferred_version,
        })
    }

    /// The named groups (not the core group) in the order of `/apis`.
    pub fn groups(&self) -> Vec<GroupInfo> {
        let mut keyed: Vec<((usize, String), GroupInfo)> = self
            .groups
            .keys()
            .filter(|name| !name.is_empty())
            .filter_map(|name| self.group(name))
            .map(|group| (group_sort_key(&group), group))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, group)| group).collect()
    }

    /// Every resource in discovery order: the core group, then the groups of `/apis`;
    /// inside a group the preferred version first; inside a version by plural name.
    pub fn ordered(&self) -> Vec<&ResourceInfo> {
        let mut names = vec![CORE_GROUP.to_string()];
        names.extend(self.groups().into_iter().map(|g| g.name));
        let mut out = Vec::new();
        for name in names {
            for version in self.versions_of(&name) {
                out.extend(self.resources_in(&name, &version));
            }
        }
        out
    }

    /// Resources with this short name (exact, case-insensitive), in discovery order.
    pub fn by_short_name(&self, short_name: &str) -> Vec<&ResourceInfo> {
        self.ordered()
            .into_iter()
            .filter(|info| {
                info.short_names
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(short_name))
            })
            .collect()
    }

    /// Resources with this singular name (case-insensitive), in discovery order.
    pub fn by_singular(&self, singular: &str) -> Vec<&ResourceInfo> {
        self.ordered()
            .into_iter()
            .filter(|info| info.singular.eq_ignore_ascii_case(singular))
            .collect()
    }

    /// What a user-typed resource name refers to, kubectl style: a plural, singular or
    /// short name, optionally qualified as `name.group` or `name.version.group`
    /// (`deployments.apps`, `hpa.v1.autoscaling`). Matches come in discovery order, so
    /// the first one is what kubectl would pick (core group first, preferred version
    /// first).
    pub fn resolve(&self, name: &str) -> Vec<&ResourceInfo> {
        let ordered = self.ordered();
        let plain: Vec<&ResourceInfo> = ordered
            .iter()
            .copied()
            .filter(|info| info.answers_to(name))
            .collect();
        if !plain.is_empty() {
            return plain;
        }
        let Some((resource, qualifier)) = name.split_once('.') else {
            return Vec::new();
        };
        // `name.group` first; `name.version.group` when that finds nothing.
        let by_group: Vec<&ResourceInfo> = ordered
            .iter()
            .copied()
            .filter(|info| info.answers_to(resource) && info.group.eq_ignore_ascii_case(qualifier))
            .collect();
        if !by_group.is_empty() {
            return by_group;
        }
        let Some((version, group)) = qualifier.split_once('.') else {
            return Vec::new();
        };
        ordered
            .into_iter()
            .filter(|info| {
                info.answers_to(resource)
                    && info.version.eq_ignore_ascii_case(version)
                    && info.group.eq_ignore_ascii_case(group)
            })
            .collect()
    }

    /// The resources in a category (`all`, `api-extensions`...), one per group and
    /// resource: only the preferred version's entry, as kubectl expands categories.
    pub fn in_category(&self, category: &str) -> Vec<&ResourceInfo> {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        let mut out = Vec::new();
        for info in self.ordered() {
            if !info.categories.iter().any(|c| c == category) {
                continue;
            }
            let key = (info.group.as_str(), info.resource.as_str());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            out.push(info);
        }
        out
    }
}

/// Sort key of a group in `/apis`: built-ins by their fixed rank; every other group
/// after them, by the smallest of its APIService names (`<version>.<group>`), which is
/// how kube-aggregator orders groups of equal priority.
fn group_sort_key(group: &GroupInfo) -> (usize, String) {
    match BUILTIN_GROUP_ORDER.iter().position(|g| *g == group.name) {
        Some(rank) => (rank, String::new()),
        None => {
            let apiservice_name = group
                .versions
                .iter()
                .map(|v| format!("{v}.{}", group.name))
                .min()
                .unwrap_or_default();
            (BUILTIN_GROUP_ORDER.len(), apiservice_name)
        }
    }
}

/// One parsed line of the table.
struct Row {
    line: usize,
    group: String,
    version: String,
    kind: String,
    resource: String,
    namespaced: bool,
    verbs: Vec<String>,
    short_names: Vec<String>,
    categories: Vec<String>,
    singular: String,
    response_group: Option<String>,
    response_version: Option<String>,
    response_kind: String,
    storage_version_hash: Option<String>,
}

impl Row {
    fn parse(line: usize, cols: &[&str]) -> Result<Row, RegistryError> {
        let col = |i: usize| cols.get(i).copied().unwrap_or("");
        let non_empty = |i: usize, field: &'static str| {
            let value = col(i);
            if value.is_empty() {
                Err(RegistryError::Empty { line, field })
            } else {
                Ok(value.to_string())
            }
        };
        let optional = |i: usize| Some(col(i).to_string()).filter(|s| !s.is_empty());
        let list = |i: usize| -> Vec<String> {
            col(i)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let namespaced = match col(4) {
            "true" => true,
            "false" => false,
            other => {
                return Err(RegistryError::Namespaced {
                    line,
                    value: other.to_string(),
                })
            }
        };
        let kind = non_empty(2, "kind")?;
        Ok(Row {
            line,
            group: col(0).to_string(),
            version: non_empty(1, "version")?,
            resource: non_empty(3, "resource")?,
            namespaced,
            verbs: list(5),
            short_names: list(6),
            categories: list(7),
            singular: col(8).to_string(),
            response_group: optional(9),
            response_version: optional(10),
            response_kind: optional(11).unwrap_or_else(|| kind.clone()),
            kind,
            storage_version_hash: optional(12),
        })
    }

    fn into_resource(self) -> ResourceInfo {
        ResourceInfo {
            group: self.group,
            version: self.version,
            kind: self.kind,
            resource: self.resource,
            singular: self.singular,
            namespaced: self.namespaced,
            verbs: self.verbs,
            short_names: self.short_names,
            categories: self.categories,
            storage_version_hash: self.storage_version_hash,
            response_group: self.response_group,
            response_version: self.response_version,
            subresources: Vec::new(),
        }
    }
}

/// Orders API versions the way Kubernetes prioritises them: `Ordering::Greater` means
/// `a` is preferred over `b`. Versions shaped like `v<N>`, `v<N>beta<M>` or
/// `v<N>alpha<M>` come first: GA before beta before alpha, then the higher major, then
/// the higher minor (`v2 > v1 > v11beta2 > v10beta3 > v3beta1 > v12alpha1`); any other
/// version string comes after them, alphabetically (`foo1` before `foo10`).
pub fn compare_kube_versions(a: &str, b: &str) -> Ordering {
    match (parse_kube_version(a), parse_kube_version(b)) {
        (Some(va), Some(vb)) => va.cmp(&vb),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => b.cmp(a),
    }
}

/// (stability, major, minor) with stability 2 = GA, 1 = beta, 0 = alpha; compares in
/// priority order.
fn parse_kube_version(v: &str) -> Option<(u8, u64, u64)> {
    let rest = v.strip_prefix('v')?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (major, rest) = rest.split_at(digits_end);
    let major: u64 = parse_digits(major)?;
    if rest.is_empty() {
        return Some((2, major, 0));
    }
    let (stability, minor) = if let Some(minor) = rest.strip_prefix("beta") {
        (1, minor)
    } else if let Some(minor) = rest.strip_prefix("alpha") {
        (0, minor)
    } else {
        return None;
    };
    Some((stability, major, parse_digits(minor)?))
}

fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// kube-apiserver's `storageVersionHash`: the first 8 bytes of the SHA-256 of
/// `<group>/<version>/<kind>` of the storage version, base64-encoded.
pub fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    let digest = sha256(format!("{group}/{version}/{kind}").as_bytes());
    base64_std(&digest[..8])
}

const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 (FIPS 180-4). Inputs are a few dozen bytes, so simplicity wins over speed.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());

    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(SHA256_K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(value);
        }
    }

    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Standard base64 with padding.
fn base64_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, sextet) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(infos: &[&ResourceInfo]) -> Vec<String> {
        infos
            .iter()
            .map(|i| format!("{}/{}", i.group_version(), i.resource))
            .collect()
    }

    fn crd(group: &str, version: &str, kind: &str, plural: &str) -> ResourceInfo {
        ResourceInfo {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            resource: plural.to_string(),
            singular: kind.to_ascii_lowercase(),
            namespaced: true,
            verbs: [
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "create",
                "update",
                "watch",
            ]
            .map(String::from)
            .to_vec(),
            short_names: vec![],
            categories: vec![],
            storage_version_hash: Some(storage_version_hash(group, version, kind)),
            response_group: Some(group.to_string()),
            response_version: Some(version.to_string()),
            subresources: vec![],
        }
    }

    #[test]
    fn embedded_table_parses() {
        let registry = Registry::try_builtin().expect("embedded resources.tsv");
        assert_eq!(registry, Registry::builtin());
        let all = Registry::from_tsv(BUILTIN_TSV).expect("parse");
        // The recorded table: 68 resources and 45 subresources (see the corpus README).
        assert_eq!(all.iter().count(), 68);
        assert_eq!(all.iter().map(|r| r.subresources.len()).sum::<usize>(), 45);
        // v1.33: 4 resource.k8s.io/v1 resources (one with a status subresource),
        // MutatingAdmissionPolicy(Binding) and VolumeAttributesClass are gone.
        assert_eq!(registry.iter().count(), 61);
        assert_eq!(
            registry.iter().map(|r| r.subresources.len()).sum::<usize>(),
            44
        );
    }

    #[test]
    fn newer_than_1_33_is_dropped() {
        let registry = Registry::builtin();
        assert!(!registry.has_group_version("resource.k8s.io", "v1"));
        assert!(registry.group("resource.k8s.io").is_none());
        assert!(registry
            .get("storage.k8s.io", "v1", "volumeattributesclasses")
            .is_none());
        for resource in [
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
        ] {
            assert!(registry
                .get("admissionregistration.k8s.io", "v1", resource)
                .is_none());
        }
        // Their neighbours stay.
        assert!(registry
            .get("storage.k8s.io", "v1", "storageclasses")
            .is_some());
        assert!(registry
            .get(
                "admissionregistration.k8s.io",
                "v1",
                "validatingadmissionpolicies"
            )
            .is_some());
        assert!(registry
            .get("networking.k8s.io", "v1", "servicecidrs")
            .is_some());
        let pods = registry.get("", "v1", "pods").expect("pods");
        assert!(pods.subresource("resize").is_some());
    }

    #[test]
    fn storage_version_hash_matches_kube() {
        // FIPS 180-4 example.
        let abc = sha256(b"abc");
        assert_eq!(abc[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(abc[28..], [0xf2, 0x00, 0x15, 0xad]);
        assert_eq!(base64_std(b"f"), "Zg==");
        assert_eq!(base64_std(b"fo"), "Zm8=");
        assert_eq!(base64_std(b"foo"), "Zm9v");

        // Every stored resource of the recorded table hashes its own group-version-kind,
        // except those stored in another group or version.
        let stored_elsewhere = [
            ("events.k8s.io", "events", ("", "v1", "Event")),
            (
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                (
                    "apiextensions.k8s.io",
                    "v1beta1",
                    "CustomResourceDefinition",
                ),
            ),
            (
                "autoscaling",
                "horizontalpodautoscalers",
                ("autoscaling", "v2", "HorizontalPodAutoscaler"),
            ),
            (
                "admissionregistration.k8s.io",
                "mutatingadmissionpolicies",
                (
                    "admissionregistration.k8s.io",
                    "v1beta1",
                    "MutatingAdmissionPolicy",
                ),
            ),
            (
                "admissionregistration.k8s.io",
                "mutatingadmissionpolicybindings",
                (
                    "admissionregistration.k8s.io",
                    "v1beta1",
                    "MutatingAdmissionPolicyBinding",
                ),
            ),
        ];
        let all = Registry::from_tsv(BUILTIN_TSV).expect("parse");
        let mut checked = 0;
        for info in all.iter() {
            let Some(hash) = &info.storage_version_hash else {
                continue;
            };
            let (g, v, k) = stored_elsewhere
                .iter()
                .find(|(g, r, _)| *g == info.group && *r == info.resource)
                .map(|(_, _, gvk)| *gvk)
                .unwrap_or((&info.group, &info.version, &info.kind));
            assert_eq!(&storage_version_hash(g, v, k), hash, "{}", info.resource);
            checked += 1;
        }
        assert!(checked > 50);

        let registry = Registry::builtin();
        let ip = registry
            .get("networking.k8s.io", "v1", "ipaddresses")
            .expect("ip");
        assert_eq!(ip.storage_version_hash.as_deref(), Some("O4H8VxQhW5Y="));
        let cidr = registry
            .get("networking.k8s.io", "v1", "servicecidrs")
            .expect("cidr");
        assert_eq!(cidr.storage_version_hash.as_deref(), Some("8ufAXOnr3Yg="));
    }

    #[test]
    fn short_names_and_singulars() {
        let registry = Registry::builtin();
        let first = |name: &str| {
            registry
                .resolve(name)
                .first()
                .map(|i| format!("{}/{}", i.group_version(), i.resource))
        };
        assert_eq!(first("deploy").as_deref(), Some("apps/v1/deployments"));
        assert_eq!(first("po").as_deref(), Some("v1/pods"));
        assert_eq!(first("svc").as_deref(), Some("v1/services"));
        assert_eq!(first("cm").as_deref(), Some("v1/configmaps"));
        assert_eq!(
            first("crds").as_deref(),
            Some("apiextensions.k8s.io/v1/customresourcedefinitions")
        );
        assert_eq!(first("Pod").as_deref(), Some("v1/pods"));
        assert_eq!(first("deployment").as_deref(), Some("apps/v1/deployments"));
        assert_eq!(
            first("netpol").as_deref(),
            Some("networking.k8s.io/v1/networkpolicies")
        );
        assert_eq!(
            first("ip").as_deref(),
            Some("networking.k8s.io/v1/ipaddresses")
        );
        assert_eq!(first("vac"), None);
        assert_eq!(first("nosuchthing"), None);

        // Core before events.k8s.io; preferred version (v2) before v1.
        assert_eq!(
            names(&registry.by_short_name("ev")),
            ["v1/events", "events.k8s.io/v1/events"]
        );
        assert_eq!(
            names(&registry.resolve("hpa")),
            [
                "autoscaling/v2/horizontalpodautoscalers",
                "autoscaling/v1/horizontalpodautoscalers"
            ]
        );
        assert_eq!(names(&registry.by_singular("endpoints")), ["v1/endpoints"]);
        assert_eq!(
            names(&registry.resolve("events.events.k8s.io")),
            ["events.k8s.io/v1/events"]
        );
        assert_eq!(
            names(&registry.resolve("hpa.v1.autoscaling")),
            ["autoscaling/v1/horizontalpodautoscalers"]
        );
        assert_eq!(
            names(&registry.resolve("deploy.apps")),
            ["apps/v1/deployments"]
        );
        assert!(registry.resolve("deploy.batch").is_empty());
    }

    #[test]
    fn by_kind_and_scope() {
        let registry = Registry::builtin();
        let deploy = registry
            .by_kind("apps", "v1", "Deployment")
            .expect("deployment");
        assert_eq!(deploy.resource, "deployments");
        assert!(deploy.namespaced);
        let scale = deploy.subresource("scale").expect("scale");
        assert_eq!(scale.kind, "Scale");
        assert_eq!(scale.response_group.as_deref(), Some("autoscaling"));
        assert_eq!(scale.response_version.as_deref(), Some("v1"));
        assert!(registry.by_kind("apps", "v1", "Pod").is_none());

        let ns = registry.by_kind("", "v1", "Namespace").expect("namespaces");
        assert!(!ns.namespaced);
        assert!(!ns.has_verb("deletecollection"));
        let sub_names: Vec<&str> = ns.subresources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(sub_names, ["finalize", "status"]);

        let pods = registry.get("", "v1", "pods").expect("pods");
        let eviction = pods.subresource("eviction").expect("eviction");
        assert_eq!(eviction.response_group.as_deref(), Some("policy"));
        assert_eq!(eviction.verbs, ["create"]);
        let log = pods.subresource("log").expect("log");
        assert_eq!(
            (log.kind.as_str(), log.response_group.as_deref()),
            ("Pod", None)
        );
        let token = registry
            .get("", "v1", "serviceaccounts")
            .and_then(|sa| sa.subresource("token"))
            .expect("token");
        assert_eq!(token.kind, "TokenRequest");
        assert_eq!(
            token.response_group.as_deref(),
            Some("authentication.k8s.io")
        );
        let approval = registry
            .get("certificates.k8s.io", "v1", "certificatesigningrequests")
            .and_then(|csr| csr.subresource("approval"));
        assert!(approval.is_some());
        let review = registry
            .get("authorization.k8s.io", "v1", "localsubjectaccessreviews")
            .expect("lsar");
        assert!(review.namespaced);
        assert_eq!(review.verbs, ["create"]);
        assert_eq!(review.storage_version_hash, None);
    }

    #[test]
    fn category_all() {
        let registry = Registry::builtin();
        assert_eq!(
            names(&registry.in_category("all")),
            [
                "v1/pods",
                "v1/replicationcontrollers",
                "v1/services",
                "apps/v1/daemonsets",
                "apps/v1/deployments",
                "apps/v1/replicasets",
                "apps/v1/statefulsets",
                "autoscaling/v2/horizontalpodautoscalers",
                "batch/v1/cronjobs",
                "batch/v1/jobs",
            ]
        );
        let extensions = names(&registry.in_category("api-extensions"));
        assert_eq!(
            extensions,
            [
                "apiregistration.k8s.io/v1/apiservices",
                "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
                "admissionregistration.k8s.io/v1/validatingadmissionpolicies",
                "admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
                "admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                "apiextensions.k8s.io/v1/customresourcedefinitions",
            ]
        );
        assert!(registry.in_category("nope").is_empty());
    }

    #[test]
    fn groups_in_apis_order() {
        let registry = Registry::builtin();
        let groups = registry.groups();
        let order: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            order,
            [
                "apiregistration.k8s.io",
                "apps",
                "events.k8s.io",
                "authentication.k8s.io",
                "authorization.k8s.io",
                "autoscaling",
                "batch",
                "certificates.k8s.io",
                "networking.k8s.io",
                "policy",
                "rbac.authorization.k8s.io",
                "storage.k8s.io",
                "admissionregistration.k8s.io",
                "apiextensions.k8s.io",
                "scheduling.k8s.io",
                "coordination.k8s.io",
                "node.k8s.io",
                "discovery.k8s.io",
                "flowcontrol.apiserver.k8s.io",
            ]
        );
        let autoscaling = registry.group("autoscaling").expect("autoscaling");
        assert_eq!(autoscaling.versions, ["v2", "v1"]);
        assert_eq!(autoscaling.preferred_version, "v2");
        let core = registry.group(CORE_GROUP).expect("core");
        assert_eq!(core.versions, ["v1"]);
        assert_eq!(
            names(&registry.resources_in("batch", "v1")),
            ["batch/v1/cronjobs", "batch/v1/jobs"]
        );
        assert!(registry.resources_in("batch", "v2").is_empty());
    }

    #[test]
    fn runtime_groups_add_and_remove() {
        let mut registry = Registry::builtin();
        assert!(registry
            .add(crd("stable.example.com", "v1beta1", "CronTab", "crontabs"))
            .is_none());
        registry.add(crd("stable.example.com", "v1", "CronTab", "crontabs"));
        registry.add(crd("b.example.com", "v1", "Bee", "bees"));
        registry.add(crd("a.example.com", "v2", "Ant", "ants"));
        let replaced = registry.add(crd("a.example.com", "v2", "Ant", "ants"));
        assert!(replaced.is_some());

        let groups = registry.groups();
        let tail: Vec<(&str, Vec<String>)> = groups[groups.len() - 3..]
            .iter()
            .map(|g| (g.name.as_str(), g.versions.clone()))
            .collect();
        // APIService names: v1.b.example.com < v1.stable.example.com < v2.a.example.com.
        assert_eq!(
            tail,
            [
                ("b.example.com", vec!["v1".to_string()]),
                (
                    "stable.example.com",
                    vec!["v1".to_string(), "v1beta1".to_string()]
                ),
                ("a.example.com", vec!["v2".to_string()]),
            ]
        );
        assert_eq!(
            registry.preferred_version("stable.example.com").as_deref(),
            Some("v1")
        );
        assert_eq!(
            names(&registry.resolve("crontab")),
            [
                "stable.example.com/v1/crontabs",
                "stable.example.com/v1beta1/crontabs"
            ]
        );

        assert!(registry
            .remove("stable.example.com", "v1", "crontabs")
            .is_some());
        assert!(registry
            .remove("stable.example.com", "v1", "crontabs")
            .is_none());
        assert_eq!(registry.versions_of("stable.example.com"), ["v1beta1"]);
        assert!(registry
            .remove("stable.example.com", "v1beta1", "crontabs")
            .is_some());
        assert!(registry.group("stable.example.com").is_none());
        assert!(!registry
            .groups()
            .iter()
            .any(|g| g.name == "stable.example.com"));
    }

    #[test]
    fn kube_version_priority() {
        // The order documented for CRD versions.
        let mut versions = [
            "foo10",
            "v11alpha2",
            "v1",
            "foo1",
            "v3beta1",
            "v2",
            "v12alpha1",
            "v10beta3",
            "v10",
            "v11beta2",
        ];
        versions.sort_by(|a, b| compare_kube_versions(b, a));
        assert_eq!(
            versions,
            [
                "v10",
                "v2",
                "v1",
                "v11beta2",
                "v10beta3",
                "v3beta1",
                "v12alpha1",
                "v11alpha2",
                "foo1",
                "foo10"
            ]
        );
        assert_eq!(compare_kube_versions("v1", "v1"), Ordering::Equal);
        assert_eq!(compare_kube_versions("v1beta", "v1alpha1"), Ordering::Less);
        assert_eq!(compare_kube_versions("v", "v1"), Ordering::Less);
    }

    #[test]
    fn malformed_tables_are_rejected() {
        let header = TSV_COLUMNS.join("\t");
        let row = |cols: &[&str]| format!("{header}\n{}\n", cols.join("\t"));
        let good = [
            "",
            "v1",
            "Pod",
            "pods",
            "true",
            "get,list",
            "po",
            "all",
            "pod",
            "",
            "",
            "Pod",
            "xPOwRZ+Yhw8=",
        ];
        let parsed = Registry::from_tsv(&row(&good)).expect("good row");
        let pods = parsed.get("", "v1", "pods").expect("pods");
        assert_eq!(pods.verbs, ["get", "list"]);
        assert_eq!(pods.short_names, ["po"]);

        assert_eq!(Registry::from_tsv(""), Err(RegistryError::MissingHeader));
        assert!(matches!(
            Registry::from_tsv("group\tversion\n"),
            Err(RegistryError::BadHeader { .. })
        ));
        assert_eq!(
            Registry::from_tsv(&row(&good[..12])),
            Err(RegistryError::Columns {
                line: 2,
                expected: 13,
                found: 12
            })
        );
        let mut bad_scope = good;
        bad_scope[4] = "yes";
        assert!(matches!(
            Registry::from_tsv(&row(&bad_scope)),
            Err(RegistryError::Namespaced { line: 2, .. })
        ));
        let mut no_kind = good;
        no_kind[2] = "";
        assert!(matches!(
            Registry::from_tsv(&row(&no_kind)),
            Err(RegistryError::Empty { field: "kind", .. })
        ));
        let mut orphan = good;
        orphan[3] = "pods/status";
        assert!(matches!(
            Registry::from_tsv(&row(&orphan)),
            Err(RegistryError::OrphanSubresource { .. })
        ));
        let mut no_sub_name = good;
        no_sub_name[3] = "pods/";
        let with_parent = format!(
            "{header}\n{}\n{}\n",
            good.join("\t"),
            no_sub_name.join("\t")
        );
        assert!(matches!(
            Registry::from_tsv(&with_parent),
            Err(RegistryError::Empty { line: 3, .. })
        ));
        let twice = format!("{header}\n{}\n{}\n", good.join("\t"), good.join("\t"));
        assert!(matches!(
            Registry::from_tsv(&twice),
            Err(RegistryError::Duplicate { line: 3, .. })
        ));
    }
}

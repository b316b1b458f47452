//! `metadata.managedFields` for non-apply writes (create, update, patch), as
//! kube-apiserver records them.
//!
//! Field ownership works on sets of field paths (see the `FieldsV1` format in
//! [`fields_v1`]). A write compares the stored object with the new one:
//!
//! - the writer's entry (keyed by manager, operation `Update`, apiVersion and
//!   subresource) gains every path that was added or whose value changed, merged with
//!   what it owned before, and its `time` is set; a write that only removes fields,
//!   or changes nothing, leaves the entry list as it was apart from the removals;
//! - every other entry, `Apply` entries included, loses the paths the writer changed
//!   (an update always takes ownership, it never conflicts) and every entry loses the
//!   paths that no longer exist; entries left empty are dropped;
//! - `apiVersion`, `kind` and the server-owned metadata (`name`, `namespace`, `uid`,
//!   `resourceVersion`, `generation`, `creationTimestamp`, `selfLink`,
//!   `managedFields`) are never owned;
//! - for resources with a status subresource, writes to the main resource do not
//!   own `status`, and writes to `/status` own only `status` and `metadata` (kube's
//!   status strategies let some metadata through, e.g. the Deployment controller's
//!   `deployment.kubernetes.io/revision` annotation is owned by its status entry);
//! - at most 10 `Update` entries are kept: the oldest are merged, per apiVersion,
//!   into an `ancient-changes` entry.
//!
//! Objects are compared the way kube sees them after decoding into Go types: a
//! non-pointer struct is always present (so it is never "added" and its path is not
//! owned), and fields without `omitempty` are always written.

mod apply;
mod compare;
mod fill;
mod schema;
mod set;
#[cfg(test)]
mod tests;
mod zero;

use serde_json::{Map, Value};

pub use apply::{apply, ApplyError, ApplyRequest, Conflict};
use compare::compare;
use schema::{Ty, Types};
use set::{PathElement, Set};

/// Why a `managedFields` list could not be decoded (kube then falls back to the
/// stored object's list, or to none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManagedFieldsError {
    /// A `FieldsV1` key that is not `f:`, `k:`, `v:` or `i:` followed by valid content.
    #[error("invalid path element {0:?}")]
    PathElement(String),
    /// A `FieldsV1` node that is not a JSON object.
    #[error("FieldsV1 nodes must be JSON objects")]
    NotAnObject,
    /// A `FieldsV1` set nested deeper than any real object.
    #[error("FieldsV1 is nested too deeply")]
    TooDeep,
    /// `managedFields` is not a list.
    #[error("managedFields must be a list")]
    NotAList,
    /// An entry that is not an object.
    #[error("managed fields entry {0} is not an object")]
    NotAnEntry(usize),
    /// An operation other than `Apply` or `Update`.
    #[error("operation must be `Apply` or `Update`")]
    Operation,
    /// An entry without apiVersion.
    #[error("apiVersion must not be empty")]
    ApiVersion,
    /// An entry without fieldsType.
    #[error("missing fieldsType in managed fields entry {0}")]
    MissingFieldsType(usize),
    /// A fieldsType other than `FieldsV1`.
    #[error("invalid fieldsType {0:?} in managed fields entry {1}")]
    FieldsType(String, usize),
    /// The `fieldsV1` of an entry is malformed.
    #[error("error decoding versioned set of managed fields entry {0}: {1}")]
    Fields(usize, Box<ManagedFieldsError>),
}

/// The type tree of a custom resource version (from its `openAPIV3Schema`), built
/// once per CRD version and kept by the caller.
#[derive(Debug, Clone)]
pub struct CustomTypes {
    types: Types,
    root: String,
}

impl CustomTypes {
    pub fn from_openapi_v3(schema: &Value) -> CustomTypes {
        let (types, root) = Types::from_openapi_v3(schema);
        CustomTypes { types, root }
    }
}

/// Where the type information of an object comes from.
#[derive(Debug, Clone, Copy)]
pub enum TypeSource<'a> {
    /// A built-in type by OpenAPI definition (`None`: no schema, everything free-form
    /// below the object's metadata).
    Builtin(Option<&'a str>),
    /// A custom resource with a schema.
    Custom(&'a CustomTypes),
}

impl<'a> TypeSource<'a> {
    fn resolve(self) -> (&'a Types, Ty<'a>) {
        match self {
            TypeSource::Builtin(definition) => {
                let types = Types::builtin();
                (types, types.root(definition))
            }
            TypeSource::Custom(c) => (&c.types, c.types.root(Some(&c.root))),
        }
    }
}

/// kube's order of managedFields entries: Apply before Update, then by time, manager,
/// apiVersion and subresource.
fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by(|p, q| {
        p.operation
            .cmp(&q.operation)
            .then_with(|| p.seconds().cmp(&q.seconds()))
            .then_with(|| p.manager.cmp(&q.manager))
            .then_with(|| p.api_version.cmp(&q.api_version))
            .then_with(|| p.subresource.cmp(&q.subresource))
    });
}

/// kube's cap on `Update` entries.
const MAX_UPDATE_MANAGERS: usize = 10;
/// The manager the oldest `Update` entries are merged into beyond the cap.
const ANCIENT_CHANGES: &str = "ancient-changes";
/// kube's limit on field manager names (`FieldManagerMaxLength`).
const MAX_MANAGER_LENGTH: usize = 128;

/// Paths nobody owns (exactly these: what is below `metadata` is owned).
fn strip_set() -> Set {
    let mut set = Set::default();
    let f = |s: &str| PathElement::Field(s.to_string());
    set.insert(&[f("apiVersion")]);
    set.insert(&[f("kind")]);
    set.insert(&[f("metadata")]);
    for name in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        set.insert(&[f("metadata"), f(name)]);
    }
    set
}

/// The object as kube's typed field manager sees it: without `managedFields`, with
/// the fields Go always writes filled in. `None` is the empty object of a create.
fn typed(types: &Types, ty: Ty<'_>, obj: Option<&Value>) -> Value {
    let mut v = obj.cloned().unwrap_or_else(|| Value::Object(Map::new()));
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    fill::fill(types, ty, &mut v);
    v
}

/// The paths a write must not take: `status` on the main resource when it has a
/// status subresource; everything but `status` and `metadata` on `/status`.
fn ignored_fields(
    lhs: &Value,
    rhs: &Value,
    subresource: Option<&str>,
    status_is_subresource: bool,
) -> Set {
    let mut set = Set::default();
    match subresource {
        Some("status") => {
            for obj in [lhs, rhs].into_iter().filter_map(Value::as_object) {
                for k in obj.keys() {
                    if k != "status" && k != "metadata" {
                        set.insert(&[PathElement::Field(k.clone())]);
                    }
                }
            }
        }
        None if status_is_subresource => {
            set.insert(&[PathElement::Field("status".to_string())]);
        }
        _ => {}
    }
    set
}

/// The `FieldsV1` set of `obj` (of OpenAPI definition `definition`, `None` for
/// custom resources without a schema): what a client creating it would own.
///
/// `f:<field>` for struct members and map keys, `k:{...}` for items of keyed lists,
/// `v:<json>` for items of sets; atomic lists, maps and structs, and lists without
/// schema information, are owned whole (`{}`). `".": {}` marks a node that is owned
/// itself and has owned members: a map, keyed-list item or pointer struct that the
/// empty object does not have. Server-owned metadata is left out, `status` is not
/// (see [`update_managed_fields`] for the status rules).
pub fn fields_v1(definition: Option<&str>, obj: &Value) -> Value {
    let types = Types::builtin();
    let ty = types.root(definition);
    let lhs = typed(types, ty, None);
    let rhs = typed(types, ty, Some(obj));
    let cmp = compare(types, ty, &lhs, &rhs);
    let mut owned = cmp.added;
    owned.union_with(&cmp.modified);
    owned.difference(&strip_set());
    owned.to_json()
}

/// One decoded managedFields entry.
#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    subresource: String,
    time: Option<Value>,
    set: Set,
}

impl Entry {
    /// kube's manager identifier: the entry without time and fields (and without
    /// apiVersion for appliers, who own the same fields whatever version they use).
    fn identity(&self) -> String {
        let mut m = Map::new();
        for (k, v) in [
            ("manager", &self.manager),
            ("operation", &self.operation),
            ("apiVersion", &self.api_version),
            ("subresource", &self.subresource),
        ] {
            if v.is_empty() || (k == "apiVersion" && self.operation == "Apply") {
                continue;
            }
            m.insert(k.to_string(), Value::String(v.clone()));
        }
        Value::Object(m).to_string()
    }

    /// The entry's time in Unix seconds (0 without one), as kube sorts entries.
    fn seconds(&self) -> i64 {
        self.time
            .as_ref()
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp())
            .unwrap_or(0)
    }

    fn encode(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                m.insert(k.to_string(), Value::String(v.to_string()));
            }
        };
        put("manager", &self.manager);
        put("operation", &self.operation);
        put("apiVersion", &self.api_version);
        if let Some(t) = self.time.as_ref().filter(|t| !t.is_null()) {
            m.insert("time".to_string(), t.clone());
        }
        m.insert("fieldsType".to_string(), Value::String("FieldsV1".into()));
        m.insert("fieldsV1".to_string(), self.set.to_json());
        if !self.subresource.is_empty() {
            m.insert(
                "subresource".to_string(),
                Value::String(self.subresource.clone()),
            );
        }
        Value::Object(m)
    }
}

fn managed_fields_of(obj: Option<&Value>) -> Option<&Value> {
    obj?.get("metadata")?
        .get("managedFields")
        .filter(|v| !v.is_null())
}

/// Decodes a managedFields list like kube's `DecodeManagedFields` (any bad entry
/// makes the whole list invalid; of two entries with the same identity the later
/// one wins).
fn decode(list: Option<&Value>) -> Result<Vec<Entry>, ManagedFieldsError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let items = list.as_array().ok_or(ManagedFieldsError::NotAList)?;
    let mut out: Vec<Entry> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let obj = item.as_object().ok_or(ManagedFieldsError::NotAnEntry(i))?;
        let s = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let operation = s("operation");
        if operation != "Apply" && operation != "Update" {
            return Err(ManagedFieldsError::Operation);
        }
        let api_version = s("apiVersion");
        if api_version.is_empty() {
            return Err(ManagedFieldsError::ApiVersion);
        }
        match s("fieldsType").as_str() {
            "FieldsV1" => {}
            "" => return Err(ManagedFieldsError::MissingFieldsType(i)),
            other => return Err(ManagedFieldsError::FieldsType(other.to_string(), i)),
        }
        let set = match obj.get("fieldsV1").filter(|v| !v.is_null()) {
            Some(f) => Set::from_json(f).map_err(|e| ManagedFieldsError::Fields(i, Box::new(e)))?,
            None => Set::default(),
        };
        let entry = Entry {
            manager: s("manager"),
            operation,
            api_version,
            subresource: s("subresource"),
            time: obj.get("time").filter(|t| !t.is_null()).cloned(),
            set,
        };
        let id = entry.identity();
        match out.iter_mut().find(|e| e.identity() == id) {
            Some(existing) => *existing = entry,
            None => out.push(entry),
        }
    }
    Ok(out)
}

/// Checks that a `metadata.managedFields` value can be decoded.
pub fn validate_managed_fields(list: &Value) -> Result<(), ManagedFieldsError> {
    decode(Some(list)).map(|_| ())
}

/// `[]`, or a single empty entry: the client asks for managedFields to be reset.
fn is_reset(list: Option<&Value>) -> bool {
    match list.and_then(Value::as_array).map(Vec::as_slice) {
        Some([]) => true,
        Some([Value::Object(entry)]) => entry
            .values()
            .all(|v| v.is_null() || v.as_str() == Some("")),
        _ => false,
    }
}

/// The entries a write starts from (kube's `decodeLiveOrNew`): the stored object's,
/// unless the write is to the main resource and brings its own valid, non-empty
/// list, or asks for a reset.
fn base_entries(old: Option<&Value>, new: &Value, ignore_new: bool) -> Vec<Entry> {
    let live = || decode(managed_fields_of(old)).unwrap_or_default();
    if ignore_new {
        return live();
    }
    let requested = managed_fields_of(Some(new));
    if is_reset(requested) {
        return Vec::new();
    }
    match decode(requested) {
        Ok(entries) if !entries.is_empty() => entries,
        _ => live(),
    }
}

fn find(entries: &[Entry], id: &str) -> Option<usize> {
    entries.iter().position(|e| e.identity() == id)
}

/// Merges the oldest `Update` entries into `ancient-changes` entries (one per
/// apiVersion) until at most [`MAX_UPDATE_MANAGERS`] are left.
fn cap_update_managers(entries: &mut Vec<Entry>) {
    let mut updaters: Vec<(i64, String, String)> = entries
        .iter()
        .filter(|e| e.operation != "Apply")
        .map(|e| (e.seconds(), e.identity(), e.api_version.clone()))
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort();
    let mut length = updaters.len();
    let mut first_for_version: Vec<(String, String)> = Vec::new();
    for (_, id, version) in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let bucket = Entry {
            manager: ANCIENT_CHANGES.to_string(),
            operation: "Update".to_string(),
            api_version: version.clone(),
            subresource: String::new(),
            time: None,
            set: Set::default(),
        };
        let bucket_id = bucket.identity();
        let first = first_for_version
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, first)| first.clone());
        let Some(first) = first else {
            first_for_version.push((version, id));
            continue;
        };
        if id == bucket_id {
            // kube would merge an existing bucket into itself and then delete it.
            continue;
        }
        let Some(pos) = find(entries, &id) else {
            continue;
        };
        let merged = entries.remove(pos);
        let bucket_pos = match find(entries, &bucket_id) {
            Some(p) => Some(p),
            // The first entry of this version becomes the bucket.
            None => find(entries, &first).inspect(|p| {
                if let Some(e) = entries.get_mut(*p) {
                    e.manager = ANCIENT_CHANGES.to_string();
                    e.subresource = String::new();
                }
            }),
        };
        match bucket_pos.and_then(|p| entries.get_mut(p)) {
            Some(b) => {
                b.set.union_with(&merged.set);
                b.time = merged.time;
            }
            None => entries.push(Entry {
                set: merged.set,
                time: merged.time,
                ..bucket
            }),
        }
        length -= 1;
    }
}

/// The `metadata.managedFields` list after a non-apply write of `new` over `old`
/// (`None` on create) by `manager` at `api_version`, to `subresource` (`Some("status")`
/// for `/status`), at `time` (RFC 3339, seconds). `status_is_subresource` says whether
/// the resource has a status subresource. `definition` is the OpenAPI definition of
/// the object (`None` for custom resources without a schema: lists are atomic).
///
/// The starting entries are `old`'s, or the ones `new` brings (main resource only);
/// `[]` in `new` resets them. See the module documentation for the rules.
#[allow(clippy::too_many_arguments)]
pub fn update_managed_fields(
    old: Option<&Value>,
    new: &Value,
    definition: Option<&str>,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
    status_is_subresource: bool,
    time: &str,
) -> Value {
    update_managed_fields_typed(
        old,
        new,
        TypeSource::Builtin(definition),
        manager,
        api_version,
        subresource,
        status_is_subresource,
        time,
    )
}

/// [`update_managed_fields`] with the type information given explicitly (custom
/// resources with a schema).
#[allow(clippy::too_many_arguments)]
pub fn update_managed_fields_typed(
    old: Option<&Value>,
    new: &Value,
    source: TypeSource<'_>,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
    status_is_subresource: bool,
    time: &str,
) -> Value {
    let (types, ty) = source.resolve();
    let mut entries = base_entries(old, new, subresource.is_some());

    let lhs = typed(types, ty, old);
    let rhs = typed(types, ty, Some(new));
    let mut cmp = compare(types, ty, &lhs, &rhs);
    cmp.exclude(&ignored_fields(
        &lhs,
        &rhs,
        subresource,
        status_is_subresource,
    ));

    let mut taken = cmp.added;
    taken.union_with(&cmp.modified);
    for entry in &mut entries {
        entry.set.difference(&taken);
        entry.set.difference(&cmp.removed);
    }
    entries.retain(|e| !e.set.is_empty());

    taken.difference(&strip_set());
    if !taken.is_empty() {
        let mine = Entry {
            manager: manager.to_string(),
            operation: "Update".to_string(),
            api_version: api_version.to_string(),
            subresource: subresource.unwrap_or_default().to_string(),
            time: Some(Value::String(time.to_string())),
            set: taken,
        };
        match find(&entries, &mine.identity()) {
            Some(pos) => {
                if let Some(e) = entries.get_mut(pos) {
                    e.set.union_with(&mine.set);
                    e.time = mine.time;
                }
            }
            None => entries.push(mine),
        }
    }

    cap_update_managers(&mut entries);
    sort_entries(&mut entries);
    Value::Array(entries.iter().map(Entry::encode).collect())
}

/// Whether Go's `unicode.IsPrint` holds (letters, marks, numbers, punctuation,
/// symbols and the ASCII space), approximated without Unicode category tables:
/// control, format, private-use, separator and noncharacter code points are not.
fn is_print(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD
        | 0x600..=0x605
        | 0x61C
        | 0x6DD
        | 0x70F
        | 0x180E
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x206F
        | 0xE000..=0xF8FF
        | 0xFDD0..=0xFDEF
        | 0xFEFF
        | 0xFFF9..=0xFFFB
        | 0xFFFE..=0xFFFF
        | 0xF0000..
    ) && (u & 0xFFFE) != 0xFFFE
}

/// kube's default field manager when a write has no `fieldManager`: the user agent
/// up to its first `/`, without unprintable characters, cut once it reaches 128
/// bytes (`kube-rs/0.99` gives `kube-rs`, `kubectl/v1.33.0 (linux/amd64)` gives
/// `kubectl`).
pub fn manager_from_user_agent(ua: &str) -> String {
    let prefix = ua.split('/').next().unwrap_or_default();
    let mut out = String::new();
    for c in prefix.chars() {
        if !is_print(c) {
            continue;
        }
        if out.len() >= MAX_MANAGER_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

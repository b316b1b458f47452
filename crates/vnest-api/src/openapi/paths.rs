//! The REST operations of a group-version (paths, verbs, parameters, bodies,
//! responses) as a flavour-neutral model, and its rendering into OpenAPI v2 and v3.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::catalog::{
    Catalog, Flavor, API_RESOURCE_LIST, DELETE_OPTIONS, LIST_META, OBJECT_META, PATCH, STATUS,
    WATCH_EVENT,
};
use super::{Gvk, ResourceSpec, SubresourceSpec};

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ParamIn {
    Path,
    Query,
}

impl ParamIn {
    fn as_str(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
        }
    }
}

/// One request parameter.
#[derive(Clone, Copy, Debug)]
struct Param {
    name: &'static str,
    location: ParamIn,
    ty: &'static str,
    description: &'static str,
}

const fn query(name: &'static str, ty: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: ParamIn::Query,
        ty,
        description,
    }
}

const fn path_param(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: ParamIn::Path,
        ty: "string",
        description,
    }
}

const P_NAME: Param = path_param("name", "Name of the object.");
const P_NAMESPACE: Param = path_param("namespace", "Namespace of the object.");
const P_PATH: Param = path_param("path", "Path to forward to.");
const Q_PRETTY: Param = query(
    "pretty",
    "string",
    "If 'true', the response is indented for humans.",
);
const Q_ALLOW_WATCH_BOOKMARKS: Param = query(
    "allowWatchBookmarks",
    "boolean",
    "Ask for BOOKMARK events in a watch; servers may ignore it.",
);
const Q_CONTINUE: Param = query(
    "continue",
    "string",
    "Token from a previous paginated list to fetch the next page.",
);
const Q_DRY_RUN: Param = query(
    "dryRun",
    "string",
    "When set to All, the request is validated and processed but nothing is persisted.",
);
const Q_FIELD_MANAGER: Param = query(
    "fieldManager",
    "string",
    "Name of the actor making the change, recorded in managedFields; required for apply patches.",
);
const Q_FIELD_SELECTOR: Param = query(
    "fieldSelector",
    "string",
    "Only return objects whose fields match this selector.",
);
const Q_FIELD_VALIDATION: Param = query(
    "fieldValidation",
    "string",
    "How to treat unknown or duplicate fields in the body: Ignore, Warn (default) or Strict.",
);
const Q_FORCE: Param = query(
    "force",
    "boolean",
    "Apply patches only: take over fields owned by other managers instead of failing on conflicts.",
);
const Q_GRACE_PERIOD: Param = query(
    "gracePeriodSeconds",
    "integer",
    "Seconds to wait before the object is deleted; 0 deletes immediately.",
);
const Q_IGNORE_STORE_READ_ERROR: Param = query(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "Delete objects that cannot be read from storage. Dangerous; needs special permission.",
);
const Q_LABEL_SELECTOR: Param = query(
    "labelSelector",
    "string",
    "Only return objects whose labels match this selector.",
);
const Q_LIMIT: Param = query(
    "limit",
    "integer",
    "Maximum number of objects to return; the rest is available through the continue token.",
);
const Q_ORPHAN_DEPENDENTS: Param = query(
    "orphanDependents",
    "boolean",
    "Deprecated, use propagationPolicy: whether dependents are orphaned.",
);
const Q_PROPAGATION_POLICY: Param = query(
    "propagationPolicy",
    "string",
    "Garbage collection of dependents: Orphan, Background or Foreground.",
);
const Q_RESOURCE_VERSION: Param = query(
    "resourceVersion",
    "string",
    "Resource version constraint for the read; see resourceVersionMatch.",
);
const Q_RESOURCE_VERSION_MATCH: Param = query(
    "resourceVersionMatch",
    "string",
    "How resourceVersion is applied to a list: Exact or NotOlderThan.",
);
const Q_SEND_INITIAL_EVENTS: Param = query(
    "sendInitialEvents",
    "boolean",
    "With watch=true, start the stream with synthetic ADDED events for the current state.",
);
const Q_TIMEOUT_SECONDS: Param = query(
    "timeoutSeconds",
    "integer",
    "Upper bound on the duration of a list or watch call.",
);
const Q_WATCH: Param = query(
    "watch",
    "boolean",
    "Stream changes (add, update, remove) instead of returning a list.",
);

const LIST_PARAMS: &[Param] = &[
    Q_ALLOW_WATCH_BOOKMARKS,
    Q_CONTINUE,
    Q_FIELD_SELECTOR,
    Q_LABEL_SELECTOR,
    Q_LIMIT,
    Q_RESOURCE_VERSION,
    Q_RESOURCE_VERSION_MATCH,
    Q_SEND_INITIAL_EVENTS,
    Q_TIMEOUT_SECONDS,
    Q_WATCH,
];
const WRITE_PARAMS: &[Param] = &[Q_DRY_RUN, Q_FIELD_MANAGER, Q_FIELD_VALIDATION];
const PATCH_PARAMS: &[Param] = &[Q_DRY_RUN, Q_FIELD_MANAGER, Q_FIELD_VALIDATION, Q_FORCE];
const DELETE_PARAMS: &[Param] = &[
    Q_DRY_RUN,
    Q_GRACE_PERIOD,
    Q_IGNORE_STORE_READ_ERROR,
    Q_ORPHAN_DEPENDENTS,
    Q_PROPAGATION_POLICY,
];
const DELETE_COLLECTION_PARAMS: &[Param] = &[
    Q_CONTINUE,
    Q_DRY_RUN,
    Q_FIELD_SELECTOR,
    Q_GRACE_PERIOD,
    Q_IGNORE_STORE_READ_ERROR,
    Q_LABEL_SELECTOR,
    Q_LIMIT,
    Q_ORPHAN_DEPENDENTS,
    Q_PROPAGATION_POLICY,
    Q_RESOURCE_VERSION,
    Q_RESOURCE_VERSION_MATCH,
    Q_SEND_INITIAL_EVENTS,
    Q_TIMEOUT_SECONDS,
];
const LOG_PARAMS: &[Param] = &[
    query("container", "string", "Container to read the log of."),
    query("follow", "boolean", "Keep streaming the log."),
    query(
        "insecureSkipTLSVerifyBackend",
        "boolean",
        "Do not verify the serving certificate of the kubelet.",
    ),
    query("limitBytes", "integer", "Stop after this many bytes."),
    query(
        "previous",
        "boolean",
        "Read the log of the previous, terminated container.",
    ),
    query(
        "sinceSeconds",
        "integer",
        "Only lines newer than this many seconds.",
    ),
    query(
        "stream",
        "string",
        "Which stream to return: All, Stdout or Stderr.",
    ),
    query("tailLines", "integer", "Only this many lines from the end."),
    query(
        "timestamps",
        "boolean",
        "Prefix every line with its timestamp.",
    ),
];
const EXEC_PARAMS: &[Param] = &[
    query(
        "command",
        "string",
        "Command to run; repeat for each argument.",
    ),
    query("container", "string", "Container to run the command in."),
    query("stderr", "boolean", "Redirect the standard error stream."),
    query("stdin", "boolean", "Redirect the standard input stream."),
    query("stdout", "boolean", "Redirect the standard output stream."),
    query("tty", "boolean", "Allocate a terminal."),
];
const ATTACH_PARAMS: &[Param] = &[
    query("container", "string", "Container to attach to."),
    query("stderr", "boolean", "Redirect the standard error stream."),
    query("stdin", "boolean", "Redirect the standard input stream."),
    query("stdout", "boolean", "Redirect the standard output stream."),
    query("tty", "boolean", "Allocate a terminal."),
];
const PORTFORWARD_PARAMS: &[Param] = &[query("ports", "integer", "Ports to forward.")];
const PROXY_PARAMS: &[Param] = &[query("path", "string", "Path to forward to.")];

/// Content types of PATCH bodies. Custom resources do not take strategic merge patches.
const PATCH_CONTENT_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];
const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
/// Content types of responses that carry objects.
const OBJECT_CONTENT_TYPES: &[&str] = &["application/json", "application/yaml"];
const WATCH_CONTENT_TYPE: &str = "application/json;stream=watch";

/// A body or response schema.
#[derive(Clone, Debug)]
enum Schema {
    /// A definition, by name.
    Def(String),
    /// Plain text (logs, connect responses).
    Text,
}

/// A request body.
#[derive(Clone, Debug)]
enum Body {
    /// The object itself (create, replace).
    Object(String),
    /// A patch document; `strategic` says whether strategic merge patch is accepted.
    Patch { strategic: bool },
    /// Optional `DeleteOptions`.
    DeleteOptions,
}

/// One operation (HTTP method on a path).
#[derive(Clone, Debug)]
struct Operation {
    method: &'static str,
    operation_id: String,
    description: String,
    action: Option<&'static str>,
    gvk: Option<Gvk>,
    params: Vec<Param>,
    body: Option<Body>,
    responses: Vec<(u16, Schema)>,
    /// Whether the response may be a watch stream.
    stream: bool,
}

/// One path and its operations.
#[derive(Clone, Debug)]
struct PathItem {
    path: String,
    params: Vec<Param>,
    operations: Vec<Operation>,
}

/// A custom (non built-in) definition, already rendered for both flavours.
#[derive(Clone, Debug)]
pub(crate) struct CustomDefinition {
    pub name: String,
    pub v2: Value,
    pub v3: Value,
}

/// All operations of one group-version plus the definitions they need.
#[derive(Clone, Debug)]
pub(crate) struct GroupVersionModel {
    /// Tag of every operation (`apps_v1`).
    tag: String,
    paths: Vec<PathItem>,
    /// Built-in definitions referenced directly (the closure is taken at rendering).
    pub roots: BTreeSet<String>,
    pub custom: Vec<CustomDefinition>,
}

/// `/api/v1` or `/apis/<group>/<version>`.
pub(crate) fn url_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// `Core`, `Apps`, `RbacAuthorization`, `FlowcontrolApiserver`, `ExampleCom`.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".to_string();
    }
    let trimmed = group.strip_suffix(".k8s.io").unwrap_or(group);
    trimmed.split(['.', '-']).map(capitalize).collect()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `apps_v1`, `core_v1`, `rbacAuthorization_v1`.
fn tag(group: &str, version: &str) -> String {
    let camel = group_camel(group);
    let mut chars = camel.chars();
    let lower: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{lower}_{version}")
}

/// The definition name kube gives a custom resource: the group's labels reversed,
/// then version and kind (`com.example.v1.Widget`).
pub(crate) fn custom_definition_name(group: &str, version: &str, kind: &str) -> String {
    let mut labels: Vec<&str> = group.split('.').filter(|l| !l.is_empty()).collect();
    labels.reverse();
    labels.push(version);
    labels.push(kind);
    labels.join(".")
}

/// What a resource's kind and list kind resolve to.
struct KindDefs {
    kind: String,
    list: String,
    /// Whether the kind is a built-in type (takes strategic merge patches).
    builtin: bool,
}

fn string_prop(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn ref_prop(flavor: Flavor, target: &str, description: &str) -> Value {
    match flavor {
        Flavor::V3 => json!({
            "allOf": [flavor.reference(target)],
            "description": description,
        }),
        Flavor::V2 => json!({
            "$ref": format!("{}{}", flavor.ref_prefix(), target),
            "description": description,
        }),
    }
}

/// The schema of a custom resource kind. `schema` is the CRD version's
/// `openAPIV3Schema` (used as-is for v3); without one, or for v2, the kind accepts
/// any fields.
fn custom_kind_schema(gvk: &Gvk, schema: Option<&Value>, flavor: Flavor) -> Value {
    let given = match (flavor, schema) {
        (Flavor::V3, Some(Value::Object(map))) => Some(map.clone()),
        _ => None,
    };
    let permissive = given.is_none();
    let mut out = given.unwrap_or_default();
    out.entry("type").or_insert_with(|| json!("object"));
    out.entry("description")
        .or_insert_with(|| json!(format!("{} is a custom resource.", gvk.kind)));
    let mut properties = match out.remove("properties") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    properties.insert(
        "apiVersion".into(),
        string_prop("The group/version of this object's schema."),
    );
    properties.insert("kind".into(), string_prop("The kind of this object."));
    properties.insert(
        "metadata".into(),
        ref_prop(flavor, OBJECT_META, "Standard object metadata."),
    );
    out.insert("properties".into(), Value::Object(properties));
    if permissive {
        out.insert("x-kubernetes-preserve-unknown-fields".into(), json!(true));
    }
    out.insert(
        "x-kubernetes-group-version-kind".into(),
        json!([gvk.to_value()]),
    );
    Value::Object(out)
}

/// The schema of a list of `item_def` objects.
fn list_schema(list_gvk: &Gvk, item_def: &str, flavor: Flavor) -> Value {
    json!({
        "description": format!("{} is a list of {} objects.", list_gvk.kind,
            list_gvk.kind.strip_suffix("List").unwrap_or(&list_gvk.kind)),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": string_prop("The group/version of this object's schema."),
            "items": {
                "type": "array",
                "items": flavor.reference(item_def),
                "description": "The objects in this list.",
            },
            "kind": string_prop("The kind of this object."),
            "metadata": ref_prop(flavor, LIST_META, "Standard list metadata."),
        },
        "x-kubernetes-group-version-kind": [list_gvk.to_value()],
    })
}

fn push_custom(model: &mut GroupVersionModel, name: &str, v2: Value, v3: Value) {
    if model.custom.iter().all(|c| c.name != name) {
        model.custom.push(CustomDefinition {
            name: name.to_string(),
            v2,
            v3,
        });
    }
}

fn resolve_kind(
    catalog: &Catalog,
    group: &str,
    version: &str,
    resource: &ResourceSpec,
    model: &mut GroupVersionModel,
) -> KindDefs {
    let gvk = Gvk::new(group, version, &resource.kind);
    let list_gvk = Gvk::new(group, version, &format!("{}List", resource.kind));
    let builtin = if resource.schema.is_none() {
        catalog.by_gvk(group, version, &resource.kind)
    } else {
        None
    };
    let (kind, is_builtin) = match builtin {
        Some(name) => {
            model.roots.insert(name.to_string());
            (name.to_string(), true)
        }
        None => {
            let name = custom_definition_name(group, version, &resource.kind);
            let schema = resource.schema.as_ref();
            push_custom(
                model,
                &name,
                custom_kind_schema(&gvk, schema, Flavor::V2),
                custom_kind_schema(&gvk, schema, Flavor::V3),
            );
            model.roots.insert(OBJECT_META.to_string());
            (name, false)
        }
    };
    let builtin_list = if is_builtin {
        catalog.by_gvk(group, version, &list_gvk.kind)
    } else {
        None
    };
    let list = match builtin_list {
        Some(name) => {
            model.roots.insert(name.to_string());
            name.to_string()
        }
        None => {
            let name = format!("{kind}List");
            push_custom(
                model,
                &name,
                list_schema(&list_gvk, &kind, Flavor::V2),
                list_schema(&list_gvk, &kind, Flavor::V3),
            );
            model.roots.insert(LIST_META.to_string());
            name
        }
    };
    KindDefs {
        kind,
        list,
        builtin: is_builtin,
    }
}

fn has(verbs: &[String], verb: &str) -> bool {
    verbs.iter().any(|v| v == verb)
}

fn object_responses(def: &str, codes: &[u16]) -> Vec<(u16, Schema)> {
    codes
        .iter()
        .map(|code| (*code, Schema::Def(def.to_string())))
        .collect()
}

/// Everything needed to name operations of one resource.
struct Naming<'a> {
    gv: String,
    namespaced: bool,
    kind: &'a str,
}

impl Naming<'_> {
    /// `listAppsV1NamespacedDeployment`, `readCoreV1NodeStatus`, ...
    fn id(&self, verb: &str, sub: &str, suffix: &str) -> String {
        let scope = if self.namespaced { "Namespaced" } else { "" };
        format!("{verb}{}{scope}{}{sub}{suffix}", self.gv, self.kind)
    }
}

/// Builds the operation model of one group-version.
pub(crate) fn build(
    catalog: &Catalog,
    group: &str,
    version: &str,
    resources: &[ResourceSpec],
) -> GroupVersionModel {
    let mut model = GroupVersionModel {
        tag: tag(group, version),
        paths: Vec::new(),
        roots: BTreeSet::new(),
        custom: Vec::new(),
    };
    let prefix = url_prefix(group, version);
    let gv_camel = format!("{}{}", group_camel(group), capitalize(version));
    let mut paths: Vec<PathItem> = Vec::new();
    let mut uses_watch = false;
    // The group-version's resource list.
    paths.push(PathItem {
        path: format!("{prefix}/"),
        params: Vec::new(),
        operations: vec![Operation {
            method: "get",
            operation_id: format!("get{gv_camel}APIResources"),
            description: "List the resources available in this group-version.".to_string(),
            action: None,
            gvk: None,
            params: Vec::new(),
            body: None,
            responses: vec![(200, Schema::Def(API_RESOURCE_LIST.to_string()))],
            stream: false,
        }],
    });
    model.roots.insert(API_RESOURCE_LIST.to_string());

    for resource in resources {
        let defs = resolve_kind(catalog, group, version, resource, &mut model);
        let gvk = Gvk::new(group, version, &resource.kind);
        let naming = Naming {
            gv: gv_camel.clone(),
            namespaced: resource.namespaced,
            kind: &resource.kind,
        };
        let collection = if resource.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", resource.plural)
        } else {
            format!("{prefix}/{}", resource.plural)
        };
        let item = format!("{collection}/{{name}}");
        let scope_params = |with_name: bool| {
            let mut params = Vec::new();
            if with_name {
                params.push(P_NAME);
            }
            if resource.namespaced {
                params.push(P_NAMESPACE);
            }
            params.push(Q_PRETTY);
            params
        };
        let verbs = &resource.verbs;
        let kind = resource.kind.as_str();
        let op = |method: &'static str,
                  id: String,
                  description: String,
                  action: &'static str,
                  params: &[Param],
                  body: Option<Body>,
                  responses: Vec<(u16, Schema)>| Operation {
            method,
            operation_id: id,
            description,
            action: Some(action),
            gvk: Some(gvk.clone()),
            params: params.to_vec(),
            body,
            responses,
            stream: action == "list" || action == "watch" || action == "watchlist",
        };

        // Collection.
        let mut operations = Vec::new();
        if has(verbs, "list") {
            operations.push(op(
                "get",
                naming.id("list", "", ""),
                format!("List or watch {kind} objects."),
                "list",
                LIST_PARAMS,
                None,
                object_responses(&defs.list, &[200]),
            ));
        }
        if has(verbs, "create") {
            operations.push(op(
                "post",
                naming.id("create", "", ""),
                format!("Create a {kind}."),
                "post",
                WRITE_PARAMS,
                Some(Body::Object(defs.kind.clone())),
                object_responses(&defs.kind, &[200, 201, 202]),
            ));
        }
        if has(verbs, "deletecollection") {
            let collection_naming = Naming {
                gv: format!("{gv_camel}Collection"),
                namespaced: resource.namespaced,
                kind,
            };
            operations.push(op(
                "delete",
                collection_naming.id("delete", "", ""),
                format!("Delete a collection of {kind} objects."),
                "deletecollection",
                DELETE_COLLECTION_PARAMS,
                Some(Body::DeleteOptions),
                object_responses(STATUS, &[200]),
            ));
        }
        if !operations.is_empty() {
            paths.push(PathItem {
                path: collection.clone(),
                params: scope_params(false),
                operations,
            });
        }

        // Single object.
        let mut operations = Vec::new();
        if has(verbs, "get") {
            operations.push(op(
                "get",
                naming.id("read", "", ""),
                format!("Read the specified {kind}."),
                "get",
                &[],
                None,
                object_responses(&defs.kind, &[200]),
            ));
        }
        if has(verbs, "update") {
            operations.push(op(
                "put",
                naming.id("replace", "", ""),
                format!("Replace the specified {kind}."),
                "put",
                WRITE_PARAMS,
                Some(Body::Object(defs.kind.clone())),
                object_responses(&defs.kind, &[200, 201]),
            ));
        }
        if has(verbs, "delete") {
            operations.push(op(
                "delete",
                naming.id("delete", "", ""),
                format!("Delete the specified {kind}."),
                "delete",
                DELETE_PARAMS,
                Some(Body::DeleteOptions),
                object_responses(STATUS, &[200, 202]),
            ));
        }
        if has(verbs, "patch") {
            operations.push(op(
                "patch",
                naming.id("patch", "", ""),
                format!("Partially update the specified {kind}."),
                "patch",
                PATCH_PARAMS,
                Some(Body::Patch {
                    strategic: defs.builtin,
                }),
                object_responses(&defs.kind, &[200, 201]),
            ));
        }
        if !operations.is_empty() {
            paths.push(PathItem {
                path: item.clone(),
                params: scope_params(true),
                operations,
            });
        }

        // Listing across namespaces.
        if resource.namespaced && has(verbs, "list") {
            paths.push(PathItem {
                path: format!("{prefix}/{}", resource.plural),
                params: vec![Q_PRETTY],
                operations: vec![op(
                    "get",
                    format!("list{gv_camel}{kind}ForAllNamespaces"),
                    format!("List or watch {kind} objects in all namespaces."),
                    "list",
                    LIST_PARAMS,
                    None,
                    object_responses(&defs.list, &[200]),
                )],
            });
        }

        // Deprecated watch paths.
        if has(verbs, "watch") {
            uses_watch = true;
            let watch_collection = if resource.namespaced {
                format!(
                    "{prefix}/watch/namespaces/{{namespace}}/{}",
                    resource.plural
                )
            } else {
                format!("{prefix}/watch/{}", resource.plural)
            };
            let watch_event = object_responses(WATCH_EVENT, &[200]);
            paths.push(PathItem {
                path: watch_collection.clone(),
                params: scope_params(false),
                operations: vec![op(
                    "get",
                    naming.id("watch", "", "List"),
                    format!("Watch changes to a list of {kind} objects (deprecated: use list with watch=true)."),
                    "watchlist",
                    LIST_PARAMS,
                    None,
                    watch_event.clone(),
                )],
            });
            paths.push(PathItem {
                path: format!("{watch_collection}/{{name}}"),
                params: scope_params(true),
                operations: vec![op(
                    "get",
                    naming.id("watch", "", ""),
                    format!("Watch changes to a {kind} (deprecated: use list with watch=true and a field selector)."),
                    "watch",
                    LIST_PARAMS,
                    None,
                    watch_event.clone(),
                )],
            });
            if resource.namespaced {
                paths.push(PathItem {
                    path: format!("{prefix}/watch/{}", resource.plural),
                    params: vec![Q_PRETTY],
                    operations: vec![op(
                        "get",
                        format!("watch{gv_camel}{kind}ListForAllNamespaces"),
                        format!("Watch changes to {kind} objects in all namespaces (deprecated)."),
                        "watchlist",
                        LIST_PARAMS,
                        None,
                        watch_event,
                    )],
                });
            }
        }

        for sub in &resource.subresources {
            subresource_paths(
                catalog,
                group,
                version,
                &naming,
                &item,
                scope_params(true),
                sub,
                (&resource.kind, &defs.kind),
                &mut paths,
                &mut model,
            );
        }
    }
    model.roots.insert(STATUS.to_string());
    model.roots.insert(DELETE_OPTIONS.to_string());
    model.roots.insert(PATCH.to_string());
    if uses_watch {
        model.roots.insert(WATCH_EVENT.to_string());
    }
    model.paths = paths;
    model
}

/// `EphemeralContainers` for `ephemeralcontainers`, `Status` for `status`.
fn subresource_camel(name: &str) -> String {
    match name {
        "ephemeralcontainers" => "EphemeralContainers".to_string(),
        other => capitalize(other),
    }
}

/// HTTP method and operation-id word of a connect verb.
fn connect_method(verb: &str) -> Option<(&'static str, &'static str)> {
    match verb {
        "get" => Some(("get", "Get")),
        "create" => Some(("post", "Post")),
        "update" => Some(("put", "Put")),
        "delete" => Some(("delete", "Delete")),
        "patch" => Some(("patch", "Patch")),
        _ => None,
    }
}

/// Paths of one subresource of a resource whose single-object path is `item`.
#[allow(clippy::too_many_arguments)]
fn subresource_paths(
    catalog: &Catalog,
    group: &str,
    version: &str,
    naming: &Naming<'_>,
    item: &str,
    params: Vec<Param>,
    sub: &SubresourceSpec,
    // The parent's kind and definition: a subresource of the parent's own kind
    // (`status` of a custom resource) uses the parent's definition.
    parent: (&str, &str),
    paths: &mut Vec<PathItem>,
    model: &mut GroupVersionModel,
) {
    let path = format!("{item}/{}", sub.name);
    let sub_group = sub.group.as_deref().unwrap_or(group);
    let sub_version = sub.version.as_deref().unwrap_or(version);
    let gvk = Gvk::new(sub_group, sub_version, &sub.kind);
    let camel = subresource_camel(&sub.name);
    let kind = naming.kind;
    let same_kind = sub.kind == parent.0 && sub.group.is_none() && sub.version.is_none();
    let definition = catalog
        .by_gvk(sub_group, sub_version, &sub.kind)
        .or(if same_kind { Some(parent.1) } else { None });

    if sub.name == "log" {
        if has(&sub.verbs, "get") {
            paths.push(PathItem {
                path,
                params,
                operations: vec![Operation {
                    method: "get",
                    operation_id: naming.id("read", &camel, ""),
                    description: format!("Read the log of the specified {kind}."),
                    action: Some("get"),
                    gvk: Some(gvk),
                    params: LOG_PARAMS.to_vec(),
                    body: None,
                    responses: vec![(200, Schema::Text)],
                    stream: false,
                }],
            });
        }
        return;
    }

    let connect = matches!(
        sub.name.as_str(),
        "exec" | "attach" | "portforward" | "proxy"
    ) || definition.is_none();
    if connect {
        let query_params: &[Param] = match sub.name.as_str() {
            "exec" => EXEC_PARAMS,
            "attach" => ATTACH_PARAMS,
            "portforward" => PORTFORWARD_PARAMS,
            "proxy" => PROXY_PARAMS,
            _ => &[],
        };
        let connect_ops = |with_path: bool| -> Vec<Operation> {
            sub.verbs
                .iter()
                .filter_map(|verb| connect_method(verb))
                .map(|(method, word)| {
                    let connect_naming = Naming {
                        gv: format!("{}{word}", naming.gv),
                        namespaced: naming.namespaced,
                        kind,
                    };
                    let suffix = if with_path { "WithPath" } else { "" };
                    Operation {
                        method,
                        operation_id: connect_naming.id("connect", &camel, suffix),
                        description: format!(
                            "Connect {} requests to the {} of a {kind}.",
                            method.to_uppercase(),
                            sub.name
                        ),
                        action: Some("connect"),
                        gvk: Some(gvk.clone()),
                        params: if with_path {
                            Vec::new()
                        } else {
                            query_params.to_vec()
                        },
                        body: None,
                        responses: vec![(200, Schema::Text)],
                        stream: false,
                    }
                })
                .collect()
        };
        let operations = connect_ops(false);
        if !operations.is_empty() {
            paths.push(PathItem {
                path: path.clone(),
                params: params.clone(),
                operations,
            });
        }
        if sub.name == "proxy" {
            let operations = connect_ops(true);
            if !operations.is_empty() {
                let mut with_path = params;
                with_path.insert(0, P_PATH);
                paths.push(PathItem {
                    path: format!("{path}/{{path}}"),
                    params: with_path,
                    operations,
                });
            }
        }
        return;
    }

    let Some(definition) = definition else {
        return;
    };
    model.roots.insert(definition.to_string());
    let what = if sub.name == "status" || sub.name == "scale" {
        format!("the {} of", sub.name)
    } else {
        format!("the {} subresource of", sub.name)
    };
    let build = |method: &'static str,
                 verb: &str,
                 description: String,
                 action: &'static str,
                 params: &[Param],
                 body: Option<Body>,
                 codes: &[u16]| Operation {
        method,
        operation_id: naming.id(verb, &camel, ""),
        description,
        action: Some(action),
        gvk: Some(gvk.clone()),
        params: params.to_vec(),
        body,
        responses: object_responses(definition, codes),
        stream: false,
    };
    let mut operations = Vec::new();
    if has(&sub.verbs, "get") {
        operations.push(build(
            "get",
            "read",
            format!("Read {what} the specified {kind}."),
            "get",
            &[],
            None,
            &[200],
        ));
    }
    if has(&sub.verbs, "update") {
        operations.push(build(
            "put",
            "replace",
            format!("Replace {what} the specified {kind}."),
            "put",
            WRITE_PARAMS,
            Some(Body::Object(definition.to_string())),
            &[200, 201],
        ));
    }
    if has(&sub.verbs, "create") {
        operations.push(build(
            "post",
            "create",
            format!("Create {what} a {kind}."),
            "post",
            WRITE_PARAMS,
            Some(Body::Object(definition.to_string())),
            &[200, 201, 202],
        ));
    }
    if has(&sub.verbs, "patch") {
        operations.push(build(
            "patch",
            "patch",
            format!("Partially update {what} the specified {kind}."),
            "patch",
            PATCH_PARAMS,
            Some(Body::Patch { strategic: true }),
            &[200, 201],
        ));
    }
    if !operations.is_empty() {
        paths.push(PathItem {
            path,
            params,
            operations,
        });
    }
}

/// Order of the operations inside a path object.
const METHOD_ORDER: &[&str] = &["get", "put", "post", "delete", "patch"];

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        401 => "Unauthorized",
        _ => "Response",
    }
}

fn param_v3(param: &Param) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(param.name));
    out.insert("in".into(), json!(param.location.as_str()));
    out.insert("description".into(), json!(param.description));
    if param.location == ParamIn::Path {
        out.insert("required".into(), json!(true));
    }
    out.insert(
        "schema".into(),
        json!({ "type": param.ty, "uniqueItems": true }),
    );
    Value::Object(out)
}

fn param_v2(param: &Param) -> Value {
    let mut out = Map::new();
    out.insert("uniqueItems".into(), json!(true));
    out.insert("type".into(), json!(param.ty));
    out.insert("description".into(), json!(param.description));
    out.insert("name".into(), json!(param.name));
    out.insert("in".into(), json!(param.location.as_str()));
    if param.location == ParamIn::Path {
        out.insert("required".into(), json!(true));
    }
    Value::Object(out)
}

fn patch_content_types(strategic: bool) -> impl Iterator<Item = &'static str> {
    PATCH_CONTENT_TYPES
        .iter()
        .copied()
        .filter(move |ct| strategic || *ct != STRATEGIC_MERGE_PATCH)
}

fn operation_v3(op: &Operation, tag: &str) -> Value {
    let flavor = Flavor::V3;
    let mut out = Map::new();
    out.insert("tags".into(), json!([tag]));
    out.insert("description".into(), json!(op.description));
    out.insert("operationId".into(), json!(op.operation_id));
    if !op.params.is_empty() {
        out.insert(
            "parameters".into(),
            Value::Array(op.params.iter().map(param_v3).collect()),
        );
    }
    if let Some(body) = &op.body {
        let request = match body {
            Body::Object(def) => json!({
                "content": { "*/*": { "schema": flavor.reference(def) } },
                "required": true,
            }),
            Body::Patch { strategic } => {
                let content: Map<String, Value> = patch_content_types(*strategic)
                    .map(|ct| (ct.to_string(), json!({ "schema": flavor.reference(PATCH) })))
                    .collect();
                json!({ "content": content, "required": true })
            }
            Body::DeleteOptions => json!({
                "content": { "*/*": { "schema": flavor.reference(DELETE_OPTIONS) } },
            }),
        };
        out.insert("requestBody".into(), request);
    }
    let mut responses = Map::new();
    for (code, schema) in &op.responses {
        let mut content = Map::new();
        match schema {
            Schema::Def(def) => {
                for ct in OBJECT_CONTENT_TYPES {
                    content.insert(ct.to_string(), json!({ "schema": flavor.reference(def) }));
                }
                if op.stream {
                    content.insert(
                        WATCH_CONTENT_TYPE.to_string(),
                        json!({ "schema": flavor.reference(def) }),
                    );
                }
            }
            Schema::Text => {
                content.insert("*/*".into(), json!({ "schema": { "type": "string" } }));
            }
        }
        responses.insert(
            code.to_string(),
            json!({ "description": status_text(*code), "content": content }),
        );
    }
    responses.insert("401".into(), json!({ "description": status_text(401) }));
    out.insert("responses".into(), Value::Object(responses));
    if let Some(action) = op.action {
        out.insert("x-kubernetes-action".into(), json!(action));
    }
    if let Some(gvk) = &op.gvk {
        out.insert("x-kubernetes-group-version-kind".into(), gvk.to_value());
    }
    Value::Object(out)
}

fn operation_v2(op: &Operation, tag: &str) -> Value {
    let flavor = Flavor::V2;
    let mut out = Map::new();
    out.insert("tags".into(), json!([tag]));
    out.insert("description".into(), json!(op.description));
    let mut parameters = Vec::new();
    if let Some(body) = &op.body {
        let (consumes, schema, required): (Vec<&str>, &str, bool) = match body {
            Body::Object(def) => (vec!["*/*"], def.as_str(), true),
            Body::Patch { strategic } => (patch_content_types(*strategic).collect(), PATCH, true),
            Body::DeleteOptions => (vec!["*/*"], DELETE_OPTIONS, false),
        };
        out.insert("consumes".into(), json!(consumes));
        let mut param = Map::new();
        param.insert("name".into(), json!("body"));
        param.insert("in".into(), json!("body"));
        if required {
            param.insert("required".into(), json!(true));
        }
        param.insert("schema".into(), flavor.reference(schema));
        parameters.push(Value::Object(param));
    } else {
        out.insert("consumes".into(), json!(["*/*"]));
    }
    let text_only = op.responses.iter().all(|(_, s)| matches!(s, Schema::Text));
    let mut produces: Vec<&str> = if text_only {
        vec!["*/*"]
    } else {
        OBJECT_CONTENT_TYPES.to_vec()
    };
    if op.stream {
        produces.push(WATCH_CONTENT_TYPE);
    }
    out.insert("produces".into(), json!(produces));
    out.insert("schemes".into(), json!(["https"]));
    out.insert("operationId".into(), json!(op.operation_id));
    parameters.extend(op.params.iter().map(param_v2));
    if !parameters.is_empty() {
        out.insert("parameters".into(), Value::Array(parameters));
    }
    let mut responses = Map::new();
    for (code, schema) in &op.responses {
        let schema = match schema {
            Schema::Def(def) => flavor.reference(def),
            Schema::Text => json!({ "type": "string" }),
        };
        responses.insert(
            code.to_string(),
            json!({ "description": status_text(*code), "schema": schema }),
        );
    }
    responses.insert("401".into(), json!({ "description": status_text(401) }));
    out.insert("responses".into(), Value::Object(responses));
    if let Some(action) = op.action {
        out.insert("x-kubernetes-action".into(), json!(action));
    }
    if let Some(gvk) = &op.gvk {
        out.insert("x-kubernetes-group-version-kind".into(), gvk.to_value());
    }
    Value::Object(out)
}

impl GroupVersionModel {
    /// The `paths` object entries for `flavor`, in insertion order.
    pub fn render_paths(&self, flavor: Flavor, into: &mut Map<String, Value>) {
        for item in &self.paths {
            let mut path = Map::new();
            for method in METHOD_ORDER {
                for op in item.operations.iter().filter(|op| op.method == *method) {
                    let rendered = match flavor {
                        Flavor::V2 => operation_v2(op, &self.tag),
                        Flavor::V3 => operation_v3(op, &self.tag),
                    };
                    path.insert(op.method.to_string(), rendered);
                }
            }
            if !item.params.is_empty() {
                let params = item
                    .params
                    .iter()
                    .map(|p| match flavor {
                        Flavor::V2 => param_v2(p),
                        Flavor::V3 => param_v3(p),
                    })
                    .collect();
                path.insert("parameters".into(), Value::Array(params));
            }
            into.insert(item.path.clone(), Value::Object(path));
        }
    }
}

//! Short descriptions for the schemas. The recorded metadata carries none, and
//! `kubectl explain` prints them, so every definition and property gets a sentence
//! of vnest's own: hand-written for the fields people look up most, derived from the
//! names and structure otherwise.

use super::catalog::{short_name, Definition, PropMeta};

/// A definition's description.
pub(crate) fn definition(name: &str, definition: &Definition) -> String {
    let short = short_name(name);
    if let Some(text) = well_known_definition(name) {
        return text.to_string();
    }
    if let Some(gvk) = definition.meta.gvk.first() {
        if definition.meta.gvk.len() == 1 {
            let gv = if gvk.group.is_empty() {
                gvk.version.clone()
            } else {
                format!("{}/{}", gvk.group, gvk.version)
            };
            let has_items = definition.properties.iter().any(|(p, _)| p == "items");
            if let (Some(item), true) = (gvk.kind.strip_suffix("List"), has_items) {
                return format!("{} is a list of {item} objects ({gv}).", gvk.kind);
            }
            return format!("{} is {} {gv} API object.", gvk.kind, article(&gv));
        }
    }
    let package = package_of(name);
    if let Some(owner) = short.strip_suffix("Spec").filter(|o| !o.is_empty()) {
        return format!("{short} is the desired state of a {owner} ({package}).");
    }
    if let Some(owner) = short.strip_suffix("Status").filter(|o| !o.is_empty()) {
        return format!("{short} is the most recently observed state of a {owner} ({package}).");
    }
    format!("{short} is a structure used by the {package} API types.")
}

/// `an` before a vowel sound (`an apps/v1`; `a v1`), `a` otherwise.
fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// `apps/v1` for `io.k8s.api.apps.v1.Deployment`, `meta/v1` for the apimachinery
/// `ObjectMeta`; the dotted package otherwise.
fn package_of(name: &str) -> String {
    let without_type = name.rsplit_once('.').map(|(p, _)| p).unwrap_or(name);
    let trimmed = without_type
        .strip_prefix("io.k8s.api.")
        .or_else(|| without_type.strip_prefix("io.k8s.apimachinery.pkg.apis."))
        .or_else(|| without_type.strip_prefix("io.k8s.apimachinery.pkg."))
        .or_else(|| without_type.strip_prefix("io.k8s.apiextensions-apiserver.pkg.apis."))
        .or_else(|| without_type.strip_prefix("io.k8s.kube-aggregator.pkg.apis."))
        .unwrap_or(without_type);
    match trimmed.rsplit_once('.') {
        Some((package, version)) if version.starts_with('v') => format!("{package}/{version}"),
        _ => trimmed.to_string(),
    }
}

fn well_known_definition(name: &str) -> Option<&'static str> {
    let text = match name {
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" => {
            "Metadata every persisted object carries: its name and namespace, labels and \
             annotations, and the fields the server maintains (uid, resourceVersion, \
             generation, timestamps, owners, finalizers, managed fields)."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta" => {
            "Metadata of a list response: the resourceVersion the list was read at and, \
             for paginated lists, the token to fetch the next page."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time" => {
            "A point in time, serialized as an RFC 3339 string with second precision."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => {
            "A point in time, serialized as an RFC 3339 string with microsecond precision."
        }
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
            "A decimal or binary amount such as 100m, 1.5, 2Gi or 1e3; written as a \
             string (plain numbers are accepted too)."
        }
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
            "A value that is either an integer or a string, such as a port number or a \
             named port, or a count or a percentage."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector" => {
            "Selects objects by their labels. matchLabels and matchExpressions are ANDed; \
             an empty selector matches everything, a missing one matches nothing."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status" => {
            "The result of an operation that does not return an object, most often an \
             error: its status, reason, message, HTTP code and details."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions" => {
            "Options of a delete request: grace period, preconditions, dry run and how \
             dependents are handled."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch" => {
            "The body of a PATCH request; its format is chosen by the Content-Type (JSON \
             patch, merge patch, strategic merge patch or apply configuration)."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent" => {
            "One event of a watch stream: its type (ADDED, MODIFIED, DELETED, BOOKMARK or \
             ERROR) and the object it concerns."
        }
        "io.k8s.apimachinery.pkg.runtime.RawExtension" => {
            "An embedded object of any kind, carried as-is."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1" => {
            "A set of fields in the compact trie format used by server-side apply."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry" => {
            "Which manager owns which fields of an object, as recorded by server-side \
             apply."
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference" => {
            "Points at an object that owns this one; owned objects are garbage-collected \
             once all their owners are gone."
        }
        "io.k8s.api.core.v1.Container" => {
            "One container of a pod: the image to run, its command and arguments, \
             environment, ports, volume mounts, resources, probes and security settings."
        }
        "io.k8s.api.core.v1.PodSpec" => {
            "The desired state of a pod: its containers and volumes, and how and where it \
             is scheduled and run."
        }
        "io.k8s.api.core.v1.PodTemplateSpec" => {
            "The template from which a controller creates pods: pod metadata plus a pod \
             spec."
        }
        "io.k8s.api.core.v1.ContainerPort" => "A network port a container exposes.",
        "io.k8s.api.core.v1.EnvVar" => {
            "An environment variable of a container: a literal value or a reference to a \
             ConfigMap key, Secret key, field or resource."
        }
        "io.k8s.api.core.v1.ServicePort" => {
            "A port a service exposes and the pod port it forwards to."
        }
        "io.k8s.api.apps.v1.DeploymentSpec" => {
            "The desired state of a deployment: how many replicas of which pod template, \
             selected how, and how to roll out changes."
        }
        _ => return None,
    };
    Some(text)
}

/// A property's description.
pub(crate) fn property(parent: &str, name: &str, prop: &PropMeta) -> String {
    let mut text = well_known_property(parent, name, prop)
        .unwrap_or_else(|| generic_property(parent, name, prop));
    if prop.list_type.as_deref() == Some("map") {
        if let Some(keys) = &prop.list_map_keys {
            text.push_str(&format!(
                " Entries are identified by {}; a key may appear only once.",
                keys.join(" + ")
            ));
        }
    } else if prop.list_type.as_deref() == Some("set") {
        text.push_str(" Values must be unique.");
    }
    text
}

/// A sentence derived from the property's name and shape.
fn generic_property(parent: &str, name: &str, prop: &PropMeta) -> String {
    let human = humanize(name);
    if let Some(target) = &prop.reference {
        return format!("{human} of this {parent} (see {}).", short_name(target));
    }
    let element = prop
        .items_ref
        .as_deref()
        .map(short_name)
        .or(prop.items_type.as_deref());
    if let Some(element) = element {
        return format!("{human} of this {parent}: a list of {element} values.");
    }
    let value = prop
        .additional_ref
        .as_deref()
        .map(short_name)
        .or(prop.additional_type.as_deref());
    if let Some(value) = value {
        return format!("{human} of this {parent}: a map from string keys to {value} values.");
    }
    match prop.ty.as_deref() {
        Some("boolean") => format!("{human}: a true/false setting of this {parent}."),
        _ => format!("{human} setting of this {parent}."),
    }
}

fn well_known_property(parent: &str, name: &str, prop: &PropMeta) -> Option<String> {
    let reference = prop.reference.as_deref().map(short_name);
    let text = match (name, reference) {
        ("apiVersion", _) => "The group/version of this object's schema, such as v1 or \
             apps/v1."
            .to_string(),
        ("kind", _) if parent != "APIResource" => {
            "The kind of this object, in CamelCase, such as Pod or Deployment.".to_string()
        }
        ("metadata", Some("ObjectMeta")) => {
            "Standard object metadata: name, namespace, labels, annotations and the \
             fields the server maintains."
                .to_string()
        }
        ("metadata", Some("ListMeta")) => {
            "Standard list metadata: resourceVersion and pagination token.".to_string()
        }
        ("spec", Some(_)) => format!("The desired state of this {parent}."),
        ("status", Some(_)) => format!(
            "The most recently observed state of this {parent}; written by the system, \
             read-only for clients."
        ),
        ("items", _) if parent.ends_with("List") => "The objects in this list.".to_string(),
        ("name", _) if parent == "ObjectMeta" => {
            "The object's name, unique within its namespace (or the cluster for \
             cluster-scoped kinds)."
                .to_string()
        }
        ("namespace", _) if parent == "ObjectMeta" => {
            "The namespace the object lives in; empty for cluster-scoped kinds.".to_string()
        }
        ("name", _) if prop.ty.as_deref() == Some("string") => format!("Name of this {parent}."),
        ("generateName", _) => {
            "A prefix from which the server generates a unique name when name is empty.".to_string()
        }
        ("labels", _) => "Key/value pairs used to organize and select objects.".to_string(),
        ("annotations", _) => {
            "Arbitrary key/value metadata for tools; not used for selection.".to_string()
        }
        ("uid", _) if parent == "ObjectMeta" => {
            "Unique identifier the server assigns at creation; never reused.".to_string()
        }
        ("resourceVersion", _) if parent == "ObjectMeta" => {
            "Opaque version of the object, changed on every write; used for optimistic \
             concurrency and watches."
                .to_string()
        }
        ("generation", _) => {
            "Sequence number of the desired state, incremented by the server.".to_string()
        }
        ("creationTimestamp", _) => "When the object was created.".to_string(),
        ("deletionTimestamp", _) => {
            "When the object will be (or started being) deleted; set by the server.".to_string()
        }
        ("finalizers", _) => {
            "Entries that must be removed before the object is actually deleted.".to_string()
        }
        ("ownerReferences", _) => "The objects this object depends on (its owners).".to_string(),
        ("managedFields", _) => "Field ownership recorded by server-side apply.".to_string(),
        ("replicas", _) if parent.ends_with("Spec") => "Number of desired pods.".to_string(),
        ("selector", Some("LabelSelector")) => {
            "Label selector for the pods this object manages; must match the pod \
             template's labels."
                .to_string()
        }
        ("template", Some("PodTemplateSpec")) => {
            "The pod template from which pods are created.".to_string()
        }
        ("containers", _) => "The containers of the pod; at least one.".to_string(),
        ("initContainers", _) => {
            "Containers run one after another, to completion, before the regular \
             containers start."
                .to_string()
        }
        ("image", _) if parent == "Container" => {
            "The container image to run, such as nginx:1.27.".to_string()
        }
        ("command", _) if parent == "Container" => {
            "The entrypoint; replaces the image's ENTRYPOINT.".to_string()
        }
        ("args", _) if parent == "Container" => {
            "Arguments to the entrypoint; replace the image's CMD.".to_string()
        }
        ("ports", _) if parent == "Container" => {
            "Ports the container exposes (informational).".to_string()
        }
        ("env", _) => "Environment variables to set in the container.".to_string(),
        ("volumeMounts", _) => {
            "Volumes of the pod to mount into the container's filesystem.".to_string()
        }
        ("volumes", _) if parent == "PodSpec" => {
            "Volumes that containers of the pod can mount.".to_string()
        }
        ("resources", Some("ResourceRequirements")) => {
            "Compute resources (cpu, memory, ...) the container requests and is limited \
             to."
            .to_string()
        }
        ("data", _) if parent == "ConfigMap" => "Configuration data as UTF-8 strings.".to_string(),
        ("binaryData", _) => "Configuration data as base64-encoded bytes.".to_string(),
        ("data", _) if parent == "Secret" => "Secret data; values are base64-encoded.".to_string(),
        ("stringData", _) => {
            "Write-only convenience field: plain-text values merged into data on write.".to_string()
        }
        ("immutable", _) => "When true, the data can no longer be changed once set.".to_string(),
        ("strategy", _) if parent == "DeploymentSpec" => {
            "How existing pods are replaced by new ones.".to_string()
        }
        ("containerPort", _) => "Port number the container listens on.".to_string(),
        ("protocol", _) => "Protocol: TCP (default), UDP or SCTP.".to_string(),
        ("port", _) if parent == "ServicePort" => "Port the service exposes.".to_string(),
        ("targetPort", _) => "Port number or name on the pods to forward traffic to.".to_string(),
        ("type", _) if parent == "ServiceSpec" => {
            "How the service is exposed: ClusterIP, NodePort, LoadBalancer or \
             ExternalName."
                .to_string()
        }
        _ => return None,
    };
    Some(text)
}

/// Whether `chars[i]` is the last letter of an acronym followed by a plural `s`
/// (`IPs`, `CIDRs`): the `s` ends the word.
fn plural_acronym(chars: &[char], i: usize) -> bool {
    chars.get(i + 1) == Some(&'s') && chars.get(i + 2).is_none_or(|c| c.is_uppercase())
}

/// `terminationGracePeriodSeconds` -> `Termination grace period seconds`;
/// `podIP` -> `Pod IP`.
pub(crate) fn humanize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase()
                        && next.is_some_and(char::is_lowercase)
                        && !plural_acronym(&chars, i))
            });
        if (boundary || c == '_' || c == '-') && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c != '_' && c != '-' {
            current.push(c);
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let acronym = word.chars().filter(|c| c.is_uppercase()).count() > 1;
        if acronym {
            out.push_str(word);
        } else if i == 0 {
            let mut cs = word.chars();
            if let Some(first) = cs.next() {
                out.extend(first.to_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            out.push_str(&word.to_lowercase());
        }
    }
    if out.is_empty() {
        name.to_string()
    } else {
        out
    }
}

//! Virtual objects rewritten for the host, and host status brought back. Everything
//! a host object refers to by name (configmaps, secrets, claims, service accounts'
//! tokens, pull secrets) is renamed the same way the object itself is; what the host
//! must not decide for a tenant (service links, DNS, the API server address, the
//! service-account token) is filled in from the virtual cluster ([`Context`]).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::names::{self, HostName, Origin};

/// What a rewrite needs to know about the virtual cluster.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub vcluster: String,
    pub host_namespace: String,
    /// The host address of the virtual API server (`kubernetes.default.svc` in pods).
    pub api_server_ip: Option<String>,
    /// The virtual cluster's DNS service address, when one runs.
    pub dns_ip: Option<String>,
    /// Service environment variables of the pod's virtual namespace
    /// (`WEB_SERVICE_HOST`, ...), as kubelet would have set them.
    pub service_env: Vec<(String, String)>,
    /// The host secret carrying the pod's virtual service-account token (`token`,
    /// `ca.crt`, `namespace`).
    pub token_secret: Option<String>,
    /// The owner reference every host object gets (the control plane's host Service):
    /// deleting that owner lets the host's garbage collector remove them.
    pub owner: Option<Value>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TranslateError {
    #[error("the virtual object has no {0}")]
    Missing(&'static str),
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.pointer(&format!("/metadata/{field}"))?.as_str()
}

/// Where a virtual object came from, for its host markers.
pub fn origin(kind: &str, obj: &Value) -> Result<Origin, TranslateError> {
    Ok(Origin {
        kind: kind.to_string(),
        namespace: meta_str(obj, "namespace").unwrap_or_default().to_string(),
        name: meta_str(obj, "name")
            .ok_or(TranslateError::Missing("metadata.name"))?
            .to_string(),
        uid: meta_str(obj, "uid").unwrap_or_default().to_string(),
    })
}

/// Host metadata: the translated name in the host namespace, the virtual labels and
/// annotations, and the markers; nothing the host API server assigns.
fn host_metadata(kind: &str, obj: &Value, ctx: &Context) -> Result<Value, TranslateError> {
    let origin = origin(kind, obj)?;
    let mut meta = json!({
        "name": HostName::for_object(&origin.name, &origin.namespace, &ctx.vcluster),
        "namespace": ctx.host_namespace,
    });
    for field in ["labels", "annotations"] {
        if let Some(v) = obj
            .pointer(&format!("/metadata/{field}"))
            .filter(|v| v.is_object())
        {
            meta[field] = v.clone();
        }
    }
    // Tenant labels under our own prefix would forge markers: they do not cross.
    if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
        labels.retain(|k, _| !k.starts_with("vnest.io/"));
    }
    if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
        a.retain(|k, _| {
            !k.starts_with("vnest.io/") && k != "kubectl.kubernetes.io/last-applied-configuration"
        });
    }
    let mut host = json!({"metadata": meta});
    names::mark(&mut host, &ctx.vcluster, &origin);
    names::own(&mut host, ctx.owner.as_ref());
    Ok(host["metadata"].take())
}

/// The host name of an object the virtual pod refers to in its own namespace.
fn renamed(name: &str, namespace: &str, ctx: &Context) -> String {
    HostName::for_object(name, namespace, &ctx.vcluster)
}

fn rename_at(v: &mut Value, pointer: &str, namespace: &str, ctx: &Context) {
    if let Some(slot) = v.pointer_mut(pointer) {
        if let Some(name) = slot.as_str().filter(|n| !n.is_empty()) {
            *slot = json!(renamed(name, namespace, ctx));
        }
    }
}

/// The value a downward-API field reference has in the virtual cluster, for fields
/// that differ on the host.
fn virtual_field(pod: &Value, path: &str) -> Option<String> {
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).map(str::to_string);
    match path {
        "metadata.name" => s("/metadata/name"),
        "metadata.namespace" => s("/metadata/namespace"),
        "metadata.uid" => s("/metadata/uid"),
        "spec.serviceAccountName" => {
            Some(s("/spec/serviceAccountName").unwrap_or_else(|| "default".into()))
        }
        _ => None,
    }
}

/// The annotation that carries a virtual metadata field on the host pod, for
/// downward-API volumes (which cannot hold literal values).
fn field_annotation(path: &str) -> Option<&'static str> {
    match path {
        "metadata.name" => Some(names::OBJECT_NAME),
        "metadata.namespace" => Some(names::OBJECT_NAMESPACE),
        "metadata.uid" => Some(names::OBJECT_UID),
        "spec.serviceAccountName" => Some(SERVICE_ACCOUNT_ANNOTATION),
        _ => None,
    }
}

/// The volume carrying the virtual service-account token when the pod came without
/// one, and where containers find it.
pub const TOKEN_VOLUME: &str = "kube-api-access-vnest";
pub const TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The virtual pod's service account, on the host pod (for downward-API volumes).
pub const SERVICE_ACCOUNT_ANNOTATION: &str = "vnest.io/service-account-name";

fn rewrite_container(c: &mut Value, pod: &Value, namespace: &str, ctx: &Context) {
    if let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) {
        for e in env.iter_mut() {
            let path = e
                .pointer("/valueFrom/fieldRef/fieldPath")
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Some(value) = path.as_deref().and_then(|p| virtual_field(pod, p)) {
                if let Some(obj) = e.as_object_mut() {
                    obj.remove("valueFrom");
                    obj.insert("value".into(), json!(value));
                }
                continue;
            }
            rename_at(e, "/valueFrom/configMapKeyRef/name", namespace, ctx);
            rename_at(e, "/valueFrom/secretKeyRef/name", namespace, ctx);
        }
    }
    if let Some(from) = c.get_mut("envFrom").and_then(Value::as_array_mut) {
        for f in from.iter_mut() {
            rename_at(f, "/configMapRef/name", namespace, ctx);
            rename_at(f, "/secretRef/name", namespace, ctx);
        }
    }
    if !ctx.service_env.is_empty() {
        // kubelet puts service variables first; the container's own win.
        let own: Vec<Value> = c
            .get("env")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut env: Vec<Value> = ctx
            .service_env
            .iter()
            .filter(|(k, _)| {
                !own.iter()
                    .any(|e| e.get("name").and_then(Value::as_str) == Some(k))
            })
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        env.extend(own);
        c["env"] = Value::Array(env);
    }
}

fn rewrite_volume(v: &mut Value, namespace: &str, ctx: &Context, token_volume: bool) {
    rename_at(v, "/configMap/name", namespace, ctx);
    rename_at(v, "/secret/secretName", namespace, ctx);
    rename_at(v, "/persistentVolumeClaim/claimName", namespace, ctx);
    if let Some(sources) = v
        .pointer_mut("/projected/sources")
        .and_then(Value::as_array_mut)
    {
        for s in sources.iter_mut() {
            rename_at(s, "/configMap/name", namespace, ctx);
            rename_at(s, "/secret/name", namespace, ctx);
        }
    }
    let projected = v
        .pointer("/projected/sources")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut item_lists = vec!["/downwardAPI/items".to_string()];
    item_lists.extend((0..projected).map(|i| format!("/projected/sources/{i}/downwardAPI/items")));
    for pointer in item_lists {
        if let Some(items) = v.pointer_mut(&pointer).and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                let annotation = item
                    .pointer("/fieldRef/fieldPath")
                    .and_then(Value::as_str)
                    .and_then(field_annotation);
                if let Some(annotation) = annotation {
                    item["fieldRef"]["fieldPath"] =
                        json!(format!("metadata.annotations['{annotation}']"));
                }
            }
        }
    }
    // The service-account token volume: the virtual token, from its synced secret.
    if token_volume {
        if let Some(secret) = &ctx.token_secret {
            let name = v.get("name").cloned().unwrap_or(Value::Null);
            *v = json!({"name": name, "secret": {"secretName": secret, "defaultMode": 420}});
        }
    }
}

/// Whether a volume is the projected service-account token volume kube injects
/// (`kube-api-access-*`).
fn is_token_volume(v: &Value) -> bool {
    v.pointer("/projected/sources")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|src| src.get("serviceAccountToken").is_some()))
}

/// The host pod for a virtual pod.
pub fn pod_to_host(vpod: &Value, ctx: &Context) -> Result<Value, TranslateError> {
    let namespace = meta_str(vpod, "namespace")
        .ok_or(TranslateError::Missing("metadata.namespace"))?
        .to_string();
    let mut metadata = host_metadata("Pod", vpod, ctx)?;
    let sa = virtual_field(vpod, "spec.serviceAccountName").unwrap_or_default();
    if let Some(a) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        a.insert(SERVICE_ACCOUNT_ANNOTATION.into(), json!(sa));
    }
    let mut spec = vpod
        .get("spec")
        .cloned()
        .ok_or(TranslateError::Missing("spec"))?;
    let Some(s) = spec.as_object_mut() else {
        return Err(TranslateError::Missing("spec"));
    };
    // The host schedules, with its own service account, priorities and scheduler.
    for field in [
        "nodeName",
        "serviceAccountName",
        "serviceAccount",
        "priorityClassName",
        "priority",
        "preemptionPolicy",
        "schedulerName",
        "runtimeClassName",
    ] {
        s.remove(field);
    }
    // Inside, the pod is called by its virtual name (kubelet's hostname rule: a
    // DNS label, so at most 63 characters).
    if s.get("hostname")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        let virtual_name = meta_str(vpod, "name").unwrap_or_default();
        let mut hostname: String = virtual_name.chars().take(names::MAX_NAME).collect();
        while hostname.ends_with(['-', '.']) {
            hostname.pop();
        }
        s.insert("hostname".into(), json!(hostname));
    }
    s.insert("automountServiceAccountToken".into(), json!(false));
    s.insert("enableServiceLinks".into(), json!(false));
    if let Some(secrets) = s.get_mut("imagePullSecrets").and_then(Value::as_array_mut) {
        for p in secrets.iter_mut() {
            rename_at(p, "/name", &namespace, ctx);
        }
    }
    if let Some(vols) = s.get_mut("volumes").and_then(Value::as_array_mut) {
        for v in vols.iter_mut() {
            let token = is_token_volume(v);
            rewrite_volume(v, &namespace, ctx, token);
        }
    }
    for field in ["containers", "initContainers", "ephemeralContainers"] {
        if let Some(list) = s.get_mut(field).and_then(Value::as_array_mut) {
            for c in list.iter_mut() {
                rewrite_container(c, vpod, &namespace, ctx);
            }
        }
    }
    // kube's ServiceAccount admission mounts the token into every container unless
    // the pod opts out; a pod that came without the volume gets the virtual token here.
    let opted_out = vpod.pointer("/spec/automountServiceAccountToken") == Some(&json!(false));
    let has_token_volume = s.get("volumes").and_then(Value::as_array).is_some_and(|v| {
        v.iter().any(|v| {
            v.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.starts_with("kube-api-access"))
        })
    });
    if let (Some(secret), false, false) = (&ctx.token_secret, opted_out, has_token_volume) {
        let volumes = s.entry("volumes").or_insert_with(|| json!([]));
        if let Some(list) = volumes.as_array_mut() {
            list.push(
                json!({"name": TOKEN_VOLUME, "secret": {"secretName": secret, "defaultMode": 420}}),
            );
        }
        for field in ["containers", "initContainers"] {
            for c in s
                .get_mut(field)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let mounts = c
                    .as_object_mut()
                    .map(|c| c.entry("volumeMounts").or_insert_with(|| json!([])));
                if let Some(list) = mounts.and_then(Value::as_array_mut) {
                    if !list
                        .iter()
                        .any(|m| m.get("mountPath") == Some(&json!(TOKEN_PATH)))
                    {
                        list.push(json!({"name": TOKEN_VOLUME, "mountPath": TOKEN_PATH, "readOnly": true}));
                    }
                }
            }
        }
    }
    if let Some(ip) = &ctx.api_server_ip {
        let alias = json!({"ip": ip, "hostnames": [
            "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local"]});
        let aliases = s.entry("hostAliases").or_insert_with(|| json!([]));
        if let Some(list) = aliases.as_array_mut() {
            list.retain(|a| a.get("ip") != Some(&json!(ip)));
            list.push(alias);
        }
    }
    let policy = s
        .get("dnsPolicy")
        .and_then(Value::as_str)
        .unwrap_or("ClusterFirst")
        .to_string();
    if let (Some(dns), "ClusterFirst") = (&ctx.dns_ip, policy.as_str()) {
        let user = s.get("dnsConfig").cloned().unwrap_or_else(|| json!({}));
        let mut searches = vec![
            json!(format!("{namespace}.svc.cluster.local")),
            json!("svc.cluster.local"),
            json!("cluster.local"),
        ];
        searches.extend(
            user.get("searches")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        let mut nameservers = vec![json!(dns)];
        nameservers.extend(
            user.get("nameservers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        let mut options: Vec<Value> = user
            .get("options")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !options
            .iter()
            .any(|o| o.get("name") == Some(&json!("ndots")))
        {
            options.insert(0, json!({"name": "ndots", "value": "5"}));
        }
        s.insert("dnsPolicy".into(), json!("None"));
        s.insert(
            "dnsConfig".into(),
            json!({"nameservers": nameservers, "searches": searches, "options": options}),
        );
    }
    Ok(json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}))
}

/// The virtual pod's status from its host pod (everything the host's kubelet reports).
pub fn pod_status_from_host(host: &Value) -> Value {
    host.get("status").cloned().unwrap_or_else(|| json!({}))
}

/// The host Service for a virtual Service: same ports, type and (when already
/// allocated) ClusterIP; the selector narrowed to this virtual namespace's pods of
/// this virtual cluster.
pub fn service_to_host(vsvc: &Value, ctx: &Context) -> Result<Value, TranslateError> {
    let namespace = meta_str(vsvc, "namespace")
        .ok_or(TranslateError::Missing("metadata.namespace"))?
        .to_string();
    let metadata = host_metadata("Service", vsvc, ctx)?;
    let mut spec = vsvc.get("spec").cloned().unwrap_or_else(|| json!({}));
    if let Some(s) = spec.as_object_mut() {
        if let Some(sel) = s.get_mut("selector").and_then(Value::as_object_mut) {
            if !sel.is_empty() {
                for (k, v) in names::marker_labels(&ctx.vcluster, &namespace) {
                    sel.insert(k, json!(v));
                }
            }
        }
        // Node ports and health-check ports are the host's to allocate.
        if let Some(ports) = s.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                if !matches!(
                    vsvc.pointer("/spec/type").and_then(Value::as_str),
                    Some("NodePort" | "LoadBalancer")
                ) {
                    p.remove("nodePort");
                }
            }
        }
        s.remove("healthCheckNodePort");
    }
    Ok(json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}))
}

/// The host ConfigMap or Secret for a virtual one: same data, renamed. A
/// service-account-token secret crosses as Opaque (the host's token controller would
/// otherwise claim it).
pub fn data_object_to_host(
    kind: &str,
    vobj: &Value,
    ctx: &Context,
) -> Result<Value, TranslateError> {
    let metadata = host_metadata(kind, vobj, ctx)?;
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("v1"));
    out.insert("kind".into(), json!(kind));
    out.insert("metadata".into(), metadata);
    for field in ["data", "binaryData", "stringData", "immutable"] {
        if let Some(v) = vobj.get(field) {
            out.insert(field.into(), v.clone());
        }
    }
    if kind == "Secret" {
        let ty = vobj.get("type").and_then(Value::as_str).unwrap_or("Opaque");
        let ty = if ty == "kubernetes.io/service-account-token" {
            "Opaque"
        } else {
            ty
        };
        out.insert("type".into(), json!(ty));
    }
    Ok(Value::Object(out))
}

/// The host PersistentVolumeClaim for a virtual one: renamed, its request and access
/// modes as asked; the volume is the host's to bind (no volumeName, no selector that
/// would name virtual labels).
pub fn claim_to_host(vclaim: &Value, ctx: &Context) -> Result<Value, TranslateError> {
    let metadata = host_metadata("PersistentVolumeClaim", vclaim, ctx)?;
    let mut spec = vclaim.get("spec").cloned().unwrap_or_else(|| json!({}));
    if let Some(s) = spec.as_object_mut() {
        s.remove("volumeName");
        s.remove("selector");
        s.remove("dataSource");
        s.remove("dataSourceRef");
    }
    Ok(
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}),
    )
}

/// The host Endpoints of a virtual Service without a selector (whose endpoints the
/// tenant writes by hand): renamed, addresses kept, references to virtual pods
/// dropped (they mean nothing on the host).
pub fn endpoints_to_host(vendpoints: &Value, ctx: &Context) -> Result<Value, TranslateError> {
    let metadata = host_metadata("Endpoints", vendpoints, ctx)?;
    let mut subsets = vendpoints
        .get("subsets")
        .cloned()
        .unwrap_or_else(|| json!([]));
    for subset in subsets.as_array_mut().into_iter().flatten() {
        for list in ["addresses", "notReadyAddresses"] {
            for a in subset
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(a) = a.as_object_mut() {
                    a.remove("targetRef");
                    a.remove("nodeName");
                }
            }
        }
    }
    Ok(json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": metadata, "subsets": subsets}))
}

/// Service environment variables as kubelet computes them for a namespace's services
/// (`<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_PORT_<port>_<PROTO>_*`),
/// from the virtual services (name, clusterIP, ports).
pub fn service_env(services: &[Value]) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for svc in services {
        let Some(ip) = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .filter(|ip| !ip.is_empty() && *ip != "None")
        else {
            continue;
        };
        let name = meta_str(svc, "name")
            .unwrap_or_default()
            .to_uppercase()
            .replace('-', "_");
        let ports: Vec<&Value> = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        let Some(first) = ports.first() else { continue };
        let port_of = |p: &Value| p.get("port").and_then(Value::as_i64).unwrap_or(0);
        let proto_of = |p: &Value| {
            p.get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("TCP")
                .to_string()
        };
        out.insert(format!("{name}_SERVICE_HOST"), ip.to_string());
        out.insert(format!("{name}_SERVICE_PORT"), port_of(first).to_string());
        for p in &ports {
            if let Some(pname) = p
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                out.insert(
                    format!(
                        "{name}_SERVICE_PORT_{}",
                        pname.to_uppercase().replace('-', "_")
                    ),
                    port_of(p).to_string(),
                );
            }
        }
        let proto = proto_of(first);
        out.insert(
            format!("{name}_PORT"),
            format!("{}://{ip}:{}", proto.to_lowercase(), port_of(first)),
        );
        for p in &ports {
            let (port, proto) = (port_of(p), proto_of(p));
            let prefix = format!("{name}_PORT_{port}_{proto}");
            out.insert(
                prefix.clone(),
                format!("{}://{ip}:{port}", proto.to_lowercase()),
            );
            out.insert(format!("{prefix}_PROTO"), proto.to_lowercase());
            out.insert(format!("{prefix}_PORT"), port.to_string());
            out.insert(format!("{prefix}_ADDR"), ip.to_string());
        }
    }
    out.into_iter().collect()
}

/// A host event about a host pod, as the virtual cluster shows it: attached to the
/// virtual pod, in its namespace, host names in the message turned back into virtual
/// ones. `host_pod` and `origin` name the host pod and its virtual pod.
pub fn event_to_virtual(
    event: &Value,
    host_namespace: &str,
    host_pod: &str,
    origin: &Origin,
) -> Option<Value> {
    let host_event_name = meta_str(event, "name")?;
    // `<pod>.<suffix>` on the host; the same suffix on the virtual pod's name.
    let suffix = host_event_name
        .strip_prefix(host_pod)
        .map(|s| s.trim_start_matches('.'))
        .filter(|s| !s.is_empty())
        .unwrap_or(host_event_name);
    let message = event
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace(
            &format!("{host_namespace}/{host_pod}"),
            &format!("{}/{}", origin.namespace, origin.name),
        )
        .replace(host_pod, &origin.name);
    let mut out = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{}.{suffix}", origin.name), "namespace": origin.namespace},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": origin.name,
                           "namespace": origin.namespace, "uid": origin.uid},
        "message": message,
    });
    for field in [
        "reason",
        "type",
        "count",
        "firstTimestamp",
        "lastTimestamp",
        "eventTime",
        "source",
        "reportingComponent",
        "reportingInstance",
        "action",
    ] {
        if let Some(v) = event.get(field).filter(|v| !v.is_null()) {
            out[field] = v.clone();
        }
    }
    if let Some(fp) = event.pointer("/involvedObject/fieldPath") {
        out["involvedObject"]["fieldPath"] = fp.clone();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            vcluster: "dev".into(),
            host_namespace: "team-a".into(),
            api_server_ip: Some("10.96.0.20".into()),
            dns_ip: Some("10.96.0.30".into()),
            service_env: vec![("DB_SERVICE_HOST".into(), "10.96.0.40".into())],
            token_secret: Some("web-token-x-default-x-dev".into()),
            owner: Some(names::service_owner("dev", "uid-of-the-service")),
        }
    }

    #[test]
    fn every_host_object_names_the_control_planes_service_as_owner() {
        let host_pod = pod_to_host(&pod(), &ctx()).unwrap();
        let cm = data_object_to_host(
            "ConfigMap",
            &json!({"metadata": {"name": "c", "namespace": "default", "uid": "u2"}}),
            &ctx(),
        )
        .unwrap();
        for obj in [host_pod, cm] {
            let owners = &obj["metadata"]["ownerReferences"];
            assert_eq!(owners.as_array().map(Vec::len), Some(1), "{obj}");
            assert_eq!(owners[0]["kind"], "Service");
            assert_eq!(owners[0]["uid"], "uid-of-the-service");
        }
        let none = Context {
            owner: None,
            ..ctx()
        };
        let unowned = pod_to_host(&pod(), &none).unwrap();
        assert!(unowned["metadata"].get("ownerReferences").is_none());
    }

    fn pod() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                         "labels": {"app": "web", "vnest.io/managed-by": "forged"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "uid": "r"}]},
            "spec": {
                "nodeName": "virtual-node", "serviceAccountName": "builder", "priorityClassName": "high",
                "imagePullSecrets": [{"name": "regcred"}],
                "volumes": [
                    {"name": "cfg", "configMap": {"name": "settings"}},
                    {"name": "sec", "secret": {"secretName": "creds"}},
                    {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}},
                    {"name": "info", "downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                                                              {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                    {"name": "kube-api-access-abc", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}},
                                                                               {"configMap": {"name": "kube-root-ca.crt"}}]}},
                ],
                "containers": [{"name": "c", "image": "nginx",
                    "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "pw"}}},
                            {"name": "DB_SERVICE_HOST", "value": "mine"}],
                    "envFrom": [{"configMapRef": {"name": "settings"}}]}],
            },
            "status": {"phase": "Pending"},
        })
    }

    #[test]
    fn pods_are_renamed_marked_and_confined() {
        let host = pod_to_host(&pod(), &ctx()).unwrap();
        let meta = &host["metadata"];
        assert_eq!(meta["name"], "web-x-default-x-dev");
        assert_eq!(meta["namespace"], "team-a");
        assert_eq!(meta["labels"]["app"], "web");
        assert_eq!(
            meta["labels"][names::MANAGED_BY],
            "dev",
            "a tenant cannot forge the marker"
        );
        assert_eq!(meta["annotations"][names::OBJECT_UID], "u1");
        assert_eq!(meta["annotations"][SERVICE_ACCOUNT_ANNOTATION], "builder");
        assert!(meta.get("uid").is_none() && meta.get("resourceVersion").is_none());
        // Virtual owners do not cross; the control plane's Service is the only owner.
        assert_eq!(meta["ownerReferences"].as_array().map(Vec::len), Some(1));
        assert_eq!(meta["ownerReferences"][0]["kind"], "Service");
        assert!(host.get("status").is_none());
        let spec = &host["spec"];
        for gone in ["nodeName", "serviceAccountName", "priorityClassName"] {
            assert!(spec.get(gone).is_none(), "{gone}");
        }
        assert_eq!(spec["automountServiceAccountToken"], false);
        assert_eq!(spec["hostname"], "web", "the virtual name inside the pod");
        assert_eq!(spec["enableServiceLinks"], false);
        assert_eq!(
            spec["imagePullSecrets"][0]["name"],
            "regcred-x-default-x-dev"
        );
    }

    #[test]
    fn references_follow_the_renaming() {
        let host = pod_to_host(&pod(), &ctx()).unwrap();
        let vols = &host["spec"]["volumes"];
        assert_eq!(vols[0]["configMap"]["name"], "settings-x-default-x-dev");
        assert_eq!(vols[1]["secret"]["secretName"], "creds-x-default-x-dev");
        assert_eq!(
            vols[2]["persistentVolumeClaim"]["claimName"],
            "data-web-0-x-default-x-dev"
        );
        assert_eq!(
            vols[3]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"],
            "metadata.annotations['vnest.io/object-name']"
        );
        assert_eq!(
            vols[3]["downwardAPI"]["items"][1]["fieldRef"]["fieldPath"],
            "metadata.labels"
        );
        assert_eq!(
            vols[4],
            json!({"name": "kube-api-access-abc", "secret": {"secretName": "web-token-x-default-x-dev", "defaultMode": 420}})
        );
        let env = host["spec"]["containers"][0]["env"].as_array().unwrap();
        let by_name = |n: &str| env.iter().find(|e| e["name"] == n).cloned().unwrap();
        assert_eq!(
            by_name("POD")["value"],
            "web",
            "the virtual name, not the host one"
        );
        assert!(
            by_name("NODE").get("valueFrom").is_some(),
            "the node is the host's to say"
        );
        assert_eq!(
            by_name("PW")["valueFrom"]["secretKeyRef"]["name"],
            "creds-x-default-x-dev"
        );
        assert_eq!(
            by_name("DB_SERVICE_HOST")["value"],
            "mine",
            "the container's own value wins"
        );
        assert_eq!(
            env.iter()
                .filter(|e| e["name"] == "DB_SERVICE_HOST")
                .count(),
            1
        );
        assert_eq!(
            host["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"],
            "settings-x-default-x-dev"
        );
    }

    #[test]
    fn a_pod_without_the_token_volume_gets_the_virtual_token_mounted() {
        let mut p = pod();
        p["spec"]["volumes"] = json!([]);
        let host = pod_to_host(&p, &ctx()).unwrap();
        assert_eq!(
            host["spec"]["volumes"][0],
            json!({"name": TOKEN_VOLUME, "secret": {"secretName": "web-token-x-default-x-dev", "defaultMode": 420}})
        );
        assert_eq!(
            host["spec"]["containers"][0]["volumeMounts"][0],
            json!({"name": TOKEN_VOLUME, "mountPath": TOKEN_PATH, "readOnly": true})
        );
        p["spec"]["automountServiceAccountToken"] = json!(false);
        let host = pod_to_host(&p, &ctx()).unwrap();
        assert_eq!(host["spec"]["volumes"], json!([]), "opted out");
    }

    #[test]
    fn dns_and_the_api_server_point_at_the_virtual_cluster() {
        let host = pod_to_host(&pod(), &ctx()).unwrap();
        let spec = &host["spec"];
        assert_eq!(spec["dnsPolicy"], "None");
        assert_eq!(
            spec["dnsConfig"],
            json!({"nameservers": ["10.96.0.30"],
                   "searches": ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
                   "options": [{"name": "ndots", "value": "5"}]})
        );
        assert_eq!(spec["hostAliases"][0]["ip"], "10.96.0.20");
        assert!(spec["hostAliases"][0]["hostnames"]
            .as_array()
            .unwrap()
            .contains(&json!("kubernetes.default.svc")));
        let mut own_dns = pod();
        own_dns["spec"]["dnsPolicy"] = json!("Default");
        let host = pod_to_host(&own_dns, &ctx()).unwrap();
        assert_eq!(host["spec"]["dnsPolicy"], "Default");
        let no_dns = Context {
            dns_ip: None,
            ..ctx()
        };
        assert!(pod_to_host(&pod(), &no_dns).unwrap()["spec"]
            .get("dnsConfig")
            .is_none());
    }

    #[test]
    fn services_keep_their_address_and_select_only_their_own_pods() {
        let svc = json!({"metadata": {"name": "web", "namespace": "default", "uid": "s1"},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.55", "clusterIPs": ["10.96.0.55"],
                     "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30001}]}});
        let host = service_to_host(&svc, &ctx()).unwrap();
        assert_eq!(host["metadata"]["name"], "web-x-default-x-dev");
        assert_eq!(host["spec"]["clusterIP"], "10.96.0.55");
        assert_eq!(
            host["spec"]["selector"],
            json!({"app": "web", "vnest.io/managed-by": "dev", "vnest.io/namespace": "default"})
        );
        assert!(host["spec"]["ports"][0].get("nodePort").is_none());
        let headless = json!({"metadata": {"name": "h", "namespace": "ns"}, "spec": {"clusterIP": "None", "ports": []}});
        let host = service_to_host(&headless, &ctx()).unwrap();
        assert!(
            host["spec"].get("selector").is_none(),
            "no selector stays no selector"
        );
    }

    #[test]
    fn data_objects_cross_renamed_and_tokens_as_opaque() {
        let cm =
            json!({"metadata": {"name": "settings", "namespace": "default"}, "data": {"a": "1"}});
        let host = data_object_to_host("ConfigMap", &cm, &ctx()).unwrap();
        assert_eq!(host["metadata"]["name"], "settings-x-default-x-dev");
        assert_eq!(host["data"], json!({"a": "1"}));
        let token = json!({"metadata": {"name": "t", "namespace": "default"}, "type": "kubernetes.io/service-account-token", "data": {"token": "eA=="}});
        assert_eq!(
            data_object_to_host("Secret", &token, &ctx()).unwrap()["type"],
            "Opaque"
        );
    }

    #[test]
    fn service_environment_is_computed_like_kubelet() {
        let env = service_env(&[json!({"metadata": {"name": "redis-master"},
            "spec": {"clusterIP": "10.0.0.11", "ports": [{"name": "db", "port": 6379, "protocol": "TCP"}]}})]);
        let env: BTreeMap<String, String> = env.into_iter().collect();
        assert_eq!(env["REDIS_MASTER_SERVICE_HOST"], "10.0.0.11");
        assert_eq!(env["REDIS_MASTER_SERVICE_PORT"], "6379");
        assert_eq!(env["REDIS_MASTER_SERVICE_PORT_DB"], "6379");
        assert_eq!(env["REDIS_MASTER_PORT"], "tcp://10.0.0.11:6379");
        assert_eq!(env["REDIS_MASTER_PORT_6379_TCP_ADDR"], "10.0.0.11");
        assert!(service_env(&[json!({"metadata": {"name": "h"}, "spec": {"clusterIP": "None", "ports": [{"port": 1}]}})]).is_empty());
    }

    #[test]
    fn host_events_land_on_the_virtual_pod() {
        let event = json!({"metadata": {"name": "web-x-default-x-dev.18a2b", "namespace": "team-a"},
            "involvedObject": {"kind": "Pod", "name": "web-x-default-x-dev", "namespace": "team-a"},
            "reason": "Scheduled", "type": "Normal", "count": 1,
            "message": "Successfully assigned team-a/web-x-default-x-dev to node-1",
            "source": {"component": "default-scheduler"}});
        let origin = Origin {
            kind: "Pod".into(),
            namespace: "default".into(),
            name: "web".into(),
            uid: "u1".into(),
        };
        let v = event_to_virtual(&event, "team-a", "web-x-default-x-dev", &origin).unwrap();
        assert_eq!(
            v["metadata"],
            json!({"name": "web.18a2b", "namespace": "default"})
        );
        assert_eq!(v["involvedObject"]["uid"], "u1");
        assert_eq!(v["message"], "Successfully assigned default/web to node-1");
        assert_eq!(v["reason"], "Scheduled");
        assert_eq!(v["source"]["component"], "default-scheduler");
    }

    #[test]
    fn claims_cross_renamed_and_unbound() {
        let claim = json!({"metadata": {"name": "data-web-0", "namespace": "default", "uid": "c1"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "volumeName": "pv-virtual", "storageClassName": "standard"}});
        let host = claim_to_host(&claim, &ctx()).unwrap();
        assert_eq!(host["metadata"]["name"], "data-web-0-x-default-x-dev");
        assert!(host["spec"].get("volumeName").is_none());
        assert_eq!(host["spec"]["resources"]["requests"]["storage"], "1Gi");
        assert_eq!(host["spec"]["storageClassName"], "standard");
    }

    #[test]
    fn hand_written_endpoints_cross_without_pod_references() {
        let ep = json!({"metadata": {"name": "db", "namespace": "default", "uid": "e1"},
            "subsets": [{"addresses": [{"ip": "192.0.2.10", "targetRef": {"kind": "Pod", "name": "x"}, "nodeName": "n"}],
                         "ports": [{"port": 5432}]}]});
        let host = endpoints_to_host(&ep, &ctx()).unwrap();
        assert_eq!(host["metadata"]["name"], "db-x-default-x-dev");
        assert_eq!(
            host["subsets"],
            json!([{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 5432}]}])
        );
    }

    #[test]
    fn missing_names_are_errors_not_panics() {
        assert_eq!(
            pod_to_host(
                &json!({"metadata": {"namespace": "ns"}, "spec": {}}),
                &ctx()
            ),
            Err(TranslateError::Missing("metadata.name"))
        );
        assert_eq!(
            pod_to_host(&json!({"metadata": {"name": "p"}, "spec": {}}), &ctx()),
            Err(TranslateError::Missing("metadata.namespace"))
        );
    }
}

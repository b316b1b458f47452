//! The sync loop: virtual pods (with the configmaps and secrets they use, and their
//! service-account token) become renamed pods in the host namespace; host status,
//! addresses and node come back. One task, two sets of watches (virtual cluster, host
//! namespace filtered by this cluster's marker), and a reconcile per virtual pod that
//! anything touched. The mapping is rebuilt from the two sides' current state on
//! every start (host annotations name their virtual object), so a restart neither
//! duplicates nor orphans anything.

use std::collections::BTreeSet;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Node, PersistentVolumeClaim, Pod, Secret, Service,
};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use vnest_controllers::informer::{key_of, watch_channel, Change, Key, Store};

use crate::names::{self, HostName};
use crate::nodes;
use crate::translate::{self, Context};

const MANAGER: &str = "vnest-syncer";

/// How a syncer is set up.
#[derive(Clone)]
pub struct SyncerConfig {
    /// The virtual cluster's name (in host names and markers).
    pub vcluster: String,
    /// The host namespace all host objects live in.
    pub host_namespace: String,
    /// A client of the virtual cluster (admin).
    pub virtual_client: Client,
    /// A client of the host cluster, needing only a Role in the host namespace.
    pub host_client: Client,
    /// The host address of the virtual API server, for `kubernetes.default.svc`.
    pub api_server_ip: Option<String>,
    /// The Pod Security Standards level a pod must meet to be synced (baseline by
    /// default): the host never sees a pod that fails it.
    pub pod_security: vnest_api::podsecurity::Level,
    /// After a restart that deliberately removed the host pods (`vnest resume`): a
    /// virtual pod whose host pod is missing at startup gets a new one instead of
    /// failing as on a lost node.
    pub recreate_missing_pods: bool,
    /// Virtual nodes mirror the host nodes of their pods (labels, capacity,
    /// conditions, addresses); needs read access to host nodes
    /// (deploy/syncer-nodes-clusterrole.yaml). Otherwise they are stand-ins.
    pub sync_host_nodes: bool,
    /// Every configmap of the virtual cluster crosses, not only those pods use.
    pub sync_all_configmaps: bool,
    /// Every secret crosses (service-account token secrets excepted).
    pub sync_all_secrets: bool,
    /// The owner reference every host object gets (the control plane's host Service).
    pub host_owner: Option<Value>,
}

/// Why a pod is not synced, in PodSecurity's words, if it fails the level.
pub fn pod_security_refusal(level: vnest_api::podsecurity::Level, pod: &Value) -> Option<String> {
    use vnest_api::podsecurity as pss;
    let lv = pss::LevelVersion::latest(level);
    let violations = pss::check_pod(lv, pod);
    (!violations.is_empty()).then(|| pss::message(lv, &violations))
}

fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

fn value<K: serde::Serialize>(obj: &K) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// Just the metadata of an object, as JSON (enough for the markers; a secret's data
/// or a pod's spec need not be converted to read them).
fn metadata_of<K: kube::Resource>(obj: &K) -> Value {
    json!({"metadata": value(obj.meta())})
}

/// The claims a pod mounts.
pub fn claim_references(pod: &Value) -> BTreeSet<String> {
    pod.pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.pointer("/persistentVolumeClaim/claimName")?.as_str())
        .map(str::to_string)
        .collect()
}

/// The configmaps and secrets a pod refers to (volumes, projected sources, env,
/// envFrom, pull secrets).
pub fn references(pod: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut cms = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    let s = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    for v in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        cms.extend(s(v, "/configMap/name"));
        secrets.extend(s(v, "/secret/secretName"));
        for src in v
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            cms.extend(s(src, "/configMap/name"));
            secrets.extend(s(src, "/secret/name"));
        }
    }
    for field in ["containers", "initContainers"] {
        for c in spec
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                cms.extend(s(e, "/valueFrom/configMapKeyRef/name"));
                secrets.extend(s(e, "/valueFrom/secretKeyRef/name"));
            }
            for f in c
                .get("envFrom")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                cms.extend(s(f, "/configMapRef/name"));
                secrets.extend(s(f, "/secretRef/name"));
            }
        }
    }
    for p in spec
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        secrets.extend(s(p, "/name"));
    }
    // The token volume's kube-root-ca.crt is replaced by the token secret.
    cms.remove("kube-root-ca.crt");
    (cms, secrets)
}

/// The merge patch that brings a host object's labels to exactly the wanted ones and
/// its annotations to include the wanted ones; `None` when nothing differs.
pub fn metadata_patch(wanted: &Value, host: &Value) -> Option<Value> {
    let map = |v: &Value, f: &str| {
        v.pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (want_l, have_l) = (map(wanted, "labels"), map(host, "labels"));
    let (want_a, have_a) = (map(wanted, "annotations"), map(host, "annotations"));
    let mut patch = json!({"metadata": {}});
    if want_l != have_l {
        let mut labels = want_l.clone();
        for k in have_l.keys().filter(|k| !want_l.contains_key(*k)) {
            labels.insert(k.clone(), Value::Null);
        }
        patch["metadata"]["labels"] = Value::Object(labels);
    }
    let changed: serde_json::Map<String, Value> = want_a
        .iter()
        .filter(|(k, v)| have_a.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        patch["metadata"]["annotations"] = Value::Object(changed);
    }
    (patch["metadata"] != json!({})).then_some(patch)
}

/// The host secret name carrying a pod's virtual service-account token.
pub fn token_secret_name(pod: &str, namespace: &str, vcluster: &str) -> String {
    HostName::for_object(&format!("{pod}-sa-token"), namespace, vcluster)
}

/// API calls a reconcile leaves to run concurrently with other pods' (nothing in
/// them needs the syncer's maps).
pub enum Job {
    /// Token (unless its secret exists), then the host pod.
    CreateHostPod {
        vpod: Box<Pod>,
        ctx: Context,
        token_exists: bool,
        ca: String,
    },
    /// Bind the virtual pod to its host pod's node and/or copy the host status.
    UpdateVirtual {
        namespace: String,
        name: String,
        bind_to: Option<String>,
        status: Option<Value>,
    },
}

/// What a job produced for the syncer's maps.
enum Done {
    HostSecret(Box<Secret>),
    HostPod(Box<Pod>),
    VirtualPod(Box<Pod>),
}

/// Requests a virtual service-account token for the pod and stores it in its host
/// secret; the secret's name.
async fn create_token_secret(
    cfg: &SyncerConfig,
    vpod: &Pod,
    ca: &str,
    out: &mut Vec<Done>,
) -> Option<String> {
    let ns = vpod.namespace()?;
    let pod_name = vpod.name_any();
    let secret_name = token_secret_name(&pod_name, &ns, &cfg.vcluster);
    let sa = vpod
        .spec
        .as_ref()
        .and_then(|s| s.service_account_name.clone())
        .unwrap_or_else(|| "default".into());
    let request = json!({
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3607 * 24, "boundObjectRef": {
            "apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": vpod.uid()}},
    });
    let url = format!("/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token");
    let req = http::Request::post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&request).ok()?)
        .ok()?;
    let answer: Value = match cfg.virtual_client.request(req).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(pod = %pod_name, error = %e, "requesting a virtual token failed");
            return None;
        }
    };
    let token = answer.pointer("/status/token")?.as_str()?.to_string();
    let mut secret = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": secret_name, "namespace": cfg.host_namespace},
        "type": "Opaque",
        "stringData": {"token": token, "ca.crt": ca, "namespace": ns},
    });
    let origin = names::Origin {
        kind: "ServiceAccountToken".into(),
        namespace: ns.clone(),
        name: pod_name.clone(),
        uid: vpod.uid().unwrap_or_default(),
    };
    names::mark(&mut secret, &cfg.vcluster, &origin);
    names::own(&mut secret, cfg.host_owner.as_ref());
    let secret: Secret = serde_json::from_value(secret).ok()?;
    let api: Api<Secret> = Api::namespaced(cfg.host_client.clone(), &cfg.host_namespace);
    match api.create(&PostParams::default(), &secret).await {
        Ok(s) => {
            out.push(Done::HostSecret(Box::new(s)));
            Some(secret_name)
        }
        Err(e) if is_status(&e, 409) => Some(secret_name),
        Err(e) => {
            tracing::warn!(pod = %pod_name, error = %e, "storing the token on the host failed");
            None
        }
    }
}

async fn run_job(cfg: SyncerConfig, job: Job) -> Vec<Done> {
    let mut out = Vec::new();
    match job {
        Job::CreateHostPod {
            vpod,
            mut ctx,
            token_exists,
            ca,
        } => {
            let ns = vpod.namespace().unwrap_or_default();
            ctx.token_secret = if token_exists {
                Some(token_secret_name(&vpod.name_any(), &ns, &cfg.vcluster))
            } else {
                create_token_secret(&cfg, &vpod, &ca, &mut out).await
            };
            let Ok(mut host) = translate::pod_to_host(&value(&*vpod), &ctx) else {
                return out;
            };
            if ctx.token_secret.is_none() {
                // Never let the host fill in a token of its own.
                for vol in host
                    .pointer_mut("/spec/volumes")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    let token = vol
                        .pointer("/projected/sources")
                        .and_then(Value::as_array)
                        .is_some_and(|s| {
                            s.iter().any(|src| src.get("serviceAccountToken").is_some())
                        });
                    if token {
                        let name = vol.get("name").cloned().unwrap_or(Value::Null);
                        *vol = json!({"name": name, "emptyDir": {}});
                    }
                }
            }
            let Ok(pod) = serde_json::from_value::<Pod>(host) else {
                return out;
            };
            let params = PostParams {
                field_manager: Some(MANAGER.into()),
                ..Default::default()
            };
            let api: Api<Pod> = Api::namespaced(cfg.host_client.clone(), &cfg.host_namespace);
            match api.create(&params, &pod).await {
                Ok(p) => out.push(Done::HostPod(Box::new(p))),
                Err(e) if is_status(&e, 409) => {}
                Err(e) => {
                    tracing::warn!(pod = %vpod.name_any(), error = %e, "creating the host pod failed")
                }
            }
        }
        Job::UpdateVirtual {
            namespace,
            name,
            bind_to,
            status,
        } => {
            let vapi: Api<Pod> = Api::namespaced(cfg.virtual_client.clone(), &namespace);
            if let Some(node) = bind_to {
                let binding = json!({"apiVersion": "v1", "kind": "Binding",
                    "metadata": {"name": name, "namespace": namespace},
                    "target": {"apiVersion": "v1", "kind": "Node", "name": node}});
                if let Err(e) = vapi
                    .create_subresource::<Value, Value>(
                        "binding",
                        &name,
                        &PostParams::default(),
                        &binding,
                    )
                    .await
                {
                    tracing::debug!(pod = %name, error = %e, "binding the virtual pod failed");
                }
            }
            if let Some(status) = status {
                let patch = json!({"status": status});
                let pp = PatchParams {
                    field_manager: Some(MANAGER.into()),
                    ..Default::default()
                };
                match vapi.patch_status(&name, &pp, &Patch::Merge(&patch)).await {
                    Ok(p) => out.push(Done::VirtualPod(Box::new(p))),
                    Err(e) => {
                        tracing::debug!(pod = %name, error = %e, "status back to the virtual pod failed")
                    }
                }
            }
        }
    }
    out
}

/// How many jobs run at once.
const CONCURRENT_JOBS: usize = 32;

struct Syncer {
    cfg: SyncerConfig,
    vpods: Store<Pod>,
    vconfigmaps: Store<ConfigMap>,
    vsecrets: Store<Secret>,
    hpods: Store<Pod>,
    hconfigmaps: Store<ConfigMap>,
    hsecrets: Store<Secret>,
    vservices: Store<Service>,
    hservices: Store<Service>,
    vclaims: Store<PersistentVolumeClaim>,
    hclaims: Store<PersistentVolumeClaim>,
    vendpoints: Store<Endpoints>,
    hendpoints: Store<Endpoints>,
    /// Virtual nodes (those this syncer made carry `nodes::MADE_BY`).
    vnodes: Store<Node>,
    /// Host nodes, with `sync_host_nodes`.
    hnodes: Store<Node>,
    /// Whether the pods of the first full lists were reconciled (the startup pass).
    started: bool,
    /// The configmaps and secrets each virtual pod (by uid) refers to.
    pod_references: std::collections::HashMap<String, (BTreeSet<String>, BTreeSet<String>)>,
}

impl Syncer {
    fn host_pods(&self) -> Api<Pod> {
        Api::namespaced(self.cfg.host_client.clone(), &self.cfg.host_namespace)
    }

    fn context(&self) -> Context {
        Context {
            vcluster: self.cfg.vcluster.clone(),
            host_namespace: self.cfg.host_namespace.clone(),
            api_server_ip: self.cfg.api_server_ip.clone(),
            dns_ip: crate::services::cluster_dns_ip(self.vservices.get(
                crate::services::CLUSTER_DNS.0,
                crate::services::CLUSTER_DNS.1,
            )),
            service_env: Vec::new(),
            token_secret: None,
            owner: self.cfg.host_owner.clone(),
        }
    }

    /// The virtual pod a host pod belongs to, from its annotations.
    fn virtual_key(&self, host: &Value) -> Option<Key> {
        if !names::is_managed_by(host, &self.cfg.vcluster) {
            return None;
        }
        let origin = names::origin_of(host)?;
        (origin.kind == "Pod").then_some((origin.namespace, origin.name))
    }

    /// Copies a virtual configmap or secret to the host, or updates the copy.
    async fn sync_data<K>(&mut self, kind: &str, ns: &str, name: &str) -> bool
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let virtual_obj = match kind {
            "ConfigMap" => self.vconfigmaps.get(ns, name).map(value),
            _ => self.vsecrets.get(ns, name).map(value),
        };
        let Some(vobj) = virtual_obj else {
            return false;
        };
        let Ok(mut host) = translate::data_object_to_host(kind, &vobj, &self.context()) else {
            return false;
        };
        let hname = HostName::for_object(name, ns, &self.cfg.vcluster);
        let current = match kind {
            "ConfigMap" => self
                .hconfigmaps
                .get(&self.cfg.host_namespace, &hname)
                .map(value),
            _ => self
                .hsecrets
                .get(&self.cfg.host_namespace, &hname)
                .map(value),
        };
        let api: Api<K> = Api::namespaced(self.cfg.host_client.clone(), &self.cfg.host_namespace);
        let params = PostParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        match current {
            None => {
                let Ok(obj) = serde_json::from_value::<K>(host) else {
                    return false;
                };
                match api.create(&params, &obj).await {
                    Ok(_) => true,
                    Err(e) if is_status(&e, 409) => true,
                    Err(e) => {
                        tracing::warn!(kind, name = %hname, error = %e, "creating a host copy failed");
                        false
                    }
                }
            }
            Some(cur) => {
                if !names::is_managed_by(&cur, &self.cfg.vcluster) {
                    tracing::warn!(kind, name = %hname, "a host object of that name is not ours; left alone");
                    return false;
                }
                let same = ["data", "binaryData", "type"].iter().all(|f| {
                    cur.get(*f) == host.get(*f) || (cur.get(*f).is_none() && host.get(*f).is_none())
                });
                if same {
                    return true;
                }
                host["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone();
                let Ok(obj) = serde_json::from_value::<K>(host) else {
                    return false;
                };
                match api.replace(&hname, &params, &obj).await {
                    Ok(_) => true,
                    Err(e) => {
                        tracing::debug!(kind, name = %hname, error = %e, "updating a host copy failed");
                        false
                    }
                }
            }
        }
    }

    /// Everything a host pod needs that the syncer's maps hold: its data objects
    /// synced, its service links, whether its token secret exists. The API calls that
    /// remain ([`run_job`]) run concurrently with other pods'.
    async fn prepare_create(&mut self, vpod: &Pod) -> Option<Job> {
        let v = value(vpod);
        let ns = vpod.namespace().unwrap_or_default();
        let (cms, secrets) = references(&v);
        for name in cms {
            self.sync_data::<ConfigMap>("ConfigMap", &ns, &name).await;
        }
        for name in secrets {
            self.sync_data::<Secret>("Secret", &ns, &name).await;
        }
        for name in claim_references(&v) {
            self.sync_claim(&ns, &name).await;
        }
        let mut ctx = self.context();
        // Service links as kubelet makes them, from the virtual namespace's services
        // (the host's would be the wrong ones).
        if vpod.spec.as_ref().and_then(|s| s.enable_service_links) != Some(false) {
            let services: Vec<Value> = self
                .vservices
                .objects
                .range((ns.clone(), String::new())..)
                .take_while(|((sns, _), _)| *sns == ns)
                .map(|(_, svc)| value(svc))
                .collect();
            ctx.service_env = translate::service_env(&services);
        }
        let secret_name = token_secret_name(&vpod.name_any(), &ns, &self.cfg.vcluster);
        let token_exists = self
            .hsecrets
            .get(&self.cfg.host_namespace, &secret_name)
            .is_some();
        let ca = self
            .vconfigmaps
            .get(&ns, "kube-root-ca.crt")
            .and_then(|c| c.data.as_ref()?.get("ca.crt").cloned())
            .unwrap_or_default();
        Some(Job::CreateHostPod {
            vpod: Box::new(vpod.clone()),
            ctx,
            token_exists,
            ca,
        })
    }

    /// The virtual Node of the host node a pod was just bound to, made at once so the
    /// pod never names a node the virtual cluster lacks.
    async fn ensure_virtual_node(&mut self, name: &str) {
        if self.vnodes.get("", name).is_none() {
            self.write_virtual_node(name).await;
        }
    }

    /// Creates the virtual node for host node `name`, or brings it in line with the
    /// host node (heartbeats alone write nothing).
    async fn write_virtual_node(&mut self, name: &str) {
        let host = self.hnodes.get("", name).map(value);
        let wanted = nodes::virtual_node(name, &self.cfg.vcluster, host.as_ref());
        let api: Api<Node> = Api::all(self.cfg.virtual_client.clone());
        let pp = PatchParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        let Some(current) = self.vnodes.get("", name).map(value) else {
            let Ok(node) = serde_json::from_value::<Node>(wanted.clone()) else {
                return;
            };
            match api.create(&PostParams::default(), &node).await {
                Ok(made) => {
                    self.vnodes.put(made);
                    let status = json!({"status": wanted["status"]});
                    if let Ok(n) = api.patch_status(name, &pp, &Patch::Merge(&status)).await {
                        self.vnodes.put(n);
                    }
                }
                Err(e) if is_status(&e, 409) => {}
                Err(e) => {
                    tracing::warn!(node = %name, error = %e, "creating a virtual node failed")
                }
            }
            return;
        };
        let (meta, status) = nodes::updates(&current, &wanted);
        if let Some(patch) = meta {
            match api.patch(name, &pp, &Patch::Merge(&patch)).await {
                Ok(n) => self.vnodes.put(n),
                Err(e) => tracing::debug!(node = %name, error = %e, "updating a virtual node"),
            }
        }
        if let Some(patch) = status {
            match api.patch_status(name, &pp, &Patch::Merge(&patch)).await {
                Ok(n) => self.vnodes.put(n),
                Err(e) => {
                    tracing::debug!(node = %name, error = %e, "updating a virtual node's status")
                }
            }
        }
    }

    /// A virtual node for every node a virtual pod is bound to, up to date; the ones
    /// this syncer made that no pod needs go.
    async fn sync_nodes(&mut self) {
        if !(self.vpods.listed()
            && self.vnodes.listed()
            && (self.hnodes.listed() || !self.cfg.sync_host_nodes))
        {
            return;
        }
        // Straight from the typed pods: this runs after every batch of pod events.
        let needed = nodes::needed(
            self.vpods
                .objects
                .values()
                .map(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref())),
        );
        for name in &needed {
            self.write_virtual_node(name).await;
        }
        let vnodes: Vec<Value> = self.vnodes.objects.values().map(value).collect();
        let api: Api<Node> = Api::all(self.cfg.virtual_client.clone());
        for name in nodes::unneeded(vnodes.iter(), &self.cfg.vcluster, &needed) {
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => self.vnodes.remove("", &name),
                Err(e) if is_status(&e, 404) => self.vnodes.remove("", &name),
                Err(e) => tracing::debug!(node = %name, error = %e, "removing a virtual node"),
            }
        }
    }

    async fn reconcile(&mut self, key: &Key) -> Vec<Job> {
        let (ns, name) = key;
        let hname = HostName::for_object(name, ns, &self.cfg.vcluster);
        let hns = self.cfg.host_namespace.clone();
        let vpod = self.vpods.get(ns, name).cloned();
        let hpod = self.hpods.get(&hns, &hname).cloned();
        let vapi: Api<Pod> = Api::namespaced(self.cfg.virtual_client.clone(), ns);
        let Some(vpod) = vpod else {
            // Gone from the virtual cluster: the host pod goes too.
            if let Some(h) = hpod.filter(|h| self.virtual_key(&value(h)).as_ref() == Some(key)) {
                self.delete_host_pod(&h, None).await;
            }
            return Vec::new();
        };
        if vpod.metadata.deletion_timestamp.is_some() {
            match hpod {
                Some(h) if h.metadata.deletion_timestamp.is_none() => {
                    let grace = vpod.metadata.deletion_grace_period_seconds;
                    self.delete_host_pod(&h, grace).await;
                }
                Some(_) => {}
                None => {
                    // The host pod is gone: finish the virtual delete, as a kubelet does.
                    let dp = DeleteParams {
                        grace_period_seconds: Some(0),
                        ..Default::default()
                    };
                    let _ = vapi.delete(name, &dp).await;
                }
            }
            return Vec::new();
        }
        let Some(hpod) = hpod else {
            let ran = vpod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some_and(|n| !n.is_empty());
            if let Some(why) = pod_security_refusal(self.cfg.pod_security, &value(&vpod)) {
                self.refuse(&vpod, &why).await;
                return Vec::new();
            }
            if ran && self.cfg.recreate_missing_pods && !self.started {
                // Removed on purpose while the control plane was stopped (paused):
                // it comes back on the host.
                return self.prepare_create(&vpod).await.into_iter().collect();
            }
            if ran {
                // Its host pod vanished: the pod failed, as on a lost node.
                let status = json!({"status": {"phase": "Failed", "reason": "HostPodDeleted",
                    "message": "the pod's host pod was deleted"}});
                let _ = vapi
                    .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
                    .await;
                let _ = vapi.delete(name, &DeleteParams::default()).await;
            } else {
                return self.prepare_create(&vpod).await.into_iter().collect();
            }
            return Vec::new();
        };
        let hv = value(&hpod);
        let origin_uid = names::origin_of(&hv).map(|o| o.uid);
        if !names::is_managed_by(&hv, &self.cfg.vcluster) {
            tracing::warn!(pod = %hname, "a host pod of that name is not ours; left alone");
            return Vec::new();
        }
        if origin_uid.as_deref() != vpod.uid().as_deref() {
            // A leftover of an earlier virtual pod of the same name.
            self.delete_host_pod(&hpod, Some(0)).await;
            return Vec::new();
        }
        // Labels follow the virtual pod exactly (host selectors depend on them), and are
        // put back when someone edits the host pod's; the annotations the syncer sets
        // are kept, others on the host are left alone.
        if let Ok(wanted) = translate::pod_to_host(&value(&vpod), &self.context()) {
            if let Some(patch) = metadata_patch(&wanted, &hv) {
                let pp = PatchParams {
                    field_manager: Some(MANAGER.into()),
                    ..Default::default()
                };
                match self
                    .host_pods()
                    .patch(&hname, &pp, &Patch::Merge(&patch))
                    .await
                {
                    Ok(p) => self.hpods.put(p),
                    Err(e) => {
                        tracing::debug!(pod = %hname, error = %e, "labels to the host pod failed")
                    }
                }
            }
        }
        // Host -> virtual: the node, then the status.
        let host_node = hpod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty());
        let virtual_node = vpod.spec.as_ref().and_then(|s| s.node_name.clone());
        let mut bind_to = None;
        if let (Some(node), None) = (&host_node, &virtual_node) {
            self.ensure_virtual_node(node).await;
            bind_to = Some(node.clone());
        }
        let host_status = translate::pod_status_from_host(&hv);
        let virtual_status = value(&vpod).get("status").cloned().unwrap_or(Value::Null);
        let status =
            (host_status != virtual_status && host_status != json!({})).then_some(host_status);
        if bind_to.is_none() && status.is_none() {
            return Vec::new();
        }
        vec![Job::UpdateVirtual {
            namespace: ns.clone(),
            name: name.clone(),
            bind_to,
            status,
        }]
    }

    /// Tells the tenant why their pod does not run: a PodScheduled=False condition and
    /// a warning event on the virtual pod (once).
    async fn refuse(&mut self, vpod: &Pod, why: &str) {
        let already = vpod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| {
                c.iter().any(|c| {
                    c.type_ == "PodScheduled" && c.reason.as_deref() == Some("PodSecurity")
                })
            });
        if already {
            return;
        }
        let ns = vpod.namespace().unwrap_or_default();
        let name = vpod.name_any();
        let vapi: Api<Pod> = Api::namespaced(self.cfg.virtual_client.clone(), &ns);
        let status = json!({"status": {"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "PodSecurity",
            "message": format!("not synced to the host: {why}"),
            "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string(),
        }]}});
        let pp = PatchParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        if let Ok(p) = vapi.patch_status(&name, &pp, &Patch::Merge(&status)).await {
            self.vpods.put(p);
        }
        let event = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": format!("{name}."), "namespace": ns},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": name, "namespace": ns, "uid": vpod.uid()},
            "reason": "SyncRefused", "type": "Warning",
            "message": format!("the pod is not synced to the host: {why}"),
            "source": {"component": MANAGER},
            "firstTimestamp": k8s_openapi::jiff::Timestamp::now().to_string(),
            "lastTimestamp": k8s_openapi::jiff::Timestamp::now().to_string(),
            "count": 1,
        });
        if let Ok(ev) = serde_json::from_value::<k8s_openapi::api::core::v1::Event>(event) {
            let events: Api<k8s_openapi::api::core::v1::Event> =
                Api::namespaced(self.cfg.virtual_client.clone(), &ns);
            let _ = events.create(&PostParams::default(), &ev).await;
        }
    }

    /// Keeps the host Service of a virtual Service: created with the virtual
    /// Service's address if it went missing, its spec following the virtual one, node
    /// ports and load-balancer status back; deleted with the virtual Service.
    async fn reconcile_service(&mut self, key: &Key) {
        let (ns, name) = key;
        if !crate::services::is_synced(ns, name) {
            return;
        }
        let hname = crate::services::host_name(ns, name, &self.cfg.vcluster);
        let hns = self.cfg.host_namespace.clone();
        let api: Api<Service> = Api::namespaced(self.cfg.host_client.clone(), &hns);
        let virtual_svc = self.vservices.get(ns, name).map(value);
        let host_svc = self
            .hservices
            .get(&hns, &hname)
            .map(value)
            .filter(|h| names::is_managed_by(h, &self.cfg.vcluster));
        let ctx = self.context();
        match (virtual_svc, host_svc) {
            (None, Some(h)) => {
                let ours =
                    names::origin_of(&h).is_some_and(|o| o.namespace == *ns && o.name == *name);
                if ours {
                    let _ = api.delete(&hname, &DeleteParams::default()).await;
                }
            }
            (Some(v), None) => {
                if v.pointer("/metadata/deletionTimestamp").is_some() {
                    return;
                }
                let Ok(host) = translate::service_to_host(&v, &ctx) else {
                    return;
                };
                if let Ok(svc) = serde_json::from_value::<Service>(host) {
                    match api.create(&PostParams::default(), &svc).await {
                        Ok(created) => self.hservices.put(created),
                        Err(e) if is_status(&e, 409) => {}
                        Err(e) => {
                            tracing::warn!(service = %hname, error = %e, "recreating the host service failed")
                        }
                    }
                }
            }
            (Some(v), Some(h)) => {
                if let Some(next) = crate::services::host_spec_update(&h, &v, &ctx) {
                    if let Ok(svc) = serde_json::from_value::<Service>(next) {
                        match api.replace(&hname, &PostParams::default(), &svc).await {
                            Ok(updated) => self.hservices.put(updated),
                            Err(e) => {
                                tracing::debug!(service = %hname, error = %e, "updating the host service failed")
                            }
                        }
                    }
                }
                // Host -> virtual: node ports the host allocated, load-balancer status.
                let vapi: Api<Service> = Api::namespaced(self.cfg.virtual_client.clone(), ns);
                let mut adopted = v.clone();
                vnest_apiserver::allocation::adopt_host_addresses(
                    &mut adopted,
                    h.get("spec").unwrap_or(&Value::Null),
                );
                if adopted.get("spec") != v.get("spec")
                    && v.pointer("/spec/clusterIP") == h.pointer("/spec/clusterIP")
                {
                    let patch = json!({"spec": {"ports": adopted.pointer("/spec/ports")}});
                    let _ = vapi
                        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await;
                }
                let lb = h.pointer("/status/loadBalancer").cloned();
                if lb.is_some() && lb.as_ref() != v.pointer("/status/loadBalancer") {
                    let patch = json!({"status": {"loadBalancer": lb}});
                    let _ = vapi
                        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await;
                }
            }
            (None, None) => {}
        }
        self.reconcile_manual_endpoints(key).await;
    }

    /// A virtual Service without a selector has hand-written Endpoints: they cross to
    /// the host (the host's endpoints controller leaves such services alone too), and
    /// go with the Service.
    async fn reconcile_manual_endpoints(&mut self, key: &Key) {
        let (ns, name) = key;
        let hns = self.cfg.host_namespace.clone();
        let hname = crate::services::host_name(ns, name, &self.cfg.vcluster);
        let api: Api<Endpoints> = Api::namespaced(self.cfg.host_client.clone(), &hns);
        let manual = self.vservices.get(ns, name).is_some_and(|svc| {
            svc.spec.as_ref().is_some_and(|s| {
                s.selector.as_ref().is_none_or(|sel| sel.is_empty())
                    && s.type_.as_deref() != Some("ExternalName")
            })
        });
        // Only Endpoints the syncer wrote: the host's endpoints controller copies a
        // Service's labels (markers included) onto the Endpoints it maintains.
        let host = self
            .hendpoints
            .get(&hns, &hname)
            .map(value)
            .filter(|h| names::origin_of(h).is_some_and(|o| o.kind == "Endpoints"));
        let wanted = manual
            .then(|| self.vendpoints.get(ns, name).map(value))
            .flatten()
            .and_then(|v| translate::endpoints_to_host(&v, &self.context()).ok());
        match (wanted, host) {
            (Some(w), None) => {
                if let Ok(ep) = serde_json::from_value::<Endpoints>(w) {
                    match api.create(&PostParams::default(), &ep).await {
                        Ok(e) => self.hendpoints.put(e),
                        Err(e) if is_status(&e, 409) => {}
                        Err(e) => {
                            tracing::warn!(endpoints = %hname, error = %e, "creating host endpoints failed")
                        }
                    }
                }
            }
            (Some(mut w), Some(h))
                if names::is_managed_by(&h, &self.cfg.vcluster)
                    && w.get("subsets") != h.get("subsets") =>
            {
                w["metadata"]["resourceVersion"] = h["metadata"]["resourceVersion"].clone();
                if let Ok(ep) = serde_json::from_value::<Endpoints>(w) {
                    match api.replace(&hname, &PostParams::default(), &ep).await {
                        Ok(e) => self.hendpoints.put(e),
                        Err(e) => {
                            tracing::debug!(endpoints = %hname, error = %e, "updating host endpoints failed")
                        }
                    }
                }
            }
            (None, Some(h)) if names::is_managed_by(&h, &self.cfg.vcluster) => {
                let _ = api.delete(&hname, &DeleteParams::default()).await;
                self.hendpoints.remove(&hns, &hname);
            }
            _ => {}
        }
    }

    /// Creates the host claim of a virtual claim a pod uses, and brings the host's
    /// status (phase, capacity, access modes) back to the virtual claim.
    async fn sync_claim(&mut self, ns: &str, name: &str) {
        let Some(vclaim) = self.vclaims.get(ns, name).map(value) else {
            return;
        };
        let hns = self.cfg.host_namespace.clone();
        let hname = HostName::for_object(name, ns, &self.cfg.vcluster);
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.cfg.host_client.clone(), &hns);
        match self.hclaims.get(&hns, &hname).map(value) {
            None => {
                let Ok(host) = translate::claim_to_host(&vclaim, &self.context()) else {
                    return;
                };
                if let Ok(claim) = serde_json::from_value::<PersistentVolumeClaim>(host) {
                    match api.create(&PostParams::default(), &claim).await {
                        Ok(c) => self.hclaims.put(c),
                        Err(e) if is_status(&e, 409) => {}
                        Err(e) => {
                            tracing::warn!(claim = %hname, error = %e, "creating the host claim failed")
                        }
                    }
                }
            }
            Some(host) if names::is_managed_by(&host, &self.cfg.vcluster) => {
                let status = host.get("status").cloned().unwrap_or(Value::Null);
                if !status.is_null() && vclaim.get("status") != Some(&status) {
                    let vapi: Api<PersistentVolumeClaim> =
                        Api::namespaced(self.cfg.virtual_client.clone(), ns);
                    let patch = json!({"status": status});
                    if let Ok(c) = vapi
                        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                    {
                        self.vclaims.put(c);
                    }
                }
            }
            Some(_) => {
                tracing::warn!(claim = %hname, "a host claim of that name is not ours; left alone")
            }
        }
    }

    /// Copies a host event about one of this cluster's host pods to its virtual pod
    /// (created, or its count and last time updated).
    async fn copy_event(&mut self, e: &Event) {
        if e.involved_object.kind.as_deref() != Some("Pod") {
            return;
        }
        let host_pod_name = e.involved_object.name.clone().unwrap_or_default();
        let Some(hpod) = self.hpods.get(&self.cfg.host_namespace, &host_pod_name) else {
            return;
        };
        let hv = value(hpod);
        if !names::is_managed_by(&hv, &self.cfg.vcluster) {
            return;
        }
        let Some(origin) = names::origin_of(&hv) else {
            return;
        };
        let Some(virtual_event) = translate::event_to_virtual(
            &value(e),
            &self.cfg.host_namespace,
            &host_pod_name,
            &origin,
        ) else {
            return;
        };
        let Ok(ev) = serde_json::from_value::<Event>(virtual_event.clone()) else {
            return;
        };
        let api: Api<Event> = Api::namespaced(self.cfg.virtual_client.clone(), &origin.namespace);
        match api.create(&PostParams::default(), &ev).await {
            Ok(_) => {}
            Err(err) if is_status(&err, 409) => {
                let patch = json!({"count": virtual_event.get("count"), "lastTimestamp": virtual_event.get("lastTimestamp"),
                                   "message": virtual_event.get("message")});
                let _ = api
                    .patch(
                        &ev.metadata.name.clone().unwrap_or_default(),
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await;
            }
            Err(err) => tracing::debug!(error = %err, "copying a host event failed"),
        }
    }

    async fn delete_host_pod(&mut self, h: &Pod, grace: Option<i64>) {
        let dp = DeleteParams {
            grace_period_seconds: grace.map(|g| g.max(0) as u32),
            preconditions: Some(kube::api::Preconditions {
                uid: h.uid(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match self.host_pods().delete(&h.name_any(), &dp).await {
            Ok(_) => {}
            Err(e) if is_status(&e, 404) || is_status(&e, 409) => {}
            Err(e) => {
                tracing::warn!(pod = %h.name_any(), error = %e, "deleting the host pod failed")
            }
        }
    }

    /// Host claims follow their virtual claims: status back while both exist, the host
    /// claim deleted with the virtual one (a claim outlives its pods, as in kube).
    async fn sync_claims(&mut self) {
        let hns = self.cfg.host_namespace.clone();
        let keys: Vec<(String, Option<names::Origin>)> = self
            .hclaims
            .objects
            .values()
            .filter(|c| names::is_managed_by(&metadata_of(*c), &self.cfg.vcluster))
            .map(|c| (c.name_any(), names::origin_of(&metadata_of(c))))
            .collect();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.cfg.host_client.clone(), &hns);
        for (hname, origin) in keys {
            let Some(o) = origin else { continue };
            let gone = self
                .vclaims
                .get(&o.namespace, &o.name)
                .is_none_or(|c| c.metadata.deletion_timestamp.is_some());
            if gone {
                let _ = api.delete(&hname, &DeleteParams::default()).await;
                self.hclaims.remove(&hns, &hname);
            } else {
                self.sync_claim(&o.namespace, &o.name).await;
            }
        }
    }

    /// Host copies of configmaps and secrets follow their virtual originals, and go
    /// when no virtual pod uses them any more.
    async fn sync_data_objects(&mut self) {
        let mut used_cms: BTreeSet<Key> = BTreeSet::new();
        let mut used_secrets: BTreeSet<Key> = BTreeSet::new();
        let mut tokens: BTreeSet<String> = BTreeSet::new();
        // What a pod refers to cannot change (a pod's volumes, env and pull secrets
        // are immutable): worked out once per pod, not per pass over all of them.
        let mut live: BTreeSet<String> = BTreeSet::new();
        for ((ns, pname), p) in &self.vpods.objects {
            let uid = p.metadata.uid.clone().unwrap_or_default();
            let (cms, secrets) = self
                .pod_references
                .entry(uid.clone())
                .or_insert_with(|| references(&value(p)));
            used_cms.extend(cms.iter().map(|n| (ns.clone(), n.clone())));
            used_secrets.extend(secrets.iter().map(|n| (ns.clone(), n.clone())));
            tokens.insert(token_secret_name(pname, ns, &self.cfg.vcluster));
            live.insert(uid);
        }
        self.pod_references.retain(|uid, _| live.contains(uid));
        if self.cfg.sync_all_configmaps {
            used_cms.extend(self.vconfigmaps.objects.keys().cloned());
        }
        if self.cfg.sync_all_secrets {
            used_secrets.extend(
                self.vsecrets
                    .objects
                    .iter()
                    .filter(|(_, s)| {
                        s.type_.as_deref() != Some("kubernetes.io/service-account-token")
                    })
                    .map(|(k, _)| k.clone()),
            );
        }
        for (ns, name) in used_cms.clone() {
            self.sync_data::<ConfigMap>("ConfigMap", &ns, &name).await;
        }
        for (ns, name) in used_secrets.clone() {
            self.sync_data::<Secret>("Secret", &ns, &name).await;
        }
        let hns = self.cfg.host_namespace.clone();
        let stale_cms: Vec<String> = self
            .hconfigmaps
            .objects
            .values()
            .filter_map(|c| {
                let v = metadata_of(c);
                let o = names::origin_of(&v)?;
                (names::is_managed_by(&v, &self.cfg.vcluster)
                    && !used_cms.contains(&(o.namespace, o.name)))
                .then(|| c.name_any())
            })
            .collect();
        let cm_api: Api<ConfigMap> = Api::namespaced(self.cfg.host_client.clone(), &hns);
        for name in stale_cms {
            let _ = cm_api.delete(&name, &DeleteParams::default()).await;
            self.hconfigmaps.remove(&hns, &name);
        }
        let stale_secrets: Vec<String> = self
            .hsecrets
            .objects
            .values()
            .filter_map(|s| {
                let v = metadata_of(s);
                let o = names::origin_of(&v)?;
                let used = if o.kind == "ServiceAccountToken" {
                    tokens.contains(&s.name_any())
                } else {
                    used_secrets.contains(&(o.namespace, o.name))
                };
                (names::is_managed_by(&v, &self.cfg.vcluster) && !used).then(|| s.name_any())
            })
            .collect();
        let secret_api: Api<Secret> = Api::namespaced(self.cfg.host_client.clone(), &hns);
        for name in stale_secrets {
            let _ = secret_api.delete(&name, &DeleteParams::default()).await;
            self.hsecrets.remove(&hns, &name);
        }
    }
}

fn touched<K: kube::Resource + Clone>(change: Change<K>) -> Vec<K> {
    match change {
        Change::Touched(objs) => objs.into_iter().map(|(o, _)| o).collect(),
        Change::Nothing => Vec::new(),
    }
}

/// Runs the syncer until the task is aborted.
pub async fn run(cfg: SyncerConfig) {
    let selector = format!("{}={}", names::MANAGED_BY, cfg.vcluster);
    let host = |c: &Client| -> (Api<Pod>, Api<ConfigMap>, Api<Secret>) {
        (
            Api::namespaced(c.clone(), &cfg.host_namespace),
            Api::namespaced(c.clone(), &cfg.host_namespace),
            Api::namespaced(c.clone(), &cfg.host_namespace),
        )
    };
    let (hp, hc, hs) = host(&cfg.host_client);
    let mut vpods = watch_channel(Api::<Pod>::all(cfg.virtual_client.clone()));
    let mut vcms = watch_channel(Api::<ConfigMap>::all(cfg.virtual_client.clone()));
    let mut vsecrets = watch_channel(Api::<Secret>::all(cfg.virtual_client.clone()));
    let mut hpods = vnest_controllers::informer::watch_channel_with(hp, &selector);
    let mut hcms = vnest_controllers::informer::watch_channel_with(hc, &selector);
    let mut hsecrets = vnest_controllers::informer::watch_channel_with(hs, &selector);
    let mut vservices = watch_channel(Api::<Service>::all(cfg.virtual_client.clone()));
    // Host events (all of the namespace: events carry no markers), from now on.
    let mut hevents = watch_channel(Api::<Event>::namespaced(
        cfg.host_client.clone(),
        &cfg.host_namespace,
    ));
    let started_at = k8s_openapi::jiff::Timestamp::now();
    let mut vclaims = watch_channel(Api::<PersistentVolumeClaim>::all(
        cfg.virtual_client.clone(),
    ));
    let mut vendpoints = watch_channel(Api::<Endpoints>::all(cfg.virtual_client.clone()));
    let mut hendpoints = vnest_controllers::informer::watch_channel_with(
        Api::<Endpoints>::namespaced(cfg.host_client.clone(), &cfg.host_namespace),
        &selector,
    );
    let mut hclaims = vnest_controllers::informer::watch_channel_with(
        Api::<PersistentVolumeClaim>::namespaced(cfg.host_client.clone(), &cfg.host_namespace),
        &selector,
    );
    let mut hservices = vnest_controllers::informer::watch_channel_with(
        Api::<Service>::namespaced(cfg.host_client.clone(), &cfg.host_namespace),
        &selector,
    );
    let mut vnodes = watch_channel(Api::<Node>::all(cfg.virtual_client.clone()));
    let mut hnodes = cfg
        .sync_host_nodes
        .then(|| watch_channel(Api::<Node>::all(cfg.host_client.clone())));
    let mut s = Syncer {
        cfg,
        vpods: Store::default(),
        vconfigmaps: Store::default(),
        vsecrets: Store::default(),
        hpods: Store::default(),
        hconfigmaps: Store::default(),
        hsecrets: Store::default(),
        vservices: Store::default(),
        hservices: Store::default(),
        vclaims: Store::default(),
        hclaims: Store::default(),
        vendpoints: Store::default(),
        hendpoints: Store::default(),
        vnodes: Store::default(),
        hnodes: Store::default(),
        started: false,
        pod_references: Default::default(),
    };
    // Pods whose reconcile waits until both pod lists are in: before that, a missing
    // host pod may only not have arrived yet.
    let mut waiting: BTreeSet<Key> = BTreeSet::new();
    // Watches relist on their own after errors; the resync only catches what a bug
    // or a lost event left behind, and costs a reconcile of every pod.
    let mut resync = tokio::time::interval(std::time::Duration::from_secs(60));
    // Services wait for all four lists: before the virtual list is in, a host Service
    // without its virtual one is not yet known, not orphaned.
    let mut pending_services: BTreeSet<Key> = BTreeSet::new();
    loop {
        let mut dirty: BTreeSet<Key> = BTreeSet::new();
        let mut dirty_services: BTreeSet<Key> = BTreeSet::new();
        let mut host_events: Vec<Event> = Vec::new();
        let mut data_changed = false;
        let mut nodes_changed = false;
        tokio::select! {
            Some(ev) = vnodes.recv() => { nodes_changed |= !touched(s.vnodes.apply(ev)).is_empty(); }
            Some(ev) = async {
                match hnodes.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            } => { nodes_changed |= !touched(s.hnodes.apply(ev)).is_empty(); }
            Some(ev) = vservices.recv() => dirty_services.extend(touched(s.vservices.apply(ev)).iter().map(key_of)),
            Some(ev) = hservices.recv() => {
                for h in touched(s.hservices.apply(ev)) {
                    if let Some(o) = names::origin_of(&value(&h)) {
                        dirty_services.insert((o.namespace, o.name));
                    }
                }
            }
            Some(ev) = vpods.recv() => {
                let objs = touched(s.vpods.apply(ev));
                // Pods come and go with the data they use.
                data_changed |= !objs.is_empty();
                dirty.extend(objs.iter().map(key_of));
            }
            Some(ev) = hpods.recv() => {
                for p in touched(s.hpods.apply(ev)) {
                    dirty.extend(s.virtual_key(&metadata_of(&p)));
                }
            }
            Some(ev) = vcms.recv() => { data_changed |= !touched(s.vconfigmaps.apply(ev)).is_empty(); }
            Some(ev) = vsecrets.recv() => { data_changed |= !touched(s.vsecrets.apply(ev)).is_empty(); }
            Some(ev) = hcms.recv() => { s.hconfigmaps.apply(ev); }
            Some(ev) = hsecrets.recv() => { s.hsecrets.apply(ev); }
            Some(ev) = vclaims.recv() => { data_changed |= !touched(s.vclaims.apply(ev)).is_empty(); }
            Some(ev) = vendpoints.recv() => dirty_services.extend(touched(s.vendpoints.apply(ev)).iter().map(key_of)),
            Some(ev) = hendpoints.recv() => {
                for e in touched(s.hendpoints.apply(ev)) {
                    if let Some(o) = names::origin_of(&value(&e)) {
                        dirty_services.insert((o.namespace, o.name));
                    }
                }
            }
            Some(ev) = hclaims.recv() => { data_changed |= !touched(s.hclaims.apply(ev)).is_empty(); }
            Some(ev) = hevents.recv() => {
                if let kube::runtime::watcher::Event::Apply(e) = ev {
                    host_events.push(e);
                }
            }
            _ = resync.tick() => {
                dirty.extend(s.vpods.objects.keys().cloned());
                let host_keys: Vec<Key> = s.hpods.objects.values().filter_map(|p| s.virtual_key(&value(p))).collect();
                dirty.extend(host_keys);
                dirty_services.extend(s.vservices.objects.keys().cloned());
                let host_services: Vec<Key> = s.hservices.objects.values()
                    .filter_map(|h| names::origin_of(&value(h)).map(|o| (o.namespace, o.name)))
                    .collect();
                dirty_services.extend(host_services);
                data_changed = true;
            }
            else => return,
        }
        tokio::time::sleep(vnest_controllers::informer::SETTLE).await;
        while let Ok(ev) = vpods.try_recv() {
            let objs = touched(s.vpods.apply(ev));
            data_changed |= !objs.is_empty();
            dirty.extend(objs.iter().map(key_of));
        }
        while let Ok(ev) = hpods.try_recv() {
            for p in touched(s.hpods.apply(ev)) {
                dirty.extend(s.virtual_key(&metadata_of(&p)));
            }
        }
        while let Ok(ev) = vcms.try_recv() {
            data_changed |= !touched(s.vconfigmaps.apply(ev)).is_empty();
        }
        while let Ok(ev) = vnodes.try_recv() {
            nodes_changed |= !touched(s.vnodes.apply(ev)).is_empty();
        }
        if let Some(h) = hnodes.as_mut() {
            while let Ok(ev) = h.try_recv() {
                nodes_changed |= !touched(s.hnodes.apply(ev)).is_empty();
            }
        }
        while let Ok(ev) = vsecrets.try_recv() {
            data_changed |= !touched(s.vsecrets.apply(ev)).is_empty();
        }
        while let Ok(ev) = hcms.try_recv() {
            s.hconfigmaps.apply(ev);
        }
        while let Ok(ev) = hsecrets.try_recv() {
            s.hsecrets.apply(ev);
        }
        while let Ok(ev) = vendpoints.try_recv() {
            dirty_services.extend(touched(s.vendpoints.apply(ev)).iter().map(key_of));
        }
        while let Ok(ev) = hendpoints.try_recv() {
            for e in touched(s.hendpoints.apply(ev)) {
                if let Some(o) = names::origin_of(&value(&e)) {
                    dirty_services.insert((o.namespace, o.name));
                }
            }
        }
        while let Ok(ev) = vclaims.try_recv() {
            data_changed |= !touched(s.vclaims.apply(ev)).is_empty();
        }
        while let Ok(ev) = hclaims.try_recv() {
            data_changed |= !touched(s.hclaims.apply(ev)).is_empty();
        }
        while let Ok(ev) = vservices.try_recv() {
            dirty_services.extend(touched(s.vservices.apply(ev)).iter().map(key_of));
        }
        while let Ok(ev) = hservices.try_recv() {
            for h in touched(s.hservices.apply(ev)) {
                if let Some(o) = names::origin_of(&value(&h)) {
                    dirty_services.insert((o.namespace, o.name));
                }
            }
        }
        dirty.append(&mut waiting);
        if !(s.vpods.listed() && s.hpods.listed()) {
            waiting = dirty;
            dirty = BTreeSet::new();
        }
        let mut jobs = Vec::new();
        let startup_pass = !dirty.is_empty() && !s.started;
        for key in dirty {
            jobs.extend(s.reconcile(&key).await);
        }
        if startup_pass {
            s.started = true;
        }
        let cfg = s.cfg.clone();
        let results: Vec<Vec<Done>> = futures::stream::iter(jobs)
            .map(|job| run_job(cfg.clone(), job))
            .buffer_unordered(CONCURRENT_JOBS)
            .collect()
            .await;
        for done in results.into_iter().flatten() {
            match done {
                Done::HostSecret(x) => s.hsecrets.put(*x),
                Done::HostPod(x) => s.hpods.put(*x),
                Done::VirtualPod(x) => s.vpods.put(*x),
            }
        }
        pending_services.extend(dirty_services);
        if s.vservices.listed()
            && s.hservices.listed()
            && s.vendpoints.listed()
            && s.hendpoints.listed()
        {
            for key in std::mem::take(&mut pending_services) {
                s.reconcile_service(&key).await;
            }
        }
        while let Ok(ev) = hevents.try_recv() {
            if let kube::runtime::watcher::Event::Apply(e) = ev {
                host_events.push(e);
            }
        }
        for e in host_events {
            // What happened before this start was copied by the previous run.
            let last = e
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or(e.event_time.as_ref().map(|t| t.0));
            if last.is_some_and(|t| t < started_at) {
                continue;
            }
            s.copy_event(&e).await;
        }
        if data_changed {
            s.sync_data_objects().await;
            s.sync_claims().await;
        }
        // Pods coming, going or moving (data_changed follows pod events) and node
        // changes on either side.
        if data_changed || nodes_changed {
            s.sync_nodes().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_cover_volumes_env_and_pull_secrets() {
        let pod = json!({"spec": {
            "imagePullSecrets": [{"name": "reg"}],
            "volumes": [{"name": "a", "configMap": {"name": "cm1"}}, {"name": "b", "secret": {"secretName": "s1"}},
                        {"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {}}, {"configMap": {"name": "kube-root-ca.crt"}}, {"secret": {"name": "s2"}}]}}],
            "containers": [{"name": "c", "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cm2", "key": "k"}}}],
                            "envFrom": [{"secretRef": {"name": "s3"}}]}]}});
        let (cms, secrets) = references(&pod);
        assert_eq!(cms.into_iter().collect::<Vec<_>>(), ["cm1", "cm2"]);
        assert_eq!(
            secrets.into_iter().collect::<Vec<_>>(),
            ["reg", "s1", "s2", "s3"]
        );
    }

    #[test]
    fn pods_below_the_level_are_refused_with_podsecuritys_words() {
        use vnest_api::podsecurity::Level;
        let privileged = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "i", "securityContext": {"privileged": true}}]}});
        let plain = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "i"}]}});
        let host_net = json!({"metadata": {"name": "p"}, "spec": {"hostNetwork": true, "containers": [{"name": "app", "image": "i"}]}});
        assert_eq!(
            pod_security_refusal(Level::Baseline, &privileged).as_deref(),
            Some("violates PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)")
        );
        assert!(pod_security_refusal(Level::Baseline, &host_net).is_some());
        assert!(pod_security_refusal(Level::Baseline, &plain).is_none());
        assert!(pod_security_refusal(Level::Privileged, &privileged).is_none());
        assert!(pod_security_refusal(Level::Restricted, &plain).is_some());
    }

    #[test]
    fn host_labels_are_brought_back_to_the_virtual_ones() {
        let wanted = json!({"metadata": {"labels": {"app": "web", "vnest.io/managed-by": "a"}, "annotations": {"vnest.io/object-name": "p"}}});
        let same = json!({"metadata": {"labels": {"app": "web", "vnest.io/managed-by": "a"},
                                       "annotations": {"vnest.io/object-name": "p", "host.example/x": "1"}}});
        assert_eq!(
            metadata_patch(&wanted, &same),
            None,
            "host-side annotations stay"
        );
        let edited = json!({"metadata": {"labels": {"app": "hacked", "extra": "x", "vnest.io/managed-by": "a"},
                                         "annotations": {}}});
        assert_eq!(
            metadata_patch(&wanted, &edited),
            Some(
                json!({"metadata": {"labels": {"app": "web", "extra": null, "vnest.io/managed-by": "a"},
                                     "annotations": {"vnest.io/object-name": "p"}}})
            )
        );
    }

    #[test]
    fn token_secrets_are_named_per_pod() {
        assert_eq!(
            token_secret_name("web", "default", "dev"),
            "web-sa-token-x-default-x-dev"
        );
    }
}

//! The scheduler: binds pending pods to nodes that fit (nodeName, nodeSelector,
//! required node affinity, taints and tolerations, resource requests against
//! allocatable), spreading by least requested CPU; pods that fit nowhere stay
//! Pending with PodScheduled=False and a FailedScheduling event, as kube-scheduler
//! reports them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::json;
use vnest_controllers::informer::{key_of, watch_channel, Key, Store};
use vnest_controllers::nodes::{selector_fits, untolerated_taint};

use crate::quantity::parse_milli;

pub const SCHEDULER_NAME: &str = "default-scheduler";

/// Why one node does not fit, in kube-scheduler's words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Misfit {
    Selector,
    Taint(String),
    Resource(String),
    Unschedulable,
    NotReady,
}

impl Misfit {
    fn text(&self) -> String {
        match self {
            Misfit::Selector => "node(s) didn't match Pod's node affinity/selector".into(),
            Misfit::Taint(t) => format!("node(s) had untolerated taint {{{t}}}"),
            Misfit::Resource(r) => format!("Insufficient {r}"),
            Misfit::Unschedulable => "node(s) were unschedulable".into(),
            Misfit::NotReady => {
                "node(s) had untolerated taint {node.kubernetes.io/not-ready: }".into()
            }
        }
    }
}

/// kube-scheduler's message for a pod no node takes:
/// `0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.
/// preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`
pub fn failure_message(total: usize, misfits: &[Misfit]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for m in misfits {
        *counts.entry(m.text()).or_insert(0) += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
    let reasons = if parts.is_empty() {
        "no nodes available to schedule pods".to_string()
    } else {
        parts.join(", ")
    };
    format!(
        "0/{total} nodes are available: {reasons}. preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling."
    )
}

fn requests(pod: &Pod) -> BTreeMap<String, i128> {
    let mut out: BTreeMap<String, i128> = BTreeMap::new();
    let Some(spec) = pod.spec.as_ref() else {
        return out;
    };
    for c in &spec.containers {
        for (k, v) in c
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .into_iter()
            .flatten()
        {
            *out.entry(k.clone()).or_insert(0) += parse_milli(&v.0).unwrap_or(0);
        }
    }
    for c in spec.init_containers.iter().flatten() {
        for (k, v) in c
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .into_iter()
            .flatten()
        {
            let q = parse_milli(&v.0).unwrap_or(0);
            let e = out.entry(k.clone()).or_insert(0);
            *e = (*e).max(q);
        }
    }
    *out.entry("pods".into()).or_insert(0) += 1000;
    out
}

/// What is already requested on a node.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub requested: BTreeMap<String, i128>,
    pub pods: usize,
}

impl Usage {
    pub fn add(&mut self, requests: &BTreeMap<String, i128>) {
        for (k, v) in requests {
            *self.requested.entry(k.clone()).or_insert(0) += v;
        }
        self.pods += 1;
    }

    pub fn of(pods: &[&Pod]) -> Usage {
        let mut u = Usage::default();
        for p in pods {
            u.add(&requests(p));
        }
        u
    }
}

/// A node with its allocatable resources parsed once.
pub struct Candidate<'n> {
    pub node: &'n Node,
    pub allocatable: BTreeMap<String, i128>,
}

impl<'n> Candidate<'n> {
    pub fn new(node: &'n Node) -> Candidate<'n> {
        let allocatable = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.clone(), parse_milli(&v.0).unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Candidate { node, allocatable }
    }
}

/// Whether a pod (with `want` requested) fits a node that already has `used`.
pub fn fits_on(
    pod: &Pod,
    want: &BTreeMap<String, i128>,
    c: &Candidate<'_>,
    used: &Usage,
) -> Result<(), Misfit> {
    let node = c.node;
    if node
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false)
    {
        return Err(Misfit::Unschedulable);
    }
    if !selector_fits(pod.spec.as_ref(), node) {
        return Err(Misfit::Selector);
    }
    if let Some(taint) = untolerated_taint(pod.spec.as_ref(), node) {
        let value = taint.value.clone().unwrap_or_default();
        return Err(Misfit::Taint(format!("{}: {value}", taint.key)));
    }
    for (k, amount) in want {
        let Some(cap) = c.allocatable.get(k) else {
            if k == "pods" {
                continue;
            }
            return Err(Misfit::Resource(k.clone()));
        };
        if used.requested.get(k).copied().unwrap_or(0) + amount > *cap {
            return Err(Misfit::Resource(k.clone()));
        }
    }
    Ok(())
}

/// Whether `pod` fits `node` next to the pods already bound there.
pub fn fits(pod: &Pod, node: &Node, bound: &[&Pod]) -> Result<(), Misfit> {
    fits_on(
        pod,
        &requests(pod),
        &Candidate::new(node),
        &Usage::of(bound),
    )
}

/// The node for a pod among `candidates` with their usage: of those that fit, the
/// one with the least requested CPU (then fewest pods, then name). `Err` carries each
/// node's reason.
pub fn choose(
    pod: &Pod,
    want: &BTreeMap<String, i128>,
    candidates: &[Candidate<'_>],
    usage: &HashMap<String, Usage>,
) -> Result<usize, Vec<Misfit>> {
    let empty = Usage::default();
    let mut misfits = Vec::new();
    let mut best: Option<(usize, (i128, usize, String))> = None;
    for (i, c) in candidates.iter().enumerate() {
        let name = c.node.name_any();
        let used = usage.get(&name).unwrap_or(&empty);
        match fits_on(pod, want, c, used) {
            Ok(()) => {
                let score = (
                    used.requested.get("cpu").copied().unwrap_or(0),
                    used.pods,
                    name,
                );
                if best.as_ref().is_none_or(|(_, s)| score < *s) {
                    best = Some((i, score));
                }
            }
            Err(m) => misfits.push(m),
        }
    }
    best.map(|(i, _)| i).ok_or(misfits)
}

/// [`choose`] from the bound pods (for tests and one-off decisions).
pub fn schedule<'n>(
    pod: &Pod,
    nodes: &'n [Node],
    bound: &HashMap<String, Vec<&Pod>>,
) -> Result<&'n Node, Vec<Misfit>> {
    let candidates: Vec<Candidate<'_>> = nodes.iter().map(Candidate::new).collect();
    let usage: HashMap<String, Usage> = bound
        .iter()
        .map(|(k, v)| (k.clone(), Usage::of(v)))
        .collect();
    choose(pod, &requests(pod), &candidates, &usage).map(|i| &nodes[i])
}

/// What of the nodes decides placement (labels, taints, cordon, allocatable,
/// readiness), to tell a change that may let a waiting pod fit from a heartbeat.
fn placement_view(nodes: &Store<Node>) -> Vec<(String, serde_json::Value)> {
    nodes
        .objects
        .values()
        .map(|n| {
            let ready = n
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
                .map(|c| c.status.clone());
            (
                n.name_any(),
                json!([
                    n.metadata.labels,
                    n.spec.as_ref().map(|s| (&s.taints, s.unschedulable)),
                    n.status.as_ref().map(|s| &s.allocatable),
                    ready,
                ]),
            )
        })
        .collect()
}

/// Whether the pod already carries this PodScheduled=False message (no need to write
/// it, or the FailedScheduling event, again).
fn already_refused(pod: &Pod, message: &str) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
        .is_some_and(|c| c.status == "False" && c.message.as_deref() == Some(message))
}

fn pending(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    spec.and_then(|s| s.node_name.as_ref())
        .is_none_or(|n| n.is_empty())
        && spec
            .and_then(|s| s.scheduler_name.as_deref())
            .is_none_or(|s| s == SCHEDULER_NAME)
        && pod.metadata.deletion_timestamp.is_none()
        && !matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

fn node_name(pod: &Pod) -> Option<String> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .filter(|n| !n.is_empty())
}

/// kube-scheduler's per-pod back-off after a failed attempt: 1 s, doubling up to
/// 10 s.
#[derive(Debug, Default)]
pub struct Backoff {
    waits: HashMap<Key, (tokio::time::Instant, std::time::Duration)>,
}

impl Backoff {
    const INITIAL: std::time::Duration = std::time::Duration::from_secs(1);
    const MAX: std::time::Duration = std::time::Duration::from_secs(10);

    pub fn failed(&mut self, key: Key, now: tokio::time::Instant) {
        let wait = self
            .waits
            .get(&key)
            .map_or(Self::INITIAL, |(_, w)| (*w * 2).min(Self::MAX));
        self.waits.insert(key, (now + wait, wait));
    }

    pub fn ready(&self, key: &Key, now: tokio::time::Instant) -> bool {
        self.waits.get(key).is_none_or(|(until, _)| *until <= now)
    }

    /// Drops pods that no longer wait (bound, gone).
    pub fn forget(&mut self, still_pending: impl Fn(&Key) -> bool) {
        self.waits.retain(|k, _| still_pending(k));
    }

    /// When the first pod that is not parked as unschedulable may be tried again.
    pub fn next_expiry(&self, parked: &BTreeSet<Key>) -> Option<tokio::time::Instant> {
        let now = tokio::time::Instant::now();
        self.waits
            .iter()
            .filter(|(k, (until, _))| !parked.contains(*k) && *until > now)
            .map(|(_, (until, _))| *until)
            .min()
    }
}

/// Whether a pod event may have made room on a node: a bound pod deleted, being
/// deleted, or finished.
fn frees_room(change: vnest_controllers::informer::Change<Pod>) -> bool {
    let vnest_controllers::informer::Change::Touched(objs) = change else {
        return false;
    };
    objs.iter().any(|(p, gone)| {
        node_name(p).is_some()
            && (*gone
                || p.metadata.deletion_timestamp.is_some()
                || matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                ))
    })
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut pods_w = watch_channel(Api::<Pod>::all(client.clone()));
    let mut nodes_w = watch_channel(Api::<Node>::all(client.clone()));
    let mut pods: Store<Pod> = Store::default();
    let mut nodes: Store<Node> = Store::default();
    // Pods told they do not fit, and the node count then (retry when nodes change).
    let mut unschedulable: BTreeSet<Key> = BTreeSet::new();
    // Bindings sent whose pods the watch has not shown bound yet.
    let mut assumed: HashMap<Key, String> = HashMap::new();
    // Pods that did not fit wait out a back-off before the next attempt, so a burst
    // of node changes is answered by one attempt, not one per change.
    let mut backoff = Backoff::default();
    // Waiting pods are retried when nodes change or a bound pod goes (room freed),
    // and otherwise now and then (kube flushes its unschedulable queue the same way).
    let mut retry = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        let mut nodes_changed = false;
        let wake = backoff.next_expiry(&unschedulable);
        tokio::select! {
            Some(ev) = pods_w.recv() => { nodes_changed |= frees_room(pods.apply(ev)); }
            Some(ev) = nodes_w.recv() => {
                let before = placement_view(&nodes);
                nodes.apply(ev);
                while let Ok(ev) = nodes_w.try_recv() {
                    nodes.apply(ev);
                }
                // Heartbeats change nothing a pod could be placed by.
                nodes_changed = placement_view(&nodes) != before;
            }
            _ = retry.tick() => { nodes_changed = true; }
            _ = sleep_until_opt(wake) => {}
            else => return,
        }
        if nodes_changed {
            // Node changes come in bursts (a label on every node, a rollout of
            // taints): let the burst land so waiting pods see all of it at once.
            tokio::time::sleep(vnest_controllers::informer::SETTLE).await;
            while let Ok(ev) = nodes_w.try_recv() {
                nodes.apply(ev);
            }
        }
        while let Ok(ev) = pods_w.try_recv() {
            nodes_changed |= frees_room(pods.apply(ev));
        }
        if nodes_changed {
            unschedulable.clear();
        }
        let now = tokio::time::Instant::now();
        backoff.forget(|k| pods.objects.get(k).is_some_and(pending));
        let node_list: Vec<Node> = nodes.objects.values().cloned().collect();
        assumed.retain(|k, _| pods.objects.get(k).is_some_and(pending));
        let todo: Vec<Pod> = pods
            .objects
            .values()
            .filter(|p| {
                let k = key_of(*p);
                pending(p)
                    && !unschedulable.contains(&k)
                    && !assumed.contains_key(&k)
                    && backoff.ready(&k, now)
            })
            .cloned()
            .collect();
        if todo.is_empty() {
            continue;
        }
        let mut usage: HashMap<String, Usage> = HashMap::new();
        for p in pods.objects.values() {
            let done = matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            );
            let n = node_name(p).or_else(|| assumed.get(&key_of(p)).cloned());
            if let (Some(n), false) = (n, done) {
                usage.entry(n).or_default().add(&requests(p));
            }
        }
        let candidates: Vec<Candidate<'_>> = node_list.iter().map(Candidate::new).collect();
        // Decide every binding first (in memory), then send them concurrently.
        let mut bindings: Vec<(Pod, String)> = Vec::new();
        let mut refused: Vec<(Pod, String)> = Vec::new();
        for pod in todo {
            let want = requests(&pod);
            match choose(&pod, &want, &candidates, &usage) {
                Ok(i) => {
                    let name = candidates[i].node.name_any();
                    assumed.insert(key_of(&pod), name.clone());
                    usage.entry(name.clone()).or_default().add(&want);
                    bindings.push((pod, name));
                }
                Err(misfits) => {
                    let msg = failure_message(node_list.len(), &misfits);
                    refused.push((pod, msg));
                }
            }
        }
        let sends: Vec<_> = bindings
            .into_iter()
            .map(|(pod, node)| {
                let client = client.clone();
                async move {
                    let ns = pod.namespace().unwrap_or_default();
                    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
                    let binding = json!({
                        "apiVersion": "v1", "kind": "Binding",
                        "metadata": {"name": pod.name_any(), "namespace": ns},
                        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
                    });
                    match api
                        .create_subresource::<serde_json::Value, serde_json::Value>(
                            "binding",
                            &pod.name_any(),
                            &PostParams::default(),
                            &binding,
                        )
                        .await
                    {
                        Ok(_) => {
                            crate::events::record(
                                &client,
                                &pod,
                                "Normal",
                                "Scheduled",
                                &format!("Successfully assigned {ns}/{} to {node}", pod.name_any()),
                                SCHEDULER_NAME,
                            )
                            .await;
                        }
                        Err(e) => {
                            tracing::debug!(pod = %pod.name_any(), error = %e, "binding failed")
                        }
                    }
                }
            })
            .collect();
        // Bindings go out in the background: the loop keeps scheduling meanwhile (the
        // assumed map keeps it from placing a pod twice).
        tracing::debug!(pods = sends.len(), "binding a batch");
        for send in sends {
            tokio::spawn(send);
        }
        for (pod, msg) in refused {
            unschedulable.insert(key_of(&pod));
            backoff.failed(key_of(&pod), now);
            if already_refused(&pod, &msg) {
                continue;
            }
            let ns = pod.namespace().unwrap_or_default();
            let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
            let status = json!({"status": {"phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": msg, "lastProbeTime": null,
                "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string(),
            }]}});
            let pp = PatchParams {
                field_manager: Some(SCHEDULER_NAME.into()),
                ..Default::default()
            };
            if api
                .patch_status(&pod.name_any(), &pp, &Patch::Merge(&status))
                .await
                .is_ok()
            {
                crate::events::record(
                    &client,
                    &pod,
                    "Warning",
                    "FailedScheduling",
                    &msg,
                    SCHEDULER_NAME,
                )
                .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: serde_json::Value, taints: serde_json::Value, cpu: &str) -> Node {
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": labels},
            "spec": {"taints": taints},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}},
        }))
        .unwrap()
    }

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).unwrap()
    }

    #[test]
    fn failed_pods_back_off_doubling_up_to_ten_seconds() {
        let mut b = Backoff::default();
        let key: Key = ("ns".into(), "p".into());
        let t0 = tokio::time::Instant::now();
        assert!(b.ready(&key, t0));
        b.failed(key.clone(), t0);
        assert!(!b.ready(&key, t0 + std::time::Duration::from_millis(900)));
        assert!(b.ready(&key, t0 + std::time::Duration::from_secs(1)));
        for _ in 0..6 {
            b.failed(key.clone(), t0);
        }
        assert!(!b.ready(&key, t0 + std::time::Duration::from_secs(9)));
        assert!(b.ready(&key, t0 + std::time::Duration::from_secs(10)));
        b.forget(|_| false);
        assert!(b.ready(&key, t0));
    }

    #[test]
    fn selectors_taints_and_resources() {
        let nodes = vec![
            node("a", json!({"disk": "ssd"}), json!([]), "1"),
            node(
                "b",
                json!({}),
                json!([{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]),
                "4",
            ),
        ];
        let none = HashMap::new();
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i"}], "nodeSelector": {"disk": "ssd"}}),
        );
        assert_eq!(schedule(&p, &nodes, &none).unwrap().name_any(), "a");
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "2"}}}]}),
        );
        let err = schedule(&p, &nodes, &none).unwrap_err();
        assert_eq!(
            failure_message(2, &err),
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {gpu: yes}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        );
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "2"}}}],
                           "tolerations": [{"key": "gpu", "operator": "Exists"}]}),
        );
        assert_eq!(schedule(&p, &nodes, &none).unwrap().name_any(), "b");
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i"}], "nodeSelector": {"zone": "mars"}}),
        );
        let err = schedule(&p, &nodes, &none).unwrap_err();
        assert_eq!(
            failure_message(2, &err),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn affinity_and_spreading() {
        let nodes = vec![
            node("a", json!({"zone": "1"}), json!([]), "8"),
            node("b", json!({"zone": "2"}), json!([]), "8"),
        ];
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i"}], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["2"]}]}]}}}}),
        );
        assert_eq!(
            schedule(&p, &nodes, &HashMap::new()).unwrap().name_any(),
            "b"
        );
        let p = pod(
            json!({"containers": [{"name": "c", "image": "i"}], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}]}}}}),
        );
        assert_eq!(
            schedule(&p, &nodes, &HashMap::new()).unwrap().name_any(),
            "a"
        );
        // Least loaded wins.
        let busy = pod(
            json!({"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "1"}}}]}),
        );
        let bound: HashMap<String, Vec<&Pod>> = [("a".to_string(), vec![&busy])].into();
        let p = pod(json!({"containers": [{"name": "c", "image": "i"}]}));
        assert_eq!(schedule(&p, &nodes, &bound).unwrap().name_any(), "b");
    }
}

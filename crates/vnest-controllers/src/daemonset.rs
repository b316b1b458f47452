//! The DaemonSet controller: one pod on every node the template admits (nodeSelector,
//! required node affinity, taints it tolerates, with the tolerations kube adds to
//! daemon pods), pinned to its node by node affinity on `metadata.name` so the
//! scheduler binds it there; extra and misplaced pods removed; RollingUpdate
//! (maxUnavailable, maxSurge) or OnDelete; template history as ControllerRevisions;
//! the status `kubectl rollout status` and `kubectl get ds` read.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodTemplateSpec, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, DeleteParams, PostParams};
use kube::{Client, ResourceExt};

use crate::informer::{controller_uid, key_of, watch_channel, write_status, Change, Key, Store};
use crate::nodes::{selector_fits, untolerated_taint};
use crate::pods::is_available;
use crate::revision::{self, REVISION_LABEL};

const MANAGER: &str = "daemonset-controller";
pub const TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";

/// The tolerations kube adds to every daemon pod, so that node conditions and
/// cordoning do not evict or keep out what runs on every node.
pub fn daemon_tolerations() -> Vec<Toleration> {
    let t = |key: &str, effect: &str| Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        ..Default::default()
    };
    vec![
        t("node.kubernetes.io/not-ready", "NoExecute"),
        t("node.kubernetes.io/unreachable", "NoExecute"),
        t("node.kubernetes.io/disk-pressure", "NoSchedule"),
        t("node.kubernetes.io/memory-pressure", "NoSchedule"),
        t("node.kubernetes.io/pid-pressure", "NoSchedule"),
        t("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
}

fn with_daemon_tolerations(template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = template.clone();
    let spec = t.spec.get_or_insert_with(Default::default);
    let list = spec.tolerations.get_or_insert_with(Vec::new);
    for extra in daemon_tolerations() {
        if !list
            .iter()
            .any(|have| have.key == extra.key && have.effect == extra.effect)
        {
            list.push(extra);
        }
    }
    t
}

/// Whether the set's pods belong on `node`.
pub fn should_run(ds: &DaemonSet, node: &Node) -> bool {
    let Some(template) = ds
        .spec
        .as_ref()
        .map(|s| with_daemon_tolerations(&s.template))
    else {
        return false;
    };
    selector_fits(template.spec.as_ref(), node)
        && untolerated_taint(template.spec.as_ref(), node).is_none()
}

/// The node a daemon pod is for: where it is bound, or the node its affinity pins it
/// to while it waits for the scheduler.
pub fn node_of(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(n) = spec.node_name.clone().filter(|n| !n.is_empty()) {
        return Some(n);
    }
    spec.affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms
        .iter()
        .flat_map(|t| t.match_fields.iter().flatten())
        .find(|f| f.key == "metadata.name" && f.operator == "In")
        .and_then(|f| f.values.as_ref()?.first().cloned())
}

/// The pod for `node`, made from `template` of revision `hash`.
pub fn pod_for(ds: &DaemonSet, template: &PodTemplateSpec, hash: &str, node: &str) -> Pod {
    let template = with_daemon_tolerations(template);
    let tmeta = template.metadata.clone().unwrap_or_default();
    let mut labels = tmeta.labels.unwrap_or_default();
    labels.insert(REVISION_LABEL.into(), hash.into());
    if let Some(generation) = ds.metadata.generation {
        labels.insert(TEMPLATE_GENERATION_LABEL.into(), generation.to_string());
    }
    let mut spec = template.spec.clone().unwrap_or_default();
    let pin = NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec![node.into()]),
            }]),
        }],
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(pin);
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", ds.name_any())),
            namespace: ds.namespace(),
            labels: Some(labels),
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "DaemonSet".into(),
                name: ds.name_any(),
                uid: ds.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

fn terminating(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_some()
}

fn failed(p: &Pod) -> bool {
    p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed")
}

fn revision_of(p: &Pod) -> Option<&str> {
    p.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(REVISION_LABEL))
        .map(String::as_str)
}

fn min_ready_seconds(ds: &DaemonSet) -> i32 {
    ds.spec
        .as_ref()
        .and_then(|s| s.min_ready_seconds)
        .unwrap_or(0)
}

/// An int-or-percent of `total`, rounded up as kube rounds maxUnavailable/maxSurge.
fn scaled(v: Option<&IntOrString>, total: i32, default: i32) -> i32 {
    match v {
        None => default,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
                Some(p) => ((p * i64::from(total) + 99) / 100) as i32,
                None => default,
            }
        }
    }
    .max(0)
}

/// One change the controller makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create a pod on this node (from the update revision).
    Create(String),
    Delete(String),
}

/// What a set needs now, given the nodes and its pods by node (pure: kube's
/// `manage` then `rollingUpdate`).
pub fn plan(
    ds: &DaemonSet,
    nodes: &[&Node],
    pods: &BTreeMap<String, Vec<&Pod>>,
    update_hash: &str,
) -> Vec<Step> {
    let now = k8s_openapi::jiff::Timestamp::now();
    let min_ready = min_ready_seconds(ds);
    let mut steps = Vec::new();
    let wanted: BTreeSet<String> = nodes
        .iter()
        .filter(|n| should_run(ds, n))
        .map(|n| n.name_any())
        .collect();
    for (node, list) in pods {
        if !wanted.contains(node) {
            steps.extend(
                list.iter()
                    .filter(|p| !terminating(p))
                    .map(|p| Step::Delete(p.name_any())),
            );
        }
    }
    // Per wanted node: its live pods, oldest first.
    let mut live: BTreeMap<&str, Vec<&Pod>> = BTreeMap::new();
    for node in &wanted {
        let mut list: Vec<&Pod> = pods.get(node).cloned().unwrap_or_default();
        for p in list.iter().filter(|p| failed(p) && !terminating(p)) {
            steps.push(Step::Delete(p.name_any()));
        }
        list.retain(|p| !failed(p));
        list.sort_by_key(|p| {
            p.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default()
        });
        let active: Vec<&Pod> = list.iter().copied().filter(|p| !terminating(p)).collect();
        if list.is_empty() {
            steps.push(Step::Create(node.clone()));
        } else if active.len() > 1 {
            // Keep the updated one if any, else the oldest.
            let keep = active
                .iter()
                .position(|p| revision_of(p) == Some(update_hash))
                .unwrap_or(0);
            for (i, p) in active.iter().enumerate() {
                if i != keep {
                    steps.push(Step::Delete(p.name_any()));
                }
            }
        }
        live.insert(node.as_str(), list);
    }
    let spec = ds.spec.as_ref();
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    if strategy.and_then(|u| u.type_.as_deref()) == Some("OnDelete") || !steps.is_empty() {
        return steps;
    }
    let rolling = strategy.and_then(|u| u.rolling_update.as_ref());
    let desired = wanted.len() as i32;
    let max_surge = scaled(rolling.and_then(|r| r.max_surge.as_ref()), desired, 0);
    let max_unavailable = scaled(
        rolling.and_then(|r| r.max_unavailable.as_ref()),
        desired,
        if max_surge > 0 { 0 } else { 1 },
    );
    let available = |p: &Pod| !terminating(p) && is_available(p, min_ready, now);
    if max_surge > 0 {
        // Surge: start the new pod beside the old one, remove the old one once the new
        // one is available.
        let mut surging = live.values().filter(|l| l.len() > 1).count() as i32;
        for (node, list) in &live {
            let old: Vec<&&Pod> = list
                .iter()
                .filter(|p| revision_of(p) != Some(update_hash))
                .collect();
            let new = list.iter().find(|p| revision_of(p) == Some(update_hash));
            match (old.is_empty(), new) {
                (true, _) => {}
                (false, Some(n)) if available(n) => steps.extend(
                    old.iter()
                        .filter(|p| !terminating(p))
                        .map(|p| Step::Delete(p.name_any())),
                ),
                (false, Some(_)) => {}
                (false, None) if surging < max_surge => {
                    surging += 1;
                    steps.push(Step::Create(node.to_string()));
                }
                (false, None) => {}
            }
        }
        return steps;
    }
    let mut unavailable = live
        .values()
        .filter(|l| !l.iter().any(|p| available(p)))
        .count() as i32;
    // Old pods that are not available anyway go first: replacing them costs nothing.
    let mut old_available = Vec::new();
    for list in live.values() {
        for p in list
            .iter()
            .filter(|p| !terminating(p) && revision_of(p) != Some(update_hash))
        {
            if available(p) {
                old_available.push(p.name_any());
            } else {
                steps.push(Step::Delete(p.name_any()));
            }
        }
    }
    for name in old_available {
        if unavailable >= max_unavailable {
            break;
        }
        unavailable += 1;
        steps.push(Step::Delete(name));
    }
    steps
}

/// The status of a set with these nodes and pods.
pub fn status_for(
    ds: &DaemonSet,
    nodes: &[&Node],
    pods: &BTreeMap<String, Vec<&Pod>>,
    update_hash: &str,
    collision_count: Option<i32>,
) -> DaemonSetStatus {
    let now = k8s_openapi::jiff::Timestamp::now();
    let min_ready = min_ready_seconds(ds);
    let wanted: BTreeSet<String> = nodes
        .iter()
        .filter(|n| should_run(ds, n))
        .map(|n| n.name_any())
        .collect();
    let mut st = DaemonSetStatus {
        desired_number_scheduled: wanted.len() as i32,
        observed_generation: ds.metadata.generation,
        collision_count,
        conditions: ds.status.as_ref().and_then(|s| s.conditions.clone()),
        ..Default::default()
    };
    let mut ready = 0;
    let mut available = 0;
    let mut updated = 0;
    for (node, list) in pods {
        let live: Vec<&&Pod> = list.iter().filter(|p| !terminating(p)).collect();
        if live.is_empty() {
            continue;
        }
        if !wanted.contains(node) {
            st.number_misscheduled += 1;
            continue;
        }
        st.current_number_scheduled += 1;
        if live.iter().any(|p| crate::pods::is_ready(p)) {
            ready += 1;
        }
        if live.iter().any(|p| is_available(p, min_ready, now)) {
            available += 1;
        }
        if live.iter().any(|p| revision_of(p) == Some(update_hash)) {
            updated += 1;
        }
    }
    st.number_ready = ready;
    st.number_available = Some(available);
    st.updated_number_scheduled = Some(updated);
    st.number_unavailable = Some(st.desired_number_scheduled - available);
    st
}

struct Controller {
    client: Client,
    sets: Store<DaemonSet>,
    pods: Store<Pod>,
    nodes: Store<Node>,
    revisions: Store<ControllerRevision>,
}

impl Controller {
    fn pods_by_node(&self, ds: &DaemonSet) -> BTreeMap<String, Vec<&Pod>> {
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let ns = ds.namespace().unwrap_or_default();
        let mut out: BTreeMap<String, Vec<&Pod>> = BTreeMap::new();
        for (_, p) in self
            .pods
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((pns, _), _)| *pns == ns)
        {
            if controller_uid(p, "DaemonSet").as_deref() != Some(uid.as_str()) {
                continue;
            }
            if let Some(node) = node_of(p) {
                out.entry(node).or_default().push(p);
            }
        }
        out
    }

    fn history(&mut self) -> revision::History<'_> {
        revision::History {
            client: &self.client,
            revisions: &mut self.revisions,
            manager: MANAGER,
        }
    }

    fn owner_of<K: kube::Resource>(&self, obj: &K) -> Option<Key> {
        let uid = controller_uid(obj, "DaemonSet")?;
        let ns = obj.meta().namespace.clone().unwrap_or_default();
        self.sets
            .objects
            .range((ns.clone(), String::new())..)
            .take_while(|((sns, _), _)| *sns == ns)
            .find(|(_, s)| s.metadata.uid.as_deref() == Some(uid.as_str()))
            .map(|(k, _)| k.clone())
    }

    async fn reconcile(&mut self, key: &Key) {
        let Some(ds) = self.sets.get(&key.0, &key.1).cloned() else {
            return;
        };
        if ds.metadata.deletion_timestamp.is_some() {
            return;
        }
        let template = ds
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let collision = ds.status.as_ref().and_then(|s| s.collision_count);
        let Some(update_hash) = self.history().record(&ds, &template, collision).await else {
            return;
        };
        let nodes: Vec<Node> = self.nodes.objects.values().cloned().collect();
        let node_refs: Vec<&Node> = nodes.iter().collect();
        let steps = plan(&ds, &node_refs, &self.pods_by_node(&ds), &update_hash);
        let ns = key.0.clone();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
        let template = ds
            .spec
            .as_ref()
            .map(|s| s.template.clone())
            .unwrap_or_default();
        let params = PostParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        let mut deleted = BTreeSet::new();
        for step in steps {
            match step {
                Step::Create(node) => match api
                    .create(&params, &pod_for(&ds, &template, &update_hash, &node))
                    .await
                {
                    Ok(p) => self.pods.put(p),
                    Err(e) => {
                        tracing::warn!(ds = %key.1, node = %node, error = %e, "creating a daemon pod failed")
                    }
                },
                Step::Delete(name) => {
                    if !deleted.insert(name.clone()) {
                        continue;
                    }
                    let answer = api.delete(&name, &DeleteParams::default()).await;
                    if let Err(e) = self.pods.record_delete(&ns, &name, answer) {
                        tracing::warn!(pod = %name, error = %e, "deleting a daemon pod failed");
                    }
                }
            }
        }
        let by_node = self.pods_by_node(&ds);
        let collision = ds.status.as_ref().and_then(|s| s.collision_count);
        let status = status_for(&ds, &node_refs, &by_node, &update_hash, collision);
        let mut live: BTreeSet<String> = by_node
            .values()
            .flatten()
            .filter_map(|p| revision_of(p).map(str::to_string))
            .collect();
        live.insert(update_hash.clone());
        self.prune_history(&ds, &live).await;
        let sets: Api<DaemonSet> = Api::namespaced(self.client.clone(), &ns);
        write_status(
            &sets,
            &mut self.sets,
            &key.1,
            MANAGER,
            ds.status.as_ref(),
            &status,
        )
        .await;
    }

    async fn prune_history(&mut self, ds: &DaemonSet, live: &BTreeSet<String>) {
        let limit = ds
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10)
            .max(0) as usize;
        self.history().prune(ds, live, limit).await;
    }
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut sets = watch_channel(Api::<DaemonSet>::all(client.clone()));
    let mut pods = watch_channel(Api::<Pod>::all(client.clone()));
    let mut nodes = watch_channel(Api::<Node>::all(client.clone()));
    let mut revisions = watch_channel(Api::<ControllerRevision>::all(client.clone()));
    let mut c = Controller {
        client,
        sets: Store::default(),
        pods: Store::default(),
        nodes: Store::default(),
        revisions: Store::default(),
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        let mut dirty: BTreeSet<Key> = BTreeSet::new();
        let mut all = false;
        tokio::select! {
            Some(ev) = sets.recv() => {
                if let Change::Touched(objs) = c.sets.apply(ev) {
                    dirty.extend(objs.iter().filter(|(_, gone)| !gone).map(|(o, _)| key_of(o)));
                }
            }
            Some(ev) = pods.recv() => {
                if let Change::Touched(objs) = c.pods.apply(ev) {
                    dirty.extend(objs.iter().filter_map(|(p, _)| c.owner_of(p)));
                }
            }
            Some(ev) = nodes.recv() => {
                if let Change::Touched(objs) = c.nodes.apply(ev) {
                    // Heartbeats change only status; a node's labels, taints or
                    // presence decide where daemons run.
                    all = !objs.is_empty();
                }
            }
            Some(ev) = revisions.recv() => { c.revisions.apply(ev); }
            _ = tick.tick() => { all = true; }
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = sets.try_recv() {
            if let Change::Touched(objs) = c.sets.apply(ev) {
                dirty.extend(
                    objs.iter()
                        .filter(|(_, gone)| !gone)
                        .map(|(o, _)| key_of(o)),
                );
            }
        }
        while let Ok(ev) = pods.try_recv() {
            if let Change::Touched(objs) = c.pods.apply(ev) {
                dirty.extend(objs.iter().filter_map(|(p, _)| c.owner_of(p)));
            }
        }
        while let Ok(ev) = nodes.try_recv() {
            if let Change::Touched(objs) = c.nodes.apply(ev) {
                all |= !objs.is_empty();
            }
        }
        while let Ok(ev) = revisions.try_recv() {
            c.revisions.apply(ev);
        }
        if all {
            dirty.extend(c.sets.objects.keys().cloned());
        }
        for key in dirty {
            c.reconcile(&key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ds(extra: serde_json::Value) -> DaemonSet {
        let mut v = json!({
            "metadata": {"name": "agent", "namespace": "ns", "uid": "u1", "generation": 4},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
        });
        if let (Some(spec), Some(extra)) = (v["spec"].as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        serde_json::from_value(v).unwrap()
    }

    fn node(name: &str, labels: serde_json::Value, taints: serde_json::Value) -> Node {
        serde_json::from_value(
            json!({"metadata": {"name": name, "labels": labels}, "spec": {"taints": taints}}),
        )
        .unwrap()
    }

    fn pod(name: &str, node: &str, hash: &str, ready: bool) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {REVISION_LABEL: hash}},
            "spec": {"nodeName": node, "containers": []},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]},
        }))
        .unwrap()
    }

    #[test]
    fn one_pod_per_eligible_node() {
        let nodes = [
            node("a", json!({"disk": "ssd"}), json!([])),
            node("b", json!({}), json!([])),
            node(
                "c",
                json!({"disk": "ssd"}),
                json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]),
            ),
            node(
                "d",
                json!({"disk": "ssd"}),
                json!([{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
            ),
        ];
        let refs: Vec<&Node> = nodes.iter().collect();
        let s = ds(json!({}));
        let steps = plan(&s, &refs, &BTreeMap::new(), "h");
        assert_eq!(
            steps,
            ["a", "b", "d"].map(|n| Step::Create(n.into())),
            "a tainted node is skipped, a cordoned one is not"
        );
        let picky = ds(
            json!({"template": {"metadata": {"labels": {"app": "agent"}},
            "spec": {"nodeSelector": {"disk": "ssd"}, "containers": []}}}),
        );
        let on_b = pod("x", "b", "h", true);
        let pods: BTreeMap<String, Vec<&Pod>> = [("b".to_string(), vec![&on_b])].into();
        let steps = plan(&picky, &refs, &pods, "h");
        assert!(
            steps.contains(&Step::Delete("x".into())),
            "misplaced pod removed"
        );
        assert!(steps.contains(&Step::Create("a".into())));
        let st = status_for(&picky, &refs, &pods, "h", None);
        assert_eq!(
            (
                st.desired_number_scheduled,
                st.number_misscheduled,
                st.current_number_scheduled
            ),
            (2, 1, 0)
        );
    }

    #[test]
    fn daemon_pods_are_pinned_and_tolerant() {
        let s = ds(json!({}));
        let p = pod_for(&s, &s.spec.as_ref().unwrap().template, "h", "node-2");
        assert_eq!(node_of(&p).as_deref(), Some("node-2"));
        let labels = p.metadata.labels.as_ref().unwrap();
        assert_eq!(
            (
                labels[REVISION_LABEL].as_str(),
                labels[TEMPLATE_GENERATION_LABEL].as_str()
            ),
            ("h", "4")
        );
        let tolerations = p.spec.as_ref().unwrap().tolerations.as_ref().unwrap();
        assert_eq!(tolerations.len(), daemon_tolerations().len());
    }

    #[test]
    fn rolling_update_respects_max_unavailable() {
        let nodes = [
            node("a", json!({}), json!([])),
            node("b", json!({}), json!([])),
            node("c", json!({}), json!([])),
        ];
        let refs: Vec<&Node> = nodes.iter().collect();
        let (pa, pb, pc) = (
            pod("pa", "a", "old", true),
            pod("pb", "b", "old", true),
            pod("pc", "c", "old", true),
        );
        let pods: BTreeMap<String, Vec<&Pod>> = [
            ("a".to_string(), vec![&pa]),
            ("b".to_string(), vec![&pb]),
            ("c".to_string(), vec![&pc]),
        ]
        .into();
        let s = ds(json!({}));
        assert_eq!(
            plan(&s, &refs, &pods, "new").len(),
            1,
            "maxUnavailable defaults to 1"
        );
        let wide = ds(
            json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}}}),
        );
        assert_eq!(
            plan(&wide, &refs, &pods, "new").len(),
            2,
            "50% of 3 rounds up"
        );
        let on_delete = ds(json!({"updateStrategy": {"type": "OnDelete"}}));
        assert!(plan(&on_delete, &refs, &pods, "new").is_empty());
        let surge = ds(
            json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}}),
        );
        assert_eq!(
            plan(&surge, &refs, &pods, "new"),
            [Step::Create("a".into())]
        );
        let st = status_for(&s, &refs, &pods, "new", None);
        assert_eq!(
            (
                st.desired_number_scheduled,
                st.number_ready,
                st.updated_number_scheduled
            ),
            (3, 3, Some(0))
        );
    }
}

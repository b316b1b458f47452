//! The ResourceQuota controller: keeps `status.hard` equal to `spec.hard` and
//! recounts `status.used` from what is stored (pods, services, claims, configmaps,
//! secrets, and `count/<resource>.<group>` of any resource found through discovery),
//! with the same rules the API server's quota admission charges by
//! ([`vnest_api::quota`]). Admission charges creates at once; this recount is what
//! gives back what deletes free. Writes are conditional on the quota's
//! resourceVersion, so a recount never overwrites a charge made meanwhile.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::ResourceQuota;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};
use vnest_api::quota as rules;

use crate::informer::{is_status, key_of, watch_channel, Change, Key, Store};

const MANAGER: &str = "resourcequota-controller";

/// How often every quota is recounted (deletes are noticed by recounting).
const RECOUNT: std::time::Duration = std::time::Duration::from_secs(3);

/// The (group, resource) pairs a quota's hard names need counted.
pub fn tracked_resources(hard: &[&str]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for name in hard {
        if let Some(rest) = name.strip_prefix("count/") {
            let (resource, group) = rest.split_once('.').unwrap_or((rest, ""));
            out.insert((group.to_string(), resource.to_string()));
            continue;
        }
        for resource in [
            "pods",
            "services",
            "persistentvolumeclaims",
            "configmaps",
            "secrets",
            "replicationcontrollers",
            "resourcequotas",
        ] {
            if rules::concerns("", resource, name) {
                out.insert((String::new(), resource.to_string()));
            }
        }
    }
    out
}

/// The `used` of `quota` over `objects` by (group, resource).
pub fn used_by(quota: &Value, objects: &BTreeMap<(String, String), Vec<Value>>) -> rules::Amounts {
    let mut used = rules::Amounts::new();
    for ((group, resource), list) in objects {
        for obj in list {
            if !rules::quota_applies(quota, group, resource, obj) {
                continue;
            }
            for (k, v) in rules::usage(group, resource, obj) {
                *used.entry(k).or_insert(0) += v;
            }
        }
    }
    used
}

struct Controller {
    client: Client,
    quotas: Store<ResourceQuota>,
    /// API resources resolved through discovery, by (group, resource).
    resolved: HashMap<(String, String), ApiResource>,
}

impl Controller {
    async fn api_resource(&mut self, group: &str, resource: &str) -> Option<ApiResource> {
        let key = (group.to_string(), resource.to_string());
        if let Some(ar) = self.resolved.get(&key) {
            return Some(ar.clone());
        }
        let ar = if group.is_empty() {
            let list = self.client.list_core_api_resources("v1").await.ok()?;
            let r = list.resources.iter().find(|r| r.name == resource)?;
            ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: r.kind.clone(),
                plural: resource.into(),
            }
        } else {
            let g = kube::discovery::group(&self.client, group).await.ok()?;
            let (ar, _) = g
                .recommended_resources()
                .into_iter()
                .find(|(ar, _)| ar.plural == resource)?;
            ar
        };
        self.resolved.insert(key, ar.clone());
        Some(ar)
    }

    async fn recount(&mut self, key: &Key) {
        let Some(quota) = self.quotas.get(&key.0, &key.1).cloned() else {
            return;
        };
        if quota.metadata.deletion_timestamp.is_some() {
            return;
        }
        let value = serde_json::to_value(&quota).unwrap_or(Value::Null);
        let hard_names: Vec<String> = quota
            .spec
            .as_ref()
            .and_then(|s| s.hard.as_ref())
            .map(|h| h.keys().cloned().collect())
            .unwrap_or_default();
        let hard_refs: Vec<&str> = hard_names.iter().map(String::as_str).collect();
        let mut objects: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
        for (group, resource) in tracked_resources(&hard_refs) {
            let Some(ar) = self.api_resource(&group, &resource).await else {
                continue;
            };
            let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), &key.0, &ar);
            match api.list(&ListParams::default()).await {
                Ok(list) => {
                    let values = list
                        .items
                        .iter()
                        .filter_map(|o| serde_json::to_value(o).ok())
                        .collect();
                    objects.insert((group, resource), values);
                }
                Err(e) => {
                    tracing::warn!(quota = %key.1, resource = %resource, error = %e, "listing for a quota failed");
                    return;
                }
            }
        }
        let used = used_by(&value, &objects);
        let status = json!({
            "hard": value.pointer("/spec/hard").cloned().unwrap_or_else(|| json!({})),
            "used": rules::used_json(&value, &used),
        });
        let current = value.get("status").cloned().unwrap_or(Value::Null);
        if current == status {
            return;
        }
        let mut next = value.clone();
        next["status"] = status;
        let Ok(next) = serde_json::from_value::<ResourceQuota>(next) else {
            return;
        };
        let api: Api<ResourceQuota> = Api::namespaced(self.client.clone(), &key.0);
        let params = PostParams {
            field_manager: Some(MANAGER.into()),
            ..Default::default()
        };
        match api.replace_status(&quota.name_any(), &params, &next).await {
            Ok(q) => self.quotas.put(q),
            // A charge landed meanwhile: the next recount starts from it.
            Err(e) if is_status(&e, 409) || is_status(&e, 404) => {}
            Err(e) => tracing::warn!(quota = %key.1, error = %e, "updating quota status failed"),
        }
    }
}

/// Runs forever.
pub async fn run(client: Client) {
    let mut quotas = watch_channel(Api::<ResourceQuota>::all(client.clone()));
    let mut c = Controller {
        client,
        quotas: Store::default(),
        resolved: HashMap::new(),
    };
    let mut tick = tokio::time::interval(RECOUNT);
    loop {
        let mut dirty: BTreeSet<Key> = BTreeSet::new();
        tokio::select! {
            Some(ev) = quotas.recv() => {
                if let Change::Touched(objs) = c.quotas.apply(ev) {
                    dirty.extend(objs.iter().filter(|(_, gone)| !gone).map(|(o, _)| key_of(o)));
                }
            }
            _ = tick.tick() => dirty.extend(c.quotas.objects.keys().cloned()),
            else => return,
        }
        tokio::time::sleep(crate::informer::SETTLE).await;
        while let Ok(ev) = quotas.try_recv() {
            if let Change::Touched(objs) = c.quotas.apply(ev) {
                dirty.extend(
                    objs.iter()
                        .filter(|(_, gone)| !gone)
                        .map(|(o, _)| key_of(o)),
                );
            }
        }
        for key in dirty {
            c.recount(&key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_names_map_to_the_resources_counted() {
        let t = tracked_resources(&[
            "pods",
            "requests.cpu",
            "count/deployments.apps",
            "services.nodeports",
            "requests.storage",
        ]);
        let pairs: Vec<(&str, &str)> = t.iter().map(|(g, r)| (g.as_str(), r.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("", "persistentvolumeclaims"),
                ("", "pods"),
                ("", "services"),
                ("apps", "deployments")
            ]
        );
    }

    #[test]
    fn usage_sums_what_the_quota_concerns() {
        let quota =
            json!({"spec": {"hard": {"pods": "5", "requests.cpu": "2", "count/configmaps": "3"}}});
        let pod = |cpu: &str, phase: &str| json!({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}, "status": {"phase": phase}});
        let objects: BTreeMap<(String, String), Vec<Value>> = [
            (
                ("".to_string(), "pods".to_string()),
                vec![pod("500m", "Running"), pod("1", "Succeeded")],
            ),
            (
                ("".to_string(), "configmaps".to_string()),
                vec![json!({}), json!({})],
            ),
        ]
        .into();
        let used = used_by(&quota, &objects);
        assert_eq!(
            rules::used_json(&quota, &used),
            json!({"count/configmaps": "2", "pods": "1", "requests.cpu": "500m"})
        );
    }
}

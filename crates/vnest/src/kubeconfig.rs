//! The user's kubeconfig: adding a virtual cluster's context, switching to it and
//! back, removing it. Pure edits of the document as a JSON value (so fields this code
//! does not know survive untouched), plus reading and writing files at the edge.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{json, Value};

/// The kubeconfig file the user's tools use: the first entry of `$KUBECONFIG`, else
/// `~/.kube/config`.
pub fn user_file() -> PathBuf {
    if let Some(first) = std::env::var_os("KUBECONFIG")
        .and_then(|v| std::env::split_paths(&v).find(|p| !p.as_os_str().is_empty()))
    {
        return first;
    }
    home_dir().join(".kube").join("config")
}

pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Reads a kubeconfig; a missing file is an empty one.
pub fn read(path: &Path) -> anyhow::Result<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(empty()),
        Ok(text) => serde_yaml_ng::from_str(&text)
            .with_context(|| format!("{} is not a valid kubeconfig", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(empty()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes a kubeconfig readable only by its owner (it holds credentials), atomically.
pub fn write(path: &Path, config: &Value) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_yaml_ng::to_string(config)?;
    let tmp = path.with_extension(format!("vnest-tmp-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn empty() -> Value {
    json!({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
        "current-context": "", "preferences": {}})
}

pub fn current_context(config: &Value) -> Option<&str> {
    config
        .get("current-context")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn named<'a>(config: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    config
        .get(list)?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
}

/// The context entry's `cluster`, `user` and `namespace` fields.
pub fn context<'a>(config: &'a Value, name: &str) -> Option<&'a Value> {
    named(config, "contexts", name)?.get("context")
}

pub fn has_context(config: &Value, name: &str) -> bool {
    context(config, name).is_some()
}

/// A kubeconfig holding just one context of `config` (with its cluster and user),
/// made current: what a process needs to reach that one cluster.
pub fn single_context(config: &Value, name: &str) -> Option<Value> {
    let ctx = context(config, name)?;
    let cluster_name = ctx.get("cluster")?.as_str()?;
    let user_name = ctx.get("user").and_then(Value::as_str).unwrap_or_default();
    let mut out = empty();
    out["clusters"] = json!([named(config, "clusters", cluster_name)?]);
    out["users"] = match named(config, "users", user_name) {
        Some(u) => json!([u]),
        None => json!([]),
    };
    out["contexts"] = json!([{"name": name, "context": ctx}]);
    out["current-context"] = json!(name);
    Some(out)
}

fn upsert(config: &mut Value, list: &str, entry: Value) {
    let name = entry.get("name").cloned();
    if !config.get(list).is_some_and(Value::is_array) {
        config[list] = json!([]);
    }
    if let Some(items) = config[list].as_array_mut() {
        items.retain(|e| e.get("name") != name.as_ref());
        items.push(entry);
    }
}

fn remove_named(config: &mut Value, list: &str, name: &str) -> bool {
    let Some(items) = config.get_mut(list).and_then(Value::as_array_mut) else {
        return false;
    };
    let before = items.len();
    items.retain(|e| e.get("name").and_then(Value::as_str) != Some(name));
    items.len() != before
}

/// Adds (or replaces) the current context of `from` in `config` as cluster, user and
/// context all named `name`.
pub fn add_context(config: &mut Value, name: &str, from: &Value) -> anyhow::Result<()> {
    let current = current_context(from).context("the kubeconfig has no current context")?;
    let single = single_context(from, current).context("the kubeconfig's context is incomplete")?;
    let mut cluster = single["clusters"][0].clone();
    cluster["name"] = json!(name);
    let user = single["users"]
        .get(0)
        .and_then(|u| u.get("user"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut ctx = single["contexts"][0]["context"].clone();
    ctx["cluster"] = json!(name);
    ctx["user"] = json!(name);
    upsert(config, "clusters", cluster);
    upsert(config, "users", json!({"name": name, "user": user}));
    upsert(config, "contexts", json!({"name": name, "context": ctx}));
    Ok(())
}

/// Removes the context `name` and the cluster and user of the same name. When it was
/// current, `fallback` (if still present) becomes current, else none. True if
/// anything was removed.
pub fn remove_context(config: &mut Value, name: &str, fallback: Option<&str>) -> bool {
    let removed = remove_named(config, "contexts", name);
    remove_named(config, "clusters", name);
    remove_named(config, "users", name);
    if current_context(config) == Some(name) {
        let next = fallback.filter(|f| has_context(config, f)).unwrap_or("");
        config["current-context"] = json!(next);
    }
    removed
}

pub fn set_current(config: &mut Value, name: &str) {
    config["current-context"] = json!(name);
}

/// Points every cluster of the document at `server`.
pub fn set_server(config: &mut Value, server: &str) {
    if let Some(clusters) = config.get_mut("clusters").and_then(Value::as_array_mut) {
        for c in clusters {
            c["cluster"]["server"] = json!(server);
        }
    }
}

pub fn server(config: &Value) -> Option<&str> {
    let ctx = context(config, current_context(config)?)?;
    let cluster = named(config, "clusters", ctx.get("cluster")?.as_str()?)?;
    cluster.get("cluster")?.get("server")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kubeconfig for one cluster reached at `server` with the given credentials,
    /// everything named `name`.
    fn standalone(name: &str, server: &str, ca_data: &str, user: Value) -> Value {
        let mut out = empty();
        out["clusters"] = json!([{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}]);
        out["users"] = json!([{"name": name, "user": user}]);
        out["contexts"] = json!([{"name": name, "context": {"cluster": name, "user": name}}]);
        out["current-context"] = json!(name);
        out
    }

    fn user_config() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "prod", "cluster": {"server": "https://prod:6443",
                "extensions": [{"name": "x", "extension": {"keep": true}}]}}],
            "users": [{"name": "me", "user": {"exec": {"command": "login"}}}],
            "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "me",
                "namespace": "team"}}],
            "current-context": "prod",
        })
    }

    fn vcluster_config() -> Value {
        standalone(
            "vnest",
            "https://127.0.0.1:7000",
            "Q0E=",
            json!({"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}),
        )
    }

    #[test]
    fn adding_a_context_keeps_everything_else_and_replaces_its_own_entries() {
        let mut cfg = user_config();
        add_context(&mut cfg, "vnest_dev_vnest-dev_prod", &vcluster_config()).unwrap();
        add_context(&mut cfg, "vnest_dev_vnest-dev_prod", &vcluster_config()).unwrap();
        assert_eq!(cfg["clusters"].as_array().unwrap().len(), 2);
        assert_eq!(cfg["users"].as_array().unwrap().len(), 2);
        assert_eq!(cfg["contexts"].as_array().unwrap().len(), 2);
        assert_eq!(
            cfg["clusters"][0]["cluster"]["extensions"][0]["extension"]["keep"],
            true
        );
        assert_eq!(current_context(&cfg), Some("prod"));
        set_current(&mut cfg, "vnest_dev_vnest-dev_prod");
        assert_eq!(server(&cfg), Some("https://127.0.0.1:7000"));
        let ctx = context(&cfg, "vnest_dev_vnest-dev_prod").unwrap();
        assert_eq!(ctx["user"], "vnest_dev_vnest-dev_prod");
    }

    #[test]
    fn removing_the_current_context_falls_back_to_the_previous_one() {
        let mut cfg = user_config();
        add_context(&mut cfg, "v", &vcluster_config()).unwrap();
        set_current(&mut cfg, "v");
        assert!(remove_context(&mut cfg, "v", Some("prod")));
        assert_eq!(current_context(&cfg), Some("prod"));
        assert_eq!(cfg, user_config());
        assert!(!remove_context(&mut cfg, "v", Some("prod")));
        // A fallback that no longer exists leaves no current context.
        add_context(&mut cfg, "v", &vcluster_config()).unwrap();
        set_current(&mut cfg, "v");
        remove_context(&mut cfg, "v", Some("gone"));
        assert_eq!(current_context(&cfg), None);
    }

    #[test]
    fn a_single_context_carries_its_cluster_and_user_only() {
        let mut cfg = user_config();
        add_context(&mut cfg, "v", &vcluster_config()).unwrap();
        let one = single_context(&cfg, "prod").unwrap();
        assert_eq!(one["clusters"].as_array().unwrap().len(), 1);
        assert_eq!(one["users"][0]["name"], "me");
        assert_eq!(one["contexts"][0]["context"]["namespace"], "team");
        assert_eq!(current_context(&one), Some("prod"));
        assert!(single_context(&cfg, "missing").is_none());
    }

    #[test]
    fn an_empty_or_missing_file_is_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        assert_eq!(read(&path).unwrap(), empty());
        std::fs::write(&path, "").unwrap();
        assert_eq!(read(&path).unwrap(), empty());
        std::fs::write(&path, "clusters: [unclosed").unwrap();
        assert!(read(&path).is_err());
        let mut cfg = empty();
        add_context(&mut cfg, "v", &vcluster_config()).unwrap();
        write(&path, &cfg).unwrap();
        assert_eq!(read(&path).unwrap(), cfg);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

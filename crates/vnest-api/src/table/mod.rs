//! Server-side printing: the `meta.k8s.io/v1` `Table` that kube-apiserver
//! returns for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
//!
//! Built-in resources get kube v1.33's printer columns and cells (the wide
//! set: the server always prints every column and leaves hiding the
//! priority-1 ones to the client); every other resource gets the generic
//! `Name` / `Created At` table. Times are computed against the `now` passed
//! in, never the clock.

mod format;
mod printers;

use serde_json::{json, Map, Value};

pub use format::human_duration;

/// What each row's `object` holds (`?includeObject=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// `None`: no object (`"object": null`, as kube serialises an empty
    /// RawExtension).
    None,
    /// `Metadata` (the default): a `meta.k8s.io/v1` `PartialObjectMetadata`.
    #[default]
    Metadata,
    /// `Object`: the full object.
    Object,
}

impl IncludeObject {
    /// Parses the `includeObject` query parameter; an empty value is the
    /// default (`Metadata`), anything unknown is `None`.
    pub fn parse(value: &str) -> Option<IncludeObject> {
        match value {
            "" | "Metadata" => Some(IncludeObject::Metadata),
            "None" => Some(IncludeObject::None),
            "Object" => Some(IncludeObject::Object),
            _ => None,
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Header text.
    pub name: &'static str,
    /// OpenAPI type of the cells: `string`, `integer`, `boolean`, `date`.
    pub kind: &'static str,
    /// OpenAPI format; `name` marks the column holding the object name.
    pub format: &'static str,
    /// 0 for the default view, 1 for the wide one.
    pub priority: u8,
    /// Human-readable description.
    pub description: &'static str,
}

impl Column {
    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// Builds the Table for `objects` of `group`/`resource` (e.g. `"apps"`,
/// `"deployments"`; `""` for the core group). `list_meta` becomes the
/// table's `metadata` (resourceVersion, continue, ...; `null` gives `{}`).
pub fn table(
    group: &str,
    resource: &str,
    objects: &[Value],
    now_unix_seconds: i64,
    include_object: IncludeObject,
    list_meta: Value,
) -> Value {
    let printer = printers::Printer::for_resource(group, resource);
    let now = i128::from(now_unix_seconds) * 1_000_000_000;
    let columns: Vec<Value> = printer.columns().iter().map(|c| c.to_json()).collect();

    let mut ordered: Vec<&Value> = objects.iter().collect();
    printer.sort(&mut ordered);

    let rows: Vec<Value> = ordered
        .into_iter()
        .map(|obj| {
            let printed = printer.print(obj, now);
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(printed.cells));
            if let Some(conditions) = printed.conditions {
                row.insert("conditions".into(), conditions);
            }
            row.insert("object".into(), row_object(printer, obj, include_object));
            Value::Object(row)
        })
        .collect();
    // The generic table convertor leaves an empty row list nil.
    let rows = if rows.is_empty() && printer.is_default() {
        Value::Null
    } else {
        Value::Array(rows)
    };
    let metadata = if list_meta.is_null() {
        json!({})
    } else {
        list_meta
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// The columns kube prints for `group`/`resource`.
pub fn column_definitions(group: &str, resource: &str) -> &'static [Column] {
    printers::Printer::for_resource(group, resource).columns()
}

/// Whether `group`/`resource` has its own printer (otherwise the generic
/// `Name` / `Created At` table is used).
pub fn has_printer(group: &str, resource: &str) -> bool {
    !printers::Printer::for_resource(group, resource).is_default()
}

fn row_object(printer: printers::Printer, obj: &Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => obj.clone(),
        IncludeObject::Metadata => {
            let mut metadata = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
            strip_internal_annotations(printer, &mut metadata);
            json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
            })
        }
    }
}

/// kube builds the row metadata from the internal object. The apps/v1
/// conversion moves two annotations into internal spec fields, so they are
/// missing there: a DaemonSet's `deprecated.daemonset.template.generation`
/// and a Deployment's non-empty `deprecated.deployment.rollback.to`.
fn strip_internal_annotations(printer: printers::Printer, metadata: &mut Value) {
    let key = match printer {
        printers::Printer::DaemonSet => "deprecated.daemonset.template.generation",
        printers::Printer::Deployment => "deprecated.deployment.rollback.to",
        _ => return,
    };
    let Some(meta) = metadata.as_object_mut() else {
        return;
    };
    let now_empty = match meta.get_mut("annotations").and_then(Value::as_object_mut) {
        Some(annotations) => {
            let converted = annotations
                .get(key)
                .and_then(Value::as_str)
                .is_some_and(|v| v.parse::<i64>().is_ok());
            if converted {
                annotations.remove(key);
            }
            annotations.is_empty()
        }
        None => false,
    };
    if now_empty {
        meta.remove("annotations");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, created: &str) -> Value {
        json!({"kind": "Pod", "apiVersion": "v1",
               "metadata": {"name": name, "namespace": "ns", "creationTimestamp": created},
               "spec": {"containers": [{"name": "c", "image": "i"}]},
               "status": {"phase": "Pending"}})
    }

    #[test]
    fn include_object_modes() {
        let objs = [pod("a", "2024-01-01T00:00:00Z")];
        let now = 1_704_067_200 + 30;
        let meta = table(
            "",
            "pods",
            &objs,
            now,
            IncludeObject::Metadata,
            json!({"resourceVersion": "7"}),
        );
        assert_eq!(meta["metadata"], json!({"resourceVersion": "7"}));
        assert_eq!(meta["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(meta["rows"][0]["object"]["metadata"]["name"], "a");
        assert!(meta["rows"][0]["object"].get("spec").is_none());
        assert_eq!(meta["rows"][0]["cells"][4], "30s");
        let full = table("", "pods", &objs, now, IncludeObject::Object, Value::Null);
        assert_eq!(full["rows"][0]["object"], objs[0]);
        assert_eq!(full["metadata"], json!({}));
        let none = table("", "pods", &objs, now, IncludeObject::None, Value::Null);
        assert_eq!(none["rows"][0]["object"], Value::Null);
        assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
        assert_eq!(IncludeObject::parse("bogus"), None);
    }

    #[test]
    fn daemonset_rows_drop_the_template_generation_annotation() {
        let ds = json!({"metadata": {"name": "d", "annotations": {
            "deprecated.daemonset.template.generation": "3", "keep": "me"}}});
        let t = table(
            "apps",
            "daemonsets",
            std::slice::from_ref(&ds),
            0,
            IncludeObject::Metadata,
            Value::Null,
        );
        assert_eq!(
            t["rows"][0]["object"]["metadata"]["annotations"],
            json!({"keep": "me"})
        );
        let full = table(
            "apps",
            "daemonsets",
            std::slice::from_ref(&ds),
            0,
            IncludeObject::Object,
            Value::Null,
        );
        assert_eq!(full["rows"][0]["object"], ds);
    }

    #[test]
    fn deployment_rows_drop_the_rollback_annotation() {
        let d = json!({"metadata": {"name": "d", "annotations": {
            "deprecated.deployment.rollback.to": "2"}}});
        let t = table(
            "apps",
            "deployments",
            &[d],
            0,
            IncludeObject::Metadata,
            Value::Null,
        );
        assert!(t["rows"][0]["object"]["metadata"]
            .get("annotations")
            .is_none());
    }

    #[test]
    fn empty_lists() {
        let printed = table("", "pods", &[], 0, IncludeObject::Metadata, Value::Null);
        assert_eq!(printed["rows"], json!([]));
        let generic = table(
            "example.com",
            "widgets",
            &[],
            0,
            IncludeObject::Metadata,
            Value::Null,
        );
        assert_eq!(generic["rows"], Value::Null);
        assert_eq!(
            generic["columnDefinitions"][1],
            json!({"name": "Created At", "type": "date", "format": "",
                   "description": "When the object was created (RFC 3339, UTC).", "priority": 0})
        );
    }

    #[test]
    fn generic_table_cells() {
        let obj =
            json!({"metadata": {"name": "w", "creationTimestamp": "2024-05-01T10:20:30.123456Z"}});
        let t = table(
            "example.com",
            "widgets",
            &[obj],
            0,
            IncludeObject::Metadata,
            Value::Null,
        );
        assert_eq!(t["rows"][0]["cells"], json!(["w", "2024-05-01T10:20:30Z"]));
        assert!(!has_printer("example.com", "widgets"));
        assert!(has_printer("apps", "deployments"));
        assert_eq!(column_definitions("", "services")[3].name, "External-IP");
    }
}

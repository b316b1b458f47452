//! Label and field selection of list and watch requests.

use serde_json::Value;
use vnest_api::selector::{FieldSelector, LabelSelector};
use vnest_api::status::ApiError;

use crate::cache::CacheEvent;
use crate::request::ListOptions;
use crate::rest::{translate_event, ResourceDef};

#[derive(Default)]
pub struct Selection {
    label: Option<LabelSelector>,
    field: Option<FieldSelector>,
    name: Option<String>,
}

impl Selection {
    pub fn parse(def: &ResourceDef, opts: &ListOptions) -> Result<Selection, ApiError> {
        let label = opts
            .label_selector
            .as_deref()
            .map(LabelSelector::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()))?
            .filter(|s| !s.is_empty());
        let field = match opts.field_selector.as_deref() {
            Some(s) => {
                let f =
                    FieldSelector::parse(s).map_err(|e| ApiError::bad_request(e.to_string()))?;
                f.check_supported(&def.group, &def.resource)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                Some(f).filter(|f| !f.is_empty())
            }
            None => None,
        };
        Ok(Selection {
            label,
            field,
            name: None,
        })
    }

    /// A watch on one object (`.../name?watch=true`, or `fieldSelector=metadata.name=`).
    pub fn require_name(&mut self, name: &str) {
        self.name = Some(name.to_string());
    }

    pub fn is_everything(&self) -> bool {
        self.label.is_none() && self.field.is_none() && self.name.is_none()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(name) = &self.name {
            if obj.pointer("/metadata/name").and_then(Value::as_str) != Some(name.as_str()) {
                return false;
            }
        }
        if let Some(label) = &self.label {
            let empty = serde_json::Map::new();
            let labels = obj
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            if !label.matches(labels) {
                return false;
            }
        }
        if let Some(field) = &self.field {
            if !field.matches(obj) {
                return false;
            }
        }
        true
    }

    pub fn translate(&self, ev: &CacheEvent) -> Option<(&'static str, Value)> {
        translate_event(self, ev)
    }
}

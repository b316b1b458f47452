//! metav1.Status errors with kube-apiserver's codes, reasons and message forms.

use serde_json::{json, Map, Value};

/// An API error as kube-apiserver reports it: HTTP code, reason, message, details.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    /// Status.reason; empty for errors kube reports without one (e.g. 500s).
    pub reason: &'static str,
    pub message: String,
    /// Status.details, when kube sends it.
    pub details: Option<Value>,
}

/// What a Status names: the resource (plural, as kube puts in `details.kind`), its
/// group and the object name.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub group: &'a str,
    pub resource: &'a str,
    pub name: &'a str,
}

impl Target<'_> {
    /// `configmaps` or `deployments.apps`, as kube names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    fn details(&self) -> Value {
        let mut d = Map::new();
        d.insert("name".into(), json!(self.name));
        if !self.group.is_empty() {
            d.insert("group".into(), json!(self.group));
        }
        d.insert("kind".into(), json!(self.resource));
        Value::Object(d)
    }
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn not_found(t: Target<'_>) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", t.qualified(), t.name),
        )
        .with_details(t.details())
    }

    pub fn already_exists(t: Target<'_>) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", t.qualified(), t.name),
        )
        .with_details(t.details())
    }

    /// The optimistic-concurrency conflict of an update with a stale resourceVersion.
    pub fn conflict(t: Target<'_>, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {why}",
                t.qualified(),
                t.name
            ),
        )
        .with_details(t.details())
    }

    pub fn modified_conflict(t: Target<'_>) -> Self {
        Self::conflict(
            t,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    pub fn forbidden(t: Target<'_>, why: &str) -> Self {
        Self::new(
            403,
            "Forbidden",
            format!("{} \"{}\" is forbidden: {why}", t.qualified(), t.name),
        )
        .with_details(t.details())
    }

    /// 404 for a path that names no resource.
    pub fn resource_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn not_acceptable() -> Self {
        Self::new(
            406,
            "NotAcceptable",
            "406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch",
        )
        .with_details(json!({}))
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    pub fn request_entity_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 410 for a list or watch from a compacted resourceVersion.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Gone", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(504, "Timeout", message)
    }

    /// The metav1.Status document.
    pub fn to_status(&self) -> Value {
        let mut s = Map::new();
        s.insert("kind".into(), json!("Status"));
        s.insert("apiVersion".into(), json!("v1"));
        s.insert("metadata".into(), json!({}));
        s.insert("status".into(), json!("Failure"));
        s.insert("message".into(), json!(self.message));
        if !self.reason.is_empty() {
            s.insert("reason".into(), json!(self.reason));
        }
        if let Some(d) = &self.details {
            s.insert("details".into(), d.clone());
        }
        s.insert("code".into(), json!(self.code));
        Value::Object(s)
    }
}

/// The Status kube returns for a successful delete of a collection-less object.
pub fn success_status(t: Target<'_>, uid: Option<&str>) -> Value {
    let mut details = Map::new();
    details.insert("name".into(), json!(t.name));
    if !t.group.is_empty() {
        details.insert("group".into(), json!(t.group));
    }
    details.insert("kind".into(), json!(t.resource));
    if let Some(uid) = uid {
        details.insert("uid".into(), json!(uid));
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": Value::Object(details),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: Target<'static> = Target {
        group: "",
        resource: "configmaps",
        name: "existing",
    };

    #[test]
    fn already_exists_matches_kube() {
        assert_eq!(
            ApiError::already_exists(CM).to_status(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "configmaps \"existing\" already exists", "reason": "AlreadyExists",
                   "details": {"name": "existing", "kind": "configmaps"}, "code": 409})
        );
    }

    #[test]
    fn grouped_resources_are_qualified() {
        let t = Target {
            group: "apps",
            resource: "deployments",
            name: "web",
        };
        let s = ApiError::not_found(t).to_status();
        assert_eq!(s["message"], "deployments.apps \"web\" not found");
        assert_eq!(s["details"]["group"], "apps");
    }

    #[test]
    fn conflict_message_form() {
        let s = ApiError::modified_conflict(Target {
            name: "stale",
            ..CM
        })
        .to_status();
        assert_eq!(
            s["message"],
            "Operation cannot be fulfilled on configmaps \"stale\": the object has been modified; please apply your changes to the latest version and try again"
        );
    }
}

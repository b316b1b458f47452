//! `vnest-api`: the Kubernetes API machinery vnest needs, as pure functions over
//! `serde_json::Value` and plain data. No sockets, no files, no clocks passed in
//! implicitly: everything here is unit-tested in milliseconds.
//!
//! - [`registry`]: the built-in resources of Kubernetes v1.33 (group, version, kind,
//!   scope, verbs, short names, categories, subresources).
//! - [`discovery`]: the legacy and aggregated discovery documents built from it.
//! - [`selector`]: label and field selectors: parsing, matching, kube-apiserver errors.
//! - [`validation`]: object names, labels, annotations.
//! - [`patch`]: JSON patch, JSON merge patch and strategic merge patch.
//! - [`status`]: metav1.Status errors with kube-apiserver's codes and messages.

pub mod discovery;
pub mod patch;
pub mod registry;
pub mod selector;
pub mod status;
pub mod validation;

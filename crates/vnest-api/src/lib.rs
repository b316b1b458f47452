//! `vnest-api`: the Kubernetes API machinery vnest needs, as pure functions over
//! `serde_json::Value` and plain data. No sockets, no files, no clocks passed in
//! implicitly: everything here is unit-tested in milliseconds.
//!
//! - [`registry`]: the built-in resources of Kubernetes v1.33 (group, version, kind,
//!   scope, verbs, short names, categories, subresources).
//! - [`discovery`]: the legacy and aggregated discovery documents built from it.
//! - [`openapi`]: the `/openapi/v2` and `/openapi/v3` documents (schemas, operations, index).
//! - [`selector`]: label and field selectors: parsing, matching, kube-apiserver errors.
//! - [`validation`]: field errors and 422 Status, names, metadata and per-kind create/update checks.
//! - [`patch`]: JSON patch, JSON merge patch and strategic merge patch.
//! - [`fields`]: unknown and duplicate fields when decoding bodies and patch results
//!   (`fieldValidation` Strict / Warn / Ignore, kube's messages and Status bodies).
//! - [`protobuf`]: decoding of `application/vnd.kubernetes.protobuf` request bodies
//!   (kubectl 1.32+, typed clients) into the JSON object kube-apiserver would see.
//! - [`status`]: metav1.Status errors with kube-apiserver's codes and messages.
//! - [`defaults`]: create-time defaulting of the built-in types, service IP families, admission mutations.
//! - [`managed`]: `metadata.managedFields` of non-apply writes (FieldsV1 sets, field
//!   ownership across managers, the default manager name from the user agent).
//! - [`crd`]: CustomResourceDefinitions: CRD validation, names acceptance, compiled
//!   schemas validating (with CEL rules), defaulting and pruning custom objects,
//!   printer columns.
//! - [`podsecurity`]: the Pod Security Standards (privileged, baseline, restricted) as the
//!   PodSecurity admission plugin checks pods and pod templates, with its messages.
//! - [`table`]: server-side printing: `meta.k8s.io/v1` Tables with kube's printer columns.

pub mod crd;
pub mod defaults;
pub mod discovery;
pub mod fields;
pub mod managed;
pub mod openapi;
pub mod patch;
pub mod podsecurity;
pub mod protobuf;
pub mod quota;
pub mod rbac;
pub mod registry;
pub mod selector;
pub mod status;
pub mod table;
pub mod validation;

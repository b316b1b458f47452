//! CustomResourceDefinitions (`apiextensions.k8s.io/v1`) as kube-apiserver
//! v1.33 handles them, as pure functions over `serde_json::Value`.
//!
//! # CRD objects
//!
//! * [`prepare_for_create`] / [`prepare_for_update`]`(new, old)`: the status
//!   kube's strategy sets before validating (stored versions).
//! * [`validate_crd`]`(new, old) -> Vec<FieldError>`: kube's CRD validation
//!   with its paths and messages (render with
//!   [`crate::validation::invalid_status`] as
//!   `CustomResourceDefinition.apiextensions.k8s.io`). Per-version schemas,
//!   subresources and columns identical in every version are reported at
//!   `spec.validation...`, `spec.subresources...`,
//!   `spec.additionalPrinterColumns[i]...`, as kube does.
//! * [`accept_names`]`(crd, others) -> NamesResult` and
//!   [`names_status`]`(crd, others, now) -> Value`: the naming and
//!   establishing controllers (`acceptedNames`, `NamesAccepted`,
//!   `Established`).
//!
//! # Custom objects
//!
//! * [`Schema::compile`]`(&openAPIV3Schema) -> Result<Schema, SchemaError>`.
//! * [`Schema::validate`]`(obj, old) -> Vec<FieldError>`: OpenAPI value
//!   validation with kube-openapi's messages, list-type set/map
//!   duplicates, embedded resources, then `x-kubernetes-validations` CEL
//!   rules (`self`, transition rules with `oldSelf` on update only,
//!   `message`, `messageExpression`, `reason`, `fieldPath`). An earlier
//!   type / required / enum / too-long / too-many error skips the rules
//!   with kube's `<nil>: Invalid value: null: some validation rules were not
//!   checked ...`. On update, unchanged values are not re-validated
//!   (kube's validation ratcheting).
//! * [`Schema::default`]`(&mut obj)`: structural defaulting.
//! * [`Schema::prune`]`(&mut obj) -> Vec<String>`: drops unknown fields and
//!   returns their paths (`spec.foo`) for `unknown field "spec.foo"`.
//!
//! # Tables
//!
//! * [`printer_columns`]`(version) -> Vec<Value>` and
//!   [`printer_cells`]`(version, obj, now) -> Vec<Value>`: the
//!   `columnDefinitions` and row cells of kube's CRD table convertor.
//!
//! # CEL
//!
//! Rules run on the `cel` crate (stdlib macros `has`, `all`, `exists`,
//! `exists_one`, `map`, `filter`; `size`, `in`, `matches`, string
//! functions incl. `lowerAscii`, `upperAscii`, `split`, `join`, `replace`,
//! `trim`, `substring`, `indexOf`; `duration`, `timestamp`). Values are
//! typed by their schema: `integer` -> int, `number` -> double, strings
//! with format `byte` / `duration` / `date(-time)` -> bytes / duration /
//! timestamp, int-or-string and preserved fields as they come. The crate
//! has no type checker: compile errors are syntax errors and undeclared
//! variables; kube's Kubernetes-specific libraries (quantity, URL, IP,
//! CIDR, semver, `isSorted`, `sum`, ...) and cost estimation are missing.
//! Work is bounded instead: expressions are capped in length, nesting and
//! operator count, and a rule whose estimated work (nodes in `self` to the
//! power of its comprehension count) exceeds [`cel::MAX_ESTIMATED_COST`] is
//! not run (reported as a cost-limit error). Schemas and objects deeper
//! than [`MAX_DEPTH`] are not walked further.

pub mod cel;
mod formats;
mod names;
mod printer;
mod schema;
mod validate;

pub use names::{accept_names, names_status, NamesResult};
pub use printer::{printer_cells, printer_columns};
pub use schema::{Schema, SchemaError};
pub use validate::{prepare_for_create, prepare_for_update, storage_version, validate_crd};

/// Deepest nesting of schemas and objects walked.
pub const MAX_DEPTH: usize = 100;

#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod validate_tests;

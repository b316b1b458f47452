//! CustomResourceDefinitions (WIP).

mod cel;
mod formats;
mod schema;
mod validate;

pub use schema::{Schema, SchemaError};
pub use validate::{prepare_for_create, prepare_for_update, storage_version, validate_crd};

/// Deepest nesting of schemas and objects walked.
pub const MAX_DEPTH: usize = 100;

#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod validate_tests;

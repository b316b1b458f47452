//! CustomResourceDefinitions (WIP).

mod cel;
mod formats;
mod schema;

pub use schema::{Schema, SchemaError};

/// Deepest nesting of schemas and objects walked.
pub const MAX_DEPTH: usize = 100;

#[cfg(test)]
mod schema_tests;

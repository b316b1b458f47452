//! CustomResourceDefinitions (WIP).

mod cel;

/// Deepest nesting of schemas and objects walked.
pub const MAX_DEPTH: usize = 100;

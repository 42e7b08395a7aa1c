//! YAML (and JSON, which YAML reads too) text of one document → [`mamori_model::Node`].
//!
//! Scalars are resolved the way Kubernetes reads manifests (sigs.k8s.io/yaml, i.e. YAML 1.1 as go-yaml v2 does):
//! `true/yes/on/y` style booleans, `~`/`null`/empty as null, decimal/hex/octal/binary integers with `_`
//! separators, floats; quoted or block scalars and `!!str` are always strings. Merge keys (`<<`) are applied,
//! explicit keys taking precedence. Duplicate keys are an error, as `kubectl`'s default strict validation
//! rejects them; a security scanner must not silently pick one of two values.
//!
//! Every limit is explicit ([`Limits`]): nesting depth, total nodes (alias expansion counted in full, which is
//! what defeats "billion laughs"), number of alias references, and document size.

mod build;
mod fast;
mod json;
pub mod json_scan;
mod scalar;

pub use json::{
    node_from_json_value, parse_json, JsonNode, POD_SECURITY_CONTAINER_FIELDS,
    POD_SECURITY_SPEC_FIELDS,
};
use mamori_model::{Node, Pos};
use std::fmt;

/// Resource limits for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting depth of collections (a Kubernetes object rarely exceeds 20; CRD schemas ~40).
    pub max_depth: usize,
    /// Maximum number of nodes in the built tree, counting every node an alias expands to.
    pub max_nodes: usize,
    /// Maximum number of alias references (`*name`) in a document.
    pub max_alias_expansions: usize,
    /// Maximum size of one document's text in bytes (enforced by the loader while reading).
    pub max_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 128,
            max_nodes: 2_000_000,
            max_alias_expansions: 10_000,
            max_document_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A parse error at an absolute position of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for YamlError {}

/// Parses the text of ONE YAML (or JSON) document. `first_line` is the 1-based line of `text`'s first line in its
/// file, so positions in the tree and in errors are absolute. A document with no content (only comments, blank
/// lines or document markers) returns `Ok(None)`.
///
/// The fast path handles the block-style subset manifests are written in; anything else, and every error, goes
/// through the reference path. Both produce the same tree.
pub fn parse_document(
    text: &str,
    first_line: u32,
    limits: &Limits,
) -> Result<Option<Node>, YamlError> {
    match fast::parse_fast(text, first_line, limits) {
        Some(parsed) => Ok(parsed),
        None => build::parse_reference(text, first_line, limits),
    }
}

/// The reference path alone (saphyr-parser events → tree), as [`parse_document`] falls back to it. For
/// differential tests, fuzzing and benchmarks.
pub fn parse_document_reference(
    text: &str,
    first_line: u32,
    limits: &Limits,
) -> Result<Option<Node>, YamlError> {
    build::parse_reference(text, first_line, limits)
}

/// The fast path alone. `None` means the text is outside its subset (the caller would use the reference path);
/// `Some(None)` is an empty document. For differential tests, fuzzing and benchmarks: when this returns
/// `Some(tree)`, [`parse_document_reference`] returns `Ok(tree)`.
pub fn parse_document_fast(text: &str, first_line: u32, limits: &Limits) -> Option<Option<Node>> {
    fast::parse_fast(text, first_line, limits)
}

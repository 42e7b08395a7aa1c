//! mamori's shared model: the source-positioned document tree every capability reads, the Kubernetes object
//! wrapper around it, the loader that produces them from files, and the one finding model every rule emits
//! and every report renders.
//!
//! Nothing here prints or exits; callers decide how to surface errors.

pub mod finding;
pub mod node;
pub mod object;

pub use finding::{Finding, Phase, Severity};
pub use node::{Entry, Node, Pos, Value};
pub use object::{K8sObject, ObjectRef, SourceRef};

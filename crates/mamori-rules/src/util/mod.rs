//! Helpers shared by rules. Each topic has its own file; rules import what they need.

pub mod encryption;
pub mod flags;
pub mod glob;
pub mod image;
pub mod netpol;
pub mod pod;
pub mod rbac;

pub use glob::glob_match;
pub use pod::{containers, pod_template_of, ContainerRef};

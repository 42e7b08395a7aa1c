//! mamori RBAC analyzer: who-can, effective permissions, dangerous permissions and escalation paths.
//!
//! Exact to the Kubernetes RBAC authorizer: [`matching`] holds upstream's matching functions, [`model`] reads
//! Roles, ClusterRoles (with `aggregationRule`), bindings, ServiceAccounts, token Secrets (metadata), Pods and
//! Nodes from [`mamori_model::K8sObject`]s, [`Analyzer`] resolves aggregation and bindings and answers
//! [`Analyzer::who_can`] (through a verb × group × resource index) and [`Analyzer::can`], and [`risks`] turns
//! effective permissions into findings and escalation paths. Nothing here prints or exits.

pub mod analyzer;
pub mod load;
pub mod matching;
pub mod model;
pub mod render;
pub mod request;
pub mod risks;

pub use analyzer::{
    Analyzer, DanglingBinding, EffectiveRole, Grant, PermissionEntry, PermissionRow, Permissions,
    WhoCanEntry,
};
pub use matching::{Request, ResourceRequest};
pub use model::{RbacInput, RoleKey, RoleKind, Subject, WANTED_KINDS};
pub use risks::{risks, EscalationPath, PathKind, Risk, RiskReport, Step};

//! mamori RBAC analyzer: who-can, effective permissions, dangerous permissions and escalation paths

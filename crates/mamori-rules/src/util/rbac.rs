//! Helpers for the rbac rules (filled in by the rules that need them).

//! Helpers for the flags rules (filled in by the rules that need them).

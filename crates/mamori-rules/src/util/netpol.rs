//! Helpers for the netpol rules (filled in by the rules that need them).

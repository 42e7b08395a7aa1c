//! Helpers for the image rules (filled in by the rules that need them).

//! mamori.yaml: configuration and exceptions (being written).

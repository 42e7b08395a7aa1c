//! mamori live-cluster access: read-only paginated snapshots through the Kubernetes API (kube-rs)

//! mamori admission decisions: AdmissionReview v1 in, PSA-compatible verdicts and catalogue rule modes out (no I/O)

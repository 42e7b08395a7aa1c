//! mamori load generator: fixed-rate and max-throughput HTTPS keep-alive load with latency percentiles

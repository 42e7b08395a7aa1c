#!/usr/bin/env bash
# Admission webhook benchmark (docs/benchmarks.md, "Admission webhook"): `mamori admission serve` and
# `mamori-loadgen` on 127.0.0.1 over HTTPS keep-alive, on the same machine.
#
#   cargo build --release -p mamori-cli -p mamori-loadgen
#   scripts/bench-admission.sh                 # all bodies, rates 2k/5k/10k, max with 32 and 64 connections
#
# Environment: DURATION (recorded seconds per run, default 10), WARMUP (default 2), RATES ("2000 5000 10000"),
# CONNECTIONS (rate runs, default 32), MAX_CONNECTIONS ("32 64"), BODIES ("pod-compliant pod-violating
# deployment"), RUST_LOG (server log filter, default info: one JSON line per review, as deployed), OUT (results
# directory, default bench-data/admission). Prints one Markdown table row per run; raw JSON in $OUT/results.jsonl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$ROOT/target/release/mamori}
LOADGEN=${LOADGEN:-$ROOT/target/release/mamori-loadgen}
BODY_DIR=$ROOT/crates/mamori-loadgen/bodies
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
RATES=${RATES:-"2000 5000 10000"}
CONNECTIONS=${CONNECTIONS:-32}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-"32 64"}
BODIES=${BODIES:-"pod-compliant pod-violating deployment"}
OUT=${OUT:-$ROOT/bench-data/admission}
PORT=${PORT:-18443}
export RUST_LOG=${RUST_LOG:-info}

mkdir -p "$OUT"
"$MAMORI" admission certs --out-dir "$OUT/certs" --namespace mamori-system --force >/dev/null

"$MAMORI" admission serve --listen "127.0.0.1:$PORT" \
  --tls-cert "$OUT/certs/tls.crt" --tls-key "$OUT/certs/tls.key" \
  --namespaces-file "$BODY_DIR/namespaces.json" 2>"$OUT/server.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if curl -sf --cacert "$OUT/certs/ca.crt" --resolve "mamori-webhook.mamori-system.svc:$PORT:127.0.0.1" \
      "https://mamori-webhook.mamori-system.svc:$PORT/readyz" >/dev/null; then
    break
  fi
  sleep 0.1
done

TICKS=$(getconf CLK_TCK)
# utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat; the name in field 2 has no spaces).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

: >"$OUT/results.jsonl"
echo "| body | mode | conns | req/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | non-2xx | unsent | server CPU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
run() { # body, mode label, connections, loadgen mode args...
  local body=$1 label=$2 conns=$3
  shift 3
  local before after json
  before=$(cpu_ticks)
  json=$("$LOADGEN" --url "https://127.0.0.1:$PORT/validate?timeout=10s" --ca "$OUT/certs/ca.crt" \
    --server-name mamori-webhook.mamori-system.svc --body "$BODY_DIR/$body.json" \
    --connections "$conns" --duration "$DURATION" --warmup "$WARMUP" --json "$@")
  after=$(cpu_ticks)
  local cpu
  cpu=$(awk -v d="$((after - before))" -v t="$TICKS" -v s="$(awk -v a="$DURATION" -v b="$WARMUP" 'BEGIN{print a+b}')" \
    'BEGIN{printf "%.0f%%", 100 * d / t / s}')
  echo "$json" | jq -c --arg body "$body" --arg cpu "$cpu" '. + {body: $body, server_cpu: $cpu}' >>"$OUT/results.jsonl"
  echo "$json" | jq -r --arg body "$body" --arg run_mode "$label" --arg cpu "$cpu" \
    '"| \($body) | \($run_mode) | \(.connections) | \(.achieved_rate) | \(.latency_us.p50) | \(.latency_us.p90) | \(.latency_us.p99) | \(.latency_us.p99_9) | \(.latency_us.max) | \(.errors) | \(.non_2xx) | \(.unsent) | \($cpu) |"'
}

for body in $BODIES; do
  for rate in $RATES; do
    run "$body" "rate $rate" "$CONNECTIONS" --rate "$rate"
  done
  for conns in $MAX_CONNECTIONS; do
    run "$body" "max" "$conns" --max
  done
done

echo
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER/status")"

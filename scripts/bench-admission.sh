#!/usr/bin/env bash
# Admission webhook benchmark (docs/benchmarks.md, "Admission webhook"): `mamori admission serve` and
# `mamori-loadgen` on 127.0.0.1 over HTTPS keep-alive, on the same machine.
#
#   cargo build --release -p mamori-cli -p mamori-loadgen
#   scripts/bench-admission.sh                 # all bodies, rates 2k/5k/10k, max with 32 and 64 connections
#   cargo build --release -p mamori-loadgen --example echo_floor
#   FLOOR=1 scripts/bench-admission.sh         # the same runs against the transport floor: an HTTPS echo
#                                              # server on the same stacks that decides nothing
#
# Environment: DURATION (recorded seconds per run, default 10), WARMUP (default 2), RATES ("2000 5000 10000"),
# POISSON_RATES (rates also run with Poisson arrivals, default "2000"; empty for none),
# CONNECTIONS (rate runs, default 32), MAX_CONNECTIONS ("32 64"), RATE_THREADS / MAX_THREADS (generator threads in
# rate and max runs, default 1 and 2: at a fixed rate one thread leaves the other core to the server; flat out, the
# generator needs both cores as the server does, else its one thread is the bottleneck), BODIES ("pod-compliant pod-violating
# deployment"), RUST_LOG (server log filter, default info: one JSON line per review, as deployed), OUT (results
# directory, default bench-data/admission), FLOOR (1 = serve with examples/echo_floor instead of mamori). Prints one
# Markdown table row per run; raw JSON in $OUT/results.jsonl. The steal column is the share of the machine's CPU
# time the hypervisor gave to other guests during the run (/proc/stat): on a shared VM it moves every figure.
# LOADGEN_GLIBC_TUNABLES (default below; empty for none): GLIBC_TUNABLES of the generator only. glibc before its
# fix for bug 30994 copies 2 KiB and more with `rep movsb`, which AMD Zen 3/4 run ~28x slower when the destination
# lies 1-31 bytes past the source modulo 4 KiB; rustls copies each record's plaintext to 5 bytes past the start
# of a buffer of the same size class, so the generator hit that case on every request (12 % of its CPU in perf,
# docs/benchmarks.md). The server keeps the default environment, as deployed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$ROOT/target/release/mamori}
LOADGEN=${LOADGEN:-$ROOT/target/release/mamori-loadgen}
ECHO_FLOOR=${ECHO_FLOOR:-$ROOT/target/release/examples/echo_floor}
FLOOR=${FLOOR:-0}
BODY_DIR=$ROOT/crates/mamori-loadgen/bodies
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
RATES=${RATES:-"2000 5000 10000"}
POISSON_RATES=${POISSON_RATES-"2000"}
CONNECTIONS=${CONNECTIONS:-32}
RATE_THREADS=${RATE_THREADS:-1}
MAX_THREADS=${MAX_THREADS:-2}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-"32 64"}
BODIES=${BODIES:-"pod-compliant pod-violating deployment"}
OUT=${OUT:-$ROOT/bench-data/admission}
LOADGEN_GLIBC_TUNABLES=${LOADGEN_GLIBC_TUNABLES-glibc.cpu.x86_rep_movsb_threshold=0x1000000}
PORT=${PORT:-18443}
export RUST_LOG=${RUST_LOG:-info}

mkdir -p "$OUT"
"$MAMORI" admission certs --out-dir "$OUT/certs" --namespace mamori-system --force >/dev/null

if [[ "$FLOOR" == 1 ]]; then
  "$ECHO_FLOOR" --listen "127.0.0.1:$PORT" --cert "$OUT/certs/tls.crt" --key "$OUT/certs/tls.key" \
    2>"$OUT/server.log" &
else
  "$MAMORI" admission serve --listen "127.0.0.1:$PORT" \
    --tls-cert "$OUT/certs/tls.crt" --tls-key "$OUT/certs/tls.key" \
    --namespaces-file "$BODY_DIR/namespaces.json" 2>"$OUT/server.log" &
fi
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if [[ "$FLOOR" == 1 ]]; then
    # The floor answers every path with an echo: a POST shows it is up.
    if curl -sf --cacert "$OUT/certs/ca.crt" --resolve "mamori-webhook.mamori-system.svc:$PORT:127.0.0.1" \
        -H 'Content-Type: application/json' -d '{}' "https://mamori-webhook.mamori-system.svc:$PORT/" >/dev/null; then
      break
    fi
  elif curl -sf --cacert "$OUT/certs/ca.crt" --resolve "mamori-webhook.mamori-system.svc:$PORT:127.0.0.1" \
      "https://mamori-webhook.mamori-system.svc:$PORT/readyz" >/dev/null; then
    break
  fi
  sleep 0.1
done

TICKS=$(getconf CLK_TCK)
# utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat; the name in field 2 has no spaces).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# Machine-wide steal and total ticks (the "cpu" line of /proc/stat: field 9 is steal).
machine_ticks() { awk '/^cpu / {total = 0; for (i = 2; i <= NF; i++) total += $i; print $9, total}' /proc/stat; }

: >"$OUT/results.jsonl"
echo "| body | mode | conns | req/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors | non-2xx | unsent | server CPU | steal |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
run() { # body, mode label, connections, loadgen mode args...
  local body=$1 label=$2 conns=$3
  shift 3
  local before after json machine_before machine_after
  before=$(cpu_ticks)
  machine_before=$(machine_ticks)
  json=$(env ${LOADGEN_GLIBC_TUNABLES:+GLIBC_TUNABLES="$LOADGEN_GLIBC_TUNABLES"} "$LOADGEN" --url "https://127.0.0.1:$PORT/validate?timeout=10s" --ca "$OUT/certs/ca.crt" \
    --server-name mamori-webhook.mamori-system.svc --body "$BODY_DIR/$body.json" \
    --connections "$conns" --duration "$DURATION" --warmup "$WARMUP" --json "$@")
  after=$(cpu_ticks)
  machine_after=$(machine_ticks)
  local steal
  steal=$(echo "$machine_before $machine_after" | awk '{d = $4 - $2; printf "%.0f%%", (d > 0 ? 100 * ($3 - $1) / d : 0)}')
  local cpu
  cpu=$(awk -v d="$((after - before))" -v t="$TICKS" -v s="$(awk -v a="$DURATION" -v b="$WARMUP" 'BEGIN{print a+b}')" \
    'BEGIN{printf "%.0f%%", 100 * d / t / s}')
  echo "$json" | jq -c --arg body "$body" --arg cpu "$cpu" --arg steal "$steal" '. + {body: $body, server_cpu: $cpu, steal: $steal}' >>"$OUT/results.jsonl"
  echo "$json" | jq -r --arg body "$body" --arg run_mode "$label" --arg cpu "$cpu" --arg steal "$steal" \
    '"| \($body) | \($run_mode) | \(.connections) | \(.achieved_rate) | \(.latency_us.p50) | \(.latency_us.p90) | \(.latency_us.p99) | \(.latency_us.p99_9) | \(.latency_us.max) | \(.errors) | \(.non_2xx) | \(.unsent) | \($cpu) | \($steal) |"'
}

for body in $BODIES; do
  for rate in $RATES; do
    run "$body" "rate $rate" "$CONNECTIONS" --rate "$rate" --threads "$RATE_THREADS"
  done
  for rate in $POISSON_RATES; do
    run "$body" "rate $rate poisson" "$CONNECTIONS" --rate "$rate" --arrivals poisson --threads "$RATE_THREADS"
  done
  for conns in $MAX_CONNECTIONS; do
    run "$body" "max" "$conns" --max --threads "$MAX_THREADS"
  done
done

echo
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER/status")"

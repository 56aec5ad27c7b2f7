#!/usr/bin/env bash
# Prints the scenario replay rate: the conformance suite in-process and against a live server
# on loopback, several runs each (a benchmark, not a test).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
cargo build --release -q -p netsuite-mock
bin=target/release/netsuite-mock

rate() { grep -Eo '\(([0-9]+) steps/s' | grep -Eo '[0-9]+'; }

echo "in-process (--jobs 2), $runs runs:"
for _ in $(seq "$runs"); do "$bin" run scenarios/ --jobs 2 | tail -2 | head -1; done

port=$((20000 + RANDOM % 20000))
"$bin" serve --listen "127.0.0.1:$port" --db :memory: >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/__admin/health" >/dev/null && break; sleep 0.1; done
echo "live server on loopback (one scenario at a time), $runs runs:"
for _ in $(seq "$runs"); do "$bin" run scenarios/ --target "http://127.0.0.1:$port" | tail -2 | head -1; done

echo "without the latency-bound governance and fault scenarios, in-process:"
for _ in $(seq "$runs"); do "$bin" run scenarios/adjustment scenarios/stock scenarios/orders scenarios/transfers scenarios/count scenarios/idempotency scenarios/auth --jobs 2 | tail -2 | head -1; done

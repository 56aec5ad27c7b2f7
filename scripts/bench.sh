#!/usr/bin/env bash
# The performance benchmark: netsuite-mock against a minimal hyper server answering a fixed
# JSON body (the physical baseline), both driven by the same load generator on this machine,
# in one run, so every figure comes with its ratio to a baseline measured minutes apart.
# Prints: requests/s, p50 and p99 for signed GET stock, signed durable one-line adjustment
# POST and a mixed workload at concurrency 5 and 15; cold start; idle RSS; the in-process
# scenario replay rate; GET latency at a 100,000 x 10 catalogue; adjustment cost by line count.
# Loopback only; every load is bounded in time. RUNS (default 3) and SECS (default 5) tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECS=${SECS:-5}
cargo build --release -q -p netsuite-mock
cargo build --release -q -p load-driver --example baseline
BIN=$PWD/target/release/netsuite-mock
BASE=$PWD/target/release/examples/baseline
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
sed 's/concurrency_limit: 5/concurrency_limit: 1000/' fixtures/demo.yaml > "$work/bench.yaml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ready() { for _ in $(seq 1200); do curl -s -o /dev/null "http://127.0.0.1:$1/__admin/health" && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; return 1; }
# start_base / start_mock DB FIXTURE: start a server in this shell; sets $port and $pid.
start_base() { port=$(free_port); "$BASE" "127.0.0.1:$port" >/dev/null 2>&1 & pid=$!; pids+=("$pid"); ready "$port"; }
start_mock() { port=$(free_port); "$BIN" serve --listen "127.0.0.1:$port" --db "$1" --fixture "$2" >/dev/null 2>&1 & pid=$!; pids+=("$pid"); ready "$port"; }
# load PORT MIX CONCURRENCY [extra args] -> "rps p50 p99"
load() {
  local port=$1 mix=$2 c=$3; shift 3
  "$BIN" load --target "http://127.0.0.1:$port" --concurrency "$c" --duration "$SECS" --mix "$mix" --json "$work/r.json" "$@" >/dev/null 2>&1 || true
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["measured"]; print("%.0f %.3f %.3f" % (m["requests_per_sec"], m["latency_ms"]["p50"], m["latency_ms"]["p99"]))' "$work/r.json"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "netsuite-mock benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $RUNS runs of ${SECS}s each (medians)"
echo
printf '%-9s %3s | %9s %7s %7s | %9s %7s %7s | %6s\n' workload c "base r/s" p50ms p99ms "mock r/s" p50ms p99ms ratio
start_base; base_port=$port
start_mock "$work/bench.db" "$work/bench.yaml"; mock_port=$port
for workload in "stock:stock=1" "adjust:adjust=1" "mixed:stock=60,adjust=20,transfer=10,order=10"; do
  name=${workload%%:*}; mix=${workload#*:}
  for c in 5 15; do
    : > "$work/b"; : > "$work/m"; : > "$work/ratio"
    for _ in $(seq "$RUNS"); do
      b=$(load "$base_port" "$mix" "$c" --no-reconcile); echo "$b" >> "$work/b"
      m=$(load "$mock_port" "$mix" "$c"); echo "$m" >> "$work/m"
      python3 -c 'import sys; print(float(sys.argv[2].split()[0]) / float(sys.argv[1].split()[0]))' "$b" "$m" >> "$work/ratio"
    done
    col() { cut -d' ' -f"$2" "$1" | median; }
    printf '%-9s %3s | %9.0f %7.3f %7.3f | %9.0f %7.3f %7.3f | %6.3f\n' "$name" "$c" \
      "$(col "$work/b" 1)" "$(col "$work/b" 2)" "$(col "$work/b" 3)" "$(col "$work/m" 1)" "$(col "$work/m" 2)" "$(col "$work/m" 3)" "$(median < "$work/ratio")"
  done
done

echo
echo "cold start (process start to first 200 on /__admin/health), median of 5:"
python3 - "$BIN" "$BASE" "$work" <<'PY'
import http.client, os, socket, statistics, subprocess, sys, time
binary, base, work = sys.argv[1:4]
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
def cold(cmd, p):
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - t0 < 30:
        try:
            c = http.client.HTTPConnection("127.0.0.1", p, timeout=1); c.request("GET", "/__admin/health"); r = c.getresponse(); r.read()
            if r.status == 200: break
        except OSError:
            time.sleep(0.0005)
    t = time.perf_counter() - t0
    rss = int([l for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmRSS")][0].split()[1])
    proc.terminate(); proc.wait()
    return t * 1000, rss
runs = {"baseline": [], "netsuite-mock (new file db, seeded)": [], "netsuite-mock (--db :memory:)": []}
for i in range(5):
    p = port(); runs["baseline"].append(cold([base, f"127.0.0.1:{p}"], p))
    p = port(); db = os.path.join(work, f"cold{i}.db")
    runs["netsuite-mock (new file db, seeded)"].append(cold([binary, "serve", "--listen", f"127.0.0.1:{p}", "--db", db], p))
    p = port(); runs["netsuite-mock (--db :memory:)"].append(cold([binary, "serve", "--listen", f"127.0.0.1:{p}", "--db", ":memory:"], p))
for name, values in runs.items():
    print(f"  {name:38s} {statistics.median(v[0] for v in values):7.1f} ms   RSS right after: {statistics.median(v[1] for v in values)/1024:5.1f} MiB")
PY

echo
echo "idle RSS after 2 s (demo fixture, file db):"
start_mock "$work/idle.db" fixtures/demo.yaml
sleep 2
echo "  netsuite-mock $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/"$pid"/status)"
start_base
sleep 2
echo "  baseline      $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/"$pid"/status)"

echo
echo "in-process scenario replay (the suite without the latency-bound governance and fault scenarios):"
for _ in $(seq "$RUNS"); do "$BIN" run scenarios/adjustment scenarios/stock scenarios/orders scenarios/transfers scenarios/count scenarios/idempotency scenarios/auth --jobs 2 | grep steps/s; done

echo
echo "scale: GET stock at concurrency 5, demo catalogue vs 100,000 items x 10 locations:"
python3 - "$work/scale.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('accounts:\n  - id: "1234567_SB1"\n    settings: { concurrency_limit: 1000 }\n    gl_accounts: [{ id: 113, name: "Inventory Adjustment" }]\n    locations:\n')
    for l in range(1, 11):
        f.write(f'      - {{ id: {l}, name: "Location {l}" }}\n')
    f.write('    items:\n')
    stock = ", ".join(f"{l}: 1000" for l in range(1, 11))
    for i in range(1, 100001):
        f.write(f'      - {{ id: {i}, sku: "SKU-{i}", stock: {{ {stock} }} }}\n')
    f.write('''    integrations:
      - { name: "WMS Connector", consumer_key: "8e5578d771a26ab1d0f96c0655c2634312f12af7e02a33573c4f4eafd00865c9", consumer_secret: "13cdb9356194181710225cff27cb42132e2e4f7e3766ca7a7adda63af04c4d8d" }
    tokens:
      - { name: wms, integration: "WMS Connector", role: "Inventory Integration", token_id: "b9d79eac6e13c99b55d1c937cff057f51f63d83ad7f3fae65de05a41ec322071", token_secret: "5e1cf9da0c2f64444c67855df041303292b3e47069e75a409d9b13668b8b034b" }
    deployments:
      - { script: 101, script_id: customscript_inventory_adjustment, handler: inventory_adjustment }
      - { script: 102, script_id: customscript_inventory_stock, handler: stock_query }
''')
PY
items=$(python3 -c 'import random; random.seed(7); print(",".join(str(random.randint(1, 100000)) for _ in range(2000)))')
t0=$(date +%s.%N)
start_mock "$work/scale.db" "$work/scale.yaml"; scale_port=$port
t1=$(date +%s.%N)
echo "  first start with the 100,000-item fixture (parse, seed 1,000,000 stock rows): $(python3 -c "print('%.1f s' % ($t1 - $t0))")"
echo "  resident memory: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/"$pid"/status)"
: > "$work/d"; : > "$work/s"
for _ in $(seq "$RUNS"); do
  load "$mock_port" stock=1 5 --no-reconcile >> "$work/d"
  load "$scale_port" stock=1 5 --no-reconcile --fixture "$work/scale.yaml" --items "$items" --locations 1,2,3,4,5,6,7,8,9,10 >> "$work/s"
done
dp99=$(cut -d' ' -f3 "$work/d" | median); sp99=$(cut -d' ' -f3 "$work/s" | median)
printf '  demo:    %6.0f req/s, p99 %.3f ms\n  100k:    %6.0f req/s, p99 %.3f ms   (p99 ratio %.2f)\n' \
  "$(cut -d' ' -f1 "$work/d" | median)" "$dp99" "$(cut -d' ' -f1 "$work/s" | median)" "$sp99" "$(python3 -c "print($sp99 / $dp99)")"

echo
echo "adjustment cost by line count (concurrency 1, durable):"
printf '  %5s | %8s %9s %9s\n' lines "req/s" "p50 ms" "us/line"
for lines in 1 10 100 1000; do
  r=$(load "$mock_port" adjust=1 1 --lines "$lines" --items 3569,4152,100,200 --locations 1,3,103)
  set -- $r
  printf '  %5s | %8s %9s %9.1f\n' "$lines" "$1" "$2" "$(python3 -c "print($2 * 1000 / $lines)")"
done

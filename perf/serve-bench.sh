#!/usr/bin/env bash
# perf/serve-bench.sh [--quick] -- issue 13's serving benchmark: `mklrnn serve` with continuous batching against the
# in-process batched loop (loadtest --offline), against the same server at --max-batch 1, and the throughput curve
# over concurrency 1, 4, 16, 64, 256, for a 1 x 512 and a 1 x 128 LSTM char-LM (64 clients, 200-token generations).
# Run it on a quiet machine after ./build.sh; --quick shrinks the counts to prove the pipeline only.
# Results: perf/results/serve-<date>/{results.jsonl, summary.md, curve-<model>.svg}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CLI=(dotnet "$ROOT/src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll")
[ -f "${CLI[1]}" ] || { echo "serve-bench: build first (./build.sh)" >&2; exit 1; }

QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
CLIENTS=64; TOKENS=200; PER_CLIENT=${SERVE_BENCH_PER_CLIENT:-4}   # requests = PER_CLIENT x concurrency
CURVE=(1 4 16 64 256)
if [ $QUICK = 1 ]; then TOKENS=50; PER_CLIENT=1; fi
OUT="$ROOT/perf/results/serve-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
PORT=${SERVE_BENCH_PORT:-18431}
TEXT=$(ls /usr/share/games/fortunes/fortunes 2>/dev/null || echo "")
[ -n "$TEXT" ] || { echo "serve-bench: needs the fortunes package (./build.sh installs it)" >&2; exit 1; }

# Throughput does not depend on what the weights learned: a few training steps make real checkpoints.
for H in 512 128; do
    [ -f "$OUT/lstm$H.safetensors" ] || "${CLI[@]}" train --text "$TEXT" --checkpoint "$OUT/lstm$H.safetensors" --hidden $H \
        --embedding 64 --layers 1 --steps 2 --batch-size 8 --seq-length 32 > "$OUT/train$H.log"
done

SERVER_PID=
start_server() { # $1 checkpoint, $2 max-batch
    "${CLI[@]}" serve --model "m=$1" --port $PORT --max-batch "$2" --max-queue 100000 > "$OUT/serve.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do
        if curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null; then
            # Warm-up (JIT, connections), not recorded.
            "${CLI[@]}" loadtest --url "http://127.0.0.1:$PORT" --model m --concurrency 64 --requests 64 --max-tokens 5 > /dev/null
            return
        fi
        sleep 0.1
    done
    echo "serve-bench: the server did not start (see $OUT/serve.log)" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; }
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true' EXIT

record() { # $1 model, $2 setup, $3 concurrency, then the loadtest arguments
    local model=$1 setup=$2 c=$3; shift 3
    local line
    line=$("${CLI[@]}" loadtest "$@" --concurrency "$c" --requests $((PER_CLIENT * c)) --max-tokens $TOKENS --json)
    echo "{\"model\":\"$model\",\"setup\":\"$setup\",${line#\{}" | tee -a "$RESULTS"
}

for H in 512 128; do
    CK="$OUT/lstm$H.safetensors"
    record "lstm1x$H" offline $CLIENTS --offline --checkpoint "$CK"
    start_server "$CK" 256
    record "lstm1x$H" "server max-batch 256" $CLIENTS --url "http://127.0.0.1:$PORT" --model m
    for C in "${CURVE[@]}"; do record "lstm1x$H" curve "$C" --url "http://127.0.0.1:$PORT" --model m; done
    stop_server
    start_server "$CK" 64
    record "lstm1x$H" "server max-batch 64" $CLIENTS --url "http://127.0.0.1:$PORT" --model m
    stop_server
    start_server "$CK" 1
    record "lstm1x$H" "server max-batch 1" $CLIENTS --url "http://127.0.0.1:$PORT" --model m
    stop_server
done
SERVER_PID=

python3 "$ROOT/perf/serve_report.py" "$RESULTS" "$OUT"
echo "serve-bench: results in $OUT"

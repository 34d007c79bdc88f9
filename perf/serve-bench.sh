#!/usr/bin/env bash
# perf/serve-bench.sh [--quick] -- issue 13's serving benchmark for a 1 x 512 and a 1 x 128 LSTM char-LM, 64 clients,
# 200-token generations: `mklrnn serve --max-batch 64` against the in-process batched loop (loadtest --offline) at
# the same concurrency, the server at --max-batch 1 against the offline loop at concurrency 1 (their ratio to the
# first pair is what batching can give: the GEMM bound), and the throughput curve over concurrency 1, 4, 16, 64, 256.
# Each pair runs interleaved SERVE_BENCH_REPEATS times (default 2) against one running server, so server and offline
# see the same machine; every line records the 1-minute load average. Run it on a quiet machine after ./build.sh;
# --quick shrinks the counts to prove the pipeline only.
# Results: perf/results/serve-<date>/{results.jsonl, summary.md, curve-<model>.svg}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CLI=(dotnet "$ROOT/src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll")
# The load generator shares the cores with the server: compiled once, fully optimized (no tiered recompiles in the
# background during the measurement). It also warms up before its clock starts (loadtest --warmup).
LOADGEN=(env DOTNET_TieredCompilation=0 "${CLI[@]}")
[ -f "${CLI[1]}" ] || { echo "serve-bench: build first (./build.sh)" >&2; exit 1; }

QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
CLIENTS=64; TOKENS=200; PER_CLIENT=${SERVE_BENCH_PER_CLIENT:-4}   # requests = PER_CLIENT x concurrency (x4 for 1 x 128)
REPEATS=${SERVE_BENCH_REPEATS:-2}
CURVE=(1 4 16 64 256)
if [ $QUICK = 1 ]; then TOKENS=50; PER_CLIENT=1; REPEATS=1; fi
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
            # Warm-up, not recorded: the server's JIT reaches its hot paths' final tier under the real workload.
            "${LOADGEN[@]}" loadtest --url "http://127.0.0.1:$PORT" --model m --concurrency 64 --requests 128 --max-tokens $TOKENS > /dev/null
            return
        fi
        sleep 0.1
    done
    echo "serve-bench: the server did not start (see $OUT/serve.log)" >&2; exit 1
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; }
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true' EXIT

record() { # $1 model, $2 setup, $3 concurrency, $4 requests, then the loadtest arguments
    local model=$1 setup=$2 c=$3 r=$4; shift 4
    local line load runner=("${LOADGEN[@]}")
    [[ " $* " == *" --offline "* ]] && runner=("${CLI[@]}") # the engine itself: compiled as the server's is
    load=$(cut -d' ' -f1 /proc/loadavg)
    line=$("${runner[@]}" loadtest "$@" --concurrency "$c" --requests "$r" --max-tokens $TOKENS --json)
    echo "{\"model\":\"$model\",\"setup\":\"$setup\",\"load\":$load,${line#\{}" | tee -a "$RESULTS"
}

BASE_PER_CLIENT=$PER_CLIENT
for H in 512 128; do
    CK="$OUT/lstm$H.safetensors"
    SERVER=(--url "http://127.0.0.1:$PORT" --model m)
    # The small model runs about 4x the tokens/s: 4x the requests keep its runs as long (a run of a few tenths of a
    # second measures start-up and scheduling noise).
    PER_CLIENT=$BASE_PER_CLIENT; [ "$H" = 128 ] && PER_CLIENT=$((4 * BASE_PER_CLIENT))
    start_server "$CK" 64
    for _ in $(seq "$REPEATS"); do
        record "lstm1x$H" offline $CLIENTS $((PER_CLIENT * CLIENTS)) --offline --checkpoint "$CK"
        record "lstm1x$H" "server max-batch 64" $CLIENTS $((PER_CLIENT * CLIENTS)) "${SERVER[@]}"
    done
    stop_server
    # Batch 1: every request runs alone, so a quarter of the requests (still all 64 clients) keeps the run short.
    start_server "$CK" 1
    for _ in $(seq "$REPEATS"); do
        record "lstm1x$H" "offline concurrency 1" 1 $((PER_CLIENT * CLIENTS / 4)) --offline --checkpoint "$CK"
        record "lstm1x$H" "server max-batch 1" $CLIENTS $((PER_CLIENT * CLIENTS / 4)) "${SERVER[@]}"
    done
    stop_server
    start_server "$CK" 256
    for C in "${CURVE[@]}"; do record "lstm1x$H" curve "$C" $((PER_CLIENT * C)) "${SERVER[@]}"; done
    stop_server
done
SERVER_PID=

python3 "$ROOT/perf/serve_report.py" "$RESULTS" "$OUT"
echo "serve-bench: results in $OUT"

#!/usr/bin/env bash
# perf/side-by-side.sh SHAPE-ARGS... -- three interleaved rounds of MklRnn (f32, bf16, int8, and ONNX Runtime in-process)
# against oneDNN (f32, bf16, int8) and PyTorch's dynamic int8, on one shape, through the anchors harness's engine
# protocol; prints "round engine median_ms min_ms". Needs the shared anchors built (cd ../shared/anchors && make) and ./build.sh.
# Example: perf/side-by-side.sh --cell lstm --mode infer --T 50 --N 64 --I 512 --H 512 --layers 1 --dirs 1 --threads 2
# Environment: ANCHORS (the built anchors folder, default ../shared/anchors), ENGINES (names to run, default all),
# ROUNDS (default 3),
# BASE_DLL (a second mklrnn.dll, e.g. a copy of an earlier build: adds base-mklrnn-int8 and base-mklrnn-bf16 rows,
# so a change is measured against its predecessor in the same interleaved run), or BASE_ENV (variables for the same
# mklrnn.dll's base rows, e.g. BASE_ENV=MKLRNN_STEP_PROJECTION=0: an A/B of a switch).
# After the rounds, a summary: each engine's median of its round medians, and for each precision the ratio
# MklRnn / oneDNN round by round (the two ran seconds apart: the machine's drift cancels), its median, and in how
# many rounds MklRnn was the faster; then MklRnn f32 / MklRnn bf16 and int8 (the speed-ups).
set -uo pipefail
cd "$(dirname "$0")/.."
A=${ANCHORS:-../shared/anchors}
B="dotnet src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll bench"
BASE=${BASE_DLL:+dotnet $BASE_DLL bench}
[[ -n "${BASE_ENV:-}" ]] && BASE="env $BASE_ENV $B"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for round in $(seq "${ROUNDS:-3}"); do
  for e in "onednn:$A/build/onednn_rnn" "onednn-bf16:$A/build/onednn_rnn --dt bf16" "onednn-int8:$A/build/onednn_rnn --dt u8s8" \
           "mklrnn:$B" "mklrnn-bf16:$B --precision bf16" "mklrnn-int8:$B --precision int8" "onnxruntime:$B --engine onnxruntime" \
           "torch-qint8:/usr/bin/python3 $A/torch_rnn.py --engine-name torch-qint8 --qint8" \
           ${BASE:+"base-mklrnn-bf16:$BASE --precision bf16" "base-mklrnn-int8:$BASE --precision int8"}; do
    name=${e%%:*}; cmd=${e#*:}
    [[ -n "${ENGINES:-}" && " $ENGINES " != *" $name "* ]] && continue
    ms=$($cmd "$@" --iters 20 --warmup 3 --min-time 1 --json 2>/dev/null | sed -n 's/^RESULT //p' \
         | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print(r["median_ms"], r["min_ms"])' 2>/dev/null)
    echo "$round $name ${ms:-failed}" | tee -a "$OUT"
  done
done
/usr/bin/python3 - "$OUT" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, name, *v = line.split()
    if len(v) == 2: runs.setdefault(name, {})[int(r)] = float(v[0])
print("# engine: median of round medians (ms)")
for name, by in runs.items(): print(f"#   {name:18} {statistics.median(by.values()):9.3f}  ({len(by)} rounds)")
def ratios(a, b):
    rounds = sorted(set(runs.get(a, {})) & set(runs.get(b, {})))
    return [runs[a][r] / runs[b][r] for r in rounds]
for p in ("", "-bf16", "-int8"):
    q = ratios("mklrnn" + p, "onednn" + p)
    if q: print(f"# mklrnn{p} / onednn{p}: median {statistics.median(q):.3f}, per round {' '.join(f'{x:.3f}' for x in q)}; MklRnn faster in {sum(x < 1 for x in q)} of {len(q)}")
for p in ("-bf16", "-int8"):
    q = ratios("mklrnn", "mklrnn" + p)
    if q: print(f"# mklrnn f32 / mklrnn{p} (speed-up): median {statistics.median(q):.3f}, per round {' '.join(f'{x:.2f}' for x in q)}")
for p in ("-bf16", "-int8"):
    q = ratios("mklrnn" + p, "base-mklrnn" + p)
    if q: print(f"# mklrnn{p} / base-mklrnn{p} (< 1: this build faster): median {statistics.median(q):.3f}, per round {' '.join(f'{x:.3f}' for x in q)}")
q = ratios("torch-qint8", "mklrnn-int8")
if q: print(f"# torch-qint8 / mklrnn-int8: median {statistics.median(q):.2f}")
PY

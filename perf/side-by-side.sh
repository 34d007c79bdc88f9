#!/usr/bin/env bash
# perf/side-by-side.sh SHAPE-ARGS... -- three interleaved rounds of MklRnn (f32, bf16, int8, and ONNX Runtime in-process)
# against oneDNN (f32, bf16, int8) and PyTorch's dynamic int8, on one shape, through the anchors harness's engine
# protocol; prints "round engine median_ms". Needs the shared anchors built (cd ../shared/anchors && make) and ./build.sh.
# Example: perf/side-by-side.sh --cell lstm --mode infer --T 50 --N 64 --I 512 --H 512 --layers 1 --dirs 1 --threads 2
# Environment: ANCHORS (the built anchors folder, default ../shared/anchors), ENGINES (names to run, default all),
# BASE_DLL (a second mklrnn.dll, e.g. a copy of an earlier build: adds base-mklrnn-int8 and base-mklrnn-bf16 rows,
# so a change is measured against its predecessor in the same interleaved run).
set -uo pipefail
cd "$(dirname "$0")/.."
A=${ANCHORS:-../shared/anchors}
B="dotnet src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll bench"
BASE=${BASE_DLL:+dotnet $BASE_DLL bench}
for round in 1 2 3; do
  for e in "onednn:$A/build/onednn_rnn" "onednn-bf16:$A/build/onednn_rnn --dt bf16" "onednn-int8:$A/build/onednn_rnn --dt u8s8" \
           "mklrnn:$B" "mklrnn-bf16:$B --precision bf16" "mklrnn-int8:$B --precision int8" "onnxruntime:$B --engine onnxruntime" \
           "torch-qint8:/usr/bin/python3 $A/torch_rnn.py --engine-name torch-qint8 --qint8" \
           ${BASE:+"base-mklrnn-bf16:$BASE --precision bf16" "base-mklrnn-int8:$BASE --precision int8"}; do
    name=${e%%:*}; cmd=${e#*:}
    [[ -n "${ENGINES:-}" && " $ENGINES " != *" $name "* ]] && continue
    ms=$($cmd "$@" --iters 20 --warmup 3 --min-time 1 --json 2>/dev/null | sed -n 's/^RESULT //p' \
         | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["median_ms"])' 2>/dev/null)
    echo "$round $name ${ms:-failed}"
  done
done

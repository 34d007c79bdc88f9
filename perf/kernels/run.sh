#!/usr/bin/env bash
# perf/kernels/run.sh [ROUNDS] -- builds perf/kernels/int8_lstm_step.c against build/native (run ./build.sh first) and
# times the int8 LSTM step kernel with and without the leading-dimension padding, interleaved, ROUNDS times (default 3);
# then perf/kernels/bf16_s1_gemms.c against MKL: the VDPBF16PS peak and S1's bf16 GEMMs alone (the floor under bf16 S1).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -Inative/include perf/kernels/int8_lstm_step.c -o "$out/int8_lstm_step" -Lbuild/native -lmklrnn_native \
    -Wl,-rpath,"$PWD/build/native"
for round in $(seq "${1:-3}"); do
  for pad in 0 16; do for mode in stream hot; do "$out/int8_lstm_step" 200 "$pad" "$mode"; done; done
done
gcc -O2 -I/usr/include/mkl perf/kernels/bf16_s1_gemms.c -o "$out/bf16_s1_gemms" -lmkl_rt -lpthread
# MKL's vendor check overridden as the engine does on AMD (README, "MKL on AMD"); OpenMP threads do not spin between
# the projection and the step threads.
KMP_BLOCKTIME=0 LD_PRELOAD="$PWD/build/native/libmklrnn_intel_cpu.so" "$out/bf16_s1_gemms" 20

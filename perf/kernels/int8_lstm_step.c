/* int8_lstm_step.c -- times the shim's int8 LSTM step (mklrnn_lstm_forward_s32) alone, one thread, at the S1 widths
 * (H = 512, 32 rows: one thread's half of N = 64), 50 steps a repetition, best of the repetitions, in ns a cell.
 * "stream": each step reads the next rows of a 3200-row input projection (26 MB, from memory, as in the engine);
 * "hot": every step reads the same rows (from cache). LD_PAD adds int32s to both blocks' leading dimension (the
 * engine pads 2048 to 2064: rows 8 KB apart share L1 sets). Run by perf/kernels/run.sh; see docs/results-2026-12-03.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mklrnn/mklrnn.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  const int n = 32, H = 512, G4 = 4 * H, R = 3200, steps = 50;
  const int reps = argc > 1 ? atoi(argv[1]) : 200, pad = argc > 2 ? atoi(argv[2]) : 0, hot = argc > 3 && argv[3][0] == 'h';
  const int ld = G4 + pad;
  int32_t* acc = malloc(sizeof(int32_t) * (size_t)n * ld);
  int32_t* acc_x = malloc(sizeof(int32_t) * (size_t)R * ld);
  int32_t *cs = malloc(sizeof(int32_t) * G4), *csx = malloc(sizeof(int32_t) * G4);
  float *ws = malloc(sizeof(float) * G4), *wsx = malloc(sizeof(float) * G4), *bi = malloc(sizeof(float) * G4),
        *bh = malloc(sizeof(float) * G4);
  float *gates = malloc(sizeof(float) * (size_t)n * G4), *c = malloc(sizeof(float) * n * H), *h = malloc(sizeof(float) * n * H);
  float* y = malloc(sizeof(float) * (size_t)R * H);
  uint8_t* hq = malloc((size_t)n * H);
  srand(1);
  for (size_t i = 0; i < (size_t)n * ld; i++) acc[i] = rand() % 200001 - 100000;
  for (size_t i = 0; i < (size_t)R * ld; i++) acc_x[i] = rand() % 200001 - 100000;
  for (int j = 0; j < G4; j++) {
    cs[j] = rand() % 2001 - 1000, csx[j] = rand() % 2001 - 1000;
    ws[j] = wsx[j] = 1e-5f * (float)(1 + rand() % 10);
    bi[j] = 0.1f, bh[j] = -0.1f;
  }
  for (int i = 0; i < n * H; i++) c[i] = 0.1f, h[i] = 0.0f;
  double best = 1e9;
  for (int rep = 0; rep < reps; rep++) {
    const double t0 = now();
    for (int s = 0; s < steps; s++) {
      const int o = hot ? 0 : (s * 64) % (R - n);
      if (mklrnn_lstm_forward_s32(n, H, acc, ld, 0.004f, 100, ws, cs, acc_x + (size_t)o * ld, ld, 0.003f, 37, wsx, csx, gates,
                                  G4, bi, bh, NULL, c, H, c, H, h, H, y + (size_t)o * H, H, hq, H, 127.0f, 128, 255) != 0)
        return 1;
    }
    const double t = now() - t0;
    if (t < best) best = t;
  }
  printf("int8 LSTM step, H=%d, %d rows, ld %d (+%d), %s: %.2f ns a cell (best of %d x %d steps)\n", H, n, ld, pad,
         hot ? "hot" : "stream", best * 1e9 / ((double)steps * n * H), reps, steps);
  return 0;
}

/* bf16_s1_gemms.c -- the floor under a bf16 LSTM at S1 (T = 50, N = 64, I = H = 512) on two cores, in two numbers:
 * (1) the VDPBF16PS peak: each thread a loop of independent VDPBF16PS (64 FLOP each), both threads at once, and the
 *     time S1's 13.4 GFLOP of GEMMs would take at that rate;
 * (2) S1's GEMMs alone, as MklRnn schedules them (ReducedPrecisionBatchSplit): the input projection (3200 x 2048 x 512)
 *     on MKL's two threads, then two threads each running 50 steps of its 32 rows (32 x 2048 x 512, beta 1 onto the
 *     projection rows) on single-threaded MKL, weights packed once (cblas_gemm_bf16bf16f32_pack / _compute).
 * Whatever an engine spends above (2) is its gate math, conversions and waits; above (1), also the GEMM's own
 * inefficiency. Run by perf/kernels/run.sh; see docs/precision.md ("Not done"). */
#include <immintrin.h>
#include <mkl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { T = 50, N = 64, I = 512, H = 512, GH = 4 * H, LDG = GH + 16, HALF = N / 2 };

static MKL_BF16 *w_ih_packed, *w_hh_packed, *x_bf16, *h_bf16[2];
static float* gates;
static volatile float sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* 12 independent accumulators in registers (the empty asm keeps the compiler from folding them), so the loop is
 * bound by VDPBF16PS throughput, not its latency. */
#define DP(a) a = _mm512_dpbf16_ps(a, x, y)
__attribute__((target("avx512f,avx512bf16"))) static void* peak_loop(void* arg) {
  const long iters = (long)(intptr_t)arg;
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0,
         a11 = a0;
  const __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f803f80), y = x;
  for (long i = 0; i < iters; i++) {
    DP(a0), DP(a1), DP(a2), DP(a3), DP(a4), DP(a5), DP(a6), DP(a7), DP(a8), DP(a9), DP(a10), DP(a11);
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9),
                     "+v"(a10), "+v"(a11));
  }
  sink += _mm512_reduce_add_ps(_mm512_add_ps(a0, a11));
  return NULL;
}

static void* steps(void* arg) {
  const int half = (int)(intptr_t)arg;
  mkl_set_num_threads_local(1);
  for (int t = 0; t < T; t++)
    cblas_gemm_bf16bf16f32_compute(CblasRowMajor, CblasNoTrans, CblasPacked, HALF, GH, H, 1.f, h_bf16[half], H, w_hh_packed,
                                   H, 1.f, gates + ((size_t)t * N + (size_t)half * HALF) * LDG, LDG);
  return NULL;
}

static MKL_BF16* pack(int k) {
  MKL_BF16* w = malloc(sizeof(MKL_BF16) * (size_t)GH * k);
  for (size_t i = 0; i < (size_t)GH * k; i++) w[i] = (MKL_BF16)(0x3c00 + i % 7);
  MKL_BF16* p = mkl_malloc(cblas_gemm_bf16bf16f32_pack_get_size(CblasBMatrix, N, GH, k), 64);
  cblas_gemm_bf16bf16f32_pack(CblasRowMajor, CblasBMatrix, CblasTrans, N, GH, k, w, k, p);
  free(w);
  return p;
}

static int cmp(const void* a, const void* b) { return *(const double*)a < *(const double*)b ? -1 : *(const double*)a > *(const double*)b; }

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 20;
  const double flop = 2.0 * T * N * GH * (double)(I + H);
  /* (1) the peak, both cores at once */
  const long iters = 20000000;
  pthread_t p[2];
  double t0 = now();
  for (int i = 0; i < 2; i++) pthread_create(&p[i], NULL, peak_loop, (void*)(intptr_t)iters);
  for (int i = 0; i < 2; i++) pthread_join(p[i], NULL);
  const double peak = 12.0 * 64.0 * (double)iters / (now() - t0) * 1e-9; /* GFLOP/s a core */
  printf("VDPBF16PS peak: %.0f GFLOP/s a core; S1's %.1f GFLOP on two cores at that rate: %.1f ms\n", peak, flop * 1e-9,
         flop / (2 * peak * 1e9) * 1e3);
  /* (2) the engine's GEMM schedule */
  w_ih_packed = pack(I);
  w_hh_packed = pack(H);
  x_bf16 = mkl_malloc(sizeof(MKL_BF16) * (size_t)T * N * I, 64);
  for (size_t i = 0; i < (size_t)T * N * I; i++) x_bf16[i] = (MKL_BF16)(0x3c00 + i % 5);
  gates = mkl_malloc(sizeof(float) * (size_t)T * N * LDG, 64);
  memset(gates, 0, sizeof(float) * (size_t)T * N * LDG);
  for (int i = 0; i < 2; i++) {
    h_bf16[i] = mkl_malloc(sizeof(MKL_BF16) * HALF * H, 64);
    for (int j = 0; j < HALF * H; j++) h_bf16[i][j] = 0x3c00;
  }
  double* ms = malloc(sizeof(double) * rounds);
  for (int r = 0; r < rounds; r++) {
    mkl_set_num_threads(2);
    t0 = now();
    cblas_gemm_bf16bf16f32_compute(CblasRowMajor, CblasNoTrans, CblasPacked, T * N, GH, I, 1.f, x_bf16, I, w_ih_packed, I, 0.f,
                                   gates, LDG);
    for (int i = 0; i < 2; i++) pthread_create(&p[i], NULL, steps, (void*)(intptr_t)i);
    for (int i = 0; i < 2; i++) pthread_join(p[i], NULL);
    ms[r] = (now() - t0) * 1e3;
  }
  qsort(ms, rounds, sizeof(double), cmp);
  printf("S1's bf16 GEMMs alone, scheduled as the engine does: min %.1f ms, median %.1f ms (%d rounds; %.0f GFLOP/s at the min)\n",
         ms[0], ms[rounds / 2], rounds, flop / (ms[0] * 1e-3) * 1e-9);
  free(ms);
  return 0;
}

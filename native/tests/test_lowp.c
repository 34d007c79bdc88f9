/* test_lowp.c -- the reduced-precision helpers (lowp_*.c and the *_forward_s32 entry points):
 * bf16 rounding exact on chosen bit patterns (ties to even, NaN, Inf, denormals, overflow), every
 * kernel path (scalar, AVX2, AVX-512, AVX512_BF16, and the dispatched export) bit-identical to the
 * scalar reference on odd shapes with guard bytes, the zero-point compensation exact on integers,
 * the fused int32 gate steps equal to dequantize + the fp32 kernel, and argument validation.
 * ctest runs it three times: default dispatch, MKLRNN_FORCE_AVX2=1 and MKLRNN_FORCE_SCALAR=1.
 * One line per test; exit 1 on failure. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static int g_fail;
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static float urand(float lo, float hi) { return lo + (hi - lo) * (float)((rnd() >> 40) * 0x1.0p-24); }
static float from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static void report(const char* name, long cases, long fails) {
  printf("%-34s %s cases=%-8ld fails=%ld\n", name, fails ? "FAIL" : "ok  ", cases, fails);
  if (fails) g_fail = 1;
}

/* One line per test and kernel path: "test[path]". */
static void report_path(const char* test, const char* path, long cases, long fails) {
  char name[64];
  snprintf(name, sizeof name, "%s[%s]", test, path);
  report(name, cases, fails);
}

/* ---------------------------------------------------------------- the paths under test */

typedef void (*bf16_fn)(int32_t, int32_t, const float*, int32_t, uint16_t*, int32_t);
typedef void (*minmax_fn)(int32_t, int32_t, const float*, int32_t, float*);
typedef void (*quant_fn)(int32_t, int32_t, const float*, int32_t, float, int32_t, int32_t, uint8_t*, int32_t);
typedef void (*deq_fn)(int32_t, int32_t, const int32_t*, int32_t, float, int32_t, const float*, const int32_t*,
                       int32_t, float*, int32_t);

static void pub_bf16(int32_t n, int32_t k, const float* s, int32_t ls, uint16_t* d, int32_t ld) {
  if (mklrnn_f32_to_bf16(n, k, s, ls, d, ld) != MKLRNN_OK) g_fail = 1;
}
static void pub_minmax(int32_t n, int32_t k, const float* s, int32_t ls, float* mm) {
  if (mklrnn_min_max(n, k, s, ls, mm) != MKLRNN_OK) g_fail = 1;
}
static void pub_quant(int32_t n, int32_t k, const float* s, int32_t ls, float inv, int32_t zp, int32_t qmax, uint8_t* d,
                      int32_t ld) {
  if (mklrnn_quantize_u8(n, k, s, ls, inv, zp, qmax, d, ld) != MKLRNN_OK) g_fail = 1;
}
static void pub_deq(int32_t n, int32_t k, const int32_t* a, int32_t la, float as, int32_t az, const float* ws,
                    const int32_t* wc, int32_t accu, float* o, int32_t lo) {
  if (mklrnn_dequantize_s32(n, k, a, la, as, az, ws, wc, accu, o, lo) != MKLRNN_OK) g_fail = 1;
}

typedef struct {
  const char* name;
  bf16_fn bf16;
  minmax_fn minmax;
  quant_fn quant;
  deq_fn deq;
} Path;

static Path g_paths[5];
static int g_npaths;

static void paths_init(void) {
  g_paths[g_npaths++] = (Path){"scalar", mklrnn_scalar_f32_to_bf16, mklrnn_scalar_min_max, mklrnn_scalar_quantize_u8,
                               mklrnn_scalar_dequantize_s32};
  g_paths[g_npaths++] = (Path){"export", pub_bf16, pub_minmax, pub_quant, pub_deq};
#if MKLRNN_HAVE_AVX2_KERNELS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    g_paths[g_npaths++] = (Path){"avx2", mklrnn_avx2_f32_to_bf16, mklrnn_avx2_min_max, mklrnn_avx2_quantize_u8,
                                 mklrnn_avx2_dequantize_s32};
#endif
#if MKLRNN_HAVE_AVX512_KERNELS
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq")) {
    g_paths[g_npaths++] = (Path){"avx512", mklrnn_avx512_f32_to_bf16, mklrnn_avx512_min_max,
                                 mklrnn_avx512_quantize_u8, mklrnn_avx512_dequantize_s32};
    if (__builtin_cpu_supports("avx512bf16"))
      g_paths[g_npaths++] = (Path){"avx512bf16", mklrnn_avx512bf16_f32_to_bf16, mklrnn_avx512_min_max,
                                   mklrnn_avx512_quantize_u8, mklrnn_avx512_dequantize_s32};
  }
#endif
}

/* ---------------------------------------------------------------- bf16 */

/* Chosen patterns: input bits -> the correctly rounded bf16 bits (worked out by hand). */
static const uint32_t BF16_CASES[][2] = {
    {0x3F800000u, 0x3F80u}, /* 1.0 exact */
    {0x3F808000u, 0x3F80u}, /* tie, even (lsb 0): down */
    {0x3F818000u, 0x3F82u}, /* tie, odd (lsb 1): up */
    {0x3F808001u, 0x3F81u}, /* just above the tie: up */
    {0x3F807FFFu, 0x3F80u}, /* just below the tie: down */
    {0xBF818000u, 0xBF82u}, /* negative tie, odd: away from zero */
    {0xBF808000u, 0xBF80u}, /* negative tie, even */
    {0x7F800000u, 0x7F80u}, /* +Inf */
    {0xFF800000u, 0xFF80u}, /* -Inf */
    {0x7F7FFFFFu, 0x7F80u}, /* FLT_MAX rounds up to +Inf */
    {0x7F7F7FFFu, 0x7F7Fu}, /* largest that stays finite */
    {0xFF7FFFFFu, 0xFF80u}, /* -FLT_MAX -> -Inf */
    {0x7FC00000u, 0x7FC0u}, /* quiet NaN */
    {0x7F800001u, 0x7FC0u}, /* signalling NaN, low payload: still NaN (quiet bit set) */
    {0x7FA00000u, 0x7FE0u}, /* signalling NaN, payload kept in the top bits */
    {0xFFC00001u, 0xFFC0u}, /* negative NaN */
    {0x00000001u, 0x0000u}, /* smallest denormal -> +0 */
    {0x807FFFFFu, 0x8000u}, /* largest negative denormal -> -0 */
    {0x00400000u, 0x0000u}, /* denormal -> +0 */
    {0x00800000u, 0x0080u}, /* smallest normal */
    {0x00FF8000u, 0x0100u}, /* tie at the smallest exponent, odd: up into the next binade */
    {0x00000000u, 0x0000u},
    {0x80000000u, 0x8000u},
    {0x3FFFFFFFu, 0x4000u}, /* carry into the exponent */
};

static void t_bf16_patterns(void) {
  const int m = (int)(sizeof BF16_CASES / sizeof BF16_CASES[0]);
  for (int p = 0; p < g_npaths; ++p) {
    long fails = 0;
    /* Each pattern at every lane position of a 37-wide row (full vectors and tails). */
    float src[37];
    uint16_t dst[37 + 4];
    for (int c = 0; c < m; ++c)
      for (int pos = 0; pos < 37; ++pos) {
        for (int j = 0; j < 37; ++j) src[j] = 1.0f;
        src[pos] = from_bits(BF16_CASES[c][0]);
        for (int j = 0; j < 41; ++j) dst[j] = 0xA5A5u;
        g_paths[p].bf16(1, 37, src, 37, dst, 37);
        if (dst[pos] != BF16_CASES[c][1] || dst[37] != 0xA5A5u || dst[40] != 0xA5A5u) {
          if (++fails <= 4)
            printf("  FAIL [%s] %08X -> %04X, expected %04X (lane %d)\n", g_paths[p].name, BF16_CASES[c][0], dst[pos],
                   BF16_CASES[c][1], pos);
        }
      }
    report_path("bf16_patterns", g_paths[p].name, (long)m * 37, fails);
  }
}

/* Random bit patterns (every class), odd widths and leading dimensions: each path = scalar bits,
 * and nothing written past the rows. */
static void t_bf16_random(void) {
  const int widths[] = {1, 7, 15, 16, 17, 31, 32, 33, 64, 100};
  for (int p = 1; p < g_npaths; ++p) {
    long cases = 0, fails = 0;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; ++w) {
      const int k = widths[w], n = 3, ls = k + 3, ld = k + 5;
      float* src = malloc(sizeof(float) * n * ls);
      uint16_t* ref = malloc(2 * (size_t)n * ld);
      uint16_t* got = malloc(2 * (size_t)n * ld);
      for (int i = 0; i < n * ls; ++i) src[i] = from_bits((uint32_t)rnd());
      for (int i = 0; i < n * ld; ++i) ref[i] = got[i] = 0x5A5Au;
      mklrnn_scalar_f32_to_bf16(n, k, src, ls, ref, ld);
      g_paths[p].bf16(n, k, src, ls, got, ld);
      for (int i = 0; i < n * ld; ++i, ++cases)
        if (ref[i] != got[i] && ++fails <= 4)
          printf("  FAIL [%s] k=%d i=%d %08X -> %04X, scalar %04X\n", g_paths[p].name, k, i, bits_of(src[i / ld * ls + i % ld]),
                 got[i], ref[i]);
      free(src), free(ref), free(got);
    }
    report_path("bf16_random_bits", g_paths[p].name, cases, fails);
  }
}

/* ---------------------------------------------------------------- quantization */

static void t_min_max(void) {
  for (int p = 0; p < g_npaths; ++p) {
    long cases = 0, fails = 0;
    for (int k = 1; k <= 40; k += 3) {
      const int n = 4, ls = k + 2;
      float src[4 * 42];
      for (int i = 0; i < n * ls; ++i) src[i] = (i % ls) < k ? urand(-3, 3) : 1e30f; /* padding is not read */
      src[(k / 2) % k] = NAN;                                                         /* ignored */
      double lo = INFINITY, hi = -INFINITY;
      for (int r = 0; r < n; ++r)
        for (int j = 0; j < k; ++j) {
          float v = src[r * ls + j];
          if (v == v) lo = fmin(lo, v), hi = fmax(hi, v);
        }
      float mm[2];
      g_paths[p].minmax(n, k, src, ls, mm);
      ++cases;
      if (mm[0] != (float)lo || mm[1] != (float)hi) {
        if (++fails <= 4) printf("  FAIL [%s] k=%d got (%g, %g) expected (%g, %g)\n", g_paths[p].name, k, mm[0], mm[1], lo, hi);
      }
    }
    report_path("min_max", g_paths[p].name, cases, fails);
  }
}

/* Quantization against a double-precision statement of the rule, then each path = scalar bits. */
static void t_quantize(void) {
  for (int p = 0; p < g_npaths; ++p) {
    long cases = 0, fails = 0;
    const int qmaxes[] = {255, 127};
    for (int qi = 0; qi < 2; ++qi)
      for (int k = 1; k <= 70; k += 7) {
        const int n = 3, ls = k + 1, ld = k + 4, qmax = qmaxes[qi], zp = qmax / 2 + 1;
        const float inv = 37.5f;
        float src[3 * 71];
        uint8_t dst[3 * 74];
        for (int i = 0; i < n * ls; ++i) src[i] = urand(-4, 4);
        src[0] = NAN, src[ls] = INFINITY, src[2 * ls] = -INFINITY;
        if (k > 1) src[1] = 0.5f / inv, src[ls + 1] = 1.5f / inv; /* exact ties: to even */
        memset(dst, 0xEE, sizeof dst);
        g_paths[p].quant(n, k, src, ls, inv, zp, qmax, dst, ld);
        for (int r = 0; r < n; ++r)
          for (int j = 0; j < ld; ++j, ++cases) {
            int expect;
            if (j >= k) expect = 0xEE;
            else {
              double v = src[r * ls + j];
              if (v != v) expect = 0;
              else {
                double s = (double)(float)(v * inv); /* the float product, as the kernels form it */
                s = s < -zp ? -zp : s > qmax - zp ? qmax - zp : s;
                expect = (int)nearbyint(s) + zp;
              }
            }
            if (dst[r * ld + j] != expect && ++fails <= 4)
              printf("  FAIL [%s] qmax=%d k=%d (%d,%d) x=%g -> %d expected %d\n", g_paths[p].name, qmax, k, r, j,
                     src[r * ls + j], dst[r * ld + j], expect);
          }
      }
    report_path("quantize_u8", g_paths[p].name, cases, fails);
  }
}

/* The compensation, exactly: u8 activations q (zero point zp), s8 weights W; the int32 product
 * acc = q W^T computed here in int64 stands in for MKL's. With unit scales the dequantized value must
 * equal sum_k (q - zp) * W exactly (all values < 2^24, so exact in float). */
static void t_dequantize_exact(void) {
  enum { N = 5, K = 67, M = 37 };
  static uint8_t q[N * K];
  static int8_t w[M * K];
  static int32_t acc[N * M], colsum[M];
  static float ones[M], out[N * (M + 3)];
  for (int i = 0; i < N * K; ++i) q[i] = (uint8_t)(rnd() & 0xFF);
  for (int i = 0; i < M * K; ++i) w[i] = (int8_t)((int)(rnd() % 255) - 127);
  q[0] = 255, w[0] = -127, w[1] = 127; /* the extremes */
  for (int j = 0; j < M; ++j) {
    colsum[j] = 0;
    for (int k = 0; k < K; ++k) colsum[j] += w[j * K + k];
    ones[j] = 1.0f;
  }
  for (int r = 0; r < N; ++r)
    for (int j = 0; j < M; ++j) {
      int64_t s = 0;
      for (int k = 0; k < K; ++k) s += (int64_t)q[r * K + k] * w[j * K + k];
      acc[r * M + j] = (int32_t)s;
    }
  const int zps[] = {0, 1, 64, 128, 255};
  for (int p = 0; p < g_npaths; ++p) {
    long cases = 0, fails = 0;
    for (int zi = 0; zi < 5; ++zi) {
      const int zp = zps[zi];
      for (int i = 0; i < N * (M + 3); ++i) out[i] = 1000.0f;
      g_paths[p].deq(N, M, acc, M, 1.0f, zp, ones, colsum, 0, out, M + 3);
      for (int r = 0; r < N; ++r)
        for (int j = 0; j < M + 3; ++j, ++cases) {
          float expect = 1000.0f; /* untouched padding */
          if (j < M) {
            int64_t s = 0;
            for (int k = 0; k < K; ++k) s += ((int64_t)q[r * K + k] - zp) * w[j * K + k];
            expect = (float)s;
          }
          if (out[r * (M + 3) + j] != expect && ++fails <= 4)
            printf("  FAIL [%s] zp=%d (%d,%d): %.1f expected %.1f\n", g_paths[p].name, zp, r, j, out[r * (M + 3) + j], expect);
        }
    }
    /* Scales and accumulate: bit-identical to scalar. */
    float ws[M], ref[N * M], got[N * M];
    for (int j = 0; j < M; ++j) ws[j] = urand(1e-3f, 2e-2f);
    for (int i = 0; i < N * M; ++i) ref[i] = got[i] = urand(-1, 1);
    mklrnn_scalar_dequantize_s32(N, M, acc, M, 0.0123f, 77, ws, colsum, 1, ref, M);
    g_paths[p].deq(N, M, acc, M, 0.0123f, 77, ws, colsum, 1, got, M);
    for (int i = 0; i < N * M; ++i, ++cases)
      if (bits_of(ref[i]) != bits_of(got[i]) && ++fails <= 4) printf("  FAIL [%s] accumulate i=%d\n", g_paths[p].name, i);
    report_path("dequantize_exact", g_paths[p].name, cases, fails);
  }
}

/* ---------------------------------------------------------------- fused int32 steps */

static int32_t* rand_acc(int n, int w) {
  int32_t* a = malloc(sizeof(int32_t) * n * w);
  for (int i = 0; i < n * w; ++i) a[i] = (int32_t)(rnd() % 200001) - 100000;
  return a;
}
static float* rand_f(int count, float lo, float hi) {
  float* a = malloc(sizeof(float) * count);
  for (int i = 0; i < count; ++i) a[i] = urand(lo, hi);
  return a;
}
static float* clone_f(const float* a, int count) {
  float* b = malloc(sizeof(float) * count);
  memcpy(b, a, sizeof(float) * count);
  return b;
}
static long diff_bits(const float* a, const float* b, int count) {
  long d = 0;
  for (int i = 0; i < count; ++i) d += bits_of(a[i]) != bits_of(b[i]);
  return d;
}

/* Each *_forward_s32 = mklrnn_dequantize_s32 (of the input block when given, overwriting; then of the recurrent
 * product) then the fp32 export, bit for bit in c, h and y (one ISA per run; the gate rows are scratch), and its
 * u8 copy of h (when asked for) = mklrnn_quantize_u8 of that h. */
static void t_forward_s32(void) {
  const int Hs[] = {1, 9, 33, 64}, ns[] = {1, 3, 17};
  long cases = 0, fails = 0;
  for (int hi = 0; hi < 4; ++hi)
    for (int ni = 0; ni < 3; ++ni)
    for (int with_x = 0; with_x < 2; ++with_x) {
      const int H = Hs[hi], n = ns[ni], G4 = 4 * H, G3 = 3 * H;
      /* the input block (with_x): its own scale, zero point, weight scales and column sums */
      const float xs = 0.003f;
      const int xz = 37;
      int32_t* ax = with_x ? rand_acc(n, G4) : NULL;
      float* wxs = rand_f(G4, 1e-4f, 1e-3f);
      int32_t* wxc = rand_acc(1, G4);
#define X_BLOCK ax, G4, xs, xz, wxs, wxc
#define X_FIRST(width, out, ld) (ax == NULL || mklrnn_dequantize_s32(n, width, ax, G4, xs, xz, wxs, wxc, 0, out, ld) == 0)
      const float as = 0.004f;
      const int zp = 100;
      float* ws = rand_f(G4, 1e-4f, 1e-3f);
      int32_t* cs = rand_acc(1, G4);
      float* bi = rand_f(G4, -1, 1);
      float* bh = rand_f(G4, -1, 1);
      float* peep = rand_f(3 * H, -1, 1);
      int32_t* acc = rand_acc(n, G4);
      /* hq: the u8 copy of h, on odd parameters (ld > H, codes clamped at both ends) */
      const int ldq = H + 3, qz = 120, qmax = 250;
      const float qinv = 90.0f;
      uint8_t* hq1 = calloc((size_t)n * ldq, 1);
      uint8_t* hq2 = calloc((size_t)n * ldq, 1);
#define HQ_OUT hq1, ldq, qinv, qz, qmax
#define HQ_SAME(h) (mklrnn_quantize_u8(n, H, h, H, qinv, qz, qmax, hq2, ldq) == 0 && memcmp(hq1, hq2, (size_t)n * ldq) == 0)
      /* LSTM (with peepholes) */
      float* g1 = rand_f(n * G4, -2, 2);
      float* g2 = clone_f(g1, n * G4);
      float* c1 = rand_f(n * H, -1, 1);
      float* c2 = clone_f(c1, n * H);
      float* h1 = rand_f(n * H, -1, 1);
      float* h2 = clone_f(h1, n * H);
      if (mklrnn_lstm_forward_s32(n, H, acc, G4, as, zp, ws, cs, X_BLOCK, g1, G4, bi, bh, peep, c1, H, c1, H, h1, H, NULL, 0,
                                  HQ_OUT) != 0 ||
          !X_FIRST(G4, g2, G4) || mklrnn_dequantize_s32(n, G4, acc, G4, as, zp, ws, cs, 1, g2, G4) != 0 ||
          mklrnn_lstm_forward(n, H, g2, G4, bi, bh, peep, c2, H, c2, H, h2, H, NULL, 0) != 0 || !HQ_SAME(h2))
        ++fails;
      fails += diff_bits(c1, c2, n * H) + diff_bits(h1, h2, n * H) != 0;
      ++cases;
      /* RNN relu and tanh */
      for (int act = 0; act < 2; ++act) {
        float* r1 = rand_f(n * H, -2, 2);
        float* r2 = clone_f(r1, n * H);
        float* y1 = rand_f(n * H, 0, 1);
        float* y2 = clone_f(y1, n * H);
        if (mklrnn_rnn_forward_s32(act, n, H, acc, G4, as, zp, ws, cs, X_BLOCK, r1, H, bi, bh, h1, H, y1, H, HQ_OUT) != 0 ||
            !X_FIRST(H, r2, H) || mklrnn_dequantize_s32(n, H, acc, G4, as, zp, ws, cs, 1, r2, H) != 0 ||
            mklrnn_rnn_forward(act, n, H, r2, H, bi, bh, h2, H, y2, H) != 0 || !HQ_SAME(h2))
          ++fails;
        fails += diff_bits(h1, h2, n * H) + diff_bits(y1, y2, n * H) != 0;
        ++cases;
        free(r1), free(r2), free(y1), free(y2);
      }
      /* GRU: gh is written from acc (its old content is ignored) */
      float* x1 = rand_f(n * G3, -2, 2);
      float* x2 = clone_f(x1, n * G3);
      float* gh1 = rand_f(n * G3, -9, 9);
      float* gh2 = rand_f(n * G3, 5, 9);
      if (mklrnn_gru_forward_s32(n, H, acc, G4, as, zp, ws, cs, X_BLOCK, x1, G3, gh1, G3, bi, bh, h1, H, h1, H, NULL, 0,
                                 HQ_OUT) != 0 ||
          !X_FIRST(G3, x2, G3) || mklrnn_dequantize_s32(n, G3, acc, G4, as, zp, ws, cs, 0, gh2, G3) != 0 ||
          mklrnn_gru_forward(n, H, x2, G3, gh2, G3, bi, bh, h2, H, h2, H, NULL, 0) != 0 || !HQ_SAME(h2))
        ++fails;
      fails += diff_bits(h1, h2, n * H) != 0;
      ++cases;
      free(ws), free(cs), free(bi), free(bh), free(peep), free(acc), free(g1), free(g2), free(c1), free(c2);
      free(h1), free(h2), free(x1), free(x2), free(gh1), free(gh2), free(ax), free(wxs), free(wxc), free(hq1), free(hq2);
#undef HQ_OUT
#undef HQ_SAME
#undef X_BLOCK
#undef X_FIRST
    }
  report("forward_s32_equals_two_pass", cases, fails);
}

/* mklrnn_lstm_forward_infer = mklrnn_lstm_forward on gates = gx + gh, bit for bit in c, h and y (one ISA per run;
 * two blocks or one, with and without peepholes, odd leading dimensions), and its bf16 copy of h = mklrnn_f32_to_bf16 of that h. */
static void t_lstm_forward_infer(void) {
  const int Hs[] = {1, 9, 33, 64}, ns[] = {1, 3, 17};
  long cases = 0, fails = 0;
  for (int hi = 0; hi < 4; ++hi)
    for (int ni = 0; ni < 3; ++ni)
      for (int with_peep = 0; with_peep < 2; ++with_peep)
      for (int one_block = 0; one_block < 2; ++one_block) {
        const int H = Hs[hi], n = ns[ni], G4 = 4 * H, ldx = G4 + 5, ldb = H + 2;
        float* gx = rand_f(n * ldx, -3, 3);
        float* gh = rand_f(n * G4, -3, 3);
        float* g2 = rand_f(n * G4, 0, 1);
        for (int r = 0; r < n; ++r)
          for (int j = 0; j < G4; ++j) g2[r * G4 + j] = gx[r * ldx + j] + gh[r * G4 + j];
        float* bi = rand_f(G4, -1, 1);
        float* bh = rand_f(G4, -1, 1);
        float* peep = with_peep ? rand_f(3 * H, -1, 1) : NULL;
        float* c1 = rand_f(n * H, -2, 2);
        float* c2 = clone_f(c1, n * H);
        float* h1 = rand_f(n * H, -1, 1);
        float* h2 = clone_f(h1, n * H);
        float* y1 = rand_f(n * H, -1, 1);
        float* y2 = clone_f(y1, n * H);
        uint16_t* hb1 = calloc((size_t)n * ldb, sizeof(uint16_t));
        uint16_t* hb2 = calloc((size_t)n * ldb, sizeof(uint16_t));
        /* two blocks (gx, gh), or (one_block) gx alone holding their sum */
        if (one_block)
          for (int r = 0; r < n; ++r) memcpy(gx + r * ldx, g2 + r * G4, (size_t)G4 * sizeof(float));
        if (mklrnn_lstm_forward_infer(n, H, gx, ldx, one_block ? NULL : gh, G4, bi, bh, peep, c1, H, c1, H, h1, H, y1, H, hb1,
                                      ldb) != 0 ||
            mklrnn_lstm_forward(n, H, g2, G4, bi, bh, peep, c2, H, c2, H, h2, H, y2, H) != 0 ||
            mklrnn_f32_to_bf16(n, H, h2, H, hb2, ldb) != 0)
          ++fails;
        fails += diff_bits(c1, c2, n * H) + diff_bits(h1, h2, n * H) + diff_bits(y1, y2, n * H) != 0 ||
                 memcmp(hb1, hb2, (size_t)n * ldb * sizeof(uint16_t)) != 0;
        ++cases;
        free(gx), free(gh), free(g2), free(bi), free(bh), free(peep), free(c1), free(c2), free(h1), free(h2), free(y1);
        free(y2), free(hb1), free(hb2);
      }
  float f[8] = {0};
  uint16_t hb[8];
  /* bad: gx's ld below 4H; hb's ld below H; c aliasing c_prev with another ld */
  ++cases, fails += mklrnn_lstm_forward_infer(1, 2, f, 7, f, 8, f, f, NULL, f, 2, f, 2, f, 2, NULL, 0, NULL, 0) != MKLRNN_BAD_ARGUMENT;
  ++cases, fails += mklrnn_lstm_forward_infer(1, 2, f, 8, f, 8, f, f, NULL, f, 2, f, 2, f, 2, NULL, 0, hb, 1) != MKLRNN_BAD_ARGUMENT;
  ++cases, fails += mklrnn_lstm_forward_infer(1, 2, f, 8, f, 8, f, f, NULL, f, 2, f, 3, f, 2, NULL, 0, NULL, 0) != MKLRNN_BAD_ARGUMENT;
  report("lstm_forward_infer_equals_one_block", cases, fails);
}

/* mklrnn_rnn_forward_infer and mklrnn_gru_forward_infer = mklrnn_rnn_forward and mklrnn_gru_forward bit for bit in h and y,
 * and their bf16 copy of h = mklrnn_f32_to_bf16 of that h (odd leading dimensions, more rows than a chunk). */
static void t_rnn_gru_forward_infer(void) {
  const int Hs[] = {1, 9, 33}, ns[] = {1, 3, 17};
  long cases = 0, fails = 0;
  for (int hi = 0; hi < 3; ++hi)
    for (int ni = 0; ni < 3; ++ni)
      for (int cell = 0; cell < 3; ++cell) { /* tanh RNN, relu RNN, GRU */
        const int H = Hs[hi], n = ns[ni], G = cell == 2 ? 3 * H : H, ldg = G + 3, ldb = H + 2;
        float* g1 = rand_f(n * ldg, -3, 3);
        float* g2 = clone_f(g1, n * ldg);
        float* gh1 = rand_f(n * G, -3, 3);
        float* gh2 = clone_f(gh1, n * G);
        float* bi = rand_f(G, -1, 1);
        float* bh = rand_f(G, -1, 1);
        float* hp = rand_f(n * H, -1, 1);
        float* h1 = rand_f(n * H, -1, 1);
        float* h2 = clone_f(h1, n * H);
        float* y1 = rand_f(n * H, -1, 1);
        float* y2 = clone_f(y1, n * H);
        uint16_t* hb1 = calloc((size_t)n * ldb, sizeof(uint16_t));
        uint16_t* hb2 = calloc((size_t)n * ldb, sizeof(uint16_t));
        int rc = 0;
        if (cell < 2) {
          const int act = cell == 0 ? MKLRNN_ACT_TANH : MKLRNN_ACT_RELU;
          rc |= mklrnn_rnn_forward_infer(act, n, H, g1, ldg, bi, bh, h1, H, y1, H, hb1, ldb);
          rc |= mklrnn_rnn_forward(act, n, H, g2, ldg, bi, bh, h2, H, y2, H);
        } else {
          rc |= mklrnn_gru_forward_infer(n, H, g1, ldg, gh1, G, bi, bh, hp, H, h1, H, y1, H, hb1, ldb);
          rc |= mklrnn_gru_forward(n, H, g2, ldg, gh2, G, bi, bh, hp, H, h2, H, y2, H);
        }
        rc |= mklrnn_f32_to_bf16(n, H, h2, H, hb2, ldb);
        fails += rc != 0 || diff_bits(h1, h2, n * H) + diff_bits(y1, y2, n * H) != 0 ||
                 memcmp(hb1, hb2, (size_t)n * ldb * sizeof(uint16_t)) != 0;
        ++cases;
        free(g1), free(g2), free(gh1), free(gh2), free(bi), free(bh), free(hp), free(h1), free(h2), free(y1), free(y2);
        free(hb1), free(hb2);
      }
  float f[8] = {0};
  uint16_t hb[8];
  /* bad: an unknown activation; hb's ld below H; gx's ld below 3H; h aliasing h_prev with another ld */
  ++cases, fails += mklrnn_rnn_forward_infer(7, 1, 2, f, 2, f, f, f, 2, NULL, 0, NULL, 0) != MKLRNN_BAD_ARGUMENT;
  ++cases, fails += mklrnn_rnn_forward_infer(MKLRNN_ACT_TANH, 1, 2, f, 2, f, f, f, 2, NULL, 0, hb, 1) != MKLRNN_BAD_ARGUMENT;
  ++cases, fails += mklrnn_gru_forward_infer(1, 2, f, 5, f, 6, f, f, f, 2, f, 2, NULL, 0, NULL, 0) != MKLRNN_BAD_ARGUMENT;
  ++cases, fails += mklrnn_gru_forward_infer(1, 2, f, 6, f, 6, f, f, f, 2, f, 3, NULL, 0, NULL, 0) != MKLRNN_BAD_ARGUMENT;
  report("rnn_gru_forward_infer_equals_forward", cases, fails);
}

/* Kernel threads split the rows of large blocks: the same bits as one scalar pass. */
static void t_kernel_threads(void) {
  enum { N = 70, K = 301 }; /* N * K >= MKLRNN_PARALLEL_MIN_ELEMENTS */
  static float src[N * K], ws[K], out1[N * K], out2[N * K];
  static uint16_t b1[N * K], b2[N * K];
  static uint8_t q1[N * K], q2[N * K];
  static int32_t acc[N * K], cs[K];
  for (int i = 0; i < N * K; ++i) src[i] = urand(-3, 3), acc[i] = (int32_t)(rnd() % 20001) - 10000;
  for (int j = 0; j < K; ++j) ws[j] = urand(1e-3f, 1e-2f), cs[j] = (int32_t)(rnd() % 2001) - 1000;
  for (int i = 0; i < N * K; ++i) out1[i] = out2[i] = urand(-1, 1);
  const int32_t previous = mklrnn_set_kernel_threads(2);
  long fails = 0;
  fails += mklrnn_f32_to_bf16(N, K, src, K, b2, K) != MKLRNN_OK;
  fails += mklrnn_quantize_u8(N, K, src, K, 40.0f, 120, 255, q2, K) != MKLRNN_OK;
  fails += mklrnn_dequantize_s32(N, K, acc, K, 0.01f, 120, ws, cs, 1, out2, K) != MKLRNN_OK;
  mklrnn_set_kernel_threads(previous);
  mklrnn_scalar_f32_to_bf16(N, K, src, K, b1, K);
  mklrnn_scalar_quantize_u8(N, K, src, K, 40.0f, 120, 255, q1, K);
  mklrnn_scalar_dequantize_s32(N, K, acc, K, 0.01f, 120, ws, cs, 1, out1, K);
  fails += memcmp(b1, b2, sizeof b1) != 0;
  fails += memcmp(q1, q2, sizeof q1) != 0;
  fails += diff_bits(out1, out2, N * K) != 0;
  report("kernel_threads_split_rows", 3, fails);
}

/* ---------------------------------------------------------------- validation */

static void t_bad_arguments(void) {
  float f[8] = {0};
  uint16_t b[8];
  uint8_t q[8];
  int32_t acc[8] = {0}, cs[8] = {0};
  long cases = 0, fails = 0;
#define EXPECT_BAD(call) (++cases, fails += (call) != MKLRNN_BAD_ARGUMENT)
  EXPECT_BAD(mklrnn_f32_to_bf16(1, 4, NULL, 4, b, 4));
  EXPECT_BAD(mklrnn_f32_to_bf16(1, 4, f, 3, b, 4));
  EXPECT_BAD(mklrnn_f32_to_bf16(-1, 4, f, 4, b, 4));
  EXPECT_BAD(mklrnn_f32_to_bf16(1, 0, f, 4, b, 4));
  EXPECT_BAD(mklrnn_min_max(1, 4, f, 4, NULL));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, 0.0f, 0, 255, q, 4));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, NAN, 0, 255, q, 4));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, INFINITY, 0, 255, q, 4));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, 1.0f, 200, 127, q, 4));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, 1.0f, 0, 256, q, 4));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, 1.0f, -1, 255, q, 4));
  EXPECT_BAD(mklrnn_quantize_u8(1, 4, f, 4, 1.0f, 0, 255, q, 2));
  EXPECT_BAD(mklrnn_dequantize_s32(1, 4, acc, 4, 1.0f, 0, NULL, cs, 0, f, 4));
  EXPECT_BAD(mklrnn_dequantize_s32(1, 4, acc, 4, 1.0f, 0, f, NULL, 0, f, 4));
  EXPECT_BAD(mklrnn_dequantize_s32(1, 4, acc, 4, NAN, 0, f, cs, 0, f, 4));
  EXPECT_BAD(mklrnn_dequantize_s32(1, 4, acc, 4, 1.0f, 0, f, cs, 2, f, 4));
#define NO_X NULL, 0, 0.0f, 0, NULL, NULL
#define NO_HQ NULL, 0, 0.0f, 0, 0
  EXPECT_BAD(mklrnn_lstm_forward_s32(1, 2, acc, 7, 1.0f, 0, f, cs, NO_X, f, 8, f, f, NULL, f, 2, f, 2, f, 2, NULL, 0, NO_HQ));
  EXPECT_BAD(mklrnn_rnn_forward_s32(7, 1, 2, acc, 2, 1.0f, 0, f, cs, NO_X, f, 2, f, f, f, 2, NULL, 0, NO_HQ));
  EXPECT_BAD(mklrnn_gru_forward_s32(1, 2, acc, 6, 1.0f, 0, f, cs, NO_X, f, 6, f, 6, f, f, f, 2, f, 3, NULL, 0, NO_HQ)); /* alias, other ld */
  /* the input block: ld below the gate width; no column sums; a NaN scale */
  EXPECT_BAD(mklrnn_lstm_forward_s32(1, 2, acc, 8, 1.0f, 0, f, cs, acc, 7, 1.0f, 0, f, cs, f, 8, f, f, NULL, f, 2, f, 2, f, 2, NULL, 0, NO_HQ));
  EXPECT_BAD(mklrnn_rnn_forward_s32(0, 1, 2, acc, 2, 1.0f, 0, f, cs, acc, 2, 1.0f, 0, f, NULL, f, 2, f, f, f, 2, NULL, 0, NO_HQ));
  EXPECT_BAD(mklrnn_gru_forward_s32(1, 2, acc, 6, 1.0f, 0, f, cs, acc, 6, NAN, 0, f, cs, f, 6, f, 6, f, f, f, 2, f, 2, NULL, 0, NO_HQ));
  /* the u8 copy of h: ld below H; a zero, NaN or infinite inverse scale; the zero point above qmax; qmax above 255 */
  static uint8_t hq[8];
  EXPECT_BAD(mklrnn_lstm_forward_s32(1, 2, acc, 8, 1.0f, 0, f, cs, NO_X, f, 8, f, f, NULL, f, 2, f, 2, f, 2, NULL, 0, hq, 1, 1.0f, 0, 255));
  EXPECT_BAD(mklrnn_lstm_forward_s32(1, 2, acc, 8, 1.0f, 0, f, cs, NO_X, f, 8, f, f, NULL, f, 2, f, 2, f, 2, NULL, 0, hq, 2, 0.0f, 0, 255));
  EXPECT_BAD(mklrnn_rnn_forward_s32(0, 1, 2, acc, 2, 1.0f, 0, f, cs, NO_X, f, 2, f, f, f, 2, NULL, 0, hq, 2, NAN, 0, 255));
  EXPECT_BAD(mklrnn_rnn_forward_s32(0, 1, 2, acc, 2, 1.0f, 0, f, cs, NO_X, f, 2, f, f, f, 2, NULL, 0, hq, 2, INFINITY, 0, 255));
  EXPECT_BAD(mklrnn_gru_forward_s32(1, 2, acc, 6, 1.0f, 0, f, cs, NO_X, f, 6, f, 6, f, f, f, 2, f, 2, NULL, 0, hq, 2, 1.0f, 128, 127));
  EXPECT_BAD(mklrnn_gru_forward_s32(1, 2, acc, 6, 1.0f, 0, f, cs, NO_X, f, 6, f, 6, f, f, f, 2, f, 2, NULL, 0, hq, 2, 1.0f, 0, 256));
  /* and a valid one passes (the arguments above differ from it in one place each) */
  ++cases, fails += mklrnn_gru_forward_s32(1, 2, acc, 6, 1.0f, 0, f, cs, NO_X, f, 6, f, 6, f, f, f, 2, f, 2, NULL, 0, hq, 2, 1.0f, 0, 255) != MKLRNN_OK;
#undef NO_HQ
#undef NO_X
  ++cases, fails += mklrnn_quantize_u8(0, 4, f, 4, 1.0f, 0, 255, q, 4) != MKLRNN_OK; /* n = 0: nothing to do */
  report("bad_arguments", cases, fails);
#undef EXPECT_BAD
}

int main(int argc, char** argv) {
  const char* expect = argc > 1 ? argv[1] : NULL; /* --expect-scalar / --expect-avx2 */
  paths_init();
  printf("kernel isa %d, bf16 instructions %d, %d paths\n", mklrnn_isa(), mklrnn_uses_bf16_instructions(), g_npaths);
  if (expect && strcmp(expect, "--expect-scalar") == 0 && mklrnn_isa() != MKLRNN_ISA_SCALAR) g_fail = 1;
  if (expect && strcmp(expect, "--expect-avx2") == 0 && mklrnn_isa() > MKLRNN_ISA_AVX2) g_fail = 1;
  t_bf16_patterns();
  t_bf16_random();
  t_min_max();
  t_quantize();
  t_dequantize_exact();
  t_forward_s32();
  t_lstm_forward_infer();
  t_rnn_gru_forward_infer();
  t_kernel_threads();
  t_bad_arguments();
  printf(g_fail ? "test_lowp: FAILED\n" : "test_lowp: all passed\n");
  return g_fail;
}

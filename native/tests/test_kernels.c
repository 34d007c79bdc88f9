/* test_kernels.c -- the kernel test suite: AVX2 and exported (dispatched) kernels against the
 * scalar reference on odd shapes with guard cells and aliasing, finite-difference gradient checks
 * in double, argument validation, and the vector exp/sigmoid/tanh. One line per test; exit 1 on failure.
 * Options: --quick (fewer sizes, for valgrind), --expect-scalar (the dispatch must be on the scalar
 * path), --seed N (another random draw). */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static int g_quick;

/* ---------------------------------------------------------------- random numbers -------- */

static uint64_t g_rng = 0x243F6A8885A308D3ull;

static uint64_t rng_u64(void) { /* splitmix64 */
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double urand(double lo, double hi) {
  return lo + (hi - lo) * (double)(rng_u64() >> 11) * 0x1.0p-53;
}

/* ---------------------------------------------------------------- bookkeeping ----------- */

typedef struct {
  const char* name;
  const char* unit;
  long cases, fails;
  double max_err, max_rel;
  double max_tol; /* largest err / tolerance seen (fails above 1) */
} Stat;

static Stat g_stat;
static char g_ctx[160];
static int g_any_fail;

static void stat_begin(const char* name, const char* unit) {
  memset(&g_stat, 0, sizeof g_stat);
  g_stat.name = name;
  g_stat.unit = unit;
}

static void stat_end(void) {
  printf("%-26s %s cases=%-7ld fails=%-3ld max_abs_err=%-9.3g max_rel=%-9.3g tol_used=%-6.3f (%s)\n",
         g_stat.name, g_stat.fails ? "FAIL" : "ok  ", g_stat.cases, g_stat.fails, g_stat.max_err,
         g_stat.max_rel, g_stat.max_tol, g_stat.unit);
  if (g_stat.fails) g_any_fail = 1;
}

static void failf(const char* fmt, ...) {
  va_list ap;
  g_stat.fails++;
  if (g_stat.fails > 8) return;
  printf("  FAIL [%s] ", g_ctx);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static void note_err(double abs_err, double ref) {
  if (abs_err > g_stat.max_err) g_stat.max_err = abs_err;
  double rel = abs_err / (1.0 + fabs(ref));
  if (rel > g_stat.max_rel) g_stat.max_rel = rel;
}

/* ---------------------------------------------------------------- guarded matrices ------ */

/* A matrix lives inside an allocation whose every cell outside the (rows, cols) region -- the
 * GUARD cells before and after, and the padding columns up to ld -- holds a NaN sentinel. */
#define GUARD 16
#define MAX_LIVE 160
static const uint32_t SENTINEL = 0x7FA5A5A5u;

typedef struct {
  float* mem;
  float* p;
  int rows, cols, ld;
  size_t len;
} Mat;

static float* g_live[MAX_LIVE];
static int g_nlive;

static Mat mat_new(int rows, int cols, int ld) {
  Mat m;
  m.rows = rows;
  m.cols = cols;
  m.ld = ld;
  m.len = 2 * GUARD + (size_t)rows * (size_t)ld;
  m.mem = malloc(m.len * sizeof(float));
  if (m.mem == NULL || g_nlive == MAX_LIVE) {
    fprintf(stderr, "test_kernels: out of memory / too many live matrices\n");
    exit(2);
  }
  g_live[g_nlive++] = m.mem;
  for (size_t i = 0; i < m.len; ++i) memcpy(&m.mem[i], &SENTINEL, sizeof SENTINEL);
  m.p = m.mem + GUARD;
  return m;
}

static void mats_free(void) {
  while (g_nlive) free(g_live[--g_nlive]);
}

static float* at(const Mat* m, int r, int c) { return m->p + (ptrdiff_t)r * m->ld + c; }

static Mat mat_rand(int rows, int cols, int pad, double lo, double hi) {
  Mat m = mat_new(rows, cols, cols + pad);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) *at(&m, r, c) = (float)urand(lo, hi);
  return m;
}

/* Uniform [-6, 6]: wide enough to saturate the gates now and then. */
static Mat R(int rows, int cols, int pad) { return mat_rand(rows, cols, pad, -6.0, 6.0); }

static void fill_cols(Mat* m, int c0, int c1, double lo, double hi) {
  for (int r = 0; r < m->rows; ++r)
    for (int c = c0; c < c1; ++c) *at(m, r, c) = (float)urand(lo, hi);
}

static Mat mat_clone(const Mat* s) {
  Mat m = mat_new(s->rows, s->cols, s->ld);
  memcpy(m.mem, s->mem, s->len * sizeof(float));
  return m;
}

static int in_region(const Mat* m, size_t i) {
  if (i < GUARD) return 0;
  size_t o = i - GUARD, r = o / (size_t)m->ld, c = o % (size_t)m->ld;
  return r < (size_t)m->rows && c < (size_t)m->cols;
}

static void check_guards(const char* what, const Mat* m) {
  for (size_t i = 0; i < m->len; ++i) {
    uint32_t u;
    memcpy(&u, &m->mem[i], sizeof u);
    if (!in_region(m, i) && u != SENTINEL) {
      failf("%s: written outside its rows/columns at offset %ld", what, (long)i - GUARD);
      return;
    }
  }
}

/* got vs ref over columns [c0, c1): abs err <= 1e-5 + 1e-5 * |ref|, NaN only where ref is NaN. */
static void check_close(const char* what, const Mat* ref, const Mat* got, int c0, int c1) {
  for (int r = 0; r < ref->rows; ++r)
    for (int c = c0; c < c1; ++c) {
      double a = *at(ref, r, c), b = *at(got, r, c);
      if (isnan(a) || isnan(b)) {
        if (!(isnan(a) && isnan(b))) failf("%s(%d,%d): ref %.9g got %.9g", what, r, c, a, b);
        continue;
      }
      double e = fabs(a - b), tol = 1e-5 + 1e-5 * fabs(a);
      note_err(e, a);
      if (e / tol > g_stat.max_tol) g_stat.max_tol = e / tol;
      if (e > tol) failf("%s(%d,%d): ref %.9g got %.9g", what, r, c, a, b);
    }
}

/* An output: values close to the reference, nothing written outside its region. */
static void check_out(const char* what, const Mat* ref, const Mat* got) {
  check_close(what, ref, got, 0, ref->cols);
  check_guards(what, got);
}

/* An input (or an unused output): bit-identical to its original, guards included. */
static void check_same(const char* what, const Mat* orig, const Mat* now) {
  if (memcmp(orig->mem, now->mem, orig->len * sizeof(float)) != 0) failf("%s: modified", what);
}

/* Columns [c0, c1) bit-identical (the columns a kernel must leave alone). */
static void check_cols_same(const char* what, const Mat* orig, const Mat* now, int c0, int c1) {
  for (int r = 0; r < orig->rows; ++r)
    if (c1 > c0 && memcmp(at(orig, r, c0), at(now, r, c0), (size_t)(c1 - c0) * sizeof(float)) != 0) {
      failf("%s: columns [%d,%d) of row %d modified", what, c0, c1, r);
      return;
    }
}

/* ---------------------------------------------------------------- implementations ------- */

/* The exported functions wrapped to the kernel signature, so the dispatch (argument order,
 * kernel choice) is tested by the same cases as the kernels themselves. */
static void expect_ok(int32_t rc) {
  if (rc != MKLRNN_OK) failf("exported function returned %d", (int)rc);
}

static void mklrnn_pub_rnn_forward(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,
                                   const float* b_ih, const float* b_hh, float* h, int32_t ld_h,
                                   float* y, int32_t ld_y) {
  expect_ok(mklrnn_rnn_forward(act, n, H, g, ld_g, b_ih, b_hh, h, ld_h, y, ld_y));
}
static void mklrnn_pub_rnn_backward(int32_t act, int32_t n, int32_t H, const float* h, int32_t ld_h,
                                    const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,
                                    float* dg, int32_t ld_dg) {
  expect_ok(mklrnn_rnn_backward(act, n, H, h, ld_h, dh, ld_dh, dy, ld_dy, dg, ld_dg));
}
static void mklrnn_pub_lstm_forward(int32_t n, int32_t H, float* gates, int32_t ld_g, const float* b_ih,
                                    const float* b_hh, const float* peep, const float* c_prev,
                                    int32_t ld_cp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                    float* y, int32_t ld_y) {
  expect_ok(mklrnn_lstm_forward(n, H, gates, ld_g, b_ih, b_hh, peep, c_prev, ld_cp, c, ld_c, h, ld_h,
                                y, ld_y));
}
static void mklrnn_pub_lstm_backward(int32_t n, int32_t H, const float* gates, int32_t ld_g,
                                     const float* peep, const float* c_prev, int32_t ld_cp,
                                     const float* c, int32_t ld_c, const float* dh, int32_t ld_dh,
                                     const float* dy, int32_t ld_dy, float* dc, int32_t ld_dc,
                                     float* dgates, int32_t ld_dg, float* dpeep) {
  expect_ok(mklrnn_lstm_backward(n, H, gates, ld_g, peep, c_prev, ld_cp, c, ld_c, dh, ld_dh, dy, ld_dy,
                                 dc, ld_dc, dgates, ld_dg, dpeep));
}
static void mklrnn_pub_gru_forward(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,
                                   int32_t ld_gh, const float* b_ih, const float* b_hh,
                                   const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                   float* y, int32_t ld_y) {
  expect_ok(mklrnn_gru_forward(n, H, gx, ld_gx, gh, ld_gh, b_ih, b_hh, h_prev, ld_hp, h, ld_h, y, ld_y));
}
static void mklrnn_pub_gru_backward(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                    const float* gh, int32_t ld_gh, const float* h_prev, int32_t ld_hp,
                                    const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,
                                    float* dgx, int32_t ld_dgx, float* dgh, int32_t ld_dgh,
                                    float* dh_prev, int32_t ld_dhp) {
  expect_ok(mklrnn_gru_backward(n, H, gx, ld_gx, gh, ld_gh, h_prev, ld_hp, dh, ld_dh, dy, ld_dy, dgx,
                                ld_dgx, dgh, ld_dgh, dh_prev, ld_dhp));
}
static void mklrnn_pub_gru0_forward_gates(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                          const float* ghrz, int32_t ld_ghrz, const float* b_ih,
                                          const float* b_hh, const float* h_prev, int32_t ld_hp,
                                          float* rh, int32_t ld_rh) {
  expect_ok(mklrnn_gru0_forward_gates(n, H, gx, ld_gx, ghrz, ld_ghrz, b_ih, b_hh, h_prev, ld_hp, rh,
                                      ld_rh));
}
static void mklrnn_pub_gru0_forward_state(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                          const float* ghn, int32_t ld_ghn, const float* b_ih,
                                          const float* b_hh, const float* h_prev, int32_t ld_hp,
                                          float* h, int32_t ld_h, float* y, int32_t ld_y) {
  expect_ok(mklrnn_gru0_forward_state(n, H, gx, ld_gx, ghn, ld_ghn, b_ih, b_hh, h_prev, ld_hp, h, ld_h,
                                      y, ld_y));
}
static void mklrnn_pub_gru0_backward_state(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                           const float* h_prev, int32_t ld_hp, const float* dh,
                                           int32_t ld_dh, const float* dy, int32_t ld_dy, float* dgx,
                                           int32_t ld_dgx, float* dh_prev, int32_t ld_dhp) {
  expect_ok(mklrnn_gru0_backward_state(n, H, gx, ld_gx, h_prev, ld_hp, dh, ld_dh, dy, ld_dy, dgx, ld_dgx,
                                       dh_prev, ld_dhp));
}
static void mklrnn_pub_gru0_backward_gates(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                           const float* h_prev, int32_t ld_hp, const float* drh,
                                           int32_t ld_drh, float* dgx, int32_t ld_dgx, float* dh_prev,
                                           int32_t ld_dhp) {
  expect_ok(mklrnn_gru0_backward_gates(n, H, gx, ld_gx, h_prev, ld_hp, drh, ld_drh, dgx, ld_dgx, dh_prev,
                                       ld_dhp));
}
static void mklrnn_pub_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out) {
  expect_ok(mklrnn_sum_rows(n, k, a, ld_a, out));
}
static void mklrnn_pub_lstm_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                        const float* panels, const float* gx, int32_t ld_gx,
                                        const float* b_ih, const float* b_hh, const float* h_prev,
                                        int32_t ld_hp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                        float* y, int32_t ld_y) {
  expect_ok(mklrnn_lstm_step_panels(n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, c, ld_c,
                                    h, ld_h, y, ld_y));
}
static void mklrnn_pub_gru_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                       const float* panels, const float* gx, int32_t ld_gx,
                                       const float* b_ih, const float* b_hh, const float* h_prev,
                                       int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y) {
  expect_ok(mklrnn_gru_step_panels(n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h, ld_h,
                                   y, ld_y));
}
static void mklrnn_pub_rnn_step_panels(int32_t act, int32_t n, int32_t H, int32_t K, int32_t j0,
                                       int32_t j1, const float* panels, const float* gx, int32_t ld_gx,
                                       const float* b_ih, const float* b_hh, const float* h_prev,
                                       int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y) {
  expect_ok(mklrnn_rnn_step_panels(act, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h,
                                   ld_h, y, ld_y));
}

typedef struct {
  const char* name;
  __typeof__(&mklrnn_scalar_rnn_forward) rnn_forward;
  __typeof__(&mklrnn_scalar_rnn_backward) rnn_backward;
  __typeof__(&mklrnn_scalar_lstm_forward) lstm_forward;
  __typeof__(&mklrnn_scalar_lstm_backward) lstm_backward;
  __typeof__(&mklrnn_scalar_gru_forward) gru_forward;
  __typeof__(&mklrnn_scalar_gru_backward) gru_backward;
  __typeof__(&mklrnn_scalar_gru0_forward_gates) gru0_forward_gates;
  __typeof__(&mklrnn_scalar_gru0_forward_state) gru0_forward_state;
  __typeof__(&mklrnn_scalar_gru0_backward_state) gru0_backward_state;
  __typeof__(&mklrnn_scalar_gru0_backward_gates) gru0_backward_gates;
  __typeof__(&mklrnn_scalar_sum_rows) sum_rows;
  __typeof__(&mklrnn_scalar_lstm_step_panels) lstm_step_panels;
  __typeof__(&mklrnn_scalar_gru_step_panels) gru_step_panels;
  __typeof__(&mklrnn_scalar_rnn_step_panels) rnn_step_panels;
} Impl;

/* Row-wise kernels of family P, helpers and step kernels of family Q. */
#define IMPL2(P, Q)                                                                                 \
  {                                                                                                 \
    #P, mklrnn_##P##_rnn_forward, mklrnn_##P##_rnn_backward, mklrnn_##P##_lstm_forward,             \
        mklrnn_##P##_lstm_backward, mklrnn_##P##_gru_forward, mklrnn_##P##_gru_backward,            \
        mklrnn_##P##_gru0_forward_gates, mklrnn_##P##_gru0_forward_state,                           \
        mklrnn_##P##_gru0_backward_state, mklrnn_##P##_gru0_backward_gates, mklrnn_##Q##_sum_rows,  \
        mklrnn_##Q##_lstm_step_panels, mklrnn_##Q##_gru_step_panels, mklrnn_##Q##_rnn_step_panels   \
  }
#define IMPL(P) IMPL2(P, P)

static const Impl IMPL_SCALAR = IMPL(scalar);
static const Impl IMPL_PUBLIC = IMPL(pub);
#if MKLRNN_HAVE_AVX2_KERNELS
static const Impl IMPL_AVX2 = IMPL(avx2);
#endif
#if MKLRNN_HAVE_AVX512_KERNELS
static const Impl IMPL_AVX512 = IMPL2(avx512, avx2);
#endif

static int g_cpu_avx2;   /* the CPU can run the AVX2+FMA kernels */
static int g_cpu_avx512; /* ... and the AVX-512 ones */
static const Impl* g_impl[4];
static int g_nimpl;

/* Every implementation under test: scalar (aliasing modes vs the plain reference), avx2, public. */
static void impls_init(void) {
  g_impl[g_nimpl++] = &IMPL_SCALAR;
#if MKLRNN_HAVE_AVX2_KERNELS
  if (g_cpu_avx2) g_impl[g_nimpl++] = &IMPL_AVX2;
#endif
#if MKLRNN_HAVE_AVX512_KERNELS
  if (g_cpu_avx512) g_impl[g_nimpl++] = &IMPL_AVX512;
#endif
  g_impl[g_nimpl++] = &IMPL_PUBLIC;
}

static void set_ctx(const Impl* im, const char* fmt, ...) {
  va_list ap;
  int k = snprintf(g_ctx, sizeof g_ctx, "%s ", im->name);
  va_start(ap, fmt);
  vsnprintf(g_ctx + k, sizeof g_ctx - (size_t)k, fmt, ap);
  va_end(ap);
}

/* ---------------------------------------------------------------- kernel vs reference --- */
/* Each case: the reference is the scalar kernel without aliasing; every implementation runs on
 * fresh clones (in the requested aliasing mode) and is compared to it. Pads differ per argument
 * so a swapped leading dimension shows. */

static void t_rnn_forward(int act, int H, int n, int ynull) {
  Mat g = R(n, H, 3), bi = R(1, H, 0), bh = R(1, H, 0), h0 = R(n, H, 1), y0 = R(n, H, 4);
  Mat h_ref = mat_clone(&h0), y_ref = mat_clone(&y0);
  mklrnn_scalar_rnn_forward(act, n, H, g.p, g.ld, bi.p, bh.p, h_ref.p, h_ref.ld, ynull ? NULL : y_ref.p,
                            ynull ? 0 : y_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "act=%d H=%d n=%d ynull=%d", act, H, n, ynull);
    Mat gc = mat_clone(&g), bic = mat_clone(&bi), bhc = mat_clone(&bh), hc = mat_clone(&h0),
        yc = mat_clone(&y0);
    g_impl[k]->rnn_forward(act, n, H, gc.p, gc.ld, bic.p, bhc.p, hc.p, hc.ld, ynull ? NULL : yc.p,
                           ynull ? 0 : yc.ld);
    check_out("h", &h_ref, &hc);
    if (ynull) check_same("y", &y0, &yc); else check_out("y", &y_ref, &yc);
    check_same("g", &g, &gc);
    check_same("b_ih", &bi, &bic);
    check_same("b_hh", &bh, &bhc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_rnn_backward(int act, int H, int n, int dynull, int alias) {
  Mat h = act == MKLRNN_ACT_TANH ? mat_rand(n, H, 2, -1, 1) : R(n, H, 2);
  Mat dh = R(n, H, 5), dy = R(n, H, 1), dg0 = R(n, H, 3);
  Mat dg_ref = mat_clone(&dg0);
  mklrnn_scalar_rnn_backward(act, n, H, h.p, h.ld, dh.p, dh.ld, dynull ? NULL : dy.p, dynull ? 0 : dy.ld,
                             dg_ref.p, dg_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "act=%d H=%d n=%d dynull=%d alias=%d", act, H, n, dynull, alias);
    Mat hc = mat_clone(&h), dhc = mat_clone(&dh), dyc = mat_clone(&dy), dgc = mat_clone(&dg0);
    Mat* out = alias ? &dhc : &dgc;
    g_impl[k]->rnn_backward(act, n, H, hc.p, hc.ld, dhc.p, dhc.ld, dynull ? NULL : dyc.p,
                            dynull ? 0 : dyc.ld, out->p, out->ld);
    check_out("dg", &dg_ref, out);
    if (alias) check_same("dg (unused)", &dg0, &dgc); else check_same("dh", &dh, &dhc);
    check_same("h", &h, &hc);
    check_same("dy", &dy, &dyc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_lstm_forward(int H, int n, int peep, int ynull, int alias) {
  Mat g = R(n, 4 * H, 3), bi = R(1, 4 * H, 0), bh = R(1, 4 * H, 0), pp = mat_rand(3, H, 0, -1, 1);
  Mat cp = R(n, H, 5), c0 = R(n, H, 2), h0 = R(n, H, 1), y0 = R(n, H, 4);
  Mat g_ref = mat_clone(&g), c_ref = mat_clone(&c0), h_ref = mat_clone(&h0), y_ref = mat_clone(&y0);
  mklrnn_scalar_lstm_forward(n, H, g_ref.p, g_ref.ld, bi.p, bh.p, peep ? pp.p : NULL, cp.p, cp.ld,
                             c_ref.p, c_ref.ld, h_ref.p, h_ref.ld, ynull ? NULL : y_ref.p,
                             ynull ? 0 : y_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d peep=%d ynull=%d alias=%d", H, n, peep, ynull, alias);
    Mat gc = mat_clone(&g), bic = mat_clone(&bi), bhc = mat_clone(&bh), ppc = mat_clone(&pp);
    Mat cpc = mat_clone(&cp), cc = mat_clone(&c0), hc = mat_clone(&h0), yc = mat_clone(&y0);
    Mat* cout = alias ? &cpc : &cc;
    g_impl[k]->lstm_forward(n, H, gc.p, gc.ld, bic.p, bhc.p, peep ? ppc.p : NULL, cpc.p, cpc.ld, cout->p,
                            cout->ld, hc.p, hc.ld, ynull ? NULL : yc.p, ynull ? 0 : yc.ld);
    check_out("gates", &g_ref, &gc);
    check_out("c", &c_ref, cout);
    check_out("h", &h_ref, &hc);
    if (ynull) check_same("y", &y0, &yc); else check_out("y", &y_ref, &yc);
    if (alias) check_same("c (unused)", &c0, &cc); else check_same("c_prev", &cp, &cpc);
    check_same("b_ih", &bi, &bic);
    check_same("b_hh", &bh, &bhc);
    check_same("peep", &pp, &ppc);
    g_stat.cases++;
  }
  mats_free();
}

/* Realistic activations: i, f, o in [0, 1], g in [-1, 1]. */
static Mat lstm_acts(int n, int H, int pad) {
  Mat g = mat_rand(n, 4 * H, pad, 0, 1);
  fill_cols(&g, MKLRNN_LSTM_G * H, (MKLRNN_LSTM_G + 1) * H, -1, 1);
  return g;
}

static void t_lstm_backward(int H, int n, int peep, int dynull, int alias) {
  Mat g = lstm_acts(n, H, 3), pp = mat_rand(3, H, 0, -1, 1), cp = R(n, H, 5), c = R(n, H, 2);
  Mat dh = R(n, H, 1), dy = R(n, H, 4), dc = R(n, H, 6), dg0 = R(n, 4 * H, 1),
      dpp = mat_rand(3, H, 0, -1, 1);
  Mat dc_ref = mat_clone(&dc), dg_ref = mat_clone(&dg0), dpp_ref = mat_clone(&dpp);
  mklrnn_scalar_lstm_backward(n, H, g.p, g.ld, peep ? pp.p : NULL, cp.p, cp.ld, c.p, c.ld, dh.p, dh.ld,
                              dynull ? NULL : dy.p, dynull ? 0 : dy.ld, dc_ref.p, dc_ref.ld, dg_ref.p,
                              dg_ref.ld, peep ? dpp_ref.p : NULL);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d peep=%d dynull=%d alias=%d", H, n, peep, dynull, alias);
    Mat gc = mat_clone(&g), ppc = mat_clone(&pp), cpc = mat_clone(&cp), cc = mat_clone(&c);
    Mat dhc = mat_clone(&dh), dyc = mat_clone(&dy), dcc = mat_clone(&dc), dgc = mat_clone(&dg0),
        dppc = mat_clone(&dpp);
    Mat* dgout = alias ? &gc : &dgc;
    g_impl[k]->lstm_backward(n, H, gc.p, gc.ld, peep ? ppc.p : NULL, cpc.p, cpc.ld, cc.p, cc.ld, dhc.p,
                             dhc.ld, dynull ? NULL : dyc.p, dynull ? 0 : dyc.ld, dcc.p, dcc.ld, dgout->p,
                             dgout->ld, peep ? dppc.p : NULL);
    check_out("dgates", &dg_ref, dgout);
    check_out("dc", &dc_ref, &dcc);
    if (peep) check_out("dpeep", &dpp_ref, &dppc); else check_same("dpeep", &dpp, &dppc);
    if (alias) check_same("dgates (unused)", &dg0, &dgc); else check_same("gates", &g, &gc);
    check_same("peep", &pp, &ppc);
    check_same("c_prev", &cp, &cpc);
    check_same("c", &c, &cc);
    check_same("dh", &dh, &dhc);
    check_same("dy", &dy, &dyc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_gru_forward(int H, int n, int ynull, int alias) {
  Mat gx = R(n, 3 * H, 3), gh = R(n, 3 * H, 5), bi = R(1, 3 * H, 0), bh = R(1, 3 * H, 0);
  Mat hp = R(n, H, 1), h0 = R(n, H, 2), y0 = R(n, H, 4);
  Mat gx_ref = mat_clone(&gx), gh_ref = mat_clone(&gh), h_ref = mat_clone(&h0), y_ref = mat_clone(&y0);
  mklrnn_scalar_gru_forward(n, H, gx_ref.p, gx_ref.ld, gh_ref.p, gh_ref.ld, bi.p, bh.p, hp.p, hp.ld,
                            h_ref.p, h_ref.ld, ynull ? NULL : y_ref.p, ynull ? 0 : y_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d ynull=%d alias=%d", H, n, ynull, alias);
    Mat gxc = mat_clone(&gx), ghc = mat_clone(&gh), bic = mat_clone(&bi), bhc = mat_clone(&bh);
    Mat hpc = mat_clone(&hp), hc = mat_clone(&h0), yc = mat_clone(&y0);
    Mat* hout = alias ? &hpc : &hc;
    g_impl[k]->gru_forward(n, H, gxc.p, gxc.ld, ghc.p, ghc.ld, bic.p, bhc.p, hpc.p, hpc.ld, hout->p,
                           hout->ld, ynull ? NULL : yc.p, ynull ? 0 : yc.ld);
    check_out("gx", &gx_ref, &gxc);
    check_out("gh", &gh_ref, &ghc);
    check_out("h", &h_ref, hout);
    if (ynull) check_same("y", &y0, &yc); else check_out("y", &y_ref, &yc);
    if (alias) check_same("h (unused)", &h0, &hc); else check_same("h_prev", &hp, &hpc);
    check_same("b_ih", &bi, &bic);
    check_same("b_hh", &bh, &bhc);
    g_stat.cases++;
  }
  mats_free();
}

/* Realistic GRU activations: r, z in [0, 1], n in [-1, 1]. */
static Mat gru_acts(int n, int H, int pad) {
  Mat g = mat_rand(n, 3 * H, pad, 0, 1);
  fill_cols(&g, MKLRNN_GRU_N * H, (MKLRNN_GRU_N + 1) * H, -1, 1);
  return g;
}

static void t_gru_backward(int H, int n, int dynull, int alias) {
  Mat gx = gru_acts(n, H, 3), gh = R(n, 3 * H, 5), hp = R(n, H, 1);
  Mat dh = R(n, H, 2), dy = R(n, H, 4), dgx0 = R(n, 3 * H, 1), dgh0 = R(n, 3 * H, 2), dhp0 = R(n, H, 3);
  Mat dgx_ref = mat_clone(&dgx0), dgh_ref = mat_clone(&dgh0), dhp_ref = mat_clone(&dhp0);
  mklrnn_scalar_gru_backward(n, H, gx.p, gx.ld, gh.p, gh.ld, hp.p, hp.ld, dh.p, dh.ld, dynull ? NULL : dy.p,
                             dynull ? 0 : dy.ld, dgx_ref.p, dgx_ref.ld, dgh_ref.p, dgh_ref.ld, dhp_ref.p,
                             dhp_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d dynull=%d alias=%d", H, n, dynull, alias);
    Mat gxc = mat_clone(&gx), ghc = mat_clone(&gh), hpc = mat_clone(&hp), dhc = mat_clone(&dh),
        dyc = mat_clone(&dy);
    Mat dgxc = mat_clone(&dgx0), dghc = mat_clone(&dgh0), dhpc = mat_clone(&dhp0);
    Mat* ox = alias ? &gxc : &dgxc;
    Mat* oh = alias ? &ghc : &dghc;
    Mat* op = alias ? &dhc : &dhpc;
    g_impl[k]->gru_backward(n, H, gxc.p, gxc.ld, ghc.p, ghc.ld, hpc.p, hpc.ld, dhc.p, dhc.ld,
                            dynull ? NULL : dyc.p, dynull ? 0 : dyc.ld, ox->p, ox->ld, oh->p, oh->ld,
                            op->p, op->ld);
    check_out("dgx", &dgx_ref, ox);
    check_out("dgh", &dgh_ref, oh);
    check_out("dh_prev", &dhp_ref, op);
    if (alias) {
      check_same("dgx (unused)", &dgx0, &dgxc);
      check_same("dgh (unused)", &dgh0, &dghc);
      check_same("dh_prev (unused)", &dhp0, &dhpc);
    } else {
      check_same("gx", &gx, &gxc);
      check_same("gh", &gh, &ghc);
      check_same("dh", &dh, &dhc);
    }
    check_same("h_prev", &hp, &hpc);
    check_same("dy", &dy, &dyc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_gru0_forward_gates(int H, int n) {
  Mat gx = R(n, 3 * H, 3), ghrz = R(n, 2 * H, 5), bi = R(1, 3 * H, 0), bh = R(1, 3 * H, 0);
  Mat hp = R(n, H, 1), rh0 = R(n, H, 2);
  Mat gx_ref = mat_clone(&gx), rh_ref = mat_clone(&rh0);
  mklrnn_scalar_gru0_forward_gates(n, H, gx_ref.p, gx_ref.ld, ghrz.p, ghrz.ld, bi.p, bh.p, hp.p, hp.ld,
                                   rh_ref.p, rh_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d", H, n);
    Mat gxc = mat_clone(&gx), ghc = mat_clone(&ghrz), bic = mat_clone(&bi), bhc = mat_clone(&bh);
    Mat hpc = mat_clone(&hp), rhc = mat_clone(&rh0);
    g_impl[k]->gru0_forward_gates(n, H, gxc.p, gxc.ld, ghc.p, ghc.ld, bic.p, bhc.p, hpc.p, hpc.ld, rhc.p,
                                  rhc.ld);
    check_out("gx", &gx_ref, &gxc);
    check_cols_same("gx n columns", &gx, &gxc, 2 * H, 3 * H);
    check_out("rh", &rh_ref, &rhc);
    check_same("ghrz", &ghrz, &ghc);
    check_same("h_prev", &hp, &hpc);
    check_same("b_ih", &bi, &bic);
    check_same("b_hh", &bh, &bhc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_gru0_forward_state(int H, int n, int ynull, int alias) {
  Mat gx = mat_rand(n, 3 * H, 3, 0, 1), ghn = R(n, H, 5), bi = R(1, 3 * H, 0), bh = R(1, 3 * H, 0);
  fill_cols(&gx, 2 * H, 3 * H, -6, 6); /* x_n, not yet an activation */
  Mat hp = R(n, H, 1), h0 = R(n, H, 2), y0 = R(n, H, 4);
  Mat gx_ref = mat_clone(&gx), h_ref = mat_clone(&h0), y_ref = mat_clone(&y0);
  mklrnn_scalar_gru0_forward_state(n, H, gx_ref.p, gx_ref.ld, ghn.p, ghn.ld, bi.p, bh.p, hp.p, hp.ld,
                                   h_ref.p, h_ref.ld, ynull ? NULL : y_ref.p, ynull ? 0 : y_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d ynull=%d alias=%d", H, n, ynull, alias);
    Mat gxc = mat_clone(&gx), ghc = mat_clone(&ghn), bic = mat_clone(&bi), bhc = mat_clone(&bh);
    Mat hpc = mat_clone(&hp), hc = mat_clone(&h0), yc = mat_clone(&y0);
    Mat* hout = alias ? &hpc : &hc;
    g_impl[k]->gru0_forward_state(n, H, gxc.p, gxc.ld, ghc.p, ghc.ld, bic.p, bhc.p, hpc.p, hpc.ld,
                                  hout->p, hout->ld, ynull ? NULL : yc.p, ynull ? 0 : yc.ld);
    check_out("gx", &gx_ref, &gxc);
    check_cols_same("gx r,z columns", &gx, &gxc, 0, 2 * H);
    check_out("h", &h_ref, hout);
    if (ynull) check_same("y", &y0, &yc); else check_out("y", &y_ref, &yc);
    if (alias) check_same("h (unused)", &h0, &hc); else check_same("h_prev", &hp, &hpc);
    check_same("ghn", &ghn, &ghc);
    check_same("b_ih", &bi, &bic);
    check_same("b_hh", &bh, &bhc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_gru0_backward_state(int H, int n, int dynull, int alias) {
  Mat gx = gru_acts(n, H, 3), hp = R(n, H, 1), dh = R(n, H, 2), dy = R(n, H, 4);
  Mat dgx0 = R(n, 3 * H, 1), dhp0 = R(n, H, 5);
  Mat dgx_ref = mat_clone(&dgx0), dhp_ref = mat_clone(&dhp0);
  mklrnn_scalar_gru0_backward_state(n, H, gx.p, gx.ld, hp.p, hp.ld, dh.p, dh.ld, dynull ? NULL : dy.p,
                                    dynull ? 0 : dy.ld, dgx_ref.p, dgx_ref.ld, dhp_ref.p, dhp_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d dynull=%d alias=%d", H, n, dynull, alias);
    Mat gxc = mat_clone(&gx), hpc = mat_clone(&hp), dhc = mat_clone(&dh), dyc = mat_clone(&dy);
    Mat dgxc = mat_clone(&dgx0), dhpc = mat_clone(&dhp0);
    Mat* ox = alias ? &gxc : &dgxc;
    Mat* op = alias ? &dhc : &dhpc;
    g_impl[k]->gru0_backward_state(n, H, gxc.p, gxc.ld, hpc.p, hpc.ld, dhc.p, dhc.ld,
                                   dynull ? NULL : dyc.p, dynull ? 0 : dyc.ld, ox->p, ox->ld, op->p,
                                   op->ld);
    /* Columns [0, H) keep what was there: r when aliased, the caller's values otherwise. */
    check_close("dgx", &dgx_ref, ox, H, 3 * H);
    check_guards("dgx", ox);
    check_cols_same("dgx r columns", alias ? &gx : &dgx0, ox, 0, H);
    check_out("dh_prev", &dhp_ref, op);
    if (alias) {
      check_same("dgx (unused)", &dgx0, &dgxc);
      check_same("dh_prev (unused)", &dhp0, &dhpc);
    } else {
      check_same("gx", &gx, &gxc);
      check_same("dh", &dh, &dhc);
    }
    check_same("h_prev", &hp, &hpc);
    check_same("dy", &dy, &dyc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_gru0_backward_gates(int H, int n, int alias) {
  Mat gx = gru_acts(n, H, 3), hp = R(n, H, 1), drh = R(n, H, 4), dgx0 = R(n, 3 * H, 1),
      dhp0 = R(n, H, 2);
  Mat dgx_ref = mat_clone(&dgx0), dhp_ref = mat_clone(&dhp0);
  mklrnn_scalar_gru0_backward_gates(n, H, gx.p, gx.ld, hp.p, hp.ld, drh.p, drh.ld, dgx_ref.p, dgx_ref.ld,
                                    dhp_ref.p, dhp_ref.ld);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "H=%d n=%d alias=%d", H, n, alias);
    Mat gxc = mat_clone(&gx), hpc = mat_clone(&hp), drc = mat_clone(&drh), dgxc = mat_clone(&dgx0),
        dhpc = mat_clone(&dhp0);
    Mat* ox = alias ? &gxc : &dgxc;
    g_impl[k]->gru0_backward_gates(n, H, gxc.p, gxc.ld, hpc.p, hpc.ld, drc.p, drc.ld, ox->p, ox->ld,
                                   dhpc.p, dhpc.ld);
    check_close("dgx", &dgx_ref, ox, 0, H);
    check_guards("dgx", ox);
    check_cols_same("dgx z,n columns", alias ? &gx : &dgx0, ox, H, 3 * H);
    check_out("dh_prev", &dhp_ref, &dhpc);
    if (alias) check_same("dgx (unused)", &dgx0, &dgxc); else check_same("gx", &gx, &gxc);
    check_same("h_prev", &hp, &hpc);
    check_same("drh", &drh, &drc);
    g_stat.cases++;
  }
  mats_free();
}

static void t_sum_rows(int k_cols, int n) {
  Mat a = R(n, k_cols, 3), out0 = R(1, k_cols, 0);
  Mat out_ref = mat_clone(&out0);
  mklrnn_scalar_sum_rows(n, k_cols, a.p, a.ld, out_ref.p);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "k=%d n=%d", k_cols, n);
    Mat ac = mat_clone(&a), oc = mat_clone(&out0);
    g_impl[k]->sum_rows(n, k_cols, ac.p, ac.ld, oc.p);
    check_out("out", &out_ref, &oc);
    check_same("a", &a, &ac);
    g_stat.cases++;
  }
  mats_free();
}

static const int HS_FULL[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 391};
static const int HS_QUICK[] = {1, 3, 8, 9, 17, 33};
static const int NS_FULL[] = {0, 1, 2, 5};
static const int NS_QUICK[] = {0, 1, 2};

#define FOR_SIZES(H, n)                                                                    \
  for (int hi_ = 0; hi_ < (g_quick ? 6 : 15); ++hi_)                                       \
    for (int ni_ = 0, H = (g_quick ? HS_QUICK : HS_FULL)[hi_], n = 0;                      \
         ni_ < (g_quick ? 3 : 4) && ((n = (g_quick ? NS_QUICK : NS_FULL)[ni_]), 1); ++ni_)

static void run_kernel_tests(void) {
  const char* unit = "vs scalar, abs err; tol 1e-5+1e-5|ref|";
  stat_begin("rnn_forward", unit);
  FOR_SIZES(H, n) for (int act = 0; act < 2; ++act) for (int yn = 0; yn < 2; ++yn) t_rnn_forward(act, H, n, yn);
  stat_end();
  stat_begin("rnn_backward", unit);
  FOR_SIZES(H, n) for (int act = 0; act < 2; ++act) for (int dn = 0; dn < 2; ++dn) for (int al = 0; al < 2; ++al)
      t_rnn_backward(act, H, n, dn, al);
  stat_end();
  stat_begin("lstm_forward", unit);
  FOR_SIZES(H, n) for (int pp = 0; pp < 2; ++pp) for (int yn = 0; yn < 2; ++yn) for (int al = 0; al < 2; ++al)
      t_lstm_forward(H, n, pp, yn, al);
  stat_end();
  stat_begin("lstm_backward", unit);
  FOR_SIZES(H, n) for (int pp = 0; pp < 2; ++pp) for (int dn = 0; dn < 2; ++dn) for (int al = 0; al < 2; ++al)
      t_lstm_backward(H, n, pp, dn, al);
  stat_end();
  stat_begin("gru_forward", unit);
  FOR_SIZES(H, n) for (int yn = 0; yn < 2; ++yn) for (int al = 0; al < 2; ++al) t_gru_forward(H, n, yn, al);
  stat_end();
  stat_begin("gru_backward", unit);
  FOR_SIZES(H, n) for (int dn = 0; dn < 2; ++dn) for (int al = 0; al < 2; ++al) t_gru_backward(H, n, dn, al);
  stat_end();
  stat_begin("gru0_forward_gates", unit);
  FOR_SIZES(H, n) t_gru0_forward_gates(H, n);
  stat_end();
  stat_begin("gru0_forward_state", unit);
  FOR_SIZES(H, n) for (int yn = 0; yn < 2; ++yn) for (int al = 0; al < 2; ++al) t_gru0_forward_state(H, n, yn, al);
  stat_end();
  stat_begin("gru0_backward_state", unit);
  FOR_SIZES(H, n) for (int dn = 0; dn < 2; ++dn) for (int al = 0; al < 2; ++al) t_gru0_backward_state(H, n, dn, al);
  stat_end();
  stat_begin("gru0_backward_gates", unit);
  FOR_SIZES(H, n) for (int al = 0; al < 2; ++al) t_gru0_backward_gates(H, n, al);
  stat_end();
  stat_begin("sum_rows", unit);
  FOR_SIZES(H, n) {
    t_sum_rows(H, n);
    t_sum_rows(4 * H + 1, n);
  }
  stat_end();
}

/* ---------------------------------------------------------------- finite differences ---- */
/* Each check: a parameter vector theta (float-representable values held in double), a random
 * direction d, the loss in double at theta +- eps*d, and the kernels' gradient (float forward then
 * backward, bias gradients through sum_rows) dotted with d. rel = |fd - grad.d| / sum|grad_i d_i|. */

#define FD_EPS 1e-4
#define FD_TOL 1e-4

static double sigd(double x) { return 1.0 / (1.0 + exp(-x)); }

static double* dvec(size_t len, double lo, double hi) {
  double* v = malloc((len ? len : 1) * sizeof(double));
  if (!v) exit(2);
  for (size_t i = 0; i < len; ++i) v[i] = (double)(float)urand(lo, hi);
  return v;
}

typedef double (*LossFn)(const double* theta, const void* ctx);

static double fd_directional(LossFn f, const void* ctx, const double* theta, const double* d, size_t len) {
  double* t = calloc(len, sizeof(double));
  if (!t) exit(2);
  for (size_t i = 0; i < len; ++i) t[i] = theta[i] + FD_EPS * d[i];
  double lp = f(t, ctx);
  for (size_t i = 0; i < len; ++i) t[i] = theta[i] - FD_EPS * d[i];
  double lm = f(t, ctx);
  free(t);
  return (lp - lm) / (2 * FD_EPS);
}

/* Accumulates grad . d over a (rows, cols) block of a Mat against a compact double block. */
static void dot_acc(const Mat* g, int c0, int rows, int cols, const double* d, double* dot, double* scale) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double t = (double)*at(g, r, c0 + c) * d[(size_t)r * cols + c];
      *dot += t;
      *scale += fabs(t);
    }
}

static void fd_judge(double fd, double dot, double scale) {
  double rel = fabs(fd - dot) / (scale > 1e-12 ? scale : 1e-12);
  if (rel > g_stat.max_rel) g_stat.max_rel = rel;
  if (rel / FD_TOL > g_stat.max_tol) g_stat.max_tol = rel / FD_TOL;
  if (fabs(fd - dot) > g_stat.max_err) g_stat.max_err = fabs(fd - dot);
  if (rel > FD_TOL) failf("directional derivative: fd %.9g analytic %.9g (rel %.3g)", fd, dot, rel);
  g_stat.cases++;
}

/* Float Mat (n, cols, ld = cols + pad) from a compact double block. */
static Mat mat_from(const double* v, int rows, int cols, int pad) {
  Mat m = mat_new(rows, cols, cols + pad);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) *at(&m, r, c) = (float)v[(size_t)r * cols + c];
  return m;
}

static Mat mat_zero(int rows, int cols, int pad) {
  Mat m = mat_new(rows, cols, cols + pad);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) *at(&m, r, c) = 0.0f;
  return m;
}

/* Compare a float forward output with the double reference (compact). */
static void fwd_check(const char* what, const Mat* got, int c0, const double* ref, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double a = ref[(size_t)r * cols + c], b = *at(got, r, c0 + c), e = fabs(a - b);
      if (e > 1e-5 + 1e-5 * fabs(a)) failf("forward %s(%d,%d): double %.9g float %.9g", what, r, c, a, b);
    }
}

/* ---- LSTM: theta = [pre (n,4H), b_ih (4H), b_hh (4H), peep (3H), c_prev (n,H)];
 *      loss = sum((wh + wy) * h) + sum(wc * c). */
typedef struct {
  int n, H, peep;
  const double *wh, *wy, *wc; /* wy may be NULL */
  double *acts, *c, *h;       /* optional outputs of the double forward */
} LstmCtx;

static double lstm_loss(const double* th, const void* vctx) {
  const LstmCtx* x = vctx;
  const int n = x->n, H = x->H;
  const double *pre = th, *bi = pre + (size_t)n * 4 * H, *bh = bi + 4 * H, *pp = bh + 4 * H,
               *cp = pp + 3 * H;
  double L = 0;
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < H; ++j) {
      double a[4];
      for (int k = 0; k < 4; ++k) a[k] = pre[(size_t)r * 4 * H + k * H + j] + bi[k * H + j] + bh[k * H + j];
      double cpv = cp[(size_t)r * H + j];
      if (x->peep) {
        a[MKLRNN_LSTM_I] += pp[j] * cpv;
        a[MKLRNN_LSTM_F] += pp[H + j] * cpv;
      }
      double i = sigd(a[MKLRNN_LSTM_I]), f = sigd(a[MKLRNN_LSTM_F]), g = tanh(a[MKLRNN_LSTM_G]);
      double c = f * cpv + i * g;
      if (x->peep) a[MKLRNN_LSTM_O] += pp[2 * H + j] * c;
      double o = sigd(a[MKLRNN_LSTM_O]), h = o * tanh(c);
      size_t e = (size_t)r * H + j;
      L += (x->wh[e] + (x->wy ? x->wy[e] : 0)) * h + x->wc[e] * c;
      if (x->acts) {
        double v[4];
        v[MKLRNN_LSTM_I] = i, v[MKLRNN_LSTM_F] = f, v[MKLRNN_LSTM_G] = g, v[MKLRNN_LSTM_O] = o;
        for (int k = 0; k < 4; ++k) x->acts[(size_t)r * 4 * H + k * H + j] = v[k];
        x->c[e] = c;
        x->h[e] = h;
      }
    }
  return L;
}

static void fd_lstm(const Impl* im, int H, int n, int peep, int dynull) {
  set_ctx(im, "H=%d n=%d peep=%d dynull=%d", H, n, peep, dynull);
  const size_t nh = (size_t)n * H, len = nh * 4 + 8 * H + 3 * H + nh;
  double *th = dvec(len, -2, 2), *d = dvec(len, -1, 1);
  double *wh = dvec(nh, -1, 1), *wy = dvec(nh, -1, 1), *wc = dvec(nh, -1, 1);
  double *acts = dvec(nh * 4, 0, 0), *cd = dvec(nh, 0, 0), *hd = dvec(nh, 0, 0);
  const double *pre = th, *bi = pre + nh * 4, *bh = bi + 4 * H, *pp = bh + 4 * H, *cp = pp + 3 * H;
  const double *dpre = d, *dbi = dpre + nh * 4, *dbh = dbi + 4 * H, *dpp = dbh + 4 * H, *dcp = dpp + 3 * H;
  LstmCtx ctx = {n, H, peep, wh, dynull ? NULL : wy, wc, NULL, NULL, NULL};
  double fd = fd_directional(lstm_loss, &ctx, th, d, len);
  ctx.acts = acts, ctx.c = cd, ctx.h = hd;
  lstm_loss(th, &ctx);

  Mat g = mat_from(pre, n, 4 * H, 3), bim = mat_from(bi, 1, 4 * H, 0), bhm = mat_from(bh, 1, 4 * H, 0);
  Mat ppm = mat_from(pp, 3, H, 0), cpm = mat_from(cp, n, H, 5), c = mat_zero(n, H, 2), h = mat_zero(n, H, 1);
  im->lstm_forward(n, H, g.p, g.ld, bim.p, bhm.p, peep ? ppm.p : NULL, cpm.p, cpm.ld, c.p, c.ld, h.p, h.ld,
                   NULL, 0);
  fwd_check("gates", &g, 0, acts, n, 4 * H);
  fwd_check("c", &c, 0, cd, n, H);
  fwd_check("h", &h, 0, hd, n, H);

  Mat dh = mat_from(wh, n, H, 4), dy = mat_from(wy, n, H, 1), dc = mat_from(wc, n, H, 3);
  Mat dg = mat_zero(n, 4 * H, 2), dpm = mat_zero(3, H, 0), db = mat_zero(1, 4 * H, 0);
  im->lstm_backward(n, H, g.p, g.ld, peep ? ppm.p : NULL, cpm.p, cpm.ld, c.p, c.ld, dh.p, dh.ld,
                    dynull ? NULL : dy.p, dynull ? 0 : dy.ld, dc.p, dc.ld, dg.p, dg.ld, peep ? dpm.p : NULL);
  im->sum_rows(n, 4 * H, dg.p, dg.ld, db.p);
  double dot = 0, scale = 0;
  dot_acc(&dg, 0, n, 4 * H, dpre, &dot, &scale);
  dot_acc(&db, 0, 1, 4 * H, dbi, &dot, &scale);
  dot_acc(&db, 0, 1, 4 * H, dbh, &dot, &scale);
  dot_acc(&dc, 0, n, H, dcp, &dot, &scale);
  if (peep) dot_acc(&dpm, 0, 3, H, dpp, &dot, &scale);
  fd_judge(fd, dot, scale);
  free(th), free(d), free(wh), free(wy), free(wc), free(acts), free(cd), free(hd);
  mats_free();
}

/* ---- GRU lbr=1: theta = [x (n,3H), hh (n,3H), h_prev (n,H), b_ih (3H), b_hh (3H)];
 *      loss = sum((wh + wy) * h). */
typedef struct {
  int n, H;
  const double *wh, *wy;
  double *acts, *h;
} GruCtx;

static double gru_loss(const double* th, const void* vctx) {
  const GruCtx* x = vctx;
  const int n = x->n, H = x->H;
  const size_t nh = (size_t)n * H;
  const double *xs = th, *hh = xs + nh * 3, *hp = hh + nh * 3, *bi = hp + nh, *bh = bi + 3 * H;
  double L = 0;
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < H; ++j) {
      const double* xr = xs + (size_t)r * 3 * H;
      const double* hr = hh + (size_t)r * 3 * H;
      const int R_ = MKLRNN_GRU_R * H + j, Z_ = MKLRNN_GRU_Z * H + j, N_ = MKLRNN_GRU_N * H + j;
      double rg = sigd(xr[R_] + bi[R_] + hr[R_] + bh[R_]);
      double zg = sigd(xr[Z_] + bi[Z_] + hr[Z_] + bh[Z_]);
      double ng = tanh(xr[N_] + bi[N_] + rg * (hr[N_] + bh[N_]));
      size_t e = (size_t)r * H + j;
      double h = (1 - zg) * ng + zg * hp[e];
      L += (x->wh[e] + (x->wy ? x->wy[e] : 0)) * h;
      if (x->acts) {
        x->acts[(size_t)r * 3 * H + R_] = rg;
        x->acts[(size_t)r * 3 * H + Z_] = zg;
        x->acts[(size_t)r * 3 * H + N_] = ng;
        x->h[e] = h;
      }
    }
  return L;
}

static void fd_gru(const Impl* im, int H, int n, int dynull) {
  set_ctx(im, "H=%d n=%d dynull=%d", H, n, dynull);
  const size_t nh = (size_t)n * H, len = nh * 7 + 6 * H;
  double *th = dvec(len, -2, 2), *d = dvec(len, -1, 1), *wh = dvec(nh, -1, 1), *wy = dvec(nh, -1, 1);
  double *acts = dvec(nh * 3, 0, 0), *hd = dvec(nh, 0, 0);
  const double *xs = th, *hh = xs + nh * 3, *hp = hh + nh * 3, *bi = hp + nh, *bh = bi + 3 * H;
  const double *dx = d, *dhh = dx + nh * 3, *dhp = dhh + nh * 3, *dbi = dhp + nh, *dbh = dbi + 3 * H;
  GruCtx ctx = {n, H, wh, dynull ? NULL : wy, NULL, NULL};
  double fd = fd_directional(gru_loss, &ctx, th, d, len);
  ctx.acts = acts, ctx.h = hd;
  gru_loss(th, &ctx);

  Mat gx = mat_from(xs, n, 3 * H, 3), gh = mat_from(hh, n, 3 * H, 1), hpm = mat_from(hp, n, H, 2);
  Mat bim = mat_from(bi, 1, 3 * H, 0), bhm = mat_from(bh, 1, 3 * H, 0), h = mat_zero(n, H, 4);
  im->gru_forward(n, H, gx.p, gx.ld, gh.p, gh.ld, bim.p, bhm.p, hpm.p, hpm.ld, h.p, h.ld, NULL, 0);
  fwd_check("gx", &gx, 0, acts, n, 3 * H);
  fwd_check("h", &h, 0, hd, n, H);

  Mat dh = mat_from(wh, n, H, 1), dy = mat_from(wy, n, H, 3);
  Mat dgx = mat_zero(n, 3 * H, 2), dgh = mat_zero(n, 3 * H, 5), dhpm = mat_zero(n, H, 1);
  Mat dbx = mat_zero(1, 3 * H, 0), dbhm = mat_zero(1, 3 * H, 0);
  im->gru_backward(n, H, gx.p, gx.ld, gh.p, gh.ld, hpm.p, hpm.ld, dh.p, dh.ld, dynull ? NULL : dy.p,
                   dynull ? 0 : dy.ld, dgx.p, dgx.ld, dgh.p, dgh.ld, dhpm.p, dhpm.ld);
  im->sum_rows(n, 3 * H, dgx.p, dgx.ld, dbx.p);
  im->sum_rows(n, 3 * H, dgh.p, dgh.ld, dbhm.p);
  double dot = 0, scale = 0;
  dot_acc(&dgx, 0, n, 3 * H, dx, &dot, &scale);
  dot_acc(&dgh, 0, n, 3 * H, dhh, &dot, &scale);
  dot_acc(&dhpm, 0, n, H, dhp, &dot, &scale);
  dot_acc(&dbx, 0, 1, 3 * H, dbi, &dot, &scale);
  dot_acc(&dbhm, 0, 1, 3 * H, dbh, &dot, &scale);
  fd_judge(fd, dot, scale);
  free(th), free(d), free(wh), free(wy), free(acts), free(hd);
  mats_free();
}

/* ---- GRU lbr=0: theta = [x (n,3H), hrz (n,2H), h_prev (n,H), W_hn (H,H), b_ih (3H), b_hh (3H)];
 *      ghn = (r * h_prev) W_hn^T by an explicit matmul; loss = sum((wh + wy) * h). */
static double gru0_loss(const double* th, const void* vctx) {
  const GruCtx* x = vctx;
  const int n = x->n, H = x->H;
  const size_t nh = (size_t)n * H;
  const double *xs = th, *hrz = xs + nh * 3, *hp = hrz + nh * 2, *W = hp + nh, *bi = W + (size_t)H * H,
               *bh = bi + 3 * H;
  double L = 0;
  double* rh = malloc((size_t)H * sizeof(double));
  if (!rh) exit(2);
  for (int r = 0; r < n; ++r) {
    const double* xr = xs + (size_t)r * 3 * H;
    const double* hr = hrz + (size_t)r * 2 * H;
    for (int j = 0; j < H; ++j) {
      const int R_ = MKLRNN_GRU_R * H + j;
      double rg = sigd(xr[R_] + bi[R_] + hr[R_] + bh[R_]);
      rh[j] = rg * hp[(size_t)r * H + j];
      if (x->acts) x->acts[(size_t)r * 3 * H + R_] = rg;
    }
    for (int i = 0; i < H; ++i) {
      const int Z_ = MKLRNN_GRU_Z * H + i, N_ = MKLRNN_GRU_N * H + i;
      double ghn = 0;
      for (int j = 0; j < H; ++j) ghn += rh[j] * W[(size_t)i * H + j];
      double zg = sigd(xr[Z_] + bi[Z_] + hr[Z_] + bh[Z_]);
      double ng = tanh(xr[N_] + bi[N_] + ghn + bh[N_]);
      size_t e = (size_t)r * H + i;
      double h = (1 - zg) * ng + zg * hp[e];
      L += (x->wh[e] + (x->wy ? x->wy[e] : 0)) * h;
      if (x->acts) {
        x->acts[(size_t)r * 3 * H + Z_] = zg;
        x->acts[(size_t)r * 3 * H + N_] = ng;
        x->h[e] = h;
      }
    }
  }
  free(rh);
  return L;
}

static void fd_gru0(const Impl* im, int H, int n, int dynull) {
  set_ctx(im, "H=%d n=%d dynull=%d", H, n, dynull);
  const size_t nh = (size_t)n * H, len = nh * 6 + (size_t)H * H + 6 * H;
  double *th = dvec(len, -2, 2), *d = dvec(len, -1, 1), *wh = dvec(nh, -1, 1), *wy = dvec(nh, -1, 1);
  double *acts = dvec(nh * 3, 0, 0), *hd = dvec(nh, 0, 0);
  double* Wth = th + nh * 6;
  for (size_t i = 0; i < (size_t)H * H; ++i) Wth[i] = (double)(float)(Wth[i] * 0.25); /* modest W */
  const double *xs = th, *hrz = xs + nh * 3, *hp = hrz + nh * 2, *W = hp + nh, *bi = W + (size_t)H * H,
               *bh = bi + 3 * H;
  const double *dx = d, *dhrz = dx + nh * 3, *dhp = dhrz + nh * 2, *dW = dhp + nh, *dbi = dW + (size_t)H * H,
               *dbh = dbi + 3 * H;
  GruCtx ctx = {n, H, wh, dynull ? NULL : wy, NULL, NULL};
  double fd = fd_directional(gru0_loss, &ctx, th, d, len);
  ctx.acts = acts, ctx.h = hd;
  gru0_loss(th, &ctx);

  Mat gx = mat_from(xs, n, 3 * H, 3), ghrz = mat_from(hrz, n, 2 * H, 1), hpm = mat_from(hp, n, H, 2);
  Mat Wm = mat_from(W, H, H, 0), bim = mat_from(bi, 1, 3 * H, 0), bhm = mat_from(bh, 1, 3 * H, 0);
  Mat rh = mat_zero(n, H, 4), ghn = mat_zero(n, H, 1), h = mat_zero(n, H, 3);
  im->gru0_forward_gates(n, H, gx.p, gx.ld, ghrz.p, ghrz.ld, bim.p, bhm.p, hpm.p, hpm.ld, rh.p, rh.ld);
  for (int r = 0; r < n; ++r) /* ghn = rh W_hn^T */
    for (int i = 0; i < H; ++i) {
      double s = 0;
      for (int j = 0; j < H; ++j) s += (double)*at(&rh, r, j) * *at(&Wm, i, j);
      *at(&ghn, r, i) = (float)s;
    }
  im->gru0_forward_state(n, H, gx.p, gx.ld, ghn.p, ghn.ld, bim.p, bhm.p, hpm.p, hpm.ld, h.p, h.ld, NULL, 0);
  fwd_check("gx", &gx, 0, acts, n, 3 * H);
  fwd_check("h", &h, 0, hd, n, H);

  Mat dh = mat_from(wh, n, H, 1), dy = mat_from(wy, n, H, 3);
  Mat dgx = mat_zero(n, 3 * H, 2), dhpm = mat_zero(n, H, 5), drh = mat_zero(n, H, 2);
  Mat db = mat_zero(1, 3 * H, 0), dWm = mat_zero(H, H, 0);
  im->gru0_backward_state(n, H, gx.p, gx.ld, hpm.p, hpm.ld, dh.p, dh.ld, dynull ? NULL : dy.p,
                          dynull ? 0 : dy.ld, dgx.p, dgx.ld, dhpm.p, dhpm.ld);
  for (int r = 0; r < n; ++r) /* drh = dn W_hn */
    for (int j = 0; j < H; ++j) {
      double s = 0;
      for (int i = 0; i < H; ++i) s += (double)*at(&dgx, r, 2 * H + i) * *at(&Wm, i, j);
      *at(&drh, r, j) = (float)s;
    }
  for (int i = 0; i < H; ++i) /* dW_hn = dn^T rh */
    for (int j = 0; j < H; ++j) {
      double s = 0;
      for (int r = 0; r < n; ++r) s += (double)*at(&dgx, r, 2 * H + i) * *at(&rh, r, j);
      *at(&dWm, i, j) = (float)s;
    }
  im->gru0_backward_gates(n, H, gx.p, gx.ld, hpm.p, hpm.ld, drh.p, drh.ld, dgx.p, dgx.ld, dhpm.p, dhpm.ld);
  im->sum_rows(n, 3 * H, dgx.p, dgx.ld, db.p);
  double dot = 0, scale = 0;
  dot_acc(&dgx, 0, n, 3 * H, dx, &dot, &scale);
  dot_acc(&dgx, 0, n, 2 * H, dhrz, &dot, &scale); /* hrz enters r, z exactly as x does */
  dot_acc(&dhpm, 0, n, H, dhp, &dot, &scale);
  dot_acc(&dWm, 0, H, H, dW, &dot, &scale);
  dot_acc(&db, 0, 1, 3 * H, dbi, &dot, &scale);
  dot_acc(&db, 0, 1, 3 * H, dbh, &dot, &scale); /* b_hn sits outside r here: same as b_in */
  fd_judge(fd, dot, scale);
  free(th), free(d), free(wh), free(wy), free(acts), free(hd);
  mats_free();
}

/* ---- RNN: theta = [g (n,H), b_ih (H), b_hh (H)]; loss = sum((wh + wy) * h). */
typedef struct {
  int n, H, act;
  const double *wh, *wy;
  double* h;
} RnnCtx;

static double rnn_loss(const double* th, const void* vctx) {
  const RnnCtx* x = vctx;
  const size_t nh = (size_t)x->n * x->H;
  const double *g = th, *bi = g + nh, *bh = bi + x->H;
  double L = 0;
  for (size_t e = 0; e < nh; ++e) {
    double v = g[e] + bi[e % x->H] + bh[e % x->H];
    double h = x->act == MKLRNN_ACT_TANH ? tanh(v) : (v > 0 ? v : 0);
    L += (x->wh[e] + (x->wy ? x->wy[e] : 0)) * h;
    if (x->h) x->h[e] = h;
  }
  return L;
}

static void fd_rnn(const Impl* im, int act, int H, int n, int dynull) {
  set_ctx(im, "act=%d H=%d n=%d dynull=%d", act, H, n, dynull);
  const size_t nh = (size_t)n * H, len = nh + 2 * H;
  /* Pre-activations within +-3: with a single element, a saturated tanh' = 1 - h^2 computed from
   * the float h loses digits to cancellation (inherent to the float backward, not an error). */
  double *th = dvec(len, -1, 1), *d = dvec(len, -1, 1), *wh = dvec(nh, -1, 1), *wy = dvec(nh, -1, 1);
  double* hd = dvec(nh, 0, 0);
  if (act == MKLRNN_ACT_RELU) /* keep pre-activations off relu's kink, where fd is meaningless */
    for (size_t e = 0; e < nh; ++e) {
      double v = th[e] + th[nh + e % H] + th[nh + H + e % H];
      if (fabs(v) < 0.05) th[e] = (double)(float)(th[e] + (v < 0 ? -0.1 : 0.1));
    }
  RnnCtx ctx = {n, H, act, wh, dynull ? NULL : wy, NULL};
  double fd = fd_directional(rnn_loss, &ctx, th, d, len);
  ctx.h = hd;
  rnn_loss(th, &ctx);

  Mat g = mat_from(th, n, H, 3), bim = mat_from(th + nh, 1, H, 0), bhm = mat_from(th + nh + H, 1, H, 0);
  Mat h = mat_zero(n, H, 1), y = mat_zero(n, H, 2);
  im->rnn_forward(act, n, H, g.p, g.ld, bim.p, bhm.p, h.p, h.ld, y.p, y.ld);
  fwd_check("h", &h, 0, hd, n, H);
  fwd_check("y", &y, 0, hd, n, H);
  Mat dh = mat_from(wh, n, H, 4), dy = mat_from(wy, n, H, 1), dg = mat_zero(n, H, 2), db = mat_zero(1, H, 0);
  im->rnn_backward(act, n, H, h.p, h.ld, dh.p, dh.ld, dynull ? NULL : dy.p, dynull ? 0 : dy.ld, dg.p, dg.ld);
  im->sum_rows(n, H, dg.p, dg.ld, db.p);
  double dot = 0, scale = 0;
  dot_acc(&dg, 0, n, H, d, &dot, &scale);
  dot_acc(&db, 0, 1, H, d + nh, &dot, &scale);
  dot_acc(&db, 0, 1, H, d + nh + H, &dot, &scale);
  fd_judge(fd, dot, scale);
  free(th), free(d), free(wh), free(wy), free(hd);
  mats_free();
}

static void run_fd_tests(void) {
  static const int hs[] = {1, 3, 8, 9, 17}, ns[] = {1, 2, 5};
  const char* unit = "|fd - grad.d|; rel to sum|grad_i d_i|, tol 1e-4";
  const int nh = g_quick ? 3 : 5, nn = g_quick ? 2 : 3;
  stat_begin("fd lstm (peep/no peep)", unit);
  for (int k = 0; k < g_nimpl; ++k)
    for (int a = 0; a < nh; ++a) for (int b = 0; b < nn; ++b) for (int p = 0; p < 2; ++p) for (int dn = 0; dn < 2; ++dn)
      fd_lstm(g_impl[k], hs[a], ns[b], p, dn);
  stat_end();
  stat_begin("fd gru lbr=1", unit);
  for (int k = 0; k < g_nimpl; ++k)
    for (int a = 0; a < nh; ++a) for (int b = 0; b < nn; ++b) for (int dn = 0; dn < 2; ++dn)
      fd_gru(g_impl[k], hs[a], ns[b], dn);
  stat_end();
  stat_begin("fd gru lbr=0 (two parts)", unit);
  for (int k = 0; k < g_nimpl; ++k)
    for (int a = 0; a < nh; ++a) for (int b = 0; b < nn; ++b) for (int dn = 0; dn < 2; ++dn)
      fd_gru0(g_impl[k], hs[a], ns[b], dn);
  stat_end();
  stat_begin("fd rnn tanh/relu", unit);
  for (int k = 0; k < g_nimpl; ++k)
    for (int a = 0; a < nh; ++a) for (int b = 0; b < nn; ++b) for (int act = 0; act < 2; ++act) for (int dn = 0; dn < 2; ++dn)
      fd_rnn(g_impl[k], act, hs[a], ns[b], dn);
  stat_end();
}

/* ---------------------------------------------------------------- fused small-batch steps */
/* The *_step_panels kernels against a reference computed in double from the UNPACKED W_hh (so the
 * packing is checked too), over column ranges [j0, j1): values close to it inside the range, every
 * other cell of every output untouched (columns outside the range, padding up to ld, guards), the
 * inputs untouched. Then the range-split property: two halves (or one call per block) give
 * bit-identical results to the whole range. */

enum { CELL_LSTM, CELL_GRU, CELL_RNN };
static const int CELL_G[] = {4, 3, 1};
static const char* const CELL_NAME[] = {"lstm", "gru", "rnn"};

/* One step's inputs and outputs. */
typedef struct {
  int cell, act, G, H, K, n;
  Mat w, pan, gx, bi, bh, hp, c, h, y;
} Step;

static Mat pack(int G, int H, int K, const Mat* w) {
  int64_t size = mklrnn_panel_size(G, H, K);
  if (size < 1 || size > (1 << 26)) {
    fprintf(stderr, "test_kernels: panel_size(%d, %d, %d) = %ld\n", G, H, K, (long)size);
    exit(2);
  }
  Mat pan = mat_new(1, (int)size, (int)size);
  expect_ok(mklrnn_pack_panels(G, H, K, w->p, w->ld, pan.p));
  check_guards("panels", &pan);
  return pan;
}

static Step step_new(int cell, int act, int H, int K, int n) {
  Step s;
  s.cell = cell;
  s.act = act;
  s.G = CELL_G[cell];
  s.H = H;
  s.K = K;
  s.n = n;
  const double wr = 2.0 / sqrt((double)K); /* a bit wider than PyTorch's init, +-1/sqrt(K) */
  s.w = mat_rand(s.G * H, K, 3, -wr, wr);
  s.pan = pack(s.G, H, K, &s.w);
  s.gx = mat_rand(n, s.G * H, 2, -3, 3);
  s.bi = mat_rand(1, s.G * H, 0, -1, 1);
  s.bh = mat_rand(1, s.G * H, 0, -1, 1);
  s.hp = mat_rand(n, K, 1, -1, 1);
  s.c = mat_rand(n, H, 5, -3, 3);
  s.h = R(n, H, 4);
  s.y = R(n, H, 6);
  return s;
}

static Step step_clone(const Step* s) {
  Step t = *s;
  t.pan = mat_clone(&s->pan);
  t.gx = mat_clone(&s->gx);
  t.bi = mat_clone(&s->bi);
  t.bh = mat_clone(&s->bh);
  t.hp = mat_clone(&s->hp);
  t.c = mat_clone(&s->c);
  t.h = mat_clone(&s->h);
  t.y = mat_clone(&s->y);
  return t;
}

static void step_run(const Impl* im, Step* s, int j0, int j1, int ynull) {
  float* y = ynull ? NULL : s->y.p;
  int32_t ldy = ynull ? 0 : s->y.ld;
  if (s->cell == CELL_LSTM)
    im->lstm_step_panels(s->n, s->H, s->K, j0, j1, s->pan.p, s->gx.p, s->gx.ld, s->bi.p, s->bh.p, s->hp.p,
                         s->hp.ld, s->c.p, s->c.ld, s->h.p, s->h.ld, y, ldy);
  else if (s->cell == CELL_GRU)
    im->gru_step_panels(s->n, s->H, s->K, j0, j1, s->pan.p, s->gx.p, s->gx.ld, s->bi.p, s->bh.p, s->hp.p,
                        s->hp.ld, s->h.p, s->h.ld, y, ldy);
  else
    im->rnn_step_panels(s->act, s->n, s->H, s->K, j0, j1, s->pan.p, s->gx.p, s->gx.ld, s->bi.p, s->bh.p,
                        s->hp.p, s->hp.ld, s->h.p, s->h.ld, y, ldy);
}

/* The reference, in double from the unpacked W: h (and c) of columns [j0, j1) written into
 * clones of the original outputs (other cells keep their original values). */
static void step_reference(const Step* s, int j0, int j1, Mat* c_ref, Mat* h_ref) {
  const int G = s->G, H = s->H;
  *c_ref = mat_clone(&s->c);
  *h_ref = mat_clone(&s->h);
  for (int r = 0; r < s->n; ++r)
    for (int j = j0; j < j1; ++j) {
      double pre[4], a[4];
      for (int g = 0; g < G; ++g) {
        double acc = 0;
        for (int k = 0; k < s->K; ++k) acc += (double)*at(&s->hp, r, k) * (double)*at(&s->w, g * H + j, k);
        a[g] = acc;
        pre[g] = (double)*at(&s->gx, r, g * H + j) + (double)s->bi.p[g * H + j] + acc + (double)s->bh.p[g * H + j];
      }
      double hv;
      if (s->cell == CELL_LSTM) {
        double cn = sigd(pre[MKLRNN_LSTM_F]) * *at(&s->c, r, j) + sigd(pre[MKLRNN_LSTM_I]) * tanh(pre[MKLRNN_LSTM_G]);
        hv = sigd(pre[MKLRNN_LSTM_O]) * tanh(cn);
        *at(c_ref, r, j) = (float)cn;
      } else if (s->cell == CELL_GRU) {
        double hh[3];
        for (int g = 0; g < 3; ++g) hh[g] = a[g] + s->bh.p[g * H + j];
        double rg = sigd(*at(&s->gx, r, MKLRNN_GRU_R * H + j) + (double)s->bi.p[MKLRNN_GRU_R * H + j] + hh[MKLRNN_GRU_R]);
        double zg = sigd(*at(&s->gx, r, MKLRNN_GRU_Z * H + j) + (double)s->bi.p[MKLRNN_GRU_Z * H + j] + hh[MKLRNN_GRU_Z]);
        double ng = tanh(*at(&s->gx, r, MKLRNN_GRU_N * H + j) + (double)s->bi.p[MKLRNN_GRU_N * H + j] + rg * hh[MKLRNN_GRU_N]);
        hv = (1 - zg) * ng + zg * *at(&s->hp, r, j);
      } else {
        hv = s->act == MKLRNN_ACT_TANH ? tanh(pre[0]) : (pre[0] > 0 ? pre[0] : 0);
      }
      *at(h_ref, r, j) = (float)hv;
    }
}

/* An output of a ranged call: close to the reference in [j0, j1), bit-identical elsewhere. */
static void check_range_out(const char* what, const Mat* orig, const Mat* ref, const Mat* got, int j0, int j1) {
  check_close(what, ref, got, j0, j1);
  check_cols_same(what, orig, got, 0, j0);
  check_cols_same(what, orig, got, j1, orig->cols);
  check_guards(what, got);
}

static void t_step(int cell, int act, int H, int K, int n, int j0, int j1, int ynull) {
  Step s = step_new(cell, act, H, K, n);
  Mat c_ref, h_ref;
  step_reference(&s, j0, j1, &c_ref, &h_ref);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "%s act=%d H=%d K=%d n=%d [%d,%d) ynull=%d", CELL_NAME[cell], act, H, K, n, j0, j1, ynull);
    Step t = step_clone(&s);
    step_run(g_impl[k], &t, j0, j1, ynull);
    check_range_out("h", &s.h, &h_ref, &t.h, j0, j1);
    if (ynull) check_same("y", &s.y, &t.y); else check_range_out("y", &s.y, &h_ref, &t.y, j0, j1);
    if (cell == CELL_LSTM) check_range_out("c", &s.c, &c_ref, &t.c, j0, j1); else check_same("c", &s.c, &t.c);
    check_same("panels", &s.pan, &t.pan);
    check_same("gx", &s.gx, &t.gx);
    check_same("b_ih", &s.bi, &t.bi);
    check_same("b_hh", &s.bh, &t.bh);
    check_same("h_prev", &s.hp, &t.hp);
    g_stat.cases++;
  }
  mats_free();
}

/* Whole range vs two halves (split at a block boundary) vs one call per 8-column block: bitwise. */
static void t_step_split(int cell, int act, int H, int K, int n, int ynull) {
  Step s = step_new(cell, act, H, K, n);
  const int split = 8 * (((H + 7) / 8) / 2);
  for (int k = 0; k < g_nimpl; ++k) {
    set_ctx(g_impl[k], "%s act=%d H=%d K=%d n=%d split=%d ynull=%d", CELL_NAME[cell], act, H, K, n, split, ynull);
    Step whole = step_clone(&s), halves = step_clone(&s), blocks = step_clone(&s);
    step_run(g_impl[k], &whole, 0, H, ynull);
    step_run(g_impl[k], &halves, split, H, ynull); /* order must not matter either */
    step_run(g_impl[k], &halves, 0, split, ynull);
    for (int j = 0; j < H; j += 8) step_run(g_impl[k], &blocks, j, j + 8 < H ? j + 8 : H, ynull);
    const Step* parts[2] = {&halves, &blocks};
    for (int p = 0; p < 2; ++p) {
      const char* how = p ? "per block" : "halves";
      if (memcmp(whole.h.mem, parts[p]->h.mem, whole.h.len * sizeof(float)) != 0) failf("h: %s differ from whole", how);
      if (memcmp(whole.c.mem, parts[p]->c.mem, whole.c.len * sizeof(float)) != 0) failf("c: %s differ from whole", how);
      if (memcmp(whole.y.mem, parts[p]->y.mem, whole.y.len * sizeof(float)) != 0) failf("y: %s differ from whole", how);
    }
    g_stat.cases++;
  }
  mats_free();
}

/* Packing on odd sizes: every float of the panels checked exactly (zero padding past H). */
static void t_pack(int G, int H, int K) {
  set_ctx(&IMPL_PUBLIC, "pack G=%d H=%d K=%d", G, H, K);
  const int nb = (H + 7) / 8;
  g_stat.cases++;
  if (mklrnn_panel_size(G, H, K) != (int64_t)nb * K * G * 8) {
    failf("panel_size = %ld, want %ld", (long)mklrnn_panel_size(G, H, K), (long)nb * K * G * 8);
    return;
  }
  Mat w = R(G * H, K, 2), wc = mat_clone(&w);
  Mat pan = pack(G, H, K, &wc);
  check_same("w", &w, &wc);
  for (int b = 0; b < nb; ++b)
    for (int k = 0; k < K; ++k)
      for (int g = 0; g < G; ++g)
        for (int lane = 0; lane < 8; ++lane) {
          const int j = 8 * b + lane;
          const float want = j < H ? *at(&w, g * H + j, k) : 0.0f;
          const float got = pan.p[(((ptrdiff_t)b * K + k) * G + g) * 8 + lane];
          if (memcmp(&want, &got, sizeof got) != 0) {
            failf("block %d k %d gate %d lane %d: %g, want %g", b, k, g, lane, got, want);
            mats_free();
            return;
          }
        }
  mats_free();
}

static const int HS_STEP_FULL[] = {1, 7, 8, 9, 31, 64, 67, 256};
static const int HS_STEP_QUICK[] = {1, 9, 67};
static const int NS_STEP_FULL[] = {0, 1, 2, 3, 5};
static const int NS_STEP_QUICK[] = {0, 1, 3};

/* The column ranges tried for one H: whole, the two halves, the last (maybe partial) block, a
 * middle block, a range ending inside a block, an empty range. */
static int step_ranges(int H, int out[][2]) {
  const int nb = (H + 7) / 8, split = 8 * (nb / 2), mid = 8 * (nb / 2);
  int m = 0;
#define ADD(a, b) (out[m][0] = (a), out[m][1] = (b), ++m)
  ADD(0, H);
  ADD(0, split);
  ADD(split, H);
  ADD(8 * (nb - 1), H);
  if (mid < H) ADD(mid, mid + 8 < H ? mid + 8 : H);
  if (mid + 3 < H) ADD(mid, mid + 3);
  ADD(split, split);
#undef ADD
  return m;
}

static void run_step_tests(void) {
  const int nh = g_quick ? 3 : 8, nn = g_quick ? 3 : 5;
  const int* hs = g_quick ? HS_STEP_QUICK : HS_STEP_FULL;
  const int* ns = g_quick ? NS_STEP_QUICK : NS_STEP_FULL;

  stat_begin("pack_panels", "cases = layouts checked exactly");
  {
    const int hp[] = {1, 7, 8, 9, 31, 67}, kp[] = {1, 3, 8, 13}, gp[] = {1, 3, 4};
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 6; ++b)
        for (int c = 0; c < 4; ++c) t_pack(gp[a], hp[b], kp[c]);
  }
  snprintf(g_ctx, sizeof g_ctx, "panel_size");
  const int32_t bad[][3] = {{0, 8, 8}, {4, 0, 8}, {4, 8, 0}, {-1, 8, 8}, {4, -8, 8}, {4, 8, -1},
                            {INT32_MAX, INT32_MAX, INT32_MAX}, {4, INT32_MAX, INT32_MAX}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i, g_stat.cases++)
    if (mklrnn_panel_size(bad[i][0], bad[i][1], bad[i][2]) != -1)
      failf("panel_size(%d, %d, %d) != -1", (int)bad[i][0], (int)bad[i][1], (int)bad[i][2]);
  g_stat.cases++;
  if (mklrnn_panel_size(4, 1 << 20, 1 << 20) != (int64_t)4 << 40) failf("panel_size(4, 2^20, 2^20)");
  g_stat.cases++;
  if (mklrnn_panel_size(1, INT32_MAX, 1) != ((int64_t)INT32_MAX + 7) / 8 * 8) failf("panel_size(1, INT32_MAX, 1)");
  stat_end();

  const char* unit = "vs double ref from unpacked W; tol 1e-5+1e-5|ref|";
  for (int cell = 0; cell < 3; ++cell) {
    char name[32];
    snprintf(name, sizeof name, "%s_step_panels", CELL_NAME[cell]);
    stat_begin(name, unit);
    for (int hi = 0; hi < nh; ++hi)
      for (int ni = 0; ni < nn; ++ni) {
        const int H = hs[hi], n = ns[ni];
        int rg[8][2];
        const int nr = step_ranges(H, rg);
        /* The LSTM also with K != H (a projection: K = P). */
        const int nk = cell == CELL_LSTM ? 2 : 1;
        for (int ki = 0; ki < nk; ++ki) {
          const int K = ki ? H / 2 + 3 : H;
          for (int act = 0; act < (cell == CELL_RNN ? 2 : 1); ++act)
            for (int yn = 0; yn < 2; ++yn)
              for (int q = 0; q < nr; ++q) t_step(cell, act, H, K, n, rg[q][0], rg[q][1], yn);
        }
      }
    stat_end();
  }

  stat_begin("step_panels range split", "cases = whole vs halves vs blocks, bitwise");
  for (int cell = 0; cell < 3; ++cell)
    for (int hi = 0; hi < nh; ++hi)
      for (int ni = 0; ni < nn; ++ni)
        for (int act = 0; act < (cell == CELL_RNN ? 2 : 1); ++act)
          for (int yn = 0; yn < 2; ++yn) t_step_split(cell, act, hs[hi], hs[hi], ns[ni], yn);
  stat_end();
}

/* ---------------------------------------------------------------- argument validation --- */
/* Every call uses the shared buffers VB; a rejected call must leave them bit-identical. Each
 * check re-declares the valid arguments (ARGS), applies one mutation, and calls. */

#define VB_N 8
#define VB_LEN 128
static float VB[VB_N][VB_LEN], VS[VB_N][VB_LEN];

enum { WANT_OK, WANT_OK_UNTOUCHED, WANT_BAD };

static void vexpect(const char* what, int want, int32_t rc) {
  g_stat.cases++;
  int untouched = memcmp(VB, VS, sizeof VB) == 0;
  if (want == WANT_BAD && rc != MKLRNN_BAD_ARGUMENT) failf("%s: returned %d, want BAD_ARGUMENT", what, (int)rc);
  if (want != WANT_BAD && rc != MKLRNN_OK) failf("%s: returned %d, want OK", what, (int)rc);
  if (want != WANT_OK && !untouched) failf("%s: wrote memory", what);
}

#define VCHECK(ARGS, CALL, want, ...) \
  do {                                \
    ARGS;                             \
    __VA_ARGS__;                      \
    memcpy(VS, VB, sizeof VB);        \
    int32_t rc_ = CALL;               \
    vexpect(#CALL ": " #__VA_ARGS__, want, rc_); \
  } while (0)

/* Buffers: n = 2, H = 3, every leading dimension 16 (>= 4H = 12). */
#define RNNF_ARGS int32_t act = 0, n = 2, H = 3, ldg = 16, ldh = 16, ldy = 16; \
  const float *g = VB[0], *bi = VB[1], *bh = VB[2]; float *h = VB[3], *y = VB[4]
#define RNNF_CALL mklrnn_rnn_forward(act, n, H, g, ldg, bi, bh, h, ldh, y, ldy)
#define RNNB_ARGS int32_t act = 0, n = 2, H = 3, ldh = 16, lddh = 16, lddy = 16, lddg = 16; \
  const float *h = VB[0], *dh = VB[1], *dy = VB[2]; float* dg = VB[3]
#define RNNB_CALL mklrnn_rnn_backward(act, n, H, h, ldh, dh, lddh, dy, lddy, dg, lddg)
#define LF_ARGS int32_t n = 2, H = 3, ldg = 16, ldcp = 16, ldc = 16, ldh = 16, ldy = 16; \
  float *g = VB[0], *c = VB[5], *h = VB[6], *y = VB[7]; \
  const float *bi = VB[1], *bh = VB[2], *pp = VB[3], *cp = VB[4]
#define LF_CALL mklrnn_lstm_forward(n, H, g, ldg, bi, bh, pp, cp, ldcp, c, ldc, h, ldh, y, ldy)
#define LB_ARGS int32_t n = 2, H = 3, ldg = 16, ldcp = 16, ldc = 16, lddh = 16, lddy = 16, lddc = 16, lddg = 16; \
  const float *g = VB[0], *pp = VB[1], *cp = VB[2], *c = VB[3], *dh = VB[4], *dy = VB[5]; \
  float *dc = VB[6], *dg = VB[7], *dpp = VB[1] + 64
#define LB_CALL mklrnn_lstm_backward(n, H, g, ldg, pp, cp, ldcp, c, ldc, dh, lddh, dy, lddy, dc, lddc, dg, lddg, dpp)
#define GF_ARGS int32_t n = 2, H = 3, ldgx = 16, ldgh = 16, ldhp = 16, ldh = 16, ldy = 16; \
  float *gx = VB[0], *gh = VB[1], *h = VB[5], *y = VB[6]; const float *bi = VB[2], *bh = VB[3], *hp = VB[4]
#define GF_CALL mklrnn_gru_forward(n, H, gx, ldgx, gh, ldgh, bi, bh, hp, ldhp, h, ldh, y, ldy)
#define GB_ARGS int32_t n = 2, H = 3, ldgx = 16, ldgh = 16, ldhp = 16, lddh = 16, lddy = 16, lddgx = 16, lddgh = 16, lddhp = 16; \
  const float *gx = VB[0], *gh = VB[1], *hp = VB[2], *dh = VB[3], *dy = VB[4]; \
  float *dgx = VB[5], *dgh = VB[6], *dhp = VB[7]
#define GB_CALL mklrnn_gru_backward(n, H, gx, ldgx, gh, ldgh, hp, ldhp, dh, lddh, dy, lddy, dgx, lddgx, dgh, lddgh, dhp, lddhp)
#define G0FG_ARGS int32_t n = 2, H = 3, ldgx = 16, ldghrz = 16, ldhp = 16, ldrh = 16; \
  float *gx = VB[0], *rh = VB[5]; const float *ghrz = VB[1], *bi = VB[2], *bh = VB[3], *hp = VB[4]
#define G0FG_CALL mklrnn_gru0_forward_gates(n, H, gx, ldgx, ghrz, ldghrz, bi, bh, hp, ldhp, rh, ldrh)
#define G0FS_ARGS int32_t n = 2, H = 3, ldgx = 16, ldghn = 16, ldhp = 16, ldh = 16, ldy = 16; \
  float *gx = VB[0], *h = VB[5], *y = VB[6]; const float *ghn = VB[1], *bi = VB[2], *bh = VB[3], *hp = VB[4]
#define G0FS_CALL mklrnn_gru0_forward_state(n, H, gx, ldgx, ghn, ldghn, bi, bh, hp, ldhp, h, ldh, y, ldy)
#define G0BS_ARGS int32_t n = 2, H = 3, ldgx = 16, ldhp = 16, lddh = 16, lddy = 16, lddgx = 16, lddhp = 16; \
  const float *gx = VB[0], *hp = VB[1], *dh = VB[2], *dy = VB[3]; float *dgx = VB[4], *dhp = VB[5]
#define G0BS_CALL mklrnn_gru0_backward_state(n, H, gx, ldgx, hp, ldhp, dh, lddh, dy, lddy, dgx, lddgx, dhp, lddhp)
#define G0BG_ARGS int32_t n = 2, H = 3, ldgx = 16, ldhp = 16, lddrh = 16, lddgx = 16, lddhp = 16; \
  const float *gx = VB[0], *hp = VB[1], *drh = VB[2]; float *dgx = VB[3], *dhp = VB[4]
#define G0BG_CALL mklrnn_gru0_backward_gates(n, H, gx, ldgx, hp, ldhp, drh, lddrh, dgx, lddgx, dhp, lddhp)
#define SR_ARGS int32_t n = 2, k = 5, lda = 16; const float* a = VB[0]; float* out = VB[1]
#define SR_CALL mklrnn_sum_rows(n, k, a, lda, out)

/* Panels: G = 4, H = 3, K = 3 need 96 floats. Steps: n = 2, H = K = 3, columns [0, 3). */
#define PK_ARGS int32_t G = 4, H = 3, K = 3, ldw = 16; const float* w = VB[0]; float* pan = VB[1]
#define PK_CALL mklrnn_pack_panels(G, H, K, w, ldw, pan)
#define LSP_ARGS int32_t n = 2, H = 3, K = 3, j0 = 0, j1 = 3, ldgx = 16, ldhp = 16, ldc = 16, ldh = 16, ldy = 16; \
  const float *pan = VB[0], *gx = VB[1], *bi = VB[2], *bh = VB[3], *hp = VB[4]; \
  float *c = VB[5], *h = VB[6], *y = VB[7]
#define LSP_CALL mklrnn_lstm_step_panels(n, H, K, j0, j1, pan, gx, ldgx, bi, bh, hp, ldhp, c, ldc, h, ldh, y, ldy)
#define GSP_ARGS int32_t n = 2, H = 3, K = 3, j0 = 0, j1 = 3, ldgx = 16, ldhp = 16, ldh = 16, ldy = 16; \
  const float *pan = VB[0], *gx = VB[1], *bi = VB[2], *bh = VB[3], *hp = VB[4]; float *h = VB[6], *y = VB[7]
#define GSP_CALL mklrnn_gru_step_panels(n, H, K, j0, j1, pan, gx, ldgx, bi, bh, hp, ldhp, h, ldh, y, ldy)
#define RSP_ARGS int32_t act = 0, n = 2, H = 3, K = 3, j0 = 0, j1 = 3, ldgx = 16, ldhp = 16, ldh = 16, ldy = 16; \
  const float *pan = VB[0], *gx = VB[1], *bi = VB[2], *bh = VB[3], *hp = VB[4]; float *h = VB[6], *y = VB[7]
#define RSP_CALL mklrnn_rnn_step_panels(act, n, H, K, j0, j1, pan, gx, ldgx, bi, bh, hp, ldhp, h, ldh, y, ldy)

/* The checks shared by the three step functions (F = LSP, GSP, RSP; W = gx's width G*H). */
#define STEP_CHECKS(F, W)                                            \
  DIM_CHECKS(F);                                                     \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, K = 0);                       \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, K = -3);                      \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j0 = -8);                     \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j0 = 1);                      \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j0 = 2, j1 = 3);              \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j0 = 8);                      \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j0 = 8, j1 = 8);              \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j1 = -1);                     \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, j1 = 4);                      \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK_UNTOUCHED, j1 = 0);             \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK, j1 = 1);                       \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, pan = NULL);                  \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, gx = NULL);                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, ldgx = (W) - 1);              \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK, ldgx = (W));                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, bi = NULL);                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, bh = NULL);                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, hp = NULL);                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, ldhp = K - 1);                \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK, ldhp = K, ldh = H, ldy = H);   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, h = NULL);                    \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, ldh = H - 1);                 \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, ldy = H - 1);                 \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK, y = NULL, ldy = -1);           \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, h = VB[4]);                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, y = VB[4]);                   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, H = 1 << 30, j1 = 0) /* G*H overflows int32 */

/* The checks shared by every function with (n, H) dimensions. */
#define DIM_CHECKS(F)                                     \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK, );                  \
  VCHECK(F##_ARGS, F##_CALL, WANT_OK_UNTOUCHED, n = 0);   \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, n = -1);           \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, H = 0);            \
  VCHECK(F##_ARGS, F##_CALL, WANT_BAD, H = -3)

static void run_validation_tests(void) {
  stat_begin("argument validation", "cases = calls checked");
  snprintf(g_ctx, sizeof g_ctx, "public API");
  for (int b = 0; b < VB_N; ++b)
    for (int i = 0; i < VB_LEN; ++i) VB[b][i] = (float)urand(-1, 1);

  DIM_CHECKS(RNNF);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_OK, act = MKLRNN_ACT_RELU);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, act = 2);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, act = -1);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, g = NULL);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, ldg = H - 1);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, bi = NULL);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, bh = NULL);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, h = NULL);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, ldh = H - 1);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_BAD, ldy = H - 1);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_OK, y = NULL, ldy = 0);
  VCHECK(RNNF_ARGS, RNNF_CALL, WANT_OK, ldg = H, ldh = H, ldy = H);

  DIM_CHECKS(RNNB);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, act = 7);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, h = NULL);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, ldh = 2);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, dh = NULL);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, lddh = 2);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, lddy = 2);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_OK, dy = NULL, lddy = -5);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, dg = NULL);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, lddg = 2);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_OK, dg = VB[1]);
  VCHECK(RNNB_ARGS, RNNB_CALL, WANT_BAD, dg = VB[1], lddg = 15);

  DIM_CHECKS(LF);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, g = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, ldg = 4 * H - 1);
  VCHECK(LF_ARGS, LF_CALL, WANT_OK, ldg = 4 * H);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, bi = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, bh = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_OK, pp = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, cp = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, ldcp = 2);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, c = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, ldc = 2);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, h = NULL);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, ldh = 2);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, ldy = 2);
  VCHECK(LF_ARGS, LF_CALL, WANT_OK, y = NULL, ldy = 0);
  VCHECK(LF_ARGS, LF_CALL, WANT_OK, c = VB[4]);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, c = VB[4], ldc = 17);
  VCHECK(LF_ARGS, LF_CALL, WANT_BAD, H = 1 << 29); /* 4H overflows int32: no ld can hold it */

  DIM_CHECKS(LB);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, g = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, ldg = 11);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, pp = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, dpp = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_OK, pp = NULL, dpp = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, cp = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, ldcp = 2);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, c = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, ldc = 2);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, dh = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, lddh = 2);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, lddy = 2);
  VCHECK(LB_ARGS, LB_CALL, WANT_OK, dy = NULL, lddy = 0);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, dc = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, lddc = 2);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, dg = NULL);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, lddg = 11);
  VCHECK(LB_ARGS, LB_CALL, WANT_OK, dg = VB[0]);
  VCHECK(LB_ARGS, LB_CALL, WANT_BAD, dg = VB[0], lddg = 12);

  DIM_CHECKS(GF);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, gx = NULL);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, ldgx = 8);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, gh = NULL);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, ldgh = 8);
  VCHECK(GF_ARGS, GF_CALL, WANT_OK, ldgx = 9, ldgh = 9);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, bi = NULL);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, bh = NULL);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, hp = NULL);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, ldhp = 2);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, h = NULL);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, ldh = 2);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, ldy = 2);
  VCHECK(GF_ARGS, GF_CALL, WANT_OK, y = NULL, ldy = 0);
  VCHECK(GF_ARGS, GF_CALL, WANT_OK, h = VB[4]);
  VCHECK(GF_ARGS, GF_CALL, WANT_BAD, h = VB[4], ldh = 20);

  DIM_CHECKS(GB);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, gx = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, ldgx = 8);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, gh = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, ldgh = 8);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, hp = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, ldhp = 2);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dh = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, lddh = 2);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, lddy = 2);
  VCHECK(GB_ARGS, GB_CALL, WANT_OK, dy = NULL, lddy = 0);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dgx = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, lddgx = 8);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dgh = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, lddgh = 8);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dhp = NULL);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, lddhp = 2);
  VCHECK(GB_ARGS, GB_CALL, WANT_OK, dgx = VB[0], dgh = VB[1], dhp = VB[3]);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dgx = VB[0], lddgx = 10);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dgh = VB[1], lddgh = 10);
  VCHECK(GB_ARGS, GB_CALL, WANT_BAD, dhp = VB[3], lddhp = 10);

  DIM_CHECKS(G0FG);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, gx = NULL);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, ldgx = 8);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, ghrz = NULL);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, ldghrz = 5);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_OK, ldghrz = 6);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, bi = NULL);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, bh = NULL);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, hp = NULL);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, ldhp = 2);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, rh = NULL);
  VCHECK(G0FG_ARGS, G0FG_CALL, WANT_BAD, ldrh = 2);

  DIM_CHECKS(G0FS);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, gx = NULL);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, ldgx = 8);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, ghn = NULL);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, ldghn = 2);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, bi = NULL);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, bh = NULL);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, hp = NULL);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, ldhp = 2);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, h = NULL);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, ldh = 2);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, ldy = 2);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_OK, y = NULL, ldy = 0);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_OK, h = VB[4]);
  VCHECK(G0FS_ARGS, G0FS_CALL, WANT_BAD, h = VB[4], ldh = 3);

  DIM_CHECKS(G0BS);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, gx = NULL);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, ldgx = 8);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, hp = NULL);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, ldhp = 2);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, dh = NULL);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, lddh = 2);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, lddy = 2);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_OK, dy = NULL, lddy = 0);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, dgx = NULL);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, lddgx = 8);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, dhp = NULL);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, lddhp = 2);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_OK, dgx = VB[0], dhp = VB[2]);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, dgx = VB[0], lddgx = 9);
  VCHECK(G0BS_ARGS, G0BS_CALL, WANT_BAD, dhp = VB[2], lddhp = 9);

  DIM_CHECKS(G0BG);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, gx = NULL);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, ldgx = 8);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, hp = NULL);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, ldhp = 2);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, drh = NULL);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, lddrh = 2);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, dgx = NULL);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, lddgx = 8);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, dhp = NULL);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, lddhp = 2);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_OK, dgx = VB[0]);
  VCHECK(G0BG_ARGS, G0BG_CALL, WANT_BAD, dgx = VB[0], lddgx = 12);

  VCHECK(SR_ARGS, SR_CALL, WANT_OK, );
  VCHECK(SR_ARGS, SR_CALL, WANT_OK_UNTOUCHED, n = 0);
  VCHECK(SR_ARGS, SR_CALL, WANT_OK, lda = k);
  VCHECK(SR_ARGS, SR_CALL, WANT_BAD, n = -1);
  VCHECK(SR_ARGS, SR_CALL, WANT_BAD, k = 0);
  VCHECK(SR_ARGS, SR_CALL, WANT_BAD, lda = k - 1);
  VCHECK(SR_ARGS, SR_CALL, WANT_BAD, a = NULL);
  VCHECK(SR_ARGS, SR_CALL, WANT_BAD, out = NULL);

  VCHECK(PK_ARGS, PK_CALL, WANT_OK, );
  VCHECK(PK_ARGS, PK_CALL, WANT_OK, ldw = K);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, G = 0);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, H = 0);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, K = 0);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, K = -1);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, ldw = K - 1);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, w = NULL);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, pan = NULL);
  VCHECK(PK_ARGS, PK_CALL, WANT_BAD, G = INT32_MAX, H = INT32_MAX, K = INT32_MAX, ldw = INT32_MAX);

  STEP_CHECKS(LSP, 4 * H);
  VCHECK(LSP_ARGS, LSP_CALL, WANT_OK, K = 2, ldhp = 2); /* a projection: K = P != H */
  VCHECK(LSP_ARGS, LSP_CALL, WANT_BAD, c = NULL);
  VCHECK(LSP_ARGS, LSP_CALL, WANT_BAD, ldc = H - 1);
  VCHECK(LSP_ARGS, LSP_CALL, WANT_BAD, c = VB[4]);
  STEP_CHECKS(GSP, 3 * H);
  VCHECK(GSP_ARGS, GSP_CALL, WANT_BAD, K = 2);
  STEP_CHECKS(RSP, H);
  VCHECK(RSP_ARGS, RSP_CALL, WANT_BAD, K = 2);
  VCHECK(RSP_ARGS, RSP_CALL, WANT_OK, act = MKLRNN_ACT_RELU);
  VCHECK(RSP_ARGS, RSP_CALL, WANT_BAD, act = 2);
  VCHECK(RSP_ARGS, RSP_CALL, WANT_BAD, act = -1);

  g_stat.cases++;
  if (mklrnn_abi_version() != MKLRNN_ABI_VERSION) failf("abi version %d", (int)mklrnn_abi_version());
  stat_end();
}

/* ---------------------------------------------------------------- kernel threads -------- */

static void* read_kernel_threads(void* out) {
  *(int32_t*)out = mklrnn_get_kernel_threads();
  return NULL;
}

/* mklrnn_run_team: each team thread marks its slot once and sees the team size it is told. */
typedef struct {
  int32_t calls[8];
  int32_t sizes[8];
} TeamRecord;

static void record_team(int32_t thread, int32_t threads, void* state) {
  TeamRecord* r = (TeamRecord*)state;
  if (thread >= 0 && thread < 8) {
    __atomic_add_fetch(&r->calls[thread], 1, __ATOMIC_RELAXED);
    r->sizes[thread] = threads;
  }
}

static void run_team_tests(void) {
  stat_begin("run_team", "job once per team thread; bad arguments run nothing");
  snprintf(g_ctx, sizeof g_ctx, "run_team");
  for (int32_t want = 1; want <= 2; ++want) {
    TeamRecord r;
    memset(&r, 0, sizeof r);
    const int32_t granted = mklrnn_run_team(want, record_team, &r);
    g_stat.cases++;
    if (granted < 1 || granted > want) failf("run_team(%d) granted %d", want, granted);
    for (int32_t t = 0; t < 8; ++t) {
      g_stat.cases++;
      const int32_t expected = t < granted ? 1 : 0;
      if (r.calls[t] != expected) failf("run_team(%d): thread %d ran %d times, want %d", want, t, r.calls[t], expected);
      if (expected && r.sizes[t] != granted) failf("run_team(%d): thread %d saw %d threads, team %d", want, t, r.sizes[t], granted);
    }
  }
  TeamRecord r;
  memset(&r, 0, sizeof r);
  g_stat.cases += 3;
  if (mklrnn_run_team(2, NULL, &r) != 0) failf("null job not refused");
  if (mklrnn_run_team(0, record_team, &r) != 0) failf("0 threads not refused");
  if (r.calls[0] != 0) failf("a refused call ran the job");
  stat_end();
}

/* Bitwise equality of two whole allocations, guards and padding included. */
static void same_bits(const char* what, const Mat* a, const Mat* b) {
  g_stat.cases++;
  if (memcmp(a->mem, b->mem, a->len * sizeof(float)) != 0) failf("%s differs between 1 and 3 kernel threads", what);
}

/* Splitting rows over kernel threads must give exactly the single-thread result (rows are
 * independent) and write nothing outside the block. n = 67 rows over 3 threads: uneven pieces. */
static void run_thread_tests(void) {
  stat_begin("kernel threads", "bitwise equal to 1 thread; thread-local setting");
  snprintf(g_ctx, sizeof g_ctx, "threads");
  /* the setting: clamped, returned, thread-local with default 1 */
  int32_t prev = mklrnn_set_kernel_threads(0);
  g_stat.cases += 3;
  if (prev != 1 || mklrnn_get_kernel_threads() != 1) failf("default / clamp: prev %d now %d", prev, mklrnn_get_kernel_threads());
  mklrnn_set_kernel_threads(4);
  int32_t other = -1;
  pthread_t th;
  if (pthread_create(&th, NULL, read_kernel_threads, &other) != 0) exit(2);
  pthread_join(th, NULL);
  if (other != 1) failf("a new thread sees %d kernel threads, want 1", other);
  if (mklrnn_set_kernel_threads(1) != 4) failf("set did not return the previous value 4");

  const int n = 67, H = 250;
  Mat bi = R(1, 4 * H, 0), bh = R(1, 4 * H, 0);
  const float* pb = bi.p;
  const float* ph = bh.p;
  /* LSTM forward then backward */
  {
    Mat g0 = R(n, 4 * H, 3), cp = R(n, H, 1), c0 = mat_new(n, H, H + 2), h0 = mat_new(n, H, H), y0 = mat_new(n, H, H + 5);
    Mat g1 = mat_clone(&g0), c1 = mat_clone(&c0), h1 = mat_clone(&h0), y1 = mat_clone(&y0);
    mklrnn_lstm_forward(n, H, g0.p, g0.ld, pb, ph, NULL, cp.p, cp.ld, c0.p, c0.ld, h0.p, h0.ld, y0.p, y0.ld);
    mklrnn_set_kernel_threads(3);
    mklrnn_lstm_forward(n, H, g1.p, g1.ld, pb, ph, NULL, cp.p, cp.ld, c1.p, c1.ld, h1.p, h1.ld, y1.p, y1.ld);
    mklrnn_set_kernel_threads(1);
    same_bits("lstm_forward gates", &g0, &g1);
    same_bits("lstm_forward c", &c0, &c1);
    same_bits("lstm_forward h", &h0, &h1);
    same_bits("lstm_forward y", &y0, &y1);
    Mat dh = R(n, H, 2), dy = R(n, H, 0), dc0 = R(n, H, 1), dg0 = mat_new(n, 4 * H, 4 * H);
    Mat dc1 = mat_clone(&dc0), dg1 = mat_clone(&dg0);
    mklrnn_lstm_backward(n, H, g0.p, g0.ld, NULL, cp.p, cp.ld, c0.p, c0.ld, dh.p, dh.ld, dy.p, dy.ld, dc0.p, dc0.ld, dg0.p, dg0.ld, NULL);
    mklrnn_set_kernel_threads(3);
    mklrnn_lstm_backward(n, H, g0.p, g0.ld, NULL, cp.p, cp.ld, c0.p, c0.ld, dh.p, dh.ld, dy.p, dy.ld, dc1.p, dc1.ld, dg1.p, dg1.ld, NULL);
    mklrnn_set_kernel_threads(1);
    same_bits("lstm_backward dc", &dc0, &dc1);
    same_bits("lstm_backward dgates", &dg0, &dg1);
  }
  /* GRU forward then backward */
  {
    Mat gx0 = R(n, 3 * H, 0), gh0 = R(n, 3 * H, 2), hp = R(n, H, 0), h0 = mat_new(n, H, H + 1);
    Mat gx1 = mat_clone(&gx0), gh1 = mat_clone(&gh0), h1 = mat_clone(&h0);
    mklrnn_gru_forward(n, H, gx0.p, gx0.ld, gh0.p, gh0.ld, pb, ph, hp.p, hp.ld, h0.p, h0.ld, NULL, 0);
    mklrnn_set_kernel_threads(3);
    mklrnn_gru_forward(n, H, gx1.p, gx1.ld, gh1.p, gh1.ld, pb, ph, hp.p, hp.ld, h1.p, h1.ld, NULL, 0);
    mklrnn_set_kernel_threads(1);
    same_bits("gru_forward gx", &gx0, &gx1);
    same_bits("gru_forward gh", &gh0, &gh1);
    same_bits("gru_forward h", &h0, &h1);
    Mat dh = R(n, H, 0), dgx0 = mat_new(n, 3 * H, 3 * H), dgh0 = mat_new(n, 3 * H, 3 * H + 1), dhp0 = mat_new(n, H, H);
    Mat dgx1 = mat_clone(&dgx0), dgh1 = mat_clone(&dgh0), dhp1 = mat_clone(&dhp0);
    mklrnn_gru_backward(n, H, gx0.p, gx0.ld, gh0.p, gh0.ld, hp.p, hp.ld, dh.p, dh.ld, NULL, 0, dgx0.p, dgx0.ld, dgh0.p, dgh0.ld, dhp0.p, dhp0.ld);
    mklrnn_set_kernel_threads(3);
    mklrnn_gru_backward(n, H, gx0.p, gx0.ld, gh0.p, gh0.ld, hp.p, hp.ld, dh.p, dh.ld, NULL, 0, dgx1.p, dgx1.ld, dgh1.p, dgh1.ld, dhp1.p, dhp1.ld);
    mklrnn_set_kernel_threads(1);
    same_bits("gru_backward dgx", &dgx0, &dgx1);
    same_bits("gru_backward dgh", &dgh0, &dgh1);
    same_bits("gru_backward dh_prev", &dhp0, &dhp1);
  }
  /* vanilla RNN: one gate, so n * H must pass the threshold by itself */
  {
    const int Hr = 260;
    Mat g = R(n, Hr, 1), h0 = mat_new(n, Hr, Hr), h1 = mat_clone(&h0);
    mklrnn_rnn_forward(MKLRNN_ACT_TANH, n, Hr, g.p, g.ld, pb, ph, h0.p, h0.ld, NULL, 0);
    mklrnn_set_kernel_threads(3);
    mklrnn_rnn_forward(MKLRNN_ACT_TANH, n, Hr, g.p, g.ld, pb, ph, h1.p, h1.ld, NULL, 0);
    mklrnn_set_kernel_threads(1);
    same_bits("rnn_forward h", &h0, &h1);
  }
  /* column sums: split by columns, k not a multiple of the 16-float pieces */
  {
    const int k = 4 * H + 5;
    Mat a = R(n, k, 3), s0 = R(1, k, 0), s1 = mat_clone(&s0);
    mklrnn_sum_rows(n, k, a.p, a.ld, s0.p);
    mklrnn_set_kernel_threads(3);
    mklrnn_sum_rows(n, k, a.p, a.ld, s1.p);
    mklrnn_set_kernel_threads(1);
    same_bits("sum_rows", &s0, &s1);
  }
  mats_free();
  stat_end();
}

/* ---------------------------------------------------------------- vector math ----------- */

#if MKLRNN_HAVE_AVX2_KERNELS
static float scalar_tanh(float x) { return tanhf(x); }

/* Runs the AVX2 function over xs and compares with the libm reference; returns max abs err
 * (relative error for exp) and checks range/NaN rules. */
typedef struct {
  const char* name;
  void (*vec)(int32_t, const float*, float*);
  float (*ref)(float);
  int is_exp;
} VFun;

static void vm_check(const VFun* f, const float* xs, float* ys, int32_t cnt, double* max_vs_libm,
                     double* max_vs_double) {
  f->vec(cnt, xs, ys);
  for (int32_t i = 0; i < cnt; ++i) {
    const float x = xs[i], y = ys[i], r = f->ref(x);
    if (isnan(x)) {
      if (!isnan(y)) failf("%s(NaN) = %.9g, want NaN", f->name, y);
      continue;
    }
    if (isnan(y)) {
      failf("%s(%.9g) = NaN", f->name, x);
      continue;
    }
    double e, ed;
    if (f->is_exp) {
      /* the vector exp clamps its input to [-87, 88] (so 2^n is a normal float): compare with
       * e^clamp(x), relative error (every such result is a normal float) */
      const float xc = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
      const double rc = expf(xc), d = exp((double)xc);
      e = fabs((double)y - rc) / rc;
      ed = fabs((double)y - d) / d;
      (void)r;
      if (e / 4e-7 > g_stat.max_tol) g_stat.max_tol = e / 4e-7;
      if (e > 4e-7) failf("exp(%.9g) = %.9g, libm %.9g (rel %.3g)", x, y, r, e);
      if (y < 0) failf("exp(%.9g) = %.9g < 0", x, y);
    } else {
      e = fabs((double)y - r);
      double d = f->ref == mklrnn_scalar_sigmoid ? 1.0 / (1.0 + exp(-(double)x)) : tanh((double)x);
      ed = fabs((double)y - d);
      if (e / 3e-7 > g_stat.max_tol) g_stat.max_tol = e / 3e-7; /* 2-3 ulp near 1: the fast exp + division */
      if (e > 3e-7) failf("%s(%.9g) = %.9g, libm %.9g (err %.3g)", f->name, x, y, r, e);
      const float lo = f->ref == mklrnn_scalar_sigmoid ? 0.0f : -1.0f;
      if (!(y >= lo && y <= 1.0f)) failf("%s(%.9g) = %.9g out of range", f->name, x, y);
    }
    /* and against the exact (double) value: the bound the engine's accuracy rests on */
    if (ed > (f->is_exp ? 4e-7 : 3e-7)) failf("%s(%.9g) = %.9g: error %.3g vs double", f->name, x, y, ed);
    if (e > *max_vs_libm) *max_vs_libm = e;
    if (ed > *max_vs_double) *max_vs_double = ed;
  }
  g_stat.cases += cnt;
}

/* One ISA's vector math: the array hooks of kernels_avx2.c or kernels_avx512.c. */
typedef struct {
  const char* isa;
  void (*vexp)(int32_t, const float*, float*);
  void (*vsigmoid)(int32_t, const float*, float*);
  void (*vtanh)(int32_t, const float*, float*);
} VMath;

static void run_vmath_tests(const VMath* m) {
  const VFun funs[3] = {{"exp", m->vexp, expf, 1},
                        {"sigmoid", m->vsigmoid, mklrnn_scalar_sigmoid, 0},
                        {"tanh", m->vtanh, scalar_tanh, 0}};
  const int32_t CH = 4099; /* odd chunk: exercises the vector tail */
  float* xs = malloc(CH * sizeof(float));
  float* ys = malloc(CH * sizeof(float));
  if (!xs || !ys) exit(2);
  for (int fi = 0; fi < 3; ++fi) {
    const VFun* f = &funs[fi];
    char name[64];
    snprintf(name, sizeof name, "vmath %s %s", m->isa, f->name);
    stat_begin(name, fi == 0 ? "max_abs_err = rel err vs expf; max_rel = vs double" :
                               "max_abs_err = abs err vs libm formula; max_rel = vs double");
    snprintf(g_ctx, sizeof g_ctx, "%s", m->isa);
    double m_libm = 0, m_dbl = 0;
    /* 1. every k-th float bit pattern: all magnitudes, both signs, NaNs, infinities */
    const uint64_t step = g_quick ? 1000003u : 65537u;
    int32_t cnt = 0;
    for (uint64_t u = 0; u < (1ull << 32); u += step) {
      uint32_t b = (uint32_t)u;
      memcpy(&xs[cnt], &b, sizeof b);
      if (++cnt == CH) vm_check(f, xs, ys, cnt, &m_libm, &m_dbl), cnt = 0;
    }
    /* 2. a dense grid where the functions are not saturated */
    const double lo = -20, hi = 20, dx = g_quick ? 1e-2 : 2e-5;
    for (double x = lo; x <= hi; x += dx) {
      xs[cnt] = (float)x;
      if (++cnt == CH) vm_check(f, xs, ys, cnt, &m_libm, &m_dbl), cnt = 0;
    }
    /* 3. around the branch and clamp points */
    static const float pts[] = {0.0f, 0.625f, 9.0f, 10.0f, 17.0f, 87.0f, 87.33f, 88.0f, 88.37f, 88.72f, 89.0f, 104.0f};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; ++i)
      for (int s = -1; s <= 1; s += 2) {
        float x = pts[i] * (float)s;
        for (int k = 0; k < 64; ++k) {
          xs[cnt] = x;
          x = nextafterf(x, INFINITY);
          if (++cnt == CH) vm_check(f, xs, ys, cnt, &m_libm, &m_dbl), cnt = 0;
        }
      }
    if (cnt) vm_check(f, xs, ys, cnt, &m_libm, &m_dbl);
    g_stat.max_err = m_libm;
    g_stat.max_rel = m_dbl;
    stat_end();
  }

  /* Exact saturation and specials. */
  char sat_name[64];
  snprintf(sat_name, sizeof sat_name, "vmath %s saturation/NaN", m->isa);
  stat_begin(sat_name, "exact values");
  static const float big[] = {10.0f, 17.0f, 20.0f, 89.0f, 100.0f, 1e4f, 1e30f, FLT_MAX, INFINITY};
  const int nb = (int)(sizeof big / sizeof big[0]);
  float x[2 * 9 + 4], e[2 * 9 + 4], s[2 * 9 + 4], t[2 * 9 + 4];
  for (int i = 0; i < nb; ++i) x[i] = big[i], x[nb + i] = -big[i];
  x[2 * nb] = NAN, x[2 * nb + 1] = -NAN;
  {
    uint32_t b = 0x7FC12345u, c = 0xFF800001u; /* quiet NaN with payload, signalling negative NaN */
    memcpy(&x[2 * nb + 2], &b, 4);
    memcpy(&x[2 * nb + 3], &c, 4);
  }
  const int nx = 2 * nb + 4;
  m->vexp(nx, x, e);
  m->vsigmoid(nx, x, s);
  m->vtanh(nx, x, t);
  for (int i = 0; i < nb; ++i) {
    g_stat.cases += 4;
    if (t[i] != 1.0f) failf("tanh(%g) = %.9g, want 1", x[i], t[i]);
    if (t[nb + i] != -1.0f) failf("tanh(%g) = %.9g, want -1", x[nb + i], t[nb + i]);
    if (x[i] >= 17.0f && s[i] != 1.0f) failf("sigmoid(%g) = %.9g, want 1", x[i], s[i]);
    if (x[i] >= 89.0f && s[nb + i] != 0.0f) failf("sigmoid(%g) = %.9g, want 0", x[nb + i], s[nb + i]);
    /* exp saturates at e^88 and e^-87 (finite, normal), also for infinite inputs */
    if (x[i] >= 89.0f && !(e[i] > 1.6e38f && e[i] <= FLT_MAX)) failf("exp(%g) = %.9g, want e^88", x[i], e[i]);
    if (x[i] >= 89.0f && !(e[nb + i] >= FLT_MIN && e[nb + i] < 1.7e-38f)) failf("exp(%g) = %.9g, want e^-87", x[nb + i], e[nb + i]);
  }
  for (int i = 2 * nb; i < nx; ++i) {
    g_stat.cases += 3;
    if (!isnan(e[i]) || !isnan(s[i]) || !isnan(t[i])) failf("NaN in: exp %g sigmoid %g tanh %g", e[i], s[i], t[i]);
  }
  {
    float z[2] = {0.0f, -0.0f}, tz[2], sz[2], ez[2];
    m->vtanh(2, z, tz);
    m->vsigmoid(2, z, sz);
    m->vexp(2, z, ez);
    g_stat.cases += 3;
    if (tz[0] != 0.0f || tz[1] != 0.0f || !signbit(tz[1])) failf("tanh(+-0) = %g %g", tz[0], tz[1]);
    if (sz[0] != 0.5f || sz[1] != 0.5f) failf("sigmoid(0) = %.9g", sz[0]);
    if (ez[0] != 1.0f || ez[1] != 1.0f) failf("exp(0) = %.9g", ez[0]);
  }
  stat_end();
  free(xs);
  free(ys);
}
#endif

/* ---------------------------------------------------------------- main ------------------ */

static int env_set(const char* name) {
  const char* v = getenv(name);
  return v != NULL && strcmp(v, "1") == 0;
}

int main(int argc, char** argv) {
  int expect_scalar = 0, expect_avx2 = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
    else if (strcmp(argv[i], "--expect-scalar") == 0) expect_scalar = 1;
    else if (strcmp(argv[i], "--expect-avx2") == 0) expect_avx2 = 1;
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) g_rng += strtoull(argv[++i], NULL, 10) * 0x9E3779B97F4A7C15ull;
    else {
      fprintf(stderr, "usage: %s [--quick] [--expect-scalar] [--expect-avx2] [--seed N]\n", argv[0]);
      return 2;
    }
  }
#if MKLRNN_HAVE_AVX2_KERNELS
  __builtin_cpu_init();
  g_cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if MKLRNN_HAVE_AVX512_KERNELS
  g_cpu_avx512 = g_cpu_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
  impls_init();
  printf("test_kernels: cpu avx2+fma=%d avx512=%d, dispatch isa=%d uses_avx2=%d, implementations:", g_cpu_avx2,
         g_cpu_avx512, (int)mklrnn_isa(), (int)mklrnn_uses_avx2());
  for (int k = 0; k < g_nimpl; ++k) printf(" %s", g_impl[k]->name);
  printf("%s\n", g_quick ? " (quick)" : "");

  stat_begin("dispatch path", "uses_avx2 as expected");
  g_stat.cases++;
  snprintf(g_ctx, sizeof g_ctx, "dispatch");
  const char* force = getenv("MKLRNN_FORCE_SCALAR");
  const int forced = force != NULL && strcmp(force, "1") == 0;
  if (expect_scalar && !forced) failf("--expect-scalar without MKLRNN_FORCE_SCALAR=1");
  const int want = forced ? 0 : (MKLRNN_HAVE_AVX2_KERNELS && g_cpu_avx2);
  if (mklrnn_uses_avx2() != want) failf("mklrnn_uses_avx2() = %d, want %d", (int)mklrnn_uses_avx2(), want);
  /* the ISA: the best the CPU has, capped by MKLRNN_FORCE_AVX2 / MKLRNN_FORCE_SCALAR */
  const int capped = env_set("MKLRNN_FORCE_AVX2");
  if (expect_avx2 && !capped) failf("--expect-avx2 without MKLRNN_FORCE_AVX2=1");
  const int want_isa = forced ? MKLRNN_ISA_SCALAR
                       : g_cpu_avx512 && !capped ? MKLRNN_ISA_AVX512
                       : (MKLRNN_HAVE_AVX2_KERNELS && g_cpu_avx2) ? MKLRNN_ISA_AVX2 : MKLRNN_ISA_SCALAR;
  g_stat.cases++;
  if (mklrnn_isa() != want_isa) failf("mklrnn_isa() = %d, want %d", (int)mklrnn_isa(), want_isa);
  stat_end();

  run_kernel_tests();
  run_step_tests();
  run_fd_tests();
  run_validation_tests();
  run_thread_tests();
  run_team_tests();
#if MKLRNN_HAVE_AVX2_KERNELS
  static const VMath avx2 = {"avx2", mklrnn_avx2_vexp, mklrnn_avx2_vsigmoid, mklrnn_avx2_vtanh};
  if (g_cpu_avx2) run_vmath_tests(&avx2);
#endif
#if MKLRNN_HAVE_AVX512_KERNELS
  static const VMath avx512 = {"avx512", mklrnn_avx512_vexp, mklrnn_avx512_vsigmoid, mklrnn_avx512_vtanh};
  if (g_cpu_avx512) run_vmath_tests(&avx512);
#endif
  printf("test_kernels: %s\n", g_any_fail ? "FAILED" : "all passed");
  return g_any_fail ? 1 : 0;
}

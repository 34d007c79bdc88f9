/* kernels_avx2.c -- AVX2+FMA versions of the gate kernels (same contracts as kernels_scalar.c).
 * Compiled without global -m flags: each function carries target("avx2,fma"), so the library
 * still loads on older CPUs, where dispatch.c never calls these. 8 columns per step, masked tail.
 * The row-wise kernels come from kernels_rows.inc (shared with the AVX-512 build); the fused
 * small-batch step kernels and sum_rows are AVX2 only (the AVX-512 path uses them too). */
#include <stddef.h>

#include "kernels.h"

#if MKLRNN_HAVE_AVX2_KERNELS
#include "vmath_avx2.h"

/* Loads / stores cnt (1..8) floats. The row loops call the blocks with a constant 8, so after
 * inlining the full blocks are plain unaligned accesses; only the tail (H % 8 columns) goes
 * through a stack copy, which never touches memory past the row. */
MKLRNN_AVX2_INLINE __m256 ld8(const float* p, int cnt) {
  if (cnt == 8) return _mm256_loadu_ps(p);
  float t[8] = {0};
  for (int k = 0; k < cnt; ++k) t[k] = p[k];
  return _mm256_loadu_ps(t);
}

MKLRNN_AVX2_INLINE void st8(float* p, __m256 v, int cnt) {
  if (cnt == 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  float t[8];
  _mm256_storeu_ps(t, v);
  for (int k = 0; k < cnt; ++k) p[k] = t[k];
}

/* The vector vocabulary of kernels_rows.inc, 8 lanes. */
#define vf __m256
#define VW 8
#define KFN(name) mklrnn_avx2_##name
#define KATTR MKLRNN_AVX2
#define KINLINE MKLRNN_AVX2_INLINE
#define vld ld8
#define vst st8
#define v_add _mm256_add_ps
#define v_sub _mm256_sub_ps
#define v_mul _mm256_mul_ps
#define v_fmadd _mm256_fmadd_ps
#define v_fnmadd _mm256_fnmadd_ps
#define v_max _mm256_max_ps
#define v_zero _mm256_setzero_ps
#define ONE _mm256_set1_ps(1.0f)
#define v_where_positive(h, d) _mm256_and_ps(_mm256_cmp_ps((h), _mm256_setzero_ps(), _CMP_GT_OQ), (d))

#include "kernels_rows.inc"

#define ROW(p, r, ld) ((p) + (ptrdiff_t)(r) * (ld))
#define FOR_BLOCKS(H, BLOCK)                        \
  do {                                              \
    int32_t j_ = 0;                                 \
    for (; j_ + 8 <= (H); j_ += 8) BLOCK(j_, 8);    \
    if (j_ < (H)) BLOCK(j_, (H) - j_);              \
  } while (0)
/* ---------------------------------------------------------------- helpers --------------- */

MKLRNN_AVX2 void mklrnn_avx2_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out) {
  /* Row-outer, like the scalar version (so per column the same addition order): rows are read
   * sequentially and out (k floats) stays in L1. Column-outer loops over many rows with a row
   * stride defeat the prefetchers (6.5 GB/s measured for a 1600 x 2048 block, against ~20 here). */
  for (int32_t r = 0; r < n; ++r) {
    const float* ar = ROW(a, r, ld_a);
#define BLOCK(j, cnt) st8(out + (j), _mm256_add_ps(ld8(out + (j), cnt), ld8(ar + (j), cnt)), cnt)
    FOR_BLOCKS(k, BLOCK);
#undef BLOCK
  }
}

/* ---------------------------------------------------------------- fused small-batch steps */

/* The recurrent product of one 8-column panel block pb (K, G, 8) with R (1 or 2) rows of h_prev:
 * out[r * G + g] = lanes of (h_prev row r) . (W_hh rows g*H + 8b + lane). G, R and U are constants
 * at every call site, so after inlining the loops unroll and the G*R*U accumulators live in YMM
 * registers. U = k-unroll: U independent accumulator sets (summed at the end) so that G*R*U >= 6..8
 * FMA chains are in flight, enough to cover the FMA latency. Each k: R broadcasts of h_prev[r, k],
 * G panel loads, G*R FMAs, no horizontal sums. */
MKLRNN_AVX2_INLINE void panel_acc(const int G, const int R, const int U, const float* pb, int32_t K,
                                  const float* hp0, const float* hp1, __m256* out) {
  __m256 acc[16];
  for (int a = 0; a < U * R * G; ++a) acc[a] = _mm256_setzero_ps();
  int32_t k = 0;
  for (; k + U <= K; k += U) {
    for (int u = 0; u < U; ++u) {
      const float* pk = pb + ((ptrdiff_t)(k + u) * G) * 8;
      for (int r = 0; r < R; ++r) {
        const __m256 hb = _mm256_broadcast_ss((r == 0 ? hp0 : hp1) + k + u);
        for (int g = 0; g < G; ++g)
          acc[(u * R + r) * G + g] = _mm256_fmadd_ps(hb, _mm256_loadu_ps(pk + g * 8), acc[(u * R + r) * G + g]);
      }
    }
  }
  for (; k < K; ++k) { /* K % U leftover k, into the first set */
    const float* pk = pb + ((ptrdiff_t)k * G) * 8;
    for (int r = 0; r < R; ++r) {
      const __m256 hb = _mm256_broadcast_ss((r == 0 ? hp0 : hp1) + k);
      for (int g = 0; g < G; ++g) acc[r * G + g] = _mm256_fmadd_ps(hb, _mm256_loadu_ps(pk + g * 8), acc[r * G + g]);
    }
  }
  for (int a = 0; a < R * G; ++a) {
    __m256 v = acc[a];
    for (int u = 1; u < U; ++u) v = _mm256_add_ps(v, acc[u * R * G + a]);
    out[a] = v;
  }
}

/* Runs over the 8-column blocks of [j0, j1) (j0 a multiple of 8) and, per block, the rows two at a
 * time (U2 = k-unroll for 2 rows) then a last single row (U1): ROW_UPDATE(r, acc, j, cnt) does the
 * element-wise part of row r from the G accumulators acc[0..G). The partial last block is computed
 * in full (its panel is zero-padded) and ROW_UPDATE stores only cnt columns. */
#define FOR_PANEL_BLOCKS(G, U2, U1, ROW_UPDATE)                                                      \
  do {                                                                                               \
    for (int32_t j = j0; j < j1; j += 8) {                                                           \
      const int cnt = j1 - j < 8 ? j1 - j : 8;                                                       \
      const float* pb = panels + (ptrdiff_t)(j / 8) * K * (G) * 8;                                   \
      __m256 acc[2 * (G)];                                                                           \
      int32_t r = 0;                                                                                 \
      for (; r + 2 <= n; r += 2) {                                                                   \
        panel_acc(G, 2, U2, pb, K, ROW(h_prev, r, ld_hp), ROW(h_prev, r + 1, ld_hp), acc);           \
        ROW_UPDATE(r, acc, j, cnt);                                                                  \
        ROW_UPDATE(r + 1, acc + (G), j, cnt);                                                        \
      }                                                                                              \
      if (r < n) {                                                                                   \
        panel_acc(G, 1, U1, pb, K, ROW(h_prev, r, ld_hp), NULL, acc);                                \
        ROW_UPDATE(r, acc, j, cnt);                                                                  \
      }                                                                                              \
    }                                                                                                \
  } while (0)

MKLRNN_AVX2 void mklrnn_avx2_lstm_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                              const float* panels, const float* gx, int32_t ld_gx,
                                              const float* b_ih, const float* b_hh, const float* h_prev,
                                              int32_t ld_hp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                              float* y, int32_t ld_y) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
/* ((gx + acc) + b_ih) + b_hh, the scalar kernel's order. */
#define PRE(xr, o, a, j, cnt) \
  _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(ld8(xr + (o) + (j), cnt), a), ld8(b_ih + (o) + (j), cnt)), ld8(b_hh + (o) + (j), cnt))
#define LSTM_ROW(r, a, j, cnt)                                                                     \
  do {                                                                                             \
    const float* xr = ROW(gx, r, ld_gx);                                                           \
    float* cr = ROW(c, r, ld_c);                                                                   \
    const __m256 i = v_sigmoid(PRE(xr, oi, (a)[MKLRNN_LSTM_I], j, cnt));                           \
    const __m256 f = v_sigmoid(PRE(xr, of, (a)[MKLRNN_LSTM_F], j, cnt));                           \
    const __m256 g = v_tanh(PRE(xr, og, (a)[MKLRNN_LSTM_G], j, cnt));                              \
    const __m256 o = v_sigmoid(PRE(xr, oo, (a)[MKLRNN_LSTM_O], j, cnt));                           \
    const __m256 cn = _mm256_fmadd_ps(f, ld8(cr + (j), cnt), _mm256_mul_ps(i, g));                 \
    const __m256 hv = _mm256_mul_ps(o, v_tanh(cn));                                                \
    st8(cr + (j), cn, cnt);                                                                        \
    st8(ROW(h, r, ld_h) + (j), hv, cnt);                                                           \
    if (y) st8(ROW(y, r, ld_y) + (j), hv, cnt);                                                    \
  } while (0)
  /* 4 gates: 2 rows x 4 = 8 chains; 1 row x 4 x (k-unroll 2) = 8 chains. */
  FOR_PANEL_BLOCKS(4, 1, 2, LSTM_ROW);
#undef LSTM_ROW
#undef PRE
}

MKLRNN_AVX2 void mklrnn_avx2_gru_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                             const float* panels, const float* gx, int32_t ld_gx,
                                             const float* b_ih, const float* b_hh, const float* h_prev,
                                             int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  const ptrdiff_t on = (ptrdiff_t)MKLRNN_GRU_N * H;
#define GRU_ROW(r, a, j, cnt)                                                                      \
  do {                                                                                             \
    const float* xr = ROW(gx, r, ld_gx);                                                           \
    const __m256 hhr = _mm256_add_ps((a)[MKLRNN_GRU_R], ld8(b_hh + orr + (j), cnt));               \
    const __m256 hhz = _mm256_add_ps((a)[MKLRNN_GRU_Z], ld8(b_hh + oz + (j), cnt));                \
    const __m256 hhn = _mm256_add_ps((a)[MKLRNN_GRU_N], ld8(b_hh + on + (j), cnt));                \
    const __m256 xr_ = _mm256_add_ps(ld8(xr + orr + (j), cnt), ld8(b_ih + orr + (j), cnt));        \
    const __m256 xz_ = _mm256_add_ps(ld8(xr + oz + (j), cnt), ld8(b_ih + oz + (j), cnt));          \
    const __m256 xn_ = _mm256_add_ps(ld8(xr + on + (j), cnt), ld8(b_ih + on + (j), cnt));          \
    const __m256 rg = v_sigmoid(_mm256_add_ps(xr_, hhr));                                          \
    const __m256 zg = v_sigmoid(_mm256_add_ps(xz_, hhz));                                          \
    const __m256 ng = v_tanh(_mm256_fmadd_ps(rg, hhn, xn_));                                       \
    const __m256 hp = ld8(ROW(h_prev, r, ld_hp) + (j), cnt);                                       \
    const __m256 hv = _mm256_fmadd_ps(zg, hp, _mm256_mul_ps(_mm256_sub_ps(ONE, zg), ng));          \
    st8(ROW(h, r, ld_h) + (j), hv, cnt);                                                           \
    if (y) st8(ROW(y, r, ld_y) + (j), hv, cnt);                                                    \
  } while (0)
  /* 3 gates: 2 rows x 3 = 6 chains (a k-unroll of 2 spills); 1 row x 3 x (k-unroll 2) = 6. */
  FOR_PANEL_BLOCKS(3, 1, 2, GRU_ROW);
#undef GRU_ROW
}

MKLRNN_AVX2 void mklrnn_avx2_rnn_step_panels(int32_t act, int32_t n, int32_t H, int32_t K, int32_t j0,
                                             int32_t j1, const float* panels, const float* gx,
                                             int32_t ld_gx, const float* b_ih, const float* b_hh,
                                             const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                             float* y, int32_t ld_y) {
  (void)H;
#define RNN_ROW(r, a, j, cnt)                                                                      \
  do {                                                                                             \
    const float* xr = ROW(gx, r, ld_gx);                                                           \
    __m256 v = _mm256_add_ps(_mm256_add_ps(ld8(xr + (j), cnt), ld8(b_ih + (j), cnt)), (a)[0]);     \
    v = _mm256_add_ps(v, ld8(b_hh + (j), cnt));                                                    \
    /* relu: max(0, v) returns v when v is NaN */                                                  \
    v = act == MKLRNN_ACT_TANH ? v_tanh(v) : _mm256_max_ps(_mm256_setzero_ps(), v);                \
    st8(ROW(h, r, ld_h) + (j), v, cnt);                                                            \
    if (y) st8(ROW(y, r, ld_y) + (j), v, cnt);                                                     \
  } while (0)
  /* 1 gate: 2 rows x (k-unroll 4) = 8 chains; 1 row x 8 = 8. */
  FOR_PANEL_BLOCKS(1, 4, 8, RNN_ROW);
#undef RNN_ROW
}

#undef FOR_PANEL_BLOCKS

#endif /* MKLRNN_HAVE_AVX2_KERNELS */

/* kernels_avx2.c -- AVX2+FMA versions of the gate kernels (same contracts as kernels_scalar.c).
 * Compiled without global -m flags: each function carries target("avx2,fma"), so the library
 * still loads on older CPUs, where dispatch.c never calls these. 8 columns per step, masked tail. */
#include <stddef.h>

#include "kernels.h"

#if MKLRNN_HAVE_AVX2_KERNELS
#include "vmath_avx2.h"

#define ROW(p, r, ld) ((p) + (ptrdiff_t)(r) * (ld))

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

/* Runs BLOCK(j, cnt) over the H columns of one row: full 8-column blocks, then the tail. */
#define FOR_BLOCKS(H, BLOCK)                        \
  do {                                              \
    int32_t j_ = 0;                                 \
    for (; j_ + 8 <= (H); j_ += 8) BLOCK(j_, 8);    \
    if (j_ < (H)) BLOCK(j_, (H) - j_);              \
  } while (0)

#define ONE _mm256_set1_ps(1.0f)

/* (x + b_ih) + b_hh, the scalar kernels' order. */
MKLRNN_AVX2_INLINE __m256 add_bias(const float* x, const float* bi, const float* bh, int cnt) {
  return _mm256_add_ps(_mm256_add_ps(ld8(x, cnt), ld8(bi, cnt)), ld8(bh, cnt));
}

/* s * (1 - s): the derivative of the sigmoid from its output. */
MKLRNN_AVX2_INLINE __m256 dsig(__m256 s) { return _mm256_mul_ps(s, _mm256_sub_ps(ONE, s)); }

/* dh + dy, or dh when dy is absent. */
MKLRNN_AVX2_INLINE __m256 dsum(const float* dh, const float* dy, int cnt) {
  __m256 d = ld8(dh, cnt);
  return dy ? _mm256_add_ps(d, ld8(dy, cnt)) : d;
}

/* ---------------------------------------------------------------- vanilla RNN ----------- */

MKLRNN_AVX2 void mklrnn_avx2_rnn_forward(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,
                                         const float* b_ih, const float* b_hh, float* h, int32_t ld_h,
                                         float* y, int32_t ld_y) {
  for (int32_t r = 0; r < n; ++r) {
    const float* gr = ROW(g, r, ld_g);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
#define BLOCK(j, cnt)                                                                   \
  do {                                                                                  \
    __m256 v = add_bias(gr + (j), b_ih + (j), b_hh + (j), cnt);                         \
    /* relu: max(0, v) returns v when v is NaN */                                       \
    v = act == MKLRNN_ACT_TANH ? v_tanh(v) : _mm256_max_ps(_mm256_setzero_ps(), v);     \
    st8(hr + (j), v, cnt);                                                              \
    if (yr) st8(yr + (j), v, cnt);                                                      \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

MKLRNN_AVX2 void mklrnn_avx2_rnn_backward(int32_t act, int32_t n, int32_t H, const float* h, int32_t ld_h,
                                          const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,
                                          float* dg, int32_t ld_dg) {
  for (int32_t r = 0; r < n; ++r) {
    const float* hr = ROW(h, r, ld_h);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dgr = ROW(dg, r, ld_dg);
#define BLOCK(j, cnt)                                                                         \
  do {                                                                                        \
    __m256 d = dsum(dhr + (j), dyr ? dyr + (j) : NULL, cnt), hv = ld8(hr + (j), cnt);         \
    if (act == MKLRNN_ACT_TANH)                                                               \
      d = _mm256_mul_ps(d, _mm256_fnmadd_ps(hv, hv, ONE));                                    \
    else                                                                                      \
      d = _mm256_and_ps(_mm256_cmp_ps(hv, _mm256_setzero_ps(), _CMP_GT_OQ), d);              \
    st8(dgr + (j), d, cnt);                                                                   \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

/* ---------------------------------------------------------------- LSTM ------------------ */

MKLRNN_AVX2 void mklrnn_avx2_lstm_forward(int32_t n, int32_t H, float* gates, int32_t ld_g,
                                          const float* b_ih, const float* b_hh, const float* peep,
                                          const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c,
                                          float* h, int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
  const float *p_i = peep, *p_f = peep ? peep + H : NULL, *p_o = peep ? peep + 2 * (ptrdiff_t)H : NULL;
  for (int32_t r = 0; r < n; ++r) {
    float* gr = ROW(gates, r, ld_g);
    const float* cpr = ROW(c_prev, r, ld_cp);
    float* cr = ROW(c, r, ld_c);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
#define BLOCK(j, cnt)                                                                       \
  do {                                                                                      \
    const __m256 cp = ld8(cpr + (j), cnt);                                                  \
    __m256 ai = add_bias(gr + oi + (j), b_ih + oi + (j), b_hh + oi + (j), cnt);             \
    __m256 af = add_bias(gr + of + (j), b_ih + of + (j), b_hh + of + (j), cnt);             \
    __m256 ag = add_bias(gr + og + (j), b_ih + og + (j), b_hh + og + (j), cnt);             \
    __m256 ao = add_bias(gr + oo + (j), b_ih + oo + (j), b_hh + oo + (j), cnt);             \
    if (peep) {                                                                             \
      ai = _mm256_fmadd_ps(ld8(p_i + (j), cnt), cp, ai);                                    \
      af = _mm256_fmadd_ps(ld8(p_f + (j), cnt), cp, af);                                    \
    }                                                                                       \
    const __m256 i = v_sigmoid(ai), f = v_sigmoid(af), g = v_tanh(ag);                      \
    const __m256 cn = _mm256_fmadd_ps(f, cp, _mm256_mul_ps(i, g));                          \
    if (peep) ao = _mm256_fmadd_ps(ld8(p_o + (j), cnt), cn, ao); /* sees the new c */       \
    const __m256 o = v_sigmoid(ao);                                                         \
    const __m256 hv = _mm256_mul_ps(o, v_tanh(cn));                                         \
    st8(gr + oi + (j), i, cnt);                                                             \
    st8(gr + of + (j), f, cnt);                                                             \
    st8(gr + og + (j), g, cnt);                                                             \
    st8(gr + oo + (j), o, cnt);                                                             \
    st8(cr + (j), cn, cnt);                                                                 \
    st8(hr + (j), hv, cnt);                                                                 \
    if (yr) st8(yr + (j), hv, cnt);                                                         \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

MKLRNN_AVX2 void mklrnn_avx2_lstm_backward(int32_t n, int32_t H, const float* gates, int32_t ld_g,
                                           const float* peep, const float* c_prev, int32_t ld_cp,
                                           const float* c, int32_t ld_c, const float* dh, int32_t ld_dh,
                                           const float* dy, int32_t ld_dy, float* dc, int32_t ld_dc,
                                           float* dgates, int32_t ld_dg, float* dpeep) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
  const ptrdiff_t H2 = 2 * (ptrdiff_t)H;
  for (int32_t r = 0; r < n; ++r) {
    const float* gr = ROW(gates, r, ld_g);
    const float* cpr = ROW(c_prev, r, ld_cp);
    const float* cr = ROW(c, r, ld_c);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dcr = ROW(dc, r, ld_dc);
    float* dgr = ROW(dgates, r, ld_dg);
#define BLOCK(j, cnt)                                                                        \
  do {                                                                                       \
    /* All loads first: dgates may alias gates. */                                           \
    const __m256 i = ld8(gr + oi + (j), cnt), f = ld8(gr + of + (j), cnt);                   \
    const __m256 g = ld8(gr + og + (j), cnt), o = ld8(gr + oo + (j), cnt);                   \
    const __m256 cp = ld8(cpr + (j), cnt), cn = ld8(cr + (j), cnt);                          \
    const __m256 dht = dsum(dhr + (j), dyr ? dyr + (j) : NULL, cnt);                         \
    const __m256 tc = v_tanh(cn);                                                            \
    const __m256 dao = _mm256_mul_ps(_mm256_mul_ps(dht, tc), dsig(o));                       \
    __m256 dct = _mm256_fmadd_ps(_mm256_mul_ps(dht, o), _mm256_fnmadd_ps(tc, tc, ONE),       \
                                 ld8(dcr + (j), cnt));                                       \
    if (peep) dct = _mm256_fmadd_ps(dao, ld8(peep + H2 + (j), cnt), dct);                    \
    const __m256 dai = _mm256_mul_ps(_mm256_mul_ps(dct, g), dsig(i));                        \
    const __m256 daf = _mm256_mul_ps(_mm256_mul_ps(dct, cp), dsig(f));                       \
    const __m256 dag = _mm256_mul_ps(_mm256_mul_ps(dct, i), _mm256_fnmadd_ps(g, g, ONE));    \
    __m256 dcp = _mm256_mul_ps(dct, f);                                                      \
    if (peep) {                                                                              \
      dcp = _mm256_fmadd_ps(dai, ld8(peep + (j), cnt), dcp);                                 \
      dcp = _mm256_fmadd_ps(daf, ld8(peep + H + (j), cnt), dcp);                             \
      st8(dpeep + (j), _mm256_fmadd_ps(dai, cp, ld8(dpeep + (j), cnt)), cnt);                \
      st8(dpeep + H + (j), _mm256_fmadd_ps(daf, cp, ld8(dpeep + H + (j), cnt)), cnt);        \
      st8(dpeep + H2 + (j), _mm256_fmadd_ps(dao, cn, ld8(dpeep + H2 + (j), cnt)), cnt);      \
    }                                                                                        \
    st8(dcr + (j), dcp, cnt);                                                                \
    st8(dgr + oi + (j), dai, cnt);                                                           \
    st8(dgr + of + (j), daf, cnt);                                                           \
    st8(dgr + og + (j), dag, cnt);                                                           \
    st8(dgr + oo + (j), dao, cnt);                                                           \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

/* ---------------------------------------------------------------- GRU, linear_before_reset = 1 */

MKLRNN_AVX2 void mklrnn_avx2_gru_forward(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,
                                         int32_t ld_gh, const float* b_ih, const float* b_hh,
                                         const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                         float* y, int32_t ld_y) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  const ptrdiff_t on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    float* xr = ROW(gx, r, ld_gx);
    float* hr = ROW(gh, r, ld_gh);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* outr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
#define BLOCK(j, cnt)                                                                          \
  do {                                                                                         \
    const __m256 hhr = _mm256_add_ps(ld8(hr + orr + (j), cnt), ld8(b_hh + orr + (j), cnt));    \
    const __m256 hhz = _mm256_add_ps(ld8(hr + oz + (j), cnt), ld8(b_hh + oz + (j), cnt));      \
    const __m256 hhn = _mm256_add_ps(ld8(hr + on + (j), cnt), ld8(b_hh + on + (j), cnt));      \
    const __m256 xr_ = _mm256_add_ps(ld8(xr + orr + (j), cnt), ld8(b_ih + orr + (j), cnt));    \
    const __m256 xz_ = _mm256_add_ps(ld8(xr + oz + (j), cnt), ld8(b_ih + oz + (j), cnt));      \
    const __m256 xn_ = _mm256_add_ps(ld8(xr + on + (j), cnt), ld8(b_ih + on + (j), cnt));      \
    const __m256 hp = ld8(hpr + (j), cnt); /* before h (may alias h_prev) is written */        \
    const __m256 rg = v_sigmoid(_mm256_add_ps(xr_, hhr));                                      \
    const __m256 zg = v_sigmoid(_mm256_add_ps(xz_, hhz));                                      \
    const __m256 ng = v_tanh(_mm256_fmadd_ps(rg, hhn, xn_));                                   \
    const __m256 hv = _mm256_fmadd_ps(zg, hp, _mm256_mul_ps(_mm256_sub_ps(ONE, zg), ng));      \
    st8(xr + orr + (j), rg, cnt);                                                              \
    st8(xr + oz + (j), zg, cnt);                                                               \
    st8(xr + on + (j), ng, cnt);                                                               \
    st8(hr + orr + (j), hhr, cnt);                                                             \
    st8(hr + oz + (j), hhz, cnt);                                                              \
    st8(hr + on + (j), hhn, cnt);                                                              \
    st8(outr + (j), hv, cnt);                                                                  \
    if (yr) st8(yr + (j), hv, cnt);                                                            \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

MKLRNN_AVX2 void mklrnn_avx2_gru_backward(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                          const float* gh, int32_t ld_gh, const float* h_prev,
                                          int32_t ld_hp, const float* dh, int32_t ld_dh, const float* dy,
                                          int32_t ld_dy, float* dgx, int32_t ld_dgx, float* dgh,
                                          int32_t ld_dgh, float* dh_prev, int32_t ld_dhp) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  const ptrdiff_t on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hr = ROW(gh, r, ld_gh);
    const float* hpr = ROW(h_prev, r, ld_hp);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dxr = ROW(dgx, r, ld_dgx);
    float* dhhr = ROW(dgh, r, ld_dgh);
    float* dhpr = ROW(dh_prev, r, ld_dhp);
#define BLOCK(j, cnt)                                                                           \
  do {                                                                                          \
    /* All loads first: dgx/dgh may alias gx/gh, dh_prev may alias dh. */                      \
    const __m256 rg = ld8(xr + orr + (j), cnt), zg = ld8(xr + oz + (j), cnt);                   \
    const __m256 ng = ld8(xr + on + (j), cnt), hhn = ld8(hr + on + (j), cnt);                   \
    const __m256 hp = ld8(hpr + (j), cnt);                                                      \
    const __m256 dht = dsum(dhr + (j), dyr ? dyr + (j) : NULL, cnt);                            \
    const __m256 dan =                                                                          \
        _mm256_mul_ps(_mm256_mul_ps(dht, _mm256_sub_ps(ONE, zg)), _mm256_fnmadd_ps(ng, ng, ONE)); \
    const __m256 daz = _mm256_mul_ps(_mm256_mul_ps(dht, _mm256_sub_ps(hp, ng)), dsig(zg));      \
    const __m256 dar = _mm256_mul_ps(_mm256_mul_ps(dan, hhn), dsig(rg));                        \
    st8(dxr + orr + (j), dar, cnt);                                                             \
    st8(dxr + oz + (j), daz, cnt);                                                              \
    st8(dxr + on + (j), dan, cnt);                                                              \
    st8(dhhr + orr + (j), dar, cnt);                                                            \
    st8(dhhr + oz + (j), daz, cnt);                                                             \
    st8(dhhr + on + (j), _mm256_mul_ps(dan, rg), cnt);                                          \
    st8(dhpr + (j), _mm256_mul_ps(dht, zg), cnt);                                               \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

/* ---------------------------------------------------------------- GRU, linear_before_reset = 0 */

MKLRNN_AVX2 void mklrnn_avx2_gru0_forward_gates(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                                const float* ghrz, int32_t ld_ghrz, const float* b_ih,
                                                const float* b_hh, const float* h_prev, int32_t ld_hp,
                                                float* rh, int32_t ld_rh) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  for (int32_t r = 0; r < n; ++r) {
    float* xr = ROW(gx, r, ld_gx);
    const float* hr = ROW(ghrz, r, ld_ghrz);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* rhr = ROW(rh, r, ld_rh);
#define BLOCK(j, cnt)                                                                           \
  do {                                                                                          \
    const __m256 ar = _mm256_add_ps(_mm256_add_ps(ld8(xr + orr + (j), cnt), ld8(b_ih + orr + (j), cnt)), \
                                    _mm256_add_ps(ld8(hr + orr + (j), cnt), ld8(b_hh + orr + (j), cnt))); \
    const __m256 az = _mm256_add_ps(_mm256_add_ps(ld8(xr + oz + (j), cnt), ld8(b_ih + oz + (j), cnt)),   \
                                    _mm256_add_ps(ld8(hr + oz + (j), cnt), ld8(b_hh + oz + (j), cnt)));   \
    const __m256 rg = v_sigmoid(ar), zg = v_sigmoid(az);                                        \
    st8(xr + orr + (j), rg, cnt);                                                               \
    st8(xr + oz + (j), zg, cnt);                                                                \
    st8(rhr + (j), _mm256_mul_ps(rg, ld8(hpr + (j), cnt)), cnt);                                \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

MKLRNN_AVX2 void mklrnn_avx2_gru0_forward_state(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                                const float* ghn, int32_t ld_ghn, const float* b_ih,
                                                const float* b_hh, const float* h_prev, int32_t ld_hp,
                                                float* h, int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t oz = (ptrdiff_t)MKLRNN_GRU_Z * H, on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    float* xr = ROW(gx, r, ld_gx);
    const float* hr = ROW(ghn, r, ld_ghn);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* outr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
#define BLOCK(j, cnt)                                                                           \
  do {                                                                                          \
    const __m256 an = _mm256_add_ps(_mm256_add_ps(ld8(xr + on + (j), cnt), ld8(b_ih + on + (j), cnt)), \
                                    _mm256_add_ps(ld8(hr + (j), cnt), ld8(b_hh + on + (j), cnt)));      \
    const __m256 ng = v_tanh(an), zg = ld8(xr + oz + (j), cnt), hp = ld8(hpr + (j), cnt);      \
    const __m256 hv = _mm256_fmadd_ps(zg, hp, _mm256_mul_ps(_mm256_sub_ps(ONE, zg), ng));       \
    st8(xr + on + (j), ng, cnt);                                                                \
    st8(outr + (j), hv, cnt);                                                                   \
    if (yr) st8(yr + (j), hv, cnt);                                                             \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

MKLRNN_AVX2 void mklrnn_avx2_gru0_backward_state(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                                 const float* h_prev, int32_t ld_hp, const float* dh,
                                                 int32_t ld_dh, const float* dy, int32_t ld_dy, float* dgx,
                                                 int32_t ld_dgx, float* dh_prev, int32_t ld_dhp) {
  const ptrdiff_t oz = (ptrdiff_t)MKLRNN_GRU_Z * H, on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dxr = ROW(dgx, r, ld_dgx);
    float* dhpr = ROW(dh_prev, r, ld_dhp);
#define BLOCK(j, cnt)                                                                           \
  do {                                                                                          \
    const __m256 zg = ld8(xr + oz + (j), cnt), ng = ld8(xr + on + (j), cnt);                    \
    const __m256 hp = ld8(hpr + (j), cnt);                                                      \
    const __m256 dht = dsum(dhr + (j), dyr ? dyr + (j) : NULL, cnt);                            \
    st8(dxr + oz + (j), _mm256_mul_ps(_mm256_mul_ps(dht, _mm256_sub_ps(hp, ng)), dsig(zg)), cnt); \
    st8(dxr + on + (j),                                                                         \
        _mm256_mul_ps(_mm256_mul_ps(dht, _mm256_sub_ps(ONE, zg)), _mm256_fnmadd_ps(ng, ng, ONE)), cnt); \
    st8(dhpr + (j), _mm256_mul_ps(dht, zg), cnt);                                               \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

MKLRNN_AVX2 void mklrnn_avx2_gru0_backward_gates(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                                 const float* h_prev, int32_t ld_hp, const float* drh,
                                                 int32_t ld_drh, float* dgx, int32_t ld_dgx,
                                                 float* dh_prev, int32_t ld_dhp) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    const float* drr = ROW(drh, r, ld_drh);
    float* dxr = ROW(dgx, r, ld_dgx);
    float* dhpr = ROW(dh_prev, r, ld_dhp);
#define BLOCK(j, cnt)                                                                           \
  do {                                                                                          \
    const __m256 rg = ld8(xr + orr + (j), cnt), d = ld8(drr + (j), cnt);                        \
    st8(dxr + orr + (j), _mm256_mul_ps(_mm256_mul_ps(d, ld8(hpr + (j), cnt)), dsig(rg)), cnt);  \
    st8(dhpr + (j), _mm256_fmadd_ps(d, rg, ld8(dhpr + (j), cnt)), cnt);                         \
  } while (0)
    FOR_BLOCKS(H, BLOCK);
#undef BLOCK
  }
}

/* ---------------------------------------------------------------- helpers --------------- */

MKLRNN_AVX2 void mklrnn_avx2_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out) {
  /* Column-block outer, rows inner: one load/store of out per block, and per column the same
   * addition order as the scalar version. */
#define BLOCK(j, cnt)                                                            \
  do {                                                                           \
    __m256 acc = ld8(out + (j), cnt);                                            \
    for (int32_t r = 0; r < n; ++r) acc = _mm256_add_ps(acc, ld8(ROW(a, r, ld_a) + (j), cnt)); \
    st8(out + (j), acc, cnt);                                                    \
  } while (0)
  FOR_BLOCKS(k, BLOCK);
#undef BLOCK
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

/* ---------------------------------------------------------------- test hooks ------------ */

MKLRNN_AVX2 void mklrnn_avx2_vexp(int32_t n, const float* x, float* y) {
#define BLOCK(j, cnt) st8(y + (j), v_exp(ld8(x + (j), cnt)), cnt)
  FOR_BLOCKS(n, BLOCK);
#undef BLOCK
}

MKLRNN_AVX2 void mklrnn_avx2_vsigmoid(int32_t n, const float* x, float* y) {
#define BLOCK(j, cnt) st8(y + (j), v_sigmoid(ld8(x + (j), cnt)), cnt)
  FOR_BLOCKS(n, BLOCK);
#undef BLOCK
}

MKLRNN_AVX2 void mklrnn_avx2_vtanh(int32_t n, const float* x, float* y) {
#define BLOCK(j, cnt) st8(y + (j), v_tanh(ld8(x + (j), cnt)), cnt)
  FOR_BLOCKS(n, BLOCK);
#undef BLOCK
}

#endif /* MKLRNN_HAVE_AVX2_KERNELS */

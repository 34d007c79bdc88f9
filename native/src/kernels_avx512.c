/* kernels_avx512.c -- AVX-512 (F/DQ/BW/VL) versions of the row-wise gate kernels: 16 columns per
 * step, tails through masked loads and stores. Compiled with AVX-512 flags for this file only
 * (see native/CMakeLists.txt); dispatch.c calls these only when cpuid and xgetbv say the CPU and
 * the OS support them, and MKLRNN_FORCE_AVX2 / MKLRNN_FORCE_SCALAR are not set. */
#include <stddef.h>

#include "kernels.h"

#if MKLRNN_HAVE_AVX512_KERNELS
#include "lowp_avx512.h"
#include "vmath_avx512.h"

MKLRNN_AVX512_INLINE __mmask16 tail_mask(int cnt) { return (__mmask16)((1u << cnt) - 1u); }

MKLRNN_AVX512_INLINE __m512 ld16(const float* p, int cnt) {
  return cnt == 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(tail_mask(cnt), p);
}

MKLRNN_AVX512_INLINE void st16(float* p, __m512 v, int cnt) {
  if (cnt == 16)
    _mm512_storeu_ps(p, v);
  else
    _mm512_mask_storeu_ps(p, tail_mask(cnt), v);
}

/* The vector vocabulary of kernels_rows.inc, 16 lanes. */
#define vf __m512
#define VW 16
#define KFN(name) mklrnn_avx512_##name
#define KATTR
#define KINLINE MKLRNN_AVX512_INLINE
#define vld ld16
#define vst st16
#define v_add _mm512_add_ps
#define v_sub _mm512_sub_ps
#define v_mul _mm512_mul_ps
#define v_fmadd _mm512_fmadd_ps
#define v_fnmadd _mm512_fnmadd_ps
#define v_max _mm512_max_ps
#define v_zero _mm512_setzero_ps
#define ONE _mm512_set1_ps(1.0f)
#define v_where_positive(h, d) \
  _mm512_maskz_mov_ps(_mm512_cmp_ps_mask((h), _mm512_setzero_ps(), _CMP_GT_OQ), (d))
#define v_exp v16_exp
#define v_sigmoid v16_sigmoid
#define v_tanh v16_tanh

#include "kernels_rows.inc"

/* ---------------------------------------------------------------- int8 LSTM step -------- */

void mklrnn_avx512_dequant_factors(int32_t k, int32_t zero, const int32_t* colsum, float scale, const float* w_scale,
                                   int32_t* comp, float* col_scale) {
  const __m512i z = _mm512_set1_epi32(zero);
  const __m512 s = _mm512_set1_ps(scale);
  for (int32_t j = 0; j < k; j += 16) {
    const __mmask16 m = tail_mask(k - j < 16 ? k - j : 16);
    _mm512_mask_storeu_epi32(comp + j, m, _mm512_mullo_epi32(z, _mm512_maskz_loadu_epi32(m, colsum + j)));
    _mm512_mask_storeu_ps(col_scale + j, m, _mm512_mul_round_ps(s, _mm512_maskz_loadu_ps(m, w_scale + j), MKLRNN_CUR));
  }
}

/* (acc - comp) * col_scale for 16 columns: mklrnn_dequant16 with its two per-column factors made beforehand. */
MKLRNN_AVX512_INLINE __m512 dequant16_pre(const int32_t* acc, const int32_t* comp, const float* col_scale, __mmask16 m) {
  const __m512i q = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, acc), _mm512_maskz_loadu_epi32(m, comp));
  return _mm512_mul_round_ps(_mm512_cvtepi32_ps(q), _mm512_maskz_loadu_ps(m, col_scale), MKLRNN_CUR);
}

void mklrnn_avx512_lstm_s32_rows(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, const int32_t* comp,
                                 const float* col_scale, const int32_t* acc_x, int32_t ld_acc_x, const int32_t* x_comp,
                                 const float* x_col_scale, const float* b_ih, const float* b_hh, const float* peep,
                                 const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                 float* y, int32_t ld_y, uint8_t* hq, int32_t ld_hq, float hq_inv_scale, int32_t hq_zero,
                                 int32_t hq_max) {
  const mklrnn_q8 hqp = mklrnn_q8_of(hq_inv_scale, hq_zero, hq_max);
  const float *p_i = peep, *p_f = peep ? peep + H : NULL, *p_o = peep ? peep + 2 * (ptrdiff_t)H : NULL;
  for (int32_t r = 0; r < n; ++r) {
    const int32_t* ar = acc + (ptrdiff_t)r * ld_acc;
    const int32_t* xr = acc_x + (ptrdiff_t)r * ld_acc_x;
    if (r + 1 < n) mklrnn_prefetch_row(xr + ld_acc_x, 4 * (int64_t)H);
    const float* cpr = c_prev + (ptrdiff_t)r * ld_cp;
    float* cr = c + (ptrdiff_t)r * ld_c;
    float* hr = h + (ptrdiff_t)r * ld_h;
    float* yr = y ? y + (ptrdiff_t)r * ld_y : NULL;
    uint8_t* qr = hq ? hq + (ptrdiff_t)r * ld_hq : NULL;
    for (int32_t j = 0; j < H; j += 16) {
      const int cnt = H - j < 16 ? H - j : 16;
      const __mmask16 m = tail_mask(cnt);
      __m512 a[4];
      for (int k = 0; k < 4; ++k) { /* gate k's pre-activation: input + recurrent product + b_ih + b_hh */
        const ptrdiff_t o = (ptrdiff_t)k * H + j;
        const __m512 s = _mm512_add_round_ps(dequant16_pre(xr + o, x_comp + o, x_col_scale + o, m),
                                             dequant16_pre(ar + o, comp + o, col_scale + o, m), MKLRNN_CUR);
        a[k] = v_add(v_add(s, ld16(b_ih + o, cnt)), ld16(b_hh + o, cnt));
      }
      const lstm_block_out s = lstm_cell(a[MKLRNN_LSTM_I], a[MKLRNN_LSTM_F], a[MKLRNN_LSTM_G], a[MKLRNN_LSTM_O],
                                         ld16(cpr + j, cnt), peep ? p_i + j : NULL, peep ? p_f + j : NULL,
                                         peep ? p_o + j : NULL, cnt);
      st16(cr + j, s.c, cnt);
      st16(hr + j, s.h, cnt);
      if (yr) st16(yr + j, s.h, cnt);
      if (qr) _mm_mask_storeu_epi8(qr + j, m, mklrnn_q8_16(s.h, hqp)); /* the next step's codes, from the register */
    }
  }
}

#endif /* MKLRNN_HAVE_AVX512_KERNELS */

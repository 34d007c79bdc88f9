/* kernels_avx512.c -- AVX-512 (F/DQ/BW/VL) versions of the row-wise gate kernels: 16 columns per
 * step, tails through masked loads and stores. Compiled with AVX-512 flags for this file only
 * (see native/CMakeLists.txt); dispatch.c calls these only when cpuid and xgetbv say the CPU and
 * the OS support them, and MKLRNN_FORCE_AVX2 / MKLRNN_FORCE_SCALAR are not set. */
#include <stddef.h>

#include "kernels.h"

#if MKLRNN_HAVE_AVX512_KERNELS
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

#endif /* MKLRNN_HAVE_AVX512_KERNELS */

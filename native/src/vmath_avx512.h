/* vmath_avx512.h -- 16-lane exp, sigmoid and tanh for the AVX-512 kernels (inline, internal).
 * The same algorithms, constants and error bounds as vmath_avx2.h (see there); only the width and
 * the saturation selects (mask registers) differ, so both paths agree to an ulp or two. */
#ifndef MKLRNN_VMATH_AVX512_H
#define MKLRNN_VMATH_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "vmath_avx2.h" /* the shared constants */

/* kernels_avx512.c is compiled with -mavx512f/dq/bw/vl (CMake, per file); dispatch.c calls it
 * only when the CPU and OS support those. */
#define MKLRNN_AVX512_INLINE static inline __attribute__((always_inline))

/* e^x for x in [-87, 88]; outside, e^clamp(x). */
MKLRNN_AVX512_INLINE __m512 v16_exp(__m512 x) {
  __m512 xc = _mm512_max_ps(_mm512_set1_ps(MKLRNN_EXP_LO), _mm512_min_ps(_mm512_set1_ps(MKLRNN_EXP_HI), x));
  __m512 fn = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(MKLRNN_LOG2E)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(MKLRNN_LN2_HI), xc);
  r = _mm512_fnmadd_ps(fn, _mm512_set1_ps(MKLRNN_LN2_LO), r);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(MKLRNN_EXP_C5), r, _mm512_set1_ps(MKLRNN_EXP_C4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MKLRNN_EXP_C3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MKLRNN_EXP_C2));
  __m512 y = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  __m512i n = _mm512_cvtps_epi32(fn);
  __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
  return _mm512_mul_ps(y, s);
}

/* 1 / (1 + e^-x); exactly 0 below -87 (NaN kept: the compare is false for it). */
MKLRNN_AVX512_INLINE __m512 v16_sigmoid(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 nx = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
  __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, v16_exp(nx)));
  __mmask16 below = _mm512_cmp_ps_mask(x, _mm512_set1_ps(MKLRNN_EXP_LO), _CMP_LT_OQ);
  return _mm512_mask_mov_ps(s, below, _mm512_setzero_ps());
}

/* 1 - 2 / (1 + e^{2x}) with x's sign given back. */
MKLRNN_AVX512_INLINE __m512 v16_tanh(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 t = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(one, v16_exp(_mm512_add_ps(x, x)))));
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  /* (t & ~sign) | (x & sign): ternary logic 0xE4 would do it in one; two ops read better */
  __m512i m = _mm512_andnot_si512(sign, _mm512_castps_si512(t));
  return _mm512_castsi512_ps(_mm512_or_si512(m, _mm512_and_si512(sign, _mm512_castps_si512(x))));
}

#endif /* MKLRNN_VMATH_AVX512_H */

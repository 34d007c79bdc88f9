/* vmath_avx2.h -- 8-lane exp, sigmoid and tanh for the AVX2+FMA kernels (inline, internal).
 * exp: Cephes-style range reduction and degree-6 polynomial; sigmoid = 1 / (1 + exp(-x)) with an
 * exact division; tanh: odd polynomial near 0, 1 - 2 / (exp(2|x|) + 1) beyond. NaN propagates. */
#ifndef MKLRNN_VMATH_AVX2_H
#define MKLRNN_VMATH_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define MKLRNN_AVX2 __attribute__((target("avx2,fma")))
#define MKLRNN_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* Clamp x into [lo, hi]. The operand order makes a NaN x come out unchanged (MAXPS/MINPS return
 * their second operand when one is NaN). */
MKLRNN_AVX2_INLINE __m256 v_clamp(__m256 x, float lo, float hi) {
  return _mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), x));
}

/* e^x. Relative error ~1-2 ulp wherever the result is a normal float; like expf it overflows to
 * +inf above ln(FLT_MAX) ~ 88.72 and goes subnormal, then 0, below -87.3. */
MKLRNN_AVX2_INLINE __m256 v_exp(__m256 x) {
  /* Beyond these bounds the result is inf / 0 anyway; the clamp keeps n in int range. */
  __m256 xc = v_clamp(x, -104.0f, 89.0f);
  /* n = round(x / ln 2); r = x - n ln 2 with ln 2 split in two so r is accurate. */
  __m256 fn = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(-2.12194440e-4f), r);
  /* e^r on |r| <= ln2/2: 1 + r + r^2 * P(r) (Cephes expf coefficients). */
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  /* * 2^n as 2^n1 * 2^n2 (n1 = n >> 1): both factors are normal floats for n in [-150, 129], so
   * the second product alone rounds into overflow or the subnormal range, as expf does.
   * A NaN x gives an arbitrary n, but y is NaN and stays so. */
  __m256i n = _mm256_cvtps_epi32(fn);
  __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

/* 1 / (1 + e^-x): exactly 1 for large x, exactly 0 below -88.72 (1 / inf), like libm. */
MKLRNN_AVX2_INLINE __m256 v_sigmoid(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 nx = _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
  return _mm256_div_ps(one, _mm256_add_ps(one, v_exp(nx)));
}

/* tanh, computed on |x| and given x's sign back (so it is exactly odd, and tanh(-0) = -0).
 * |x| < 0.625: x + x^3 P(x^2) (Cephes tanhf), accurate near 0 where 1 - 2/(e+1) would cancel.
 * Otherwise 1 - 2 / (e^{2|x|} + 1), with |x| clamped to 10 where tanhf is already 1.0f. */
MKLRNN_AVX2_INLINE __m256 v_tanh(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  __m256 ax = _mm256_andnot_ps(sign, x);
  __m256 s = _mm256_and_ps(sign, x);
  /* small branch */
  __m256 z = _mm256_mul_ps(ax, ax);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
  /* large branch (min keeps NaN: second operand) */
  __m256 a2 = _mm256_add_ps(_mm256_min_ps(_mm256_set1_ps(10.0f), ax), _mm256_min_ps(_mm256_set1_ps(10.0f), ax));
  __m256 e = v_exp(a2);
  __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  __m256 t = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  return _mm256_or_ps(t, s);
}

#endif /* MKLRNN_VMATH_AVX2_H */

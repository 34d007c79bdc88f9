/* vmath_avx2.h -- 8-lane exp, sigmoid and tanh for the AVX2+FMA kernels (inline, internal).
 * Tuned for throughput inside the gate kernels, where the GEMMs' float32 rounding already
 * dominates the error budget (conformance: atol 1e-5 + rtol 1e-4):
 *   exp: range reduction to |r| <= ln2/2 and a degree-5 polynomial with coefficients fitted for
 *        minimax relative error (1.5e-7 in exact arithmetic, measured < 4e-7 in float), then ONE
 *        scale by 2^n -- the input is clamped to [-87, 88] so 2^n is always a normal float.
 *   sigmoid = 1 / (1 + exp(-x)), tanh = 1 - 2 / (1 + exp(2x)) given x's sign back: one exp and one
 *        division each, no branch blend. Absolute error < 3e-7 (tested against libm and double in
 *        test_kernels); near 0 tanh is accurate in absolute, not relative, terms.
 * NaN propagates (the clamps keep a NaN operand: MAXPS/MINPS return their second operand on NaN).
 * Against the previous Cephes-based versions (degree-7 exp, two-step scale, a polynomial branch for
 * small |x| in tanh) this halves the LSTM forward kernel: ~4 -> ~1.9 ns per cell on a Zen 5 core
 * (see docs/engine-performance.md). */
#ifndef MKLRNN_VMATH_AVX2_H
#define MKLRNN_VMATH_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define MKLRNN_AVX2 __attribute__((target("avx2,fma")))
#define MKLRNN_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* The fitted polynomial and the clamp, shared with the AVX-512 version (vmath_avx512.h). */
#define MKLRNN_EXP_LO (-87.0f)
#define MKLRNN_EXP_HI 88.0f
#define MKLRNN_EXP_C5 8.3125252e-3f
#define MKLRNN_EXP_C4 4.1890115e-2f
#define MKLRNN_EXP_C3 1.6667114e-1f
#define MKLRNN_EXP_C2 4.9999231e-1f
#define MKLRNN_LOG2E 1.44269504088896341f
#define MKLRNN_LN2_HI 0.693359375f   /* ln 2 split in two so r = x - n ln2 is exact enough */
#define MKLRNN_LN2_LO (-2.12194440e-4f)

/* Clamp x into [lo, hi]; a NaN x comes out unchanged (operand order). */
MKLRNN_AVX2_INLINE __m256 v_clamp(__m256 x, float lo, float hi) {
  return _mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), x));
}

/* e^x for x in [-87, 88] (relative error < 4e-7); outside, e^clamp(x): never inf, never subnormal. */
MKLRNN_AVX2_INLINE __m256 v_exp(__m256 x) {
  __m256 xc = v_clamp(x, MKLRNN_EXP_LO, MKLRNN_EXP_HI);
  __m256 fn = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(MKLRNN_LOG2E)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(MKLRNN_LN2_HI), xc);
  r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(MKLRNN_LN2_LO), r);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(MKLRNN_EXP_C5), r, _mm256_set1_ps(MKLRNN_EXP_C4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MKLRNN_EXP_C3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MKLRNN_EXP_C2));
  __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  /* n in [-126, 127]: 2^n is built directly in the exponent field. A NaN x gives some n, y stays NaN. */
  __m256i n = _mm256_cvtps_epi32(fn);
  __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
  return _mm256_mul_ps(y, s);
}

/* 1 / (1 + e^-x): exactly 1 from x ~ 16.7 up (e^-x < 2^-24 rounds away). Below -87 the clamped
 * exp would leave ~1.6e-38, so those lanes are set to exactly 0 (sigmoid(-inf) = 0). */
MKLRNN_AVX2_INLINE __m256 v_sigmoid(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, v_exp(_mm256_xor_ps(x, _mm256_set1_ps(-0.0f)))));
  /* the ordered compare is false for NaN, so a NaN x keeps its NaN s */
  return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(MKLRNN_EXP_LO), _CMP_LT_OQ), s);
}

/* tanh(x) = 1 - 2 / (1 + e^{2x}): exactly +-1 once e^{2x} saturates or vanishes. The magnitude is
 * given x's sign (tanh(-0) = -0, and tiny x whose result rounds to 0 keep their sign). */
MKLRNN_AVX2_INLINE __m256 v_tanh(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  __m256 t = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(one, v_exp(_mm256_add_ps(x, x)))));
  return _mm256_or_ps(_mm256_andnot_ps(sign, t), _mm256_and_ps(sign, x));
}

#endif /* MKLRNN_VMATH_AVX2_H */

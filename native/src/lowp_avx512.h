/* lowp_avx512.h -- 16-lane pieces of the int8 arithmetic shared by lowp_avx512.c (dequantize_s32, quantize_u8)
 * and the fused int8 LSTM step in kernels_avx512.c, so both compute the same bits (inline, internal). Include in a
 * file compiled with the AVX-512 flags. The _round forms are builtins the compiler never
 * contracts into FMAs, whatever the including file's -ffp-contract. */
#ifndef MKLRNN_LOWP_AVX512_H
#define MKLRNN_LOWP_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#define MKLRNN_CUR _MM_FROUND_CUR_DIRECTION

/* (acc - zero * colsum) * (scale * w_scale) for 16 columns (masked lanes read nothing, give 0). */
static inline __attribute__((always_inline)) __m512 mklrnn_dequant16(const int32_t* acc, __m512i zero,
                                                                     const int32_t* colsum, __m512 scale,
                                                                     const float* w_scale, __mmask16 m) {
  const __m512i q = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, acc),
                                     _mm512_mullo_epi32(zero, _mm512_maskz_loadu_epi32(m, colsum)));
  return _mm512_mul_round_ps(_mm512_cvtepi32_ps(q), _mm512_mul_round_ps(scale, _mm512_maskz_loadu_ps(m, w_scale), MKLRNN_CUR),
                             MKLRNN_CUR);
}

/* mklrnn_quantize_u8's rule for 16 floats: clamp(round(x * inv_scale), -zero, qmax - zero) + zero, as bytes. */
typedef struct {
  __m512 inv_scale, lo, hi;
  __m512i zero;
} mklrnn_q8;

static inline __attribute__((always_inline)) mklrnn_q8 mklrnn_q8_of(float inv_scale, int32_t zero, int32_t qmax) {
  mklrnn_q8 p = {_mm512_set1_ps(inv_scale), _mm512_set1_ps((float)-zero), _mm512_set1_ps((float)(qmax - zero)),
                 _mm512_set1_epi32(zero)};
  return p;
}

static inline __attribute__((always_inline)) __m128i mklrnn_q8_16(__m512 x, mklrnn_q8 p) {
  __m512 v = _mm512_max_ps(_mm512_mul_round_ps(x, p.inv_scale, MKLRNN_CUR), p.lo); /* NaN -> lo */
  v = _mm512_min_ps(v, p.hi);
  return _mm512_cvtepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(v), p.zero));
}

#endif /* MKLRNN_LOWP_AVX512_H */

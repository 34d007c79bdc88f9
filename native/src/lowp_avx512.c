/* lowp_avx512.c -- AVX-512 versions of the low-precision helpers (same contracts and bits as
 * lowp_scalar.c), 16 columns per step, masked tails. Compiled with the AVX-512 flags of
 * kernels_avx512.c (CMake, this file only); the AVX512_BF16 conversion carries its own target
 * attribute and is called only when the CPU reports avx512bf16. */
#include <stddef.h>

#include "kernels.h"

#if MKLRNN_HAVE_AVX512_KERNELS
#include <immintrin.h>

#include "lowp_avx512.h"

#define ROW(p, r, ld) ((p) + (ptrdiff_t)(r) * (ld))
#define LOWP_INLINE static inline __attribute__((always_inline))

LOWP_INLINE __mmask16 tail16(int32_t cnt) { return (__mmask16)(cnt >= 16 ? 0xFFFFu : (1u << cnt) - 1u); }

/* The scalar rules, lane-wise (for CPUs with AVX-512F but not AVX512_BF16). */
LOWP_INLINE __m512i bf16x16(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i top = _mm512_srli_epi32(u, 16);
  const __mmask16 tiny = _mm512_testn_epi32_mask(u, _mm512_set1_epi32(0x7F800000));
  const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
  const __m512i lsb = _mm512_and_si512(top, _mm512_set1_epi32(1));
  __m512i v = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
  v = _mm512_mask_or_epi32(v, nan, top, _mm512_set1_epi32(0x40));
  return _mm512_mask_and_epi32(v, tiny, top, _mm512_set1_epi32(0x8000));
}

void mklrnn_avx512_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst, int32_t ld_dst) {
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint16_t* d = ROW(dst, r, ld_dst);
    for (int32_t j = 0; j < k; j += 16) {
      const __mmask16 m = tail16(k - j);
      _mm256_mask_storeu_epi16(d + j, m, _mm512_cvtepi32_epi16(bf16x16(_mm512_maskz_loadu_ps(m, s + j))));
    }
  }
}

/* VCVTNE2PS2BF16: 32 floats per instruction, round to nearest even, denormals to zero, NaN quiet. */
__attribute__((target("avx512bf16"))) void mklrnn_avx512bf16_f32_to_bf16(int32_t n, int32_t k, const float* src,
                                                                         int32_t ld_src, uint16_t* dst, int32_t ld_dst) {
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint16_t* d = ROW(dst, r, ld_dst);
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
      const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(s + j + 16), _mm512_loadu_ps(s + j));
      _mm512_storeu_si512((void*)(d + j), (__m512i)b);
    }
    for (; j < k; j += 16) {
      const __mmask16 m = tail16(k - j);
      const __m256bh b = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, s + j));
      _mm256_mask_storeu_epi16(d + j, m, (__m256i)b);
    }
  }
}

void mklrnn_avx512_min_max(int32_t n, int32_t k, const float* src, int32_t ld_src, float* min_max) {
  __m512 lo = _mm512_set1_ps(__builtin_inff()), hi = _mm512_set1_ps(-__builtin_inff());
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    for (int32_t j = 0; j < k; j += 16) {
      const __mmask16 m = tail16(k - j);
      /* masked lanes keep the accumulator; a NaN lane returns the second operand: ignored */
      const __m512 x = _mm512_maskz_loadu_ps(m, s + j);
      lo = _mm512_mask_min_ps(lo, m, x, lo);
      hi = _mm512_mask_max_ps(hi, m, x, hi);
    }
  }
  min_max[0] = _mm512_reduce_min_ps(lo);
  min_max[1] = _mm512_reduce_max_ps(hi);
}

void mklrnn_avx512_quantize_u8(int32_t n, int32_t k, const float* src, int32_t ld_src, float inv_scale,
                               int32_t zero_point, int32_t qmax, uint8_t* dst, int32_t ld_dst) {
  const mklrnn_q8 p = mklrnn_q8_of(inv_scale, zero_point, qmax);
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint8_t* d = ROW(dst, r, ld_dst);
    for (int32_t j = 0; j < k; j += 16) {
      const __mmask16 m = tail16(k - j);
      _mm_mask_storeu_epi8(d + j, m, mklrnn_q8_16(_mm512_maskz_loadu_ps(m, s + j), p));
    }
  }
}

void mklrnn_avx512_dequantize_s32(int32_t n, int32_t k, const int32_t* acc, int32_t ld_acc, float a_scale,
                                  int32_t a_zero, const float* w_scale, const int32_t* w_colsum,
                                  int32_t accumulate, float* out, int32_t ld_out) {
  const __m512 as = _mm512_set1_ps(a_scale);
  const __m512i az = _mm512_set1_epi32(a_zero);
  for (int32_t r = 0; r < n; ++r) {
    const int32_t* a = ROW(acc, r, ld_acc);
    float* o = ROW(out, r, ld_out);
    for (int32_t j = 0; j < k; j += 16) {
      const __mmask16 m = tail16(k - j);
      __m512 v = mklrnn_dequant16(a + j, az, w_colsum + j, as, w_scale + j, m);
      if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, o + j), v);
      _mm512_mask_storeu_ps(o + j, m, v);
    }
  }
}

#endif /* MKLRNN_HAVE_AVX512_KERNELS */

/* lowp_avx2.c -- AVX2 versions of the low-precision helpers (same contracts and the same bits as
 * lowp_scalar.c). Per-function target attributes, like kernels_avx2.c: the library still loads on
 * older CPUs, where dispatch.c never calls these. 8 columns per step; the tail runs the scalar code
 * (same bits, and never touches memory past the row). */
#include <stddef.h>

#include "kernels.h"

#if MKLRNN_HAVE_AVX2_KERNELS
#include <immintrin.h>

#define LOWP_AVX2 __attribute__((target("avx2,fma")))
#define ROW(p, r, ld) ((p) + (ptrdiff_t)(r) * (ld))

/* bf16 bits of 8 floats in the low 16 bits of each int32 lane (the scalar rules, lane-wise). */
static inline __attribute__((always_inline, target("avx2,fma"))) __m256i bf16x8(__m256 x) {
  const __m256i u = _mm256_castps_si256(x);
  const __m256i exp = _mm256_and_si256(u, _mm256_set1_epi32(0x7F800000));
  const __m256i tiny = _mm256_cmpeq_epi32(exp, _mm256_setzero_si256());
  const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  __m256i v = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
  v = _mm256_blendv_epi8(v, _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40)), nan);
  return _mm256_blendv_epi8(v, _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x8000)), tiny);
}

LOWP_AVX2 void mklrnn_avx2_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst,
                                       int32_t ld_dst) {
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint16_t* d = ROW(dst, r, ld_dst);
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
      /* packus interleaves the 128-bit lanes; permute4x64 restores the order. */
      __m256i p = _mm256_packus_epi32(bf16x8(_mm256_loadu_ps(s + j)), bf16x8(_mm256_loadu_ps(s + j + 8)));
      _mm256_storeu_si256((__m256i*)(d + j), _mm256_permute4x64_epi64(p, 0xD8));
    }
    mklrnn_scalar_f32_to_bf16(1, k - j, s + j, ld_src, d + j, ld_dst);
  }
}

LOWP_AVX2 void mklrnn_avx2_min_max(int32_t n, int32_t k, const float* src, int32_t ld_src, float* min_max) {
  __m256 lo = _mm256_set1_ps(__builtin_inff()), hi = _mm256_set1_ps(-__builtin_inff());
  float tail[2] = {__builtin_inff(), -__builtin_inff()};
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) { /* MINPS/MAXPS return the second operand on NaN: ignored */
      const __m256 x = _mm256_loadu_ps(s + j);
      lo = _mm256_min_ps(x, lo);
      hi = _mm256_max_ps(x, hi);
    }
    if (j < k) {
      float t[2];
      mklrnn_scalar_min_max(1, k - j, s + j, ld_src, t);
      if (t[0] < tail[0]) tail[0] = t[0];
      if (t[1] > tail[1]) tail[1] = t[1];
    }
  }
  float l[8], h[8];
  _mm256_storeu_ps(l, lo);
  _mm256_storeu_ps(h, hi);
  for (int i = 0; i < 8; ++i) {
    if (l[i] < tail[0]) tail[0] = l[i];
    if (h[i] > tail[1]) tail[1] = h[i];
  }
  min_max[0] = tail[0];
  min_max[1] = tail[1];
}

LOWP_AVX2 void mklrnn_avx2_quantize_u8(int32_t n, int32_t k, const float* src, int32_t ld_src, float inv_scale,
                                       int32_t zero_point, int32_t qmax, uint8_t* dst, int32_t ld_dst) {
  const __m256 sc = _mm256_set1_ps(inv_scale);
  const __m256 lo = _mm256_set1_ps((float)-zero_point), hi = _mm256_set1_ps((float)(qmax - zero_point));
  const __m256i zp = _mm256_set1_epi32(zero_point);
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint8_t* d = ROW(dst, r, ld_dst);
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) {
      __m256 v = _mm256_max_ps(_mm256_mul_ps(_mm256_loadu_ps(s + j), sc), lo); /* NaN -> lo */
      v = _mm256_min_ps(v, hi);
      const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp); /* 0..qmax */
      const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      _mm_storel_epi64((__m128i*)(d + j), _mm_packus_epi16(w, w));
    }
    mklrnn_scalar_quantize_u8(1, k - j, s + j, ld_src, inv_scale, zero_point, qmax, d + j, ld_dst);
  }
}

LOWP_AVX2 void mklrnn_avx2_dequantize_s32(int32_t n, int32_t k, const int32_t* acc, int32_t ld_acc, float a_scale,
                                          int32_t a_zero, const float* w_scale, const int32_t* w_colsum,
                                          int32_t accumulate, float* out, int32_t ld_out) {
  const __m256 as = _mm256_set1_ps(a_scale);
  const __m256i az = _mm256_set1_epi32(a_zero);
  for (int32_t r = 0; r < n; ++r) {
    const int32_t* a = ROW(acc, r, ld_acc);
    float* o = ROW(out, r, ld_out);
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) {
      const __m256i comp = _mm256_mullo_epi32(az, _mm256_loadu_si256((const __m256i*)(w_colsum + j)));
      const __m256i q = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i*)(a + j)), comp);
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_mul_ps(as, _mm256_loadu_ps(w_scale + j)));
      if (accumulate) v = _mm256_add_ps(_mm256_loadu_ps(o + j), v);
      _mm256_storeu_ps(o + j, v);
    }
    mklrnn_scalar_dequantize_s32(1, k - j, a + j, ld_acc, a_scale, a_zero, w_scale + j, w_colsum + j, accumulate,
                                 o + j, ld_out);
  }
}

#endif /* MKLRNN_HAVE_AVX2_KERNELS */

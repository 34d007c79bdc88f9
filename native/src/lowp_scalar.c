/* lowp_scalar.c -- plain C versions of the low-precision helpers (see mklrnn.h, "reduced precision"):
 * fp32 -> bf16 conversion, min/max, u8 quantization and int32 dequantization. They are the portable
 * fallback and the reference the vector versions must match bit for bit (tested in test_lowp.c). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "kernels.h"

#define ROW(p, r, ld) ((p) + (ptrdiff_t)(r) * (ld))

uint16_t mklrnn_scalar_bf16_of(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  /* Zero and denormal inputs give a signed zero, as AVX512_BF16's VCVTNE2PS2BF16 does (it implies
   * DAZ/FTZ); the emulated paths follow it so that every path gives the same bits. */
  if ((u & 0x7F800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u); /* NaN stays (quiet) NaN */
  u += 0x7FFFu + ((u >> 16) & 1u); /* round to nearest, ties to even; overflow rounds to Inf */
  return (uint16_t)(u >> 16);
}

void mklrnn_scalar_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst,
                               int32_t ld_dst) {
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint16_t* d = ROW(dst, r, ld_dst);
    for (int32_t j = 0; j < k; ++j) d[j] = mklrnn_scalar_bf16_of(s[j]);
  }
}

void mklrnn_scalar_min_max(int32_t n, int32_t k, const float* src, int32_t ld_src, float* min_max) {
  float lo = INFINITY, hi = -INFINITY;
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    for (int32_t j = 0; j < k; ++j) { /* a NaN fails both compares: ignored */
      if (s[j] < lo) lo = s[j];
      if (s[j] > hi) hi = s[j];
    }
  }
  min_max[0] = lo;
  min_max[1] = hi;
}

void mklrnn_scalar_quantize_u8(int32_t n, int32_t k, const float* src, int32_t ld_src, float inv_scale,
                               int32_t zero_point, int32_t qmax, uint8_t* dst, int32_t ld_dst) {
  const float lo = (float)-zero_point, hi = (float)(qmax - zero_point);
  for (int32_t r = 0; r < n; ++r) {
    const float* s = ROW(src, r, ld_src);
    uint8_t* d = ROW(dst, r, ld_dst);
    for (int32_t j = 0; j < k; ++j) {
      float v = s[j] * inv_scale;
      v = v > lo ? v : lo; /* NaN -> lo, as MAXPS with the value first */
      v = v < hi ? v : hi;
      d[j] = (uint8_t)((int32_t)nearbyintf(v) + zero_point); /* ties to even, like CVTPS2DQ */
    }
  }
}

void mklrnn_scalar_dequantize_s32(int32_t n, int32_t k, const int32_t* acc, int32_t ld_acc, float a_scale,
                                  int32_t a_zero, const float* w_scale, const int32_t* w_colsum,
                                  int32_t accumulate, float* out, int32_t ld_out) {
  for (int32_t r = 0; r < n; ++r) {
    const int32_t* a = ROW(acc, r, ld_acc);
    float* o = ROW(out, r, ld_out);
    for (int32_t j = 0; j < k; ++j) {
      /* Exact in int32 (the caller bounds K): sum (q - zp) w = sum q w - zp * sum w. */
      const float v = (float)(a[j] - a_zero * w_colsum[j]) * (a_scale * w_scale[j]);
      o[j] = accumulate ? o[j] + v : v;
    }
  }
}

/* vmath_avx512.h -- 16-lane exp, sigmoid and tanh for the AVX-512 kernels (inline, internal):
 * v16_exp, v16_sigmoid, v16_tanh. The algorithms, constants and error bounds are vmath.inc's, the
 * same as the 8-lane versions (vmath_avx2.h); only the width and the saturation selects (mask
 * registers) differ, so both paths agree to an ulp or two. */
#ifndef MKLRNN_VMATH_AVX512_H
#define MKLRNN_VMATH_AVX512_H

#include <immintrin.h>
#include <stdint.h>

/* kernels_avx512.c is compiled with -mavx512f/dq/bw/vl (CMake, per file); dispatch.c calls it
 * only when the CPU and OS support those. */
#define MKLRNN_AVX512_INLINE static inline __attribute__((always_inline))

#define MKLRNN_SIGN_BITS _mm512_set1_epi32((int)0x80000000u)
#define VM_F __m512
#define VM_I __m512i
#define VM_INLINE MKLRNN_AVX512_INLINE
#define VM_NAME(name) v16_##name
#define vm_set1 _mm512_set1_ps
#define vm_seti _mm512_set1_epi32
#define vm_add _mm512_add_ps
#define vm_sub _mm512_sub_ps
#define vm_mul _mm512_mul_ps
#define vm_div _mm512_div_ps
#define vm_min _mm512_min_ps
#define vm_max _mm512_max_ps
#define vm_fmadd _mm512_fmadd_ps
#define vm_fnmadd _mm512_fnmadd_ps
#define vm_round(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vm_cvt _mm512_cvtps_epi32
#define vm_addi _mm512_add_epi32
#define vm_shli _mm512_slli_epi32
#define vm_as_float _mm512_castsi512_ps
#define vm_scale_pow2 _mm512_scalef_ps /* y * 2^floor(fn); fn is integral here */
#define vm_negate(x) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), MKLRNN_SIGN_BITS))
#define vm_zero_below(x, lo, v) \
  _mm512_mask_mov_ps((v), _mm512_cmp_ps_mask((x), _mm512_set1_ps(lo), _CMP_LT_OQ), _mm512_setzero_ps())
/* (m & ~sign) | (x & sign): ternary logic 0xE4 would do it in one; two ops read better */
#define vm_copysign(m, x)                                                                  \
  _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(MKLRNN_SIGN_BITS, _mm512_castps_si512(m)), \
                                      _mm512_and_si512(MKLRNN_SIGN_BITS, _mm512_castps_si512(x))))

#include "vmath.inc" /* defines the functions, then undefines the vocabulary */

#undef MKLRNN_SIGN_BITS

#endif /* MKLRNN_VMATH_AVX512_H */

/* vmath_avx2.h -- 8-lane exp, sigmoid and tanh for the AVX2+FMA kernels (inline, internal):
 * v_exp, v_sigmoid, v_tanh. The algorithms and their error bounds are in vmath.inc, shared with the
 * AVX-512 version (vmath_avx512.h); this file only names the 8-lane operations. */
#ifndef MKLRNN_VMATH_AVX2_H
#define MKLRNN_VMATH_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define MKLRNN_AVX2 __attribute__((target("avx2,fma")))
#define MKLRNN_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

#define VM_F __m256
#define VM_I __m256i
#define VM_INLINE MKLRNN_AVX2_INLINE
#define VM_NAME(name) v_##name
#define vm_set1 _mm256_set1_ps
#define vm_seti _mm256_set1_epi32
#define vm_add _mm256_add_ps
#define vm_sub _mm256_sub_ps
#define vm_mul _mm256_mul_ps
#define vm_div _mm256_div_ps
#define vm_min _mm256_min_ps
#define vm_max _mm256_max_ps
#define vm_fmadd _mm256_fmadd_ps
#define vm_fnmadd _mm256_fnmadd_ps
#define vm_round(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vm_cvt _mm256_cvtps_epi32
#define vm_addi _mm256_add_epi32
#define vm_shli _mm256_slli_epi32
#define vm_as_float _mm256_castsi256_ps
#define vm_negate(x) _mm256_xor_ps((x), _mm256_set1_ps(-0.0f))
#define vm_zero_below(x, lo, v) _mm256_andnot_ps(_mm256_cmp_ps((x), _mm256_set1_ps(lo), _CMP_LT_OQ), (v))
#define vm_copysign(m, x) \
  _mm256_or_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), (m)), _mm256_and_ps(_mm256_set1_ps(-0.0f), (x)))

#include "vmath.inc" /* defines the functions, then undefines the vocabulary */

#endif /* MKLRNN_VMATH_AVX2_H */

/* kernels.h -- internal (hidden) kernel entry points behind the exported mklrnn_* functions.
 * Each public function has a scalar version (reference, portable fallback) and, on x86, an
 * AVX2+FMA version with the same signature; they take validated arguments and return nothing. */
#ifndef MKLRNN_KERNELS_H
#define MKLRNN_KERNELS_H

#include <stdint.h>

#include "mklrnn/mklrnn.h"

#if defined(__x86_64__) || defined(__i386__)
#define MKLRNN_HAVE_AVX2_KERNELS 1
#else
#define MKLRNN_HAVE_AVX2_KERNELS 0
#endif
/* AVX-512 kernels: x86-64 with a compiler that knows the intrinsics (GCC >= 7, Clang). */
#if defined(__x86_64__) && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 7))
#define MKLRNN_HAVE_AVX512_KERNELS 1
#else
#define MKLRNN_HAVE_AVX512_KERNELS 0
#endif

/* The int8 steps' input block is the one operand a step reads from memory (the (T*N, G*H) int32 projection, tens of
 * MB; the recurrent product, weights and gate rows are in L2): the next rows are requested while these are computed,
 * where the S7 profile showed the dequantization waiting on these loads. */
static inline void mklrnn_prefetch_row(const int32_t* row, int64_t width) {
  for (int64_t j = 0; j < width; j += 16) __builtin_prefetch(row + j); /* one 64-byte line per 16 int32 */
}

/* Declares one kernel family (scalar_, avx2_, avx512_) with the public signatures minus the status:
 * the row-wise kernels (every family) ... */
#define MKLRNN_DECLARE_ROW_KERNELS(P)                                                                \
  void mklrnn_##P##_rnn_forward(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,   \
                                const float* b_ih, const float* b_hh, float* h, int32_t ld_h,      \
                                float* y, int32_t ld_y);                                           \
  void mklrnn_##P##_rnn_backward(int32_t act, int32_t n, int32_t H, const float* h, int32_t ld_h,  \
                                 const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,   \
                                 float* dg, int32_t ld_dg);                                        \
  void mklrnn_##P##_lstm_forward(int32_t n, int32_t H, float* gates, int32_t ld_g,                 \
                                 const float* b_ih, const float* b_hh, const float* peep,          \
                                 const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c,       \
                                 float* h, int32_t ld_h, float* y, int32_t ld_y);                  \
  void mklrnn_##P##_lstm_forward_infer(int32_t n, int32_t H, const float* gx, int32_t ld_gx,      \
                                       const float* gh, int32_t ld_gh, const float* b_ih,          \
                                       const float* b_hh, const float* peep, const float* c_prev,  \
                                       int32_t ld_cp, float* c, int32_t ld_c, float* h,            \
                                       int32_t ld_h, float* y, int32_t ld_y);                      \
  void mklrnn_##P##_lstm_backward(int32_t n, int32_t H, const float* gates, int32_t ld_g,          \
                                  const float* peep, const float* c_prev, int32_t ld_cp,           \
                                  const float* c, int32_t ld_c, const float* dh, int32_t ld_dh,    \
                                  const float* dy, int32_t ld_dy, float* dc, int32_t ld_dc,        \
                                  float* dgates, int32_t ld_dg, float* dpeep);                     \
  void mklrnn_##P##_gru_forward(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,         \
                                int32_t ld_gh, const float* b_ih, const float* b_hh,               \
                                const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,        \
                                float* y, int32_t ld_y);                                           \
  void mklrnn_##P##_gru_backward(int32_t n, int32_t H, const float* gx, int32_t ld_gx,             \
                                 const float* gh, int32_t ld_gh, const float* h_prev,              \
                                 int32_t ld_hp, const float* dh, int32_t ld_dh, const float* dy,   \
                                 int32_t ld_dy, float* dgx, int32_t ld_dgx, float* dgh,            \
                                 int32_t ld_dgh, float* dh_prev, int32_t ld_dhp);                  \
  void mklrnn_##P##_gru0_forward_gates(int32_t n, int32_t H, float* gx, int32_t ld_gx,             \
                                       const float* ghrz, int32_t ld_ghrz, const float* b_ih,      \
                                       const float* b_hh, const float* h_prev, int32_t ld_hp,      \
                                       float* rh, int32_t ld_rh);                                  \
  void mklrnn_##P##_gru0_forward_state(int32_t n, int32_t H, float* gx, int32_t ld_gx,             \
                                       const float* ghn, int32_t ld_ghn, const float* b_ih,        \
                                       const float* b_hh, const float* h_prev, int32_t ld_hp,      \
                                       float* h, int32_t ld_h, float* y, int32_t ld_y);            \
  void mklrnn_##P##_gru0_backward_state(int32_t n, int32_t H, const float* gx, int32_t ld_gx,      \
                                        const float* h_prev, int32_t ld_hp, const float* dh,       \
                                        int32_t ld_dh, const float* dy, int32_t ld_dy, float* dgx, \
                                        int32_t ld_dgx, float* dh_prev, int32_t ld_dhp);           \
  void mklrnn_##P##_gru0_backward_gates(int32_t n, int32_t H, const float* gx, int32_t ld_gx,      \
                                        const float* h_prev, int32_t ld_hp, const float* drh,      \
                                        int32_t ld_drh, float* dgx, int32_t ld_dgx,                \
                                        float* dh_prev, int32_t ld_dhp);

/* The rest: helpers and the fused small-batch steps (scalar and AVX2 only). */
#define MKLRNN_DECLARE_STEP_KERNELS(P)                                                             \
  void mklrnn_##P##_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out);     \
  void mklrnn_##P##_lstm_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,      \
                                     const float* panels, const float* gx, int32_t ld_gx,          \
                                     const float* b_ih, const float* b_hh, const float* h_prev,    \
                                     int32_t ld_hp, float* c, int32_t ld_c, float* h,              \
                                     int32_t ld_h, float* y, int32_t ld_y);                        \
  void mklrnn_##P##_gru_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,       \
                                    const float* panels, const float* gx, int32_t ld_gx,           \
                                    const float* b_ih, const float* b_hh, const float* h_prev,     \
                                    int32_t ld_hp, float* h, int32_t ld_h, float* y,               \
                                    int32_t ld_y);                                                 \
  void mklrnn_##P##_rnn_step_panels(int32_t act, int32_t n, int32_t H, int32_t K, int32_t j0,      \
                                    int32_t j1, const float* panels, const float* gx,              \
                                    int32_t ld_gx, const float* b_ih, const float* b_hh,           \
                                    const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,    \
                                    float* y, int32_t ld_y);

#define MKLRNN_DECLARE_KERNELS(P) \
  MKLRNN_DECLARE_ROW_KERNELS(P)   \
  MKLRNN_DECLARE_STEP_KERNELS(P)

/* Element-wise vector math over arrays, for the tests only (y may alias x). */
#define MKLRNN_DECLARE_VMATH(P)                                \
  void mklrnn_##P##_vexp(int32_t n, const float* x, float* y);     \
  void mklrnn_##P##_vsigmoid(int32_t n, const float* x, float* y); \
  void mklrnn_##P##_vtanh(int32_t n, const float* x, float* y);

MKLRNN_DECLARE_KERNELS(scalar)

#if MKLRNN_HAVE_AVX2_KERNELS
MKLRNN_DECLARE_KERNELS(avx2)
MKLRNN_DECLARE_VMATH(avx2)
#endif

#if MKLRNN_HAVE_AVX512_KERNELS
MKLRNN_DECLARE_ROW_KERNELS(avx512)
MKLRNN_DECLARE_VMATH(avx512)
/* The dequantization factors of one int32 block's k columns: comp[j] = zero * colsum[j], col_scale[j] =
 * scale * w_scale[j] (the products mklrnn_avx512_dequantize_s32 forms per element). */
void mklrnn_avx512_dequant_factors(int32_t k, int32_t zero, const int32_t* colsum, float scale, const float* w_scale,
                                   int32_t* comp, float* col_scale);
/* The int8 LSTM step rows in one pass (AVX-512 only; the other paths compose dequantize_s32, lstm_forward and
 * quantize_u8): both int32 blocks dequantized in registers with their factors made once per call (comp, col_scale;
 * x_comp, x_col_scale), the gates never written, hq (or NULL) gets h's codes straight from the register. The
 * arguments otherwise those of mklrnn_lstm_forward_s32 with an input block. */
void mklrnn_avx512_lstm_s32_rows(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, const int32_t* comp,
                                 const float* col_scale, const int32_t* acc_x, int32_t ld_acc_x, const int32_t* x_comp,
                                 const float* x_col_scale, const float* b_ih, const float* b_hh, const float* peep,
                                 const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                 float* y, int32_t ld_y, uint8_t* hq, int32_t ld_hq, float hq_inv_scale, int32_t hq_zero,
                                 int32_t hq_max);
#endif

/* Low-precision helpers (lowp_*.c): scalar, AVX2 and AVX-512 versions give the same bits. */
#define MKLRNN_DECLARE_LOWP_KERNELS(P)                                                              \
  void mklrnn_##P##_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst, \
                                int32_t ld_dst);                                                    \
  void mklrnn_##P##_min_max(int32_t n, int32_t k, const float* src, int32_t ld_src, float* min_max); \
  void mklrnn_##P##_quantize_u8(int32_t n, int32_t k, const float* src, int32_t ld_src,             \
                                float inv_scale, int32_t zero_point, int32_t qmax, uint8_t* dst,    \
                                int32_t ld_dst);                                                    \
  void mklrnn_##P##_dequantize_s32(int32_t n, int32_t k, const int32_t* acc, int32_t ld_acc,        \
                                   float a_scale, int32_t a_zero, const float* w_scale,             \
                                   const int32_t* w_colsum, int32_t accumulate, float* out,         \
                                   int32_t ld_out);

MKLRNN_DECLARE_LOWP_KERNELS(scalar)
/* One float's bf16 bits (the reference rule). */
uint16_t mklrnn_scalar_bf16_of(float x);
#if MKLRNN_HAVE_AVX2_KERNELS
MKLRNN_DECLARE_LOWP_KERNELS(avx2)
#endif
#if MKLRNN_HAVE_AVX512_KERNELS
MKLRNN_DECLARE_LOWP_KERNELS(avx512)
/* The AVX512_BF16 instruction version (VCVTNE2PS2BF16); only when the CPU has it. */
void mklrnn_avx512bf16_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst,
                                   int32_t ld_dst);
#endif

/* Packing of W_hh into panels (one portable version; it runs once per weight). */
void mklrnn_scalar_pack_panels(int32_t G, int32_t H, int32_t K, const float* w, int32_t ld_w, float* panels);

/* The scalar non-linearities the scalar kernels use (libm based). */
float mklrnn_scalar_sigmoid(float x);

#endif /* MKLRNN_KERNELS_H */

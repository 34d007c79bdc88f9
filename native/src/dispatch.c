/* dispatch.c -- the exported mklrnn_* functions: argument validation, then the kernel choice.
 * Every argument is checked before any memory is touched (MKLRNN_BAD_ARGUMENT, nothing written).
 * Kernels: AVX-512 (row-wise kernels) when the CPU and OS support AVX-512F/DQ/BW/VL, else AVX2+FMA,
 * else scalar; MKLRNN_FORCE_AVX2=1 / MKLRNN_FORCE_SCALAR=1 (read once) cap the choice. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

/* ---------------------------------------------------------------- kernel choice --------- */

/* 0 = not decided yet, else 1 + MKLRNN_ISA_*. Racing first calls all compute the same answer. */
static atomic_int g_path = 0;

static int env_is_1(const char* name) {
  const char* v = getenv(name);
  return v != NULL && strcmp(v, "1") == 0;
}

static int decide_isa(void) {
  if (env_is_1("MKLRNN_FORCE_SCALAR")) return MKLRNN_ISA_SCALAR;
#if MKLRNN_HAVE_AVX2_KERNELS
  __builtin_cpu_init(); /* needed when called before constructors (e.g. from an ifunc) */
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return MKLRNN_ISA_SCALAR;
#if MKLRNN_HAVE_AVX512_KERNELS
  /* libgcc's feature bits include the OS check (xgetbv: ZMM and opmask state enabled). */
  if (!env_is_1("MKLRNN_FORCE_AVX2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return MKLRNN_ISA_AVX512;
#endif
  return MKLRNN_ISA_AVX2;
#else
  return MKLRNN_ISA_SCALAR;
#endif
}

static int isa(void) {
  int p = atomic_load_explicit(&g_path, memory_order_relaxed);
  if (p == 0) {
    p = 1 + decide_isa();
    atomic_store_explicit(&g_path, p, memory_order_relaxed);
  }
  return p - 1;
}

static int use_avx2(void) { return isa() >= MKLRNN_ISA_AVX2; }

/* DISPATCH: kernels with scalar and AVX2 versions (the AVX-512 path uses the AVX2 ones). */
#if MKLRNN_HAVE_AVX2_KERNELS
#define DISPATCH(name, ...)                  \
  do {                                       \
    if (use_avx2())                          \
      mklrnn_avx2_##name(__VA_ARGS__);       \
    else                                     \
      mklrnn_scalar_##name(__VA_ARGS__);     \
    return MKLRNN_OK;                        \
  } while (0)
#else
#define DISPATCH(name, ...)              \
  do {                                   \
    mklrnn_scalar_##name(__VA_ARGS__);   \
    return MKLRNN_OK;                    \
  } while (0)
#endif

/* KERNEL: a row-wise kernel of the chosen ISA (an expression; FOR_ROW_PIECES returns). */
#if MKLRNN_HAVE_AVX512_KERNELS
#define KERNEL(name, ...)                                                                  \
  (isa() == MKLRNN_ISA_AVX512 ? mklrnn_avx512_##name(__VA_ARGS__)                          \
   : isa() == MKLRNN_ISA_AVX2 ? mklrnn_avx2_##name(__VA_ARGS__) : mklrnn_scalar_##name(__VA_ARGS__))
#elif MKLRNN_HAVE_AVX2_KERNELS
#define KERNEL(name, ...) (use_avx2() ? mklrnn_avx2_##name(__VA_ARGS__) : mklrnn_scalar_##name(__VA_ARGS__))
#else
#define KERNEL(name, ...) mklrnn_scalar_##name(__VA_ARGS__)
#endif

/* ---------------------------------------------------------------- kernel threads -------- */

static _Thread_local int32_t t_kernel_threads = 1;

MKLRNN_API int32_t mklrnn_set_kernel_threads(int32_t threads) {
  const int32_t previous = t_kernel_threads;
  t_kernel_threads = threads < 1 ? 1 : threads;
  return previous;
}

MKLRNN_API int32_t mklrnn_get_kernel_threads(void) { return t_kernel_threads; }

MKLRNN_API int32_t mklrnn_run_team(int32_t threads, mklrnn_team_job job, void* state) {
  if (job == NULL || threads < 1) return 0;
  int32_t granted = 1;
#pragma omp parallel num_threads(threads)
  {
    const int32_t t = omp_get_thread_num(), m = omp_get_num_threads();
    if (t == 0) granted = m;
    job(t, m, state);
  }
  return granted;
}

/* Threads for an (n, width) block: the calling thread's setting when the block is large enough. */
static int32_t threads_for(int32_t n, int64_t width) {
  const int32_t t = t_kernel_threads;
  if (t <= 1 || (int64_t)n * width < MKLRNN_PARALLEL_MIN_ELEMENTS) return 1;
  return t < n ? t : n;
}

/* Runs CALL once per piece of rows [r0_, r0_ + n_) -- the whole block on this thread, or contiguous
 * equal shares on an OpenMP team. CALL offsets every row-indexed pointer with RO(p, ld). Valid
 * because every row kernel treats rows independently (aliasing is element-wise). */
#define RO(p, ld) ((p) ? (p) + (ptrdiff_t)r0_ * (ld) : (p))
#ifdef _OPENMP
#define FOR_ROW_PIECES(n, width, CALL)                                      \
  do {                                                                      \
    const int32_t nt_ = threads_for((n), (width));                          \
    if (nt_ <= 1) {                                                         \
      const int32_t r0_ = 0, n_ = (n);                                      \
      CALL;                                                                 \
    } else {                                                                \
      _Pragma("omp parallel num_threads(nt_)") {                            \
        const int32_t k_ = omp_get_thread_num(), m_ = omp_get_num_threads(); \
        const int32_t r0_ = (int32_t)((int64_t)(n) * k_ / m_);              \
        const int32_t n_ = (int32_t)((int64_t)(n) * (k_ + 1) / m_) - r0_;   \
        CALL;                                                               \
      }                                                                     \
    }                                                                       \
    return MKLRNN_OK;                                                       \
  } while (0)
#else
#define FOR_ROW_PIECES(n, width, CALL)   \
  do {                                   \
    (void)threads_for;                   \
    const int32_t r0_ = 0, n_ = (n);     \
    CALL;                                \
    return MKLRNN_OK;                    \
  } while (0)
#endif


/* ---------------------------------------------------------------- validation helpers ---- */

/* Widths in int64: G * H may exceed int32 (then no int32 leading dimension can hold it). */
static int bad_dims(int32_t n, int32_t H) { return n < 0 || H < 1; }

/* A required matrix: non-NULL, leading dimension >= its row width. */
static int bad_mat(const void* p, int32_t ld, int64_t width) { return p == NULL || (int64_t)ld < width; }

/* An optional matrix (NULL allowed, then its leading dimension is ignored). */
static int bad_opt(const void* p, int32_t ld, int64_t width) { return p != NULL && (int64_t)ld < width; }

/* A permitted alias (same pointer) must use the same leading dimension to be element-wise. */
static int bad_alias(const void* a, int32_t ld_a, const void* b, int32_t ld_b) { return a == b && ld_a != ld_b; }

#define CHECK(cond)                                   \
  do {                                                \
    if (cond) return MKLRNN_BAD_ARGUMENT;             \
  } while (0)

/* ---------------------------------------------------------------- exported functions ---- */

MKLRNN_API int32_t mklrnn_abi_version(void) { return MKLRNN_ABI_VERSION; }

MKLRNN_API int32_t mklrnn_uses_avx2(void) { return use_avx2() ? 1 : 0; }

MKLRNN_API int32_t mklrnn_isa(void) { return isa(); }

MKLRNN_API int32_t mklrnn_rnn_forward(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,
                                      const float* b_ih, const float* b_hh, float* h, int32_t ld_h,
                                      float* y, int32_t ld_y) {
  CHECK(act != MKLRNN_ACT_TANH && act != MKLRNN_ACT_RELU);
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(g, ld_g, H) || b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H));
  FOR_ROW_PIECES(n, H, KERNEL(rnn_forward, act, n_, H, RO(g, ld_g), ld_g, b_ih, b_hh, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y));
}

MKLRNN_API int32_t mklrnn_rnn_backward(int32_t act, int32_t n, int32_t H, const float* h, int32_t ld_h,
                                       const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,
                                       float* dg, int32_t ld_dg) {
  CHECK(act != MKLRNN_ACT_TANH && act != MKLRNN_ACT_RELU);
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(h, ld_h, H) || bad_mat(dh, ld_dh, H) || bad_opt(dy, ld_dy, H));
  CHECK(bad_mat(dg, ld_dg, H) || bad_alias(dg, ld_dg, dh, ld_dh));
  FOR_ROW_PIECES(n, H, KERNEL(rnn_backward, act, n_, H, RO(h, ld_h), ld_h, RO(dh, ld_dh), ld_dh, RO(dy, ld_dy), ld_dy,
                               RO(dg, ld_dg), ld_dg));
}

MKLRNN_API int32_t mklrnn_lstm_forward(int32_t n, int32_t H, float* gates, int32_t ld_g,
                                       const float* b_ih, const float* b_hh, const float* peep,
                                       const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c,
                                       float* h, int32_t ld_h, float* y, int32_t ld_y) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gates, ld_g, 4 * (int64_t)H) || b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(c_prev, ld_cp, H) || bad_mat(c, ld_c, H) || bad_alias(c, ld_c, c_prev, ld_cp));
  CHECK(bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H));
  FOR_ROW_PIECES(n, 4 * (int64_t)H,
                 KERNEL(lstm_forward, n_, H, RO(gates, ld_g), ld_g, b_ih, b_hh, peep, RO(c_prev, ld_cp), ld_cp,
                        RO(c, ld_c), ld_c, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y));
}

MKLRNN_API int32_t mklrnn_lstm_backward(int32_t n, int32_t H, const float* gates, int32_t ld_g,
                                        const float* peep, const float* c_prev, int32_t ld_cp,
                                        const float* c, int32_t ld_c, const float* dh, int32_t ld_dh,
                                        const float* dy, int32_t ld_dy, float* dc, int32_t ld_dc,
                                        float* dgates, int32_t ld_dg, float* dpeep) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gates, ld_g, 4 * (int64_t)H) || (peep == NULL) != (dpeep == NULL));
  CHECK(bad_mat(c_prev, ld_cp, H) || bad_mat(c, ld_c, H));
  CHECK(bad_mat(dh, ld_dh, H) || bad_opt(dy, ld_dy, H) || bad_mat(dc, ld_dc, H));
  CHECK(bad_mat(dgates, ld_dg, 4 * (int64_t)H) || bad_alias(dgates, ld_dg, gates, ld_g));
  /* dpeep sums over rows: with peepholes the rows are not independent, so no split. */
  FOR_ROW_PIECES(n, dpeep ? 0 : 4 * (int64_t)H,
                 KERNEL(lstm_backward, n_, H, RO(gates, ld_g), ld_g, peep, RO(c_prev, ld_cp), ld_cp, RO(c, ld_c),
                        ld_c, RO(dh, ld_dh), ld_dh, RO(dy, ld_dy), ld_dy, RO(dc, ld_dc), ld_dc, RO(dgates, ld_dg),
                        ld_dg, dpeep));
}

MKLRNN_API int32_t mklrnn_gru_forward(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,
                                      int32_t ld_gh, const float* b_ih, const float* b_hh,
                                      const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                      float* y, int32_t ld_y) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(gh, ld_gh, 3 * (int64_t)H));
  CHECK(b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h_prev, ld_hp, H) || bad_mat(h, ld_h, H) || bad_alias(h, ld_h, h_prev, ld_hp));
  CHECK(bad_opt(y, ld_y, H));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 KERNEL(gru_forward, n_, H, RO(gx, ld_gx), ld_gx, RO(gh, ld_gh), ld_gh, b_ih, b_hh, RO(h_prev, ld_hp),
                        ld_hp, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y));
}

MKLRNN_API int32_t mklrnn_gru_backward(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                       const float* gh, int32_t ld_gh, const float* h_prev,
                                       int32_t ld_hp, const float* dh, int32_t ld_dh, const float* dy,
                                       int32_t ld_dy, float* dgx, int32_t ld_dgx, float* dgh,
                                       int32_t ld_dgh, float* dh_prev, int32_t ld_dhp) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(gh, ld_gh, 3 * (int64_t)H));
  CHECK(bad_mat(h_prev, ld_hp, H) || bad_mat(dh, ld_dh, H) || bad_opt(dy, ld_dy, H));
  CHECK(bad_mat(dgx, ld_dgx, 3 * (int64_t)H) || bad_alias(dgx, ld_dgx, gx, ld_gx));
  CHECK(bad_mat(dgh, ld_dgh, 3 * (int64_t)H) || bad_alias(dgh, ld_dgh, gh, ld_gh));
  CHECK(bad_mat(dh_prev, ld_dhp, H) || bad_alias(dh_prev, ld_dhp, dh, ld_dh));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 KERNEL(gru_backward, n_, H, RO(gx, ld_gx), ld_gx, RO(gh, ld_gh), ld_gh, RO(h_prev, ld_hp), ld_hp,
                        RO(dh, ld_dh), ld_dh, RO(dy, ld_dy), ld_dy, RO(dgx, ld_dgx), ld_dgx, RO(dgh, ld_dgh), ld_dgh,
                        RO(dh_prev, ld_dhp), ld_dhp));
}

MKLRNN_API int32_t mklrnn_gru0_forward_gates(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                             const float* ghrz, int32_t ld_ghrz, const float* b_ih,
                                             const float* b_hh, const float* h_prev, int32_t ld_hp,
                                             float* rh, int32_t ld_rh) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(ghrz, ld_ghrz, 2 * (int64_t)H));
  CHECK(b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h_prev, ld_hp, H) || bad_mat(rh, ld_rh, H));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 KERNEL(gru0_forward_gates, n_, H, RO(gx, ld_gx), ld_gx, RO(ghrz, ld_ghrz), ld_ghrz, b_ih, b_hh,
                        RO(h_prev, ld_hp), ld_hp, RO(rh, ld_rh), ld_rh));
}

MKLRNN_API int32_t mklrnn_gru0_forward_state(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                             const float* ghn, int32_t ld_ghn, const float* b_ih,
                                             const float* b_hh, const float* h_prev, int32_t ld_hp,
                                             float* h, int32_t ld_h, float* y, int32_t ld_y) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(ghn, ld_ghn, H));
  CHECK(b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h_prev, ld_hp, H) || bad_mat(h, ld_h, H) || bad_alias(h, ld_h, h_prev, ld_hp));
  CHECK(bad_opt(y, ld_y, H));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 KERNEL(gru0_forward_state, n_, H, RO(gx, ld_gx), ld_gx, RO(ghn, ld_ghn), ld_ghn, b_ih, b_hh,
                        RO(h_prev, ld_hp), ld_hp, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y));
}

MKLRNN_API int32_t mklrnn_gru0_backward_state(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                              const float* h_prev, int32_t ld_hp, const float* dh,
                                              int32_t ld_dh, const float* dy, int32_t ld_dy,
                                              float* dgx, int32_t ld_dgx, float* dh_prev,
                                              int32_t ld_dhp) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(h_prev, ld_hp, H));
  CHECK(bad_mat(dh, ld_dh, H) || bad_opt(dy, ld_dy, H));
  CHECK(bad_mat(dgx, ld_dgx, 3 * (int64_t)H) || bad_alias(dgx, ld_dgx, gx, ld_gx));
  CHECK(bad_mat(dh_prev, ld_dhp, H) || bad_alias(dh_prev, ld_dhp, dh, ld_dh));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 KERNEL(gru0_backward_state, n_, H, RO(gx, ld_gx), ld_gx, RO(h_prev, ld_hp), ld_hp, RO(dh, ld_dh), ld_dh,
                        RO(dy, ld_dy), ld_dy, RO(dgx, ld_dgx), ld_dgx, RO(dh_prev, ld_dhp), ld_dhp));
}

MKLRNN_API int32_t mklrnn_gru0_backward_gates(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                              const float* h_prev, int32_t ld_hp, const float* drh,
                                              int32_t ld_drh, float* dgx, int32_t ld_dgx,
                                              float* dh_prev, int32_t ld_dhp) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(h_prev, ld_hp, H) || bad_mat(drh, ld_drh, H));
  CHECK(bad_mat(dgx, ld_dgx, 3 * (int64_t)H) || bad_alias(dgx, ld_dgx, gx, ld_gx));
  CHECK(bad_mat(dh_prev, ld_dhp, H));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 KERNEL(gru0_backward_gates, n_, H, RO(gx, ld_gx), ld_gx, RO(h_prev, ld_hp), ld_hp, RO(drh, ld_drh),
                        ld_drh, RO(dgx, ld_dgx), ld_dgx, RO(dh_prev, ld_dhp), ld_dhp));
}

MKLRNN_API int32_t mklrnn_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out) {
  CHECK(bad_dims(n, k)); /* k plays the role of H: at least one column */
  CHECK(bad_mat(a, ld_a, k) || out == NULL);
#ifdef _OPENMP
  /* Kernel threads split the columns (in 16-float pieces: no cache line of out is shared); each
   * column is still summed over the rows in order, so the result does not depend on the split. */
  const int32_t chunks = (k + 15) / 16;
  int32_t nt = (int64_t)n * k >= MKLRNN_PARALLEL_MIN_ELEMENTS ? t_kernel_threads : 1;
  if (nt > chunks) nt = chunks;
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    {
      const int32_t t = omp_get_thread_num(), m = omp_get_num_threads();
      const int32_t c0 = (int32_t)((int64_t)chunks * t / m) * 16;
      const int32_t c1 = t == m - 1 ? k : (int32_t)((int64_t)chunks * (t + 1) / m) * 16;
      if (c1 > c0) {
        if (use_avx2())
          mklrnn_avx2_sum_rows(n, c1 - c0, a + c0, ld_a, out + c0);
        else
          mklrnn_scalar_sum_rows(n, c1 - c0, a + c0, ld_a, out + c0);
      }
    }
    return MKLRNN_OK;
  }
#endif
  DISPATCH(sum_rows, n, k, a, ld_a, out);
}

/* ---------------------------------------------------------------- fused small-batch steps */

MKLRNN_API int64_t mklrnn_panel_size(int32_t G, int32_t H, int32_t K) {
  if (G < 1 || H < 1 || K < 1) return -1;
  const int64_t limit = (int64_t)(PTRDIFF_MAX / (ptrdiff_t)sizeof(float));
  const int64_t per_k = ((int64_t)H + 7) / 8 * 8 * G; /* <= 2^31 * 2^31: no overflow */
  if (per_k > limit / K) return -1;
  return per_k * K;
}

MKLRNN_API int32_t mklrnn_pack_panels(int32_t G, int32_t H, int32_t K, const float* w, int32_t ld_w,
                                      float* panels) {
  CHECK(mklrnn_panel_size(G, H, K) < 0);
  CHECK(bad_mat(w, ld_w, K) || panels == NULL);
  mklrnn_scalar_pack_panels(G, H, K, w, ld_w, panels);
  return MKLRNN_OK;
}

/* The checks shared by the step functions: sizes, the column range, the pointers every cell
 * has, and no output may be h_prev (other threads read it during the call). */
static int bad_step(int32_t G, int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1, const float* panels,
                    const float* gx, int32_t ld_gx, const float* b_ih, const float* b_hh,
                    const float* h_prev, int32_t ld_hp, const float* h, int32_t ld_h, const float* y,
                    int32_t ld_y) {
  if (bad_dims(n, H) || K < 1) return 1;
  if (j0 < 0 || j0 % 8 != 0 || j1 < j0 || j1 > H) return 1;
  if (panels == NULL || b_ih == NULL || b_hh == NULL) return 1;
  if (bad_mat(gx, ld_gx, (int64_t)G * H) || bad_mat(h_prev, ld_hp, K)) return 1;
  if (bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H)) return 1;
  return h == h_prev || (y != NULL && y == h_prev);
}

MKLRNN_API int32_t mklrnn_lstm_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                           const float* panels, const float* gx, int32_t ld_gx,
                                           const float* b_ih, const float* b_hh, const float* h_prev,
                                           int32_t ld_hp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                           float* y, int32_t ld_y) {
  CHECK(bad_step(4, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h, ld_h, y, ld_y));
  CHECK(bad_mat(c, ld_c, H) || c == h_prev);
  DISPATCH(lstm_step_panels, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, c, ld_c, h,
           ld_h, y, ld_y);
}

MKLRNN_API int32_t mklrnn_gru_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                          const float* panels, const float* gx, int32_t ld_gx,
                                          const float* b_ih, const float* b_hh, const float* h_prev,
                                          int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y) {
  CHECK(bad_step(3, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h, ld_h, y, ld_y));
  CHECK(K != H); /* z * h_prev is element-wise */
  DISPATCH(gru_step_panels, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h, ld_h, y,
           ld_y);
}

MKLRNN_API int32_t mklrnn_rnn_step_panels(int32_t act, int32_t n, int32_t H, int32_t K, int32_t j0,
                                          int32_t j1, const float* panels, const float* gx,
                                          int32_t ld_gx, const float* b_ih, const float* b_hh,
                                          const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                          float* y, int32_t ld_y) {
  CHECK(act != MKLRNN_ACT_TANH && act != MKLRNN_ACT_RELU);
  CHECK(bad_step(1, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h, ld_h, y, ld_y));
  CHECK(K != H); /* h is the next step's h_prev */
  DISPATCH(rnn_step_panels, act, n, H, K, j0, j1, panels, gx, ld_gx, b_ih, b_hh, h_prev, ld_hp, h, ld_h,
           y, ld_y);
}

/* ---------------------------------------------------------------- reduced precision ---- */

static int uses_bf16_instructions(void) {
#if MKLRNN_HAVE_AVX512_KERNELS
  return isa() == MKLRNN_ISA_AVX512 && __builtin_cpu_supports("avx512bf16");
#else
  return 0;
#endif
}

MKLRNN_API int32_t mklrnn_uses_bf16_instructions(void) { return uses_bf16_instructions(); }

MKLRNN_API int32_t mklrnn_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst,
                                      int32_t ld_dst) {
  CHECK(bad_dims(n, k) || bad_mat(src, ld_src, k) || bad_mat(dst, ld_dst, k));
#if MKLRNN_HAVE_AVX512_KERNELS
  if (uses_bf16_instructions())
    FOR_ROW_PIECES(n, k, mklrnn_avx512bf16_f32_to_bf16(n_, k, RO(src, ld_src), ld_src, RO(dst, ld_dst), ld_dst));
#endif
  FOR_ROW_PIECES(n, k, KERNEL(f32_to_bf16, n_, k, RO(src, ld_src), ld_src, RO(dst, ld_dst), ld_dst));
}

/* bf16 rows of src (row r of n) with the path mklrnn_f32_to_bf16 takes. */
static void bf16_rows(int32_t n, int32_t k, const float* src, int32_t ld_src, uint16_t* dst, int32_t ld_dst) {
#if MKLRNN_HAVE_AVX512_KERNELS
  if (uses_bf16_instructions()) {
    mklrnn_avx512bf16_f32_to_bf16(n, k, src, ld_src, dst, ld_dst);
    return;
  }
#endif
  KERNEL(f32_to_bf16, n, k, src, ld_src, dst, ld_dst);
}

/* Rows r .. r + m - 1 in chunks of at most size rows (the row loops below: one dispatch per chunk, not per row). */
#define FOR_ROW_CHUNKS(size) \
  for (int32_t r = 0, m = n < (size) ? n : (size); r < n; r += m, m = n - r < (size) ? n - r : (size))

/* The *_infer steps go in chunks of a few rows: the kernel on the chunk, then (hb) its rows of h to bf16 while they
 * are in L1 -- one dispatch per chunk, not per row (per row, the calls cost S6 1-2 %). */
#define INFER_CHUNK 8
#define HB_ROWS(hrows) \
  if (hb) bf16_rows(m, H, hrows, ld_h, hb + (ptrdiff_t)r * ld_hb, ld_hb)
static void lstm_infer_rows(int32_t n, int32_t H, const float* gx, int32_t ld_gx, const float* gh, int32_t ld_gh,
                            const float* b_ih, const float* b_hh, const float* peep, const float* c_prev, int32_t ld_cp,
                            float* c, int32_t ld_c, float* h, int32_t ld_h, float* y, int32_t ld_y, uint16_t* hb,
                            int32_t ld_hb) {
  FOR_ROW_CHUNKS(INFER_CHUNK) {
    float* hr = h + (ptrdiff_t)r * ld_h;
    KERNEL(lstm_forward_infer, m, H, gx + (ptrdiff_t)r * ld_gx, ld_gx, gh ? gh + (ptrdiff_t)r * ld_gh : NULL, ld_gh, b_ih, b_hh,
           peep, c_prev + (ptrdiff_t)r * ld_cp, ld_cp, c + (ptrdiff_t)r * ld_c, ld_c, hr, ld_h, y ? y + (ptrdiff_t)r * ld_y : NULL,
           ld_y);
    HB_ROWS(hr);
  }
}

MKLRNN_API int32_t mklrnn_lstm_forward_infer(int32_t n, int32_t H, const float* gx, int32_t ld_gx, const float* gh,
                                             int32_t ld_gh, const float* b_ih, const float* b_hh, const float* peep,
                                             const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c, float* h,
                                             int32_t ld_h, float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 4 * (int64_t)H) || bad_opt(gh, ld_gh, 4 * (int64_t)H) || b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(c_prev, ld_cp, H) || bad_mat(c, ld_c, H) || bad_alias(c, ld_c, c_prev, ld_cp));
  CHECK(bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H) || bad_opt(hb, ld_hb, H));
  FOR_ROW_PIECES(n, 4 * (int64_t)H,
                 lstm_infer_rows(n_, H, RO(gx, ld_gx), ld_gx, RO(gh, ld_gh), ld_gh, b_ih, b_hh, peep, RO(c_prev, ld_cp),
                                 ld_cp, RO(c, ld_c), ld_c, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y, RO(hb, ld_hb), ld_hb));
}

static void rnn_infer_rows(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g, const float* b_ih,
                           const float* b_hh, float* h, int32_t ld_h, float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb) {
  FOR_ROW_CHUNKS(INFER_CHUNK) {
    float* hr = h + (ptrdiff_t)r * ld_h;
    KERNEL(rnn_forward, act, m, H, g + (ptrdiff_t)r * ld_g, ld_g, b_ih, b_hh, hr, ld_h, y ? y + (ptrdiff_t)r * ld_y : NULL, ld_y);
    HB_ROWS(hr);
  }
}

MKLRNN_API int32_t mklrnn_rnn_forward_infer(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,
                                            const float* b_ih, const float* b_hh, float* h, int32_t ld_h,
                                            float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb) {
  CHECK(act != MKLRNN_ACT_TANH && act != MKLRNN_ACT_RELU);
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(g, ld_g, H) || b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H) || bad_opt(hb, ld_hb, H));
  FOR_ROW_PIECES(n, H, rnn_infer_rows(act, n_, H, RO(g, ld_g), ld_g, b_ih, b_hh, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y,
                                      RO(hb, ld_hb), ld_hb));
}

static void gru_infer_rows(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh, int32_t ld_gh, const float* b_ih,
                           const float* b_hh, const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h, float* y,
                           int32_t ld_y, uint16_t* hb, int32_t ld_hb) {
  FOR_ROW_CHUNKS(INFER_CHUNK) {
    float* hr = h + (ptrdiff_t)r * ld_h;
    KERNEL(gru_forward, m, H, gx + (ptrdiff_t)r * ld_gx, ld_gx, gh + (ptrdiff_t)r * ld_gh, ld_gh, b_ih, b_hh,
           h_prev + (ptrdiff_t)r * ld_hp, ld_hp, hr, ld_h, y ? y + (ptrdiff_t)r * ld_y : NULL, ld_y);
    HB_ROWS(hr);
  }
}

MKLRNN_API int32_t mklrnn_gru_forward_infer(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,
                                            int32_t ld_gh, const float* b_ih, const float* b_hh,
                                            const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                            float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb) {
  CHECK(bad_dims(n, H));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(gh, ld_gh, 3 * (int64_t)H));
  CHECK(b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h_prev, ld_hp, H) || bad_mat(h, ld_h, H) || bad_alias(h, ld_h, h_prev, ld_hp));
  CHECK(bad_opt(y, ld_y, H) || bad_opt(hb, ld_hb, H));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 gru_infer_rows(n_, H, RO(gx, ld_gx), ld_gx, RO(gh, ld_gh), ld_gh, b_ih, b_hh, RO(h_prev, ld_hp), ld_hp,
                                RO(h, ld_h), ld_h, RO(y, ld_y), ld_y, RO(hb, ld_hb), ld_hb));
}

MKLRNN_API int32_t mklrnn_min_max(int32_t n, int32_t k, const float* src, int32_t ld_src, float* min_max) {
  CHECK(bad_dims(n, k) || bad_mat(src, ld_src, k) || min_max == NULL);
  KERNEL(min_max, n, k, src, ld_src, min_max);
  return MKLRNN_OK;
}

/* u8 quantization parameters: inv_scale finite and positive (NaN fails), 0 <= zero_point <= qmax <= 255. */
static int bad_quantization(float inv_scale, int32_t zero_point, int32_t qmax) {
  return !(inv_scale > 0.0f && inv_scale <= 3.4028235e38f) || zero_point < 0 || qmax > 255 || zero_point > qmax;
}

MKLRNN_API int32_t mklrnn_quantize_u8(int32_t n, int32_t k, const float* src, int32_t ld_src, float inv_scale,
                                      int32_t zero_point, int32_t qmax, uint8_t* dst, int32_t ld_dst) {
  CHECK(bad_dims(n, k) || bad_mat(src, ld_src, k) || bad_mat(dst, ld_dst, k));
  CHECK(bad_quantization(inv_scale, zero_point, qmax));
  FOR_ROW_PIECES(n, k, KERNEL(quantize_u8, n_, k, RO(src, ld_src), ld_src, inv_scale, zero_point, qmax, RO(dst, ld_dst), ld_dst));
}

/* The quantization arguments every int32 entry point shares. */
static int bad_dequant(const int32_t* acc, int32_t ld_acc, int64_t width, float a_scale, const float* w_scale,
                       const int32_t* w_colsum) {
  return bad_mat(acc, ld_acc, width) || w_scale == NULL || w_colsum == NULL || !(a_scale >= 0.0f && a_scale <= 3.4028235e38f);
}

MKLRNN_API int32_t mklrnn_dequantize_s32(int32_t n, int32_t k, const int32_t* acc, int32_t ld_acc, float a_scale,
                                         int32_t a_zero, const float* w_scale, const int32_t* w_colsum,
                                         int32_t accumulate, float* out, int32_t ld_out) {
  CHECK(bad_dims(n, k) || bad_dequant(acc, ld_acc, k, a_scale, w_scale, w_colsum));
  CHECK(bad_mat(out, ld_out, k) || (accumulate != 0 && accumulate != 1));
  FOR_ROW_PIECES(n, k, KERNEL(dequantize_s32, n_, k, RO(acc, ld_acc), ld_acc, a_scale, a_zero, w_scale, w_colsum, accumulate,
                              RO(out, ld_out), ld_out));
}

/* Row loops of the *_forward_s32 functions: each row gets the dequantized input block (when given, overwriting
 * the fp32 gate row) and the dequantized recurrent product, then the fp32 row kernel runs on it while it is in
 * L1 (so the step reads each int32 block once and the gate rows are not streamed through memory twice). */
/* The two-pass rows (every path but the AVX-512 LSTM's) go S32_CHUNK rows at a time: the input block's rows
 * dequantized (when given, overwriting the fp32 gate rows; the next chunk's rows prefetched: the block streams from
 * memory), the recurrent product dequantized and added, the fp32 kernel, the u8 copy of h -- each on rows still in
 * L1, with one dispatch per chunk rather than per row. */
#define S32_CHUNK 4
#define S32_INPUT_ROWS(width, out, ld_out)                                                                           \
  if (acc_x) {                                                                                                       \
    for (int32_t p_ = r + m; p_ < r + 2 * m && p_ < n; ++p_) mklrnn_prefetch_row(acc_x + (ptrdiff_t)p_ * ld_acc_x, width);  \
    KERNEL(dequantize_s32, m, width, acc_x + (ptrdiff_t)r * ld_acc_x, ld_acc_x, x_scale, x_zero, wx_scale, wx_colsum, \
           0, out, ld_out);                                                                                          \
  }
#define S32_INPUT_PARAMS \
  const int32_t *acc_x, int32_t ld_acc_x, float x_scale, int32_t x_zero, const float *wx_scale, const int32_t *wx_colsum
#define S32_INPUT_ARGS RO(acc_x, ld_acc_x), ld_acc_x, x_scale, x_zero, wx_scale, wx_colsum
/* The optional u8 copy of h_t (the next step's GEMM operand), quantized from the rows just written, in L1. */
#define S32_HQ_PARAMS uint8_t *hq, int32_t ld_hq, float hq_inv_scale, int32_t hq_zero, int32_t hq_max
#define S32_HQ_ARGS RO(hq, ld_hq), ld_hq, hq_inv_scale, hq_zero, hq_max
#define S32_HQ_ROWS(hrows)                                                                                  \
  if (hq) KERNEL(quantize_u8, m, H, hrows, ld_h, hq_inv_scale, hq_zero, hq_max, hq + (ptrdiff_t)r * ld_hq, ld_hq)
#define FOR_S32_CHUNKS FOR_ROW_CHUNKS(S32_CHUNK)

static void lstm_s32_rows(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, float a_scale, int32_t a_zero,
                          const float* w_scale, const int32_t* w_colsum, S32_INPUT_PARAMS, float* gates, int32_t ld_g,
                          const float* b_ih, const float* b_hh, const float* peep, const float* c_prev,
                          int32_t ld_cp, float* c, int32_t ld_c, float* h, int32_t ld_h, float* y, int32_t ld_y,
                          S32_HQ_PARAMS) {
  FOR_S32_CHUNKS {
    float* gr = gates + (ptrdiff_t)r * ld_g;
    float *hr = h + (ptrdiff_t)r * ld_h, *yr = y ? y + (ptrdiff_t)r * ld_y : NULL;
    S32_INPUT_ROWS(4 * H, gr, ld_g);
    KERNEL(dequantize_s32, m, 4 * H, acc + (ptrdiff_t)r * ld_acc, ld_acc, a_scale, a_zero, w_scale, w_colsum, 1, gr, ld_g);
    KERNEL(lstm_forward, m, H, gr, ld_g, b_ih, b_hh, peep, c_prev + (ptrdiff_t)r * ld_cp, ld_cp, c + (ptrdiff_t)r * ld_c,
           ld_c, hr, ld_h, yr, ld_y);
    S32_HQ_ROWS(hr);
  }
}

static void rnn_s32_rows(int32_t act, int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, float a_scale,
                         int32_t a_zero, const float* w_scale, const int32_t* w_colsum, S32_INPUT_PARAMS, float* g,
                         int32_t ld_g, const float* b_ih, const float* b_hh, float* h, int32_t ld_h, float* y,
                         int32_t ld_y, S32_HQ_PARAMS) {
  FOR_S32_CHUNKS {
    float* gr = g + (ptrdiff_t)r * ld_g;
    S32_INPUT_ROWS(H, gr, ld_g);
    KERNEL(dequantize_s32, m, H, acc + (ptrdiff_t)r * ld_acc, ld_acc, a_scale, a_zero, w_scale, w_colsum, 1, gr, ld_g);
    KERNEL(rnn_forward, act, m, H, gr, ld_g, b_ih, b_hh, h + (ptrdiff_t)r * ld_h, ld_h, y ? y + (ptrdiff_t)r * ld_y : NULL,
           ld_y);
    S32_HQ_ROWS(h + (ptrdiff_t)r * ld_h);
  }
}

static void gru_s32_rows(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, float a_scale, int32_t a_zero,
                         const float* w_scale, const int32_t* w_colsum, S32_INPUT_PARAMS, float* gx, int32_t ld_gx,
                         float* gh, int32_t ld_gh, const float* b_ih, const float* b_hh, const float* h_prev,
                         int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y, S32_HQ_PARAMS) {
  FOR_S32_CHUNKS {
    float* gxr = gx + (ptrdiff_t)r * ld_gx;
    float* ghr = gh + (ptrdiff_t)r * ld_gh;
    S32_INPUT_ROWS(3 * H, gxr, ld_gx);
    KERNEL(dequantize_s32, m, 3 * H, acc + (ptrdiff_t)r * ld_acc, ld_acc, a_scale, a_zero, w_scale, w_colsum, 0, ghr, ld_gh);
    KERNEL(gru_forward, m, H, gxr, ld_gx, ghr, ld_gh, b_ih, b_hh, h_prev + (ptrdiff_t)r * ld_hp, ld_hp,
           h + (ptrdiff_t)r * ld_h, ld_h, y ? y + (ptrdiff_t)r * ld_y : NULL, ld_y);
    S32_HQ_ROWS(h + (ptrdiff_t)r * ld_h);
  }
}

/* The optional u8 copy of h: absent, or a valid (n, H) byte matrix with valid quantization parameters. */
static int bad_hq(const uint8_t* hq, int32_t ld_hq, int32_t H, float inv_scale, int32_t zero, int32_t qmax) {
  return hq != NULL && (bad_mat(hq, ld_hq, H) || bad_quantization(inv_scale, zero, qmax));
}

/* The optional input block: absent, or valid like the recurrent one. */
static int bad_input_block(const int32_t* acc_x, int32_t ld_acc_x, int64_t width, float x_scale, const float* wx_scale,
                           const int32_t* wx_colsum) {
  return acc_x != NULL && bad_dequant(acc_x, ld_acc_x, width, x_scale, wx_scale, wx_colsum);
}

MKLRNN_API int32_t mklrnn_lstm_forward_s32(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, float a_scale,
                                           int32_t a_zero, const float* w_scale, const int32_t* w_colsum,
                                           S32_INPUT_PARAMS, float* gates, int32_t ld_g, const float* b_ih, const float* b_hh,
                                           const float* peep, const float* c_prev, int32_t ld_cp, float* c,
                                           int32_t ld_c, float* h, int32_t ld_h, float* y, int32_t ld_y, S32_HQ_PARAMS) {
  CHECK(bad_dims(n, H) || bad_dequant(acc, ld_acc, 4 * (int64_t)H, a_scale, w_scale, w_colsum));
  CHECK(bad_hq(hq, ld_hq, H, hq_inv_scale, hq_zero, hq_max));
  CHECK(bad_input_block(acc_x, ld_acc_x, 4 * (int64_t)H, x_scale, wx_scale, wx_colsum));
  CHECK(bad_mat(gates, ld_g, 4 * (int64_t)H) || b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(c_prev, ld_cp, H) || bad_mat(c, ld_c, H) || bad_alias(c, ld_c, c_prev, ld_cp));
  CHECK(bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H));
#if MKLRNN_HAVE_AVX512_KERNELS
  if (isa() == MKLRNN_ISA_AVX512 && acc_x != NULL && n >= 4) {
    /* One pass per row: both blocks dequantized in registers, the gate rows neither written nor read back (S1 int8:
     * the dequantize and gate passes were 16 % of the profile). The per-column factors are made once per call, in
     * gate rows 0-3 (scratch here: the input projection is acc_x), not per element (S1 widths, one thread, input
     * block streamed: 4.4 -> 3.7-4.1 ns a cell, perf/kernels). */
    int32_t* comp = (int32_t*)gates; /* written and read through intrinsics only (may_alias vector types) */
    float* col_scale = gates + ld_g;
    int32_t* x_comp = (int32_t*)(gates + 2 * (ptrdiff_t)ld_g);
    float* x_col_scale = gates + 3 * (ptrdiff_t)ld_g;
    mklrnn_avx512_dequant_factors(4 * H, a_zero, w_colsum, a_scale, w_scale, comp, col_scale);
    mklrnn_avx512_dequant_factors(4 * H, x_zero, wx_colsum, x_scale, wx_scale, x_comp, x_col_scale);
    FOR_ROW_PIECES(n, 4 * (int64_t)H,
                   mklrnn_avx512_lstm_s32_rows(n_, H, RO(acc, ld_acc), ld_acc, comp, col_scale, RO(acc_x, ld_acc_x), ld_acc_x,
                                               x_comp, x_col_scale, b_ih, b_hh, peep, RO(c_prev, ld_cp), ld_cp, RO(c, ld_c),
                                               ld_c, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y, RO(hq, ld_hq), ld_hq, hq_inv_scale,
                                               hq_zero, hq_max));
  }
#endif
  FOR_ROW_PIECES(n, 4 * (int64_t)H,
                 lstm_s32_rows(n_, H, RO(acc, ld_acc), ld_acc, a_scale, a_zero, w_scale, w_colsum, S32_INPUT_ARGS,
                               RO(gates, ld_g), ld_g,
                               b_ih, b_hh, peep, RO(c_prev, ld_cp), ld_cp, RO(c, ld_c), ld_c, RO(h, ld_h), ld_h,
                               RO(y, ld_y), ld_y, S32_HQ_ARGS));
}

MKLRNN_API int32_t mklrnn_rnn_forward_s32(int32_t act, int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc,
                                          float a_scale, int32_t a_zero, const float* w_scale,
                                          const int32_t* w_colsum, S32_INPUT_PARAMS, float* g, int32_t ld_g, const float* b_ih,
                                          const float* b_hh, float* h, int32_t ld_h, float* y, int32_t ld_y, S32_HQ_PARAMS) {
  CHECK(act != MKLRNN_ACT_TANH && act != MKLRNN_ACT_RELU);
  CHECK(bad_hq(hq, ld_hq, H, hq_inv_scale, hq_zero, hq_max));
  CHECK(bad_dims(n, H) || bad_dequant(acc, ld_acc, H, a_scale, w_scale, w_colsum));
  CHECK(bad_input_block(acc_x, ld_acc_x, H, x_scale, wx_scale, wx_colsum));
  CHECK(bad_mat(g, ld_g, H) || b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h, ld_h, H) || bad_opt(y, ld_y, H));
  FOR_ROW_PIECES(n, H,
                 rnn_s32_rows(act, n_, H, RO(acc, ld_acc), ld_acc, a_scale, a_zero, w_scale, w_colsum, S32_INPUT_ARGS,
                              RO(g, ld_g), ld_g,
                              b_ih, b_hh, RO(h, ld_h), ld_h, RO(y, ld_y), ld_y, S32_HQ_ARGS));
}

MKLRNN_API int32_t mklrnn_gru_forward_s32(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc, float a_scale,
                                          int32_t a_zero, const float* w_scale, const int32_t* w_colsum,
                                          S32_INPUT_PARAMS, float* gx, int32_t ld_gx, float* gh, int32_t ld_gh, const float* b_ih,
                                          const float* b_hh, const float* h_prev, int32_t ld_hp, float* h,
                                          int32_t ld_h, float* y, int32_t ld_y, S32_HQ_PARAMS) {
  CHECK(bad_dims(n, H) || bad_dequant(acc, ld_acc, 3 * (int64_t)H, a_scale, w_scale, w_colsum));
  CHECK(bad_hq(hq, ld_hq, H, hq_inv_scale, hq_zero, hq_max));
  CHECK(bad_input_block(acc_x, ld_acc_x, 3 * (int64_t)H, x_scale, wx_scale, wx_colsum));
  CHECK(bad_mat(gx, ld_gx, 3 * (int64_t)H) || bad_mat(gh, ld_gh, 3 * (int64_t)H));
  CHECK(b_ih == NULL || b_hh == NULL);
  CHECK(bad_mat(h_prev, ld_hp, H) || bad_mat(h, ld_h, H) || bad_alias(h, ld_h, h_prev, ld_hp));
  CHECK(bad_opt(y, ld_y, H));
  FOR_ROW_PIECES(n, 3 * (int64_t)H,
                 gru_s32_rows(n_, H, RO(acc, ld_acc), ld_acc, a_scale, a_zero, w_scale, w_colsum, S32_INPUT_ARGS,
                              RO(gx, ld_gx), ld_gx,
                              RO(gh, ld_gh), ld_gh, b_ih, b_hh, RO(h_prev, ld_hp), ld_hp, RO(h, ld_h), ld_h,
                              RO(y, ld_y), ld_y, S32_HQ_ARGS));
}

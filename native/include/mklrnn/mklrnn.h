/* mklrnn.h -- the one public header of MklRnn's C shim: fused element-wise gate math.
 *
 * The managed engine (src/MklRnn) does every matrix product with MKL and calls these
 * functions for everything element-wise: bias add, gate non-linearities, the state update,
 * and their backward, in ONE pass over each step's (n, G*H) block.
 *
 * Conventions (every function):
 *   - n = active batch rows of this step, H = hidden size, P = projection size. n >= 0, H >= 1.
 *   - Matrices are row-major float32; `ld_*` is the leading dimension (row stride, in floats),
 *     always >= the row width. Row r of matrix X starts at X + r * ld_x.
 *   - Gate order (PyTorch): LSTM i, f, g, o (G = 4); GRU r, z, n (G = 3); RNN one gate (G = 1).
 *     Gate k of row r occupies columns [k*H, (k+1)*H) of a (n, G*H) block.
 *   - b_ih, b_hh: bias vectors (G*H) as in PyTorch. Never NULL.
 *   - "may alias" means the two pointers may be equal (element-wise in-place); any other overlap
 *     is not allowed. Aliased pointers must have equal leading dimensions (else BAD_ARGUMENT).
 *   - An optional matrix (y, dy) passed as NULL has its leading dimension ignored.
 *   - Backward functions OVERWRITE their gradient outputs unless a comment says "accumulates".
 *   - Returns MKLRNN_OK, or MKLRNN_BAD_ARGUMENT (nothing written) for a NULL required pointer,
 *     negative n, H < 1, a leading dimension smaller than its row, or an unknown enum value.
 *     No function aborts, prints or allocates.
 *
 * ABI: fixed-width types only, no structs; mklrnn_abi_version() must equal MKLRNN_ABI_VERSION
 * (checked by the managed loader at first use).
 *
 * Kernel choice (decided once, at the first call): AVX-512 kernels when the CPU and OS support
 * AVX-512F/DQ/BW/VL, else AVX2+FMA kernels, else portable scalar kernels; MKLRNN_FORCE_AVX2=1 and
 * MKLRNN_FORCE_SCALAR=1 cap the choice (see mklrnn_isa). Paths agree to ~1e-6 relative, not bitwise. */
#ifndef MKLRNN_H
#define MKLRNN_H

#include <stdint.h>

#if defined(_WIN32)
#define MKLRNN_API __declspec(dllexport)
#else
#define MKLRNN_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define MKLRNN_ABI_VERSION 7   /* 2: mklrnn_isa, mklrnn_set|get_kernel_threads; 3: mklrnn_run_team;
                                  4: reduced precision (bf16 conversion, u8 quantization, *_forward_s32);
                                  5: *_forward_s32 take the input projection's int32 block too;
                                  6: *_forward_s32 may write h quantized (hq), and leave gates unspecified;
                                     mklrnn_lstm_forward_infer;
                                  7: mklrnn_rnn_forward_infer, mklrnn_gru_forward_infer */

#define MKLRNN_OK 0
#define MKLRNN_BAD_ARGUMENT 1

/* Vanilla RNN activations. */
#define MKLRNN_ACT_TANH 0
#define MKLRNN_ACT_RELU 1

/* LSTM gate indices within a (n, 4H) block; GRU within (n, 3H). Mirrored in GateLayout.cs. */
#define MKLRNN_LSTM_I 0
#define MKLRNN_LSTM_F 1
#define MKLRNN_LSTM_G 2
#define MKLRNN_LSTM_O 3
#define MKLRNN_GRU_R 0
#define MKLRNN_GRU_Z 1
#define MKLRNN_GRU_N 2

/* ABI version of this library; the managed side refuses to run on a mismatch. */
MKLRNN_API int32_t mklrnn_abi_version(void);

/* 1 when the library was built with (and the CPU runs) the AVX2+FMA kernels or wider, else 0. */
MKLRNN_API int32_t mklrnn_uses_avx2(void);

/* The instruction set of the row-wise kernels in use: AVX-512 (F/DQ/BW/VL, checked with cpuid and
 * the OS state via xgetbv) > AVX2+FMA > scalar. MKLRNN_FORCE_AVX2=1 caps it at AVX2 and
 * MKLRNN_FORCE_SCALAR=1 at scalar (both read at the first call). The fused small-batch step
 * kernels and mklrnn_sum_rows use AVX2 on the AVX-512 path. */
#define MKLRNN_ISA_SCALAR 0
#define MKLRNN_ISA_AVX2 1
#define MKLRNN_ISA_AVX512 2
MKLRNN_API int32_t mklrnn_isa(void);

/* ---------------------------------------------------------------- vanilla RNN ----------- */

/* h = act(g + b_ih + b_hh).
 * g (n, H, ld_g): x W_ih^T + h_{t-1} W_hh^T, no biases. Read only.
 * h (n, H, ld_h): written. y (n, H, ld_y): a second copy of h (the layer output), or NULL. */
MKLRNN_API int32_t mklrnn_rnn_forward(int32_t act, int32_t n, int32_t H,
                                      const float* g, int32_t ld_g,
                                      const float* b_ih, const float* b_hh,
                                      float* h, int32_t ld_h, float* y, int32_t ld_y);

/* dg = (dh + dy) * act'(h), with tanh' = 1 - h^2 and relu' = (h > 0 ? 1 : 0).
 * h (n, H, ld_h): the forward's output h_t. dh (n, H, ld_dh): gradient arriving through the
 * state. dy (n, H, ld_dy): gradient arriving through the layer output, or NULL (= 0).
 * dg (n, H, ld_dg): written; may alias dh. */
MKLRNN_API int32_t mklrnn_rnn_backward(int32_t act, int32_t n, int32_t H,
                                       const float* h, int32_t ld_h,
                                       const float* dh, int32_t ld_dh,
                                       const float* dy, int32_t ld_dy,
                                       float* dg, int32_t ld_dg);

/* ---------------------------------------------------------------- LSTM ------------------ */

/* One LSTM step after its GEMMs.
 * gates (n, 4H, ld_g): in: x W_ih^T + h_{t-1} W_hh^T (no biases); out: the activations
 *   i = sig(.), f = sig(.), g = tanh(.), o = sig(.), kept for backward.
 * peep (3, H) rows p_i, p_f, p_o, or NULL (no peepholes). With peepholes
 *   i and f add p_i*c_prev, p_f*c_prev to their pre-activation; o adds p_o*c (the new c).
 * c_prev (n, H, ld_cp): c_{t-1}. c (n, H, ld_c): written, c = f*c_prev + i*g; may alias c_prev.
 * h (n, H, ld_h): written, h = o * tanh(c) (with a projection this is m, before W_hr).
 * y (n, H, ld_y): second copy of h, or NULL. */
MKLRNN_API int32_t mklrnn_lstm_forward(int32_t n, int32_t H,
                                       float* gates, int32_t ld_g,
                                       const float* b_ih, const float* b_hh, const float* peep,
                                       const float* c_prev, int32_t ld_cp,
                                       float* c, int32_t ld_c,
                                       float* h, int32_t ld_h, float* y, int32_t ld_y);

/* Backward of mklrnn_lstm_forward.
 * gates (n, 4H, ld_g): the activations the forward wrote. c_prev, c: as in the forward.
 * dh (n, H, ld_dh): gradient w.r.t. h (or m with a projection). dy (n, H, ld_dy) or NULL: added to dh.
 * dc (n, H, ld_dc): in: gradient w.r.t. c_t arriving from step t+1; out: gradient w.r.t. c_{t-1}.
 * dgates (n, 4H, ld_dg): written, gradient w.r.t. the four pre-activations (i, f, g, o);
 *   may alias gates (then ld_dg == ld_g): each column is read before it is overwritten.
 * dpeep (3, H): accumulates (+=) the peephole gradients summed over the n rows; NULL iff peep is NULL. */
MKLRNN_API int32_t mklrnn_lstm_backward(int32_t n, int32_t H,
                                        const float* gates, int32_t ld_g, const float* peep,
                                        const float* c_prev, int32_t ld_cp,
                                        const float* c, int32_t ld_c,
                                        const float* dh, int32_t ld_dh,
                                        const float* dy, int32_t ld_dy,
                                        float* dc, int32_t ld_dc,
                                        float* dgates, int32_t ld_dg, float* dpeep);

/* ---------------------------------------------------------------- GRU, linear_before_reset = 1
 * (cuDNN / PyTorch):  r = sig(x_r + b_ir + h_r + b_hr), z likewise,
 *                     n = tanh(x_n + b_in + r * (h_n + b_hn)),  h = (1 - z) * n + z * h_prev. */

/* gx (n, 3H, ld_gx): in: x W_ih^T (no bias); out: activations r, z, n.
 * gh (n, 3H, ld_gh): in: h_prev W_hh^T (no bias); out: gh + b_hh (its n part is needed by backward).
 * h_prev (n, H, ld_hp). h (n, H, ld_h): written; may alias h_prev. y or NULL: second copy of h. */
MKLRNN_API int32_t mklrnn_gru_forward(int32_t n, int32_t H,
                                      float* gx, int32_t ld_gx, float* gh, int32_t ld_gh,
                                      const float* b_ih, const float* b_hh,
                                      const float* h_prev, int32_t ld_hp,
                                      float* h, int32_t ld_h, float* y, int32_t ld_y);

/* Backward of mklrnn_gru_forward. gx: activations; gh: (h_prev W_hh^T + b_hh) as the forward left it.
 * dh (n, H, ld_dh) + dy (or NULL): gradient w.r.t. h.
 * dgx (n, 3H, ld_dgx): written, gradient w.r.t. the input-side pre-activations (dr, dz, dn).
 * dgh (n, 3H, ld_dgh): written, gradient w.r.t. gh: (dr, dz, dn * r).
 *   dgx may alias gx and dgh may alias gh (same leading dimensions).
 * dh_prev (n, H, ld_dhp): written, the direct part dh_total * z (the caller then adds dgh W_hh);
 *   may alias dh. */
MKLRNN_API int32_t mklrnn_gru_backward(int32_t n, int32_t H,
                                       const float* gx, int32_t ld_gx, const float* gh, int32_t ld_gh,
                                       const float* h_prev, int32_t ld_hp,
                                       const float* dh, int32_t ld_dh,
                                       const float* dy, int32_t ld_dy,
                                       float* dgx, int32_t ld_dgx, float* dgh, int32_t ld_dgh,
                                       float* dh_prev, int32_t ld_dhp);

/* ---------------------------------------------------------------- GRU, linear_before_reset = 0
 * (original 2014 GRU): n = tanh(x_n + b_in + W_hn (r * h_prev) + b_hn). Two GEMMs per step, so
 * the step is split in two kernels around the second GEMM. */

/* Part 1. gx (n, 3H): in: x W_ih^T; out: columns [0, 2H) become r, z (columns [2H, 3H) untouched).
 * ghrz (n, 2H, ld_ghrz): h_prev W_hrz^T (no bias), read only.
 * rh (n, H, ld_rh): written, r * h_prev (the caller multiplies it by W_hn^T). */
MKLRNN_API int32_t mklrnn_gru0_forward_gates(int32_t n, int32_t H,
                                             float* gx, int32_t ld_gx,
                                             const float* ghrz, int32_t ld_ghrz,
                                             const float* b_ih, const float* b_hh,
                                             const float* h_prev, int32_t ld_hp,
                                             float* rh, int32_t ld_rh);

/* Part 2. ghn (n, H, ld_ghn): (r * h_prev) W_hn^T, no bias. gx columns [2H, 3H): in: x_n;
 * out: the activation n. h = (1 - z) * n + z * h_prev written to h (may alias h_prev) and y (or NULL). */
MKLRNN_API int32_t mklrnn_gru0_forward_state(int32_t n, int32_t H,
                                             float* gx, int32_t ld_gx,
                                             const float* ghn, int32_t ld_ghn,
                                             const float* b_ih, const float* b_hh,
                                             const float* h_prev, int32_t ld_hp,
                                             float* h, int32_t ld_h, float* y, int32_t ld_y);

/* Backward part 1 (after the forward of this step): with dh_total = dh + dy (dy may be NULL),
 * writes dgx columns [H, 3H): dz = dh_total * (h_prev - n) * z(1-z), dn = dh_total * (1-z) * (1-n^2);
 * dh_prev (may alias dh) = dh_total * z. dgx may alias gx (columns [0, H), r, stay intact).
 * The caller then computes drh = dn W_hn. */
MKLRNN_API int32_t mklrnn_gru0_backward_state(int32_t n, int32_t H,
                                              const float* gx, int32_t ld_gx,
                                              const float* h_prev, int32_t ld_hp,
                                              const float* dh, int32_t ld_dh,
                                              const float* dy, int32_t ld_dy,
                                              float* dgx, int32_t ld_dgx,
                                              float* dh_prev, int32_t ld_dhp);

/* Backward part 2. drh (n, H, ld_drh): gradient w.r.t. r * h_prev.
 * Writes dgx columns [0, H): dr = drh * h_prev * r(1-r); accumulates dh_prev += drh * r.
 * dgx may alias gx.
 * The caller then adds dgx[:, 0:2H) W_hrz to dh_prev. */
MKLRNN_API int32_t mklrnn_gru0_backward_gates(int32_t n, int32_t H,
                                              const float* gx, int32_t ld_gx,
                                              const float* h_prev, int32_t ld_hp,
                                              const float* drh, int32_t ld_drh,
                                              float* dgx, int32_t ld_dgx,
                                              float* dh_prev, int32_t ld_dhp);

/* ---------------------------------------------------------------- fused small-batch steps
 * The latency path for small batches (n = 1..4): instead of an MKL GEMV per step that streams the
 * whole of W_hh from L3, each of T threads owns a range [j0, j1) of hidden columns (the G gate rows
 * of those columns, so its share of W_hh stays in its own L2 across steps) and calls ONE kernel per
 * step that computes the recurrent product for its columns and the cell's element-wise update,
 * then meets the other threads at a barrier. W_hh is first re-laid once into "panels".
 * In these functions K is the width of h_prev (the number of columns of W_hh). */

/* Floats needed by mklrnn_pack_panels for a (G*H, K) recurrent weight: ceil(H/8) * K * G * 8.
 * Returns -1 for G < 1, H < 1, K < 1, or a size whose byte count does not fit in ptrdiff_t. */
MKLRNN_API int64_t mklrnn_panel_size(int32_t G, int32_t H, int32_t K);

/* Re-lays W (G*H, K), row-major with leading dimension ld_w (PyTorch's weight_hh: gate g's rows are
 * [g*H, (g+1)*H)), into column panels for the fused small-batch steps: for each block b of 8 hidden
 * columns (the last one zero-padded past H), for each k < K, for each gate g < G, the 8 floats
 * W[g*H + 8b + lane, k], lane = 0..7. So panel b is one contiguous (K, G, 8) block starting at
 * panels + b * K * G * 8: streaming it with a broadcast of h[k] feeds G vector FMAs per k with no
 * horizontal sums. panels: mklrnn_panel_size(G, H, K) floats, every one written; must not overlap w.
 * BAD_ARGUMENT (nothing written) for G, H or K < 1, ld_w < K, a NULL pointer, or an oversized panel. */
MKLRNN_API int32_t mklrnn_pack_panels(int32_t G, int32_t H, int32_t K, const float* w, int32_t ld_w,
                                      float* panels);

/* Common to the three *_step_panels functions:
 *   - panels: mklrnn_pack_panels(G, H, K, W_hh, ...) of the cell's whole (G*H, K) W_hh (G = 4, 3, 1);
 *     the function reads only the blocks j0/8 .. (j1-1)/8. Its size is not checkable here.
 *   - [j0, j1): the hidden columns this call owns. j0 must be a multiple of 8 and
 *     0 <= j0 <= j1 <= H; j1 need not be (the block holding it is computed in full from the
 *     zero-padded panel, only columns < j1 are stored). j0 == j1 is a valid empty call.
 *   - n >= 0 batch rows; any n works, the kernels are tuned for n <= 4.
 *   - gx (n, G*H, ld_gx): x W_ih^T of this step, no biases; read only (columns of [j0, j1) per gate).
 *   - h_prev (n, K, ld_hp): read only, ALL K columns. Other threads read it concurrently, so it must
 *     not be any output: h == h_prev, y == h_prev (and for the LSTM c == h_prev) are BAD_ARGUMENT.
 *   - h (n, H, ld_h), y (n, H, ld_y) or NULL: columns [j0, j1) written (y: a second copy of h).
 *     Nothing outside columns [j0, j1) of rows < n is written, by any argument, so concurrent calls
 *     on disjoint ranges may share c, h and y.
 *   - BAD_ARGUMENT (nothing written) also for n < 0, H < 1, K < 1, a bad [j0, j1), a NULL required
 *     pointer or a leading dimension smaller than its row. */

/* One LSTM inference step (no peepholes) for the hidden columns [j0, j1) only (gate order i, f, g, o):
 *   pre = gx + h_prev W_hh^T (from panels) + b_ih + b_hh
 *   c = sig(f) * c + sig(i) * tanh(g);  h = sig(o) * tanh(c)      for columns j in [j0, j1).
 * K == H without a projection. With one (proj_size P), K = P: h_prev is the projected state r_{t-1}
 * (n, P) and h receives m = sig(o) * tanh(c) (n, H); the caller then computes r_t = m W_hr^T.
 * gx (n, 4H, ld_gx). c (n, H, ld_c): columns [j0, j1) read (c_{t-1}) and updated in place (c_t). */
MKLRNN_API int32_t mklrnn_lstm_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                           const float* panels, const float* gx, int32_t ld_gx,
                                           const float* b_ih, const float* b_hh,
                                           const float* h_prev, int32_t ld_hp,
                                           float* c, int32_t ld_c, float* h, int32_t ld_h,
                                           float* y, int32_t ld_y);

/* The same for a GRU with linear_before_reset = 1 (gates r, z, n; K must equal H):
 *   a = h_prev W_hh^T (from panels) + b_hh;  r = sig(gx_r + b_ir + a_r);  z = sig(gx_z + b_iz + a_z);
 *   nn = tanh(gx_n + b_in + r * a_n);  h = (1 - z) * nn + z * h_prev      for columns [j0, j1).
 * gx (n, 3H, ld_gx). Unlike mklrnn_gru_forward, no activations are kept: this is inference only. */
MKLRNN_API int32_t mklrnn_gru_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                          const float* panels, const float* gx, int32_t ld_gx,
                                          const float* b_ih, const float* b_hh,
                                          const float* h_prev, int32_t ld_hp,
                                          float* h, int32_t ld_h, float* y, int32_t ld_y);

/* And a vanilla RNN (act = MKLRNN_ACT_TANH or MKLRNN_ACT_RELU; K must equal H):
 *   h = act(gx + b_ih + h_prev W_hh^T (from panels) + b_hh)      for columns [j0, j1).
 * gx (n, H, ld_gx). An unknown act is BAD_ARGUMENT. */
MKLRNN_API int32_t mklrnn_rnn_step_panels(int32_t act, int32_t n, int32_t H, int32_t K, int32_t j0,
                                          int32_t j1, const float* panels,
                                          const float* gx, int32_t ld_gx,
                                          const float* b_ih, const float* b_hh,
                                          const float* h_prev, int32_t ld_hp,
                                          float* h, int32_t ld_h, float* y, int32_t ld_y);

/* ---------------------------------------------------------------- kernel threads --------
 * The row-wise kernels above (rnn/lstm/gru/gru0 forward and backward, not the *_step_panels
 * ones, which callers split by columns themselves) can split their n rows over several OpenMP
 * threads (mklrnn_sum_rows: its columns). The shim uses the same OpenMP runtime as MKL's intel_thread layer (libiomp5, which
 * Debian ships as LLVM's libomp), so the two share one thread pool and never oversubscribe.
 * The setting is per calling thread (thread-local) and defaults to 1: a thread that never sets it,
 * e.g. the side thread that runs the second direction of a bidirectional layer, stays serial.
 * A call is split only when n * G * H >= MKLRNN_PARALLEL_MIN_ELEMENTS (below that the fork/join
 * costs more than it saves), never above n pieces, and lstm_backward with peepholes (it
 * accumulates into dpeep across rows) is never split. Results do not depend on the split. */
#define MKLRNN_PARALLEL_MIN_ELEMENTS 16384

/* Sets the calling thread's kernel thread count (values < 1 mean 1); returns the previous one. */
MKLRNN_API int32_t mklrnn_set_kernel_threads(int32_t threads);

/* The calling thread's kernel thread count. */
MKLRNN_API int32_t mklrnn_get_kernel_threads(void);

/* Runs job(thread, threads, state) once on each thread of an OpenMP team of up to `threads`
 * threads (the calling thread is thread 0), and returns when all have returned; returns the team
 * size (the runtime may grant fewer threads, e.g. when already inside a parallel region), or 0
 * (nothing run) when job is null or threads < 1. The team is MKL's own pool (one OpenMP runtime),
 * so a caller that keeps several cores busy for a whole loop does so without a second set of threads
 * competing with MKL's idle-spinning workers; MKL called inside the job runs single-threaded. job
 * must not throw or longjmp: a managed job catches every exception itself and reports it after the
 * team returns (ThreadPair.TeamJob), and state must stay valid until this call returns. */
typedef void (*mklrnn_team_job)(int32_t thread, int32_t threads, void* state);
MKLRNN_API int32_t mklrnn_run_team(int32_t threads, mklrnn_team_job job, void* state);

/* ---------------------------------------------------------------- reduced precision ----
 * Helpers of the bf16 and int8 inference paths (MKL's cblas_gemm_bf16bf16f32 and cblas_gemm_s8u8s32
 * do the products; see docs/precision.md). Every path (AVX-512, AVX2, scalar) gives the same bits.
 * k = columns of the block (>= 1), n = rows (>= 0); the other conventions are the ones above.
 * Kernel threads (see below) split the rows of f32_to_bf16, quantize_u8, dequantize_s32 and the
 * *_forward_s32 steps; min_max runs on the calling thread. Results do not depend on the split. */

/* dst (n, k, ld_dst) = bf16 bits of src (n, k, ld_src): round to nearest, ties to even; overflow
 * gives Inf; NaN stays NaN (made quiet); zero and denormal inputs give a zero of the same sign (as
 * AVX512_BF16's VCVTNE2PS2BF16, which is used when the CPU has it). dst must not overlap src. */
MKLRNN_API int32_t mklrnn_f32_to_bf16(int32_t n, int32_t k, const float* src, int32_t ld_src,
                                      uint16_t* dst, int32_t ld_dst);

/* min_max[0] = min, min_max[1] = max over the (n, k, ld_src) block, NaN ignored (+Inf, -Inf when
 * every element is NaN or n = 0). */
MKLRNN_API int32_t mklrnn_min_max(int32_t n, int32_t k, const float* src, int32_t ld_src, float* min_max);

/* Asymmetric u8 quantization: dst = clamp(round(src * inv_scale), -zero_point, qmax - zero_point)
 * + zero_point, the rounding to nearest even, NaN -> 0. 0 <= zero_point <= qmax <= 255, inv_scale
 * finite and > 0 (else BAD_ARGUMENT). qmax = 127 keeps u8 x s8 pair sums within int16 for GEMM
 * kernels without VNNI (which saturate there). dst (n, k, ld_dst) bytes. */
MKLRNN_API int32_t mklrnn_quantize_u8(int32_t n, int32_t k, const float* src, int32_t ld_src,
                                      float inv_scale, int32_t zero_point, int32_t qmax,
                                      uint8_t* dst, int32_t ld_dst);

/* Dequantizes an int32 GEMM result acc = q_x W_q^T (u8 activations q_x with scale a_scale and zero
 * point a_zero, s8 weights W_q with per-output-column scale w_scale[j] and column sums
 * w_colsum[j] = sum_k W_q[j, k]):
 *   out[r, j] (+)= (acc[r, j] - a_zero * w_colsum[j]) * (a_scale * w_scale[j])
 * the compensation exact in int32 (the caller keeps |acc| and |a_zero * w_colsum| below 2^31);
 * accumulate = 1 adds to out, 0 overwrites it. acc (n, k, ld_acc); w_scale, w_colsum (k). */
MKLRNN_API int32_t mklrnn_dequantize_s32(int32_t n, int32_t k, const int32_t* acc, int32_t ld_acc,
                                         float a_scale, int32_t a_zero, const float* w_scale,
                                         const int32_t* w_colsum, int32_t accumulate,
                                         float* out, int32_t ld_out);

/* The int8 recurrent steps: the fp32 forward kernels above, with the recurrent product given as
 * the int32 result acc of q(h_{t-1}) W_hh_q^T and its quantization (a_scale, a_zero, w_scale,
 * w_colsum as in mklrnn_dequantize_s32). The input projection comes either as fp32 in gates / g /
 * gx (acc_x = NULL; x_scale, x_zero, wx_scale, wx_colsum are then ignored) or as its own int32
 * block acc_x (n, G*H, ld_acc_x) = q(x_t) W_ih_q^T with its quantization (x_scale, x_zero, wx_scale,
 * wx_colsum), which is dequantized into gates / g / gx first (overwriting them). Row by row, the
 * dequantized recurrent product is then added to (LSTM, RNN: gates / g) or written to (GRU: gh) the
 * row, and the fp32 row kernel runs on it while it is in L1: one pass, one thread split per step,
 * instead of a dequantize pass over the input block, then this. The remaining arguments and the
 * results are those of mklrnn_lstm_forward, mklrnn_rnn_forward and mklrnn_gru_forward, except that
 * the gate rows (gates, g, gx, gh) are scratch: their content afterwards is unspecified (inference keeps
 * no activated gates; the AVX-512 LSTM step dequantizes in registers and never writes them). acc and
 * acc_x are read only. With hq non-NULL, each row of h_t is also written quantized to hq (n, H, ld_hq)
 * bytes, exactly as mklrnn_quantize_u8(h_t, hq_inv_scale, hq_zero, hq_max) would (same checks): the
 * u8 operand of the next step's recurrent GEMM, made while the row is in L1, for a caller that knows
 * h's range beforehand (LSTM and tanh RNN states lie in [-1, 1]). NULL: no copy (hq_* ignored). */
MKLRNN_API int32_t mklrnn_lstm_forward_s32(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc,
                                           float a_scale, int32_t a_zero, const float* w_scale,
                                           const int32_t* w_colsum, const int32_t* acc_x,
                                           int32_t ld_acc_x, float x_scale, int32_t x_zero,
                                           const float* wx_scale, const int32_t* wx_colsum,
                                           float* gates, int32_t ld_g, const float* b_ih, const float* b_hh, const float* peep,
                                           const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c,
                                           float* h, int32_t ld_h, float* y, int32_t ld_y,
                                           uint8_t* hq, int32_t ld_hq, float hq_inv_scale, int32_t hq_zero,
                                           int32_t hq_max);

MKLRNN_API int32_t mklrnn_rnn_forward_s32(int32_t act, int32_t n, int32_t H, const int32_t* acc,
                                          int32_t ld_acc, float a_scale, int32_t a_zero,
                                          const float* w_scale, const int32_t* w_colsum,
                                          const int32_t* acc_x, int32_t ld_acc_x, float x_scale,
                                          int32_t x_zero, const float* wx_scale, const int32_t* wx_colsum,
                                          float* g, int32_t ld_g, const float* b_ih, const float* b_hh,
                                          float* h, int32_t ld_h, float* y, int32_t ld_y,
                                          uint8_t* hq, int32_t ld_hq, float hq_inv_scale, int32_t hq_zero,
                                          int32_t hq_max);

MKLRNN_API int32_t mklrnn_gru_forward_s32(int32_t n, int32_t H, const int32_t* acc, int32_t ld_acc,
                                          float a_scale, int32_t a_zero, const float* w_scale,
                                          const int32_t* w_colsum, const int32_t* acc_x,
                                          int32_t ld_acc_x, float x_scale, int32_t x_zero,
                                          const float* wx_scale, const int32_t* wx_colsum,
                                          float* gx, int32_t ld_gx, float* gh, int32_t ld_gh, const float* b_ih, const float* b_hh,
                                          const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                          float* y, int32_t ld_y,
                                          uint8_t* hq, int32_t ld_hq, float hq_inv_scale, int32_t hq_zero,
                                          int32_t hq_max);

/* The LSTM inference step (the bf16 path's): mklrnn_lstm_forward with the gate pre-activations read only, as
 * gx (n, 4H, ld_gx) alone (gh = NULL) or as two blocks, gx and gh (n, 4H, ld_gh) (e.g. the input projection and the
 * recurrent product): pre = ((gx + gh) + b_ih) + b_hh, the bits of mklrnn_lstm_forward on gates = gx + gh (or gx).
 * The activated gates are not kept (inference: nothing is written to gx or gh). c, h, y, peep as in
 * mklrnn_lstm_forward. With hb non-NULL, each row of h is also written as bf16 to hb (n, H, ld_hb), exactly as
 * mklrnn_f32_to_bf16 would: the next step's GEMM operand, converted while the row is in L1 (one pass and one
 * thread split per step instead of two). Kernel threads split the rows. */
MKLRNN_API int32_t mklrnn_lstm_forward_infer(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                             const float* gh, int32_t ld_gh, const float* b_ih,
                                             const float* b_hh, const float* peep, const float* c_prev,
                                             int32_t ld_cp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                             float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb);

/* The vanilla RNN and GRU steps of the bf16 path: mklrnn_rnn_forward and mklrnn_gru_forward (same arguments, same
 * bits), and with hb non-NULL each row of h also written as bf16 to hb (n, H, ld_hb) exactly as mklrnn_f32_to_bf16
 * would, while the row is in L1, as mklrnn_lstm_forward_infer does. Kernel threads split the rows. */
MKLRNN_API int32_t mklrnn_rnn_forward_infer(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,
                                            const float* b_ih, const float* b_hh, float* h, int32_t ld_h,
                                            float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb);
MKLRNN_API int32_t mklrnn_gru_forward_infer(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,
                                            int32_t ld_gh, const float* b_ih, const float* b_hh,
                                            const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                                            float* y, int32_t ld_y, uint16_t* hb, int32_t ld_hb);

/* 1 when mklrnn_f32_to_bf16 runs on AVX512_BF16's conversion instruction, else 0. */
MKLRNN_API int32_t mklrnn_uses_bf16_instructions(void);

/* ---------------------------------------------------------------- helpers --------------- */

/* Accumulates column sums: out[j] += sum_{r < n} a[r * ld_a + j] for j < k (bias gradients), rows
 * added in order. k >= 1 (like H), ld_a >= k; out has k elements. With kernel threads (see below)
 * a large block is split by columns; the result is the same. */
MKLRNN_API int32_t mklrnn_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out);

#ifdef __cplusplus
}
#endif

#endif /* MKLRNN_H */

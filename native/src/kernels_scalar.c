/* kernels_scalar.c -- plain C versions of every gate kernel (see mklrnn.h for the equations).
 * They are the portable fallback and the reference the AVX2 kernels are tested against, so they
 * favour clarity: one element at a time, libm expf/tanhf, the operation order the AVX2 code mirrors. */
#include <math.h>
#include <stddef.h>

#include "kernels.h"

/* Row r of a row-major matrix with leading dimension ld (ptrdiff_t: r * ld may exceed int32). */
#define ROW(p, r, ld) ((p) + (ptrdiff_t)(r) * (ld))

float mklrnn_scalar_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static float act_apply(int32_t act, float x) {
  if (act == MKLRNN_ACT_TANH) return tanhf(x);
  return (x > 0.0f || x != x) ? x : 0.0f; /* relu; NaN propagates */
}

/* ---------------------------------------------------------------- vanilla RNN ----------- */

void mklrnn_scalar_rnn_forward(int32_t act, int32_t n, int32_t H, const float* g, int32_t ld_g,
                               const float* b_ih, const float* b_hh, float* h, int32_t ld_h,
                               float* y, int32_t ld_y) {
  for (int32_t r = 0; r < n; ++r) {
    const float* gr = ROW(g, r, ld_g);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = 0; j < H; ++j) {
      float v = act_apply(act, (gr[j] + b_ih[j]) + b_hh[j]);
      hr[j] = v;
      if (yr) yr[j] = v;
    }
  }
}

void mklrnn_scalar_rnn_backward(int32_t act, int32_t n, int32_t H, const float* h, int32_t ld_h,
                                const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,
                                float* dg, int32_t ld_dg) {
  for (int32_t r = 0; r < n; ++r) {
    const float* hr = ROW(h, r, ld_h);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dgr = ROW(dg, r, ld_dg);
    for (int32_t j = 0; j < H; ++j) {
      float d = dyr ? dhr[j] + dyr[j] : dhr[j];
      float hv = hr[j];
      if (act == MKLRNN_ACT_TANH)
        dgr[j] = d * (1.0f - hv * hv);
      else
        dgr[j] = hv > 0.0f ? d : 0.0f;
    }
  }
}

/* ---------------------------------------------------------------- LSTM ------------------ */

/* One LSTM unit from its four pre-activations (biases added), c_{t-1} and the peepholes (peep, or NULL): the
 * activated gates, c_t and h_t. Shared by the training and the inference step, so both give the same bits. */
typedef struct {
  float i, f, g, o, c, h;
} lstm_unit;

static inline lstm_unit lstm_unit_of(float ai, float af, float ag, float ao, float cp, const float* peep, int32_t H,
                                     int32_t j) {
  lstm_unit u;
  if (peep) {
    ai += peep[j] * cp;
    af += peep[H + j] * cp;
  }
  u.i = mklrnn_scalar_sigmoid(ai), u.f = mklrnn_scalar_sigmoid(af), u.g = tanhf(ag);
  u.c = u.f * cp + u.i * u.g;
  if (peep) ao += peep[2 * (ptrdiff_t)H + j] * u.c; /* the output peephole sees the new c */
  u.o = mklrnn_scalar_sigmoid(ao);
  u.h = u.o * tanhf(u.c);
  return u;
}

void mklrnn_scalar_lstm_forward(int32_t n, int32_t H, float* gates, int32_t ld_g,
                                const float* b_ih, const float* b_hh, const float* peep,
                                const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c,
                                float* h, int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
  for (int32_t r = 0; r < n; ++r) {
    float* gr = ROW(gates, r, ld_g);
    const float* cpr = ROW(c_prev, r, ld_cp);
    float* cr = ROW(c, r, ld_c);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = 0; j < H; ++j) {
      const float cp = cpr[j]; /* read before c (which may alias c_prev) is written */
      const lstm_unit u = lstm_unit_of((gr[oi + j] + b_ih[oi + j]) + b_hh[oi + j], (gr[of + j] + b_ih[of + j]) + b_hh[of + j],
                                       (gr[og + j] + b_ih[og + j]) + b_hh[og + j], (gr[oo + j] + b_ih[oo + j]) + b_hh[oo + j],
                                       cp, peep, H, j);
      gr[oi + j] = u.i;
      gr[of + j] = u.f;
      gr[og + j] = u.g;
      gr[oo + j] = u.o;
      cr[j] = u.c;
      hr[j] = u.h;
      if (yr) yr[j] = u.h;
    }
  }
}

void mklrnn_scalar_lstm_forward_infer(int32_t n, int32_t H, const float* gx, int32_t ld_gx, const float* gh,
                                      int32_t ld_gh, const float* b_ih, const float* b_hh, const float* peep,
                                      const float* c_prev, int32_t ld_cp, float* c, int32_t ld_c, float* h,
                                      int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* gr = gh ? ROW(gh, r, ld_gh) : NULL;
    const float* cpr = ROW(c_prev, r, ld_cp);
    float* cr = ROW(c, r, ld_c);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = 0; j < H; ++j) {
      const float cp = cpr[j]; /* read before c (which may alias c_prev) is written */
#define PRE(o) ((gr ? xr[(o) + j] + gr[(o) + j] : xr[(o) + j]) + b_ih[(o) + j]) + b_hh[(o) + j]
      const lstm_unit u = lstm_unit_of(PRE(oi), PRE(of), PRE(og), PRE(oo), cp, peep, H, j);
#undef PRE
      cr[j] = u.c;
      hr[j] = u.h;
      if (yr) yr[j] = u.h;
    }
  }
}

void mklrnn_scalar_lstm_backward(int32_t n, int32_t H, const float* gates, int32_t ld_g,
                                 const float* peep, const float* c_prev, int32_t ld_cp,
                                 const float* c, int32_t ld_c, const float* dh, int32_t ld_dh,
                                 const float* dy, int32_t ld_dy, float* dc, int32_t ld_dc,
                                 float* dgates, int32_t ld_dg, float* dpeep) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* gr = ROW(gates, r, ld_g);
    const float* cpr = ROW(c_prev, r, ld_cp);
    const float* cr = ROW(c, r, ld_c);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dcr = ROW(dc, r, ld_dc);
    float* dgr = ROW(dgates, r, ld_dg);
    for (int32_t j = 0; j < H; ++j) {
      /* All reads first: dgates may alias gates. */
      const float i = gr[oi + j], f = gr[of + j], g = gr[og + j], o = gr[oo + j];
      const float cp = cpr[j], cn = cr[j];
      const float dht = dyr ? dhr[j] + dyr[j] : dhr[j];
      const float tc = tanhf(cn);
      const float dao = dht * tc * (o * (1.0f - o));
      float dct = dcr[j] + dht * o * (1.0f - tc * tc);
      if (peep) dct += dao * peep[2 * (ptrdiff_t)H + j];
      const float dai = dct * g * (i * (1.0f - i));
      const float daf = dct * cp * (f * (1.0f - f));
      const float dag = dct * i * (1.0f - g * g);
      float dcp = dct * f;
      if (peep) {
        dcp += dai * peep[j] + daf * peep[H + j];
        dpeep[j] += dai * cp;
        dpeep[H + j] += daf * cp;
        dpeep[2 * (ptrdiff_t)H + j] += dao * cn;
      }
      dcr[j] = dcp;
      dgr[oi + j] = dai;
      dgr[of + j] = daf;
      dgr[og + j] = dag;
      dgr[oo + j] = dao;
    }
  }
}

/* ---------------------------------------------------------------- GRU, linear_before_reset = 1 */

void mklrnn_scalar_gru_forward(int32_t n, int32_t H, float* gx, int32_t ld_gx, float* gh,
                               int32_t ld_gh, const float* b_ih, const float* b_hh,
                               const float* h_prev, int32_t ld_hp, float* h, int32_t ld_h,
                               float* y, int32_t ld_y) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  const ptrdiff_t on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    float* xr = ROW(gx, r, ld_gx);
    float* hr = ROW(gh, r, ld_gh);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* outr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = 0; j < H; ++j) {
      const float hhr = hr[orr + j] + b_hh[orr + j];
      const float hhz = hr[oz + j] + b_hh[oz + j];
      const float hhn = hr[on + j] + b_hh[on + j];
      const float rg = mklrnn_scalar_sigmoid((xr[orr + j] + b_ih[orr + j]) + hhr);
      const float zg = mklrnn_scalar_sigmoid((xr[oz + j] + b_ih[oz + j]) + hhz);
      const float ng = tanhf((xr[on + j] + b_ih[on + j]) + rg * hhn);
      const float hp = hpr[j]; /* read before h (which may alias h_prev) is written */
      const float hv = (1.0f - zg) * ng + zg * hp;
      xr[orr + j] = rg;
      xr[oz + j] = zg;
      xr[on + j] = ng;
      hr[orr + j] = hhr;
      hr[oz + j] = hhz;
      hr[on + j] = hhn;
      outr[j] = hv;
      if (yr) yr[j] = hv;
    }
  }
}

void mklrnn_scalar_gru_backward(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                const float* gh, int32_t ld_gh, const float* h_prev, int32_t ld_hp,
                                const float* dh, int32_t ld_dh, const float* dy, int32_t ld_dy,
                                float* dgx, int32_t ld_dgx, float* dgh, int32_t ld_dgh,
                                float* dh_prev, int32_t ld_dhp) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  const ptrdiff_t on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hr = ROW(gh, r, ld_gh);
    const float* hpr = ROW(h_prev, r, ld_hp);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dxr = ROW(dgx, r, ld_dgx);
    float* dhhr = ROW(dgh, r, ld_dgh);
    float* dhpr = ROW(dh_prev, r, ld_dhp);
    for (int32_t j = 0; j < H; ++j) {
      /* All reads first: dgx/dgh may alias gx/gh, dh_prev may alias dh. */
      const float rg = xr[orr + j], zg = xr[oz + j], ng = xr[on + j];
      const float hhn = hr[on + j], hp = hpr[j];
      const float dht = dyr ? dhr[j] + dyr[j] : dhr[j];
      const float dan = dht * (1.0f - zg) * (1.0f - ng * ng);
      const float daz = dht * (hp - ng) * (zg * (1.0f - zg));
      const float dar = dan * hhn * (rg * (1.0f - rg));
      dxr[orr + j] = dar;
      dxr[oz + j] = daz;
      dxr[on + j] = dan;
      dhhr[orr + j] = dar;
      dhhr[oz + j] = daz;
      dhhr[on + j] = dan * rg;
      dhpr[j] = dht * zg;
    }
  }
}

/* ---------------------------------------------------------------- GRU, linear_before_reset = 0 */

void mklrnn_scalar_gru0_forward_gates(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                      const float* ghrz, int32_t ld_ghrz, const float* b_ih,
                                      const float* b_hh, const float* h_prev, int32_t ld_hp,
                                      float* rh, int32_t ld_rh) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  for (int32_t r = 0; r < n; ++r) {
    float* xr = ROW(gx, r, ld_gx);
    const float* hr = ROW(ghrz, r, ld_ghrz);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* rhr = ROW(rh, r, ld_rh);
    for (int32_t j = 0; j < H; ++j) {
      const float rg =
          mklrnn_scalar_sigmoid((xr[orr + j] + b_ih[orr + j]) + (hr[orr + j] + b_hh[orr + j]));
      const float zg =
          mklrnn_scalar_sigmoid((xr[oz + j] + b_ih[oz + j]) + (hr[oz + j] + b_hh[oz + j]));
      xr[orr + j] = rg;
      xr[oz + j] = zg;
      rhr[j] = rg * hpr[j];
    }
  }
}

void mklrnn_scalar_gru0_forward_state(int32_t n, int32_t H, float* gx, int32_t ld_gx,
                                      const float* ghn, int32_t ld_ghn, const float* b_ih,
                                      const float* b_hh, const float* h_prev, int32_t ld_hp,
                                      float* h, int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t oz = (ptrdiff_t)MKLRNN_GRU_Z * H, on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    float* xr = ROW(gx, r, ld_gx);
    const float* hr = ROW(ghn, r, ld_ghn);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* outr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = 0; j < H; ++j) {
      const float ng = tanhf((xr[on + j] + b_ih[on + j]) + (hr[j] + b_hh[on + j]));
      const float zg = xr[oz + j];
      const float hp = hpr[j];
      const float hv = (1.0f - zg) * ng + zg * hp;
      xr[on + j] = ng;
      outr[j] = hv;
      if (yr) yr[j] = hv;
    }
  }
}

void mklrnn_scalar_gru0_backward_state(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                       const float* h_prev, int32_t ld_hp, const float* dh,
                                       int32_t ld_dh, const float* dy, int32_t ld_dy, float* dgx,
                                       int32_t ld_dgx, float* dh_prev, int32_t ld_dhp) {
  const ptrdiff_t oz = (ptrdiff_t)MKLRNN_GRU_Z * H, on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    const float* dhr = ROW(dh, r, ld_dh);
    const float* dyr = dy ? ROW(dy, r, ld_dy) : NULL;
    float* dxr = ROW(dgx, r, ld_dgx);
    float* dhpr = ROW(dh_prev, r, ld_dhp);
    for (int32_t j = 0; j < H; ++j) {
      const float zg = xr[oz + j], ng = xr[on + j], hp = hpr[j];
      const float dht = dyr ? dhr[j] + dyr[j] : dhr[j];
      dxr[oz + j] = dht * (hp - ng) * (zg * (1.0f - zg));
      dxr[on + j] = dht * (1.0f - zg) * (1.0f - ng * ng);
      dhpr[j] = dht * zg;
    }
  }
}

void mklrnn_scalar_gru0_backward_gates(int32_t n, int32_t H, const float* gx, int32_t ld_gx,
                                       const float* h_prev, int32_t ld_hp, const float* drh,
                                       int32_t ld_drh, float* dgx, int32_t ld_dgx, float* dh_prev,
                                       int32_t ld_dhp) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    const float* drr = ROW(drh, r, ld_drh);
    float* dxr = ROW(dgx, r, ld_dgx);
    float* dhpr = ROW(dh_prev, r, ld_dhp);
    for (int32_t j = 0; j < H; ++j) {
      const float rg = xr[orr + j], d = drr[j];
      dxr[orr + j] = d * hpr[j] * (rg * (1.0f - rg));
      dhpr[j] += d * rg;
    }
  }
}

/* ---------------------------------------------------------------- helpers --------------- */

void mklrnn_scalar_sum_rows(int32_t n, int32_t k, const float* a, int32_t ld_a, float* out) {
  /* Row-outer for cache locality; per column this is the same order as the AVX2 version. */
  for (int32_t r = 0; r < n; ++r) {
    const float* ar = ROW(a, r, ld_a);
    for (int32_t j = 0; j < k; ++j) out[j] += ar[j];
  }
}

/* ---------------------------------------------------------------- fused small-batch steps */

void mklrnn_scalar_pack_panels(int32_t G, int32_t H, int32_t K, const float* w, int32_t ld_w, float* panels) {
  const int32_t nb = (H + 7) / 8;
  for (int32_t b = 0; b < nb; ++b) {
    float* pb = panels + (ptrdiff_t)b * K * G * 8;
    for (int32_t g = 0; g < G; ++g)
      for (int32_t lane = 0; lane < 8; ++lane) {
        const int32_t j = 8 * b + lane;
        const float* wr = j < H ? ROW(w, (ptrdiff_t)g * H + j, ld_w) : NULL; /* NULL: padding lane */
        for (int32_t k = 0; k < K; ++k) pb[((ptrdiff_t)k * G + g) * 8 + lane] = wr ? wr[k] : 0.0f;
      }
  }
}

/* (h_prev row) . (W_hh row g*H + j), read from the panels, accumulated in k order. */
static float panel_dot(const float* panels, int32_t G, int32_t K, int32_t g, int32_t j, const float* hpr) {
  const float* p = panels + (ptrdiff_t)(j / 8) * K * G * 8 + (ptrdiff_t)g * 8 + j % 8;
  float acc = 0.0f;
  for (int32_t k = 0; k < K; ++k) acc += hpr[k] * p[(ptrdiff_t)k * G * 8];
  return acc;
}

void mklrnn_scalar_lstm_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                    const float* panels, const float* gx, int32_t ld_gx,
                                    const float* b_ih, const float* b_hh, const float* h_prev,
                                    int32_t ld_hp, float* c, int32_t ld_c, float* h, int32_t ld_h,
                                    float* y, int32_t ld_y) {
  const ptrdiff_t oi = (ptrdiff_t)MKLRNN_LSTM_I * H, of = (ptrdiff_t)MKLRNN_LSTM_F * H;
  const ptrdiff_t og = (ptrdiff_t)MKLRNN_LSTM_G * H, oo = (ptrdiff_t)MKLRNN_LSTM_O * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* cr = ROW(c, r, ld_c);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = j0; j < j1; ++j) {
      const float ai = ((xr[oi + j] + panel_dot(panels, 4, K, MKLRNN_LSTM_I, j, hpr)) + b_ih[oi + j]) + b_hh[oi + j];
      const float af = ((xr[of + j] + panel_dot(panels, 4, K, MKLRNN_LSTM_F, j, hpr)) + b_ih[of + j]) + b_hh[of + j];
      const float ag = ((xr[og + j] + panel_dot(panels, 4, K, MKLRNN_LSTM_G, j, hpr)) + b_ih[og + j]) + b_hh[og + j];
      const float ao = ((xr[oo + j] + panel_dot(panels, 4, K, MKLRNN_LSTM_O, j, hpr)) + b_ih[oo + j]) + b_hh[oo + j];
      const float i = mklrnn_scalar_sigmoid(ai), f = mklrnn_scalar_sigmoid(af), g = tanhf(ag);
      const float o = mklrnn_scalar_sigmoid(ao);
      const float cn = f * cr[j] + i * g;
      const float hv = o * tanhf(cn);
      cr[j] = cn;
      hr[j] = hv;
      if (yr) yr[j] = hv;
    }
  }
}

void mklrnn_scalar_gru_step_panels(int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                   const float* panels, const float* gx, int32_t ld_gx,
                                   const float* b_ih, const float* b_hh, const float* h_prev,
                                   int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y) {
  const ptrdiff_t orr = (ptrdiff_t)MKLRNN_GRU_R * H, oz = (ptrdiff_t)MKLRNN_GRU_Z * H;
  const ptrdiff_t on = (ptrdiff_t)MKLRNN_GRU_N * H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* outr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = j0; j < j1; ++j) {
      const float hhr = panel_dot(panels, 3, K, MKLRNN_GRU_R, j, hpr) + b_hh[orr + j];
      const float hhz = panel_dot(panels, 3, K, MKLRNN_GRU_Z, j, hpr) + b_hh[oz + j];
      const float hhn = panel_dot(panels, 3, K, MKLRNN_GRU_N, j, hpr) + b_hh[on + j];
      const float rg = mklrnn_scalar_sigmoid((xr[orr + j] + b_ih[orr + j]) + hhr);
      const float zg = mklrnn_scalar_sigmoid((xr[oz + j] + b_ih[oz + j]) + hhz);
      const float ng = tanhf((xr[on + j] + b_ih[on + j]) + rg * hhn);
      const float hv = (1.0f - zg) * ng + zg * hpr[j];
      outr[j] = hv;
      if (yr) yr[j] = hv;
    }
  }
}

void mklrnn_scalar_rnn_step_panels(int32_t act, int32_t n, int32_t H, int32_t K, int32_t j0, int32_t j1,
                                   const float* panels, const float* gx, int32_t ld_gx,
                                   const float* b_ih, const float* b_hh, const float* h_prev,
                                   int32_t ld_hp, float* h, int32_t ld_h, float* y, int32_t ld_y) {
  (void)H;
  for (int32_t r = 0; r < n; ++r) {
    const float* xr = ROW(gx, r, ld_gx);
    const float* hpr = ROW(h_prev, r, ld_hp);
    float* hr = ROW(h, r, ld_h);
    float* yr = y ? ROW(y, r, ld_y) : NULL;
    for (int32_t j = j0; j < j1; ++j) {
      const float v = act_apply(act, ((xr[j] + b_ih[j]) + panel_dot(panels, 1, K, 0, j, hpr)) + b_hh[j]);
      hr[j] = v;
      if (yr) yr[j] = v;
    }
  }
}

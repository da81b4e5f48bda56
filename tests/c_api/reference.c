/* Double-precision references for the C API test (see reference.h). */
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

void rng_seed(uint64_t seed) { rng_state = seed; }

static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float rng_uniform(float lo, float hi) {
  const double unit = (double)(rng_next() >> 11) / 9007199254740992.0; /* [0, 1) from 53 bits */
  return (float)(lo + (hi - lo) * unit);
}

void rng_fill(float* values, size_t count, float lo, float hi) {
  size_t i;
  for (i = 0; i < count; ++i) values[i] = rng_uniform(lo, hi);
}

/* Rotates one head vector at position p. */
static void rotate(const ref_rope* r, double* x, int64_t p, int inverse) {
  const int64_t rd = r->rotary_dim ? r->rotary_dim : r->head_dim;
  const int64_t half = rd / 2;
  int64_t i;
  for (i = 0; i < half; ++i) {
    const double inv_freq = pow(r->theta, -2.0 * (double)i / (double)rd) / r->linear_factor;
    const double angle = (inverse ? -1.0 : 1.0) * (double)p * inv_freq;
    const int64_t a = r->interleaved ? 2 * i : i;
    const int64_t b = r->interleaved ? 2 * i + 1 : i + half;
    const double xa = x[a], xb = x[b];
    x[a] = xa * cos(angle) - xb * sin(angle);
    x[b] = xa * sin(angle) + xb * cos(angle);
  }
}

void ref_rope_apply(const ref_rope* r, double* x, int64_t batch, int64_t seq, int64_t heads, const int64_t* positions,
                    int64_t offset, int inverse) {
  int64_t b, s, h;
  for (b = 0; b < batch; ++b)
    for (s = 0; s < seq; ++s)
      for (h = 0; h < heads; ++h)
        rotate(r, x + ((b * seq + s) * heads + h) * r->head_dim, positions ? positions[s] : offset + s, inverse);
}

static double* to_double(const float* x, size_t n) {
  double* d = malloc(n * sizeof *d);
  size_t i;
  for (i = 0; i < n; ++i) d[i] = x[i];
  return d;
}

void ref_attention_run(const ref_attention* a, const float* qf, const float* kf, const float* vf, double* out) {
  const int64_t D = a->head_dim, group = a->heads / a->kv_heads;
  const size_t nq = (size_t)(a->batch * a->sq * a->heads * D), nk = (size_t)(a->batch * a->skv * a->kv_heads * D);
  double* q = to_double(qf, nq);
  double* k = to_double(kf, nk);
  double* logits = malloc((size_t)a->skv * sizeof *logits);
  int64_t b, i, h, j, d;
  if (a->rope) {
    /* Fused RoPE rotates each token at its own position: keys at p_k, queries at p_q. */
    for (b = 0; b < a->batch; ++b) {
      for (i = 0; i < a->sq; ++i)
        for (h = 0; h < a->heads; ++h)
          rotate(a->rope, q + ((b * a->sq + i) * a->heads + h) * D,
                 a->query_positions ? a->query_positions[i] : a->skv - a->sq + i, 0);
      for (j = 0; j < a->skv; ++j)
        for (h = 0; h < a->kv_heads; ++h)
          rotate(a->rope, k + ((b * a->skv + j) * a->kv_heads + h) * D, a->key_positions ? a->key_positions[j] : j, 0);
    }
  }
  for (b = 0; b < a->batch; ++b)
    for (i = 0; i < a->sq; ++i)
      for (h = 0; h < a->heads; ++h) {
        const int64_t pq = a->query_positions ? a->query_positions[i] : a->skv - a->sq + i;
        const int64_t kh = h / group;
        const double* qv = q + ((b * a->sq + i) * a->heads + h) * D;
        double* o = out + ((b * a->sq + i) * a->heads + h) * D;
        double m = a->sinks ? (double)a->sinks[h] : -INFINITY, denom = 0.0;
        int visible = 0;
        for (j = 0; j < a->skv; ++j) {
          const int64_t pk = a->key_positions ? a->key_positions[j] : j;
          const int64_t distance = pq > pk ? pq - pk : pk - pq;
          const double* kv = k + ((b * a->skv + j) * a->kv_heads + kh) * D;
          double s = 0.0;
          logits[j] = -INFINITY;
          if ((a->causal && pk > pq) || (a->window && distance >= a->window)) continue;
          for (d = 0; d < D; ++d) s += qv[d] * kv[d];
          s *= a->scale;
          if (a->softcap > 0.0) s = a->softcap * tanh(s / a->softcap);
          if (a->alibi_slopes) s -= a->alibi_slopes[h] * (double)distance;
          logits[j] = s;
          if (s > m) m = s;
          visible = 1;
        }
        for (d = 0; d < D; ++d) o[d] = 0.0;
        if (!visible) continue; /* no key: zeros, sink or not */
        if (a->sinks) denom += exp((double)a->sinks[h] - m);
        for (j = 0; j < a->skv; ++j) {
          double w;
          if (logits[j] == -INFINITY) continue;
          w = exp(logits[j] - m);
          denom += w;
          for (d = 0; d < D; ++d) o[d] += w * (double)vf[((b * a->skv + j) * a->kv_heads + kh) * D + d];
        }
        for (d = 0; d < D; ++d) o[d] /= denom;
      }
  free(q);
  free(k);
  free(logits);
}

ref_error ref_compare(const float* got, const double* want, size_t count) {
  ref_error e = {0.0, 0.0};
  double diff2 = 0.0, want2 = 0.0;
  size_t i;
  for (i = 0; i < count; ++i) {
    const double d = fabs((double)got[i] - want[i]);
    if (!(d <= e.max_abs)) e.max_abs = d; /* a NaN sticks */
    diff2 += d * d;
    want2 += want[i] * want[i];
  }
  e.rel_l2 = want2 > 0.0 ? sqrt(diff2 / want2) : sqrt(diff2);
  return e;
}

double ref_max_abs(const double* values, size_t count) {
  double m = 0.0;
  size_t i;
  for (i = 0; i < count; ++i)
    if (fabs(values[i]) > m) m = fabs(values[i]);
  return m;
}

/* distill_loss.c — distillation losses and their gradients (see distill_loss.h).
 *
 * The span loss is computed once by span_loss into a scratch buffer (its gradient included),
 * so the hard-label half is exactly the reader's; the divergence is then added row by row.
 * Each row's log-sum-exps are taken before any element of the row is written, and each
 * element's gradient depends only on that element and the row's sums, so the gradient may
 * overwrite the logits in place. Sums run in double. */
#include "needle/distill_loss.h"
#include "needle/kernels.h"

#include <math.h>

/* log Σ exp(x[k] / T) */
static double lse_scaled(const float *x, int L, double inv_t) {
    double mx = -INFINITY, s = 0;
    for (int k = 0; k < L; k++) mx = fmax(mx, x[k] * inv_t);
    for (int k = 0; k < L; k++) s += exp(x[k] * inv_t - mx);
    return mx + log(s);
}

distill_span_value distill_span_loss(float *dlogits, float *scratch, const float *logits, const float *teacher,
                                     const int32_t *start, const int32_t *end, int B, int L, double temperature,
                                     double weight, distill_kind kind) {
    distill_span_value v = {0, 0, 0};
    v.ce = span_loss(scratch, logits, start, end, B, L);
    double inv_t = 1.0 / temperature, wd = weight * temperature * temperature, wc = 1.0 - weight;
    int rows = 2 * B;
    size_t n = (size_t)rows * L;
    double div = 0;
#pragma omp parallel for schedule(static) reduction(+ : div)
    for (int r = 0; r < rows; r++) {
        const float *s = logits + (size_t)r * L, *t = teacher + (size_t)r * L;
        const float *gc = scratch + (size_t)r * L;
        float *d = dlogits + (size_t)r * L;
        if (kind == DISTILL_KL_DIV) {
            /* KL(p ‖ q), p = softmax(t/T), q = softmax(s/T); d/ds = (q − p) / T, batchmean: / B */
            double lt = lse_scaled(t, L, inv_t), ls = lse_scaled(s, L, inv_t), kl = 0;
            for (int k = 0; k < L; k++) {
                double logp = t[k] * inv_t - lt, logq = s[k] * inv_t - ls, p = exp(logp);
                kl += p * (logp - logq);
                d[k] = (float)(wd * (exp(logq) - p) * inv_t / B + wc * gc[k]);
            }
            div += kl / B;
        } else {
            /* mean((s/T − t/T)²) over all n logits; d/ds = 2 (s − t) / T² / n */
            double sq = 0;
            for (int k = 0; k < L; k++) {
                double e = (s[k] - (double)t[k]) * inv_t;
                sq += e * e;
                d[k] = (float)(wd * 2.0 * e * inv_t / (double)n + wc * gc[k]);
            }
            div += sq / (double)n;
        }
    }
    v.div = div;
    v.loss = wd * div + wc * v.ce;
    return v;
}

double distill_mse(float *da, const float *a, const float *b, size_t n, double scale) {
    double sq = 0, g = 2.0 * scale / (double)n;
#pragma omp parallel for schedule(static) reduction(+ : sq)
    for (size_t i = 0; i < n; i++) {
        double e = (double)a[i] - b[i];
        sq += e * e;
        if (da) da[i] += (float)(g * e);
    }
    return sq / (double)n;
}

double distill_hidden_loss(float *dh, float *dW, float *scratch, const float *h_s, const float *W, const float *h_t,
                           int N, int Cs, int Ct, double scale) {
    if (!W) return distill_mse(dh, h_s, h_t, (size_t)N * Cs, scale);
    size_t n = (size_t)N * Ct;
    matmul_forward(scratch, h_s, W, NULL, N, Cs, Ct);
    double sq = 0, g = 2.0 * scale / (double)n;
#pragma omp parallel for schedule(static) reduction(+ : sq)
    for (size_t i = 0; i < n; i++) {
        double e = (double)scratch[i] - h_t[i];
        sq += e * e;
        scratch[i] = (float)(g * e); /* now d loss / d (h_s · Wᵀ) */
    }
    if (dh || dW) matmul_backward(dh, dW, NULL, scratch, h_s, W, N, Cs, Ct, 1);
    return sq / (double)n;
}

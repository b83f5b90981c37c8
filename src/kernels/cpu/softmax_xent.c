/* softmax_xent.c — the heads' losses with their gradients: HF's span loss, cross-entropy
 * with ignored labels (masked LM, classification, listwise ranking), mean squared error
 * (regression) and binary cross-entropy with logits (cross-encoders).
 *
 * Each returns the loss and writes d loss / d logits in the same pass; the gradient may
 * overwrite the logits (the MLM logits [N, V] are the largest activation of a step). Row
 * passes are vectorised (fast exp); row losses are summed in double through a statically
 * scheduled reduction. */
#include "needle/kernels.h"
#include "cpu_internal.h"

#include <math.h>

/* Mean CE over rows whose label is not `ignore`; gradients scaled by weight / count. */
static double ce_rows(float *dl, const float *lg, const int32_t *labels, int R, int K, int32_t ignore, double weight) {
    int count = 0;
    for (int r = 0; r < R; r++) count += labels[r] != ignore;
    double total = 0.0, g = count ? weight / count : 0.0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (int r = 0; r < R; r++) {
        const float *x = lg + (size_t)r * K;
        float *d = dl + (size_t)r * K;
        if (labels[r] == ignore) {
            for (int k = 0; k < K; k++) d[k] = 0.0f;
            continue;
        }
        float mx = x[0], sum = 0.0f;
#pragma omp simd reduction(max : mx)
        for (int k = 0; k < K; k++) mx = mx > x[k] ? mx : x[k];
#pragma omp simd reduction(+ : sum)
        for (int k = 0; k < K; k++) sum += fast_expf(x[k] - mx);
        double lse = mx + log((double)sum), target = x[labels[r]];
        total += lse - target;
        float lsef = (float)lse, gf = (float)g;
#pragma omp simd
        for (int k = 0; k < K; k++) d[k] = fast_expf(x[k] - lsef) * gf;
        d[labels[r]] = (float)((exp(target - lse) - 1.0) * g); /* p − 1 in double: no cancellation */
    }
    return count ? total / count : 0.0;
}

float span_loss(float *dlogits, const float *logits, const int32_t *start, const int32_t *end, int B, int T) {
    int32_t tgt[2 * B];
    for (int b = 0; b < B; b++) {
        tgt[b] = start[b] < 0 ? 0 : start[b] > T ? T : start[b];
        tgt[B + b] = end[b] < 0 ? 0 : end[b] > T ? T : end[b];
    }
    double ls = ce_rows(dlogits, logits, tgt, B, T, T, 0.5);
    double le = ce_rows(dlogits + (size_t)B * T, logits + (size_t)B * T, tgt + B, B, T, T, 0.5);
    return (float)((ls + le) / 2);
}

float xent_loss(float *dlogits, const float *logits, const int32_t *labels, int R, int K) {
    return (float)ce_rows(dlogits, logits, labels, R, K, -100, 1.0);
}

float mse_loss(float *dlogits, const float *logits, const float *targets, int B) {
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        double d = (double)logits[b] - targets[b];
        total += d * d;
        dlogits[b] = (float)(2.0 * d / B);
    }
    return (float)(total / B);
}

float bce_loss(float *dlogits, const float *logits, const float *targets, int B) {
    double total = 0.0;
    for (int b = 0; b < B; b++) {
        double x = logits[b], y = targets[b];
        /* log(1 + e^-|x|) + max(x, 0) - x y: torch's stable form */
        total += fmax(x, 0.0) - x * y + log1p(exp(-fabs(x)));
        double sig = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
        dlogits[b] = (float)((sig - y) / B);
    }
    return (float)(total / B);
}

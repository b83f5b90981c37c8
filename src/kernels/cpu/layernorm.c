/* layernorm.c — LayerNorm forward/backward, and the post-LN residual step of a BERT layer
 * (res = x + dropout(y); out = LayerNorm(res)) fused into one pass over the rows.
 *
 * Rows are independent, so forward and the input gradient are parallel over rows. The
 * weight and bias gradients are column sums; each thread owns a block of columns and adds
 * the rows in order, so the result does not depend on the number of threads. */
#include "needle/kernels.h"
#include "cpu_internal.h"

#include <math.h>

static inline void norm_row(float *o, float *mean, float *rstd, const float *x, const float *w, const float *b, int C,
                            float eps) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int i = 0; i < C; i++) s += x[i];
    float m = s / C, v = 0.0f;
#pragma omp simd reduction(+ : v)
    for (int i = 0; i < C; i++) {
        float d = x[i] - m;
        v += d * d;
    }
    float r = 1.0f / sqrtf(v / C + eps);
    for (int i = 0; i < C; i++) o[i] = (x[i] - m) * r * w[i] + b[i];
    *mean = m;
    *rstd = r;
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int N, int C, float eps) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        norm_row(out + (size_t)n * C, mean + n, rstd + n, inp + (size_t)n * C, w, b, C, eps);
}

void residual_layernorm_forward(float *out, float *res, float *mean, float *rstd, const float *x, const float *y,
                                const float *w, const float *b, int N, int C, float eps,
                                float p, uint64_t seed, uint32_t site) {
    uint64_t key = dropout_key(seed, site);
    uint32_t thr = dropout_threshold(p);
    float scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *r = res + (size_t)n * C;
        const float *xr = x + (size_t)n * C, *yr = y + (size_t)n * C;
        if (p > 0.0f)
#pragma omp simd
            for (int i = 0; i < C; i++)
                r[i] = xr[i] + (dropout_keep_key(key, (uint64_t)n * C + i, thr) ? yr[i] * scale : 0.0f);
        else
            for (int i = 0; i < C; i++) r[i] = xr[i] + yr[i];
        norm_row(out + (size_t)n * C, mean + n, rstd + n, r, w, b, C, eps);
    }
}

void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *mean,
                        const float *rstd, const float *w, int N, int C) {
#pragma omp parallel
    {
#pragma omp for schedule(static) nowait
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
            float m = mean[n], r = rstd[n], s1 = 0.0f, s2 = 0.0f;
#pragma omp simd reduction(+ : s1, s2)
            for (int i = 0; i < C; i++) {
                float gw = g[i] * w[i];
                s1 += gw;
                s2 += gw * (x[i] - m) * r;
            }
            s1 /= C;
            s2 /= C;
            float *d = dinp + (size_t)n * C;
            for (int i = 0; i < C; i++) d[i] = (g[i] * w[i] - s1 - (x[i] - m) * r * s2) * r;
        }
        int nblk = (C + 63) / 64;
#pragma omp for schedule(static)
        for (int blk = 0; blk < nblk; blk++) {
            int c0 = blk * 64, c1 = c0 + 64 < C ? c0 + 64 : C;
            double aw[64] = {0}, ab[64] = {0};
            for (int n = 0; n < N; n++) {
                const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
                float m = mean[n], r = rstd[n];
                for (int i = c0; i < c1; i++) {
                    aw[i - c0] += g[i] * (x[i] - m) * r;
                    ab[i - c0] += g[i];
                }
            }
            for (int i = c0; i < c1; i++) {
                dw[i] += (float)aw[i - c0];
                db[i] += (float)ab[i - c0];
            }
        }
    }
}

void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                           int N, int C, float eps) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double s = 0, v = 0;
        for (int i = 0; i < C; i++) s += x[i];
        double m = s / C;
        for (int i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
        double r = 1.0 / sqrt(v / C + eps);
        for (int i = 0; i < C; i++) out[(size_t)n * C + i] = (float)((x[i] - m) * r * w[i] + b[i]);
        mean[n] = (float)m;
        rstd[n] = (float)r;
    }
}

void layernorm_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *mean,
                            const float *rstd, const float *w, int N, int C) {
    for (int i = 0; i < C; i++) {
        double aw = dw[i], ab = db[i];
        for (int n = 0; n < N; n++) {
            aw += (double)dout[(size_t)n * C + i] * (inp[(size_t)n * C + i] - mean[n]) * rstd[n];
            ab += dout[(size_t)n * C + i];
        }
        dw[i] = (float)aw;
        db[i] = (float)ab;
    }
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
        double m = mean[n], r = rstd[n], s1 = 0, s2 = 0;
        for (int i = 0; i < C; i++) {
            s1 += (double)g[i] * w[i];
            s2 += (double)g[i] * w[i] * (x[i] - m) * r;
        }
        s1 /= C;
        s2 /= C;
        for (int i = 0; i < C; i++) dinp[(size_t)n * C + i] = (float)(((double)g[i] * w[i] - s1 - (x[i] - m) * r * s2) * r);
    }
}

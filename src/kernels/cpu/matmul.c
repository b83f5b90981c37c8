/* matmul.c — linear layers (out = inp · wᵀ + bias) and their backward, on gemm.c.
 *
 * The weight stays in PyTorch's [OC, IC] layout so that checkpoints map onto it without a
 * transpose (gemm packs either orientation). The bias gradient is a column sum computed
 * per column block (each thread owns its columns and adds rows in order), so it is the
 * same for any thread count. */
#include "needle/kernels.h"

#include <string.h>

void matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC) {
    if (bias) {
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof *out);
    }
    gemm(0, 1, N, OC, IC, 1.0f, inp, IC, w, IC, bias ? 1.0f : 0.0f, out, OC);
}

/* dbias[o] += Σ_n dout[n, o], blocks of 64 columns per task, summed in double: bias
 * gradients are sums over all tokens with much cancellation. */
static void bias_backward(float *dbias, const float *dout, int N, int OC) {
    int nblk = (OC + 63) / 64;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblk; blk++) {
        int o0 = blk * 64, o1 = o0 + 64 < OC ? o0 + 64 : OC;
        double acc[64] = {0};
        for (int n = 0; n < N; n++) {
            const float *row = dout + (size_t)n * OC;
            for (int o = o0; o < o1; o++) acc[o - o0] += row[o];
        }
        for (int o = o0; o < o1; o++) dbias[o] += (float)acc[o - o0];
    }
}

void matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                     int N, int IC, int OC, int accumulate) {
    if (dinp) gemm(0, 0, N, IC, OC, 1.0f, dout, OC, w, IC, accumulate ? 1.0f : 0.0f, dinp, IC);
    if (dw) gemm(1, 0, OC, IC, N, 1.0f, dout, OC, inp, IC, 1.0f, dw, IC);
    if (dbias) bias_backward(dbias, dout, N, OC);
}

void matmul_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int i = 0; i < IC; i++) acc += (double)inp[(size_t)n * IC + i] * w[(size_t)o * IC + i];
            out[(size_t)n * OC + o] = (float)acc;
        }
}

void matmul_backward_ref(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                         int N, int IC, int OC, int accumulate) {
    if (dinp)
        for (int n = 0; n < N; n++)
            for (int i = 0; i < IC; i++) {
                double acc = accumulate ? dinp[(size_t)n * IC + i] : 0.0;
                for (int o = 0; o < OC; o++) acc += (double)dout[(size_t)n * OC + o] * w[(size_t)o * IC + i];
                dinp[(size_t)n * IC + i] = (float)acc;
            }
    if (dw)
        for (int o = 0; o < OC; o++)
            for (int i = 0; i < IC; i++) {
                double acc = dw[(size_t)o * IC + i];
                for (int n = 0; n < N; n++) acc += (double)dout[(size_t)n * OC + o] * inp[(size_t)n * IC + i];
                dw[(size_t)o * IC + i] = (float)acc;
            }
    if (dbias)
        for (int o = 0; o < OC; o++) {
            double acc = dbias[o];
            for (int n = 0; n < N; n++) acc += dout[(size_t)n * OC + o];
            dbias[o] = (float)acc;
        }
}

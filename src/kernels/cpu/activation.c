/* activation.c — the element-wise activations of the encoder and heads: GELU exact (erf,
 * HF "gelu"), GELU tanh approximation (HF "gelu_new"), ReLU, tanh (pooler), identity.
 *
 * Backward takes the activation's input (saved by forward) and recomputes what it needs.
 * The loops vectorise: Φ, exp and tanh are the inline approximations of cpu_internal.h. */
#include "needle/kernels.h"
#include "cpu_internal.h"

#include <math.h>
#include <string.h>

#define INV_SQRT_2PI 0.39894228040143267794f
#define GELU_K 0.79788456080286535588f /* sqrt(2/pi) */
#define GELU_C 0.044715f

void act_forward(float *out, const float *inp, size_t n, model_act act) {
    switch (act) {
    case ACT_GELU:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) out[i] = inp[i] * fast_normcdf(inp[i]);
        break;
    case ACT_GELU_TANH:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) {
            float x = inp[i];
            out[i] = 0.5f * x * (1.0f + fast_tanhf(GELU_K * (x + GELU_C * x * x * x)));
        }
        break;
    case ACT_RELU:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    case ACT_TANH:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) out[i] = fast_tanhf(inp[i]);
        break;
    case ACT_NONE:
        if (out != inp) memmove(out, inp, n * sizeof *out);
        break;
    }
}

void act_backward(float *dinp, const float *inp, const float *dout, size_t n, model_act act) {
    switch (act) {
    case ACT_GELU:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) {
            float x = inp[i];
            float cdf = fast_normcdf(x), pdf = INV_SQRT_2PI * fast_expf(-0.5f * x * x);
            dinp[i] = dout[i] * (cdf + x * pdf);
        }
        break;
    case ACT_GELU_TANH:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) {
            float x = inp[i], t = fast_tanhf(GELU_K * (x + GELU_C * x * x * x));
            dinp[i] = dout[i] * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_C * x * x));
        }
        break;
    case ACT_RELU:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case ACT_TANH:
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) {
            float t = fast_tanhf(inp[i]);
            dinp[i] = dout[i] * (1.0f - t * t);
        }
        break;
    case ACT_NONE:
        if (dinp != dout) memmove(dinp, dout, n * sizeof *dinp);
        break;
    }
}

double act_ref(double x, model_act act) {
    switch (act) {
    case ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case ACT_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_TANH: return tanh(x);
    case ACT_NONE: return x;
    }
    return x;
}

double act_grad_ref(double x, model_act act) {
    switch (act) {
    case ACT_GELU: return 0.5 * (1.0 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
    case ACT_GELU_TANH: {
        double k = sqrt(2.0 / M_PI), t = tanh(k * (x + 0.044715 * x * x * x));
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x);
    }
    case ACT_RELU: return x > 0 ? 1 : 0;
    case ACT_TANH: return 1.0 - tanh(x) * tanh(x);
    case ACT_NONE: return 1;
    }
    return 1;
}

/* adamw.c — the AdamW update of adamw.h, element-wise over the parameter table.
 *
 * Bias corrections are computed in double once per step, as PyTorch computes them in
 * Python floats; the per-element arithmetic follows torch's order of operations
 * (decay, lerp of m, v update, denom = sqrt(v)/sqrt(bc2) + eps, addcdiv). */
#include "needle/adamw.h"
#include "needle/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

adamw_config adamw_defaults(void) { return (adamw_config){1e-3, 0.9, 0.999, 1e-8, 0.01, 1}; }

int adamw_init(adamw_state *s, size_t n) {
    memset(s, 0, sizeof *s);
    size_t bytes = (2 * n * sizeof(float) + 63) & ~(size_t)63;
    s->m = aligned_alloc(64, bytes ? bytes : 64);
    if (!s->m) return error_set(NEEDLE_ENOMEM, "out of memory for optimiser state (%zu floats)", 2 * n);
    memset(s->m, 0, bytes);
    s->v = s->m + n;
    s->n = n;
    return 0;
}

void adamw_free(adamw_state *s) {
    free(s->m);
    memset(s, 0, sizeof *s);
}

void adamw_step(adamw_state *s, const adamw_config *c, model_param *params, int n_params) {
    s->step++;
    double bc1 = 1.0 - pow(c->beta1, (double)s->step), bc2 = 1.0 - pow(c->beta2, (double)s->step);
    float step_size = (float)(c->lr / bc1), bc2_sqrt = (float)sqrt(bc2), keep = (float)(1.0 - c->lr * c->weight_decay);
    float b2 = (float)c->beta2, one_b1 = (float)(1.0 - c->beta1), one_b2 = (float)(1.0 - c->beta2), eps = (float)c->eps;
    size_t off = 0;
    for (int i = 0; i < n_params; i++) {
        model_param *p = &params[i];
        int decay = c->weight_decay != 0.0 && (c->decay_norm_and_bias || !p->no_decay);
        float *x = p->data, *m = s->m + off, *v = s->v + off;
        const float *g = p->grad;
        size_t n = p->numel;
#pragma omp parallel for schedule(static) if (n > 4096)
        for (size_t j = 0; j < n; j++) {
            float gj = g[j], xj = decay ? x[j] * keep : x[j];
            float mj = m[j] + (gj - m[j]) * one_b1;
            float vj = v[j] * b2 + one_b2 * gj * gj;
            m[j] = mj;
            v[j] = vj;
            x[j] = xj - step_size * (mj / (sqrtf(vj) / bc2_sqrt + eps));
        }
        off += n;
    }
}

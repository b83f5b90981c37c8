/* model_linears.c — a model without an encoder: a set of free-standing weight matrices that a
 * task trains beside its encoders (the learned projections of intermediate-layer
 * distillation, which map a narrower student's hidden states to the teacher's width).
 *
 * They live in a model struct — a parameter table over one parameter block and one gradient
 * block — because that is what the trainer steps, clips, decays and checkpoints: a task lists
 * the set among its trained models and gets AdamW, clipping and exact resume for free, with no
 * second code path in the trainer. Nothing else of the model applies (no config beyond the
 * name, no activations, forward or save): tasks apply the matrices with matmul_forward and
 * matmul_backward themselves. */
#include "model_internal.h"
#include "needle/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int model_create_linears(model *m, int n, const int *out_dims, const int *in_dims, const char *prefix, uint64_t seed) {
    memset(m, 0, sizeof *m);
    if (n < 1) return error_set(NEEDLE_EINVAL, "model_create_linears: %d matrices", n);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (out_dims[i] < 1 || in_dims[i] < 1)
            return error_set(NEEDLE_EINVAL, "model_create_linears: matrix %d is %d x %d", i, out_dims[i], in_dims[i]);
        total += ((size_t)out_dims[i] * in_dims[i] + 15) & ~(size_t)15; /* 64-byte aligned tensors */
    }
    snprintf(m->cfg.model_type, sizeof m->cfg.model_type, "linears");
    m->params = calloc((size_t)n, sizeof *m->params);
    m->param_block = model_block_alloc(total);
    m->grad_block = model_block_alloc(total);
    if (!m->params || !m->param_block || !m->grad_block) {
        model_free(m);
        return error_set(NEEDLE_ENOMEM, "out of memory for %zu projection parameters", total);
    }
    m->n_params = n;
    m->n_floats = total;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        model_param *p = &m->params[i];
        snprintf(p->name, sizeof p->name, "%s.%d.weight", prefix, i);
        p->ndim = 2;
        p->shape[0] = out_dims[i];
        p->shape[1] = in_dims[i];
        p->numel = (size_t)out_dims[i] * in_dims[i];
        p->data = m->param_block + off;
        p->grad = m->grad_block + off;
        p->kind = MODEL_PARAM_WEIGHT;
        off += (p->numel + 15) & ~(size_t)15;
        /* torch.nn.Linear's default: kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)) */
        rng r;
        rng_seed(&r, seed + (uint64_t)i * 0x9E3779B97F4A7C15ULL);
        double bound = 1.0 / sqrt((double)in_dims[i]);
        for (size_t j = 0; j < p->numel; j++) p->data[j] = (float)((2 * rng_double(&r) - 1) * bound);
    }
    return 0;
}

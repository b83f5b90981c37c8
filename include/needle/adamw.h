/* adamw.h — AdamW with PyTorch's semantics (torch.optim.AdamW, single-tensor path):
 *   p -= lr * weight_decay * p          (decoupled decay, when the parameter is decayed)
 *   m  = beta1 * m + (1 - beta1) * g
 *   v  = beta2 * v + (1 - beta2) * g²
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * The moments live in one block laid out like the model's gradient block (parameter i at
 * the same offset), so the state a checkpoint must keep is exactly {m, v, step}. */
#ifndef NEEDLE_ADAMW_H
#define NEEDLE_ADAMW_H

#include <stddef.h>

#include "needle/model.h"

typedef struct {
    double lr, beta1, beta2, eps, weight_decay; /* doubles, as torch's Python floats */
    int decay_norm_and_bias; /* 0: biases and LayerNorm weights get no decay (HF Trainer's
                              * habit); 1: every parameter is decayed (torch's default) */
} adamw_config;

typedef struct {
    size_t n;         /* floats in m and v */
    float *m, *v;     /* one block of 2n floats, m first */
    long long step;   /* steps taken */
} adamw_state;

/* lr 1e-3, betas 0.9/0.999, eps 1e-8, weight_decay 0.01, every parameter decayed: torch's defaults. */
adamw_config adamw_defaults(void);
/* Zeroed moments for n floats (a model's n_floats). */
int adamw_init(adamw_state *s, size_t n);
void adamw_free(adamw_state *s);
/* One step over the parameter table (data updated from grad; parameters in table order
 * occupy consecutive ranges of the moments). Parallel over elements; deterministic. */
void adamw_step(adamw_state *s, const adamw_config *c, model_param *params, int n_params);

#endif

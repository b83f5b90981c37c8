/* model.c — a model's lifetime: the parameter block and table built from a config, HF's
 * initialisation, inference replicas (a struct copy sharing the parameter block, with
 * activations of its own), the gradient helpers, and freeing.
 *
 * Parameters, gradients and activations are each one 64-byte-aligned block carved into
 * tensors (model_layout, encoder.c), so a model is a handful of allocations whatever its
 * depth, and gradients sit at the same offsets as their parameters. */
#include "model_internal.h"
#include "needle/error.h"
#include "needle/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float *model_block_alloc(size_t n_floats) {
    size_t bytes = (n_floats * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes);
    return p;
}

static model_weights *weights_new(int L) {
    model_weights *w = calloc(1, sizeof *w);
    if (w && !(w->layers = calloc((size_t)L, sizeof *w->layers))) {
        free(w);
        w = NULL;
    }
    return w;
}

static void weights_free(model_weights *w) {
    if (w) free(w->layers);
    free(w);
}

/* Build the table and the parameter block for cfg (zeroed). Takes ownership of cfg->json. */
int model_setup(model *m, const model_config *cfg) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    int n;
    m->n_floats = model_layout(&m->cfg, NULL, NULL, NULL, 0, &n);
    m->params = calloc((size_t)n, sizeof *m->params);
    m->w = weights_new(cfg->L);
    m->param_block = model_block_alloc(m->n_floats);
    if (!m->params || !m->w || !m->param_block) {
        model_free(m);
        return error_set(NEEDLE_ENOMEM, "out of memory for %zu parameters", m->n_floats);
    }
    model_layout(&m->cfg, m->param_block, m->w, m->params, 0, &m->n_params);
    log_debug("model: %d tensors, %zu parameters (%.1f MB)", m->n_params, m->n_floats, m->n_floats * 4.0 / 1e6);
    return 0;
}

void model_init_param(const model *m, model_param *p, uint64_t seed) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of the name: each tensor its own stream */
    for (const char *s = p->name; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    rng r;
    rng_seed(&r, seed ^ h);
    switch (p->kind) {
    case MODEL_PARAM_WEIGHT:
    case MODEL_PARAM_EMBEDDING:
        for (size_t i = 0; i < p->numel; i++) p->data[i] = (float)(rng_normal(&r) * m->cfg.init_range);
        if (p->kind == MODEL_PARAM_EMBEDDING && m->cfg.pad_id < p->shape[0])
            memset(p->data + (size_t)m->cfg.pad_id * p->shape[1], 0, (size_t)p->shape[1] * sizeof(float));
        break;
    case MODEL_PARAM_NORM_WEIGHT:
        for (size_t i = 0; i < p->numel; i++) p->data[i] = 1.0f;
        break;
    case MODEL_PARAM_BIAS:
    case MODEL_PARAM_NORM_BIAS: memset(p->data, 0, p->numel * sizeof(float)); break;
    }
}

int model_create(model *m, const model_config *cfg, uint64_t seed) {
    int rc = model_config_check(cfg, "model_create");
    if (rc) return rc;
    rc = model_setup(m, cfg);
    if (rc) return rc;
    for (int i = 0; i < m->n_params; i++) model_init_param(m, &m->params[i], seed);
    return 0;
}

void model_free(model *m) {
    model_free_acts(m);
    free(m->params);
    free(m->param_block);
    free(m->grad_block);
    weights_free(m->w);
    weights_free(m->g);
    model_config_free(&m->cfg);
    memset(m, 0, sizeof *m);
}

int model_replica(model *dst, const model *src, int max_B, int max_T) {
    *dst = *src;
    dst->grad_block = NULL;
    dst->g = NULL;
    dst->acts = NULL;
    dst->train = 0;
    int rc = model_alloc(dst, max_B, max_T, MODEL_INFER);
    if (rc) memset(dst, 0, sizeof *dst);
    return rc;
}

void model_replica_free(model *dst) {
    model_free_acts(dst);
    memset(dst, 0, sizeof *dst);
}

int model_alloc_grads(model *m) {
    if (m->grad_block) return 0;
    m->grad_block = model_block_alloc(m->n_floats);
    m->g = weights_new(m->cfg.L);
    if (!m->grad_block || !m->g) {
        free(m->grad_block);
        weights_free(m->g);
        m->grad_block = NULL;
        m->g = NULL;
        return error_set(NEEDLE_ENOMEM, "out of memory for %zu gradients", m->n_floats);
    }
    model_layout(&m->cfg, m->grad_block, m->g, m->params, 1, NULL);
    log_debug("model: gradient block %.1f MB", m->n_floats * 4.0 / 1e6);
    return 0;
}

void model_zero_grad(model *m) {
    if (m->grad_block) memset(m->grad_block, 0, m->n_floats * sizeof(float));
}

double model_grad_norm(const model *m) {
    if (!m->grad_block) return 0.0;
    double total = 0.0;
    for (int i = 0; i < m->n_params; i++) {
        const float *g = m->params[i].grad;
        double s = 0.0;
        for (size_t j = 0; j < m->params[i].numel; j++) s += (double)g[j] * g[j];
        total += s;
    }
    return sqrt(total);
}

model_param *model_find_param(const model *m, const char *name) {
    for (int i = 0; i < m->n_params; i++)
        if (!strcmp(m->params[i].name, name)) return &m->params[i];
    return NULL;
}

size_t model_bytes(const model *m) {
    size_t b = m->n_floats * sizeof(float) * (m->grad_block ? 2 : 1);
    return b + model_acts_bytes(m);
}

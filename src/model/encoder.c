/* encoder.c — the encoder's activations, forward and backward: embeddings, then L post-LN
 * layers (fused QKV GEMM, masked multi-head attention, output projection + residual +
 * LayerNorm, GELU feed-forward + residual + LayerNorm), then the heads (heads.c).
 *
 * MODEL_TRAIN keeps every layer's activations (one block sized for max_B x max_T) plus
 * backward scratch; MODEL_INFER keeps one layer's worth, reused by every layer, and two
 * alternating hidden-state buffers, for embedding large corpora; MODEL_KEEP is MODEL_INFER
 * plus every hidden state and attention matrix (what a distillation teacher must show). Dropout masks are never
 * stored: the seed drawn at forward time regenerates them in backward. */
#include "model_internal.h"
#include "needle/error.h"
#include "needle/kernels.h"
#include "needle/log.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *base;
    size_t off;
} carver;

/* n floats, rounded up to 64 bytes; NULL while only counting. */
static float *carve(carver *k, size_t n) {
    float *p = k->base ? k->base + k->off : NULL;
    k->off += (n + 15) & ~(size_t)15;
    return p;
}

static size_t max3(size_t a, size_t b, size_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

/* Carve the activations of `a` out of k (counting when k->base is NULL). */
static void acts_layout(const model_config *c, model_acts *a, carver *k, int B, int T, int mode) {
    int train = mode == MODEL_TRAIN, keep = mode != MODEL_INFER;
    size_t N = (size_t)B * T, C = (size_t)c->C, E = (size_t)c->E, F = (size_t)c->F, D = (size_t)model_pool_dim(c);
    size_t CE = C > E ? C : E;
    a->ids = (int32_t *)carve(k, N);
    a->pos_ids = (int32_t *)carve(k, N);
    a->type_ids = (int32_t *)carve(k, N);
    a->mask = (int32_t *)carve(k, N);
    int nh = keep ? c->L + 1 : 2;
    float *h[2];
    for (int l = 0; l <= c->L; l++) {
        if (l < nh) h[l % 2] = a->hidden[l] = carve(k, N * C);
        else a->hidden[l] = h[l % 2];
    }
    a->emb = carve(k, N * E);
    a->emb_mean = carve(k, N);
    a->emb_rstd = carve(k, N);
    a->emb_ln = c->family == MODEL_ELECTRA && E != C ? carve(k, N * E) : NULL;
    for (int l = 0; l < c->L; l++) {
        layer_acts *la = &a->layers[l];
        if (!train && l > 0) {
            *la = a->layers[0];
            la->att = keep ? carve(k, N * (size_t)c->NH * T) : NULL;
            continue;
        }
        la->qkv = carve(k, 3 * N * C);
        la->att = keep ? carve(k, N * (size_t)c->NH * T) : NULL;
        la->ctx = carve(k, N * C);
        la->res1 = carve(k, N * C);
        la->ln1_mean = carve(k, N);
        la->ln1_rstd = carve(k, N);
        la->ln1 = carve(k, N * C);
        la->fc1 = carve(k, N * F);
        la->fc_act = train ? NULL : la->fc1; /* training: a scratch, recomputed in backward */
        la->res2 = carve(k, N * C);
        la->ln2_mean = carve(k, N);
        la->ln2_rstd = carve(k, N);
    }
    a->att_scratch = carve(k, attention_scratch_floats(T, a->threads));
    a->head_in = c->head == MODEL_HEAD_SPAN && c->family == MODEL_DISTILBERT ? carve(k, N * C) : NULL;
    int pooling = D > 0 || c->head == MODEL_HEAD_CLS;
    size_t DP = D ? D : C;
    a->cls_in = pooling ? carve(k, (size_t)B * C) : NULL;
    a->pool_pre = pooling ? carve(k, (size_t)B * DP) : NULL;
    a->pooled = pooling ? carve(k, (size_t)B * DP) : NULL;
    a->pooled_drop = pooling ? carve(k, (size_t)B * DP) : NULL;
    if (c->head == MODEL_HEAD_MLM) {
        a->mlm_t = carve(k, N * E);
        a->mlm_a = carve(k, N * E);
        a->mlm_u = carve(k, N * E);
        a->mlm_mean = carve(k, N);
        a->mlm_rstd = carve(k, N);
        a->mlm_in = carve(k, N * C);
        a->head_rows = (int32_t *)carve(k, N);
    }
    a->logits = c->head == MODEL_HEAD_SPAN ? carve(k, 4 * N)
              : c->head == MODEL_HEAD_MLM  ? carve(k, N * (size_t)c->V)
              : c->head == MODEL_HEAD_CLS  ? carve(k, (size_t)B * c->num_labels)
                                           : NULL;
    if (train) {
        a->dh = carve(k, N * CE);
        a->dr = carve(k, N * CE);
        a->dt = carve(k, N * CE);
        a->dc = carve(k, N * CE);
        a->dbig = carve(k, N * max3(F, 3 * C, 4));
        a->dpool = carve(k, 2 * (size_t)B * max3(C, DP, (size_t)c->num_labels));
    }
}

void model_free_acts(model *m) {
    if (!m->acts) return;
    free(m->acts->block);
    free(m->acts->hidden);
    free(m->acts->layers);
    free(m->acts);
    m->acts = NULL;
}

size_t model_acts_bytes(const model *m) { return m->acts ? m->acts->n_floats * sizeof(float) : 0; }

int model_alloc(model *m, int max_B, int max_T, int mode) {
    const model_config *c = &m->cfg;
    if (max_B < 1 || max_T < 1) return error_set(NEEDLE_EINVAL, "model_alloc: batch %d x %d is empty", max_B, max_T);
    if (mode != MODEL_INFER && mode != MODEL_TRAIN && mode != MODEL_KEEP)
        return error_set(NEEDLE_EINVAL, "model_alloc: unknown mode %d", mode);
    if (max_T > c->P - c->pos_offset)
        return error_set(NEEDLE_EINVAL, "model_alloc: sequence length %d exceeds the %d positions of the model",
                         max_T, c->P - c->pos_offset);
    model_free_acts(m);
    if (mode == MODEL_TRAIN) {
        int rc = model_alloc_grads(m);
        if (rc) return rc;
    }
    model_acts *a = calloc(1, sizeof *a);
    if (a) {
        a->hidden = calloc((size_t)c->L + 1, sizeof *a->hidden);
        a->layers = calloc((size_t)c->L, sizeof *a->layers);
    }
    if (!a || !a->hidden || !a->layers) goto oom;
    m->acts = a;
    a->threads = omp_get_max_threads();
    a->keep = mode != MODEL_INFER;
    carver k = {NULL, 0};
    acts_layout(c, a, &k, max_B, max_T, mode);
    a->n_floats = k.off;
    if (!(a->block = model_block_alloc(k.off))) goto oom;
    k = (carver){a->block, 0};
    acts_layout(c, a, &k, max_B, max_T, mode);
    m->max_B = max_B;
    m->max_T = max_T;
    m->train = mode == MODEL_TRAIN;
    m->B = m->T = 0;
    log_debug("model: %s activations for %d x %d: %.1f MB",
              m->train ? "training" : a->keep ? "kept (all layers)" : "inference", max_B, max_T,
              k.off * 4.0 / 1e6);
    return 0;
oom:
    if (a) {
        free(a->hidden);
        free(a->layers);
        free(a);
    }
    m->acts = NULL;
    return error_set(NEEDLE_ENOMEM, "out of memory for activations of %d x %d tokens", max_B, max_T);
}

/* Copy and check the batch; derive position ids (RoBERTa counts non-padding tokens). */
static int batch_prepare(model *m, const model_batch *b) {
    const model_config *c = &m->cfg;
    model_acts *a = m->acts;
    int B = b->B, T = b->T;
    if (!a) return error_set(NEEDLE_EINVAL, "model_forward: call model_alloc first");
    if (B < 1 || T < 1 || B > m->max_B || T > m->max_T)
        return error_set(NEEDLE_EINVAL, "model_forward: batch %d x %d outside the allocated %d x %d", B, T, m->max_B, m->max_T);
    if (omp_get_max_threads() > a->threads)
        return error_set(NEEDLE_EINVAL, "model_forward: %d threads but buffers were sized for %d; call model_alloc again",
                         omp_get_max_threads(), a->threads);
    for (int i = 0; i < B; i++) {
        int count = 0;
        for (int t = 0; t < T; t++) {
            size_t n = (size_t)i * T + t;
            int32_t id = b->input_ids[n], tt = b->token_type_ids && c->TV > 0 ? b->token_type_ids[n] : 0;
            if (id < 0 || id >= c->V)
                return error_set(NEEDLE_EINVAL, "batch row %d, position %d: input id %d is outside the vocabulary (%d)", i, t, id, c->V);
            if (c->TV > 0 && (tt < 0 || tt >= c->TV))
                return error_set(NEEDLE_EINVAL, "batch row %d, position %d: token type %d is outside [0, %d)", i, t, tt, c->TV);
            int32_t mk = b->attention_mask ? b->attention_mask[n] : 1;
            if (mk != 0 && mk != 1)
                return error_set(NEEDLE_EINVAL, "batch row %d, position %d: attention mask %d is not 0 or 1", i, t, mk);
            a->ids[n] = id;
            a->type_ids[n] = tt;
            a->mask[n] = mk;
            if (c->family == MODEL_ROBERTA) {
                count += id != c->pad_id;
                a->pos_ids[n] = id != c->pad_id ? c->pad_id + count : c->pad_id;
            } else {
                a->pos_ids[n] = t;
            }
            if (a->pos_ids[n] >= c->P)
                return error_set(NEEDLE_EINVAL, "batch row %d: position %d exceeds the model's %d positions", i, a->pos_ids[n], c->P);
        }
    }
    if (b->head_rows) {
        if (c->head != MODEL_HEAD_MLM)
            return error_set(NEEDLE_EINVAL, "model_forward: head rows are for a masked-LM head; this model has another");
        if (b->n_head_rows < 0 || b->n_head_rows > B * T)
            return error_set(NEEDLE_EINVAL, "model_forward: %d head rows for %d positions", b->n_head_rows, B * T);
        for (int i = 0; i < b->n_head_rows; i++) {
            int32_t r = b->head_rows[i];
            if (r < 0 || r >= B * T || (i > 0 && r <= b->head_rows[i - 1]))
                return error_set(NEEDLE_EINVAL, "model_forward: head row %d (%d) is outside [0, %d) or not ascending", i, r, B * T);
            a->head_rows[i] = r;
        }
    }
    a->head_selected = b->head_rows != NULL;
    a->n_head_rows = b->head_rows ? b->n_head_rows : B * T;
    m->B = B;
    m->T = T;
    return 0;
}

static void embeddings_forward(model *m, float p) {
    const model_config *c = &m->cfg;
    const model_weights *w = m->w;
    model_acts *a = m->acts;
    int N = m->B * m->T;
    embedding_forward(a->emb, a->ids, a->pos_ids, a->type_ids, w->wte, w->wpe, w->wtt, N, c->E);
    float *ln_out = a->emb_ln ? a->emb_ln : a->hidden[0];
    layernorm_forward(ln_out, a->emb_mean, a->emb_rstd, a->emb, w->emb_ln_w, w->emb_ln_b, N, c->E, c->ln_eps);
    dropout_forward(ln_out, ln_out, (size_t)N * c->E, p, m->dropout_seed, SITE_EMB);
    if (a->emb_ln) matmul_forward(a->hidden[0], a->emb_ln, w->proj_w, w->proj_b, N, c->E, c->C);
}

static void layer_forward(model *m, int l, float ph, float pa) {
    const model_config *c = &m->cfg;
    const layer_weights *w = &m->w->layers[l];
    model_acts *a = m->acts;
    layer_acts *la = &a->layers[l];
    int B = m->B, T = m->T, N = B * T, C = c->C, F = c->F;
    const float *x = a->hidden[l];
    uint64_t seed = m->dropout_seed;
    matmul_forward(la->qkv, x, w->qkv_w, w->qkv_b, N, C, 3 * C);
    attention_forward(la->ctx, la->att, la->qkv, a->mask, B, T, C, c->NH, pa, seed, site_layer(l, 0), a->att_scratch);
    matmul_forward(la->res1, la->ctx, w->ao_w, w->ao_b, N, C, C);
    residual_layernorm_forward(la->ln1, la->res1, la->ln1_mean, la->ln1_rstd, x, la->res1, w->ln1_w, w->ln1_b, N, C,
                               c->ln_eps, ph, seed, site_layer(l, 1));
    matmul_forward(la->fc1, la->ln1, w->fc1_w, w->fc1_b, N, C, F);
    float *fc_act = la->fc_act ? la->fc_act : a->dbig;
    act_forward(fc_act, la->fc1, (size_t)N * F, c->act);
    matmul_forward(la->res2, fc_act, w->fc2_w, w->fc2_b, N, F, C);
    residual_layernorm_forward(a->hidden[l + 1], la->res2, la->ln2_mean, la->ln2_rstd, la->ln1, la->res2, w->ln2_w,
                               w->ln2_b, N, C, c->ln_eps, ph, seed, site_layer(l, 2));
}

int model_forward(model *m, const model_batch *b, rng *dropout_rng) {
    int rc = batch_prepare(m, b);
    if (rc) return rc;
    if (dropout_rng && !m->train)
        return error_set(NEEDLE_EINVAL, "model_forward: training mode needs MODEL_TRAIN buffers");
    m->dropout_seed = dropout_rng ? rng_u64(dropout_rng) | 1 : 0;
    float ph = m->dropout_seed ? m->cfg.hidden_dropout : 0.0f, pa = m->dropout_seed ? m->cfg.attn_dropout : 0.0f;
    embeddings_forward(m, ph);
    for (int l = 0; l < m->cfg.L; l++) layer_forward(m, l, ph, pa);
    return heads_forward(m);
}

/* dh holds d(hidden[l+1]) on entry and d(hidden[l]) on return; datt (or NULL) is an extra
 * gradient on the layer's attention probabilities. */
static void layer_backward(model *m, int l, float ph, float pa, const float *datt) {
    const model_config *c = &m->cfg;
    const layer_weights *w = &m->w->layers[l];
    layer_weights *g = &m->g->layers[l];
    model_acts *a = m->acts;
    layer_acts *la = &a->layers[l];
    int B = m->B, T = m->T, N = B * T, C = c->C, F = c->F;
    uint64_t seed = m->dropout_seed;
    float *dh = a->dh, *dr = a->dr, *dt = a->dt, *dc = a->dc, *dbig = a->dbig;
    size_t NC = (size_t)N * C;
    /* LN2, residual: dr = d res2 = d ln1 (residual path); dt = d fc2 output */
    layernorm_backward(dr, g->ln2_w, g->ln2_b, dh, la->res2, la->ln2_mean, la->ln2_rstd, w->ln2_w, N, C);
    const float *dy = dr;
    if (ph > 0.0f) {
        dropout_backward(dt, dr, NC, ph, seed, site_layer(l, 2));
        dy = dt;
    }
    act_forward(dbig, la->fc1, (size_t)N * F, c->act); /* the activation again: cheaper than keeping it */
    matmul_backward(NULL, g->fc2_w, g->fc2_b, dy, dbig, w->fc2_w, N, F, C, 0);
    matmul_backward(dbig, NULL, NULL, dy, NULL, w->fc2_w, N, F, C, 0);
    act_backward(dbig, la->fc1, dbig, (size_t)N * F, c->act);
    matmul_backward(dr, g->fc1_w, g->fc1_b, dbig, la->ln1, w->fc1_w, N, C, F, 1);
    /* LN1, residual: dh = d res1 = d x (residual path); dt = d attention output projection */
    layernorm_backward(dh, g->ln1_w, g->ln1_b, dr, la->res1, la->ln1_mean, la->ln1_rstd, w->ln1_w, N, C);
    dy = dh;
    if (ph > 0.0f) {
        dropout_backward(dt, dh, NC, ph, seed, site_layer(l, 1));
        dy = dt;
    }
    matmul_backward(dc, g->ao_w, g->ao_b, dy, la->ctx, w->ao_w, N, C, C, 0);
    attention_backward(dbig, dc, datt, la->qkv, la->att, a->mask, B, T, C, c->NH, pa, seed, site_layer(l, 0),
                       a->att_scratch);
    matmul_backward(dh, g->qkv_w, g->qkv_b, dbig, a->hidden[l], w->qkv_w, N, C, 3 * C, 1);
}

static void embeddings_backward(model *m, float p) {
    const model_config *c = &m->cfg;
    model_acts *a = m->acts;
    int N = m->B * m->T;
    float *d = a->dh;
    if (a->emb_ln) {
        matmul_backward(a->dr, m->g->proj_w, m->g->proj_b, a->dh, a->emb_ln, m->w->proj_w, N, c->E, c->C, 0);
        d = a->dr;
    }
    dropout_backward(d, d, (size_t)N * c->E, p, m->dropout_seed, SITE_EMB);
    layernorm_backward(a->dt, m->g->emb_ln_w, m->g->emb_ln_b, d, a->emb, a->emb_mean, a->emb_rstd, m->w->emb_ln_w, N, c->E);
    embedding_backward(m->g->wte, m->g->wpe, m->g->wtt, a->dt, a->ids, a->pos_ids, a->type_ids, N, c->E, c->pad_id,
                       c->family == MODEL_ROBERTA ? c->pad_id : -1);
}

void model_add_into(float *dst, const float *src, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

int model_backward(model *m, const model_grad_in *g) {
    if (!m->train || !m->acts || !m->B) return error_set(NEEDLE_EINVAL, "model_backward: no training forward to differentiate");
    const model_config *c = &m->cfg;
    float ph = m->dropout_seed ? c->hidden_dropout : 0.0f, pa = m->dropout_seed ? c->attn_dropout : 0.0f;
    size_t NC = (size_t)m->B * m->T * c->C;
    heads_backward(m, g);
    for (int l = c->L - 1; l >= 0; l--) {
        layer_backward(m, l, ph, pa, g->d_attention ? g->d_attention[l] : NULL);
        if (g->d_hidden && g->d_hidden[l]) model_add_into(m->acts->dh, g->d_hidden[l], NC);
    }
    embeddings_backward(m, ph);
    return 0;
}

const float *model_hidden(const model *m, int layer) {
    if (!m->acts || !m->B || layer < 0 || layer > m->cfg.L || (!m->acts->keep && layer != m->cfg.L)) return NULL;
    return m->acts->hidden[layer];
}

const float *model_attention(const model *m, int layer) {
    if (!m->acts || !m->B || layer < 0 || layer >= m->cfg.L) return NULL;
    return m->acts->layers[layer].att;
}

const float *model_pooled(const model *m) {
    return m->acts && m->B && model_pool_dim(&m->cfg) ? m->acts->pooled : NULL;
}

int model_pooled_dim(const model *m) { return model_pool_dim(&m->cfg); }

float *model_logits(const model *m) { return m->acts && m->B ? m->acts->logits : NULL; }

/* model_internal.h — what the model's files share and callers do not see: the per-layer
 * view of the parameter (and gradient) block, the activation buffers, and the architecture
 * facts (names, activations, dropout placement) that differ between families. */
#ifndef NEEDLE_MODEL_INTERNAL_H
#define NEEDLE_MODEL_INTERNAL_H

#include "needle/model.h"

/* One encoder layer. qkv_w is [3C, C]: HF's query, key and value weights stacked, so that
 * one GEMM computes all three; the parameter table points at the three slices. */
typedef struct {
    float *qkv_w, *qkv_b, *ao_w, *ao_b, *ln1_w, *ln1_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b, *ln2_w, *ln2_b;
} layer_weights;

struct model_weights {
    float *wte, *wpe, *wtt, *emb_ln_w, *emb_ln_b; /* [V,E], [P,E], [TV,E], [E], [E] */
    float *proj_w, *proj_b;                       /* ELECTRA embeddings_project [C,E], [C] */
    layer_weights *layers;                        /* L */
    float *pool_w, *pool_b;                       /* [D,C], [D]: pooler / classifier dense / DPR encode_proj */
    float *out_w, *out_b;                         /* SPAN [2,C]; CLS [NL,D] */
    float *mlm_w, *mlm_b, *mlm_ln_w, *mlm_ln_b, *mlm_bias; /* [E,C], [E], [E], [E], [V] */
};

/* Activations of one layer saved for backward (MODEL_INFER, MODEL_KEEP: one shared set, except
 * att, which MODEL_KEEP keeps per layer). */
typedef struct {
    float *qkv;                 /* [N, 3C] */
    float *att;                 /* [B, NH, T, T] softmax probabilities */
    float *ctx;                 /* [N, C] attention output, heads concatenated */
    float *res1, *ln1_mean, *ln1_rstd, *ln1; /* LN1 input [N,C], stats [N], output [N,C] */
    float *fc1, *fc_act;        /* [N, F] pre-activation and activation (MODEL_TRAIN: fc_act is
                                 * NULL, the activation goes through the dbig scratch and is
                                 * recomputed in backward rather than kept for every layer) */
    float *res2, *ln2_mean, *ln2_rstd;       /* LN2 input and stats; output is hidden[l+1] */
} layer_acts;

struct model_acts {
    float *block;
    size_t n_floats;
    int threads;                /* OpenMP threads the attention scratch was sized for */
    int keep;                   /* every layer's hidden state and attention kept (TRAIN, KEEP) */
    int32_t *ids, *pos_ids, *type_ids, *mask; /* [N] copies of the batch (backward needs them) */
    float **hidden;             /* L+1 pointers to [N, C] (MODEL_INFER: two alternating buffers) */
    float *emb, *emb_mean, *emb_rstd, *emb_ln; /* embedding sum [N,E], LN stats, ELECTRA LN output [N,E] */
    layer_acts *layers;
    float *att_scratch;
    /* heads */
    float *head_in;             /* [N, C] DistilBERT QA input after dropout */
    float *cls_in, *pool_pre, *pooled, *pooled_drop; /* [B,C], [B,D], [B,D], [B,D] */
    float *mlm_t, *mlm_a, *mlm_u, *mlm_mean, *mlm_rstd; /* [N,E] x3, [N] x2 */
    float *mlm_in;              /* [N, C] the selected rows of the last hidden state */
    int32_t *head_rows;         /* [N] positions the MLM head runs on (when head_selected) */
    int head_selected, n_head_rows;
    float *logits;              /* SPAN [2,N]; MLM [N,V]; CLS [B,NL] */
    /* backward scratch (MODEL_TRAIN) */
    float *dh, *dr, *dt, *dc;   /* [N, max(C,E)] each */
    float *dbig;                /* [N, max(F, 3C, 2)] */
    float *dpool;               /* [B, max(C,D,NL)] x2 */
};

/* Architecture facts. */
const char *model_base_prefix(const model_config *c);   /* "bert.", "" for a bare encoder, DPR's */
model_act model_pool_act(const model_config *c);        /* tanh (pooler), gelu, relu, none */
int model_pool_dim(const model_config *c);              /* D, or 0 when there is no pooling dense */
int model_has_pool_dense(const model_config *c);
int model_pool_dropout_before(const model_config *c);   /* RoBERTa/ELECTRA classifier heads */
model_act model_mlm_act(const model_config *c);
/* Whether the pooled output is the (projected) first-token state rather than a pooler. */
int model_pooled_is_cls(const model_config *c);

/* Lay the parameters out over `base` (NULL: only count), setting w's pointers (w may be
 * NULL). With `table`, fill each entry's data (which == 0: also name, shape, kind) or grad
 * (which == 1) pointer. Returns the number of floats; *n_entries gets the table size. */
size_t model_layout(const model_config *c, float *base, model_weights *w, model_param *table, int which, int *n_entries);

/* Dropout sites: one id per place a mask is drawn. */
enum { SITE_EMB = 0, SITE_HEAD_IN = 1, SITE_POOL_IN = 2, SITE_POOL_OUT = 3, SITE_LAYER0 = 16 };
static inline unsigned site_layer(int l, int k) { return SITE_LAYER0 + 4u * (unsigned)l + (unsigned)k; }

/* Lifetime helpers (model.c, encoder.c). */
float *model_block_alloc(size_t n_floats); /* 64-byte aligned, zeroed */
int model_setup(model *m, const model_config *cfg);
void model_init_param(const model *m, model_param *p, uint64_t seed);
int model_alloc_grads(model *m);
void model_free_acts(model *m);
size_t model_acts_bytes(const model *m);

/* dst[i] += src[i] (encoder.c). */
void model_add_into(float *dst, const float *src, size_t n);

/* Heads (heads.c); dropout is on when m->dropout_seed is not 0. */
int heads_forward(model *m);
void heads_backward(model *m, const model_grad_in *g);

#endif

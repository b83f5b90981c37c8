/* model_params.c — which tensors each architecture has, under which HF names and shapes,
 * and where each lives in the model's single parameter block.
 *
 * One walker, model_layout, visits the tensors in HF's named_parameters order and carves
 * them out of a block; it serves counting (base NULL), binding the parameter block, and
 * binding the gradient block at the same offsets. Query, key and value of a layer are
 * carved as one [3C, C] slab so the encoder computes them with one GEMM; the table still
 * lists them under HF's three names. The facts that differ between families (prefixes,
 * pooler and classifier layouts, head activations) are answered here and nowhere else. */
#include "model_internal.h"

#include <stdio.h>
#include <string.h>

const char *model_base_prefix(const model_config *c) {
    if (c->family == MODEL_DPR) return c->dpr_context ? "ctx_encoder.bert_model." : "question_encoder.bert_model.";
    if (c->head == MODEL_HEAD_ENCODER) return "";
    switch (c->family) {
    case MODEL_BERT: return "bert.";
    case MODEL_ROBERTA: return "roberta.";
    case MODEL_DISTILBERT: return "distilbert.";
    case MODEL_ELECTRA: return "electra.";
    default: return "";
    }
}

int model_has_pool_dense(const model_config *c) {
    if (c->family == MODEL_DPR) return c->projection_dim > 0;
    return c->has_pooler || c->head == MODEL_HEAD_CLS;
}

int model_pool_dim(const model_config *c) {
    if (c->family == MODEL_DPR) return c->projection_dim > 0 ? c->projection_dim : c->C;
    return model_has_pool_dense(c) ? c->C : 0;
}

int model_pooled_is_cls(const model_config *c) { return c->family == MODEL_DPR; }

model_act model_pool_act(const model_config *c) {
    if (c->family == MODEL_DPR) return ACT_NONE;
    if (c->has_pooler) return ACT_TANH; /* BERT/RoBERTa pooler (BERT's classifier sits on it) */
    if (c->family == MODEL_ELECTRA) return ACT_GELU;   /* ElectraClassificationHead */
    if (c->family == MODEL_DISTILBERT) return ACT_RELU; /* pre_classifier + ReLU */
    return ACT_TANH;                                    /* RobertaClassificationHead */
}

int model_pool_dropout_before(const model_config *c) {
    return c->head == MODEL_HEAD_CLS && (c->family == MODEL_ROBERTA || c->family == MODEL_ELECTRA);
}

model_act model_mlm_act(const model_config *c) {
    return c->family == MODEL_BERT || c->family == MODEL_DISTILBERT ? c->act : ACT_GELU;
}

typedef struct {
    const model_config *c;
    float *base;
    size_t off;
    model_param *tab;
    int n, which;
} walker;

static float *take(walker *k, size_t n) {
    float *p = k->base ? k->base + k->off : NULL;
    k->off += n;
    return p;
}

static void entry(walker *k, int in_base, const char *name, model_param_kind kind, int64_t d0, int64_t d1, float *p) {
    if (k->tab) {
        model_param *e = &k->tab[k->n];
        if (k->which == 0) {
            const char *pre = in_base ? model_base_prefix(k->c) : "";
            memset(e, 0, sizeof *e);
            snprintf(e->name, sizeof e->name, "%s%s", pre, name);
            e->ndim = d1 ? 2 : 1;
            e->shape[0] = d0;
            e->shape[1] = d1;
            e->numel = (size_t)d0 * (size_t)(d1 ? d1 : 1);
            e->data = p;
            e->kind = kind;
            e->no_decay = kind == MODEL_PARAM_BIAS || kind == MODEL_PARAM_NORM_WEIGHT || kind == MODEL_PARAM_NORM_BIAS;
            e->in_base = in_base;
            e->base_len = in_base ? (int)strlen(pre) : 0;
        } else {
            e->grad = p;
        }
    }
    k->n++;
}

/* A dense layer [o, i] + bias [o] named `name`.weight / `name`.bias. */
static void dense(walker *k, int in_base, const char *name, int o, int i, float **w, float **b) {
    char nm[112];
    *w = take(k, (size_t)o * i);
    *b = take(k, (size_t)o);
    snprintf(nm, sizeof nm, "%s.weight", name);
    entry(k, in_base, nm, MODEL_PARAM_WEIGHT, o, i, *w);
    snprintf(nm, sizeof nm, "%s.bias", name);
    entry(k, in_base, nm, MODEL_PARAM_BIAS, o, 0, *b);
}

static void norm(walker *k, int in_base, const char *name, int n, float **w, float **b) {
    char nm[112];
    *w = take(k, (size_t)n);
    *b = take(k, (size_t)n);
    snprintf(nm, sizeof nm, "%s.weight", name);
    entry(k, in_base, nm, MODEL_PARAM_NORM_WEIGHT, n, 0, *w);
    snprintf(nm, sizeof nm, "%s.bias", name);
    entry(k, in_base, nm, MODEL_PARAM_NORM_BIAS, n, 0, *b);
}

static void layer(walker *k, int l, layer_weights *lw) {
    const model_config *c = k->c;
    int C = c->C, F = c->F, distil = c->family == MODEL_DISTILBERT;
    static const char *const bert[] = {"encoder.layer.%d.", "attention.self.query", "attention.self.key",
                                       "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
                                       "intermediate.dense", "output.dense", "output.LayerNorm"};
    static const char *const dist[] = {"transformer.layer.%d.", "attention.q_lin", "attention.k_lin", "attention.v_lin",
                                       "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"};
    const char *const *nm = distil ? dist : bert;
    char pre[48], full[112];
    snprintf(pre, sizeof pre, nm[0], l);
    lw->qkv_w = take(k, (size_t)3 * C * C);
    lw->qkv_b = take(k, (size_t)3 * C);
    for (int j = 0; j < 3; j++) {
        snprintf(full, sizeof full, "%s%s.weight", pre, nm[1 + j]);
        entry(k, 1, full, MODEL_PARAM_WEIGHT, C, C, lw->qkv_w ? lw->qkv_w + (size_t)j * C * C : NULL);
        snprintf(full, sizeof full, "%s%s.bias", pre, nm[1 + j]);
        entry(k, 1, full, MODEL_PARAM_BIAS, C, 0, lw->qkv_b ? lw->qkv_b + (size_t)j * C : NULL);
    }
    snprintf(full, sizeof full, "%s%s", pre, nm[4]);
    dense(k, 1, full, C, C, &lw->ao_w, &lw->ao_b);
    snprintf(full, sizeof full, "%s%s", pre, nm[5]);
    norm(k, 1, full, C, &lw->ln1_w, &lw->ln1_b);
    snprintf(full, sizeof full, "%s%s", pre, nm[6]);
    dense(k, 1, full, F, C, &lw->fc1_w, &lw->fc1_b);
    snprintf(full, sizeof full, "%s%s", pre, nm[7]);
    dense(k, 1, full, C, F, &lw->fc2_w, &lw->fc2_b);
    snprintf(full, sizeof full, "%s%s", pre, nm[8]);
    norm(k, 1, full, C, &lw->ln2_w, &lw->ln2_b);
}

static void heads(walker *k, model_weights *w) {
    const model_config *c = k->c;
    model_family f = c->family;
    if (c->has_pooler) dense(k, 1, "pooler.dense", c->C, c->C, &w->pool_w, &w->pool_b);
    if (f == MODEL_DPR && c->projection_dim > 0)
        dense(k, 0, c->dpr_context ? "ctx_encoder.encode_proj" : "question_encoder.encode_proj", c->projection_dim, c->C,
              &w->pool_w, &w->pool_b);
    switch (c->head) {
    case MODEL_HEAD_SPAN: dense(k, 0, "qa_outputs", 2, c->C, &w->out_w, &w->out_b); break;
    case MODEL_HEAD_MLM: {
        static const char *const nm[][3] = {
            [MODEL_BERT] = {"cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias"},
            [MODEL_ROBERTA] = {"lm_head.dense", "lm_head.layer_norm", "lm_head.bias"},
            [MODEL_DISTILBERT] = {"vocab_transform", "vocab_layer_norm", "vocab_projector.bias"},
            [MODEL_ELECTRA] = {"generator_predictions.dense", "generator_predictions.LayerNorm", "generator_lm_head.bias"},
        };
        dense(k, 0, nm[f][0], c->E, c->C, &w->mlm_w, &w->mlm_b);
        norm(k, 0, nm[f][1], c->E, &w->mlm_ln_w, &w->mlm_ln_b);
        w->mlm_bias = take(k, (size_t)c->V);
        entry(k, 0, nm[f][2], MODEL_PARAM_BIAS, c->V, 0, w->mlm_bias);
        break;
    }
    case MODEL_HEAD_CLS:
        if (f == MODEL_BERT) {
            dense(k, 0, "classifier", c->num_labels, c->C, &w->out_w, &w->out_b);
        } else if (f == MODEL_DISTILBERT) {
            dense(k, 0, "pre_classifier", c->C, c->C, &w->pool_w, &w->pool_b);
            dense(k, 0, "classifier", c->num_labels, c->C, &w->out_w, &w->out_b);
        } else {
            dense(k, 0, "classifier.dense", c->C, c->C, &w->pool_w, &w->pool_b);
            dense(k, 0, "classifier.out_proj", c->num_labels, c->C, &w->out_w, &w->out_b);
        }
        break;
    default: break;
    }
}

size_t model_layout(const model_config *c, float *base, model_weights *w, model_param *table, int which, int *n_entries) {
    walker k = {c, base, 0, table, 0, which};
    model_weights tmp;
    layer_weights lw_tmp;
    if (!w) {
        memset(&tmp, 0, sizeof tmp);
        w = &tmp;
    }
    int E = c->E;
    w->wte = take(&k, (size_t)c->V * E);
    entry(&k, 1, "embeddings.word_embeddings.weight", MODEL_PARAM_EMBEDDING, c->V, E, w->wte);
    w->wpe = take(&k, (size_t)c->P * E);
    entry(&k, 1, "embeddings.position_embeddings.weight",
          c->family == MODEL_ROBERTA ? MODEL_PARAM_EMBEDDING : MODEL_PARAM_WEIGHT, c->P, E, w->wpe);
    if (c->TV > 0 && c->family != MODEL_DISTILBERT) {
        w->wtt = take(&k, (size_t)c->TV * E);
        entry(&k, 1, "embeddings.token_type_embeddings.weight", MODEL_PARAM_WEIGHT, c->TV, E, w->wtt);
    }
    norm(&k, 1, "embeddings.LayerNorm", E, &w->emb_ln_w, &w->emb_ln_b);
    if (c->family == MODEL_ELECTRA && E != c->C) dense(&k, 1, "embeddings_project", c->C, E, &w->proj_w, &w->proj_b);
    for (int l = 0; l < c->L; l++) layer(&k, l, w->layers ? &w->layers[l] : &lw_tmp);
    heads(&k, w);
    if (n_entries) *n_entries = k.n;
    return k.off;
}

/* model.h — the BERT-family encoder (BERT, MiniLM-style BERT, RoBERTa/XLM-R, DistilBERT,
 * ELECTRA, DPR question/context encoders) with its heads, forward and backward, fp32 on CPU.
 *
 * Shapes: B batch, T sequence length (<= the allocated maximum), N = B*T tokens, V vocab,
 * E embedding size (ELECTRA may have E < C), C hidden size, NH heads, F feed-forward size,
 * L layers, D pooled size (C, or DPR's projection_dim), NL classification labels.
 *
 * Lifetime of a model, each step one allocation (no malloc in the training loop):
 *   model_load(dir) or model_create(config, seed)   parameters (one block, HF names)
 *   model_alloc(max_B, max_T, MODEL_TRAIN)          saved activations + gradient block
 *     or model_alloc(..., MODEL_INFER)              memory-light buffers, forward only
 *     or model_alloc(..., MODEL_KEEP)               forward only, every layer's hidden states
 *                                                   and attention kept (a distillation teacher)
 *   model_forward(batch, rng or NULL)               rng given = training mode (dropout)
 *   model_backward(gradients of outputs)            accumulates into the gradient block
 *   model_save(dir)                                 a directory HF from_pretrained loads
 * Several models can live at once (query + passage encoders, teacher + student): all
 * state is in the struct, nothing global.
 *
 * Dropout draws ONE 64-bit value from the caller's rng per training forward and derives
 * every mask from it with a counter-based hash of (value, site, element): masks do not
 * depend on the thread count, backward regenerates them instead of storing them, and
 * saving/restoring the caller's rng is all a bitwise resume needs.
 *
 * Outputs and gradients are the same bits for any thread count (each element has one
 * owner thread and a fixed order of additions; see kernels.h), so a resumed or re-run
 * training step reproduces exactly. */
#ifndef NEEDLE_MODEL_H
#define NEEDLE_MODEL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "needle/rng.h"

typedef enum { MODEL_BERT, MODEL_ROBERTA, MODEL_DISTILBERT, MODEL_ELECTRA, MODEL_DPR } model_family;

typedef enum {
    MODEL_HEAD_AUTO = -1, /* model_load only: the head named by config.json's "architectures" */
    MODEL_HEAD_ENCODER,   /* plain encoder: hidden states (+ pooler where the model has one) */
    MODEL_HEAD_SPAN,      /* extractive QA: qa_outputs -> start_logits, end_logits */
    MODEL_HEAD_MLM,       /* masked LM: transform + decoder tied to the word embeddings */
    MODEL_HEAD_CLS,       /* sequence classification (cross-encoder) on the first token */
} model_head;

typedef enum { ACT_GELU, ACT_GELU_TANH, ACT_RELU, ACT_TANH, ACT_NONE } model_act;

typedef struct {
    model_family family;
    char model_type[32];  /* as in config.json: bert, roberta, xlm-roberta, camembert, ... */
    model_head head;
    int dpr_context;      /* DPR: 0 question encoder, 1 context encoder */
    int V, E, C, L, NH, F, P, TV; /* vocab, embedding, hidden, layers, heads, ffn, max positions, type vocab */
    int pad_id;           /* padding_idx of the word (and RoBERTa position) embeddings */
    int pos_offset;       /* RoBERTa: positions start at pad_id + 1; otherwise 0 */
    float ln_eps;
    model_act act;        /* hidden_act / activation: gelu (erf), gelu_new (tanh), relu */
    float hidden_dropout, attn_dropout, head_dropout;
    float init_range;     /* initializer_range */
    int num_labels;       /* CLS head */
    int projection_dim;   /* DPR encode_proj size (0 = none) */
    int has_pooler;       /* BERT/RoBERTa pooler (dense + tanh on the first token) is present */
    cJSON *json;          /* config.json as read (unknown fields are written back on save), or NULL */
} model_config;

/* Read config.json (every field these architectures use; HF's defaults where absent). The
 * head comes from "architectures". Errors name the file and the field. */
int model_config_load(model_config *c, const char *path);
/* HF's defaults for a family (bert-base sizes), head ENCODER; for model_create. When
 * changing the hidden size C, set E too (E == C except for ELECTRA). */
void model_config_default(model_config *c, model_family f);
/* Consistency of the sizes (C a multiple of NH, E == C unless ELECTRA, pad id inside the
 * vocabulary, ...); `origin` names the config in the message. */
int model_config_check(const model_config *c, const char *origin);
void model_config_free(model_config *c);
/* Write config.json (atomically): the JSON read by model_config_load with needle's values
 * of every field it uses, "architectures" and "model_type" set for from_pretrained. */
int model_config_write(const model_config *c, const char *path);
/* HF's class name for the config: "BertForQuestionAnswering", "DPRContextEncoder", ... */
const char *model_config_architecture(const model_config *c);

/* How a parameter is initialised (HF's _init_weights) and whether it is decayed. */
typedef enum {
    MODEL_PARAM_WEIGHT,    /* normal(0, initializer_range) */
    MODEL_PARAM_EMBEDDING, /* normal(0, initializer_range), row pad_id zero (padding_idx) */
    MODEL_PARAM_BIAS,      /* zeros */
    MODEL_PARAM_NORM_WEIGHT, /* ones */
    MODEL_PARAM_NORM_BIAS, /* zeros */
} model_param_kind;

/* One parameter tensor under its Hugging Face name. data/grad point into the model's blocks
 * (grad is NULL until model_alloc(..., MODEL_TRAIN)). */
typedef struct {
    char name[160];
    int ndim;
    int64_t shape[2];
    size_t numel;
    float *data, *grad;
    model_param_kind kind;
    int no_decay;         /* a bias or LayerNorm weight/bias: excluded from weight decay on request */
    int in_base;          /* part of the base encoder: name = base prefix ("bert.", base_len
                           * characters, "" for a bare encoder) + the base model's own name */
    int base_len;
} model_param;

enum { MODEL_INFER = 0, MODEL_TRAIN = 1, MODEL_KEEP = 2 };

typedef struct model_acts model_acts; /* activation buffers (private, see encoder.c) */
typedef struct model_weights model_weights;

typedef struct {
    model_config cfg;
    model_param *params;  /* HF order; n_params entries */
    int n_params;
    float *param_block, *grad_block;   /* n_floats each */
    size_t n_floats;
    model_weights *w, *g; /* the same blocks seen per layer (private) */
    model_acts *acts;
    int max_B, max_T, train;
    int B, T;             /* shape of the last forward */
    uint64_t dropout_seed;/* drawn by the last training forward; 0 = evaluation */
} model;

/* Load config.json + model.safetensors (or shards) from an HF directory. `head` is
 * MODEL_HEAD_AUTO or the head to use instead (e.g. a fresh span head on a pre-trained
 * BertForMaskedLM checkpoint); head tensors the checkpoint lacks are then initialised as
 * HF would (normal(0, initializer_range) weights, zero biases) from `seed`. num_labels > 0
 * sets the size of a new CLS head. */
int model_load(model *m, const char *dir, model_head head, int num_labels, uint64_t seed);
/* A new model with HF's BERT initialisation from `seed`: normal(0, initializer_range)
 * weights, zero biases, unit LayerNorm weights, zero padding_idx rows. Takes ownership of
 * cfg->json. */
int model_create(model *m, const model_config *cfg, uint64_t seed);
/* A parameter set without an encoder: n weight matrices [out_dims[i], in_dims[i]] named
 * "<prefix>.<i>.weight", initialised as torch.nn.Linear's (U(±1/sqrt(in)), from `seed`), with
 * their gradient block allocated. For trainable tensors a task owns beside its encoders
 * (distillation's projections): the trainer steps and checkpoints them like any model.
 * model_forward, model_backward and model_save do not apply; model_free releases it. */
int model_create_linears(model *m, int n, const int *out_dims, const int *in_dims, const char *prefix, uint64_t seed);
/* Set L, C (= E), NH = C/64 and F = 4C from a named size of Google's BERT miniatures: tiny
 * (L 2, H 128), mini (4, 256), small (4, 512), medium (8, 512), base (12, 768). */
int model_size_apply(const char *name, model_config *c);
/* A new model directory at out_dir (which must not hold a model yet) for the tokenizer in
 * tokenizer_dir: cfg's vocabulary size and pad_token_id are set from the tokenizer, the
 * model is created with HF's initialisation from `seed` (model_create) and saved
 * (model_save), and the tokenizer's files are copied beside it. Takes ownership of cfg->json. */
int model_init_dir(model_config *cfg, const char *tokenizer_dir, const char *out_dir, uint64_t seed);
/* Write config.json and model.safetensors (F32, HF names, tied decoder not written). */
int model_save(const model *m, const char *dir);
void model_free(model *m);

/* Allocate activations for batches up to max_B x max_T (re-allocating if called again).
 * MODEL_TRAIN also allocates (and zeroes) the gradient block. MODEL_KEEP keeps what
 * model_hidden and model_attention return for every layer, without the gradient block and
 * backward buffers (a teacher whose intermediate layers a student learns from). Sizes are
 * logged at debug. */
int model_alloc(model *m, int max_B, int max_T, int mode);
/* An inference replica of `src`: the same parameters, shared and read-only (src must outlive
 * the replica, and its parameters must not change meanwhile), with activation buffers of its
 * own for batches up to max_B x max_T, sized for the calling thread's OpenMP thread count. So
 * several threads can run forward passes of one model at once, each on its own replica, for
 * the memory of the activations alone. Free it with model_replica_free, never model_free
 * (which would free the shared parameters). */
int model_replica(model *dst, const model *src, int max_B, int max_T);
void model_replica_free(model *dst);
/* Bytes held by the parameter, gradient and activation blocks. */
size_t model_bytes(const model *m);

/* A batch. Ids are checked against the vocabulary and the position table. */
typedef struct {
    int B, T;
    const int32_t *input_ids;       /* [B, T] */
    const int32_t *token_type_ids;  /* [B, T], or NULL for all zeros */
    const int32_t *attention_mask;  /* [B, T] 1 = token, 0 = padding; or NULL for all ones */
    /* MLM head only: when head_rows is given, the head runs on these n_head_rows positions
     * (b*T + t, strictly ascending) alone and the logits are [n_head_rows, V] in that order —
     * masked-LM training needs them only where a token was masked (~15%). NULL: every position. */
    const int32_t *head_rows;
    int n_head_rows;
} model_batch;

/* Forward. With `dropout_rng` (training mode) one value is drawn for the dropout masks;
 * NULL = evaluation (no dropout). With MODEL_INFER buffers only the last hidden state,
 * pooled output and logits are kept. */
int model_forward(model *m, const model_batch *b, rng *dropout_rng);

/* Outputs of the last forward (NULL where the model has none). */
const float *model_hidden(const model *m, int layer); /* [B, T, C]; 0 = embeddings output .. L = last
                                                       * (MODEL_INFER: only L) */
/* Layer l's attention probabilities [B, NH, T, T] (l = 0 .. L-1; softmax over the keys, padding
 * keys 0, before attention dropout); NULL with MODEL_INFER buffers. */
const float *model_attention(const model *m, int layer);
const float *model_pooled(const model *m);  /* [B, D]: pooler (dense+tanh) output, DPR's first-token
                                              * hidden state (or encode_proj of it); NULL otherwise */
float *model_logits(const model *m);        /* SPAN [2, B, T] (start rows then end rows);
                                              * MLM [B, T, V] (or [n_head_rows, V]); CLS [B, NL];
                                              * ENCODER NULL */
int model_pooled_dim(const model *m);       /* D, or 0 */

/* Gradients of the outputs of the last forward. Any may be NULL. d_logits may point at
 * model_logits(m) itself (the MLM loss writes its gradient in place). d_hidden, when given,
 * holds L+1 pointers (NULL entries allowed): extra gradients on each hidden state
 * (d_hidden[L] is the gradient of the last hidden state; lower layers for distillation).
 * d_attention, when given, holds L pointers (NULL entries allowed): gradients on each layer's
 * attention probabilities [B, NH, T, T] as model_attention returns them. */
typedef struct {
    const float *d_logits;
    const float *d_pooled;
    const float *const *d_hidden;
    const float *const *d_attention;
} model_grad_in;

/* Backward through the last forward (needs MODEL_TRAIN buffers); gradients ADD into the
 * gradient block, so several batches accumulate until model_zero_grad. */
int model_backward(model *m, const model_grad_in *g);
void model_zero_grad(model *m);
/* sqrt(sum of squared gradients) over all parameters, summed in double in a fixed order. */
double model_grad_norm(const model *m);
/* The parameter called `name` (HF name), or NULL. */
model_param *model_find_param(const model *m, const char *name);

/* One evaluation-mode pass of the model in `dir` over the batch in `inputs` (safetensors:
 * input_ids [B,T], optional attention_mask, token_type_ids; int64 or int32; optional labels:
 * start_positions/end_positions [B], or labels [B,T] (MLM) or [B] (classification; float
 * for num_labels 1)). Writes F32 tensors to `out`: hidden_states.<i>, last_hidden_state,
 * pooler_output, start_logits/end_logits or logits, loss (with labels), and with `grad`
 * grad.<parameter name> for every parameter (needs labels). */
int model_run_file(const char *dir, const char *inputs, const char *out, int grad);

#endif

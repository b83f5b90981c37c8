/* rerank_task.h — training a cross-encoder reranker as a trainer task.
 *
 * An example is one judged (query, passage) pair (pointwise) or one group of a positive and N
 * negatives (listwise); see rerank_data.h. A micro-batch of B examples becomes B·group pairs,
 * tokenized together (pair_batch.h, padded to the longest pair) and scored by the model in
 * training mode (cross_encoder.h), and the loss is
 *  - pointwise: binary cross-entropy with logits of the scores against the labels, the mean
 *    over the pairs (sentence-transformers CrossEncoder.fit with num_labels 1:
 *    BCEWithLogitsLoss);
 *  - listwise: softmax cross-entropy over each group's scores with the positive as the target,
 *    the mean over the groups;
 * its gradient goes back through the scores, scaled by the trainer's 1/micro-batches. Dev
 * evaluation is a hook the caller provides (the CLI reranks a first-stage run and reports the
 * trec_eval measures). */
#ifndef NEEDLE_RERANK_TASK_H
#define NEEDLE_RERANK_TASK_H

#include "needle/model.h"
#include "needle/pair_batch.h"
#include "needle/rerank_data.h"
#include "needle/tokenizer.h"
#include "needle/trainer.h"

typedef struct {
    model *m;
    const tokenizer *tk;
    const rerank_set *set;
    const rerank_examples *ex;
    const char *tokenizer_dir;       /* its tokenizer files are copied into saved models (NULL: none) */
    int max_batch;                   /* examples per micro-batch */
    pair_batch pb;
    const char **q, **p;             /* one micro-batch's texts */
    float *scores, *targets, *d;     /* per pair */
    int32_t *zeros;                  /* listwise targets: the positive is first */
    int (*evaluate)(void *eval_ctx, model *m, cJSON **metrics); /* dev evaluation, or NULL */
    void *eval_ctx;
} rerank_task;

/* Bind a cross-encoder (cross_encoder_check) to the examples; allocates the model's training
 * buffers for max_batch examples of pairs of at most max_len tokens. */
int rerank_task_init(rerank_task *rt, model *m, const tokenizer *tk, const rerank_set *set, const rerank_examples *ex,
                     int max_batch, int max_len, const char *tokenizer_dir);
void rerank_task_free(rerank_task *rt);
/* The trainer's view (task "reranker-pointwise" or "reranker-listwise"; ctx points at rt). */
trainer_task rerank_task_bind(rerank_task *rt);

/* The loss of pair scores [n·group] for examples of `kind` (group passages each; labels
 * [n·group]) and its gradient into d (may alias scores). */
double rerank_loss(float *d, const float *scores, const float *labels, const int32_t *zeros, int n, int group,
                   rerank_kind kind);

#endif

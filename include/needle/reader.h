/* reader.h — the extractive reader (a span model) as a training task, over fixed-length
 * windows of (question, context) tokens such as Hugging Face's run_qa featurisation makes.
 *
 * A micro-batch is a set of window indices: their rows are gathered into one [B, L] batch,
 * the model runs forward in training mode, HF's span loss (the mean of the start and end
 * cross-entropies over the batch, each over all L positions, padding included, as
 * BertForQuestionAnswering computes it) gives d loss / d logits, scaled by the trainer's
 * 1/micro-batches, and backward accumulates into the gradient block. A window whose answer is
 * not wholly inside it is labelled 0 / 0 ([CLS], "no answer") by the featuriser. */
#ifndef NEEDLE_READER_H
#define NEEDLE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"
#include "needle/trainer.h"

/* Windows to train on: a view, the arrays belong to the caller. */
typedef struct {
    int n, len;                      /* windows, tokens per window (L) */
    const int32_t *input_ids;        /* n × L */
    const int32_t *token_type_ids;   /* n × L, or NULL (all 0: RoBERTa, DistilBERT) */
    const uint8_t *attention_mask;   /* n × L, 1 token, 0 padding */
    const int32_t *start_position;   /* n: answer's first token, or 0 */
    const int32_t *end_position;     /* n: answer's last token, or 0 */
} reader_windows;

typedef struct reader_eval reader_eval; /* dev-set evaluation (reader_predict.h) */

typedef struct {
    model *m;
    reader_windows train;
    const char *tokenizer_dir;       /* its tokenizer files are copied into saved models (NULL: none) */
    reader_eval *eval;               /* NULL: no evaluation */
    int max_batch;
    int32_t *ids, *types, *mask, *starts, *ends; /* one micro-batch, gathered */
} reader_task;

/* Gather windows examples[0..n) of w into one batch in the caller's [n, L] buffers (mask widened
 * to int32, as the model takes it; types untouched when w has none), and their labels into
 * starts/ends when those are not NULL. The examples must have passed reader_batch_check. */
model_batch reader_batch_gather(const reader_windows *w, const int32_t *examples, int n, int32_t *ids, int32_t *types,
                                int32_t *mask, int32_t *starts, int32_t *ends);
/* A micro-batch's indices are windows of w and fit in max_batch. */
int reader_batch_check(const reader_windows *w, const int32_t *examples, int n, int max_batch);

/* Bind a span model (head MODEL_HEAD_SPAN) and its training windows; allocates the model's
 * training buffers for max_batch windows of L tokens. The model and windows stay the caller's. */
int reader_task_init(reader_task *rt, model *m, const reader_windows *train, int max_batch, const char *tokenizer_dir);
void reader_task_free(reader_task *rt);
/* The trainer's view of the task (its ctx points at rt). */
trainer_task reader_task_bind(reader_task *rt);

#endif

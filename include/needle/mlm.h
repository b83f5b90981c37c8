/* mlm.h — masked-language-model training (domain adaptation, pre-training from scratch) as a
 * trainer task, over packed blocks of tokens (mlm_data.h).
 *
 * A micro-batch is a set of block indices: their rows are gathered into one [B, L] batch and,
 * unless the blocks carry fixed masks, masked afresh from the trainer's training generator —
 * dynamic masking as Hugging Face's collator does it, every epoch seeing new masks. Because
 * the generator is saved in checkpoints, a resumed run draws exactly the masks an
 * uninterrupted one draws (bitwise resume). Then the model (head MODEL_HEAD_MLM) runs forward
 * in training mode with its masked-LM head on the chosen positions only (the other positions'
 * logits are never used, and the head's vocabulary product dominates a small model's step),
 * HF's masked-LM loss (cross-entropy over the chosen tokens, labels -100
 * ignored, the mean over the batch's chosen tokens: BertForMaskedLM's) gives d loss / d
 * logits in place, scaled by the trainer's 1/micro-batches, and backward accumulates.
 *
 * Evaluation runs the held-out blocks with their fixed masks (drawn once, so numbers are
 * comparable across evaluations and runs) and reports {"loss": mean cross-entropy over all
 * masked tokens of the set, "perplexity": exp(loss), "accuracy": the fraction of masked tokens
 * whose arg-max prediction is the original, "masked_tokens"}. The loss is token-weighted over
 * the whole set; HF's Trainer averages per-batch means instead, which differs only by how
 * batches split the masked tokens. The default metric is "loss" (minimised). */
#ifndef NEEDLE_MLM_H
#define NEEDLE_MLM_H

#include <stdint.h>

#include "needle/mlm_data.h"
#include "needle/model.h"
#include "needle/trainer.h"

typedef struct {
    model *m;
    const mlm_blocks *train;         /* the caller's */
    const mlm_blocks *dev;           /* held-out blocks with fixed masks (labels), or NULL */
    mlm_masker *masker;              /* draws training masks; NULL only when train has fixed masks */
    const char *tokenizer_dir;       /* its tokenizer files are copied into saved models (NULL: none) */
    int max_batch;
    int32_t *ids, *types, *mask, *labels; /* one micro-batch, gathered [B, L] */
    int32_t *rows, *row_labels;      /* its chosen positions and their labels, n_rows of each */
    int n_rows;
} mlm_task;

/* Bind a model with an MLM head and its training blocks (and optionally dev blocks and a
 * masker for dynamic masks); allocates the model's training buffers for max_batch blocks.
 * Checks that every id the data or the masker can produce is inside the model's vocabulary. */
int mlm_task_init(mlm_task *t, model *m, const mlm_blocks *train, const mlm_blocks *dev, mlm_masker *masker,
                  int max_batch, const char *tokenizer_dir);
void mlm_task_free(mlm_task *t);
/* The trainer's view of the task (its ctx points at t); `evaluate` is set when there are dev
 * blocks. */
trainer_task mlm_task_bind(mlm_task *t);

#endif

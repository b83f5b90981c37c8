/* task_reader.c — extractive-QA fine-tuning as a trainer task (see reader.h).
 *
 * Each micro-batch gathers its windows' rows into contiguous [B, L] arrays (the attention
 * mask widened to int32, as the model takes it), so batches can be any subset of the windows
 * in any order — which is what shuffling needs — with one copy of B·L ints and no allocation.
 * The span loss writes its gradient over the logits in place. */
#include "needle/reader.h"
#include "needle/error.h"
#include "needle/kernels.h"
#include "needle/reader_predict.h"

#include <stdlib.h>
#include <string.h>

int reader_task_init(reader_task *rt, model *m, const reader_windows *train, int max_batch, const char *tokenizer_dir) {
    memset(rt, 0, sizeof *rt);
    if (m->cfg.head != MODEL_HEAD_SPAN)
        return error_set(NEEDLE_EINVAL, "the reader needs a span (question-answering) head; this model has another");
    if (max_batch < 1 || train->len < 2 || train->n < 1)
        return error_set(NEEDLE_EINVAL, "reader: %d windows of %d tokens, batch %d", train->n, train->len, max_batch);
    rt->m = m;
    rt->train = *train;
    rt->tokenizer_dir = tokenizer_dir;
    rt->max_batch = max_batch;
    size_t bt = (size_t)max_batch * (size_t)train->len;
    rt->ids = malloc(bt * sizeof *rt->ids);
    rt->types = malloc(bt * sizeof *rt->types);
    rt->mask = malloc(bt * sizeof *rt->mask);
    rt->starts = malloc((size_t)max_batch * sizeof *rt->starts);
    rt->ends = malloc((size_t)max_batch * sizeof *rt->ends);
    if (!rt->ids || !rt->types || !rt->mask || !rt->starts || !rt->ends) {
        reader_task_free(rt);
        return error_set(NEEDLE_ENOMEM, "out of memory for reader batches");
    }
    int rc = model_alloc(m, max_batch, train->len, MODEL_TRAIN);
    if (rc) reader_task_free(rt);
    return rc;
}

void reader_task_free(reader_task *rt) {
    free(rt->ids);
    free(rt->types);
    free(rt->mask);
    free(rt->starts);
    free(rt->ends);
    rt->ids = rt->types = rt->mask = rt->starts = rt->ends = NULL;
}

model_batch reader_batch_gather(const reader_windows *w, const int32_t *examples, int n, int32_t *ids, int32_t *types,
                                int32_t *mask, int32_t *starts, int32_t *ends) {
    int L = w->len;
    for (int b = 0; b < n; b++) {
        int32_t e = examples[b];
        size_t src = (size_t)e * L, dst = (size_t)b * L;
        memcpy(ids + dst, w->input_ids + src, (size_t)L * sizeof *ids);
        if (w->token_type_ids) memcpy(types + dst, w->token_type_ids + src, (size_t)L * sizeof *types);
        for (int t = 0; t < L; t++) mask[dst + t] = w->attention_mask[src + t];
        if (starts) starts[b] = w->start_position[e];
        if (ends) ends[b] = w->end_position[e];
    }
    return (model_batch){.B = n, .T = L, .input_ids = ids,
            .token_type_ids = w->token_type_ids ? types : NULL, .attention_mask = mask};
}

int reader_batch_check(const reader_windows *w, const int32_t *examples, int n, int max_batch) {
    if (n > max_batch) return error_set(NEEDLE_EINVAL, "micro-batch of %d windows exceeds %d", n, max_batch);
    for (int b = 0; b < n; b++)
        if (examples[b] < 0 || examples[b] >= w->n)
            return error_set(NEEDLE_EINVAL, "window %d out of range (%d windows)", examples[b], w->n);
    return 0;
}

static int reader_micro_step(void *ctx, const int32_t *examples, int n, float grad_scale, rng *train_rng,
                             double *loss, size_t *tokens) {
    reader_task *rt = ctx;
    const reader_windows *w = &rt->train;
    int L = w->len;
    int rc = reader_batch_check(w, examples, n, rt->max_batch);
    if (rc) return rc;
    model_batch batch = reader_batch_gather(w, examples, n, rt->ids, rt->types, rt->mask, rt->starts, rt->ends);
    if ((rc = model_forward(rt->m, &batch, train_rng))) return rc;
    float *logits = model_logits(rt->m);
    *loss = span_loss(logits, logits, rt->starts, rt->ends, n, L);
    if (grad_scale != 1.0f)
        for (size_t i = 0; i < 2 * (size_t)n * L; i++) logits[i] *= grad_scale;
    *tokens = (size_t)n * L;
    return model_backward(rt->m, &(model_grad_in){.d_logits = logits});
}

static int reader_evaluate(void *ctx, cJSON **metrics) {
    reader_task *rt = ctx;
    return reader_eval_run(rt->eval, rt->m, metrics);
}

static int reader_save(void *ctx, const char *dir) {
    reader_task *rt = ctx;
    return hf_save_with_tokenizer(rt->m, rt->tokenizer_dir, dir);
}

trainer_task reader_task_bind(reader_task *rt) {
    trainer_task t;
    memset(&t, 0, sizeof t);
    t.name = "reader";
    t.ctx = rt;
    t.n_examples = (size_t)rt->train.n;
    t.models = &rt->m;
    t.n_models = 1;
    t.default_metric = "f1";
    t.micro_step = reader_micro_step;
    t.evaluate = rt->eval ? reader_evaluate : NULL;
    t.save = reader_save;
    return t;
}

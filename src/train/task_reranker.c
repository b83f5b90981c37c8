/* task_reranker.c — cross-encoder training as a trainer task (see rerank_task.h).
 *
 * Pairs are tokenized per micro-batch rather than once up front: the tokenizer runs on all
 * cores and costs little next to the model, and the data then only holds each text once
 * (MS MARCO-sized training sets would otherwise need gigabytes of token ids). */
#include "needle/rerank_task.h"
#include "needle/cross_encoder.h"
#include "needle/error.h"
#include "needle/kernels.h"

#include <stdlib.h>
#include <string.h>

double rerank_loss(float *d, const float *scores, const float *labels, const int32_t *zeros, int n, int group,
                   rerank_kind kind) {
    if (kind == RERANK_LISTWISE) return xent_loss(d, scores, zeros, n, group);
    return bce_loss(d, scores, labels, n * group);
}

void rerank_task_free(rerank_task *rt) {
    pair_batch_free(&rt->pb);
    free(rt->q);
    free(rt->p);
    free(rt->scores);
    free(rt->targets);
    free(rt->d);
    free(rt->zeros);
    rt->q = rt->p = NULL;
    rt->scores = rt->targets = rt->d = NULL;
    rt->zeros = NULL;
}

int rerank_task_init(rerank_task *rt, model *m, const tokenizer *tk, const rerank_set *set, const rerank_examples *ex,
                     int max_batch, int max_len, const char *tokenizer_dir) {
    memset(rt, 0, sizeof *rt);
    int rc = cross_encoder_check(m, "reranker");
    if (rc) return rc;
    if (max_batch < 1 || !ex->n) return error_set(NEEDLE_EINVAL, "reranker: %zu examples, batch %d", ex->n, max_batch);
    if (max_len > m->cfg.P - m->cfg.pos_offset)
        return error_set(NEEDLE_EINVAL, "reranker: pairs of %d tokens exceed the model's %d positions", max_len,
                         m->cfg.P - m->cfg.pos_offset);
    rt->m = m;
    rt->tk = tk;
    rt->set = set;
    rt->ex = ex;
    rt->tokenizer_dir = tokenizer_dir;
    rt->max_batch = max_batch;
    int pairs = max_batch * ex->group;
    rt->q = malloc((size_t)pairs * sizeof *rt->q);
    rt->p = malloc((size_t)pairs * sizeof *rt->p);
    rt->scores = malloc((size_t)pairs * sizeof *rt->scores);
    rt->targets = malloc((size_t)pairs * sizeof *rt->targets);
    rt->d = malloc((size_t)pairs * sizeof *rt->d);
    rt->zeros = calloc((size_t)max_batch, sizeof *rt->zeros);
    if (!rt->q || !rt->p || !rt->scores || !rt->targets || !rt->d || !rt->zeros) {
        rerank_task_free(rt);
        return error_set(NEEDLE_ENOMEM, "out of memory for reranker batches");
    }
    if (!(rc = pair_batch_init(&rt->pb, pairs, max_len, m))) rc = model_alloc(m, pairs, max_len, MODEL_TRAIN);
    if (rc) rerank_task_free(rt);
    return rc;
}

static int rerank_micro_step(void *ctx, const int32_t *examples, int n, float grad_scale, rng *train_rng,
                             double *loss, size_t *tokens) {
    rerank_task *rt = ctx;
    const rerank_examples *ex = rt->ex;
    int g = ex->group, k = 0;
    if (n > rt->max_batch) return error_set(NEEDLE_EINVAL, "micro-batch of %d examples exceeds %d", n, rt->max_batch);
    for (int b = 0; b < n; b++) {
        if (examples[b] < 0 || (size_t)examples[b] >= ex->n)
            return error_set(NEEDLE_EINVAL, "example %d out of range (%zu examples)", examples[b], ex->n);
        size_t e = (size_t)examples[b];
        for (int j = 0; j < g; j++, k++) {
            rt->q[k] = rerank_query_text(rt->set, ex->query[e]);
            rt->p[k] = rerank_passage_text(rt->set, ex->passage[e * g + j]);
            rt->targets[k] = ex->label[e * g + j];
        }
    }
    model_batch batch;
    int rc = pair_batch_encode(&rt->pb, rt->tk, k, rt->q, rt->p, &batch);
    if (!rc) rc = cross_encoder_forward(rt->m, &batch, train_rng, rt->scores);
    if (rc) return rc;
    *loss = rerank_loss(rt->d, rt->scores, rt->targets, rt->zeros, n, g, ex->kind);
    for (int i = 0; i < k; i++) rt->d[i] *= grad_scale;
    *tokens = (size_t)k * batch.T;
    return cross_encoder_backward(rt->m, rt->d);
}

static int rerank_evaluate(void *ctx, cJSON **metrics) {
    rerank_task *rt = ctx;
    return rt->evaluate(rt->eval_ctx, rt->m, metrics);
}

static int rerank_save(void *ctx, const char *dir) {
    rerank_task *rt = ctx;
    return hf_save_with_tokenizer(rt->m, rt->tokenizer_dir, dir);
}

trainer_task rerank_task_bind(rerank_task *rt) {
    trainer_task t;
    memset(&t, 0, sizeof t);
    t.name = rt->ex->kind == RERANK_LISTWISE ? "reranker-listwise" : "reranker-pointwise";
    t.ctx = rt;
    t.n_examples = rt->ex->n;
    t.models = &rt->m;
    t.n_models = 1;
    t.default_metric = "ndcg_cut_10";
    t.micro_step = rerank_micro_step;
    t.evaluate = rt->evaluate ? rerank_evaluate : NULL;
    t.save = rerank_save;
    return t;
}

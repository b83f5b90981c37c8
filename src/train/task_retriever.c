/* task_retriever.c — dense retriever fine-tuning as a trainer task (see retriever_task.h).
 *
 * A micro-step: take B records (by index, or the stream's next B), choose each record's
 * passages, tokenise the B queries and the passages on all cores, embed both sides through
 * the gradient cache, compute the loss over the full batch, and back-propagate it chunk by
 * chunk. The passages of record i are contiguous ([positives, hard negatives, other
 * negatives]), which is all the loss needs to know about which passage belongs to whom. */
#include "needle/retriever_task.h"
#include "needle/error.h"
#include "needle/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void retriever_task_opts_default(retriever_task_opts *o) {
    memset(o, 0, sizeof *o);
    o->loss = RLOSS_NLL;
    o->num_positives = 1;
    o->num_hard_negatives = 1;
    o->shuffle_negatives = 1;
    o->max_batch = 8;
    o->shuffle_buffer = 10000;
    o->score_field = "score";
    o->seed = 42;
}

static int passages_per_record(const retriever_task_opts *o) {
    return o->num_positives + o->num_hard_negatives + o->num_other_negatives;
}

/* Training buffers for one chunk of rows on each side (or whole sides without a cache). */
static int alloc_training(retriever_task *rt) {
    biencoder *b = rt->b;
    int qrows = rt->o.max_batch, prows = rt->o.max_batch * passages_per_record(&rt->o);
    if (rt->o.chunk > 0) {
        qrows = qrows < rt->o.chunk ? qrows : rt->o.chunk;
        prows = prows < rt->o.chunk ? prows : rt->o.chunk;
    }
    int Tq = b->cfg.max_query_len, Tp = b->cfg.max_passage_len;
    if (b->cfg.layout == BIENC_SHARED)
        return model_alloc(&b->enc[0], qrows > prows ? qrows : prows, Tq > Tp ? Tq : Tp, MODEL_TRAIN);
    int rc = model_alloc(&b->enc[0], qrows, Tq, MODEL_TRAIN);
    return rc ? rc : model_alloc(&b->enc[1], prows, Tp, MODEL_TRAIN);
}

static int common_init(retriever_task *rt, biencoder *b, const retriever_task_opts *o) {
    memset(rt, 0, sizeof *rt);
    rt->b = b;
    rt->o = *o;
    if (o->max_batch < 1 || o->num_positives < 1 || o->num_hard_negatives < 0 || o->num_other_negatives < 0 || o->chunk < 0)
        return error_set(NEEDLE_EINVAL, "retriever: batch %d, %d positives, %d hard and %d other negatives, chunk %d",
                         o->max_batch, o->num_positives, o->num_hard_negatives, o->num_other_negatives, o->chunk);
    if (o->loss == RLOSS_MARGIN_MSE && o->num_hard_negatives + o->num_other_negatives < 1)
        return error_set(NEEDLE_EINVAL, "MarginMSE needs at least one negative per question (--num-hard-negatives)");
    if (!b->tok[0] || !b->tok[1]) return error_set(NEEDLE_EINVAL, "retriever: the encoders have no tokenizer files");
    int np = o->max_batch * passages_per_record(o);
    rt->p_cap = np;
    rt->batch = calloc((size_t)o->max_batch, sizeof *rt->batch);
    rt->q_texts = calloc((size_t)o->max_batch, sizeof *rt->q_texts);
    rt->p_titles = calloc((size_t)np, sizeof *rt->p_titles);
    rt->p_texts = calloc((size_t)np, sizeof *rt->p_texts);
    rt->pos_off = calloc((size_t)o->max_batch + 1, sizeof *rt->pos_off);
    rt->neg_off = calloc((size_t)o->max_batch + 1, sizeof *rt->neg_off);
    rt->pos_idx = calloc((size_t)np, sizeof *rt->pos_idx);
    rt->neg_idx = calloc((size_t)np, sizeof *rt->neg_idx);
    rt->teacher = calloc((size_t)np, sizeof *rt->teacher);
    rt->dq = calloc((size_t)o->max_batch * biencoder_dim(b), sizeof *rt->dq);
    rt->dp = calloc((size_t)np * biencoder_dim(b), sizeof *rt->dp);
    bienc_tokens_init(&rt->qt);
    bienc_tokens_init(&rt->pt);
    grad_cache_init(&rt->gq);
    grad_cache_init(&rt->gp);
    if (!rt->batch || !rt->q_texts || !rt->p_titles || !rt->p_texts || !rt->pos_off || !rt->neg_off || !rt->pos_idx ||
        !rt->neg_idx || !rt->teacher || !rt->dq || !rt->dp)
        return error_set(NEEDLE_ENOMEM, "out of memory for retriever batches");
    rt->n_models = biencoder_trained_models(b, rt->models);
    return alloc_training(rt);
}

int retriever_task_init_records(retriever_task *rt, biencoder *b, dpr_record **records, size_t n,
                                const retriever_task_opts *o) {
    int rc = common_init(rt, b, o);
    rt->records = records;
    rt->n_records = n;
    if (rc) retriever_task_free(rt);
    return rc;
}

int retriever_task_init_stream(retriever_task *rt, biencoder *b, const char *path, const retriever_task_opts *o) {
    int rc = common_init(rt, b, o);
    if (!rc && !(rt->stream_path = strdup(path))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    dpr_read_opts *r = &rt->read_opts;
    memset(r, 0, sizeof *r);
    r->keep[DPR_POS] = o->num_positives, r->sample[DPR_POS] = o->shuffle_positives;
    r->keep[DPR_HARD] = o->num_hard_negatives, r->sample[DPR_HARD] = o->shuffle_negatives;
    r->keep[DPR_OTHER] = o->num_other_negatives, r->sample[DPR_OTHER] = o->shuffle_negatives;
    r->score_field = o->score_field;
    size_t skipped = 0;
    if (!rc) {
        double t0 = clock_seconds();
        rc = dpr_stream_count(path, r, &rt->n_records, &skipped);
        if (!rc)
            log_info("%s: %zu training records (%zu without a positive skipped), counted in %.1f s", path, rt->n_records,
                     skipped, clock_seconds() - t0);
    }
    if (rc) retriever_task_free(rt);
    return rc;
}

void retriever_task_free(retriever_task *rt) {
    if (rt->stream_path)
        for (int i = 0; i < rt->o.max_batch && rt->batch; i++) free(rt->batch[i]);
    dpr_shuffle_close(rt->sh);
    free(rt->stream_path);
    free(rt->batch);
    free(rt->q_texts);
    free(rt->p_titles);
    free(rt->p_texts);
    free(rt->pos_off);
    free(rt->neg_off);
    free(rt->pos_idx);
    free(rt->neg_idx);
    free(rt->teacher);
    free(rt->dq);
    free(rt->dp);
    bienc_tokens_free(&rt->qt);
    bienc_tokens_free(&rt->pt);
    grad_cache_free(&rt->gq);
    grad_cache_free(&rt->gp);
    memset(rt, 0, sizeof *rt);
}

/* ---------------------------------------------------------------- the stream */

/* The stream of `epoch`: its own seed, so every epoch draws another order and other negatives. */
static uint64_t epoch_seed(uint64_t seed, long long epoch) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(epoch + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int retriever_seek(void *ctx, long long epoch, long long consumed) {
    retriever_task *rt = ctx;
    dpr_shuffle_close(rt->sh);
    rt->sh = NULL;
    int rc = dpr_shuffle_open(&rt->sh, rt->stream_path, &rt->read_opts, rt->o.shuffle_buffer, epoch_seed(rt->o.seed, epoch));
    rt->epoch = epoch;
    rt->position = 0;
    for (; !rc && rt->position < consumed; rt->position++) {
        dpr_record *r;
        rc = dpr_shuffle_next(rt->sh, &r);
        if (rc == 0) rc = error_set(NEEDLE_EFORMAT, "%s: ended after %lld records while resuming (the file changed?)",
                                    rt->stream_path, rt->position);
        else if (rc == 1) rc = 0, free(r);
    }
    if (!rc && consumed) log_info("%s: skipped to record %lld of epoch %lld", rt->stream_path, consumed, epoch + 1);
    return rc;
}

/* The micro-batch's records: by index, or the stream's next n. */
static int take_records(retriever_task *rt, const int32_t *examples, int n) {
    for (int i = 0; i < n; i++) {
        if (!rt->stream_path) {
            if (examples[i] < 0 || (size_t)examples[i] >= rt->n_records)
                return error_set(NEEDLE_EINVAL, "record %d out of range (%zu records)", examples[i], rt->n_records);
            rt->batch[i] = rt->records[examples[i]];
            continue;
        }
        if (!rt->sh) return error_set(NEEDLE_EINVAL, "retriever: the stream was not opened (no seek)");
        free(rt->batch[i]);
        rt->batch[i] = NULL;
        int rc = dpr_shuffle_next(rt->sh, &rt->batch[i]);
        if (rc < 0) return rc;
        if (rc == 0) return error_set(NEEDLE_EFORMAT, "%s: ended after %lld records of epoch %lld (the file changed?)",
                                      rt->stream_path, rt->position, rt->epoch + 1);
        rt->position++;
    }
    return 0;
}

/* ---------------------------------------------------------------- a micro-batch */

/* Append up to k passages of kind `kind` of record r: the first k, or k random ones. */
static void pick(retriever_task *rt, const dpr_record *r, dpr_kind kind, int k, int sample, rng *rg, int *np) {
    int n = r->n_ctx[kind];
    int idx[n ? n : 1];
    for (int i = 0; i < n; i++) idx[i] = i;
    if (sample && n > k) rng_shuffle(rg, idx, (size_t)n);
    for (int i = 0; i < n && i < k; i++) {
        const dpr_passage *p = &r->ctx[kind][idx[i]];
        rt->p_titles[*np] = p->title;
        rt->p_texts[*np] = p->text;
        rt->teacher[*np] = p->score;
        (*np)++;
    }
}

/* Queries, passages and the positive / negative index lists of the batch; returns np. */
static int assemble(retriever_task *rt, int n, rng *rg) {
    const retriever_task_opts *o = &rt->o;
    int np = 0, npos = 0, nneg = 0;
    for (int i = 0; i < n; i++) {
        const dpr_record *r = rt->batch[i];
        rt->q_texts[i] = r->question;
        rt->pos_off[i] = npos;
        rt->neg_off[i] = nneg;
        int start = np;
        pick(rt, r, DPR_POS, o->num_positives, o->shuffle_positives, rg, &np);
        for (int j = start; j < np; j++) rt->pos_idx[npos++] = j;
        start = np;
        pick(rt, r, DPR_HARD, o->num_hard_negatives, o->shuffle_negatives, rg, &np);
        pick(rt, r, DPR_OTHER, o->num_other_negatives, o->shuffle_negatives, rg, &np);
        for (int j = start; j < np; j++) rt->neg_idx[nneg++] = j;
    }
    rt->pos_off[n] = npos;
    rt->neg_off[n] = nneg;
    return np;
}

/* MarginMSE's margins need the teacher's score of each query's first positive and negatives. */
static int check_teacher(const retriever_task *rt, int n) {
    for (int i = 0; i < n; i++) {
        int missing = isnan(rt->teacher[rt->pos_idx[rt->pos_off[i]]]);
        for (int j = rt->neg_off[i]; j < rt->neg_off[i + 1]; j++) missing |= isnan(rt->teacher[rt->neg_idx[j]]);
        if (missing)
            return error_set(NEEDLE_EINVAL, "%s:%lld: MarginMSE needs a teacher score (\"%s\") on the first positive and every "
                             "negative", rt->stream_path ? rt->stream_path : "record", rt->batch[i]->line, rt->o.score_field);
    }
    return 0;
}

static size_t real_tokens(const bienc_tokens *t) {
    size_t n = 0;
    for (size_t i = 0; i < (size_t)t->n * t->T; i++) n += t->mask[i] != 0;
    return n;
}

static int retriever_micro_step(void *ctx, const int32_t *examples, int n, float grad_scale, rng *train_rng,
                                double *loss, size_t *tokens) {
    retriever_task *rt = ctx;
    biencoder *b = rt->b;
    if (n > rt->o.max_batch) return error_set(NEEDLE_EINVAL, "micro-batch of %d records exceeds %d", n, rt->o.max_batch);
    model *mq = biencoder_model(b, BIENC_QUERY), *mp = biencoder_model(b, BIENC_PASSAGE);
    int rc = !mq->train || !mp->train ? alloc_training(rt) : 0; /* an evaluation left inference buffers */
    if (!rc) rc = take_records(rt, examples, n);
    if (rc) return rc;
    int np = assemble(rt, n, train_rng);
    if (rt->o.loss == RLOSS_MARGIN_MSE && (rc = check_teacher(rt, n))) return rc;
    if ((rc = biencoder_tokenize(b, BIENC_QUERY, n, NULL, rt->q_texts, &rt->qt))) return rc;
    if ((rc = biencoder_tokenize(b, BIENC_PASSAGE, np, rt->p_titles, rt->p_texts, &rt->pt))) return rc;
    int cq = rt->o.chunk > 0 ? rt->o.chunk : n, cp = rt->o.chunk > 0 ? rt->o.chunk : np;
    if ((rc = grad_cache_forward(&rt->gq, b, mq, &rt->qt, cq, train_rng))) return rc;
    if ((rc = grad_cache_forward(&rt->gp, b, mp, &rt->pt, cp, train_rng))) return rc;
    rloss_batch lb = {n,           np,          biencoder_dim(b), rt->gq.emb, rt->gp.emb, b->cfg.similarity,
                      (float)b->cfg.scale, rt->pos_off, rt->pos_idx, rt->neg_off, rt->neg_idx, rt->teacher};
    if ((rc = retriever_loss(rt->o.loss, &lb, loss, rt->dq, rt->dp, NULL))) return rc;
    if ((rc = grad_cache_backward(&rt->gp, b, mp, &rt->pt, rt->dp, grad_scale))) return rc;
    if ((rc = grad_cache_backward(&rt->gq, b, mq, &rt->qt, rt->dq, grad_scale))) return rc;
    *tokens = real_tokens(&rt->qt) + real_tokens(&rt->pt);
    return 0;
}

static int retriever_evaluate(void *ctx, cJSON **metrics) {
    retriever_task *rt = ctx;
    return retrieval_eval_run(rt->eval, rt->b, metrics, NULL); /* the next micro-step restores training buffers */
}

static int retriever_save(void *ctx, const char *dir) {
    retriever_task *rt = ctx;
    return biencoder_save(rt->b, dir);
}

trainer_task retriever_task_bind(retriever_task *rt) {
    trainer_task t;
    memset(&t, 0, sizeof t);
    t.name = "retriever";
    t.ctx = rt;
    t.n_examples = rt->n_records;
    t.models = rt->models;
    t.n_models = rt->n_models;
    t.default_metric = "ndcg_cut_10";
    t.micro_step = retriever_micro_step;
    t.evaluate = rt->eval ? retriever_evaluate : NULL;
    t.save = retriever_save;
    t.seek = rt->stream_path ? retriever_seek : NULL;
    return t;
}

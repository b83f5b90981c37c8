/* reranker.c — cross-encoder reranking of a query's passages and of whole runs (see
 * reranker.h). Both go through cross_encoder_score, the scoring the trainer's evaluation uses
 * as well, so a passage gets the same score whichever path asks for it. */
#define _GNU_SOURCE /* qsort_r */
#include "needle/reranker.h"
#include "needle/cross_encoder.h"
#include "needle/error.h"
#include "needle/progress.h"

#include <stdlib.h>
#include <string.h>

struct reranker {
    model m;
    tokenizer *tk;
    pair_batch pb;
};

reranker_opts reranker_defaults(void) { return (reranker_opts){32, 512}; }

void reranker_free(reranker *r) {
    if (!r) return;
    pair_batch_free(&r->pb);
    model_free(&r->m);
    tokenizer_free(r->tk);
    free(r);
}

int reranker_load(reranker **out, const char *dir, const char *tokenizer_dir, const reranker_opts *o) {
    *out = NULL;
    if (o->batch_size < 1 || o->max_len < 3)
        return error_set(NEEDLE_EINVAL, "reranker: batches of %d pairs of %d tokens", o->batch_size, o->max_len);
    reranker *r = calloc(1, sizeof *r);
    if (!r) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = model_load(&r->m, dir, MODEL_HEAD_AUTO, 0, 0);
    if (rc) {
        free(r);
        return rc;
    }
    int positions = r->m.cfg.P - r->m.cfg.pos_offset, len = o->max_len < positions ? o->max_len : positions;
    if (!(rc = cross_encoder_check(&r->m, dir)) && !(rc = tokenizer_load(tokenizer_dir ? tokenizer_dir : dir, &r->tk)) &&
        !(rc = pair_batch_init(&r->pb, o->batch_size, len, &r->m)))
        rc = model_alloc(&r->m, o->batch_size, len, MODEL_INFER);
    if (rc) {
        reranker_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int reranker_num_labels(const reranker *r) { return r->m.cfg.num_labels; }

/* Descending score, then ascending index. */
static int by_score(const void *a, const void *b, void *scores) {
    const float *s = scores;
    int i = *(const int *)a, j = *(const int *)b;
    if (s[i] != s[j]) return s[i] > s[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

int reranker_rank(reranker *r, const char *query, const char *const *passages, int n, float *scores, int *order) {
    if (n <= 0) return 0;
    float *s = scores ? scores : malloc((size_t)n * sizeof *s);
    if (!s) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = cross_encoder_score(&r->m, r->tk, &r->pb, query, passages, n, s);
    if (!rc && order) {
        for (int i = 0; i < n; i++) order[i] = i;
        qsort_r(order, (size_t)n, sizeof *order, by_score, s);
    }
    if (s != scores) free(s);
    return rc;
}

int rerank_run(model *m, const tokenizer *tk, pair_batch *pb, const rerank_set *cands, trec_run *out) {
    size_t n = cands->n_pairs;
    float *scores = malloc((n + 1) * sizeof *scores);
    const char **texts = malloc((n + 1) * sizeof *texts);
    if (!scores || !texts) {
        free(scores), free(texts);
        return error_set(NEEDLE_ENOMEM, "out of memory for %zu candidate scores", n);
    }
    for (size_t i = 0; i < n; i++) texts[i] = rerank_passage_text(cands, cands->pairs[i].passage);
    progress bar;
    progress_start(&bar, "rerank", n);
    int rc = 0;
    for (size_t first = 0, end; first < n && !rc; first = end) {
        uint32_t q = cands->pairs[first].query;
        for (end = first; end < n && cands->pairs[end].query == q; end++) continue;
        rc = cross_encoder_score(m, tk, pb, rerank_query_text(cands, q), texts + first, (int)(end - first),
                                 scores + first);
        for (size_t i = first; i < end && !rc; i++)
            rc = trec_run_add(out, strtab_str(&cands->qkeys, q), strtab_str(&cands->pkeys, cands->pairs[i].passage),
                              scores[i]);
        progress_update(&bar, end, NULL);
    }
    progress_finish(&bar, NULL);
    free(scores), free(texts);
    return rc;
}

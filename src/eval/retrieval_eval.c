/* retrieval_eval.c — full-corpus dense retrieval and its trec_eval measures (see
 * retrieval_eval.h).
 *
 * The corpus is streamed from its file at every evaluation and embedded block by block, so
 * only the ids and the vectors stay in memory — what an exact search needs anyway. Searching
 * is one blocked sgemm pass over the corpus for all queries at once (vector_exact_search). */
#include "needle/retrieval_eval.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/vector_index.h"

#include <stdlib.h>
#include <string.h>

#define CORPUS_BLOCK 4096

void dense_corpus_init(dense_corpus *dc) {
    memset(dc, 0, sizeof *dc);
    strtab_init(&dc->ids);
}

void dense_corpus_free(dense_corpus *dc) {
    strtab_free(&dc->ids);
    free(dc->vectors);
    memset(dc, 0, sizeof *dc);
}

/* Room for n more rows. */
static int corpus_grow(dense_corpus *dc, size_t more, size_t *cap) {
    if (dc->n + more <= *cap) return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < dc->n + more) nc *= 2;
    float *v = realloc(dc->vectors, nc * (size_t)dc->dim * sizeof *v);
    if (!v) return error_set(NEEDLE_ENOMEM, "out of memory for %zu embeddings of %d floats", nc, dc->dim);
    dc->vectors = v;
    *cap = nc;
    return 0;
}

typedef struct {
    dense_corpus *dc;
    biencoder *b;
    int batch;
    size_t cap, n;                 /* vector capacity; passages in the pending block */
    char *titles[CORPUS_BLOCK], *texts[CORPUS_BLOCK];
    progress bar;
} embed_ctx;

static int flush_block(embed_ctx *c) {
    if (!c->n) return 0;
    int rc = corpus_grow(c->dc, c->n, &c->cap);
    if (!rc)
        rc = biencoder_embed(c->b, BIENC_PASSAGE, c->n, (const char *const *)c->titles, (const char *const *)c->texts,
                             c->batch, c->dc->vectors + c->dc->n * (size_t)c->dc->dim, &c->bar);
    if (!rc) c->dc->n += c->n;
    for (size_t i = 0; i < c->n; i++) {
        free(c->titles[i]);
        free(c->texts[i]);
    }
    c->n = 0;
    return rc;
}

static int take_doc(void *ctx, const char *id, const char *title, const char *text) {
    embed_ctx *c = ctx;
    uint32_t row;
    int added;
    int rc = strtab_intern(&c->dc->ids, id, strlen(id), &row, &added);
    if (rc) return rc;
    if (!added) return error_set(NEEDLE_EFORMAT, "corpus: document id '%s' appears twice", id);
    c->titles[c->n] = strdup(title);
    c->texts[c->n] = strdup(text);
    if (!c->titles[c->n] || !c->texts[c->n]) {
        free(c->titles[c->n]);
        free(c->texts[c->n]);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    return ++c->n == CORPUS_BLOCK ? flush_block(c) : 0;
}

int dense_corpus_embed_beir(dense_corpus *dc, biencoder *b, const char *corpus, int batch) {
    dense_corpus_init(dc);
    dc->dim = biencoder_dim(b);
    embed_ctx *c = calloc(1, sizeof *c);
    if (!c) return error_set(NEEDLE_ENOMEM, "out of memory");
    c->dc = dc, c->b = b, c->batch = batch;
    progress_start(&c->bar, "embed corpus", 0);
    int rc = beir_corpus_read(corpus, take_doc, c);
    if (!rc) rc = flush_block(c);
    for (size_t i = 0; i < c->n; i++) {
        free(c->titles[i]);
        free(c->texts[i]);
    }
    progress_finish(&c->bar, NULL);
    free(c);
    if (rc) dense_corpus_free(dc);
    return rc;
}

int dense_corpus_embed(dense_corpus *dc, biencoder *b, size_t n, const char *const *ids, const char *const *titles,
                       const char *const *texts, int batch) {
    dense_corpus_init(dc);
    dc->dim = biencoder_dim(b);
    size_t cap = 0;
    int rc = corpus_grow(dc, n ? n : 1, &cap);
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t row;
        int added;
        rc = strtab_intern(&dc->ids, ids[i], strlen(ids[i]), &row, &added);
        if (!rc && !added) rc = error_set(NEEDLE_EFORMAT, "corpus: passage id '%s' appears twice", ids[i]);
    }
    progress bar;
    progress_start(&bar, "embed corpus", n);
    if (!rc) rc = biencoder_embed(b, BIENC_PASSAGE, n, titles, texts, batch, dc->vectors, &bar);
    progress_finish(&bar, NULL);
    if (!rc) dc->n = n;
    else dense_corpus_free(dc);
    return rc;
}

int dense_search(biencoder *b, const dense_corpus *dc, size_t nq, const char *const *queries, int k, int batch,
                 int64_t *out_rows, float *out_scores) {
    float *qe = malloc((nq ? nq : 1) * (size_t)dc->dim * sizeof *qe);
    if (!qe) return error_set(NEEDLE_ENOMEM, "out of memory for %zu query embeddings", nq);
    int rc = biencoder_embed(b, BIENC_QUERY, nq, NULL, queries, batch, qe, NULL);
    if (!rc && dc->dim != biencoder_dim(b))
        rc = error_set(NEEDLE_EINVAL, "the corpus was embedded into %d dimensions, the queries into %d", dc->dim,
                       biencoder_dim(b));
    if (!rc && nq)
        rc = vector_exact_search(dc->vectors, dc->n, dc->dim, NULL, qe, nq, k,
                                 b->cfg.similarity == BIENC_SIM_COSINE ? VECTOR_COSINE : VECTOR_IP, NULL, out_rows, out_scores);
    free(qe);
    return rc;
}

/* ---------------------------------------------------------------- metrics */

int retrieval_mrr_at_10(const trec_qrels *qrels, const trec_run *run, double *mrr) {
    trec_run top;
    trec_run_init(&top);
    int rc = 0;
    for (uint32_t q = 0; q < run->qids.count && !rc; q++) {
        trec_result *sorted;
        if ((rc = trec_run_ranked(run, q, &sorted))) break;
        for (size_t i = 0; i < run->q[q].n && i < 10 && !rc; i++)
            rc = trec_run_add(&top, strtab_str(&run->qids, q), strtab_str(&run->docs, sorted[i].doc), sorted[i].score);
        free(sorted);
    }
    trec_summary s;
    if (!rc) rc = trec_evaluate(qrels, &top, &s);
    if (!rc) *mrr = s.value[TREC_RECIP_RANK];
    trec_run_free(&top);
    return rc;
}

int retrieval_metrics(const trec_qrels *qrels, const trec_run *run, cJSON **metrics) {
    *metrics = NULL;
    trec_summary s;
    double mrr10 = 0;
    int rc = trec_evaluate(qrels, run, &s);
    if (!rc) rc = retrieval_mrr_at_10(qrels, run, &mrr10);
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (int i = 0; i < TREC_N_MEASURES && ok; i++) ok = cJSON_AddNumberToObject(o, trec_measure_names[i], s.value[i]) != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "mrr_10", mrr10) && cJSON_AddNumberToObject(o, "num_q", (double)s.num_q);
    if (!ok) {
        cJSON_Delete(o);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    *metrics = o;
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

struct retrieval_eval {
    char *corpus;
    retrieval_eval_opts o;
    trec_qrels qrels;
    size_t nq;
    char **qids, **qtexts;   /* the queries of the qrels, in file order */
};

void retrieval_eval_opts_default(retrieval_eval_opts *o) {
    o->top_k = 100;
    o->batch = 32;
}

const trec_qrels *retrieval_eval_qrels(const retrieval_eval *e) { return &e->qrels; }

void retrieval_eval_free(retrieval_eval *e) {
    if (!e) return;
    for (size_t i = 0; i < e->nq; i++) {
        free(e->qids[i]);
        free(e->qtexts[i]);
    }
    free(e->qids);
    free(e->qtexts);
    trec_qrels_free(&e->qrels);
    free(e->corpus);
    free(e);
}

int retrieval_eval_open(retrieval_eval **out, const char *corpus, const char *queries, const char *qrels,
                        const retrieval_eval_opts *o) {
    *out = NULL;
    retrieval_eval *e = calloc(1, sizeof *e);
    if (!e) return error_set(NEEDLE_ENOMEM, "out of memory");
    trec_qrels_init(&e->qrels);
    if (o) e->o = *o;
    else retrieval_eval_opts_default(&e->o);
    beir_query *qs = NULL;
    size_t n = 0;
    int rc = (e->corpus = strdup(corpus)) ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = trec_qrels_read(qrels, &e->qrels);
    if (!rc) rc = beir_queries_read(queries, &qs, &n);
    if (!rc && (!(e->qids = calloc(n + 1, sizeof *e->qids)) || !(e->qtexts = calloc(n + 1, sizeof *e->qtexts))))
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        uint32_t id;
        if (!strtab_find(&e->qrels.qids, qs[i].id, strlen(qs[i].id), &id)) continue;
        e->qids[e->nq] = qs[i].id, e->qtexts[e->nq] = qs[i].text;
        qs[i].id = qs[i].text = NULL;
        e->nq++;
    }
    if (!rc && !e->nq) rc = error_set(NEEDLE_EINVAL, "%s: none of these queries is in %s", queries, qrels);
    beir_queries_free(qs, n);
    if (rc) {
        retrieval_eval_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

int retrieval_eval_run(retrieval_eval *e, biencoder *b, cJSON **metrics, trec_run *run_out) {
    *metrics = NULL;
    dense_corpus dc;
    double t0 = clock_seconds();
    int rc = dense_corpus_embed_beir(&dc, b, e->corpus, e->o.batch);
    if (rc) return rc;
    int k = (int)(e->o.top_k + 1 < dc.n ? e->o.top_k + 1 : dc.n);
    int64_t *rows = malloc(e->nq * (size_t)k * sizeof *rows);
    float *scores = malloc(e->nq * (size_t)k * sizeof *scores);
    trec_run run;
    trec_run_init(&run);
    if (!rows || !scores) rc = error_set(NEEDLE_ENOMEM, "out of memory for %zu x %d results", e->nq, k);
    double t1 = clock_seconds();
    if (!rc) rc = dense_search(b, &dc, e->nq, (const char *const *)e->qtexts, k, e->o.batch, rows, scores);
    for (size_t q = 0; q < e->nq && !rc; q++) {
        size_t kept = 0;
        for (int r = 0; r < k && kept < e->o.top_k && !rc; r++) {
            int64_t row = rows[q * k + r];
            if (row < 0) break;
            const char *doc = strtab_str(&dc.ids, (uint32_t)row);
            if (!strcmp(doc, e->qids[q])) continue;
            rc = trec_run_add(&run, e->qids[q], doc, scores[q * k + r]);
            kept++;
        }
    }
    if (!rc) rc = retrieval_metrics(&e->qrels, &run, metrics);
    if (!rc)
        log_debug("retrieval eval: %zu passages embedded in %.1f s, %zu queries searched in %.1f s", dc.n, t1 - t0, e->nq,
                  clock_seconds() - t1);
    if (!rc && run_out) {
        trec_run_free(run_out);
        *run_out = run;
    } else {
        trec_run_free(&run);
    }
    free(rows);
    free(scores);
    dense_corpus_free(&dc);
    return rc;
}

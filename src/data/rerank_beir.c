/* rerank_beir.c — reranker training pairs from a BEIR data set: the qrels' relevant documents
 * as positives and a first-stage run's top unjudged-relevant results as mined negatives (see
 * rerank_data.h).
 *
 * Pairs are interned by BEIR id; the corpus is streamed once and only the documents some pair
 * names are kept, so a large corpus costs the memory of the documents training uses. Each
 * query's run results are taken in trec_eval's order (score descending, ties by docno
 * descending), the order a reranker would receive them in. */
#include "needle/array.h"
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/rerank_data.h"
#include "needle/strbuf.h"

#include <stdlib.h>
#include <string.h>

static int add_by_id(rerank_set *s, const char *qid, const char *docid, float label) {
    uint32_t qi, pi;
    int rc = strtab_intern(&s->qkeys, qid, strlen(qid), &qi, NULL);
    if (!rc) rc = strtab_intern(&s->pkeys, docid, strlen(docid), &pi, NULL);
    if (!rc) rc = array_grow((void **)&s->pairs, &s->cap, s->n_pairs, sizeof *s->pairs);
    if (rc) return rc;
    s->pairs[s->n_pairs++] = (rerank_pair){qi, pi, label};
    return 0;
}


/* The passage text BEIR's reranking uses: (title + " " + text).strip(). */
int rerank_passage_join(const char *title, const char *text, char **out) {
    strbuf sb;
    strbuf_init(&sb);
    int rc = strbuf_puts(&sb, title);
    if (!rc) rc = strbuf_putc(&sb, ' ');
    if (!rc) rc = strbuf_puts(&sb, text);
    if (rc) {
        strbuf_free(&sb);
        return rc;
    }
    size_t b = 0, e = sb.len;
    while (b < e && (sb.data[b] == ' ' || sb.data[b] == '\t' || sb.data[b] == '\n' || sb.data[b] == '\r')) b++;
    while (e > b && (sb.data[e - 1] == ' ' || sb.data[e - 1] == '\t' || sb.data[e - 1] == '\n' || sb.data[e - 1] == '\r')) e--;
    memmove(sb.data, sb.data + b, e - b);
    sb.data[e - b] = 0;
    sb.len = e - b;
    *out = strbuf_detach(&sb);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
}

static int keep_doc(void *ctx, const char *id, const char *title, const char *text) {
    rerank_set *s = ctx;
    uint32_t d;
    if (!strtab_find(&s->pkeys, id, strlen(id), &d) || s->ptext[d]) return 0;
    return rerank_passage_join(title, text, &s->ptext[d]);
}

/* The texts of every query and passage of s, by id, from the BEIR files. */
static int load_texts(rerank_set *s, const char *corpus, const char *queries) {
    beir_query *qs = NULL;
    size_t nq = 0;
    int rc = 0;
    s->qtext = calloc(s->qkeys.count + 1, sizeof *s->qtext);
    s->ptext = calloc(s->pkeys.count + 1, sizeof *s->ptext);
    if (!s->qtext || !s->ptext) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = beir_queries_read(queries, &qs, &nq);
    for (size_t i = 0; !rc && i < nq; i++) {
        uint32_t q;
        if (strtab_find(&s->qkeys, qs[i].id, strlen(qs[i].id), &q) && !s->qtext[q] && !(s->qtext[q] = strdup(qs[i].text)))
            rc = error_set(NEEDLE_ENOMEM, "out of memory");
    }
    for (uint32_t q = 0; !rc && q < s->qkeys.count; q++)
        if (!s->qtext[q]) rc = error_set(NEEDLE_ENOTFOUND, "%s: query '%s' is missing", queries, strtab_str(&s->qkeys, q));
    if (!rc) rc = beir_corpus_read(corpus, keep_doc, s);
    for (uint32_t d = 0; !rc && d < s->pkeys.count; d++)
        if (!s->ptext[d]) rc = error_set(NEEDLE_ENOTFOUND, "%s: document '%s' is missing", corpus, strtab_str(&s->pkeys, d));
    beir_queries_free(qs, nq);
    return rc;
}

int rerank_set_from_beir(const char *corpus, const char *queries, const trec_qrels *qrels, const trec_run *negatives,
                         int depth, rerank_set *s) {
    int rc = 0;
    size_t n_neg = 0;
    for (uint32_t q = 0; q < qrels->qids.count && !rc; q++) {
        const trec_qrels_query *j = &qrels->q[q];
        const char *qid = strtab_str(&qrels->qids, q);
        size_t first = s->n_pairs;
        for (size_t k = 0; k < j->n && !rc; k++)
            if (j->j[k].rel >= 1) rc = add_by_id(s, qid, strtab_str(&qrels->docs, j->j[k].doc), 1.0f);
        if (rc || s->n_pairs == first || !negatives) continue; /* no positive: nothing to learn */
        uint32_t rq;
        if (!strtab_find(&negatives->qids, qid, strlen(qid), &rq)) continue;
        trec_result *ranked;
        if ((rc = trec_run_ranked(negatives, rq, &ranked))) break;
        int taken = 0;
        for (size_t k = 0; k < negatives->q[rq].n && taken < depth && !rc; k++) {
            const char *doc = strtab_str(&negatives->docs, ranked[k].doc);
            uint32_t d;
            int relevant = 0;
            if (strtab_find(&qrels->docs, doc, strlen(doc), &d))
                for (size_t m = 0; m < j->n; m++) relevant |= j->j[m].doc == d && j->j[m].rel >= 1;
            if (relevant) continue;
            rc = add_by_id(s, qid, doc, 0.0f);
            taken++, n_neg++;
        }
        free(ranked);
    }
    if (!rc && !s->n_pairs) rc = error_set(NEEDLE_EINVAL, "the qrels judge no document relevant (rel >= 1)");
    if (!rc) rc = load_texts(s, corpus, queries);
    if (!rc)
        log_info("BEIR training pairs: %u queries, %zu positives, %zu mined negatives (run's top %d per query), %u passages",
                 s->qkeys.count, s->n_pairs - n_neg, n_neg, depth, s->pkeys.count);
    return rc;
}

int rerank_set_from_run(const char *corpus, const char *queries, const trec_qrels *qrels, const trec_run *run, int top_k,
                        rerank_set *s, trec_run *top) {
    int rc = 0;
    for (uint32_t q = 0; q < qrels->qids.count && !rc; q++) {
        const char *qid = strtab_str(&qrels->qids, q);
        uint32_t rq;
        if (!strtab_find(&run->qids, qid, strlen(qid), &rq)) continue;
        trec_result *ranked;
        if ((rc = trec_run_ranked(run, rq, &ranked))) break;
        for (size_t k = 0; k < run->q[rq].n && k < (size_t)top_k && !rc; k++) {
            const char *doc = strtab_str(&run->docs, ranked[k].doc);
            rc = add_by_id(s, qid, doc, 0.0f);
            if (!rc && top) rc = trec_run_add(top, qid, doc, ranked[k].score);
        }
        free(ranked);
    }
    if (!rc && !s->n_pairs) rc = error_set(NEEDLE_EINVAL, "the run has no results for the queries of the qrels");
    return rc ? rc : load_texts(s, corpus, queries);
}

/* dpr_beir.c — BEIR qrels as retriever training records (see dpr_data.h).
 *
 * The corpus is streamed once and only the documents some query judges relevant are kept
 * (their ids are looked up in the qrels' own document table), so a large corpus costs the
 * memory of its judged documents, not of the whole file. */
#include "needle/array.h"
#include "needle/beir.h"
#include "needle/dpr_data.h"
#include "needle/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const trec_qrels *qrels;
    char **titles, **texts; /* [qrels doc id], NULL until read */
    uint8_t *wanted;
} corpus_keep;

static int keep_doc(void *ctx, const char *id, const char *title, const char *text) {
    corpus_keep *k = ctx;
    uint32_t d;
    if (!strtab_find(&k->qrels->docs, id, strlen(id), &d) || !k->wanted[d] || k->texts[d]) return 0;
    k->titles[d] = strdup(title);
    k->texts[d] = strdup(text);
    if (!k->titles[d] || !k->texts[d]) return error_set(NEEDLE_ENOMEM, "out of memory reading the corpus");
    return 0;
}

int dpr_records_from_beir(const char *corpus, const char *queries, const trec_qrels *qrels, dpr_record ***records,
                          size_t *n) {
    *records = NULL;
    *n = 0;
    uint32_t nd = qrels->docs.count, nq = qrels->qids.count;
    corpus_keep k = {qrels, calloc(nd + 1, sizeof(char *)), calloc(nd + 1, sizeof(char *)), calloc(nd + 1, 1)};
    beir_query *qs = NULL;
    size_t n_qs = 0, cap = 0;
    dpr_record **out = NULL;
    dpr_passage *pos = NULL;
    int32_t *qtext = calloc(nq + 1, sizeof *qtext);
    int rc = 0;
    if (!k.titles || !k.texts || !k.wanted || !qtext) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t q = 0; q < nq; q++)
        for (size_t j = 0; j < qrels->q[q].n; j++)
            if (qrels->q[q].j[j].rel >= 1) k.wanted[qrels->q[q].j[j].doc] = 1;
    if ((rc = beir_corpus_read(corpus, keep_doc, &k))) goto done;
    if ((rc = beir_queries_read(queries, &qs, &n_qs))) goto done;
    for (uint32_t q = 0; q < nq; q++) qtext[q] = -1;
    for (size_t i = 0; i < n_qs; i++) {
        uint32_t q;
        if (strtab_find(&qrels->qids, qs[i].id, strlen(qs[i].id), &q)) qtext[q] = (int32_t)i;
    }
    for (uint32_t q = 0; q < nq; q++) {
        const trec_qrels_query *jq = &qrels->q[q];
        int np = 0;
        free(pos);
        pos = malloc((jq->n ? jq->n : 1) * sizeof *pos);
        if (!pos) {
            rc = error_set(NEEDLE_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t j = 0; j < jq->n; j++) {
            if (jq->j[j].rel < 1) continue;
            uint32_t d = jq->j[j].doc;
            if (!k.texts[d]) {
                rc = error_set(NEEDLE_ENOTFOUND, "%s: document '%s' (judged relevant to query '%s') is not in the corpus",
                               corpus, strtab_str(&qrels->docs, d), strtab_str(&qrels->qids, q));
                goto done;
            }
            pos[np++] = (dpr_passage){k.titles[d], k.texts[d], strtab_str(&qrels->docs, d), NAN};
        }
        if (!np) continue;
        if (qtext[q] < 0) {
            rc = error_set(NEEDLE_ENOTFOUND, "%s: query '%s' of the qrels is not in this file", queries,
                           strtab_str(&qrels->qids, q));
            goto done;
        }
        if ((rc = array_grow((void **)&out, &cap, *n, sizeof *out))) goto done;
        const dpr_passage *ctx[DPR_KINDS] = {pos, NULL, NULL};
        int counts[DPR_KINDS] = {np, 0, 0};
        if ((rc = dpr_record_build(qs[qtext[q]].text, NULL, 0, ctx, counts, &out[*n]))) goto done;
        (*n)++;
    }
done:
    if (rc) {
        dpr_records_free(out, *n);
        out = NULL;
        *n = 0;
    }
    *records = out;
    for (uint32_t d = 0; d < nd && k.titles && k.texts; d++) {
        free(k.titles[d]);
        free(k.texts[d]);
    }
    free(k.titles);
    free(k.texts);
    free(k.wanted);
    free(qtext);
    free(pos);
    beir_queries_free(qs, n_qs);
    return rc;
}

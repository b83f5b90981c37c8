/* fusion.c — hybrid fusion for evaluation (see fusion.h): scores are normalised per list
 * when asked, then the lists go through join_documents, the pipeline's JoinDocuments, so a
 * hybrid evaluation ranks exactly as a hybrid pipeline does. */
#include "needle/fusion.h"
#include "needle/error.h"
#include "needle/join_documents.h"

#include <stdlib.h>
#include <string.h>

int fusion_method_parse(const char *s, fusion_method *m) {
    if (s && !strcmp(s, "rrf")) *m = FUSION_RRF;
    else if (s && !strcmp(s, "weighted")) *m = FUSION_WEIGHTED;
    else return error_set(NEEDLE_EINVAL, "fusion '%s': use rrf or weighted", s ? s : "");
    return 0;
}

int fusion_merge(fusion_method method, int n_lists, const fusion_hit *const *lists, const size_t *lens,
                 const double *weights, size_t k, fusion_hit *out, size_t *n_out) {
    *n_out = 0;
    join_item **items = calloc((size_t)n_lists, sizeof *items);
    join_result *res = NULL;
    size_t n = 0;
    int rc = items ? 0 : error_set(NEEDLE_ENOMEM, "fusion: out of memory");
    for (int l = 0; l < n_lists && !rc; l++) {
        const fusion_hit *h = lists[l];
        double lo = 0, hi = 0;
        for (size_t r = 0; r < lens[l]; r++) {
            lo = r == 0 || h[r].score < lo ? h[r].score : lo;
            hi = r == 0 || h[r].score > hi ? h[r].score : hi;
        }
        if (!(items[l] = malloc((lens[l] ? lens[l] : 1) * sizeof *items[l]))) {
            rc = error_set(NEEDLE_ENOMEM, "fusion: out of memory");
            break;
        }
        for (size_t r = 0; r < lens[l]; r++)
            items[l][r] = (join_item){h[r].id, method == FUSION_RRF ? h[r].score : hi > lo ? (h[r].score - lo) / (hi - lo) : 1.0};
    }
    if (!rc)
        rc = join_documents((const join_item *const *)items, lens, (size_t)n_lists, method == FUSION_RRF ? JOIN_RRF : JOIN_MERGE,
                            weights, 1, k, &res, &n);
    for (size_t i = 0; i < n && !rc; i++) out[i] = (fusion_hit){lists[res[i].list][res[i].index].id, res[i].score};
    if (!rc) *n_out = n;
    for (int l = 0; items && l < n_lists; l++) free(items[l]);
    free(items);
    free(res);
    return rc;
}

/* Query qid's results of `run`, ranked, as hits (none when the run lacks the query). */
static int ranked_hits(const trec_run *run, const char *qid, fusion_hit **hits, size_t *n) {
    uint32_t q;
    *n = 0;
    if (!strtab_find(&run->qids, qid, strlen(qid), &q) || !run->q[q].n) return 0;
    const trec_run_query *rq = &run->q[q];
    fusion_hit *h = realloc(*hits, rq->n * sizeof *h);
    if (!h) return error_set(NEEDLE_ENOMEM, "fusion: out of memory");
    *hits = h;
    trec_result *sorted;
    int rc = trec_run_ranked(run, q, &sorted);
    if (rc) return rc;
    for (size_t i = 0; i < rq->n; i++) h[i] = (fusion_hit){strtab_str(&run->docs, sorted[i].doc), sorted[i].score};
    *n = rq->n;
    free(sorted);
    return 0;
}

int fusion_runs(fusion_method method, int n_runs, const trec_run *const *runs, const double *weights, size_t k,
                trec_run *out) {
    fusion_hit **lists = calloc((size_t)n_runs, sizeof *lists), *fused = malloc((k ? k : 1) * sizeof *fused);
    size_t *lens = calloc((size_t)n_runs, sizeof *lens);
    strtab done;
    strtab_init(&done);
    int rc = lists && fused && lens ? 0 : error_set(NEEDLE_ENOMEM, "fusion: out of memory");
    for (int r = 0; r < n_runs && !rc; r++)
        for (uint32_t q = 0; q < runs[r]->qids.count && !rc; q++) {
            const char *qid = strtab_str(&runs[r]->qids, q);
            uint32_t id;
            int added;
            if ((rc = strtab_intern(&done, qid, strlen(qid), &id, &added)) || !added) continue;
            for (int l = 0; l < n_runs && !rc; l++) rc = ranked_hits(runs[l], qid, &lists[l], &lens[l]);
            size_t n = 0;
            if (!rc) rc = fusion_merge(method, n_runs, (const fusion_hit *const *)lists, lens, weights, k, fused, &n);
            for (size_t i = 0; i < n && !rc; i++) rc = trec_run_add(out, qid, fused[i].id, fused[i].score);
        }
    for (int r = 0; lists && r < n_runs; r++) free(lists[r]);
    free(lists);
    free(lens);
    free(fused);
    strtab_free(&done);
    return rc;
}

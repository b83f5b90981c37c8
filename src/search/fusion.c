/* fusion.c — reciprocal rank fusion and the weighted sum of min-max normalised scores (see
 * fusion.h). A query's documents are gathered in a hash map (id -> slot) so fusing lists of
 * any length costs one pass over them plus a sort of the fused documents. */
#include "needle/fusion.h"
#include "needle/error.h"
#include "needle/strmap.h"

#include <stdlib.h>
#include <string.h>

int fusion_method_parse(const char *s, fusion_method *m) {
    if (s && !strcmp(s, "rrf")) *m = FUSION_RRF;
    else if (s && !strcmp(s, "weighted")) *m = FUSION_WEIGHTED;
    else return error_set(NEEDLE_EINVAL, "fusion '%s': use rrf or weighted", s ? s : "");
    return 0;
}

static int by_score_then_id(const void *a, const void *b) {
    const fusion_hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return strcmp(x->id, y->id);
}

int fusion_merge(fusion_method method, int n_lists, const fusion_hit *const *lists, const size_t *lens,
                 const double *weights, int rrf_k, size_t k, fusion_hit *out, size_t *n_out) {
    *n_out = 0;
    size_t total = 0;
    for (int l = 0; l < n_lists; l++) total += lens[l];
    fusion_hit *all = malloc((total ? total : 1) * sizeof *all);
    strmap slots;
    strmap_init(&slots);
    if (!all) return error_set(NEEDLE_ENOMEM, "fusion: out of memory for %zu hits", total);
    size_t n = 0;
    int rc = 0;
    for (int l = 0; l < n_lists && !rc; l++) {
        const fusion_hit *h = lists[l];
        double w = weights ? weights[l] : 1.0, lo = 0, hi = 0;
        for (size_t r = 0; r < lens[l]; r++) {
            lo = r == 0 || h[r].score < lo ? h[r].score : lo;
            hi = r == 0 || h[r].score > hi ? h[r].score : hi;
        }
        for (size_t r = 0; r < lens[l] && !rc; r++) {
            double part = method == FUSION_RRF ? w / (double)(rrf_k + (int)r + 1)
                                               : w * (hi > lo ? (h[r].score - lo) / (hi - lo) : 1.0);
            int32_t slot;
            size_t len = strlen(h[r].id);
            if (strmap_get(&slots, h[r].id, len, &slot)) {
                all[slot].score += part;
                continue;
            }
            if ((rc = strmap_put(&slots, h[r].id, len, (int32_t)n))) break;
            all[n++] = (fusion_hit){h[r].id, part};
        }
    }
    if (!rc) {
        qsort(all, n, sizeof *all, by_score_then_id);
        *n_out = n < k ? n : k;
        memcpy(out, all, *n_out * sizeof *out);
    }
    strmap_free(&slots);
    free(all);
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

int fusion_runs(fusion_method method, int n_runs, const trec_run *const *runs, const double *weights, int rrf_k,
                size_t k, trec_run *out) {
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
            if (!rc) rc = fusion_merge(method, n_runs, (const fusion_hit *const *)lists, lens, weights, rrf_k, k, fused, &n);
            for (size_t i = 0; i < n && !rc; i++) rc = trec_run_add(out, qid, fused[i].id, fused[i].score);
        }
    for (int r = 0; lists && r < n_runs; r++) free(lists[r]);
    free(lists);
    free(lens);
    free(fused);
    strtab_free(&done);
    return rc;
}

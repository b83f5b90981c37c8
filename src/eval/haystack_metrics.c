/* haystack_metrics.c — Haystack 1.x per-query document metrics (see haystack_metrics.h).
 * Gold ids go into a string table so each retrieved id is checked in constant time. */
#include "needle/haystack_metrics.h"
#include "needle/strtab.h"

#include <math.h>
#include <string.h>

int haystack_doc_metrics_compute(const char *const *retrieved, size_t n_retrieved, const char *const *gold,
                                 size_t n_gold, haystack_doc_metrics *out) {
    memset(out, 0, sizeof *out);
    strtab set;
    strtab_init(&set);
    int rc = 0;
    uint32_t id;
    for (size_t i = 0; i < n_gold && !rc; i++) rc = strtab_intern(&set, gold[i], strlen(gold[i]), &id, NULL);
    if (rc) {
        strtab_free(&set);
        return rc;
    }
    size_t num_relevants = set.count, hits = 0;
    double ap = 0, dcg = 0;
    for (size_t i = 0; i < n_retrieved; i++) {
        if (!strtab_find(&set, retrieved[i], strlen(retrieved[i]), &id)) continue;
        size_t rank = i + 1;
        hits++;
        ap += (double)hits / (double)rank;
        dcg += 1.0 / log2((double)rank + 1.0);
        if (hits == 1) out->mrr = 1.0 / (double)rank;
    }
    strtab_free(&set);
    out->recall_single_hit = hits ? 1.0 : 0.0;
    out->precision = n_retrieved ? (double)hits / (double)n_retrieved : 0.0;
    if (num_relevants) {
        double idcg = 0;
        for (size_t r = 1; r <= num_relevants; r++) idcg += 1.0 / log2((double)r + 1.0);
        out->recall_multi_hit = (double)hits / (double)num_relevants;
        out->map = ap / (double)num_relevants;
        out->ndcg = dcg / idcg;
    }
    return 0;
}

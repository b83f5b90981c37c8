/* join_documents.c — Haystack 1.x's JoinDocuments arithmetic (see join_documents.h).
 * Ids are interned in first-seen order, which is both the output order without sorting and
 * the tie order with it (a stable merge sort on the joined score). */
#include "needle/join_documents.h"
#include "needle/error.h"
#include "needle/strtab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int join_mode_parse(const char *name) {
    if (!strcmp(name, "concatenate")) return JOIN_CONCATENATE;
    if (!strcmp(name, "merge")) return JOIN_MERGE;
    if (!strcmp(name, "reciprocal_rank_fusion")) return JOIN_RRF;
    return -1;
}

const char *join_mode_name(join_mode m) {
    return m == JOIN_MERGE ? "merge" : m == JOIN_RRF ? "reciprocal_rank_fusion" : "concatenate";
}

/* Descending by score, NaN last; stable. */
static void sort_stable(join_result *a, join_result *tmp, size_t n) {
    if (n < 2) return;
    size_t h = n / 2;
    sort_stable(a, tmp, h);
    sort_stable(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        double x = a[i].score, y = a[j].score;
        int take_right = !isnan(y) && (isnan(x) || y > x);
        tmp[k++] = take_right ? a[j++] : a[i++];
    }
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int join_documents(const join_item *const *lists, const size_t *lens, size_t n_lists, join_mode mode,
                   const double *weights, int sort_by_score, size_t top_k, join_result **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    size_t total = 0;
    for (size_t l = 0; l < n_lists; l++) total += lens[l];
    if (!total) return 0;
    double wsum = 0;
    for (size_t l = 0; weights && l < n_lists; l++) wsum += weights[l];
    if (mode == JOIN_MERGE && weights && !(wsum > 0)) return error_set(NEEDLE_EINVAL, "join weights should sum to more than 0");
    strtab ids;
    strtab_init(&ids);
    join_result *res = malloc(total * sizeof *res), *tmp = malloc(total * sizeof *tmp);
    int rc = res && tmp ? 0 : error_set(NEEDLE_ENOMEM, "out of memory joining documents");
    size_t n = 0;
    for (size_t l = 0; l < n_lists && !rc; l++) {
        double w = mode != JOIN_MERGE ? 1.0 : weights ? weights[l] / wsum : 1.0 / (double)n_lists;
        for (size_t i = 0; i < lens[l] && !rc; i++) {
            const join_item *it = &lists[l][i];
            uint32_t id;
            int added;
            if ((rc = strtab_intern(&ids, it->id, strlen(it->id), &id, &added))) break;
            if (added) {
                res[n++] = (join_result){l, i, mode == JOIN_CONCATENATE ? NAN : 0.0};
            }
            join_result *r = &res[id];
            if (mode == JOIN_CONCATENATE) {
                if (!isnan(it->score) && (isnan(r->score) || it->score > r->score)) r->score = it->score;
            } else if (mode == JOIN_MERGE) {
                r->score += (isnan(it->score) ? 0.0 : it->score) * w;
            } else {
                r->score += 1.0 / (61.0 + (double)i);
            }
        }
    }
    strtab_free(&ids);
    if (rc) {
        free(res);
        free(tmp);
        return rc;
    }
    if (sort_by_score) sort_stable(res, tmp, n);
    free(tmp);
    if (top_k && n > top_k) n = top_k;
    *out = res;
    *n_out = n;
    return 0;
}

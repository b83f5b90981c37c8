/* vector_ref.c — test data and the brute-force double-precision reference for vector search
 * (see vector_ref.h). Deliberately the plainest code: score every row, sort, cut. */
#include "vector_ref.h"
#include "needle/rng.h"

#include <math.h>
#include <stdlib.h>

float *ref_mixture(size_t n, int dim, int clusters, double spread, uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    float *centres = malloc((size_t)clusters * dim * sizeof *centres), *v = malloc(n * dim * sizeof *v);
    for (size_t i = 0; i < (size_t)clusters * dim; i++) centres[i] = (float)rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        const float *c = centres + rng_below(&r, (uint64_t)clusters) * dim;
        for (int j = 0; j < dim; j++) v[i * dim + j] = c[j] + (float)(spread * rng_normal(&r));
    }
    free(centres);
    return v;
}

float *ref_small_ints(size_t n, int dim, uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    float *v = malloc(n * dim * sizeof *v);
    for (size_t i = 0; i < n * dim; i++) v[i] = (float)((int)rng_below(&r, 7) - 3);
    return v;
}

double ref_score(const float *a, const float *b, int dim, vector_metric metric) {
    double dot = 0, na = 0, nb = 0;
    for (int j = 0; j < dim; j++) {
        dot += (double)a[j] * b[j];
        na += (double)a[j] * a[j];
        nb += (double)b[j] * b[j];
    }
    if (metric == VECTOR_IP) return dot;
    return na > 0 && nb > 0 ? dot / (sqrt(na) * sqrt(nb)) : 0.0;
}

typedef struct {
    double score;
    int64_t id;
} scored;

static int by_rank(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

void ref_topk(const float *corpus, size_t n, int dim, const int64_t *ids, const float *query, int k,
              vector_metric metric, const vector_filter *filter, int64_t *out_ids, double *out_scores) {
    scored *all = malloc((n ? n : 1) * sizeof *all);
    size_t m = 0;
    for (size_t r = 0; r < n; r++) {
        int64_t id = ids ? ids[r] : (int64_t)r;
        if (!vector_filter_allows(filter, id)) continue;
        all[m++] = (scored){ref_score(corpus + r * dim, query, dim, metric), id};
    }
    qsort(all, m, sizeof *all, by_rank);
    for (int i = 0; i < k; i++) {
        out_ids[i] = (size_t)i < m ? all[i].id : -1;
        if (out_scores) out_scores[i] = (size_t)i < m ? all[i].score : -INFINITY;
    }
    free(all);
}

double ref_recall(const int64_t *found, const int64_t *truth, size_t nq, int k) {
    double total = 0;
    for (size_t q = 0; q < nq; q++) {
        int hit = 0, want = 0;
        for (int i = 0; i < k; i++) {
            if (truth[q * k + i] < 0) continue;
            want++;
            for (int j = 0; j < k; j++)
                if (found[q * k + j] == truth[q * k + i]) {
                    hit++;
                    break;
                }
        }
        total += want ? (double)hit / want : 1.0;
    }
    return nq ? total / (double)nq : 1.0;
}

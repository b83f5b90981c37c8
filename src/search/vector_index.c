/* vector_index.c — the one interface over exact and HNSW indexes (see include/needle/
 * vector_index.h): configuration, adding vectors and batch search. Cosine is turned into inner
 * product here, once, by normalising the index's own copy of each vector as it is added (no
 * temporary copy of a large batch) and a copy of the queries as they arrive, so
 * both engines only ever compute inner products. */
#include "vector_index_impl.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

void vector_index_config_default(vector_index_config *cfg, vector_kind kind, vector_metric metric, int dim) {
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->metric = metric;
    cfg->dim = dim;
    cfg->M = 16;
    cfg->ef_construction = 200;
    cfg->ef_search = 64;
    cfg->seed = 42;
}

int vector_index_check_config(const vector_index_config *cfg, const char *origin) {
    if (cfg->kind != VECTOR_EXACT && cfg->kind != VECTOR_HNSW)
        return error_set(NEEDLE_EINVAL, "%s: unknown index kind %d (0 exact, 1 hnsw)", origin, (int)cfg->kind);
    if (cfg->metric != VECTOR_IP && cfg->metric != VECTOR_COSINE)
        return error_set(NEEDLE_EINVAL, "%s: unknown metric %d (0 inner product, 1 cosine)", origin, (int)cfg->metric);
    if (cfg->dim <= 0 || cfg->dim > 65536)
        return error_set(NEEDLE_EINVAL, "%s: dimension %d out of range 1..65536", origin, cfg->dim);
    if (cfg->kind == VECTOR_HNSW && (cfg->M < 2 || cfg->M > 512 || cfg->ef_construction < 1 || cfg->ef_search < 1))
        return error_set(NEEDLE_EINVAL, "%s: HNSW needs M in 2..512 (got %d), efConstruction >= 1 (got %d), efSearch >= 1 (got %d)",
                         origin, cfg->M, cfg->ef_construction, cfg->ef_search);
    return 0;
}

int vector_index_create(const vector_index_config *cfg, vector_index **out) {
    *out = NULL;
    int rc = vector_index_check_config(cfg, "vector index");
    if (rc) return rc;
    vector_index *ix = calloc(1, sizeof *ix);
    if (!ix) return error_set(NEEDLE_ENOMEM, "vector index: out of memory");
    ix->cfg = *cfg;
    if (cfg->kind == VECTOR_HNSW && (rc = hnsw_init(&ix->graph, cfg->dim, cfg->M, cfg->ef_construction, cfg->seed))) {
        free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

void vector_index_free(vector_index *ix) {
    if (!ix) return;
    if (ix->cfg.kind == VECTOR_HNSW) hnsw_release(&ix->graph);
    free(ix->ids);
    free(ix->vectors);
    free(ix);
}

int vector_index_reserve(vector_index *ix, size_t cap) {
    if (cap <= ix->cap) return 0;
    float *v = realloc(ix->vectors, cap * (size_t)ix->cfg.dim * sizeof *v);
    if (!v) goto oom;
    ix->vectors = v;
    int64_t *ids = realloc(ix->ids, cap * sizeof *ids);
    if (!ids) goto oom;
    ix->ids = ids;
    ix->cap = cap;
    return 0;
oom:
    return error_set(NEEDLE_ENOMEM, "vector index: out of memory for %zu vectors of dimension %d", cap, ix->cfg.dim);
}

size_t vector_index_count(const vector_index *ix) { return ix->cfg.kind == VECTOR_HNSW ? ix->graph.n : ix->n; }

const vector_index_config *vector_index_info(const vector_index *ix) { return &ix->cfg; }

int vector_index_set_ef_search(vector_index *ix, int ef_search) {
    if (ef_search < 1) return error_set(NEEDLE_EINVAL, "vector index: efSearch %d must be >= 1", ef_search);
    ix->cfg.ef_search = ef_search;
    return 0;
}

void vector_index_set_threads(vector_index *ix, int threads) { ix->cfg.threads = threads > 0 ? threads : 0; }

int vector_index_add(vector_index *ix, const float *vectors, const int64_t *ids, size_t n) {
    int cosine = ix->cfg.metric == VECTOR_COSINE;
    if (ix->cfg.kind == VECTOR_HNSW) return hnsw_add(&ix->graph, vectors, ids, n, cosine, ix->cfg.threads);
    int rc = vector_index_reserve(ix, ix->n + n > 2 * ix->cap ? ix->n + n : 2 * ix->cap);
    if (rc) return rc;
    size_t dim = (size_t)ix->cfg.dim;
    float *rows = ix->vectors + ix->n * dim;
    memcpy(rows, vectors, n * dim * sizeof *rows);
    if (cosine) vector_normalize(rows, n, ix->cfg.dim);
    for (size_t i = 0; i < n; i++) ix->ids[ix->n + i] = ids ? ids[i] : (int64_t)(ix->n + i);
    ix->n += n;
    return 0;
}

int vector_index_search(const vector_index *ix, const float *queries, size_t nq, int k, const vector_filter *filter,
                        int64_t *out_ids, float *out_scores) {
    if (k <= 0) return error_set(NEEDLE_EINVAL, "vector index: k %d must be positive", k);
    const float *q = queries;
    float *copy = NULL;
    int rc = 0;
    if (ix->cfg.metric == VECTOR_COSINE && nq) {
        size_t bytes = nq * (size_t)ix->cfg.dim * sizeof(float);
        if (!(copy = malloc(bytes))) return error_set(NEEDLE_ENOMEM, "vector index: out of memory normalising %zu queries", nq);
        memcpy(copy, queries, bytes);
        vector_normalize(copy, nq, ix->cfg.dim);
        q = copy;
    }
    if (ix->cfg.kind == VECTOR_HNSW) {
        rc = hnsw_search(&ix->graph, q, nq, k, ix->cfg.ef_search, filter, out_ids, out_scores, ix->cfg.threads);
    } else {
        int saved = omp_get_max_threads();
        if (ix->cfg.threads > 0) omp_set_num_threads(ix->cfg.threads);
        rc = vector_exact_search(ix->vectors, ix->n, ix->cfg.dim, ix->ids, q, nq, k, VECTOR_IP, filter, out_ids,
                                 out_scores);
        omp_set_num_threads(saved);
    }
    free(copy);
    return rc;
}

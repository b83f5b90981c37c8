/* vector_exact.c — exact top-k search by inner product or cosine through BLAS.
 *
 * Queries are taken in blocks of EXACT_QUERY_BLOCK and the corpus in blocks of
 * EXACT_CORPUS_BLOCK; each pair of blocks is one cblas_sgemm into a score tile that stays in
 * the cache, then every query row of the tile is scanned into that query's top-k heap by one
 * thread. Scanning goes 16 scores at a time and only looks closer at a chunk whose maximum can
 * enter the heap, so for k << n the scan costs a fraction of the matrix product. Cosine divides
 * the tile by the row norms instead of normalising a copy of the corpus, and a filter is
 * evaluated once per corpus row into a byte mask, not once per (query, row) pair. */
#include "needle/vector_index.h"
#include "needle/error.h"
#include "needle/topk.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_QUERY_BLOCK 256
#define EXACT_CORPUS_BLOCK 2048
#define SCAN_CHUNK 16

void vector_normalize(float *rows, size_t n, int dim) {
#pragma omp parallel for schedule(static) if (n > 1024)
    for (size_t i = 0; i < n; i++) {
        float *r = rows + i * (size_t)dim;
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += (double)r[j] * r[j];
        if (ss == 0) continue;
        float inv = (float)(1.0 / sqrt(ss));
        for (int j = 0; j < dim; j++) r[j] *= inv;
    }
}

/* 1/||row|| for each row (0 for a zero row), so that scores of zero vectors come out 0. */
static float *inverse_norms(const float *rows, size_t n, int dim) {
    float *inv = malloc((n ? n : 1) * sizeof *inv);
    if (!inv) return NULL;
#pragma omp parallel for schedule(static) if (n > 1024)
    for (size_t i = 0; i < n; i++) {
        const float *r = rows + i * (size_t)dim;
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += (double)r[j] * r[j];
        inv[i] = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    }
    return inv;
}

/* Offer scores s[0..cb) of corpus rows c0.. to heap t. */
static void scan_row(topk *t, const float *s, size_t cb, size_t c0, const int64_t *ids, const unsigned char *mask) {
    size_t j = 0;
    while (j < cb) {
        size_t end = j + SCAN_CHUNK <= cb ? j + SCAN_CHUNK : cb;
        if (t->n == t->k) {
            float m = -INFINITY;
#pragma omp simd reduction(max : m)
            for (size_t x = j; x < end; x++) m = s[x] > m ? s[x] : m;
            if (m < t->e[0].score) {
                j = end;
                continue;
            }
        }
        for (; j < end; j++) {
            size_t r = c0 + j;
            if (mask && !mask[r]) continue;
            int64_t id = ids ? ids[r] : (int64_t)r;
            if (topk_accepts(t, s[j], id)) topk_push(t, s[j], id);
        }
    }
}

int vector_exact_search(const float *corpus, size_t n, int dim, const int64_t *ids, const float *queries,
                        size_t nq, int k, vector_metric metric, const vector_filter *filter, int64_t *out_ids,
                        float *out_scores) {
    if (dim <= 0 || k <= 0) return error_set(NEEDLE_EINVAL, "exact vector search: dim %d and k %d must be positive", dim, k);
    if (metric != VECTOR_IP && metric != VECTOR_COSINE)
        return error_set(NEEDLE_EINVAL, "exact vector search: unknown metric %d", (int)metric);
    if (nq == 0) return 0;
    int rc = 0;
    size_t qblock = nq < EXACT_QUERY_BLOCK ? nq : EXACT_QUERY_BLOCK;
    size_t cblock = n < EXACT_CORPUS_BLOCK ? (n ? n : 1) : EXACT_CORPUS_BLOCK;
    float *tile = malloc(qblock * cblock * sizeof *tile);
    topk_entry *heap_buf = malloc(qblock * (size_t)k * sizeof *heap_buf);
    topk *heaps = malloc(qblock * sizeof *heaps);
    float *corpus_inv = NULL, *query_inv = NULL;
    unsigned char *mask = NULL;
    if (!tile || !heap_buf || !heaps) goto oom;
    if (metric == VECTOR_COSINE) {
        corpus_inv = inverse_norms(corpus, n, dim);
        query_inv = inverse_norms(queries, nq, dim);
        if (!corpus_inv || !query_inv) goto oom;
    }
    if (filter) {
        mask = malloc(n ? n : 1);
        if (!mask) goto oom;
#pragma omp parallel for schedule(static) if (n > 4096)
        for (size_t r = 0; r < n; r++) mask[r] = (unsigned char)vector_filter_allows(filter, ids ? ids[r] : (int64_t)r);
    }

    for (size_t q0 = 0; q0 < nq; q0 += qblock) {
        size_t qb = nq - q0 < qblock ? nq - q0 : qblock;
        for (size_t i = 0; i < qb; i++) topk_init(&heaps[i], heap_buf + i * (size_t)k, (size_t)k);
        for (size_t c0 = 0; c0 < n; c0 += cblock) {
            size_t cb = n - c0 < cblock ? n - c0 : cblock;
            const float *q = queries + q0 * (size_t)dim, *c = corpus + c0 * (size_t)dim;
            if (qb == 1)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)cb, dim, 1.0f, c, dim, q, 1, 0.0f, tile, 1);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)qb, (int)cb, dim, 1.0f, q, dim, c, dim, 0.0f,
                            tile, (int)cb);
#pragma omp parallel for schedule(static) if (qb > 1)
            for (size_t i = 0; i < qb; i++) {
                float *s = tile + i * cb;
                if (corpus_inv) {
                    float qi = query_inv[q0 + i];
                    for (size_t j = 0; j < cb; j++) s[j] *= qi * corpus_inv[c0 + j];
                }
                scan_row(&heaps[i], s, cb, c0, ids, mask);
            }
        }
        for (size_t i = 0; i < qb; i++)
            topk_emit(&heaps[i], out_ids + (q0 + i) * (size_t)k, out_scores ? out_scores + (q0 + i) * (size_t)k : NULL);
    }
    goto done;
oom:
    rc = error_set(NEEDLE_ENOMEM, "exact vector search: out of memory (%zu queries, %zu rows, k %d)", nq, n, k);
done:
    free(tile);
    free(heap_buf);
    free(heaps);
    free(corpus_inv);
    free(query_inv);
    free(mask);
    return rc;
}

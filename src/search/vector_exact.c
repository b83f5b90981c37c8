/* vector_exact.c — exact top-k search by inner product or cosine through a BLAS matrix product.
 *
 * Queries are taken in blocks of EXACT_QUERY_BLOCK. For each block the corpus is split into
 * one contiguous range per thread; each thread multiplies the query block by its range, a
 * EXACT_CORPUS_BLOCK of rows at a time, into its own score tile (small enough to stay in its
 * core's cache), and scans the tile straight into its own per-query top-k heaps. The threads'
 * heaps are then merged per query. So there is no serial phase and no synchronisation inside
 * the block, and the same code serves one query (each thread scans part of the corpus, with
 * cblas_sgemv) or 10k. The products go through the project's sgemm (kernels.h: cblas_sgemm's
 * contract, an AVX-512 micro-kernel because Debian's OpenBLAS runs SSE3 kernels on recent
 * Xeons, OpenBLAS itself elsewhere), which runs on the calling thread inside this parallel
 * region. Scanning goes 16 scores at a time and only looks closer at a chunk whose maximum
 * can enter the heap, so for k << n it costs a fraction of the products. Cosine divides the
 * tile by the row norms instead of normalising a copy of the corpus, and a filter is
 * evaluated once per corpus row into a byte mask, not once per (query, row) pair. */
#include "needle/vector_index.h"
#include "needle/error.h"
#include "needle/kernels.h"
#include "needle/topk.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_QUERY_BLOCK 512
#define EXACT_CORPUS_BLOCK 1024
#define EXACT_MIN_ROWS_PER_THREAD 4096
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

typedef struct {
    const float *corpus, *queries;
    size_t n;
    int dim, k;
    const int64_t *ids;
    const float *corpus_inv, *query_inv;
    const unsigned char *mask;
} exact_job;

/* One thread's share of a query block: rows [lo, hi) against queries [q0, q0 + qb), into
 * heaps[0..qb). */
static void search_range(const exact_job *j, size_t q0, size_t qb, size_t lo, size_t hi, float *tile, topk *heaps) {
    size_t dim = (size_t)j->dim;
    const float *q = j->queries + q0 * dim;
    for (size_t c0 = lo; c0 < hi; c0 += EXACT_CORPUS_BLOCK) {
        size_t cb = hi - c0 < EXACT_CORPUS_BLOCK ? hi - c0 : EXACT_CORPUS_BLOCK;
        const float *c = j->corpus + c0 * dim;
        if (qb == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)cb, j->dim, 1.0f, c, j->dim, q, 1, 0.0f, tile, 1);
        else
            gemm(0, 1, (int)qb, (int)cb, j->dim, 1.0f, q, j->dim, c, j->dim, 0.0f, tile, (int)cb);
        for (size_t i = 0; i < qb; i++) {
            float *s = tile + i * cb;
            if (j->corpus_inv) {
                float qi = j->query_inv[q0 + i];
                for (size_t x = 0; x < cb; x++) s[x] *= qi * j->corpus_inv[c0 + x];
            }
            scan_row(&heaps[i], s, cb, c0, j->ids, j->mask);
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
    int rc = 0, nt = omp_get_max_threads();
    if ((size_t)nt > n / EXACT_MIN_ROWS_PER_THREAD) nt = n / EXACT_MIN_ROWS_PER_THREAD ? (int)(n / EXACT_MIN_ROWS_PER_THREAD) : 1;
    size_t qblock = nq < EXACT_QUERY_BLOCK ? nq : EXACT_QUERY_BLOCK, kk = (size_t)k;
    float *tiles = malloc((size_t)nt * qblock * EXACT_CORPUS_BLOCK * sizeof *tiles);
    topk_entry *heap_buf = malloc((size_t)nt * qblock * kk * sizeof *heap_buf);
    topk *heaps = malloc((size_t)nt * qblock * sizeof *heaps);
    float *corpus_inv = NULL, *query_inv = NULL;
    unsigned char *mask = NULL;
    if (!tiles || !heap_buf || !heaps) goto oom;
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
    exact_job job = {corpus, queries, n, dim, k, ids, corpus_inv, query_inv, mask};

    for (size_t q0 = 0; q0 < nq; q0 += qblock) {
        size_t qb = nq - q0 < qblock ? nq - q0 : qblock;
#pragma omp parallel num_threads(nt)
        {
            /* the team may be smaller than asked (nested in another parallel region) */
            size_t t = (size_t)omp_get_thread_num(), team = (size_t)omp_get_num_threads();
            topk *mine = heaps + t * qblock;
            for (size_t i = 0; i < qb; i++) topk_init(&mine[i], heap_buf + (t * qblock + i) * kk, kk);
            search_range(&job, q0, qb, n * t / team, n * (t + 1) / team, tiles + t * qblock * EXACT_CORPUS_BLOCK, mine);
#pragma omp barrier
#pragma omp for schedule(static)
            for (size_t i = 0; i < qb; i++) {
                for (size_t u = 1; u < team; u++) {
                    const topk *other = &heaps[(size_t)u * qblock + i];
                    for (size_t e = 0; e < other->n; e++) topk_push(&heaps[i], other->e[e].score, other->e[e].id);
                }
                topk_emit(&heaps[i], out_ids + (q0 + i) * kk, out_scores ? out_scores + (q0 + i) * kk : NULL);
            }
        }
    }
    goto done;
oom:
    rc = error_set(NEEDLE_ENOMEM, "exact vector search: out of memory (%zu queries, %zu rows, k %d)", nq, n, k);
done:
    free(tiles);
    free(heap_buf);
    free(heaps);
    free(corpus_inv);
    free(query_inv);
    free(mask);
    return rc;
}

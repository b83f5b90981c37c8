/* test_vector_exact.c — exact BLAS search against brute force in double precision: exact ids
 * and tie order on small-integer data (where float is exact), scores within rounding on
 * Gaussian data, across several query and corpus blocks, with ids, filters and cosine. */
#include "../test.h"
#include "needle/vector_index.h"
#include "vector_ref.h"

#include <omp.h>
#include <stdlib.h>

/* Every rank's score matches the reference's score at that rank, and the returned id's own
 * reference score equals it too (so near-ties may swap but nothing else may). */
static void check_against_ref(const float *corpus, size_t n, int dim, const int64_t *ids, const float *queries,
                              size_t nq, int k, vector_metric metric, const vector_filter *filter,
                              const int64_t *got_ids, const float *got_scores, double tol) {
    int64_t *ref_ids = malloc(k * sizeof *ref_ids);
    double *ref_scores = malloc(k * sizeof *ref_scores);
    int bad = 0;
    for (size_t q = 0; q < nq && bad < 5; q++) {
        const float *qv = queries + q * dim;
        ref_topk(corpus, n, dim, ids, qv, k, metric, filter, ref_ids, ref_scores);
        for (int i = 0; i < k; i++) {
            int64_t id = got_ids[q * k + i];
            if (ref_ids[i] < 0) {
                if (id != -1) bad++, test_fail(__FILE__, __LINE__, "query %zu rank %d: id %lld, expected padding", q, i, (long long)id);
                continue;
            }
            if (fabs(got_scores[q * k + i] - ref_scores[i]) > tol * (1 + fabs(ref_scores[i]))) {
                bad++;
                test_fail(__FILE__, __LINE__, "query %zu rank %d: score %.9g, reference %.9g", q, i, got_scores[q * k + i], ref_scores[i]);
            }
            size_t row = 0;
            while (row < n && (ids ? ids[row] : (int64_t)row) != id) row++;
            if (row == n || !vector_filter_allows(filter, id) ||
                fabs(ref_score(corpus + row * dim, qv, dim, metric) - ref_scores[i]) > tol * (1 + fabs(ref_scores[i]))) {
                bad++;
                test_fail(__FILE__, __LINE__, "query %zu rank %d: id %lld is not a rank-%d result", q, i, (long long)id, i);
            }
        }
    }
    free(ref_ids);
    free(ref_scores);
}

TEST(exact_search_ties_go_to_lower_id) {
    enum { N = 2600, NQ = 300, DIM = 8, K = 12 };
    float *corpus = ref_small_ints(N, DIM, 1), *queries = ref_small_ints(NQ, DIM, 2);
    int64_t ids[N];
    for (int r = 0; r < N; r++) ids[r] = 5000 - 3 * (int64_t)r; /* id order is the reverse of row order */
    int64_t *got = malloc(NQ * K * sizeof *got), ref_ids[K];
    float *scores = malloc(NQ * K * sizeof *scores);
    double ref_scores[K];
    CHECK_OK(vector_exact_search(corpus, N, DIM, ids, queries, NQ, K, VECTOR_IP, NULL, got, scores));
    int bad = 0;
    for (int q = 0; q < NQ && bad < 5; q++) {
        ref_topk(corpus, N, DIM, ids, queries + q * DIM, K, VECTOR_IP, NULL, ref_ids, ref_scores);
        for (int i = 0; i < K; i++)
            if (got[q * K + i] != ref_ids[i] || scores[q * K + i] != ref_scores[i]) {
                bad++;
                test_fail(__FILE__, __LINE__, "query %d rank %d: (%lld, %g), expected (%lld, %g)", q, i,
                          (long long)got[q * K + i], scores[q * K + i], (long long)ref_ids[i], ref_scores[i]);
            }
    }
    free(corpus);
    free(got);
    free(scores);
}

TEST(exact_search_matches_reference_ip_and_cosine) {
    enum { N = 4500, NQ = 261, DIM = 40, K = 9 };
    float *corpus = ref_mixture(N + NQ, DIM, 30, 0.7, 3), *queries = corpus + N * DIM; /* one mixture */
    for (int j = 0; j < DIM; j++) corpus[17 * DIM + j] = 0; /* a zero row scores 0 under cosine */
    int64_t *got = malloc(NQ * K * sizeof *got);
    float *scores = malloc(NQ * K * sizeof *scores);
    for (int m = 0; m < 2; m++) {
        vector_metric metric = m ? VECTOR_COSINE : VECTOR_IP;
        CHECK_OK(vector_exact_search(corpus, N, DIM, NULL, queries, NQ, K, metric, NULL, got, scores));
        check_against_ref(corpus, N, DIM, NULL, queries, NQ, K, metric, NULL, got, scores, 2e-5);
        /* one query at a time takes the matrix-vector path */
        CHECK_OK(vector_exact_search(corpus, N, DIM, NULL, queries + 5 * DIM, 1, K, metric, NULL, got, scores));
        check_against_ref(corpus, N, DIM, NULL, queries + 5 * DIM, 1, K, metric, NULL, got, scores, 2e-5);
    }
    free(corpus);
    free(got);
    free(scores);
}

TEST(exact_search_merges_thread_partitions) {
    /* enough rows that three threads each take a part of the corpus, whose heaps are merged */
    enum { N = 3 * 4096 + 77, NQ = 21, DIM = 16, K = 10 };
    float *corpus = ref_small_ints(N + NQ, DIM, 7), *queries = corpus + N * DIM;
    int64_t got[NQ * K], ref_ids[K];
    float scores[NQ * K];
    double ref_scores[K];
    int saved = omp_get_max_threads();
    for (int threads = 1; threads <= 3; threads++) {
        omp_set_num_threads(threads);
        for (int nq = 1; nq <= NQ; nq += NQ - 1) {
            CHECK_OK(vector_exact_search(corpus, N, DIM, NULL, queries, nq, K, VECTOR_IP, NULL, got, scores));
            for (int q = 0; q < nq; q++) {
                ref_topk(corpus, N, DIM, NULL, queries + q * DIM, K, VECTOR_IP, NULL, ref_ids, ref_scores);
                for (int i = 0; i < K; i++) {
                    CHECK_INT(got[q * K + i], ref_ids[i]);
                    CHECK(scores[q * K + i] == ref_scores[i]);
                }
            }
        }
    }
    /* called from inside a parallel region, the search gets a team of one and must still
     * cover the whole corpus */
    omp_set_num_threads(3);
    int64_t nested[2][K];
#pragma omp parallel num_threads(2)
    {
        int t = omp_get_thread_num();
        vector_exact_search(corpus, N, DIM, NULL, queries + t * DIM, 1, K, VECTOR_IP, NULL, nested[t], NULL);
    }
    for (int t = 0; t < 2; t++) {
        ref_topk(corpus, N, DIM, NULL, queries + t * DIM, K, VECTOR_IP, NULL, ref_ids, ref_scores);
        for (int i = 0; i < K; i++) CHECK_INT(nested[t][i], ref_ids[i]);
    }
    omp_set_num_threads(saved);
    free(corpus);
}

static int multiple_of_seven(int64_t id, void *ctx) {
    (void)ctx;
    return id % 7 == 0;
}

TEST(exact_search_filters_and_pads) {
    enum { N = 3000, NQ = 40, DIM = 24, K = 10 };
    float *corpus = ref_mixture(N + NQ, DIM, 10, 0.5, 5), *queries = corpus + N * DIM; /* one mixture */
    int64_t ids[N];
    for (int r = 0; r < N; r++) ids[r] = 100 + r;
    uint64_t bits[(N + 200) / 64] = {0};
    for (int64_t id = 100; id < 100 + N; id += 2) bits[id >> 6] |= 1ull << (id & 63);
    vector_filter f = {bits, (N + 200) / 64 * 64, multiple_of_seven, NULL};
    int64_t got[NQ * K];
    float scores[NQ * K];
    CHECK_OK(vector_exact_search(corpus, N, DIM, ids, queries, NQ, K, VECTOR_IP, &f, got, scores));
    check_against_ref(corpus, N, DIM, ids, queries, NQ, K, VECTOR_IP, &f, got, scores, 2e-5);
    for (int i = 0; i < NQ * K; i++) CHECK(got[i] % 14 == 0);

    /* only three allowed ids: they come first, the rest is padding */
    uint64_t few[(N + 200) / 64] = {0};
    int64_t allowed[3] = {101, 2000, 3099};
    for (int i = 0; i < 3; i++) few[allowed[i] >> 6] |= 1ull << (allowed[i] & 63);
    vector_filter g = {few, (N + 200) / 64 * 64, NULL, NULL};
    CHECK_OK(vector_exact_search(corpus, N, DIM, ids, queries, NQ, K, VECTOR_COSINE, &g, got, scores));
    check_against_ref(corpus, N, DIM, ids, queries, NQ, K, VECTOR_COSINE, &g, got, scores, 2e-5);
    CHECK_INT(got[3], -1);
    CHECK(isinf(scores[K - 1]));

    /* k larger than the corpus */
    int64_t many[20];
    CHECK_OK(vector_exact_search(corpus, 5, DIM, NULL, queries, 1, 20, VECTOR_IP, NULL, many, NULL));
    CHECK(many[4] >= 0 && many[5] == -1 && many[19] == -1);
    CHECK_ERR(vector_exact_search(corpus, N, DIM, NULL, queries, 1, 0, VECTOR_IP, NULL, many, NULL), NEEDLE_EINVAL, "k 0");
    free(corpus);
}

TEST(vector_normalize_gives_unit_rows) {
    float v[3 * 4] = {3, 4, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    vector_normalize(v, 3, 4);
    CHECK_NEAR(v[0], 0.6, 1e-7);
    CHECK_NEAR(v[1], 0.8, 1e-7);
    CHECK(v[4] == 0 && v[7] == 0);
    CHECK_NEAR(v[8], 0.5, 1e-7);
}

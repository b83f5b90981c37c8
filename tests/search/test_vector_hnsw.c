/* test_vector_hnsw.c — HNSW against brute force in double precision: recall@10 on clustered
 * data, filtered search (only allowed ids, high recall against exact filtered search, k results
 * whenever k are allowed), cosine, one-thread determinism, and a valid graph after a parallel
 * build (link counts within capacity, no self or duplicate links, every node reachable). */
#include "../test.h"
#include "needle/vector_index.h"
#include "search/vector_index_impl.h"
#include "vector_ref.h"

#include <stdlib.h>

static vector_index *build(const float *v, size_t n, int dim, vector_metric metric, int M, int efc, int threads,
                           uint64_t seed) {
    vector_index_config cfg;
    vector_index_config_default(&cfg, VECTOR_HNSW, metric, dim);
    cfg.M = M;
    cfg.ef_construction = efc;
    cfg.threads = threads;
    cfg.seed = seed;
    vector_index *ix = NULL;
    CHECK_OK(vector_index_create(&cfg, &ix));
    if (ix) CHECK_OK(vector_index_add(ix, v, NULL, n));
    return ix;
}

static int64_t *truth_of(const float *corpus, size_t n, int dim, const float *queries, size_t nq, int k,
                         vector_metric metric, const vector_filter *f) {
    int64_t *t = malloc(nq * k * sizeof *t);
    for (size_t q = 0; q < nq; q++) ref_topk(corpus, n, dim, NULL, queries + q * dim, k, metric, f, t + q * k, NULL);
    return t;
}

/* Mean recall@10 of an index against the reference, and every score checked against it. */
static double recall_of(vector_index *ix, const float *corpus, size_t n, int dim, const float *queries, size_t nq,
                        vector_metric metric) {
    enum { K = 10 };
    int64_t *got = malloc(nq * K * sizeof *got), *truth = truth_of(corpus, n, dim, queries, nq, K, metric, NULL);
    float *scores = malloc(nq * K * sizeof *scores);
    CHECK_OK(vector_index_search(ix, queries, nq, K, NULL, got, scores));
    double recall = ref_recall(got, truth, nq, K);
    int bad = 0;
    for (size_t q = 0; q < nq; q++)
        for (int i = 0; i < K && bad < 5; i++) {
            double want = ref_score(corpus + got[q * K + i] * dim, queries + q * dim, dim, metric);
            if (fabs(scores[q * K + i] - want) > 1e-4 * (1 + fabs(want)))
                bad++, test_fail(__FILE__, __LINE__, "query %zu rank %d: score %g, reference %g", q, i, scores[q * K + i], want);
        }
    free(got);
    free(truth);
    free(scores);
    return recall;
}

/* Link lists within capacity, no self, duplicate or dangling links, the entry point on the
 * top layer; returns how many nodes layer 0 reaches from the entry point. */
static size_t check_graph(const hnsw *h) {
    int bad = 0;
    for (size_t i = 0; i < h->n && bad < 5; i++)
        for (int l = 0; l <= h->levels[i]; l++) {
            const uint32_t *ln = hnsw_links(h, i, l);
            if (ln[0] > (uint32_t)(l ? h->M : h->M0)) bad++, test_fail(__FILE__, __LINE__, "node %zu layer %d: %u links", i, l, ln[0]);
            for (uint32_t a = 1; a <= ln[0]; a++) {
                if (ln[a] == i || ln[a] >= h->n || h->levels[ln[a]] < l) bad++, test_fail(__FILE__, __LINE__, "node %zu: bad link %u", i, ln[a]);
                for (uint32_t b = a + 1; b <= ln[0]; b++)
                    if (ln[a] == ln[b]) bad++, test_fail(__FILE__, __LINE__, "node %zu: duplicate link %u", i, ln[a]);
            }
        }
    CHECK_INT(h->levels[h->entry], h->max_level);
    unsigned char *seen = calloc(h->n, 1);
    uint32_t *stack = malloc(h->n * sizeof *stack);
    size_t top = 0, reached = 0;
    stack[top++] = (uint32_t)h->entry;
    seen[h->entry] = 1;
    while (top) {
        uint32_t u = stack[--top];
        reached++;
        const uint32_t *ln = hnsw_links(h, u, 0);
        for (uint32_t a = 1; a <= ln[0]; a++)
            if (!seen[ln[a]]) seen[ln[a]] = 1, stack[top++] = ln[a];
    }
    free(seen);
    free(stack);
    return reached;
}

TEST(hnsw_recall_at_10_on_20k_by_64) {
    enum { N = 20000, NQ = 200, DIM = 64 };
    float *corpus = ref_mixture(N + NQ, DIM, 100, 1.25, 11), *queries = corpus + N * DIM; /* recall ~0.99 at ef 64 */
    vector_index *ix = build(corpus, N, DIM, VECTOR_COSINE, 16, 100, 0, 42);
    CHECK_OK(vector_index_set_ef_search(ix, 64));
    double recall = recall_of(ix, corpus, N, DIM, queries, NQ, VECTOR_COSINE);
    fprintf(stderr, "(recall@10 %.4f at ef 64) ", recall);
    CHECK(recall >= 0.95);
    /* HNSW's pruning can strand the odd node on layer 0 (hnswlib's too); it must stay rare */
    size_t reached = check_graph(&ix->graph);
    if (reached < N - N / 1000) test_fail(__FILE__, __LINE__, "layer 0 reaches %zu of %d nodes", reached, N);
    free(corpus);
    vector_index_free(ix);
}

TEST(hnsw_inner_product_recall) {
    /* Inner product on vectors of varied length: short vectors are nobody's near neighbour
     * (and never a top result), so only recall is asked for, not reachability. */
    enum { N = 6000, NQ = 100, DIM = 32 };
    float *corpus = ref_mixture(N + NQ, DIM, 30, 0.6, 13), *queries = corpus + N * DIM;
    vector_index *ix = build(corpus, N, DIM, VECTOR_IP, 16, 100, 0, 42);
    double recall = recall_of(ix, corpus, N, DIM, queries, NQ, VECTOR_IP);
    fprintf(stderr, "(recall@10 %.4f) ", recall);
    CHECK(recall >= 0.95);
    check_graph(&ix->graph);
    free(corpus);
    vector_index_free(ix);
}

static int not_multiple_of_50(int64_t id, void *ctx) {
    (void)ctx;
    return id % 50 != 0;
}

static int multiple_of_100(int64_t id, void *ctx) {
    (void)ctx;
    return id % 100 == 0;
}

TEST(hnsw_filtered_search_returns_allowed_ids) {
    enum { N = 8000, NQ = 100, DIM = 32, K = 10 };
    float *corpus = ref_mixture(N + NQ, DIM, 40, 0.6, 21), *queries = corpus + N * DIM; /* one mixture */
    vector_index *ix = build(corpus, N, DIM, VECTOR_IP, 12, 80, 0, 1);
    int64_t got[NQ * K];
    uint64_t half[N / 64] = {0};
    for (int64_t id = 0; id < N; id += 2) half[id >> 6] |= 1ull << (id & 63);
    vector_filter filters[3] = {{half, N, NULL, NULL}, {NULL, 0, not_multiple_of_50, NULL}, {NULL, 0, multiple_of_100, NULL}};
    for (int f = 0; f < 3; f++) {
        int64_t *truth = truth_of(corpus, N, DIM, queries, NQ, K, VECTOR_IP, &filters[f]);
        CHECK_OK(vector_index_search(ix, queries, NQ, K, &filters[f], got, NULL));
        for (int i = 0; i < NQ * K; i++) CHECK(got[i] >= 0 && vector_filter_allows(&filters[f], got[i]));
        double recall = ref_recall(got, truth, NQ, K);
        fprintf(stderr, "(filter %d recall %.4f) ", f, recall);
        CHECK(recall >= 0.95);
        free(truth);
    }

    /* a walk of the graph under a filter keeps exploring until it holds ef allowed nodes */
    hnsw_ctx c;
    CHECK_OK(hnsw_ctx_begin(&ix->graph, &c, 20));
    for (int q = 0; q < 10; q++) {
        CHECK_OK(hnsw_search_layer(&ix->graph, &c, queries + q * DIM, (uint32_t)ix->graph.entry, 20, 0, &filters[2], 0));
        CHECK_INT(c.res.n, 20);
        for (size_t i = 0; i < c.res.n; i++) CHECK(c.res.e[i].id % 100 == 0);
    }
    hnsw_ctx_end(&ix->graph, &c);

    /* three allowed ids: exactly those, then padding */
    uint64_t few[N / 64] = {0};
    few[0] |= 1ull << 5;
    few[3000 >> 6] |= 1ull << (3000 & 63);
    few[7999 >> 6] |= 1ull << (7999 & 63);
    vector_filter g = {few, N, NULL, NULL};
    int64_t truth[K];
    CHECK_OK(vector_index_search(ix, queries, 1, K, &g, got, NULL));
    ref_topk(corpus, N, DIM, NULL, queries, K, VECTOR_IP, &g, truth, NULL);
    for (int i = 0; i < K; i++) CHECK_INT(got[i], truth[i]);
    CHECK_INT(got[3], -1);
    free(corpus);
    vector_index_free(ix);
}

TEST(hnsw_cosine_scores_normalised_vectors) {
    enum { N = 3000, NQ = 50, DIM = 24, K = 5 };
    float *corpus = ref_mixture(N + NQ, DIM, 20, 0.5, 31), *queries = corpus + N * DIM; /* one mixture */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < DIM; j++) corpus[i * DIM + j] *= (float)(1 + i % 13); /* lengths must not matter */
    vector_index *ix = build(corpus, N, DIM, VECTOR_COSINE, 16, 100, 0, 3);
    int64_t got[NQ * K], *truth = truth_of(corpus, N, DIM, queries, NQ, K, VECTOR_COSINE, NULL);
    float scores[NQ * K];
    CHECK_OK(vector_index_search(ix, queries, NQ, K, NULL, got, scores));
    CHECK(ref_recall(got, truth, NQ, K) >= 0.95);
    for (int q = 0; q < NQ; q++)
        for (int i = 0; i < K; i++)
            CHECK_NEAR(scores[q * K + i], ref_score(corpus + got[q * K + i] * DIM, queries + q * DIM, DIM, VECTOR_COSINE), 1e-5);
    free(truth);
    free(corpus);
    vector_index_free(ix);
}

/* The whole graph: levels, entry point and every link list. */
static int same_graph(const hnsw *a, const hnsw *b) {
    if (a->n != b->n || a->entry != b->entry || a->max_level != b->max_level) return 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->levels[i] != b->levels[i]) return 0;
        for (int l = 0; l <= a->levels[i]; l++) {
            const uint32_t *x = hnsw_links(a, i, l), *y = hnsw_links(b, i, l);
            if (memcmp(x, y, (1 + x[0]) * sizeof *x)) return 0;
        }
    }
    return 1;
}

TEST(hnsw_one_thread_build_is_deterministic) {
    enum { N = 3000, DIM = 16 };
    float *corpus = ref_mixture(N, DIM, 10, 0.5, 41);
    vector_index *a = build(corpus, N, DIM, VECTOR_IP, 8, 40, 1, 99), *b = build(corpus, N, DIM, VECTOR_IP, 8, 40, 1, 99);
    vector_index *c = build(corpus, N, DIM, VECTOR_IP, 8, 40, 1, 100);
    CHECK(same_graph(&a->graph, &b->graph));
    CHECK(!same_graph(&a->graph, &c->graph));
    /* adding in two batches gives the same graph as one batch */
    vector_index *d = build(corpus, N / 3, DIM, VECTOR_IP, 8, 40, 1, 99);
    CHECK_OK(vector_index_add(d, corpus + N / 3 * DIM, NULL, N - N / 3));
    CHECK(same_graph(&a->graph, &d->graph));
    vector_index_free(a);
    vector_index_free(b);
    vector_index_free(c);
    vector_index_free(d);
    free(corpus);
}

TEST(vector_index_exact_kind_matches_reference) {
    enum { N = 2500, NQ = 30, DIM = 20, K = 8 };
    float *corpus = ref_mixture(N + NQ, DIM, 10, 0.5, 51), *queries = corpus + N * DIM; /* one mixture */
    vector_index_config cfg;
    vector_index_config_default(&cfg, VECTOR_EXACT, VECTOR_COSINE, DIM);
    vector_index *ix;
    CHECK_OK(vector_index_create(&cfg, &ix));
    int64_t ids[N];
    for (int i = 0; i < N; i++) ids[i] = 7 * (int64_t)i + 1;
    CHECK_OK(vector_index_add(ix, corpus, ids, 1000));
    CHECK_OK(vector_index_add(ix, corpus + 1000 * DIM, ids + 1000, N - 1000));
    CHECK_INT(vector_index_count(ix), N);
    int64_t got[NQ * K], truth[K];
    float scores[NQ * K];
    double ref_scores[K];
    CHECK_OK(vector_index_search(ix, queries, NQ, K, NULL, got, scores));
    for (int q = 0; q < NQ; q++) {
        ref_topk(corpus, N, DIM, ids, queries + q * DIM, K, VECTOR_COSINE, NULL, truth, ref_scores);
        for (int i = 0; i < K; i++) {
            CHECK_INT(got[q * K + i], truth[i]);
            CHECK_NEAR(scores[q * K + i], ref_scores[i], 1e-5);
        }
    }
    vector_index_free(ix);
    free(corpus);
}

/* vector_index.h — dense vector search: exact (BLAS) and approximate (HNSW), by inner
 * product or cosine, with metadata filters, saved to and loaded from one file format.
 *
 * Two ways in:
 *
 *  1. vector_exact_search() searches a float matrix the caller already holds (the dense
 *     retriever trainer's full-corpus evaluation: embed the corpus, then search every query
 *     at once). Queries are taken in blocks, each block is multiplied against corpus blocks
 *     with an sgemm (kernels.h's, cblas_sgemm's contract), and every query keeps its own
 *     top-k heap (topk.h), so 10k queries over 1M passages cost one pass of matrix products
 *     and nothing is copied.
 *
 *  2. vector_index is one interface over both kinds of index, so the search pipeline picks
 *     exact or HNSW by configuration: create, add vectors with int64 ids, search a batch,
 *     save, load. The HNSW kind is the graph of Malkov & Yashunin (M links per node on upper
 *     layers, 2M on layer 0, neighbours chosen by their heuristic, efConstruction / efSearch
 *     beam widths); it is built on all cores with a lock per node, and is deterministic for a
 *     fixed seed when built with one thread.
 *
 * Conventions shared by every function here:
 *  - Vectors are rows of `dim` floats, row-major. Scores are inner products; for
 *    VECTOR_COSINE, inner products of L2-normalised vectors (a zero vector scores 0).
 *  - Results: for query i, positions [i*k, i*k+k) of out_ids / out_scores, best first. Ties
 *    in score go to the lower id. When fewer than k vectors are allowed, the tail is padded
 *    with id -1 and score -INFINITY. out_scores may be NULL.
 *  - A filter (may be NULL) restricts results to allowed ids; searches still return k allowed
 *    results when k exist (HNSW keeps exploring past disallowed nodes and falls back to an
 *    exact scan of the allowed set when the filter is very selective).
 *  - Errors: 0 or a negative NEEDLE_E* code with error_message() naming the file and problem.
 *  - Searches may run concurrently with each other (e.g. HTTP threads), never with add/load.
 *    Filter predicates may then be called from several threads at once.
 *
 * Index file (little-endian): a fixed 128-byte header — magic "NDLVECIX", version, header
 * size, kind, metric, dim, M, efConstruction, efSearch, count, entry point, top level, the
 * level generator's state, body size and a body checksum — then the body: ids (int64 × n),
 * vectors (float × n × dim), and for HNSW the levels (uint8 × n, padded to 8 bytes), layer-0
 * links (n × (1 + 2M) uint32: count then slots) and upper-layer links (per node with level
 * L > 0, L × (1 + M) uint32). Saves are atomic (temp file, fsync, rename): an interrupted save
 * leaves the previous file intact. Loads check magic, version, sizes, checksum and every link. */
#ifndef NEEDLE_VECTOR_INDEX_H
#define NEEDLE_VECTOR_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef enum { VECTOR_IP = 0, VECTOR_COSINE = 1 } vector_metric;
typedef enum { VECTOR_EXACT = 0, VECTOR_HNSW = 1 } vector_kind;

/* Which ids a search may return. Both parts are optional; an id is allowed when it passes
 * every part that is set:
 *  - bits: a bitset over ids, id allowed when bit (id & 63) of bits[id >> 6] is set;
 *    ids < 0 or >= nbits are then not allowed;
 *  - allow: a predicate (must be thread-safe), called with the vector's id and ctx. */
typedef struct {
    const uint64_t *bits;
    int64_t nbits;
    int (*allow)(int64_t id, void *ctx);
    void *ctx;
} vector_filter;

static inline int vector_filter_allows(const vector_filter *f, int64_t id) {
    if (!f) return 1;
    if (f->bits && (id < 0 || id >= f->nbits || !((f->bits[id >> 6] >> (id & 63)) & 1))) return 0;
    return !f->allow || f->allow(id, f->ctx);
}

/* Exact top-k of nq queries over n corpus rows. ids maps row r to its id (NULL: the id is r).
 * Rows and queries are used as given for VECTOR_IP; for VECTOR_COSINE the scores are divided
 * by both norms (the corpus is not copied). Threads: OpenMP's default (one when called
 * inside a parallel region).
 * Shapes: corpus [n, dim], queries [nq, dim], out_ids/out_scores [nq, k]. */
int vector_exact_search(const float *corpus, size_t n, int dim, const int64_t *ids, const float *queries,
                        size_t nq, int k, vector_metric metric, const vector_filter *filter, int64_t *out_ids,
                        float *out_scores);

/* Scale each of n rows of dim floats to unit L2 norm (zero rows stay zero). */
void vector_normalize(float *rows, size_t n, int dim);

typedef struct {
    vector_kind kind;
    vector_metric metric;
    int dim;
    int M;               /* HNSW: links per node on upper layers, 2M on layer 0 (2..255) */
    int ef_construction; /* HNSW: beam width while inserting (>= 1) */
    int ef_search;       /* HNSW: beam width while searching (raised to k when smaller) */
    uint64_t seed;       /* HNSW: seed of the level draws */
    int threads;         /* build and batch-search threads; 0: OpenMP's default */
} vector_index_config;

/* Defaults: M 16, efConstruction 200, efSearch 64, seed 42, threads 0. */
void vector_index_config_default(vector_index_config *cfg, vector_kind kind, vector_metric metric, int dim);

typedef struct vector_index vector_index;

int vector_index_create(const vector_index_config *cfg, vector_index **out);
void vector_index_free(vector_index *ix);
/* Append n vectors [n, dim]. ids: one per vector (NULL: count, count+1, ...). Ids are
 * returned as given; keeping them unique is the caller's business. */
int vector_index_add(vector_index *ix, const float *vectors, const int64_t *ids, size_t n);
/* Search nq queries [nq, dim]; results as described at the top. */
int vector_index_search(const vector_index *ix, const float *queries, size_t nq, int k, const vector_filter *filter,
                        int64_t *out_ids, float *out_scores);
/* Change efSearch (HNSW) or the thread count of a built or loaded index. */
int vector_index_set_ef_search(vector_index *ix, int ef_search);
void vector_index_set_threads(vector_index *ix, int threads);

size_t vector_index_count(const vector_index *ix);
/* The configuration the index was created (or saved) with. */
const vector_index_config *vector_index_info(const vector_index *ix);

/* Write atomically to path. */
int vector_index_save(const vector_index *ix, const char *path);
/* Read an index; expect_dim > 0 rejects a file of another dimension (0 accepts any). */
int vector_index_load(const char *path, int expect_dim, vector_index **out);

#endif

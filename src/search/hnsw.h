/* hnsw.h — the HNSW graph shared by hnsw_build.c, hnsw_search.c and vector_file.c (private to
 * src/search; the public face is vector_index.h).
 *
 * Memory layout, chosen for the search loop: node i's layer-0 block holds its vector (dim
 * floats, 64-byte aligned) followed by its layer-0 link list (a uint32 count then 2M slots),
 * padded to a multiple of 64 bytes, and all blocks sit in one array. A search step that
 * reaches a node therefore reads its vector and then its links from neighbouring cache lines.
 * Upper layers (few nodes) keep one small malloc'ed array per node: level L holds L lists of
 * (1 + M) uint32. Node numbers are insertion order; the caller's int64 ids live beside them.
 *
 * Concurrency: while building, every read or write of a node's link lists holds that node's
 * one-byte spin lock; the entry point and top level are guarded by `global`, which an insert
 * that raises the top level holds for its whole insertion (as in hnswlib). Searches of a
 * finished graph take no node locks. Visited-node marks come from a pool of tag arrays so a
 * search allocates nothing in the common case. */
#ifndef NEEDLE_SEARCH_HNSW_H
#define NEEDLE_SEARCH_HNSW_H

#include "needle/rng.h"
#include "needle/topk.h"
#include "needle/vector_index.h"

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#define HNSW_MAX_LEVEL 31

typedef struct hnsw_visited {
    uint16_t *tags;
    size_t cap;
    uint16_t epoch;
    struct hnsw_visited *next;
} hnsw_visited;

typedef struct {
    int dim, M, M0, ef_construction;
    size_t n, cap;
    size_t node_bytes; /* one layer-0 block */
    size_t links_off;  /* byte offset of the layer-0 list inside a block */
    unsigned char *level0;
    int64_t *ids;
    uint8_t *levels;
    uint32_t **upper;
    uint8_t *locks;
    int64_t entry; /* -1 while empty */
    int max_level;
    rng level_rng;
    pthread_mutex_t global;
    pthread_mutex_t pool_lock;
    hnsw_visited *pool;
} hnsw;

/* Per-thread scratch of one search or insertion. */
typedef struct {
    hnsw_visited *vis;
    topk cand;         /* candidate queue: scores negated, so the root is the best candidate */
    topk res;          /* the ef best found so far */
    topk_entry *res_buf;
    uint32_t *links;   /* a copy of one link list (taken under the node's lock while building) */
    uint32_t *fresh;   /* the unvisited neighbours of the node being expanded */
    uint32_t *sel;     /* the neighbours chosen for a new node (2M + 1 slots) */
    topk_entry *pool;  /* candidates of a neighbour selection, or a query's final top k */
} hnsw_ctx;

static inline float *hnsw_vector(const hnsw *h, size_t i) { return (float *)(h->level0 + i * h->node_bytes); }

static inline uint32_t *hnsw_links(const hnsw *h, size_t i, int level) {
    if (level == 0) return (uint32_t *)(h->level0 + i * h->node_bytes + h->links_off);
    return h->upper[i] + (size_t)(level - 1) * (size_t)(1 + h->M);
}

/* Spin briefly (locks are held for a few hundred cycles), then yield, so that a holder that
 * lost its core on a busy machine gets it back instead of being spun against. */
static inline void hnsw_lock(const hnsw *h, size_t i) {
    for (int spins = 0; __atomic_test_and_set(&h->locks[i], __ATOMIC_ACQUIRE);)
        while (__atomic_load_n(&h->locks[i], __ATOMIC_RELAXED)) {
            if (++spins < 256) __builtin_ia32_pause();
            else sched_yield();
        }
}

static inline void hnsw_unlock(const hnsw *h, size_t i) { __atomic_clear(&h->locks[i], __ATOMIC_RELEASE); }

/* Set up an empty graph (M in 2..512, ef_construction >= 1). */
int hnsw_init(hnsw *h, int dim, int M, int ef_construction, uint64_t seed);
void hnsw_release(hnsw *h);
/* Grow the arrays to hold cap nodes. */
int hnsw_reserve(hnsw *h, size_t cap);

/* Scratch for searches with beam width up to ef; hnsw_ctx_end returns the visited tags. */
int hnsw_ctx_begin(const hnsw *h, hnsw_ctx *c, int ef);
void hnsw_ctx_end(const hnsw *h, hnsw_ctx *c);

/* Greedy descent from node ep on layers from..to+1 (one best neighbour at a time); returns
 * the closest node found. locked: take node locks (during a build). */
uint32_t hnsw_greedy(const hnsw *h, hnsw_ctx *c, const float *q, uint32_t ep, int from, int to, int locked);
/* Beam search of one layer from ep with width ef; c->res holds the ef best allowed nodes
 * (ids are node numbers). Returns 0 or NEEDLE_ENOMEM. */
int hnsw_search_layer(const hnsw *h, hnsw_ctx *c, const float *q, uint32_t ep, int ef, int level,
                      const vector_filter *filter, int locked);

/* Append n vectors with their ids (normalise: scale the stored copies to unit length, for
 * cosine), and link them in with `threads` threads (0: OpenMP's default). */
int hnsw_add(hnsw *h, const float *vectors, const int64_t *ids, size_t n, int normalise, int threads);
/* Batch search, results as in vector_index.h. */
int hnsw_search(const hnsw *h, const float *queries, size_t nq, int k, int ef, const vector_filter *filter,
                int64_t *out_ids, float *out_scores, int threads);

#endif

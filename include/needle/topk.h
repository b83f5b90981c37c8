/* topk.h — a bounded heap that keeps the k best (score, id) pairs seen so far.
 *
 * Shared by exact vector search, HNSW (as its result set and, with negated scores, as its
 * candidate queue) and any other ranker (BM25) that needs a top-k. "Better" means a higher
 * score; among equal scores the lower id is better, so every ranking built on it is
 * deterministic whatever order the candidates arrive in. The worst kept pair sits at the root,
 * so the common case — a candidate no better than the current k-th — costs one comparison
 * (topk_accepts) and no memory traffic. The caller owns the entry buffer (capacity k), so a
 * search allocates nothing per query. */
#ifndef NEEDLE_TOPK_H
#define NEEDLE_TOPK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    float score;
    int64_t id;
} topk_entry;

typedef struct {
    topk_entry *e; /* heap array, worst at e[0] */
    size_t n, k;
} topk;

static inline void topk_init(topk *t, topk_entry *buf, size_t k) {
    t->e = buf;
    t->n = 0;
    t->k = k;
}

/* 1 when (sa, ia) ranks strictly better than (sb, ib). */
static inline int topk_better(float sa, int64_t ia, float sb, int64_t ib) {
    return sa > sb || (sa == sb && ia < ib);
}

/* 1 when a pair would enter the heap (it is not full, or the pair beats the worst kept). */
static inline int topk_accepts(const topk *t, float score, int64_t id) {
    return t->n < t->k || topk_better(score, id, t->e[0].score, t->e[0].id);
}

/* Offer a pair; returns 1 when it was kept (possibly evicting the worst). */
int topk_push(topk *t, float score, int64_t id);
/* Remove and return the worst kept pair (n must be > 0). */
topk_entry topk_pop(topk *t);
/* Sort the kept pairs best-first in place (the heap is consumed: n stays, order changes). */
void topk_sort(topk *t);
/* Copy the sorted pairs to ids/scores (either may be NULL) and pad positions n..k-1 with
 * id -1 and score -INFINITY. Calls topk_sort. */
void topk_emit(topk *t, int64_t *ids, float *scores);

#endif

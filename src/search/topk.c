/* topk.c — the bounded best-k heap of topk.h: a binary min-heap on the "better" order
 * (score, then lower id), written out by hand because it sits in the innermost loop of exact
 * search and of every HNSW step. */
#include "needle/topk.h"

#include <math.h>

/* 1 when a must sit above b in the heap, i.e. a is worse than b. */
static inline int worse(const topk_entry *a, const topk_entry *b) {
    return topk_better(b->score, b->id, a->score, a->id);
}

static void sift_down(topk_entry *e, size_t n, size_t i) {
    topk_entry x = e[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && worse(&e[c + 1], &e[c])) c++;
        if (!worse(&e[c], &x)) break;
        e[i] = e[c];
        i = c;
    }
    e[i] = x;
}

int topk_push(topk *t, float score, int64_t id) {
    topk_entry x = {score, id};
    if (t->n < t->k) {
        size_t i = t->n++;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!worse(&x, &t->e[p])) break;
            t->e[i] = t->e[p];
            i = p;
        }
        t->e[i] = x;
        return 1;
    }
    if (!t->k || !topk_better(score, id, t->e[0].score, t->e[0].id)) return 0;
    t->e[0] = x;
    sift_down(t->e, t->n, 0);
    return 1;
}

topk_entry topk_pop(topk *t) {
    topk_entry top = t->e[0];
    t->e[0] = t->e[--t->n];
    if (t->n) sift_down(t->e, t->n, 0);
    return top;
}

void topk_sort(topk *t) {
    /* Heap sort: repeatedly move the worst to the end of the shrinking heap, which leaves
     * the array ordered best-first. */
    for (size_t m = t->n; m > 1; m--) {
        topk_entry w = t->e[0];
        t->e[0] = t->e[m - 1];
        t->e[m - 1] = w;
        sift_down(t->e, m - 1, 0);
    }
}

void topk_emit(topk *t, int64_t *ids, float *scores) {
    topk_sort(t);
    for (size_t i = 0; i < t->k; i++) {
        if (ids) ids[i] = i < t->n ? t->e[i].id : -1;
        if (scores) scores[i] = i < t->n ? t->e[i].score : -INFINITY;
    }
}

/* hnsw_search.c — walking the HNSW graph: the greedy descent through the upper layers, the
 * beam search of one layer (shared by insertion and querying), and batch search with filters.
 *
 * Filtered search follows hnswlib's rule: every node is explored, but only allowed nodes
 * enter the result set, and the beam stops only once it holds ef allowed nodes — so a filter
 * that removes most nodes makes the search go further instead of returning fewer results.
 * When the filter is so selective that this walk would cost more distance computations than
 * scoring every allowed node (estimated from a fixed sample of nodes), the query is answered by
 * an exact scan instead; and if the walk still ends with fewer than k results (the allowed
 * nodes it could reach ran out), the exact scan fills them in. */
#include "hnsw.h"
#include "needle/error.h"
#include "vector_dot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#define FILTER_SAMPLE 256

/* The pool is a cache inside a logically const graph, guarded by its own mutex. */
static hnsw_visited *visited_acquire(const hnsw *h) {
    hnsw *m = (hnsw *)h;
    pthread_mutex_lock(&m->pool_lock);
    hnsw_visited *v = m->pool;
    if (v) m->pool = v->next;
    pthread_mutex_unlock(&m->pool_lock);
    if (!v) {
        v = calloc(1, sizeof *v);
        if (!v) return NULL;
    }
    if (v->cap < h->n) {
        free(v->tags);
        v->cap = h->n;
        v->tags = calloc(v->cap, sizeof *v->tags);
        v->epoch = 0;
        if (!v->tags) {
            free(v);
            return NULL;
        }
    }
    return v;
}

static void visited_release(const hnsw *h, hnsw_visited *v) {
    hnsw *m = (hnsw *)h;
    pthread_mutex_lock(&m->pool_lock);
    v->next = m->pool;
    m->pool = v;
    pthread_mutex_unlock(&m->pool_lock);
}

static void visited_reset(hnsw_visited *v) {
    if (++v->epoch == 0) {
        memset(v->tags, 0, v->cap * sizeof *v->tags);
        v->epoch = 1;
    }
}

int hnsw_ctx_begin(const hnsw *h, hnsw_ctx *c, int ef) {
    memset(c, 0, sizeof *c);
    size_t cand_cap = 256, sel_cap = (size_t)h->M0 + 1;
    c->vis = visited_acquire(h);
    c->res_buf = malloc((size_t)ef * sizeof *c->res_buf);
    topk_entry *cand = malloc(cand_cap * sizeof *cand);
    c->links = malloc(((size_t)h->M0 + 1) * sizeof *c->links);
    c->fresh = malloc(((size_t)h->M0 + 1) * sizeof *c->fresh);
    c->sel = malloc(sel_cap * sizeof *c->sel);
    c->pool = malloc(((size_t)ef > sel_cap ? (size_t)ef : sel_cap) * sizeof *c->pool);
    topk_init(&c->cand, cand, cand_cap);
    if (!c->vis || !c->res_buf || !cand || !c->links || !c->fresh || !c->sel || !c->pool) {
        hnsw_ctx_end(h, c);
        return error_set(NEEDLE_ENOMEM, "hnsw: out of memory for search scratch (%zu nodes)", h->n);
    }
    return 0;
}

void hnsw_ctx_end(const hnsw *h, hnsw_ctx *c) {
    if (c->vis) visited_release(h, c->vis);
    free(c->res_buf);
    free(c->cand.e);
    free(c->links);
    free(c->fresh);
    free(c->sel);
    free(c->pool);
    memset(c, 0, sizeof *c);
}

/* The link list of node i on a layer: the live list, or a copy taken under its lock. */
static const uint32_t *links_read(const hnsw *h, hnsw_ctx *c, uint32_t i, int level, int locked) {
    const uint32_t *l = hnsw_links(h, i, level);
    if (!locked) return l;
    hnsw_lock(h, i);
    memcpy(c->links, l, (1 + (size_t)l[0]) * sizeof *l);
    hnsw_unlock(h, i);
    return c->links;
}

uint32_t hnsw_greedy(const hnsw *h, hnsw_ctx *c, const float *q, uint32_t ep, int from, int to, int locked) {
    size_t d = (size_t)h->dim;
    float best = vector_dot(q, hnsw_vector(h, ep), d);
    for (int level = from; level > to; level--) {
        int moved = 1;
        while (moved) {
            moved = 0;
            const uint32_t *l = links_read(h, c, ep, level, locked);
            for (uint32_t j = 1; j <= l[0]; j++) {
                float s = vector_dot(q, hnsw_vector(h, l[j]), d);
                if (topk_better(s, l[j], best, ep)) {
                    best = s;
                    ep = l[j];
                    moved = 1;
                }
            }
        }
    }
    return ep;
}

static inline void prefetch_vector(const hnsw *h, uint32_t i) {
    const char *v = (const char *)hnsw_vector(h, i);
    for (size_t off = 0; off < (size_t)h->dim * sizeof(float); off += 64) __builtin_prefetch(v + off);
}

static int cand_push(hnsw_ctx *c, float score, uint32_t id) {
    if (c->cand.n == c->cand.k) {
        topk_entry *e = realloc(c->cand.e, 2 * c->cand.k * sizeof *e);
        if (!e) return error_set(NEEDLE_ENOMEM, "hnsw: out of memory growing the candidate queue");
        c->cand.e = e;
        c->cand.k *= 2;
    }
    topk_push(&c->cand, -score, id);
    return 0;
}

int hnsw_search_layer(const hnsw *h, hnsw_ctx *c, const float *q, uint32_t ep, int ef, int level,
                      const vector_filter *filter, int locked) {
    size_t d = (size_t)h->dim;
    uint16_t *tags = c->vis->tags, epoch;
    visited_reset(c->vis);
    epoch = c->vis->epoch;
    topk_init(&c->res, c->res_buf, (size_t)ef);
    c->cand.n = 0;

    float s = vector_dot(q, hnsw_vector(h, ep), d);
    tags[ep] = epoch;
    if (cand_push(c, s, ep)) return NEEDLE_ENOMEM;
    if (vector_filter_allows(filter, h->ids[ep])) topk_push(&c->res, s, ep);
    while (c->cand.n) {
        topk_entry cur = topk_pop(&c->cand);
        if (c->res.n == c->res.k && -cur.score < c->res.e[0].score) break;
        const uint32_t *l = links_read(h, c, (uint32_t)cur.id, level, locked);
        /* Mark the unvisited neighbours first and start their loads, then score them while
         * the next one's whole vector is on its way: the graph walk is bound by memory
         * latency, not by arithmetic. */
        uint32_t fresh = 0;
        for (uint32_t j = 1; j <= l[0]; j++) {
            uint32_t nb = l[j];
            if (tags[nb] == epoch) continue;
            tags[nb] = epoch;
            c->fresh[fresh++] = nb;
            __builtin_prefetch(hnsw_vector(h, nb));
        }
        for (uint32_t j = 0; j < fresh; j++) {
            uint32_t nb = c->fresh[j];
            if (j + 1 < fresh) prefetch_vector(h, c->fresh[j + 1]);
            float ns = vector_dot(q, hnsw_vector(h, nb), d);
            if (!topk_accepts(&c->res, ns, nb)) continue;
            if (cand_push(c, ns, nb)) return NEEDLE_ENOMEM;
            if (vector_filter_allows(filter, h->ids[nb])) topk_push(&c->res, ns, nb);
        }
    }
    return 0;
}

/* Score every allowed node: the answer for very selective filters. */
static void scan_allowed(const hnsw *h, const float *q, const vector_filter *filter, topk *out) {
    for (size_t i = 0; i < h->n; i++) {
        if (!vector_filter_allows(filter, h->ids[i])) continue;
        float s = vector_dot(q, hnsw_vector(h, i), (size_t)h->dim);
        if (topk_accepts(out, s, h->ids[i])) topk_push(out, s, h->ids[i]);
    }
}

/* 1 when an exact scan of the allowed nodes is expected to be cheaper than a filtered walk.
 * With a fraction f of nodes allowed, the walk needs about ef*M0/f distance computations
 * (an unfiltered walk costs about ef*M0, and only f of what it finds counts); the scan costs
 * f*n distance computations plus n filter checks (about 1/16 of a distance each). */
static int filter_prefers_scan(const hnsw *h, const vector_filter *filter, int ef) {
    size_t samples = h->n < FILTER_SAMPLE ? h->n : FILTER_SAMPLE, hits = 0;
    for (size_t j = 0; j < samples; j++) hits += (size_t)vector_filter_allows(filter, h->ids[j * h->n / samples]);
    double f = hits ? (double)hits / (double)samples : 0.5 / (double)samples;
    double walk = (double)ef * h->M0 / f, scan = f * (double)h->n + (double)h->n / 16;
    return scan <= walk;
}

static int search_one(const hnsw *h, hnsw_ctx *c, const float *q, int k, int ef, const vector_filter *filter,
                      int64_t *out_ids, float *out_scores) {
    topk final;
    topk_init(&final, c->pool, (size_t)k);
    if (h->entry >= 0) {
        if (filter && filter_prefers_scan(h, filter, ef)) {
            scan_allowed(h, q, filter, &final);
        } else {
            uint32_t ep = hnsw_greedy(h, c, q, (uint32_t)h->entry, h->max_level, 0, 0);
            int rc = hnsw_search_layer(h, c, q, ep, ef, 0, filter, 0);
            if (rc) return rc;
            for (size_t j = 0; j < c->res.n; j++) topk_push(&final, c->res.e[j].score, h->ids[c->res.e[j].id]);
            if (filter && final.n < final.k) {
                final.n = 0;
                scan_allowed(h, q, filter, &final);
            }
        }
    }
    topk_emit(&final, out_ids, out_scores);
    return 0;
}

int hnsw_search(const hnsw *h, const float *queries, size_t nq, int k, int ef, const vector_filter *filter,
                int64_t *out_ids, float *out_scores, int threads) {
    if (ef < k) ef = k;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if ((size_t)nt > nq) nt = nq ? (int)nq : 1;
    int err = 0;
    char msg[512] = "";
#pragma omp parallel num_threads(nt)
    {
        hnsw_ctx c;
        int started = hnsw_ctx_begin(h, &c, ef), rc = started;
#pragma omp for schedule(dynamic, 4)
        for (size_t i = 0; i < nq; i++) {
            if (rc) continue;
            rc = search_one(h, &c, queries + i * (size_t)h->dim, k, ef, filter, out_ids + i * (size_t)k,
                            out_scores ? out_scores + i * (size_t)k : NULL);
        }
        if (rc) {
#pragma omp critical(hnsw_search_error)
            if (!err) {
                err = rc;
                snprintf(msg, sizeof msg, "%s", error_message());
            }
        }
        if (!started) hnsw_ctx_end(h, &c);
    }
    return err ? error_set(err, "%s", msg) : 0;
}

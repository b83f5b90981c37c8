/* hnsw_build.c — creating, growing and inserting into the HNSW graph (Malkov & Yashunin,
 * "Efficient and robust approximate nearest neighbor search using HNSW graphs", 2016/2018).
 *
 * Each node draws its top layer as floor(-ln(U) / ln(M)); layers are searched top-down with a
 * greedy step, then with a beam of efConstruction, and the new node keeps up to M neighbours
 * chosen by the paper's heuristic (a candidate is kept only if it is closer to the new node
 * than to every neighbour already kept), which keeps links spread over clusters. Links are
 * made both ways; a neighbour whose list is full (M, or 2M on layer 0) re-selects its list
 * with the same heuristic.
 *
 * Parallel insertion follows hnswlib's scheme: levels are drawn up front, in insertion order,
 * from the seeded generator (so one thread gives one graph for a seed); then nodes are
 * inserted concurrently, every link-list read or write holding that node's lock and no thread
 * holding two node locks at once, so the graph stays valid (no torn list) at every moment. */
#include "hnsw.h"
#include "needle/error.h"
#include "needle/progress.h"
#include "vector_dot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#define PROGRESS_MIN_NODES 50000

int hnsw_init(hnsw *h, int dim, int M, int ef_construction, uint64_t seed) {
    memset(h, 0, sizeof *h);
    if (dim <= 0 || M < 2 || M > 512 || ef_construction < 1)
        return error_set(NEEDLE_EINVAL, "hnsw: dim %d must be positive, M %d in 2..512, efConstruction %d >= 1", dim, M,
                         ef_construction);
    h->dim = dim;
    h->M = M;
    h->M0 = 2 * M;
    h->ef_construction = ef_construction;
    h->links_off = (size_t)dim * sizeof(float);
    h->node_bytes = (h->links_off + (1 + (size_t)h->M0) * sizeof(uint32_t) + 63) / 64 * 64;
    h->entry = -1;
    h->max_level = -1;
    rng_seed(&h->level_rng, seed);
    pthread_mutex_init(&h->global, NULL);
    pthread_mutex_init(&h->pool_lock, NULL);
    return 0;
}

void hnsw_release(hnsw *h) {
    if (!h->node_bytes) return;
    for (size_t i = 0; i < h->n; i++) free(h->upper[i]);
    free(h->level0);
    free(h->ids);
    free(h->levels);
    free(h->upper);
    free(h->locks);
    while (h->pool) {
        hnsw_visited *v = h->pool;
        h->pool = v->next;
        free(v->tags);
        free(v);
    }
    pthread_mutex_destroy(&h->global);
    pthread_mutex_destroy(&h->pool_lock);
    memset(h, 0, sizeof *h);
}

int hnsw_reserve(hnsw *h, size_t cap) {
    if (cap <= h->cap) return 0;
    unsigned char *level0 = aligned_alloc(64, cap * h->node_bytes);
    if (!level0) goto oom;
    if (h->n) memcpy(level0, h->level0, h->n * h->node_bytes);
    free(h->level0);
    h->level0 = level0;
    int64_t *ids = realloc(h->ids, cap * sizeof *ids);
    if (!ids) goto oom;
    h->ids = ids;
    uint8_t *levels = realloc(h->levels, cap);
    if (!levels) goto oom;
    h->levels = levels;
    uint32_t **upper = realloc(h->upper, cap * sizeof *upper);
    if (!upper) goto oom;
    h->upper = upper;
    uint8_t *locks = realloc(h->locks, cap);
    if (!locks) goto oom;
    memset(locks + h->cap, 0, cap - h->cap);
    h->locks = locks;
    h->cap = cap;
    return 0;
oom:
    return error_set(NEEDLE_ENOMEM, "hnsw: out of memory growing the graph to %zu nodes of %zu bytes", cap, h->node_bytes);
}

/* The paper's neighbour heuristic: from candidates sorted best-first, keep up to m, each only
 * if no kept neighbour is more similar to it than the base node is. Writes node numbers to
 * out and returns how many. With fewer than m candidates, all are kept (as hnswlib does). */
static size_t select_neighbours(const hnsw *h, const topk_entry *cands, size_t nc, size_t m, uint32_t *out) {
    size_t nout = 0;
    if (nc < m) {
        for (size_t i = 0; i < nc; i++) out[nout++] = (uint32_t)cands[i].id;
        return nout;
    }
    for (size_t i = 0; i < nc && nout < m; i++) {
        const float *v = hnsw_vector(h, (size_t)cands[i].id);
        int keep = 1;
        for (size_t j = 0; j < nout && keep; j++)
            if (vector_dot(hnsw_vector(h, out[j]), v, (size_t)h->dim) > cands[i].score) keep = 0;
        if (keep) out[nout++] = (uint32_t)cands[i].id;
    }
    return nout;
}

/* Add cur to neighbour s's list on a layer, re-selecting the list when it is full. */
static void link_back(hnsw *h, hnsw_ctx *c, uint32_t s, uint32_t cur, int level) {
    size_t cap = level ? (size_t)h->M : (size_t)h->M0, d = (size_t)h->dim;
    hnsw_lock(h, s);
    uint32_t *l = hnsw_links(h, s, level), cnt = l[0];
    for (uint32_t j = 1; j <= cnt; j++)
        if (l[j] == cur) {
            hnsw_unlock(h, s);
            return;
        }
    if (cnt < cap) {
        l[1 + cnt] = cur;
        l[0] = cnt + 1;
    } else {
        const float *v = hnsw_vector(h, s);
        topk t;
        topk_init(&t, c->pool, cnt + 1);
        topk_push(&t, vector_dot(v, hnsw_vector(h, cur), d), cur);
        for (uint32_t j = 1; j <= cnt; j++) topk_push(&t, vector_dot(v, hnsw_vector(h, l[j]), d), l[j]);
        topk_sort(&t);
        size_t kept = select_neighbours(h, t.e, t.n, cap, c->links);
        memcpy(l + 1, c->links, kept * sizeof *l);
        l[0] = (uint32_t)kept;
    }
    hnsw_unlock(h, s);
}

/* Link cur to the best of the beam in c->res on a layer, both ways; returns the closest
 * neighbour, where the search of the next layer down starts. */
static uint32_t connect(hnsw *h, hnsw_ctx *c, uint32_t cur, int level, uint32_t ep) {
    topk_sort(&c->res);
    size_t nc = 0;
    for (size_t i = 0; i < c->res.n; i++)
        if (c->res.e[i].id != cur) c->res.e[nc++] = c->res.e[i];
    size_t nsel = select_neighbours(h, c->res.e, nc, (size_t)h->M, c->sel);
    hnsw_lock(h, cur);
    uint32_t *l = hnsw_links(h, cur, level);
    memcpy(l + 1, c->sel, nsel * sizeof *l);
    l[0] = (uint32_t)nsel;
    hnsw_unlock(h, cur);
    for (size_t j = 0; j < nsel; j++) link_back(h, c, c->sel[j], cur, level);
    return nsel ? c->sel[0] : ep;
}

static int insert(hnsw *h, hnsw_ctx *c, uint32_t cur) {
    int level = h->levels[cur], rc = 0;
    pthread_mutex_lock(&h->global);
    int top = h->max_level;
    int64_t entry = h->entry;
    int raises = level > top;
    if (!raises) pthread_mutex_unlock(&h->global);
    if (entry >= 0) {
        const float *q = hnsw_vector(h, cur);
        uint32_t ep = (uint32_t)entry;
        if (level < top) ep = hnsw_greedy(h, c, q, ep, top, level, 1);
        for (int l = level < top ? level : top; l >= 0 && !rc; l--) {
            rc = hnsw_search_layer(h, c, q, ep, h->ef_construction, l, NULL, 1);
            if (!rc) ep = connect(h, c, cur, l, ep);
        }
    }
    if (raises) {
        if (!rc) {
            h->entry = cur;
            h->max_level = level;
        }
        pthread_mutex_unlock(&h->global);
    }
    return rc;
}

/* Copy the new nodes in, draw their levels and give them empty link lists. */
static int append_nodes(hnsw *h, const float *vectors, const int64_t *ids, size_t n, int normalise) {
    size_t need = h->n + n;
    if (need > UINT32_MAX) return error_set(NEEDLE_EINVAL, "hnsw: %zu nodes exceed the 2^32 limit", need);
    int rc = hnsw_reserve(h, need > h->cap + h->cap / 2 ? need : h->cap + h->cap / 2);
    if (rc) return rc;
    double ml = 1.0 / log((double)h->M);
    size_t list = (1 + (size_t)h->M) * sizeof(uint32_t);
    for (size_t i = 0; i < n; i++) {
        size_t node = h->n + i;
        memcpy(hnsw_vector(h, node), vectors + i * (size_t)h->dim, (size_t)h->dim * sizeof(float));
        if (normalise) vector_normalize(hnsw_vector(h, node), 1, h->dim);
        hnsw_links(h, node, 0)[0] = 0;
        h->ids[node] = ids ? ids[i] : (int64_t)node;
        double level = floor(-log(1.0 - rng_double(&h->level_rng)) * ml);
        h->levels[node] = (uint8_t)(level < HNSW_MAX_LEVEL ? level : HNSW_MAX_LEVEL);
        h->upper[node] = NULL;
        if (h->levels[node] && !(h->upper[node] = calloc(h->levels[node], list))) {
            for (size_t j = h->n; j < node; j++) free(h->upper[j]);
            return error_set(NEEDLE_ENOMEM, "hnsw: out of memory for upper-layer links");
        }
    }
    h->n = need;
    return 0;
}

int hnsw_add(hnsw *h, const float *vectors, const int64_t *ids, size_t n, int normalise, int threads) {
    if (n == 0) return 0;
    size_t start = h->n;
    int rc = append_nodes(h, vectors, ids, n, normalise);
    if (rc) return rc;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    int err = 0;
    char msg[512] = "";
    size_t done = 0;
    progress p;
    int show = n >= PROGRESS_MIN_NODES;
    if (show) progress_start(&p, "hnsw build", n);
#pragma omp parallel num_threads(nt)
    {
        hnsw_ctx c;
        int started = hnsw_ctx_begin(h, &c, h->ef_construction), trc = started;
#pragma omp for schedule(dynamic, 16)
        for (size_t i = start; i < start + n; i++) {
            if (trc) continue;
            trc = insert(h, &c, (uint32_t)i);
            size_t now;
#pragma omp atomic capture
            now = ++done;
            if (show && omp_get_thread_num() == 0) progress_update(&p, now, NULL);
        }
        if (trc) {
#pragma omp critical(hnsw_add_error)
            if (!err) {
                err = trc;
                snprintf(msg, sizeof msg, "%s", error_message());
            }
        }
        if (!started) hnsw_ctx_end(h, &c);
    }
    if (show) progress_finish(&p, NULL);
    return err ? error_set(err, "%s", msg) : 0;
}

/* pipeline_node_bm25.c — BM25Retriever: BM25 over a pipeline's document store.
 *
 * Params: document_store (the store component, default "DocumentStore"), top_k (10),
 * scale_score (true: Haystack's expit(score / 8), in (0, 1)). Run params: top_k, filters,
 * scale_score.
 *
 * The index is the one `needle index` and `needle query --store` use (search_store.h: title
 * and content in one field, Anserini's flat convention), built from the store into a private
 * temporary file that is memory-mapped and unlinked at once. Each query compares the store's
 * generation with the index's and rebuilds first when the store has changed, so a client that
 * wrote a document sees it in its next query; queries already running keep the index they
 * started with (reference-counted) while a new one is built. Each index keeps a pool of
 * searchers (one per concurrent query: a searcher holds an analyzer and scratch memory). */
#include "pipeline_internal.h"
#include "needle/array.h"
#include "needle/bm25.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/search_store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    bm25_index *ix;           /* NULL when the store is empty */
    long long generation;
    int refs;                 /* the node's reference plus one per running query */
    bm25_searcher **idle;     /* searchers not in use */
    size_t n_idle, cap_idle;
} bm25_state;

typedef struct {
    pstore *store;
    long long top_k;
    int scale_score;
    pthread_mutex_t lock;       /* guards `current`, refs and the searcher pools */
    pthread_mutex_t build_lock; /* one rebuild at a time */
    bm25_state *current;
} bm25_node;

static void state_free(bm25_state *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n_idle; i++) bm25_searcher_free(st->idle[i]);
    free(st->idle);
    bm25_index_close(st->ix);
    free(st);
}

static void state_release(bm25_node *n, bm25_state *st) {
    pthread_mutex_lock(&n->lock);
    int last = --st->refs == 0;
    pthread_mutex_unlock(&n->lock);
    if (last) state_free(st);
}

/* Index the documents a reader sees. `generation` was read before: if a write lands meanwhile,
 * the index may hold more than that generation, never less, and the next query rebuilds. */
static int state_build(docstore *ds, long long generation, bm25_state **out) {
    *out = NULL;
    bm25_state *st = calloc(1, sizeof *st);
    if (!st) return error_set(NEEDLE_ENOMEM, "out of memory building the BM25 index");
    st->generation = generation;
    st->refs = 1;
    long long count = 0;
    double t0 = clock_seconds();
    int rc = docstore_count(ds, NULL, &count);
    if (!rc && count) {
        char path[4096];
        const char *tmp = getenv("TMPDIR");
        static unsigned long counter;
        snprintf(path, sizeof path, "%s/needle-bm25-%ld-%lu.idx", tmp && *tmp ? tmp : "/tmp", (long)getpid(),
                 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
        rc = search_store_build_bm25(ds, path);
        if (!rc) rc = bm25_index_open(&st->ix, path);
        unlink(path);
    }
    if (rc) {
        state_free(st);
        return error_prefix(rc, "%s: ", docstore_path(ds));
    }
    log_info("pipeline: BM25 index of %lld documents built in %.2f s", count, clock_seconds() - t0);
    *out = st;
    return 0;
}

/* The index to search: the current one, after a rebuild when the store's generation moved. */
static int state_acquire(bm25_node *n, docstore *rd, bm25_state **out) {
    long long gen;
    int rc = docstore_generation(rd, &gen);
    if (rc) return rc;
    pthread_mutex_lock(&n->lock);
    int stale = !n->current || n->current->generation != gen;
    pthread_mutex_unlock(&n->lock);
    if (stale) {
        pthread_mutex_lock(&n->build_lock);
        pthread_mutex_lock(&n->lock);
        stale = !n->current || n->current->generation < gen;
        pthread_mutex_unlock(&n->lock);
        if (stale) {
            bm25_state *fresh = NULL;
            rc = docstore_generation(rd, &gen);
            if (!rc) rc = state_build(rd, gen, &fresh);
            if (!rc) {
                pthread_mutex_lock(&n->lock);
                bm25_state *old = n->current;
                n->current = fresh;
                pthread_mutex_unlock(&n->lock);
                if (old) state_release(n, old);
            }
        }
        pthread_mutex_unlock(&n->build_lock);
        if (rc) return rc;
    }
    pthread_mutex_lock(&n->lock);
    *out = n->current;
    n->current->refs++;
    pthread_mutex_unlock(&n->lock);
    return 0;
}

static int searcher_take(bm25_node *n, bm25_state *st, bm25_searcher **s) {
    pthread_mutex_lock(&n->lock);
    *s = st->n_idle ? st->idle[--st->n_idle] : NULL;
    pthread_mutex_unlock(&n->lock);
    return *s ? 0 : bm25_searcher_new(s, st->ix);
}

static void searcher_give(bm25_node *n, bm25_state *st, bm25_searcher *s) {
    pthread_mutex_lock(&n->lock);
    if (!array_grow((void **)&st->idle, &st->cap_idle, st->n_idle, sizeof *st->idle)) {
        st->idle[st->n_idle++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&n->lock);
    bm25_searcher_free(s);
}

static void bm25_destroy(void *state) {
    bm25_node *n = state;
    if (!n) return;
    if (n->current) state_release(n, n->current);
    pthread_mutex_destroy(&n->lock);
    pthread_mutex_destroy(&n->build_lock);
    free(n);
}

static int bm25_create(pbuild *b, void **state) {
    static const char *const known[] = {"document_store", "top_k", "scale_score", NULL};
    static const char *const ignored[] = {"all_terms_must_match", "custom_query", "timeout", NULL};
    bm25_node *n = calloc(1, sizeof *n);
    if (!n) return error_set(NEEDLE_ENOMEM, "out of memory");
    pthread_mutex_init(&n->lock, NULL);
    pthread_mutex_init(&n->build_lock, NULL);
    int rc = pbuild_check_params(b, known, ignored);
    if (!rc) rc = pbuild_int(b, "top_k", 10, 1, 1000, &n->top_k);
    if (!rc) rc = pbuild_bool(b, "scale_score", 1, &n->scale_score);
    if (!rc) rc = pbuild_store(b, "document_store", &n->store);
    /* Build the index now, so that the first query does not pay for it. */
    docstore *rd = NULL;
    bm25_state *st = NULL;
    if (!rc && ((rc = pstore_reader(n->store, &rd)) || (rc = state_acquire(n, rd, &st)))) error_prefix(rc, "%s: ", b->origin);
    pstore_reader_done(n->store, rd);
    if (st) state_release(n, st);
    if (rc) {
        bm25_destroy(n);
        return rc;
    }
    *state = n;
    return 0;
}

static int bm25_run(void *state, const prun *r, pipeline_output *out) {
    bm25_node *n = state;
    long long top_k;
    int scale;
    char *filters;
    int rc = prun_retriever(r, n->top_k, n->scale_score, &top_k, &scale, &filters);
    if (rc) {
        free(filters);
        return rc;
    }
    docstore *rd = NULL;
    bm25_state *st = NULL;
    bm25_searcher *s = NULL;
    search_hit *hits = NULL;
    size_t n_hits = 0, cap = 0;
    if ((rc = pstore_reader(n->store, &rd)) || (rc = state_acquire(n, rd, &st))) goto done;
    if (!st->ix) {
        rc = docstore_filters_check(filters);
        goto done;
    }
    hits = calloc((size_t)top_k, sizeof *hits);
    if (!hits) rc = error_set(NEEDLE_ENOMEM, "out of memory searching");
    if (!rc) rc = searcher_take(n, st, &s);
    if (!rc) {
        rc = search_store_bm25_with(rd, st->ix, s, r->query, (size_t)top_k, filters, NULL, hits, &n_hits);
        searcher_give(n, st, s);
    }
    for (size_t i = 0; i < n_hits && !rc; i++) {
        double score = hits[i].score;
        pipeline_doc d;
        rc = pipeline_doc_from_record(&d, &hits[i].doc, scale ? 1.0 / (1.0 + exp(-score / 8.0)) : score);
        if (!rc) rc = pipeline_output_add_doc(out, &d, &cap);
    }
done:
    if (hits) search_hits_free(hits, n_hits);
    free(hits);
    free(filters);
    if (st) state_release(n, st);
    pstore_reader_done(n->store, rd);
    return rc;
}

static const char *const bm25_run_params[] = {"top_k", "filters", "scale_score", NULL};
const pipeline_type pipeline_type_bm25 = {"BM25Retriever", PROLE_RETRIEVER, bm25_run_params, bm25_create, bm25_run,
                                          bm25_destroy};

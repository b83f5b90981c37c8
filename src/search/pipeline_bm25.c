/* pipeline_bm25.c — the pipeline of pipeline.h as BM25 retrieval over a document store, with
 * no reader yet: answers are always an empty list. The full retriever -> reader pipeline
 * replaces this file.
 *
 * The BM25 index is built from the store's documents (field "content", document ids as BM25
 * ids, in seq order so that BM25 document d is the store's d-th document) into a private
 * temporary file that is memory-mapped and unlinked at once. Each query compares the store's
 * generation with the index's and rebuilds first when the store has changed, so a client that
 * wrote a document sees it in its next query; queries already running keep the index they
 * started with (reference-counted) while a new one is built. Each index keeps a small pool of
 * searchers (one per concurrent query; a searcher holds an analyzer and scratch memory).
 * Scores are Haystack's scaled BM25 by default: expit(score / 8).
 *
 * The store is opened once for writing (pipeline_lock) and, for reading, once per concurrent
 * reader (a pool of read-only connections): in SQLite's WAL mode readers see the last commit
 * and never wait for a writer, so a long upload does not stall queries or health checks. */
#include "needle/pipeline.h"
#include "needle/bm25.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct bm25_state {
    bm25_index *ix;           /* NULL when the store is empty */
    long long *seqs;          /* seqs[d]: the store seq of BM25 document d, ascending */
    size_t n;
    long long generation;
    int refs;                 /* the pipeline's reference plus one per running query */
    bm25_searcher **idle;     /* searchers not in use */
    size_t n_idle, cap_idle;
} bm25_state;

struct pipeline {
    docstore *ds;               /* the writer */
    char *path;
    pthread_mutex_t store_lock; /* the writer is one SQLite connection */
    pthread_mutex_t state_lock; /* guards `current`, refs, the searcher pools and the readers */
    pthread_mutex_t build_lock; /* one rebuild at a time */
    bm25_state *current;
    docstore **readers;         /* idle read-only connections */
    size_t n_readers, cap_readers;
};

static void state_free(bm25_state *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n_idle; i++) bm25_searcher_free(st->idle[i]);
    free(st->idle);
    bm25_index_close(st->ix);
    free(st->seqs);
    free(st);
}

static void state_release(pipeline *p, bm25_state *st) {
    pthread_mutex_lock(&p->state_lock);
    int last = --st->refs == 0;
    pthread_mutex_unlock(&p->state_lock);
    if (last) state_free(st);
}

/* Build an index of the documents a reader sees. `generation` was read before: if a write
 * lands meanwhile, the index may hold more than that generation, never less, and the next
 * query simply rebuilds again. */
static int state_build(docstore *ds, long long generation, bm25_state **out) {
    *out = NULL;
    bm25_state *st = calloc(1, sizeof *st);
    if (!st) return error_set(NEEDLE_ENOMEM, "out of memory building the BM25 index");
    st->generation = generation;
    st->refs = 1;
    static const char *const fields[] = {"content"};
    bm25_builder *b = NULL;
    docstore_iter *it = NULL;
    size_t cap = 0;
    char path[4096] = "";
    double t0 = clock_seconds();
    int rc = bm25_builder_new(&b, 1, fields);
    if (!rc) rc = docstore_iter_docs(ds, NULL, NULL, &it);
    docstore_record rec;
    while (!rc && (rc = docstore_iter_next_doc(it, &rec)) == 1) {
        rc = 0;
        if (st->n == cap) {
            cap = cap ? 2 * cap : 1024;
            long long *s = realloc(st->seqs, cap * sizeof *s);
            if (!s) { rc = error_set(NEEDLE_ENOMEM, "out of memory building the BM25 index"); break; }
            st->seqs = s;
        }
        st->seqs[st->n++] = rec.seq;
        rc = bm25_builder_add(b, rec.id, &rec.content);
    }
    docstore_iter_free(it);
    if (rc < 0) goto done;
    rc = 0;
    if (st->n) {
        const char *tmp = getenv("TMPDIR");
        static unsigned long counter;
        snprintf(path, sizeof path, "%s/needle-bm25-%ld-%lu.idx", tmp && *tmp ? tmp : "/tmp", (long)getpid(),
                 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
        rc = bm25_builder_write(b, path);
        if (!rc) rc = bm25_index_open(&st->ix, path);
        unlink(path);
    }
    if (!rc) log_info("pipeline: BM25 index of %zu documents built in %.2f s", st->n, clock_seconds() - t0);
done:
    bm25_builder_free(b);
    if (rc) {
        state_free(st);
        return error_prefix(rc, "building the BM25 index of %s: ", docstore_path(ds));
    }
    *out = st;
    return 0;
}

int pipeline_reader(pipeline *p, docstore **ds) {
    pthread_mutex_lock(&p->state_lock);
    *ds = p->n_readers ? p->readers[--p->n_readers] : NULL;
    pthread_mutex_unlock(&p->state_lock);
    return *ds ? 0 : docstore_open(ds, p->path, DOCSTORE_READONLY);
}

void pipeline_reader_done(pipeline *p, docstore *ds) {
    if (!ds) return;
    pthread_mutex_lock(&p->state_lock);
    if (p->n_readers == p->cap_readers) {
        size_t cap = p->cap_readers ? 2 * p->cap_readers : 8;
        docstore **q = realloc(p->readers, cap * sizeof *q);
        if (q) {
            p->readers = q;
            p->cap_readers = cap;
        }
    }
    if (p->n_readers < p->cap_readers) {
        p->readers[p->n_readers++] = ds;
        ds = NULL;
    }
    pthread_mutex_unlock(&p->state_lock);
    docstore_close(ds);
}

/* The index to search: the current one, after a rebuild when the store's generation moved. */
static int state_acquire(pipeline *p, docstore *rd, bm25_state **out) {
    long long gen;
    int rc = docstore_generation(rd, &gen);
    if (rc) return rc;
    pthread_mutex_lock(&p->state_lock);
    int stale = !p->current || p->current->generation != gen;
    pthread_mutex_unlock(&p->state_lock);
    if (stale) {
        pthread_mutex_lock(&p->build_lock);
        pthread_mutex_lock(&p->state_lock);
        stale = !p->current || p->current->generation < gen;
        pthread_mutex_unlock(&p->state_lock);
        if (stale) {
            bm25_state *fresh = NULL;
            rc = docstore_generation(rd, &gen);
            if (!rc) rc = state_build(rd, gen, &fresh);
            if (!rc) {
                pthread_mutex_lock(&p->state_lock);
                bm25_state *old = p->current;
                p->current = fresh;
                pthread_mutex_unlock(&p->state_lock);
                if (old) state_release(p, old);
            }
        }
        pthread_mutex_unlock(&p->build_lock);
        if (rc) return rc;
    }
    pthread_mutex_lock(&p->state_lock);
    *out = p->current;
    p->current->refs++;
    pthread_mutex_unlock(&p->state_lock);
    return 0;
}

int pipeline_open_store(pipeline **out, const char *store_path) {
    *out = NULL;
    pipeline *p = calloc(1, sizeof *p);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory opening the pipeline");
    p->path = strdup(store_path);
    int rc = p->path ? docstore_open(&p->ds, store_path, DOCSTORE_CREATE) : error_set(NEEDLE_ENOMEM, "out of memory");
    if (rc) {
        free(p->path);
        free(p);
        return rc;
    }
    pthread_mutex_init(&p->store_lock, NULL);
    pthread_mutex_init(&p->state_lock, NULL);
    pthread_mutex_init(&p->build_lock, NULL);
    docstore *rd = NULL;
    bm25_state *st = NULL;
    rc = pipeline_reader(p, &rd);
    if (!rc) rc = state_acquire(p, rd, &st);
    pipeline_reader_done(p, rd);
    if (rc) {
        pipeline_close(p);
        return rc;
    }
    state_release(p, st);
    *out = p;
    return 0;
}

void pipeline_close(pipeline *p) {
    if (!p) return;
    if (p->current) state_release(p, p->current);
    for (size_t i = 0; i < p->n_readers; i++) docstore_close(p->readers[i]);
    free(p->readers);
    docstore_close(p->ds);
    pthread_mutex_destroy(&p->store_lock);
    pthread_mutex_destroy(&p->state_lock);
    pthread_mutex_destroy(&p->build_lock);
    free(p->path);
    free(p);
}

docstore *pipeline_docstore(pipeline *p) { return p->ds; }
void pipeline_lock(pipeline *p) { pthread_mutex_lock(&p->store_lock); }
void pipeline_unlock(pipeline *p) { pthread_mutex_unlock(&p->store_lock); }

/* ---- parameters ---- */

typedef struct {
    long long top_k;
    int scale_score;
    const cJSON *filters;
} bm25_params;

static int params_parse(const cJSON *params, bm25_params *bp) {
    bp->top_k = 10;
    bp->scale_score = 1;
    bp->filters = NULL;
    if (!params) return 0;
    const char *origin = "params";
    int rc = json_opt_int(params, "top_k", origin, bp->top_k, &bp->top_k);
    if (rc) return rc;
    bp->filters = cJSON_GetObjectItemCaseSensitive(params, "filters");
    for (const cJSON *it = params->child; it; it = it->next) {
        const char *k = it->string;
        if (!strcmp(k, "top_k") || !strcmp(k, "filters")) continue;
        if (!strcmp(k, "Retriever") || !strcmp(k, "Reader")) {
            if (!cJSON_IsObject(it)) return error_set(NEEDLE_EINVAL, "params: \"%s\" should be an object", k);
            /* The reader is not part of this pipeline yet: its params are checked, not used. */
            int is_retriever = !strcmp(k, "Retriever");
            long long top_k;
            char where[32];
            snprintf(where, sizeof where, "params.%s", k);
            if ((rc = json_opt_int(it, "top_k", where, 10, &top_k))) return rc;
            if (top_k < 1 || top_k > 1000) return error_set(NEEDLE_EINVAL, "%s.top_k = %lld is not in 1..1000", where, top_k);
            for (const cJSON *q = it->child; q; q = q->next)
                if (strcmp(q->string, "top_k") && (!is_retriever || (strcmp(q->string, "filters") && strcmp(q->string, "scale_score"))))
                    return error_set(NEEDLE_EINVAL, "%s: unknown parameter \"%s\"", where, q->string);
            if (is_retriever) {
                if (cJSON_GetObjectItemCaseSensitive(it, "top_k")) bp->top_k = top_k;
                if ((rc = json_opt_bool(it, "scale_score", where, 1, &bp->scale_score))) return rc;
                const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "filters");
                if (f) bp->filters = f;
            }
            continue;
        }
        return error_set(NEEDLE_EINVAL, "params: no node or global parameter named \"%s\" in this pipeline "
                         "(nodes: Retriever, Reader; global: top_k, filters)", k);
    }
    if (bp->top_k < 1 || bp->top_k > 1000) return error_set(NEEDLE_EINVAL, "params: top_k = %lld is not in 1..1000", bp->top_k);
    if (bp->filters && cJSON_IsNull(bp->filters)) bp->filters = NULL;
    if (bp->filters && !cJSON_IsObject(bp->filters)) return error_set(NEEDLE_EINVAL, "params: \"filters\" should be an object");
    return 0;
}

/* ---- searching ---- */

/* The allowed BM25 documents for a filter: both seq lists are ascending, so one merge. */
static int allowed_bits(docstore *rd, const bm25_state *st, const cJSON *filters, uint64_t **bits) {
    *bits = NULL;
    char *text = cJSON_PrintUnformatted(filters);
    if (!text) return error_set(NEEDLE_ENOMEM, "out of memory reading the filters");
    long long *seqs = NULL;
    size_t n = 0;
    int rc = docstore_filter_seqs(rd, text, &seqs, &n);
    free(text);
    if (rc) return rc;
    uint64_t *b = calloc(st->n / 64 + 1, sizeof *b);
    if (!b) {
        free(seqs);
        return error_set(NEEDLE_ENOMEM, "out of memory applying the filters");
    }
    for (size_t i = 0, d = 0; i < n && d < st->n;) {
        if (seqs[i] < st->seqs[d]) i++;
        else if (seqs[i] > st->seqs[d]) d++;
        else {
            b[d / 64] |= 1ull << (d % 64);
            i++;
            d++;
        }
    }
    free(seqs);
    *bits = b;
    return 0;
}

static int searcher_take(pipeline *p, bm25_state *st, bm25_searcher **s) {
    pthread_mutex_lock(&p->state_lock);
    *s = st->n_idle ? st->idle[--st->n_idle] : NULL;
    pthread_mutex_unlock(&p->state_lock);
    return *s ? 0 : bm25_searcher_new(s, st->ix);
}

static void searcher_give(pipeline *p, bm25_state *st, bm25_searcher *s) {
    pthread_mutex_lock(&p->state_lock);
    if (st->n_idle == st->cap_idle) {
        size_t cap = st->cap_idle ? 2 * st->cap_idle : 8;
        bm25_searcher **q = realloc(st->idle, cap * sizeof *q);
        if (q) {
            st->idle = q;
            st->cap_idle = cap;
        }
    }
    if (st->n_idle < st->cap_idle) {
        st->idle[st->n_idle++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&p->state_lock);
    bm25_searcher_free(s);
}

int pipeline_run(pipeline *p, const char *query, const cJSON *params, jsonw *w) {
    bm25_params bp;
    int rc = params_parse(params, &bp);
    if (rc) return rc;
    docstore *rd = NULL;
    bm25_state *st = NULL;
    uint64_t *bits = NULL;
    bm25_searcher *s = NULL;
    bm25_hit *hits = NULL;
    size_t n_hits = 0;
    if ((rc = pipeline_reader(p, &rd)) || (rc = state_acquire(p, rd, &st))) goto done;
    bm25_query_opts o;
    bm25_query_opts_default(&o);
    if (bp.filters && !(rc = allowed_bits(rd, st, bp.filters, &bits))) o.allow_bits = bits;
    if (!rc && st->ix) {
        hits = calloc((size_t)bp.top_k, sizeof *hits);
        if (!hits) rc = error_set(NEEDLE_ENOMEM, "out of memory searching");
        if (!rc) rc = searcher_take(p, st, &s);
        if (!rc) rc = bm25_search(s, query, (size_t)bp.top_k, &o, hits, &n_hits);
        if (s) searcher_give(p, st, s);
    }
    if (rc) goto done;
    jsonw_key(w, "query");
    jsonw_string(w, query);
    jsonw_key(w, "answers");
    jsonw_array_begin(w);
    jsonw_array_end(w);
    jsonw_key(w, "documents");
    jsonw_array_begin(w);
    for (size_t i = 0; i < n_hits && !rc; i++) {
        docstore_record rec;
        rc = docstore_get_seq(rd, st->seqs[hits[i].doc], &rec);
        if (rc == NEEDLE_ENOTFOUND) { /* deleted since the index was built */
            rc = 0;
            continue;
        }
        if (rc) break;
        double score = hits[i].score;
        pipeline_write_document(w, &rec, bp.scale_score ? 1.0 / (1.0 + exp(-score / 8.0)) : score);
        docstore_record_free(&rec);
    }
    jsonw_array_end(w);
done:
    free(hits);
    free(bits);
    if (st) state_release(p, st);
    pipeline_reader_done(p, rd);
    return rc;
}

void pipeline_write_document(jsonw *w, const docstore_record *rec, double score) {
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_string(w, rec->id);
    jsonw_key(w, "content");
    jsonw_string(w, rec->content);
    jsonw_key(w, "content_type");
    jsonw_string(w, "text");
    jsonw_key(w, "meta");
    jsonw_raw(w, rec->meta_json && rec->meta_json[0] ? rec->meta_json : "{}");
    if (!isnan(score)) {
        jsonw_key(w, "score");
        jsonw_double(w, score);
    }
    jsonw_object_end(w);
}

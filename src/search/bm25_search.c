/* bm25_search.c — top-k BM25 search over a mapped index: MaxScore dynamic pruning, and the
 * exhaustive scorer that tests hold it to.
 *
 * Each (query term, field) pair is a cursor over one posting list. MaxScore (Turtle & Flood
 * 1995) sorts the cursors by their score bound; once the k-th best score θ is known, the
 * cheapest cursors whose bounds together cannot lift a document above θ become
 * "non-essential": candidates come only from the others, and non-essential lists are probed
 * (skipping whole blocks through the skip table) only while the running score plus their
 * remaining bound could still beat θ — first with the lists' bounds, then, before a block is
 * decoded, with that block's bound. Bounds come from each list's and block's highest tf and
 * shortest length, which bound the score for any k1 and b.
 *
 * Both searches compute a document's score the same way — per field a double sum of the
 * float term scores in query order, rounded to float, then the fields summed likewise —
 * so they agree to the bit, and ties (equal floats) go to the lower document number. Bound
 * tests carry a 1e-6 relative margin that covers the float roundings. */
#include "needle/bm25.h"
#include "needle/error.h"
#include "needle/strtab.h"
#include "bm25_format.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define END_DOC UINT32_MAX
#define BOUND_MARGIN (1.0 + 1e-6)

typedef struct {
    const bm25_block_meta *blocks;
    const unsigned char *data;
    const uint8_t *norms;
    const float *cache;
    uint32_t n_blocks, df, blk, n, pos, doc;
    int pending;      /* blk was moved to but not decoded yet (docs[], tfs[], doc are stale) */
    int field, order; /* order: position in the canonical (field, query term) order */
    float weight, max_score;
    uint32_t docs[BM25_BLOCK], tfs[BM25_BLOCK];
} cursor;

struct bm25_searcher {
    const bm25_index *ix;
    analyzer *an;
    strtab qterms;
    uint32_t *qcount;
    uint32_t qcount_cap;
    cursor *cursors;
    cursor **by_bound;
    int n_cursors, cap_cursors;
    float cache[BM25_MAX_FIELDS][256];
    double *ub;
    float *parts;
    bm25_hit *heap;
    size_t heap_cap;
    double *acc;       /* exhaustive: [field * n_docs + doc] */
    uint8_t *touched;  /* exhaustive: documents with a posting */
    int error;
};

void bm25_query_opts_default(bm25_query_opts *o) {
    memset(o, 0, sizeof *o);
    o->k1 = 0.9;
    o->b = 0.4;
}

int bm25_searcher_new(bm25_searcher **out, const bm25_index *ix) {
    *out = NULL;
    bm25_searcher *s = calloc(1, sizeof *s);
    if (!s) return error_set(NEEDLE_ENOMEM, "bm25: out of memory");
    s->ix = ix;
    strtab_init(&s->qterms);
    int rc = analyzer_new(&s->an);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void bm25_searcher_free(bm25_searcher *s) {
    if (!s) return;
    analyzer_free(s->an);
    strtab_free(&s->qterms);
    free(s->qcount);
    free(s->cursors);
    free(s->by_bound);
    free(s->ub);
    free(s->parts);
    free(s->heap);
    free(s->acc);
    free(s->touched);
    free(s);
}

/* ---- cursors ---- */

static void cursor_decode(cursor *c) {
    const bm25_block_meta *bm = &c->blocks[c->blk];
    const unsigned char *p = c->data + bm->offset;
    uint32_t prev = c->blk ? c->blocks[c->blk - 1].last_doc : UINT32_MAX;
    c->n = c->blk + 1 < c->n_blocks ? BM25_BLOCK : c->df - c->blk * BM25_BLOCK;
    for (uint32_t i = 0; i < c->n; i++) {
        uint32_t gap;
        p = varint_get(p, &gap);
        prev += gap + 1;
        c->docs[i] = prev;
    }
    for (uint32_t i = 0; i < c->n; i++) {
        uint32_t v;
        p = varint_get(p, &v);
        c->tfs[i] = v + 1;
    }
    c->pos = 0;
    c->doc = c->docs[0];
    c->pending = 0;
}

static void cursor_next(cursor *c) {
    if (++c->pos < c->n) {
        c->doc = c->docs[c->pos];
        return;
    }
    if (++c->blk >= c->n_blocks) {
        c->doc = END_DOC;
        return;
    }
    cursor_decode(c);
}

/* Move to the block that holds the first posting >= target without decoding it. Returns 0
 * when the list has no such posting (the cursor is then at its end). */
static int cursor_skip_blocks(cursor *c, uint32_t target) {
    if (!c->pending && c->doc >= target) return c->doc != END_DOC;
    if (c->blocks[c->blk].last_doc < target) {
        uint32_t lo = c->blk + 1, hi = c->n_blocks;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (c->blocks[mid].last_doc < target) lo = mid + 1;
            else hi = mid;
        }
        if (lo >= c->n_blocks) {
            c->blk = c->n_blocks;
            c->doc = END_DOC;
            c->pending = 0;
            return 0;
        }
        c->blk = lo;
        c->pending = 1;
    }
    return 1;
}

/* Move to the first posting with document >= target. */
static void cursor_seek(cursor *c, uint32_t target) {
    if (!cursor_skip_blocks(c, target)) return;
    if (c->pending) cursor_decode(c);
    while (c->docs[c->pos] < target) c->pos++;
    c->doc = c->docs[c->pos];
}

/* The score bound of the cursor's current block. */
static inline float block_bound(const cursor *c) {
    const bm25_block_meta *bm = &c->blocks[c->blk];
    return bm25_term_score(c->weight, c->cache[bm->min_norm], bm->max_tf);
}

static inline float cursor_score(const cursor *c) {
    return bm25_term_score(c->weight, c->cache[c->norms[c->doc]], c->tfs[c->pos]);
}

/* ---- query preparation ---- */

static int on_query_term(void *ctx, const char *term, size_t len) {
    bm25_searcher *s = ctx;
    uint32_t id;
    int added, rc = strtab_intern(&s->qterms, term, len, &id, &added);
    if (rc) return s->error = rc;
    if (id >= s->qcount_cap) {
        uint32_t cap = s->qcount_cap ? s->qcount_cap * 2 : 64;
        uint32_t *q = realloc(s->qcount, cap * sizeof *q);
        if (!q) return s->error = error_set(NEEDLE_ENOMEM, "bm25: out of memory");
        s->qcount = q;
        s->qcount_cap = cap;
    }
    s->qcount[id] = added ? 1 : s->qcount[id] + 1;
    return 0;
}

static int reserve(void **p, size_t n, size_t size) {
    void *q = realloc(*p, n * size + 1);
    if (!q) return error_set(NEEDLE_ENOMEM, "bm25: out of memory");
    *p = q;
    return 0;
}

/* Analyse the query and set up one cursor per (field, term) with postings, in canonical
 * order: fields in index order, terms in order of first occurrence. A term repeated in the
 * query counts once with its weight multiplied (Anserini's bag-of-words query). */
static int prepare(bm25_searcher *s, const char *query, size_t k, const bm25_query_opts *o) {
    const bm25_index *ix = s->ix;
    int nf = (int)ix->h->n_fields;
    if (o->k1 < 0 || o->b < 0 || o->b > 1 || !isfinite(o->k1))
        return error_set(NEEDLE_EINVAL, "bm25: k1 = %g and b = %g; need k1 >= 0 and 0 <= b <= 1", o->k1, o->b);
    strtab_clear(&s->qterms);
    s->error = 0;
    int rc = analyzer_run(s->an, query, strlen(query), on_query_term, s);
    if (rc) return error_prefix(rc, "bm25: analysing the query: ");
    size_t max_cursors = (size_t)s->qterms.count * nf;
    if ((int)max_cursors > s->cap_cursors) {
        if ((rc = reserve((void **)&s->cursors, max_cursors, sizeof *s->cursors)) ||
            (rc = reserve((void **)&s->by_bound, max_cursors, sizeof *s->by_bound)) ||
            (rc = reserve((void **)&s->ub, max_cursors, sizeof *s->ub)) ||
            (rc = reserve((void **)&s->parts, max_cursors, sizeof *s->parts)))
            return rc;
        s->cap_cursors = (int)max_cursors;
    }
    if (k > s->heap_cap) {
        if ((rc = reserve((void **)&s->heap, k, sizeof *s->heap))) return rc;
        s->heap_cap = k;
    }
    float k1 = (float)o->k1, b = (float)o->b;
    s->n_cursors = 0;
    for (int f = 0; f < nf; f++) {
        const bm25_field_entry *fe = &ix->fields[f];
        if (!fe->doc_count) continue;
        float avgdl = (float)((double)fe->total_terms / (double)fe->doc_count);
        for (int i = 0; i < 256; i++) s->cache[f][i] = bm25_norm_inverse(k1, b, bm25_byte_to_length((uint8_t)i), avgdl);
        float field_w = o->field_weights ? (float)o->field_weights[f] : 1.0f;
        for (uint32_t q = 0; q < s->qterms.count; q++) {
            uint64_t t;
            if (!bm25_index_term_find(ix, strtab_str(&s->qterms, q), strtab_len(&s->qterms, q), &t)) continue;
            const bm25_list_meta *lm = &ix->lists[t * nf + (uint64_t)f];
            if (!lm->df) continue;
            cursor *c = &s->cursors[s->n_cursors];
            c->blocks = (const bm25_block_meta *)(ix->postings + lm->offset);
            c->data = (const unsigned char *)(c->blocks + lm->n_blocks);
            c->norms = ix->norms + (size_t)f * ix->h->n_docs;
            c->cache = s->cache[f];
            c->n_blocks = lm->n_blocks;
            c->df = lm->df;
            c->field = f;
            c->order = s->n_cursors;
            float boost = field_w * (float)s->qcount[q];
            c->weight = boost * bm25_idf(lm->df, fe->doc_count);
            c->max_score = bm25_term_score(c->weight, c->cache[lm->min_norm], lm->max_tf);
            c->blk = 0;
            cursor_decode(c);
            s->by_bound[s->n_cursors] = c;
            s->n_cursors++;
        }
    }
    return 0;
}

/* A document's score from its per-cursor parts (parts[order], 0 where absent). */
static float combine(const bm25_searcher *s, const float *parts) {
    double total = 0, field_sum = 0;
    int field = s->n_cursors ? s->cursors[0].field : 0;
    for (int i = 0; i < s->n_cursors; i++) {
        if (s->cursors[i].field != field) {
            total += (double)(float)field_sum;
            field_sum = 0;
            field = s->cursors[i].field;
        }
        field_sum += (double)parts[i];
    }
    total += (double)(float)field_sum;
    return (float)total;
}

static int allowed(const bm25_query_opts *o, uint32_t doc) {
    if (o->allow_bits && !(o->allow_bits[doc >> 6] >> (doc & 63) & 1)) return 0;
    if (o->allow && !o->allow(o->allow_ctx, doc)) return 0;
    return 1;
}

/* ---- the top-k heap: a min-heap whose root is the worst hit (lowest score, then highest
 * document number) ---- */

static inline int worse(bm25_hit a, bm25_hit b) { return a.score < b.score || (a.score == b.score && a.doc > b.doc); }

static void heap_sift_down(bm25_hit *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(h[l], h[m])) m = l;
        if (r < n && worse(h[r], h[m])) m = r;
        if (m == i) return;
        bm25_hit t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_push(bm25_hit *h, size_t *n, size_t k, bm25_hit x) {
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = x;
        while (i && worse(h[i], h[(i - 1) / 2])) {
            bm25_hit t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (worse(h[0], x)) {
        h[0] = x;
        heap_sift_down(h, *n, 0);
    }
}

static int cmp_hits(const void *a, const void *b) {
    const bm25_hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static void finish(bm25_searcher *s, size_t n, bm25_hit *hits, size_t *n_hits) {
    memcpy(hits, s->heap, n * sizeof *hits);
    qsort(hits, n, sizeof *hits, cmp_hits);
    *n_hits = n;
}

/* ---- MaxScore ---- */

static int cmp_bound(const void *a, const void *b) {
    const cursor *x = *(cursor *const *)a, *y = *(cursor *const *)b;
    if (x->max_score != y->max_score) return x->max_score < y->max_score ? -1 : 1;
    return x->order - y->order;
}

int bm25_search(bm25_searcher *s, const char *query, size_t k, const bm25_query_opts *opts, bm25_hit *hits,
                size_t *n_hits) {
    bm25_query_opts defaults;
    if (!opts) bm25_query_opts_default(&defaults), opts = &defaults;
    *n_hits = 0;
    if (!k) return 0;
    int rc = prepare(s, query, k, opts);
    if (rc) return rc;
    int n = s->n_cursors;
    cursor **cs = s->by_bound;
    qsort(cs, (size_t)n, sizeof *cs, cmp_bound);
    double acc = 0;
    for (int i = 0; i < n; i++) s->ub[i] = acc += cs[i]->max_score;
    memset(s->parts, 0, (size_t)n * sizeof *s->parts);
    size_t heap_n = 0;
    double theta = -1; /* the k-th best score once the heap is full */
    int first_ess = 0; /* cursors below this index are non-essential */
    for (;;) {
        uint32_t d = END_DOC;
        for (int i = first_ess; i < n; i++)
            if (cs[i]->doc < d) d = cs[i]->doc;
        if (d == END_DOC) break;
        double partial = 0;
        for (int i = first_ess; i < n; i++) {
            if (cs[i]->doc != d) continue;
            float sc = cursor_score(cs[i]);
            s->parts[cs[i]->order] = sc;
            partial += sc;
            cursor_next(cs[i]);
        }
        int ok = allowed(opts, d);
        for (int i = first_ess - 1; i >= 0 && ok; i--) {
            if ((partial + s->ub[i]) * BOUND_MARGIN <= theta) { ok = 0; break; }
            if (!cursor_skip_blocks(cs[i], d)) continue;
            /* before decoding a block, try the bound with this list's block maximum */
            if (cs[i]->pending && (partial + s->ub[i] - cs[i]->max_score + block_bound(cs[i])) * BOUND_MARGIN <= theta) {
                ok = 0;
                break;
            }
            cursor_seek(cs[i], d);
            if (cs[i]->doc == d) {
                float sc = cursor_score(cs[i]);
                s->parts[cs[i]->order] = sc;
                partial += sc;
            }
        }
        if (ok) {
            bm25_hit h = {d, combine(s, s->parts)};
            if (heap_n < k || h.score > theta) {
                heap_push(s->heap, &heap_n, k, h);
                if (heap_n == k) {
                    theta = s->heap[0].score;
                    while (first_ess < n && s->ub[first_ess] * BOUND_MARGIN <= theta) first_ess++;
                }
            }
        }
        for (int i = 0; i < n; i++) s->parts[cs[i]->order] = 0;
    }
    finish(s, heap_n, hits, n_hits);
    return 0;
}

/* ---- exhaustive reference ---- */

int bm25_search_exhaustive(bm25_searcher *s, const char *query, size_t k, const bm25_query_opts *opts,
                           bm25_hit *hits, size_t *n_hits) {
    bm25_query_opts defaults;
    if (!opts) bm25_query_opts_default(&defaults), opts = &defaults;
    *n_hits = 0;
    if (!k) return 0;
    int rc = prepare(s, query, k, opts);
    if (rc) return rc;
    uint32_t nd = s->ix->h->n_docs;
    int nf = (int)s->ix->h->n_fields;
    if (!s->acc) {
        s->acc = calloc((size_t)nd * nf + 1, sizeof *s->acc);
        s->touched = calloc((size_t)nd + 1, 1);
        if (!s->acc || !s->touched) return error_set(NEEDLE_ENOMEM, "bm25: out of memory for exhaustive scoring");
    }
    for (int i = 0; i < s->n_cursors; i++) {
        cursor *c = &s->cursors[i];
        for (; c->doc != END_DOC; cursor_next(c)) {
            s->acc[(size_t)c->field * nd + c->doc] += (double)cursor_score(c);
            s->touched[c->doc] = 1;
        }
    }
    size_t heap_n = 0;
    for (uint32_t d = 0; d < nd; d++) {
        if (!s->touched[d]) continue;
        double total = 0;
        for (int f = 0; f < nf; f++) {
            total += (double)(float)s->acc[(size_t)f * nd + d];
            s->acc[(size_t)f * nd + d] = 0;
        }
        s->touched[d] = 0;
        if (allowed(opts, d)) heap_push(s->heap, &heap_n, k, (bm25_hit){d, (float)total});
    }
    finish(s, heap_n, hits, n_hits);
    return 0;
}

/* bpe.c — the BPE model (GPT-2 / RoBERTa byte-level BPE and classic BPE).
 *
 * Hugging Face's Word::merge_all: every adjacent pair that has a merge goes into a priority
 * queue ordered by (rank, position); the lowest is applied, stale entries are skipped, and
 * the pairs the merged symbol forms with its neighbours are queued. Symbols carry byte
 * lengths exactly as HF's Word does (offsets are running sums of lengths, so a character
 * that is dropped — unknown, with no unk_token — shifts the offsets after it as in HF), and
 * byte offsets become character offsets at the end. Merges live in an open-addressed table
 * keyed by the id pair; results are cached per thread by the word's code points (HF caches
 * too; BPE is deterministic here since dropout is refused at load time). */
#include "tok_internal.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ merge table */

typedef struct {
    uint64_t key; /* (a << 32 | b) + 1; 0 = empty */
    int32_t rank, new_id;
} merge_slot;

struct bpe_merges {
    merge_slot *slots;
    size_t mask, n;
};

static inline uint64_t pair_key(int32_t a, int32_t b) { return (((uint64_t)(uint32_t)a << 32) | (uint32_t)b) + 1; }
static inline size_t pair_hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

int bpe_merges_create(bpe_merges **out) {
    bpe_merges *bm = calloc(1, sizeof *bm);
    if (!bm) return error_set(NEEDLE_ENOMEM, "out of memory creating BPE merges");
    *out = bm;
    return 0;
}

static int merges_grow(bpe_merges *bm) {
    size_t n = bm->slots ? 2 * (bm->mask + 1) : 1024;
    merge_slot *s = calloc(n, sizeof *s);
    if (!s) return error_set(NEEDLE_ENOMEM, "out of memory growing BPE merges");
    for (size_t i = 0; bm->slots && i <= bm->mask; i++) {
        if (!bm->slots[i].key) continue;
        size_t j = pair_hash(bm->slots[i].key) & (n - 1);
        while (s[j].key) j = (j + 1) & (n - 1);
        s[j] = bm->slots[i];
    }
    free(bm->slots);
    bm->slots = s;
    bm->mask = n - 1;
    return 0;
}

/* The merge of (a, b); a pair listed twice keeps its last rank, as HF's HashMap collect does. */
int bpe_merges_add(bpe_merges *bm, int32_t a, int32_t b, int32_t rank, int32_t new_id) {
    if (!bm->slots || 2 * (bm->n + 1) > bm->mask + 1) {
        int rc = merges_grow(bm);
        if (rc) return rc;
    }
    uint64_t k = pair_key(a, b);
    size_t j = pair_hash(k) & bm->mask;
    while (bm->slots[j].key && bm->slots[j].key != k) j = (j + 1) & bm->mask;
    if (!bm->slots[j].key) bm->n++;
    bm->slots[j] = (merge_slot){k, rank, new_id};
    return 0;
}

static inline const merge_slot *merges_find(const bpe_merges *bm, int32_t a, int32_t b) {
    if (!bm->n) return NULL;
    uint64_t k = pair_key(a, b);
    size_t j = pair_hash(k) & bm->mask;
    for (;;) {
        const merge_slot *s = &bm->slots[j];
        if (s->key == k) return s;
        if (!s->key) return NULL;
        j = (j + 1) & bm->mask;
    }
}

void bpe_merges_free(bpe_merges *bm) {
    if (!bm) return;
    free(bm->slots);
    free(bm);
}

/* ------------------------------------------------------------ per-thread word cache */

struct bpe_cache {
    strmap index;  /* (model uid, code points) → offset into data */
    int32_t *data; /* at each offset: count, then (id, start, end) per token */
    size_t len, cap;
};

enum { CACHE_MAX_WORD = 256, CACHE_MAX_DATA = 1 << 22 };

void bpe_cache_free(bpe_cache *c) {
    if (!c) return;
    strmap_free(&c->index);
    free(c->data);
    free(c);
}

static int cache_lookup(const bpe_cache *c, const void *key, size_t klen, mtokens *out) {
    int32_t off;
    if (!c || !strmap_get(&c->index, key, klen, &off)) return 0;
    const int32_t *d = c->data + off;
    for (int i = 0; i < d[0]; i++)
        if (mtokens_push(out, d[1 + 3 * i], d[2 + 3 * i], d[3 + 3 * i])) return -1;
    return 1;
}

/* Remember tokens out->t[first..] for this word; a full cache starts over (bounded memory). */
static void cache_store(bpe_cache **cp, const void *key, size_t klen, const mtokens *out, int first) {
    bpe_cache *c = *cp;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return;
        strmap_init(&c->index);
        *cp = c;
    }
    int nt = out->n - first;
    size_t need = 1 + 3 * (size_t)nt;
    if (c->len + need > CACHE_MAX_DATA) {
        strmap_clear(&c->index);
        c->len = 0;
    }
    if (c->len + need > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1 << 16;
        while (cap < c->len + need) cap *= 2;
        int32_t *d = realloc(c->data, cap * sizeof *d);
        if (!d) return;
        c->data = d;
        c->cap = cap;
    }
    int32_t *d = c->data + c->len;
    d[0] = nt;
    for (int i = 0; i < nt; i++) {
        const mtoken *t = &out->t[first + i];
        d[1 + 3 * i] = t->id;
        d[2 + 3 * i] = t->start;
        d[3 + 3 * i] = t->end;
    }
    if (strmap_put(&c->index, key, klen, (int32_t)c->len) == 0) c->len += need;
}

/* ------------------------------------------------------------ merging */

typedef struct {
    int32_t id;
    int32_t len; /* bytes; 0 once merged into its left neighbour */
    int32_t prev, next;
} symbol;

typedef struct {
    int32_t rank, pos, new_id;
} qentry;

static inline int q_less(const qentry *a, const qentry *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void q_push(qentry *q, int *n, qentry e) {
    int i = (*n)++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!q_less(&e, &q[p])) break;
        q[i] = q[p];
        i = p;
    }
    q[i] = e;
}

static qentry q_pop(qentry *q, int *n) {
    qentry top = q[0], last = q[--(*n)];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        const qentry *best = &last;
        if (l < *n && q_less(&q[l], best)) { m = l; best = &q[l]; }
        if (r < *n && q_less(&q[r], best)) m = r;
        if (m == i) break;
        q[i] = q[m];
        i = m;
    }
    if (*n > 0) q[i] = last;
    return top;
}

static void add_symbol(symbol *sym, int *ns, int32_t id, int32_t len) {
    int k = *ns;
    sym[k] = (symbol){id, len, k - 1, -1};
    if (k > 0) sym[k - 1].next = k;
    (*ns)++;
}

/* Look up a key made of optional prefix + the UTF-8 of cp + optional suffix. */
static int lookup_piece(const vocab_model *m, uint32_t cp, int with_prefix, int with_suffix, char *tmp, int32_t *id) {
    if (!with_prefix && !with_suffix && cp < 1024 && m->char_ids) {
        *id = m->char_ids[cp];
        return *id >= 0;
    }
    size_t len = 0;
    if (with_prefix) { memcpy(tmp, m->prefix, (size_t)m->prefix_len); len += (size_t)m->prefix_len; }
    len += (size_t)utf8_encode(cp, tmp + len);
    if (with_suffix) { memcpy(tmp + len, m->suffix, (size_t)m->suffix_len); len += (size_t)m->suffix_len; }
    return strmap_get(&m->vocab, tmp, len, id);
}

int bpe_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out) {
    /* Cache key: model uid followed by the code points. */
    size_t klen = sizeof m->uid + (size_t)n * sizeof *cps;
    bpe_cache **cache = tok_ws_bpe_cache(ws);
    uint8_t *key = NULL;
    if (n <= CACHE_MAX_WORD) {
        key = tok_ws_scratch(ws, 1, klen);
        if (!key) return error_set(NEEDLE_ENOMEM, "out of memory in BPE");
        memcpy(key, &m->uid, sizeof m->uid);
        memcpy(key + sizeof m->uid, cps, (size_t)n * sizeof *cps);
        int hit = cache_lookup(*cache, key, klen, out);
        if (hit < 0) return NEEDLE_ENOMEM;
        if (hit) return 0;
    }
    int first = out->n;
    /* Symbols: at most one per byte of a character plus its prefix and suffix (byte fallback). */
    size_t nsym = 0;
    for (int i = 0; i < n; i++) nsym += (size_t)utf8_len(cps[i]) + (size_t)m->prefix_len + (size_t)m->suffix_len;
    symbol *sym = tok_ws_scratch(ws, 3, (nsym + 1) * sizeof *sym);
    qentry *q = tok_ws_scratch(ws, 4, (2 * nsym + 2) * sizeof *q);
    char *tmp = tok_ws_utf8(ws, 4 * (size_t)n + (size_t)m->prefix_len + (size_t)m->suffix_len + 16);
    if (!sym || !q || !tmp) return error_set(NEEDLE_ENOMEM, "out of memory in BPE");

    int32_t id;
    if (m->ignore_merges) {
        size_t len = 0;
        for (int i = 0; i < n; i++) len += (size_t)utf8_encode(cps[i], tmp + len);
        if (strmap_get(&m->vocab, tmp, len, &id)) {
            int rc = mtokens_push(out, id, 0, (int32_t)len);
            if (!rc && key) cache_store(cache, key, klen, out, first);
            return rc;
        }
    }
    int ns = 0;
    int32_t unk_len = -1; /* a pending unk symbol's byte length, -1 when none */
    for (int i = 0; i < n; i++) {
        int32_t blen = utf8_len(cps[i]);
        if (lookup_piece(m, cps[i], i > 0 && m->prefix_len > 0, i == n - 1 && m->suffix_len > 0, tmp, &id)) {
            if (unk_len >= 0) { add_symbol(sym, &ns, m->unk_id, unk_len); unk_len = -1; }
            add_symbol(sym, &ns, id, blen);
            continue;
        }
        if (m->byte_fallback) {
            /* HF falls back on the bytes of the whole piece, prefix and suffix included, each
             * one byte long (so with a prefix the offsets after it run past the word). */
            char bytes[64];
            int nb = 0, ok = 1, with_prefix = i > 0 && m->prefix_len > 0, with_suffix = i == n - 1 && m->suffix_len > 0;
            if (m->prefix_len + m->suffix_len + 4 > (int)sizeof bytes) ok = 0;
            if (ok && with_prefix) { memcpy(bytes, m->prefix, (size_t)m->prefix_len); nb = m->prefix_len; }
            if (ok) nb += utf8_encode(cps[i], bytes + nb);
            if (ok && with_suffix) { memcpy(bytes + nb, m->suffix, (size_t)m->suffix_len); nb += m->suffix_len; }
            int32_t ids[64];
            for (int k = 0; k < nb && ok; k++) {
                char name[8];
                int len = snprintf(name, sizeof name, "<0x%02X>", (unsigned char)bytes[k]);
                ok = strmap_get(&m->vocab, name, (size_t)len, &ids[k]);
            }
            if (ok) {
                for (int k = 0; k < nb; k++) add_symbol(sym, &ns, ids[k], 1);
                continue;
            }
        }
        if (m->unk_id >= 0) {
            if (unk_len >= 0 && m->fuse_unk) {
                unk_len += blen;
            } else {
                if (unk_len >= 0) add_symbol(sym, &ns, m->unk_id, unk_len);
                unk_len = blen;
            }
        }
    }
    if (unk_len >= 0) add_symbol(sym, &ns, m->unk_id, unk_len);

    int nq = 0;
    for (int i = 0; i + 1 < ns; i++) {
        const merge_slot *ms = merges_find(m->merges, sym[i].id, sym[i + 1].id);
        if (ms) q_push(q, &nq, (qentry){ms->rank, i, ms->new_id});
    }
    while (nq > 0) {
        qentry top = q_pop(q, &nq);
        symbol *s = &sym[top.pos];
        if (s->len == 0 || s->next < 0) continue;
        symbol *r = &sym[s->next];
        const merge_slot *ms = merges_find(m->merges, s->id, r->id);
        if (!ms || ms->new_id != top.new_id) continue;
        s->id = top.new_id;
        s->len += r->len;
        r->len = 0;
        int after = r->next;
        s->next = after;
        if (after >= 0) sym[after].prev = top.pos;
        if (s->prev >= 0) {
            const merge_slot *pm = merges_find(m->merges, sym[s->prev].id, s->id);
            if (pm) q_push(q, &nq, (qentry){pm->rank, s->prev, pm->new_id});
        }
        if (after >= 0) {
            const merge_slot *nm = merges_find(m->merges, s->id, sym[after].id);
            if (nm) q_push(q, &nq, (qentry){nm->rank, top.pos, nm->new_id});
        }
    }
    int32_t pos = 0;
    for (int i = 0; i < ns; i++) {
        if (sym[i].len == 0) continue;
        int32_t s0 = pos, e0 = pos + sym[i].len;
        pos = e0;
        int rc = mtokens_push(out, sym[i].id, s0, e0);
        if (rc) return rc;
    }
    if (key) cache_store(cache, key, klen, out, first);
    return 0;
}

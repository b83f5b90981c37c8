/* wordpiece_train.c — Hugging Face's WordPieceTrainer: the BPE trainer of `tokenizers`
 * (models/bpe/trainer.rs) with the "##" continuing-subword prefix, step for step.
 *
 *   1. special tokens, in the order given;
 *   2. the alphabet: every character of the words weighted by word count (the initial
 *      alphabet counted as infinitely frequent), the rarest dropped down to limit_alphabet,
 *      the rest added in code-point order;
 *   3. each word becomes its characters: the first as is, the others as "##c"; characters
 *      dropped from the alphabet are skipped (the next one still counts as non-first);
 *   4. pair counts (summed over words, weighted by word count) go into a max-heap ordered by
 *      count, ties to the smaller pair of ids; each heap entry carries the words where the
 *      pair was seen;
 *   5. pop the best pair; a stale count is refreshed and pushed back; a count below 1 or
 *      below min_frequency ends training; otherwise the pair's token (left + right without its
 *      prefix) gets the next id unless it exists already, the pair is merged left to right in
 *      the entry's words, and every pair that gained occurrences is pushed again with the
 *      words where it gained them (HF's where_to_update). Until vocab_size tokens exist.
 * HF's quirks are kept because they decide the vocabulary: the merged pair's own count is
 * never decreased, a pair's words may be split over several heap entries that are merged at
 * different times, and a merge whose token exists already still counts as a step.
 *
 * The one thing HF leaves to chance is kept out: HF numbers the "##c" pieces in the order of
 * a randomly seeded hash map, and pair ties follow those numbers; here they are numbered by
 * code point, or in the order of a given vocabulary (continuing_order). Heap entries equal in
 * count and pair (HF pushes them in hash-map order too) pop oldest first, and the alphabet
 * limit drops, among equally frequent characters, the highest code points first (HF's
 * unstable sort leaves that open). Words are ordered by their bytes, so the result does not
 * depend on thread scheduling during counting. */
#include "tok_internal.h"

#include "needle/array.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/utf8.h"
#include "needle/wordpiece_train.h"

#include <stdlib.h>
#include <string.h>

wp_train_opts wp_train_opts_default(void) {
    wp_train_opts o;
    memset(&o, 0, sizeof o);
    o.vocab_size = 30000;
    o.limit_alphabet = -1;
    o.prefix = "##";
    return o;
}

/* ------------------------------------------------------------ growable int32 lists */

typedef struct {
    int32_t *v;
    int32_t n;
    size_t cap;
} ivec;

static int ivec_push(ivec *l, int32_t x) {
    int rc = array_grow((void **)&l->v, &l->cap, (size_t)l->n, sizeof *l->v);
    if (!rc) l->v[l->n++] = x;
    return rc;
}

/* ------------------------------------------------------------ pair table: (a, b) -> index */

typedef struct {
    int64_t count;  /* HF's pair_counts */
    uint64_t key;   /* a << 32 | b */
    int32_t stamp;  /* the merge step that last gained it words */
    int32_t slot;   /* its place in that step's list */
} pair_info;

typedef struct {
    uint64_t *keys;   /* (a << 32 | b) + 1; 0 = empty */
    uint32_t *index;
    size_t mask, n;
    pair_info *info;  /* per pair index */
    size_t cap;
} pair_table;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static int pairs_grow(pair_table *p) {
    size_t slots = p->mask ? 2 * (p->mask + 1) : 1 << 16;
    uint64_t *keys = calloc(slots, sizeof *keys);
    uint32_t *index = malloc(slots * sizeof *index);
    if (!keys || !index) {
        free(keys);
        free(index);
        return error_set(NEEDLE_ENOMEM, "out of memory for the pair table");
    }
    for (size_t i = 0; p->keys && i <= p->mask; i++) {
        if (!p->keys[i]) continue;
        size_t h = mix64(p->keys[i]) & (slots - 1);
        while (keys[h]) h = (h + 1) & (slots - 1);
        keys[h] = p->keys[i];
        index[h] = p->index[i];
    }
    free(p->keys);
    free(p->index);
    p->keys = keys;
    p->index = index;
    p->mask = slots - 1;
    return 0;
}

/* The index of pair (a, b), created with count 0 when new; -1 on failure. */
static int64_t pair_get(pair_table *p, uint32_t a, uint32_t b) {
    if (2 * (p->n + 1) > p->mask + 1 && pairs_grow(p)) return -1;
    uint64_t key = ((uint64_t)a << 32 | b) + 1;
    size_t h = mix64(key) & p->mask;
    while (p->keys[h]) {
        if (p->keys[h] == key) return p->index[h];
        h = (h + 1) & p->mask;
    }
    if (array_grow((void **)&p->info, &p->cap, p->n, sizeof *p->info)) return -1;
    size_t i = p->n++;
    p->keys[h] = key;
    p->index[h] = (uint32_t)i;
    p->info[i] = (pair_info){0, key - 1, -1, 0};
    return (int64_t)i;
}

static void pairs_free(pair_table *p) {
    free(p->keys);
    free(p->index);
    free(p->info);
}

/* ------------------------------------------------------------ the heap of merge candidates */

typedef struct {
    uint64_t count;
    uint32_t a, b;
    uint64_t seq;
    ivec pos; /* words where the pair was seen when the entry was pushed */
} cand;

typedef struct {
    cand *c;
    size_t n, cap;
    uint64_t seq;
} heap;

/* x pops before y: higher count, then smaller pair, then pushed earlier. */
static int before(const cand *x, const cand *y) {
    if (x->count != y->count) return x->count > y->count;
    if (x->a != y->a) return x->a < y->a;
    if (x->b != y->b) return x->b < y->b;
    return x->seq < y->seq;
}

static int heap_push(heap *h, cand c) {
    int rc = array_grow((void **)&h->c, &h->cap, h->n, sizeof *h->c);
    if (rc) return rc;
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(&c, &h->c[up])) break;
        h->c[i] = h->c[up];
        i = up;
    }
    h->c[i] = c;
    return 0;
}

static cand heap_pop(heap *h) {
    cand top = h->c[0], last = h->c[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, best = l;
        if (l >= h->n) break;
        if (l + 1 < h->n && before(&h->c[l + 1], &h->c[l])) best = l + 1;
        if (!before(&h->c[best], &last)) break;
        h->c[i] = h->c[best];
        i = best;
    }
    if (h->n > 0) h->c[i] = last;
    return top;
}

/* ------------------------------------------------------------ training state */

typedef struct {
    const wp_train_opts *o;
    strmap vocab;          /* token -> id; ids are insertion order */
    size_t prefix_len;
    /* words, ordered by bytes */
    size_t n_words;
    uint64_t *wcount;
    uint32_t *sym;         /* all words' symbols */
    size_t *woff;
    int32_t *wlen;
    pair_table pairs;
    /* pairs that gained words in the current step, in order of first gain */
    ivec step_pairs;
    ivec *step_pos;
    size_t step_cap;
    int32_t step;
} trainer;

static int vocab_add(trainer *t, const char *s, size_t len, int32_t *id) {
    if (strmap_get(&t->vocab, s, len, id)) return 0;
    *id = (int32_t)t->vocab.n;
    return strmap_put(&t->vocab, s, len, *id);
}

typedef struct {
    const char *s;
    size_t len;
    uint64_t count;
} word_ref;

static int cmp_word(const void *x, const void *y) {
    const word_ref *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Character counts: a small open-addressing table cp -> count. */
typedef struct {
    uint32_t cp;
    uint64_t count;
} char_count;

typedef struct {
    char_count *e;
    uint8_t *used;
    size_t mask, n;
} char_table;

static char_count *chars_at(char_table *c, uint32_t cp) {
    if (2 * (c->n + 1) > c->mask + 1) {
        size_t slots = c->mask ? 2 * (c->mask + 1) : 1024;
        char_count *e = calloc(slots, sizeof *e);
        uint8_t *used = calloc(slots, 1);
        if (!e || !used) {
            free(e);
            free(used);
            return NULL;
        }
        for (size_t i = 0; c->e && i <= c->mask; i++) {
            if (!c->used[i]) continue;
            size_t h = mix64(c->e[i].cp) & (slots - 1);
            while (used[h]) h = (h + 1) & (slots - 1);
            e[h] = c->e[i];
            used[h] = 1;
        }
        free(c->e);
        free(c->used);
        c->e = e;
        c->used = used;
        c->mask = slots - 1;
    }
    size_t h = mix64(cp) & c->mask;
    while (c->used[h] && c->e[h].cp != cp) h = (h + 1) & c->mask;
    if (!c->used[h]) {
        c->used[h] = 1;
        c->e[h] = (char_count){cp, 0};
        c->n++;
    }
    return &c->e[h];
}

static int cmp_rare_first(const void *x, const void *y) {
    const char_count *a = x, *b = y;
    if (a->count != b->count) return a->count < b->count ? -1 : 1;
    return (a->cp < b->cp) - (a->cp > b->cp);
}

static int cmp_cp(const void *x, const void *y) {
    const char_count *a = x, *b = y;
    return (a->cp > b->cp) - (a->cp < b->cp);
}

static int add_alphabet(trainer *t, const word_ref *words, int *n_added) {
    char_table ct = {0};
    int rc = 0;
    for (size_t w = 0; w < t->n_words && !rc; w++) {
        for (size_t i = 0; i < words[w].len && !rc;) {
            char_count *c = chars_at(&ct, utf8_decode(words[w].s, words[w].len, &i));
            if (!c) rc = error_set(NEEDLE_ENOMEM, "out of memory counting characters");
            else c->count += words[w].count;
        }
    }
    const char *ia = t->o->initial_alphabet;
    for (size_t i = 0, n = ia ? strlen(ia) : 0; i < n && !rc;) {
        char_count *c = chars_at(&ct, utf8_decode(ia, n, &i));
        if (!c) rc = error_set(NEEDLE_ENOMEM, "out of memory counting characters");
        else c->count = UINT64_MAX;
    }
    char_count *kept = rc ? NULL : malloc((ct.n ? ct.n : 1) * sizeof *kept);
    if (!rc && !kept) rc = error_set(NEEDLE_ENOMEM, "out of memory counting characters");
    size_t k = 0, drop = 0;
    for (size_t i = 0; !rc && i <= ct.mask && ct.e; i++)
        if (ct.used[i]) kept[k++] = ct.e[i];
    if (!rc && t->o->limit_alphabet >= 0 && k > (size_t)t->o->limit_alphabet) {
        drop = k - (size_t)t->o->limit_alphabet;
        qsort(kept, k, sizeof *kept, cmp_rare_first);
    }
    if (!rc) qsort(kept + drop, k - drop, sizeof *kept, cmp_cp);
    int before_n = (int)t->vocab.n;
    for (size_t i = drop; i < k && !rc; i++) {
        char u[4];
        int32_t id;
        rc = vocab_add(t, u, (size_t)utf8_encode(kept[i].cp, u), &id);
    }
    *n_added = (int)t->vocab.n - before_n;
    if (!rc && drop) log_info("tokenizer train: alphabet of %zu characters cut to %zu (limit_alphabet)", k, k - drop);
    free(kept);
    free(ct.e);
    free(ct.used);
    return rc;
}

/* Position of cp's prefixed piece in continuing_order, or INT32_MAX. */
static int order_rank(const strmap *given, uint32_t cp) {
    char u[4];
    int32_t r;
    return strmap_get(given, u, (size_t)utf8_encode(cp, u), &r) ? r : INT32_MAX;
}

typedef struct {
    uint32_t cp;
    int rank;
} cont_char;

static int cmp_cont(const void *x, const void *y) {
    const cont_char *a = x, *b = y;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    return (a->cp > b->cp) - (a->cp < b->cp);
}

/* The "##c" pieces of every character kept in the alphabet that occurs after a word's start,
 * numbered in continuing_order's order, then by code point. */
static int add_continuing(trainer *t, const word_ref *words, int *n_added) {
    const wp_train_opts *o = t->o;
    size_t pl = t->prefix_len;
    *n_added = 0;
    if (pl == 0) return 0;
    char_table seen = {0};
    strmap given;
    strmap_init(&given);
    int rc = 0;
    for (int i = 0; i < o->n_continuing_order && !rc; i++) {
        const char *s = o->continuing_order[i];
        size_t n = strlen(s), at = pl;
        if (n <= pl || memcmp(s, o->prefix, pl)) continue;
        utf8_decode(s, n, &at);
        if (at == n) rc = strmap_put(&given, s + pl, n - pl, i);
    }
    for (size_t w = 0; w < t->n_words && !rc; w++) {
        size_t i = 0;
        utf8_decode(words[w].s, words[w].len, &i);
        while (i < words[w].len && !rc) {
            size_t at = i;
            uint32_t cp = utf8_decode(words[w].s, words[w].len, &i);
            int32_t id;
            if (!strmap_get(&t->vocab, words[w].s + at, i - at, &id)) continue;
            if (!chars_at(&seen, cp)) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        }
    }
    cont_char *cs = rc ? NULL : malloc((seen.n ? seen.n : 1) * sizeof *cs);
    if (!rc && !cs) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; !rc && seen.e && i <= seen.mask; i++)
        if (seen.used[i]) cs[k] = (cont_char){seen.e[i].cp, order_rank(&given, seen.e[i].cp)}, k++;
    if (!rc) qsort(cs, k, sizeof *cs, cmp_cont);
    int before_n = (int)t->vocab.n;
    char buf[64];
    for (size_t i = 0; i < k && !rc; i++) { /* pl <= 32 (wordpiece_train) */
        memcpy(buf, o->prefix, pl);
        int32_t id;
        rc = vocab_add(t, buf, pl + (size_t)utf8_encode(cs[i].cp, buf + pl), &id);
    }
    *n_added = (int)t->vocab.n - before_n;
    free(cs);
    free(seen.e);
    free(seen.used);
    strmap_free(&given);
    return rc;
}

/* Each word as its symbols (HF tokenize_words). */
static int split_words(trainer *t, const word_ref *words) {
    size_t total = 0;
    for (size_t w = 0; w < t->n_words; w++) total += words[w].len;
    t->sym = malloc((total ? total : 1) * sizeof *t->sym);
    t->woff = malloc((t->n_words + 1) * sizeof *t->woff);
    t->wlen = malloc((t->n_words + 1) * sizeof *t->wlen);
    t->wcount = malloc((t->n_words + 1) * sizeof *t->wcount);
    if (!t->sym || !t->woff || !t->wlen || !t->wcount) return error_set(NEEDLE_ENOMEM, "out of memory for the words");
    size_t at = 0, pl = t->prefix_len;
    char buf[64];
    for (size_t w = 0; w < t->n_words; w++) {
        t->woff[w] = at;
        t->wcount[w] = words[w].count;
        int n = 0;
        for (size_t i = 0; i < words[w].len;) {
            size_t c0 = i;
            utf8_decode(words[w].s, words[w].len, &i);
            int32_t id;
            if (!strmap_get(&t->vocab, words[w].s + c0, i - c0, &id)) continue;
            if (c0 > 0 && pl > 0) {
                memcpy(buf, t->o->prefix, pl);
                memcpy(buf + pl, words[w].s + c0, i - c0);
                if (!strmap_get(&t->vocab, buf, pl + i - c0, &id))
                    return error_set(NEEDLE_EINVAL, "internal: continuing piece missing");
            }
            t->sym[at + (size_t)n++] = (uint32_t)id;
        }
        t->wlen[w] = n;
        at += (size_t)n;
    }
    return 0;
}

/* Record a change of `delta` occurrences of (a, b) in word w (HF's changes). */
static int change(trainer *t, uint32_t a, uint32_t b, int delta, int32_t w) {
    int64_t p = pair_get(&t->pairs, a, b);
    if (p < 0) return NEEDLE_ENOMEM;
    pair_info *pi = &t->pairs.info[p];
    pi->count += (int64_t)delta * (int64_t)t->wcount[w];
    if (delta <= 0) return 0;
    if (pi->stamp != t->step) {
        if (array_grow((void **)&t->step_pos, &t->step_cap, (size_t)t->step_pairs.n, sizeof *t->step_pos)) return NEEDLE_ENOMEM;
        pi->stamp = t->step;
        pi->slot = t->step_pairs.n;
        t->step_pos[t->step_pairs.n] = (ivec){0};
        if (ivec_push(&t->step_pairs, (int32_t)p)) return NEEDLE_ENOMEM;
    }
    ivec *pos = &t->step_pos[pi->slot];
    return pos->n && pos->v[pos->n - 1] == w ? 0 : ivec_push(pos, w);
}

/* HF Word::merge: replace every (a, b), left to right, by `to`. */
static int merge_word(trainer *t, int32_t w, uint32_t a, uint32_t b, uint32_t to) {
    uint32_t *s = t->sym + t->woff[w];
    int n = t->wlen[w], rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (s[i] != a || i + 1 >= n || s[i + 1] != b) continue;
        if (i > 0) {
            rc = change(t, s[i - 1], a, -1, w);
            if (!rc) rc = change(t, s[i - 1], to, 1, w);
        }
        s[i] = to;
        memmove(s + i + 1, s + i + 2, (size_t)(n - i - 2) * sizeof *s);
        n--;
        if (i < n - 1 && !rc) {
            rc = change(t, b, s[i + 1], -1, w);
            if (!rc) rc = change(t, to, s[i + 1], 1, w);
        }
    }
    t->wlen[w] = n;
    return rc;
}

/* Push the pairs that gained words in this step (HF drains where_to_update). */
static int push_gains(trainer *t, heap *h) {
    int rc = 0;
    for (int32_t i = 0; i < t->step_pairs.n; i++) {
        int32_t p = t->step_pairs.v[i];
        ivec pos = t->step_pos[i];
        const pair_info *pi = &t->pairs.info[p];
        if (rc || pi->count <= 0) {
            free(pos.v);
            continue;
        }
        cand c = {(uint64_t)pi->count, (uint32_t)(pi->key >> 32), (uint32_t)pi->key, h->seq++, pos};
        if ((rc = heap_push(h, c))) free(pos.v);
    }
    t->step_pairs.n = 0;
    return rc;
}

static int count_pairs(trainer *t, heap *h) {
    int rc = 0;
    t->step = 0;
    for (size_t w = 0; w < t->n_words && !rc; w++) {
        const uint32_t *s = t->sym + t->woff[w];
        for (int i = 0; i + 1 < t->wlen[w] && !rc; i++) rc = change(t, s[i], s[i + 1], 1, (int32_t)w);
    }
    return rc ? rc : push_gains(t, h);
}

static int merge_loop(trainer *t, heap *h, wp_vocab *out) {
    const wp_train_opts *o = t->o;
    size_t start = t->vocab.n, goal = o->vocab_size > (int)start ? (size_t)o->vocab_size - start : 0;
    progress pr;
    progress_start(&pr, "merges", goal);
    int rc = 0;
    char *buf = NULL;
    size_t buf_cap = 0;
    out->stop = "no pairs left";
    for (;;) {
        if (t->vocab.n >= (size_t)o->vocab_size) { out->stop = "vocab_size"; break; }
        if (h->n == 0) break;
        cand top = heap_pop(h);
        int64_t p = pair_get(&t->pairs, top.a, top.b);
        if (p < 0) { free(top.pos.v); rc = NEEDLE_ENOMEM; break; }
        uint64_t now = t->pairs.info[p].count > 0 ? (uint64_t)t->pairs.info[p].count : 0;
        if (top.count != now) {
            top.count = now;
            if ((rc = heap_push(h, top))) { free(top.pos.v); break; }
            continue;
        }
        if (top.count < 1 || o->min_frequency > top.count) {
            if (top.count >= 1) out->stop = "min_frequency";
            free(top.pos.v);
            break;
        }
        size_t la, lb;
        const char *sa = strmap_key(&t->vocab, top.a, &la), *sb = strmap_key(&t->vocab, top.b, &lb);
        if (t->prefix_len && lb >= t->prefix_len && !memcmp(sb, o->prefix, t->prefix_len)) sb += t->prefix_len, lb -= t->prefix_len;
        if ((rc = array_grow((void **)&buf, &buf_cap, la + lb, 1))) { free(top.pos.v); break; }
        memcpy(buf, sa, la);
        memcpy(buf + la, sb, lb);
        int32_t to;
        if ((rc = vocab_add(t, buf, la + lb, &to))) { free(top.pos.v); break; }
        out->n_merges++;
        t->step++;
        for (int32_t i = 0; i < top.pos.n && !rc; i++) rc = merge_word(t, top.pos.v[i], top.a, top.b, (uint32_t)to);
        free(top.pos.v);
        if (!rc) rc = push_gains(t, h);
        if (rc) break;
        if ((out->n_merges & 255) == 0) progress_update(&pr, t->vocab.n - start, NULL);
    }
    free(buf);
    progress_finish(&pr, out->stop);
    return rc;
}

void wp_vocab_free(wp_vocab *v) {
    for (int i = 0; v->tokens && i < v->n; i++) free(v->tokens[i]);
    free(v->tokens);
    memset(v, 0, sizeof *v);
}

int wordpiece_train(const word_counts *wc, const wp_train_opts *o, wp_vocab *out) {
    memset(out, 0, sizeof *out);
    trainer t;
    memset(&t, 0, sizeof t);
    t.o = o;
    t.prefix_len = o->prefix ? strlen(o->prefix) : 0;
    strmap_init(&t.vocab);
    heap h = {0};
    t.n_words = word_counts_distinct(wc);
    word_ref *words = malloc((t.n_words ? t.n_words : 1) * sizeof *words);
    int rc = words ? 0 : error_set(NEEDLE_ENOMEM, "out of memory for the words");
    if (o->vocab_size < 1) rc = error_set(NEEDLE_EINVAL, "vocab_size must be positive");
    if (t.prefix_len > 32) rc = error_set(NEEDLE_EINVAL, "continuing-subword prefix longer than 32 bytes");
    for (size_t w = 0; !rc && w < t.n_words; w++) words[w].s = word_counts_word(wc, w, &words[w].len, &words[w].count);
    if (!rc) qsort(words, t.n_words, sizeof *words, cmp_word);
    for (int i = 0; i < o->n_special && !rc; i++) {
        int32_t id;
        rc = vocab_add(&t, o->special_tokens[i], strlen(o->special_tokens[i]), &id);
    }
    out->n_special = (int)t.vocab.n;
    if (!rc) rc = add_alphabet(&t, words, &out->n_alphabet);
    if (!rc) rc = add_continuing(&t, words, &out->n_continuing);
    if (!rc) rc = split_words(&t, words);
    free(words);
    if (!rc) rc = count_pairs(&t, &h);
    if (!rc) rc = merge_loop(&t, &h, out);
    if (!rc && !(out->tokens = calloc(t.vocab.n ? t.vocab.n : 1, sizeof *out->tokens)))
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < t.vocab.n; i++) {
        size_t len;
        const char *s = strmap_key(&t.vocab, i, &len);
        if (!(out->tokens[i] = malloc(len + 1))) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); break; }
        memcpy(out->tokens[i], s, len);
        out->tokens[i][len] = 0;
        out->n = (int)i + 1;
    }
    for (size_t i = 0; i < h.n; i++) free(h.c[i].pos.v);
    free(h.c);
    pairs_free(&t.pairs);
    free(t.step_pairs.v);
    free(t.step_pos);
    free(t.sym);
    free(t.woff);
    free(t.wlen);
    free(t.wcount);
    strmap_free(&t.vocab);
    if (rc) wp_vocab_free(out);
    return rc ? error_prefix(rc, "training the WordPiece vocabulary: ") : 0;
}

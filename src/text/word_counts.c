/* word_counts.c — the words of a training corpus and how often each occurs, as Hugging
 * Face's trainers see them: every text goes through the BertNormalizer and the
 * BertPreTokenizer of the tokenizer being trained (the same normalizer.c / pretokenizer.c
 * code that encoding uses, so training and encoding can never disagree on a word).
 *
 * Texts are counted on all cores: each batch of texts is cut into pieces at ASCII whitespace
 * (a word never spans whitespace and every BERT normalisation step is local to a character
 * or to a run of combining marks, which whitespace ends, so the cut changes no word), each
 * thread counts its pieces into its own table, and the tables are folded into the shared one
 * after the batch. Counts are 64-bit, as HF's are. */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/array.h"
#include "needle/error.h"
#include "needle/utf8.h"
#include "needle/wordpiece_train.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { PIECE_BYTES = 1 << 16 };

typedef struct {
    strmap map;        /* word -> index into counts */
    uint64_t *counts;
    size_t cap;
} count_table;

struct word_counts {
    normalizer nz;
    pretokenizer pt;
    count_table all;
    uint64_t total;
};

static int table_add(count_table *t, const char *w, size_t len, uint64_t count) {
    int32_t idx;
    uint64_t h = strmap_hash(w, len);
    if (strmap_get_hashed(&t->map, h, w, len, &idx)) {
        t->counts[idx] += count;
        return 0;
    }
    int rc = array_grow((void **)&t->counts, &t->cap, t->map.n, sizeof *t->counts);
    if (rc) return rc;
    if (t->map.n >= INT32_MAX) return error_set(NEEDLE_EINVAL, "more than %d distinct words", INT32_MAX);
    idx = (int32_t)t->map.n;
    if (strmap_put(&t->map, w, len, idx)) return NEEDLE_ENOMEM;
    t->counts[idx] = count;
    return 0;
}

static void table_free(count_table *t) {
    strmap_free(&t->map);
    free(t->counts);
    memset(t, 0, sizeof *t);
}

int word_counts_create(int lowercase, word_counts **out) {
    word_counts *wc = calloc(1, sizeof *wc);
    if (!wc) return error_set(NEEDLE_ENOMEM, "out of memory");
    wc->nz.kind = NZ_BERT;
    wc->nz.clean_text = wc->nz.handle_chinese = 1;
    wc->nz.lowercase = wc->nz.strip_accents = (uint8_t)(lowercase != 0);
    wc->pt.kind = PT_BERT;
    uc_init();
    strmap_init(&wc->all.map);
    *out = wc;
    return 0;
}

void word_counts_free(word_counts *wc) {
    if (!wc) return;
    table_free(&wc->all);
    free(wc);
}

int word_counts_add_word(word_counts *wc, const char *word, size_t len, uint64_t count) {
    int rc = table_add(&wc->all, word, len, count);
    if (!rc) wc->total += count;
    return rc;
}

size_t word_counts_distinct(const word_counts *wc) { return wc->all.map.n; }
uint64_t word_counts_total(const word_counts *wc) { return wc->total; }

/* Word i of the table (in insertion order) and its count; for the trainer. */
const char *word_counts_word(const word_counts *wc, size_t i, size_t *len, uint64_t *count) {
    *count = wc->all.counts[i];
    return strmap_key(&wc->all.map, i, len);
}

/* Per-thread scratch for one piece of text. */
typedef struct {
    count_table t;
    uint32_t *cps;
    size_t cps_cap;
    nstr tmp;
    ptext a, b;
    char *word;
    size_t word_cap;
    uint64_t total;
} counter;

static int count_piece(const word_counts *wc, counter *k, const char *s, size_t len) {
    if (len + 1 > k->cps_cap) {
        free(k->cps);
        k->cps_cap = len + 1;
        if (!(k->cps = malloc(k->cps_cap * sizeof *k->cps))) return error_set(NEEDLE_ENOMEM, "out of memory counting words");
    }
    int n = (int)utf8_decode_all(s, len, k->cps, NULL);
    ptext *a = &k->a, *b = &k->b;
    a->chars.n = a->n_splits = b->chars.n = b->n_splits = 0;
    int rc = nstr_reserve(&a->chars, n);
    if (rc) return rc;
    for (int i = 0; i < n; i++) a->chars.c[i] = (nchar){k->cps[i], i, i + 1};
    a->chars.n = n;
    if ((rc = normalizer_apply(&wc->nz, &a->chars, &k->tmp, 0))) return rc;
    if ((rc = ptext_add_split(a, 0, a->chars.n, -1))) return rc;
    if ((rc = pretokenizer_apply(&wc->pt, a, b))) return rc;
    for (int w = 0; w < a->n_splits && !rc; w++) {
        const nchar *c = a->chars.c + a->splits[w].start;
        int nc = a->splits[w].end - a->splits[w].start;
        if (nc <= 0) continue;
        if ((size_t)nc * 4 > k->word_cap) {
            free(k->word);
            k->word_cap = (size_t)nc * 4;
            if (!(k->word = malloc(k->word_cap))) return error_set(NEEDLE_ENOMEM, "out of memory counting words");
        }
        size_t wl = 0;
        for (int i = 0; i < nc; i++) wl += (size_t)utf8_encode(c[i].cp, k->word + wl);
        rc = table_add(&k->t, k->word, wl, 1);
        k->total++;
    }
    return rc;
}

static void counter_free(counter *k) {
    table_free(&k->t);
    free(k->cps);
    free(k->word);
    nstr_free(&k->tmp);
    ptext_free(&k->a);
    ptext_free(&k->b);
}

typedef struct {
    const char *s;
    size_t len;
} piece;

/* Cut the texts into pieces of about PIECE_BYTES that end after ASCII whitespace. */
static int cut_pieces(int n, const char *const *texts, const size_t *lens, piece **out, size_t *n_out) {
    size_t cap = 0, np = 0;
    piece *p = NULL;
    for (int i = 0; i < n; i++) {
        const char *s = texts[i];
        size_t len = lens[i], at = 0;
        while (at < len) {
            size_t end = at + PIECE_BYTES < len ? at + PIECE_BYTES : len;
            while (end < len && !(s[end - 1] == ' ' || s[end - 1] == '\n' || s[end - 1] == '\t' || s[end - 1] == '\r')) end++;
            if (array_grow((void **)&p, &cap, np, sizeof *p)) {
                free(p);
                return NEEDLE_ENOMEM;
            }
            p[np++] = (piece){s + at, end - at};
            at = end;
        }
    }
    *out = p;
    *n_out = np;
    return 0;
}

int word_counts_add_texts(word_counts *wc, int n, const char *const *texts, const size_t *lens) {
    piece *pieces;
    size_t np;
    int rc = cut_pieces(n, texts, lens, &pieces, &np);
    if (rc) return rc;
    int nt = omp_get_max_threads();
    if ((size_t)nt > np) nt = np > 0 ? (int)np : 1;
    counter *ks = calloc((size_t)nt, sizeof *ks);
    int *rcs = calloc((size_t)nt, sizeof *rcs);
    if (!ks || !rcs) {
        free(ks);
        free(rcs);
        free(pieces);
        return error_set(NEEDLE_ENOMEM, "out of memory counting words");
    }
    for (int t = 0; t < nt; t++) strmap_init(&ks[t].t.map);
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < np; i++)
            if (!rcs[t]) rcs[t] = count_piece(wc, &ks[t], pieces[i].s, pieces[i].len);
    }
    for (int t = 0; t < nt && !rc; t++) rc = rcs[t];
    for (int t = 0; t < nt; t++) {
        for (size_t i = 0; i < ks[t].t.map.n && !rc; i++) {
            size_t len;
            const char *w = strmap_key(&ks[t].t.map, i, &len);
            rc = table_add(&wc->all, w, len, ks[t].t.counts[i]);
        }
        if (!rc) wc->total += ks[t].total;
        counter_free(&ks[t]);
    }
    free(ks);
    free(rcs);
    free(pieces);
    return rc;
}

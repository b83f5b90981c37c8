/* analyzer.c — the English analysis chain of Anserini/Lucene (see analyzer.h) on top of
 * standard_tokenize: possessive removal, lower-casing, stop words, Porter stemming.
 *
 * The order is Lucene's: EnglishPossessiveFilter sees the token before lower-casing (it
 * accepts 's and 'S), and the stop filter sees lower-cased, unstemmed words. Stemming is the
 * expensive step, so results are cached per lower-cased word (vocabularies are Zipfian: a
 * few thousand words make most tokens); the cache is dropped when it grows past a bound. */
#include "needle/analyzer.h"
#include "needle/error.h"
#include "needle/strbuf.h"
#include "needle/strtab.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define CACHE_MAX_WORDS (1u << 20)
#define STOPWORD_MARK UINT32_MAX

struct analyzer {
    struct sb_stemmer *stemmer;
    strtab cache;          /* lower-cased words seen so far */
    strbuf stems;          /* their stems, back to back */
    uint64_t *stem_off;    /* per cached word: offset in `stems` */
    uint32_t *stem_len;    /* per cached word: stem length, or STOPWORD_MARK */
    uint32_t stem_cap;
    strbuf lower;          /* scratch: the current token lower-cased */
    strbuf scratch;        /* scratch: a word re-stemmed for Lucene's departures */
    const char *text;      /* the text being analysed, for the tokenizer callback */
    analyzer_term_fn emit;
    void *emit_ctx;
    int error;             /* a NEEDLE_E* code raised inside the callback */
};

/* Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, sorted for bsearch. */
static const char *const stop_words[] = {
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with",
};

int analyzer_is_stopword(const char *term, size_t len) {
    int lo = 0, hi = (int)(sizeof stop_words / sizeof stop_words[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *w = stop_words[mid];
        size_t wl = strlen(w), n = wl < len ? wl : len;
        int c = memcmp(term, w, n);
        if (!c) c = len < wl ? -1 : len > wl ? 1 : 0;
        if (!c) return 1;
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return 0;
}

int analyzer_new(analyzer **out) {
    *out = NULL;
    analyzer *a = calloc(1, sizeof *a);
    if (!a) return error_set(NEEDLE_ENOMEM, "analyzer: out of memory");
    a->stemmer = sb_stemmer_new("porter", NULL);
    if (!a->stemmer) {
        free(a);
        return error_set(NEEDLE_EUNSUPPORTED, "analyzer: libstemmer has no \"porter\" stemmer");
    }
    strtab_init(&a->cache);
    strbuf_init(&a->stems);
    strbuf_init(&a->lower);
    strbuf_init(&a->scratch);
    *out = a;
    return 0;
}

void analyzer_free(analyzer *a) {
    if (!a) return;
    sb_stemmer_delete(a->stemmer);
    strtab_free(&a->cache);
    strbuf_free(&a->stems);
    strbuf_free(&a->lower);
    strbuf_free(&a->scratch);
    free(a->stem_off);
    free(a->stem_len);
    free(a);
}

/* Lower-case token bytes into a->lower (Unicode simple case mapping, as Java's
 * Character.toLowerCase). Returns the number of UTF-16 code units, for the stemmer's
 * two-character rule. */
static size_t lower_token(analyzer *a, const char *s, size_t n, int *rc) {
    strbuf_clear(&a->lower);
    *rc = strbuf_reserve(&a->lower, n + 8);
    size_t units = 0;
    for (size_t i = 0; i < n && !*rc;) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            *rc = strbuf_putc(&a->lower, (char)(b >= 'A' && b <= 'Z' ? b + 32 : b));
            i++;
            units++;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) { i++; continue; } /* the tokenizer never puts invalid bytes in a token */
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(c), enc);
        *rc = strbuf_append(&a->lower, (const char *)enc, (size_t)m);
        i += (size_t)k;
        units += c >= 0x10000 ? 2 : 1;
    }
    return units;
}

/* Porter's m(): the number of vowel-consonant sequences in w[0, n), where y after a
 * consonant counts as a vowel. */
static int porter_measure(const char *w, size_t n) {
    int m = 0, prev_vowel = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        int vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || (c == 'y' && i > 0 && !prev_vowel);
        if (prev_vowel && !vowel) m++;
        prev_vowel = vowel;
    }
    return m;
}

/* Snowball's "porter" is Porter's published algorithm; Lucene's PorterStemmer follows
 * Porter's reference code, which departs from it in step 2 by mapping -bli to -ble (the
 * paper has -abli to -able) and adding -logi to -log, both when m() of the rest is > 0.
 * Those suffixes survive steps 3-5 untouched, so a Snowball result that still ends in them
 * is where Lucene would have gone on: -logi just loses its i, and -bli becomes -ble and
 * is stemmed again (steps 1-3 leave a -ble word alone, so that replays Lucene's 4-6).
 * A word that ends in e reached step 2 still ending in e (step 1 only strips -s, -ed,
 * -ing), so its -logi/-bli came from the final e-removal and is left as it is. */
static int porter_lucene_departures(struct sb_stemmer *st, const char *word, size_t word_len, const char **s,
                                    size_t *n, strbuf *tmp) {
    const char *w = *s;
    size_t len = *n;
    if (word_len && word[word_len - 1] == 'e') return 0;
    if (len > 4 && !memcmp(w + len - 4, "logi", 4) && porter_measure(w, len - 4) > 0) {
        *n = len - 1;
        return 0;
    }
    if (len > 3 && !memcmp(w + len - 3, "bli", 3) && porter_measure(w, len - 3) > 0) {
        strbuf_clear(tmp);
        int rc = strbuf_append(tmp, w, len - 1);
        if (!rc) rc = strbuf_putc(tmp, 'e');
        if (rc) return rc;
        *s = (const char *)sb_stemmer_stem(st, (const sb_symbol *)tmp->data, (int)tmp->len);
        if (!*s) return error_set(NEEDLE_ENOMEM, "analyzer: stemmer out of memory");
        *n = (size_t)sb_stemmer_length(st);
    }
    return 0;
}

/* Find or compute the stem of the word in a->lower; *len = STOPWORD_MARK for stop words. */
static int stem_cached(analyzer *a, size_t units, const char **stem, uint32_t *len) {
    const char *w = a->lower.data;
    size_t wl = a->lower.len;
    uint32_t id;
    if (strtab_find(&a->cache, w, wl, &id)) {
        *len = a->stem_len[id];
        *stem = a->stems.data + a->stem_off[id];
        return 0;
    }
    if (a->cache.count >= CACHE_MAX_WORDS) {
        strtab_clear(&a->cache);
        strbuf_clear(&a->stems);
    }
    const char *s = w;
    size_t sl = wl;
    uint32_t mark = 0;
    if (analyzer_is_stopword(w, wl)) {
        mark = STOPWORD_MARK;
        sl = 0;
    } else if (units > 2) { /* Lucene's PorterStemmer leaves words of 1-2 characters alone */
        s = (const char *)sb_stemmer_stem(a->stemmer, (const sb_symbol *)w, (int)wl);
        if (!s) return error_set(NEEDLE_ENOMEM, "analyzer: stemmer out of memory");
        sl = (size_t)sb_stemmer_length(a->stemmer);
        int rc = porter_lucene_departures(a->stemmer, w, wl, &s, &sl, &a->scratch);
        if (rc) return rc;
    }
    int rc = strtab_intern(&a->cache, w, wl, &id, NULL);
    if (rc) return rc;
    if (id >= a->stem_cap) {
        uint32_t cap = a->stem_cap ? a->stem_cap * 2 : 4096;
        uint64_t *off = realloc(a->stem_off, (size_t)cap * sizeof *off);
        if (!off) return error_set(NEEDLE_ENOMEM, "analyzer: out of memory");
        a->stem_off = off;
        uint32_t *lens = realloc(a->stem_len, (size_t)cap * sizeof *lens);
        if (!lens) return error_set(NEEDLE_ENOMEM, "analyzer: out of memory");
        a->stem_len = lens;
        a->stem_cap = cap;
    }
    a->stem_off[id] = a->stems.len;
    a->stem_len[id] = mark ? mark : (uint32_t)sl;
    if ((rc = strbuf_append(&a->stems, s, sl))) return rc;
    *stem = a->stems.data + a->stem_off[id];
    *len = a->stem_len[id];
    return 0;
}

/* EnglishPossessiveFilter: the length without a trailing 's, ’s or ＇s. */
static size_t strip_possessive(const char *s, size_t n) {
    if (n < 2 || (s[n - 1] != 's' && s[n - 1] != 'S')) return n;
    if (s[n - 2] == '\'') return n - 2;
    if (n >= 4 && !memcmp(s + n - 4, "\xE2\x80\x99", 3)) return n - 4; /* U+2019 */
    if (n >= 4 && !memcmp(s + n - 4, "\xEF\xBC\x87", 3)) return n - 4; /* U+FF07 */
    return n;
}

static int on_token(void *ctx, size_t start, size_t end) {
    analyzer *a = ctx;
    size_t n = strip_possessive(a->text + start, end - start);
    if (!n) return 0;
    int rc;
    size_t units = lower_token(a, a->text + start, n, &rc);
    const char *stem = NULL;
    uint32_t len = 0;
    if (!rc) rc = stem_cached(a, units, &stem, &len);
    if (rc) {
        a->error = rc;
        return rc;
    }
    if (len == STOPWORD_MARK || len == 0) return 0;
    return a->emit(a->emit_ctx, stem, len);
}

int analyzer_run(analyzer *a, const char *text, size_t len, analyzer_term_fn emit, void *ctx) {
    a->text = text;
    a->emit = emit;
    a->emit_ctx = ctx;
    a->error = 0;
    int rc = standard_tokenize(text, len, on_token, a);
    a->text = NULL;
    return a->error ? a->error : rc;
}

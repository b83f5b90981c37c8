/* text_clean.c — Haystack-style document cleaning that only ever deletes characters.
 *
 * Cleaning marks bytes of the original text as deleted (a keep mask) in three passes — repeated
 * header/footer, whitespace at line and page ends, runs of empty lines — and then copies the
 * kept bytes out together with their original offsets. Because nothing is rewritten, every
 * byte of the cleaned text knows where it came from, and passages can report offsets in the
 * original document (see preprocess.h). Deletions always take whole ASCII whitespace bytes or
 * whole words, so UTF-8 sequences are never cut. */
#include "needle/error.h"
#include "needle/preprocess.h"

#include <stdlib.h>
#include <string.h>

static int is_hspace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v'; }
static int is_space(unsigned char c) { return is_hspace(c) || c == '\n' || c == '\f'; }

/* ------------------------------------------------------------------ header and footer */

typedef struct {
    size_t start, end; /* a page: [start, end) of the original, without its form feed */
} page;

/* The words of text[from, to) that are still kept: spans of non-whitespace kept bytes. */
static size_t window_words(const char *text, const unsigned char *keep, size_t from, size_t to, text_span *w, size_t max) {
    size_t n = 0, i = from;
    while (i < to && n < max) {
        while (i < to && (!keep[i] || is_space((unsigned char)text[i]))) i++;
        if (i >= to) break;
        size_t s = i;
        while (i < to && keep[i] && !is_space((unsigned char)text[i])) i++;
        w[n++] = (text_span){s, i};
    }
    return n;
}

static int same_word(const char *text, text_span a, text_span b) {
    return a.end - a.start == b.end - b.start && !memcmp(text + a.start, text + b.start, a.end - a.start);
}

/* Position of the word sequence `seq` (n words) in words w[0, nw): first or last occurrence. */
static long find_seq(const char *text, const text_span *w, size_t nw, const text_span *seq, size_t n, int last) {
    if (nw < n) return -1;
    long found = -1;
    for (size_t s = 0; s + n <= nw; s++) {
        size_t k = 0;
        while (k < n && same_word(text, w[s + k], seq[k])) k++;
        if (k == n) {
            found = (long)s;
            if (!last) break;
        }
    }
    return found;
}

enum { MAX_WINDOW_WORDS = 512 };

/* Find the longest word sequence (min..max words) present in the header (or footer) window of
 * every relevant page, and delete its occurrence from that window on every page. */
static int remove_repeated(const clean_opts *o, const char *text, unsigned char *keep, const page *pages, size_t np, int footer) {
    size_t first = (size_t)o->hf_first_pages_to_ignore, last = (size_t)o->hf_last_pages_to_ignore;
    size_t nrel = 0;
    int rc = 0;
    text_span *words = malloc(np * MAX_WINDOW_WORDS * sizeof *words);
    size_t *nw = calloc(np, sizeof *nw), *rel = malloc(np * sizeof *rel);
    if (!words || !nw || !rel) { rc = error_set(NEEDLE_ENOMEM, "out of memory cleaning headers"); goto done; }
    for (size_t p = 0; p < np; p++) {
        size_t n = (size_t)o->hf_n_chars, len = pages[p].end - pages[p].start;
        size_t from = footer ? pages[p].end - (len < n ? len : n) : pages[p].start;
        size_t to = footer ? pages[p].end : pages[p].start + (len < n ? len : n);
        nw[p] = window_words(text, keep, from, to, words + p * MAX_WINDOW_WORDS, MAX_WINDOW_WORDS);
        if (p >= first && p + last < np && nw[p] > 0) rel[nrel++] = p;
    }
    if (nrel < 2) goto done;
    const text_span *w0 = words + rel[0] * MAX_WINDOW_WORDS;
    for (int n = o->hf_max_words; n >= o->hf_min_words && n > 0; n--) {
        for (size_t s = 0; s + (size_t)n <= nw[rel[0]]; s++) {
            size_t r = 1;
            while (r < nrel && find_seq(text, words + rel[r] * MAX_WINDOW_WORDS, nw[rel[r]], w0 + s, (size_t)n, 0) >= 0) r++;
            if (r < nrel) continue;
            const text_span *seq = w0 + s;
            for (size_t p = 0; p < np; p++) {
                const text_span *wp = words + p * MAX_WINDOW_WORDS;
                long at = find_seq(text, wp, nw[p], seq, (size_t)n, footer);
                if (at < 0) continue;
                for (size_t i = wp[at].start; i < wp[at + n - 1].end; i++) keep[i] = 0;
            }
            goto done;
        }
    }
done:
    free(words);
    free(nw);
    free(rel);
    return rc;
}

static int clean_header_footer(const clean_opts *o, const char *text, size_t len, unsigned char *keep) {
    if (o->hf_n_chars <= 0 || o->hf_min_words < 1 || o->hf_max_words > 64 || o->hf_min_words > o->hf_max_words)
        return error_set(NEEDLE_EINVAL, "header/footer cleaning: need n_chars > 0 and 1 <= min_words <= max_words <= 64");
    size_t np = 1;
    for (size_t i = 0; i < len; i++) np += text[i] == '\f';
    page *pages = malloc(np * sizeof *pages);
    if (!pages) return error_set(NEEDLE_ENOMEM, "out of memory cleaning headers");
    size_t p = 0, s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\f') {
            pages[p++] = (page){s, i};
            s = i + 1;
        }
    }
    int rc = remove_repeated(o, text, keep, pages, np, 0);
    if (!rc) rc = remove_repeated(o, text, keep, pages, np, 1);
    free(pages);
    return rc;
}

/* ------------------------------------------------------------------ whitespace, empty lines */

/* Delete kept whitespace at both ends of [s, e), where `ws` says which bytes count. */
static void strip_range(const char *text, unsigned char *keep, size_t s, size_t e, int (*ws)(unsigned char)) {
    size_t a = s;
    while (a < e && (!keep[a] || ws((unsigned char)text[a]))) keep[a++] = 0;
    if (a == e) return;
    size_t b = e;
    while (b > a && (!keep[b - 1] || ws((unsigned char)text[b - 1]))) keep[--b] = 0;
}

static void clean_whitespace(const char *text, size_t len, unsigned char *keep) {
    size_t s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n' || text[i] == '\f') {
            strip_range(text, keep, s, i, is_hspace);
            s = i + 1;
        }
    }
    s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\f') {
            strip_range(text, keep, s, i, is_space);
            s = i + 1;
        }
    }
}

static void clean_empty_lines(const char *text, size_t len, unsigned char *keep) {
    int run = 0;
    for (size_t i = 0; i < len; i++) {
        if (!keep[i]) continue;
        if (text[i] == '\n') {
            if (++run > 2) keep[i] = 0;
        } else {
            run = 0;
        }
    }
}

int text_clean(const clean_opts *o, const char *text, size_t len, clean_text *out) {
    memset(out, 0, sizeof *out);
    unsigned char *keep = malloc(len ? len : 1);
    if (!keep) return error_set(NEEDLE_ENOMEM, "out of memory cleaning a %zu-byte document", len);
    memset(keep, 1, len);
    int rc = 0;
    if (o->header_footer && (rc = clean_header_footer(o, text, len, keep))) goto done;
    if (o->whitespace) clean_whitespace(text, len, keep);
    if (o->empty_lines) clean_empty_lines(text, len, keep);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += keep[i];
    out->text = malloc(n + 1);
    out->orig = malloc((n + 1) * sizeof *out->orig);
    if (!out->text || !out->orig) {
        clean_text_free(out);
        rc = error_set(NEEDLE_ENOMEM, "out of memory cleaning a %zu-byte document", len);
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (!keep[i]) continue;
        out->text[k] = text[i];
        out->orig[k++] = i;
    }
    out->text[k] = 0;
    out->orig[k] = len;
    out->len = k;
done:
    free(keep);
    return rc;
}

void clean_text_free(clean_text *c) {
    free(c->text);
    free(c->orig);
    memset(c, 0, sizeof *c);
}

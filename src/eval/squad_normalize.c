/* squad_normalize.c — the official SQuAD answer normalisation, bit for bit as Python 3 runs
 * evaluate-v*.py: str.lower(), ASCII string.punctuation removed, \b(a|an|the)\b replaced by a
 * space with Unicode word boundaries, whitespace collapsed (see squad_eval.h).
 *
 * Text is decoded to code points once and each step is a pass over the array, because every
 * step is defined per code point (lower() can grow the text: U+0130 becomes two). The
 * article regex needs no regex engine: \b on both sides of a pattern made of word characters
 * means the match is a whole maximal run of word characters, so runs are compared instead. */
#include "needle/error.h"
#include "needle/squad_eval.h"
#include "needle/utf8.h"
#include "squad_text.h"
#include "needle/pystr.h"

#include <stdlib.h>

static int reserve(squad_norm_scratch *s, size_t n) {
    if (n <= s->cap) return 0;
    uint32_t *a = realloc(s->a, n * sizeof *a);
    if (!a) return error_set(NEEDLE_ENOMEM, "out of memory normalising an answer");
    s->a = a;
    uint32_t *b = realloc(s->b, n * sizeof *b);
    if (!b) return error_set(NEEDLE_ENOMEM, "out of memory normalising an answer");
    s->b = b;
    s->cap = n;
    return 0;
}

void squad_norm_scratch_free(squad_norm_scratch *s) {
    free(s->a);
    free(s->b);
    s->a = s->b = NULL;
    s->cap = 0;
}

/* CPython's handle_capital_sigma: final when a cased letter precedes (skipping
 * case-ignorables) and no cased letter follows (skipping case-ignorables). */
static int final_sigma(const uint32_t *cp, size_t n, size_t i) {
    size_t j = i;
    while (j > 0 && pystr_is_case_ignorable(cp[j - 1])) j--;
    if (j == 0 || !pystr_is_cased(cp[j - 1])) return 0;
    j = i + 1;
    while (j < n && pystr_is_case_ignorable(cp[j])) j++;
    return j == n || !pystr_is_cased(cp[j]);
}

/* Decode text into s->a and lower-case it into s->b; returns the length of s->b. */
static int lower_into(squad_norm_scratch *s, const char *text, size_t n, size_t *out_len) {
    int rc = reserve(s, 2 * n + 1);
    if (rc) return rc;
    size_t m = 0, i = 0, k = 0;
    while (i < n) s->a[m++] = utf8_decode(text, n, &i);
    for (size_t j = 0; j < m; j++) {
        if (s->a[j] == 0x3A3) s->b[k++] = final_sigma(s->a, m, j) ? 0x3C2 : 0x3C3;
        else k += pystr_lower_cp(s->a[j], s->b + k);
    }
    *out_len = k;
    return 0;
}

static int put_cp(strbuf *out, uint32_t cp) {
    char buf[4];
    return strbuf_append(out, buf, utf8_encode(cp, buf));
}

int squad_lower(const char *s, size_t n, strbuf *out) {
    squad_norm_scratch sc = {0};
    size_t len;
    int rc = lower_into(&sc, s, n, &len);
    for (size_t i = 0; !rc && i < len; i++) rc = put_cp(out, sc.b[i]);
    squad_norm_scratch_free(&sc);
    return rc;
}

static int is_punctuation(uint32_t cp) {
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
}

static int is_article(const uint32_t *w, size_t len) {
    if (len == 1) return w[0] == 'a';
    if (len == 2) return w[0] == 'a' && w[1] == 'n';
    return len == 3 && w[0] == 't' && w[1] == 'h' && w[2] == 'e';
}

int squad_normalize_into(squad_norm_scratch *s, const char *text, size_t n, strbuf *out) {
    size_t len;
    int rc = lower_into(s, text, n, &len);
    if (rc) return rc;
    uint32_t *b = s->b;
    size_t w = 0;
    for (size_t r = 0; r < len; r++)
        if (!is_punctuation(b[r])) b[w++] = b[r];
    len = w;
    w = 0;
    for (size_t r = 0; r < len;) {
        if (!pystr_is_word(b[r])) { b[w++] = b[r++]; continue; }
        size_t e = r;
        while (e < len && pystr_is_word(b[e])) e++;
        if (is_article(b + r, e - r)) b[w++] = ' ';
        else while (r < e) b[w++] = b[r++];
        r = e;
    }
    len = w;
    int first = 1;
    for (size_t r = 0; r < len && !rc;) {
        if (pystr_is_space(b[r])) { r++; continue; }
        if (!first) rc = strbuf_putc(out, ' ');
        first = 0;
        while (r < len && !pystr_is_space(b[r]) && !rc) rc = put_cp(out, b[r++]);
    }
    if (!rc) rc = strbuf_append(out, "", 0); /* NUL-terminated even when empty */
    return rc;
}

int squad_normalize(const char *s, size_t n, strbuf *out) {
    squad_norm_scratch sc = {0};
    int rc = squad_normalize_into(&sc, s, n, out);
    squad_norm_scratch_free(&sc);
    return rc;
}

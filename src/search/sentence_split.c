/* sentence_split.c — a rule-based English sentence splitter.
 *
 * Haystack 1.x splits sentences with NLTK's Punkt, a statistical model we cannot ship in a C
 * binary without its pickled parameters. Instead: a small set of rules and word lists that
 * handle what breaks naive splitters in the documents this project sees (Wikipedia, papers):
 *
 *  - a candidate end is a run of . ! ? … followed by optional closing quotes/brackets and then
 *    whitespace or the end of the text ("3.14", "U.S.A", "e.g.," never qualify);
 *  - no end when the next word starts with a lower-case letter ("e.g. the", "?” she said");
 *  - after a single period, the word before it is looked at:
 *      NEVER_END abbreviations (Dr., Mr., e.g., i.e., Fig., No., vs., ...) never end a sentence;
 *      MAYBE_END abbreviations (etc., Inc., U.S., et al., ...), single letters (initials:
 *      "J. R. R. Tolkien") and dotted letter groups ("Ph.D.", "U.K.") end a sentence only when
 *      the next word is a common SENTENCE_STARTER ("... in the U.S. The company ...");
 *  - a blank line always ends a sentence (titles and list items without punctuation).
 *
 * The lists are below and documented in docs/search-store.md. */
#include "needle/array.h"
#include "needle/error.h"
#include "needle/preprocess.h"
#include "needle/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

static const char *const NEVER_END[] = {
    "mr", "mrs", "ms", "messrs", "dr", "prof", "rev", "hon", "gen", "col", "capt", "lt", "sgt", "gov",
    "sen", "rep", "st", "mt", "ft", "fig", "figs", "eq", "eqs", "tab", "vol", "vols",
    "pp", "ch", "chap", "sec", "ref", "refs", "e.g", "i.e", "cf", "vs", "viz", "approx", "ca",
    "dept", "est", "op", "ed", "eds", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", NULL};

static const char *const MAYBE_END[] = {
    "etc", "no", "nos", "inc", "ltd", "co", "corp", "jr", "sr", "bros", "al", "u.s", "u.k", "u.n", "e.u",
    "a.m", "p.m", "ph.d", "b.c", "a.d", NULL};

static const char *const SENTENCE_STARTERS[] = {
    "A", "An", "The", "This", "That", "These", "Those", "It", "Its", "He", "She", "We", "They",
    "I", "You", "His", "Her", "Our", "Their", "My", "Your", "There", "Here", "In", "On", "At",
    "For", "But", "And", "Or", "So", "Yet", "However", "Moreover", "Furthermore", "Thus",
    "Therefore", "Hence", "Also", "Then", "When", "While", "After", "Before", "Although",
    "Though", "If", "As", "Since", "Because", "What", "Which", "Who", "How", "Why", "Where",
    "Some", "Many", "Most", "All", "Each", "Every", "One", "To", "From", "With", "By", "Such",
    "Other", "Another", "Both", "Finally", "First", "Later", "Meanwhile", "Nevertheless",
    "Instead", "Indeed", "Still", "Only", "Now", "Once", "During", "Despite", "Today", NULL};

static int in_list(const char *const *list, const char *w, size_t n, int fold) {
    for (; *list; list++)
        if (strlen(*list) == n && (fold ? !strncasecmp(*list, w, n) : !strncmp(*list, w, n))) return 1;
    return 0;
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* The code point at text[i] (U+FFFD for an invalid byte, utf8_decode's rule) and its byte
 * length. */
static size_t decode(const char *text, size_t len, size_t i, utf8proc_int32_t *cp) {
    size_t j = i;
    *cp = (utf8proc_int32_t)utf8_decode(text, len, &j);
    return j - i;
}

static int is_closing(utf8proc_int32_t c) {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == 0x201D || c == 0x2019 || c == 0xBB;
}

static int is_opening(utf8proc_int32_t c) {
    return c == '"' || c == '\'' || c == '(' || c == '[' || c == '{' || c == 0x201C || c == 0x2018 || c == 0xAB;
}

static int is_terminator(utf8proc_int32_t c) { return c == '.' || c == '!' || c == '?' || c == 0x2026; }

/* Letters separated by periods, each group of one or two letters: "U.S", "Ph.D", "e.g". */
static int dotted_letters(const char *w, size_t n) {
    int dots = 0, run = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == '.') {
            if (run == 0) return 0;
            dots++;
            run = 0;
        } else if (isalpha((unsigned char)w[i])) {
            if (++run > 2) return 0;
        } else {
            return 0;
        }
    }
    return dots > 0 && run > 0;
}

/* Is the period at text[dot] part of an abbreviation (never, or only maybe, a sentence end)?
 * Returns 0 (a normal word), 1 (never ends), 2 (ends only before a sentence starter). */
static int abbreviation_kind(const char *text, size_t from, size_t dot) {
    size_t b = dot;
    while (b > from && !is_space((unsigned char)text[b - 1])) b--;
    size_t e = dot;
    while (b < e && is_opening((unsigned char)text[b])) b++;
    if (b == e) return 0;
    const char *w = text + b;
    size_t n = e - b;
    if (in_list(NEVER_END, w, n, 1)) return 1;
    if (in_list(MAYBE_END, w, n, 1)) return 2;
    if (n == 1 && isalpha((unsigned char)w[0])) return 2;
    if (dotted_letters(w, n)) return 2;
    return 0;
}

/* The next word (at text[m]) is a common sentence starter. */
static int next_is_starter(const char *text, size_t len, size_t m) {
    size_t e = m;
    while (e < len && isalpha((unsigned char)text[e])) e++;
    return e > m && in_list(SENTENCE_STARTERS, text + m, e - m, 0);
}

static int push(text_span **spans, size_t *n, size_t *cap, size_t s, size_t e) {
    if (e <= s) return 0;
    int rc = array_grow((void **)spans, cap, *n, sizeof **spans);
    if (rc) return rc;
    (*spans)[(*n)++] = (text_span){s, e};
    return 0;
}

/* Whether the whitespace run starting at i contains a blank line; *next gets its end. */
static int blank_line_at(const char *text, size_t len, size_t i, size_t *next) {
    int newlines = 0;
    while (i < len && is_space((unsigned char)text[i])) {
        if (text[i] == '\n') newlines++;
        i++;
    }
    *next = i;
    return newlines >= 2;
}

/* Decide whether the terminator run text[t, k) (closers included) followed by whitespace and
 * the word at m ends the sentence that began at `from`. */
static int ends_sentence(const char *text, size_t len, size_t from, size_t t, size_t run_end, size_t m) {
    size_t p = m;
    utf8proc_int32_t c;
    size_t k = decode(text, len, p, &c);
    while (is_opening(c) && p + k < len) {
        p += k;
        k = decode(text, len, p, &c);
    }
    if (utf8proc_category(c) == UTF8PROC_CATEGORY_LL) return 0;
    int single_period = text[t] == '.' && run_end == t + 1;
    if (!single_period) return 1;
    int kind = abbreviation_kind(text, from, t);
    if (kind == 1) return 0;
    if (kind == 2) return next_is_starter(text, len, p);
    return 1;
}

int sentence_split(const char *text, size_t len, text_span **spans, size_t *n) {
    *spans = NULL;
    *n = 0;
    size_t cap = 0, i = 0, start;
    while (i < len && is_space((unsigned char)text[i])) i++;
    start = i;
    while (i < len) {
        unsigned char ch = (unsigned char)text[i];
        if (is_space(ch)) {
            size_t next;
            if (blank_line_at(text, len, i, &next)) {
                if (push(spans, n, &cap, start, i)) goto fail;
                start = next;
            }
            i = next;
            continue;
        }
        utf8proc_int32_t c;
        size_t k = decode(text, len, i, &c);
        if (!is_terminator(c)) { i += k; continue; }
        size_t t = i, j = i + k;
        while (j < len && (k = decode(text, len, j, &c)) && is_terminator(c)) j += k;
        size_t run_end = j;
        while (j < len && (k = decode(text, len, j, &c)) && is_closing(c)) j += k;
        if (j >= len || !is_space((unsigned char)text[j])) { i = j; continue; }
        size_t m;
        int blank = blank_line_at(text, len, j, &m);
        if (m >= len) { i = m; continue; }
        if (blank || ends_sentence(text, len, start, t, run_end, m)) {
            if (push(spans, n, &cap, start, j)) goto fail;
            start = m;
        }
        i = m;
    }
    size_t e = len;
    while (e > start && is_space((unsigned char)text[e - 1])) e--;
    if (push(spans, n, &cap, start, e)) goto fail;
    return 0;
fail:
    free(*spans);
    *spans = NULL;
    *n = 0;
    return NEEDLE_ENOMEM;
}

/* pretokenizer.c — Hugging Face's pre-tokenizers: cut normalized text into the words the
 * model sees, keeping each character's original span.
 *
 * A pre-tokenizer rewrites a ptext (characters + splits) into another: splits that are
 * added tokens pass through untouched; every other split is cut by a pattern and one of HF's
 * five delimiter behaviours (removed, isolated, merged with previous/next, contiguous), and
 * empty pieces are dropped, as PreTokenizedString::split does. Character patterns match one
 * character at a time (so "--" is two matches, which the contiguous behaviour joins). The
 * GPT-2 regex of the ByteLevel pre-tokenizer is a hand-written matcher with the regex's
 * leftmost-first alternation and backtracking semantics, since it runs on every passage. */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int ptext_add_split(ptext *t, int start, int end, int32_t added_id) {
    if (t->n_splits == t->cap_splits) {
        int cap = t->cap_splits ? 2 * t->cap_splits : 64;
        psplit *s = realloc(t->splits, (size_t)cap * sizeof *s);
        if (!s) return error_set(NEEDLE_ENOMEM, "out of memory growing pre-tokenized splits");
        t->splits = s;
        t->cap_splits = cap;
    }
    t->splits[t->n_splits++] = (psplit){start, end, added_id};
    return 0;
}

void ptext_free(ptext *t) {
    nstr_free(&t->chars);
    free(t->splits);
    free(t->pieces);
    nstr_free(&t->scratch);
    memset(t, 0, sizeof *t);
}

static void ptext_swap(ptext *a, ptext *b) {
    ptext t = *a;
    *a = *b;
    *b = t;
}

/* Append characters as a new split of dst (nothing for an empty piece). */
static int emit(ptext *dst, const nchar *c, int n, int32_t added_id) {
    if (n <= 0) return 0;
    int rc = nstr_reserve(&dst->chars, n);
    if (rc) return rc;
    int start = dst->chars.n;
    memcpy(dst->chars.c + start, c, (size_t)n * sizeof *c);
    dst->chars.n += n;
    return ptext_add_split(dst, start, start + n, added_id);
}

static int piece_push(ptext *t, int s, int e, int match) {
    if (t->n_pieces == t->cap_pieces) {
        int cap = t->cap_pieces ? 2 * t->cap_pieces : 64;
        ppiece *p = realloc(t->pieces, (size_t)cap * sizeof *p);
        if (!p) return error_set(NEEDLE_ENOMEM, "out of memory splitting text");
        t->pieces = p;
        t->cap_pieces = cap;
    }
    t->pieces[t->n_pieces++] = (ppiece){s, e, match};
    return 0;
}

/* Apply a delimiter behaviour to the pieces in dst->pieces (which tile c[0..n)) and emit the
 * resulting splits into dst. */
static int emit_pieces(ptext *dst, const nchar *c, split_behavior b) {
    ppiece *p = dst->pieces;
    int np = dst->n_pieces, k = 0, prev = 0;
    switch (b) {
    case SPLIT_ISOLATED: k = np; break;
    case SPLIT_REMOVED:
        for (int i = 0; i < np; i++) if (!p[i].match) p[k++] = p[i];
        break;
    case SPLIT_CONTIGUOUS:
        for (int i = 0; i < np; i++) {
            if (p[i].match == prev && k > 0) p[k - 1].e = p[i].e;
            else p[k++] = p[i];
            prev = p[i].match;
        }
        break;
    case SPLIT_MERGED_PREV:
        for (int i = 0; i < np; i++) {
            if (p[i].match && !prev && k > 0) p[k - 1].e = p[i].e;
            else p[k++] = p[i];
            prev = p[i].match;
        }
        break;
    case SPLIT_MERGED_NEXT: {
        /* Walk backwards, merging a match into the piece after it, then restore order. */
        int w = np;
        for (int i = np - 1; i >= 0; i--) {
            if (p[i].match && !prev && w < np) p[w].s = p[i].s;
            else p[--w] = p[i];
            prev = p[i].match;
        }
        memmove(p, p + w, (size_t)(np - w) * sizeof *p);
        k = np - w;
        break;
    }
    }
    dst->n_pieces = 0;
    for (int i = 0; i < k; i++) {
        int rc = emit(dst, c + p[i].s, p[i].e - p[i].s, -1);
        if (rc) return rc;
    }
    return 0;
}

/* Pieces for a one-character predicate: each matching character is its own match. */
static int char_pieces(ptext *dst, const nchar *c, int n, int (*pred)(uint32_t)) {
    int last = 0, rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (!pred(c[i].cp)) continue;
        if (last < i) rc = piece_push(dst, last, i, 0);
        if (!rc) rc = piece_push(dst, i, i + 1, 1);
        last = i + 1;
    }
    if (!rc && last < n) rc = piece_push(dst, last, n, 0);
    return rc;
}

static int is_ws(uint32_t c) { return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x80 && uc_is(c, UC_WHITESPACE)); }
static int is_punc(uint32_t c) { return c < 0x80 ? uc_is_ascii_punct(c) : uc_is(c, UC_PUNCT); }
static int is_num(uint32_t c) { return c < 0x80 ? (c >= '0' && c <= '9') : uc_is(c, UC_NUMBER); }
static int is_letter(uint32_t c) { return c < 0x80 ? ((c | 32) >= 'a' && (c | 32) <= 'z') : uc_is(c, UC_LETTER); }
static int is_word(uint32_t c) { return c < 0x80 ? (is_letter(c) || is_num(c) || c == '_') : uc_is(c, UC_WORD); }
static int is_other_class(uint32_t c) { return !is_ws(c) && !is_letter(c) && !is_num(c); }

/* BertPreTokenizer: whitespace removed, then each punctuation character isolated. */
static int split_bert(ptext *dst, const nchar *c, int n) {
    int start = 0, rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        uint32_t cp = c[i].cp;
        if (is_ws(cp)) {
            rc = emit(dst, c + start, i - start, -1);
            start = i + 1;
        } else if (is_punc(cp)) {
            rc = emit(dst, c + start, i - start, -1);
            if (!rc) rc = emit(dst, c + i, 1, -1);
            start = i + 1;
        }
    }
    if (!rc) rc = emit(dst, c + start, n - start, -1);
    return rc;
}

/* WhitespaceSplit: whitespace removed. */
static int split_whitespace_split(ptext *dst, const nchar *c, int n) {
    int start = 0, rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (!is_ws(c[i].cp)) continue;
        rc = emit(dst, c + start, i - start, -1);
        start = i + 1;
    }
    if (!rc) rc = emit(dst, c + start, n - start, -1);
    return rc;
}

/* Whitespace: the matches of \w+|[^\w\s]+ (whitespace dropped). */
static int split_whitespace(ptext *dst, const nchar *c, int n) {
    int i = 0, rc = 0;
    while (i < n && !rc) {
        int j = i;
        if (is_word(c[i].cp)) {
            while (j < n && is_word(c[j].cp)) j++;
        } else if (!is_ws(c[i].cp)) {
            while (j < n && !is_word(c[j].cp) && !is_ws(c[j].cp)) j++;
        } else {
            i++;
            continue;
        }
        rc = emit(dst, c + i, j - i, -1);
        i = j;
    }
    return rc;
}

/* The GPT-2 pattern 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (leftmost-first alternation): the length of the match starting at c[i]. */
static int gpt2_match(const nchar *c, int n, int i) {
    uint32_t a = c[i].cp;
    if (a == '\'' && i + 1 < n) {
        uint32_t b = c[i + 1].cp;
        if (b == 's' || b == 't' || b == 'm' || b == 'd') return 2;
        if (i + 2 < n) {
            uint32_t d = c[i + 2].cp;
            if ((b == 'r' && d == 'e') || (b == 'v' && d == 'e') || (b == 'l' && d == 'l')) return 3;
        }
    }
    int (*classes[3])(uint32_t) = {is_letter, is_num, is_other_class};
    for (int k = 0; k < 3; k++) {
        int j = i;
        if (a == ' ' && i + 1 < n && classes[k](c[i + 1].cp)) j = i + 1;
        else if (!classes[k](a)) continue;
        while (j < n && classes[k](c[j].cp)) j++;
        return j - i;
    }
    int j = i;
    while (j < n && is_ws(c[j].cp)) j++;
    if (j == n || j - i == 1) return j - i;
    return j - i - 1;
}

static uint32_t byte_chars[256];

static void build_byte_chars(void) {
    unsigned extra = 0;
    for (unsigned b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        byte_chars[b] = printable ? b : 256 + extra++;
    }
}

uint32_t bytelevel_char(unsigned b) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_byte_chars);
    return byte_chars[b & 0xFF];
}

/* ByteLevel: optional prefix space, the GPT-2 regex (isolated), then each character becomes
 * the characters of its UTF-8 bytes, all with the character's span. */
static int split_bytelevel(const pretokenizer *pt, ptext *dst, const nchar *c, int n) {
    int prefix = pt->add_prefix_space && c[0].cp != ' ';
    int total = n + prefix, rc;
    nstr *src = &dst->scratch;
    src->n = 0;
    if ((rc = nstr_reserve(src, total)) || (rc = nstr_reserve(&dst->chars, 4 * total))) return rc;
    if (prefix) src->c[0] = (nchar){' ', c[0].s, c[0].e};
    memcpy(src->c + prefix, c, (size_t)n * sizeof *c);
    nstr *out = &dst->chars;
    int i = 0;
    while (i < total) {
        int len = pt->use_regex ? gpt2_match(src->c, total, i) : total - i;
        int start = out->n;
        for (int k = i; k < i + len; k++) {
            char bytes[4];
            nchar sc = src->c[k];
            int nb = utf8_encode(sc.cp, bytes);
            for (int b = 0; b < nb; b++) out->c[out->n++] = (nchar){bytelevel_char((unsigned char)bytes[b]), sc.s, sc.e};
        }
        if ((rc = ptext_add_split(dst, start, out->n, -1))) return rc;
        i += len;
    }
    return 0;
}

/* Metaspace: ' ' becomes the replacement character, the replacement is prepended when the
 * scheme says so, and the text is split before each replacement (merged with next). */
static int split_metaspace(const pretokenizer *pt, ptext *dst, const nchar *c, int n) {
    nstr *buf = &dst->scratch;
    buf->n = 0;
    int rc = nstr_reserve(buf, n + 1);
    if (rc) return rc;
    uint32_t r = pt->replacement;
    int prepend = c[0].cp != ' ' && c[0].cp != r &&
                  (pt->prepend_scheme == PREPEND_ALWAYS || (pt->prepend_scheme == PREPEND_FIRST && c[0].s == 0));
    if (prepend) buf->c[buf->n++] = (nchar){r, c[0].s, c[0].e};
    for (int i = 0; i < n; i++) buf->c[buf->n++] = (nchar){c[i].cp == ' ' ? r : c[i].cp, c[i].s, c[i].e};
    if (!pt->split) return emit(dst, buf->c, buf->n, -1);
    int last = 0;
    for (int i = 0; i < buf->n && !rc; i++) {
        if (buf->c[i].cp != r) continue;
        if (last < i) rc = piece_push(dst, last, i, 0);
        if (!rc) rc = piece_push(dst, i, i + 1, 1);
        last = i + 1;
    }
    if (!rc && last < buf->n) rc = piece_push(dst, last, buf->n, 0);
    return rc ? rc : emit_pieces(dst, buf->c, SPLIT_MERGED_NEXT);
}

static int apply_one(const pretokenizer *pt, const nchar *c, int n, ptext *dst) {
    int rc = 0;
    switch (pt->kind) {
    case PT_BERT: return split_bert(dst, c, n);
    case PT_WHITESPACE_SPLIT: return split_whitespace_split(dst, c, n);
    case PT_WHITESPACE: return split_whitespace(dst, c, n);
    case PT_PUNCTUATION:
        if ((rc = char_pieces(dst, c, n, is_punc))) return rc;
        return emit_pieces(dst, c, pt->behavior);
    case PT_DIGITS:
        if ((rc = char_pieces(dst, c, n, is_num))) return rc;
        return emit_pieces(dst, c, pt->individual_digits ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS);
    case PT_BYTELEVEL: return split_bytelevel(pt, dst, c, n);
    case PT_METASPACE: return split_metaspace(pt, dst, c, n);
    case PT_SEQUENCE: break;
    }
    return 0;
}

int pretokenizer_apply(const pretokenizer *pt, ptext *t, ptext *tmp) {
    if (pt->kind == PT_SEQUENCE) {
        for (int i = 0; i < pt->n_items; i++) {
            int rc = pretokenizer_apply(&pt->items[i], t, tmp);
            if (rc) return rc;
        }
        return 0;
    }
    tmp->chars.n = 0;
    tmp->n_splits = 0;
    tmp->n_pieces = 0;
    for (int i = 0; i < t->n_splits; i++) {
        psplit s = t->splits[i];
        const nchar *c = t->chars.c + s.start;
        int rc = s.added_id >= 0 ? emit(tmp, c, s.end - s.start, s.added_id) : apply_one(pt, c, s.end - s.start, tmp);
        if (rc) return rc;
    }
    ptext_swap(t, tmp);
    return 0;
}

void pretokenizer_free(pretokenizer *pt) {
    if (!pt) return;
    for (int i = 0; i < pt->n_items; i++) pretokenizer_free(&pt->items[i]);
    free(pt->items);
    memset(pt, 0, sizeof *pt);
}

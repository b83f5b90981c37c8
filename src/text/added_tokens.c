/* added_tokens.c — added and special tokens ([CLS], <mask>, user-added words) are found in
 * the text before the model sees it, as Hugging Face's AddedVocabulary does.
 *
 * Tokens with normalized = false (all special tokens, usually) are matched in the original
 * text; the rest are matched in the normalized text against their normalized content.
 * Matching is leftmost-longest and non-overlapping (HF's Aho-Corasick MatchKind), then
 * single_word discards matches touching a word character (regex \w) on either side, lstrip
 * and rstrip absorb the whitespace before/after the match. The sets are small, so a match is
 * looked for only where a token's first character occurs (a bitmap over the BMP). */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <stdlib.h>
#include <string.h>

static uint32_t *decode_dup(const char *s, int *len) {
    size_t n = strlen(s);
    uint32_t *cp = malloc((n + 1) * sizeof *cp);
    if (!cp) return NULL;
    *len = (int)utf8_decode_all(s, n, cp, NULL);
    return cp;
}

int added_vocab_add(added_vocab *av, const char *content, int32_t id, int single_word, int lstrip, int rstrip,
                    int normalized, int special) {
    if (av->n == av->cap) {
        int cap = av->cap ? 2 * av->cap : 16;
        added_token *t = realloc(av->t, (size_t)cap * sizeof *t);
        if (!t) return error_set(NEEDLE_ENOMEM, "out of memory adding tokens");
        av->t = t;
        av->cap = cap;
    }
    added_token *t = &av->t[av->n];
    memset(t, 0, sizeof *t);
    t->cp = decode_dup(content, &t->len);
    if (!t->cp) return error_set(NEEDLE_ENOMEM, "out of memory adding tokens");
    t->id = id;
    t->single_word = (uint8_t)single_word;
    t->lstrip = (uint8_t)lstrip;
    t->rstrip = (uint8_t)rstrip;
    t->normalized = (uint8_t)normalized;
    t->special = (uint8_t)special;
    av->n++;
    return 0;
}

static void mark_first(added_vocab *av, int normalized, const uint32_t *p, int len) {
    if (len > 0 && p[0] < 0x10000) av->first[normalized][p[0] >> 3] |= (uint8_t)(1u << (p[0] & 7));
}

int added_vocab_prepare(added_vocab *av, const normalizer *nz) {
    av->has_raw = av->has_normalized = 0;
    memset(av->first, 0, sizeof av->first);
    nstr s = {0}, tmp = {0};
    int rc = 0;
    for (int i = 0; i < av->n && !rc; i++) {
        added_token *t = &av->t[i];
        if (t->len == 0) continue;
        if (!t->normalized) {
            av->has_raw = 1;
            mark_first(av, 0, t->cp, t->len);
            continue;
        }
        av->has_normalized = 1;
        s.n = 0;
        if ((rc = nstr_reserve(&s, t->len))) break;
        for (int j = 0; j < t->len; j++) s.c[s.n++] = (nchar){t->cp[j], j, j + 1};
        if (nz && (rc = normalizer_apply(nz, &s, &tmp, 0))) break;
        free(t->ncp);
        t->ncp = malloc(((size_t)s.n + 1) * sizeof *t->ncp);
        if (!t->ncp) { rc = error_set(NEEDLE_ENOMEM, "out of memory adding tokens"); break; }
        for (int j = 0; j < s.n; j++) t->ncp[j] = s.c[j].cp;
        t->nlen = s.n;
        mark_first(av, 1, t->ncp, t->nlen);
    }
    nstr_free(&s);
    nstr_free(&tmp);
    return rc;
}

void added_vocab_free(added_vocab *av) {
    for (int i = 0; i < av->n; i++) {
        free(av->t[i].cp);
        free(av->t[i].ncp);
    }
    free(av->t);
    memset(av, 0, sizeof *av);
}

/* The longest token (of the requested kind) matching at c[i]; its index, or -1. */
static int longest_at(const added_vocab *av, int normalized, const nchar *c, int n, int i, int *len) {
    int best = -1;
    *len = 0;
    uint32_t f = c[i].cp;
    if (f < 0x10000 && !(av->first[normalized][f >> 3] & (1u << (f & 7)))) return -1;
    for (int k = 0; k < av->n; k++) {
        const added_token *t = &av->t[k];
        if (t->normalized != normalized) continue;
        const uint32_t *p = normalized ? t->ncp : t->cp;
        int pl = normalized ? t->nlen : t->len;
        if (pl == 0 || pl <= *len || i + pl > n || c[i].cp != p[0]) continue;
        int j = 1;
        while (j < pl && c[i + j].cp == p[j]) j++;
        if (j == pl) {
            best = k;
            *len = pl;
        }
    }
    return best;
}

static int is_word(uint32_t c) { return uc_is(c, UC_WORD); }
static int is_space(uint32_t c) { return uc_is(c, UC_WHITESPACE); }

static int emit(ptext *dst, const nchar *c, int s, int e, int32_t id) {
    if (e <= s) return 0;
    int rc = nstr_reserve(&dst->chars, e - s);
    if (rc) return rc;
    int start = dst->chars.n;
    memcpy(dst->chars.c + start, c + s, (size_t)(e - s) * sizeof *c);
    dst->chars.n += e - s;
    return ptext_add_split(dst, start, start + (e - s), id);
}

int added_vocab_split(const added_vocab *av, int normalized, const nchar *c, int n, ptext *dst) {
    int any = normalized ? av->has_normalized : av->has_raw;
    if (!any) return emit(dst, c, 0, n, -1);
    int start_offset = 0, i = 0, rc = 0;
    while (i < n && !rc) {
        int len, k = longest_at(av, normalized, c, n, i, &len);
        if (k < 0) { i++; continue; }
        const added_token *t = &av->t[k];
        int start = i, stop = i + len;
        i = stop;
        if (t->single_word) {
            int start_space = start == 0 || !is_word(c[start - 1].cp);
            int stop_space = stop == n || !is_word(c[stop].cp);
            if (!start_space || !stop_space) continue;
        }
        if (t->lstrip) {
            int s = start;
            while (s > 0 && is_space(c[s - 1].cp)) s--;
            start = s > start_offset ? s : start_offset;
        }
        if (t->rstrip)
            while (stop < n && is_space(c[stop].cp)) stop++;
        if (start_offset < start) rc = emit(dst, c, start_offset, start, -1);
        if (!rc) rc = emit(dst, c, start, stop, t->id);
        start_offset = stop;
    }
    if (!rc && start_offset < n) rc = emit(dst, c, start_offset, n, -1);
    return rc;
}

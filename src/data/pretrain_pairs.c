/* pretrain_pairs.c — the inverse cloze task and independent cropping on one passage (see
 * pretrain_pairs.h).
 *
 * Both cut the passage's own text rather than rebuilding it from tokens, so the pairs read as
 * the corpus does: ICT removes one sentence span (sentence_split's spans exclude the
 * surrounding whitespace) and joins what is before and after it with one space; cropping
 * takes the bytes from a span's first word to its last. Words are maximal runs of bytes that
 * are not ASCII whitespace, so UTF-8 text is never cut inside a character. */
#include "needle/pretrain_pairs.h"
#include "needle/error.h"
#include "needle/preprocess.h"

#include <stdlib.h>
#include <string.h>

void pretrain_opts_default(pretrain_opts *o) {
    memset(o, 0, sizeof *o);
    o->task = PRETRAIN_ICT;
    o->ict_keep = 0.1;
    o->crop_min = 0.1;
    o->crop_max = 0.5;
    o->per_passage = 1;
    o->format = DOCFMT_AUTO;
    o->seed = 42;
}

int pretrain_task_parse(const char *name, pretrain_task *out) {
    if (!strcmp(name, "ict")) *out = PRETRAIN_ICT;
    else if (!strcmp(name, "crop")) *out = PRETRAIN_CROP;
    else return error_set(NEEDLE_EINVAL, "unknown pre-training task '%s' (expected ict or crop)", name);
    return 0;
}

static char *copy_span(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = 0;
    }
    return c;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int pretrain_pair_ict(rng *r, const char *text, double keep, char **query, char **positive) {
    *query = *positive = NULL;
    size_t len = strlen(text), n;
    text_span *s;
    int rc = sentence_split(text, len, &s, &n);
    if (rc) return rc;
    if (n < 2) {
        free(s);
        return 0;
    }
    size_t pick = (size_t)rng_below(r, n);
    int kept = rng_double(r) < keep;
    *query = copy_span(text + s[pick].start, s[pick].end - s[pick].start);
    if (kept) {
        *positive = copy_span(text + s[0].start, s[n - 1].end - s[0].start);
    } else {
        /* the sentences before the pick (from the first one's start) and after it (to the last
         * one's end), joined by one space where both exist */
        size_t a0 = s[0].start, a1 = pick ? s[pick - 1].end : a0;
        size_t b0 = pick + 1 < n ? s[pick + 1].start : s[n - 1].end, b1 = s[n - 1].end;
        size_t na = a1 - a0, nb = b1 - b0;
        *positive = malloc(na + nb + 2);
        if (*positive) {
            memcpy(*positive, text + a0, na);
            size_t at = na;
            if (na && nb) (*positive)[at++] = ' ';
            memcpy(*positive + at, text + b0, nb);
            (*positive)[at + nb] = 0;
        }
    }
    free(s);
    if (*query && *positive) return 1;
    free(*query);
    free(*positive);
    *query = *positive = NULL;
    return error_set(NEEDLE_ENOMEM, "out of memory");
}

/* One span of ⌊n × ratio⌋ words (at least 1), ratio uniform in [lo, hi], as [first, last]. */
static void draw_span(rng *r, size_t n, double lo, double hi, size_t *first, size_t *last) {
    double ratio = lo + (hi - lo) * rng_double(r);
    size_t k = (size_t)((double)n * ratio);
    if (k < 1) k = 1;
    if (k > n) k = n;
    *first = (size_t)rng_below(r, n - k + 1);
    *last = *first + k - 1;
}

int pretrain_pair_crop(rng *r, const char *text, double ratio_min, double ratio_max, char **query, char **positive) {
    *query = *positive = NULL;
    size_t len = strlen(text), n = 0, cap = 64;
    size_t *ws = malloc(cap * sizeof *ws), *we = malloc(cap * sizeof *we);
    int rc = ws && we ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t i = 0; i < len && !rc;) {
        while (i < len && is_space(text[i])) i++;
        if (i == len) break;
        if (n == cap) {
            cap *= 2;
            size_t *a = realloc(ws, cap * sizeof *ws);
            if (a) ws = a;
            size_t *b = realloc(we, cap * sizeof *we);
            if (b) we = b;
            if (!a || !b) {
                rc = error_set(NEEDLE_ENOMEM, "out of memory");
                break;
            }
        }
        ws[n] = i;
        while (i < len && !is_space(text[i])) i++;
        we[n++] = i;
    }
    if (!rc && n) {
        size_t f, l;
        draw_span(r, n, ratio_min, ratio_max, &f, &l);
        *query = copy_span(text + ws[f], we[l] - ws[f]);
        draw_span(r, n, ratio_min, ratio_max, &f, &l);
        *positive = copy_span(text + ws[f], we[l] - ws[f]);
        rc = *query && *positive ? 1 : error_set(NEEDLE_ENOMEM, "out of memory");
        if (rc < 0) {
            free(*query);
            free(*positive);
            *query = *positive = NULL;
        }
    }
    free(ws);
    free(we);
    return rc;
}

int pretrain_pair_make(rng *r, const pretrain_opts *o, const char *text, char **query, char **positive) {
    return o->task == PRETRAIN_ICT ? pretrain_pair_ict(r, text, o->ict_keep, query, positive)
                                   : pretrain_pair_crop(r, text, o->crop_min, o->crop_max, query, positive);
}

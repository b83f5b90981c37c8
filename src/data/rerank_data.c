/* rerank_data.c — judged (query, passage) pairs from a triples file, and the pointwise or
 * listwise examples built from any judged set (see rerank_data.h).
 *
 * Pairs are kept in input order; examples are built per query from the pairs grouped by query
 * (a stable counting sort), so the result depends only on the data and the seed. */
#include "needle/rerank_data.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/rng.h"
#include "needle/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void rerank_set_init(rerank_set *s) {
    memset(s, 0, sizeof *s);
    strtab_init(&s->qkeys);
    strtab_init(&s->pkeys);
}

void rerank_set_free(rerank_set *s) {
    for (size_t i = 0; s->qtext && i < s->qkeys.count; i++) free(s->qtext[i]);
    for (size_t i = 0; s->ptext && i < s->pkeys.count; i++) free(s->ptext[i]);
    free(s->qtext);
    free(s->ptext);
    free(s->pairs);
    strtab_free(&s->qkeys);
    strtab_free(&s->pkeys);
    memset(s, 0, sizeof *s);
}

const char *rerank_query_text(const rerank_set *s, uint32_t id) { return s->qtext ? s->qtext[id] : strtab_str(&s->qkeys, id); }

const char *rerank_passage_text(const rerank_set *s, uint32_t id) { return s->ptext ? s->ptext[id] : strtab_str(&s->pkeys, id); }

/* Append one pair of texts. */
static int add_pair(rerank_set *s, const char *q, size_t ql, const char *p, size_t pl, double label, const char *origin) {
    if (!(label >= 0 && label <= 1))
        return error_set(NEEDLE_EINVAL, "%s: label %g is outside [0, 1] (1 relevant, 0 not)", origin, label);
    if (!ql || !pl) return error_set(NEEDLE_EFORMAT, "%s: empty %s", origin, ql ? "passage" : "query");
    uint32_t qi, pi;
    int rc = strtab_intern(&s->qkeys, q, ql, &qi, NULL);
    if (!rc) rc = strtab_intern(&s->pkeys, p, pl, &pi, NULL);
    if (!rc) rc = array_grow((void **)&s->pairs, &s->cap, s->n_pairs, sizeof *s->pairs);
    if (rc) return rc;
    s->pairs[s->n_pairs++] = (rerank_pair){qi, pi, (float)label};
    return 0;
}

static int triple_json(void *ctx, const cJSON *o, const char *origin) {
    const char *q, *p;
    double label;
    int rc = json_get_string(o, "query", origin, &q);
    if (!rc) rc = json_get_string(o, "passage", origin, &p);
    if (!rc) rc = json_get_double(o, "label", origin, &label);
    return rc ? rc : add_pair(ctx, q, strlen(q), p, strlen(p), label, origin);
}

static int read_tsv(const char *path, char **lines, size_t n_lines, rerank_set *s) {
    char origin[600];
    for (size_t i = 0; i < n_lines; i++) {
        char *b = lines[i];
        size_t n = strlen(b);
        if (!n) continue;
        snprintf(origin, sizeof origin, "%s:%zu", path, i + 1);
        int rc = utf8_check_at(b, n, path, i + 1, 0);
        if (rc) return rc;
        char *t1 = strchr(b, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2 || strchr(t2 + 1, '\t')) return error_set(NEEDLE_EFORMAT, "%s: expected query<TAB>passage<TAB>label", origin);
        const char *num = t2 + 1;
        if (i == 0 && !strcmp(num, "label")) continue; /* header */
        char *end;
        errno = 0;
        double label = strtod(num, &end);
        if (errno || end == num || *end) return error_set(NEEDLE_EFORMAT, "%s: label '%.40s' is not a number", origin, num);
        if ((rc = add_pair(s, b, (size_t)(t1 - b), t1 + 1, (size_t)(t2 - t1 - 1), label, origin))) return rc;
    }
    return 0;
}

int rerank_set_read_triples(const char *path, rerank_set *s) {
    char *text, **lines;
    size_t n;
    int rc = file_read_lines(path, &text, &lines, &n);
    if (rc) return rc;
    size_t first = 0;
    while (first < n && !lines[first][strspn(lines[first], " \t\r")]) first++;
    if (first < n && lines[first][strspn(lines[first], " \t\r")] == '{') rc = json_lines_read(path, NULL, triple_json, s);
    else rc = read_tsv(path, lines, n, s);
    free(lines);
    free(text);
    if (!rc && !s->n_pairs) rc = error_set(NEEDLE_EFORMAT, "%s: no (query, passage, label) triples", path);
    if (!rc) log_info("%s: %zu pairs, %u queries, %u passages", path, s->n_pairs, s->qkeys.count, s->pkeys.count);
    return rc;
}

/* ---- examples ---------------------------------------------------------------------- */

void rerank_examples_free(rerank_examples *ex) {
    free(ex->query);
    free(ex->passage);
    free(ex->label);
    memset(ex, 0, sizeof *ex);
}

/* Draw k distinct entries of pool[0..n) (k <= n) into out, from r (partial Fisher-Yates on a copy). */
static void draw(rng *r, const uint32_t *pool, size_t n, int k, uint32_t *tmp, uint32_t *out) {
    memcpy(tmp, pool, n * sizeof *tmp);
    for (int i = 0; i < k; i++) {
        size_t j = (size_t)i + (size_t)rng_below(r, n - (size_t)i);
        uint32_t t = tmp[i];
        tmp[i] = tmp[j];
        tmp[j] = t;
        out[i] = tmp[i];
    }
}

int rerank_examples_build(const rerank_set *s, rerank_kind kind, int negatives, uint64_t seed, rerank_examples *ex) {
    memset(ex, 0, sizeof *ex);
    if (kind == RERANK_LISTWISE && negatives < 1)
        return error_set(NEEDLE_EINVAL, "listwise training needs at least one negative per positive");
    ex->kind = kind;
    ex->group = kind == RERANK_LISTWISE ? 1 + negatives : 1;
    size_t nq = s->qkeys.count, np = s->n_pairs;
    size_t *first = calloc(nq + 1, sizeof *first), *fill = malloc((nq + 1) * sizeof *fill);
    uint32_t *by_q = malloc((np + 1) * sizeof *by_q), *neg = malloc((np + 1) * sizeof *neg),
             *tmp = malloc((np + 1) * sizeof *tmp), *pick = malloc(((size_t)negatives + 1) * sizeof *pick);
    int rc = 0;
    if (!first || !fill || !by_q || !neg || !tmp || !pick) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory building reranker examples");
        goto done;
    }
    for (size_t i = 0; i < np; i++) first[s->pairs[i].query + 1]++;
    for (size_t q = 0; q < nq; q++) first[q + 1] += first[q];
    memcpy(fill, first, (nq + 1) * sizeof *fill);
    for (size_t i = 0; i < np; i++) by_q[fill[s->pairs[i].query]++] = (uint32_t)i;
    /* count, then fill: pass 0 sizes the arrays, pass 1 writes them, with the same draws */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        rng r;
        rng_seed(&r, seed);
        size_t n = 0, skipped = 0;
        for (size_t q = 0; q < nq; q++) {
            size_t nn = 0;
            for (size_t k = first[q]; k < first[q + 1]; k++)
                if (s->pairs[by_q[k]].label <= 0) neg[nn++] = s->pairs[by_q[k]].passage;
            for (size_t k = first[q]; k < first[q + 1]; k++) {
                const rerank_pair *p = &s->pairs[by_q[k]];
                int take;
                if (kind == RERANK_POINTWISE && negatives <= 0) {
                    if (pass) ex->query[n] = p->query, ex->passage[n] = p->passage, ex->label[n] = p->label;
                    n++;
                    continue;
                }
                if (p->label <= 0) continue; /* negatives come with the positives */
                if (kind == RERANK_LISTWISE && nn < (size_t)negatives) {
                    skipped++;
                    continue;
                }
                take = nn < (size_t)negatives ? (int)nn : negatives;
                draw(&r, neg, nn, take, tmp, pick);
                if (kind == RERANK_LISTWISE) {
                    if (pass) {
                        size_t o = n * (size_t)ex->group;
                        ex->query[n] = p->query;
                        ex->passage[o] = p->passage, ex->label[o] = p->label;
                        for (int j = 0; j < take; j++) ex->passage[o + 1 + j] = pick[j], ex->label[o + 1 + j] = 0;
                    }
                    n++;
                } else {
                    if (pass) {
                        ex->query[n] = p->query, ex->passage[n] = p->passage, ex->label[n] = p->label;
                        for (int j = 0; j < take; j++)
                            ex->query[n + 1 + j] = p->query, ex->passage[n + 1 + j] = pick[j], ex->label[n + 1 + j] = 0;
                    }
                    n += 1 + (size_t)take;
                }
            }
        }
        if (!pass) {
            ex->n = n;
            ex->skipped = skipped;
            ex->query = malloc((n + 1) * sizeof *ex->query);
            ex->passage = malloc((n * (size_t)ex->group + 1) * sizeof *ex->passage);
            ex->label = malloc((n * (size_t)ex->group + 1) * sizeof *ex->label);
            if (!ex->query || !ex->passage || !ex->label) rc = error_set(NEEDLE_ENOMEM, "out of memory building reranker examples");
        }
    }
    if (!rc && !ex->n)
        rc = error_set(NEEDLE_EINVAL, "no training examples: %s", kind == RERANK_LISTWISE
                       ? "no positive has enough negatives for a listwise group (lower --negatives or mine more)"
                       : "no positive pairs");
    if (!rc && ex->skipped)
        log_warn("listwise groups: %zu positives left out (their queries have fewer than %d negatives)", ex->skipped, negatives);
done:
    free(first), free(fill), free(by_q), free(neg), free(tmp), free(pick);
    if (rc) rerank_examples_free(ex);
    return rc;
}

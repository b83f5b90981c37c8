/* trec_files.c — reading qrels (TREC or BEIR tsv) and runs (TREC), writing run lines.
 * Strings (query ids, document numbers) are interned once in strtabs, so a million-line run
 * costs two small integers and a double per line. Parsing is by whitespace fields like
 * trec_eval's own; every error names the file and line. */
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/trec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void trec_qrels_init(trec_qrels *q) { memset(q, 0, sizeof *q); strtab_init(&q->qids); strtab_init(&q->docs); }
void trec_run_init(trec_run *r) { memset(r, 0, sizeof *r); strtab_init(&r->qids); strtab_init(&r->docs); }

void trec_qrels_free(trec_qrels *q) {
    for (uint32_t i = 0; i < q->qids.count; i++) free(q->q[i].j);
    free(q->q);
    strtab_free(&q->qids);
    strtab_free(&q->docs);
    memset(q, 0, sizeof *q);
}

void trec_run_free(trec_run *r) {
    for (uint32_t i = 0; i < r->qids.count; i++) free(r->q[i].r);
    free(r->q);
    strtab_free(&r->qids);
    strtab_free(&r->docs);
    memset(r, 0, sizeof *r);
}

/* The per-query slot for qid in a table of `elem`-byte slots, created zeroed if new. */
static int slot_for(strtab *ids, void **slots, size_t *cap, size_t elem, const char *qid, uint32_t *id) {
    int rc = strtab_intern(ids, qid, strlen(qid), id, NULL);
    if (rc) return rc;
    if (*id >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        while (ncap <= *id) ncap *= 2;
        char *p = realloc(*slots, ncap * elem);
        if (!p) return error_set(NEEDLE_ENOMEM, "out of memory");
        memset(p + *cap * elem, 0, (ncap - *cap) * elem);
        *slots = p;
        *cap = ncap;
    }
    return 0;
}

int trec_qrels_add(trec_qrels *q, const char *qid, const char *docno, int rel, const char *origin) {
    uint32_t qi, di;
    int rc = slot_for(&q->qids, (void **)&q->q, &q->cap, sizeof *q->q, qid, &qi);
    if (!rc) rc = strtab_intern(&q->docs, docno, strlen(docno), &di, NULL);
    if (rc) return error_prefix(rc, "%s: ", origin);
    trec_qrels_query *qq = &q->q[qi];
    if ((rc = array_grow((void **)&qq->j, &qq->cap, qq->n, sizeof *qq->j))) return error_prefix(rc, "%s: ", origin);
    qq->j[qq->n++] = (trec_judgement){di, rel};
    return 0;
}

static int cmp_judgement(const void *a, const void *b) {
    uint32_t x = ((const trec_judgement *)a)->doc, y = ((const trec_judgement *)b)->doc;
    return x < y ? -1 : x > y;
}

int trec_qrels_finish(trec_qrels *q, const char *origin) {
    for (uint32_t i = 0; i < q->qids.count; i++) {
        trec_qrels_query *qq = &q->q[i];
        qsort(qq->j, qq->n, sizeof *qq->j, cmp_judgement);
        for (size_t k = 1; k < qq->n; k++)
            if (qq->j[k].doc == qq->j[k - 1].doc)
                return error_set(NEEDLE_EFORMAT, "%s: query %s judges document %s twice", origin, strtab_str(&q->qids, i),
                                 strtab_str(&q->docs, qq->j[k].doc));
    }
    return 0;
}

/* Split a line into at most `max` whitespace-separated fields (NUL-terminating them in
 * place); returns the number found, or max + 1 when there are more. */
static int split_fields(char *line, char **f, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p) return n;
        if (n == max) return max + 1;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
        if (*p) *p++ = 0;
    }
}

static int parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < -1000000 || v > 1000000) return -1;
    *out = (int)v;
    return 0;
}

int trec_qrels_read(const char *path, trec_qrels *q) {
    trec_qrels_init(q);
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    int beir = -1; /* unknown until the first line */
    size_t line_no = 0;
    for (char *line = text, *next; line && *line && !rc; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        line_no++;
        char *f[5];
        int n = split_fields(line, f, 4);
        if (n == 0 || f[0][0] == '#') continue;
        if (beir < 0) {
            beir = n == 3;
            if (beir && !strcmp(f[0], "query-id")) continue; /* BEIR header */
        }
        int rel;
        if (n != (beir ? 3 : 4) || parse_int(f[beir ? 2 : 3], &rel)) {
            rc = error_set(NEEDLE_EFORMAT, "%s:%zu: expected %s", path, line_no,
                           beir ? "\"query-id<TAB>corpus-id<TAB>score\" with an integer score"
                                : "\"qid iter docno rel\" with an integer rel");
            break;
        }
        char origin[64];
        snprintf(origin, sizeof origin, "line %zu", line_no);
        rc = trec_qrels_add(q, f[0], f[beir ? 1 : 2], rel, origin);
        if (rc) error_prefix(rc, "%s: ", path);
    }
    free(text);
    if (!rc && !q->qids.count) rc = error_set(NEEDLE_EFORMAT, "%s: no judgements", path);
    if (!rc) rc = trec_qrels_finish(q, path);
    if (rc) trec_qrels_free(q);
    return rc;
}

int trec_run_add(trec_run *r, const char *qid, const char *docno, double score) {
    uint32_t qi, di;
    int rc = slot_for(&r->qids, (void **)&r->q, &r->cap, sizeof *r->q, qid, &qi);
    if (!rc) rc = strtab_intern(&r->docs, docno, strlen(docno), &di, NULL);
    if (rc) return rc;
    trec_run_query *rq = &r->q[qi];
    if ((rc = array_grow((void **)&rq->r, &rq->cap, rq->n, sizeof *rq->r))) return rc;
    rq->r[rq->n++] = (trec_result){di, score};
    return 0;
}

static int cmp_result_doc(const void *a, const void *b) {
    uint32_t x = ((const trec_result *)a)->doc, y = ((const trec_result *)b)->doc;
    return x < y ? -1 : x > y;
}

/* trec_eval refuses a run that lists a document twice for one query. */
static int check_duplicates(const trec_run *r, const char *origin) {
    int rc = 0;
    for (uint32_t i = 0; i < r->qids.count && !rc; i++) {
        const trec_run_query *rq = &r->q[i];
        trec_result *copy = malloc(rq->n * sizeof *copy + 1);
        if (!copy) return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
        memcpy(copy, rq->r, rq->n * sizeof *copy);
        qsort(copy, rq->n, sizeof *copy, cmp_result_doc);
        for (size_t k = 1; k < rq->n && !rc; k++)
            if (copy[k].doc == copy[k - 1].doc)
                rc = error_set(NEEDLE_EFORMAT, "%s: query %s lists document %s twice (trec_eval refuses duplicates)", origin,
                               strtab_str(&r->qids, i), strtab_str(&r->docs, copy[k].doc));
        free(copy);
    }
    return rc;
}

int trec_run_parse(const char *text, size_t len, const char *origin, trec_run *r) {
    trec_run_init(r);
    char *buf = malloc(len + 1);
    if (!buf) return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
    memcpy(buf, text, len);
    buf[len] = 0;
    int rc = 0;
    size_t line_no = 0;
    for (char *line = buf, *next; line && *line && !rc; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        line_no++;
        char *f[7];
        int n = split_fields(line, f, 6);
        if (n == 0) continue;
        char *end;
        double score = n == 6 ? strtod(f[4], &end) : 0;
        if (n != 6 || *end || end == f[4] || !isfinite(score)) {
            rc = error_set(NEEDLE_EFORMAT, "%s:%zu: expected \"qid Q0 docno rank score tag\" with a numeric score", origin,
                           line_no);
            break;
        }
        rc = trec_run_add(r, f[0], f[2], score);
        if (rc) error_prefix(rc, "%s:%zu: ", origin, line_no);
    }
    free(buf);
    if (!rc) rc = check_duplicates(r, origin);
    if (rc) trec_run_free(r);
    return rc;
}

int trec_run_read(const char *path, trec_run *r) {
    char *text;
    size_t len;
    trec_run_init(r);
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    rc = trec_run_parse(text, len, path, r);
    free(text);
    return rc;
}

int trec_run_format_line(strbuf *out, const char *qid, const char *docno, int rank, double score, const char *tag) {
    return strbuf_printf(out, "%s Q0 %s %d %.6f %s\n", qid, docno, rank, score, tag);
}

int trec_run_format(const trec_run *run, const char *tag, strbuf *out) {
    int rc = 0;
    for (uint32_t q = 0; q < run->qids.count && !rc; q++) {
        trec_result *ranked;
        if ((rc = trec_run_ranked(run, q, &ranked))) break;
        for (size_t i = 0; i < run->q[q].n && !rc; i++)
            rc = trec_run_format_line(out, strtab_str(&run->qids, q), strtab_str(&run->docs, ranked[i].doc), (int)i + 1,
                                      ranked[i].score, tag);
        free(ranked);
    }
    return rc;
}

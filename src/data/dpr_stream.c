/* dpr_stream.c — DPR training records read from a JSON array or JSON lines with yajl's
 * streaming parser (see dpr_data.h).
 *
 * The file is fed to yajl in 64 KiB pieces; the callbacks keep a stack of what each open
 * container is (the top-level array, a record, a passage list, a passage, the answers, or
 * something to skip) so that each scalar knows where it belongs. Passages are read into a
 * scratch passage and then kept, dropped or swapped into a reservoir slot, so a record never
 * holds more than the passages training can use; a finished record is packed into one block
 * (dpr_record_build) and queued. The line of every event is found by scanning the current
 * piece forward from the last position asked about (offsets only grow within a piece), so
 * error messages cost no extra pass over the file. */
#include "needle/array.h"
#include "needle/dpr_data.h"
#include "needle/error.h"
#include "needle/rng.h"
#include "needle/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define PIECE 65536
#define MAX_DEPTH 64

typedef enum { R_TOP_ARRAY, R_RECORD, R_LIST, R_ANSWERS, R_PASSAGE, R_SKIP } role;

/* Record members, by the names DPR and Haystack accept. */
typedef enum { F_OTHER, F_QUESTION, F_ANSWERS, F_POS, F_HARD, F_NEG } record_field;
typedef enum { P_OTHER, P_TITLE, P_TEXT, P_ID, P_SCORE } passage_field;

typedef struct {
    strbuf title, text, id;
    double score;
    int has_text;
} pbuf;

typedef struct {
    pbuf *slots;
    size_t n, cap;   /* kept passages, slots allocated */
    long long seen;  /* passages offered so far (for the reservoir) */
} plist;

struct dpr_stream {
    char *path;
    FILE *fp;
    int own_fp;
    yajl_handle h;
    dpr_read_opts o;
    rng r;
    unsigned char *piece;
    int eof;
    int rc;                        /* error raised inside a callback */
    /* lines: line_base is the line at the start of the piece; scan_* the last position asked */
    long long line_base, scan_line;
    size_t scan_pos;
    /* the container stack */
    role roles[MAX_DEPTH];
    int kinds[MAX_DEPTH];          /* R_LIST: which dpr_kind */
    int depth;                     /* open containers */
    int top;                       /* 0 unknown, 1 array, 2 JSON lines */
    record_field field;            /* the member whose value comes next, in a record */
    passage_field pfield;          /* ... in a passage */
    /* the record being read */
    strbuf question, answers;      /* answers: NUL-separated */
    int has_question, n_answers;
    long long rec_line, rec_index;
    pbuf cur;
    plist lists[DPR_KINDS];
    /* finished records */
    dpr_record **queue;
    size_t q_head, q_len, q_cap;
    size_t records, skipped;
};

/* ---------------------------------------------------------------- positions */

static long long line_at(dpr_stream *s) {
    size_t off = yajl_get_bytes_consumed(s->h);
    for (; s->scan_pos < off; s->scan_pos++)
        if (s->piece[s->scan_pos] == '\n') s->scan_line++;
    return s->scan_line;
}

/* Set an error at the current line; returns 0 so that a callback can `return fail(...)`. */
static int fail(dpr_stream *s, const char *what) {
    s->rc = error_set(NEEDLE_EFORMAT, "%s:%lld: %s", s->path, line_at(s), what);
    return 0;
}

/* ---------------------------------------------------------------- passages */

static void pbuf_free(pbuf *p) {
    strbuf_free(&p->title);
    strbuf_free(&p->text);
    strbuf_free(&p->id);
}

static void pbuf_reset(pbuf *p) {
    strbuf_clear(&p->title);
    strbuf_clear(&p->text);
    strbuf_clear(&p->id);
    p->score = NAN;
    p->has_text = 0;
}

static void pbuf_swap(pbuf *a, pbuf *b) {
    pbuf t = *a;
    *a = *b;
    *b = t;
}

/* Offer the finished scratch passage to list k: keep all, the first `keep`, or a reservoir. */
static int offer_passage(dpr_stream *s, int k) {
    plist *l = &s->lists[k];
    int keep = s->o.keep[k];
    long long seen = l->seen++;
    size_t slot;
    if (keep >= 0 && seen >= keep) {
        if (!s->o.sample[k]) return 1;
        uint64_t j = rng_below(&s->r, (uint64_t)seen + 1);
        if (j >= (uint64_t)keep) return 1;
        slot = (size_t)j;
    } else {
        if (l->n == l->cap) {
            size_t old = l->cap;
            if (array_grow((void **)&l->slots, &l->cap, l->n, sizeof *l->slots)) {
                s->rc = error_prefix(NEEDLE_ENOMEM, "%s: ", s->path);
                return 0;
            }
            memset(l->slots + old, 0, (l->cap - old) * sizeof *l->slots);
        }
        slot = l->n++;
    }
    pbuf_swap(&s->cur, &l->slots[slot]);
    return 1;
}

/* ---------------------------------------------------------------- records */

static void record_reset(dpr_stream *s) {
    strbuf_clear(&s->question);
    strbuf_clear(&s->answers);
    s->has_question = 0;
    s->n_answers = 0;
    for (int k = 0; k < DPR_KINDS; k++) s->lists[k].n = 0, s->lists[k].seen = 0;
}

static int queue_push(dpr_stream *s, dpr_record *r) {
    if (s->q_head + s->q_len == s->q_cap && s->q_head) { /* slide to the front before growing */
        memmove(s->queue, s->queue + s->q_head, s->q_len * sizeof *s->queue);
        s->q_head = 0;
    }
    if (array_grow((void **)&s->queue, &s->q_cap, s->q_head + s->q_len, sizeof *s->queue)) return NEEDLE_ENOMEM;
    s->queue[s->q_head + s->q_len++] = r;
    return 0;
}

static int record_finish(dpr_stream *s) {
    if (!s->has_question)
        return fail(s, "record has no question (\"question\", \"questions\" or \"query\")");
    if (!s->lists[DPR_POS].n) {
        s->skipped++;
        return 1;
    }
    const char *ans[s->n_answers ? s->n_answers : 1];
    const char *a = s->answers.data;
    for (int i = 0; i < s->n_answers; i++, a += strlen(a) + 1) ans[i] = a;
    dpr_passage *views[DPR_KINDS];
    int n[DPR_KINDS];
    int rc = 0;
    for (int k = 0; k < DPR_KINDS; k++) {
        n[k] = (int)s->lists[k].n;
        views[k] = malloc((n[k] ? n[k] : 1) * sizeof *views[k]);
        if (!views[k]) rc = NEEDLE_ENOMEM;
        for (int i = 0; i < n[k] && views[k]; i++) {
            pbuf *p = &s->lists[k].slots[i];
            views[k][i] = (dpr_passage){p->title.data ? p->title.data : "", p->text.data ? p->text.data : "",
                                        p->id.data ? p->id.data : "", p->score};
        }
    }
    dpr_record *r = NULL;
    if (!rc) rc = dpr_record_build(s->question.data, ans, s->n_answers, (const dpr_passage *const *)views, n, &r);
    for (int k = 0; k < DPR_KINDS; k++) free(views[k]);
    if (!rc) {
        r->line = s->rec_line;
        rc = queue_push(s, r);
        if (rc) free(r);
    }
    if (rc) {
        s->rc = error_set(NEEDLE_ENOMEM, "%s:%lld: out of memory for a record", s->path, s->rec_line);
        return 0;
    }
    s->records++;
    return 1;
}

/* ---------------------------------------------------------------- yajl callbacks */

static role parent(const dpr_stream *s) { return s->depth && s->depth <= MAX_DEPTH ? s->roles[s->depth - 1] : R_SKIP; }

static int key_is(const unsigned char *k, size_t n, const char *name) { return strlen(name) == n && !memcmp(k, name, n); }

static record_field classify_record_key(const unsigned char *k, size_t n) {
    static const struct {
        const char *name;
        record_field f;
    } names[] = {{"question", F_QUESTION}, {"questions", F_QUESTION}, {"query", F_QUESTION},
                 {"answers", F_ANSWERS},
                 {"positive_ctxs", F_POS}, {"positive_contexts", F_POS}, {"positive_ctx", F_POS}, {"positive_context", F_POS},
                 {"hard_negative_ctxs", F_HARD}, {"hard_negative_contexts", F_HARD}, {"hard_negative_ctx", F_HARD},
                 {"hard_negative_context", F_HARD}, {"negative_ctxs", F_NEG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (key_is(k, n, names[i].name)) return names[i].f;
    return F_OTHER;
}

static int list_kind(record_field f) { return f == F_POS ? DPR_POS : f == F_HARD ? DPR_HARD : f == F_NEG ? DPR_OTHER : -1; }

static int open_container(dpr_stream *s, int is_map) {
    if (s->depth >= MAX_DEPTH) { /* deep values we never read: count levels only */
        s->depth++;
        return 1;
    }
    role p = parent(s), r = R_SKIP;
    int kind = -1;
    if (s->depth == 0) {
        if (s->top == 1) return fail(s, "more than one top-level value after the array of records");
        if (!is_map && s->top == 2) return fail(s, "an array among JSON lines of records");
        s->top = is_map ? 2 : 1;
        r = is_map ? R_RECORD : R_TOP_ARRAY;
    } else if (p == R_TOP_ARRAY) {
        if (!is_map) return fail(s, "an element of the top-level array is not an object (a record)");
        r = R_RECORD;
    } else if (p == R_RECORD) {
        kind = list_kind(s->field);
        if (s->field == F_QUESTION) return fail(s, "the question should be a string");
        if (kind >= 0 && is_map) return fail(s, "a passage list (positive_ctxs, ...) should be an array");
        r = kind >= 0 ? R_LIST : s->field == F_ANSWERS && !is_map ? R_ANSWERS : R_SKIP;
    } else if (p == R_LIST) {
        if (!is_map) return fail(s, "a passage should be an object or a string");
        r = R_PASSAGE;
        kind = s->kinds[s->depth - 1];
    } else if (p == R_PASSAGE) {
        if (s->pfield == P_TITLE || s->pfield == P_TEXT) return fail(s, "a passage's title and text should be strings");
    }
    if (r == R_RECORD) {
        record_reset(s);
        s->rec_line = line_at(s);
        s->rec_index++;
        s->field = F_OTHER;
    }
    if (r == R_PASSAGE) {
        pbuf_reset(&s->cur);
        s->pfield = P_OTHER;
    }
    s->roles[s->depth] = r;
    s->kinds[s->depth] = kind;
    s->depth++;
    return 1;
}

static int close_container(dpr_stream *s) {
    s->depth--;
    if (s->depth >= MAX_DEPTH) return 1;
    role r = s->roles[s->depth];
    if (r == R_RECORD) return record_finish(s);
    if (r == R_PASSAGE) {
        if (!s->cur.has_text) return fail(s, "a passage has no \"text\"");
        return offer_passage(s, s->kinds[s->depth]);
    }
    if (s->depth && s->roles[s->depth - 1] == R_RECORD) s->field = F_OTHER;
    if (s->depth && s->roles[s->depth - 1] == R_PASSAGE) s->pfield = P_OTHER;
    return 1;
}

static int cb_start_map(void *ctx) { return open_container(ctx, 1); }
static int cb_end_map(void *ctx) { return close_container(ctx); }
static int cb_start_array(void *ctx) { return open_container(ctx, 0); }
static int cb_end_array(void *ctx) { return close_container(ctx); }

static int cb_key(void *ctx, const unsigned char *k, size_t n) {
    dpr_stream *s = ctx;
    role p = parent(s);
    if (s->depth > MAX_DEPTH) return 1;
    if (p == R_RECORD) {
        s->field = classify_record_key(k, n);
    } else if (p == R_PASSAGE) {
        s->pfield = key_is(k, n, "title") ? P_TITLE
                  : key_is(k, n, "text") ? P_TEXT
                  : key_is(k, n, "passage_id") ? P_ID
                  : s->o.score_field && key_is(k, n, s->o.score_field) ? P_SCORE
                                                                       : P_OTHER;
    }
    return 1;
}

/* A scalar: its JSON kind (string, number or other), and its text for the first two. */
typedef enum { V_STRING, V_NUMBER, V_OTHER, V_NULL } vkind;

static int append(dpr_stream *s, strbuf *sb, const char *v, size_t n) {
    if (strbuf_append(sb, v, n)) {
        s->rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", s->path);
        return 0;
    }
    return 1;
}

static int scalar(dpr_stream *s, vkind kind, const char *v, size_t n) {
    if (s->depth > MAX_DEPTH) return 1;
    role p = parent(s);
    if (s->depth == 0) return fail(s, "expected a JSON array of records or JSON lines of objects");
    if (p == R_TOP_ARRAY) return fail(s, "an element of the top-level array is not an object (a record)");
    if (p == R_RECORD) {
        record_field f = s->field;
        s->field = F_OTHER;
        if (f == F_QUESTION) {
            if (kind != V_STRING) return fail(s, "the question should be a string");
            strbuf_clear(&s->question);
            s->has_question = 1;
            return append(s, &s->question, v, n);
        }
        if (list_kind(f) >= 0 && kind != V_NULL) return fail(s, "a passage list (positive_ctxs, ...) should be an array");
        return 1;
    }
    if (p == R_ANSWERS) {
        if (kind != V_STRING && kind != V_NUMBER) return fail(s, "an answer should be a string");
        s->n_answers++;
        return append(s, &s->answers, v, n) && append(s, &s->answers, "\0", 1);
    }
    if (p == R_LIST) {
        if (kind != V_STRING) return fail(s, "a passage should be an object or a string");
        pbuf_reset(&s->cur);
        s->cur.has_text = 1;
        return append(s, &s->cur.text, v, n) && offer_passage(s, s->kinds[s->depth - 1]);
    }
    if (p == R_PASSAGE) {
        passage_field f = s->pfield;
        s->pfield = P_OTHER;
        pbuf *c = &s->cur;
        switch (f) {
        case P_TITLE:
            if (kind == V_NULL) return 1;
            if (kind != V_STRING) return fail(s, "a passage's title should be a string");
            strbuf_clear(&c->title);
            return append(s, &c->title, v, n);
        case P_TEXT:
            if (kind != V_STRING) return fail(s, "a passage's text should be a string");
            strbuf_clear(&c->text);
            c->has_text = 1;
            return append(s, &c->text, v, n);
        case P_ID:
            if (kind == V_NULL) return 1;
            if (kind != V_STRING && kind != V_NUMBER) return fail(s, "a passage_id should be a string or a number");
            strbuf_clear(&c->id);
            return append(s, &c->id, v, n);
        case P_SCORE: {
            if (kind == V_NULL) return 1;
            char tmp[64], *end;
            if ((kind != V_STRING && kind != V_NUMBER) || n >= sizeof tmp) return fail(s, "a passage's score should be a number");
            memcpy(tmp, v, n);
            tmp[n] = 0;
            errno = 0;
            c->score = strtod(tmp, &end);
            if (end == tmp || *end || errno) return fail(s, "a passage's score should be a number");
            return 1;
        }
        case P_OTHER: return 1;
        }
    }
    return 1;
}

static int cb_null(void *ctx) { return scalar(ctx, V_NULL, NULL, 0); }
static int cb_bool(void *ctx, int b) { return scalar(ctx, V_OTHER, NULL, 0); }
static int cb_number(void *ctx, const char *v, size_t n) { return scalar(ctx, V_NUMBER, v, n); }
static int cb_string(void *ctx, const unsigned char *v, size_t n) { return scalar(ctx, V_STRING, (const char *)v, n); }

static const yajl_callbacks callbacks = {cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
                                         cb_start_map, cb_key, cb_end_map, cb_start_array, cb_end_array};

/* ---------------------------------------------------------------- the stream */

int dpr_stream_open(dpr_stream **out, const char *path, const dpr_read_opts *o, uint64_t seed) {
    *out = NULL;
    dpr_stream *s = calloc(1, sizeof *s);
    if (!s) return error_set(NEEDLE_ENOMEM, "out of memory");
    s->o = *o;
    rng_seed(&s->r, seed);
    s->path = strdup(path);
    s->piece = malloc(PIECE);
    s->h = yajl_alloc(&callbacks, NULL, s);
    if (!s->path || !s->piece || !s->h) {
        dpr_stream_close(s);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    yajl_config(s->h, yajl_allow_multiple_values, 1);
    s->line_base = s->scan_line = 1;
    if (!strcmp(path, "-")) {
        s->fp = stdin;
    } else {
        s->fp = fopen(path, "rb");
        s->own_fp = 1;
        if (!s->fp) {
            int rc = error_errno(NEEDLE_EIO, "%s: cannot open", path);
            dpr_stream_close(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

void dpr_stream_close(dpr_stream *s) {
    if (!s) return;
    if (s->own_fp && s->fp) fclose(s->fp);
    if (s->h) yajl_free(s->h);
    for (size_t i = 0; i < s->q_len; i++) free(s->queue[s->q_head + i]);
    free(s->queue);
    for (int k = 0; k < DPR_KINDS; k++) {
        for (size_t i = 0; i < s->lists[k].cap; i++) pbuf_free(&s->lists[k].slots[i]);
        free(s->lists[k].slots);
    }
    pbuf_free(&s->cur);
    strbuf_free(&s->question);
    strbuf_free(&s->answers);
    free(s->piece);
    free(s->path);
    free(s);
}

/* Report yajl's error (syntax, invalid UTF-8, premature end) at its position. */
static int syntax_error(dpr_stream *s, size_t len) {
    unsigned char *msg = yajl_get_error(s->h, 0, s->piece, len);
    char text[160];
    snprintf(text, sizeof text, "%s", msg ? (const char *)msg : "malformed JSON");
    if (msg) yajl_free_error(s->h, msg);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = 0;
    return error_set(NEEDLE_EFORMAT, "%s:%lld: malformed JSON (%s)", s->path, s->eof ? s->scan_line : line_at(s), text);
}

/* Parse the next piece of the file (or finish at its end). */
static int feed(dpr_stream *s) {
    size_t n = fread(s->piece, 1, PIECE, s->fp);
    if (n < PIECE && ferror(s->fp)) return error_errno(NEEDLE_EIO, "%s: read failed", s->path);
    s->scan_pos = 0;
    s->scan_line = s->line_base;
    yajl_status st;
    if (n == 0) {
        s->eof = 1;
        s->piece[0] = ' '; /* what yajl_complete_parse feeds itself, for line_at */
        st = yajl_complete_parse(s->h);
    } else {
        st = yajl_parse(s->h, s->piece, n);
    }
    if (s->rc) return s->rc;
    if (st != yajl_status_ok) return syntax_error(s, n);
    for (; s->scan_pos < n; s->scan_pos++)
        if (s->piece[s->scan_pos] == '\n') s->scan_line++;
    s->line_base = s->scan_line;
    if (s->eof && s->depth) return error_set(NEEDLE_EFORMAT, "%s: the file ends inside a record (truncated?)", s->path);
    return 0;
}

int dpr_stream_next(dpr_stream *s, dpr_record **rec) {
    *rec = NULL;
    while (!s->q_len) {
        if (s->rc) return s->rc;
        if (s->eof) return 0;
        int rc = feed(s);
        if (rc) return s->rc = rc;
    }
    *rec = s->queue[s->q_head++];
    if (!--s->q_len) s->q_head = 0;
    return 1;
}

void dpr_stream_counts(const dpr_stream *s, size_t *records, size_t *skipped) {
    *records = s->records;
    *skipped = s->skipped;
}

int dpr_stream_count(const char *path, const dpr_read_opts *o, size_t *records, size_t *skipped) {
    dpr_stream *s;
    int rc = dpr_stream_open(&s, path, o, 0);
    if (rc) return rc;
    dpr_record *r;
    while ((rc = dpr_stream_next(s, &r)) == 1) free(r);
    dpr_stream_counts(s, records, skipped);
    dpr_stream_close(s);
    return rc;
}

/* dpr_record.c — a DPR record in one allocation, built from parts and written back as DPR
 * JSON (see dpr_data.h).
 *
 * The stream reader, the BEIR converter and the miner all produce records through
 * dpr_record_build, so every record — whatever its origin — is one block that the shuffle
 * buffer and the trainer can hold and free without knowing how it was made. */
#include "needle/dpr_data.h"
#include "needle/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dpr_read_opts_all(dpr_read_opts *o) {
    memset(o, 0, sizeof *o);
    for (int k = 0; k < DPR_KINDS; k++) o->keep[k] = -1;
    o->score_field = "score";
}

static size_t str_size(const char *s) { return (s ? strlen(s) : 0) + 1; }

/* Copy s (NULL = "") to *at and return the copy. */
static const char *put_str(char **at, const char *s) {
    size_t n = s ? strlen(s) : 0;
    char *d = *at;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    *at += n + 1;
    return d;
}

int dpr_record_build(const char *question, const char *const *answers, int n_answers,
                     const dpr_passage *const ctx[DPR_KINDS], const int n_ctx[DPR_KINDS], dpr_record **out) {
    *out = NULL;
    size_t fixed = sizeof(dpr_record) + (size_t)n_answers * sizeof(char *), strings = str_size(question);
    for (int i = 0; i < n_answers; i++) strings += str_size(answers[i]);
    for (int k = 0; k < DPR_KINDS; k++) {
        fixed += (size_t)n_ctx[k] * sizeof(dpr_passage);
        for (int i = 0; i < n_ctx[k]; i++)
            strings += str_size(ctx[k][i].title) + str_size(ctx[k][i].text) + str_size(ctx[k][i].id);
    }
    dpr_record *r = malloc(fixed + strings);
    if (!r) return error_set(NEEDLE_ENOMEM, "out of memory for a training record of %zu bytes", fixed + strings);
    memset(r, 0, sizeof *r);
    unsigned char *p = (unsigned char *)(r + 1);
    const char **ans = (const char **)p;
    p += (size_t)n_answers * sizeof(char *);
    for (int k = 0; k < DPR_KINDS; k++) {
        r->ctx[k] = n_ctx[k] ? (dpr_passage *)p : NULL;
        r->n_ctx[k] = n_ctx[k];
        p += (size_t)n_ctx[k] * sizeof(dpr_passage);
    }
    char *s = (char *)p;
    r->question = put_str(&s, question);
    for (int i = 0; i < n_answers; i++) ans[i] = put_str(&s, answers[i]);
    r->answers = n_answers ? ans : NULL;
    r->n_answers = n_answers;
    for (int k = 0; k < DPR_KINDS; k++)
        for (int i = 0; i < n_ctx[k]; i++) {
            dpr_passage *d = &r->ctx[k][i];
            d->title = put_str(&s, ctx[k][i].title);
            d->text = put_str(&s, ctx[k][i].text);
            d->id = put_str(&s, ctx[k][i].id);
            d->score = ctx[k][i].score;
        }
    *out = r;
    return 0;
}

void dpr_records_free(dpr_record **records, size_t n) {
    if (!records) return;
    for (size_t i = 0; i < n; i++) free(records[i]);
    free(records);
}

static void write_passages(jsonw *w, const char *key, const dpr_passage *p, int n) {
    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (int i = 0; i < n; i++) {
        jsonw_object_begin(w);
        jsonw_key(w, "title"), jsonw_string(w, p[i].title);
        jsonw_key(w, "text"), jsonw_string(w, p[i].text);
        jsonw_key(w, "passage_id"), jsonw_string(w, p[i].id);
        if (!isnan(p[i].score)) jsonw_key(w, "score"), jsonw_double(w, p[i].score);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

void dpr_record_write(jsonw *w, const dpr_record *r) {
    jsonw_object_begin(w);
    jsonw_key(w, "question"), jsonw_string(w, r->question);
    jsonw_key(w, "answers");
    jsonw_array_begin(w);
    for (int i = 0; i < r->n_answers; i++) jsonw_string(w, r->answers[i]);
    jsonw_array_end(w);
    write_passages(w, "positive_ctxs", r->ctx[DPR_POS], r->n_ctx[DPR_POS]);
    write_passages(w, "negative_ctxs", r->ctx[DPR_OTHER], r->n_ctx[DPR_OTHER]);
    write_passages(w, "hard_negative_ctxs", r->ctx[DPR_HARD], r->n_ctx[DPR_HARD]);
    jsonw_object_end(w);
}

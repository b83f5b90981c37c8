/* reader_output.c — what a reader's decoded answers become for users: the official prediction
 * and null-odds files, and the top-k answers of each question with the context around them
 * (Haystack's answer format: FARM's context window, offsets in the document and in the
 * context). Offsets are code points, as everywhere in SQuAD data; the text is cut from the
 * UTF-8 context through utf8_byte_offset. */
#include "needle/error.h"
#include "needle/json.h"
#include "needle/reader_predict.h"
#include "needle/utf8.h"

#include <stdlib.h>

static const char *context_of(const squad_dataset *ds, size_t question, size_t *bytes) {
    const squad_paragraph *p = &ds->paragraphs[ds->questions[question].paragraph];
    *bytes = p->context_bytes;
    return p->context;
}

/* Append code points [start, end) of text[0..n) to out. */
static int append_chars(strbuf *out, const char *text, size_t n, size_t start, size_t end) {
    size_t b0 = utf8_byte_offset(text, n, start);
    size_t b1 = b0 + utf8_byte_offset(text + b0, n - b0, end - start);
    return strbuf_append(out, text + b0, b1 - b0);
}

int reader_answer_text(const squad_dataset *ds, size_t question, const span_answer *a, strbuf *out) {
    if (a->kind == SPAN_EMPTY) return strbuf_puts(out, "empty");
    if (a->kind == SPAN_NULL || a->end <= a->start) return 0;
    size_t n;
    const char *ctx = context_of(ds, question, &n);
    return append_chars(out, ctx, n, (size_t)a->start, (size_t)a->end);
}

/* The prediction of question q: "" when v2 decided no answer. */
static int predicted_text(const reader_predictions *p, const squad_dataset *ds, size_t q, strbuf *out) {
    const span_result *r = &p->q[q];
    if (r->no_answer) return 0;
    return reader_answer_text(ds, q, &r->answers[r->chosen], out);
}

int reader_predictions_official(const reader_predictions *p, const squad_dataset *ds, squad_predictions *preds,
                                squad_na_probs *na) {
    strbuf text;
    strbuf_init(&text);
    int rc = 0;
    for (size_t q = 0; q < p->n && !rc; q++) {
        if (!p->q[q].n) continue;
        strbuf_clear(&text);
        if ((rc = predicted_text(p, ds, q, &text))) break;
        rc = squad_predictions_add(preds, ds->questions[q].id, text.data ? text.data : "");
        if (!rc && na) rc = squad_na_probs_add(na, ds->questions[q].id, p->q[q].score_diff);
    }
    strbuf_free(&text);
    return rc ? error_prefix(rc, "collecting predictions: ") : 0;
}

void reader_context_window(size_t len, int start, int end, int context_chars, size_t *c0, size_t *c1) {
    long mid = (end - start) / 2 + start, half = context_chars / 2;
    long cs = mid - half, ce = mid + half;
    long over_start = cs < 0 ? -cs : 0, over_end = ce > (long)len ? ce - (long)len : 0;
    cs -= over_end;
    if (cs < 0) cs = 0;
    ce += over_start;
    if (ce > (long)len) ce = (long)len;
    *c0 = (size_t)cs;
    *c1 = (size_t)ce;
}

static void write_answer(jsonw *w, const squad_dataset *ds, size_t q, const span_answer *a, int context_chars,
                         strbuf *tmp) {
    strbuf_clear(tmp);
    reader_answer_text(ds, q, a, tmp);
    jsonw_object_begin(w);
    jsonw_key(w, "answer"), jsonw_string_n(w, tmp->data ? tmp->data : "", tmp->len);
    jsonw_key(w, "score"), jsonw_double(w, a->score);
    jsonw_key(w, "probability"), jsonw_double(w, a->probability);
    jsonw_key(w, "start_logit"), jsonw_double(w, a->start_logit);
    jsonw_key(w, "end_logit"), jsonw_double(w, a->end_logit);
    if (a->kind == SPAN_TEXT) {
        size_t n, c0, c1;
        const char *ctx = context_of(ds, q, &n);
        size_t chars = ds->paragraphs[ds->questions[q].paragraph].context_chars;
        reader_context_window(chars, a->start, a->end, context_chars, &c0, &c1);
        jsonw_key(w, "offsets_in_document");
        jsonw_array_begin(w), jsonw_int(w, a->start), jsonw_int(w, a->end), jsonw_array_end(w);
        strbuf_clear(tmp);
        append_chars(tmp, ctx, n, c0, c1);
        jsonw_key(w, "context"), jsonw_string_n(w, tmp->data ? tmp->data : "", tmp->len);
        jsonw_key(w, "offsets_in_context");
        jsonw_array_begin(w), jsonw_int(w, (long long)(a->start - (long)c0)), jsonw_int(w, (long long)(a->end - (long)c0));
        jsonw_array_end(w);
        jsonw_key(w, "window"), jsonw_int(w, a->window);
    }
    jsonw_object_end(w);
}

int reader_predictions_details(const reader_predictions *p, const squad_dataset *ds, int top_k, int context_chars,
                               strbuf *out) {
    strbuf tmp;
    strbuf_init(&tmp);
    jsonw w;
    jsonw_init(&w, out);
    jsonw_array_begin(&w);
    for (size_t q = 0; q < p->n; q++) {
        const span_result *r = &p->q[q];
        if (!r->n) continue;
        const squad_question *qu = &ds->questions[q];
        jsonw_object_begin(&w);
        jsonw_key(&w, "id"), jsonw_string(&w, qu->id);
        jsonw_key(&w, "question"), jsonw_string(&w, qu->question);
        strbuf_clear(&tmp);
        predicted_text(p, ds, q, &tmp);
        jsonw_key(&w, "prediction"), jsonw_string_n(&w, tmp.data ? tmp.data : "", tmp.len);
        if (p->version_2) {
            jsonw_key(&w, "null_score"), jsonw_double(&w, r->null_score);
            jsonw_key(&w, "score_diff"), jsonw_double(&w, r->score_diff);
        }
        jsonw_key(&w, "paragraph"), jsonw_int(&w, (long long)qu->paragraph);
        jsonw_key(&w, "answers");
        jsonw_array_begin(&w);
        for (int i = 0; i < r->n && i < top_k; i++) write_answer(&w, ds, q, &r->answers[i], context_chars, &tmp);
        jsonw_array_end(&w);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    strbuf_free(&tmp);
    return w.err || strbuf_putc(out, '\n') ? error_set(NEEDLE_ENOMEM, "out of memory writing answers") : 0;
}

/* handlers_export.c — GET /export-feedback: the user feedback as a SQuAD 2.0 file that
 * `needle reader train` reads, with Haystack 1.x's rules:
 *   - one data entry per label: {"paragraphs": [{"context", "id": document id, "qas": [...]}]};
 *   - a label whose answer and document are both wrong is an impossible question (no answers);
 *     one whose document is right but answer wrong is left out (it is neither a positive nor
 *     an impossible example), unless only_positive_labels keeps only correct answers anyway;
 *   - context_size / full_document_context: the whole document, or a window of context_size
 *     characters centred on the answer, with Haystack's arithmetic except that the window may
 *     reach the document's last character (Haystack stops one short of it, which can cut off
 *     an answer at the very end).
 * Offsets are code points. The context is the document as the user saw it when giving the
 * feedback (kept with the label), else the store's current document. An example whose answer
 * is not at its offset in the context is skipped with a warning in the log, never written. */
#include "server_internal.h"
#include "feedback_label.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/preprocess.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A boolean query argument as FastAPI reads one. */
static int arg_bool(const http_request *req, const char *name, int dflt, int *out, http_response *res) {
    const char *v = http_request_arg(req, name);
    *out = dflt;
    if (!v) return 0;
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) *out = 1;
    else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) *out = 0;
    else {
        http_reply_error(res, 400, "query parameter %s: '%s' is not a boolean", name, v);
        return -1;
    }
    return 0;
}

/* The context window [*from, *to) in code points of a text of n code points, for an answer of
 * `alen` code points at `start` (Haystack's export_feedback, with the end bound fixed). */
static void context_window(long long n, long long start, long long alen, long long context_size, long long *from,
                           long long *to) {
    long long add = (context_size - alen) / 2; /* Python's int() truncates toward zero, as C does */
    long long s = start - add > 0 ? start - add : 0;
    long long extra_end = add - start > 0 ? add - start : 0;
    long long e = start + alen + add < n ? start + alen + add : n;
    long long extra_start = start + alen + add - n > 0 ? start + alen + add - n : 0;
    s = s - extra_start > 0 ? s - extra_start : 0;
    e = e + extra_end < n ? e + extra_end : n;
    *from = s;
    *to = e > s ? e : s;
}

/* The document text of a label (malloc'ed), or NULL when neither the label nor the store has it. */
static char *label_text(docstore *ds, const docstore_label *l) {
    char *text = feedback_label_document_content(l);
    if (text || !l->document_id) return text;
    docstore_record rec;
    if (docstore_get(ds, l->document_id, &rec)) return NULL;
    text = strdup(rec.content);
    docstore_record_free(&rec);
    return text;
}

/* Write one label as a data entry; returns 0 when it was skipped (logged). */
static int write_example(jsonw *w, const docstore_label *l, const char *text, int full, long long context_size) {
    size_t tlen = strlen(text);
    long long n = (long long)utf8_char_count(text, tlen);
    int impossible = !l->is_correct_answer && !l->is_correct_document;
    const char *answer = impossible ? "" : l->answer;
    long long alen = (long long)utf8_char_count(answer, strlen(answer));
    long long start = l->answer_start >= 0 && !impossible ? l->answer_start : 0, from = 0, to = n;
    if (!full) context_window(n, start, alen, context_size, &from, &to);
    size_t bfrom = utf8_byte_offset(text, tlen, (size_t)from), bto = utf8_byte_offset(text, tlen, (size_t)to);
    long long astart = start - from;
    if (!impossible) {
        size_t bs = utf8_byte_offset(text, tlen, (size_t)start), be = utf8_byte_offset(text, tlen, (size_t)(start + alen));
        if (start + alen > to || be - bs != strlen(answer) || memcmp(text + bs, answer, be - bs)) {
            log_warn("export-feedback: label %lld skipped: its answer \"%s\" is not at %lld in the context", l->id,
                     answer, astart);
            return 0;
        }
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", l->id);
    jsonw_object_begin(w);
    jsonw_key(w, "paragraphs");
    jsonw_array_begin(w);
    jsonw_object_begin(w);
    jsonw_key(w, "context");
    jsonw_string_n(w, text + bfrom, bto - bfrom);
    jsonw_key(w, "id");
    jsonw_string(w, l->document_id ? l->document_id : "");
    jsonw_key(w, "qas");
    jsonw_array_begin(w);
    jsonw_object_begin(w);
    jsonw_key(w, "question");
    jsonw_string(w, l->question);
    jsonw_key(w, "id");
    jsonw_string(w, id);
    jsonw_key(w, "is_impossible");
    jsonw_bool(w, impossible);
    jsonw_key(w, "answers");
    jsonw_array_begin(w);
    if (!impossible) {
        jsonw_object_begin(w);
        jsonw_key(w, "text");
        jsonw_string(w, answer);
        jsonw_key(w, "answer_start");
        jsonw_int(w, astart);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
    jsonw_object_end(w);
    jsonw_array_end(w);
    jsonw_object_end(w);
    jsonw_array_end(w);
    jsonw_object_end(w);
    return 1;
}

void handle_export_feedback(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    int full, positive;
    long long context_size = 100000;
    const char *cs = http_request_arg(req, "context_size");
    if (cs) {
        char *end;
        context_size = strtoll(cs, &end, 10);
        if (*end || end == cs || context_size < 0) {
            http_reply_error(res, 400, "query parameter context_size: '%s' is not a non-negative integer", cs);
            return;
        }
    }
    if (arg_bool(req, "full_document_context", 1, &full, res) ||
        arg_bool(req, "only_positive_labels", 0, &positive, res))
        return;
    const char *filters = positive ? "{\"origin\": \"" DOCSTORE_ORIGIN_FEEDBACK "\", \"is_correct_answer\": true}"
                                   : "{\"origin\": \"" DOCSTORE_ORIGIN_FEEDBACK "\"}";
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "version");
    jsonw_string(&w, "v2.0");
    jsonw_key(&w, "data");
    jsonw_array_begin(&w);
    docstore_iter *it = NULL;
    size_t written = 0, skipped = 0;
    docstore *ds = NULL;
    int rc = pipeline_reader(a->pipe, &ds);
    if (!rc) rc = docstore_iter_labels(ds, filters, &it);
    docstore_label l;
    while (!rc && (rc = docstore_iter_next_label(it, &l)) == 1) {
        rc = 0;
        if (!positive && l.is_correct_document && !l.is_correct_answer) continue;
        char *text = label_text(ds, &l);
        if (!text) {
            log_warn("export-feedback: label %lld skipped: document %s is gone", l.id, l.document_id ? l.document_id : "?");
            skipped++;
            continue;
        }
        if (write_example(&w, &l, text, full, context_size)) written++;
        else skipped++;
        free(text);
    }
    docstore_iter_free(it);
    pipeline_reader_done(a->pipe, ds);
    if (rc < 0) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        return;
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    log_info("export-feedback: %zu examples written, %zu skipped", written, skipped);
    server_json_reply(res, &sb, &w);
    http_reply_header(res, "Content-Disposition", "attachment; filename=\"feedback_squad.json\"");
}

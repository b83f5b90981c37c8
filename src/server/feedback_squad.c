/* feedback_squad.c — see feedback_squad.h. Offsets are code points (Python's str indexing, which
 * Haystack's spans and SQuAD's answer_start use); the context is cut and the answer checked in
 * UTF-8 bytes converted from them. The rules live here once: the export handler serialises what
 * this builds, and the reader trainer trains on it. */
#include "needle/feedback_squad.h"
#include "feedback_label.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

feedback_squad_opts feedback_squad_defaults(void) { return (feedback_squad_opts){1, 100000, 0}; }

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

/* Append one label as an article; *made = 0 when it was skipped (logged). */
static int append_example(squad_dataset *out, const docstore_label *l, const char *text,
                          const feedback_squad_opts *o, int *made) {
    *made = 0;
    size_t tlen = strlen(text);
    long long n = (long long)utf8_char_count(text, tlen);
    int impossible = (!l->is_correct_answer && !l->is_correct_document) || (l->no_answer && l->is_correct_answer);
    const char *answer = impossible ? "" : l->answer;
    long long alen = (long long)utf8_char_count(answer, strlen(answer));
    long long start = l->answer_start >= 0 && !impossible ? l->answer_start : 0, from = 0, to = n;
    if (!o->full_document_context) context_window(n, start, alen, o->context_size, &from, &to);
    if (!impossible) {
        size_t bs = utf8_byte_offset(text, tlen, (size_t)start), be = utf8_byte_offset(text, tlen, (size_t)(start + alen));
        if (l->answer_start < 0 || start + alen > to || be - bs != strlen(answer) || memcmp(text + bs, answer, be - bs)) {
            log_warn("feedback label %lld skipped: its answer \"%s\" is not at %lld in the document", l->id, answer,
                     l->answer_start);
            return 0;
        }
    }
    size_t bfrom = utf8_byte_offset(text, tlen, (size_t)from), bto = utf8_byte_offset(text, tlen, (size_t)to);
    char *context = strndup(text + bfrom, bto - bfrom);
    if (!context) return error_set(NEEDLE_ENOMEM, "out of memory converting feedback");
    char id[24];
    snprintf(id, sizeof id, "%lld", l->id);
    int rc = squad_add_article(out, NULL);
    if (!rc) rc = squad_add_paragraph(out, context);
    if (!rc) rc = squad_set_paragraph_id(out, l->document_id ? l->document_id : "");
    if (!rc) rc = squad_add_question(out, id, l->question, impossible);
    if (!rc && !impossible) rc = squad_add_answer(out, answer, start - from, 0);
    free(context);
    if (!rc) *made = 1;
    return rc;
}

int feedback_squad_append(docstore *ds, const feedback_squad_opts *o, squad_dataset *out, feedback_squad_stats *stats) {
    feedback_squad_stats st = {0, 0, 0};
    const char *filters = o->only_positive_labels
                              ? "{\"origin\": \"" DOCSTORE_ORIGIN_FEEDBACK "\", \"is_correct_answer\": true}"
                              : "{\"origin\": \"" DOCSTORE_ORIGIN_FEEDBACK "\"}";
    if (!o->full_document_context && o->context_size < 0)
        return error_set(NEEDLE_EINVAL, "feedback context size %lld is negative", o->context_size);
    if (!out->n_articles) out->version = SQUAD_V2;
    docstore_iter *it = NULL;
    docstore_label l;
    int rc = docstore_iter_labels(ds, filters, &it);
    while (!rc && (rc = docstore_iter_next_label(it, &l)) == 1) {
        rc = 0;
        if (!o->only_positive_labels && l.is_correct_document && !l.is_correct_answer) {
            st.left_out++;
            continue;
        }
        char *text = label_text(ds, &l);
        if (!text) {
            log_warn("feedback label %lld skipped: document %s is gone", l.id, l.document_id ? l.document_id : "(none)");
            st.skipped++;
            continue;
        }
        int made;
        rc = append_example(out, &l, text, o, &made);
        free(text);
        if (made) st.written++;
        else if (!rc) st.skipped++;
        if (made && out->questions[out->n_questions - 1].is_impossible) out->version = SQUAD_V2;
    }
    docstore_iter_free(it);
    if (rc < 0) return error_prefix(rc, "%s: reading the feedback: ", docstore_path(ds));
    if (stats) *stats = st;
    return 0;
}

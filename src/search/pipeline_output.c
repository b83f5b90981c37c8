/* pipeline_output.c — the documents and answers that flow through a pipeline: owned copies,
 * appending to a node's output, and Haystack's JSON for them (Document, Answer, and the
 * QueryResponse that pipeline_run writes for the HTTP API and `needle query`). */
#include "pipeline_internal.h"
#include "needle/array.h"
#include "needle/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, int *failed) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *failed = 1;
    return d;
}

int pipeline_doc_from_record(pipeline_doc *d, const docstore_record *rec, double score) {
    int failed = 0;
    *d = (pipeline_doc){rec->seq, dup_or_null(rec->id, &failed), dup_or_null(rec->content, &failed),
                        dup_or_null(rec->meta_json && rec->meta_json[0] ? rec->meta_json : "{}", &failed),
                        dup_or_null(rec->source_id, &failed), rec->source_start, rec->source_end, rec->split_index, score};
    if (!failed) return 0;
    pipeline_doc_free(d);
    return error_set(NEEDLE_ENOMEM, "out of memory copying a document");
}

int pipeline_doc_copy(pipeline_doc *dst, const pipeline_doc *src) {
    int failed = 0;
    *dst = *src;
    dst->id = dup_or_null(src->id, &failed);
    dst->content = dup_or_null(src->content, &failed);
    dst->meta_json = dup_or_null(src->meta_json, &failed);
    dst->source_id = dup_or_null(src->source_id, &failed);
    if (!failed) return 0;
    pipeline_doc_free(dst);
    return error_set(NEEDLE_ENOMEM, "out of memory copying a document");
}

void pipeline_doc_free(pipeline_doc *d) {
    free(d->id);
    free(d->content);
    free(d->meta_json);
    free(d->source_id);
    memset(d, 0, sizeof *d);
}

void pipeline_answer_free(pipeline_answer *a) {
    free(a->answer);
    free(a->context);
    free(a->document_id);
    free(a->meta_json);
    memset(a, 0, sizeof *a);
}

int pipeline_output_add_doc(pipeline_output *out, pipeline_doc *d, size_t *cap) {
    if (array_grow((void **)&out->docs, cap, out->n_docs, sizeof *out->docs)) {
        pipeline_doc_free(d);
        return NEEDLE_ENOMEM;
    }
    out->docs[out->n_docs++] = *d;
    memset(d, 0, sizeof *d);
    return 0;
}

int pipeline_output_add_answer(pipeline_output *out, pipeline_answer *a, size_t *cap) {
    if (array_grow((void **)&out->answers, cap, out->n_answers, sizeof *out->answers)) {
        pipeline_answer_free(a);
        return NEEDLE_ENOMEM;
    }
    out->answers[out->n_answers++] = *a;
    memset(a, 0, sizeof *a);
    return 0;
}

void pipeline_output_free(pipeline_output *o) {
    for (size_t k = 0; k < o->n_docs; k++) pipeline_doc_free(&o->docs[k]);
    for (size_t k = 0; k < o->n_answers; k++) pipeline_answer_free(&o->answers[k]);
    free(o->docs);
    free(o->answers);
    memset(o, 0, sizeof *o);
}

void pipeline_result_free(pipeline_result *r) {
    for (size_t i = 0; i < r->n; i++) pipeline_output_free(&r->nodes[i]);
    free(r->nodes);
    memset(r, 0, sizeof *r);
}

/* ---- JSON ---- */

static void write_doc_fields(jsonw *w, const char *id, const char *content, const char *meta_json, double score) {
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_string(w, id);
    jsonw_key(w, "content");
    jsonw_string(w, content);
    jsonw_key(w, "content_type");
    jsonw_string(w, "text");
    jsonw_key(w, "meta");
    jsonw_raw(w, meta_json && meta_json[0] ? meta_json : "{}");
    if (!isnan(score)) {
        jsonw_key(w, "score");
        jsonw_double(w, score);
    }
    jsonw_object_end(w);
}

void pipeline_write_document(jsonw *w, const docstore_record *rec, double score) {
    write_doc_fields(w, rec->id, rec->content, rec->meta_json, score);
}

void pipeline_write_doc(jsonw *w, const pipeline_doc *d) { write_doc_fields(w, d->id, d->content, d->meta_json, d->score); }

static void write_span(jsonw *w, long long start, long long end) {
    jsonw_array_begin(w);
    if (start >= 0) {
        jsonw_object_begin(w);
        jsonw_key(w, "start");
        jsonw_int(w, start);
        jsonw_key(w, "end");
        jsonw_int(w, end);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}

void pipeline_write_answer(jsonw *w, const pipeline_answer *a) {
    jsonw_object_begin(w);
    jsonw_key(w, "answer");
    jsonw_string(w, a->answer ? a->answer : "");
    jsonw_key(w, "type");
    jsonw_string(w, a->type ? a->type : "extractive");
    jsonw_key(w, "score");
    if (isnan(a->score)) jsonw_null(w);
    else jsonw_double(w, a->score);
    jsonw_key(w, "context");
    if (a->context) jsonw_string(w, a->context);
    else jsonw_null(w);
    jsonw_key(w, "offsets_in_context");
    write_span(w, a->context_start, a->context_end);
    jsonw_key(w, "offsets_in_document");
    write_span(w, a->document_start, a->document_end);
    jsonw_key(w, "document_ids");
    jsonw_array_begin(w);
    if (a->document_id) jsonw_string(w, a->document_id);
    jsonw_array_end(w);
    jsonw_key(w, "meta");
    jsonw_raw(w, a->meta_json && a->meta_json[0] ? a->meta_json : "{}");
    jsonw_object_end(w);
}

void pipeline_write_result(jsonw *w, const char *query, const pipeline_result *r) {
    const pipeline_output *f = r->final;
    jsonw_key(w, "query");
    jsonw_string(w, query);
    jsonw_key(w, "answers");
    jsonw_array_begin(w);
    for (size_t i = 0; f && i < f->n_answers; i++) pipeline_write_answer(w, &f->answers[i]);
    jsonw_array_end(w);
    jsonw_key(w, "documents");
    jsonw_array_begin(w);
    for (size_t i = 0; f && i < f->n_docs; i++) pipeline_write_doc(w, &f->docs[i]);
    jsonw_array_end(w);
}

int pipeline_run(pipeline *p, const char *query, const cJSON *params, jsonw *w) {
    pipeline_result r;
    int rc = pipeline_query(p, query, params, &r);
    if (rc) return rc;
    pipeline_write_result(w, query, &r);
    pipeline_result_free(&r);
    return 0;
}

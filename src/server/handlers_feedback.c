/* handlers_feedback.c — user feedback (Haystack 1.x labels): POST, GET and DELETE /feedback,
 * and POST /eval-feedback (answer and document accuracy over the feedback).
 *
 * A label arrives as Haystack's CreateLabelSerialized: {query, document, answer?,
 * is_correct_answer, is_correct_document, origin?, no_answer?, id?, pipeline_id?, created_at?,
 * updated_at?, meta?, filters?}; unknown fields are refused, as Haystack's Extra.forbid does.
 * The store keeps what it filters and exports on (question, answer text, the answer's span in
 * code points of the document's content, document id, the flags, origin, time, meta); the rest
 * of the label — the document as the user saw it, the answer object, pipeline_id, filters —
 * is kept verbatim in the label's meta under the reserved key "_label", so that GET /feedback
 * returns the labels as they were posted and exports work even after the document changed.
 *
 * Unlike Haystack, a label that says the answer is correct must locate the answer in the
 * document: offsets_in_document must hold the answer text, or offsets_in_context must, with
 * the context found in the document, or the text must occur in it. A label that could not be
 * exported as a SQuAD example is refused with 400 rather than silently kept. */
#include "server_internal.h"
#include "feedback_label.h"
#include "needle/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- POST /feedback ---- */

void handle_feedback_post(void *app, const http_request *req, http_response *res) {
    static const char *const allowed[] = {"id", "query", "document", "answer", "is_correct_answer",
                                          "is_correct_document", "origin", "no_answer", "pipeline_id",
                                          "created_at", "updated_at", "meta", "filters", NULL};
    server_app *a = app;
    cJSON *body;
    if (server_body_object(req, res, allowed, 0, &body)) return;
    feedback_label fl;
    int rc = feedback_label_parse(body, &fl);
    if (rc) {
        http_reply_lib_error(res, rc);
        cJSON_Delete(body);
        return;
    }
    long long id = -1;
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    pipeline_lock(a->pipe);
    docstore *ds = pipeline_docstore(a->pipe);
    rc = docstore_labels_add(ds, &fl.label, 1, &id);
    if (!rc) { /* reply with the label as stored (its id and creation time) */
        char filter[48];
        snprintf(filter, sizeof filter, "{\"id\": %lld}", id);
        docstore_iter *it = NULL;
        docstore_label stored;
        rc = docstore_iter_labels(ds, filter, &it);
        if (!rc) rc = docstore_iter_next_label(it, &stored);
        if (rc == 1) {
            feedback_label_write(&w, &stored);
            rc = 0;
        } else if (rc == 0) {
            rc = error_set(NEEDLE_EIO, "label %lld vanished after it was written", id);
        }
        docstore_iter_free(it);
    }
    pipeline_unlock(a->pipe);
    if (rc) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
    } else {
        server_json_reply(res, &sb, &w);
    }
    feedback_label_free(&fl);
    cJSON_Delete(body);
}

/* ---- GET and DELETE /feedback ---- */

void handle_feedback_get(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_array_begin(&w);
    docstore_iter *it = NULL;
    docstore *rd = NULL;
    int rc = pipeline_reader(a->pipe, &rd);
    if (!rc) rc = docstore_iter_labels(rd, NULL, &it);
    docstore_label l;
    while (!rc && (rc = docstore_iter_next_label(it, &l)) == 1) {
        feedback_label_write(&w, &l);
        rc = 0;
    }
    docstore_iter_free(it);
    pipeline_reader_done(a->pipe, rd);
    if (rc < 0) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        return;
    }
    jsonw_array_end(&w);
    server_json_reply(res, &sb, &w);
}

void handle_feedback_delete(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    long long deleted = 0;
    pipeline_lock(a->pipe);
    int rc = docstore_labels_delete(pipeline_docstore(a->pipe), "{\"origin\": \"" DOCSTORE_ORIGIN_FEEDBACK "\"}", &deleted);
    pipeline_unlock(a->pipe);
    if (rc) {
        http_reply_lib_error(res, rc);
        return;
    }
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "deleted");
    jsonw_int(&w, deleted);
    jsonw_object_end(&w);
    server_json_reply(res, &sb, &w);
}

/* ---- POST /eval-feedback ---- */

/* Haystack's label field "query" is the store's "question": rename it wherever it is a key. */
static void rename_query_keys(cJSON *node) {
    for (cJSON *it = node ? node->child : NULL; it; it = it->next) {
        if (it->string && !strcmp(it->string, "query")) {
            char *q = strdup("question");
            if (q) {
                if (!(it->type & cJSON_StringIsConst)) cJSON_free(it->string);
                it->string = q;
                it->type &= ~cJSON_StringIsConst;
            }
        }
        rename_query_keys(it);
    }
}

void handle_eval_feedback(void *app, const http_request *req, http_response *res) {
    static const char *const allowed[] = {"filters", NULL};
    server_app *a = app;
    cJSON *body;
    if (server_body_object(req, res, allowed, 1, &body)) return;
    const cJSON *given = body ? cJSON_GetObjectItemCaseSensitive(body, "filters") : NULL;
    if (given && !cJSON_IsNull(given) && !cJSON_IsObject(given)) {
        http_reply_error(res, 400, "field \"filters\" should be an object");
        cJSON_Delete(body);
        return;
    }
    /* As Haystack: the caller's filters, with origin forced to user feedback. */
    cJSON *f = given && cJSON_IsObject(given) ? cJSON_Duplicate(given, 1) : cJSON_CreateObject();
    cJSON_Delete(body);
    if (f) {
        rename_query_keys(f);
        cJSON_DeleteItemFromObjectCaseSensitive(f, "origin");
        cJSON_AddStringToObject(f, "origin", DOCSTORE_ORIGIN_FEEDBACK);
    }
    char *filters = NULL;
    if (!f || server_filters(f, res, &filters)) {
        if (!f) http_reply_error(res, 500, "out of memory reading the filters");
        cJSON_Delete(f);
        return;
    }
    cJSON_Delete(f);
    long long n = 0, answers_ok = 0, docs_ok = 0;
    docstore_iter *it = NULL;
    docstore *rd = NULL;
    int rc = pipeline_reader(a->pipe, &rd);
    if (!rc) rc = docstore_iter_labels(rd, filters, &it);
    docstore_label l;
    while (!rc && (rc = docstore_iter_next_label(it, &l)) == 1) {
        n++;
        answers_ok += l.is_correct_answer != 0;
        docs_ok += l.is_correct_document != 0;
        rc = 0;
    }
    docstore_iter_free(it);
    pipeline_reader_done(a->pipe, rd);
    free(filters);
    if (rc < 0) {
        http_reply_lib_error(res, rc);
        return;
    }
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "answer_accuracy");
    if (n) jsonw_double(&w, (double)answers_ok / (double)n);
    else jsonw_null(&w);
    jsonw_key(&w, "document_accuracy");
    if (n) jsonw_double(&w, (double)docs_ok / (double)n);
    else jsonw_null(&w);
    jsonw_key(&w, "n_feedback");
    jsonw_int(&w, n);
    jsonw_object_end(&w);
    server_json_reply(res, &sb, &w);
}

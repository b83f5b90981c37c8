/* pipeline_node_docs2answers.c — Docs2Answers: Haystack's node for FAQ pipelines, where the
 * stored documents are questions with their answer in the metadata. Each input document
 * becomes an answer of type "other" with the document's score and id:
 *   meta has a string "answer": answer and context are that string (offsets in the context
 *     [0, its length)), meta gets "query": the document's content (the FAQ question);
 *   otherwise: answer "", context the document's content, no offsets.
 * The input documents pass through as the node's documents. No params. */
#include "pipeline_internal.h"
#include "needle/error.h"
#include "needle/utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int d2a_create(pbuild *b, void **state) {
    static const char *const known[] = {NULL};
    static const char *const ignored[] = {"progress_bar", NULL};
    *state = NULL;
    return pbuild_check_params(b, known, ignored);
}

static int answer_from_doc(const pipeline_doc *d, pipeline_answer *a) {
    memset(a, 0, sizeof *a);
    a->type = "other";
    a->score = d->score;
    a->context_start = a->context_end = a->document_start = a->document_end = -1;
    cJSON *meta = cJSON_Parse(d->meta_json && d->meta_json[0] ? d->meta_json : "{}");
    if (!meta) return error_set(NEEDLE_EFORMAT, "document %s: its meta is not JSON", d->id);
    const cJSON *faq = cJSON_GetObjectItemCaseSensitive(meta, "answer");
    int rc = 0;
    if (cJSON_IsString(faq)) {
        a->answer = strdup(faq->valuestring);
        a->context = strdup(faq->valuestring);
        a->context_start = 0;
        a->context_end = (long long)utf8_char_count(faq->valuestring, strlen(faq->valuestring));
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "query");
        if (!cJSON_AddStringToObject(meta, "query", d->content)) rc = NEEDLE_ENOMEM;
    } else {
        a->answer = strdup("");
        a->context = strdup(d->content);
    }
    a->document_id = strdup(d->id);
    a->meta_json = rc ? NULL : cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    if (rc || !a->answer || !a->context || !a->document_id || !a->meta_json) {
        pipeline_answer_free(a);
        return error_set(NEEDLE_ENOMEM, "out of memory making answers");
    }
    return 0;
}

static int d2a_run(void *state, const prun *r, pipeline_output *out) {
    const pipeline_output *in = r->inputs[0];
    size_t dcap = 0, acap = 0;
    int rc = 0;
    for (size_t i = 0; i < in->n_docs && !rc; i++) {
        pipeline_answer a;
        pipeline_doc d;
        rc = answer_from_doc(&in->docs[i], &a);
        if (!rc) rc = pipeline_output_add_answer(out, &a, &acap);
        if (!rc) rc = pipeline_doc_copy(&d, &in->docs[i]);
        if (!rc) rc = pipeline_output_add_doc(out, &d, &dcap);
    }
    return rc;
}

static void d2a_destroy(void *state) { (void)state; }

static const char *const d2a_run_params[] = {NULL};
const pipeline_type pipeline_type_docs2answers = {"Docs2Answers", PROLE_ANSWERS, d2a_run_params, d2a_create, d2a_run,
                                                  d2a_destroy};

/* feedback_label.c — see feedback_label.h. Offsets are code points of the document's content
 * (Python's str indexing, which Haystack's Span and SQuAD's answer_start use); the content is
 * UTF-8, so every span is checked by converting it to bytes and comparing the text. */
#include "feedback_label.h"
#include "needle/error.h"
#include "needle/murmur3.h"
#include "needle/preprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "feedback"

static int check_keys(const cJSON *obj, const char *const *allowed, const char *what) {
    for (const cJSON *it = obj->child; it; it = it->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(it->string, *a);
        if (!ok) return error_set(NEEDLE_EFORMAT, ORIGIN ": %s: unknown field \"%s\"", what, it->string);
    }
    return 0;
}

static int get_bool(const cJSON *obj, const char *key, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return error_set(NEEDLE_EFORMAT, ORIGIN ": missing field \"%s\"", key);
    if (!cJSON_IsBool(v)) return error_set(NEEDLE_EFORMAT, ORIGIN ": field \"%s\" should be true or false", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* The first span of a list of {"start", "end"} (absent or empty: *found = 0). */
static int first_span(const cJSON *answer, const char *key, long long *start, long long *end, int *found) {
    *found = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(answer, key);
    if (!list || cJSON_IsNull(list)) return 0;
    if (!cJSON_IsArray(list)) return error_set(NEEDLE_EFORMAT, ORIGIN ": answer: field \"%s\" should be a list of spans", key);
    const cJSON *s = list->child;
    if (!s) return 0;
    int rc = 0;
    if (!cJSON_IsObject(s)) rc = NEEDLE_EFORMAT;
    if (!rc) rc = json_get_int(s, "start", ORIGIN ": answer", start);
    if (!rc) rc = json_get_int(s, "end", ORIGIN ": answer", end);
    if (rc) return error_set(NEEDLE_EFORMAT, ORIGIN ": answer: %s[0] should be {\"start\": int, \"end\": int}", key);
    if (*start < 0 || *end < *start)
        return error_set(NEEDLE_EINVAL, ORIGIN ": answer: %s[0] = [%lld, %lld) is not a span", key, *start, *end);
    *found = 1;
    return 0;
}

/* Does content[start, end) (code points) hold exactly `text`? */
static int span_holds(const char *content, long long start, long long end, const char *text) {
    size_t len = strlen(content), n = utf8_char_count(content, len);
    if ((size_t)end > n) return 0;
    size_t bs = utf8_byte_offset(content, len, (size_t)start), be = utf8_byte_offset(content, len, (size_t)end);
    return be - bs == strlen(text) && !memcmp(content + bs, text, be - bs);
}

/* The answer's span in the document, in code points: from offsets_in_document, else from
 * offsets_in_context with the context found in the document, else the first occurrence of the
 * text. *start = -1 when it cannot be located. Fails when given offsets contradict the text. */
static int locate_answer(const cJSON *answer, const char *content, const char *text, long long *start, long long *end) {
    *start = *end = -1;
    long long s, e;
    int found, rc = first_span(answer, "offsets_in_document", &s, &e, &found);
    if (rc) return rc;
    if (found) {
        if (!span_holds(content, s, e, text))
            return error_set(NEEDLE_EINVAL, ORIGIN ": answer: offsets_in_document [%lld, %lld) do not hold the answer "
                             "\"%s\" in the document's content", s, e, text);
        *start = s;
        *end = e;
        return 0;
    }
    const char *context = NULL;
    if ((rc = json_opt_string(answer, "context", ORIGIN ": answer", NULL, &context))) return rc;
    if ((rc = first_span(answer, "offsets_in_context", &s, &e, &found))) return rc;
    if (found && context) {
        if (!span_holds(context, s, e, text))
            return error_set(NEEDLE_EINVAL, ORIGIN ": answer: offsets_in_context [%lld, %lld) do not hold the answer "
                             "\"%s\" in the context", s, e, text);
        const char *at = strstr(content, context);
        if (at) {
            long long c0 = (long long)utf8_char_count(content, (size_t)(at - content));
            *start = c0 + s;
            *end = c0 + e;
            return 0;
        }
    }
    const char *at = text[0] ? strstr(content, text) : NULL;
    if (at) {
        *start = (long long)utf8_char_count(content, (size_t)(at - content));
        *end = *start + (long long)utf8_char_count(text, strlen(text));
    }
    return 0;
}

static int parse_document(const cJSON *doc, feedback_label *fl, const char **content) {
    static const char *const allowed[] = {"id", "content", "content_type", "meta", "score", "embedding", NULL};
    if (!doc) return error_set(NEEDLE_EFORMAT, ORIGIN ": missing field \"document\"");
    if (!cJSON_IsObject(doc)) return error_set(NEEDLE_EFORMAT, ORIGIN ": field \"document\" should be an object");
    int rc = check_keys(doc, allowed, "document");
    const char *id = NULL;
    if (!rc) rc = json_get_string(doc, "content", ORIGIN ": document", content);
    if (!rc) rc = json_opt_string(doc, "id", ORIGIN ": document", NULL, &id);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "meta");
    if (!rc && meta && !cJSON_IsNull(meta) && !cJSON_IsObject(meta))
        rc = error_set(NEEDLE_EFORMAT, ORIGIN ": document: field \"meta\" should be an object");
    if (rc) return rc;
    if (!id || !id[0]) {
        murmur3_hex_id(*content, strlen(*content), fl->doc_id);
        id = fl->doc_id;
    }
    fl->label.document_id = id;
    return 0;
}

/* The reserved "_label" record: what the store has no column for, verbatim. */
static cJSON *label_record(const cJSON *body, const cJSON *doc, const cJSON *answer, const char *doc_id,
                           long long start, long long end) {
    cJSON *r = cJSON_CreateObject(), *d = cJSON_Duplicate(doc, 1);
    if (!r || !d) goto fail;
    cJSON_DeleteItemFromObjectCaseSensitive(d, "embedding");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "score");
    if (!cJSON_GetObjectItemCaseSensitive(d, "id") || cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(d, "id"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(d, "id");
        cJSON_AddStringToObject(d, "id", doc_id);
    }
    cJSON_AddItemToObject(r, "document", d);
    d = NULL;
    if (answer && cJSON_IsObject(answer)) {
        cJSON *a = cJSON_Duplicate(answer, 1);
        if (!a) goto fail;
        cJSON_AddItemToObject(r, "answer", a);
        if (start >= 0) { /* record the span the store keeps, as Haystack's offsets_in_document */
            cJSON *spans = cJSON_CreateArray(), *span = cJSON_CreateObject();
            if (!spans || !span) {
                cJSON_Delete(spans);
                cJSON_Delete(span);
                goto fail;
            }
            cJSON_AddNumberToObject(span, "start", (double)start);
            cJSON_AddNumberToObject(span, "end", (double)end);
            cJSON_AddItemToArray(spans, span);
            cJSON_DeleteItemFromObjectCaseSensitive(a, "offsets_in_document");
            cJSON_AddItemToObject(a, "offsets_in_document", spans);
        }
    }
    static const char *const kept[] = {"id", "pipeline_id", "updated_at", "filters", NULL};
    for (const char *const *k = kept; *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, *k);
        if (v && !cJSON_IsNull(v)) cJSON_AddItemToObject(r, *k, cJSON_Duplicate(v, 1));
    }
    return r;
fail:
    cJSON_Delete(d);
    cJSON_Delete(r);
    return NULL;
}

int feedback_label_parse(const cJSON *b, feedback_label *fl) {
    static const char *const answer_keys[] = {"answer", "type", "score", "context", "offsets_in_document",
                                              "offsets_in_context", "document_id", "document_ids", "meta", NULL};
    memset(fl, 0, sizeof *fl);
    docstore_label_init(&fl->label);
    docstore_label *l = &fl->label;
    const char *content = NULL, *text = "";
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(b, "document");
    const cJSON *answer = cJSON_GetObjectItemCaseSensitive(b, "answer");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(b, "meta");
    const cJSON *no_answer = cJSON_GetObjectItemCaseSensitive(b, "no_answer");
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(b, "filters");
    int rc = json_get_string(b, "query", ORIGIN, &l->question);
    if (!rc && !l->question[0]) rc = error_set(NEEDLE_EINVAL, ORIGIN ": field \"query\" is empty");
    if (!rc) rc = parse_document(doc, fl, &content);
    if (!rc) rc = get_bool(b, "is_correct_answer", &l->is_correct_answer);
    if (!rc) rc = get_bool(b, "is_correct_document", &l->is_correct_document);
    if (!rc) rc = json_opt_string(b, "origin", ORIGIN, DOCSTORE_ORIGIN_FEEDBACK, &l->origin);
    if (!rc && strcmp(l->origin, DOCSTORE_ORIGIN_FEEDBACK) && strcmp(l->origin, DOCSTORE_ORIGIN_GOLD))
        rc = error_set(NEEDLE_EINVAL, ORIGIN ": origin \"%s\" is neither \"%s\" nor \"%s\"", l->origin,
                       DOCSTORE_ORIGIN_FEEDBACK, DOCSTORE_ORIGIN_GOLD);
    if (!rc) rc = json_opt_string(b, "created_at", ORIGIN, NULL, &l->created_at);
    const char *ignored;
    if (!rc) rc = json_opt_string(b, "id", ORIGIN, NULL, &ignored);
    if (!rc) rc = json_opt_string(b, "pipeline_id", ORIGIN, NULL, &ignored);
    if (!rc) rc = json_opt_string(b, "updated_at", ORIGIN, NULL, &ignored);
    if (!rc && meta && !cJSON_IsNull(meta) && !cJSON_IsObject(meta))
        rc = error_set(NEEDLE_EFORMAT, ORIGIN ": field \"meta\" should be an object");
    if (!rc && meta && cJSON_GetObjectItemCaseSensitive(meta, "_label"))
        rc = error_set(NEEDLE_EINVAL, ORIGIN ": meta: the key \"_label\" is reserved");
    if (!rc && filters && !cJSON_IsNull(filters) && !cJSON_IsObject(filters))
        rc = error_set(NEEDLE_EFORMAT, ORIGIN ": field \"filters\" should be an object");
    if (!rc && no_answer && !cJSON_IsNull(no_answer) && !cJSON_IsBool(no_answer))
        rc = error_set(NEEDLE_EFORMAT, ORIGIN ": field \"no_answer\" should be true or false");
    if (!rc && answer && !cJSON_IsNull(answer)) {
        if (!cJSON_IsObject(answer)) rc = error_set(NEEDLE_EFORMAT, ORIGIN ": field \"answer\" should be an object");
        if (!rc) rc = check_keys(answer, answer_keys, "answer");
        if (!rc) rc = json_get_string(answer, "answer", ORIGIN ": answer", &text);
    }
    if (rc) return rc;
    int has_answer = answer && cJSON_IsObject(answer);
    /* Haystack's Label: no_answer must agree with the answer, and is inferred from it. */
    if (no_answer && cJSON_IsBool(no_answer)) {
        l->no_answer = cJSON_IsTrue(no_answer);
        if (has_answer && l->no_answer && text[0])
            return error_set(NEEDLE_EINVAL, ORIGIN ": no_answer is true but the answer is \"%s\"", text);
        if (has_answer && !l->no_answer && !text[0])
            return error_set(NEEDLE_EINVAL, ORIGIN ": no_answer is false but the answer is empty");
    } else {
        l->no_answer = has_answer && !text[0];
    }
    l->answer = text;
    if (has_answer && text[0]) {
        if ((rc = locate_answer(answer, content, text, &l->answer_start, &l->answer_end))) return rc;
        if (l->answer_start < 0 && l->is_correct_answer)
            return error_set(NEEDLE_EINVAL, ORIGIN ": the answer \"%s\" is marked correct but does not occur in the "
                             "document's content", text);
    }
    cJSON *m = meta && cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1) : cJSON_CreateObject();
    cJSON *rec = label_record(b, doc, answer, l->document_id, l->answer_start, l->answer_end);
    if (m && rec) {
        cJSON_AddItemToObject(m, "_label", rec);
        rec = NULL;
        fl->meta_json = cJSON_PrintUnformatted(m);
    }
    cJSON_Delete(rec);
    cJSON_Delete(m);
    if (!fl->meta_json) return error_set(NEEDLE_ENOMEM, ORIGIN ": out of memory");
    l->meta_json = fl->meta_json;
    return 0;
}

void feedback_label_free(feedback_label *fl) {
    free(fl->meta_json);
    fl->meta_json = NULL;
}

/* ---- writing ---- */

static void write_item_or_null(jsonw *w, const cJSON *v) {
    char *text = v && !cJSON_IsNull(v) ? cJSON_PrintUnformatted(v) : NULL;
    if (text) jsonw_raw(w, text);
    else jsonw_null(w);
    free(text);
}

void feedback_label_write(jsonw *w, const docstore_label *l) {
    cJSON *meta = NULL;
    json_parse(l->meta_json ? l->meta_json : "{}", strlen(l->meta_json ? l->meta_json : "{}"), "label meta", &meta);
    cJSON *rec = meta ? cJSON_DetachItemFromObjectCaseSensitive(meta, "_label") : NULL;
    const cJSON *given_id = rec ? cJSON_GetObjectItemCaseSensitive(rec, "id") : NULL;
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    if (cJSON_IsString(given_id)) {
        jsonw_string(w, given_id->valuestring);
    } else {
        char id[24];
        snprintf(id, sizeof id, "%lld", l->id);
        jsonw_string(w, id);
    }
    jsonw_key(w, "query");
    jsonw_string(w, l->question);
    jsonw_key(w, "document");
    const cJSON *doc = rec ? cJSON_GetObjectItemCaseSensitive(rec, "document") : NULL;
    if (doc) {
        write_item_or_null(w, doc);
    } else {
        jsonw_object_begin(w);
        jsonw_key(w, "id");
        jsonw_string(w, l->document_id);
        jsonw_object_end(w);
    }
    jsonw_key(w, "answer");
    const cJSON *answer = rec ? cJSON_GetObjectItemCaseSensitive(rec, "answer") : NULL;
    if (answer) {
        write_item_or_null(w, answer);
    } else if (l->answer && (l->answer[0] || l->answer_start >= 0)) {
        jsonw_object_begin(w);
        jsonw_key(w, "answer");
        jsonw_string(w, l->answer);
        jsonw_key(w, "type");
        jsonw_string(w, "extractive");
        if (l->answer_start >= 0) {
            jsonw_key(w, "offsets_in_document");
            jsonw_array_begin(w);
            jsonw_object_begin(w);
            jsonw_key(w, "start");
            jsonw_int(w, l->answer_start);
            jsonw_key(w, "end");
            jsonw_int(w, l->answer_end);
            jsonw_object_end(w);
            jsonw_array_end(w);
        }
        jsonw_object_end(w);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "is_correct_answer");
    jsonw_bool(w, l->is_correct_answer);
    jsonw_key(w, "is_correct_document");
    jsonw_bool(w, l->is_correct_document);
    jsonw_key(w, "origin");
    jsonw_string(w, l->origin);
    jsonw_key(w, "no_answer");
    jsonw_bool(w, l->no_answer);
    jsonw_key(w, "pipeline_id");
    write_item_or_null(w, rec ? cJSON_GetObjectItemCaseSensitive(rec, "pipeline_id") : NULL);
    jsonw_key(w, "created_at");
    jsonw_string(w, l->created_at);
    jsonw_key(w, "updated_at");
    write_item_or_null(w, rec ? cJSON_GetObjectItemCaseSensitive(rec, "updated_at") : NULL);
    jsonw_key(w, "meta");
    if (meta) write_item_or_null(w, meta);
    else jsonw_raw(w, "{}");
    jsonw_key(w, "filters");
    write_item_or_null(w, rec ? cJSON_GetObjectItemCaseSensitive(rec, "filters") : NULL);
    jsonw_object_end(w);
    cJSON_Delete(rec);
    cJSON_Delete(meta);
}

char *feedback_label_document_content(const docstore_label *l) {
    cJSON *meta = NULL;
    if (!l->meta_json || json_parse(l->meta_json, strlen(l->meta_json), "label meta", &meta)) return NULL;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(meta, "_label");
    const cJSON *doc = rec ? cJSON_GetObjectItemCaseSensitive(rec, "document") : NULL;
    const cJSON *content = doc ? cJSON_GetObjectItemCaseSensitive(doc, "content") : NULL;
    char *out = cJSON_IsString(content) ? strdup(content->valuestring) : NULL;
    cJSON_Delete(meta);
    return out;
}

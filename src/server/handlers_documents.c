/* handlers_documents.c — the document endpoints: POST /documents (write),
 * POST /documents/get_by_filters and POST /documents/delete_by_filters (Haystack 1.x's
 * FilterRequest {"filters": {...}}).
 *
 * Documents arrive in Haystack's Document.from_dict shape: "content" (required), "id" (else
 * the content hash, as Haystack), "meta", "content_type" ("text" only), and any other key is
 * moved into meta, as from_dict does. Embeddings are not accepted here: the retriever computes
 * them. Every write is one store transaction, committed before the reply is sent. */
#include "server_internal.h"
#include "needle/error.h"
#include "needle/murmur3.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One incoming document, validated, with its meta serialised and its id decided. */
typedef struct {
    docstore_doc doc;
    char id[33];
    char *meta;
} doc_in;

static int parse_document(const cJSON *d, size_t i, doc_in *out, http_response *res) {
    docstore_doc_init(&out->doc);
    out->meta = NULL;
    if (!cJSON_IsObject(d)) {
        http_reply_error(res, 400, "documents[%zu]: expected an object", i);
        return -1;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(d, "content");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "id");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(d, "meta");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "content_type");
    if (!cJSON_IsString(content)) {
        http_reply_error(res, 400, "documents[%zu]: field \"content\" %s", i, content ? "should be a string" : "is missing");
        return -1;
    }
    if (id && !cJSON_IsNull(id) && !(cJSON_IsString(id) && id->valuestring[0])) {
        http_reply_error(res, 400, "documents[%zu]: field \"id\" should be a non-empty string", i);
        return -1;
    }
    if (meta && !cJSON_IsNull(meta) && !cJSON_IsObject(meta)) {
        http_reply_error(res, 400, "documents[%zu]: field \"meta\" should be an object", i);
        return -1;
    }
    if (type && !cJSON_IsNull(type) && !(cJSON_IsString(type) && !strcmp(type->valuestring, "text"))) {
        http_reply_error(res, 400, "documents[%zu]: content_type %s is not supported (only \"text\")", i,
                         cJSON_IsString(type) ? type->valuestring : "of this kind");
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(d, "embedding")) {
        http_reply_error(res, 400, "documents[%zu]: \"embedding\" is not accepted; the retriever embeds documents", i);
        return -1;
    }
    cJSON *m = meta && cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1) : cJSON_CreateObject();
    for (const cJSON *it = d->child; it && m; it = it->next) {
        static const char *const own[] = {"content", "id", "meta", "content_type", "score", NULL};
        int is_own = 0;
        for (const char *const *o = own; *o; o++) is_own |= !strcmp(it->string, *o);
        if (is_own) continue;
        cJSON_DeleteItemFromObjectCaseSensitive(m, it->string);
        cJSON_AddItemToObject(m, it->string, cJSON_Duplicate(it, 1));
    }
    out->meta = m ? cJSON_PrintUnformatted(m) : NULL;
    cJSON_Delete(m);
    if (!out->meta) {
        http_reply_error(res, 500, "out of memory reading documents[%zu]", i);
        return -1;
    }
    if (cJSON_IsString(id)) {
        out->doc.id = id->valuestring;
    } else {
        murmur3_hex_id(content->valuestring, strlen(content->valuestring), out->id);
        out->doc.id = out->id;
    }
    out->doc.content = content->valuestring;
    out->doc.meta_json = out->meta;
    return 0;
}

void handle_documents_add(void *app, const http_request *req, http_response *res) {
    static const char *const allowed[] = {"documents", "duplicate_documents", NULL};
    server_app *a = app;
    cJSON *body;
    int rc = http_request_json(req, &body);
    if (rc) {
        http_reply_lib_error(res, rc);
        return;
    }
    const cJSON *list = body;
    docstore_dup dup = DOCSTORE_DUP_OVERWRITE; /* Haystack's default for write_documents */
    doc_in *docs = NULL;
    size_t n = 0;
    if (cJSON_IsObject(body)) {
        if (server_check_keys(body, allowed, "request body", res)) goto done;
        list = cJSON_GetObjectItemCaseSensitive(body, "documents");
        const char *policy;
        if ((rc = json_opt_string(body, "duplicate_documents", "request body", "overwrite", &policy)) ||
            (rc = docstore_dup_parse(policy, &dup))) {
            http_reply_lib_error(res, rc);
            goto done;
        }
    }
    if (!cJSON_IsArray(list)) {
        http_reply_error(res, 400, "request body: expected a list of documents or {\"documents\": [...]}");
        goto done;
    }
    n = (size_t)cJSON_GetArraySize(list);
    docs = calloc(n ? n : 1, sizeof *docs);
    docstore_doc *plain = calloc(n ? n : 1, sizeof *plain);
    if (!docs || !plain) {
        free(plain);
        http_reply_error(res, 500, "out of memory reading %zu documents", n);
        goto done;
    }
    size_t i = 0;
    for (const cJSON *d = list->child; d; d = d->next, i++) {
        if (parse_document(d, i, &docs[i], res)) {
            free(plain);
            goto done;
        }
        plain[i] = docs[i].doc;
    }
    size_t added = 0;
    pipeline_lock(a->pipe);
    rc = docstore_add(pipeline_docstore(a->pipe), plain, n, dup, &added);
    pipeline_unlock(a->pipe);
    free(plain);
    if (rc) {
        http_reply_lib_error(res, rc);
        goto done;
    }
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "written");
    jsonw_int(&w, (long long)added);
    jsonw_key(&w, "ids");
    jsonw_array_begin(&w);
    for (size_t k = 0; k < n; k++) jsonw_string(&w, docs[k].doc.id);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    server_json_reply(res, &sb, &w);
done:
    for (size_t k = 0; k < n && docs; k++) free(docs[k].meta);
    free(docs);
    cJSON_Delete(body);
}

/* The FilterRequest body of get_by_filters and delete_by_filters, as filter text for the store. */
static int filter_request(const http_request *req, http_response *res, char **filters) {
    static const char *const allowed[] = {"filters", NULL};
    *filters = NULL;
    if (http_request_arg(req, "index")) {
        http_reply_error(res, 400, "this server keeps one document index; drop the \"index\" parameter");
        return -1;
    }
    cJSON *body;
    if (server_body_object(req, res, allowed, 0, &body)) return -1;
    int rc = server_filters(cJSON_GetObjectItemCaseSensitive(body, "filters"), res, filters);
    cJSON_Delete(body);
    return rc;
}

void handle_documents_get(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    char *filters;
    if (filter_request(req, res, &filters)) return;
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_array_begin(&w);
    docstore_iter *it = NULL;
    docstore *rd = NULL;
    int rc = pipeline_reader(a->pipe, &rd);
    if (!rc) rc = docstore_iter_docs(rd, filters, NULL, &it);
    docstore_record rec;
    while (!rc && (rc = docstore_iter_next_doc(it, &rec)) == 1) {
        pipeline_write_document(&w, &rec, NAN);
        rc = 0;
    }
    docstore_iter_free(it);
    pipeline_reader_done(a->pipe, rd);
    free(filters);
    if (rc < 0) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        return;
    }
    jsonw_array_end(&w);
    server_json_reply(res, &sb, &w);
}

void handle_documents_delete(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    char *filters;
    if (filter_request(req, res, &filters)) return;
    long long deleted = 0;
    pipeline_lock(a->pipe);
    int rc = docstore_delete(pipeline_docstore(a->pipe), filters, &deleted);
    pipeline_unlock(a->pipe);
    free(filters);
    if (rc) {
        http_reply_lib_error(res, rc);
        return;
    }
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_bool(&w, 1);
    server_json_reply(res, &sb, &w);
}

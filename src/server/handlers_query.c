/* handlers_query.c — POST /query: Haystack 1.x's QueryRequest {query, params, debug} in,
 * QueryResponse {query, answers, documents} out, through the pipeline (pipeline.h).
 *
 * The question is bounded (max_query_bytes) because its cost grows with its length in every
 * stage; "debug": true adds "_debug" with the time the pipeline took, as Haystack adds its
 * per-node debug output under that key. */
#include "server_internal.h"
#include "needle/error.h"
#include "needle/progress.h"

#include <string.h>

void handle_query(void *app, const http_request *req, http_response *res) {
    static const char *const allowed[] = {"query", "params", "debug", NULL};
    server_app *a = app;
    cJSON *body;
    if (server_body_object(req, res, allowed, 0, &body)) return;
    const char *query = NULL;
    int debug = 0, rc = json_get_string(body, "query", "request body", &query);
    if (!rc) rc = json_opt_bool(body, "debug", "request body", 0, &debug);
    if (rc) {
        http_reply_lib_error(res, rc);
        goto done;
    }
    size_t qlen = strlen(query);
    if (qlen > a->cfg.max_query_bytes) {
        http_reply_error(res, 400, "query is %zu bytes, longer than the limit of %zu", qlen, a->cfg.max_query_bytes);
        goto done;
    }
    if (strspn(query, " \t\r\n") == qlen) {
        http_reply_error(res, 400, "request body: field \"query\" is empty");
        goto done;
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(body, "params");
    if (params && !cJSON_IsNull(params) && !cJSON_IsObject(params)) {
        http_reply_error(res, 400, "request body: field \"params\" should be an object");
        goto done;
    }
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    double t0 = clock_seconds();
    jsonw_object_begin(&w);
    rc = pipeline_run(a->pipe, query, cJSON_IsNull(params) ? NULL : params, &w);
    if (rc) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        goto done;
    }
    if (debug) {
        jsonw_key(&w, "_debug");
        jsonw_object_begin(&w);
        jsonw_key(&w, "time_ms");
        jsonw_double(&w, (double)(long long)((clock_seconds() - t0) * 1e4) / 10);
        jsonw_object_end(&w);
    }
    jsonw_object_end(&w);
    server_json_reply(res, &sb, &w);
done:
    cJSON_Delete(body);
}

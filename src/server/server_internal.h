/* server_internal.h — what the server's handler files share: the application state every
 * handler receives, the handlers themselves, and the request-checking helpers that give every
 * endpoint the same 400 messages (malformed JSON, unknown field, wrong type). */
#ifndef NEEDLE_SERVER_INTERNAL_H
#define NEEDLE_SERVER_INTERNAL_H

#include <pthread.h>

#include "needle/http.h"
#include "needle/json.h"
#include "needle/server.h"

typedef struct {
    server_config cfg;
    pipeline *pipe;
    http_server *http;           /* set once started, for /health */
    double started;              /* clock_seconds() at start */
    pthread_mutex_t cpu_lock;    /* guards the CPU sample of /health */
    double cpu_last_wall, cpu_last_used;
} server_app;

/* handlers_query.c, handlers_documents.c, handlers_upload.c, handlers_feedback.c,
 * handlers_export.c, server.c */
void handle_query(void *app, const http_request *req, http_response *res);
void handle_documents_add(void *app, const http_request *req, http_response *res);
void handle_documents_get(void *app, const http_request *req, http_response *res);
void handle_documents_delete(void *app, const http_request *req, http_response *res);
void handle_file_upload(void *app, const http_request *req, http_response *res);
void handle_feedback_post(void *app, const http_request *req, http_response *res);
void handle_feedback_get(void *app, const http_request *req, http_response *res);
void handle_feedback_delete(void *app, const http_request *req, http_response *res);
void handle_eval_feedback(void *app, const http_request *req, http_response *res);
void handle_export_feedback(void *app, const http_request *req, http_response *res);
void handle_health(void *app, const http_request *req, http_response *res);
void handle_static(void *app, const http_request *req, http_response *res);

/* Parse the body as a JSON object whose keys are all in `allowed` (NULL-terminated; NULL
 * allows any). With `optional`, an empty body gives *out = NULL. On a problem, reply 400
 * naming it and return -1. */
int server_body_object(const http_request *req, http_response *res, const char *const *allowed, int optional,
                       cJSON **out);
/* Check that `obj`'s keys are all in `allowed`; otherwise reply 400 naming the first stray
 * key and where (`what`, e.g. "request body"). */
int server_check_keys(const cJSON *obj, const char *const *allowed, const char *what, http_response *res);
/* The "filters" value of a FilterRequest as JSON text for the store (NULL when absent or null),
 * syntax-checked; on a problem reply 400 and return -1. *out is malloc'ed. */
int server_filters(const cJSON *filters, http_response *res, char **out);
/* Start a JSON reply body. */
void server_json_begin(strbuf *sb, jsonw *w);
/* Finish: 200 with the body, or 500 when the writer ran out of memory. */
void server_json_reply(http_response *res, strbuf *sb, jsonw *w);

#endif

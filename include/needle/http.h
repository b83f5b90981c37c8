/* http.h — a small HTTP server on libmicrohttpd: a routing table, request bodies accumulated
 * under a size limit, JSON replies and errors, an optional API key, a thread pool, and a
 * graceful shutdown that finishes the requests in flight.
 *
 * It knows nothing about search: the needle server (server.h) registers its routes here.
 * Handlers run on the pool's threads, so a handler must only touch state that is safe to
 * share. Everything a client can get wrong is answered with a JSON body {"detail": "..."}
 * (the shape FastAPI, and so Haystack's REST API, uses) and the matching status code:
 * 400 malformed body, 401 bad API key, 404 unknown path, 405 wrong method (with Allow),
 * 413 body over the limit, 414 URL over the limit, 415 unsupported upload, 500 internal. */
#ifndef NEEDLE_HTTP_H
#define NEEDLE_HTTP_H

#include <cJSON.h>
#include <stddef.h>

#include "needle/strbuf.h"

typedef struct http_request http_request;

#define HTTP_MAX_HEADERS 4

typedef struct {
    int status;
    const char *content_type;        /* a static string; "application/json" when NULL */
    strbuf body;                     /* owned body ... */
    const unsigned char *static_body; /* ... or a body that outlives the server (assets) */
    size_t static_len;
    int n_headers;
    struct {
        char name[32];
        char value[224];
    } headers[HTTP_MAX_HEADERS];
} http_response;

typedef void (*http_handler)(void *app, const http_request *req, http_response *res);

typedef struct {
    const char *method; /* "GET" (also answers HEAD), "POST", "DELETE", ... */
    const char *path;   /* exact path, without the query string */
    http_handler fn;
    int public_;        /* 1: reachable without the API key (the web page, /health) */
} http_route;

typedef struct {
    const char *host;          /* address to bind, e.g. "127.0.0.1" or "0.0.0.0" */
    int port;                  /* 0 picks a free port; see http_server_port */
    int threads;               /* size of the thread pool */
    size_t max_body_bytes;     /* larger bodies get 413 */
    size_t max_url_bytes;      /* longer request targets (path + query string) get 414 */
    unsigned timeout_s;        /* idle connections are closed after this many seconds */
    const char *api_key;       /* NULL or "": no key required */
    const http_route *routes;  /* terminated by an entry whose path is NULL */
    void *app;                 /* passed to every handler */
} http_config;

typedef struct http_server http_server;

/* Bind and start serving. The config's strings and routes must outlive the server. */
int http_server_start(http_server **out, const http_config *cfg);
/* The port actually bound (useful with port 0). */
int http_server_port(const http_server *s);
/* Requests begun and not yet completed. */
long http_server_in_flight(const http_server *s);
/* Stop accepting connections, let the requests in flight finish (at most timeout_s seconds),
 * then stop the threads and free the server. Returns NEEDLE_EIO if requests were cut off. */
int http_server_shutdown(http_server *s, double timeout_s);

/* ---- the request, valid while its handler runs ---- */
const char *http_request_method(const http_request *req);
const char *http_request_path(const http_request *req);
/* A header (case-insensitive name) or NULL. */
const char *http_request_header(const http_request *req, const char *name);
/* A query-string argument, URL-decoded, or NULL. */
const char *http_request_arg(const http_request *req, const char *name);
const char *http_request_body(const http_request *req, size_t *len);
/* Parse the body as JSON (any value). Errors (NEEDLE_EFORMAT) name the problem: empty body,
 * invalid UTF-8 with its byte offset, a syntax error with line and column. */
int http_request_json(const http_request *req, cJSON **out);

/* One field of a multipart/form-data or url-encoded body, whole. `filename` and
 * `content_type` are NULL for plain fields. Return nonzero to stop (that code is returned). */
typedef int (*http_form_fn)(void *ctx, const char *name, const char *filename, const char *content_type,
                            const char *data, size_t len);
int http_request_form(const http_request *req, http_form_fn fn, void *ctx);

/* ---- building the reply ---- */
/* The body is the JSON text in `json` (taken over; sb is left empty). */
void http_reply_json(http_response *res, int status, strbuf *json);
/* {"detail": "<formatted message>"} with the given status. */
void http_reply_error(http_response *res, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Map a library error code to a status (400 for bad input, 404 not found, 415 unsupported,
 * 500 otherwise) and reply with the thread's error message. */
void http_reply_lib_error(http_response *res, int rc);
/* A body that outlives the server (static assets). */
void http_reply_static(http_response *res, int status, const char *content_type, const unsigned char *data,
                       size_t len);
/* Add a header; silently truncated to the fixed sizes above (they hold every header we set). */
void http_reply_header(http_response *res, const char *name, const char *value);

#endif

/* server.h — needle's HTTP API and web page: Haystack 1.x's REST API (query, documents,
 * file upload, feedback and its evaluation and export, health) over a search pipeline, and the
 * search page at "/", all served by one process.
 *
 * Endpoints (JSON in and out; errors are {"detail": "..."} with a 4xx/5xx status):
 *   POST /query                        {"query", "params"?, "debug"?} -> {"query", "answers", "documents"}
 *   POST /documents                    [Document...] or {"documents": [...], "duplicate_documents"?}
 *   POST /documents/get_by_filters     {"filters"?} -> [Document...]
 *   POST /documents/delete_by_filters  {"filters"?} -> true
 *   POST /file-upload                  multipart: files, meta, preprocessor params
 *   POST /feedback                     a Label (Haystack's CreateLabelSerialized) -> the stored label
 *   GET  /feedback                     every label;   DELETE /feedback: the user feedback
 *   POST /eval-feedback                {"filters"?} -> {"answer_accuracy", "document_accuracy", "n_feedback"}
 *   GET  /export-feedback              SQuAD JSON (?context_size, full_document_context, only_positive_labels)
 *   GET  /health                       version, CPU and memory use, documents
 *   GET  /  /index.html /app.js /style.css   the search page
 * See docs/server.md for the shapes, limits and the differences from Haystack. */
#ifndef NEEDLE_SERVER_H
#define NEEDLE_SERVER_H

#include <stddef.h>

#include "needle/pipeline.h"

typedef struct {
    const char *host;        /* "127.0.0.1" */
    int port;                /* 8000; 0 picks a free port */
    int threads;             /* the number of CPUs */
    size_t max_body_bytes;   /* 32 MiB (file uploads) */
    size_t max_url_bytes;    /* 8 KiB */
    size_t max_query_bytes;  /* 4 KiB of question text */
    unsigned timeout_s;      /* 60: idle connections are closed */
    const char *api_key;     /* NULL: open */
} server_config;

void server_config_default(server_config *c);

typedef struct server server;

/* Serve `p` (which must outlive the server) with `cfg` (copied; its strings must outlive it). */
int server_start(server **out, const server_config *cfg, pipeline *p);
int server_port(const server *s);
/* Requests begun and not yet answered (this one included when asked from a handler). */
long server_in_flight(const server *s);
/* Graceful stop: refuse new connections, finish the requests in flight (at most timeout_s),
 * free the server. Every write acknowledged to a client was committed before its reply. */
int server_stop(server *s, double timeout_s);

#endif

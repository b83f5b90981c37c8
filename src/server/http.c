/* http.c — the libmicrohttpd wrapper behind http.h.
 *
 * libmicrohttpd calls the access handler several times per request: once when the headers
 * are in, once per chunk of body, and once more at the end. We decide everything that needs
 * no body on the first call (URL length, route, method, API key, declared Content-Length) and
 * answer at once, so a client that is refused does not have to upload first; the body is then
 * accumulated into one buffer (never past the limit, chunked bodies included). The per-request
 * state is created by the URI-log callback, the only hook that sees the raw request target
 * with its query string, and freed by the completion callback; the pair also counts requests
 * in flight, which the graceful shutdown waits on after it has stopped accepting connections.
 *
 * Threads: libmicrohttpd's internal polling threads (a small pool) only move bytes. In its
 * thread pool each connection stays with the thread that accepted it, so a handler running on
 * that thread would stall every other connection the thread holds, however idle the other
 * threads are (a slow question would delay a /health probe by its whole run). So on the final
 * call the connection is suspended and the request queued to our own pool of `threads`
 * handler threads, shared by all connections; the thread that runs the handler resumes the
 * connection, and libmicrohttpd calls us once more to send the prepared reply. */
#include "needle/http.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

struct http_server {
    struct MHD_Daemon *daemon;
    http_config cfg;
    int port;
    atomic_long in_flight;
    atomic_int stopping;
    /* the handler pool and its queue */
    pthread_t *workers;
    int n_workers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    http_request *head, *tail;
    int quit, aborting;
    long aborted;
};

struct http_request {
    http_server *srv;
    struct MHD_Connection *conn;
    const char *method, *path;
    const http_route *route;
    size_t uri_len;
    int started, answered, too_large, out_of_memory;
    int handled;          /* the pool has run the handler; `res` holds the reply */
    strbuf body;
    http_response res;
    http_request *next;   /* in the queue */
    double t0;
};

/* Messages libmicrohttpd logs while the daemon starts (bind errors) are kept for the error
 * message; later ones go to the log. */
static _Thread_local char start_log[256];
static _Thread_local int capturing_start_log;

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    if (capturing_start_log) snprintf(start_log, sizeof start_log, "%s", msg);
    else log_warn("http: %s", msg);
}

/* ---- replies ---- */

static void response_init(http_response *res) {
    memset(res, 0, sizeof *res);
    res->status = 500;
    strbuf_init(&res->body);
}

void http_reply_header(http_response *res, const char *name, const char *value) {
    if (res->n_headers >= HTTP_MAX_HEADERS) return;
    snprintf(res->headers[res->n_headers].name, sizeof res->headers[0].name, "%s", name);
    snprintf(res->headers[res->n_headers].value, sizeof res->headers[0].value, "%s", value);
    res->n_headers++;
}

void http_reply_json(http_response *res, int status, strbuf *json) {
    strbuf_free(&res->body);
    res->body = *json;
    strbuf_init(json);
    res->status = status;
    res->content_type = "application/json";
    res->static_body = NULL;
}

void http_reply_error(http_response *res, int status, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "detail");
    jsonw_string(&w, msg);
    jsonw_object_end(&w);
    http_reply_json(res, status, &sb);
}

void http_reply_lib_error(http_response *res, int rc) {
    int status = 500;
    switch (rc) {
    case NEEDLE_EINVAL:
    case NEEDLE_EFORMAT: status = 400; break;
    case NEEDLE_ENOTFOUND: status = 404; break;
    case NEEDLE_EUNSUPPORTED: status = 415; break;
    default: break;
    }
    http_reply_error(res, status, "%s", error_message());
}

void http_reply_static(http_response *res, int status, const char *content_type, const unsigned char *data,
                       size_t len) {
    strbuf_free(&res->body);
    res->status = status;
    res->content_type = content_type;
    res->static_body = data;
    res->static_len = len;
}

static enum MHD_Result send_response(http_request *r, http_response *res) {
    struct MHD_Response *mr;
    if (res->static_body) {
        mr = MHD_create_response_from_buffer(res->static_len, (void *)res->static_body, MHD_RESPMEM_PERSISTENT);
    } else {
        size_t len = res->body.len;
        char *data = strbuf_detach(&res->body);
        mr = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!mr) free(data);
    }
    if (!mr) return MHD_NO;
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type ? res->content_type : "application/json");
    for (int i = 0; i < res->n_headers; i++) MHD_add_response_header(mr, res->headers[i].name, res->headers[i].value);
    /* During shutdown, ask keep-alive clients not to send another request on this connection. */
    if (atomic_load(&r->srv->stopping)) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)res->status, mr);
    MHD_destroy_response(mr);
    r->answered = 1;
    log_debug("http: %s %s -> %d (%.1f ms)", r->method, r->path, res->status, 1e3 * (clock_seconds() - r->t0));
    return ok;
}

/* ---- routing and the checks made before any body is read ---- */

static int key_matches(const char *given, const char *key) {
    if (!given) return 0;
    size_t a = strlen(given), b = strlen(key);
    unsigned char diff = (unsigned char)(a != b);
    /* Compare every byte of the key whatever the input, so timing does not reveal a prefix. */
    for (size_t i = 0; i < b; i++) diff |= (unsigned char)(key[i] ^ (i < a ? given[i] : 0));
    return diff == 0;
}

static int authorised(const http_server *s, struct MHD_Connection *c) {
    const char *key = s->cfg.api_key;
    if (!key || !*key) return 1;
    const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
    if (key_matches(given, key)) return 1;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return auth && !strncasecmp(auth, "Bearer ", 7) && key_matches(auth + 7, key);
}

static int method_matches(const char *route_method, const char *method) {
    return !strcmp(route_method, method) || (!strcmp(route_method, "GET") && !strcmp(method, "HEAD"));
}

/* Find the route for (method, path). When the path exists under other methods, fill the
 * Allow header value and return NULL with *path_known = 1. */
static const http_route *route_find(const http_server *s, const char *method, const char *path, int *path_known,
                                    char *allow, size_t allow_cap) {
    *path_known = 0;
    allow[0] = 0;
    for (const http_route *rt = s->cfg.routes; rt && rt->path; rt++) {
        if (strcmp(rt->path, path)) continue;
        if (method_matches(rt->method, method)) return rt;
        *path_known = 1;
        size_t n = strlen(allow);
        snprintf(allow + n, allow_cap - n, "%s%s", n ? ", " : "", rt->method);
    }
    return NULL;
}

/* The checks of the first call; returns 1 when `res` holds the answer. */
static int precheck(http_server *s, http_request *r, const http_route **route, http_response *res) {
    const http_config *cfg = &s->cfg;
    if (r->uri_len > cfg->max_url_bytes) {
        http_reply_error(res, 414, "request target is %zu bytes, longer than the limit of %zu", r->uri_len,
                         cfg->max_url_bytes);
        return 1;
    }
    int known;
    char allow[128];
    *route = route_find(s, r->method, r->path, &known, allow, sizeof allow);
    if (!*route && known) {
        http_reply_error(res, 405, "method %s is not allowed on %s (allowed: %s)", r->method, r->path, allow);
        http_reply_header(res, "Allow", allow);
        return 1;
    }
    if (!*route) {
        http_reply_error(res, 404, "no such endpoint: %s", r->path);
        return 1;
    }
    if (!(*route)->public_ && !authorised(s, r->conn)) {
        http_reply_error(res, 401, "missing or wrong API key (send it as X-API-Key or Authorization: Bearer)");
        http_reply_header(res, "WWW-Authenticate", "Bearer");
        return 1;
    }
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > cfg->max_body_bytes) {
        http_reply_error(res, 413, "request body is %s bytes, larger than the limit of %zu", cl, cfg->max_body_bytes);
        return 1;
    }
    return 0;
}

/* ---- libmicrohttpd callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    http_server *s = cls;
    http_request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->srv = s;
    r->uri_len = strlen(uri);
    r->t0 = clock_seconds();
    strbuf_init(&r->body);
    atomic_fetch_add(&s->in_flight, 1);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    http_server *s = cls;
    http_request *r = *con_cls;
    if (!r) return;
    strbuf_free(&r->body);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls) {
    http_server *s = cls;
    http_request *r = *con_cls;
    if (!r) return MHD_NO; /* out of memory in on_uri: drop the connection */
    http_response res;
    if (!r->started) {
        r->started = 1;
        r->conn = c;
        r->method = method;
        r->path = url;
        response_init(&res);
        if (precheck(s, r, &r->route, &res)) {
            enum MHD_Result ok = send_response(r, &res);
            strbuf_free(&res.body);
            return ok;
        }
        strbuf_free(&res.body);
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->answered && !r->too_large && !r->out_of_memory) {
            if (r->body.len + *upload_size > s->cfg.max_body_bytes) {
                r->too_large = 1;
                strbuf_free(&r->body);
            } else if (strbuf_append(&r->body, upload_data, *upload_size)) {
                r->out_of_memory = 1;
                strbuf_free(&r->body);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->answered) return MHD_YES;
    if (r->handled) { /* resumed by the pool: send what the handler prepared */
        enum MHD_Result ok = send_response(r, &r->res);
        strbuf_free(&r->res.body);
        return ok;
    }
    if (r->too_large || r->out_of_memory) {
        response_init(&res);
        if (r->too_large)
            http_reply_error(&res, 413, "request body is larger than the limit of %zu bytes", s->cfg.max_body_bytes);
        else
            http_reply_error(&res, 500, "out of memory reading the request body");
        enum MHD_Result ok = send_response(r, &res);
        strbuf_free(&res.body);
        return ok;
    }
    pthread_mutex_lock(&s->lock);
    if (s->quit) { /* the pool has stopped (shutdown): nothing may stay suspended */
        pthread_mutex_unlock(&s->lock);
        response_init(&res);
        http_reply_error(&res, 503, "the server is shutting down");
        enum MHD_Result ok = send_response(r, &res);
        strbuf_free(&res.body);
        return ok;
    }
    /* Suspend before queueing, so that the pool never resumes a connection not yet suspended. */
    MHD_suspend_connection(c);
    r->next = NULL;
    if (s->tail) s->tail->next = r;
    else s->head = r;
    s->tail = r;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    return MHD_YES;
}

/* ---- the handler pool ---- */

static void *worker_run(void *arg) {
    http_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->head && !s->quit) pthread_cond_wait(&s->wake, &s->lock);
        http_request *r = s->head;
        if (!r) { /* quit with an empty queue */
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        s->head = r->next;
        if (!s->head) s->tail = NULL;
        int abort_it = s->aborting;
        s->aborted += abort_it;
        pthread_mutex_unlock(&s->lock);
        response_init(&r->res);
        if (abort_it) http_reply_error(&r->res, 503, "the server is shutting down");
        else r->route->fn(s->cfg.app, r, &r->res);
        r->handled = 1;
        MHD_resume_connection(r->conn);
    }
}

/* Stop the pool: requests still queued are answered 503 when `abort_queued`; the running
 * ones finish. */
static void workers_stop(http_server *s, int abort_queued) {
    pthread_mutex_lock(&s->lock);
    s->quit = 1;
    s->aborting = abort_queued;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->n_workers; i++) pthread_join(s->workers[i], NULL);
    s->n_workers = 0;
}

/* ---- the server ---- */

static void server_free(http_server *s) {
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s->workers);
    free(s);
}

int http_server_start(http_server **out, const http_config *cfg) {
    *out = NULL;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->port);
    if (cfg->port < 0 || cfg->port > 65535) return error_set(NEEDLE_EINVAL, "port %d is out of range", cfg->port);
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai) return error_set(NEEDLE_EINVAL, "cannot resolve host '%s': %s", cfg->host, gai_strerror(gai));
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        freeaddrinfo(ai);
        return error_set(NEEDLE_ENOMEM, "out of memory starting the HTTP server");
    }
    s->cfg = *cfg;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->stopping, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    int threads = cfg->threads > 0 ? cfg->threads : 1;
    s->workers = calloc((size_t)threads, sizeof *s->workers);
    for (; s->workers && s->n_workers < threads; s->n_workers++)
        if (pthread_create(&s->workers[s->n_workers], NULL, worker_run, s)) break;
    if (s->n_workers < threads) {
        workers_stop(s, 0);
        server_free(s);
        freeaddrinfo(ai);
        return error_set(NEEDLE_ENOMEM, "cannot start %d handler threads", threads);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    /* libmicrohttpd holds the request line and headers in this per-connection pool; keep it
     * roomy enough that our 414 (a JSON reply) triggers before its own. */
    size_t pool = cfg->max_url_bytes * 2 + 32768;
    /* Polling threads only move bytes: one keeps up with a few handler threads. */
    unsigned io_threads = threads >= 4 ? 2 : 1;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {io_threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)io_threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    capturing_start_log = 1;
    start_log[0] = 0;
    s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    capturing_start_log = 0;
    freeaddrinfo(ai);
    if (!s->daemon) {
        workers_stop(s, 0);
        server_free(s);
        return error_set(NEEDLE_EIO, "cannot listen on %s:%d: %s", cfg->host, cfg->port,
                         start_log[0] ? start_log : "libmicrohttpd refused to start");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    *out = s;
    return 0;
}

int http_server_port(const http_server *s) { return s->port; }

long http_server_in_flight(const http_server *s) { return atomic_load(&((http_server *)s)->in_flight); }

static void wait_idle(http_server *s, double timeout_s) {
    double t0 = clock_seconds();
    while (atomic_load(&s->in_flight) > 0 && clock_seconds() - t0 < timeout_s) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int http_server_shutdown(http_server *s, double timeout_s) {
    if (!s) return 0;
    atomic_store(&s->stopping, 1);
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    /* The socket must stay open until the daemon stops, but a quiesced socket would still let
     * the kernel complete connections nobody accepts: shut it down so they are refused now. */
    if (listen_fd != MHD_INVALID_SOCKET) shutdown(listen_fd, SHUT_RDWR);
    wait_idle(s, timeout_s);
    /* Past the deadline: what is still queued gets 503, what is running finishes; then every
     * connection is resumed and libmicrohttpd gets a moment to send the last replies. */
    workers_stop(s, 1);
    wait_idle(s, 2.0);
    long left = atomic_load(&s->in_flight), aborted = s->aborted;
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET) close(listen_fd);
    server_free(s);
    if (aborted || left)
        return error_set(NEEDLE_EIO, "shutdown after %.0f s: %ld queued request(s) answered 503, %ld connection(s) cut off",
                         timeout_s, aborted, left);
    return 0;
}

/* ---- the request ---- */

const char *http_request_method(const http_request *req) { return req->method; }
const char *http_request_path(const http_request *req) { return req->path; }

const char *http_request_header(const http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_arg(const http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_request_body(const http_request *req, size_t *len) {
    *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

int http_request_json(const http_request *req, cJSON **out) {
    *out = NULL;
    size_t len = req->body.len;
    const char *text = req->body.data;
    if (!len) return error_set(NEEDLE_EFORMAT, "request body is empty; expected JSON");
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) return error_set(NEEDLE_EFORMAT, "request body: invalid UTF-8 at byte %zu", i);
        i += (size_t)n;
    }
    return json_parse(text, len, "request body", out);
}

/* ---- forms: libmicrohttpd's post processor, run over the accumulated body ---- */

typedef struct {
    http_form_fn fn;
    void *ctx;
    int rc, open;
    char *name, *filename, *content_type;
    strbuf data;
} form_state;

static void form_clear(form_state *f) {
    free(f->name);
    free(f->filename);
    free(f->content_type);
    f->name = f->filename = f->content_type = NULL;
    strbuf_clear(&f->data);
    f->open = 0;
}

static void form_flush(form_state *f) {
    if (f->open && !f->rc) f->rc = f->fn(f->ctx, f->name, f->filename, f->content_type, f->data.data ? f->data.data : "", f->data.len);
    form_clear(f);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static enum MHD_Result on_form_data(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                    const char *content_type, const char *transfer_encoding, const char *data,
                                    uint64_t off, size_t size) {
    form_state *f = cls;
    if (f->rc) return MHD_NO;
    if (off == 0) {
        form_flush(f);
        if (f->rc) return MHD_NO;
        f->name = strdup(key ? key : "");
        f->filename = dup_or_null(filename);
        f->content_type = dup_or_null(content_type);
        f->open = 1;
        if (!f->name || (filename && !f->filename) || (content_type && !f->content_type)) {
            f->rc = error_set(NEEDLE_ENOMEM, "out of memory reading the form");
            return MHD_NO;
        }
    }
    if (size && strbuf_append(&f->data, data, size)) {
        f->rc = error_set(NEEDLE_ENOMEM, "out of memory reading the form");
        return MHD_NO;
    }
    return MHD_YES;
}

int http_request_form(const http_request *req, http_form_fn fn, void *ctx) {
    form_state f = {fn, ctx, 0, 0, NULL, NULL, NULL, {0}};
    strbuf_init(&f.data);
    struct MHD_PostProcessor *pp = MHD_create_post_processor(req->conn, 65536, on_form_data, &f);
    if (!pp) {
        const char *ct = http_request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
        return error_set(NEEDLE_EFORMAT, "request body: expected multipart/form-data with a boundary of 2 to 70 "
                         "characters, got Content-Type: %s", ct ? ct : "(none)");
    }
    enum MHD_Result ok = MHD_post_process(pp, req->body.data ? req->body.data : "", req->body.len);
    if (MHD_destroy_post_processor(pp) != MHD_YES) ok = MHD_NO;
    form_flush(&f);
    strbuf_free(&f.data);
    if (f.rc) return f.rc;
    if (ok != MHD_YES) return error_set(NEEDLE_EFORMAT, "request body: malformed form data");
    return 0;
}

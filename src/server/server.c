/* server.c — needle's HTTP API: the route table, start and graceful stop, the request-checking
 * helpers every handler uses, and the two endpoints that need no store: /health and the
 * static files of the web page (compiled in from web/, see static_assets.h).
 *
 * The web page and /health are public; every other route needs the API key when one is set.
 * The page is served with a Content-Security-Policy that allows only this origin, which the
 * page honours (no inline script or style, no external resources). */
#include "server_internal.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/version.h"
#include "static_assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct server {
    http_server *http;
    server_app app;
    http_route *routes;
};

static const http_route api_routes[] = {
    {"POST", "/query", handle_query, 0},
    {"POST", "/documents", handle_documents_add, 0},
    {"POST", "/documents/get_by_filters", handle_documents_get, 0},
    {"POST", "/documents/delete_by_filters", handle_documents_delete, 0},
    {"POST", "/file-upload", handle_file_upload, 0},
    {"POST", "/feedback", handle_feedback_post, 0},
    {"GET", "/feedback", handle_feedback_get, 0},
    {"DELETE", "/feedback", handle_feedback_delete, 0},
    {"POST", "/eval-feedback", handle_eval_feedback, 0},
    {"GET", "/export-feedback", handle_export_feedback, 0},
    {"GET", "/health", handle_health, 1},
    {"GET", "/", handle_static, 1},
};

void server_config_default(server_config *c) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c->host = "127.0.0.1";
    c->port = 8000;
    c->threads = cpus > 0 ? (int)cpus : 1;
    c->max_body_bytes = 32u << 20;
    c->max_url_bytes = 8192;
    c->max_query_bytes = 4096;
    c->timeout_s = 60;
    c->api_key = NULL;
}

int server_start(server **out, const server_config *cfg, pipeline *p) {
    *out = NULL;
    size_t n_api = sizeof api_routes / sizeof api_routes[0], n_assets = 0;
    while (static_assets[n_assets].path) n_assets++;
    server *s = calloc(1, sizeof *s);
    http_route *routes = calloc(n_api + n_assets + 1, sizeof *routes);
    if (!s || !routes) {
        free(s);
        free(routes);
        return error_set(NEEDLE_ENOMEM, "out of memory starting the server");
    }
    memcpy(routes, api_routes, sizeof api_routes);
    for (size_t i = 0; i < n_assets; i++) routes[n_api + i] = (http_route){"GET", static_assets[i].path, handle_static, 1};
    s->routes = routes;
    s->app.cfg = *cfg;
    s->app.pipe = p;
    s->app.started = clock_seconds();
    pthread_mutex_init(&s->app.cpu_lock, NULL);
    http_config hc = {cfg->host, cfg->port, cfg->threads, cfg->max_body_bytes, cfg->max_url_bytes, cfg->timeout_s,
                      cfg->api_key, routes, &s->app};
    int rc = http_server_start(&s->http, &hc);
    s->app.http = s->http;
    if (rc) {
        pthread_mutex_destroy(&s->app.cpu_lock);
        free(routes);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int server_port(const server *s) { return http_server_port(s->http); }

long server_in_flight(const server *s) { return http_server_in_flight(s->http); }

int server_stop(server *s, double timeout_s) {
    if (!s) return 0;
    int rc = http_server_shutdown(s->http, timeout_s);
    pthread_mutex_destroy(&s->app.cpu_lock);
    free(s->routes);
    free(s);
    return rc;
}

/* ---- helpers ---- */

static int allowed_key(const char *key, const char *const *allowed) {
    for (; *allowed; allowed++)
        if (!strcmp(key, *allowed)) return 1;
    return 0;
}

int server_check_keys(const cJSON *obj, const char *const *allowed, const char *what, http_response *res) {
    if (!allowed) return 0;
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (allowed_key(it->string, allowed)) continue;
        strbuf list;
        strbuf_init(&list);
        for (const char *const *a = allowed; *a; a++) strbuf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
        http_reply_error(res, 400, "%s: unknown field \"%s\" (allowed: %s)", what, it->string, list.data ? list.data : "");
        strbuf_free(&list);
        return -1;
    }
    return 0;
}

int server_body_object(const http_request *req, http_response *res, const char *const *allowed, int optional,
                       cJSON **out) {
    *out = NULL;
    size_t len;
    http_request_body(req, &len);
    if (optional && len == 0) return 0;
    cJSON *body;
    int rc = http_request_json(req, &body);
    if (rc) {
        http_reply_lib_error(res, rc);
        return -1;
    }
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        http_reply_error(res, 400, "request body: expected a JSON object");
        return -1;
    }
    if (server_check_keys(body, allowed, "request body", res)) {
        cJSON_Delete(body);
        return -1;
    }
    *out = body;
    return 0;
}

int server_filters(const cJSON *filters, http_response *res, char **out) {
    *out = NULL;
    if (!filters || cJSON_IsNull(filters)) return 0;
    if (!cJSON_IsObject(filters)) {
        http_reply_error(res, 400, "field \"filters\" should be an object");
        return -1;
    }
    char *text = cJSON_PrintUnformatted(filters);
    if (!text) {
        http_reply_error(res, 500, "out of memory reading the filters");
        return -1;
    }
    int rc = docstore_filters_check(text);
    if (rc) {
        free(text);
        http_reply_error(res, 400, "filters: %s", error_message());
        return -1;
    }
    *out = text;
    return 0;
}

void server_json_begin(strbuf *sb, jsonw *w) {
    strbuf_init(sb);
    jsonw_init(w, sb);
}

void server_json_reply(http_response *res, strbuf *sb, jsonw *w) {
    if (w->err) {
        strbuf_free(sb);
        http_reply_error(res, 500, "out of memory writing the reply");
        return;
    }
    http_reply_json(res, 200, sb);
}

/* ---- /health ---- */

/* A "Key:   <number> kB" line of a /proc file, in kB; -1 when absent. */
static long long proc_kb(const char *path, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long long v = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            v = atoll(line + klen + 1);
            break;
        }
    fclose(f);
    return v;
}

/* Percent of all CPUs this process used since the previous call (or since start). */
static double cpu_percent(server_app *a) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double used = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
                  1e-6 * (double)ru.ru_stime.tv_usec;
    double now = clock_seconds();
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_mutex_lock(&a->cpu_lock);
    double wall0 = a->cpu_last_wall ? a->cpu_last_wall : a->started, used0 = a->cpu_last_used;
    a->cpu_last_wall = now;
    a->cpu_last_used = used;
    pthread_mutex_unlock(&a->cpu_lock);
    double wall = now - wall0;
    return wall > 0 ? 100.0 * (used - used0) / wall / (double)(cpus > 0 ? cpus : 1) : 0.0;
}

void handle_health(void *app, const http_request *req, http_response *res) {
    server_app *a = app;
    long long rss = proc_kb("/proc/self/status", "VmRSS"), total = proc_kb("/proc/meminfo", "MemTotal");
    long long docs = -1;
    docstore *rd = NULL;
    int rc = pipeline_reader(a->pipe, &rd);
    if (!rc) rc = docstore_count(rd, NULL, &docs);
    pipeline_reader_done(a->pipe, rd);
    strbuf sb;
    jsonw w;
    server_json_begin(&sb, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "status");
    jsonw_string(&w, rc ? "degraded" : "ok");
    jsonw_key(&w, "version");
    jsonw_string(&w, NEEDLE_VERSION);
    jsonw_key(&w, "cpu");
    jsonw_object_begin(&w);
    jsonw_key(&w, "used");
    jsonw_double(&w, (double)(long long)(cpu_percent(a) * 100 + 0.5) / 100);
    jsonw_object_end(&w);
    jsonw_key(&w, "memory");
    jsonw_object_begin(&w);
    jsonw_key(&w, "used");
    jsonw_double(&w, rss > 0 && total > 0 ? (double)(long long)(10000.0 * (double)rss / (double)total + 0.5) / 100 : 0.0);
    jsonw_key(&w, "rss_mb");
    jsonw_double(&w, rss > 0 ? (double)(long long)((double)rss / 1024 * 10 + 0.5) / 10 : 0.0);
    jsonw_object_end(&w);
    jsonw_key(&w, "gpus");
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    jsonw_key(&w, "documents");
    if (rc) jsonw_null(&w);
    else jsonw_int(&w, docs);
    jsonw_key(&w, "requests_in_flight");
    jsonw_int(&w, http_server_in_flight(a->http));
    jsonw_key(&w, "uptime_s");
    jsonw_double(&w, (double)(long long)((clock_seconds() - a->started) * 10) / 10);
    jsonw_object_end(&w);
    server_json_reply(res, &sb, &w);
}

/* ---- the web page ---- */

void handle_static(void *app, const http_request *req, http_response *res) {
    const char *path = http_request_path(req);
    if (!strcmp(path, "/")) path = "/index.html";
    for (const static_asset *a = static_assets; a->path; a++) {
        if (strcmp(a->path, path)) continue;
        http_reply_static(res, 200, a->content_type, a->data, a->len);
        http_reply_header(res, "Cache-Control", "no-cache");
        http_reply_header(res, "X-Content-Type-Options", "nosniff");
        http_reply_header(res, "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        return;
    }
    http_reply_error(res, 404, "no such file: %s", path);
}

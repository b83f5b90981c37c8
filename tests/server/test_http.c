/* test_http.c — the HTTP layer on a live loopback server with test routes: routing, status
 * codes and JSON errors, limits, API key, form parsing, the thread pool and the graceful
 * shutdown. Expected codes and header semantics are RFC 9110's (404, 405 + Allow, 413, 414,
 * 401 + WWW-Authenticate) and Haystack's {"detail": ...} error shape. */
#include "../test.h"
#include "http_client.h"
#include "needle/http.h"
#include "needle/json.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    atomic_int arrived, released;
    int want;
} test_app;

static void h_hello(void *app, const http_request *req, http_response *res) {
    strbuf sb;
    strbuf_init(&sb);
    const char *who = http_request_arg(req, "who");
    strbuf_printf(&sb, "{\"hello\":\"%s\",\"method\":\"%s\"}", who ? who : "world", http_request_method(req));
    http_reply_json(res, 200, &sb);
}

/* Echo the JSON body's "q" field, or the parse error as 400. */
static void h_echo(void *app, const http_request *req, http_response *res) {
    cJSON *body;
    int rc = http_request_json(req, &body);
    if (rc) { http_reply_lib_error(res, rc); return; }
    const char *q = "";
    rc = json_get_string(body, "q", "request body", &q);
    if (rc) {
        cJSON_Delete(body);
        http_reply_lib_error(res, rc);
        return;
    }
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "q");
    jsonw_string(&w, q);
    jsonw_object_end(&w);
    cJSON_Delete(body);
    http_reply_json(res, 200, &sb);
}

static int on_field(void *ctx, const char *name, const char *filename, const char *ct, const char *data, size_t len) {
    strbuf *sb = ctx;
    strbuf_printf(sb, "[%s|%s|%s|%.*s]", name, filename ? filename : "-", ct ? ct : "-", (int)len, data);
    return 0;
}

static void h_form(void *app, const http_request *req, http_response *res) {
    strbuf sb;
    strbuf_init(&sb);
    int rc = http_request_form(req, on_field, &sb);
    if (rc) {
        strbuf_free(&sb);
        http_reply_lib_error(res, rc);
        return;
    }
    res->status = 200;
    res->content_type = "text/plain";
    res->body = sb;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait (at most 5 s) until `want` handlers are inside at once: only a pool can get there. */
static void h_rendezvous(void *app, const http_request *req, http_response *res) {
    test_app *t = app;
    atomic_fetch_add(&t->arrived, 1);
    int ok = 0;
    for (int i = 0; i < 500 && !ok; i++) {
        ok = atomic_load(&t->arrived) >= t->want;
        if (!ok) sleep_ms(10);
    }
    http_reply_error(res, ok ? 200 : 503, ok ? "met" : "alone");
}

/* Block until the test releases it (at most 5 s). */
static void h_slow(void *app, const http_request *req, http_response *res) {
    test_app *t = app;
    atomic_fetch_add(&t->arrived, 1);
    for (int i = 0; i < 500 && !atomic_load(&t->released); i++) sleep_ms(10);
    strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "{\"done\":true}");
    http_reply_json(res, 200, &sb);
}

static const http_route routes[] = {
    {"GET", "/hello", h_hello, 1},
    {"POST", "/echo", h_echo, 0},
    {"DELETE", "/echo", h_echo, 0},
    {"POST", "/form", h_form, 0},
    {"GET", "/rendezvous", h_rendezvous, 1},
    {"GET", "/slow", h_slow, 1},
    {NULL, NULL, NULL, 0},
};

static http_server *start(test_app *app, const char *key, int threads) {
    http_config cfg = {"127.0.0.1", 0, threads, 1000, 200, 10, key, routes, app};
    http_server *s = NULL;
    CHECK_OK(http_server_start(&s, &cfg));
    return s;
}

static cJSON *reply_json(const test_reply *r) {
    cJSON *j = NULL;
    if (json_parse(r->body.data ? r->body.data : "", r->body.len, "reply", &j)) return NULL;
    return j;
}

/* The reply's {"detail": ...} contains `needle`. */
static int detail_has(const test_reply *r, const char *needle) {
    cJSON *j = reply_json(r);
    const cJSON *d = j ? cJSON_GetObjectItem(j, "detail") : NULL;
    int ok = d && cJSON_IsString(d) && strstr(d->valuestring, needle);
    if (!ok) fprintf(stderr, "  reply body: %s\n", r->body.data ? r->body.data : "(none)");
    cJSON_Delete(j);
    return ok;
}

TEST(http_routes_and_errors) {
    test_app app = {0};
    http_server *s = start(&app, NULL, 2);
    if (!s) return;
    int port = http_server_port(s);
    CHECK(port > 0);
    test_reply r;
    char h[256];

    CHECK_OK(test_http(port, "GET", "/hello?who=a%20b", NULL, NULL, &r));
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.data, "{\"hello\":\"a b\",\"method\":\"GET\"}");
    CHECK_STR(test_reply_header(&r, "Content-Type", h, sizeof h), "application/json");
    test_reply_free(&r);

    CHECK_OK(test_http(port, "HEAD", "/hello", NULL, NULL, &r));
    CHECK_INT(r.status, 200);
    CHECK_INT(r.body.len, 0);
    test_reply_free(&r);

    CHECK_OK(test_http(port, "GET", "/nowhere", NULL, NULL, &r));
    CHECK_INT(r.status, 404);
    CHECK(detail_has(&r, "/nowhere"));
    test_reply_free(&r);

    CHECK_OK(test_http(port, "PUT", "/echo", NULL, "{}", &r));
    CHECK_INT(r.status, 405);
    CHECK_STR(test_reply_header(&r, "Allow", h, sizeof h), "POST, DELETE");
    CHECK(detail_has(&r, "PUT"));
    test_reply_free(&r);

    CHECK_OK(test_http(port, "POST", "/echo", NULL, "{\"q\": \"caf\xc3\xa9\"}", &r));
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.data, "{\"q\":\"caf\xc3\xa9\"}");
    test_reply_free(&r);

    CHECK_OK(test_http(port, "POST", "/echo", NULL, "{\"q\": \n  \"x\",,}", &r));
    CHECK_INT(r.status, 400);
    CHECK(detail_has(&r, "malformed JSON at line 2, column"));
    test_reply_free(&r);

    CHECK_OK(test_http(port, "POST", "/echo", NULL, "{\"q\": \"a\xff\"}", &r));
    CHECK_INT(r.status, 400);
    CHECK(detail_has(&r, "invalid UTF-8 at byte 8"));
    test_reply_free(&r);

    CHECK_OK(test_http(port, "POST", "/echo", NULL, "", &r));
    CHECK_INT(r.status, 400);
    CHECK(detail_has(&r, "empty"));
    test_reply_free(&r);

    CHECK_OK(test_http(port, "POST", "/echo", NULL, "{\"q\": 3}", &r));
    CHECK_INT(r.status, 400);
    CHECK(detail_has(&r, "\"q\""));
    test_reply_free(&r);

    CHECK_OK(http_server_shutdown(s, 5));
}

TEST(http_limits) {
    test_app app = {0};
    http_server *s = start(&app, NULL, 1);
    if (!s) return;
    int port = http_server_port(s);
    test_reply r;

    /* Declared too large: refused before the body is sent. */
    const char *big = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
    CHECK_OK(test_http_raw(port, big, strlen(big), &r));
    CHECK_INT(r.status, 413);
    CHECK(detail_has(&r, "limit of 1000"));
    test_reply_free(&r);

    /* Chunked, no length: refused once the accumulated body passes the limit. */
    strbuf req;
    strbuf_init(&req);
    strbuf_puts(&req, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        strbuf_puts(&req, "1f4\r\n");
        for (int k = 0; k < 500; k++) strbuf_putc(&req, 'a');
        strbuf_puts(&req, "\r\n");
    }
    strbuf_puts(&req, "0\r\n\r\n");
    CHECK_OK(test_http_raw(port, req.data, req.len, &r));
    CHECK_INT(r.status, 413);
    test_reply_free(&r);
    strbuf_free(&req);

    /* A body exactly at the limit is accepted (it reaches the handler, which rejects the JSON). */
    strbuf body;
    strbuf_init(&body);
    strbuf_puts(&body, "{\"q\":\"");
    while (body.len < 998) strbuf_putc(&body, 'b');
    strbuf_puts(&body, "\"}");
    CHECK_INT(body.len, 1000);
    CHECK_OK(test_http(port, "POST", "/echo", NULL, body.data, &r));
    CHECK_INT(r.status, 200);
    test_reply_free(&r);
    strbuf_free(&body);

    strbuf url;
    strbuf_init(&url);
    strbuf_puts(&url, "/hello?who=");
    while (url.len < 201) strbuf_putc(&url, 'x');
    CHECK_OK(test_http(port, "GET", url.data, NULL, NULL, &r));
    CHECK_INT(r.status, 414);
    CHECK(detail_has(&r, "201 bytes"));
    test_reply_free(&r);
    url.data[200] = 0;
    CHECK_OK(test_http(port, "GET", url.data, NULL, NULL, &r));
    CHECK_INT(r.status, 200);
    test_reply_free(&r);
    strbuf_free(&url);

    CHECK_OK(http_server_shutdown(s, 5));
}

TEST(http_api_key) {
    test_app app = {0};
    http_server *s = start(&app, "s3cret", 1);
    if (!s) return;
    int port = http_server_port(s);
    test_reply r;
    char h[64];
    CHECK_OK(test_http(port, "POST", "/echo", NULL, "{\"q\":\"x\"}", &r));
    CHECK_INT(r.status, 401);
    CHECK_STR(test_reply_header(&r, "WWW-Authenticate", h, sizeof h), "Bearer");
    CHECK(detail_has(&r, "API key"));
    test_reply_free(&r);
    CHECK_OK(test_http(port, "POST", "/echo", "X-API-Key: s3cre\r\n", "{\"q\":\"x\"}", &r));
    CHECK_INT(r.status, 401);
    test_reply_free(&r);
    CHECK_OK(test_http(port, "POST", "/echo", "X-API-Key: s3cret!\r\n", "{\"q\":\"x\"}", &r));
    CHECK_INT(r.status, 401);
    test_reply_free(&r);
    CHECK_OK(test_http(port, "POST", "/echo", "X-API-Key: s3cret\r\n", "{\"q\":\"x\"}", &r));
    CHECK_INT(r.status, 200);
    test_reply_free(&r);
    CHECK_OK(test_http(port, "POST", "/echo", "Authorization: Bearer s3cret\r\n", "{\"q\":\"x\"}", &r));
    CHECK_INT(r.status, 200);
    test_reply_free(&r);
    CHECK_OK(test_http(port, "GET", "/hello", NULL, NULL, &r));
    CHECK_INT(r.status, 200); /* public route */
    test_reply_free(&r);
    CHECK_OK(http_server_shutdown(s, 5));
}

TEST(http_form_multipart) {
    test_app app = {0};
    http_server *s = start(&app, NULL, 1);
    if (!s) return;
    int port = http_server_port(s);
    test_reply r;
    const char *body = "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"meta\"\r\n\r\n"
                       "{\"a\":1}\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"files\"; filename=\"n.txt\"\r\n"
                       "Content-Type: text/plain\r\n\r\n"
                       "line one\r\nline two\r\n"
                       "--XyZ--\r\n";
    CHECK_OK(test_http(port, "POST", "/form", "Content-Type: multipart/form-data; boundary=XyZ\r\n", body, &r));
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.data, "[meta|-|-|{\"a\":1}][files|n.txt|text/plain|line one\r\nline two]");
    test_reply_free(&r);
    CHECK_OK(test_http(port, "POST", "/form", "Content-Type: application/json\r\n", "{}", &r));
    CHECK_INT(r.status, 400);
    CHECK(detail_has(&r, "multipart/form-data"));
    test_reply_free(&r);
    CHECK_OK(http_server_shutdown(s, 5));
}

typedef struct {
    int port;
    const char *path;
    test_reply reply;
} client_job;

static void *client_run(void *arg) {
    client_job *j = arg;
    test_http(j->port, "GET", j->path, NULL, NULL, &j->reply);
    return NULL;
}

/* Three requests at once on three handler threads: all three must be inside together. */
TEST(http_thread_pool_serves_concurrently) {
    test_app app = {0};
    app.want = 3;
    http_server *s = start(&app, NULL, 3);
    if (!s) return;
    client_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (client_job){http_server_port(s), "/rendezvous", {0}};
        pthread_create(&th[i], NULL, client_run, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(jobs[i].reply.status, 200);
        test_reply_free(&jobs[i].reply);
    }
    CHECK_OK(http_server_shutdown(s, 5));
}

/* A slow handler must not hold up another client's request (head-of-line blocking), whichever
 * polling thread took the connections. */
TEST(http_slow_request_does_not_block_others) {
    test_app app = {0};
    http_server *s = start(&app, NULL, 2);
    if (!s) return;
    int port = http_server_port(s);
    client_job slow = {port, "/slow", {0}};
    pthread_t th;
    pthread_create(&th, NULL, client_run, &slow);
    for (int i = 0; i < 500 && !atomic_load(&app.arrived); i++) sleep_ms(10);
    for (int k = 0; k < 5; k++) {
        test_reply r;
        CHECK_OK(test_http(port, "GET", "/hello", NULL, NULL, &r));
        CHECK_INT(r.status, 200);
        test_reply_free(&r);
    }
    CHECK(!atomic_load(&app.released)); /* the slow one was still running all along */
    atomic_store(&app.released, 1);
    pthread_join(th, NULL);
    CHECK_INT(slow.reply.status, 200);
    test_reply_free(&slow.reply);
    CHECK_OK(http_server_shutdown(s, 5));
}

typedef struct {
    http_server *s;
    int rc;
    double timeout;
    char message[256];
} shutdown_job;

static void *shutdown_run(void *arg) {
    shutdown_job *j = arg;
    j->rc = http_server_shutdown(j->s, j->timeout > 0 ? j->timeout : 10);
    snprintf(j->message, sizeof j->message, "%s", error_message());
    return NULL;
}

TEST(http_graceful_shutdown_finishes_in_flight) {
    test_app app = {0};
    http_server *s = start(&app, NULL, 2);
    if (!s) return;
    int port = http_server_port(s);
    client_job job = {port, "/slow", {0}};
    pthread_t client, stopper;
    pthread_create(&client, NULL, client_run, &job);
    for (int i = 0; i < 500 && !atomic_load(&app.arrived); i++) sleep_ms(10);
    CHECK_INT(http_server_in_flight(s), 1);
    shutdown_job sj = {s, -1, 10, ""};
    pthread_create(&stopper, NULL, shutdown_run, &sj);
    /* Once quiesced, new connections are refused while the slow request is still running. */
    test_reply r;
    int refused = 0;
    for (int i = 0; i < 200 && !refused; i++) {
        if (test_http(port, "GET", "/hello", NULL, NULL, &r) != 0) refused = 1;
        else { test_reply_free(&r); sleep_ms(10); }
    }
    CHECK(refused);
    atomic_store(&app.released, 1);
    pthread_join(client, NULL);
    pthread_join(stopper, NULL);
    CHECK_INT(sj.rc, 0);
    CHECK_INT(job.reply.status, 200);
    CHECK_STR(job.reply.body.data, "{\"done\":true}");
    test_reply_free(&job.reply);
}

TEST(http_start_errors) {
    test_app app = {0};
    http_server *a = start(&app, NULL, 1);
    if (!a) return;
    http_config cfg = {"127.0.0.1", http_server_port(a), 1, 1000, 200, 10, NULL, routes, &app};
    http_server *b = NULL;
    CHECK_ERR(http_server_start(&b, &cfg), NEEDLE_EIO, "cannot listen on 127.0.0.1");
    cfg.port = 70000;
    CHECK_ERR(http_server_start(&b, &cfg), NEEDLE_EINVAL, "out of range");
    cfg.port = 0;
    cfg.host = "no-such-host.invalid";
    CHECK_ERR(http_server_start(&b, &cfg), NEEDLE_EINVAL, "cannot resolve host");
    CHECK_OK(http_server_shutdown(a, 5));
}

/* Past the shutdown deadline a queued request is answered 503 and the running one finishes. */
TEST(http_shutdown_deadline_answers_queued_503) {
    test_app app = {0};
    http_server *s = start(&app, NULL, 1);
    if (!s) return;
    int port = http_server_port(s);
    client_job running = {port, "/slow", {0}}, queued = {port, "/slow", {0}};
    pthread_t t1, t2, stopper;
    pthread_create(&t1, NULL, client_run, &running);
    for (int i = 0; i < 500 && !atomic_load(&app.arrived); i++) sleep_ms(10);
    pthread_create(&t2, NULL, client_run, &queued);
    for (int i = 0; i < 500 && http_server_in_flight(s) < 2; i++) sleep_ms(10);
    CHECK_INT(http_server_in_flight(s), 2);
    shutdown_job sj = {s, 0, 0.2, ""};
    pthread_create(&stopper, NULL, shutdown_run, &sj);
    sleep_ms(400);
    atomic_store(&app.released, 1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_join(stopper, NULL);
    CHECK_INT(running.reply.status, 200);
    CHECK_INT(queued.reply.status, 503);
    CHECK_INT(sj.rc, NEEDLE_EIO);
    CHECK(strstr(sj.message, "1 queued request(s) answered 503") != NULL);
    CHECK_INT(atomic_load(&app.arrived), 1);
    test_reply_free(&running.reply);
    test_reply_free(&queued.reply);
}

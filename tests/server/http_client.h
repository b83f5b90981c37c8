/* http_client.h — a tiny blocking HTTP/1.1 client over a raw loopback socket, for the server
 * tests. Raw bytes let the tests send what real clients would not (bad lengths, huge URLs,
 * invalid UTF-8) and read the reply exactly as the server wrote it. */
#ifndef NEEDLE_TEST_HTTP_CLIENT_H
#define NEEDLE_TEST_HTTP_CLIENT_H

#include <stddef.h>

#include "needle/strbuf.h"

typedef struct {
    int status;      /* 0 when no reply came back */
    strbuf head;     /* status line and headers */
    strbuf body;
} test_reply;

/* Send `len` raw bytes to 127.0.0.1:port, read until the server closes, parse the reply.
 * Returns 0, or -1 when the connection failed. */
int test_http_raw(int port, const char *req, size_t len, test_reply *out);
/* Build a request with "Connection: close" and Content-Length (when body != NULL);
 * `headers` are extra "Name: value\r\n" lines or NULL. */
int test_http(int port, const char *method, const char *target, const char *headers, const char *body,
              test_reply *out);
/* The value of a reply header (case-insensitive name), copied into buf; NULL if absent. */
const char *test_reply_header(const test_reply *r, const char *name, char *buf, size_t cap);
void test_reply_free(test_reply *r);

#endif

/* http_client.c — see http_client.h. */
#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int test_http_raw(int port, const char *req, size_t len, test_reply *out) {
    strbuf_init(&out->head);
    strbuf_init(&out->body);
    out->status = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) break; /* the server may answer early and stop reading; read its reply */
        off += (size_t)n;
    }
    strbuf all;
    strbuf_init(&all);
    char buf[8192];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) strbuf_append(&all, buf, (size_t)n);
    close(fd);
    const char *sep = all.data ? strstr(all.data, "\r\n\r\n") : NULL;
    if (sep) {
        strbuf_append(&out->head, all.data, (size_t)(sep - all.data) + 2);
        strbuf_append(&out->body, sep + 4, all.len - (size_t)(sep + 4 - all.data));
        sscanf(all.data, "HTTP/1.%*d %d", &out->status);
    }
    strbuf_free(&all);
    return 0;
}

int test_http(int port, const char *method, const char *target, const char *headers, const char *body,
              test_reply *out) {
    strbuf req;
    strbuf_init(&req);
    strbuf_printf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s", method, target,
                  headers ? headers : "");
    if (body) strbuf_printf(&req, "Content-Length: %zu\r\n", strlen(body));
    strbuf_puts(&req, "\r\n");
    if (body) strbuf_puts(&req, body);
    int rc = test_http_raw(port, req.data, req.len, out);
    strbuf_free(&req);
    return rc;
}

const char *test_reply_header(const test_reply *r, const char *name, char *buf, size_t cap) {
    size_t nlen = strlen(name);
    for (const char *p = r->head.data; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol) break;
        if (!strncasecmp(p, name, nlen) && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ') v++;
            snprintf(buf, cap, "%.*s", (int)(eol - v), v);
            return buf;
        }
        p = eol + 2;
    }
    return NULL;
}

void test_reply_free(test_reply *r) {
    strbuf_free(&r->head);
    strbuf_free(&r->body);
}

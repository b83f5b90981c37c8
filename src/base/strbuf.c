/* strbuf.c — growable NUL-terminated byte strings (see strbuf.h). */
#include "needle/strbuf.h"
#include "needle/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(strbuf *sb) { sb->data = NULL; sb->len = sb->cap = 0; }

void strbuf_free(strbuf *sb) { free(sb->data); strbuf_init(sb); }

void strbuf_clear(strbuf *sb) { sb->len = 0; if (sb->data) sb->data[0] = 0; }

int strbuf_reserve(strbuf *sb, size_t extra) {
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory growing a string to %zu bytes", cap);
    sb->data = p;
    sb->cap = cap;
    return 0;
}

int strbuf_append(strbuf *sb, const char *s, size_t n) {
    int rc = strbuf_reserve(sb, n);
    if (rc) return rc;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = 0;
    return 0;
}

int strbuf_puts(strbuf *sb, const char *s) { return strbuf_append(sb, s, strlen(s)); }

int strbuf_putc(strbuf *sb, char c) { return strbuf_append(sb, &c, 1); }

int strbuf_printf(strbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return error_set(NEEDLE_EINVAL, "bad format string");
    int rc = strbuf_reserve(sb, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return 0;
}

char *strbuf_detach(strbuf *sb) {
    char *p = sb->data;
    if (!p) p = calloc(1, 1);
    strbuf_init(sb);
    return p;
}

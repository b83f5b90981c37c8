/* strbuf.h — a growable byte string, the one way the code base builds text of unknown length
 * (JSON output, paths, normalised text). Always NUL-terminated; `len` excludes the NUL. */
#ifndef NEEDLE_STRBUF_H
#define NEEDLE_STRBUF_H

#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
} strbuf;

void strbuf_init(strbuf *sb);
void strbuf_free(strbuf *sb);
void strbuf_clear(strbuf *sb);
/* Each returns 0, or NEEDLE_ENOMEM (the buffer keeps its old content). */
int strbuf_reserve(strbuf *sb, size_t extra);
int strbuf_append(strbuf *sb, const char *s, size_t n);
int strbuf_puts(strbuf *sb, const char *s);
int strbuf_putc(strbuf *sb, char c);
int strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the buffer to the caller (who frees it) and reset sb. */
char *strbuf_detach(strbuf *sb);

#endif

/* corpus_text.c — corpus files into texts (corpus_text.h).
 *
 * JSON lines and SQuAD files go through doc_read, BEIR corpora through beir_corpus_read (which
 * hands over the title separately), plain text through doc_read (which checks UTF-8 and NUL
 * bytes and names the line of a fault) and is then cut at line breaks here. A text file is
 * thus held in memory whole while it is read, as the indexer holds it. */
#include "needle/corpus_text.h"
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    corpus_text_fn fn;
    void *ctx;
    const char *path;
    strbuf join; /* BEIR: title + "\n" + text */
} reader;

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\v\f", s[i])) return 0;
    return 1;
}

static int on_text_file(void *ctx, const doc_input *d) {
    reader *r = ctx;
    char origin[1100];
    size_t line = 0;
    for (const char *p = d->content, *end = d->content + d->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (stop > p && stop[-1] == '\r') stop--; /* CRLF: the line break is both bytes */
        line++;
        if (!blank(p, (size_t)(stop - p))) {
            snprintf(origin, sizeof origin, "%.1000s:%zu", r->path, line);
            int rc = r->fn(r->ctx, p, (size_t)(stop - p), origin);
            if (rc) return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int on_doc(void *ctx, const doc_input *d) {
    reader *r = ctx;
    return r->fn(r->ctx, d->content, d->len, d->origin);
}

static int on_beir(void *ctx, const char *id, const char *title, const char *text) {
    reader *r = ctx;
    char origin[1200];
    snprintf(origin, sizeof origin, "%.1000s: document %.100s", r->path, id);
    size_t nt = strlen(title), nx = strlen(text);
    if (!nt || !nx) return nt || nx ? r->fn(r->ctx, nt ? title : text, nt ? nt : nx, origin) : 0;
    strbuf_clear(&r->join);
    if (strbuf_append(&r->join, title, nt) || strbuf_putc(&r->join, '\n') || strbuf_append(&r->join, text, nx))
        return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
    return r->fn(r->ctx, r->join.data, r->join.len, origin);
}

int corpus_text_read(const char *path, doc_format fmt, corpus_text_fn fn, void *ctx) {
    reader r = {fn, ctx, path, {0}};
    strbuf_init(&r.join);
    if (fmt == DOCFMT_AUTO) fmt = doc_format_detect(path);
    int rc;
    if (fmt == DOCFMT_BEIR) {
        char *corpus = dir_exists(path) ? path_join(path, "corpus.jsonl") : strdup(path);
        rc = corpus ? beir_corpus_read(corpus, on_beir, &r) : error_set(NEEDLE_ENOMEM, "out of memory");
        free(corpus);
    } else {
        rc = doc_read(path, fmt, NULL, fmt == DOCFMT_TEXT ? on_text_file : on_doc, &r);
    }
    strbuf_free(&r.join);
    return rc;
}

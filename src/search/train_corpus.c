/* train_corpus.c — corpus files into word counts for tokenizer training (train_corpus.h).
 *
 * JSON lines, SQuAD and BEIR go through the readers the indexer uses (doc_read,
 * beir_corpus_read), so a file that indexes also trains, with the same error messages.
 * Documents are gathered into batches of a few megabytes and each batch is counted on all
 * cores (word_counts_add_texts). Plain text is streamed instead of read whole (the indexer
 * reads a text file as one document; a training corpus can be many gigabytes): blocks of
 * TEXT_BLOCK bytes cut after their last line break, each checked for valid UTF-8 and NUL
 * bytes with the line and column of a fault, then counted. */
#include "needle/train_corpus.h"
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/file.h"

#include "needle/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH_BYTES = 8 << 20, BATCH_DOCS = 4096, TEXT_BLOCK = 1 << 20 };

typedef struct {
    word_counts *wc;
    progress *pr;
    size_t docs;
    char *buf;          /* the batch's texts, back to back */
    size_t len, cap;
    size_t off[BATCH_DOCS], lens[BATCH_DOCS];
    int n;
} batch;

static int flush(batch *b) {
    if (b->n == 0) return 0;
    const char *texts[BATCH_DOCS];
    for (int i = 0; i < b->n; i++) texts[i] = b->buf + b->off[i];
    int rc = word_counts_add_texts(b->wc, b->n, texts, b->lens);
    b->n = 0;
    b->len = 0;
    if (b->pr) progress_update(b->pr, b->docs, NULL);
    return rc;
}

/* Add a text made of up to two parts joined by a line break. */
static int add_text(batch *b, const char *a, size_t na, const char *c, size_t nc) {
    b->docs++;
    size_t need = na + (nc ? nc + 1 : 0);
    if (need >= BATCH_BYTES && !nc) {
        int rc = flush(b);
        size_t len = na;
        return rc ? rc : word_counts_add_texts(b->wc, 1, &a, &len);
    }
    if (b->n == BATCH_DOCS || b->len + need > BATCH_BYTES) {
        int rc = flush(b);
        if (rc) return rc;
    }
    if (b->len + need > b->cap) {
        size_t cap = b->len + need > BATCH_BYTES ? b->len + need : BATCH_BYTES;
        char *buf = realloc(b->buf, cap);
        if (!buf) return error_set(NEEDLE_ENOMEM, "out of memory reading the corpus");
        b->buf = buf;
        b->cap = cap;
    }
    b->off[b->n] = b->len;
    memcpy(b->buf + b->len, a, na);
    if (nc) {
        b->buf[b->len + na] = '\n';
        memcpy(b->buf + b->len + na + 1, c, nc);
    }
    b->lens[b->n++] = need;
    b->len += need;
    return 0;
}

static int on_doc(void *ctx, const doc_input *d) { return add_text(ctx, d->content, d->len, NULL, 0); }

static int on_beir(void *ctx, const char *id, const char *title, const char *text) {
    (void)id;
    size_t nt = strlen(title);
    return nt ? add_text(ctx, title, nt, text, strlen(text)) : add_text(ctx, text, strlen(text), NULL, 0);
}

/* Count the text at buf[0..len) that starts at line `line` (1-based), byte `at` of the file. */
static int count_block(batch *b, const char *path, const char *buf, size_t len, size_t line, size_t at) {
    int rc = utf8_check_at(buf, len, path, line, at);
    const char *nul = rc ? NULL : memchr(buf, 0, len);
    if (nul) {
        size_t l = line;
        for (const char *p = buf; p < nul; p++) l += *p == '\n';
        return error_set(NEEDLE_EFORMAT, "%s:%zu: holds a NUL byte; not a text file", path, l);
    }
    if (!rc) rc = word_counts_add_texts(b->wc, 1, &buf, &len);
    b->docs++;
    if (!rc && b->pr) progress_update(b->pr, b->docs, NULL);
    return rc;
}

static int count_text_file(batch *b, const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open", path);
    size_t cap = TEXT_BLOCK, have = 0, line = 1, at = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : error_set(NEEDLE_ENOMEM, "out of memory reading %s", path);
    while (!rc) {
        if (have == cap) { /* a line longer than the block: grow */
            char *nb = realloc(buf, 2 * cap);
            if (!nb) { rc = error_set(NEEDLE_ENOMEM, "out of memory reading %s", path); break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + have, 1, cap - have, fp);
        if (got == 0 && ferror(fp)) { rc = error_errno(NEEDLE_EIO, "%s: read error", path); break; }
        have += got;
        int eof = got == 0;
        size_t cut = have;
        if (!eof) {
            while (cut > 0 && buf[cut - 1] != '\n') cut--;
            if (cut == 0) continue;
        }
        if (cut > 0 && (rc = count_block(b, path, buf, cut, line, at))) break;
        for (size_t i = 0; i < cut; i++) line += buf[i] == '\n';
        at += cut;
        memmove(buf, buf + cut, have - cut);
        have -= cut;
        if (eof) break;
    }
    free(buf);
    fclose(fp);
    return rc;
}

int train_corpus_count(word_counts *wc, const char *path, doc_format fmt, progress *pr) {
    batch *b = calloc(1, sizeof *b);
    if (!b) return error_set(NEEDLE_ENOMEM, "out of memory");
    b->wc = wc;
    b->pr = pr;
    if (fmt == DOCFMT_AUTO) fmt = doc_format_detect(path);
    int rc;
    if (fmt == DOCFMT_BEIR) {
        char *corpus = dir_exists(path) ? path_join(path, "corpus.jsonl") : strdup(path);
        rc = corpus ? beir_corpus_read(corpus, on_beir, b) : error_set(NEEDLE_ENOMEM, "out of memory");
        free(corpus);
    } else if (fmt == DOCFMT_TEXT) {
        rc = count_text_file(b, path);
    } else {
        rc = doc_read(path, fmt, NULL, on_doc, b);
    }
    if (!rc) rc = flush(b);
    free(b->buf);
    free(b);
    return rc;
}

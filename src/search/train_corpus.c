/* train_corpus.c — corpus files into word counts for tokenizer training (train_corpus.h).
 *
 * Every format goes through the readers the indexer uses (doc_read, beir_corpus_read), so a
 * file that indexes also trains, with the same error messages. Documents are gathered into
 * batches of a few megabytes and each batch is counted on all cores (word_counts_add_texts);
 * a document larger than a batch (a whole text file) is counted on its own. */
#include "needle/train_corpus.h"
#include "needle/beir.h"
#include "needle/error.h"
#include "needle/file.h"

#include <stdlib.h>
#include <string.h>

enum { BATCH_BYTES = 8 << 20, BATCH_DOCS = 4096 };

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
    } else {
        rc = doc_read(path, fmt, NULL, on_doc, b);
    }
    if (!rc) rc = flush(b);
    free(b->buf);
    free(b);
    return rc;
}

/* docstore_insert.c — the store's bulk insertion alone: read a JSON-lines file with doc_read
 * and insert every document with docstore_add in batches of 1,000 inside one transaction.
 * Prints the seconds taken. Built and run by bench/docstore_bench.sh. */
#include "needle/docread.h"
#include "needle/docstore.h"
#include "needle/error.h"
#include "needle/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 1000 };

typedef struct {
    docstore *ds;
    docstore_doc docs[BATCH];
    char *owned[BATCH][3];
    int n;
} batch;

static int flush(batch *b) {
    int rc = docstore_add(b->ds, b->docs, (size_t)b->n, DOCSTORE_DUP_FAIL, NULL);
    for (int i = 0; i < b->n; i++)
        for (int k = 0; k < 3; k++) free(b->owned[i][k]);
    b->n = 0;
    return rc;
}

static int on_doc(void *ctx, const doc_input *d) {
    batch *b = ctx;
    docstore_doc *x = &b->docs[b->n];
    docstore_doc_init(x);
    x->id = b->owned[b->n][0] = strdup(d->id);
    x->content = b->owned[b->n][1] = strdup(d->content);
    x->meta_json = b->owned[b->n][2] = strdup(d->meta_json);
    x->source_id = x->id;
    x->source_start = x->source_end = x->split_index = 0;
    return ++b->n == BATCH ? flush(b) : 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: docstore_insert FILE.jsonl STORE\n"); return 2; }
    static batch b;
    double t0 = clock_seconds();
    int rc = docstore_open(&b.ds, argv[2], DOCSTORE_CREATE);
    if (!rc) rc = docstore_begin(b.ds);
    if (!rc) rc = doc_read(argv[1], DOCFMT_JSONL, NULL, on_doc, &b);
    if (!rc && b.n) rc = flush(&b);
    if (!rc) rc = docstore_commit(b.ds);
    docstore_close(b.ds);
    if (rc) { fprintf(stderr, "error: %s\n", error_message()); return 1; }
    printf("%.3f\n", clock_seconds() - t0);
    return 0;
}

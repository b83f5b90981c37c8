/* beir.h — readers for BEIR data sets: corpus.jsonl ({"_id", "title", "text"} per line) is
 * streamed document by document; queries.jsonl ({"_id", "text"}) is loaded whole. Qrels are
 * read by trec_qrels_read (needle/trec.h), which accepts BEIR's tsv form.
 *
 * A malformed line is an error that names the file and the line number; blank lines are
 * skipped. Ids may be JSON strings or integers (read exactly, json_lines_read). */
#ifndef NEEDLE_BEIR_H
#define NEEDLE_BEIR_H

#include <stddef.h>

/* Called per document; title is "" when absent. Return non-zero to stop (returned as is). */
typedef int (*beir_doc_fn)(void *ctx, const char *id, const char *title, const char *text);
int beir_corpus_read(const char *path, beir_doc_fn fn, void *ctx);

typedef struct {
    char *id, *text;
} beir_query;

int beir_queries_read(const char *path, beir_query **queries, size_t *n);
void beir_queries_free(beir_query *queries, size_t n);

#endif

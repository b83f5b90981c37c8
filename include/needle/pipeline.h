/* pipeline.h — the search pipeline as the server (and the CLI) see it: a question and
 * Haystack-style params in, a Haystack 1.x QueryResponse out.
 *
 * This is the narrow interface the HTTP server is built on. The implementation behind it
 * today (pipeline_bm25.c) is BM25 over a document store, with no reader, so its answers list is
 * empty; the full pipeline (retriever -> reader, from a pipeline file) replaces it without
 * changing this header's functions.
 *
 * Thread safety: pipeline_run may be called from many threads at once. The store is shared:
 * writes go through pipeline_docstore() while holding pipeline_lock() (the writer is one
 * SQLite connection); reads take a read-only connection of their own with pipeline_reader()
 * and give it back with pipeline_reader_done(), and never wait for a writer. Indexes built from
 * the store follow its generation (docstore_generation): a query after a committed write (by
 * this process or another) searches the new documents. */
#ifndef NEEDLE_PIPELINE_H
#define NEEDLE_PIPELINE_H

#include <cJSON.h>

#include "needle/docstore.h"
#include "needle/json.h"

typedef struct pipeline pipeline;

/* A BM25-only pipeline over the store at `store_path` (created when missing). Its BM25 index
 * is built from the store at open, and again whenever the store has changed. */
int pipeline_open_store(pipeline **out, const char *store_path);
void pipeline_close(pipeline *p);

/* Answer `query`. `params` (may be NULL) follows Haystack's per-node params:
 *   {"Retriever": {"top_k": 10}, "Reader": {"top_k": 3}, "filters": {...}}
 * where "filters" may also sit inside "Retriever". Unknown node names are an error
 * (NEEDLE_EINVAL naming them), as in Haystack. Writes the members of Haystack's QueryResponse
 * into the JSON object the caller has opened in `w` (so that the caller may add its own):
 *   "query": ..., "answers": [Answer...], "documents": [Document...]
 * with Document as pipeline_write_document writes it and Answer = {"answer", "type", "score",
 * "context", "offsets_in_context": [{"start","end"}], "offsets_in_document": [...],
 * "document_ids": [...], "meta"}; offsets count code points. */
int pipeline_run(pipeline *p, const char *query, const cJSON *params, jsonw *w);

/* A stored document as Haystack's Document: {"id", "content", "content_type": "text", "meta",
 * "score"}, without "score" when `score` is NaN. */
void pipeline_write_document(jsonw *w, const docstore_record *rec, double score);

/* The store the pipeline searches, for the document and feedback endpoints: the writer
 * (hold the lock while using it) ... */
docstore *pipeline_docstore(pipeline *p);
void pipeline_lock(pipeline *p);
void pipeline_unlock(pipeline *p);
/* ... and read-only connections, one per thread at a time. */
int pipeline_reader(pipeline *p, docstore **ds);
void pipeline_reader_done(pipeline *p, docstore *ds);

#endif

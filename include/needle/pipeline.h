/* pipeline.h — the search pipeline: a graph of nodes (retrievers, a join, a ranker, a reader)
 * over a document store, loaded from a Haystack 1.x-style YAML file (docs/pipeline.md), run
 * on a question with Haystack's per-node params, answering with Haystack's QueryResponse.
 *
 * A pipeline file names components ({name, type, params}) and one or more pipelines
 * ({name, nodes: [{name, inputs}]}); the root input is "Query". Components available:
 *   SQLiteDocumentStore (also SQLDocumentStore with url sqlite:///FILE): needle's store;
 *   BM25Retriever; EmbeddingRetriever and DensePassageRetriever (dense retrievers over the
 *   store's embeddings); JoinDocuments (concatenate, merge, reciprocal_rank_fusion);
 *   SentenceTransformersRanker (a cross-encoder reorders documents); FARMReader and
 *   TransformersReader (extractive readers); Docs2Answers (documents as answers: FAQ pipelines).
 *
 * Thread safety: pipeline_run / pipeline_query may be called from many threads at once. The
 * store is shared: writes go through pipeline_docstore() while holding pipeline_lock() (the
 * writer is one SQLite connection); reads take a read-only connection of their own with
 * pipeline_reader() and give it back with pipeline_reader_done(), and never wait for a
 * writer. Indexes built from the store follow its generation (docstore_generation): a query
 * after a committed write (by this process or another) searches the new documents. */
#ifndef NEEDLE_PIPELINE_H
#define NEEDLE_PIPELINE_H

#include <cJSON.h>
#include <stddef.h>

#include "needle/docstore.h"
#include "needle/json.h"

typedef struct pipeline pipeline;

/* Load the pipeline named `name` (NULL: the only one, else the one named "query") from a
 * pipeline file and build its components. Relative paths in the file (store files, model
 * directories) are relative to the file's directory. Errors name the file, the line and the
 * component: bad YAML, an unknown component type or parameter, a node whose input is not
 * defined before it, a store file that does not exist. */
int pipeline_open_file(pipeline **out, const char *path, const char *name);
/* The pipeline `needle serve --store` runs: a BM25Retriever named "Retriever" over the store at
 * `store_path` (created when missing). */
int pipeline_open_store(pipeline **out, const char *store_path);
void pipeline_close(pipeline *p);

/* A document passing through the pipeline (an owned copy). seq is -1 for a document that is
 * not from the store (the gold passages of an isolated evaluation). */
typedef struct {
    long long seq;
    char *id, *content, *meta_json, *source_id; /* source_id NULL when none */
    long long source_start, source_end;
    int split_index;
    double score;                               /* NaN: none */
} pipeline_doc;

/* An answer: Haystack's Answer. Offsets count code points; -1 when unknown. */
typedef struct {
    char *answer;
    const char *type;                  /* "extractive" or "other" (static strings) */
    double score;                      /* NaN: none */
    char *context;
    long long context_start, context_end;  /* the answer in `context` */
    long long document_start, document_end; /* the answer in the document's content */
    char *document_id;                 /* NULL when none */
    char *meta_json;                   /* a JSON object, or NULL for {} */
} pipeline_answer;

/* What one node produced. A reader's documents are its input documents (Haystack passes them
 * through), so the pipeline's "documents" are those the answers were read from. */
typedef struct {
    const char *node;                  /* the node's name (owned by the pipeline) */
    const char *type;                  /* its component type */
    int gives_answers;                 /* the node produces answers (a reader, Docs2Answers) */
    pipeline_doc *docs;
    size_t n_docs;
    pipeline_answer *answers;
    size_t n_answers;
} pipeline_output;

typedef struct {
    pipeline_output *nodes;            /* every node run, in execution order */
    size_t n;
    const pipeline_output *final;      /* the pipeline's output: its last node's */
} pipeline_result;

/* Answer `query`. `params` (may be NULL) follows Haystack's per-node params:
 *   {"Retriever": {"top_k": 10}, "Reader": {"top_k": 3}, "filters": {...}}
 * A key naming a node applies to it alone; any other key is a global parameter given to every
 * node that takes it (top_k, filters, scale_score, top_k_join) and must be taken by one. An
 * unknown node or parameter is an error (NEEDLE_EINVAL naming it), as in Haystack — except
 * "Retriever" and "Reader" for a pipeline without such a node: the search page always sends
 * both, so they are checked to be objects and otherwise ignored. */
int pipeline_query(pipeline *p, const char *query, const cJSON *params, pipeline_result *out);
/* Isolated evaluation: run node `node` and the nodes after it, with `docs` (copied) as the
 * documents `node` receives instead of its inputs' output. */
int pipeline_query_from(pipeline *p, const char *node, const char *query, const pipeline_doc *docs, size_t n_docs,
                        const cJSON *params, pipeline_result *out);
void pipeline_result_free(pipeline_result *r);

/* The node names in execution order, and each node's type and input count: what evaluation
 * and `needle query --format text` need to describe the graph. */
size_t pipeline_node_count(const pipeline *p);
const char *pipeline_node_name(const pipeline *p, size_t i);
const char *pipeline_node_type(const pipeline *p, size_t i);
/* 1 when node i produces answers. */
int pipeline_node_gives_answers(const pipeline *p, size_t i);
/* 1 when node i takes the run param `param` (top_k, top_k_join, filters, ...). */
int pipeline_node_takes(const pipeline *p, size_t i, const char *param);

/* pipeline_query, then the members of Haystack's QueryResponse written into the JSON object
 * the caller has opened in `w` (so that the caller may add its own):
 *   "query": ..., "answers": [Answer...], "documents": [Document...]
 * with Document as pipeline_write_document writes it and Answer = {"answer", "type", "score",
 * "context", "offsets_in_context": [{"start","end"}], "offsets_in_document": [...],
 * "document_ids": [...], "meta"}; offsets count code points. */
int pipeline_run(pipeline *p, const char *query, const cJSON *params, jsonw *w);
void pipeline_write_result(jsonw *w, const char *query, const pipeline_result *r);
void pipeline_write_answer(jsonw *w, const pipeline_answer *a);
/* A stored document as Haystack's Document: {"id", "content", "content_type": "text", "meta",
 * "score"}, without "score" when `score` is NaN. */
void pipeline_write_document(jsonw *w, const docstore_record *rec, double score);
void pipeline_write_doc(jsonw *w, const pipeline_doc *d);

/* Documents and answers: copies and release. */
int pipeline_doc_from_record(pipeline_doc *d, const docstore_record *rec, double score);
int pipeline_doc_copy(pipeline_doc *dst, const pipeline_doc *src);
void pipeline_doc_free(pipeline_doc *d);
void pipeline_answer_free(pipeline_answer *a);

/* The store the pipeline searches (its first retriever's), for the document and feedback
 * endpoints: the writer (hold the lock while using it) ... */
docstore *pipeline_docstore(pipeline *p);
void pipeline_lock(pipeline *p);
void pipeline_unlock(pipeline *p);
/* ... and read-only connections, one per thread at a time. */
int pipeline_reader(pipeline *p, docstore **ds);
void pipeline_reader_done(pipeline *p, docstore *ds);
/* Make every store's commits durable across power failures (docstore_set_durable). */
int pipeline_set_durable(pipeline *p);

#endif

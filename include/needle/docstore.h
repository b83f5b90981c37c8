/* docstore.h — the embedded document store: documents (passages), their embeddings per model,
 * and QA labels, in one SQLite file. No server; the default store of every pipeline.
 *
 * Why SQLite: one file that survives crashes (write-ahead log, transactions: a failed or killed
 * write leaves the previous state), fast bulk inserts (one transaction, prepared statements),
 * JSON functions for metadata filters, and safe concurrent readers (the HTTP server) next to
 * one writer. The file carries PRAGMA application_id 'NDLS' (the magic) and PRAGMA user_version
 * (the schema version); a store of another version is refused with a message saying so.
 *
 * Documents. A document has a unique text id (by default the Haystack-compatible content hash
 * murmur3_hex_id(content)), its content, metadata as a JSON object, and — for a passage cut
 * from a larger document by the preprocessor — the source document's id, the passage's
 * [start, end) offsets in code points of the source's ORIGINAL text, and its split index.
 * Each document also has a `seq`: an integer the store assigns at insertion, never reused and
 * never changed (even when the document is overwritten), in insertion order. Indexes built
 * from the store (BM25, vectors) name documents by seq; docstore_get_seq maps back.
 *
 * Filters (Haystack 1.x syntax), given as JSON text; NULL, "" or "{}" match everything:
 *   {"field": value}               $eq      {"field": [v1, v2]}       $in
 *   {"field": {"$gte": 3, "$lt": 5}}  every operator of the field must hold
 *   operators: $eq $ne $in $nin $gt $gte $lt $lte;  logical: $and $or $not, nested, whose
 *   value is an object (each key one condition) or a list of objects (to repeat a key);
 *   the keys of an object are ANDed; $not holds when none of its conditions does (as
 *   Haystack's Elasticsearch and SQL stores). Values are strings, numbers or booleans.
 * Fields name metadata keys, except "id", "content", "source_id" and "split_index" which name
 * the document's own fields (for labels: "id", "question", "answer", "document_id", "origin",
 * "created_at", "is_correct_answer", "is_correct_document", "no_answer"). A metadata value
 * that is a list matches when any element does (as Elasticsearch); $ne and $nin hold when no
 * element matches, including when the field is missing. Comparisons are typed: numbers
 * compare with numbers, strings with strings (ISO dates compare as text), booleans only
 * with booleans. An unknown operator is an error that names it. Filters compile to SQL over
 * json_each with every value bound as a parameter, never pasted into the SQL text.
 *
 * Errors: every function returns 0 or a negative NEEDLE_E* code with a message naming the
 * store file; a full disk is NEEDLE_EIO "... disk is full" and rolls the transaction back. */
#ifndef NEEDLE_DOCSTORE_H
#define NEEDLE_DOCSTORE_H

#include <stddef.h>

#define DOCSTORE_SCHEMA_VERSION 1
#define DOCSTORE_APPLICATION_ID 0x4E444C53 /* "NDLS" */

typedef struct docstore docstore;

enum {
    DOCSTORE_READONLY = 1, /* open for reading only */
    DOCSTORE_CREATE = 2,   /* create the file and the schema when missing */
};

int docstore_open(docstore **out, const char *path, int flags);
/* Durability of this connection's commits (the write-ahead log either way):
 *   0 (the default, synchronous=NORMAL): a committed transaction is in the log file, written
 *     through the operating system, before the call returns: it survives the process being
 *     killed or crashing; the log is fsynced at checkpoints only, so an operating-system crash
 *     or power failure may lose the last transactions (never half-applied ones);
 *   1 (synchronous=FULL): the log is also fsynced at every commit, so a committed transaction
 *     survives a power failure too, at the cost of one fsync per transaction. */
int docstore_set_durable(docstore *ds, int durable);
void docstore_close(docstore *ds);
const char *docstore_path(const docstore *ds);

/* An explicit transaction around many calls (each call is otherwise its own transaction):
 * everything between begin and commit lands together or not at all. */
int docstore_begin(docstore *ds);
int docstore_commit(docstore *ds);
void docstore_rollback(docstore *ds);

/* A counter raised by every transaction that changes documents; an index built from the store
 * records it to tell whether it is stale. */
int docstore_generation(docstore *ds, long long *generation);

/* ------------------------------------------------------------------ documents */

typedef struct {
    const char *id;          /* NULL: murmur3_hex_id(content) */
    const char *content;
    const char *meta_json;   /* a JSON object, or NULL for {} */
    const char *source_id;   /* the document this passage was cut from, or NULL */
    long long source_start, source_end; /* code points in the source's original text; -1: unknown */
    int split_index;         /* position among the source's passages; -1: not a split */
} docstore_doc;

/* All fields NULL or -1. */
void docstore_doc_init(docstore_doc *d);

typedef enum {
    DOCSTORE_DUP_FAIL,      /* an existing id is an error (the whole call is rolled back) */
    DOCSTORE_DUP_SKIP,      /* keep the existing document */
    DOCSTORE_DUP_OVERWRITE, /* replace content and fields; seq stays; embeddings of a changed
                               content are dropped */
} docstore_dup;

/* "fail", "skip", "overwrite". */
int docstore_dup_parse(const char *name, docstore_dup *out);

/* Insert n documents in one transaction (or inside the caller's). `added` (may be NULL) gets
 * how many were inserted or overwritten, not skipped. */
int docstore_add(docstore *ds, const docstore_doc *docs, size_t n, docstore_dup dup, size_t *added);

/* A document read back. Strings from docstore_get/_get_seq are owned (docstore_record_free);
 * those from docstore_iter_next_doc are valid until the next call on the iterator. */
typedef struct {
    long long seq;
    const char *id, *content, *meta_json, *source_id; /* source_id NULL when none */
    long long source_start, source_end;
    int split_index;
    void *owned_;
} docstore_record;

int docstore_get(docstore *ds, const char *id, docstore_record *out);   /* NEEDLE_ENOTFOUND */
int docstore_get_seq(docstore *ds, long long seq, docstore_record *out);
void docstore_record_free(docstore_record *r);

int docstore_count(docstore *ds, const char *filters, long long *n);
/* Delete the documents matching `filters` (NULL: all), with their embeddings. */
int docstore_delete(docstore *ds, const char *filters, long long *deleted);
int docstore_delete_ids(docstore *ds, const char *const *ids, size_t n, long long *deleted);

/* The seqs of the documents matching `filters`, ascending (malloc'ed): the allowed set that
 * filtered BM25 and vector searches take. */
int docstore_filter_seqs(docstore *ds, const char *filters, long long **seqs, size_t *n);

/* Check a filter's syntax without a store; the message names the bad operator or field. */
int docstore_filters_check(const char *filters);

typedef struct docstore_iter docstore_iter;

/* Documents matching `filters` in seq order; with `without_embedding` set, only those that
 * have no embedding for that model yet (what a dense retriever still has to embed). */
int docstore_iter_docs(docstore *ds, const char *filters, const char *without_embedding, docstore_iter **it);
/* 1: a document in *rec; 0: the end; < 0: an error. */
int docstore_iter_next_doc(docstore_iter *it, docstore_record *rec);
void docstore_iter_free(docstore_iter *it);

/* ------------------------------------------------------------------ embeddings */

/* Register a model's dimension, or check it against the registered one. */
int docstore_embedding_model(docstore *ds, const char *model, int dim);
/* NEEDLE_ENOTFOUND when the model has no embeddings. */
int docstore_embedding_dim(docstore *ds, const char *model, int *dim);
/* Store (or replace) the float32 vectors vecs[i*dim .. ) of documents ids[i]; the model is
 * registered on first use, and `dim` must match. Unknown ids are an error. */
int docstore_embeddings_put(docstore *ds, const char *model, const char *const *ids, const float *vecs, size_t n, int dim);
int docstore_embedding_get(docstore *ds, const char *model, const char *id, float *vec, int dim);

typedef struct {
    size_t n;
    int dim;
    long long *seqs; /* ascending */
    char **ids;
    float *vectors;  /* n * dim, row i belongs to seqs[i] / ids[i] */
} docstore_embeddings;

/* Every embedding of `model` for documents matching `filters`, in seq order: the input of a
 * vector index build. */
int docstore_embeddings_load(docstore *ds, const char *model, const char *filters, docstore_embeddings *out);
void docstore_embeddings_free(docstore_embeddings *e);
/* Drop a model and all its vectors. */
int docstore_embeddings_delete(docstore *ds, const char *model);

/* ------------------------------------------------------------------ labels */

#define DOCSTORE_ORIGIN_FEEDBACK "user-feedback"
#define DOCSTORE_ORIGIN_GOLD "gold-label"

/* A QA label (Haystack's Label): feedback from users or gold answers from a data set. */
typedef struct {
    long long id;              /* assigned by the store */
    const char *question;
    const char *answer;        /* "" for no answer */
    long long answer_start, answer_end; /* code points in the document's content; -1: none */
    const char *document_id;   /* may be NULL */
    int is_correct_answer, is_correct_document, no_answer;
    const char *origin;        /* DOCSTORE_ORIGIN_FEEDBACK or DOCSTORE_ORIGIN_GOLD */
    const char *created_at;    /* ISO 8601 UTC; NULL when adding: now */
    const char *meta_json;     /* a JSON object, or NULL for {} */
} docstore_label;

void docstore_label_init(docstore_label *l);
/* Add labels in one transaction; ids (may be NULL) receives their ids. */
int docstore_labels_add(docstore *ds, const docstore_label *labels, size_t n, long long *ids);
int docstore_labels_count(docstore *ds, const char *filters, long long *n);
int docstore_labels_delete(docstore *ds, const char *filters, long long *deleted);
/* Labels matching `filters` in id order; strings valid until the next call. */
int docstore_iter_labels(docstore *ds, const char *filters, docstore_iter **it);
int docstore_iter_next_label(docstore_iter *it, docstore_label *label);

#endif

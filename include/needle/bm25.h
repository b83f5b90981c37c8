/* bm25.h — a BM25 inverted index: build it from a stream of documents, save it to one file,
 * open it memory-mapped, and search it for the top k documents.
 *
 * Scoring is Lucene's BM25Similarity as Anserini uses it, to the bit:
 *   idf(t)   = ln(1 + (N - df + 0.5) / (df + 0.5))         N, df: per field
 *   norm(d)  = 1 / (k1 * ((1 - b) + b * L(d) / avgdl))      L(d): the field length stored in
 *              one byte by Lucene's SmallFloat.intToByte4 and decoded back (lossy above 40)
 *   score    = sum over fields f, query terms t of  w - w / (1 + tf * norm(d)),
 *              w = field weight * (times t occurs in the query) * idf(t), all in float.
 * A document has one or several fields (e.g. "title" and "contents"), each with its own
 * statistics and length normalisation, as Anserini's multifield indexes; scores are summed.
 *
 * Documents are numbered 0..n-1 in the order they were added; their string ids are kept
 * and looked up both ways. Search returns the k best by score, ties broken by the lower
 * document number (Lucene's order), optionally restricted to allowed documents (a bitset or
 * a callback, for metadata filters). The default search uses MaxScore dynamic pruning with
 * per-term and per-block score bounds; bm25_search_exhaustive scores every posting and is
 * the reference that tests compare the pruned search with.
 *
 * The file: magic "NDLBM25\n", version, fixed 128-byte header with section offsets, then the
 * fields' statistics, document ids, one norm byte per (field, document), the sorted term
 * dictionary, and per (term, field) a posting list of 128-document blocks (delta + varint
 * coded) behind a skip table holding each block's last document and score bound. It is
 * written atomically (temporary file, fsync, rename): a crash keeps the previous index. */
#ifndef NEEDLE_BM25_H
#define NEEDLE_BM25_H

#include <stddef.h>
#include <stdint.h>

#include "needle/analyzer.h"

#define BM25_MAX_FIELDS 8
#define BM25_FIELD_NAME_MAX 31

/* ---- building ---- */

typedef struct bm25_builder bm25_builder;

/* A builder for documents with `n_fields` fields named `field_names` (1..BM25_MAX_FIELDS,
 * each 1..31 bytes). */
int bm25_builder_new(bm25_builder **out, int n_fields, const char *const *field_names);
void bm25_builder_free(bm25_builder *b);
/* Add one document: its id (unique, non-empty) and one UTF-8 text per field (NULL = empty). */
int bm25_builder_add(bm25_builder *b, const char *doc_id, const char *const *field_texts);
size_t bm25_builder_num_docs(const bm25_builder *b);
/* Write the index to `path` atomically. The builder stays usable. */
int bm25_builder_write(bm25_builder *b, const char *path);

/* ---- the index ---- */

typedef struct bm25_index bm25_index;

/* Map the index at `path`; a foreign, truncated or other-version file fails with
 * NEEDLE_EFORMAT and a message naming the file and the problem. */
int bm25_index_open(bm25_index **out, const char *path);
void bm25_index_close(bm25_index *ix);
uint32_t bm25_index_num_docs(const bm25_index *ix);
uint64_t bm25_index_num_terms(const bm25_index *ix);
int bm25_index_num_fields(const bm25_index *ix);
const char *bm25_index_field_name(const bm25_index *ix, int field);
/* Field `field`'s index of `name`, or -1. */
int bm25_index_field_find(const bm25_index *ix, const char *name);
/* Documents with at least one term in the field, and the field's total number of terms. */
void bm25_index_field_stats(const bm25_index *ix, int field, uint32_t *doc_count, uint64_t *total_terms);
/* The string id of document `doc` (NUL-terminated, valid while the index is open). */
const char *bm25_index_doc_id(const bm25_index *ix, uint32_t doc);
/* 1 and the document number of `doc_id` if present, else 0. */
int bm25_index_doc_find(const bm25_index *ix, const char *doc_id, uint32_t *doc);
/* Document frequency of an analysed term in a field (0 when absent). */
uint32_t bm25_index_doc_freq(const bm25_index *ix, const char *term, int field);

/* ---- searching ---- */

typedef struct {
    uint32_t doc;
    float score;
} bm25_hit;

typedef struct {
    double k1, b;                   /* Lucene/Anserini defaults: 0.9 and 0.4 */
    const double *field_weights;    /* one per field; NULL = 1 for every field */
    const uint64_t *allow_bits;     /* bit d (word d/64, bit d%64) set = doc d allowed; NULL = all */
    int (*allow)(void *ctx, uint32_t doc); /* non-zero = allowed; NULL = all */
    void *allow_ctx;
} bm25_query_opts;

void bm25_query_opts_default(bm25_query_opts *o);

/* Per-thread search state (an analyzer and scratch memory) over an open index. */
typedef struct bm25_searcher bm25_searcher;
int bm25_searcher_new(bm25_searcher **out, const bm25_index *ix);
void bm25_searcher_free(bm25_searcher *s);
/* The best min(k, matches) documents for `query` into hits[0..*n_hits), best first.
 * `opts` NULL = defaults. */
int bm25_search(bm25_searcher *s, const char *query, size_t k, const bm25_query_opts *opts, bm25_hit *hits,
                size_t *n_hits);
/* The same result by scoring every posting of every query term (the reference). */
int bm25_search_exhaustive(bm25_searcher *s, const char *query, size_t k, const bm25_query_opts *opts,
                           bm25_hit *hits, size_t *n_hits);

/* ---- Lucene's arithmetic, exposed for tests ---- */

/* SmallFloat.intToByte4 / byte4ToInt: a field length in one byte, and back. */
uint8_t bm25_length_to_byte(uint32_t length);
uint32_t bm25_byte_to_length(uint8_t b);
/* BM25Similarity.idf as float. */
float bm25_idf(uint64_t doc_freq, uint64_t doc_count);
/* One term's score: weight - weight / (1 + tf * norm_inverse), in float without fused ops. */
float bm25_term_score(float weight, float norm_inverse, uint32_t tf);
/* 1 / (k1 * ((1 - b) + b * length / avgdl)) in float, as Lucene fills its norm cache. */
float bm25_norm_inverse(float k1, float b, uint32_t length, float avgdl);

#endif

/* dpr_data.h — retriever training data: DPR records read as a stream, a bounded shuffle
 * buffer over that stream, records built from BEIR qrels, and the DPR writer.
 *
 * A DPR record (facebookresearch/DPR's biencoder-*.json, and what Haystack 1.x reads):
 *   {"question": "...", "answers": ["..."],
 *    "positive_ctxs":      [{"title": "...", "text": "...", "passage_id": "..."}, ...],
 *    "negative_ctxs":      [...],   random negatives ("other negatives" here)
 *    "hard_negative_ctxs": [...]}   e.g. BM25 hits that do not contain the answer
 * with Haystack's aliases: the question may be "question", "questions" or "query"; positives
 * "positive_ctxs", "positive_contexts", "positive_ctx" or "positive_context"; hard negatives
 * "hard_negative_ctxs", "hard_negative_contexts", "hard_negative_ctx" or
 * "hard_negative_context". In a passage, "title" may be absent (read as ""), "passage_id"
 * may be a string or a number (kept as its text) and an element may also be a bare string
 * (the text). Other members are ignored. A passage's score (a teacher's score for MarginMSE,
 * or a retriever's, as DPR's files carry) is read from the member named by score_field: a
 * number or a string holding one.
 *
 * The file is a top-level JSON array of records (DPR's layout) or one record per line (JSON
 * lines); both are read with yajl's streaming parser in 64 KiB pieces, so memory does not
 * depend on the file's size. To keep a record's own size bounded as well (DPR's NQ records
 * carry ~150 passages), only the passages training can use are kept: the first
 * num_positives positives and a uniform random sample (reservoir sampling, from the stream's
 * seed) of num_hard_negatives hard and num_other_negatives other negatives — or the first
 * ones when sampling is off. A record with no positive is skipped and counted (DPR skips
 * them too). Errors name the file and the line: malformed JSON, invalid UTF-8, a record
 * without a question, a passage without text, a member of the wrong type.
 *
 * The shuffle buffer: a stream can be read only in order, so records are shuffled through a
 * buffer of K records (TensorFlow's shuffle buffer): the buffer is filled with the first K,
 * each draw takes a uniformly random slot and refills it from the stream. A record can move
 * at most K places earlier than its position in the file, and when the file has at most K
 * records the order is a uniform random permutation. Memory: K records. */
#ifndef NEEDLE_DPR_DATA_H
#define NEEDLE_DPR_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "needle/json.h"
#include "needle/trec.h"

typedef struct {
    const char *title;   /* "" when absent */
    const char *text;
    const char *id;      /* passage_id, "" when absent */
    double score;        /* the member named by score_field, NAN when absent */
} dpr_passage;

typedef enum { DPR_POS = 0, DPR_HARD = 1, DPR_OTHER = 2, DPR_KINDS = 3 } dpr_kind;

/* One record in one allocation (free() it): the strings and the passage arrays live in the
 * same block. */
typedef struct {
    const char *question;
    const char *const *answers;
    int n_answers;
    dpr_passage *ctx[DPR_KINDS];  /* positives, hard negatives, other negatives */
    int n_ctx[DPR_KINDS];
    long long line;               /* where the record starts in its file (0: built in memory) */
} dpr_record;

typedef struct {
    int keep[DPR_KINDS];          /* passages kept per kind (< 0: all) */
    int sample[DPR_KINDS];        /* 1: a uniform random sample of them; 0: the first ones */
    const char *score_field;      /* passage member holding its score ("score"), or NULL */
} dpr_read_opts;

/* Keep everything (for conversion and inspection): all passages, no sampling. */
void dpr_read_opts_all(dpr_read_opts *o);

/* ---------------------------------------------------------------- the stream */

typedef struct dpr_stream dpr_stream;

/* Open `path` ("-" is standard input); `seed` drives the reservoir sampling. */
int dpr_stream_open(dpr_stream **out, const char *path, const dpr_read_opts *o, uint64_t seed);
/* 1 and the next record in *rec (the caller frees it); 0 at the end; < 0 an error. */
int dpr_stream_next(dpr_stream *s, dpr_record **rec);
/* Records read so far, and those skipped for having no positive. */
void dpr_stream_counts(const dpr_stream *s, size_t *records, size_t *skipped);
void dpr_stream_close(dpr_stream *s);
/* Read the whole file once: the number of usable records and of skipped ones (a full check
 * of the file before training starts on it). */
int dpr_stream_count(const char *path, const dpr_read_opts *o, size_t *records, size_t *skipped);

/* ---------------------------------------------------------------- the shuffle buffer */

typedef struct dpr_shuffle dpr_shuffle;

/* A stream of `path` shuffled through `buffer` records (>= 1; 1 keeps file order); `seed`
 * drives both the draws and the stream's sampling. */
int dpr_shuffle_open(dpr_shuffle **out, const char *path, const dpr_read_opts *o, size_t buffer, uint64_t seed);
/* 1 and a record (the caller frees it), 0 when every record has been drawn, < 0 an error. */
int dpr_shuffle_next(dpr_shuffle *sh, dpr_record **rec);
void dpr_shuffle_close(dpr_shuffle *sh);

/* ---------------------------------------------------------------- records in memory */

/* Build one record from parts (copied). answers/ctx arrays may be NULL when their count is 0. */
int dpr_record_build(const char *question, const char *const *answers, int n_answers,
                     const dpr_passage *const ctx[DPR_KINDS], const int n_ctx[DPR_KINDS], dpr_record **out);

/* BEIR as training pairs: one record per query of the qrels with at least one document
 * judged relevant (rel >= 1): the query's text, and those documents (title, text, _id) as
 * positives. Queries without relevant documents are skipped; a judged document missing from
 * the corpus, or a query missing from the queries file, is an error naming it. */
int dpr_records_from_beir(const char *corpus, const char *queries, const trec_qrels *qrels, dpr_record ***records,
                          size_t *n);
void dpr_records_free(dpr_record **records, size_t n);

/* ---------------------------------------------------------------- writing */

/* One record as a DPR JSON object (question, answers, positive_ctxs, negative_ctxs,
 * hard_negative_ctxs; passages with title, text, passage_id and, when not NAN, "score"). */
void dpr_record_write(jsonw *w, const dpr_record *r);

#endif

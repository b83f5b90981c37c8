/* docread.h — reading documents to index from files: JSON lines, a BEIR corpus, SQuAD files
 * (contexts, with their questions and answers) and plain text (one document per file).
 *
 * Readers stream: each document is handed to a callback as it is read, so a corpus of any
 * size goes through in constant memory (SQuAD files, which are one JSON document, excepted).
 * Every problem is reported as "<file>:<line>: <problem>" (JSON lines) or "<file>: <field
 * path>: <problem>" (SQuAD), and the callback's own error stops the reading and is returned.
 * SQuAD files go through the one SQuAD reader, squad_load (squad.h), so that indexing and
 * training read the same variants and re-locate answers by the same rule. */
#ifndef NEEDLE_DOCREAD_H
#define NEEDLE_DOCREAD_H

#include <stddef.h>

#include "needle/squad.h"

typedef enum { DOCFMT_AUTO = 0, DOCFMT_JSONL, DOCFMT_BEIR, DOCFMT_SQUAD, DOCFMT_TEXT } doc_format;

/* "auto", "jsonl", "beir", "squad", "text". */
int doc_format_parse(const char *name, doc_format *out);
const char *doc_format_name(doc_format f);
/* What `auto` picks: a directory holding corpus.jsonl or a file named corpus.jsonl → beir;
 * *.jsonl → jsonl; *.json → squad; anything else → text. */
doc_format doc_format_detect(const char *path);

typedef struct {
    const char *text;
    long long start; /* in code points of the context: where the text is when `located` */
    int located;     /* 0: answer_start missed the text (or was absent, or the text is empty) and
                      * the reader was asked to keep it as it is (SQUAD_OFFSETS_KEEP) */
} doc_answer;

typedef struct {
    const char *id;          /* the question id as text (integer ids exactly, in decimal) */
    const char *question;
    int is_impossible;       /* SQuAD 2.0's flag; true when absent and there are no answers */
    const doc_answer *answers;
    size_t n_answers;        /* the answers (SQuAD 2.0's plausible answers are not among them) */
} doc_question;

typedef struct {
    const char *id;          /* the document's own id, or NULL (then its content hash names it) */
    const char *content;     /* valid UTF-8 */
    size_t len;
    const char *meta_json;   /* a JSON object: "meta"/"metadata" plus "title", or the file name */
    const doc_question *questions; /* SQuAD only */
    size_t n_questions;
    const char *origin;      /* "file:line" or "file: data[i].paragraphs[j]" for messages */
} doc_input;

/* Called once per document; a non-zero return stops reading and is returned. */
typedef int (*doc_callback)(void *ctx, const doc_input *doc);

typedef struct {
    /* SQuAD answers whose answer_start misses their text: SQUAD_OFFSETS_KEEP hands them over
     * unlocated (Haystack's rule for gold labels: not used); SQUAD_OFFSETS_FIX re-locates them
     * to the nearest occurrence and drops those not in the context (squad.h) */
    squad_offsets_mode squad_offsets;
    squad_load_stats *squad_stats; /* when not NULL: the SQuAD reader's counts for this file
                                    * (all zero for the other formats) */
} doc_read_opts;

/* Read `path` in format `fmt` (DOCFMT_AUTO: doc_format_detect); opts NULL: SQUAD_OFFSETS_KEEP.
 * JSON lines: one object per line with "content" or "text", optional "id" or "_id" (string or
 * integer, read exactly), "title", "meta" (object); blank lines are skipped. BEIR:
 * corpus.jsonl lines with "_id", "title", "text", "metadata". SQuAD: read by squad_load (every
 * variant squad.h accepts), one document per paragraph with meta {"title"}. Text: the file,
 * meta {"name": base name}. */
int doc_read(const char *path, doc_format fmt, const doc_read_opts *opts, doc_callback cb, void *ctx);

#endif

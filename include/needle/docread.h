/* docread.h — reading documents to index from files: JSON lines, a BEIR corpus, SQuAD files
 * (contexts, with their questions and answers) and plain text (one document per file).
 *
 * Readers stream: each document is handed to a callback as it is read, so a corpus of any
 * size goes through in constant memory (SQuAD files, which are one JSON document, excepted).
 * Every problem is reported as "<file>:<line>: <problem>" (JSON lines) or "<file>: <field
 * path>: <problem>" (SQuAD), and the callback's own error stops the reading and is returned. */
#ifndef NEEDLE_DOCREAD_H
#define NEEDLE_DOCREAD_H

#include <stddef.h>

typedef enum { DOCFMT_AUTO = 0, DOCFMT_JSONL, DOCFMT_BEIR, DOCFMT_SQUAD, DOCFMT_TEXT } doc_format;

/* "auto", "jsonl", "beir", "squad", "text". */
int doc_format_parse(const char *name, doc_format *out);
const char *doc_format_name(doc_format f);
/* What `auto` picks: a directory holding corpus.jsonl or a file named corpus.jsonl → beir;
 * *.jsonl → jsonl; *.json → squad; anything else → text. */
doc_format doc_format_detect(const char *path);

typedef struct {
    const char *text;
    long long start; /* answer_start in code points of the context, as SQuAD gives it */
} doc_answer;

typedef struct {
    const char *id;          /* the question id as text ("" when absent) */
    const char *question;
    int is_impossible;       /* SQuAD 2.0; also true when the question has no answers */
    const doc_answer *answers;
    size_t n_answers;
} doc_question;

typedef struct {
    const char *id;          /* the document's own id, or NULL (then its content hash names it) */
    const char *content;     /* valid UTF-8 */
    size_t len;
    const char *meta_json;   /* a JSON object: "meta"/"metadata" plus "title", or the file name */
    const doc_question *questions; /* SQuAD only */
    size_t n_questions;
    const char *origin;      /* "file:line" or "file" for messages */
} doc_input;

/* Called once per document; a non-zero return stops reading and is returned. */
typedef int (*doc_callback)(void *ctx, const doc_input *doc);

/* Read `path` in format `fmt` (DOCFMT_AUTO: doc_format_detect). JSON lines: one object per
 * line with "content" or "text", optional "id" (string or integer), "title", "meta" (object);
 * blank lines are skipped. BEIR: corpus.jsonl lines with "_id", "title", "text", "metadata".
 * SQuAD: {"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}. Text: the file,
 * meta {"name": base name}. */
int doc_read(const char *path, doc_format fmt, doc_callback cb, void *ctx);

#endif

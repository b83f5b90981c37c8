/* preprocess.h — turning raw documents into passages for the document store: cleaning,
 * sentence splitting, and splitting into passages by word, sentence or paragraph.
 *
 * It follows Haystack 1.x's PreProcessor (clean_whitespace, clean_empty_lines,
 * clean_header_footer, split_by, split_length, split_overlap, split_respect_sentence_boundary)
 * with the differences listed in docs/search-store.md. The pieces, in the order they run:
 *
 *   text_clean      deletes characters (never rewrites them) and keeps, for every byte of the
 *                   cleaned text, its offset in the original; so every passage can say where
 *                   it came from in the ORIGINAL text, which is what a user can open and check.
 *   sentence_split  a rule-based English splitter (abbreviations, initials, decimals; the
 *                   word lists are in src/search/sentence_split.c and docs/search-store.md).
 *   preprocess_document  units (words, sentences or paragraphs) of the cleaned text grouped
 *                   into passages of split_length units with split_overlap units shared.
 *
 * Offsets: byte offsets are [start, end) into the UTF-8 text; "char" offsets count Unicode
 * code points (what Python's str indexes and SQuAD's answer_start count). A passage's content
 * is the cleaned text between its cleaned offsets; the original text between its original
 * offsets, with the characters that cleaning deleted taken out, is the same string. Without
 * cleaning (or on already clean text) original[start, end) == content exactly. */
#ifndef NEEDLE_PREPROCESS_H
#define NEEDLE_PREPROCESS_H

#include <stddef.h>

#include "needle/utf8.h" /* utf8_char_count, utf8_byte_offset: code points <-> bytes */

typedef struct {
    size_t start, end; /* byte offsets [start, end) */
} text_span;

/* ------------------------------------------------------------------ sentences */

/* Split `text` into sentences. Each span excludes the whitespace around the sentence; spans
 * are in order and cover every non-whitespace byte. A sentence ends at . ! ? or … (plus any
 * closing quotes or brackets) followed by whitespace, unless the next word starts in lower
 * case, or the period ends an abbreviation (see sentence_split.c); a blank line always ends
 * one. *spans is malloc'ed (NULL when n == 0). */
int sentence_split(const char *text, size_t len, text_span **spans, size_t *n);

/* ------------------------------------------------------------------ cleaning */

typedef struct {
    int whitespace;   /* strip spaces and tabs at both ends of each line, and blank lines at
                         both ends of each page (Haystack clean_whitespace) */
    int empty_lines;  /* three or more line breaks in a row become two, so paragraph breaks
                         survive (Haystack clean_empty_lines) */
    int header_footer;/* remove a header and a footer repeated on every page (Haystack
                         clean_header_footer): pages are separated by form feeds (\f) */
    int hf_n_chars;   /* the header is searched in the first n bytes of a page, the footer in
                         the last n (300) */
    int hf_first_pages_to_ignore, hf_last_pages_to_ignore; /* left out of the detection (1, 1) */
    int hf_min_words, hf_max_words; /* length range of the repeated word sequence (3, 20) */
} clean_opts;

typedef struct {
    char *text;   /* the cleaned text, NUL-terminated */
    size_t len;
    size_t *orig; /* orig[i]: offset in the original of cleaned byte i; orig[len] = original length */
} clean_text;

int text_clean(const clean_opts *o, const char *text, size_t len, clean_text *out);
void clean_text_free(clean_text *c);

/* ------------------------------------------------------------------ passages */

typedef enum { SPLIT_NONE = 0, SPLIT_WORD, SPLIT_SENTENCE, SPLIT_PASSAGE } split_unit;

typedef struct {
    clean_opts clean;
    split_unit split_by;   /* word: whitespace-separated words; sentence: sentence_split;
                              passage: paragraphs separated by blank lines; none: one passage */
    int split_length;      /* units per passage (>= 1) */
    int split_overlap;     /* units shared by consecutive passages (0 <= overlap < length) */
    int respect_sentences; /* split_by word only: passages hold whole sentences, at most
                              split_length words unless one sentence alone is longer; the
                              overlap is whole sentences holding at least split_overlap words */
} preprocess_opts;

/* Haystack 1.x's defaults: clean whitespace and empty lines, no header/footer removal, split
 * by word, 200 words, no overlap, respecting sentence boundaries. */
void preprocess_opts_default(preprocess_opts *o);
/* "none", "word", "sentence", "passage" (also "paragraph"). */
int split_unit_parse(const char *name, split_unit *out);
const char *split_unit_name(split_unit u);

typedef struct {
    char id[33];            /* stable id: murmur3_hex_id(content) — same text, same id */
    char *content;          /* the cleaned passage text, NUL-terminated, owned by the list */
    size_t len;             /* bytes in content */
    size_t start, end;      /* byte offsets in the original text */
    size_t char_start, char_end;   /* the same in code points */
    size_t clean_start, clean_end; /* byte offsets in the cleaned text */
    int split_index;        /* 0-based position among the document's passages */
    int page;               /* 1 + the number of form feeds before `start` */
} passage;

typedef struct {
    passage *items;
    size_t n;
    clean_text clean;       /* kept for preprocess_locate */
} passage_list;

/* Clean and split one document. Passages that would be empty are dropped. Fails with
 * NEEDLE_EINVAL (message naming the option) for inconsistent options. */
int preprocess_document(const preprocess_opts *o, const char *text, size_t len, passage_list *out);
void passage_list_free(passage_list *pl);

/* Find the passage that holds the original text's code points [char_start, char_end) whole
 * (a SQuAD answer) and give the span in code points of that passage's content. When several
 * passages hold it (overlap), the first. NEEDLE_ENOTFOUND when the span crosses a passage
 * boundary or was deleted by cleaning; NEEDLE_EINVAL when it lies outside the text. `text`
 * and `len` are the original document given to preprocess_document. */
int preprocess_locate(const passage_list *pl, const char *text, size_t len, size_t char_start,
                      size_t char_end, size_t *passage_index, size_t *pchar_start, size_t *pchar_end);

#endif

/* squad.h — SQuAD-format question answering data in memory: reading v1.1 and v2.0 files and
 * the variants users have, re-locating misplaced answers, carving a dev split, writing the
 * format back.
 *
 * A dataset is four flat arrays — articles, paragraphs, questions, answers — each element
 * pointing at its children by a contiguous index range, in file order. Strings are owned by
 * the dataset (UTF-8, NUL-terminated).
 *
 * Reading (squad_load) accepts:
 *   - "version" "1.1", "v2.0" or absent; unknown values are ignored with a warning;
 *   - question ids as strings or as JSON integers of any size (kept in decimal, exactly as
 *     Python's str(int) writes them, so that prediction files keyed by them match);
 *   - "is_impossible" true/false or absent; "plausible_answers"; several answers per question;
 *     "answers" as a list of {text, answer_start}, as Hugging Face datasets' {"text": [...],
 *     "answer_start": [...]}, empty, or absent (a question without answers and without
 *     "is_impossible" is read as impossible);
 *   - "context" before or after "qas", "title" absent; a paragraph "id" (Haystack's feedback
 *     exports name the document so) is kept when it is a string and written back.
 * Offsets are character offsets in Unicode code points, as Python counts them. Each answer
 * also carries its byte span in the context, which is what tokenizers' offsets use.
 *
 * Offsets (mode SQUAD_OFFSETS_FIX, for training): an answer whose answer_start does not point
 * at its text is re-located to the occurrence of the text in the context nearest to
 * answer_start (ties: the earlier one); an answer whose text occurs nowhere in the context, or
 * is empty, is dropped, and an answerable question left with no answer is dropped. Mode
 * SQUAD_OFFSETS_KEEP (for evaluation, which compares answer text only) checks and counts the
 * same way but changes and drops nothing. Either way the counts are in ds->stats and in one
 * log line (a warning when anything was fixed or dropped): never silent.
 *
 * Invalid UTF-8 anywhere in the file is an error naming the file, line and column. */
#ifndef NEEDLE_SQUAD_H
#define NEEDLE_SQUAD_H

#include <stddef.h>
#include <stdint.h>

#include "needle/strbuf.h"

typedef enum { SQUAD_V1 = 1, SQUAD_V2 = 2 } squad_version;

typedef struct {
    char *text;            /* as in the file */
    long long start;       /* answer_start in code points; -1 when the file gives none */
    size_t byte_start;     /* the span context[byte_start, byte_end) in UTF-8 bytes, */
    size_t byte_end;       /*   meaningful only when `located` */
    int located;           /* 1 when context[start : start + len(text)] == text */
} squad_answer;

typedef struct {
    char *id;              /* a string; integer ids in decimal */
    char *question;
    int is_impossible;     /* the file's flag (or 1 when absent and there is no answer) */
    size_t paragraph;      /* index into paragraphs */
    size_t first_answer;   /* answers[first_answer, +n_answers) are the answers, */
    size_t n_answers;      /*   then answers[first_answer + n_answers, +n_plausible) */
    size_t n_plausible;    /*   the plausible answers of an impossible question */
} squad_question;

typedef struct {
    char *context;
    char *id;              /* the paragraph's "id" (Haystack's exports: the document's id); NULL */
    size_t context_bytes;  /* strlen(context) */
    size_t context_chars;  /* length in code points */
    size_t article;
    size_t first_question, n_questions;
} squad_paragraph;

typedef struct {
    char *title;           /* NULL when the file has none */
    size_t first_paragraph, n_paragraphs;
} squad_article;

/* What reading found. The answer counts cover answers and plausible answers together. */
typedef struct {
    size_t answers_exact;      /* answer_start pointed at the text */
    size_t answers_fixed;      /* re-located to the nearest occurrence of the text */
    size_t answers_no_start;   /* no answer_start in the file: located at the first occurrence */
    size_t answers_not_found;  /* text not in the context (dropped in FIX mode) */
    size_t answers_empty;      /* empty text (dropped in FIX mode) */
    size_t questions_dropped;  /* answerable questions left without answers (FIX mode) */
    size_t duplicate_ids;      /* questions whose id an earlier question has */
} squad_load_stats;

typedef struct {
    squad_version version;     /* detected (see squad_detect_version) or forced */
    char *version_field;       /* the file's "version", NULL when absent */
    squad_article *articles;
    squad_paragraph *paragraphs;
    squad_question *questions;
    squad_answer *answers;
    size_t n_articles, n_paragraphs, n_questions, n_answers;
    size_t cap_articles, cap_paragraphs, cap_questions, cap_answers;
    squad_load_stats stats;
} squad_dataset;

typedef enum { SQUAD_OFFSETS_FIX = 0, SQUAD_OFFSETS_KEEP = 1 } squad_offsets_mode;

typedef struct {
    squad_offsets_mode offsets;
    int version;               /* 0: detect; 1 or 2: force */
} squad_load_opts;

/* Read a SQuAD JSON file (opts NULL: FIX mode, detect the version). */
int squad_load(const char *path, const squad_load_opts *opts, squad_dataset *ds);
/* The same from text in memory; `origin` names it in messages. */
int squad_parse(const char *text, size_t len, const char *origin, const squad_load_opts *opts,
                squad_dataset *ds);

/* The version rule: the "version" field when it names 1.x or 2.x; otherwise v2.0 when any
 * question is impossible (is_impossible true, or no answers) or has plausible answers;
 * otherwise v1.1. squad_load applies it to the file as written (before FIX mode drops
 * anything; a "plausible_answers" field counts even when empty); this function applies it to
 * a dataset built in memory. */
squad_version squad_detect_version(const squad_dataset *ds);
/* Parse "1.1", "v2.0", "2", ... into SQUAD_V1/SQUAD_V2; 0 when it names neither. */
int squad_version_parse(const char *text);

/* Building a dataset in memory (the reader uses these; so do exporters). Each call appends to
 * the last element of the level above: a paragraph to the last article, a question to the
 * last paragraph, an answer to the last question (answers before plausible answers). */
void squad_dataset_init(squad_dataset *ds);
void squad_dataset_free(squad_dataset *ds);
int squad_add_article(squad_dataset *ds, const char *title);
int squad_add_paragraph(squad_dataset *ds, const char *context);
/* Give the last paragraph an id (a copy; NULL clears it). */
int squad_set_paragraph_id(squad_dataset *ds, const char *id);
int squad_add_question(squad_dataset *ds, const char *id, const char *question, int is_impossible);
/* `start` in code points (-1: unknown); the byte span and `located` are computed here. */
int squad_add_answer(squad_dataset *ds, const char *text, long long start, int plausible);

/* Serialise as SQuAD JSON: v1.1 ({"data", "version": "1.1"}; fails when a question has no
 * answer) or v2.0 (adds "is_impossible" and "plausible_answers"). squad_write writes the file
 * atomically. */
int squad_serialize(const squad_dataset *ds, squad_version version, strbuf *out);
int squad_write(const squad_dataset *ds, const char *path, squad_version version);

/* Carve a dev split out of `all` when no dev file is given. The unit of the split is a group of
 * articles that share a title or any identical context, so no context is in both halves (with a
 * single group the unit falls back to paragraphs, grouped by identical context). Units are
 * shuffled by a generator seeded with `seed` (rng.h) and taken into dev, in that order, while
 * dev holds fewer than dev_fraction of all questions; the rest is train. Both outputs keep the
 * input's order. The same input, fraction and seed give the same split on every machine.
 * dev_fraction must be in (0, 1); fails when the data has fewer than two units. */
int squad_split(const squad_dataset *all, double dev_fraction, uint64_t seed, squad_dataset *train,
                squad_dataset *dev);

#endif

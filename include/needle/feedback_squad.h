/* feedback_squad.h — user feedback (the store's "user-feedback" labels) as SQuAD training data:
 * the one converter behind GET /export-feedback and `needle reader train --from-feedback`, so
 * that a model trained from the store and one trained from an exported file see the same
 * examples in the same order.
 *
 * Haystack 1.x's export rules: one article per label (no title), holding one paragraph
 * {context, id: the document's id} with one question {id: the label's id, is_impossible}:
 *   - answer and document both wrong: an impossible question (no answers); so is a label that
 *     confirms "no answer" as correct (Haystack writes it as an empty answer, which training
 *     would drop);
 *   - right document, wrong answer: left out (neither a positive nor an impossible example),
 *     unless only_positive_labels, which keeps only labels whose answer is correct;
 *   - the context is the whole document, or (full_document_context off) a window of
 *     context_size code points centred on the answer with Haystack's arithmetic, except that
 *     the window may reach the document's last character (Haystack stops one short, which can
 *     cut off an answer at the very end).
 * The document is the one the user saw when giving the feedback (kept with the label), else the
 * store's current one. A label whose answer is not at its offset in the context, or whose
 * document is gone, is skipped with a warning naming it; never written wrong. */
#ifndef NEEDLE_FEEDBACK_SQUAD_H
#define NEEDLE_FEEDBACK_SQUAD_H

#include <stddef.h>

#include "needle/docstore.h"
#include "needle/squad.h"

typedef struct {
    int full_document_context;  /* 1 (Haystack's default): the whole document as context */
    long long context_size;     /* otherwise the window's size in code points (100000) */
    int only_positive_labels;   /* 0: also impossible questions from wrong-document labels */
} feedback_squad_opts;

feedback_squad_opts feedback_squad_defaults(void);

typedef struct {
    size_t written;   /* examples appended */
    size_t left_out;  /* right document, wrong answer: not an example by the rules above */
    size_t skipped;   /* could not be made (answer not in its context, document gone): warned */
} feedback_squad_stats;

/* Append the user feedback of `ds` to `out` (which may already hold data: a training file) as
 * SQuAD 2.0 examples, in label id order. `out` becomes v2.0 when it was empty or an example is
 * impossible. `stats` may be NULL. */
int feedback_squad_append(docstore *ds, const feedback_squad_opts *opts, squad_dataset *out,
                          feedback_squad_stats *stats);

#endif

/* squad_slice.h — SQuAD data cut down to the passages a document store holds: each question
 * goes with the passage (as `needle index` cuts its context: preprocess.h) that holds its
 * answer, with the answer's offsets moved into that passage.
 *
 * Why: data sets such as COVID-QA ask their questions about whole papers (thousands of
 * tokens). A reader trained on every window of every paper sees mostly answerless windows; a
 * dense retriever mined from SQuAD data gets the whole paper as its positive (cut to its
 * first 256 tokens). Sliced, both train on ~100-word passages around the answers — the units
 * the pipeline retrieves and reads at query time.
 *
 * Rules: an answerable question follows its first answer located in the context; its other
 * answers are kept when they lie in the same passage. Its answer text is the passage's own
 * text at the new offsets (cleaning may have changed whitespace inside it). Impossible
 * questions, questions without a located answer and answers that cross a passage boundary
 * (or were removed by cleaning) are left out and counted. Output: the input's articles in
 * order (those left with no question are dropped), one paragraph per passage holding a
 * question, in passage order; questions keep their ids. */
#ifndef NEEDLE_SQUAD_SLICE_H
#define NEEDLE_SQUAD_SLICE_H

#include <stddef.h>

#include "needle/preprocess.h"
#include "needle/squad.h"

typedef struct {
    size_t questions;      /* questions read */
    size_t kept;           /* questions written */
    size_t impossible;     /* left out: no answer to follow */
    size_t unlocated;      /* left out: no answer located in the context */
    size_t crossing;       /* left out: the answer crosses a passage boundary or was cleaned away */
    size_t other_answers;  /* further answers dropped because they lie in another passage */
    size_t passages;       /* paragraphs written */
} squad_slice_stats;

/* Slice `in` into `out` (initialised by the caller) with the preprocessing options `pre`. */
int squad_slice(const squad_dataset *in, const preprocess_opts *pre, squad_dataset *out, squad_slice_stats *st);

#endif

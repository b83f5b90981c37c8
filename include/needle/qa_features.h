/* qa_features.h — question-answering featurisation: (question, context, answer) examples
 * into the fixed-length windows an extractive reader trains and predicts on.
 *
 * The same windows as Hugging Face's run_qa preprocessing:
 *   tok(question.lstrip(), context, truncation="only_second", max_length=L, stride=S,
 *       return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length")
 * — the question is kept whole, a long context is cut into windows of L tokens in all
 * (special tokens included) that share S context tokens with the next window, and each
 * window is padded to L. (One difference is deliberate and switchable: tokenizers 0.23.1-0.23.2,
 * which transformers 5.x installs, drop every context token past the first L; by default
 * needle's windows cover the whole context as tokenizers <= 0.22.2 did.) Offsets are kept only for context tokens (code points into the
 * context; -1 elsewhere) so that a predicted token span maps straight back to answer text,
 * and every window remembers its example, which prediction needs to pick the best span
 * across windows.
 *
 * Labels follow run_qa: the answer's first and last tokens when the answer lies wholly in
 * the window's context, else 0 and 0 (the [CLS] / <s> token at index 0), which is also the
 * label of an example with no answer (SQuAD v2 unanswerable).
 *
 * Storage is one contiguous row of L entries per window for each field (struct of arrays),
 * ready to be sliced into batches without copying. */
#ifndef NEEDLE_QA_FEATURES_H
#define NEEDLE_QA_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "needle/tokenizer.h"

typedef struct {
    int max_length;    /* L: tokens per window, special tokens included (HF max_length) */
    int stride;        /* S: context tokens shared by consecutive windows (HF stride) */
    int hf_early_exit; /* 1: reproduce tokenizers 0.23.x, whose windows stop after the first L
                        * context tokens (see tok_options.hf_early_exit); 0: cover the whole context */
    int max_query_length; /* > 0: a question longer than this many tokens keeps only its first ones
                           * (HF run_squad's max_query_length); 0: questions whole (run_qa). The
                           * question text is cut after the last kept token and re-encoded, which
                           * gives the same tokens for WordPiece (greedy longest match) */
} qa_feature_options;

typedef struct {
    const char *question, *context; /* UTF-8; invalid bytes count as one U+FFFD each */
    size_t question_len, context_len; /* bytes */
    int answer_start, answer_end;   /* answer [start, end) in code points of the context; -1, -1 when none */
} qa_example;

typedef struct {
    int n;   /* windows */
    int len; /* L */
    int32_t *input_ids;      /* n × L */
    int32_t *token_type_ids; /* n × L */
    uint8_t *attention_mask; /* n × L */
    int32_t *offsets;        /* n × L × 2: [start, end) in code points of the context; -1, -1 outside it */
    int32_t *example;        /* n: the example's index (first_index + position in the call) */
    int32_t *window;         /* n: window number within its example, from 0 */
    int32_t *length;         /* n: tokens before padding */
    int32_t *context_start;  /* n: index of the window's first context token (-1 if none) */
    int32_t *context_end;    /* n: index of its last context token (-1 if none) */
    int32_t *start_position; /* n: answer's first token, or 0 */
    int32_t *end_position;   /* n: answer's last token, or 0 */
    int cap;
} qa_features;

void qa_features_init(qa_features *f, int max_length);
void qa_features_free(qa_features *f);
/* Encode n examples (on `threads` threads, 0 = all cores) and append their windows in
 * example order. Fails with NEEDLE_EINVAL naming the example when its question leaves no
 * room for context (as HF does), or when the options are impossible (stride too large). */
int qa_features_add(qa_features *f, const tokenizer *tk, const qa_feature_options *opt, const qa_example *ex, int n,
                    int first_index, int threads);

#endif

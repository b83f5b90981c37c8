/* join_documents.h — fusing the ranked lists of several retrievers into one (hybrid search),
 * with the rules of Haystack 1.x's JoinDocuments node, so that a hybrid pipeline ranks as the
 * Haystack one it replaces:
 *
 *   concatenate             each document once, with the highest of its scores (a document
 *                           without a score ranks below every scored one);
 *   merge                   score = sum over lists of weight_i * score (a missing score counts
 *                           0); weights are divided by their sum; default 1/n each;
 *   reciprocal_rank_fusion  score = sum over lists of 1 / (61 + rank), rank counted from 0 in
 *                           each list (Cormack et al.'s k = 60 for ranks counted from 1);
 *                           weights do not apply, as in Haystack.
 *
 * Documents are identified by id and met in "first seen" order (list 0 top to bottom, then
 * list 1 ...). With sort_by_score the result is ordered by joined score, descending, ties
 * keeping first-seen order (Python's stable sort); without it, first-seen order. top_k > 0
 * keeps the first top_k. */
#ifndef NEEDLE_JOIN_DOCUMENTS_H
#define NEEDLE_JOIN_DOCUMENTS_H

#include <stddef.h>

typedef enum { JOIN_CONCATENATE = 0, JOIN_MERGE = 1, JOIN_RRF = 2 } join_mode;

/* "concatenate", "merge", "reciprocal_rank_fusion"; -1 for anything else. */
int join_mode_parse(const char *name);
const char *join_mode_name(join_mode m);

typedef struct {
    const char *id;
    double score;  /* NaN: no score */
} join_item;

typedef struct {
    size_t list, index; /* where the document was first seen: lists[list][index] */
    double score;       /* its joined score */
} join_result;

/* Join n_lists lists (lists[i] holds lens[i] items, best first). `weights` (n_lists values,
 * NULL: equal) apply to merge only. *out is malloc'ed (NULL when *n_out is 0). */
int join_documents(const join_item *const *lists, const size_t *lens, size_t n_lists, join_mode mode,
                   const double *weights, int sort_by_score, size_t top_k, join_result **out, size_t *n_out);

#endif

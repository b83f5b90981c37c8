/* vector_ref.h — what the vector tests share: seeded test data (Gaussian mixtures, small
 * integer vectors with many exact ties) and the independent reference every result is
 * checked against — brute-force scoring in double precision with a full sort. */
#ifndef NEEDLE_TESTS_VECTOR_REF_H
#define NEEDLE_TESTS_VECTOR_REF_H

#include "needle/vector_index.h"

#include <stddef.h>
#include <stdint.h>

/* n rows of dim floats from a mixture of `clusters` Gaussians (centres N(0,1), spread
 * `spread`), malloc'ed. Draw corpus and queries in one call so both come from the same
 * clusters (queries from other clusters would be out-of-distribution). */
float *ref_mixture(size_t n, int dim, int clusters, double spread, uint64_t seed);
/* n rows of small integers in [-3, 3]: every product is exact in float, ties abound. */
float *ref_small_ints(size_t n, int dim, uint64_t seed);

/* Brute-force top k in double: ranks by score, then lower id; pads with -1 / -INFINITY.
 * ids NULL means row numbers. The filter decides on ids. */
void ref_topk(const float *corpus, size_t n, int dim, const int64_t *ids, const float *query, int k,
              vector_metric metric, const vector_filter *filter, int64_t *out_ids, double *out_scores);
/* The reference score of one row for a query. */
double ref_score(const float *a, const float *b, int dim, vector_metric metric);
/* Mean over nq queries of |found ∩ truth| / |truth| at k (truth entries -1 ignored). */
double ref_recall(const int64_t *found, const int64_t *truth, size_t nq, int k);

#endif

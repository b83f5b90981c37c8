/* vector_index_impl.h — the inside of a vector_index, shared by vector_index.c (create,
 * add, search) and vector_file.c (save, load). Private to src/search.
 *
 * An exact index keeps its rows in one growing float matrix (normalised on the way in for
 * cosine, so searching is a plain inner product); an HNSW index keeps them inside its graph. */
#ifndef NEEDLE_SEARCH_VECTOR_INDEX_IMPL_H
#define NEEDLE_SEARCH_VECTOR_INDEX_IMPL_H

#include "hnsw.h"
#include "needle/vector_index.h"

struct vector_index {
    vector_index_config cfg;
    size_t n, cap;   /* exact: rows held and allocated */
    int64_t *ids;    /* exact */
    float *vectors;  /* exact: [cap, dim] */
    hnsw graph;      /* HNSW */
};

/* Check a configuration; origin names the file it came from (or "vector index"). */
int vector_index_check_config(const vector_index_config *cfg, const char *origin);
/* Make room for cap rows in an exact index. */
int vector_index_reserve(vector_index *ix, size_t cap);

#endif

/* search_dense.c — dense search of a document store (see search_dense.h): embed the question,
 * exact top-k over the loaded embeddings (vector_exact_search), then the documents by seq. */
#include "needle/search_dense.h"
#include "needle/error.h"
#include "needle/vector_index.h"

#include <math.h>
#include <stdlib.h>

int search_store_dense(docstore *ds, biencoder *b, const docstore_embeddings *e, const char *query, size_t k,
                       search_hit *hits, size_t *n) {
    *n = 0;
    int D = biencoder_dim(b);
    if (e->n && e->dim != D)
        return error_set(NEEDLE_EINVAL, "%s: the stored embeddings have %d dimensions but the retriever embeds into %d "
                         "(embedded with another model?)", docstore_path(ds), e->dim, D);
    if (!e->n || !k) return 0;
    size_t kk = k < e->n ? k : e->n;
    float *q = malloc((size_t)D * sizeof *q), *scores = malloc(kk * sizeof *scores);
    int64_t *rows = malloc(kk * sizeof *rows);
    int rc = q && scores && rows ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = biencoder_embed(b, BIENC_QUERY, 1, NULL, &query, 1, q, NULL);
    if (!rc)
        rc = vector_exact_search(e->vectors, e->n, D, NULL, q, 1, (int)kk,
                                 b->cfg.similarity == BIENC_SIM_COSINE ? VECTOR_COSINE : VECTOR_IP, NULL, rows, scores);
    for (size_t i = 0; i < kk && !rc; i++) {
        if (rows[i] < 0) break;
        int got = docstore_get_seq(ds, e->seqs[rows[i]], &hits[*n].doc);
        if (got == NEEDLE_ENOTFOUND) continue;
        if ((rc = got)) break;
        hits[*n].score = scores[i];
        (*n)++;
    }
    free(q);
    free(scores);
    free(rows);
    return rc;
}

/* pair_batch.h — (query, passage) pairs into one padded model batch, the input of a
 * cross-encoder.
 *
 * Each pair is tokenized as sentence-transformers' CrossEncoder and Haystack's
 * SentenceTransformersRanker tokenize it — tokenizer(query, passage, truncation="longest_first",
 * max_length=L, padding=True): one sequence [CLS] query [SEP] passage [SEP] (or the
 * tokenizer's own pair template), the longer text shortened first until the pair fits L, token
 * types 0 for the query and 1 for the passage, and the batch padded to its longest pair (not to
 * L: short pairs cost nothing extra). Pairs are tokenized on all cores; the buffers are sized
 * once for the largest batch, so encoding allocates nothing per call once warm. */
#ifndef NEEDLE_PAIR_BATCH_H
#define NEEDLE_PAIR_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"
#include "needle/tokenizer.h"

typedef struct {
    int cap, max_len;        /* pairs per batch, tokens per pair (L) */
    int with_types;          /* hand token types to the model (BERT, ELECTRA); 0: RoBERTa, DistilBERT */
    int32_t *ids, *types, *mask; /* [cap, L] */
    tok_windows *enc;        /* cap encodings */
    size_t *qlen, *plen;     /* cap byte lengths */
} pair_batch;

/* Buffers for up to cap pairs of at most max_len tokens, for model m's family. */
int pair_batch_init(pair_batch *pb, int cap, int max_len, const model *m);
void pair_batch_free(pair_batch *pb);
/* Tokenize pairs (queries[i], passages[i]) for i < n (n <= cap; UTF-8, NUL-terminated) and
 * fill *out with the padded batch (B = n, T = the longest pair). The batch points into pb. */
int pair_batch_encode(pair_batch *pb, const tokenizer *tk, int n, const char *const *queries,
                      const char *const *passages, model_batch *out);

#endif

/* grad_cache.h — gradient caching (Gao et al., "Scaling Deep Contrastive Learning Batch Size
 * under Memory Limited Setup", 2021): in-batch-negative losses over batches far larger than
 * the activations that fit in memory.
 *
 * The loss couples every query with every passage of the batch, so the encoders' backward
 * cannot start before all embeddings exist. The cache splits the work:
 *   1. forward every chunk of `chunk` rows in training mode and keep only its pooled vectors
 *      (the chunk's activations are overwritten by the next chunk), saving the training
 *      generator's state before each chunk;
 *   2. compute the loss over the full batch and its gradient for every embedding;
 *   3. for each chunk, restore the saved generator state, run the forward again (the same
 *      dropout masks, so the same embeddings — checked bit for bit) and back-propagate the
 *      chunk's cached embedding gradients into the model's gradient block.
 * The gradients are those of one forward over the whole batch (with dropout off exactly;
 * with dropout the masks of a chunk differ from those of the same rows inside a larger
 * batch, as they would in any other chunking). Memory is the activations of one chunk of
 * rows, whatever the batch size; time is one extra forward. When a model's last forward is
 * still the chunk being back-propagated (one chunk per side with separate encoders), step 3
 * skips its re-run. Pass 1 runs in the model's training buffers rather than inference ones,
 * because dropout must be drawn exactly as in pass 3 and a model holds one set of buffers;
 * its activations are simply not kept.
 *
 * Each chunk is cut from the batch's token rows and trimmed to the chunk's own longest row. */
#ifndef NEEDLE_GRAD_CACHE_H
#define NEEDLE_GRAD_CACHE_H

#include "needle/biencoder.h"
#include "needle/rng.h"

typedef struct {
    int chunk;              /* rows per chunk */
    int n_chunks;
    rng *saved;             /* generator state before each chunk's forward */
    uint64_t last_seed;     /* dropout seed of the last chunk's forward: identifies it later */
    int last_B, last_T;
    float *emb;             /* pass-1 embeddings of this side [n, D] (owned) */
    int32_t *ids, *types, *mask; /* one trimmed chunk */
    float *pooled, *scratch;
    size_t cap_rows, cap_tokens, cap_scratch, cap_emb, cap_saved;
} grad_cache;

void grad_cache_init(grad_cache *gc);
void grad_cache_free(grad_cache *gc);

/* Pass 1: embed the n rows of `tk` with model m in chunks of `chunk` rows (m needs training
 * buffers for chunk rows of tk->T tokens). Embeddings are left in gc->emb [n, D]. */
int grad_cache_forward(grad_cache *gc, const biencoder *b, model *m, const bienc_tokens *tk, int chunk, rng *train_rng);
/* Pass 3: back-propagate d_emb [n, D] × grad_scale through every chunk. */
int grad_cache_backward(grad_cache *gc, const biencoder *b, model *m, const bienc_tokens *tk, const float *d_emb,
                        float grad_scale);

#endif

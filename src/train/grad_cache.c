/* grad_cache.c — the gradient cache of grad_cache.h: embed in chunks, keep the generator
 * states, re-run and back-propagate chunk by chunk.
 *
 * The buffers (one trimmed chunk of tokens, its pooled vectors, the pooling's backward
 * scratch, the side's embeddings) grow to the largest batch seen and are then reused, so a
 * training run allocates here only during its first steps. */
#include "needle/grad_cache.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

void grad_cache_init(grad_cache *gc) { memset(gc, 0, sizeof *gc); }

void grad_cache_free(grad_cache *gc) {
    free(gc->saved);
    free(gc->emb);
    free(gc->ids);
    free(gc->types);
    free(gc->mask);
    free(gc->pooled);
    free(gc->scratch);
    memset(gc, 0, sizeof *gc);
}

/* Room for `need` elements of `size` bytes in *p (contents are not kept). */
static int ensure(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    free(*p);
    *p = malloc(need * size);
    *cap = *p ? need : 0;
    return *p ? 0 : error_set(NEEDLE_ENOMEM, "out of memory for the gradient cache (%zu elements)", need);
}

static int reserve(grad_cache *gc, const biencoder *b, const model *m, const bienc_tokens *tk, int chunk) {
    int D = biencoder_dim(b), n_chunks = (tk->n + chunk - 1) / chunk;
    size_t tokens = (size_t)chunk * tk->T, cap = gc->cap_tokens;
    int rc = ensure((void **)&gc->ids, &cap, tokens, sizeof *gc->ids);
    cap = gc->cap_tokens;
    if (!rc) rc = ensure((void **)&gc->types, &cap, tokens, sizeof *gc->types);
    cap = gc->cap_tokens;
    if (!rc) rc = ensure((void **)&gc->mask, &cap, tokens, sizeof *gc->mask);
    gc->cap_tokens = rc ? 0 : cap;
    if (!rc) rc = ensure((void **)&gc->pooled, &gc->cap_rows, (size_t)chunk * D, sizeof *gc->pooled);
    if (!rc) rc = ensure((void **)&gc->scratch, &gc->cap_scratch, biencoder_pool_scratch(b, m, chunk, tk->T), sizeof *gc->scratch);
    if (!rc) rc = ensure((void **)&gc->emb, &gc->cap_emb, (size_t)tk->n * D, sizeof *gc->emb);
    if (!rc) rc = ensure((void **)&gc->saved, &gc->cap_saved, (size_t)n_chunks, sizeof *gc->saved);
    gc->n_chunks = n_chunks;
    gc->chunk = chunk;
    return rc;
}

/* Copy rows [first, first + B) of tk into the chunk buffers, trimmed to their longest row. */
static model_batch cut_chunk(grad_cache *gc, const bienc_tokens *tk, int first, int B) {
    int T = 1;
    for (int r = 0; r < B; r++) {
        const int32_t *mk = tk->mask + (size_t)(first + r) * tk->T;
        for (int t = tk->T - 1; t >= T; t--)
            if (mk[t]) {
                T = t + 1;
                break;
            }
    }
    for (int r = 0; r < B; r++) {
        size_t src = (size_t)(first + r) * tk->T, dst = (size_t)r * T;
        memcpy(gc->ids + dst, tk->ids + src, (size_t)T * sizeof *gc->ids);
        memcpy(gc->types + dst, tk->types + src, (size_t)T * sizeof *gc->types);
        memcpy(gc->mask + dst, tk->mask + src, (size_t)T * sizeof *gc->mask);
    }
    return (model_batch){.B = B, .T = T, .input_ids = gc->ids, .token_type_ids = gc->types, .attention_mask = gc->mask};
}

int grad_cache_forward(grad_cache *gc, const biencoder *b, model *m, const bienc_tokens *tk, int chunk, rng *train_rng) {
    if (chunk < 1 || tk->n < 1) return error_set(NEEDLE_EINVAL, "gradient cache: %d rows in chunks of %d", tk->n, chunk);
    if (!m->train || m->max_B < (chunk < tk->n ? chunk : tk->n) || m->max_T < tk->T)
        return error_set(NEEDLE_EINVAL, "gradient cache: the model needs training buffers for %d x %d tokens (has %d x %d)",
                         chunk, tk->T, m->max_B, m->max_T);
    int rc = reserve(gc, b, m, tk, chunk), D = biencoder_dim(b);
    for (int c = 0; c < gc->n_chunks && !rc; c++) {
        int first = c * chunk, B = tk->n - first < chunk ? tk->n - first : chunk;
        model_batch mb = cut_chunk(gc, tk, first, B);
        gc->saved[c] = *train_rng;
        if ((rc = model_forward(m, &mb, train_rng))) break;
        rc = biencoder_pool(b, m, mb.attention_mask, gc->emb + (size_t)first * D);
        gc->last_seed = m->dropout_seed;
        gc->last_B = B;
        gc->last_T = mb.T;
    }
    return rc;
}

/* Back-propagate chunk c; `resident`: its activations are still in the model. */
static int chunk_backward(grad_cache *gc, const biencoder *b, model *m, const bienc_tokens *tk, const float *d_emb,
                          float grad_scale, int c, int resident) {
    int D = biencoder_dim(b), first = c * gc->chunk, B = tk->n - first < gc->chunk ? tk->n - first : gc->chunk;
    model_batch mb = cut_chunk(gc, tk, first, B);
    int rc;
    if (!resident) {
        rng replay = gc->saved[c];
        if ((rc = model_forward(m, &mb, &replay))) return rc;
        if ((rc = biencoder_pool(b, m, mb.attention_mask, gc->pooled))) return rc;
        if (memcmp(gc->pooled, gc->emb + (size_t)first * D, (size_t)B * D * sizeof *gc->pooled))
            return error_set(NEEDLE_EINVAL, "gradient cache: re-running chunk %d did not reproduce its embeddings "
                                            "(was the thread count changed between the passes?)", c);
    }
    for (size_t i = 0; i < (size_t)B * D; i++) gc->pooled[i] = d_emb[(size_t)first * D + i] * grad_scale;
    return biencoder_pool_backward(b, m, mb.attention_mask, gc->pooled, gc->scratch);
}

int grad_cache_backward(grad_cache *gc, const biencoder *b, model *m, const bienc_tokens *tk, const float *d_emb,
                        float grad_scale) {
    int last = gc->n_chunks - 1;
    int resident = m->dropout_seed == gc->last_seed && m->B == gc->last_B && m->T == gc->last_T;
    int rc = chunk_backward(gc, b, m, tk, d_emb, grad_scale, last, resident);
    for (int c = 0; c < last && !rc; c++) rc = chunk_backward(gc, b, m, tk, d_emb, grad_scale, c, 0);
    return rc;
}

/* dropout.c — inverted dropout with masks regenerated from a counter-based hash.
 *
 * Storing masks costs a byte (or a float) per element of every dropout site of every
 * layer; regenerating them from (seed, site, index) costs a few multiplies and makes them
 * independent of thread count and evaluation order, which bitwise resume needs. */
#include "needle/kernels.h"
#include "cpu_internal.h"

#include <string.h>

int dropout_keep(uint64_t seed, uint32_t site, uint64_t idx, float p) {
    return dropout_keep_key(dropout_key(seed, site), idx, dropout_threshold(p));
}

void dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed, uint32_t site) {
    if (p <= 0.0f) {
        if (out != inp) memmove(out, inp, n * sizeof *out);
        return;
    }
    uint64_t key = dropout_key(seed, site);
    uint32_t thr = dropout_threshold(p);
    float scale = 1.0f / (1.0f - p);
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = dropout_keep_key(key, i, thr) ? inp[i] * scale : 0.0f;
}

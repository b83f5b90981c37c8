/* embedding.c — the sum of word, position and token-type embeddings, and its backward
 * (a scatter-add into the three tables).
 *
 * Backward is parallel over blocks of channels: every thread walks all tokens in order for
 * its own channels, so repeated ids add up in a fixed order without atomics. */
#include "needle/kernels.h"

void embedding_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *tt, const float *wte,
                       const float *wpe, const float *wtt, int N, int E) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * E;
        const float *a = wte + (size_t)ids[n] * E, *b = wpe + (size_t)pos[n] * E;
        if (wtt && tt) {
            const float *c = wtt + (size_t)tt[n] * E;
            for (int i = 0; i < E; i++) o[i] = a[i] + b[i] + c[i];
        } else {
            for (int i = 0; i < E; i++) o[i] = a[i] + b[i];
        }
    }
}

void embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                        const int32_t *pos, const int32_t *tt, int N, int E, int wte_pad, int wpe_pad) {
    int nblk = (E + 31) / 32;
#pragma omp parallel for schedule(static)
    for (int blk = 0; blk < nblk; blk++) {
        int c0 = blk * 32, c1 = c0 + 32 < E ? c0 + 32 : E;
        for (int n = 0; n < N; n++) {
            const float *g = dout + (size_t)n * E;
            float *a = dwte && ids[n] != wte_pad ? dwte + (size_t)ids[n] * E : NULL;
            float *b = dwpe && pos[n] != wpe_pad ? dwpe + (size_t)pos[n] * E : NULL;
            float *c = dwtt && tt ? dwtt + (size_t)tt[n] * E : NULL;
            for (int i = c0; i < c1; i++) {
                if (a) a[i] += g[i];
                if (b) b[i] += g[i];
                if (c) c[i] += g[i];
            }
        }
    }
}

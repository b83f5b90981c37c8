/* cpu_internal.h — helpers shared by the CPU kernels: the dropout hash (inlined into the
 * loops that apply masks) and the fast vectorisable exp/erf/tanh used by softmax, GELU and
 * the losses.
 *
 * The hash is splitmix64's finaliser over (seed, site, element): a counter-based generator,
 * so a mask element is a pure function of where it is, not of the order of evaluation. */
#ifndef NEEDLE_CPU_INTERNAL_H
#define NEEDLE_CPU_INTERNAL_H

#include <stdint.h>

static inline uint64_t hash_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The per-site key; element idx is kept when hash_mix64(key + (idx+1)·γ) >> 32 >= threshold. */
static inline uint64_t dropout_key(uint64_t seed, uint32_t site) {
    return hash_mix64(seed ^ ((uint64_t)site * 0xD1B54A32D192ED03ULL));
}

static inline uint32_t dropout_threshold(float p) { return (uint32_t)((double)p * 4294967296.0); }

static inline int dropout_keep_key(uint64_t key, uint64_t idx, uint32_t threshold) {
    return (uint32_t)(hash_mix64(key + (idx + 1) * 0x9E3779B97F4A7C15ULL) >> 32) >= threshold;
}

#endif

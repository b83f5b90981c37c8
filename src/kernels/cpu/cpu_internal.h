/* cpu_internal.h — helpers shared by the CPU kernels: the dropout hash (inlined into the
 * loops that apply masks) and fast exp/Φ/tanh written without calls or branches so that
 * the compiler vectorises the loops that use them (softmax, GELU, losses); libm's scalar
 * calls would cost more than the rest of those loops together.
 *
 * The hash is splitmix64's finaliser over (seed, site, element): a counter-based generator,
 * so a mask element is a pure function of where it is, not of the order of evaluation.
 * Accuracy (checked in tests/kernels against libm in double): exp within 2 ulp over
 * [-87, 88] (0 below); Φ within 6e-8 absolute and 2e-6 relative for |x| < 4; tanh within
 * 2e-7 absolute. */
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

static inline float bits_to_float(uint32_t u) {
    union { uint32_t u; float f; } v = {u};
    return v.f;
}

/* e^x: Cody–Waite reduction x = n·ln2 + r, a degree-6 polynomial for e^r (Cephes), scaling
 * by 2^n through the exponent bits. */
static inline float fast_expf(float x) {
    float xc = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    float e = p * bits_to_float((uint32_t)((int32_t)n + 127) << 23);
    return x < -87.0f ? 0.0f : e;
}

/* Φ(x), the standard normal CDF = (1 + erf(x/√2))/2, through erfc(z) = t·e^{−z² + P(t)},
 * t = 1/(1 + z/2) (Numerical Recipes' erfcc, fractional error below 1.2e-7 in exact
 * arithmetic), so that the small values of Φ at negative x keep their relative accuracy. */
static inline float fast_normcdf(float x) {
    float z = (x < 0.0f ? -x : x) * 0.70710678118654752f, t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float half_erfc = 0.5f * t * fast_expf(p - z * z);
    return x < 0.0f ? half_erfc : 1.0f - half_erfc;
}

/* tanh(x) = sign(x)·(1 − e)/(1 + e), e = e^{−2|x|}. */
static inline float fast_tanhf(float x) {
    float ax = x < 0.0f ? -x : x, e = fast_expf(-2.0f * ax), t = (1.0f - e) / (1.0f + e);
    return x < 0.0f ? -t : t;
}

#endif

/* rng.h — a small, fast, seedable random generator (xoshiro256**) whose whole state is four
 * words, so that training checkpoints can save and restore it and resume bitwise. */
#ifndef NEEDLE_RNG_H
#define NEEDLE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_u64(rng *r);
/* Uniform in [0, 1) with 24 random bits (float) or 53 (double). */
float rng_float(rng *r);
double rng_double(rng *r);
/* Uniform integer in [0, n), without modulo bias. */
uint64_t rng_below(rng *r, uint64_t n);
/* Standard normal (Box–Muller). */
double rng_normal(rng *r);
/* Fisher–Yates shuffle of n ints. */
void rng_shuffle(rng *r, int *a, size_t n);

#endif

/* bm25_sim.c — Lucene's BM25 arithmetic (BM25Similarity, SmallFloat), reproduced bit for bit
 * because Anserini's published effectiveness figures depend on it: lengths are kept in one
 * byte (4 significant bits above 24), scores are computed in float in Lucene's order.
 *
 * GCC would fuse `1 + tf * n` into an FMA under -march=native, which rounds once instead of
 * twice and so differs from Java; this file is compiled with contraction off. */
#pragma GCC optimize("fp-contract=off")
#include "needle/bm25.h"

#include <math.h>

/* SmallFloat.longToInt4: 3 explicit mantissa bits and an exponent, for positive values. */
static uint32_t long_to_int4(uint64_t i) {
    int bits = i ? 64 - __builtin_clzll(i) : 0;
    if (bits < 4) return (uint32_t)i;
    int shift = bits - 4;
    uint32_t encoded = (uint32_t)(i >> shift) & 0x07;
    return encoded | (uint32_t)(shift + 1) << 3;
}

static uint64_t int4_to_long(uint32_t i) {
    uint64_t bits = i & 0x07;
    int shift = (int)(i >> 3) - 1;
    return shift == -1 ? bits : (bits | 0x08) << shift;
}

/* 255 - longToInt4(Integer.MAX_VALUE): lengths below this are stored exactly. */
#define NUM_FREE_VALUES 24u

uint8_t bm25_length_to_byte(uint32_t length) {
    if (length < NUM_FREE_VALUES) return (uint8_t)length;
    return (uint8_t)(NUM_FREE_VALUES + long_to_int4(length - NUM_FREE_VALUES));
}

uint32_t bm25_byte_to_length(uint8_t b) {
    if (b < NUM_FREE_VALUES) return b;
    return (uint32_t)(NUM_FREE_VALUES + int4_to_long(b - NUM_FREE_VALUES));
}

float bm25_idf(uint64_t doc_freq, uint64_t doc_count) {
    return (float)log(1.0 + ((double)doc_count - (double)doc_freq + 0.5) / ((double)doc_freq + 0.5));
}

float bm25_norm_inverse(float k1, float b, uint32_t length, float avgdl) {
    return 1.0f / (k1 * ((1.0f - b) + b * (float)length / avgdl));
}

float bm25_term_score(float weight, float norm_inverse, uint32_t tf) {
    return weight - weight / (1.0f + (float)tf * norm_inverse);
}

/* murmur3.h — MurmurHash3 x64 128-bit (Austin Appleby's public-domain algorithm).
 *
 * needle names documents and passages by a hash of their content so that the same text gets
 * the same id in every run and on every machine. It uses exactly the hash Haystack 1.x uses for
 * its default Document id (mmh3.hash128(content, signed=False), printed as "{:02x}"), so ids
 * written by needle and by Haystack for the same text agree. Not a cryptographic hash. */
#ifndef NEEDLE_MURMUR3_H
#define NEEDLE_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

/* The two 64-bit halves h1, h2 of MurmurHash3_x64_128(data, len, seed); the 128-bit integer
 * that Python's mmh3.hash128 returns is h2 * 2^64 + h1. */
void murmur3_x64_128(const void *data, size_t len, uint32_t seed, uint64_t out[2]);

/* The 128-bit value (seed 0) in lowercase hex without leading zeros (at least 2 digits), as
 * Haystack's "{:02x}".format(mmh3.hash128(text, signed=False)). `hex` holds 33 bytes. */
void murmur3_hex_id(const char *text, size_t len, char hex[33]);

#endif

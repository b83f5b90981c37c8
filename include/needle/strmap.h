/* strmap.h — a hash map from byte strings to 32-bit integers.
 *
 * Vocabularies (token → id), BPE merge tables and caches look strings up millions of times a
 * second, so the map is open-addressed (linear probing over a power-of-two slot array that
 * holds entry indices), keeps every key in one growing arena (no per-key malloc), and stores
 * each entry's hash so that most probes never touch the key bytes. Keys are arbitrary bytes
 * (not NUL-terminated); entries are never removed, only the whole map is cleared. */
#ifndef NEEDLE_STRMAP_H
#define NEEDLE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t hash;
    uint32_t off, len; /* the key is arena[off .. off+len) */
    int32_t value;
} strmap_entry;

typedef struct {
    uint32_t *slots;       /* 0 = empty, else entry index + 1 */
    size_t mask;           /* number of slots - 1 */
    strmap_entry *entries; /* in insertion order */
    size_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
} strmap;

void strmap_init(strmap *m);
void strmap_free(strmap *m);
/* Forget every entry but keep the memory for reuse. */
void strmap_clear(strmap *m);
/* Insert `key` or overwrite its value. 0 or NEEDLE_ENOMEM. */
int strmap_put(strmap *m, const void *key, size_t len, int32_t value);
/* 1 and *value set when `key` is present, else 0. */
int strmap_get(const strmap *m, const void *key, size_t len, int32_t *value);
/* The same lookup with a hash already computed by strmap_hash (callers that probe several
 * maps, or retry with a prefix, hash once). */
int strmap_get_hashed(const strmap *m, uint64_t hash, const void *key, size_t len, int32_t *value);
/* The key bytes of entry i (0 <= i < m->n), in insertion order. */
const char *strmap_key(const strmap *m, size_t i, size_t *len);
/* A fast 64-bit hash of bytes (not cryptographic; good avalanche for table indexing). */
uint64_t strmap_hash(const void *data, size_t len);

#endif

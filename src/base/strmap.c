/* strmap.c — open-addressed byte-string → int32 hash map (see strmap.h).
 *
 * The slot array is kept at most half full, so a lookup of an absent key usually ends at the
 * first or second slot; the stored 64-bit hash filters out almost every non-matching entry
 * before any key comparison. */
#include "needle/strmap.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

uint64_t strmap_hash(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        h = (h ^ (k * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
        h ^= h >> 31;
        p += 8;
        len -= 8;
    }
    uint64_t k = 0;
    memcpy(&k, p, len);
    h ^= k * 0xbf58476d1ce4e5b9ULL;
    return mix64(h);
}

void strmap_init(strmap *m) { memset(m, 0, sizeof *m); }

void strmap_free(strmap *m) {
    free(m->slots);
    free(m->entries);
    free(m->arena);
    strmap_init(m);
}

void strmap_clear(strmap *m) {
    if (m->slots) memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
    m->n = 0;
    m->arena_len = 0;
}

static int find_slot(const strmap *m, uint64_t hash, const void *key, size_t len, size_t *slot) {
    size_t i = (size_t)hash & m->mask;
    for (;;) {
        uint32_t s = m->slots[i];
        if (!s) { *slot = i; return 0; }
        const strmap_entry *e = &m->entries[s - 1];
        if (e->hash == hash && e->len == len && !memcmp(m->arena + e->off, key, len)) { *slot = i; return 1; }
        i = (i + 1) & m->mask;
    }
}

static int grow_slots(strmap *m) {
    size_t nslots = m->slots ? 2 * (m->mask + 1) : 64;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) return error_set(NEEDLE_ENOMEM, "out of memory growing a hash map to %zu slots", nslots);
    free(m->slots);
    m->slots = slots;
    m->mask = nslots - 1;
    for (size_t j = 0; j < m->n; j++) {
        size_t i = (size_t)m->entries[j].hash & m->mask;
        while (m->slots[i]) i = (i + 1) & m->mask;
        m->slots[i] = (uint32_t)(j + 1);
    }
    return 0;
}

int strmap_put(strmap *m, const void *key, size_t len, int32_t value) {
    if (len > UINT32_MAX) return error_set(NEEDLE_EINVAL, "hash map key of %zu bytes is too long", len);
    if (!m->slots || 2 * (m->n + 1) > m->mask + 1) {
        int rc = grow_slots(m);
        if (rc) return rc;
    }
    uint64_t h = strmap_hash(key, len);
    size_t slot;
    if (find_slot(m, h, key, len, &slot)) {
        m->entries[m->slots[slot] - 1].value = value;
        return 0;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        strmap_entry *e = realloc(m->entries, cap * sizeof *e);
        if (!e) return error_set(NEEDLE_ENOMEM, "out of memory growing a hash map to %zu entries", cap);
        m->entries = e;
        m->cap = cap;
    }
    if (m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 4096;
        while (cap < m->arena_len + len) cap *= 2;
        char *a = realloc(m->arena, cap);
        if (!a) return error_set(NEEDLE_ENOMEM, "out of memory growing hash map keys to %zu bytes", cap);
        m->arena = a;
        m->arena_cap = cap;
    }
    if (len) memcpy(m->arena + m->arena_len, key, len);
    m->entries[m->n] = (strmap_entry){h, (uint32_t)m->arena_len, (uint32_t)len, value};
    m->arena_len += len;
    m->slots[slot] = (uint32_t)(++m->n);
    return 0;
}

int strmap_get_hashed(const strmap *m, uint64_t hash, const void *key, size_t len, int32_t *value) {
    if (!m->n) return 0;
    size_t slot;
    if (!find_slot(m, hash, key, len, &slot)) return 0;
    *value = m->entries[m->slots[slot] - 1].value;
    return 1;
}

int strmap_get(const strmap *m, const void *key, size_t len, int32_t *value) {
    return strmap_get_hashed(m, strmap_hash(key, len), key, len, value);
}

const char *strmap_key(const strmap *m, size_t i, size_t *len) {
    *len = m->entries[i].len;
    return m->arena + m->entries[i].off;
}

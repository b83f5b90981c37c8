/* strtab.c — string interning with open addressing (see strtab.h). The table keeps the load
 * factor at or below one half, and stores each slot's hash so that probing compares strings
 * only when the hashes agree. */
#include "needle/strtab.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

void strtab_init(strtab *t) { memset(t, 0, sizeof *t); }

void strtab_free(strtab *t) {
    free(t->arena);
    free(t->offsets);
    free(t->lens);
    free(t->slots);
    free(t->slot_hash);
    memset(t, 0, sizeof *t);
}

void strtab_clear(strtab *t) {
    t->arena_len = 0;
    t->count = 0;
    if (t->slots) memset(t->slots, 0, (size_t)t->n_slots * sizeof *t->slots);
}

uint32_t strtab_hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static int rehash(strtab *t, uint32_t n_slots) {
    uint32_t *slots = calloc(n_slots, sizeof *slots), *hashes = malloc((size_t)n_slots * sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return error_set(NEEDLE_ENOMEM, "string table: out of memory for %u slots", n_slots);
    }
    for (uint32_t i = 0; i < t->n_slots; i++) {
        if (!t->slots[i]) continue;
        uint32_t j = t->slot_hash[i] & (n_slots - 1);
        while (slots[j]) j = (j + 1) & (n_slots - 1);
        slots[j] = t->slots[i];
        hashes[j] = t->slot_hash[i];
    }
    free(t->slots);
    free(t->slot_hash);
    t->slots = slots;
    t->slot_hash = hashes;
    t->n_slots = n_slots;
    return 0;
}

static uint32_t probe(const strtab *t, const char *s, size_t len, uint32_t h) {
    uint32_t mask = t->n_slots - 1, j = h & mask;
    while (t->slots[j]) {
        uint32_t id = t->slots[j] - 1;
        if (t->slot_hash[j] == h && t->lens[id] == len && !memcmp(t->arena + t->offsets[id], s, len)) return j;
        j = (j + 1) & mask;
    }
    return j;
}

int strtab_find(const strtab *t, const char *s, size_t len, uint32_t *id) {
    if (!t->n_slots) return 0;
    uint32_t j = probe(t, s, len, strtab_hash(s, len));
    if (!t->slots[j]) return 0;
    *id = t->slots[j] - 1;
    return 1;
}

int strtab_intern(strtab *t, const char *s, size_t len, uint32_t *id, int *added) {
    if (added) *added = 0;
    if (len > UINT32_MAX) return error_set(NEEDLE_EINVAL, "string table: string of %zu bytes is too long", len);
    if ((uint64_t)(t->count + 1) * 2 > t->n_slots) {
        if (t->n_slots >= (1u << 31)) return error_set(NEEDLE_ENOMEM, "string table: too many strings");
        int rc = rehash(t, t->n_slots ? t->n_slots * 2 : 1024);
        if (rc) return rc;
    }
    uint32_t h = strtab_hash(s, len), j = probe(t, s, len, h);
    if (t->slots[j]) {
        *id = t->slots[j] - 1;
        return 0;
    }
    if (t->count == t->cap_ids) {
        uint32_t cap = t->cap_ids ? t->cap_ids * 2 : 1024;
        uint64_t *off = realloc(t->offsets, (size_t)cap * sizeof *off);
        if (!off) return error_set(NEEDLE_ENOMEM, "string table: out of memory");
        t->offsets = off;
        uint32_t *lens = realloc(t->lens, (size_t)cap * sizeof *lens);
        if (!lens) return error_set(NEEDLE_ENOMEM, "string table: out of memory");
        t->lens = lens;
        t->cap_ids = cap;
    }
    if (t->arena_len + len + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 65536;
        while (cap < t->arena_len + len + 1) cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a) return error_set(NEEDLE_ENOMEM, "string table: out of memory for %zu bytes", cap);
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, s, len);
    t->arena[t->arena_len + len] = 0;
    t->offsets[t->count] = t->arena_len;
    t->lens[t->count] = (uint32_t)len;
    t->arena_len += len + 1;
    t->slots[j] = t->count + 1;
    t->slot_hash[j] = h;
    *id = t->count++;
    if (added) *added = 1;
    return 0;
}

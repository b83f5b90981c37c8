/* strtab.h — a string interning table: maps byte strings to dense ids 0, 1, 2, ... in order of
 * first insertion, and back. Used for term dictionaries, stem caches and id look-ups, where
 * millions of short strings must be found fast and kept compactly (one arena for the bytes,
 * open addressing with linear probing over 32-bit slots). */
#ifndef NEEDLE_STRTAB_H
#define NEEDLE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *arena;             /* the strings, each followed by a NUL */
    size_t arena_len, arena_cap;
    uint64_t *offsets;       /* offsets[id]: start of string id in the arena */
    uint32_t *lens;          /* lens[id]: its length in bytes */
    uint32_t count, cap_ids;
    uint32_t *slots;         /* id + 1, or 0 when empty */
    uint32_t *slot_hash;     /* the hash of the string in each slot (faster probing) */
    uint32_t n_slots;        /* a power of two */
} strtab;

void strtab_init(strtab *t);
void strtab_free(strtab *t);
/* Forget every string, keeping the memory. */
void strtab_clear(strtab *t);
/* The id of s[0..len), adding it if absent. Returns 0 or NEEDLE_ENOMEM; `added` (may be NULL)
 * says whether it was new. */
int strtab_intern(strtab *t, const char *s, size_t len, uint32_t *id, int *added);
/* 1 and the id if present, else 0. */
int strtab_find(const strtab *t, const char *s, size_t len, uint32_t *id);
/* The NUL-terminated string with this id. */
static inline const char *strtab_str(const strtab *t, uint32_t id) { return t->arena + t->offsets[id]; }
static inline uint32_t strtab_len(const strtab *t, uint32_t id) { return t->lens[id]; }
/* The hash function the table uses (64-bit FNV-1a folded), exposed for tests. */
uint32_t strtab_hash(const char *s, size_t len);

#endif

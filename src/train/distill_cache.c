/* distill_cache.c — the file that keeps a teacher's logits over a set of windows (see
 * distill.h), so that a resumed distillation run, or another student trained on the same data,
 * does not run the teacher again (on SQuAD a large teacher's pass costs more than an epoch of a
 * small student).
 *
 * The header names what the logits belong to by hashes (MurmurHash3, chained through the
 * seed) of the windows' ids, token types and mask, and of the teacher's parameter block: a
 * file made for other data or another teacher is reported as not found, never used. The
 * payload has its own hash, so truncation and damage are errors; files are written atomically. */
#include "needle/distill.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/murmur3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "NDLTLOGT"
#define VERSION 1u
#define HEADER 64

static uint64_t hash_chain(uint64_t h, const void *data, size_t n) {
    uint64_t out[2];
    murmur3_x64_128(data, n, (uint32_t)(h ^ (h >> 32)), out);
    return out[0] ^ (out[1] * 0x9E3779B97F4A7C15ULL) ^ h;
}

static uint64_t windows_hash(const reader_windows *w) {
    size_t nl = (size_t)w->n * w->len;
    uint64_t h = hash_chain(0x6E65656446ULL, w->input_ids, nl * sizeof *w->input_ids);
    if (w->token_type_ids) h = hash_chain(h, w->token_type_ids, nl * sizeof *w->token_type_ids);
    return hash_chain(h, w->attention_mask, nl);
}

static uint64_t teacher_hash(const model *m) { return hash_chain(0x7465616368ULL, m->param_block, m->n_floats * sizeof(float)); }

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

int distill_cache_write(const char *path, const reader_windows *w, const model *teacher, const float *lg) {
    size_t count = (size_t)w->n * 2 * w->len;
    unsigned char h[HEADER] = {0};
    memcpy(h, MAGIC, 8);
    put32(h + 8, VERSION);
    put32(h + 12, HEADER);
    put64(h + 16, (uint64_t)w->n);
    put32(h + 24, (uint32_t)w->len);
    put64(h + 32, windows_hash(w));
    put64(h + 40, teacher_hash(teacher));
    put64(h + 48, hash_chain(0, lg, count * sizeof *lg));
    atomic_file af;
    int rc = atomic_file_open(&af, path);
    if (rc) return rc;
    if (fwrite(h, 1, HEADER, af.fp) != HEADER || fwrite(lg, sizeof *lg, count, af.fp) != count) {
        atomic_file_abort(&af);
        return error_errno(NEEDLE_EIO, "%s: writing the teacher's logits", path);
    }
    return atomic_file_commit(&af);
}

int distill_cache_read(const char *path, const reader_windows *w, const model *teacher, float *lg, int *found) {
    *found = 0;
    if (!file_exists(path)) return 0;
    file_map fm;
    int rc = file_map_open(&fm, path);
    if (rc) return rc;
    const unsigned char *h = fm.data;
    size_t count = (size_t)w->n * 2 * w->len;
    if (fm.size < HEADER || memcmp(h, MAGIC, 8)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: not a teacher-logit cache (no %s magic)", path, MAGIC);
    } else if (get32(h + 8) != VERSION || get32(h + 12) != HEADER) {
        rc = error_set(NEEDLE_EFORMAT, "%s: teacher-logit cache version %u (this needle reads %u); delete it to recompute",
                       path, get32(h + 8), VERSION);
    } else if (get64(h + 16) != (uint64_t)w->n || get32(h + 24) != (uint32_t)w->len || get64(h + 32) != windows_hash(w) ||
               get64(h + 40) != teacher_hash(teacher)) {
        rc = 0; /* made for other windows or another teacher: not ours */
    } else if (fm.size != HEADER + count * sizeof(float)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: %zu bytes, %zu expected for %d windows of %d tokens (truncated?)", path, fm.size,
                       HEADER + count * sizeof(float), w->n, w->len);
    } else {
        memcpy(lg, h + HEADER, count * sizeof *lg);
        if (hash_chain(0, lg, count * sizeof *lg) != get64(h + 48))
            rc = error_set(NEEDLE_EFORMAT, "%s: the logits do not match the header's checksum (damaged file)", path);
        else
            *found = 1;
    }
    file_map_close(&fm);
    return rc;
}

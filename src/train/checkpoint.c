/* checkpoint.c — writing and reading the trainer-state file of checkpoint.h.
 *
 * The header is assembled field by field at fixed offsets (never a struct dump, whose padding
 * the compiler chooses), the payload is written straight from the model and optimiser blocks,
 * and a word-wise 64-bit checksum over the payload is kept in the header: a checkpoint for a
 * base-size model is over a gigabyte, and the check has to stay cheaper than the disk. */
#include "needle/checkpoint.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checkpoint.c writes the host's byte order and assumes it is little-endian"
#endif

#define HEADER_BYTES 512
static const char MAGIC[8] = {'N', 'D', 'L', 'T', 'R', 'A', 'I', 'N'};

/* Checksum: each 8-byte word mixed into a running 64-bit state (multiply-xorshift); a tail
 * shorter than a word is zero-padded. Sections are chained through the state. */
static uint64_t mix(uint64_t h, uint64_t w) {
    h ^= w * 0x9E3779B97F4A7C15ULL;
    h = (h << 27 | h >> 37) * 0xC2B2AE3D27D4EB4FULL;
    return h;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    size_t words = n / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, p + 8 * i, 8);
        h = mix(h, w);
    }
    if (n % 8) {
        uint64_t w = 0;
        memcpy(&w, p + 8 * words, n % 8);
        h = mix(h, w);
    }
    return mix(h, (uint64_t)n);
}

/* Offsets of the header fields. */
enum {
    H_MAGIC = 0, H_VERSION = 8, H_HEADER = 12, H_FILE = 16, H_HASH = 24, H_TASK = 32, H_STEP = 64, H_TOTAL = 72,
    H_EPOCH = 80, H_MICRO = 88, H_EXAMPLES = 96, H_BATCH = 104, H_ACCUM = 108, H_SHUFFLE = 112, H_MODELS = 116,
    H_SEED = 120, H_DATA_RNG = 128, H_TRAIN_RNG = 160, H_ADAM = 192, H_HAS_BEST = 200, H_SINCE_BEST = 204,
    H_BEST = 208, H_BEST_STEP = 216, H_FLOATS = 224, H_END = H_FLOATS + 8 * CKPT_MAX_MODELS,
};

static void put(unsigned char *h, int off, const void *v, size_t n) { memcpy(h + off, v, n); }
static void get(const unsigned char *h, int off, void *v, size_t n) { memcpy(v, h + off, n); }

static uint64_t payload_bytes(const ckpt_state *st) {
    uint64_t n = 0;
    for (int i = 0; i < st->n_models; i++) n += 3 * st->n_floats[i] * sizeof(float);
    return n + (uint64_t)st->n_examples * sizeof(int32_t);
}

/* The state's fields in the header: where each goes, where it lives in ckpt_state, and its
 * size. One table serves encoding and decoding, so the two cannot disagree. */
static const struct {
    int off;
    size_t field;
    size_t n;
} header_fields[] = {
    {H_TASK, offsetof(ckpt_state, task), sizeof ((ckpt_state *)0)->task},
    {H_STEP, offsetof(ckpt_state, step), 8},
    {H_TOTAL, offsetof(ckpt_state, total_steps), 8},
    {H_EPOCH, offsetof(ckpt_state, epoch), 8},
    {H_MICRO, offsetof(ckpt_state, micro), 8},
    {H_EXAMPLES, offsetof(ckpt_state, n_examples), 8},
    {H_BATCH, offsetof(ckpt_state, batch_size), 4},
    {H_ACCUM, offsetof(ckpt_state, grad_accum), 4},
    {H_SHUFFLE, offsetof(ckpt_state, shuffle), 4},
    {H_MODELS, offsetof(ckpt_state, n_models), 4},
    {H_SEED, offsetof(ckpt_state, seed), 8},
    {H_DATA_RNG, offsetof(ckpt_state, data_rng.s), 32},
    {H_TRAIN_RNG, offsetof(ckpt_state, train_rng.s), 32},
    {H_ADAM, offsetof(ckpt_state, adam_step), 8},
    {H_HAS_BEST, offsetof(ckpt_state, has_best), 4},
    {H_SINCE_BEST, offsetof(ckpt_state, evals_since_best), 4},
    {H_BEST, offsetof(ckpt_state, best_metric), 8},
    {H_BEST_STEP, offsetof(ckpt_state, best_step), 8},
    {H_FLOATS, offsetof(ckpt_state, n_floats), 8 * CKPT_MAX_MODELS},
};
#define N_HEADER_FIELDS (sizeof header_fields / sizeof header_fields[0])

static void header_encode(unsigned char *h, const ckpt_state *st, uint64_t hash) {
    memset(h, 0, HEADER_BYTES);
    uint32_t version = CKPT_VERSION, hb = HEADER_BYTES;
    uint64_t fb = HEADER_BYTES + payload_bytes(st);
    put(h, H_MAGIC, MAGIC, 8);
    put(h, H_VERSION, &version, 4);
    put(h, H_HEADER, &hb, 4);
    put(h, H_FILE, &fb, 8);
    put(h, H_HASH, &hash, 8);
    for (size_t i = 0; i < N_HEADER_FIELDS; i++)
        put(h, header_fields[i].off, (const char *)st + header_fields[i].field, header_fields[i].n);
}

/* Decode and check the header; *file_bytes and *hash receive the recorded size and checksum. */
static int header_decode(const unsigned char *h, const char *path, ckpt_state *st, uint64_t *file_bytes,
                         uint64_t *hash) {
    if (memcmp(h, MAGIC, 8) != 0)
        return error_set(NEEDLE_EFORMAT, "%s: not a needle trainer checkpoint (bad magic)", path);
    uint32_t version, hb;
    get(h, H_VERSION, &version, 4);
    get(h, H_HEADER, &hb, 4);
    if (version != CKPT_VERSION)
        return error_set(NEEDLE_EFORMAT, "%s: checkpoint version %u, this needle reads version %d", path, version,
                         CKPT_VERSION);
    if (hb != HEADER_BYTES) return error_set(NEEDLE_EFORMAT, "%s: header size %u, expected %d", path, hb, HEADER_BYTES);
    memset(st, 0, sizeof *st);
    get(h, H_FILE, file_bytes, 8);
    get(h, H_HASH, hash, 8);
    for (size_t i = 0; i < N_HEADER_FIELDS; i++)
        get(h, header_fields[i].off, (char *)st + header_fields[i].field, header_fields[i].n);
    st->task[sizeof st->task - 1] = 0;
    if (st->n_models < 1 || st->n_models > CKPT_MAX_MODELS || st->n_examples < 0 || st->step < 0)
        return error_set(NEEDLE_EFORMAT, "%s: corrupt header (%d models, %lld examples, step %lld)", path,
                         st->n_models, st->n_examples, st->step);
    if (*file_bytes != HEADER_BYTES + payload_bytes(st))
        return error_set(NEEDLE_EFORMAT, "%s: corrupt header (file size %llu does not match its contents)", path,
                         (unsigned long long)*file_bytes);
    return 0;
}

int checkpoint_write(const char *path, const ckpt_state *st, model *const *models, const adamw_state *opt,
                     const int32_t *order) {
    if (st->n_models < 1 || st->n_models > CKPT_MAX_MODELS)
        return error_set(NEEDLE_EINVAL, "%s: %d models (1 to %d supported)", path, st->n_models, CKPT_MAX_MODELS);
    uint64_t h = 0;
    for (int i = 0; i < st->n_models; i++) {
        size_t n = models[i]->n_floats;
        if (st->n_floats[i] != n || opt[i].n != n)
            return error_set(NEEDLE_EINVAL, "%s: model %d has %zu floats, state says %llu", path, i, n,
                             (unsigned long long)st->n_floats[i]);
        h = hash_bytes(h, models[i]->param_block, n * sizeof(float));
        h = hash_bytes(h, opt[i].m, n * sizeof(float));
        h = hash_bytes(h, opt[i].v, n * sizeof(float));
    }
    h = hash_bytes(h, order, (size_t)st->n_examples * sizeof(int32_t));
    unsigned char hdr[HEADER_BYTES];
    header_encode(hdr, st, h);
    atomic_file af;
    int rc = atomic_file_open(&af, path);
    if (rc) return rc;
    int ok = fwrite(hdr, 1, HEADER_BYTES, af.fp) == HEADER_BYTES;
    for (int i = 0; ok && i < st->n_models; i++) {
        size_t n = models[i]->n_floats;
        ok = fwrite(models[i]->param_block, sizeof(float), n, af.fp) == n && fwrite(opt[i].m, sizeof(float), n, af.fp) == n &&
             fwrite(opt[i].v, sizeof(float), n, af.fp) == n;
    }
    size_t ne = (size_t)st->n_examples;
    if (ok && ne) ok = fwrite(order, sizeof(int32_t), ne, af.fp) == ne;
    if (!ok) {
        rc = error_errno(NEEDLE_EIO, "%s: write failed (disk full?); the previous checkpoints are kept", path);
        atomic_file_abort(&af);
        return rc;
    }
    return atomic_file_commit(&af);
}

static int read_header(FILE *fp, const char *path, ckpt_state *st, uint64_t *hash) {
    unsigned char hdr[HEADER_BYTES];
    if (fread(hdr, 1, HEADER_BYTES, fp) != HEADER_BYTES)
        return error_set(NEEDLE_EFORMAT, "%s: truncated checkpoint (shorter than its %d-byte header)", path,
                         HEADER_BYTES);
    uint64_t file_bytes = 0;
    int rc = header_decode(hdr, path, st, &file_bytes, hash);
    if (rc) return rc;
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0) return error_errno(NEEDLE_EIO, "%s: cannot stat", path);
    if ((uint64_t)sb.st_size != file_bytes)
        return error_set(NEEDLE_EFORMAT, "%s: truncated or padded checkpoint (%lld bytes, the header says %llu)", path,
                         (long long)sb.st_size, (unsigned long long)file_bytes);
    return 0;
}

int checkpoint_read_header(const char *path, ckpt_state *st) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open checkpoint", path);
    uint64_t hash;
    int rc = read_header(fp, path, st, &hash);
    fclose(fp);
    return rc;
}

int checkpoint_read(const char *path, ckpt_state *st, model *const *models, adamw_state *opt, int32_t *order) {
    int n_models = st->n_models;
    FILE *fp = fopen(path, "rb");
    if (!fp) return error_errno(errno == ENOENT ? NEEDLE_ENOTFOUND : NEEDLE_EIO, "%s: cannot open checkpoint", path);
    uint64_t want, h = 0;
    int rc = read_header(fp, path, st, &want);
    if (rc) goto done;
    if (st->n_models != n_models) {
        rc = error_set(NEEDLE_EFORMAT, "%s: holds %d models, this run trains %d", path, st->n_models, n_models);
        goto done;
    }
    for (int i = 0; i < n_models; i++) {
        size_t n = models[i]->n_floats;
        if (st->n_floats[i] != n || opt[i].n != n) {
            rc = error_set(NEEDLE_EFORMAT, "%s: model %d has %llu parameters in the checkpoint, %zu in this run", path, i,
                           (unsigned long long)st->n_floats[i], n);
            goto done;
        }
        float *blocks[3] = {models[i]->param_block, opt[i].m, opt[i].v};
        for (int j = 0; j < 3; j++) {
            if (fread(blocks[j], sizeof(float), n, fp) != n) {
                rc = error_errno(NEEDLE_EIO, "%s: read failed", path);
                goto done;
            }
            h = hash_bytes(h, blocks[j], n * sizeof(float));
        }
    }
    size_t ne = (size_t)st->n_examples;
    if (ne && fread(order, sizeof(int32_t), ne, fp) != ne) {
        rc = error_errno(NEEDLE_EIO, "%s: read failed", path);
        goto done;
    }
    h = hash_bytes(h, order, ne * sizeof(int32_t));
    if (h != want) rc = error_set(NEEDLE_EFORMAT, "%s: checksum mismatch: the checkpoint is damaged", path);
done:
    fclose(fp);
    return rc;
}

char *checkpoint_path(const char *dir, long long step) {
    char name[48];
    snprintf(name, sizeof name, "step-%09lld.ckpt", step);
    return path_join(dir, name);
}

/* The step of a checkpoint file name, or -1 for any other name. */
static long long name_step(const char *name) {
    long long step;
    int used = 0;
    if (sscanf(name, "step-%lld.ckpt%n", &step, &used) == 1 && name[used] == 0 && step >= 0) return step;
    return -1;
}

/* Steps of the checkpoints in dir, sorted ascending (malloc'ed). Temporary files of an
 * interrupted write ("step-N.ckpt.tmp.<pid>") are removed on the way. */
static int list_steps(const char *dir, long long **steps, size_t *n) {
    *steps = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : error_errno(NEEDLE_EIO, "%s: cannot list checkpoints", dir);
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, "step-", 5) && strstr(e->d_name, ".ckpt.tmp.")) {
            char *p = path_join(dir, e->d_name);
            if (p) unlink(p);
            free(p);
            continue;
        }
        long long s = name_step(e->d_name);
        if (s < 0) continue;
        if ((rc = array_grow((void **)steps, &cap, *n, sizeof **steps))) break;
        (*steps)[(*n)++] = s;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort: a handful of files */
        for (size_t j = i; j > 0 && (*steps)[j - 1] > (*steps)[j]; j--) {
            long long t = (*steps)[j];
            (*steps)[j] = (*steps)[j - 1];
            (*steps)[j - 1] = t;
        }
    return rc;
}

int checkpoint_latest(const char *dir, char **path) {
    *path = NULL;
    long long *steps;
    size_t n;
    int rc = list_steps(dir, &steps, &n);
    if (!rc && n && !(*path = checkpoint_path(dir, steps[n - 1]))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    free(steps);
    return rc;
}

int checkpoint_prune(const char *dir, int keep) {
    if (keep <= 0) return 0;
    long long *steps;
    size_t n;
    int rc = list_steps(dir, &steps, &n);
    for (size_t i = 0; !rc && i + (size_t)keep < n; i++) {
        char *p = checkpoint_path(dir, steps[i]);
        if (!p) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        else if (unlink(p) != 0 && errno != ENOENT) rc = error_errno(NEEDLE_EIO, "%s: cannot remove old checkpoint", p);
        free(p);
    }
    free(steps);
    return rc;
}

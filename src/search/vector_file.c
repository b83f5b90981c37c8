/* vector_file.c — saving and loading vector indexes (exact and HNSW) in one file format,
 * described at the top of include/needle/vector_index.h.
 *
 * Saving streams the body through an atomic_file (temp, fsync, rename), hashing it on the way,
 * then seeks back to fill in the header: a kill or a full disk at any point leaves the previous
 * file as it was. Loading maps the file, checks magic, version, header checksum, that the size
 * is exactly what the header implies (so a truncated file is named as such), the body checksum,
 * and then every structural promise the search loop relies on without checking again: levels
 * in range, link counts within capacity, link targets existing nodes on that layer, the entry
 * point on the top layer. Every message names the file. */
#include "needle/error.h"
#include "needle/file.h"
#include "vector_index_impl.h"

#include <stdlib.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vector index files are little-endian; this build would need byte swapping"
#endif

#define VFILE_MAGIC "NDLVECIX"
#define VFILE_VERSION 1
#define VFILE_HEADER 128

typedef struct {
    uint32_t version, header_bytes, kind, metric, dim, M, ef_construction, ef_search;
    uint64_t count;
    int64_t entry;
    int32_t max_level;
    uint64_t seed, rng[4], body_bytes, body_sum, header_sum;
} vfile_header;

/* FNV-1a over 32-bit words with a 64-bit state; every section is a multiple of 4 bytes. */
#define SUM_INIT 0xcbf29ce484222325ull
static uint64_t sum_words(uint64_t h, const void *p, size_t len) {
    const unsigned char *b = p;
    for (size_t i = 0; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, b + i, 4);
        h = (h ^ w) * 0x100000001b3ull;
    }
    return h;
}

static void header_encode(const vfile_header *h, unsigned char *b) {
    memset(b, 0, VFILE_HEADER);
    memcpy(b, VFILE_MAGIC, 8);
    uint32_t u32[8] = {h->version, h->header_bytes, h->kind, h->metric, h->dim, h->M, h->ef_construction, h->ef_search};
    memcpy(b + 8, u32, sizeof u32);
    memcpy(b + 40, &h->count, 8);
    memcpy(b + 48, &h->entry, 8);
    memcpy(b + 56, &h->max_level, 4);
    memcpy(b + 64, &h->seed, 8);
    memcpy(b + 72, h->rng, 32);
    memcpy(b + 104, &h->body_bytes, 8);
    memcpy(b + 112, &h->body_sum, 8);
    uint64_t hs = sum_words(SUM_INIT, b, 120);
    memcpy(b + 120, &hs, 8);
}

static void header_decode(const unsigned char *b, vfile_header *h) {
    uint32_t u32[8];
    memcpy(u32, b + 8, sizeof u32);
    h->version = u32[0];
    h->header_bytes = u32[1];
    h->kind = u32[2];
    h->metric = u32[3];
    h->dim = u32[4];
    h->M = u32[5];
    h->ef_construction = u32[6];
    h->ef_search = u32[7];
    memcpy(&h->count, b + 40, 8);
    memcpy(&h->entry, b + 48, 8);
    memcpy(&h->max_level, b + 56, 4);
    memcpy(&h->seed, b + 64, 8);
    memcpy(h->rng, b + 72, 32);
    memcpy(&h->body_bytes, b + 104, 8);
    memcpy(&h->body_sum, b + 112, 8);
    memcpy(&h->header_sum, b + 120, 8);
}

/* Levels are stored one byte per node, padded to a multiple of 8. */
static size_t levels_bytes(size_t n) { return (n + 7) / 8 * 8; }

typedef struct {
    FILE *fp;
    uint64_t sum, bytes;
    int failed;
} body_writer;

static void put(body_writer *w, const void *p, size_t len) {
    if (w->failed || !len) return;
    if (fwrite(p, 1, len, w->fp) != len) w->failed = 1;
    w->sum = sum_words(w->sum, p, len);
    w->bytes += len;
}

static void write_body(const vector_index *ix, body_writer *w) {
    size_t dim = (size_t)ix->cfg.dim;
    if (ix->cfg.kind == VECTOR_EXACT) {
        put(w, ix->ids, ix->n * sizeof *ix->ids);
        put(w, ix->vectors, ix->n * dim * sizeof(float));
        return;
    }
    const hnsw *h = &ix->graph;
    put(w, h->ids, h->n * sizeof *h->ids);
    for (size_t i = 0; i < h->n; i++) put(w, hnsw_vector(h, i), dim * sizeof(float));
    static const uint8_t pad[8];
    put(w, h->levels, h->n);
    put(w, pad, levels_bytes(h->n) - h->n);
    for (size_t i = 0; i < h->n; i++) put(w, hnsw_links(h, i, 0), (1 + (size_t)h->M0) * sizeof(uint32_t));
    for (size_t i = 0; i < h->n; i++) put(w, h->upper[i], (size_t)h->levels[i] * (1 + (size_t)h->M) * sizeof(uint32_t));
}

int vector_index_save(const vector_index *ix, const char *path) {
    const hnsw *h = &ix->graph;
    int hnsw_kind = ix->cfg.kind == VECTOR_HNSW;
    vfile_header hd = {
        .version = VFILE_VERSION, .header_bytes = VFILE_HEADER, .kind = (uint32_t)ix->cfg.kind,
        .metric = (uint32_t)ix->cfg.metric, .dim = (uint32_t)ix->cfg.dim, .M = (uint32_t)ix->cfg.M,
        .ef_construction = (uint32_t)ix->cfg.ef_construction, .ef_search = (uint32_t)ix->cfg.ef_search,
        .count = vector_index_count(ix), .entry = hnsw_kind ? h->entry : -1, .max_level = hnsw_kind ? h->max_level : -1,
        .seed = ix->cfg.seed,
    };
    if (hnsw_kind) memcpy(hd.rng, h->level_rng.s, sizeof hd.rng);
    unsigned char head[VFILE_HEADER] = {0};
    atomic_file af;
    int rc = atomic_file_open(&af, path);
    if (rc) return rc;
    body_writer w = {af.fp, SUM_INIT, 0, 0};
    if (fwrite(head, 1, VFILE_HEADER, af.fp) != VFILE_HEADER) w.failed = 1;
    write_body(ix, &w);
    hd.body_bytes = w.bytes;
    hd.body_sum = w.sum;
    header_encode(&hd, head);
    if (!w.failed && (fseek(af.fp, 0, SEEK_SET) != 0 || fwrite(head, 1, VFILE_HEADER, af.fp) != VFILE_HEADER)) w.failed = 1;
    if (w.failed) {
        rc = error_errno(NEEDLE_EIO, "%s: writing the vector index failed (disk full?); the previous file is kept", path);
        atomic_file_abort(&af);
        return rc;
    }
    return atomic_file_commit(&af);
}

/* Everything in the header that does not need the body: magic, version, checksum, config. */
static int check_header(const char *path, const file_map *m, int expect_dim, vfile_header *hd, vector_index_config *cfg) {
    if (m->size < 8 || memcmp(m->data, VFILE_MAGIC, 8) != 0)
        return error_set(NEEDLE_EFORMAT, "%s: not a needle vector index (no \"%s\" magic at the start)", path, VFILE_MAGIC);
    if (m->size < VFILE_HEADER)
        return error_set(NEEDLE_EFORMAT, "%s: truncated: %zu bytes, shorter than the %d-byte header", path, m->size,
                         VFILE_HEADER);
    header_decode(m->data, hd);
    if (hd->version != VFILE_VERSION)
        return error_set(NEEDLE_EUNSUPPORTED, "%s: vector index format version %u; this build reads version %d", path,
                         hd->version, VFILE_VERSION);
    if (hd->header_bytes != VFILE_HEADER || sum_words(SUM_INIT, m->data, 120) != hd->header_sum)
        return error_set(NEEDLE_EFORMAT, "%s: the vector index header is corrupt (checksum mismatch)", path);
    vector_index_config_default(cfg, (vector_kind)hd->kind, (vector_metric)hd->metric, (int)hd->dim);
    cfg->M = (int)hd->M;
    cfg->ef_construction = (int)hd->ef_construction;
    cfg->ef_search = (int)hd->ef_search;
    cfg->seed = hd->seed;
    if (hd->kind > VECTOR_HNSW || hd->metric > VECTOR_COSINE || hd->dim > 65536 || hd->M > 512 || hd->ef_construction > 1u << 30 ||
        hd->ef_search > 1u << 30 || hd->count > UINT32_MAX)
        return error_set(NEEDLE_EFORMAT, "%s: the vector index header holds out-of-range values", path);
    int rc = vector_index_check_config(cfg, path);
    if (rc) return rc;
    if (expect_dim > 0 && (int)hd->dim != expect_dim)
        return error_set(NEEDLE_EINVAL, "%s: the index holds vectors of dimension %u, but dimension %d was expected", path,
                         hd->dim, expect_dim);
    if (m->size - VFILE_HEADER != hd->body_bytes)
        return error_set(NEEDLE_EFORMAT, "%s: %s: the header promises %llu bytes after it, the file has %zu", path,
                         m->size - VFILE_HEADER < hd->body_bytes ? "truncated" : "trailing bytes",
                         (unsigned long long)hd->body_bytes, m->size - VFILE_HEADER);
    if (sum_words(SUM_INIT, m->data + VFILE_HEADER, hd->body_bytes) != hd->body_sum)
        return error_set(NEEDLE_EFORMAT, "%s: the vector index is corrupt (body checksum mismatch)", path);
    return 0;
}

static int load_exact(const char *path, const unsigned char *body, const vfile_header *hd, vector_index *ix) {
    size_t n = hd->count, dim = hd->dim;
    if (hd->body_bytes != n * 8 + n * dim * 4)
        return error_set(NEEDLE_EFORMAT, "%s: body of %llu bytes does not fit %zu vectors of dimension %zu", path,
                         (unsigned long long)hd->body_bytes, n, dim);
    int rc = vector_index_reserve(ix, n ? n : 1);
    if (rc) return rc;
    memcpy(ix->ids, body, n * 8);
    memcpy(ix->vectors, body + n * 8, n * dim * 4);
    ix->n = n;
    return 0;
}

/* Check one stored link list of node i on a layer and copy it into place. */
static int take_links(const char *path, hnsw *h, size_t i, int level, const uint32_t *src) {
    uint32_t cap = level ? (uint32_t)h->M : (uint32_t)h->M0;
    if (src[0] > cap)
        return error_set(NEEDLE_EFORMAT, "%s: node %zu has %u links on layer %d, more than the %u allowed", path, i, src[0],
                         level, cap);
    for (uint32_t j = 1; j <= src[0]; j++)
        if (src[j] >= h->n || src[j] == i || h->levels[src[j]] < level)
            return error_set(NEEDLE_EFORMAT, "%s: node %zu links to node %u on layer %d, which is not there", path, i, src[j],
                             level);
    memcpy(hnsw_links(h, i, level), src, (1 + (size_t)cap) * sizeof *src);
    return 0;
}

static int load_hnsw(const char *path, const unsigned char *body, const vfile_header *hd, vector_index *ix) {
    hnsw *h = &ix->graph;
    size_t n = hd->count, dim = hd->dim, M = hd->M, fixed = n * 8 + n * dim * 4 + levels_bytes(n) + n * (1 + 2 * M) * 4;
    if (hd->body_bytes < fixed)
        return error_set(NEEDLE_EFORMAT, "%s: body of %llu bytes is too small for %zu HNSW nodes of dimension %zu", path,
                         (unsigned long long)hd->body_bytes, n, dim);
    const uint8_t *levels = body + n * 8 + n * dim * 4;
    size_t upper_words = 0;
    for (size_t i = 0; i < n; i++) {
        if (levels[i] > HNSW_MAX_LEVEL) return error_set(NEEDLE_EFORMAT, "%s: node %zu has level %u", path, i, levels[i]);
        upper_words += (size_t)levels[i] * (1 + M);
    }
    if (hd->body_bytes != fixed + upper_words * 4)
        return error_set(NEEDLE_EFORMAT, "%s: body of %llu bytes does not match its %zu nodes' levels (%zu expected)", path,
                         (unsigned long long)hd->body_bytes, n, fixed + upper_words * 4);
    if (n ? hd->entry < 0 || (size_t)hd->entry >= n || levels[hd->entry] != hd->max_level : hd->entry != -1)
        return error_set(NEEDLE_EFORMAT, "%s: entry point %lld (top level %d) is not a node on the top layer", path,
                         (long long)hd->entry, hd->max_level);
    int rc = hnsw_reserve(h, n ? n : 1);
    if (rc) return rc;
    memcpy(h->ids, body, n * 8);
    memcpy(h->levels, levels, n);
    for (size_t i = 0; i < n; i++) memcpy(hnsw_vector(h, i), body + n * 8 + i * dim * 4, dim * 4);
    for (size_t i = 0; i < n; i++) {
        h->upper[i] = NULL;
        if (levels[i] && !(h->upper[i] = calloc(levels[i], (1 + M) * 4))) {
            h->n = i;
            return error_set(NEEDLE_ENOMEM, "%s: out of memory for upper-layer links", path);
        }
    }
    h->n = n;
    const uint32_t *links = (const uint32_t *)(levels + levels_bytes(n));
    for (size_t i = 0; i < n; i++, links += 1 + 2 * M)
        if ((rc = take_links(path, h, i, 0, links))) return rc;
    for (size_t i = 0; i < n; i++)
        for (int l = 1; l <= levels[i]; l++, links += 1 + M)
            if ((rc = take_links(path, h, i, l, links))) return rc;
    h->entry = hd->entry;
    h->max_level = hd->max_level;
    memcpy(h->level_rng.s, hd->rng, sizeof hd->rng);
    return 0;
}

int vector_index_load(const char *path, int expect_dim, vector_index **out) {
    *out = NULL;
    file_map m;
    int rc = file_map_open(&m, path);
    if (rc) return rc;
    vfile_header hd = {0};
    vector_index_config cfg;
    vector_index *ix = NULL;
    if ((rc = check_header(path, &m, expect_dim, &hd, &cfg))) goto done;
    if ((rc = vector_index_create(&cfg, &ix))) goto done;
    const unsigned char *body = m.data + VFILE_HEADER;
    rc = cfg.kind == VECTOR_HNSW ? load_hnsw(path, body, &hd, ix) : load_exact(path, body, &hd, ix);
done:
    file_map_close(&m);
    if (rc) vector_index_free(ix);
    else *out = ix;
    return rc;
}

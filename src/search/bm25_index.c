/* bm25_index.c — opens a BM25 index file memory-mapped and checks it before use: magic,
 * version, header checksum, file size, and that every section, posting list and block lies
 * inside the file with increasing documents, so that a foreign, truncated or corrupt file gives a clear error instead
 * of a crash during search. Look-ups (terms, document ids) are binary searches over the
 * sorted tables the writer stored, so opening costs no rebuilding. */
#include "needle/bm25.h"
#include "needle/error.h"
#include "bm25_format.h"

#include <stdlib.h>
#include <string.h>

static int section_ok(const bm25_index *ix, uint64_t off, uint64_t count, uint64_t size) {
    if (off % 8 && size >= 8) return 0;
    if (off > ix->map.size) return 0;
    if (size && count > (ix->map.size - off) / size) return 0;
    return 1;
}

static int check_lists(bm25_index *ix) {
    const bm25_header *h = ix->h;
    uint64_t n = h->n_terms * h->n_fields;
    for (uint64_t i = 0; i < n; i++) {
        const bm25_list_meta *lm = &ix->lists[i];
        if (!lm->df) continue;
        uint64_t nb = (lm->df + (uint64_t)BM25_BLOCK - 1) / BM25_BLOCK;
        if (lm->df > h->n_docs || lm->n_blocks != nb || lm->offset > ix->postings_size ||
            nb * sizeof(bm25_block_meta) > ix->postings_size - lm->offset)
            return error_set(NEEDLE_EFORMAT, "%s: posting list %llu is out of bounds; the index is corrupt, rebuild it",
                             ix->path, (unsigned long long)i);
        const bm25_block_meta *bm = (const bm25_block_meta *)(ix->postings + lm->offset);
        uint64_t data_size = ix->postings_size - lm->offset - nb * sizeof(bm25_block_meta);
        for (uint64_t k = 0; k < nb; k++)
            if (bm[k].offset >= data_size || bm[k].last_doc >= h->n_docs || (k && bm[k].last_doc <= bm[k - 1].last_doc) ||
                (k && bm[k].offset <= bm[k - 1].offset) || !bm[k].max_tf)
                return error_set(NEEDLE_EFORMAT, "%s: block %llu of posting list %llu is corrupt; rebuild the index", ix->path,
                                 (unsigned long long)k, (unsigned long long)i);
    }
    return 0;
}

int bm25_index_open(bm25_index **out, const char *path) {
    *out = NULL;
    bm25_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->path = strdup(path))) {
        free(ix);
        return error_set(NEEDLE_ENOMEM, "%s: out of memory", path);
    }
    int rc = file_map_open(&ix->map, path);
    if (rc) goto fail;
    const bm25_header *h = (const bm25_header *)ix->map.data;
    ix->h = h;
    if (ix->map.size < sizeof *h || memcmp(h->magic, BM25_MAGIC, 8)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: not a needle BM25 index (bad magic number)", path);
        goto fail;
    }
    if (h->version != BM25_VERSION) {
        rc = error_set(NEEDLE_EFORMAT, "%s: BM25 index format version %u, this needle reads version %u; rebuild the index",
                       path, h->version, BM25_VERSION);
        goto fail;
    }
    if (h->header_size != sizeof *h || h->header_check != bm25_header_check(h)) {
        rc = error_set(NEEDLE_EFORMAT, "%s: BM25 index header is corrupt (checksum mismatch)", path);
        goto fail;
    }
    if (h->file_size != ix->map.size) {
        rc = error_set(NEEDLE_EFORMAT, "%s: BM25 index is %zu bytes, its header says %llu (truncated or damaged)", path,
                       ix->map.size, (unsigned long long)h->file_size);
        goto fail;
    }
    uint64_t nd = h->n_docs, nt = h->n_terms, nf = h->n_fields;
    if (nf < 1 || nf > BM25_MAX_FIELDS || !section_ok(ix, h->off_fields, nf, sizeof(bm25_field_entry)) ||
        !section_ok(ix, h->off_doc_offsets, nd + 1, 8) || !section_ok(ix, h->off_doc_sorted, nd, 4) ||
        !section_ok(ix, h->off_norms, nd * nf, 1) || !section_ok(ix, h->off_term_offsets, nt + 1, 8) ||
        !section_ok(ix, h->off_term_lists, nt * nf, sizeof(bm25_list_meta)) || h->off_postings > ix->map.size) {
        rc = error_set(NEEDLE_EFORMAT, "%s: BM25 index sections are out of bounds; the index is corrupt, rebuild it", path);
        goto fail;
    }
    const unsigned char *base = ix->map.data;
    ix->fields = (const bm25_field_entry *)(base + h->off_fields);
    ix->doc_offsets = (const uint64_t *)(base + h->off_doc_offsets);
    ix->doc_blob = (const char *)(base + h->off_doc_blob);
    ix->doc_sorted = (const uint32_t *)(base + h->off_doc_sorted);
    ix->norms = base + h->off_norms;
    ix->term_offsets = (const uint64_t *)(base + h->off_term_offsets);
    ix->term_blob = (const char *)(base + h->off_term_blob);
    ix->lists = (const bm25_list_meta *)(base + h->off_term_lists);
    ix->postings = base + h->off_postings;
    ix->postings_size = ix->map.size - h->off_postings;
    if (!section_ok(ix, h->off_doc_blob, ix->doc_offsets[nd], 1) || !section_ok(ix, h->off_term_blob, ix->term_offsets[nt], 1) ||
        (nd && ix->doc_blob[ix->doc_offsets[nd] - 1]) || (nt && ix->term_blob[ix->term_offsets[nt] - 1])) {
        rc = error_set(NEEDLE_EFORMAT, "%s: BM25 index string tables are out of bounds; the index is corrupt", path);
        goto fail;
    }
    for (uint64_t f = 0; f < nf; f++) {
        if (memchr(ix->fields[f].name, 0, sizeof ix->fields[f].name) == NULL || ix->fields[f].doc_count > nd) {
            rc = error_set(NEEDLE_EFORMAT, "%s: BM25 index field table is corrupt", path);
            goto fail;
        }
    }
    if ((rc = check_lists(ix))) goto fail;
    *out = ix;
    return 0;
fail:
    bm25_index_close(ix);
    return rc;
}

void bm25_index_close(bm25_index *ix) {
    if (!ix) return;
    file_map_close(&ix->map);
    free(ix->path);
    free(ix);
}

uint32_t bm25_index_num_docs(const bm25_index *ix) { return ix->h->n_docs; }
uint64_t bm25_index_num_terms(const bm25_index *ix) { return ix->h->n_terms; }
int bm25_index_num_fields(const bm25_index *ix) { return (int)ix->h->n_fields; }
const char *bm25_index_field_name(const bm25_index *ix, int field) { return ix->fields[field].name; }

int bm25_index_field_find(const bm25_index *ix, const char *name) {
    for (int f = 0; f < (int)ix->h->n_fields; f++)
        if (!strcmp(ix->fields[f].name, name)) return f;
    return -1;
}

void bm25_index_field_stats(const bm25_index *ix, int field, uint32_t *doc_count, uint64_t *total_terms) {
    *doc_count = ix->fields[field].doc_count;
    *total_terms = ix->fields[field].total_terms;
}

const char *bm25_index_doc_id(const bm25_index *ix, uint32_t doc) { return ix->doc_blob + ix->doc_offsets[doc]; }

int bm25_index_doc_find(const bm25_index *ix, const char *doc_id, uint32_t *doc) {
    uint64_t lo = 0, hi = ix->h->n_docs;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        int c = strcmp(bm25_index_doc_id(ix, ix->doc_sorted[mid]), doc_id);
        if (!c) {
            *doc = ix->doc_sorted[mid];
            return 1;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int bm25_index_term_find(const bm25_index *ix, const char *term, size_t len, uint64_t *t) {
    uint64_t lo = 0, hi = ix->h->n_terms;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        const char *s = ix->term_blob + ix->term_offsets[mid];
        size_t sl = (size_t)(ix->term_offsets[mid + 1] - ix->term_offsets[mid] - 1), n = sl < len ? sl : len;
        int c = memcmp(s, term, n);
        if (!c) c = sl < len ? -1 : sl > len ? 1 : 0;
        if (!c) {
            *t = mid;
            return 1;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

uint32_t bm25_index_doc_freq(const bm25_index *ix, const char *term, int field) {
    uint64_t t;
    if (!bm25_index_term_find(ix, term, strlen(term), &t)) return 0;
    return ix->lists[t * ix->h->n_fields + (uint64_t)field].df;
}

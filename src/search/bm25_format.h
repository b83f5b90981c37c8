/* bm25_format.h — the on-disk layout of a BM25 index, shared by the writer (bm25_build.c),
 * the reader (bm25_index.c) and the search (bm25_search.c). All integers little-endian;
 * every section starts on an 8-byte boundary.
 *
 *   header           bm25_header (128 bytes)
 *   fields           bm25_field_entry[n_fields]
 *   doc_offsets      u64[n_docs + 1]      offsets of the document ids in doc_blob
 *   doc_blob         NUL-terminated document ids
 *   doc_sorted       u32[n_docs]          document numbers in byte order of their ids
 *   norms            u8[n_fields][n_docs] SmallFloat byte of each field's length
 *   term_offsets     u64[n_terms + 1]     offsets of the terms in term_blob
 *   term_blob        NUL-terminated terms, in byte order
 *   term_lists       bm25_list_meta[n_terms][n_fields]
 *   postings         per (term, field) with df > 0: bm25_block_meta[n_blocks], then the
 *                    blocks: BM25_BLOCK documents each (the last may be shorter), coded as
 *                    varint document gaps (from the previous block's last document; the
 *                    first block from -1) followed by varint (tf - 1) values. */
#ifndef NEEDLE_BM25_FORMAT_H
#define NEEDLE_BM25_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "needle/file.h"

#define BM25_MAGIC "NDLBM25\n"
#define BM25_VERSION 1u
#define BM25_BLOCK 128

typedef struct {
    char magic[8];
    uint32_t version, header_size;
    uint32_t n_docs, n_fields;
    uint64_t n_terms, file_size;
    uint64_t off_fields, off_doc_offsets, off_doc_blob, off_doc_sorted, off_norms;
    uint64_t off_term_offsets, off_term_blob, off_term_lists, off_postings;
    uint64_t reserved[1];
    uint64_t header_check; /* FNV-1a of the 120 bytes before it */
} bm25_header;

typedef struct {
    char name[32];
    uint64_t total_terms; /* sum of the field's lengths */
    uint32_t doc_count;   /* documents whose field has at least one term */
    uint32_t pad;
} bm25_field_entry;

typedef struct {
    uint64_t offset;   /* of the list's block metadata, from the start of postings */
    uint32_t df, n_blocks;
    uint32_t max_tf;   /* the list's score bound: highest tf ... */
    uint8_t min_norm;  /* ... and shortest length byte (score grows with tf, falls with length) */
    uint8_t pad[3];
} bm25_list_meta;

typedef struct {
    uint32_t last_doc;
    uint32_t offset;   /* of the block's bytes, from the end of the list's block metadata */
    uint32_t max_tf;
    uint8_t min_norm;
    uint8_t pad[3];
} bm25_block_meta;

_Static_assert(sizeof(bm25_header) == 128, "header is 128 bytes");
_Static_assert(sizeof(bm25_field_entry) == 48, "field entry is 48 bytes");
_Static_assert(sizeof(bm25_list_meta) == 24, "list meta is 24 bytes");
_Static_assert(sizeof(bm25_block_meta) == 16, "block meta is 16 bytes");

static inline uint64_t bm25_header_check(const bm25_header *h) {
    const unsigned char *p = (const unsigned char *)h;
    uint64_t x = 1469598103934665603ULL;
    for (size_t i = 0; i < offsetof(bm25_header, header_check); i++) x = (x ^ p[i]) * 1099511628211ULL;
    return x;
}

static inline unsigned char *varint_put(unsigned char *p, uint32_t v) {
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static inline const unsigned char *varint_get(const unsigned char *p, uint32_t *v) {
    uint32_t x = *p++;
    if (x < 0x80) {
        *v = x;
        return p;
    }
    x &= 0x7F;
    for (int shift = 7;; shift += 7) {
        uint32_t b = *p++;
        x |= (b & 0x7F) << shift;
        if (b < 0x80) break;
    }
    *v = x;
    return p;
}

/* An open index: pointers into the mapped file (see bm25_index.c). */
struct bm25_index {
    file_map map;
    char *path;
    const bm25_header *h;
    const bm25_field_entry *fields;
    const uint64_t *doc_offsets, *term_offsets;
    const char *doc_blob, *term_blob;
    const uint32_t *doc_sorted;
    const uint8_t *norms;              /* [field * n_docs + doc] */
    const bm25_list_meta *lists;       /* [term * n_fields + field] */
    const unsigned char *postings;
    uint64_t postings_size;
};

/* 1 and the term number of `term` if present, else 0. */
int bm25_index_term_find(const struct bm25_index *ix, const char *term, size_t len, uint64_t *t);

#endif

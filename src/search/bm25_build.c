/* bm25_build.c — builds a BM25 index in memory from added documents and writes it in the
 * format of bm25_format.h.
 *
 * While adding, each (term, field) keeps its postings as a growing varint byte string of
 * (document gap, tf) pairs — two or three bytes a posting, so a million passages fit in a
 * few hundred megabytes — and each document's field lengths go into one byte each. Writing
 * sorts the terms, re-codes every list into 128-document blocks with a skip table of block
 * bounds, and streams the sections through an atomic file. */
#define _GNU_SOURCE /* qsort_r */
#include "needle/bm25.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/strtab.h"
#include "bm25_format.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *buf;
    uint32_t len, cap;
    uint32_t df, last_doc;
} raw_list;

struct bm25_builder {
    int n_fields;
    char names[BM25_MAX_FIELDS][32];
    analyzer *an;
    strtab terms;
    raw_list *lists;              /* [term * n_fields + field] */
    uint64_t lists_cap;           /* in terms */
    strtab doc_ids;
    unsigned char *norms[BM25_MAX_FIELDS];
    size_t norms_cap;
    uint64_t total_terms[BM25_MAX_FIELDS];
    uint32_t doc_count[BM25_MAX_FIELDS];
    /* per-document scratch: term ids of the field being added, with their counts */
    uint32_t *doc_terms, *doc_tf;
    uint32_t *seen, *where;  /* seen[term] = doc + 1 if in the current field, where[term] = its index */
    uint32_t n_doc_terms, doc_terms_cap;
    uint64_t seen_cap;
    int error;
};

int bm25_builder_new(bm25_builder **out, int n_fields, const char *const *field_names) {
    *out = NULL;
    if (n_fields < 1 || n_fields > BM25_MAX_FIELDS)
        return error_set(NEEDLE_EINVAL, "bm25: %d fields; an index has 1 to %d", n_fields, BM25_MAX_FIELDS);
    for (int f = 0; f < n_fields; f++) {
        size_t n = field_names[f] ? strlen(field_names[f]) : 0;
        if (n < 1 || n > BM25_FIELD_NAME_MAX)
            return error_set(NEEDLE_EINVAL, "bm25: field name '%s' must have 1 to %d bytes", field_names[f] ? field_names[f] : "",
                             BM25_FIELD_NAME_MAX);
        for (int g = 0; g < f; g++)
            if (!strcmp(field_names[f], field_names[g]))
                return error_set(NEEDLE_EINVAL, "bm25: field '%s' named twice", field_names[f]);
    }
    bm25_builder *b = calloc(1, sizeof *b);
    if (!b) return error_set(NEEDLE_ENOMEM, "bm25: out of memory");
    b->n_fields = n_fields;
    for (int f = 0; f < n_fields; f++) strcpy(b->names[f], field_names[f]);
    strtab_init(&b->terms);
    strtab_init(&b->doc_ids);
    int rc = analyzer_new(&b->an);
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    return 0;
}

void bm25_builder_free(bm25_builder *b) {
    if (!b) return;
    analyzer_free(b->an);
    for (uint64_t i = 0; i < (uint64_t)b->terms.count * b->n_fields; i++) free(b->lists[i].buf);
    free(b->lists);
    strtab_free(&b->terms);
    strtab_free(&b->doc_ids);
    for (int f = 0; f < b->n_fields; f++) free(b->norms[f]);
    free(b->doc_terms);
    free(b->doc_tf);
    free(b->seen);
    free(b->where);
    free(b);
}

size_t bm25_builder_num_docs(const bm25_builder *b) { return b->doc_ids.count; }

static int grow_term_arrays(bm25_builder *b, uint32_t term) {
    if (term < b->lists_cap) return 0;
    uint64_t cap = b->lists_cap ? b->lists_cap * 2 : 4096;
    raw_list *l = realloc(b->lists, cap * b->n_fields * sizeof *l);
    if (!l) return error_set(NEEDLE_ENOMEM, "bm25: out of memory for %llu terms", (unsigned long long)cap);
    memset(l + b->lists_cap * b->n_fields, 0, (cap - b->lists_cap) * b->n_fields * sizeof *l);
    b->lists = l;
    uint32_t *seen = realloc(b->seen, cap * sizeof *seen);
    if (!seen) return error_set(NEEDLE_ENOMEM, "bm25: out of memory for %llu terms", (unsigned long long)cap);
    memset(seen + b->lists_cap, 0, (cap - b->lists_cap) * sizeof *seen);
    b->seen = seen;
    uint32_t *where = realloc(b->where, cap * sizeof *where);
    if (!where) return error_set(NEEDLE_ENOMEM, "bm25: out of memory for %llu terms", (unsigned long long)cap);
    b->where = where;
    b->lists_cap = cap;
    return 0;
}

/* Analyzer callback: count one occurrence of a term in the current field. */
static int on_term(void *ctx, const char *term, size_t len) {
    bm25_builder *b = ctx;
    uint32_t id;
    int rc = strtab_intern(&b->terms, term, len, &id, NULL);
    if (!rc) rc = grow_term_arrays(b, id);
    if (rc) return b->error = rc;
    uint32_t mark = b->doc_ids.count + 1; /* the document being added, plus one */
    if (b->seen[id] == mark) {
        b->doc_tf[b->where[id]]++;
        return 0;
    }
    if (b->n_doc_terms == b->doc_terms_cap) {
        uint32_t cap = b->doc_terms_cap ? b->doc_terms_cap * 2 : 256;
        uint32_t *t = realloc(b->doc_terms, cap * sizeof *t), *f = t ? realloc(b->doc_tf, cap * sizeof *f) : NULL;
        if (t) b->doc_terms = t;
        if (!t || !f) return b->error = error_set(NEEDLE_ENOMEM, "bm25: out of memory");
        b->doc_tf = f;
        b->doc_terms_cap = cap;
    }
    b->seen[id] = mark;
    b->where[id] = b->n_doc_terms;
    b->doc_terms[b->n_doc_terms] = id;
    b->doc_tf[b->n_doc_terms++] = 1;
    return 0;
}

static int list_append(raw_list *l, uint32_t doc, uint32_t tf) {
    if (l->len + 10 > l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        unsigned char *p = realloc(l->buf, cap);
        if (!p) return error_set(NEEDLE_ENOMEM, "bm25: out of memory for postings");
        l->buf = p;
        l->cap = cap;
    }
    unsigned char *p = varint_put(l->buf + l->len, l->df ? doc - l->last_doc : doc);
    p = varint_put(p, tf);
    l->len = (uint32_t)(p - l->buf);
    l->last_doc = doc;
    l->df++;
    return 0;
}

int bm25_builder_add(bm25_builder *b, const char *doc_id, const char *const *field_texts) {
    if (!doc_id || !*doc_id) return error_set(NEEDLE_EINVAL, "bm25: document %u has an empty id", b->doc_ids.count);
    if (b->doc_ids.count == UINT32_MAX - 1) return error_set(NEEDLE_EINVAL, "bm25: too many documents");
    uint32_t id;
    if (strtab_find(&b->doc_ids, doc_id, strlen(doc_id), &id))
        return error_set(NEEDLE_EINVAL, "bm25: document id '%s' added twice", doc_id);
    uint32_t doc = b->doc_ids.count;
    if (doc >= b->norms_cap) {
        size_t cap = b->norms_cap ? b->norms_cap * 2 : 4096;
        for (int f = 0; f < b->n_fields; f++) {
            unsigned char *n = realloc(b->norms[f], cap);
            if (!n) return error_set(NEEDLE_ENOMEM, "bm25: out of memory for norms");
            b->norms[f] = n;
        }
        b->norms_cap = cap;
    }
    for (int f = 0; f < b->n_fields; f++) {
        const char *text = field_texts[f] ? field_texts[f] : "";
        b->n_doc_terms = 0;
        b->error = 0;
        int rc = analyzer_run(b->an, text, strlen(text), on_term, b);
        if (rc) return error_prefix(rc, "bm25: document '%s': ", doc_id);
        uint64_t length = 0;
        for (uint32_t i = 0; i < b->n_doc_terms; i++) {
            length += b->doc_tf[i];
            if ((rc = list_append(&b->lists[(uint64_t)b->doc_terms[i] * b->n_fields + f], doc, b->doc_tf[i]))) return rc;
        }
        if (length > UINT32_MAX) length = UINT32_MAX;
        b->norms[f][doc] = bm25_length_to_byte((uint32_t)length);
        b->total_terms[f] += length;
        if (length) b->doc_count[f]++;
        /* a term seen in this field may occur again in the next field of the same document */
        for (uint32_t i = 0; i < b->n_doc_terms; i++) b->seen[b->doc_terms[i]] = 0;
    }
    return strtab_intern(&b->doc_ids, doc_id, strlen(doc_id), &id, NULL);
}

/* ---- writing ---- */

static int cmp_str_ids(const void *a, const void *b, void *tab) {
    return strcmp(strtab_str(tab, *(const uint32_t *)a), strtab_str(tab, *(const uint32_t *)b));
}

static int pad8(FILE *fp, uint64_t *pos) {
    static const char zeros[8];
    size_t n = (size_t)((8 - *pos % 8) % 8);
    if (n && fwrite(zeros, 1, n, fp) != n) return -1;
    *pos += n;
    return 0;
}

static int put(FILE *fp, uint64_t *pos, const void *p, size_t n) {
    if (n && fwrite(p, 1, n, fp) != n) return -1;
    *pos += n;
    return 0;
}

/* Re-code one raw list into blocks: metadata into `meta`, bytes into `out`. Returns the
 * number of bytes of block data. */
static size_t encode_list(const raw_list *l, const unsigned char *norms, bm25_block_meta *meta, unsigned char *out,
                          bm25_list_meta *lm) {
    const unsigned char *p = l->buf;
    uint32_t doc = 0, prev_last = UINT32_MAX, docs[BM25_BLOCK], tfs[BM25_BLOCK];
    unsigned char *o = out;
    lm->max_tf = 0;
    lm->min_norm = 255;
    for (uint32_t i = 0, blk = 0; i < l->df; blk++) {
        uint32_t n = l->df - i < BM25_BLOCK ? l->df - i : BM25_BLOCK;
        bm25_block_meta *bm = &meta[blk];
        memset(bm, 0, sizeof *bm);
        bm->min_norm = 255;
        bm->offset = (uint32_t)(o - out);
        for (uint32_t j = 0; j < n; j++, i++) {
            uint32_t gap, tf;
            p = varint_get(p, &gap);
            p = varint_get(p, &tf);
            doc = i ? doc + gap : gap;
            docs[j] = doc;
            tfs[j] = tf;
            if (tf > bm->max_tf) bm->max_tf = tf;
            if (norms[doc] < bm->min_norm) bm->min_norm = norms[doc];
        }
        for (uint32_t j = 0; j < n; j++) {
            o = varint_put(o, docs[j] - prev_last - 1);
            prev_last = docs[j];
        }
        for (uint32_t j = 0; j < n; j++) o = varint_put(o, tfs[j] - 1);
        bm->last_doc = doc;
        if (bm->max_tf > lm->max_tf) lm->max_tf = bm->max_tf;
        if (bm->min_norm < lm->min_norm) lm->min_norm = bm->min_norm;
    }
    return (size_t)(o - out);
}

int bm25_builder_write(bm25_builder *b, const char *path) {
    uint32_t n_docs = b->doc_ids.count, n_terms = b->terms.count;
    int nf = b->n_fields, rc = 0;
    uint32_t *term_order = malloc(((size_t)n_terms + 1) * sizeof *term_order);
    uint32_t *doc_order = malloc(((size_t)n_docs + 1) * sizeof *doc_order);
    bm25_list_meta *metas = calloc((size_t)n_terms * nf + 1, sizeof *metas);
    uint32_t max_blocks = 1;
    for (uint64_t i = 0; i < (uint64_t)n_terms * nf; i++)
        if ((b->lists[i].df + BM25_BLOCK - 1) / BM25_BLOCK > max_blocks) max_blocks = (b->lists[i].df + BM25_BLOCK - 1) / BM25_BLOCK;
    bm25_block_meta *blocks = malloc((size_t)max_blocks * sizeof *blocks);
    unsigned char *buf = malloc((size_t)max_blocks * BM25_BLOCK * 10);
    atomic_file af = {0};
    if (!term_order || !doc_order || !metas || !blocks || !buf) {
        rc = error_set(NEEDLE_ENOMEM, "%s: out of memory writing the index", path);
        goto done;
    }
    for (uint32_t i = 0; i < n_terms; i++) term_order[i] = i;
    for (uint32_t i = 0; i < n_docs; i++) doc_order[i] = i;
    qsort_r(term_order, n_terms, sizeof *term_order, cmp_str_ids, &b->terms);
    qsort_r(doc_order, n_docs, sizeof *doc_order, cmp_str_ids, &b->doc_ids);

    if ((rc = atomic_file_open(&af, path))) goto done;
    FILE *fp = af.fp;
    bm25_header h;
    memset(&h, 0, sizeof h);
    uint64_t pos = 0;
    int bad = put(fp, &pos, &h, sizeof h);

    h.off_fields = pos;
    for (int f = 0; f < nf && !bad; f++) {
        bm25_field_entry fe;
        memset(&fe, 0, sizeof fe);
        strcpy(fe.name, b->names[f]);
        fe.total_terms = b->total_terms[f];
        fe.doc_count = b->doc_count[f];
        bad = put(fp, &pos, &fe, sizeof fe);
    }
    h.off_doc_offsets = pos;
    for (uint32_t d = 0; d <= n_docs && !bad; d++) {
        uint64_t off = d < n_docs ? b->doc_ids.offsets[d] : b->doc_ids.arena_len;
        bad = put(fp, &pos, &off, 8);
    }
    h.off_doc_blob = pos;
    bad = bad || put(fp, &pos, b->doc_ids.arena, b->doc_ids.arena_len) || pad8(fp, &pos);
    h.off_doc_sorted = pos;
    bad = bad || put(fp, &pos, doc_order, (size_t)n_docs * 4) || pad8(fp, &pos);
    h.off_norms = pos;
    for (int f = 0; f < nf && !bad; f++) bad = put(fp, &pos, b->norms[f], n_docs);
    bad = bad || pad8(fp, &pos);
    h.off_term_offsets = pos;
    uint64_t toff = 0;
    for (uint32_t i = 0; i <= n_terms && !bad; i++) {
        bad = put(fp, &pos, &toff, 8);
        if (i < n_terms) toff += strtab_len(&b->terms, term_order[i]) + 1;
    }
    h.off_term_blob = pos;
    for (uint32_t i = 0; i < n_terms && !bad; i++)
        bad = put(fp, &pos, strtab_str(&b->terms, term_order[i]), strtab_len(&b->terms, term_order[i]) + 1);
    bad = bad || pad8(fp, &pos);
    h.off_term_lists = pos;
    uint64_t lists_bytes = (uint64_t)n_terms * nf * sizeof *metas;
    bad = bad || put(fp, &pos, metas, lists_bytes); /* placeholder, rewritten below */
    h.off_postings = pos;
    uint64_t poff = 0;
    for (uint32_t i = 0; i < n_terms && !bad; i++) {
        for (int f = 0; f < nf && !bad; f++) {
            const raw_list *l = &b->lists[(uint64_t)term_order[i] * nf + f];
            bm25_list_meta *lm = &metas[(uint64_t)i * nf + f];
            lm->df = l->df;
            if (!l->df) continue;
            lm->offset = poff;
            lm->n_blocks = (l->df + BM25_BLOCK - 1) / BM25_BLOCK;
            size_t nbytes = encode_list(l, b->norms[f], blocks, buf, lm);
            bad = put(fp, &pos, blocks, (size_t)lm->n_blocks * sizeof *blocks) || put(fp, &pos, buf, nbytes);
            poff += (uint64_t)lm->n_blocks * sizeof *blocks + nbytes;
        }
    }
    bad = bad || pad8(fp, &pos);
    memcpy(h.magic, BM25_MAGIC, 8);
    h.version = BM25_VERSION;
    h.header_size = sizeof h;
    h.n_docs = n_docs;
    h.n_fields = (uint32_t)nf;
    h.n_terms = n_terms;
    h.file_size = pos;
    h.header_check = bm25_header_check(&h);
    bad = bad || fseek(fp, (long)h.off_term_lists, SEEK_SET) || fwrite(metas, 1, lists_bytes, fp) != lists_bytes ||
          fseek(fp, 0, SEEK_SET) || fwrite(&h, 1, sizeof h, fp) != sizeof h;
    if (bad) {
        rc = error_errno(NEEDLE_EIO, "%s: write failed (disk full?); the previous index is kept", path);
        atomic_file_abort(&af);
        goto done;
    }
    rc = atomic_file_commit(&af);
done:
    free(term_order);
    free(doc_order);
    free(metas);
    free(blocks);
    free(buf);
    return rc;
}

/* search_store.c — BM25 index built from the document store, and filtered search (see
 * search_store.h). The filter becomes a bitset over the index's document numbers: the store
 * lists the matching ids, the index maps each id to its number. */
#include "needle/error.h"
#include "needle/search_store.h"
#include "needle/strbuf.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *search_store_bm25_path(const char *store) {
    size_t n = strlen(store) + 6;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s.bm25", store);
    return p;
}

/* title + " " + content into sb (the content alone without a title). */
static int flat_text(const docstore_record *r, strbuf *sb) {
    strbuf_clear(sb);
    cJSON *meta = cJSON_Parse(r->meta_json);
    const cJSON *title = meta ? cJSON_GetObjectItemCaseSensitive(meta, "title") : NULL;
    int rc = 0;
    if (cJSON_IsString(title) && title->valuestring[0]) {
        rc = strbuf_puts(sb, title->valuestring);
        if (!rc) rc = strbuf_putc(sb, ' ');
    }
    cJSON_Delete(meta);
    if (!rc) rc = strbuf_puts(sb, r->content);
    return rc;
}

int search_store_build_bm25(docstore *ds, const char *path) {
    static const char *const fields[1] = {"contents"};
    bm25_builder *b;
    docstore_iter *it = NULL;
    strbuf sb;
    strbuf_init(&sb);
    int rc = bm25_builder_new(&b, 1, fields);
    if (rc) return rc;
    if ((rc = docstore_iter_docs(ds, NULL, NULL, &it))) goto done;
    docstore_record r;
    int more;
    while ((more = docstore_iter_next_doc(it, &r)) == 1) {
        if ((rc = flat_text(&r, &sb))) goto done;
        const char *texts[1] = {sb.data};
        if ((rc = bm25_builder_add(b, r.id, texts))) goto done;
    }
    if (more < 0) { rc = more; goto done; }
    rc = bm25_builder_write(b, path);
done:
    docstore_iter_free(it);
    bm25_builder_free(b);
    strbuf_free(&sb);
    return rc ? error_prefix(rc, "building the BM25 index %s: ", path) : 0;
}

/* The allowed-documents bitset of `filters` over the index's numbering. */
static int allowed_bits(docstore *ds, const bm25_index *ix, const char *filters, uint64_t **bits) {
    size_t words = ((size_t)bm25_index_num_docs(ix) + 63) / 64;
    *bits = calloc(words ? words : 1, sizeof **bits);
    if (!*bits) return error_set(NEEDLE_ENOMEM, "out of memory filtering");
    docstore_iter *it;
    int rc = docstore_iter_docs(ds, filters, NULL, &it);
    if (rc) return rc;
    docstore_record r;
    int more;
    while ((more = docstore_iter_next_doc(it, &r)) == 1) {
        uint32_t d;
        if (bm25_index_doc_find(ix, r.id, &d)) (*bits)[d / 64] |= 1ULL << (d % 64);
    }
    docstore_iter_free(it);
    return more < 0 ? more : 0;
}

int search_store_bm25_with(docstore *ds, const bm25_index *ix, bm25_searcher *s, const char *query, size_t k,
                           const char *filters, const bm25_query_opts *opts, search_hit *hits, size_t *n) {
    *n = 0;
    bm25_query_opts o;
    if (opts) o = *opts;
    else bm25_query_opts_default(&o);
    uint64_t *bits = NULL;
    bm25_hit *raw = malloc((k ? k : 1) * sizeof *raw);
    int rc = raw ? 0 : error_set(NEEDLE_ENOMEM, "out of memory searching");
    if (!rc) rc = docstore_filters_check(filters);
    if (!rc && filters && strspn(filters, " \t\r\n") < strlen(filters)) {
        rc = allowed_bits(ds, ix, filters, &bits);
        o.allow_bits = bits;
    }
    size_t nraw = 0;
    if (!rc) rc = bm25_search(s, query, k, &o, raw, &nraw);
    for (size_t i = 0; i < nraw && !rc; i++) {
        int grc = docstore_get(ds, bm25_index_doc_id(ix, raw[i].doc), &hits[*n].doc);
        if (grc == NEEDLE_ENOTFOUND) continue;
        if (grc) { rc = grc; break; }
        hits[(*n)++].score = raw[i].score;
    }
    if (rc) {
        search_hits_free(hits, *n);
        *n = 0;
    }
    free(bits);
    free(raw);
    return rc;
}

int search_store_bm25(docstore *ds, const bm25_index *ix, const char *query, size_t k, const char *filters,
                      const bm25_query_opts *opts, search_hit *hits, size_t *n) {
    *n = 0;
    bm25_searcher *s = NULL;
    int rc = bm25_searcher_new(&s, ix);
    if (!rc) rc = search_store_bm25_with(ds, ix, s, query, k, filters, opts, hits, n);
    bm25_searcher_free(s);
    return rc;
}

void search_hits_free(search_hit *hits, size_t n) {
    for (size_t i = 0; i < n; i++) docstore_record_free(&hits[i].doc);
}

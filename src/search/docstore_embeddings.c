/* docstore_embeddings.c — float32 vectors per (model, document) in the store.
 *
 * A model is registered with its dimension on first use and every later vector is checked
 * against it, so a store never mixes encoders. Vectors are little-endian float32 blobs of
 * exactly dim * 4 bytes (the byte order of every machine needle targets); a blob of another
 * size is reported as a damaged store. Loading returns all vectors of a model in seq order
 * with their ids: the input of a vector index build, stable from run to run. */
#include "docstore_internal.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

int docstore_embedding_dim(docstore *ds, const char *model, int *dim) {
    sqlite3_stmt *st;
    int rc = docstore_prepare(ds, "SELECT dim FROM embedding_models WHERE name = ?", &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) *dim = sqlite3_column_int(st, 0);
    else if (s == SQLITE_DONE) rc = error_set(NEEDLE_ENOTFOUND, "%s: no embeddings for model '%s'", ds->path, model);
    else rc = docstore_db_error(ds, "reading embedding models");
    sqlite3_finalize(st);
    return rc;
}

/* Register or check, inside the caller's transaction. */
static int model_check(docstore *ds, const char *model, int dim) {
    if (dim <= 0) return error_set(NEEDLE_EINVAL, "%s: model '%s': dimension %d is not positive", ds->path, model, dim);
    int have = 0;
    int rc = docstore_embedding_dim(ds, model, &have);
    if (rc == 0) {
        if (have != dim)
            return error_set(NEEDLE_EINVAL, "%s: model '%s' has %d-dimensional embeddings, not %d", ds->path, model, have, dim);
        return 0;
    }
    if (rc != NEEDLE_ENOTFOUND) return rc;
    sqlite3_stmt *st;
    if ((rc = docstore_prepare(ds, "INSERT INTO embedding_models (name, dim) VALUES (?, ?)", &st))) return rc;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, dim);
    if (sqlite3_step(st) != SQLITE_DONE) rc = docstore_db_error(ds, "registering an embedding model");
    sqlite3_finalize(st);
    return rc;
}

int docstore_embedding_model(docstore *ds, const char *model, int dim) {
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    return docstore_txn_finish(ds, own, model_check(ds, model, dim));
}

int docstore_embeddings_put(docstore *ds, const char *model, const char *const *ids, const float *vecs, size_t n, int dim) {
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    if ((rc = model_check(ds, model, dim))) goto done;
    if (!ds->put_vec &&
        (rc = docstore_prepare(ds, "INSERT OR REPLACE INTO embeddings (model, seq, vector) SELECT ?, seq, ? FROM documents WHERE id = ?",
                               &ds->put_vec)))
        goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *st = ds->put_vec;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, vecs + i * (size_t)dim, dim * (int)sizeof(float), SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = docstore_db_error(ds, "storing embeddings");
        else if (sqlite3_changes(ds->db) == 0) rc = error_set(NEEDLE_ENOTFOUND, "%s: no document with id '%s' to attach an embedding to", ds->path, ids[i]);
    }
    if (ds->put_vec) {
        sqlite3_reset(ds->put_vec);
        sqlite3_clear_bindings(ds->put_vec);
    }
done:
    return docstore_txn_finish(ds, own, rc);
}

static int copy_vector(docstore *ds, sqlite3_stmt *st, int col, float *out, int dim, const char *id) {
    int bytes = sqlite3_column_bytes(st, col);
    const void *blob = sqlite3_column_blob(st, col);
    if (bytes != dim * (int)sizeof(float) || !blob)
        return error_set(NEEDLE_EFORMAT, "%s: the embedding of '%s' has %d bytes, expected %d (damaged store)", ds->path, id, bytes,
                         dim * (int)sizeof(float));
    memcpy(out, blob, (size_t)bytes);
    return 0;
}

int docstore_embedding_get(docstore *ds, const char *model, const char *id, float *vec, int dim) {
    int have = 0, rc = docstore_embedding_dim(ds, model, &have);
    if (rc) return rc;
    if (have != dim) return error_set(NEEDLE_EINVAL, "%s: model '%s' has %d-dimensional embeddings, not %d", ds->path, model, have, dim);
    sqlite3_stmt *st;
    if ((rc = docstore_prepare(ds, "SELECT e.vector FROM embeddings e JOIN documents d ON d.seq = e.seq WHERE e.model = ? AND d.id = ?", &st)))
        return rc;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) rc = copy_vector(ds, st, 0, vec, dim, id);
    else if (s == SQLITE_DONE) rc = error_set(NEEDLE_ENOTFOUND, "%s: document '%s' has no embedding for model '%s'", ds->path, id, model);
    else rc = docstore_db_error(ds, "reading an embedding");
    sqlite3_finalize(st);
    return rc;
}

/* Make room for one more row. */
static int grow(docstore_embeddings *e, size_t *cap) {
    if (e->n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 1024;
    long long *s = realloc(e->seqs, nc * sizeof *s);
    if (s) e->seqs = s;
    char **i = realloc(e->ids, nc * sizeof *i);
    if (i) e->ids = i;
    float *v = realloc(e->vectors, nc * (size_t)e->dim * sizeof *v);
    if (v) e->vectors = v;
    if (!s || !i || !v) return error_set(NEEDLE_ENOMEM, "out of memory loading %zu embeddings of dimension %d", nc, e->dim);
    *cap = nc;
    return 0;
}

int docstore_embeddings_load(docstore *ds, const char *model, const char *filters, docstore_embeddings *out) {
    memset(out, 0, sizeof *out);
    int dim, rc = docstore_embedding_dim(ds, model, &dim);
    if (rc) return rc;
    out->dim = dim;
    sqlite3_stmt *st;
    if ((rc = docstore_prepare_filtered(ds, "SELECT d.seq, d.id, e.vector FROM embeddings e JOIN documents d ON d.seq = e.seq",
                                        filters, FILTER_DOCUMENTS, "AND e.model = ? ORDER BY d.seq", 0, &st)))
        return rc;
    sqlite3_bind_text(st, sqlite3_bind_parameter_count(st), model, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 1);
        if ((rc = grow(out, &cap))) break;
        out->seqs[out->n] = sqlite3_column_int64(st, 0);
        if ((rc = copy_vector(ds, st, 2, out->vectors + out->n * (size_t)dim, dim, id))) break;
        if (!(out->ids[out->n] = strdup(id))) { rc = error_set(NEEDLE_ENOMEM, "out of memory loading embeddings"); break; }
        out->n++;
    }
    if (!rc && s != SQLITE_DONE) rc = docstore_db_error(ds, "loading embeddings");
    sqlite3_finalize(st);
    if (rc) docstore_embeddings_free(out);
    return rc;
}

void docstore_embeddings_free(docstore_embeddings *e) {
    if (e->ids)
        for (size_t i = 0; i < e->n; i++) free(e->ids[i]);
    free(e->ids);
    free(e->seqs);
    free(e->vectors);
    memset(e, 0, sizeof *e);
}

int docstore_embeddings_delete(docstore *ds, const char *model) {
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    sqlite3_stmt *st;
    if (!(rc = docstore_prepare(ds, "DELETE FROM embedding_models WHERE name = ?", &st))) {
        sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = docstore_db_error(ds, "deleting embeddings");
        sqlite3_finalize(st);
    }
    return docstore_txn_finish(ds, own, rc);
}

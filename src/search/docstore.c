/* docstore.c — the store file (open, schema and version check, transactions) and documents
 * (add, get, count, delete, iterate, filtered seq sets). See docstore.h for the model.
 *
 * Bulk insertion is one transaction with a prepared statement per duplicate policy, reset and
 * rebound for every row: SQLite then writes each page once at commit. The write-ahead log with
 * synchronous=NORMAL keeps the file consistent after a crash (the last transactions may be
 * lost on power failure, never half-applied) while readers run beside a writer;
 * docstore_set_durable switches a writer to synchronous=FULL (an fsync per commit). */
#include "docstore_internal.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/murmur3.h"

#include <stdlib.h>
#include <string.h>

static const char *const SCHEMA =
    "CREATE TABLE documents ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " content TEXT NOT NULL,"
    " meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta) AND json_type(meta) = 'object'),"
    " source_id TEXT,"
    " source_start INTEGER,"
    " source_end INTEGER,"
    " split_index INTEGER);"
    "CREATE INDEX documents_source ON documents(source_id);"
    "CREATE TABLE embedding_models (name TEXT PRIMARY KEY, dim INTEGER NOT NULL CHECK (dim > 0));"
    "CREATE TABLE embeddings ("
    " model TEXT NOT NULL REFERENCES embedding_models(name) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE,"
    " vector BLOB NOT NULL,"
    " PRIMARY KEY (model, seq)) WITHOUT ROWID;"
    "CREATE INDEX embeddings_seq ON embeddings(seq);"
    "CREATE TRIGGER documents_content_changed AFTER UPDATE OF content ON documents"
    " WHEN old.content IS NOT new.content BEGIN DELETE FROM embeddings WHERE seq = old.seq; END;"
    "CREATE TABLE labels ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " question TEXT NOT NULL,"
    " answer TEXT NOT NULL DEFAULT '',"
    " answer_start INTEGER,"
    " answer_end INTEGER,"
    " document_id TEXT,"
    " is_correct_answer INTEGER NOT NULL,"
    " is_correct_document INTEGER NOT NULL,"
    " no_answer INTEGER NOT NULL,"
    " origin TEXT NOT NULL CHECK (origin IN ('user-feedback', 'gold-label')),"
    " created_at TEXT NOT NULL,"
    " meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta) AND json_type(meta) = 'object'));"
    "CREATE INDEX labels_document ON labels(document_id);"
    "CREATE TABLE info (key TEXT PRIMARY KEY, value NOT NULL);"
    "INSERT INTO info VALUES ('generation', 0);";

int docstore_db_error(docstore *ds, const char *what) {
    int ext = sqlite3_extended_errcode(ds->db), prim = ext & 0xff;
    const char *msg = sqlite3_errmsg(ds->db);
    int code = prim == SQLITE_NOMEM ? NEEDLE_ENOMEM
             : prim == SQLITE_CONSTRAINT ? NEEDLE_EINVAL
             : prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ? NEEDLE_EFORMAT
             : NEEDLE_EIO;
    if (prim == SQLITE_FULL) return error_set(code, "%s: %s: the disk is full (nothing of this change was saved)", ds->path, what);
    if (prim == SQLITE_IOERR && sqlite3_system_errno(ds->db))
        return error_set(code, "%s: %s: %s: %s (nothing of this change was saved)", ds->path, what, msg, strerror(sqlite3_system_errno(ds->db)));
    return error_set(code, "%s: %s: %s", ds->path, what, msg);
}

int docstore_exec(docstore *ds, const char *sql, const char *what) {
    if (sqlite3_exec(ds->db, sql, NULL, NULL, NULL) != SQLITE_OK) return docstore_db_error(ds, what);
    return 0;
}

int docstore_prepare(docstore *ds, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(ds->db, sql, -1, st, NULL) != SQLITE_OK) return docstore_db_error(ds, "preparing a query");
    return 0;
}

int docstore_prepare_filtered(docstore *ds, const char *head, const char *filters, filter_target t, const char *tail,
                              int nfixed, sqlite3_stmt **st) {
    filter_sql f;
    *st = NULL;
    int rc = filter_compile(filters, t, &f);
    if (rc) return rc;
    strbuf sql;
    strbuf_init(&sql);
    if (strbuf_printf(&sql, "%s WHERE %s %s", head, f.sql.data, tail ? tail : "")) rc = NEEDLE_ENOMEM;
    if (!rc) rc = docstore_prepare(ds, sql.data, st);
    if (!rc) rc = filter_bind_values(&f, *st, nfixed + 1);
    if (rc) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    strbuf_free(&sql);
    filter_sql_free(&f);
    return rc;
}

/* ------------------------------------------------------------------ open, version */

static long long pragma_int(docstore *ds, const char *sql, int *rc) {
    sqlite3_stmt *st;
    long long v = 0;
    if (sqlite3_prepare_v2(ds->db, sql, -1, &st, NULL) != SQLITE_OK) {
        *rc = error_set(sqlite3_errcode(ds->db) == SQLITE_NOTADB ? NEEDLE_EFORMAT : NEEDLE_EIO,
                        "%s: not a needle document store (%s)", ds->path, sqlite3_errmsg(ds->db));
        return 0;
    }
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    else if (s != SQLITE_DONE)
        *rc = error_set(s == SQLITE_NOTADB ? NEEDLE_EFORMAT : NEEDLE_EIO, "%s: not a needle document store (%s)", ds->path,
                        sqlite3_errmsg(ds->db));
    sqlite3_finalize(st);
    return v;
}

static int create_schema(docstore *ds) {
    char sql[128];
    int rc = docstore_exec(ds, "BEGIN IMMEDIATE", "creating the schema");
    if (rc) return rc;
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;", DOCSTORE_APPLICATION_ID, DOCSTORE_SCHEMA_VERSION);
    if (!(rc = docstore_exec(ds, SCHEMA, "creating the schema")) && !(rc = docstore_exec(ds, sql, "creating the schema")))
        rc = docstore_exec(ds, "COMMIT", "creating the schema");
    if (rc) sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int check_or_create(docstore *ds, int flags) {
    int rc = 0;
    long long app = pragma_int(ds, "PRAGMA application_id", &rc);
    if (rc) return rc;
    long long version = pragma_int(ds, "PRAGMA user_version", &rc);
    if (rc) return rc;
    long long tables = pragma_int(ds, "SELECT count(*) FROM sqlite_master", &rc);
    if (rc) return rc;
    if (app == 0 && version == 0 && tables == 0) {
        if (!(flags & DOCSTORE_CREATE) || ds->readonly)
            return error_set(NEEDLE_EFORMAT, "%s: an empty file, not a needle document store", ds->path);
        return create_schema(ds);
    }
    if (app != DOCSTORE_APPLICATION_ID)
        return error_set(NEEDLE_EFORMAT, "%s: not a needle document store (an SQLite database with application_id %lld)", ds->path, app);
    if (version != DOCSTORE_SCHEMA_VERSION)
        return error_set(NEEDLE_EFORMAT,
                         "%s: document store schema version %lld, but this needle reads version %d; rebuild the store with "
                         "`needle index` (or use the needle release that wrote it)",
                         ds->path, version, DOCSTORE_SCHEMA_VERSION);
    return 0;
}

int docstore_open(docstore **out, const char *path, int flags) {
    *out = NULL;
    int readonly = flags & DOCSTORE_READONLY;
    if (!(flags & DOCSTORE_CREATE) && !file_exists(path))
        return error_set(NEEDLE_ENOTFOUND, "%s: no such document store", path);
    docstore *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->path = strdup(path))) {
        free(ds);
        return error_set(NEEDLE_ENOMEM, "out of memory opening %s", path);
    }
    ds->readonly = readonly;
    int oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = 0;
    if (sqlite3_open_v2(path, &ds->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = error_set(NEEDLE_EIO, "%s: cannot open the document store: %s", path, ds->db ? sqlite3_errmsg(ds->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(ds->db, 10000);
    if ((rc = check_or_create(ds, flags))) goto fail;
    if (!readonly && (rc = docstore_exec(ds, "PRAGMA journal_mode = WAL", "switching to the write-ahead log"))) goto fail;
    if ((rc = docstore_exec(ds, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", "setting pragmas"))) goto fail;
    *out = ds;
    return 0;
fail:
    docstore_close(ds);
    return rc;
}

int docstore_set_durable(docstore *ds, int durable) {
    return docstore_exec(ds, durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", "setting durability");
}

void docstore_close(docstore *ds) {
    if (!ds) return;
    if (ds->in_txn) sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < 3; i++) sqlite3_finalize(ds->insert[i]);
    sqlite3_finalize(ds->put_vec);
    sqlite3_close(ds->db);
    free(ds->path);
    free(ds);
}

const char *docstore_path(const docstore *ds) { return ds->path; }

/* ------------------------------------------------------------------ transactions */

int docstore_begin(docstore *ds) {
    if (ds->in_txn) return error_set(NEEDLE_EINVAL, "%s: a transaction is already open", ds->path);
    int rc = docstore_exec(ds, "BEGIN IMMEDIATE", "starting a transaction");
    if (!rc) ds->in_txn = 1;
    return rc;
}

int docstore_commit(docstore *ds) {
    if (!ds->in_txn) return error_set(NEEDLE_EINVAL, "%s: no transaction to commit", ds->path);
    int rc = docstore_exec(ds, "COMMIT", "committing");
    if (rc) sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
    ds->in_txn = 0;
    return rc;
}

void docstore_rollback(docstore *ds) {
    if (ds->in_txn) sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
    ds->in_txn = 0;
}

int docstore_txn_start(docstore *ds, int *own) {
    *own = 0;
    if (ds->readonly) return error_set(NEEDLE_EINVAL, "%s: the store is open read-only", ds->path);
    *own = !ds->in_txn;
    return docstore_exec(ds, *own ? "BEGIN IMMEDIATE" : "SAVEPOINT needle_call", "starting a transaction");
}

int docstore_txn_finish(docstore *ds, int own, int rc) {
    if (rc) {
        sqlite3_exec(ds->db, own ? "ROLLBACK" : "ROLLBACK TO needle_call; RELEASE needle_call", NULL, NULL, NULL);
        return rc;
    }
    rc = docstore_exec(ds, own ? "COMMIT" : "RELEASE needle_call", "committing");
    if (rc && own) sqlite3_exec(ds->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int docstore_bump_generation(docstore *ds) {
    return docstore_exec(ds, "UPDATE info SET value = value + 1 WHERE key = 'generation'", "updating the generation");
}

int docstore_generation(docstore *ds, long long *generation) {
    int rc = 0;
    *generation = pragma_int(ds, "SELECT value FROM info WHERE key = 'generation'", &rc);
    return rc;
}

/* ------------------------------------------------------------------ documents */

void docstore_doc_init(docstore_doc *d) {
    memset(d, 0, sizeof *d);
    d->source_start = d->source_end = -1;
    d->split_index = -1;
}

int docstore_dup_parse(const char *name, docstore_dup *out) {
    if (!strcmp(name, "fail")) *out = DOCSTORE_DUP_FAIL;
    else if (!strcmp(name, "skip")) *out = DOCSTORE_DUP_SKIP;
    else if (!strcmp(name, "overwrite")) *out = DOCSTORE_DUP_OVERWRITE;
    else return error_set(NEEDLE_EINVAL, "unknown duplicate policy '%s' (expected fail, skip or overwrite)", name);
    return 0;
}

static const char *const INSERT_SQL[3] = {
    "INSERT INTO documents (id, content, meta, source_id, source_start, source_end, split_index) VALUES (?,?,?,?,?,?,?)",
    "INSERT OR IGNORE INTO documents (id, content, meta, source_id, source_start, source_end, split_index) VALUES (?,?,?,?,?,?,?)",
    "INSERT INTO documents (id, content, meta, source_id, source_start, source_end, split_index) VALUES (?,?,?,?,?,?,?)"
    " ON CONFLICT(id) DO UPDATE SET content = excluded.content, meta = excluded.meta, source_id = excluded.source_id,"
    " source_start = excluded.source_start, source_end = excluded.source_end, split_index = excluded.split_index"};

static void bind_opt_int(sqlite3_stmt *st, int i, long long v) {
    if (v < 0) sqlite3_bind_null(st, i);
    else sqlite3_bind_int64(st, i, v);
}

static int insert_one(docstore *ds, sqlite3_stmt *st, const docstore_doc *d, docstore_dup dup, size_t index, size_t *added) {
    char hex[33];
    if (!d->content) return error_set(NEEDLE_EINVAL, "%s: document %zu has no content", ds->path, index);
    const char *id = d->id;
    if (!id) {
        murmur3_hex_id(d->content, strlen(d->content), hex);
        id = hex;
    }
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->content, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->meta_json ? d->meta_json : "{}", -1, SQLITE_STATIC);
    if (d->source_id) sqlite3_bind_text(st, 4, d->source_id, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 4);
    bind_opt_int(st, 5, d->source_start);
    bind_opt_int(st, 6, d->source_end);
    bind_opt_int(st, 7, d->split_index);
    int s = sqlite3_step(st);
    if (s != SQLITE_DONE) {
        int ext = sqlite3_extended_errcode(ds->db);
        sqlite3_reset(st);
        if (ext == SQLITE_CONSTRAINT_UNIQUE && dup == DOCSTORE_DUP_FAIL)
            return error_set(NEEDLE_EINVAL, "%s: document id '%s' already exists (choose skip or overwrite for duplicates)", ds->path, id);
        if (ext == SQLITE_CONSTRAINT_CHECK)
            return error_set(NEEDLE_EINVAL, "%s: document '%s': meta is not a JSON object", ds->path, id);
        char what[96];
        snprintf(what, sizeof what, "adding document '%.40s'", id);
        return docstore_db_error(ds, what);
    }
    *added += (size_t)sqlite3_changes(ds->db) > 0;
    return 0;
}

int docstore_add(docstore *ds, const docstore_doc *docs, size_t n, docstore_dup dup, size_t *added) {
    size_t count = 0;
    if (added) *added = 0;
    if ((unsigned)dup > DOCSTORE_DUP_OVERWRITE) return error_set(NEEDLE_EINVAL, "unknown duplicate policy %d", (int)dup);
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    if (!ds->insert[dup] && (rc = docstore_prepare(ds, INSERT_SQL[dup], &ds->insert[dup]))) goto done;
    for (size_t i = 0; i < n && !rc; i++) rc = insert_one(ds, ds->insert[dup], &docs[i], dup, i, &count);
    if (!rc && count) rc = docstore_bump_generation(ds);
done:
    if (ds->insert[dup]) {
        sqlite3_reset(ds->insert[dup]);
        sqlite3_clear_bindings(ds->insert[dup]);
    }
    rc = docstore_txn_finish(ds, own, rc);
    if (!rc && added) *added = count;
    return rc;
}

static const char *const DOC_COLUMNS_SQL =
    "SELECT d.seq, d.id, d.content, d.meta, d.source_id, d.source_start, d.source_end, d.split_index FROM documents d";

static long long opt_int(sqlite3_stmt *st, int col) {
    return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

/* Fill rec from the current row; with copy, the strings go into one owned block. */
static int read_doc_row(sqlite3_stmt *st, docstore_record *rec, int copy) {
    memset(rec, 0, sizeof *rec);
    rec->seq = sqlite3_column_int64(st, 0);
    const char *s[4];
    int len[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (const char *)sqlite3_column_text(st, 1 + (i < 3 ? i : 3));
        len[i] = sqlite3_column_bytes(st, 1 + (i < 3 ? i : 3));
    }
    rec->source_start = opt_int(st, 5);
    rec->source_end = opt_int(st, 6);
    rec->split_index = (int)opt_int(st, 7);
    if (copy) {
        size_t total = 0;
        for (int i = 0; i < 4; i++) total += (size_t)len[i] + 1;
        char *block = malloc(total), *p = block;
        if (!block) return error_set(NEEDLE_ENOMEM, "out of memory reading a document");
        for (int i = 0; i < 4; i++) {
            if (s[i]) memcpy(p, s[i], (size_t)len[i]);
            p[len[i]] = 0;
            const char *v = s[i] ? p : NULL;
            p += len[i] + 1;
            s[i] = v;
        }
        rec->owned_ = block;
    }
    rec->id = s[0];
    rec->content = s[1];
    rec->meta_json = s[2];
    rec->source_id = s[3];
    return 0;
}

static int get_where(docstore *ds, const char *where, const char *id, long long seq, docstore_record *out) {
    memset(out, 0, sizeof *out);
    char sql[512];
    snprintf(sql, sizeof sql, "%s WHERE %s", DOC_COLUMNS_SQL, where);
    sqlite3_stmt *st;
    int rc = docstore_prepare(ds, sql, &st);
    if (rc) return rc;
    if (id) sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(st, 1, seq);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) rc = read_doc_row(st, out, 1);
    else if (s == SQLITE_DONE && id) rc = error_set(NEEDLE_ENOTFOUND, "%s: no document with id '%s'", ds->path, id);
    else if (s == SQLITE_DONE) rc = error_set(NEEDLE_ENOTFOUND, "%s: no document with seq %lld", ds->path, seq);
    else rc = docstore_db_error(ds, "reading a document");
    sqlite3_finalize(st);
    return rc;
}

int docstore_get(docstore *ds, const char *id, docstore_record *out) { return get_where(ds, "d.id = ?", id, 0, out); }

int docstore_get_seq(docstore *ds, long long seq, docstore_record *out) { return get_where(ds, "d.seq = ?", NULL, seq, out); }

void docstore_record_free(docstore_record *r) {
    free(r->owned_);
    memset(r, 0, sizeof *r);
}

/* Run a one-number query ("SELECT count(*) ...") with filters. */
static int filtered_scalar(docstore *ds, const char *head, const char *filters, filter_target t, long long *out) {
    sqlite3_stmt *st;
    int rc = docstore_prepare_filtered(ds, head, filters, t, NULL, 0, &st);
    if (rc) return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    else rc = docstore_db_error(ds, "counting");
    sqlite3_finalize(st);
    return rc;
}

int docstore_count(docstore *ds, const char *filters, long long *n) {
    return filtered_scalar(ds, "SELECT count(*) FROM documents d", filters, FILTER_DOCUMENTS, n);
}

/* Run a filtered DELETE in a unit of work; bump the generation when documents went away. */
static int filtered_delete(docstore *ds, const char *head, const char *filters, filter_target t, int bump, long long *deleted) {
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    if ((rc = docstore_prepare_filtered(ds, head, filters, t, NULL, 0, &st))) goto done;
    if (sqlite3_step(st) != SQLITE_DONE) rc = docstore_db_error(ds, "deleting");
    else n = sqlite3_changes(ds->db);
    if (!rc && n && bump) rc = docstore_bump_generation(ds);
done:
    sqlite3_finalize(st);
    rc = docstore_txn_finish(ds, own, rc);
    if (deleted) *deleted = rc ? 0 : n;
    return rc;
}

int docstore_delete(docstore *ds, const char *filters, long long *deleted) {
    return filtered_delete(ds, "DELETE FROM documents AS d", filters, FILTER_DOCUMENTS, 1, deleted);
}

int docstore_delete_ids(docstore *ds, const char *const *ids, size_t n, long long *deleted) {
    sqlite3_stmt *st = NULL;
    long long count = 0;
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    if ((rc = docstore_prepare(ds, "DELETE FROM documents WHERE id = ?", &st))) goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = docstore_db_error(ds, "deleting");
        else count += sqlite3_changes(ds->db);
    }
    if (!rc && count) rc = docstore_bump_generation(ds);
done:
    sqlite3_finalize(st);
    rc = docstore_txn_finish(ds, own, rc);
    if (deleted) *deleted = rc ? 0 : count;
    return rc;
}

int docstore_filter_seqs(docstore *ds, const char *filters, long long **seqs, size_t *n) {
    *seqs = NULL;
    *n = 0;
    sqlite3_stmt *st;
    int rc = docstore_prepare_filtered(ds, "SELECT d.seq FROM documents d", filters, FILTER_DOCUMENTS, "ORDER BY d.seq", 0, &st);
    if (rc) return rc;
    size_t cap = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = array_grow((void **)seqs, &cap, *n, sizeof **seqs))) break;
        (*seqs)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (!rc && s != SQLITE_DONE) rc = docstore_db_error(ds, "listing documents");
    sqlite3_finalize(st);
    if (rc) {
        free(*seqs);
        *seqs = NULL;
        *n = 0;
    }
    return rc;
}

/* ------------------------------------------------------------------ iteration */

int docstore_iter_new(docstore *ds, sqlite3_stmt *st, docstore_iter **it) {
    *it = malloc(sizeof **it);
    if (!*it) {
        sqlite3_finalize(st);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    (*it)->ds = ds;
    (*it)->st = st;
    return 0;
}

int docstore_iter_docs(docstore *ds, const char *filters, const char *without_embedding, docstore_iter **it) {
    *it = NULL;
    char head[512];
    snprintf(head, sizeof head, "%s%s", DOC_COLUMNS_SQL,
             without_embedding ? " LEFT JOIN embeddings e ON e.seq = d.seq AND e.model = ?" : "");
    sqlite3_stmt *st;
    int rc = docstore_prepare_filtered(ds, head, filters, FILTER_DOCUMENTS,
                                       without_embedding ? "AND e.seq IS NULL ORDER BY d.seq" : "ORDER BY d.seq",
                                       without_embedding ? 1 : 0, &st);
    if (rc) return rc;
    if (without_embedding) sqlite3_bind_text(st, 1, without_embedding, -1, SQLITE_TRANSIENT);
    return docstore_iter_new(ds, st, it);
}

int docstore_iter_next_doc(docstore_iter *it, docstore_record *rec) {
    int s = sqlite3_step(it->st);
    if (s == SQLITE_DONE) return 0;
    if (s != SQLITE_ROW) return docstore_db_error(it->ds, "reading documents");
    int rc = read_doc_row(it->st, rec, 0);
    return rc ? rc : 1;
}

void docstore_iter_free(docstore_iter *it) {
    if (!it) return;
    sqlite3_finalize(it->st);
    free(it);
}

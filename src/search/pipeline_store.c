/* pipeline_store.c — the document store components of a pipeline file: needle's SQLite store,
 * named SQLiteDocumentStore {path, create} or, for Haystack files, SQLDocumentStore
 * {url: sqlite:///PATH}.
 *
 * A store is opened once for writing (the writer is one SQLite connection: callers hold
 * pstore_lock while using it) and, for reading, once per concurrent reader from a pool of
 * read-only connections: in SQLite's WAL mode readers see the last commit and never wait for a
 * writer, so a long upload does not stall queries. A missing store file is an error unless the
 * component says `create: true` (a typo in a path should not silently search an empty store). */
#include "pipeline_internal.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pstore {
    char *path;
    docstore *writer;
    pthread_mutex_t write_lock; /* the writer is one connection */
    pthread_mutex_t pool_lock;  /* guards the idle readers */
    docstore **readers;
    size_t n_readers, cap_readers;
};

static int store_open(pbuild *b, char *path, int create, void **state) {
    pstore *s = calloc(1, sizeof *s);
    if (!s) {
        free(path);
        return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    s->path = path;
    int rc = 0;
    if (!create && !file_exists(path))
        rc = pbuild_error(b, "path", NEEDLE_ENOTFOUND, "no document store at %s (make one with `needle index --store %s`, "
                                                       "or set create: true)", path, path);
    if (!rc) rc = docstore_open(&s->writer, path, create ? DOCSTORE_CREATE : 0);
    if (rc) {
        free(s->path);
        free(s);
        return rc == NEEDLE_ENOTFOUND ? rc : error_prefix(rc, "%s: ", b->origin);
    }
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    *state = s;
    return 0;
}

static int sqlite_create(pbuild *b, void **state) {
    static const char *const known[] = {"path", "create", NULL};
    char *path = NULL;
    int create = 0;
    int rc = pbuild_check_params(b, known, NULL);
    if (!rc) rc = pbuild_bool(b, "create", 0, &create);
    if (!rc) rc = pbuild_path(b, "path", 1, &path);
    return rc ? rc : store_open(b, path, create, state);
}

/* Haystack's SQLDocumentStore: only SQLite URLs, which name a needle store here. */
static int sql_create(pbuild *b, void **state) {
    static const char *const known[] = {"url", "create", NULL};
    static const char *const ignored[] = {"index", "label_index", "duplicate_documents", "check_same_thread",
                                          "isolation_level", NULL};
    const char *url = NULL;
    int create = 0;
    int rc = pbuild_check_params(b, known, ignored);
    if (!rc) rc = pbuild_bool(b, "create", 0, &create);
    if (!rc) rc = pbuild_string(b, "url", 1, &url);
    if (rc) return rc;
    if (strncmp(url, "sqlite:///", 10) || !url[10])
        return pbuild_error(b, "url", NEEDLE_EUNSUPPORTED, "'%s' is not sqlite:///PATH (needle's store is a SQLite file)", url);
    const char *file = url + 10;
    char *path = file[0] == '/' ? strdup(file) : path_join(b->cfg->dir, file);
    if (!path) return error_set(NEEDLE_ENOMEM, "out of memory");
    return store_open(b, path, create, state);
}

static void store_destroy(void *state) {
    pstore *s = state;
    if (!s) return;
    for (size_t i = 0; i < s->n_readers; i++) docstore_close(s->readers[i]);
    free(s->readers);
    docstore_close(s->writer);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->pool_lock);
    free(s->path);
    free(s);
}

int pstore_reader(pstore *s, docstore **ds) {
    pthread_mutex_lock(&s->pool_lock);
    *ds = s->n_readers ? s->readers[--s->n_readers] : NULL;
    pthread_mutex_unlock(&s->pool_lock);
    return *ds ? 0 : docstore_open(ds, s->path, DOCSTORE_READONLY);
}

void pstore_reader_done(pstore *s, docstore *ds) {
    if (!ds) return;
    pthread_mutex_lock(&s->pool_lock);
    if (!array_grow((void **)&s->readers, &s->cap_readers, s->n_readers, sizeof *s->readers)) {
        s->readers[s->n_readers++] = ds;
        ds = NULL;
    }
    pthread_mutex_unlock(&s->pool_lock);
    docstore_close(ds);
}

docstore *pstore_writer(pstore *s) { return s->writer; }
void pstore_lock(pstore *s) { pthread_mutex_lock(&s->write_lock); }
void pstore_unlock(pstore *s) { pthread_mutex_unlock(&s->write_lock); }

const pipeline_type pipeline_type_sqlite_store = {"SQLiteDocumentStore", PROLE_STORE, NULL, sqlite_create, NULL, store_destroy};
const pipeline_type pipeline_type_sql_store = {"SQLDocumentStore", PROLE_STORE, NULL, sql_create, NULL, store_destroy};

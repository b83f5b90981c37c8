/* docstore_internal.h — what the docstore files share: the store handle, SQLite error
 * translation, transactions that nest (a call inside the caller's transaction uses a
 * savepoint), and the filter compiler's interface. Not a public header. */
#ifndef NEEDLE_DOCSTORE_INTERNAL_H
#define NEEDLE_DOCSTORE_INTERNAL_H

#include <sqlite3.h>

#include "needle/docstore.h"
#include "needle/strbuf.h"

struct docstore {
    sqlite3 *db;
    char *path;
    int readonly;
    int in_txn;             /* inside docstore_begin .. commit */
    sqlite3_stmt *insert[3];/* document insert, one per docstore_dup policy */
    sqlite3_stmt *put_vec;  /* embedding upsert */
};

struct docstore_iter {
    docstore *ds;
    sqlite3_stmt *st;
};

/* Turn the connection's last error into a NEEDLE_E* code with "<path>: <what>: <sqlite msg>". */
int docstore_db_error(docstore *ds, const char *what);
/* Run SQL without results. */
int docstore_exec(docstore *ds, const char *sql, const char *what);
int docstore_prepare(docstore *ds, const char *sql, sqlite3_stmt **st);

/* A unit of work: its own transaction, or a savepoint inside the caller's. */
int docstore_txn_start(docstore *ds, int *own);
int docstore_txn_finish(docstore *ds, int own, int rc);
/* Wrap a prepared statement into an iterator (finalized on failure). */
int docstore_iter_new(docstore *ds, sqlite3_stmt *st, docstore_iter **it);
/* Raise the generation counter (inside a write transaction). */
int docstore_bump_generation(docstore *ds);

/* ------------------------------------------------------------------ filters */

typedef enum { FILTER_DOCUMENTS, FILTER_LABELS } filter_target;

typedef struct {
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT */
    long long i;
    double d;
    const char *s; /* text: points into the parsed JSON, or is `owned` */
    char *owned;
} filter_bind;

typedef struct {
    strbuf sql;       /* a boolean SQL expression over the alias d (documents) or l (labels) */
    filter_bind *binds;
    int nbinds, cap;
    void *json;       /* the parsed filter (cJSON), owning the strings bound */
} filter_sql;

/* Compile `filters` (NULL, "" or "{}": "1"). */
int filter_compile(const char *filters, filter_target target, filter_sql *out);
/* Bind the values to `st` starting at parameter `first` (1-based). */
int filter_bind_values(const filter_sql *f, sqlite3_stmt *st, int first);
void filter_sql_free(filter_sql *f);

/* Prepare "<head> WHERE <filter> <tail>" with the filter's values bound after `nfixed`
 * parameters of the head. */
int docstore_prepare_filtered(docstore *ds, const char *head, const char *filters, filter_target t, const char *tail,
                              int nfixed, sqlite3_stmt **st);

#endif

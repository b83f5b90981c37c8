/* docstore_labels.c — QA labels in the store: user feedback from the HTTP API and gold labels
 * from SQuAD files, the two origins Haystack 1.x knows. A label names its document by id (not
 * by seq) so that it survives re-indexing, and gives the answer as code-point offsets into
 * that document's content, as SQuAD's answer_start does; that is what exporting feedback as
 * SQuAD needs. created_at is ISO 8601 UTC, which orders correctly as text. */
#include "docstore_internal.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void docstore_label_init(docstore_label *l) {
    memset(l, 0, sizeof *l);
    l->id = -1;
    l->answer_start = l->answer_end = -1;
    l->origin = DOCSTORE_ORIGIN_FEEDBACK;
}

static int check_label(docstore *ds, const docstore_label *l, size_t i) {
    if (!l->question || !l->question[0]) return error_set(NEEDLE_EINVAL, "%s: label %zu has no question", ds->path, i);
    if (!l->origin || (strcmp(l->origin, DOCSTORE_ORIGIN_FEEDBACK) && strcmp(l->origin, DOCSTORE_ORIGIN_GOLD)))
        return error_set(NEEDLE_EINVAL, "%s: label %zu: origin '%s' is neither '%s' nor '%s'", ds->path, i, l->origin ? l->origin : "",
                         DOCSTORE_ORIGIN_FEEDBACK, DOCSTORE_ORIGIN_GOLD);
    if ((l->answer_start < 0) != (l->answer_end < 0) || (l->answer_start >= 0 && l->answer_end < l->answer_start))
        return error_set(NEEDLE_EINVAL, "%s: label %zu: answer offsets [%lld, %lld) are inconsistent", ds->path, i, l->answer_start,
                         l->answer_end);
    if (l->no_answer && l->answer && l->answer[0])
        return error_set(NEEDLE_EINVAL, "%s: label %zu is marked no_answer but has the answer '%s'", ds->path, i, l->answer);
    return 0;
}

int docstore_labels_add(docstore *ds, const docstore_label *labels, size_t n, long long *ids) {
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_stmt *st = NULL;
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    if ((rc = docstore_prepare(ds,
                               "INSERT INTO labels (question, answer, answer_start, answer_end, document_id, is_correct_answer,"
                               " is_correct_document, no_answer, origin, created_at, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                               &st)))
        goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        const docstore_label *l = &labels[i];
        if ((rc = check_label(ds, l, i))) break;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, l->question, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, l->answer ? l->answer : "", -1, SQLITE_STATIC);
        if (l->answer_start >= 0) {
            sqlite3_bind_int64(st, 3, l->answer_start);
            sqlite3_bind_int64(st, 4, l->answer_end);
        } else {
            sqlite3_bind_null(st, 3);
            sqlite3_bind_null(st, 4);
        }
        if (l->document_id) sqlite3_bind_text(st, 5, l->document_id, -1, SQLITE_STATIC);
        else sqlite3_bind_null(st, 5);
        sqlite3_bind_int(st, 6, !!l->is_correct_answer);
        sqlite3_bind_int(st, 7, !!l->is_correct_document);
        sqlite3_bind_int(st, 8, !!l->no_answer);
        sqlite3_bind_text(st, 9, l->origin, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, l->created_at ? l->created_at : now, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, l->meta_json ? l->meta_json : "{}", -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = sqlite3_extended_errcode(ds->db) == SQLITE_CONSTRAINT_CHECK
                     ? error_set(NEEDLE_EINVAL, "%s: label %zu: meta is not a JSON object", ds->path, i)
                     : docstore_db_error(ds, "adding labels");
        } else if (ids) {
            ids[i] = sqlite3_last_insert_rowid(ds->db);
        }
    }
done:
    sqlite3_finalize(st);
    return docstore_txn_finish(ds, own, rc);
}

int docstore_labels_count(docstore *ds, const char *filters, long long *n) {
    sqlite3_stmt *st;
    int rc = docstore_prepare_filtered(ds, "SELECT count(*) FROM labels l", filters, FILTER_LABELS, NULL, 0, &st);
    if (rc) return rc;
    if (sqlite3_step(st) == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
    else rc = docstore_db_error(ds, "counting labels");
    sqlite3_finalize(st);
    return rc;
}

int docstore_labels_delete(docstore *ds, const char *filters, long long *deleted) {
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int own, rc = docstore_txn_start(ds, &own);
    if (rc) return rc;
    if (!(rc = docstore_prepare_filtered(ds, "DELETE FROM labels AS l", filters, FILTER_LABELS, NULL, 0, &st))) {
        if (sqlite3_step(st) != SQLITE_DONE) rc = docstore_db_error(ds, "deleting labels");
        else n = sqlite3_changes(ds->db);
    }
    sqlite3_finalize(st);
    rc = docstore_txn_finish(ds, own, rc);
    if (deleted) *deleted = rc ? 0 : n;
    return rc;
}

int docstore_iter_labels(docstore *ds, const char *filters, docstore_iter **it) {
    *it = NULL;
    sqlite3_stmt *st;
    int rc = docstore_prepare_filtered(ds,
                                       "SELECT l.id, l.question, l.answer, l.answer_start, l.answer_end, l.document_id,"
                                       " l.is_correct_answer, l.is_correct_document, l.no_answer, l.origin, l.created_at, l.meta"
                                       " FROM labels l",
                                       filters, FILTER_LABELS, "ORDER BY l.id", 0, &st);
    if (rc) return rc;
    return docstore_iter_new(ds, st, it);
}

int docstore_iter_next_label(docstore_iter *it, docstore_label *l) {
    int s = sqlite3_step(it->st);
    if (s == SQLITE_DONE) return 0;
    if (s != SQLITE_ROW) return docstore_db_error(it->ds, "reading labels");
    sqlite3_stmt *st = it->st;
    l->id = sqlite3_column_int64(st, 0);
    l->question = (const char *)sqlite3_column_text(st, 1);
    l->answer = (const char *)sqlite3_column_text(st, 2);
    l->answer_start = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    l->answer_end = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
    l->document_id = (const char *)sqlite3_column_text(st, 5);
    l->is_correct_answer = sqlite3_column_int(st, 6);
    l->is_correct_document = sqlite3_column_int(st, 7);
    l->no_answer = sqlite3_column_int(st, 8);
    l->origin = (const char *)sqlite3_column_text(st, 9);
    l->created_at = (const char *)sqlite3_column_text(st, 10);
    l->meta_json = (const char *)sqlite3_column_text(st, 11);
    return 1;
}

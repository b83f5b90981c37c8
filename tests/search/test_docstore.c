/* test_docstore.c — the SQLite document store: documents, duplicates, embeddings, labels,
 * version and foreign-file errors, and a full disk (a file size limit in a child process)
 * that must leave what was saved before intact. Expected values come from the inputs the
 * tests write and from SQLite itself (PRAGMA values set through the sqlite3 API directly). */
#include "../test.h"
#include "needle/docstore.h"
#include "needle/file.h"
#include "needle/murmur3.h"
#include "needle/pipeline.h"
#include "search/docstore_internal.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char *store_path(const char *name) {
    char *p = path_join(test_tmpdir(), name);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", p, p, p);
    if (system(cmd) != 0) test_fail(__FILE__, __LINE__, "cannot clean %s", p);
    return p;
}

static docstore_doc doc(const char *id, const char *content, const char *meta) {
    docstore_doc d;
    docstore_doc_init(&d);
    d.id = id;
    d.content = content;
    d.meta_json = meta;
    return d;
}

TEST(docstore_add_get_count_delete) {
    char *path = store_path("docs.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    docstore_doc d[3] = {doc("a", "Alpha text", "{\"lang\": \"en\"}"), doc(NULL, "foo", NULL), doc("c", "Gamma", "{\"lang\": \"de\"}")};
    d[2].source_id = "src-1";
    d[2].source_start = 10;
    d[2].source_end = 15;
    d[2].split_index = 3;
    size_t added;
    CHECK_OK(docstore_add(ds, d, 3, DOCSTORE_DUP_FAIL, &added));
    CHECK_INT(added, 3);
    docstore_record r;
    CHECK_OK(docstore_get(ds, "7eaf87e42bba7d87e271865701f54561", &r)); /* mmh3.hash128("foo") */
    CHECK_STR(r.content, "foo");
    CHECK_STR(r.meta_json, "{}");
    CHECK(r.source_id == NULL);
    CHECK_INT(r.split_index, -1);
    CHECK_INT(r.seq, 2);
    docstore_record_free(&r);
    CHECK_OK(docstore_get(ds, "c", &r));
    CHECK_STR(r.source_id, "src-1");
    CHECK_INT(r.source_start, 10);
    CHECK_INT(r.source_end, 15);
    CHECK_INT(r.split_index, 3);
    long long seq_c = r.seq;
    docstore_record_free(&r);
    CHECK_OK(docstore_get_seq(ds, seq_c, &r));
    CHECK_STR(r.id, "c");
    docstore_record_free(&r);
    CHECK_ERR(docstore_get(ds, "nope", &r), NEEDLE_ENOTFOUND, "no document with id 'nope'");

    long long n, gen0, gen1;
    CHECK_OK(docstore_count(ds, NULL, &n));
    CHECK_INT(n, 3);
    CHECK_OK(docstore_count(ds, "{\"lang\": \"en\"}", &n));
    CHECK_INT(n, 1);
    CHECK_OK(docstore_generation(ds, &gen0));
    CHECK_OK(docstore_delete(ds, "{\"lang\": [\"de\", \"fr\"]}", &n));
    CHECK_INT(n, 1);
    CHECK_OK(docstore_generation(ds, &gen1));
    CHECK_INT(gen1, gen0 + 1);
    const char *ids[] = {"a", "missing"};
    CHECK_OK(docstore_delete_ids(ds, ids, 2, &n));
    CHECK_INT(n, 1);
    CHECK_OK(docstore_count(ds, NULL, &n));
    CHECK_INT(n, 1);

    /* seqs are never reused: a new document after deletions gets a higher seq */
    docstore_doc e = doc("e", "Epsilon", NULL);
    CHECK_OK(docstore_add(ds, &e, 1, DOCSTORE_DUP_FAIL, NULL));
    CHECK_OK(docstore_get(ds, "e", &r));
    CHECK_INT(r.seq, 4);
    docstore_record_free(&r);
    docstore_close(ds);

    /* reopen: everything is there */
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_READONLY));
    CHECK_OK(docstore_count(ds, NULL, &n));
    CHECK_INT(n, 2);
    CHECK_ERR(docstore_add(ds, &e, 1, DOCSTORE_DUP_SKIP, NULL), NEEDLE_EINVAL, "read-only");
    docstore_close(ds);
    free(path);
}

TEST(docstore_duplicate_policies_and_bad_meta) {
    char *path = store_path("dups.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    docstore_doc d[2] = {doc("x", "one", NULL), doc("y", "two", NULL)};
    CHECK_OK(docstore_add(ds, d, 2, DOCSTORE_DUP_FAIL, NULL));
    docstore_doc again[2] = {doc("z", "three", NULL), doc("x", "one again", "{\"v\": 2}")};
    CHECK_ERR(docstore_add(ds, again, 2, DOCSTORE_DUP_FAIL, NULL), NEEDLE_EINVAL, "document id 'x' already exists");
    long long n;
    CHECK_OK(docstore_count(ds, NULL, &n));
    CHECK_INT(n, 2); /* the failed call added nothing, not even "z" */
    size_t added;
    CHECK_OK(docstore_add(ds, again, 2, DOCSTORE_DUP_SKIP, &added));
    CHECK_INT(added, 1);
    docstore_record r;
    CHECK_OK(docstore_get(ds, "x", &r));
    CHECK_STR(r.content, "one");
    long long seq = r.seq;
    docstore_record_free(&r);
    CHECK_OK(docstore_add(ds, again, 2, DOCSTORE_DUP_OVERWRITE, &added));
    CHECK_INT(added, 2);
    CHECK_OK(docstore_get(ds, "x", &r));
    CHECK_STR(r.content, "one again");
    CHECK_STR(r.meta_json, "{\"v\": 2}");
    CHECK_INT(r.seq, seq);
    docstore_record_free(&r);
    docstore_doc bad = doc("b", "text", "[1, 2]");
    CHECK_ERR(docstore_add(ds, &bad, 1, DOCSTORE_DUP_FAIL, NULL), NEEDLE_EINVAL, "meta is not a JSON object");
    bad.meta_json = "{broken";
    CHECK_ERR(docstore_add(ds, &bad, 1, DOCSTORE_DUP_FAIL, NULL), NEEDLE_EINVAL, "meta is not a JSON object");
    docstore_dup p;
    CHECK_ERR(docstore_dup_parse("replace", &p), NEEDLE_EINVAL, "'replace'");

    /* an explicit transaction: rolled back, nothing stays */
    CHECK_OK(docstore_begin(ds));
    docstore_doc t = doc("t", "temporary", NULL);
    CHECK_OK(docstore_add(ds, &t, 1, DOCSTORE_DUP_FAIL, NULL));
    docstore_rollback(ds);
    CHECK_ERR(docstore_get(ds, "t", &r), NEEDLE_ENOTFOUND, "'t'");
    docstore_close(ds);
    free(path);
}

TEST(docstore_refuses_other_versions_and_foreign_files) {
    char *path = store_path("version.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    docstore_close(ds);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_ERR(docstore_open(&ds, path, DOCSTORE_CREATE), NEEDLE_EFORMAT, "schema version 7, but this needle reads version 1");

    char *other = store_path("other.db");
    CHECK(sqlite3_open(other, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_ERR(docstore_open(&ds, other, DOCSTORE_CREATE), NEEDLE_EFORMAT, "not a needle document store");

    char *text = store_path("text.db");
    CHECK_OK(file_write_atomic(text, "this is not a database at all, just some text......................................................", 100));
    CHECK_ERR(docstore_open(&ds, text, DOCSTORE_CREATE), NEEDLE_EFORMAT, "not a needle document store");
    CHECK_ERR(docstore_open(&ds, "/nonexistent/store.db", 0), NEEDLE_ENOTFOUND, "no such document store");
    free(path);
    free(other);
    free(text);
}

/* The connection's synchronous setting as SQLite reports it: 1 NORMAL, 2 FULL. */
static int synchronous(docstore *ds) {
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(ds->db, "PRAGMA synchronous", -1, &st, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

TEST(docstore_durable_commits) {
    char *path = store_path("durable.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    CHECK_INT(synchronous(ds), 1);
    CHECK_OK(docstore_set_durable(ds, 1));
    CHECK_INT(synchronous(ds), 2);
    docstore_doc d = doc("d", "written with an fsync", NULL);
    CHECK_OK(docstore_add(ds, &d, 1, DOCSTORE_DUP_FAIL, NULL));
    CHECK_OK(docstore_set_durable(ds, 0));
    CHECK_INT(synchronous(ds), 1);
    docstore_close(ds);
    pipeline *p = NULL;
    CHECK_OK(pipeline_open_store(&p, path));
    if (p) {
        CHECK_INT(synchronous(pipeline_docstore(p)), 1);
        CHECK_OK(pipeline_set_durable(p));
        CHECK_INT(synchronous(pipeline_docstore(p)), 2);
        pipeline_close(p);
    }
    free(path);
}

TEST(docstore_embeddings_per_model) {
    char *path = store_path("emb.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    docstore_doc d[3] = {doc("a", "A", "{\"k\": 1}"), doc("b", "B", "{\"k\": 2}"), doc("c", "C", "{\"k\": 1}")};
    CHECK_OK(docstore_add(ds, d, 3, DOCSTORE_DUP_FAIL, NULL));
    const char *ids[] = {"c", "a"};
    float v[6] = {3, 3.5f, -3, 1, 1.5f, -1};
    CHECK_OK(docstore_embeddings_put(ds, "dpr", ids, v, 2, 3));
    CHECK_ERR(docstore_embeddings_put(ds, "dpr", ids, v, 1, 2), NEEDLE_EINVAL, "3-dimensional embeddings, not 2");
    const char *missing[] = {"zzz"};
    CHECK_ERR(docstore_embeddings_put(ds, "dpr", missing, v, 1, 3), NEEDLE_ENOTFOUND, "'zzz'");
    float w[2] = {9, 8};
    const char *bid[] = {"b"};
    CHECK_OK(docstore_embeddings_put(ds, "minilm", bid, w, 1, 2));
    int dim;
    CHECK_OK(docstore_embedding_dim(ds, "dpr", &dim));
    CHECK_INT(dim, 3);
    float got[3];
    CHECK_OK(docstore_embedding_get(ds, "dpr", "a", got, 3));
    CHECK(got[0] == 1 && got[1] == 1.5f && got[2] == -1);
    CHECK_ERR(docstore_embedding_get(ds, "dpr", "b", got, 3), NEEDLE_ENOTFOUND, "no embedding");

    docstore_embeddings e;
    CHECK_OK(docstore_embeddings_load(ds, "dpr", NULL, &e));
    CHECK_INT(e.n, 2);
    CHECK_INT(e.dim, 3);
    CHECK_STR(e.ids[0], "a"); /* seq order, not insertion order of the vectors */
    CHECK_STR(e.ids[1], "c");
    CHECK(e.seqs[0] < e.seqs[1]);
    CHECK(e.vectors[0] == 1 && e.vectors[3] == 3 && e.vectors[5] == -3);
    docstore_embeddings_free(&e);
    CHECK_OK(docstore_embeddings_load(ds, "dpr", "{\"k\": 1, \"id\": {\"$ne\": \"a\"}}", &e));
    CHECK_INT(e.n, 1);
    CHECK_STR(e.ids[0], "c");
    docstore_embeddings_free(&e);

    /* what a dense retriever still has to embed */
    docstore_iter *it;
    docstore_record r;
    CHECK_OK(docstore_iter_docs(ds, NULL, "dpr", &it));
    CHECK_INT(docstore_iter_next_doc(it, &r), 1);
    CHECK_STR(r.id, "b");
    CHECK_INT(docstore_iter_next_doc(it, &r), 0);
    docstore_iter_free(it);

    /* a changed content drops the stale vector; a deleted document takes its vectors along */
    docstore_doc a2 = doc("a", "A changed", NULL);
    CHECK_OK(docstore_add(ds, &a2, 1, DOCSTORE_DUP_OVERWRITE, NULL));
    CHECK_ERR(docstore_embedding_get(ds, "dpr", "a", got, 3), NEEDLE_ENOTFOUND, "no embedding");
    const char *del[] = {"c"};
    CHECK_OK(docstore_delete_ids(ds, del, 1, NULL));
    CHECK_OK(docstore_embeddings_load(ds, "dpr", NULL, &e));
    CHECK_INT(e.n, 0);
    docstore_embeddings_free(&e);
    CHECK_OK(docstore_embeddings_delete(ds, "minilm"));
    CHECK_ERR(docstore_embedding_dim(ds, "minilm", &dim), NEEDLE_ENOTFOUND, "'minilm'");
    docstore_close(ds);
    free(path);
}

TEST(docstore_labels_roundtrip_and_filters) {
    char *path = store_path("labels.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    docstore_label l[3];
    for (int i = 0; i < 3; i++) docstore_label_init(&l[i]);
    l[0].question = "Who lives in Berlin?";
    l[0].answer = "Carla";
    l[0].answer_start = 11;
    l[0].answer_end = 16;
    l[0].document_id = "d1";
    l[0].is_correct_answer = l[0].is_correct_document = 1;
    l[0].origin = DOCSTORE_ORIGIN_GOLD;
    l[1].question = "Who lives in Berlin?";
    l[1].answer = "Abdul";
    l[1].answer_start = 42;
    l[1].answer_end = 47;
    l[1].document_id = "d1";
    l[1].is_correct_document = 1;
    l[1].meta_json = "{\"pipeline_id\": \"p1\"}";
    l[2].question = "What is unanswerable?";
    l[2].no_answer = 1;
    l[2].created_at = "2020-01-01T00:00:00Z";
    long long ids[3];
    CHECK_OK(docstore_labels_add(ds, l, 3, ids));
    CHECK(ids[0] < ids[1] && ids[1] < ids[2]);
    long long n;
    CHECK_OK(docstore_labels_count(ds, "{\"origin\": \"user-feedback\"}", &n));
    CHECK_INT(n, 2);
    CHECK_OK(docstore_labels_count(ds, "{\"is_correct_answer\": false, \"pipeline_id\": \"p1\"}", &n));
    CHECK_INT(n, 1);
    CHECK_OK(docstore_labels_count(ds, "{\"created_at\": {\"$lt\": \"2021\"}}", &n));
    CHECK_INT(n, 1);
    docstore_iter *it;
    docstore_label got;
    CHECK_OK(docstore_iter_labels(ds, "{\"document_id\": \"d1\"}", &it));
    CHECK_INT(docstore_iter_next_label(it, &got), 1);
    CHECK_STR(got.answer, "Carla");
    CHECK_INT(got.answer_start, 11);
    CHECK_INT(got.answer_end, 16);
    CHECK_STR(got.origin, "gold-label");
    CHECK(got.is_correct_answer && got.is_correct_document && !got.no_answer);
    CHECK(strlen(got.created_at) == 20 && got.created_at[10] == 'T');
    CHECK_INT(docstore_iter_next_label(it, &got), 1);
    CHECK_STR(got.meta_json, "{\"pipeline_id\": \"p1\"}");
    CHECK_INT(docstore_iter_next_label(it, &got), 0);
    docstore_iter_free(it);
    CHECK_OK(docstore_labels_delete(ds, "{\"no_answer\": true}", &n));
    CHECK_INT(n, 1);

    docstore_label bad;
    docstore_label_init(&bad);
    bad.question = "q";
    bad.origin = "crowd";
    CHECK_ERR(docstore_labels_add(ds, &bad, 1, NULL), NEEDLE_EINVAL, "origin 'crowd'");
    bad.origin = DOCSTORE_ORIGIN_FEEDBACK;
    bad.answer_start = 5;
    CHECK_ERR(docstore_labels_add(ds, &bad, 1, NULL), NEEDLE_EINVAL, "inconsistent");
    CHECK_OK(docstore_labels_count(ds, NULL, &n));
    CHECK_INT(n, 2);
    docstore_close(ds);
    free(path);
}

/* A full disk, simulated with a file size limit: writes past it fail with EFBIG. */
TEST(docstore_full_disk_keeps_saved_documents) {
    char *path = store_path("full.db");
    docstore *ds;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    docstore_doc d = doc("kept", "saved before the disk filled up", NULL);
    CHECK_OK(docstore_add(ds, &d, 1, DOCSTORE_DUP_FAIL, NULL));
    docstore_close(ds);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {256 * 1024, 256 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        if (docstore_open(&ds, path, 0)) _exit(3);
        static char big[4096];
        memset(big, 'x', sizeof big - 1);
        docstore_doc *many = malloc(2000 * sizeof *many);
        char (*ids)[16] = malloc(2000 * 16);
        for (int i = 0; i < 2000; i++) {
            snprintf(ids[i], 16, "big-%d", i);
            many[i] = doc(ids[i], big, NULL);
        }
        int rc = docstore_add(ds, many, 2000, DOCSTORE_DUP_FAIL, NULL);
        docstore_close(ds);
        _exit(rc == NEEDLE_EIO && strstr(error_message(), "File too large") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_OK(docstore_open(&ds, path, 0));
    long long n;
    CHECK_OK(docstore_count(ds, NULL, &n));
    CHECK_INT(n, 1);
    docstore_record r;
    CHECK_OK(docstore_get(ds, "kept", &r));
    CHECK_STR(r.content, "saved before the disk filled up");
    docstore_record_free(&r);
    docstore_close(ds);
    free(path);
}

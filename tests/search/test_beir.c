/* test_beir.c — BEIR readers: documents stream in file order with titles optional and
 * integer ids accepted; malformed lines and missing fields fail naming file and line. */
#include "../test.h"
#include "needle/beir.h"
#include "needle/file.h"
#include "needle/strbuf.h"

#include <stdlib.h>

static int collect(void *ctx, const char *id, const char *title, const char *text) {
    strbuf_printf(ctx, "%s|%s|%s;", id, title, text);
    return 0;
}

static int refuse_b(void *ctx, const char *id, const char *title, const char *text) {
    return strcmp(id, "b") ? 0 : error_set(NEEDLE_EINVAL, "no b");
}

static char *tmp_file(const char *name, const char *text) {
    char *p = path_join(test_tmpdir(), name);
    file_write_atomic(p, text, strlen(text));
    return p;
}

TEST(beir_corpus_streams_documents) {
    char *p = tmp_file("c.jsonl", "{\"_id\": \"d1\", \"title\": \"T\", \"text\": \"one\"}\n\n"
                                  "{\"_id\": 42, \"text\": \"two\", \"metadata\": {}}\r\n");
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(beir_corpus_read(p, collect, &sb));
    CHECK_STR(sb.data, "d1|T|one;42||two;");
    strbuf_free(&sb);
    free(p);
}

TEST(beir_errors_name_file_and_line) {
    strbuf sb;
    strbuf_init(&sb);
    char *p = tmp_file("bad.jsonl", "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"y\"\n");
    CHECK_ERR(beir_corpus_read(p, collect, &sb), NEEDLE_EFORMAT, "bad.jsonl:2: malformed JSON");
    free(p);
    p = tmp_file("notext.jsonl", "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a2\"}\n");
    CHECK_ERR(beir_corpus_read(p, collect, &sb), NEEDLE_EFORMAT, "notext.jsonl:2: missing field \"text\"");
    free(p);
    p = tmp_file("noid.jsonl", "[1, 2]\n");
    CHECK_ERR(beir_corpus_read(p, collect, &sb), NEEDLE_EFORMAT, "noid.jsonl:1: expected a JSON object");
    free(p);
    beir_query *q;
    size_t n;
    p = tmp_file("q.jsonl", "{\"_id\": \"1\", \"text\": \"what\"}\n{\"_id\": \"\", \"text\": \"x\"}\n");
    CHECK_ERR(beir_queries_read(p, &q, &n), NEEDLE_EFORMAT, "q.jsonl:2: field \"_id\"");
    free(p);
    p = tmp_file("q2.jsonl", "{\"_id\": \"1\", \"text\": \"what\"}\n{\"_id\": 7, \"text\": \"who\"}\n");
    CHECK_OK(beir_queries_read(p, &q, &n));
    CHECK_INT(n, 2);
    CHECK_STR(q[1].id, "7");
    CHECK_STR(q[1].text, "who");
    beir_queries_free(q, n);
    free(p);
    CHECK_ERR(beir_corpus_read("/nonexistent/corpus.jsonl", collect, &sb), NEEDLE_ENOTFOUND, "/nonexistent/corpus.jsonl");
    p = tmp_file("c3.jsonl", "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \"y\"}\n");
    CHECK_ERR(beir_corpus_read(p, refuse_b, NULL), NEEDLE_EINVAL, "c3.jsonl:2: no b");
    free(p);
    strbuf_free(&sb);
}

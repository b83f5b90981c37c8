/* test_json.c — JSON parsing errors name file, line and column; the writer's output is read
 * back by cJSON (an independent parser) unchanged, with invalid UTF-8 replaced by U+FFFD;
 * integer ids keep every digit (expected texts are the inputs' own digits, which a double
 * would round); JSON lines are numbered as the file's lines (positions counted by hand). */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"

#include <stdlib.h>

TEST(json_parse_error_has_line_and_column) {
    const char *text = "{\n  \"a\": 1,\n  \"b\": ]\n}";
    cJSON *doc;
    CHECK_ERR(json_parse(text, strlen(text), "conf.json", &doc), NEEDLE_EFORMAT, "conf.json: malformed JSON at line 3");
}

TEST(json_typed_fields_report_missing_and_wrong_type) {
    const char *text = "{\"n\": 3, \"x\": 2.5, \"s\": \"hi\", \"f\": 1.5, \"b\": true}";
    cJSON *doc;
    CHECK_OK(json_parse(text, strlen(text), "t.json", &doc));
    long long n;
    double x;
    const char *s;
    int b;
    CHECK_OK(json_get_int(doc, "n", "t.json", &n));
    CHECK_INT(n, 3);
    CHECK_OK(json_get_double(doc, "x", "t.json", &x));
    CHECK_NEAR(x, 2.5, 0);
    CHECK_OK(json_get_string(doc, "s", "t.json", &s));
    CHECK_STR(s, "hi");
    CHECK_OK(json_opt_bool(doc, "b", "t.json", 0, &b));
    CHECK_INT(b, 1);
    CHECK_OK(json_opt_int(doc, "absent", "t.json", 7, &n));
    CHECK_INT(n, 7);
    CHECK_ERR(json_get_int(doc, "absent", "t.json", &n), NEEDLE_EFORMAT, "missing field \"absent\"");
    CHECK_ERR(json_get_int(doc, "f", "t.json", &n), NEEDLE_EFORMAT, "\"f\" should be an integer");
    CHECK_ERR(json_get_string(doc, "n", "t.json", &s), NEEDLE_EFORMAT, "\"n\" should be a string");
    cJSON_Delete(doc);
}

TEST(jsonw_output_reads_back) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "text");
    jsonw_string(&w, "quote \" backslash \\ newline \n tab \t bell \a é 中");
    jsonw_key(&w, "bad");
    jsonw_string(&w, "a\xff" "b");
    jsonw_key(&w, "cut");
    jsonw_string(&w, "x\xe2\x82y");
    jsonw_key(&w, "list");
    jsonw_array_begin(&w);
    jsonw_int(&w, -12);
    jsonw_double(&w, 0.1);
    jsonw_double(&w, 1.0 / 3.0);
    jsonw_bool(&w, 1);
    jsonw_null(&w);
    jsonw_double(&w, NAN);
    jsonw_array_end(&w);
    jsonw_key(&w, "empty");
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    jsonw_object_end(&w);
    CHECK_INT(w.err, 0);
    cJSON *doc = cJSON_Parse(sb.data);
    CHECK(doc != NULL);
    if (doc) {
        CHECK_STR(cJSON_GetObjectItem(doc, "text")->valuestring, "quote \" backslash \\ newline \n tab \t bell \a é 中");
        CHECK_STR(cJSON_GetObjectItem(doc, "bad")->valuestring, "a\xEF\xBF\xBD" "b");
        /* a truncated 3-byte sequence is one maximal ill-formed subpart: one U+FFFD */
        CHECK_STR(cJSON_GetObjectItem(doc, "cut")->valuestring, "x\xEF\xBF\xBDy");
        cJSON *list = cJSON_GetObjectItem(doc, "list");
        CHECK_INT(cJSON_GetArraySize(list), 6);
        CHECK_NEAR(cJSON_GetArrayItem(list, 0)->valuedouble, -12, 0);
        CHECK(cJSON_GetArrayItem(list, 1)->valuedouble == 0.1);
        CHECK(cJSON_GetArrayItem(list, 2)->valuedouble == 1.0 / 3.0);
        CHECK(cJSON_IsTrue(cJSON_GetArrayItem(list, 3)));
        CHECK(cJSON_IsNull(cJSON_GetArrayItem(list, 4)));
        CHECK(cJSON_IsNull(cJSON_GetArrayItem(list, 5)));
        cJSON_Delete(doc);
    }
    strbuf_free(&sb);
}

TEST(json_quote_integers_keeps_every_digit) {
    /* 2^53 + 1 and Haystack's 64-bit SQuAD id, which a double rounds (to ...992 and ...128) */
    static const char *const keys[] = {"id", "_id", NULL};
    const char *text = "{\"id\": 9007199254740993, \"n\": 9007199254740993, \"s\": \"\\\"id\\\": 1\","
                       " \"meta\": {\"id\": 5, \"_id\": -0}, \"_id\": -7211011040021040393, \"x\": {\"id\": 1.5}}";
    char *out;
    size_t out_len;
    CHECK_OK(json_quote_integers(text, strlen(text), keys, 0, &out, &out_len));
    CHECK_STR(out, "{\"id\": \"9007199254740993\", \"n\": 9007199254740993, \"s\": \"\\\"id\\\": 1\","
                   " \"meta\": {\"id\": \"5\", \"_id\": \"0\"}, \"_id\": \"-7211011040021040393\", \"x\": {\"id\": 1.5}}");
    CHECK_INT(out_len, strlen(out));
    free(out);
    /* depth 1: only the top-level object's members */
    CHECK_OK(json_quote_integers(text, strlen(text), keys, 1, &out, &out_len));
    CHECK_STR(out, "{\"id\": \"9007199254740993\", \"n\": 9007199254740993, \"s\": \"\\\"id\\\": 1\","
                   " \"meta\": {\"id\": 5, \"_id\": -0}, \"_id\": \"-7211011040021040393\", \"x\": {\"id\": 1.5}}");
    free(out);
    CHECK_OK(json_quote_integers("{\"id\": \"a\"}", 11, keys, 0, &out, &out_len));
    CHECK(out == NULL); /* nothing to rewrite */
}

typedef struct {
    char seen[256];
} lines_seen;

static int collect_line(void *ctx, const cJSON *obj, const char *origin) {
    lines_seen *s = ctx;
    const char *id;
    int rc = json_opt_id(obj, "id", origin, &id);
    if (rc) return rc;
    size_t n = strlen(s->seen);
    snprintf(s->seen + n, sizeof s->seen - n, "%s=%s;", origin + strlen(origin) - 1, id ? id : "-");
    return 0;
}

static char *write_lines(const char *name, const char *text) {
    char *path = path_join(test_tmpdir(), name);
    if (file_write_atomic(path, text, strlen(text))) test_fail(__FILE__, __LINE__, "cannot write %s", path);
    return path;
}

TEST(json_lines_read_skips_blank_lines_and_names_bad_ones) {
    static const char *const keys[] = {"id", NULL};
    char *path = write_lines("ok.jsonl", "{\"id\": 9007199254740993}\n\n  \t\r\n{\"id\": \"b\", \"meta\": {\"id\": 2}}\r\n{}");
    lines_seen s = {{0}};
    CHECK_OK(json_lines_read(path, keys, collect_line, &s));
    CHECK_STR(s.seen, "1=9007199254740993;4=b;5=-;"); /* the line numbers of the file */
    free(path);

    /* the stray '}' is column 17 of the line as written (19 once the id is quoted) */
    path = write_lines("bad.jsonl", "{\"id\": 1}\n{\"id\": 12, \"x\": }\n");
    CHECK_ERR(json_lines_read(path, keys, collect_line, &s), NEEDLE_EFORMAT, "bad.jsonl:2: malformed JSON at column 17");
    free(path);
    path = write_lines("list.jsonl", "[1, 2]\n");
    CHECK_ERR(json_lines_read(path, keys, collect_line, &s), NEEDLE_EFORMAT, "list.jsonl:1: expected a JSON object");
    free(path);
    path = write_lines("float.jsonl", "{\"id\": 2.5}\n");
    CHECK_ERR(json_lines_read(path, keys, collect_line, &s), NEEDLE_EFORMAT, "float.jsonl:1: field \"id\" should be a string or an integer");
    free(path);
    /* 0xff on line 2 after {"é (column 4); line 1 is 8 bytes, so the 0xff is byte 8 + 4 */
    path = write_lines("utf8.jsonl", "{\"a\":1}\n{\"\xc3\xa9\xff\": 1}\n");
    CHECK_ERR(json_lines_read(path, keys, collect_line, &s), NEEDLE_EFORMAT,
              "utf8.jsonl: invalid UTF-8 at line 2, column 4 (byte 12: 0xff)");
    free(path);
    CHECK_ERR(json_lines_read("no/such.jsonl", keys, collect_line, &s), NEEDLE_ENOTFOUND, "no/such.jsonl: cannot open");
}

TEST(jsonw_cjson_writes_shortest_numbers) {
    cJSON *doc;
    const char *in = "{\"f1\":5.018666457811196,\"total\":3,\"list\":[true,null,\"x\\\"y\",{\"a\":[]}]}";
    CHECK_OK(json_parse(in, strlen(in), "test", &doc));
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_cjson(&w, doc);
    CHECK_INT(w.err, 0);
    CHECK_STR(sb.data, in);
    strbuf_free(&sb);
    cJSON_Delete(doc);
}

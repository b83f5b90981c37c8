/* test_json.c — JSON parsing errors name file, line and column; the writer's output is read
 * back by cJSON (an independent parser) unchanged, with invalid UTF-8 replaced by U+FFFD. */
#include "../test.h"
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

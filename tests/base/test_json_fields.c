/* test_json_fields.c — string members keep their exact bytes (an escaped NUL, escaped
 * surrogate pairs, raw invalid UTF-8); nested values are skipped; errors name the origin. */
#include "../test.h"
#include "needle/json_fields.h"

TEST(json_fields_exact_strings) {
    const char *t = "{\"text\": \"a\\u0000b\\ud83d\\ude00\\n\", \"n\": 3, \"nested\": {\"text\": \"no\"}, "
                    "\"list\": [\"x\"], \"raw\": \"\xff\", \"text_pair\": \"\"}";
    json_fields fs;
    CHECK_OK(json_fields_parse(t, strlen(t), "line 1", &fs));
    const json_field *f = json_fields_get(&fs, "text");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->len, 8);
        CHECK(!memcmp(f->value, "a\0b\xf0\x9f\x98\x80\n", 8));
    }
    f = json_fields_get(&fs, "raw");
    CHECK(f && f->len == 1 && (unsigned char)f->value[0] == 0xff);
    f = json_fields_get(&fs, "text_pair");
    CHECK(f && f->len == 0);
    CHECK(json_fields_get(&fs, "n") == NULL);
    CHECK_INT(fs.n, 3);
    json_fields_free(&fs);
}

TEST(json_fields_errors_name_origin) {
    json_fields fs;
    CHECK_ERR(json_fields_parse("{\"text\": ", 9, "in.jsonl line 4", &fs), NEEDLE_EFORMAT, "in.jsonl line 4: malformed JSON");
    CHECK_ERR(json_fields_parse("[1]", 3, "in.jsonl line 5", &fs), NEEDLE_EFORMAT, "expected a JSON object");
    CHECK_ERR(json_fields_parse("\"s\"", 3, "in.jsonl line 6", &fs), NEEDLE_EFORMAT, "expected a JSON object");
}

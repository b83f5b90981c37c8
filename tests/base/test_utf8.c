/* test_utf8.c — UTF-8 validation, decoding and offset conversion against hand-computed values
 * (Python: len("aé€😀") == 4, len("aé€😀".encode()) == 10). */
#include "../test.h"
#include "needle/utf8.h"

TEST(utf8_counts_and_offsets) {
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    CHECK_INT(utf8_char_count(s, 10), 4);
    CHECK_INT(utf8_byte_offset(s, 10, 0), 0);
    CHECK_INT(utf8_byte_offset(s, 10, 2), 3);
    CHECK_INT(utf8_byte_offset(s, 10, 3), 6);
    CHECK_INT(utf8_byte_offset(s, 10, 9), 10);
    size_t i = 0;
    CHECK_INT(utf8_decode(s, 10, &i), 'a');
    CHECK_INT(utf8_decode(s, 10, &i), 0xE9);
    CHECK_INT(utf8_decode(s, 10, &i), 0x20AC);
    CHECK_INT(utf8_decode(s, 10, &i), 0x1F600);
    CHECK_INT(i, 10);
    char buf[4];
    CHECK_INT(utf8_encode(0x1F600, buf), 4);
    CHECK(!memcmp(buf, s + 6, 4));
    CHECK_INT(utf8_encode(0xD800, buf), 3); /* a surrogate becomes U+FFFD */
    CHECK(!memcmp(buf, "\xef\xbf\xbd", 3));
}

TEST(utf8_rejects_invalid_sequences) {
    size_t bad = 99;
    CHECK(utf8_validate("ok", 2, &bad));
    CHECK(!utf8_validate("ab\xc0\xaf", 4, &bad)); /* overlong "/" */
    CHECK_INT(bad, 2);
    CHECK(!utf8_validate("\xed\xa0\x80", 3, &bad)); /* a surrogate */
    CHECK_INT(bad, 0);
    CHECK(!utf8_validate("x\xe2\x82", 3, &bad)); /* truncated */
    CHECK_INT(bad, 1);
    CHECK(!utf8_validate("\xf4\x90\x80\x80", 4, &bad)); /* above U+10FFFF */
    size_t i = 0;
    CHECK_INT(utf8_decode("\xff" "a", 2, &i), 0xFFFD);
    CHECK_INT(i, 1);
}

TEST(utf8_check_text_names_line_and_column) {
    /* the bad byte 0xff follows "é" on line 2: column 3 counts code points, byte 5 counts bytes */
    CHECK_OK(utf8_check_text("fine \xc3\xa9", 7, "f.txt"));
    CHECK_ERR(utf8_check_text("a\n\xc3\xa9" "b\xff", 6, "f.txt"), NEEDLE_EFORMAT,
              "f.txt: invalid UTF-8 at line 2, column 3 (byte 5: 0xff)");
}

TEST(utf8_check_at_names_the_position_in_the_file) {
    /* a piece that starts at line 7, byte 100 of the file: 0xfe is on the piece's second line,
     * after "xé", so at line 8, column 3, byte 100 + 5 */
    CHECK_OK(utf8_check_at("ok", 2, "f.jsonl", 7, 100));
    CHECK_ERR(utf8_check_at("a\nx\xc3\xa9\xfe", 6, "f.jsonl", 7, 100), NEEDLE_EFORMAT,
              "f.jsonl: invalid UTF-8 at line 8, column 3 (byte 105: 0xfe)");
}

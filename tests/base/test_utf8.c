/* test_utf8.c — UTF-8 validation, decoding and offset conversion against hand-computed values
 * (Python: len("aé€😀") == 4, len("aé€😀".encode()) == 10). Decoding replaces each maximal
 * ill-formed subpart by one U+FFFD: expected code points are the Unicode Standard's own example
 * (Table 3-8, §3.9) and what Python's bytes.decode("utf-8", "replace") returns for the other
 * cases (checked by hand). */
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

static void check_decode(const char *bytes, size_t len, const uint32_t *want, size_t nwant) {
    uint32_t out[64], pos[65];
    size_t n = utf8_decode_all(bytes, len, out, pos);
    CHECK_INT(n, nwant);
    CHECK_INT(utf8_char_count(bytes, len), nwant);
    for (size_t i = 0; i < n && i < nwant; i++) CHECK_INT(out[i], want[i]);
    CHECK_INT(pos[n], len);
}

TEST(utf8_unicode_table_3_8_example) {
    const char b[] = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
    const uint32_t want[] = {0x61, 0xFFFD, 0xFFFD, 0xFFFD, 0x62, 0xFFFD, 0x63, 0xFFFD, 0xFFFD, 0x64};
    check_decode(b, sizeof b - 1, want, 10);
    size_t bad;
    CHECK(!utf8_validate(b, sizeof b - 1, &bad));
    CHECK_INT(bad, 1);
}

TEST(utf8_surrogates_overlongs_and_truncation) {
    const uint32_t sur[] = {0xFFFD, 0xFFFD, 0xFFFD, 'x'};
    check_decode("\xed\xa0\x80x", 4, sur, 4);
    const uint32_t over[] = {0xFFFD, 0xFFFD};
    check_decode("\xc0\xaf", 2, over, 2);
    const uint32_t big[] = {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD};
    check_decode("\xf4\x90\x80\x80", 4, big, 4);
    const uint32_t cut[] = {0xFFFD};
    check_decode("\xe2\x82", 2, cut, 1);
    const uint32_t ok[] = {'o', 'k', 0x1F600, 0};
    check_decode("ok\xf0\x9f\x98\x80\0", 7, ok, 4);
    CHECK(utf8_validate("ok\xf0\x9f\x98\x80", 6, NULL));
}

TEST(utf8_encode_round_trip) {
    const uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        uint32_t back;
        int n = utf8_encode(cps[i], buf);
        CHECK_INT(n, utf8_len(cps[i]));
        CHECK_INT(utf8_decode_all(buf, (size_t)n, &back, NULL), 1);
        CHECK_INT(back, cps[i]);
    }
    char buf[4];
    CHECK_INT(utf8_encode(0xD800, buf), 3); /* a surrogate is written as U+FFFD */
    CHECK(!memcmp(buf, "\xEF\xBF\xBD", 3));
}

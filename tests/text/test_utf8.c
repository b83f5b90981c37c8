/* test_utf8.c — UTF-8 decoding replaces each maximal ill-formed subpart by one U+FFFD.
 * Expected code points: the Unicode Standard's own example (Table 3-8, §3.9) and what
 * Python's bytes.decode("utf-8", "replace") returns for the other cases (checked by hand). */
#include "../test.h"
#include "needle/utf8.h"

static void check_decode(const char *bytes, size_t len, const uint32_t *want, size_t nwant) {
    uint32_t out[64], pos[65];
    size_t n = utf8_decode(bytes, len, out, pos);
    CHECK_INT(n, nwant);
    CHECK_INT(utf8_count(bytes, len), nwant);
    for (size_t i = 0; i < n && i < nwant; i++) CHECK_INT(out[i], want[i]);
    CHECK_INT(pos[n], len);
}

TEST(utf8_unicode_table_3_8_example) {
    const char b[] = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
    const uint32_t want[] = {0x61, 0xFFFD, 0xFFFD, 0xFFFD, 0x62, 0xFFFD, 0x63, 0xFFFD, 0xFFFD, 0x64};
    check_decode(b, sizeof b - 1, want, 10);
    size_t bad;
    CHECK(!utf8_valid(b, sizeof b - 1, &bad));
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
    CHECK(utf8_valid("ok\xf0\x9f\x98\x80", 6, NULL));
}

TEST(utf8_encode_round_trip) {
    const uint32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char buf[4];
        uint32_t back;
        int n = utf8_encode(cps[i], buf);
        CHECK_INT(n, utf8_len(cps[i]));
        CHECK_INT(utf8_decode(buf, (size_t)n, &back, NULL), 1);
        CHECK_INT(back, cps[i]);
    }
    char buf[4];
    CHECK_INT(utf8_encode(0xD800, buf), 3); /* a surrogate is written as U+FFFD */
    CHECK(!memcmp(buf, "\xEF\xBF\xBD", 3));
}

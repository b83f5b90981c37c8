/* test_murmur3.c — MurmurHash3 x64 128 against the published vectors of the Python mmh3
 * package's test suite (test_mmh3.py), and the Haystack id format built on it. */
#include "../test.h"
#include "needle/murmur3.h"

TEST(murmur3_matches_mmh3_vectors) {
    uint64_t h[2];
    /* mmh3.mmh3_x64_128_utupledigest(b"foo") == (16316970633193145697, 9128664383759220103) */
    murmur3_x64_128("foo", 3, 0, h);
    CHECK(h[0] == 16316970633193145697ULL);
    CHECK(h[1] == 9128664383759220103ULL);
    /* stupledigest(b"The quick brown fox jumps over the lazy dog", 0x9747B28C)
     * == (8325606756057297185, -484854449282476315) */
    const char *fox = "The quick brown fox jumps over the lazy dog";
    murmur3_x64_128(fox, strlen(fox), 0x9747B28C, h);
    CHECK(h[0] == 8325606756057297185ULL);
    CHECK(h[1] == (uint64_t)-484854449282476315LL);
    murmur3_x64_128("", 0, 0, h);
    CHECK(h[0] == 0 && h[1] == 0);
}

TEST(murmur3_hex_id_is_haystack_format) {
    char hex[33];
    /* mmh3.hash128("foo") == 168394135621993849475852668931176482145 == 0x7eaf87e4...45 61 */
    murmur3_hex_id("foo", 3, hex);
    CHECK_STR(hex, "7eaf87e42bba7d87e271865701f54561");
    /* "{:02x}".format(0) == "00" */
    murmur3_hex_id("", 0, hex);
    CHECK_STR(hex, "00");
}

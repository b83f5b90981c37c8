/* utf8.c — UTF-8 decoding with maximal-subpart replacement, and encoding (see utf8.h).
 *
 * The decoder checks each continuation byte against the range its lead byte allows
 * (Unicode Table 3-7), so an ill-formed sequence is cut exactly where Python and browsers
 * cut it and the code-point offsets that users compute on their side agree with ours. */
#include "needle/utf8.h"
#include "unicode.h"

/* The allowed range of the second byte for each lead byte, and the sequence length. */
static inline int lead_info(unsigned char b, unsigned char *lo, unsigned char *hi) {
    *lo = 0x80;
    *hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b == 0xE0) { *lo = 0xA0; return 3; }
    if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return 3;
    if (b == 0xED) { *hi = 0x9F; return 3; }
    if (b == 0xF0) { *lo = 0x90; return 4; }
    if (b >= 0xF1 && b <= 0xF3) return 4;
    if (b == 0xF4) { *hi = 0x8F; return 4; }
    return 0;
}

/* Decode one code point at s[i] (i < len); returns the bytes consumed (>= 1). */
static inline size_t decode_one(const unsigned char *s, size_t i, size_t len, uint32_t *cp) {
    unsigned char b = s[i];
    if (b < 0x80) { *cp = b; return 1; }
    unsigned char lo, hi;
    int n = lead_info(b, &lo, &hi);
    if (!n) { *cp = UTF8_REPLACEMENT; return 1; }
    uint32_t v = b & (0xFF >> (n + 1));
    for (int k = 1; k < n; k++) {
        if (i + k >= len) { *cp = UTF8_REPLACEMENT; return (size_t)k; }
        unsigned char c = s[i + k];
        unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (c < l || c > h) { *cp = UTF8_REPLACEMENT; return (size_t)k; }
        v = (v << 6) | (c & 0x3F);
    }
    *cp = v;
    return (size_t)n;
}

size_t utf8_decode(const char *str, size_t len, uint32_t *out, uint32_t *byte_pos) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, n = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            if (byte_pos) byte_pos[n] = (uint32_t)i;
            out[n++] = s[i++];
            continue;
        }
        uint32_t cp;
        size_t k = decode_one(s, i, len, &cp);
        if (byte_pos) byte_pos[n] = (uint32_t)i;
        out[n++] = cp;
        i += k;
    }
    if (byte_pos) byte_pos[n] = (uint32_t)len;
    return n;
}

size_t utf8_count(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, n = 0;
    while (i < len) {
        uint32_t cp;
        i += s[i] < 0x80 ? 1 : decode_one(s, i, len, &cp);
        n++;
    }
    return n;
}

int utf8_valid(const char *str, size_t len, size_t *bad_at) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) { i++; continue; }
        uint32_t cp;
        unsigned char lo, hi;
        size_t k = decode_one(s, i, len, &cp);
        if ((size_t)lead_info(s[i], &lo, &hi) != k) {
            if (bad_at) *bad_at = i;
            return 0;
        }
        i += k;
    }
    return 1;
}

int utf8_len(uint32_t cp) {
    if (cp < 0x80) return 1;
    if (cp < 0x800) return 2;
    if (cp < 0x10000 || cp > 0x10FFFF) return 3; /* surrogates and out-of-range become U+FFFD */
    return 4;
}

int utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = UTF8_REPLACEMENT;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t utf8_space_prefix(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    uc_init();
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = s[i] < 0x80 ? (cp = s[i], 1) : decode_one(s, i, len, &cp);
        if (!uc_is(cp, UC_PYSPACE)) break;
        i += k;
    }
    return i;
}

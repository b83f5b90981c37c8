/* utf8.c — UTF-8 decoding with maximal-subpart replacement, encoding, validation and offset
 * conversion (see utf8.h). One decoder serves all of them so that every part of the code
 * base agrees on what a valid sequence and a code point are.
 *
 * The decoder checks each continuation byte against the range its lead byte allows
 * (Unicode Table 3-7), so an ill-formed sequence is cut exactly where Python and browsers
 * cut it. */
#include "needle/utf8.h"
#include "needle/error.h"

/* The allowed range of the second byte for each lead byte, and the sequence length
 * (0 for a byte that cannot start a sequence). */
static inline int lead_info(unsigned char b, unsigned char *lo, unsigned char *hi) {
    *lo = 0x80;
    *hi = 0xBF;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b == 0xE0) { *lo = 0xA0; return 3; }
    if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return 3;
    if (b == 0xED) { *hi = 0x9F; return 3; }
    if (b == 0xF0) { *lo = 0x90; return 4; }
    if (b >= 0xF1 && b <= 0xF3) return 4;
    if (b == 0xF4) { *hi = 0x8F; return 4; }
    return 0;
}

/* Decode one code point at s[i] (i < len); returns the bytes consumed (>= 1) and sets *ok to
 * whether the sequence was well formed. */
static inline size_t decode_one(const unsigned char *s, size_t i, size_t len, uint32_t *cp, int *ok) {
    unsigned char b = s[i], lo, hi;
    *ok = 1;
    if (b < 0x80) { *cp = b; return 1; }
    int n = lead_info(b, &lo, &hi);
    *ok = 0;
    *cp = UTF8_REPLACEMENT;
    if (!n) return 1;
    uint32_t v = b & (0xFFu >> (n + 1));
    for (int k = 1; k < n; k++) {
        if (i + (size_t)k >= len) return (size_t)k;
        unsigned char c = s[i + (size_t)k];
        if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return (size_t)k;
        v = (v << 6) | (c & 0x3F);
    }
    *ok = 1;
    *cp = v;
    return (size_t)n;
}

size_t utf8_valid_len(const unsigned char *s, size_t n) {
    uint32_t cp;
    int ok;
    size_t k = decode_one(s, 0, n, &cp, &ok);
    return ok ? k : 0;
}

int utf8_validate(const char *s, size_t n, size_t *bad_offset) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        uint32_t cp;
        int ok;
        size_t k = decode_one(p, i, n, &cp, &ok);
        if (!ok) {
            if (bad_offset) *bad_offset = i;
            return 0;
        }
        i += k;
    }
    return 1;
}

uint32_t utf8_decode(const char *s, size_t n, size_t *i) {
    uint32_t cp;
    int ok;
    *i += decode_one((const unsigned char *)s, *i, n, &cp, &ok);
    return cp;
}

size_t utf8_decode_all(const char *str, size_t len, uint32_t *out, uint32_t *byte_pos) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, n = 0;
    while (i < len) {
        if (byte_pos) byte_pos[n] = (uint32_t)i;
        if (s[i] < 0x80) { out[n++] = s[i++]; continue; }
        int ok;
        i += decode_one(s, i, len, &out[n], &ok);
        n++;
    }
    if (byte_pos) byte_pos[n] = (uint32_t)len;
    return n;
}

int utf8_len(uint32_t cp) {
    if (cp < 0x80) return 1;
    if (cp < 0x800) return 2;
    if (cp < 0x10000 || cp > 0x10FFFF) return 3; /* surrogates and out-of-range become U+FFFD */
    return 4;
}

int utf8_encode(uint32_t cp, char out[4]) {
    unsigned char *o = (unsigned char *)out;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = UTF8_REPLACEMENT;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
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

size_t utf8_char_count(const char *s, size_t n) {
    size_t i = 0, count = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) i++;
        else utf8_decode(s, n, &i);
        count++;
    }
    return count;
}

size_t utf8_byte_offset(const char *s, size_t n, size_t chars) {
    size_t i = 0;
    while (i < n && chars > 0) {
        utf8_decode(s, n, &i);
        chars--;
    }
    return i;
}

int utf8_check_at(const char *text, size_t len, const char *origin, size_t line, size_t byte) {
    size_t bad;
    if (utf8_validate(text, len, &bad)) return 0;
    size_t col = 1;
    for (size_t i = 0; i < bad; i++) {
        if (text[i] == '\n') { line++; col = 1; }
        else if (((unsigned char)text[i] & 0xC0) != 0x80) col++;
    }
    return error_set(NEEDLE_EFORMAT, "%s: invalid UTF-8 at line %zu, column %zu (byte %zu: 0x%02x); the file must be UTF-8",
                     origin, line, col, byte + bad, (unsigned char)text[bad]);
}

int utf8_check_text(const char *text, size_t len, const char *origin) { return utf8_check_at(text, len, origin, 1, 0); }

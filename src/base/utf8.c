/* utf8.c — UTF-8 decoding, encoding, validation and offset conversion (see utf8.h). One
 * decoder serves all of them so that every part of the code base agrees on what a valid
 * sequence and a code point are. */
#include "needle/utf8.h"
#include "needle/error.h"

size_t utf8_valid_len(const unsigned char *s, size_t n) {
    uint32_t c = s[0], min;
    size_t len;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return len;
}

int utf8_validate(const char *s, size_t n, size_t *bad_offset) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        size_t len = utf8_valid_len(p + i, n - i);
        if (!len) {
            if (bad_offset) *bad_offset = i;
            return 0;
        }
        i += len;
    }
    return 1;
}

uint32_t utf8_decode(const char *s, size_t n, size_t *i) {
    const unsigned char *p = (const unsigned char *)s + *i;
    if (p[0] < 0x80) { (*i)++; return p[0]; }
    size_t len = utf8_valid_len(p, n - *i);
    if (!len) { (*i)++; return 0xFFFD; }
    uint32_t c = p[0] & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; k++) c = (c << 6) | (p[k] & 0x3F);
    *i += len;
    return c;
}

size_t utf8_encode(uint32_t cp, char out[4]) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t utf8_char_count(const char *s, size_t n) {
    size_t i = 0, count = 0;
    while (i < n) {
        utf8_decode(s, n, &i);
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

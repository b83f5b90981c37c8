/* utf8.h — UTF-8 decoding and encoding with one defined treatment of invalid input.
 *
 * needle's tokenizers, offsets and SQuAD answer positions count Unicode code points (Python
 * str indices), so text is decoded once into code points. Invalid UTF-8 never fails: each
 * maximal ill-formed subpart (Unicode 15 §3.9, "substitution of maximal subparts", also what
 * WHATWG and Python's bytes.decode("utf-8", "replace") do) becomes one U+FFFD and counts as
 * one code point. Overlong forms, surrogates (ED A0..BF ..) and code points above U+10FFFF
 * are ill-formed. A NUL byte is a valid code point (U+0000). */
#ifndef NEEDLE_UTF8_H
#define NEEDLE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xFFFDu

/* Decode s[0..len) into out (room for len code points; never more are written). When
 * byte_pos is not NULL it receives the byte offset where each code point starts, and
 * byte_pos[n] = len (room for len + 1 entries). Returns the number of code points n. */
size_t utf8_decode(const char *s, size_t len, uint32_t *out, uint32_t *byte_pos);
/* The number of code points utf8_decode would produce. */
size_t utf8_count(const char *s, size_t len);
/* 1 when s[0..len) is well-formed UTF-8, else 0 (and *bad_at the first bad byte offset). */
int utf8_valid(const char *s, size_t len, size_t *bad_at);
/* Write the UTF-8 form of cp (1 to 4 bytes; an invalid cp writes U+FFFD) and return its length. */
int utf8_encode(uint32_t cp, char *out);
/* Bytes needed to encode cp. */
int utf8_len(uint32_t cp);
/* Length in bytes of the leading whitespace of s, whitespace as Python's str.isspace
 * (general category Zs or bidi class WS, B, S): s + result is what str.lstrip() keeps. */
size_t utf8_space_prefix(const char *s, size_t len);

#endif

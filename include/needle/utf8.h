/* utf8.h — UTF-8 decoding, encoding and validation, and the conversion between code-point
 * offsets and byte offsets, with one treatment of invalid input for the whole code base.
 *
 * Datasets and Hugging Face count character offsets in Unicode code points (Python str
 * indices), while needle stores text as UTF-8 bytes; every conversion goes through here.
 * "Valid" means shortest-form sequences of scalar values: no overlongs, no surrogates,
 * nothing above U+10FFFF. When decoding, each maximal ill-formed subpart (Unicode 15 §3.9,
 * "substitution of maximal subparts" — also what WHATWG and Python's
 * bytes.decode("utf-8", "replace") do) becomes one U+FFFD and counts as one code point, so
 * offsets computed by users on the Python side agree with ours. A NUL byte is U+0000. */
#ifndef NEEDLE_UTF8_H
#define NEEDLE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xFFFDu

/* Length (1..4) of the valid sequence at s[0..n), or 0 when it is invalid or truncated. */
size_t utf8_valid_len(const unsigned char *s, size_t n);
/* 1 when s[0..n) is entirely valid; otherwise 0 with the offset of the first bad byte. */
int utf8_validate(const char *s, size_t n, size_t *bad_offset);
/* Decode the code point at s[*i] (requires *i < n) and advance *i past it; an ill-formed
 * subpart decodes as U+FFFD and is skipped whole. */
uint32_t utf8_decode(const char *s, size_t n, size_t *i);
/* Decode s[0..len) into out (room for len code points). When byte_pos is not NULL it
 * receives the byte offset where each code point starts, and byte_pos[n] = len (room for
 * len + 1 entries). Returns the number of code points n. */
size_t utf8_decode_all(const char *s, size_t len, uint32_t *out, uint32_t *byte_pos);
/* Write the UTF-8 form of cp (values that are not scalar values are written as U+FFFD);
 * returns its length, 1..4. */
int utf8_encode(uint32_t cp, char out[4]);
/* Bytes utf8_encode writes for cp. */
int utf8_len(uint32_t cp);
/* 0 when text is valid UTF-8; otherwise NEEDLE_EFORMAT with a message naming `origin` and the
 * line, column and byte of the first invalid byte. For checking whole files as they are read. */
int utf8_check_text(const char *text, size_t len, const char *origin);
/* The same for a piece of a larger file that starts at `line` and at byte `byte` of it. */
int utf8_check_at(const char *text, size_t len, const char *origin, size_t line, size_t byte);
/* Number of code points in s[0..n) as utf8_decode counts them. */
size_t utf8_char_count(const char *s, size_t n);
/* Byte offset of code point number `chars`, or n when the text is shorter. */
size_t utf8_byte_offset(const char *s, size_t n, size_t chars);

#endif

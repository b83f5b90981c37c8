/* utf8.h — UTF-8 decoding, encoding and validation, and the conversion between code-point
 * offsets and byte offsets.
 *
 * Datasets count character offsets in Unicode code points (Python's len() and slicing, which
 * SQuAD's answer_start and Hugging Face's offsets follow), while the code base stores text as
 * UTF-8 bytes; every conversion between the two goes through these functions. "Valid" means
 * shortest-form sequences of scalar values: no overlongs, no surrogates, nothing above
 * U+10FFFF. */
#ifndef NEEDLE_UTF8_H
#define NEEDLE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid sequence at s[0..n), or 0 when it is invalid or truncated. */
size_t utf8_valid_len(const unsigned char *s, size_t n);
/* 1 when s[0..n) is entirely valid; otherwise 0 with the offset of the first bad byte. */
int utf8_validate(const char *s, size_t n, size_t *bad_offset);
/* Decode the code point at s[*i] and advance *i past it; an invalid byte decodes as U+FFFD
 * and advances by one, so that a loop always terminates. Requires *i < n. */
uint32_t utf8_decode(const char *s, size_t n, size_t *i);
/* Encode a scalar value (values that are not are encoded as U+FFFD); returns 1..4. */
size_t utf8_encode(uint32_t cp, char out[4]);
/* 0 when text is valid UTF-8; otherwise NEEDLE_EFORMAT with a message naming `origin` and the
 * line, column and byte of the first invalid byte. For checking whole files as they are read. */
int utf8_check_text(const char *text, size_t len, const char *origin);
/* The same for a piece of a file read in parts (a line of a JSON-lines file): the piece starts
 * at line `line` (counted from 1), column 1, byte `byte` of the file, and the message gives the
 * position in the file. */
int utf8_check_at(const char *text, size_t len, const char *origin, size_t line, size_t byte);
/* Number of code points in s[0..n) (each invalid byte counts as one). */
size_t utf8_char_count(const char *s, size_t n);
/* Byte offset of code point number `chars`, or n when the text is shorter. */
size_t utf8_byte_offset(const char *s, size_t n, size_t chars);

#endif

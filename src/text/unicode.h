/* unicode.h — the character classes and mappings the tokenizers need, all derived from
 * utf8proc's Unicode database (never hand-made tables).
 *
 * Hugging Face's tokenizers (Rust) use a handful of predicates: char::is_whitespace (the
 * White_Space property), general categories (P* punctuation, C* "other", Mn marks, L*, N*),
 * regex classes (\w, \s, \p{L}, \p{N}) and char::to_lowercase. Each is computed here from
 * utf8proc; the Basic Multilingual Plane is flattened into one 64K table of flag bits at first
 * use (built from utf8proc, so it is the same data), because the tokenizer asks these
 * questions for every character of millions of passages. */
#ifndef NEEDLE_TEXT_UNICODE_H
#define NEEDLE_TEXT_UNICODE_H

#include <stdint.h>

enum {
    UC_WHITESPACE = 1 << 0, /* White_Space: Zs, Zl, Zp, U+0009..000D, U+0085 (Rust is_whitespace, regex \s) */
    UC_PUNCT = 1 << 2,      /* general category P* */
    UC_OTHER = 1 << 3,      /* general category C* (Cc, Cf, Cs, Co, Cn) */
    UC_MN = 1 << 4,         /* general category Mn */
    UC_LETTER = 1 << 5,     /* L* (regex \p{L}) */
    UC_NUMBER = 1 << 6,     /* N* (regex \p{N}, Rust is_numeric) */
    UC_WORD = 1 << 7,       /* regex \w: L*, M*, Nd, Nl, Pc, Join_Control (U+200C, U+200D) */
    UC_ALNUM = 1 << 8,      /* Rust is_alphanumeric: L*, N*, and the marks of Alphabetic (Mn, Mc) */
    UC_MARK = 1 << 9,       /* general category M* (Mn, Mc, Me) */
};

/* Flags of a code point (any value; invalid ones are C*). */
unsigned uc_flags_slow(uint32_t c);
extern const uint16_t *uc_bmp_flags; /* built by uc_init */
void uc_init(void);                  /* idempotent and thread-safe */

static inline unsigned uc_flags(uint32_t c) {
    return c < 0x10000 ? uc_bmp_flags[c] : uc_flags_slow(c);
}
static inline int uc_is(uint32_t c, unsigned flag) { return (uc_flags(c) & flag) != 0; }
static inline int uc_is_ascii_punct(uint32_t c) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}
/* BERT's "Chinese character": the CJK ideograph blocks exactly as Hugging Face lists them. */
int uc_is_chinese(uint32_t c);

/* Full lowercase mapping (Rust char::to_lowercase): 1 or 2 code points written to out. */
int uc_lower(uint32_t c, uint32_t out[3]);
/* Canonical (compat = 0) or compatibility (compat = 1) full decomposition of one code point,
 * without reordering; returns the count (<= cap; 18 is enough for any code point). */
int uc_decompose(uint32_t c, int compat, uint32_t *out, int cap);
/* Canonical combining class. */
int uc_ccc(uint32_t c);
/* The primary composite of a starter and a following character (Hangul included), if any. */
int uc_compose(uint32_t a, uint32_t b, uint32_t *out);

#endif

/* pystr.h — the character classes of Python 3's str and re, for code that must treat text
 * exactly as a Python program would: the official SQuAD normalisation (\w, the whitespace of
 * str.split(), str.lower() per code point, and the Cased / Case_Ignorable properties behind
 * str.lower()'s final-sigma rule) and HF run_qa's question.lstrip(). Its tests compare every
 * code point against tables dumped from Python. */
#ifndef NEEDLE_PYSTR_H
#define NEEDLE_PYSTR_H

#include <stddef.h>
#include <stdint.h>

/* Python re's \w for str patterns: str.isalnum() or "_" (general category L* or N*). */
int pystr_is_word(uint32_t cp);
/* Python's str.isspace(), the separators of str.split(). */
int pystr_is_space(uint32_t cp);
/* One code point of str.lower() outside any context: writes 1 or 2 code points (U+0130 gives
 * "i" U+0307) and returns how many. Capital sigma gives σ here; squad_lower applies the
 * final-sigma rule. */
size_t pystr_lower_cp(uint32_t cp, uint32_t out[2]);
/* Unicode Cased and Case_Ignorable, as CPython's final-sigma rule reads them. */
int pystr_is_cased(uint32_t cp);
int pystr_is_case_ignorable(uint32_t cp);

/* Length in bytes of the leading whitespace (str.isspace) of s: s + result is what
 * str.lstrip() keeps. Invalid bytes decode as in utf8.h and are not whitespace. */
size_t pystr_space_prefix(const char *s, size_t len);

#endif

/* squad_unicode.h — the character classes Python 3's str and re give the official SQuAD
 * normalisation, so that needle normalises text exactly as evaluate-v*.py does: \w, the
 * whitespace of str.split(), str.lower() per code point, and the Cased / Case_Ignorable
 * properties behind str.lower()'s final-sigma rule. Internal to the evaluator (and its tests,
 * which compare every code point against tables dumped from Python). */
#ifndef NEEDLE_SQUAD_UNICODE_H
#define NEEDLE_SQUAD_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Python re's \w for str patterns: str.isalnum() or "_" (general category L* or N*). */
int squad_is_word(uint32_t cp);
/* Python's str.isspace(), the separators of str.split(). */
int squad_is_space(uint32_t cp);
/* One code point of str.lower() outside any context: writes 1 or 2 code points (U+0130 gives
 * "i" U+0307) and returns how many. Capital sigma gives σ here; squad_lower applies the
 * final-sigma rule. */
size_t squad_lower_cp(uint32_t cp, uint32_t out[2]);
/* Unicode Cased and Case_Ignorable, as CPython's final-sigma rule reads them. */
int squad_is_cased(uint32_t cp);
int squad_is_case_ignorable(uint32_t cp);

#endif

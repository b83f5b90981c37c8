/* pystr.c — Python 3's character classes (see pystr.h), on top of utf8proc's Unicode tables.
 *
 * What Python uses, and how it maps here (each checked for every code point against tables
 * dumped from Python 3.11 by tests/tools/squad_reference.py unicode-tables):
 *   \w        = str.isalnum() or "_"; isalnum = isalpha (L*) or isdecimal/isdigit/isnumeric,
 *               which for assigned code points is exactly category L* or N*;
 *   isspace   = bidirectional class WS, B or S, or category Zs: the fixed list below;
 *   lower()   = the simple lowercase mapping, except U+0130 (full mapping "i" U+0307) and
 *               capital sigma (context-dependent, see squad_lower);
 *   Cased     = Lowercase or Uppercase or Lt. Letters with a case mapping cover all but the
 *               Other_Lowercase/Other_Uppercase code points without one, listed below;
 *   Case_Ignorable = Mn, Me, Cf, Lm, Sk, and the Word_Break MidLetter/MidNumLet/Single_Quote
 *               characters listed below. */
#include "needle/pystr.h"
#include "needle/utf8.h"

#include <utf8proc.h>

int pystr_is_word(uint32_t cp) {
    if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

int pystr_is_space(uint32_t cp) {
    if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

size_t pystr_lower_cp(uint32_t cp, uint32_t out[2]) {
    if (cp < 0x80) {
        out[0] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x130) {
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    out[0] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
    return 1;
}

int pystr_is_cased(uint32_t cp) {
    utf8proc_int32_t c = (utf8proc_int32_t)cp;
    utf8proc_category_t cat = utf8proc_category(c);
    if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT) return 1;
    if (utf8proc_tolower(c) != c || utf8proc_toupper(c) != c || utf8proc_totitle(c) != c) return 1;
    /* Other_Lowercase / Other_Uppercase without a case mapping: ª º, squared and negative
     * squared Latin capitals */
    return cp == 0xAA || cp == 0xBA || (cp >= 0x1F130 && cp <= 0x1F149) || (cp >= 0x1F150 && cp <= 0x1F169) ||
           (cp >= 0x1F170 && cp <= 0x1F189);
}

int pystr_is_case_ignorable(uint32_t cp) {
    switch (cp) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4: case 0x2018: case 0x2019:
    case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    default: break;
    }
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_ME || c == UTF8PROC_CATEGORY_CF ||
           c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_SK;
}

size_t pystr_space_prefix(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t next = i;
        if (!pystr_is_space(utf8_decode(s, len, &next))) break;
        i = next;
    }
    return i;
}

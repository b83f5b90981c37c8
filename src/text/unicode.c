/* unicode.c — character classes and mappings from utf8proc (see unicode.h).
 *
 * The BMP flag table is filled once (pthread_once) by asking utf8proc about every code
 * point below U+10000; astral code points ask utf8proc directly. */
#include "unicode.h"

#include <pthread.h>
#include <stdlib.h>
#include <utf8proc.h>

static uint16_t bmp_table[0x10000];
const uint16_t *uc_bmp_flags = bmp_table;

unsigned uc_flags_slow(uint32_t c) {
    if (c > 0x10FFFF) return UC_OTHER;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)c);
    unsigned f = 0;
    switch (p->category) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        f |= UC_LETTER | UC_WORD | UC_ALNUM;
        break;
    case UTF8PROC_CATEGORY_MN: f |= UC_MN | UC_MARK | UC_WORD | UC_ALNUM; break;
    case UTF8PROC_CATEGORY_MC: f |= UC_MARK | UC_WORD | UC_ALNUM; break;
    case UTF8PROC_CATEGORY_ME: f |= UC_MARK | UC_WORD; break;
    case UTF8PROC_CATEGORY_ND: f |= UC_NUMBER | UC_WORD | UC_ALNUM; break;
    case UTF8PROC_CATEGORY_NL: f |= UC_NUMBER | UC_ALNUM | UC_WORD; break; /* Nl is Alphabetic, so \\w */
    case UTF8PROC_CATEGORY_NO: f |= UC_NUMBER | UC_ALNUM; break;
    case UTF8PROC_CATEGORY_PC: f |= UC_PUNCT | UC_WORD; break;
    case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
        f |= UC_PUNCT;
        break;
    case UTF8PROC_CATEGORY_ZS: f |= UC_WHITESPACE; break;
    case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: f |= UC_WHITESPACE; break;
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN:
        f |= UC_OTHER;
        break;
    default: break;
    }
    if ((c >= 0x09 && c <= 0x0D) || c == 0x85) f |= UC_WHITESPACE;
    if (c == 0x200C || c == 0x200D) f |= UC_WORD; /* Join_Control is part of \\w */
    return f;
}

static void build_table(void) {
    for (uint32_t c = 0; c < 0x10000; c++) bmp_table[c] = (uint16_t)uc_flags_slow(c);
}

void uc_init(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_table);
}

int uc_is_chinese(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

int uc_lower(uint32_t c, uint32_t out[3]) {
    if (c < 0x80) {
        out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        return 1;
    }
    /* The only unconditional multi-character lowercase mapping in SpecialCasing.txt;
     * utf8proc gives simple (one code point) mappings. */
    if (c == 0x130) {
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    out[0] = c > 0x10FFFF ? c : (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
    return 1;
}

int uc_decompose(uint32_t c, int compat, uint32_t *out, int cap) {
    if (c < 0xA0 || c > 0x10FFFF) { out[0] = c; return 1; }
    int boundclass = 0;
    utf8proc_option_t opt = UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0);
    utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)c, (utf8proc_int32_t *)out, cap, opt, &boundclass);
    if (n <= 0 || n > cap) { out[0] = c; return 1; }
    return (int)n;
}

int uc_ccc(uint32_t c) {
    if (c < 0x300 || c > 0x10FFFF) return 0;
    return utf8proc_get_property((utf8proc_int32_t)c)->combining_class;
}

int uc_compose(uint32_t a, uint32_t b, uint32_t *out) {
    if (b < 0x300) return 0; /* no primary composite has a second part below U+0300 */
    utf8proc_int32_t buf[2] = {(utf8proc_int32_t)a, (utf8proc_int32_t)b};
    utf8proc_ssize_t n = utf8proc_normalize_utf32(buf, 2, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (n != 1) return 0;
    *out = (uint32_t)buf[0];
    return 1;
}

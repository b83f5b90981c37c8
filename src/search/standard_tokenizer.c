/* standard_tokenizer.c — Lucene's StandardTokenizer in C: UAX#29 word-break rules as Lucene's
 * JFlex grammar (StandardTokenizerImpl.jflex, Lucene 8/9) applies them.
 *
 * Lucene does not run the UAX#29 break algorithm and keep every segment; it matches the
 * longest of a few token patterns and drops everything else:
 *   word   = ENL* core (ENL+ core)* ENL*, where core is a Katakana run (K (ENL* K)*) or a
 *            sequence of letter runs (AH ((ENL* | MidLetter) AH)*), number runs
 *            (N ((ENL* | MidNum) N)*) and Hebrew pieces (HL ' | HL " HL), adjacent;
 *   SE Asian run (Line_Break=Complex_Context chars, kept whole), one Han ideograph, one
 *   hiragana, an emoji sequence, a regional-indicator pair.
 * Each character is followed by its Extend/Format/ZWJ characters (rule WB4). Because every
 * prefix the word pattern accepts is itself a word, greedy scanning with one unit of
 * look-ahead after a Mid* character gives exactly the longest match.
 *
 * utf8proc supplies categories and grapheme classes; the Word_Break values derived from
 * scripts (Katakana, Hiragana, Han, Hebrew, Complex_Context) come from range tables below,
 * taken from Unicode's Scripts.txt and LineBreak.txt. Lucene makes a token of every
 * character with the Emoji property (so ©, ® and ™ are terms; on SciFact this accounts for
 * all 44 tokens by which Anserini's count exceeded an emoji-blind tokenizer's): below U+1F000
 * the Emoji=Yes ranges of emoji-data.txt are listed here (keycap bases #, * and digits only
 * with U+20E3), above it utf8proc's Extended_Pictographic class stands in for them. */
#include "needle/analyzer.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

enum {
    WB_OTHER, WB_ALETTER, WB_HEBREW, WB_NUMERIC, WB_KATAKANA, WB_ENL, /* ExtendNumLet */
    WB_MIDLETTER, WB_MIDNUMLET, WB_MIDNUM, WB_SQUOTE, WB_DQUOTE,
    WB_EXTEND, /* Extend, Format, ZWJ: absorbed by the character before (WB4) */
    WB_HAN, WB_HIRAGANA, WB_SEA, WB_EMOJI, WB_RI,
    WB_HEBREW_QUOTE, /* scanner state: a Hebrew letter followed by ' (WB7a) */
};

typedef struct {
    int32_t lo, hi;
} cp_range;

static int in_ranges(int32_t c, const cp_range *r, int n) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < r[mid].lo) hi = mid - 1;
        else if (c > r[mid].hi) lo = mid + 1;
        else return 1;
    }
    return 0;
}
#define IN(c, table) in_ranges((c), (table), (int)(sizeof(table) / sizeof(table[0])))

/* Line_Break=Complex_Context (South East Asian scripts), digits excluded. */
static const cp_range sea_ranges[] = {
    {0x0E01, 0x0E3A}, {0x0E40, 0x0E4E}, {0x0E81, 0x0ECE}, {0x0EDC, 0x0EDF}, {0x1000, 0x103F},
    {0x1050, 0x108F}, {0x109A, 0x109F}, {0x1780, 0x17D3}, {0x17D7, 0x17D7}, {0x17DC, 0x17DD},
    {0x1950, 0x1974}, {0x1980, 0x19CF}, {0x19DA, 0x19DF}, {0x1A20, 0x1A7F}, {0x1AA0, 0x1AAD},
    {0xA9E0, 0xA9EF}, {0xA9FA, 0xA9FE}, {0xAA60, 0xAAC2}, {0xAADB, 0xAADF}, {0x11700, 0x1173F},
};
static const cp_range han_ranges[] = {
    {0x2E80, 0x2E99}, {0x2E9B, 0x2EF3}, {0x2F00, 0x2FD5}, {0x3005, 0x3005}, {0x3007, 0x3007},
    {0x3021, 0x3029}, {0x3038, 0x303B}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFA6D},
    {0xFA70, 0xFAD9}, {0x20000, 0x2FFFF}, {0x30000, 0x3134F},
};
static const cp_range hiragana_ranges[] = {
    {0x3041, 0x3096}, {0x309D, 0x309F}, {0x1B001, 0x1B11F}, {0x1B150, 0x1B152}, {0x1F200, 0x1F200},
};
/* Word_Break=Katakana: Script=Katakana plus U+3031..3035, 309B, 309C, 30A0, 30FC, FF70. */
static const cp_range katakana_ranges[] = {
    {0x3031, 0x3035}, {0x309B, 0x309C}, {0x30A0, 0x30FA}, {0x30FC, 0x30FF}, {0x31F0, 0x31FF},
    {0x32D0, 0x32FE}, {0x3300, 0x3357}, {0xFF66, 0xFF9D}, {0x1B000, 0x1B000}, {0x1B164, 0x1B167},
};
/* Word_Break=Hebrew_Letter: Script=Hebrew and General_Category=Other_Letter. */
static const cp_range hebrew_ranges[] = {
    {0x05D0, 0x05EA}, {0x05EF, 0x05F2}, {0xFB1D, 0xFB1D}, {0xFB1F, 0xFB28}, {0xFB2A, 0xFB36},
    {0xFB38, 0xFB3C}, {0xFB3E, 0xFB3E}, {0xFB40, 0xFB41}, {0xFB43, 0xFB44}, {0xFB46, 0xFB4F},
};
/* Word_Break=ALetter beyond the letters: modifier symbols and circled letters. */
static const cp_range aletter_extra[] = {
    {0x02C2, 0x02C5}, {0x02D2, 0x02D7}, {0x02DE, 0x02DF}, {0x02E5, 0x02EB}, {0x02ED, 0x02ED},
    {0x02EF, 0x02FF}, {0x05F3, 0x05F3}, {0x24B6, 0x24E9}, {0xA720, 0xA721}, {0xA789, 0xA78A},
    {0xAB5B, 0xAB5B},
};

/* Emoji=Yes below U+1F000 (emoji-data.txt), keycap bases excluded. */
static const cp_range emoji_bmp[] = {
    {0x00A9, 0x00A9}, {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049}, {0x2122, 0x2122}, {0x2139, 0x2139},
    {0x2194, 0x2199}, {0x21A9, 0x21AA}, {0x231A, 0x231B}, {0x2328, 0x2328}, {0x23CF, 0x23CF}, {0x23E9, 0x23F3},
    {0x23F8, 0x23FA}, {0x24C2, 0x24C2}, {0x25AA, 0x25AB}, {0x25B6, 0x25B6}, {0x25C0, 0x25C0}, {0x25FB, 0x25FE},
    {0x2600, 0x2604}, {0x260E, 0x260E}, {0x2611, 0x2611}, {0x2614, 0x2615}, {0x2618, 0x2618}, {0x261D, 0x261D},
    {0x2620, 0x2620}, {0x2622, 0x2623}, {0x2626, 0x2626}, {0x262A, 0x262A}, {0x262E, 0x262F}, {0x2638, 0x263A},
    {0x2640, 0x2640}, {0x2642, 0x2642}, {0x2648, 0x2653}, {0x265F, 0x2660}, {0x2663, 0x2663}, {0x2665, 0x2666},
    {0x2668, 0x2668}, {0x267B, 0x267B}, {0x267E, 0x267F}, {0x2692, 0x2697}, {0x2699, 0x2699}, {0x269B, 0x269C},
    {0x26A0, 0x26A1}, {0x26A7, 0x26A7}, {0x26AA, 0x26AB}, {0x26B0, 0x26B1}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26C8, 0x26C8}, {0x26CE, 0x26CF}, {0x26D1, 0x26D1}, {0x26D3, 0x26D4}, {0x26E9, 0x26EA}, {0x26F0, 0x26F5},
    {0x26F7, 0x26FA}, {0x26FD, 0x26FD}, {0x2702, 0x2702}, {0x2705, 0x2705}, {0x2708, 0x270D}, {0x270F, 0x270F},
    {0x2712, 0x2712}, {0x2714, 0x2714}, {0x2716, 0x2716}, {0x271D, 0x271D}, {0x2721, 0x2721}, {0x2728, 0x2728},
    {0x2733, 0x2734}, {0x2744, 0x2744}, {0x2747, 0x2747}, {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755},
    {0x2757, 0x2757}, {0x2763, 0x2764}, {0x2795, 0x2797}, {0x27A1, 0x27A1}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
    {0x2934, 0x2935}, {0x2B05, 0x2B07}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x3030, 0x3030},
    {0x303D, 0x303D}, {0x3297, 0x3297}, {0x3299, 0x3299},
};

static const unsigned char ascii_class[128] = {
    ['0'] = WB_NUMERIC, ['1'] = WB_NUMERIC, ['2'] = WB_NUMERIC, ['3'] = WB_NUMERIC, ['4'] = WB_NUMERIC,
    ['5'] = WB_NUMERIC, ['6'] = WB_NUMERIC, ['7'] = WB_NUMERIC, ['8'] = WB_NUMERIC, ['9'] = WB_NUMERIC,
    ['A'] = WB_ALETTER, ['B'] = WB_ALETTER, ['C'] = WB_ALETTER, ['D'] = WB_ALETTER, ['E'] = WB_ALETTER,
    ['F'] = WB_ALETTER, ['G'] = WB_ALETTER, ['H'] = WB_ALETTER, ['I'] = WB_ALETTER, ['J'] = WB_ALETTER,
    ['K'] = WB_ALETTER, ['L'] = WB_ALETTER, ['M'] = WB_ALETTER, ['N'] = WB_ALETTER, ['O'] = WB_ALETTER,
    ['P'] = WB_ALETTER, ['Q'] = WB_ALETTER, ['R'] = WB_ALETTER, ['S'] = WB_ALETTER, ['T'] = WB_ALETTER,
    ['U'] = WB_ALETTER, ['V'] = WB_ALETTER, ['W'] = WB_ALETTER, ['X'] = WB_ALETTER, ['Y'] = WB_ALETTER,
    ['Z'] = WB_ALETTER, ['a'] = WB_ALETTER, ['b'] = WB_ALETTER, ['c'] = WB_ALETTER, ['d'] = WB_ALETTER,
    ['e'] = WB_ALETTER, ['f'] = WB_ALETTER, ['g'] = WB_ALETTER, ['h'] = WB_ALETTER, ['i'] = WB_ALETTER,
    ['j'] = WB_ALETTER, ['k'] = WB_ALETTER, ['l'] = WB_ALETTER, ['m'] = WB_ALETTER, ['n'] = WB_ALETTER,
    ['o'] = WB_ALETTER, ['p'] = WB_ALETTER, ['q'] = WB_ALETTER, ['r'] = WB_ALETTER, ['s'] = WB_ALETTER,
    ['t'] = WB_ALETTER, ['u'] = WB_ALETTER, ['v'] = WB_ALETTER, ['w'] = WB_ALETTER, ['x'] = WB_ALETTER,
    ['y'] = WB_ALETTER, ['z'] = WB_ALETTER, ['_'] = WB_ENL, ['.'] = WB_MIDNUMLET, [':'] = WB_MIDLETTER,
    [','] = WB_MIDNUM, [';'] = WB_MIDNUM, ['\''] = WB_SQUOTE, ['"'] = WB_DQUOTE,
};

static int wb_class(int32_t c) {
    if (c < 128) return c < 0 ? WB_OTHER : ascii_class[c];
    switch (c) {
    case 0x2018: case 0x2019: case 0x2024: case 0xFE52: case 0xFF07: case 0xFF0E: return WB_MIDNUMLET;
    case 0x00B7: case 0x0387: case 0x05F4: case 0x2027: case 0xFE13: case 0xFE55: case 0xFF1A: return WB_MIDLETTER;
    case 0x037E: case 0x0589: case 0x060C: case 0x060D: case 0x066C: case 0x07F8: case 0x2044:
    case 0xFE10: case 0xFE14: case 0xFE50: case 0xFE54: case 0xFF0C: case 0xFF1B: return WB_MIDNUM;
    case 0x066B: return WB_NUMERIC;
    case 0x200B: return WB_OTHER;
    default: break;
    }
    if (IN(c, sea_ranges)) return WB_SEA;
    const utf8proc_property_t *p = utf8proc_get_property(c);
    int cat = p->category, bc = p->boundclass;
    if (cat == UTF8PROC_CATEGORY_ND) return WB_NUMERIC;
    if (bc == UTF8PROC_BOUNDCLASS_EXTEND || bc == UTF8PROC_BOUNDCLASS_SPACINGMARK || bc == UTF8PROC_BOUNDCLASS_ZWJ ||
        cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME ||
        (cat == UTF8PROC_CATEGORY_CF && bc != UTF8PROC_BOUNDCLASS_PREPEND))
        return WB_EXTEND;
    if (IN(c, han_ranges)) return WB_HAN;
    if (IN(c, hiragana_ranges)) return WB_HIRAGANA;
    if (IN(c, katakana_ranges)) return WB_KATAKANA;
    if (IN(c, hebrew_ranges)) return WB_HEBREW;
    if (cat == UTF8PROC_CATEGORY_PC) return WB_ENL;
    if (bc == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR) return WB_RI;
    if (c < 0x1F000 ? IN(c, emoji_bmp)
                    : bc == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC || bc == UTF8PROC_BOUNDCLASS_E_ZWG ||
                          bc == UTF8PROC_BOUNDCLASS_E_BASE || bc == UTF8PROC_BOUNDCLASS_E_BASE_GAZ ||
                          bc == UTF8PROC_BOUNDCLASS_GLUE_AFTER_ZWJ)
        return WB_EMOJI;
    if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) || cat == UTF8PROC_CATEGORY_NL ||
        IN(c, aletter_extra))
        return WB_ALETTER;
    return WB_OTHER;
}

/* One character with the Extend/Format/ZWJ characters that follow it. */
typedef struct {
    size_t start, end;
    int cls;
    int32_t cp;
} unit;

static size_t decode(const char *text, size_t len, size_t pos, int32_t *cp) {
    unsigned char b = (unsigned char)text[pos];
    if (b < 0x80) { *cp = b; return 1; }
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + pos, (utf8proc_ssize_t)(len - pos), &c);
    if (n <= 0) { *cp = -1; return 1; } /* an invalid byte: a non-word character */
    *cp = c;
    return (size_t)n;
}

static unit unit_at(const char *text, size_t len, size_t pos) {
    unit u = {pos, pos, WB_OTHER, -1};
    if (pos >= len) return u;
    u.end = pos + decode(text, len, pos, &u.cp);
    u.cls = wb_class(u.cp);
    if (u.cls == WB_EXTEND) return u; /* a stray mark: nothing to attach to */
    while (u.end < len) {
        int32_t c;
        size_t n = decode(text, len, u.end, &c);
        if (wb_class(c) != WB_EXTEND) break;
        u.end += n;
    }
    return u;
}

static int is_word_unit(int cls) {
    return cls == WB_ALETTER || cls == WB_HEBREW || cls == WB_NUMERIC || cls == WB_KATAKANA || cls == WB_ENL;
}

static int is_letter(int cls) { return cls == WB_ALETTER || cls == WB_HEBREW; }

/* Whether unit class `cur` may directly follow `prev` inside a word token. */
static int joins(int prev, int cur) {
    if (cur == WB_ENL) return prev != WB_OTHER;
    if (prev == WB_ENL) return cur != WB_ENL;
    if (prev == WB_KATAKANA || cur == WB_KATAKANA) return prev == cur;
    return 1; /* letters, digits and a Hebrew letter + quote join one another */
}

/* End of the word token starting at `pos`, or `pos` if the run holds no letter, digit or
 * katakana (a lone ExtendNumLet run is not a token). */
static size_t scan_word(const char *text, size_t len, size_t pos) {
    int prev = WB_OTHER, has_core = 0;
    size_t p = pos, end = pos;
    for (;;) {
        unit u = unit_at(text, len, p);
        if (u.end == u.start) break;
        if (is_word_unit(u.cls)) {
            if (prev != WB_OTHER && !joins(prev, u.cls)) break;
            prev = u.cls;
            has_core |= u.cls != WB_ENL;
            p = end = u.end;
            continue;
        }
        int mid = u.cls;
        if (mid < WB_MIDLETTER || mid > WB_DQUOTE) break;
        unit v = unit_at(text, len, u.end);
        int letter_mid = mid == WB_MIDLETTER || mid == WB_MIDNUMLET || mid == WB_SQUOTE;
        int number_mid = mid == WB_MIDNUM || mid == WB_MIDNUMLET || mid == WB_SQUOTE;
        if ((is_letter(prev) && letter_mid && is_letter(v.cls)) ||
            (prev == WB_NUMERIC && number_mid && v.cls == WB_NUMERIC) ||
            (prev == WB_HEBREW && mid == WB_DQUOTE && v.cls == WB_HEBREW)) {
            prev = v.cls;
            p = end = v.end;
            continue;
        }
        if (prev == WB_HEBREW && mid == WB_SQUOTE) {
            prev = WB_HEBREW_QUOTE;
            p = end = u.end;
            continue;
        }
        break;
    }
    return has_core ? end : pos;
}

/* Whether the bytes [start, end) end with U+200D ZERO WIDTH JOINER. */
static int ends_with_zwj(const char *text, size_t start, size_t end) {
    return end - start >= 3 && !memcmp(text + end - 3, "\xE2\x80\x8D", 3);
}

/* An emoji ZWJ sequence: pictograph (Extend)* (ZWJ pictograph (Extend)*)*. The ZWJ was
 * absorbed by the unit before it (WB4), so look for it at the unit's end. */
static size_t scan_emoji(const char *text, size_t len, unit u) {
    size_t start = u.start, end = u.end;
    while (ends_with_zwj(text, start, end)) {
        unit v = unit_at(text, len, end);
        if (v.cls != WB_EMOJI) break;
        start = v.start;
        end = v.end;
    }
    return end;
}

/* Emit [start, end), cut into pieces of at most STANDARD_MAX_TOKEN_UTF16 UTF-16 units. */
static int emit_token(const char *text, size_t len, size_t start, size_t end, standard_token_fn emit, void *ctx) {
    size_t piece = start, units = 0;
    for (size_t p = start; p < end;) {
        int32_t c;
        size_t n = decode(text, len, p, &c);
        size_t w = c >= 0x10000 ? 2 : 1;
        if (units + w > STANDARD_MAX_TOKEN_UTF16) {
            int rc = emit(ctx, piece, p);
            if (rc) return rc;
            piece = p;
            units = 0;
        }
        units += w;
        p += n;
    }
    return emit(ctx, piece, end);
}

int standard_tokenize(const char *text, size_t len, standard_token_fn emit, void *ctx) {
    size_t pos = 0;
    while (pos < len) {
        unit u = unit_at(text, len, pos);
        size_t end = u.start;
        if (is_word_unit(u.cls)) {
            end = scan_word(text, len, pos);
        } else if (u.cls == WB_SEA) {
            end = u.end;
            for (unit v = unit_at(text, len, end); v.cls == WB_SEA && v.end > v.start; v = unit_at(text, len, end))
                end = v.end;
        } else if (u.cls == WB_HAN || u.cls == WB_HIRAGANA) {
            end = u.end;
        } else if (u.cls == WB_EMOJI) {
            end = scan_emoji(text, len, u);
        } else if ((u.cp == '#' || u.cp == '*') && u.end - u.start >= 4 && !memcmp(text + u.end - 3, "\xE2\x83\xA3", 3)) {
            end = u.end; /* keycap sequence: # or * + U+FE0F + U+20E3 */
        } else if (u.cls == WB_RI) {
            unit v = unit_at(text, len, u.end);
            if (v.cls == WB_RI) end = v.end;
        }
        if (end > u.start) {
            int rc = emit_token(text, len, u.start, end, emit, ctx);
            if (rc) return rc;
            pos = end;
        } else {
            pos = u.end;
        }
    }
    return 0;
}

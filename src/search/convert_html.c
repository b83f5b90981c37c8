/* convert_html.c — HTML to the text a reader sees, for uploads (convert.h).
 *
 * A single pass over the markup, no DOM: tags are dropped, the contents of script, style and
 * template are skipped, comments and declarations are skipped, CDATA is kept, character
 * references are decoded (HTML 4.01's 252 named entities plus &apos;, and numeric references
 * with HTML5's rules: the C1 range maps to Windows-1252, invalid code points to U+FFFD).
 * Whitespace collapses to single spaces as a browser renders it, except inside <pre>. Block
 * elements end the line; paragraph-like blocks (p, headings, lists, tables, sections, pre,
 * blockquote) also leave a blank line, which the preprocessor reads as a paragraph break.
 * Malformed markup degrades gracefully: a '<' that does not start a tag is text, and an
 * unterminated tag or comment ends the document. */
#include "needle/convert.h"
#include "needle/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

typedef struct {
    const char *name;
    uint32_t cp;
} entity;

/* Python's html.entities.name2codepoint (the HTML 4.01 set) and &apos;, sorted for bsearch. */
static const entity entities[] = {
    {"AElig", 0xC6}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0}, {"Alpha", 0x391}, {"Aring", 0xC5},
    {"Atilde", 0xC3}, {"Auml", 0xC4}, {"Beta", 0x392}, {"Ccedil", 0xC7}, {"Chi", 0x3A7}, {"Dagger", 0x2021},
    {"Delta", 0x394}, {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA}, {"Egrave", 0xC8}, {"Epsilon", 0x395},
    {"Eta", 0x397}, {"Euml", 0xCB}, {"Gamma", 0x393}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC},
    {"Iota", 0x399}, {"Iuml", 0xCF}, {"Kappa", 0x39A}, {"Lambda", 0x39B}, {"Mu", 0x39C}, {"Ntilde", 0xD1},
    {"Nu", 0x39D}, {"OElig", 0x152}, {"Oacute", 0xD3}, {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9},
    {"Omicron", 0x39F}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"Phi", 0x3A6}, {"Pi", 0x3A0},
    {"Prime", 0x2033}, {"Psi", 0x3A8}, {"Rho", 0x3A1}, {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE},
    {"Tau", 0x3A4}, {"Theta", 0x398}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Ugrave", 0xD9}, {"Upsilon", 0x3A5},
    {"Uuml", 0xDC}, {"Xi", 0x39E}, {"Yacute", 0xDD}, {"Yuml", 0x178}, {"Zeta", 0x396}, {"aacute", 0xE1},
    {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0}, {"alefsym", 0x2135}, {"alpha", 0x3B1},
    {"amp", 0x26}, {"and", 0x2227}, {"ang", 0x2220}, {"apos", 0x27}, {"aring", 0xE5}, {"asymp", 0x2248},
    {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2}, {"brvbar", 0xA6}, {"bull", 0x2022},
    {"cap", 0x2229}, {"ccedil", 0xE7}, {"cedil", 0xB8}, {"cent", 0xA2}, {"chi", 0x3C7}, {"circ", 0x2C6},
    {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5}, {"cup", 0x222A}, {"curren", 0xA4},
    {"dArr", 0x21D3}, {"dagger", 0x2020}, {"darr", 0x2193}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666},
    {"divide", 0xF7}, {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8}, {"empty", 0x2205}, {"emsp", 0x2003},
    {"ensp", 0x2002}, {"epsilon", 0x3B5}, {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0}, {"euml", 0xEB},
    {"euro", 0x20AC}, {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200}, {"frac12", 0xBD},
    {"frac14", 0xBC}, {"frac34", 0xBE}, {"frasl", 0x2044}, {"gamma", 0x3B3}, {"ge", 0x2265}, {"gt", 0x3E},
    {"hArr", 0x21D4}, {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026}, {"iacute", 0xED},
    {"icirc", 0xEE}, {"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111}, {"infin", 0x221E}, {"int", 0x222B},
    {"iota", 0x3B9}, {"iquest", 0xBF}, {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA}, {"lArr", 0x21D0},
    {"lambda", 0x3BB}, {"lang", 0x2329}, {"laquo", 0xAB}, {"larr", 0x2190}, {"lceil", 0x2308},
    {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A}, {"lowast", 0x2217}, {"loz", 0x25CA},
    {"lrm", 0x200E}, {"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", 0x3C}, {"macr", 0xAF}, {"mdash", 0x2014},
    {"micro", 0xB5}, {"middot", 0xB7}, {"minus", 0x2212}, {"mu", 0x3BC}, {"nabla", 0x2207}, {"nbsp", 0xA0},
    {"ndash", 0x2013}, {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209}, {"nsub", 0x2284},
    {"ntilde", 0xF1}, {"nu", 0x3BD}, {"oacute", 0xF3}, {"ocirc", 0xF4}, {"oelig", 0x153}, {"ograve", 0xF2},
    {"oline", 0x203E}, {"omega", 0x3C9}, {"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228}, {"ordf", 0xAA},
    {"ordm", 0xBA}, {"oslash", 0xF8}, {"otilde", 0xF5}, {"otimes", 0x2297}, {"ouml", 0xF6}, {"para", 0xB6},
    {"part", 0x2202}, {"permil", 0x2030}, {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0}, {"piv", 0x3D6},
    {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032}, {"prod", 0x220F}, {"prop", 0x221D}, {"psi", 0x3C8},
    {"quot", 0x22}, {"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A}, {"raquo", 0xBB}, {"rarr", 0x2192},
    {"rceil", 0x2309}, {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0xAE}, {"rfloor", 0x230B}, {"rho", 0x3C1},
    {"rlm", 0x200F}, {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"scaron", 0x161},
    {"sdot", 0x22C5}, {"sect", 0xA7}, {"shy", 0xAD}, {"sigma", 0x3C3}, {"sigmaf", 0x3C2}, {"sim", 0x223C},
    {"spades", 0x2660}, {"sub", 0x2282}, {"sube", 0x2286}, {"sum", 0x2211}, {"sup", 0x2283}, {"sup1", 0xB9},
    {"sup2", 0xB2}, {"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4}, {"there4", 0x2234},
    {"theta", 0x3B8}, {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE}, {"tilde", 0x2DC},
    {"times", 0xD7}, {"trade", 0x2122}, {"uArr", 0x21D1}, {"uacute", 0xFA}, {"uarr", 0x2191}, {"ucirc", 0xFB},
    {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5}, {"uuml", 0xFC}, {"weierp", 0x2118},
    {"xi", 0x3BE}, {"yacute", 0xFD}, {"yen", 0xA5}, {"yuml", 0xFF}, {"zeta", 0x3B6}, {"zwj", 0x200D},
    {"zwnj", 0x200C},
};

/* HTML5: numeric references 0x80-0x9F name Windows-1252 characters. */
static const uint16_t cp1252[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static int entity_cmp(const void *key, const void *e) { return strcmp(key, ((const entity *)e)->name); }

static size_t encode_cp(uint32_t cp, char utf8[4]) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp >= 0x80 && cp <= 0x9F) cp = cp1252[cp - 0x80];
    return (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)utf8);
}

size_t convert_html_entity(const char *s, size_t n, char utf8[4], size_t *utf8_len) {
    if (n < 3 || s[0] != '&') return 0;
    size_t i = 1;
    if (s[1] == '#') {
        int hex = i + 1 < n && (s[2] == 'x' || s[2] == 'X');
        i = hex ? 3 : 2;
        uint32_t cp = 0;
        size_t digits = 0;
        for (; i < n; i++, digits++) {
            char c = s[i];
            int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) break;
            cp = cp > 0x10FFFF ? cp : cp * (hex ? 16u : 10u) + (uint32_t)d;
        }
        if (!digits) return 0;
        if (i < n && s[i] == ';') i++;
        *utf8_len = encode_cp(cp, utf8);
        return i;
    }
    char name[12];
    size_t k = 0;
    for (; i < n && k + 1 < sizeof name && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                                             (s[i] >= '0' && s[i] <= '9')); i++)
        name[k++] = s[i];
    name[k] = 0;
    if (!k || i >= n || s[i] != ';') return 0;
    const entity *e = bsearch(name, entities, sizeof entities / sizeof entities[0], sizeof entities[0], entity_cmp);
    if (!e) return 0;
    *utf8_len = encode_cp(e->cp, utf8);
    return i + 1;
}

/* ---- the text being built ---- */

typedef struct {
    strbuf *out;
    size_t start;  /* where this document's text begins in out */
    int breaks;    /* line breaks owed before the next text (0..2) */
    int space;     /* a space owed before the next text */
    int pre;       /* inside <pre> (depth) */
    int pre_start; /* just after <pre>: its first newline is not content */
} html_text;

static int at_line_start(const html_text *t) {
    return t->out->len == t->start || t->out->data[t->out->len - 1] == '\n';
}

static void put_text(html_text *t, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
        if (t->pre) {
            if (t->pre_start && c == '\n') { t->pre_start = 0; continue; }
            t->pre_start = 0;
        } else if (ws) {
            t->space = 1;
            continue;
        }
        if (t->out->len > t->start) {
            if (t->breaks) {
                while (t->out->len > t->start && t->out->data[t->out->len - 1] == ' ') t->out->len--;
                strbuf_append(t->out, "\n\n", (size_t)t->breaks);
            } else if (t->space && !at_line_start(t)) {
                strbuf_putc(t->out, ' ');
            }
        }
        t->breaks = t->space = 0;
        strbuf_putc(t->out, c);
    }
}

static void put_break(html_text *t, int level) {
    if (level > t->breaks) t->breaks = level;
    t->space = 0;
}

/* ---- tags ---- */

static int name_in(const char *name, const char *const *list) {
    for (; *list; list++)
        if (!strcmp(name, *list)) return 1;
    return 0;
}

static const char *const paragraph_tags[] = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "ul", "ol", "dl", "section",
    "article", "header", "footer", "main", "nav", "aside", "figure", "address", "hr", "title", "form",
    "fieldset", "details", "body", NULL};
static const char *const line_tags[] = {"div", "li", "tr", "dt", "dd", "figcaption", "caption", "summary",
                                        "option", "legend", NULL};
static const char *const skipped_tags[] = {"script", "style", "template", NULL};

static void on_tag(html_text *t, const char *name, int closing) {
    if (!strcmp(name, "br")) {
        if (t->pre) put_text(t, "\n", 1);
        else if (t->breaks < 2) {
            t->breaks++;
            t->space = 0;
        }
        return;
    }
    if (!strcmp(name, "td") || !strcmp(name, "th")) {
        t->space = 1;
        return;
    }
    if (!strcmp(name, "pre")) {
        if (closing && t->pre) t->pre--;
        else if (!closing) {
            t->pre++;
            t->pre_start = 1;
        }
    }
    if (name_in(name, paragraph_tags)) put_break(t, 2);
    else if (name_in(name, line_tags)) put_break(t, 1);
}

/* Case-insensitive search for `needle` in s[i..n); n when absent. */
static size_t find_ci(const char *s, size_t n, size_t i, const char *needle) {
    size_t k = strlen(needle);
    for (; i + k <= n; i++)
        if (!strncasecmp(s + i, needle, k)) return i;
    return n;
}

/* End of the tag starting at s[i] == '<' (index after '>'), honouring quoted attributes. */
static size_t tag_end(const char *s, size_t n, size_t i) {
    char quote = 0;
    for (i++; i < n; i++) {
        if (quote) {
            if (s[i] == quote) quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '>') {
            return i + 1;
        }
    }
    return n;
}

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int convert_html(const char *s, size_t n, strbuf *out) {
    /* The text is never longer than the markup (each break or space stands for at least one
     * byte of markup, a reference is longer than its UTF-8), so after this reservation no
     * append below can fail. */
    if (strbuf_reserve(out, n + 16)) return error_prefix(NEEDLE_ENOMEM, "converting HTML: ");
    html_text t = {out, out->len, 0, 0, 0, 0};
    size_t i = 0;
    while (i < n) {
        if (s[i] == '&') {
            char u[4];
            size_t ulen, used = convert_html_entity(s + i, n - i, u, &ulen);
            if (used) {
                put_text(&t, u, ulen);
                i += used;
                continue;
            }
        }
        if (s[i] != '<') {
            size_t j = i + 1;
            while (j < n && s[j] != '<' && s[j] != '&') j++;
            put_text(&t, s + i, j - i);
            i = j;
            continue;
        }
        if (n - i >= 4 && !strncmp(s + i, "<!--", 4)) {
            size_t e = i + 4;
            while (e + 3 <= n && strncmp(s + e, "-->", 3)) e++;
            i = e + 3 <= n ? e + 3 : n;
            continue;
        }
        if (n - i >= 9 && !strncmp(s + i, "<![CDATA[", 9)) {
            size_t e = i + 9;
            while (e + 3 <= n && strncmp(s + e, "]]>", 3)) e++;
            put_text(&t, s + i + 9, (e < n ? e : n) - (i + 9));
            i = e + 3 <= n ? e + 3 : n;
            continue;
        }
        if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
            i = tag_end(s, n, i);
            continue;
        }
        int closing = i + 1 < n && s[i + 1] == '/';
        size_t p = i + 1 + (size_t)closing;
        if (p >= n || !is_alpha(s[p])) {
            put_text(&t, "<", 1);
            i++;
            continue;
        }
        char name[16];
        size_t k = 0;
        for (; p < n && (is_alpha(s[p]) || (s[p] >= '0' && s[p] <= '9')); p++)
            if (k + 1 < sizeof name) name[k++] = (char)(s[p] | 0x20);
        name[k] = 0;
        i = tag_end(s, n, i);
        if (!closing && name_in(name, skipped_tags)) {
            char end[20];
            snprintf(end, sizeof end, "</%s", name);
            i = find_ci(s, n, i, end);
            if (i < n) i = tag_end(s, n, i);
            continue;
        }
        on_tag(&t, name, closing);
    }
    while (out->len > t.start && (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\n')) out->len--;
    if (out->data) out->data[out->len] = 0;
    return 0;
}

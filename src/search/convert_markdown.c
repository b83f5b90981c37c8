/* convert_markdown.c — Markdown to the text a reader sees once it is rendered (convert.h).
 *
 * Two passes over the source, following CommonMark and GitHub's table and strikethrough
 * extensions closely enough for prose: a line pass recognises the blocks (fenced and
 * indented code kept verbatim, ATX and setext headings, thematic breaks, block quotes, list
 * items, tables, link reference definitions dropped) and an inline pass renders each line of
 * text: code spans verbatim, backslash escapes, links and images reduced to their text and
 * alt text, autolinks and inline HTML tags, character references, and emphasis delimiters
 * removed only where CommonMark's flanking rules let them open and close a pair (so
 * snake_case_words and "2 * 3" keep their characters). Headings and paragraphs are separated
 * by blank lines; list items and table rows each take a line. */
#include "needle/convert.h"
#include "needle/error.h"

#include <string.h>

/* ------------------------------------------------------------------ inline */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0; }
static int is_punct(char c) { return c > 32 && c < 127 && !((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')); }

typedef struct {
    size_t pos;          /* where the run's characters sit in the output */
    int len, del_open, del_close;
    char ch;
    int can_open, can_close;
} delim;

#define MAX_DELIMS 256

/* Index after the run of `len` backticks closing the code span that starts at s[i], or 0. */
static size_t code_span_end(const char *s, size_t n, size_t i, size_t len, size_t *content_end) {
    for (size_t j = i; j < n;) {
        if (s[j] != '`') { j++; continue; }
        size_t k = j;
        while (k < n && s[k] == '`') k++;
        if (k - j == len) { *content_end = j; return k; }
        j = k;
    }
    return 0;
}

/* Index of the bracket closing the one at s[i] ('[' or '('), or n. */
static size_t matching(const char *s, size_t n, size_t i, char open, char close) {
    int depth = 0;
    for (size_t j = i; j < n; j++) {
        if (s[j] == '\\' && j + 1 < n) { j++; continue; }
        if (s[j] == open) depth++;
        else if (s[j] == close && --depth == 0) return j;
    }
    return n;
}

static void inline_render(const char *s, size_t n, strbuf *out);

/* Remove the emphasis delimiters that pair up: each closer takes the nearest earlier opener of
 * the same character; the characters deleted are those next to the emphasised text. */
static void emphasis_resolve(strbuf *out, size_t from, delim *d, int nd) {
    for (int c = 0; c < nd; c++) {
        if (!d[c].can_close) continue;
        for (int o = c - 1; o >= 0 && d[c].len - d[c].del_close > 0; o--) {
            if (!d[o].can_open || d[o].ch != d[c].ch || d[o].len - d[o].del_open - d[o].del_close <= 0) continue;
            int avail_o = d[o].len - d[o].del_open - d[o].del_close, avail_c = d[c].len - d[c].del_close - d[c].del_open;
            int k = avail_o < avail_c ? avail_o : avail_c;
            if (d[c].ch == '~' && d[o].len != d[c].len) continue; /* GFM: ~~ pairs only with ~~ */
            d[o].del_open += k;
            d[c].del_close += k;
            for (int m = o + 1; m < c; m++) d[m].can_open = d[m].can_close = 0;
        }
    }
    /* Compact the output, skipping deleted characters (an opener's from its end, a closer's
     * from its start). */
    size_t w = from, r = from;
    int k = 0;
    while (r < out->len) {
        if (k < nd && r == d[k].pos) {
            int keep_from = d[k].del_close, keep_to = d[k].len - d[k].del_open;
            for (int m = 0; m < d[k].len; m++)
                if (m >= keep_from && m < keep_to) out->data[w++] = out->data[r + (size_t)m];
            r += (size_t)d[k].len;
            k++;
            continue;
        }
        out->data[w++] = out->data[r++];
    }
    out->len = w;
    if (out->data) out->data[w] = 0;
}

static void inline_render(const char *s, size_t n, strbuf *out) {
    delim d[MAX_DELIMS];
    int nd = 0;
    size_t from = out->len;
    for (size_t i = 0; i < n;) {
        char c = s[i];
        if (c == '\\' && i + 1 < n && is_punct(s[i + 1])) {
            strbuf_putc(out, s[i + 1]);
            i += 2;
            continue;
        }
        if (c == '`') {
            size_t k = i;
            while (k < n && s[k] == '`') k++;
            size_t end, stop = code_span_end(s, n, k, k - i, &end);
            if (!stop) {
                strbuf_append(out, s + i, k - i);
                i = k;
                continue;
            }
            size_t a = k, b = end;
            if (b - a >= 2 && s[a] == ' ' && s[b - 1] == ' ') { a++; b--; }
            strbuf_append(out, s + a, b - a);
            i = stop;
            continue;
        }
        if (c == '[' || (c == '!' && i + 1 < n && s[i + 1] == '[')) {
            size_t open = c == '!' ? i + 1 : i;
            size_t close = matching(s, n, open, '[', ']');
            if (close < n && close + 1 < n && (s[close + 1] == '(' || s[close + 1] == '[')) {
                char o = s[close + 1], e = o == '(' ? ')' : ']';
                size_t tail = matching(s, n, close + 1, o, e);
                if (tail < n) {
                    inline_render(s + open + 1, close - open - 1, out);
                    i = tail + 1;
                    continue;
                }
            }
        }
        if (c == '<') {
            size_t j = i + 1;
            while (j < n && s[j] != '>' && s[j] != '<' && s[j] != ' ') j++;
            int autolink = j < n && s[j] == '>' && memchr(s + i + 1, ':', j - i - 1);
            int email = j < n && s[j] == '>' && memchr(s + i + 1, '@', j - i - 1);
            if (autolink || email) {
                strbuf_append(out, s + i + 1, j - i - 1);
                i = j + 1;
                continue;
            }
            int tag = i + 1 < n && (((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z') ||
                                    (s[i + 1] == '/' && i + 2 < n && (s[i + 2] | 0x20) >= 'a' && (s[i + 2] | 0x20) <= 'z'));
            const char *gt = tag ? memchr(s + i, '>', n - i) : NULL;
            if (gt) {
                i = (size_t)(gt - s) + 1;
                continue;
            }
        }
        if (c == '&') {
            char u[4];
            size_t ulen, used = convert_html_entity(s + i, n - i, u, &ulen);
            if (used) {
                strbuf_append(out, u, ulen);
                i += used;
                continue;
            }
        }
        if (c == '*' || c == '_' || c == '~') {
            size_t k = i;
            while (k < n && s[k] == c) k++;
            char before = i ? s[i - 1] : ' ', after = k < n ? s[k] : ' ';
            int left = !is_space(after) && (!is_punct(after) || is_space(before) || is_punct(before));
            int right = !is_space(before) && (!is_punct(before) || is_space(after) || is_punct(after));
            int can_open = c == '_' ? left && (!right || is_punct(before)) : left;
            int can_close = c == '_' ? right && (!left || is_punct(after)) : right;
            if ((can_open || can_close) && nd < MAX_DELIMS)
                d[nd++] = (delim){out->len, (int)(k - i), 0, 0, c, can_open, can_close};
            strbuf_append(out, s + i, k - i);
            i = k;
            continue;
        }
        strbuf_putc(out, c);
        i++;
    }
    emphasis_resolve(out, from, d, nd);
}

/* ------------------------------------------------------------------ blocks */

typedef struct {
    strbuf *out;
    size_t start;
    int breaks;      /* line breaks owed before the next block's text */
    int in_para;     /* the previous line was paragraph text */
} md_text;

static void block_break(md_text *t, int level) {
    if (level > t->breaks) t->breaks = level;
    t->in_para = 0;
}

static void begin_line(md_text *t) {
    if (t->out->len > t->start) strbuf_append(t->out, "\n\n", (size_t)(t->breaks ? t->breaks : 1));
    t->breaks = 0;
}

/* Is the line (indent stripped) made of 3+ `c` with optional spaces only? */
static int rule_of(const char *s, size_t n, char c) {
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == c) count++;
        else if (s[i] != ' ' && s[i] != '\t') return 0;
    }
    return count >= 3;
}

static int only_of(const char *s, size_t n, char c) {
    size_t i = 0;
    while (i < n && s[i] == c) i++;
    if (!i) return 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    return i == n;
}

/* A GFM table delimiter row: cells of -, : and spaces separated by pipes. */
static int table_delimiter(const char *s, size_t n) {
    int pipes = 0, dashes = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '|') pipes++;
        else if (s[i] == '-') dashes++;
        else if (s[i] != ':' && s[i] != ' ' && s[i] != '\t') return 0;
    }
    return pipes && dashes;
}

static void table_row(md_text *t, const char *s, size_t n) {
    if (n && s[0] == '|') { s++; n--; }
    if (n && s[n - 1] == '|' && (n < 2 || s[n - 2] != '\\')) n--;
    size_t a = 0;
    int first = 1;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && !(s[i] == '|' && (i == 0 || s[i - 1] != '\\'))) continue;
        size_t x = a, y = i;
        while (x < y && (s[x] == ' ' || s[x] == '\t')) x++;
        while (y > x && (s[y - 1] == ' ' || s[y - 1] == '\t')) y--;
        if (y > x) {
            if (!first) strbuf_putc(t->out, ' ');
            inline_render(s + x, y - x, t->out);
            first = 0;
        }
        a = i + 1;
    }
}

/* Length of a list marker ("- ", "12. ") at s, or 0. */
static size_t list_marker(const char *s, size_t n) {
    if (n >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && (s[1] == ' ' || s[1] == '\t')) return 2;
    size_t i = 0;
    while (i < n && i < 9 && s[i] >= '0' && s[i] <= '9') i++;
    if (i && i + 1 < n && (s[i] == '.' || s[i] == ')') && (s[i + 1] == ' ' || s[i + 1] == '\t')) return i + 2;
    return 0;
}

/* "[label]: destination" */
static int reference_definition(const char *s, size_t n) {
    if (!n || s[0] != '[') return 0;
    size_t close = matching(s, n, 0, '[', ']');
    return close < n && close > 1 && close + 1 < n && s[close + 1] == ':';
}

int convert_markdown(const char *src, size_t len, strbuf *out) {
    /* A line of n bytes gives at most n bytes of text and two line breaks, so the text is at
     * most twice the source: after this reservation no append below can fail. */
    if (strbuf_reserve(out, 2 * len + 16)) return error_prefix(NEEDLE_ENOMEM, "converting Markdown: ");
    md_text t = {out, out->len, 0, 0};
    char fence = 0;
    size_t fence_len = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(src + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - src) : len;
        const char *s = src + pos;
        size_t n = end - pos;
        pos = nl ? end + 1 : len;
        if (n && s[n - 1] == '\r') n--;
        size_t indent = 0;
        while (indent < n && s[indent] == ' ') indent++;
        if (fence) {
            if (indent < 4 && n - indent >= fence_len && only_of(s + indent, n - indent, fence)) {
                fence = 0;
                block_break(&t, 2);
            } else {
                begin_line(&t);
                strbuf_append(out, s, n);
            }
            continue;
        }
        if (indent >= 4 && !t.in_para) { /* indented code */
            begin_line(&t);
            strbuf_append(out, s + 4, n - 4);
            continue;
        }
        s += indent;
        n -= indent;
        while (n && s[0] == '>') { /* block quotes: drop the markers */
            s++;
            n--;
            if (n && s[0] == ' ') { s++; n--; }
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
        if (!n) { block_break(&t, 2); continue; }
        if (n >= 3 && (!strncmp(s, "```", 3) || !strncmp(s, "~~~", 3))) {
            fence = s[0];
            fence_len = 0;
            while (fence_len < n && s[fence_len] == fence) fence_len++;
            block_break(&t, 2);
            continue;
        }
        if (t.in_para && (only_of(s, n, '=') || only_of(s, n, '-'))) { /* setext underline */
            block_break(&t, 2);
            continue;
        }
        if (rule_of(s, n, '*') || rule_of(s, n, '-') || rule_of(s, n, '_')) {
            block_break(&t, 2);
            continue;
        }
        size_t h = 0;
        while (h < n && h < 7 && s[h] == '#') h++;
        if (h >= 1 && h <= 6 && (h == n || s[h] == ' ' || s[h] == '\t')) {
            size_t a = h, b = n;
            while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
            size_t c = b;
            while (c > a && s[c - 1] == '#') c--;
            if (c == a || s[c - 1] == ' ' || s[c - 1] == '\t') b = c;
            while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
            block_break(&t, 2);
            if (b > a) {
                begin_line(&t);
                inline_render(s + a, b - a, out);
            }
            block_break(&t, 2);
            continue;
        }
        if (reference_definition(s, n)) continue;
        if (table_delimiter(s, n) && memchr(s, '|', n)) continue;
        if (s[0] == '|') {
            if (t.breaks < 1) t.breaks = 1;
            begin_line(&t);
            table_row(&t, s, n);
            block_break(&t, 1);
            continue;
        }
        size_t m = list_marker(s, n);
        if (m) {
            if (t.breaks < 1) t.breaks = 1;
            s += m;
            n -= m;
            while (n && (s[0] == ' ' || s[0] == '\t')) { s++; n--; }
        }
        begin_line(&t);
        inline_render(s, n, out);
        t.in_para = 1;
    }
    while (out->len > t.start && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == ' ')) out->len--;
    if (out->data) out->data[out->len] = 0;
    return 0;
}

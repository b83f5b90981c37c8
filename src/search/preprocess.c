/* preprocess.c — cleaning plus splitting into passages, Haystack 1.x PreProcessor style.
 *
 * The cleaned text is cut into units (words, sentences or paragraphs), each a byte span that
 * excludes surrounding whitespace; a passage is the cleaned text from the start of its first
 * unit to the end of its last, so the text between units (line breaks, double spaces) stays
 * as it was instead of being re-joined with a separator. Grouping follows Haystack:
 *  - by units: windows of split_length units starting every split_length - split_overlap
 *    units, the last window ending at the last unit (more_itertools.windowed, as Haystack);
 *  - by words respecting sentences: sentences are added while the word count stays within
 *    split_length; the next passage starts with the last sentences of the previous one that
 *    hold at least split_overlap words (but never all of them, so passages always advance).
 * Offsets are mapped back to the original through clean_text.orig. */
#include "needle/array.h"
#include "needle/error.h"
#include "needle/murmur3.h"
#include "needle/preprocess.h"

#include <stdlib.h>
#include <string.h>

void preprocess_opts_default(preprocess_opts *o) {
    memset(o, 0, sizeof *o);
    o->clean.whitespace = 1;
    o->clean.empty_lines = 1;
    o->clean.header_footer = 0;
    o->clean.hf_n_chars = 300;
    o->clean.hf_first_pages_to_ignore = 1;
    o->clean.hf_last_pages_to_ignore = 1;
    o->clean.hf_min_words = 3;
    o->clean.hf_max_words = 20;
    o->split_by = SPLIT_WORD;
    o->split_length = 200;
    o->split_overlap = 0;
    o->respect_sentences = 0;
}

static const char *const UNIT_NAMES[] = {"none", "word", "sentence", "passage"};

int split_unit_parse(const char *name, split_unit *out) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, UNIT_NAMES[i])) { *out = (split_unit)i; return 0; }
    if (!strcmp(name, "paragraph")) { *out = SPLIT_PASSAGE; return 0; }
    return error_set(NEEDLE_EINVAL, "unknown split unit '%s' (expected word, sentence, passage or none)", name);
}

const char *split_unit_name(split_unit u) { return (unsigned)u < 4 ? UNIT_NAMES[u] : "?"; }

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

typedef struct {
    text_span *v;
    size_t n, cap;
} span_vec;

static int span_push(span_vec *sv, size_t s, size_t e) {
    int rc = array_grow((void **)&sv->v, &sv->cap, sv->n, sizeof *sv->v);
    if (rc) return rc;
    sv->v[sv->n++] = (text_span){s, e};
    return 0;
}

static int split_words(const char *t, size_t len, span_vec *out) {
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space((unsigned char)t[i])) i++;
        size_t s = i;
        while (i < len && !is_space((unsigned char)t[i])) i++;
        if (i > s && span_push(out, s, i)) return NEEDLE_ENOMEM;
    }
    return 0;
}

/* Paragraphs: text separated by blank lines (a line break, then only whitespace, then another). */
static int split_paragraphs(const char *t, size_t len, span_vec *out) {
    size_t i = 0, s = 0, last = 0; /* last: end of the last non-space byte in this paragraph */
    while (i < len && is_space((unsigned char)t[i])) i++;
    s = last = i;
    while (i < len) {
        if (!is_space((unsigned char)t[i])) { last = ++i; continue; }
        size_t j = i;
        int newlines = 0;
        while (j < len && is_space((unsigned char)t[j])) newlines += t[j++] == '\n';
        if (newlines >= 2) {
            if (last > s && span_push(out, s, last)) return NEEDLE_ENOMEM;
            s = last = j;
        }
        i = j;
    }
    if (last > s && span_push(out, s, last)) return NEEDLE_ENOMEM;
    return 0;
}

static size_t count_words(const char *t, text_span sp) {
    size_t n = 0;
    for (size_t i = sp.start; i < sp.end; i++)
        n += !is_space((unsigned char)t[i]) && (i == sp.start || is_space((unsigned char)t[i - 1]));
    return n;
}

/* Chunks as [first, last) unit ranges, stored in a span_vec for convenience. */
static int group_windows(size_t nunits, size_t length, size_t overlap, span_vec *chunks) {
    size_t step = length - overlap;
    for (size_t s = 0; s < nunits; s += step) {
        size_t e = s + length < nunits ? s + length : nunits;
        if (span_push(chunks, s, e)) return NEEDLE_ENOMEM;
        if (s + length >= nunits) break;
    }
    return 0;
}

static int group_sentences(const char *t, const span_vec *sent, size_t length, size_t overlap, span_vec *chunks) {
    size_t first = 0, words = 0;
    size_t *wc = malloc((sent->n ? sent->n : 1) * sizeof *wc);
    if (!wc) return error_set(NEEDLE_ENOMEM, "out of memory splitting a document");
    for (size_t i = 0; i < sent->n; i++) wc[i] = count_words(t, sent->v[i]);
    int rc = 0;
    for (size_t i = 0; i < sent->n; i++) {
        if (words + wc[i] > length && i > first) {
            if ((rc = span_push(chunks, first, i))) goto done;
            size_t keep = i, kw = 0;
            while (overlap && kw < overlap && keep - 1 > first) kw += wc[--keep];
            first = keep;
            words = kw;
        }
        words += wc[i];
    }
    if (sent->n > first) rc = span_push(chunks, first, sent->n);
done:
    free(wc);
    return rc;
}

static int check_opts(const preprocess_opts *o) {
    if (o->split_by == SPLIT_NONE) return 0;
    if ((unsigned)o->split_by > SPLIT_PASSAGE) return error_set(NEEDLE_EINVAL, "unknown split unit %d", (int)o->split_by);
    if (o->split_length < 1) return error_set(NEEDLE_EINVAL, "split_length must be at least 1 (got %d)", o->split_length);
    if (o->split_overlap < 0 || o->split_overlap >= o->split_length)
        return error_set(NEEDLE_EINVAL, "split_overlap must be at least 0 and less than split_length (got %d, split_length %d)",
                         o->split_overlap, o->split_length);
    if (o->respect_sentences && o->split_by != SPLIT_WORD)
        return error_set(NEEDLE_EINVAL, "respecting sentence boundaries needs split_by word (got %s)", split_unit_name(o->split_by));
    return 0;
}

/* Fill passage fields from the cleaned span [cs, ce); cursors make offsets incremental. */
typedef struct {
    size_t byte, chr, pagebyte;
    int page;
} cursor;

static size_t advance(const char *orig, cursor *c, size_t to) {
    c->chr += utf8_char_count(orig + c->byte, to - c->byte);
    c->byte = to;
    return c->chr;
}

static int make_passage(const char *orig, const clean_text *ct, size_t cs, size_t ce, int index, cursor *sc, cursor *ec, passage *p) {
    memset(p, 0, sizeof *p);
    p->len = ce - cs;
    p->content = malloc(p->len + 1);
    if (!p->content) return error_set(NEEDLE_ENOMEM, "out of memory making a passage");
    memcpy(p->content, ct->text + cs, p->len);
    p->content[p->len] = 0;
    murmur3_hex_id(p->content, p->len, p->id);
    p->clean_start = cs;
    p->clean_end = ce;
    p->start = ct->orig[cs];
    p->end = ct->orig[ce - 1] + 1;
    p->char_start = advance(orig, sc, p->start);
    p->char_end = advance(orig, ec, p->end);
    for (; sc->pagebyte < p->start; sc->pagebyte++) sc->page += orig[sc->pagebyte] == '\f';
    p->page = sc->page;
    p->split_index = index;
    return 0;
}

int preprocess_document(const preprocess_opts *o, const char *text, size_t len, passage_list *out) {
    memset(out, 0, sizeof *out);
    int rc = check_opts(o);
    if (rc) return rc;
    span_vec units = {0}, chunks = {0};
    if ((rc = text_clean(&o->clean, text, len, &out->clean))) return rc;
    const char *t = out->clean.text;
    size_t n = out->clean.len;
    switch (o->split_by) {
    case SPLIT_NONE: rc = split_paragraphs(t, n, &units); break;
    case SPLIT_WORD: rc = o->respect_sentences ? 0 : split_words(t, n, &units); break;
    case SPLIT_SENTENCE: rc = 0; break;
    case SPLIT_PASSAGE: rc = split_paragraphs(t, n, &units); break;
    }
    if (!rc && (o->split_by == SPLIT_SENTENCE || (o->split_by == SPLIT_WORD && o->respect_sentences))) {
        size_t ns;
        rc = sentence_split(t, n, &units.v, &ns);
        units.n = units.cap = ns;
    }
    if (rc) goto done;
    if (o->split_by == SPLIT_NONE) rc = units.n ? span_push(&chunks, 0, units.n) : 0;
    else if (o->respect_sentences) rc = group_sentences(t, &units, (size_t)o->split_length, (size_t)o->split_overlap, &chunks);
    else rc = group_windows(units.n, (size_t)o->split_length, (size_t)o->split_overlap, &chunks);
    if (rc) goto done;
    out->items = calloc(chunks.n ? chunks.n : 1, sizeof *out->items);
    if (!out->items) { rc = error_set(NEEDLE_ENOMEM, "out of memory making passages"); goto done; }
    cursor sc = {0, 0, 0, 1}, ec = {0, 0, 0, 1};
    for (size_t i = 0; i < chunks.n; i++) {
        size_t cs = units.v[chunks.v[i].start].start, ce = units.v[chunks.v[i].end - 1].end;
        if ((rc = make_passage(text, &out->clean, cs, ce, (int)i, &sc, &ec, &out->items[i]))) goto done;
        out->n++;
    }
done:
    free(units.v);
    free(chunks.v);
    if (rc) passage_list_free(out);
    return rc;
}

void passage_list_free(passage_list *pl) {
    for (size_t i = 0; i < pl->n; i++) free(pl->items[i].content);
    free(pl->items);
    clean_text_free(&pl->clean);
    memset(pl, 0, sizeof *pl);
}

/* First cleaned index whose original offset is >= b. */
static size_t clean_index_at(const clean_text *ct, size_t b) {
    size_t lo = 0, hi = ct->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ct->orig[mid] < b) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int preprocess_locate(const passage_list *pl, const char *text, size_t len, size_t char_start,
                      size_t char_end, size_t *passage_index, size_t *pchar_start, size_t *pchar_end) {
    size_t bs = utf8_byte_offset(text, len, char_start), be = utf8_byte_offset(text, len, char_end);
    if (char_end <= char_start || be > len || (be == len && utf8_char_count(text, len) < char_end))
        return error_set(NEEDLE_EINVAL, "span [%zu, %zu) is empty or outside the %zu-character text", char_start,
                         char_end, utf8_char_count(text, len));
    size_t cs = clean_index_at(&pl->clean, bs), ce = clean_index_at(&pl->clean, be);
    if (cs >= ce) return error_set(NEEDLE_ENOTFOUND, "span [%zu, %zu) was removed by cleaning", char_start, char_end);
    for (size_t i = 0; i < pl->n; i++) {
        const passage *p = &pl->items[i];
        if (p->clean_start <= cs && ce <= p->clean_end) {
            *passage_index = i;
            *pchar_start = utf8_char_count(p->content, cs - p->clean_start);
            *pchar_end = *pchar_start + utf8_char_count(p->content + (cs - p->clean_start), ce - cs);
            return 0;
        }
    }
    return error_set(NEEDLE_ENOTFOUND, "span [%zu, %zu) crosses a passage boundary", char_start, char_end);
}

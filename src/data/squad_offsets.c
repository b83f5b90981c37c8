/* squad_offsets.c — code-point/byte offset index of one context and the search that re-locates
 * an answer. SQuAD counts answer_start in code points; contexts are UTF-8. A paragraph can have
 * dozens of answers over a 100k-character context (COVID-QA), so the reader builds one index
 * per context and converts in O(1) instead of rescanning; ASCII contexts need no tables. */
#define _GNU_SOURCE
#include "needle/error.h"
#include "needle/utf8.h"
#include "squad_internal.h"

#include <stdlib.h>
#include <string.h>

static int ensure(size_t **a, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t *p = realloc(*a, need * sizeof *p);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory indexing a context of %zu characters", need);
    *a = p;
    *cap = need;
    return 0;
}

int squad_offsets_build(squad_offsets *o, const char *text, size_t bytes) {
    o->bytes = bytes;
    o->ascii = 1;
    for (size_t i = 0; i < bytes; i++)
        if ((unsigned char)text[i] >= 0x80) { o->ascii = 0; break; }
    if (o->ascii) {
        o->chars = bytes;
        return 0;
    }
    int rc = ensure(&o->char_to_byte, &o->cap_chars, bytes + 1);
    if (!rc) rc = ensure(&o->byte_to_char, &o->cap_bytes, bytes + 1);
    if (rc) return rc;
    size_t i = 0, c = 0;
    while (i < bytes) {
        o->char_to_byte[c] = i;
        o->byte_to_char[i] = c;
        size_t start = i;
        utf8_decode(text, bytes, &i);
        for (size_t k = start + 1; k < i; k++) o->byte_to_char[k] = c;
        c++;
    }
    o->char_to_byte[c] = bytes;
    o->byte_to_char[bytes] = c;
    o->chars = c;
    return 0;
}

size_t squad_offsets_byte(const squad_offsets *o, size_t char_offset) {
    if (char_offset > o->chars) char_offset = o->chars;
    return o->ascii ? char_offset : o->char_to_byte[char_offset];
}

size_t squad_offsets_char(const squad_offsets *o, size_t byte_offset) {
    if (byte_offset > o->bytes) byte_offset = o->bytes;
    return o->ascii ? byte_offset : o->byte_to_char[byte_offset];
}

void squad_offsets_free(squad_offsets *o) {
    free(o->char_to_byte);
    free(o->byte_to_char);
    memset(o, 0, sizeof *o);
}

int squad_offsets_find(const squad_offsets *o, const char *context, const char *text,
                       size_t text_bytes, long long start, size_t *found_char) {
    if (text_bytes == 0 || text_bytes > o->bytes) return 0;
    int found = 0;
    size_t best = 0, best_dist = 0, from = 0;
    const char *hit;
    while (from + text_bytes <= o->bytes &&
           (hit = memmem(context + from, o->bytes - from, text, text_bytes)) != NULL) {
        size_t b = (size_t)(hit - context);
        size_t c = squad_offsets_char(o, b);
        if (start < 0) { *found_char = c; return 1; }
        size_t dist = (long long)c >= start ? c - (size_t)start : (size_t)start - c;
        if (!found || dist < best_dist) {
            found = 1;
            best = c;
            best_dist = dist;
        }
        if ((long long)c >= start) break; /* later occurrences are farther still */
        from = b + 1;
    }
    if (found) *found_char = best;
    return found;
}

/* squad_internal.h — what the SQuAD reader, writer and splitter share beyond the public API:
 * appending an answer whose span is already known, and the per-context offset index that
 * converts between code points and bytes without rescanning the context for every answer. */
#ifndef NEEDLE_SQUAD_INTERNAL_H
#define NEEDLE_SQUAD_INTERNAL_H

#include "needle/squad.h"

/* Append an answer to the last question with its span already computed. */
int squad_append_answer(squad_dataset *ds, const char *text, long long start, size_t byte_start,
                        size_t byte_end, int located, int plausible);

/* Offsets of one context: char_to_byte[c] for c in [0, chars], and byte_to_char[b] for every
 * byte b that starts a code point (and b == bytes). Identity (no tables) for ASCII text. */
typedef struct {
    size_t *char_to_byte, *byte_to_char;
    size_t cap_chars, cap_bytes;
    size_t chars, bytes;
    int ascii;
} squad_offsets;

int squad_offsets_build(squad_offsets *o, const char *text, size_t bytes);
size_t squad_offsets_byte(const squad_offsets *o, size_t char_offset);
size_t squad_offsets_char(const squad_offsets *o, size_t byte_offset);
void squad_offsets_free(squad_offsets *o);

/* Where `text` (text_bytes long) starts in the context: the occurrence nearest to code point
 * `start` (ties: the earlier; start < 0: the first). Returns 1 and the code-point offset, or 0
 * when the text does not occur. */
int squad_offsets_find(const squad_offsets *o, const char *context, const char *text,
                       size_t text_bytes, long long start, size_t *found_char);

#endif

/* reader_fixture.h — test helpers for the reader: Hugging Face-made QA windows read from the
 * JSONL fixture (tests/fixtures/reader/windows64.jsonl: input_ids, token_type_ids,
 * attention_mask, offsets, start/end positions per line), and per-tensor comparisons. */
#ifndef NEEDLE_TEST_READER_FIXTURE_H
#define NEEDLE_TEST_READER_FIXTURE_H

#include <stdint.h>

#include "needle/reader.h"
#include "needle/safetensors.h"

#define READER_FIXTURES FIXTURES "/reader"

typedef struct {
    int n, L;
    int32_t *ids, *types, *start, *end, *offsets, *window;
    uint8_t *mask;
    char **qid;
} fixture_windows;

/* Read the first `max` lines (all when max <= 0). */
int fixture_windows_load(const char *path, int max, fixture_windows *fw);
void fixture_windows_free(fixture_windows *fw);
reader_windows fixture_view(const fixture_windows *fw);

/* max |a - b| / max |b| over n floats. */
double rel_max_diff(const float *a, const float *b, size_t n);

#endif

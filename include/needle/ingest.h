/* ingest.h — documents into the store: preprocess each document into passages, store them
 * with their source id, original offsets and metadata, and store SQuAD questions as gold
 * labels whose answers are located inside the passages. Used by `needle index` and by
 * the HTTP API's file upload, so both index the same way. */
#ifndef NEEDLE_INGEST_H
#define NEEDLE_INGEST_H

#include <stddef.h>

#include "needle/docread.h"
#include "needle/docstore.h"
#include "needle/preprocess.h"

typedef struct {
    preprocess_opts pre;
    docstore_dup dup; /* for passages whose id exists already (default skip) */
    /* SQuAD answers whose answer_start misses their text: SQUAD_OFFSETS_KEEP (default) drops
     * them, as Haystack does; SQUAD_OFFSETS_FIX re-locates them to the nearest occurrence */
    squad_offsets_mode squad_offsets;
} ingest_opts;

void ingest_opts_default(ingest_opts *o);

typedef struct {
    size_t documents;        /* documents read */
    size_t passages;         /* passages made */
    size_t added;            /* passages inserted or overwritten (not skipped as duplicates) */
    size_t empty;            /* documents that gave no passage (no text after cleaning) */
    size_t labels;           /* gold labels stored */
    size_t answers_moved;    /* SQuAD answers re-located by the reader (SQUAD_OFFSETS_FIX; squad.h's count) */
    size_t answers_dropped;  /* answers of answerable questions that gave no label: not at their
                              * answer_start (KEEP), not in the context or empty (FIX: squad.h's
                              * count, which includes plausible answers), or cut by a passage boundary */
} ingest_stats;

/* Preprocess and store one document (with its SQuAD questions as labels). */
int ingest_document(docstore *ds, const ingest_opts *o, const doc_input *d, ingest_stats *st);
/* doc_read + ingest_document for every document of a file, with progress on stderr. */
int ingest_file(docstore *ds, const ingest_opts *o, const char *path, doc_format fmt, ingest_stats *st);

#endif

/* train_corpus.h — the text of a corpus for training a tokenizer, read from the formats the
 * document readers know (docread.h, beir.h) and counted into word_counts.
 *
 * What counts as text in each format: plain text files whole, streamed in blocks (one document
 * per line or per paragraph: line breaks are word breaks, so either reads the same); JSON lines their
 * "content" or "text" field; SQuAD files the paragraph contexts; BEIR corpora each
 * document's title and text. */
#ifndef NEEDLE_TRAIN_CORPUS_H
#define NEEDLE_TRAIN_CORPUS_H

#include "needle/docread.h"
#include "needle/progress.h"
#include "needle/wordpiece_train.h"

/* Count the words of `path` read as `fmt` (DOCFMT_AUTO: doc_format_detect) into wc. `pr`
 * (may be NULL) is advanced by one per document. Errors name the file and the record. */
int train_corpus_count(word_counts *wc, const char *path, doc_format fmt, progress *pr);

#endif

/* corpus_text.h — the running text of a corpus file, text by text, for training on raw text
 * (masked-language-model pre-training; tokenizer training reads the same formats).
 *
 * What counts as one text in each format (docread.h's readers do the parsing, so a file that
 * indexes also trains, with the same error messages):
 *   - plain text: each line that is not blank, without its line break (\n or \r\n) —
 *     Hugging Face datasets' "text" loader, which run_mlm reads plain files with;
 *   - JSON lines: each line's "content" or "text";
 *   - SQuAD: each paragraph's context (questions and answers are not text to learn from);
 *   - BEIR corpus.jsonl: each document's title and text, joined by a line break (the title
 *     alone is skipped when the text is empty, and vice versa). */
#ifndef NEEDLE_CORPUS_TEXT_H
#define NEEDLE_CORPUS_TEXT_H

#include <stddef.h>

#include "needle/docread.h"

/* Called per text (UTF-8, `len` bytes, not NUL-terminated in general); `origin` names it for
 * messages ("file:line", "file: data[i].paragraphs[j]"). A non-zero return stops the reading
 * and is returned. */
typedef int (*corpus_text_fn)(void *ctx, const char *text, size_t len, const char *origin);

/* Read `path` as `fmt` (DOCFMT_AUTO: doc_format_detect) and hand each text to fn. */
int corpus_text_read(const char *path, doc_format fmt, corpus_text_fn fn, void *ctx);

#endif

/* analyzer.h — English text analysis for BM25, equivalent to the analyzer Anserini builds on
 * Lucene's EnglishAnalyzer (DefaultEnglishAnalyzer with the Porter stemmer):
 *
 *   StandardTokenizer (UAX#29 word breaks, Lucene's token grammar, 255-char tokens)
 *   -> EnglishPossessiveFilter (drop a trailing 's / ’s / ＇s)
 *   -> LowerCaseFilter (Unicode simple lower-case mapping)
 *   -> StopFilter (Lucene's 33 English stop words)
 *   -> PorterStemFilter (Porter's algorithm; Snowball "porter" from libstemmer, leaving
 *      words of one or two characters unstemmed as Lucene's PorterStemmer does).
 *
 * The tokenizer alone is exposed too (standard_tokenize) so that its rules can be tested
 * against Lucene's own test cases. Input is UTF-8; invalid bytes count as non-word
 * characters and never end up in a token. */
#ifndef NEEDLE_ANALYZER_H
#define NEEDLE_ANALYZER_H

#include <stddef.h>

/* Called for each token: the bytes text[start, end) of the input. Return non-zero to stop. */
typedef int (*standard_token_fn)(void *ctx, size_t start, size_t end);

/* Split UTF-8 text into Lucene StandardTokenizer tokens (without lower-casing). Returns 0,
 * or the first non-zero value returned by `emit`. */
int standard_tokenize(const char *text, size_t len, standard_token_fn emit, void *ctx);

/* Lucene's StandardTokenizer default maximum token length, in UTF-16 code units. */
#define STANDARD_MAX_TOKEN_UTF16 255

typedef struct analyzer analyzer;

/* Called for each analysed term (not NUL-terminated). Return non-zero to stop. */
typedef int (*analyzer_term_fn)(void *ctx, const char *term, size_t len);

/* An English analyzer. It keeps a cache of stems and a stemmer, so use one per thread. */
int analyzer_new(analyzer **out);
void analyzer_free(analyzer *a);
/* Analyse `text` and hand each term to `emit`. Returns 0, a NEEDLE_E* code, or the first
 * non-zero value returned by `emit`. */
int analyzer_run(analyzer *a, const char *text, size_t len, analyzer_term_fn emit, void *ctx);
/* Whether `term` (lower-case) is one of Lucene's 33 English stop words. */
int analyzer_is_stopword(const char *term, size_t len);

#endif

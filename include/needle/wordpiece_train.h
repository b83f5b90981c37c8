/* wordpiece_train.h — learning a WordPiece vocabulary from a corpus the way Hugging Face's
 * `tokenizers` WordPieceTrainer does, and writing it as a BERT tokenizer directory.
 *
 * The pipeline is HF's: each text goes through the BertNormalizer (clean_text, Chinese
 * characters isolated, lowercase + accent stripping for uncased) and the BertPreTokenizer
 * (whitespace and punctuation), the resulting words are counted (word_counts), and the
 * trainer — HF's BPE trainer with the "##" continuing-subword prefix — builds the vocabulary:
 * special tokens first, then the alphabet (characters by code point, cut to limit_alphabet
 * by frequency), then the "##c" pieces, then one token per merge of the most frequent pair
 * (ties to the pair of smallest ids) until vocab_size is reached, no pair is left, or the best
 * pair is rarer than min_frequency.
 *
 * HF numbers the "##c" pieces in the iteration order of a randomly seeded hash map, and ties
 * between pairs are broken by those numbers, so HF's own vocabulary changes from run to run
 * on the same corpus. needle numbers them by code point (deterministic), or in the order of
 * a given vocabulary (continuing_order: with HF's vocab.txt, needle reproduces that HF run
 * token for token). docs/domain.md explains the other differences in detail. */
#ifndef NEEDLE_WORDPIECE_TRAIN_H
#define NEEDLE_WORDPIECE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- word counts */

typedef struct word_counts word_counts;

/* An empty count table whose texts go through the BertNormalizer (lowercase: 1 uncased,
 * 0 cased; accents are stripped with lowercasing, as HF's strip_accents = null does) and
 * the BertPreTokenizer. */
int word_counts_create(int lowercase, word_counts **out);
void word_counts_free(word_counts *wc);
/* Normalize, pre-tokenize and count the words of n texts (UTF-8, invalid sequences read as
 * U+FFFD), on all cores. Long texts are cut at whitespace, which changes no word. */
int word_counts_add_texts(word_counts *wc, int n, const char *const *texts, const size_t *lens);
/* Count one already pre-tokenized word `count` times (no normalization). */
int word_counts_add_word(word_counts *wc, const char *word, size_t len, uint64_t count);
/* Distinct words, and all words counted. */
size_t word_counts_distinct(const word_counts *wc);
uint64_t word_counts_total(const word_counts *wc);

/* ---------------------------------------------------------------- training */

typedef struct {
    int vocab_size;            /* the target size, special tokens included (HF default 30000) */
    uint64_t min_frequency;    /* a pair rarer than this ends training (HF default 0) */
    int limit_alphabet;        /* keep at most this many characters (< 0: no limit) */
    const char *initial_alphabet;       /* UTF-8 characters always in the alphabet, or NULL */
    const char *const *special_tokens;  /* placed first, in this order */
    int n_special;
    const char *prefix;        /* continuing-subword prefix: "##" (NULL or "": plain BPE) */
    const char *const *continuing_order; /* number the prefix + character pieces in the order
                                          * they have in this list (e.g. an HF vocab.txt);
                                          * pieces not in it follow by code point. May be NULL */
    int n_continuing_order;
} wp_train_opts;

/* HF's WordPieceTrainer defaults: vocab_size 30000, min_frequency 0, no alphabet limit, no
 * special tokens, prefix "##". */
wp_train_opts wp_train_opts_default(void);

typedef struct {
    char **tokens;     /* id -> token (UTF-8), n entries */
    int n;
    int n_special, n_alphabet, n_continuing; /* the first blocks of the vocabulary */
    int n_merges;      /* merges done (a merge whose token already exists adds none) */
    const char *stop;  /* why training ended: "vocab_size", "no pairs left", "min_frequency" */
} wp_vocab;

/* Train on the counted words. Progress is shown on stderr. */
int wordpiece_train(const word_counts *wc, const wp_train_opts *o, wp_vocab *out);
void wp_vocab_free(wp_vocab *v);

/* ---------------------------------------------------------------- writing */

/* Write a BERT tokenizer directory as Hugging Face writes one (created if needed; each file
 * atomically): tokenizer.json (BertNormalizer with `lowercase`, BertPreTokenizer, WordPiece
 * with unk "[UNK]" and prefix "##", TemplateProcessing "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1
 * [SEP]:1", WordPiece decoder, the special tokens as added tokens), vocab.txt,
 * tokenizer_config.json and special_tokens_map.json. The vocabulary must hold [UNK], [CLS]
 * and [SEP]; [PAD] and [MASK] are named in the configuration when present. */
int tokenizer_write_wordpiece(const char *dir, const wp_vocab *v, int lowercase);

#endif

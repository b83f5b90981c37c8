/* mlm_data.h — masked-language-model data: texts tokenised into one corpus, packed into
 * full-length blocks, and masked as Hugging Face's data collators mask.
 *
 * Packing (run_mlm's group_texts, with BERT's framing kept in every block): each text is
 * tokenised without special tokens and the texts are laid end to end, each followed by the
 * separator [SEP] (</s> for RoBERTa-style tokenizers). This stream is cut into blocks of
 * max_seq_len tokens: a block is [CLS] + as many stream tokens as fit in max_seq_len - 2 +
 * [SEP], except that a text's separator is never a block's first token (the previous block
 * already ended with [SEP]), and a block whose last stream token is a text's separator ends
 * there (that [SEP] closes it; it is one token short). So every block reads like a BERT
 * input, a text boundary is always one [SEP], and "[SEP] [SEP]" or "[CLS] [SEP]" never occur.
 * Unlike group_texts, the last, shorter block is kept (padded) rather than dropped, so no
 * text of a small corpus is lost. Token type ids are all 0.
 *
 * Masking (DataCollatorForLanguageModeling / DataCollatorForWholeWordMask):
 *   - special tokens (every token the tokenizer marks special, and [CLS] [SEP] [PAD] [MASK]
 *     [UNK], as HF's get_special_tokens_mask(already_has_special_tokens=True) does) and
 *     padding are never masked;
 *   - token masking: each other token is chosen independently with probability p;
 *   - whole-word masking: a word is a token followed by its "##" continuation pieces (a piece
 *     right after a special token starts a word of its own); the words are shuffled and taken
 *     in that order while the chosen tokens stay within max(1, round(n × p)) (n = tokens
 *     before padding, specials included; round half to even, as Python's round) — a word
 *     that would overshoot is skipped and the next tried, as HF's _whole_word_mask does;
 *   - every chosen token (in both modes, token by token) becomes [MASK] with probability 0.8,
 *     a token drawn uniformly from the whole vocabulary (len(tokenizer), specials included)
 *     with probability 0.1, and stays as it is otherwise; its label is the original id, every
 *     other label is -100.
 * Two deliberate differences from HF's whole-word collator: specials other than [CLS]/[SEP]
 * (HF lets [UNK] and [PAD] count towards the quota and then unmasks them) are not candidates,
 * and a word never spans a special token (HF joins a "##" piece after [SEP] to the word
 * before it). Draws come from the caller's rng.h generator, so a run's masks are a pure
 * function of the generator's state. */
#ifndef NEEDLE_MLM_DATA_H
#define NEEDLE_MLM_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "needle/rng.h"
#include "needle/tokenizer.h"

#define MLM_MASK_REPLACE 0.8  /* chosen tokens that become [MASK] */
#define MLM_RANDOM_REPLACE 0.1 /* chosen tokens that become a random token */
#define MLM_IGNORE (-100)     /* the label of a token that is not predicted */

/* ---------------------------------------------------------------- corpus */

typedef struct {
    int32_t *ids;          /* every text's tokens back to back (no special tokens) */
    size_t n_ids, cap_ids;
    size_t *text_end;      /* text i = ids[text_end[i-1] (0 for i = 0) .. text_end[i]) */
    size_t n_texts, cap_texts;
    /* texts waiting to be tokenised (they are tokenised in batches on all cores) */
    char *pending;
    size_t pending_len, pending_cap;
    size_t *pending_end;
    int n_pending;
    const tokenizer *tk;
    int threads;
} mlm_corpus;

/* A corpus tokenised by tk on `threads` threads (0: all cores). */
void mlm_corpus_init(mlm_corpus *c, const tokenizer *tk, int threads);
void mlm_corpus_free(mlm_corpus *c);
/* Add one text (UTF-8; invalid bytes are tokenised as U+FFFD). Texts are tokenised in batches;
 * mlm_corpus_flush tokenises what is still waiting. A text with no tokens adds nothing. */
int mlm_corpus_add(mlm_corpus *c, const char *text, size_t len);
int mlm_corpus_flush(mlm_corpus *c);

/* Hold out texts for evaluation: the texts are shuffled by a generator seeded with `seed` and
 * taken into dev in that order while dev holds fewer than dev_fraction of all tokens; both
 * lists (text indices, ascending) are allocated here. dev_fraction in (0, 1); fails when
 * fewer than two texts. */
int mlm_corpus_split(const mlm_corpus *c, double dev_fraction, uint64_t seed, size_t **train, size_t *n_train,
                     size_t **dev, size_t *n_dev);

/* ---------------------------------------------------------------- blocks */

typedef struct {
    int n, len;                /* blocks, tokens per block (L) */
    int32_t *input_ids;        /* n × L, padded with the pad id */
    int32_t *length;           /* n: tokens before padding (the attention mask is 1 below it) */
    int32_t *token_type_ids;   /* n × L, or NULL: all 0 (packed blocks have none) */
    int32_t *labels;           /* n × L fixed masks (input_ids hold the masked tokens), or NULL:
                                * masks are drawn afresh each time a block is used */
    size_t cap;                /* blocks the arrays have room for */
} mlm_blocks;

void mlm_blocks_free(mlm_blocks *b);
/* Pack the texts texts[0..n) of c (all texts, in order, when texts is NULL) into blocks of
 * len tokens (see the top of this file). The tokenizer must have [CLS]-like and [SEP]-like
 * tokens and a pad token; len >= 3. */
int mlm_blocks_pack(const mlm_corpus *c, const size_t *texts, size_t n, const tokenizer *tk, int len, mlm_blocks *out);

/* ---------------------------------------------------------------- masking */

typedef struct {
    double probability;     /* p: 0.15 */
    int whole_word;
    int32_t mask_id;        /* [MASK] */
    int vocab;              /* random replacements are drawn from [0, vocab) */
    uint8_t *special;       /* vocab entries: never masked */
    uint8_t *continuation;  /* vocab entries: a "##" piece */
    int32_t *words;         /* scratch: [start, end) of each word of one sequence (2 × max_len) */
    int32_t *order;         /* scratch: word order (max_len) */
    int max_len;
} mlm_masker;

/* For tk's vocabulary; sequences up to max_len tokens. Fails when the tokenizer has no mask
 * token or p is outside (0, 1]. Whole-word masking with a vocabulary without "##" pieces
 * (byte-level BPE) masks single tokens with the whole-word quota, and says so in a warning. */
int mlm_masker_init(mlm_masker *mk, const tokenizer *tk, double probability, int whole_word, int max_len);
void mlm_masker_free(mlm_masker *mk);
/* Mask ids[0..n) in place (n <= max_len) and write labels[0..n): the original id where a
 * token was chosen, MLM_IGNORE elsewhere. Returns the number of chosen tokens, or
 * NEEDLE_EINVAL when n > max_len. */
int mlm_mask(mlm_masker *mk, int32_t *ids, int32_t *labels, int n, rng *r);
/* Give blocks fixed masks (evaluation data): labels are allocated and every block masked with
 * a generator seeded with `seed`. */
int mlm_blocks_mask_fixed(mlm_blocks *b, mlm_masker *mk, uint64_t seed);

#endif

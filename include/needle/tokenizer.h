/* tokenizer.h — Hugging Face-compatible tokenizers: the same ids and the same character
 * offsets as the `tokenizers` library for every input.
 *
 * A reader fine-tuned on ids that differ from the ones its checkpoint was pre-trained with
 * is silently worse, and an answer span mapped back through a wrong offset is simply wrong,
 * so needle reproduces Hugging Face's pipeline step by step rather than approximating it:
 *
 *   text ─► added/special tokens split out ─► normalizer ─► pre-tokenizer ─► model
 *        ─► truncation (+ overflowing windows) ─► post-processor (special tokens) ─► padding
 *
 * Loading (tokenizer_load) accepts what users have:
 *   - tokenizer.json (the `tokenizers` format): normalizers BertNormalizer, NFC, NFD, NFKC,
 *     NFKD, Lowercase, StripAccents, Replace (string patterns), Strip, Prepend, Sequence;
 *     pre-tokenizers BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Punctuation,
 *     Digits, Metaspace, Sequence; models WordPiece, BPE (byte-level or not), Unigram,
 *     WordLevel; post-processors BertProcessing, RobertaProcessing, TemplateProcessing,
 *     ByteLevel, Sequence; added and special tokens with single_word/lstrip/rstrip/normalized;
 *   - the older layouts: vocab.txt (+ tokenizer_config.json: do_lower_case, strip_accents,
 *     tokenize_chinese_chars, special tokens) for BERT-style WordPiece, and vocab.json +
 *     merges.txt (+ tokenizer_config.json: add_prefix_space, trim_offsets) for RoBERTa / GPT-2
 *     byte-level BPE — built into the same pipeline transformers' fast tokenizers build.
 * Anything else in tokenizer.json (a regex Replace, the Split pre-tokenizer, a Precompiled
 * normalizer, BPE dropout) fails to load with NEEDLE_EUNSUPPORTED and a message naming it:
 * never a silently different tokenisation. The "truncation" and "padding" sections of
 * tokenizer.json are ignored: callers pass those per call (tok_options).
 *
 * Offsets are [start, end) in Unicode code points of the caller's text (Python str indices,
 * as HF reports them), mapped back through every normalisation step with HF's alignment
 * rules; special and padding tokens have (0, 0). Input is UTF-8; invalid UTF-8 is not an
 * error: each maximal ill-formed subpart counts as one U+FFFD code point (see utf8.h) and is
 * tokenised as U+FFFD would be (BERT's clean_text drops it; byte-level BPE encodes EF BF BD).
 *
 * Threads: a loaded tokenizer is immutable and may be shared by any number of threads. Each
 * thread keeps its own scratch buffers and BPE word cache (created on first use, freed when
 * the thread exits), so encoding never takes a lock; tokenizer_encode_batch runs on all cores
 * with OpenMP. */
#ifndef NEEDLE_TOKENIZER_H
#define NEEDLE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tokenizer tokenizer;

/* ---------------------------------------------------------------- loading */

/* Load from a directory or a file. A directory is searched for tokenizer.json, then
 * vocab.txt, then vocab.json + merges.txt (tokenizer_config.json is read beside the last two
 * when present). A file path must be a tokenizer.json. */
int tokenizer_load(const char *path, tokenizer **out);
/* Parse tokenizer.json text; `origin` names it in error messages. */
int tokenizer_from_json(const char *text, size_t len, const char *origin, tokenizer **out);
void tokenizer_free(tokenizer *tk);

/* ---------------------------------------------------------------- vocabulary */

/* Number of ids (model vocabulary and added tokens): max id + 1. */
int tokenizer_vocab_size(const tokenizer *tk);
/* Id of a token string (model vocabulary or added token), or -1. */
int tokenizer_token_to_id(const tokenizer *tk, const char *token);
/* Token string of an id (NUL-terminated, owned by tk), or NULL when out of range. */
const char *tokenizer_id_to_token(const tokenizer *tk, int id);
/* 1 when id is an added token marked special ([CLS], <s>, ...). */
int tokenizer_is_special(const tokenizer *tk, int id);

/* The ids of the usual special tokens, -1 where the tokenizer has none. Found from the
 * post-processor (cls/sep), tokenizer_config.json when loaded from legacy files, and the
 * usual spellings ([CLS] <s>, [SEP] </s>, [PAD] <pad>, [MASK] <mask>, [UNK] <unk>). */
typedef struct {
    int cls, sep, pad, mask, unk, bos, eos;
} tokenizer_special_ids;
const tokenizer_special_ids *tokenizer_specials(const tokenizer *tk);
/* How many special tokens the post-processor adds to a single text (pair = 0) or a pair. */
int tokenizer_num_special_tokens(const tokenizer *tk, int pair);

/* ---------------------------------------------------------------- encoding */

/* One encoded sequence (or one window of a long one). Arrays have n entries. */
typedef struct {
    int n;
    int32_t *ids;
    int32_t *type_ids;       /* token type (segment) ids */
    int32_t *offsets;        /* 2n: [start, end) in code points of its own text; (0,0) special/pad */
    int32_t *word_ids;       /* index of the pre-tokenized word within its text; -1 special/pad */
    int8_t *seq_ids;         /* 0 first text, 1 second text, -1 special or padding */
    uint8_t *attention_mask; /* 1 real token, 0 padding */
    uint8_t *special_mask;   /* 1 special or padding token */
    int cap;
} tok_encoding;

typedef enum {
    TOK_TRUNCATE_NONE = 0,
    TOK_TRUNCATE_LONGEST_FIRST, /* HF "longest_first": shorten the longer text first */
    TOK_TRUNCATE_ONLY_FIRST,
    TOK_TRUNCATE_ONLY_SECOND,
} tok_truncation;

typedef struct {
    int add_special_tokens;  /* 1 (default): apply the post-processor's template */
    tok_truncation truncation;
    int max_length;          /* total length incl. special tokens when truncating */
    int stride;              /* HF's stride: tokens shared by consecutive windows (< max_length - specials) */
    int overflow;            /* 1: keep every window (HF return_overflowing_tokens); 0: only the first */
    int pad_to;              /* pad every window to this length (0: no padding) */
    int pad_to_multiple_of;  /* round the padded length up (0: no rounding) */
    /* Reproduce Hugging Face tokenizers 0.23.1-0.23.2 (what transformers 5.x installs): when
     * truncating, each text stops being tokenized once it has max_length tokens (counted after
     * each pre-tokenized word, before special tokens are subtracted), so overflow windows
     * never reach past that point and the rest of a long text is silently dropped (HF issue
     * #2091; the fix, PR #2098, restores the old behaviour). 0 (default): every window is cut
     * from the whole text, as tokenizers <= 0.22.2 and HF's documented Encoding.truncate do. */
    int hf_early_exit;
} tok_options;

/* The defaults: special tokens added, no truncation, no padding. */
tok_options tok_options_default(void);

/* The windows of one input: n >= 1 (n > 1 only with truncation and overflow). */
typedef struct {
    int n, cap;
    tok_encoding *w;
} tok_windows;

void tok_windows_init(tok_windows *w);
void tok_windows_free(tok_windows *w);
void tok_encoding_free(tok_encoding *e);

/* Encode one text (pair == NULL) or a (text, pair) pair into windows. Texts are UTF-8 of
 * the given byte lengths. Fails (NEEDLE_EINVAL) only on impossible options: truncation
 * that would have to remove more tokens than the truncated text has, or a stride too large
 * for the room left. `out` is reset and refilled (its memory is reused). */
int tokenizer_encode(const tokenizer *tk, const char *text, size_t len, const char *pair, size_t pair_len,
                     const tok_options *opt, tok_windows *out);

/* Encode n inputs on `threads` threads (0 = all cores, OpenMP). pairs/pair_lens may be NULL
 * (single texts) and pairs[i] may be NULL for an unpaired input. outs[0..n) must be
 * initialised windows. Returns the first failure (in input order) after finishing all. */
int tokenizer_encode_batch(const tokenizer *tk, int n, const char *const *texts, const size_t *lens,
                           const char *const *pairs, const size_t *pair_lens, const tok_options *opt,
                           tok_windows *outs, int threads);

/* Free the calling thread's scratch buffers and BPE cache now (they are otherwise freed when
 * the thread exits). Useful in the main thread before exit under leak checkers. */
void tokenizer_thread_cleanup(void);

#endif

/* tok_internal.h — the tokenizer's internal data structures, shared by the files of
 * src/text that implement one stage each (normalizer.c, pretokenizer.c, wordpiece.c, bpe.c,
 * unigram.c, added_tokens.c, postprocess.c, tokenizer_load.c, tokenizer_encode.c).
 *
 * Text travels through the pipeline as arrays of `nchar`: a code point of the normalized
 * text together with the span [s, e) of the original text (in code points) it came from.
 * This is Hugging Face's NormalizedString alignment kept per character instead of per byte
 * (HF gives every byte of a character the same alignment, so the two are equivalent), and
 * every normalisation step edits it with HF's own rules (nxform below), which is what makes
 * the offsets identical to HF's through NFD, accent stripping, lowercasing and byte mapping. */
#ifndef NEEDLE_TEXT_TOK_INTERNAL_H
#define NEEDLE_TEXT_TOK_INTERNAL_H

#include "needle/strmap.h"
#include "needle/tokenizer.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ normalized text */

typedef struct {
    uint32_t cp;
    int32_t s, e; /* span in the original text, code points */
} nchar;

typedef struct {
    nchar *c;
    int n, cap;
} nstr;

int nstr_reserve(nstr *s, int extra);
void nstr_free(nstr *s);

/* HF's NormalizedString::transform: rebuild `out` from `in` one output character at a time.
 * Each output character either replaces the next input character (taking its alignment),
 * or is inserted (taking the alignment of the previous input character, or (base, base) at
 * the very start, where `base` is the original offset of the text being transformed), and
 * input characters may be removed. */
typedef struct {
    const nchar *in;
    int n_in, pos;
    int32_t base;
    nstr *out;
} nxform;

static inline void nx_begin(nxform *x, const nstr *in, nstr *out, int32_t base) {
    x->in = in->c;
    x->n_in = in->n;
    x->pos = 0;
    x->base = base;
    x->out = out;
    out->n = 0;
}
/* Emit cp in place of the next input character (HF change 0). */
static inline void nx_replace(nxform *x, uint32_t cp) {
    const nchar *src = &x->in[x->pos++];
    x->out->c[x->out->n++] = (nchar){cp, src->s, src->e};
}
/* Emit an inserted cp (HF change +1). */
static inline void nx_insert(nxform *x, uint32_t cp) {
    int32_t s = x->base, e = x->base;
    if (x->pos > 0) { s = x->in[x->pos - 1].s; e = x->in[x->pos - 1].e; }
    x->out->c[x->out->n++] = (nchar){cp, s, e};
}
/* Drop k input characters (HF change -k after a replace, or the initial offset). */
static inline void nx_remove(nxform *x, int k) { x->pos += k; }
/* Emit with an HF change value: 0 replace, > 0 insert, < 0 replace then remove -change. */
static inline void nx_emit(nxform *x, uint32_t cp, int change) {
    if (change > 0) {
        nx_insert(x, cp);
    } else {
        nx_replace(x, cp);
        if (change < 0) nx_remove(x, -change);
    }
}
/* Swap buffers after a transform so that `s` holds the result. */
static inline void nstr_swap(nstr *a, nstr *b) {
    nstr t = *a;
    *a = *b;
    *b = t;
}

/* ------------------------------------------------------------ normalizers */

typedef enum {
    NZ_BERT,
    NZ_NFC,
    NZ_NFD,
    NZ_NFKC,
    NZ_NFKD,
    NZ_LOWERCASE,
    NZ_STRIP_ACCENTS,
    NZ_REPLACE,
    NZ_STRIP,
    NZ_PREPEND,
    NZ_SEQUENCE,
} nz_kind;

typedef struct normalizer {
    nz_kind kind;
    uint8_t clean_text, handle_chinese, strip_accents, lowercase; /* BertNormalizer */
    uint8_t left, right;                                          /* Strip */
    uint32_t *pattern;                                            /* Replace */
    int pattern_len;
    uint32_t *content; /* Replace content, Prepend text */
    int content_len;
    struct normalizer *items; /* Sequence */
    int n_items;
} normalizer;

/* Normalize s in place (tmp is scratch); `base` is the original offset of s's text. */
int normalizer_apply(const normalizer *nz, nstr *s, nstr *tmp, int32_t base);
void normalizer_free(normalizer *nz);

/* ------------------------------------------------------------ pre-tokenization */

typedef enum { SPLIT_REMOVED, SPLIT_ISOLATED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT, SPLIT_CONTIGUOUS } split_behavior;

/* A piece of pre-tokenized text: chars [start, end) of its ptext; added_id >= 0 when the
 * piece is an added token already (it then skips the pre-tokenizer and the model). */
typedef struct {
    int start, end;
    int32_t added_id;
} psplit;

/* A candidate piece while splitting one split: [s, e) and whether it matched the pattern. */
typedef struct {
    int s, e, match;
} ppiece;

typedef struct {
    nstr chars;
    psplit *splits;
    int n_splits, cap_splits;
    ppiece *pieces; /* scratch for the splitting behaviours */
    int n_pieces, cap_pieces;
    nstr scratch; /* scratch text of the pre-tokenizers that rewrite characters */
} ptext;

int ptext_add_split(ptext *t, int start, int end, int32_t added_id);
void ptext_free(ptext *t);

typedef enum {
    PT_BERT,
    PT_BYTELEVEL,
    PT_WHITESPACE,
    PT_WHITESPACE_SPLIT,
    PT_PUNCTUATION,
    PT_DIGITS,
    PT_METASPACE,
    PT_SEQUENCE,
} pt_kind;

enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER };

typedef struct pretokenizer {
    pt_kind kind;
    uint8_t add_prefix_space, use_regex; /* ByteLevel */
    uint8_t individual_digits;           /* Digits */
    uint8_t split;                       /* Metaspace */
    uint8_t prepend_scheme;              /* Metaspace: PREPEND_* */
    split_behavior behavior;             /* Punctuation */
    uint32_t replacement;                /* Metaspace */
    struct pretokenizer *items;          /* Sequence */
    int n_items;
} pretokenizer;

/* Rewrite t (tmp is scratch; the two are swapped as needed). */
int pretokenizer_apply(const pretokenizer *pt, ptext *t, ptext *tmp);
void pretokenizer_free(pretokenizer *pt);

/* The byte-level alphabet: the character that stands for byte b (GPT-2's bytes_to_unicode). */
uint32_t bytelevel_char(unsigned b);

/* ------------------------------------------------------------ models */

typedef enum { MODEL_WORDPIECE, MODEL_BPE, MODEL_UNIGRAM, MODEL_WORDLEVEL } model_kind;

/* A token produced by a model: id and [start, end) in bytes of the UTF-8 of the piece it came
 * from (HF's models count bytes; a range may run past the piece, see tokenizer_encode.c). */
typedef struct {
    int32_t id;
    int32_t start, end;
} mtoken;

typedef struct {
    mtoken *t;
    int n, cap;
} mtokens;

int mtokens_push(mtokens *m, int32_t id, int32_t start, int32_t end);

typedef struct bpe_merges bpe_merges; /* pair → (rank, new id) hash table, bpe.c */

typedef struct {
    model_kind kind;
    strmap vocab;            /* token → id (the model's own vocabulary) */
    int32_t unk_id;          /* -1 when none */
    char *prefix, *suffix;   /* continuing_subword_prefix, end_of_word_suffix (may be "") */
    int prefix_len, suffix_len;
    int max_input_chars;     /* WordPiece */
    int max_token_bytes;     /* longest vocabulary entry (bounds WordPiece / Unigram searches) */
    uint8_t fuse_unk, byte_fallback, ignore_merges; /* BPE / Unigram */
    bpe_merges *merges;      /* BPE */
    int32_t *char_ids;       /* BPE: id of each code point < 1024 as a whole-symbol, -1 absent */
    double *scores;          /* Unigram: score per id */
    double min_score;        /* Unigram */
    uint64_t uid;            /* distinguishes models in the per-thread BPE caches */
} vocab_model;

typedef struct tok_ws tok_ws; /* per-thread scratch, tokenizer_encode.c */

/* Tokenize one pre-tokenized piece (code points cps[0..n), n >= 1), appending to out. */
int wordpiece_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out);
int bpe_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out);
int unigram_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out);
int wordlevel_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out);

/* BPE merges: add the merge (a, b) → new_id with the given rank (lower merges first). */
int bpe_merges_create(bpe_merges **out);
int bpe_merges_add(bpe_merges *bm, int32_t a, int32_t b, int32_t rank, int32_t new_id);
void bpe_merges_free(bpe_merges *bm);
/* Per-thread BPE word cache, owned by tok_ws. */
typedef struct bpe_cache bpe_cache;
void bpe_cache_free(bpe_cache *c);

void vocab_model_free(vocab_model *m);
/* Builders shared by the tokenizer.json and legacy loaders (tokenizer_load.c). */
int vocab_model_add_token(vocab_model *m, const char *tok, size_t len, int32_t id);
int vocab_model_add_merge(vocab_model *m, const char *a, size_t alen, const char *b, size_t blen, int32_t rank, const char *origin);
int vocab_model_finish(vocab_model *m, const char *origin);

/* Scratch UTF-8 buffer of the calling thread's workspace (models build lookup keys in it). */
char *tok_ws_utf8(tok_ws *ws, size_t need);
bpe_cache **tok_ws_bpe_cache(tok_ws *ws);
void *tok_ws_scratch(tok_ws *ws, int which, size_t bytes);

/* ------------------------------------------------------------ added tokens */

typedef struct {
    uint32_t *cp;  /* content as code points */
    int len;
    uint32_t *ncp; /* content after the normalizer (normalized tokens only) */
    int nlen;
    int32_t id;
    uint8_t single_word, lstrip, rstrip, normalized, special;
} added_token;

typedef struct {
    added_token *t;
    int n, cap;
    int has_raw, has_normalized; /* any token matched on the original / normalized text */
    uint8_t first[2][0x10000 / 8]; /* [normalized]: bit set for each BMP first character */
} added_vocab;

int added_vocab_add(added_vocab *av, const char *content, int32_t id, int single_word, int lstrip, int rstrip,
                    int normalized, int special);
/* Normalize the contents of normalized tokens (after the normalizer is known). */
int added_vocab_prepare(added_vocab *av, const normalizer *nz);
void added_vocab_free(added_vocab *av);
/* Split the characters [start, end) of `src` on added tokens (normalized ones when
 * `normalized`, else raw ones), appending pieces to `dst` (copying the characters). */
int added_vocab_split(const added_vocab *av, int normalized, const nchar *src, int n, ptext *dst);

/* ------------------------------------------------------------ post-processing */

/* Raw token of one sequence before post-processing. */
typedef struct {
    int32_t id;
    int32_t start, end; /* original code points */
    int32_t word;
    uint8_t lead, trail; /* characters the ByteLevel offset trimming may remove */
} rtoken;

enum { PIECE_SPECIAL, PIECE_A, PIECE_B };

typedef struct {
    int kind;    /* PIECE_* */
    int type_id;
    int32_t *ids; /* PIECE_SPECIAL: the ids it inserts */
    int n_ids;
} tpl_piece;

typedef struct {
    tpl_piece *single, *pair;
    int n_single, n_pair;
    uint8_t trim_offsets, trim_add_prefix_space; /* ByteLevel offset trimming (RoBERTa, GPT-2) */
} postproc;

void postproc_default(postproc *pp);
/* BERT's or RoBERTa's (roberta = 1) template around the given [CLS] / [SEP] ids. */
int postproc_cls_sep(postproc *pp, int32_t cls, int32_t sep, int roberta);
/* Build one window's encoding from token slices a[0..na) and, for pairs, b[0..nb)
 * (b == NULL for a single text). */
int postproc_window(const postproc *pp, const rtoken *a, int na, const rtoken *b, int nb, int add_special,
                    tok_encoding *out);
int tok_encoding_reserve(tok_encoding *e, int n);
/* Pad at the right to `length` with pad_id (type id 0, attention 0, offsets (0, 0)). */
int tok_encoding_pad(tok_encoding *e, int length, int32_t pad_id);
int postproc_count_specials(const postproc *pp, int pair);
void postproc_free(postproc *pp);

/* ------------------------------------------------------------ the tokenizer */

struct tokenizer {
    normalizer *normalizer;
    pretokenizer *pretok;
    vocab_model model;
    added_vocab added;
    postproc post;
    int vocab_size;
    char *tok_arena;    /* id → NUL-terminated token string */
    uint32_t *tok_off;  /* offset of each id's string in tok_arena; UINT32_MAX when the id is unused */
    uint8_t *is_special;
    uint8_t *trim_lead, *trim_trail; /* per id: leading / trailing 'Ġ' or whitespace characters */
    strmap added_ids;   /* added token content → id */
    tokenizer_special_ids specials;
};

/* Fill vocab_size, tok_arena/tok_off, trim tables and specials from the model and added
 * tokens (tokenizer_vocab.c). */
int tokenizer_finish(tokenizer *tk, const char *origin);

/* Word i of a word_counts table (insertion order) with its count (word_counts.c; for the
 * trainer, wordpiece_train.c). */
struct word_counts;
const char *word_counts_word(const struct word_counts *wc, size_t i, size_t *len, uint64_t *count);

/* Legacy layouts (tokenizer_legacy.c): vocab.txt (+ tokenizer_config.json) and
 * vocab.json + merges.txt (+ tokenizer_config.json) in a directory. */
int tokenizer_load_wordpiece_dir(const char *dir, tokenizer **out);
int tokenizer_load_bpe_dir(const char *dir, tokenizer **out);

#endif

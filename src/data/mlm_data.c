/* mlm_data.c — texts into a token corpus, the corpus into blocks, blocks masked (mlm_data.h).
 *
 * The corpus keeps only token ids (4 bytes a token) and where each text ends, so that a split
 * and the packing can be redone on any subset of texts without tokenising again. Texts are
 * buffered and tokenised in batches by tokenizer_encode_batch on all cores; a batch is cut by
 * count and by bytes so memory stays bounded whatever the texts' sizes.
 *
 * Masking draws in a fixed order (token choice left to right or the word shuffle, then one
 * uniform per chosen token for its replacement, then the random token when needed), so the
 * masks of a sequence depend only on the generator's state and the sequence. Which tokens are
 * specials and which are "##" pieces is looked up in two tables over the vocabulary built
 * once, so masking a block costs a few draws per token and no string work. */
#include "needle/mlm_data.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH_TEXTS = 1024, BATCH_BYTES = 4 << 20 };

/* ---------------------------------------------------------------- corpus */

void mlm_corpus_init(mlm_corpus *c, const tokenizer *tk, int threads) {
    memset(c, 0, sizeof *c);
    c->tk = tk;
    c->threads = threads;
}

void mlm_corpus_free(mlm_corpus *c) {
    free(c->ids);
    free(c->text_end);
    free(c->pending);
    free(c->pending_end);
    memset(c, 0, sizeof *c);
}

int mlm_corpus_flush(mlm_corpus *c) {
    int n = c->n_pending;
    if (!n) return 0;
    const char *texts[BATCH_TEXTS];
    size_t lens[BATCH_TEXTS];
    for (int i = 0; i < n; i++) {
        size_t start = i ? c->pending_end[i - 1] : 0;
        texts[i] = c->pending + start;
        lens[i] = c->pending_end[i] - start;
    }
    tok_windows *outs = malloc((size_t)n * sizeof *outs);
    if (!outs) return error_set(NEEDLE_ENOMEM, "out of memory tokenising the corpus");
    for (int i = 0; i < n; i++) tok_windows_init(&outs[i]);
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    int rc = tokenizer_encode_batch(c->tk, n, texts, lens, NULL, NULL, &o, outs, c->threads);
    for (int i = 0; i < n && !rc; i++) {
        const tok_encoding *e = &outs[i].w[0];
        if (!e->n) continue;
        if ((rc = array_grow((void **)&c->ids, &c->cap_ids, c->n_ids + (size_t)e->n - 1, sizeof *c->ids)) ||
            (rc = array_grow((void **)&c->text_end, &c->cap_texts, c->n_texts, sizeof *c->text_end)))
            break;
        memcpy(c->ids + c->n_ids, e->ids, (size_t)e->n * sizeof *c->ids);
        c->n_ids += (size_t)e->n;
        c->text_end[c->n_texts++] = c->n_ids;
    }
    for (int i = 0; i < n; i++) tok_windows_free(&outs[i]);
    free(outs);
    c->n_pending = 0;
    c->pending_len = 0;
    return rc;
}

int mlm_corpus_add(mlm_corpus *c, const char *text, size_t len) {
    if (c->n_pending == BATCH_TEXTS || (c->n_pending && c->pending_len + len > BATCH_BYTES)) {
        int rc = mlm_corpus_flush(c);
        if (rc) return rc;
    }
    if (!c->pending_end && !(c->pending_end = malloc(BATCH_TEXTS * sizeof *c->pending_end)))
        return error_set(NEEDLE_ENOMEM, "out of memory reading the corpus");
    int rc = len ? array_grow((void **)&c->pending, &c->pending_cap, c->pending_len + len - 1, 1) : 0;
    if (rc) return error_prefix(rc, "reading the corpus (a text of %zu bytes): ", len);
    memcpy(c->pending + c->pending_len, text, len);
    c->pending_len += len;
    c->pending_end[c->n_pending++] = c->pending_len;
    return 0;
}

static size_t text_start(const mlm_corpus *c, size_t i) { return i ? c->text_end[i - 1] : 0; }

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int mlm_corpus_split(const mlm_corpus *c, double dev_fraction, uint64_t seed, size_t **train, size_t *n_train,
                     size_t **dev, size_t *n_dev) {
    *train = *dev = NULL;
    *n_train = *n_dev = 0;
    if (!(dev_fraction > 0 && dev_fraction < 1))
        return error_set(NEEDLE_EINVAL, "dev fraction %g: must be between 0 and 1", dev_fraction);
    size_t n = c->n_texts;
    if (n < 2) return error_set(NEEDLE_EINVAL, "a corpus of %zu text(s) cannot be split into train and dev", n);
    if (n > INT32_MAX) return error_set(NEEDLE_EINVAL, "too many texts to split (%zu)", n);
    int *order = malloc(n * sizeof *order);
    size_t *tr = malloc(n * sizeof *tr), *dv = malloc(n * sizeof *dv);
    if (!order || !tr || !dv) {
        free(order), free(tr), free(dv);
        return error_set(NEEDLE_ENOMEM, "out of memory splitting the corpus");
    }
    for (size_t i = 0; i < n; i++) order[i] = (int)i;
    rng r;
    rng_seed(&r, seed);
    rng_shuffle(&r, order, n);
    double want = dev_fraction * (double)c->n_ids;
    size_t in_dev = 0, k = 0;
    /* dev takes texts while it holds fewer tokens than asked, and always leaves one for train */
    for (; k < n - 1 && (double)in_dev < want; k++) {
        size_t t = (size_t)order[k];
        in_dev += c->text_end[t] - text_start(c, t);
        dv[(*n_dev)++] = t;
    }
    for (; k < n; k++) tr[(*n_train)++] = (size_t)order[k];
    free(order);
    qsort(tr, *n_train, sizeof *tr, cmp_size);
    qsort(dv, *n_dev, sizeof *dv, cmp_size);
    *train = tr;
    *dev = dv;
    return 0;
}

/* ---------------------------------------------------------------- blocks */

void mlm_blocks_free(mlm_blocks *b) {
    free(b->input_ids);
    free(b->length);
    free(b->token_type_ids);
    free(b->labels);
    memset(b, 0, sizeof *b);
}

/* Append one block of n tokens (toks) padded to b->len. */
static int block_push(mlm_blocks *b, const int32_t *toks, int n, int32_t pad) {
    if (b->n == INT32_MAX / b->len) return error_set(NEEDLE_EINVAL, "too many blocks (%d)", b->n);
    size_t rows = b->cap, lengths = b->cap; /* both arrays hold b->cap blocks; b->cap moves when both grew */
    int rc = array_grow((void **)&b->input_ids, &rows, (size_t)b->n, (size_t)b->len * sizeof *b->input_ids);
    if (!rc) rc = array_grow((void **)&b->length, &lengths, (size_t)b->n, sizeof *b->length);
    if (rc) return error_prefix(rc, "packing %d blocks: ", b->n + 1);
    b->cap = rows;
    int32_t *row = b->input_ids + (size_t)b->n * b->len;
    memcpy(row, toks, (size_t)n * sizeof *row);
    for (int t = n; t < b->len; t++) row[t] = pad;
    b->length[b->n++] = n;
    return 0;
}

int mlm_blocks_pack(const mlm_corpus *c, const size_t *texts, size_t n, const tokenizer *tk, int len, mlm_blocks *out) {
    memset(out, 0, sizeof *out);
    const tokenizer_special_ids *sp = tokenizer_specials(tk);
    if (sp->cls < 0 || sp->sep < 0 || sp->pad < 0)
        return error_set(NEEDLE_EINVAL, "packing needs the tokenizer's [CLS], [SEP] and [PAD] tokens (or <s>, </s>, <pad>)");
    if (len < 3) return error_set(NEEDLE_EINVAL, "blocks of %d tokens: at least 3 needed", len);
    out->len = len;
    int32_t *blk = malloc((size_t)len * sizeof *blk);
    if (!blk) return error_set(NEEDLE_ENOMEM, "out of memory");
    if (!texts) n = c->n_texts;
    int fill = 1, rc = 0;
    blk[0] = sp->cls;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t t = texts ? texts[i] : i;
        if (t >= c->n_texts) {
            rc = error_set(NEEDLE_EINVAL, "text %zu out of range (%zu texts)", t, c->n_texts);
            break;
        }
        /* the text's tokens, then its separator (index `end` stands for it) */
        size_t end = c->text_end[t];
        for (size_t k = text_start(c, t); k <= end && !rc; k++) {
            int is_sep = k == end;
            if (is_sep && fill == 1) continue; /* never right after [CLS] */
            blk[fill++] = is_sep ? sp->sep : c->ids[k];
            if (is_sep && fill == len - 1) { /* the separator closes the block */
                rc = block_push(out, blk, fill, sp->pad);
                fill = 1;
            } else if (fill == len - 1) {
                blk[fill++] = sp->sep;
                rc = block_push(out, blk, fill, sp->pad);
                fill = 1;
            }
        }
    }
    if (!rc && fill > 1) rc = block_push(out, blk, fill, sp->pad); /* ends with the last text's separator */
    free(blk);
    if (rc) mlm_blocks_free(out);
    return rc;
}

/* ---------------------------------------------------------------- masking */

void mlm_masker_free(mlm_masker *mk) {
    free(mk->special);
    free(mk->continuation);
    free(mk->words);
    free(mk->order);
    memset(mk, 0, sizeof *mk);
}

int mlm_masker_init(mlm_masker *mk, const tokenizer *tk, double probability, int whole_word, int max_len) {
    memset(mk, 0, sizeof *mk);
    const tokenizer_special_ids *sp = tokenizer_specials(tk);
    if (sp->mask < 0) return error_set(NEEDLE_EINVAL, "the tokenizer has no mask token ([MASK] or <mask>)");
    if (!(probability > 0 && probability <= 1))
        return error_set(NEEDLE_EINVAL, "masking probability %g: must be in (0, 1]", probability);
    if (max_len < 1) return error_set(NEEDLE_EINVAL, "masking sequences of %d tokens", max_len);
    int V = tokenizer_vocab_size(tk);
    mk->probability = probability;
    mk->whole_word = whole_word;
    mk->mask_id = sp->mask;
    mk->vocab = V;
    mk->max_len = max_len;
    mk->special = calloc((size_t)V, 1);
    mk->continuation = calloc((size_t)V, 1);
    mk->words = malloc(2 * (size_t)max_len * sizeof *mk->words);
    mk->order = malloc((size_t)max_len * sizeof *mk->order);
    if (!mk->special || !mk->continuation || !mk->words || !mk->order) {
        mlm_masker_free(mk);
        return error_set(NEEDLE_ENOMEM, "out of memory for a vocabulary of %d", V);
    }
    int pieces = 0;
    for (int id = 0; id < V; id++) {
        const char *s = tokenizer_id_to_token(tk, id);
        mk->special[id] = (uint8_t)tokenizer_is_special(tk, id);
        mk->continuation[id] = s && s[0] == '#' && s[1] == '#';
        pieces += mk->continuation[id];
    }
    const int named[] = {sp->cls, sp->sep, sp->pad, sp->mask, sp->unk, sp->bos, sp->eos};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i] >= 0 && named[i] < V) mk->special[named[i]] = 1;
    if (whole_word && !pieces)
        log_warn("whole-word masking: the vocabulary has no \"##\" pieces, so every token counts as a word");
    return 0;
}

/* Replace a chosen token as the collators do: [MASK] 80%, a random token 10%, kept 10%. */
static void replace(const mlm_masker *mk, int32_t *id, rng *r) {
    double u = rng_double(r);
    if (u < MLM_MASK_REPLACE) *id = mk->mask_id;
    else if (u < MLM_MASK_REPLACE + MLM_RANDOM_REPLACE) *id = (int32_t)rng_below(r, (uint64_t)mk->vocab);
}

static int candidate(const mlm_masker *mk, int32_t id) { return id >= 0 && id < mk->vocab && !mk->special[id]; }

/* HF's _whole_word_mask: chosen[t] = 1 for the tokens of the words taken. Word w is
 * [words[2w], words[2w+1]); a "##" piece extends the word that ends right before it. */
static int choose_words(mlm_masker *mk, const int32_t *ids, int n, uint8_t *chosen, rng *r) {
    int32_t *wd = mk->words;
    int n_words = 0;
    for (int t = 0; t < n; t++) {
        if (!candidate(mk, ids[t])) continue;
        if (n_words && mk->continuation[ids[t]] && wd[2 * n_words - 1] == t) {
            wd[2 * n_words - 1] = t + 1;
        } else {
            wd[2 * n_words] = t;
            wd[2 * n_words + 1] = t + 1;
            n_words++;
        }
    }
    for (int w = 0; w < n_words; w++) mk->order[w] = w;
    rng_shuffle(r, mk->order, (size_t)n_words);
    int quota = (int)nearbyint((double)n * mk->probability);
    if (quota < 1) quota = 1;
    int taken = 0;
    for (int k = 0; k < n_words && taken < quota; k++) {
        int w = mk->order[k], size = wd[2 * w + 1] - wd[2 * w];
        if (taken + size > quota) continue;
        for (int t = wd[2 * w]; t < wd[2 * w + 1]; t++) chosen[t] = 1;
        taken += size;
    }
    return taken;
}

int mlm_mask(mlm_masker *mk, int32_t *ids, int32_t *labels, int n, rng *r) {
    if (n > mk->max_len) return error_set(NEEDLE_EINVAL, "masking a sequence of %d tokens, at most %d", n, mk->max_len);
    uint8_t chosen[n > 0 ? n : 1];
    memset(chosen, 0, (size_t)(n > 0 ? n : 1));
    int count = 0;
    if (mk->whole_word) {
        count = choose_words(mk, ids, n, chosen, r);
    } else {
        for (int t = 0; t < n; t++)
            if (candidate(mk, ids[t]) && rng_double(r) < mk->probability) chosen[t] = 1, count++;
    }
    for (int t = 0; t < n; t++) {
        labels[t] = chosen[t] ? ids[t] : MLM_IGNORE;
        if (chosen[t]) replace(mk, &ids[t], r);
    }
    return count;
}

int mlm_blocks_mask_fixed(mlm_blocks *b, mlm_masker *mk, uint64_t seed) {
    if (b->len > mk->max_len) return error_set(NEEDLE_EINVAL, "blocks of %d tokens, masker for %d", b->len, mk->max_len);
    size_t cells = (size_t)b->n * (size_t)b->len;
    free(b->labels);
    b->labels = malloc((cells ? cells : 1) * sizeof *b->labels);
    if (!b->labels) return error_set(NEEDLE_ENOMEM, "out of memory for the masks of %d blocks", b->n);
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < b->n; i++) {
        size_t row = (size_t)i * b->len;
        mlm_mask(mk, b->input_ids + row, b->labels + row, b->length[i], &r);
        for (int t = b->length[i]; t < b->len; t++) b->labels[row + t] = MLM_IGNORE;
    }
    return 0;
}

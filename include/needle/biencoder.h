/* biencoder.h — a dense retriever: a query encoder and a passage encoder (DPR's two
 * encoders, or one shared sentence encoder), pooling, similarity, tokenisation of queries
 * and passages, embedding of any number of texts, and the directory layouts it is saved in.
 *
 * Pooling turns the encoder's outputs into one vector per text:
 *   cls     the last hidden state of the first token ([CLS] / <s>);
 *   mean    the mean of the last hidden states of the tokens with attention mask 1 (special
 *           tokens included, as sentence-transformers' Pooling computes it);
 *   pooler  the model's pooled output: BERT's pooler (dense + tanh on [CLS]); for DPR
 *           encoders HF's pooler_output, the [CLS] state or its encode_proj projection.
 * Similarity: dot product, or cosine (of L2-normalised vectors), times `scale` (DPR: dot ×1;
 * sentence-transformers' MultipleNegativesRankingLoss: cosine × 20).
 *
 * Inputs: a query is one sequence ([CLS] q [SEP]) cut to max_query_len tokens. A passage
 * is, as DPR and Haystack feed it, the pair (title, text) — [CLS] title [SEP] text [SEP],
 * truncated longest-first to max_passage_len, with token types all 0 (DPR's BiEncoder and
 * Haystack's TextSimilarityProcessor both zero them) — or, as sentence-transformers and
 * BEIR's evaluation feed it, one text: title + " " + text (just text when the title is
 * empty). Batches are padded to their longest row.
 *
 * Directory layouts (biencoder_save writes, biencoder_open reads and detects):
 *   DPR (two encoders): query_encoder/ and passage_encoder/, each an HF model directory with
 *     its tokenizer files. BERT-family encoders are saved as DPRQuestionEncoder /
 *     DPRContextEncoder (what Haystack's DensePassageRetriever.save writes and
 *     transformers loads); other families as their own HF class.
 *   sentence-transformers (one shared encoder): the HF model and tokenizer at the root,
 *     modules.json (Transformer + Pooling), sentence_bert_config.json (max_seq_length),
 *     1_Pooling/config.json (the pooling mode), config_sentence_transformers.json
 *     (similarity_fn_name). A pooling sentence-transformers cannot express (pooler) is
 *     refused when saving in this layout.
 *   Both also get retriever.json: needle's record of the settings HF's files cannot hold
 *     ({"format": "needle-retriever", "version": 1, layout, pooling, similarity, scale,
 *     max_query_length, max_passage_length, passage_input}); when present it wins.
 * A plain HF model directory (BertModel, a masked-LM checkpoint, ...) opens as the starting
 * point of a new retriever with the layout and settings asked for. */
#ifndef NEEDLE_BIENCODER_H
#define NEEDLE_BIENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"
#include "needle/progress.h"
#include "needle/tokenizer.h"

typedef enum { BIENC_LAYOUT_UNSET = 0, BIENC_DPR, BIENC_SHARED } bienc_layout;
typedef enum { BIENC_POOL_UNSET = 0, BIENC_POOL_CLS, BIENC_POOL_MEAN, BIENC_POOL_POOLER } bienc_pooling;
typedef enum { BIENC_SIM_UNSET = 0, BIENC_SIM_DOT, BIENC_SIM_COSINE } bienc_similarity;
typedef enum { BIENC_INPUT_UNSET = 0, BIENC_INPUT_PAIR, BIENC_INPUT_CONCAT } bienc_input;

typedef struct {
    bienc_layout layout;
    bienc_pooling pooling;
    bienc_similarity similarity;
    double scale;            /* 0: unset */
    int max_query_len;       /* 0: unset */
    int max_passage_len;
    bienc_input passage_input;
} bienc_config;

typedef enum { BIENC_QUERY = 0, BIENC_PASSAGE = 1 } bienc_side;

typedef struct {
    bienc_config cfg;
    model enc[2];            /* query, passage; enc[1] unused (no parameters) when shared */
    tokenizer *tok[2];       /* tok[1] == tok[0] when shared; NULL when the directory has none */
    char *tok_dir[2];        /* the directories the tokenizers came from (copied on save) */
} biencoder;

/* Names for options and files: "dpr"/"shared", "cls"/"mean"/"pooler", "dot"/"cosine",
 * "pair"/"concat". parse returns NEEDLE_EINVAL with the accepted names in the message. */
const char *bienc_layout_name(bienc_layout v);
const char *bienc_pooling_name(bienc_pooling v);
const char *bienc_similarity_name(bienc_similarity v);
const char *bienc_input_name(bienc_input v);
int bienc_layout_parse(const char *s, bienc_layout *v);
int bienc_pooling_parse(const char *s, bienc_pooling *v);
int bienc_similarity_parse(const char *s, bienc_similarity *v);
int bienc_input_parse(const char *s, bienc_input *v);

/* Open `dir` (any layout above). Fields of `want` that are set override the directory's;
 * unset ones come from the directory or, for a plain model, from the defaults of the layout:
 * DPR — pooler (for a BERT-family model converted to a DPR encoder, the [CLS] state), dot,
 * scale 1, passages as pairs; shared — mean, cosine, scale 20, passages as one text; query
 * length 64, passage length 256 (sentence-transformers: its max_seq_length for both). A
 * plain model opened with layout DPR is loaded twice (query and passage encoders start
 * equal, as Haystack's DPR initialises both from one checkpoint). `want` may be NULL. */
int biencoder_open(biencoder *b, const char *dir, const bienc_config *want, uint64_t seed);
/* Build from models the caller made (taken over; `passage` NULL for a shared encoder) and an
 * optional tokenizer directory; every field of cfg must be set. */
int biencoder_from_models(biencoder *b, model *query, model *passage, const char *tokenizer_dir, const bienc_config *cfg);
void biencoder_free(biencoder *b);
/* Write the retriever into `dir` in its layout (see above), atomically file by file. */
int biencoder_save(const biencoder *b, const char *dir);

static inline model *biencoder_model(biencoder *b, bienc_side side) {
    return b->cfg.layout == BIENC_SHARED ? &b->enc[0] : &b->enc[side];
}
/* The name a retriever's embeddings get in a document store unless told otherwise (`needle
 * retriever embed --name`, the pipeline's embedding_name): the directory's own name
 * ("models/dpr-scifact/" -> "dpr-scifact"), written into buf. */
const char *biencoder_embedding_name(const char *dir, char *buf, size_t cap);
/* The embedding size D. */
int biencoder_dim(const biencoder *b);
/* The models that train (1 shared, 2 for DPR) into models[]; returns how many. */
int biencoder_trained_models(biencoder *b, model *models[2]);

/* ---------------------------------------------------------------- tokens */

/* n rows of T token ids (padded with the tokenizer's pad id), token types and masks. */
typedef struct {
    int n, T;
    int32_t *ids, *types, *mask;
    size_t cap;              /* floats of room in each array */
    tok_windows *win;        /* scratch for the tokenizer */
    int win_cap;
} bienc_tokens;

void bienc_tokens_init(bienc_tokens *t);
void bienc_tokens_free(bienc_tokens *t);
/* Tokenise n queries (texts) or n passages (titles may be NULL or hold NULL entries: no
 * title) on all cores, padded to the longest row. */
int biencoder_tokenize(const biencoder *b, bienc_side side, int n, const char *const *titles, const char *const *texts,
                       bienc_tokens *out);

/* ---------------------------------------------------------------- pooling */

/* Pool the last forward of `m` (B rows of T tokens, mask [B, T]) into out [B, D]. */
int biencoder_pool(const biencoder *b, const model *m, const int32_t *mask, float *out);
/* Floats of scratch biencoder_pool_backward needs for B rows of T tokens. */
size_t biencoder_pool_scratch(const biencoder *b, const model *m, int B, int T);
/* Back-propagate d_emb [B, D] (gradients of the pooled vectors) through the pooling and the
 * model's last forward (gradients ADD into the model's gradient block). */
int biencoder_pool_backward(const biencoder *b, model *m, const int32_t *mask, const float *d_emb, float *scratch);

/* ---------------------------------------------------------------- embedding */

/* Embed n texts of one side in evaluation mode: out [n, D] (raw pooled vectors; cosine
 * models are normalised only when scored). Texts are tokenised in blocks, sorted by length
 * within a block and run in batches of `batch` rows padded to their own longest row, so
 * little is spent on padding. Leaves the side's model with inference buffers. `bar` (may be
 * NULL) is advanced by n. */
int biencoder_embed(biencoder *b, bienc_side side, size_t n, const char *const *titles, const char *const *texts,
                    int batch, float *out, progress *bar);

#endif

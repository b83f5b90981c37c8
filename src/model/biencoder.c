/* biencoder.c — what a dense retriever does with its encoders (see biencoder.h): tokenise
 * queries and passages, pool the encoder's outputs into vectors and back-propagate through
 * the pooling, and embed any number of texts.
 *
 * Embedding sorts each block of texts by token length and cuts batches that are padded only
 * to their own longest row (sentence-transformers sorts the same way): a corpus of mixed
 * lengths then costs little more than its real tokens. Results go back to input order. */
#define _GNU_SOURCE /* qsort_r */
#include "needle/biencoder.h"
#include "needle/error.h"
#include "needle/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- names */

static const char *const LAYOUTS[] = {NULL, "dpr", "shared"};
static const char *const POOLINGS[] = {NULL, "cls", "mean", "pooler"};
static const char *const SIMILARITIES[] = {NULL, "dot", "cosine"};
static const char *const INPUTS[] = {NULL, "pair", "concat"};

const char *bienc_layout_name(bienc_layout v) { return v > 0 && v <= 2 ? LAYOUTS[v] : "unset"; }
const char *bienc_pooling_name(bienc_pooling v) { return v > 0 && v <= 3 ? POOLINGS[v] : "unset"; }
const char *bienc_similarity_name(bienc_similarity v) { return v > 0 && v <= 2 ? SIMILARITIES[v] : "unset"; }
const char *bienc_input_name(bienc_input v) { return v > 0 && v <= 2 ? INPUTS[v] : "unset"; }

static int parse_name(const char *s, const char *const *names, int n, const char *what, int *out) {
    for (int i = 1; i < n; i++)
        if (s && !strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    strbuf sb;
    strbuf_init(&sb);
    for (int i = 1; i < n; i++) strbuf_printf(&sb, "%s%s", i > 1 ? ", " : "", names[i]);
    int rc = error_set(NEEDLE_EINVAL, "%s '%s': use one of %s", what, s ? s : "", sb.data ? sb.data : "");
    strbuf_free(&sb);
    return rc;
}

int bienc_layout_parse(const char *s, bienc_layout *v) { return parse_name(s, LAYOUTS, 3, "layout", (int *)v); }
int bienc_pooling_parse(const char *s, bienc_pooling *v) { return parse_name(s, POOLINGS, 4, "pooling", (int *)v); }
int bienc_similarity_parse(const char *s, bienc_similarity *v) { return parse_name(s, SIMILARITIES, 3, "similarity", (int *)v); }
int bienc_input_parse(const char *s, bienc_input *v) { return parse_name(s, INPUTS, 3, "passage input", (int *)v); }

int biencoder_dim(const biencoder *b) {
    const model *m = &b->enc[0];
    return b->cfg.pooling == BIENC_POOL_POOLER ? model_pooled_dim(m) : m->cfg.C;
}

int biencoder_trained_models(biencoder *b, model *models[2]) {
    models[0] = &b->enc[0];
    if (b->cfg.layout == BIENC_SHARED) return 1;
    models[1] = &b->enc[1];
    return 2;
}

/* ---------------------------------------------------------------- tokens */

void bienc_tokens_init(bienc_tokens *t) { memset(t, 0, sizeof *t); }

void bienc_tokens_free(bienc_tokens *t) {
    free(t->ids);
    free(t->types);
    free(t->mask);
    for (int i = 0; i < t->win_cap; i++) tok_windows_free(&t->win[i]);
    free(t->win);
    memset(t, 0, sizeof *t);
}

static int tokens_reserve(bienc_tokens *t, int n, int T) {
    if (n > t->win_cap) {
        tok_windows *w = realloc(t->win, (size_t)n * sizeof *w);
        if (!w) return error_set(NEEDLE_ENOMEM, "out of memory for %d token windows", n);
        for (int i = t->win_cap; i < n; i++) tok_windows_init(&w[i]);
        t->win = w;
        t->win_cap = n;
    }
    size_t need = (size_t)n * (size_t)T;
    if (need > t->cap) {
        int32_t *a = realloc(t->ids, need * sizeof *a), *b = a ? realloc(t->types, need * sizeof *b) : NULL,
                *c = b ? realloc(t->mask, need * sizeof *c) : NULL;
        if (a) t->ids = a;
        if (b) t->types = b;
        if (c) t->mask = c;
        if (!c) return error_set(NEEDLE_ENOMEM, "out of memory for %d x %d tokens", n, T);
        t->cap = need;
    }
    return 0;
}

int biencoder_tokenize(const biencoder *b, bienc_side side, int n, const char *const *titles, const char *const *texts,
                       bienc_tokens *out) {
    const tokenizer *tk = b->tok[side];
    if (!tk) return error_set(NEEDLE_ENOTFOUND, "the %s encoder has no tokenizer files", side == BIENC_QUERY ? "query" : "passage");
    int rc = tokens_reserve(out, n ? n : 1, 1);
    if (rc) return rc;
    tok_options o = tok_options_default();
    o.truncation = TOK_TRUNCATE_LONGEST_FIRST;
    o.max_length = side == BIENC_QUERY ? b->cfg.max_query_len : b->cfg.max_passage_len;
    int pair = side == BIENC_PASSAGE && b->cfg.passage_input == BIENC_INPUT_PAIR;
    const char **first = malloc((size_t)(n ? n : 1) * sizeof *first), **second = NULL;
    size_t *first_len = malloc((size_t)(n ? n : 1) * sizeof *first_len), *second_len = NULL;
    char **joined = NULL;
    if (pair) {
        second = malloc((size_t)(n ? n : 1) * sizeof *second);
        second_len = malloc((size_t)(n ? n : 1) * sizeof *second_len);
    } else if (side == BIENC_PASSAGE && titles) {
        joined = calloc((size_t)(n ? n : 1), sizeof *joined);
    }
    if (!first || !first_len || (pair && (!second || !second_len)) || (side == BIENC_PASSAGE && titles && !pair && !joined)) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const char *title = titles && titles[i] ? titles[i] : "";
        if (pair) {
            first[i] = title;
            second[i] = texts[i];
            second_len[i] = strlen(texts[i]);
        } else if (joined && title[0]) {
            size_t a = strlen(title), c = strlen(texts[i]);
            if (!(joined[i] = malloc(a + c + 2))) {
                rc = error_set(NEEDLE_ENOMEM, "out of memory");
                goto done;
            }
            memcpy(joined[i], title, a);
            joined[i][a] = ' ';
            memcpy(joined[i] + a + 1, texts[i], c + 1);
            first[i] = joined[i];
        } else {
            first[i] = texts[i];
        }
        first_len[i] = strlen(first[i]);
    }
    rc = tokenizer_encode_batch(tk, n, first, first_len, pair ? second : NULL, pair ? second_len : NULL, &o, out->win, 0);
    if (rc) goto done;
    int T = 1;
    for (int i = 0; i < n; i++) T = out->win[i].w[0].n > T ? out->win[i].w[0].n : T;
    if ((rc = tokens_reserve(out, n, T))) goto done;
    int pad = tokenizer_specials(tk)->pad;
    if (pad < 0) pad = 0;
    for (int i = 0; i < n; i++) {
        const tok_encoding *e = &out->win[i].w[0];
        size_t row = (size_t)i * T;
        for (int t = 0; t < T; t++) {
            int real = t < e->n;
            out->ids[row + t] = real ? e->ids[t] : pad;
            out->types[row + t] = real && side == BIENC_QUERY ? e->type_ids[t] : 0;
            out->mask[row + t] = real;
        }
    }
    out->n = n;
    out->T = T;
done:
    if (joined)
        for (int i = 0; i < n; i++) free(joined[i]);
    free(joined);
    free(first);
    free(first_len);
    free(second);
    free(second_len);
    return rc;
}

/* ---------------------------------------------------------------- pooling */

int biencoder_pool(const biencoder *b, const model *m, const int32_t *mask, float *out) {
    int B = m->B, T = m->T, C = m->cfg.C;
    if (b->cfg.pooling == BIENC_POOL_POOLER) {
        const float *p = model_pooled(m);
        if (!p) return error_set(NEEDLE_EINVAL, "pooling 'pooler': this %s model has no pooled output", m->cfg.model_type);
        memcpy(out, p, (size_t)B * model_pooled_dim(m) * sizeof *out);
        return 0;
    }
    const float *h = model_hidden(m, m->cfg.L);
    if (!h) return error_set(NEEDLE_EINVAL, "pooling: no forward pass to pool");
    for (int i = 0; i < B; i++) {
        const float *row = h + (size_t)i * T * C;
        float *o = out + (size_t)i * C;
        if (b->cfg.pooling == BIENC_POOL_CLS) {
            memcpy(o, row, (size_t)C * sizeof *o);
            continue;
        }
        int count = 0;
        memset(o, 0, (size_t)C * sizeof *o);
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)i * T + t]) continue;
            count++;
            for (int c = 0; c < C; c++) o[c] += row[(size_t)t * C + c];
        }
        float inv = count ? 1.0f / (float)count : 0.0f;
        for (int c = 0; c < C; c++) o[c] *= inv;
    }
    return 0;
}

size_t biencoder_pool_scratch(const biencoder *b, const model *m, int B, int T) {
    return b->cfg.pooling == BIENC_POOL_POOLER ? 0 : (size_t)B * T * m->cfg.C;
}

int biencoder_pool_backward(const biencoder *b, model *m, const int32_t *mask, const float *d_emb, float *scratch) {
    int B = m->B, T = m->T, C = m->cfg.C, L = m->cfg.L;
    if (b->cfg.pooling == BIENC_POOL_POOLER) return model_backward(m, &(model_grad_in){.d_pooled = d_emb});
    memset(scratch, 0, (size_t)B * T * C * sizeof *scratch);
    for (int i = 0; i < B; i++) {
        const float *d = d_emb + (size_t)i * C;
        float *row = scratch + (size_t)i * T * C;
        if (b->cfg.pooling == BIENC_POOL_CLS) {
            memcpy(row, d, (size_t)C * sizeof *row);
            continue;
        }
        int count = 0;
        for (int t = 0; t < T; t++) count += !mask || mask[(size_t)i * T + t];
        if (!count) continue;
        float inv = 1.0f / (float)count;
        for (int t = 0; t < T; t++) {
            if (mask && !mask[(size_t)i * T + t]) continue;
            for (int c = 0; c < C; c++) row[(size_t)t * C + c] = d[c] * inv;
        }
    }
    const float *dh[L + 1];
    for (int l = 0; l <= L; l++) dh[l] = l == L ? scratch : NULL;
    return model_backward(m, &(model_grad_in){.d_hidden = dh});
}

/* ---------------------------------------------------------------- embedding */

/* Longest first, then input order; `len` holds the rows' lengths. */
static int by_length_desc(const void *a, const void *b, void *len) {
    const int *l = len;
    int x = *(const int *)a, y = *(const int *)b;
    if (l[x] != l[y]) return l[y] - l[x];
    return x - y;
}

#define EMBED_BLOCK 2048

int biencoder_embed(biencoder *b, bienc_side side, size_t n, const char *const *titles, const char *const *texts,
                    int batch, float *out, progress *bar) {
    model *m = biencoder_model(b, side);
    int D = biencoder_dim(b), maxT = side == BIENC_QUERY ? b->cfg.max_query_len : b->cfg.max_passage_len;
    if (batch < 1) return error_set(NEEDLE_EINVAL, "embedding batch %d: must be at least 1", batch);
    int rc = 0;
    if (m->train || !m->acts || m->max_B < batch || m->max_T < maxT) rc = model_alloc(m, batch, maxT, MODEL_INFER);
    if (rc) return rc;
    bienc_tokens tk;
    bienc_tokens_init(&tk);
    int *order = malloc(EMBED_BLOCK * sizeof *order), *len = malloc(EMBED_BLOCK * sizeof *len);
    int32_t *ids = malloc((size_t)batch * maxT * sizeof *ids), *types = malloc((size_t)batch * maxT * sizeof *types),
            *mask = malloc((size_t)batch * maxT * sizeof *mask);
    float *pooled = malloc((size_t)batch * D * sizeof *pooled);
    if (!order || !len || !ids || !types || !mask || !pooled) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory for embedding batches");
        goto done;
    }
    for (size_t start = 0; start < n && !rc; start += EMBED_BLOCK) {
        int nb = n - start < EMBED_BLOCK ? (int)(n - start) : EMBED_BLOCK;
        if ((rc = biencoder_tokenize(b, side, nb, titles ? titles + start : NULL, texts + start, &tk))) break;
        for (int i = 0; i < nb; i++) {
            order[i] = i;
            len[i] = 0;
            for (int t = 0; t < tk.T; t++) len[i] += tk.mask[(size_t)i * tk.T + t];
        }
        qsort_r(order, (size_t)nb, sizeof *order, by_length_desc, len);
        for (int first = 0; first < nb && !rc; first += batch) {
            int B = nb - first < batch ? nb - first : batch, T = len[order[first]] ? len[order[first]] : 1;
            for (int r = 0; r < B; r++) {
                size_t src = (size_t)order[first + r] * tk.T, dst = (size_t)r * T;
                memcpy(ids + dst, tk.ids + src, (size_t)T * sizeof *ids);
                memcpy(types + dst, tk.types + src, (size_t)T * sizeof *types);
                memcpy(mask + dst, tk.mask + src, (size_t)T * sizeof *mask);
            }
            if ((rc = model_forward(m, &(model_batch){.B = B, .T = T, .input_ids = ids,
                    .token_type_ids = types, .attention_mask = mask}, NULL))) break;
            if ((rc = biencoder_pool(b, m, mask, pooled))) break;
            for (int r = 0; r < B; r++)
                memcpy(out + (start + (size_t)order[first + r]) * D, pooled + (size_t)r * D, (size_t)D * sizeof *out);
            if (bar) progress_update(bar, bar->done + (size_t)B, NULL);
        }
    }
done:
    bienc_tokens_free(&tk);
    free(order);
    free(len);
    free(ids);
    free(types);
    free(mask);
    free(pooled);
    return rc;
}

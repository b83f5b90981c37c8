/* qa_features.c — SQuAD-style windows with answer labels (see qa_features.h).
 *
 * Encoding is the tokenizer's pair encoding with only_second truncation and overflow (run on
 * all cores through tokenizer_encode_batch); this file only strips the question, lays the
 * windows out in contiguous rows and computes the labels exactly as HF's run_qa does:
 * walk in from both ends of the window's context to the tokens whose offsets cover the
 * answer's first and last characters. */
#include "needle/qa_features.h"
#include "needle/error.h"
#include "needle/pystr.h"
#include "needle/utf8.h"

#include <stdlib.h>
#include <string.h>

void qa_features_init(qa_features *f, int max_length) {
    memset(f, 0, sizeof *f);
    f->len = max_length;
}

void qa_features_free(qa_features *f) {
    free(f->input_ids);
    free(f->token_type_ids);
    free(f->attention_mask);
    free(f->offsets);
    free(f->example);
    free(f->window);
    free(f->length);
    free(f->context_start);
    free(f->context_end);
    free(f->start_position);
    free(f->end_position);
    int len = f->len;
    memset(f, 0, sizeof *f);
    f->len = len;
}

#define GROW(field, per) \
    do { \
        void *p_ = realloc(f->field, (size_t)cap * (per) * sizeof *f->field); \
        if (!p_) return error_set(NEEDLE_ENOMEM, "out of memory growing QA features to %d windows", cap); \
        f->field = p_; \
    } while (0)

static int reserve(qa_features *f, int n) {
    if (n <= f->cap) return 0;
    int cap = f->cap ? f->cap : 256;
    while (cap < n) cap *= 2;
    size_t L = (size_t)f->len;
    GROW(input_ids, L);
    GROW(token_type_ids, L);
    GROW(attention_mask, L);
    GROW(offsets, 2 * L);
    GROW(example, 1);
    GROW(window, 1);
    GROW(length, 1);
    GROW(context_start, 1);
    GROW(context_end, 1);
    GROW(start_position, 1);
    GROW(end_position, 1);
    f->cap = cap;
    return 0;
}

/* run_qa's labels for one window (offsets of context tokens only are meaningful). */
static void label(const tok_encoding *e, int cs, int ce, int s_char, int e_char, int32_t *sp, int32_t *ep) {
    *sp = *ep = 0;
    if (s_char < 0 || cs < 0) return;
    const int32_t *o = e->offsets;
    if (!(o[2 * cs] <= s_char && o[2 * ce + 1] >= e_char)) return;
    int ts = cs;
    while (ts <= ce && o[2 * ts] <= s_char) ts++;
    int te = ce;
    while (te >= cs && o[2 * te + 1] >= e_char) te--;
    *sp = ts - 1;
    *ep = te + 1;
}

/* Cut each question after its first max_tokens tokens (encoded alone, without special
 * tokens): the kept text ends where the last kept token's offsets end. */
static int truncate_questions(const tokenizer *tk, int max_tokens, const char **q, size_t *ql, int n, int threads) {
    tok_windows *w = calloc((size_t)(n ? n : 1), sizeof *w);
    if (!w) return error_set(NEEDLE_ENOMEM, "out of memory truncating %d questions", n);
    tok_options to = tok_options_default();
    to.add_special_tokens = 0;
    int rc = tokenizer_encode_batch(tk, n, q, ql, NULL, NULL, &to, w, threads);
    for (int i = 0; i < n && !rc; i++) {
        const tok_encoding *e = &w[i].w[0];
        if (e->n > max_tokens) ql[i] = utf8_byte_offset(q[i], ql[i], (size_t)e->offsets[2 * (max_tokens - 1) + 1]);
    }
    for (int i = 0; i < n; i++) tok_windows_free(&w[i]);
    free(w);
    return rc ? error_prefix(rc, "truncating questions to %d tokens: ", max_tokens) : 0;
}

int qa_features_add(qa_features *f, const tokenizer *tk, const qa_feature_options *opt, const qa_example *ex, int n,
                    int first_index, int threads) {
    if (opt->max_length != f->len)
        return error_set(NEEDLE_EINVAL, "QA features hold windows of %d tokens, not %d", f->len, opt->max_length);
    const char **q = malloc((size_t)(n ? n : 1) * sizeof *q), **c = malloc((size_t)(n ? n : 1) * sizeof *c);
    size_t *ql = malloc((size_t)(n ? n : 1) * sizeof *ql), *cl = malloc((size_t)(n ? n : 1) * sizeof *cl);
    tok_windows *w = calloc((size_t)(n ? n : 1), sizeof *w);
    int rc = q && c && ql && cl && w ? 0 : error_set(NEEDLE_ENOMEM, "out of memory featurising %d examples", n);
    for (int i = 0; i < n && !rc; i++) {
        size_t skip = pystr_space_prefix(ex[i].question, ex[i].question_len); /* question.lstrip() */
        q[i] = ex[i].question + skip;
        ql[i] = ex[i].question_len - skip;
        c[i] = ex[i].context;
        cl[i] = ex[i].context_len;
    }
    if (!rc && opt->max_query_length > 0) rc = truncate_questions(tk, opt->max_query_length, q, ql, n, threads);
    tok_options to = tok_options_default();
    to.truncation = TOK_TRUNCATE_ONLY_SECOND;
    to.max_length = opt->max_length;
    to.stride = opt->stride;
    to.overflow = 1;
    to.pad_to = opt->max_length;
    to.hf_early_exit = opt->hf_early_exit;
    if (!rc && (rc = tokenizer_encode_batch(tk, n, q, ql, c, cl, &to, w, threads)))
        rc = error_prefix(rc, "QA features of examples %d..%d: ", first_index, first_index + n - 1);
    int n0 = f->n, total = f->n;
    for (int i = 0; i < n && !rc; i++) total += w[i].n;
    if (!rc) rc = reserve(f, total);
    size_t L = (size_t)f->len;
    for (int i = 0; i < n && !rc; i++) {
        for (int k = 0; k < w[i].n; k++) {
            const tok_encoding *e = &w[i].w[k];
            int r = f->n++, cs = -1, ce = -1, real = 0;
            if (e->n != f->len) {
                rc = error_set(NEEDLE_EINVAL, "example %d: window of %d tokens, expected %d", first_index + i, e->n, f->len);
                break;
            }
            memcpy(f->input_ids + r * L, e->ids, L * sizeof *e->ids);
            memcpy(f->token_type_ids + r * L, e->type_ids, L * sizeof *e->type_ids);
            memcpy(f->attention_mask + r * L, e->attention_mask, L);
            int32_t *off = f->offsets + 2 * r * L;
            for (size_t t = 0; t < L; t++) {
                int in_context = e->seq_ids[t] == 1;
                off[2 * t] = in_context ? e->offsets[2 * t] : -1;
                off[2 * t + 1] = in_context ? e->offsets[2 * t + 1] : -1;
                if (in_context) {
                    if (cs < 0) cs = (int)t;
                    ce = (int)t;
                }
                real += e->attention_mask[t];
            }
            f->example[r] = first_index + i;
            f->window[r] = k;
            f->length[r] = real;
            f->context_start[r] = cs;
            f->context_end[r] = ce;
            label(e, cs, ce, ex[i].answer_start, ex[i].answer_end, &f->start_position[r], &f->end_position[r]);
        }
    }
    if (rc) f->n = n0; /* windows added before the call stay as they were */
    for (int i = 0; w && i < n; i++) tok_windows_free(&w[i]);
    free(w);
    free(q);
    free(c);
    free(ql);
    free(cl);
    return rc;
}

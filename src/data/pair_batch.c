/* pair_batch.c — (query, passage) pairs tokenized together and padded into one batch (see
 * pair_batch.h). The rows are laid out with the batch's own length T as the row stride, so
 * the arrays are exactly the [B, T] the model takes. */
#include "needle/pair_batch.h"
#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

void pair_batch_free(pair_batch *pb) {
    for (int i = 0; pb->enc && i < pb->cap; i++) tok_windows_free(&pb->enc[i]);
    free(pb->enc);
    free(pb->ids);
    free(pb->types);
    free(pb->mask);
    free(pb->qlen);
    free(pb->plen);
    memset(pb, 0, sizeof *pb);
}

int pair_batch_init(pair_batch *pb, int cap, int max_len, const model *m) {
    memset(pb, 0, sizeof *pb);
    if (cap < 1 || max_len < 3) return error_set(NEEDLE_EINVAL, "pair batch: %d pairs of %d tokens", cap, max_len);
    size_t n = (size_t)cap * max_len;
    pb->cap = cap;
    pb->max_len = max_len;
    pb->with_types = m->cfg.family != MODEL_ROBERTA && m->cfg.family != MODEL_DISTILBERT;
    pb->ids = malloc(n * sizeof *pb->ids);
    pb->types = malloc(n * sizeof *pb->types);
    pb->mask = malloc(n * sizeof *pb->mask);
    pb->enc = calloc((size_t)cap, sizeof *pb->enc);
    pb->qlen = malloc((size_t)cap * sizeof *pb->qlen);
    pb->plen = malloc((size_t)cap * sizeof *pb->plen);
    if (!pb->ids || !pb->types || !pb->mask || !pb->enc || !pb->qlen || !pb->plen) {
        pair_batch_free(pb);
        return error_set(NEEDLE_ENOMEM, "out of memory for %d pairs of %d tokens", cap, max_len);
    }
    return 0;
}

int pair_batch_encode(pair_batch *pb, const tokenizer *tk, int n, const char *const *queries,
                      const char *const *passages, model_batch *out) {
    if (n < 1 || n > pb->cap) return error_set(NEEDLE_EINVAL, "pair batch of %d pairs (1 to %d)", n, pb->cap);
    for (int i = 0; i < n; i++) pb->qlen[i] = strlen(queries[i]), pb->plen[i] = strlen(passages[i]);
    tok_options o = tok_options_default();
    o.truncation = TOK_TRUNCATE_LONGEST_FIRST;
    o.max_length = pb->max_len;
    o.overflow = 0;
    int rc = tokenizer_encode_batch(tk, n, queries, pb->qlen, passages, pb->plen, &o, pb->enc, 0);
    if (rc) return error_prefix(rc, "tokenizing (query, passage) pairs: ");
    int T = 1;
    for (int i = 0; i < n; i++) T = pb->enc[i].w[0].n > T ? pb->enc[i].w[0].n : T;
    int pad = tokenizer_specials(tk)->pad;
    for (int i = 0; i < n; i++) {
        const tok_encoding *e = &pb->enc[i].w[0];
        for (int t = 0; t < T; t++) {
            size_t k = (size_t)i * T + t;
            int real = t < e->n;
            pb->ids[k] = real ? e->ids[t] : (pad >= 0 ? pad : 0);
            pb->types[k] = real ? e->type_ids[t] : 0;
            pb->mask[k] = real;
        }
    }
    *out = (model_batch){.B = n, .T = T, .input_ids = pb->ids,
            .token_type_ids = pb->with_types ? pb->types : NULL, .attention_mask = pb->mask};
    return 0;
}

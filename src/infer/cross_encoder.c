/* cross_encoder.c — scores from a classification model's logits and back (see
 * cross_encoder.h). The gradient of the logits is written into a buffer the model owns for
 * it (its logits themselves: backward reads d_logits before anything overwrites them), so
 * scoring and training allocate nothing per call. */
#include "needle/cross_encoder.h"
#include "needle/error.h"

#include <math.h>
#include <stdlib.h>

int cross_encoder_check(const model *m, const char *origin) {
    if (m->cfg.head != MODEL_HEAD_CLS || m->cfg.num_labels < 1 || m->cfg.num_labels > 2)
        return error_set(NEEDLE_EINVAL, "%s: a cross-encoder needs a sequence-classification head with 1 or 2 labels "
                         "(this is %s with %d labels)", origin, model_config_architecture(&m->cfg),
                         m->cfg.head == MODEL_HEAD_CLS ? m->cfg.num_labels : 0);
    return 0;
}

int cross_encoder_forward(model *m, const model_batch *b, rng *dropout_rng, float *scores) {
    int rc = model_forward(m, b, dropout_rng);
    if (rc) return rc;
    const float *lg = model_logits(m);
    int NL = m->cfg.num_labels;
    for (int i = 0; i < b->B; i++) scores[i] = NL == 1 ? lg[i] : lg[2 * i + 1] - lg[2 * i];
    return 0;
}

int cross_encoder_backward(model *m, const float *d_scores) {
    float *dl = model_logits(m);
    if (!dl) return error_set(NEEDLE_EINVAL, "cross_encoder_backward: no forward to differentiate");
    int NL = m->cfg.num_labels;
    for (int i = 0; i < m->B; i++) {
        if (NL == 1) {
            dl[i] = d_scores[i];
        } else {
            dl[2 * i] = -d_scores[i];
            dl[2 * i + 1] = d_scores[i];
        }
    }
    return model_backward(m, &(model_grad_in){.d_logits = dl});
}

int cross_encoder_score(model *m, const tokenizer *tk, pair_batch *pb, const char *query, const char *const *passages,
                        int n, float *scores) {
    int cap = pb->cap < m->max_B ? pb->cap : m->max_B;
    const char **q = malloc((size_t)cap * sizeof *q);
    if (!q) return error_set(NEEDLE_ENOMEM, "out of memory");
    for (int i = 0; i < cap; i++) q[i] = query;
    int rc = 0;
    for (int first = 0; first < n && !rc; first += cap) {
        int B = n - first < cap ? n - first : cap;
        model_batch b;
        rc = pair_batch_encode(pb, tk, B, q, passages + first, &b);
        if (!rc) rc = cross_encoder_forward(m, &b, NULL, scores + first);
    }
    free(q);
    return rc;
}

double cross_encoder_probability(double score) { return score >= 0 ? 1 / (1 + exp(-score)) : exp(score) / (1 + exp(score)); }

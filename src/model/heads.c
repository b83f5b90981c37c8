/* heads.c — what sits on the last hidden state: the span (QA) head, the masked-LM head with
 * its decoder tied to the word embeddings, and first-token pooling (BERT/RoBERTa pooler,
 * classifier dense layers, DPR's first-token output and optional projection) feeding the
 * sequence-classification head.
 *
 * Backward starts here: the gradients of the logits, of the pooled output and of the last
 * hidden state (any of them may be absent) are combined into d(last hidden state).
 * The masked-LM head may run on selected rows only (model_batch.head_rows). */
#include "model_internal.h"
#include "needle/kernels.h"

#include <string.h>

int heads_forward(model *m) {
    const model_config *c = &m->cfg;
    const model_weights *w = m->w;
    model_acts *a = m->acts;
    int B = m->B, T = m->T, N = B * T, C = c->C, E = c->E, D = model_pool_dim(c);
    const float *hL = a->hidden[c->L];
    float ph = m->dropout_seed ? c->head_dropout : 0.0f;
    uint64_t seed = m->dropout_seed;
    if (c->head == MODEL_HEAD_SPAN) {
        const float *x = hL;
        if (a->head_in) {
            dropout_forward(a->head_in, hL, (size_t)N * C, ph, seed, SITE_HEAD_IN);
            x = a->head_in;
        }
        float *tmp = a->logits + 2 * (size_t)N;
        matmul_forward(tmp, x, w->out_w, w->out_b, N, C, 2);
        for (int n = 0; n < N; n++) {
            a->logits[n] = tmp[2 * n];
            a->logits[N + n] = tmp[2 * n + 1];
        }
    } else if (c->head == MODEL_HEAD_MLM && a->n_head_rows > 0) {
        int M = a->n_head_rows;
        const float *x = hL;
        if (a->head_selected) {
            for (int i = 0; i < M; i++)
                memcpy(a->mlm_in + (size_t)i * C, hL + (size_t)a->head_rows[i] * C, (size_t)C * sizeof(float));
            x = a->mlm_in;
        }
        matmul_forward(a->mlm_t, x, w->mlm_w, w->mlm_b, M, C, E);
        act_forward(a->mlm_a, a->mlm_t, (size_t)M * E, model_mlm_act(c));
        layernorm_forward(a->mlm_u, a->mlm_mean, a->mlm_rstd, a->mlm_a, w->mlm_ln_w, w->mlm_ln_b, M, E, c->ln_eps);
        matmul_forward(a->logits, a->mlm_u, w->wte, w->mlm_bias, M, E, c->V);
    }
    if (a->cls_in) {
        for (int b = 0; b < B; b++) memcpy(a->cls_in + (size_t)b * C, hL + (size_t)b * T * C, (size_t)C * sizeof(float));
        if (model_pool_dropout_before(c)) dropout_forward(a->cls_in, a->cls_in, (size_t)B * C, ph, seed, SITE_POOL_IN);
        int Dp = D ? D : C;
        if (model_has_pool_dense(c)) {
            matmul_forward(a->pool_pre, a->cls_in, w->pool_w, w->pool_b, B, C, Dp);
            act_forward(a->pooled, a->pool_pre, (size_t)B * Dp, model_pool_act(c));
        } else {
            memcpy(a->pooled, a->cls_in, (size_t)B * C * sizeof(float));
        }
        if (c->head == MODEL_HEAD_CLS) {
            dropout_forward(a->pooled_drop, a->pooled, (size_t)B * Dp, ph, seed, SITE_POOL_OUT);
            matmul_forward(a->logits, a->pooled_drop, w->out_w, w->out_b, B, Dp, c->num_labels);
        }
    }
    return 0;
}

/* d(first-token state) from the classifier logits and/or an external pooled gradient,
 * added into dh. */
static void pooled_backward(model *m, const model_grad_in *g, float ph) {
    const model_config *c = &m->cfg;
    model_acts *a = m->acts;
    int B = m->B, T = m->T, C = c->C, D = model_pool_dim(c), Dp = D ? D : C;
    int widest = C > Dp ? C : Dp;
    if (c->num_labels > widest) widest = c->num_labels;
    float *dp = a->dpool, *dx = a->dpool + (size_t)B * widest; /* two [B, widest] halves */
    int any = 0;
    if (c->head == MODEL_HEAD_CLS && g->d_logits) {
        matmul_backward(dp, m->g->out_w, m->g->out_b, g->d_logits, a->pooled_drop, m->w->out_w, B, Dp, c->num_labels, 0);
        dropout_backward(dp, dp, (size_t)B * Dp, ph, m->dropout_seed, SITE_POOL_OUT);
        any = 1;
    }
    if (g->d_pooled && D) {
        for (size_t i = 0; i < (size_t)B * D; i++) dp[i] = any ? dp[i] + g->d_pooled[i] : g->d_pooled[i];
        any = 1;
    }
    if (!any) return;
    if (model_has_pool_dense(c)) {
        act_backward(dp, a->pool_pre, dp, (size_t)B * Dp, model_pool_act(c));
        matmul_backward(dx, m->g->pool_w, m->g->pool_b, dp, a->cls_in, m->w->pool_w, B, C, Dp, 0);
    } else {
        dx = dp;
    }
    if (model_pool_dropout_before(c)) dropout_backward(dx, dx, (size_t)B * C, ph, m->dropout_seed, SITE_POOL_IN);
    for (int b = 0; b < B; b++) {
        float *row = a->dh + (size_t)b * T * C;
        for (int i = 0; i < C; i++) row[i] += dx[(size_t)b * C + i];
    }
}

/* d(last hidden state) into dh from the MLM logits' gradient [M, V]; with selected rows the
 * other positions get zero. */
static void mlm_head_backward(model *m, const float *d_logits) {
    const model_config *c = &m->cfg;
    const model_weights *w = m->w;
    model_weights *gw = m->g;
    model_acts *a = m->acts;
    int N = m->B * m->T, M = a->n_head_rows, C = c->C, E = c->E;
    if (a->head_selected) memset(a->dh, 0, (size_t)N * C * sizeof(float));
    if (M == 0) return;
    matmul_backward(a->dt, gw->wte, gw->mlm_bias, d_logits, a->mlm_u, w->wte, M, E, c->V, 0);
    layernorm_backward(a->dr, gw->mlm_ln_w, gw->mlm_ln_b, a->dt, a->mlm_a, a->mlm_mean, a->mlm_rstd, w->mlm_ln_w, M, E);
    act_backward(a->dr, a->mlm_t, a->dr, (size_t)M * E, model_mlm_act(c));
    if (!a->head_selected) {
        matmul_backward(a->dh, gw->mlm_w, gw->mlm_b, a->dr, a->hidden[c->L], w->mlm_w, N, C, E, 0);
        return;
    }
    matmul_backward(a->dc, gw->mlm_w, gw->mlm_b, a->dr, a->mlm_in, w->mlm_w, M, C, E, 0);
    for (int i = 0; i < M; i++)
        memcpy(a->dh + (size_t)a->head_rows[i] * C, a->dc + (size_t)i * C, (size_t)C * sizeof(float));
}

void heads_backward(model *m, const model_grad_in *g) {
    const model_config *c = &m->cfg;
    const model_weights *w = m->w;
    model_weights *gw = m->g;
    model_acts *a = m->acts;
    int N = m->B * m->T, C = c->C;
    float ph = m->dropout_seed ? c->head_dropout : 0.0f;
    const float *hL = a->hidden[c->L];
    int written = 0;
    if (g->d_logits && c->head == MODEL_HEAD_SPAN) {
        float *tmp = a->dbig;
        for (int n = 0; n < N; n++) {
            tmp[2 * n] = g->d_logits[n];
            tmp[2 * n + 1] = g->d_logits[N + n];
        }
        matmul_backward(a->dh, gw->out_w, gw->out_b, tmp, a->head_in ? a->head_in : hL, w->out_w, N, C, 2, 0);
        if (a->head_in) dropout_backward(a->dh, a->dh, (size_t)N * C, ph, m->dropout_seed, SITE_HEAD_IN);
        written = 1;
    } else if (g->d_logits && c->head == MODEL_HEAD_MLM) {
        mlm_head_backward(m, g->d_logits);
        written = 1;
    }
    size_t NC = (size_t)N * C;
    const float *extra = g->d_hidden ? g->d_hidden[c->L] : NULL;
    if (!written && extra) memcpy(a->dh, extra, NC * sizeof(float));
    else if (!written) memset(a->dh, 0, NC * sizeof(float));
    else if (extra) model_add_into(a->dh, extra, NC);
    if (a->cls_in) pooled_backward(m, g, ph);
}

/* test_model_train.c — the assembled model in training mode, where the fixtures (taken in
 * evaluation mode) cannot reach: for each family and head, with dropout on and extra
 * gradients on an intermediate hidden state, the first layer's attention probabilities and
 * the pooled output, the gradient of a loss
 * along a random direction matches the finite difference of the loss (the dropout masks are
 * a fixed function of the drawn seed, so the loss is a smooth function of the parameters).
 * Also: reproducibility from the rng state, gradient accumulation, and the memory-light
 * inference path giving the same outputs. */
#include "../test.h"
#include "needle/kernels.h"
#include "needle/model.h"

#include <omp.h>
#include <stdlib.h>

static void tiny_config(model_config *c, model_family f, model_head h) {
    model_config_default(c, f);
    c->V = 40; c->C = c->E = 16; c->L = 2; c->NH = 2; c->F = 24; c->P = 20;
    if (f == MODEL_ELECTRA) c->E = 8;
    c->head = h;
    c->num_labels = 3;
    c->has_pooler = (f == MODEL_BERT && h == MODEL_HEAD_CLS) || ((f == MODEL_BERT || f == MODEL_ROBERTA) && h == MODEL_HEAD_ENCODER);
    c->hidden_dropout = 0.2f; c->attn_dropout = 0.15f; c->head_dropout = 0.25f;
    c->init_range = 0.2f; /* large weights: non-trivial attention and activations */
    if (f == MODEL_DPR) c->projection_dim = 6;
}

typedef struct {
    model *m;
    model_batch b;
    int32_t sp[2], ep[2], labels[2 * 7];
    float *rh, *rp, *ra; /* weights of the extra terms on hidden[1], the pooled output, layer 0's attention */
    rng r;
} case_ctx;

/* loss = head loss + Σ rh ⊙ hidden[1] + Σ rp ⊙ pooled + Σ ra ⊙ attention[0]; fills *g with its
 * output gradients. */
static double loss_and_grads(case_ctx *k, float *dl, model_grad_in *g, const float **dh, const float **da) {
    model *m = k->m;
    rng r = k->r; /* the same masks at every evaluation */
    CHECK_OK(model_forward(m, &k->b, &r));
    int B = k->b.B, T = k->b.T, N = B * T, C = m->cfg.C;
    double L = 0;
    float *lg = model_logits(m);
    switch (m->cfg.head) {
    case MODEL_HEAD_SPAN: L = span_loss(dl, lg, k->sp, k->ep, B, T); break;
    case MODEL_HEAD_MLM: L = xent_loss(dl, lg, k->labels, N, m->cfg.V); break;
    case MODEL_HEAD_CLS: L = xent_loss(dl, lg, k->labels, B, m->cfg.num_labels); break;
    default: break;
    }
    const float *h1 = model_hidden(m, 1), *pl = model_pooled(m);
    for (int i = 0; i < N * C; i++) L += (double)k->rh[i] * h1[i];
    for (int i = 0; pl && i < B * model_pooled_dim(m); i++) L += (double)k->rp[i] * pl[i];
    const float *a0 = model_attention(m, 0);
    for (int i = 0; i < B * m->cfg.NH * T * T; i++) L += (double)k->ra[i] * a0[i];
    for (int l = 0; l <= m->cfg.L; l++) dh[l] = l == 1 ? k->rh : NULL;
    for (int l = 0; l < m->cfg.L; l++) da[l] = l == 0 ? k->ra : NULL;
    *g = (model_grad_in){.d_logits = lg ? dl : NULL, .d_pooled = pl ? k->rp : NULL, .d_hidden = dh, .d_attention = da};
    return L;
}

static void directional_case(model_family f, model_head h, const char *what) {
    model_config c;
    tiny_config(&c, f, h);
    model m;
    CHECK_OK(model_create(&m, &c, 11));
    int B = 2, T = 7;
    int32_t ids[14], tt[14], mask[14] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < 14; i++) ids[i] = 2 + (int32_t)rng_below(&r, 30), tt[i] = i % 7 > 3;
    if (f == MODEL_ROBERTA) ids[12] = ids[13] = c.pad_id;
    model_batch batch = {.B = B, .T = T, .input_ids = ids, .token_type_ids = f == MODEL_DISTILBERT || f == MODEL_ROBERTA ? NULL : tt,
                         .attention_mask = mask};
    case_ctx k = {&m, batch, {1, 4}, {3, 5}, {0}, NULL, NULL, NULL, r};
    for (int i = 0; i < 14; i++) k.labels[i] = i % 3 ? (int32_t)rng_below(&r, 3) : -100;
    k.labels[0] = 2;
    k.rh = malloc(sizeof(float) * B * T * c.C);
    k.rp = malloc(sizeof(float) * B * c.C);
    k.ra = malloc(sizeof(float) * B * c.NH * T * T);
    for (int i = 0; i < B * c.NH * T * T; i++) k.ra[i] = (float)(0.1 * rng_normal(&r));
    for (int i = 0; i < B * T * c.C; i++) k.rh[i] = (float)(0.1 * rng_normal(&r));
    for (int i = 0; i < B * c.C; i++) k.rp[i] = (float)rng_normal(&r);
    CHECK_OK(model_alloc(&m, B, T, MODEL_TRAIN));
    float *dl = malloc(sizeof(float) * B * T * c.V);
    const float *dh[8], *da[8];
    model_grad_in g;
    loss_and_grads(&k, dl, &g, dh, da);
    CHECK_OK(model_backward(&m, &g));
    /* direction u (random), derivative g·u against (L(θ+εu) − L(θ−εu)) / 2ε in float */
    float *u = malloc(sizeof(float) * m.n_floats), *theta = malloc(sizeof(float) * m.n_floats);
    double gu = 0;
    for (size_t i = 0; i < m.n_floats; i++) u[i] = (float)rng_normal(&r);
    for (int i = 0; i < m.n_params; i++) /* padding_idx rows are constants by PyTorch's convention */
        if (m.params[i].kind == MODEL_PARAM_EMBEDDING)
            memset(u + (m.params[i].data - m.param_block) + (size_t)c.pad_id * m.params[i].shape[1], 0, sizeof(float) * m.params[i].shape[1]);
    for (size_t i = 0; i < m.n_floats; i++) gu += (double)u[i] * m.grad_block[i];
    memcpy(theta, m.param_block, sizeof(float) * m.n_floats);
    double eps = 1e-3, Lp, Lm;
    for (size_t i = 0; i < m.n_floats; i++) m.param_block[i] = theta[i] + (float)eps * u[i];
    Lp = loss_and_grads(&k, dl, &g, dh, da);
    for (size_t i = 0; i < m.n_floats; i++) m.param_block[i] = theta[i] - (float)eps * u[i];
    Lm = loss_and_grads(&k, dl, &g, dh, da);
    double fdv = (Lp - Lm) / (2 * eps), rel = fabs(fdv - gu) / fmax(fabs(gu), 1e-3);
    if (!(rel <= 3e-3)) test_fail(__FILE__, __LINE__, "%s: g·u = %.6g, finite difference %.6g (rel %.2g)", what, gu, fdv, rel);
    free(u), free(theta), free(dl), free(k.rh), free(k.rp), free(k.ra);
    model_free(&m);
}

TEST(train_directional_derivatives) {
    directional_case(MODEL_BERT, MODEL_HEAD_SPAN, "bert span");
    directional_case(MODEL_BERT, MODEL_HEAD_CLS, "bert classification");
    directional_case(MODEL_BERT, MODEL_HEAD_MLM, "bert mlm");
    directional_case(MODEL_BERT, MODEL_HEAD_ENCODER, "bert encoder + pooler");
    directional_case(MODEL_ROBERTA, MODEL_HEAD_CLS, "roberta classification");
    directional_case(MODEL_DISTILBERT, MODEL_HEAD_SPAN, "distilbert span");
    directional_case(MODEL_DISTILBERT, MODEL_HEAD_CLS, "distilbert classification");
    directional_case(MODEL_ELECTRA, MODEL_HEAD_MLM, "electra mlm");
    directional_case(MODEL_ELECTRA, MODEL_HEAD_CLS, "electra classification");
    directional_case(MODEL_DPR, MODEL_HEAD_ENCODER, "dpr with projection");
}

TEST(train_reproducible_and_accumulating) {
    model_config c;
    tiny_config(&c, MODEL_BERT, MODEL_HEAD_SPAN);
    model m;
    CHECK_OK(model_create(&m, &c, 3));
    CHECK_OK(model_alloc(&m, 2, 7, MODEL_TRAIN));
    int32_t ids[14], sp[2] = {1, 2}, ep[2] = {3, 3};
    for (int i = 0; i < 14; i++) ids[i] = 3 + i;
    model_batch b = {.B = 2, .T = 7, .input_ids = ids};
    rng r, saved;
    rng_seed(&r, 8);
    saved = r;
    float dl[28], *g1 = malloc(sizeof(float) * m.n_floats), l1[28];
    CHECK_OK(model_forward(&m, &b, &r));
    memcpy(l1, model_logits(&m), sizeof l1);
    span_loss(dl, model_logits(&m), sp, ep, 2, 7);
    CHECK_OK(model_backward(&m, &(model_grad_in){.d_logits = dl}));
    memcpy(g1, m.grad_block, sizeof(float) * m.n_floats);
    /* the next draw gives other masks; the saved state gives the same ones, bit for bit */
    CHECK_OK(model_forward(&m, &b, &r));
    CHECK(memcmp(l1, model_logits(&m), sizeof l1) != 0);
    r = saved;
    CHECK_OK(model_forward(&m, &b, &r));
    CHECK(!memcmp(l1, model_logits(&m), sizeof l1));
    /* a second backward adds the same gradient again */
    CHECK_OK(model_backward(&m, &(model_grad_in){.d_logits = dl}));
    double err = 0;
    for (size_t i = 0; i < m.n_floats; i++) err = fmax(err, fabs(m.grad_block[i] - 2 * g1[i]));
    CHECK(err <= 1e-6);
    CHECK_NEAR(model_grad_norm(&m), 0, 1e30);
    model_zero_grad(&m);
    CHECK_NEAR(model_grad_norm(&m), 0, 0);
    free(g1);
    model_free(&m);
}

TEST(infer_matches_training_buffers) {
    model_config c;
    tiny_config(&c, MODEL_ROBERTA, MODEL_HEAD_ENCODER);
    model m;
    CHECK_OK(model_create(&m, &c, 4));
    int32_t ids[14], mask[14];
    for (int i = 0; i < 14; i++) ids[i] = 3 + i, mask[i] = i < 12;
    model_batch b = {.B = 2, .T = 7, .input_ids = ids, .attention_mask = mask};
    CHECK_OK(model_alloc(&m, 2, 7, MODEL_TRAIN));
    CHECK_OK(model_forward(&m, &b, NULL));
    size_t n = 2 * 7 * 16;
    float *h = malloc(n * sizeof *h), p[32];
    memcpy(h, model_hidden(&m, c.L), n * sizeof *h);
    memcpy(p, model_pooled(&m), sizeof p);
    size_t train_bytes = model_bytes(&m);
    CHECK_OK(model_alloc(&m, 2, 7, MODEL_INFER));
    CHECK(model_bytes(&m) < train_bytes);
    CHECK_OK(model_forward(&m, &b, NULL));
    CHECK(!memcmp(h, model_hidden(&m, c.L), n * sizeof *h));
    CHECK(!memcmp(p, model_pooled(&m), sizeof p));
    CHECK(model_hidden(&m, 1) == NULL);
    rng r;
    rng_seed(&r, 1);
    CHECK_ERR(model_forward(&m, &b, &r), NEEDLE_EINVAL, "training mode needs MODEL_TRAIN");
    CHECK_ERR(model_backward(&m, &(model_grad_in){.d_pooled = p}), NEEDLE_EINVAL, "no training forward");
    ids[3] = 40;
    CHECK_ERR(model_forward(&m, &b, NULL), NEEDLE_EINVAL, "batch row 0, position 3: input id 40 is outside the vocabulary");
    b.B = 3;
    CHECK_ERR(model_forward(&m, &b, NULL), NEEDLE_EINVAL, "outside the allocated 2 x 7");
    free(h);
    model_free(&m);
}

/* MODEL_KEEP (a distillation teacher): every hidden state and attention matrix of a training
 * allocation, bit for bit, without the gradient block. */
TEST(keep_matches_training_buffers) {
    model_config c;
    tiny_config(&c, MODEL_BERT, MODEL_HEAD_SPAN);
    model m, t;
    CHECK_OK(model_create(&m, &c, 4));
    tiny_config(&c, MODEL_BERT, MODEL_HEAD_SPAN);
    CHECK_OK(model_create(&t, &c, 4));
    int32_t ids[14], mask[14];
    for (int i = 0; i < 14; i++) ids[i] = 3 + i, mask[i] = i < 12;
    model_batch b = {.B = 2, .T = 7, .input_ids = ids, .attention_mask = mask};
    CHECK_OK(model_alloc(&m, 2, 7, MODEL_TRAIN));
    CHECK_OK(model_alloc(&t, 2, 7, MODEL_KEEP));
    CHECK(t.grad_block == NULL);
    CHECK(model_bytes(&t) < model_bytes(&m));
    CHECK_OK(model_forward(&m, &b, NULL));
    CHECK_OK(model_forward(&t, &b, NULL));
    for (int l = 0; l <= c.L; l++) CHECK(!memcmp(model_hidden(&m, l), model_hidden(&t, l), sizeof(float) * 2 * 7 * c.C));
    for (int l = 0; l < c.L; l++) {
        const float *a = model_attention(&t, l);
        CHECK(!memcmp(model_attention(&m, l), a, sizeof(float) * 2 * c.NH * 7 * 7));
        for (int row = 0; row < 2 * c.NH * 7; row++) { /* probabilities over the keys; padding keys 0 */
            double s = 0;
            for (int j = 0; j < 7; j++) s += a[row * 7 + j];
            CHECK_NEAR(s, 1.0, 1e-6);
            if (row >= c.NH * 7) CHECK(a[row * 7 + 5] == 0.0f && a[row * 7 + 6] == 0.0f);
        }
    }
    CHECK(model_attention(&t, c.L) == NULL);
    CHECK_ERR(model_backward(&t, &(model_grad_in){.d_logits = model_logits(&t)}), NEEDLE_EINVAL, "no training forward");
    CHECK_OK(model_alloc(&t, 2, 7, MODEL_INFER));
    CHECK_OK(model_forward(&t, &b, NULL));
    CHECK(model_attention(&t, 0) == NULL);
    CHECK_ERR(model_alloc(&t, 2, 7, 7), NEEDLE_EINVAL, "unknown mode");
    model_free(&m);
    model_free(&t);
}

/* Every gradient element is produced by one thread in a fixed order, so a training step
 * (dropout on) gives the same bits with one thread as with several. */
TEST(train_same_bits_for_any_thread_count) {
    model_config c;
    tiny_config(&c, MODEL_BERT, MODEL_HEAD_SPAN);
    c.C = c.E = 64, c.F = 256, c.NH = 4, c.P = 64;
    int B = 2, T = 64, saved = omp_get_max_threads();
    int32_t ids[128], sp[2] = {3, 9}, ep[2] = {7, 40};
    for (int i = 0; i < B * T; i++) ids[i] = 2 + i % 37;
    float *grads[2], dl[256];
    for (int run = 0; run < 2; run++) {
        omp_set_num_threads(run ? (saved > 1 ? saved : 2) : 1);
        model m;
        CHECK_OK(model_create(&m, &c, 9));
        CHECK_OK(model_alloc(&m, B, T, MODEL_TRAIN));
        rng r;
        rng_seed(&r, 10);
        CHECK_OK(model_forward(&m, &(model_batch){.B = B, .T = T, .input_ids = ids}, &r));
        span_loss(dl, model_logits(&m), sp, ep, B, T);
        CHECK_OK(model_backward(&m, &(model_grad_in){.d_logits = dl}));
        grads[run] = malloc(sizeof(float) * m.n_floats);
        memcpy(grads[run], m.grad_block, sizeof(float) * m.n_floats);
        if (run) CHECK(!memcmp(grads[0], grads[1], sizeof(float) * m.n_floats));
        model_free(&m);
    }
    omp_set_num_threads(saved);
    free(grads[0]), free(grads[1]);
}

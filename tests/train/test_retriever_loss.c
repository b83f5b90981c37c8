/* test_retriever_loss.c — the retriever's losses and the full DPR training path against
 * independent references:
 *  - tests/fixtures/retriever/loss_golden.safetensors: PyTorch autograd (float64) on
 *    sentence-transformers' MultipleNegativesRankingLoss (cos_sim × 20 + cross-entropy,
 *    written literally), NLL with two positives for one query, and MarginMSELoss;
 *  - tests/fixtures/hf-models/dpr-golden.safetensors: Hugging Face's DPRQuestionEncoder and
 *    DPRContextEncoder with in-batch cross-entropy — pooler outputs, scores, loss and every
 *    gradient of both encoders — reproduced through needle's bi-encoder pooling, its NLL and
 *    its gradient cache (in chunks of 1 row and of the whole batch). */
#include "../model/golden_compare.h"
#include "../test.h"
#include "needle/grad_cache.h"
#include "needle/retriever_loss.h"

#include <stdlib.h>

#define LOSS_FIX FIXTURES "/retriever/loss_golden.safetensors"
#define HF FIXTURES "/hf-models"

/* Same tolerances as test_hf_golden.c: outputs 2e-5, loss 1e-5, gradients 1e-4 (1e-3 for the
 * ill-conditioned context encoder; see there). */
#define TOL_OUT 2e-5
#define TOL_LOSS 1e-5
#define TOL_GRAD 1e-4
#define TOL_GRAD_DPR_CTX 1e-3

static float *floats(const safetensors *g, const char *name, size_t *n) {
    float *v = NULL;
    CHECK_OK(safetensors_load_f32(g, name, 0, NULL, &v, n));
    return v;
}

static void torch_case(const safetensors *g, const char *name, rloss_kind kind, bienc_similarity sim, float scale) {
    char key[64];
    size_t nq, np, n;
    snprintf(key, sizeof key, "%s.q", name);
    float *q = floats(g, key, &nq);
    int D = (int)safetensors_find(g, key)->shape[1];
    snprintf(key, sizeof key, "%s.p", name);
    float *p = floats(g, key, &np);
    nq /= (size_t)D, np /= (size_t)D;
    snprintf(key, sizeof key, "%s.pos_off", name);
    int32_t *pos_off = golden_ints(g, key);
    snprintf(key, sizeof key, "%s.pos_idx", name);
    int32_t *pos_idx = golden_ints(g, key);
    snprintf(key, sizeof key, "%s.neg_off", name);
    int32_t *neg_off = golden_ints(g, key);
    snprintf(key, sizeof key, "%s.neg_idx", name);
    int32_t *neg_idx = golden_ints(g, key);
    snprintf(key, sizeof key, "%s.teacher", name);
    float *tf = safetensors_find(g, key) ? floats(g, key, &n) : NULL;
    double *teacher = tf ? malloc(np * sizeof *teacher) : NULL;
    for (size_t i = 0; tf && i < np; i++) teacher[i] = tf[i];
    rloss_batch b = {(int)nq, (int)np, D, q, p, sim, scale, pos_off, pos_idx, neg_off, neg_idx, teacher};
    float *dq = malloc(nq * D * sizeof *dq), *dp = malloc(np * D * sizeof *dp), *S = malloc(nq * np * sizeof *S);
    double loss = 0;
    CHECK_OK(retriever_loss(kind, &b, &loss, dq, dp, S));
    float lf = (float)loss;
    snprintf(key, sizeof key, "%s.scores", name);
    golden_check_tensor(g, key, S, nq * np, TOL_OUT, 0);
    snprintf(key, sizeof key, "%s.loss", name);
    golden_check_tensor(g, key, &lf, 1, TOL_LOSS, 0);
    snprintf(key, sizeof key, "%s.grad_q", name);
    golden_check_tensor(g, key, dq, nq * D, TOL_OUT, 0);
    snprintf(key, sizeof key, "%s.grad_p", name);
    golden_check_tensor(g, key, dp, np * D, TOL_OUT, 0);
    free(q), free(p), free(pos_off), free(pos_idx), free(neg_off), free(neg_idx), free(tf), free(teacher);
    free(dq), free(dp), free(S);
}

TEST(retriever_loss_matches_torch) {
    safetensors g;
    CHECK_OK(safetensors_open(&g, LOSS_FIX));
    if (!g.n) return;
    torch_case(&g, "mnrl", RLOSS_NLL, BIENC_SIM_COSINE, 20.0f);
    torch_case(&g, "multi", RLOSS_NLL, BIENC_SIM_DOT, 1.0f);
    torch_case(&g, "mmse", RLOSS_MARGIN_MSE, BIENC_SIM_DOT, 1.0f);
    safetensors_close(&g);
}

TEST(retriever_loss_rejects_bad_batches) {
    float q[4] = {1, 0, 0, 1}, p[4] = {1, 0, 0, 1}, dq[4], dp[4];
    int off[3] = {0, 1, 1}, idx[1] = {0}, noff[3] = {0, 0, 0};
    double loss, teacher[2] = {NAN, 1};
    rloss_batch b = {2, 2, 2, q, p, BIENC_SIM_DOT, 1, off, idx, noff, NULL, teacher};
    CHECK_ERR(retriever_loss(RLOSS_NLL, &b, &loss, dq, dp, NULL), NEEDLE_EINVAL, "query 1 has no positive");
    int off2[3] = {0, 1, 2}, idx2[2] = {0, 1}, noff2[3] = {0, 1, 1}, nidx[1] = {1};
    rloss_batch c = {2, 2, 2, q, p, BIENC_SIM_DOT, 1, off2, idx2, noff, NULL, teacher};
    CHECK_ERR(retriever_loss(RLOSS_MARGIN_MSE, &c, &loss, dq, dp, NULL), NEEDLE_EINVAL, "no query of the batch has a negative");
    c.neg_off = noff2, c.neg_idx = nidx;
    CHECK_ERR(retriever_loss(RLOSS_MARGIN_MSE, &c, &loss, dq, dp, NULL), NEEDLE_EINVAL, "lacks a teacher score");
}

/* Token rows of a golden id matrix (token types 0, as DPR feeds them). */
static void golden_tokens(const safetensors *g, const char *ids_name, const char *mask_name, bienc_tokens *t) {
    const st_tensor *st = safetensors_find(g, ids_name);
    t->n = (int)st->shape[0];
    t->T = (int)st->shape[1];
    t->ids = golden_ints(g, ids_name);
    t->mask = golden_ints(g, mask_name);
    t->types = calloc((size_t)t->n * t->T, sizeof *t->types);
}

static void dpr_golden_case(bienc_pooling pooling, int chunk) {
    model q, p;
    safetensors g;
    CHECK_OK(model_load(&q, HF "/dpr-question-encoder", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_load(&p, HF "/dpr-ctx-encoder", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(safetensors_open(&g, HF "/dpr-golden.safetensors"));
    biencoder b;
    bienc_config cfg = {BIENC_DPR, pooling, BIENC_SIM_DOT, 1.0, 64, 64, BIENC_INPUT_PAIR};
    CHECK_OK(biencoder_from_models(&b, &q, &p, NULL, &cfg));
    bienc_tokens qt, pt;
    bienc_tokens_init(&qt);
    bienc_tokens_init(&pt);
    golden_tokens(&g, "q_input_ids", "q_attention_mask", &qt);
    golden_tokens(&g, "p_input_ids", "p_attention_mask", &pt);
    int32_t *positives = golden_ints(&g, "positives");
    int D = biencoder_dim(&b);
    model *mq = biencoder_model(&b, BIENC_QUERY), *mp = biencoder_model(&b, BIENC_PASSAGE);
    CHECK_OK(model_alloc(mq, chunk, qt.T, MODEL_TRAIN));
    CHECK_OK(model_alloc(mp, chunk, pt.T, MODEL_TRAIN));
    grad_cache gq, gp;
    grad_cache_init(&gq);
    grad_cache_init(&gp);
    rng r;
    rng_seed(&r, 5);
    CHECK_OK(grad_cache_forward(&gq, &b, mq, &qt, chunk, &r));
    CHECK_OK(grad_cache_forward(&gp, &b, mp, &pt, chunk, &r));
    golden_check_tensor(&g, "q_emb", gq.emb, (size_t)qt.n * D, TOL_OUT, 0);
    golden_check_tensor(&g, "p_emb", gp.emb, (size_t)pt.n * D, TOL_OUT, 0);
    int pos_off[3] = {0, 1, 2};
    rloss_batch lb = {qt.n, pt.n, D, gq.emb, gp.emb, BIENC_SIM_DOT, 1.0f, pos_off, positives, NULL, NULL, NULL};
    float *dq = malloc((size_t)qt.n * D * sizeof *dq), *dp = malloc((size_t)pt.n * D * sizeof *dp),
          *S = malloc((size_t)qt.n * pt.n * sizeof *S);
    double loss;
    CHECK_OK(retriever_loss(RLOSS_NLL, &lb, &loss, dq, dp, S));
    float lf = (float)loss;
    golden_check_tensor(&g, "scores", S, (size_t)qt.n * pt.n, TOL_OUT, 0);
    golden_check_tensor(&g, "loss", &lf, 1, TOL_LOSS, 0);
    CHECK_OK(grad_cache_backward(&gq, &b, mq, &qt, dq, 1.0f));
    CHECK_OK(grad_cache_backward(&gp, &b, mp, &pt, dp, 1.0f));
    double wq = golden_check_grads(&g, mq, "q.", TOL_GRAD), wp = golden_check_grads(&g, mp, "p.", TOL_GRAD_DPR_CTX);
    fprintf(stderr, "[%s, chunk %d: gradients q %.2g, p %.2g] ", bienc_pooling_name(pooling), chunk, wq, wp);
    free(dq), free(dp), free(S), free(positives);
    grad_cache_free(&gq);
    grad_cache_free(&gp);
    bienc_tokens_free(&qt);
    bienc_tokens_free(&pt);
    biencoder_free(&b);
    safetensors_close(&g);
}

TEST(retriever_dpr_golden_through_loss_and_grad_cache) {
    dpr_golden_case(BIENC_POOL_POOLER, 4);
    dpr_golden_case(BIENC_POOL_POOLER, 1);
    dpr_golden_case(BIENC_POOL_CLS, 3);
}

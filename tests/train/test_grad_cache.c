/* test_grad_cache.c — the gradient cache against the direct computation: one forward of the
 * whole batch with its activations kept, the loss, one backward. With dropout off the two
 * must give the same gradients for every parameter up to float rounding (within 1e-5 of the
 * model's largest gradient; measured ~1e-6), for separate and shared encoders, each pooling,
 * chunk sizes that do and do not divide the batch. With dropout on, the re-run of each chunk must
 * reproduce its first-pass embeddings exactly (grad_cache_backward checks it bit for bit). */
#include "../test.h"
#include "needle/grad_cache.h"
#include "needle/retriever_loss.h"

#include <stdlib.h>

#define TOL_GC 1e-5

static void tiny_config(model_config *c, float dropout, int pooler) {
    model_config_default(c, MODEL_BERT);
    c->V = 120, c->E = c->C = 16, c->L = 2, c->NH = 2, c->F = 32, c->P = 40, c->TV = 2;
    c->hidden_dropout = c->attn_dropout = dropout;
    c->has_pooler = pooler;
    c->init_range = 0.2f; /* distinct embeddings per text: gradients without heavy cancellation */
}

/* n rows of random ids, lengths in [3, T], padded with 0. */
static void random_tokens(bienc_tokens *t, int n, int T, uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    bienc_tokens_init(t);
    t->n = n, t->T = T;
    t->ids = calloc((size_t)n * T, sizeof *t->ids);
    t->types = calloc((size_t)n * T, sizeof *t->types);
    t->mask = calloc((size_t)n * T, sizeof *t->mask);
    for (int i = 0; i < n; i++) {
        int len = 3 + (int)rng_below(&r, (uint64_t)T - 2);
        for (int k = 0; k < len; k++) {
            t->ids[(size_t)i * T + k] = k == 0 ? 2 : 5 + (int)rng_below(&r, 110);
            t->mask[(size_t)i * T + k] = 1;
        }
    }
}

typedef struct {
    int nq, np, D;
    int *pos_off, *pos_idx;
} batch_shape;

/* Two passages per query: its positive (2i) and a hard negative (2i + 1). */
static batch_shape shape_of(int nq, int D) {
    batch_shape s = {nq, 2 * nq, D, malloc((size_t)(nq + 1) * sizeof(int)), malloc((size_t)nq * sizeof(int))};
    for (int i = 0; i <= nq; i++) s.pos_off[i] = i;
    for (int i = 0; i < nq; i++) s.pos_idx[i] = 2 * i;
    return s;
}

static double loss_grads(const biencoder *b, const batch_shape *s, const float *qe, const float *pe, float *dq, float *dp) {
    rloss_batch lb = {s->nq, s->np, s->D, qe, pe, b->cfg.similarity, (float)b->cfg.scale, s->pos_off, s->pos_idx, NULL, NULL, NULL};
    double loss = 0;
    CHECK_OK(retriever_loss(RLOSS_NLL, &lb, &loss, dq, dp, NULL));
    return loss;
}

/* Rows of a padded to T columns (T >= a->T). */
static void widen(const bienc_tokens *a, int T, int32_t *ids, int32_t *types, int32_t *mask) {
    for (int i = 0; i < a->n; i++)
        for (int t = 0; t < T; t++) {
            int in = t < a->T;
            ids[(size_t)i * T + t] = in ? a->ids[(size_t)i * a->T + t] : 0;
            types[(size_t)i * T + t] = in ? a->types[(size_t)i * a->T + t] : 0;
            mask[(size_t)i * T + t] = in ? a->mask[(size_t)i * a->T + t] : 0;
        }
}

/* The direct computation: each model runs forward once over all its rows (a shared encoder
 * over queries and passages together), the loss, one backward per model. */
static void direct(biencoder *b, const bienc_tokens *qt, const bienc_tokens *pt, const batch_shape *s) {
    int D = s->D, n = qt->n + pt->n, T = qt->T > pt->T ? qt->T : pt->T;
    float *emb = malloc((size_t)n * D * sizeof *emb), *d = malloc((size_t)n * D * sizeof *d);
    if (b->cfg.layout == BIENC_SHARED) {
        model *m = &b->enc[0];
        int32_t *ids = malloc((size_t)n * T * 4), *types = malloc((size_t)n * T * 4), *mask = malloc((size_t)n * T * 4);
        widen(qt, T, ids, types, mask);
        widen(pt, T, ids + (size_t)qt->n * T, types + (size_t)qt->n * T, mask + (size_t)qt->n * T);
        CHECK_OK(model_alloc(m, n, T, MODEL_TRAIN));
        CHECK_OK(model_forward(m, &(model_batch){.B = n, .T = T, .input_ids = ids,
                .token_type_ids = types, .attention_mask = mask}, NULL));
        CHECK_OK(biencoder_pool(b, m, mask, emb));
        loss_grads(b, s, emb, emb + (size_t)qt->n * D, d, d + (size_t)qt->n * D);
        float *scratch = malloc(biencoder_pool_scratch(b, m, n, T) * sizeof *scratch + 4);
        CHECK_OK(biencoder_pool_backward(b, m, mask, d, scratch));
        free(scratch), free(ids), free(types), free(mask);
    } else {
        const bienc_tokens *side[2] = {qt, pt};
        float *e[2] = {emb, emb + (size_t)qt->n * D}, *g[2] = {d, d + (size_t)qt->n * D};
        for (int k = 0; k < 2; k++) {
            CHECK_OK(model_alloc(&b->enc[k], side[k]->n, side[k]->T, MODEL_TRAIN));
            CHECK_OK(model_forward(&b->enc[k], &(model_batch){.B = side[k]->n, .T = side[k]->T, .input_ids = side[k]->ids,
                    .token_type_ids = side[k]->types, .attention_mask = side[k]->mask}, NULL));
            CHECK_OK(biencoder_pool(b, &b->enc[k], side[k]->mask, e[k]));
        }
        loss_grads(b, s, e[0], e[1], g[0], g[1]);
        for (int k = 0; k < 2; k++) {
            float *scratch = malloc(biencoder_pool_scratch(b, &b->enc[k], side[k]->n, side[k]->T) * sizeof *scratch + 4);
            CHECK_OK(biencoder_pool_backward(b, &b->enc[k], side[k]->mask, g[k], scratch));
            free(scratch);
        }
    }
    free(emb);
    free(d);
}

/* The cached computation in chunks of `chunk` rows; returns how many values the generator drew. */
static void cached(biencoder *b, const bienc_tokens *qt, const bienc_tokens *pt, const batch_shape *s, int chunk, rng *r) {
    model *mq = biencoder_model(b, BIENC_QUERY), *mp = biencoder_model(b, BIENC_PASSAGE);
    int T = qt->T > pt->T ? qt->T : pt->T;
    CHECK_OK(model_alloc(mq, chunk, T, MODEL_TRAIN));
    if (mp != mq) CHECK_OK(model_alloc(mp, chunk, T, MODEL_TRAIN));
    grad_cache gq, gp;
    grad_cache_init(&gq);
    grad_cache_init(&gp);
    CHECK_OK(grad_cache_forward(&gq, b, mq, qt, chunk, r));
    CHECK_OK(grad_cache_forward(&gp, b, mp, pt, chunk, r));
    float *dq = malloc((size_t)s->nq * s->D * sizeof *dq), *dp = malloc((size_t)s->np * s->D * sizeof *dp);
    loss_grads(b, s, gq.emb, gp.emb, dq, dp);
    CHECK_OK(grad_cache_backward(&gp, b, mp, pt, dp, 1.0f));
    CHECK_OK(grad_cache_backward(&gq, b, mq, qt, dq, 1.0f));
    free(dq), free(dp);
    grad_cache_free(&gq);
    grad_cache_free(&gp);
}

static biencoder make(bienc_layout layout, bienc_pooling pooling, bienc_similarity sim, float dropout) {
    model_config c;
    model q, p;
    tiny_config(&c, dropout, pooling == BIENC_POOL_POOLER);
    CHECK_OK(model_create(&q, &c, 11));
    if (layout == BIENC_DPR) {
        tiny_config(&c, dropout, pooling == BIENC_POOL_POOLER);
        CHECK_OK(model_create(&p, &c, 12));
    }
    /* dot scores of these random encoders reach ~16 and saturate the softmax; scale them to ~1 */
    bienc_config bc = {layout, pooling, sim, sim == BIENC_SIM_COSINE ? 20.0 : 0.1, 40, 40, BIENC_INPUT_PAIR};
    biencoder b;
    CHECK_OK(biencoder_from_models(&b, &q, layout == BIENC_DPR ? &p : NULL, NULL, &bc));
    return b;
}

static void compare_case(bienc_layout layout, bienc_pooling pooling, bienc_similarity sim, int chunk) {
    biencoder ref = make(layout, pooling, sim, 0), gc = make(layout, pooling, sim, 0);
    bienc_tokens qt, pt;
    random_tokens(&qt, 7, 9, 1);
    random_tokens(&pt, 14, 17, 2);
    batch_shape s = shape_of(7, biencoder_dim(&ref));
    direct(&ref, &qt, &pt, &s);
    rng r;
    rng_seed(&r, 3);
    cached(&gc, &qt, &pt, &s, chunk, &r);
    double worst = 0;
    model *mr[2], *mg[2];
    int nm = biencoder_trained_models(&ref, mr);
    biencoder_trained_models(&gc, mg);
    for (int k = 0; k < nm; k++) {
        double G = 0;
        for (int i = 0; i < mr[k]->n_params; i++) for (size_t j = 0; j < mr[k]->params[i].numel; j++) G = fmax(G, fabs(mr[k]->params[i].grad[j]));
        for (int i = 0; i < mr[k]->n_params; i++) {
            const model_param *a = &mr[k]->params[i], *b = &mg[k]->params[i];
            double scale = 0, err = 0;
            for (size_t j = 0; j < a->numel; j++) {
                scale = fmax(scale, fabs(a->grad[j]));
                err = fmax(err, fabs((double)a->grad[j] - b->grad[j]));
            }
            double rel = err / G;
            worst = fmax(worst, rel);
            if (!(rel <= TOL_GC))
                test_fail(__FILE__, __LINE__, "%s %s chunk %d: %s differs by %.3g (largest %.3g)", bienc_layout_name(layout),
                          bienc_pooling_name(pooling), chunk, a->name, err, scale);
        }}
    fprintf(stderr, "[%s/%s/%s chunk %d: %.2g] ", bienc_layout_name(layout), bienc_pooling_name(pooling),
            bienc_similarity_name(sim), chunk, worst);
    free(s.pos_off), free(s.pos_idx);
    bienc_tokens_free(&qt);
    bienc_tokens_free(&pt);
    biencoder_free(&ref);
    biencoder_free(&gc);
}

TEST(grad_cache_equals_direct_computation) {
    compare_case(BIENC_DPR, BIENC_POOL_CLS, BIENC_SIM_DOT, 3);
    compare_case(BIENC_DPR, BIENC_POOL_CLS, BIENC_SIM_DOT, 14);
    compare_case(BIENC_SHARED, BIENC_POOL_MEAN, BIENC_SIM_COSINE, 4);
    compare_case(BIENC_SHARED, BIENC_POOL_POOLER, BIENC_SIM_DOT, 5);
    compare_case(BIENC_SHARED, BIENC_POOL_POOLER, BIENC_SIM_DOT, 14);
    compare_case(BIENC_SHARED, BIENC_POOL_CLS, BIENC_SIM_DOT, 5);
    compare_case(BIENC_DPR, BIENC_POOL_MEAN, BIENC_SIM_COSINE, 1);
}

TEST(grad_cache_replays_dropout) {
    biencoder off = make(BIENC_SHARED, BIENC_POOL_MEAN, BIENC_SIM_COSINE, 0),
              on = make(BIENC_SHARED, BIENC_POOL_MEAN, BIENC_SIM_COSINE, 0.1f);
    bienc_tokens qt, pt;
    random_tokens(&qt, 7, 9, 4);
    random_tokens(&pt, 14, 17, 5);
    batch_shape s = shape_of(7, biencoder_dim(&on));
    rng r1, r2;
    rng_seed(&r1, 9);
    rng_seed(&r2, 9);
    cached(&off, &qt, &pt, &s, 3, &r1);
    cached(&on, &qt, &pt, &s, 3, &r2);
    /* 3 query chunks + 5 passage chunks each drew one dropout seed. */
    rng expect;
    rng_seed(&expect, 9);
    for (int i = 0; i < 8; i++) rng_u64(&expect);
    CHECK(!memcmp(&expect, &r2, sizeof expect));
    const model_param *a = &off.enc[0].params[0], *b = &on.enc[0].params[0];
    double diff = 0;
    for (size_t j = 0; j < a->numel; j++) diff = fmax(diff, fabs((double)a->grad[j] - b->grad[j]));
    CHECK(diff > 1e-6); /* the masks were applied */
    free(s.pos_off), free(s.pos_idx);
    bienc_tokens_free(&qt);
    bienc_tokens_free(&pt);
    biencoder_free(&off);
    biencoder_free(&on);
}

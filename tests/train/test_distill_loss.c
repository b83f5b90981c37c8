/* test_distill_loss.c — the distillation losses (distill_loss.h) against PyTorch and against
 * finite differences.
 *
 * PyTorch: tests/fixtures/distill/span_kd.json holds, per case, fixed logits, teacher logits,
 * labels, temperature and weight with the loss, its two parts and d loss / d logits that
 * haystack's DistillationTrainer computes (F.kl_div(log_softmax(s/T), softmax(t/T), "batchmean")
 * over [B, L, 2], or MSELoss; the span loss; w·T²·D + (1−w)·CE), in float64 by
 * tests/tools/make_distill_fixtures.py.
 * Finite differences: each loss written again here from its definition in float64, and its
 * central differences compared with needle's gradient. */
#include "../test.h"
#include "needle/distill_loss.h"
#include "needle/json.h"
#include "needle/rng.h"

#include <stdlib.h>

#define SPAN_KD FIXTURES "/distill/span_kd.json"

static float *json_floats(const cJSON *o, const char *key, int *n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    *n = cJSON_GetArraySize(a);
    float *v = malloc((size_t)(*n ? *n : 1) * sizeof *v);
    for (int i = 0; i < *n; i++) v[i] = (float)cJSON_GetArrayItem(a, i)->valuedouble;
    return v;
}

static double json_num(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key)->valuedouble; }

/* max |a - b| / max |b| */
static double rel_err(const float *a, const double *b, size_t n) {
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i])), s = fmax(s, fabs(b[i]));
    return e / (s > 0 ? s : 1);
}

/* ---- the span loss written from its definition, in float64 --------------------------- */

typedef struct {
    int B, L, kind;
    double T, w;
    const int32_t *start, *end;
    const double *t;
    double *s;
} span_ctx;

static double lse(const double *x, int L, double scale) {
    double mx = -INFINITY, s = 0;
    for (int k = 0; k < L; k++) mx = fmax(mx, x[k] * scale);
    for (int k = 0; k < L; k++) s += exp(x[k] * scale - mx);
    return mx + log(s);
}

static double span_def(void *pc) {
    span_ctx *c = pc;
    int B = c->B, L = c->L;
    double div = 0, ce[2] = {0, 0};
    for (int r = 0; r < 2 * B; r++) {
        const double *s = c->s + (size_t)r * L, *t = c->t + (size_t)r * L;
        if (c->kind == DISTILL_KL_DIV) {
            double lt = lse(t, L, 1 / c->T), ls = lse(s, L, 1 / c->T);
            for (int k = 0; k < L; k++) {
                double p = exp(t[k] / c->T - lt);
                div += p * (log(p) - (s[k] / c->T - ls)) / B;
            }
        } else {
            for (int k = 0; k < L; k++) div += pow((s[k] - t[k]) / c->T, 2) / (2.0 * B * L);
        }
    }
    for (int e = 0; e < 2; e++) { /* HF: labels clamped to [0, L], L ignored, mean over the rest */
        int cnt = 0;
        for (int b = 0; b < B; b++) {
            int y = (e ? c->end : c->start)[b];
            y = y < 0 ? 0 : y > L ? L : y;
            if (y == L) continue;
            const double *s = c->s + ((size_t)e * B + b) * L;
            ce[e] += lse(s, L, 1) - s[y];
            cnt++;
        }
        ce[e] = cnt ? ce[e] / cnt : 0;
    }
    return c->w * c->T * c->T * div + (1 - c->w) * (ce[0] + ce[1]) / 2;
}

static void fd(double (*f)(void *), void *ctx, double *x, size_t n, double *g) {
    const double h = 1e-6;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        x[i] = v + h;
        double fp = f(ctx);
        x[i] = v - h;
        double fm = f(ctx);
        x[i] = v;
        g[i] = (fp - fm) / (2 * h);
    }
}

TEST(distill_span_loss_matches_pytorch) {
    cJSON *root;
    CHECK_OK(json_load_file(SPAN_KD, &root));
    if (!root) return;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases"), *c;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cases) {
        int B = (int)json_num(c, "B"), L = (int)json_num(c, "L"), n, ng, nt, ns, ne;
        double T = json_num(c, "temperature"), w = json_num(c, "weight");
        const char *kind_s = cJSON_GetObjectItemCaseSensitive(c, "kind")->valuestring;
        distill_kind kind = !strcmp(kind_s, "mse") ? DISTILL_MSE : DISTILL_KL_DIV;
        float *s = json_floats(c, "logits", &n), *t = json_floats(c, "teacher", &nt), *g = json_floats(c, "grad", &ng);
        float *sf = json_floats(c, "start", &ns), *ef = json_floats(c, "end", &ne);
        CHECK_INT(n, 2 * B * L);
        CHECK_INT(nt, n);
        int32_t start[8], end[8];
        for (int b = 0; b < B; b++) start[b] = (int32_t)sf[b], end[b] = (int32_t)ef[b];
        float *d = malloc((size_t)n * sizeof *d), *scratch = malloc((size_t)n * sizeof *scratch);
        distill_span_value v = distill_span_loss(d, scratch, s, t, start, end, B, L, T, w, kind);
        CHECK_NEAR(v.loss, json_num(c, "loss"), 1e-6 * fmax(1, fabs(json_num(c, "loss"))));
        CHECK_NEAR(v.div, json_num(c, "div"), 1e-6 * fmax(1, fabs(json_num(c, "div"))));
        CHECK_NEAR(v.ce, json_num(c, "ce"), 1e-6 * fmax(1, fabs(json_num(c, "ce"))));
        double *gd = malloc((size_t)n * sizeof *gd);
        for (int i = 0; i < n; i++) gd[i] = g[i];
        double e = rel_err(d, gd, (size_t)n);
        if (!(e <= 1e-5)) test_fail(__FILE__, __LINE__, "case %d (%s, T %g, w %g): gradient relative error %.3g", n_cases, kind_s, T, w, e);
        /* the gradient may overwrite the logits */
        distill_span_value v2 = distill_span_loss(s, scratch, s, t, start, end, B, L, T, w, kind);
        CHECK_NEAR(v2.loss, v.loss, 0);
        CHECK(!memcmp(s, d, (size_t)n * sizeof *d));
        free(s), free(t), free(g), free(sf), free(ef), free(d), free(scratch), free(gd);
        n_cases++;
    }
    CHECK_INT(n_cases, 5);
    cJSON_Delete(root);
}

TEST(distill_span_loss_finite_differences) {
    rng r;
    rng_seed(&r, 31);
    int B = 3, L = 6;
    size_t n = 2 * (size_t)B * L;
    int32_t start[3] = {1, 0, 6}, end[3] = {4, 2, 5}; /* 6 = L: ignored */
    const double temps[3] = {1.0, 2.5, 0.7}, weights[3] = {0.5, 1.0, 0.2};
    for (int kind = DISTILL_KL_DIV; kind <= DISTILL_MSE; kind++)
        for (int k = 0; k < 3; k++) {
            float *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t), *d = malloc(n * sizeof *d),
                  *scratch = malloc(n * sizeof *scratch);
            double *sd = malloc(n * sizeof *sd), *td = malloc(n * sizeof *td), *g = malloc(n * sizeof *g);
            for (size_t i = 0; i < n; i++) {
                s[i] = (float)(2 * rng_normal(&r)), t[i] = (float)(3 * rng_normal(&r));
                sd[i] = s[i], td[i] = t[i];
            }
            distill_span_value v = distill_span_loss(d, scratch, s, t, start, end, B, L, temps[k], weights[k], kind);
            span_ctx c = {B, L, kind, temps[k], weights[k], start, end, td, sd};
            CHECK_NEAR(v.loss, span_def(&c), 1e-6);
            fd(span_def, &c, sd, n, g);
            double e = rel_err(d, g, n);
            if (!(e <= 1e-6)) test_fail(__FILE__, __LINE__, "kind %d, T %g, w %g: gradient vs finite differences %.3g", kind, temps[k], weights[k], e);
            free(s), free(t), free(d), free(scratch), free(sd), free(td), free(g);
        }
}

/* ---- hidden-state term with a projection ------------------------------------------- */

typedef struct {
    int N, Cs, Ct;
    double *h, *W;
    const double *ht;
} hid_ctx;

static double hidden_def(void *pc) {
    hid_ctx *c = pc;
    double L = 0;
    for (int i = 0; i < c->N; i++)
        for (int o = 0; o < c->Ct; o++) {
            double y = 0;
            for (int k = 0; k < c->Cs; k++) y += c->h[i * c->Cs + k] * (c->W ? c->W[o * c->Cs + k] : (o == k));
            L += pow(y - c->ht[i * c->Ct + o], 2);
        }
    return L / ((double)c->N * c->Ct);
}

TEST(distill_hidden_loss_finite_differences) {
    rng r;
    rng_seed(&r, 32);
    int N = 5, Cs = 4, Ct = 6;
    float h[20], W[24], ht[30], dh[20] = {0}, dW[24] = {0}, scratch[30];
    double hd[20], Wd[24], htd[30], g[24];
    for (int i = 0; i < 20; i++) hd[i] = h[i] = (float)rng_normal(&r);
    for (int i = 0; i < 24; i++) Wd[i] = W[i] = (float)rng_normal(&r);
    for (int i = 0; i < 30; i++) htd[i] = ht[i] = (float)rng_normal(&r);
    double loss = distill_hidden_loss(dh, dW, scratch, h, W, ht, N, Cs, Ct, 1.0);
    hid_ctx c = {N, Cs, Ct, hd, Wd, htd};
    CHECK_NEAR(loss, hidden_def(&c), 1e-6);
    fd(hidden_def, &c, hd, 20, g);
    CHECK(rel_err(dh, g, 20) <= 1e-6);
    fd(hidden_def, &c, Wd, 24, g);
    CHECK(rel_err(dW, g, 24) <= 1e-6);
    /* accumulation with a scale, and the identity map (same widths) */
    double loss2 = distill_hidden_loss(dh, dW, scratch, h, W, ht, N, Cs, Ct, 0.5);
    CHECK_NEAR(loss2, loss, 1e-12);
    fd(hidden_def, &c, hd, 20, g);
    for (int i = 0; i < 20; i++) g[i] *= 1.5;
    CHECK(rel_err(dh, g, 20) <= 1e-6);
    float dsame[20] = {0};
    hid_ctx c2 = {N, Cs, Cs, hd, NULL, htd};
    CHECK_NEAR(distill_hidden_loss(dsame, NULL, NULL, h, NULL, ht, N, Cs, Cs, 1.0), hidden_def(&c2), 1e-6);
    fd(hidden_def, &c2, hd, 20, g);
    CHECK(rel_err(dsame, g, 20) <= 1e-6);
    CHECK_NEAR(distill_mse(NULL, h, h, 20, 1.0), 0.0, 0.0);
}

/* test_kernels.c — every CPU kernel against its plain reference version (random odd shapes,
 * padding masks, dropout), and every backward kernel against finite differences of an
 * independent float64 forward written here from the definitions (central differences,
 * h = 1e-6, tiny shapes). Loss L = Σ R ⊙ output with fixed random R, so dL/d(output) = R. */
#include "../test.h"
#include "needle/kernels.h"
#include "needle/rng.h"

#include <omp.h>
#include <stdlib.h>

static rng R;

static float *randf(size_t n, float scale) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(rng_normal(&R) * scale);
    return x;
}

static double *to_d(const float *x, size_t n) {
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

/* max |a - b| / max |b| */
static double rel_err_ff(const float *a, const float *b, size_t n) {
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)a[i] - b[i])), s = fmax(s, fabs((double)b[i]));
    return e / (s > 0 ? s : 1);
}

static double rel_err_fd(const float *a, const double *b, size_t n) {
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i])), s = fmax(s, fabs(b[i]));
    return e / (s > 0 ? s : 1);
}

#define CHECK_REL(got, ref, n, tol, what)                                                                    \
    do {                                                                                                     \
        double e_ = rel_err_ff(got, ref, n);                                                                 \
        if (!(e_ <= (tol))) test_fail(__FILE__, __LINE__, "%s: relative error %.3g > %g", what, e_, (double)(tol)); \
    } while (0)

/* ---- finite differences ----------------------------------------------------------- */

typedef double (*loss_fn)(void *ctx);

/* d loss / d x[i] for all i by central differences; x is part of ctx. */
static void fd(loss_fn f, void *ctx, double *x, size_t n, double *g) {
    const double h = 1e-6;
    for (size_t i = 0; i < n; i++) {
        double s = x[i];
        x[i] = s + h;
        double fp = f(ctx);
        x[i] = s - h;
        double fm = f(ctx);
        x[i] = s;
        g[i] = (fp - fm) / (2 * h);
    }
}

#define CHECK_FD(got, x, n, f, ctx, tol, what)                                                                \
    do {                                                                                                       \
        double *g_ = malloc((n) * sizeof *g_);                                                                 \
        fd(f, ctx, x, n, g_);                                                                                  \
        double e_ = rel_err_fd(got, g_, n);                                                                    \
        if (!(e_ <= (tol))) test_fail(__FILE__, __LINE__, "%s vs finite differences: %.3g > %g", what, e_, (double)(tol)); \
        free(g_);                                                                                              \
    } while (0)

/* ---- linear layer ------------------------------------------------------------------- */

typedef struct {
    int N, IC, OC;
    double *x, *w, *b, *r;
} lin_ctx;

static double lin_loss(void *p) {
    lin_ctx *c = p;
    double L = 0;
    for (int n = 0; n < c->N; n++)
        for (int o = 0; o < c->OC; o++) {
            double y = c->b[o];
            for (int i = 0; i < c->IC; i++) y += c->x[n * c->IC + i] * c->w[o * c->IC + i];
            L += c->r[n * c->OC + o] * y;
        }
    return L;
}

TEST(kernel_matmul) {
    rng_seed(&R, 1);
    int N = 37, IC = 19, OC = 23;
    float *x = randf((size_t)N * IC, 1), *w = randf((size_t)OC * IC, 0.3f), *b = randf(OC, 1), *r = randf((size_t)N * OC, 1);
    float *y1 = malloc(sizeof(float) * N * OC), *y2 = malloc(sizeof(float) * N * OC);
    matmul_forward(y1, x, w, b, N, IC, OC);
    matmul_forward_ref(y2, x, w, b, N, IC, OC);
    CHECK_REL(y1, y2, (size_t)N * OC, 1e-6, "matmul_forward");
    matmul_forward(y1, x, w, NULL, N, IC, OC);
    matmul_forward_ref(y2, x, w, NULL, N, IC, OC);
    CHECK_REL(y1, y2, (size_t)N * OC, 1e-6, "matmul_forward without bias");
    float *dx1 = randf((size_t)N * IC, 1), *dx2 = malloc(sizeof(float) * N * IC), *dw1 = calloc((size_t)OC * IC, 4),
          *dw2 = calloc((size_t)OC * IC, 4), *db1 = calloc(OC, 4), *db2 = calloc(OC, 4);
    memcpy(dx2, dx1, sizeof(float) * N * IC);
    for (int acc = 0; acc < 2; acc++) { /* accumulate into what is there, then overwrite */
        matmul_backward(dx1, dw1, db1, r, x, w, N, IC, OC, !acc);
        matmul_backward_ref(dx2, dw2, db2, r, x, w, N, IC, OC, !acc);
        CHECK_REL(dx1, dx2, (size_t)N * IC, 1e-6, "matmul_backward dinp");
        CHECK_REL(dw1, dw2, (size_t)OC * IC, 1e-6, "matmul_backward dw (accumulated twice)");
        CHECK_REL(db1, db2, OC, 1e-6, "matmul_backward dbias");
    }
    /* finite differences on a tiny layer */
    N = 3, IC = 4, OC = 5;
    lin_ctx c = {N, IC, OC, to_d(x, (size_t)N * IC), to_d(w, (size_t)OC * IC), to_d(b, OC), to_d(r, (size_t)N * OC)};
    float *gx = malloc(sizeof(float) * N * IC), *gw = calloc((size_t)OC * IC, 4), *gb = calloc(OC, 4);
    matmul_backward(gx, gw, gb, r, x, w, N, IC, OC, 0);
    CHECK_FD(gx, c.x, (size_t)N * IC, lin_loss, &c, 1e-6, "linear dinp");
    CHECK_FD(gw, c.w, (size_t)OC * IC, lin_loss, &c, 1e-6, "linear dw");
    CHECK_FD(gb, c.b, (size_t)OC, lin_loss, &c, 1e-6, "linear dbias");
    free(c.x), free(c.w), free(c.b), free(c.r), free(gx), free(gw), free(gb);
    free(x), free(w), free(b), free(r), free(y1), free(y2), free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
}

/* ---- LayerNorm and the residual block ------------------------------------------------- */

typedef struct {
    int N, C;
    double eps, p;
    uint64_t seed;
    double *x, *y, *w, *b, *r; /* y: residual branch (NULL for plain LayerNorm) */
} ln_ctx;

static double ln_loss(void *pc) {
    ln_ctx *c = pc;
    double L = 0, in[64];
    for (int n = 0; n < c->N; n++) {
        double m = 0, v = 0;
        for (int i = 0; i < c->C; i++) {
            size_t k = (size_t)n * c->C + i;
            double keep = c->p > 0 ? dropout_keep(c->seed, 9, k, (float)c->p) / (1 - c->p) : 1.0;
            in[i] = c->x[k] + (c->y ? keep * c->y[k] : 0.0);
            m += in[i];
        }
        m /= c->C;
        for (int i = 0; i < c->C; i++) v += (in[i] - m) * (in[i] - m);
        double rs = 1 / sqrt(v / c->C + c->eps);
        for (int i = 0; i < c->C; i++) L += c->r[n * c->C + i] * ((in[i] - m) * rs * c->w[i] + c->b[i]);
    }
    return L;
}

TEST(kernel_layernorm) {
    rng_seed(&R, 2);
    int N = 29, C = 45;
    float *x = randf((size_t)N * C, 2), *w = randf(C, 1), *b = randf(C, 1), *r = randf((size_t)N * C, 1);
    float *o1 = malloc(4 * N * C), *o2 = malloc(4 * N * C), m1[64], m2[64], s1[64], s2[64];
    layernorm_forward(o1, m1, s1, x, w, b, N, C, 1e-5f);
    layernorm_forward_ref(o2, m2, s2, x, w, b, N, C, 1e-5f);
    CHECK_REL(o1, o2, (size_t)N * C, 1e-5, "layernorm_forward");
    CHECK_REL(s1, s2, N, 1e-5, "layernorm_forward rstd");
    float *d1 = malloc(4 * N * C), *d2 = malloc(4 * N * C), *dw1 = calloc(C, 4), *dw2 = calloc(C, 4), *db1 = calloc(C, 4), *db2 = calloc(C, 4);
    layernorm_backward(d1, dw1, db1, r, x, m1, s1, w, N, C);
    layernorm_backward_ref(d2, dw2, db2, r, x, m2, s2, w, N, C);
    CHECK_REL(d1, d2, (size_t)N * C, 1e-5, "layernorm_backward dinp");
    CHECK_REL(dw1, dw2, C, 1e-5, "layernorm_backward dw");
    CHECK_REL(db1, db2, C, 1e-5, "layernorm_backward db");
    /* residual + dropout + LayerNorm equals its composition */
    float *y = randf((size_t)N * C, 1), *res = malloc(4 * N * C), *res2 = malloc(4 * N * C);
    residual_layernorm_forward(o1, res, m1, s1, x, y, w, b, N, C, 1e-5f, 0.3f, 77, 9);
    dropout_forward(res2, y, (size_t)N * C, 0.3f, 77, 9);
    for (int i = 0; i < N * C; i++) res2[i] += x[i];
    layernorm_forward_ref(o2, m2, s2, res2, w, b, N, C, 1e-5f);
    CHECK_REL(res, res2, (size_t)N * C, 1e-7, "residual_layernorm_forward residual");
    CHECK_REL(o1, o2, (size_t)N * C, 1e-5, "residual_layernorm_forward output");
    /* finite differences: plain and residual forms (backward = LN backward, then dropout) */
    N = 3, C = 6;
    ln_ctx c = {N, C, 1e-5, 0, 0, to_d(x, (size_t)N * C), NULL, to_d(w, C), to_d(b, C), to_d(r, (size_t)N * C)};
    memset(dw1, 0, 4 * C), memset(db1, 0, 4 * C);
    layernorm_forward(o1, m1, s1, x, w, b, N, C, 1e-5f);
    layernorm_backward(d1, dw1, db1, r, x, m1, s1, w, N, C);
    CHECK_FD(d1, c.x, (size_t)N * C, ln_loss, &c, 1e-4, "layernorm dinp");
    CHECK_FD(dw1, c.w, (size_t)C, ln_loss, &c, 1e-4, "layernorm dw");
    CHECK_FD(db1, c.b, (size_t)C, ln_loss, &c, 1e-4, "layernorm db");
    c.y = to_d(y, (size_t)N * C), c.p = 0.3, c.seed = 77;
    residual_layernorm_forward(o1, res, m1, s1, x, y, w, b, N, C, 1e-5f, 0.3f, 77, 9);
    layernorm_backward(d1, dw1, db1, r, res, m1, s1, w, N, C);
    dropout_backward(d2, d1, (size_t)N * C, 0.3f, 77, 9);
    CHECK_FD(d1, c.x, (size_t)N * C, ln_loss, &c, 1e-4, "residual layernorm d(x)");
    CHECK_FD(d2, c.y, (size_t)N * C, ln_loss, &c, 1e-4, "residual layernorm d(branch) through dropout");
    free(c.x), free(c.y), free(c.w), free(c.b), free(c.r);
    free(x), free(w), free(b), free(r), free(o1), free(o2), free(d1), free(d2), free(dw1), free(dw2), free(db1), free(db2);
    free(y), free(res), free(res2);
}

/* ---- activations -------------------------------------------------------------------- */

TEST(kernel_activations) {
    rng_seed(&R, 3);
    size_t n = 1001;
    float *x = randf(n, 3), *y = malloc(4 * n), *d = malloc(4 * n), *one = malloc(4 * n);
    for (size_t i = 0; i < n; i++) one[i] = 1.0f;
    x[0] = 0, x[1] = -12, x[2] = 12, x[3] = 1e-4f;
    const model_act acts[] = {ACT_GELU, ACT_GELU_TANH, ACT_RELU, ACT_TANH, ACT_NONE};
    const char *names[] = {"gelu", "gelu_tanh", "relu", "tanh", "none"};
    for (int a = 0; a < 5; a++) {
        act_forward(y, x, n, acts[a]);
        act_backward(d, x, one, n, acts[a]);
        double ey = 0, ed = 0, fdmax = 0;
        for (size_t i = 0; i < n; i++) {
            double ry = act_ref(x[i], acts[a]);
            ey = fmax(ey, fabs(y[i] - ry) / fmax(1, fabs(ry)));
            ed = fmax(ed, fabs(d[i] - act_grad_ref(x[i], acts[a])));
            if (acts[a] != ACT_RELU || fabs(x[i]) > 1e-5) { /* finite differences of the float64 definition */
                double h = 1e-6, g = (act_ref(x[i] + h, acts[a]) - act_ref(x[i] - h, acts[a])) / (2 * h);
                fdmax = fmax(fdmax, fabs(d[i] - g));
            }
        }
        if (!(ey <= 3e-7)) test_fail(__FILE__, __LINE__, "%s forward error %.3g", names[a], ey);
        if (!(ed <= 1e-6)) test_fail(__FILE__, __LINE__, "%s backward error %.3g", names[a], ed);
        if (!(fdmax <= 1e-5)) test_fail(__FILE__, __LINE__, "%s backward vs finite differences %.3g", names[a], fdmax);
    }
    free(x), free(y), free(d), free(one);
}

/* ---- dropout -------------------------------------------------------------------------- */

TEST(kernel_dropout) {
    size_t n = 200000, kept = 0;
    float *x = malloc(4 * n), *y = malloc(4 * n);
    for (size_t i = 0; i < n; i++) x[i] = 1.0f;
    dropout_forward(y, x, n, 0.1f, 12345, 3);
    for (size_t i = 0; i < n; i++) {
        CHECK(y[i] == 0.0f || fabsf(y[i] - 1.0f / 0.9f) < 1e-6f);
        CHECK((y[i] != 0.0f) == dropout_keep(12345, 3, i, 0.1f));
        kept += y[i] != 0.0f;
    }
    CHECK_NEAR((double)kept / n, 0.9, 0.003);
    /* another site or seed gives another mask; p = 0 is the identity */
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += dropout_keep(12345, 3, i, 0.5f) == dropout_keep(12345, 4, i, 0.5f);
    CHECK_NEAR((double)same / n, 0.5, 0.01);
    dropout_forward(y, x, n, 0.0f, 1, 1);
    CHECK(!memcmp(x, y, 4 * n));
    free(x), free(y);
}

/* ---- embeddings ----------------------------------------------------------------------- */

TEST(kernel_embedding) {
    rng_seed(&R, 4);
    int N = 50, E = 70, V = 11, P = 9, TV = 2;
    float *wte = randf((size_t)V * E, 1), *wpe = randf((size_t)P * E, 1), *wtt = randf((size_t)TV * E, 1);
    int32_t ids[50], pos[50], tt[50];
    for (int n = 0; n < N; n++) ids[n] = (int32_t)rng_below(&R, V), pos[n] = n % P, tt[n] = n % 2;
    float *out = malloc(4 * N * E), *dout = randf((size_t)N * E, 1);
    embedding_forward(out, ids, pos, tt, wte, wpe, wtt, N, E);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < E; i++) CHECK(out[n * E + i] == wte[ids[n] * E + i] + wpe[pos[n] * E + i] + wtt[tt[n] * E + i]);
    double *gte = calloc((size_t)V * E, 8), *gpe = calloc((size_t)P * E, 8), *gtt = calloc((size_t)TV * E, 8);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < E; i++) {
            double g = dout[n * E + i];
            if (ids[n] != 3) gte[ids[n] * E + i] += g; /* row 3 is padding_idx */
            gpe[pos[n] * E + i] += g;
            gtt[tt[n] * E + i] += g;
        }
    float *dte = calloc((size_t)V * E, 4), *dpe = calloc((size_t)P * E, 4), *dtt = calloc((size_t)TV * E, 4);
    embedding_backward(dte, dpe, dtt, dout, ids, pos, tt, N, E, 3, -1);
    if (rel_err_fd(dte, gte, (size_t)V * E) > 1e-6 || rel_err_fd(dpe, gpe, (size_t)P * E) > 1e-6 ||
        rel_err_fd(dtt, gtt, (size_t)TV * E) > 1e-6)
        test_fail(__FILE__, __LINE__, "embedding_backward differs from the scatter-add");
    free(wte), free(wpe), free(wtt), free(out), free(dout), free(gte), free(gpe), free(gtt), free(dte), free(dpe), free(dtt);
}

/* ---- attention ------------------------------------------------------------------------- */

typedef struct {
    int B, T, C, NH;
    const int32_t *mask;
    double p;
    uint64_t seed;
    double *qkv, *r, *ra; /* ra: weights of the probabilities in the loss (distillation's extra term) */
} att_ctx;

static double att_loss(void *pc) {
    att_ctx *c = pc;
    int hd = c->C / c->NH, C3 = 3 * c->C, T = c->T;
    double L = 0;
    for (int b = 0; b < c->B; b++) {
        int any = 0;
        for (int j = 0; j < T; j++) any |= c->mask[b * T + j];
        for (int h = 0; h < c->NH; h++)
            for (int i = 0; i < T; i++) {
                double s[16], mx = -INFINITY, sum = 0;
                for (int j = 0; j < T; j++) {
                    double d = 0;
                    for (int k = 0; k < hd; k++) d += c->qkv[(b * T + i) * C3 + h * hd + k] * c->qkv[(b * T + j) * C3 + c->C + h * hd + k];
                    s[j] = !any ? 0.0 : c->mask[b * T + j] ? d / sqrt(hd) : -INFINITY; /* no token: uniform */
                    mx = fmax(mx, s[j]);
                }
                for (int j = 0; j < T; j++) sum += (s[j] = exp(s[j] - mx));
                for (int j = 0; j < T; j++) L += c->ra[(((size_t)b * c->NH + h) * T + i) * T + j] * s[j] / sum;
                for (int k = 0; k < hd; k++) {
                    double o = 0;
                    for (int j = 0; j < T; j++) {
                        size_t idx = (((size_t)b * c->NH + h) * T + i) * T + j;
                        double keep = c->p > 0 ? dropout_keep(c->seed, 5, idx, (float)c->p) / (1 - c->p) : 1;
                        o += s[j] / sum * keep * c->qkv[(b * T + j) * C3 + 2 * c->C + h * hd + k];
                    }
                    L += c->r[(b * T + i) * c->C + h * hd + k] * o;
                }
            }
    }
    return L;
}

static void attention_case(int B, int T, int C, int NH, const int32_t *mask, float p, int fd_check) {
    size_t N = (size_t)B * T, NA = (size_t)B * NH * T * T;
    float *qkv = randf(N * 3 * C, 1), *r = randf(N * C, 1), *ra = randf(NA, 1), *zero = calloc(NA, sizeof *zero);
    float *o1 = malloc(4 * N * C), *o2 = malloc(4 * N * C), *a1 = malloc(4 * (size_t)B * NH * T * T),
          *a2 = malloc(4 * (size_t)B * NH * T * T), *scratch = malloc(4 * attention_scratch_floats(T, omp_get_max_threads()));
    float *d1 = malloc(4 * N * 3 * C), *d2 = malloc(4 * N * 3 * C);
    attention_forward(o1, a1, qkv, mask, B, T, C, NH, p, 99, 5, scratch);
    attention_forward_ref(o2, a2, qkv, mask, B, T, C, NH, p, 99, 5);
    CHECK_REL(o1, o2, N * C, 1e-5, "attention_forward output");
    CHECK_REL(a1, a2, (size_t)B * NH * T * T, 1e-5, "attention_forward probabilities");
    attention_forward(o2, NULL, qkv, mask, B, T, C, NH, p, 99, 5, scratch); /* inference: nothing saved */
    CHECK_REL(o2, o1, N * C, 0, "attention_forward without saved probabilities");
    attention_backward(d1, r, NULL, qkv, a1, mask, B, T, C, NH, p, 99, 5, scratch);
    attention_backward_ref(d2, r, NULL, qkv, a2, mask, B, T, C, NH, p, 99, 5);
    CHECK_REL(d1, d2, N * 3 * C, 1e-5, "attention_backward");
    if (fd_check) {
        att_ctx c = {B, T, C, NH, mask, p, 99, to_d(qkv, N * 3 * C), to_d(r, N * C), to_d(zero, NA)};
        CHECK_FD(d1, c.qkv, N * 3 * C, att_loss, &c, 1e-4, "attention dqkv");
        free(c.qkv), free(c.r), free(c.ra);
    }
    /* with a gradient on the probabilities as well (intermediate-layer distillation) */
    attention_backward(d1, r, ra, qkv, a1, mask, B, T, C, NH, p, 99, 5, scratch);
    attention_backward_ref(d2, r, ra, qkv, a2, mask, B, T, C, NH, p, 99, 5);
    CHECK_REL(d1, d2, N * 3 * C, 1e-5, "attention_backward with d(probabilities)");
    if (fd_check) {
        att_ctx c = {B, T, C, NH, mask, p, 99, to_d(qkv, N * 3 * C), to_d(r, N * C), to_d(ra, NA)};
        CHECK_FD(d1, c.qkv, N * 3 * C, att_loss, &c, 1e-4, "attention dqkv with d(probabilities)");
        free(c.qkv), free(c.r), free(c.ra);
    }
    free(qkv), free(r), free(ra), free(zero), free(o1), free(o2), free(a1), free(a2), free(scratch), free(d1), free(d2);
}

TEST(kernel_attention) {
    rng_seed(&R, 5);
    /* row 0: all tokens; row 1: padding at the end and one in the middle; row 2: no token */
    int32_t mask[3 * 7] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    attention_case(3, 7, 12, 3, mask, 0.0f, 1);
    attention_case(3, 7, 12, 3, mask, 0.25f, 1);
    attention_case(2, 33, 64, 4, NULL, 0.1f, 0);
    int32_t pad[2 * 33];
    for (int i = 0; i < 66; i++) pad[i] = i < 33 || i - 33 < 20;
    attention_case(2, 33, 64, 4, pad, 0.0f, 0);
}

/* ---- losses -------------------------------------------------------------------------- */

typedef struct {
    int R, K;
    const int32_t *labels;
    int32_t ignore;
    double *x;
} ce_ctx;

static double ce_loss(void *pc) {
    ce_ctx *c = pc;
    double L = 0;
    int n = 0;
    for (int r = 0; r < c->R; r++) {
        if (c->labels[r] == c->ignore) continue;
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < c->K; k++) mx = fmax(mx, c->x[r * c->K + k]);
        for (int k = 0; k < c->K; k++) s += exp(c->x[r * c->K + k] - mx);
        L += mx + log(s) - c->x[r * c->K + c->labels[r]];
        n++;
    }
    return n ? L / n : 0;
}

static double span_loss_d(void *pc) {
    ce_ctx *c = pc; /* R = 2B rows: start rows then end rows; labels already clamped */
    ce_ctx s = *c, e = *c;
    s.R = e.R = c->R / 2;
    e.x = c->x + (size_t)s.R * c->K;
    e.labels = c->labels + s.R;
    return (ce_loss(&s) + ce_loss(&e)) / 2;
}

TEST(kernel_losses) {
    rng_seed(&R, 6);
    int B = 4, T = 9;
    float *lg = randf(2 * (size_t)B * T, 2), *dl = malloc(4 * 2 * B * T);
    int32_t sp[4] = {3, 0, 20, -5}, ep[4] = {8, 9, 2, 4}; /* 20 and 9 are clamped to T = ignored, -5 to 0 */
    float loss = span_loss(dl, lg, sp, ep, B, T);
    int32_t clamped[8] = {3, 0, 9, 0, 8, 9, 2, 4};
    ce_ctx c = {2 * B, T, clamped, 9, to_d(lg, 2 * (size_t)B * T)};
    CHECK_NEAR(loss, span_loss_d(&c), 1e-6);
    CHECK_FD(dl, c.x, 2 * (size_t)B * T, span_loss_d, &c, 1e-6, "span_loss");
    free(c.x);
    /* cross-entropy with ignored rows, gradient written over the logits */
    int Rr = 6, K = 13;
    float *x = randf((size_t)Rr * K, 3);
    int32_t lab[6] = {0, -100, 12, 5, -100, 7};
    ce_ctx x_c = {Rr, K, lab, -100, to_d(x, (size_t)Rr * K)};
    loss = xent_loss(x, x, lab, Rr, K);
    CHECK_NEAR(loss, ce_loss(&x_c), 1e-6);
    CHECK_FD(x, x_c.x, (size_t)Rr * K, ce_loss, &x_c, 1e-6, "xent_loss (in place)");
    int32_t none[2] = {-100, -100};
    CHECK_NEAR(xent_loss(x, x, none, 2, K), 0.0, 0.0);
    for (int i = 0; i < 2 * K; i++) CHECK(x[i] == 0.0f);
    float y[3] = {0.5f, -1, 2}, t[3] = {1, 1, 1}, d[3];
    CHECK_NEAR(mse_loss(d, y, t, 3), (0.25 + 4 + 1) / 3.0, 1e-6);
    CHECK_NEAR(d[1], 2 * (-2.0) / 3, 1e-6);
    free(x_c.x), free(x), free(lg), free(dl);
}

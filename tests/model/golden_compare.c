/* golden_compare.c — comparing needle's tensors with Hugging Face's golden fixtures, shared by
 * every test that checks outputs or gradients against them (see golden_compare.h). */
#include "golden_compare.h"
#include "../test.h"

#include <stdlib.h>

double golden_max_abs(const float *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* Compare got[n] with golden tensor `name`; returns the relative error (and fails the test
 * when it exceeds tol). `floor` bounds the denominator from below. */
double golden_check_tensor(const safetensors *g, const char *name, const float *got, size_t n, double tol, double floor) {
    float *ref;
    size_t rn;
    if (safetensors_load_f32(g, name, 0, NULL, &ref, &rn)) {
        test_fail(__FILE__, __LINE__, "golden tensor %s: %s", name, error_message());
        return INFINITY;
    }
    if (rn != n) {
        test_fail(__FILE__, __LINE__, "%s: %zu elements, golden has %zu", name, n, rn);
        free(ref);
        return INFINITY;
    }
    double err = 0, scale = golden_max_abs(ref, n);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        err = d > err ? d : err;
    }
    free(ref);
    double rel = err / (scale > floor ? scale : floor);
    if (!(rel <= tol)) test_fail(__FILE__, __LINE__, "%s: relative error %.3g > %.3g (max |diff| %.3g)", name, rel, tol, err);
    return rel;
}

int32_t *golden_ints(const safetensors *g, const char *name) {
    int32_t *v = NULL;
    if (safetensors_find(g, name)) CHECK_OK(safetensors_load_i32(g, name, 0, NULL, &v, NULL));
    return v;
}

/* Whether parameter `name` of m has an exactly zero gradient under the fixture's loss. */
int golden_exact_zero_grad(const model *m, const char *name) {
    if (strstr(name, "attention.self.key.bias") || strstr(name, "attention.k_lin.bias")) return 1;
    int shift_invariant = m->cfg.head == MODEL_HEAD_SPAN || (m->cfg.family == MODEL_DPR && m->cfg.dpr_context);
    if (!shift_invariant) return 0;
    if (!strcmp(name, "qa_outputs.bias")) return 1;
    char last[160];
    int L = m->cfg.L;
    const model_param *first = &m->params[0];
    int plen = first->base_len;
    if (m->cfg.family == MODEL_DISTILBERT) snprintf(last, sizeof last, "%.*stransformer.layer.%d.output_layer_norm.bias", plen, first->name, L - 1);
    else snprintf(last, sizeof last, "%.*sencoder.layer.%d.output.LayerNorm.bias", plen, first->name, L - 1);
    return !strcmp(name, last);
}

/* Check the gradients of m against golden "grad.<pre><name>"; returns the worst relative
 * error over the non-zero ones. */
double golden_check_grads(const safetensors *g, const model *m, const char *pre, double tol) {
    double G = 0, worst = 0;
    for (int i = 0; i < m->n_params; i++) G = fmax(G, golden_max_abs(m->params[i].grad, m->params[i].numel));
    char key[200];
    for (int i = 0; i < m->n_params; i++) {
        const model_param *p = &m->params[i];
        snprintf(key, sizeof key, "grad.%s%s", pre, p->name);
        if (golden_exact_zero_grad(m, p->name)) {
            float *ref;
            CHECK_OK(safetensors_load_f32(g, key, 0, NULL, &ref, NULL));
            double mine = golden_max_abs(p->grad, p->numel), theirs = ref ? golden_max_abs(ref, p->numel) : 0;
            if (!(mine <= GOLDEN_TOL_ZERO * G && theirs <= GOLDEN_TOL_ZERO * G))
                test_fail(__FILE__, __LINE__, "%s should be zero: needle %.3g, HF %.3g (largest gradient %.3g)", key, mine, theirs, G);
            free(ref);
            continue;
        }
        worst = fmax(worst, golden_check_tensor(g, key, p->grad, p->numel, tol, 0));
    }
    return worst;
}


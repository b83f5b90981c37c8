/* test_adamw.c — AdamW's update rule as torch.optim.AdamW documents it (decoupled decay,
 * bias-corrected moments), written out here in double for a few steps, including the
 * option that exempts biases and LayerNorm weights from decay. (The HF fixtures check three
 * full-model steps against torch itself in tests/model/test_hf_golden.c.) */
#include "../test.h"
#include "needle/adamw.h"

TEST(adamw_matches_torch_rule) {
    float w[3] = {0.5f, -1.0f, 2.0f}, b[2] = {0.1f, -0.2f}, gw[3], gb[2];
    model_param p[2] = {{.name = "w", .numel = 3, .data = w, .grad = gw, .no_decay = 0},
                        {.name = "b", .numel = 2, .data = b, .grad = gb, .no_decay = 1}};
    double x[5] = {0.5, -1.0, 2.0, 0.1, -0.2}, m[5] = {0}, v[5] = {0};
    adamw_config c = {0.01, 0.9, 0.999, 1e-8, 0.1, 0};
    adamw_state s;
    CHECK_OK(adamw_init(&s, 5));
    for (int t = 1; t <= 4; t++) {
        double g[5];
        for (int i = 0; i < 5; i++) g[i] = 0.3 * (i + 1) * (t % 2 ? 1 : -0.5) + 0.01 * t;
        for (int i = 0; i < 3; i++) gw[i] = (float)g[i];
        for (int i = 0; i < 2; i++) gb[i] = (float)g[3 + i];
        adamw_step(&s, &c, p, 2);
        for (int i = 0; i < 5; i++) {
            if (i < 3) x[i] *= 1 - c.lr * c.weight_decay; /* biases (i >= 3) exempt */
            m[i] = c.beta1 * m[i] + (1 - c.beta1) * g[i];
            v[i] = c.beta2 * v[i] + (1 - c.beta2) * g[i] * g[i];
            double mh = m[i] / (1 - pow(c.beta1, t)), vh = v[i] / (1 - pow(c.beta2, t));
            x[i] -= c.lr * mh / (sqrt(vh) + c.eps);
        }
    }
    CHECK_INT(s.step, 4);
    for (int i = 0; i < 3; i++) CHECK_NEAR(w[i], x[i], 1e-6);
    for (int i = 0; i < 2; i++) CHECK_NEAR(b[i], x[3 + i], 1e-6);
    CHECK_NEAR(s.m[4], m[4], 1e-7);
    CHECK_NEAR(s.v[0], v[0], 1e-7);
    adamw_free(&s);
}

/* test_mlm_task.c — the masked-LM task through the trainer's interface.
 *
 * Golden: Hugging Face's BertForMaskedLM fixture (tests/fixtures/hf-models/bert-mlm: inputs,
 * labels with -100, the loss, every parameter's gradient and the logits, from transformers
 * 5.17 / torch 2.11) given to the task as blocks with fixed masks: one micro-step must give
 * HF's loss and gradients, a micro-step scaled by 1/4 a quarter of them, and the task's
 * evaluation HF's loss, its exponential, and the arg-max accuracy of HF's own logits.
 * Learning: a tiny model trained by the shared trainer on the fixture corpus (a small
 * grammar) with whole-word masks must bring its held-out loss, under fixed masks, well below
 * where it started (ln V), and predict better than the commonest token does. */
#include "../test.h"
#include "needle/mlm.h"
#include "needle/safetensors.h"
#include "needle/log.h"

#include <omp.h>
#include <stdlib.h>

#define HF FIXTURES "/hf-models"
#define MLM_FIX FIXTURES "/mlm"

static double max_abs(const float *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* max |got - golden| / max |golden| of tensor `name`, scaled by `scale` (golden × scale). */
static double rel_error(const safetensors *g, const char *name, const float *got, size_t n, double scale) {
    float *ref = NULL;
    size_t rn = 0;
    CHECK_OK(safetensors_load_f32(g, name, 0, NULL, &ref, &rn));
    if (!ref || rn != n) {
        test_fail(__FILE__, __LINE__, "%s: %zu values, golden %zu", name, n, rn);
        free(ref);
        return INFINITY;
    }
    double err = 0;
    for (size_t i = 0; i < n; i++) err = fmax(err, fabs((double)got[i] - scale * ref[i]));
    double rel = err / fmax(scale * max_abs(ref, n), 1e-30);
    free(ref);
    return rel;
}

TEST(mlm_task_golden_loss_gradients_and_evaluation) {
    model m;
    safetensors g;
    CHECK_OK(model_load(&m, HF "/bert-mlm", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(safetensors_open(&g, HF "/bert-mlm/golden.safetensors"));
    int32_t *ids = NULL, *mask = NULL, *tt = NULL, *labels = NULL;
    CHECK_OK(safetensors_load_i32(&g, "input_ids", 0, NULL, &ids, NULL));
    CHECK_OK(safetensors_load_i32(&g, "attention_mask", 0, NULL, &mask, NULL));
    CHECK_OK(safetensors_load_i32(&g, "token_type_ids", 0, NULL, &tt, NULL));
    CHECK_OK(safetensors_load_i32(&g, "labels", 0, NULL, &labels, NULL));
    const st_tensor *shape = safetensors_find(&g, "input_ids");
    if (!ids || !mask || !tt || !labels || !shape) return;
    int B = (int)shape->shape[0], T = (int)shape->shape[1];
    /* the fixture's attention masks are a prefix of ones (row 2 is padded after 17 tokens) */
    int32_t length[8] = {0};
    for (int b = 0; b < B; b++) {
        while (length[b] < T && mask[b * T + length[b]]) length[b]++;
        for (int t = length[b]; t < T; t++) CHECK_INT(mask[b * T + t], 0);
    }
    CHECK_INT(length[1], 17);
    mlm_blocks blocks = {B, T, ids, length, tt, labels, B};
    mlm_task task;
    CHECK_OK(mlm_task_init(&task, &m, &blocks, &blocks, NULL, B, NULL));
    trainer_task k = mlm_task_bind(&task);
    CHECK_STR(k.name, "mlm");
    CHECK_STR(k.default_metric, "loss");
    CHECK_INT(k.n_examples, B);
    rng r;
    rng_seed(&r, 1);
    int32_t ex[2] = {0, 1};
    double loss;
    size_t tokens;
    CHECK_OK(k.micro_step(k.ctx, ex, 2, 1.0f, &r, &loss, &tokens));
    CHECK_INT(tokens, 24 + 17);
    float l32 = (float)loss;
    CHECK(rel_error(&g, "loss", &l32, 1, 1.0) < 1e-5);
    /* every gradient; the attention key biases get none in exact arithmetic (softmax ignores a
     * shift), so both sides hold rounding noise there: checked to be tiny instead */
    double G = 0, worst = 0;
    for (int i = 0; i < m.n_params; i++) G = fmax(G, max_abs(m.params[i].grad, m.params[i].numel));
    char key[200];
    for (int i = 0; i < m.n_params; i++) {
        const model_param *p = &m.params[i];
        if (strstr(p->name, "attention.self.key.bias")) {
            CHECK(max_abs(p->grad, p->numel) <= 1e-6 * G);
            continue;
        }
        snprintf(key, sizeof key, "grad.%s", p->name);
        double e = rel_error(&g, key, p->grad, p->numel, 1.0);
        if (!(e < 1e-4)) test_fail(__FILE__, __LINE__, "%s: relative error %.3g", key, e);
        worst = fmax(worst, e);
    }
    fprintf(stderr, "[worst gradient error %.2g] ", worst);
    /* gradients of loss × 1/4, as the trainer scales a micro-batch of four */
    model_zero_grad(&m);
    CHECK_OK(k.micro_step(k.ctx, ex, 2, 0.25f, &r, &loss, &tokens));
    CHECK(rel_error(&g, "loss", &l32, 1, 1.0) < 1e-5);
    const model_param *w = model_find_param(&m, "bert.embeddings.word_embeddings.weight");
    CHECK(w && rel_error(&g, "grad.bert.embeddings.word_embeddings.weight", w->grad, w->numel, 0.25) < 1e-4);
    /* evaluation: HF's loss over the set, its exponential, the arg-max accuracy of HF's logits */
    float *logits = NULL;
    size_t nl = 0;
    CHECK_OK(safetensors_load_f32(&g, "out.logits", 0, NULL, &logits, &nl));
    int V = m.cfg.V;
    long masked = 0, right = 0;
    for (int row = 0; logits && row < B * T; row++) {
        if (labels[row] == -100) continue;
        int best = 0;
        for (int v = 1; v < V; v++) best = logits[(size_t)row * V + v] > logits[(size_t)row * V + best] ? v : best;
        masked++;
        right += best == labels[row];
    }
    cJSON *metrics = NULL;
    CHECK(k.evaluate != NULL);
    CHECK_OK(k.evaluate(k.ctx, &metrics));
    cJSON *ml = cJSON_GetObjectItem(metrics, "loss"), *pp = cJSON_GetObjectItem(metrics, "perplexity"),
          *acc = cJSON_GetObjectItem(metrics, "accuracy"), *mt = cJSON_GetObjectItem(metrics, "masked_tokens");
    CHECK(ml && pp && acc && mt);
    if (ml && pp && acc && mt) {
        float ev = (float)ml->valuedouble;
        CHECK(rel_error(&g, "loss", &ev, 1, 1.0) < 1e-5);
        CHECK_NEAR(pp->valuedouble, exp(ml->valuedouble), 1e-9 * pp->valuedouble);
        CHECK_INT((long)mt->valuedouble, masked);
        CHECK_NEAR(acc->valuedouble, (double)right / masked, 1e-12);
    }
    cJSON_Delete(metrics);
    /* labels outside the vocabulary are refused */
    labels[3] = V;
    mlm_task bad;
    CHECK_ERR(mlm_task_init(&bad, &m, &blocks, NULL, NULL, B, NULL), NEEDLE_EINVAL, "outside the model's vocabulary");
    free(logits);
    mlm_task_free(&task);
    free(ids), free(mask), free(tt), free(labels);
    safetensors_close(&g);
    model_free(&m);
}

static void read_lines(mlm_corpus *c, const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[4096];
    while (f && fgets(line, sizeof line, f)) CHECK_OK(mlm_corpus_add(c, line, strlen(line)));
    if (f) fclose(f);
    CHECK_OK(mlm_corpus_flush(c));
}

static double metric(const trainer_task *k, const char *name) {
    cJSON *o = NULL;
    CHECK_OK(k->evaluate(k->ctx, &o));
    const cJSON *v = o ? cJSON_GetObjectItem(o, name) : NULL;
    double x = v ? v->valuedouble : NAN;
    cJSON_Delete(o);
    return x;
}

TEST(mlm_task_heldout_loss_decreases) {
    int level = log_level(), threads = omp_get_max_threads();
    log_set_level(LOG_WARN);
    omp_set_num_threads(1);
    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(MLM_FIX "/tokenizer", &tk));
    if (!tk) return;
    mlm_corpus c;
    mlm_corpus_init(&c, tk, 1);
    read_lines(&c, MLM_FIX "/corpus.txt");
    size_t *tr, *dv, ntr, ndv;
    CHECK_OK(mlm_corpus_split(&c, 0.1, 5, &tr, &ntr, &dv, &ndv));
    mlm_blocks train, dev;
    CHECK_OK(mlm_blocks_pack(&c, tr, ntr, tk, 32, &train));
    CHECK_OK(mlm_blocks_pack(&c, dv, ndv, tk, 32, &dev));
    mlm_masker mk;
    CHECK_OK(mlm_masker_init(&mk, tk, 0.15, 1, 32));
    CHECK_OK(mlm_blocks_mask_fixed(&dev, &mk, 77));
    model_config cfg;
    model_config_default(&cfg, MODEL_BERT);
    cfg.V = tokenizer_vocab_size(tk), cfg.C = cfg.E = 32, cfg.L = 2, cfg.NH = 2, cfg.F = 64, cfg.P = 64;
    cfg.head = MODEL_HEAD_MLM;
    cfg.has_pooler = 0;
    model m;
    CHECK_OK(model_create(&m, &cfg, 3));
    mlm_task task;
    CHECK_OK(mlm_task_init(&task, &m, &train, &dev, &mk, 16, NULL));
    trainer_task k = mlm_task_bind(&task);
    double before = metric(&k, "loss");
    CHECK_NEAR(before, log(cfg.V), 0.3); /* a new model predicts about uniformly */
    trainer_options o = trainer_defaults();
    char dir[256];
    snprintf(dir, sizeof dir, "%s/mlm_learn", test_tmpdir());
    o.batch_size = 16, o.max_steps = 600, o.lr = 5e-3, o.warmup_proportion = 0.06, o.weight_decay = 0.01;
    o.save_dir = dir, o.save_final = 0, o.seed = 11;
    trainer_result res;
    CHECK_OK(trainer_run(&k, &o, &res));
    double after = metric(&k, "loss"), acc = metric(&k, "accuracy");
    /* the accuracy of always answering the commonest masked token of the held-out set */
    long count[64] = {0}, total = 0, most = 0;
    for (size_t i = 0; i < (size_t)dev.n * dev.len; i++)
        if (dev.labels[i] != MLM_IGNORE && dev.labels[i] < 64) total++, count[dev.labels[i]]++;
    for (int v = 0; v < 64; v++) most = count[v] > most ? count[v] : most;
    double majority = total ? (double)most / total : 1;
    fprintf(stderr, "[held-out loss %.3f -> %.3f, accuracy %.3f, commonest token %.3f] ", before, after, acc, majority);
    CHECK(after < 0.75 * before);
    CHECK(acc > majority + 0.05); /* context is used, not just token frequencies */
    mlm_task_free(&task);
    model_free(&m);
    mlm_masker_free(&mk);
    mlm_blocks_free(&train);
    mlm_blocks_free(&dev);
    free(tr), free(dv);
    mlm_corpus_free(&c);
    tokenizer_free(tk);
    log_set_level(level);
    omp_set_num_threads(threads);
}

/* test_trainer_resume.c — the trainer's state machine: a run interrupted by SIGTERM (raised
 * from inside a micro-step, as a user's kill arrives mid-step) finishes the step, writes a
 * checkpoint and returns; resuming it ends with bitwise the parameters of an uninterrupted run
 * (with shuffling, dropout and gradient accumulation on, so the data order, both generators and
 * the AdamW state must all be restored), and the log holds each step once. Also early stopping
 * and the best model on a scripted metric sequence, and the checkpoint file's defences against
 * damage (truncation, a flipped byte, a foreign file, another version). One thread: the
 * tiny model gains nothing from more on the shared build machine, and
 * tests/cli/test_reader_resume.sh checks the same property with all cores through the CLI. */
#include "../test.h"
#include "needle/checkpoint.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/reader.h"
#include "needle/trainer.h"
#include "reader_fixture.h"

#include <omp.h>
#include <signal.h>
#include <stdlib.h>

/* A task wrapping the reader: raises SIGTERM during micro-step number `kill_at` (counted from
 * 1; 0: never) and reports a scripted metric sequence, as "f1" and as "loss", when evaluated. */
typedef struct {
    trainer_task inner;
    int micro_steps, kill_at;
    const double *metrics;
    int n_metrics, evals;
} wrapped;

static int wrapped_micro(void *ctx, const int32_t *ex, int n, float scale, rng *r, double *loss, size_t *tokens) {
    wrapped *w = ctx;
    if (++w->micro_steps == w->kill_at) raise(SIGTERM);
    return w->inner.micro_step(w->inner.ctx, ex, n, scale, r, loss, tokens);
}

static int wrapped_eval(void *ctx, cJSON **out) {
    wrapped *w = ctx;
    double v = w->metrics[w->evals < w->n_metrics ? w->evals : w->n_metrics - 1];
    *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(*out, "f1", v);
    cJSON_AddNumberToObject(*out, "loss", v);
    w->evals++;
    return 0;
}

static int wrapped_save(void *ctx, const char *dir) {
    wrapped *w = ctx;
    return w->inner.save(w->inner.ctx, dir);
}

/* A small BERT span model over the fixture's vocabulary, dropout on. */
static void make_model(model *m) {
    model_config c;
    model_config_default(&c, MODEL_BERT);
    c.V = 30522, c.C = c.E = 16, c.L = 1, c.NH = 2, c.F = 32, c.P = 384;
    c.head = MODEL_HEAD_SPAN;
    c.hidden_dropout = c.attn_dropout = 0.1f;
    CHECK_OK(model_create(m, &c, 99));
}

typedef struct {
    fixture_windows fw;
    model m;
    reader_task rt;
    wrapped w;
    trainer_task t;
} setup;

static void setup_make(setup *s, int n_windows) {
    memset(s, 0, sizeof *s);
    CHECK_OK(fixture_windows_load(READER_FIXTURES "/windows64.jsonl", n_windows, &s->fw));
    make_model(&s->m);
    reader_windows v = fixture_view(&s->fw);
    CHECK_OK(reader_task_init(&s->rt, &s->m, &v, 2, NULL));
    s->w.inner = reader_task_bind(&s->rt);
    s->t = s->w.inner;
    s->t.ctx = &s->w;
    s->t.micro_step = wrapped_micro;
    s->t.save = wrapped_save;
}

static void setup_free(setup *s) {
    reader_task_free(&s->rt);
    model_free(&s->m);
    fixture_windows_free(&s->fw);
}

static trainer_options options(const char *dir, const char *log) {
    trainer_options o = trainer_defaults();
    o.batch_size = 2, o.grad_accum = 2, o.epochs = 3, o.lr = 1e-3, o.warmup_proportion = 0.2;
    o.weight_decay = 0.01, o.seed = 5, o.checkpoint_every = 2, o.keep_checkpoints = 2;
    o.save_dir = dir, o.log_path = log, o.save_final = 0;
    return o;
}

/* Step numbers of the step lines of a log, in order; returns their count. */
static int log_steps(const char *path, int *steps, int max) {
    char *text;
    CHECK_OK(file_read_all(path, &text, NULL));
    int n = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        cJSON *o;
        CHECK_OK(json_parse(line, (size_t)(nl - line), path, &o));
        if (cJSON_GetObjectItem(o, "loss") && n < max) steps[n++] = cJSON_GetObjectItem(o, "step")->valueint;
        cJSON_Delete(o);
    }
    free(text);
    return n;
}

TEST(trainer_sigterm_then_resume_is_bitwise) {
    char dir_a[256], dir_b[256], log_a[256], log_b[256];
    snprintf(dir_a, sizeof dir_a, "%s/resume_a", test_tmpdir());
    snprintf(dir_b, sizeof dir_b, "%s/resume_b", test_tmpdir());
    snprintf(log_a, sizeof log_a, "%s/resume_a.jsonl", test_tmpdir());
    snprintf(log_b, sizeof log_b, "%s/resume_b.jsonl", test_tmpdir());
    int level = log_level(), threads = omp_get_max_threads();
    log_set_level(LOG_WARN);
    omp_set_num_threads(1);
    /* uninterrupted: 10 windows, batch 2 x 2 -> 3 steps per epoch (the last one short), 9 steps */
    setup a;
    setup_make(&a, 10);
    trainer_options o = options(dir_a, log_a);
    trainer_result ra;
    CHECK_OK(trainer_run(&a.t, &o, &ra));
    CHECK_INT(ra.steps, 9);
    CHECK_INT(ra.interrupted, 0);
    /* interrupted during micro-step 8: 5 micro-batches per epoch in steps of 2 + 2 + 1, so step 5 */
    setup b;
    setup_make(&b, 10);
    b.w.kill_at = 8;
    o = options(dir_b, log_b);
    trainer_result rb;
    CHECK_OK(trainer_run(&b.t, &o, &rb));
    CHECK_INT(rb.interrupted, SIGTERM);
    CHECK_INT(rb.steps, 5);
    char *ck = checkpoint_path(dir_b, 5), *ck_dir = path_join(dir_b, "checkpoints"), *latest;
    CHECK_OK(checkpoint_latest(ck_dir, &latest));
    CHECK(latest && strstr(latest, "step-000000005.ckpt"));
    free(latest);
    /* a fresh run refuses to overwrite, a resume with other settings is refused */
    CHECK_ERR(trainer_run(&b.t, &o, &rb), NEEDLE_EINVAL, "continue it with --resume");
    o.resume = 1;
    o.batch_size = 1;
    CHECK_ERR(trainer_run(&b.t, &o, &rb), NEEDLE_EINVAL, "--batch-size = 2, this run has 1");
    o.batch_size = 2;
    /* resume in a new process's worth of state: a new model from the same seed */
    setup c;
    setup_make(&c, 10);
    trainer_result rc;
    CHECK_OK(trainer_run(&c.t, &o, &rc));
    CHECK_INT(rc.resumed_from, 5);
    CHECK_INT(rc.steps, 9);
    CHECK(!memcmp(a.m.param_block, c.m.param_block, a.m.n_floats * sizeof(float)));
    int steps[32], n = log_steps(log_b, steps, 32);
    CHECK_INT(n, 9);
    for (int i = 0; i < n; i++) CHECK_INT(steps[i], i + 1);
    /* the newest two checkpoints are kept (steps 4 and 5 of the interrupted run, 8 after) */
    CHECK_OK(checkpoint_latest(ck_dir, &latest));
    CHECK(latest && strstr(latest, "step-000000008.ckpt"));
    free(latest);
    free(ck), free(ck_dir);
    log_set_level(level);
    omp_set_num_threads(threads);
    setup_free(&a), setup_free(&b), setup_free(&c);
}

TEST(trainer_early_stopping_keeps_best) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/early", test_tmpdir());
    int level = log_level(), threads = omp_get_max_threads();
    log_set_level(LOG_WARN);
    omp_set_num_threads(1);
    setup s;
    setup_make(&s, 8);
    static const double f1[] = {50, 60, 55, 59, 70};
    s.w.metrics = f1, s.w.n_metrics = 5;
    s.t.evaluate = wrapped_eval;
    trainer_options o = options(dir, NULL);
    o.grad_accum = 1, o.epochs = 10, o.eval_every = 2, o.patience = 2, o.checkpoint_every = 0;
    trainer_result r;
    CHECK_OK(trainer_run(&s.t, &o, &r));
    /* evaluations at steps 2, 4, 6, 8: 60 at step 4 is the best, 55 and 59 do not improve */
    CHECK_INT(r.evaluations, 4);
    CHECK_INT(r.steps, 8);
    CHECK(r.stopped_early);
    CHECK(r.has_best);
    CHECK_NEAR(r.best_metric, 60, 0);
    CHECK_INT(r.best_step, 4);
    char *best = path_join(dir, "best/model.safetensors");
    CHECK(file_exists(best));
    free(best);
    /* the loss as metric, lower is better: 5, 6, 4 (best, step 6), 4.5, 4.2 -> stop at step 10 */
    char dir2[256];
    snprintf(dir2, sizeof dir2, "%s/early_loss", test_tmpdir());
    static const double loss[] = {5, 6, 4, 4.5, 4.2, 4.1};
    s.w.evals = 0, s.w.metrics = loss, s.w.n_metrics = 6;
    o.save_dir = dir2;
    o.metric = "loss";
    CHECK_OK(trainer_run(&s.t, &o, &r));
    CHECK_INT(r.steps, 10);
    CHECK_NEAR(r.best_metric, 4, 0);
    CHECK_INT(r.best_step, 6);
    o.metric = "exact";
    snprintf(dir2, sizeof dir2, "%s/early_exact", test_tmpdir());
    CHECK_ERR(trainer_run(&s.t, &o, &r), NEEDLE_EINVAL, "evaluation has no metric \"exact\"");
    log_set_level(level);
    omp_set_num_threads(threads);
    setup_free(&s);
}

TEST(checkpoint_damage_is_detected) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/ckpt", test_tmpdir());
    CHECK_OK(dir_make(dir));
    model m;
    make_model(&m);
    adamw_state opt;
    CHECK_OK(adamw_init(&opt, m.n_floats));
    for (size_t i = 0; i < m.n_floats; i++) opt.m[i] = (float)i, opt.v[i] = 0.5f;
    int32_t order[5] = {4, 2, 0, 1, 3}, got_order[5];
    ckpt_state st = {.step = 7, .total_steps = 20, .epoch = 1, .micro = 2, .n_examples = 5, .batch_size = 2,
                     .grad_accum = 1, .shuffle = 1, .n_models = 1, .seed = 3, .adam_step = 7};
    snprintf(st.task, sizeof st.task, "reader");
    rng_seed(&st.data_rng, 1);
    rng_seed(&st.train_rng, 2);
    st.n_floats[0] = m.n_floats;
    char *path = checkpoint_path(dir, 7);
    model *ms[1] = {&m};
    CHECK_OK(checkpoint_write(path, &st, ms, &opt, order));
    /* read back into a model with other values */
    model m2;
    make_model(&m2);
    for (size_t i = 0; i < m2.n_floats; i++) m2.param_block[i] = 0;
    adamw_state opt2;
    CHECK_OK(adamw_init(&opt2, m2.n_floats));
    model *ms2[1] = {&m2};
    ckpt_state back = {.n_models = 1};
    CHECK_OK(checkpoint_read(path, &back, ms2, &opt2, got_order));
    CHECK(!memcmp(m.param_block, m2.param_block, m.n_floats * sizeof(float)));
    CHECK(!memcmp(opt.m, opt2.m, 2 * m.n_floats * sizeof(float)));
    CHECK(!memcmp(order, got_order, sizeof order));
    CHECK_INT(back.step, 7);
    CHECK_INT(back.micro, 2);
    CHECK_INT(back.adam_step, 7);
    CHECK(!memcmp(&back.data_rng, &st.data_rng, sizeof st.data_rng));
    CHECK_STR(back.task, "reader");
    /* damage: a flipped payload byte, truncation, a foreign file, a future version */
    char *data;
    size_t len;
    CHECK_OK(file_read_all(path, &data, &len));
    char *bad = path_join(dir, "bad.ckpt");
    data[len / 2] ^= 0x10;
    CHECK_OK(file_write_atomic(bad, data, len));
    CHECK_ERR(checkpoint_read(bad, &back, ms2, &opt2, got_order), NEEDLE_EFORMAT, "checksum mismatch");
    data[len / 2] ^= 0x10;
    CHECK_OK(file_write_atomic(bad, data, len - 100));
    CHECK_ERR(checkpoint_read_header(bad, &back), NEEDLE_EFORMAT, "truncated or padded checkpoint");
    CHECK_OK(file_write_atomic(bad, data, 100));
    CHECK_ERR(checkpoint_read_header(bad, &back), NEEDLE_EFORMAT, "truncated checkpoint");
    CHECK_OK(file_write_atomic(bad, "{\"not\": \"a checkpoint\"}", 23));
    CHECK_ERR(checkpoint_read_header(bad, &back), NEEDLE_EFORMAT, "truncated checkpoint");
    data[0] = 'X';
    CHECK_OK(file_write_atomic(bad, data, len));
    CHECK_ERR(checkpoint_read_header(bad, &back), NEEDLE_EFORMAT, "bad magic");
    data[0] = 'N';
    data[8] = 9;
    CHECK_OK(file_write_atomic(bad, data, len));
    CHECK_ERR(checkpoint_read_header(bad, &back), NEEDLE_EFORMAT, "checkpoint version 9");
    /* keep-last-K and the leftovers of a killed write */
    for (int s = 8; s <= 10; s++) {
        char *p = checkpoint_path(dir, s);
        st.step = s;
        CHECK_OK(checkpoint_write(p, &st, ms, &opt, order));
        free(p);
    }
    char *tmp = path_join(dir, "step-000000011.ckpt.tmp.12345");
    CHECK_OK(file_write_atomic(tmp, "x", 1));
    CHECK_OK(checkpoint_prune(dir, 2));
    char *latest;
    CHECK_OK(checkpoint_latest(dir, &latest));
    CHECK(latest && strstr(latest, "step-000000010.ckpt"));
    CHECK(!file_exists(tmp));
    CHECK(!file_exists(path)); /* step 7 pruned */
    char *p9 = checkpoint_path(dir, 9);
    CHECK(file_exists(p9));
    free(p9), free(latest), free(tmp), free(bad), free(data), free(path);
    adamw_free(&opt), adamw_free(&opt2);
    model_free(&m), model_free(&m2);
}

/* test_distill.c — the reader distillation task (distill.h).
 *
 *  - intermediate layers against PyTorch: one micro-step of student-qa learning from bert-qa
 *    (tests/fixtures/distill/intermediate.safetensors, haystack's TinyBERT loss computed by
 *    tests/tools/make_distill_fixtures.py in float64 with hf_bert_replica.py): the attention
 *    probabilities of both models, the loss, every student gradient and the projection's;
 *  - the teacher's logits are computed once per window: the task counts the windows it runs
 *    the teacher on, and a teacher poisoned with NaN after init changes nothing in a run of two
 *    epochs (bitwise); the cache file is read back by a second run, which runs no teacher, and a
 *    damaged one is refused;
 *  - a small student distilled from a teacher moves toward the teacher's predictions: the
 *    divergence from the teacher falls and argmax agreement rises;
 *  - an intermediate-layer run (student and projection both trained) stopped by SIGTERM and
 *    resumed ends bitwise where an uninterrupted run ends. */
#include "../test.h"
#include "needle/distill.h"
#include "needle/file.h"
#include "needle/reader_predict.h"
#include "needle/safetensors.h"
#include "reader_fixture.h"

#include <omp.h>
#include <signal.h>
#include <stdlib.h>

#define DISTILL FIXTURES "/distill"

static double max_abs(const float *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* max |got - ref| / max(max |ref|, floor) for golden tensor `name`. */
static double golden_err(const safetensors *g, const char *name, const float *got, size_t n, double floor) {
    float *ref;
    size_t rn;
    if (safetensors_load_f32(g, name, 0, NULL, &ref, &rn)) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, error_message());
        return INFINITY;
    }
    if (rn != n) {
        test_fail(__FILE__, __LINE__, "%s: %zu values, golden %zu", name, n, rn);
        free(ref);
        return INFINITY;
    }
    double e = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)got[i] - ref[i]));
    double s = fmax(max_abs(ref, n), floor);
    free(ref);
    return e / s;
}

TEST(distill_intermediate_matches_pytorch) {
    model s, t;
    safetensors g, in;
    CHECK_OK(model_load(&s, DISTILL "/student-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_load(&t, FIXTURES "/hf-models/bert-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(safetensors_open(&g, DISTILL "/intermediate.safetensors"));
    CHECK_OK(safetensors_open(&in, FIXTURES "/hf-models/bert-qa/golden.safetensors"));
    if (!s.n_params || !t.n_params || !g.n || !in.n) return;
    int32_t *ids, *tt, *mk, *sp, *ep;
    CHECK_OK(safetensors_load_i32(&in, "input_ids", 0, NULL, &ids, NULL));
    CHECK_OK(safetensors_load_i32(&in, "token_type_ids", 0, NULL, &tt, NULL));
    CHECK_OK(safetensors_load_i32(&in, "attention_mask", 0, NULL, &mk, NULL));
    CHECK_OK(safetensors_load_i32(&in, "start_positions", 0, NULL, &sp, NULL));
    CHECK_OK(safetensors_load_i32(&in, "end_positions", 0, NULL, &ep, NULL));
    int B = 2, T = 24;
    uint8_t mask[48];
    for (int i = 0; i < B * T; i++) mask[i] = (uint8_t)mk[i];
    reader_windows w = {B, T, ids, tt, mask, sp, ep};
    distill_options o = distill_defaults();
    o.intermediate = 1;
    distill_task dt;
    CHECK_OK(distill_task_init(&dt, &s, &t, &w, &w, &o, B, NULL));
    CHECK_INT(dt.k, 2);
    CHECK(dt.has_proj);
    CHECK_INT(dt.proj.params[0].shape[0], 64);
    CHECK_INT(dt.proj.params[0].shape[1], 32);
    float *W;
    CHECK_OK(safetensors_load_f32(&g, "W", 0, NULL, &W, NULL));
    memcpy(dt.proj.params[0].data, W, 64 * 32 * sizeof *W);
    trainer_task task = distill_task_bind(&dt);
    CHECK_STR(task.name, "distill-intermediate");
    CHECK_INT(task.n_models, 2);
    int32_t ex[2] = {0, 1};
    double loss;
    size_t tokens;
    CHECK_OK(task.micro_step(task.ctx, ex, 2, 1.0f, NULL, &loss, &tokens));
    float *ref_loss;
    CHECK_OK(safetensors_load_f32(&g, "loss", 0, NULL, &ref_loss, NULL));
    CHECK_NEAR(loss, ref_loss[0], 1e-5 * ref_loss[0]);
    char key[200];
    double worst = 0, G = 0;
    for (int l = 0; l < 2; l++) {
        snprintf(key, sizeof key, "att.teacher.%d", l);
        worst = fmax(worst, golden_err(&g, key, model_attention(&t, l), (size_t)B * 4 * T * T, 0));
    }
    worst = fmax(worst, golden_err(&g, "att.student.0", model_attention(&s, 0), (size_t)B * 4 * T * T, 0));
    if (!(worst <= 2e-5)) test_fail(__FILE__, __LINE__, "attention probabilities: relative error %.3g", worst);
    /* gradients: the key biases' are zero in exact arithmetic (softmax ignores a shift), so
     * both sides hold rounding noise there; they are measured against the largest gradient */
    for (int i = 0; i < s.n_params; i++) G = fmax(G, max_abs(s.params[i].grad, s.params[i].numel));
    worst = 0;
    for (int i = 0; i < s.n_params; i++) {
        const model_param *p = &s.params[i];
        snprintf(key, sizeof key, "grad.%s", p->name);
        int zero = strstr(p->name, "key.bias") || strstr(p->name, "qa_outputs");
        double e = golden_err(&g, key, p->grad, p->numel, zero ? G : 0);
        if (zero && !(max_abs(p->grad, p->numel) <= 1e-6 * G)) test_fail(__FILE__, __LINE__, "%s should be zero", key);
        if (!(e <= 1e-4)) test_fail(__FILE__, __LINE__, "%s: relative error %.3g", key, e);
        worst = fmax(worst, e);
    }
    double ew = golden_err(&g, "grad.W", dt.proj.params[0].grad, 64 * 32, 0);
    if (!(ew <= 1e-4)) test_fail(__FILE__, __LINE__, "grad.W: relative error %.3g", ew);
    fprintf(stderr, "[loss %.6g vs %.6g, gradients %.2g, projection %.2g] ", loss, ref_loss[0], worst, ew);
    /* the teacher ran on the two windows once, with MODEL_KEEP buffers */
    CHECK_INT(dt.teacher_windows, 2);
    CHECK(t.grad_block == NULL);
    free(W), free(ref_loss), free(ids), free(tt), free(mk), free(sp), free(ep);
    distill_task_free(&dt);
    safetensors_close(&g);
    safetensors_close(&in);
    model_free(&s);
    model_free(&t);
}

/* ---- prediction layer on real windows ----------------------------------------------- */

/* A small student for the fixture's vocabulary; dropout on. */
static void make_student(model *m, uint64_t seed) {
    model_config c;
    model_config_default(&c, MODEL_BERT);
    c.V = 30522, c.C = c.E = 16, c.L = 1, c.NH = 2, c.F = 32, c.P = 384;
    c.head = MODEL_HEAD_SPAN;
    c.hidden_dropout = c.attn_dropout = 0.1f;
    CHECK_OK(model_create(m, &c, seed));
}

/* The tiny reader checkpoint as the teacher, its span head scaled so its start/end
 * distributions are peaked (a random head gives nearly uniform ones). */
static void make_teacher(model *m) {
    CHECK_OK(model_load(m, READER_FIXTURES "/tiny-bert-qa", MODEL_HEAD_AUTO, 0, 0));
    model_param *p = model_find_param(m, "qa_outputs.weight");
    for (size_t i = 0; p && i < p->numel; i++) p->data[i] *= 100;
}

static trainer_options run_options(const char *dir, int epochs) {
    trainer_options o = trainer_defaults();
    o.batch_size = 4;
    o.epochs = epochs;
    o.lr = 2e-3;
    o.seed = 7;
    o.save_dir = dir;
    o.save_final = 0;
    return o;
}

TEST(distill_teacher_runs_once_per_window) {
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    fixture_windows fw;
    CHECK_OK(fixture_windows_load(READER_FIXTURES "/windows64.jsonl", 12, &fw));
    reader_windows w = fixture_view(&fw);
    model t, s1, s2;
    make_teacher(&t);
    make_student(&s1, 3);
    make_student(&s2, 3);
    distill_options o = distill_defaults();
    o.temperature = 2;
    o.teacher_batch = 5;
    char cache[512], d1[512], d2[512];
    snprintf(cache, sizeof cache, "%s/teacher.logits", test_tmpdir());
    snprintf(d1, sizeof d1, "%s/distill-once-1", test_tmpdir());
    snprintf(d2, sizeof d2, "%s/distill-once-2", test_tmpdir());
    o.teacher_cache = cache;
    distill_task a, b;
    CHECK_OK(distill_task_init(&a, &s1, &t, &w, &w, &o, 4, NULL));
    CHECK_INT(a.teacher_windows, 12);
    CHECK(file_exists(cache));
    /* the cached logits are the teacher's: an independent batch-of-one pass agrees */
    float *lg = malloc(12 * 2 * 384 * sizeof *lg);
    CHECK_OK(model_alloc(&t, 1, 384, MODEL_INFER));
    CHECK_OK(reader_logits(&t, &w, 1, "check", lg, NULL));
    double e = 0;
    for (size_t i = 0; i < 12 * 2 * 384; i++) e = fmax(e, fabs(lg[i] - a.teacher_logits[i]));
    CHECK(e <= 1e-4 * max_abs(lg, 12 * 2 * 384));
    /* a second task over the same windows and teacher reads the file and runs no teacher */
    CHECK_OK(distill_task_init(&b, &s2, &t, &w, &w, &o, 4, NULL));
    CHECK_INT(b.teacher_windows, 0);
    CHECK(!memcmp(a.teacher_logits, b.teacher_logits, 12 * 2 * 384 * sizeof(float)));
    /* poison the teacher: if either run used it again, its losses and parameters would change */
    for (size_t i = 0; i < t.n_floats; i++) t.param_block[i] = NAN;
    trainer_task ta = distill_task_bind(&a), tb = distill_task_bind(&b);
    trainer_options oa = run_options(d1, 2), ob = run_options(d2, 2);
    trainer_result ra, rb;
    CHECK_OK(trainer_run(&ta, &oa, &ra));
    CHECK_OK(trainer_run(&tb, &ob, &rb));
    CHECK_INT(ra.steps, 6);
    CHECK(isfinite(ra.last_loss));
    CHECK_NEAR(ra.last_loss, rb.last_loss, 0);
    CHECK(!memcmp(s1.param_block, s2.param_block, s1.n_floats * sizeof(float)));
    CHECK_INT(a.teacher_windows, 12);
    CHECK_INT(b.teacher_windows, 0);
    distill_task_free(&b);
    /* a damaged cache is an error, not silently used */
    char *text;
    size_t len;
    CHECK_OK(file_read_all(cache, &text, &len));
    text[len / 2] ^= 0x40;
    CHECK_OK(file_write_atomic(cache, text, len));
    model_free(&t);
    make_teacher(&t);
    CHECK_ERR(distill_task_init(&b, &s2, &t, &w, &w, &o, 4, NULL), NEEDLE_EFORMAT, "damaged file");
    CHECK_OK(file_write_atomic(cache, text, len - 4));
    CHECK_ERR(distill_task_init(&b, &s2, &t, &w, &w, &o, 4, NULL), NEEDLE_EFORMAT, "truncated");
    CHECK_OK(file_write_atomic(cache, "not a cache", 11));
    CHECK_ERR(distill_task_init(&b, &s2, &t, &w, &w, &o, 4, NULL), NEEDLE_EFORMAT, "not a teacher-logit cache");
    free(text), free(lg);
    distill_task_free(&a);
    model_free(&t), model_free(&s1), model_free(&s2);
    fixture_windows_free(&fw);
    omp_set_num_threads(threads);
}

/* Over windows [0, n): the mean KL(teacher ‖ student) of the start and end distributions, and
 * the fraction of start and end argmaxes the student shares with the teacher. */
static void agreement(model *s, const reader_windows *w, const float *teacher, double *kl, double *agree) {
    int L = w->len;
    float *lg = malloc((size_t)w->n * 2 * L * sizeof *lg);
    CHECK_OK(reader_logits(s, w, 4, "student", lg, NULL));
    double k = 0;
    int same = 0;
    for (int r = 0; r < 2 * w->n; r++) {
        const float *x = lg + (size_t)r * L, *t = teacher + (size_t)r * L;
        double mx = -INFINITY, mt = -INFINITY, zs = 0, zt = 0;
        int as = 0, at = 0;
        for (int j = 0; j < L; j++) {
            if (x[j] > mx) mx = x[j], as = j;
            if (t[j] > mt) mt = t[j], at = j;
        }
        for (int j = 0; j < L; j++) zs += exp(x[j] - mx), zt += exp(t[j] - mt);
        for (int j = 0; j < L; j++) {
            double lp = t[j] - mt - log(zt), lq = x[j] - mx - log(zs);
            k += exp(lp) * (lp - lq);
        }
        same += as == at;
    }
    *kl = k / (2 * w->n);
    *agree = (double)same / (2 * w->n);
    free(lg);
}

TEST(distill_student_moves_toward_teacher) {
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    fixture_windows fw;
    CHECK_OK(fixture_windows_load(READER_FIXTURES "/windows64.jsonl", 16, &fw));
    reader_windows w = fixture_view(&fw);
    model t, s;
    make_teacher(&t);
    make_student(&s, 5);
    distill_options o = distill_defaults();
    o.temperature = 2;
    o.weight = 1.0;
    distill_task dt;
    CHECK_OK(distill_task_init(&dt, &s, &t, &w, &w, &o, 4, NULL));
    double kl0, ag0, kl1, ag1;
    agreement(&s, &w, dt.teacher_logits, &kl0, &ag0);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/distill-toward", test_tmpdir());
    trainer_task task = distill_task_bind(&dt);
    trainer_options opt = run_options(dir, 12);
    trainer_result res;
    CHECK_OK(trainer_run(&task, &opt, &res));
    agreement(&s, &w, dt.teacher_logits, &kl1, &ag1);
    fprintf(stderr, "[KL %.3f -> %.3f, argmax agreement %.2f -> %.2f] ", kl0, kl1, ag0, ag1);
    CHECK(kl1 < 0.75 * kl0); /* measured: 4.90 -> 3.36 */
    CHECK(ag1 >= ag0 + 0.3); /* measured: 0.00 -> 0.62 */
    distill_task_free(&dt);
    model_free(&t), model_free(&s);
    fixture_windows_free(&fw);
    omp_set_num_threads(threads);
}

/* ---- intermediate stage: SIGTERM + resume --------------------------------------------- */

typedef struct {
    model s, t;
    distill_task dt;
    trainer_task task, inner;
    int micro, kill_at;
} resume_setup;

static int killing_micro(void *ctx, const int32_t *ex, int n, float scale, rng *r, double *loss, size_t *tokens) {
    resume_setup *rs = ctx;
    if (++rs->micro == rs->kill_at) raise(SIGTERM);
    return rs->inner.micro_step(rs->inner.ctx, ex, n, scale, r, loss, tokens);
}

static void resume_make(resume_setup *rs, const reader_windows *w, int kill_at) {
    memset(rs, 0, sizeof *rs);
    CHECK_OK(model_load(&rs->s, DISTILL "/student-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_load(&rs->t, FIXTURES "/hf-models/bert-qa", MODEL_HEAD_AUTO, 0, 0));
    rs->s.cfg.hidden_dropout = rs->s.cfg.attn_dropout = 0.1f;
    distill_options o = distill_defaults();
    o.intermediate = 1;
    CHECK_OK(distill_task_init(&rs->dt, &rs->s, &rs->t, w, w, &o, 3, NULL));
    rs->inner = rs->task = distill_task_bind(&rs->dt);
    rs->task.ctx = rs;
    rs->task.micro_step = killing_micro;
    rs->kill_at = kill_at;
}

static void resume_free(resume_setup *rs) {
    distill_task_free(&rs->dt);
    model_free(&rs->s), model_free(&rs->t);
}

TEST(distill_intermediate_resume_is_bitwise) {
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    enum { N = 10, L = 16 };
    int32_t ids[N * L], types[N * L], sp[N], ep[N];
    uint8_t mask[N * L];
    rng r;
    rng_seed(&r, 77);
    for (int i = 0; i < N; i++) {
        int len = 8 + (int)rng_below(&r, 9);
        for (int j = 0; j < L; j++) {
            ids[i * L + j] = j == 0 ? 2 : j < len ? 5 + (int32_t)rng_below(&r, 990) : 0;
            types[i * L + j] = j >= 5 && j < len;
            mask[i * L + j] = j < len;
        }
        sp[i] = 5 + (int32_t)rng_below(&r, 3), ep[i] = sp[i] + 1;
    }
    reader_windows w = {N, L, ids, types, mask, sp, ep};
    char da[512], db[512];
    snprintf(da, sizeof da, "%s/distill-resume-a", test_tmpdir());
    snprintf(db, sizeof db, "%s/distill-resume-b", test_tmpdir());
    trainer_options o = trainer_defaults();
    o.batch_size = 3, o.epochs = 2, o.lr = 1e-3, o.weight_decay = 0.01, o.warmup_proportion = 0.2, o.seed = 9;
    o.checkpoint_every = 2, o.save_final = 0;
    resume_setup a, b, c;
    resume_make(&a, &w, 0);
    CHECK_INT(a.task.n_models, 2);
    o.save_dir = da;
    trainer_result ra, rb, rc;
    CHECK_OK(trainer_run(&a.task, &o, &ra));
    CHECK_INT(ra.steps, 8);
    CHECK(isfinite(ra.last_loss));
    resume_make(&b, &w, 5);
    o.save_dir = db;
    CHECK_OK(trainer_run(&b.task, &o, &rb));
    CHECK_INT(rb.interrupted, SIGTERM);
    CHECK_INT(rb.steps, 5);
    resume_make(&c, &w, 0);
    o.resume = 1;
    CHECK_OK(trainer_run(&c.task, &o, &rc));
    CHECK_INT(rc.resumed_from, 5);
    CHECK(!memcmp(a.s.param_block, c.s.param_block, a.s.n_floats * sizeof(float)));
    CHECK(!memcmp(a.dt.proj.param_block, c.dt.proj.param_block, a.dt.proj.n_floats * sizeof(float)));
    /* the projection did move: it is trained, not a constant */
    CHECK(memcmp(a.dt.proj.param_block, b.dt.proj.param_block, a.dt.proj.n_floats * sizeof(float)) != 0);
    resume_free(&a), resume_free(&b), resume_free(&c);
    omp_set_num_threads(threads);
}

/* task_distill.c — reader distillation as a trainer task (see distill.h).
 *
 * Batches are gathered exactly as the reader task gathers them (reader_batch_gather), so a
 * distilled student sees the same inputs as a fine-tuned one. For the prediction layer the
 * teacher's logits of a micro-batch are rows copied out of the cache made at init; the loss
 * gradient overwrites the student's logits in place and is scaled by the trainer's
 * 1/micro-batches. For the intermediate layers each micro-batch runs the teacher (MODEL_KEEP
 * buffers: every hidden state and attention matrix, no gradient block), then the student,
 * and hands model_backward per-layer gradients of the hidden states and attention matrices. */
#include "needle/distill.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/reader_predict.h"

#include <stdlib.h>
#include <string.h>

distill_options distill_defaults(void) {
    distill_options o;
    memset(&o, 0, sizeof o);
    o.kind = DISTILL_KL_DIV;
    o.temperature = 1.0;
    o.weight = 0.5;
    o.teacher_batch = 32;
    o.seed = 42;
    return o;
}

void distill_task_free(distill_task *dt) {
    free(dt->ids);
    free(dt->types);
    free(dt->ttypes);
    free(dt->mask);
    free(dt->starts);
    free(dt->ends);
    free(dt->tlogits);
    free(dt->scratch);
    free(dt->teacher_logits);
    for (int i = 0; dt->d_hidden && i <= dt->student->cfg.L; i++) free(dt->d_hidden[i]);
    for (int i = 0; dt->d_att && i < dt->student->cfg.L; i++) free(dt->d_att[i]);
    free(dt->d_hidden);
    free(dt->d_att);
    if (dt->has_proj) model_free(&dt->proj);
    memset(dt, 0, sizeof *dt);
}

int distill_check(const model *student, const model *teacher, const distill_options *o) {
    const model_config *s = &student->cfg, *t = &teacher->cfg;
    if (s->head != MODEL_HEAD_SPAN || t->head != MODEL_HEAD_SPAN)
        return error_set(NEEDLE_EINVAL, "distillation of a reader needs span (question-answering) heads on the %s",
                         s->head != MODEL_HEAD_SPAN ? "student" : "teacher");
    if (s->V != t->V)
        return error_set(NEEDLE_EINVAL, "student and teacher vocabularies differ (%d and %d ids): both must read the "
                         "windows of one tokenizer", s->V, t->V);
    if (!(o->temperature > 0) || !(o->weight >= 0 && o->weight <= 1))
        return error_set(NEEDLE_EINVAL, "temperature %g must be > 0 and the distillation weight %g within [0, 1]",
                         o->temperature, o->weight);
    if (!o->intermediate) return 0;
    if (t->L % s->L)
        return error_set(NEEDLE_EINVAL, "intermediate-layer distillation maps the teacher's %d layers uniformly onto the "
                         "student's %d: the teacher's depth must be a multiple of the student's", t->L, s->L);
    if (s->NH != t->NH)
        return error_set(NEEDLE_EINVAL, "intermediate-layer distillation compares attention matrices: the student has %d "
                         "heads, the teacher %d", s->NH, t->NH);
    return 0;
}

/* The teacher's logits over every window: from the cache file when it matches, else computed. */
static int teacher_logits_init(distill_task *dt) {
    const reader_windows *w = &dt->teacher_view;
    size_t count = (size_t)w->n * 2 * w->len;
    if (!(dt->teacher_logits = malloc(count * sizeof(float))))
        return error_set(NEEDLE_ENOMEM, "out of memory for the teacher's logits of %d windows (%.1f MB)", w->n,
                         count * 4.0 / 1e6);
    int found = 0, rc = 0;
    const char *cache = dt->opt.teacher_cache;
    if (cache && (rc = distill_cache_read(cache, w, dt->teacher, dt->teacher_logits, &found))) return rc;
    if (found) {
        log_info("teacher logits of %d windows read from %s", w->n, cache);
        return 0;
    }
    int batch = dt->opt.teacher_batch > 0 ? dt->opt.teacher_batch : 1;
    if ((rc = model_alloc(dt->teacher, batch, w->len, MODEL_INFER))) return rc;
    if ((rc = reader_logits(dt->teacher, w, batch, "teacher", dt->teacher_logits, NULL))) return rc;
    dt->teacher_windows += w->n;
    if (cache) {
        if ((rc = distill_cache_write(cache, w, dt->teacher, dt->teacher_logits))) return rc;
        log_info("teacher logits of %d windows written to %s", w->n, cache);
    }
    return 0;
}

/* Buffers and (for different widths) the projection of the intermediate stage. */
static int intermediate_init(distill_task *dt) {
    const model_config *s = &dt->student->cfg, *t = &dt->teacher->cfg;
    size_t N = (size_t)dt->max_batch * dt->train.len;
    dt->k = t->L / s->L;
    dt->d_hidden = calloc((size_t)s->L + 1, sizeof *dt->d_hidden);
    dt->d_att = calloc((size_t)s->L, sizeof *dt->d_att);
    dt->scratch = malloc(N * (size_t)t->C * sizeof *dt->scratch);
    if (!dt->d_hidden || !dt->d_att || !dt->scratch) return error_set(NEEDLE_ENOMEM, "out of memory for distillation");
    for (int i = 0; i <= s->L; i++)
        if (!(dt->d_hidden[i] = malloc(N * (size_t)s->C * sizeof(float))))
            return error_set(NEEDLE_ENOMEM, "out of memory for distillation");
    for (int i = 0; i < s->L; i++)
        if (!(dt->d_att[i] = malloc(N * (size_t)s->NH * dt->train.len * sizeof(float))))
            return error_set(NEEDLE_ENOMEM, "out of memory for distillation");
    if (s->C != t->C) {
        int rc = model_create_linears(&dt->proj, 1, &t->C, &s->C, "distill.projection", dt->opt.seed);
        if (rc) return rc;
        dt->has_proj = 1;
        dt->trained[1] = &dt->proj;
    }
    log_info("intermediate-layer distillation: student layer l <- teacher layer %d(l+1)-1 (attention), hidden state i <- "
             "%d i%s", dt->k, dt->k, dt->has_proj ? ", through a learned projection" : "");
    return model_alloc(dt->teacher, dt->max_batch, dt->train.len, MODEL_KEEP);
}

int distill_task_init(distill_task *dt, model *student, model *teacher, const reader_windows *student_view,
                      const reader_windows *teacher_view, const distill_options *opt, int max_batch,
                      const char *tokenizer_dir) {
    memset(dt, 0, sizeof *dt);
    dt->student = student;
    dt->teacher = teacher;
    dt->train = *student_view;
    dt->teacher_view = *teacher_view;
    dt->opt = *opt;
    dt->tokenizer_dir = tokenizer_dir;
    dt->max_batch = max_batch;
    dt->trained[0] = student;
    int rc = distill_check(student, teacher, opt);
    if (rc) return rc;
    if (max_batch < 1 || dt->train.n < 1 || dt->train.len < 2)
        return error_set(NEEDLE_EINVAL, "distillation: %d windows of %d tokens, batch %d", dt->train.n, dt->train.len,
                         max_batch);
    if (teacher_view->input_ids != dt->train.input_ids || teacher_view->attention_mask != dt->train.attention_mask ||
        teacher_view->n != dt->train.n || teacher_view->len != dt->train.len)
        return error_set(NEEDLE_EINVAL, "distillation: the teacher's view is not of the student's windows");
    size_t bt = (size_t)max_batch * dt->train.len;
    dt->ids = malloc(bt * sizeof *dt->ids);
    dt->types = malloc(bt * sizeof *dt->types);
    dt->ttypes = malloc(bt * sizeof *dt->ttypes);
    dt->mask = malloc(bt * sizeof *dt->mask);
    dt->starts = malloc((size_t)max_batch * sizeof *dt->starts);
    dt->ends = malloc((size_t)max_batch * sizeof *dt->ends);
    if (!dt->ids || !dt->types || !dt->ttypes || !dt->mask || !dt->starts || !dt->ends) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory for distillation batches");
        goto fail;
    }
    if (opt->intermediate) {
        rc = intermediate_init(dt);
    } else {
        dt->tlogits = malloc(2 * bt * sizeof *dt->tlogits);
        dt->scratch = malloc(2 * bt * sizeof *dt->scratch);
        rc = !dt->tlogits || !dt->scratch ? error_set(NEEDLE_ENOMEM, "out of memory for distillation batches")
                                           : teacher_logits_init(dt);
    }
    if (!rc) rc = model_alloc(student, max_batch, dt->train.len, MODEL_TRAIN);
    if (!rc) return 0;
fail:
    distill_task_free(dt);
    return rc;
}

static int prediction_step(distill_task *dt, const int32_t *examples, int n, float grad_scale, rng *train_rng,
                           double *loss) {
    int L = dt->train.len;
    model_batch batch = reader_batch_gather(&dt->train, examples, n, dt->ids, dt->types, dt->mask, dt->starts, dt->ends);
    int rc = model_forward(dt->student, &batch, train_rng);
    if (rc) return rc;
    for (int b = 0; b < n; b++) /* cache rows [e][2][L] into the logits' [2, n, L] */
        for (int r = 0; r < 2; r++)
            memcpy(dt->tlogits + ((size_t)r * n + b) * L, dt->teacher_logits + ((size_t)examples[b] * 2 + r) * L,
                   (size_t)L * sizeof(float));
    float *logits = model_logits(dt->student);
    distill_span_value v = distill_span_loss(logits, dt->scratch, logits, dt->tlogits, dt->starts, dt->ends, n, L,
                                             dt->opt.temperature, dt->opt.weight, dt->opt.kind);
    *loss = v.loss;
    if (grad_scale != 1.0f)
        for (size_t i = 0; i < 2 * (size_t)n * L; i++) logits[i] *= grad_scale;
    return model_backward(dt->student, &(model_grad_in){.d_logits = logits});
}

static int intermediate_step(distill_task *dt, const int32_t *examples, int n, float grad_scale, rng *train_rng,
                             double *loss) {
    model *s = dt->student, *t = dt->teacher;
    int L = dt->train.len, Ls = s->cfg.L, NH = s->cfg.NH, N = n * L;
    model_batch tb = reader_batch_gather(&dt->teacher_view, examples, n, dt->ids, dt->ttypes, dt->mask, NULL, NULL);
    int rc = model_forward(t, &tb, NULL);
    if (rc) return rc;
    dt->teacher_windows += n;
    model_batch sb = reader_batch_gather(&dt->train, examples, n, dt->ids, dt->types, dt->mask, NULL, NULL);
    if ((rc = model_forward(s, &sb, train_rng))) return rc;
    double total = 0;
    size_t na = (size_t)n * NH * L * L;
    for (int l = 0; l < Ls; l++) {
        memset(dt->d_att[l], 0, na * sizeof(float));
        total += distill_mse(dt->d_att[l], model_attention(s, l), model_attention(t, (l + 1) * dt->k - 1), na, grad_scale);
    }
    const float *W = dt->has_proj ? dt->proj.params[0].data : NULL;
    float *dW = dt->has_proj ? dt->proj.params[0].grad : NULL;
    for (int i = 0; i <= Ls; i++) {
        memset(dt->d_hidden[i], 0, (size_t)N * s->cfg.C * sizeof(float));
        total += distill_hidden_loss(dt->d_hidden[i], dW, dt->scratch, model_hidden(s, i), W, model_hidden(t, i * dt->k),
                                     N, s->cfg.C, t->cfg.C, grad_scale);
    }
    *loss = total;
    return model_backward(s, &(model_grad_in){.d_hidden = (const float *const *)dt->d_hidden,
                                              .d_attention = (const float *const *)dt->d_att});
}

static int distill_micro_step(void *ctx, const int32_t *examples, int n, float grad_scale, rng *train_rng,
                              double *loss, size_t *tokens) {
    distill_task *dt = ctx;
    int rc = reader_batch_check(&dt->train, examples, n, dt->max_batch);
    if (rc) return rc;
    *tokens = (size_t)n * dt->train.len;
    return dt->opt.intermediate ? intermediate_step(dt, examples, n, grad_scale, train_rng, loss)
                                : prediction_step(dt, examples, n, grad_scale, train_rng, loss);
}

static int distill_evaluate(void *ctx, cJSON **metrics) {
    distill_task *dt = ctx;
    return reader_eval_run(dt->eval, dt->student, metrics);
}

static int distill_save(void *ctx, const char *dir) {
    distill_task *dt = ctx;
    return hf_save_with_tokenizer(dt->student, dt->tokenizer_dir, dir);
}

trainer_task distill_task_bind(distill_task *dt) {
    trainer_task t;
    memset(&t, 0, sizeof t);
    t.name = dt->opt.intermediate ? "distill-intermediate" : "distill";
    t.ctx = dt;
    t.n_examples = (size_t)dt->train.n;
    t.models = dt->trained;
    t.n_models = dt->has_proj ? 2 : 1;
    t.default_metric = "f1";
    t.micro_step = distill_micro_step;
    t.evaluate = dt->eval ? distill_evaluate : NULL;
    t.save = distill_save;
    return t;
}

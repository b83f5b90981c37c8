/* trainer.c — the training loop of trainer.h, shared by every task.
 *
 * The loop keeps all of its state in one struct (run_state) whose resumable part is exactly
 * the checkpoint's: the optimiser step, the epoch and the micro-batches of it consumed, the
 * epoch's example order, the shuffling and training generators, the AdamW moments and the
 * early-stopping record. A new epoch's order is drawn from the shuffling generator just
 * before its first micro-batch, so a checkpoint taken at an epoch boundary holds the
 * generator before the draw and a resumed run draws the same order. Nothing else (timers,
 * token counts) influences the parameters, which is why a resumed run ends bitwise where an
 * uninterrupted one does. */
#include "needle/trainer.h"
#include "needle/adamw.h"
#include "needle/checkpoint.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/schedule.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

trainer_options trainer_defaults(void) {
    trainer_options o;
    memset(&o, 0, sizeof o);
    o.batch_size = 8;
    o.grad_accum = 1;
    o.epochs = 3;
    o.lr = 5e-5;
    o.warmup_steps = -1;
    o.max_grad_norm = 1.0;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.adam_eps = 1e-8;
    o.shuffle = 1;
    o.seed = 42;
    o.keep_checkpoints = 3;
    o.save_final = 1;
    return o;
}

static long micro_per_epoch(const trainer_options *o, size_t n) {
    return (long)((n + (size_t)o->batch_size - 1) / (size_t)o->batch_size);
}

static long steps_per_epoch(const trainer_options *o, size_t n) {
    return (micro_per_epoch(o, n) + o->grad_accum - 1) / o->grad_accum;
}

long trainer_total_steps(const trainer_options *o, size_t n_examples) {
    if (o->max_steps > 0) return o->max_steps;
    return steps_per_epoch(o, n_examples) * (long)o->epochs;
}

/* ---------------------------------------------------------------- signals */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) {
    if (stop_signal) { /* a second signal: stop now */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_signal = sig;
}

typedef struct {
    struct sigaction term, intr;
} saved_handlers;

static void signals_install(saved_handlers *s) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGTERM, &sa, &s->term);
    sigaction(SIGINT, &sa, &s->intr);
}

static void signals_restore(const saved_handlers *s) {
    sigaction(SIGTERM, &s->term, NULL);
    sigaction(SIGINT, &s->intr, NULL);
}

/* ---------------------------------------------------------------- state */

typedef struct {
    const trainer_task *task;
    const trainer_options *opt;
    ckpt_state st;          /* the resumable state (also what checkpoints hold) */
    adamw_state *adam;      /* one per model */
    int32_t *order;         /* this epoch's example order */
    int32_t *batch;         /* indices of one micro-batch */
    lr_schedule sched;
    long micro_epoch;       /* micro-batches per epoch */
    char *ckpt_dir, *best_dir;
    int resumed_mid_epoch;  /* a streaming task must be told where its epoch stands */
    metrics_log log;
    const char *metric;
    int minimize;
} run_state;

static int check_options(const trainer_task *t, const trainer_options *o) {
    if (!t->n_examples) return error_set(NEEDLE_EINVAL, "%s: no training examples", t->name);
    if (t->n_models < 1 || t->n_models > CKPT_MAX_MODELS)
        return error_set(NEEDLE_EINVAL, "%s: %d trained models (1 to %d supported)", t->name, t->n_models,
                         CKPT_MAX_MODELS);
    if (t->n_examples > INT32_MAX) return error_set(NEEDLE_EINVAL, "%s: too many examples (%zu)", t->name, t->n_examples);
    if (o->batch_size < 1 || o->grad_accum < 1)
        return error_set(NEEDLE_EINVAL, "batch size %d and gradient accumulation %d must be at least 1", o->batch_size,
                         o->grad_accum);
    if (o->max_steps <= 0 && o->epochs < 1) return error_set(NEEDLE_EINVAL, "epochs %d: must be at least 1", o->epochs);
    if (!(o->lr >= 0) || !(o->weight_decay >= 0) || !(o->adam_eps >= 0) || !(o->beta1 >= 0 && o->beta1 < 1) ||
        !(o->beta2 >= 0 && o->beta2 < 1))
        return error_set(NEEDLE_EINVAL, "optimiser settings out of range (lr %g, weight decay %g, betas %g/%g, eps %g)",
                         o->lr, o->weight_decay, o->beta1, o->beta2, o->adam_eps);
    if (!o->save_dir) return error_set(NEEDLE_EINVAL, "no save directory given");
    if (o->eval_every < 0 || o->checkpoint_every < 0 || o->patience < 0)
        return error_set(NEEDLE_EINVAL, "--eval-every, --checkpoint-every and --patience must not be negative");
    if (o->patience > 0 && !t->evaluate)
        return error_set(NEEDLE_EINVAL, "early stopping needs evaluation data (a dev set)");
    for (int i = 0; i < t->n_models; i++)
        if (!t->models[i]->grad_block)
            return error_set(NEEDLE_EINVAL, "%s: model %d has no gradient buffers (model_alloc with MODEL_TRAIN)",
                             t->name, i);
    return 0;
}

static void state_free(run_state *r) {
    if (r->adam)
        for (int i = 0; i < r->task->n_models; i++) adamw_free(&r->adam[i]);
    free(r->adam);
    free(r->order);
    free(r->batch);
    free(r->ckpt_dir);
    free(r->best_dir);
    metrics_log_close(&r->log);
}

static int state_init(run_state *r, const trainer_task *t, const trainer_options *o) {
    memset(r, 0, sizeof *r);
    r->task = t;
    r->opt = o;
    size_t n = t->n_examples;
    r->adam = calloc((size_t)t->n_models, sizeof *r->adam);
    r->order = malloc(n * sizeof *r->order);
    r->batch = malloc((size_t)o->batch_size * sizeof *r->batch);
    r->ckpt_dir = path_join(o->save_dir, "checkpoints");
    r->best_dir = path_join(o->save_dir, "best");
    if (!r->adam || !r->order || !r->batch || !r->ckpt_dir || !r->best_dir)
        return error_set(NEEDLE_ENOMEM, "out of memory for the trainer's state");
    for (int i = 0; i < t->n_models; i++) {
        int rc = adamw_init(&r->adam[i], t->models[i]->n_floats);
        if (rc) return rc;
    }
    for (size_t i = 0; i < n; i++) r->order[i] = (int32_t)i;
    r->micro_epoch = micro_per_epoch(o, n);
    r->metric = o->metric ? o->metric : t->default_metric;
    r->minimize = r->metric && strstr(r->metric, "loss") != NULL;
    ckpt_state *s = &r->st;
    snprintf(s->task, sizeof s->task, "%s", t->name);
    s->total_steps = trainer_total_steps(o, n);
    s->n_examples = (long long)n;
    s->batch_size = o->batch_size;
    s->grad_accum = o->grad_accum;
    s->shuffle = o->shuffle;
    s->n_models = t->n_models;
    s->seed = o->seed;
    rng_seed(&s->data_rng, o->seed);
    rng_seed(&s->train_rng, o->seed ^ 0x5DEECE66DULL);
    for (int i = 0; i < t->n_models; i++) s->n_floats[i] = t->models[i]->n_floats;
    return lr_schedule_init(&r->sched, o->lr, s->total_steps, o->warmup_steps, o->warmup_proportion);
}

/* The checkpoint must come from the same task and data with the same batching, seed and
 * length, or the continuation would not be the run it claims to be. */
static int check_resumable(const run_state *r, const ckpt_state *c, const char *path) {
    const ckpt_state *s = &r->st;
    if (strcmp(c->task, s->task))
        return error_set(NEEDLE_EINVAL, "%s: a checkpoint of task \"%s\", not \"%s\"", path, c->task, s->task);
    const struct {
        const char *what;
        long long was, now;
    } f[] = {{"training examples", c->n_examples, s->n_examples}, {"--batch-size", c->batch_size, s->batch_size},
             {"--grad-accum", c->grad_accum, s->grad_accum},      {"shuffling (--no-shuffle)", c->shuffle, s->shuffle},
             {"--seed", (long long)c->seed, (long long)s->seed},  {"total steps (--epochs/--max-steps)", c->total_steps, s->total_steps},
             {"trained models", c->n_models, s->n_models}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].was != f[i].now)
            return error_set(NEEDLE_EINVAL, "%s: made with %s = %lld, this run has %lld; resume with the same settings",
                             path, f[i].what, f[i].was, f[i].now);
    return 0;
}

static int resume(run_state *r, long *from) {
    char *path = NULL;
    int rc = checkpoint_latest(r->ckpt_dir, &path);
    if (rc) return rc;
    if (!path) return error_set(NEEDLE_ENOTFOUND, "--resume: no checkpoint in %s", r->ckpt_dir);
    ckpt_state c;
    rc = checkpoint_read_header(path, &c);
    if (!rc) rc = check_resumable(r, &c, path);
    if (!rc) rc = checkpoint_read(path, &c, r->task->models, r->adam, r->order);
    if (!rc) {
        for (int i = 0; i < r->task->n_models; i++) r->adam[i].step = c.adam_step;
        r->st = c;
        r->resumed_mid_epoch = c.micro > 0;
        *from = (long)c.step;
        log_info("resuming from %s (step %lld of %lld)", path, c.step, c.total_steps);
    }
    free(path);
    return rc;
}

static int write_checkpoint(run_state *r) {
    char *path = checkpoint_path(r->ckpt_dir, r->st.step);
    if (!path) return error_set(NEEDLE_ENOMEM, "out of memory");
    r->st.adam_step = r->adam[0].step;
    int rc = dir_make(r->ckpt_dir);
    if (!rc) rc = checkpoint_write(path, &r->st, r->task->models, r->adam, r->order);
    if (!rc) rc = checkpoint_prune(r->ckpt_dir, r->opt->keep_checkpoints);
    if (!rc) log_debug("checkpoint %s", path);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- one step */

typedef struct {
    double loss, grad_norm, lr, clip;
    size_t tokens, examples;
} step_stats;

static double global_grad_norm(const trainer_task *t) {
    double sq = 0;
    for (int i = 0; i < t->n_models; i++) {
        double n = model_grad_norm(t->models[i]);
        sq += n * n;
    }
    return sqrt(sq);
}

static void scale_grads(const trainer_task *t, float f) {
    for (int i = 0; i < t->n_models; i++) {
        float *g = t->models[i]->grad_block;
        size_t n = t->models[i]->n_floats;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < n; j++) g[j] *= f;
    }
}

static int optimiser_step(run_state *r, step_stats *ss) {
    const trainer_task *t = r->task;
    const trainer_options *o = r->opt;
    ckpt_state *s = &r->st;
    if (s->micro == 0 && s->shuffle) {
        for (long long i = 0; i < s->n_examples; i++) r->order[i] = (int32_t)i;
        rng_shuffle(&s->data_rng, r->order, (size_t)s->n_examples);
    }
    if (t->seek && (s->micro == 0 || r->resumed_mid_epoch)) {
        int rc = t->seek(t->ctx, s->epoch, s->micro * o->batch_size);
        if (rc) return error_prefix(rc, "epoch %lld: ", s->epoch + 1);
        r->resumed_mid_epoch = 0;
    }
    long n_micro = r->micro_epoch - s->micro < o->grad_accum ? r->micro_epoch - (long)s->micro : o->grad_accum;
    float scale = 1.0f / (float)n_micro;
    memset(ss, 0, sizeof *ss);
    for (long j = 0; j < n_micro; j++) {
        size_t first = (size_t)(s->micro + j) * (size_t)o->batch_size;
        size_t n = (size_t)s->n_examples - first < (size_t)o->batch_size ? (size_t)s->n_examples - first : (size_t)o->batch_size;
        memcpy(r->batch, r->order + first, n * sizeof *r->batch);
        double loss = 0;
        size_t tokens = 0;
        int rc = t->micro_step(t->ctx, r->batch, (int)n, scale, &s->train_rng, &loss, &tokens);
        if (rc) return error_prefix(rc, "step %lld, micro-batch %ld: ", s->step + 1, j + 1);
        if (!isfinite(loss))
            return error_set(NEEDLE_EINVAL, "step %lld: the loss is %g (diverged; lower --lr or check the data)",
                             s->step + 1, loss);
        ss->loss += loss / (double)n_micro;
        ss->tokens += tokens;
        ss->examples += n;
    }
    s->micro += n_micro;
    if (s->micro == r->micro_epoch) {
        s->epoch++;
        s->micro = 0;
    }
    s->step++;
    ss->grad_norm = global_grad_norm(t);
    ss->clip = 1.0;
    if (o->max_grad_norm > 0) { /* torch.nn.utils.clip_grad_norm_, in float32 as torch computes it */
        float coef = (float)o->max_grad_norm / ((float)ss->grad_norm + 1e-6f);
        if (coef < 1.0f) {
            scale_grads(t, coef);
            ss->clip = coef;
        }
    }
    ss->lr = lr_schedule_at(&r->sched, (long)s->step);
    adamw_config ac = {ss->lr, o->beta1, o->beta2, o->adam_eps, o->weight_decay, o->decay_all};
    for (int i = 0; i < t->n_models; i++) {
        adamw_step(&r->adam[i], &ac, t->models[i]->params, t->models[i]->n_params);
        model_zero_grad(t->models[i]);
    }
    return 0;
}

static double epoch_progress(const run_state *r) {
    return (double)r->st.epoch + (double)r->st.micro / (double)r->micro_epoch;
}

static int log_step(run_state *r, const step_stats *ss, double seconds, double cpu, double elapsed) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "step"), jsonw_int(&w, r->st.step);
    jsonw_key(&w, "epoch"), jsonw_double(&w, epoch_progress(r));
    jsonw_key(&w, "loss"), jsonw_double(&w, ss->loss);
    jsonw_key(&w, "lr"), jsonw_double(&w, ss->lr);
    jsonw_key(&w, "grad_norm"), jsonw_double(&w, ss->grad_norm);
    jsonw_key(&w, "clip"), jsonw_double(&w, ss->clip);
    jsonw_key(&w, "tokens"), jsonw_int(&w, (long long)ss->tokens);
    jsonw_key(&w, "tokens_per_s"), jsonw_double(&w, seconds > 0 ? (double)ss->tokens / seconds : 0);
    jsonw_key(&w, "examples_per_s"), jsonw_double(&w, seconds > 0 ? (double)ss->examples / seconds : 0);
    jsonw_key(&w, "step_s"), jsonw_double(&w, seconds);
    jsonw_key(&w, "cpu_s"), jsonw_double(&w, cpu);
    jsonw_key(&w, "elapsed_s"), jsonw_double(&w, elapsed);
    jsonw_object_end(&w);
    int rc = w.err ? error_set(NEEDLE_ENOMEM, "out of memory") : metrics_log_write(&r->log, sb.data);
    strbuf_free(&sb);
    return rc;
}

/* ---------------------------------------------------------------- evaluation */

static int save_model(run_state *r, const char *dir) {
    int rc = dir_make(dir);
    if (!rc) rc = r->task->save(r->task->ctx, dir);
    if (rc) error_prefix(rc, "saving the model to %s: ", dir);
    return rc;
}

/* Evaluate, log, keep the best model; *stop set when patience has run out. */
static int evaluate(run_state *r, trainer_result *res, int *stop) {
    cJSON *metrics = NULL;
    int rc = r->task->evaluate(r->task->ctx, &metrics);
    if (rc) return error_prefix(rc, "evaluation at step %lld: ", r->st.step);
    ckpt_state *s = &r->st;
    const cJSON *v = r->metric ? cJSON_GetObjectItemCaseSensitive(metrics, r->metric) : NULL;
    int improved = 0;
    if (r->metric && !cJSON_IsNumber(v)) {
        rc = error_set(NEEDLE_EINVAL, "evaluation has no metric \"%s\"", r->metric);
        goto done;
    }
    if (v) {
        double x = v->valuedouble;
        improved = !s->has_best || (r->minimize ? x < s->best_metric : x > s->best_metric);
        if (improved) {
            s->has_best = 1;
            s->best_metric = x;
            s->best_step = s->step;
            s->evals_since_best = 0;
            if ((rc = save_model(r, r->best_dir))) goto done;
        } else {
            s->evals_since_best++;
        }
    }
    res->evaluations++;
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "step"), jsonw_int(&w, s->step);
    jsonw_key(&w, "epoch"), jsonw_double(&w, epoch_progress(r));
    jsonw_key(&w, "eval"), jsonw_cjson(&w, metrics);
    jsonw_key(&w, "best"), jsonw_bool(&w, improved);
    jsonw_object_end(&w);
    rc = w.err ? error_set(NEEDLE_ENOMEM, "out of memory") : metrics_log_write(&r->log, sb.data);
    log_info("step %lld: evaluation %s%s", s->step, sb.data ? sb.data : "", improved ? " (best so far)" : "");
    strbuf_free(&sb);
    if (r->opt->patience > 0 && s->evals_since_best >= r->opt->patience) {
        *stop = 1;
        res->stopped_early = 1;
        log_info("early stopping: %s has not improved for %d evaluations (best %g at step %lld)", r->metric,
                 s->evals_since_best, s->best_metric, s->best_step);
    }
done:
    cJSON_Delete(metrics);
    return rc;
}

/* ---------------------------------------------------------------- the loop */

static int open_log(run_state *r, int resumed) {
    const char *path = r->opt->log_path;
    if (!path) return 0;
    if (resumed) {
        int rc = metrics_log_truncate(path, "step", (double)r->st.step);
        if (rc) return rc;
    }
    return metrics_log_open(&r->log, path, resumed);
}

static int train_loop(run_state *r, trainer_result *res) {
    const trainer_task *t = r->task;
    const trainer_options *o = r->opt;
    ckpt_state *s = &r->st;
    progress bar;
    progress_start(&bar, "train", (size_t)s->total_steps);
    progress_update(&bar, (size_t)s->step, NULL);
    double start = clock_seconds();
    size_t tokens_total = 0;
    int stop = 0, rc = 0;
    char status[128] = "";
    while (s->step < s->total_steps && !stop) {
        double t0 = clock_seconds(), c0 = clock_cpu_seconds();
        step_stats ss;
        if ((rc = optimiser_step(r, &ss))) break;
        double now = clock_seconds(), cpu = clock_cpu_seconds() - c0;
        tokens_total += ss.tokens;
        res->last_loss = ss.loss;
        if ((rc = log_step(r, &ss, now - t0, cpu, now - start))) break;
        snprintf(status, sizeof status, "loss %.4f lr %.2e %.0f tok/s", ss.loss, ss.lr,
                 now > start ? (double)tokens_total / (now - start) : 0.0);
        progress_update(&bar, (size_t)s->step, status);
        int last = s->step == s->total_steps;
        if (t->evaluate && ((o->eval_every > 0 && s->step % o->eval_every == 0) || last)) {
            if ((rc = evaluate(r, res, &stop))) break;
        }
        if (stop_signal) {
            res->interrupted = stop_signal;
            stop = 1;
        }
        if ((o->checkpoint_every > 0 && s->step % o->checkpoint_every == 0 && !last) || res->interrupted)
            if ((rc = write_checkpoint(r))) break;
    }
    progress_finish(&bar, status);
    return rc;
}

int trainer_run(const trainer_task *task, const trainer_options *opt, trainer_result *res) {
    memset(res, 0, sizeof *res);
    res->resumed_from = -1;
    int rc = check_options(task, opt);
    if (rc) return rc;
    run_state r;
    saved_handlers handlers;
    rc = state_init(&r, task, opt);
    if (!rc) rc = dir_make(opt->save_dir);
    if (!rc && opt->resume) {
        rc = resume(&r, &res->resumed_from);
    } else if (!rc) {
        char *old = NULL;
        rc = checkpoint_latest(r.ckpt_dir, &old);
        if (!rc && old)
            rc = error_set(NEEDLE_EINVAL, "%s holds checkpoints of an earlier run (%s): continue it with --resume or "
                           "choose another save directory", opt->save_dir, old);
        free(old);
    }
    if (!rc) rc = open_log(&r, opt->resume);
    if (rc) goto done;
    log_info("%s: %lld examples, batch %d x %d accumulation, %ld steps per epoch, %lld steps (warm-up %ld)",
             task->name, r.st.n_examples, opt->batch_size, opt->grad_accum, steps_per_epoch(opt, task->n_examples),
             r.st.total_steps, r.sched.warmup);
    signals_install(&handlers);
    rc = train_loop(&r, res);
    signals_restore(&handlers);
    res->steps = (long)r.st.step;
    res->total_steps = (long)r.st.total_steps;
    res->has_best = r.st.has_best;
    res->best_metric = r.st.best_metric;
    res->best_step = (long)r.st.best_step;
    if (!rc && !res->interrupted && opt->save_final) rc = save_model(&r, opt->save_dir);
done:
    state_free(&r);
    return rc;
}

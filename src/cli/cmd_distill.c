/* cmd_distill.c — `needle reader distill`: train a small reader (the student) from a larger
 * fine-tuned one (the teacher) on SQuAD-format data, as Haystack 1.x's
 * FARMReader.distil_prediction_layer_from and distil_intermediate_layers_from do.
 *
 * The windows are made with the student's tokenizer and read by both models; the teacher's
 * logits are computed once before training (and kept in --teacher-cache for later runs); the
 * rest is the shared trainer, so checkpoints, --resume, evaluation and early stopping behave as
 * in `needle reader train`. Defaults are Haystack's: batch 10, warm-up 20%, 2 epochs at lr 3e-5
 * for the prediction layer and 5 at 5e-5 for the intermediate layers. */
#include "train_cli.h"
#include "needle/distill.h"
#include "needle/error.h"
#include "needle/log.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *teacher_dir, *student_dir, *tokenizer_dir, *save_dir, *loss;
    reader_cli_data d;
    train_cli_args t;
    distill_options o;
} distill_args;

static int distill(distill_args *a) {
    tokenizer *tk = NULL;
    model s, t;
    reader_cli_sets sets;
    distill_task dt;
    int status = -1, s_ok = 0, t_ok = 0; /* -1: failed, message not printed yet */
    memset(&dt, 0, sizeof dt);
    reader_cli_sets_init(&sets, &a->d);
    if (tokenizer_load(a->tokenizer_dir, &tk)) goto done;
    if (model_load(&t, a->teacher_dir, MODEL_HEAD_AUTO, 0, 0)) goto done;
    t_ok = 1;
    if (t.cfg.head != MODEL_HEAD_SPAN) {
        error_set(NEEDLE_EINVAL, "%s: the teacher is not a question-answering model (architecture %s)", a->teacher_dir,
                  model_config_architecture(&t.cfg));
        goto done;
    }
    if (model_load(&s, a->student_dir, MODEL_HEAD_SPAN, 0, (uint64_t)a->t.seed)) goto done;
    s_ok = 1;
    int P = s.cfg.P < t.cfg.P ? s.cfg.P : t.cfg.P;
    if (a->d.data.max_seq_len > P) {
        error_set(NEEDLE_EINVAL, "--max-seq-len %d exceeds the %d positions of the %s", a->d.data.max_seq_len, P,
                  s.cfg.P < t.cfg.P ? "student" : "teacher");
        goto done;
    }
    if (distill_check(&s, &t, &a->o)) goto done;
    if (reader_cli_load(&sets, &a->d, tk, (uint64_t)a->t.seed)) goto done;
    reader_windows sv = reader_windows_of(&sets.ftr, &s), tv = reader_windows_of(&sets.ftr, &t);
    a->o.seed = (uint64_t)a->t.seed;
    if (distill_task_init(&dt, &s, &t, &sv, &tv, &a->o, a->t.batch, a->tokenizer_dir)) goto done;
    if (!a->o.intermediate) { /* its logits are cached: the teacher's memory goes back before training */
        model_free(&t);
        t_ok = 0;
        dt.teacher = NULL;
    }
    dt.eval = reader_cli_eval(&sets, &a->d, &s, a->t.batch);
    trainer_task task = distill_task_bind(&dt);
    status = train_cli_run(&task, &a->t, a->save_dir, NULL);
done:
    if (status < 0) status = cli_fail();
    distill_task_free(&dt);
    reader_cli_sets_free(&sets);
    if (s_ok) model_free(&s);
    if (t_ok) model_free(&t);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_reader_distill(int argc, char **argv) {
    distill_args a;
    memset(&a, 0, sizeof a);
    reader_cli_data_defaults(&a.d);
    train_cli_defaults(&a.t, 10, 0, 0, 0.2);
    a.o = distill_defaults();
    a.loss = "kl_div";
    cli_opt opts[64];
    int n = 0;
    opts[n++] = (cli_opt){"teacher", OPT_STRING, &a.teacher_dir, "fine-tuned reader to learn from (HF directory with a question-answering head)", 1};
    opts[n++] = (cli_opt){"student", OPT_STRING, &a.student_dir, "HF model directory to train (a span head is added if missing)", 1};
    opts[n++] = (cli_opt){"tokenizer", OPT_STRING, &a.tokenizer_dir, "tokenizer of both models (default: --student's)", 0};
    opts[n++] = (cli_opt){"save-dir", OPT_STRING, &a.save_dir, "output: the student (HF layout + tokenizer), best/, checkpoints/", 1};
    opts[n++] = (cli_opt){"temperature", OPT_DOUBLE, &a.o.temperature, "T: both models' logits are divided by T (prediction layer)", 0};
    opts[n++] = (cli_opt){"distillation-loss-weight", OPT_DOUBLE, &a.o.weight, "w: loss = w T^2 D(student, teacher) + (1 - w) CE(labels)", 0};
    opts[n++] = (cli_opt){"distillation-loss", OPT_STRING, &a.loss, "D: kl_div (KL of the start/end distributions) or mse (of the logits)", 0};
    opts[n++] = (cli_opt){"intermediate", OPT_FLAG, &a.o.intermediate, "TinyBERT's first stage instead: MSE of mapped hidden states and attention matrices", 0};
    opts[n++] = (cli_opt){"teacher-cache", OPT_STRING, &a.o.teacher_cache, "keep the teacher's logits in this file; a later run on the same windows reads them", 0};
    opts[n++] = (cli_opt){"teacher-batch-size", OPT_INT, &a.o.teacher_batch, "windows per teacher forward pass when computing its logits", 0};
    n += reader_cli_data_options(&a.d, 0, opts + n);
    n += train_cli_options(&a.t, "windows", "f1", opts + n);
    for (int i = 0; i < n; i++) {
        if (!strcmp(opts[i].name, "epochs")) opts[i].help = "passes over the training data (0: 2, or 5 with --intermediate)";
        if (!strcmp(opts[i].name, "lr")) opts[i].help = "peak learning rate, AdamW (0: 3e-5, or 5e-5 with --intermediate)";
    }
    opts[n] = (cli_opt){NULL, 0, NULL, NULL, 0};
    static const char summary[] =
        "Distil an extractive reader: a student learns from a fine-tuned teacher on SQuAD-format data, as Haystack's\n"
        "FARMReader.distil_prediction_layer_from does: loss = w T^2 KL(softmax(teacher/T) | softmax(student/T)) +\n"
        "(1 - w) CE(labels) over the start and end positions of each window, the teacher's logits computed once.\n"
        "With --intermediate, TinyBERT's first stage (distil_intermediate_layers_from): the sum of the MSEs between\n"
        "each student attention matrix and hidden state and the teacher's (mapped uniformly over its layers; hidden\n"
        "states through one learned projection when the widths differ); follow it with a run without --intermediate.\n"
        "Both models must share the tokenizer. Checkpoints, --resume and evaluation as in needle reader train.";
    const cli_spec spec = {"needle reader distill --teacher DIR --student DIR --train FILE [--dev FILE] --save-dir DIR "
                           "[--temperature T] [--distillation-loss-weight W] [--intermediate] [options]",
                           summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if ((rc = train_cli_check(&a.t))) return rc;
    a.d.data.threads = a.t.threads;
    if (!strcmp(a.loss, "kl_div")) a.o.kind = DISTILL_KL_DIV;
    else if (!strcmp(a.loss, "mse")) a.o.kind = DISTILL_MSE;
    else {
        fprintf(stderr, "needle: error: --distillation-loss: '%s'; use kl_div or mse\n", a.loss);
        return 2;
    }
    if (!(a.o.temperature > 0) || !(a.o.weight >= 0 && a.o.weight <= 1) || a.o.teacher_batch < 1) {
        fprintf(stderr, "needle: error: --temperature must be > 0, --distillation-loss-weight within [0, 1] and "
                        "--teacher-batch-size at least 1\n");
        return 2;
    }
    if (!a.t.epochs) a.t.epochs = a.o.intermediate ? 5 : 2;
    if (!(a.t.lr > 0)) a.t.lr = a.o.intermediate ? 5e-5 : 3e-5;
    if (!a.tokenizer_dir) a.tokenizer_dir = a.student_dir;
    return distill(&a);
}

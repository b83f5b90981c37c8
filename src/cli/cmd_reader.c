/* cmd_reader.c — `needle reader train`: fine-tune an extractive reader on SQuAD-format data.
 *
 * The command wires the library together: the tokenizer and model of an HF directory (a span
 * head is added when the checkpoint has none), SQuAD files read with answer re-location,
 * windows as Hugging Face's run_qa makes them, the reader task and the shared trainer. A run
 * interrupted by SIGTERM/SIGINT leaves a checkpoint and exits with 128 + the signal number;
 * the same command with --resume continues it exactly. */
#include "cli.h"
#include "train_cli.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/reader.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"
#include "needle/trainer.h"

#include <stdio.h>
#include <string.h>

/* Training and dev data: the dev file, or a split of the training file, or none. */
static int load_data(const char *train_path, const char *dev_path, double dev_fraction, uint64_t seed,
                     squad_dataset *train, squad_dataset *dev, int *has_dev) {
    squad_load_opts fix = {SQUAD_OFFSETS_FIX, 0}, keep = {SQUAD_OFFSETS_KEEP, 0};
    *has_dev = 0;
    squad_dataset_init(train);
    squad_dataset_init(dev);
    if (dev_path) {
        int rc = squad_load(train_path, &fix, train);
        if (!rc && !(rc = squad_load(dev_path, &keep, dev))) *has_dev = 1;
        return rc;
    }
    if (dev_fraction <= 0) return squad_load(train_path, &fix, train);
    squad_dataset all;
    int rc = squad_load(train_path, &fix, &all);
    if (rc) return rc;
    rc = squad_split(&all, dev_fraction, seed, train, dev);
    squad_dataset_free(&all);
    if (rc) return error_prefix(rc, "%s: --dev-fraction %g: ", train_path, dev_fraction);
    *has_dev = 1;
    log_info("%s: dev split of %.0f%% (seed %llu): %zu training and %zu dev questions", train_path, 100 * dev_fraction,
             (unsigned long long)seed, train->n_questions, dev->n_questions);
    return 0;
}

typedef struct {
    const char *model_dir, *tokenizer_dir, *train, *dev;
    double dev_fraction;
    int n_best, max_answer_len, top_k;
    reader_data_opts data;
    train_cli t;
} train_args;

static int train(const train_args *a) {
    tokenizer *tk = NULL;
    model m;
    squad_dataset tr, dv;
    qa_features ftr, fdv;
    reader_task rt;
    reader_eval ev;
    int has_dev = 0, status = 1, model_ok = 0;
    memset(&rt, 0, sizeof rt);
    qa_features_init(&ftr, a->data.max_seq_len);
    qa_features_init(&fdv, a->data.max_seq_len);
    squad_dataset_init(&tr);
    squad_dataset_init(&dv);
    if (tokenizer_load(a->tokenizer_dir, &tk)) goto done;
    if (model_load(&m, a->model_dir, MODEL_HEAD_SPAN, 0, (uint64_t)a->t.seed)) goto done;
    model_ok = 1;
    if (a->data.max_seq_len > m.cfg.P) {
        error_set(NEEDLE_EINVAL, "--max-seq-len %d exceeds the model's %d positions", a->data.max_seq_len, m.cfg.P);
        goto done;
    }
    if (load_data(a->train, a->dev, a->dev_fraction, (uint64_t)a->t.seed, &tr, &dv, &has_dev)) goto done;
    reader_data_stats st;
    if (reader_featurize(&tr, tk, &a->data, a->train, &ftr, &st)) goto done;
    if (has_dev && reader_featurize(&dv, tk, &a->data, a->dev ? a->dev : "dev split", &fdv, &st)) goto done;
    reader_windows view = reader_windows_of(&ftr, &m);
    if (reader_task_init(&rt, &m, &view, a->t.batch, a->tokenizer_dir)) goto done;
    if (has_dev) {
        ev.w = reader_pred_windows_of(&fdv, &m);
        ev.ds = &dv;
        ev.opt = reader_predict_defaults();
        ev.opt.batch_size = a->t.batch;
        ev.opt.decode.n_best = a->n_best;
        ev.opt.decode.max_answer_len = a->max_answer_len;
        ev.opt.top_k = a->top_k;
        ev.opt.decode.version_2 = dv.version == SQUAD_V2;
        rt.eval = &ev;
    }
    trainer_task task = reader_task_bind(&rt);
    status = train_cli_run(&task, &a->t);
done:
    if (status == 1) cli_fail();
    reader_task_free(&rt);
    qa_features_free(&ftr);
    qa_features_free(&fdv);
    squad_dataset_free(&tr);
    squad_dataset_free(&dv);
    if (model_ok) model_free(&m);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_reader_train(int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    a.data = reader_data_defaults();
    a.t = train_cli_defaults(12, 2, 3e-5);
    a.n_best = 20, a.max_answer_len = 30, a.top_k = 5;
    cli_opt opts[11 + TRAIN_CLI_N_OPTS] = {
        {"model", OPT_STRING, &a.model_dir, "Hugging Face model directory to start from (a span head is added if missing)", 1},
        {"tokenizer", OPT_STRING, &a.tokenizer_dir, "tokenizer directory or tokenizer.json (default: --model)", 0},
        {"train", OPT_STRING, &a.train, "SQuAD-format training file (v1.1 or v2.0)", 1},
        {"dev", OPT_STRING, &a.dev, "SQuAD-format dev file, evaluated with the official EM/F1", 0},
        {"dev-fraction", OPT_DOUBLE, &a.dev_fraction, "without --dev: carve this fraction of --train out as dev (by article, --seed)", 0},
        {"max-seq-len", OPT_INT, &a.data.max_seq_len, "tokens per window, special tokens included", 0},
        {"stride", OPT_INT, &a.data.stride, "context tokens shared by consecutive windows (HF doc_stride)", 0},
        {"max-query-len", OPT_INT, &a.data.max_query_len, "questions cut to this many tokens (0: whole)", 0},
        {"n-best", OPT_INT, &a.n_best, "dev evaluation: start/end candidates per window", 0},
        {"max-answer-len", OPT_INT, &a.max_answer_len, "dev evaluation: longest answer, in tokens", 0},
        {"top-k", OPT_INT, &a.top_k, "dev evaluation: answers per question for top-n accuracy", 0},
    };
    train_cli_opts(&a.t, opts + 11, "windows", "seed of shuffling, dropout, a new span head and the dev split",
                   "dev metric for early stopping and best/ (default f1; names with \"loss\" are minimised)");
    static const char summary[] =
        "Fine-tune an extractive reader (BERT, RoBERTa, DistilBERT, ELECTRA, ...) on SQuAD-format data with\n"
        "Hugging Face Trainer's semantics: windows as run_qa makes them (a window without the whole answer is\n"
        "labelled [CLS]), AdamW, linear warm-up and decay, clipping, accumulation. Dropout comes from the model's\n"
        "config. Writes a model Hugging Face loads, with its tokenizer files. SIGTERM/SIGINT finish the step,\n"
        "write a checkpoint and exit; --resume continues bitwise as if never interrupted.";
    const cli_spec spec = {"needle reader train --model DIR --train FILE [--dev FILE] --save-dir DIR [options]", summary,
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if ((rc = train_cli_check(&a.t))) return rc;
    if (!a.tokenizer_dir) a.tokenizer_dir = a.model_dir;
    return train(&a);
}

/* cmd_reader.c — `needle reader train`: fine-tune an extractive reader on SQuAD-format data.
 *
 * The command wires the library together: the tokenizer and model of an HF directory (a span
 * head is added when the checkpoint has none), SQuAD files read with answer re-location,
 * windows as Hugging Face's run_qa makes them, the reader task and the shared trainer. The
 * examples come from SQuAD files and/or a store's user feedback (--from-feedback: the feedback
 * loop of the HTTP API, through the converter /export-feedback uses). A run
 * interrupted by SIGTERM/SIGINT leaves a checkpoint and exits with 128 + the signal number;
 * the same command with --resume continues it exactly. */
#include "train_cli.h"
#include "needle/error.h"
#include "needle/reader.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *model_dir, *tokenizer_dir, *save_dir;
    reader_cli_data d;
    train_cli_args t;
} train_args;

static int train(const train_args *a) {
    tokenizer *tk = NULL;
    model m;
    reader_cli_sets sets;
    reader_task rt;
    int status = -1, model_ok = 0; /* -1: failed, message not printed yet */
    memset(&rt, 0, sizeof rt);
    reader_cli_sets_init(&sets, &a->d);
    if (tokenizer_load(a->tokenizer_dir, &tk)) goto done;
    if (model_load(&m, a->model_dir, MODEL_HEAD_SPAN, 0, (uint64_t)a->t.seed)) goto done;
    model_ok = 1;
    if (a->d.data.max_seq_len > m.cfg.P) {
        error_set(NEEDLE_EINVAL, "--max-seq-len %d exceeds the model's %d positions", a->d.data.max_seq_len, m.cfg.P);
        goto done;
    }
    if (reader_cli_load(&sets, &a->d, tk, (uint64_t)a->t.seed)) goto done;
    reader_windows view = reader_windows_of(&sets.ftr, &m);
    if (reader_task_init(&rt, &m, &view, a->t.batch, a->tokenizer_dir)) goto done;
    rt.eval = reader_cli_eval(&sets, &a->d, &m, a->t.batch);
    trainer_task task = reader_task_bind(&rt);
    status = train_cli_run(&task, &a->t, a->save_dir, NULL);
done:
    if (status < 0) status = cli_fail();
    reader_task_free(&rt);
    reader_cli_sets_free(&sets);
    if (model_ok) model_free(&m);
    tokenizer_free(tk);
    tokenizer_thread_cleanup();
    return status;
}

int cmd_reader_train(int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    reader_cli_data_defaults(&a.d);
    train_cli_defaults(&a.t, 12, 2, 3e-5, 0);
    a.d.fb = feedback_squad_defaults();
    int fb_context = 0;
    cli_opt opts[64];
    int n = 0;
    opts[n++] = (cli_opt){"model", OPT_STRING, &a.model_dir, "Hugging Face model directory to start from (a span head is added if missing)", 1};
    opts[n++] = (cli_opt){"tokenizer", OPT_STRING, &a.tokenizer_dir, "tokenizer directory or tokenizer.json (default: --model)", 0};
    opts[n++] = (cli_opt){"save-dir", OPT_STRING, &a.save_dir, "output: the final model (HF layout + tokenizer), best/, checkpoints/", 1};
    n += reader_cli_data_options(&a.d, 1, opts + n);
    opts[n++] = (cli_opt){"from-feedback", OPT_STRING, &a.d.feedback, "document store: train on its user feedback (as GET "
                                                                     "/export-feedback converts it), after --train's examples when both are given", 0};
    opts[n++] = (cli_opt){"feedback-context-size", OPT_INT, &fb_context, "cut each feedback context to this many characters "
                                                                        "around the answer (0: the whole document)", 0};
    opts[n++] = (cli_opt){"feedback-only-positive", OPT_FLAG, &a.d.fb.only_positive_labels, "only feedback whose answer is "
                                                                        "correct (no impossible questions from wrong documents)", 0};
    n += train_cli_options(&a.t, "windows", "f1", opts + n);
    opts[n] = (cli_opt){NULL, 0, NULL, NULL, 0};
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
    if (!a.d.train && !a.d.feedback) {
        fprintf(stderr, "needle: error: give --train FILE, --from-feedback STORE or both (see --help)\n");
        return 2;
    }
    if (fb_context < 0) {
        fprintf(stderr, "needle: error: --feedback-context-size must be 0 (the whole document) or more\n");
        return 2;
    }
    if (fb_context > 0) {
        a.d.fb.full_document_context = 0;
        a.d.fb.context_size = fb_context;
    }
    if ((rc = train_cli_check(&a.t))) return rc;
    a.d.data.threads = a.t.threads;
    if (!a.tokenizer_dir) a.tokenizer_dir = a.model_dir;
    return train(&a);
}

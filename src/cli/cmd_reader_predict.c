/* cmd_reader_predict.c — `needle reader predict` and `needle reader eval`: run a fine-tuned
 * reader over a SQuAD-format file. Both share the pipeline (tokenizer and model of an HF
 * directory, windows as run_qa makes them, batched evaluation-mode passes on all cores, HF's
 * answer post-processing); predict writes the official prediction file and, on request, the
 * top-k answers with context and offsets and the v2 null odds; eval scores the predictions with
 * the official script's rules and Haystack's top-n accuracy and prints the JSON. */
#include "cli.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"

#include <omp.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *model_dir, *tokenizer_dir, *data, *version_text;
    int threads;
    reader_data_opts d;
    reader_predict_opts p;
} pred_args;

typedef struct {
    tokenizer *tk;
    model m;
    int model_ok;
    squad_dataset ds;
    qa_features f;
    reader_eval ev;
    reader_predictions preds;
} pred_run;

static void pred_defaults(pred_args *a) {
    memset(a, 0, sizeof *a);
    a->d = reader_data_defaults();
    a->p = reader_predict_defaults();
}

/* The options both commands take; returns how many were written to o. */
static int pred_options(pred_args *a, cli_opt *o) {
    const cli_opt shared[] = {
        {"model", OPT_STRING, &a->model_dir, "fine-tuned reader: HF directory with a question-answering head", 1},
        {"tokenizer", OPT_STRING, &a->tokenizer_dir, "tokenizer directory or tokenizer.json (default: --model)", 0},
        {"data", OPT_STRING, &a->data, "SQuAD-format file (v1.1 or v2.0)", 1},
        {"version", OPT_STRING, &a->version_text, "1.1 or 2.0: no-answer prediction and scoring rules (default: the file's)", 0},
        {"max-seq-len", OPT_INT, &a->d.max_seq_len, "tokens per window, special tokens included", 0},
        {"stride", OPT_INT, &a->d.stride, "context tokens shared by consecutive windows (HF doc_stride)", 0},
        {"max-query-len", OPT_INT, &a->d.max_query_len, "questions cut to this many tokens (0: whole)", 0},
        {"batch-size", OPT_INT, &a->p.batch_size, "windows per forward pass", 0},
        {"n-best", OPT_INT, &a->p.decode.n_best, "start and end candidates per window, and answers kept (HF n_best_size)", 0},
        {"max-answer-len", OPT_INT, &a->p.decode.max_answer_len, "longest answer, in tokens", 0},
        {"null-threshold", OPT_DOUBLE, &a->p.decode.null_threshold, "v2.0: answer \"\" when null score - best span score exceeds this", 0},
        {"top-k", OPT_INT, &a->p.top_k, "answers reported per question (details; top-n accuracy)", 0},
        {"context-chars", OPT_INT, &a->p.context_chars, "characters of context around each reported answer", 0},
        {"threads", OPT_INT, &a->threads, "threads (0: all cores)", 0},
    };
    int n = (int)(sizeof shared / sizeof shared[0]);
    memcpy(o, shared, sizeof shared);
    return n;
}

static void pred_run_free(pred_run *r) {
    reader_predictions_free(&r->preds);
    qa_features_free(&r->f);
    squad_dataset_free(&r->ds);
    if (r->model_ok) model_free(&r->m);
    tokenizer_free(r->tk);
    tokenizer_thread_cleanup();
}

static int pred_run_do(pred_args *a, pred_run *r) {
    memset(r, 0, sizeof *r);
    squad_dataset_init(&r->ds);
    qa_features_init(&r->f, a->d.max_seq_len);
    int version = 0;
    if (a->version_text && !(version = squad_version_parse(a->version_text)))
        return error_set(NEEDLE_EINVAL, "--version: '%s' is neither 1.1 nor 2.0", a->version_text);
    if (a->threads > 0) omp_set_num_threads(a->threads);
    a->d.threads = a->threads;
    int rc = tokenizer_load(a->tokenizer_dir ? a->tokenizer_dir : a->model_dir, &r->tk);
    if (rc) return rc;
    if ((rc = model_load(&r->m, a->model_dir, MODEL_HEAD_AUTO, 0, 0))) return rc;
    r->model_ok = 1;
    if (r->m.cfg.head != MODEL_HEAD_SPAN)
        return error_set(NEEDLE_EINVAL, "%s: not a question-answering model (architecture %s); train one with "
                         "needle reader train", a->model_dir, model_config_architecture(&r->m.cfg));
    if (a->d.max_seq_len > r->m.cfg.P)
        return error_set(NEEDLE_EINVAL, "--max-seq-len %d exceeds the model's %d positions", a->d.max_seq_len, r->m.cfg.P);
    if (a->p.batch_size < 1) return error_set(NEEDLE_EINVAL, "--batch-size must be at least 1");
    if ((rc = model_alloc(&r->m, a->p.batch_size, a->d.max_seq_len, MODEL_INFER))) return rc;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, version};
    if ((rc = squad_load(a->data, &lo, &r->ds))) return rc;
    reader_data_stats st;
    if ((rc = reader_featurize(&r->ds, r->tk, &a->d, a->data, &r->f, &st))) return rc;
    a->p.decode.version_2 = r->ds.version == SQUAD_V2;
    r->ev = (reader_eval){reader_pred_windows_of(&r->f, &r->m), &r->ds, a->p};
    double t0 = clock_seconds();
    if ((rc = reader_predict(&r->m, &r->ev.w, &r->ds, &a->p, &r->preds))) return rc;
    double s = clock_seconds() - t0;
    log_info("%s: %zu questions, %d windows predicted in %.1f s (%.1f windows/s, %d threads)", a->data,
             r->ds.n_questions, r->f.n, s, s > 0 ? r->f.n / s : 0.0, omp_get_max_threads());
    return 0;
}

/* The files predict writes (each atomically; any may be NULL). */
static int write_outputs(const pred_run *r, const pred_args *a, const char *pred_path, const char *details_path,
                         const char *na_path) {
    squad_predictions preds;
    squad_na_probs na;
    strbuf sb;
    squad_predictions_init(&preds);
    squad_na_probs_init(&na);
    strbuf_init(&sb);
    int rc = 0;
    if (na_path && !r->preds.version_2)
        rc = error_set(NEEDLE_EINVAL, "--na-prob-out applies to SQuAD v2.0 (no-answer) prediction; %s is v1.1 "
                       "(use --version 2.0 to force)", a->data);
    if (!rc) rc = reader_predictions_official(&r->preds, &r->ds, &preds, &na);
    if (!rc && pred_path) rc = squad_predictions_write(&preds, pred_path);
    if (!rc && na_path) rc = squad_na_probs_write(&na, na_path);
    if (!rc && details_path) rc = reader_predictions_details(&r->preds, &r->ds, a->p.top_k, a->p.context_chars, &sb);
    if (!rc && details_path) rc = file_write_atomic(details_path, sb.data, sb.len);
    strbuf_free(&sb);
    squad_predictions_free(&preds);
    squad_na_probs_free(&na);
    return rc;
}

int cmd_reader_predict(int argc, char **argv) {
    pred_args a;
    pred_defaults(&a);
    const char *out = NULL, *details = NULL, *na = NULL;
    cli_opt opts[24];
    int n = pred_options(&a, opts);
    opts[n++] = (cli_opt){"out", OPT_STRING, &out, "predictions JSON {question id: answer text} (official format)", 1};
    opts[n++] = (cli_opt){"details", OPT_STRING, &details, "the top-k answers of each question: score, probability, "
                                                           "context, offsets in the document (JSON)", 0};
    opts[n++] = (cli_opt){"nbest-out", OPT_STRING, &details, "the same as --details", 0};
    opts[n++] = (cli_opt){"na-prob-out", OPT_STRING, &na, "v2.0: null odds {question id: score diff} for the official "
                                                          "evaluation's --na-prob", 0};
    opts[n] = (cli_opt){NULL, 0, NULL, NULL, 0};
    static const char summary[] =
        "Answer every question of a SQuAD-format file with a fine-tuned reader: windows as Hugging Face's run_qa\n"
        "makes them, then run_qa's post-processing (n-best start x end positions inside the context, end >= start,\n"
        "at most --max-answer-len tokens; for v2.0 the null score of [CLS] against --null-threshold).";
    const cli_spec spec = {"needle reader predict --model DIR --data FILE --out PRED.json [--details FILE] "
                           "[--na-prob-out FILE]", summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (a.threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 (all cores) or more\n");
        return 2;
    }
    pred_run r;
    int status = pred_run_do(&a, &r) || write_outputs(&r, &a, out, details, na) ? cli_fail() : 0;
    pred_run_free(&r);
    return status;
}

int cmd_reader_eval(int argc, char **argv) {
    pred_args a;
    pred_defaults(&a);
    const char *out = NULL, *pred_out = NULL;
    cli_opt opts[24];
    int n = pred_options(&a, opts);
    opts[n++] = (cli_opt){"out", OPT_STRING, &out, "also write the JSON to this file", 0};
    opts[n++] = (cli_opt){"predictions-out", OPT_STRING, &pred_out, "also write the predictions (official format)", 0};
    opts[n] = (cli_opt){NULL, 0, NULL, NULL, 0};
    static const char summary[] =
        "Predict (as needle reader predict) and score in one: prints the official SQuAD script's JSON for the\n"
        "file's version (v1.1 exact_match, f1; v2.0 exact, f1, total, HasAns_*, NoAns_*, best_* from the null\n"
        "odds), plus Haystack's top-n accuracy over the --top-k answers (top_n_accuracy: any overlap with a gold\n"
        "answer, FARM's rule; top_n_em: an exact match) and the mean span loss of the windows. Scores are\n"
        "percentages.";
    const cli_spec spec = {"needle reader eval --model DIR --data FILE [--out FILE]", summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (a.threads < 0) {
        fprintf(stderr, "needle: error: --threads must be 0 (all cores) or more\n");
        return 2;
    }
    pred_run r;
    cJSON *metrics = NULL;
    strbuf sb;
    strbuf_init(&sb);
    int status = 1;
    if (pred_run_do(&a, &r) || write_outputs(&r, &a, pred_out, NULL, NULL)) goto done;
    if (reader_eval_score(&r.ev, &r.preds, &metrics)) goto done;
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_cjson(&w, metrics);
    if (w.err || strbuf_putc(&sb, '\n')) {
        error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    if (out && file_write_atomic(out, sb.data, sb.len)) goto done;
    fputs(sb.data, stdout);
    status = 0;
done:
    if (status) cli_fail();
    strbuf_free(&sb);
    cJSON_Delete(metrics);
    pred_run_free(&r);
    return status;
}

/* cmd_eval_squad.c — `needle eval squad`: the official SQuAD evaluation of a prediction file
 * (and, for v2.0, a no-answer probability file), printing the JSON the official script of the
 * dataset's version prints. The notices the scripts print for missing predictions go to
 * stderr, so stdout holds only the JSON. */
#include "cli.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/squad.h"
#include "needle/squad_eval.h"

#include <stdio.h>

int cmd_eval_squad(int argc, char **argv) {
    const char *data = NULL, *pred_path = NULL, *na_path = NULL, *version_text = NULL, *out_path = NULL;
    double thresh = 1.0;
    const cli_opt opts[] = {
        {"data", OPT_STRING, &data, "SQuAD dataset JSON (v1.1 or v2.0)", 1},
        {"predictions", OPT_STRING, &pred_path, "predictions JSON {question id: answer text}", 1},
        {"na-prob", OPT_STRING, &na_path, "v2.0: no-answer probabilities JSON {question id: p}; adds best_* thresholds", 0},
        {"na-prob-thresh", OPT_DOUBLE, &thresh, "v2.0: count a prediction as no-answer when its probability is above this", 0},
        {"version", OPT_STRING, &version_text, "force the rules of 1.1 or 2.0 (default: the file's version field, "
                                               "else 2.0 if any question has no answer, else 1.1)", 0},
        {"out", OPT_STRING, &out_path, "also write the JSON to this file", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    static const char summary[] =
        "Score predictions with the official SQuAD semantics (evaluate-v1.1.py / evaluate-v2.0.py):\n"
        "normalised exact match and token F1, maximum over the gold answers. Prints\n"
        "{\"exact_match\", \"f1\"} for v1.1, and exact, f1, total, HasAns_*, NoAns_* (and best_* with\n"
        "--na-prob) for v2.0.";
    const cli_spec spec = {"needle eval squad --data DATASET.json --predictions PRED.json [--na-prob NA_PROB.json]",
                           summary, opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    int version = 0;
    if (version_text && !(version = squad_version_parse(version_text))) {
        fprintf(stderr, "needle: error: --version: '%s' is neither 1.1 nor 2.0\n", version_text);
        return 2;
    }

    squad_dataset ds;
    squad_predictions preds;
    squad_na_probs na;
    squad_eval_result res = {0};
    strbuf json;
    squad_predictions_init(&preds);
    squad_na_probs_init(&na);
    strbuf_init(&json);
    squad_load_opts load = {SQUAD_OFFSETS_KEEP, version};
    int status = 1;
    if (squad_load(data, &load, &ds)) return cli_fail();
    if (na_path && ds.version != SQUAD_V2) {
        error_set(NEEDLE_EINVAL, "--na-prob applies to SQuAD v2.0; %s is evaluated as v1.1 (use --version 2.0 to force)", data);
        goto done;
    }
    if (squad_predictions_load(pred_path, &preds)) goto done;
    if (na_path && squad_na_probs_load(na_path, &na)) goto done;
    squad_eval_opts eo = {ds.version, thresh};
    if (squad_evaluate(&ds, &preds, na_path ? &na : NULL, &eo, &res)) goto done;
    for (size_t i = 0; i < res.n_missing; i++) {
        const char *id = ds.questions[res.missing[i]].id;
        if (res.version == SQUAD_V1) fprintf(stderr, "Unanswered question %s will receive score 0.\n", id);
        else fprintf(stderr, "Missing prediction for %s\n", id);
    }
    if (res.unknown_predictions)
        log_warn("%s: %zu predictions for question ids that %s does not have (ignored)", pred_path, res.unknown_predictions, data);
    if (squad_eval_to_json(&res, &json) || strbuf_putc(&json, '\n')) goto done;
    if (out_path && file_write_atomic(out_path, json.data, json.len)) goto done;
    fputs(json.data, stdout);
    status = 0;
done:
    if (status) cli_fail();
    squad_eval_result_free(&res);
    strbuf_free(&json);
    squad_na_probs_free(&na);
    squad_predictions_free(&preds);
    squad_dataset_free(&ds);
    return status;
}

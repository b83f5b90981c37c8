/* cmd_eval.c — the `needle eval ...` commands, one function per subcommand:
 * `eval trec` scores a TREC run against qrels with trec_eval's measures and prints JSON. */
#include "cli.h"
#include "needle/error.h"
#include "needle/trec.h"

#include <stdio.h>

int cmd_eval_trec(int argc, char **argv) {
    const char *qrels_path = NULL, *run_path = NULL;
    const cli_opt opts[] = {
        {"qrels", OPT_STRING, &qrels_path, "relevance judgements: TREC qrels or BEIR tsv (with header)", 1},
        {"run", OPT_STRING, &run_path, "the run in TREC form: qid Q0 docno rank score tag", 1},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle eval trec --qrels QRELS --run RUN",
                           "Evaluate a ranked run with trec_eval's semantics (trec_eval -c: every query of the qrels counts,\n"
                           "ties ranked by docno descending) and print map, recip_rank, P_5, P_10, recall_10/100/1000,\n"
                           "ndcg_cut_10/100 as JSON.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    trec_qrels qrels;
    trec_run run;
    if (trec_qrels_read(qrels_path, &qrels)) return cli_fail();
    if (trec_run_read(run_path, &run)) {
        trec_qrels_free(&qrels);
        return cli_fail();
    }
    trec_summary s;
    strbuf out;
    strbuf_init(&out);
    rc = trec_evaluate(&qrels, &run, &s);
    if (!rc) {
        jsonw w;
        jsonw_init(&w, &out);
        jsonw_object_begin(&w);
        trec_summary_json(&s, &w);
        jsonw_object_end(&w);
        rc = w.err ? error_set(NEEDLE_ENOMEM, "out of memory") : 0;
    }
    if (!rc) printf("%s\n", out.data);
    strbuf_free(&out);
    trec_run_free(&run);
    trec_qrels_free(&qrels);
    return rc ? cli_fail() : 0;
}

/* cmd_retriever_mine.c — `needle retriever mine`: DPR training data from SQuAD-format data or
 * a BEIR data set, with hard negatives mined by BM25 or a dense retriever (dpr_mine.h),
 * written as a JSON array or JSON lines (by the output's extension) through an atomic file
 * (dpr_out): an interrupted run leaves no partial output. With --triples, the same pairs also go
 * out as cross-encoder training triples (`needle reranker train --train`): the question with each
 * positive (label 1) and each hard negative (label 0), the passage's text alone, as the
 * pipeline's SentenceTransformersRanker scores a document's content. */
#include "cli.h"
#include "needle/dpr_mine.h"
#include "needle/error.h"
#include "needle/log.h"

#include <stdio.h>

/* The DPR file, and the triples file when one is asked for. */
typedef struct {
    dpr_out dpr;
    atomic_file triples;
    int with_triples;
    strbuf sb;
} mine_out;

static int write_triples(mine_out *w, const dpr_record *r) {
    for (int kind = DPR_POS; kind <= DPR_HARD; kind++)
        for (int i = 0; i < r->n_ctx[kind]; i++) {
            strbuf_clear(&w->sb);
            jsonw j;
            jsonw_init(&j, &w->sb);
            jsonw_object_begin(&j);
            jsonw_key(&j, "query"), jsonw_string(&j, r->question);
            jsonw_key(&j, "passage"), jsonw_string(&j, r->ctx[kind][i].text);
            jsonw_key(&j, "label"), jsonw_int(&j, kind == DPR_POS);
            jsonw_object_end(&j);
            strbuf_putc(&w->sb, '\n');
            if (j.err || !w->sb.data) return error_set(NEEDLE_ENOMEM, "out of memory");
            if (fwrite(w->sb.data, 1, w->sb.len, w->triples.fp) != w->sb.len)
                return error_errno(NEEDLE_EIO, "%s: write failed", w->triples.path);
        }
    return 0;
}

static int write_record(void *ctx, const dpr_record *r) {
    mine_out *w = ctx;
    int rc = dpr_out_record(&w->dpr, r);
    return !rc && w->with_triples ? write_triples(w, r) : rc;
}

int cmd_retriever_mine(int argc, char **argv) {
    const char *squad = NULL, *corpus = NULL, *queries = NULL, *qrels_path = NULL, *out = NULL, *dense = NULL,
               *triples = NULL;
    dpr_mine_opts o;
    dpr_mine_opts_default(&o);
    const cli_opt opts[] = {
        {"squad", OPT_STRING, &squad, "SQuAD-format data (v1.1 or v2.0): one record per answerable question", 0},
        {"corpus", OPT_STRING, &corpus, "or a BEIR data set: corpus.jsonl ...", 0},
        {"queries", OPT_STRING, &queries, "... queries.jsonl ...", 0},
        {"qrels", OPT_STRING, &qrels_path, "... and qrels (documents judged relevant are the positives)", 0},
        {"out", OPT_STRING, &out, "DPR file to write: JSON lines when it ends in .jsonl, else a JSON array", 1},
        {"triples", OPT_STRING, &triples, "also write (question, passage, label) JSON lines for needle reranker train", 0},
        {"num-hard-negatives", OPT_INT, &o.num_hard_negatives, "hard negatives per question", 0},
        {"candidates", OPT_INT, &o.candidates, "retrieved results per question to choose them from", 0},
        {"dense", OPT_STRING, &dense, "mine with this dense retriever instead of BM25", 0},
        {"batch", OPT_INT, &o.batch, "dense: texts per embedding batch", 0},
        {"k1", OPT_DOUBLE, &o.k1, "BM25 k1", 0},
        {"b", OPT_DOUBLE, &o.b, "BM25 b", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle retriever mine (--squad FILE | --corpus F --queries F --qrels F) --out FILE [options]",
                           "Write DPR training data (question, answers, positive_ctxs, hard_negative_ctxs) from SQuAD-format\n"
                           "data or a BEIR data set. Hard negatives are the best BM25 (or --dense) results for the question\n"
                           "that are not a positive, do not contain an answer (SQuAD normalisation, on word boundaries) and\n"
                           "are not judged relevant; each carries its retrieval score.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    int beir = corpus || queries || qrels_path;
    if (!squad == !beir || (beir && !(corpus && queries && qrels_path))) {
        fprintf(stderr, "needle: error: give --squad FILE, or all of --corpus, --queries and --qrels\n");
        return 2;
    }
    if (o.num_hard_negatives < 0 || o.candidates < 1 || o.batch < 1) {
        fprintf(stderr, "needle: error: --num-hard-negatives must be >= 0, --candidates and --batch >= 1\n");
        return 2;
    }
    biencoder b;
    int have_b = 0;
    squad_dataset ds;
    trec_qrels qrels;
    squad_dataset_init(&ds);
    trec_qrels_init(&qrels);
    mine_out w = {.with_triples = triples != NULL};
    strbuf_init(&w.sb);
    dpr_mine_stats st;
    if (dense && !(rc = biencoder_open(&b, dense, NULL, 0))) have_b = 1, o.dense = &b;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    if (!rc && squad) rc = squad_load(squad, &lo, &ds);
    if (!rc && beir) rc = trec_qrels_read(qrels_path, &qrels);
    if (!rc && triples) rc = atomic_file_open(&w.triples, triples);
    if (!rc && (rc = dpr_out_open(&w.dpr, out)) && triples) atomic_file_abort(&w.triples);
    else if (!rc) {
        rc = dpr_out_close(&w.dpr, squad ? dpr_mine_squad(&ds, &o, write_record, &w, &st)
                                         : dpr_mine_beir(corpus, queries, &qrels, &o, write_record, &w, &st));
        if (triples) rc = rc ? (atomic_file_abort(&w.triples), rc) : atomic_file_commit(&w.triples);
    }
    if (!rc)
        fprintf(stderr, "needle: %zu records written to %s (%zu questions, %zu skipped without an answer or relevant document; "
                        "%zu hard negatives, %.2f per question; left out %zu candidates containing an answer and %zu positives)\n",
                st.records, out, st.questions, st.skipped, st.negatives, st.records ? (double)st.negatives / st.records : 0.0,
                st.answer_hits, st.relevant_hits);
    strbuf_free(&w.sb);
    squad_dataset_free(&ds);
    trec_qrels_free(&qrels);
    if (have_b) biencoder_free(&b);
    tokenizer_thread_cleanup();
    return rc ? cli_fail() : 0;
}

/* cmd_retriever_pretrain.c — `needle retriever pretrain`: DPR training data from an unlabelled
 * corpus (the inverse cloze task or independent cropping, pretrain_pairs.h) with BM25 hard
 * negatives, for `needle retriever train` to pre-train a retriever on a domain that has
 * documents but no labelled questions. Output through dpr_out, as `retriever mine`. */
#include "cli.h"
#include "needle/error.h"
#include "needle/pretrain_pairs.h"
#include "needle/tokenizer.h"

#include <stdio.h>

int cmd_retriever_pretrain(int argc, char **argv) {
    const char *corpus = NULL, *out = NULL, *task = "ict", *format = "auto";
    int seed = 42;
    pretrain_opts po;
    pretrain_opts_default(&po);
    dpr_mine_opts mo;
    dpr_mine_opts_default(&mo);
    const cli_opt opts[] = {
        {"corpus", OPT_STRING, &corpus, "documents: a BEIR corpus.jsonl (or its folder), JSON lines, SQuAD contexts or a text file", 1},
        {"format", OPT_STRING, &format, "auto, beir, jsonl, squad or text (auto: by the name)", 0},
        {"out", OPT_STRING, &out, "DPR file to write: JSON lines when it ends in .jsonl, else a JSON array", 1},
        {"task", OPT_STRING, &task, "ict (a sentence as the query for the rest of its passage) or crop (two random spans)", 0},
        {"ict-keep", OPT_DOUBLE, &po.ict_keep, "ICT: probability that the query sentence stays in the positive", 0},
        {"crop-min", OPT_DOUBLE, &po.crop_min, "crop: shortest span, as a ratio of the passage's words", 0},
        {"crop-max", OPT_DOUBLE, &po.crop_max, "crop: longest span, as a ratio of the passage's words", 0},
        {"pairs-per-passage", OPT_INT, &po.per_passage, "pairs drawn from each passage", 0},
        {"passage-words", OPT_INT, &po.passage_words, "split documents into passages of at most N words on sentence boundaries (0: whole)", 0},
        {"seed", OPT_INT, &seed, "random seed: the same seed gives the same file", 0},
        {"num-hard-negatives", OPT_INT, &mo.num_hard_negatives, "BM25 hard negatives per pair (never the source passage)", 0},
        {"candidates", OPT_INT, &mo.candidates, "BM25 results per query to choose them from", 0},
        {"k1", OPT_DOUBLE, &mo.k1, "BM25 k1", 0},
        {"b", OPT_DOUBLE, &mo.b, "BM25 b", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle retriever pretrain --corpus FILE --out FILE [--task ict|crop] [options]",
                           "Write DPR training data (question, positive_ctxs, hard_negative_ctxs) made from unlabelled\n"
                           "documents, for pre-training a retriever with `needle retriever train`. ict: a random sentence of\n"
                           "a passage is the query and the passage without it the positive (with it, at probability\n"
                           "--ict-keep); crop: two independent random spans of a passage, each --crop-min..--crop-max of\n"
                           "its words, are the query and the positive. Hard negatives: the query's best BM25 results over\n"
                           "all passages (k1 0.9, b 0.4 over title + text), never the source passage; each carries its score.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (pretrain_task_parse(task, &po.task) || doc_format_parse(format, &po.format)) return cli_fail();
    if (mo.num_hard_negatives < 0 || mo.candidates < 1 || po.per_passage < 1 || po.passage_words < 0 || seed < 0) {
        fprintf(stderr, "needle: error: --num-hard-negatives, --passage-words and --seed must be >= 0, "
                        "--candidates and --pairs-per-passage >= 1\n");
        return 2;
    }
    po.seed = (uint64_t)seed;
    dpr_out w;
    pretrain_stats st;
    if (!(rc = dpr_out_open(&w, out))) rc = dpr_out_close(&w, pretrain_mine(corpus, &po, &mo, dpr_out_record, &w, &st));
    if (!rc)
        fprintf(stderr, "needle: %zu %s records written to %s (%zu documents, %zu passages, %zu too short for a pair; "
                        "%zu hard negatives, %.2f per record; left out %zu source passages found among the candidates)\n",
                st.mine.records, task, out, st.documents, st.passages, st.too_short, st.mine.negatives,
                st.mine.records ? (double)st.mine.negatives / st.mine.records : 0.0, st.mine.relevant_hits);
    tokenizer_thread_cleanup();
    return rc ? cli_fail() : 0;
}

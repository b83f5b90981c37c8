/* cmd_squad.c — SQuAD files for training on a store's passages:
 *   `needle squad split`: cut a SQuAD file into a training and a test file by article
 *     (squad_split: articles sharing a title or a context stay on one side, so no passage is in
 *     both), e.g. COVID-QA's papers for the demo. Deterministic for a seed.
 *   `needle squad slice`: each question with the passage holding its answer, cut as `needle
 *     index` cuts contexts (squad_slice.h), so readers and retrievers train on the units the
 *     pipeline retrieves and reads. */
#include "cli.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/squad.h"
#include "needle/squad_slice.h"

#include <stdio.h>

int cmd_squad_split(int argc, char **argv) {
    const char *data = NULL, *train_out = NULL, *test_out = NULL;
    double fraction = 0.2;
    int seed = 42;
    const cli_opt opts[] = {
        {"data", OPT_STRING, &data, "SQuAD-format file to split", 1},
        {"test-fraction", OPT_DOUBLE, &fraction, "share of the questions that go to the test file (0 < X < 1)", 0},
        {"seed", OPT_INT, &seed, "seed of the article shuffle", 0},
        {"train-out", OPT_STRING, &train_out, "the training file to write", 1},
        {"test-out", OPT_STRING, &test_out, "the test file to write", 1},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle squad split --data FILE --train-out FILE --test-out FILE [--test-fraction X] [--seed N]",
                           "Split a SQuAD file into training and test files by article: articles that share a title or a\n"
                           "context go to the same side, shuffled with --seed and taken into the test file while it holds\n"
                           "fewer than --test-fraction of the questions. Answers are kept as written (answer_start unchanged).\n"
                           "Prints the question counts as JSON.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    if (!(fraction > 0 && fraction < 1)) {
        fprintf(stderr, "needle: error: --test-fraction must be between 0 and 1\n");
        return 2;
    }
    squad_dataset all, train, test;
    squad_dataset_init(&all);
    squad_dataset_init(&train);
    squad_dataset_init(&test);
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    rc = squad_load(data, &lo, &all);
    if (!rc) rc = squad_split(&all, fraction, (uint64_t)seed, &train, &test);
    if (!rc) rc = squad_write(&train, train_out, all.version);
    if (!rc) rc = squad_write(&test, test_out, all.version);
    if (!rc) {
        strbuf sb;
        strbuf_init(&sb);
        jsonw w;
        jsonw_init(&w, &sb);
        jsonw_object_begin(&w);
        const char *names[2] = {"train", "test"}, *files[2] = {train_out, test_out};
        const squad_dataset *sets[2] = {&train, &test};
        for (int i = 0; i < 2; i++) {
            jsonw_key(&w, names[i]);
            jsonw_object_begin(&w);
            jsonw_key(&w, "file"), jsonw_string(&w, files[i]);
            jsonw_key(&w, "articles"), jsonw_int(&w, (long long)sets[i]->n_articles);
            jsonw_key(&w, "questions"), jsonw_int(&w, (long long)sets[i]->n_questions);
            jsonw_object_end(&w);
        }
        jsonw_object_end(&w);
        if (w.err) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        else printf("%s\n", sb.data);
        strbuf_free(&sb);
    }
    squad_dataset_free(&all);
    squad_dataset_free(&train);
    squad_dataset_free(&test);
    return rc ? cli_fail() : 0;
}

int cmd_squad_slice(int argc, char **argv) {
    const char *data = NULL, *out = NULL, *split_by = "word";
    int split_length = 200, split_overlap = 0, respect = 0;
    const cli_opt opts[] = {
        {"data", OPT_STRING, &data, "SQuAD-format file to slice", 1},
        {"out", OPT_STRING, &out, "the SQuAD file to write", 1},
        {"split-by", OPT_STRING, &split_by, "passage unit, as needle index: word, sentence, passage (paragraph) or none", 0},
        {"split-length", OPT_INT, &split_length, "units per passage", 0},
        {"split-overlap", OPT_INT, &split_overlap, "units shared by consecutive passages", 0},
        {"respect-sentences", OPT_FLAG, &respect, "with --split-by word: keep whole sentences in each passage", 0},
        {NULL, 0, NULL, NULL, 0},
    };
    const cli_spec spec = {"needle squad slice --data FILE --out FILE [--split-by word --split-length N --respect-sentences]",
                           "Write a SQuAD file whose paragraphs are the passages holding the answers: each context is cut\n"
                           "into passages exactly as `needle index` cuts it with the same options, and each answerable\n"
                           "question goes with the passage holding its answer, the offsets moved into it. Impossible\n"
                           "questions and answers cut by a passage boundary are left out and counted. Answers are first\n"
                           "re-located to their text as `needle index --relocate-answers` does. Prints the counts as JSON.",
                           opts, 0, 0};
    char *pos[1];
    int npos, rc = cli_parse(&spec, argc, argv, pos, &npos);
    if (rc) return cli_parse_exit(rc);
    preprocess_opts pre;
    preprocess_opts_default(&pre);
    pre.split_length = split_length;
    pre.split_overlap = split_overlap;
    pre.respect_sentences = respect;
    squad_dataset all, sliced;
    squad_dataset_init(&all);
    squad_dataset_init(&sliced);
    squad_slice_stats st;
    squad_load_opts lo = {SQUAD_OFFSETS_FIX, 0};
    rc = split_unit_parse(split_by, &pre.split_by);
    if (!rc) rc = squad_load(data, &lo, &all);
    if (!rc) rc = squad_slice(&all, &pre, &sliced, &st);
    if (!rc && !sliced.n_questions) rc = error_set(NEEDLE_EINVAL, "%s: no question's answer lies inside one passage", data);
    if (!rc) rc = squad_write(&sliced, out, SQUAD_V1);
    if (!rc) {
        strbuf sb;
        strbuf_init(&sb);
        jsonw w;
        jsonw_init(&w, &sb);
        jsonw_object_begin(&w);
        jsonw_key(&w, "file"), jsonw_string(&w, out);
        const char *names[] = {"questions", "kept", "passages", "impossible", "unlocated", "crossing", "other_answers_dropped"};
        const size_t counts[] = {st.questions, st.kept, st.passages, st.impossible, st.unlocated, st.crossing, st.other_answers};
        for (int i = 0; i < 7; i++) jsonw_key(&w, names[i]), jsonw_int(&w, (long long)counts[i]);
        jsonw_object_end(&w);
        if (w.err) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        else printf("%s\n", sb.data);
        strbuf_free(&sb);
    }
    squad_dataset_free(&all);
    squad_dataset_free(&sliced);
    return rc ? cli_fail() : 0;
}

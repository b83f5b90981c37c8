/* test_dpr_stream.c — the DPR stream reader, its shuffle buffer and the BEIR converter.
 *
 * Expected records are written by hand from the DPR / Haystack formats (dpr_data.h); the
 * reservoir's selection frequencies are checked against the uniform k-of-n probability k/n,
 * and the shuffle buffer against its defining bound (a record at file position i cannot be
 * drawn before draw i - K + 1). */
#include "../test.h"
#include "needle/dpr_data.h"
#include "needle/file.h"

#include <stdlib.h>

static char *write_tmp(const char *name, const char *text) {
    char *path = path_join(test_tmpdir(), name);
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    return path;
}

/* Read every record of `path` with options o. */
static size_t read_all(const char *path, const dpr_read_opts *o, uint64_t seed, dpr_record **out, size_t max, int *rc) {
    dpr_stream *s;
    size_t n = 0;
    *rc = dpr_stream_open(&s, path, o, seed);
    if (*rc) return 0;
    dpr_record *r;
    while ((*rc = dpr_stream_next(s, &r)) == 1) {
        if (n < max) out[n++] = r;
        else free(r);
    }
    dpr_stream_close(s);
    return n;
}

static const char *ARRAY_TEXT =
    "[\n"
    " {\"dataset\": \"nq\", \"question\": \"who wrote hamlet?\", \"answers\": [\"Shakespeare\", 1601],\n"
    "  \"positive_ctxs\": [{\"title\": \"Hamlet\", \"text\": \"Hamlet is a tragedy by Shakespeare.\", \"score\": 1000,\n"
    "                     \"title_score\": 1, \"passage_id\": \"42\", \"extra\": {\"a\": [1, {\"b\": 2}]}}],\n"
    "  \"negative_ctxs\": [\"a bare string passage\"],\n"
    "  \"hard_negative_ctxs\": [{\"text\": \"Macbeth is another play.\", \"passage_id\": 7, \"score\": \"12.5\"},\n"
    "                         {\"title\": null, \"text\": \"Othello.\"}]},\n"
    " {\"query\": \"no positives here\", \"positive_ctxs\": [], \"hard_negative_ctxs\": [{\"text\": \"x\"}]},\n"
    " {\"questions\": \"alias keys\", \"positive_context\": [{\"title\": \"T\", \"text\": \"P\"}],\n"
    "  \"hard_negative_contexts\": [{\"title\": \"N\", \"text\": \"Q\"}]}\n"
    "]\n";

static void check_first_two(dpr_record **r, long long line0, long long line1) {
    CHECK_STR(r[0]->question, "who wrote hamlet?");
    CHECK_INT(r[0]->n_answers, 2);
    CHECK_STR(r[0]->answers[0], "Shakespeare");
    CHECK_STR(r[0]->answers[1], "1601");
    CHECK_INT(r[0]->n_ctx[DPR_POS], 1);
    CHECK_STR(r[0]->ctx[DPR_POS][0].title, "Hamlet");
    CHECK_STR(r[0]->ctx[DPR_POS][0].text, "Hamlet is a tragedy by Shakespeare.");
    CHECK_STR(r[0]->ctx[DPR_POS][0].id, "42");
    CHECK_NEAR(r[0]->ctx[DPR_POS][0].score, 1000, 0);
    CHECK_INT(r[0]->n_ctx[DPR_OTHER], 1);
    CHECK_STR(r[0]->ctx[DPR_OTHER][0].text, "a bare string passage");
    CHECK_STR(r[0]->ctx[DPR_OTHER][0].title, "");
    CHECK_INT(r[0]->n_ctx[DPR_HARD], 2);
    CHECK_STR(r[0]->ctx[DPR_HARD][0].title, "");
    CHECK_STR(r[0]->ctx[DPR_HARD][0].id, "7");
    CHECK_NEAR(r[0]->ctx[DPR_HARD][0].score, 12.5, 0);
    CHECK(isnan(r[0]->ctx[DPR_HARD][1].score));
    CHECK_STR(r[0]->ctx[DPR_HARD][1].text, "Othello.");
    CHECK_INT(r[0]->line, line0);
    CHECK_STR(r[1]->question, "alias keys");
    CHECK_STR(r[1]->ctx[DPR_POS][0].title, "T");
    CHECK_STR(r[1]->ctx[DPR_HARD][0].text, "Q");
    CHECK_INT(r[1]->line, line1);
}

TEST(dpr_stream_reads_array_and_aliases) {
    char *path = write_tmp("dpr.json", ARRAY_TEXT);
    dpr_read_opts o;
    dpr_read_opts_all(&o);
    dpr_record *r[8];
    int rc;
    size_t n = read_all(path, &o, 1, r, 8, &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(n, 2);
    if (n == 2) check_first_two(r, 2, 9);
    for (size_t i = 0; i < n; i++) free(r[i]);
    size_t records, skipped;
    CHECK_OK(dpr_stream_count(path, &o, &records, &skipped));
    CHECK_INT(records, 2);
    CHECK_INT(skipped, 1);
    free(path);
}

TEST(dpr_stream_reads_json_lines) {
    /* The same records, one per line (each record of ARRAY_TEXT on its own line). */
    const char *text =
        "{\"dataset\": \"nq\", \"question\": \"who wrote hamlet?\", \"answers\": [\"Shakespeare\", 1601], \"positive_ctxs\": "
        "[{\"title\": \"Hamlet\", \"text\": \"Hamlet is a tragedy by Shakespeare.\", \"score\": 1000, \"passage_id\": \"42\"}], "
        "\"negative_ctxs\": [\"a bare string passage\"], \"hard_negative_ctxs\": [{\"text\": \"Macbeth is another play.\", "
        "\"passage_id\": 7, \"score\": \"12.5\"}, {\"title\": null, \"text\": \"Othello.\"}]}\n"
        "\n"
        "{\"query\": \"no positives here\", \"positive_ctxs\": []}\n"
        "{\"questions\": \"alias keys\", \"positive_context\": [{\"title\": \"T\", \"text\": \"P\"}], "
        "\"hard_negative_contexts\": [{\"title\": \"N\", \"text\": \"Q\"}]}";
    char *path = write_tmp("dpr.jsonl", text);
    dpr_read_opts o;
    dpr_read_opts_all(&o);
    dpr_record *r[8];
    int rc;
    size_t n = read_all(path, &o, 1, r, 8, &rc);
    CHECK_INT(rc, 0);
    CHECK_INT(n, 2);
    if (n == 2) check_first_two(r, 1, 4);
    for (size_t i = 0; i < n; i++) free(r[i]);
    free(path);
}

/* A record with 5 hard negatives; keeping 2 by reservoir sampling must pick each with
 * probability 2/5, keeping the first 2 must pick negatives 0 and 1. */
TEST(dpr_stream_samples_negatives_uniformly) {
    char *path = write_tmp("five.jsonl", "{\"question\": \"q\", \"positive_ctxs\": [{\"text\": \"p\"}], \"hard_negative_ctxs\": "
                                         "[{\"text\": \"0\"}, {\"text\": \"1\"}, {\"text\": \"2\"}, {\"text\": \"3\"}, {\"text\": \"4\"}]}\n");
    dpr_read_opts o;
    dpr_read_opts_all(&o);
    o.keep[DPR_HARD] = 2;
    dpr_record *r[1];
    int rc, counts[5] = {0}, trials = 4000;
    size_t n = read_all(path, &o, 7, r, 1, &rc);
    CHECK_INT(n, 1);
    if (n) {
        CHECK_INT(r[0]->n_ctx[DPR_HARD], 2);
        CHECK_STR(r[0]->ctx[DPR_HARD][0].text, "0");
        CHECK_STR(r[0]->ctx[DPR_HARD][1].text, "1");
        free(r[0]);
    }
    o.sample[DPR_HARD] = 1;
    for (int t = 0; t < trials; t++) {
        if (read_all(path, &o, (uint64_t)t + 100, r, 1, &rc) != 1) break;
        CHECK_INT(r[0]->n_ctx[DPR_HARD], 2);
        for (int i = 0; i < r[0]->n_ctx[DPR_HARD]; i++) counts[atoi(r[0]->ctx[DPR_HARD][i].text)]++;
        CHECK(strcmp(r[0]->ctx[DPR_HARD][0].text, r[0]->ctx[DPR_HARD][1].text) != 0);
        free(r[0]);
    }
    /* Binomial(4000, 0.4): sd ~ 31; 5 sd. */
    for (int i = 0; i < 5; i++) CHECK_NEAR(counts[i], 0.4 * trials, 155);
    free(path);
}

static void expect_error(const char *name, const char *text, const char *needle) {
    char *path = write_tmp(name, text);
    dpr_read_opts o;
    dpr_read_opts_all(&o);
    size_t records, skipped;
    CHECK_ERR(dpr_stream_count(path, &o, &records, &skipped), NEEDLE_EFORMAT, needle);
    CHECK(strstr(error_message(), name) != NULL);
    free(path);
}

TEST(dpr_stream_reports_bad_input) {
    expect_error("bad1.json", "[\n{\"question\": \"q\",\n \"positive_ctxs\": [{\"text\": \"p\"}]\n,,]", ":4: malformed JSON");
    expect_error("bad2.jsonl", "{\"positive_ctxs\": [{\"text\": \"p\"}]}\n", ":1: record has no question");
    expect_error("bad3.jsonl", "{\"question\": \"q\"}\n{\"question\": \"q\", \"positive_ctxs\": [{\"title\": \"t\"}]}\n",
                 ":2: a passage has no \"text\"");
    expect_error("bad4.jsonl", "{\"question\": \"q\", \"positive_ctxs\": [{\"text\": \"p\xff\"}]}\n", ":1: malformed JSON");
    expect_error("bad5.json", "[{\"question\": \"q\", \"positive_ctxs\": [{\"text\": \"p\"}]},\n{\"question\": \"r\"",
                 "malformed JSON");
    expect_error("bad6.json", "42\n", "expected a JSON array of records");
    expect_error("bad7.jsonl", "{\"question\": [\"q\"]}\n", "the question should be a string");
    expect_error("bad8.jsonl", "{\"question\": \"q\", \"positive_ctxs\": {\"text\": \"p\"}}\n", "should be an array");
    expect_error("bad9.json", "[[1]]", "is not an object");
    expect_error("bad10.json", "[{\"question\": \"q\", \"positive_ctxs\": [{\"text\": \"p\", \"score\": \"high\"}]}]",
                 "score should be a number");
}

TEST(dpr_stream_reads_pieces_across_buffer_boundaries) {
    /* 3000 records of ~100 bytes: several 64 KiB pieces, records cut at piece boundaries. */
    strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "[");
    for (int i = 0; i < 3000; i++)
        strbuf_printf(&sb, "%s{\"question\": \"question %d\", \"positive_ctxs\": [{\"title\": \"t%d\", \"text\": \"passage %d\"}]}\n",
                      i ? "," : "", i, i, i);
    strbuf_puts(&sb, "]");
    char *path = write_tmp("many.json", sb.data);
    strbuf_free(&sb);
    dpr_read_opts o;
    dpr_read_opts_all(&o);
    dpr_stream *s;
    CHECK_OK(dpr_stream_open(&s, path, &o, 1));
    dpr_record *r;
    int i = 0, ok = 1;
    char want[64];
    while (dpr_stream_next(s, &r) == 1) {
        snprintf(want, sizeof want, "passage %d", i);
        if (strcmp(r->ctx[DPR_POS][0].text, want) || r->line != i + 1) ok = 0;
        free(r);
        i++;
    }
    CHECK_INT(i, 3000);
    CHECK(ok);
    dpr_stream_close(s);
    free(path);
}

/* Draw every record of a 50-record file through buffers of K = 1, 8 and 64. */
TEST(dpr_shuffle_buffer_bounds_and_permutes) {
    strbuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 50; i++)
        strbuf_printf(&sb, "{\"question\": \"%d\", \"positive_ctxs\": [{\"text\": \"p\"}]}\n", i);
    char *path = write_tmp("fifty.jsonl", sb.data);
    strbuf_free(&sb);
    dpr_read_opts o;
    dpr_read_opts_all(&o);
    const size_t ks[] = {1, 8, 64};
    for (int c = 0; c < 3; c++) {
        dpr_shuffle *sh;
        CHECK_OK(dpr_shuffle_open(&sh, path, &o, ks[c], 3));
        int seen[50] = {0}, t = 0, in_order = 1, bound_ok = 1;
        dpr_record *r;
        while (dpr_shuffle_next(sh, &r) == 1) {
            int i = atoi(r->question);
            if (i >= 0 && i < 50) seen[i]++;
            if (i != t) in_order = 0;
            if (i > t + (int)ks[c] - 1) bound_ok = 0;
            free(r);
            t++;
        }
        dpr_shuffle_close(sh);
        CHECK_INT(t, 50);
        for (int i = 0; i < 50; i++) CHECK_INT(seen[i], 1);
        CHECK(bound_ok);
        CHECK_INT(in_order, ks[c] == 1);
    }
    free(path);
}

TEST(dpr_records_from_beir_pairs) {
    char *corpus = write_tmp("bc.jsonl", "{\"_id\": \"d1\", \"title\": \"T1\", \"text\": \"one\"}\n"
                                         "{\"_id\": 2, \"text\": \"two\"}\n"
                                         "{\"_id\": \"d3\", \"title\": \"\", \"text\": \"three\"}\n");
    char *queries = write_tmp("bq.jsonl", "{\"_id\": \"q1\", \"text\": \"first\"}\n{\"_id\": \"q2\", \"text\": \"second\"}\n"
                                          "{\"_id\": \"q3\", \"text\": \"third\"}\n");
    char *qrels_path = write_tmp("bqrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t2\t2\nq2\td3\t0\nq3\td3\t1\n");
    trec_qrels qrels;
    CHECK_OK(trec_qrels_read(qrels_path, &qrels));
    dpr_record **recs;
    size_t n;
    CHECK_OK(dpr_records_from_beir(corpus, queries, &qrels, &recs, &n));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(recs[0]->question, "first");
        CHECK_INT(recs[0]->n_ctx[DPR_POS], 2);
        CHECK_STR(recs[0]->ctx[DPR_POS][0].id, "d1"); /* in the qrels' order */
        CHECK_STR(recs[0]->ctx[DPR_POS][0].title, "T1");
        CHECK_STR(recs[0]->ctx[DPR_POS][1].id, "2");
        CHECK_STR(recs[0]->ctx[DPR_POS][1].text, "two");
        CHECK_STR(recs[1]->question, "third");
        CHECK_STR(recs[1]->ctx[DPR_POS][0].text, "three");
    }
    dpr_records_free(recs, n);
    trec_qrels_free(&qrels);
    char *bad = write_tmp("bqrels2.tsv", "query-id\tcorpus-id\tscore\nq1\tmissing\t1\n");
    CHECK_OK(trec_qrels_read(bad, &qrels));
    CHECK_ERR(dpr_records_from_beir(corpus, queries, &qrels, &recs, &n), NEEDLE_ENOTFOUND, "'missing'");
    trec_qrels_free(&qrels);
    free(corpus);
    free(queries);
    free(qrels_path);
    free(bad);
}

/* test_squad_read.c — the SQuAD reader: offsets in code points, re-location of misplaced
 * answers with exact counts (COVID-QA's 234 as its SOURCE.md states them; Haystack's edge-case
 * files, values worked out by hand), the variants (integer ids, HF answer layout, missing
 * fields), version detection and clear errors for bad files. */
#include "../test.h"
#include "needle/squad.h"

#include <stdlib.h>

#define HAYSTACK FIXTURES "/squad/haystack/"

static const squad_load_opts FIX = {SQUAD_OFFSETS_FIX, 0};
static const squad_load_opts KEEP = {SQUAD_OFFSETS_KEEP, 0};

static int parse(const char *json, const squad_load_opts *opts, squad_dataset *ds) {
    return squad_parse(json, strlen(json), "t.json", opts, ds);
}

TEST(squad_covid_qa_offsets_relocated_with_exact_counts) {
    squad_dataset fixed, kept;
    CHECK_OK(squad_load("data/covid-qa/200423_covidQA.json", &FIX, &fixed));
    CHECK_OK(squad_load("data/covid-qa/200423_covidQA.json", &KEEP, &kept));
    CHECK_INT(fixed.n_articles, 98);
    CHECK_INT(fixed.n_questions, 1380);
    CHECK_INT(fixed.n_answers, 1380);
    CHECK_INT(fixed.stats.answers_exact, 1146);
    CHECK_INT(fixed.stats.answers_fixed, 234);
    CHECK_INT(fixed.stats.answers_not_found, 0);
    CHECK_INT(fixed.stats.questions_dropped, 0);
    CHECK_INT(fixed.version, SQUAD_V1); /* no "version", nothing impossible */
    CHECK_STR(fixed.questions[0].id, "262"); /* integer ids, in decimal */
    CHECK_INT(kept.n_answers, 1380);
    int minus1 = 0, plus2 = 0, plus3 = 0, other = 0, spans_ok = 1;
    for (size_t i = 0; i < fixed.n_answers; i++) {
        const squad_answer *f = &fixed.answers[i], *k = &kept.answers[i];
        const squad_paragraph *p = &fixed.paragraphs[fixed.questions[i].paragraph];
        size_t len = strlen(f->text);
        if (!f->located || f->byte_end - f->byte_start != len || memcmp(p->context + f->byte_start, f->text, len))
            spans_ok = 0;
        long long shift = f->start - k->start;
        if (shift == -1) minus1++;
        else if (shift == 2) plus2++;
        else if (shift == 3) plus3++;
        else if (shift != 0) other++;
        CHECK_INT(k->located, shift == 0);
    }
    CHECK(spans_ok);
    CHECK_INT(minus1, 196);
    CHECK_INT(plus3, 28);
    CHECK_INT(plus2, 10);
    CHECK_INT(other, 0);
    squad_dataset_free(&fixed);
    squad_dataset_free(&kept);
}

TEST(squad_haystack_wrong_offset_is_relocated) {
    squad_dataset ds;
    /* "Berlin has 10 inhabitants.": "10" is at 11, the file says 0 */
    CHECK_OK(squad_load(HAYSTACK "answer-offset-wrong.json", &FIX, &ds));
    CHECK_INT(ds.n_answers, 1);
    CHECK_INT(ds.answers[0].start, 11);
    CHECK_INT(ds.answers[0].byte_start, 11);
    CHECK_INT(ds.answers[0].byte_end, 13);
    CHECK_INT(ds.stats.answers_fixed, 1);
    CHECK_INT(ds.version, SQUAD_V2);
    squad_dataset_free(&ds);
    CHECK_OK(squad_load(HAYSTACK "answer-offset-wrong.json", &KEEP, &ds));
    CHECK_INT(ds.answers[0].start, 0);
    CHECK_INT(ds.answers[0].located, 0);
    CHECK_INT(ds.stats.answers_fixed, 1);
    squad_dataset_free(&ds);
}

TEST(squad_haystack_wrong_answer_is_dropped_and_counted) {
    squad_dataset ds;
    /* "11" occurs nowhere in the context: dropped, and the question with it */
    CHECK_OK(squad_load(HAYSTACK "answer-wrong.json", &FIX, &ds));
    CHECK_INT(ds.n_questions, 0);
    CHECK_INT(ds.n_answers, 0);
    CHECK_INT(ds.stats.answers_not_found, 1);
    CHECK_INT(ds.stats.questions_dropped, 1);
    squad_dataset_free(&ds);
    CHECK_OK(squad_load(HAYSTACK "answer-wrong.json", &KEEP, &ds));
    CHECK_INT(ds.n_questions, 1);
    CHECK_STR(ds.answers[0].text, "11");
    CHECK_INT(ds.stats.answers_not_found, 1);
    CHECK_INT(ds.stats.questions_dropped, 0);
    squad_dataset_free(&ds);
}

TEST(squad_haystack_no_answer_and_mixed) {
    squad_dataset ds;
    CHECK_OK(squad_load(HAYSTACK "noanswer.json", &FIX, &ds));
    CHECK_INT(ds.n_questions, 1);
    CHECK_INT(ds.questions[0].is_impossible, 1);
    CHECK_INT(ds.questions[0].n_answers, 0);
    CHECK_INT(ds.stats.questions_dropped, 0);
    squad_dataset_free(&ds);
    CHECK_OK(squad_load(HAYSTACK "eval-sample.json", &FIX, &ds));
    CHECK_INT(ds.n_articles, 2);
    CHECK_INT(ds.n_questions, 3);
    CHECK_INT(ds.questions[0].is_impossible, 1);
    CHECK_INT(ds.questions[1].n_answers, 2);
    CHECK_STR(ds.answers[ds.questions[1].first_answer + 1].text, "10 inhabitants");
    CHECK_STR(ds.articles[1].title, "Test2");
    CHECK_INT(ds.stats.answers_exact, 4);
    squad_dataset_free(&ds);
}

TEST(squad_haystack_context_after_qas_and_big_integer_ids) {
    squad_dataset ds;
    CHECK_OK(squad_load(HAYSTACK "train-sample.json", &FIX, &ds));
    CHECK_INT(ds.answers[0].start, 159);
    CHECK_INT(ds.answers[0].located, 1);
    CHECK(ds.articles[0].title == NULL);
    squad_dataset_free(&ds);
    /* 7211011040021040393 is not a double: read as a double it would print ...0128 */
    CHECK_OK(squad_load(HAYSTACK "tiny.json", &FIX, &ds));
    CHECK_STR(ds.questions[0].id, "7211011040021040393");
    CHECK_STR(ds.questions[1].id, "-5782547119306399562");
    CHECK_INT(ds.questions[0].n_answers, 3);
    squad_dataset_free(&ds);
    /* "Leila" is at 90, not 89 as the file says */
    CHECK_OK(squad_load(HAYSTACK "tiny_passages.json", &FIX, &ds));
    CHECK_INT(ds.answers[2].start, 90);
    CHECK_INT(ds.stats.answers_fixed, 1);
    CHECK_INT(ds.stats.answers_exact, 2);
    squad_dataset_free(&ds);
}

TEST(squad_haystack_empty_answers_marked_answerable) {
    squad_dataset ds;
    /* answers [] with is_impossible false: nothing to train on (dropped in FIX mode), but
     * kept for evaluation; the repeated ids are counted */
    CHECK_OK(squad_load(HAYSTACK "tiny_augmented.json", &FIX, &ds));
    CHECK_INT(ds.n_questions, 0);
    CHECK_INT(ds.stats.questions_dropped, 10);
    CHECK_INT(ds.version, SQUAD_V2);
    squad_dataset_free(&ds);
    CHECK_OK(squad_load(HAYSTACK "tiny_augmented.json", &KEEP, &ds));
    CHECK_INT(ds.n_questions, 10);
    CHECK_INT(ds.stats.duplicate_ids, 8);
    squad_dataset_free(&ds);
}

TEST(squad_offsets_are_code_points) {
    /* Python: c = "Zoë lives in Zürich. 東京 is far. 😀 smile"; c.find("Zürich") == 13,
     * c.find("東京") == 21, c.find("smile") == 34; len(c) == 39, len(c.encode()) == 48, len(c[:34].encode()) == 43. */
    const char *json = "{\"data\":[{\"title\":\"t\",\"paragraphs\":[{\"context\":"
                       "\"Zo\\u00eb lives in Z\\u00fcrich. \xe6\x9d\xb1\xe4\xba\xac is far. \xf0\x9f\x98\x80 smile\","
                       "\"qas\":[{\"id\":\"a\",\"question\":\"q\",\"answers\":["
                       "{\"text\":\"Z\xc3\xbcrich\",\"answer_start\":13},"
                       "{\"text\":\"\xe6\x9d\xb1\xe4\xba\xac\",\"answer_start\":21},"
                       "{\"text\":\"smile\",\"answer_start\":34},"
                       "{\"text\":\"smile\",\"answer_start\":33}]}]}]}]}";
    squad_dataset ds;
    CHECK_OK(parse(json, &FIX, &ds));
    CHECK_INT(ds.paragraphs[0].context_chars, 39);
    CHECK_INT(ds.paragraphs[0].context_bytes, 48);
    CHECK_INT(ds.answers[0].start, 13);
    CHECK_INT(ds.answers[0].byte_start, 14);
    CHECK_INT(ds.answers[0].byte_end, 21);
    CHECK_INT(ds.answers[1].start, 21);
    CHECK_INT(ds.answers[1].byte_start, 23);
    CHECK_INT(ds.answers[1].byte_end, 29);
    CHECK_INT(ds.answers[2].start, 34);
    CHECK_INT(ds.answers[2].byte_start, 43);
    /* off by one after the multi-byte characters: re-located in code points */
    CHECK_INT(ds.answers[3].start, 34);
    CHECK_INT(ds.answers[3].byte_start, 43);
    CHECK_INT(ds.stats.answers_exact, 3);
    CHECK_INT(ds.stats.answers_fixed, 1);
    squad_dataset_free(&ds);
}

TEST(squad_relocation_takes_the_nearest_occurrence) {
    /* "x abc x abc x": x at 0, 6 and 12. start 7 -> 6; start 3 is 3 from 0 and from 6 -> the
     * earlier, 0; start 10 -> 12; no answer_start -> the first, 0 */
    const char *json = "{\"data\":[{\"paragraphs\":[{\"context\":\"x abc x abc x\",\"qas\":[{\"id\":\"a\",\"question\":\"q\","
                       "\"answers\":[{\"text\":\"x\",\"answer_start\":7},{\"text\":\"x\",\"answer_start\":3},"
                       "{\"text\":\"x\",\"answer_start\":10},{\"text\":\"x\"}]}]}]}]}";
    squad_dataset ds;
    CHECK_OK(parse(json, &FIX, &ds));
    CHECK_INT(ds.answers[0].start, 6);
    CHECK_INT(ds.answers[1].start, 0);
    CHECK_INT(ds.answers[2].start, 12);
    CHECK_INT(ds.answers[3].start, 0);
    CHECK_INT(ds.stats.answers_fixed, 3);
    CHECK_INT(ds.stats.answers_no_start, 1);
    squad_dataset_free(&ds);
}

TEST(squad_variants_hf_answers_missing_fields_numbers) {
    const char *json =
        "{\"version\": 1.1, \"data\":[{\"paragraphs\":[{\"context\":\"alpha beta gamma\",\"qas\":["
        "{\"id\":7,\"question\":\"q1\",\"answers\":{\"text\":[\"beta\",\"gamma\"],\"answer_start\":[6,11]}},"
        "{\"id\":-0,\"question\":\"q2\"},"
        "{\"id\":\"s\",\"question\":\"q3\",\"is_impossible\":1,\"answers\":[],"
        "\"plausible_answers\":[{\"text\":\"alpha\",\"answer_start\":0}]},"
        "{\"id\":\"e\",\"question\":\"q4\",\"answers\":[{\"text\":\"\",\"answer_start\":0},{\"text\":\"alpha\",\"answer_start\":0}]}"
        "]}]}]}";
    squad_dataset ds;
    CHECK_OK(parse(json, &FIX, &ds));
    CHECK_INT(ds.version, SQUAD_V1); /* the field wins over the content */
    CHECK_STR(ds.version_field, "1.1");
    CHECK_INT(ds.n_questions, 4);
    CHECK_STR(ds.questions[0].id, "7");
    CHECK_INT(ds.questions[0].n_answers, 2);
    CHECK_INT(ds.answers[1].start, 11);
    CHECK_STR(ds.questions[1].id, "0");
    CHECK_INT(ds.questions[1].is_impossible, 1); /* no answers, no flag */
    CHECK_INT(ds.questions[2].is_impossible, 1);
    CHECK_INT(ds.questions[2].n_answers, 0);
    CHECK_INT(ds.questions[2].n_plausible, 1);
    CHECK_STR(ds.answers[ds.questions[2].first_answer].text, "alpha");
    CHECK_INT(ds.questions[3].n_answers, 1); /* the empty answer is dropped */
    CHECK_INT(ds.stats.answers_empty, 1);
    squad_dataset_free(&ds);
}

TEST(squad_version_detection) {
    const char *v1 = "{\"data\":[{\"paragraphs\":[{\"context\":\"a b\",\"qas\":[{\"id\":\"1\",\"question\":\"q\","
                     "\"answers\":[{\"text\":\"b\",\"answer_start\":2}],\"is_impossible\":false}]}]}]}";
    const char *v2 = "{\"data\":[{\"paragraphs\":[{\"context\":\"a b\",\"qas\":[{\"id\":\"1\",\"question\":\"q\","
                     "\"answers\":[{\"text\":\"b\",\"answer_start\":2}],\"plausible_answers\":[]}]}]}]}";
    const char *unknown = "{\"version\":\"covid\",\"data\":[{\"paragraphs\":[{\"context\":\"a\",\"qas\":["
                          "{\"id\":\"1\",\"question\":\"q\",\"is_impossible\":true,\"answers\":[]}]}]}]}";
    squad_dataset ds;
    CHECK_OK(parse(v1, &FIX, &ds));
    CHECK_INT(ds.version, SQUAD_V1);
    squad_dataset_free(&ds);
    CHECK_OK(parse(v2, &FIX, &ds));
    CHECK_INT(ds.version, SQUAD_V2);
    squad_dataset_free(&ds);
    CHECK_OK(parse(unknown, &FIX, &ds));
    CHECK_INT(ds.version, SQUAD_V2);
    squad_dataset_free(&ds);
    squad_load_opts forced = {SQUAD_OFFSETS_KEEP, 2};
    CHECK_OK(parse(v1, &forced, &ds));
    CHECK_INT(ds.version, SQUAD_V2);
    squad_dataset_free(&ds);
    CHECK_INT(squad_version_parse("v2.0"), SQUAD_V2);
    CHECK_INT(squad_version_parse("1.1"), SQUAD_V1);
    CHECK_INT(squad_version_parse("2"), SQUAD_V2);
    CHECK_INT(squad_version_parse("3.0"), 0);
    CHECK_INT(squad_version_parse("12"), 0);
}

TEST(squad_top_level_list_is_accepted) {
    const char *json = "[{\"paragraphs\":[{\"context\":\"a b\",\"qas\":[{\"id\":\"1\",\"question\":\"q\","
                       "\"answers\":[{\"text\":\"b\",\"answer_start\":2}]}]}]}]";
    squad_dataset ds;
    CHECK_OK(parse(json, &FIX, &ds));
    CHECK_INT(ds.n_questions, 1);
    squad_dataset_free(&ds);
}

TEST(squad_bad_files_get_clear_errors) {
    squad_dataset ds;
    CHECK_ERR(parse("{\"data\":[{\"paragraphs\":[{\"context\":\"ok\xff\"}]}]}", &FIX, &ds), NEEDLE_EFORMAT,
              "t.json: invalid UTF-8 at line 1, column 39");
    CHECK_ERR(parse("{\"data\":[\n{\"paragraphs\":[{\"context\":\"\xc3\x28\"}]}]}", &FIX, &ds), NEEDLE_EFORMAT,
              "invalid UTF-8 at line 2, column 28");
    CHECK_ERR(parse("{\"data\":[{\"paragraphs\":[", &FIX, &ds), NEEDLE_EFORMAT, "t.json: malformed JSON");
    CHECK_ERR(parse("{\"version\":\"1.1\"}", &FIX, &ds), NEEDLE_EFORMAT, "not a SQuAD file");
    CHECK_ERR(parse("{\"data\":[{\"paragraphs\":[{\"context\":\"a\",\"qas\":[{\"id\":\"1\",\"question\":\"q\"},"
                    "{\"id\":\"2\"}]}]}]}", &FIX, &ds),
              NEEDLE_EFORMAT, "t.json: data[0].paragraphs[0].qas[1]: missing field \"question\"");
    CHECK_ERR(parse("{\"data\":[{\"paragraphs\":[{\"context\":\"a\",\"qas\":[{\"id\":1.5,\"question\":\"q\"}]}]}]}", &FIX, &ds),
              NEEDLE_EFORMAT, "\"id\" should be a string or an integer");
    CHECK_ERR(parse("{\"data\":[{\"paragraphs\":[{\"qas\":[]}]}]}", &FIX, &ds), NEEDLE_EFORMAT,
              "data[0].paragraphs[0]: missing field \"context\"");
    CHECK_ERR(parse("{\"data\":[{\"paragraphs\":[{\"context\":\"a\",\"qas\":[{\"id\":\"1\",\"question\":\"q\","
                    "\"answers\":[{\"text\":\"a\",\"answer_start\":\"0\"}]}]}]}]}", &FIX, &ds),
              NEEDLE_EFORMAT, "qas[0].answers[0]: field \"answer_start\" should be an integer");
    CHECK_ERR(squad_load("tests/fixtures/squad/no-such-file.json", &FIX, &ds), NEEDLE_ENOTFOUND, "no-such-file.json");
}

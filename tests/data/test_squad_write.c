/* test_squad_write.c — building a dataset in memory (as exporters do) and writing SQuAD JSON:
 * the output parses with cJSON (an independent parser) in the official layout, reads back into
 * the same dataset, and a re-located file written out has only exact offsets afterwards. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/squad.h"

#include <stdlib.h>

/* Zürich (ü is 2 bytes): "big" starts at code point 10, byte 11. */
static void build(squad_dataset *ds) {
    squad_dataset_init(ds);
    CHECK_OK(squad_add_article(ds, "Cities"));
    CHECK_OK(squad_add_paragraph(ds, "Z\xc3\xbcrich is big."));
    CHECK_OK(squad_set_paragraph_id(ds, "doc-1"));
    CHECK_OK(squad_add_question(ds, "q1", "How is Z\xc3\xbcrich?", 0));
    CHECK_OK(squad_add_answer(ds, "big", 10, 0));
    CHECK_OK(squad_add_answer(ds, "is big", 7, 0));
    CHECK_OK(squad_add_question(ds, "q2", "Who founded it?", 1));
    CHECK_OK(squad_add_answer(ds, "Z\xc3\xbcrich", 0, 1));
    CHECK_OK(squad_add_article(ds, NULL));
    CHECK_OK(squad_add_paragraph(ds, "Second text."));
    CHECK_OK(squad_add_question(ds, "q3", "Which?", 0));
    CHECK_OK(squad_add_answer(ds, "Second", 0, 0));
}

TEST(squad_builder_computes_spans_and_checks_order) {
    squad_dataset ds;
    build(&ds);
    CHECK_INT(ds.answers[0].located, 1);
    CHECK_INT(ds.answers[0].byte_start, 11);
    CHECK_INT(ds.answers[0].byte_end, 14);
    CHECK_INT(ds.answers[1].located, 1);
    CHECK_INT(ds.questions[1].n_answers, 0);
    CHECK_INT(ds.questions[1].n_plausible, 1);
    CHECK_INT(ds.paragraphs[0].context_chars, 14);
    CHECK_OK(squad_add_answer(&ds, "Second", 3, 0)); /* added, but not located */
    CHECK_INT(ds.answers[ds.n_answers - 1].located, 0);
    CHECK_OK(squad_add_question(&ds, "q4", "?", 1));
    CHECK_OK(squad_add_answer(&ds, "text", 7, 1));
    CHECK_ERR(squad_add_answer(&ds, "text", 7, 0), NEEDLE_EINVAL, "before plausible answers");
    CHECK_INT(squad_detect_version(&ds), SQUAD_V2);
    squad_dataset_free(&ds);
    squad_dataset_init(&ds);
    CHECK_ERR(squad_add_paragraph(&ds, "x"), NEEDLE_EINVAL, "no article");
    CHECK_ERR(squad_add_answer(&ds, "x", 0, 0), NEEDLE_EINVAL, "no question");
    squad_dataset_free(&ds);
}

TEST(squad_write_v2_layout_and_round_trip) {
    squad_dataset ds, back;
    build(&ds);
    strbuf sb;
    strbuf_init(&sb);
    CHECK_OK(squad_serialize(&ds, SQUAD_V2, &sb));
    cJSON *doc;
    CHECK_OK(json_parse(sb.data, sb.len, "out", &doc));
    CHECK_STR(cJSON_GetObjectItem(doc, "version")->valuestring, "v2.0");
    const cJSON *art = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "data"), 0);
    CHECK_STR(cJSON_GetObjectItem(art, "title")->valuestring, "Cities");
    const cJSON *par = cJSON_GetArrayItem(cJSON_GetObjectItem(art, "paragraphs"), 0);
    CHECK_STR(cJSON_GetObjectItem(par, "id")->valuestring, "doc-1");
    CHECK(!cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "data"), 1),
                                                                      "paragraphs"), 0), "id"));
    const cJSON *q2 = cJSON_GetArrayItem(cJSON_GetObjectItem(par, "qas"), 1);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(q2, "is_impossible")));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(q2, "answers")), 0);
    const cJSON *pl = cJSON_GetArrayItem(cJSON_GetObjectItem(q2, "plausible_answers"), 0);
    CHECK_STR(cJSON_GetObjectItem(pl, "text")->valuestring, "Z\xc3\xbcrich");
    CHECK_INT(cJSON_GetObjectItem(pl, "answer_start")->valueint, 0);
    CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "data"), 1), "title") == NULL);
    cJSON_Delete(doc);

    squad_load_opts keep = {SQUAD_OFFSETS_KEEP, 0};
    CHECK_OK(squad_parse(sb.data, sb.len, "out", &keep, &back));
    CHECK_INT(back.version, SQUAD_V2);
    CHECK_INT(back.n_articles, 2);
    CHECK_INT(back.n_questions, 3);
    CHECK_INT(back.n_answers, 4);
    CHECK_STR(back.paragraphs[0].id, "doc-1");
    CHECK(back.paragraphs[1].id == NULL);
    for (size_t i = 0; i < back.n_answers && i < ds.n_answers; i++) {
        CHECK_STR(back.answers[i].text, ds.answers[i].text);
        CHECK_INT(back.answers[i].start, ds.answers[i].start);
        CHECK_INT(back.answers[i].byte_start, ds.answers[i].byte_start);
    }
    for (size_t i = 0; i < back.n_questions; i++) {
        CHECK_STR(back.questions[i].id, ds.questions[i].id);
        CHECK_STR(back.questions[i].question, ds.questions[i].question);
        CHECK_INT(back.questions[i].is_impossible, ds.questions[i].is_impossible);
        CHECK_INT(back.questions[i].n_plausible, ds.questions[i].n_plausible);
    }
    CHECK_INT(back.stats.answers_exact, 4);
    squad_dataset_free(&back);
    strbuf_free(&sb);
    squad_dataset_free(&ds);
}

TEST(squad_write_v1_refuses_unanswerable) {
    squad_dataset ds;
    build(&ds);
    strbuf sb;
    strbuf_init(&sb);
    CHECK_ERR(squad_serialize(&ds, SQUAD_V1, &sb), NEEDLE_EINVAL, "question q2 has no answer");
    char *path = path_join(test_tmpdir(), "v1.json");
    CHECK_ERR(squad_write(&ds, path, SQUAD_V1), NEEDLE_EINVAL, "v1.json: question q2");
    CHECK(!file_exists(path));
    free(path);
    strbuf_free(&sb);
    squad_dataset_free(&ds);
}

TEST(squad_write_relocated_offsets_stay_fixed) {
    squad_dataset fixed, back;
    CHECK_OK(squad_load("data/covid-qa/200423_covidQA.json", NULL, &fixed));
    char *path = path_join(test_tmpdir(), "covid-fixed.json");
    CHECK_OK(squad_write(&fixed, path, SQUAD_V1));
    CHECK_OK(squad_load(path, NULL, &back));
    CHECK_INT(back.version, SQUAD_V1);
    CHECK_STR(back.version_field, "1.1");
    CHECK_INT(back.n_questions, 1380);
    CHECK_INT(back.stats.answers_exact, 1380);
    CHECK_INT(back.stats.answers_fixed, 0);
    CHECK_STR(back.questions[0].id, "262");
    CHECK(!strcmp(back.paragraphs[97].context, fixed.paragraphs[97].context));
    squad_dataset_free(&back);
    squad_dataset_free(&fixed);
    free(path);
}

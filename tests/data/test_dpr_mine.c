/* test_dpr_mine.c — mining hard negatives from SQuAD-format data with BM25: the positive
 * paragraph and every paragraph that contains an answer (after SQuAD's normalisation, on word
 * boundaries) are left out, the rest come in BM25's order with their scores. The expected
 * choices follow from the texts by hand: each candidate shares query words, and only the
 * stated ones contain the answer. */
#include "../test.h"
#include "needle/dpr_mine.h"

#include <stdlib.h>

TEST(dpr_has_answer_on_word_boundaries) {
    CHECK(dpr_text_has_answer("carla lives in berlin", "berlin"));
    CHECK(dpr_text_has_answer("berlin wall", "berlin"));
    CHECK(dpr_text_has_answer("capital is berlin germany", "berlin germany"));
    CHECK(!dpr_text_has_answer("berliners live here", "berlin"));
    CHECK(!dpr_text_has_answer("in west berlin", "st berlin"));
    CHECK(!dpr_text_has_answer("anything", ""));
}

typedef struct {
    dpr_record *r[8];
    int n;
} collected;

static int collect(void *ctx, const dpr_record *r) {
    collected *c = ctx;
    const dpr_passage *pos[DPR_KINDS] = {r->ctx[0], r->ctx[1], r->ctx[2]};
    if (c->n < 8) CHECK_OK(dpr_record_build(r->question, r->answers, r->n_answers, pos, r->n_ctx, &c->r[c->n++]));
    return 0;
}

TEST(dpr_mine_squad_bm25) {
    static const char text[] =
        "{\"version\": \"1.1\", \"data\": [{\"title\": \"Cities\", \"paragraphs\": ["
        "{\"context\": \"Carla lives in Berlin, the capital city of Germany.\", \"qas\": [{\"id\": \"1\", \"question\": "
        "\"Which city is the capital of Germany?\", \"answers\": [{\"text\": \"Berlin\", \"answer_start\": 15}]}]},"
        "{\"context\": \"The Berlin Wall divided the city of Berlin.\", \"qas\": []},"
        "{\"context\": \"Paris is the capital city of France.\", \"qas\": []},"
        "{\"context\": \"Berliners like the capital of Germany.\", \"qas\": []},"
        "{\"context\": \"Madrid is a capital with many parks.\", \"qas\": [{\"id\": \"2\", \"question\": \"Is this impossible?\", "
        "\"answers\": [], \"is_impossible\": true}]}]}]}";
    squad_dataset ds;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    CHECK_OK(squad_parse(text, sizeof text - 1, "mine.json", &lo, &ds));
    dpr_mine_opts o;
    dpr_mine_opts_default(&o);
    o.num_hard_negatives = 4; /* more than there are: every candidate is examined */
    collected c = {0};
    dpr_mine_stats st;
    CHECK_OK(dpr_mine_squad(&ds, &o, collect, &c, &st));
    CHECK_INT(st.questions, 2);
    CHECK_INT(st.skipped, 1);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.answer_hits, 1); /* "The Berlin Wall ..." */
    CHECK_INT(c.n, 1);
    if (c.n == 1) {
        const dpr_record *r = c.r[0];
        CHECK_STR(r->question, "Which city is the capital of Germany?");
        CHECK_INT(r->n_answers, 1);
        CHECK_INT(r->n_ctx[DPR_POS], 1);
        CHECK_STR(r->ctx[DPR_POS][0].title, "Cities");
        CHECK_STR(r->ctx[DPR_POS][0].id, "0");
        /* "Berliners ..." shares capital + Germany, "Paris ..." capital + city, "Madrid ..." capital */
        CHECK_INT(r->n_ctx[DPR_HARD], 3);
        CHECK_STR(r->ctx[DPR_HARD][0].text, "Berliners like the capital of Germany.");
        CHECK_STR(r->ctx[DPR_HARD][1].text, "Paris is the capital city of France.");
        CHECK_STR(r->ctx[DPR_HARD][2].text, "Madrid is a capital with many parks.");
        for (int i = 0; i < 3; i++) CHECK(r->ctx[DPR_HARD][i].score > 0);
        CHECK(r->ctx[DPR_HARD][0].score >= r->ctx[DPR_HARD][1].score && r->ctx[DPR_HARD][1].score >= r->ctx[DPR_HARD][2].score);
        free(c.r[0]);
    }
    squad_dataset_free(&ds);
}

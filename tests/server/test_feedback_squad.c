/* test_feedback_squad.c — the store's user feedback as SQuAD examples (feedback_squad.h), the
 * converter behind /export-feedback and `needle reader train --from-feedback`. Expected
 * examples are worked by hand from Haystack 1.x's export_feedback rules (which labels become
 * examples, the context window's integer arithmetic) on texts with non-ASCII characters, with
 * offsets in code points as Python's str counts them. */
#include "../test.h"
#include "needle/docstore.h"
#include "needle/feedback_squad.h"
#include "needle/file.h"

#include <stdio.h>
#include <stdlib.h>

/* "Zürich lies on Lake Zürich, north of the Alps." is 46 code points: "Lake Zürich" is [15, 26).
 * "Bern is the federal city of Switzerland." is 40: "federal city" is [12, 24). */
#define ZH "Z\xc3\xbcrich lies on Lake Z\xc3\xbcrich, north of the Alps."
#define BE "Bern is the federal city of Switzerland."

static docstore_label label(const char *q, const char *answer, long long start, long long end, const char *doc,
                            int correct_answer, int correct_doc) {
    docstore_label l;
    docstore_label_init(&l);
    l.question = q;
    l.answer = answer;
    l.answer_start = start;
    l.answer_end = end;
    l.document_id = doc;
    l.is_correct_answer = correct_answer;
    l.is_correct_document = correct_doc;
    l.origin = DOCSTORE_ORIGIN_FEEDBACK;
    return l;
}

static docstore *make_store(void) {
    char *path = path_join(test_tmpdir(), "feedback_squad.db");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
    if (system(cmd) != 0) test_fail(__FILE__, __LINE__, "cannot clean %s", path);
    docstore *ds = NULL;
    CHECK_OK(docstore_open(&ds, path, DOCSTORE_CREATE));
    free(path);
    docstore_doc d[2];
    docstore_doc_init(&d[0]);
    docstore_doc_init(&d[1]);
    d[0].id = "d1";
    d[0].content = ZH;
    d[1].id = "d2";
    d[1].content = BE;
    CHECK_OK(docstore_add(ds, d, 2, DOCSTORE_DUP_FAIL, NULL));
    docstore_label l[8] = {
        label("Which lake?", "Lake Z\xc3\xbcrich", 15, 26, "d1", 1, 1),           /* 1: an answer */
        label("Gold?", "Bern", 0, 4, "d2", 1, 1),                                  /* 2: gold, not feedback */
        label("Where?", "north", 28, 33, "d1", 0, 1),                              /* 3: left out */
        label("Capital?", "", -1, -1, "d2", 0, 0),                                 /* 4: impossible */
        label("What city?", "federal city", 11, 23, "d2", 1, 1),                   /* 5: offsets miss the text */
        label("Gone?", "x", 0, 1, "nope", 1, 1),                                   /* 6: document gone */
        label("Is there one?", "", -1, -1, "d1", 1, 1),                            /* 7: no answer, confirmed */
        label("Which lake then?", "Lake Z\xc3\xbcrich", 10, 21, "d1", 1, 1),      /* 8: the document as seen */
    };
    l[1].origin = DOCSTORE_ORIGIN_GOLD;
    l[6].no_answer = 1;
    l[7].meta_json = "{\"_label\": {\"document\": {\"id\": \"d1\", \"content\": \"Old text: Lake Z\xc3\xbcrich.\"}}}";
    CHECK_OK(docstore_labels_add(ds, l, 8, NULL));
    return ds;
}

static const squad_answer *first_answer(const squad_dataset *sq, size_t q) {
    return sq->questions[q].n_answers ? &sq->answers[sq->questions[q].first_answer] : NULL;
}

TEST(feedback_squad_haystack_rules) {
    docstore *ds = make_store();
    squad_dataset sq;
    squad_dataset_init(&sq);
    feedback_squad_opts o = feedback_squad_defaults();
    feedback_squad_stats st;
    CHECK_OK(feedback_squad_append(ds, &o, &sq, &st));
    CHECK_INT(st.written, 4);
    CHECK_INT(st.left_out, 1);
    CHECK_INT(st.skipped, 2);
    CHECK_INT(sq.version, SQUAD_V2);
    CHECK_INT(sq.n_articles, 4);
    CHECK_INT(sq.n_questions, 4);
    if (sq.n_questions == 4) {
        static const char *const ids[] = {"1", "4", "7", "8"};
        for (int i = 0; i < 4; i++) CHECK_STR(sq.questions[i].id, ids[i]);
        CHECK(sq.articles[0].title == NULL);
        CHECK_STR(sq.paragraphs[0].context, ZH);
        CHECK_STR(sq.paragraphs[0].id, "d1");
        CHECK_INT(first_answer(&sq, 0)->start, 15);
        CHECK_INT(first_answer(&sq, 0)->located, 1);
        CHECK_STR(sq.paragraphs[1].context, BE);
        CHECK_STR(sq.paragraphs[1].id, "d2");
        CHECK(sq.questions[1].is_impossible && sq.questions[1].n_answers == 0);
        CHECK(sq.questions[2].is_impossible && sq.questions[2].n_answers == 0);
        CHECK_STR(sq.paragraphs[3].context, "Old text: Lake Z\xc3\xbcrich.");
        CHECK_INT(first_answer(&sq, 3)->start, 10);
        CHECK_INT(first_answer(&sq, 3)->located, 1);
    }
    squad_dataset_free(&sq);

    /* context_size 20 around "Lake Zürich" (11) at 15 of 46: add = int(9 / 2) = 4, so
     * [11, 30) = " on Lake Zürich, no" with the answer at 4. Label 4 (no answer, offset 0):
     * add = 10, start 0, end 10 + extra 10 = 20: "Bern is the federal ". */
    o.full_document_context = 0;
    o.context_size = 20;
    CHECK_OK(feedback_squad_append(ds, &o, &sq, &st));
    CHECK_INT(st.written, 4);
    if (sq.n_questions == 4) {
        CHECK_STR(sq.paragraphs[0].context, " on Lake Z\xc3\xbcrich, no");
        CHECK_INT(first_answer(&sq, 0)->start, 4);
        CHECK_INT(first_answer(&sq, 0)->located, 1);
        CHECK_STR(sq.paragraphs[1].context, "Bern is the federal ");
    }
    squad_dataset_free(&sq);

    /* Only labels whose answer is correct: 1, 7 and 8 (5 and 6 are still skipped). */
    o = feedback_squad_defaults();
    o.only_positive_labels = 1;
    CHECK_OK(feedback_squad_append(ds, &o, &sq, &st));
    CHECK_INT(st.written, 3);
    CHECK_INT(st.skipped, 2);
    CHECK_INT(st.left_out, 0);
    squad_dataset_free(&sq);
    docstore_close(ds);
}

TEST(feedback_squad_appends_to_training_data) {
    docstore *ds = make_store();
    squad_dataset sq;
    squad_dataset_init(&sq);
    CHECK_OK(squad_add_article(&sq, "Training"));
    CHECK_OK(squad_add_paragraph(&sq, "a b"));
    CHECK_OK(squad_add_question(&sq, "t1", "first?", 0));
    CHECK_OK(squad_add_answer(&sq, "a", 0, 0));
    sq.version = SQUAD_V1;
    feedback_squad_opts o = feedback_squad_defaults();
    o.only_positive_labels = 1;
    CHECK_OK(feedback_squad_append(ds, &o, &sq, NULL));
    CHECK_INT(sq.n_articles, 4);
    CHECK_STR(sq.questions[0].id, "t1");
    CHECK_STR(sq.questions[1].id, "1");
    CHECK_INT(sq.version, SQUAD_V2); /* label 7 is an impossible question */
    squad_dataset_free(&sq);
    o.full_document_context = 0;
    o.context_size = -1;
    CHECK_ERR(feedback_squad_append(ds, &o, &sq, NULL), NEEDLE_EINVAL, "negative");
    squad_dataset_free(&sq);
    docstore_close(ds);
}

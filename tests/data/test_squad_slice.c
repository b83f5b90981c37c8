/* test_squad_slice.c — squad_slice: questions moved to the passage that holds their answer.
 * References: passages and offsets worked out by hand from the text below (three sentences
 * of three words, passages of three words respecting sentences: one sentence each) and the
 * counting rules of squad_slice.h. */
#include "../test.h"
#include "needle/squad_slice.h"

#include <stdlib.h>
#include <string.h>

/* "One two three. " is 15 code points, "Four five six. " 15 more; "Seven" starts at 30. */
static const char *const CONTEXT = "One two three. Four five six. Seven eight nine.";

static void build(squad_dataset *ds) {
    squad_dataset_init(ds);
    CHECK_OK(squad_add_article(ds, "Numbers"));
    CHECK_OK(squad_add_paragraph(ds, CONTEXT));
    CHECK_OK(squad_add_question(ds, "q1", "Which comes after four?", 0));
    CHECK_OK(squad_add_answer(ds, "five", 20, 0));
    CHECK_OK(squad_add_question(ds, "q2", "Across a boundary?", 0));
    CHECK_OK(squad_add_answer(ds, "three. Four", 8, 0));
    CHECK_OK(squad_add_question(ds, "q3", "Unanswerable?", 1));
    CHECK_OK(squad_add_question(ds, "q4", "Last?", 0));
    CHECK_OK(squad_add_answer(ds, "nine", 42, 0));
    CHECK_OK(squad_add_answer(ds, "eight nine", 36, 0)); /* same passage: kept */
    CHECK_OK(squad_add_answer(ds, "two", 4, 0));         /* another passage: dropped */
    CHECK_OK(squad_add_question(ds, "q5", "Six?", 0));
    CHECK_OK(squad_add_answer(ds, "six", 25, 0));
    CHECK_OK(squad_add_article(ds, "Empty"));
    CHECK_OK(squad_add_paragraph(ds, "Nothing is asked here."));
    CHECK_OK(squad_add_question(ds, "q6", "Lost?", 0));
    CHECK_OK(squad_add_answer(ds, "absent", 3, 0)); /* not at its start: unlocated */
}

TEST(squad_slice_moves_questions_to_their_passages) {
    squad_dataset in, out;
    build(&in);
    squad_dataset_init(&out);
    preprocess_opts pre;
    preprocess_opts_default(&pre);
    pre.split_by = SPLIT_WORD;
    pre.split_length = 3;
    pre.respect_sentences = 1;
    squad_slice_stats st;
    CHECK_OK(squad_slice(&in, &pre, &out, &st));
    CHECK_INT(st.questions, 6);
    CHECK_INT(st.kept, 3);
    CHECK_INT(st.crossing, 1);
    CHECK_INT(st.impossible, 1);
    CHECK_INT(st.unlocated, 1);
    CHECK_INT(st.other_answers, 1);
    CHECK_INT(st.passages, 2);
    CHECK_INT(out.n_articles, 1);
    CHECK_STR(out.articles[0].title, "Numbers");
    CHECK_INT(out.n_paragraphs, 2);
    CHECK_INT(out.n_questions, 3);
    if (out.n_paragraphs != 2 || out.n_questions != 3) goto done;
    CHECK_STR(out.paragraphs[0].context, "Four five six.");
    CHECK_STR(out.paragraphs[1].context, "Seven eight nine.");
    /* q1 and q5 in the second sentence, q4 in the third, passage order */
    CHECK_STR(out.questions[0].id, "q1");
    CHECK_STR(out.questions[1].id, "q5");
    CHECK_STR(out.questions[2].id, "q4");
    CHECK_INT(out.questions[0].paragraph, 0);
    CHECK_INT(out.questions[2].paragraph, 1);
    const squad_answer *a = &out.answers[out.questions[0].first_answer];
    CHECK_STR(a->text, "five");
    CHECK_INT(a->start, 5);
    CHECK(a->located);
    a = &out.answers[out.questions[1].first_answer];
    CHECK_STR(a->text, "six");
    CHECK_INT(a->start, 10);
    CHECK_INT(out.questions[2].n_answers, 2);
    a = &out.answers[out.questions[2].first_answer];
    CHECK_STR(a->text, "nine");
    CHECK_INT(a->start, 12);
    CHECK_STR(a[1].text, "eight nine");
    CHECK_INT(a[1].start, 6);
done:
    squad_dataset_free(&in);
    squad_dataset_free(&out);
}

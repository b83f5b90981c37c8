/* test_reader_data.c — SQuAD files through the reader's training data path (squad_load in FIX
 * mode, then reader_featurize): Haystack's edge-case files, whose expected windows are worked out
 * by hand from the bert-base-uncased tokens of "[CLS] how many people live in berlin ? [SEP]
 * berlin has 10 inhabitants . [SEP]" (a wrong offset is re-located and counted and the label
 * points at "10"; an answer absent from the context is dropped with its question and counted; an
 * impossible question trains as [CLS]); and COVID-QA, whose 234 misplaced offsets (SOURCE.md:
 * 196 at -1, 28 at +3, 10 at +2) must all be re-located so that every question keeps its answer
 * and some window of each labels a span covering exactly the answer's characters (or, as HF's
 * labelling does for the answers with a space at either end or cut inside a word, the whole
 * token they cut into). */
#include "../test.h"
#include "needle/log.h"
#include "needle/reader_data.h"
#include "needle/utf8.h"

#include <ctype.h>
#include <stdlib.h>

#define HAYSTACK FIXTURES "/squad/haystack"
#define BERT_TOK FIXTURES "/reader/tiny-bert-qa"

static void featurise(const char *path, const tokenizer *tk, squad_dataset *ds, qa_features *f, reader_data_stats *st) {
    CHECK_OK(squad_load(path, NULL, ds));
    reader_data_opts o = reader_data_defaults();
    o.threads = 1;
    CHECK_OK(reader_featurize(ds, tk, &o, path, f, st));
}

TEST(reader_data_haystack_edge_cases) {
    int level = log_level();
    log_set_level(LOG_ERROR);
    tokenizer *tk;
    CHECK_OK(tokenizer_load(BERT_TOK, &tk));
    squad_dataset ds;
    qa_features f;
    reader_data_stats st;

    featurise(HAYSTACK "/answer-offset-wrong.json", tk, &ds, &f, &st);
    CHECK_INT(ds.stats.answers_fixed, 1);
    CHECK_INT(ds.answers[0].start, 11);
    CHECK_INT(f.n, 1);
    CHECK_INT(f.start_position[0], 11);
    CHECK_INT(f.end_position[0], 11);
    CHECK_INT(f.input_ids[11], tokenizer_token_to_id(tk, "10"));
    CHECK_INT(st.windows_answer, 1);
    qa_features_free(&f);
    squad_dataset_free(&ds);

    featurise(HAYSTACK "/answer-wrong.json", tk, &ds, &f, &st);
    CHECK_INT(ds.stats.answers_not_found, 1);
    CHECK_INT(ds.stats.questions_dropped, 1);
    CHECK_INT(ds.n_questions, 0);
    CHECK_INT(f.n, 0);
    qa_features_free(&f);
    squad_dataset_free(&ds);

    featurise(HAYSTACK "/noanswer.json", tk, &ds, &f, &st);
    CHECK_INT(ds.n_questions, 1);
    CHECK_INT(f.n, 1);
    CHECK_INT(f.start_position[0], 0);
    CHECK_INT(f.end_position[0], 0);
    CHECK_INT(st.with_answer, 0);
    CHECK_INT(st.windows_cls, 1);
    qa_features_free(&f);
    squad_dataset_free(&ds);
    tokenizer_free(tk);
    log_set_level(level);
}

/* Whether an answer starts and ends at word boundaries without surrounding spaces; otherwise its
 * label covers the whole word piece (or the neighbouring token) it cuts into, as HF's does. */
static int on_word_boundaries(const squad_dataset *ds, size_t q, const squad_answer *a) {
    const squad_paragraph *p = &ds->paragraphs[ds->questions[q].paragraph];
    const unsigned char *c = (const unsigned char *)p->context;
    size_t b0 = a->byte_start, b1 = a->byte_end;
    if (b1 <= b0 || isspace(c[b0]) || isspace(c[b1 - 1])) return 0;
    if (b0 > 0 && isalnum(c[b0 - 1]) && isalnum(c[b0])) return 0;
    if (b1 < p->context_bytes && isalnum(c[b1 - 1]) && isalnum(c[b1])) return 0;
    return 1;
}

TEST(reader_data_covid_qa_offsets) {
    int level = log_level();
    log_set_level(LOG_ERROR);
    tokenizer *tk;
    CHECK_OK(tokenizer_load(BERT_TOK, &tk));
    squad_dataset ds;
    qa_features f;
    reader_data_stats st;
    featurise("data/covid-qa/200423_covidQA.json", tk, &ds, &f, &st);
    CHECK_INT(ds.stats.answers_fixed, 234);
    CHECK_INT(ds.stats.answers_exact, 1380 - 234);
    CHECK_INT(ds.stats.questions_dropped, 0);
    CHECK_INT(st.questions, 1380);
    CHECK_INT(st.with_answer, 1380);
    /* every labelled window covers its answer; count the questions with an exact cover */
    char *exact = calloc(1380, 1);
    int covering = 0;
    for (int i = 0; i < f.n; i++) {
        if (!f.start_position[i]) continue;
        int q = f.example[i];
        const squad_answer *a = &ds.answers[ds.questions[q].first_answer];
        int a0 = (int)a->start, a1 = a0 + (int)utf8_char_count(a->text, strlen(a->text));
        const int32_t *o = f.offsets + 2 * (size_t)i * f.len;
        int s = o[2 * f.start_position[i]], e = o[2 * f.end_position[i] + 1];
        CHECK(s <= a0 && e >= a1);
        covering++;
        if (!exact[q]) exact[q] = 1;
        if ((s == a0 && e == a1) || !on_word_boundaries(&ds, (size_t)q, a)) exact[q] = 2;
    }
    int n_exact = 0, n_any = 0;
    for (int q = 0; q < 1380; q++) n_exact += exact[q] == 2, n_any += exact[q] > 0;
    fprintf(stderr, "[%zu windows, %zu with an answer, %d questions labelled, %d exactly or cut in a word] ", st.windows,
            st.windows_answer, n_any, n_exact);
    CHECK_INT(covering, (int)st.windows_answer);
    CHECK_INT(n_any, 1380);
    CHECK_INT(n_exact, 1380);
    free(exact);
    qa_features_free(&f);
    squad_dataset_free(&ds);
    tokenizer_free(tk);
    log_set_level(level);
}

/* test_qa_query_length.c — HF run_squad's max_query_length in the QA featuriser: a question
 * longer than N tokens keeps exactly its first N tokens (the question's own tokenisation, as
 * run_squad's tokenizer.encode(question, truncation=True, max_length=N) gives), the context
 * tokens and their offsets are those of the untruncated encoding, shifted by the tokens the
 * question lost; a question of at most N tokens gives windows identical to no truncation. */
#include "../test.h"
#include "needle/qa_features.h"
#include "needle/utf8.h"

#include <stdlib.h>

static void featurise(const tokenizer *tk, const qa_example *ex, int max_query, qa_features *f) {
    qa_feature_options o = {64, 16, 0, max_query};
    qa_features_init(f, 64);
    CHECK_OK(qa_features_add(f, tk, &o, ex, 1, 0, 1));
}

TEST(qa_features_max_query_length) {
    tokenizer *tk;
    CHECK_OK(tokenizer_load(FIXTURES "/tokenizers/bert-base-uncased/tokenizer.json", &tk));
    const char *question = "  Which unaffable NFL team represented the AFC at Super Bowl 50 in the year 2016?";
    const char *context = "The American Football Conference (AFC) champion Denver Broncos defeated the National "
                          "Football Conference (NFC) champion Carolina Panthers 24-10 to earn their third title.";
    const char *answer = "Denver Broncos";
    int start = (int)utf8_char_count(context, (size_t)(strstr(context, answer) - context));
    qa_example ex = {question, context, strlen(question), strlen(context), start, start + (int)strlen(answer)};
    tok_windows qw;
    tok_windows_init(&qw);
    tok_options to = tok_options_default();
    to.add_special_tokens = 0;
    CHECK_OK(tokenizer_encode(tk, question + 2, strlen(question) - 2, NULL, 0, &to, &qw));
    int nq = qw.w[0].n, N = 7;
    CHECK(nq > N);
    qa_features whole, cut, roomy;
    featurise(tk, &ex, 0, &whole);
    featurise(tk, &ex, N, &cut);
    featurise(tk, &ex, nq, &roomy);
    /* [CLS] q1..qN [SEP] context ... */
    CHECK_INT(cut.input_ids[0], whole.input_ids[0]);
    for (int i = 0; i < N; i++) CHECK_INT(cut.input_ids[1 + i], qw.w[0].ids[i]);
    CHECK_INT(cut.input_ids[1 + N], whole.input_ids[1 + nq]);
    int shift = nq - N, cs = whole.context_start[0];
    CHECK_INT(cut.context_start[0], cs - shift);
    for (int t = cs; t + shift < 64 && t <= whole.context_end[0]; t++) {
        CHECK_INT(cut.input_ids[t - shift], whole.input_ids[t]);
        CHECK_INT(cut.offsets[2 * (t - shift)], whole.offsets[2 * t]);
    }
    CHECK_INT(cut.start_position[0], whole.start_position[0] - shift);
    CHECK_INT(cut.end_position[0], whole.end_position[0] - shift);
    CHECK(cut.n <= whole.n);
    /* N at least the question's length: nothing changes */
    CHECK_INT(roomy.n, whole.n);
    CHECK(!memcmp(roomy.input_ids, whole.input_ids, (size_t)whole.n * 64 * sizeof *whole.input_ids));
    CHECK(!memcmp(roomy.offsets, whole.offsets, (size_t)whole.n * 128 * sizeof *whole.offsets));
    qa_features_free(&whole), qa_features_free(&cut), qa_features_free(&roomy);
    tok_windows_free(&qw);
    tokenizer_free(tk);
}

/* test_qa_features.c — every window of the first 300 SQuAD v1.1 dev questions is identical to
 * Hugging Face's run_qa featurisation (squad_features.jsonl, see its SOURCE.md): input_ids,
 * token_type_ids, attention_mask, offsets (null outside the context) and the start/end
 * labels; plus the no-answer and too-long-question cases. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/qa_features.h"
#include "needle/utf8.h"

#include <stdlib.h>

#define TOKDIR FIXTURES "/tokenizers"

typedef struct {
    qa_example *ex;
    char **ids;
    int n;
} squad;

/* The first `limit` questions of the SQuAD file, in file order. */
static void squad_load(cJSON *doc, int limit, squad *s) {
    s->ex = calloc((size_t)limit, sizeof *s->ex);
    s->ids = calloc((size_t)limit, sizeof *s->ids);
    s->n = 0;
    const cJSON *art;
    cJSON_ArrayForEach(art, cJSON_GetObjectItem(doc, "data")) {
        const cJSON *para;
        cJSON_ArrayForEach(para, cJSON_GetObjectItem(art, "paragraphs")) {
            const char *ctx = cJSON_GetObjectItem(para, "context")->valuestring;
            const cJSON *qa;
            cJSON_ArrayForEach(qa, cJSON_GetObjectItem(para, "qas")) {
                if (s->n == limit) return;
                const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(qa, "answers"), 0);
                const char *at = cJSON_GetObjectItem(a, "text")->valuestring;
                qa_example *e = &s->ex[s->n];
                e->question = cJSON_GetObjectItem(qa, "question")->valuestring;
                e->question_len = strlen(e->question);
                e->context = ctx;
                e->context_len = strlen(ctx);
                e->answer_start = cJSON_GetObjectItem(a, "answer_start")->valueint;
                e->answer_end = e->answer_start + (int)utf8_char_count(at, strlen(at));
                s->ids[s->n++] = cJSON_GetObjectItem(qa, "id")->valuestring;
            }
        }
    }
}

static int check_ints(const cJSON *arr, const int32_t *got, int n, const char *what, int row) {
    if (cJSON_GetArraySize(arr) != n) {
        test_fail(__FILE__, __LINE__, "window %d: %s has %d entries, expected %d", row, what, n, cJSON_GetArraySize(arr));
        return 1;
    }
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
        if (x->valueint != got[i]) {
            test_fail(__FILE__, __LINE__, "window %d: %s[%d] = %d, expected %d", row, what, i, got[i], x->valueint);
            return 1;
        }
        i++;
    }
    return 0;
}

/* Compare window `row` of f with one golden line; returns the number of differences (0/1+). */
static int compare_row(const qa_features *f, int row, const cJSON *g, char **ids) {
    size_t L = (size_t)f->len;
    int bad = 0, ex = f->example[row];
    if (strcmp(ids[ex], cJSON_GetObjectItem(g, "id")->valuestring) || f->window[row] != cJSON_GetObjectItem(g, "window")->valueint) {
        test_fail(__FILE__, __LINE__, "window %d is example %s window %d, expected %s window %d", row, ids[ex], f->window[row],
                  cJSON_GetObjectItem(g, "id")->valuestring, cJSON_GetObjectItem(g, "window")->valueint);
        bad++;
    }
    int32_t buf[384];
    bad += check_ints(cJSON_GetObjectItem(g, "input_ids"), f->input_ids + row * L, (int)L, "input_ids", row);
    bad += check_ints(cJSON_GetObjectItem(g, "token_type_ids"), f->token_type_ids + row * L, (int)L, "token_type_ids", row);
    for (size_t t = 0; t < L; t++) buf[t] = f->attention_mask[row * L + t];
    bad += check_ints(cJSON_GetObjectItem(g, "attention_mask"), buf, (int)L, "attention_mask", row);
    int t = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(g, "offsets")) {
        int s0 = cJSON_IsNull(o) ? -1 : cJSON_GetArrayItem(o, 0)->valueint;
        int e0 = cJSON_IsNull(o) ? -1 : cJSON_GetArrayItem(o, 1)->valueint;
        const int32_t *got = f->offsets + 2 * (row * L + (size_t)t);
        if (got[0] != s0 || got[1] != e0) {
            test_fail(__FILE__, __LINE__, "window %d: offset %d is [%d,%d), expected [%d,%d)", row, t, got[0], got[1], s0, e0);
            bad++;
            break;
        }
        t++;
    }
    if (f->start_position[row] != cJSON_GetObjectItem(g, "start_position")->valueint ||
        f->end_position[row] != cJSON_GetObjectItem(g, "end_position")->valueint) {
        test_fail(__FILE__, __LINE__, "window %d: answer tokens %d..%d, expected %d..%d", row, f->start_position[row],
                  f->end_position[row], cJSON_GetObjectItem(g, "start_position")->valueint,
                  cJSON_GetObjectItem(g, "end_position")->valueint);
        bad++;
    }
    return bad;
}

typedef struct {
    tokenizer *tk;
    cJSON *doc;
    squad s;
    cJSON **rows;
    int n_rows;
} fixture;

static int fixture_load(fixture *fx) {
    memset(fx, 0, sizeof *fx);
    CHECK_OK(tokenizer_load(TOKDIR "/bert-base-uncased/tokenizer.json", &fx->tk));
    CHECK_OK(json_load_file(TOKDIR "/squad_dev_first3.json", &fx->doc));
    char *text;
    size_t len;
    if (!fx->tk || !fx->doc || file_read_all(TOKDIR "/squad_features.jsonl", &text, &len)) return 0;
    squad_load(fx->doc, 300, &fx->s);
    fx->rows = calloc(400, sizeof *fx->rows);
    for (char *line = text, *nl; line && *line && fx->n_rows < 400; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (json_parse(line, nl ? (size_t)(nl - line) : strlen(line), "squad_features.jsonl", &fx->rows[fx->n_rows])) break;
        fx->n_rows++;
    }
    free(text);
    return fx->s.n == 300 && fx->n_rows == 320;
}

static void fixture_free(fixture *fx) {
    for (int i = 0; i < fx->n_rows; i++) cJSON_Delete(fx->rows[i]);
    free(fx->rows);
    free(fx->s.ex);
    free(fx->s.ids);
    cJSON_Delete(fx->doc);
    tokenizer_free(fx->tk);
}

TEST(qa_features_match_hf_run_qa) {
    fixture fx;
    CHECK(fixture_load(&fx));
    if (!fx.tk || !fx.rows) { fixture_free(&fx); return; }
    qa_features f;
    qa_features_init(&f, 384);
    qa_feature_options opt = {384, 128, 1, 0}; /* the fixtures were made by tokenizers 0.23.2 */
    /* Two calls, to check that appending keeps example indices and earlier rows. */
    CHECK_OK(qa_features_add(&f, fx.tk, &opt, fx.s.ex, 100, 0, 2));
    CHECK_OK(qa_features_add(&f, fx.tk, &opt, fx.s.ex + 100, fx.s.n - 100, 100, 2));
    CHECK_INT(f.n, fx.n_rows);
    int bad = 0, multi = 0;
    for (int row = 0; row < fx.n_rows && row < f.n && bad < 5; row++) {
        bad += compare_row(&f, row, fx.rows[row], fx.s.ids);
        multi += f.window[row] > 0;
    }
    CHECK(multi > 0); /* the fixture includes long contexts cut into several windows */
    CHECK_INT(bad, 0);
    qa_features_free(&f);
    fixture_free(&fx);
}

/* Without the 0.23 early exit: examples whose context has at most max_length tokens get the
 * golden windows exactly; longer ones get the golden first window, then windows that are
 * consecutive slices of the whole context (stride tokens shared) ending at its last token. */
TEST(qa_features_full_coverage_windows) {
    fixture fx;
    CHECK(fixture_load(&fx));
    if (!fx.tk || !fx.rows) { fixture_free(&fx); return; }
    qa_features f;
    qa_features_init(&f, 384);
    qa_feature_options opt = {384, 128, 0, 0};
    CHECK_OK(qa_features_add(&f, fx.tk, &opt, fx.s.ex, fx.s.n, 0, 2));
    tok_options plain = tok_options_default();
    plain.add_special_tokens = 0;
    tok_windows ctx, q;
    tok_windows_init(&ctx);
    tok_windows_init(&q);
    int bad = 0, golden_row = 0, row = 0, longer = 0;
    for (int i = 0; i < fx.s.n && bad < 5; i++) {
        const qa_example *e = &fx.s.ex[i];
        CHECK_OK(tokenizer_encode(fx.tk, e->context, e->context_len, NULL, 0, &plain, &ctx));
        CHECK_OK(tokenizer_encode(fx.tk, e->question, e->question_len, NULL, 0, &plain, &q));
        const tok_encoding *c = &ctx.w[0];
        int room = 384 - 3 - q.w[0].n, nwin = 0;
        while (golden_row < fx.n_rows && !strcmp(cJSON_GetObjectItem(fx.rows[golden_row], "id")->valuestring, fx.s.ids[i])) {
            if (c->n <= 384 || nwin == 0) bad += compare_row(&f, row + nwin, fx.rows[golden_row], fx.s.ids);
            golden_row++;
            nwin++;
        }
        if (c->n > 384) longer++;
        int start = 0, k = 0;
        for (;; k++, start += room - 128) {
            int r = row + k, stop = start + room < c->n ? start + room : c->n;
            if (r >= f.n || f.example[r] != i) { test_fail(__FILE__, __LINE__, "example %d: window %d missing", i, k); bad++; break; }
            int cs = f.context_start[r];
            for (int t = start; t < stop && bad < 5; t++) {
                size_t at = (size_t)r * 384 + (size_t)(cs + t - start);
                if (f.input_ids[at] != c->ids[t] || f.offsets[2 * at] != c->offsets[2 * t] || f.offsets[2 * at + 1] != c->offsets[2 * t + 1]) {
                    test_fail(__FILE__, __LINE__, "example %d window %d: context token %d differs", i, k, t);
                    bad++;
                }
            }
            if (f.context_end[r] - cs + 1 != stop - start) { test_fail(__FILE__, __LINE__, "example %d window %d: wrong length", i, k); bad++; }
            if (stop == c->n) break;
        }
        if (c->n <= 384) CHECK_INT(k + 1, nwin);
        row += k + 1;
    }
    CHECK_INT(row, f.n);
    CHECK(longer > 0); /* some contexts are longer than a window, so coverage was exercised */
    CHECK_INT(bad, 0);
    tok_windows_free(&ctx);
    tok_windows_free(&q);
    qa_features_free(&f);
    fixture_free(&fx);
}

TEST(qa_features_no_answer_and_bad_question) {
    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(TOKDIR "/bert-base-uncased/tokenizer.json", &tk));
    if (!tk) return;
    qa_features f;
    qa_features_init(&f, 16);
    qa_feature_options opt = {16, 4, 0, 0};
    /* "  Who?" is stripped like question.lstrip(); the answer "paris" is not in the text. */
    const char *ctx = "the capital of france is paris and it is large and old and very beautiful in the spring";
    qa_example ex = {"  \twho?", ctx, strlen("  \twho?"), strlen(ctx), -1, -1};
    CHECK_OK(qa_features_add(&f, tk, &opt, &ex, 1, 7, 1));
    CHECK(f.n >= 2);
    for (int i = 0; i < f.n; i++) {
        CHECK_INT(f.example[i], 7);
        CHECK_INT(f.start_position[i], 0);
        CHECK_INT(f.end_position[i], 0);
        CHECK_INT(f.input_ids[i * 16 + 1], tokenizer_token_to_id(tk, "who"));
    }
    /* A question longer than the window leaves no room for the context: refused, nothing added. */
    int before = f.n;
    const char *longq = "one two three four five six seven eight nine ten eleven twelve thirteen";
    qa_example bad = {longq, "context", strlen(longq), 7, 0, 7};
    CHECK_ERR(qa_features_add(&f, tk, &opt, &bad, 1, 8, 1), NEEDLE_EINVAL, "fewer than");
    CHECK_INT(f.n, before);
    qa_features_free(&f);
    tokenizer_free(tk);
}

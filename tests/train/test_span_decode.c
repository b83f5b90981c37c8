/* test_span_decode.c — span decoding against Hugging Face run_qa's post-processing: the cases
 * of tests/fixtures/reader/span_decode.json (synthetic logits and offsets of 1-3 windows; answers
 * computed by tests/tools/make_span_decode_fixture.py, a numpy transcription of
 * postprocess_qa_predictions) must give the same n-best list in the same order (kind, window,
 * tokens, character offsets, float32 scores exactly, probabilities to 1e-6), the same prediction,
 * and for v2 the same null odds. The cases cover n-best and max-answer-length limits, score ties
 * (kept in production order), several windows, null answers winning and losing against
 * thresholds, and HF's "empty" placeholder. */
#include "../test.h"
#include "needle/json.h"
#include "needle/span_decode.h"

#include <stdlib.h>

static float *floats(const cJSON *a, int n) {
    float *x = malloc((size_t)n * sizeof *x);
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) x[i++] = (float)v->valuedouble;
    return x;
}

TEST(span_decode_matches_hf_postprocessing) {
    cJSON *doc;
    CHECK_OK(json_load_file(FIXTURES "/reader/span_decode.json", &doc));
    const cJSON *c;
    int n_cases = 0;
    span_result r;
    span_result_init(&r);
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases")) {
        int L = cJSON_GetObjectItem(c, "L")->valueint, nw = cJSON_GetArraySize(cJSON_GetObjectItem(c, "windows"));
        span_window win[4];
        float *buf[8];
        int32_t *off = malloc((size_t)nw * 2 * L * sizeof *off);
        int w = 0;
        const cJSON *jw;
        cJSON_ArrayForEach(jw, cJSON_GetObjectItem(c, "windows")) {
            buf[2 * w] = floats(cJSON_GetObjectItem(jw, "start_logits"), L);
            buf[2 * w + 1] = floats(cJSON_GetObjectItem(jw, "end_logits"), L);
            int t = 0;
            const cJSON *o;
            cJSON_ArrayForEach(o, cJSON_GetObjectItem(jw, "offsets")) {
                int32_t *p = off + ((size_t)w * L + t) * 2;
                p[0] = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, 0)->valueint : -1;
                p[1] = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, 1)->valueint : -1;
                t++;
            }
            win[w] = (span_window){buf[2 * w], buf[2 * w + 1], off + (size_t)w * 2 * L};
            w++;
        }
        span_decode_opts o = {cJSON_GetObjectItem(c, "n_best")->valueint, cJSON_GetObjectItem(c, "max_answer_len")->valueint,
                              cJSON_IsTrue(cJSON_GetObjectItem(c, "version_2")),
                              cJSON_GetObjectItem(c, "null_threshold")->valuedouble};
        CHECK_OK(span_decode(win, nw, L, &o, &r));
        const cJSON *exp = cJSON_GetObjectItem(c, "expected"), *nb = cJSON_GetObjectItem(exp, "nbest");
        CHECK_INT(r.n, cJSON_GetArraySize(nb));
        int i = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, nb) {
            if (i >= r.n) break;
            const span_answer *a = &r.answers[i++];
            const char *kind = cJSON_GetObjectItem(p, "kind")->valuestring;
            CHECK_INT(a->kind, !strcmp(kind, "text") ? SPAN_TEXT : !strcmp(kind, "null") ? SPAN_NULL : SPAN_EMPTY);
            CHECK_NEAR(a->score, cJSON_GetObjectItem(p, "score")->valuedouble, 0);
            CHECK_NEAR(a->start_logit, cJSON_GetObjectItem(p, "start_logit")->valuedouble, 0);
            CHECK_NEAR(a->probability, cJSON_GetObjectItem(p, "probability")->valuedouble, 1e-6);
            if (a->kind == SPAN_EMPTY) continue;
            CHECK_INT(a->window, cJSON_GetObjectItem(p, "window")->valueint);
            if (a->kind != SPAN_TEXT) continue;
            const cJSON *tok = cJSON_GetObjectItem(p, "tokens"), *of = cJSON_GetObjectItem(p, "offsets");
            CHECK_INT(a->start_token, cJSON_GetArrayItem(tok, 0)->valueint);
            CHECK_INT(a->end_token, cJSON_GetArrayItem(tok, 1)->valueint);
            CHECK_INT(a->start, cJSON_GetArrayItem(of, 0)->valueint);
            CHECK_INT(a->end, cJSON_GetArrayItem(of, 1)->valueint);
        }
        int no_answer = cJSON_IsTrue(cJSON_GetObjectItem(exp, "no_answer"));
        CHECK_INT(r.no_answer, no_answer);
        if (!no_answer) CHECK_INT(r.chosen, cJSON_GetObjectItem(exp, "chosen")->valueint);
        else CHECK_INT(r.answers[r.chosen].kind, SPAN_NULL);
        if (o.version_2) {
            CHECK_NEAR(r.score_diff, cJSON_GetObjectItem(exp, "score_diff")->valuedouble, 0);
            CHECK_NEAR(r.null_score, cJSON_GetObjectItem(exp, "null_score")->valuedouble, 0);
        }
        for (int k = 0; k < 2 * nw; k++) free(buf[k]);
        free(off);
        n_cases++;
    }
    CHECK_INT(n_cases, 15);
    span_result_free(&r);
    cJSON_Delete(doc);
}

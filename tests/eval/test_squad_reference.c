/* test_squad_reference.c — needle's SQuAD evaluation against an independent reference: the
 * Python program tests/tools/squad_reference.py, which implements the official semantics with
 * Python's own str.lower, string.punctuation, re and str.split, wrote the expected results in
 * tests/fixtures/squad/eval (SQuAD v1.1 dev and v2.0 dev subsets with generated predictions,
 * and a Unicode stress set), and dumped Python's character classes for every code point in
 * tests/fixtures/squad/python_unicode.txt. */
#include "../test.h"
#include "needle/pystr.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/squad.h"
#include "needle/squad_eval.h"

#include <stdlib.h>

#define EVAL FIXTURES "/squad/eval/"

static cJSON *expected(void) {
    static cJSON *doc;
    if (!doc) CHECK_OK(json_load_file(EVAL "expected.json", &doc));
    return doc;
}

/* Run one evaluation and compare every key the reference printed, and no more. */
static void run_case(const char *name, const char *data, const char *pred, const char *na, int version, double thresh) {
    squad_dataset ds;
    squad_predictions p;
    squad_na_probs probs;
    squad_eval_result r;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, version};
    squad_eval_opts eo = {version, thresh};
    squad_na_probs_init(&probs);
    CHECK_OK(squad_load(data, &lo, &ds));
    CHECK_OK(squad_predictions_load(pred, &p));
    if (na) CHECK_OK(squad_na_probs_load(na, &probs));
    int rc = squad_evaluate(&ds, &p, na ? &probs : NULL, &eo, &r);
    if (rc) test_fail(__FILE__, __LINE__, "%s: %s", name, error_message());
    strbuf sb;
    strbuf_init(&sb);
    cJSON *got = NULL;
    if (!rc) {
        CHECK_OK(squad_eval_to_json(&r, &sb));
        CHECK_OK(json_parse(sb.data, sb.len, name, &got));
        squad_eval_result_free(&r);
    }
    const cJSON *want = cJSON_GetObjectItem(expected(), name);
    CHECK(want != NULL);
    if (got && want) {
        CHECK_INT(cJSON_GetArraySize(got), cJSON_GetArraySize(want));
        const cJSON *g = got->child;
        for (const cJSON *w = want->child; w; w = w->next, g = g ? g->next : NULL) {
            if (!g || strcmp(g->string, w->string)) {
                test_fail(__FILE__, __LINE__, "%s: key %s where the reference has %s", name, g ? g->string : "(none)", w->string);
                continue;
            }
            if (fabs(g->valuedouble - w->valuedouble) > 1e-9 * (1 + fabs(w->valuedouble)))
                test_fail(__FILE__, __LINE__, "%s: %s == %.17g, reference %.17g", name, w->string, g->valuedouble, w->valuedouble);
        }
    }
    cJSON_Delete(got);
    strbuf_free(&sb);
    squad_na_probs_free(&probs);
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}

TEST(squad_reference_v1_dev_subset) {
    run_case("v1", EVAL "squad-v1.1-dev-subset.json", EVAL "pred-v1.json", NULL, 0, 1.0);
    run_case("v1-as-v2", EVAL "squad-v1.1-dev-subset.json", EVAL "pred-v1.json", NULL, 2, 1.0);
}

TEST(squad_reference_v2_dev_subset) {
    run_case("v2", EVAL "squad-v2.0-dev-subset.json", EVAL "pred-v2.json", NULL, 0, 1.0);
    run_case("v2-na-prob", EVAL "squad-v2.0-dev-subset.json", EVAL "pred-v2.json", EVAL "na-prob-v2.json", 0, 1.0);
    run_case("v2-na-prob-thresh-0.5", EVAL "squad-v2.0-dev-subset.json", EVAL "pred-v2.json", EVAL "na-prob-v2.json", 0, 0.5);
    run_case("v2-missing", EVAL "squad-v2.0-dev-subset.json", EVAL "pred-v2-missing.json", NULL, 0, 1.0);
}

TEST(squad_reference_unicode_set) {
    run_case("unicode", EVAL "unicode.json", EVAL "pred-unicode.json", EVAL "na-prob-unicode.json", 0, 1.0);
}

TEST(squad_reference_unicode_per_question) {
    squad_dataset ds;
    squad_predictions p;
    squad_load_opts lo = {SQUAD_OFFSETS_KEEP, 0};
    CHECK_OK(squad_load(EVAL "unicode.json", &lo, &ds));
    CHECK_OK(squad_predictions_load(EVAL "pred-unicode.json", &p));
    const cJSON *scores = cJSON_GetObjectItem(expected(), "unicode-questions");
    CHECK_INT(cJSON_GetArraySize(scores), (int)ds.n_questions);
    const char *golds[8];
    for (size_t q = 0; q < ds.n_questions && q < p.n; q++) {
        const squad_question *qq = &ds.questions[q];
        CHECK_STR(p.items[q].id, qq->id);
        for (size_t i = 0; i < qq->n_answers && i < 8; i++) golds[i] = ds.answers[qq->first_answer + i].text;
        const cJSON *want = cJSON_GetObjectItem(scores, qq->id);
        for (int v = 1; v <= 2 && want; v++) {
            const cJSON *pairv = cJSON_GetObjectItem(want, v == 1 ? "v1" : "v2");
            if (cJSON_IsNull(pairv)) continue;
            double em, f1;
            CHECK_OK(squad_score_question(p.items[q].text, golds, qq->n_answers, (squad_version)v, &em, &f1));
            double wem = cJSON_GetArrayItem(pairv, 0)->valuedouble, wf1 = cJSON_GetArrayItem(pairv, 1)->valuedouble;
            if (em != wem || fabs(f1 - wf1) > 1e-15)
                test_fail(__FILE__, __LINE__, "%s v%d: pred \"%s\": EM %g F1 %.17g, reference %g %.17g", qq->id, v,
                          p.items[q].text, em, f1, wem, wf1);
        }
    }
    squad_predictions_free(&p);
    squad_dataset_free(&ds);
}

TEST(squad_reference_normalize_and_lower_strings) {
    const char *lists[] = {"normalize", "lower"};
    strbuf sb;
    strbuf_init(&sb);
    for (int l = 0; l < 2; l++) {
        const cJSON *list = cJSON_GetObjectItem(expected(), lists[l]);
        CHECK(cJSON_GetArraySize(list) > 100);
        for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
            const char *in = cJSON_GetArrayItem(e, 0)->valuestring, *want = cJSON_GetArrayItem(e, 1)->valuestring;
            strbuf_clear(&sb);
            CHECK_OK(l == 0 ? squad_normalize(in, strlen(in), &sb) : squad_lower(in, strlen(in), &sb));
            if (strcmp(sb.data ? sb.data : "", want))
                test_fail(__FILE__, __LINE__, "%s(\"%s\") == \"%s\", Python gives \"%s\"", lists[l], in, sb.data, want);
        }
    }
    strbuf_free(&sb);
}

/* ---- every code point against Python's tables ---- */

enum { NCP = 0x110000 };

/* Mark the code points of a line "name a-b c ..." (hexadecimal) in `set`. */
static void parse_ranges(const char *line, unsigned char *set) {
    const char *p = strchr(line, ' ');
    while (p && *p == ' ') {
        char *end;
        unsigned long a = strtoul(p + 1, &end, 16), b = a;
        if (*end == '-') b = strtoul(end + 1, &end, 16);
        for (unsigned long c = a; c <= b && c < NCP; c++) set[c] = 1;
        p = end;
    }
}

TEST(squad_unicode_classes_match_python_for_every_code_point) {
    char *text;
    size_t len;
    CHECK_OK(file_read_all(FIXTURES "/squad/python_unicode.txt", &text, &len));
    unsigned char *sets[5];
    const char *names[5] = {"unassigned ", "word ", "space ", "cased ", "ignorable "};
    uint32_t (*lower)[2] = calloc(NCP, sizeof *lower);
    unsigned char *nlower = calloc(NCP, 1);
    for (int i = 0; i < 5; i++) sets[i] = calloc(NCP, 1);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        for (int i = 0; i < 5; i++)
            if (!strncmp(line, names[i], strlen(names[i]))) parse_ranges(line, sets[i]);
        if (strncmp(line, "lower ", 6)) continue;
        for (char *p = line + 5; *p == ' ';) {
            char *end;
            unsigned long c = strtoul(p + 1, &end, 16);
            while (*end == ':' || *end == ',') {
                unsigned long l = strtoul(end + 1, &end, 16);
                if (c < NCP && nlower[c] < 2) lower[c][nlower[c]++] = (uint32_t)l;
            }
            p = end;
        }
    }
    int mismatches = 0, checked = 0;
    for (uint32_t c = 0; c < NCP; c++) {
        if (sets[0][c]) continue; /* unassigned in Python's Unicode version */
        checked++;
        uint32_t mine[2];
        size_t n = pystr_lower_cp(c, mine);
        uint32_t want0 = nlower[c] ? lower[c][0] : c;
        size_t want_n = nlower[c] ? nlower[c] : 1;
        int bad = pystr_is_word(c) != sets[1][c] || pystr_is_space(c) != sets[2][c] ||
                  (pystr_is_cased(c) && !pystr_is_case_ignorable(c)) != sets[3][c] ||
                  pystr_is_case_ignorable(c) != sets[4][c] || n != want_n || mine[0] != want0 ||
                  (n == 2 && mine[1] != lower[c][1]);
        if (bad && mismatches++ < 10)
            test_fail(__FILE__, __LINE__, "U+%04X: word %d/%d space %d/%d cased %d/%d ignorable %d/%d lower %04X/%04X",
                      c, pystr_is_word(c), sets[1][c], pystr_is_space(c), sets[2][c],
                      pystr_is_cased(c) && !pystr_is_case_ignorable(c), sets[3][c], pystr_is_case_ignorable(c),
                      sets[4][c], mine[0], want0);
    }
    CHECK_INT(mismatches, 0);
    CHECK(checked > 280000); /* Unicode 14 assigns 284,278 code points (with Cs and Co) */
    for (int i = 0; i < 5; i++) free(sets[i]);
    free(lower);
    free(nlower);
    free(text);
}

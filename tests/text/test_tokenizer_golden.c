/* test_tokenizer_golden.c — ids and offsets identical to Hugging Face for all 208 golden
 * texts of bert-base-uncased, bert-base-cased and roberta-base (fixtures made by HF's
 * `tokenizers` via transformers, see tests/fixtures/tokenizers/SOURCE.md), loading each
 * tokenizer both from tokenizer.json and from the plain vocabulary files. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/json_fields.h"
#include "needle/tokenizer.h"

#include <stdlib.h>

#define TOKDIR FIXTURES "/tokenizers"

/* Compare one encoding with a golden {"ids": [...], "offsets": [[s, e], ...]}; returns the
 * number of mismatching texts (0 or 1) and reports the first difference. */
static int compare(const tok_encoding *e, const cJSON *g, const char *what, int line) {
    const cJSON *ids = cJSON_GetObjectItem(g, "ids"), *offs = cJSON_GetObjectItem(g, "offsets");
    int n = cJSON_GetArraySize(ids);
    if (e->n != n) {
        test_fail(__FILE__, line, "%s: %d tokens, expected %d", what, e->n, n);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(offs, i);
        int id = cJSON_GetArrayItem(ids, i)->valueint;
        int s = cJSON_GetArrayItem(o, 0)->valueint, t = cJSON_GetArrayItem(o, 1)->valueint;
        if (e->ids[i] != id || e->offsets[2 * i] != s || e->offsets[2 * i + 1] != t) {
            test_fail(__FILE__, line, "%s: token %d is %d [%d,%d), expected %d [%d,%d)", what, i, e->ids[i], e->offsets[2 * i],
                      e->offsets[2 * i + 1], id, s, t);
            return 1;
        }
    }
    return 0;
}

static void check_golden(const char *tok_path, const char *golden_path, int expect_texts) {
    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(tok_path, &tk));
    if (!tk) return;
    char *text;
    size_t len;
    CHECK_OK(file_read_all(golden_path, &text, &len));
    tok_windows w;
    tok_windows_init(&w);
    int count = 0, bad = 0;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        cJSON *g;
        if (json_parse(line, ll, golden_path, &g)) { CHECK(0); break; }
        json_fields fs;
        CHECK_OK(json_fields_parse(line, ll, golden_path, &fs));
        const json_field *tf = json_fields_get(&fs, "text");
        const char *t = tf ? tf->value : "";
        CHECK_OK(tokenizer_encode(tk, t, tf ? tf->len : 0, NULL, 0, NULL, &w));
        char what[160];
        snprintf(what, sizeof what, "%s text %d \"%.40s\"", tok_path, count, t);
        if (w.n != 1) { test_fail(__FILE__, __LINE__, "%s: %d windows", what, w.n); bad++; }
        else if (bad < 5) bad += compare(&w.w[0], g, what, __LINE__);
        count++;
        json_fields_free(&fs);
        cJSON_Delete(g);
    }
    CHECK_INT(count, expect_texts);
    CHECK_INT(bad, 0);
    tok_windows_free(&w);
    free(text);
    tokenizer_free(tk);
}

TEST(tokenizer_bert_uncased_json_matches_hf) {
    check_golden(TOKDIR "/bert-base-uncased/tokenizer.json", TOKDIR "/bert-base-uncased/golden.jsonl", 208);
}
TEST(tokenizer_bert_uncased_vocab_txt_matches_hf) {
    check_golden(TOKDIR "/vocab/bert-base-uncased", TOKDIR "/bert-base-uncased/golden.jsonl", 208);
}
TEST(tokenizer_bert_cased_json_matches_hf) {
    check_golden(TOKDIR "/bert-base-cased/tokenizer.json", TOKDIR "/bert-base-cased/golden.jsonl", 208);
}
TEST(tokenizer_bert_cased_vocab_txt_matches_hf) {
    check_golden(TOKDIR "/vocab/bert-base-cased", TOKDIR "/bert-base-cased/golden.jsonl", 208);
}
TEST(tokenizer_roberta_json_matches_hf) {
    check_golden(TOKDIR "/roberta-base/tokenizer.json", TOKDIR "/roberta-base/golden.jsonl", 208);
}
TEST(tokenizer_roberta_vocab_merges_matches_hf) {
    check_golden(TOKDIR "/vocab/roberta-base", TOKDIR "/roberta-base/golden.jsonl", 208);
}

/* test_tokenizer_api.c — the rest of the tokenizer's contract: invalid UTF-8 (each ill-formed
 * subpart is one U+FFFD; expected ids/offsets are HF tokenizers 0.23.2's for the string Python
 * decodes with errors="replace"), word ids for whole-word masking (HF's word_ids()), batch
 * encoding on two threads equal to one-by-one encoding, vocabulary lookups and special ids
 * (values from the vocabulary files, see shared/data/vocab/SOURCE.md), and clear errors for
 * malformed or unsupported tokenizer files and impossible options. */
#include "../test.h"
#include "needle/file.h"
#include "needle/tokenizer.h"

#include <stdlib.h>

#define TOKDIR FIXTURES "/tokenizers"

static const char BAD_UTF8[] = "ab\xff" "cd \xe2\x82 caf\xc3\xa9 \xed\xa0\x80!";

static void check_encoding(const tokenizer *tk, const char *text, size_t len, const int *ids, const int *offs, int n) {
    tok_windows w;
    tok_windows_init(&w);
    CHECK_OK(tokenizer_encode(tk, text, len, NULL, 0, NULL, &w));
    CHECK_INT(w.n, 1);
    if (w.n == 1) {
        CHECK_INT(w.w[0].n, n);
        for (int i = 0; i < n && i < w.w[0].n; i++) {
            CHECK_INT(w.w[0].ids[i], ids[i]);
            CHECK_INT(w.w[0].offsets[2 * i], offs[2 * i]);
            CHECK_INT(w.w[0].offsets[2 * i + 1], offs[2 * i + 1]);
        }
    }
    tok_windows_free(&w);
}

TEST(tokenizer_invalid_utf8_is_replacement_characters) {
    tokenizer *bert = NULL, *rob = NULL;
    CHECK_OK(tokenizer_load(TOKDIR "/bert-base-uncased", &bert));
    CHECK_OK(tokenizer_load(TOKDIR "/roberta-base", &rob));
    if (!bert || !rob) return;
    const int bids[] = {101, 5925, 2094, 7668, 999, 102}, boff[] = {0, 0, 0, 4, 4, 5, 8, 12, 16, 17, 0, 0};
    check_encoding(bert, BAD_UTF8, sizeof BAD_UTF8 - 1, bids, boff, 6);
    const int rids[] = {0, 873, 21955, 28690, 44763, 26059, 1437, 48618, 328, 2};
    const int roff[] = {0, 0, 0, 2, 2, 3, 3, 5, 6, 7, 8, 12, 13, 13, 13, 16, 16, 17, 0, 0};
    check_encoding(rob, BAD_UTF8, sizeof BAD_UTF8 - 1, rids, roff, 10);
    tokenizer_free(bert);
    tokenizer_free(rob);
}

TEST(tokenizer_word_ids_for_whole_word_masking) {
    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(TOKDIR "/bert-base-uncased/tokenizer.json", &tk));
    if (!tk) return;
    const char *t = "Unaffable tokenization, isn't it?";
    const int words[] = {-1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, -1};
    const int ids[] = {101, 14477, 20961, 3468, 19204, 3989, 1010, 3475, 1005, 1056, 2009, 1029, 102};
    tok_windows w;
    tok_windows_init(&w);
    CHECK_OK(tokenizer_encode(tk, t, strlen(t), NULL, 0, NULL, &w));
    CHECK_INT(w.w[0].n, 13);
    for (int i = 0; i < 13 && i < w.w[0].n; i++) {
        CHECK_INT(w.w[0].ids[i], ids[i]);
        CHECK_INT(w.w[0].word_ids[i], words[i]);
        CHECK_INT(w.w[0].special_mask[i], words[i] < 0);
        CHECK_INT(w.w[0].seq_ids[i], words[i] < 0 ? -1 : 0);
    }
    tok_windows_free(&w);
    tokenizer_free(tk);
}

TEST(tokenizer_batch_equals_one_by_one) {
    tokenizer *tk = NULL;
    char *text;
    size_t len;
    CHECK_OK(tokenizer_load(TOKDIR "/roberta-base/tokenizer.json", &tk));
    CHECK_OK(file_read_all(TOKDIR "/roberta-base/golden.jsonl", &text, &len));
    if (!tk) return;
    /* Every golden line as a text (JSON syntax and all): many lengths and scripts. */
    enum { N = 208 };
    const char *texts[N], *pairs[N];
    size_t lens[N], plens[N];
    int n = 0;
    for (char *p = text; *p && n < N; n++) {
        char *nl = strchr(p, '\n');
        texts[n] = p;
        lens[n] = nl ? (size_t)(nl - p) : strlen(p);
        pairs[n] = p;
        plens[n] = lens[n] / 3;
        p = nl ? nl + 1 : p + lens[n];
    }
    tok_options opt = tok_options_default();
    opt.truncation = TOK_TRUNCATE_LONGEST_FIRST;
    opt.max_length = 64;
    opt.stride = 8;
    opt.pad_to = 64;
    tok_windows *batch = calloc(N, sizeof *batch);
    CHECK_OK(tokenizer_encode_batch(tk, n, texts, lens, pairs, plens, &opt, batch, 2));
    tok_windows one;
    tok_windows_init(&one);
    int bad = 0, windows = 0;
    for (int i = 0; i < n; i++) {
        CHECK_OK(tokenizer_encode(tk, texts[i], lens[i], pairs[i], plens[i], &opt, &one));
        if (one.n != batch[i].n) { bad++; continue; }
        for (int k = 0; k < one.n; k++, windows++) {
            const tok_encoding *a = &one.w[k], *b = &batch[i].w[k];
            if (a->n != 64 || b->n != 64 || memcmp(a->ids, b->ids, 64 * sizeof *a->ids) ||
                memcmp(a->offsets, b->offsets, 128 * sizeof *a->offsets) || memcmp(a->word_ids, b->word_ids, 64 * sizeof *a->word_ids))
                bad++;
        }
    }
    CHECK_INT(bad, 0);
    CHECK(windows > n); /* long texts were cut into several windows */
    for (int i = 0; i < N; i++) tok_windows_free(&batch[i]);
    free(batch);
    tok_windows_free(&one);
    free(text);
    tokenizer_free(tk);
}

TEST(tokenizer_vocabulary_and_special_ids) {
    tokenizer *bert = NULL, *rob = NULL;
    CHECK_OK(tokenizer_load(TOKDIR "/vocab/bert-base-uncased", &bert));
    CHECK_OK(tokenizer_load(TOKDIR "/vocab/roberta-base", &rob));
    if (!bert || !rob) return;
    CHECK_INT(tokenizer_vocab_size(bert), 30522);
    CHECK_INT(tokenizer_token_to_id(bert, "the"), 1996);
    CHECK_INT(tokenizer_token_to_id(bert, "##s"), 2015);
    CHECK_INT(tokenizer_token_to_id(bert, "no-such-token"), -1);
    CHECK_STR(tokenizer_id_to_token(bert, 101), "[CLS]");
    CHECK(tokenizer_id_to_token(bert, 30522) == NULL);
    const tokenizer_special_ids *s = tokenizer_specials(bert);
    CHECK_INT(s->cls, 101);
    CHECK_INT(s->sep, 102);
    CHECK_INT(s->pad, 0);
    CHECK_INT(s->mask, 103);
    CHECK_INT(s->unk, 100);
    CHECK(tokenizer_is_special(bert, 103) && !tokenizer_is_special(bert, 1996));
    CHECK_INT(tokenizer_num_special_tokens(bert, 0), 2);
    CHECK_INT(tokenizer_num_special_tokens(bert, 1), 3);
    CHECK_INT(tokenizer_vocab_size(rob), 50265);
    CHECK_INT(tokenizer_token_to_id(rob, "\xc4\xa0the"), 5);
    s = tokenizer_specials(rob);
    CHECK_INT(s->cls, 0);
    CHECK_INT(s->sep, 2);
    CHECK_INT(s->pad, 1);
    CHECK_INT(s->mask, 50264);
    CHECK_INT(s->unk, 3);
    CHECK_INT(s->bos, 0);
    CHECK_INT(s->eos, 2);
    CHECK_INT(tokenizer_num_special_tokens(rob, 1), 4);
    tokenizer_free(bert);
    tokenizer_free(rob);
}

static int from_json(const char *json, tokenizer **tk) { return tokenizer_from_json(json, strlen(json), "t.json", tk); }

TEST(tokenizer_bad_files_and_options_fail_clearly) {
    tokenizer *tk = NULL;
    CHECK_ERR(from_json("{\"model\": ", &tk), NEEDLE_EFORMAT, "t.json: malformed JSON at line 1");
    CHECK_ERR(from_json("{\"normalizer\": null}", &tk), NEEDLE_EFORMAT, "t.json: missing object \"model\"");
    const char *wp = "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0, \"a\": 1}}, %s}";
    char buf[512];
    snprintf(buf, sizeof buf, wp, "\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}");
    CHECK_ERR(from_json(buf, &tk), NEEDLE_EUNSUPPORTED, "normalizer type \"Precompiled\" is not supported");
    snprintf(buf, sizeof buf, wp, "\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"Regex\": \" +\"}, \"content\": \" \"}");
    CHECK_ERR(from_json(buf, &tk), NEEDLE_EUNSUPPORTED, "Regex pattern is not supported");
    snprintf(buf, sizeof buf, wp, "\"pre_tokenizer\": {\"type\": \"Split\"}");
    CHECK_ERR(from_json(buf, &tk), NEEDLE_EUNSUPPORTED, "pre_tokenizer type \"Split\"");
    CHECK_ERR(from_json("{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[X]\", \"vocab\": {\"a\": 0}}}", &tk), NEEDLE_EFORMAT,
              "unk_token \"[X]\" is not in the vocabulary");
    CHECK_ERR(from_json("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}", &tk), NEEDLE_EFORMAT,
              "merge 0: \"ab\" is not in the vocabulary");
    CHECK_ERR(from_json("{\"model\": {\"type\": \"BPE\", \"dropout\": 0.1, \"vocab\": {}, \"merges\": []}}", &tk), NEEDLE_EUNSUPPORTED,
              "dropout");
    CHECK_ERR(tokenizer_load(TOKDIR "/extra", &tk), NEEDLE_ENOTFOUND, "no tokenizer.json, vocab.txt or vocab.json + merges.txt");

    CHECK_OK(tokenizer_load(TOKDIR "/bert-base-uncased", &tk));
    if (!tk) return;
    tok_windows w;
    tok_windows_init(&w);
    tok_options opt = tok_options_default();
    opt.truncation = TOK_TRUNCATE_ONLY_SECOND;
    opt.max_length = 8;
    CHECK_ERR(tokenizer_encode(tk, "a b c d e f g h i", 17, NULL, 0, &opt, &w), NEEDLE_EINVAL, "only_second needs a text pair");
    opt.truncation = TOK_TRUNCATE_LONGEST_FIRST;
    opt.stride = 6;
    CHECK_ERR(tokenizer_encode(tk, "a b c d e f g h i", 17, NULL, 0, &opt, &w), NEEDLE_EINVAL, "stride 6 must be less than");
    opt.max_length = 1;
    CHECK_ERR(tokenizer_encode(tk, "a", 1, NULL, 0, &opt, &w), NEEDLE_EINVAL, "max_length 1 leaves no room");
    opt.max_length = 8;
    opt.stride = 2;
    CHECK_OK(tokenizer_encode(tk, "a b c d e f g h i", 17, NULL, 0, &opt, &w));
    CHECK_INT(w.n, 2); /* 9 tokens, 6 per window, 2 shared: [a..f] [e..i] */
    if (w.n == 2) {
        CHECK_INT(w.w[1].n, 7);
        CHECK_INT(w.w[1].ids[1], tokenizer_token_to_id(tk, "e"));
    }
    tok_windows_free(&w);
    tokenizer_free(tk);
}

/* test_wordpiece_train.c — the WordPiece trainer against Hugging Face's tokenizers.
 *
 * References (tests/fixtures/tokenizer-train/SOURCE.md):
 *   - vocabularies trained by HF tokenizers 0.23.2 (Rust, via its Node binding) with its
 *     default WordPieceTrainer on four corpora read in four formats (SQuAD contexts, JSON
 *     lines, plain text, BEIR title + text), uncased and cased. HF numbers the "##c" pieces
 *     in a random hash-map order; needle is given that numbering (continuing_order, read from
 *     HF's own vocabulary) and must then produce HF's vocabulary token for token;
 *   - vocab_size and special tokens: HF's trainer adds the special tokens first and stops as
 *     soon as the vocabulary reaches vocab_size, so a run with special tokens S and size N is
 *     S followed by the first N - |S| tokens of the run without them (ids shifted by |S|,
 *     which keeps every tie-break);
 *   - min_frequency and limit_alphabet, which the Node binding cannot set: the expected
 *     vocabularies of HF's own Rust unit tests (models/bpe/trainer.rs test_train, and the
 *     alphabet-limit case of its BPE trainer tests), copied here;
 *   - the written tokenizer.json against the document HF serialises for the same vocabulary,
 *     and needle's encodings with the written tokenizer against HF's. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/strbuf.h"
#include "needle/tokenizer.h"
#include "needle/train_corpus.h"
#include "needle/wordpiece_train.h"

#include <stdlib.h>

#define TT FIXTURES "/tokenizer-train"

typedef struct {
    char *text;
    const char **lines;
    int n;
} lines_file;

static int lines_read(const char *path, lines_file *f) {
    char **lines;
    size_t n;
    memset(f, 0, sizeof *f);
    if (file_read_lines(path, &f->text, &lines, &n)) return -1;
    f->lines = (const char **)lines;
    f->n = (int)n;
    return 0;
}

static void lines_free(lines_file *f) {
    free(f->text);
    free(f->lines);
}

static word_counts *count_corpus(const char *path, const char *format, int lowercase) {
    doc_format fmt;
    word_counts *wc = NULL;
    CHECK_OK(doc_format_parse(format, &fmt));
    CHECK_OK(word_counts_create(lowercase, &wc));
    CHECK_OK(train_corpus_count(wc, path, fmt, NULL));
    return wc;
}

/* v[skip..] == want[0..n), reporting the first difference. */
static void check_tokens(const char *what, const wp_vocab *v, int skip, const char *const *want, int n) {
    if (v->n - skip != n) test_fail(__FILE__, __LINE__, "%s: %d tokens, HF has %d", what, v->n - skip, n);
    for (int i = 0; i < n && i + skip < v->n; i++) {
        if (strcmp(v->tokens[i + skip], want[i])) {
            test_fail(__FILE__, __LINE__, "%s: token %d is \"%s\", HF has \"%s\"", what, i + skip, v->tokens[i + skip], want[i]);
            return;
        }
    }
}

TEST(wordpiece_train_matches_hf_runs) {
    cJSON *cases = NULL;
    CHECK_OK(json_load_file(TT "/cases.json", &cases));
    int checked = 0;
    for (const cJSON *c = cases ? cases->child : NULL; c; c = c->next) {
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        word_counts *wc = count_corpus(cJSON_GetObjectItem(c, "corpus")->valuestring,
                                       cJSON_GetObjectItem(c, "format")->valuestring,
                                       cJSON_IsTrue(cJSON_GetObjectItem(c, "lowercase")));
        int runs = cJSON_GetObjectItem(c, "runs")->valueint;
        for (int r = 0; r < runs; r++) {
            char path[256], what[96];
            snprintf(path, sizeof path, TT "/%s.%d.vocab.txt", name, r);
            snprintf(what, sizeof what, "%s run %d", name, r);
            lines_file hf;
            CHECK(lines_read(path, &hf) == 0);
            wp_train_opts o = wp_train_opts_default();
            o.continuing_order = hf.lines;
            o.n_continuing_order = hf.n;
            wp_vocab v;
            CHECK_OK(wordpiece_train(wc, &o, &v));
            check_tokens(what, &v, 0, hf.lines, hf.n);
            CHECK_STR(v.stop, "no pairs left");
            wp_vocab_free(&v);
            lines_free(&hf);
            checked++;
        }
        word_counts_free(wc);
    }
    CHECK(checked >= 8);
    cJSON_Delete(cases);
}

TEST(wordpiece_train_vocab_size_and_special_tokens) {
    lines_file hf;
    CHECK(lines_read(TT "/squad_uncased.0.vocab.txt", &hf) == 0);
    word_counts *wc = count_corpus(FIXTURES "/tokenizers/squad_dev_first3.json", "squad", 1);
    static const char *const specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    wp_train_opts o = wp_train_opts_default();
    o.continuing_order = hf.lines;
    o.n_continuing_order = hf.n;
    o.special_tokens = specials;
    o.n_special = 5;
    o.vocab_size = 1000;
    wp_vocab v;
    CHECK_OK(wordpiece_train(wc, &o, &v));
    CHECK_INT(v.n, 1000);
    CHECK_STR(v.stop, "vocab_size");
    for (int i = 0; i < 5 && i < v.n; i++) CHECK_STR(v.tokens[i], specials[i]);
    check_tokens("squad_uncased, 5 special tokens, vocab_size 1000", &v, 5, hf.lines, 995);
    CHECK_INT(v.n_special, 5);
    /* alphabet + ## pieces first, as HF's run has them */
    CHECK(v.n_alphabet > 26 && v.n_continuing > 26);
    wp_vocab_free(&v);

    /* without continuing_order needle numbers the ## pieces by code point: deterministic,
     * the same special tokens, alphabet and ## set, and a vocabulary of the asked size */
    o.continuing_order = NULL;
    o.n_continuing_order = 0;
    wp_vocab a, b;
    CHECK_OK(wordpiece_train(wc, &o, &a));
    CHECK_OK(wordpiece_train(wc, &o, &b));
    CHECK_INT(a.n, b.n);
    for (int i = 0; i < a.n && i < b.n; i++) CHECK_STR(a.tokens[i], b.tokens[i]);
    int head = 5 + a.n_alphabet;
    for (int i = 5; i < head; i++) CHECK_STR(a.tokens[i], hf.lines[i - 5]);
    for (int i = head + 1; i < head + a.n_continuing; i++) CHECK(strcmp(a.tokens[i - 1], a.tokens[i]) < 0);
    wp_vocab_free(&a);
    wp_vocab_free(&b);
    word_counts_free(wc);
    lines_free(&hf);
}

/* HF tokenizers, models/bpe/trainer.rs, test `test_train`: BpeTrainer with min_frequency 2 and
 * no prefix on these word counts gives exactly this vocabulary (merges re, are, is). */
TEST(wordpiece_train_hf_unit_test_min_frequency) {
    static const struct {
        const char *w;
        int n;
    } words[] = {{"roses", 1}, {"are", 2}, {"red", 1}, {"voilets", 1}, {"blue", 1}, {"BERT", 1},
                 {"is", 2},    {"big", 1}, {"and", 1}, {"so", 1},      {"GPT-2", 1}};
    static const char *const want[] = {"-", "2", "B", "E", "G", "P", "R", "T", "a",  "b",   "d",  "e", "g",
                                       "i", "l", "n", "o", "r", "s", "t", "u", "v", "re", "are", "is"};
    word_counts *wc;
    CHECK_OK(word_counts_create(0, &wc));
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        CHECK_OK(word_counts_add_word(wc, words[i].w, strlen(words[i].w), (uint64_t)words[i].n));
    wp_train_opts o = wp_train_opts_default();
    o.prefix = NULL;
    o.min_frequency = 2;
    wp_vocab v;
    CHECK_OK(wordpiece_train(wc, &o, &v));
    check_tokens("HF test_train", &v, 0, want, 25);
    CHECK_STR(v.stop, "min_frequency");
    CHECK_INT(v.n_merges, 3);
    wp_vocab_free(&v);
    word_counts_free(wc);
}

/* HF tokenizers BPE trainer tests (alphabet filtering case): vocab_size 3, limit_alphabet 3,
 * initial alphabet {a, 测} on these counts keep exactly a, b, 测. */
TEST(wordpiece_train_hf_unit_test_limit_alphabet) {
    static const struct {
        const char *w;
        int n;
    } words[] = {{"aaaaaaa", 11}, {"abab", 7}, {"caba", 4}, {"测试测试", 3}, {"ccc", 1}};
    static const char *const want[] = {"a", "b", "测"};
    word_counts *wc;
    CHECK_OK(word_counts_create(0, &wc));
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        CHECK_OK(word_counts_add_word(wc, words[i].w, strlen(words[i].w), (uint64_t)words[i].n));
    wp_train_opts o = wp_train_opts_default();
    o.prefix = NULL;
    o.vocab_size = 3;
    o.limit_alphabet = 3;
    o.initial_alphabet = "a测";
    wp_vocab v;
    CHECK_OK(wordpiece_train(wc, &o, &v));
    check_tokens("HF alphabet filtering", &v, 0, want, 3);
    CHECK_INT(v.n_merges, 0);
    wp_vocab_free(&v);
    /* with the ## prefix, characters dropped by the limit are skipped inside words and the
     * next character still continues the word: "caba" → a ##b ##a with c gone */
    o.prefix = "##";
    o.vocab_size = 100;
    o.limit_alphabet = 2;
    o.initial_alphabet = NULL;
    CHECK_OK(wordpiece_train(wc, &o, &v));
    CHECK(v.n >= 4);
    if (v.n >= 4) {
        CHECK_STR(v.tokens[0], "a");
        CHECK_STR(v.tokens[1], "b");
        CHECK_STR(v.tokens[2], "##a");
        CHECK_STR(v.tokens[3], "##b");
    }
    for (int i = 0; i < v.n; i++) CHECK(!strstr(v.tokens[i], "c") && !strstr(v.tokens[i], "测"));
    wp_vocab_free(&v);
    word_counts_free(wc);
}

/* Counting a corpus as one text cut into pieces at whitespace gives the counts of its lines. */
TEST(word_counts_pieces_equal_lines) {
    lines_file f;
    CHECK(lines_read(TT "/mixed.txt", &f) == 0);
    size_t total = 0;
    for (int i = 0; i < f.n; i++) total += strlen(f.lines[i]) + 1;
    char *big = malloc(3 * total + 1);
    size_t at = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < f.n; i++) at += (size_t)sprintf(big + at, "%s\n", f.lines[i]);
    word_counts *one, *lines;
    CHECK_OK(word_counts_create(1, &one));
    CHECK_OK(word_counts_create(1, &lines));
    const char *texts[1] = {big};
    size_t lens[1] = {at};
    CHECK_OK(word_counts_add_texts(one, 1, texts, lens));
    size_t *ll = malloc((size_t)f.n * sizeof *ll);
    for (int i = 0; i < f.n; i++) ll[i] = strlen(f.lines[i]);
    for (int k = 0; k < 3; k++) CHECK_OK(word_counts_add_texts(lines, f.n, f.lines, ll));
    CHECK_INT(word_counts_total(one), word_counts_total(lines));
    CHECK_INT(word_counts_distinct(one), word_counts_distinct(lines));
    wp_train_opts o = wp_train_opts_default();
    wp_vocab a, b;
    CHECK_OK(wordpiece_train(one, &o, &a));
    CHECK_OK(wordpiece_train(lines, &o, &b));
    CHECK_INT(a.n, b.n);
    for (int i = 0; i < a.n && i < b.n; i++) CHECK_STR(a.tokens[i], b.tokens[i]);
    wp_vocab_free(&a);
    wp_vocab_free(&b);
    word_counts_free(one);
    word_counts_free(lines);
    free(ll);
    free(big);
    lines_free(&f);
}

/* The written tokenizer: HF's own serialisation of the same vocabulary, HF's encodings, and
 * both of needle's loading paths (tokenizer.json, vocab.txt + tokenizer_config.json). */
TEST(tokenizer_write_wordpiece_matches_hf_document) {
    lines_file hf;
    CHECK(lines_read(TT "/squad_uncased.0.vocab.txt", &hf) == 0);
    static const char *const specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    wp_vocab v = {0};
    v.n = 405;
    v.n_special = 5;
    v.tokens = calloc(405, sizeof *v.tokens);
    for (int i = 0; i < 405; i++) v.tokens[i] = strdup(i < 5 ? specials[i] : hf.lines[i - 5]);
    char *dir = path_join(test_tmpdir(), "trained-tok");
    CHECK_OK(tokenizer_write_wordpiece(dir, &v, 1));

    char *mine_path = path_join(dir, "tokenizer.json");
    cJSON *mine = NULL, *ref = NULL;
    CHECK_OK(json_load_file(mine_path, &mine));
    CHECK_OK(json_load_file(TT "/hf_small/tokenizer.json", &ref));
    static const char *const sections[] = {"version", "truncation", "padding", "added_tokens", "normalizer",
                                           "pre_tokenizer", "post_processor", "decoder", "model"};
    for (size_t i = 0; mine && ref && i < sizeof sections / sizeof sections[0]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(mine, sections[i]), *b = cJSON_GetObjectItemCaseSensitive(ref, sections[i]);
        if (!a || !b || !cJSON_Compare(a, b, 1)) test_fail(__FILE__, __LINE__, "tokenizer.json section \"%s\" differs from HF's", sections[i]);
    }
    if (mine && ref) CHECK_INT(cJSON_GetArraySize(mine), cJSON_GetArraySize(ref));
    cJSON_Delete(mine);
    cJSON_Delete(ref);

    /* needle loads both layouts and encodes as HF does */
    char *legacy = path_join(test_tmpdir(), "trained-tok-legacy");
    CHECK_OK(dir_make(legacy));
    const char *legacy_files[] = {"vocab.txt", "tokenizer_config.json"};
    for (int k = 0; k < 2; k++) {
        char *s = path_join(dir, legacy_files[k]), *d = path_join(legacy, legacy_files[k]);
        CHECK_OK(file_copy(s, d));
        free(s);
        free(d);
    }
    const char *dirs[2] = {dir, legacy};
    lines_file enc;
    CHECK(lines_read(TT "/hf_small/encodings.jsonl", &enc) == 0);
    for (int d = 0; d < 2; d++) {
        tokenizer *tk = NULL;
        CHECK_OK(tokenizer_load(dirs[d], &tk));
        if (!tk) continue;
        CHECK_INT(tokenizer_vocab_size(tk), 405);
        CHECK_INT(tokenizer_specials(tk)->mask, 4);
        tok_options opt = tok_options_default();
        tok_windows w;
        tok_windows_init(&w);
        for (int i = 0; i < enc.n; i++) {
            cJSON *e = NULL;
            CHECK_OK(json_parse(enc.lines[i], strlen(enc.lines[i]), "encodings.jsonl", &e));
            if (!e) continue;
            const char *text = cJSON_GetObjectItem(e, "text")->valuestring, *pair = cJSON_GetObjectItem(e, "pair")->valuestring;
            CHECK_OK(tokenizer_encode(tk, text, strlen(text), pair, strlen(pair), &opt, &w));
            const cJSON *ids = cJSON_GetObjectItem(e, "ids"), *types = cJSON_GetObjectItem(e, "type_ids");
            const cJSON *offs = cJSON_GetObjectItem(e, "offsets");
            CHECK_INT(w.w[0].n, cJSON_GetArraySize(ids));
            for (int k = 0; k < w.w[0].n && k < cJSON_GetArraySize(ids); k++) {
                CHECK_INT(w.w[0].ids[k], cJSON_GetArrayItem(ids, k)->valueint);
                CHECK_INT(w.w[0].type_ids[k], cJSON_GetArrayItem(types, k)->valueint);
                CHECK_INT(w.w[0].offsets[2 * k], cJSON_GetArrayItem(cJSON_GetArrayItem(offs, k), 0)->valueint);
                CHECK_INT(w.w[0].offsets[2 * k + 1], cJSON_GetArrayItem(cJSON_GetArrayItem(offs, k), 1)->valueint);
            }
            cJSON_Delete(e);
        }
        tok_windows_free(&w);
        tokenizer_free(tk);
    }
    lines_free(&enc);

    /* a vocabulary without [UNK] cannot make a BERT tokenizer */
    free(v.tokens[1]);
    v.tokens[1] = strdup("[OOV]");
    CHECK_ERR(tokenizer_write_wordpiece(dir, &v, 1), NEEDLE_EINVAL, "needs the special token [UNK]");
    wp_vocab_free(&v);
    free(legacy);
    free(mine_path);
    free(dir);
    lines_free(&hf);
}

TEST(train_corpus_bad_input_names_file_and_line) {
    char *bad = path_join(test_tmpdir(), "bad.jsonl");
    const char text[] = "{\"text\": \"fine\"}\n{\"text\": 3}\n";
    CHECK_OK(file_write_atomic(bad, text, strlen(text)));
    word_counts *wc;
    CHECK_OK(word_counts_create(1, &wc));
    CHECK_ERR(train_corpus_count(wc, bad, DOCFMT_JSONL, NULL), NEEDLE_EFORMAT, "bad.jsonl:2");
    char *bin = path_join(test_tmpdir(), "bad.txt");
    CHECK_OK(file_write_atomic(bin, "ok \xff\xfe text", 11));
    CHECK_ERR(train_corpus_count(wc, bin, DOCFMT_TEXT, NULL), NEEDLE_EFORMAT, "bad.txt");
    CHECK_ERR(train_corpus_count(wc, FIXTURES "/none.json", DOCFMT_SQUAD, NULL), NEEDLE_ENOTFOUND, "none.json");
    word_counts_free(wc);
    free(bad);
    free(bin);
}

/* Plain text is streamed in blocks cut after a line break: a file of several blocks, with a
 * line longer than a block, counts as the same text in memory; a bad byte deep in the file is
 * reported with its line. */
TEST(train_corpus_streams_text_files) {
    char *text;
    size_t len;
    CHECK_OK(file_read_all(TT "/mixed.txt", &text, &len));
    strbuf sb;
    strbuf_init(&sb);
    for (int k = 0; k < 30; k++) strbuf_append(&sb, text, len);
    for (int k = 0; k < 300000; k++) strbuf_append(&sb, k % 7 ? "lang " : "wörter ", k % 7 ? 5 : 8);
    strbuf_putc(&sb, '\n');
    strbuf_append(&sb, text, len);
    char *path = path_join(test_tmpdir(), "stream.txt");
    CHECK_OK(file_write_atomic(path, sb.data, sb.len));
    word_counts *file, *mem;
    CHECK_OK(word_counts_create(0, &file));
    CHECK_OK(word_counts_create(0, &mem));
    CHECK_OK(train_corpus_count(file, path, DOCFMT_TEXT, NULL));
    const char *t[1] = {sb.data};
    size_t l[1] = {sb.len};
    CHECK_OK(word_counts_add_texts(mem, 1, t, l));
    CHECK(word_counts_total(file) > 300000);
    CHECK_INT(word_counts_total(file), word_counts_total(mem));
    CHECK_INT(word_counts_distinct(file), word_counts_distinct(mem));
    size_t lines = 1;
    for (size_t i = 0; i < sb.len; i++) lines += sb.data[i] == '\n';
    strbuf_append(&sb, "fine\nbad \xc3( byte\n", 17);
    CHECK_OK(file_write_atomic(path, sb.data, sb.len));
    char want[64];
    snprintf(want, sizeof want, "stream.txt: invalid UTF-8 at line %zu, column 5", lines + 1);
    CHECK_ERR(train_corpus_count(file, path, DOCFMT_TEXT, NULL), NEEDLE_EFORMAT, want);
    word_counts_free(file);
    word_counts_free(mem);
    strbuf_free(&sb);
    free(path);
    free(text);
}

/* test_tokenizer_components.c — every normalizer, pre-tokenizer, model, post-processor and
 * encode option needle supports, against Hugging Face's own output (extra/cases.jsonl, made by
 * HF tokenizers 0.23.2 with extra/make_extra.js; see SOURCE.md): the multilingual cased
 * vocabulary loaded from vocab.txt, NFC/NFD/NFKC/NFKD, Strip, Replace, Prepend, StripAccents,
 * Lowercase, Whitespace, WhitespaceSplit, Punctuation and Digits with every split behaviour,
 * Metaspace, ByteLevel with a prefix space, Unigram and classic BPE with byte fallback,
 * added tokens with single_word / lstrip / rstrip / normalized, TemplateProcessing in a
 * Sequence, and pairs with longest_first / only_first / only_second truncation, stride,
 * padding and pad_to_multiple_of. Ids, type ids, offsets, word ids and attention masks of
 * every window must be identical. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/tokenizer.h"

#include <stdlib.h>

#define TOKDIR FIXTURES "/tokenizers"

static tokenizer *case_tokenizer(const cJSON *c) {
    tokenizer *tk = NULL;
    const cJSON *load = cJSON_GetObjectItem(c, "load"), *full = cJSON_GetObjectItem(c, "tokenizer");
    const cJSON *basename = cJSON_GetObjectItem(c, "base"), *override = cJSON_GetObjectItem(c, "override");
    if (load) {
        char path[256];
        snprintf(path, sizeof path, TOKDIR "/%s", load->valuestring);
        CHECK_OK(tokenizer_load(path, &tk));
        return tk;
    }
    cJSON *doc = NULL;
    if (full) {
        doc = cJSON_Duplicate(full, 1);
    } else {
        char path[256];
        snprintf(path, sizeof path, TOKDIR "/%s/tokenizer.json", basename->valuestring);
        CHECK_OK(json_load_file(path, &doc));
        for (const cJSON *o = override ? override->child : NULL; o && doc; o = o->next)
            cJSON_ReplaceItemInObject(doc, o->string, cJSON_Duplicate(o, 1));
    }
    if (!doc) return NULL;
    char *text = cJSON_PrintUnformatted(doc);
    CHECK_OK(tokenizer_from_json(text, strlen(text), cJSON_GetObjectItem(c, "name")->valuestring, &tk));
    free(text);
    cJSON_Delete(doc);
    return tk;
}

/* A text of an input: "<key>_hex" (UTF-8 in hex, for texts with NUL) or "<key>". */
static char *input_text(const cJSON *in, const char *key, size_t *len) {
    char hk[16];
    snprintf(hk, sizeof hk, "%s_hex", key);
    const cJSON *hex = cJSON_GetObjectItem(in, hk), *s = cJSON_GetObjectItem(in, key);
    if (!s) return NULL;
    if (!hex) {
        *len = strlen(s->valuestring);
        return strdup(s->valuestring);
    }
    size_t n = strlen(hex->valuestring) / 2;
    char *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex->valuestring + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    out[n] = 0;
    *len = n;
    return out;
}

static int same_ints(const cJSON *arr, const int32_t *got, int n, int stride) {
    if (cJSON_GetArraySize(arr) != n) return 0;
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
        if (x->valueint != got[stride * i]) return 0;
        i++;
    }
    return 1;
}

static int compare_window(const tok_encoding *e, const cJSON *g, const char *what) {
    static int32_t buf[8192];
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(g, "ids"));
    if (e->n != n || n > 8192) {
        test_fail(__FILE__, __LINE__, "%s: %d tokens, expected %d", what, e->n, n);
        return 1;
    }
    const char *bad = NULL;
    if (!same_ints(cJSON_GetObjectItem(g, "ids"), e->ids, n, 1)) bad = "ids";
    else if (!same_ints(cJSON_GetObjectItem(g, "type_ids"), e->type_ids, n, 1)) bad = "type_ids";
    else if (!same_ints(cJSON_GetObjectItem(g, "word_ids"), e->word_ids, n, 1)) bad = "word_ids";
    if (!bad) {
        for (int i = 0; i < n; i++) buf[i] = e->attention_mask[i];
        if (!same_ints(cJSON_GetObjectItem(g, "attention_mask"), buf, n, 1)) bad = "attention_mask";
    }
    if (!bad) {
        const cJSON *o;
        int i = 0;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(g, "offsets")) {
            if (cJSON_GetArrayItem(o, 0)->valueint != e->offsets[2 * i] || cJSON_GetArrayItem(o, 1)->valueint != e->offsets[2 * i + 1]) {
                bad = "offsets";
                break;
            }
            i++;
        }
    }
    if (!bad) return 0;
    char *want = cJSON_PrintUnformatted(cJSON_GetObjectItem(g, bad));
    test_fail(__FILE__, __LINE__, "%s: %s differ from HF's %.300s", what, bad, want);
    fprintf(stderr, "    needle:");
    for (int i = 0; i < n && i < 64; i++)
        fprintf(stderr, " %d:%d/%d/%d[%d,%d)", i, e->ids[i], e->type_ids[i], e->word_ids[i], e->offsets[2 * i], e->offsets[2 * i + 1]);
    fprintf(stderr, "\n");
    free(want);
    return 1;
}

static void run_cases(const char *only) {
    char *text;
    size_t len;
    CHECK_OK(file_read_all(TOKDIR "/extra/cases.jsonl", &text, &len));
    int ncases = 0;
    tok_windows w;
    tok_windows_init(&w);
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        cJSON *c;
        if (json_parse(line, nl ? (size_t)(nl - line) : strlen(line), "cases.jsonl", &c)) { CHECK(0); break; }
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        int mine = only ? !strcmp(name, only) : strcmp(name, "multilingual_cased_vocab_txt") != 0;
        tokenizer *tk = mine ? case_tokenizer(c) : NULL;
        if (tk) {
            ncases++;
            const cJSON *o = cJSON_GetObjectItem(c, "options"), *tr = cJSON_GetObjectItem(o, "truncation");
            const cJSON *pad = cJSON_GetObjectItem(o, "padding"), *ast = cJSON_GetObjectItem(o, "add_special_tokens");
            tok_options opt = tok_options_default();
            if (ast) opt.add_special_tokens = cJSON_IsTrue(ast);
            if (tr) {
                const char *s = cJSON_GetObjectItem(tr, "strategy")->valuestring;
                opt.truncation = !strcmp(s, "LongestFirst") ? TOK_TRUNCATE_LONGEST_FIRST
                                 : !strcmp(s, "OnlyFirst")  ? TOK_TRUNCATE_ONLY_FIRST
                                                            : TOK_TRUNCATE_ONLY_SECOND;
                opt.stride = cJSON_GetObjectItem(tr, "stride")->valueint;
                opt.max_length = cJSON_GetObjectItem(tr, "max_length")->valueint;
                opt.hf_early_exit = 1; /* the reference is tokenizers 0.23.2 */
            }
            if (pad) {
                opt.pad_to = cJSON_GetObjectItem(pad, "length")->valueint;
                const cJSON *m = cJSON_GetObjectItem(pad, "multiple");
                opt.pad_to_multiple_of = m ? m->valueint : 0;
            }
            int k = 0, bad = 0;
            const cJSON *in, *outs = cJSON_GetObjectItem(c, "outputs");
            cJSON_ArrayForEach(in, cJSON_GetObjectItem(c, "inputs")) {
                size_t la = 0, lb = 0;
                char *a = input_text(in, "text", &la), *b = input_text(in, "pair", &lb);
                const cJSON *want = cJSON_GetArrayItem(outs, k);
                char what[200];
                snprintf(what, sizeof what, "%s input %d \"%.40s\"", name, k, a);
                CHECK_OK(tokenizer_encode(tk, a, la, b, lb, &opt, &w));
                if (w.n != cJSON_GetArraySize(want)) {
                    test_fail(__FILE__, __LINE__, "%s: %d windows, expected %d", what, w.n, cJSON_GetArraySize(want));
                    bad++;
                }
                for (int i = 0; i < w.n && i < cJSON_GetArraySize(want) && bad < 3; i++) bad += compare_window(&w.w[i], cJSON_GetArrayItem(want, i), what);
                free(a);
                free(b);
                k++;
            }
            CHECK_INT(bad, 0);
            tokenizer_free(tk);
        }
        cJSON_Delete(c);
    }
    CHECK(ncases >= 1);
    tok_windows_free(&w);
    free(text);
}

TEST(tokenizer_components_match_hf) { run_cases(NULL); }

/* The multilingual cased vocabulary (vocab.txt + tokenizer_config.json, do_lower_case false):
 * HF's output for the 208 golden texts and 18 sentences in 16 scripts. */
TEST(tokenizer_multilingual_vocab_txt_matches_hf) { run_cases("multilingual_cased_vocab_txt"); }

/* Properties every WordPiece output has, over the 208 golden texts with the multilingual
 * vocabulary: ids in range; "##" exactly on the pieces after a word's first; [UNK] only as a
 * whole word; offsets inside the text and non-decreasing; a piece never longer (in code
 * points, "##" aside) than the text it covers. And cases derived by hand from vocab.txt with
 * BERT's greedy longest-match-first rule (each longer prefix was checked absent from the file;
 * ids are line numbers - 1): Straßen|##bahn|##halte|##stelle, na|##ï|##ve, Zürich, Москва,
 * 東|京 (CJK ideographs are split into single characters before WordPiece). */
TEST(tokenizer_multilingual_properties_and_hand_cases) {
    tokenizer *tk = NULL;
    char *text;
    size_t len;
    CHECK_OK(tokenizer_load(TOKDIR "/vocab/bert-base-multilingual-cased", &tk));
    CHECK_OK(file_read_all(TOKDIR "/bert-base-uncased/golden.jsonl", &text, &len));
    if (!tk) return;
    int unk = tokenizer_specials(tk)->unk, bad = 0, pieces = 0;
    tok_windows w;
    tok_windows_init(&w);
    for (char *line = text, *nl; line && *line && bad < 5; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        cJSON *g;
        if (json_parse(line, nl ? (size_t)(nl - line) : strlen(line), "golden.jsonl", &g)) break;
        const char *t = cJSON_GetObjectItem(g, "text")->valuestring; /* no NUL-bearing text matters here */
        size_t tl = strlen(t);
        int ncp = 0;
        for (size_t i = 0; i < tl; i++) ncp += ((unsigned char)t[i] & 0xC0) != 0x80;
        CHECK_OK(tokenizer_encode(tk, t, tl, NULL, 0, NULL, &w));
        const tok_encoding *e = &w.w[0];
        for (int i = 1; i + 1 < e->n; i++, pieces++) {
            const char *tok = tokenizer_id_to_token(tk, e->ids[i]);
            int first = e->word_ids[i] != e->word_ids[i - 1], cont = tok && !strncmp(tok, "##", 2);
            int last = e->word_ids[i] != e->word_ids[i + 1], s = e->offsets[2 * i], end = e->offsets[2 * i + 1];
            int plen = 0;
            for (const char *p = tok ? tok + (cont ? 2 : 0) : ""; *p; p++) plen += ((unsigned char)*p & 0xC0) != 0x80;
            int ok = tok && e->ids[i] < tokenizer_vocab_size(tk) && s >= 0 && end <= ncp && s < end &&
                     s >= e->offsets[2 * (i - 1)] && (e->ids[i] == unk ? first && last : first != cont) &&
                     (e->ids[i] == unk || plen <= end - s);
            if (!ok) {
                test_fail(__FILE__, __LINE__, "\"%.30s\": piece %d \"%s\" [%d,%d) breaks a WordPiece property", t, i, tok ? tok : "?", s, end);
                bad++;
            }
        }
        cJSON_Delete(g);
    }
    CHECK(pieces > 10000); /* 13,486 pieces were checked when this was written */
    struct {
        const char *text;
        int n, ids[4], offs[8];
    } hand[] = {
        {"Straßenbahnhaltestelle", 4, {53727, 18760, 55699, 36242}, {0, 7, 7, 11, 11, 16, 16, 22}},
        {"naïve", 3, {10132, 27514, 10612}, {0, 2, 2, 3, 3, 5}},
        {"Zürich", 1, {19985}, {0, 6}},
        {"Москва", 1, {15588}, {0, 6}},
        {"東京", 2, {4506, 2172}, {0, 1, 1, 2}},
    };
    for (size_t h = 0; h < sizeof hand / sizeof hand[0]; h++) {
        CHECK_OK(tokenizer_encode(tk, hand[h].text, strlen(hand[h].text), NULL, 0, NULL, &w));
        const tok_encoding *e = &w.w[0];
        CHECK_INT(e->n, hand[h].n + 2);
        for (int i = 0; i < hand[h].n && i + 1 < e->n; i++) {
            CHECK_INT(e->ids[i + 1], hand[h].ids[i]);
            CHECK_INT(e->offsets[2 * i + 2], hand[h].offs[2 * i]);
            CHECK_INT(e->offsets[2 * i + 3], hand[h].offs[2 * i + 1]);
        }
    }
    CHECK_INT(bad, 0);
    tok_windows_free(&w);
    free(text);
    tokenizer_free(tk);
}

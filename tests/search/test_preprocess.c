/* test_preprocess.c — cleaning and splitting against hand-checked expectations derived from
 * Haystack 1.x's PreProcessor semantics (its docstring's w1..w12 windows example, its
 * clean_whitespace / clean_empty_lines / header-footer rules), plus a property test on random
 * texts: every passage, read back from the ORIGINAL text at its offsets, holds the same
 * non-whitespace characters as its content. */
#include "../test.h"
#include "needle/murmur3.h"
#include "needle/preprocess.h"
#include "needle/rng.h"

#include <stdlib.h>

static preprocess_opts opts(split_unit by, int len, int overlap) {
    preprocess_opts o;
    preprocess_opts_default(&o);
    o.split_by = by;
    o.split_length = len;
    o.split_overlap = overlap;
    return o;
}

static void expect_passages(const preprocess_opts *o, const char *text, const char *const *want, int line) {
    passage_list pl;
    CHECK_OK(preprocess_document(o, text, strlen(text), &pl));
    size_t nwant = 0;
    while (want[nwant]) nwant++;
    if (pl.n != nwant) test_fail(__FILE__, line, "%zu passages, expected %zu", pl.n, nwant);
    for (size_t i = 0; i < pl.n && i < nwant; i++) {
        if (strcmp(pl.items[i].content, want[i])) test_fail(__FILE__, line, "passage %zu is \"%s\", expected \"%s\"", i, pl.items[i].content, want[i]);
        if (pl.items[i].split_index != (int)i) test_fail(__FILE__, line, "passage %zu has split_index %d", i, pl.items[i].split_index);
    }
    passage_list_free(&pl);
}

#define EXPECT(o, text, ...) do { const char *const w_[] = {__VA_ARGS__, NULL}; expect_passages(&(o), text, w_, __LINE__); } while (0)

TEST(preprocess_word_windows_follow_haystack) {
    /* Haystack's docstring: split_length 5, overlap 2 → [w1..w5, w4..w8, w7..w11, ...]; with
     * 12 words more_itertools.windowed ends with a window from w10 to the last word. */
    const char *text = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12";
    preprocess_opts o = opts(SPLIT_WORD, 5, 2);
    EXPECT(o, text, "w1 w2 w3 w4 w5", "w4 w5 w6 w7 w8", "w7 w8 w9 w10 w11", "w10 w11 w12");
    o = opts(SPLIT_WORD, 5, 0);
    EXPECT(o, text, "w1 w2 w3 w4 w5", "w6 w7 w8 w9 w10", "w11 w12");
    o = opts(SPLIT_WORD, 4, 1);
    EXPECT(o, "a b c d e f g", "a b c d", "d e f g");
    o = opts(SPLIT_WORD, 20, 3);
    EXPECT(o, "short text", "short text");
    /* words are separated by any whitespace; the text between them is kept as it was */
    o = opts(SPLIT_WORD, 3, 0);
    EXPECT(o, "one two\nthree four", "one two\nthree", "four");
}

TEST(preprocess_sentence_and_passage_units) {
    preprocess_opts o = opts(SPLIT_SENTENCE, 2, 1);
    EXPECT(o, "Dr. Who came. He saw. He left. The end.", "Dr. Who came. He saw.", "He saw. He left.", "He left. The end.");
    o = opts(SPLIT_PASSAGE, 2, 0);
    EXPECT(o, "First para\nline two.\n\nSecond para.\n\n\n\nThird para.", "First para\nline two.\n\nSecond para.", "Third para.");
    o = opts(SPLIT_PASSAGE, 1, 0);
    EXPECT(o, "A\n \nB", "A", "B");
    o = opts(SPLIT_NONE, 0, 0);
    EXPECT(o, "  Whole   doc.\n\nStays one.  ", "Whole   doc.\n\nStays one.");
    o = opts(SPLIT_WORD, 5, 0);
    passage_list pl;
    CHECK_OK(preprocess_document(&o, " \n\t ", 4, &pl));
    CHECK_INT(pl.n, 0);
    passage_list_free(&pl);
}

TEST(preprocess_respects_sentence_boundaries) {
    /* Sentences of 3, 4, 2, 5 and 1 words, split_length 8. Haystack's algorithm: add sentences
     * while the count stays <= 8: [s1 s2] (7), then [s3 s4 s5] (2+5+1 = 8). */
    const char *text = "One two three. Four five six seven. Eight nine. Ten eleven twelve thirteen fourteen. End.";
    preprocess_opts o = opts(SPLIT_WORD, 8, 0);
    o.respect_sentences = 1;
    EXPECT(o, text, "One two three. Four five six seven.", "Eight nine. Ten eleven twelve thirteen fourteen. End.");
    /* overlap 2 words: the last sentences of the previous passage holding >= 2 words come along:
     * [s1 s2], then s2 (4 words) + s3 = 6, s4 would make 11 > 8 → [s2 s3]; then s3 (2) + s4 + s5 = 8. */
    o.split_overlap = 2;
    EXPECT(o, text, "One two three. Four five six seven.", "Four five six seven. Eight nine.",
           "Eight nine. Ten eleven twelve thirteen fourteen. End.");
    /* a sentence longer than split_length stands alone */
    o.split_length = 3;
    o.split_overlap = 0;
    EXPECT(o, "Ab cd. Ce de ef fg gh. Hi.", "Ab cd.", "Ce de ef fg gh.", "Hi.");
    /* an overlap never takes the whole previous passage: passages always move on */
    o.split_length = 10;
    o.split_overlap = 5;
    EXPECT(o, "Aa bb cc dd ee ff. Gg hh ii jj kk ll. Mm nn oo pp qq rr.", "Aa bb cc dd ee ff.", "Gg hh ii jj kk ll.",
           "Mm nn oo pp qq rr.");
}

TEST(preprocess_cleaning_and_original_offsets) {
    /* clean_whitespace strips each line; clean_empty_lines turns 3+ line breaks into 2 */
    const char *text = "  Title  \n\n\n\n  Body one.  \nBody two.\n";
    preprocess_opts o = opts(SPLIT_NONE, 0, 0);
    passage_list pl;
    CHECK_OK(preprocess_document(&o, text, strlen(text), &pl));
    CHECK_INT(pl.n, 1);
    CHECK_STR(pl.items[0].content, "Title\n\nBody one.\nBody two.");
    CHECK_INT(pl.items[0].start, 2);              /* 'T' */
    CHECK_INT(pl.items[0].end, strlen(text) - 1); /* after "two." */
    passage_list_free(&pl);

    /* offsets of each passage index the original; here the text is clean so slices are equal */
    const char *clean = "Alpha beta. Gamma delta epsilon.\nZeta eta.";
    o = opts(SPLIT_WORD, 2, 0);
    CHECK_OK(preprocess_document(&o, clean, strlen(clean), &pl));
    CHECK_INT(pl.n, 4);
    for (size_t i = 0; i < pl.n; i++) {
        CHECK_INT(pl.items[i].end - pl.items[i].start, pl.items[i].len);
        CHECK(!memcmp(clean + pl.items[i].start, pl.items[i].content, pl.items[i].len));
    }
    CHECK_INT(pl.items[2].start, 24); /* "epsilon.\nZeta" */
    CHECK_STR(pl.items[2].content, "epsilon.\nZeta");
    passage_list_free(&pl);

    /* code-point offsets: "é" is 2 bytes, 1 character */
    const char *utf = "Café crème. Très bon.";
    o = opts(SPLIT_SENTENCE, 1, 0);
    CHECK_OK(preprocess_document(&o, utf, strlen(utf), &pl));
    CHECK_INT(pl.n, 2);
    CHECK_STR(pl.items[1].content, "Très bon.");
    CHECK_INT(pl.items[1].start, 14);
    CHECK_INT(pl.items[1].char_start, 12);
    CHECK_INT(pl.items[1].char_end, 21);
    passage_list_free(&pl);
}

TEST(preprocess_removes_repeated_header_and_footer) {
    /* Four pages separated by form feeds; every page starts with the same header and ends with the
     * same footer (the first and last page are left out of detection, as in Haystack, but are
     * cleaned too). "Page N" differs on every page and stays. */
    const char *text =
        "ACME Corp Annual Report 2019\nIntroduction text here.\nCopyright 2019 ACME Corp, all rights reserved\f"
        "ACME Corp Annual Report 2019\nSecond page body.\nPage 2\nCopyright 2019 ACME Corp, all rights reserved\f"
        "ACME Corp Annual Report 2019\nThird page body.\nPage 3\nCopyright 2019 ACME Corp, all rights reserved\f"
        "ACME Corp Annual Report 2019\nLast page.\nCopyright 2019 ACME Corp, all rights reserved";
    preprocess_opts o = opts(SPLIT_NONE, 0, 0);
    o.clean.header_footer = 1;
    passage_list pl;
    CHECK_OK(preprocess_document(&o, text, strlen(text), &pl));
    CHECK_INT(pl.n, 1);
    CHECK_STR(pl.items[0].content, "Introduction text here.\fSecond page body.\nPage 2\fThird page body.\nPage 3\fLast page.");
    CHECK_INT(pl.items[0].page, 1);
    passage_list_free(&pl);

    /* paragraphs after removal; a paragraph may span pages */
    o = opts(SPLIT_PASSAGE, 1, 0);
    o.clean.header_footer = 1;
    const char *hf = "Head line one two\nA.\n\nB.\fHead line one two\nC.\fHead line one two\nD.\fHead line one two\nE.";
    CHECK_OK(preprocess_document(&o, hf, strlen(hf), &pl));
    CHECK_INT(pl.n, 2);
    CHECK_STR(pl.items[0].content, "A.");
    CHECK_STR(pl.items[1].content, "B.\fC.\fD.\fE.");
    passage_list_free(&pl);
    /* each passage's page counts the form feeds before it */
    o = opts(SPLIT_SENTENCE, 1, 0);
    const char *pages = "One.\fTwo.\fThree.";
    CHECK_OK(preprocess_document(&o, pages, strlen(pages), &pl));
    CHECK_INT(pl.n, 3);
    CHECK_INT(pl.items[0].page, 1);
    CHECK_INT(pl.items[1].page, 2);
    CHECK_INT(pl.items[2].page, 3);
    passage_list_free(&pl);
}

TEST(preprocess_ids_are_stable_content_hashes) {
    const char *text = "foo\n\nbar baz.\n\nfoo";
    preprocess_opts o = opts(SPLIT_PASSAGE, 1, 0);
    passage_list a, b;
    CHECK_OK(preprocess_document(&o, text, strlen(text), &a));
    CHECK_OK(preprocess_document(&o, text, strlen(text), &b));
    CHECK_INT(a.n, 3);
    for (size_t i = 0; i < a.n; i++) CHECK_STR(a.items[i].id, b.items[i].id);
    /* mmh3.hash128("foo") == 0x7eaf87e42bba7d87e271865701f54561: Haystack's id for "foo" */
    CHECK_STR(a.items[0].id, "7eaf87e42bba7d87e271865701f54561");
    CHECK_STR(a.items[2].id, a.items[0].id);
    CHECK(strcmp(a.items[1].id, a.items[0].id) != 0);
    passage_list_free(&a);
    passage_list_free(&b);
}

TEST(preprocess_locates_answers_in_passages) {
    /* A SQuAD-like context: the answer "Berlin" at character 20 of the original. */
    const char *ctx = "  Über uns\n\n\n\nWe   live in Berlin. It is big.";
    preprocess_opts o = opts(SPLIT_SENTENCE, 1, 0);
    passage_list pl;
    CHECK_OK(preprocess_document(&o, ctx, strlen(ctx), &pl));
    CHECK_INT(pl.n, 3);
    CHECK_STR(pl.items[1].content, "We   live in Berlin.");
    size_t pi, s, e;
    size_t berlin = 27; /* code points: 2 spaces + "Über uns" (8) + 4 newlines + "We   live in " (13) */
    CHECK_OK(preprocess_locate(&pl, ctx, strlen(ctx), berlin, berlin + 6, &pi, &s, &e));
    CHECK_INT(pi, 1);
    CHECK_INT(s, 13);
    CHECK_INT(e, 19);
    CHECK_ERR(preprocess_locate(&pl, ctx, strlen(ctx), berlin, berlin + 10, &pi, &s, &e), NEEDLE_ENOTFOUND, "crosses a passage");
    CHECK_ERR(preprocess_locate(&pl, ctx, strlen(ctx), 0, 2, &pi, &s, &e), NEEDLE_ENOTFOUND, "removed by cleaning");
    CHECK_ERR(preprocess_locate(&pl, ctx, strlen(ctx), 40, 400, &pi, &s, &e), NEEDLE_EINVAL, "outside");
    passage_list_free(&pl);
}

TEST(preprocess_rejects_bad_options) {
    passage_list pl;
    preprocess_opts o = opts(SPLIT_WORD, 5, 5);
    CHECK_ERR(preprocess_document(&o, "a", 1, &pl), NEEDLE_EINVAL, "split_overlap");
    o = opts(SPLIT_WORD, 0, 0);
    CHECK_ERR(preprocess_document(&o, "a", 1, &pl), NEEDLE_EINVAL, "split_length");
    o = opts(SPLIT_SENTENCE, 3, 0);
    o.respect_sentences = 1;
    CHECK_ERR(preprocess_document(&o, "a", 1, &pl), NEEDLE_EINVAL, "split_by word");
    split_unit u;
    CHECK_ERR(split_unit_parse("token", &u), NEEDLE_EINVAL, "'token'");
    CHECK_OK(split_unit_parse("paragraph", &u));
    CHECK_INT(u, SPLIT_PASSAGE);
}

/* Non-whitespace bytes of s[0, n) appended to out; returns the count. */
static size_t squeeze(const char *s, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\n\r\f\v", s[i])) out[k++] = s[i];
    return k;
}

TEST(preprocess_offsets_property_on_random_text) {
    static const char *const pieces[] = {"alpha", "Beta.", "gamma,", "Dr.", "3.14", "é", "naïve", "x?", " ", "  ", "\n", "\n\n\n", " \t", "\f", "Zeta!"};
    rng r;
    rng_seed(&r, 7);
    char text[4096], a[4096], b[4096];
    for (int iter = 0; iter < 200; iter++) {
        size_t n = 0;
        int npieces = 1 + (int)rng_below(&r, 120);
        for (int k = 0; k < npieces; k++) {
            const char *p = pieces[rng_below(&r, sizeof pieces / sizeof *pieces)];
            size_t l = strlen(p);
            memcpy(text + n, p, l);
            n += l;
            if (rng_below(&r, 2)) text[n++] = ' ';
        }
        text[n] = 0;
        preprocess_opts o = opts((split_unit)(rng_below(&r, 4)), 1 + (int)rng_below(&r, 6), 0);
        if (o.split_length > 1) o.split_overlap = (int)rng_below(&r, (uint64_t)o.split_length);
        o.respect_sentences = o.split_by == SPLIT_WORD && rng_below(&r, 2);
        o.clean.whitespace = (int)rng_below(&r, 2);
        o.clean.empty_lines = (int)rng_below(&r, 2);
        passage_list pl;
        CHECK_OK(preprocess_document(&o, text, n, &pl));
        size_t all = squeeze(text, n, a), covered_to = 0;
        for (size_t i = 0; i < pl.n; i++) {
            const passage *p = &pl.items[i];
            size_t ka = squeeze(text + p->start, p->end - p->start, a), kb = squeeze(p->content, p->len, b);
            if (ka != kb || memcmp(a, b, ka)) test_fail(__FILE__, __LINE__, "iter %d passage %zu differs from its original slice", iter, i);
            CHECK(p->len > 0 && !strchr(" \t\n\r\f\v", p->content[0]) && !strchr(" \t\n\r\f\v", p->content[p->len - 1]));
            CHECK(text[p->start] == p->content[0] && text[p->end - 1] == p->content[p->len - 1]);
            size_t chars = 0;
            for (size_t j = 0; j < p->start; j++) chars += ((unsigned char)text[j] & 0xC0) != 0x80;
            CHECK_INT(p->char_start, chars);
            char id[33];
            murmur3_hex_id(p->content, p->len, id);
            CHECK_STR(p->id, id);
            if (p->end > covered_to) covered_to = p->end;
        }
        /* every non-whitespace byte lands in some passage */
        size_t last_ns = 0;
        for (size_t j = 0; j < n; j++)
            if (!strchr(" \t\n\r\f\v", text[j])) last_ns = j + 1;
        CHECK_INT(covered_to, all ? last_ns : 0);
        passage_list_free(&pl);
    }
}

/* test_mlm_data.c — masked-LM data against the definitions it implements: packing worked out
 * by hand from the rule in mlm_data.h; the held-out split; and the masking statistics of
 * Hugging Face's collators (DataCollatorForLanguageModeling: each non-special token chosen
 * with probability p, then 80% [MASK] / 10% a token uniform over the whole vocabulary / 10%
 * kept; DataCollatorForWholeWordMask: "##" pieces go with their word, at most round(n·p)
 * tokens) — rates are checked to lie within 5 standard deviations of the binomial mean over
 * tens of thousands of tokens, so a wrong rate fails and a right one passes with certainty for
 * practical purposes (the generator is seeded, so the run is reproducible anyway). */
#include "../test.h"
#include "needle/mlm_data.h"
#include "needle/tokenizer.h"

#include <stdlib.h>

#define MLM_FIX FIXTURES "/mlm"
#define BERT_TOK FIXTURES "/tokenizers/bert-base-uncased/tokenizer.json"

static tokenizer *small_tokenizer(void) {
    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(MLM_FIX "/tokenizer", &tk));
    return tk;
}

static int id_of(const tokenizer *tk, const char *s) { return tokenizer_token_to_id(tk, s); }

/* |k - n p| within 5 binomial standard deviations */
static void check_binomial(long k, long n, double p, const char *what) {
    double mean = n * p, sd = sqrt(n * p * (1 - p));
    if (!(fabs(k - mean) <= 5 * sd + 1e-9))
        test_fail(__FILE__, __LINE__, "%s: %ld of %ld, expected %.1f +- %.1f (5 sd)", what, k, n, mean, 5 * sd);
}

TEST(mlm_pack_blocks_by_hand) {
    tokenizer *tk = small_tokenizer();
    if (!tk) return;
    mlm_corpus c;
    mlm_corpus_init(&c, tk, 1);
    const char *texts[] = {"cat dog bird fox", "   ", "fox", "the red cat walked", "dog"};
    for (int i = 0; i < 5; i++) CHECK_OK(mlm_corpus_add(&c, texts[i], strlen(texts[i])));
    CHECK_OK(mlm_corpus_flush(&c));
    CHECK_INT(c.n_texts, 4); /* the blank text has no tokens */
    CHECK_INT(c.n_ids, 4 + 1 + 5 + 1);
    int CLS = id_of(tk, "[CLS]"), SEP = id_of(tk, "[SEP]"), PAD = id_of(tk, "[PAD]");
    int cat = id_of(tk, "cat"), dog = id_of(tk, "dog"), bird = id_of(tk, "bird"), fox = id_of(tk, "fox");
    int the = id_of(tk, "the"), red = id_of(tk, "red"), walk = id_of(tk, "walk"), ed = id_of(tk, "##ed");
    /* blocks of 6: [CLS] + 4 + [SEP]. Stream: cat dog bird fox S | fox S | the red cat walk ##ed S | dog S.
     * Block 1 fills with the first text and closes with [SEP]; that text's separator would open
     * block 2 and is dropped; block 2 runs on to the first two tokens of the third text; block 3
     * ends with the third text's separator in the last slot (one short); block 4 is the rest. */
    const int32_t want[4][6] = {{CLS, cat, dog, bird, fox, SEP},
                                {CLS, fox, SEP, the, red, SEP},
                                {CLS, cat, walk, ed, SEP, PAD},
                                {CLS, dog, SEP, PAD, PAD, PAD}};
    const int want_len[4] = {6, 6, 5, 3};
    mlm_blocks b;
    CHECK_OK(mlm_blocks_pack(&c, NULL, 0, tk, 6, &b));
    CHECK_INT(b.n, 4);
    CHECK(b.token_type_ids == NULL && b.labels == NULL);
    for (int i = 0; i < b.n && i < 4; i++) {
        CHECK_INT(b.length[i], want_len[i]);
        for (int t = 0; t < 6; t++) CHECK_INT(b.input_ids[i * 6 + t], want[i][t]);
    }
    mlm_blocks_free(&b);
    /* a subset of texts, in the order given: "fox" and "dog" */
    size_t sub[] = {1, 3};
    CHECK_OK(mlm_blocks_pack(&c, sub, 2, tk, 6, &b));
    CHECK_INT(b.n, 1);
    const int32_t one[6] = {CLS, fox, SEP, dog, SEP, PAD};
    for (int t = 0; t < 6; t++) CHECK_INT(b.input_ids[t], one[t]);
    CHECK_INT(b.length[0], 5);
    mlm_blocks_free(&b);
    size_t bad[] = {4};
    CHECK_ERR(mlm_blocks_pack(&c, bad, 1, tk, 6, &b), NEEDLE_EINVAL, "text 4 out of range");
    CHECK_ERR(mlm_blocks_pack(&c, NULL, 0, tk, 2, &b), NEEDLE_EINVAL, "at least 3");
    mlm_corpus_free(&c);
    tokenizer_free(tk);
}

/* Every block of a real corpus reads as a BERT input and the blocks hold the texts in order,
 * each followed by one separator. */
TEST(mlm_pack_blocks_cover_the_corpus) {
    tokenizer *tk = small_tokenizer();
    if (!tk) return;
    mlm_corpus c;
    mlm_corpus_init(&c, tk, 0);
    FILE *f = fopen(MLM_FIX "/corpus.txt", "r");
    CHECK(f != NULL);
    char line[4096];
    while (f && fgets(line, sizeof line, f)) CHECK_OK(mlm_corpus_add(&c, line, strlen(line)));
    if (f) fclose(f);
    CHECK_OK(mlm_corpus_flush(&c));
    CHECK(c.n_texts == 400);
    int CLS = id_of(tk, "[CLS]"), SEP = id_of(tk, "[SEP]"), PAD = id_of(tk, "[PAD]");
    for (int L = 3; L <= 40; L += 37) {
        mlm_blocks b;
        CHECK_OK(mlm_blocks_pack(&c, NULL, 0, tk, L, &b));
        size_t k = 0, text = 0; /* position in the stream: token k of the corpus, or text's separator */
        int ok = 1;
        for (int i = 0; i < b.n && ok; i++) {
            const int32_t *row = b.input_ids + (size_t)i * L;
            int n = b.length[i];
            ok = row[0] == CLS && row[n - 1] == SEP && n >= 3 && (n >= L - 1 || i == b.n - 1);
            for (int t = n; t < L; t++) ok &= row[t] == PAD;
            for (int t = 1; t < n && ok; t++) {
                if (text >= c.n_texts) { ok = 0; break; }
                if (k < c.text_end[text] && !(t == n - 1 && row[t] == SEP)) {
                    ok = row[t] == c.ids[k++];  /* a token of the text */
                } else if (k == c.text_end[text]) {
                    ok = row[t] == SEP && t > 1; /* the text's separator (never "[CLS] [SEP]") */
                    text++;
                }                                /* else: [SEP] added to close a full block */
            }
        }
        CHECK(ok);
        CHECK_INT(k, c.n_ids);
        CHECK_INT(text, c.n_texts);
        mlm_blocks_free(&b);
    }
    mlm_corpus_free(&c);
    tokenizer_free(tk);
}

TEST(mlm_corpus_split_by_texts) {
    tokenizer *tk = small_tokenizer();
    if (!tk) return;
    mlm_corpus c;
    mlm_corpus_init(&c, tk, 1);
    char text[64];
    for (int i = 0; i < 50; i++) {
        snprintf(text, sizeof text, "%s", i % 3 ? "the cat jumped ." : "a dog");
        CHECK_OK(mlm_corpus_add(&c, text, strlen(text)));
    }
    CHECK_OK(mlm_corpus_flush(&c));
    size_t *tr, *dv, ntr, ndv, *tr2, *dv2, ntr2, ndv2;
    CHECK_OK(mlm_corpus_split(&c, 0.2, 42, &tr, &ntr, &dv, &ndv));
    CHECK_OK(mlm_corpus_split(&c, 0.2, 42, &tr2, &ntr2, &dv2, &ndv2));
    CHECK_INT(ntr + ndv, 50);
    CHECK(ntr == ntr2 && ndv == ndv2 && !memcmp(dv, dv2, ndv * sizeof *dv));
    size_t dev_tokens = 0, last_len = 0;
    char seen[50] = {0};
    for (size_t i = 0; i < ndv; i++) {
        last_len = c.text_end[dv[i]] - (dv[i] ? c.text_end[dv[i] - 1] : 0);
        dev_tokens += last_len;
        seen[dv[i]]++;
        if (i) CHECK(dv[i] > dv[i - 1]);
    }
    for (size_t i = 0; i < ntr; i++) {
        seen[tr[i]]++;
        if (i) CHECK(tr[i] > tr[i - 1]);
    }
    for (int i = 0; i < 50; i++) CHECK_INT(seen[i], 1);
    /* at least the fraction of tokens, overshooting by less than one text */
    CHECK((double)dev_tokens >= 0.2 * c.n_ids);
    CHECK((double)dev_tokens < 0.2 * c.n_ids + 5);
    free(tr), free(dv), free(tr2), free(dv2);
    CHECK_ERR(mlm_corpus_split(&c, 1.0, 42, &tr, &ntr, &dv, &ndv), NEEDLE_EINVAL, "between 0 and 1");
    mlm_corpus_free(&c);
    tokenizer_free(tk);
}

/* Token masking over 4,000 sequences of 100 tokens: special tokens in them ([CLS], [SEP],
 * [UNK], [PAD], [MASK]) are never chosen, the choice rate is p, the replacements 80/10/10, and
 * random tokens uniform over all 30,522 ids (10 equal bins, chi-square) — specials included. */
TEST(mlm_token_masking_statistics) {
    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(BERT_TOK, &tk));
    if (!tk) return;
    mlm_masker mk;
    CHECK_OK(mlm_masker_init(&mk, tk, 0.15, 0, 128));
    const tokenizer_special_ids *sp = tokenizer_specials(tk);
    int V = tokenizer_vocab_size(tk);
    CHECK_INT(V, 30522);
    rng data, r;
    rng_seed(&data, 1);
    rng_seed(&r, 2);
    enum { N = 100, SEQS = 4000 };
    int32_t ids[N + 8], orig[N + 8], labels[N + 8];
    long cand = 0, chosen = 0, to_mask = 0, kept = 0, other = 0, bins[10] = {0}, special_hit = 0, beyond = 0;
    for (int s = 0; s < SEQS; s++) {
        for (int t = 0; t < N + 8; t++) ids[t] = 1000 + (int32_t)rng_below(&data, (uint64_t)(V - 1000));
        ids[0] = sp->cls, ids[N - 1] = sp->sep, ids[17] = sp->unk, ids[40] = sp->pad, ids[41] = sp->mask, ids[60] = sp->sep;
        memcpy(orig, ids, sizeof ids);
        for (int t = 0; t < N + 8; t++) labels[t] = 12345;
        int count = mlm_mask(&mk, ids, labels, N, &r);
        int here = 0;
        for (int t = 0; t < N; t++) {
            int special = t == 0 || t == N - 1 || t == 17 || t == 40 || t == 41 || t == 60;
            if (labels[t] == MLM_IGNORE) {
                if (ids[t] != orig[t]) special_hit++; /* unchosen tokens are never changed */
                cand += !special;
                continue;
            }
            if (special) { special_hit++; continue; }
            cand++;
            here++;
            CHECK_INT(labels[t], orig[t]);
            if (ids[t] == sp->mask) to_mask++;
            else if (ids[t] == orig[t]) kept++;
            else {
                other++;
                bins[(long)ids[t] * 10 / V]++;
            }
        }
        CHECK_INT(count, here);
        for (int t = N; t < N + 8; t++) beyond += ids[t] != orig[t] || labels[t] != 12345;
        chosen += here;
    }
    CHECK_INT(special_hit, 0);
    CHECK_INT(beyond, 0);
    check_binomial(chosen, cand, 0.15, "chosen tokens");
    /* a random replacement equal to [MASK] or to the token itself counts as such */
    check_binomial(to_mask, chosen, 0.8 + 0.1 / V, "[MASK] replacements");
    check_binomial(kept, chosen, 0.1 + 0.1 / V, "kept tokens");
    check_binomial(other, chosen, 0.1 * (1 - 2.0 / V), "random replacements");
    double chi2 = 0, e = other / 10.0;
    for (int i = 0; i < 10; i++) chi2 += (bins[i] - e) * (bins[i] - e) / e;
    CHECK(chi2 < 35); /* 9 degrees of freedom: P(chi2 > 35) < 1e-4 */
    CHECK(bins[0] > 0); /* the low ids, where BERT's specials and [unused] live, are drawn too */
    mlm_masker_free(&mk);
    CHECK_ERR(mlm_masker_init(&mk, tk, 0, 0, 8), NEEDLE_EINVAL, "(0, 1]");
    tokenizer_free(tk);
}

/* Words as HF's _whole_word_mask builds them: a "##" piece joins the word of the token before
 * it unless that token is special. Returns the word number of each token (-1 special). */
static int words_of(const tokenizer *tk, const int32_t *ids, int n, int *word) {
    int w = -1;
    for (int t = 0; t < n; t++) {
        if (tokenizer_is_special(tk, ids[t])) { word[t] = -1; continue; }
        const char *s = tokenizer_id_to_token(tk, ids[t]);
        int piece = !strncmp(s, "##", 2) && t > 0 && word[t - 1] >= 0;
        word[t] = piece ? w : ++w;
    }
    return w + 1;
}

/* Whole-word masking on the fixture corpus (blocks of 32, many "walk ##ed" / "look ##ing"
 * words): a word is chosen whole or not at all, no sequence exceeds round(n·p) chosen tokens
 * and stops short only when no remaining word fits, the overall rate is close to p, and the
 * chosen tokens are replaced 80/10/10 token by token. */
TEST(mlm_whole_word_masking_statistics) {
    tokenizer *tk = small_tokenizer();
    if (!tk) return;
    mlm_corpus c;
    mlm_corpus_init(&c, tk, 0);
    FILE *f = fopen(MLM_FIX "/corpus.txt", "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) CHECK_OK(mlm_corpus_add(&c, line, strlen(line)));
    if (f) fclose(f);
    CHECK_OK(mlm_corpus_flush(&c));
    mlm_blocks b;
    CHECK_OK(mlm_blocks_pack(&c, NULL, 0, tk, 32, &b));
    mlm_masker mk;
    CHECK_OK(mlm_masker_init(&mk, tk, 0.15, 1, 32));
    int mask_id = id_of(tk, "[MASK]");
    rng r;
    rng_seed(&r, 3);
    long chosen = 0, tokens = 0, to_mask = 0, kept = 0, split_words = 0, over = 0, short_ok = 0, multi = 0, special_hit = 0;
    int32_t ids[32], labels[32];
    int word[32], wsize[32];
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < b.n; i++) {
            int n = b.length[i];
            memcpy(ids, b.input_ids + (size_t)i * 32, sizeof ids);
            int nw = words_of(tk, ids, n, word), maxw = 0, cands = 0;
            memset(wsize, 0, sizeof wsize);
            for (int t = 0; t < n; t++)
                if (word[t] >= 0) wsize[word[t]]++, cands++;
            for (int w = 0; w < nw; w++) maxw = wsize[w] > maxw ? wsize[w] : maxw;
            int32_t orig[32];
            memcpy(orig, ids, sizeof ids);
            int count = mlm_mask(&mk, ids, labels, n, &r);
            int quota = (int)nearbyint(n * 0.15) > 0 ? (int)nearbyint(n * 0.15) : 1;
            int in_word[32] = {0}, here = 0;
            for (int t = 0; t < n; t++) {
                if (labels[t] == MLM_IGNORE) continue;
                here++;
                if (word[t] < 0) { special_hit++; continue; }
                in_word[word[t]]++;
                if (ids[t] == mask_id) to_mask++;
                else if (ids[t] == orig[t]) kept++;
            }
            for (int w = 0; w < nw; w++) {
                if (in_word[w] && in_word[w] != wsize[w]) split_words++;
                if (in_word[w] && wsize[w] > 1) multi++;
            }
            CHECK_INT(count, here);
            if (here > quota) over++;
            if (here == quota || here == cands || quota - here < maxw) short_ok++;
            chosen += here;
            tokens += n;
        }
    }
    CHECK_INT(split_words, 0);
    CHECK_INT(special_hit, 0);
    CHECK_INT(over, 0);
    CHECK_INT(short_ok, 20L * b.n);
    CHECK(multi > 1000); /* multi-piece words are really masked together */
    /* round(n·p) per block of 31-32 tokens is 5: the rate is 5/32 to 5/31 apart from short ones */
    CHECK((double)chosen / tokens > 0.14 && (double)chosen / tokens < 0.162);
    check_binomial(to_mask, chosen, 0.8 + 0.1 / mk.vocab, "[MASK] replacements");
    check_binomial(kept, chosen, 0.1 + 0.1 / mk.vocab, "kept tokens");
    mlm_masker_free(&mk);
    mlm_blocks_free(&b);
    mlm_corpus_free(&c);
    tokenizer_free(tk);
}

/* Fixed masks for evaluation: the same seed gives the same masks, padding is never labelled. */
TEST(mlm_fixed_masks_are_reproducible) {
    tokenizer *tk = small_tokenizer();
    if (!tk) return;
    mlm_corpus c;
    mlm_corpus_init(&c, tk, 1);
    const char *t = "the red cat walked with a dog in the garden and then looking the fox .";
    for (int i = 0; i < 9; i++) CHECK_OK(mlm_corpus_add(&c, t, strlen(t)));
    CHECK_OK(mlm_corpus_flush(&c));
    mlm_blocks a, b;
    CHECK_OK(mlm_blocks_pack(&c, NULL, 0, tk, 40, &a));
    CHECK_OK(mlm_blocks_pack(&c, NULL, 0, tk, 40, &b));
    mlm_masker mk;
    CHECK_OK(mlm_masker_init(&mk, tk, 0.15, 0, 40));
    CHECK_OK(mlm_blocks_mask_fixed(&a, &mk, 9));
    CHECK_OK(mlm_blocks_mask_fixed(&b, &mk, 9));
    size_t cells = (size_t)a.n * a.len;
    CHECK(!memcmp(a.input_ids, b.input_ids, cells * sizeof *a.input_ids));
    CHECK(!memcmp(a.labels, b.labels, cells * sizeof *a.labels));
    long labelled = 0;
    for (int i = 0; i < a.n; i++)
        for (int k = 0; k < a.len; k++) {
            int32_t l = a.labels[(size_t)i * a.len + k];
            if (k >= a.length[i]) CHECK_INT(l, MLM_IGNORE);
            labelled += l != MLM_IGNORE;
        }
    CHECK(labelled > 0);
    mlm_masker_free(&mk);
    mlm_blocks_free(&a);
    mlm_blocks_free(&b);
    mlm_corpus_free(&c);
    tokenizer_free(tk);
}

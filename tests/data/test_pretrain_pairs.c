/* test_pretrain_pairs.c — pairs from unlabelled text (pretrain_pairs.h), checked against the
 * tasks' definitions, with every expected string written by hand:
 *  - ICT (Lee et al. 2019): the query is exactly one sentence of the passage; the positive is
 *    the other sentences in their order, or, at the keep probability, the whole passage (never
 *    with keep 0, always with keep 1, about half the time with 0.5); every sentence is drawn;
 *  - cropping (Contriever's randomcrop): both spans are runs of whole words of the passage of
 *    ⌊n × ratio⌋ words, ratio in [min, max], drawn independently;
 *  - the same seed gives the same pairs, another seed others;
 *  - pretrain_mine: one record per passage with two or more sentences, positive titled and
 *    named after its source, BM25 hard negatives never the source; its output read back by
 *    the DPR stream reader; split passages named doc-k; a malformed corpus line named. */
#include "../test.h"
#include "needle/dpr_data.h"
#include "needle/file.h"
#include "needle/pretrain_pairs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const S[3] = {"The heart pumps blood through the arteries.", "Lungs exchange gases with the air.",
                                 "Kidneys filter the blood and make urine."};
/* the positive without sentence i: the other two in order, the text between them as it was,
 * one space where the removed sentence was between them */
static const char *const WITHOUT[3] = {"Lungs exchange gases with the air.\nKidneys filter the blood and make urine.",
                                       "The heart pumps blood through the arteries. Kidneys filter the blood and make urine.",
                                       "The heart pumps blood through the arteries.  Lungs exchange gases with the air."};
static const char PASSAGE[] = "The heart pumps blood through the arteries.  Lungs exchange gases with the air.\n"
                              "Kidneys filter the blood and make urine.";
static const char WHOLE[] = "The heart pumps blood through the arteries.  Lungs exchange gases with the air.\n"
                            "Kidneys filter the blood and make urine.";

TEST(pretrain_ict_query_is_one_sentence_positive_the_rest) {
    rng r;
    rng_seed(&r, 7);
    int seen[3] = {0};
    for (int t = 0; t < 300; t++) {
        char *q, *p;
        CHECK_INT(pretrain_pair_ict(&r, PASSAGE, 0.0, &q, &p), 1);
        int which = -1;
        for (int i = 0; i < 3; i++)
            if (!strcmp(q, S[i])) which = i;
        CHECK(which >= 0);
        if (which >= 0) {
            seen[which]++;
            CHECK_STR(p, WITHOUT[which]);
            CHECK(!strstr(p, q)); /* keep 0: never in the positive */
        }
        free(q);
        free(p);
    }
    for (int i = 0; i < 3; i++) CHECK(seen[i] > 60); /* uniform: 100 expected each */
}

TEST(pretrain_ict_keep_probability) {
    rng r;
    rng_seed(&r, 11);
    int kept = 0, n = 2000;
    for (int t = 0; t < n; t++) {
        char *q, *p;
        CHECK_INT(pretrain_pair_ict(&r, PASSAGE, 1.0, &q, &p), 1);
        CHECK_STR(p, WHOLE);
        free(q);
        free(p);
        CHECK_INT(pretrain_pair_ict(&r, PASSAGE, 0.5, &q, &p), 1);
        kept += !strcmp(p, WHOLE);
        free(q);
        free(p);
    }
    /* binomial(2000, 0.5): sd 22.4; 5 sd either side */
    CHECK(kept > 1000 - 112 && kept < 1000 + 112);
    char *q = (char *)1, *p = (char *)1;
    CHECK_INT(pretrain_pair_ict(&r, "Only one sentence here.", 0.0, &q, &p), 0);
    CHECK(!q && !p);
    CHECK_INT(pretrain_pair_ict(&r, "", 0.0, &q, &p), 0);
}

/* The index of the word `span` starts at in words[0..n), or -1 when it is not a run of whole
 * words of the text; its length in words in *k. */
static int span_words(const char *span, const char *const *words, int n, int *k) {
    char buf[512];
    for (int f = 0; f < n; f++) {
        buf[0] = 0;
        for (int l = f; l < n; l++) {
            if (l > f) strcat(buf, " ");
            strcat(buf, words[l]);
            if (!strcmp(buf, span)) {
                *k = l - f + 1;
                return f;
            }
        }
    }
    return -1;
}

TEST(pretrain_crop_spans_within_ratio_bounds) {
    const char *words[20];
    char text[512] = "", w[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(w[i], sizeof w[i], "w%d", i);
        words[i] = w[i];
        if (i) strcat(text, i == 10 ? "\n  " : " ");
        strcat(text, w[i]);
    }
    rng r;
    rng_seed(&r, 3);
    int kmin = 99, kmax = 0, first0 = 0, last_end = 0, differ = 0;
    for (int t = 0; t < 1000; t++) {
        char *q, *p;
        CHECK_INT(pretrain_pair_crop(&r, text, 0.1, 0.5, &q, &p), 1);
        const char *spans[2] = {q, p};
        for (int s = 0; s < 2; s++) {
            /* the span as it is in the text, with the line break normalised for the lookup */
            char norm[512];
            int j = 0;
            for (const char *c = spans[s]; *c && j < 511; c++) {
                if (*c == '\n') { norm[j++] = ' '; while (c[1] == ' ') c++; }
                else norm[j++] = *c;
            }
            norm[j] = 0;
            CHECK(strstr(text, spans[s]) != NULL);
            int k = 0, f = span_words(norm, words, 20, &k);
            CHECK(f >= 0);
            /* floor(20 x 0.1) = 2 to floor(20 x 0.5) = 10 words (10 only at ratio exactly 0.5) */
            CHECK(k >= 2 && k <= 10);
            if (k < kmin) kmin = k;
            if (k > kmax) kmax = k;
            first0 += f == 0;
            last_end += f + k == 20;
        }
        differ += strcmp(q, p) != 0;
        free(q);
        free(p);
    }
    CHECK_INT(kmin, 2);
    CHECK_INT(kmax, 9);
    CHECK(first0 > 0 && last_end > 0); /* every start position where the span fits is reachable */
    CHECK(differ > 900);               /* drawn independently: rarely the same span */
    char *q, *p;
    CHECK_INT(pretrain_pair_crop(&r, " \n ", 0.1, 0.5, &q, &p), 0);
    CHECK_INT(pretrain_pair_crop(&r, "single", 0.1, 0.5, &q, &p), 1); /* at least one word */
    CHECK_STR(q, "single");
    CHECK_STR(p, "single");
    free(q);
    free(p);
}

/* The pairs of seeds a and b over both tasks: equal when a == b. */
static int same_pairs(uint64_t a, uint64_t b) {
    pretrain_opts o;
    pretrain_opts_default(&o);
    rng ra, rb;
    rng_seed(&ra, a);
    rng_seed(&rb, b);
    int same = 1;
    for (int t = 0; t < 20; t++) {
        o.task = t % 2 ? PRETRAIN_CROP : PRETRAIN_ICT;
        o.ict_keep = 0.5;
        char *q1, *p1, *q2, *p2;
        CHECK_INT(pretrain_pair_make(&ra, &o, PASSAGE, &q1, &p1), 1);
        CHECK_INT(pretrain_pair_make(&rb, &o, PASSAGE, &q2, &p2), 1);
        same &= !strcmp(q1, q2) && !strcmp(p1, p2);
        free(q1), free(p1), free(q2), free(p2);
    }
    return same;
}

TEST(pretrain_pairs_deterministic_per_seed) {
    CHECK(same_pairs(5, 5));
    CHECK(!same_pairs(5, 6));
    pretrain_task t;
    CHECK_OK(pretrain_task_parse("crop", &t));
    CHECK_INT(t, PRETRAIN_CROP);
    CHECK_ERR(pretrain_task_parse("mlm", &t), NEEDLE_EINVAL, "'mlm'");
}

/* ------------------------------------------------------------------ mining */

static const char CORPUS[] =
    "{\"_id\": \"heart\", \"title\": \"Heart\", \"text\": \"The heart pumps blood through the arteries. The heart has four "
    "chambers.\"}\n"
    "{\"_id\": \"lungs\", \"title\": \"Lungs\", \"text\": \"Lungs exchange gases with the air. Blood takes oxygen from the "
    "lungs.\"}\n"
    "{\"_id\": \"short\", \"title\": \"Short\", \"text\": \"The arteries carry blood from the heart.\"}\n"
    "{\"_id\": \"kidney\", \"title\": \"\", \"text\": \"Kidneys filter the blood. The heart sends blood to the kidneys.\"}\n";

typedef struct {
    strbuf sb;
    int n;
} collected;

static int collect(void *ctx, const dpr_record *r) {
    collected *c = ctx;
    jsonw w;
    jsonw_init(&w, &c->sb);
    dpr_record_write(&w, r);
    strbuf_putc(&c->sb, '\n');
    c->n++;
    /* the positive is named and titled after its source, which is never a negative */
    CHECK_INT(r->n_ctx[DPR_POS], 1);
    const char *src = r->ctx[DPR_POS][0].id;
    for (int i = 0; i < r->n_ctx[DPR_HARD]; i++) {
        CHECK(strcmp(r->ctx[DPR_HARD][i].id, src) != 0);
        CHECK(r->ctx[DPR_HARD][i].score > 0);
    }
    return 0;
}

static char *write_tmp(const char *name, const char *text) {
    char *path = path_join(test_tmpdir(), name);
    CHECK_OK(file_write_atomic(path, text, strlen(text)));
    return path;
}

TEST(pretrain_mine_ict_records) {
    char *corpus = write_tmp("pt-corpus.jsonl", CORPUS);
    pretrain_opts o;
    pretrain_opts_default(&o);
    o.ict_keep = 0;
    dpr_mine_opts mo;
    dpr_mine_opts_default(&mo);
    mo.num_hard_negatives = 3; /* every other passage, if BM25 finds it */
    collected c = {{0}, 0}, again = {{0}, 0}, other = {{0}, 0};
    pretrain_stats st;
    CHECK_OK(pretrain_mine(corpus, &o, &mo, collect, &c, &st));
    CHECK_INT(st.documents, 4);
    CHECK_INT(st.passages, 4);
    CHECK_INT(st.too_short, 1); /* "short" has one sentence */
    CHECK_INT(st.mine.records, 3);
    CHECK_INT(c.n, 3);
    /* every ICT query names the heart, lungs or kidneys, so BM25 finds its source: left out */
    CHECK_INT(st.mine.relevant_hits, 3);
    CHECK_OK(pretrain_mine(corpus, &o, &mo, collect, &again, &st));
    CHECK_STR(c.sb.data, again.sb.data);
    o.seed = 43;
    o.per_passage = 4;
    CHECK_OK(pretrain_mine(corpus, &o, &mo, collect, &other, &st));
    CHECK_INT(other.n, 12);
    CHECK(strncmp(c.sb.data, other.sb.data, c.sb.len) != 0);

    /* read back by the DPR reader: the first record in full */
    char *out = write_tmp("pt-out.jsonl", c.sb.data);
    dpr_read_opts ro;
    dpr_read_opts_all(&ro);
    dpr_stream *s;
    dpr_record *r;
    CHECK_OK(dpr_stream_open(&s, out, &ro, 1));
    int n = 0;
    while (dpr_stream_next(s, &r) == 1) {
        if (n == 0) {
            CHECK_STR(r->ctx[DPR_POS][0].id, "heart");
            CHECK_STR(r->ctx[DPR_POS][0].title, "Heart");
            const char *a = "The heart pumps blood through the arteries.", *b = "The heart has four chambers.";
            CHECK(!strcmp(r->question, a) || !strcmp(r->question, b));
            CHECK_STR(r->ctx[DPR_POS][0].text, !strcmp(r->question, a) ? b : a);
            CHECK(r->n_ctx[DPR_HARD] >= 1);
        }
        n++;
        free(r);
    }
    dpr_stream_close(s);
    CHECK_INT(n, 3);
    strbuf_free(&c.sb);
    strbuf_free(&again.sb);
    strbuf_free(&other.sb);
    free(out);
    free(corpus);
}

TEST(pretrain_mine_split_passages_and_errors) {
    char *corpus = write_tmp("pt-split.jsonl",
                             "{\"text\": \"One two three four. Five six seven eight. Nine ten eleven twelve.\"}\n");
    pretrain_opts o;
    pretrain_opts_default(&o);
    o.task = PRETRAIN_CROP;
    o.passage_words = 4; /* one sentence a passage */
    dpr_mine_opts mo;
    dpr_mine_opts_default(&mo);
    collected c = {{0}, 0};
    pretrain_stats st;
    CHECK_OK(pretrain_mine(corpus, &o, &mo, collect, &c, &st));
    CHECK_INT(st.documents, 1);
    CHECK_INT(st.passages, 3);
    CHECK_INT(c.n, 3);
    /* the document has no id: its position, then the passage's */
    CHECK(strstr(c.sb.data, "\"passage_id\":\"0-0\"") && strstr(c.sb.data, "\"passage_id\":\"0-2\""));
    strbuf_free(&c.sb);
    free(corpus);

    corpus = write_tmp("pt-bad.jsonl", "{\"_id\": \"a\", \"text\": \"x. y.\"}\n{\"_id\": \"b\", \"text\": \"z\"}\n{\"_id\": \"c\"\n");
    collected d = {{0}, 0};
    CHECK_ERR(pretrain_mine(corpus, &o, &mo, collect, &d, &st), NEEDLE_EFORMAT, "pt-bad.jsonl:3");
    strbuf_free(&d.sb);
    free(corpus);
    corpus = write_tmp("pt-dup.jsonl", "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}\n");
    CHECK_ERR(pretrain_mine(corpus, &o, &mo, collect, &d, &st), NEEDLE_EFORMAT, "pt-dup.jsonl:2");
    o.crop_min = 0.6;
    CHECK_ERR(pretrain_mine(corpus, &o, &mo, collect, &d, &st), NEEDLE_EINVAL, "crop_min");
    free(corpus);
}

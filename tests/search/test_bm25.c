/* test_bm25.c — the BM25 index: Lucene's length bytes and score formula worked out by hand,
 * field statistics, MaxScore search checked against exhaustive scoring on random corpora and
 * queries (bit-identical hits and tie order) and both against a naive scorer written here
 * from the BM25 definition, filters, and the file's failure modes: foreign, other-version,
 * truncated and corrupt files, and an interrupted write that must leave the old index. */
#include "../test.h"
#include "needle/bm25.h"
#include "needle/file.h"
#include "needle/rng.h"
#include "needle/strbuf.h"
#include "search/bm25_format.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

TEST(bm25_smallfloat_lengths) {
    for (uint32_t i = 0; i < 24; i++) {
        CHECK_INT(bm25_length_to_byte(i), i);
        CHECK_INT(bm25_byte_to_length((uint8_t)i), i);
    }
    /* 40 - 24 = 16 = 0b10000: 4 significant bits 1000, shift 1 -> byte 24 + (2 << 3 | 0) = 40 */
    CHECK_INT(bm25_length_to_byte(40), 40);
    CHECK_INT(bm25_length_to_byte(41), 40);
    CHECK_INT(bm25_byte_to_length(40), 40);
    /* 24 + 100 = 124: 100 = 0b1100100 -> 1100 << 3, shift 3: byte 24 + (4 << 3 | 4) = 60, back 24 + 96 */
    CHECK_INT(bm25_length_to_byte(124), 60);
    CHECK_INT(bm25_byte_to_length(60), 120);
    CHECK_INT(bm25_length_to_byte(2147483647u), 255);
    CHECK_INT(bm25_byte_to_length(255), 24 + 15ull * (1ull << 27));
    uint8_t prev = 0;
    for (uint32_t n = 0; n < 200000; n += 7) {
        uint8_t b = bm25_length_to_byte(n);
        CHECK(b >= prev && bm25_byte_to_length(b) <= n);
        prev = b;
    }
}

/* Java evaluates each float operation with its own rounding; volatile temporaries force the
 * same here, whatever the compiler would fuse. */
static float java_term_score(float w, float norm_inverse, uint32_t tf) {
    volatile float prod = (float)tf * norm_inverse;
    volatile float denom = 1.0f + prod;
    volatile float q = w / denom;
    return w - q;
}

static float java_norm_inverse(float k1, float b, uint32_t len, float avgdl) {
    volatile float one_minus_b = 1.0f - b;
    volatile float bl = b * (float)len;
    volatile float ratio = bl / avgdl;
    volatile float sum = one_minus_b + ratio;
    volatile float den = k1 * sum;
    return 1.0f / den;
}

TEST(bm25_float_arithmetic_rounds_like_java) {
    rng r;
    rng_seed(&r, 7);
    int differ = 0;
    for (int i = 0; i < 200000; i++) {
        float k1 = 0.1f + 3 * rng_float(&r), b = rng_float(&r), avgdl = 1 + 300 * rng_float(&r);
        uint32_t len = bm25_byte_to_length((uint8_t)rng_below(&r, 120));
        float n = bm25_norm_inverse(k1, b, len, avgdl);
        differ += n != java_norm_inverse(k1, b, len, avgdl);
        float w = 20 * rng_float(&r);
        uint32_t tf = 1 + (uint32_t)rng_below(&r, 50);
        differ += bm25_term_score(w, n, tf) != java_term_score(w, n, tf);
    }
    CHECK_INT(differ, 0);
    CHECK(bm25_idf(1, 10) == (float)log(1 + 9.5 / 1.5));
}

static double naive_idf(double df, double n) { return log(1 + (n - df + 0.5) / (df + 0.5)); }
static double naive_tf(double tf, double dl, double avgdl, double k1, double b) {
    return tf / (tf + k1 * (1 - b + b * dl / avgdl));
}

static char *build(const char *name, int nf, const char *const *fields, int n, const char *const *ids,
                   const char *const *texts) {
    bm25_builder *b;
    char *path = path_join(test_tmpdir(), name);
    CHECK_OK(bm25_builder_new(&b, nf, fields));
    for (int i = 0; i < n; i++) CHECK_OK(bm25_builder_add(b, ids[i], texts + (size_t)i * nf));
    CHECK_OK(bm25_builder_write(b, path));
    bm25_builder_free(b);
    return path;
}

TEST(bm25_scores_by_hand) {
    const char *fields[] = {"contents"}, *ids[] = {"d0", "d1", "d2"};
    const char *texts[] = {"Apple banana apple", "banana cherry", "cherry cherry cherry the date"};
    char *path = build("hand.idx", 1, fields, 3, ids, texts);
    bm25_index *ix;
    CHECK_OK(bm25_index_open(&ix, path));
    uint32_t dc;
    uint64_t tt;
    bm25_index_field_stats(ix, 0, &dc, &tt);
    CHECK_INT(dc, 3);
    CHECK_INT(tt, 9); /* "the" is a stop word */
    CHECK_INT(bm25_index_doc_freq(ix, "cherri", 0), 2);
    uint32_t d;
    CHECK(bm25_index_doc_find(ix, "d2", &d) && d == 2);
    CHECK(!bm25_index_doc_find(ix, "d3", &d));
    CHECK_STR(bm25_index_doc_id(ix, 1), "d1");
    bm25_searcher *s;
    CHECK_OK(bm25_searcher_new(&s, ix));
    bm25_hit hits[5];
    size_t n;
    CHECK_OK(bm25_search(s, "apple cherries apple", 5, NULL, hits, &n));
    CHECK_INT(n, 3);
    double avgdl = 3, k1 = 0.9, b = 0.4;
    double s0 = 2 * naive_idf(1, 3) * naive_tf(2, 3, avgdl, k1, b); /* "apple" twice in the query */
    double s2 = naive_idf(2, 3) * naive_tf(3, 4, avgdl, k1, b);
    double s1 = naive_idf(2, 3) * naive_tf(1, 2, avgdl, k1, b);
    CHECK_INT(hits[0].doc, 0);
    CHECK_NEAR(hits[0].score, s0, 1e-5);
    CHECK_INT(hits[1].doc, 2);
    CHECK_NEAR(hits[1].score, s2, 1e-5);
    CHECK_INT(hits[2].doc, 1);
    CHECK_NEAR(hits[2].score, s1, 1e-5);
    bm25_query_opts o;
    bm25_query_opts_default(&o);
    o.k1 = 1.2;
    o.b = 0.75;
    CHECK_OK(bm25_search(s, "banana", 5, &o, hits, &n));
    CHECK_INT(n, 2);
    CHECK_INT(hits[0].doc, 1); /* the shorter document wins with the same tf */
    CHECK_NEAR(hits[0].score, naive_idf(2, 3) * naive_tf(1, 2, 3, 1.2, 0.75), 1e-5);
    CHECK_OK(bm25_search(s, "nothing matches", 5, NULL, hits, &n));
    CHECK_INT(n, 0);
    o.b = 1.5;
    CHECK_ERR(bm25_search(s, "banana", 5, &o, hits, &n), NEEDLE_EINVAL, "b = 1.5");
    bm25_searcher_free(s);
    bm25_index_close(ix);
    free(path);
}

TEST(bm25_multifield_statistics) {
    const char *fields[] = {"title", "contents"}, *ids[] = {"a", "b", "c"};
    const char *texts[] = {"Gene therapy", "gene gene expression", "", "therapy trial", "The", "gene"};
    char *path = build("multi.idx", 2, fields, 3, ids, texts);
    bm25_index *ix;
    CHECK_OK(bm25_index_open(&ix, path));
    CHECK_INT(bm25_index_num_fields(ix), 2);
    CHECK_INT(bm25_index_field_find(ix, "contents"), 1);
    CHECK_INT(bm25_index_field_find(ix, "body"), -1);
    uint32_t dc;
    uint64_t tt;
    bm25_index_field_stats(ix, 0, &dc, &tt);
    CHECK_INT(dc, 1); /* b's title is empty and c's is only a stop word */
    CHECK_INT(tt, 2);
    bm25_index_field_stats(ix, 1, &dc, &tt);
    CHECK_INT(dc, 3);
    CHECK_INT(tt, 6);
    bm25_searcher *s;
    CHECK_OK(bm25_searcher_new(&s, ix));
    bm25_hit hits[3];
    size_t n;
    double w[2] = {1.0, 0.5};
    bm25_query_opts o;
    bm25_query_opts_default(&o);
    o.field_weights = w;
    CHECK_OK(bm25_search(s, "gene", 3, &o, hits, &n));
    CHECK_INT(n, 2);
    double title = naive_idf(1, 1) * naive_tf(1, 2, 2, 0.9, 0.4);
    double body_a = naive_idf(2, 3) * naive_tf(2, 3, 2, 0.9, 0.4), body_c = naive_idf(2, 3) * naive_tf(1, 1, 2, 0.9, 0.4);
    CHECK_INT(hits[0].doc, 0);
    CHECK_NEAR(hits[0].score, title + 0.5 * body_a, 1e-5);
    CHECK_INT(hits[1].doc, 2);
    CHECK_NEAR(hits[1].score, 0.5 * body_c, 1e-5);
    bm25_searcher_free(s);
    bm25_index_close(ix);
    free(path);
}

/* ---- differential tests on random corpora ---- */

#define VOCAB 400
static char vocab[VOCAB][3];

static void make_vocab(void) {
    static const char cons[] = "bcdfghjklmnpqrstvwxz";
    for (int i = 0; i < VOCAB; i++) {
        vocab[i][0] = cons[i / 20];
        vocab[i][1] = cons[i % 20];
        vocab[i][2] = 0;
    }
}

/* A Zipf-distributed word index in [0, VOCAB). */
static int zipf_word(rng *r, const double *cdf) {
    double u = rng_double(r) * cdf[VOCAB - 1];
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

typedef struct {
    int n_docs, nf;
    uint16_t **words; /* [doc * nf + field] word lists */
    int *len;
} corpus;

static int allow_even(void *ctx, uint32_t doc) { return doc % 2 == 0; }

/* Naive BM25 in double straight from the definition, over the generated word lists. */
static double naive_score(const corpus *c, int doc, const int *qw, const int *qc, int nq, const double *df,
                          const double *dcount, const double *avgdl, const double *fw, double k1, double b) {
    double total = 0;
    for (int f = 0; f < c->nf; f++) {
        int l = c->len[doc * c->nf + f];
        double dl = bm25_byte_to_length(bm25_length_to_byte((uint32_t)l));
        for (int q = 0; q < nq; q++) {
            int tf = 0;
            for (int i = 0; i < l; i++) tf += c->words[doc * c->nf + f][i] == qw[q];
            if (tf) total += fw[f] * qc[q] * naive_idf(df[f * VOCAB + qw[q]], dcount[f]) * naive_tf(tf, dl, avgdl[f], k1, b);
        }
    }
    return total;
}

TEST(bm25_maxscore_equals_exhaustive_on_random_corpora) {
    make_vocab();
    double cdf[VOCAB], acc = 0;
    for (int i = 0; i < VOCAB; i++) cdf[i] = acc += 1.0 / (i + 1);
    rng r;
    rng_seed(&r, 2024);
    int compared = 0, ties = 0;
    for (int round = 0; round < 12; round++) {
        corpus c;
        c.n_docs = 200 + (int)rng_below(&r, 2500);
        c.nf = 1 + (int)rng_below(&r, 2);
        c.words = calloc((size_t)c.n_docs * c.nf, sizeof *c.words);
        c.len = calloc((size_t)c.n_docs * c.nf, sizeof *c.len);
        const char *fields[2] = {"title", "contents"};
        bm25_builder *b;
        CHECK_OK(bm25_builder_new(&b, c.nf, fields));
        strbuf text[2];
        strbuf_init(&text[0]);
        strbuf_init(&text[1]);
        for (int d = 0; d < c.n_docs; d++) {
            int copy_of = d > 10 && rng_below(&r, 8) == 0 ? (int)rng_below(&r, (uint64_t)d) : -1; /* duplicates make ties */
            const char *ft[2];
            for (int f = 0; f < c.nf; f++) {
                int l = copy_of >= 0 ? c.len[copy_of * c.nf + f] : (int)rng_below(&r, f == 0 && c.nf == 2 ? 6 : 60);
                c.len[d * c.nf + f] = l;
                c.words[d * c.nf + f] = malloc((size_t)l * sizeof(uint16_t) + 1);
                strbuf_clear(&text[f]);
                strbuf_puts(&text[f], "");
                for (int i = 0; i < l; i++) {
                    int w = copy_of >= 0 ? c.words[copy_of * c.nf + f][i] : zipf_word(&r, cdf);
                    c.words[d * c.nf + f][i] = (uint16_t)w;
                    strbuf_printf(&text[f], "%s%s", i ? (i % 7 ? " " : ", ") : "", vocab[w]);
                }
                ft[f] = text[f].data;
            }
            char id[16];
            snprintf(id, sizeof id, "doc%d", d);
            CHECK_OK(bm25_builder_add(b, id, ft));
        }
        char *path = path_join(test_tmpdir(), "random.idx");
        CHECK_OK(bm25_builder_write(b, path));
        bm25_builder_free(b);
        strbuf_free(&text[0]);
        strbuf_free(&text[1]);
        bm25_index *ix;
        CHECK_OK(bm25_index_open(&ix, path));
        bm25_searcher *s;
        CHECK_OK(bm25_searcher_new(&s, ix));
        /* statistics for the naive scorer */
        double *df = calloc((size_t)c.nf * VOCAB, sizeof *df), dcount[2] = {0, 0}, avgdl[2] = {0, 0};
        int *seen = calloc(VOCAB, sizeof *seen);
        for (int f = 0; f < c.nf; f++) {
            double total = 0;
            for (int d = 0; d < c.n_docs; d++) {
                int l = c.len[d * c.nf + f];
                total += l;
                dcount[f] += l > 0;
                for (int i = 0; i < l; i++) {
                    int w = c.words[d * c.nf + f][i];
                    if (seen[w] != d + 1 + f * 1000000) df[f * VOCAB + w]++, seen[w] = d + 1 + f * 1000000;
                }
            }
            avgdl[f] = dcount[f] ? total / dcount[f] : 1;
        }
        uint64_t *bits = calloc((size_t)c.n_docs / 64 + 1, sizeof *bits);
        for (int d = 0; d < c.n_docs; d++)
            if (rng_below(&r, 2)) bits[d / 64] |= 1ull << (d % 64);
        size_t kmax = (size_t)c.n_docs + 5;
        bm25_hit *h1 = malloc(kmax * sizeof *h1), *h2 = malloc(kmax * sizeof *h2);
        for (int qn = 0; qn < 25; qn++) {
            int nq = 1 + (int)rng_below(&r, 8), qw[8], qc[8], uq = 0;
            strbuf q;
            strbuf_init(&q);
            strbuf_puts(&q, "");
            for (int i = 0; i < nq; i++) {
                int w = rng_below(&r, 3) ? zipf_word(&r, cdf) : (int)rng_below(&r, VOCAB);
                strbuf_printf(&q, "%s ", vocab[w]);
                int j = 0;
                while (j < uq && qw[j] != w) j++;
                if (j == uq) qw[uq] = w, qc[uq++] = 0;
                qc[j]++;
            }
            if (qn % 5 == 0) strbuf_puts(&q, "unknownword");
            static const size_t ks[] = {1, 3, 10, 50};
            size_t k = qn % 6 == 5 ? kmax : ks[qn % 4];
            bm25_query_opts o;
            bm25_query_opts_default(&o);
            double fw[2] = {1.0, 1.0};
            if (qn % 3 == 1) {
                o.k1 = 0.2 + 2 * rng_double(&r);
                o.b = rng_double(&r);
                fw[0] = 0.5 + rng_double(&r);
                o.field_weights = fw;
            }
            if (qn % 4 == 2) o.allow_bits = bits;
            if (qn % 7 == 3) o.allow = allow_even;
            size_t n1, n2;
            CHECK_OK(bm25_search(s, q.data, k, &o, h1, &n1));
            CHECK_OK(bm25_search_exhaustive(s, q.data, k, &o, h2, &n2));
            CHECK_INT(n1, n2);
            for (size_t i = 0; i < n1 && i < n2; i++) {
                if (h1[i].doc != h2[i].doc || h1[i].score != h2[i].score)
                    test_fail(__FILE__, __LINE__, "round %d query '%s' k %zu: hit %zu is (%u, %.9g), exhaustive (%u, %.9g)",
                              round, q.data, k, i, h1[i].doc, h1[i].score, h2[i].doc, h2[i].score);
                if (i && h2[i].score == h2[i - 1].score) {
                    ties++;
                    CHECK(h2[i].doc > h2[i - 1].doc);
                }
            }
            /* the exhaustive result against the naive scorer: every hit's score, and no
             * allowed document outside the hits scores clearly above the last one */
            double last = n2 ? h2[n2 - 1].score : 0;
            char *in = calloc((size_t)c.n_docs, 1);
            for (size_t i = 0; i < n2; i++) {
                in[h2[i].doc] = 1;
                double ns = naive_score(&c, (int)h2[i].doc, qw, qc, uq, df, dcount, avgdl, fw, o.k1, o.b);
                CHECK_NEAR(h2[i].score, ns, 1e-5 * (1 + ns));
            }
            for (int d = 0; d < c.n_docs; d++) {
                if (in[d] || (o.allow_bits && !(bits[d / 64] >> (d % 64) & 1)) || (o.allow && d % 2)) continue;
                double ns = naive_score(&c, d, qw, qc, uq, df, dcount, avgdl, fw, o.k1, o.b);
                if (ns > 0 && (n2 < k || ns > last + 1e-5 * (1 + last)))
                    test_fail(__FILE__, __LINE__, "round %d: doc %d (naive %.9g) missing from the top %zu", round, d, ns, k);
            }
            free(in);
            strbuf_free(&q);
            compared++;
        }
        free(h1);
        free(h2);
        free(bits);
        free(df);
        free(seen);
        bm25_searcher_free(s);
        bm25_index_close(ix);
        unlink(path);
        free(path);
        for (int i = 0; i < c.n_docs * c.nf; i++) free(c.words[i]);
        free(c.words);
        free(c.len);
    }
    CHECK_INT(compared, 12 * 25);
    CHECK(ties > 10); /* the corpora did exercise equal scores */
}

/* ---- the file ---- */

static char *small_index(const char *name, const char *extra_doc) {
    const char *fields[] = {"contents"}, *ids[] = {"x", "y", "z"};
    const char *texts[] = {"alpha beta", "beta gamma", extra_doc};
    return build(name, 1, fields, 3, ids, texts);
}

static void patch(const char *path, long off, const void *bytes, size_t n) {
    FILE *fp = fopen(path, "r+b");
    fseek(fp, off, SEEK_SET);
    fwrite(bytes, 1, n, fp);
    fclose(fp);
}

TEST(bm25_index_rejects_bad_files) {
    bm25_index *ix;
    char *path = path_join(test_tmpdir(), "notindex.idx");
    file_write_atomic(path, "hello, this is not an index at all........................................"
                            "...............................................................", 140);
    CHECK_ERR(bm25_index_open(&ix, path), NEEDLE_EFORMAT, "not a needle BM25 index");
    free(path);

    path = small_index("version.idx", "gamma delta");
    uint32_t v = 2;
    patch(path, 8, &v, 4);
    CHECK_ERR(bm25_index_open(&ix, path), NEEDLE_EFORMAT, "format version 2, this needle reads version 1");
    free(path);

    path = small_index("check.idx", "gamma delta");
    uint32_t nd = 7;
    patch(path, 16, &nd, 4);
    CHECK_ERR(bm25_index_open(&ix, path), NEEDLE_EFORMAT, "header is corrupt");
    free(path);

    path = small_index("block.idx", "gamma delta");
    CHECK_OK(bm25_index_open(&ix, path));
    uint64_t list_meta = ix->h->off_postings; /* the first list's first block meta */
    bm25_index_close(ix);
    uint32_t bad_doc = 99;
    patch(path, (long)list_meta, &bad_doc, 4);
    CHECK_ERR(bm25_index_open(&ix, path), NEEDLE_EFORMAT, "is corrupt; rebuild the index");
    free(path);

    path = small_index("trunc.idx", "gamma delta");
    char *data;
    size_t len;
    CHECK_OK(file_read_all(path, &data, &len));
    CHECK_OK(file_write_atomic(path, data, len - 9));
    free(data);
    CHECK_ERR(bm25_index_open(&ix, path), NEEDLE_EFORMAT, "truncated");
    free(path);
    CHECK_ERR(bm25_index_open(&ix, "/nonexistent/bm25.idx"), NEEDLE_ENOTFOUND, "/nonexistent/bm25.idx");
}

TEST(bm25_interrupted_write_keeps_previous_index) {
    char *path = small_index("keep.idx", "gamma delta");
    /* a second, much larger index, written while the file size limit makes the write fail
     * as a full disk would */
    const char *fields[] = {"contents"};
    bm25_builder *b;
    CHECK_OK(bm25_builder_new(&b, 1, fields));
    char id[32], text[256];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "doc-%d", i);
        snprintf(text, sizeof text, "word%d other%d common text number %d", i, i % 97, i * 7);
        const char *ft[1] = {text};
        CHECK_OK(bm25_builder_add(b, id, ft));
    }
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    int rc = bm25_builder_write(b, path);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK_INT(rc, NEEDLE_EIO);
    CHECK(strstr(error_message(), "previous index is kept") != NULL);
    bm25_builder_free(b);
    bm25_index *ix;
    CHECK_OK(bm25_index_open(&ix, path));
    CHECK_INT(bm25_index_num_docs(ix), 3);
    bm25_searcher *s;
    CHECK_OK(bm25_searcher_new(&s, ix));
    bm25_hit hits[3];
    size_t n;
    CHECK_OK(bm25_search(s, "delta", 3, NULL, hits, &n));
    CHECK_INT(n, 1);
    CHECK_STR(bm25_index_doc_id(ix, hits[0].doc), "z");
    bm25_searcher_free(s);
    bm25_index_close(ix);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c 'keep.idx.tmp' > /dev/null", test_tmpdir());
    CHECK(system(cmd) != 0); /* no temporary file left behind */
    free(path);
}

TEST(bm25_builder_rejects_bad_input) {
    bm25_builder *b;
    const char *two[] = {"a", "a"}, *one[] = {"contents"};
    CHECK_ERR(bm25_builder_new(&b, 2, two), NEEDLE_EINVAL, "named twice");
    CHECK_ERR(bm25_builder_new(&b, 0, one), NEEDLE_EINVAL, "0 fields");
    CHECK_OK(bm25_builder_new(&b, 1, one));
    const char *t[] = {"text"};
    CHECK_OK(bm25_builder_add(b, "d", t));
    CHECK_ERR(bm25_builder_add(b, "d", t), NEEDLE_EINVAL, "'d' added twice");
    CHECK_ERR(bm25_builder_add(b, "", t), NEEDLE_EINVAL, "empty id");
    bm25_builder_free(b);
    /* an empty index is valid and finds nothing */
    CHECK_OK(bm25_builder_new(&b, 1, one));
    char *path = path_join(test_tmpdir(), "empty.idx");
    CHECK_OK(bm25_builder_write(b, path));
    bm25_builder_free(b);
    bm25_index *ix;
    CHECK_OK(bm25_index_open(&ix, path));
    bm25_searcher *s;
    CHECK_OK(bm25_searcher_new(&s, ix));
    bm25_hit hits[2];
    size_t n = 9;
    CHECK_OK(bm25_search(s, "anything", 2, NULL, hits, &n));
    CHECK_INT(n, 0);
    CHECK_OK(bm25_search_exhaustive(s, "anything", 2, NULL, hits, &n));
    CHECK_INT(n, 0);
    bm25_searcher_free(s);
    bm25_index_close(ix);
    free(path);
}

/* test_retriever_train.c — the retriever task on the shared trainer, end to end:
 *  - a tiny BERT (model_create over bert-base-uncased's tokenizer) trained with in-batch and
 *    hard negatives on a synthetic corpus, where each question shares rare words with its
 *    passage, raises full-corpus recall@10 and nDCG@10 (evaluated by retrieval_eval over
 *    the whole corpus, BEIR files written here) far above the untrained model's;
 *  - training on a DPR JSON-lines stream through a shuffle buffer smaller than the file,
 *    interrupted by SIGTERM in the middle of an epoch and resumed, ends with bitwise the
 *    parameters of an uninterrupted run (the trainer's seek hook replays the stream);
 *  - the trained retriever saved in both layouts loads back with the same settings and the
 *    same embeddings.
 * One thread: the tiny model gains nothing from more on the shared build machine. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/retriever_task.h"

#include <omp.h>
#include <signal.h>
#include <stdlib.h>

#define TOK FIXTURES "/tokenizers/bert-base-uncased"
#define N_DOCS 160
#define N_STREAM 48 /* records of the stream test: 6 steps of 8 per epoch */

/* Whole-word vocabulary entries (lower-case letters, 5+ long) to build texts from. */
static int pick_words(const tokenizer *tk, const char **words, int want, uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    int n = 0, tries = 0;
    while (n < want && tries++ < 200000) {
        const char *w = tokenizer_id_to_token(tk, 2000 + (int)rng_below(&r, 27000));
        size_t len = w ? strlen(w) : 0;
        int ok = len >= 5;
        for (size_t i = 0; i < len && ok; i++) ok = w[i] >= 'a' && w[i] <= 'z';
        for (int k = 0; k < n && ok; k++) ok = strcmp(words[k], w) != 0;
        if (ok) words[n++] = w;
    }
    return n;
}

typedef struct {
    char passage[N_DOCS][256], question[N_DOCS][128], id[N_DOCS][16];
} corpus;

/* Passage d: 3 rare words of its own among 6 common ones; its question: 2 of the rare words
 * and 2 common ones. */
static void make_corpus(const tokenizer *tk, corpus *c) {
    const char *rare[3 * N_DOCS], *common[12];
    CHECK_INT(pick_words(tk, rare, 3 * N_DOCS, 1), 3 * N_DOCS);
    CHECK_INT(pick_words(tk, common, 12, 2), 12);
    rng r;
    rng_seed(&r, 3);
    for (int d = 0; d < N_DOCS; d++) {
        const char **w = rare + 3 * d;
        snprintf(c->id[d], sizeof c->id[d], "doc%d", d);
        snprintf(c->passage[d], sizeof c->passage[d], "%s %s %s %s %s %s %s %s %s", common[rng_below(&r, 12)], w[0],
                 common[rng_below(&r, 12)], common[rng_below(&r, 12)], w[1], common[rng_below(&r, 12)], w[2],
                 common[rng_below(&r, 12)], common[rng_below(&r, 12)]);
        snprintf(c->question[d], sizeof c->question[d], "%s %s %s %s", common[rng_below(&r, 12)], w[2],
                 common[rng_below(&r, 12)], w[0]);
    }
}

/* BEIR files of the corpus (dev set = the training questions) under the test directory. */
static void write_beir(const corpus *c, char *paths[3]) {
    const char *names[3] = {"rt_corpus.jsonl", "rt_queries.jsonl", "rt_qrels.tsv"};
    strbuf sb[3];
    for (int i = 0; i < 3; i++) strbuf_init(&sb[i]);
    strbuf_puts(&sb[2], "query-id\tcorpus-id\tscore\n");
    for (int d = 0; d < N_DOCS; d++) {
        strbuf_printf(&sb[0], "{\"_id\": \"%s\", \"title\": \"\", \"text\": \"%s\"}\n", c->id[d], c->passage[d]);
        strbuf_printf(&sb[1], "{\"_id\": \"q%d\", \"text\": \"%s\"}\n", d, c->question[d]);
        strbuf_printf(&sb[2], "q%d\t%s\t1\n", d, c->id[d]);
    }
    for (int i = 0; i < 3; i++) {
        paths[i] = path_join(test_tmpdir(), names[i]);
        CHECK_OK(file_write_atomic(paths[i], sb[i].data, sb[i].len));
        strbuf_free(&sb[i]);
    }
}

/* DPR records: the question, its passage, and the next passage as a hard negative. */
static void make_records(const corpus *c, dpr_record **recs) {
    for (int d = 0; d < N_DOCS; d++) {
        int e = (d + 1) % N_DOCS;
        dpr_passage pos = {"", c->passage[d], c->id[d], NAN}, neg = {"", c->passage[e], c->id[e], NAN};
        const dpr_passage *ctx[DPR_KINDS] = {&pos, &neg, NULL};
        int counts[DPR_KINDS] = {1, 1, 0};
        CHECK_OK(dpr_record_build(c->question[d], NULL, 0, ctx, counts, &recs[d]));
    }
}

static void make_biencoder(biencoder *b, bienc_layout layout, float dropout) {
    model_config cfg;
    model_config_default(&cfg, MODEL_BERT);
    cfg.C = cfg.E = 32, cfg.L = 1, cfg.NH = 2, cfg.F = 64, cfg.P = 64;
    cfg.hidden_dropout = cfg.attn_dropout = dropout;
    cfg.has_pooler = 0;
    model q, p;
    CHECK_OK(model_create(&q, &cfg, 7));
    if (layout == BIENC_DPR) {
        model_config_default(&cfg, MODEL_BERT);
        cfg.C = cfg.E = 32, cfg.L = 1, cfg.NH = 2, cfg.F = 64, cfg.P = 64, cfg.has_pooler = 0;
        cfg.hidden_dropout = cfg.attn_dropout = dropout;
        CHECK_OK(model_create(&p, &cfg, 8));
    }
    bienc_config bc = {layout, BIENC_POOL_MEAN, BIENC_SIM_COSINE, 20.0, 16, 24, BIENC_INPUT_CONCAT};
    CHECK_OK(biencoder_from_models(b, &q, layout == BIENC_DPR ? &p : NULL, TOK, &bc));
}

static double metric(retrieval_eval *ev, biencoder *b, const char *name) {
    cJSON *m = NULL;
    CHECK_OK(retrieval_eval_run(ev, b, &m, NULL));
    const cJSON *v = m ? cJSON_GetObjectItem(m, name) : NULL;
    double x = v ? v->valuedouble : -1;
    cJSON_Delete(m);
    return x;
}

TEST(retriever_training_improves_full_corpus_recall) {
    int level = log_level(), threads = omp_get_max_threads();
    log_set_level(LOG_WARN);
    omp_set_num_threads(1);
    biencoder b;
    make_biencoder(&b, BIENC_SHARED, 0.0f);
    corpus *c = calloc(1, sizeof *c);
    make_corpus(b.tok[0], c);
    char *paths[3];
    write_beir(c, paths);
    dpr_record *recs[N_DOCS];
    make_records(c, recs);
    retriever_task rt;
    retriever_task_opts o;
    retriever_task_opts_default(&o);
    o.max_batch = 8;
    o.chunk = 5;
    CHECK_OK(retriever_task_init_records(&rt, &b, recs, N_DOCS, &o));
    retrieval_eval_opts eo = {10, 16};
    CHECK_OK(retrieval_eval_open(&rt.eval, paths[0], paths[1], paths[2], &eo));
    double r0 = metric(rt.eval, &b, "recall_10"), n0 = metric(rt.eval, &b, "ndcg_cut_10");
    trainer_task t = retriever_task_bind(&rt);
    trainer_options to = trainer_defaults();
    to.batch_size = 8, to.epochs = 12, to.lr = 3e-3, to.warmup_proportion = 0.1, to.seed = 1;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/rt_train", test_tmpdir());
    to.save_dir = dir;
    trainer_result res;
    CHECK_OK(trainer_run(&t, &to, &res));
    double r1 = metric(rt.eval, &b, "recall_10"), n1 = metric(rt.eval, &b, "ndcg_cut_10");
    fprintf(stderr, "[recall@10 %.3f -> %.3f, nDCG@10 %.3f -> %.3f] ", r0, r1, n0, n1);
    CHECK(r1 >= 0.9);
    CHECK(r1 >= r0 + 0.3);
    CHECK(n1 >= n0 + 0.3);
    CHECK(res.has_best && res.best_metric >= 0.7);
    /* the saved sentence-transformers directory loads back as the same retriever */
    biencoder back;
    CHECK_OK(biencoder_open(&back, dir, NULL, 0));
    CHECK_INT(back.cfg.layout, BIENC_SHARED);
    CHECK_INT(back.cfg.pooling, BIENC_POOL_MEAN);
    CHECK_INT(back.cfg.similarity, BIENC_SIM_COSINE);
    CHECK_INT(back.cfg.max_passage_len, 24);
    CHECK_NEAR(metric(rt.eval, &back, "ndcg_cut_10"), n1, 1e-9);
    biencoder_free(&back);
    retrieval_eval_free(rt.eval);
    rt.eval = NULL;
    retriever_task_free(&rt);
    for (int d = 0; d < N_DOCS; d++) free(recs[d]);
    for (int i = 0; i < 3; i++) free(paths[i]);
    free(c);
    biencoder_free(&b);
    log_set_level(level);
    omp_set_num_threads(threads);
}

/* A task wrapper that raises SIGTERM during micro-step `kill_at`. */
typedef struct {
    trainer_task inner;
    int steps, kill_at;
} killer;

static int killer_micro(void *ctx, const int32_t *ex, int n, float scale, rng *r, double *loss, size_t *tokens) {
    killer *k = ctx;
    if (++k->steps == k->kill_at) raise(SIGTERM);
    return k->inner.micro_step(k->inner.ctx, ex, n, scale, r, loss, tokens);
}
static int killer_save(void *ctx, const char *dir) { return ((killer *)ctx)->inner.save(((killer *)ctx)->inner.ctx, dir); }
static int killer_seek(void *ctx, long long e, long long c) { return ((killer *)ctx)->inner.seek(((killer *)ctx)->inner.ctx, e, c); }

/* Train the DPR layout on `stream` for 2 epochs of 6 steps; kill at micro-step kill_at (0:
 * never) and resume. Returns the biencoder (caller frees). */
static void stream_run(const char *stream, const char *dir, int kill_at, biencoder *b) {
    make_biencoder(b, BIENC_DPR, 0.1f);
    retriever_task rt;
    retriever_task_opts o;
    retriever_task_opts_default(&o);
    o.max_batch = 8, o.chunk = 3, o.shuffle_buffer = 10, o.seed = 4;
    CHECK_OK(retriever_task_init_stream(&rt, b, stream, &o));
    CHECK_INT(rt.n_records, N_STREAM);
    killer k = {retriever_task_bind(&rt), 0, kill_at};
    trainer_task t = k.inner;
    t.ctx = &k, t.micro_step = killer_micro, t.save = killer_save, t.seek = killer_seek;
    trainer_options to = trainer_defaults();
    to.batch_size = 8, to.epochs = 2, to.lr = 1e-3, to.seed = 4, to.save_dir = dir, to.save_final = 0;
    trainer_result res;
    CHECK_OK(trainer_run(&t, &to, &res));
    if (kill_at) {
        CHECK_INT(res.interrupted, SIGTERM);
        CHECK_INT(res.steps, kill_at);
        retriever_task_free(&rt);
        biencoder_free(b);
        make_biencoder(b, BIENC_DPR, 0.1f);
        CHECK_OK(retriever_task_init_stream(&rt, b, stream, &o));
        k = (killer){retriever_task_bind(&rt), 0, 0};
        t.ctx = &k;
        to.resume = 1;
        CHECK_OK(trainer_run(&t, &to, &res));
        CHECK_INT(res.resumed_from, kill_at);
    }
    CHECK_INT(res.steps, 12);
    retriever_task_free(&rt);
}

TEST(retriever_stream_resume_is_bitwise) {
    int level = log_level(), threads = omp_get_max_threads();
    log_set_level(LOG_WARN);
    omp_set_num_threads(1);
    tokenizer *tk;
    CHECK_OK(tokenizer_load(TOK, &tk));
    corpus *c = calloc(1, sizeof *c);
    make_corpus(tk, c);
    tokenizer_free(tk);
    dpr_record *recs[N_DOCS];
    make_records(c, recs);
    strbuf sb;
    strbuf_init(&sb);
    for (int d = 0; d < N_DOCS; d++) {
        jsonw w;
        jsonw_init(&w, &sb);
        if (d < N_STREAM) dpr_record_write(&w, recs[d]), strbuf_putc(&sb, '\n');
        free(recs[d]);
    }
    char *stream = path_join(test_tmpdir(), "rt_stream.jsonl"), da[256], db[256];
    CHECK_OK(file_write_atomic(stream, sb.data, sb.len));
    strbuf_free(&sb);
    snprintf(da, sizeof da, "%s/rt_stream_a", test_tmpdir());
    snprintf(db, sizeof db, "%s/rt_stream_b", test_tmpdir());
    biencoder a, b;
    stream_run(stream, da, 0, &a);
    stream_run(stream, db, 9, &b); /* in the second epoch, 3 steps (24 records) into it */
    for (int s = 0; s < 2; s++)
        CHECK(!memcmp(a.enc[s].param_block, b.enc[s].param_block, a.enc[s].n_floats * sizeof(float)));
    /* the DPR layout saves and loads back */
    CHECK_OK(biencoder_save(&a, da));
    biencoder back;
    CHECK_OK(biencoder_open(&back, da, NULL, 0));
    CHECK_INT(back.cfg.layout, BIENC_DPR);
    CHECK_INT(back.cfg.pooling, BIENC_POOL_MEAN);
    for (int s = 0; s < 2; s++)
        CHECK(!memcmp(a.enc[s].param_block, back.enc[s].param_block, a.enc[s].n_floats * sizeof(float)));
    biencoder_free(&back);
    biencoder_free(&a);
    biencoder_free(&b);
    free(stream);
    free(c);
    log_set_level(level);
    omp_set_num_threads(threads);
}

/* test_reranker.c — cross-encoder rerankers: scoring, losses, data, training and the library.
 *
 *  - the golden cross-encoder (tests/fixtures/hf-models/bert-cross-encoder, transformers'
 *    BertForSequenceClassification, num_labels 1, loss sum(logits²)) through the scoring path
 *    the trainer and the reranker share (cross_encoder_forward / cross_encoder_backward): the
 *    scores against HF's logits and every gradient against HF's;
 *  - the losses the task hands to that backward (rerank_loss: BCE with logits, listwise softmax
 *    CE) against PyTorch on the fixture's logits and on random ones
 *    (tests/fixtures/distill/rank_losses.json), and against finite differences;
 *  - two-label models score by the log-odds logit[1] − logit[0], and the way back through it
 *    matches finite differences of the model;
 *  - the data: triples (TSV, JSON lines, errors with line numbers), BEIR qrels with negatives
 *    mined from a run, pointwise and listwise examples;
 *  - pairs tokenized as (query, passage) with longest-first truncation, padded per batch;
 *  - a tiny model trained on triples ranks the positives above the negatives it was trained
 *    on, and reranker_rank orders passages by the scores it returns. */
#include "../test.h"
#include "needle/cross_encoder.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/kernels.h"
#include "needle/log.h"
#include "needle/rerank_task.h"
#include "needle/reranker.h"
#include "needle/safetensors.h"

#include <omp.h>
#include <stdlib.h>

#define CE FIXTURES "/hf-models/bert-cross-encoder"
#define TINY FIXTURES "/reader/tiny-bert-qa"
#define MINI FIXTURES "/search/beir-mini"

static double max_abs(const float *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

static double rel_err_golden(const safetensors *g, const char *name, const float *got, size_t n, double floor) {
    float *ref;
    size_t rn;
    if (safetensors_load_f32(g, name, 0, NULL, &ref, &rn) || rn != n) {
        test_fail(__FILE__, __LINE__, "%s: %s", name, error_message());
        return INFINITY;
    }
    double e = 0;
    for (size_t i = 0; i < n; i++) e = fmax(e, fabs((double)got[i] - ref[i]));
    double s = fmax(max_abs(ref, n), floor);
    free(ref);
    return e / s;
}

TEST(reranker_golden_cross_encoder_scoring_path) {
    model m;
    safetensors g;
    CHECK_OK(model_load(&m, CE, MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(safetensors_open(&g, CE "/golden.safetensors"));
    if (!m.n_params || !g.n) return;
    CHECK_OK(cross_encoder_check(&m, CE));
    int32_t *ids, *mask, *tt;
    CHECK_OK(safetensors_load_i32(&g, "input_ids", 0, NULL, &ids, NULL));
    CHECK_OK(safetensors_load_i32(&g, "attention_mask", 0, NULL, &mask, NULL));
    CHECK_OK(safetensors_load_i32(&g, "token_type_ids", 0, NULL, &tt, NULL));
    model_batch b = {.B = 2, .T = 24, .input_ids = ids, .token_type_ids = tt, .attention_mask = mask};
    CHECK_OK(model_alloc(&m, 2, 24, MODEL_TRAIN));
    float scores[2], d[2];
    CHECK_OK(cross_encoder_forward(&m, &b, NULL, scores));
    double e = rel_err_golden(&g, "out.logits", scores, 2, 0);
    if (!(e <= 2e-5)) test_fail(__FILE__, __LINE__, "scores vs HF logits: %.3g", e);
    for (int i = 0; i < 2; i++) d[i] = 2 * scores[i]; /* the fixture's loss: sum(logits²) */
    CHECK_OK(cross_encoder_backward(&m, d));
    double G = 0, worst = 0;
    for (int i = 0; i < m.n_params; i++) G = fmax(G, max_abs(m.params[i].grad, m.params[i].numel));
    char key[200];
    for (int i = 0; i < m.n_params; i++) {
        const model_param *p = &m.params[i];
        snprintf(key, sizeof key, "grad.%s", p->name);
        int zero = strstr(p->name, "key.bias") != NULL; /* softmax ignores a shift: rounding noise only */
        double ge = rel_err_golden(&g, key, p->grad, p->numel, zero ? G : 0);
        if (!(ge <= 1e-4)) test_fail(__FILE__, __LINE__, "%s: relative error %.3g", key, ge);
        worst = fmax(worst, ge);
    }
    fprintf(stderr, "[scores %.2g, gradients %.2g] ", e, worst);
    free(ids), free(mask), free(tt);
    safetensors_close(&g);
    model_free(&m);
}

/* ---- losses -------------------------------------------------------------------------- */

static float *floats_of(const cJSON *o, const char *key, int *n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    *n = cJSON_GetArraySize(a);
    float *v = malloc((size_t)*n * sizeof *v + 1);
    for (int i = 0; i < *n; i++) v[i] = (float)cJSON_GetArrayItem(a, i)->valuedouble;
    return v;
}

TEST(reranker_losses_match_pytorch) {
    cJSON *root;
    CHECK_OK(json_load_file(FIXTURES "/distill/rank_losses.json", &root));
    if (!root) return;
    const cJSON *c;
    int cases = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
        int n, nl, nb, nw;
        float *x = floats_of(c, "logits", &n), *y = floats_of(c, "labels", &nl), *gb = floats_of(c, "bce_grad", &nb),
              *gw = floats_of(c, "listwise_grad", &nw), d[16];
        int group = cJSON_GetObjectItemCaseSensitive(c, "group")->valueint;
        int32_t zeros[16] = {0};
        double bce = rerank_loss(d, x, y, zeros, n, 1, RERANK_POINTWISE);
        CHECK_NEAR(bce, cJSON_GetObjectItemCaseSensitive(c, "bce")->valuedouble, 1e-6);
        for (int i = 0; i < n; i++) CHECK_NEAR(d[i], gb[i], 1e-6 * fmax(1, fabs(gb[i])));
        double lw = rerank_loss(d, x, y, zeros, n / group, group, RERANK_LISTWISE);
        CHECK_NEAR(lw, cJSON_GetObjectItemCaseSensitive(c, "listwise")->valuedouble, 1e-6);
        for (int i = 0; i < n; i++) CHECK_NEAR(d[i], gw[i], 1e-6 * fmax(1, fabs(gw[i])));
        free(x), free(y), free(gb), free(gw);
        cases++;
    }
    CHECK_INT(cases, 2);
    cJSON_Delete(root);
}

TEST(reranker_bce_finite_differences) {
    float x[5] = {-40.0f, -1.5f, 0.0f, 0.7f, 35.0f}, y[5] = {1, 0, 0.5f, 1, 0}, d[5];
    double loss = bce_loss(d, x, y, 5);
    double ref = 0;
    for (int i = 0; i < 5; i++) { /* -(y log σ(x) + (1 - y) log σ(-x)), log σ(z) = -log(1 + e^-z) */
        double z = x[i], ls_pos = z < 0 ? z - log1p(exp(z)) : -log1p(exp(-z)), ls_neg = ls_pos - z;
        ref -= y[i] * ls_pos + (1 - y[i]) * ls_neg;
    }
    CHECK_NEAR(loss, ref / 5, 1e-6 * fmax(1, ref / 5));
    for (int i = 1; i < 4; i++) { /* central differences where σ is not saturated */
        double h = 1e-4, xp = x[i] + h, xm = x[i] - h;
        double fp = fmax(xp, 0) - xp * y[i] + log1p(exp(-fabs(xp))), fm = fmax(xm, 0) - xm * y[i] + log1p(exp(-fabs(xm)));
        CHECK_NEAR(d[i], (fp - fm) / (2 * h) / 5, 1e-6);
    }
    CHECK_NEAR(d[0], -0.2, 1e-6); /* σ(-40) - 1, over 5 */
    CHECK_NEAR(d[4], 0.2, 1e-6);
}

/* Two labels: score = logit[1] - logit[0]; the gradient of Σ r·score along a random direction
 * of the parameters against its finite difference. */
TEST(reranker_two_label_scores) {
    model_config c;
    model_config_default(&c, MODEL_BERT);
    c.V = 50, c.C = c.E = 16, c.L = 1, c.NH = 2, c.F = 24, c.P = 16, c.head = MODEL_HEAD_CLS, c.num_labels = 2;
    c.has_pooler = 1, c.init_range = 0.2f;
    model m;
    CHECK_OK(model_create(&m, &c, 5));
    CHECK_OK(cross_encoder_check(&m, "test"));
    CHECK_OK(model_alloc(&m, 3, 6, MODEL_TRAIN));
    int32_t ids[18];
    for (int i = 0; i < 18; i++) ids[i] = 2 + (i * 7) % 45;
    model_batch b = {.B = 3, .T = 6, .input_ids = ids};
    float s[3], r[3] = {0.5f, -1.0f, 2.0f};
    CHECK_OK(cross_encoder_forward(&m, &b, NULL, s));
    const float *lg = model_logits(&m);
    for (int i = 0; i < 3; i++) CHECK_NEAR(s[i], lg[2 * i + 1] - lg[2 * i], 1e-6);
    CHECK_OK(cross_encoder_backward(&m, r));
    rng g;
    rng_seed(&g, 3);
    float *u = malloc(m.n_floats * sizeof *u), *theta = malloc(m.n_floats * sizeof *theta);
    double gu = 0, L[2];
    for (size_t i = 0; i < m.n_floats; i++) u[i] = (float)rng_normal(&g);
    for (int i = 0; i < m.n_params; i++) /* padding_idx rows are constants */
        if (m.params[i].kind == MODEL_PARAM_EMBEDDING)
            memset(u + (m.params[i].data - m.param_block), 0, sizeof(float) * m.params[i].shape[1]);
    for (size_t i = 0; i < m.n_floats; i++) gu += (double)u[i] * m.grad_block[i];
    memcpy(theta, m.param_block, m.n_floats * sizeof *theta);
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < m.n_floats; i++) m.param_block[i] = theta[i] + (k ? -1e-3f : 1e-3f) * u[i];
        CHECK_OK(cross_encoder_forward(&m, &b, NULL, s));
        L[k] = 0;
        for (int i = 0; i < 3; i++) L[k] += (double)r[i] * s[i];
    }
    double fdv = (L[0] - L[1]) / 2e-3;
    if (!(fabs(fdv - gu) <= 3e-3 * fmax(fabs(gu), 1e-3))) test_fail(__FILE__, __LINE__, "g·u %.6g, finite difference %.6g", gu, fdv);
    free(u), free(theta);
    model_free(&m);
    c.num_labels = 3;
    CHECK_OK(model_create(&m, &c, 5));
    CHECK_ERR(cross_encoder_check(&m, "three"), NEEDLE_EINVAL, "three: a cross-encoder needs a sequence-classification head with 1 or 2 labels");
    model_free(&m);
}

/* ---- data ---------------------------------------------------------------------------- */

static char *tmp_file(const char *name, const char *text) {
    char *p = path_join(test_tmpdir(), name);
    CHECK_OK(file_write_atomic(p, text, strlen(text)));
    return p;
}

TEST(reranker_triples_and_examples) {
    char *tsv = tmp_file("triples.tsv", "query\tpassage\tlabel\nq a\tp one\t1\nq a\tp two\t0\nq b\tp one\t0\n"
                                        "q a\tp three\t0\r\n\nq b\tp four\t1\nq b\tp two\t0.0\n");
    rerank_set s;
    rerank_set_init(&s);
    CHECK_OK(rerank_set_read_triples(tsv, &s));
    CHECK_INT(s.n_pairs, 6);
    CHECK_INT(s.qkeys.count, 2);
    CHECK_INT(s.pkeys.count, 4); /* "p one" and "p two" are shared */
    CHECK_STR(rerank_query_text(&s, s.pairs[5].query), "q b");
    CHECK_STR(rerank_passage_text(&s, s.pairs[3].passage), "p three");
    /* pointwise, every pair in input order grouped by query */
    rerank_examples ex;
    CHECK_OK(rerank_examples_build(&s, RERANK_POINTWISE, 0, 1, &ex));
    CHECK_INT(ex.n, 6);
    CHECK_INT(ex.group, 1);
    CHECK_STR(rerank_passage_text(&s, ex.passage[0]), "p one");
    CHECK_NEAR(ex.label[0], 1, 0);
    CHECK_STR(rerank_query_text(&s, ex.query[3]), "q b");
    rerank_examples_free(&ex);
    /* pointwise with one negative per positive: q a (p one) + 1 of 2, q b (p four) + 1 of 2 */
    CHECK_OK(rerank_examples_build(&s, RERANK_POINTWISE, 1, 1, &ex));
    CHECK_INT(ex.n, 4);
    CHECK_NEAR(ex.label[0], 1, 0);
    CHECK_NEAR(ex.label[1], 0, 0);
    CHECK(ex.query[1] == ex.query[0]);
    rerank_examples_free(&ex);
    /* listwise groups of 1 + 2; with 3 negatives wanted no query has enough */
    CHECK_OK(rerank_examples_build(&s, RERANK_LISTWISE, 2, 7, &ex));
    CHECK_INT(ex.n, 2);
    CHECK_INT(ex.group, 3);
    for (size_t i = 0; i < ex.n; i++) {
        CHECK_NEAR(ex.label[i * 3], 1, 0);
        CHECK(ex.passage[i * 3 + 1] != ex.passage[i * 3 + 2]); /* distinct negatives */
        CHECK_NEAR(ex.label[i * 3 + 1] + ex.label[i * 3 + 2], 0, 0);
    }
    rerank_examples_free(&ex);
    log_set_level(LOG_ERROR);
    CHECK_ERR(rerank_examples_build(&s, RERANK_LISTWISE, 3, 7, &ex), NEEDLE_EINVAL, "no positive has enough negatives");
    log_set_level(LOG_INFO);
    CHECK_ERR(rerank_examples_build(&s, RERANK_LISTWISE, 0, 7, &ex), NEEDLE_EINVAL, "at least one negative");
    rerank_set_free(&s);
    /* JSON lines, and the errors */
    char *jl = tmp_file("triples.jsonl", "{\"query\": \"q\", \"passage\": \"p\", \"label\": 1}\n\n{\"query\": \"q\", \"passage\": \"r\", \"label\": 0}\n");
    rerank_set_init(&s);
    CHECK_OK(rerank_set_read_triples(jl, &s));
    CHECK_INT(s.n_pairs, 2);
    rerank_set_free(&s);
    const struct {
        const char *text, *msg;
    } bad[] = {{"q\tp\t1\nq\tp\n", "triples.bad:2: expected query<TAB>passage<TAB>label"},
               {"q\tp\tyes\n", "triples.bad:1: label 'yes' is not a number"},
               {"q\tp\t2\n", "triples.bad:1: label 2 is outside [0, 1]"},
               {"q\t\t1\n", "triples.bad:1: empty passage"},
               {"{\"query\": \"q\", \"label\": 1}\n", "triples.bad:1"},
               {"q\tp\xff\t1\n", "triples.bad"},
               {"\n\n", "no (query, passage, label) triples"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *p = tmp_file("triples.bad", bad[i].text);
        rerank_set_init(&s);
        int rc = rerank_set_read_triples(p, &s);
        CHECK(rc != 0);
        if (rc && !strstr(error_message(), bad[i].msg)) test_fail(__FILE__, __LINE__, "case %zu: %s", i, error_message());
        rerank_set_free(&s);
        free(p);
    }
    free(tsv), free(jl);
}

TEST(reranker_beir_mined_negatives) {
    /* a run: q1's top results d2 (score tie with d6, docno descending puts d6 first), d1 (judged
     * relevant: not a negative), d3; q2 d3 (relevant), d4; q3 nothing */
    char *run = tmp_file("mini.trec", "q1 Q0 d2 1 5.0 x\nq1 Q0 d6 2 5.0 x\nq1 Q0 d1 3 4.0 x\nq1 Q0 d3 4 1.0 x\n"
                                      "q2 Q0 d3 1 9 x\nq2 Q0 d4 2 3 x\nq9 Q0 d4 1 3 x\n");
    trec_qrels qrels;
    trec_run r;
    CHECK_OK(trec_qrels_read(MINI "/qrels.tsv", &qrels));
    CHECK_OK(trec_run_read(run, &r));
    rerank_set s;
    rerank_set_init(&s);
    CHECK_OK(rerank_set_from_beir(MINI "/corpus.jsonl", MINI "/queries.jsonl", &qrels, &r, 2, &s));
    /* q1: d1 +, d6 -, d2 - (depth 2); q2: d3 +, d4 -; q3: d4 + */
    CHECK_INT(s.n_pairs, 6);
    const char *want[6][2] = {{"q1", "d1"}, {"q1", "d6"}, {"q1", "d2"}, {"q2", "d3"}, {"q2", "d4"}, {"q3", "d4"}};
    const float lab[6] = {1, 0, 0, 1, 0, 1};
    for (int i = 0; i < 6; i++) {
        CHECK_STR(strtab_str(&s.qkeys, s.pairs[i].query), want[i][0]);
        CHECK_STR(strtab_str(&s.pkeys, s.pairs[i].passage), want[i][1]);
        CHECK_NEAR(s.pairs[i].label, lab[i], 0);
    }
    CHECK_STR(rerank_query_text(&s, s.pairs[0].query), "How do plants use light in chloroplasts?");
    CHECK_STR(rerank_passage_text(&s, s.pairs[0].passage), "Photosynthesis Plants convert light into chemical energy in chloroplasts.");
    rerank_set_free(&s);
    /* the candidates of a run for reranking: each query's top k in ranked order */
    trec_run top;
    trec_run_init(&top);
    rerank_set_init(&s);
    CHECK_OK(rerank_set_from_run(MINI "/corpus.jsonl", MINI "/queries.jsonl", &qrels, &r, 3, &s, &top));
    CHECK_INT(s.n_pairs, 5); /* q1: d6 d2 d1, q2: d3 d4; q9 is not in the qrels */
    CHECK_STR(strtab_str(&s.pkeys, s.pairs[0].passage), "d6");
    CHECK_STR(strtab_str(&s.pkeys, s.pairs[2].passage), "d1");
    trec_summary sum;
    CHECK_OK(trec_evaluate(&qrels, &top, &sum));
    CHECK_INT(sum.num_ret, 5);
    rerank_set_free(&s);
    trec_run_free(&top);
    /* a document missing from the corpus is named */
    char *run2 = tmp_file("mini2.trec", "q1 Q0 d99 1 5.0 x\n");
    trec_run r2;
    CHECK_OK(trec_run_read(run2, &r2));
    rerank_set_init(&s);
    CHECK_ERR(rerank_set_from_beir(MINI "/corpus.jsonl", MINI "/queries.jsonl", &qrels, &r2, 2, &s), NEEDLE_ENOTFOUND,
              "corpus.jsonl: document 'd99' is missing");
    rerank_set_free(&s);
    trec_run_free(&r2), trec_run_free(&r);
    trec_qrels_free(&qrels);
    free(run), free(run2);
}

TEST(reranker_pair_batch_longest_first) {
    tokenizer *tk;
    model m;
    CHECK_OK(tokenizer_load(TINY, &tk));
    CHECK_OK(model_load(&m, TINY, MODEL_HEAD_CLS, 1, 1)); /* a QA checkpoint: new pooler and classifier */
    if (!tk || !m.n_params) return;
    pair_batch pb;
    CHECK_OK(pair_batch_init(&pb, 2, 10, &m));
    const char *q[2] = {"red fox", "a b c d e f g h"}, *p[2] = {"the dog", "one two three four five six"};
    model_batch b;
    CHECK_OK(pair_batch_encode(&pb, tk, 2, q, p, &b));
    /* pair 0: [CLS] red fox [SEP] the dog [SEP] (7 tokens); pair 1: 8 + 6 words cut to 10 in all,
     * the longer text first: query 4, passage 3 */
    CHECK_INT(b.B, 2);
    CHECK_INT(b.T, 10);
    int cls = tokenizer_specials(tk)->cls, sep = tokenizer_specials(tk)->sep;
    CHECK_INT(b.input_ids[0], cls);
    CHECK_INT(b.input_ids[1], tokenizer_token_to_id(tk, "red"));
    CHECK_INT(b.input_ids[3], sep);
    CHECK_INT(b.input_ids[4], tokenizer_token_to_id(tk, "the"));
    CHECK_INT(b.input_ids[6], sep);
    CHECK_INT(b.attention_mask[6], 1);
    CHECK_INT(b.attention_mask[7], 0);
    CHECK_INT(b.input_ids[7], 0);
    CHECK_INT(b.token_type_ids[3], 0);
    CHECK_INT(b.token_type_ids[4], 1);
    const int32_t *r1 = b.input_ids + 10;
    CHECK_INT(r1[4], tokenizer_token_to_id(tk, "d"));
    CHECK_INT(r1[5], sep);
    CHECK_INT(r1[6], tokenizer_token_to_id(tk, "one"));
    CHECK_INT(r1[8], tokenizer_token_to_id(tk, "three"));
    CHECK_INT(r1[9], sep);
    CHECK_ERR(pair_batch_encode(&pb, tk, 3, q, p, &b), NEEDLE_EINVAL, "pair batch of 3 pairs");
    pair_batch_free(&pb);
    model_free(&m);
    tokenizer_free(tk);
}

/* ---- training and the library ------------------------------------------------------- */

/* Fraction of (positive, negative) pairs of the same query ranked correctly by model m. */
static double pair_accuracy(model *m, const tokenizer *tk, pair_batch *pb, const rerank_set *s) {
    int right = 0, total = 0;
    float sc[64];
    const char *p[64];
    for (uint32_t q = 0; q < s->qkeys.count; q++) {
        int n = 0, idx[64];
        for (size_t i = 0; i < s->n_pairs; i++)
            if (s->pairs[i].query == q) idx[n] = (int)i, p[n++] = rerank_passage_text(s, s->pairs[i].passage);
        CHECK_OK(cross_encoder_score(m, tk, pb, rerank_query_text(s, q), p, n, sc));
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                if (s->pairs[idx[a]].label > 0 && s->pairs[idx[b]].label <= 0) right += sc[a] > sc[b], total++;
    }
    return total ? (double)right / total : 0;
}

TEST(reranker_training_learns_the_triples) {
    int threads = omp_get_max_threads(), level = log_level();
    omp_set_num_threads(1);
    log_set_level(LOG_WARN);
    const char *text =
        "which cells secrete insulin\tinsulin is secreted by beta cells of the pancreas\t1\n"
        "which cells secrete insulin\tthe mitochondrion produces energy for the cell\t0\n"
        "which cells secrete insulin\tvaccines train the immune system\t0\n"
        "how do plants use light\tplants capture light in chloroplasts to make sugar\t1\n"
        "how do plants use light\tinsulin lowers the level of glucose in blood\t0\n"
        "how do plants use light\tthe heart pumps blood through the body\t0\n"
        "what does the heart do\tthe heart pumps blood through the body\t1\n"
        "what does the heart do\tplants capture light in chloroplasts to make sugar\t0\n"
        "what does the heart do\tvaccines train the immune system\t0\n";
    char *path = tmp_file("learn.tsv", text);
    tokenizer *tk;
    model m;
    rerank_set s;
    rerank_examples ex;
    rerank_task rt;
    rerank_set_init(&s);
    CHECK_OK(tokenizer_load(TINY, &tk));
    CHECK_OK(model_load(&m, TINY, MODEL_HEAD_CLS, 1, 11));
    CHECK_OK(rerank_set_read_triples(path, &s));
    CHECK_OK(rerank_examples_build(&s, RERANK_LISTWISE, 2, 3, &ex));
    CHECK_INT(ex.n, 3);
    CHECK_OK(rerank_task_init(&rt, &m, tk, &s, &ex, 3, 32, NULL));
    trainer_task task = rerank_task_bind(&rt);
    CHECK_STR(task.name, "reranker-listwise");
    double before = pair_accuracy(&m, tk, &rt.pb, &s);
    trainer_options o = trainer_defaults();
    char *dir = path_join(test_tmpdir(), "rerank-learn");
    o.batch_size = 3, o.epochs = 80, o.lr = 3e-3, o.seed = 1, o.save_dir = dir;
    trainer_result res;
    CHECK_OK(trainer_run(&task, &o, &res));
    double after = pair_accuracy(&m, tk, &rt.pb, &s);
    fprintf(stderr, "[pair accuracy %.2f -> %.2f, loss %.3f] ", before, after, res.last_loss);
    CHECK(after == 1.0);
    CHECK(res.last_loss < 0.5 * log(3.0));
    rerank_task_free(&rt);
    rerank_examples_free(&ex);
    /* the saved model through the library: scores and order agree with the model's */
    reranker *r;
    reranker_opts ro = reranker_defaults();
    ro.batch_size = 2; /* several passes per query */
    CHECK_OK(reranker_load(&r, dir, TINY, &ro));
    const char *ps[5] = {"vaccines train the immune system", "the heart pumps blood through the body",
                         "plants capture light in chloroplasts to make sugar", "the mitochondrion produces energy for the cell",
                         "insulin is secreted by beta cells of the pancreas"};
    float sc[5], ref[5];
    int order[5];
    CHECK_OK(reranker_rank(r, "what does the heart do", ps, 5, sc, order));
    CHECK(sc[1] > sc[0] && sc[1] > sc[2]); /* the query's trained positive above its trained negatives */
    for (int i = 1; i < 5; i++) CHECK(sc[order[i - 1]] >= sc[order[i]]);
    pair_batch pb;
    CHECK_OK(pair_batch_init(&pb, 5, 32, &m));
    CHECK_OK(model_alloc(&m, 5, 32, MODEL_INFER));
    CHECK_OK(cross_encoder_score(&m, tk, &pb, "what does the heart do", ps, 5, ref));
    for (int i = 0; i < 5; i++) CHECK_NEAR(sc[i], ref[i], 1e-5 * fmax(1, fabs(ref[i])));
    CHECK_NEAR(cross_encoder_probability(0), 0.5, 0);
    CHECK_OK(reranker_rank(r, "q", ps, 0, NULL, NULL));
    CHECK_OK(reranker_rank(r, "q", ps, 2, NULL, order));
    reranker_free(r);
    pair_batch_free(&pb);
    rerank_set_free(&s);
    model_free(&m);
    tokenizer_free(tk);
    free(path), free(dir);
    omp_set_num_threads(threads);
    log_set_level(level);
}

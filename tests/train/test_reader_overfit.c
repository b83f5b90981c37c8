/* test_reader_overfit.c — the whole reader path learns: a small BERT made from scratch over the
 * bert-base-uncased tokenizer is trained on 10 SQuAD questions (featurised by needle, shuffled,
 * evaluated on the same questions every 40 steps through the trainer with the official EM/F1) and
 * must reach EM >= 90% on them, its best model saved; then prediction gives answers whose text,
 * cut from the context through the offsets, is the gold answer, with the context around it. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/reader.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"
#include "needle/squad_eval.h"

#include <omp.h>
#include <stdlib.h>

/* Questions 0..n-1 of a SQuAD file but skip_a and skip_b, as a dataset of their own. */
static void first_questions(const squad_dataset *all, size_t n, size_t skip_a, size_t skip_b, squad_dataset *out) {
    squad_dataset_init(out);
    size_t last_par = (size_t)-1;
    CHECK_OK(squad_add_article(out, "subset"));
    for (size_t q = 0; q < n; q++) {
        if (q == skip_a || q == skip_b) continue;
        const squad_question *qu = &all->questions[q];
        if (qu->paragraph != last_par) CHECK_OK(squad_add_paragraph(out, all->paragraphs[qu->paragraph].context));
        last_par = qu->paragraph;
        CHECK_OK(squad_add_question(out, qu->id, qu->question, 0));
        for (size_t a = 0; a < qu->n_answers; a++) {
            const squad_answer *an = &all->answers[qu->first_answer + a];
            CHECK_OK(squad_add_answer(out, an->text, an->start, 0));
        }
    }
    out->version = SQUAD_V1;
}

TEST(reader_overfits_a_handful_of_questions) {
    int level = log_level(), threads = omp_get_max_threads();
    log_set_level(LOG_WARN);
    omp_set_num_threads(1);
    tokenizer *tk;
    CHECK_OK(tokenizer_load(FIXTURES "/reader/tiny-bert-qa", &tk));
    squad_dataset all, ds;
    CHECK_OK(squad_load(FIXTURES "/reader/squad64.json", NULL, &all));
    /* left out: question 4, whose answer "gold" is half of the word piece "golden" (no span of
     * tokens is it), and question 1, which differs from question 0 only by "NFC" for "AFC" */
    first_questions(&all, 12, 1, 4, &ds);
    reader_data_opts dop = reader_data_defaults();
    dop.max_seq_len = 192, dop.stride = 64;
    qa_features f;
    reader_data_stats st;
    CHECK_OK(reader_featurize(&ds, tk, &dop, "10 questions", &f, &st));
    model_config c;
    model_config_default(&c, MODEL_BERT);
    c.V = tokenizer_vocab_size(tk), c.C = c.E = 32, c.L = 2, c.NH = 2, c.F = 64, c.P = 192;
    c.head = MODEL_HEAD_SPAN, c.hidden_dropout = c.attn_dropout = 0.0f;
    model m;
    CHECK_OK(model_create(&m, &c, 17));
    reader_windows v = reader_windows_of(&f, &m);
    reader_task rt;
    CHECK_OK(reader_task_init(&rt, &m, &v, 10, NULL));
    reader_eval ev = {reader_pred_windows_of(&f, &m), &ds, reader_predict_defaults()};
    rt.eval = &ev;
    trainer_task t = reader_task_bind(&rt);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/overfit", test_tmpdir());
    trainer_options o = trainer_defaults();
    o.batch_size = 10, o.max_steps = 120, o.lr = 3e-3, o.warmup_proportion = 0.05, o.weight_decay = 0.0;
    o.eval_every = 40, o.save_dir = dir, o.save_final = 0, o.seed = 1;
    trainer_result res;
    CHECK_OK(trainer_run(&t, &o, &res));
    CHECK_INT(res.evaluations, 3);
    fprintf(stderr, "[%zu windows, loss %.3f, best f1 %.1f at step %ld] ", st.windows, res.last_loss, res.best_metric,
            res.best_step);
    CHECK(res.has_best && res.best_metric >= 90.0);
    char *best = path_join(dir, "best/model.safetensors");
    CHECK(file_exists(best));
    free(best);
    /* prediction on the final model */
    ev.opt.decode.version_2 = 0;
    reader_predictions p;
    CHECK_OK(reader_predict(&m, &ev.w, &ds, &ev.opt, &p));
    cJSON *metrics;
    CHECK_OK(reader_eval_score(&ev, &p, &metrics));
    double em = cJSON_GetObjectItem(metrics, "exact_match")->valuedouble;
    fprintf(stderr, "[EM %.1f, top-n accuracy %.1f] ", em, cJSON_GetObjectItem(metrics, "top_n_accuracy")->valuedouble);
    CHECK(em >= 90.0);
    CHECK(cJSON_GetObjectItem(metrics, "top_n_accuracy")->valuedouble >= em);
    cJSON_Delete(metrics);
    strbuf text, det;
    strbuf_init(&text), strbuf_init(&det);
    int right = 0;
    for (size_t q = 0; q < ds.n_questions; q++) {
        strbuf_clear(&text);
        CHECK_OK(reader_answer_text(&ds, q, &p.q[q].answers[p.q[q].chosen], &text));
        const squad_answer *a = &ds.answers[ds.questions[q].first_answer];
        right += text.data && !strcmp(text.data, a->text);
        CHECK_INT(p.q[q].answers[0].kind, SPAN_TEXT);
    }
    CHECK(right >= 9); /* the text cut through the offsets is the gold answer itself */
    /* the details: the answer inside its context window, offsets consistent */
    CHECK_OK(reader_predictions_details(&p, &ds, 3, 40, &det));
    cJSON *d;
    CHECK_OK(json_parse(det.data, det.len, "details", &d));
    CHECK_INT(cJSON_GetArraySize(d), 10);
    const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0), "answers"), 0);
    const char *ans = cJSON_GetObjectItem(a0, "answer")->valuestring, *ctx = cJSON_GetObjectItem(a0, "context")->valuestring;
    const cJSON *oc = cJSON_GetObjectItem(a0, "offsets_in_context");
    CHECK(strstr(ctx, ans) != NULL);
    CHECK_INT(cJSON_GetArrayItem(oc, 1)->valueint - cJSON_GetArrayItem(oc, 0)->valueint, (int)strlen(ans));
    CHECK(strlen(ctx) <= 40 + 2);
    cJSON_Delete(d);
    strbuf_free(&text), strbuf_free(&det);
    reader_predictions_free(&p);
    reader_task_free(&rt);
    model_free(&m);
    qa_features_free(&f);
    squad_dataset_free(&ds), squad_dataset_free(&all);
    tokenizer_free(tk);
    omp_set_num_threads(threads);
    log_set_level(level);
}

/* pipeline_node_reader.c — FARMReader and TransformersReader: an extractive reader (a Hugging
 * Face question-answering model directory, e.g. one `needle reader train` wrote) reading the
 * documents a retriever found.
 *
 * Each document is one (question, passage) pair cut into windows exactly as `needle reader
 * predict` cuts them (reader_data.h: run_qa's windows, doc_stride, question length cap), all
 * windows of the query run in batches, and each document's windows are decoded by run_qa's
 * post-processing (span_decode.h). Across documents the answers are ranked as FARM ranks them:
 *   - each document contributes its top_k_per_candidate spans, scored by start + end logit;
 *   - all are sorted by score (stable: document order, then rank within the document);
 *   - no answer (return_no_answer, FARMReader; return_no_answers, TransformersReader): each
 *     document's gap = its best span score - (its null score + no_ans_boost); the no-answer
 *     score is best span score overall - the largest gap (Haystack's BaseReader._calc_no_answer),
 *     ranked among the spans (after spans of equal score);
 *   - the first top_k are kept.
 * Scores are reported as expit(score / 8), in (0, 1) and in the same order (FARM's calibrated
 * "confidence" is not reproduced: use_confidence_scores is ignored with a warning). Each
 * answer carries its offsets in the document and a context of context_window_size characters
 * around it (FARM's window, widened to hold the whole answer when the answer is longer), and
 * the document's id and meta.
 *
 * One model serves every query, shared by concurrent queries through infer_slots.h under the
 * node's cpu_policy (needle's own param: adaptive (default), serial or parallel): a query that
 * finds the reader idle runs on all cores, concurrent ones run on one core each, on replicas of
 * the activations sharing the parameters, so the reader never runs more compute threads than
 * cores. Featurising (tokenising) a query's documents happens inside its turn, as part of its
 * compute. Batch work's progress and info lines are silenced on the calling thread
 * (log_thread_level). */
#include "pipeline_internal.h"
#include "needle/error.h"
#include "needle/infer_slots.h"
#include "needle/log.h"
#include "needle/reader_data.h"
#include "needle/reader_predict.h"
#include "needle/tokenizer.h"
#include "needle/utf8.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    tokenizer *tk;
    model m;
    int model_ok;
    char *model_dir;
    reader_data_opts data;
    reader_predict_opts pred;
    long long top_k, top_k_per_candidate;
    double no_ans_boost;
    int return_no_answer;
    infer_slots *slots;
} reader_node;

int pipeline_reader_rank(const span_result *docs, size_t n_docs, int top_k_per_candidate, double no_ans_boost,
                         int return_no_answer, size_t top_k, reader_pick **out, size_t *n_out) {
    *out = NULL;
    *n_out = 0;
    size_t cap = 1;
    for (size_t d = 0; d < n_docs; d++) cap += (size_t)docs[d].n;
    reader_pick *p = malloc(cap * sizeof *p);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory ranking answers");
    size_t n = 0;
    int have_gap = 0;
    double best = -INFINITY, max_gap = -INFINITY;
    for (size_t d = 0; d < n_docs; d++) {
        int taken = 0;
        double doc_best = -INFINITY;
        for (int i = 0; i < docs[d].n && taken < top_k_per_candidate; i++) {
            const span_answer *a = &docs[d].answers[i];
            if (a->kind != SPAN_TEXT) continue;
            if (!taken) doc_best = a->score;
            p[n++] = (reader_pick){d, i, a->score, 0};
            taken++;
        }
        if (!taken) continue;
        if (doc_best > best) best = doc_best;
        double gap = doc_best - (docs[d].null_score + no_ans_boost);
        if (!have_gap || gap > max_gap) max_gap = gap;
        have_gap = 1;
    }
    /* stable insertion sort by score, descending (a handful of documents x top_k_per_candidate) */
    for (size_t i = 1; i < n; i++) {
        reader_pick x = p[i];
        size_t j = i;
        while (j > 0 && p[j - 1].score < x.score) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = x;
    }
    if (return_no_answer && have_gap) {
        double na = best - max_gap;
        size_t j = n;
        while (j > 0 && p[j - 1].score < na) j--;
        memmove(p + j + 1, p + j, (n - j) * sizeof *p);
        p[j] = (reader_pick){0, -1, na, 1};
        n++;
    }
    *n_out = top_k && n > top_k ? top_k : n;
    *out = p;
    return 0;
}

static void reader_destroy(void *state) {
    reader_node *r = state;
    if (!r) return;
    infer_slots_free(r->slots);
    if (r->model_ok) model_free(&r->m);
    tokenizer_free(r->tk);
    free(r->model_dir);
    free(r);
}

/* Both reader types: FARMReader's and TransformersReader's parameter names and defaults. */
static int reader_create(pbuild *b, void **state, int transformers) {
    static const char *const farm_known[] = {"model_name_or_path", "tokenizer", "top_k", "top_k_per_candidate",
                                             "no_ans_boost", "return_no_answer", "max_seq_len", "doc_stride",
                                             "max_query_length", "max_answer_length", "context_window_size",
                                             "batch_size", "cpu_policy", NULL};
    static const char *const farm_ignored[] = {"use_gpu", "devices", "num_processes", "progress_bar", "use_confidence_scores",
                                               "confidence_threshold", "proxies", "local_files_only", "force_download",
                                               "use_auth_token", "duplicate_filtering", "model_version",
                                               "top_k_per_sample", "use_model_conversion", "max_seq_len_eval", NULL};
    static const char *const tr_known[] = {"model_name_or_path", "tokenizer", "top_k", "top_k_per_candidate",
                                           "return_no_answers", "max_seq_len", "doc_stride", "max_answer_length",
                                           "context_window_size", "batch_size", "cpu_policy", NULL};
    static const char *const tr_ignored[] = {"use_gpu", "devices", "use_auth_token", "model_version", NULL};
    reader_node *r = calloc(1, sizeof *r);
    if (!r) return error_set(NEEDLE_ENOMEM, "out of memory");
    r->data = reader_data_defaults();
    r->pred = reader_predict_defaults();
    long long seq_len, stride, query_len, answer_len, window, batch;
    char *tok_dir = NULL;
    const char *policy_name = NULL;
    infer_policy policy = INFER_ADAPTIVE;
    int rc = pbuild_check_params(b, transformers ? tr_known : farm_known, transformers ? tr_ignored : farm_ignored);
    if (!rc) rc = pbuild_path(b, "model_name_or_path", 1, &r->model_dir);
    if (!rc) rc = pbuild_path(b, "tokenizer", 0, &tok_dir);
    if (!rc) rc = pbuild_int(b, "top_k", 10, 1, 1000, &r->top_k);
    if (!rc) rc = pbuild_int(b, "top_k_per_candidate", 3, 1, 100, &r->top_k_per_candidate);
    if (!rc && !transformers) rc = pbuild_double(b, "no_ans_boost", 0.0, &r->no_ans_boost);
    if (!rc) rc = pbuild_bool(b, transformers ? "return_no_answers" : "return_no_answer", 0, &r->return_no_answer);
    if (!rc) rc = pbuild_int(b, "max_seq_len", 256, 16, 4096, &seq_len);
    if (!rc) rc = pbuild_int(b, "doc_stride", 128, 0, 4096, &stride);
    if (!rc) rc = pbuild_int(b, "max_query_length", 64, 0, 4096, &query_len);
    if (!rc) rc = pbuild_int(b, "max_answer_length", 30, 1, 4096, &answer_len);
    if (!rc) rc = pbuild_int(b, "context_window_size", transformers ? 70 : 150, 0, 100000, &window);
    if (!rc) rc = pbuild_int(b, "batch_size", 50, 1, 4096, &batch);
    if (!rc) rc = pbuild_string(b, "cpu_policy", 0, &policy_name);
    if (!rc && policy_name && infer_policy_parse(policy_name, &policy))
        rc = pbuild_error(b, "cpu_policy", NEEDLE_EINVAL, "'%s' is not adaptive, serial or parallel", policy_name);
    if (!rc && pbuild_param(b, "use_confidence_scores"))
        log_warn("%s: answer scores are expit((start + end logit) / 8), not FARM's confidence", b->origin);
    if (rc) {
        free(tok_dir);
        reader_destroy(r);
        return rc;
    }
    r->data.max_seq_len = (int)seq_len;
    r->data.stride = (int)stride;
    r->data.max_query_len = (int)query_len;
    r->data.threads = 1;
    r->pred.batch_size = (int)batch;
    r->pred.decode.max_answer_len = (int)answer_len;
    r->pred.decode.n_best = r->top_k_per_candidate > 20 ? (int)r->top_k_per_candidate : 20;
    r->pred.decode.version_2 = 1; /* the null scores feed the no-answer decision */
    r->pred.context_chars = (int)window;
    rc = tokenizer_load(tok_dir ? tok_dir : r->model_dir, &r->tk);
    if (!rc && !(rc = model_load(&r->m, r->model_dir, MODEL_HEAD_AUTO, 0, 0))) r->model_ok = 1;
    if (!rc && r->m.cfg.head != MODEL_HEAD_SPAN)
        rc = error_set(NEEDLE_EINVAL, "%s: not a question-answering model (architecture %s)", r->model_dir,
                       model_config_architecture(&r->m.cfg));
    if (!rc && seq_len > r->m.cfg.P)
        rc = pbuild_error(b, "max_seq_len", NEEDLE_EINVAL, "%lld exceeds the model's %d positions", seq_len, r->m.cfg.P);
    /* Questions are cut to max_query_length tokens, so this is the fewest text tokens a window
     * may hold; a stride as large fails (as in Hugging Face) on a long question over a document
     * that needs several windows. Short questions may still fit, so this only warns. */
    long long text = seq_len - query_len - (r->tk ? tokenizer_num_special_tokens(r->tk, 1) : 0);
    if (!rc && query_len > 0 && stride >= text)
        log_warn("%s: params.doc_stride %lld is not less than the %lld text tokens a window keeps beside a question "
                 "of max_query_length %lld tokens: such questions will fail on documents longer than a window",
                 b->origin, stride, text, query_len);
    if (!rc) rc = model_alloc(&r->m, (int)batch, (int)seq_len, MODEL_INFER);
    if (!rc) rc = infer_slots_create(&r->slots, &r->m, (int)batch, (int)seq_len, policy, omp_get_max_threads());
    free(tok_dir);
    if (rc) {
        reader_destroy(r);
        return rc == NEEDLE_EINVAL && strstr(error_message(), "params.") ? rc : error_prefix(rc, "%s: ", b->origin);
    }
    *state = r;
    return 0;
}

static int farm_create(pbuild *b, void **state) { return reader_create(b, state, 0); }
static int transformers_create(pbuild *b, void **state) { return reader_create(b, state, 1); }

/* The answer of pick p over the input documents, with its context window. */
static int answer_make(const reader_node *r, const squad_dataset *ds, const reader_predictions *preds,
                       const pipeline_output *in, const reader_pick *p, pipeline_answer *a) {
    memset(a, 0, sizeof *a);
    a->type = "extractive";
    a->score = 1.0 / (1.0 + exp(-p->score / 8.0));
    a->context_start = a->context_end = a->document_start = a->document_end = -1;
    if (p->no_answer) {
        a->answer = strdup("");
        return a->answer ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    }
    const pipeline_doc *d = &in->docs[p->doc];
    const span_answer *sa = &preds->q[p->doc].answers[p->rank];
    const squad_paragraph *para = &ds->paragraphs[p->doc];
    size_t n = para->context_bytes, c0, c1;
    reader_context_window(para->context_chars, sa->start, sa->end, r->pred.context_chars, &c0, &c1);
    if (c0 > (size_t)sa->start) c0 = (size_t)sa->start; /* an answer longer than the window: show all of it */
    if (c1 < (size_t)sa->end) c1 = (size_t)sa->end;
    size_t b0 = utf8_byte_offset(d->content, n, (size_t)sa->start), b1 = utf8_byte_offset(d->content, n, (size_t)sa->end);
    size_t w0 = utf8_byte_offset(d->content, n, c0), w1 = utf8_byte_offset(d->content, n, c1);
    a->answer = strndup(d->content + b0, b1 - b0);
    a->context = strndup(d->content + w0, w1 - w0);
    a->document_id = strdup(d->id);
    a->meta_json = strdup(d->meta_json ? d->meta_json : "{}");
    a->document_start = sa->start;
    a->document_end = sa->end;
    a->context_start = sa->start - (long long)c0;
    a->context_end = sa->end - (long long)c0;
    if (a->answer && a->context && a->document_id && a->meta_json) return 0;
    pipeline_answer_free(a);
    return error_set(NEEDLE_ENOMEM, "out of memory making answers");
}

static int reader_run(void *state, const prun *pr, pipeline_output *out) {
    reader_node *r = state;
    const pipeline_output *in = pr->inputs[0];
    long long top_k;
    int rc = prun_top_k(pr, "top_k", r->top_k, &top_k);
    size_t dcap = 0, acap = 0;
    for (size_t i = 0; i < in->n_docs && !rc; i++) {
        pipeline_doc d;
        rc = pipeline_doc_copy(&d, &in->docs[i]);
        if (!rc) rc = pipeline_output_add_doc(out, &d, &dcap);
    }
    if (rc || !in->n_docs) return rc;
    squad_dataset ds;
    squad_dataset_init(&ds);
    qa_features f;
    qa_features_init(&f, r->data.max_seq_len);
    reader_predictions preds = {0};
    reader_pick *picks = NULL;
    size_t n_picks = 0;
    rc = squad_add_article(&ds, NULL);
    for (size_t i = 0; i < in->n_docs && !rc; i++) {
        char id[32];
        snprintf(id, sizeof id, "%zu", i);
        if (!(rc = squad_add_paragraph(&ds, in->docs[i].content))) rc = squad_add_question(&ds, id, pr->query, 0);
    }
    ds.version = SQUAD_V2;
    int prev = log_thread_level(LOG_WARN), threads;
    model *m = NULL;
    if (!rc) rc = infer_slots_acquire(r->slots, &m, &threads);
    reader_data_stats st;
    if (!rc) rc = reader_featurize(&ds, r->tk, &r->data, "reader", &f, &st);
    if (!rc) {
        reader_pred_windows pw = reader_pred_windows_of(&f, m);
        rc = reader_predict(m, &pw, &ds, &r->pred, &preds);
    }
    if (m) infer_slots_release(r->slots, m);
    log_thread_level(prev);
    if (!rc)
        rc = pipeline_reader_rank(preds.q, preds.n, (int)r->top_k_per_candidate, r->no_ans_boost, r->return_no_answer,
                                  (size_t)top_k, &picks, &n_picks);
    for (size_t i = 0; i < n_picks && !rc; i++) {
        pipeline_answer a;
        rc = answer_make(r, &ds, &preds, in, &picks[i], &a);
        if (!rc) rc = pipeline_output_add_answer(out, &a, &acap);
    }
    free(picks);
    reader_predictions_free(&preds);
    qa_features_free(&f);
    squad_dataset_free(&ds);
    return rc ? error_prefix(rc, "%s: ", pr->origin + strlen("params.")) : 0;
}

static const char *const reader_run_params[] = {"top_k", NULL};
const pipeline_type pipeline_type_farm_reader = {"FARMReader", PROLE_ANSWERS, reader_run_params, farm_create, reader_run,
                                                 reader_destroy};
const pipeline_type pipeline_type_transformers_reader = {"TransformersReader", PROLE_ANSWERS, reader_run_params,
                                                         transformers_create, reader_run, reader_destroy};

/* reader_data.c — SQuAD questions to reader windows (see reader_data.h). Questions go to the
 * featuriser in chunks, so progress can be shown and the tokenizer's per-example buffers stay
 * bounded on large sets (COVID-QA's whole-paper contexts give ~25 windows per question). */
#include "needle/reader_data.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/progress.h"
#include "needle/utf8.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 512

reader_data_opts reader_data_defaults(void) { return (reader_data_opts){384, 128, 64, 0}; }

static void example_of(const squad_dataset *ds, size_t q, qa_example *e) {
    const squad_question *qu = &ds->questions[q];
    const squad_paragraph *p = &ds->paragraphs[qu->paragraph];
    e->question = qu->question;
    e->question_len = strlen(qu->question);
    e->context = p->context;
    e->context_len = p->context_bytes;
    e->answer_start = e->answer_end = -1;
    if (qu->is_impossible) return;
    for (size_t a = 0; a < qu->n_answers; a++) {
        const squad_answer *an = &ds->answers[qu->first_answer + a];
        if (!an->located) continue;
        e->answer_start = (int)an->start;
        e->answer_end = (int)an->start + (int)utf8_char_count(an->text, strlen(an->text));
        return;
    }
}

int reader_featurize(const squad_dataset *ds, const tokenizer *tk, const reader_data_opts *o, const char *origin,
                     qa_features *f, reader_data_stats *st) {
    memset(st, 0, sizeof *st);
    qa_features_init(f, o->max_seq_len);
    if (ds->n_questions > INT32_MAX) return error_set(NEEDLE_EINVAL, "%s: too many questions", origin);
    qa_feature_options fo = {o->max_seq_len, o->stride, 0, o->max_query_len};
    qa_example *ex = malloc(CHUNK * sizeof *ex);
    if (!ex) return error_set(NEEDLE_ENOMEM, "out of memory");
    progress bar;
    progress_start(&bar, "windows", ds->n_questions);
    int rc = 0;
    for (size_t first = 0; first < ds->n_questions && !rc; first += CHUNK) {
        int n = ds->n_questions - first < CHUNK ? (int)(ds->n_questions - first) : CHUNK;
        for (int i = 0; i < n; i++) {
            example_of(ds, first + i, &ex[i]);
            st->with_answer += ex[i].answer_start >= 0;
        }
        rc = qa_features_add(f, tk, &fo, ex, n, (int)first, o->threads);
        progress_update(&bar, first + n, NULL);
    }
    progress_finish(&bar, NULL);
    free(ex);
    if (rc) {
        qa_features_free(f);
        return error_prefix(rc, "%s: ", origin);
    }
    st->questions = ds->n_questions;
    st->windows = (size_t)f->n;
    for (int i = 0; i < f->n; i++) st->windows_cls += f->start_position[i] == 0;
    st->windows_answer = st->windows - st->windows_cls;
    log_info("%s: %zu questions (%zu with an answer) -> %zu windows of %d tokens (stride %d): %zu with the answer, "
             "%zu labelled [CLS]", origin, st->questions, st->with_answer, st->windows, o->max_seq_len, o->stride,
             st->windows_answer, st->windows_cls);
    return 0;
}

reader_windows reader_windows_of(const qa_features *f, const model *m) {
    int types = m->cfg.family != MODEL_ROBERTA && m->cfg.family != MODEL_DISTILBERT;
    return (reader_windows){f->n, f->len, f->input_ids, types ? f->token_type_ids : NULL, f->attention_mask,
                            f->start_position, f->end_position};
}

reader_pred_windows reader_pred_windows_of(const qa_features *f, const model *m) {
    return (reader_pred_windows){reader_windows_of(f, m), f->offsets, f->example};
}

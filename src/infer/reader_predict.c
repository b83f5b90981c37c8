/* reader_predict.c — the logits of every window (batched evaluation-mode forward passes) and
 * each question's windows decoded into ranked answers (see reader_predict.h).
 *
 * Windows are run at their full length L, padding included, because Hugging Face's decoding
 * picks its n-best start and end positions among ALL positions of a window: dropping the
 * padding would change which candidates survive. The model parallelises each pass over all
 * cores; decoding, which is cheap, runs one question per thread afterwards. */
#include "needle/reader_predict.h"
#include "needle/error.h"
#include "needle/kernels.h"
#include "needle/log.h"
#include "needle/progress.h"

#include <stdlib.h>
#include <string.h>

reader_predict_opts reader_predict_defaults(void) {
    reader_predict_opts o;
    memset(&o, 0, sizeof o);
    o.batch_size = 32;
    o.decode.n_best = 20;
    o.decode.max_answer_len = 30;
    o.decode.null_threshold = 0.0;
    o.top_k = 5;
    o.context_chars = 150;
    return o;
}

void reader_predictions_free(reader_predictions *p) {
    for (size_t i = 0; p->q && i < p->n; i++) span_result_free(&p->q[i]);
    free(p->q);
    memset(p, 0, sizeof *p);
}

int reader_logits(model *m, const reader_windows *w, int batch, const char *what, float *lg, double *loss) {
    int L = w->len;
    if (L > m->max_T || batch < 1 || batch > m->max_B)
        return error_set(NEEDLE_EINVAL, "%s: batches of %d windows of %d tokens, the model is allocated for %d x %d", what,
                         batch, L, m->max_B, m->max_T);
    int32_t *mask = malloc((size_t)batch * L * sizeof *mask);
    if (!mask) return error_set(NEEDLE_ENOMEM, "out of memory for %s batches", what);
    progress bar;
    progress_start(&bar, what, (size_t)w->n);
    double total = 0;
    int rc = 0;
    for (int first = 0; first < w->n && !rc; first += batch) {
        int B = w->n - first < batch ? w->n - first : batch;
        size_t off = (size_t)first * L;
        for (size_t i = 0; i < (size_t)B * L; i++) mask[i] = w->attention_mask[off + i];
        model_batch b = {.B = B, .T = L, .input_ids = w->input_ids + off,
                .token_type_ids = w->token_type_ids ? w->token_type_ids + off : NULL, .attention_mask = mask};
        if ((rc = model_forward(m, &b, NULL))) break;
        float *logits = model_logits(m); /* [2, B, L] */
        for (int r = 0; r < B; r++) {
            memcpy(lg + ((size_t)(first + r) * 2) * L, logits + (size_t)r * L, (size_t)L * sizeof *lg);
            memcpy(lg + ((size_t)(first + r) * 2 + 1) * L, logits + ((size_t)B + r) * L, (size_t)L * sizeof *lg);
        }
        if (loss && w->start_position && w->end_position) /* the gradient overwrites the logits, already copied */
            total += (double)B * span_loss(logits, logits, w->start_position + first, w->end_position + first, B, L);
        progress_update(&bar, (size_t)(first + B), NULL);
    }
    progress_finish(&bar, NULL);
    free(mask);
    if (loss) *loss = w->n ? total / w->n : 0;
    return rc;
}

int reader_predict(model *m, const reader_pred_windows *pw, const squad_dataset *ds, const reader_predict_opts *o,
                   reader_predictions *out) {
    memset(out, 0, sizeof *out);
    const reader_windows *w = &pw->w;
    int L = w->len;
    if (L > m->max_T || m->max_B < 1)
        return error_set(NEEDLE_EINVAL, "reader prediction: windows of %d tokens, the model is allocated for %d x %d",
                         L, m->max_B, m->max_T);
    for (int i = 0; i < w->n; i++)
        if (pw->question[i] < 0 || (size_t)pw->question[i] >= ds->n_questions ||
            (i && pw->question[i] < pw->question[i - 1]))
            return error_set(NEEDLE_EINVAL, "reader prediction: window %d names question %d (of %zu; must ascend)", i,
                             pw->question[i], ds->n_questions);
    if (o->decode.n_best < 1 || o->decode.max_answer_len < 1)
        return error_set(NEEDLE_EINVAL, "reader prediction: n-best %d and max answer length %d must be at least 1",
                         o->decode.n_best, o->decode.max_answer_len);
    int batch = o->batch_size < m->max_B ? o->batch_size : m->max_B;
    if (batch < 1) batch = 1;
    float *lg = malloc((size_t)w->n * 2 * L * sizeof *lg + 1);
    int32_t *first = malloc((ds->n_questions + 1) * sizeof *first);
    out->q = calloc(ds->n_questions ? ds->n_questions : 1, sizeof *out->q);
    out->n = ds->n_questions;
    out->version_2 = o->decode.version_2;
    int rc = 0;
    if (!lg || !first || !out->q) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory for %d windows' logits", w->n);
        goto done;
    }
    if ((rc = reader_logits(m, w, batch, "predict", lg, &out->loss))) goto done;
    out->has_loss = w->start_position && w->end_position;
    /* first[q] .. first[q + 1]: question q's windows */
    for (size_t q = 0, i = 0; q <= ds->n_questions; q++) {
        while (i < (size_t)w->n && (size_t)pw->question[i] < q) i++;
        first[q] = (int32_t)i;
    }
    long n_q = (long)ds->n_questions;
#pragma omp parallel
    {
        span_window *win = NULL;
        int cap = 0, err = 0;
#pragma omp for schedule(dynamic, 16)
        for (long q = 0; q < n_q; q++) {
            int nw = first[q + 1] - first[q];
            if (!nw || err) continue;
            if (nw > cap) {
                free(win);
                cap = nw;
                win = malloc((size_t)cap * sizeof *win);
                if (!win) { err = NEEDLE_ENOMEM; continue; }
            }
            for (int k = 0; k < nw; k++) {
                size_t i = (size_t)first[q] + k;
                win[k] = (span_window){lg + i * 2 * L, lg + (i * 2 + 1) * L, pw->offsets + i * 2 * L};
            }
            if (span_decode(win, nw, L, &o->decode, &out->q[q])) err = NEEDLE_ENOMEM;
        }
        free(win);
        if (err) {
#pragma omp critical
            rc = error_set(NEEDLE_ENOMEM, "out of memory decoding answers");
        }
    }
done:
    free(lg);
    free(first);
    if (rc) reader_predictions_free(out);
    return rc;
}

/* span_decode.c — Hugging Face run_qa's answer post-processing over one question's windows
 * (see span_decode.h for the rules, followed step by step).
 *
 * Scores are float32 sums as numpy computes them on float32 logits; the candidates are sorted
 * with a stable merge sort, since Python's sorted(reverse=True) keeps equal scores in the
 * order they were produced. */
#include "needle/span_decode.h"
#include "needle/array.h"
#include "needle/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void span_result_init(span_result *r) { memset(r, 0, sizeof *r); }

void span_result_free(span_result *r) {
    free(r->answers);
    span_result_init(r);
}

static int push(span_result *r, const span_answer *a) {
    int rc = array_grow((void **)&r->answers, &r->cap, (size_t)r->n, sizeof *r->answers);
    if (rc) return rc;
    r->answers[r->n++] = *a;
    return 0;
}

/* Indices of the k largest of x[0..L), largest first (numpy's argsort()[-1:-k-1:-1]; among
 * equal values the higher index first, as a stable argsort reversed gives). Returns the count. */
static int top_k(const float *x, int L, int k, int *idx) {
    int n = 0;
    for (int i = 0; i < L; i++) {
        if (n == k && !(x[i] >= x[idx[n - 1]])) continue;
        int j = n < k ? n++ : n - 1;
        while (j > 0 && x[i] >= x[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    return n;
}

/* Stable sort by score, descending (merge sort through tmp). */
static void sort_by_score(span_answer *a, span_answer *tmp, int n) {
    if (n < 2) return;
    int h = n / 2;
    sort_by_score(a, tmp, h);
    sort_by_score(a + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = a[j].score > a[i].score ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

static int collect(const span_window *windows, int n_windows, int L, const span_decode_opts *opt, span_result *r,
                   span_answer *null_out) {
    int k = opt->n_best < L ? opt->n_best : L;
    int *si = malloc(2 * (size_t)(k > 0 ? k : 1) * sizeof *si), *ei = si + (k > 0 ? k : 1);
    if (!si) return error_set(NEEDLE_ENOMEM, "out of memory decoding answer spans");
    int rc = 0;
    for (int w = 0; w < n_windows && !rc; w++) {
        const span_window *win = &windows[w];
        float null_score = win->start_logits[0] + win->end_logits[0];
        if (w == 0 || null_out->score > null_score)
            *null_out = (span_answer){SPAN_NULL, 0, 0, w, 0, 0, win->start_logits[0], win->end_logits[0], null_score, 0};
        int ns = top_k(win->start_logits, L, k, si), ne = top_k(win->end_logits, L, k, ei);
        for (int a = 0; a < ns && !rc; a++) {
            int s = si[a];
            if (win->offsets[2 * s] < 0) continue;
            for (int b = 0; b < ne && !rc; b++) {
                int e = ei[b];
                if (win->offsets[2 * e] < 0 || e < s || e - s + 1 > opt->max_answer_len) continue;
                span_answer c = {SPAN_TEXT, win->offsets[2 * s], win->offsets[2 * e + 1], w, s, e,
                                 win->start_logits[s], win->end_logits[e], win->start_logits[s] + win->end_logits[e], 0};
                rc = push(r, &c);
            }
        }
    }
    free(si);
    return rc;
}

int span_decode(const span_window *windows, int n_windows, int L, const span_decode_opts *opt, span_result *r) {
    r->n = 0;
    r->chosen = 0;
    r->no_answer = 0;
    r->null_score = r->score_diff = 0;
    if (n_windows < 1 || L < 1 || opt->n_best < 1 || opt->max_answer_len < 1)
        return error_set(NEEDLE_EINVAL, "span decoding: %d windows of %d tokens, n-best %d, max answer length %d",
                         n_windows, L, opt->n_best, opt->max_answer_len);
    span_answer null_ans;
    int rc = collect(windows, n_windows, L, opt, r, &null_ans);
    if (!rc && opt->version_2) rc = push(r, &null_ans);
    if (rc) return rc;
    span_answer *tmp = malloc((size_t)(r->n ? r->n : 1) * sizeof *tmp);
    if (!tmp) return error_set(NEEDLE_ENOMEM, "out of memory decoding answer spans");
    sort_by_score(r->answers, tmp, r->n);
    free(tmp);
    if (r->n > opt->n_best) r->n = opt->n_best;
    if (opt->version_2) {
        int has_null = 0;
        for (int i = 0; i < r->n; i++) has_null |= r->answers[i].kind == SPAN_NULL;
        if (!has_null && (rc = push(r, &null_ans))) return rc;
        r->null_score = null_ans.score;
    }
    int only_empty = r->n == 0 || (r->n == 1 && (r->answers[0].kind == SPAN_NULL ||
                                                 r->answers[0].start == r->answers[0].end));
    if (only_empty) {
        span_answer placeholder = {SPAN_EMPTY, 0, 0, -1, 0, 0, 0.0f, 0.0f, 0.0f, 0};
        if ((rc = push(r, &placeholder))) return rc;
        memmove(r->answers + 1, r->answers, (size_t)(r->n - 1) * sizeof *r->answers);
        r->answers[0] = placeholder;
    }
    float mx = r->answers[0].score;
    for (int i = 1; i < r->n; i++) mx = r->answers[i].score > mx ? r->answers[i].score : mx;
    double sum = 0;
    for (int i = 0; i < r->n; i++) sum += exp((double)r->answers[i].score - mx);
    for (int i = 0; i < r->n; i++) r->answers[i].probability = exp((double)r->answers[i].score - mx) / sum;
    if (!opt->version_2) return 0;
    /* v2: the best candidate whose text is not "" (a null answer or an empty span) */
    int i = 0;
    while (i < r->n && (r->answers[i].kind == SPAN_NULL ||
                        (r->answers[i].kind == SPAN_TEXT && r->answers[i].start == r->answers[i].end)))
        i++;
    if (i == r->n) { /* HF would fail here (IndexError); nothing but no-answer is left */
        r->no_answer = 1;
        r->chosen = 0;
        r->score_diff = INFINITY;
        return 0;
    }
    float diff = (float)(null_ans.score - r->answers[i].start_logit) - r->answers[i].end_logit;
    r->score_diff = diff;
    r->chosen = i;
    if ((double)diff > opt->null_threshold) {
        r->no_answer = 1;
        for (int j = 0; j < r->n; j++)
            if (r->answers[j].kind == SPAN_NULL) r->chosen = j;
    }
    return 0;
}

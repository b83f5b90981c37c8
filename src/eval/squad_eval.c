/* squad_eval.c — whole-dataset SQuAD evaluation with the official scripts' semantics
 * (evaluate-v1.1.py, evaluate-v2.0.py; see squad_eval.h for the rules and the one
 * divergence), and the JSON they print.
 *
 * The scripts are built on Python dicts keyed by question id; the behaviours that follow from
 * that (a repeated id counts once, with the last occurrence's data at the first occurrence's
 * place; a repeated prediction keeps its last value; the threshold search sorts
 * probabilities stably in file order) are reproduced with sorted id indexes rather than a
 * hash table: stable, O(n log n), and instant for SQuAD-sized files. */
#define _GNU_SOURCE
#include "needle/error.h"
#include "needle/json.h"
#include "needle/squad_eval.h"
#include "squad_text.h"

#include <stdlib.h>
#include <string.h>

/* Items sorted by (id, position), to find the first and last item with an id. */
typedef struct {
    const char **ids;
    size_t *order;
    size_t n;
} id_index;

static int by_id_then_position(const void *x, const void *y, void *arg) {
    const id_index *ix = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = strcmp(ix->ids[a], ix->ids[b]);
    return c ? c : (a > b) - (a < b);
}

/* ids must be filled by the caller after this allocates them. */
static int id_index_alloc(id_index *ix, size_t n) {
    ix->n = n;
    ix->ids = malloc((n ? n : 1) * sizeof *ix->ids);
    ix->order = malloc((n ? n : 1) * sizeof *ix->order);
    if (!ix->ids || !ix->order) return error_set(NEEDLE_ENOMEM, "out of memory indexing question ids");
    return 0;
}

static void id_index_sort(id_index *ix) {
    for (size_t i = 0; i < ix->n; i++) ix->order[i] = i;
    qsort_r(ix->order, ix->n, sizeof *ix->order, by_id_then_position, ix);
}

static void id_index_free(id_index *ix) {
    free(ix->ids);
    free(ix->order);
}

/* The first and last positions of items with `id`; 0 when there is none. */
static int id_index_find(const id_index *ix, const char *id, size_t *first, size_t *last) {
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->ids[ix->order[mid]], id) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo == ix->n || strcmp(ix->ids[ix->order[lo]], id)) return 0;
    size_t end = lo;
    while (end + 1 < ix->n && !strcmp(ix->ids[ix->order[end + 1]], id)) end++;
    *first = ix->order[lo];
    *last = ix->order[end];
    return 1;
}

typedef struct {
    const squad_dataset *ds;
    const squad_predictions *preds;
    const squad_na_probs *na;
    id_index qix, pix, nix;
    squad_scorer sc;
    const char **golds;
    double *raw_em, *raw_f1;   /* per question (its last occurrence), when scored */
    unsigned char *scored;
} eval_state;

/* The prediction for a question id (the last one given), or NULL. */
static const char *prediction_for(const eval_state *st, const char *id) {
    size_t first, last;
    return id_index_find(&st->pix, id, &first, &last) ? st->preds->items[last].text : NULL;
}

static int score(eval_state *st, size_t q, const char *pred, squad_version version, double *em, double *f1) {
    const squad_question *qq = &st->ds->questions[q];
    for (size_t i = 0; i < qq->n_answers; i++) st->golds[i] = st->ds->answers[qq->first_answer + i].text;
    return squad_scorer_question(&st->sc, pred, st->golds, qq->n_answers, version, em, f1);
}

static int add_missing(squad_eval_result *out, size_t q) {
    if (!out->missing) {
        out->missing = malloc(sizeof *out->missing);
        if (!out->missing) return error_set(NEEDLE_ENOMEM, "out of memory listing missing predictions");
    } else if ((out->n_missing & (out->n_missing - 1)) == 0) { /* grow at powers of two */
        size_t *m = realloc(out->missing, 2 * out->n_missing * sizeof *m);
        if (!m) return error_set(NEEDLE_ENOMEM, "out of memory listing missing predictions");
        out->missing = m;
    }
    out->missing[out->n_missing++] = q;
    return 0;
}

/* evaluate-v1.1.py: every question counts; a missing prediction scores 0. */
static int evaluate_v1(eval_state *st, squad_eval_result *out) {
    const squad_dataset *ds = st->ds;
    double sum_em = 0, sum_f1 = 0;
    for (size_t q = 0; q < ds->n_questions; q++) {
        const char *pred = prediction_for(st, ds->questions[q].id);
        double em, f1;
        int rc = pred ? score(st, q, pred, SQUAD_V1, &em, &f1) : add_missing(out, q);
        if (rc) return rc;
        if (pred) {
            sum_em += em;
            sum_f1 += f1;
        }
    }
    out->total = ds->n_questions;
    out->exact = 100.0 * sum_em / (double)out->total;
    out->f1 = 100.0 * sum_f1 / (double)out->total;
    return 0;
}

typedef struct {
    double prob;
    size_t position;
    size_t question;   /* the question's last occurrence */
} na_entry;

static int by_prob_then_position(const void *x, const void *y) {
    const na_entry *a = x, *b = y;
    if (a->prob != b->prob) return a->prob < b->prob ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

/* find_best_thresh: answer "no answer" everywhere, then walk questions by increasing
 * probability, switching each to its prediction; keep the first best running score. */
static void best_threshold(const eval_state *st, const na_entry *walk, size_t n_walk, const double *raw,
                           size_t num_no_ans, size_t n_scored, double *best, double *thresh) {
    double cur = (double)num_no_ans, best_score = cur;
    *thresh = 0.0;
    for (size_t i = 0; i < n_walk; i++) {
        size_t q = walk[i].question;
        const squad_question *qq = &st->ds->questions[q];
        double diff = qq->n_answers > 0 ? raw[q] : prediction_for(st, qq->id)[0] ? -1 : 0;
        cur += diff;
        if (cur > best_score) {
            best_score = cur;
            *thresh = walk[i].prob;
        }
    }
    *best = 100.0 * best_score / (double)n_scored;
}

/* The no-answer probabilities of scored questions, deduplicated like a Python dict (first
 * position, last value), sorted stably by value. */
static int na_walk(const eval_state *st, na_entry **walk, size_t *n_walk) {
    const squad_na_probs *na = st->na;
    *n_walk = 0;
    *walk = malloc((na->n ? na->n : 1) * sizeof **walk);
    if (!*walk) return error_set(NEEDLE_ENOMEM, "out of memory sorting no-answer probabilities");
    for (size_t i = 0; i < na->n; i++) {
        size_t first, last, qfirst, qlast;
        id_index_find(&st->nix, na->items[i].id, &first, &last);
        if (first != i || !id_index_find(&st->qix, na->items[i].id, &qfirst, &qlast) || !st->scored[qlast]) continue;
        (*walk)[(*n_walk)++] = (na_entry){na->items[last].prob, i, qlast};
    }
    qsort(*walk, *n_walk, sizeof **walk, by_prob_then_position);
    return 0;
}

/* evaluate-v2.0.py: questions without a prediction are skipped; no-answer thresholds. */
static int evaluate_v2(eval_state *st, double na_prob_thresh, squad_eval_result *out) {
    const squad_dataset *ds = st->ds;
    double sum[3][2] = {{0}};    /* all, HasAns, NoAns  x  exact, f1 */
    size_t count[3] = {0}, num_no_ans = 0;
    int rc = 0;
    for (size_t q = 0; q < ds->n_questions && !rc; q++)
        if (!prediction_for(st, ds->questions[q].id)) rc = add_missing(out, q);
    for (size_t q = 0; q < ds->n_questions && !rc; q++) {
        size_t first, last;
        id_index_find(&st->qix, ds->questions[q].id, &first, &last);
        if (first != q) continue;                 /* a repeated id counts once ... */
        const squad_question *qq = &ds->questions[last];  /* ... with its last occurrence */
        int has_ans = qq->n_answers > 0;
        if (has_ans) out->has_ans_split = 1;
        else { out->no_ans_split = 1; num_no_ans++; }
        const char *pred = prediction_for(st, qq->id);
        if (!pred) continue;
        double em, f1, na_prob = 0.0;
        if ((rc = score(st, last, pred, SQUAD_V2, &em, &f1))) break;
        st->raw_em[last] = em;
        st->raw_f1[last] = f1;
        st->scored[last] = 1;
        if (st->na) {
            size_t nf, nl;
            if (!id_index_find(&st->nix, qq->id, &nf, &nl))
                return error_set(NEEDLE_EINVAL, "no no-answer probability for question %s", qq->id);
            na_prob = st->na->items[nl].prob;
        }
        if (na_prob > na_prob_thresh) em = f1 = has_ans ? 0.0 : 1.0;
        int split = has_ans ? 1 : 2;
        sum[0][0] += em; sum[0][1] += f1; count[0]++;
        sum[split][0] += em; sum[split][1] += f1; count[split]++;
    }
    if (rc) return rc;
    if (count[0] == 0) return error_set(NEEDLE_EINVAL, "no question of the dataset has a prediction");
    out->total = count[0];
    out->exact = 100.0 * sum[0][0] / (double)count[0];
    out->f1 = 100.0 * sum[0][1] / (double)count[0];
    out->has_ans_total = count[1];
    out->no_ans_total = count[2];
    if (count[1]) {
        out->has_ans_exact = 100.0 * sum[1][0] / (double)count[1];
        out->has_ans_f1 = 100.0 * sum[1][1] / (double)count[1];
    }
    if (count[2]) {
        out->no_ans_exact = 100.0 * sum[2][0] / (double)count[2];
        out->no_ans_f1 = 100.0 * sum[2][1] / (double)count[2];
    }
    if (!st->na) return 0;
    na_entry *walk;
    size_t n_walk;
    if ((rc = na_walk(st, &walk, &n_walk))) return rc;
    out->has_best = 1;
    best_threshold(st, walk, n_walk, st->raw_em, num_no_ans, count[0], &out->best_exact, &out->best_exact_thresh);
    best_threshold(st, walk, n_walk, st->raw_f1, num_no_ans, count[0], &out->best_f1, &out->best_f1_thresh);
    free(walk);
    return 0;
}

/* Predictions for ids the dataset does not have: ignored by the scripts, counted here. */
static size_t count_unknown(const eval_state *st) {
    size_t unknown = 0;
    for (size_t i = 0; i < st->preds->n; i++) {
        size_t first, last;
        id_index_find(&st->pix, st->preds->items[i].id, &first, &last);
        if (first == i && !id_index_find(&st->qix, st->preds->items[i].id, &first, &last)) unknown++;
    }
    return unknown;
}

int squad_evaluate(const squad_dataset *ds, const squad_predictions *preds, const squad_na_probs *na_probs,
                   const squad_eval_opts *opts, squad_eval_result *out) {
    memset(out, 0, sizeof *out);
    int version = opts && opts->version ? opts->version : (int)ds->version;
    double thresh = opts ? opts->na_prob_thresh : 1.0;
    if (version != SQUAD_V1 && version != SQUAD_V2) return error_set(NEEDLE_EINVAL, "SQuAD version must be 1 or 2, not %d", version);
    if (ds->n_questions == 0) return error_set(NEEDLE_EINVAL, "the dataset has no questions to evaluate");
    out->version = (squad_version)version;
    eval_state st = {.ds = ds, .preds = preds, .na = version == SQUAD_V2 ? na_probs : NULL};
    squad_scorer_init(&st.sc);
    size_t max_answers = 1;
    for (size_t q = 0; q < ds->n_questions; q++)
        if (ds->questions[q].n_answers > max_answers) max_answers = ds->questions[q].n_answers;
    int rc = id_index_alloc(&st.qix, ds->n_questions);
    if (!rc) rc = id_index_alloc(&st.pix, preds->n);
    if (!rc) rc = id_index_alloc(&st.nix, st.na ? st.na->n : 0);
    if (rc) goto done;
    st.golds = malloc(max_answers * sizeof *st.golds);
    st.raw_em = calloc(ds->n_questions, sizeof *st.raw_em);
    st.raw_f1 = calloc(ds->n_questions, sizeof *st.raw_f1);
    st.scored = calloc(ds->n_questions, 1);
    if (!st.golds || !st.raw_em || !st.raw_f1 || !st.scored) { rc = error_set(NEEDLE_ENOMEM, "out of memory evaluating"); goto done; }
    for (size_t i = 0; i < ds->n_questions; i++) st.qix.ids[i] = ds->questions[i].id;
    for (size_t i = 0; i < preds->n; i++) st.pix.ids[i] = preds->items[i].id;
    for (size_t i = 0; st.na && i < st.na->n; i++) st.nix.ids[i] = st.na->items[i].id;
    id_index_sort(&st.qix);
    id_index_sort(&st.pix);
    id_index_sort(&st.nix);
    out->unknown_predictions = count_unknown(&st);
    rc = version == SQUAD_V1 ? evaluate_v1(&st, out) : evaluate_v2(&st, thresh, out);
done:
    squad_scorer_free(&st.sc);
    id_index_free(&st.qix);
    id_index_free(&st.pix);
    id_index_free(&st.nix);
    free(st.golds);
    free(st.raw_em);
    free(st.raw_f1);
    free(st.scored);
    if (rc) squad_eval_result_free(out);
    return rc;
}

void squad_eval_result_free(squad_eval_result *r) {
    free(r->missing);
    r->missing = NULL;
    r->n_missing = 0;
}

static void key_double(jsonw *w, const char *key, double v) {
    jsonw_key(w, key);
    jsonw_double(w, v);
}

static void key_int(jsonw *w, const char *key, size_t v) {
    jsonw_key(w, key);
    jsonw_int(w, (long long)v);
}

int squad_eval_to_json(const squad_eval_result *r, strbuf *out) {
    jsonw w;
    jsonw_init(&w, out);
    jsonw_object_begin(&w);
    if (r->version == SQUAD_V1) {
        key_double(&w, "exact_match", r->exact);
        key_double(&w, "f1", r->f1);
    } else {
        key_double(&w, "exact", r->exact);
        key_double(&w, "f1", r->f1);
        key_int(&w, "total", r->total);
        if (r->has_ans_split) {
            key_double(&w, "HasAns_exact", r->has_ans_exact);
            key_double(&w, "HasAns_f1", r->has_ans_f1);
            key_int(&w, "HasAns_total", r->has_ans_total);
        }
        if (r->no_ans_split) {
            key_double(&w, "NoAns_exact", r->no_ans_exact);
            key_double(&w, "NoAns_f1", r->no_ans_f1);
            key_int(&w, "NoAns_total", r->no_ans_total);
        }
        if (r->has_best) {
            key_double(&w, "best_exact", r->best_exact);
            key_double(&w, "best_exact_thresh", r->best_exact_thresh);
            key_double(&w, "best_f1", r->best_f1);
            key_double(&w, "best_f1_thresh", r->best_f1_thresh);
        }
    }
    jsonw_object_end(&w);
    return w.err ? error_set(w.err, "out of memory writing evaluation results") : 0;
}

/* pipeline_node_join.c — JoinDocuments: one ranked list from the lists of two or more
 * retrievers (hybrid search), by join_documents.h's rules.
 *
 * Params: join_mode (concatenate | merge | reciprocal_rank_fusion; default concatenate),
 * weights (merge only: one number per input, in the order of the node's inputs), top_k_join
 * (default: keep all), sort_by_score (true). Run param: top_k_join. */
#include "pipeline_internal.h"
#include "needle/error.h"
#include "needle/join_documents.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    join_mode mode;
    double *weights; /* NULL: equal */
    long long top_k_join;
    int sort_by_score;
} join_node;

static void join_destroy(void *state) {
    join_node *j = state;
    if (!j) return;
    free(j->weights);
    free(j);
}

static int join_create(pbuild *b, void **state) {
    static const char *const known[] = {"join_mode", "weights", "top_k_join", "sort_by_score", NULL};
    join_node *j = calloc(1, sizeof *j);
    if (!j) return error_set(NEEDLE_ENOMEM, "out of memory");
    const char *mode = NULL;
    int rc = pbuild_check_params(b, known, NULL);
    if (!rc) rc = pbuild_string(b, "join_mode", 0, &mode);
    if (!rc && mode && join_mode_parse(mode) < 0)
        rc = pbuild_error(b, "join_mode", NEEDLE_EINVAL, "'%s' is not concatenate, merge or reciprocal_rank_fusion", mode);
    if (!rc) j->mode = mode ? (join_mode)join_mode_parse(mode) : JOIN_CONCATENATE;
    if (!rc) rc = pbuild_int(b, "top_k_join", 0, 1, 100000, &j->top_k_join);
    if (!rc) rc = pbuild_bool(b, "sort_by_score", 1, &j->sort_by_score);
    const cJSON *w = pbuild_param(b, "weights");
    if (!rc && w) {
        int n = cJSON_GetArraySize(w);
        if (j->mode != JOIN_MERGE)
            rc = pbuild_error(b, "weights", NEEDLE_EINVAL, "weights apply to join_mode merge only (as in Haystack)");
        else if (!cJSON_IsArray(w) || (size_t)n != b->n_inputs)
            rc = pbuild_error(b, "weights", NEEDLE_EINVAL, "should be a list of %zu numbers, one per input of the node",
                              b->n_inputs);
        else if (!(j->weights = calloc((size_t)n, sizeof *j->weights)))
            rc = error_set(NEEDLE_ENOMEM, "out of memory");
        double sum = 0;
        for (int i = 0; !rc && i < n; i++) {
            const cJSON *x = cJSON_GetArrayItem(w, i);
            if (!cJSON_IsNumber(x) || x->valuedouble < 0)
                rc = pbuild_error(b, "weights", NEEDLE_EINVAL, "weight %d should be a number >= 0", i + 1);
            else sum += j->weights[i] = x->valuedouble;
        }
        if (!rc && !(sum > 0)) rc = pbuild_error(b, "weights", NEEDLE_EINVAL, "the weights should not all be 0");
    }
    if (rc) {
        join_destroy(j);
        return rc;
    }
    *state = j;
    return 0;
}

static int join_run(void *state, const prun *r, pipeline_output *out) {
    join_node *j = state;
    long long top_k;
    int rc = prun_top_k(r, "top_k_join", j->top_k_join, &top_k);
    if (rc) return rc;
    size_t *lens = calloc(r->n_inputs, sizeof *lens);
    join_item **lists = calloc(r->n_inputs, sizeof *lists);
    join_result *res = NULL;
    size_t n_res = 0, cap = 0;
    rc = lens && lists ? 0 : error_set(NEEDLE_ENOMEM, "out of memory joining documents");
    for (size_t l = 0; l < r->n_inputs && !rc; l++) {
        const pipeline_output *in = r->inputs[l];
        lens[l] = in->n_docs;
        if (!in->n_docs) continue;
        if (!(lists[l] = malloc(in->n_docs * sizeof *lists[l]))) {
            rc = error_set(NEEDLE_ENOMEM, "out of memory joining documents");
            break;
        }
        for (size_t i = 0; i < in->n_docs; i++) lists[l][i] = (join_item){in->docs[i].id, in->docs[i].score};
    }
    if (!rc)
        rc = join_documents((const join_item *const *)lists, lens, r->n_inputs, j->mode, j->weights, j->sort_by_score,
                            (size_t)top_k, &res, &n_res);
    for (size_t i = 0; i < n_res && !rc; i++) {
        pipeline_doc d;
        rc = pipeline_doc_copy(&d, &r->inputs[res[i].list]->docs[res[i].index]);
        if (!rc) {
            d.score = res[i].score;
            rc = pipeline_output_add_doc(out, &d, &cap);
        }
    }
    for (size_t l = 0; lists && l < r->n_inputs; l++) free(lists[l]);
    free(lists);
    free(lens);
    free(res);
    return rc;
}

static const char *const join_run_params[] = {"top_k_join", NULL};
const pipeline_type pipeline_type_join = {"JoinDocuments", PROLE_JOIN, join_run_params, join_create, join_run, join_destroy};

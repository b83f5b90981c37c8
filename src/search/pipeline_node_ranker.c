/* pipeline_node_ranker.c — SentenceTransformersRanker: a cross-encoder reorders the documents
 * of its input (a retriever's or a join's) and keeps the first top_k, as Haystack 1.x's
 * SentenceTransformersRanker.predict does.
 *
 * Params: model_name_or_path (required: an HF sequence-classification directory with 1 or 2
 * labels, e.g. one `needle reranker train` wrote), top_k (10), batch_size (16 pairs per
 * forward pass), scale_score (true), needle's max_seq_len (tokens per (query, passage) pair,
 * default the model's positions, capped by them). Run param: top_k.
 *
 * Scores go through reranker.h (cross_encoder_score, the scoring `needle reranker eval` and
 * the trainer use). A one-label model's score is its logit, reported as sigmoid(logit) with
 * scale_score (Haystack's expit) or raw without; a two-label model's is reported as
 * softmax(logits)[1] whatever scale_score says, as Haystack does. Order: by that score,
 * descending, ties keeping input order. For two labels Haystack sorts by the raw last logit,
 * needle by logit[1] − logit[0] (the order of the probabilities it reports); the two agree
 * whenever logit[0] is the same for all documents.
 *
 * One model serves the node; concurrent queries take turns (a lock), each batch on all cores. */
#include "pipeline_internal.h"
#include "needle/cross_encoder.h"
#include "needle/error.h"
#include "needle/reranker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    reranker *rr;
    long long top_k;
    int scale_score;
    pthread_mutex_t lock;
} ranker_node;

static void ranker_destroy(void *state) {
    ranker_node *n = state;
    if (!n) return;
    reranker_free(n->rr);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

static int ranker_create(pbuild *b, void **state) {
    static const char *const known[] = {"model_name_or_path", "top_k", "batch_size", "scale_score", "max_seq_len", NULL};
    static const char *const ignored[] = {"model_version", "use_gpu", "devices", "progress_bar", "use_auth_token",
                                          "embed_meta_fields", NULL};
    ranker_node *n = calloc(1, sizeof *n);
    if (!n) return error_set(NEEDLE_ENOMEM, "out of memory");
    pthread_mutex_init(&n->lock, NULL);
    char *dir = NULL;
    long long batch, len;
    int rc = pbuild_check_params(b, known, ignored);
    if (!rc) rc = pbuild_path(b, "model_name_or_path", 1, &dir);
    if (!rc) rc = pbuild_int(b, "top_k", 10, 1, 1000, &n->top_k);
    if (!rc) rc = pbuild_int(b, "batch_size", 16, 1, 4096, &batch);
    if (!rc) rc = pbuild_int(b, "max_seq_len", 512, 3, 4096, &len);
    if (!rc) rc = pbuild_bool(b, "scale_score", 1, &n->scale_score);
    if (!rc) {
        reranker_opts o = {(int)batch, (int)len};
        if ((rc = reranker_load(&n->rr, dir, NULL, &o))) error_prefix(rc, "%s: ", b->origin);
    }
    free(dir);
    if (rc) {
        ranker_destroy(n);
        return rc;
    }
    *state = n;
    return 0;
}

static int ranker_run(void *state, const prun *r, pipeline_output *out) {
    ranker_node *n = state;
    const pipeline_output *in = r->inputs[0];
    long long top_k;
    int rc = prun_top_k(r, "top_k", n->top_k, &top_k);
    if (rc || !in->n_docs) return rc;
    int nd = (int)in->n_docs;
    const char **texts = malloc((size_t)nd * sizeof *texts);
    float *scores = malloc((size_t)nd * sizeof *scores);
    int *order = malloc((size_t)nd * sizeof *order);
    if (!texts || !scores || !order) rc = error_set(NEEDLE_ENOMEM, "out of memory ranking documents");
    for (int i = 0; i < nd && !rc; i++) texts[i] = in->docs[i].content;
    if (!rc) {
        pthread_mutex_lock(&n->lock);
        rc = reranker_rank(n->rr, r->query, texts, nd, scores, order);
        pthread_mutex_unlock(&n->lock);
    }
    int two = !rc && reranker_num_labels(n->rr) == 2;
    size_t cap = 0;
    for (int i = 0; i < nd && i < top_k && !rc; i++) {
        pipeline_doc d;
        double s = scores[order[i]];
        if (!(rc = pipeline_doc_copy(&d, &in->docs[order[i]]))) {
            d.score = two || n->scale_score ? cross_encoder_probability(s) : s;
            rc = pipeline_output_add_doc(out, &d, &cap);
        }
    }
    free(texts);
    free(scores);
    free(order);
    return rc ? error_prefix(rc, "%s: ", r->origin + strlen("params.")) : 0;
}

static const char *const ranker_run_params[] = {"top_k", NULL};
const pipeline_type pipeline_type_st_ranker = {"SentenceTransformersRanker", PROLE_RANKER, ranker_run_params, ranker_create,
                                               ranker_run, ranker_destroy};

/* pipeline_node_dense.c — EmbeddingRetriever and DensePassageRetriever: a dense retriever over
 * the embeddings `needle retriever embed` stored in the pipeline's document store.
 *
 * Both are one node: the retriever directory is opened with biencoder_open, as `needle
 * retriever embed` opens it, so queries and passages are encoded alike (a
 * sentence-transformers directory for EmbeddingRetriever's embedding_model; for
 * DensePassageRetriever, the directory that holds query_embedding_model and
 * passage_embedding_model as its query_encoder/ and passage_encoder/, the layout Haystack's
 * DensePassageRetriever.save and `needle retriever train` write). Only the query encoder runs
 * here: the passages were embedded beforehand, under a name in the store (needle's param
 * embedding_name; default the retriever directory's name, as `needle retriever embed` names
 * them). A store without those embeddings, or with embeddings of another size, fails when the
 * pipeline opens, naming the file, line, component and the command that fills them.
 *
 * Search is exact (search_store_dense: the query embedded, inner products or cosines over
 * every stored vector, the top k read back from the store). The store's embeddings are loaded
 * once and reloaded when the store's generation moves; a query with metadata filters loads the
 * embeddings of the matching documents only, so its top k is exact under the filters.
 * Documents added since the last `needle retriever embed` have no vector and are not found
 * until it runs again. Scores follow Haystack's scale_score (default true):
 * (cosine + 1) / 2 for cosine retrievers, expit(score / 100) for dot products.
 *
 * Concurrent queries take turns on the one query encoder (a lock around encoding and search:
 * one query's encoding is a single short sequence). */
#include "pipeline_internal.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/search_dense.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pstore *store;
    biencoder b;
    int b_ok;
    char name[256];            /* the embeddings' name in the store */
    long long top_k;
    int scale_score;
    pthread_mutex_t lock;      /* the encoder and the cache below */
    docstore_embeddings all;   /* every stored embedding, as of `generation` */
    long long generation;      /* -1: not loaded */
} dense_node;

static void dense_destroy(void *state) {
    dense_node *n = state;
    if (!n) return;
    docstore_embeddings_free(&n->all);
    if (n->b_ok) biencoder_free(&n->b);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

/* The retriever directory of a DensePassageRetriever: the common parent of the query and
 * passage encoders saved as DIR/query_encoder and DIR/passage_encoder (or DIR itself, given
 * twice). */
static int dpr_dir(pbuild *b, char **dir) {
    char *q = NULL, *p = NULL;
    int rc = pbuild_path(b, "query_embedding_model", 1, &q);
    if (!rc) rc = pbuild_path(b, "passage_embedding_model", 1, &p);
    if (rc) goto done;
    for (char *s = q + strlen(q); s > q + 1 && s[-1] == '/';) *--s = 0;
    for (char *s = p + strlen(p); s > p + 1 && s[-1] == '/';) *--s = 0;
    if (!strcmp(q, p)) {
        *dir = q;
        q = NULL;
        goto done;
    }
    char *qs = strrchr(q, '/'), *ps = strrchr(p, '/');
    if (!qs || !ps || strcmp(qs, "/query_encoder") || strcmp(ps, "/passage_encoder") || qs - q != ps - p ||
        strncmp(q, p, (size_t)(qs - q))) {
        rc = pbuild_error(b, "passage_embedding_model", NEEDLE_EINVAL,
                          "needle loads a DPR retriever saved as DIR/query_encoder and DIR/passage_encoder (as Haystack's "
                          "DensePassageRetriever.save and `needle retriever train` write it); got '%s' and '%s'", q, p);
        goto done;
    }
    *qs = 0;
    *dir = q;
    q = NULL;
done:
    free(q);
    free(p);
    return rc;
}

/* Both types: the retriever's directory and settings, then the store's embeddings checked. */
static int dense_create(pbuild *b, void **state, int dpr) {
    static const char *const emb_known[] = {"document_store", "embedding_model", "top_k", "scale_score", "max_seq_len",
                                            "embedding_name", NULL};
    static const char *const emb_ignored[] = {"use_gpu", "batch_size", "model_format", "pooling_strategy",
                                              "emb_extraction_layer", "progress_bar", "devices", "model_version",
                                              "use_auth_token", "embed_meta_fields", NULL};
    static const char *const dpr_known[] = {"document_store", "query_embedding_model", "passage_embedding_model", "top_k",
                                            "scale_score", "max_seq_len_query", "similarity_function", "embedding_name",
                                            NULL};
    static const char *const dpr_ignored[] = {"use_gpu", "batch_size", "max_seq_len_passage", "embed_title",
                                              "use_fast_tokenizers", "global_loss_buffer_size", "progress_bar", "devices",
                                              "model_version", "use_auth_token", NULL};
    dense_node *n = calloc(1, sizeof *n);
    if (!n) return error_set(NEEDLE_ENOMEM, "out of memory");
    pthread_mutex_init(&n->lock, NULL);
    n->generation = -1;
    char *dir = NULL;
    const char *name = NULL, *sim = NULL;
    long long qlen = 0;
    bienc_config want = {0};
    int rc = pbuild_check_params(b, dpr ? dpr_known : emb_known, dpr ? dpr_ignored : emb_ignored);
    if (!rc) rc = dpr ? dpr_dir(b, &dir) : pbuild_path(b, "embedding_model", 1, &dir);
    if (!rc) rc = pbuild_int(b, "top_k", 10, 1, 1000, &n->top_k);
    if (!rc) rc = pbuild_bool(b, "scale_score", 1, &n->scale_score);
    if (!rc) rc = pbuild_int(b, dpr ? "max_seq_len_query" : "max_seq_len", 0, 3, 4096, &qlen);
    if (!rc) rc = pbuild_string(b, "embedding_name", 0, &name);
    if (!rc && dpr) rc = pbuild_string(b, "similarity_function", 0, &sim);
    if (!rc && sim) {
        if (!strcmp(sim, "dot_product")) want.similarity = BIENC_SIM_DOT;
        else if (!strcmp(sim, "cosine")) want.similarity = BIENC_SIM_COSINE;
        else rc = pbuild_error(b, "similarity_function", NEEDLE_EINVAL, "'%s' is not dot_product nor cosine", sim);
    }
    if (!rc) rc = pbuild_store(b, "document_store", &n->store);
    want.max_query_len = (int)qlen;
    int params_rc = rc; /* param errors name their own line; the ones below get the component's */
    if (!rc && !dpr) {
        char *q = path_join(dir, "query_encoder");
        if (q && dir_exists(q))
            rc = pbuild_error(b, "embedding_model", NEEDLE_EINVAL, "%s holds a DPR retriever (query_encoder/ and "
                              "passage_encoder/): use a DensePassageRetriever", dir);
        free(q);
        params_rc = rc;
    }
    if (!rc && !(rc = biencoder_open(&n->b, dir, &want, 0))) n->b_ok = 1;

    if (!rc && name) snprintf(n->name, sizeof n->name, "%s", name);
    else if (!rc) biencoder_embedding_name(dir, n->name, sizeof n->name);
    docstore *rd = NULL;
    int dim = 0;
    if (!rc && !(rc = pstore_reader(n->store, &rd))) {
        rc = docstore_embedding_dim(rd, n->name, &dim);
        if (rc == NEEDLE_ENOTFOUND)
            rc = error_set(rc, "the store %s has no embeddings named '%s': fill them with `needle retriever embed --store %s "
                           "--model %s --name %s`", docstore_path(rd), n->name, docstore_path(rd), dir, n->name);
        else if (!rc && dim != biencoder_dim(&n->b))
            rc = error_set(NEEDLE_EINVAL, "the store %s holds %d-dimensional embeddings named '%s' but %s embeds into %d "
                           "dimensions (embedded with another model? set embedding_name)", docstore_path(rd), dim, n->name,
                           dir, biencoder_dim(&n->b));
    }
    pstore_reader_done(n->store, rd);
    if (rc && !params_rc) error_prefix(rc, "%s: ", b->origin);
    free(dir);
    if (rc) {
        dense_destroy(n);
        return rc;
    }
    log_info("%s: %s retriever, %s similarity, embeddings '%s' (%d dimensions)", b->origin,
             bienc_layout_name(n->b.cfg.layout), bienc_similarity_name(n->b.cfg.similarity), n->name, dim);
    *state = n;
    return 0;
}

static int embedding_create(pbuild *b, void **state) { return dense_create(b, state, 0); }
static int dpr_create(pbuild *b, void **state) { return dense_create(b, state, 1); }

/* The embeddings to search (under n->lock): the cached ones, reloaded when the store moved;
 * with filters, the matching ones loaded into *own. */
static int embeddings_for(dense_node *n, docstore *rd, const char *filters, docstore_embeddings *own,
                          const docstore_embeddings **out) {
    if (filters) {
        *out = own;
        return docstore_embeddings_load(rd, n->name, filters, own);
    }
    long long gen;
    int rc = docstore_generation(rd, &gen);
    if (!rc && gen != n->generation) {
        docstore_embeddings_free(&n->all);
        n->generation = -1;
        if (!(rc = docstore_embeddings_load(rd, n->name, NULL, &n->all))) n->generation = gen;
    }
    *out = &n->all;
    return rc;
}

static int dense_run(void *state, const prun *r, pipeline_output *out) {
    dense_node *n = state;
    long long top_k;
    int scale;
    char *filters;
    int rc = prun_retriever(r, n->top_k, n->scale_score, &top_k, &scale, &filters);
    search_hit *hits = rc ? NULL : calloc((size_t)top_k, sizeof *hits);
    if (!rc && !hits) rc = error_set(NEEDLE_ENOMEM, "out of memory searching");
    size_t n_hits = 0, cap = 0;
    docstore *rd = NULL;
    docstore_embeddings own = {0};
    const docstore_embeddings *e = NULL;
    if (!rc && !(rc = pstore_reader(n->store, &rd))) {
        pthread_mutex_lock(&n->lock);
        rc = embeddings_for(n, rd, filters, &own, &e);
        if (rc == NEEDLE_ENOTFOUND)
            rc = error_set(rc, "%s: the store %s has no embeddings named '%s' any more", r->origin, docstore_path(rd), n->name);
        if (!rc) rc = search_store_dense(rd, &n->b, e, r->query, (size_t)top_k, hits, &n_hits);
        pthread_mutex_unlock(&n->lock);
    }
    int cosine = n->b.cfg.similarity == BIENC_SIM_COSINE;
    for (size_t i = 0; i < n_hits && !rc; i++) {
        double s = hits[i].score;
        pipeline_doc d;
        rc = pipeline_doc_from_record(&d, &hits[i].doc, !scale ? s : cosine ? (s + 1) / 2 : 1.0 / (1.0 + exp(-s / 100.0)));
        if (!rc) rc = pipeline_output_add_doc(out, &d, &cap);
    }
    if (hits) search_hits_free(hits, n_hits);
    free(hits);
    free(filters);
    docstore_embeddings_free(&own);
    pstore_reader_done(n->store, rd);
    return rc;
}

static const char *const dense_run_params[] = {"top_k", "filters", "scale_score", NULL};
const pipeline_type pipeline_type_embedding_retriever = {"EmbeddingRetriever", PROLE_RETRIEVER, dense_run_params,
                                                         embedding_create, dense_run, dense_destroy};
const pipeline_type pipeline_type_dpr = {"DensePassageRetriever", PROLE_RETRIEVER, dense_run_params, dpr_create, dense_run,
                                         dense_destroy};

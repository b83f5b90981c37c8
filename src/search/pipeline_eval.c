/* pipeline_eval.c — a pipeline asked every question of a SQuAD file, scored by Haystack 1.x's
 * rules (see pipeline_eval.h; the metrics themselves are qa_metrics.c's).
 *
 * Each question's metrics are kept at every cut-off up to the length of the list it got, so
 * the means at k = 1..K come out of one run whatever top_k the nodes used (a question that got
 * fewer than k results counts with all it got, as Haystack's simulated top-k does). The worst
 * questions are kept in a bounded list while the run goes, with the documents and answers
 * that explain them. This file sits in search, not eval, because it runs pipelines. */
#include "needle/pipeline_eval.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/log.h"
#include "needle/murmur3.h"
#include "needle/progress.h"
#include "needle/qa_metrics.h"
#include "needle/strtab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pipeline_eval_opts_default(pipeline_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->integrated = o->isolated = 1;
    o->n_worst = 5;
}

/* ---- per-question curves ---- */

typedef struct {
    double *v; /* k = 1..n, `width` values each */
    size_t n;
} qcurve;

typedef struct {
    size_t node;          /* pipeline node index */
    int answers, isolated;
    size_t width;
    qcurve *q, *q_ret;    /* per question; q_ret: top-1 EM/F1 vs the retriever's k (integrated answers) */
    size_t kmax, kmax_ret;
} node_acc;

static int curve_set(qcurve *c, const double *v, size_t n, size_t width, size_t *kmax) {
    c->v = malloc(n * width * sizeof *c->v);
    if (!c->v) return error_set(NEEDLE_ENOMEM, "out of memory");
    memcpy(c->v, v, n * width * sizeof *v);
    c->n = n;
    if (n > *kmax) *kmax = n;
    return 0;
}

/* Mean over questions at k = 1..kmax of metric m (a question with fewer cut-offs counts with its last). */
static cJSON *curve_means(const qcurve *q, size_t nq, size_t width, size_t kmax, size_t m) {
    cJSON *a = cJSON_CreateArray();
    for (size_t k = 1; a && k <= kmax; k++) {
        double sum = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < nq; i++) {
            if (!q[i].n) continue;
            size_t kk = k < q[i].n ? k : q[i].n;
            sum += q[i].v[(kk - 1) * width + m];
            cnt++;
        }
        cJSON_AddItemToArray(a, cJSON_CreateNumber(cnt ? sum / (double)cnt : 0));
    }
    return a;
}

/* ---- labels ---- */

typedef struct {
    strtab qids;               /* squad_id -> index into `lists` */
    struct { qa_label *l; size_t n, cap; } *lists;
    size_t cap;
    strtab strings;            /* document ids and answers, interned */
    char **owned;              /* the label strings, owned */
    size_t n_owned, cap_owned;
} store_labels;

static const char *own(store_labels *sl, const char *s, int *rc) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d || array_grow((void **)&sl->owned, &sl->cap_owned, sl->n_owned, sizeof *sl->owned)) {
        free(d);
        *rc = error_set(NEEDLE_ENOMEM, "out of memory reading labels");
        return NULL;
    }
    return sl->owned[sl->n_owned++] = d;
}

static void store_labels_free(store_labels *sl) {
    for (uint32_t i = 0; sl->lists && i < sl->qids.count; i++) free(sl->lists[i].l);
    free(sl->lists);
    for (size_t i = 0; i < sl->n_owned; i++) free(sl->owned[i]);
    free(sl->owned);
    strtab_free(&sl->qids);
    strtab_free(&sl->strings);
}

/* The store's gold labels by the SQuAD question id `needle index` put in their meta. */
static int store_labels_load(pipeline *p, store_labels *sl) {
    memset(sl, 0, sizeof *sl);
    strtab_init(&sl->qids);
    strtab_init(&sl->strings);
    docstore *rd = NULL;
    docstore_iter *it = NULL;
    int rc = pipeline_reader(p, &rd);
    if (!rc) rc = docstore_iter_labels(rd, "{\"origin\": \"" DOCSTORE_ORIGIN_GOLD "\"}", &it);
    docstore_label l;
    int more = 0;
    while (!rc && (more = docstore_iter_next_label(it, &l)) == 1) {
        cJSON *meta = cJSON_Parse(l.meta_json ? l.meta_json : "{}");
        const cJSON *qid = meta ? cJSON_GetObjectItemCaseSensitive(meta, "squad_id") : NULL;
        if (cJSON_IsString(qid)) {
            uint32_t id;
            int added;
            rc = strtab_intern(&sl->qids, qid->valuestring, strlen(qid->valuestring), &id, &added);
            if (!rc && array_grow((void **)&sl->lists, &sl->cap, id, sizeof *sl->lists)) rc = NEEDLE_ENOMEM;
            if (!rc && added) memset(&sl->lists[id], 0, sizeof sl->lists[id]);
            if (!rc && array_grow((void **)&sl->lists[id].l, &sl->lists[id].cap, sl->lists[id].n, sizeof(qa_label)))
                rc = NEEDLE_ENOMEM;
            if (!rc) {
                qa_label ql = {own(sl, l.document_id, &rc), own(sl, l.answer, &rc), l.no_answer};
                sl->lists[id].l[sl->lists[id].n++] = ql;
            }
        }
        cJSON_Delete(meta);
    }
    if (!rc && more < 0) rc = more;
    docstore_iter_free(it);
    pipeline_reader_done(p, rd);
    if (rc) store_labels_free(sl);
    return rc;
}

/* ---- the run ---- */

typedef struct {
    double key;
    size_t q;
    cJSON *detail;
} worst_item;

typedef struct {
    pipeline *p;
    const squad_dataset *ds;
    const pipeline_eval_opts *o;
    size_t nq;                /* questions evaluated */
    node_acc *acc;
    size_t n_acc;
    size_t sink;
    cJSON *params;
    worst_item *worst;
    size_t n_worst;
    store_labels sl;
} eval_run;

static node_acc *acc_find(eval_run *e, size_t node, int isolated) {
    for (size_t i = 0; i < e->n_acc; i++)
        if (e->acc[i].node == node && e->acc[i].isolated == isolated) return &e->acc[i];
    return NULL;
}

static size_t node_index(const pipeline *p, const char *name) {
    size_t i = 0;
    while (strcmp(pipeline_node_name(p, i), name)) i++;
    return i;
}

/* Keep the n_worst lowest keys (ties: the earlier question). Takes ownership of detail. */
static void worst_offer(eval_run *e, double key, size_t q, cJSON *detail) {
    size_t cap = (size_t)e->o->n_worst;
    if (!cap || (e->n_worst == cap && !(key < e->worst[cap - 1].key))) {
        cJSON_Delete(detail);
        return;
    }
    if (e->n_worst == cap) cJSON_Delete(e->worst[--e->n_worst].detail);
    size_t i = e->n_worst++;
    while (i > 0 && e->worst[i - 1].key > key) {
        e->worst[i] = e->worst[i - 1];
        i--;
    }
    e->worst[i] = (worst_item){key, q, detail};
}

static cJSON *snippet(const char *s, size_t max_bytes) {
    size_t n = strlen(s);
    if (n <= max_bytes) return cJSON_CreateString(s);
    while (max_bytes > 0 && ((unsigned char)s[max_bytes] & 0xC0) == 0x80) max_bytes--;
    char *cut = malloc(max_bytes + 4);
    if (!cut) return NULL;
    memcpy(cut, s, max_bytes);
    memcpy(cut + max_bytes, "\xE2\x80\xA6", 4); /* … */
    cJSON *j = cJSON_CreateString(cut);
    free(cut);
    return j;
}

/* The explanation of one question's result at the pipeline's end. */
static cJSON *question_detail(eval_run *e, size_t q, const qa_label *labels, size_t n_labels,
                              const pipeline_output *out, const unsigned char *relevant, const char *metric, double value) {
    const squad_question *sq = &e->ds->questions[q];
    cJSON *d = cJSON_CreateObject(), *golds = cJSON_AddArrayToObject(d, "gold_answers");
    cJSON *gids = cJSON_AddArrayToObject(d, "gold_document_ids");
    cJSON_AddStringToObject(d, "id", sq->id);
    cJSON_AddStringToObject(d, "question", sq->question);
    for (size_t a = 0; a < sq->n_answers; a++) cJSON_AddItemToArray(golds, cJSON_CreateString(e->ds->answers[sq->first_answer + a].text));
    for (size_t j = 0; j < n_labels; j++) {
        int seen = !labels[j].document_id;
        for (size_t k = 0; k < j && !seen; k++) seen = labels[k].document_id && !strcmp(labels[k].document_id, labels[j].document_id);
        if (!seen) cJSON_AddItemToArray(gids, cJSON_CreateString(labels[j].document_id));
    }
    cJSON_AddStringToObject(d, "node", out->node);
    cJSON_AddStringToObject(d, "metric", metric);
    cJSON_AddNumberToObject(d, "value", value);
    cJSON *ans = cJSON_AddArrayToObject(d, "answers"), *docs = cJSON_AddArrayToObject(d, "documents");
    for (size_t i = 0; i < out->n_answers; i++) {
        const pipeline_answer *a = &out->answers[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "answer", a->answer ? a->answer : "");
        if (isnan(a->score)) cJSON_AddNullToObject(x, "score");
        else cJSON_AddNumberToObject(x, "score", a->score);
        if (a->document_id) cJSON_AddStringToObject(x, "document_id", a->document_id);
        if (a->context) cJSON_AddItemToObject(x, "context", snippet(a->context, 400));
        cJSON_AddItemToArray(ans, x);
    }
    for (size_t i = 0; i < out->n_docs; i++) {
        const pipeline_doc *doc = &out->docs[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", doc->id);
        if (isnan(doc->score)) cJSON_AddNullToObject(x, "score");
        else cJSON_AddNumberToObject(x, "score", doc->score);
        cJSON_AddBoolToObject(x, "relevant", relevant && relevant[i]);
        cJSON_AddItemToObject(x, "content", snippet(doc->content, 400));
        cJSON_AddItemToArray(docs, x);
    }
    return d;
}

/* The question's gold answer texts: the file's answers (none for an impossible question). */
static size_t gold_texts(const squad_dataset *ds, size_t q, const char ***out) {
    const squad_question *sq = &ds->questions[q];
    *out = NULL;
    if (sq->is_impossible || !sq->n_answers) return 0;
    const char **g = malloc(sq->n_answers * sizeof *g);
    if (!g) return (size_t)-1;
    for (size_t a = 0; a < sq->n_answers; a++) g[a] = ds->answers[sq->first_answer + a].text;
    *out = g;
    return sq->n_answers;
}

/* Metrics of one node's output for question q; the sink's also offers the question as a worst. */
static int score_output(eval_run *e, size_t q, node_acc *acc, const pipeline_output *out, const qa_label *labels,
                        size_t n_labels, const char *const *golds, size_t n_golds) {
    squad_version v = e->ds->version;
    size_t K = acc->answers ? out->n_answers : out->n_docs;
    if (!K) K = 1;
    double *at = malloc(K * acc->width * sizeof *at);
    const char **preds = calloc(out->n_answers + 1, sizeof *preds);
    qa_retrieved *docs = calloc(out->n_docs + 1, sizeof *docs);
    unsigned char *rel = calloc(out->n_docs + 1, 1);
    int rc = at && preds && docs && rel ? 0 : error_set(NEEDLE_ENOMEM, "out of memory scoring");
    for (size_t i = 0; !rc && i < out->n_docs; i++) docs[i] = (qa_retrieved){out->docs[i].id, out->docs[i].content};
    for (size_t i = 0; !rc && i < out->n_answers; i++) preds[i] = out->answers[i].answer ? out->answers[i].answer : "";
    if (!rc && acc->answers) rc = qa_answer_metrics(preds, out->n_answers, golds, n_golds, v, K, at);
    else if (!rc) rc = qa_doc_metrics(docs, out->n_docs, labels, n_labels, K, rel, at);
    if (!rc) rc = curve_set(&acc->q[q], at, K, acc->width, &acc->kmax);
    if (!rc && acc->answers && !acc->isolated) {
        /* top-1 of the answers read from the first k input documents, k = 1..documents */
        size_t KD = out->n_docs ? out->n_docs : 1;
        double *ret = malloc(KD * QA_N_ANSWER_METRICS * sizeof *ret), one[QA_N_ANSWER_METRICS];
        if (!ret) rc = error_set(NEEDLE_ENOMEM, "out of memory scoring");
        for (size_t k = 1; !rc && k <= KD; k++) {
            const char *first = NULL;
            for (size_t i = 0; i < out->n_answers && !first; i++)
                for (size_t d = 0; d < k && d < out->n_docs && !first; d++)
                    if (out->answers[i].document_id && !strcmp(out->answers[i].document_id, out->docs[d].id)) first = preds[i];
            rc = qa_answer_metrics(&first, first ? 1 : 0, golds, n_golds, v, 1, one);
            memcpy(ret + (k - 1) * QA_N_ANSWER_METRICS, one, sizeof one);
        }
        if (!rc) rc = curve_set(&acc->q_ret[q], ret, KD, QA_N_ANSWER_METRICS, &acc->kmax_ret);
        free(ret);
    }
    if (!rc && acc->node == e->sink && !acc->isolated) {
        double doc_at[QA_N_DOC_METRICS]; /* an answer node's documents: only their relevance is shown */
        if (acc->answers) rc = qa_doc_metrics(docs, out->n_docs, labels, n_labels, 1, rel, doc_at);
        size_t m = acc->answers ? QA_F1 : QA_RECALL_SINGLE_HIT;
        double key = acc->q[q].v[(acc->q[q].n - 1) * acc->width + m];
        const char *name = acc->answers ? "f1_top_k" : "recall_single_hit";
        if (!rc) worst_offer(e, key, q, question_detail(e, q, labels, n_labels, out, rel, name, key));
    }
    free(at);
    free(preds);
    free(docs);
    free(rel);
    return rc;
}

/* The gold documents of an isolated run: the labels' passages from the store, else the
 * SQuAD paragraph itself. */
static int gold_documents(eval_run *e, size_t q, const qa_label *labels, size_t n_labels, pipeline_doc **out, size_t *n) {
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    docstore *rd = NULL;
    int rc = pipeline_reader(e->p, &rd);
    for (size_t j = 0; j < n_labels && !rc; j++) {
        if (!labels[j].document_id) continue;
        int seen = 0;
        for (size_t k = 0; k < *n && !seen; k++) seen = !strcmp((*out)[k].id, labels[j].document_id);
        if (seen) continue;
        docstore_record rec;
        int grc = docstore_get(rd, labels[j].document_id, &rec);
        if (grc == NEEDLE_ENOTFOUND) continue;
        if ((rc = grc)) break;
        if (array_grow((void **)out, &cap, *n, sizeof **out)) rc = NEEDLE_ENOMEM;
        if (!rc && !(rc = pipeline_doc_from_record(&(*out)[*n], &rec, NAN))) (*n)++;
        docstore_record_free(&rec);
    }
    pipeline_reader_done(e->p, rd);
    if (!rc && !*n) {
        const squad_paragraph *para = &e->ds->paragraphs[e->ds->questions[q].paragraph];
        char id[33];
        murmur3_hex_id(para->context, para->context_bytes, id);
        pipeline_doc d = {-1, strdup(id), strdup(para->context), strdup("{}"), NULL, -1, -1, -1, NAN};
        if (!(*out = malloc(sizeof **out)) || !d.id || !d.content || !d.meta_json) {
            pipeline_doc_free(&d);
            rc = NEEDLE_ENOMEM;
        } else {
            (*out)[(*n)++] = d;
        }
    }
    if (rc == NEEDLE_ENOMEM) error_set(rc, "out of memory reading gold documents");
    return rc;
}

static int eval_question(eval_run *e, size_t q) {
    const squad_question *sq = &e->ds->questions[q];
    qa_label *file_labels = NULL;
    const qa_label *labels = NULL;
    size_t n_labels = 0;
    uint32_t sid;
    if (strtab_find(&e->sl.qids, sq->id, strlen(sq->id), &sid)) {
        labels = e->sl.lists[sid].l;
        n_labels = e->sl.lists[sid].n;
    } else {
        n_labels = sq->is_impossible || !sq->n_answers ? 1 : sq->n_answers;
        if (!(file_labels = calloc(n_labels, sizeof *file_labels))) return error_set(NEEDLE_ENOMEM, "out of memory");
        for (size_t a = 0; a < n_labels; a++)
            file_labels[a] = sq->is_impossible || !sq->n_answers ? (qa_label){NULL, "", 1}
                                                                  : (qa_label){NULL, e->ds->answers[sq->first_answer + a].text, 0};
        labels = file_labels;
    }
    const char **golds = NULL;
    size_t n_golds = gold_texts(e->ds, q, &golds);
    int rc = n_golds == (size_t)-1 ? error_set(NEEDLE_ENOMEM, "out of memory") : 0;
    pipeline_result r = {0};
    if (!rc && e->o->integrated && !(rc = pipeline_query(e->p, sq->question, e->params, &r))) {
        for (size_t i = 0; i < r.n && !rc; i++) {
            node_acc *acc = acc_find(e, node_index(e->p, r.nodes[i].node), 0);
            rc = score_output(e, q, acc, &r.nodes[i], labels, n_labels, golds, n_golds);
        }
        pipeline_result_free(&r);
    }
    for (size_t i = 0; i < e->n_acc && !rc && e->o->isolated; i++) {
        node_acc *acc = &e->acc[i];
        if (!acc->isolated) continue;
        pipeline_doc *docs = NULL;
        size_t n_docs = 0;
        rc = gold_documents(e, q, labels, n_labels, &docs, &n_docs);
        if (!rc) rc = pipeline_query_from(e->p, pipeline_node_name(e->p, acc->node), sq->question, docs, n_docs, e->params, &r);
        for (size_t k = 0; k < n_docs; k++) pipeline_doc_free(&docs[k]);
        free(docs);
        for (size_t k = 0; !rc && k < r.n; k++)
            if (!strcmp(r.nodes[k].node, pipeline_node_name(e->p, acc->node)))
                rc = score_output(e, q, acc, &r.nodes[k], labels, n_labels, golds, n_golds);
        pipeline_result_free(&r);
    }
    free(golds);
    free(file_labels);
    return rc ? error_prefix(rc, "question %s: ", sq->id) : 0;
}

/* Params that set every document node's top_k (or top_k_join) and every answer node's top_k. */
static int eval_params(eval_run *e) {
    const pipeline_eval_opts *o = e->o;
    e->params = cJSON_CreateObject();
    if (!e->params) return error_set(NEEDLE_ENOMEM, "out of memory");
    int reader_taken = 0;
    for (size_t i = 0; i < pipeline_node_count(e->p); i++) {
        int answers = pipeline_node_gives_answers(e->p, i);
        int k = answers ? o->top_k_reader : o->top_k_retriever;
        const char *key = pipeline_node_takes(e->p, i, "top_k") ? "top_k" : pipeline_node_takes(e->p, i, "top_k_join") ? "top_k_join" : NULL;
        if (!k || !key) continue;
        reader_taken |= answers;
        cJSON *np = cJSON_AddObjectToObject(e->params, pipeline_node_name(e->p, i));
        if (!np || !cJSON_AddNumberToObject(np, key, k)) return error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (o->top_k_reader && !reader_taken) log_warn("--top-k-reader: no answer node of this pipeline takes top_k; ignored");
    return 0;
}

static cJSON *node_json(eval_run *e, const node_acc *a) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "node", pipeline_node_name(e->p, a->node));
    cJSON_AddStringToObject(j, "type", pipeline_node_type(e->p, a->node));
    cJSON_AddStringToObject(j, "mode", a->isolated ? "isolated" : "integrated");
    cJSON_AddStringToObject(j, "kind", a->answers ? "answers" : "documents");
    cJSON_AddNumberToObject(j, "k", (double)a->kmax);
    cJSON *metrics = cJSON_AddObjectToObject(j, "metrics"), *at_k = cJSON_AddObjectToObject(j, "at_k");
    size_t nq = e->nq;
    for (size_t m = 0; m < a->width; m++) {
        const char *name = a->answers ? qa_answer_metric_names[m] : qa_doc_metric_names[m];
        cJSON *curve = curve_means(a->q, nq, a->width, a->kmax, m);
        cJSON_AddItemToObject(at_k, name, curve);
        int n = cJSON_GetArraySize(curve);
        if (a->answers) {
            char top_k[48];
            snprintf(top_k, sizeof top_k, "%s_top_k", name);
            cJSON_AddNumberToObject(metrics, name, n ? cJSON_GetArrayItem(curve, 0)->valuedouble : 0);
            cJSON_AddNumberToObject(metrics, top_k, n ? cJSON_GetArrayItem(curve, n - 1)->valuedouble : 0);
        } else {
            cJSON_AddNumberToObject(metrics, name, n ? cJSON_GetArrayItem(curve, n - 1)->valuedouble : 0);
        }
    }
    if (a->answers && !a->isolated) {
        cJSON *r = cJSON_AddObjectToObject(j, "at_retriever_k");
        for (size_t m = 0; m < QA_N_ANSWER_METRICS; m++)
            cJSON_AddItemToObject(r, qa_answer_metric_names[m], curve_means(a->q_ret, nq, QA_N_ANSWER_METRICS, a->kmax_ret, m));
    }
    return j;
}

static cJSON *result_json(eval_run *e, size_t nq, double seconds) {
    const pipeline_eval_opts *o = e->o;
    cJSON *j = cJSON_CreateObject();
    if (o->label) cJSON_AddStringToObject(j, "label", o->label);
    if (o->pipeline_path) cJSON_AddStringToObject(j, "pipeline", o->pipeline_path);
    if (o->pipeline_name) cJSON_AddStringToObject(j, "pipeline_name", o->pipeline_name);
    if (o->labels_path) cJSON_AddStringToObject(j, "labels", o->labels_path);
    cJSON_AddNumberToObject(j, "questions", (double)nq);
    cJSON_AddStringToObject(j, "squad_version", e->ds->version == SQUAD_V2 ? "2.0" : "1.1");
    if (o->top_k_retriever) cJSON_AddNumberToObject(j, "top_k_retriever", o->top_k_retriever);
    else cJSON_AddNullToObject(j, "top_k_retriever");
    if (o->top_k_reader) cJSON_AddNumberToObject(j, "top_k_reader", o->top_k_reader);
    else cJSON_AddNullToObject(j, "top_k_reader");
    cJSON *modes = cJSON_AddArrayToObject(j, "modes");
    if (o->integrated) cJSON_AddItemToArray(modes, cJSON_CreateString("integrated"));
    if (o->isolated) cJSON_AddItemToArray(modes, cJSON_CreateString("isolated"));
    cJSON_AddNumberToObject(j, "seconds", seconds);
    cJSON_AddNumberToObject(j, "questions_per_second", seconds > 0 ? (double)nq / seconds : 0);
    cJSON *nodes = cJSON_AddArrayToObject(j, "nodes");
    for (size_t i = 0; i < e->n_acc; i++) cJSON_AddItemToArray(nodes, node_json(e, &e->acc[i]));
    cJSON *worst = cJSON_AddArrayToObject(j, "worst");
    for (size_t i = 0; i < e->n_worst; i++) {
        cJSON_AddItemToArray(worst, e->worst[i].detail);
        e->worst[i].detail = NULL;
    }
    return j;
}

int pipeline_eval(pipeline *p, const squad_dataset *ds, const pipeline_eval_opts *o, cJSON **result) {
    *result = NULL;
    if (!o->integrated && !o->isolated) return error_set(NEEDLE_EINVAL, "pipeline evaluation: no mode chosen");
    size_t nq = o->limit && o->limit < ds->n_questions ? o->limit : ds->n_questions;
    if (!nq) return error_set(NEEDLE_EINVAL, "pipeline evaluation: the labels hold no question");
    eval_run e;
    memset(&e, 0, sizeof e);
    e.p = p;
    e.ds = ds;
    e.o = o;
    e.nq = nq;
    size_t nn = pipeline_node_count(p), n_answers = 0;
    for (size_t i = 0; i < nn; i++) n_answers += pipeline_node_gives_answers(p, i);
    if (o->isolated && !o->integrated && !n_answers)
        return error_set(NEEDLE_EINVAL, "isolated evaluation needs a node that gives answers (a reader): this pipeline has none");
    int rc = store_labels_load(p, &e.sl);
    if (rc) return rc;
    e.acc = calloc(2 * nn, sizeof *e.acc);
    e.worst = calloc((size_t)(o->n_worst > 0 ? o->n_worst : 1), sizeof *e.worst);
    if (!e.acc || !e.worst) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    for (int iso = 0; iso < 2 && !rc; iso++) {
        if (iso ? !o->isolated : !o->integrated) continue;
        for (size_t i = 0; i < nn && !rc; i++) {
            int answers = pipeline_node_gives_answers(p, i);
            if (iso && !answers) continue;
            node_acc *a = &e.acc[e.n_acc++];
            a->node = i;
            a->answers = answers;
            a->isolated = iso;
            a->width = answers ? QA_N_ANSWER_METRICS : QA_N_DOC_METRICS;
            a->q = calloc(nq, sizeof *a->q);
            a->q_ret = calloc(nq, sizeof *a->q_ret);
            if (!a->q || !a->q_ret) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        }
    }
    /* the pipeline's end: nodes come after their inputs and exactly one node feeds no other,
     * so it is the last one listed */
    e.sink = nn - 1;
    if (!rc) rc = eval_params(&e);
    progress pg;
    progress_start(&pg, "evaluating", nq);
    double t0 = clock_seconds();
    for (size_t q = 0; q < nq && !rc; q++) {
        rc = eval_question(&e, q);
        progress_update(&pg, q + 1, NULL);
    }
    progress_finish(&pg, rc ? "failed" : NULL);
    if (!rc) *result = result_json(&e, nq, clock_seconds() - t0);
    if (!rc && !*result) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t i = 0; i < e.n_acc; i++) {
        for (size_t q = 0; q < nq; q++) {
            free(e.acc[i].q ? e.acc[i].q[q].v : NULL);
            free(e.acc[i].q_ret ? e.acc[i].q_ret[q].v : NULL);
        }
        free(e.acc[i].q);
        free(e.acc[i].q_ret);
    }
    free(e.acc);
    for (size_t i = 0; i < e.n_worst; i++) cJSON_Delete(e.worst[i].detail);
    free(e.worst);
    cJSON_Delete(e.params);
    store_labels_free(&e.sl);
    return rc;
}

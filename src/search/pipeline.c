/* pipeline.c — building a pipeline from its file and running its graph (see pipeline.h).
 *
 * Building: every node of the chosen pipeline is a component; its type gives its role, and
 * the role fixes what its inputs may be (a retriever reads the Query, a join two or more
 * document lists, a ranker and a reader one). Stores are built when a node's params name
 * them. Exactly one node must end the graph: its output is the pipeline's. Nodes are listed after their inputs
 * (the file guarantees it), so file order is an execution order.
 *
 * Running: Haystack's params are routed first — a key naming a node is that node's own; any
 * other key is global and goes to every node that takes it (the type's run_params) — and
 * every node's params are checked before anything runs. Then each node runs on its inputs'
 * outputs. pipeline_query_from starts at one node with given documents and runs only the
 * nodes downstream of it (Haystack's isolated evaluation of a reader). */
#include "pipeline_internal.h"
#include "needle/error.h"
#include "needle/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const pipeline_type *type;
    const pcfg_component *cfg;
    void *state;
    int built;
} pcomp;

typedef struct {
    const pcfg_node *cfg;
    pcomp *comp;
    size_t *inputs;   /* node indices; none when the input is Query */
    size_t n_inputs;
} pnode;

struct pipeline {
    pipeline_config cfg;
    pcomp *comps;     /* one per component of the file */
    pnode *nodes;     /* one per node of the chosen pipeline, in file order */
    size_t n_nodes;
    size_t sink;      /* the node whose output is the pipeline's */
    pstore *store;    /* the first store built: the one the server's endpoints use */
};

static const pipeline_type *const types[] = {&pipeline_type_sqlite_store, &pipeline_type_sql_store, &pipeline_type_bm25,
                                             &pipeline_type_embedding_retriever, &pipeline_type_dpr, &pipeline_type_join,
                                             &pipeline_type_st_ranker, &pipeline_type_docs2answers,
                                             &pipeline_type_farm_reader, &pipeline_type_transformers_reader};

static int type_find(const pipeline_config *cfg, const pcfg_component *c, const pipeline_type **out) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i]->name, c->type)) return *out = types[i], 0;
    char where[512];
    pipeline_config_where(cfg, c->item, where, sizeof where);
    char known[512] = "";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t used = strlen(known);
        snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", types[i]->name);
    }
    return error_set(NEEDLE_EFORMAT, "%s: component '%s': unknown type '%s' (types: %s)", where, c->name, c->type, known);
}

static int comp_build(pipeline *p, pcomp *c, size_t n_inputs) {
    if (c->built) return 0;
    pbuild b = {p, &p->cfg, c->cfg, n_inputs, ""};
    char where[300];
    pipeline_config_where(&p->cfg, c->cfg->item, where, sizeof where);
    snprintf(b.origin, sizeof b.origin, "%s: component '%s' (%s)", where, c->cfg->name, c->cfg->type);
    int rc = c->type->create(&b, &c->state);
    if (rc) return rc;
    c->built = 1;
    if (c->type->role == PROLE_STORE && !p->store) p->store = c->state;
    return 0;
}

int pbuild_store(pbuild *b, const char *key, pstore **out) {
    const char *name = NULL;
    int rc = pbuild_string(b, key, 0, &name);
    if (rc) return rc;
    if (!name) name = "DocumentStore";
    pipeline *p = b->p;
    for (size_t i = 0; i < p->cfg.n_components; i++) {
        pcomp *c = &p->comps[i];
        if (strcmp(c->cfg->name, name)) continue;
        if (c->type->role != PROLE_STORE)
            return pbuild_error(b, key, NEEDLE_EFORMAT, "component '%s' is a %s, not a document store", name, c->cfg->type);
        if ((rc = comp_build(p, c, 0))) return rc;
        *out = c->state;
        return 0;
    }
    return pbuild_error(b, key, NEEDLE_EFORMAT, "no component named '%s' (a document store such as SQLiteDocumentStore)", name);
}

static int node_fail(const pipeline *p, const pnode *n, const char *msg, const char *arg) {
    char where[512];
    pipeline_config_where(&p->cfg, n->cfg->item, where, sizeof where);
    return error_set(NEEDLE_EFORMAT, "%s: node '%s' (%s): %s%s", where, n->cfg->name, n->comp->cfg->type, msg, arg ? arg : "");
}

/* Inputs by role: retrievers read the Query; joins two or more document lists; rankers and
 * readers one. */
static int node_wire(pipeline *p, size_t i) {
    pnode *n = &p->nodes[i];
    const pcfg_node *cn = n->cfg;
    pipeline_role role = n->comp->type->role;
    if (role == PROLE_STORE) return node_fail(p, n, "a document store is not a node of a query pipeline", NULL);
    if (!(n->inputs = calloc(cn->n_inputs, sizeof *n->inputs))) return error_set(NEEDLE_ENOMEM, "out of memory");
    for (size_t k = 0; k < cn->n_inputs; k++) {
        const char *in = cn->inputs[k];
        if (!strcmp(in, "Query")) {
            if (role != PROLE_RETRIEVER) return node_fail(p, n, "takes documents, not the Query: give it a retriever as input", NULL);
            continue;
        }
        if (role == PROLE_RETRIEVER) return node_fail(p, n, "a retriever takes the Query as its input, not ", in);
        size_t j = 0;
        while (strcmp(p->nodes[j].cfg->name, in)) j++;
        if (p->nodes[j].comp->type->role == PROLE_ANSWERS) return node_fail(p, n, "takes documents, and this input gives answers: ", in);
        n->inputs[n->n_inputs++] = j;
    }
    if (role == PROLE_RETRIEVER && cn->n_inputs != 1) return node_fail(p, n, "a retriever has one input, Query", NULL);
    if (role == PROLE_JOIN && n->n_inputs < 2) return node_fail(p, n, "joins two or more document lists: give it several inputs", NULL);
    if ((role == PROLE_ANSWERS || role == PROLE_RANKER) && n->n_inputs != 1)
        return node_fail(p, n, "reads one list of documents: give it one input", NULL);
    return 0;
}

static int find_sink(pipeline *p) {
    size_t n_sinks = 0;
    char names[512] = "";
    for (size_t i = 0; i < p->n_nodes; i++) {
        int feeds = 0;
        for (size_t j = i + 1; j < p->n_nodes && !feeds; j++)
            for (size_t k = 0; k < p->nodes[j].n_inputs; k++) feeds |= p->nodes[j].inputs[k] == i;
        if (feeds) continue;
        p->sink = i;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s'%s'", n_sinks++ ? ", " : "", p->nodes[i].cfg->name);
    }
    if (n_sinks == 1) return 0;
    char where[512];
    pipeline_config_where(&p->cfg, p->nodes[0].cfg->item, where, sizeof where);
    return error_set(NEEDLE_EFORMAT, "%s: pipeline '%s' ends in several nodes (%s): every node but the last should be "
                     "the input of another", where, p->cfg.pipeline_name, names);
}

static int pipeline_build(pipeline *p) {
    const pipeline_config *cfg = &p->cfg;
    p->comps = calloc(cfg->n_components, sizeof *p->comps);
    p->nodes = calloc(cfg->n_nodes, sizeof *p->nodes);
    if (!p->comps || !p->nodes) return error_set(NEEDLE_ENOMEM, "out of memory building the pipeline");
    p->n_nodes = cfg->n_nodes;
    int rc = 0;
    for (size_t i = 0; i < cfg->n_components; i++) p->comps[i].cfg = &cfg->components[i];
    for (size_t i = 0; i < cfg->n_nodes && !rc; i++) {
        pnode *n = &p->nodes[i];
        n->cfg = &cfg->nodes[i];
        n->comp = &p->comps[n->cfg->component];
        rc = type_find(cfg, n->comp->cfg, &n->comp->type);
        if (!rc) rc = node_wire(p, i);
    }
    if (!rc) rc = find_sink(p);
    /* The components that are not nodes (stores, and any the pipeline does not use). */
    for (size_t i = 0; i < cfg->n_components && !rc; i++) {
        pcomp *c = &p->comps[i];
        if (!c->type && (rc = type_find(cfg, c->cfg, &c->type))) break;
    }
    for (size_t i = 0; i < cfg->n_nodes && !rc; i++) rc = comp_build(p, p->nodes[i].comp, p->nodes[i].n_inputs);
    if (!rc && !p->store) rc = error_set(NEEDLE_EFORMAT, "%s: pipeline '%s' uses no document store", cfg->doc.origin, cfg->pipeline_name);
    return rc;
}

static int open_config(pipeline **out, pipeline *p, int rc) {
    *out = NULL;
    if (!rc) rc = pipeline_build(p);
    if (rc) {
        pipeline_close(p);
        return rc;
    }
    *out = p;
    return 0;
}

int pipeline_open_file(pipeline **out, const char *path, const char *name) {
    pipeline *p = calloc(1, sizeof *p);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory");
    return open_config(out, p, pipeline_config_load(path, name, &p->cfg));
}

int pipeline_open_store(pipeline **out, const char *store_path) {
    pipeline *p = calloc(1, sizeof *p);
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    strbuf_puts(&sb, "components:\n  - {name: DocumentStore, type: SQLiteDocumentStore, params: {create: true, path: ");
    jsonw_string(&w, store_path);
    strbuf_puts(&sb, "}}\n  - {name: Retriever, type: BM25Retriever, params: {document_store: DocumentStore}}\n"
                     "pipelines:\n  - {name: query, nodes: [{name: Retriever, inputs: [Query]}]}\n");
    int rc = p && !w.err && sb.data ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = pipeline_config_parse(sb.data, sb.len, "--store", ".", NULL, &p->cfg);
    strbuf_free(&sb);
    if (!p) return rc;
    return open_config(out, p, rc);
}

void pipeline_close(pipeline *p) {
    if (!p) return;
    /* Nodes first (they hold references into stores), then the stores. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; p->comps && i < p->cfg.n_components; i++) {
            pcomp *c = &p->comps[i];
            if (!c->built || (c->type->role == PROLE_STORE) != pass) continue;
            c->type->destroy(c->state);
            c->built = 0;
        }
    for (size_t i = 0; p->nodes && i < p->n_nodes; i++) free(p->nodes[i].inputs);
    free(p->nodes);
    free(p->comps);
    pipeline_config_free(&p->cfg);
    free(p);
}

size_t pipeline_node_count(const pipeline *p) { return p->n_nodes; }
const char *pipeline_node_name(const pipeline *p, size_t i) { return p->nodes[i].cfg->name; }
const char *pipeline_node_type(const pipeline *p, size_t i) { return p->nodes[i].comp->type->name; }
int pipeline_node_gives_answers(const pipeline *p, size_t i) { return p->nodes[i].comp->type->role == PROLE_ANSWERS; }

static int takes(const pnode *n, const char *key) {
    for (const char *const *k = n->comp->type->run_params; k && *k; k++)
        if (!strcmp(*k, key)) return 1;
    return 0;
}

int pipeline_node_takes(const pipeline *p, size_t i, const char *param) { return takes(&p->nodes[i], param); }

docstore *pipeline_docstore(pipeline *p) { return pstore_writer(p->store); }
void pipeline_lock(pipeline *p) { pstore_lock(p->store); }
void pipeline_unlock(pipeline *p) { pstore_unlock(p->store); }
int pipeline_reader(pipeline *p, docstore **ds) { return pstore_reader(p->store, ds); }
void pipeline_reader_done(pipeline *p, docstore *ds) { pstore_reader_done(p->store, ds); }

int pipeline_set_durable(pipeline *p) {
    int rc = 0;
    for (size_t i = 0; i < p->cfg.n_components && !rc; i++) {
        if (p->comps[i].type->role != PROLE_STORE || !p->comps[i].built) continue;
        pstore *s = p->comps[i].state;
        pstore_lock(s);
        rc = docstore_set_durable(pstore_writer(s), 1);
        pstore_unlock(s);
    }
    return rc;
}

/* ---- params ---- */

/* Route Haystack's params: node_params[i] gets node i's own params and the globals it takes
 * (as references into `params`; the node's own value wins). */
static int params_route(const pipeline *p, const cJSON *params, cJSON **node_params) {
    if (params && !cJSON_IsNull(params) && !cJSON_IsObject(params)) return error_set(NEEDLE_EINVAL, "params should be an object");
    for (const cJSON *it = params ? params->child : NULL; it; it = it->next) {
        const char *k = it->string;
        size_t i = 0;
        while (i < p->n_nodes && strcmp(p->nodes[i].cfg->name, k)) i++;
        if (i < p->n_nodes) {
            if (!cJSON_IsObject(it)) return error_set(NEEDLE_EINVAL, "params: \"%s\" should be an object", k);
            for (const cJSON *q = it->child; q; q = q->next)
                if (!takes(&p->nodes[i], q->string))
                    return error_set(NEEDLE_EINVAL, "params.%s: unknown parameter \"%s\" for a %s", k, q->string,
                                     p->nodes[i].comp->type->name);
            continue;
        }
        if (!strcmp(k, "Retriever") || !strcmp(k, "Reader")) {
            if (!cJSON_IsObject(it)) return error_set(NEEDLE_EINVAL, "params: \"%s\" should be an object", k);
            continue;
        }
        int taken = 0;
        for (size_t j = 0; j < p->n_nodes && !taken; j++) taken = takes(&p->nodes[j], k);
        if (!taken) {
            char nodes[512] = "";
            for (size_t j = 0; j < p->n_nodes; j++) {
                size_t used = strlen(nodes);
                snprintf(nodes + used, sizeof nodes - used, "%s%s", j ? ", " : "", p->nodes[j].cfg->name);
            }
            return error_set(NEEDLE_EINVAL, "params: no node or global parameter named \"%s\" in this pipeline (nodes: %s)", k, nodes);
        }
    }
    for (size_t i = 0; i < p->n_nodes; i++) {
        node_params[i] = NULL;
        const cJSON *own = params ? cJSON_GetObjectItemCaseSensitive(params, p->nodes[i].cfg->name) : NULL;
        for (const cJSON *it = params ? params->child : NULL; it; it = it->next) {
            const cJSON *v = it;
            if (it == own) continue;
            if (!takes(&p->nodes[i], it->string)) continue;
            if (own && cJSON_GetObjectItemCaseSensitive(own, it->string)) continue;
            if (!node_params[i] && !(node_params[i] = cJSON_CreateObject())) return error_set(NEEDLE_ENOMEM, "out of memory");
            if (!cJSON_AddItemReferenceToObject(node_params[i], it->string, (cJSON *)v)) return error_set(NEEDLE_ENOMEM, "out of memory");
        }
        for (const cJSON *q = own ? own->child : NULL; q; q = q->next) {
            if (!node_params[i] && !(node_params[i] = cJSON_CreateObject())) return error_set(NEEDLE_ENOMEM, "out of memory");
            if (!cJSON_AddItemReferenceToObject(node_params[i], q->string, (cJSON *)q)) return error_set(NEEDLE_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* ---- running ---- */

static int run_graph(pipeline *p, const char *query, const cJSON *params, size_t start, const pipeline_output *start_docs,
                     pipeline_result *res) {
    memset(res, 0, sizeof *res);
    size_t n = p->n_nodes;
    cJSON **np = calloc(n, sizeof *np);
    pipeline_output *outs = calloc(n, sizeof *outs);
    int *ran = calloc(n, sizeof *ran);
    const pipeline_output **ins = calloc(n ? n : 1, sizeof *ins);
    int rc = np && outs && ran && ins ? 0 : error_set(NEEDLE_ENOMEM, "out of memory running the pipeline");
    if (!rc) rc = params_route(p, params, np);
    for (size_t i = start; i < n && !rc; i++) {
        pnode *node = &p->nodes[i];
        size_t n_in = 0;
        int downstream = i == start;
        for (size_t k = 0; k < node->n_inputs; k++) {
            downstream |= ran[node->inputs[k]];
            ins[n_in++] = &outs[node->inputs[k]];
        }
        if (!downstream && !(start == 0 && !start_docs)) continue;
        if (i == start && start_docs) {
            ins[0] = start_docs;
            n_in = 1;
        }
        char origin[300];
        snprintf(origin, sizeof origin, "params.%s", node->cfg->name);
        prun r = {query, np[i], origin, ins, n_in};
        outs[i].node = node->cfg->name;
        outs[i].type = node->comp->type->name;
        outs[i].gives_answers = node->comp->type->role == PROLE_ANSWERS;
        rc = node->comp->type->run(node->comp->state, &r, &outs[i]);
        ran[i] = 1;
    }
    if (!rc && !ran[p->sink])
        rc = error_set(NEEDLE_EINVAL, "node '%s' does not lead to the end of the pipeline ('%s')", p->nodes[start].cfg->name,
                       p->nodes[p->sink].cfg->name);
    if (!rc) {
        res->nodes = calloc(n, sizeof *res->nodes);
        if (!res->nodes) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n && outs; i++) {
        if (!ran[i]) continue;
        if (rc) {
            pipeline_output_free(&outs[i]);
            continue;
        }
        if (i == p->sink) res->final = &res->nodes[res->n];
        res->nodes[res->n++] = outs[i];
    }
    if (rc) {
        free(res->nodes);
        memset(res, 0, sizeof *res);
    }
    for (size_t i = 0; np && i < n; i++) cJSON_Delete(np[i]);
    free(np);
    free(outs);
    free(ran);
    free(ins);
    return rc;
}

int pipeline_query(pipeline *p, const char *query, const cJSON *params, pipeline_result *out) {
    return run_graph(p, query, params, 0, NULL, out);
}

int pipeline_query_from(pipeline *p, const char *node, const char *query, const pipeline_doc *docs, size_t n_docs,
                        const cJSON *params, pipeline_result *out) {
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < p->n_nodes && strcmp(p->nodes[i].cfg->name, node)) i++;
    if (i == p->n_nodes) return error_set(NEEDLE_EINVAL, "no node named '%s' in the pipeline", node);
    if (p->nodes[i].comp->type->role == PROLE_RETRIEVER) return error_set(NEEDLE_EINVAL, "node '%s' reads the Query, not documents", node);
    pipeline_output given = {0};
    size_t cap = 0;
    int rc = 0;
    for (size_t k = 0; k < n_docs && !rc; k++) {
        pipeline_doc d;
        rc = pipeline_doc_copy(&d, &docs[k]);
        if (!rc) rc = pipeline_output_add_doc(&given, &d, &cap);
    }
    if (!rc) rc = run_graph(p, query, params, i, &given, out);
    pipeline_output_free(&given);
    return rc;
}

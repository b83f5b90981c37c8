/* pipeline_yaml.c — reading a pipeline file (Haystack 1.x's layout) and checking its
 * structure before anything is built:
 *
 *   version: '1.x'                      # optional; a string or a number
 *   components:                         # each {name, type, params?}; names unique
 *     - name: DocumentStore
 *       type: SQLiteDocumentStore
 *       params: {path: store.db}
 *     - name: Retriever
 *       type: BM25Retriever
 *       params: {document_store: DocumentStore, top_k: 10}
 *   pipelines:                          # each {name, nodes: [{name, inputs}]}
 *     - name: query
 *       nodes:
 *         - {name: Retriever, inputs: [Query]}
 *
 * Every message names the file and the line of the entry at fault (yaml.h keeps positions),
 * and the component or node involved, so a user can go straight to the mistake. */
#include "pipeline_internal.h"
#include "needle/array.h"
#include "needle/error.h"
#include "needle/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pipeline_config_where(const pipeline_config *cfg, const cJSON *item, char *buf, size_t size) {
    int line = item ? yaml_line(&cfg->doc, item) : 0;
    if (line) snprintf(buf, size, "%s:%d", cfg->doc.origin, line);
    else snprintf(buf, size, "%s", cfg->doc.origin);
    return buf;
}

static int fail_at(const pipeline_config *cfg, const cJSON *item, const char *fmt, const char *a, const char *b) {
    char where[512];
    pipeline_config_where(cfg, item, where, sizeof where);
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return error_set(NEEDLE_EFORMAT, "%s: %s", where, msg);
}

/* A member that must be a non-empty string. */
static int string_member(const pipeline_config *cfg, const cJSON *obj, const char *key, const char *what,
                         const char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return fail_at(cfg, obj, "%s has no \"%s\"", what, key);
    if (!cJSON_IsString(v) || !v->valuestring[0]) return fail_at(cfg, v, "%s: \"%s\" should be a non-empty string", what, key);
    *out = v->valuestring;
    return 0;
}

static int only_keys(const pipeline_config *cfg, const cJSON *obj, const char *const *keys, const char *what) {
    for (const cJSON *m = obj->child; m; m = m->next) {
        int ok = 0;
        for (const char *const *k = keys; *k && !ok; k++) ok = !strcmp(m->string, *k);
        if (!ok) return fail_at(cfg, m, "%s: unknown key \"%s\"", what, m->string);
    }
    return 0;
}

static int read_components(pipeline_config *cfg, const cJSON *list) {
    static const char *const keys[] = {"name", "type", "params", NULL};
    if (!cJSON_IsArray(list) || !list->child) return fail_at(cfg, list, "\"components\" should be a non-empty list%s%s", NULL, NULL);
    size_t cap = 0;
    for (const cJSON *c = list->child; c; c = c->next) {
        if (!cJSON_IsObject(c)) return fail_at(cfg, c, "each component should be a mapping with name, type and params%s%s", NULL, NULL);
        pcfg_component pc = {NULL, NULL, NULL, c};
        int rc = string_member(cfg, c, "name", "component", &pc.name);
        char what[300];
        if (!rc) {
            snprintf(what, sizeof what, "component '%s'", pc.name);
            rc = string_member(cfg, c, "type", what, &pc.type);
        }
        if (!rc) rc = only_keys(cfg, c, keys, what);
        if (rc) return rc;
        pc.params = cJSON_GetObjectItemCaseSensitive(c, "params");
        if (pc.params && cJSON_IsNull(pc.params)) pc.params = NULL;
        if (pc.params && !cJSON_IsObject(pc.params)) return fail_at(cfg, pc.params, "%s: \"params\" should be a mapping%s", what, NULL);
        for (size_t i = 0; i < cfg->n_components; i++) {
            if (strcmp(cfg->components[i].name, pc.name)) continue;
            char first[64];
            snprintf(first, sizeof first, "%d", yaml_line(&cfg->doc, cfg->components[i].item));
            return fail_at(cfg, c, "component '%s' is defined twice (first at line %s)", pc.name, first);
        }
        if (array_grow((void **)&cfg->components, &cap, cfg->n_components, sizeof *cfg->components)) return NEEDLE_ENOMEM;
        cfg->components[cfg->n_components++] = pc;
    }
    return 0;
}

static const cJSON *choose_pipeline(pipeline_config *cfg, const cJSON *list, const char *name, int *rc) {
    *rc = 0;
    if (!cJSON_IsArray(list) || !list->child) {
        *rc = fail_at(cfg, list, "\"pipelines\" should be a non-empty list%s%s", NULL, NULL);
        return NULL;
    }
    const cJSON *chosen = NULL, *query = NULL;
    int count = 0;
    char names[512] = "";
    for (const cJSON *pl = list->child; pl; pl = pl->next) {
        const char *pname = NULL;
        if (!cJSON_IsObject(pl)) {
            *rc = fail_at(cfg, pl, "each pipeline should be a mapping with name and nodes%s%s", NULL, NULL);
            return NULL;
        }
        if ((*rc = string_member(cfg, pl, "name", "pipeline", &pname))) return NULL;
        count++;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s'%s'", used ? ", " : "", pname);
        if (name && !strcmp(pname, name)) chosen = pl;
        if (!strcmp(pname, "query")) query = pl;
    }
    if (name && !chosen) *rc = fail_at(cfg, list, "no pipeline named '%s' (the file has %s)", name, names);
    else if (!name && count > 1 && !query)
        *rc = fail_at(cfg, list, "the file has several pipelines (%s) and none is named 'query': choose one by name%s", names, NULL);
    if (*rc) return NULL;
    return chosen ? chosen : count == 1 ? list->child : query;
}

static int read_nodes(pipeline_config *cfg, const cJSON *pl) {
    static const char *const pkeys[] = {"name", "nodes", "type", NULL}, *const nkeys[] = {"name", "inputs", NULL};
    const char *pname = cJSON_GetObjectItemCaseSensitive(pl, "name")->valuestring;
    char what[300];
    snprintf(what, sizeof what, "pipeline '%s'", pname);
    int rc = only_keys(cfg, pl, pkeys, what);
    if (rc) return rc;
    cfg->pipeline_name = pname;
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(pl, "nodes");
    if (!cJSON_IsArray(nodes) || !nodes->child) return fail_at(cfg, nodes ? nodes : pl, "%s: \"nodes\" should be a non-empty list%s", what, NULL);
    size_t cap = 0;
    for (const cJSON *n = nodes->child; n; n = n->next) {
        if (!cJSON_IsObject(n)) return fail_at(cfg, n, "%s: each node should be a mapping with name and inputs%s", what, NULL);
        pcfg_node pn = {NULL, NULL, 0, n, 0};
        if ((rc = string_member(cfg, n, "name", "node", &pn.name))) return rc;
        snprintf(what, sizeof what, "node '%s'", pn.name);
        if ((rc = only_keys(cfg, n, nkeys, what))) return rc;
        size_t c = 0;
        while (c < cfg->n_components && strcmp(cfg->components[c].name, pn.name)) c++;
        if (c == cfg->n_components) return fail_at(cfg, n, "node '%s' is not a component defined under \"components\"%s", pn.name, NULL);
        pn.component = c;
        for (size_t i = 0; i < cfg->n_nodes; i++)
            if (!strcmp(cfg->nodes[i].name, pn.name)) return fail_at(cfg, n, "node '%s' appears twice in the pipeline%s", pn.name, NULL);
        const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(n, "inputs");
        if (!cJSON_IsArray(inputs) || !inputs->child)
            return fail_at(cfg, inputs ? inputs : n, "node '%s': \"inputs\" should be a non-empty list (e.g. [Query])%s", pn.name, NULL);
        pn.inputs = calloc((size_t)cJSON_GetArraySize(inputs), sizeof *pn.inputs);
        if (!pn.inputs) return NEEDLE_ENOMEM;
        if (array_grow((void **)&cfg->nodes, &cap, cfg->n_nodes, sizeof *cfg->nodes)) {
            free(pn.inputs);
            return NEEDLE_ENOMEM;
        }
        cfg->nodes[cfg->n_nodes++] = pn;
        pcfg_node *me = &cfg->nodes[cfg->n_nodes - 1];
        for (const cJSON *in = inputs->child; in; in = in->next) {
            if (!cJSON_IsString(in)) return fail_at(cfg, in, "node '%s': each input should be a node name or Query%s", pn.name, NULL);
            const char *iname = in->valuestring;
            if (!strcmp(iname, "File"))
                return fail_at(cfg, in, "node '%s': input File makes an indexing pipeline, which needle does not run: "
                                        "index with `needle index`%s", pn.name, NULL);
            size_t k = 0;
            while (k + 1 < cfg->n_nodes && strcmp(cfg->nodes[k].name, iname)) k++;
            if (strcmp(iname, "Query") && k + 1 >= cfg->n_nodes)
                return fail_at(cfg, in, "node '%s': input '%s' is not Query nor a node listed before it", pn.name, iname);
            for (size_t j = 0; j < me->n_inputs; j++)
                if (!strcmp(me->inputs[j], iname)) return fail_at(cfg, in, "node '%s': input '%s' is given twice", pn.name, iname);
            me->inputs[me->n_inputs++] = iname;
        }
    }
    return 0;
}

int pipeline_config_parse(const char *text, size_t len, const char *origin, const char *dir, const char *name,
                          pipeline_config *cfg) {
    static const char *const keys[] = {"version", "components", "pipelines", NULL};
    memset(cfg, 0, sizeof *cfg);
    int rc = yaml_parse(text, len, origin, &cfg->doc);
    if (rc) return rc;
    cfg->dir = strdup(dir);
    if (!cfg->dir) rc = NEEDLE_ENOMEM;
    const cJSON *root = cfg->doc.root;
    if (!rc && !cJSON_IsObject(root)) rc = fail_at(cfg, root, "a pipeline file should be a mapping with components and pipelines%s%s", NULL, NULL);
    if (!rc) rc = only_keys(cfg, root, keys, "pipeline file");
    const cJSON *version = rc ? NULL : cJSON_GetObjectItemCaseSensitive(root, "version");
    if (version && !cJSON_IsString(version) && !cJSON_IsNumber(version))
        rc = fail_at(cfg, version, "\"version\" should be a string such as '1.0'%s%s", NULL, NULL);
    const cJSON *comps = rc ? NULL : cJSON_GetObjectItemCaseSensitive(root, "components");
    const cJSON *pipes = rc ? NULL : cJSON_GetObjectItemCaseSensitive(root, "pipelines");
    if (!rc && !comps) rc = fail_at(cfg, root, "no \"components\" list%s%s", NULL, NULL);
    if (!rc && !pipes) rc = fail_at(cfg, root, "no \"pipelines\" list%s%s", NULL, NULL);
    if (!rc) rc = read_components(cfg, comps);
    const cJSON *chosen = rc ? NULL : choose_pipeline(cfg, pipes, name, &rc);
    if (!rc) rc = read_nodes(cfg, chosen);
    if (rc == NEEDLE_ENOMEM) error_set(rc, "%s: out of memory reading the pipeline", origin);
    if (rc) pipeline_config_free(cfg);
    return rc;
}

int pipeline_config_load(const char *path, const char *name, pipeline_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_all(path, &text, &len);
    if (rc) return error_prefix(rc, "reading the pipeline file: ");
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    rc = dir ? pipeline_config_parse(text, len, path, dir, name, cfg) : error_set(NEEDLE_ENOMEM, "out of memory");
    free(dir);
    free(text);
    return rc;
}

void pipeline_config_free(pipeline_config *cfg) {
    for (size_t i = 0; i < cfg->n_nodes; i++) free(cfg->nodes[i].inputs);
    free(cfg->nodes);
    free(cfg->components);
    free(cfg->dir);
    yaml_doc_free(&cfg->doc);
    memset(cfg, 0, sizeof *cfg);
}

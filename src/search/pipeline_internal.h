/* pipeline_internal.h — what the pipeline's files share: the parsed pipeline file, the
 * component types (one vtable each, in pipeline_node_*.c and pipeline_store.c), the build
 * context that reads a component's params with errors naming the file, line and component,
 * and the run context a node gets.
 *
 * A component type says what role it plays (a store is referenced by other components' params;
 * the others are nodes of the graph), which params it reads at build time (each build
 * function checks them), and which it takes at run time (`run_params`, how pipeline.c routes
 * Haystack's global and per-node params). */
#ifndef NEEDLE_PIPELINE_INTERNAL_H
#define NEEDLE_PIPELINE_INTERNAL_H

#include <cJSON.h>
#include <stddef.h>

#include "needle/pipeline.h"
#include "needle/yaml.h"

/* ---- the pipeline file ---- */

typedef struct {
    const char *name, *type;  /* strings inside doc */
    const cJSON *params;      /* an object, or NULL when the component has none */
    const cJSON *item;        /* the component's entry, for its line */
} pcfg_component;

typedef struct {
    const char *name;
    const char **inputs;      /* strings inside doc */
    size_t n_inputs;
    const cJSON *item;
    size_t component;         /* index into components */
} pcfg_node;

typedef struct {
    yaml_doc doc;
    char *dir;                /* the file's directory: relative paths are resolved against it */
    pcfg_component *components;
    size_t n_components;
    const char *pipeline_name;
    pcfg_node *nodes;         /* the chosen pipeline's nodes, in file order */
    size_t n_nodes;
} pipeline_config;

/* Read and check the structure of a pipeline file: version, components (unique names, a
 * type each, params an object), the pipeline `name` (NULL: the only one, else "query"), its
 * nodes (each a component, inputs "Query" or a node defined before it, names unique).
 * Component types and params are checked when the components are built. */
int pipeline_config_load(const char *path, const char *name, pipeline_config *cfg);
/* The same from text; `origin` names it and `dir` resolves its relative paths. */
int pipeline_config_parse(const char *text, size_t len, const char *origin, const char *dir, const char *name,
                          pipeline_config *cfg);
void pipeline_config_free(pipeline_config *cfg);
/* "FILE:LINE" of an item of the file (just FILE when the line is unknown), into buf. */
const char *pipeline_config_where(const pipeline_config *cfg, const cJSON *item, char *buf, size_t size);

/* ---- component types ---- */

typedef enum {
    PROLE_STORE,     /* referenced by the params of other components; not a node */
    PROLE_RETRIEVER, /* input: Query; output: documents */
    PROLE_JOIN,      /* inputs: two or more document outputs; output: documents */
    PROLE_RANKER,    /* input: one document output; output: documents (reordered, cut) */
    PROLE_ANSWERS,   /* input: one document output; output: answers (and its input documents) */
} pipeline_role;

typedef struct pbuild pbuild;
typedef struct prun prun;

typedef struct {
    const char *name;                 /* the type as written in the file: "BM25Retriever" */
    pipeline_role role;
    const char *const *run_params;    /* NULL-terminated: params the node takes per query */
    int (*create)(pbuild *b, void **state);
    /* Fill out->docs / out->answers from r (the caller set out->node, type, gives_answers). */
    int (*run)(void *state, const prun *r, pipeline_output *out);
    void (*destroy)(void *state);
} pipeline_type;

extern const pipeline_type pipeline_type_sqlite_store, pipeline_type_sql_store, pipeline_type_bm25,
    pipeline_type_join, pipeline_type_docs2answers, pipeline_type_farm_reader, pipeline_type_transformers_reader,
    pipeline_type_embedding_retriever, pipeline_type_dpr, pipeline_type_st_ranker;

/* ---- building a component ---- */

typedef struct pstore pstore; /* a built document store (pipeline_store.c) */

struct pbuild {
    pipeline *p;
    const pipeline_config *cfg;
    const pcfg_component *comp;
    size_t n_inputs;          /* the node's inputs (0 for a store) */
    char origin[512];         /* "FILE:LINE: component 'NAME' (TYPE)" */
};

/* Fail unless every param of the component is in `known` (NULL-terminated); params in
 * `ignored` (Haystack's that mean nothing here: use_gpu, progress_bar, ...) get a warning. */
int pbuild_check_params(pbuild *b, const char *const *known, const char *const *ignored);
/* Typed params with defaults; a wrong type or a value outside [lo, hi] fails naming the file,
 * the param's line and the component. */
int pbuild_int(pbuild *b, const char *key, long long dflt, long long lo, long long hi, long long *out);
int pbuild_double(pbuild *b, const char *key, double dflt, double *out);
int pbuild_bool(pbuild *b, const char *key, int dflt, int *out);
/* A string param (NULL when absent and `required` is 0); the string lives as long as the config. */
int pbuild_string(pbuild *b, const char *key, int required, const char **out);
/* A path param resolved against the file's directory (malloc'ed). */
int pbuild_path(pbuild *b, const char *key, int required, char **out);
/* The param's own value node (NULL when absent). */
const cJSON *pbuild_param(const pbuild *b, const char *key);
/* An error about param `key` of the component being built (printf-style detail). */
int pbuild_error(const pbuild *b, const char *key, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The store component named by param `key` (default "DocumentStore"), built on first use. */
int pbuild_store(pbuild *b, const char *key, pstore **out);

/* ---- stores (pipeline_store.c) ---- */

int pstore_reader(pstore *s, docstore **ds);
void pstore_reader_done(pstore *s, docstore *ds);
docstore *pstore_writer(pstore *s);
void pstore_lock(pstore *s);
void pstore_unlock(pstore *s);

/* ---- running a node ---- */

struct prun {
    const char *query;
    const cJSON *params;            /* this node's params (globals it takes + its own); may be NULL */
    const char *origin;             /* "params.NODE", for messages */
    const pipeline_output *const *inputs;
    size_t n_inputs;
};

/* Run params shared by several nodes, checked the same way everywhere. */
int prun_top_k(const prun *r, const char *key, long long dflt, long long *out);
/* The "filters" param as JSON text (malloc'ed; NULL when absent or null), checked by the store. */
int prun_filters(const prun *r, char **out);
/* What every retriever takes at run time: top_k, scale_score and filters, with the node's
 * defaults; *filters is malloc'ed, NULL when absent or on failure. */
int prun_retriever(const prun *r, long long top_k_dflt, int scale_dflt, long long *top_k, int *scale, char **filters);

/* Append to an output, taking ownership of *d / *a (freed on failure too). `cap` is the
 * caller's count of the array's capacity, 0 at first. */
int pipeline_output_add_doc(pipeline_output *out, pipeline_doc *d, size_t *cap);
int pipeline_output_add_answer(pipeline_output *out, pipeline_answer *a, size_t *cap);
void pipeline_output_free(pipeline_output *o);

/* ---- the reader's ranking across documents (pipeline_node_reader.c) ---- */

#include "needle/span_decode.h"

typedef struct {
    size_t doc;     /* the document */
    int rank;       /* index into that document's span_result answers; -1 for no answer */
    double score;   /* start + end logit (for no answer: Haystack's no-answer score) */
    int no_answer;
} reader_pick;

/* FARM's ranking of one query's answers over n_docs documents' decoded spans (see
 * pipeline_node_reader.c): at most top_k picks (0: all) into *out (malloc'ed). */
int pipeline_reader_rank(const span_result *docs, size_t n_docs, int top_k_per_candidate, double no_ans_boost,
                         int return_no_answer, size_t top_k, reader_pick **out, size_t *n_out);

#endif

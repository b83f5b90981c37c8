/* biencoder_io.c — opening and saving a dense retriever in the layouts users have: DPR's two
 * encoder directories, a sentence-transformers directory, or a plain HF model to start from
 * (see biencoder.h).
 *
 * Settings are resolved in one order everywhere: what the caller asks for, then needle's
 * retriever.json, then what the layout's own files say (1_Pooling/config.json, ...), then
 * the layout's defaults. A BERT-family model that becomes a DPR encoder is rebuilt as a
 * DPR model (same base tensors, no pooler), and a DPR encoder that becomes a shared encoder as
 * a BertModel, so each saves as the class its layout's loader expects. */
#include "model_internal.h"
#include "needle/biencoder.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/log.h"
#include "needle/trainer.h"
#include "needle/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRIEVER_JSON "retriever.json"
#define RETRIEVER_FORMAT "needle-retriever"
#define RETRIEVER_VERSION 1

static const char *const SIDE_DIRS[2] = {"query_encoder", "passage_encoder"};

typedef enum { DIR_PLAIN, DIR_DPR, DIR_ST } dir_kind;

static int join_exists(const char *dir, const char *name, int want_dir) {
    char *p = path_join(dir, name);
    int e = p && (want_dir ? dir_exists(p) : file_exists(p));
    free(p);
    return e;
}

/* Overlay the set fields of `top` on `base`. */
static void cfg_overlay(bienc_config *base, const bienc_config *top) {
    if (!top) return;
    if (top->layout) base->layout = top->layout;
    if (top->pooling) base->pooling = top->pooling;
    if (top->similarity) base->similarity = top->similarity;
    if (top->scale > 0) base->scale = top->scale;
    if (top->max_query_len > 0) base->max_query_len = top->max_query_len;
    if (top->max_passage_len > 0) base->max_passage_len = top->max_passage_len;
    if (top->passage_input) base->passage_input = top->passage_input;
}

/* ---------------------------------------------------------------- reading settings */

static int read_retriever_json(const char *dir, bienc_config *c) {
    char *path = path_join(dir, RETRIEVER_JSON);
    cJSON *j = NULL;
    const char *fmt, *layout, *pooling, *sim, *input;
    long long version, ql, pl;
    double scale;
    int rc = path ? json_load_file(path, &j) : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = json_get_string(j, "format", path, &fmt);
    if (!rc && strcmp(fmt, RETRIEVER_FORMAT)) rc = error_set(NEEDLE_EFORMAT, "%s: \"format\" is '%s', not '%s'", path, fmt, RETRIEVER_FORMAT);
    if (!rc) rc = json_get_int(j, "version", path, &version);
    if (!rc && version != RETRIEVER_VERSION)
        rc = error_set(NEEDLE_EFORMAT, "%s: version %lld (this needle reads version %d; a newer needle wrote it?)", path, version,
                       RETRIEVER_VERSION);
    if (!rc) rc = json_get_string(j, "layout", path, &layout);
    if (!rc) rc = json_get_string(j, "pooling", path, &pooling);
    if (!rc) rc = json_get_string(j, "similarity", path, &sim);
    if (!rc) rc = json_get_string(j, "passage_input", path, &input);
    if (!rc) rc = json_get_double(j, "scale", path, &scale);
    if (!rc) rc = json_get_int(j, "max_query_length", path, &ql);
    if (!rc) rc = json_get_int(j, "max_passage_length", path, &pl);
    if (!rc && (bienc_layout_parse(layout, &c->layout) || bienc_pooling_parse(pooling, &c->pooling) ||
                bienc_similarity_parse(sim, &c->similarity) || bienc_input_parse(input, &c->passage_input)))
        rc = error_prefix(NEEDLE_EFORMAT, "%s: ", path);
    if (!rc && (ql < 1 || pl < 1 || !(scale > 0)))
        rc = error_set(NEEDLE_EFORMAT, "%s: lengths and scale must be positive", path);
    if (!rc) {
        c->scale = scale;
        c->max_query_len = (int)ql;
        c->max_passage_len = (int)pl;
    }
    cJSON_Delete(j);
    free(path);
    return rc;
}

/* sentence-transformers: the Transformer module's path, the pooling mode, the similarity and
 * max_seq_length. */
static int read_st(const char *dir, bienc_config *c, char **model_dir) {
    char *path = path_join(dir, "modules.json"), *pool_dir = NULL;
    cJSON *mods = NULL, *j = NULL;
    int rc = path ? json_load_file(path, &mods) : error_set(NEEDLE_ENOMEM, "out of memory"), normalize = 0;
    *model_dir = NULL;
    if (!rc && !cJSON_IsArray(mods)) rc = error_set(NEEDLE_EFORMAT, "%s: should be a list of modules", path);
    const cJSON *m;
    cJSON *list = rc ? NULL : mods;
    cJSON_ArrayForEach(m, list) {
        const char *type = NULL, *mpath = NULL;
        if ((rc = json_get_string(m, "type", path, &type)) || (rc = json_opt_string(m, "path", path, "", &mpath))) break;
        const char *cls = strrchr(type, '.') ? strrchr(type, '.') + 1 : type;
        if (!strcmp(cls, "Transformer") && !*model_dir) *model_dir = mpath[0] ? path_join(dir, mpath) : strdup(dir);
        else if (!strcmp(cls, "Pooling")) pool_dir = path_join(dir, mpath);
        else if (!strcmp(cls, "Normalize")) normalize = 1;
        else rc = error_set(NEEDLE_EUNSUPPORTED, "%s: module %s is not supported (Transformer, Pooling, Normalize are)", path, type);
        if (rc) break;
    }
    if (!rc && (!*model_dir || !pool_dir))
        rc = error_set(NEEDLE_EFORMAT, "%s: needs a Transformer and a Pooling module", path);
    free(path);
    path = NULL;
    if (!rc) {
        path = path_join(pool_dir, "config.json");
        rc = json_load_file(path, &j);
        int cls = 0, mean = 0, other = 0, v;
        static const char *const others[] = {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                                             "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
        if (!rc) rc = json_opt_bool(j, "pooling_mode_cls_token", path, 0, &cls);
        if (!rc) rc = json_opt_bool(j, "pooling_mode_mean_tokens", path, 0, &mean);
        for (size_t i = 0; i < 4 && !rc; i++)
            if (!(rc = json_opt_bool(j, others[i], path, 0, &v)) && v) other = 1;
        if (!rc && (other || cls + mean != 1))
            rc = error_set(NEEDLE_EUNSUPPORTED, "%s: only one of CLS or mean pooling is supported", path);
        if (!rc) c->pooling = cls ? BIENC_POOL_CLS : BIENC_POOL_MEAN;
        cJSON_Delete(j);
        j = NULL;
        free(path);
        path = NULL;
    }
    if (!rc && join_exists(dir, "config_sentence_transformers.json", 0)) {
        path = path_join(dir, "config_sentence_transformers.json");
        const char *sim;
        rc = json_load_file(path, &j);
        if (!rc) rc = json_opt_string(j, "similarity_fn_name", path, "cosine", &sim);
        if (!rc && !strcmp(sim, "cosine")) c->similarity = BIENC_SIM_COSINE;
        else if (!rc && (!strcmp(sim, "dot") || !strcmp(sim, "dot_product"))) c->similarity = BIENC_SIM_DOT;
        else if (!rc) rc = error_set(NEEDLE_EUNSUPPORTED, "%s: similarity '%s' is not supported (cosine, dot)", path, sim);
        cJSON_Delete(j);
        j = NULL;
        free(path);
        path = NULL;
    }
    if (!rc && normalize) c->similarity = BIENC_SIM_COSINE;
    if (!rc && !c->similarity) c->similarity = BIENC_SIM_COSINE;
    if (!rc && join_exists(dir, "sentence_bert_config.json", 0)) {
        path = path_join(dir, "sentence_bert_config.json");
        long long len;
        rc = json_load_file(path, &j);
        if (!rc) rc = json_opt_int(j, "max_seq_length", path, 0, &len);
        if (!rc && len > 0) c->max_query_len = c->max_passage_len = (int)len;
        cJSON_Delete(j);
        free(path);
        path = NULL;
    }
    c->layout = BIENC_SHARED;
    c->passage_input = BIENC_INPUT_CONCAT;
    free(path);
    free(pool_dir);
    cJSON_Delete(mods);
    if (rc) {
        free(*model_dir);
        *model_dir = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------- models */

/* Rebuild `m` under another configuration of the same encoder (the base tensors copied by
 * their names inside the base model), e.g. a BERT checkpoint as a DPR encoder. */
static int rebuild(model *m, model_config c) {
    int rc = model_config_check(&c, "converting the encoder");
    if (rc) return rc;
    c.json = m->cfg.json ? cJSON_Duplicate(m->cfg.json, 1) : NULL;
    model n;
    if ((rc = model_setup(&n, &c))) return rc; /* zeroed parameters, every one overwritten below */
    for (int i = 0; i < n.n_params && !rc; i++) {
        model_param *p = &n.params[i];
        const char *base = p->name + p->base_len;
        model_param *src = NULL;
        for (int k = 0; k < m->n_params && !src; k++)
            if (m->params[k].in_base && !strcmp(m->params[k].name + m->params[k].base_len, base)) src = &m->params[k];
        if (!src || src->numel != p->numel) rc = error_set(NEEDLE_EFORMAT, "converting the encoder: no tensor '%s'", base);
        else memcpy(p->data, src->data, p->numel * sizeof *p->data);
    }
    if (rc) {
        model_free(&n);
        return rc;
    }
    model_free(m);
    *m = n;
    return 0;
}

/* A BERT-family encoder as a DPR question (context 0) or context (1) encoder: what
 * transformers' DPR classes hold, the pooler dropped. */
static int to_dpr(model *m, int context) {
    model_config c = m->cfg;
    c.family = MODEL_DPR;
    c.dpr_context = context;
    c.head = MODEL_HEAD_ENCODER;
    c.projection_dim = 0;
    c.has_pooler = 0;
    snprintf(c.model_type, sizeof c.model_type, "dpr");
    return rebuild(m, c);
}

/* A DPR encoder (without projection) as the plain BertModel sentence-transformers loads. */
static int dpr_to_bert(model *m) {
    model_config c = m->cfg;
    c.family = MODEL_BERT;
    c.dpr_context = 0;
    c.head = MODEL_HEAD_ENCODER;
    c.has_pooler = 0;
    snprintf(c.model_type, sizeof c.model_type, "bert");
    return rebuild(m, c);
}

static int load_side(biencoder *b, int side, const char *dir, uint64_t seed) {
    int rc = model_load(&b->enc[side], dir, MODEL_HEAD_ENCODER, 0, seed);
    if (rc) return rc;
    rc = tokenizer_load(dir, &b->tok[side]);
    if (rc == NEEDLE_ENOTFOUND) {
        log_warn("%s: no tokenizer files; texts cannot be encoded with this encoder", dir);
        return 0;
    }
    if (!rc && !(b->tok_dir[side] = strdup(dir))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    return rc;
}

static void fill_defaults(bienc_config *c) {
    int dpr = c->layout == BIENC_DPR;
    if (!c->pooling) c->pooling = dpr ? BIENC_POOL_POOLER : BIENC_POOL_MEAN;
    if (!c->similarity) c->similarity = dpr ? BIENC_SIM_DOT : BIENC_SIM_COSINE;
    if (!(c->scale > 0)) c->scale = c->similarity == BIENC_SIM_COSINE ? 20.0 : 1.0;
    if (!c->passage_input) c->passage_input = dpr ? BIENC_INPUT_PAIR : BIENC_INPUT_CONCAT;
    if (c->max_query_len < 1) c->max_query_len = 64;
    if (c->max_passage_len < 1) c->max_passage_len = 256;
}

/* Settings that only make sense together, and lengths the position table can hold. */
static int finish(biencoder *b, const char *dir) {
    bienc_config *c = &b->cfg;
    model *m = &b->enc[0];
    int positions = m->cfg.P - m->cfg.pos_offset;
    if (c->pooling == BIENC_POOL_POOLER && !model_pooled_dim(m))
        return error_set(NEEDLE_EINVAL, "%s: pooling 'pooler', but this %s model has no pooler (use cls or mean)", dir,
                         m->cfg.model_type);
    if (c->layout == BIENC_DPR && biencoder_dim(b) != (c->pooling == BIENC_POOL_POOLER ? model_pooled_dim(&b->enc[1]) : b->enc[1].cfg.C))
        return error_set(NEEDLE_EFORMAT, "%s: the query and passage encoders embed into different sizes", dir);
    int *lens[2] = {&c->max_query_len, &c->max_passage_len};
    for (int i = 0; i < 2; i++)
        if (*lens[i] > positions) {
            log_info("%s: %s length %d cut to the model's %d positions", dir, i ? "passage" : "query", *lens[i], positions);
            *lens[i] = positions;
        }
    return 0;
}

int biencoder_open(biencoder *b, const char *dir, const bienc_config *want, uint64_t seed) {
    memset(b, 0, sizeof *b);
    bienc_config c = {0};
    dir_kind kind;
    char *st_model = NULL, *sub[2] = {path_join(dir, SIDE_DIRS[0]), path_join(dir, SIDE_DIRS[1])};
    int rc = 0;
    if (!sub[0] || !sub[1]) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    if (dir_exists(sub[0]) && dir_exists(sub[1])) kind = DIR_DPR;
    else if (join_exists(dir, "modules.json", 0)) kind = DIR_ST;
    else if (join_exists(dir, "config.json", 0)) kind = DIR_PLAIN;
    else {
        rc = error_set(NEEDLE_ENOTFOUND, "%s: not a model directory (no config.json, modules.json, or query_encoder/ and "
                                         "passage_encoder/)", dir);
        goto done;
    }
    if (kind == DIR_DPR) c.layout = BIENC_DPR;
    if (kind == DIR_ST && (rc = read_st(dir, &c, &st_model))) goto done;
    if (join_exists(dir, RETRIEVER_JSON, 0) && (rc = read_retriever_json(dir, &c))) goto done;
    cfg_overlay(&c, want);
    if (!c.layout) c.layout = BIENC_DPR;
    const char *src[2] = {kind == DIR_DPR ? sub[0] : kind == DIR_ST ? st_model : dir,
                          kind == DIR_DPR ? sub[1] : kind == DIR_ST ? st_model : dir};
    int sides = c.layout == BIENC_DPR ? 2 : 1;
    for (int s = 0; s < sides && !rc; s++) rc = load_side(b, s, src[s], seed);
    if (rc) goto done;
    if (kind == DIR_DPR && sides == 1) log_info("%s: using the query encoder as the shared encoder", dir);
    if (c.layout == BIENC_DPR && c.pooling != BIENC_POOL_POOLER)
        for (int s = 0; s < 2 && !rc; s++)
            if (b->enc[s].cfg.family == MODEL_BERT) rc = to_dpr(&b->enc[s], s);
    if (c.layout == BIENC_SHARED && b->enc[0].cfg.family == MODEL_DPR && !b->enc[0].cfg.projection_dim)
        rc = dpr_to_bert(&b->enc[0]);
    if (rc) goto done;
    if (c.layout == BIENC_SHARED) {
        b->tok[1] = b->tok[0];
        b->tok_dir[1] = b->tok_dir[0] ? strdup(b->tok_dir[0]) : NULL;
    }
    fill_defaults(&c);
    b->cfg = c;
    rc = finish(b, dir);
done:
    free(sub[0]);
    free(sub[1]);
    free(st_model);
    if (rc) {
        biencoder_free(b);
        error_prefix(rc, "opening retriever %s: ", dir);
    }
    return rc;
}

int biencoder_from_models(biencoder *b, model *query, model *passage, const char *tokenizer_dir, const bienc_config *cfg) {
    memset(b, 0, sizeof *b);
    b->cfg = *cfg;
    b->enc[0] = *query;
    memset(query, 0, sizeof *query);
    if (passage) {
        b->enc[1] = *passage;
        memset(passage, 0, sizeof *passage);
    }
    int rc = 0;
    for (int s = 0; s < 2 && tokenizer_dir && !rc; s++) {
        if (s == 1 && cfg->layout == BIENC_SHARED) b->tok[1] = b->tok[0];
        else rc = tokenizer_load(tokenizer_dir, &b->tok[s]);
        if (!rc && !(b->tok_dir[s] = strdup(tokenizer_dir))) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (!rc) rc = finish(b, "biencoder");
    if (rc) biencoder_free(b);
    return rc;
}

void biencoder_free(biencoder *b) {
    model_free(&b->enc[0]);
    model_free(&b->enc[1]);
    if (b->tok[1] != b->tok[0]) tokenizer_free(b->tok[1]);
    tokenizer_free(b->tok[0]);
    free(b->tok_dir[0]);
    free(b->tok_dir[1]);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- saving */

static int write_json(const char *dir, const char *name, const strbuf *sb, int err) {
    if (err) return error_set(NEEDLE_ENOMEM, "out of memory");
    char *path = path_join(dir, name);
    int rc = path ? file_write_atomic(path, sb->data, sb->len) : error_set(NEEDLE_ENOMEM, "out of memory");
    free(path);
    return rc;
}

static int save_retriever_json(const biencoder *b, const char *dir) {
    const bienc_config *c = &b->cfg;
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    jsonw_object_begin(&w);
    jsonw_key(&w, "format"), jsonw_string(&w, RETRIEVER_FORMAT);
    jsonw_key(&w, "version"), jsonw_int(&w, RETRIEVER_VERSION);
    jsonw_key(&w, "layout"), jsonw_string(&w, bienc_layout_name(c->layout));
    jsonw_key(&w, "pooling"), jsonw_string(&w, bienc_pooling_name(c->pooling));
    jsonw_key(&w, "similarity"), jsonw_string(&w, bienc_similarity_name(c->similarity));
    jsonw_key(&w, "scale"), jsonw_double(&w, c->scale);
    jsonw_key(&w, "max_query_length"), jsonw_int(&w, c->max_query_len);
    jsonw_key(&w, "max_passage_length"), jsonw_int(&w, c->max_passage_len);
    jsonw_key(&w, "passage_input"), jsonw_string(&w, bienc_input_name(c->passage_input));
    jsonw_object_end(&w);
    strbuf_putc(&sb, '\n');
    int rc = write_json(dir, RETRIEVER_JSON, &sb, w.err);
    strbuf_free(&sb);
    return rc;
}

static int save_st_files(const biencoder *b, const char *dir) {
    const bienc_config *c = &b->cfg;
    strbuf sb;
    strbuf_init(&sb);
    int rc = strbuf_puts(&sb, "[\n  {\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},\n"
                              "  {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}\n]\n");
    if (!rc) rc = write_json(dir, "modules.json", &sb, 0);
    strbuf_clear(&sb);
    if (!rc) {
        strbuf_printf(&sb, "{\n  \"max_seq_length\": %d,\n  \"do_lower_case\": false\n}\n", c->max_passage_len);
        rc = write_json(dir, "sentence_bert_config.json", &sb, 0);
    }
    strbuf_clear(&sb);
    if (!rc) {
        strbuf_printf(&sb, "{\n  \"__version__\": {\"sentence_transformers\": \"3.0.0\", \"needle\": \"%s\"},\n  \"prompts\": {},\n"
                           "  \"default_prompt_name\": null,\n  \"similarity_fn_name\": \"%s\"\n}\n",
                      NEEDLE_VERSION, c->similarity == BIENC_SIM_COSINE ? "cosine" : "dot");
        rc = write_json(dir, "config_sentence_transformers.json", &sb, 0);
    }
    strbuf_clear(&sb);
    char *pool = path_join(dir, "1_Pooling");
    if (!rc) rc = pool ? dir_make(pool) : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) {
        strbuf_printf(&sb, "{\n  \"word_embedding_dimension\": %d,\n  \"pooling_mode_cls_token\": %s,\n"
                           "  \"pooling_mode_mean_tokens\": %s,\n  \"pooling_mode_max_tokens\": false,\n"
                           "  \"pooling_mode_mean_sqrt_len_tokens\": false,\n  \"pooling_mode_weightedmean_tokens\": false,\n"
                           "  \"pooling_mode_lasttoken\": false,\n  \"include_prompt\": true\n}\n",
                      b->enc[0].cfg.C, c->pooling == BIENC_POOL_CLS ? "true" : "false",
                      c->pooling == BIENC_POOL_MEAN ? "true" : "false");
        rc = write_json(pool, "config.json", &sb, 0);
    }
    free(pool);
    strbuf_free(&sb);
    return rc;
}

int biencoder_save(const biencoder *b, const char *dir) {
    const bienc_config *c = &b->cfg;
    if (c->layout == BIENC_SHARED && c->pooling == BIENC_POOL_POOLER)
        return error_set(NEEDLE_EINVAL, "saving to %s: sentence-transformers has no 'pooler' pooling; train with cls or mean", dir);
    int rc = dir_make(dir);
    if (c->layout == BIENC_DPR) {
        for (int s = 0; s < 2 && !rc; s++) {
            char *sub = path_join(dir, SIDE_DIRS[s]);
            rc = sub ? model_save(&b->enc[s], sub) : error_set(NEEDLE_ENOMEM, "out of memory");
            if (!rc && b->tok_dir[s]) rc = hf_copy_tokenizer_files(b->tok_dir[s], sub, NULL);
            free(sub);
        }
    } else {
        if (!rc) rc = model_save(&b->enc[0], dir);
        if (!rc && b->tok_dir[0]) rc = hf_copy_tokenizer_files(b->tok_dir[0], dir, NULL);
        if (!rc) rc = save_st_files(b, dir);
    }
    if (!rc) rc = save_retriever_json(b, dir);
    return rc ? error_prefix(rc, "saving retriever to %s: ", dir) : 0;
}

const char *biencoder_embedding_name(const char *dir, char *buf, size_t cap) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && dir[s - 1] != '/') s--;
    snprintf(buf, cap, "%.*s", (int)(n - s), dir + s);
    return buf;
}

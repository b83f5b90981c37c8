/* model_load.c — a model from a Hugging Face directory (config.json + safetensors), and
 * back to one.
 *
 * Checkpoints name the base encoder differently depending on the class that saved them
 * ("bert." inside BertForQuestionAnswering, nothing in BertModel, DPR's
 * "question_encoder.bert_model."), so the loader finds the prefix the file actually uses;
 * this lets a pre-trained BertForMaskedLM or a bare sentence encoder start a QA or
 * classification model, with the new head initialised as HF would. Every tensor's shape is
 * checked against config.json. Tensors needle does not use (NSP heads, a tied decoder
 * stored anyway) are skipped. Saving writes HF's names for the chosen head, the tied MLM
 * decoder only once (as the word embeddings), and config.json with "architectures". */
#include "model_internal.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *family_prefix(model_family f) {
    static const char *const p[] = {[MODEL_BERT] = "bert.", [MODEL_ROBERTA] = "roberta.", [MODEL_DISTILBERT] = "distilbert.",
                                    [MODEL_ELECTRA] = "electra.", [MODEL_DPR] = "bert."};
    return p[f];
}

/* The tensor `name` under the checkpoint's own conventions (old checkpoints say
 * LayerNorm.gamma / .beta for .weight / .bias). */
static const st_tensor *find_tensor(const safetensors *st, const char *name) {
    const st_tensor *t = safetensors_find(st, name);
    size_t n = strlen(name);
    if (t || n < 7 || n > 200 || !strstr(name, "LayerNorm.")) return t;
    char alt[256];
    if (!strcmp(name + n - 7, ".weight")) snprintf(alt, sizeof alt, "%.*s.gamma", (int)(n - 7), name);
    else if (n >= 5 && !strcmp(name + n - 5, ".bias")) snprintf(alt, sizeof alt, "%.*s.beta", (int)(n - 5), name);
    else return NULL;
    return safetensors_find(st, alt);
}

/* The prefix under which the checkpoint stores the base encoder. */
static const char *detect_prefix(const safetensors *st, const model_config *c) {
    const char *cand[3] = {model_base_prefix(c), "", family_prefix(c->family)};
    for (int i = 0; i < 3; i++) {
        char name[160];
        snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", cand[i]);
        if (safetensors_find(st, name)) return cand[i];
    }
    return NULL;
}

static int load_tensors(model *m, const safetensors *st, const char *prefix, int new_head, uint64_t seed, const char *cfg_path) {
    int fresh = 0;
    for (int i = 0; i < m->n_params; i++) {
        model_param *p = &m->params[i];
        char name[256];
        snprintf(name, sizeof name, "%s%s", p->in_base ? prefix : "", p->name + (p->in_base ? p->base_len : 0));
        const st_tensor *t = find_tensor(st, name);
        /* a new head may need the base's pooler, which a QA or MLM checkpoint lacks: HF
         * initialises it then too (BertForSequenceClassification from a QA checkpoint) */
        int head_part = !p->in_base || strstr(p->name, "pooler.dense.") != NULL;
        if (!t && head_part && new_head) {
            model_init_param(m, p, seed);
            log_debug("model: new head tensor %s initialised", p->name);
            fresh++;
            continue;
        }
        if (!t) return error_set(NEEDLE_ENOTFOUND, "%s: missing tensor '%s'", st->paths[0], name);
        int ok = t->ndim == p->ndim && t->shape[0] == p->shape[0] && (p->ndim == 1 || t->shape[1] == p->shape[1]);
        if (!ok) {
            char want[64], got[64];
            st_shape_text(want, sizeof want, p->ndim, p->shape);
            st_shape_text(got, sizeof got, t->ndim, t->shape);
            return error_set(NEEDLE_EFORMAT, "%s: tensor '%s' has shape %s but %s implies %s", safetensors_path(st, t), name,
                             got, cfg_path, want);
        }
        int rc = safetensors_read_f32(st, t, p->data);
        if (rc) return rc;
    }
    if (fresh) log_info("model: %d head tensors not in the checkpoint were initialised (seed %llu)", fresh, (unsigned long long)seed);
    if (st->n > m->n_params - fresh) log_debug("model: %d checkpoint tensors unused", st->n - (m->n_params - fresh));
    return 0;
}

int model_load(model *m, const char *dir, model_head head, int num_labels, uint64_t seed) {
    memset(m, 0, sizeof *m);
    model_config c;
    safetensors st;
    char *cfg_path = path_join(dir, "config.json");
    if (!cfg_path) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = model_config_load(&c, cfg_path);
    if (rc) { free(cfg_path); return rc; }
    int new_head = head != MODEL_HEAD_AUTO && head != c.head;
    if (new_head && c.family == MODEL_DPR) {
        model_config_free(&c);
        free(cfg_path);
        return error_set(NEEDLE_EUNSUPPORTED, "%s: a DPR encoder has no other head", dir);
    }
    if (new_head) c.head = head;
    if (num_labels > 0 && c.head == MODEL_HEAD_CLS) {
        new_head |= num_labels != c.num_labels;
        c.num_labels = num_labels;
    }
    rc = safetensors_open_dir(&st, dir);
    if (rc) { model_config_free(&c); free(cfg_path); return rc; }
    const char *prefix = detect_prefix(&st, &c);
    if (!prefix) {
        rc = error_set(NEEDLE_ENOTFOUND, "%s: missing tensor '%sembeddings.word_embeddings.weight'", st.paths[0],
                       model_base_prefix(&c));
        goto fail;
    }
    if (c.head == MODEL_HEAD_ENCODER && (c.family == MODEL_BERT || c.family == MODEL_ROBERTA)) {
        char name[160];
        snprintf(name, sizeof name, "%spooler.dense.weight", prefix);
        c.has_pooler = safetensors_find(&st, name) != NULL;
    } else {
        c.has_pooler = c.family == MODEL_BERT && c.head == MODEL_HEAD_CLS;
    }
    rc = model_setup(m, &c);
    c.json = NULL; /* owned by m now, or freed by model_setup on failure */
    if (rc) goto fail;
    rc = load_tensors(m, &st, prefix, new_head, seed, cfg_path);
    if (rc) model_free(m);
fail:
    if (rc) model_config_free(&c);
    safetensors_close(&st);
    free(cfg_path);
    return rc ? error_prefix(rc, "loading model %s: ", dir) : 0;
}

int model_save(const model *m, const char *dir) {
    int rc = dir_make(dir);
    if (rc) return rc;
    st_entry *e = calloc((size_t)m->n_params, sizeof *e);
    char *st_path = path_join(dir, "model.safetensors"), *cfg_path = path_join(dir, "config.json");
    if (!e || !st_path || !cfg_path) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < m->n_params; i++) {
        const model_param *p = &m->params[i];
        e[i] = (st_entry){p->name, ST_F32, p->ndim, {p->shape[0], p->shape[1]}, p->data};
    }
    rc = safetensors_write(st_path, e, m->n_params);
    if (!rc) rc = model_config_write(&m->cfg, cfg_path);
done:
    free(e);
    free(st_path);
    free(cfg_path);
    return rc ? error_prefix(rc, "saving model to %s: ", dir) : 0;
}

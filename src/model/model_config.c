/* model_config.c — config.json in and out for the BERT family.
 *
 * Each family names the same quantities differently (DistilBERT says dim/n_layers/hidden_dim
 * where BERT says hidden_size/num_hidden_layers/intermediate_size) and HF fills absent fields
 * with class defaults; this file maps both onto one model_config, with HF's defaults, and
 * rejects what the encoder does not implement (relative position embeddings, unknown
 * activations) with a message naming the file and the field. On save, the original JSON
 * is kept so that fields needle does not use (id2label, tokenizer hints) survive. */
#include "needle/model.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *type;
    model_family family;
} types[] = {
    {"bert", MODEL_BERT},       {"roberta", MODEL_ROBERTA}, {"xlm-roberta", MODEL_ROBERTA},
    {"camembert", MODEL_ROBERTA}, {"distilbert", MODEL_DISTILBERT}, {"electra", MODEL_ELECTRA},
    {"dpr", MODEL_DPR},
};

void model_config_default(model_config *c, model_family f) {
    memset(c, 0, sizeof *c);
    c->family = f;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].family == f) { snprintf(c->model_type, sizeof c->model_type, "%s", types[i].type); break; }
    c->head = MODEL_HEAD_ENCODER;
    c->V = f == MODEL_ROBERTA ? 50265 : 30522;
    c->C = 768; c->L = 12; c->NH = 12; c->F = 3072;
    c->P = f == MODEL_ROBERTA ? 514 : 512;
    c->TV = f == MODEL_DISTILBERT ? 0 : f == MODEL_ROBERTA ? 1 : 2;
    c->E = f == MODEL_ELECTRA ? 128 : c->C;
    if (f == MODEL_ELECTRA) { c->C = 256; c->NH = 4; c->F = 1024; }
    c->pad_id = f == MODEL_ROBERTA ? 1 : 0;
    c->pos_offset = f == MODEL_ROBERTA ? c->pad_id + 1 : 0;
    c->ln_eps = f == MODEL_ROBERTA ? 1e-5f : 1e-12f;
    c->act = ACT_GELU;
    c->hidden_dropout = c->attn_dropout = c->head_dropout = 0.1f;
    c->init_range = 0.02f;
    c->num_labels = 2;
    c->has_pooler = f == MODEL_BERT || f == MODEL_ROBERTA;
}

void model_config_free(model_config *c) {
    cJSON_Delete(c->json);
    c->json = NULL;
}

static int parse_act(const char *s, const char *path, const char *field, model_act *out) {
    if (!strcmp(s, "gelu")) *out = ACT_GELU;
    else if (!strcmp(s, "gelu_new") || !strcmp(s, "gelu_pytorch_tanh") || !strcmp(s, "gelu_fast")) *out = ACT_GELU_TANH;
    else if (!strcmp(s, "relu")) *out = ACT_RELU;
    else return error_set(NEEDLE_EUNSUPPORTED, "%s: field \"%s\": activation '%s' is not supported (gelu, gelu_new, relu)", path, field, s);
    return 0;
}

/* The head named by a class name such as "RobertaForQuestionAnswering". */
static int head_from_architecture(model_config *c, const char *arch, const char *path) {
    size_t n = strlen(arch);
#define ENDS(s) (n >= strlen(s) && !strcmp(arch + n - strlen(s), s))
    if (ENDS("ForQuestionAnswering")) c->head = MODEL_HEAD_SPAN;
    else if (ENDS("ForMaskedLM") || ENDS("BertForPreTraining")) c->head = MODEL_HEAD_MLM;
    else if (ENDS("ForSequenceClassification")) c->head = MODEL_HEAD_CLS;
    else if (ENDS("Model") || ENDS("ElectraForPreTraining")) c->head = MODEL_HEAD_ENCODER;
    else if (!strcmp(arch, "DPRQuestionEncoder")) c->head = MODEL_HEAD_ENCODER, c->dpr_context = 0;
    else if (!strcmp(arch, "DPRContextEncoder")) c->head = MODEL_HEAD_ENCODER, c->dpr_context = 1;
    else return error_set(NEEDLE_EUNSUPPORTED, "%s: field \"architectures\": '%s' is not supported (needle has "
                          "encoders and span, masked-LM and sequence-classification heads)", path, arch);
#undef ENDS
    if (c->family == MODEL_DPR && strncmp(arch, "DPR", 3))
        return error_set(NEEDLE_EUNSUPPORTED, "%s: field \"architectures\": '%s' is not a DPR encoder", path, arch);
    if (c->family == MODEL_DPR && c->head != MODEL_HEAD_ENCODER)
        return error_set(NEEDLE_EUNSUPPORTED, "%s: field \"architectures\": '%s' is not supported", path, arch);
    return 0;
}

/* Read an integer field into an int, requiring a positive value unless `min` says otherwise. */
static int get_int(const cJSON *j, const char *key, const char *path, int dflt, int min, int *out) {
    long long v;
    int rc = json_opt_int(j, key, path, dflt, &v);
    if (rc) return rc;
    if (v < min || v > 1 << 30) return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" = %lld is out of range", path, key, v);
    *out = (int)v;
    return 0;
}

static int get_float(const cJSON *j, const char *key, const char *path, double dflt, float *out) {
    double v;
    int rc = json_opt_double(j, key, path, dflt, &v);
    if (rc) return rc;
    if (v < 0) return error_set(NEEDLE_EFORMAT, "%s: field \"%s\" = %g must not be negative", path, key, v);
    *out = (float)v;
    return 0;
}

static int parse_distilbert(model_config *c, const cJSON *j, const char *path) {
    int rc = 0;
    const char *act;
    if (!rc) rc = get_int(j, "vocab_size", path, 30522, 1, &c->V);
    if (!rc) rc = get_int(j, "dim", path, 768, 1, &c->C);
    if (!rc) rc = get_int(j, "n_layers", path, 6, 1, &c->L);
    if (!rc) rc = get_int(j, "n_heads", path, 12, 1, &c->NH);
    if (!rc) rc = get_int(j, "hidden_dim", path, 3072, 1, &c->F);
    if (!rc) rc = get_int(j, "max_position_embeddings", path, 512, 1, &c->P);
    if (!rc) rc = get_int(j, "pad_token_id", path, 0, 0, &c->pad_id);
    if (!rc) rc = get_float(j, "dropout", path, 0.1, &c->hidden_dropout);
    if (!rc) rc = get_float(j, "attention_dropout", path, 0.1, &c->attn_dropout);
    if (!rc) rc = get_float(j, "initializer_range", path, 0.02, &c->init_range);
    if (!rc) rc = json_opt_string(j, "activation", path, "gelu", &act);
    if (!rc) rc = parse_act(act, path, "activation", &c->act);
    if (!rc) rc = get_float(j, "qa_dropout", path, 0.1, &c->head_dropout);
    if (!rc && c->head == MODEL_HEAD_CLS) rc = get_float(j, "seq_classif_dropout", path, 0.2, &c->head_dropout);
    c->E = c->C;
    c->TV = 0;
    c->ln_eps = 1e-12f;
    return rc;
}

static int parse_bert_like(model_config *c, const cJSON *j, const char *path) {
    int rc = 0;
    const char *act, *pet;
    double cd;
    int roberta = c->family == MODEL_ROBERTA;
    if (!rc) rc = get_int(j, "vocab_size", path, roberta ? 50265 : 30522, 1, &c->V);
    if (!rc) rc = get_int(j, "hidden_size", path, c->family == MODEL_ELECTRA ? 256 : 768, 1, &c->C);
    if (!rc) rc = get_int(j, "num_hidden_layers", path, 12, 1, &c->L);
    if (!rc) rc = get_int(j, "num_attention_heads", path, c->family == MODEL_ELECTRA ? 4 : 12, 1, &c->NH);
    if (!rc) rc = get_int(j, "intermediate_size", path, c->family == MODEL_ELECTRA ? 1024 : 3072, 1, &c->F);
    if (!rc) rc = get_int(j, "max_position_embeddings", path, 512, 1, &c->P);
    if (!rc) rc = get_int(j, "type_vocab_size", path, 2, 0, &c->TV);
    if (!rc) rc = get_int(j, "pad_token_id", path, roberta ? 1 : 0, 0, &c->pad_id);
    if (!rc) rc = get_int(j, "embedding_size", path, c->family == MODEL_ELECTRA ? 128 : c->C, 1, &c->E);
    if (!rc) rc = get_float(j, "hidden_dropout_prob", path, 0.1, &c->hidden_dropout);
    if (!rc) rc = get_float(j, "attention_probs_dropout_prob", path, 0.1, &c->attn_dropout);
    if (!rc) rc = json_opt_double(j, "classifier_dropout", path, -1, &cd);
    c->head_dropout = cd >= 0 ? (float)cd : c->hidden_dropout;
    if (!rc) rc = get_float(j, "initializer_range", path, 0.02, &c->init_range);
    if (!rc) rc = json_opt_double(j, "layer_norm_eps", path, 1e-12, &cd);
    if (!rc && !(cd > 0 && cd < 1)) rc = error_set(NEEDLE_EFORMAT, "%s: field \"layer_norm_eps\" = %g is out of range", path, cd);
    c->ln_eps = (float)cd;
    if (!rc) rc = json_opt_string(j, "hidden_act", path, "gelu", &act);
    if (!rc) rc = parse_act(act, path, "hidden_act", &c->act);
    if (!rc) rc = json_opt_string(j, "position_embedding_type", path, "absolute", &pet);
    if (!rc && strcmp(pet, "absolute"))
        rc = error_set(NEEDLE_EUNSUPPORTED, "%s: field \"position_embedding_type\": '%s' is not supported (absolute only)", path, pet);
    if (!rc && c->family == MODEL_DPR) rc = get_int(j, "projection_dim", path, 0, 0, &c->projection_dim);
    c->pos_offset = roberta ? c->pad_id + 1 : 0;
    return rc;
}

int model_config_check(const model_config *c, const char *origin) {
    if (c->V < 1 || c->E < 1 || c->C < 1 || c->L < 1 || c->NH < 1 || c->F < 1 || c->P < 1 || c->TV < 0 || c->num_labels < 1)
        return error_set(NEEDLE_EFORMAT, "%s: sizes must be positive", origin);
    if (c->C % c->NH)
        return error_set(NEEDLE_EFORMAT, "%s: hidden size %d is not a multiple of the number of attention heads %d", origin, c->C, c->NH);
    if (c->E != c->C && c->family != MODEL_ELECTRA)
        return error_set(NEEDLE_EFORMAT, "%s: embedding size %d differs from hidden size %d; only ELECTRA projects embeddings", origin, c->E, c->C);
    if (c->pad_id < 0 || c->pad_id >= c->V)
        return error_set(NEEDLE_EFORMAT, "%s: pad_token_id %d is outside the vocabulary (%d)", origin, c->pad_id, c->V);
    if (c->P <= c->pos_offset) return error_set(NEEDLE_EFORMAT, "%s: max_position_embeddings %d is too small", origin, c->P);
    if (!(c->ln_eps > 0)) return error_set(NEEDLE_EFORMAT, "%s: layer_norm_eps must be positive", origin);
    if (!(c->hidden_dropout < 1 && c->attn_dropout < 1 && c->head_dropout < 1))
        return error_set(NEEDLE_EFORMAT, "%s: dropout probabilities must be below 1", origin);
    if (c->family == MODEL_DPR && c->head != MODEL_HEAD_ENCODER) return error_set(NEEDLE_EUNSUPPORTED, "%s: a DPR encoder has no head", origin);
    return 0;
}

int model_config_load(model_config *c, const char *path) {
    memset(c, 0, sizeof *c);
    cJSON *j;
    int rc = json_load_file(path, &j);
    if (rc) return rc;
    const char *type, *arch = NULL;
    rc = json_get_string(j, "model_type", path, &type);
    if (!rc) {
        int found = 0;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(types[i].type, type)) { c->family = types[i].family; found = 1; }
        if (!found)
            rc = error_set(NEEDLE_EUNSUPPORTED, "%s: field \"model_type\": unknown model type '%s' (needle supports bert, "
                           "roberta, xlm-roberta, camembert, distilbert, electra, dpr)", path, type);
    }
    if (!rc) {
        model_family f = c->family;
        model_config_default(c, f);
        snprintf(c->model_type, sizeof c->model_type, "%s", type);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "architectures");
        if (cJSON_IsArray(a) && cJSON_GetArraySize(a) > 0) {
            const cJSON *a0 = cJSON_GetArrayItem(a, 0);
            if (!cJSON_IsString(a0)) rc = error_set(NEEDLE_EFORMAT, "%s: field \"architectures\" should hold class names", path);
            else arch = a0->valuestring;
        } else if (c->family == MODEL_DPR) {
            rc = error_set(NEEDLE_EFORMAT, "%s: missing field \"architectures\" (DPRQuestionEncoder or DPRContextEncoder)", path);
        }
        if (!rc && arch) rc = head_from_architecture(c, arch, path);
    }
    if (!rc) rc = c->family == MODEL_DISTILBERT ? parse_distilbert(c, j, path) : parse_bert_like(c, j, path);
    if (!rc) {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(j, "id2label");
        long long nl;
        rc = json_opt_int(j, "num_labels", path, cJSON_IsObject(labels) ? cJSON_GetArraySize(labels) : 2, &nl);
        if (!rc && (nl < 1 || nl > 1 << 20)) rc = error_set(NEEDLE_EFORMAT, "%s: field \"num_labels\" is out of range", path);
        c->num_labels = (int)nl;
    }
    if (!rc) rc = model_config_check(c, path);
    c->has_pooler = (c->family == MODEL_BERT && c->head == MODEL_HEAD_CLS) ||
                    ((c->family == MODEL_BERT || c->family == MODEL_ROBERTA) && c->head == MODEL_HEAD_ENCODER);
    if (rc) { cJSON_Delete(j); return rc; }
    c->json = j;
    return 0;
}

const char *model_config_architecture(const model_config *c) {
    static const char *const names[][4] = {
        [MODEL_BERT] = {"BertModel", "BertForQuestionAnswering", "BertForMaskedLM", "BertForSequenceClassification"},
        [MODEL_ROBERTA] = {"RobertaModel", "RobertaForQuestionAnswering", "RobertaForMaskedLM", "RobertaForSequenceClassification"},
        [MODEL_DISTILBERT] = {"DistilBertModel", "DistilBertForQuestionAnswering", "DistilBertForMaskedLM", "DistilBertForSequenceClassification"},
        [MODEL_ELECTRA] = {"ElectraModel", "ElectraForQuestionAnswering", "ElectraForMaskedLM", "ElectraForSequenceClassification"},
    };
    if (c->family == MODEL_DPR) return c->dpr_context ? "DPRContextEncoder" : "DPRQuestionEncoder";
    static const char *const xlmr[4] = {"XLMRobertaModel", "XLMRobertaForQuestionAnswering", "XLMRobertaForMaskedLM",
                                        "XLMRobertaForSequenceClassification"};
    static const char *const camem[4] = {"CamembertModel", "CamembertForQuestionAnswering", "CamembertForMaskedLM",
                                         "CamembertForSequenceClassification"};
    if (!strcmp(c->model_type, "xlm-roberta")) return xlmr[c->head];
    if (!strcmp(c->model_type, "camembert")) return camem[c->head];
    return names[c->family][c->head];
}

static int set_item(cJSON *o, const char *key, cJSON *v) {
    if (!v) return error_set(NEEDLE_ENOMEM, "out of memory");
    if (cJSON_GetObjectItemCaseSensitive(o, key)) cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else cJSON_AddItemToObject(o, key, v);
    return 0;
}

/* A float as the shortest decimal that reads back to the same float (0.1f -> 0.1). */
static cJSON *num_f(float x) {
    char buf[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)x);
        if (strtof(buf, NULL) == x) break;
    }
    return cJSON_CreateNumber(strtod(buf, NULL));
}

static const char *act_name(const model_config *c, const char *key) {
    const cJSON *old = c->json ? cJSON_GetObjectItemCaseSensitive(c->json, key) : NULL;
    model_act a;
    if (cJSON_IsString(old) && !parse_act(old->valuestring, "", key, &a) && a == c->act) return old->valuestring;
    return c->act == ACT_GELU ? "gelu" : c->act == ACT_GELU_TANH ? "gelu_new" : "relu";
}

int model_config_write(const model_config *c, const char *path) {
    cJSON *o = c->json ? cJSON_Duplicate(c->json, 1) : cJSON_CreateObject();
    if (!o) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = 0;
    const char *arch = model_config_architecture(c);
    rc |= set_item(o, "architectures", cJSON_CreateStringArray(&arch, 1));
    rc |= set_item(o, "model_type", cJSON_CreateString(c->model_type));
    rc |= set_item(o, "vocab_size", cJSON_CreateNumber(c->V));
    rc |= set_item(o, "max_position_embeddings", cJSON_CreateNumber(c->P));
    rc |= set_item(o, "pad_token_id", cJSON_CreateNumber(c->pad_id));
    rc |= set_item(o, "initializer_range", num_f(c->init_range));
    if (c->family == MODEL_DISTILBERT) {
        rc |= set_item(o, "dim", cJSON_CreateNumber(c->C));
        rc |= set_item(o, "n_layers", cJSON_CreateNumber(c->L));
        rc |= set_item(o, "n_heads", cJSON_CreateNumber(c->NH));
        rc |= set_item(o, "hidden_dim", cJSON_CreateNumber(c->F));
        rc |= set_item(o, "activation", cJSON_CreateString(act_name(c, "activation")));
        rc |= set_item(o, "dropout", num_f(c->hidden_dropout));
        rc |= set_item(o, "attention_dropout", num_f(c->attn_dropout));
        if (c->head == MODEL_HEAD_CLS) rc |= set_item(o, "seq_classif_dropout", num_f(c->head_dropout));
        else rc |= set_item(o, "qa_dropout", num_f(c->head_dropout));
    } else {
        rc |= set_item(o, "hidden_size", cJSON_CreateNumber(c->C));
        rc |= set_item(o, "num_hidden_layers", cJSON_CreateNumber(c->L));
        rc |= set_item(o, "num_attention_heads", cJSON_CreateNumber(c->NH));
        rc |= set_item(o, "intermediate_size", cJSON_CreateNumber(c->F));
        rc |= set_item(o, "type_vocab_size", cJSON_CreateNumber(c->TV));
        rc |= set_item(o, "layer_norm_eps", num_f(c->ln_eps));
        rc |= set_item(o, "hidden_act", cJSON_CreateString(act_name(c, "hidden_act")));
        rc |= set_item(o, "hidden_dropout_prob", num_f(c->hidden_dropout));
        rc |= set_item(o, "attention_probs_dropout_prob", num_f(c->attn_dropout));
        rc |= set_item(o, "position_embedding_type", cJSON_CreateString("absolute"));
        if (c->family == MODEL_ELECTRA) rc |= set_item(o, "embedding_size", cJSON_CreateNumber(c->E));
        if (c->family == MODEL_DPR) rc |= set_item(o, "projection_dim", cJSON_CreateNumber(c->projection_dim));
        if (c->head == MODEL_HEAD_CLS && c->head_dropout != c->hidden_dropout)
            rc |= set_item(o, "classifier_dropout", num_f(c->head_dropout));
    }
    if (c->head == MODEL_HEAD_CLS) {
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(o, "id2label");
        if (!cJSON_IsObject(old) || cJSON_GetArraySize(old) != c->num_labels) {
            cJSON *id2 = cJSON_CreateObject(), *l2i = cJSON_CreateObject();
            for (int i = 0; id2 && l2i && i < c->num_labels; i++) {
                char k[24], v[32];
                snprintf(k, sizeof k, "%d", i);
                snprintf(v, sizeof v, "LABEL_%d", i);
                cJSON_AddItemToObject(id2, k, cJSON_CreateString(v));
                cJSON_AddItemToObject(l2i, v, cJSON_CreateNumber(i));
            }
            rc |= set_item(o, "id2label", id2);
            rc |= set_item(o, "label2id", l2i);
        }
    }
    rc |= set_item(o, "tie_word_embeddings", cJSON_CreateBool(1));
    if (cJSON_GetObjectItemCaseSensitive(o, "dtype")) rc |= set_item(o, "dtype", cJSON_CreateString("float32"));
    rc |= set_item(o, "torch_dtype", cJSON_CreateString("float32"));
    char *text = rc ? NULL : cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return error_set(NEEDLE_ENOMEM, "out of memory writing %s", path);
    rc = file_write_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

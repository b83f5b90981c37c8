/* test_model_init.c — `needle model init`'s library side (model_size_apply, model_init_dir):
 * the named sizes are Google's BERT miniatures (Turc et al. 2019: tiny L2/H128, mini L4/H256,
 * small L4/H512, medium L8/H512, base L12/H768; heads H/64, feed-forward 4H); config.json
 * holds every field transformers' BertConfig / RobertaConfig reads, with HF's defaults
 * (hidden_act gelu, dropouts 0.1, max_position_embeddings 512 — 514 for RoBERTa —,
 * type_vocab_size 2 — 1 for RoBERTa —, initializer_range 0.02, layer_norm_eps 1e-12 — 1e-5 for
 * RoBERTa); the weights follow HF's documented _init_weights (BertPreTrainedModel): Linear and
 * Embedding weights normal(0, initializer_range), the padding_idx row zero, biases zero,
 * LayerNorm weight one and bias zero; the MLM decoder is tied (not stored); the directory
 * loads back through model_load and the tokenizer loader. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/model.h"
#include "needle/safetensors.h"
#include "needle/tokenizer.h"

#include <stdlib.h>

#define TOK FIXTURES "/tokenizers"

TEST(model_size_names_are_bert_miniatures) {
    static const struct {
        const char *name;
        int L, H;
    } want[] = {{"tiny", 2, 128}, {"mini", 4, 256}, {"small", 4, 512}, {"medium", 8, 512}, {"base", 12, 768}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        model_config c;
        model_config_default(&c, MODEL_BERT);
        CHECK_OK(model_size_apply(want[i].name, &c));
        CHECK_INT(c.L, want[i].L);
        CHECK_INT(c.C, want[i].H);
        CHECK_INT(c.E, want[i].H);
        CHECK_INT(c.NH, want[i].H / 64);
        CHECK_INT(c.F, 4 * want[i].H);
    }
    model_config c;
    model_config_default(&c, MODEL_BERT);
    CHECK_ERR(model_size_apply("huge", &c), NEEDLE_EINVAL, "unknown model size 'huge'");
}

static void check_number(const cJSON *cfg, const char *key, double want) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (!cJSON_IsNumber(v)) test_fail(__FILE__, __LINE__, "config.json lacks number \"%s\"", key);
    else CHECK_NEAR(v->valuedouble, want, fabs(want) * 1e-6);
}

/* mean ~ 0 within 5 standard errors, std ~ range within 5 standard errors of a std estimate */
static void check_normal(const model_param *p, const float *data, size_t n, double range) {
    double s = 0, s2 = 0;
    for (size_t j = 0; j < n; j++) s += data[j], s2 += (double)data[j] * data[j];
    double mean = s / n, sd = sqrt(s2 / n - mean * mean);
    if (fabs(mean) > 5 * range / sqrt((double)n)) test_fail(__FILE__, __LINE__, "%s: mean %g", p->name, mean);
    if (fabs(sd - range) > 5 * range / sqrt(2.0 * n)) test_fail(__FILE__, __LINE__, "%s: std %g", p->name, sd);
}

static void check_hf_init(const model *m) {
    const model_config *c = &m->cfg;
    for (int i = 0; i < m->n_params; i++) {
        const model_param *p = &m->params[i];
        size_t zeros_nonzero = 0, ones_off = 0;
        switch (p->kind) {
        case MODEL_PARAM_WEIGHT: check_normal(p, p->data, p->numel, c->init_range); break;
        case MODEL_PARAM_EMBEDDING: {
            size_t row = (size_t)p->shape[1];
            for (size_t j = 0; j < row; j++) zeros_nonzero += p->data[(size_t)c->pad_id * row + j] != 0.0f;
            CHECK_INT(zeros_nonzero, 0);
            /* the rows other than padding_idx are the normal draws */
            if (c->pad_id == 0) check_normal(p, p->data + row, p->numel - row, c->init_range);
            else check_normal(p, p->data, (size_t)c->pad_id * row, c->init_range);
            break;
        }
        case MODEL_PARAM_NORM_WEIGHT:
            for (size_t j = 0; j < p->numel; j++) ones_off += p->data[j] != 1.0f;
            CHECK_INT(ones_off, 0);
            break;
        case MODEL_PARAM_BIAS:
        case MODEL_PARAM_NORM_BIAS:
            for (size_t j = 0; j < p->numel; j++) zeros_nonzero += p->data[j] != 0.0f;
            CHECK_INT(zeros_nonzero, 0);
            break;
        }
    }
}

TEST(model_init_tiny_bert_mlm) {
    model_config c;
    model_config_default(&c, MODEL_BERT);
    CHECK_OK(model_size_apply("tiny", &c));
    c.head = MODEL_HEAD_MLM;
    c.has_pooler = 0;
    char *out = path_join(test_tmpdir(), "init-tiny");
    CHECK_OK(model_init_dir(&c, TOK "/bert-base-uncased", out, 11));

    char *cfg_path = path_join(out, "config.json");
    cJSON *cfg = NULL;
    CHECK_OK(json_load_file(cfg_path, &cfg));
    if (cfg) {
        CHECK_STR(cJSON_GetObjectItemCaseSensitive(cfg, "model_type")->valuestring, "bert");
        CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cfg, "architectures"), 0)->valuestring, "BertForMaskedLM");
        CHECK_STR(cJSON_GetObjectItemCaseSensitive(cfg, "hidden_act")->valuestring, "gelu");
        check_number(cfg, "vocab_size", 30522);
        check_number(cfg, "hidden_size", 128);
        check_number(cfg, "num_hidden_layers", 2);
        check_number(cfg, "num_attention_heads", 2);
        check_number(cfg, "intermediate_size", 512);
        check_number(cfg, "hidden_dropout_prob", 0.1);
        check_number(cfg, "attention_probs_dropout_prob", 0.1);
        check_number(cfg, "max_position_embeddings", 512);
        check_number(cfg, "type_vocab_size", 2);
        check_number(cfg, "initializer_range", 0.02);
        check_number(cfg, "layer_norm_eps", 1e-12);
        check_number(cfg, "pad_token_id", 0);
    }
    cJSON_Delete(cfg);

    /* the decoder is tied to the word embeddings: stored once */
    char *st_path = path_join(out, "model.safetensors");
    safetensors st;
    CHECK_OK(safetensors_open(&st, st_path));
    CHECK(safetensors_find(&st, "cls.predictions.decoder.weight") == NULL);
    CHECK(safetensors_find(&st, "bert.embeddings.word_embeddings.weight") != NULL);
    CHECK(safetensors_find(&st, "cls.predictions.bias") != NULL);
    safetensors_close(&st);

    model m;
    CHECK_OK(model_load(&m, out, MODEL_HEAD_AUTO, 0, 0));
    CHECK_INT(m.cfg.head, MODEL_HEAD_MLM);
    CHECK_INT(m.cfg.V, 30522);
    CHECK_INT(m.cfg.L, 2);
    check_hf_init(&m);
    model_free(&m);

    tokenizer *tk = NULL;
    CHECK_OK(tokenizer_load(out, &tk));
    if (tk) CHECK_INT(tokenizer_vocab_size(tk), 30522);
    tokenizer_free(tk);
    char *tc = path_join(out, "tokenizer_config.json");
    CHECK(file_exists(tc));

    /* a second init into the same directory is refused and changes nothing */
    model_config again;
    model_config_default(&again, MODEL_BERT);
    CHECK_OK(model_size_apply("mini", &again));
    CHECK_ERR(model_init_dir(&again, TOK "/bert-base-uncased", out, 1), NEEDLE_EINVAL, "already holds a model");
    CHECK_OK(model_load(&m, out, MODEL_HEAD_AUTO, 0, 0));
    CHECK_INT(m.cfg.C, 128);
    model_free(&m);
    free(tc);
    free(st_path);
    free(cfg_path);
    free(out);
}

TEST(model_init_roberta_span_pads_from_tokenizer) {
    model_config c;
    model_config_default(&c, MODEL_ROBERTA);
    c.L = 1;
    c.C = c.E = 64;
    c.NH = 1;
    c.F = 128;
    c.head = MODEL_HEAD_SPAN;
    c.has_pooler = 0;
    char *out = path_join(test_tmpdir(), "init-roberta");
    CHECK_OK(model_init_dir(&c, TOK "/roberta-base", out, 5));
    model m;
    CHECK_OK(model_load(&m, out, MODEL_HEAD_AUTO, 0, 0));
    CHECK_STR(model_config_architecture(&m.cfg), "RobertaForQuestionAnswering");
    CHECK_INT(m.cfg.pad_id, 1);   /* <pad> of roberta-base */
    CHECK_INT(m.cfg.P, 514);
    CHECK_INT(m.cfg.TV, 1);
    CHECK_INT(m.cfg.V, 50265);
    CHECK_NEAR(m.cfg.ln_eps, 1e-5, 1e-12);
    check_hf_init(&m);
    model_free(&m);
    CHECK_ERR(model_init_dir(&c, FIXTURES "/no-such-tokenizer", path_join(test_tmpdir(), "x"), 5), NEEDLE_ENOTFOUND,
              "no-such-tokenizer");
    free(out);
}

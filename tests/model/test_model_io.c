/* test_model_io.c — model directories in and out: every fixture architecture survives load →
 * save → load bit for bit under HF's tensor names (the tied MLM decoder written once), sharded
 * checkpoints load like single files, a pre-trained checkpoint takes a new head, fresh models
 * get HF's initialisation, and each kind of bad directory gets a message naming the file and
 * the tensor or field. */
#include "../test.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/model.h"
#include "needle/safetensors.h"

#include <stdlib.h>

#define HF FIXTURES "/hf-models"

static const char *const fixture_models[] = {"bert-qa", "roberta-qa", "distilbert-qa", "electra-qa", "bert-mlm",
                                             "bert-cross-encoder", "dpr-question-encoder", "dpr-ctx-encoder"};

/* A scratch model directory: config.json (given text, or the fixture's) + a copy of the
 * fixture's weights. */
static char *scratch_dir(const char *name, const char *fixture, const char *config_text) {
    char *dir = path_join(test_tmpdir(), name), src[256];
    CHECK_OK(dir_make(dir));
    char *cfg = path_join(dir, "config.json"), *st = path_join(dir, "model.safetensors");
    snprintf(src, sizeof src, HF "/%s/config.json", fixture);
    if (config_text) CHECK_OK(file_write_atomic(cfg, config_text, strlen(config_text)));
    else CHECK_OK(file_copy(src, cfg));
    snprintf(src, sizeof src, HF "/%s/model.safetensors", fixture);
    CHECK_OK(file_copy(src, st));
    free(cfg);
    free(st);
    return dir;
}

TEST(model_round_trip_all_architectures) {
    for (size_t k = 0; k < sizeof fixture_models / sizeof *fixture_models; k++) {
        char src[256], *out = path_join(test_tmpdir(), fixture_models[k]);
        snprintf(src, sizeof src, HF "/%s", fixture_models[k]);
        model a, b;
        CHECK_OK(model_load(&a, src, MODEL_HEAD_AUTO, 0, 0));
        CHECK_OK(model_save(&a, out));
        CHECK_OK(model_load(&b, out, MODEL_HEAD_AUTO, 0, 0));
        CHECK_INT(b.n_params, a.n_params);
        CHECK_INT(b.cfg.head, a.cfg.head);
        CHECK_STR(model_config_architecture(&b.cfg), model_config_architecture(&a.cfg));
        CHECK(a.n_floats == b.n_floats && !memcmp(a.param_block, b.param_block, a.n_floats * sizeof(float)));
        /* the written file holds exactly the tensors HF wrote: same names, shapes, F32 */
        safetensors orig, mine;
        char *p = path_join(out, "model.safetensors");
        snprintf(src, sizeof src, HF "/%s/model.safetensors", fixture_models[k]);
        CHECK_OK(safetensors_open(&orig, src));
        CHECK_OK(safetensors_open(&mine, p));
        CHECK_INT(mine.n, orig.n);
        for (int i = 0; i < orig.n; i++) {
            const st_tensor *t = safetensors_find(&mine, orig.tensors[i].name);
            if (!t) {
                test_fail(__FILE__, __LINE__, "%s: %s not written", fixture_models[k], orig.tensors[i].name);
                continue;
            }
            CHECK(t->dtype == ST_F32 && t->ndim == orig.tensors[i].ndim &&
                  !memcmp(t->shape, orig.tensors[i].shape, sizeof t->shape) && !memcmp(t->data, orig.tensors[i].data, t->nbytes));
        }
        safetensors_close(&orig);
        safetensors_close(&mine);
        free(p);
        /* config.json names the class and type from_pretrained dispatches on */
        cJSON *j;
        char *cfg = path_join(out, "config.json");
        CHECK_OK(json_load_file(cfg, &j));
        const char *mt = NULL;
        CHECK_OK(json_get_string(j, "model_type", cfg, &mt));
        CHECK_STR(mt, a.cfg.model_type);
        CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "architectures"), 0)->valuestring, model_config_architecture(&a.cfg));
        cJSON_Delete(j);
        free(cfg);
        free(out);
        model_free(&a);
        model_free(&b);
    }
}

TEST(model_mlm_decoder_written_once) {
    model m;
    CHECK_OK(model_load(&m, HF "/bert-mlm", MODEL_HEAD_AUTO, 0, 0));
    char *out = path_join(test_tmpdir(), "mlm-out"), *p = path_join(out, "model.safetensors");
    CHECK_OK(model_save(&m, out));
    safetensors st;
    CHECK_OK(safetensors_open(&st, p));
    CHECK(safetensors_find(&st, "cls.predictions.decoder.weight") == NULL);
    CHECK(safetensors_find(&st, "cls.predictions.bias") != NULL);
    CHECK(safetensors_find(&st, "bert.embeddings.word_embeddings.weight") != NULL);
    safetensors_close(&st);
    free(out);
    free(p);
    model_free(&m);
}

TEST(model_sharded_checkpoint) {
    safetensors st;
    CHECK_OK(safetensors_open(&st, HF "/bert-qa/model.safetensors"));
    char *dir = path_join(test_tmpdir(), "sharded");
    CHECK_OK(dir_make(dir));
    st_entry *e = calloc((size_t)st.n, sizeof *e);
    float *buf[st.n];
    strbuf idx;
    strbuf_init(&idx);
    strbuf_puts(&idx, "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
    int half = st.n / 2;
    for (int i = 0; i < st.n; i++) {
        const st_tensor *t = &st.tensors[i];
        buf[i] = malloc(t->numel * sizeof(float));
        CHECK_OK(safetensors_read_f32(&st, t, buf[i]));
        e[i] = (st_entry){t->name, ST_F32, t->ndim, {t->shape[0], t->shape[1]}, buf[i]};
        strbuf_printf(&idx, "%s\"%s\": \"model-%05d-of-00002.safetensors\"", i ? ", " : "", t->name, i < half ? 1 : 2);
    }
    strbuf_puts(&idx, "}}");
    char *s1 = path_join(dir, "model-00001-of-00002.safetensors"), *s2 = path_join(dir, "model-00002-of-00002.safetensors");
    char *ij = path_join(dir, "model.safetensors.index.json"), *cfg = path_join(dir, "config.json");
    CHECK_OK(safetensors_write(s1, e, half));
    CHECK_OK(safetensors_write(s2, e + half, st.n - half));
    CHECK_OK(file_write_atomic(ij, idx.data, idx.len));
    CHECK_OK(file_copy(HF "/bert-qa/config.json", cfg));
    model a, b;
    CHECK_OK(model_load(&a, HF "/bert-qa", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_load(&b, dir, MODEL_HEAD_AUTO, 0, 0));
    CHECK(a.n_floats == b.n_floats && !memcmp(a.param_block, b.param_block, a.n_floats * sizeof(float)));
    model_free(&b);
    /* an index naming a tensor its shard lacks */
    CHECK_OK(safetensors_write(s2, e + half, st.n - half - 1));
    CHECK_ERR(model_load(&b, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT, "model.safetensors.index.json: tensor '");
    for (int i = 0; i < st.n; i++) free(buf[i]);
    free(e);
    strbuf_free(&idx);
    free(s1);
    free(s2);
    free(ij);
    free(cfg);
    free(dir);
    safetensors_close(&st);
    model_free(&a);
}

TEST(model_bad_missing_tensor) {
    char *dir = scratch_dir("missing", "bert-qa", NULL), *p = path_join(dir, "model.safetensors");
    safetensors st;
    CHECK_OK(safetensors_open(&st, HF "/bert-qa/model.safetensors"));
    st_entry e[st.n];
    float *buf[st.n];
    int n = 0;
    for (int i = 0; i < st.n; i++) {
        const st_tensor *t = &st.tensors[i];
        buf[i] = malloc(t->numel * sizeof(float));
        CHECK_OK(safetensors_read_f32(&st, t, buf[i]));
        if (strcmp(t->name, "bert.encoder.layer.1.output.dense.bias"))
            e[n++] = (st_entry){t->name, ST_F32, t->ndim, {t->shape[0], t->shape[1]}, buf[i]};
    }
    CHECK_OK(safetensors_write(p, e, n));
    model m;
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_ENOTFOUND,
              "model.safetensors: missing tensor 'bert.encoder.layer.1.output.dense.bias'");
    for (int i = 0; i < st.n; i++) free(buf[i]);
    safetensors_close(&st);
    free(p);
    free(dir);
}

TEST(model_bad_shape_against_config) {
    char *text;
    CHECK_OK(file_read_all(HF "/bert-qa/config.json", &text, NULL));
    char *at = strstr(text, "\"intermediate_size\": 128");
    CHECK(at != NULL);
    if (at) memcpy(at, "\"intermediate_size\": 256", 24);
    char *dir = scratch_dir("shape", "bert-qa", text);
    model m;
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT,
              "model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [128, 64] but");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT, "config.json implies [256, 64]");
    free(text);
    free(dir);
}

TEST(model_bad_config) {
    model m;
    char *dir = scratch_dir("type", "bert-qa", "{\"model_type\": \"gpt2\", \"architectures\": [\"GPT2LMHeadModel\"]}");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EUNSUPPORTED,
              "config.json: field \"model_type\": unknown model type 'gpt2'");
    free(dir);
    dir = scratch_dir("notype", "bert-qa", "{\"hidden_size\": 64}");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT, "config.json: missing field \"model_type\"");
    free(dir);
    dir = scratch_dir("badfield", "bert-qa", "{\"model_type\": \"bert\", \"hidden_size\": \"big\"}");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT, "config.json: field \"hidden_size\" should be an integer");
    free(dir);
    dir = scratch_dir("heads", "bert-qa", "{\"model_type\": \"bert\", \"hidden_size\": 64, \"num_attention_heads\": 5}");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT, "not a multiple of the number of attention heads");
    free(dir);
    dir = scratch_dir("act", "bert-qa", "{\"model_type\": \"bert\", \"hidden_act\": \"swish\"}");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EUNSUPPORTED, "field \"hidden_act\": activation 'swish'");
    free(dir);
    dir = scratch_dir("malformed", "bert-qa", "{\"model_type\": \"bert\",");
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EFORMAT, "config.json: malformed JSON at line 1");
    free(dir);
}

TEST(model_pytorch_bin_only) {
    char *dir = path_join(test_tmpdir(), "binonly"), *cfg = path_join(dir, "config.json"), *bin = path_join(dir, "pytorch_model.bin");
    CHECK_OK(dir_make(dir));
    CHECK_OK(file_copy(HF "/bert-qa/config.json", cfg));
    CHECK_OK(file_write_atomic(bin, "PK", 2));
    model m;
    CHECK_ERR(model_load(&m, dir, MODEL_HEAD_AUTO, 0, 0), NEEDLE_EUNSUPPORTED, "only pytorch_model.bin is present");
    CHECK(strstr(error_message(), "save_pretrained") != NULL);
    free(dir);
    free(cfg);
    free(bin);
}

TEST(model_new_head_on_pretrained_encoder) {
    model mlm, qa;
    CHECK_OK(model_load(&mlm, HF "/bert-mlm", MODEL_HEAD_AUTO, 0, 0));
    CHECK_OK(model_load(&qa, HF "/bert-mlm", MODEL_HEAD_SPAN, 0, 42));
    CHECK_INT(qa.cfg.head, MODEL_HEAD_SPAN);
    model_param *w = model_find_param(&qa, "qa_outputs.weight"), *b = model_find_param(&qa, "qa_outputs.bias");
    CHECK(w && b);
    double s2 = 0;
    for (size_t i = 0; w && i < w->numel; i++) s2 += (double)w->data[i] * w->data[i];
    if (w) CHECK_NEAR(sqrt(s2 / w->numel), 0.02, 0.004); /* normal(0, initializer_range) */
    for (size_t i = 0; b && i < b->numel; i++) CHECK(b->data[i] == 0.0f);
    model_param *e1 = model_find_param(&mlm, "bert.embeddings.word_embeddings.weight");
    model_param *e2 = model_find_param(&qa, "bert.embeddings.word_embeddings.weight");
    CHECK(e1 && e2 && !memcmp(e1->data, e2->data, e1->numel * sizeof(float)));
    model_free(&qa);
    /* a bare encoder keeps its pooler when the checkpoint has one */
    CHECK_OK(model_load(&qa, HF "/bert-cross-encoder", MODEL_HEAD_ENCODER, 0, 0));
    CHECK(model_find_param(&qa, "pooler.dense.weight") != NULL);
    CHECK_INT(model_pooled_dim(&qa), 64);
    model_free(&qa);
    CHECK_OK(model_load(&qa, HF "/bert-qa", MODEL_HEAD_ENCODER, 0, 0));
    CHECK(model_find_param(&qa, "embeddings.word_embeddings.weight") != NULL);
    CHECK_INT(model_pooled_dim(&qa), 0);
    model_free(&qa);
    model_free(&mlm);
}

TEST(model_create_hf_initialisation) {
    model_config c;
    model_config_default(&c, MODEL_ROBERTA);
    c.V = 500; c.C = 32; c.L = 2; c.NH = 4; c.F = 64; c.P = 40;
    c.head = MODEL_HEAD_MLM;
    c.has_pooler = 0;
    model m;
    CHECK_ERR(model_create(&m, &c, 7), NEEDLE_EFORMAT, "embedding size 768 differs from hidden size 32");
    c.E = 32;
    CHECK_OK(model_create(&m, &c, 7));
    for (int i = 0; i < m.n_params; i++) {
        model_param *p = &m.params[i];
        double s = 0, s2 = 0;
        for (size_t j = 0; j < p->numel; j++) s += p->data[j], s2 += (double)p->data[j] * p->data[j];
        switch (p->kind) {
        case MODEL_PARAM_WEIGHT:
        case MODEL_PARAM_EMBEDDING:
            CHECK_NEAR(sqrt(s2 / p->numel), 0.02, 0.005);
            break;
        case MODEL_PARAM_NORM_WEIGHT: CHECK_NEAR(s, (double)p->numel, 0); break;
        default: CHECK_NEAR(s2, 0, 0);
        }
        if (p->kind == MODEL_PARAM_EMBEDDING)
            for (int j = 0; j < c.C; j++) CHECK(p->data[(size_t)c.pad_id * c.C + j] == 0.0f);
    }
    CHECK(model_find_param(&m, "roberta.embeddings.position_embeddings.weight")->kind == MODEL_PARAM_EMBEDDING);
    /* same seed, same model */
    model m2;
    CHECK_OK(model_create(&m2, &c, 7));
    CHECK(!memcmp(m.param_block, m2.param_block, m.n_floats * sizeof(float)));
    /* saved and reloaded as RobertaForMaskedLM */
    char *out = path_join(test_tmpdir(), "created");
    CHECK_OK(model_save(&m, out));
    model r;
    CHECK_OK(model_load(&r, out, MODEL_HEAD_AUTO, 0, 0));
    CHECK_STR(model_config_architecture(&r.cfg), "RobertaForMaskedLM");
    CHECK(r.cfg.C == 32 && r.cfg.L == 2 && r.cfg.P == 40 && r.cfg.pos_offset == 2 && r.cfg.ln_eps == c.ln_eps);
    CHECK(!memcmp(m.param_block, r.param_block, m.n_floats * sizeof(float)));
    free(out);
    model_free(&r);
    model_free(&m);
    model_free(&m2);
}

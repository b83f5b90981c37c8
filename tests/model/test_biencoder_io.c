/* test_biencoder_io.c — the directory layouts a retriever opens from, written here the way
 * their own tools write them (not by needle):
 *  - Haystack's DensePassageRetriever.save: query_encoder/ and passage_encoder/ holding
 *    transformers' DPRQuestionEncoder / DPRContextEncoder (the HF fixtures) — DPR layout,
 *    pooler_output, dot product, and embeddings equal to HF's pooler outputs;
 *  - sentence-transformers: modules.json (Transformer, Pooling, Normalize), 1_Pooling/
 *    config.json, sentence_bert_config.json, config_sentence_transformers.json — a shared
 *    encoder with the pooling, max_seq_length and similarity those files state; a pooling
 *    mode needle does not implement is refused by name;
 *  - a plain BertModel opened as DPR encoders becomes two DPR encoders holding the same
 *    base tensors (the pooler dropped), as transformers' DPR classes hold them. */
#include "../test.h"
#include "golden_compare.h"
#include "needle/biencoder.h"
#include "needle/file.h"
#include "needle/log.h"

#include <stdlib.h>

#define HF FIXTURES "/hf-models"

static void copy_model(const char *src, const char *dst) {
    CHECK_OK(dir_make(dst));
    const char *names[] = {"config.json", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        char *a = path_join(src, names[i]), *b = path_join(dst, names[i]);
        CHECK_OK(file_copy(a, b));
        free(a), free(b);
    }
}

static void put(const char *dir, const char *name, const char *text) {
    char *p = path_join(dir, name);
    CHECK_OK(file_write_atomic(p, text, strlen(text)));
    free(p);
}

TEST(biencoder_opens_haystack_dpr_directory) {
    int level = log_level();
    log_set_level(LOG_ERROR); /* the fixtures have no tokenizer files: expected warnings */
    char dir[256], q[300], p[300];
    snprintf(dir, sizeof dir, "%s/haystack_dpr", test_tmpdir());
    snprintf(q, sizeof q, "%s/query_encoder", dir);
    snprintf(p, sizeof p, "%s/passage_encoder", dir);
    copy_model(HF "/dpr-question-encoder", q);
    copy_model(HF "/dpr-ctx-encoder", p);
    biencoder b;
    CHECK_OK(biencoder_open(&b, dir, NULL, 0));
    CHECK_INT(b.cfg.layout, BIENC_DPR);
    CHECK_INT(b.cfg.pooling, BIENC_POOL_POOLER);
    CHECK_INT(b.cfg.similarity, BIENC_SIM_DOT);
    CHECK_INT(b.cfg.passage_input, BIENC_INPUT_PAIR);
    CHECK_INT(b.cfg.max_passage_len, 64); /* 256 cut to the fixtures' 64 positions */
    CHECK_INT(b.enc[1].cfg.dpr_context, 1);
    /* the passage encoder's embeddings are HF's pooler outputs */
    safetensors g;
    CHECK_OK(safetensors_open(&g, HF "/dpr-golden.safetensors"));
    int32_t *ids = golden_ints(&g, "p_input_ids"), *mask = golden_ints(&g, "p_attention_mask");
    const st_tensor *t = safetensors_find(&g, "p_input_ids");
    int B = (int)t->shape[0], T = (int)t->shape[1], D = biencoder_dim(&b);
    model *m = biencoder_model(&b, BIENC_PASSAGE);
    CHECK_OK(model_alloc(m, B, T, MODEL_INFER));
    CHECK_OK(model_forward(m, &(model_batch){.B = B, .T = T, .input_ids = ids, .attention_mask = mask}, NULL));
    float *emb = malloc((size_t)B * D * sizeof *emb);
    CHECK_OK(biencoder_pool(&b, m, mask, emb));
    golden_check_tensor(&g, "p_emb", emb, (size_t)B * D, 2e-5, 0);
    free(emb), free(ids), free(mask);
    safetensors_close(&g);
    biencoder_free(&b);
    log_set_level(level);
}

/* A sentence-transformers directory around a BertModel: the HF fixtures' DPR encoder saved
 * as BertModel by needle, then the files sentence-transformers writes. */
static void st_dir(const char *dir, const char *pooling_json, const char *modules_extra) {
    biencoder b;
    bienc_config want = {BIENC_SHARED, BIENC_POOL_CLS, 0, 0, 0, 0, 0};
    CHECK_OK(biencoder_open(&b, HF "/dpr-question-encoder", &want, 0));
    CHECK_INT(b.enc[0].cfg.family, MODEL_BERT); /* a DPR encoder as a shared one: a BertModel */
    CHECK_OK(model_save(&b.enc[0], dir));
    biencoder_free(&b);
    char mods[1024];
    snprintf(mods, sizeof mods,
             "[\n  {\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},\n"
             "  {\"idx\": 1, \"name\": \"1\", \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}%s\n]\n",
             modules_extra);
    put(dir, "modules.json", mods);
    put(dir, "sentence_bert_config.json", "{\n  \"max_seq_length\": 32,\n  \"do_lower_case\": false\n}\n");
    put(dir, "config_sentence_transformers.json",
        "{\n  \"__version__\": {\"sentence_transformers\": \"2.2.2\", \"transformers\": \"4.28.1\", \"pytorch\": \"2.0.0\"},\n"
        "  \"prompts\": {}, \"default_prompt_name\": null, \"similarity_fn_name\": \"dot\"\n}\n");
    char *pool = path_join(dir, "1_Pooling");
    CHECK_OK(dir_make(pool));
    put(pool, "config.json", pooling_json);
    free(pool);
}

TEST(biencoder_opens_sentence_transformers_directory) {
    int level = log_level();
    log_set_level(LOG_ERROR);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/st_cls", test_tmpdir());
    st_dir(dir,
           "{\"word_embedding_dimension\": 64, \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false, "
           "\"pooling_mode_max_tokens\": false, \"pooling_mode_mean_sqrt_len_tokens\": false}\n",
           "");
    biencoder b;
    CHECK_OK(biencoder_open(&b, dir, NULL, 0));
    CHECK_INT(b.cfg.layout, BIENC_SHARED);
    CHECK_INT(b.cfg.pooling, BIENC_POOL_CLS);
    CHECK_INT(b.cfg.similarity, BIENC_SIM_DOT);
    CHECK_INT(b.cfg.max_query_len, 32);
    CHECK_INT(b.cfg.max_passage_len, 32);
    CHECK_INT(b.cfg.passage_input, BIENC_INPUT_CONCAT);
    biencoder_free(&b);
    /* a Normalize module means cosine whatever the similarity name */
    snprintf(dir, sizeof dir, "%s/st_mean_norm", test_tmpdir());
    st_dir(dir, "{\"word_embedding_dimension\": 64, \"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true}\n",
           ",\n  {\"idx\": 2, \"name\": \"2\", \"path\": \"2_Normalize\", \"type\": \"sentence_transformers.models.Normalize\"}");
    CHECK_OK(biencoder_open(&b, dir, NULL, 0));
    CHECK_INT(b.cfg.pooling, BIENC_POOL_MEAN);
    CHECK_INT(b.cfg.similarity, BIENC_SIM_COSINE);
    CHECK_INT(b.cfg.max_passage_len, 32);
    biencoder_free(&b);
    snprintf(dir, sizeof dir, "%s/st_max", test_tmpdir());
    st_dir(dir, "{\"word_embedding_dimension\": 64, \"pooling_mode_cls_token\": false, \"pooling_mode_max_tokens\": true}\n", "");
    CHECK_ERR(biencoder_open(&b, dir, NULL, 0), NEEDLE_EUNSUPPORTED, "only one of CLS or mean pooling");
    log_set_level(level);
}

TEST(biencoder_plain_bert_becomes_dpr_encoders) {
    int level = log_level();
    log_set_level(LOG_ERROR);
    model_config c;
    model_config_default(&c, MODEL_BERT);
    c.V = 100, c.C = c.E = 16, c.L = 1, c.NH = 2, c.F = 32, c.P = 32;
    model m;
    CHECK_OK(model_create(&m, &c, 3));
    char dir[256];
    snprintf(dir, sizeof dir, "%s/plain_bert", test_tmpdir());
    CHECK_OK(model_save(&m, dir));
    biencoder b;
    CHECK_OK(biencoder_open(&b, dir, NULL, 0));
    CHECK_INT(b.cfg.layout, BIENC_DPR);
    for (int s = 0; s < 2; s++) {
        CHECK_INT(b.enc[s].cfg.family, MODEL_DPR);
        CHECK_INT(b.enc[s].cfg.dpr_context, s);
        CHECK_STR(model_config_architecture(&b.enc[s].cfg), s ? "DPRContextEncoder" : "DPRQuestionEncoder");
        /* every DPR tensor is the BERT tensor of the same base name; the pooler is gone */
        CHECK_INT(b.enc[s].n_params, m.n_params - 2);
        for (int i = 0; i < b.enc[s].n_params; i++) {
            const model_param *p = &b.enc[s].params[i];
            const model_param *q = model_find_param(&m, p->name + p->base_len);
            CHECK(q && q->numel == p->numel && !memcmp(q->data, p->data, p->numel * sizeof(float)));
        }
    }
    CHECK_ERR(biencoder_tokenize(&b, BIENC_QUERY, 0, NULL, NULL, NULL), NEEDLE_ENOTFOUND, "no tokenizer files");
    biencoder_free(&b);
    model_free(&m);
    log_set_level(level);
}

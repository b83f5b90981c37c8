/* model_init.c — a new, untrained model directory for a given tokenizer: the sizes of
 * Google's BERT miniatures by name (or given one by one), the vocabulary size and padding id
 * taken from the tokenizer, Hugging Face's BERT initialisation (model_create), and the
 * tokenizer files copied beside config.json and model.safetensors.
 *
 * The result is what from_pretrained expects of a checkpoint, so pre-training or fine-tuning
 * a small domain model can start from it with needle or with transformers alike. The
 * directory is refused when it already holds a model, so that nothing saved is overwritten. */
#include "needle/model.h"
#include "needle/error.h"
#include "needle/file.h"
#include "needle/log.h"
#include "needle/tokenizer.h"

#include <stdlib.h>
#include <string.h>

/* Google's BERT miniatures (Turc et al., 2019, "Well-Read Students Learn Better"): heads =
 * H/64 and feed-forward = 4H throughout; base is BERT-base. */
static const struct {
    const char *name;
    int L, H;
} sizes[] = {{"tiny", 2, 128}, {"mini", 4, 256}, {"small", 4, 512}, {"medium", 8, 512}, {"base", 12, 768}};

int model_size_apply(const char *name, model_config *c) {
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (strcmp(name, sizes[i].name)) continue;
        c->L = sizes[i].L;
        c->C = c->E = sizes[i].H;
        c->NH = sizes[i].H / 64;
        c->F = 4 * sizes[i].H;
        return 0;
    }
    return error_set(NEEDLE_EINVAL, "unknown model size '%s' (tiny, mini, small, medium, base)", name);
}

/* The files a tokenizer directory may hold, in any of the layouts tokenizer_load reads. */
static const char *const tokenizer_files[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                              "vocab.txt",      "vocab.json",            "merges.txt",
                                              "added_tokens.json"};

static int copy_tokenizer(const char *src_dir, const char *out_dir) {
    int rc = 0, copied = 0;
    for (size_t i = 0; i < sizeof tokenizer_files / sizeof tokenizer_files[0] && !rc; i++) {
        char *src = path_join(src_dir, tokenizer_files[i]), *dst = path_join(out_dir, tokenizer_files[i]);
        if (!src || !dst) rc = error_set(NEEDLE_ENOMEM, "out of memory");
        else if (file_exists(src) && !(rc = file_copy(src, dst))) copied++;
        free(src);
        free(dst);
    }
    if (!rc && !copied) rc = error_set(NEEDLE_ENOTFOUND, "%s: no tokenizer files to copy", src_dir);
    return rc;
}

static int refuse_existing(const char *out_dir) {
    static const char *const model_files[] = {"config.json", "model.safetensors", "pytorch_model.bin"};
    for (size_t i = 0; i < sizeof model_files / sizeof model_files[0]; i++) {
        char *p = path_join(out_dir, model_files[i]);
        int exists = p && file_exists(p);
        free(p);
        if (exists)
            return error_set(NEEDLE_EINVAL, "%s already holds a model (%s); choose a new directory", out_dir, model_files[i]);
    }
    return 0;
}

int model_init_dir(model_config *cfg, const char *tokenizer_dir, const char *out_dir, uint64_t seed) {
    tokenizer *tk = NULL;
    model m;
    int rc = refuse_existing(out_dir);
    if (!rc) rc = tokenizer_load(tokenizer_dir, &tk);
    if (rc) return rc;
    cfg->V = tokenizer_vocab_size(tk);
    int pad = tokenizer_specials(tk)->pad;
    if (pad < 0) {
        pad = cfg->family == MODEL_ROBERTA ? 1 : 0;
        log_warn("model init: tokenizer %s has no padding token; pad_token_id set to %d", tokenizer_dir, pad);
    }
    cfg->pad_id = pad;
    cfg->pos_offset = cfg->family == MODEL_ROBERTA ? pad + 1 : 0;
    tokenizer_free(tk);
    rc = model_create(&m, cfg, seed);
    cfg->json = NULL; /* model_create took it */
    if (rc) return error_prefix(rc, "model init: ");
    rc = dir_make(out_dir);
    if (!rc) rc = model_save(&m, out_dir);
    if (!rc) rc = copy_tokenizer(tokenizer_dir, out_dir);
    if (!rc)
        log_info("model init: %s %s, %d layers, hidden %d, %d heads, ffn %d, vocabulary %d, %zu parameters", m.cfg.model_type,
                 model_config_architecture(&m.cfg), m.cfg.L, m.cfg.C, m.cfg.NH, m.cfg.F, m.cfg.V, m.n_floats);
    model_free(&m);
    return rc;
}

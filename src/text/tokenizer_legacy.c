/* tokenizer_legacy.c — the older model-directory layouts, built into the same pipeline that
 * transformers' fast tokenizers build from them:
 *
 *   vocab.txt (+ tokenizer_config.json)  → BertTokenizerFast: BertNormalizer(clean_text,
 *       handle_chinese_chars = tokenize_chinese_chars, strip_accents, lowercase =
 *       do_lower_case [default true]), BertPreTokenizer, WordPiece("[UNK]", "##", 100),
 *       [CLS] A [SEP] / [CLS] A [SEP] B [SEP];
 *   vocab.json + merges.txt (+ tokenizer_config.json) → RobertaTokenizerFast when the
 *       vocabulary has <s> and </s> (ByteLevel pre-tokenizer, byte-level BPE,
 *       RobertaProcessing with trim_offsets), else GPT2TokenizerFast (no special tokens
 *       added, no offset trimming).
 *
 * The special tokens named in tokenizer_config.json (unk/sep/pad/cls/mask/bos/eos, as
 * strings or {"content": ...}) and its "added_tokens_decoder" become added tokens matched in
 * the raw text, as transformers registers them. */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"

#include <stdlib.h>
#include <string.h>

/* tokenizer_config.json beside the vocabulary, or NULL when there is none. */
static int read_config(const char *dir, cJSON **cfg) {
    *cfg = NULL;
    char *p = path_join(dir, "tokenizer_config.json");
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory");
    int rc = file_exists(p) ? json_load_file(p, cfg) : 0;
    free(p);
    return rc;
}

/* A special token name from the config (a string or {"content": ...}), else dflt. */
static const char *config_token(const cJSON *cfg, const char *key, const char *dflt) {
    const cJSON *v = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, key) : NULL;
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsObject(v)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "content");
        if (cJSON_IsString(c)) return c->valuestring;
    }
    if (v && cJSON_IsNull(v)) return NULL;
    return dflt;
}

/* Register the config's special tokens (those present in the vocabulary) and its
 * added_tokens_decoder entries as added tokens. */
static int add_specials(tokenizer *tk, const cJSON *cfg, const char *const *keys, const char *const *dflts,
                        const char *origin) {
    int rc = 0;
    const cJSON *dec = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "added_tokens_decoder") : NULL;
    for (const cJSON *e = cJSON_IsObject(dec) ? dec->child : NULL; e && !rc; e = e->next) {
        const char *content;
        int sw, ls, rs, norm, special;
        char *end;
        long id = strtol(e->string, &end, 10);
        if (*end || id < 0) return error_set(NEEDLE_EFORMAT, "%s: added_tokens_decoder key \"%s\" is not an id", origin, e->string);
        if ((rc = json_get_string(e, "content", origin, &content)) || (rc = json_opt_bool(e, "single_word", origin, 0, &sw)) ||
            (rc = json_opt_bool(e, "lstrip", origin, 0, &ls)) || (rc = json_opt_bool(e, "rstrip", origin, 0, &rs)) ||
            (rc = json_opt_bool(e, "special", origin, 0, &special)) || (rc = json_opt_bool(e, "normalized", origin, !special, &norm)))
            return rc;
        rc = added_vocab_add(&tk->added, content, (int32_t)id, sw, ls, rs, norm, special);
    }
    for (int i = 0; keys[i] && !rc; i++) {
        const char *name = config_token(cfg, keys[i], dflts[i]);
        int32_t id;
        if (!name || !strmap_get(&tk->model.vocab, name, strlen(name), &id)) continue;
        int dup = 0;
        for (int k = 0; k < tk->added.n && !dup; k++) dup = tk->added.t[k].id == id;
        if (!dup) rc = added_vocab_add(&tk->added, name, id, 0, 0, 0, 0, 1);
    }
    return rc;
}

static int finish(tokenizer *tk, const char *origin) {
    int rc = added_vocab_prepare(&tk->added, tk->normalizer);
    if (!rc) rc = vocab_model_finish(&tk->model, origin);
    if (!rc) rc = tokenizer_finish(tk, origin);
    return rc;
}

static tokenizer *new_tokenizer(void) {
    uc_init();
    tokenizer *tk = calloc(1, sizeof *tk);
    if (!tk) return NULL;
    strmap_init(&tk->added_ids);
    strmap_init(&tk->model.vocab);
    postproc_default(&tk->post);
    return tk;
}

static int special_id(const tokenizer *tk, const cJSON *cfg, const char *key, const char *dflt, const char *origin, int32_t *id) {
    const char *name = config_token(cfg, key, dflt);
    if (!name || !strmap_get(&tk->model.vocab, name, strlen(name), id))
        return error_set(NEEDLE_EFORMAT, "%s: the %s \"%s\" is not in the vocabulary", origin, key, name ? name : "(none)");
    return 0;
}

int tokenizer_load_wordpiece_dir(const char *dir, tokenizer **out) {
    *out = NULL;
    char *vpath = path_join(dir, "vocab.txt");
    char *text = NULL;
    size_t len;
    cJSON *cfg = NULL;
    tokenizer *tk = new_tokenizer();
    int rc = vpath && tk ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = file_read_all(vpath, &text, &len);
    if (!rc) rc = read_config(dir, &cfg);
    if (rc) goto done;
    vocab_model *m = &tk->model;
    m->kind = MODEL_WORDPIECE;
    m->max_input_chars = 100;
    m->prefix = strdup("##");
    m->prefix_len = 2;
    if (!m->prefix) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); goto done; }
    int32_t id = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t e = j;
        if (e > i && text[e - 1] == '\r') e--;
        if ((rc = vocab_model_add_token(m, text + i, e - i, id++))) goto done;
        i = j + 1;
    }
    if (id == 0) { rc = error_set(NEEDLE_EFORMAT, "%s: empty vocabulary", vpath); goto done; }
    int lower = 1, strip = -1, chinese = 1;
    const char *origin = vpath;
    if (cfg) {
        if ((rc = json_opt_bool(cfg, "do_lower_case", origin, 1, &lower))) goto done;
        if ((rc = json_opt_bool(cfg, "tokenize_chinese_chars", origin, 1, &chinese))) goto done;
        const cJSON *sa = cJSON_GetObjectItemCaseSensitive(cfg, "strip_accents");
        if (cJSON_IsBool(sa)) strip = cJSON_IsTrue(sa);
    }
    tk->normalizer = calloc(1, sizeof *tk->normalizer);
    tk->pretok = calloc(1, sizeof *tk->pretok);
    if (!tk->normalizer || !tk->pretok) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); goto done; }
    *tk->normalizer = (normalizer){.kind = NZ_BERT, .clean_text = 1, .handle_chinese = (uint8_t)chinese,
                                   .strip_accents = (uint8_t)(strip < 0 ? lower : strip), .lowercase = (uint8_t)lower};
    tk->pretok->kind = PT_BERT;
    const char *unk = config_token(cfg, "unk_token", "[UNK]");
    if (!unk || !strmap_get(&m->vocab, unk, strlen(unk), &m->unk_id)) m->unk_id = -1;
    int32_t cls, sep;
    if ((rc = special_id(tk, cfg, "cls_token", "[CLS]", origin, &cls)) || (rc = special_id(tk, cfg, "sep_token", "[SEP]", origin, &sep)))
        goto done;
    if ((rc = postproc_cls_sep(&tk->post, cls, sep, 0))) goto done;
    static const char *keys[] = {"pad_token", "unk_token", "cls_token", "sep_token", "mask_token", NULL};
    static const char *dflts[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", NULL};
    if ((rc = add_specials(tk, cfg, keys, dflts, origin))) goto done;
    rc = finish(tk, origin);
done:
    free(text);
    free(vpath);
    cJSON_Delete(cfg);
    if (rc) tokenizer_free(tk);
    else *out = tk;
    return rc;
}

/* merges.txt: "#version" lines and blank lines skipped, else "a b" per line. */
static int read_merges(vocab_model *m, const char *path) {
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    if ((rc = bpe_merges_create(&m->merges))) goto done;
    int32_t rank = 0;
    size_t line = 0;
    for (size_t i = 0; i < len && !rc;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        size_t e = j;
        if (e > i && text[e - 1] == '\r') e--;
        line++;
        if (e > i && !(e - i >= 8 && !strncmp(text + i, "#version", 8))) {
            const char *sp = memchr(text + i, ' ', e - i);
            if (!sp || memchr(sp + 1, ' ', (size_t)(text + e - sp - 1)))
                rc = error_set(NEEDLE_EFORMAT, "%s: line %zu should be two tokens separated by one space", path, line);
            else
                rc = vocab_model_add_merge(m, text + i, (size_t)(sp - text - i), sp + 1, (size_t)(text + e - sp - 1), rank++, path);
        }
        i = j + 1;
    }
done:
    free(text);
    return rc;
}

int tokenizer_load_bpe_dir(const char *dir, tokenizer **out) {
    *out = NULL;
    char *vpath = path_join(dir, "vocab.json"), *mpath = path_join(dir, "merges.txt");
    cJSON *vocab = NULL, *cfg = NULL;
    tokenizer *tk = new_tokenizer();
    int rc = vpath && mpath && tk ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc && !file_exists(mpath)) rc = error_set(NEEDLE_ENOTFOUND, "%s: vocab.json has no merges.txt beside it", dir);
    if (!rc) rc = json_load_file(vpath, &vocab);
    if (!rc) rc = read_config(dir, &cfg);
    if (rc) goto done;
    vocab_model *m = &tk->model;
    m->kind = MODEL_BPE;
    m->unk_id = -1;
    if (!cJSON_IsObject(vocab)) { rc = error_set(NEEDLE_EFORMAT, "%s: should be an object of token: id", vpath); goto done; }
    for (const cJSON *e = vocab->child; e && !rc; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0)
            rc = error_set(NEEDLE_EFORMAT, "%s: the id of \"%s\" should be a non-negative integer", vpath, e->string);
        else
            rc = vocab_model_add_token(m, e->string, strlen(e->string), (int32_t)e->valuedouble);
    }
    if (!rc) rc = read_merges(m, mpath);
    if (rc) goto done;
    int aps = 0, trim = 1;
    if (cfg && ((rc = json_opt_bool(cfg, "add_prefix_space", vpath, 0, &aps)) || (rc = json_opt_bool(cfg, "trim_offsets", vpath, 1, &trim))))
        goto done;
    tk->pretok = calloc(1, sizeof *tk->pretok);
    if (!tk->pretok) { rc = error_set(NEEDLE_ENOMEM, "out of memory"); goto done; }
    *tk->pretok = (pretokenizer){.kind = PT_BYTELEVEL, .add_prefix_space = (uint8_t)aps, .use_regex = 1};
    int32_t cls, sep;
    int roberta = strmap_get(&m->vocab, "<s>", 3, &cls) && strmap_get(&m->vocab, "</s>", 4, &sep);
    if (roberta) {
        if ((rc = special_id(tk, cfg, "cls_token", "<s>", vpath, &cls)) || (rc = special_id(tk, cfg, "sep_token", "</s>", vpath, &sep)) ||
            (rc = postproc_cls_sep(&tk->post, cls, sep, 1)))
            goto done;
        tk->post.trim_offsets = (uint8_t)trim;
        tk->post.trim_add_prefix_space = (uint8_t)aps;
        static const char *keys[] = {"bos_token", "pad_token", "eos_token", "unk_token", "mask_token", NULL};
        static const char *dflts[] = {"<s>", "<pad>", "</s>", "<unk>", "<mask>", NULL};
        rc = add_specials(tk, cfg, keys, dflts, vpath);
    } else {
        static const char *keys[] = {"bos_token", "eos_token", "unk_token", NULL};
        static const char *dflts[] = {"<|endoftext|>", "<|endoftext|>", "<|endoftext|>", NULL};
        rc = add_specials(tk, cfg, keys, dflts, vpath);
    }
    if (!rc) rc = finish(tk, vpath);
done:
    free(vpath);
    free(mpath);
    cJSON_Delete(vocab);
    cJSON_Delete(cfg);
    if (rc) tokenizer_free(tk);
    else *out = tk;
    return rc;
}

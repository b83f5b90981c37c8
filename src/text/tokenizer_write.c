/* tokenizer_write.c — a trained WordPiece vocabulary written as the BERT tokenizer directory
 * Hugging Face writes: tokenizer.json (the `tokenizers` document: BertNormalizer,
 * BertPreTokenizer, WordPiece model, TemplateProcessing with [CLS]/[SEP] as transformers'
 * BertTokenizerFast saves it, WordPiece decoder, special tokens as added tokens), vocab.txt
 * (one token per line in id order, for the slow BertTokenizer and older loaders),
 * tokenizer_config.json (do_lower_case and the special tokens, tokenizer_class BertTokenizer)
 * and special_tokens_map.json. Each file is written atomically, so an interrupted write leaves
 * the previous file, never a torn one. The documents are checked against the ones HF's
 * library writes for the same vocabulary (tests/text/test_wordpiece_train.c). */
#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/strbuf.h"
#include "needle/wordpiece_train.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *role, *token;
    int id;
} special_role;

/* The ids of the BERT roles: [UNK] [CLS] [SEP] are required, [PAD] [MASK] optional. */
static int find_roles(const wp_vocab *v, special_role roles[5]) {
    static const char *const names[5][2] = {{"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"},
                                            {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}};
    for (int r = 0; r < 5; r++) {
        roles[r] = (special_role){names[r][0], names[r][1], -1};
        for (int i = 0; i < v->n_special; i++)
            if (!strcmp(v->tokens[i], names[r][1])) roles[r].id = i;
        if (roles[r].id < 0 && (r == 0 || r == 1 || r == 3))
            return error_set(NEEDLE_EINVAL, "a BERT tokenizer needs the special token %s (add it to the special tokens)", names[r][1]);
    }
    return 0;
}

static void write_added_token(jsonw *w, const char *content, int with_id, int id) {
    jsonw_object_begin(w);
    if (with_id) {
        jsonw_key(w, "id");
        jsonw_int(w, id);
    }
    jsonw_key(w, "content");
    jsonw_string(w, content);
    static const char *const flags[] = {"single_word", "lstrip", "rstrip", "normalized"};
    for (int f = 0; f < 4; f++) {
        jsonw_key(w, flags[f]);
        jsonw_bool(w, 0);
    }
    jsonw_key(w, "special");
    jsonw_bool(w, 1);
    jsonw_object_end(w);
}

static void write_piece(jsonw *w, const char *kind, const char *id, int type_id) {
    jsonw_object_begin(w);
    jsonw_key(w, kind);
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_string(w, id);
    jsonw_key(w, "type_id");
    jsonw_int(w, type_id);
    jsonw_object_end(w);
    jsonw_object_end(w);
}

static void write_special_entry(jsonw *w, const special_role *r) {
    jsonw_key(w, r->token);
    jsonw_object_begin(w);
    jsonw_key(w, "id");
    jsonw_string(w, r->token);
    jsonw_key(w, "ids");
    jsonw_array_begin(w);
    jsonw_int(w, r->id);
    jsonw_array_end(w);
    jsonw_key(w, "tokens");
    jsonw_array_begin(w);
    jsonw_string(w, r->token);
    jsonw_array_end(w);
    jsonw_object_end(w);
}

static void write_tokenizer_json(jsonw *w, const wp_vocab *v, const special_role *roles, int lowercase) {
    const special_role *cls = &roles[3], *sep = &roles[1];
    jsonw_object_begin(w);
    jsonw_key(w, "version");
    jsonw_string(w, "1.0");
    jsonw_key(w, "truncation");
    jsonw_null(w);
    jsonw_key(w, "padding");
    jsonw_null(w);
    jsonw_key(w, "added_tokens");
    jsonw_array_begin(w);
    for (int i = 0; i < v->n_special; i++) write_added_token(w, v->tokens[i], 1, i);
    jsonw_array_end(w);
    jsonw_key(w, "normalizer");
    jsonw_object_begin(w);
    jsonw_key(w, "type");
    jsonw_string(w, "BertNormalizer");
    jsonw_key(w, "clean_text");
    jsonw_bool(w, 1);
    jsonw_key(w, "handle_chinese_chars");
    jsonw_bool(w, 1);
    jsonw_key(w, "strip_accents");
    jsonw_null(w);
    jsonw_key(w, "lowercase");
    jsonw_bool(w, lowercase);
    jsonw_object_end(w);
    jsonw_key(w, "pre_tokenizer");
    jsonw_object_begin(w);
    jsonw_key(w, "type");
    jsonw_string(w, "BertPreTokenizer");
    jsonw_object_end(w);
    jsonw_key(w, "post_processor");
    jsonw_object_begin(w);
    jsonw_key(w, "type");
    jsonw_string(w, "TemplateProcessing");
    jsonw_key(w, "single");
    jsonw_array_begin(w);
    write_piece(w, "SpecialToken", cls->token, 0);
    write_piece(w, "Sequence", "A", 0);
    write_piece(w, "SpecialToken", sep->token, 0);
    jsonw_array_end(w);
    jsonw_key(w, "pair");
    jsonw_array_begin(w);
    write_piece(w, "SpecialToken", cls->token, 0);
    write_piece(w, "Sequence", "A", 0);
    write_piece(w, "SpecialToken", sep->token, 0);
    write_piece(w, "Sequence", "B", 1);
    write_piece(w, "SpecialToken", sep->token, 1);
    jsonw_array_end(w);
    jsonw_key(w, "special_tokens");
    jsonw_object_begin(w);
    write_special_entry(w, cls);
    write_special_entry(w, sep);
    jsonw_object_end(w);
    jsonw_object_end(w);
    jsonw_key(w, "decoder");
    jsonw_object_begin(w);
    jsonw_key(w, "type");
    jsonw_string(w, "WordPiece");
    jsonw_key(w, "prefix");
    jsonw_string(w, "##");
    jsonw_key(w, "cleanup");
    jsonw_bool(w, 1);
    jsonw_object_end(w);
    jsonw_key(w, "model");
    jsonw_object_begin(w);
    jsonw_key(w, "type");
    jsonw_string(w, "WordPiece");
    jsonw_key(w, "unk_token");
    jsonw_string(w, roles[0].token);
    jsonw_key(w, "continuing_subword_prefix");
    jsonw_string(w, "##");
    jsonw_key(w, "max_input_chars_per_word");
    jsonw_int(w, 100);
    jsonw_key(w, "vocab");
    jsonw_object_begin(w);
    for (int i = 0; i < v->n; i++) {
        jsonw_key(w, v->tokens[i]);
        jsonw_int(w, i);
    }
    jsonw_object_end(w);
    jsonw_object_end(w);
    jsonw_object_end(w);
}

static void write_roles(jsonw *w, const special_role *roles) {
    static const int order[5] = {3, 4, 2, 1, 0}; /* cls, mask, pad, sep, unk: transformers' sorted keys */
    for (int k = 0; k < 5; k++) {
        const special_role *r = &roles[order[k]];
        if (r->id < 0) continue;
        jsonw_key(w, r->role);
        jsonw_string(w, r->token);
    }
}

static void write_config(jsonw *w, const wp_vocab *v, const special_role *roles, int lowercase) {
    jsonw_object_begin(w);
    jsonw_key(w, "added_tokens_decoder");
    jsonw_object_begin(w);
    for (int i = 0; i < v->n_special; i++) {
        char k[16];
        snprintf(k, sizeof k, "%d", i);
        jsonw_key(w, k);
        write_added_token(w, v->tokens[i], 0, i);
    }
    jsonw_object_end(w);
    jsonw_key(w, "clean_up_tokenization_spaces");
    jsonw_bool(w, 1);
    jsonw_key(w, "do_lower_case");
    jsonw_bool(w, lowercase);
    jsonw_key(w, "model_max_length");
    jsonw_int(w, 512);
    jsonw_key(w, "strip_accents");
    jsonw_null(w);
    jsonw_key(w, "tokenize_chinese_chars");
    jsonw_bool(w, 1);
    jsonw_key(w, "tokenizer_class");
    jsonw_string(w, "BertTokenizer");
    write_roles(w, roles);
    jsonw_object_end(w);
}

/* Serialise with `fn` and write `name` in dir atomically. */
static int write_json_file(const char *dir, const char *name, void (*fn)(jsonw *, const wp_vocab *, const special_role *, int),
                           const wp_vocab *v, const special_role *roles, int lowercase) {
    strbuf sb;
    strbuf_init(&sb);
    jsonw w;
    jsonw_init(&w, &sb);
    fn(&w, v, roles, lowercase);
    int rc = w.err || strbuf_putc(&sb, '\n') ? error_set(NEEDLE_ENOMEM, "out of memory writing %s", name) : 0;
    char *path = rc ? NULL : path_join(dir, name);
    if (!rc && !path) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = file_write_atomic(path, sb.data, sb.len);
    free(path);
    strbuf_free(&sb);
    return rc;
}

static void write_special_map(jsonw *w, const wp_vocab *v, const special_role *roles, int lowercase) {
    (void)v;
    (void)lowercase;
    jsonw_object_begin(w);
    write_roles(w, roles);
    jsonw_object_end(w);
}

static int write_vocab_txt(const char *dir, const wp_vocab *v) {
    strbuf sb;
    strbuf_init(&sb);
    int rc = 0;
    for (int i = 0; i < v->n && !rc; i++) {
        if (strchr(v->tokens[i], '\n'))
            rc = error_set(NEEDLE_EINVAL, "token %d holds a line break and cannot be written to vocab.txt", i);
        else if (strbuf_puts(&sb, v->tokens[i]) || strbuf_putc(&sb, '\n'))
            rc = error_set(NEEDLE_ENOMEM, "out of memory writing vocab.txt");
    }
    char *path = rc ? NULL : path_join(dir, "vocab.txt");
    if (!rc && !path) rc = error_set(NEEDLE_ENOMEM, "out of memory");
    if (!rc) rc = file_write_atomic(path, sb.data ? sb.data : "", sb.len);
    free(path);
    strbuf_free(&sb);
    return rc;
}

int tokenizer_write_wordpiece(const char *dir, const wp_vocab *v, int lowercase) {
    special_role roles[5];
    int rc = find_roles(v, roles);
    if (!rc) rc = dir_make(dir);
    if (!rc) rc = write_vocab_txt(dir, v);
    if (!rc) rc = write_json_file(dir, "tokenizer.json", write_tokenizer_json, v, roles, lowercase);
    if (!rc) rc = write_json_file(dir, "tokenizer_config.json", write_config, v, roles, lowercase);
    if (!rc) rc = write_json_file(dir, "special_tokens_map.json", write_special_map, v, roles, lowercase);
    return rc ? error_prefix(rc, "writing tokenizer to %s: ", dir) : 0;
}

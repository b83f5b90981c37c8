/* tokenizer_load.c — reads tokenizer.json (the Hugging Face `tokenizers` format) into the
 * pipeline, and finds which layout a model directory uses.
 *
 * Every section is checked as it is read: an unknown or unsupported component type fails
 * with NEEDLE_EUNSUPPORTED naming the section and the type (a tokenizer that silently skips
 * a normalizer would give different ids), and a missing or mistyped field fails with
 * NEEDLE_EFORMAT naming the file and the field. Defaults are HF's serde defaults. The model
 * builders here (model_add_token, model_add_merge, model_finish) are shared with the legacy
 * vocab.txt / vocab.json + merges.txt loader (tokenizer_legacy.c). */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"
#include "needle/file.h"
#include "needle/json.h"
#include "needle/utf8.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ shared builders */

int vocab_model_add_token(vocab_model *m, const char *tok, size_t len, int32_t id) {
    if ((int)len > m->max_token_bytes) m->max_token_bytes = (int)len;
    return strmap_put(&m->vocab, tok, len, id);
}

/* A BPE merge "a b": ids of a, b and of a + b (b without the continuing-subword prefix). */
int vocab_model_add_merge(vocab_model *m, const char *a, size_t alen, const char *b, size_t blen, int32_t rank, const char *origin) {
    int32_t ia, ib, inew;
    if (!strmap_get(&m->vocab, a, alen, &ia))
        return error_set(NEEDLE_EFORMAT, "%s: merge %d: \"%.*s\" is not in the vocabulary", origin, rank, (int)alen, a);
    if (!strmap_get(&m->vocab, b, blen, &ib))
        return error_set(NEEDLE_EFORMAT, "%s: merge %d: \"%.*s\" is not in the vocabulary", origin, rank, (int)blen, b);
    size_t skip = (size_t)m->prefix_len < blen ? (size_t)m->prefix_len : blen;
    char stack[256];
    size_t nlen = alen + blen - skip;
    char *joined = nlen <= sizeof stack ? stack : malloc(nlen);
    if (!joined) return error_set(NEEDLE_ENOMEM, "%s: out of memory reading merges", origin);
    memcpy(joined, a, alen);
    memcpy(joined + alen, b + skip, blen - skip);
    int found = strmap_get(&m->vocab, joined, nlen, &inew);
    int rc = found ? 0
                   : error_set(NEEDLE_EFORMAT, "%s: merge %d: \"%.*s\" is not in the vocabulary", origin, rank, (int)nlen,
                               joined);
    if (joined != stack) free(joined);
    if (rc) return rc;
    return bpe_merges_add(m->merges, ia, ib, rank, inew);
}

int vocab_model_finish(vocab_model *m, const char *origin) {
    static atomic_ullong next_uid = 1;
    m->uid = atomic_fetch_add(&next_uid, 1);
    if (m->kind == MODEL_BPE) {
        m->char_ids = malloc(1024 * sizeof *m->char_ids);
        if (!m->char_ids) return error_set(NEEDLE_ENOMEM, "%s: out of memory", origin);
        for (uint32_t c = 0; c < 1024; c++) {
            char buf[4];
            int len = utf8_encode(c, buf);
            int32_t id;
            m->char_ids[c] = strmap_get(&m->vocab, buf, (size_t)len, &id) ? id : -1;
        }
    }
    return 0;
}

static int set_str(char **dst, int *dlen, const char *s) {
    free(*dst);
    *dst = strdup(s ? s : "");
    if (!*dst) return error_set(NEEDLE_ENOMEM, "out of memory");
    if (dlen) *dlen = (int)strlen(*dst);
    return 0;
}

static uint32_t *decode_str(const char *s, int *len) {
    size_t n = strlen(s);
    uint32_t *cp = malloc((n + 1) * sizeof *cp);
    if (cp) *len = (int)utf8_decode_all(s, n, cp, NULL);
    return cp;
}

/* ------------------------------------------------------------ sections */

static int unsupported(const char *origin, const char *section, const char *type) {
    return error_set(NEEDLE_EUNSUPPORTED, "%s: %s type \"%s\" is not supported", origin, section, type);
}

static int get_type(const cJSON *j, const char *origin, const char *section, const char **type) {
    if (!cJSON_IsObject(j)) return error_set(NEEDLE_EFORMAT, "%s: %s should be an object", origin, section);
    return json_get_string(j, "type", origin, type);
}

static int parse_normalizer(const cJSON *j, const char *origin, normalizer *nz) {
    const char *type;
    int rc = get_type(j, origin, "normalizer", &type), b;
    if (rc) return rc;
    memset(nz, 0, sizeof *nz);
    if (!strcmp(type, "BertNormalizer")) {
        nz->kind = NZ_BERT;
        int lower;
        if ((rc = json_opt_bool(j, "clean_text", origin, 1, &b))) return rc;
        nz->clean_text = (uint8_t)b;
        if ((rc = json_opt_bool(j, "handle_chinese_chars", origin, 1, &b))) return rc;
        nz->handle_chinese = (uint8_t)b;
        if ((rc = json_opt_bool(j, "lowercase", origin, 1, &lower))) return rc;
        nz->lowercase = (uint8_t)lower;
        if ((rc = json_opt_bool(j, "strip_accents", origin, lower, &b))) return rc;
        nz->strip_accents = (uint8_t)b;
        return 0;
    }
    static const struct { const char *name; nz_kind kind; } simple[] = {
        {"NFC", NZ_NFC}, {"NFD", NZ_NFD}, {"NFKC", NZ_NFKC}, {"NFKD", NZ_NFKD},
        {"Lowercase", NZ_LOWERCASE}, {"StripAccents", NZ_STRIP_ACCENTS}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (!strcmp(type, simple[i].name)) {
            nz->kind = simple[i].kind;
            return 0;
        }
    }
    if (!strcmp(type, "Strip")) {
        nz->kind = NZ_STRIP;
        if ((rc = json_opt_bool(j, "strip_left", origin, 1, &b))) return rc;
        nz->left = (uint8_t)b;
        if ((rc = json_opt_bool(j, "strip_right", origin, 1, &b))) return rc;
        nz->right = (uint8_t)b;
        return 0;
    }
    if (!strcmp(type, "Prepend")) {
        const char *p;
        nz->kind = NZ_PREPEND;
        if ((rc = json_get_string(j, "prepend", origin, &p))) return rc;
        nz->content = decode_str(p, &nz->content_len);
        return nz->content ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (!strcmp(type, "Replace")) {
        const cJSON *pat = cJSON_GetObjectItemCaseSensitive(j, "pattern");
        const char *content, *s;
        nz->kind = NZ_REPLACE;
        if ((rc = json_get_string(j, "content", origin, &content))) return rc;
        if (!cJSON_IsObject(pat)) return error_set(NEEDLE_EFORMAT, "%s: Replace normalizer: field \"pattern\" should be an object", origin);
        if (cJSON_GetObjectItemCaseSensitive(pat, "Regex"))
            return error_set(NEEDLE_EUNSUPPORTED, "%s: Replace normalizer with a Regex pattern is not supported", origin);
        if ((rc = json_get_string(pat, "String", origin, &s))) return rc;
        nz->pattern = decode_str(s, &nz->pattern_len);
        nz->content = decode_str(content, &nz->content_len);
        return nz->pattern && nz->content ? 0 : error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (!strcmp(type, "Sequence")) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "normalizers");
        nz->kind = NZ_SEQUENCE;
        if (!cJSON_IsArray(items)) return error_set(NEEDLE_EFORMAT, "%s: Sequence normalizer: field \"normalizers\" should be an array", origin);
        int n = cJSON_GetArraySize(items);
        nz->items = calloc(n ? (size_t)n : 1, sizeof *nz->items);
        if (!nz->items) return error_set(NEEDLE_ENOMEM, "out of memory");
        for (int i = 0; i < n; i++) {
            if ((rc = parse_normalizer(cJSON_GetArrayItem(items, i), origin, &nz->items[i]))) return rc;
            nz->n_items++;
        }
        return 0;
    }
    return unsupported(origin, "normalizer", type);
}

static int parse_behavior(const cJSON *j, const char *origin, split_behavior dflt, split_behavior *out) {
    const char *s;
    int rc = json_opt_string(j, "behavior", origin, NULL, &s);
    if (rc) return rc;
    *out = dflt;
    if (!s) return 0;
    static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) { *out = (split_behavior)i; return 0; }
    return error_set(NEEDLE_EFORMAT, "%s: unknown split behavior \"%s\"", origin, s);
}

static int parse_pretokenizer(const cJSON *j, const char *origin, pretokenizer *pt) {
    const char *type;
    int rc = get_type(j, origin, "pre_tokenizer", &type), b;
    if (rc) return rc;
    memset(pt, 0, sizeof *pt);
    if (!strcmp(type, "BertPreTokenizer")) { pt->kind = PT_BERT; return 0; }
    if (!strcmp(type, "Whitespace")) { pt->kind = PT_WHITESPACE; return 0; }
    if (!strcmp(type, "WhitespaceSplit")) { pt->kind = PT_WHITESPACE_SPLIT; return 0; }
    if (!strcmp(type, "Punctuation")) {
        pt->kind = PT_PUNCTUATION;
        return parse_behavior(j, origin, SPLIT_ISOLATED, &pt->behavior);
    }
    if (!strcmp(type, "Digits")) {
        pt->kind = PT_DIGITS;
        if ((rc = json_opt_bool(j, "individual_digits", origin, 0, &b))) return rc;
        pt->individual_digits = (uint8_t)b;
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) {
        pt->kind = PT_BYTELEVEL;
        if ((rc = json_opt_bool(j, "add_prefix_space", origin, 1, &b))) return rc;
        pt->add_prefix_space = (uint8_t)b;
        if ((rc = json_opt_bool(j, "use_regex", origin, 1, &b))) return rc;
        pt->use_regex = (uint8_t)b;
        return 0;
    }
    if (!strcmp(type, "Metaspace")) {
        const char *rep, *scheme;
        pt->kind = PT_METASPACE;
        if ((rc = json_opt_string(j, "replacement", origin, "\xe2\x96\x81", &rep))) return rc;
        int n;
        uint32_t *cp = decode_str(rep, &n);
        if (!cp) return error_set(NEEDLE_ENOMEM, "out of memory");
        pt->replacement = n > 0 ? cp[0] : 0x2581;
        free(cp);
        if (n != 1) return error_set(NEEDLE_EFORMAT, "%s: Metaspace replacement should be one character", origin);
        if ((rc = json_opt_bool(j, "split", origin, 1, &b))) return rc;
        pt->split = (uint8_t)b;
        if ((rc = json_opt_string(j, "prepend_scheme", origin, NULL, &scheme))) return rc;
        if (scheme) {
            if (!strcmp(scheme, "always")) pt->prepend_scheme = PREPEND_ALWAYS;
            else if (!strcmp(scheme, "first")) pt->prepend_scheme = PREPEND_FIRST;
            else if (!strcmp(scheme, "never")) pt->prepend_scheme = PREPEND_NEVER;
            else return error_set(NEEDLE_EFORMAT, "%s: unknown Metaspace prepend_scheme \"%s\"", origin, scheme);
        } else {
            if ((rc = json_opt_bool(j, "add_prefix_space", origin, 1, &b))) return rc;
            pt->prepend_scheme = b ? PREPEND_ALWAYS : PREPEND_NEVER;
        }
        return 0;
    }
    if (!strcmp(type, "Sequence")) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "pretokenizers");
        pt->kind = PT_SEQUENCE;
        if (!cJSON_IsArray(items)) return error_set(NEEDLE_EFORMAT, "%s: Sequence pre_tokenizer: field \"pretokenizers\" should be an array", origin);
        int n = cJSON_GetArraySize(items);
        pt->items = calloc(n ? (size_t)n : 1, sizeof *pt->items);
        if (!pt->items) return error_set(NEEDLE_ENOMEM, "out of memory");
        for (int i = 0; i < n; i++) {
            if ((rc = parse_pretokenizer(cJSON_GetArrayItem(items, i), origin, &pt->items[i]))) return rc;
            pt->n_items++;
        }
        return 0;
    }
    return unsupported(origin, "pre_tokenizer", type);
}

static int parse_vocab_object(vocab_model *m, const cJSON *vocab, const char *origin) {
    if (!cJSON_IsObject(vocab)) return error_set(NEEDLE_EFORMAT, "%s: model: field \"vocab\" should be an object", origin);
    for (const cJSON *e = vocab->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > INT32_MAX)
            return error_set(NEEDLE_EFORMAT, "%s: model vocab: the id of \"%s\" should be a non-negative integer", origin, e->string);
        int rc = vocab_model_add_token(m, e->string, strlen(e->string), (int32_t)e->valuedouble);
        if (rc) return rc;
    }
    return 0;
}

static int unk_from(vocab_model *m, const cJSON *j, const char *origin, int required) {
    const char *unk;
    int rc = json_opt_string(j, "unk_token", origin, NULL, &unk);
    if (rc) return rc;
    m->unk_id = -1;
    if (!unk) return required ? error_set(NEEDLE_EFORMAT, "%s: model: missing field \"unk_token\"", origin) : 0;
    if (!strmap_get(&m->vocab, unk, strlen(unk), &m->unk_id))
        return error_set(NEEDLE_EFORMAT, "%s: model: unk_token \"%s\" is not in the vocabulary", origin, unk);
    return 0;
}

static int parse_bpe(vocab_model *m, const cJSON *j, const char *origin) {
    const char *s;
    int rc, b;
    double dropout;
    m->kind = MODEL_BPE;
    if ((rc = json_opt_double(j, "dropout", origin, 0.0, &dropout))) return rc;
    if (dropout > 0) return error_set(NEEDLE_EUNSUPPORTED, "%s: BPE dropout %g is not supported (encoding must be deterministic)", origin, dropout);
    if ((rc = parse_vocab_object(m, cJSON_GetObjectItemCaseSensitive(j, "vocab"), origin))) return rc;
    if ((rc = unk_from(m, j, origin, 0))) return rc;
    if ((rc = json_opt_string(j, "continuing_subword_prefix", origin, "", &s)) || (rc = set_str(&m->prefix, &m->prefix_len, s))) return rc;
    if ((rc = json_opt_string(j, "end_of_word_suffix", origin, "", &s)) || (rc = set_str(&m->suffix, &m->suffix_len, s))) return rc;
    if ((rc = json_opt_bool(j, "fuse_unk", origin, 0, &b))) return rc;
    m->fuse_unk = (uint8_t)b;
    if ((rc = json_opt_bool(j, "byte_fallback", origin, 0, &b))) return rc;
    m->byte_fallback = (uint8_t)b;
    if ((rc = json_opt_bool(j, "ignore_merges", origin, 0, &b))) return rc;
    m->ignore_merges = (uint8_t)b;
    if ((rc = bpe_merges_create(&m->merges))) return rc;
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(j, "merges");
    if (!cJSON_IsArray(merges)) return error_set(NEEDLE_EFORMAT, "%s: BPE model: field \"merges\" should be an array", origin);
    int rank = 0;
    for (const cJSON *e = merges->child; e; e = e->next, rank++) {
        if (cJSON_IsString(e)) {
            const char *sp = strchr(e->valuestring, ' ');
            if (!sp || strchr(sp + 1, ' '))
                return error_set(NEEDLE_EFORMAT, "%s: merge %d \"%s\" should be two tokens separated by one space", origin, rank, e->valuestring);
            rc = vocab_model_add_merge(m, e->valuestring, (size_t)(sp - e->valuestring), sp + 1, strlen(sp + 1), rank, origin);
        } else if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsString(e->child) && cJSON_IsString(e->child->next)) {
            const char *a = e->child->valuestring, *bb = e->child->next->valuestring;
            rc = vocab_model_add_merge(m, a, strlen(a), bb, strlen(bb), rank, origin);
        } else {
            rc = error_set(NEEDLE_EFORMAT, "%s: merge %d should be \"a b\" or [\"a\", \"b\"]", origin, rank);
        }
        if (rc) return rc;
    }
    return 0;
}

static int parse_unigram(vocab_model *m, const cJSON *j, const char *origin) {
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    long long unk;
    int rc, b;
    m->kind = MODEL_UNIGRAM;
    m->fuse_unk = 1;
    if (!cJSON_IsArray(vocab)) return error_set(NEEDLE_EFORMAT, "%s: Unigram model: field \"vocab\" should be an array", origin);
    int n = cJSON_GetArraySize(vocab);
    m->scores = malloc((n ? (size_t)n : 1) * sizeof *m->scores);
    if (!m->scores) return error_set(NEEDLE_ENOMEM, "out of memory");
    m->min_score = 0;
    int id = 0;
    for (const cJSON *e = vocab->child; e; e = e->next, id++) {
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(e->child) || !cJSON_IsNumber(e->child->next))
            return error_set(NEEDLE_EFORMAT, "%s: Unigram vocab entry %d should be [piece, score]", origin, id);
        m->scores[id] = e->child->next->valuedouble;
        if (id == 0 || m->scores[id] < m->min_score) m->min_score = m->scores[id];
        if ((rc = vocab_model_add_token(m, e->child->valuestring, strlen(e->child->valuestring), id))) return rc;
    }
    if ((rc = json_opt_int(j, "unk_id", origin, -1, &unk))) return rc;
    if (unk >= n) return error_set(NEEDLE_EFORMAT, "%s: Unigram unk_id %lld is outside the vocabulary", origin, unk);
    m->unk_id = (int32_t)unk;
    if ((rc = json_opt_bool(j, "byte_fallback", origin, 0, &b))) return rc;
    m->byte_fallback = (uint8_t)b;
    return 0;
}

static int parse_model(const cJSON *j, const char *origin, vocab_model *m) {
    if (!cJSON_IsObject(j)) return error_set(NEEDLE_EFORMAT, "%s: missing object \"model\"", origin);
    const char *type;
    int rc = json_opt_string(j, "type", origin, NULL, &type);
    if (rc) return rc;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(j, "vocab");
    if (!type) {
        type = cJSON_GetObjectItemCaseSensitive(j, "merges") ? "BPE"
               : cJSON_IsArray(vocab)                        ? "Unigram"
               : cJSON_GetObjectItemCaseSensitive(j, "max_input_chars_per_word") ? "WordPiece"
                                                                                 : "WordLevel";
    }
    strmap_init(&m->vocab);
    if (!strcmp(type, "BPE")) rc = parse_bpe(m, j, origin);
    else if (!strcmp(type, "Unigram")) rc = parse_unigram(m, j, origin);
    else if (!strcmp(type, "WordPiece") || !strcmp(type, "WordLevel")) {
        const char *s;
        long long maxc;
        int wp = !strcmp(type, "WordPiece");
        m->kind = wp ? MODEL_WORDPIECE : MODEL_WORDLEVEL;
        if ((rc = parse_vocab_object(m, vocab, origin))) return rc;
        if ((rc = unk_from(m, j, origin, 0))) return rc;
        if ((rc = json_opt_string(j, "continuing_subword_prefix", origin, "##", &s)) || (rc = set_str(&m->prefix, &m->prefix_len, s)))
            return rc;
        if ((rc = json_opt_int(j, "max_input_chars_per_word", origin, 100, &maxc))) return rc;
        m->max_input_chars = maxc > INT32_MAX ? INT32_MAX : (int)maxc;
    } else {
        return unsupported(origin, "model", type);
    }
    if (rc) return rc;
    return vocab_model_finish(m, origin);
}

/* Ids of a special token of a template: "special_tokens": {"[CLS]": {"ids": [101], ...}}. */
static int template_pieces(const cJSON *arr, const cJSON *specials, const char *origin, tpl_piece **out, int *n) {
    if (!cJSON_IsArray(arr)) return error_set(NEEDLE_EFORMAT, "%s: TemplateProcessing: single/pair should be arrays", origin);
    int count = cJSON_GetArraySize(arr);
    tpl_piece *p = calloc(count ? (size_t)count : 1, sizeof *p);
    if (!p) return error_set(NEEDLE_ENOMEM, "out of memory");
    *out = p;
    *n = 0;
    for (const cJSON *e = arr->child; e; e = e->next) {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "Sequence");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(e, "SpecialToken");
        const cJSON *body = seq ? seq : sp;
        const char *id;
        long long type_id;
        int rc;
        if (!cJSON_IsObject(body)) return error_set(NEEDLE_EFORMAT, "%s: TemplateProcessing: a piece should be {\"Sequence\": ...} or {\"SpecialToken\": ...}", origin);
        if ((rc = json_get_string(body, "id", origin, &id)) || (rc = json_opt_int(body, "type_id", origin, 0, &type_id))) return rc;
        tpl_piece *t = &p[(*n)++];
        t->type_id = (int)type_id;
        if (seq) {
            if (strcmp(id, "A") && strcmp(id, "B")) return error_set(NEEDLE_EFORMAT, "%s: TemplateProcessing: sequence id \"%s\" should be A or B", origin, id);
            t->kind = id[0] == 'A' ? PIECE_A : PIECE_B;
            continue;
        }
        t->kind = PIECE_SPECIAL;
        const cJSON *tok = cJSON_GetObjectItemCaseSensitive(specials, id);
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(tok, "ids");
        if (!cJSON_IsArray(ids)) return error_set(NEEDLE_EFORMAT, "%s: TemplateProcessing: special token \"%s\" has no ids", origin, id);
        t->n_ids = cJSON_GetArraySize(ids);
        t->ids = malloc((t->n_ids ? (size_t)t->n_ids : 1) * sizeof *t->ids);
        if (!t->ids) return error_set(NEEDLE_ENOMEM, "out of memory");
        int k = 0;
        for (const cJSON *x = ids->child; x; x = x->next) {
            if (!cJSON_IsNumber(x)) return error_set(NEEDLE_EFORMAT, "%s: TemplateProcessing: special token \"%s\" ids should be integers", origin, id);
            t->ids[k++] = (int32_t)x->valuedouble;
        }
    }
    return 0;
}

/* [token, id] as BertProcessing / RobertaProcessing write cls and sep. */
static int token_pair(const cJSON *j, const char *key, const char *origin, int32_t *id) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(v->child->next))
        return error_set(NEEDLE_EFORMAT, "%s: post_processor: field \"%s\" should be [token, id]", origin, key);
    *id = (int32_t)v->child->next->valuedouble;
    return 0;
}

static int parse_post(const cJSON *j, const char *origin, postproc *pp, int depth) {
    const char *type;
    int rc = get_type(j, origin, "post_processor", &type), b;
    if (rc) return rc;
    if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        int32_t cls = 0, sep = 0;
        int roberta = type[0] == 'R';
        if ((rc = token_pair(j, "cls", origin, &cls)) || (rc = token_pair(j, "sep", origin, &sep))) return rc;
        if ((rc = postproc_cls_sep(pp, cls, sep, roberta))) return rc;
        if (roberta) {
            if ((rc = json_opt_bool(j, "trim_offsets", origin, 1, &b))) return rc;
            pp->trim_offsets = (uint8_t)b;
            if ((rc = json_opt_bool(j, "add_prefix_space", origin, 1, &b))) return rc;
            pp->trim_add_prefix_space = (uint8_t)b;
        }
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) {
        if ((rc = json_opt_bool(j, "trim_offsets", origin, 1, &b))) return rc;
        pp->trim_offsets = (uint8_t)(pp->trim_offsets | b);
        if ((rc = json_opt_bool(j, "add_prefix_space", origin, 1, &b))) return rc;
        if (pp->trim_offsets) pp->trim_add_prefix_space = (uint8_t)b;
        return 0;
    }
    if (!strcmp(type, "TemplateProcessing")) {
        const cJSON *specials = cJSON_GetObjectItemCaseSensitive(j, "special_tokens");
        tpl_piece *single = NULL, *pair = NULL;
        int ns = 0, npair = 0;
        rc = template_pieces(cJSON_GetObjectItemCaseSensitive(j, "single"), specials, origin, &single, &ns);
        if (!rc) rc = template_pieces(cJSON_GetObjectItemCaseSensitive(j, "pair"), specials, origin, &pair, &npair);
        uint8_t trim = pp->trim_offsets, trim_aps = pp->trim_add_prefix_space;
        postproc_free(pp);
        pp->single = single;
        pp->n_single = ns;
        pp->pair = pair;
        pp->n_pair = npair;
        pp->trim_offsets = trim;
        pp->trim_add_prefix_space = trim_aps;
        return rc;
    }
    if (!strcmp(type, "Sequence") && depth == 0) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "processors");
        if (!cJSON_IsArray(items)) return error_set(NEEDLE_EFORMAT, "%s: Sequence post_processor: field \"processors\" should be an array", origin);
        for (const cJSON *e = items->child; e; e = e->next)
            if ((rc = parse_post(e, origin, pp, depth + 1))) return rc;
        return 0;
    }
    return unsupported(origin, "post_processor", type);
}

static int parse_added(const cJSON *arr, const char *origin, added_vocab *av) {
    if (!arr || cJSON_IsNull(arr)) return 0;
    if (!cJSON_IsArray(arr)) return error_set(NEEDLE_EFORMAT, "%s: field \"added_tokens\" should be an array", origin);
    for (const cJSON *e = arr->child; e; e = e->next) {
        long long id;
        const char *content;
        int sw, ls, rs, norm, special, rc;
        if ((rc = json_get_int(e, "id", origin, &id)) || (rc = json_get_string(e, "content", origin, &content)) ||
            (rc = json_opt_bool(e, "single_word", origin, 0, &sw)) || (rc = json_opt_bool(e, "lstrip", origin, 0, &ls)) ||
            (rc = json_opt_bool(e, "rstrip", origin, 0, &rs)) || (rc = json_opt_bool(e, "special", origin, 0, &special)) ||
            (rc = json_opt_bool(e, "normalized", origin, !special, &norm)))
            return rc;
        if (id < 0 || id > INT32_MAX) return error_set(NEEDLE_EFORMAT, "%s: added token \"%s\" has id %lld", origin, content, id);
        if ((rc = added_vocab_add(av, content, (int32_t)id, sw, ls, rs, norm, special))) return rc;
    }
    return 0;
}

int tokenizer_from_json(const char *text, size_t len, const char *origin, tokenizer **out) {
    *out = NULL;
    cJSON *doc = NULL;
    int rc = json_parse(text, len, origin, &doc);
    if (rc) return rc;
    uc_init();
    tokenizer *tk = calloc(1, sizeof *tk);
    if (!tk) {
        cJSON_Delete(doc);
        return error_set(NEEDLE_ENOMEM, "out of memory loading %s", origin);
    }
    strmap_init(&tk->added_ids);
    postproc_default(&tk->post);
    const cJSON *nz = cJSON_GetObjectItemCaseSensitive(doc, "normalizer");
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(doc, "pre_tokenizer");
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(doc, "post_processor");
    if (!cJSON_IsObject(doc)) rc = error_set(NEEDLE_EFORMAT, "%s: should be a JSON object", origin);
    if (!rc && nz && !cJSON_IsNull(nz)) {
        tk->normalizer = calloc(1, sizeof *tk->normalizer);
        rc = tk->normalizer ? parse_normalizer(nz, origin, tk->normalizer) : error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (!rc && pt && !cJSON_IsNull(pt)) {
        tk->pretok = calloc(1, sizeof *tk->pretok);
        rc = tk->pretok ? parse_pretokenizer(pt, origin, tk->pretok) : error_set(NEEDLE_ENOMEM, "out of memory");
    }
    if (!rc) rc = parse_model(cJSON_GetObjectItemCaseSensitive(doc, "model"), origin, &tk->model);
    if (!rc && pp && !cJSON_IsNull(pp)) rc = parse_post(pp, origin, &tk->post, 0);
    if (!rc) rc = parse_added(cJSON_GetObjectItemCaseSensitive(doc, "added_tokens"), origin, &tk->added);
    if (!rc) rc = added_vocab_prepare(&tk->added, tk->normalizer);
    if (!rc) rc = tokenizer_finish(tk, origin);
    cJSON_Delete(doc);
    if (rc) {
        tokenizer_free(tk);
        return rc;
    }
    *out = tk;
    return 0;
}

static int load_json_file(const char *path, tokenizer **out) {
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len);
    if (rc) return rc;
    rc = tokenizer_from_json(text, len, path, out);
    free(text);
    return rc;
}

int tokenizer_load(const char *path, tokenizer **out) {
    *out = NULL;
    if (!dir_exists(path)) {
        if (!file_exists(path)) return error_set(NEEDLE_ENOTFOUND, "%s: no such tokenizer file or directory", path);
        return load_json_file(path, out);
    }
    const char *names[] = {"tokenizer.json", "vocab.txt", "vocab.json"};
    for (int i = 0; i < 3; i++) {
        char *p = path_join(path, names[i]);
        if (!p) return error_set(NEEDLE_ENOMEM, "out of memory");
        int exists = file_exists(p);
        free(p);
        if (!exists) continue;
        switch (i) {
        case 0: {
            char *f = path_join(path, names[0]);
            int rc = f ? load_json_file(f, out) : error_set(NEEDLE_ENOMEM, "out of memory");
            free(f);
            return rc;
        }
        case 1: return tokenizer_load_wordpiece_dir(path, out);
        default: return tokenizer_load_bpe_dir(path, out);
        }
    }
    return error_set(NEEDLE_ENOTFOUND, "%s: no tokenizer.json, vocab.txt or vocab.json + merges.txt in this directory", path);
}

/* tokenizer_vocab.c — the id space of a loaded tokenizer: id ↔ token lookups, the special
 * token ids later stages need ([CLS], [SEP], [PAD], [MASK], [UNK]), and per-id tables the
 * encoder reads (which ids are special, how many space characters ByteLevel trimming may
 * remove from each token).
 *
 * Like Hugging Face, an added token shadows a model token of the same spelling in
 * token_to_id, and the id space is the union of the model's ids and the added tokens' ids. */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <stdlib.h>
#include <string.h>

static int count_trim(const char *s, size_t len, int from_end) {
    uint32_t cps[64];
    uint32_t *cp = len <= 64 ? cps : malloc(len * sizeof *cp);
    if (!cp) return 0;
    int n = (int)utf8_decode_all(s, len, cp, NULL), k = 0;
    while (k < n) {
        uint32_t c = cp[from_end ? n - 1 - k : k];
        if (c != 0x120 && !uc_is(c, UC_WHITESPACE)) break;
        k++;
    }
    if (cp != cps) free(cp);
    return k > 255 ? 255 : k;
}

static int first_id(const tokenizer *tk, const char *const *names) {
    for (int i = 0; names[i]; i++) {
        int id = tokenizer_token_to_id(tk, names[i]);
        if (id >= 0) return id;
    }
    return -1;
}

int tokenizer_finish(tokenizer *tk, const char *origin) {
    const vocab_model *m = &tk->model;
    int32_t max_id = -1;
    size_t arena = 0;
    for (size_t i = 0; i < m->vocab.n; i++) {
        if (m->vocab.entries[i].value > max_id) max_id = m->vocab.entries[i].value;
        arena += m->vocab.entries[i].len + 1;
    }
    for (int i = 0; i < tk->added.n; i++) {
        if (tk->added.t[i].id > max_id) max_id = tk->added.t[i].id;
        arena += 4 * (size_t)tk->added.t[i].len + 1;
    }
    if (max_id < 0) return error_set(NEEDLE_EFORMAT, "%s: the tokenizer has an empty vocabulary", origin);
    tk->vocab_size = max_id + 1;
    size_t nv = (size_t)tk->vocab_size;
    tk->tok_arena = malloc(arena ? arena : 1);
    tk->tok_off = malloc(nv * sizeof *tk->tok_off);
    tk->is_special = calloc(nv, 1);
    tk->trim_lead = calloc(nv, 1);
    tk->trim_trail = calloc(nv, 1);
    if (!tk->tok_arena || !tk->tok_off || !tk->is_special || !tk->trim_lead || !tk->trim_trail)
        return error_set(NEEDLE_ENOMEM, "%s: out of memory building the id table", origin);
    for (size_t i = 0; i < nv; i++) tk->tok_off[i] = UINT32_MAX;
    size_t pos = 0;
    for (size_t i = 0; i < m->vocab.n; i++) {
        size_t len;
        const char *key = strmap_key(&m->vocab, i, &len);
        int32_t id = m->vocab.entries[i].value;
        if (id < 0) return error_set(NEEDLE_EFORMAT, "%s: negative token id %d", origin, id);
        memcpy(tk->tok_arena + pos, key, len);
        tk->tok_arena[pos + len] = 0;
        tk->tok_off[id] = (uint32_t)pos;
        pos += len + 1;
    }
    int rc = 0;
    for (int i = 0; i < tk->added.n && !rc; i++) {
        const added_token *t = &tk->added.t[i];
        if (t->id < 0) return error_set(NEEDLE_EFORMAT, "%s: negative added token id %d", origin, t->id);
        size_t start = pos;
        for (int k = 0; k < t->len; k++) pos += (size_t)utf8_encode(t->cp[k], tk->tok_arena + pos);
        tk->tok_arena[pos] = 0;
        tk->tok_off[t->id] = (uint32_t)start;
        rc = strmap_put(&tk->added_ids, tk->tok_arena + start, pos - start, t->id);
        pos++;
        if (t->special) tk->is_special[t->id] = 1;
    }
    if (rc) return rc;
    if (tk->post.trim_offsets) {
        for (size_t id = 0; id < nv; id++) {
            if (tk->tok_off[id] == UINT32_MAX) continue;
            const char *s = tk->tok_arena + tk->tok_off[id];
            size_t len = strlen(s);
            tk->trim_lead[id] = (uint8_t)count_trim(s, len, 0);
            tk->trim_trail[id] = (uint8_t)count_trim(s, len, 1);
        }
    }
    static const char *cls[] = {"[CLS]", "<s>", NULL}, *sep[] = {"[SEP]", "</s>", NULL}, *pad[] = {"[PAD]", "<pad>", NULL},
                      *mask[] = {"[MASK]", "<mask>", NULL}, *unk[] = {"[UNK]", "<unk>", NULL},
                      *bos[] = {"<s>", "<|endoftext|>", NULL}, *eos[] = {"</s>", "<|endoftext|>", NULL};
    tokenizer_special_ids *sp = &tk->specials;
    sp->cls = first_id(tk, cls);
    sp->sep = first_id(tk, sep);
    sp->pad = first_id(tk, pad);
    sp->mask = first_id(tk, mask);
    sp->unk = m->unk_id >= 0 ? m->unk_id : first_id(tk, unk);
    sp->bos = first_id(tk, bos);
    sp->eos = first_id(tk, eos);
    return 0;
}

int tokenizer_vocab_size(const tokenizer *tk) { return tk->vocab_size; }

int tokenizer_token_to_id(const tokenizer *tk, const char *token) {
    size_t len = strlen(token);
    int32_t id;
    if (strmap_get(&tk->added_ids, token, len, &id)) return id;
    if (strmap_get(&tk->model.vocab, token, len, &id)) return id;
    return -1;
}

const char *tokenizer_id_to_token(const tokenizer *tk, int id) {
    if (id < 0 || id >= tk->vocab_size || tk->tok_off[id] == UINT32_MAX) return NULL;
    return tk->tok_arena + tk->tok_off[id];
}

int tokenizer_is_special(const tokenizer *tk, int id) { return id >= 0 && id < tk->vocab_size && tk->is_special[id]; }

const tokenizer_special_ids *tokenizer_specials(const tokenizer *tk) { return &tk->specials; }

int tokenizer_num_special_tokens(const tokenizer *tk, int pair) { return postproc_count_specials(&tk->post, pair); }

void vocab_model_free(vocab_model *m) {
    strmap_free(&m->vocab);
    free(m->prefix);
    free(m->suffix);
    bpe_merges_free(m->merges);
    free(m->char_ids);
    free(m->scores);
    memset(m, 0, sizeof *m);
}

void tokenizer_free(tokenizer *tk) {
    if (!tk) return;
    if (tk->normalizer) {
        normalizer_free(tk->normalizer);
        free(tk->normalizer);
    }
    if (tk->pretok) {
        pretokenizer_free(tk->pretok);
        free(tk->pretok);
    }
    vocab_model_free(&tk->model);
    added_vocab_free(&tk->added);
    postproc_free(&tk->post);
    free(tk->tok_arena);
    free(tk->tok_off);
    free(tk->is_special);
    free(tk->trim_lead);
    free(tk->trim_trail);
    strmap_free(&tk->added_ids);
    free(tk);
}

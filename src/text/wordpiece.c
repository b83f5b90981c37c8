/* wordpiece.c — BERT's WordPiece model: greedy longest-match-first over one word.
 *
 * Exactly Hugging Face's algorithm: from the current position try the longest remaining
 * substring, shortening one character at a time, with "##" (continuing_subword_prefix)
 * before every piece but the first; if some position has no match, or the word has more than
 * max_input_chars_per_word characters, the whole word becomes [UNK]. Two things make it
 * fast without changing any result: the word is encoded to UTF-8 once with room in front of
 * each piece for the prefix (written over bytes already consumed), and candidates longer than
 * the longest vocabulary entry are never looked up. */
#include "tok_internal.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <string.h>

static int unk(const vocab_model *m, const uint32_t *cps, int n, mtokens *out) {
    if (m->unk_id < 0) return error_set(NEEDLE_EFORMAT, "WordPiece: a word has no tokenization and the model has no unk_token");
    int32_t bytes = 0;
    for (int i = 0; i < n; i++) bytes += utf8_len(cps[i]);
    return mtokens_push(out, m->unk_id, 0, bytes);
}

int wordpiece_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out) {
    if (n > m->max_input_chars) return unk(m, cps, n, out);
    int pl = m->prefix_len;
    char *buf = tok_ws_utf8(ws, (size_t)pl + 4 * (size_t)n + 1);
    uint32_t *bpos = tok_ws_scratch(ws, 0, ((size_t)n + 1) * sizeof *bpos);
    if (!buf || !bpos) return error_set(NEEDLE_ENOMEM, "out of memory in WordPiece");
    char *word = buf + pl;
    uint32_t b = 0;
    for (int i = 0; i < n; i++) {
        bpos[i] = b;
        b += (uint32_t)utf8_encode(cps[i], word + b);
    }
    bpos[n] = b;
    int first = out->n;
    int start = 0;
    while (start < n) {
        const char *key = word + bpos[start];
        int extra = 0;
        if (start > 0) {
            memcpy(word + bpos[start] - pl, m->prefix, (size_t)pl);
            key -= pl;
            extra = pl;
        }
        int end = n;
        while (end > start && (int)(bpos[end] - bpos[start]) + extra > m->max_token_bytes) end--;
        int32_t id = -1;
        for (; end > start; end--) {
            if (strmap_get(&m->vocab, key, bpos[end] - bpos[start] + (uint32_t)extra, &id)) break;
        }
        if (end == start) {
            out->n = first;
            return unk(m, cps, n, out);
        }
        int rc = mtokens_push(out, id, (int32_t)bpos[start], (int32_t)bpos[end]);
        if (rc) return rc;
        start = end;
    }
    return 0;
}

int wordlevel_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out) {
    char *buf = tok_ws_utf8(ws, 4 * (size_t)n + 1);
    if (!buf) return error_set(NEEDLE_ENOMEM, "out of memory in WordLevel");
    size_t len = 0;
    for (int i = 0; i < n; i++) len += (size_t)utf8_encode(cps[i], buf + len);
    int32_t id;
    if (strmap_get(&m->vocab, buf, len, &id)) return mtokens_push(out, id, 0, (int32_t)len);
    if (m->unk_id < 0) return error_set(NEEDLE_EFORMAT, "WordLevel: a word is not in the vocabulary and the model has no unk_token");
    return mtokens_push(out, m->unk_id, 0, (int32_t)len);
}

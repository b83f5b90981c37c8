/* unigram.c — the Unigram (SentencePiece) model: the most probable segmentation (Viterbi).
 *
 * Hugging Face's Unigram::encode_optimized, over the piece's UTF-8 bytes: for every start
 * position (a character boundary) every vocabulary entry that matches there competes for the
 * best path ending where it ends (strictly better scores win, so the first, shortest
 * candidate keeps ties); a position with no one-character entry gets an unknown node scored
 * min_score - 10. Consecutive unknown nodes are fused into one, and an unknown piece becomes
 * byte-fallback tokens <0xNN> when the vocabulary has them all, else unk_id. Instead of HF's
 * trie the candidates are found by hash lookups of each prefix up to the longest entry. */
#include "tok_internal.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    double score;
    int32_t start; /* -1: not reached */
    int32_t id;
} node;

static int push_piece(const vocab_model *m, const char *s, int32_t bs, int32_t be, mtokens *out) {
    int32_t cs = bs, ce = be;
    int32_t id;
    if (strmap_get(&m->vocab, s + bs, (size_t)(be - bs), &id)) return mtokens_push(out, id, cs, ce);
    if (m->byte_fallback) {
        int32_t ids[64];
        int ok = be - bs <= 64;
        for (int32_t k = bs; k < be && ok; k++) {
            char name[8];
            int len = snprintf(name, sizeof name, "<0x%02X>", (unsigned char)s[k]);
            ok = strmap_get(&m->vocab, name, (size_t)len, &ids[k - bs]);
        }
        if (ok) {
            for (int32_t k = bs; k < be; k++) {
                int rc = mtokens_push(out, ids[k - bs], cs, ce);
                if (rc) return rc;
            }
            return 0;
        }
    }
    if (m->unk_id < 0) return error_set(NEEDLE_EFORMAT, "Unigram: unknown text and the model has no unk_id");
    return mtokens_push(out, m->unk_id, cs, ce);
}

int unigram_tokenize(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out) {
    size_t nbytes = 0;
    for (int i = 0; i < n; i++) nbytes += (size_t)utf8_len(cps[i]);
    char *s = tok_ws_utf8(ws, nbytes + 4);
    int32_t *char_of = tok_ws_scratch(ws, 2, (nbytes + 1) * sizeof *char_of);
    node *best = tok_ws_scratch(ws, 3, (nbytes + 1) * sizeof *best);
    int32_t *path = tok_ws_scratch(ws, 4, (nbytes + 1) * sizeof *path);
    if (!s || !char_of || !best || !path) return error_set(NEEDLE_ENOMEM, "out of memory in Unigram");
    size_t b = 0;
    for (int i = 0; i < n; i++) {
        int l = utf8_encode(cps[i], s + b);
        for (int k = 0; k < l; k++) char_of[b + (size_t)k] = i;
        b += (size_t)l;
    }
    char_of[nbytes] = n;
    for (size_t i = 0; i <= nbytes; i++) best[i] = (node){0.0, -1, 0};
    double unk_score = m->min_score - 10.0;
    int32_t size = (int32_t)nbytes;
    int32_t start = 0;
    while (start < size) {
        double here = best[start].score;
        int32_t mblen = utf8_len(cps[char_of[start]]);
        int single = 0;
        int32_t end = start;
        while (end < size) {
            end += utf8_len(cps[char_of[end]]);
            if (end - start > m->max_token_bytes) break;
            int32_t id;
            if (!strmap_get(&m->vocab, s + start, (size_t)(end - start), &id)) continue;
            double cand = m->scores[id] + here;
            if (best[end].start < 0 || cand > best[end].score) best[end] = (node){cand, start, id};
            if (end - start == mblen) single = 1;
        }
        if (!single) {
            double cand = unk_score + here;
            node *t = &best[start + mblen];
            if (m->unk_id < 0) return error_set(NEEDLE_EFORMAT, "Unigram: unknown text and the model has no unk_id");
            if (t->start < 0 || cand > t->score) *t = (node){cand, start, m->unk_id};
        }
        start += mblen;
    }
    /* Backtrack into path[] (node ends, reversed), then emit left to right, fusing unks. */
    int np = 0;
    for (int32_t e = size; e > 0; e = best[e].start) path[np++] = e;
    int32_t pos = 0;
    int rc = 0;
    for (int i = np - 1; i >= 0 && !rc; i--) {
        int32_t e = path[i];
        int is_unk = best[e].id == m->unk_id && m->fuse_unk;
        if (is_unk) {
            int32_t fe = e;
            while (i > 0 && best[path[i - 1]].id == m->unk_id) fe = path[--i];
            rc = push_piece(m, s, pos, fe, out);
            pos = fe;
        } else {
            rc = push_piece(m, s, pos, e, out);
            pos = e;
        }
    }
    return rc;
}

/* tokenizer_encode.c — the encoding pipeline: one text or a pair in, windows of token ids,
 * type ids, offsets, word ids and masks out; and the batch version on all cores.
 *
 * Per text, as Hugging Face's TokenizerImpl::encode_single_sequence: split out raw added
 * tokens, normalize each remaining segment on its own and split out normalized added
 * tokens, pre-tokenize, run the model on each piece, and map every token back to the
 * original text through the characters' spans. Then, as HF's post_process: truncate
 * (longest_first / only_first / only_second, windows of max_len tokens starting every
 * max_len - stride tokens, combined for pairs in HF's overflow order), apply the
 * post-processor's template to every window, and pad.
 *
 * All scratch memory lives in a per-thread workspace (created on first use, reused across
 * calls, freed at thread exit), so encoding allocates nothing in the steady state and never
 * locks; that includes the BPE word cache. */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"
#include "needle/utf8.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_SCRATCH = 6 };

typedef struct {
    int s, e;
} range;

struct tok_ws {
    uint32_t *cps;
    size_t cps_cap;
    uint32_t *bpos; /* byte offset of each original code point, and the length at the end */
    size_t bpos_cap;
    nstr orig, seg, segtmp;
    ptext pa, pb;
    mtokens mt;
    rtoken *tok[2];
    int ntok[2], captok[2];
    range *ranges[2];
    size_t capranges[2];
    char *u8;
    size_t u8_cap;
    void *scratch[N_SCRATCH];
    size_t scratch_cap[N_SCRATCH];
    bpe_cache *bpe;
};

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static __thread tok_ws *tls_ws;

static void ws_destroy(void *p) {
    tok_ws *ws = p;
    if (!ws) return;
    free(ws->cps);
    free(ws->bpos);
    nstr_free(&ws->orig);
    nstr_free(&ws->seg);
    nstr_free(&ws->segtmp);
    ptext_free(&ws->pa);
    ptext_free(&ws->pb);
    free(ws->mt.t);
    for (int i = 0; i < 2; i++) {
        free(ws->tok[i]);
        free(ws->ranges[i]);
    }
    free(ws->u8);
    for (int i = 0; i < N_SCRATCH; i++) free(ws->scratch[i]);
    bpe_cache_free(ws->bpe);
    free(ws);
}

static void ws_make_key(void) { pthread_key_create(&ws_key, ws_destroy); }

static tok_ws *ws_get(void) {
    if (tls_ws) return tls_ws;
    pthread_once(&ws_once, ws_make_key);
    tok_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    pthread_setspecific(ws_key, ws);
    tls_ws = ws;
    return ws;
}

void tokenizer_thread_cleanup(void) {
    if (!tls_ws) return;
    pthread_setspecific(ws_key, NULL);
    ws_destroy(tls_ws);
    tls_ws = NULL;
}

static void *grow(void **p, size_t *cap, size_t need) {
    if (need <= *cap) return *p;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, c);
    if (!q) return NULL;
    *p = q;
    *cap = c;
    return q;
}

char *tok_ws_utf8(tok_ws *ws, size_t need) { return grow((void **)&ws->u8, &ws->u8_cap, need); }
bpe_cache **tok_ws_bpe_cache(tok_ws *ws) { return &ws->bpe; }
void *tok_ws_scratch(tok_ws *ws, int which, size_t bytes) {
    return grow(&ws->scratch[which], &ws->scratch_cap[which], bytes ? bytes : 1);
}

int mtokens_push(mtokens *m, int32_t id, int32_t start, int32_t end) {
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        mtoken *t = realloc(m->t, (size_t)cap * sizeof *t);
        if (!t) return error_set(NEEDLE_ENOMEM, "out of memory collecting tokens");
        m->t = t;
        m->cap = cap;
    }
    m->t[m->n++] = (mtoken){id, start, end};
    return 0;
}

static int push_rtoken(tok_ws *ws, int seq, rtoken t) {
    if (ws->ntok[seq] == ws->captok[seq]) {
        int cap = ws->captok[seq] ? 2 * ws->captok[seq] : 256;
        rtoken *r = realloc(ws->tok[seq], (size_t)cap * sizeof *r);
        if (!r) return error_set(NEEDLE_ENOMEM, "out of memory collecting tokens");
        ws->tok[seq] = r;
        ws->captok[seq] = cap;
    }
    ws->tok[seq][ws->ntok[seq]++] = t;
    return 0;
}

static int is_trim_char(uint32_t c) { return c == 0x120 || uc_is(c, UC_WHITESPACE); }

static int run_model(const vocab_model *m, tok_ws *ws, const uint32_t *cps, int n, mtokens *out) {
    switch (m->kind) {
    case MODEL_WORDPIECE: return wordpiece_tokenize(m, ws, cps, n, out);
    case MODEL_BPE: return bpe_tokenize(m, ws, cps, n, out);
    case MODEL_UNIGRAM: return unigram_tokenize(m, ws, cps, n, out);
    case MODEL_WORDLEVEL: return wordlevel_tokenize(m, ws, cps, n, out);
    }
    return 0;
}

/* The character holding byte b of the original text (b < len). */
static int32_t char_at_byte(const tok_ws *ws, int n, uint32_t b) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (ws->bpos[mid] <= b) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* HF's offsets for a model token whose byte range runs past its piece (byte fallback after a
 * continuing-subword prefix): the normalized range cannot be mapped, so HF reads the piece's
 * relative byte offsets as byte offsets of the whole original text (BytesToCharOffsetConverter,
 * which also leaves them as bytes when the start is past the end). Reproduced for identity. */
static void raw_offsets(const tok_ws *ws, int n, size_t len, int32_t s, int32_t e, int32_t *os, int32_t *oe) {
    *os = s;
    *oe = e;
    if ((size_t)s >= len) return;
    int32_t start = char_at_byte(ws, n, (uint32_t)s);
    *os = start;
    if ((size_t)e < len) *oe = char_at_byte(ws, n, (uint32_t)e);
    else *oe = ((size_t)(e - 1) < len ? char_at_byte(ws, n, (uint32_t)(e - 1)) : start + 1) + 1;
}

/* Text → raw tokens of sequence `seq` in ws->tok[seq]; tokenizing stops after the word that
 * brings the count to `limit` (HF 0.23's early exit; INT32_MAX for none). */
static int encode_sequence(const tokenizer *tk, tok_ws *ws, const char *text, size_t len, int seq, int limit) {
    ws->ntok[seq] = 0;
    if (len > (size_t)INT32_MAX / 8) return error_set(NEEDLE_EINVAL, "text of %zu bytes is too long to tokenize", len);
    if (!grow((void **)&ws->cps, &ws->cps_cap, (len + 1) * sizeof *ws->cps) ||
        !grow((void **)&ws->bpos, &ws->bpos_cap, (len + 1) * sizeof *ws->bpos))
        return error_set(NEEDLE_ENOMEM, "out of memory decoding %zu bytes of text", len);
    int n = (int)utf8_decode_all(text, len, ws->cps, ws->bpos);
    ws->orig.n = 0;
    int rc = nstr_reserve(&ws->orig, n);
    if (rc) return rc;
    for (int i = 0; i < n; i++) ws->orig.c[i] = (nchar){ws->cps[i], i, i + 1};
    ws->orig.n = n;

    ptext *pa = &ws->pa, *pb = &ws->pb;
    pa->chars.n = pa->n_splits = 0;
    pb->chars.n = pb->n_splits = 0;
    if ((rc = added_vocab_split(&tk->added, 0, ws->orig.c, n, pa))) return rc;
    for (int i = 0; i < pa->n_splits; i++) {
        psplit s = pa->splits[i];
        const nchar *c = pa->chars.c + s.start;
        int len_s = s.end - s.start;
        if (s.added_id >= 0) {
            if ((rc = nstr_reserve(&pb->chars, len_s))) return rc;
            memcpy(pb->chars.c + pb->chars.n, c, (size_t)len_s * sizeof *c);
            if ((rc = ptext_add_split(pb, pb->chars.n, pb->chars.n + len_s, s.added_id))) return rc;
            pb->chars.n += len_s;
            continue;
        }
        ws->seg.n = 0;
        if ((rc = nstr_reserve(&ws->seg, len_s))) return rc;
        memcpy(ws->seg.c, c, (size_t)len_s * sizeof *c);
        ws->seg.n = len_s;
        if (tk->normalizer && (rc = normalizer_apply(tk->normalizer, &ws->seg, &ws->segtmp, c[0].s))) return rc;
        if ((rc = added_vocab_split(&tk->added, 1, ws->seg.c, ws->seg.n, pb))) return rc;
    }
    if (tk->pretok && (rc = pretokenizer_apply(tk->pretok, pb, pa))) return rc;

    for (int w = 0; w < pb->n_splits; w++) {
        psplit s = pb->splits[w];
        const nchar *c = pb->chars.c + s.start;
        int ns = s.end - s.start;
        if (s.added_id >= 0) {
            rtoken t = {s.added_id, c[0].s, c[ns - 1].e, w, 0, 0};
            if (tk->post.trim_offsets) {
                int a = 0, b = 0;
                while (a < ns && is_trim_char(c[a].cp)) a++;
                while (b < ns && is_trim_char(c[ns - 1 - b].cp)) b++;
                t.lead = (uint8_t)(a > 255 ? 255 : a);
                t.trail = (uint8_t)(b > 255 ? 255 : b);
            }
            if ((rc = push_rtoken(ws, seq, t))) return rc;
            continue;
        }
        uint32_t *cp = tok_ws_scratch(ws, 5, (size_t)ns * sizeof *cp);
        if (!cp) return error_set(NEEDLE_ENOMEM, "out of memory tokenizing");
        int32_t nbytes = 0;
        for (int k = 0; k < ns; k++) {
            cp[k] = c[k].cp;
            nbytes += utf8_len(c[k].cp);
        }
        ws->mt.n = 0;
        if ((rc = run_model(&tk->model, ws, cp, ns, &ws->mt))) return rc;
        int32_t *char_of = NULL; /* byte of the piece → its character, built on demand */
        for (int k = 0; k < ws->mt.n; k++) {
            const mtoken *m = &ws->mt.t[k];
            if (!char_of && (ns != nbytes || m->end > nbytes)) {
                if (!(char_of = tok_ws_scratch(ws, 2, ((size_t)nbytes + 1) * sizeof *char_of)))
                    return error_set(NEEDLE_ENOMEM, "out of memory tokenizing");
                for (int i = 0, b = 0; i < ns; i++)
                    for (int l = utf8_len(cp[i]); l > 0; l--) char_of[b++] = i;
            }
            rtoken t = {m->id, 0, 0, w, 0, 0};
            if (m->end <= nbytes) {
                int32_t a = char_of ? char_of[m->start] : m->start, z = char_of ? char_of[m->end - 1] : m->end - 1;
                t.start = c[a].s;
                t.end = c[z].e;
            } else {
                raw_offsets(ws, n, len, m->start, m->end, &t.start, &t.end);
            }
            if (tk->post.trim_offsets && m->id >= 0 && m->id < tk->vocab_size) {
                t.lead = tk->trim_lead[m->id];
                t.trail = tk->trim_trail[m->id];
            }
            if ((rc = push_rtoken(ws, seq, t))) return rc;
        }
        if (ws->ntok[seq] >= limit) break;
    }
    return 0;
}

/* HF Encoding::truncate (direction right): the windows of a sequence of `len` tokens cut to
 * max_len tokens, consecutive windows sharing `stride` tokens. */
static int windows_of(tok_ws *ws, int seq, int len, int max_len, int stride, int *count) {
    int need = max_len <= 0 ? 2 : (len + 1) + 2;
    if (!grow((void **)&ws->ranges[seq], &ws->capranges[seq], (size_t)need * sizeof(range)))
        return error_set(NEEDLE_ENOMEM, "out of memory computing windows");
    range *r = ws->ranges[seq];
    if (max_len >= len) {
        r[0] = (range){0, len};
        *count = 1;
        return 0;
    }
    if (max_len <= 0) {
        r[0] = (range){0, 0};
        r[1] = (range){0, len};
        *count = 2;
        return 0;
    }
    if (stride >= max_len)
        return error_set(NEEDLE_EINVAL, "stride %d must be less than the %d tokens left for the text in each window", stride,
                         max_len);
    int step = max_len - stride, k = 0;
    for (int start = 0;; start += step) {
        int stop = start + max_len < len ? start + max_len : len;
        r[k++] = (range){start, stop};
        if (stop == len) break;
    }
    *count = k;
    return 0;
}

tok_options tok_options_default(void) {
    tok_options o;
    memset(&o, 0, sizeof o);
    o.add_special_tokens = 1;
    o.overflow = 1;
    return o;
}

void tok_windows_init(tok_windows *w) { memset(w, 0, sizeof *w); }

void tok_windows_free(tok_windows *w) {
    for (int i = 0; i < w->cap; i++) tok_encoding_free(&w->w[i]);
    free(w->w);
    memset(w, 0, sizeof *w);
}

static int windows_reserve(tok_windows *w, int n) {
    if (n <= w->cap) return 0;
    int cap = w->cap ? w->cap : 4;
    while (cap < n) cap *= 2;
    tok_encoding *e = realloc(w->w, (size_t)cap * sizeof *e);
    if (!e) return error_set(NEEDLE_ENOMEM, "out of memory growing windows");
    memset(e + w->cap, 0, (size_t)(cap - w->cap) * sizeof *e);
    w->w = e;
    w->cap = cap;
    return 0;
}

/* The lengths HF's longest_first gives the two texts. */
static void longest_first(int na, int nb, int max_len, int *la, int *lb) {
    int n1 = na, n2 = nb, swap = 0;
    if (n1 > n2) { swap = 1; n1 = nb; n2 = na; }
    if (n1 > max_len) n2 = n1;
    else n2 = n1 > max_len - n1 ? n1 : max_len - n1;
    if (n1 + n2 > max_len) {
        n1 = max_len / 2;
        n2 = n1 + max_len % 2;
    }
    if (swap) { int t = n1; n1 = n2; n2 = t; }
    *la = n1;
    *lb = n2;
}

int tokenizer_encode(const tokenizer *tk, const char *text, size_t len, const char *pair, size_t pair_len,
                     const tok_options *opt, tok_windows *out) {
    tok_options dflt = tok_options_default();
    if (!opt) opt = &dflt;
    out->n = 0;
    tok_ws *ws = ws_get();
    if (!ws) return error_set(NEEDLE_ENOMEM, "out of memory creating a tokenizer workspace");
    int has_pair = pair != NULL, rc;
    int limit = opt->truncation != TOK_TRUNCATE_NONE && opt->hf_early_exit && opt->max_length > 0 ? opt->max_length : INT32_MAX;
    if ((rc = encode_sequence(tk, ws, text, len, 0, limit))) return rc;
    ws->ntok[1] = 0;
    if (has_pair && (rc = encode_sequence(tk, ws, pair, pair_len, 1, limit))) return rc;
    int na = ws->ntok[0], nb = ws->ntok[1];
    int nspecial = opt->add_special_tokens ? postproc_count_specials(&tk->post, has_pair) : 0;
    int la = na, lb = nb; /* window lengths; >= na / nb means no truncation */
    if (opt->truncation != TOK_TRUNCATE_NONE) {
        int max_len = opt->max_length - nspecial;
        if (opt->max_length <= 0 || max_len < 0)
            return error_set(NEEDLE_EINVAL, "max_length %d leaves no room beside %d special tokens", opt->max_length, nspecial);
        if (opt->stride < 0) return error_set(NEEDLE_EINVAL, "stride %d is negative", opt->stride);
        int total = na + nb;
        if (total > max_len) {
            int to_remove = total - max_len;
            switch (opt->truncation) {
            case TOK_TRUNCATE_LONGEST_FIRST:
                if (has_pair) longest_first(na, nb, max_len, &la, &lb);
                else la = max_len;
                break;
            case TOK_TRUNCATE_ONLY_FIRST:
            case TOK_TRUNCATE_ONLY_SECOND: {
                int second = opt->truncation == TOK_TRUNCATE_ONLY_SECOND;
                if (second && !has_pair) return error_set(NEEDLE_EINVAL, "truncation only_second needs a text pair");
                int target = second ? nb : na;
                if (target <= to_remove)
                    return error_set(NEEDLE_EINVAL,
                                     "the %s text has %d tokens, fewer than the %d that must be removed to fit max_length %d",
                                     second ? "second" : "first", target, to_remove, opt->max_length);
                if (second) lb = target - to_remove;
                else la = target - to_remove;
                break;
            }
            case TOK_TRUNCATE_NONE: break;
            }
        }
    }
    int wa, wb = 1;
    if ((rc = windows_of(ws, 0, na, la, opt->stride, &wa))) return rc;
    if (has_pair && (rc = windows_of(ws, 1, nb, lb, opt->stride, &wb))) return rc;
    int count = opt->overflow ? wa * wb : 1;
    if ((rc = windows_reserve(out, count))) return rc;
    int32_t pad_id = tk->specials.pad;
    int k = 0;
    /* HF's order: (A0,B0); then for each later A window: (Ai,B0), (Ai,B1..); then (A0,B1..). */
    for (int step = 0; step < 3 && k < count; step++) {
        for (int i = 0; i < wa && k < count; i++) {
            for (int j = 0; j < wb && k < count; j++) {
                int take = step == 0 ? (i == 0 && j == 0) : step == 1 ? i > 0 : (i == 0 && j > 0);
                if (!take) continue;
                const range ra = ws->ranges[0][i];
                const rtoken *b = NULL;
                int nbw = 0;
                if (has_pair) {
                    range rb = ws->ranges[1][j];
                    b = ws->tok[1] + rb.s;
                    nbw = rb.e - rb.s;
                }
                tok_encoding *e = &out->w[k++];
                if ((rc = postproc_window(&tk->post, ws->tok[0] + ra.s, ra.e - ra.s, b, nbw, opt->add_special_tokens, e)))
                    return rc;
                int target = opt->pad_to > 0 ? opt->pad_to : (opt->pad_to_multiple_of > 0 ? e->n : 0);
                if (opt->pad_to_multiple_of > 0 && target % opt->pad_to_multiple_of)
                    target += opt->pad_to_multiple_of - target % opt->pad_to_multiple_of;
                if (e->n < target) {
                    if (pad_id < 0) return error_set(NEEDLE_EINVAL, "padding requested but the tokenizer has no padding token");
                    if ((rc = tok_encoding_pad(e, target, pad_id))) return rc;
                }
            }
        }
    }
    out->n = k;
    return 0;
}

int tokenizer_encode_batch(const tokenizer *tk, int n, const char *const *texts, const size_t *lens,
                           const char *const *pairs, const size_t *pair_lens, const tok_options *opt,
                           tok_windows *outs, int threads) {
    int first_bad = n, first_rc = 0;
    char msg[512] = "";
    if (threads <= 0) threads = omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads)
    for (int i = 0; i < n; i++) {
        const char *p = pairs ? pairs[i] : NULL;
        int rc = tokenizer_encode(tk, texts[i], lens[i], p, p ? pair_lens[i] : 0, opt, &outs[i]);
        if (rc) {
#pragma omp critical(tokenizer_batch_error)
            if (i < first_bad) {
                first_bad = i;
                first_rc = rc;
                snprintf(msg, sizeof msg, "%s", error_message());
            }
        }
    }
    if (first_rc) return error_set(first_rc, "input %d: %s", first_bad, msg);
    return 0;
}

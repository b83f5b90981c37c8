/* normalizer.c — Hugging Face's normalizers over aligned text (nstr).
 *
 * Each normalizer is written as HF writes it — a stream of (character, change) edits applied
 * by NormalizedString::transform — so that every normalized character keeps exactly the
 * original span HF gives it; that span is what the token offsets are made of. Unicode
 * normalisation follows the `unicode-normalization-alignments` crate HF uses: decompose each
 * character (first piece "replaces", the rest are "inserted"), reorder runs of combining marks
 * stably by combining class, and for NFC/NFKC recompose with the composite taking the
 * starter's place (change = starter change + mark change - 1). ASCII characters take fast
 * paths: no ASCII character decomposes, composes or is a mark. */
#include "tok_internal.h"
#include "unicode.h"

#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

int nstr_reserve(nstr *s, int extra) {
    if (s->n + extra <= s->cap) return 0;
    int cap = s->cap ? s->cap : 64;
    while (cap < s->n + extra) cap *= 2;
    nchar *c = realloc(s->c, (size_t)cap * sizeof *c);
    if (!c) return error_set(NEEDLE_ENOMEM, "out of memory growing normalized text to %d characters", cap);
    s->c = c;
    s->cap = cap;
    return 0;
}

void nstr_free(nstr *s) {
    free(s->c);
    s->c = NULL;
    s->n = s->cap = 0;
}

/* Make room for `need` output characters in tmp (which nx_begin empties). */
static int prepare(nstr *tmp, int need) {
    tmp->n = 0;
    return nstr_reserve(tmp, need);
}

/* BERT clean_text: drop U+0000, U+FFFD and control characters (C* other than \t \n \r),
 * turn every whitespace character into ' '. Kept characters keep their own spans. */
static int do_clean(nstr *s, nstr *tmp) {
    if (prepare(tmp, s->n)) return NEEDLE_ENOMEM;
    nchar *o = tmp->c;
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        nchar c = s->c[i];
        uint32_t cp = c.cp;
        if (cp < 0x80) {
            if (cp == '\t' || cp == '\n' || cp == '\r') c.cp = ' ';
            else if (cp < 0x20 || cp == 0x7F) continue;
        } else {
            unsigned f = uc_flags(cp);
            if (cp == 0xFFFD || (f & UC_OTHER)) continue;
            if (f & UC_WHITESPACE) c.cp = ' ';
        }
        o[k++] = c;
    }
    tmp->n = k;
    nstr_swap(s, tmp);
    return 0;
}

/* BERT handle_chinese_chars: [(' ', +1), (c, 0), (' ', +1)] around each CJK ideograph. */
static int do_chinese(nstr *s, nstr *tmp, int32_t base) {
    int any = 0;
    for (int i = 0; i < s->n && !any; i++) any = s->c[i].cp >= 0x3400 && uc_is_chinese(s->c[i].cp);
    if (!any) return 0;
    if (prepare(tmp, 3 * s->n)) return NEEDLE_ENOMEM;
    nxform x;
    nx_begin(&x, s, tmp, base);
    for (int i = 0; i < s->n; i++) {
        uint32_t cp = s->c[i].cp;
        if (cp >= 0x3400 && uc_is_chinese(cp)) {
            nx_insert(&x, ' ');
            nx_replace(&x, cp);
            nx_insert(&x, ' ');
        } else {
            nx_replace(&x, cp);
        }
    }
    nstr_swap(s, tmp);
    return 0;
}

/* Drop marks (filter; kept characters keep their spans): BertNormalizer's strip_accents
 * drops Mn (is_mark_nonspacing), the StripAccents normalizer every M* (is_combining_mark). */
static void drop_marks(nstr *s, unsigned which) {
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        uint32_t cp = s->c[i].cp;
        if (cp >= 0x300 && uc_is(cp, which)) continue;
        s->c[k++] = s->c[i];
    }
    s->n = k;
}

static int do_lowercase(nstr *s, nstr *tmp, int32_t base) {
    int simple = 1;
    for (int i = 0; i < s->n && simple; i++) simple = s->c[i].cp != 0x130;
    if (simple) {
        for (int i = 0; i < s->n; i++) {
            uint32_t out[3];
            uc_lower(s->c[i].cp, out);
            s->c[i].cp = out[0];
        }
        return 0;
    }
    if (prepare(tmp, 2 * s->n)) return NEEDLE_ENOMEM;
    nxform x;
    nx_begin(&x, s, tmp, base);
    for (int i = 0; i < s->n; i++) {
        uint32_t out[3];
        int k = uc_lower(s->c[i].cp, out);
        nx_replace(&x, out[0]);
        for (int j = 1; j < k; j++) nx_insert(&x, out[j]);
    }
    nstr_swap(s, tmp);
    return 0;
}

/* A decomposed character with its HF change value and combining class. */
typedef struct {
    uint32_t cp;
    int change;
    int ccc;
} dchar;

typedef struct {
    dchar *d;
    int n, cap;
} dbuf;

static int dbuf_push(dbuf *b, uint32_t cp, int change, int ccc) {
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 256;
        dchar *d = realloc(b->d, (size_t)cap * sizeof *d);
        if (!d) return error_set(NEEDLE_ENOMEM, "out of memory during Unicode normalization");
        b->d = d;
        b->cap = cap;
    }
    b->d[b->n++] = (dchar){cp, change, ccc};
    return 0;
}

/* Stable sort of each run of non-starters by combining class (canonical ordering). */
static void canonical_order(dbuf *b) {
    for (int i = 0; i < b->n;) {
        if (b->d[i].ccc == 0) { i++; continue; }
        int j = i;
        while (j < b->n && b->d[j].ccc != 0) j++;
        for (int a = i + 1; a < j; a++) {
            dchar t = b->d[a];
            int k = a - 1;
            while (k >= i && b->d[k].ccc > t.ccc) { b->d[k + 1] = b->d[k]; k--; }
            b->d[k + 1] = t;
        }
        i = j;
    }
}

/* Canonical composition of the ordered stream, carrying change values as the
 * alignments crate does (a composite gets starter change + absorbed change - 1). */
static int recompose(const dbuf *in, dbuf *out) {
    out->n = 0;
    dbuf blocked = {0};
    int have = 0, last_ccc = -1, rc = 0;
    dchar k = {0, 0, 0};
    for (int i = 0; i < in->n && !rc; i++) {
        dchar ch = in->d[i];
        if (!have) {
            if (ch.ccc != 0) rc = dbuf_push(out, ch.cp, ch.change, ch.ccc);
            else { k = ch; have = 1; }
            continue;
        }
        uint32_t r;
        if (last_ccc < 0) {
            if (uc_compose(k.cp, ch.cp, &r)) {
                k.cp = r;
                k.change = k.change + ch.change - 1;
            } else if (ch.ccc == 0) {
                rc = dbuf_push(out, k.cp, k.change, 0);
                k = ch;
            } else {
                rc = dbuf_push(&blocked, ch.cp, ch.change, ch.ccc);
                last_ccc = ch.ccc;
            }
            continue;
        }
        if (last_ccc >= ch.ccc) {
            if (ch.ccc == 0) {
                rc = dbuf_push(out, k.cp, k.change, 0);
                for (int j = 0; j < blocked.n && !rc; j++) rc = dbuf_push(out, blocked.d[j].cp, blocked.d[j].change, blocked.d[j].ccc);
                blocked.n = 0;
                k = ch;
                last_ccc = -1;
            } else {
                rc = dbuf_push(&blocked, ch.cp, ch.change, ch.ccc);
                last_ccc = ch.ccc;
            }
            continue;
        }
        if (uc_compose(k.cp, ch.cp, &r)) {
            k.cp = r;
            k.change = k.change + ch.change - 1;
        } else {
            rc = dbuf_push(&blocked, ch.cp, ch.change, ch.ccc);
            last_ccc = ch.ccc;
        }
    }
    if (!rc && have) rc = dbuf_push(out, k.cp, k.change, 0);
    for (int j = 0; j < blocked.n && !rc; j++) rc = dbuf_push(out, blocked.d[j].cp, blocked.d[j].change, blocked.d[j].ccc);
    free(blocked.d);
    return rc;
}

/* NFD / NFKD / NFC / NFKC with alignment tracking. */
static int do_unicode(nstr *s, nstr *tmp, int32_t base, int compat, int compose) {
    int ascii = 1;
    for (int i = 0; i < s->n && ascii; i++) ascii = s->c[i].cp < 0x80;
    if (ascii) return 0;
    dbuf d = {0}, c = {0};
    int rc = 0;
    for (int i = 0; i < s->n && !rc; i++) {
        uint32_t parts[24];
        int k = uc_decompose(s->c[i].cp, compat, parts, 24);
        for (int j = 0; j < k && !rc; j++) rc = dbuf_push(&d, parts[j], j > 0, uc_ccc(parts[j]));
    }
    if (rc) goto done;
    canonical_order(&d);
    const dbuf *stream = &d;
    if (compose) {
        rc = recompose(&d, &c);
        if (rc) goto done;
        stream = &c;
    }
    if ((rc = prepare(tmp, stream->n))) goto done;
    nxform x;
    nx_begin(&x, s, tmp, base);
    for (int i = 0; i < stream->n; i++) nx_emit(&x, stream->d[i].cp, stream->d[i].change);
    nstr_swap(s, tmp);
done:
    free(d.d);
    free(c.d);
    return rc;
}

/* Replace every non-overlapping occurrence (leftmost first) of pattern by content; the
 * inserted characters take the span of the last replaced character. */
static int do_replace(const normalizer *nz, nstr *s, nstr *tmp, int32_t base) {
    int pl = nz->pattern_len;
    if (pl == 0 || s->n < pl) return 0;
    int growth = nz->content_len > pl ? nz->content_len - pl : 0;
    if (prepare(tmp, s->n + (s->n / pl + 1) * growth)) return NEEDLE_ENOMEM;
    nxform x;
    nx_begin(&x, s, tmp, base);
    int i = 0;
    while (i < s->n) {
        int match = i + pl <= s->n;
        for (int j = 0; match && j < pl; j++) match = s->c[i + j].cp == nz->pattern[j];
        if (match) {
            nx_remove(&x, pl);
            for (int j = 0; j < nz->content_len; j++) nx_insert(&x, nz->content[j]);
            i += pl;
        } else {
            nx_replace(&x, s->c[i].cp);
            i++;
        }
    }
    nstr_swap(s, tmp);
    return 0;
}

static void do_strip(nstr *s, int left, int right) {
    int a = 0, b = s->n;
    if (left) while (a < b && uc_is(s->c[a].cp, UC_WHITESPACE)) a++;
    if (right) while (b > a && uc_is(s->c[b - 1].cp, UC_WHITESPACE)) b--;
    if (a > 0) memmove(s->c, s->c + a, (size_t)(b - a) * sizeof *s->c);
    s->n = b - a;
}

/* Prepend text: every prepended character takes the span of the first character. */
static int do_prepend(const uint32_t *text, int len, nstr *s, nstr *tmp) {
    if (s->n == 0 || len == 0) return 0;
    if (prepare(tmp, s->n + len)) return NEEDLE_ENOMEM;
    for (int j = 0; j < len; j++) tmp->c[j] = (nchar){text[j], s->c[0].s, s->c[0].e};
    memcpy(tmp->c + len, s->c, (size_t)s->n * sizeof *s->c);
    tmp->n = s->n + len;
    nstr_swap(s, tmp);
    return 0;
}

int normalizer_apply(const normalizer *nz, nstr *s, nstr *tmp, int32_t base) {
    int rc = 0;
    switch (nz->kind) {
    case NZ_BERT:
        if (nz->clean_text && (rc = do_clean(s, tmp))) return rc;
        if (nz->handle_chinese && (rc = do_chinese(s, tmp, base))) return rc;
        if (nz->strip_accents) {
            if ((rc = do_unicode(s, tmp, base, 0, 0))) return rc;
            drop_marks(s, UC_MN);
        }
        if (nz->lowercase) rc = do_lowercase(s, tmp, base);
        return rc;
    case NZ_NFD: return do_unicode(s, tmp, base, 0, 0);
    case NZ_NFKD: return do_unicode(s, tmp, base, 1, 0);
    case NZ_NFC: return do_unicode(s, tmp, base, 0, 1);
    case NZ_NFKC: return do_unicode(s, tmp, base, 1, 1);
    case NZ_LOWERCASE: return do_lowercase(s, tmp, base);
    case NZ_STRIP_ACCENTS: drop_marks(s, UC_MARK); return 0;
    case NZ_REPLACE: return do_replace(nz, s, tmp, base);
    case NZ_STRIP: do_strip(s, nz->left, nz->right); return 0;
    case NZ_PREPEND: return do_prepend(nz->content, nz->content_len, s, tmp);
    case NZ_SEQUENCE:
        for (int i = 0; i < nz->n_items && !rc; i++) rc = normalizer_apply(&nz->items[i], s, tmp, base);
        return rc;
    }
    return rc;
}

void normalizer_free(normalizer *nz) {
    if (!nz) return;
    for (int i = 0; i < nz->n_items; i++) normalizer_free(&nz->items[i]);
    free(nz->items);
    free(nz->pattern);
    free(nz->content);
    memset(nz, 0, sizeof *nz);
}

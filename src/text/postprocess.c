/* postprocess.c — turns the tokens of one window (a slice of the first text and, for pairs,
 * a slice of the second) into the model's input: Hugging Face's post-processors.
 *
 * BertProcessing, RobertaProcessing and TemplateProcessing are all templates here: a list of
 * pieces, each a special token (its ids, a type id) or one of the two sequences (a type id);
 * RoBERTa's is "<s> A </s>" / "<s> A </s> </s> B </s>" with every type id 0, as HF forces.
 * The ByteLevel post-processor (and RobertaProcessing's trim_offsets) trims the offsets of
 * tokens that begin or end with spaces ('Ġ'), first token of a window excepted under
 * add_prefix_space, exactly as HF's process_offsets. With no post-processor the sequences
 * are concatenated with type ids 0 and 1 and no special tokens. */
#include "tok_internal.h"

#include "needle/error.h"

#include <stdlib.h>
#include <string.h>

static tpl_piece *default_pieces(int pair, int *n) {
    tpl_piece *p = calloc(2, sizeof *p);
    if (!p) return NULL;
    p[0] = (tpl_piece){PIECE_A, 0, NULL, 0};
    p[1] = (tpl_piece){PIECE_B, 1, NULL, 0};
    *n = pair ? 2 : 1;
    return p;
}

void postproc_default(postproc *pp) {
    memset(pp, 0, sizeof *pp);
    pp->single = default_pieces(0, &pp->n_single);
    pp->pair = default_pieces(1, &pp->n_pair);
}

/* BertProcessing: [CLS] A [SEP] / [CLS] A [SEP] B [SEP] with type ids 0 0 0 / 0 0 0 1 1;
 * RobertaProcessing: <s> A </s> / <s> A </s> </s> B </s>, every type id 0. */
int postproc_cls_sep(postproc *pp, int32_t cls, int32_t sep, int roberta) {
    postproc_free(pp);
    pp->single = calloc(3, sizeof *pp->single);
    pp->pair = calloc(6, sizeof *pp->pair);
    if (!pp->single || !pp->pair) return error_set(NEEDLE_ENOMEM, "out of memory");
    int32_t ids[] = {cls, sep};
    int single[][2] = {{PIECE_SPECIAL, 0}, {PIECE_A, -1}, {PIECE_SPECIAL, 1}};
    int bert_pair[][3] = {{PIECE_SPECIAL, 0, 0}, {PIECE_A, -1, 0}, {PIECE_SPECIAL, 1, 0}, {PIECE_B, -1, 1}, {PIECE_SPECIAL, 1, 1}};
    int rob_pair[][3] = {{PIECE_SPECIAL, 0, 0}, {PIECE_A, -1, 0}, {PIECE_SPECIAL, 1, 0}, {PIECE_SPECIAL, 1, 0}, {PIECE_B, -1, 0}, {PIECE_SPECIAL, 1, 0}};
    for (int i = 0; i < 3; i++) {
        pp->single[i].kind = single[i][0];
        if (single[i][1] >= 0) {
            pp->single[i].ids = malloc(sizeof(int32_t));
            if (!pp->single[i].ids) return error_set(NEEDLE_ENOMEM, "out of memory");
            pp->single[i].ids[0] = ids[single[i][1]];
            pp->single[i].n_ids = 1;
        }
    }
    pp->n_single = 3;
    int np = roberta ? 6 : 5;
    for (int i = 0; i < np; i++) {
        const int *row = roberta ? rob_pair[i] : bert_pair[i];
        pp->pair[i].kind = row[0];
        pp->pair[i].type_id = row[2];
        if (row[1] >= 0) {
            pp->pair[i].ids = malloc(sizeof(int32_t));
            if (!pp->pair[i].ids) return error_set(NEEDLE_ENOMEM, "out of memory");
            pp->pair[i].ids[0] = ids[row[1]];
            pp->pair[i].n_ids = 1;
        }
    }
    pp->n_pair = np;
    return 0;
}

int postproc_count_specials(const postproc *pp, int pair) {
    const tpl_piece *p = pair ? pp->pair : pp->single;
    int n = pair ? pp->n_pair : pp->n_single, k = 0;
    for (int i = 0; i < n; i++)
        if (p[i].kind == PIECE_SPECIAL) k += p[i].n_ids;
    return k;
}

static void free_pieces(tpl_piece *p, int n) {
    for (int i = 0; p && i < n; i++) free(p[i].ids);
    free(p);
}

void postproc_free(postproc *pp) {
    free_pieces(pp->single, pp->n_single);
    free_pieces(pp->pair, pp->n_pair);
    memset(pp, 0, sizeof *pp);
}

int tok_encoding_reserve(tok_encoding *e, int n) {
    if (n <= e->cap) return 0;
    int cap = e->cap ? e->cap : 64;
    while (cap < n) cap *= 2;
    int32_t *ids = realloc(e->ids, (size_t)cap * sizeof *ids);
    if (ids) e->ids = ids;
    int32_t *tt = realloc(e->type_ids, (size_t)cap * sizeof *tt);
    if (tt) e->type_ids = tt;
    int32_t *off = realloc(e->offsets, 2 * (size_t)cap * sizeof *off);
    if (off) e->offsets = off;
    int32_t *w = realloc(e->word_ids, (size_t)cap * sizeof *w);
    if (w) e->word_ids = w;
    int8_t *sq = realloc(e->seq_ids, (size_t)cap);
    if (sq) e->seq_ids = sq;
    uint8_t *am = realloc(e->attention_mask, (size_t)cap);
    if (am) e->attention_mask = am;
    uint8_t *sm = realloc(e->special_mask, (size_t)cap);
    if (sm) e->special_mask = sm;
    if (!ids || !tt || !off || !w || !sq || !am || !sm)
        return error_set(NEEDLE_ENOMEM, "out of memory growing an encoding to %d tokens", cap);
    e->cap = cap;
    return 0;
}

void tok_encoding_free(tok_encoding *e) {
    free(e->ids);
    free(e->type_ids);
    free(e->offsets);
    free(e->word_ids);
    free(e->seq_ids);
    free(e->attention_mask);
    free(e->special_mask);
    memset(e, 0, sizeof *e);
}

static void push(tok_encoding *e, int32_t id, int32_t type_id, int32_t s, int32_t end, int32_t word, int seq) {
    int k = e->n++;
    e->ids[k] = id;
    e->type_ids[k] = type_id;
    e->offsets[2 * k] = s;
    e->offsets[2 * k + 1] = end;
    e->word_ids[k] = word;
    e->seq_ids[k] = (int8_t)seq;
    e->attention_mask[k] = 1;
    e->special_mask[k] = seq < 0;
}

/* HF's byte_level::process_offsets on one sequence slice. */
static void trim(const postproc *pp, const rtoken *t, int i, int32_t *s, int32_t *e) {
    int lead = t->lead, trail = t->trail;
    if (lead > 0) {
        int is_first = i == 0 || *s == 0;
        if (is_first && pp->trim_add_prefix_space && lead == 1) lead = 0;
        *s = *s + lead < *e ? *s + lead : *e;
    }
    if (trail > 0 && *e >= trail) *e = *e - trail > *s ? *e - trail : *s;
}

static void push_seq(const postproc *pp, tok_encoding *e, const rtoken *t, int n, int type_id, int seq) {
    for (int i = 0; i < n; i++) {
        int32_t s = t[i].start, end = t[i].end;
        if (pp->trim_offsets) trim(pp, &t[i], i, &s, &end);
        push(e, t[i].id, type_id, s, end, t[i].word, seq);
    }
}

int postproc_window(const postproc *pp, const rtoken *a, int na, const rtoken *b, int nb, int add_special,
                    tok_encoding *out) {
    int pair = b != NULL;
    const tpl_piece *p = pair ? pp->pair : pp->single;
    int np = pair ? pp->n_pair : pp->n_single;
    int total = na + (pair ? nb : 0) + (add_special ? postproc_count_specials(pp, pair) : 0);
    out->n = 0;
    int rc = tok_encoding_reserve(out, total);
    if (rc) return rc;
    for (int i = 0; i < np; i++) {
        switch (p[i].kind) {
        case PIECE_SPECIAL:
            if (!add_special) break;
            for (int k = 0; k < p[i].n_ids; k++) push(out, p[i].ids[k], p[i].type_id, 0, 0, -1, -1);
            break;
        case PIECE_A: push_seq(pp, out, a, na, p[i].type_id, 0); break;
        case PIECE_B: push_seq(pp, out, b, nb, p[i].type_id, 1); break;
        }
    }
    return 0;
}

int tok_encoding_pad(tok_encoding *e, int length, int32_t pad_id) {
    if (e->n >= length) return 0;
    int rc = tok_encoding_reserve(e, length);
    if (rc) return rc;
    while (e->n < length) {
        push(e, pad_id, 0, 0, 0, -1, -1);
        e->attention_mask[e->n - 1] = 0;
    }
    return 0;
}

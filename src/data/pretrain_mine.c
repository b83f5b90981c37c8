/* pretrain_mine.c — unlabelled corpus → ICT or cropping pairs → DPR records with BM25 hard
 * negatives (pretrain_mine, pretrain_pairs.h).
 *
 * The corpus is read once by doc_read (so every format the indexer reads, with its error
 * messages naming file and line), split into passages when asked (preprocess_document, words
 * on sentence boundaries), and held in memory: the BM25 index needs every passage before the
 * first search, and negatives are written out with their text. Pairs are then made block by
 * block in passage order and mined through the labelled sources' own loop
 * (dpr_mine_internal.h), with the source passage's row as the one row never taken as a
 * negative; so memory holds the corpus plus one block of pairs, and records stream out. */
#include "dpr_mine_internal.h"
#include "needle/error.h"
#include "needle/json.h"
#include "needle/preprocess.h"
#include "needle/pretrain_pairs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PASSAGE_BLOCK = 512 };

typedef struct {
    mine_corpus c;
    const pretrain_opts *o;
    size_t documents;
    progress bar;
} reader;

/* The "title" string of a document's metadata ("" when there is none). */
static int meta_title(const doc_input *d, char **out) {
    *out = NULL;
    cJSON *m = d->meta_json ? cJSON_Parse(d->meta_json) : NULL;
    const cJSON *t = m ? cJSON_GetObjectItemCaseSensitive(m, "title") : NULL;
    *out = strdup(cJSON_IsString(t) ? t->valuestring : "");
    cJSON_Delete(m);
    return *out ? 0 : error_set(NEEDLE_ENOMEM, "%s: out of memory", d->origin);
}

static int on_document(void *ctx, const doc_input *d) {
    reader *r = ctx;
    char *title, num[32], *id_buf = NULL;
    int rc = meta_title(d, &title);
    if (rc) return rc;
    const char *id = d->id;
    if (!id) {
        snprintf(num, sizeof num, "%zu", r->documents);
        id = num;
    }
    r->documents++;
    if (r->o->passage_words <= 0) {
        char *text = strndup(d->content, d->len);
        rc = text ? mine_corpus_add(&r->c, id, title, text) : error_set(NEEDLE_ENOMEM, "%s: out of memory", d->origin);
        free(text);
    } else {
        preprocess_opts po;
        preprocess_opts_default(&po);
        po.split_by = SPLIT_WORD;
        po.split_length = r->o->passage_words;
        po.split_overlap = 0;
        po.respect_sentences = 1;
        passage_list pl;
        rc = preprocess_document(&po, d->content, d->len, &pl);
        if (!rc) {
            size_t cap = strlen(id) + 24;
            id_buf = malloc(cap);
            if (!id_buf) rc = error_set(NEEDLE_ENOMEM, "%s: out of memory", d->origin);
            for (size_t k = 0; !rc && k < pl.n; k++) {
                snprintf(id_buf, cap, "%s-%zu", id, k);
                rc = mine_corpus_add(&r->c, id_buf, title, pl.items[k].content);
            }
            passage_list_free(&pl);
        }
    }
    if (rc) rc = error_prefix(rc, "%s", d->origin);
    free(id_buf);
    free(title);
    progress_update(&r->bar, r->documents, NULL);
    return rc;
}

/* The pairs of one block of passages, mined and handed out. */
typedef struct {
    mine_question *qs;
    dpr_passage *pos;
    int64_t *rows;
    char **texts; /* query, positive for each question */
    size_t n;
} block;

static void block_clear(block *b) {
    for (size_t i = 0; i < 2 * b->n; i++) free(b->texts[i]);
    b->n = 0;
}

static int make_block(mine_passages *p, const pretrain_opts *o, rng *r, size_t first, size_t np, block *b, pretrain_stats *st) {
    int rc = 0;
    for (size_t row = first; row < first + np && !rc; row++) {
        for (int k = 0; k < o->per_passage && !rc; k++) {
            char **t = b->texts + 2 * b->n;
            rc = pretrain_pair_make(r, o, p->texts[row], &t[0], &t[1]);
            if (rc == 0) {
                st->too_short++;
                break; /* the passage has no pair to give */
            }
            if (rc < 0) break;
            rc = 0;
            b->rows[b->n] = (int64_t)row;
            b->pos[b->n] = (dpr_passage){p->titles[row], t[1], p->ids[row], NAN};
            b->qs[b->n] = (mine_question){t[0], NULL, 0, &b->rows[b->n], 1, NULL, &b->pos[b->n]};
            b->n++;
        }
    }
    return rc;
}

int pretrain_mine(const char *path, const pretrain_opts *o, const dpr_mine_opts *mo, dpr_mine_fn fn, void *ctx,
                  pretrain_stats *st) {
    memset(st, 0, sizeof *st);
    if (o->per_passage < 1 || !(o->ict_keep >= 0 && o->ict_keep <= 1) ||
        !(o->crop_min > 0 && o->crop_min <= o->crop_max && o->crop_max <= 1))
        return error_set(NEEDLE_EINVAL, "pre-training pairs: need per_passage >= 1, 0 <= ict_keep <= 1 and "
                                        "0 < crop_min <= crop_max <= 1");
    reader rd = {.o = o};
    mine_corpus_init(&rd.c);
    mine_passages p = {0};
    block b = {0};
    size_t cap = (size_t)PASSAGE_BLOCK * (size_t)o->per_passage;
    progress_start(&rd.bar, "read", 0);
    int rc = doc_read(path, o->format, NULL, on_document, &rd);
    progress_finish(&rd.bar, NULL);
    st->documents = rd.documents;
    st->passages = rd.c.n;
    if (!rc) rc = mine_corpus_table(&rd.c, &p);
    if (!rc && !p.n) rc = error_set(NEEDLE_EFORMAT, "%s: no documents", path);
    if (!rc) rc = mine_prepare(&p, mo);
    if (rc) goto done;
    b.qs = malloc(cap * sizeof *b.qs);
    b.pos = malloc(cap * sizeof *b.pos);
    b.rows = malloc(cap * sizeof *b.rows);
    b.texts = calloc(2 * cap, sizeof *b.texts);
    if (!b.qs || !b.pos || !b.rows || !b.texts) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory");
        goto done;
    }
    rng r;
    rng_seed(&r, o->seed);
    progress bar;
    progress_start(&bar, o->task == PRETRAIN_ICT ? "ict" : "crop", p.n);
    for (size_t first = 0; first < p.n && !rc; first += PASSAGE_BLOCK) {
        size_t np = p.n - first < PASSAGE_BLOCK ? p.n - first : PASSAGE_BLOCK;
        rc = make_block(&p, o, &r, first, np, &b, st);
        st->mine.questions += b.n;
        if (!rc) rc = mine_questions(&p, b.n, b.qs, fn, ctx, &st->mine, 0);
        block_clear(&b);
        progress_update(&bar, first + np, NULL);
    }
    progress_finish(&bar, NULL);
done:
    mine_passages_free(&p);
    free(p.ids);
    free(b.qs);
    free(b.pos);
    free(b.rows);
    free(b.texts);
    mine_corpus_free(&rd.c);
    return rc;
}

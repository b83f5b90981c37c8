/* dpr_mine_internal.h — the one mining loop of dpr_mine.c, shared by the labelled sources
 * (SQuAD, BEIR qrels: dpr_mine.c) and the unlabelled one (pretrain_mine.c), so every source
 * builds its BM25 index, searches and filters candidates the same way.
 *
 * A table of passages (id, title, text) is searched for each question; a question's
 * candidates are filtered in rank order: its `pos_rows` are never negatives, nor a passage
 * whose id is `own_id`, nor one containing an answer. The record's positives are the
 * `pos_rows` passages — or, when `made_pos` is set, that one passage instead (a positive made
 * from a row, e.g. the passage without its query sentence, while the row itself stays
 * excluded). */
#ifndef NEEDLE_DPR_MINE_INTERNAL_H
#define NEEDLE_DPR_MINE_INTERNAL_H

#include "needle/bm25.h"
#include "needle/dpr_mine.h"
#include "needle/progress.h"
#include "needle/retrieval_eval.h"
#include "needle/strtab.h"

typedef struct {
    size_t n;
    const char **ids, **titles, **texts;
    char **normalized;            /* lazily filled */
    /* one searcher */
    bm25_index *ix;
    dense_corpus dc;
    const dpr_mine_opts *o;
} mine_passages;

typedef struct {
    const char *text;
    const char *const *answers;   /* raw, for the record */
    int n_answers;
    const int64_t *pos_rows;      /* positives (or, with made_pos, the rows left out) */
    int n_pos;
    const char *own_id;           /* a passage with this id is left out (BEIR: the query's id) */
    const dpr_passage *made_pos;  /* when not NULL: the one positive written */
} mine_question;

/* Build the searcher over p->n passages (BM25 or o->dense). */
int mine_prepare(mine_passages *p, const dpr_mine_opts *o);
void mine_passages_free(mine_passages *p);
/* Search and emit nq questions in blocks, with a progress bar over them when `own_bar` (else
 * the caller shows progress). */
int mine_questions(mine_passages *p, size_t nq, const mine_question *qs, dpr_mine_fn fn, void *ctx, dpr_mine_stats *st,
                   int own_bar);

/* A corpus held in memory: ids interned (a repeated id is an error), titles and texts copied. */
typedef struct {
    strtab ids;
    char **titles, **texts;
    size_t n, cap;
} mine_corpus;

void mine_corpus_init(mine_corpus *c);
/* A beir_doc_fn: add one document. */
int mine_corpus_add(void *ctx, const char *id, const char *title, const char *text);
void mine_corpus_free(mine_corpus *c);
/* Point p's table at c's documents (p->ids is malloc'ed and freed by the caller). */
int mine_corpus_table(const mine_corpus *c, mine_passages *p);

#endif

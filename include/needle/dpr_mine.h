/* dpr_mine.h — DPR training data from question-answering and retrieval data sets, with hard
 * negatives mined by BM25 or by a dense retriever (`needle retriever mine`).
 *
 * From SQuAD-format data: one record per answerable question; its positive is the paragraph
 * it was asked about (title = the article's title), its answers the gold answers. From BEIR
 * data: one record per query of the qrels with a relevant document; the positives are the
 * documents judged relevant (rel >= 1). Hard negatives: the question is searched over all
 * passages (SQuAD: every paragraph of the file; BEIR: the corpus) — by BM25 (Lucene/Anserini
 * scoring over title + " " + text, k1 0.9, b 0.4) or by a dense retriever over the whole
 * corpus — and the best `num_hard_negatives` of the first `candidates` results are kept,
 * leaving out the positives, any passage that contains an answer (SQuAD normalisation —
 * lower case, no punctuation or articles, single spaces — then a match on word
 * boundaries, as DPR's has_answer checks it) and any document judged relevant, or whose id is
 * the query's. Each negative carries its retrieval score as "score".
 *
 * Records are handed to a callback in question order as they are made, so a large data set
 * is written out without holding every record. */
#ifndef NEEDLE_DPR_MINE_H
#define NEEDLE_DPR_MINE_H

#include <stddef.h>

#include "needle/biencoder.h"
#include "needle/dpr_data.h"
#include "needle/squad.h"
#include "needle/trec.h"

typedef struct {
    int num_hard_negatives;   /* kept per question (default 10) */
    int candidates;           /* results searched per question (default 100) */
    biencoder *dense;         /* NULL: BM25 */
    int batch;                /* dense: embedding batch (default 32) */
    double k1, b;             /* BM25 */
} dpr_mine_opts;

void dpr_mine_opts_default(dpr_mine_opts *o);

typedef struct {
    size_t questions;         /* questions or queries seen */
    size_t records;           /* records written */
    size_t skipped;           /* without an answer / a relevant document */
    size_t negatives;         /* hard negatives written in all */
    size_t answer_hits;       /* candidates left out because they contain an answer */
    size_t relevant_hits;     /* candidates left out because they are positives or judged relevant */
} dpr_mine_stats;

/* Called for each record (owned by the miner; valid during the call). Non-zero stops. */
typedef int (*dpr_mine_fn)(void *ctx, const dpr_record *r);

int dpr_mine_squad(const squad_dataset *ds, const dpr_mine_opts *o, dpr_mine_fn fn, void *ctx, dpr_mine_stats *st);
int dpr_mine_beir(const char *corpus, const char *queries, const trec_qrels *qrels, const dpr_mine_opts *o, dpr_mine_fn fn,
                  void *ctx, dpr_mine_stats *st);

/* 1 when the SQuAD-normalised `answer` occurs in the SQuAD-normalised `text` on word
 * boundaries (empty answers never match). */
int dpr_text_has_answer(const char *normalized_text, const char *answer);

#endif

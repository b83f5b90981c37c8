/* pretrain_pairs.h — retriever training pairs from unlabelled text (`needle retriever pretrain`):
 * a domain usually has documents and no labelled questions, so the pairs are made from the
 * passages themselves, then mined for BM25 hard negatives and written as DPR records that
 * `needle retriever train` reads.
 *
 * Two tasks:
 *  - the inverse cloze task (ICT; Lee, Chang & Toutanova 2019, "Latent Retrieval for Weakly
 *    Supervised Open Domain Question Answering"): one sentence of the passage, drawn uniformly
 *    (sentence_split, preprocess.h), is the query; the passage without that sentence is the
 *    positive — except with probability `ict_keep` (0.1, as ORQA) when the sentence stays in,
 *    so that the model also learns that word overlap matters. A passage with fewer than two
 *    sentences gives no pair.
 *  - independent cropping (Izacard et al. 2021, "Unsupervised Dense Information Retrieval with
 *    Contrastive Learning" — Contriever): two spans of the passage drawn independently, each
 *    a contiguous run of whitespace-separated words whose length is ⌊n × ratio⌋ (at least 1)
 *    of its n words, ratio uniform in [crop_min, crop_max] (0.1, 0.5), start uniform over
 *    the positions where it fits, as Contriever's randomcrop. The first span is the query,
 *    the second the positive. Spans are cut from the text as it is (punctuation and inner
 *    spacing kept). Contriever's token deletion/replacement augmentations are not applied.
 *
 * Every draw comes from one seeded generator, in passage order, so a seed gives the same file.
 * The positive keeps its passage's title and id (the hard negatives carry theirs: a positive
 * without a title would be told apart by that alone). */
#ifndef NEEDLE_PRETRAIN_PAIRS_H
#define NEEDLE_PRETRAIN_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "needle/docread.h"
#include "needle/dpr_mine.h"
#include "needle/rng.h"

typedef enum { PRETRAIN_ICT = 0, PRETRAIN_CROP = 1 } pretrain_task;

/* "ict", "crop". */
int pretrain_task_parse(const char *name, pretrain_task *out);

typedef struct {
    pretrain_task task;
    double ict_keep;            /* ICT: probability that the query sentence stays in the positive */
    double crop_min, crop_max;  /* crop: span length as a ratio of the passage's words */
    int per_passage;            /* pairs drawn from each passage (1) */
    int passage_words;          /* > 0: documents split into passages of at most this many words,
                                 * on sentence boundaries (preprocess_document); 0: whole */
    doc_format format;          /* of the corpus (DOCFMT_AUTO: doc_format_detect) */
    uint64_t seed;
} pretrain_opts;

void pretrain_opts_default(pretrain_opts *o);

/* One ICT pair from `text`: *query and *positive malloc'ed. Returns 1 when made, 0 when the
 * text has fewer than two sentences (nothing allocated), < 0 on error. */
int pretrain_pair_ict(rng *r, const char *text, double keep, char **query, char **positive);
/* One cropping pair from `text`: 1 when made, 0 when it has no word, < 0 on error. */
int pretrain_pair_crop(rng *r, const char *text, double ratio_min, double ratio_max, char **query, char **positive);
/* The pair of o->task. */
int pretrain_pair_make(rng *r, const pretrain_opts *o, const char *text, char **query, char **positive);

typedef struct {
    size_t documents;   /* read from the corpus */
    size_t passages;    /* after splitting */
    size_t too_short;   /* passages that gave no pair (ICT: one sentence; crop: no word) */
    dpr_mine_stats mine;/* records written, hard negatives, sources left out */
} pretrain_stats;

/* Read the corpus at `path` (every format doc_read knows: BEIR corpus, JSON lines, SQuAD
 * contexts, plain text; the title is the document's "title" metadata), make o->per_passage
 * pairs from each passage and hand each to `fn` as a DPR record (question = the query,
 * positive_ctxs = [{title, the positive, id}]) with BM25 hard negatives mined over all
 * passages as dpr_mine.h does — never the source passage. A passage's id is its document's
 * (or, when the document has none, its 0-based position in decimal, as `mine --squad` numbers
 * paragraphs), with "-k" added for the k-th passage (from 0) of a split document. Records come
 * in passage order, as they are made. */
int pretrain_mine(const char *path, const pretrain_opts *o, const dpr_mine_opts *mo, dpr_mine_fn fn, void *ctx,
                  pretrain_stats *st);

#endif

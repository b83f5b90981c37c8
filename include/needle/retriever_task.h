/* retriever_task.h — dense retriever fine-tuning as a trainer task (trainer.h).
 *
 * An example is one training record (dpr_data.h): a question, its positives and its
 * negatives. A micro-batch of B records becomes B queries and, for each, num_positives
 * positives, num_hard_negatives hard negatives and num_other_negatives other negatives
 * (fewer when a record has fewer; random ones each time a record is used when sampling is on,
 * as Haystack's shuffle_negatives; positives are the first ones unless shuffle_positives;
 * the draws come from the trainer's training generator, so a resumed run draws the same).
 * Every query is scored against every passage of the micro-batch (in-batch negatives), the
 * loss (retriever_loss.h) gives the embeddings' gradients and the gradient cache
 * (grad_cache.h) carries them into the encoders in chunks of `chunk` rows, so the batch size
 * is bounded by time, not by memory.
 *
 * Records come either from memory (BEIR pairs: indexed, the trainer shuffles them) or from
 * a DPR file read as a stream through a shuffle buffer (dpr_data.h): the file is read once
 * to count its records, then once per epoch in the order the buffer draws (seeded by the run's
 * seed and the epoch). The trainer's seek hook restarts the stream at each epoch and, after a
 * resume, replays it to the same position, so a resumed run is the run it continues. Memory
 * is the shuffle buffer, one micro-batch and one chunk of activations: it does not grow with
 * the file.
 *
 * Evaluation (optional): full-corpus retrieval on a BEIR dev set (retrieval_eval.h), whose
 * metrics drive early stopping and the best model (default metric ndcg_cut_10). Saving:
 * biencoder_save (DPR or sentence-transformers layout). */
#ifndef NEEDLE_RETRIEVER_TASK_H
#define NEEDLE_RETRIEVER_TASK_H

#include "needle/biencoder.h"
#include "needle/dpr_data.h"
#include "needle/grad_cache.h"
#include "needle/retrieval_eval.h"
#include "needle/retriever_loss.h"
#include "needle/trainer.h"

typedef struct {
    rloss_kind loss;
    int num_positives, num_hard_negatives, num_other_negatives;
    int shuffle_positives, shuffle_negatives;
    int max_batch;             /* records per micro-batch (the trainer's batch size) */
    int chunk;                 /* gradient-cache chunk in rows (0: each side in one piece) */
    size_t shuffle_buffer;     /* records held by a stream's shuffle buffer */
    const char *score_field;   /* passage member holding the teacher score (MarginMSE) */
    uint64_t seed;             /* the stream's shuffling and sampling */
} retriever_task_opts;

void retriever_task_opts_default(retriever_task_opts *o);

typedef struct {
    biencoder *b;
    retriever_task_opts o;
    /* data: records in memory, or a stream */
    dpr_record **records;
    size_t n_records;
    char *stream_path;
    dpr_read_opts read_opts;
    dpr_shuffle *sh;
    long long epoch, position;   /* of the stream */
    retrieval_eval *eval;        /* NULL: no evaluation */
    /* one micro-batch */
    dpr_record **batch;
    bienc_tokens qt, pt;
    grad_cache gq, gp;
    const char **q_texts, **p_titles, **p_texts;
    int *pos_off, *pos_idx, *neg_off, *neg_idx, p_cap;
    double *teacher;
    float *dq, *dp;
    model *models[2];
    int n_models;
} retriever_task;

/* Train `b` on records held in memory (kept by the caller). */
int retriever_task_init_records(retriever_task *rt, biencoder *b, dpr_record **records, size_t n,
                                const retriever_task_opts *o);
/* Train `b` on a DPR file (JSON array or JSON lines) read as a stream; counts its records. */
int retriever_task_init_stream(retriever_task *rt, biencoder *b, const char *path, const retriever_task_opts *o);
void retriever_task_free(retriever_task *rt);
/* The trainer's view (ctx = rt). */
trainer_task retriever_task_bind(retriever_task *rt);

#endif

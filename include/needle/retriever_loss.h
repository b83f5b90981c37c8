/* retriever_loss.h — the losses a dense retriever trains with, over one batch of query and
 * passage embeddings, with their gradients.
 *
 * Scores: S[i][j] = scale × sim(q_i, p_j) for every query i and every passage j of the
 * batch (dot product, or cosine = dot of the L2-normalised vectors, each norm clamped at
 * 1e-12 as torch.nn.functional.normalize does). Every query is scored against every passage,
 * so the other queries' positives and hard negatives are its in-batch negatives.
 *
 *   NLL (DPR; sentence-transformers' MultipleNegativesRankingLoss is NLL with cosine × 20):
 *     loss = mean over queries i of  −(1/|P_i|) Σ_{p ∈ P_i} log softmax_j(S[i][·])[p]
 *     where P_i are query i's positives (one positive: DPR's cross-entropy exactly; several:
 *     each positive's log-probability averaged, the others staying in the denominator).
 *   MarginMSE (sentence-transformers' MarginMSELoss, Hofstätter et al.):
 *     for each query i, its first positive p and each of its own negatives n:
 *       (S[i][p] − S[i][n] − (t_p − t_n))², averaged over all such pairs, t the teacher's
 *     scores carried by the data.
 *
 * The gradients d loss / d q and d loss / d p (through the normalisation for cosine) are what
 * the gradient cache hands back to the encoders. Scores are computed in float (one sgemm),
 * the softmax and the loss in double. */
#ifndef NEEDLE_RETRIEVER_LOSS_H
#define NEEDLE_RETRIEVER_LOSS_H

#include "needle/biencoder.h"

typedef enum { RLOSS_NLL = 0, RLOSS_MARGIN_MSE = 1 } rloss_kind;

typedef struct {
    int nq, np, D;
    const float *q, *p;        /* [nq, D], [np, D] */
    bienc_similarity similarity;
    float scale;
    /* Query i's positives are passages pos_idx[pos_off[i] .. pos_off[i+1]) (at least one),
     * its own negatives (MarginMSE) neg_idx[neg_off[i] .. neg_off[i+1]). */
    const int *pos_off, *pos_idx;
    const int *neg_off, *neg_idx;
    const double *teacher;     /* [np] teacher score of each passage for its own query (MarginMSE) */
} rloss_batch;

/* The loss into *loss and its gradients into dq [nq, D] and dp [np, D] (overwritten).
 * scores (may be NULL) receives S [nq, np]. Fails on an empty batch, a query without a
 * positive, or (MarginMSE) no negative in the batch or a missing (NaN) teacher score. */
int retriever_loss(rloss_kind kind, const rloss_batch *b, double *loss, float *dq, float *dp, float *scores);

#endif

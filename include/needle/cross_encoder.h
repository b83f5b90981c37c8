/* cross_encoder.h — a sequence-classification model used as a cross-encoder: one relevance
 * score per (query, passage) pair, read from the classifier's logits, and the way back from
 * gradients of the scores to gradients of the logits. Training (task_reranker.c) and inference
 * (reranker.h) go through these two functions, so they score exactly alike.
 *
 * The score is the logit for num_labels 1 (sentence-transformers' CrossEncoder; its
 * probability is sigmoid(score), what Haystack's SentenceTransformersRanker reports with
 * scale_score) and logit[1] − logit[0] for num_labels 2 (the log-odds of "relevant": softmax
 * of the two logits gives label 1 the probability sigmoid(score)), so ranking by score is
 * ranking by that probability in both cases. */
#ifndef NEEDLE_CROSS_ENCODER_H
#define NEEDLE_CROSS_ENCODER_H

#include "needle/model.h"
#include "needle/pair_batch.h"
#include "needle/tokenizer.h"

/* The model has a classification head with 1 or 2 labels; `origin` names it in the message. */
int cross_encoder_check(const model *m, const char *origin);
/* Forward the batch (rng: training mode with dropout, or NULL) and write scores[B]. */
int cross_encoder_forward(model *m, const model_batch *b, rng *dropout_rng, float *scores);
/* Backward from d loss / d scores [B] of the last forward (accumulates into the gradients). */
int cross_encoder_backward(model *m, const float *d_scores);
/* Score passages[0..n) against one query in evaluation mode, pb->cap pairs per forward pass
 * (pb sized for m's allocation). */
int cross_encoder_score(model *m, const tokenizer *tk, pair_batch *pb, const char *query, const char *const *passages,
                        int n, float *scores);
/* sigmoid(score): the probability of relevance. */
double cross_encoder_probability(double score);

#endif

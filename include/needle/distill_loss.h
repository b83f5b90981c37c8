/* distill_loss.h — the losses of knowledge distillation, with their gradients, as FARM /
 * Haystack 1.x define them (haystack/modeling/training/base.py: DistillationTrainer and
 * TinyBERTDistillationTrainer's DistillationLoss).
 *
 * Prediction-layer distillation of a span model (FARMReader.distil_prediction_layer_from):
 *   loss = w · T² · D + (1 − w) · CE
 * with CE the span loss on the gold labels (span_loss: HF's mean over the batch of
 * (CE(start) + CE(end)) / 2) and D comparing the student's logits s with the teacher's t, both
 * divided by the temperature T, over the window's L positions (padding included, as the span
 * loss does), start and end alike:
 *   "kl_div": D = (1/B) Σ_b Σ_{start,end} KL(softmax(t/T) ‖ softmax(s/T))
 *             = F.kl_div(F.log_softmax(s/T, dim=-2), F.softmax(t/T, dim=-2), reduction="batchmean")
 *             on FARM's [B, L, 2] logits (so the start and end divergences are summed, not averaged);
 *   "mse":    D = mean((s/T − t/T)²) over all 2·B·L logits (torch.nn.MSELoss()).
 *
 * Intermediate-layer distillation (TinyBERT's first stage, FARMReader.distil_intermediate_
 * layers_from) is a sum of mean squared errors: each student hidden state against the teacher's
 * mapped one (through a learned linear map without bias when the widths differ) and each
 * student attention matrix against the teacher's mapped one. Those terms are distill_mse and
 * distill_hidden_loss below; the layer mapping is the task's (task_distill.c). */
#ifndef NEEDLE_DISTILL_LOSS_H
#define NEEDLE_DISTILL_LOSS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { DISTILL_KL_DIV = 0, DISTILL_MSE = 1 } distill_kind;

typedef struct {
    double loss;   /* w·T²·D + (1 − w)·CE */
    double div;    /* D, the divergence from the teacher (before the T² and w factors) */
    double ce;     /* CE, the hard-label span loss */
} distill_span_value;

/* The combined loss of student logits [2, B, L] (start rows then end rows, model_logits' layout)
 * against teacher logits in the same layout and the labels start/end [B] (clamped as span_loss
 * does). d logits goes to dlogits, which may alias logits; `scratch` holds 2·B·L floats (it
 * receives the hard-label gradient). temperature > 0, 0 <= weight <= 1. */
distill_span_value distill_span_loss(float *dlogits, float *scratch, const float *logits, const float *teacher,
                                     const int32_t *start, const int32_t *end, int B, int L, double temperature,
                                     double weight, distill_kind kind);

/* mean((a − b)²) over n values; when da is not NULL, da += scale · d/da (2 (a − b) / n). */
double distill_mse(float *da, const float *a, const float *b, size_t n, double scale);

/* A hidden-state term: mean((h_s · Wᵀ − h_t)²) over N rows of Ct values, where h_s is [N, Cs],
 * W [Ct, Cs] (NULL when Cs == Ct: the identity) and h_t [N, Ct]. With dh (may be NULL):
 * dh += scale · d/dh_s and, with W, dW += scale · d/dW. `scratch` holds N·Ct floats when W
 * is given. */
double distill_hidden_loss(float *dh, float *dW, float *scratch, const float *h_s, const float *W, const float *h_t,
                           int N, int Cs, int Ct, double scale);

#endif

/* kernels.h — the CPU kernels of the encoder: pure functions over flat fp32 arrays with
 * explicit shapes, so that each can be tested alone against its plain reference version
 * (the *_ref functions: straightforward loops accumulating in double) and by finite
 * differences.
 *
 * Shape letters:
 *   B  batch size            T  sequence length        N  tokens = B*T (rows)
 *   C  channels (hidden)     E  embedding size         F  feed-forward size
 *   NH attention heads       hd head size = C/NH       V  vocabulary size
 *   IC / OC  input / output channels of a linear layer
 * Layouts are row-major. A linear layer's weight is [OC, IC] (PyTorch's nn.Linear), so
 * out = inp · wᵀ + bias. qkv rows hold [q(C) | k(C) | v(C)], each C = NH heads of hd.
 * Attention probabilities are [B, NH, T, T]. An attention mask is int32 [B, T] (1 = token,
 * 0 = padding; NULL = all tokens).
 *
 * Conventions: forward saves exactly what backward needs (LayerNorm mean and 1/std,
 * softmax probabilities); parameter gradients (dw, dbias, ...) ACCUMULATE; input gradients
 * (dinp) overwrite unless a function says otherwise. Every output element is computed by
 * one thread in a fixed order (gemm tiles, per-row work, column-blocked sums, one task
 * per attention head), so results are the same bits for any thread count; only the
 * losses' scalar sums over rows use an OpenMP reduction. Dropout masks come from
 * dropout_keep() (a hash of seed, site and element index), so backward regenerates them
 * rather than storing them. */
#ifndef NEEDLE_KERNELS_H
#define NEEDLE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "needle/model.h"

/* ---- matrix product (gemm.c) ------------------------------------------------------ */
/* C[M,N] = alpha·op(A)·op(B) + beta·C, row-major, op(X) = Xᵀ when ta / tb is set:
 * cblas_sgemm's contract (beta == 0 never reads C). Bitwise the same for any thread count;
 * runs on the calling thread when called inside an OpenMP region. */
void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta,
          float *C, int ldc);
void gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc);
/* Run the calling thread's kernels on n threads from now on: its OpenMP thread count (gemm's
 * and every parallel kernel's) and OpenBLAS's (gemm's fallback without AVX-512). OpenBLAS keeps
 * ONE process-wide count (and some versions stay at 1 once any thread has run a product with
 * one thread), so callers that mix counts across threads must not change it while another
 * thread is inside a product (infer_slots.h does this under its lock, when no other run is
 * active on more than one thread). */
void kernels_set_threads(int n);

/* ---- linear layers (matmul.c) ---------------------------------------------------- */
/* out[N,OC] = inp[N,IC] · w[OC,IC]ᵀ + bias[OC] (bias may be NULL). */
void matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC);
/* dinp[N,IC] = dout · w (+= when accumulate); dw[OC,IC] += doutᵀ · inp; dbias[OC] += Σ_n dout.
 * dinp, dw, dbias may each be NULL. */
void matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                     int N, int IC, int OC, int accumulate);
void matmul_forward_ref(float *out, const float *inp, const float *w, const float *bias, int N, int IC, int OC);
void matmul_backward_ref(float *dinp, float *dw, float *dbias, const float *dout, const float *inp, const float *w,
                         int N, int IC, int OC, int accumulate);

/* ---- LayerNorm (layernorm.c) ----------------------------------------------------- */
/* out = (inp - mean) * rstd * w + b per row of C; saves mean[N], rstd[N]. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int N, int C, float eps);
/* dinp[N,C] (overwritten), dw[C] += , db[C] += . */
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *mean,
                        const float *rstd, const float *w, int N, int C);
/* Post-LN residual block: res = x + dropout(y) (y: a sublayer's output), then
 * out = LayerNorm(res). res may alias y. Saves res (LayerNorm's input), mean, rstd. */
void residual_layernorm_forward(float *out, float *res, float *mean, float *rstd, const float *x, const float *y,
                                const float *w, const float *b, int N, int C, float eps,
                                float p, uint64_t seed, uint32_t site);
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                           int N, int C, float eps);
void layernorm_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *mean,
                            const float *rstd, const float *w, int N, int C);

/* ---- activations (activation.c) -------------------------------------------------- */
/* out[n] = act(inp[n]); out may alias inp. */
void act_forward(float *out, const float *inp, size_t n, model_act act);
/* dinp[n] = dout[n] * act'(inp[n]); dinp may alias dout. */
void act_backward(float *dinp, const float *inp, const float *dout, size_t n, model_act act);
double act_ref(double x, model_act act);
double act_grad_ref(double x, model_act act);

/* ---- dropout (dropout.c) ---------------------------------------------------------- */
/* Whether element `idx` of dropout site `site` survives with drop probability p under
 * `seed`: a pure function, identical in forward and backward and for any thread count. */
int dropout_keep(uint64_t seed, uint32_t site, uint64_t idx, float p);
/* out[n] = keep ? inp / (1 - p) : 0; out may alias inp. No-op copy when p == 0. */
void dropout_forward(float *out, const float *inp, size_t n, float p, uint64_t seed, uint32_t site);
/* The same map applied to a gradient (it is linear and diagonal). */
#define dropout_backward dropout_forward

/* ---- embeddings (embedding.c) ----------------------------------------------------- */
/* out[N,E] = wte[ids] + wpe[pos] (+ wtt[tt] when wtt and tt are given). */
void embedding_forward(float *out, const int32_t *ids, const int32_t *pos, const int32_t *tt, const float *wte,
                       const float *wpe, const float *wtt, int N, int E);
/* Scatter-add dout rows into dwte, dwpe, dwtt (NULL to skip), except into the padding_idx
 * rows wte_pad / wpe_pad (-1: none), whose gradient PyTorch keeps at zero. Parallel over
 * channels, so the order of additions per row is fixed and the result is deterministic. */
void embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int32_t *ids,
                        const int32_t *pos, const int32_t *tt, int N, int E, int wte_pad, int wpe_pad);

/* ---- attention (attention.c) ------------------------------------------------------ */
/* Multi-head self-attention over qkv[N,3C]: att = softmax(q·kᵀ/√hd + mask) [B,NH,T,T] (saved),
 * out[N,C] = dropout(att) · v with heads concatenated. Padding keys get HF's additive
 * float-min mask (weight exactly 0); a sequence with no token at all attends uniformly, as
 * HF's eager attention does. `scratch` holds attention_scratch_floats(T, threads) floats for
 * at least as many threads as the OpenMP team. att may be
 * NULL (inference: probabilities live in the scratch only). */
void attention_forward(float *out, float *att, const float *qkv, const int32_t *mask, int B, int T, int C, int NH,
                       float p, uint64_t seed, uint32_t site, float *scratch);
/* dqkv[N,3C] (overwritten) from dout[N,C] and, when datt is not NULL, an extra gradient on
 * the saved probabilities att [B,NH,T,T] themselves (before dropout: what intermediate-layer
 * distillation compares). The uniform weights of a sequence without any token do not depend
 * on q and k, so q and k get no gradient there. */
void attention_backward(float *dqkv, const float *dout, const float *datt, const float *qkv, const float *att,
                        const int32_t *mask, int B, int T, int C, int NH, float p, uint64_t seed, uint32_t site,
                        float *scratch);
size_t attention_scratch_floats(int T, int threads);
void attention_forward_ref(float *out, float *att, const float *qkv, const int32_t *mask, int B, int T, int C, int NH,
                           float p, uint64_t seed, uint32_t site);
void attention_backward_ref(float *dqkv, const float *dout, const float *datt, const float *qkv, const float *att,
                            const int32_t *mask, int B, int T, int C, int NH, float p, uint64_t seed, uint32_t site);

/* ---- losses (softmax_xent.c) ------------------------------------------------------ */
/* Extractive-QA loss, HF's: positions are clamped to [0, T] and T is ignored; the loss is
 * (CE(start) + CE(end)) / 2, each CE the mean over its non-ignored rows (0 when none).
 * logits [2, B, T] (start rows then end rows); dlogits (same layout, may alias logits)
 * receives d loss / d logits. Returns the loss. */
float span_loss(float *dlogits, const float *logits, const int32_t *start, const int32_t *end, int B, int T);
/* Cross-entropy over rows of logits [R, K] with integer labels in [0, K), rows labelled -100
 * ignored; the mean over the other rows (0 when none). This is the masked-LM loss (R = N
 * tokens, K = V), the classification loss (R = B, K = NL) and the listwise ranking loss
 * (R groups of K passages' scores, label 0: the positive). dlogits may alias logits. */
float xent_loss(float *dlogits, const float *logits, const int32_t *labels, int R, int K);
/* Mean squared error of logits [B] against float targets (HF's regression, num_labels 1). */
float mse_loss(float *dlogits, const float *logits, const float *targets, int B);
/* Binary cross-entropy of logits [B] against targets in [0, 1], the mean over B
 * (torch.nn.BCEWithLogitsLoss: sentence-transformers' CrossEncoder with num_labels 1).
 * dlogits may alias logits. */
float bce_loss(float *dlogits, const float *logits, const float *targets, int B);

#endif

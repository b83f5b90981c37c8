/* retriever_loss.c — NLL over in-batch passages and MarginMSE, with their gradients (see
 * retriever_loss.h).
 *
 * Both losses are functions of the score matrix S, so each writes dS and one shared
 * backward turns it into gradients of the embeddings: dq̂ = scale · dS · p̂, dp̂ = scale ·
 * dSᵀ · q̂ (two dgemms: in double, the rows of dS — which sum to zero for NLL — keep their
 * cancellation, so gradients that are exactly zero in theory stay at rounding level), then,
 * for cosine, through x̂ = x / max(|x|, 1e-12):
 * dx = (dx̂ − x̂ (x̂ · dx̂)) / |x| (the clamp's branch has zero gradient of the norm). */
#include "needle/retriever_loss.h"
#include "needle/error.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NORM_EPS 1e-12

/* Unit rows of x into out, norms into norm (only used for cosine). */
static void normalize_rows(const float *x, int n, int D, float *out, double *norm) {
    for (int i = 0; i < n; i++) {
        const float *r = x + (size_t)i * D;
        double s = 0;
        for (int d = 0; d < D; d++) s += (double)r[d] * r[d];
        double nr = sqrt(s);
        norm[i] = nr > NORM_EPS ? nr : NORM_EPS;
        for (int d = 0; d < D; d++) out[(size_t)i * D + d] = (float)(r[d] / norm[i]);
    }
}

/* dx (in: d loss / d x̂, out: d loss / d x) for x̂ = x / norm, when the norm was not clamped. */
static void normalize_backward(float *dx, const float *xn, const double *norm, int n, int D) {
    for (int i = 0; i < n; i++) {
        float *g = dx + (size_t)i * D;
        const float *u = xn + (size_t)i * D;
        if (norm[i] <= NORM_EPS) {
            for (int d = 0; d < D; d++) g[d] = (float)(g[d] / norm[i]);
            continue;
        }
        double dot = 0;
        for (int d = 0; d < D; d++) dot += (double)u[d] * g[d];
        for (int d = 0; d < D; d++) g[d] = (float)((g[d] - u[d] * dot) / norm[i]);
    }
}

/* NLL: dS and the loss. */
static int nll(const rloss_batch *b, const float *S, double *dS, double *loss) {
    int nq = b->nq, np = b->np;
    double total = 0;
    for (int i = 0; i < nq; i++) {
        const float *row = S + (size_t)i * np;
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < np; j++) mx = row[j] > mx ? row[j] : mx;
        for (int j = 0; j < np; j++) sum += exp((double)row[j] - mx);
        double lse = mx + log(sum);
        int first = b->pos_off[i], count = b->pos_off[i + 1] - first;
        double *d = dS + (size_t)i * np;
        for (int j = 0; j < np; j++) d[j] = exp((double)row[j] - lse) / nq;
        for (int k = 0; k < count; k++) {
            int p = b->pos_idx[first + k];
            total -= ((double)row[p] - lse) / count;
            d[p] -= 1.0 / count / nq;
        }
    }
    *loss = total / nq;
    return 0;
}

static int margin_mse(const rloss_batch *b, const float *S, double *dS, double *loss) {
    int nq = b->nq, np = b->np;
    long pairs = 0;
    for (int i = 0; i < nq; i++) pairs += b->neg_off[i + 1] - b->neg_off[i];
    if (!pairs) return error_set(NEEDLE_EINVAL, "MarginMSE: no query of the batch has a negative with a teacher score");
    memset(dS, 0, (size_t)nq * np * sizeof *dS);
    double total = 0;
    for (int i = 0; i < nq; i++) {
        int p = b->pos_idx[b->pos_off[i]];
        const float *row = S + (size_t)i * np;
        double *d = dS + (size_t)i * np;
        for (int k = b->neg_off[i]; k < b->neg_off[i + 1]; k++) {
            int n = b->neg_idx[k];
            if (isnan(b->teacher[p]) || isnan(b->teacher[n]))
                return error_set(NEEDLE_EINVAL, "MarginMSE: query %d of the batch lacks a teacher score", i);
            double diff = ((double)row[p] - row[n]) - (b->teacher[p] - b->teacher[n]);
            total += diff * diff;
            d[p] += 2 * diff / pairs;
            d[n] -= 2 * diff / pairs;
        }
    }
    *loss = total / pairs;
    return 0;
}

int retriever_loss(rloss_kind kind, const rloss_batch *b, double *loss, float *dq, float *dp, float *scores) {
    int nq = b->nq, np = b->np, D = b->D, cosine = b->similarity == BIENC_SIM_COSINE;
    if (nq < 1 || np < 1 || D < 1) return error_set(NEEDLE_EINVAL, "retriever loss: empty batch (%d queries, %d passages)", nq, np);
    for (int i = 0; i < nq; i++)
        if (b->pos_off[i + 1] <= b->pos_off[i]) return error_set(NEEDLE_EINVAL, "retriever loss: query %d has no positive", i);
    float *qn = NULL, *pn = NULL, *S = malloc((size_t)nq * np * sizeof *S);
    double *dS = malloc((size_t)nq * np * sizeof *dS), *qnorm = NULL, *pnorm = NULL;
    double *Qd = malloc((size_t)nq * D * sizeof *Qd), *Pd = malloc((size_t)np * D * sizeof *Pd);
    double *dQd = malloc((size_t)nq * D * sizeof *dQd), *dPd = malloc((size_t)np * D * sizeof *dPd);
    int rc = 0;
    if (cosine) {
        qn = malloc((size_t)nq * D * sizeof *qn);
        pn = malloc((size_t)np * D * sizeof *pn);
        qnorm = malloc((size_t)nq * sizeof *qnorm);
        pnorm = malloc((size_t)np * sizeof *pnorm);
    }
    if (!S || !dS || !Qd || !Pd || !dQd || !dPd || (cosine && (!qn || !pn || !qnorm || !pnorm))) {
        rc = error_set(NEEDLE_ENOMEM, "out of memory for a %d x %d score matrix", nq, np);
        goto done;
    }
    const float *Q = b->q, *P = b->p;
    if (cosine) {
        normalize_rows(b->q, nq, D, qn, qnorm);
        normalize_rows(b->p, np, D, pn, pnorm);
        Q = qn, P = pn;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, np, D, b->scale, Q, D, P, D, 0.0f, S, np);
    rc = kind == RLOSS_NLL ? nll(b, S, dS, loss) : margin_mse(b, S, dS, loss);
    if (rc) goto done;
    for (size_t i = 0; i < (size_t)nq * D; i++) Qd[i] = Q[i];
    for (size_t i = 0; i < (size_t)np * D; i++) Pd[i] = P[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nq, D, np, b->scale, dS, np, Pd, D, 0.0, dQd, D);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, np, D, nq, b->scale, dS, np, Qd, D, 0.0, dPd, D);
    for (size_t i = 0; i < (size_t)nq * D; i++) dq[i] = (float)dQd[i];
    for (size_t i = 0; i < (size_t)np * D; i++) dp[i] = (float)dPd[i];
    if (cosine) {
        normalize_backward(dq, qn, qnorm, nq, D);
        normalize_backward(dp, pn, pnorm, np, D);
    }
    if (scores) memcpy(scores, S, (size_t)nq * np * sizeof *S);
done:
    free(qn);
    free(pn);
    free(qnorm);
    free(pnorm);
    free(S);
    free(dS);
    free(Qd);
    free(Pd);
    free(dQd);
    free(dPd);
    return rc;
}

/* gemm.c — the encoder's single-precision matrix product, C = alpha·op(A)·op(B) + beta·C
 * (row-major, cblas_sgemm's contract), with an AVX-512 micro-kernel.
 *
 * Why not only OpenBLAS: Debian 12's OpenBLAS 0.3.21 does not recognise recent Xeons and
 * falls back to its SSE3 ("Prescott") kernels, a third of what AVX-512 gives (measured by
 * bench/encoder.sh, which prints both peaks). Built the BLIS way: op(B) is packed into
 * slivers of NR = 32 columns (two zmm registers), op(A) into slivers of MR = 12 rows; the
 * micro-kernel keeps a 12 x 32 tile of C in 24 registers over a KC-deep block. Threads
 * split the columns of C: every tile is computed by one thread with the same order of
 * additions whatever the thread count, so results are bitwise reproducible. Called
 * inside an OpenMP region (attention heads) it runs on the calling thread. Packing
 * buffers are per thread and grow once, so the training loop does not allocate.
 * Without AVX-512 at compile time, or if a buffer cannot be allocated, it is OpenBLAS. */
#include "needle/kernels.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#ifdef __AVX512F__
#include <immintrin.h>

#define MR 12
#define NR 32
#define KC 256
#define MC 120  /* rows of A packed at a time (10 slivers: ~120 KB, stays in L2) */
#define NC 1024 /* columns of B packed at a time per thread (~1 MB) */

typedef struct {
    float *p;
    size_t n;
} pack_buf;

static __thread pack_buf a_buf, b_buf;

static float *buf_get(pack_buf *b, size_t n) {
    if (b->n < n) {
        free(b->p);
        b->p = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
        b->n = b->p ? n : 0;
    }
    return b->p;
}

/* op(A)[i0 .. i0+mc) x [k0 .. k0+kc) into MR-row slivers: sliver s holds kc groups of MR. */
static void pack_a(float *dst, int ta, const float *A, int lda, int i0, int mc, int k0, int kc) {
    for (int s = 0; s < mc; s += MR) {
        float *d = dst + (size_t)s * kc;
        int rows = mc - s < MR ? mc - s : MR;
        if (ta) {
            for (int k = 0; k < kc; k++) {
                const float *src = A + (size_t)(k0 + k) * lda + i0 + s;
                for (int i = 0; i < rows; i++) d[k * MR + i] = src[i];
                for (int i = rows; i < MR; i++) d[k * MR + i] = 0.0f;
            }
        } else {
            for (int i = 0; i < MR; i++) {
                if (i >= rows) {
                    for (int k = 0; k < kc; k++) d[k * MR + i] = 0.0f;
                    continue;
                }
                const float *src = A + (size_t)(i0 + s + i) * lda + k0;
                for (int k = 0; k < kc; k++) d[k * MR + i] = src[k];
            }
        }
    }
}

/* op(B)[k0 .. k0+kc) x [j0 .. j0+nc) into NR-column slivers: sliver s holds kc rows of NR. */
static void pack_b(float *dst, int tb, const float *B, int ldb, int k0, int kc, int j0, int nc) {
    for (int s = 0; s < nc; s += NR) {
        float *d = dst + (size_t)s * kc;
        int cols = nc - s < NR ? nc - s : NR;
        if (!tb) {
            for (int k = 0; k < kc; k++) {
                const float *src = B + (size_t)(k0 + k) * ldb + j0 + s;
                memcpy(d + k * NR, src, (size_t)cols * sizeof(float));
                for (int j = cols; j < NR; j++) d[k * NR + j] = 0.0f;
            }
        } else {
            for (int j = 0; j < NR; j++) {
                if (j >= cols) {
                    for (int k = 0; k < kc; k++) d[k * NR + j] = 0.0f;
                    continue;
                }
                const float *src = B + (size_t)(j0 + s + j) * ldb + k0;
                for (int k = 0; k < kc; k++) d[k * NR + j] = src[k];
            }
        }
    }
}

/* C[mr x nr] = alpha·(a·b) + beta·C over kc; beta == 0 never reads C. */
static void micro_kernel(int kc, const float *a, const float *b, float *C, int ldc, int mr, int nr, float alpha, float beta) {
    __m512 c0[MR], c1[MR];
    for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b + k * NR), b1 = _mm512_load_ps(b + k * NR + 16);
        const float *ak = a + k * MR;
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(ak[i]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
    }
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < mr; i++) {
        float *cr = C + (size_t)i * ldc;
        __m512 r0 = _mm512_mul_ps(va, c0[i]), r1 = _mm512_mul_ps(va, c1[i]);
        if (beta != 0.0f) {
            r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), r0);
            r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), r1);
        }
        _mm512_mask_storeu_ps(cr, m0, r0);
        _mm512_mask_storeu_ps(cr + 16, m1, r1);
    }
}

/* Columns [n0, n1) of C, all rows: what one thread computes. Returns -1 without buffers. */
static int gemm_columns(int ta, int tb, int M, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                        float beta, float *C, int ldc, int n0, int n1) {
    float *ap = buf_get(&a_buf, (size_t)MC * KC), *bp = buf_get(&b_buf, (size_t)NC * KC);
    if (!ap || !bp) return -1;
    for (int jc = n0; jc < n1; jc += NC) {
        int nc = n1 - jc < NC ? n1 - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            float bet = pc == 0 ? beta : 1.0f;
            pack_b(bp, tb, B, ldb, pc, kc, jc, nc);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                pack_a(ap, ta, A, lda, ic, mc, pc, kc);
                for (int jr = 0; jr < nc; jr += NR)
                    for (int ir = 0; ir < mc; ir += MR)
                        micro_kernel(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, C + (size_t)(ic + ir) * ldc + jc + jr,
                                     ldc, mc - ir < MR ? mc - ir : MR, nc - jr < NR ? nc - jr : NR, alpha, bet);
            }
        }
    }
    return 0;
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta,
          float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* C = beta·C */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta != 0.0f ? beta * C[(size_t)i * ldc + j] : 0.0f;
        return;
    }
    int slivers = (N + NR - 1) / NR, failed = 0;
    if (omp_in_parallel() || slivers == 1 || (double)M * N * K < 1e6) {
        failed = gemm_columns(ta, tb, M, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, N);
    } else {
#pragma omp parallel reduction(| : failed)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            int s0 = (int)((long)slivers * t / nt), s1 = (int)((long)slivers * (t + 1) / nt);
            int n0 = s0 * NR, n1 = s1 * NR < N ? s1 * NR : N;
            if (n0 < n1) failed |= gemm_columns(ta, tb, M, K, alpha, A, lda, B, ldb, beta, C, ldc, n0, n1) != 0;
        }
    }
    if (failed) /* out of memory for packing buffers: the library path, which needs none of ours */
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
                    B, ldb, beta, C, ldc);
}

#else

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta,
          float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
}

#endif

void gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)(ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            float *c = &C[(size_t)i * ldc + j];
            *c = (float)(alpha * s + (beta != 0.0f ? (double)beta * *c : 0.0));
        }
}

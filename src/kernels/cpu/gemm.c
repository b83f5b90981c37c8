/* gemm.c — the encoder's single-precision matrix product, C = alpha·op(A)·op(B) + beta·C
 * (row-major, cblas_sgemm's contract), with an AVX-512 micro-kernel.
 *
 * Why not only OpenBLAS: Debian 12's OpenBLAS 0.3.21 does not recognise recent Xeons and
 * falls back to its SSE3 ("Prescott") kernels, a third of what AVX-512 gives (measured by
 * bench/encoder.sh, which prints both peaks). Built the BLIS way: op(B) is packed into
 * slivers of NR = 32 columns (two zmm registers), op(A) into slivers of MR = 12 rows; the
 * micro-kernel keeps a 12 x 32 tile of C in 24 registers over a KC-deep block. Threads
 * split the rows or the columns of C: every tile is computed by one thread with the same
 * order of additions whatever the thread count, so results are bitwise reproducible. Called
 * inside an OpenMP region (attention heads) it runs on the calling thread. Packing
 * buffers are per thread and grow once, so the training loop does not allocate.
 * Without AVX-512 at compile time, or if a buffer cannot be allocated, it is OpenBLAS.
 * kernels_set_threads sets both thread counts, OpenMP's and OpenBLAS's, together. */
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

static inline __mmask16 lanes(int n) { return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? 0 : (__mmask16)((1u << n) - 1); }

/* Transpose 16 rows of 16 floats in registers (unpack, in-lane shuffle, two lane shuffles). */
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

/* From `rows` (<= 16) rows of a k-contiguous matrix (src + r·ld), the kc values starting
 * at each row's start, write dst[k·stride + r] for r < width (rows past `rows` are zero):
 * the strided packing cases, 16 x 16 blocks at a time through registers. */
static void pack_transposed(float *dst, int stride, int width, const float *src, size_t ld, int rows, int kc) {
    for (int kb = 0; kb < kc; kb += 16) {
        __mmask16 km = lanes(kc - kb);
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(km, src + (size_t)i * ld + kb) : _mm512_setzero_ps();
        transpose16(r);
        for (int k = 0; k < 16 && kb + k < kc; k++) _mm512_mask_storeu_ps(dst + (size_t)(kb + k) * stride, lanes(width), r[k]);
    }
}

/* op(A)[i0 .. i0+mc) x [k0 .. k0+kc) into MR-row slivers: sliver s holds kc groups of MR. */
static void pack_a(float *dst, int ta, const float *A, int lda, int i0, int mc, int k0, int kc) {
    for (int s = 0; s < mc; s += MR) {
        float *d = dst + (size_t)s * kc;
        int rows = mc - s < MR ? mc - s : MR;
        if (ta) {
            for (int k = 0; k < kc; k++)
                _mm512_mask_storeu_ps(d + k * MR, lanes(MR), _mm512_maskz_loadu_ps(lanes(rows), A + (size_t)(k0 + k) * lda + i0 + s));
        } else {
            pack_transposed(d, MR, MR, A + (size_t)(i0 + s) * lda + k0, (size_t)lda, rows, kc);
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
                _mm512_store_ps(d + k * NR, _mm512_maskz_loadu_ps(lanes(cols), src));
                _mm512_store_ps(d + k * NR + 16, _mm512_maskz_loadu_ps(lanes(cols - 16), src + 16));
            }
        } else {
            const float *src = B + (size_t)(j0 + s) * ldb + k0;
            pack_transposed(d, NR, 16, src, (size_t)ldb, cols < 16 ? cols : 16, kc);
            pack_transposed(d + 16, NR, 16, cols > 16 ? src + (size_t)16 * ldb : src, (size_t)ldb, cols - 16, kc);
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

/* The block of C rows [m0, m1) x columns [n0, n1): what one thread computes. Returns -1
 * without buffers. */
static int gemm_block(int ta, int tb, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta,
                      float *C, int ldc, int m0, int m1, int n0, int n1) {
    float *ap = buf_get(&a_buf, (size_t)MC * KC), *bp = buf_get(&b_buf, (size_t)NC * KC);
    if (!ap || !bp) return -1;
    for (int jc = n0; jc < n1; jc += NC) {
        int nc = n1 - jc < NC ? n1 - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            float bet = pc == 0 ? beta : 1.0f;
            pack_b(bp, tb, B, ldb, pc, kc, jc, nc);
            for (int ic = m0; ic < m1; ic += MC) {
                int mc = m1 - ic < MC ? m1 - ic : MC;
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

void kernels_set_threads(int n) {
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta,
          float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* C = beta·C */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta != 0.0f ? beta * C[(size_t)i * ldc + j] : 0.0f;
        return;
    }
    int failed = 0;
    if (omp_in_parallel() || (double)M * N * K < 1e6) {
        failed = gemm_block(ta, tb, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, M, 0, N);
    } else {
        /* Split the longer side, so that each thread packs only its own part of the
         * operand that is packed most often (A for every column block, B once per row
         * block) and the other is shared work amortised over many tiles. */
        int by_rows = M >= N, unit = by_rows ? MR : NR, units = ((by_rows ? M : N) + unit - 1) / unit;
#pragma omp parallel reduction(| : failed)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads(), len = by_rows ? M : N;
            int u0 = (int)((long)units * t / nt), u1 = (int)((long)units * (t + 1) / nt);
            int a0 = u0 * unit, a1 = u1 * unit < len ? u1 * unit : len;
            if (a0 < a1)
                failed |= (by_rows ? gemm_block(ta, tb, K, alpha, A, lda, B, ldb, beta, C, ldc, a0, a1, 0, N)
                                   : gemm_block(ta, tb, K, alpha, A, lda, B, ldb, beta, C, ldc, 0, M, a0, a1)) != 0;
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

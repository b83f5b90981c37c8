/* test_gemm.c — needle's sgemm against the plain triple loop and against OpenBLAS on shapes
 * around the micro-tile and block edges (1, 11, 12, 13, 31, 32, 33, ... up to past KC and
 * MC), all four transpose combinations, alpha/beta including beta = 0 over a C full of NaN
 * (which must not be read), leading dimensions wider than the matrix, and the same bits
 * for one thread as for two. */
#include "../test.h"
#include "needle/kernels.h"
#include "needle/rng.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>

static void fill(float *x, size_t n, rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(rng_double(r) * 2 - 1);
}

TEST(gemm_against_reference_and_openblas) {
    rng r;
    rng_seed(&r, 17);
    const int sizes[] = {1, 11, 12, 13, 31, 32, 33, 97, 130, 257, 300};
    int ns = sizeof sizes / sizeof *sizes, cases = 0;
    for (int c = 0; c < 60; c++) {
        int M = sizes[rng_below(&r, ns)], N = sizes[rng_below(&r, ns)], K = sizes[rng_below(&r, ns)];
        int ta = c & 1, tb = (c >> 1) & 1, pad = c % 3 == 0 ? 3 : 0;
        float alpha = c % 5 == 0 ? 0.5f : 1.0f, beta = c % 4 == 0 ? 0.0f : c % 4 == 1 ? 1.0f : -0.75f;
        int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
        size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
        float *A = malloc(na * 4), *B = malloc(nb * 4), *C0 = malloc(nc * 4), *C1 = malloc(nc * 4), *C2 = malloc(nc * 4);
        fill(A, na, &r), fill(B, nb, &r), fill(C0, nc, &r);
        if (beta == 0.0f)
            for (size_t i = 0; i < nc; i++) C0[i] = NAN;
        memcpy(C1, C0, nc * 4), memcpy(C2, C0, nc * 4);
        gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C0, ldc);
        gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
                    B, ldb, beta, C2, ldc);
        double e1 = 0, e2 = 0;
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                size_t k = (size_t)i * ldc + j;
                e1 = fmax(e1, fabs(C0[k] - C1[k])), e2 = fmax(e2, fabs(C0[k] - C2[k]));
            }
        for (int i = 0; i < M && pad; i++) /* columns past N untouched */
            for (int j = N; j < ldc; j++) CHECK(isnan(C1[(size_t)i * ldc + j]) ? isnan(C0[(size_t)i * ldc + j]) : C0[(size_t)i * ldc + j] == C1[(size_t)i * ldc + j]);
        double tol = 2e-6 * K; /* |A|,|B| <= 1: fp32 rounding of K products */
        if (!(e1 <= tol && e2 <= tol))
            test_fail(__FILE__, __LINE__, "M %d N %d K %d ta %d tb %d beta %g: max error %.3g vs reference, %.3g vs OpenBLAS",
                      M, N, K, ta, tb, beta, e1, e2);
        cases++;
        free(A), free(B), free(C0), free(C1), free(C2);
    }
    CHECK_INT(cases, 60);
}

TEST(gemm_same_bits_for_any_thread_count) {
    rng r;
    rng_seed(&r, 18);
    int M = 300, N = 700, K = 530;
    float *A = malloc((size_t)M * K * 4), *B = malloc((size_t)N * K * 4), *C1 = malloc((size_t)M * N * 4), *C2 = malloc((size_t)M * N * 4);
    fill(A, (size_t)M * K, &r), fill(B, (size_t)N * K, &r);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    gemm(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C1, N);
    omp_set_num_threads(saved > 1 ? saved : 2);
    gemm(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C2, N);
    omp_set_num_threads(saved);
    CHECK(!memcmp(C1, C2, (size_t)M * N * 4));
    free(A), free(B), free(C1), free(C2);
}

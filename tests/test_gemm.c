/* test_gemm.c — kernels/gemm.h on the backend this build selected (make GEMM=dnnl|openblas|blis): it passes
 * its own start-up validation; gemm_sgemm / gemm_tiled / gemm_whole agree with a double-accumulated triple
 * loop on every transpose pair with wide leading dimensions, alpha and beta, inside and outside parallel
 * regions; gemm_tiled gives the same bits with 1 and 2 threads; and a backend whose result is wrong (test
 * hook) is detected, named in one warning, and replaced by OpenBLAS (or the reference loops); bench_validate
 * (xstilts bench's check) passes on the fast path and reports a fallback. */
#include "testutil.h"
#include "kernels/gemm.h"
#include "bench/bench.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static float *rnd(size_t n, unsigned seed) {
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
    return x;
}

static void ref(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)(ta == CblasNoTrans ? A[(size_t)i * lda + k] : A[(size_t)k * lda + i]) *
                     (tb == CblasNoTrans ? B[(size_t)k * ldb + j] : B[(size_t)j * ldb + k]);
            C[(size_t)i * ldc + j] = (float)(alpha * s + beta * (double)C[(size_t)i * ldc + j]);
        }
}

/* every transpose pair, one shape; which: 0 gemm_sgemm, 1 gemm_tiled, 2 gemm_whole, 3 gemm_sgemm inside a
 * parallel region (each thread its own rows of C) */
static void check_shape(int M, int N, int K, int which) {
    for (int tr = 0; tr < 4; tr++) {
        CBLAS_TRANSPOSE ta = tr & 1 ? CblasTrans : CblasNoTrans, tb = tr & 2 ? CblasTrans : CblasNoTrans;
        int lda = (ta == CblasNoTrans ? K : M) + 5, ldb = (tb == CblasNoTrans ? N : K) + 3, ldc = N + 7;
        float *A = rnd((size_t)(ta == CblasNoTrans ? M : K) * lda, 1 + tr), *B = rnd((size_t)(tb == CblasNoTrans ? K : N) * ldb, 7 + tr);
        float *C = rnd((size_t)M * ldc, 3), *R = malloc((size_t)M * ldc * sizeof(float));
        memcpy(R, C, (size_t)M * ldc * sizeof(float));
        float alpha = which == 0 || which == 3 ? 0.5f : 1.0f, beta = 1.0f;
        ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
        if (which == 0) gemm_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        if (which == 1) gemm_tiled(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
        if (which == 2) gemm_whole(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
        if (which == 3) {
            int half = M / 2;
#pragma omp parallel for num_threads(2)
            for (int part = 0; part < 2; part++) {
                int i0 = part ? half : 0, mi = part ? M - half : half;
                const float *a = ta == CblasNoTrans ? A + (size_t)i0 * lda : A + i0;
                gemm_sgemm(ta, tb, mi, N, K, alpha, a, lda, B, ldb, beta, C + (size_t)i0 * ldc, ldc);
            }
        }
        double tol = 4e-6 * sqrt((double)K);
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < ldc; j++) {
                size_t x = (size_t)i * ldc + j;
                if (fabs(C[x] - R[x]) > tol * (1 + fabs(R[x])))
                    fail_msg("%s %dx%dx%d %c%c: C[%d,%d] = %.7g, reference %.7g", gemm_backend(), M, N, K,
                             tr & 1 ? 'T' : 'N', tr & 2 ? 'T' : 'N', i, j, C[x], R[x]);
            }
        }
        free(A);
        free(B);
        free(C);
        free(R);
    }
}

static void test_selected_backend_valid(void **state) {
    (void)state;
    assert_string_equal(gemm_backend(), gemm_backend_built());
    assert_null(strstr(gemm_warnings(), "disagrees"));
    assert_true(gemm_validation_error() < 1e-4);
    assert_true(strlen(gemm_backend_version()) > 0);
    print_message("gemm backend %s: %s, validation error %.2g, warnings: \"%s\"\n", gemm_backend(),
                  gemm_backend_version(), gemm_validation_error(), gemm_warnings());
}

static void test_products(void **state) {
    (void)state;
    check_shape(1, 1, 1, 0);
    check_shape(13, 9, 31, 0);
    check_shape(70, 130, 64, 3);
    check_shape(300, 530, 40, 1);  /* several tiles in both directions, edges */
    check_shape(260, 270, 2100, 1); /* long reduction: the square tiles */
    check_shape(90, 110, 120, 2);
}

/* gemm_tiled: the same bits with 1 and 2 threads (what makes training thread-count independent) */
static void test_tiled_thread_independent(void **state) {
    (void)state;
    int shapes[][3] = {{520, 600, 96}, {300, 280, 2200}};
    for (int s = 0; s < 2; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = rnd((size_t)M * K, 11), *B = rnd((size_t)N * K, 12);
        float *C1 = calloc((size_t)M * N, sizeof(float)), *C2 = calloc((size_t)M * N, sizeof(float));
        int old = omp_get_max_threads();
        omp_set_num_threads(1);
        gemm_tiled(CblasNoTrans, CblasTrans, M, N, K, A, K, B, K, 0.0f, C1, N);
        omp_set_num_threads(2);
        gemm_tiled(CblasNoTrans, CblasTrans, M, N, K, A, K, B, K, 0.0f, C2, N);
        omp_set_num_threads(old);
        assert_memory_equal(C1, C2, (size_t)M * N * sizeof(float));
        free(A);
        free(B);
        free(C1);
        free(C2);
    }
}

/* A wrong backend: validation notices, warns once with the backend's name, and the products are still right. */
static void test_fallback_on_wrong_backend(void **state) {
    (void)state;
    gemm_test_corrupt(1);
    gemm_revalidate();
    gemm_test_corrupt(0);
    const char *want = strcmp(gemm_backend_built(), "openblas") == 0 ? "reference" : "openblas";
    assert_string_equal(gemm_backend(), want);
    assert_true(gemm_validation_error() > 0.1);
    const char *w = gemm_warnings();
    assert_non_null(strstr(w, "disagrees with the reference"));
    assert_non_null(strstr(w, gemm_backend_built()));
    assert_non_null(strstr(w, want));
    check_shape(33, 17, 45, 0);
    check_shape(300, 530, 40, 1);
    gemm_revalidate(); /* healthy again: back on the built backend */
    assert_string_equal(gemm_backend(), gemm_backend_built());
    assert_null(strstr(gemm_warnings(), "disagrees"));
}

/* xstilts bench's check: the fast path agrees with the reference on a tiny encoder, and after a wrong backend
 * is replaced the check still passes and carries the warning. */
static void test_bench_validate(void **state) {
    (void)state;
    BenchCheck ck;
    XsErr e = {0};
    assert_int_equal(bench_validate(&ck, &e), 0);
    assert_string_equal(ck.backend, gemm_backend_built());
    assert_true(ck.hidden_err < 1e-4 && ck.grad_err < 1e-4);
    gemm_test_corrupt(1);
    gemm_revalidate();
    gemm_test_corrupt(0);
    assert_int_equal(bench_validate(&ck, &e), 0);
    assert_string_not_equal(ck.backend, gemm_backend_built());
    assert_non_null(strstr(ck.warnings, "disagrees with the reference"));
    gemm_revalidate();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selected_backend_valid),
        cmocka_unit_test(test_products),
        cmocka_unit_test(test_tiled_thread_independent),
        cmocka_unit_test(test_fallback_on_wrong_backend),
        cmocka_unit_test(test_bench_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

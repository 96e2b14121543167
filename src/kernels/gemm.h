/* gemm.h — the fp32 matrix product behind the fast ops (kernels/ops_cpu.c), on the backend chosen at build
 * time: `make GEMM=dnnl` (oneDNN's dnnl_sgemm, kernels picked by CPU features; the default),
 * `make GEMM=openblas` (cblas_sgemm of the OpenBLAS the build links anyway) or `make GEMM=blis` (BLIS's
 * typed bli_sgemm). docs/BENCHMARKS.md has the measurements that chose the default.
 *
 * On first use the backend is validated against a plain double-accumulated triple loop on a few small
 * products (every transpose pair, alpha/beta, leading dimensions wider than the matrix; microseconds). If
 * it disagrees, one warning line is logged and every later product goes to OpenBLAS (itself validated the
 * same way), or, should OpenBLAS disagree too, to the triple loop. The same first use checks which threading
 * the linked BLAS has and warns when it is not OpenMP (two thread pools fighting for the cores).
 *
 * All matrices are row-major; op(X) = X or X^T as the CBLAS enums say. */
#ifndef XS_GEMM_H
#define XS_GEMM_H
#include <cblas.h>

/* C (M x N, ldc) = alpha op(A) op(B) + beta C, on the validated backend. Inside an OpenMP parallel region it
 * runs on the calling thread alone (every backend here is OpenMP-threaded and nesting is off). */
void gemm_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* C = op(A) op(B) + beta C as a fixed grid of tiles of C whose size is a function of (M, N, K) only, one
 * single-threaded gemm_sgemm per tile, the tiles spread over the OpenMP threads: every element of C comes
 * from the same call whatever the thread count, so results are bit-identical with 1 or 16 threads. */
void gemm_tiled(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);

/* C = op(A) op(B) + beta C as ONE call of the backend over the whole matrix with all OpenMP threads (the
 * backend's own split: results may differ in the last bits between thread counts). For benchmarks. */
void gemm_whole(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);

/* The backend built in ("dnnl", "openblas", "blis") and the one in use after validation (the same, or
 * "openblas" / "reference" after a fallback). Both validate first if nothing has been multiplied yet. */
const char *gemm_backend_built(void);
const char *gemm_backend(void);
/* Library and version, e.g. "oneDNN 2.6.3 (OpenMP)", "OpenBLAS 0.3.21 (OpenMP)". */
const char *gemm_backend_version(void);
/* The warnings of the last validation (fallback, threading), "; "-joined, "" when none. */
const char *gemm_warnings(void);
/* Largest |backend - reference| / (1 + |reference|) seen by the last validation of the built backend. */
double gemm_validation_error(void);

/* Tests: 1 = corrupt the built backend's results during validation (one element off by 1), 0 = normal;
 * gemm_revalidate runs the validation again (not thread-safe: call outside parallel regions). */
void gemm_test_corrupt(int on);
void gemm_revalidate(void);

#endif

/* gemm.c — the sgemm backend (build-time choice), its first-use validation against a triple loop with
 * fallback, the BLAS-threading check, and the fixed-tile product of the linear layers. See gemm.h. */
#include "kernels/gemm.h"
#include "core/util.h"
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(XS_GEMM_DNNL)
#include <oneapi/dnnl/dnnl.h>
#define BUILT "dnnl"
#elif defined(XS_GEMM_BLIS)
#include <blis.h>
#define BUILT "blis"
#else
#define BUILT "openblas"
#endif

typedef void (*GemmFn)(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
                       int lda, const float *B, int ldb, float beta, float *C, int ldc);

static void be_openblas(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
                        int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

#if defined(XS_GEMM_DNNL)
static void be_built(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    /* dnnl_sgemm is row-major; it fails only on inconsistent arguments, which validation would catch */
    (void)dnnl_sgemm(ta == CblasNoTrans ? 'N' : 'T', tb == CblasNoTrans ? 'N' : 'T', M, N, K, alpha, A, lda, B,
                     ldb, beta, C, ldc);
}
#elif defined(XS_GEMM_BLIS)
static void be_built(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    /* typed API: strides of the matrices as stored (row-major: row stride ld, column stride 1). BLIS takes its
     * thread count from BLIS_NUM_THREADS / OMP_NUM_THREADS as read at its start, not from the OpenMP runtime: a
     * call from a one-thread region (omp_set_num_threads(1), an inactive team) would run on OMP_NUM_THREADS threads
     * and split its work differently (tests/test_kernels' 1- vs 2-thread attention differed in the last bits). So
     * the count is given per call: 1 inside a parallel region, else what OpenMP would use. */
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(omp_in_parallel() ? 1 : omp_get_max_threads(), &rntm);
    bli_sgemm_ex(ta == CblasNoTrans ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE,
                 tb == CblasNoTrans ? BLIS_NO_TRANSPOSE : BLIS_TRANSPOSE, M, N, K, &alpha, (float *)A, lda, 1,
                 (float *)B, ldb, 1, &beta, C, ldc, 1, NULL, &rntm);
}
#else
#define be_built be_openblas
#endif

/* The ground truth: double accumulation, plain loops. */
static void be_reference(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A,
                         int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                float a = ta == CblasNoTrans ? A[(size_t)i * lda + k] : A[(size_t)k * lda + i];
                float b = tb == CblasNoTrans ? B[(size_t)k * ldb + j] : B[(size_t)j * ldb + k];
                s += (double)a * b;
            }
            float *c = C + (size_t)i * ldc + j;
            *c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
}

static GemmFn g_fn;             /* in use; NULL = not validated yet */
static const char *g_name;
static int g_corrupt;
static double g_err;
static char g_warn[512];
static char g_version[160];

static void warn_add(const char *msg) {
    size_t n = strlen(g_warn);
    snprintf(g_warn + n, sizeof g_warn - n, "%s%s", n ? "; " : "", msg);
    log_warn("%s", msg);
}

/* Max normalized error |fn - ref| / (1 + |ref|) of fn against the triple loop over a few small products
 * (INFINITY on NaN or on a write past column N); where names the worst case. */
static double check_backend(GemmFn fn, int corrupt, char *where, size_t cap) {
    enum { MAXE = 80 * 310 };
    static const int shapes[][3] = {{5, 7, 3}, {17, 33, 65}, {64, 40, 300}, {1, 70, 9}};
    static float A[MAXE], B[MAXE], C0[80 * 80], C1[80 * 80], R[80 * 80];
    double worst = 0;
    uint32_t st = 12345u;
    for (size_t i = 0; i < MAXE; i++) {
        st = st * 1664525u + 1013904223u;
        A[i] = (float)(st >> 8) / 16777216.0f - 0.5f;
        st = st * 1664525u + 1013904223u;
        B[i] = (float)(st >> 8) / 16777216.0f - 0.5f;
    }
    for (int s = 0; s < 4; s++)
        for (int tr = 0; tr < 4; tr++)
            for (int v = 0; v < 2; v++) {
                int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                CBLAS_TRANSPOSE ta = tr & 1 ? CblasTrans : CblasNoTrans, tb = tr & 2 ? CblasTrans : CblasNoTrans;
                int lda = (ta == CblasNoTrans ? K : M) + 3, ldb = (tb == CblasNoTrans ? N : K) + 1, ldc = N + 2;
                float alpha = v ? 0.125f : 1.0f, beta = v ? 1.0f : 0.0f;
                for (int i = 0; i < M * ldc; i++) C0[i] = C1[i] = R[i] = (float)((i * 7) % 13) * 0.25f - 1.5f;
                fn(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
                if (corrupt) C1[ldc + 1] += 1.0f;
                be_reference(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < ldc; j++) {
                        size_t x = (size_t)i * ldc + j;
                        double e = j < N ? fabs((double)C1[x] - R[x]) / (1.0 + fabs(R[x]))
                                         : (C1[x] != C0[x] ? INFINITY : 0.0); /* past N: untouched */
                        if (!(e <= worst)) {
                            worst = isnan(e) ? INFINITY : e;
                            snprintf(where, cap, "%dx%dx%d %c%c alpha %g beta %g", M, N, K,
                                     ta == CblasNoTrans ? 'N' : 'T', tb == CblasNoTrans ? 'N' : 'T', alpha, beta);
                        }
                    }
            }
    return worst;
}

/* fp32 with K <= 300 and inputs in [-0.5, 0.5]: the rounding error is far below this; a wrong kernel,
 * a wrong transpose or a lost beta is far above it. */
#define GEMM_TOL 1e-4

static void threading_check(void) {
    int par = openblas_get_parallel(); /* 0 sequential, 1 pthreads, 2 OpenMP */
    if (par != 2) {
        char m[200];
        snprintf(m, sizeof m, "the linked OpenBLAS is %s, not the OpenMP build: BLAS and xstilts' loops use separate "
                 "thread pools (install libopenblas-openmp-dev)", par == 1 ? "pthreads-threaded" : "sequential");
        warn_add(m);
    }
#if defined(XS_GEMM_DNNL)
    const dnnl_version_t *v = dnnl_version();
    if (v->cpu_runtime != DNNL_RUNTIME_OMP) warn_add("the linked oneDNN is not the OpenMP build: two thread pools");
    snprintf(g_version, sizeof g_version, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch,
             v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "not OpenMP");
#elif defined(XS_GEMM_BLIS)
    if (!bli_info_get_enable_openmp()) warn_add("the linked BLIS is not the OpenMP build: two thread pools");
    snprintf(g_version, sizeof g_version, "BLIS %s (%s)", bli_info_get_version_str(),
             bli_info_get_enable_openmp() ? "OpenMP" : "not OpenMP");
#else
    snprintf(g_version, sizeof g_version, "OpenBLAS (%s, core %s)", par == 2 ? "OpenMP" : "not OpenMP",
             openblas_get_corename());
#endif
}

static void validate(void) {
    char where[96] = "", m[320];
    g_warn[0] = 0;
    threading_check();
    g_err = check_backend(be_built, g_corrupt, where, sizeof where);
    if (g_err <= GEMM_TOL) {
        g_fn = be_built;
        g_name = BUILT;
        return;
    }
    char where_ob[96];
    int ob_ok = strcmp(BUILT, "openblas") != 0 && check_backend(be_openblas, 0, where_ob, sizeof where_ob) <= GEMM_TOL;
    snprintf(m, sizeof m, "GEMM backend %s disagrees with the reference (error %.3g on %s); using %s instead",
             BUILT, g_err, where, ob_ok ? "openblas" : "the reference loops (slow)");
    warn_add(m);
    g_fn = ob_ok ? be_openblas : be_reference;
    g_name = ob_ok ? "openblas" : "reference";
}

static void ensure(void) {
    GemmFn f;
#pragma omp atomic read
    f = g_fn;
    if (f) return;
#pragma omp critical(xs_gemm_validate)
    {
        if (!g_fn) validate();
    }
}

void gemm_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
    ensure();
    g_fn(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_tiled(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
    ensure();
    /* The grid depends on the shape alone (so the bits do not depend on the thread count): about 768 x 768 tiles,
     * the matrix split evenly (sizes rounded up to 16), and a matrix that fits one tile cut in two along M so two
     * threads share it. One single-threaded backend call per tile costs per call: measured with oneDNN on 2 threads
     * (xstilts bench --what gemm, 1,024 and 4,096 rows, base shapes), 256 x 512 tiles ran the 9 GEMMs of a layer at
     * 60% of the best whole-matrix sgemm (78 GFLOP/s), 768 x 768 tiles at 93-98% (116-129); 384- and 512-row tiles
     * were erratic (50-110%). Single-threaded, 256 x 512 tiles reach 41 GFLOP/s, 768 x 768 ones 64, whole 67. The
     * cost: a 1,024-token batch has 2 tiles per attention projection, 8 per FFN GEMM, so beyond ~8 threads the
     * GEMMs of small batches stop scaling (docs/BENCHMARKS.md). */
    int tm = (M + 767) / 768, tn = (N + 767) / 768;
    if (tm * tn == 1 && M >= 64) tm = 2;
    int TM = ((M + tm - 1) / tm + 15) / 16 * 16, TN = ((N + tn - 1) / tn + 15) / 16 * 16;
    tm = (M + TM - 1) / TM;
    tn = (N + TN - 1) / TN;
    GemmFn fn = g_fn;
#pragma omp parallel for schedule(dynamic, 1)
    for (int t = 0; t < tm * tn; t++) {
        int i0 = t / tn * TM, j0 = t % tn * TN;
        int mi = M - i0 < TM ? M - i0 : TM, nj = N - j0 < TN ? N - j0 : TN;
        const float *a = ta == CblasNoTrans ? A + (size_t)i0 * lda : A + i0; /* rows i0.. of op(A) */
        const float *b = tb == CblasNoTrans ? B + j0 : B + (size_t)j0 * ldb; /* columns j0.. of op(B) */
        fn(ta, tb, mi, nj, K, 1.0f, a, lda, b, ldb, beta, C + (size_t)i0 * ldc + j0, ldc);
    }
}

void gemm_whole(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
    ensure();
    g_fn(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

const char *gemm_backend_built(void) { return BUILT; }
const char *gemm_backend(void) {
    ensure();
    return g_name;
}
const char *gemm_backend_version(void) {
    ensure();
    return g_version;
}
const char *gemm_warnings(void) {
    ensure();
    return g_warn;
}
double gemm_validation_error(void) {
    ensure();
    return g_err;
}
void gemm_test_corrupt(int on) { g_corrupt = on != 0; }
void gemm_revalidate(void) {
    g_fn = NULL;
    ensure();
}

/* rng.c — Philox4x32-10 and the fills built on it. */
#include "rng.h"
#include <stddef.h>
#include <math.h>

Philox4 philox4x32(uint64_t key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3) {
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    uint32_t x0 = c0, x1 = c1, x2 = c2, x3 = c3;
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * x0;
        uint64_t p1 = (uint64_t)0xCD9E8D57u * x2;
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1 ^ k0;
        uint32_t y1 = (uint32_t)p1;
        uint32_t y2 = (uint32_t)(p0 >> 32) ^ x3 ^ k1;
        uint32_t y3 = (uint32_t)p0;
        x0 = y0; x1 = y1; x2 = y2; x3 = y3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    Philox4 out = {{x0, x1, x2, x3}};
    return out;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v3", "default"), optimize("O3")))
#endif
void philox4x32_many(uint64_t key, uint64_t c, uint32_t c2, uint32_t c3, int n, uint32_t *out) {
    enum { L = 8 };
    for (int j0 = 0; j0 < n; j0 += L) {
        uint32_t x0[L], x1[L], x2[L], x3[L];
        for (int j = 0; j < L; j++) {
            uint64_t cc = c + (uint64_t)j0 + (uint64_t)j;
            x0[j] = (uint32_t)cc;
            x1[j] = (uint32_t)(cc >> 32);
            x2[j] = c2;
            x3[j] = c3;
        }
        uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
        for (int r = 0; r < 10; r++) {
            for (int j = 0; j < L; j++) {
                uint64_t p0 = (uint64_t)0xD2511F53u * x0[j];
                uint64_t p1 = (uint64_t)0xCD9E8D57u * x2[j];
                uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1[j] ^ k0, y1 = (uint32_t)p1;
                uint32_t y2 = (uint32_t)(p0 >> 32) ^ x3[j] ^ k1, y3 = (uint32_t)p0;
                x0[j] = y0;
                x1[j] = y1;
                x2[j] = y2;
                x3[j] = y3;
            }
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        int m = n - j0 < L ? n - j0 : L;
        for (int j = 0; j < m; j++) {
            uint32_t *o = out + 4 * (size_t)(j0 + j);
            o[0] = x0[j];
            o[1] = x1[j];
            o[2] = x2[j];
            o[3] = x3[j];
        }
    }
}

static float u24(uint32_t v) { return (float)(v >> 8) * (1.0f / 16777216.0f); }

float rng_uniform(uint64_t seed, uint32_t stream, uint32_t step, uint64_t i) {
    Philox4 r = philox4x32(seed, (uint32_t)i, (uint32_t)(i >> 32), stream, step);
    return u24(r.v[0]);
}

float rng_normal(uint64_t seed, uint32_t stream, uint32_t step, uint64_t i) {
    Philox4 r = philox4x32(seed, (uint32_t)i, (uint32_t)(i >> 32), stream, step);
    double u1 = ((double)(r.v[0] >> 8) + 1.0) / 16777217.0; /* (0,1]: log is finite */
    double u2 = (double)(r.v[1] >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void rng_fill_normal(float *x, uint64_t n, float mean, float std, uint64_t seed, uint32_t stream) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) x[i] = mean + std * rng_normal(seed, stream, 0, (uint64_t)i);
}

/* rng.c — Philox4x32-10 and the fills built on it. */
#include "rng.h"
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

/* rng.h — counter-based RNG (Philox4x32-10, Salmon et al. 2011). A random number is a pure
 * function of (key, counter), so dropout masks do not depend on thread count or call order. */
#ifndef XS_RNG_H
#define XS_RNG_H
#include <stdint.h>

typedef struct { uint32_t v[4]; } Philox4;

/* The four 32-bit outputs for counter (c0..c3) under 64-bit key. */
Philox4 philox4x32(uint64_t key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3);
/* n consecutive counters at once: out[4j .. 4j+3] = philox4x32(key, (c + j) low, (c + j) high, c2, c3).v —
 * the same values, computed 8 lanes at a time (an AVX2 clone where the CPU has it). */
void philox4x32_many(uint64_t key, uint64_t c, uint32_t c2, uint32_t c3, int n, uint32_t *out);

/* Uniform in [0,1) with 24 bits: element `i` of stream (`stream`, `step`) under `seed`. */
float rng_uniform(uint64_t seed, uint32_t stream, uint32_t step, uint64_t i);
/* Standard normal (Box–Muller on two uniforms of the same counter). */
float rng_normal(uint64_t seed, uint32_t stream, uint32_t step, uint64_t i);

/* Fill helpers; parallel-safe: element i depends only on (seed, stream, step, i). */
void rng_fill_normal(float *x, uint64_t n, float mean, float std, uint64_t seed, uint32_t stream);
/* Dropout masks are drawn where they are applied, from rng_uniform (kernels/ops.h DropSpec). */

#endif

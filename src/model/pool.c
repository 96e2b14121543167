/* pool.c — mean / cls pooling of (B,T,C) hidden states into (B,C) sentence embeddings, and L2
 * normalisation. Which layer to pool and batching are tasks/embed.c's; I/O is the caller's. */
#include "model/pool.h"
#include "core/check.h"
#include <math.h>
#include <string.h>

int pool_parse(const char *name, PoolKind *kind) {
    if (!strcmp(name, "mean")) { *kind = POOL_MEAN; return 0; }
    if (!strcmp(name, "cls")) { *kind = POOL_CLS; return 0; }
    return -1;
}

const char *pool_name(PoolKind kind) { return kind == POOL_CLS ? "cls" : "mean"; }

/* Number of positions of row b that are tokens. */
static int row_count(const float *mask, int b, int T) {
    if (!mask) return T;
    int n = 0;
    for (int t = 0; t < T; t++) n += mask[(size_t)b * T + t] != 0.0f;
    return n;
}

void pool_forward(PoolKind kind, const float *h, const float *mask, int B, int T, int C, float *out) {
    CHECK(B >= 0 && T > 0 && C > 0, "pool_forward: bad shape B=%d T=%d C=%d", B, T, C);
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * C;
        const float *hb = h + (size_t)b * T * C;
        if (kind == POOL_CLS) { memcpy(o, hb, (size_t)C * sizeof *o); continue; }
        memset(o, 0, (size_t)C * sizeof *o);
        int n = row_count(mask, b, T);
        if (n == 0) continue;
        /* Sum in T order then one division, as torch's (h * mask).sum(1) / mask.sum(1). */
        for (int t = 0; t < T; t++) {
            if (mask && mask[(size_t)b * T + t] == 0.0f) continue;
            const float *ht = hb + (size_t)t * C;
            for (int c = 0; c < C; c++) o[c] += ht[c];
        }
        float inv = 1.0f / (float)n;
        for (int c = 0; c < C; c++) o[c] *= inv;
    }
}

void pool_backward(PoolKind kind, const float *dout, const float *mask, int B, int T, int C, float *dh) {
    CHECK(B >= 0 && T > 0 && C > 0, "pool_backward: bad shape B=%d T=%d C=%d", B, T, C);
    for (int b = 0; b < B; b++) {
        const float *d = dout + (size_t)b * C;
        float *db = dh + (size_t)b * T * C;
        if (kind == POOL_CLS) {
            for (int c = 0; c < C; c++) db[c] += d[c];
            continue;
        }
        int n = row_count(mask, b, T);
        if (n == 0) continue;
        float inv = 1.0f / (float)n;
        for (int t = 0; t < T; t++) {
            if (mask && mask[(size_t)b * T + t] == 0.0f) continue;
            float *dt = db + (size_t)t * C;
            for (int c = 0; c < C; c++) dt[c] += d[c] * inv;
        }
    }
}

void pool_l2_normalize(float *x, int rows, int C) {
    for (int r = 0; r < rows; r++) {
        float *v = x + (size_t)r * C;
        double ss = 0.0;
        for (int c = 0; c < C; c++) ss += (double)v[c] * v[c];
        double norm = sqrt(ss);
        if (norm < 1e-12) norm = 1e-12;
        float inv = (float)(1.0 / norm);
        for (int c = 0; c < C; c++) v[c] *= inv;
    }
}

/* testutil.c — helpers for the test programs (see testutil.h). */
#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t tu_compare(const char *what, const float *a, const float *ref, size_t n, double atol, double rtol) {
    size_t bad = 0, worst = 0;
    double worst_ex = -1e300;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)ref[i]);
        double lim = atol + rtol * fabs((double)ref[i]);
        double ex = d - lim;
        if (!(d <= lim)) bad++; /* NaN counts as bad */
        if (ex > worst_ex || isnan(d)) { worst_ex = isnan(d) ? INFINITY : ex; worst = i; }
    }
    if (n)
        printf("%s: %zu elements, %zu outside atol=%g rtol=%g; worst [%zu] got %.9g want %.9g (|diff| %.3g)\n", what, n,
               bad, atol, rtol, worst, (double)a[worst], (double)ref[worst], fabs((double)a[worst] - (double)ref[worst]));
    return bad;
}

double tu_max_rel(const float *a, const float *ref, size_t n, double floor) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double r = fabs((double)a[i] - (double)ref[i]) / (fabs((double)ref[i]) + floor);
        if (r > m || isnan(r)) m = r;
    }
    return m;
}

const char *tu_fixture(const char *rel) {
    static char buf[8][1024];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "tests/fixtures/%s", rel);
    return buf[k];
}

char *tu_tmpdir(void) {
    char tmpl[] = "/tmp/xstilts-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) return NULL;
    return strdup(d);
}

void tu_rmtree(const char *dir) {
    if (!dir || strncmp(dir, "/tmp/xstilts-test-", 18) != 0) return;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

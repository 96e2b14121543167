/* test_progress.c — the shared progress line (core/progress.h): the bar's fill, the count, tokens/s and the ETA
 * from this process's work since the clock started (a resumed job's first update sets the origin), redraw
 * throttling, the final draw, the line ended once, and nothing drawn without a FILE. */
#include "testutil.h"
#include "core/progress.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_format(void **state) {
    (void)state;
    ProgressBar b;
    pbar_begin(&b, NULL, "phase 1 mnli/seed-1");
    b.t0 = 100.0;
    /* resumed at update 40 of 100: the first update seen is 41; 10 s later at 51 with 5000 tokens */
    pbar_update_at(&b, 101.0, 41, 100, 1000, NULL);
    assert_int_equal(b.first, 40);
    pbar_update_at(&b, 110.0, 50, 100, 4000, NULL);
    char line[512];
    pbar_format(&b, 110.0, 50, 100, "loss 0.5000", line, sizeof line);
    /* 10 updates in 10 s: 50 left = 50 s; 5000 tokens / 10 s */
    assert_string_equal(line, "phase 1 mnli/seed-1 [############............] 50/100 loss 0.5000 500 tok/s ETA 00:00:50");
    pbar_format(&b, 110.0, 100, 100, NULL, line, sizeof line);
    assert_string_equal(line, "phase 1 mnli/seed-1 [########################] 100/100 500 tok/s ETA 00:00:00");
    char h[32];
    fmt_hms(3725.4, h, sizeof h);
    assert_string_equal(h, "01:02:05");
    fmt_hms(-1, h, sizeof h);
    assert_string_equal(h, "--:--:--");
    /* no update since the clock: no ETA */
    pbar_clock(&b);
    pbar_format(&b, b.t0, 0, 10, NULL, line, sizeof line);
    assert_non_null(strstr(line, "ETA --:--:--"));
}

static void test_draw(void **state) {
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    ProgressBar b;
    pbar_begin(&b, f, "x");
    b.t0 = 0;
    pbar_update_at(&b, 1.0, 1, 4, 10, NULL);   /* drawn */
    pbar_update_at(&b, 1.05, 2, 4, 10, NULL);  /* throttled (< 0.2 s) */
    pbar_update_at(&b, 1.1, 4, 4, 10, NULL);   /* the last: always drawn */
    pbar_end(&b);
    pbar_end(&b);                              /* once */
    rewind(f);
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    int cr = 0, nl = 0;
    for (size_t i = 0; i < n; i++) { cr += buf[i] == '\r'; nl += buf[i] == '\n'; }
    assert_int_equal(cr, 2);
    assert_int_equal(nl, 1);
    assert_non_null(strstr(buf, "x [######..................] 1/4"));
    assert_null(strstr(buf, "2/4"));
    assert_non_null(strstr(buf, "x [########################] 4/4 27 tok/s ETA 00:00:00\033[K\n"));
    /* no FILE: counters move, nothing is drawn, end is a no-op */
    pbar_begin(&b, NULL, "y");
    pbar_update(&b, 1, 2, 5, NULL);
    assert_int_equal(b.units, 5);
    assert_int_equal(b.drawn, 0);
    pbar_end(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

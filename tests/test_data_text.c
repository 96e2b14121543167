/* test_data_text.c — data/text (MLM plain text): real Tatoeba lines, a file with a BOM, CRLF,
 * blank and Unicode-whitespace lines and no final newline, invalid UTF-8 as error and as skip. */
#include "testutil.h"
#include "data/text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_tatoeba_lines(void **state) {
    (void)state;
    TextLines t;
    XsErr err = {0};
    assert_int_equal(text_read(tu_fixture("tatoeba/tatoeba.cmn-eng.cmn"), NULL, &t, &err), 0);
    assert_int_equal(t.n, 100);
    assert_int_equal(t.st.nlines, 100);
    assert_int_equal(t.st.nblank, 0);
    assert_int_equal(t.line[99], 100);
    /* The file's own bytes, line by line. */
    FILE *f = fopen(tu_fixture("tatoeba/tatoeba.cmn-eng.cmn"), "rb");
    assert_non_null(f);
    char buf[4096];
    size_t i = 0, bytes = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        assert_string_equal(t.v[i], buf);
        bytes += strlen(buf);
        i++;
    }
    fclose(f);
    assert_int_equal(t.st.nbytes, bytes);
    text_lines_free(&t);
}

static void test_mixed(void **state) {
    (void)state;
    TextLines t;
    XsErr err = {0};
    assert_int_equal(text_read(tu_fixture("data/mlm/mixed.txt"), NULL, &t, &err), 0);
    static const char *want[] = {"Das ist ein Satz.", "这是一个句子。", "Ceci est une phrase.",
                                 "  leading and trailing spaces are kept  ", "Последняя строка без перевода строки"};
    static const long lines[] = {1, 4, 6, 7, 8};
    assert_int_equal(t.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(t.v[i], want[i]);
        assert_int_equal(t.line[i], lines[i]);
    }
    assert_int_equal(t.st.nlines, 8);
    assert_int_equal(t.st.nblank, 3);  /* "", " \t ", U+3000 U+00A0 */
    assert_int_equal(t.st.nbad, 0);
    text_lines_free(&t);
}

static void test_bad_utf8(void **state) {
    (void)state;
    TextLines t;
    XsErr err = {0};
    const char *p = tu_fixture("data/mlm/bad_utf8.txt");
    assert_int_equal(text_read(p, NULL, &t, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:2: expected UTF-8 text, found an invalid byte sequence at byte 8 of the line (0xC3)", p);
    assert_string_equal(err.msg, want);
    assert_int_equal(t.n, 0);
    TextReadOpts o = {.skip_bad_rows = 1};
    assert_int_equal(text_read(p, &o, &t, &err), 1);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.v[1], "third line");
    assert_int_equal(t.line[1], 3);
    assert_int_equal(t.st.nbad, 1);
    text_lines_free(&t);
}

static int count_and_stop(void *ctx, const char *text, size_t len, long line, XsErr *err) {
    size_t *n = ctx;
    assert_int_equal(strlen(text), len);
    if (++*n == 3) return err_set(err, "cb", line, "enough");
    return 0;
}

static void test_stream(void **state) {
    (void)state;
    size_t n = 0;
    XsErr err = {0};
    TextReadStats st;
    assert_int_equal(text_stream(tu_fixture("data/mlm/mixed.txt"), NULL, count_and_stop, &n, &st, &err), -1);
    assert_string_equal(err.msg, "cb:6: enough");
    assert_int_equal(st.ntext, 3);
    assert_int_equal(text_stream("tests/fixtures/data/mlm/no-such-file.txt", NULL, count_and_stop, &n, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no-such-file.txt: cannot open"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tatoeba_lines),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

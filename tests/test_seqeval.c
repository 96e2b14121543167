/* test_seqeval.c — eval/seqeval's get_entities against seqeval 1.2.2's own output on corner
 * cases (tests/fixtures/metrics/seqeval/entities.json), and the tag-file reader's sentence
 * structure (read_tag: blank lines, empty sentences, token<TAB>tag, mismatch errors). */
#include "testutil.h"
#include "core/mem.h"
#include "core/util.h"
#include "data/labels.h"
#include "eval/seqeval.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_entities_match_seqeval(void **state) {
    (void)state;
    json_error_t je;
    json_t *root = json_load_file("tests/fixtures/metrics/seqeval/entities.json", 0, &je);
    assert_non_null(root);
    size_t i, nchunks = 0;
    json_t *item;
    json_array_foreach(root, i, item) {
        json_t *sents = json_object_get(item, "sentences"), *want = json_object_get(item, "entities");
        size_t ns = json_array_size(sents), nt = 0;
        for (size_t s = 0; s < ns; s++) nt += json_array_size(json_array_get(sents, s));
        char **tags = xmalloc((nt ? nt : 1) * sizeof *tags);
        size_t *sent = xmalloc((ns + 1) * sizeof *sent), k = 0;
        for (size_t s = 0; s < ns; s++) {
            sent[s] = k;
            json_t *sj = json_array_get(sents, s);
            for (size_t t = 0; t < json_array_size(sj); t++) tags[k++] = (char *)json_string_value(json_array_get(sj, t));
        }
        sent[ns] = k;
        size_t n;
        SeqChunk *ch = seqeval_entities(tags, sent, ns, &n);
        assert_int_equal(n, json_array_size(want));
        for (size_t c = 0; c < n; c++) {
            json_t *w = json_array_get(want, c);
            const char *wt = json_string_value(json_array_get(w, 0));
            assert_int_equal(ch[c].type_len, strlen(wt));
            assert_memory_equal(ch[c].type, wt, ch[c].type_len);
            assert_int_equal(ch[c].start, (size_t)json_integer_value(json_array_get(w, 1)));
            assert_int_equal(ch[c].end, (size_t)json_integer_value(json_array_get(w, 2)));
        }
        nchunks += n;
        free(ch); free(tags); free(sent);
    }
    printf("seqeval get_entities: %zu sequences, %zu chunks identical\n", json_array_size(root), nchunks);
    assert_true(nchunks > 20);
    json_decref(root);
}

static char *write_tmp(const char *dir, const char *name, const char *text) {
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    XsErr err = {0};
    assert_int_equal(file_write_atomic(p, text, strlen(text), &err), 0);
    return p;
}

static void test_tag_reader(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    /* CRLF, a leading blank (empty sentence), two blanks (another empty one), token<TAB>tag, no
     * trailing newline, whitespace-only line = blank (Python strip) */
    char *g = write_tmp(dir, "g.tsv", "\r\nde:a\tB-PER\r\nb\tI-PER\n\n\nc\tO\n \t \nd\tB-LOC");
    TagFile t;
    XsErr err = {0};
    assert_int_equal(tags_read(g, &t, &err), 0);
    assert_int_equal(t.nsent, 5);  /* [], [B-PER I-PER], [], [O], [B-LOC] */
    assert_int_equal(t.ntags, 4);
    assert_int_equal(t.sent[1] - t.sent[0], 0);
    assert_int_equal(t.sent[2] - t.sent[1], 2);
    assert_string_equal(t.tags[0], "B-PER");
    assert_string_equal(t.tags[3], "B-LOC");
    /* a prediction with a sentence one tag short: error names the file and the line */
    char *p = write_tmp(dir, "p.tsv", "\nB-PER\n\n\nO\n\nB-LOC\nO\n");
    TagFile tp;
    assert_int_equal(tags_read(p, &tp, &err), 0);
    SeqevalResult r;
    assert_int_equal(seqeval_score(&t, g, &tp, p, &r, &err), -1);
    printf("%s\n", err.msg);
    assert_non_null(strstr(err.msg, "p.tsv:2:"));
    assert_non_null(strstr(err.msg, "sentence 2 has 1 tags"));
    tags_free(&tp);
    /* one sentence too many */
    char *p2 = write_tmp(dir, "p2.tsv", "\nB-PER\nI-PER\n\n\nO\n\nB-LOC\n\nO\n");
    assert_int_equal(tags_read(p2, &tp, &err), 0);
    assert_int_equal(seqeval_score(&t, g, &tp, p2, &r, &err), -1);
    assert_non_null(strstr(err.msg, "expected 5 sentences"));
    tags_free(&tp);
    /* invalid UTF-8 is an error with the line */
    char *bad = write_tmp(dir, "bad.tsv", "O\nB-\xff\n");
    assert_int_equal(tags_read(bad, &tp, &err), -1);
    assert_non_null(strstr(err.msg, "bad.tsv:2:"));
    tags_free(&t);
    free(g); free(p); free(p2); free(bad);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entities_match_seqeval),
        cmocka_unit_test(test_tag_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

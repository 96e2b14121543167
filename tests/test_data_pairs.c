/* test_data_pairs.c — the pair-classification readers on real slices (myXNLI, PAWS-X de) and on
 * fixtures in the published layouts (MNLI tsv/jsonl, ANLI, SNLI, QQP, XNLI-1.0, XNLI-MT, XTREME
 * download/), every example against tests/fixtures/data/expected.json (Python's csv/json reading,
 * tools/gen_reader_fixtures.py); malformed rows with their exact file:line messages; streaming. */
#include "testutil.h"
#include "core/mem.h"
#include "data/pairs.h"
#include "data/rows.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX "tests/fixtures/data/"

/* Writes content to dir/name; returns the path (static rotating buffer). */
static const char *put_file(const char *dir, const char *name, const char *content) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    FILE *f = fopen(buf[k], "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return buf[k];
}

/* Reads path and expects failure with exactly "path:<msg>". */
static void expect_error(const char *path, PairFormat fmt, const PairReadOpts *o, const char *msg) {
    PairSet s;
    XsErr err = {0};
    long rc = pairs_read(path, fmt, o, &s, &err);
    char want[1200];
    snprintf(want, sizeof want, "%s:%s", path, msg);
    if (rc >= 0 || strcmp(err.msg, want)) print_error("got  '%s'\nwant '%s'\n", err.msg, want);
    assert_true(rc < 0);
    assert_string_equal(err.msg, want);
    assert_int_equal(s.n, 0);
}

static void test_expected_all(void **state) {
    (void)state;
    json_error_t je;
    json_t *root = json_load_file(FIX "expected.json", 0, &je);
    assert_non_null(root);
    json_t *sets = json_object_get(root, "pairs"), *e;
    size_t i, nfiles = 0, nex = 0;
    json_array_foreach(sets, i, e) {
        const char *file = json_string_value(json_object_get(e, "file"));
        PairFormat fmt;
        assert_int_equal(pair_format_parse(json_string_value(json_object_get(e, "format")), &fmt), 0);
        PairReadOpts o = {0};
        o.lang = json_string_value(json_object_get(e, "lang"));
        o.unlabeled = json_is_true(json_object_get(e, "unlabeled"));
        char path[512];
        snprintf(path, sizeof path, FIX "%s", file);
        PairFormat guess;
        int un = -1;
        assert_int_equal(pair_format_guess(path, &guess, &un), 0); /* the path alone names the layout */
        assert_int_equal(guess, fmt);
        assert_int_equal(un, o.unlabeled);
        PairSet s;
        XsErr err = {0};
        long rc = pairs_read(path, fmt, &o, &s, &err);
        if (rc != 0) print_error("%s: %s\n", path, err.msg);
        assert_int_equal(rc, 0);
        json_t *exs = json_object_get(e, "examples"), *x;
        if (s.n != json_array_size(exs)) print_error("%s (%s): %zu examples, want %zu\n", file, o.lang ? o.lang : "", s.n, json_array_size(exs));
        assert_int_equal(s.n, json_array_size(exs));
        assert_int_equal(s.st.nnolabel, json_integer_value(json_object_get(e, "nnolabel")));
        assert_int_equal(s.st.nbad, 0);
        size_t k;
        json_array_foreach(exs, k, x) {
            const PairExample *p = &s.v[k];
            assert_string_equal(p->id, json_string_value(json_object_get(x, "id")));
            assert_string_equal(p->text_a, json_string_value(json_object_get(x, "a")));
            assert_string_equal(p->text_b, json_string_value(json_object_get(x, "b")));
            assert_int_equal(p->label, json_integer_value(json_object_get(x, "label")));
            assert_int_equal(p->line, json_integer_value(json_object_get(x, "line")));
            nex++;
        }
        pairs_free(&s);
        nfiles++;
    }
    json_decref(root);
    print_message("compared %zu example sets, %zu examples\n", nfiles, nex);
    assert_true(nfiles >= 15);
    assert_true(nex >= 250);
}

/* A few rows spelled out, so a reader of this file sees what the layouts give. */
static void test_specific_rows(void **state) {
    (void)state;
    PairSet s;
    XsErr err = {0};
    PairReadOpts en = {.lang = "en"};
    assert_int_equal(pairs_read(FIX "xnli/my.genre.dev.tsv", PAIR_MYXNLI_TSV, &en, &s, &err), 0);
    assert_int_equal(s.n, 50);
    assert_string_equal(s.v[0].text_a, "And he said, Mama, I'm home.");
    assert_string_equal(s.v[1].text_b, "He didn't say a word.");
    assert_string_equal(s.labels->labels[s.v[1].label], "contradiction");
    assert_int_equal(s.v[0].label, 2); /* neutral */
    assert_string_equal(s.v[0].id, "2");
    pairs_free(&s);

    PairReadOpts sw = {.lang = "sw"};
    assert_int_equal(pairs_read(FIX "xnli/XNLI-1.0/xnli.dev.tsv", PAIR_XNLI_TSV, &sw, &s, &err), 0);
    assert_int_equal(s.n, 20);
    assert_int_equal(s.st.nfiltered, 20);
    assert_string_equal(s.v[0].text_a, "Naye akasema, Mama, niko nyumbani.");
    assert_int_equal(s.v[0].line, 3);
    pairs_free(&s);

    assert_int_equal(pairs_read(FIX "pawsx/x-final/de/dev_2k.tsv", PAIR_PAWSX_TSV, NULL, &s, &err), 0);
    assert_int_equal(s.n, 50);
    assert_string_equal(s.v[0].id, "4");
    assert_string_equal(s.v[0].text_b, "Shawnee Trails Council entstand durch die Fusion zwischen dem Four Rivers Council und dem Audubon Council.");
    assert_int_equal(s.v[0].label, 1);
    pairs_free(&s);

    /* GLUE tsv: quotes are text (csv quotechar=None) */
    assert_int_equal(pairs_read(FIX "mnli/MNLI/train.tsv", PAIR_MNLI_TSV, NULL, &s, &err), 0);
    assert_string_equal(s.v[3].text_a, "She said \"fine\" and walked out .");
    assert_string_equal(s.v[3].id, "31196e");
    pairs_free(&s);

    /* XTREME download/: csv.writer quoting is undone */
    assert_int_equal(pairs_read(FIX "xtreme/download/xnli/dev-sw.tsv", PAIR_XTREME_XNLI, NULL, &s, &err), 0);
    assert_string_equal(s.v[0].text_a, "Alisema \"ndiyo\" na kuondoka.");
    pairs_free(&s);
    assert_int_equal(pairs_read(FIX "xtreme/download/xnli/train-en.tsv", PAIR_XTREME_XNLI, NULL, &s, &err), 0);
    assert_int_equal(s.v[3].label, 0); /* "contradictory" in XNLI-MT → contradiction */
    assert_string_equal(s.v[3].text_a, "He said \"no\" twice , then left .");
    pairs_free(&s);

    /* ANLI e/n/c; SNLI "-" skipped and counted */
    assert_int_equal(pairs_read(FIX "anli/anli_v1.0/R1/dev.jsonl", PAIR_ANLI_JSONL, NULL, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.v[0].label, 1);
    assert_int_equal(s.v[1].label, 2);
    assert_int_equal(s.v[2].label, 0);
    pairs_free(&s);
    assert_int_equal(pairs_read(FIX "snli/snli_1.0/snli_1.0_dev.jsonl", PAIR_SNLI_JSONL, NULL, &s, &err), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.st.nnolabel, 1);
    assert_int_equal(s.v[3].line, 5);
    pairs_free(&s);

    /* unlabeled test file: label -1; the same file read as labelled is a malformed row */
    PairReadOpts un = {.unlabeled = 1};
    assert_int_equal(pairs_read(FIX "xtreme/download/xnli/test-sw.tsv", PAIR_XTREME_XNLI, &un, &s, &err), 0);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.v[4].label, -1);
    pairs_free(&s);
    expect_error(FIX "xtreme/download/xnli/test-sw.tsv", PAIR_XTREME_XNLI, NULL,
                 "1: expected 3 tab-separated fields (sentence1, sentence2, label), found 2");
}

static void test_format_names(void **state) {
    (void)state;
    for (int f = 0; f < PAIR_NFORMATS; f++) {
        PairFormat g;
        assert_int_equal(pair_format_parse(pair_format_name((PairFormat)f), &g), 0);
        assert_int_equal(g, f);
    }
    PairFormat g;
    assert_int_equal(pair_format_parse("glue", &g), -1);
    static const struct { const char *path; int fmt, unlabeled; } G[] = {
        {"glue/MNLI/dev_mismatched.tsv", PAIR_MNLI_TSV, 0},   {"glue/MNLI/test_matched.tsv", PAIR_MNLI_TSV, 1},
        {"multinli_1.0_train.jsonl", PAIR_MNLI_JSONL, 0},     {"anli_v1.0/R3/test.jsonl", PAIR_ANLI_JSONL, 0},
        {"d/snli_1.0_train.jsonl", PAIR_SNLI_JSONL, 0},        {"QQP/train.tsv", PAIR_QQP_TSV, 0},
        {"QQP/test.tsv", PAIR_QQP_TSV, 1},                     {"XNLI-1.0/xnli.test.tsv", PAIR_XNLI_TSV, 0},
        {"XNLI-MT-1.0/multinli/multinli.train.de.tsv", PAIR_XNLI_MT_TSV, 0},
        {"xnli/sw.genre.test.tsv", PAIR_MYXNLI_TSV, 0},        {"x-final/en/train.tsv", PAIR_PAWSX_TSV, 0},
        {"x-final/ja/test_2k.tsv", PAIR_PAWSX_TSV, 0},         {"download/xnli/test-ur.tsv", PAIR_XTREME_XNLI, 1},
        {"download/pawsx/train-en.tsv", PAIR_XTREME_PAWSX, 0}, {"download/pawsx/test-zh.tsv", PAIR_XTREME_PAWSX, 1},
        {"download//xnli//dev-de.tsv", PAIR_XTREME_XNLI, 0},   {"dev-de.tsv", -1, 0}, {"notes.txt", -1, 0},
        {"download/udpos/dev-de.tsv", -1, 0},                 {"", -1, 0},
        {"xtreme_translations/XNLI/translate-train/en-de-translated.tsv", PAIR_XTREME_XNLI_TRANSLATED, 0},
        {"download/xnli/XNLI-Translated/en-sw-translated.tsv", PAIR_XTREME_XNLI_TRANSLATED, 0},
        {"xtreme_translations/PAWSX/translate-train/en-ja-translated.tsv", PAIR_XTREME_PAWSX_TRANSLATED, 0},
        {"download/pawsx/translated/en-ko-translated.tsv", PAIR_XTREME_PAWSX_TRANSLATED, 0},
        {"XNLI/translate-train/de-translated.tsv", -1, 0},
    };
    for (size_t i = 0; i < sizeof G / sizeof *G; i++) {
        int un = -1;
        int rc = pair_format_guess(G[i].path, &g, &un);
        if (G[i].fmt < 0) { assert_int_equal(rc, -1); continue; }
        if (rc || (int)g != G[i].fmt || un != G[i].unlabeled) print_error("guess %s\n", G[i].path);
        assert_int_equal(rc, 0);
        assert_int_equal(g, G[i].fmt);
        assert_int_equal(un, G[i].unlabeled);
    }
    assert_string_equal(pair_format_labels(PAIR_QQP_TSV)->labels[1], "1");
    const TaskLabels *nli = task_labels_find("mnli");
    assert_non_null(nli);
    assert_int_equal(nli->n, 3);
    assert_string_equal(nli->labels[0], "contradiction");
    assert_string_equal(nli->labels[1], "entailment");
    assert_string_equal(nli->labels[2], "neutral");
    assert_ptr_equal(task_labels_find("xnli")->labels, nli->labels);
    assert_null(task_labels_find("nope"));
}

#define GLUE_H "index\tpromptID\tpairID\tgenre\ts1bp\ts2bp\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n"
#define GLUE_ROW(id, lab) "0\t1\t" id "\tfiction\t(a)\t(b)\t(A)\t(B)\tA premise .\tA hypothesis .\t" lab "\t" lab "\n"

/* XTREME's translate-train TSV (en 1, en 2, translated 1, translated 2, label): the fixture was written from the
 * myXNLI en / sw slices, so every example must be the sw reader's example of the same row, label included
 * ("contradictory" read as contradiction). */
static void test_translated(void **state) {
    (void)state;
    PairSet t, sw;
    XsErr err = {0};
    long rc = pairs_read(FIX "xtreme_translations/XNLI/translate-train/en-sw-translated.tsv", PAIR_XTREME_XNLI_TRANSLATED,
                         NULL, &t, &err);
    if (rc) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(pairs_read(FIX "xnli/sw.genre.dev.tsv", PAIR_MYXNLI_TSV, NULL, &sw, &err), 0);
    assert_int_equal(t.n, 12);
    int contra = 0;
    for (size_t i = 0; i < t.n; i++) {
        assert_string_equal(t.v[i].text_a, sw.v[i].text_a);
        assert_string_equal(t.v[i].text_b, sw.v[i].text_b);
        assert_int_equal(t.v[i].label, sw.v[i].label);
        assert_int_equal(t.v[i].line, (long)i + 1);
        contra += !strcmp(t.labels->labels[t.v[i].label], "contradiction");
    }
    assert_true(contra > 0);
    pairs_free(&t);
    pairs_free(&sw);
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    const char *p = put_file(dir, "en-de-translated.tsv", "A.\tB.\tA!\tB!\tentailment\nA.\tB.\tA!\tneutral\n");
    expect_error(p, PAIR_XTREME_XNLI_TRANSLATED, NULL,
                 "2: expected 5 tab-separated fields (English sentence 1, English sentence 2, translated sentence 1, "
                 "translated sentence 2, label), found 4");
    p = put_file(dir, "en-de-translated.tsv", "A \"quoted.\tB.\t\"A!\tB!\t1\n");
    assert_int_equal(pairs_read(p, PAIR_XTREME_PAWSX_TRANSLATED, NULL, &t, &err), 0); /* no quoting, as XTREME reads it */
    assert_int_equal(t.n, 1);
    assert_string_equal(t.v[0].text_a, "\"A!");
    assert_int_equal(t.v[0].label, 1);
    pairs_free(&t);
    tu_rmtree(dir);
    free(dir);
}

static void test_malformed(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    const char *p;
    /* MNLI tsv */
    p = put_file(dir, "train.tsv", GLUE_H GLUE_ROW("1e", "entailment") "0\t1\t2e\tfiction\t(a)\t(b)\t(A)\t(B)\tA premise .\tentailment\tentailment\n");
    expect_error(p, PAIR_MNLI_TSV, NULL, "3: expected 12 tab-separated fields (as the header), found 11");
    p = put_file(dir, "train.tsv", GLUE_H GLUE_ROW("1e", "maybe"));
    expect_error(p, PAIR_MNLI_TSV, NULL, "2: expected a label (entailment, neutral, contradiction or -), found 'maybe'");
    p = put_file(dir, "train.tsv", "index\tpromptID\tpairID\tsentence1\tgold_label\n");
    expect_error(p, PAIR_MNLI_TSV, NULL, "1: expected a header row with a column 'sentence2' (mnli-tsv layout)");
    p = put_file(dir, "empty.tsv", "");
    {   /* no line → no "path:line" prefix, just "path: ..." */
        PairSet s;
        XsErr err = {0};
        assert_true(pairs_read(p, PAIR_MNLI_TSV, NULL, &s, &err) < 0);
        char want[1100];
        snprintf(want, sizeof want, "%s: expected a header row, found an empty file", p);
        assert_string_equal(err.msg, want);
    }
    /* MNLI jsonl */
    p = put_file(dir, "m.jsonl", "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"gold_label\": \"neutral\", \"pairID\": \"1n\"}\n"
                                 "{\"sentence1\": \"a\", \"gold_label\": \"neutral\", \"pairID\": \"2n\"}\n");
    expect_error(p, PAIR_MNLI_JSONL, NULL, "2: expected a string field \"sentence2\", found none");
    p = put_file(dir, "m.jsonl", "{\"sentence1\": \"a\", \"sentence2\": 7, \"gold_label\": \"neutral\"}\n");
    expect_error(p, PAIR_MNLI_JSONL, NULL, "1: expected field \"sentence2\" to be a string");
    p = put_file(dir, "m.jsonl", "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"gold_label\": \"neutral\"\n");
    {
        PairSet s;
        XsErr err = {0};
        assert_true(pairs_read(p, PAIR_MNLI_JSONL, NULL, &s, &err) < 0);
        char want[1100];
        snprintf(want, sizeof want, "%s:1: expected one JSON object per line: ", p);
        assert_memory_equal(err.msg, want, strlen(want));
    }
    p = put_file(dir, "m.jsonl", "[1, 2]\n");
    expect_error(p, PAIR_MNLI_JSONL, NULL, "1: expected a JSON object, found another JSON value");
    /* ANLI */
    p = put_file(dir, "dev.jsonl", "{\"uid\": \"u1\", \"context\": \"c\", \"hypothesis\": \"h\", \"label\": \"x\"}\n");
    expect_error(p, PAIR_ANLI_JSONL, NULL, "1: expected a label (e, n or c), found 'x'");
    p = put_file(dir, "dev.jsonl", "{\"uid\": \"u1\", \"premise\": \"c\", \"label\": \"e\"}\n");
    expect_error(p, PAIR_ANLI_JSONL, NULL, "1: expected a string field \"hypothesis\", found none");
    /* SNLI */
    p = put_file(dir, "snli.jsonl", "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"pairID\": \"p\"}\n");
    expect_error(p, PAIR_SNLI_JSONL, NULL, "1: expected a string field \"gold_label\", found none");
    /* QQP: the train file's known short rows */
    p = put_file(dir, "train.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                                   "1\t2\t3\tHow?\tWhy?\t0\n"
                                   "363362\t493340\t493341\t\tMy Chinese name is Haichao Yu. What English name is most suitable for me considering the pronounciation of my Chinese name?\n"
                                   "4\t5\t6\tWho?\tWhom?\t1\n");
    expect_error(p, PAIR_QQP_TSV, NULL, "3: expected 6 tab-separated fields (as the header), found 5");
    {
        PairReadOpts o = {.skip_bad_rows = 1};
        PairSet s;
        XsErr err = {0};
        assert_int_equal(pairs_read(p, PAIR_QQP_TSV, &o, &s, &err), 1);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.st.nbad, 1);
        assert_string_equal(s.v[1].id, "4");
        assert_int_equal(s.v[1].line, 4);
        assert_int_equal(err.failed, 0);
        pairs_free(&s);
    }
    p = put_file(dir, "dev.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n1\t2\t3\ta\tb\tyes\n");
    expect_error(p, PAIR_QQP_TSV, NULL, "2: expected a label (0 or 1), found 'yes'");
    /* XNLI-1.0 */
    p = put_file(dir, "xnli.dev.tsv", "language\tgold_label\tsentence1\tsentence2\tpairID\nde\tneutral\ta\tb\t1\nde\tneutral\ta\n");
    PairReadOpts de = {.lang = "de"};
    expect_error(p, PAIR_XNLI_TSV, &de, "3: expected 5 tab-separated fields (as the header), found 3");
    p = put_file(dir, "xnli.dev.tsv", "lang\tgold_label\tsentence1\tsentence2\n");
    expect_error(p, PAIR_XNLI_TSV, &de, "1: expected a header row with a column 'language' (xnli layout)");
    p = put_file(dir, "xnli.dev.tsv", "language\tgold_label\tsentence1\tsentence2\nde\tcontradictory\ta\tb\nde\t-\ta\tb\n");
    expect_error(p, PAIR_XNLI_TSV, &de, "3: expected a label (entailment, neutral, contradiction or contradictory), found '-'");
    /* XNLI-MT */
    p = put_file(dir, "multinli.train.de.tsv", "premise\thypo\tlabel\na\tb\tcontradictory\nc\td\tneutrall\n");
    expect_error(p, PAIR_XNLI_MT_TSV, NULL, "3: expected a label (entailment, neutral, contradiction or contradictory), found 'neutrall'");
    /* myXNLI */
    p = put_file(dir, "my.genre.dev.tsv", "genre\tlabel\tsentence1_en\tsentence2_en\nfiction\tneutral\ta\tb\n");
    PairReadOpts xx = {.lang = "xx"};
    expect_error(p, PAIR_MYXNLI_TSV, &xx, "1: expected a header row with a column 'sentence1_xx' (myxnli layout)");
    p = put_file(dir, "my.genre.dev.tsv", "genre\tlabel\tsentence1_en\tsentence2_en\nfiction\tneutral\ta\n");
    expect_error(p, PAIR_MYXNLI_TSV, NULL, "2: expected 4 tab-separated fields (as the header), found 3");
    /* PAWS-X */
    p = put_file(dir, "dev_2k.tsv", "id\tsentence1\tsentence2\tlabel\n1\ta\tb\t1\n2\ta\tb\t2\n");
    expect_error(p, PAIR_PAWSX_TSV, NULL, "3: expected a label (0 or 1), found '2'");
    /* XTREME download/ */
    p = put_file(dir, "dev-de.tsv", "a\tb\t1\n\"open\tb\t0\n");
    expect_error(p, PAIR_XTREME_PAWSX, NULL, "2: expected a closing quote for the field opened on this line, found the end of the file");
    p = put_file(dir, "dev-de.tsv", "\"a\"x\tb\t1\n");
    expect_error(p, PAIR_XTREME_PAWSX, NULL, "1: expected 't' or the end of the line after a closing quote, found 'x'");
    p = put_file(dir, "dev-de.tsv", "a\tb\t1\tz\n");
    expect_error(p, PAIR_XTREME_PAWSX, NULL, "1: expected 3 tab-separated fields (sentence1, sentence2, label), found 4");
    p = put_file(dir, "dev-en.tsv", "a\tb\tentailment\nc\td\t\n");
    expect_error(p, PAIR_XTREME_XNLI, NULL, "2: expected a label (entailment, neutral, contradiction or contradictory), found ''");
    /* invalid UTF-8 (any reader) */
    p = put_file(dir, "dev_2k.tsv", "id\tsentence1\tsentence2\tlabel\n1\ta\xC3\x28\tb\t1\n");
    expect_error(p, PAIR_PAWSX_TSV, NULL, "2: expected UTF-8 text, found an invalid byte sequence at byte 4 of the line (0xC3)");
    {   /* a NUL byte would cut a field silently: an error */
        char path[1100];
        snprintf(path, sizeof path, "%s/nul.tsv", dir);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite("id\tsentence1\tsentence2\tlabel\n1\ta\0b\tc\t1\n", 1, 39, f);
        fclose(f);
        expect_error(path, PAIR_PAWSX_TSV, NULL, "2: expected text, found a NUL byte at byte 4 of the line");
    }
    tu_rmtree(dir);
    free(dir);
}

/* skip_bad_rows: every kind of row error becomes a counted skip; the good rows all come through. */
static void test_skip_bad_rows(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *p = put_file(dir, "m.jsonl",
                             "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"gold_label\": \"neutral\", \"pairID\": \"1\"}\n"
                             "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"gold_label\": \"neutral\"\n"        /* bad JSON */
                             "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"gold_label\": \"-\", \"pairID\": \"3\"}\n"  /* no label */
                             "{\"sentence1\": \"a\", \"gold_label\": \"neutral\", \"pairID\": \"4\"}\n"           /* missing field */
                             "\n"                                                                               /* blank: no row */
                             "{\"sentence1\": \"a\xFF\", \"sentence2\": \"b\", \"gold_label\": \"neutral\"}\n"    /* bad UTF-8 */
                             "{\"sentence1\": \"a\", \"sentence2\": \"b\", \"gold_label\": \"entailed\"}\n"      /* bad label */
                             "{\"sentence1\": \"x\", \"sentence2\": \"y\", \"gold_label\": \"contradiction\", \"pairID\": \"8\"}\n");
    PairReadOpts o = {.skip_bad_rows = 1};
    PairSet s;
    XsErr err = {0};
    assert_int_equal(pairs_read(p, PAIR_MNLI_JSONL, &o, &s, &err), 4);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.st.nbad, 4);
    assert_int_equal(s.st.nnolabel, 1);
    assert_string_equal(s.v[1].id, "8");
    assert_int_equal(s.v[1].line, 8);
    assert_int_equal(s.v[1].label, 0);
    pairs_free(&s);
    /* without the option the first bad row stops the read */
    expect_error(p, PAIR_MNLI_JSONL, NULL, "2: expected one JSON object per line: '}' expected near end of file (column 60)");
    tu_rmtree(dir);
    free(dir);
}

typedef struct { size_t n; long label_sum; size_t maxlen; } Count;
static int count_cb(void *ctx, const PairExample *ex, XsErr *err) {
    (void)err;
    Count *c = ctx;
    c->n++;
    c->label_sum += ex->label;
    size_t l = strlen(ex->text_a) + strlen(ex->text_b);
    if (l > c->maxlen) c->maxlen = l;
    return 0;
}
static int stop_at_3(void *ctx, const PairExample *ex, XsErr *err) {
    (void)ex; (void)err;
    return ++*(size_t *)ctx == 3;
}

/* A 400k-row MNLI-sized GLUE tsv streamed through the callback (one row in memory at a time). */
static void test_stream_large(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/train.tsv", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(GLUE_H, f);
    const size_t N = 400000;
    static const char *const L[3] = {"contradiction", "entailment", "neutral"};
    for (size_t i = 0; i < N; i++)
        fprintf(f, "%zu\t%zu\t%zu%c\tfiction\t(a)\t(b)\t(A)\t(B)\tPremise number %zu .\tHypothesis %zu .\t%s\t%s\n", i, i, i,
                L[i % 3][0], i, i, L[i % 3], L[i % 3]);
    fclose(f);
    Count c = {0, 0, 0};
    PairReadStats st;
    XsErr err = {0};
    assert_int_equal(pairs_stream(path, PAIR_MNLI_TSV, NULL, count_cb, &c, &st, &err), 0);
    assert_int_equal(c.n, N);
    assert_int_equal(st.nrows, N);
    long want = 0;
    for (size_t i = 0; i < N; i++) want += (long)(i % 3);
    assert_int_equal(c.label_sum, want);
    assert_true(c.maxlen < 64);
    size_t seen = 0;
    assert_int_equal(pairs_stream(path, PAIR_MNLI_TSV, NULL, stop_at_3, &seen, &st, &err), 0);
    assert_int_equal(seen, 3);
    assert_int_equal(st.nrows, 3);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_all),
        cmocka_unit_test(test_specific_rows),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_translated),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_stream_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_data_choices.c — the multiple-choice readers on real slices (HellaSwag val, CommonsenseQA
 * dev in the HF layout) and on fixtures in the published layouts (HellaSwag with ctx_b, Cosmos QA
 * csv + jsonl, CommonsenseQA original), every example against tests/fixtures/data/expected.json;
 * malformed rows with their exact file:line messages; skip_bad_rows; streaming. */
#include "testutil.h"
#include "data/choices.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX "tests/fixtures/data/"

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

static void expect_error(const char *path, ChoiceFormat fmt, const ChoiceReadOpts *o, const char *msg) {
    ChoiceSet s;
    XsErr err = {0};
    long rc = choices_read(path, fmt, o, &s, &err);
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
    json_t *sets = json_object_get(root, "choices"), *e;
    size_t i, nfiles = 0, nex = 0;
    json_array_foreach(sets, i, e) {
        const char *file = json_string_value(json_object_get(e, "file"));
        ChoiceFormat fmt;
        assert_int_equal(choice_format_parse(json_string_value(json_object_get(e, "format")), &fmt), 0);
        ChoiceReadOpts o = {0};
        o.unlabeled = json_is_true(json_object_get(e, "unlabeled"));
        char path[512];
        snprintf(path, sizeof path, FIX "%s", file);
        ChoiceFormat guess;
        int un = -1;
        assert_int_equal(choice_format_guess(path, &guess, &un), 0);
        assert_int_equal(guess, fmt);
        assert_int_equal(un, o.unlabeled);
        ChoiceSet s;
        XsErr err = {0};
        long rc = choices_read(path, fmt, &o, &s, &err);
        if (rc != 0) print_error("%s: %s\n", path, err.msg);
        assert_int_equal(rc, 0);
        json_t *exs = json_object_get(e, "examples"), *x;
        assert_int_equal(s.n, json_array_size(exs));
        size_t k;
        json_array_foreach(exs, k, x) {
            const ChoiceExample *c = &s.v[k];
            assert_string_equal(c->id, json_string_value(json_object_get(x, "id")));
            assert_string_equal(c->context, json_string_value(json_object_get(x, "context")));
            json_t *ch = json_object_get(x, "choices");
            assert_int_equal(c->nchoices, json_array_size(ch));
            for (int j = 0; j < c->nchoices; j++) assert_string_equal(c->choices[j], json_string_value(json_array_get(ch, (size_t)j)));
            assert_int_equal(c->label, json_integer_value(json_object_get(x, "label")));
            assert_int_equal(c->line, json_integer_value(json_object_get(x, "line")));
            nex++;
        }
        choices_free(&s);
        nfiles++;
    }
    json_decref(root);
    print_message("compared %zu example sets, %zu examples\n", nfiles, nex);
    assert_int_equal(nfiles, 7);
    assert_true(nex >= 115);
}

static void test_specific_rows(void **state) {
    (void)state;
    ChoiceSet s;
    XsErr err = {0};
    assert_int_equal(choices_read(FIX "hellaswag/hellaswag_val.jsonl", CHOICE_HELLASWAG, NULL, &s, &err), 0);
    assert_int_equal(s.n, 50);
    assert_string_equal(s.v[0].context, "A man is sitting on a roof. he");
    assert_string_equal(s.v[0].choices[3], " starts pulling up roofing on a roof."); /* ctx_b "" + " " + ending, as jiant */
    assert_int_equal(s.v[0].label, 3);
    assert_string_equal(s.v[2].id, "2");
    assert_string_equal(s.labels->labels[s.v[2].label], "2");
    choices_free(&s);
    assert_int_equal(choices_read(FIX "hellaswag/hellaswag_train.jsonl", CHOICE_HELLASWAG, NULL, &s, &err), 0);
    assert_string_equal(s.v[1].choices[0], "the pans contain egg yolks and baking soda.");
    assert_string_equal(s.v[0].choices[3], "then , the man continues removing the snow on his car.");
    choices_free(&s);

    assert_int_equal(choices_read(FIX "cosmosqa/train.csv", CHOICE_COSMOS_CSV, NULL, &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.v[1].context, "She said, \"I'll be there by noon\", and hung up.\nThen, two hours later, nothing.\n\nI waited, \"patiently\" . Why might the narrator be upset ?");
    assert_string_equal(s.v[1].choices[1], "Because, as promised, she came \"by noon\".");
    assert_int_equal(s.v[1].label, 2);
    assert_int_equal(s.v[1].line, 3);
    assert_int_equal(s.v[2].line, 7);
    choices_free(&s);

    assert_int_equal(choices_read(FIX "commonsenseqa/train_rand_split.jsonl", CHOICE_CSQA, NULL, &s, &err), 0);
    assert_int_equal(s.n, 10);
    assert_string_equal(s.v[0].context, "A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?");
    assert_string_equal(s.v[0].choices[0], "bank");
    assert_string_equal(s.v[0].choices[4], "new york");
    assert_string_equal(s.v[2].choices[0], "doctor"); /* stored E..A in the file, read back A..E */
    assert_int_equal(s.v[2].label, 1);
    assert_string_equal(s.v[0].id, "1afa02df02c908a558b4036e80242fac");
    choices_free(&s);
    assert_int_equal(choices_read(FIX "commonsenseqa/dev_rand_split.hf-format.jsonl", CHOICE_CSQA, NULL, &s, &err), 0);
    assert_int_equal(s.n, 50);
    assert_int_equal(s.v[2].label, 1);
    assert_string_equal(s.labels->labels[s.v[2].label], "B");
    choices_free(&s);
    /* test split without answerKey: an error unless read as unlabeled */
    expect_error(FIX "commonsenseqa/test_rand_split_no_answers.jsonl", CHOICE_CSQA, NULL,
                 "1: expected a string field \"answerKey\", found none");
}

static void test_format_names(void **state) {
    (void)state;
    for (int f = 0; f < CHOICE_NFORMATS; f++) {
        ChoiceFormat g;
        assert_int_equal(choice_format_parse(choice_format_name((ChoiceFormat)f), &g), 0);
        assert_int_equal(g, f);
    }
    ChoiceFormat g;
    assert_int_equal(choice_format_parse("swag", &g), -1);
    int un = -1;
    assert_int_equal(choice_format_guess("hs/hellaswag_test.jsonl", &g, &un), 0);
    assert_int_equal(g, CHOICE_HELLASWAG);
    assert_int_equal(un, 1);
    assert_int_equal(choice_format_guess("cosmosqa/data/test.jsonl", &g, &un), 0);
    assert_int_equal(g, CHOICE_COSMOS_JSONL);
    assert_int_equal(un, 1);
    assert_int_equal(choice_format_guess("commonsenseqa/train_rand_split.jsonl", &g, &un), 0);
    assert_int_equal(g, CHOICE_CSQA);
    assert_int_equal(un, 0);
    assert_int_equal(choice_format_guess("data/train.csv", &g, &un), -1);
    assert_int_equal(choice_format_guess("swag/val.jsonl", &g, &un), -1);
    assert_int_equal(choice_format_labels(CHOICE_CSQA)->n, 5);
    assert_int_equal(choice_format_labels(CHOICE_COSMOS_CSV)->n, 4);
}

#define HS(label, endings) "{\"ind\": 1, \"ctx_a\": \"A.\", \"ctx_b\": \"b\", \"endings\": " endings ", \"label\": " label "}\n"
#define COS_H "id,context,question,answer0,answer1,answer2,answer3,label\n"
#define CSQA(key, choices) "{\"id\": \"q\", \"question\": {\"stem\": \"Where?\", \"choices\": " choices "}, \"answerKey\": \"" key "\"}\n"
#define CH5 "[{\"label\": \"A\", \"text\": \"a\"}, {\"label\": \"B\", \"text\": \"b\"}, {\"label\": \"C\", \"text\": \"c\"}, {\"label\": \"D\", \"text\": \"d\"}, {\"label\": \"E\", \"text\": \"e\"}]"

static void test_malformed(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    const char *p;
    /* HellaSwag */
    p = put_file(dir, "hs.jsonl", HS("0", "[\"w\", \"x\", \"y\", \"z\"]") HS("0", "[\"w\", \"x\", \"y\"]"));
    expect_error(p, CHOICE_HELLASWAG, NULL, "2: expected \"endings\" to be an array of 4 strings");
    p = put_file(dir, "hs.jsonl", HS("4", "[\"w\", \"x\", \"y\", \"z\"]"));
    expect_error(p, CHOICE_HELLASWAG, NULL, "1: expected a label from 0 to 3, found 4");
    p = put_file(dir, "hs.jsonl", HS("0", "[\"w\", \"x\", 3, \"z\"]"));
    expect_error(p, CHOICE_HELLASWAG, NULL, "1: expected \"endings\" to be an array of 4 strings (item 2 is not a string)");
    p = put_file(dir, "hs.jsonl", "{\"ind\": 1, \"ctx_a\": \"A.\", \"endings\": [], \"label\": 0}\n");
    expect_error(p, CHOICE_HELLASWAG, NULL, "1: expected a string field \"ctx_b\", found none");
    p = put_file(dir, "hs.jsonl", HS("\"x\"", "[\"w\", \"x\", \"y\", \"z\"]"));
    expect_error(p, CHOICE_HELLASWAG, NULL, "1: expected field \"label\" to be an integer");
    /* Cosmos QA csv */
    p = put_file(dir, "train.csv", COS_H "1,c,q,a,b,c,d,0\n2,c,q,a,b,c,0\n");
    expect_error(p, CHOICE_COSMOS_CSV, NULL, "3: expected 8 comma-separated fields (as the header), found 7");
    p = put_file(dir, "train.csv", COS_H "1,\"c\nstill c,q,a,b,c,d,0\n");
    expect_error(p, CHOICE_COSMOS_CSV, NULL, "2: expected a closing quote for the field opened on this line, found the end of the file");
    p = put_file(dir, "train.csv", COS_H "1,\"c\" x,q,a,b,c,d,0\n");
    expect_error(p, CHOICE_COSMOS_CSV, NULL, "2: expected ',' or the end of the line after a closing quote, found ' '");
    p = put_file(dir, "train.csv", COS_H "1,c,q,a,b,c,d,one\n");
    expect_error(p, CHOICE_COSMOS_CSV, NULL, "2: expected an integer label from 0 to 3, found 'one'");
    p = put_file(dir, "train.csv", "id,context,question,answer0,answer1,answer2,label\n");
    expect_error(p, CHOICE_COSMOS_CSV, NULL, "1: expected a header row with a column 'answer3' (Cosmos QA csv layout)");
    /* Cosmos QA jsonl */
    p = put_file(dir, "valid.jsonl", "{\"id\": \"1\", \"context\": \"c\", \"question\": \"q\", \"answer0\": \"a\", \"answer1\": \"b\", \"answer2\": \"c\", \"label\": 1}\n");
    expect_error(p, CHOICE_COSMOS_JSONL, NULL, "1: expected a string field \"answer3\", found none");
    p = put_file(dir, "valid.jsonl", "{\"id\": \"1\", \"context\": \"c\", \"question\": \"q\", \"answer0\": \"a\", \"answer1\": \"b\", \"answer2\": \"c\", \"answer3\": \"d\", \"label\": -1}\n");
    expect_error(p, CHOICE_COSMOS_JSONL, NULL, "1: expected a label from 0 to 3, found -1");
    /* CommonsenseQA */
    p = put_file(dir, "dev.jsonl", CSQA("F", CH5));
    expect_error(p, CHOICE_CSQA, NULL, "1: expected answerKey A, B, C, D or E, found 'F'");
    p = put_file(dir, "dev.jsonl", CSQA("A", "[{\"label\": \"A\", \"text\": \"a\"}, {\"label\": \"A\", \"text\": \"b\"}, {\"label\": \"C\", \"text\": \"c\"}, {\"label\": \"D\", \"text\": \"d\"}, {\"label\": \"E\", \"text\": \"e\"}]"));
    expect_error(p, CHOICE_CSQA, NULL, "1: expected choice labels A, B, C, D, E once each, found 'A'");
    p = put_file(dir, "dev.jsonl", CSQA("A", "[{\"label\": \"A\", \"text\": \"a\"}]"));
    expect_error(p, CHOICE_CSQA, NULL, "1: expected 5 choices (A to E), found 1");
    p = put_file(dir, "dev.jsonl", "{\"id\": \"q\", \"question\": 5, \"answerKey\": \"A\"}\n");
    expect_error(p, CHOICE_CSQA, NULL, "1: expected \"question\" to be an object (original layout) or a string (HF layout)");
    p = put_file(dir, "dev.jsonl", "{\"id\": \"q\", \"question\": \"Where?\", \"choices\": {\"label\": [\"A\", \"B\"], \"text\": [\"a\"]}, \"answerKey\": \"A\"}\n");
    expect_error(p, CHOICE_CSQA, NULL, "1: expected \"choices\" with \"label\" and \"text\" arrays of equal length");
    p = put_file(dir, "dev.jsonl", CSQA("A", CH5) "not json\n");
    {
        ChoiceSet s;
        XsErr err = {0};
        assert_true(choices_read(p, CHOICE_CSQA, NULL, &s, &err) < 0);
        char want[1100];
        snprintf(want, sizeof want, "%s:2: expected one JSON object per line: ", p);
        assert_memory_equal(err.msg, want, strlen(want));
    }
    tu_rmtree(dir);
    free(dir);
}

static void test_skip_bad_rows(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *p = put_file(dir, "train.csv", COS_H "1,c,q,a,b,c,d,0\n"
                                               "2,c,q,a,b,c,0\n"          /* short */
                                               "3,c,q,a,b,c,d,7\n"        /* label out of range */
                                               "4,\"c\"x,q,a,b,c,d,0\n"   /* junk after a quote */
                                               "5,\"multi\nline\",q,a,b,c,d,3\n");
    ChoiceReadOpts o = {.skip_bad_rows = 1};
    ChoiceSet s;
    XsErr err = {0};
    assert_int_equal(choices_read(p, CHOICE_COSMOS_CSV, &o, &s, &err), 3);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.st.nbad, 3);
    assert_string_equal(s.v[1].id, "5");
    assert_string_equal(s.v[1].context, "multi\nline q");
    assert_int_equal(s.v[1].label, 3);
    assert_int_equal(s.v[1].line, 6);
    choices_free(&s);
    /* CRLF files: the record ends drop "\r\n", a quoted field spanning lines keeps it (Python csv) */
    p = put_file(dir, "train.csv", "id,context,question,answer0,answer1,answer2,answer3,label\r\n"
                                   "1,\"two\r\nlines\",q,a,b,c,d,1\r\n2,c,q,a,b,c,d,2\r\n");
    assert_int_equal(choices_read(p, CHOICE_COSMOS_CSV, NULL, &s, &err), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0].context, "two\r\nlines q");
    assert_string_equal(s.v[1].id, "2");
    assert_int_equal(s.v[1].label, 2);
    assert_int_equal(s.v[1].line, 4);
    choices_free(&s);
    p = put_file(dir, "dev.jsonl", CSQA("A", CH5) CSQA("G", CH5) "{\n" CSQA("E", CH5));
    assert_int_equal(choices_read(p, CHOICE_CSQA, &o, &s, &err), 2);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[1].label, 4);
    assert_int_equal(s.v[1].line, 4);
    choices_free(&s);
    tu_rmtree(dir);
    free(dir);
}

static int count_cb(void *ctx, const ChoiceExample *ex, XsErr *err) {
    (void)err;
    size_t *n = ctx;
    if (ex->nchoices != 4 || ex->label != (int)(*n % 4)) return -1;
    ++*n;
    return 0;
}

/* A 40k-item HellaSwag-layout file through the callback. */
static void test_stream_large(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/hellaswag_train.jsonl", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const size_t N = 40000;
    for (size_t i = 0; i < N; i++)
        fprintf(f, "{\"ind\": %zu, \"ctx_a\": \"Context %zu.\", \"ctx_b\": \"then\", \"endings\": [\"a\", \"b\", \"c\", \"d\"], \"label\": %zu}\n", i, i, i % 4);
    fclose(f);
    size_t n = 0;
    ChoiceReadStats st;
    XsErr err = {0};
    assert_int_equal(choices_stream(path, CHOICE_HELLASWAG, NULL, count_cb, &n, &st, &err), 0);
    assert_int_equal(n, N);
    assert_int_equal(st.nrows, N);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_all),
        cmocka_unit_test(test_specific_rows),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_stream_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

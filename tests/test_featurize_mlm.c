/* test_featurize_mlm.c — MLM dynamic masking (tasks/feat_mlm.c): the 15% / 80-10-10 proportions over
 * >100k tokens, specials and padding never chosen, labels = original ids, identical masks for 1 and 2
 * OpenMP threads and any batch split, a new mask per epoch and per seed. */
#include "testutil.h"
#include "tasks/featurize.h"
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const WORDS[] = {"the", "cat", "Haus", "maison", "数据", "проверка", "running", "quickly", "über",
                                    "123", "unbelievable", "xylophone", ",", "zebra", "Straße", "naïve"};

/* n synthetic lines of 5..60 words (a deterministic LCG), each line → one row. */
static void build_rows(FeatRows *r, const Tokenizer *t, int nlines) {
    uint32_t s = 12345;
    char buf[4096];
    XsErr err = {0};
    for (int i = 0; i < nlines; i++) {
        s = s * 1664525u + 1013904223u;
        int nw = 5 + (int)(s >> 26), len = 0;
        for (int w = 0; w < nw; w++) {
            s = s * 1664525u + 1013904223u;
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s", w ? " " : "", WORDS[(s >> 20) % 16]);
        }
        if (feat_mlm_line(r, t, buf, (size_t)len, i, &err)) fail_msg("%s", err.msg);
    }
}

static int is_special(const Tokenizer *t, int32_t id) {
    return id == tokenizer_cls_id(t) || id == tokenizer_sep_id(t) || id == tokenizer_pad_id(t) ||
           id == tokenizer_unk_id(t) || id == tokenizer_mask_id(t);
}

static void check_tokenizer(const char *rel) {
    XsErr err = {0};
    Tokenizer *t = tokenizer_open(tu_fixture(rel), &err);
    if (!t) fail_msg("%s", err.msg);
    FeatRows r;
    const int L = 64;
    feat_rows_init(&r, FEAT_MLM, L, t);
    build_rows(&r, t, 4000);
    const size_t N = r.n * (size_t)L;
    int32_t *ids1 = malloc(N * sizeof *ids1), *lab1 = malloc(N * sizeof *lab1);
    int32_t *ids2 = malloc(N * sizeof *ids2), *lab2 = malloc(N * sizeof *lab2);
    FeatMlmOpts o = {.prob = 0, .mask_frac = -1, .random_frac = -1, .seed = 42};
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    feat_mlm_mask(&r, t, 0, r.n, &o, 0, ids1, lab1);
    omp_set_num_threads(2);
    feat_mlm_mask(&r, t, 0, r.n, &o, 0, ids2, lab2);
    omp_set_num_threads(saved);
    assert_memory_equal(ids1, ids2, N * sizeof *ids1);
    assert_memory_equal(lab1, lab2, N * sizeof *lab1);

    size_t maskable = 0, chosen = 0, nmask = 0, nrand = 0, nkeep = 0, special_seen = 0;
    const int32_t mask_id = tokenizer_mask_id(t);
    for (size_t i = 0; i < N; i++) {
        int32_t orig = r.ids[i];
        int sp = !r.mask[i] || is_special(t, orig);
        special_seen += r.mask[i] && is_special(t, orig);
        if (sp) {
            assert_int_equal(lab1[i], FEAT_IGNORE); /* specials and padding never chosen */
            assert_int_equal(ids1[i], orig);
            continue;
        }
        maskable++;
        if (lab1[i] == FEAT_IGNORE) {
            assert_int_equal(ids1[i], orig);
            continue;
        }
        chosen++;
        assert_int_equal(lab1[i], orig); /* label = original id */
        if (ids1[i] == mask_id) nmask++;
        else if (ids1[i] != orig) nrand++;
        else nkeep++;
        assert_true(ids1[i] >= 0 && ids1[i] < tokenizer_vocab_size(t));
    }
    double pc = (double)chosen / (double)maskable, pm = (double)nmask / (double)chosen;
    double pr = (double)nrand / (double)chosen, pk = (double)nkeep / (double)chosen;
    fprintf(stderr, "%s: %zu rows, %zu maskable tokens (%zu specials), chosen %.4f, of them <mask> %.4f random %.4f "
            "kept %.4f\n", rel, r.n, maskable, special_seen, pc, pm, pr, pk);
    assert_true(maskable >= 100000);
    assert_true(special_seen >= 2 * r.n);
    assert_true(fabs(pc - 0.15) < 0.01);
    assert_true(fabs(pm - 0.80) < 0.015);
    /* a random id equal to the original counts as kept: negligible for a 16k+ vocabulary */
    assert_true(fabs(pr - 0.10) < 0.01);
    assert_true(fabs(pk - 0.10) < 0.01);

    /* a batch split gives the same masks (the key is the row index in r, not in the batch) */
    size_t h = r.n / 3;
    feat_mlm_mask(&r, t, h, r.n - h, &o, 0, ids2, lab2);
    assert_memory_equal(ids1 + h * (size_t)L, ids2, (r.n - h) * (size_t)L * sizeof *ids1);
    assert_memory_equal(lab1 + h * (size_t)L, lab2, (r.n - h) * (size_t)L * sizeof *lab1);
    /* another epoch or seed: other masks, same proportion */
    size_t same = 0, chosen2 = 0;
    feat_mlm_mask(&r, t, 0, r.n, &o, 1, ids2, lab2);
    for (size_t i = 0; i < N; i++) {
        same += (lab1[i] != FEAT_IGNORE) && (lab2[i] != FEAT_IGNORE);
        chosen2 += lab2[i] != FEAT_IGNORE;
    }
    assert_true(fabs((double)chosen2 / (double)maskable - 0.15) < 0.01);
    assert_true((double)same / (double)chosen < 0.25); /* independent: ~15% overlap */
    o.seed = 43;
    feat_mlm_mask(&r, t, 0, r.n, &o, 0, ids2, lab2);
    assert_true(memcmp(lab1, lab2, N * sizeof *lab1) != 0);
    /* prob = 1 with 100% <mask>: every maskable token becomes <mask> */
    FeatMlmOpts all = {.prob = 1.0f, .mask_frac = 1.0f, .random_frac = 0.0f, .seed = 1};
    feat_mlm_mask(&r, t, 0, r.n, &all, 0, ids2, lab2);
    for (size_t i = 0; i < N; i++)
        if (r.mask[i] && !is_special(t, r.ids[i])) assert_int_equal(ids2[i], mask_id);
        else assert_int_equal(ids2[i], r.ids[i]);
    free(ids1);
    free(lab1);
    free(ids2);
    free(lab2);
    feat_rows_free(&r);
    tokenizer_free(t);
}

static void test_mlm_xlmr(void **state) {
    (void)state;
    check_tokenizer("tok/xlmr16k.model");
}

static void test_mlm_bert(void **state) {
    (void)state;
    check_tokenizer("tok/mbert-cased-vocab.txt");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlm_xlmr),
        cmocka_unit_test(test_mlm_bert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

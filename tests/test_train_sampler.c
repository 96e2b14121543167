/* test_train_sampler.c — train/sampler: jiant's four multi-task samplers (probabilities as jiant
 * computes them; proportions over 10,000 draws within 4 sigma), save/restore of the draw counter,
 * bad weights; the per-epoch shuffle (a permutation, a pure function of (seed, epoch), uniform at
 * position 0) and resuming a data order from (epoch, position). */
#include "testutil.h"
#include "train/sampler.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_DRAWS 10000

static void check_proportions(TaskSampler *s, const double *want) {
    int count[XS_MAX_TASKS] = {0};
    for (int d = 0; d < N_DRAWS; d++) {
        int t = sampler_next(s);
        assert_true(t >= 0 && t < s->n);
        count[t]++;
    }
    for (int i = 0; i < s->n; i++) {
        assert_true(fabs(s->p[i] - want[i]) < 1e-12);
        double mean = N_DRAWS * want[i], sd = sqrt(N_DRAWS * want[i] * (1 - want[i]));
        printf("%s task %d: %d draws, expected %.1f (sd %.1f)\n", sampler_kind_name(s->kind), i, count[i], mean, sd);
        assert_true(fabs(count[i] - mean) <= 4 * sd + 1e-9);
    }
}

static void test_proportions(void **state) {
    (void)state;
    TaskSampler s;
    XsErr err = {0};
    assert_int_equal(sampler_init(&s, SAMPLER_UNIFORM, 3, NULL, 0, 0, 42, &err), 0);
    check_proportions(&s, (double[]){1.0 / 3, 1.0 / 3, 1.0 / 3});

    double sizes[] = {1000, 3000, 6000};
    assert_int_equal(sampler_init(&s, SAMPLER_PROPORTIONAL, 3, sizes, 0, 0, 42, &err), 0);
    check_proportions(&s, (double[]){0.1, 0.3, 0.6});

    /* jiant: raw = clip(n, max=cap) ** (1/T); p = raw / sum(raw) */
    double big[] = {1000, 3000, 20000, 400};
    assert_int_equal(sampler_init(&s, SAMPLER_TEMPERATURE, 4, big, 2.0, 5000, 42, &err), 0);
    double r[4] = {sqrt(1000), sqrt(3000), sqrt(5000), sqrt(400)}, sum = r[0] + r[1] + r[2] + r[3];
    check_proportions(&s, (double[]){r[0] / sum, r[1] / sum, r[2] / sum, r[3] / sum});

    assert_int_equal(sampler_init(&s, SAMPLER_SPECIFIED, 3, (double[]){1, 2, 1}, 0, 0, 7, &err), 0);
    check_proportions(&s, (double[]){0.25, 0.5, 0.25});

    /* a task with probability 0 is never drawn */
    assert_int_equal(sampler_init(&s, SAMPLER_SPECIFIED, 3, (double[]){1, 0, 3}, 0, 0, 7, &err), 0);
    for (int d = 0; d < 2000; d++) assert_int_not_equal(sampler_next(&s), 1);
}

static void test_save_restore(void **state) {
    (void)state;
    TaskSampler a, b;
    XsErr err = {0};
    double sizes[] = {10, 20, 30, 40, 50};
    assert_int_equal(sampler_init(&a, SAMPLER_PROPORTIONAL, 5, sizes, 0, 0, 99, &err), 0);
    int first[300];
    for (int d = 0; d < 300; d++) first[d] = sampler_next(&a);
    /* "resume" at 137: a fresh sampler with the saved counter continues identically */
    assert_int_equal(sampler_init(&b, SAMPLER_PROPORTIONAL, 5, sizes, 0, 0, 99, &err), 0);
    b.draws = 137;
    for (int d = 137; d < 300; d++) assert_int_equal(sampler_next(&b), first[d]);
    /* another seed gives another sequence */
    assert_int_equal(sampler_init(&b, SAMPLER_PROPORTIONAL, 5, sizes, 0, 0, 100, &err), 0);
    int same = 0;
    for (int d = 0; d < 300; d++) same += sampler_next(&b) == first[d];
    assert_true(same < 200);
}

static void test_bad_weights(void **state) {
    (void)state;
    TaskSampler s;
    XsErr err = {0};
    assert_int_equal(sampler_init(&s, SAMPLER_PROPORTIONAL, 2, (double[]){0, 0}, 0, 0, 1, &err), -1);
    assert_non_null(strstr(err.msg, "weight 0"));
    assert_int_equal(sampler_init(&s, SAMPLER_SPECIFIED, 2, (double[]){1, -1}, 0, 0, 1, &err), -1);
    assert_non_null(strstr(err.msg, "task 2"));
    assert_int_equal(sampler_init(&s, SAMPLER_TEMPERATURE, 2, (double[]){1, 1}, 0, 0, 1, &err), -1);
    assert_non_null(strstr(err.msg, "temperature"));
    assert_int_equal(sampler_init(&s, SAMPLER_UNIFORM, 0, NULL, 0, 0, 1, &err), -1);
    SamplerKind k;
    assert_int_equal(sampler_kind_parse("TemperatureMultiTaskSampler", &k), 0);
    assert_int_equal(k, SAMPLER_TEMPERATURE);
    assert_int_equal(sampler_kind_parse("specified", &k), 0);
    assert_int_equal(k, SAMPLER_SPECIFIED);
    assert_int_equal(sampler_kind_parse("bogus", &k), -1);
}

static void test_shuffle(void **state) {
    (void)state;
    enum { N = 1000 };
    uint32_t a[N], b[N];
    data_shuffle(a, N, 5, XS_STREAM_SHUFFLE, 3);
    char seen[N] = {0};
    for (int i = 0; i < N; i++) { assert_true(a[i] < N && !seen[a[i]]); seen[a[i]] = 1; }
    data_shuffle(b, N, 5, XS_STREAM_SHUFFLE, 3);
    assert_memory_equal(a, b, sizeof a);
    data_shuffle(b, N, 5, XS_STREAM_SHUFFLE, 4);        /* next epoch: another order */
    assert_true(memcmp(a, b, sizeof a) != 0);
    data_shuffle(b, N, 5, XS_STREAM_SHUFFLE + 1, 3);    /* another task: another order */
    assert_true(memcmp(a, b, sizeof a) != 0);
    /* uniformity: which element comes first over 5000 epochs, 5 elements, within 4 sigma */
    int cnt[5] = {0};
    for (int e = 0; e < 5000; e++) {
        uint32_t p[5];
        data_shuffle(p, 5, 11, XS_STREAM_SHUFFLE, (uint64_t)e);
        cnt[p[0]]++;
    }
    for (int i = 0; i < 5; i++) assert_true(fabs(cnt[i] - 1000.0) <= 4 * sqrt(5000 * 0.2 * 0.8));
}

static void test_data_order_resume(void **state) {
    (void)state;
    DataOrder a, b;
    data_order_init(&a, 100, 1234, 2, 1);
    size_t seq[1800];
    for (int i = 0; i < 1800; i++) seq[i] = data_order_next(&a);
    /* each epoch is a permutation of 0..99, and epochs differ */
    for (int e = 0; e < 18; e++) {
        char seen[100] = {0};
        for (int i = 0; i < 100; i++) { assert_false(seen[seq[e * 100 + i]]); seen[seq[e * 100 + i]] = 1; }
    }
    assert_true(memcmp(seq, seq + 100, 100 * sizeof(size_t)) != 0);
    /* resume after 1234 examples = epoch 12, position 34 */
    data_order_init(&b, 100, 1234, 2, 1);
    data_order_seek(&b, 12, 34);
    for (int i = 1234; i < 1800; i++) assert_int_equal(data_order_next(&b), seq[i]);
    /* a checkpoint taken at an epoch's end (pos = n) continues with the next epoch */
    data_order_seek(&b, 9, 100);
    for (int i = 1000; i < 1100; i++) assert_int_equal(data_order_next(&b), seq[i]);
    data_order_free(&b);
    /* no shuffling: identity order */
    data_order_init(&b, 7, 1, 0, 0);
    for (int i = 0; i < 14; i++) assert_int_equal(data_order_next(&b), (size_t)(i % 7));
    data_order_free(&b);
    data_order_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proportions),
        cmocka_unit_test(test_save_restore),
        cmocka_unit_test(test_bad_weights),
        cmocka_unit_test(test_shuffle),
        cmocka_unit_test(test_data_order_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

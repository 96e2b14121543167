/* test_train_defaults.c — train/defaults.h is the one table of the study's per-task hyperparameters: `xstilts train`
 * (job_task_defaults, job_spec_defaults) and `xstilts run` (hparams_defaults) read it and agree for every trainable
 * registry task in the role it has alone; the values are xstilts-notes §1.4's and docs/RUN.md's table. */
#include "testutil.h"
#include "run/hparams.h"
#include "tasks/taskdata.h"
#include "train/defaults.h"
#include "train/job.h"
#include <string.h>

typedef struct Want { const char *task; TrainRole role; int accum, epochs, max_len; } Want;

/* the notes' table (targets) and jiant's simple API (intermediate: 3 epochs; 4 x 8 [unverified], QA rows 384) */
static const Want WANT[] = {
    {"xnli", TRAIN_ROLE_TARGET, 8, 2, 256},       {"pawsx", TRAIN_ROLE_TARGET, 8, 5, 256},
    {"udpos", TRAIN_ROLE_TARGET, 8, 10, 256},     {"panx", TRAIN_ROLE_TARGET, 8, 10, 256},
    {"xquad", TRAIN_ROLE_TARGET, 4, 2, 384},      {"mlqa", TRAIN_ROLE_TARGET, 4, 2, 384},
    {"tydiqa", TRAIN_ROLE_TARGET, 4, 2, 384},     {"squad", TRAIN_ROLE_TARGET, 4, 2, 384},
    {"mnli", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256}, {"anli", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256},
    {"snli", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256}, {"qqp", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256},
    {"hellaswag", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256}, {"cosmosqa", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256},
    {"commonsenseqa", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256}, {"squad2", TRAIN_ROLE_INTERMEDIATE, 8, 3, 384},
    {"mlm", TRAIN_ROLE_INTERMEDIATE, 8, 3, 256},
};

static void test_train_and_run_agree(void **state) {
    (void)state;
    int trainable = 0;
    for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++) {
        const Want *w = &WANT[i];
        const TaskInfo *t = task_find(w->task);
        TaskType type = t ? t->type : TASK_MLM;
        assert_int_equal(train_task_role(w->task), w->role);
        TrainConfig c = train_config_defaults();
        int max_len = 0;
        XsErr e = {0};
        assert_int_equal(job_task_defaults(w->task, &c, &max_len, &e), 0);
        HParams h;
        hparams_defaults(&h, w->role == TRAIN_ROLE_TARGET ? HP_TARGET : HP_INTERMEDIATE, w->task, type);
        int run_len = w->role == TRAIN_ROLE_INTERMEDIATE && type == TASK_SPAN_QA ? h.qa_max_len : h.max_len;
        print_message("%-14s %-12s train %d x %d, %d epochs, max_len %d | run %d x %d, %d epochs, max_len %d\n", w->task,
                      w->role == TRAIN_ROLE_TARGET ? "target" : "intermediate", c.batch, c.accum, c.epochs, max_len,
                      h.train.batch, h.train.accum, h.train.epochs, run_len);
        assert_int_equal(c.batch, 4);
        assert_int_equal(c.accum, w->accum);
        assert_int_equal(c.epochs, w->epochs);
        assert_int_equal(max_len, w->max_len);
        assert_int_equal(h.train.batch, c.batch);
        assert_int_equal(h.train.accum, c.accum);
        assert_int_equal(h.train.epochs, c.epochs);
        assert_int_equal(run_len, max_len);
        assert_true(c.lr == 1e-5 && h.train.lr == c.lr && c.warmup_ratio == 0.1 && h.train.warmup_ratio == 0.1);
        assert_true(c.weight_decay == 0.01 && h.train.weight_decay == 0.01 && c.max_grad_norm == 1.0);
        assert_int_equal(h.eval_every, w->role == TRAIN_ROLE_TARGET ? 1000 : 0);
        trainable++;
    }
    /* every trainable registry task is in the table above */
    int n = 0;
    for (int i = 0; i < task_count(); i++) n += task_head_kind(task_at(i)) != HEAD_NKINDS;
    assert_int_equal(trainable, n + 1); /* + mlm */
    /* ccg (run only: no registry entry) is an intermediate task: 3 epochs, not a tagging target's 10 */
    HParams h;
    hparams_defaults(&h, HP_INTERMEDIATE, "ccg", TASK_TAGGING);
    assert_int_equal(h.train.epochs, 3);
    assert_int_equal(h.max_len, 256);
    hparams_defaults(&h, HP_TARGET, "tatoeba", TASK_RETRIEVAL);
    assert_int_equal(h.max_len, 512);
    assert_int_equal(train_task_role("tatoeba"), TRAIN_ROLE_INTERMEDIATE); /* not trainable: no target role */
    /* job_spec_defaults: a target's loop settings */
    JobSpec s;
    job_spec_defaults(&s);
    assert_int_equal(s.cfg.batch, 4);
    assert_int_equal(s.cfg.accum, 8);
    assert_int_equal(s.cfg.eval_every, 1000);
    assert_int_equal(s.cfg.patience, 30);
    assert_int_equal((int)s.dev_examples, 500);
    XsErr e = {0};
    TrainConfig c;
    int L;
    assert_int_equal(job_task_defaults("nope", &c, &L, &e), -1);
    assert_non_null(strstr(e.msg, "unknown task 'nope'"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_train_and_run_agree)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

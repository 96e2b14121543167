/* cmd_train.c — `xstilts train` (minimal, one task): a model folder + a fresh head, a pair / multiple-choice file
 * read and featurized, trained by train/trainer.c, saved as a new HF folder (written aside, renamed into place). */
#include "cli/cli.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/util.h"
#include "data/choices.h"
#include "data/pairs.h"
#include "model/model_head.h"
#include "tasks/featurize.h"
#include "tok/tokenizer.h"
#include "train/trainer.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts train --task pawsx|xnli|hellaswag --data FILE --model DIR --out DIR\n"
            "                     [--epochs N] [--max-steps N] [--lr X] [--batch B] [--accum A] [--seed S]\n"
            "                     [--max-len L] [--warmup R] [--no-dropout] [--log FILE.jsonl]\n"
            "\n"
            "Fine-tunes the encoder of DIR with a fresh head for the task (any head DIR has is dropped: encoder-only\n"
            "transfer) on FILE (format guessed from its name and content: PAWS-X / XNLI / MNLI / ... TSV or JSONL for\n"
            "pawsx and xnli, HellaSwag / Cosmos QA / CommonsenseQA for hellaswag), and writes DIR's layout to --out\n"
            "(a new folder: written next to it and renamed into place; the tokenizer files are copied).\n"
            "AdamW (weight decay 0.01), linear warm-up/decay, gradient clipping 1.0, dropout as the model's config.\n"
            "\n"
            "  --epochs N      passes over the data (default 3); --max-steps N: optimizer updates instead\n"
            "  --lr X          peak learning rate (default 1e-5)     --warmup R   warm-up share (default 0.1)\n"
            "  --batch B       examples per micro-batch (default 32) --accum A    micro-batches per update (1)\n"
            "  --seed S        data order, head init, dropout (1)    --max-len L  tokens per row (default 128)\n"
            "  --no-dropout    train without dropout\n"
            "  --log FILE      also one JSON object per update (step, loss, lr, grad_norm, tokens, epoch, elapsed_s)\n"
            "\n"
            "One line per update on stderr: step, loss, lr, grad_norm, tokens.\n");
}

static int fail(const XsErr *e) {
    fprintf(stderr, "xstilts train: %s\n", e->msg);
    return 1;
}

typedef struct LogCtx { FILE *jsonl; double t0; } LogCtx;

static void log_step(const TrainStepLog *l, void *ctx) {
    LogCtx *c = ctx;
    fprintf(stderr, "step %lld loss %.6f lr %.6g grad_norm %.4f tokens %lld epoch %llu\n", (long long)l->step, l->loss,
            l->lr, l->grad_norm, (long long)l->tokens, (unsigned long long)l->epoch);
    if (c->jsonl) {
        fprintf(c->jsonl, "{\"step\": %lld, \"loss\": %.9g, \"lr\": %.9g, \"grad_norm\": %.9g, \"tokens\": %lld, "
                          "\"epoch\": %llu, \"elapsed_s\": %.3f}\n", (long long)l->step, l->loss, l->lr, l->grad_norm,
                (long long)l->tokens, (unsigned long long)l->epoch, time_now() - c->t0);
        fflush(c->jsonl);
    }
}

/* Copies the tokenizer files DIR has into OUT (an absent one is skipped). */
static int copy_tokenizer(const char *dir, const char *out, XsErr *err) {
    static const char *names[] = {"sentencepiece.bpe.model", "vocab.txt", "tokenizer_config.json", "tokenizer.json",
                                  "special_tokens_map.json"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char src[4096], dst[4096];
        if (snprintf(src, sizeof src, "%s/%s", dir, names[k]) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", out, names[k]) >= (int)sizeof dst)
            return err_set(err, out, 0, "path too long");
        if (access(src, R_OK) != 0) continue;
        size_t n;
        char *d = file_read_all(src, &n, err);
        if (!d) return -1;
        int rc = file_write_atomic(dst, d, n, err);
        free(d);
        if (rc) return -1;
    }
    return 0;
}

/* OUT must not exist, or be an empty folder (removed now, re-created by the rename). */
static int check_out(const char *out, XsErr *err) {
    struct stat sb;
    if (stat(out, &sb) != 0) return 0;
    if (!S_ISDIR(sb.st_mode)) return err_set(err, out, 0, "exists and is not a folder; nothing written");
    if (rmdir(out) != 0)
        return err_set(err, out, 0, "expected a new or empty output folder, found a non-empty one (%s); nothing written",
                       strerror(errno));
    return 0;
}

int cmd_train(int argc, char **argv) {
    const char *task = NULL, *data = NULL, *model_dir = NULL, *out = NULL, *log_path = NULL, *v;
    long epochs = 3, max_steps = 0, batch = 32, accum = 1, seed = 1, max_len = 128;
    double lr = 1e-5, warmup = 0.1;
    int dropout = 1;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        else if ((v = arg_str(argc, argv, &i, "--task"))) task = v;
        else if ((v = arg_str(argc, argv, &i, "--data"))) data = v;
        else if ((v = arg_str(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out = v;
        else if ((v = arg_str(argc, argv, &i, "--log"))) log_path = v;
        else if (arg_long(argc, argv, &i, "--epochs", &epochs)) {}
        else if (arg_long(argc, argv, &i, "--max-steps", &max_steps)) {}
        else if (arg_long(argc, argv, &i, "--batch", &batch)) {}
        else if (arg_long(argc, argv, &i, "--accum", &accum)) {}
        else if (arg_long(argc, argv, &i, "--seed", &seed)) {}
        else if (arg_long(argc, argv, &i, "--max-len", &max_len)) {}
        else if (arg_double(argc, argv, &i, "--lr", &lr)) {}
        else if (arg_double(argc, argv, &i, "--warmup", &warmup)) {}
        else if (arg_flag(argv, i, "--no-dropout")) dropout = 0;
        else arg_unknown("train", argv[i]);
    }
    if (!task || !data || !model_dir || !out) {
        usage(stderr);
        fprintf(stderr, "xstilts train: --task, --data, --model and --out are required\n");
        return 1;
    }
    int is_pair = !strcmp(task, "pawsx") || !strcmp(task, "xnli"), is_choice = !strcmp(task, "hellaswag");
    if (!is_pair && !is_choice) {
        fprintf(stderr, "xstilts train: unknown task '%s' (expected pawsx, xnli or hellaswag)\n", task);
        return 1;
    }
    if (epochs < 1 || max_steps < 0 || batch < 1 || batch > 4096 || accum < 1 || accum > 4096 || max_len < 8 ||
        max_len > 4096 || seed < 0 || !(lr > 0 && lr < 1) || !(warmup >= 0 && warmup <= 1)) {
        fprintf(stderr, "xstilts train: bad hyperparameter (epochs %ld, max-steps %ld, batch %ld, accum %ld, max-len %ld, "
                        "seed %ld, lr %g, warmup %g)\n", epochs, max_steps, batch, accum, max_len, seed, lr, warmup);
        return 1;
    }
    XsErr err = {0};
    if (check_out(out, &err)) return fail(&err);

    /* every resource zeroed here, released at done: (error paths leak nothing) */
    int rc = 1, have_model = 0, have_trainer = 0;
    Tokenizer *tok = NULL;
    FeatRows rows;
    memset(&rows, 0, sizeof rows);
    PairSet ps = {0};
    ChoiceSet cs = {0};
    Model m;
    memset(&m, 0, sizeof m);
    Trainer tr;
    memset(&tr, 0, sizeof tr);
    HeadConfig hc;
    int K = 0, unlabeled = 0;
    LogCtx lc = {NULL, 0};

    /* the data, featurized */
    tok = tokenizer_open(model_dir, &err);
    if (!tok) goto fail_err;
    if (is_pair) {
        PairFormat f;
        if (pair_format_guess(data, &f, &unlabeled)) {
            fprintf(stderr, "xstilts train: %s: cannot tell the format of a sentence-pair file from its name\n", data);
            goto done;
        }
        if (unlabeled) { fprintf(stderr, "xstilts train: %s: an unlabeled file cannot train\n", data); goto done; }
        if (pairs_read(data, f, NULL, &ps, &err) < 0) goto fail_err;
        K = (int)pair_format_labels(f)->n;
        feat_rows_init(&rows, FEAT_PAIR, (int)max_len, tok);
        if (feat_pairs(&rows, tok, &ps, &err)) goto fail_err;
    } else {
        ChoiceFormat f;
        if (choice_format_guess(data, &f, &unlabeled)) {
            fprintf(stderr, "xstilts train: %s: cannot tell the format of a multiple-choice file from its name\n", data);
            goto done;
        }
        if (unlabeled) { fprintf(stderr, "xstilts train: %s: an unlabeled file cannot train\n", data); goto done; }
        if (choices_read(data, f, NULL, &cs, &err) < 0) goto fail_err;
        if (cs.n == 0) { fprintf(stderr, "xstilts train: %s: no examples\n", data); goto done; }
        K = cs.v[0].nchoices;
        for (size_t i = 0; i < cs.n; i++)
            if (cs.v[i].nchoices != K) {
                fprintf(stderr, "xstilts train: %s:%ld: %d choices, the first example has %d\n", data, cs.v[i].line,
                        cs.v[i].nchoices, K);
                goto done;
            }
        feat_rows_init(&rows, FEAT_CHOICE, (int)max_len, tok);
        if (feat_choices(&rows, tok, &cs, &err)) goto fail_err;
    }
    if (rows.n == 0) { fprintf(stderr, "xstilts train: %s: no examples\n", data); goto done; }

    /* the model: encoder of DIR, fresh head */
    HeadKind kind = is_pair ? HEAD_SEQ_CLS : HEAD_MULTIPLE_CHOICE;
    if (model_load_head(model_dir, kind, K, MODEL_LOAD_ENCODER_ONLY, (uint64_t)seed, &m, &hc, &err)) goto fail_err;
    have_model = 1;
    for (int i = 0; i < m.n_unused; i++) fprintf(stderr, "xstilts train: dropped %s (encoder-only transfer)\n", m.unused[i]);
    if (max_len > m.cfg.max_position) {
        fprintf(stderr, "xstilts train: --max-len %ld exceeds the model's %d positions\n", max_len, m.cfg.max_position);
        goto done;
    }
    TrainConfig tc = train_config_defaults();
    tc.batch = (int)batch;
    tc.accum = (int)accum;
    tc.lr = lr;
    tc.warmup_ratio = warmup;
    tc.epochs = (int)epochs;
    tc.max_steps = max_steps;
    tc.seed = (uint64_t)seed;
    tc.dropout = dropout;
    if (trainer_init(&tr, &m, &hc, &rows, &tc, NULL, &err)) goto fail_err;
    have_trainer = 1;
    fprintf(stderr, "xstilts train: %s, %zu rows, %lld updates (batch %ld x accum %ld)\n", task, rows.n,
            (long long)tr.total, batch, accum);
    if (log_path && !(lc.jsonl = fopen(log_path, "w"))) {
        fprintf(stderr, "xstilts train: %s: cannot write the log (%s)\n", log_path, strerror(errno));
        goto done;
    }
    lc.t0 = time_now();
    if (trainer_run(&tr, log_step, &lc, &err)) goto fail_err;
    fprintf(stderr, "xstilts train: %lld updates in %.1f s\n", (long long)tr.total, time_now() - lc.t0);

    /* written aside, then renamed into place: OUT appears complete or not at all */
    char tmp[2048];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "xstilts train: %s: path too long\n", out);
        goto done;
    }
    if (model_save(tmp, &m, &err) || copy_tokenizer(model_dir, tmp, &err) || check_out(out, &err)) goto fail_err;
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "xstilts train: %s: cannot rename %s into place (%s); the trained model is in %s\n", out, tmp,
                strerror(errno), tmp);
        goto done;
    }
    fprintf(stderr, "xstilts train: wrote %s\n", out);
    rc = 0;
    goto done;
fail_err:
    fail(&err);
done:
    if (lc.jsonl) fclose(lc.jsonl);
    if (have_trainer) trainer_free(&tr);
    if (have_model) model_free(&m);
    if (rows.ids || rows.info) feat_rows_free(&rows);
    pairs_free(&ps);
    choices_free(&cs);
    if (tok) tokenizer_free(tok);
    return rc;
}

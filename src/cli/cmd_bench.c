/* cmd_bench.c — `xstilts bench`: validates the fast kernels against the reference path, then prints GEMM
 * GFLOP/s at the encoder's shapes (vs the best sgemm of this run), inference and training-step tokens/s,
 * peak RSS and the thread count. The measuring lives in bench/bench.c; bench/compare.sh runs the anchors. */
#include "bench/bench.h"
#include "cli/cli.h"
#include "core/util.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *path_base(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts bench [--what LIST] [--arch xlmr|bert|both] [--size NAME] [--vocab N]\n"
            "                     [--batch N] [--seq N] [--train-batch N] [--train-seq N] [--reps N] [--warmup N]\n"
            "                     [--ids FILE] [--json]\n\n"
            "Checks the fast kernels against the reference path (a tiny encoder, forward and backward, and the\n"
            "GEMM backend's own validation; exit 1 when they disagree), then measures, on a randomly initialised\n"
            "model built in memory, every token real (no padding), with OMP_NUM_THREADS threads:\n"
            "  gemm   the encoder's 9 GEMMs per layer (forward, dX, dW) at batch*seq rows: GFLOP/s of the path\n"
            "         the linear layers run (fixed tiles) vs the best direct sgemm call measured in this run\n"
            "  infer  encoder forward + mean pool: tokens/s (median of --reps after one warm-up)\n"
            "  train  one update of a 3-class sequence-classification head: forward, loss, backward, clipping,\n"
            "         AdamW (trainer_step), --train-batch x --train-seq: tokens/s\n"
            "Peak RSS is the process's high-water mark after each part (run one part per process to read it\n"
            "alone, as bench/compare.sh does).\n\n"
            "  --what LIST       comma-separated gemm,infer,train (default all three)\n"
            "  --arch A          xlmr (vocab 250002), bert (vocab 119547, mBERT) or both (default xlmr)\n"
            "  --size NAME       tiny | small | base | large (default base)\n"
            "  --vocab N         embedding rows (default: the architecture's)\n"
            "  --batch N --seq N inference shape (default 32 x 128); gemm uses batch*seq rows\n"
            "  --train-batch N --train-seq N   training shape (default 8 x 128)\n"
            "  --reps N          timed repetitions (default 3)\n"
            "  --warmup N        untimed repetitions before them, inference / training (default 1)\n"
            "  --ids FILE        real sequences instead of random full-length ones: one per line, the model input ids\n"
            "                    space-separated (what `xstilts tokenize` prints); infer and train take --batch /\n"
            "                    --train-batch consecutive lines per repetition (cycling through the file), padded\n"
            "                    to their longest with the padding skipped, as encode / train run; tokens/s counts\n"
            "                    real tokens over all timed repetitions (bench/compare.sh: Tatoeba, XNLI lines)\n"
            "  --json            one JSON object per measurement on stdout instead of the table\n");
}

int cmd_bench(int argc, char **argv) {
    const char *what = "gemm,infer,train", *arch_s = "xlmr", *size = "base", *ids_path = NULL, *v;
    long vocab = 0, batch = 32, seq = 128, tbatch = 8, tseq = 128, reps = 3, warmup = 1;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        if ((v = arg_str(argc, argv, &i, "--what"))) what = v;
        else if ((v = arg_str(argc, argv, &i, "--arch"))) arch_s = v;
        else if ((v = arg_str(argc, argv, &i, "--size"))) size = v;
        else if (arg_long(argc, argv, &i, "--vocab", &vocab)) {}
        else if (arg_long(argc, argv, &i, "--batch", &batch)) {}
        else if (arg_long(argc, argv, &i, "--seq", &seq)) {}
        else if (arg_long(argc, argv, &i, "--train-batch", &tbatch)) {}
        else if (arg_long(argc, argv, &i, "--train-seq", &tseq)) {}
        else if (arg_long(argc, argv, &i, "--reps", &reps)) {}
        else if (arg_long(argc, argv, &i, "--warmup", &warmup)) {}
        else if ((v = arg_str(argc, argv, &i, "--ids"))) ids_path = v;
        else if (arg_flag(argv, i, "--json")) json = 1;
        else arg_unknown("bench", argv[i]);
    }
    int do_gemm = 0, do_infer = 0, do_train = 0;
    {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", what);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (!strcmp(t, "gemm")) do_gemm = 1;
            else if (!strcmp(t, "infer")) do_infer = 1;
            else if (!strcmp(t, "train")) do_train = 1;
            else usage_error("--what: \"%s\" is not gemm, infer or train", t);
        }
    }
    int arch0, arch1;
    if (!strcmp(arch_s, "xlmr")) arch0 = arch1 = 0;
    else if (!strcmp(arch_s, "bert")) arch0 = arch1 = 1;
    else if (!strcmp(arch_s, "both")) arch0 = 0, arch1 = 1;
    else usage_error("--arch: \"%s\" is not xlmr, bert or both", arch_s);
    if (batch < 1 || batch > 4096 || tbatch < 1 || tbatch > 4096) usage_error("--batch / --train-batch: expected 1..4096");
    if (seq < 4 || seq > 4096 || tseq < 4 || tseq > 4096) usage_error("--seq / --train-seq: expected 4..4096");
    if (reps < 1 || reps > 1000) usage_error("--reps: expected 1..1000");
    if (warmup < 0 || warmup > 1000) usage_error("--warmup: expected 0..1000");
    if (vocab != 0 && (vocab < 8 || vocab > 10000000)) usage_error("--vocab: expected 8..10000000");

    XsErr err = {0};
    BenchCheck ck;
    int threads = omp_get_max_threads();
    if (bench_validate(&ck, &err)) {
        fprintf(stderr, "xstilts bench: %s\n", err.msg);
        return 1;
    }
    if (json)
        printf("{\"kind\": \"check\", \"backend\": \"%s\", \"version\": \"%s\", \"gemm_err\": %.3g, \"hidden_err\": %.3g, "
               "\"grad_err\": %.3g, \"threads\": %d, \"warnings\": \"%s\"}\n",
               ck.backend, ck.version, ck.gemm_err, ck.hidden_err, ck.grad_err, threads, ck.warnings);
    else
        printf("check: GEMM backend %s — %s; validation error %.2g; tiny encoder fast vs reference: hidden %.2g, "
               "gradients %.2g; %d threads%s%s\n\n",
               ck.backend, ck.version, ck.gemm_err, ck.hidden_err, ck.grad_err, threads, ck.warnings[0] ? "; WARNING: " : "",
               ck.warnings);
    fflush(stdout);

    if (do_gemm) {
        BenchGemm g[9];
        int gc = !strcmp(size, "large") ? 1024 : !strcmp(size, "small") ? 384 : !strcmp(size, "tiny") ? 128 : 768;
        if (bench_gemm((int)(batch * seq), gc, 4 * gc, (int)reps, g, &err)) {
            fprintf(stderr, "xstilts bench: %s\n", err.msg);
            return 1;
        }
        double tot_flop = 0, tot_t = 0, tot_best = 0;
        if (!json) {
            printf("| GEMM (%ld rows) | M x N x K | op | xstilts (tiled) GFLOP/s | backend whole | OpenBLAS whole | "
                   "%% of best |\n|---|---|---|---|---|---|---|\n", batch * seq);
        }
        for (int k = 0; k < 9; k++) {
            double fl = 2.0 * g[k].M * g[k].N * g[k].K;
            tot_flop += fl;
            tot_t += fl / g[k].gflops_tiled;
            tot_best += fl / g[k].gflops_best;
            if (json)
                printf("{\"kind\": \"gemm\", \"what\": \"%s\", \"M\": %d, \"N\": %d, \"K\": %d, \"op\": \"%c%c\", "
                       "\"tiled\": %.1f, \"whole\": %.1f, \"openblas\": %.1f, \"best\": %.1f}\n",
                       g[k].what, g[k].M, g[k].N, g[k].K, g[k].ta, g[k].tb, g[k].gflops_tiled, g[k].gflops_whole,
                       g[k].gflops_openblas, g[k].gflops_best);
            else
                printf("| %s | %d x %d x %d | %c%c | %.1f | %.1f | %.1f | %.0f%% |\n", g[k].what, g[k].M, g[k].N,
                       g[k].K, g[k].ta, g[k].tb, g[k].gflops_tiled, g[k].gflops_whole, g[k].gflops_openblas,
                       100.0 * g[k].gflops_tiled / g[k].gflops_best);
        }
        if (json)
            printf("{\"kind\": \"gemm_total\", \"tiled\": %.1f, \"best\": %.1f, \"pct\": %.1f}\n", tot_flop / tot_t,
                   tot_flop / tot_best, 100.0 * tot_best / tot_t);
        else
            printf("| **all 9 (time-weighted)** | | | %.1f | | best %.1f | %.0f%% |\n\n", tot_flop / tot_t,
                   tot_flop / tot_best, 100.0 * tot_best / tot_t);
        fflush(stdout);
    }
    if (!json && (do_infer || do_train))
        printf("| work | shape | tokens/s | median s | GFLOP/s | model MiB | peak RSS MiB | threads |\n"
               "|---|---|---|---|---|---|---|---|\n");
    for (int a = arch0; a <= arch1; a++) {
        for (int part = 0; part < 2; part++) {
            if ((part == 0 && !do_infer) || (part == 1 && !do_train)) continue;
            BenchModelOpts o = {.arch = a, .size = size, .vocab = vocab ? (int)vocab : a == 0 ? 250002 : 119547,
                                .batch = (int)(part ? tbatch : batch), .seq = (int)(part ? tseq : seq),
                                .reps = (int)reps, .warmup = (int)warmup, .seed = 1};
            BenchSeqs seqs;
            if (ids_path) {
                if (bench_load_ids(ids_path, o.vocab, 512, &seqs, &err)) {
                    fprintf(stderr, "xstilts bench: %s\n", err.msg);
                    return 1;
                }
                o.seqs = &seqs;
                o.seq = seqs.max_len;
            }
            BenchRun r;
            int rc = (part ? bench_train : bench_infer)(&o, &r, &err);
            int nseq = ids_path ? seqs.n : 0;
            double mean_len = ids_path ? (double)seqs.tokens / seqs.n : 0;
            if (ids_path) bench_seqs_free(&seqs);
            if (rc) {
                fprintf(stderr, "xstilts bench: %s\n", err.msg);
                return 1;
            }
            const char *an = a ? "bert" : "xlmr", *pn = part ? "train" : "infer";
            if (json)
                printf("{\"kind\": \"%s\", \"arch\": \"%s\", \"size\": \"%s\", \"vocab\": %d, \"batch\": %d, \"seq\": %d, "
                       "\"data\": \"%s\", \"sequences\": %d, \"mean_len\": %.1f, "
                       "\"tokens_per_s\": %.2f, \"median_s\": %.4f, \"best_s\": %.4f, \"gflops\": %.1f, \"model_mb\": %.1f, "
                       "\"peak_rss_mb\": %.1f, \"threads\": %d}\n",
                       pn, an, size, o.vocab, o.batch, o.seq, ids_path ? path_base(ids_path) : "random", nseq, mean_len,
                       r.tokens_per_s, r.median_s, r.best_s, r.gflops, r.model_mb, r.peak_rss_mb, r.threads);
            else if (ids_path)
                printf("| %s %s-%s (vocab %d), %s | %d x natural (%d lines, mean %.1f, max %d) | %.0f | %.3f | %.1f | %.0f | "
                       "%.0f | %d |\n",
                       part ? "training step" : "inference", a ? "BERT" : "XLM-R", size, o.vocab, path_base(ids_path),
                       o.batch, nseq, mean_len, o.seq, r.tokens_per_s, r.median_s, r.gflops, r.model_mb, r.peak_rss_mb,
                       r.threads);
            else
                printf("| %s %s-%s (vocab %d) | %d x %d | %.0f | %.3f | %.1f | %.0f | %.0f | %d |\n",
                       part ? "training step" : "inference", a ? "BERT" : "XLM-R", size, o.vocab, o.batch, o.seq,
                       r.tokens_per_s, r.median_s, r.gflops, r.model_mb, r.peak_rss_mb, r.threads);
            fflush(stdout);
        }
    }
    return 0;
}

/* cmd_encode.c — `xstilts encode`: UTF-8 lines on stdin -> float32 .npy [n, hidden] sentence embeddings
 * (mean / cls pool of hidden_states[L]): argument parsing and I/O; the pipeline is tasks/embed.c. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "model/model.h"
#include "model/pool.h"
#include "tasks/embed.h"
#include "tok/tokenizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts encode --model DIR --out FILE.npy [--layer L] [--pool mean|cls] [--max-len N]\n"
            "                      [--batch B] [--normalize] [--allow-unused-weights] < lines.txt\n"
            "\n"
            "One sentence embedding per input line (UTF-8, '\\n' or '\\r\\n' ends a line; an empty line is\n"
            "an empty sentence), written as float32 .npy of shape [lines, hidden] in input order.\n"
            "Each line is tokenized alone with the model folder's tokenizer, specials included\n"
            "(<s> ... </s> or [CLS] ... [SEP]), truncated to --max-len tokens.\n"
            "\n"
            "  --model DIR     Hugging Face-layout folder: config.json, model.safetensors and\n"
            "                  sentencepiece.bpe.model (XLM-R) or vocab.txt (BERT)\n"
            "  --out FILE      output .npy, written atomically (temp + rename; a symbolic link is\n"
            "                  followed; a FIFO or device is written in place; - = stdout)\n"
            "  --layer L       hidden_states[L] as in HF: 0 = embedding output, num_layers = last;\n"
            "                  negative L counts from the end as Python does: -1 = last, -2 = the one\n"
            "                  before, -(num_layers+1) = 0 (default: the last layer; XTREME's BUCC/Tatoeba\n"
            "                  use a middle one, e.g. 7 of 12 for base, 14 of 24 for large)\n"
            "  --pool P        mean: average over all non-padding tokens, specials included (as XTREME's\n"
            "                  mean_pool_embedding); cls: the first token. Default mean\n"
            "  --max-len N     tokens per sentence incl. specials (default: max_position_embeddings - 2\n"
            "                  for XLM-R = 512, max_position_embeddings for BERT)\n"
            "  --batch B       sentences per forward pass, batches sorted by length (default 32)\n"
            "  --normalize     scale each embedding to unit L2 norm\n"
            "  --allow-unused-weights  load a checkpoint whose encoder is larger than config.json says\n"
            "                  (e.g. more layers): by default an error, as the answer would silently\n"
            "                  come from a truncated model\n"
            "\n"
            "Threads: OMP_NUM_THREADS. XSTILTS_LOG=debug prints peak RSS after loading and at the end.\n");
}

static char *read_stdin(size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) { cap *= 2; buf = xrealloc(buf, cap); }
        size_t r = fread(buf + n, 1, cap - n, stdin);
        n += r;
        if (r == 0) {
            if (ferror(stdin)) xs_die("<stdin>: read error");
            break;
        }
    }
    *len = n;
    return buf;
}

/* Peak / current resident set from /proc/self/status, in MiB (0 when unavailable). */
static double proc_status_mib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    double v = 0;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') { v = strtod(line + kl + 1, NULL) / 1024.0; break; }
    fclose(f);
    return v;
}

/* CPU seconds of the whole process (all threads): on a shared machine a fairer cost than wall time. */
static double cpu_now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_encode(int argc, char **argv) {
    const char *model_dir = NULL, *out_path = NULL, *pool_s = "mean", *v;
    OptLong layer = {0}, max_len = {0}, batch = {32, 0};
    int normalize = 0, allow_unused = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        else if ((v = arg_str(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out_path = v;
        else if ((v = arg_str(argc, argv, &i, "--pool"))) pool_s = v;
        else if (arg_long_in(argc, argv, &i, "--layer", -100000, 100000, &layer)) {}  /* checked against the model below */
        else if (arg_long_in(argc, argv, &i, "--max-len", 2, 1000000000L, &max_len)) {}
        else if (arg_long_in(argc, argv, &i, "--batch", 1, 65536, &batch)) {}
        else if (arg_flag(argv, i, "--normalize")) normalize = 1;
        else if (arg_flag(argv, i, "--allow-unused-weights")) allow_unused = 1;
        else arg_unknown("encode", argv[i]);
    }
    if (!model_dir || !out_path) usage_error("--model and --out are required");
    PoolKind pool;
    if (pool_parse(pool_s, &pool)) usage_error("--pool expects mean or cls, found '%s'", pool_s);
    XsErr err = {0};
    /* fail before minutes of encoding when the output cannot be written */
    if (out_check(out_path, &err)) xs_die("%s", err.msg);

    Tokenizer *tok = tokenizer_open(model_dir, &err);
    if (!tok) xs_die("%s", err.msg);
    Model m;
    memset(&m, 0, sizeof m);
    double t_load = time_now();
    if (model_load_opts(model_dir, &m, allow_unused, &err)) xs_die("%s", err.msg);
    const ModelConfig *cfg = &m.cfg;
    t_load = time_now() - t_load;
    log_debug("encode: loaded %s in %.2fs: weights %.1f MiB f32, peak RSS %.1f MiB, RSS %.1f MiB", model_dir, t_load,
              (double)model_f32_bytes(&m) / (1 << 20), proc_status_mib("VmHWM"), proc_status_mib("VmRSS"));
    if (tokenizer_vocab_size(tok) > cfg->vocab_size)
        xs_die("%s: the tokenizer has %d ids but config.json's vocab_size is %d", model_dir, tokenizer_vocab_size(tok),
               cfg->vocab_size);
    /* hidden_states has num_layers + 1 entries; a negative L counts from the end as in Python */
    const long nhs = cfg->num_layers + 1;
    if (!layer.set) layer.v = cfg->num_layers;
    if (layer.v < -nhs || layer.v >= nhs)
        usage_error("--layer expects %ld..%d (hidden_states of a %d-layer model; negative counts from the end), found %ld",
                    -nhs, cfg->num_layers, cfg->num_layers, layer.v);
    if (layer.v < 0) layer.v += nhs;
    long pos_limit = embed_max_len(cfg);
    if (!max_len.set) max_len.v = pos_limit;
    if (max_len.v > pos_limit) usage_error("--max-len expects 2..%ld (the model's positions), found %ld", pos_limit, max_len.v);

    size_t in_len;
    char *in = read_stdin(&in_len);
    long n;
    TextLine *lines;
    if (text_split_lines(in, in_len, "<stdin>", &lines, &n, &err)) xs_die("%s", err.msg);
    const char **texts = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *texts);
    size_t *lens = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *lens);
    for (long i = 0; i < n; i++) { texts[i] = lines[i].s; lens[i] = lines[i].len; }
    const int C = cfg->hidden_size;
    float *out = xcalloc((size_t)(n > 0 ? n : 1) * (size_t)C, sizeof(float));
    EmbedOpts o = embed_opts_default();
    o.layer = (int)layer.v;
    o.pool = pool;
    o.max_len = (int)max_len.v;
    o.batch = (int)batch.v;
    o.normalize = normalize;
    o.source = "<stdin>";
    o.progress = 1;
    EmbedStats es;
    double c0 = cpu_now();
    if (embed_texts(&m, tok, texts, lens, n, &o, out, &es, &err)) xs_die("%s", err.msg);
    double el = es.seconds, cpu = cpu_now() - c0;
    if (npy_write_f32(out_path, out, (size_t)n, (size_t)C, &err)) xs_die("%s", err.msg);
    log_info("encode: %ld sentences, %llu tokens in %.2fs (%.1f sentences/s, %.0f tokens/s; %.2f CPU s), layer %ld %s "
             "pool -> %s [%ld, %d]",
             n, (unsigned long long)es.tokens, el, el > 0 ? (double)n / el : 0.0, el > 0 ? (double)es.tokens / el : 0.0, cpu,
             layer.v, pool_name(pool), out_path, n, C);
    log_debug("encode: peak RSS %.1f MiB", proc_status_mib("VmHWM"));
    free(texts); free(lens); free(out); free(lines); free(in);
    model_free(&m);
    tokenizer_free(tok);
    return 0;
}

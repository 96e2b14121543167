/* cmd_encode.c — `xstilts encode`: UTF-8 lines on stdin -> float32 .npy [n, hidden] sentence embeddings
 * (mean / cls pool of hidden_states[L]). Tokenizer, encoder and pooling math live in tok/, model/. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/util.h"
#include "model/encoder.h"
#include "model/model.h"
#include "model/pool.h"
#include "tok/tokenizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/text.h"

/* Lines tokenized at a time: bounds the Encoding memory on big inputs (BUCC: ~400k lines) while
 * still giving length-sorted batches little padding. */
#define ENCODE_CHUNK 8192

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts encode --model DIR --out FILE.npy [--layer L] [--pool mean|cls] [--max-len N]\n"
            "                      [--batch B] [--normalize] < lines.txt\n"
            "\n"
            "One sentence embedding per input line (UTF-8, '\\n' or '\\r\\n' ends a line; an empty line is\n"
            "an empty sentence), written as float32 .npy of shape [lines, hidden] in input order.\n"
            "Each line is tokenized alone with the model folder's tokenizer, specials included\n"
            "(<s> ... </s> or [CLS] ... [SEP]), truncated to --max-len tokens.\n"
            "\n"
            "  --model DIR     Hugging Face-layout folder: config.json, model.safetensors and\n"
            "                  sentencepiece.bpe.model (XLM-R) or vocab.txt (BERT)\n"
            "  --out FILE      output .npy, written atomically\n"
            "  --layer L       hidden_states[L] as in HF: 0 = embedding output, num_layers = last\n"
            "                  (default: the last layer; XTREME's BUCC/Tatoeba use a middle one,\n"
            "                  e.g. 7 of 12 for base, 14 of 24 for large)\n"
            "  --pool P        mean: average over all non-padding tokens, specials included (as XTREME's\n"
            "                  mean_pool_embedding); cls: the first token. Default mean\n"
            "  --max-len N     tokens per sentence incl. specials (default: max_position_embeddings - 2\n"
            "                  for XLM-R = 512, max_position_embeddings for BERT)\n"
            "  --batch B       sentences per forward pass, batches sorted by length (default 32)\n"
            "  --normalize     scale each embedding to unit L2 norm\n"
            "\n"
            "Threads: OMP_NUM_THREADS. XSTILTS_LOG=debug prints peak RSS after loading and at the end.\n");
}

typedef struct Line { const char *s; size_t len; } Line;

/* Splits buf (len bytes, stdin) into lines; checks each is UTF-8 without NUL bytes. */
static Line *split_lines(char *buf, size_t len, long *n_out) {
    long n = 0, cap = 1024;
    Line *lines = xmalloc((size_t)cap * sizeof *lines);
    size_t i = 0;
    while (i < len) {
        char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t l = end - i;
        if (l > 0 && buf[i + l - 1] == '\r') l--;
        if (n == cap) { cap *= 2; lines = xrealloc(lines, (size_t)cap * sizeof *lines); }
        lines[n].s = buf + i;
        lines[n].len = l;
        /* Validate here so the error names the line and column (the tokenizer sees one chunk). */
        const unsigned char *p = (const unsigned char *)lines[n].s;
        long bad = utf8_first_invalid(lines[n].s, l);
        const char *nul = memchr(lines[n].s, 0, bad >= 0 ? (size_t)bad : l);
        if (nul) xs_die("<stdin>:%ld: expected text, found a NUL byte at byte %zu", n + 1, (size_t)(nul - lines[n].s) + 1);
        if (bad >= 0)
            xs_die("<stdin>:%ld: expected UTF-8 text, found an invalid byte sequence at byte %ld (0x%02x)", n + 1, bad + 1,
                   p[bad]);
        n++;
        i = end + 1;
    }
    *n_out = n;
    return lines;
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

/* Fails before any work when the output's folder is missing or not writable (the atomic write at
 * the end would otherwise discard minutes of encoding). */
static void check_out_dir(const char *path) {
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash == dir) d = "/";
    else if (slash) { *slash = 0; d = dir; }
    if (access(d, W_OK) != 0) { free(dir); xs_die("%s: expected a writable folder for the output, found none", path); }
    free(dir);
}

typedef struct SortKey { int len, idx; } SortKey;
/* Longest first (the first batch sizes everything), input order among equal lengths: deterministic. */
static int cmp_len_desc(const void *a, const void *b) {
    const SortKey *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Tokenizes lines[first, first+n) into encs; on failure names the first failing line. */
static void tokenize_chunk(const Tokenizer *tok, const Line *lines, long first, int n, int max_len,
                           const char **texts, size_t *lens, Encoding *encs) {
    for (int i = 0; i < n; i++) { texts[i] = lines[first + i].s; lens[i] = lines[first + i].len; }
    XsErr err = {0};
    int bad = -1;
    if (tokenizer_encode_batch(tok, texts, lens, NULL, NULL, n, max_len, encs, &bad, &err) == 0) return;
    xs_die("<stdin>:%ld: %s", first + bad + 1, err.msg);
}

int cmd_encode(int argc, char **argv) {
    const char *model_dir = NULL, *out_path = NULL, *pool_s = "mean", *v;
    long layer = -1, max_len = -1, batch = 32;
    int normalize = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        else if ((v = arg_str(argc, argv, &i, "--model"))) model_dir = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out_path = v;
        else if ((v = arg_str(argc, argv, &i, "--pool"))) pool_s = v;
        else if (arg_long(argc, argv, &i, "--layer", &layer)) {}
        else if (arg_long(argc, argv, &i, "--max-len", &max_len)) {}
        else if (arg_long(argc, argv, &i, "--batch", &batch)) {}
        else if (arg_flag(argv, i, "--normalize")) normalize = 1;
        else arg_unknown("encode", argv[i]);
    }
    if (!model_dir || !out_path) { usage(stderr); xs_die("encode: --model and --out are required"); }
    PoolKind pool;
    if (pool_parse(pool_s, &pool)) xs_die("encode: --pool expects mean or cls, got '%s'", pool_s);
    if (batch < 1 || batch > 65536) xs_die("encode: --batch expects 1..65536, got %ld", batch);
    check_out_dir(out_path);

    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(model_dir, &err);
    if (!tok) xs_die("%s", err.msg);
    Model m;
    memset(&m, 0, sizeof m);
    double t_load = time_now();
    if (model_load(model_dir, &m, &err)) xs_die("%s", err.msg);
    const ModelConfig *cfg = &m.cfg;
    t_load = time_now() - t_load;
    log_debug("encode: loaded %s in %.2fs: weights %.1f MiB f32, peak RSS %.1f MiB, RSS %.1f MiB", model_dir, t_load,
              (double)model_f32_bytes(&m) / (1 << 20), proc_status_mib("VmHWM"), proc_status_mib("VmRSS"));
    if (tokenizer_vocab_size(tok) > cfg->vocab_size)
        xs_die("%s: the tokenizer has %d ids but config.json's vocab_size is %d", model_dir, tokenizer_vocab_size(tok),
               cfg->vocab_size);
    if (layer < 0) layer = cfg->num_layers;
    if (layer > cfg->num_layers)
        xs_die("encode: --layer expects 0..%d (hidden_states of a %d-layer model), got %ld", cfg->num_layers,
               cfg->num_layers, layer);
    /* XLM-R's positions start at pad_token_id + 1 (HF create_position_ids_from_input_ids), so a
     * sequence may use max_position - pad - 1 tokens; BERT's start at 0. */
    long pos_limit = cfg->arch == ARCH_XLMR ? cfg->max_position - cfg->pad_token_id - 1 : cfg->max_position;
    if (max_len < 0) max_len = pos_limit;
    if (max_len < 2 || max_len > pos_limit)
        xs_die("encode: --max-len expects 2..%ld (the model's positions), got %ld", pos_limit, max_len);

    size_t in_len;
    char *in = read_stdin(&in_len);
    long n;
    Line *lines = split_lines(in, in_len, &n);
    /* Padding uses config.json's pad_token_id: it is what the encoder's XLM-R position ids skip. */
    const int C = cfg->hidden_size, pad = cfg->pad_token_id;
    float *out = xcalloc((size_t)(n > 0 ? n : 1) * (size_t)C, sizeof(float));

    int chunk_cap = n < ENCODE_CHUNK ? (int)(n > 0 ? n : 1) : ENCODE_CHUNK;
    Encoding *encs = xmalloc((size_t)chunk_cap * sizeof *encs);
    for (int i = 0; i < chunk_cap; i++) encoding_init(&encs[i]);
    const char **texts = xmalloc((size_t)chunk_cap * sizeof *texts);
    size_t *lens = xmalloc((size_t)chunk_cap * sizeof *lens);
    SortKey *order = xmalloc((size_t)chunk_cap * sizeof *order);
    int B = (int)batch;
    int32_t *ids = NULL, *types = NULL;
    float *mask = NULL, *pooled = xmalloc((size_t)B * C * sizeof(float));
    EncoderState *st = NULL;
    int st_T = 0;
    uint64_t n_tokens = 0;

    Progress prog;
    progress_begin(&prog, "encode", (uint64_t)n);
    double t0 = time_now(), c0 = cpu_now();
    for (long first = 0; first < n; first += chunk_cap) {
        int cn = (int)(n - first < chunk_cap ? n - first : chunk_cap);
        tokenize_chunk(tok, lines, first, cn, (int)max_len, texts, lens, encs);
        for (int i = 0; i < cn; i++) { order[i].len = encs[i].n; order[i].idx = i; }
        qsort(order, (size_t)cn, sizeof *order, cmp_len_desc);
        /* The state grows to the longest sequence seen (never to --max-len unless a line needs it). */
        if (order[0].len > st_T) {
            encoder_state_free(st);
            st_T = order[0].len;
            st = encoder_state_new_layer(cfg, B, st_T, (int)layer); /* stops at the layer pooled */
            /* Pooling reads token positions only, so padding rows need not be computed at all. */
            encoder_set_skip_padding(st, 1);
            free(ids); free(types); free(mask);
            ids = xmalloc((size_t)B * st_T * sizeof *ids);
            types = xmalloc((size_t)B * st_T * sizeof *types);
            mask = xmalloc((size_t)B * st_T * sizeof *mask);
            log_debug("encode: state for B=%d T=%d: %.1f MiB", B, st_T, (double)encoder_state_bytes(st) / (1 << 20));
        }
        for (int b0 = 0; b0 < cn; b0 += B) {
            int bn = cn - b0 < B ? cn - b0 : B;
            int T = order[b0].len; /* sorted: the batch's first is its longest */
            uint64_t toks = 0;
            for (int b = 0; b < bn; b++) {
                const Encoding *e = &encs[order[b0 + b].idx];
                for (int t = 0; t < T; t++) {
                    size_t k = (size_t)b * T + t;
                    int real = t < e->n;
                    ids[k] = real ? e->ids[t] : pad;
                    types[k] = real ? e->type_ids[t] : 0;
                    mask[k] = real ? 1.0f : 0.0f;
                }
                toks += (uint64_t)e->n;
            }
            encoder_forward(cfg, &m.w, st, ids, types, mask, bn, T, 0, 0, 0);
            pool_forward(pool, encoder_hidden(st, (int)layer), mask, bn, T, C, pooled);
            for (int b = 0; b < bn; b++)
                memcpy(out + (size_t)(first + order[b0 + b].idx) * C, pooled + (size_t)b * C, (size_t)C * sizeof(float));
            n_tokens += toks;
            progress_step(&prog, (uint64_t)bn, toks);
        }
    }
    progress_end(&prog);
    double el = time_now() - t0, cpu = cpu_now() - c0;
    if (normalize) pool_l2_normalize(out, (int)n, C);
    if (npy_write_f32(out_path, out, (size_t)n, (size_t)C, &err)) xs_die("%s", err.msg);
    log_info("encode: %ld sentences, %llu tokens in %.2fs (%.1f sentences/s, %.0f tokens/s; %.2f CPU s), layer %ld %s "
             "pool -> %s [%ld, %d]",
             n, (unsigned long long)n_tokens, el, el > 0 ? (double)n / el : 0.0, el > 0 ? (double)n_tokens / el : 0.0, cpu,
             layer, pool_name(pool), out_path, n, C);
    log_debug("encode: peak RSS %.1f MiB", proc_status_mib("VmHWM"));

    encoder_state_free(st);
    for (int i = 0; i < chunk_cap; i++) encoding_free(&encs[i]);
    free(encs); free(texts); free(lens); free(order);
    free(ids); free(types); free(mask); free(pooled); free(out); free(lines); free(in);
    model_free(&m);
    tokenizer_free(tok);
    return 0;
}

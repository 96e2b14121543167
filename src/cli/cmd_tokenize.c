/* cmd_tokenize.c — `xstilts tokenize`: UTF-8 lines on stdin -> one line of model input ids each
 * (specials included, as HF input_ids), optionally pieces and byte offsets. Tokenizing is tok/'s;
 * this file reads lines in chunks, encodes each chunk on all threads and prints in input order. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/util.h"
#include "tok/tokenizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_LINES = 4096 };

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts tokenize (--tokenizer FILE | --model DIR) [--pair] [--ids] [--pieces] [--offsets] [--max-len N]\n"
            "  reads UTF-8 lines on stdin, writes one line per input line:\n"
            "  the model input ids (specials included, as HF input_ids), space-separated.\n"
            "  --tokenizer FILE  a SentencePiece *.model (XLM-R id layout) or a WordPiece vocab *.txt\n"
            "  --model DIR       a model folder (sentencepiece.bpe.model or vocab.txt + tokenizer_config.json)\n"
            "  --pair            each line is TEXT_A<TAB>TEXT_B (XLM-R: <s> A </s></s> B </s>, BERT: [CLS] A [SEP] B [SEP])\n"
            "  --pieces          print the pieces instead of the ids\n"
            "  --offsets         print byte spans start:end into the line (of its own text for pairs; '-' for specials)\n"
            "  --ids             print the ids too (default when neither --pieces nor --offsets is given)\n"
            "  --max-len N       truncate to at most N tokens including specials (longest-first for pairs);\n"
            "                    N >= 2 (pairs: >= the specials, 3 BERT / 4 XLM-R); default: no limit\n"
            "  several of --ids/--pieces/--offsets: their fields are printed in that order, separated by a TAB\n");
}

typedef struct {
    int ids, pieces, offsets;
} Show;

/* Decimal without printf: printing dominated the profile of large corpora. */
static char *put_int(char *p, int32_t v) {
    char tmp[12];
    int n = 0;
    uint32_t u = v < 0 ? (uint32_t)(-(int64_t)v) : (uint32_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *p++ = '-';
    while (n) *p++ = tmp[--n];
    return p;
}

static void print_enc(FILE *o, const Tokenizer *t, const Encoding *e, Show sh) {
    int first_field = 1;
    if (sh.ids) {
        char buf[4096];
        char *p = buf;
        for (int i = 0; i < e->n; i++) {
            if (p - buf > (long)sizeof buf - 16) {
                fwrite(buf, 1, (size_t)(p - buf), o);
                p = buf;
            }
            if (i) *p++ = ' ';
            p = put_int(p, e->ids[i]);
        }
        fwrite(buf, 1, (size_t)(p - buf), o);
        first_field = 0;
    }
    if (sh.pieces) {
        if (!first_field) fputc('\t', o);
        for (int i = 0; i < e->n; i++) {
            const char *pc = tokenizer_piece(t, e->ids[i]);
            if (i) fputc(' ', o);
            fputs(pc ? pc : "?", o);
        }
        first_field = 0;
    }
    if (sh.offsets) {
        if (!first_field) fputc('\t', o);
        for (int i = 0; i < e->n; i++) {
            if (i) fputc(' ', o);
            if (e->start[i] < 0) fputc('-', o);
            else fprintf(o, "%d:%d", e->start[i], e->end[i]);
        }
    }
    fputc('\n', o);
}

int cmd_tokenize(int argc, char **argv) {
    const char *tok_path = NULL, *model_dir = NULL, *v;
    int pair = 0;
    OptLong max_len = {0};
    Show sh = {0, 0, 0};
    for (int i = 1; i < argc; i++) {
        if ((v = arg_str(argc, argv, &i, "--tokenizer"))) tok_path = v;
        else if ((v = arg_str(argc, argv, &i, "--model"))) model_dir = v;
        else if (arg_long_in(argc, argv, &i, "--max-len", 2, 1000000000L, &max_len)) {}
        else if (arg_flag(argv, i, "--pair")) pair = 1;
        else if (arg_flag(argv, i, "--pieces")) sh.pieces = 1;
        else if (arg_flag(argv, i, "--offsets")) sh.offsets = 1;
        else if (arg_flag(argv, i, "--ids")) sh.ids = 1;
        else if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) {
            usage(stdout);
            return 0;
        } else arg_unknown("tokenize", argv[i]);
    }
    if (!!tok_path + !!model_dir != 1) usage_error("give exactly one of --tokenizer FILE or --model DIR");
    if (!sh.pieces && !sh.offsets) sh.ids = 1;
    XsErr err;
    err_clear(&err);
    Tokenizer *t = tokenizer_open(tok_path ? tok_path : model_dir, &err);
    if (!t) xs_die("%s", err.msg);

    char **lines = xcalloc(CHUNK_LINES, sizeof *lines);
    size_t *caps = xcalloc(CHUNK_LINES, sizeof *caps);
    size_t *lens = xcalloc(CHUNK_LINES, sizeof *lens);
    size_t *lens_a = xcalloc(CHUNK_LINES, sizeof *lens_a), *lens_b = xcalloc(CHUNK_LINES, sizeof *lens_b);
    const char **texts_b = xcalloc(CHUNK_LINES, sizeof *texts_b);
    Encoding *encs = xmalloc(CHUNK_LINES * sizeof *encs);
    for (int i = 0; i < CHUNK_LINES; i++) encoding_init(&encs[i]);
    static char obuf[1 << 18];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    long lineno = 0;
    int rc = 0, eof = 0;
    while (!eof && rc == 0) {
        int n = 0;
        while (n < CHUNK_LINES) {
            ssize_t got = getline(&lines[n], &caps[n], stdin);
            if (got < 0) {
                eof = 1;
                break;
            }
            size_t L = (size_t)got;
            if (L > 0 && lines[n][L - 1] == '\n') L--;
            lens[n++] = L;
        }
        if (n == 0) break;
        int nok = n; /* lines encoded before the first failing one: printed even on error */
        int bad = -1;
        if (pair) { /* split each line at its first TAB into the two texts */
            for (int i = 0; i < n; i++) {
                char *tab = memchr(lines[i], '\t', lens[i]);
                if (!tab) {
                    err_set(&err, "<stdin>", lineno + i + 1, "expected TEXT_A<TAB>TEXT_B (--pair), found no TAB");
                    nok = i;
                    rc = 1;
                    break;
                }
                texts_b[i] = tab + 1;
                lens_b[i] = lens[i] - (size_t)(tab - lines[i]) - 1;
                lens_a[i] = (size_t)(tab - lines[i]);
            }
        }
        XsErr e;
        err_clear(&e);
        if (tokenizer_encode_batch(t, (const char *const *)lines, pair ? lens_a : lens, pair ? texts_b : NULL,
                                   pair ? lens_b : NULL, nok, max_len.set ? (int)max_len.v : 0, encs, &bad, &e)) {
            err_set(&err, "<stdin>", lineno + bad + 1, "%s", e.msg);
            nok = bad;
            rc = 1;
        }
        for (int i = 0; i < nok; i++) print_enc(stdout, t, &encs[i], sh);
        lineno += n;
    }
    if (fflush(stdout) != 0 && rc == 0) {
        err_set(&err, "<stdout>", 0, "write failed");
        rc = 1;
    }
    for (int i = 0; i < CHUNK_LINES; i++) {
        free(lines[i]);
        encoding_free(&encs[i]);
    }
    free(lines);
    free(caps);
    free(lens_a);
    free(lens_b);
    free(texts_b);
    free(lens);
    free(encs);
    tokenizer_free(t);
    if (rc) {
        fflush(stdout);
        xs_die("%s", err.msg);
    }
    return 0;
}

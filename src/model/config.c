/* config.c — reads and writes Hugging Face config.json (XLMRobertaConfig / RobertaConfig /
 * BertConfig fields) with jansson, and the named size presets. Shapes derived from it: params.c. */
#include "model/config.h"
#include "core/util.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integer field. Required fields fix tensor shapes: every real config.json has them, and a
 * default (HF's are bert-base sizes) would only surface later as a confusing shape mismatch. */
static int get_int(const char *path, json_t *root, const char *key, int required, int def, int min, int *out, XsErr *err) {
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) {
        if (required) return err_set(err, path, 0, "missing required field \"%s\" (expected an integer >= %d)", key, min);
        *out = def;
        return 0;
    }
    if (!json_is_integer(v)) return err_set(err, path, 0, "field \"%s\": expected an integer, found a JSON %s", key,
                                            json_is_string(v) ? "string" : json_is_real(v) ? "real number" : "non-integer");
    json_int_t x = json_integer_value(v);
    if (x < min || x > 1000000000) return err_set(err, path, 0, "field \"%s\": expected an integer in [%d, 1e9], found %lld", key, min, (long long)x);
    *out = (int)x;
    return 0;
}

static int check_max(const char *path, const char *key, int v, int max, XsErr *err) {
    if (v > max) return err_set(err, path, 0, "field \"%s\": expected an integer in [1, %d], found %d", key, max, v);
    return 0;
}

static int get_float(const char *path, json_t *root, const char *key, double def, double lo, double hi, int hi_open, float *out,
                     XsErr *err) {
    json_t *v = json_object_get(root, key);
    double x = def;
    if (v && !json_is_null(v)) {
        if (!json_is_number(v)) return err_set(err, path, 0, "field \"%s\": expected a number", key);
        x = json_number_value(v);
    }
    if (!(x >= lo && (hi_open ? x < hi : x <= hi)))
        return err_set(err, path, 0, "field \"%s\": expected a number in [%g, %g%s, found %g", key, lo, hi, hi_open ? ")" : "]", x);
    *out = (float)x;
    return 0;
}

/* "xstilts_heads": [{"task", "kind", "num_labels", "prefix"}, ...] into cfg->heads. */
static int config_heads_read(const char *path, json_t *xh, ModelConfig *cfg, XsErr *err) {
    if (!json_is_array(xh) || json_array_size(xh) < 1 || json_array_size(xh) > MODEL_MAX_HEADS)
        return err_set(err, path, 0, "field \"xstilts_heads\": expected a list of 1 to %d heads", MODEL_MAX_HEADS);
    size_t i;
    json_t *e;
    json_array_foreach(xh, i, e) {
        ModelHeadRef *h = &cfg->heads[i];
        json_t *t = json_object_get(e, "task"), *k = json_object_get(e, "kind"), *n = json_object_get(e, "num_labels"),
               *p = json_object_get(e, "prefix");
        if (!json_is_object(e) || !json_is_string(t) || !json_is_string(k) || !json_is_integer(n) || !json_is_string(p) ||
            strlen(json_string_value(t)) >= sizeof h->task || strlen(json_string_value(k)) >= sizeof h->kind ||
            strlen(json_string_value(p)) >= sizeof h->prefix || json_integer_value(n) < 0 || json_integer_value(n) > 1000000)
            return err_set(err, path, 0, "field \"xstilts_heads[%zu]\": expected {\"task\": string, \"kind\": string, "
                           "\"num_labels\": integer >= 0, \"prefix\": string}", i);
        snprintf(h->task, sizeof h->task, "%s", json_string_value(t));
        snprintf(h->kind, sizeof h->kind, "%s", json_string_value(k));
        snprintf(h->prefix, sizeof h->prefix, "%s", json_string_value(p));
        h->num_labels = (int)json_integer_value(n);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->heads[j].task, h->task) || !strcmp(cfg->heads[j].prefix, h->prefix))
                return err_set(err, path, 0, "field \"xstilts_heads[%zu]\": task \"%s\" or prefix \"%s\" given twice", i,
                               h->task, h->prefix);
    }
    cfg->n_heads = (int)json_array_size(xh);
    return 0;
}

int config_load(const char *path, ModelConfig *cfg, XsErr *err) {
    memset(cfg, 0, sizeof *cfg);
    json_error_t je;
    if (file_check_readable(path, err)) return -1;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (je.line <= 0) return err_set(err, path, 0, "cannot read: %s", je.text);
        return err_set(err, path, je.line, "invalid JSON: %s (column %d)", je.text, je.column);
    }
    int rc = -1;
    if (!json_is_object(root)) { err_set(err, path, 0, "expected a JSON object"); goto done; }
    json_t *mt = json_object_get(root, "model_type");
    if (!json_is_string(mt)) { err_set(err, path, 0, "missing required field \"model_type\" (expected \"xlm-roberta\", \"roberta\" or \"bert\")"); goto done; }
    const char *type = json_string_value(mt);
    if (!strcmp(type, "xlm-roberta") || !strcmp(type, "roberta")) cfg->arch = ARCH_XLMR;
    else if (!strcmp(type, "bert")) cfg->arch = ARCH_BERT;
    else {
        err_set(err, path, 0, "unknown model_type \"%s\" (expected \"xlm-roberta\", \"roberta\" or \"bert\")", type);
        goto done;
    }
    snprintf(cfg->model_type, sizeof cfg->model_type, "%s", type);
    /* HF defaults (configuration_xlm_roberta.py / configuration_bert.py) for the optional fields. */
    if (get_int(path, root, "vocab_size", 1, 0, 1, &cfg->vocab_size, err) ||
        get_int(path, root, "hidden_size", 1, 0, 1, &cfg->hidden_size, err) ||
        get_int(path, root, "num_hidden_layers", 1, 0, 1, &cfg->num_layers, err) || check_max(path, "num_hidden_layers", cfg->num_layers, 1000, err) ||
        get_int(path, root, "num_attention_heads", 1, 0, 1, &cfg->num_heads, err) ||
        get_int(path, root, "intermediate_size", 1, 0, 1, &cfg->intermediate_size, err) ||
        get_int(path, root, "max_position_embeddings", 1, 0, 1, &cfg->max_position, err) ||
        get_int(path, root, "type_vocab_size", 1, 0, 1, &cfg->type_vocab_size, err) ||
        get_int(path, root, "pad_token_id", 0, cfg->arch == ARCH_XLMR ? 1 : 0, 0, &cfg->pad_token_id, err) ||
        get_float(path, root, "layer_norm_eps", 1e-12, 1e-30, 1.0, 0, &cfg->layer_norm_eps, err) ||
        get_float(path, root, "hidden_dropout_prob", 0.1, 0.0, 1.0, 1, &cfg->hidden_dropout, err) ||
        get_float(path, root, "attention_probs_dropout_prob", 0.1, 0.0, 1.0, 1, &cfg->attn_dropout, err) ||
        get_float(path, root, "initializer_range", 0.02, 0.0, 10.0, 0, &cfg->initializer_range, err))
        goto done;
    json_t *act = json_object_get(root, "hidden_act");
    if (act && !json_is_null(act)) {
        if (!json_is_string(act)) { err_set(err, path, 0, "field \"hidden_act\": expected a string"); goto done; }
        if (strcmp(json_string_value(act), "gelu") != 0) {
            err_set(err, path, 0, "field \"hidden_act\": \"%s\" is not supported (expected \"gelu\", the exact erf GELU)", json_string_value(act));
            goto done;
        }
    }
    json_t *pe = json_object_get(root, "position_embedding_type");
    if (pe && !json_is_null(pe) && (!json_is_string(pe) || strcmp(json_string_value(pe), "absolute") != 0)) {
        err_set(err, path, 0, "field \"position_embedding_type\": only \"absolute\" is supported");
        goto done;
    }
    json_t *tc = json_object_get(root, "tokenizer_class");
    if (tc && !json_is_null(tc)) {
        if (!json_is_string(tc) || strlen(json_string_value(tc)) >= sizeof cfg->tokenizer_class) {
            err_set(err, path, 0, "field \"tokenizer_class\": expected a class name string");
            goto done;
        }
        snprintf(cfg->tokenizer_class, sizeof cfg->tokenizer_class, "%s", json_string_value(tc));
    }
    json_t *ar = json_object_get(root, "architectures");
    if (json_is_array(ar) && json_array_size(ar) > 0) {
        json_t *a0 = json_array_get(ar, 0);
        if (!json_is_string(a0) || strlen(json_string_value(a0)) >= sizeof cfg->architecture) {
            err_set(err, path, 0, "field \"architectures\": expected a list of class name strings");
            goto done;
        }
        if (strstr(json_string_value(a0), "For")) /* a task class; the base class stays "" */
            snprintf(cfg->architecture, sizeof cfg->architecture, "%s", json_string_value(a0));
    }
    json_t *i2l = json_object_get(root, "id2label");
    if (i2l && !json_is_null(i2l)) {
        if (!json_is_object(i2l)) { err_set(err, path, 0, "field \"id2label\": expected an object {\"0\": \"LABEL\", ...}"); goto done; }
        cfg->num_labels = (int)json_object_size(i2l);
    } else if (get_int(path, root, "num_labels", 0, 0, 1, &cfg->num_labels, err)) {
        goto done;
    }
    json_t *xh = json_object_get(root, "xstilts_heads");
    if (xh && !json_is_null(xh) && config_heads_read(path, xh, cfg, err)) goto done;
    json_t *dec = json_object_get(root, "is_decoder");
    if (json_is_true(dec)) { err_set(err, path, 0, "field \"is_decoder\": expected false (xstilts runs encoders only)"); goto done; }
    if (cfg->hidden_size % cfg->num_heads) {
        err_set(err, path, 0, "hidden_size %d is not a multiple of num_attention_heads %d", cfg->hidden_size, cfg->num_heads);
        goto done;
    }
    if (cfg->pad_token_id >= cfg->vocab_size) {
        err_set(err, path, 0, "field \"pad_token_id\": expected < vocab_size %d, found %d", cfg->vocab_size, cfg->pad_token_id);
        goto done;
    }
    if (cfg->arch == ARCH_XLMR && cfg->max_position < cfg->pad_token_id + 2) {
        /* RoBERTa positions start at pad_token_id + 1 (create_position_ids_from_input_ids) */
        err_set(err, path, 0, "field \"max_position_embeddings\": expected >= pad_token_id + 2 = %d, found %d", cfg->pad_token_id + 2,
                cfg->max_position);
        goto done;
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* The shortest decimal that reads back as the same float, as a double ("1e-05", not
 * "9.99999975e-06"), so a saved config reads like HF's and round-trips bit-exactly. */
static json_t *json_float(float f) {
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)f);
        if (strtof(buf, NULL) == f) break;
    }
    return json_real(strtod(buf, NULL));
}

static const char *arch_class(const ModelConfig *c) {
    if (c->arch == ARCH_BERT) return "BertModel";
    return strcmp(c->model_type, "roberta") == 0 ? "RobertaModel" : "XLMRobertaModel";
}

int config_save(const char *path, const ModelConfig *c, XsErr *err) {
    json_t *r = json_object(), *archs = json_array();
    json_array_append_new(archs, json_string(c->architecture[0] ? c->architecture : arch_class(c)));
    json_object_set_new(r, "architectures", archs);
    json_object_set_new(r, "model_type", json_string(c->model_type[0] ? c->model_type : c->arch == ARCH_BERT ? "bert" : "xlm-roberta"));
    json_object_set_new(r, "vocab_size", json_integer(c->vocab_size));
    json_object_set_new(r, "hidden_size", json_integer(c->hidden_size));
    json_object_set_new(r, "num_hidden_layers", json_integer(c->num_layers));
    json_object_set_new(r, "num_attention_heads", json_integer(c->num_heads));
    json_object_set_new(r, "intermediate_size", json_integer(c->intermediate_size));
    json_object_set_new(r, "hidden_act", json_string("gelu"));
    json_object_set_new(r, "hidden_dropout_prob", json_float(c->hidden_dropout));
    json_object_set_new(r, "attention_probs_dropout_prob", json_float(c->attn_dropout));
    json_object_set_new(r, "max_position_embeddings", json_integer(c->max_position));
    json_object_set_new(r, "type_vocab_size", json_integer(c->type_vocab_size));
    json_object_set_new(r, "initializer_range", json_float(c->initializer_range));
    json_object_set_new(r, "layer_norm_eps", json_float(c->layer_norm_eps));
    json_object_set_new(r, "pad_token_id", json_integer(c->pad_token_id));
    if (c->arch == ARCH_XLMR) { /* fairseq specials: <s>=0 </s>=2 */
        json_object_set_new(r, "bos_token_id", json_integer(0));
        json_object_set_new(r, "eos_token_id", json_integer(2));
    }
    json_object_set_new(r, "position_embedding_type", json_string("absolute"));
    if (c->tokenizer_class[0]) json_object_set_new(r, "tokenizer_class", json_string(c->tokenizer_class));
    if (c->num_labels > 0) { /* HF derives num_labels from id2label */
        json_t *i2l = json_object(), *l2i = json_object();
        for (int i = 0; i < c->num_labels; i++) {
            char k[16], v[32];
            snprintf(k, sizeof k, "%d", i);
            snprintf(v, sizeof v, "LABEL_%d", i);
            const char *name = c->label_names ? c->label_names[i] : v;
            json_object_set_new(i2l, k, json_string(name));
            json_object_set_new(l2i, name, json_integer(i));
        }
        json_object_set_new(r, "id2label", i2l);
        json_object_set_new(r, "label2id", l2i);
    }
    if (c->n_heads > 0) { /* a multi-head folder: every head, the plain one first (docs/HEADS.md) */
        json_t *a = json_array();
        for (int i = 0; i < c->n_heads && i < MODEL_MAX_HEADS; i++)
            json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:s}", "task", c->heads[i].task, "kind", c->heads[i].kind,
                                               "num_labels", c->heads[i].num_labels, "prefix", c->heads[i].prefix));
        json_object_set_new(r, "xstilts_heads", a);
    }
    /* "dtype" is what transformers >= 4.56 writes, "torch_dtype" what older versions read */
    json_object_set_new(r, "dtype", json_string("float32"));
    json_object_set_new(r, "torch_dtype", json_string("float32"));
    int rc = json_write_atomic(path, r, err);
    json_decref(r);
    return rc;
}

int config_preset(ModelConfig *c, ModelArch arch, const char *size, int vocab_size) {
    static const struct { const char *name; int L, C, NH, F; } SIZES[] = {
        {"tiny", 2, 128, 2, 512}, {"small", 6, 384, 12, 1536}, {"base", 12, 768, 12, 3072}, {"large", 24, 1024, 16, 4096},
    };
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(size, SIZES[i].name)) k = i;
    if (k < 0 || vocab_size < 4) return -1;
    memset(c, 0, sizeof *c);
    c->arch = arch;
    snprintf(c->model_type, sizeof c->model_type, "%s", arch == ARCH_BERT ? "bert" : "xlm-roberta");
    c->vocab_size = vocab_size;
    c->num_layers = SIZES[k].L;
    c->hidden_size = SIZES[k].C;
    c->num_heads = SIZES[k].NH;
    c->intermediate_size = SIZES[k].F;
    /* xlm-roberta-base/-large and bert-base-multilingual-cased config.json values */
    c->max_position = arch == ARCH_BERT ? 512 : 514;
    c->type_vocab_size = arch == ARCH_BERT ? 2 : 1;
    c->pad_token_id = arch == ARCH_BERT ? 0 : 1;
    c->layer_norm_eps = arch == ARCH_BERT ? 1e-12f : 1e-5f;
    c->hidden_dropout = 0.1f;
    c->attn_dropout = 0.1f;
    c->initializer_range = 0.02f;
    return 0;
}

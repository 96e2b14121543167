/* model_head.c — task heads as entries of the model's ParamSet: registration under HF's names (the pooler
 * shared with the base model), binding HeadParams by name, and loading a folder with a head. */
#include "model/model_head.h"
#include "core/check.h"
#include <stdio.h>
#include <string.h>

const char *model_head_class(const ModelConfig *cfg, HeadKind kind, char *buf, size_t cap) {
    static const char *const SUFFIX[HEAD_NKINDS] = {"ForSequenceClassification", "ForMultipleChoice",
                                                    "ForTokenClassification", "ForQuestionAnswering", "ForMaskedLM"};
    CHECK(kind >= 0 && kind < HEAD_NKINDS, "bad head kind %d", (int)kind);
    const char *base = cfg->arch == ARCH_BERT ? "Bert" : !strcmp(cfg->model_type, "roberta") ? "Roberta" : "XLMRoberta";
    snprintf(buf, cap, "%s%s", base, SUFFIX[kind]);
    return buf;
}

/* The table name of head tensor t: hc->prefix + HF name (base tensors: the HF name). 0 when it does not fit. */
static int full_name(char *buf, size_t cap, const HeadConfig *hc, const HeadTensor *t) {
    int w = snprintf(buf, cap, "%s%s", t->in_base ? "" : hc->prefix, t->name);
    return w >= 0 && (size_t)w < cap;
}

/* "" or words of [A-Za-z0-9_-] each followed by '.', not the base model's prefix (its tensors are the encoder's). */
static int prefix_ok(const char *p) {
    size_t n = strnlen(p, sizeof ((HeadConfig *)0)->prefix);
    if (n == sizeof ((HeadConfig *)0)->prefix) return 0;
    if (n == 0) return 1;
    if (!strncmp(p, "roberta.", 8) || !strncmp(p, "bert.", 5) || p[n - 1] != '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        int word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!word && !(c == '.' && i > 0 && p[i - 1] != '.')) return 0;
    }
    return 1;
}

int model_add_head(Model *m, const HeadConfig *hc, XsErr *err) {
    CHECK(!m->tab.block, "model_add_head: the parameter block exists; add heads before model_load_weights / model_alloc_params");
    CHECK(m->n_encoder > 0, "model_add_head: no encoder in the table (model_open / model_init first)");
    const ModelConfig *cfg = &m->cfg;
    const char *kn = head_kind_name(hc->kind);
    if (hc->arch != cfg->arch)
        return err_set(err, NULL, 0, "head %s: built for %s, the model is %s", kn, hc->arch == ARCH_BERT ? "BERT" : "XLM-R",
                       cfg->model_type);
    if (hc->C != cfg->hidden_size)
        return err_set(err, NULL, 0, "head %s: hidden size %d, the model's is %d", kn, hc->C, cfg->hidden_size);
    if (hc->kind == HEAD_MLM && hc->num_labels != cfg->vocab_size)
        return err_set(err, NULL, 0, "head mlm: %d outputs, expected the vocabulary size %d", hc->num_labels, cfg->vocab_size);
    if (hc->kind == HEAD_SEQ_CLS && hc->num_labels < 2)
        return err_set(err, NULL, 0, "head seq_cls: expected num_labels >= 2, found %d (regression is not supported)", hc->num_labels);
    if (hc->num_labels < 1) return err_set(err, NULL, 0, "head %s: expected num_labels >= 1, found %d", kn, hc->num_labels);
    if (!prefix_ok(hc->prefix))
        return err_set(err, NULL, 0, "head %s: name prefix \"%s\" (expected \"\" or [A-Za-z0-9_-] words each ending in '.', "
                       "not starting with \"roberta.\" / \"bert.\", < %zu bytes)", kn, hc->prefix, sizeof hc->prefix);
    HeadTensor t[HEAD_MAX_TENSORS];
    int n = head_tensors(hc, t);
    char names[HEAD_MAX_TENSORS][sizeof m->tab.t[0].name];
    /* every check before the first entry is added, so that an error leaves m unchanged */
    for (int i = 0; i < n; i++) {
        if (t[i].in_base) continue;
        if (!full_name(names[i], sizeof names[i], hc, &t[i]))
            return err_set(err, NULL, 0, "head %s: tensor name '%s%s' longer than %zu bytes", kn, hc->prefix, t[i].name,
                           sizeof names[i] - 1);
        if (params_find(&m->tab, names[i]) >= 0)
            return err_set(err, NULL, 0, "head %s: the model already has a tensor '%s' (the same head twice, or two heads "
                           "sharing HF names: give one a name prefix)", kn, names[i]);
    }
    for (int i = 0; i < n; i++) {
        if (t[i].in_base) {
            if (params_find(&m->tab, "pooler.dense.weight") < 0) params_add_pooler(&m->tab, cfg);
            int k = params_find(&m->tab, t[i].name);
            CHECK(k >= 0 && m->tab.t[k].base, "model_add_head: base tensor %s is not the pooler's", t[i].name);
            continue;
        }
        int k = paramset_add(&m->tab, names[i], t[i].shape[0], t[i].ndim == 2 ? t[i].shape[1] : 0);
        CHECK(m->tab.t[k].no_decay == t[i].no_decay, "model_add_head: no_decay of %s: table %d, head %d", names[i],
              m->tab.t[k].no_decay, t[i].no_decay);
    }
    if (hc->prefix[0]) return 0; /* a further head: config.json names the head under HF's plain names */
    memset(m->cfg.architecture, 0, sizeof m->cfg.architecture); /* whole field: configs compare with memcmp */
    model_head_class(cfg, hc->kind, m->cfg.architecture, sizeof m->cfg.architecture);
    m->cfg.num_labels = hc->kind == HEAD_SEQ_CLS || hc->kind == HEAD_TOKEN_CLS ? hc->num_labels : 0;
    return 0;
}

void model_head_bind(const Model *m, const HeadConfig *hc, HeadParams *w, HeadParams *g) {
    CHECK(m->tab.block, "model_head_bind: no parameter block");
    memset(w, 0, sizeof *w);
    if (g) memset(g, 0, sizeof *g);
    HeadTensor t[HEAD_MAX_TENSORS];
    int n = head_tensors(hc, t);
    for (int i = 0; i < n; i++) {
        char name[sizeof m->tab.t[0].name];
        CHECK(full_name(name, sizeof name, hc, &t[i]), "model_head_bind: %s%s: name too long", hc->prefix, t[i].name);
        int k = params_find(&m->tab, name);
        CHECK(k >= 0, "model_head_bind: %s is not in the table (model_add_head first)", name);
        const ParamInfo *p = &m->tab.t[k];
        CHECK(p->ndim == t[i].ndim && p->shape[0] == t[i].shape[0] && (p->ndim == 1 || p->shape[1] == t[i].shape[1]) &&
              p->base == t[i].in_base, "model_head_bind: %s: the table's shape or base flag disagrees with the head's", name);
        head_bind_slot(w, t[i].slot, paramset_data(&m->tab, k));
        if (g && m->tab.grad) head_bind_slot(g, t[i].slot, paramset_grad(&m->tab, k));
    }
    if (hc->kind == HEAD_MLM) {
        w->decoder = m->w.word_emb;
        if (g && m->tab.grad) {
            CHECK(m->g.word_emb, "model_head_bind: gradient block not bound (model_alloc_grads)");
            g->decoder = m->g.word_emb;
        }
    }
}

int model_load_head(const char *dir, HeadKind kind, int num_labels, int mode, uint64_t seed, Model *m, HeadConfig *hc,
                    XsErr *err) {
    return model_load_head_at(dir, kind, num_labels, "", mode, seed, m, hc, err);
}

int model_load_head_at(const char *dir, HeadKind kind, int num_labels, const char *prefix, int mode, uint64_t seed,
                       Model *m, HeadConfig *hc, XsErr *err) {
    if (model_open(dir, m, err)) return -1;
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (num_labels == 0 && (kind == HEAD_SEQ_CLS || kind == HEAD_TOKEN_CLS)) {
        if (prefix[0]) {
            model_free(m);
            return err_set(err, path, 0, "head %s under \"%s\": a number of labels is needed (id2label describes the "
                           "folder's plain head)", head_kind_name(kind), prefix);
        }
        num_labels = m->cfg.num_labels;
        if (num_labels == 0) {
            model_free(m);
            return err_set(err, path, 0, "head %s needs a number of labels: none given and no \"id2label\" here",
                           head_kind_name(kind));
        }
    }
    head_config(hc, &m->cfg, kind, num_labels);
    if (strlen(prefix) >= sizeof hc->prefix) {
        model_free(m);
        return err_set(err, path, 0, "head name prefix \"%s\" too long", prefix);
    }
    snprintf(hc->prefix, sizeof hc->prefix, "%s", prefix);
    if (model_add_head(m, hc, err)) {
        model_free(m);
        return err_prefix(err, "%s: ", path);
    }
    if (model_load_weights(m, mode, err)) return -1;
    model_init_fresh(m, seed);
    return 0;
}

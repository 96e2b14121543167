/* model.c — model folder I/O: config.json + model.safetensors <-> the parameter block, mirroring
 * HF's from_pretrained / save_pretrained key handling. Forward/backward live in encoder.c. */
#include "model/model.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/util.h"
#include "model/safetensors.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }
static int ends_with(const char *s, const char *p) {
    size_t n = strlen(s), k = strlen(p);
    return n >= k && !strcmp(s + n - k, p);
}

size_t model_f32_bytes(const Model *m) { return 4 * paramset_numel(&m->tab); }

/* The pooler's pointers, when the table has it. */
static void bind_pooler(Model *m) {
    int k = params_find(&m->tab, "pooler.dense.weight");
    m->has_pooler = k >= 0;
    m->pooler_w = k >= 0 ? paramset_data(&m->tab, k) : NULL;
    m->pooler_b = k >= 0 ? paramset_get(&m->tab, "pooler.dense.bias") : NULL;
}

void model_init(Model *m, const ModelConfig *cfg, int with_pooler) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    params_add_encoder(&m->tab, &m->cfg);
    m->n_encoder = m->tab.n;
    if (with_pooler) params_add_pooler(&m->tab, &m->cfg);
}

void model_alloc_params(Model *m) {
    paramset_alloc(&m->tab);
    params_bind(&m->cfg, &m->tab, &m->w, m->tab.block);
    bind_pooler(m);
}

void model_alloc(Model *m, const ModelConfig *cfg) {
    model_init(m, cfg, 1);
    model_alloc_params(m);
}

void model_alloc_grads(Model *m) {
    paramset_alloc_grad(&m->tab);
    params_bind(&m->cfg, &m->tab, &m->g, m->tab.grad);
}

void model_free(Model *m) {
    params_unbind(&m->w);
    params_unbind(&m->g);
    paramset_free(&m->tab);
    for (int i = 0; i < m->n_unused; i++) free(m->unused[i]);
    free(m->unused);
    memset(m, 0, sizeof *m);
}

/* HF _init_weights on entry k, stream k of seed. */
static void init_entry(Model *m, int k, uint64_t seed) {
    const ParamInfo *p = &m->tab.t[k];
    float *x = paramset_data(&m->tab, k);
    if (ends_with(p->name, "LayerNorm.weight") || ends_with(p->name, "layer_norm.weight"))
        for (size_t i = 0; i < p->numel; i++) x[i] = 1.0f;
    else if (p->ndim == 1)
        memset(x, 0, p->numel * sizeof *x); /* biases and LayerNorm.bias */
    else
        rng_fill_normal(x, p->numel, 0.0f, m->cfg.initializer_range, seed, (uint32_t)k);
    /* nn.Embedding(padding_idx=pad): _init_weights zeroes that row. RobertaEmbeddings gives the
     * position embeddings the same padding_idx; BERT's have none. */
    size_t C = (size_t)m->cfg.hidden_size, pad = (size_t)m->cfg.pad_token_id;
    if (!strcmp(p->name, "embeddings.word_embeddings.weight") ||
        (m->cfg.arch == ARCH_XLMR && !strcmp(p->name, "embeddings.position_embeddings.weight")))
        memset(x + pad * C, 0, C * sizeof(float));
}

void model_init_random(Model *m, uint64_t seed) {
    if (!m->tab.block) {
        if (m->tab.n == 0) {
            ModelConfig c = m->cfg;
            model_alloc(m, &c);
        } else {
            model_alloc_params(m);
        }
    }
    for (int k = 0; k < m->tab.n; k++) init_entry(m, k, seed);
}

int model_init_fresh(Model *m, uint64_t seed) {
    CHECK(m->tab.block, "model_init_fresh: no block (model_load_weights first)");
    int n = 0;
    for (int k = 0; k < m->tab.n; k++)
        if (!m->tab.t[k].loaded) {
            init_entry(m, k, seed);
            m->tab.t[k].loaded = 1;
            n++;
        }
    return n;
}

static void shape_fmt(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

/* Checks t's shape against the one config.json implies, and that its dtype converts to F32. */
static int check_shape(const SafeTensors *st, const StTensor *t, int ndim, const int64_t *shape, XsErr *err) {
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char a[96], b[96];
        shape_fmt(a, sizeof a, ndim, shape);
        shape_fmt(b, sizeof b, t->ndim, t->shape);
        return err_set(err, st->path, 0, "tensor '%s': shape disagrees with config.json: expected %s, found %s", t->name, a, b);
    }
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16 && t->dtype != ST_F64)
        return err_set(err, st->path, 0, "tensor '%s': dtype %s, expected a float type (F32, F16, BF16 or F64)", t->name,
                       st_dtype_name(t->dtype));
    return 0;
}

static void add_unused(Model *m, const char *name) {
    m->unused = xrealloc(m->unused, (size_t)(m->n_unused + 1) * sizeof *m->unused);
    m->unused[m->n_unused++] = xstrdup(name);
}

/* "a, b, c" of up to `cap` bytes; the rest counted as "and N more". */
static void list_names(char *buf, size_t cap, const char *const *names, int n) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t need = strlen(names[i]) + 2;
        if (k + need + 32 > cap) {
            snprintf(buf + k, cap - k, " ... and %d more", n - i);
            return;
        }
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", names[i]);
    }
}

/* dir/model.safetensors opened, with what is there instead named when it is missing. */
static int weights_open(const char *dir, SafeTensors *st, char *wpath, size_t cap, XsErr *err) {
    snprintf(wpath, cap, "%s/model.safetensors", dir);
    struct stat sb;
    if (stat(wpath, &sb) != 0) {
        /* say what is there instead, and how to get the one file xstilts reads */
        char alt[1100];
        snprintf(alt, sizeof alt, "%s/model.safetensors.index.json", dir);
        if (stat(alt, &sb) == 0)
            return err_set(err, wpath, 0, "not found; sharded checkpoints (model.safetensors.index.json) are not supported: "
                           "re-save as one file with save_pretrained(dir, max_shard_size=\"100GB\")");
        snprintf(alt, sizeof alt, "%s/pytorch_model.bin", dir);
        if (stat(alt, &sb) == 0)
            return err_set(err, wpath, 0, "not found (pytorch_model.bin is not read): convert with "
                           "AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)");
    }
    return st_open(wpath, st, err);
}

int model_open(const char *dir, Model *m, XsErr *err) {
    memset(m, 0, sizeof *m);
    if (strlen(dir) >= sizeof m->dir) return err_set(err, NULL, 0, "model folder path longer than %zu bytes", sizeof m->dir - 1);
    char cpath[1100], wpath[1100];
    snprintf(cpath, sizeof cpath, "%s/config.json", dir);
    ModelConfig cfg;
    if (config_load(cpath, &cfg, err)) return -1;
    SafeTensors st;
    if (weights_open(dir, &st, wpath, sizeof wpath, err)) return -1;
    /* base_model_prefix detection, as from_pretrained does when a task model's checkpoint is loaded
     * into the base model: whichever prefix the word embeddings carry. */
    const char *prefixes[] = {"", "roberta.", "bert."}, *prefix = NULL;
    for (int i = 0; i < 3 && !prefix; i++) {
        char n[64];
        snprintf(n, sizeof n, "%sembeddings.word_embeddings.weight", prefixes[i]);
        if (st_find(&st, n)) prefix = prefixes[i];
    }
    for (int i = 0; i < st.n && !prefix; i++) /* no word embeddings: go by the other names */
        for (int j = 1; j < 3 && !prefix; j++)
            if (starts_with(st.t[i].name, prefixes[j])) prefix = prefixes[j];
    if (!prefix) prefix = "";
    char pw[64], pb[64];
    snprintf(pw, sizeof pw, "%spooler.dense.weight", prefix);
    snprintf(pb, sizeof pb, "%spooler.dense.bias", prefix);
    int pooler = st_find(&st, pw) && st_find(&st, pb);
    st_close(&st);
    memset(cfg.architecture, 0, sizeof cfg.architecture); /* the table holds no head yet (model_add_head names it); num_labels stays */
    cfg.n_heads = 0; /* the same for a multi-head folder's list (train/job.c sets a Model's) */
    memset(cfg.heads, 0, sizeof cfg.heads);
    model_init(m, &cfg, pooler);
    m->has_pooler = pooler;
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    snprintf(m->prefix, sizeof m->prefix, "%s", prefix);
    return 0;
}

int model_load_weights(Model *m, int fresh_ok, XsErr *err) {
    CHECK(!m->tab.block, "model_load_weights: needs a model_open'ed model without a block");
    char wpath[1100];
    SafeTensors st;
    if (weights_open(m->dir, &st, wpath, sizeof wpath, err)) { model_free(m); return -1; }
    const char *prefix = m->prefix;
    size_t plen = strlen(prefix);
    ParamSet *ps = &m->tab;

    /* Pass 1: match names (no data touched), so that every missing tensor and shape mismatch is
     * reported before any reading. Base entries carry the prefix in the file, heads do not. */
    const StTensor **src = xcalloc((size_t)ps->n, sizeof *src);
    for (int i = 0; i < st.n; i++) {
        const StTensor *t = &st.t[i];
        const char *name = starts_with(t->name, prefix) ? t->name + plen : NULL;
        if (name && (!strcmp(name, "embeddings.position_ids") || !strcmp(name, "embeddings.token_type_ids")))
            continue; /* registered buffers, not parameters (HF ignores them on load too) */
        int k = name ? params_find(ps, name) : -1;
        if (k >= 0 && !ps->t[k].base) k = -1;
        if (k < 0) {
            k = params_find(ps, t->name);
            if (k >= 0 && ps->t[k].base && plen) k = -1;
            if (k >= 0 && !ps->t[k].base && fresh_ok == MODEL_LOAD_ENCODER_ONLY) k = -1; /* another phase's head */
        }
        if (k >= 0) src[k] = t;
        else add_unused(m, t->name);
    }
    int rc = 0, nmiss = 0, nenc = 0;
    /* encoder tensors no entry claims: config.json describes a different (smaller) encoder than the file */
    for (int i = 0; i < m->n_unused; i++) {
        const char *u = m->unused[i];
        if (plen && starts_with(u, prefix)) u += plen;
        if (starts_with(u, "encoder.") || starts_with(u, "embeddings.")) nenc++;
    }
    if (nenc && !m->allow_unused_weights) {
        const char **enc = xmalloc((size_t)nenc * sizeof *enc);
        int j = 0;
        for (int i = 0; i < m->n_unused; i++) {
            const char *u = m->unused[i];
            const char *v = plen && starts_with(u, prefix) ? u + plen : u;
            if (starts_with(v, "encoder.") || starts_with(v, "embeddings.")) enc[j++] = u;
        }
        char list[700];
        list_names(list, sizeof list, enc, nenc);
        free(enc);
        rc = err_set(err, wpath, 0,
                     "%d encoder tensor%s of the checkpoint %s not used by config.json (num_hidden_layers %d): %s; "
                     "the config describes a different encoder than the weights (pass --allow-unused-weights to load anyway)",
                     nenc, nenc > 1 ? "s" : "", nenc > 1 ? "are" : "is", m->cfg.num_layers, list);
    }
    const char **miss = xmalloc((size_t)ps->n * sizeof *miss);
    char (*full)[128] = xmalloc((size_t)ps->n * sizeof *full);
    for (int k = 0; k < ps->n; k++)
        if (!src[k] && !(fresh_ok && k >= m->n_encoder)) {
            snprintf(full[nmiss], sizeof full[nmiss], "%s%s", ps->t[k].base ? prefix : "", ps->t[k].name);
            miss[nmiss] = full[nmiss];
            nmiss++;
        }
    if (nmiss && !rc) {
        /* the full list goes to the log; the error carries as many names as fit */
        for (int k = 0; k < nmiss; k++) log_warn("%s: missing tensor %s", wpath, miss[k]);
        char list[900];
        list_names(list, sizeof list, miss, nmiss);
        rc = err_set(err, wpath, 0, "%d tensor%s missing (expected by config.json): %s", nmiss, nmiss > 1 ? "s" : "", list);
    }
    free(miss);
    free(full);
    int nbad = 0;
    XsErr first = {0};
    for (int k = 0; k < ps->n && !rc; k++) {
        const ParamInfo *p = &ps->t[k];
        int64_t shape[2] = {p->shape[0], p->shape[1]};
        if (src[k] && check_shape(&st, src[k], p->ndim, shape, nbad ? NULL : &first)) nbad++;
    }
    if (nbad) rc = err_set(err, NULL, 0, "%s%s", first.msg, nbad > 1 ? " (and more tensors disagree)" : "");
    /* Pass 2: allocate only now, when every shape is known to match the file (a config.json
     * with absurd sizes fails above instead of exhausting memory), and read straight into place. */
    if (!rc) model_alloc_params(m);
    for (int k = 0; k < ps->n && !rc; k++) {
        if (!src[k]) continue; /* a fresh head: stays zero, loaded = 0 */
        rc = st_read_f32(&st, src[k], paramset_data(ps, k), err);
        ps->t[k].loaded = 1;
    }
    st_close(&st);
    free(src);
    if (rc) { model_free(m); return -1; }
    if (m->n_unused) {
        /* same wording as transformers' _load_pretrained_model warning, every name listed */
        size_t cap = 1;
        for (int i = 0; i < m->n_unused; i++) cap += strlen(m->unused[i]) + 2;
        char *list = xmalloc(cap + 32);
        list_names(list, cap + 32, (const char *const *)m->unused, m->n_unused);
        log_warn("Some weights of the checkpoint at %s were not used when initializing the %s encoder: [%s]", m->dir,
                 m->cfg.model_type, list);
        free(list);
    }
    return 0;
}

int model_load_opts(const char *dir, Model *m, int allow_unused, XsErr *err) {
    if (model_open(dir, m, err)) return -1;
    m->allow_unused_weights = allow_unused;
    return model_load_weights(m, 0, err);
}

int model_load(const char *dir, Model *m, XsErr *err) {
    if (model_open(dir, m, err)) return -1;
    return model_load_weights(m, 0, err);
}

static StWriteItem item(char *name, const float *data, int ndim, int64_t d0, int64_t d1) {
    StWriteItem it;
    memset(&it, 0, sizeof it);
    it.name = name;
    it.data = data;
    it.ndim = ndim;
    it.shape[0] = d0;
    it.shape[1] = d1;
    return it;
}

int model_save(const char *dir, const Model *m, XsErr *err) {
    if (strlen(dir) >= 1024) return err_set(err, NULL, 0, "model folder path longer than 1023 bytes");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return err_set(err, dir, 0, "cannot create folder: %s", strerror(errno));
    CHECK(m->tab.block, "model_save: no parameter block");
    int n = m->tab.n, has_head = 0;
    for (int k = 0; k < n; k++) has_head |= !m->tab.t[k].base;
    ModelConfig cfg = m->cfg;
    const char *prefix = m->prefix;
    if (has_head && !*prefix) prefix = cfg.arch == ARCH_BERT ? "bert." : "roberta."; /* as HF's *For* classes */
    if (!has_head) memset(cfg.architecture, 0, sizeof cfg.architecture); /* a bare encoder: the base class */
    StWriteItem *items = xcalloc((size_t)n, sizeof *items);
    char (*names)[128] = xcalloc((size_t)n, sizeof *names);
    for (int k = 0; k < n; k++) {
        const ParamInfo *p = &m->tab.t[k];
        snprintf(names[k], sizeof names[k], "%s%s", p->base ? prefix : "", p->name);
        items[k] = item(names[k], paramset_data(&m->tab, k), p->ndim, p->shape[0], p->shape[1]);
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    int rc = st_write_f32(path, items, n, err);
    free(items);
    free(names);
    if (rc) return -1;
    snprintf(path, sizeof path, "%s/config.json", dir);
    return config_save(path, &cfg, err);
}

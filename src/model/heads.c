/* heads.c — HF's task heads (modeling_xlm_roberta.py / modeling_bert.py *For* classes) forward and backward
 * on the last hidden state, with the cross-entropy of kernels/ops.h. The encoder, the parameter block and
 * the featurization that makes the labels are the callers'. */
#include "model/heads.h"
#include "core/check.h"
#include "core/mem.h"
#include "core/rng.h"
#include "kernels/ops.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND_NAMES[HEAD_NKINDS] = {"seq_cls", "multiple_choice", "token_cls", "span_qa", "mlm"};

const char *head_kind_name(HeadKind kind) {
    CHECK(kind >= 0 && kind < HEAD_NKINDS, "bad head kind %d", (int)kind);
    return KIND_NAMES[kind];
}

int head_parse(const char *name, HeadKind *kind) {
    for (int k = 0; k < HEAD_NKINDS; k++)
        if (!strcmp(name, KIND_NAMES[k])) { *kind = (HeadKind)k; return 0; }
    return -1;
}

void head_config(HeadConfig *hc, const ModelConfig *cfg, HeadKind kind, int num_labels) {
    memset(hc, 0, sizeof *hc);
    hc->kind = kind;
    hc->arch = cfg->arch;
    hc->C = cfg->hidden_size;
    hc->num_labels = kind == HEAD_SPAN_QA ? 2 : kind == HEAD_MLM ? cfg->vocab_size : num_labels;
    hc->dropout = cfg->hidden_dropout;
    hc->ln_eps = cfg->layer_norm_eps;
}

/* ---- the tensor tables -------------------------------------------------------------------------- */
/* Symbolic dimensions: C hidden, K num_labels (V for MLM), or a literal. */
enum { D_NONE = 0, D_C = -1, D_K = -2 };
typedef struct TableRow { const char *name; int in_base, d0, d1; HeadSlot slot; } TableRow;

/* XLMRobertaClassificationHead */
static const TableRow XLMR_SEQCLS[] = {
    {"classifier.dense.weight", 0, D_C, D_C, HEAD_DENSE_W},    {"classifier.dense.bias", 0, D_C, D_NONE, HEAD_DENSE_B},
    {"classifier.out_proj.weight", 0, D_K, D_C, HEAD_OUT_W}, {"classifier.out_proj.bias", 0, D_K, D_NONE, HEAD_OUT_B},
};
/* BertPooler + BertForSequenceClassification.classifier; *ForMultipleChoice (both archs: K = 1 output) */
static const TableRow POOLED_SEQCLS[] = {
    {"pooler.dense.weight", 1, D_C, D_C, HEAD_DENSE_W}, {"pooler.dense.bias", 1, D_C, D_NONE, HEAD_DENSE_B},
    {"classifier.weight", 0, D_K, D_C, HEAD_OUT_W},     {"classifier.bias", 0, D_K, D_NONE, HEAD_OUT_B},
};
static const TableRow POOLED_CHOICE[] = {
    {"pooler.dense.weight", 1, D_C, D_C, HEAD_DENSE_W}, {"pooler.dense.bias", 1, D_C, D_NONE, HEAD_DENSE_B},
    {"classifier.weight", 0, 1, D_C, HEAD_OUT_W},       {"classifier.bias", 0, 1, D_NONE, HEAD_OUT_B},
};
static const TableRow TOKCLS[] = {
    {"classifier.weight", 0, D_K, D_C, HEAD_OUT_W}, {"classifier.bias", 0, D_K, D_NONE, HEAD_OUT_B},
};
static const TableRow QA[] = {
    {"qa_outputs.weight", 0, 2, D_C, HEAD_OUT_W}, {"qa_outputs.bias", 0, 2, D_NONE, HEAD_OUT_B},
};
/* XLMRobertaLMHead (decoder.weight tied to the word embeddings, decoder.bias tied to lm_head.bias) */
static const TableRow XLMR_MLM[] = {
    {"lm_head.dense.weight", 0, D_C, D_C, HEAD_DENSE_W},   {"lm_head.dense.bias", 0, D_C, D_NONE, HEAD_DENSE_B},
    {"lm_head.layer_norm.weight", 0, D_C, D_NONE, HEAD_LN_G}, {"lm_head.layer_norm.bias", 0, D_C, D_NONE, HEAD_LN_B},
    {"lm_head.bias", 0, D_K, D_NONE, HEAD_OUT_B},
};
/* BertOnlyMLMHead: cls.predictions.{transform.dense, transform.LayerNorm, bias}, decoder tied */
static const TableRow BERT_MLM[] = {
    {"cls.predictions.transform.dense.weight", 0, D_C, D_C, HEAD_DENSE_W},
    {"cls.predictions.transform.dense.bias", 0, D_C, D_NONE, HEAD_DENSE_B},
    {"cls.predictions.transform.LayerNorm.weight", 0, D_C, D_NONE, HEAD_LN_G},
    {"cls.predictions.transform.LayerNorm.bias", 0, D_C, D_NONE, HEAD_LN_B},
    {"cls.predictions.bias", 0, D_K, D_NONE, HEAD_OUT_B},
};

static const TableRow *table_of(const HeadConfig *hc, int *n) {
#define RET(t) do { *n = (int)(sizeof(t) / sizeof(t[0])); return t; } while (0)
    switch (hc->kind) {
    case HEAD_SEQ_CLS: if (hc->arch == ARCH_XLMR) RET(XLMR_SEQCLS); RET(POOLED_SEQCLS);
    case HEAD_MULTIPLE_CHOICE: RET(POOLED_CHOICE);
    case HEAD_TOKEN_CLS: RET(TOKCLS);
    case HEAD_SPAN_QA: RET(QA);
    case HEAD_MLM: if (hc->arch == ARCH_XLMR) RET(XLMR_MLM); RET(BERT_MLM);
    default: break;
    }
#undef RET
    CHECK(0, "bad head kind %d", (int)hc->kind);
    return NULL;
}

static int resolve(int d, const HeadConfig *hc) { return d == D_C ? hc->C : d == D_K ? hc->num_labels : d; }

int head_tensors(const HeadConfig *hc, HeadTensor out[HEAD_MAX_TENSORS]) {
    CHECK(hc->C > 0 && hc->num_labels > 0, "head %s: C=%d num_labels=%d", head_kind_name(hc->kind), hc->C,
          hc->num_labels);
    CHECK(hc->kind != HEAD_SEQ_CLS || hc->num_labels >= 2, "sequence classification needs >= 2 labels "
          "(HF's num_labels == 1 regression is not supported)");
    int n;
    const TableRow *t = table_of(hc, &n);
    for (int i = 0; i < n; i++) {
        HeadTensor *o = &out[i];
        memset(o, 0, sizeof *o);
        o->name = t[i].name;
        o->in_base = t[i].in_base;
        o->ndim = t[i].d1 == D_NONE ? 1 : 2;
        o->shape[0] = resolve(t[i].d0, hc);
        o->shape[1] = o->ndim == 2 ? resolve(t[i].d1, hc) : 0;
        o->numel = (size_t)o->shape[0] * (size_t)(o->ndim == 2 ? o->shape[1] : 1);
        o->slot = t[i].slot;
        /* HF Trainer's groups: biases and LayerNorm modules (any spelling) get no weight decay */
        o->no_decay = t[i].slot != HEAD_DENSE_W && t[i].slot != HEAD_OUT_W;
    }
    return n;
}

void head_bind_slot(HeadParams *p, HeadSlot slot, float *ptr) {
    switch (slot) {
    case HEAD_DENSE_W: p->dense_w = ptr; return;
    case HEAD_DENSE_B: p->dense_b = ptr; return;
    case HEAD_LN_G: p->ln_g = ptr; return;
    case HEAD_LN_B: p->ln_b = ptr; return;
    case HEAD_OUT_W: p->out_w = ptr; return;
    case HEAD_OUT_B: p->out_b = ptr; return;
    }
    CHECK(0, "bad head slot %d", (int)slot);
}

size_t head_block_floats(const HeadConfig *hc) {
    HeadTensor t[HEAD_MAX_TENSORS];
    int n = head_tensors(hc, t);
    size_t tot = 0;
    for (int i = 0; i < n; i++) tot += (t[i].numel + 15) & ~(size_t)15;
    return tot;
}

void head_bind_block(const HeadConfig *hc, HeadParams *p, float *block) {
    HeadTensor t[HEAD_MAX_TENSORS];
    int n = head_tensors(hc, t);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        head_bind_slot(p, t[i].slot, block + off);
        off += (t[i].numel + 15) & ~(size_t)15;
    }
}

void head_init_random(const HeadConfig *hc, HeadParams *p, float std, uint64_t seed) {
    HeadTensor t[HEAD_MAX_TENSORS];
    int n = head_tensors(hc, t);
    float *ptr[6] = {p->dense_w, p->dense_b, p->ln_g, p->ln_b, p->out_w, p->out_b};
    for (int i = 0; i < n; i++) {
        float *x = ptr[t[i].slot];
        CHECK(x != NULL, "head tensor %s not bound", t[i].name);
        if (t[i].slot == HEAD_DENSE_W || t[i].slot == HEAD_OUT_W)
            rng_fill_normal(x, t[i].numel, 0.0f, std, seed, 0x4000u + (uint32_t)i);
        else
            for (size_t k = 0; k < t[i].numel; k++) x[k] = t[i].slot == HEAD_LN_G ? 1.0f : 0.0f;
    }
}

/* ---- state -------------------------------------------------------------------------------------- */
struct HeadState {
    HeadKind kind;
    int Bmax, Tmax, rows_max, C, K;
    int chunk;       /* MLM: rows of the vocabulary projection per pass (0 = all rows, logits kept) */
    size_t bytes;
    /* the last forward */
    int B, T, rows, train, has_labels, n_targets;
    uint64_t seed;
    uint32_t step;
    const float *h;  /* (B,T,C) the forward's input (QA's backward reads it; the caller keeps it) */
    float *x;        /* (rows,C) the rows the head reads (gathered, after the first dropout) */
    float *pre;      /* (rows,C) dense output (before tanh / GELU) */
    float *act;      /* (rows,C) tanh / GELU output */
    float *y;        /* (rows,C) input of the output layer (after dropout / LayerNorm) */
    float *mean, *rstd; /* (rows) MLM LayerNorm */
    float *logits;   /* (rows,K) | MC (B/K,K) | QA start (B,T) then end (B,T) | MLM (rows,V) */
    float *dlogits;  /* same size (NULL for MLM: in place) */
    float *qa2;      /* (B*T,2) QA: qa_outputs' raw output, and its gradient in backward */
    float *lse;      /* (rows) | QA (2B) */
    int32_t *tgt;    /* (rows) | QA (2B) targets of the cross-entropy */
    int32_t *rowidx; /* (rows) MLM: position b*T + t of each row */
    float *d1, *d2;  /* (rows,C) backward scratch */
};

static void *state_alloc(HeadState *s, size_t n) {
    s->bytes += n;
    return xmalloc_aligned(n ? n : 64);
}

HeadState *head_state_new(const HeadConfig *hc, int B, int T, int mlm_rows, int mlm_chunk) {
    CHECK(B > 0 && T > 0, "head state (%d,%d)", B, T);
    HeadTensor tt[HEAD_MAX_TENSORS];
    head_tensors(hc, tt); /* validates hc */
    HeadState *s = xcalloc(1, sizeof *s);
    s->kind = hc->kind;
    s->Bmax = B;
    s->Tmax = T;
    s->C = hc->C;
    s->K = hc->num_labels;
    size_t N = (size_t)B * T, C = (size_t)hc->C, K = (size_t)hc->num_labels, nlog = 0, nrow = 0;
    switch (hc->kind) {
    case HEAD_SEQ_CLS: s->rows_max = B; nlog = (size_t)B * K; nrow = (size_t)B; break;
    case HEAD_MULTIPLE_CHOICE:
        CHECK(B % hc->num_labels == 0, "multiple choice: %d rows is not a multiple of %d choices", B, hc->num_labels);
        s->rows_max = B; nlog = (size_t)B; nrow = (size_t)B;
        break;
    case HEAD_TOKEN_CLS: s->rows_max = (int)N; nlog = N * K; nrow = N; break;
    case HEAD_SPAN_QA: s->rows_max = (int)N; nlog = 2 * N; nrow = 2 * (size_t)B; break;
    case HEAD_MLM:
        s->rows_max = mlm_rows > 0 ? mlm_rows : (int)N;
        s->chunk = mlm_chunk > 0 && mlm_chunk < s->rows_max ? mlm_chunk : 0;
        nlog = (size_t)(s->chunk ? s->chunk : s->rows_max) * K;
        nrow = (size_t)s->rows_max;
        break;
    default: CHECK(0, "bad head kind");
    }
    size_t R = (size_t)s->rows_max;
    int needs_x = hc->kind != HEAD_SPAN_QA;
    s->logits = state_alloc(s, nlog * sizeof(float));
    if (hc->kind != HEAD_MLM) s->dlogits = state_alloc(s, nlog * sizeof(float));
    s->lse = state_alloc(s, nrow * sizeof(float));
    s->tgt = state_alloc(s, nrow * sizeof(int32_t));
    if (needs_x) {
        s->x = state_alloc(s, R * C * sizeof(float));
        s->d1 = state_alloc(s, R * C * sizeof(float));
    }
    if (hc->kind == HEAD_SEQ_CLS || hc->kind == HEAD_MULTIPLE_CHOICE || hc->kind == HEAD_MLM) {
        s->pre = state_alloc(s, R * C * sizeof(float));
        s->act = state_alloc(s, R * C * sizeof(float));
        s->y = state_alloc(s, R * C * sizeof(float));
        s->d2 = state_alloc(s, R * C * sizeof(float));
    }
    if (hc->kind == HEAD_MLM) {
        s->mean = state_alloc(s, R * sizeof(float));
        s->rstd = state_alloc(s, R * sizeof(float));
        s->rowidx = state_alloc(s, R * sizeof(int32_t));
    }
    if (hc->kind == HEAD_SPAN_QA) s->qa2 = state_alloc(s, 2 * N * sizeof(float));
    return s;
}

void head_state_free(HeadState *s) {
    if (!s) return;
    float *f[] = {s->x, s->pre, s->act, s->y, s->mean, s->rstd, s->logits, s->dlogits, s->qa2, s->lse, s->d1, s->d2};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
    free(s->tgt);
    free(s->rowidx);
    free(s);
}

size_t head_state_bytes(const HeadState *s) { return s->bytes; }

const float *head_logits(const HeadState *s, int *rows, int *cols) {
    int r = 0, c = 0;
    switch (s->kind) {
    case HEAD_SEQ_CLS: r = s->B; c = s->K; break;
    case HEAD_MULTIPLE_CHOICE: r = s->B / s->K; c = s->K; break;
    case HEAD_TOKEN_CLS: r = s->B * s->T; c = s->K; break;
    case HEAD_SPAN_QA: r = 2 * s->B; c = s->T; break;
    case HEAD_MLM: r = s->chunk ? 0 : s->rows; c = s->K; break; /* chunked: not kept */
    default: break;
    }
    if (rows) *rows = r;
    if (cols) *cols = c;
    return s->logits;
}

const int32_t *head_mlm_rows(const HeadState *s, int *M) {
    CHECK(s->kind == HEAD_MLM, "head_mlm_rows on a %s head", head_kind_name(s->kind));
    if (M) *M = s->rows;
    return s->rowidx;
}

int head_n_targets(const HeadState *s) { return s->n_targets; }

/* ---- shared pieces ------------------------------------------------------------------------------ */
static void begin(const HeadConfig *hc, HeadState *s, const int32_t *labels, int B, int T, int train,
                  uint64_t seed, uint32_t step) {
    CHECK(hc->kind == s->kind && hc->C == s->C && hc->num_labels == s->K, "head config does not match its state");
    CHECK(B > 0 && B <= s->Bmax && T > 0 && T <= s->Tmax, "head batch (%d,%d) outside the state's (%d,%d)", B, T,
          s->Bmax, s->Tmax);
    s->B = B;
    s->T = T;
    s->train = train != 0;
    s->seed = seed;
    s->step = step;
    s->has_labels = labels != NULL;
    s->n_targets = 0;
    s->h = NULL;
}

static DropSpec head_drop(const HeadConfig *hc, const HeadState *s, int site) {
    DropSpec d = {s->train ? hc->dropout : 0.0f, s->seed, HEAD_DROP_STREAM + (uint32_t)site, s->step, NULL, 0};
    return d;
}

static void need_backward(const HeadConfig *hc, const HeadState *s) {
    CHECK(hc->kind == s->kind, "head config does not match its state");
    CHECK(s->has_labels, "head_backward after a forward without labels");
}

/* The pooled classifier shared by SEQ_CLS and MULTIPLE_CHOICE (R rows, first token of each):
 * [dropout (XLM-R SEQ_CLS only)] -> dense -> tanh -> dropout -> out (Kout outputs).
 * XLM-R's RobertaClassificationHead and BERT's pooler + classifier differ only in that first dropout. */
static void pooled_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h, int R, int T,
                           int Kout, int first_dropout) {
    int C = s->C;
    for (int r = 0; r < R; r++) memcpy(s->x + (size_t)r * C, h + (size_t)r * T * C, (size_t)C * sizeof(float));
    DropSpec d0 = head_drop(hc, s, 0), d1 = head_drop(hc, s, 1);
    if (first_dropout) dropout_forward(s->x, R, C, &d0);
    linear_forward(s->pre, s->x, p->dense_w, p->dense_b, R, C, C);
    for (size_t i = 0; i < (size_t)R * C; i++) s->act[i] = tanhf(s->pre[i]);
    memcpy(s->y, s->act, (size_t)R * C * sizeof(float));
    dropout_forward(s->y, R, C, &d1);
    linear_forward(s->logits, s->y, p->out_w, p->out_b, R, C, Kout);
}

static void pooled_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, int R, int T,
                            int Kout, int first_dropout, float *dh) {
    int C = s->C;
    size_t n = (size_t)R * C;
    DropSpec d0 = head_drop(hc, s, 0), d1 = head_drop(hc, s, 1);
    memset(s->d1, 0, n * sizeof(float));
    linear_backward(s->d1, g->out_w, g->out_b, s->dlogits, s->y, p->out_w, R, C, Kout);
    dropout_backward(s->d1, R, C, &d1);
    for (size_t i = 0; i < n; i++) s->d1[i] *= 1.0f - s->act[i] * s->act[i]; /* tanh' */
    memset(s->d2, 0, n * sizeof(float));
    linear_backward(s->d2, g->dense_w, g->dense_b, s->d1, s->x, p->dense_w, R, C, C);
    if (first_dropout) dropout_backward(s->d2, R, C, &d0);
    for (int r = 0; r < R; r++) {
        float *o = dh + (size_t)r * T * C;
        const float *d = s->d2 + (size_t)r * C;
        for (int c = 0; c < C; c++) o[c] += d[c];
    }
}

/* ---- sequence classification -------------------------------------------------------------------- */
float head_seqcls_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h,
                          const int32_t *labels, int B, int T, int train, uint64_t seed, uint32_t step) {
    CHECK(hc->kind == HEAD_SEQ_CLS, "head_seqcls_forward on a %s head", head_kind_name(hc->kind));
    begin(hc, s, labels, B, T, train, seed, step);
    s->rows = B;
    pooled_forward(hc, p, s, h, B, T, s->K, hc->arch == ARCH_XLMR);
    if (!labels) return 0.0f;
    memcpy(s->tgt, labels, (size_t)B * sizeof(int32_t));
    return crossentropy_forward(s->lse, &s->n_targets, s->logits, s->tgt, B, s->K, OPS_IGNORE_INDEX);
}

void head_seqcls_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss,
                          float *dh) {
    need_backward(hc, s);
    crossentropy_backward(s->dlogits, s->logits, s->lse, s->tgt, dloss, s->B, s->K, OPS_IGNORE_INDEX);
    pooled_backward(hc, p, g, s, s->B, s->T, s->K, hc->arch == ARCH_XLMR, dh);
}

/* ---- multiple choice: one score per (example, choice) row, softmax over an example's choices -------- */
float head_choice_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h,
                          const int32_t *labels, int B, int T, int train, uint64_t seed, uint32_t step) {
    CHECK(hc->kind == HEAD_MULTIPLE_CHOICE, "head_choice_forward on a %s head", head_kind_name(hc->kind));
    begin(hc, s, labels, B, T, train, seed, step);
    CHECK(B % s->K == 0, "multiple choice: %d rows is not a multiple of %d choices", B, s->K);
    s->rows = B;
    pooled_forward(hc, p, s, h, B, T, 1, 0); /* logits (B,1) = (B/K, K): HF's logits.view(-1, num_choices) */
    if (!labels) return 0.0f;
    int E = B / s->K;
    memcpy(s->tgt, labels, (size_t)E * sizeof(int32_t));
    return crossentropy_forward(s->lse, &s->n_targets, s->logits, s->tgt, E, s->K, OPS_IGNORE_INDEX);
}

void head_choice_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss,
                          float *dh) {
    need_backward(hc, s);
    crossentropy_backward(s->dlogits, s->logits, s->lse, s->tgt, dloss, s->B / s->K, s->K, OPS_IGNORE_INDEX);
    pooled_backward(hc, p, g, s, s->B, s->T, 1, 0, dh);
}

/* ---- token classification: dropout -> classifier on every position --------------------------------- */
float head_tokcls_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h,
                          const int32_t *labels, int B, int T, int train, uint64_t seed, uint32_t step) {
    CHECK(hc->kind == HEAD_TOKEN_CLS, "head_tokcls_forward on a %s head", head_kind_name(hc->kind));
    begin(hc, s, labels, B, T, train, seed, step);
    int N = B * T, C = s->C;
    s->rows = N;
    memcpy(s->x, h, (size_t)N * C * sizeof(float));
    DropSpec d0 = head_drop(hc, s, 0);
    dropout_forward(s->x, N, C, &d0);
    linear_forward(s->logits, s->x, p->out_w, p->out_b, N, C, s->K);
    if (!labels) return 0.0f;
    memcpy(s->tgt, labels, (size_t)N * sizeof(int32_t));
    return crossentropy_forward(s->lse, &s->n_targets, s->logits, s->tgt, N, s->K, OPS_IGNORE_INDEX);
}

void head_tokcls_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss,
                          float *dh) {
    need_backward(hc, s);
    int N = s->rows, C = s->C;
    crossentropy_backward(s->dlogits, s->logits, s->lse, s->tgt, dloss, N, s->K, OPS_IGNORE_INDEX);
    memset(s->d1, 0, (size_t)N * C * sizeof(float));
    linear_backward(s->d1, g->out_w, g->out_b, s->dlogits, s->x, p->out_w, N, C, s->K);
    DropSpec d0 = head_drop(hc, s, 0);
    dropout_backward(s->d1, N, C, &d0);
    for (size_t i = 0; i < (size_t)N * C; i++) dh[i] += s->d1[i];
}

/* ---- span QA: qa_outputs (2 per position) -> start / end logits; loss (CE_start + CE_end) / 2 ------- */
float head_qa_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h, const int32_t *labels,
                      int B, int T, int train, uint64_t seed, uint32_t step) {
    CHECK(hc->kind == HEAD_SPAN_QA && hc->num_labels == 2, "head_qa_forward on a %s head", head_kind_name(hc->kind));
    begin(hc, s, labels, B, T, train, seed, step); /* HF's QA heads have no dropout */
    int N = B * T;
    s->rows = N;
    s->h = h;
    linear_forward(s->qa2, h, p->out_w, p->out_b, N, s->C, 2);
    for (int i = 0; i < N; i++) { /* logits.split(1, dim=-1): start, end */
        s->logits[i] = s->qa2[2 * i];
        s->logits[N + i] = s->qa2[2 * i + 1];
    }
    if (!labels) return 0.0f;
    /* HF: ignored_index = T; positions.clamp(0, T); CrossEntropyLoss(ignore_index=T) */
    for (int b = 0; b < B; b++)
        for (int k = 0; k < 2; k++) {
            int32_t v = labels[2 * b + k];
            s->tgt[k * B + b] = v < 0 ? 0 : v > T ? T : v;
        }
    int ns = 0, ne = 0;
    float ls = crossentropy_forward(s->lse, &ns, s->logits, s->tgt, B, T, T);
    float le = crossentropy_forward(s->lse + B, &ne, s->logits + N, s->tgt + B, B, T, T);
    s->n_targets = ns + ne;
    return (ls + le) / 2.0f;
}

void head_qa_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss,
                      float *dh) {
    need_backward(hc, s);
    int B = s->B, T = s->T, N = B * T;
    crossentropy_backward(s->dlogits, s->logits, s->lse, s->tgt, dloss / 2.0f, B, T, T);
    crossentropy_backward(s->dlogits + N, s->logits + N, s->lse + B, s->tgt + B, dloss / 2.0f, B, T, T);
    for (int i = 0; i < N; i++) {
        s->qa2[2 * i] = s->dlogits[i];
        s->qa2[2 * i + 1] = s->dlogits[N + i];
    }
    /* qa_outputs reads h itself: dW needs the forward's h (kept by pointer), dh accumulates directly */
    linear_backward(dh, g->out_w, g->out_b, s->qa2, s->h, p->out_w, N, s->C, 2);
}

/* ---- masked LM: dense -> GELU -> LayerNorm -> tied decoder + bias, on the labelled rows only --------- */
float head_mlm_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h, const int32_t *labels,
                       int B, int T, int train, uint64_t seed, uint32_t step) {
    CHECK(hc->kind == HEAD_MLM, "head_mlm_forward on a %s head", head_kind_name(hc->kind));
    CHECK(p->decoder != NULL, "MLM head without its tied decoder (the word embeddings)");
    begin(hc, s, labels, B, T, train, seed, step); /* HF's LM heads have no dropout */
    int C = s->C, V = s->K, M = 0;
    for (int i = 0; i < B * T; i++) {
        if (labels && labels[i] == OPS_IGNORE_INDEX) continue;
        CHECK(M < s->rows_max, "MLM batch has more than the state's %d labelled positions", s->rows_max);
        s->rowidx[M] = i;
        s->tgt[M] = labels ? labels[i] : 0;
        memcpy(s->x + (size_t)M * C, h + (size_t)i * C, (size_t)C * sizeof(float));
        M++;
    }
    s->rows = M;
    if (M == 0) return 0.0f; /* nothing masked: PyTorch's NaN, our no-op */
    linear_forward(s->pre, s->x, p->dense_w, p->dense_b, M, C, C);
    gelu_forward(s->act, s->pre, (size_t)M * C);
    layernorm_forward(s->y, s->mean, s->rstd, s->act, p->ln_g, p->ln_b, M, C, hc->ln_eps);
    if (!s->chunk) {
        linear_forward(s->logits, s->y, p->decoder, p->out_b, M, C, V);
        if (!labels) return 0.0f;
        return crossentropy_forward(s->lse, &s->n_targets, s->logits, s->tgt, M, V, OPS_IGNORE_INDEX);
    }
    /* chunked: (chunk, V) logits at a time, only each row's log-sum-exp kept; backward recomputes them.
     * Every gathered row has a target, so the mean over all M rows is sum(chunk mean * rows) / M. */
    CHECK(labels != NULL, "a chunked MLM state keeps no logits: use mlm_chunk = 0 for inference");
    double sum = 0.0;
    for (int r0 = 0; r0 < M; r0 += s->chunk) {
        int n = M - r0 < s->chunk ? M - r0 : s->chunk, nv = 0;
        linear_forward(s->logits, s->y + (size_t)r0 * C, p->decoder, p->out_b, n, C, V);
        float l = crossentropy_forward(s->lse + r0, &nv, s->logits, s->tgt + r0, n, V, OPS_IGNORE_INDEX);
        CHECK(nv == n, "MLM row without a target");
        sum += (double)l * n;
    }
    s->n_targets = M;
    return (float)(sum / M);
}

void head_mlm_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss,
                       float *dh) {
    need_backward(hc, s);
    CHECK(g->decoder != NULL, "MLM gradients without the word-embedding gradient (tied decoder)");
    int M = s->rows, C = s->C, V = s->K;
    if (M == 0) return;
    size_t n = (size_t)M * C;
    memset(s->d1, 0, n * sizeof(float));
    int chunk = s->chunk ? s->chunk : M;
    for (int r0 = 0; r0 < M; r0 += chunk) {
        int rows = M - r0 < chunk ? M - r0 : chunk;
        const float *y = s->y + (size_t)r0 * C;
        if (s->chunk) linear_forward(s->logits, y, p->decoder, p->out_b, rows, C, V); /* recompute */
        /* softmax gradient in place; this chunk's CE divides by its rows, the loss by M */
        crossentropy_backward(s->logits, s->logits, s->lse + r0, s->tgt + r0, dloss * (float)rows / (float)M, rows,
                              V, OPS_IGNORE_INDEX);
        linear_backward(s->d1 + (size_t)r0 * C, g->decoder, g->out_b, s->logits, y, p->decoder, rows, C, V);
    }
    memset(s->d2, 0, n * sizeof(float));
    layernorm_backward(s->d2, g->ln_g, g->ln_b, s->d1, s->act, p->ln_g, s->mean, s->rstd, M, C);
    gelu_backward(s->d2, s->pre, s->d2, n);
    memset(s->d1, 0, n * sizeof(float));
    linear_backward(s->d1, g->dense_w, g->dense_b, s->d2, s->x, p->dense_w, M, C, C);
    for (int r = 0; r < M; r++) {
        float *o = dh + (size_t)s->rowidx[r] * C;
        const float *d = s->d1 + (size_t)r * C;
        for (int c = 0; c < C; c++) o[c] += d[c];
    }
}

/* ---- dispatch ----------------------------------------------------------------------------------- */
float head_forward(const HeadConfig *hc, const HeadParams *p, HeadState *s, const float *h, const int32_t *labels,
                   int B, int T, int train, uint64_t seed, uint32_t step) {
    switch (hc->kind) {
    case HEAD_SEQ_CLS: return head_seqcls_forward(hc, p, s, h, labels, B, T, train, seed, step);
    case HEAD_MULTIPLE_CHOICE: return head_choice_forward(hc, p, s, h, labels, B, T, train, seed, step);
    case HEAD_TOKEN_CLS: return head_tokcls_forward(hc, p, s, h, labels, B, T, train, seed, step);
    case HEAD_SPAN_QA: return head_qa_forward(hc, p, s, h, labels, B, T, train, seed, step);
    case HEAD_MLM: return head_mlm_forward(hc, p, s, h, labels, B, T, train, seed, step);
    default: break;
    }
    CHECK(0, "bad head kind %d", (int)hc->kind);
    return 0.0f;
}

void head_backward(const HeadConfig *hc, const HeadParams *p, HeadParams *g, HeadState *s, float dloss, float *dh) {
    switch (hc->kind) {
    case HEAD_SEQ_CLS: head_seqcls_backward(hc, p, g, s, dloss, dh); return;
    case HEAD_MULTIPLE_CHOICE: head_choice_backward(hc, p, g, s, dloss, dh); return;
    case HEAD_TOKEN_CLS: head_tokcls_backward(hc, p, g, s, dloss, dh); return;
    case HEAD_SPAN_QA: head_qa_backward(hc, p, g, s, dloss, dh); return;
    case HEAD_MLM: head_mlm_backward(hc, p, g, s, dloss, dh); return;
    default: break;
    }
    CHECK(0, "bad head kind %d", (int)hc->kind);
}

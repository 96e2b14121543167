/* trainer.c — the one-task training loop: units (rows, or a multiple-choice example's rows) drawn in a seeded
 * order, gathered into preallocated batch buffers, forward/backward through encoder and head, the optimizer step. */
#include "train/trainer.h"
#include "core/mem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

TrainConfig train_config_defaults(void) {
    TrainConfig c;
    memset(&c, 0, sizeof c);
    c.batch = 32;
    c.accum = 1;
    c.lr = 1e-5;
    c.warmup_ratio = 0.1;
    c.weight_decay = 0.01;
    c.max_grad_norm = 1.0;
    c.epochs = 1;
    c.seed = 1;
    c.shuffle = 1;
    c.dropout = 1;
    c.skip_padding = 1;
    c.trim = 1;
    c.mlm.prob = 0.15f;
    c.mlm.mask_frac = 0.8f;
    c.mlm.random_frac = 0.1f;
    return c;
}

HeadKind trainer_head_kind(FeatKind k) {
    switch (k) {
    case FEAT_PAIR: return HEAD_SEQ_CLS;
    case FEAT_CHOICE: return HEAD_MULTIPLE_CHOICE;
    case FEAT_TAG: return HEAD_TOKEN_CLS;
    case FEAT_QA: return HEAD_SPAN_QA;
    case FEAT_MLM: return HEAD_MLM;
    }
    return HEAD_NKINDS;
}

static const char *feat_kind_name(FeatKind k) {
    static const char *names[] = {"pair", "choice", "tagging", "qa", "mlm"};
    return (unsigned)k < 5 ? names[k] : "?";
}

int trainer_init(Trainer *tr, Model *m, const HeadConfig *hc, const FeatRows *rows, const TrainConfig *cfg,
                 const Tokenizer *tok, XsErr *err) {
    memset(tr, 0, sizeof *tr);
    if (trainer_head_kind(rows->kind) != hc->kind)
        return err_set(err, NULL, 0, "trainer: %s rows cannot train a %s head", feat_kind_name(rows->kind),
                       head_kind_name(hc->kind));
    if (cfg->batch < 1 || cfg->accum < 1 || !(cfg->lr >= 0) || !(cfg->warmup_ratio >= 0 && cfg->warmup_ratio <= 1) ||
        (cfg->max_steps <= 0 && cfg->epochs < 1) || !(cfg->weight_decay >= 0))
        return err_set(err, NULL, 0,
                       "trainer: bad hyperparameters (batch %d, accum %d, lr %g, warmup %g, epochs %d, max_steps %lld, "
                       "weight decay %g)",
                       cfg->batch, cfg->accum, cfg->lr, cfg->warmup_ratio, cfg->epochs, (long long)cfg->max_steps,
                       cfg->weight_decay);
    if (rows->n == 0) return err_set(err, NULL, 0, "trainer: no training rows");
    int per = hc->kind == HEAD_MULTIPLE_CHOICE ? hc->num_labels : 1;
    if (per < 1) return err_set(err, NULL, 0, "trainer: multiple choice with %d choices", per);
    if (rows->n % (size_t)per)
        return err_set(err, NULL, 0, "trainer: %zu rows are not whole examples of %d choices", rows->n, per);
    for (size_t r = 0; per > 1 && r < rows->n; r++)
        if (rows->info[r].choice != (int32_t)(r % (size_t)per) || rows->info[r].example != rows->info[r - r % per].example)
            return err_set(err, NULL, 0, "trainer: row %zu is not choice %zu of its example (every example needs %d choices)",
                           r, r % (size_t)per, per);
    if (rows->kind == FEAT_PAIR || rows->kind == FEAT_CHOICE)
        for (size_t r = 0; r < rows->n; r++)
            if (rows->row_label[r] < 0 || rows->row_label[r] >= (hc->kind == HEAD_SEQ_CLS ? hc->num_labels : per))
                return err_set(err, NULL, 0, "trainer: row %zu (example %lld) has label %d, outside [0, %d)", r,
                               (long long)rows->info[r].example, rows->row_label[r],
                               hc->kind == HEAD_SEQ_CLS ? hc->num_labels : per);
    tr->m = m;
    tr->hc = *hc;
    tr->mcfg = m->cfg;
    tr->rows = rows;
    tr->tok = rows->kind == FEAT_MLM ? tok : NULL;
    tr->cfg = *cfg;
    if (hc->kind == HEAD_SPAN_QA) /* HF's QA softmax runs over every position, padding included (run_qa pads to */
        tr->cfg.trim = tr->cfg.skip_padding = 0; /* max_seq_length): the padding changes the loss, keep it as HF */
    if (!cfg->dropout) {
        tr->hc.dropout = 0.0f;
        tr->mcfg.hidden_dropout = tr->mcfg.attn_dropout = 0.0f;
    }
    tr->per = per;
    tr->units = rows->n / (size_t)per;
    tr->Bmax = cfg->batch * per;
    tr->Tmax = rows->max_len;
    if (!m->tab.grad) model_alloc_grads(m);
    if (!m->tab.adam_m) paramset_alloc_adam(&m->tab); /* zeroed */
    model_head_bind(m, &tr->hc, &tr->hw, &tr->hg);
    tr->es = encoder_state_new(&tr->mcfg, tr->Bmax, tr->Tmax, 1);
    encoder_set_skip_padding(tr->es, tr->cfg.skip_padding);
    int chunk = 0;
    if (hc->kind == HEAD_MLM && (double)tr->Bmax * tr->Tmax * hc->num_labels > 32e6) chunk = 256;
    tr->hs = head_state_new(&tr->hc, tr->Bmax, tr->Tmax, 0, chunk);
    size_t bt = (size_t)tr->Bmax * tr->Tmax;
    tr->ids = xmalloc_aligned(bt * sizeof(int32_t));
    tr->types = xmalloc_aligned(bt * sizeof(int32_t));
    tr->labels = xmalloc_aligned((bt + 2 * (size_t)tr->Bmax) * sizeof(int32_t));
    tr->mask = xmalloc_aligned(bt * sizeof(float));
    tr->dh = xmalloc_aligned(bt * (size_t)hc->C * sizeof(float));
    tr->sel = xmalloc_aligned(((size_t)cfg->batch + 2 * (size_t)rows->max_len) * sizeof(uint32_t));
    data_order_init(&tr->order, tr->units, cfg->seed, 0, cfg->shuffle);
    int64_t mb = (int64_t)((tr->units + (size_t)cfg->batch - 1) / (size_t)cfg->batch);
    tr->total = cfg->max_steps > 0 ? cfg->max_steps : (int64_t)cfg->epochs * ((mb + cfg->accum - 1) / cfg->accum);
    AdamWConfig ac = adamw_defaults(cfg->lr);
    ac.weight_decay = cfg->weight_decay;
    ac.hf_legacy = cfg->hf_legacy;
    optim_init(&tr->opt, &m->tab, &ac, schedule_linear(cfg->warmup_ratio, tr->total), cfg->max_grad_norm);
    return 0;
}

/* Draws the next micro-batch's units (stopping at the end of an epoch: a short last batch, as a DataLoader
 * without drop_last) and gathers rows into the buffers. Returns rows B; *T = positions, *tokens = real tokens. */
static int gather(Trainer *tr, int *T, int64_t *tokens) {
    const FeatRows *r = tr->rows;
    int L = r->max_len, per = tr->per, n = 0;
    for (; n < tr->cfg.batch; n++) {
        if (n > 0 && tr->order.pos >= tr->order.n) break;
        tr->sel[n] = (uint32_t)data_order_next(&tr->order);
    }
    int B = n * per, Tb = tr->cfg.trim ? 1 : L;
    int64_t tok = 0;
    for (int b = 0; b < B; b++) {
        const FeatRowInfo *in = &r->info[(size_t)tr->sel[b / per] * per + b % per];
        tok += in->len;
        if (in->len > Tb) Tb = in->len;
    }
    if (Tb > L) Tb = L;
    int32_t *mids = (int32_t *)(tr->sel + tr->cfg.batch), *mlab = mids + L; /* MLM dynamic scratch [L] each */
    for (int b = 0; b < B; b++) {
        size_t row = (size_t)tr->sel[b / per] * per + b % per;
        const int32_t *ids = r->ids + row * L, *lab = r->labels ? r->labels + row * L : NULL;
        if (tr->tok) {
            feat_mlm_mask(r, tr->tok, row, 1, &tr->cfg.mlm, (uint32_t)tr->order.epoch, mids, mlab);
            ids = mids;
            lab = mlab;
        }
        size_t o = (size_t)b * Tb;
        memcpy(tr->ids + o, ids, (size_t)Tb * sizeof(int32_t));
        memcpy(tr->types + o, r->type_ids + row * L, (size_t)Tb * sizeof(int32_t));
        for (int t = 0; t < Tb; t++) tr->mask[o + t] = (float)r->mask[row * L + t];
        switch (tr->hc.kind) {
        case HEAD_SEQ_CLS: tr->labels[b] = r->row_label[row]; break;
        case HEAD_MULTIPLE_CHOICE:
            if (b % per == 0) tr->labels[b / per] = r->row_label[row];
            break;
        case HEAD_SPAN_QA:
            tr->labels[2 * b] = r->start_pos[row];
            tr->labels[2 * b + 1] = r->end_pos[row];
            break;
        default: memcpy(tr->labels + o, lab, (size_t)Tb * sizeof(int32_t)); break;
        }
    }
    *T = Tb;
    *tokens = tok;
    return B;
}

int trainer_step(Trainer *tr, TrainStepLog *log, XsErr *err) {
    Model *m = tr->m;
    int L = tr->mcfg.num_layers, C = tr->hc.C;
    float scale = accum_loss_scale(tr->cfg.accum);
    double loss_sum = 0;
    int64_t tokens = 0;
    for (int a = 0; a < tr->cfg.accum; a++) {
        int T;
        int64_t tk;
        int B = gather(tr, &T, &tk);
        tokens += tk;
        uint32_t step = (uint32_t)tr->micro++;
        encoder_forward(&tr->mcfg, &m->w, tr->es, tr->ids, tr->types, tr->mask, B, T, 1, tr->cfg.seed, step);
        float loss = head_forward(&tr->hc, &tr->hw, tr->hs, encoder_hidden(tr->es, L), tr->labels, B, T, 1,
                                  tr->cfg.seed, step);
        if (!isfinite(loss)) {
            paramset_zero_grad(&m->tab);
            return err_set(err, NULL, 0, "trainer: loss %g at update %lld (micro-batch %u)", loss,
                           (long long)tr->opt.step + 1, step);
        }
        loss_sum += loss;
        memset(tr->dh, 0, (size_t)B * T * C * sizeof(float));
        head_backward(&tr->hc, &tr->hw, &tr->hg, tr->hs, scale, tr->dh);
        encoder_backward(&tr->mcfg, &m->w, &m->g, tr->es, tr->dh, NULL);
    }
    /* all-reduce of m->tab.grad across ranks goes here (a no-op with one process) */
    double norm = grad_global_norm(&tr->opt.norm, &m->tab);
    if (!isfinite(norm)) {
        paramset_zero_grad(&m->tab);
        return err_set(err, NULL, 0, "trainer: gradient norm %g at update %lld", norm, (long long)tr->opt.step + 1);
    }
    StepInfo si = optim_step(&tr->opt, &m->tab);
    paramset_zero_grad(&m->tab);
    if (log) {
        log->step = tr->opt.step;
        log->loss = loss_sum / tr->cfg.accum;
        log->lr = si.lr;
        log->grad_norm = si.grad_norm;
        log->tokens = tokens;
        log->epoch = tr->order.epoch;
    }
    return 0;
}

void trainer_seek(Trainer *tr, int64_t step, uint64_t epoch, size_t pos) {
    CHECK(step >= 0, "trainer_seek: step %lld", (long long)step);
    tr->opt.step = step;
    tr->micro = (uint64_t)step * (uint64_t)tr->cfg.accum;
    data_order_seek(&tr->order, epoch, pos);
}

int trainer_run(Trainer *tr, TrainLogFn fn, void *ctx, XsErr *err) {
    while (tr->opt.step < tr->total) {
        TrainStepLog log;
        if (trainer_step(tr, &log, err)) return -1;
        if (fn) fn(&log, ctx);
    }
    return 0;
}

void trainer_free(Trainer *tr) {
    if (tr->es) encoder_state_free(tr->es);
    if (tr->hs) head_state_free(tr->hs);
    if (tr->opt.norm.off) optim_free(&tr->opt);
    data_order_free(&tr->order);
    free(tr->ids);
    free(tr->types);
    free(tr->labels);
    free(tr->mask);
    free(tr->dh);
    free(tr->sel);
    memset(tr, 0, sizeof *tr);
}

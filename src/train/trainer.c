/* trainer.c — the training loop: tasks drawn by the sampler, units (rows, or a multiple-choice example's rows) of
 * the drawn task in its seeded order, gathered into preallocated batch buffers, forward/backward through the
 * shared encoder and the task's head, the optimizer step; evaluation, early stopping, checkpoints and resume. */
#include "train/trainer.h"
#include "core/mem.h"
#include "core/util.h"
#include "dist/dist.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Processes of a data-parallel run (1 without one). */
static int world(const TrainConfig *c) { return c->world > 1 ? c->world : 1; }
/* Micro-batches of one update over every rank: what one process with the same global batch accumulates. */
static int accum_all(const TrainConfig *c) { return c->accum * world(c); }

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
    c.lazy_embedding = 1;
    c.skip_padding = 1;
    c.trim = 1;
    c.mlm.prob = 0.15f;
    c.mlm.mask_frac = 0.8f;
    c.mlm.random_frac = 0.1f;
    c.keep = 2;
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

static int same_head(const HeadConfig *a, const HeadConfig *b) {
    return a->kind == b->kind && a->arch == b->arch && a->C == b->C && a->num_labels == b->num_labels &&
           a->dropout == b->dropout && a->ln_eps == b->ln_eps && !strcmp(a->prefix, b->prefix);
}

/* Checks one task's rows against its head (the one-task trainer's checks), err prefixed by the caller. */
static int check_task(const TrainTask *t, int *per_out, XsErr *err) {
    const FeatRows *rows = t->rows;
    const HeadConfig *hc = &t->hc;
    if (trainer_head_kind(rows->kind) != hc->kind)
        return err_set(err, NULL, 0, "%s rows cannot train a %s head", feat_kind_name(rows->kind),
                       head_kind_name(hc->kind));
    if (rows->n == 0) return err_set(err, NULL, 0, "no training rows");
    int per = hc->kind == HEAD_MULTIPLE_CHOICE ? hc->num_labels : 1;
    if (per < 1) return err_set(err, NULL, 0, "multiple choice with %d choices", per);
    if (rows->n % (size_t)per)
        return err_set(err, NULL, 0, "%zu rows are not whole examples of %d choices", rows->n, per);
    for (size_t r = 0; per > 1 && r < rows->n; r++)
        if (rows->info[r].choice != (int32_t)(r % (size_t)per) || rows->info[r].example != rows->info[r - r % per].example)
            return err_set(err, NULL, 0, "row %zu is not choice %zu of its example (every example needs %d choices)",
                           r, r % (size_t)per, per);
    if (rows->kind == FEAT_PAIR || rows->kind == FEAT_CHOICE)
        for (size_t r = 0; r < rows->n; r++)
            if (rows->row_label[r] < 0 || rows->row_label[r] >= (hc->kind == HEAD_SEQ_CLS ? hc->num_labels : per))
                return err_set(err, NULL, 0, "row %zu (example %lld) has label %d, outside [0, %d)", r,
                               (long long)rows->info[r].example, rows->row_label[r],
                               hc->kind == HEAD_SEQ_CLS ? hc->num_labels : per);
    *per_out = per;
    return 0;
}

int trainer_init_tasks(Trainer *tr, Model *m, const TrainTask *tasks, int ntasks, const TaskSampler *sampler,
                       const TrainConfig *cfg, XsErr *err) {
    memset(tr, 0, sizeof *tr);
    if (ntasks < 1 || ntasks > XS_MAX_TASKS)
        return err_set(err, NULL, 0, "trainer: %d tasks (expected 1..%d)", ntasks, XS_MAX_TASKS);
    if (cfg->batch < 1 || cfg->accum < 1 || !(cfg->lr >= 0) || !(cfg->warmup_ratio >= 0 && cfg->warmup_ratio <= 1) ||
        (cfg->max_steps <= 0 && cfg->epochs < 1) || !(cfg->weight_decay >= 0) || cfg->eval_every < 0 ||
        cfg->patience < 0 || cfg->save_every < 0)
        return err_set(err, NULL, 0,
                       "trainer: bad hyperparameters (batch %d, accum %d, lr %g, warmup %g, epochs %d, max_steps %lld, "
                       "weight decay %g, eval every %lld, patience %d, save every %lld)",
                       cfg->batch, cfg->accum, cfg->lr, cfg->warmup_ratio, cfg->epochs, (long long)cfg->max_steps,
                       cfg->weight_decay, (long long)cfg->eval_every, cfg->patience, (long long)cfg->save_every);
    if (world(cfg) > 1 && (cfg->world != dist_size() || cfg->rank != dist_rank()))
        return err_set(err, NULL, 0, "trainer: rank %d of %d, but this process is rank %d of %d (%s; dist_init first)",
                       cfg->rank, cfg->world, dist_rank(), dist_size(), dist_backend());
    if (world(cfg) == 1 && cfg->rank != 0)
        return err_set(err, NULL, 0, "trainer: rank %d of a one-process run", cfg->rank);
    if (cfg->seed > (uint64_t)INT64_MAX)
        return err_set(err, NULL, 0, "trainer: seed %llu too large (expected < 2^63)", (unsigned long long)cfg->seed);
    int per[XS_MAX_TASKS];
    for (int i = 0; i < ntasks; i++) {
        const TrainTask *t = &tasks[i];
        const char *nm = t->name ? t->name : "task", *hd = t->head ? t->head : nm;
        if (strlen(nm) >= 64 || strlen(hd) >= 64 || (t->data && strlen(t->data) >= 512))
            return err_set(err, NULL, 0, "trainer: task %d: name, head or data path too long", i);
        if (check_task(t, &per[i], err)) return err_prefix(err, "trainer: task %s: ", nm);
        for (int j = 0; j < i; j++) {
            const char *hj = tasks[j].head ? tasks[j].head : tasks[j].name ? tasks[j].name : "task";
            if (!strcmp(nm, tasks[j].name ? tasks[j].name : "task"))
                return err_set(err, NULL, 0, "trainer: task %s given twice", nm);
            if (!strcmp(hd, hj) && !same_head(&t->hc, &tasks[j].hc))
                return err_set(err, NULL, 0, "trainer: tasks %s and %s share head %s but configure it differently "
                               "(%s, %d labels vs %s, %d labels)", tasks[j].name, nm, hd,
                               head_kind_name(tasks[j].hc.kind), tasks[j].hc.num_labels, head_kind_name(t->hc.kind),
                               t->hc.num_labels);
        }
    }
    tr->m = m;
    tr->mcfg = m->cfg;
    tr->cfg = *cfg;
    if (tr->cfg.keep < 1) tr->cfg.keep = 2;
    if (!cfg->dropout) tr->mcfg.hidden_dropout = tr->mcfg.attn_dropout = 0.0f;
    if (!m->tab.grad) model_alloc_grads(m);
    if (!m->tab.adam_m) paramset_alloc_adam(&m->tab); /* zeroed */
    tr->ntasks = ntasks;
    size_t maxbatch = 0;
    int maxlen = 0;
    double units[XS_MAX_TASKS];
    for (int i = 0; i < ntasks; i++) {
        TrainerTask *k = &tr->task[i];
        k->t = tasks[i];
        snprintf(k->name, sizeof k->name, "%s", tasks[i].name ? tasks[i].name : "task");
        snprintf(k->head, sizeof k->head, "%s", tasks[i].head ? tasks[i].head : k->name);
        snprintf(k->data, sizeof k->data, "%s", tasks[i].data ? tasks[i].data : "");
        k->t.name = k->name;
        k->t.head = k->head;
        k->t.data = k->data;
        k->t.tok = tasks[i].rows->kind == FEAT_MLM ? tasks[i].tok : NULL;
        k->hc = tasks[i].hc;
        if (!cfg->dropout) k->hc.dropout = 0.0f;
        k->per = per[i];
        k->units = tasks[i].rows->n / (size_t)per[i];
        /* HF's QA softmax runs over every position, padding included (run_qa pads to max_seq_length): the padding
         * changes the loss, keep it as HF */
        k->trim = k->hc.kind == HEAD_SPAN_QA ? 0 : cfg->trim;
        k->skip_padding = k->hc.kind == HEAD_SPAN_QA ? 0 : cfg->skip_padding;
        model_head_bind(m, &k->hc, &k->hw, &k->hg);
        units[i] = (double)k->units;
        int B = cfg->batch * per[i], T = tasks[i].rows->max_len;
        if (B > tr->Bmax) tr->Bmax = B;
        if (T > tr->Tmax) tr->Tmax = T;
        if (T > maxlen) maxlen = T;
        if ((size_t)cfg->batch > maxbatch) maxbatch = (size_t)cfg->batch;
    }
    /* two head names must not be one set of tensors (the caller registered one head and named it twice) */
    for (int i = 0; i < ntasks; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(tr->task[i].head, tr->task[j].head) &&
                ((tr->task[i].hw.out_w && tr->task[i].hw.out_w == tr->task[j].hw.out_w) ||
                 (tr->task[i].hw.out_b && tr->task[i].hw.out_b == tr->task[j].hw.out_b))) {
                XsErr e2;
                err_set(&e2, NULL, 0, "trainer: heads %s and %s are the same tensors (give them one head name)",
                        tr->task[j].head, tr->task[i].head);
                memset(tr, 0, sizeof *tr);
                *err = e2;
                return -1;
            }
    if (sampler && sampler->n != ntasks)
        return err_set(err, NULL, 0, "trainer: the sampler has %d tasks, the run %d", sampler->n, ntasks);
    if (sampler_init(&tr->sampler, sampler ? sampler->kind : SAMPLER_PROPORTIONAL, ntasks, sampler ? sampler->w : units,
                     sampler ? sampler->temperature : 1.0, sampler ? sampler->cap : 0, cfg->seed, err)) {
        memset(tr, 0, sizeof *tr);
        return err_prefix(err, "trainer: sampler: ");
    }
    tr->es = encoder_state_new(&tr->mcfg, tr->Bmax, tr->Tmax, 1);
    int64_t total = 0;
    for (int i = 0; i < ntasks; i++) {
        TrainerTask *k = &tr->task[i];
        int chunk = 0, B = cfg->batch * k->per, T = k->t.rows->max_len;
        if (k->hc.kind == HEAD_MLM && (double)B * T * k->hc.num_labels > 32e6) chunk = 256;
        k->hs = head_state_new(&k->hc, B, T, 0, chunk);
        data_order_init(&k->order, k->units, cfg->seed, i, cfg->shuffle);
        int64_t mb = (int64_t)((k->units + (size_t)cfg->batch - 1) / (size_t)cfg->batch);
        total += (mb + accum_all(cfg) - 1) / accum_all(cfg);
    }
    size_t bt = (size_t)tr->Bmax * tr->Tmax;
    tr->ids = xmalloc_aligned(bt * sizeof(int32_t));
    tr->types = xmalloc_aligned(bt * sizeof(int32_t));
    tr->labels = xmalloc_aligned((bt + 2 * (size_t)tr->Bmax) * sizeof(int32_t));
    tr->mask = xmalloc_aligned(bt * sizeof(float));
    tr->dh = xmalloc_aligned(bt * (size_t)m->cfg.hidden_size * sizeof(float));
    tr->sel = xmalloc_aligned((maxbatch + 2 * (size_t)maxlen) * sizeof(uint32_t));
    tr->total = cfg->max_steps > 0 ? cfg->max_steps : (int64_t)cfg->epochs * total;
    AdamWConfig ac = adamw_defaults(cfg->lr);
    ac.weight_decay = cfg->weight_decay;
    ac.hf_legacy = cfg->hf_legacy;
    optim_init(&tr->opt, &m->tab, &ac, schedule_linear(cfg->warmup_ratio, tr->total), cfg->max_grad_norm);
    /* lazy rows of the word embedding: only when its gradient comes from the batch's ids alone (no tied MLM decoder)
     * and nothing else rewrites the gradient block (one process, no all-reduce hook) */
    int lazy = cfg->lazy_embedding && world(cfg) == 1 && !cfg->allreduce;
    for (int i = 0; i < ntasks; i++)
        if (tr->task[i].hc.kind == HEAD_MLM) lazy = 0;
    int wk = params_find(&m->tab, "embeddings.word_embeddings.weight");
    if (lazy && wk >= 0) optim_lazy_init(&tr->opt, &m->tab, wk);
    tr->best_metric = -INFINITY;
    tr->best_step = -1;
    tr->saved_step = -1;
    return 0;
}

int trainer_init(Trainer *tr, Model *m, const HeadConfig *hc, const FeatRows *rows, const TrainConfig *cfg,
                 const Tokenizer *tok, XsErr *err) {
    TrainTask t;
    memset(&t, 0, sizeof t);
    t.name = "task";
    t.head = head_kind_name(hc->kind);
    t.hc = *hc;
    t.rows = rows;
    t.tok = tok;
    if (trainer_init_tasks(tr, m, &t, 1, NULL, cfg, err)) {
        /* the one-task messages read "trainer: ...": drop the task name the multi-task prefix added */
        const char *p = "trainer: task task: ";
        size_t n = strlen(p);
        if (!strncmp(err->msg, p, n)) memmove(err->msg + 9, err->msg + n, strlen(err->msg + n) + 1);
        return -1;
    }
    return 0;
}

/* Draws the units of task k's next micro-batch into tr->sel as gather does (an epoch ends a batch); returns
 * their number. A rank steps over the other ranks' micro-batches with this alone. */
static int draw(Trainer *tr, TrainerTask *k) {
    int n = 0;
    for (; n < tr->cfg.batch; n++) {
        if (n > 0 && k->order.pos >= k->order.n) break;
        tr->sel[n] = (uint32_t)data_order_next(&k->order);
    }
    return n;
}

/* Draws the next micro-batch's units of task k (stopping at the end of an epoch: a short last batch, as a
 * DataLoader without drop_last) and gathers rows into the buffers. Returns rows B; *T = positions, *tokens = real
 * tokens. */
static int gather(Trainer *tr, TrainerTask *k, int *T, int64_t *tokens) {
    const FeatRows *r = k->t.rows;
    int L = r->max_len, per = k->per, n = draw(tr, k);
    int B = n * per, Tb = k->trim ? 1 : L;
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
        if (k->t.tok) {
            feat_mlm_mask(r, k->t.tok, row, 1, &tr->cfg.mlm, (uint32_t)k->order.epoch, mids, mlab);
            ids = mids;
            lab = mlab;
        }
        size_t o = (size_t)b * Tb;
        memcpy(tr->ids + o, ids, (size_t)Tb * sizeof(int32_t));
        memcpy(tr->types + o, r->type_ids + row * L, (size_t)Tb * sizeof(int32_t));
        for (int t = 0; t < Tb; t++) tr->mask[o + t] = (float)r->mask[row * L + t];
        switch (k->hc.kind) {
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
    /* jiant draws the task once per optimizer update and takes all `accum` micro-batches from it */
    int ti = sampler_next(&tr->sampler);
    TrainerTask *k = &tr->task[ti];
    int L = tr->mcfg.num_layers, C = k->hc.C;
    int W = world(&tr->cfg), A = accum_all(&tr->cfg);
    float scale = accum_loss_scale(A);
    double loss_sum = 0;
    int64_t tokens = 0;
    encoder_set_skip_padding(tr->es, k->skip_padding);
    const int prof = tr->prof_on;
    double t0 = prof ? time_now() : 0, t1;
    for (int a = 0; a < A; a++) {
        if (a % W != tr->cfg.rank) { /* another rank's micro-batch: its units drawn, its dropout counter used */
            draw(tr, k);
            tr->micro++;
            continue;
        }
        int T;
        int64_t tk;
        int B = gather(tr, k, &T, &tk);
        tokens += tk;
        uint32_t step = (uint32_t)tr->micro++;
        optim_lazy_touch(&tr->opt, &m->tab, tr->ids, (size_t)B * (size_t)T);
        encoder_forward(&tr->mcfg, &m->w, tr->es, tr->ids, tr->types, tr->mask, B, T, 1, tr->cfg.seed, step);
        float loss = head_forward(&k->hc, &k->hw, k->hs, encoder_hidden(tr->es, L), tr->labels, B, T, 1,
                                  tr->cfg.seed, step);
        if (!isfinite(loss)) {
            optim_zero_grad(&tr->opt, &m->tab);
            return err_set(err, NULL, 0, "trainer: loss %g at update %lld (task %s, micro-batch %u)", loss,
                           (long long)tr->opt.step + 1, k->name, step);
        }
        loss_sum += loss;
        if (prof) { t1 = time_now(); tr->prof[TRAIN_PROF_FORWARD] += t1 - t0; t0 = t1; }
        memset(tr->dh, 0, (size_t)B * T * C * sizeof(float));
        head_backward(&k->hc, &k->hw, &k->hg, k->hs, scale, tr->dh);
        encoder_backward(&tr->mcfg, &m->w, &m->g, tr->es, tr->dh, NULL);
        if (prof) { t1 = time_now(); tr->prof[TRAIN_PROF_BACKWARD] += t1 - t0; t0 = t1; }
    }
    /* the data-parallel seam: the gradient block summed over the ranks in rank order (each rank's loss was scaled by
     * 1 / (accum x world), so the sum is the global batch's mean gradient), with the losses and token counts */
    if (W > 1) {
        double stats[2] = {loss_sum, (double)tokens};
        if (dist_allreduce_sum(m->tab.grad, m->tab.total, err) || dist_allreduce_sum_f64(stats, 2, err)) {
            optim_zero_grad(&tr->opt, &m->tab);
            return err_prefix(err, "trainer: all-reduce at update %lld: ", (long long)tr->opt.step + 1);
        }
        loss_sum = stats[0];
        tokens = (int64_t)stats[1];
    }
    if (tr->cfg.allreduce && tr->cfg.allreduce(tr->cfg.allreduce_ctx, m->tab.grad, m->tab.total, err)) {
        optim_zero_grad(&tr->opt, &m->tab);
        return err_prefix(err, "trainer: all-reduce at update %lld: ", (long long)tr->opt.step + 1);
    }
    double norm = grad_global_norm_lazy(&tr->opt.norm, &m->tab, &tr->opt.lazy);
    if (prof) { t1 = time_now(); tr->prof[TRAIN_PROF_NORM] += t1 - t0; t0 = t1; }
    if (!isfinite(norm)) {
        optim_zero_grad(&tr->opt, &m->tab);
        return err_set(err, NULL, 0, "trainer: gradient norm %g at update %lld (task %s)", norm,
                       (long long)tr->opt.step + 1, k->name);
    }
    StepInfo si = optim_step_norm(&tr->opt, &m->tab, norm);
    if (prof) { t1 = time_now(); tr->prof[TRAIN_PROF_OPTIM] += t1 - t0; t0 = t1; }
    optim_zero_grad(&tr->opt, &m->tab);
    if (prof) tr->prof[TRAIN_PROF_ZERO] += time_now() - t0;
    if (log) {
        memset(log, 0, sizeof *log);
        log->step = tr->opt.step;
        log->total = tr->total;
        log->task = ti;
        log->loss = loss_sum / A;
        log->lr = si.lr;
        log->grad_norm = si.grad_norm;
        log->tokens = tokens;
        log->epoch = k->order.epoch;
        log->metric = NAN;
    }
    return 0;
}

void trainer_seek(Trainer *tr, int64_t step, uint64_t epoch, size_t pos) {
    CHECK(step >= 0, "trainer_seek: step %lld", (long long)step);
    CHECK(tr->ntasks == 1, "trainer_seek: %d tasks (trainer_resume restores several)", tr->ntasks);
    tr->opt.step = step;
    tr->micro = (uint64_t)step * (uint64_t)accum_all(&tr->cfg);
    tr->sampler.draws = (uint64_t)step;
    data_order_seek(&tr->task[0].order, epoch, pos);
    optim_lazy_rebuild(&tr->opt, &tr->m->tab);
}

void trainer_sync(Trainer *tr) { optim_lazy_flush(&tr->opt, &tr->m->tab); }

int trainer_done(const Trainer *tr) {
    if (tr->opt.step >= tr->total) return 1;
    return tr->cfg.patience > 0 && tr->best_step >= 0 && tr->evals_since_best >= tr->cfg.patience;
}

void trainer_state(const Trainer *tr, TrainState *st) {
    train_state_defaults(st);
    st->step = tr->opt.step;
    st->micro_batches = (int64_t)tr->micro;
    st->seed = tr->cfg.seed;
    st->adam = tr->opt.adam;
    st->warmup_ratio = tr->cfg.warmup_ratio;
    st->sched = tr->opt.sched;
    st->max_grad_norm = tr->cfg.max_grad_norm;
    st->batch_size = tr->cfg.batch;
    st->accum = accum_all(&tr->cfg); /* micro-batches per update over all ranks: resumable by any split */
    st->max_seq_len = tr->Tmax;
    st->dropout = tr->cfg.dropout ? tr->m->cfg.hidden_dropout : 0.0;
    st->sampler = tr->sampler;
    st->n_tasks = tr->ntasks;
    for (int i = 0; i < tr->ntasks; i++) {
        const TrainerTask *k = &tr->task[i];
        TrainTaskState *t = &st->tasks[i];
        snprintf(t->name, sizeof t->name, "%s", k->name);
        snprintf(t->head, sizeof t->head, "%s", k->head);
        snprintf(t->data, sizeof t->data, "%s", k->data);
        t->examples = (int64_t)k->units;
        t->epoch = k->order.epoch;
        t->position = (int64_t)k->order.pos;
    }
    st->eval_every = tr->cfg.eval_every;
    st->patience = tr->cfg.patience;
    st->best_metric = tr->best_metric;
    st->best_step = tr->best_step;
    st->evals_since_best = tr->evals_since_best;
}

int trainer_save(Trainer *tr, XsErr *err) {
    CHECK(tr->cfg.ckpt_dir, "trainer_save: no ckpt_dir");
    trainer_sync(tr); /* the weights as dense AdamW has them: the checkpoint holds no lazy state */
    if (tr->cfg.rank != 0) { /* rank 0 writes; the weights are the same bits on every rank */
        tr->saved_step = tr->opt.step;
        return 0;
    }
    char dir[4096], state[4200];
    checkpoint_path(tr->cfg.ckpt_dir, tr->opt.step, dir, sizeof dir);
    snprintf(state, sizeof state, "%s/xstilts.json", dir);
    struct stat sb;
    if (stat(state, &sb) == 0) { /* written already (this run, or the one resumed from it) */
        tr->saved_step = tr->opt.step;
        return 0;
    }
    if (mkdir(tr->cfg.ckpt_dir, 0777) && errno != EEXIST)
        return err_set(err, tr->cfg.ckpt_dir, 0, "cannot create the checkpoint folder");
    TrainState st;
    trainer_state(tr, &st);
    if (checkpoint_save_best(dir, tr->m, &st, tr->cfg.copy_files, tr->best, err)) return -1;
    tr->saved_step = tr->opt.step;
    return checkpoint_prune(tr->cfg.ckpt_dir, tr->cfg.keep, err) < 0 ? -1 : 0;
}

#define RESUME_CHECK(cond, ...)                                                                                        \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            char what_[512];                                                                                           \
            snprintf(what_, sizeof what_, __VA_ARGS__);                                                                \
            return err_set(err, spath, 0, "cannot resume: %s", what_);                                                 \
        }                                                                                                              \
    } while (0)

int trainer_resume(Trainer *tr, const char *dir, const TrainState *given, XsErr *err) {
    TrainState read;
    const TrainState *st = given;
    if (!st) {
        if (checkpoint_read_state(dir, &read, err)) return -1;
        st = &read;
    }
    char spath[4200];
    snprintf(spath, sizeof spath, "%s/xstilts.json", dir);
    RESUME_CHECK(st->n_tasks == tr->ntasks, "the checkpoint trained %d task(s), this run %d", st->n_tasks, tr->ntasks);
    for (int i = 0; i < tr->ntasks; i++) {
        const TrainTaskState *t = &st->tasks[i];
        const TrainerTask *k = &tr->task[i];
        RESUME_CHECK(!strcmp(t->name, k->name), "field \"tasks[%d].name\" is %s, this run's task %d is %s", i, t->name,
                     i, k->name);
        RESUME_CHECK(!strcmp(t->head, k->head), "field \"tasks[%d].head\" is %s, this run trains task %s with head %s",
                     i, t->head, k->name, k->head);
        RESUME_CHECK(t->examples == (int64_t)k->units,
                     "field \"tasks[%d].examples\" is %lld, task %s has %zu training examples now (other data?)", i,
                     (long long)t->examples, k->name, k->units);
        RESUME_CHECK(t->position >= 0 && t->position <= t->examples, "field \"tasks[%d].position\" is %lld", i,
                     (long long)t->position);
    }
    RESUME_CHECK(st->seed == tr->cfg.seed, "field \"seed\" is %llu, this run's %llu", (unsigned long long)st->seed,
                 (unsigned long long)tr->cfg.seed);
    RESUME_CHECK(st->batch_size == tr->cfg.batch && st->accum == accum_all(&tr->cfg),
                 "field \"batch\": batch %d x accum %d, this run %d x %d (accum x %d ranks)", st->batch_size, st->accum,
                 tr->cfg.batch, accum_all(&tr->cfg), world(&tr->cfg));
    RESUME_CHECK(st->sched.total == tr->total, "field \"schedule.total_steps\" is %lld, this run's %lld",
                 (long long)st->sched.total, (long long)tr->total);
    RESUME_CHECK(st->adam.lr == tr->opt.adam.lr && st->warmup_ratio == tr->cfg.warmup_ratio,
                 "fields \"optimizer.lr\" / \"schedule.warmup_ratio\" are %g / %g, this run's %g / %g", st->adam.lr,
                 st->warmup_ratio, tr->opt.adam.lr, tr->cfg.warmup_ratio);
    RESUME_CHECK(st->sampler.kind == tr->sampler.kind, "field \"sampler.kind\" is %s, this run's %s",
                 sampler_kind_name(st->sampler.kind), sampler_kind_name(tr->sampler.kind));
    for (int i = 0; i < tr->ntasks; i++)
        RESUME_CHECK(st->sampler.p[i] == tr->sampler.p[i], "field \"sampler.weights\": task %s's probability %g, "
                     "this run's %g", tr->task[i].name, st->sampler.p[i], tr->sampler.p[i]);
    RESUME_CHECK(st->eval_every == tr->cfg.eval_every && st->patience == tr->cfg.patience,
                 "field \"early_stopping\": eval every %lld with patience %lld, this run %lld with %d",
                 (long long)st->eval_every, (long long)st->patience, (long long)tr->cfg.eval_every, tr->cfg.patience);
    RESUME_CHECK(st->step >= 0 && st->step <= tr->total && st->micro_batches == st->step * accum_all(&tr->cfg) &&
                 st->sampler.draws == (uint64_t)st->step,
                 "fields \"step\" %lld, \"micro_batches\" %lld and \"sampler.draws\" %llu disagree", (long long)st->step,
                 (long long)st->micro_batches, (unsigned long long)st->sampler.draws);
    if (st->best_step >= 0) {
        if (!tr->best) tr->best = xmalloc_aligned(tr->m->tab.total * sizeof(float));
        if (checkpoint_load_best(dir, &tr->m->tab, tr->best, err)) return -1;
    } else if (tr->best) {
        free(tr->best);
        tr->best = NULL;
    }
    tr->opt.step = st->step;
    optim_lazy_rebuild(&tr->opt, &tr->m->tab); /* the checkpoint was flushed: untouched rows have m = v = 0 */
    tr->micro = (uint64_t)st->micro_batches;
    tr->sampler.draws = st->sampler.draws;
    for (int i = 0; i < tr->ntasks; i++)
        data_order_seek(&tr->task[i].order, st->tasks[i].epoch, (size_t)st->tasks[i].position);
    tr->best_metric = st->best_step >= 0 ? st->best_metric : -INFINITY;
    tr->best_step = st->best_step;
    tr->evals_since_best = st->evals_since_best;
    tr->saved_step = st->step;
    return 0;
}

/* Evaluates after the update of log->step; keeps the weights when better. */
static int evaluate(Trainer *tr, TrainStepLog *log, XsErr *err) {
    double metric = NAN;
    trainer_sync(tr);
    if (tr->cfg.eval(tr->cfg.eval_ctx, tr->m, tr->opt.step, &metric, err))
        return err_prefix(err, "evaluation at update %lld: ", (long long)tr->opt.step);
    if (!isfinite(metric))
        return err_set(err, NULL, 0, "evaluation at update %lld: metric %g (expected a finite number)",
                       (long long)tr->opt.step, metric);
    log->evaluated = 1;
    log->metric = metric;
    if (tr->best_step < 0 || metric > tr->best_metric) {
        size_t bytes = tr->m->tab.total * sizeof(float);
        if (!tr->best) tr->best = xmalloc_aligned(bytes);
        memcpy(tr->best, tr->m->tab.block, bytes);
        tr->best_metric = metric;
        tr->best_step = tr->opt.step;
        tr->evals_since_best = 0;
        log->improved = 1;
    } else {
        tr->evals_since_best++;
    }
    return 0;
}

int trainer_run(Trainer *tr, TrainLogFn fn, void *ctx, XsErr *err) {
    const TrainConfig *c = &tr->cfg;
    while (!trainer_done(tr)) {
        int stop = c->stop && *c->stop;
        if (c->stop && world(c) > 1) { /* every rank stops at the same update: any rank's flag counts */
            double any = stop;
            if (dist_allreduce_sum_f64(&any, 1, err)) return -1;
            stop = any > 0;
        }
        if (stop) {
            if (c->ckpt_dir && trainer_save(tr, err)) return -1;
            return TRAIN_STOPPED;
        }
        TrainStepLog log;
        if (trainer_step(tr, &log, err)) return -1;
        if (c->eval && c->eval_every > 0 && tr->opt.step % c->eval_every == 0 && evaluate(tr, &log, err)) return -1;
        if (c->ckpt_dir && c->save_every > 0 && tr->opt.step % c->save_every == 0) {
            if (trainer_save(tr, err)) return -1;
            log.saved = 1;
        }
        if (fn) fn(&log, ctx);
    }
    if (c->ckpt_dir && trainer_save(tr, err)) return -1;
    trainer_sync(tr);
    if (tr->best) memcpy(tr->m->tab.block, tr->best, tr->m->tab.total * sizeof(float));
    return 0;
}

void trainer_free(Trainer *tr) {
    if (tr->m && tr->opt.norm.off) trainer_sync(tr); /* the model outlives the trainer: its weights made whole */
    if (tr->es) encoder_state_free(tr->es);
    for (int i = 0; i < tr->ntasks; i++) {
        if (tr->task[i].hs) head_state_free(tr->task[i].hs);
        data_order_free(&tr->task[i].order);
    }
    if (tr->opt.norm.off) optim_free(&tr->opt);
    free(tr->ids);
    free(tr->types);
    free(tr->labels);
    free(tr->mask);
    free(tr->dh);
    free(tr->sel);
    free(tr->best);
    memset(tr, 0, sizeof *tr);
}

/* feat_mlm.c — masked-LM rows: lines → token rows (HF run_mlm.py --line_by_line) and dynamic 15% masking
 * with 80/10/10 replacement (DataCollatorForLanguageModeling) from the counter-based Philox RNG. */
#include "tasks/featurize.h"
#include "core/rng.h"
#include <string.h>

int feat_mlm_line(FeatRows *r, const Tokenizer *t, const char *text, size_t len, int64_t example, XsErr *err) {
    CHECK(r->kind == FEAT_MLM, "feat_mlm_line on rows of kind %d", (int)r->kind);
    Encoding e;
    encoding_init(&e);
    if (tokenizer_encode(t, text, len, NULL, 0, r->max_len, &e, err)) {
        encoding_free(&e);
        return err_prefix(err, "example %lld: ", (long long)example);
    }
    const size_t i = feat_rows_add(r), o = i * (size_t)r->max_len;
    for (int p = 0; p < e.n; p++) {
        r->ids[o + (size_t)p] = e.ids[p];
        r->mask[o + (size_t)p] = 1;
        r->type_ids[o + (size_t)p] = e.type_ids[p];
    }
    r->info[i].example = example;
    r->info[i].len = e.n;
    encoding_free(&e);
    return 0;
}

/* [0,1) from the top 24 bits, as rng_uniform. */
static float u24(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }

void feat_mlm_mask(const FeatRows *r, const Tokenizer *t, size_t row0, size_t nrows, const FeatMlmOpts *opts,
                   uint32_t epoch, int32_t *ids_out, int32_t *labels_out) {
    CHECK(r->kind == FEAT_MLM && row0 + nrows <= r->n, "rows %zu + %zu of %zu", row0, nrows, r->n);
    const float prob = opts->prob > 0 ? opts->prob : 0.15f;
    const float fmask = opts->mask_frac >= 0 ? opts->mask_frac : 0.8f;
    const float frand = opts->random_frac >= 0 ? opts->random_frac : 0.1f;
    CHECK(prob <= 1 && fmask + frand <= 1.0f + 1e-6f, "mlm fractions %g %g %g", prob, fmask, frand);
    /* HF: of the chosen, bernoulli(0.8) → mask; of the rest, bernoulli(0.5) → random (10% / 10%) */
    const float rand_of_rest = fmask < 1 ? frand / (1 - fmask) : 0;
    const int32_t special[5] = {tokenizer_cls_id(t), tokenizer_sep_id(t), tokenizer_pad_id(t), tokenizer_unk_id(t),
                                tokenizer_mask_id(t)};
    const int32_t mask_id = tokenizer_mask_id(t);
    const uint32_t vocab = (uint32_t)tokenizer_vocab_size(t);
    const size_t L = (size_t)r->max_len;
    const uint64_t seed = opts->seed ^ 0x6d6c6d5f6d61736bull; /* "mlm_mask": its own key space */
#pragma omp parallel for schedule(static)
    for (long long i = 0; i < (long long)nrows; i++) {
        const size_t row = row0 + (size_t)i;
        const int32_t *src = r->ids + row * L, *m = r->mask + row * L;
        int32_t *dst = ids_out + (size_t)i * L, *lab = labels_out + (size_t)i * L;
        for (size_t p = 0; p < L; p++) {
            int32_t id = src[p];
            dst[p] = id;
            lab[p] = FEAT_IGNORE;
            if (!m[p]) continue;
            int sp = 0;
            for (int k = 0; k < 5; k++) sp |= id == special[k];
            if (sp) continue;
            Philox4 x = philox4x32(seed, (uint32_t)row, (uint32_t)((uint64_t)row >> 32), (uint32_t)p, epoch);
            if (u24(x.v[0]) >= prob) continue;
            lab[p] = id;
            if (u24(x.v[1]) < fmask) dst[p] = mask_id;
            else if (u24(x.v[2]) < rand_of_rest) dst[p] = (int32_t)(((uint64_t)x.v[3] * vocab) >> 32);
        }
    }
}

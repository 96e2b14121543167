/* featurize.h — examples (data/) → fixed-size model rows (ids, attention mask, token types, labels),
 * as HF run_glue / run_swag / run_ner (XTREME utils_tag) / run_qa / run_mlm do, with per-row bookkeeping
 * back to the example. featurize.c: the row set, pairs and choices; feat_tag.c, feat_qa.c, feat_mlm.c. */
#ifndef XS_FEATURIZE_H
#define XS_FEATURIZE_H
#include "core/check.h"
#include "data/choices.h"
#include "data/pairs.h"
#include "data/squad_examples.h"
#include "data/tagging.h"
#include "tok/tokenizer.h"
#include <stddef.h>
#include <stdint.h>

#define FEAT_IGNORE (-100)      /* label of a position the loss skips (PyTorch's ignore_index) */
#define FEAT_MAX_LEN 256        /* default for classification, multiple choice, tagging, MLM (jiant) */
#define FEAT_QA_MAX_LEN 384     /* span QA defaults (XTREME, jiant) */
#define FEAT_QA_STRIDE 128
#define FEAT_QA_MAX_QUERY 64

typedef enum {
    FEAT_PAIR,    /* sentence(-pair) classification: one row per example, row_label */
    FEAT_CHOICE,  /* multiple choice: nchoices consecutive rows per example, row_label = right choice */
    FEAT_TAG,     /* tagging: one or more windows per sentence, labels + word */
    FEAT_QA,      /* span QA: one row per window, start/end + off_begin/off_end/max_ctx */
    FEAT_MLM,     /* masked LM: one row per line; labels made by feat_mlm_mask */
} FeatKind;

/* Where a row comes from. */
typedef struct FeatRowInfo {
    int64_t example;  /* index the caller gave the example (its position in the set) */
    int32_t window;   /* tagging / QA: window index within the example, else 0 */
    int32_t choice;   /* multiple choice: choice index, else 0 */
    int32_t len;      /* tokens before the padding */
    int32_t nwin;     /* tagging / QA: windows of this example (same on each of its rows), else 1 */
} FeatRowInfo;

/* n rows of max_len tokens each, padded (ids = the tokenizer's pad id, mask 0, type 0, labels
 * FEAT_IGNORE). Arrays not used by the kind are NULL. Grows by appending. */
typedef struct FeatRows {
    FeatKind kind;
    int max_len;
    int pad_id;
    size_t n, cap;
    int32_t *ids;        /* [n, max_len] input_ids */
    int32_t *mask;       /* [n, max_len] attention_mask (1 = token, 0 = padding) */
    int32_t *type_ids;   /* [n, max_len] token_type_ids */
    int32_t *labels;     /* [n, max_len] TAG: tag index on a word's first sub-token; MLM: (feat_mlm_mask
                          * writes its own); FEAT_IGNORE elsewhere. NULL for PAIR, CHOICE, QA */
    int32_t *row_label;  /* [n] PAIR: label index; CHOICE: index of the right choice; -1 = none.
                          * NULL for the other kinds */
    int32_t *word;       /* [n, max_len] TAG: word index at a word's first sub-token, -1 elsewhere */
    int32_t *start_pos;  /* [n] QA: answer start token in the row (0 = <s>/[CLS]: not in this window) */
    int32_t *end_pos;    /* [n] QA: answer end token (inclusive) */
    int32_t *off_begin;  /* [n, max_len] QA: byte offsets of context tokens into the example's context, */
    int32_t *off_end;    /* [n, max_len]     -1 for question, specials, padding (HF offset_mapping None) */
    uint8_t *max_ctx;    /* [n, max_len] QA: run_squad's token_is_max_context */
    FeatRowInfo *info;   /* [n] */
} FeatRows;

void feat_rows_init(FeatRows *r, FeatKind kind, int max_len, const Tokenizer *t);
void feat_rows_free(FeatRows *r);
/* Appends one padded row (bookkeeping zeroed, labels FEAT_IGNORE); returns its index. */
size_t feat_rows_add(FeatRows *r);
/* Appends every row of src (same kind and max_len: a CHECK) to dst, their info.example shifted by example_offset
 * (src's examples follow dst's): several files of one task trained as one. */
void feat_rows_append(FeatRows *dst, const FeatRows *src, int64_t example_offset);

/* ---- pair classification (featurize.c) ----
 * tokenizer_encode(a, b) with longest-first truncation to r->max_len (b may be NULL: single text);
 * row_label = label. Errors (invalid UTF-8) name the example. */
int feat_pair(FeatRows *r, const Tokenizer *t, const char *a, const char *b, int label, int64_t example,
              XsErr *err);
/* Every example of a set (OpenMP over examples; rows in set order, example = index in the set).
 * Errors name the example's file line. */
int feat_pairs(FeatRows *r, const Tokenizer *t, const PairSet *s, XsErr *err);

/* ---- multiple choice (featurize.c) ----
 * One (context, choice_i) pair per choice (HF run_swag: truncation=True = longest first), rows
 * grouped: nchoices consecutive rows, info.choice = i, row_label = ex->label on each. */
int feat_choice(FeatRows *r, const Tokenizer *t, const ChoiceExample *ex, int64_t example, XsErr *err);
int feat_choices(FeatRows *r, const Tokenizer *t, const ChoiceSet *s, XsErr *err);

/* ---- tagging (feat_tag.c) ---- */
typedef struct FeatTagOpts {
    int unknown_tag_ignore;  /* a tag outside the set gets FEAT_IGNORE (counted) instead of an error */
} FeatTagOpts;
typedef struct FeatTagStats {
    size_t nwords, nsubtok;
    size_t nempty_words;     /* words with no sub-token, given <unk> (XTREME utils_tag) */
    size_t nsplit;           /* sentences split into more than one window */
    size_t nsplit_words;     /* words whose sub-tokens run over a window boundary (longer than a window) */
    size_t nunknown_tags;    /* tags outside the set, ignored (unknown_tag_ignore) */
} FeatTagStats;
/* Each word tokenized alone (tokenizer_encode_raw, as XTREME's tokenizer.tokenize(word)); a non-empty
 * word with no sub-token becomes one <unk>/[UNK]. Labels: the tag's index in set on the word's first
 * sub-token, FEAT_IGNORE on the others and on specials (set NULL or s->tags NULL: all FEAT_IGNORE, word
 * map still kept). Row: <s> sub-tokens </s> ([CLS] .. [SEP]), types 0. A sentence of more than
 * max_len - 2 sub-tokens is split into consecutive non-overlapping windows, cut at word starts (a single
 * word longer than a window is cut inside; its later pieces carry no label). opts, st may be NULL. */
int feat_tag(FeatRows *r, const Tokenizer *t, const TagSentence *s, const TagSet *set, int64_t example,
             const FeatTagOpts *opts, FeatTagStats *st, XsErr *err);
int feat_tags(FeatRows *r, const Tokenizer *t, const TagCorpus *c, const TagSet *set, const FeatTagOpts *opts,
              FeatTagStats *st, XsErr *err);
/* Per-word predictions of one example from per-position predictions: for each row of rows [row0, row0 +
 * nrows) and each position with word >= 0, word_pred[word] = pred[(row - row0) * max_len + pos].
 * word_pred (nwords) is set to -1 first; returns how many words got a prediction (nwords when complete). */
size_t feat_tag_words(const FeatRows *r, size_t row0, size_t nrows, const int32_t *pred /* [nrows, max_len] */,
                      int32_t *word_pred /* [nwords] */, size_t nwords);

/* ---- span QA (feat_qa.c) ---- */
typedef struct FeatQaOpts {
    int stride;      /* overlap of consecutive windows in context tokens (HF stride); 0 → 128 */
    int max_query;   /* question cut to this many tokens; 0 → 64, < 0: no cut */
} FeatQaOpts;
/* Question (Python lstrip()ed, as run_qa.py) + context in sliding windows (tok/windows.h), max length
 * r->max_len. Each window is a row: start_pos/end_pos = the tokens holding the first answer's first and
 * last byte when the whole answer lies in the window's context (run_qa.py prepare_train_features), else
 * 0/0 (<s>/[CLS]), and 0/0 for an unanswerable question (SQuAD 2.0). off_begin/off_end/max_ctx for
 * post-processing (eval/qa_post.h). opts may be NULL. */
int feat_qa(FeatRows *r, const Tokenizer *t, const QaExample *ex, int64_t example, const FeatQaOpts *opts,
            XsErr *err);
int feat_qas(FeatRows *r, const Tokenizer *t, const QaSet *s, const FeatQaOpts *opts, XsErr *err);

/* ---- masked LM (feat_mlm.c) ----
 * Line by line (HF run_mlm.py --line_by_line): tokenizer_encode(line) truncated to max_len, one row per
 * line; lines are not grouped. */
int feat_mlm_line(FeatRows *r, const Tokenizer *t, const char *text, size_t len, int64_t example, XsErr *err);
typedef struct FeatMlmOpts {
    float prob;         /* share of maskable tokens chosen; 0 → 0.15 */
    float mask_frac;    /* of the chosen, share replaced by <mask>; < 0 → 0.8 */
    float random_frac;  /* of the chosen, share replaced by a random id in [0, vocab); < 0 → 0.1 */
    uint64_t seed;
} FeatMlmOpts;
/* Dynamic masking of rows [row0, row0 + nrows) (HF DataCollatorForLanguageModeling): every token but
 * padding and the special ids (<s> </s> <pad> <unk> <mask> / their BERT names: HF's
 * all_special_ids) is chosen with probability prob; a chosen one becomes <mask> (80%), a random id
 * (10%) or stays (10%). ids_out = the masked ids, labels_out = the original id at chosen positions,
 * FEAT_IGNORE elsewhere. Randomness: Philox keyed by seed, counter (row index in r, position, epoch):
 * the same masks for any thread count (OpenMP over rows) and any batch split. */
void feat_mlm_mask(const FeatRows *r, const Tokenizer *t, size_t row0, size_t nrows, const FeatMlmOpts *opts,
                   uint32_t epoch, int32_t *ids_out /* [nrows, max_len] */,
                   int32_t *labels_out /* [nrows, max_len] */);

#endif

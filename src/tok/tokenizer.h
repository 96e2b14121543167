/* tokenizer.h — one interface over SentencePiece (XLM-R) and WordPiece (BERT): text in, model
 * input ids out (specials included, as HF's input_ids), with byte offsets into the original text.
 * spm.c / wordpiece.c implement the two algorithms; tokenizer.c adds specials, pairs, truncation,
 * sliding windows and thread-parallel batches. */
#ifndef XS_TOKENIZER_H
#define XS_TOKENIZER_H
#include "core/check.h"
#include <stddef.h>
#include <stdint.h>

typedef struct Tokenizer Tokenizer;

typedef enum { TOK_SPM = 0, TOK_WORDPIECE = 1 } TokKind;

/* A tokenized sequence. Offsets are byte spans [start, end) into the text the token came from;
 * special tokens have start = end = -1; for pairs, `seg` tells which text (0 = A, 1 = B). */
typedef struct Encoding {
    int32_t *ids;      /* [n] model ids */
    int32_t *type_ids; /* [n] token_type_ids (0 for A and XLM-R; 1 for BERT's B segment) */
    int32_t *start;    /* [n] byte offset of the token's first byte in its text, -1 for specials */
    int32_t *end;      /* [n] one past its last byte, -1 for specials */
    uint8_t *seg;      /* [n] 0 = text A, 1 = text B */
    int n, cap;
} Encoding;

void encoding_init(Encoding *e);
void encoding_free(Encoding *e);
void encoding_clear(Encoding *e);

/* Opens a tokenizer from a file (`*.model` → SentencePiece in XLM-R's fairseq layout, `vocab.txt`
 * → WordPiece) or from a model folder (sentencepiece.bpe.model or vocab.txt, honouring
 * tokenizer_config.json's do_lower_case). NULL + err on failure. */
Tokenizer *tokenizer_open(const char *path, XsErr *err);
void tokenizer_free(Tokenizer *t);

TokKind tokenizer_kind(const Tokenizer *t);
int tokenizer_vocab_size(const Tokenizer *t); /* model ids are in [0, vocab_size) */
int tokenizer_pad_id(const Tokenizer *t);     /* <pad>=1 for XLM-R, [PAD] for BERT */
int tokenizer_cls_id(const Tokenizer *t);     /* <s> / [CLS] */
int tokenizer_sep_id(const Tokenizer *t);     /* </s> / [SEP] */
int tokenizer_unk_id(const Tokenizer *t);
int tokenizer_mask_id(const Tokenizer *t);    /* <mask> / [MASK] */
/* The piece / word-piece string of a model id (for --pieces), or NULL when out of range. */
const char *tokenizer_piece(const Tokenizer *t, int id);

/* Tokens of one text without specials (ids + offsets appended to out). err on invalid UTF-8. */
int tokenizer_encode_raw(const Tokenizer *t, const char *text, size_t len, Encoding *out, XsErr *err);

/* Model input for a single text (b == NULL) or a pair: XLM-R <s> A </s> / <s> A </s></s> B </s>,
 * BERT [CLS] A [SEP] / [CLS] A [SEP] B [SEP]. max_len > 0 truncates longest-first (HF's default)
 * so the result including specials has at most max_len tokens. out is cleared first. */
int tokenizer_encode(const Tokenizer *t, const char *a, size_t alen, const char *b, size_t blen, int max_len,
                     Encoding *out, XsErr *err);

/* Thread-parallel batch (OpenMP) of single texts, or of pairs (texts[i], texts_b[i]) when texts_b is
 * not NULL. On failure returns -1, *bad_index (may be NULL) = the first failing i, err = its message
 * (the caller adds file:line); outs[0 .. bad_index) are complete. */
int tokenizer_encode_batch(const Tokenizer *t, const char *const *texts, const size_t *lens,
                           const char *const *texts_b, const size_t *lens_b, int n, int max_len, Encoding *outs,
                           int *bad_index, XsErr *err);

#endif

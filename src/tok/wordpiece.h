/* wordpiece.h — BERT WordPiece (mBERT cased, bert-base uncased) with the exact behaviour of HF's fast
 * BertTokenizer (BertNormalizer + BertPreTokenizer + WordPiece model); specials/pairs are tokenizer.c's. */
#ifndef XS_WORDPIECE_H
#define XS_WORDPIECE_H
#include "core/check.h"
#include "tok/tokenizer.h"
#include <stddef.h>

typedef struct WordPiece WordPiece;

/* vocab.txt: one token per line, id = line index (trailing whitespace of a line is dropped, as HF).
 * do_lower_case also strips accents (NFD, drop Mn), as BertNormalizer with strip_accents=None. */
WordPiece *wp_load(const char *vocab_path, int do_lower_case, XsErr *err);
/* BertNormalizer's two settings apart (tokenizer.json's normalizer): lowercase, and strip_accents
 * (NFD + drop Mn; BertNormalizer's strip_accents=null means = lowercase). */
WordPiece *wp_load_opts(const char *vocab_path, int lowercase, int strip_accents, XsErr *err);
void wp_free(WordPiece *wp);
/* Appends the word-piece ids of text (no [CLS]/[SEP] added) with byte offsets [start, end) into text
 * to out (type_ids = 0, seg = 0). Specials written in the text ("[SEP]") become their id, as in HF.
 * Returns 0, or -1 + err on invalid UTF-8. */
int wp_encode(const WordPiece *wp, const char *text, size_t len, Encoding *out, XsErr *err);
int wp_vocab_size(const WordPiece *wp);
int wp_token_id(const WordPiece *wp, const char *tok); /* -1 if absent */
const char *wp_piece(const WordPiece *wp, int id);     /* NULL if out of range */

#endif

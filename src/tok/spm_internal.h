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
    /* piece trie, breadth-first: node v's children are tlabel/tchild[tnode[v].first .. tnode[v+1].first),
     * sorted by label; tnode[v].id = the piece ending there or -1; root[] = the root's children */
    struct { uint32_t first; int32_t id; } *tnode;
    uint8_t *tlabel;
    uint32_t *tchild;
    uint32_t root[256];
    int32_t *dense;   /* [nnodes] index of the node's 256-entry child table in dpool, or -1 */
    uint32_t *dpool;  /* for nodes with many children (the ones after U+2581's bytes) */
    uint32_t nnodes;
    uint8_t cm_plain[256]; /* 1 when no charsmap rule starts with this byte (fast path in the normalizer) */
    /* precompiled charsmap: Darts double array + NUL-separated replacement strings */
    uint32_t *cm_array;
    size_t cm_n;
    char *cm_norm;
    size_t cm_norm_n;
};

/* Child of node on byte c in the piece trie, 0 when absent (the root is 0). */
static inline uint32_t spm_trie_child(const SpmModel *m, uint32_t node, uint8_t c) {
    if (node == 0) return m->root[c];
    if (m->dense[node] >= 0) return m->dpool[(size_t)m->dense[node] * 256 + c];
    uint32_t a = m->tnode[node].first, b = m->tnode[node + 1].first;
    if (b - a <= 8) {
        for (; a < b; a++)
            if (m->tlabel[a] >= c) return m->tlabel[a] == c ? m->tchild[a] : 0;
        return 0;
    }
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        uint8_t l = m->tlabel[mid];
        if (l == c) return m->tchild[mid];
        if (l < c) a = mid + 1;
        else b = mid;
    }
    return 0;
}
/* Parses precompiled_charsmap (normalizer.cc DecodePrecompiledCharsMap) into m. */
int spm_charsmap_load(SpmModel *m, const uint8_t *s, size_t n, const char *name, XsErr *err);
/* PrefixMatcher::PrefixMatch over the USER_DEFINED pieces: the longest one that prefixes s
 * (*found = 1), else the length of one UTF-8 character. */
int spm_prefix_match(const SpmModel *m, const char *s, size_t n, int *found);

/* string_util::OneCharLen */
static inline int spm_one_char_len(uint8_t c) { return "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[c >> 4]; }

#endif

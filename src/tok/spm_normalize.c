/* spm_normalize.c — SentencePiece's normalizer: the precompiled charsmap (a Darts double-array trie
 * of source strings + a blob of replacements, longest prefix wins) and the whitespace rules, keeping
 * the map from normalized bytes back to original byte offsets (normalizer.cc). Encoding is spm.c's. */
#include "tok/spm_internal.h"
#include "core/mem.h"
#include "core/text.h"
#include <stdlib.h>
#include <string.h>

int spm_charsmap_load(SpmModel *m, const uint8_t *s, size_t n, const char *name, XsErr *err) {
    free(m->cm_array);
    free(m->cm_norm);
    m->cm_array = NULL;
    m->cm_norm = NULL;
    m->cm_n = m->cm_norm_n = 0;
    if (n == 0) return 0; /* identity normalizer */
    if (n <= 4) return err_set(err, name, 0, "corrupt precompiled_charsmap: %zu bytes, expected a 4-byte size + trie", n);
    uint32_t tsize = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
    if (tsize >= n - 4 + 1 || tsize % 4 != 0 || tsize == 0)
        return err_set(err, name, 0, "corrupt precompiled_charsmap: trie size %u does not fit the %zu-byte blob", tsize, n);
    m->cm_n = tsize / 4;
    m->cm_array = xmalloc(tsize);
    for (size_t i = 0; i < m->cm_n; i++) {
        const uint8_t *u = s + 4 + 4 * i;
        m->cm_array[i] = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
    }
    /* Replacements are NUL-terminated; add a final NUL so a corrupt blob cannot run off the end. */
    m->cm_norm_n = n - 4 - tsize;
    m->cm_norm = xmalloc(m->cm_norm_n + 1);
    memcpy(m->cm_norm, s + 4 + tsize, m->cm_norm_n);
    m->cm_norm[m->cm_norm_n] = 0;
    /* bytes on which no rule starts: the first transition of the double array fails */
    for (int c = 0; c < 256; c++) {
        uint32_t u = m->cm_array[0];
        size_t pos = ((u >> 10) << ((u & (1u << 9)) >> 6)) ^ (size_t)c;
        m->cm_plain[c] = !(pos < m->cm_n && (m->cm_array[pos] & ((1u << 31) | 0xFFu)) == (uint32_t)c);
    }
    return 0;
}

/* Darts::DoubleArray::commonPrefixSearch, keeping only the longest match (Normalizer::NormalizePrefix).
 * Returns its length (0 = none) and the replacement's offset in cm_norm. */
static size_t charsmap_longest(const SpmModel *m, const uint8_t *s, size_t n, uint32_t *value) {
    const uint32_t *a = m->cm_array;
    const size_t size = m->cm_n;
    size_t best = 0;
    uint32_t u = a[0];
    size_t pos = (u >> 10) << ((u & (1u << 9)) >> 6); /* offset() */
    for (size_t i = 0; i < n; i++) {
        pos ^= s[i];
        if (pos >= size) break;
        u = a[pos];
        if ((u & ((1u << 31) | 0xFFu)) != s[i]) break; /* label() */
        pos ^= (u >> 10) << ((u & (1u << 9)) >> 6);
        if (pos >= size) break;
        if ((u >> 8) & 1) { /* has_leaf() */
            best = i + 1;
            *value = a[pos] & 0x7FFFFFFFu;
        }
    }
    return best;
}

/* Normalizer::NormalizePrefix: the normalized form of the longest rule matching a prefix of s
 * (user-defined pieces first, copied verbatim), else one character unchanged. */
static size_t normalize_prefix(const SpmModel *m, const char *s, size_t n, const char **out, size_t *out_len) {
    if (m->has_user_defined) {
        int found = 0;
        int len = spm_prefix_match(m, s, n, &found);
        if (found) {
            *out = s;
            *out_len = (size_t)len;
            return (size_t)len;
        }
    }
    if (m->cm_array && !m->cm_plain[(uint8_t)s[0]]) {
        uint32_t v = 0;
        size_t len = charsmap_longest(m, (const uint8_t *)s, n, &v);
        if (len > 0) {
            if (v < m->cm_norm_n) { /* else a corrupt value: fall back to one character, as 0.2.3 */
                *out = m->cm_norm + v;
                *out_len = strlen(*out);
                return len;
            }
        }
    }
    size_t len = (size_t)spm_one_char_len((uint8_t)s[0]);
    if (len > n) len = n;
    *out = s;
    *out_len = len;
    return len;
}

int spm_prefix_match(const SpmModel *m, const char *s, size_t n, int *found) {
    size_t best = 0;
    if (m->has_user_defined) {
        uint32_t node = 0;
        for (size_t k = 0; k < n; k++) {
            node = spm_trie_child(m, node, (uint8_t)s[k]);
            if (!node) break;
            int id = m->tnode[node].id;
            if (id >= 0 && m->type[id] == SPM_USER_DEFINED) best = k + 1;
        }
    }
    *found = best > 0;
    if (best) return (int)best;
    int len = spm_one_char_len((uint8_t)s[0]);
    return len > (int)n ? (int)n : len;
}

typedef struct {
    char *s;
    int32_t *o, *oe; /* per normalized byte: start / end of the source text it came from */
    size_t n, cap;
} NBuf;

static void nb_grow(NBuf *b, size_t extra) {
    if (b->n + extra <= b->cap) return;
    while (b->cap < b->n + extra) b->cap *= 2;
    b->s = xrealloc(b->s, b->cap + 1);
    b->o = xrealloc(b->o, (b->cap + 1) * sizeof *b->o);
    b->oe = xrealloc(b->oe, (b->cap + 1) * sizeof *b->oe);
}

static void nb_put(NBuf *b, const char *s, size_t n, int32_t orig, int32_t orig_end) {
    nb_grow(b, n);
    memcpy(b->s + b->n, s, n);
    for (size_t i = 0; i < n; i++) {
        b->o[b->n + i] = orig;
        b->oe[b->n + i] = orig_end;
    }
    b->n += n;
}

#define SPACE_SYMBOL "\xe2\x96\x81" /* U+2581 LOWER ONE EIGHTH BLOCK */

int spm_normalize(const SpmModel *m, const char *text, size_t len, int add_dummy_prefix, char **out, size_t *out_len,
                  int32_t **n2o, int32_t **n2o_end, XsErr *err) {
    *out = NULL;
    *out_len = 0;
    if (n2o) *n2o = NULL;
    if (n2o_end) *n2o_end = NULL;
    if (len > 0x3fffffff) return err_set(err, NULL, 0, "text of %zu bytes is too long (expected < 1 GiB)", len);
    long bad = utf8_first_invalid(text, len);
    if (bad >= 0)
        return text_utf8_error(err, NULL, 0, text, bad, 0);
    const int dummy = add_dummy_prefix < 0 ? m->add_dummy_prefix : add_dummy_prefix;
    NBuf b = {NULL, NULL, NULL, 0, len + len / 4 + 16}; /* grows by doubling when a rule expands */
    b.s = xmalloc(b.cap + 1);
    b.o = xmalloc((b.cap + 1) * sizeof *b.o);
    b.oe = xmalloc((b.cap + 1) * sizeof *b.oe);
    size_t consumed = 0;
    const char *sp;
    size_t spn;
    /* Ignores heading space. */
    if (m->remove_extra_ws) {
        while (consumed < len) {
            size_t used = normalize_prefix(m, text + consumed, len - consumed, &sp, &spn);
            if (!(spn == 1 && sp[0] == ' ')) break;
            consumed += used;
        }
    }
    if (consumed < len) {
        const char *ws = m->escape_ws ? SPACE_SYMBOL : " ";
        const size_t wsn = m->escape_ws ? 3 : 1;
        if (!m->ws_suffix && dummy) nb_put(&b, ws, wsn, (int32_t)consumed, (int32_t)consumed);
        int is_prev_space = m->remove_extra_ws;
        while (consumed < len) {
            size_t used = normalize_prefix(m, text + consumed, len - consumed, &sp, &spn);
            if (is_prev_space)
                while (spn > 0 && sp[0] == ' ') { sp++; spn--; }
            if (spn > 0) {
                const int32_t c0 = (int32_t)consumed, c1 = (int32_t)(consumed + used);
                for (size_t k = 0; k < spn; k++) {
                    if (m->escape_ws && sp[k] == ' ') nb_put(&b, SPACE_SYMBOL, 3, c0, c1);
                    else nb_put(&b, sp + k, 1, c0, c1);
                }
                is_prev_space = sp[spn - 1] == ' ';
            }
            consumed += used;
            if (!m->remove_extra_ws) is_prev_space = 0;
        }
        /* Ignores trailing space. */
        if (m->remove_extra_ws) {
            while (b.n >= wsn && !memcmp(b.s + b.n - wsn, ws, wsn)) {
                b.n -= wsn;
                consumed = (size_t)b.o[b.n];
            }
        }
        if (m->ws_suffix && dummy) nb_put(&b, ws, wsn, (int32_t)consumed, (int32_t)consumed);
    }
    b.s[b.n] = 0;
    b.o[b.n] = b.oe[b.n] = (int32_t)consumed;
    *out = b.s;
    *out_len = b.n;
    if (n2o) *n2o = b.o;
    else free(b.o);
    if (n2o_end) *n2o_end = b.oe;
    else free(b.oe);
    return 0;
}

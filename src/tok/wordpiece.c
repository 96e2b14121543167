/* wordpiece.c — BERT WordPiece: vocab.txt loading with a hash table, BertNormalizer (clean text, CJK
 * split, accent strip + lowercase), BertPreTokenizer (whitespace / punctuation split) and greedy
 * longest-match-first "##" word pieces, each token with its byte span in the ORIGINAL text.
 * Mirrors HF tokenizers (normalizers/bert.rs, pre_tokenizers/bert.rs, models/wordpiece), i.e. the fast
 * BertTokenizer; [CLS]/[SEP], pairs and truncation are left to tokenizer.c. Unicode data: utf8proc. */
#include "tok/wordpiece.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/util.h"
#include "tok/encoding.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { WP_MAX_CHARS = 100, WP_NSPECIAL = 5 };
#define WP_BLOOM_BITS (1u << 20)

/* The special tokens HF registers as added tokens for a vocab.txt: split out of the raw text before
 * normalization (AddedVocabulary, normalized=false), so "[SEP]" in a text becomes the [SEP] id. */
static const char *const kSpecials[WP_NSPECIAL] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};

typedef struct { int32_t id; uint32_t h; } WpSlot; /* h: full hash, compared before the string */

struct WordPiece {
    int lower;        /* BertNormalizer lowercase */
    int strip;        /* BertNormalizer strip_accents (NFD, drop Mn) */
    int n;            /* lines = ids */
    char *buf;        /* the vocab file, lines NUL-terminated in place */
    char **piece;     /* [n] */
    uint32_t *plen;   /* [n] byte lengths */
    WpSlot *slot;     /* [mask+1] open addressing, linear probing; id -1 = empty */
    uint64_t *bloom;  /* [WP_BLOOM_BITS/64] one bit per piece hash: most greedy misses stop here, in cache */
    uint32_t mask;
    int unk_id;
    int special_id[WP_NSPECIAL];
    size_t max_piece; /* longest piece in bytes, bounds the greedy search */
};

static int is_ws(int32_t c);

/* FNV-1a over "##"-prefix (if cont) + bytes, so lookups need no string building; being a running
 * hash, the greedy search gets every prefix's hash of a word suffix in one pass. */
#define FNV0 2166136261u
#define FNV_STEP(h, byte) (((h) ^ (uint8_t)(byte)) * 16777619u)
static uint32_t hash_init(int cont) { return cont ? FNV_STEP(FNV_STEP(FNV0, '#'), '#') : FNV0; }
static uint32_t wp_hash(int cont, const char *s, size_t n) {
    uint32_t h = hash_init(cont);
    for (size_t i = 0; i < n; i++) h = FNV_STEP(h, s[i]);
    return h;
}

static uint32_t bloom_bit(uint32_t hash) { return (hash * 2654435761u) >> 12; } /* top 20 bits, mixed */

static int wp_lookup_h(const WordPiece *wp, uint32_t hash, int cont, const char *s, size_t n) {
    uint32_t b = bloom_bit(hash);
    if (!(wp->bloom[b >> 6] >> (b & 63) & 1)) return -1;
    size_t full = n + (cont ? 2 : 0);
    for (uint32_t h = hash & wp->mask;; h = (h + 1) & wp->mask) {
        WpSlot sl = wp->slot[h];
        if (sl.id < 0) return -1;
        if (sl.h != hash) continue;
        const char *p = wp->piece[sl.id];
        if (wp->plen[sl.id] == full && (!cont || (p[0] == '#' && p[1] == '#')) && memcmp(p + (cont ? 2 : 0), s, n) == 0)
            return sl.id;
    }
}

static int wp_lookup(const WordPiece *wp, int cont, const char *s, size_t n) {
    return wp_lookup_h(wp, wp_hash(cont, s, n), cont, s, n);
}

WordPiece *wp_load(const char *vocab_path, int do_lower_case, XsErr *err) {
    return wp_load_opts(vocab_path, do_lower_case, do_lower_case, err);
}

WordPiece *wp_load_opts(const char *vocab_path, int lowercase, int strip_accents, XsErr *err) {
    size_t len = 0;
    char *buf = file_read_all(vocab_path, &len, err);
    if (!buf) return NULL;
    WordPiece *wp = xcalloc(1, sizeof *wp);
    wp->lower = lowercase != 0;
    wp->strip = strip_accents != 0;
    wp->buf = buf;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    if (len > 0 && buf[len - 1] != '\n') lines++;
    if (lines == 0 || lines > 0x7fffffff) {
        err_set(err, vocab_path, 0, "expected a WordPiece vocab (one token per line), found %zu lines", lines);
        wp_free(wp);
        return NULL;
    }
    wp->piece = xmalloc(lines * sizeof *wp->piece);
    wp->plen = xmalloc(lines * sizeof *wp->plen);
    size_t cap = 16;
    while (cap < lines * 2) cap *= 2;
    wp->mask = (uint32_t)(cap - 1);
    wp->slot = xmalloc(cap * sizeof *wp->slot);
    for (size_t i = 0; i < cap; i++) wp->slot[i] = (WpSlot){-1, 0};
    wp->bloom = xcalloc(WP_BLOOM_BITS / 64, sizeof *wp->bloom);
    size_t pos = 0;
    for (size_t id = 0; id < lines; id++) {
        char *s = buf + pos;
        size_t e = pos;
        while (e < len && buf[e] != '\n') e++;
        size_t next = e + 1;
        /* HF reads lines and trim_end()s them (models/wordpiece read_file): trailing White_Space goes. */
        while (e > pos) {
            size_t b = e - 1;
            while (b > pos && ((uint8_t)buf[b] & 0xC0) == 0x80) b--;
            utf8proc_int32_t c;
            if (utf8proc_iterate((const uint8_t *)buf + b, (utf8proc_ssize_t)(e - b), &c) != (utf8proc_ssize_t)(e - b) ||
                !is_ws(c))
                break;
            e = b;
        }
        size_t n = e - pos;
        buf[e] = '\0';
        wp->piece[id] = s;
        wp->plen[id] = (uint32_t)n;
        if (n > wp->max_piece) wp->max_piece = n;
        wp->n = (int)id + 1;
        /* Later duplicates win, as in HF's dict/HashMap insert. */
        int cont = n >= 2 && s[0] == '#' && s[1] == '#';
        uint32_t full = wp_hash(cont, s + (cont ? 2 : 0), n - (cont ? 2 : 0)), h = full & wp->mask;
        for (;; h = (h + 1) & wp->mask) {
            int32_t o = wp->slot[h].id;
            if (o < 0 || (wp->plen[o] == n && memcmp(wp->piece[o], s, n) == 0)) break;
        }
        wp->slot[h] = (WpSlot){(int32_t)id, full};
        uint32_t bb = bloom_bit(full);
        wp->bloom[bb >> 6] |= 1ull << (bb & 63);
        pos = next;
    }
    for (int k = 0; k < WP_NSPECIAL; k++) wp->special_id[k] = wp_token_id(wp, kSpecials[k]);
    wp->unk_id = wp->special_id[0];
    if (wp->unk_id < 0) {
        err_set(err, vocab_path, 0, "expected a WordPiece vocab with an [UNK] token, found none");
        wp_free(wp);
        return NULL;
    }
    return wp;
}

void wp_free(WordPiece *wp) {
    if (!wp) return;
    free(wp->buf);
    free(wp->piece);
    free(wp->plen);
    free(wp->slot);
    free(wp->bloom);
    free(wp);
}

int wp_vocab_size(const WordPiece *wp) { return wp->n; }

int wp_token_id(const WordPiece *wp, const char *tok) {
    size_t n = strlen(tok);
    int cont = n >= 2 && tok[0] == '#' && tok[1] == '#';
    return wp_lookup(wp, cont, tok + (cont ? 2 : 0), n - (cont ? 2 : 0));
}

const char *wp_piece(const WordPiece *wp, int id) { return id >= 0 && id < wp->n ? wp->piece[id] : NULL; }

/* ---- normalization ---------------------------------------------------------------------------- */

/* A normalized code point and the byte span of the original character it came from. */
typedef struct { int32_t cp, s, e; } NChar;

typedef struct {
    NChar *c;
    size_t n, cap;
    char *word;       /* UTF-8 of the current word */
    int32_t *wchar;   /* byte index in word -> index in c */
    uint32_t *hpre;   /* running hashes of a word suffix's prefixes */
    size_t wcap;
} Scratch;

static void sc_push(Scratch *sc, int32_t cp, int32_t s, int32_t e) {
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 256;
        sc->c = xrealloc(sc->c, sc->cap * sizeof *sc->c);
    }
    sc->c[sc->n++] = (NChar){cp, s, e};
}

/* Rust's char::is_whitespace (White_Space): Zs, Zl, Zp, U+0009..U+000D, U+0085 (bert.rs is_whitespace). */
static int is_ws(int32_t c) {
    if (c == ' ' || (c >= 9 && c <= 13) || c == 0x85) return 1;
    if (c < 0x80) return 0;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/* unicode_categories' is_other() = Cc | Cf | Co (not Cn: unassigned code points are kept). */
static int is_other(int32_t c) {
    if (c < 0x80) return c < 32 || c == 127;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF || k == UTF8PROC_CATEGORY_CO;
}

/* bert.rs is_bert_punc: ASCII punctuation or a P* category. */
static int is_punc(int32_t c) {
    if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

/* bert.rs is_chinese_char (the fast ranges: note 0x2B920, where the slow BasicTokenizer has 0x2B820). */
static int is_cjk(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int ccc(int32_t c) { return c < 0x300 ? 0 : utf8proc_get_property(c)->combining_class; }

/* Canonical ordering of the combining marks just appended (NFD reorders runs of ccc > 0 stably). */
static void reorder_tail(Scratch *sc, size_t from) {
    for (size_t i = from + 1; i < sc->n; i++) {
        NChar x = sc->c[i];
        int cx = ccc(x.cp);
        if (cx == 0) continue;
        size_t j = i;
        while (j > 0 && ccc(sc->c[j - 1].cp) > cx) { sc->c[j] = sc->c[j - 1]; j--; }
        sc->c[j] = x;
    }
}

/* Canonical decomposition of one character (NFD, Hangul included), appended with its original span. */
static void decompose(Scratch *sc, int32_t c, int32_t s, int32_t e, size_t *mark_run) {
    utf8proc_int32_t d[32];
    utf8proc_ssize_t nd = c < 0xC0 ? (d[0] = c, 1) : utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, NULL);
    CHECK(nd > 0 && nd <= 32, "decomposition of U+%04X", (unsigned)c);
    size_t before = sc->n;
    for (utf8proc_ssize_t j = 0; j < nd; j++) sc_push(sc, d[j], s, e);
    if (ccc(d[0]) == 0) *mark_run = before;
    else reorder_tail(sc, *mark_run);
}

/* BertNormalizer::normalize on bytes [a, b) of text (already validated UTF-8): clean_text, CJK
 * padding, then NFD + drop Mn (strip_accents), then lowercase, keeping each output char's span. */
static void normalize(const WordPiece *wp, const char *text, size_t a, size_t b, Scratch *sc) {
    sc->n = 0;
    size_t mark_run = 0; /* start of the current run of decomposed chars, for reordering */
    for (size_t i = a; i < b;) {
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const uint8_t *)text + i, (utf8proc_ssize_t)(b - i), &c);
        CHECK(k > 0, "text was validated");
        int32_t s = (int32_t)i, e = (int32_t)(i + (size_t)k);
        i += (size_t)k;
        if (c == 0 || c == 0xFFFD || (is_other(c) && c != '\t' && c != '\n' && c != '\r')) continue;
        if (is_ws(c)) c = ' ';
        int cjk = is_cjk(c);
        if (cjk) sc_push(sc, ' ', s, e);
        if (wp->strip) decompose(sc, c, s, e, &mark_run); /* CJK compatibility ideographs decompose too */
        else if (wp->lower && c == 0x130) {  /* İ: Rust's to_lowercase gives two chars, i + U+0307 */
            sc_push(sc, 'i', s, e);
            sc_push(sc, 0x307, s, e);
            continue;
        } else sc_push(sc, c, s, e);
        if (cjk) {
            sc_push(sc, ' ', s, e);
            mark_run = sc->n;
        }
    }
    if (!wp->lower && !wp->strip) return;
    /* Drop nonspacing marks (strip_accents), then lowercase char by char (Rust char::to_lowercase, no
     * final-sigma rule; its one two-char mapping, İ, is handled above). */
    size_t o = 0;
    for (size_t i = 0; i < sc->n; i++) {
        int32_t c = sc->c[i].cp;
        if (wp->strip && c >= 0x300 && utf8proc_category(c) == UTF8PROC_CATEGORY_MN) continue;
        sc->c[o] = sc->c[i];
        if (wp->lower) sc->c[o].cp = c < 0x80 ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : utf8proc_tolower(c);
        o++;
    }
    sc->n = o;
}

/* ---- word pieces ------------------------------------------------------------------------------- */

static void span_of(const Scratch *sc, size_t i, size_t j, int32_t *s, int32_t *e) {
    int32_t lo = sc->c[i].s, hi = sc->c[i].e;
    for (size_t k = i + 1; k < j; k++) {
        if (sc->c[k].s < lo) lo = sc->c[k].s;
        if (sc->c[k].e > hi) hi = sc->c[k].e;
    }
    *s = lo;
    *e = hi;
}

/* models/wordpiece tokenize(): chars [i, j) of sc form one pre-token. */
static void word_pieces(const WordPiece *wp, Scratch *sc, size_t i, size_t j, Encoding *out) {
    int32_t ws, we;
    span_of(sc, i, j, &ws, &we);
    if (j - i > WP_MAX_CHARS) { encoding_push(out, wp->unk_id, 0, ws, we, 0); return; }
    size_t need = (j - i) * 4 + 1;
    if (need > sc->wcap) {
        sc->wcap = need * 2;
        sc->word = xrealloc(sc->word, sc->wcap);
        sc->wchar = xrealloc(sc->wchar, sc->wcap * sizeof *sc->wchar);
        sc->hpre = xrealloc(sc->hpre, sc->wcap * sizeof *sc->hpre);
    }
    size_t len = 0;
    for (size_t k = i; k < j; k++) {
        utf8proc_ssize_t nb = utf8proc_encode_char(sc->c[k].cp, (uint8_t *)sc->word + len);
        for (utf8proc_ssize_t q = 0; q < nb; q++) sc->wchar[len + (size_t)q] = (int32_t)k;
        len += (size_t)nb;
    }
    sc->wchar[len] = (int32_t)j;
    int first = out->n;
    size_t start = 0;
    while (start < len) {
        /* Running hashes of word[start, end) for every end up to the longest piece. */
        size_t lim = len - start < wp->max_piece ? len : start + wp->max_piece;
        uint32_t h = hash_init(start > 0);
        for (size_t q = start; q < lim; q++) sc->hpre[q - start] = h = FNV_STEP(h, sc->word[q]);
        size_t end = lim;
        while (end > start && end < len && ((uint8_t)sc->word[end] & 0xC0) == 0x80) end--;
        int id = -1;
        while (end > start) {
            id = wp_lookup_h(wp, sc->hpre[end - 1 - start], start > 0, sc->word + start, end - start);
            if (id >= 0) break;
            end--;
            while (end > start && ((uint8_t)sc->word[end] & 0xC0) == 0x80) end--;
        }
        if (id < 0) { /* no piece fits: the whole word is one [UNK] */
            out->n = first;
            encoding_push(out, wp->unk_id, 0, ws, we, 0);
            return;
        }
        int32_t ps, pe;
        span_of(sc, (size_t)sc->wchar[start], (size_t)sc->wchar[end - 1] + 1, &ps, &pe);
        encoding_push(out, id, 0, ps, pe, 0);
        start = end;
    }
}

/* BertPreTokenizer on the normalized chars: whitespace removed, punctuation isolated. */
static void segment(const WordPiece *wp, const char *text, size_t a, size_t b, Scratch *sc, Encoding *out) {
    if (a >= b) return;
    normalize(wp, text, a, b, sc);
    size_t w = 0;
    for (size_t k = 0; k <= sc->n; k++) {
        int32_t c = k < sc->n ? sc->c[k].cp : ' ';
        int ws = is_ws(c), p = !ws && is_punc(c);
        if (ws || p) {
            if (k > w) word_pieces(wp, sc, w, k, out);
            if (p) word_pieces(wp, sc, k, k + 1, out);
            w = k + 1;
        }
    }
}

int wp_encode(const WordPiece *wp, const char *text, size_t len, Encoding *out, XsErr *err) {
    if (len >= 0x7fffffff) return err_set(err, NULL, 0, "expected a text under 2 GiB, found %zu bytes", len);
    /* Validate first so that nothing is appended on error. */
    long bad = utf8_first_invalid(text, len);
    if (bad >= 0) return text_utf8_error(err, NULL, 0, text, bad, 0);
    Scratch sc = {0};
    size_t seg = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '[') continue;
        /* Leftmost-longest match of a special token at i (AddedVocabulary's aho-corasick). */
        int best = -1;
        size_t blen = 0;
        for (int k = 0; k < WP_NSPECIAL; k++) {
            size_t n = strlen(kSpecials[k]);
            if (wp->special_id[k] >= 0 && n <= len - i && n > blen && memcmp(text + i, kSpecials[k], n) == 0) {
                best = k;
                blen = n;
            }
        }
        if (best < 0) continue;
        segment(wp, text, seg, i, &sc, out);
        encoding_push(out, wp->special_id[best], 0, (int32_t)i, (int32_t)(i + blen), 0);
        seg = i + blen;
        i = seg - 1;
    }
    segment(wp, text, seg, len, &sc, out);
    free(sc.c);
    free(sc.word);
    free(sc.wchar);
    free(sc.hpre);
    return 0;
}
